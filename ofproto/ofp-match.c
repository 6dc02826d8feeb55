/* ofp-match.c — OXM matches (OpenFlow 1.3 7.2.3) <-> struct flow_match.
 *
 * The field table (datapath/flow-field.h) says where each field lives in the key, its width,
 * whether it takes a mask and what it requires. This file adds only what is specific to the
 * wire: each OXM's length (which differs from the key's storage for vlan_pcp and arp_op),
 * the two non-basic OXMs ovs-ofctl uses for fields OpenFlow 1.3 lacks (nw_ttl, tcp_flags),
 * and the canonical order of encoding, which is Open vSwitch's so that a match ovs-ofctl
 * sends re-encodes to the same bytes. */
#include <stdio.h>
#include <string.h>

#include "datapath/flow-field.h"
#include "ofproto/ofp-codec-priv.h"

#define OFPMT_OXM 1
#define OXM_N_BASIC 40

struct oxm_desc {
    const char *name; /* OpenFlow's name, lowercased, for messages */
    int ff;           /* enum flow_field_id, or -1: a field sluice does not support */
    uint8_t wire_len; /* bytes of the value on the wire */
};

static const struct oxm_desc oxm_basic[OXM_N_BASIC] = {
    [0] = {"in_port", FF_IN_PORT, 4},
    [1] = {"in_phy_port", -1, 4},
    [2] = {"metadata", FF_METADATA, 8},
    [3] = {"eth_dst", FF_ETH_DST, 6},
    [4] = {"eth_src", FF_ETH_SRC, 6},
    [5] = {"eth_type", FF_ETH_TYPE, 2},
    [6] = {"vlan_vid", FF_VLAN_VID, 2},
    [7] = {"vlan_pcp", FF_VLAN_PCP, 1},
    [8] = {"ip_dscp", FF_IP_DSCP, 1},
    [9] = {"ip_ecn", FF_IP_ECN, 1},
    [10] = {"ip_proto", FF_IP_PROTO, 1},
    [11] = {"ipv4_src", FF_IPV4_SRC, 4},
    [12] = {"ipv4_dst", FF_IPV4_DST, 4},
    [13] = {"tcp_src", FF_TCP_SRC, 2},
    [14] = {"tcp_dst", FF_TCP_DST, 2},
    [15] = {"udp_src", FF_UDP_SRC, 2},
    [16] = {"udp_dst", FF_UDP_DST, 2},
    [17] = {"sctp_src", FF_SCTP_SRC, 2},
    [18] = {"sctp_dst", FF_SCTP_DST, 2},
    [19] = {"icmpv4_type", FF_ICMPV4_TYPE, 1},
    [20] = {"icmpv4_code", FF_ICMPV4_CODE, 1},
    [21] = {"arp_op", FF_ARP_OP, 2},
    [22] = {"arp_spa", FF_ARP_SPA, 4},
    [23] = {"arp_tpa", FF_ARP_TPA, 4},
    [24] = {"arp_sha", FF_ARP_SHA, 6},
    [25] = {"arp_tha", FF_ARP_THA, 6},
    [26] = {"ipv6_src", FF_IPV6_SRC, 16},
    [27] = {"ipv6_dst", FF_IPV6_DST, 16},
    [28] = {"ipv6_flabel", FF_IPV6_LABEL, 4},
    [29] = {"icmpv6_type", FF_ICMPV6_TYPE, 1},
    [30] = {"icmpv6_code", FF_ICMPV6_CODE, 1},
    [31] = {"ipv6_nd_target", FF_ND_TARGET, 16},
    [32] = {"ipv6_nd_sll", FF_ND_SLL, 6},
    [33] = {"ipv6_nd_tll", FF_ND_TLL, 6},
    [34] = {"mpls_label", -1, 4},
    [35] = {"mpls_tc", -1, 1},
    [36] = {"mpls_bos", -1, 1},
    [37] = {"pbb_isid", -1, 3},
    [38] = {"tunnel_id", FF_TUN_ID, 8},
    [39] = {"ipv6_exthdr", -1, 2},
};

