/* test-ofp-match.c — OXM matches, actions and instructions of the OpenFlow 1.3 codec.
 *
 * Every field of the field table is encoded and decoded (exact and, when maskable, masked),
 * with its prerequisites; every rejection is checked for its exact error type and code; and
 * the canonical encoding is compared with the bytes ovs-ofctl sends for the same match. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>

#include "datapath/flow-field.h"
#include "ofproto/ofp-msgs.h"

static size_t unhex(const char *hex, uint8_t *out, size_t cap)
{
    size_t n = strlen(hex) / 2;
    assert_true(n <= cap);
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        assert_int_equal(sscanf(hex + 2 * i, "%2x", &v), 1);
        out[i] = (uint8_t)v;
    }
    return n;
}

/* Builders for raw OXM matches. */
struct raw {
    uint8_t b[512];
    size_t n;
};

static void raw_bytes(struct raw *r, const void *p, size_t n)
{
    assert_true(r->n + n <= sizeof r->b);
    memcpy(r->b + r->n, p, n);
    r->n += n;
}

static void raw_oxm(struct raw *r, uint16_t cls, uint8_t field, bool hasmask, const uint8_t *v,
                    size_t vlen)
{
    uint8_t h[4] = {(uint8_t)(cls >> 8), (uint8_t)cls, (uint8_t)(field << 1 | hasmask),
                    (uint8_t)vlen};
    raw_bytes(r, h, 4);
    raw_bytes(r, v, vlen);
}

