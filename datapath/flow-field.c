#include "datapath/flow-field.h"

#include <stddef.h>
#include <string.h>

#define OFF(member) offsetof(struct flow_key, member)
#define SZ(member) sizeof(((struct flow_key *)0)->member)

/* {id, name, alias, offset, n_bytes, n_bits, bits, shift, maskable, writable, prereq, format,
 *  oxm} */
const struct flow_field flow_fields[FF_N_FIELDS] = {
    [FF_IN_PORT] = {FF_IN_PORT, "in_port", NULL, OFF(in_port), 4, 32, 0xffffffffu, 0, false,
                    false, FP_NONE, FFF_PORT, 0},
    [FF_METADATA] = {FF_METADATA, "metadata", NULL, OFF(metadata), 8, 64, UINT64_MAX, 0, true,
                     true, FP_NONE, FFF_HEX, 2},
    [FF_TUN_ID] = {FF_TUN_ID, "tun_id", "tunnel_id", OFF(tun_id), 8, 64, UINT64_MAX, 0, true,
                   true, FP_NONE, FFF_HEX, 38},
    [FF_ETH_DST] = {FF_ETH_DST, "dl_dst", "eth_dst", OFF(eth_dst), 6, 48, 0xffffffffffffull, 0,
                    true, true, FP_NONE, FFF_ETHERNET, 3},
    [FF_ETH_SRC] = {FF_ETH_SRC, "dl_src", "eth_src", OFF(eth_src), 6, 48, 0xffffffffffffull, 0,
                    true, true, FP_NONE, FFF_ETHERNET, 4},
    [FF_ETH_TYPE] = {FF_ETH_TYPE, "dl_type", "eth_type", OFF(eth_type), 2, 16, 0xffff, 0, false,
                     false, FP_NONE, FFF_HEX, 5},
    [FF_VLAN_VID] = {FF_VLAN_VID, "vlan_vid", NULL, OFF(vlan_tci), 2, 13, 0x1fff, 0, true, true,
                     FP_NONE, FFF_DECIMAL, 6},
    [FF_VLAN_PCP] = {FF_VLAN_PCP, "vlan_pcp", "dl_vlan_pcp", OFF(vlan_tci), 2, 3, 0xe000, 13,
                     false, true, FP_VLAN, FFF_DECIMAL, 7},
    [FF_IP_DSCP] = {FF_IP_DSCP, "ip_dscp", NULL, OFF(nw_tos), 1, 6, 0xfc, 2, false, true,
                    FP_IP_ANY, FFF_DECIMAL, 8},
    [FF_IP_ECN] = {FF_IP_ECN, "nw_ecn", "ip_ecn", OFF(nw_tos), 1, 2, 0x03, 0, false, true,
                   FP_IP_ANY, FFF_DECIMAL, 9},
    [FF_NW_TTL] = {FF_NW_TTL, "nw_ttl", NULL, OFF(nw_ttl), 1, 8, 0xff, 0, false, true,
                   FP_IP_ANY, FFF_DECIMAL, -1},
    [FF_IP_PROTO] = {FF_IP_PROTO, "nw_proto", "ip_proto", OFF(nw_proto), 1, 8, 0xff, 0, false,
                     false, FP_IP_ANY, FFF_DECIMAL, 10},
    [FF_IPV4_SRC] = {FF_IPV4_SRC, "nw_src", "ip_src", OFF(nw_src), 4, 32, 0xffffffffu, 0, true,
                     true, FP_IPV4, FFF_IPV4, 11},
    [FF_IPV4_DST] = {FF_IPV4_DST, "nw_dst", "ip_dst", OFF(nw_dst), 4, 32, 0xffffffffu, 0, true,
                     true, FP_IPV4, FFF_IPV4, 12},
    [FF_IPV6_SRC] = {FF_IPV6_SRC, "ipv6_src", NULL, OFF(ipv6_src), 16, 128, 0, 0, true, true,
                     FP_IPV6, FFF_IPV6, 26},
    [FF_IPV6_DST] = {FF_IPV6_DST, "ipv6_dst", NULL, OFF(ipv6_dst), 16, 128, 0, 0, true, true,
                     FP_IPV6, FFF_IPV6, 27},
    [FF_IPV6_LABEL] = {FF_IPV6_LABEL, "ipv6_label", NULL, OFF(ipv6_label), 4, 20, 0xfffff, 0,
                       true, true, FP_IPV6, FFF_HEX, 28},
    [FF_TCP_SRC] = {FF_TCP_SRC, "tcp_src", "tp_src", OFF(tp_src), 2, 16, 0xffff, 0, true, true,
                    FP_TCP, FFF_DECIMAL, 13},
    [FF_TCP_DST] = {FF_TCP_DST, "tcp_dst", "tp_dst", OFF(tp_dst), 2, 16, 0xffff, 0, true, true,
                    FP_TCP, FFF_DECIMAL, 14},
    [FF_UDP_SRC] = {FF_UDP_SRC, "udp_src", NULL, OFF(tp_src), 2, 16, 0xffff, 0, true, true,
                    FP_UDP, FFF_DECIMAL, 15},
    [FF_UDP_DST] = {FF_UDP_DST, "udp_dst", NULL, OFF(tp_dst), 2, 16, 0xffff, 0, true, true,
                    FP_UDP, FFF_DECIMAL, 16},
    [FF_SCTP_SRC] = {FF_SCTP_SRC, "sctp_src", NULL, OFF(tp_src), 2, 16, 0xffff, 0, true, true,
                     FP_SCTP, FFF_DECIMAL, 17},
    [FF_SCTP_DST] = {FF_SCTP_DST, "sctp_dst", NULL, OFF(tp_dst), 2, 16, 0xffff, 0, true, true,
                     FP_SCTP, FFF_DECIMAL, 18},
    /* ICMP type/code live in the low byte of tp_src/tp_dst (be16), i.e. at offset + 1. */
    [FF_ICMPV4_TYPE] = {FF_ICMPV4_TYPE, "icmp_type", NULL, OFF(tp_src) + 1, 1, 8, 0xff, 0,
                        false, true, FP_ICMPV4, FFF_DECIMAL, 19},
    [FF_ICMPV4_CODE] = {FF_ICMPV4_CODE, "icmp_code", NULL, OFF(tp_dst) + 1, 1, 8, 0xff, 0,
                        false, true, FP_ICMPV4, FFF_DECIMAL, 20},
    [FF_ICMPV6_TYPE] = {FF_ICMPV6_TYPE, "icmpv6_type", NULL, OFF(tp_src) + 1, 1, 8, 0xff, 0,
                        false, true, FP_ICMPV6, FFF_DECIMAL, 29},
    [FF_ICMPV6_CODE] = {FF_ICMPV6_CODE, "icmpv6_code", NULL, OFF(tp_dst) + 1, 1, 8, 0xff, 0,
                        false, true, FP_ICMPV6, FFF_DECIMAL, 30},
    [FF_ARP_OP] = {FF_ARP_OP, "arp_op", NULL, OFF(nw_proto), 1, 8, 0xff, 0, false, true, FP_ARP,
                   FFF_DECIMAL, 21},
    [FF_ARP_SPA] = {FF_ARP_SPA, "arp_spa", NULL, OFF(nw_src), 4, 32, 0xffffffffu, 0, true, true,
                    FP_ARP, FFF_IPV4, 22},
    [FF_ARP_TPA] = {FF_ARP_TPA, "arp_tpa", NULL, OFF(nw_dst), 4, 32, 0xffffffffu, 0, true, true,
                    FP_ARP, FFF_IPV4, 23},
    [FF_ARP_SHA] = {FF_ARP_SHA, "arp_sha", NULL, OFF(arp_sha), 6, 48, 0xffffffffffffull, 0, true,
                    true, FP_ARP, FFF_ETHERNET, 24},
    [FF_ARP_THA] = {FF_ARP_THA, "arp_tha", NULL, OFF(arp_tha), 6, 48, 0xffffffffffffull, 0, true,
                    true, FP_ARP, FFF_ETHERNET, 25},
    [FF_ND_TARGET] = {FF_ND_TARGET, "nd_target", NULL, OFF(nd_target), 16, 128, 0, 0, true, true,
                      FP_ND, FFF_IPV6, 31},
    [FF_ND_SLL] = {FF_ND_SLL, "nd_sll", NULL, OFF(arp_sha), 6, 48, 0xffffffffffffull, 0, true,
                   true, FP_ND_NS, FFF_ETHERNET, 32},
    [FF_ND_TLL] = {FF_ND_TLL, "nd_tll", NULL, OFF(arp_tha), 6, 48, 0xffffffffffffull, 0, true,
                   true, FP_ND_NA, FFF_ETHERNET, 33},
    [FF_TCP_FLAGS] = {FF_TCP_FLAGS, "tcp_flags", NULL, OFF(tcp_flags), 2, 12, 0x0fff, 0, true,
                      false, FP_TCP, FFF_HEX, -1},
};

