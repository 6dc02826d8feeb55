#include "datapath/packet-edit.h"

#include <string.h>

#include <rte_ether.h>
#include <rte_hash_crc.h>
#include <rte_ip.h>

#include "datapath/flow-field.h"

/* --- Incremental checksums (RFC 1624: HC' = ~(~HC + ~m + m')) --------------------------- */

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

/* Updates the checksum at `csum` for a 16-bit word changing from `old` to `new` (host-order
 * values of big-endian words). */
static void csum_replace16(uint8_t *csum, uint16_t old, uint16_t new)
{
    uint32_t sum = (uint16_t)~rd16(csum) + (uint16_t)~old + new;
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    wr16(csum, (uint16_t)~sum);
}

/* Replaces n (even) bytes at p with `val`, updating every checksum in csums[] (NULL ends). */
static void replace_bytes(uint8_t *p, const uint8_t *val, unsigned n, uint8_t *const *csums,
                          unsigned n_csums)
{
    for (unsigned i = 0; i + 1 < n; i += 2) {
        uint16_t o = rd16(p + i), v = rd16(val + i);
        for (unsigned c = 0; c < n_csums; c++)
            if (csums[c])
                csum_replace16(csums[c], o, v);
    }
    memcpy(p, val, n);
}

/* Where the L4 checksum is, or NULL (absent, not in the segment, or UDP over IPv4 with no
 * checksum). */
static uint8_t *l4_csum(struct rte_mbuf *m, const struct flow_layout *lay, const struct flow_key *k)
{
    if (lay->l4 == FLOW_LAYOUT_NONE || (k->nw_frag & FLOW_NW_FRAG_LATER))
        return NULL;
    uint8_t *l4 = rte_pktmbuf_mtod_offset(m, uint8_t *, lay->l4);
    uint32_t avail = rte_pktmbuf_data_len(m) - lay->l4;
    bool v4 = k->eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    switch (k->nw_proto) {
    case IPPROTO_TCP:
        return avail >= 18 ? l4 + 16 : NULL;
    case IPPROTO_UDP:
        if (avail < 8 || (v4 && rd16(l4 + 6) == 0))
            return NULL;
        return l4 + 6;
    case IPPROTO_ICMP:
        return avail >= 4 && v4 ? l4 + 2 : NULL;
    case IPPROTO_ICMPV6:
        return avail >= 4 && !v4 ? l4 + 2 : NULL;
    default:
        return NULL;
    }
}

static bool in_seg(const struct rte_mbuf *m, uint16_t off, unsigned len)
{
    return off != FLOW_LAYOUT_NONE && (uint32_t)off + len <= rte_pktmbuf_data_len(m);
}

/* SCTP's checksum is a CRC32c over the whole SCTP packet (RFC 4960 appendix B), not a sum
 * that can be patched: after a port rewrite it is computed again, across segments, and
 * stored least significant byte first (as Linux writes it). Fragments are left alone: the
 * CRC covers bytes other fragments carry. */
static void sctp_crc_recompute(struct rte_mbuf *m, const struct flow_layout *lay,
                               const struct flow_key *k)
{
    if (k->nw_frag & FLOW_NW_FRAG_ANY)
        return;
    bool v4 = k->eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    if (!in_seg(m, lay->l3, v4 ? 20 : 40) || !in_seg(m, lay->l4, 12))
        return;
    const uint8_t *pkt = rte_pktmbuf_mtod(m, const uint8_t *);
    uint32_t end = v4 ? lay->l3 + rd16(pkt + lay->l3 + 2) : lay->l3 + 40u + rd16(pkt + lay->l3 + 4);
    if (end > m->pkt_len || end < (uint32_t)lay->l4 + 12)
        return;
    uint8_t *cs = rte_pktmbuf_mtod_offset(m, uint8_t *, lay->l4 + 8);
    memset(cs, 0, 4);
    uint32_t crc = 0xffffffffu, off = lay->l4, left = end - lay->l4;
    for (const struct rte_mbuf *s = m; s && left; s = s->next) {
        if (off >= s->data_len) {
            off -= s->data_len;
            continue;
        }
        uint32_t n = RTE_MIN((uint32_t)s->data_len - off, left);
        crc = rte_hash_crc(rte_pktmbuf_mtod_offset(s, const uint8_t *, off), n, crc);
        left -= n;
        off = 0;
    }
    crc = ~crc;
    cs[0] = (uint8_t)crc;
    cs[1] = (uint8_t)(crc >> 8);
    cs[2] = (uint8_t)(crc >> 16);
    cs[3] = (uint8_t)(crc >> 24);
}