static void raw_oxm_u(struct raw *r, uint8_t field, uint64_t v, size_t len)
{
    uint8_t b[8];
    for (size_t i = 0; i < len; i++)
        b[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
    raw_oxm(r, 0x8000, field, false, b, len);
}

static void raw_oxm_um(struct raw *r, uint8_t field, uint64_t v, uint64_t m, size_t len)
{
    uint8_t b[16];
    for (size_t i = 0; i < len; i++) {
        b[i] = (uint8_t)(v >> (8 * (len - 1 - i)));
        b[len + i] = (uint8_t)(m >> (8 * (len - 1 - i)));
    }
    raw_oxm(r, 0x8000, field, true, b, 2 * len);
}

/* Wraps OXM TLVs into a padded ofp_match. */
static size_t wrap_match(const struct raw *oxms, uint8_t *out)
{
    size_t len = 4 + oxms->n, padded = (len + 7) & ~(size_t)7;
    memset(out, 0, padded);
    out[0] = 0;
    out[1] = 1;
    out[2] = (uint8_t)(len >> 8);
    out[3] = (uint8_t)len;
    memcpy(out + 4, oxms->b, oxms->n);
    return padded;
}

static int decode_raw(const struct raw *oxms, struct flow_match *m, struct ofp_err *err)
{
    uint8_t buf[600];
    size_t n = wrap_match(oxms, buf), consumed = 0;
    int ret = ofp_match_decode(buf, n, m, &consumed, err);
    if (!ret)
        assert_int_equal(consumed, n);
    return ret;
}

static void expect_match_error(const struct raw *oxms, uint16_t type, uint16_t code,
                               const char *needle)
{
    struct flow_match m;
    struct ofp_err err;
    memset(&err, 0, sizeof err);
    assert_int_equal(decode_raw(oxms, &m, &err), -EPROTO);
    if (err.type != type || err.code != code)
        fail_msg("expected %s/%s, got %s/%s: %s", ofp_error_type_name(type),
                 ofp_error_code_name(type, code), ofp_error_type_name(err.type),
                 ofp_error_code_name(err.type, err.code), err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void set_exact(struct flow_match *m, enum flow_field_id id, uint64_t v)
{
    const struct flow_field *f = &flow_fields[id];
    flow_match_set_field(m, f, v, f->bits >> f->shift);
}

/* Pins prerequisite `p` in `m`. */
static void set_prereq(struct flow_match *m, enum flow_prereq p)
{
    switch (p) {
    case FP_NONE:
        return;
    case FP_VLAN:
        set_exact(m, FF_VLAN_VID, 0x1000 | 5);
        return;
    case FP_IPV4:
    case FP_IP_ANY:
        set_exact(m, FF_ETH_TYPE, 0x0800);
        return;
    case FP_IPV6:
        set_exact(m, FF_ETH_TYPE, 0x86dd);
        return;
    case FP_ARP:
        set_exact(m, FF_ETH_TYPE, 0x0806);
        return;
    case FP_TCP:
        set_prereq(m, FP_IPV4);
        set_exact(m, FF_IP_PROTO, 6);
        return;
    case FP_UDP:
        set_prereq(m, FP_IPV6);
        set_exact(m, FF_IP_PROTO, 17);
        return;
    case FP_SCTP:
        set_prereq(m, FP_IPV4);
        set_exact(m, FF_IP_PROTO, 132);
        return;
    case FP_ICMPV4:
        set_prereq(m, FP_IPV4);
        set_exact(m, FF_IP_PROTO, 1);
        return;
    case FP_ICMPV6:
        set_prereq(m, FP_IPV6);
        set_exact(m, FF_IP_PROTO, 58);
        return;
    case FP_ND:
    case FP_ND_NS:
        set_prereq(m, FP_ICMPV6);
        set_exact(m, FF_ICMPV6_TYPE, 135);
        return;
    case FP_ND_NA:
        set_prereq(m, FP_ICMPV6);
        set_exact(m, FF_ICMPV6_TYPE, 136);
        return;
    }
}

static void roundtrip_match(const struct flow_match *m)
{
    struct ofp_buf b;
    struct ofp_err err;
    struct flow_match back;
    size_t consumed;
    ofp_buf_init(&b);
    int ret = ofp_match_encode(&b, m, &err);
    if (ret)
        fail_msg("encode: %s", err.msg);
    assert_int_equal(b.len % 8, 0);
    ret = ofp_match_decode(b.data, b.len, &back, &consumed, &err);
    if (ret)
        fail_msg("decode: %s", err.msg);
    assert_int_equal(consumed, b.len);
    assert_true(flow_match_equal(m, &back));
    ofp_buf_uninit(&b);
}

/* Every field with an OpenFlow encoding, exact and masked, with its prerequisites. */
static void test_every_field_roundtrip(void **state)
{
    (void)state;
    for (int id = 0; id < FF_N_FIELDS; id++) {
        const struct flow_field *f = &flow_fields[id];
        for (int masked = 0; masked <= (f->maskable ? 1 : 0); masked++) {
            struct flow_match m;
            memset(&m, 0, sizeof m);
            set_prereq(&m, f->prereq);
            if (f->n_bytes > 8) {
                uint8_t v[16], mk[16];
                for (int i = 0; i < 16; i++) {
                    v[i] = (uint8_t)(0x11 * (i + 1));
                    mk[i] = masked ? (i < 6 ? 0xff : 0) : 0xff;
                }
                flow_match_set_field_bytes(&m, f, v, mk);
            } else {
                uint64_t max = f->bits >> f->shift;
                uint64_t v = 0x5a5a5a5a5a5a5a5aull & max;
                if (id == FF_ETH_TYPE)
                    v = 0x88cc; /* not a prerequisite of anything else here */
                uint64_t mk = masked ? (max & 0xf0f0f0f0f0f0f0f0ull) : max;
                flow_match_set_field(&m, f, v, mk);
            }
            flow_match_normalize(&m);
            roundtrip_match(&m);
        }
    }
}

static void test_empty_match(void **state)
{
    (void)state;
    struct flow_match m;
    memset(&m, 0, sizeof m);
    struct ofp_buf b;
    ofp_buf_init(&b);
    assert_int_equal(ofp_match_encode(&b, &m, NULL), 0);
    static const uint8_t want[] = {0, 1, 0, 4, 0, 0, 0, 0};
    assert_int_equal(b.len, sizeof want);
    assert_memory_equal(b.data, want, sizeof want);
    ofp_buf_uninit(&b);
}

/* The match ovs-ofctl sends for "tcp,nw_src=1.2.3.4,tp_dst=80,in_port=1": fields in OVS's
 * order, whatever order the match was built in. */
static void test_canonical_order_matches_ovs(void **state)
{
    (void)state;
    static const char *ovs = "00010025800000040000000180000a0208008000160401020304"
                             "800014010680001c020050000000";
    uint8_t want[64];
    size_t n = unhex(ovs, want, sizeof want);
    struct flow_match m;
    memset(&m, 0, sizeof m);
    set_exact(&m, FF_TCP_DST, 80);
    set_exact(&m, FF_IPV4_SRC, 0x01020304);
    set_exact(&m, FF_IP_PROTO, 6);
    set_exact(&m, FF_ETH_TYPE, 0x0800);
    set_exact(&m, FF_IN_PORT, 1);
    struct ofp_buf b;
    ofp_buf_init(&b);
    assert_int_equal(ofp_match_encode(&b, &m, NULL), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
    ofp_buf_uninit(&b);
}

/* Storage quirks: arp_op 16 bits on the wire in one byte, vlan_vid with OFPVID_PRESENT,
 * ip_dscp in the top six bits of nw_tos, ICMP type/code in the low byte of tp_src/dst. */
static void test_field_representations(void **state)
{
    (void)state;
    struct flow_match m;
    struct ofp_err err;
    struct raw r = {.n = 0};

    raw_oxm_u(&r, 5, 0x0806, 2);
    raw_oxm_u(&r, 21, 2, 2);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.value.nw_proto, 2);
    assert_int_equal(m.mask.nw_proto, 0xff);

    r.n = 0;
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 8, 46, 1);
    raw_oxm_u(&r, 9, 1, 1);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.value.nw_tos, 46 << 2 | 1);
    assert_int_equal(m.mask.nw_tos, 0xff);

    r.n = 0;
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 10, 1, 1);
    raw_oxm_u(&r, 19, 8, 1);
    raw_oxm_u(&r, 20, 3, 1);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.value.tp_src, htons(8));
    assert_int_equal(m.mask.tp_src, htons(0xff));
    assert_int_equal(m.value.tp_dst, htons(3));

    /* OFPVID_NONE: untagged packets only. */
    r.n = 0;
    raw_oxm_u(&r, 6, 0, 2);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.mask.vlan_tci, htons(0x1fff));
    assert_int_equal(m.value.vlan_tci, 0);
    /* Any tag, then PCP on top of it. */
    r.n = 0;
    raw_oxm_um(&r, 6, 0x1000, 0x1000, 2);
    raw_oxm_u(&r, 7, 5, 1);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.mask.vlan_tci, htons(0xf000));
    assert_int_equal(m.value.vlan_tci, htons(0xb000));
    roundtrip_match(&m);

    /* 64-bit masked tunnel id and metadata. */
    r.n = 0;
    raw_oxm_um(&r, 38, 0x1122334455660000ull, 0xffffffffffff0000ull, 8);
    raw_oxm_um(&r, 2, 0x5, 0xff, 8);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(flow_field_get(&flow_fields[FF_TUN_ID], &m.value), 0x1122334455660000ull);
    assert_int_equal(flow_field_get(&flow_fields[FF_TUN_ID], &m.mask), 0xffffffffffff0000ull);
    assert_int_equal(flow_field_get(&flow_fields[FF_METADATA], &m.mask), 0xff);
    roundtrip_match(&m);

    /* A zero mask is legal and wildcards the field. */
    r.n = 0;
    raw_oxm_um(&r, 4, 0, 0, 6);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_true(flow_match_field_is_wild(&m, &flow_fields[FF_ETH_SRC]));

    /* in_port is host order in the key. */
    r.n = 0;
    raw_oxm_u(&r, 0, 0xfffffffe, 4);
    assert_int_equal(decode_raw(&r, &m, &err), 0);
    assert_int_equal(m.value.in_port, 0xfffffffe);
}