const struct flow_field *flow_field_by_name(const char *name)
{
    for (int i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[i];
        if (!strcmp(f->name, name) || (f->alias && !strcmp(f->alias, name)))
            return f;
    }
    return NULL;
}

const struct flow_field *flow_field_by_oxm(int oxm_field)
{
    for (int i = 0; i < FF_N_FIELDS; i++)
        if (flow_fields[i].oxm_field == oxm_field && oxm_field >= 0)
            return &flow_fields[i];
    return NULL;
}

/* The field's whole big-endian word, as host-order integer. in_port alone is host order in
 * the key (it never appears on the wire). */
static uint64_t load_word(const struct flow_field *f, const void *base)
{
    const uint8_t *p = (const uint8_t *)base + f->offset;
    if (f->id == FF_IN_PORT) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v = 0;
    for (unsigned i = 0; i < f->n_bytes; i++)
        v = (v << 8) | p[i];
    return v;
}

static void store_word(const struct flow_field *f, void *base, uint64_t v)
{
    uint8_t *p = (uint8_t *)base + f->offset;
    if (f->id == FF_IN_PORT) {
        uint32_t w = (uint32_t)v;
        memcpy(p, &w, 4);
        return;
    }
    for (int i = f->n_bytes - 1; i >= 0; i--) {
        p[i] = (uint8_t)v;
        v >>= 8;
    }
}