/* --- set_field -------------------------------------------------------------------------- */

static void set_ipv4_tos(struct rte_mbuf *m, const struct flow_layout *lay, uint8_t mask,
                         uint8_t val)
{
    uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, lay->l3);
    uint16_t old = rd16(ip);
    ip[1] = (uint8_t)((ip[1] & ~mask) | (val & mask));
    csum_replace16(ip + 10, old, rd16(ip));
}

static void set_ipv6_tclass(struct rte_mbuf *m, const struct flow_layout *lay, uint8_t mask,
                            uint8_t val)
{
    uint8_t *ip = rte_pktmbuf_mtod_offset(m, uint8_t *, lay->l3);
    uint32_t w = (uint32_t)rd16(ip) << 16 | rd16(ip + 2);
    uint32_t tc = (w >> 20) & 0xff;
    tc = (tc & ~mask) | (val & mask);
    w = (w & ~(0xffu << 20)) | (tc << 20);
    wr16(ip, (uint16_t)(w >> 16));
    wr16(ip + 2, (uint16_t)w);
}

/* ND options: finds the link-layer address option of `type` (1 = source, 2 = target). */
static uint8_t *nd_lla(struct rte_mbuf *m, const struct flow_layout *lay, uint8_t type)
{
    uint32_t len = rte_pktmbuf_data_len(m);
    uint32_t off = (uint32_t)lay->l4 + 24;
    uint8_t *p = rte_pktmbuf_mtod(m, uint8_t *);
    while (off + 8 <= len) {
        uint32_t olen = (uint32_t)p[off + 1] * 8;
        if (olen == 0 || off + olen > len)
            return NULL;
        if (p[off] == type && olen == 8)
            return p + off + 2;
        off += olen;
    }
    return NULL;
}