/* nw_ttl and tcp_flags travel as ovs-ofctl sends them (NXM_NX_IP_TTL, ONF OXM 42). */
static void test_non_basic_oxms(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct flow_match m;
    size_t consumed;
    struct ofp_err err;
    size_t n = unhex("0001000f80000a02080000013a010500", buf, sizeof buf);
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), 0);
    assert_int_equal(m.value.nw_ttl, 5);
    assert_int_equal(m.mask.nw_ttl, 0xff);
    roundtrip_match(&m);

    n = unhex("0001001b80000a0208008000140106ffff55084f4e4600000200120000000000", buf, sizeof buf);
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), 0);
    assert_int_equal(consumed, 32);
    assert_int_equal(m.value.tcp_flags, htons(0x0002));
    assert_int_equal(m.mask.tcp_flags, htons(0x0012));
    struct ofp_buf b;
    ofp_buf_init(&b);
    assert_int_equal(ofp_match_encode(&b, &m, NULL), 0);
    assert_int_equal(b.len, 32);
    assert_memory_equal(b.data, buf, 32);
    ofp_buf_uninit(&b);

    /* The same experimenter field with another experimenter id is unknown. */
    struct raw r = {.n = 0};
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 10, 6, 1);
    static const uint8_t v[] = {0x00, 0x00, 0x23, 0x20, 0x00, 0x02};
    raw_oxm(&r, 0xffff, 42, false, v, sizeof v);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, "experimenter 0x00002320");
}