/* Non-basic OXMs, as Open vSwitch sends them for OpenFlow 1.3. */
static const struct oxm_desc oxm_nxm_ip_ttl = {"nw_ttl", FF_NW_TTL, 1};
static const struct oxm_desc oxm_onf_tcp_flags = {"tcp_flags", FF_TCP_FLAGS, 2};

/* Canonical order of encoding: Open vSwitch's nx_put_raw() order. A field is written only
 * when the match pins its prerequisite, which also picks the right one among the fields
 * that share storage (tcp/udp/sctp/icmp ports, IPv4/ARP addresses, ARP/ND hardware
 * addresses). */
static const enum flow_field_id encode_order[] = {
    FF_IN_PORT,     FF_ETH_SRC,     FF_ETH_DST,   FF_ETH_TYPE, FF_VLAN_VID,    FF_VLAN_PCP,
    FF_IPV4_SRC,    FF_IPV4_DST,    FF_IPV6_SRC,  FF_IPV6_DST, FF_IP_DSCP,     FF_IP_ECN,
    FF_NW_TTL,      FF_IPV6_LABEL,  FF_IP_PROTO,  FF_TCP_SRC,  FF_TCP_DST,     FF_TCP_FLAGS,
    FF_UDP_SRC,     FF_UDP_DST,     FF_SCTP_SRC,  FF_SCTP_DST, FF_ICMPV4_TYPE, FF_ICMPV4_CODE,
    FF_ICMPV6_TYPE, FF_ICMPV6_CODE, FF_ND_TARGET, FF_ND_SLL,   FF_ND_TLL,      FF_ARP_OP,
    FF_ARP_SPA,     FF_ARP_TPA,     FF_ARP_SHA,   FF_ARP_THA,  FF_TUN_ID,      FF_METADATA,
};
_Static_assert(sizeof encode_order / sizeof encode_order[0] == FF_N_FIELDS,
               "every field of the table has a place in the encoding order");

const char *ofp_oxm_field_name(unsigned field)
{
    return field < OXM_N_BASIC ? oxm_basic[field].name : "unknown";
}

unsigned ofp_oxm_wire_len(unsigned field)
{
    return field < OXM_N_BASIC ? oxm_basic[field].wire_len : 0;
}

/* The OXM that carries field `ff`, with its class and field number. */
static const struct oxm_desc *oxm_for_ff(int ff, uint16_t *oxm_class, uint8_t *oxm_field)
{
    if (ff == FF_NW_TTL) {
        *oxm_class = OXM_CLASS_NXM1;
        *oxm_field = OXM_NXM_IP_TTL;
        return &oxm_nxm_ip_ttl;
    }
    if (ff == FF_TCP_FLAGS) {
        *oxm_class = OXM_CLASS_EXPERIMENTER;
        *oxm_field = OXM_ONF_TCP_FLAGS;
        return &oxm_onf_tcp_flags;
    }
    int n = flow_fields[ff].oxm_field;
    if (n < 0 || n >= OXM_N_BASIC)
        return NULL;
    *oxm_class = OXM_CLASS_BASIC;
    *oxm_field = (uint8_t)n;
    return &oxm_basic[n];
}

/* One OXM TLV's header, parsed and bounds-checked. */
struct oxm_tlv {
    uint16_t oxm_class;
    uint8_t field;
    bool hasmask;
    uint8_t length;       /* payload length from the header (experimenter id included) */
    const uint8_t *value; /* after the experimenter id, if any */
    size_t value_len;     /* payload without experimenter id */
    uint32_t experimenter;
    const struct oxm_desc *desc; /* NULL: unknown to sluice */
};

/* Parses the TLV at p[0..avail). Returns 0, or -1 when it does not fit (the caller reports
 * with its own error type). */