void pkt_set_field(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key,
                   const struct dp_action *a)
{
    if (a->field >= FF_N_FIELDS)
        return;
    const struct flow_field *f = &flow_fields[a->field];
    if (!flow_key_has_prereq(key, f->prereq))
        return;
    uint8_t val[16];
    if (f->n_bytes > 8) {
        memcpy(val, a->value, 16);
    } else {
        uint64_t v = a->arg;
        for (int i = f->n_bytes - 1; i >= 0; i--, v >>= 8)
            val[i] = (uint8_t)v;
    }
    uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
    uint8_t *ipcs = NULL, *l4cs = NULL;
    bool v4 = key->eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4);
    if (v4 && in_seg(m, lay->l3, 20))
        ipcs = pkt + lay->l3 + 10;
    l4cs = l4_csum(m, lay, key);

    switch (f->id) {
    case FF_ETH_DST:
        memcpy(pkt, val, 6);
        break;
    case FF_ETH_SRC:
        memcpy(pkt + 6, val, 6);
        break;
    case FF_VLAN_VID:
        pkt_set_vlan_tci(m, key, FLOW_VLAN_VID_MASK, (uint16_t)(a->arg & FLOW_VLAN_VID_MASK));
        return; /* pkt_set_vlan_tci updated the key */
    case FF_VLAN_PCP:
        pkt_set_vlan_tci(m, key, 0xe000, (uint16_t)(a->arg << FLOW_VLAN_PCP_SHIFT));
        return;
    case FF_IP_DSCP:
    case FF_IP_ECN: {
        uint8_t mask = (uint8_t)f->bits, v = (uint8_t)(a->arg << f->shift);
        if (v4 && in_seg(m, lay->l3, 20))
            set_ipv4_tos(m, lay, mask, v);
        else if (!v4 && in_seg(m, lay->l3, 40))
            set_ipv6_tclass(m, lay, mask, v);
        break;
    }
    case FF_NW_TTL:
        if (v4 && in_seg(m, lay->l3, 20)) {
            uint8_t *ip = pkt + lay->l3;
            uint16_t old = rd16(ip + 8);
            ip[8] = val[0];
            csum_replace16(ip + 10, old, rd16(ip + 8));
        } else if (!v4 && in_seg(m, lay->l3, 40)) {
            pkt[lay->l3 + 7] = val[0];
        }
        break;
    case FF_IPV4_SRC:
    case FF_IPV4_DST:
        if (in_seg(m, lay->l3, 20)) {
            uint8_t *cs[2] = {ipcs, l4cs && key->nw_proto != IPPROTO_ICMP ? l4cs : NULL};
            replace_bytes(pkt + lay->l3 + (f->id == FF_IPV4_SRC ? 12 : 16), val, 4, cs, 2);
        }
        break;
    case FF_IPV6_SRC:
    case FF_IPV6_DST:
        if (in_seg(m, lay->l3, 40)) {
            uint8_t *cs[1] = {l4cs};
            replace_bytes(pkt + lay->l3 + (f->id == FF_IPV6_SRC ? 8 : 24), val, 16, cs, 1);
        }
        break;
    case FF_IPV6_LABEL:
        if (in_seg(m, lay->l3, 40)) {
            uint8_t *ip = pkt + lay->l3;
            uint32_t w = (uint32_t)rd16(ip) << 16 | rd16(ip + 2);
            w = (w & ~0xfffffu) | ((uint32_t)a->arg & 0xfffff);
            wr16(ip, (uint16_t)(w >> 16));
            wr16(ip + 2, (uint16_t)w);
        }
        break;
    case FF_TCP_SRC:
    case FF_TCP_DST:
    case FF_UDP_SRC:
    case FF_UDP_DST:
    case FF_SCTP_SRC:
    case FF_SCTP_DST: {
        bool src = f->id == FF_TCP_SRC || f->id == FF_UDP_SRC || f->id == FF_SCTP_SRC;
        if (in_seg(m, lay->l4, 4) && !(key->nw_frag & FLOW_NW_FRAG_LATER)) {
            uint8_t *cs[1] = {key->nw_proto == IPPROTO_SCTP ? NULL : l4cs};
            replace_bytes(pkt + lay->l4 + (src ? 0 : 2), val, 2, cs, 1);
            if (key->nw_proto == IPPROTO_SCTP)
                sctp_crc_recompute(m, lay, key);
        }
        break;
    }
    case FF_ICMPV4_TYPE:
    case FF_ICMPV4_CODE:
    case FF_ICMPV6_TYPE:
    case FF_ICMPV6_CODE:
        if (in_seg(m, lay->l4, 4)) {
            uint8_t *ic = pkt + lay->l4;
            uint16_t old = rd16(ic);
            bool type = f->id == FF_ICMPV4_TYPE || f->id == FF_ICMPV6_TYPE;
            ic[type ? 0 : 1] = val[0];
            if (l4cs)
                csum_replace16(l4cs, old, rd16(ic));
        }
        break;
    case FF_ARP_OP:
        if (in_seg(m, lay->l3, 28))
            wr16(pkt + lay->l3 + 6, val[0]);
        break;
    case FF_ARP_SHA:
    case FF_ARP_THA:
        if (in_seg(m, lay->l3, 28))
            memcpy(pkt + lay->l3 + (f->id == FF_ARP_SHA ? 8 : 18), val, 6);
        break;
    case FF_ARP_SPA:
    case FF_ARP_TPA:
        if (in_seg(m, lay->l3, 28))
            memcpy(pkt + lay->l3 + (f->id == FF_ARP_SPA ? 14 : 24), val, 4);
        break;
    case FF_ND_TARGET:
        if (in_seg(m, lay->l4, 24)) {
            uint8_t *cs[1] = {l4cs};
            replace_bytes(pkt + lay->l4 + 8, val, 16, cs, 1);
        }
        break;
    case FF_ND_SLL:
    case FF_ND_TLL: {
        uint8_t *opt = in_seg(m, lay->l4, 24) ? nd_lla(m, lay, f->id == FF_ND_SLL ? 1 : 2) : NULL;
        if (opt) {
            uint8_t *cs[1] = {l4cs};
            replace_bytes(opt, val, 6, cs, 1);
        } else {
            return; /* no such option in this packet: the key keeps its value */
        }
        break;
    }
    case FF_METADATA:
    case FF_TUN_ID:
        break; /* metadata only: the key is the whole of it */
    default:
        return; /* not writable */
    }
    if (f->n_bytes > 8)
        flow_field_set_bytes(f, key, val);
    else
        flow_field_set(f, key, a->arg);
}