static void test_match_errors(void **state)
{
    (void)state;
    struct raw r;

#define RESET() (r.n = 0)
    /* BAD_PREREQ: every field that has a prerequisite, alone. */
    for (int id = 0; id < FF_N_FIELDS; id++) {
        const struct flow_field *f = &flow_fields[id];
        if (f->prereq == FP_NONE)
            continue;
        RESET();
        uint8_t v[16] = {0};
        size_t wl = f->n_bytes > 8 ? 16
                                   : (id == FF_ARP_OP     ? 2
                                      : id == FF_VLAN_PCP ? 1
                                                          : f->n_bytes);
        if (id == FF_NW_TTL)
            raw_oxm(&r, 0x0001, 29, false, v, 1);
        else if (id == FF_TCP_FLAGS) {
            uint8_t e[6] = {0x4f, 0x4e, 0x46, 0x00, 0, 0};
            raw_oxm(&r, 0xffff, 42, false, e, 6);
        } else
            raw_oxm(&r, 0x8000, (uint8_t)f->oxm_field, false, v, wl);
        expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, "requires");
    }
    /* A prerequisite on the wrong value. */
    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 10, 17, 1);
    raw_oxm_u(&r, 14, 80, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, "tcp_dst requires ip_proto=6");
    /* Prerequisites may come after the field (as OVS accepts). */
    RESET();
    raw_oxm_u(&r, 14, 80, 2);
    raw_oxm_u(&r, 10, 6, 1);
    raw_oxm_u(&r, 5, 0x86dd, 2);
    struct flow_match m;
    assert_int_equal(decode_raw(&r, &m, NULL), 0);

    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 5, 0x0800, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD, "eth_type");
    /* Two OXMs for the same key bits (tcp_dst twice, once masked). */
    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 10, 6, 1);
    raw_oxm_u(&r, 14, 80, 2);
    raw_oxm_um(&r, 14, 80, 0xff, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_DUP_FIELD, "tcp_dst");

    RESET();
    raw_oxm_um(&r, 5, 0x0800, 0xffff, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_MASK, "does not take a mask");
    RESET();
    raw_oxm_um(&r, 0, 1, 0xff, 4);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_MASK, "in_port");
    RESET();
    raw_oxm_um(&r, 6, 0x1000, 0xf000, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_MASK, "vlan_vid");

    RESET();
    raw_oxm_u(&r, 6, 0x2005, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "vlan_vid");
    RESET();
    raw_oxm_u(&r, 6, 0x1005, 2);
    raw_oxm_u(&r, 7, 8, 1);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "vlan_pcp");
    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 8, 64, 1);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "ip_dscp");
    RESET();
    raw_oxm_u(&r, 5, 0x0806, 2);
    raw_oxm_u(&r, 21, 0x100, 2);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "arp_op");
    RESET();
    raw_oxm_u(&r, 5, 0x86dd, 2);
    raw_oxm_u(&r, 28, 0x100000, 4);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "ipv6_flabel");

    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_um(&r, 11, 0x0a000001, 0xffffff00, 4);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS, "outside mask");
    RESET();
    {
        uint8_t v[32];
        memset(v, 0xff, 16);
        memset(v + 16, 0, 16);
        raw_oxm_u(&r, 5, 0x86dd, 2);
        raw_oxm(&r, 0x8000, 26, true, v, 32);
    }
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS, "ipv6_src");

    RESET();
    raw_oxm_u(&r, 5, 0x0800, 2);
    raw_oxm_u(&r, 11, 0x0a000001, 5);
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_LEN, "ipv4_src: length 5");

    /* Unsupported and unknown fields. */
    static const uint8_t mpls_fields[] = {1, 34, 35, 36, 37, 39, 40, 63};
    for (size_t i = 0; i < sizeof mpls_fields; i++) {
        RESET();
        uint8_t v[4] = {0};
        raw_oxm(&r, 0x8000, mpls_fields[i], false, v, 4);
        expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, "not supported");
    }
    RESET();
    {
        uint8_t v[2] = {0};
        raw_oxm(&r, 0x0000, 0, false, v, 2); /* NXM_OF_IN_PORT: not OpenFlow 1.3 */
    }
    expect_match_error(&r, OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, "class 0x0000");
#undef RESET
}