static int oxm_parse(const uint8_t *p, size_t avail, struct oxm_tlv *t)
{
    if (avail < 4)
        return -1;
    t->oxm_class = get_be16(p);
    t->field = p[2] >> 1;
    t->hasmask = p[2] & 1;
    t->length = p[3];
    if ((size_t)4 + t->length > avail)
        return -1;
    t->value = p + 4;
    t->value_len = t->length;
    t->experimenter = 0;
    t->desc = NULL;
    if (t->oxm_class == OXM_CLASS_EXPERIMENTER) {
        if (t->length < 4)
            return -1;
        t->experimenter = get_be32(p + 4);
        t->value += 4;
        t->value_len -= 4;
        if (t->experimenter == OXM_EXPERIMENTER_ONF && t->field == OXM_ONF_TCP_FLAGS)
            t->desc = &oxm_onf_tcp_flags;
    } else if (t->oxm_class == OXM_CLASS_BASIC) {
        if (t->field < OXM_N_BASIC)
            t->desc = &oxm_basic[t->field];
    } else if (t->oxm_class == OXM_CLASS_NXM1 && t->field == OXM_NXM_IP_TTL) {
        t->desc = &oxm_nxm_ip_ttl;
    }
    return 0;
}

static void oxm_describe(const struct oxm_tlv *t, char *buf, size_t len)
{
    if (t->desc)
        snprintf(buf, len, "%s", t->desc->name);
    else if (t->oxm_class == OXM_CLASS_EXPERIMENTER)
        snprintf(buf, len, "experimenter 0x%08x field %u", t->experimenter, t->field);
    else
        snprintf(buf, len, "class 0x%04x field %u", t->oxm_class, t->field);
}

static uint64_t get_uint(const uint8_t *p, size_t n)
{
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

static void put_uint(uint8_t *p, size_t n, uint64_t v)
{
    for (size_t i = n; i-- > 0;) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

/* The largest value of a field of <= 8 bytes, in the host representation of flow_field_get. */
static uint64_t field_max(const struct flow_field *f)
{
    return f->bits >> f->shift;
}

/* Applies one OXM TLV to `m`. */
static const char *oxm_name(const struct oxm_tlv *t, char *buf, size_t len)
{
    oxm_describe(t, buf, len);
    return buf;
}

static int oxm_apply(const struct oxm_tlv *t, struct flow_match *m, uint64_t *seen,
                     struct ofp_err *err)
{
    /* The name is formatted only on the error paths: this runs for every OXM of every
     * flow-mod, and snprintf dominated it. */
    char name[64];
#define NAME oxm_name(t, name, sizeof name)
    if (!t->desc || t->desc->ff < 0)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, "OXM %s: field not supported",
                        NAME);
    const struct flow_field *f = &flow_fields[t->desc->ff];
    size_t wl = t->desc->wire_len;
    if (t->value_len != wl * (t->hasmask ? 2 : 1))
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "OXM %s: length %zu, expected %zu",
                        NAME, t->value_len, wl * (t->hasmask ? 2 : 1));
    if (*seen & (1ull << f->id))
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD, "OXM %s: field appears twice",
                        NAME);
    *seen |= 1ull << f->id;
    if (t->hasmask && !f->maskable)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK, "OXM %s: field does not take a mask",
                        NAME);

    if (f->n_bytes > 8) {
        const uint8_t *v = t->value;
        uint8_t ones[16];
        memset(ones, 0xff, sizeof ones);
        const uint8_t *mk = t->hasmask ? t->value + wl : ones;
        for (size_t i = 0; i < wl; i++)
            if (v[i] & ~mk[i])
                return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS,
                                "OXM %s: value has bits outside its mask", NAME);
        flow_match_set_field_bytes(m, f, v, mk);
        return 0;
    }

    uint64_t max = field_max(f);
    uint64_t v = get_uint(t->value, wl);
    uint64_t mk = t->hasmask ? get_uint(t->value + wl, wl) : max;
    if (v & ~max)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE,
                        "OXM %s: value 0x%llx exceeds the field's %u bits", NAME,
                        (unsigned long long)v, f->n_bits);
    if (mk & ~max)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_MASK,
                        "OXM %s: mask 0x%llx exceeds the field's %u bits", NAME,
                        (unsigned long long)mk, f->n_bits);
    if (v & ~mk)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS,
                        "OXM %s: value 0x%llx has bits outside mask 0x%llx", NAME,
                        (unsigned long long)v, (unsigned long long)mk);
    flow_match_set_field(m, f, v, mk);
    return 0;
#undef NAME
}