uint64_t flow_field_get(const struct flow_field *f, const struct flow_key *k)
{
    return (load_word(f, k) & f->bits) >> f->shift;
}

void flow_field_set(const struct flow_field *f, struct flow_key *k, uint64_t value)
{
    uint64_t w = load_word(f, k);
    w = (w & ~f->bits) | ((value << f->shift) & f->bits);
    store_word(f, k, w);
}

void flow_field_get_bytes(const struct flow_field *f, const struct flow_key *k, uint8_t *out)
{
    memcpy(out, (const uint8_t *)k + f->offset, f->n_bytes);
}

void flow_field_set_bytes(const struct flow_field *f, struct flow_key *k, const uint8_t *in)
{
    memcpy((uint8_t *)k + f->offset, in, f->n_bytes);
}

void flow_match_set_field(struct flow_match *m, const struct flow_field *f, uint64_t value,
                          uint64_t mask)
{
    flow_field_set(f, &m->mask, mask);
    flow_field_set(f, &m->value, value & mask);
}

void flow_match_set_field_bytes(struct flow_match *m, const struct flow_field *f,
                                const uint8_t *value, const uint8_t *mask)
{
    uint8_t *v = (uint8_t *)&m->value + f->offset;
    uint8_t *mk = (uint8_t *)&m->mask + f->offset;
    for (unsigned i = 0; i < f->n_bytes; i++) {
        mk[i] = mask[i];
        v[i] = value[i] & mask[i];
    }
}

uint64_t flow_match_get_mask(const struct flow_match *m, const struct flow_field *f)
{
    if (f->n_bytes > 8) {
        /* Wide fields: report all-ones when any bit is set, for wildcard tests. */
        const uint8_t *mk = (const uint8_t *)&m->mask + f->offset;
        for (unsigned i = 0; i < f->n_bytes; i++)
            if (mk[i])
                return UINT64_MAX;
        return 0;
    }
    return flow_field_get(f, &m->mask);
}

bool flow_match_field_is_wild(const struct flow_match *m, const struct flow_field *f)
{
    return flow_match_get_mask(m, f) == 0;
}