static void test_match_framing_errors(void **state)
{
    (void)state;
    uint8_t buf[64];
    struct flow_match m;
    size_t consumed;
    struct ofp_err err;
    size_t n = unhex("0000000800000000", buf, sizeof buf); /* OFPMT_STANDARD */
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_TYPE);
    n = unhex("000100c800000000", buf, sizeof buf); /* length beyond the buffer */
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
    n = unhex("0001000280000000", buf, sizeof buf); /* length below 4 */
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
    n = unhex("0001000a80000a02080000000000", buf, sizeof buf); /* padding missing */
    assert_int_equal(ofp_match_decode(buf, n - 4, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
    n = unhex("0001000680000a000000", buf, sizeof buf); /* TLV header cut */
    assert_int_equal(ofp_match_decode(buf, 8, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
    n = unhex("0001000a80000a04080000000000", buf, sizeof buf); /* TLV overruns match */
    assert_int_equal(ofp_match_decode(buf, n, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.type, OFPET_BAD_MATCH);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
    assert_int_equal(ofp_match_decode(buf, 3, &m, &consumed, &err), -EPROTO);
    assert_int_equal(err.code, OFPBMC_BAD_LEN);
}

/* The encoder refuses what it cannot say instead of widening the match. */
static void test_match_encode_refusals(void **state)
{
    (void)state;
    struct flow_match m;
    struct ofp_err err;
    struct ofp_buf b;
    ofp_buf_init(&b);
    /* Something already in the buffer must survive a failed encode. */
    assert_int_equal(ofp_encode_empty(&b, OFPT_BARRIER_REQUEST, 1, NULL), 0);

    memset(&m, 0, sizeof m);
    m.mask.nw_frag = 3;
    size_t before = b.len;
    assert_int_equal(ofp_match_encode(&b, &m, &err), -EINVAL);
    assert_int_equal(b.len, before);
    assert_non_null(strstr(err.msg, "nw_frag"));

    memset(&m, 0, sizeof m);
    m.mask.recirc_id = 1;
    assert_int_equal(ofp_match_encode(&b, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "recirc_id"));

    memset(&m, 0, sizeof m);
    m.mask.tun_src = 0xffffffff;
    assert_int_equal(ofp_match_encode(&b, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tun_src"));

    /* A partial mask on a field OpenFlow matches exactly only. */
    memset(&m, 0, sizeof m);
    set_prereq(&m, FP_IPV4);
    flow_match_set_field(&m, &flow_fields[FF_IP_DSCP], 0x20, 0x30);
    assert_int_equal(ofp_match_encode(&b, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "ip_dscp"));

    /* A field whose prerequisite is not pinned. */
    memset(&m, 0, sizeof m);
    set_exact(&m, FF_TCP_DST, 80);
    assert_int_equal(ofp_match_encode(&b, &m, &err), -EINVAL);
    assert_non_null(strstr(err.msg, "tcp_dst"));
    assert_int_equal(b.len, before);
    ofp_buf_uninit(&b);
}

/* ---------------------------------------------------------------------------------------
 * Actions.
 */
static void actions_roundtrip(const struct dp_action *acts, uint32_t n, enum ofp_action_ctx ctx,
                              const char *want_hex)
{
    struct ofp_buf b;
    struct ofp_err err;
    ofp_buf_init(&b);
    if (ofp_actions_encode(&b, acts, n, &err))
        fail_msg("encode: %s", err.msg);
    if (want_hex) {
        uint8_t want[512];
        size_t wn = unhex(want_hex, want, sizeof want);
        assert_int_equal(b.len, wn);
        assert_memory_equal(b.data, want, wn);
    }
    struct dp_action back[DP_MAX_ACTIONS];
    uint32_t nb;
    memset(back, 0, sizeof back);
    if (ofp_actions_decode(b.data, b.len, ctx, back, &nb, &err))
        fail_msg("decode: %s", err.msg);
    assert_int_equal(nb, n);
    for (uint32_t i = 0; i < n; i++) {
        assert_int_equal(back[i].type, acts[i].type);
        assert_int_equal(back[i].port, acts[i].port);
        assert_int_equal(back[i].arg, acts[i].arg);
        assert_int_equal(back[i].field, acts[i].field);
        assert_memory_equal(back[i].value, acts[i].value, sizeof back[i].value);
    }
    ofp_buf_uninit(&b);
}

static void test_actions_roundtrip(void **state)
{
    (void)state;
    struct dp_action a[8];
    memset(a, 0, sizeof a);
    a[0] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = 2};
    a[1] = (struct dp_action){.type = DP_ACT_CONTROLLER, .port = DP_OFPORT_CONTROLLER, .arg = 200};
    a[2] = (struct dp_action){.type = DP_ACT_GROUP, .port = 7};
    a[3] = (struct dp_action){.type = DP_ACT_PUSH_VLAN, .arg = 0x88a8};
    a[4] = (struct dp_action){.type = DP_ACT_POP_VLAN};
    a[5] = (struct dp_action){.type = DP_ACT_DEC_TTL};
    a[6] = (struct dp_action){.type = DP_ACT_SET_FIELD, .field = FF_NW_TTL, .arg = 9};
    a[7] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = DP_OFPORT_IN_PORT};
    actions_roundtrip(a, 8, OFP_ACTX_FLOW, NULL);

    /* set_field of every writable field with an OXM. */
    for (int id = 0; id < FF_N_FIELDS; id++) {
        const struct flow_field *f = &flow_fields[id];
        if (!f->writable)
            continue;
        struct dp_action sf = {.type = DP_ACT_SET_FIELD, .field = (uint16_t)id};
        if (f->n_bytes > 8) {
            for (int i = 0; i < 16; i++)
                sf.value[i] = (uint8_t)(0xf0 - i);
        } else {
            sf.arg = 0x3c3c3c3c3c3c3c3cull & (f->bits >> f->shift);
            if (id == FF_VLAN_VID)
                sf.arg |= 0x1000;
        }
        actions_roundtrip(&sf, 1, OFP_ACTX_FLOW, NULL);
    }

    /* Output to TABLE is for packet_out only. */
    struct dp_action table = {.type = DP_ACT_OUTPUT, .port = DP_OFPORT_TABLE};
    actions_roundtrip(&table, 1, OFP_ACTX_PACKET_OUT, NULL);
}

/* mod_vlan_vid/mod_vlan_pcp encode as set-field, the way ovs-ofctl sends them. */
static void test_vlan_actions_encode(void **state)
{
    (void)state;
    struct dp_action a[3] = {
        {.type = DP_ACT_PUSH_VLAN, .arg = 0x8100},
        {.type = DP_ACT_SET_VLAN_VID, .arg = 100},
        {.type = DP_ACT_SET_VLAN_PCP, .arg = 3},
    };
    struct ofp_buf b;
    ofp_buf_init(&b);
    assert_int_equal(ofp_actions_encode(&b, a, 3, NULL), 0);
    /* ovs-ofctl: in_port=3,actions=mod_vlan_vid:100,mod_vlan_pcp:3 */
    uint8_t want[64];
    size_t n = unhex("0011000881000000"
                     "0019001080000c021064000000000000"
                     "0019001080000e010300000000000000",
                     want, sizeof want);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);
    struct dp_action back[3];
    uint32_t nb;
    assert_int_equal(ofp_actions_decode(b.data, b.len, OFP_ACTX_FLOW, back, &nb, NULL), 0);
    assert_int_equal(nb, 3);
    assert_int_equal(back[1].type, DP_ACT_SET_FIELD);
    assert_int_equal(back[1].field, FF_VLAN_VID);
    assert_int_equal(back[1].arg, 0x1064);
    assert_int_equal(back[2].field, FF_VLAN_PCP);
    assert_int_equal(back[2].arg, 3);
    ofp_buf_uninit(&b);
}

static void expect_actions_error(const char *hex, enum ofp_action_ctx ctx, uint16_t type,
                                 uint16_t code, const char *needle)
{
    uint8_t buf[1024];
    size_t n = unhex(hex, buf, sizeof buf);
    struct dp_action acts[DP_MAX_ACTIONS];
    uint32_t na;
    struct ofp_err err;
    assert_int_equal(ofp_actions_decode(buf, n, ctx, acts, &na, &err), -EPROTO);
    if (err.type != type || err.code != code)
        fail_msg("%s: expected %s, got %s: %s", hex, ofp_error_code_name(type, code),
                 ofp_error_code_name(err.type, err.code), err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_action_errors(void **state)
{
    (void)state;
    const uint16_t BA = OFPET_BAD_ACTION;
    expect_actions_error("0000001000000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_LEN, "output");
    expect_actions_error("000000180000000200000000000000000000000000000000", OFP_ACTX_FLOW, BA,
                         OFPBAC_BAD_LEN, "length 24, expected 16");
    expect_actions_error("0000000c00000002", OFP_ACTX_FLOW, BA, OFPBAC_BAD_LEN, "multiple of 8");
    expect_actions_error("000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_LEN, "less than a header");
    expect_actions_error("00000020000000020000000000000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_LEN,
                         NULL);
    expect_actions_error("00000010ffffff000000000000000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_OUT_PORT,
                         "4294967040");
    expect_actions_error("00000010ffffffff0000000000000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_OUT_PORT,
                         "ANY");
    expect_actions_error("00000010fffffff90000000000000000", OFP_ACTX_BUCKET, BA,
                         OFPBAC_BAD_OUT_PORT, "TABLE");
    expect_actions_error("00160008ffffff01", OFP_ACTX_FLOW, BA, OFPBAC_BAD_OUT_GROUP, NULL);
    expect_actions_error("0011000808000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_ARGUMENT, "0x0800");
    /* Unsupported by sluice: SET_QUEUE, COPY_TTL_*, MPLS, PBB. */
    static const char *const unsupported[] = {
        "0015000800000003", "000b000800000000", "000c000800000000",
        "000f000840000000", "0010000800000000", "0013000888470000",
        "0014000808000000", "001a000888e70000", "001b000800000000"};
    for (size_t i = 0; i < sizeof unsupported / sizeof unsupported[0]; i++)
        expect_actions_error(unsupported[i], OFP_ACTX_FLOW, BA, OFPBAC_BAD_TYPE, "not supported");
    expect_actions_error("0063000800000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_TYPE, "unknown");
    expect_actions_error("ffff000800002320", OFP_ACTX_FLOW, BA, OFPBAC_BAD_EXPERIMENTER,
                         "0x00002320");
    /* set_field */
    expect_actions_error("00190010"
                         "80000a02"
                         "0800"
                         "000000000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_TYPE, "eth_type");
    expect_actions_error("00190010800000040000000100000000", OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_TYPE,
                         "in_port");
    expect_actions_error("00190010"
                         "80006404"
                         "00000001"
                         "00000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_TYPE, "not supported");
    expect_actions_error("00190018"
                         "8000070c"
                         "010203040506"
                         "ffffffffffff"
                         "00000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_ARGUMENT, "takes no mask");
    expect_actions_error("00190010"
                         "80001603"
                         "0a0000"
                         "0000000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_LEN, "length 3");
    expect_actions_error("00190010"
                         "80001608"
                         "0a000001"
                         "ffffffff",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_LEN, "expected 4");
    expect_actions_error("0019001880000c0210050000000000000000000000000000", OFP_ACTX_FLOW, BA,
                         OFPBAC_BAD_SET_LEN, "needs 16");
    expect_actions_error("0019001080000c02"
                         "0005"
                         "000000000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_ARGUMENT, "OFPVID_PRESENT");
    expect_actions_error("0019001080000c02"
                         "2005"
                         "000000000000",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_ARGUMENT, "exceeds");
    expect_actions_error("0019001080000c0210050000000000ff", OFP_ACTX_FLOW, BA,
                         OFPBAC_BAD_SET_ARGUMENT, "padding");
    expect_actions_error("00190008"
                         "80000004",
                         OFP_ACTX_FLOW, BA, OFPBAC_BAD_SET_LEN, "overruns");

    /* More than DP_MAX_ACTIONS. */
    char many[16 * 2 * (DP_MAX_ACTIONS + 1) + 1];
    for (int i = 0; i <= DP_MAX_ACTIONS; i++)
        memcpy(many + 32 * i, "00000010000000010000000000000000", 32);
    many[sizeof many - 1] = 0;
    expect_actions_error(many, OFP_ACTX_FLOW, BA, OFPBAC_TOO_MANY, NULL);
}

static void test_action_encode_refusals(void **state)
{
    (void)state;
    struct ofp_err err;
    struct ofp_buf b;
    ofp_buf_init(&b);
    struct dp_action bad[] = {
        {.type = DP_ACT_OUTPUT, .port = DP_OFPORT_ANY},
        {.type = DP_ACT_GROUP, .port = OFPG_ALL},
        {.type = DP_ACT_PUSH_VLAN, .arg = 0x0800},
        {.type = DP_ACT_SET_VLAN_VID, .arg = 4096},
        {.type = DP_ACT_SET_FIELD, .field = FF_ETH_TYPE, .arg = 0x800},
        {.type = DP_ACT_SET_FIELD, .field = FF_N_FIELDS},
        {.type = DP_ACT_SET_FIELD, .field = FF_IP_DSCP, .arg = 64},
        {.type = DP_ACT_SET_FIELD, .field = FF_VLAN_VID, .arg = 5},
        {.type = DP_ACT_CONTROLLER, .arg = 0x10000},
        {.type = 99},
    };
    struct dp_action ok = {.type = DP_ACT_OUTPUT, .port = 1};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct dp_action list[2] = {ok, bad[i]};
        assert_int_equal(ofp_actions_encode(&b, list, 2, &err), -EINVAL);
        assert_int_equal(b.len, 0);
        assert_non_null(strstr(err.msg, "action 1"));
    }
    assert_int_equal(ofp_actions_encode(&b, &ok, DP_MAX_ACTIONS + 1, &err), -EINVAL);
    assert_int_equal(err.code, OFPBAC_TOO_MANY);
    ofp_buf_uninit(&b);
}

/* ---------------------------------------------------------------------------------------
 * Instructions and consistency with the match.
 */
static void spec_zero(struct flow_spec *s)
{
    memset(s, 0, sizeof *s);
    s->priority = 0x8000;
    s->out_port = DP_OFPORT_ANY;
    s->out_group = OFPG_ANY;
}

static void test_instructions_roundtrip(void **state)
{
    (void)state;
    /* ovs-ofctl: meter:2,output:7,clear_actions,write_actions(output:3,group:1),
     * write_metadata:0x1/0x3,goto_table:5 */
    static const char *ovs = "0006000800000002"
                             "00040018000000000000001000000007"
                             "0000000000000000"
                             "0005000800000000"
                             "00030020000000000000001000000003"
                             "0000000000000000"
                             "0016000800000001"
                             "00020018000000000000000000000001"
                             "0000000000000003"
                             "0001000805000000";
    uint8_t want[256];
    size_t n = unhex(ovs, want, sizeof want);
    struct flow_spec s;
    spec_zero(&s);
    struct ofp_err err;
    if (ofp_instructions_decode(want, n, &s, &err))
        fail_msg("%s", err.msg);
    assert_int_equal(s.meter_id, 2);
    assert_int_equal(s.n_actions, 1);
    assert_int_equal(s.actions[0].port, 7);
    assert_true(s.clear_actions);
    assert_true(s.has_write_actions);
    assert_int_equal(s.n_write_actions, 2);
    assert_int_equal(s.write_actions[1].type, DP_ACT_GROUP);
    assert_true(s.has_write_metadata);
    assert_int_equal(s.write_metadata, 1);
    assert_int_equal(s.write_metadata_mask, 3);
    assert_true(s.has_goto_table);
    assert_int_equal(s.goto_table, 5);
    struct ofp_buf b;
    ofp_buf_init(&b);
    assert_int_equal(ofp_instructions_encode(&b, &s, NULL), 0);
    assert_int_equal(b.len, n);
    assert_memory_equal(b.data, want, n);

    /* Empty write_actions is kept (it differs from none); apply with no actions is none. */
    spec_zero(&s);
    s.has_write_actions = true;
    ofp_buf_clear(&b);
    assert_int_equal(ofp_instructions_encode(&b, &s, NULL), 0);
    assert_int_equal(b.len, 8);
    struct flow_spec back;
    spec_zero(&back);
    assert_int_equal(ofp_instructions_decode(b.data, b.len, &back, NULL), 0);
    assert_true(back.has_write_actions);
    ofp_buf_uninit(&b);
}

static void expect_inst_error(const char *hex, uint8_t table, uint16_t type, uint16_t code,
                              const char *needle)
{
    uint8_t buf[256];
    size_t n = unhex(hex, buf, sizeof buf);
    struct flow_spec s;
    spec_zero(&s);
    s.table_id = table;
    s.table_given = true;
    struct ofp_err err;
    assert_int_equal(ofp_instructions_decode(buf, n, &s, &err), -EPROTO);
    if (err.type != type || err.code != code)
        fail_msg("%s: expected %s, got %s: %s", hex, ofp_error_code_name(type, code),
                 ofp_error_code_name(err.type, err.code), err.msg);
    if (needle && !strstr(err.msg, needle))
        fail_msg("message \"%s\" lacks \"%s\"", err.msg, needle);
}

static void test_instruction_errors(void **state)
{
    (void)state;
    const uint16_t BI = OFPET_BAD_INSTRUCTION;
    expect_inst_error("0001000803000000", 3, BI, OFPBIC_BAD_TABLE_ID, "after this flow's table 3");
    expect_inst_error("0001000802000000", 3, BI, OFPBIC_BAD_TABLE_ID, NULL);
    expect_inst_error("00010008ff000000", 0, BI, OFPBIC_BAD_TABLE_ID, "not a table");
    expect_inst_error("00010010"
                      "05000000"
                      "0000000000000000",
                      0, BI, OFPBIC_BAD_LEN, "goto_table");
    expect_inst_error("00020010000000000000000000000001", 0, BI, OFPBIC_BAD_LEN, "write_metadata");
    expect_inst_error("00050010"
                      "00000000"
                      "0000000000000000",
                      0, BI, OFPBIC_BAD_LEN, NULL);
    expect_inst_error("0004000800000000"
                      "0004000800000000",
                      0, BI, OFPBIC_UNSUP_INST, "twice");
    expect_inst_error("0007000800000000", 0, BI, OFPBIC_UNKNOWN_INST, "type 7");
    expect_inst_error("ffff000800002320", 0, BI, OFPBIC_BAD_EXPERIMENTER, NULL);
    expect_inst_error("0004002800000000"
                      "00000010000000010000000000000000",
                      0, BI, OFPBIC_BAD_LEN, NULL);
    expect_inst_error("000400", 0, BI, OFPBIC_BAD_LEN, NULL);
    expect_inst_error("0006000800000000", 0, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER, NULL);
    expect_inst_error("00060008ffffffff", 0, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER, NULL);
    /* Action errors inside an instruction keep their own type. */
    expect_inst_error("0004001800000000"
                      "00000010ffffffff0000000000000000",
                      0, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, "apply_actions");
}

static void test_actions_match_consistency(void **state)
{
    (void)state;
    struct flow_spec s;
    struct ofp_err err;
    const struct dp_action push = {.type = DP_ACT_PUSH_VLAN, .arg = 0x8100};
    const struct dp_action pop = {.type = DP_ACT_POP_VLAN};
    const struct dp_action vid = {.type = DP_ACT_SET_FIELD, .field = FF_VLAN_VID, .arg = 0x1005};
    const struct dp_action dst = {.type = DP_ACT_SET_FIELD, .field = FF_IPV4_DST, .arg = 1};
    const struct dp_action tcp = {.type = DP_ACT_SET_FIELD, .field = FF_TCP_DST, .arg = 8};
    const struct dp_action ttl = {.type = DP_ACT_DEC_TTL};

    spec_zero(&s);
    s.actions[0] = push;
    s.actions[1] = vid;
    s.n_actions = 2;
    assert_int_equal(ofp_check_actions_match(&s, &err), 0);
    s.actions[0] = vid;
    s.n_actions = 1;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);
    assert_int_equal(err.code, OFPBAC_MATCH_INCONSISTENT);
    set_prereq(&s.match, FP_VLAN);
    assert_int_equal(ofp_check_actions_match(&s, &err), 0);
    /* After pop_vlan there is no tag left to set. */
    s.actions[0] = pop;
    s.actions[1] = vid;
    s.n_actions = 2;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "action 1"));

    spec_zero(&s);
    s.actions[0] = pop;
    s.n_actions = 1;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);

    spec_zero(&s);
    s.actions[0] = dst;
    s.n_actions = 1;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "nw_dst"));
    set_prereq(&s.match, FP_IPV4);
    assert_int_equal(ofp_check_actions_match(&s, &err), 0);
    s.actions[1] = tcp;
    s.actions[2] = ttl;
    s.n_actions = 3;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);
    set_exact(&s.match, FF_IP_PROTO, 6);
    assert_int_equal(ofp_check_actions_match(&s, &err), 0);

    spec_zero(&s);
    s.actions[0] = ttl;
    s.n_actions = 1;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);

    /* In an action set, push_vlan runs before set-field whatever the list order. */
    spec_zero(&s);
    s.has_write_actions = true;
    s.write_actions[0] = vid;
    s.write_actions[1] = push;
    s.n_write_actions = 2;
    assert_int_equal(ofp_check_actions_match(&s, &err), 0);
    s.write_actions[1] = pop;
    assert_int_equal(ofp_check_actions_match(&s, &err), -EPROTO);
    assert_non_null(strstr(err.msg, "write_actions"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_field_roundtrip),
        cmocka_unit_test(test_empty_match),
        cmocka_unit_test(test_canonical_order_matches_ovs),
        cmocka_unit_test(test_field_representations),
        cmocka_unit_test(test_non_basic_oxms),
        cmocka_unit_test(test_match_errors),
        cmocka_unit_test(test_match_framing_errors),
        cmocka_unit_test(test_match_encode_refusals),
        cmocka_unit_test(test_actions_roundtrip),
        cmocka_unit_test(test_vlan_actions_encode),
        cmocka_unit_test(test_action_errors),
        cmocka_unit_test(test_action_encode_refusals),
        cmocka_unit_test(test_instructions_roundtrip),
        cmocka_unit_test(test_instruction_errors),
        cmocka_unit_test(test_actions_match_consistency),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