static const char *prereq_text(enum flow_prereq p)
{
    switch (p) {
    case FP_NONE:
        return "nothing";
    case FP_VLAN:
        return "vlan_vid with OFPVID_PRESENT";
    case FP_IPV4:
        return "eth_type=0x0800";
    case FP_IPV6:
        return "eth_type=0x86dd";
    case FP_IP_ANY:
        return "eth_type=0x0800 or 0x86dd";
    case FP_ARP:
        return "eth_type=0x0806 or 0x8035";
    case FP_TCP:
        return "ip_proto=6 and eth_type=0x0800 or 0x86dd";
    case FP_UDP:
        return "ip_proto=17 and eth_type=0x0800 or 0x86dd";
    case FP_SCTP:
        return "ip_proto=132 and eth_type=0x0800 or 0x86dd";
    case FP_ICMPV4:
        return "ip_proto=1 and eth_type=0x0800";
    case FP_ICMPV6:
        return "ip_proto=58 and eth_type=0x86dd";
    case FP_ND:
        return "icmpv6_type=135 or 136, ip_proto=58 and eth_type=0x86dd";
    case FP_ND_NS:
        return "icmpv6_type=135, ip_proto=58 and eth_type=0x86dd";
    case FP_ND_NA:
        return "icmpv6_type=136, ip_proto=58 and eth_type=0x86dd";
    }
    return "?";
}

/* Name of a field for messages: the OXM's name when it has one. */
static const char *ff_oxm_name(int ff)
{
    uint16_t c;
    uint8_t n;
    const struct oxm_desc *d = oxm_for_ff(ff, &c, &n);
    return d ? d->name : flow_fields[ff].name;
}

int ofp_match_decode(const uint8_t *p, size_t len, struct flow_match *m, size_t *consumed,
                     struct ofp_err *err)
{
    memset(m, 0, sizeof *m);
    if (len < 4)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
                        "match: %zu bytes left, need at least 4", len);
    uint16_t type = get_be16(p), mlen = get_be16(p + 2);
    if (type != OFPMT_OXM)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_TYPE,
                        "match: type %u, only OFPMT_OXM (1) is OpenFlow 1.3's", type);
    if (mlen < 4 || pad8(mlen) > len)
        return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
                        "match: length %u (padded %zu) does not fit in %zu bytes", mlen, pad8(mlen),
                        len);

    uint64_t seen = 0;
    const uint8_t *q = p + 4, *end = p + mlen;
    for (unsigned i = 0; q < end; i++) {
        struct oxm_tlv t;
        if (oxm_parse(q, (size_t)(end - q), &t) < 0)
            return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_LEN,
                            "match: OXM %u at offset %zu overruns the match (%zu bytes left)", i,
                            (size_t)(q - p), (size_t)(end - q));
        int ret = oxm_apply(&t, m, &seen, err);
        if (ret)
            return ofp_err_prefix(err, ret, "match");
        q += 4 + t.length;
    }

    for (int ff = 0; ff < FF_N_FIELDS; ff++) {
        const struct flow_field *f = &flow_fields[ff];
        if ((seen & (1ull << ff)) && !flow_match_has_prereq(m, f->prereq))
            return ofp_fail(err, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, "match: OXM %s requires %s",
                            ff_oxm_name(ff), prereq_text(f->prereq));
    }
    flow_match_normalize(m);
    *consumed = pad8(mlen);
    return 0;
}

/* Names of the key members no field of the table covers, for the encoder's refusal. */
static const struct {
    size_t offset, size;
    const char *name;
} key_members[] = {
    {offsetof(struct flow_key, recirc_id), 4, "recirc_id"},
    {offsetof(struct flow_key, tun_src), 4, "tun_src"},
    {offsetof(struct flow_key, tun_dst), 4, "tun_dst"},
    {offsetof(struct flow_key, vlan_tpid), 2, "vlan_tpid"},
    {offsetof(struct flow_key, vlan_inner_tci), 2, "vlan_inner_tci"},
    {offsetof(struct flow_key, nw_frag), 1, "nw_frag"},
};