static bool match_exact(const struct flow_match *m, enum flow_field_id id, uint64_t v)
{
    const struct flow_field *f = &flow_fields[id];
    uint64_t full = f->bits >> f->shift;
    return flow_field_get(f, &m->mask) == full && flow_field_get(f, &m->value) == v;
}

static bool match_eth_type(const struct flow_match *m, uint16_t t)
{
    return match_exact(m, FF_ETH_TYPE, t);
}

static bool match_ip_proto(const struct flow_match *m, uint8_t p)
{
    return match_exact(m, FF_IP_PROTO, p);
}

bool flow_match_has_prereq(const struct flow_match *m, enum flow_prereq p)
{
    switch (p) {
    case FP_NONE:
        return true;
    case FP_VLAN: {
        uint16_t mk = (uint16_t)flow_field_get(&flow_fields[FF_VLAN_VID], &m->mask);
        uint16_t v = (uint16_t)flow_field_get(&flow_fields[FF_VLAN_VID], &m->value);
        return (mk & FLOW_VLAN_PRESENT) && (v & FLOW_VLAN_PRESENT);
    }
    case FP_IPV4:
        return match_eth_type(m, 0x0800);
    case FP_IPV6:
        return match_eth_type(m, 0x86dd);
    case FP_IP_ANY:
        return match_eth_type(m, 0x0800) || match_eth_type(m, 0x86dd);
    case FP_ARP:
        return match_eth_type(m, 0x0806) || match_eth_type(m, 0x8035);
    case FP_TCP:
        return flow_match_has_prereq(m, FP_IP_ANY) && match_ip_proto(m, 6);
    case FP_UDP:
        return flow_match_has_prereq(m, FP_IP_ANY) && match_ip_proto(m, 17);
    case FP_SCTP:
        return flow_match_has_prereq(m, FP_IP_ANY) && match_ip_proto(m, 132);
    case FP_ICMPV4:
        return flow_match_has_prereq(m, FP_IPV4) && match_ip_proto(m, 1);
    case FP_ICMPV6:
        return flow_match_has_prereq(m, FP_IPV6) && match_ip_proto(m, 58);
    case FP_ND:
        return flow_match_has_prereq(m, FP_ICMPV6) &&
               (match_exact(m, FF_ICMPV6_TYPE, 135) || match_exact(m, FF_ICMPV6_TYPE, 136));
    case FP_ND_NS:
        return flow_match_has_prereq(m, FP_ICMPV6) && match_exact(m, FF_ICMPV6_TYPE, 135);
    case FP_ND_NA:
        return flow_match_has_prereq(m, FP_ICMPV6) && match_exact(m, FF_ICMPV6_TYPE, 136);
    }
    return false;
}

bool flow_key_has_prereq(const struct flow_key *k, enum flow_prereq p)
{
    uint16_t et = (uint16_t)flow_field_get(&flow_fields[FF_ETH_TYPE], k);
    bool ip4 = et == 0x0800, ip6 = et == 0x86dd;
    uint8_t icmp6_type = (uint8_t)flow_field_get(&flow_fields[FF_ICMPV6_TYPE], k);
    switch (p) {
    case FP_NONE:
        return true;
    case FP_VLAN:
        return flow_field_get(&flow_fields[FF_VLAN_VID], k) & FLOW_VLAN_PRESENT;
    case FP_IPV4:
        return ip4;
    case FP_IPV6:
        return ip6;
    case FP_IP_ANY:
        return ip4 || ip6;
    case FP_ARP:
        return et == 0x0806 || et == 0x8035;
    case FP_TCP:
        return (ip4 || ip6) && k->nw_proto == 6;
    case FP_UDP:
        return (ip4 || ip6) && k->nw_proto == 17;
    case FP_SCTP:
        return (ip4 || ip6) && k->nw_proto == 132;
    case FP_ICMPV4:
        return ip4 && k->nw_proto == 1;
    case FP_ICMPV6:
        return ip6 && k->nw_proto == 58;
    case FP_ND:
        return ip6 && k->nw_proto == 58 && (icmp6_type == 135 || icmp6_type == 136);
    case FP_ND_NS:
        return ip6 && k->nw_proto == 58 && icmp6_type == 135;
    case FP_ND_NA:
        return ip6 && k->nw_proto == 58 && icmp6_type == 136;
    }
    return false;
}