bool pkt_dec_ttl(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key)
{
    uint8_t *pkt = rte_pktmbuf_mtod(m, uint8_t *);
    if (key->eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV4) && in_seg(m, lay->l3, 20)) {
        uint8_t *ip = pkt + lay->l3;
        if (ip[8] <= 1)
            return false;
        uint16_t old = rd16(ip + 8);
        ip[8]--;
        csum_replace16(ip + 10, old, rd16(ip + 8));
        key->nw_ttl = ip[8];
    } else if (key->eth_type == rte_cpu_to_be_16(RTE_ETHER_TYPE_IPV6) &&
               in_seg(m, lay->l3, 40)) {
        uint8_t *ip = pkt + lay->l3;
        if (ip[7] <= 1)
            return false;
        ip[7]--;
        key->nw_ttl = ip[7];
    }
    return true;
}

static void layout_shift(struct flow_layout *lay, int delta)
{
    uint16_t *offs[] = {&lay->l3, &lay->l4, &lay->l7};
    for (unsigned i = 0; i < 3; i++)
        if (*offs[i] != FLOW_LAYOUT_NONE)
            *offs[i] = (uint16_t)(*offs[i] + delta);
}

bool pkt_push_vlan(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key,
                   uint16_t tpid)
{
    struct rte_ether_hdr *old = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    uint16_t inner_type = old->ether_type; /* read before the MACs move over it */
    struct rte_ether_hdr *eh =
        (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_vlan_hdr));
    if (!eh)
        return false;
    memmove(eh, old, 2 * RTE_ETHER_ADDR_LEN);
    struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
    /* OpenFlow 1.3: the new tag copies the current outer VID and PCP, or is 0. */
    uint16_t tci = rte_be_to_cpu_16(key->vlan_tci) & (uint16_t)~FLOW_VLAN_PRESENT;
    vh->vlan_tci = rte_cpu_to_be_16(tci);
    vh->eth_proto = inner_type; /* the old EtherType (or TPID) now follows the tag */
    eh->ether_type = rte_cpu_to_be_16(tpid);
    key->vlan_inner_tci = key->vlan_tci;
    key->vlan_tci = rte_cpu_to_be_16(tci | FLOW_VLAN_PRESENT);
    key->vlan_tpid = rte_cpu_to_be_16(tpid);
    if (lay) {
        lay->l2_5 = RTE_ETHER_HDR_LEN - 2;
        layout_shift(lay, (int)sizeof(struct rte_vlan_hdr));
    }
    return true;
}

void pkt_pop_vlan(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key)
{
    if (!(rte_be_to_cpu_16(key->vlan_tci) & FLOW_VLAN_PRESENT) ||
        rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
        return;
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
    uint16_t inner_type = vh->eth_proto;
    struct rte_ether_hdr *neh =
        (struct rte_ether_hdr *)rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
    memmove(neh, eh, 2 * RTE_ETHER_ADDR_LEN);
    neh->ether_type = inner_type;
    key->vlan_tci = key->vlan_inner_tci;
    key->vlan_inner_tci = 0;
    key->vlan_tpid = key->vlan_tci ? rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) : 0;
    if (lay) {
        if (!key->vlan_tci)
            lay->l2_5 = FLOW_LAYOUT_NONE;
        layout_shift(lay, -(int)sizeof(struct rte_vlan_hdr));
    }
}

void pkt_set_vlan_tci(struct rte_mbuf *m, struct flow_key *key, uint16_t mask, uint16_t val)
{
    if (!(rte_be_to_cpu_16(key->vlan_tci) & FLOW_VLAN_PRESENT) ||
        rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
        return;
    struct rte_vlan_hdr *vh =
        (struct rte_vlan_hdr *)(rte_pktmbuf_mtod(m, struct rte_ether_hdr *) + 1);
    uint16_t tci = (uint16_t)((rte_be_to_cpu_16(vh->vlan_tci) & ~mask) | (val & mask));
    vh->vlan_tci = rte_cpu_to_be_16(tci);
    key->vlan_tci = rte_cpu_to_be_16(tci | FLOW_VLAN_PRESENT);
}