static const char *uncovered_name(size_t off, bool *is_field)
{
    *is_field = false;
    for (size_t i = 0; i < sizeof key_members / sizeof key_members[0]; i++)
        if (off >= key_members[i].offset && off < key_members[i].offset + key_members[i].size)
            return key_members[i].name;
    for (int ff = 0; ff < FF_N_FIELDS; ff++) {
        const struct flow_field *f = &flow_fields[ff];
        if (off >= f->offset && off < (size_t)f->offset + f->n_bytes) {
            *is_field = true;
            return f->name;
        }
    }
    return "padding";
}

static void put_oxm_header(uint8_t *p, uint16_t oxm_class, uint8_t field, bool hasmask,
                           uint8_t length)
{
    set_be16(p, oxm_class);
    p[2] = (uint8_t)(field << 1 | (hasmask ? 1 : 0));
    p[3] = length;
}

/* Appends one OXM TLV (value, and mask when `mask` is not NULL) of field `ff`. */
static int oxm_put(struct ofp_buf *b, int ff, const uint8_t *value, const uint8_t *mask, size_t wl)
{
    uint16_t oxm_class = 0;
    uint8_t field = 0;
    oxm_for_ff(ff, &oxm_class, &field);
    size_t exp = oxm_class == OXM_CLASS_EXPERIMENTER ? 4 : 0;
    size_t plen = exp + wl * (mask ? 2 : 1);
    uint8_t *p = ofp_buf_put(b, 4 + plen);
    if (!p)
        return -ENOMEM;
    put_oxm_header(p, oxm_class, field, mask != NULL, (uint8_t)plen);
    if (exp)
        set_be32(p + 4, OXM_EXPERIMENTER_ONF);
    memcpy(p + 4 + exp, value, wl);
    if (mask)
        memcpy(p + 4 + exp + wl, mask, wl);
    return 0;
}

int ofp_match_encode(struct ofp_buf *b, const struct flow_match *m, struct ofp_err *err)
{
    size_t start = b->len;
    if (!ofp_buf_put(b, 4))
        return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_MATCH, OFPBMC_EPERM, "match: out of memory");

    struct flow_key covered;
    memset(&covered, 0, sizeof covered);
    for (size_t i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[encode_order[i]];
        uint16_t oxm_class;
        uint8_t field;
        const struct oxm_desc *d = oxm_for_ff(f->id, &oxm_class, &field);
        if (!d || flow_match_field_is_wild(m, f) || !flow_match_has_prereq(m, f->prereq))
            continue;
        size_t wl = d->wire_len;
        uint8_t v[16], mk[16];
        bool exact;
        if (f->n_bytes > 8) {
            flow_field_get_bytes(f, &m->value, v);
            flow_field_get_bytes(f, &m->mask, mk);
            exact = true;
            for (size_t j = 0; j < wl; j++) {
                v[j] &= mk[j];
                exact = exact && mk[j] == 0xff;
            }
            memset((uint8_t *)&covered + f->offset, 0xff, f->n_bytes);
        } else {
            uint64_t mask = flow_field_get(f, &m->mask);
            uint64_t val = flow_field_get(f, &m->value) & mask;
            exact = mask == field_max(f);
            if (!exact && !f->maskable)
                continue; /* left uncovered: reported below */
            put_uint(v, wl, val);
            put_uint(mk, wl, mask);
            flow_field_set(f, &covered, field_max(f));
        }
        int ret = oxm_put(b, f->id, v, exact ? NULL : mk, wl);
        if (ret) {
            ofp_buf_truncate(b, start);
            return ofp_enc_fail(err, ret, OFPET_BAD_MATCH, OFPBMC_EPERM, "match: out of memory");
        }
    }

    /* Whatever the mask constrains must have been written: refuse rather than widen a
     * match silently. `flags` is never part of a match. */
    const uint8_t *mk = (const uint8_t *)&m->mask, *cv = (const uint8_t *)&covered;
    for (size_t off = 0; off < offsetof(struct flow_key, flags); off++) {
        if (mk[off] & ~cv[off]) {
            bool is_field;
            const char *name = uncovered_name(off, &is_field);
            ofp_buf_truncate(b, start);
            if (is_field)
                return ofp_enc_fail(err, -EINVAL, OFPET_BAD_MATCH, OFPBMC_BAD_MASK,
                                    "match: field %s cannot be encoded: its mask is partial on "
                                    "a field that takes none, or its prerequisite is not "
                                    "matched exactly",
                                    name);
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD,
                                "match: %s has no OpenFlow 1.3 encoding", name);
        }
    }

    size_t mlen = b->len - start;
    if (mlen > 0xffff) {
        ofp_buf_truncate(b, start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "match: %zu bytes",
                            mlen);
    }
    set_be16(b->data + start, OFPMT_OXM);
    set_be16(b->data + start + 2, (uint16_t)mlen);
    if (!ofp_buf_put(b, pad8(mlen) - mlen)) {
        ofp_buf_truncate(b, start);
        return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_MATCH, OFPBMC_EPERM, "match: out of memory");
    }
    return 0;
}

int ofp_oxm_decode_set_field(const uint8_t *p, size_t len, struct dp_action *act, size_t *oxm_len,
                             struct ofp_err *err)
{
    struct oxm_tlv t;
    if (oxm_parse(p, len, &t) < 0)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN,
                        "set_field: OXM header or length overruns the action");
    char name[64];
    oxm_describe(&t, name, sizeof name);
    if (!t.desc || t.desc->ff < 0)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE,
                        "set_field: OXM %s: field not supported", name);
    const struct flow_field *f = &flow_fields[t.desc->ff];
    if (!f->writable)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE,
                        "set_field: OXM %s: field is read-only", name);
    if (t.hasmask)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                        "set_field: OXM %s: OpenFlow 1.3 set_field takes no mask", name);
    size_t wl = t.desc->wire_len;
    if (t.value_len != wl)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN,
                        "set_field: OXM %s: length %zu, expected %zu", name, t.value_len, wl);
    memset(act, 0, sizeof *act);
    act->type = DP_ACT_SET_FIELD;
    act->field = (uint16_t)f->id;
    if (f->n_bytes > 8) {
        memcpy(act->value, t.value, wl);
    } else {
        uint64_t v = get_uint(t.value, wl);
        if (v & ~field_max(f))
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                            "set_field: OXM %s: value 0x%llx exceeds the field's %u bits", name,
                            (unsigned long long)v, f->n_bits);
        /* OpenFlow 1.3 sets a VID only on a tagged packet, and says so with the bit. */
        if (f->id == FF_VLAN_VID && !(v & OFPVID_PRESENT))
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                            "set_field: OXM vlan_vid: value 0x%llx lacks OFPVID_PRESENT (0x1000)",
                            (unsigned long long)v);
        act->arg = v;
    }
    *oxm_len = 4 + (size_t)t.length;
    return 0;
}

int ofp_oxm_encode_set_field(struct ofp_buf *b, const struct dp_action *act, struct ofp_err *err)
{
    if (act->field >= FF_N_FIELDS)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE,
                            "set_field: field %u is not in the field table", act->field);
    const struct flow_field *f = &flow_fields[act->field];
    uint16_t oxm_class;
    uint8_t field;
    const struct oxm_desc *d = oxm_for_ff(f->id, &oxm_class, &field);
    if (!d || !f->writable)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE,
                            "set_field: field %s cannot be set in OpenFlow 1.3", f->name);
    uint8_t v[16];
    if (f->n_bytes > 8) {
        memcpy(v, act->value, d->wire_len);
    } else {
        uint64_t arg = act->arg;
        if (arg & ~field_max(f))
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                                "set_field: value 0x%llx exceeds field %s's %u bits",
                                (unsigned long long)arg, f->name, f->n_bits);
        if (f->id == FF_VLAN_VID && !(arg & OFPVID_PRESENT))
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                                "set_field: vlan_vid value 0x%llx lacks OFPVID_PRESENT (0x1000)",
                                (unsigned long long)arg);
        put_uint(v, d->wire_len, arg);
    }
    if (oxm_put(b, f->id, v, NULL, d->wire_len))
        return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_ACTION, OFPBAC_EPERM, "out of memory");
    return 0;
}
