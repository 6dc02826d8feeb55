/* packet-build.c — see packet-build.h. The frame is written front to back; lengths and
 * checksums are filled in once the layers after them are known. The final parse-and-compare
 * is what makes "the frame says exactly what the key says" true for any key, instead of
 * trusting every branch here to cover every field. */
#include "datapath/packet-build.h"

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "datapath/flow-field.h"

enum {
    PB_ETH_HLEN = 14,
    PB_IPV4_HLEN = 20,
    PB_IPV6_HLEN = 40,
    PB_FRAG_HLEN = 8,
    PB_TCP_HLEN = 20,
    PB_UDP_HLEN = 8,
    PB_SCTP_HLEN = 12,
    PB_ICMP_HLEN = 8,
    PB_ND_LEN = 24,
    PB_ARP_LEN = 28,
    /* A later fragment: offset 185 * 8 = 1480, where a 1500-byte MTU's second piece starts. */
    PB_LATER_FRAG_UNITS = 185,
};

/* Host value of a field the key keeps in network byte order. */
static uint16_t pb_h16(uint16_t be)
{
    uint8_t p[2];
    memcpy(p, &be, 2);
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t pb_h32(uint32_t be)
{
    uint8_t p[4];
    memcpy(p, &be, 4);
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void pb_put16(uint8_t *p, uint16_t host)
{
    p[0] = (uint8_t)(host >> 8);
    p[1] = (uint8_t)host;
}

static void pb_put32(uint8_t *p, uint32_t host)
{
    p[0] = (uint8_t)(host >> 24);
    p[1] = (uint8_t)(host >> 16);
    p[2] = (uint8_t)(host >> 8);
    p[3] = (uint8_t)host;
}

/* One's complement sum, folded, not inverted. */
static uint32_t pb_sum(uint32_t sum, const uint8_t *p, size_t len)
{
    for (size_t i = 0; i + 1 < len; i += 2)
        sum += (uint32_t)p[i] << 8 | p[i + 1];
    if (len & 1)
        sum += (uint32_t)p[len - 1] << 8;
    return sum;
}

static uint16_t pb_fold(uint32_t sum)
{
    while (sum >> 16)
        sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)~sum;
}

uint32_t pkt_crc32c(const uint8_t *data, size_t len)
{
    uint32_t crc = 0xffffffffu;
    for (size_t i = 0; i < len; i++) {
        crc ^= data[i];
        for (int b = 0; b < 8; b++)
            crc = (crc >> 1) ^ (0x82f63b78u & (0u - (crc & 1)));
    }
    return ~crc;
}

struct pb {
    uint8_t *buf;
    size_t cap;
    size_t len;
    bool overflow;
};

static uint8_t *pb_room(struct pb *b, size_t n)
{
    if (b->len + n > b->cap) {
        b->overflow = true;
        return NULL;
    }
    uint8_t *p = b->buf + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

static bool pb_is_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/* The L4 header of an IP packet at b->len; returns its length. `pseudo` is the pseudo-header
 * sum (without the length, added here) for the checksummed protocols. */
static size_t pb_l4(struct pb *b, const struct flow_key *k, bool ipv6, uint32_t pseudo)
{
    size_t start = b->len;
    uint8_t *p;
    uint16_t csum_at = 0;
    bool csum = true;
    switch (k->nw_proto) {
    case 6:
        if (!(p = pb_room(b, PB_TCP_HLEN)))
            return 0;
        memcpy(p, &k->tp_src, 2);
        memcpy(p + 2, &k->tp_dst, 2);
        uint16_t flags = pb_h16(k->tcp_flags) & 0x0fff;
        p[12] = (uint8_t)(5 << 4 | flags >> 8);
        p[13] = (uint8_t)flags;
        pb_put16(p + 14, 0xffff); /* window */
        csum_at = 16;
        break;
    case 17:
        if (!(p = pb_room(b, PB_UDP_HLEN)))
            return 0;
        memcpy(p, &k->tp_src, 2);
        memcpy(p + 2, &k->tp_dst, 2);
        pb_put16(p + 4, PB_UDP_HLEN);
        csum_at = 6;
        break;
    case 132:
        if (!(p = pb_room(b, PB_SCTP_HLEN)))
            return 0;
        memcpy(p, &k->tp_src, 2);
        memcpy(p + 2, &k->tp_dst, 2);
        /* CRC32c over the packet with the field zero, stored least significant byte first
         * (RFC 4960 appendix B, as Linux writes it). */
        uint32_t crc = pkt_crc32c(p, PB_SCTP_HLEN);
        p[8] = (uint8_t)crc;
        p[9] = (uint8_t)(crc >> 8);
        p[10] = (uint8_t)(crc >> 16);
        p[11] = (uint8_t)(crc >> 24);
        csum = false;
        break;
    case 1:
    case 58: {
        if ((k->nw_proto == 58) != ipv6)
            return 0; /* ICMPv4 in IPv6 or the reverse: an opaque protocol there */
        uint8_t type = (uint8_t)pb_h16(k->tp_src), code = (uint8_t)pb_h16(k->tp_dst);
        bool nd = ipv6 && (type == 135 || type == 136) && code == 0;
        if (!(p = pb_room(b, nd ? PB_ND_LEN : PB_ICMP_HLEN)))
            return 0;
        p[0] = type;
        p[1] = code;
        if (nd) {
            memcpy(p + 8, k->nd_target, 16);
            const uint8_t *ll = type == 135 ? k->arp_sha : k->arp_tha;
            if (!pb_is_zero(ll, 6)) {
                uint8_t *o = pb_room(b, 8);
                if (!o)
                    return 0;
                o[0] = type == 135 ? 1 : 2; /* source / target link-layer address */
                o[1] = 1;                   /* one 8-byte unit */
                memcpy(o + 2, ll, 6);
            }
        }
        csum_at = 2;
        csum = ipv6; /* ICMPv4's checksum has no pseudo-header */
        if (!ipv6) {
            uint8_t *h = b->buf + start;
            pb_put16(h + 2, pb_fold(pb_sum(0, h, b->len - start)));
            return b->len - start;
        }
        break;
    }
    default:
        return 0;
    }
    size_t l4len = b->len - start;
    if (csum) {
        uint8_t *h = b->buf + start;
        uint16_t c = pb_fold(pb_sum(pseudo + (uint32_t)l4len, h, l4len));
        if (k->nw_proto == 17 && c == 0)
            c = 0xffff; /* 0 means "no checksum" in UDP */
        pb_put16(h + csum_at, c);
    }
    return l4len;
}

static void pb_ipv4(struct pb *b, const struct flow_key *k)
{
    uint8_t *ip = pb_room(b, PB_IPV4_HLEN);
    if (!ip)
        return;
    size_t ip_off = b->len - PB_IPV4_HLEN;
    ip[0] = 0x45;
    ip[1] = k->nw_tos;
    if (k->nw_frag & FLOW_NW_FRAG_LATER)
        pb_put16(ip + 6, PB_LATER_FRAG_UNITS);
    else if (k->nw_frag & FLOW_NW_FRAG_ANY)
        pb_put16(ip + 6, 0x2000); /* more fragments, offset 0: the first fragment */
    ip[8] = k->nw_ttl;
    ip[9] = k->nw_proto;
    memcpy(ip + 12, &k->nw_src, 4);
    memcpy(ip + 16, &k->nw_dst, 4);
    size_t l4 = 0;
    if (!(k->nw_frag & FLOW_NW_FRAG_LATER)) {
        uint32_t pseudo = pb_sum(0, ip + 12, 8) + k->nw_proto;
        l4 = pb_l4(b, k, false, pseudo);
    }
    ip = b->buf + ip_off;
    pb_put16(ip + 2, (uint16_t)(PB_IPV4_HLEN + l4));
    pb_put16(ip + 10, pb_fold(pb_sum(0, ip, PB_IPV4_HLEN)));
}

static void pb_ipv6(struct pb *b, const struct flow_key *k)
{
    uint8_t *ip = pb_room(b, PB_IPV6_HLEN);
    if (!ip)
        return;
    size_t ip_off = b->len - PB_IPV6_HLEN;
    uint32_t label = pb_h32(k->ipv6_label);
    pb_put32(ip, 6u << 28 | (uint32_t)k->nw_tos << 20 | (label & 0xfffff));
    ip[7] = k->nw_ttl;
    memcpy(ip + 8, k->ipv6_src, 16);
    memcpy(ip + 24, k->ipv6_dst, 16);
    size_t ext = 0;
    if (k->nw_frag & FLOW_NW_FRAG_ANY) {
        ip[6] = 44;
        uint8_t *fh = pb_room(b, PB_FRAG_HLEN);
        if (!fh)
            return;
        fh[0] = k->nw_proto;
        /* Offset in 8-byte units in the top 13 bits, M flag in bit 0. */
        pb_put16(fh + 2, k->nw_frag & FLOW_NW_FRAG_LATER ? PB_LATER_FRAG_UNITS << 3 : 1);
        pb_put32(fh + 4, 1); /* identification */
        ext = PB_FRAG_HLEN;
    } else {
        ip[6] = k->nw_proto;
    }
    size_t l4 = 0;
    if (!(k->nw_frag & FLOW_NW_FRAG_LATER)) {
        ip = b->buf + ip_off;
        uint32_t pseudo = pb_sum(0, ip + 8, 32) + k->nw_proto;
        l4 = pb_l4(b, k, true, pseudo);
    }
    ip = b->buf + ip_off;
    pb_put16(ip + 4, (uint16_t)(ext + l4));
}

static void pb_arp(struct pb *b, const struct flow_key *k)
{
    uint8_t *p = pb_room(b, PB_ARP_LEN);
    if (!p)
        return;
    pb_put16(p, 1);
    pb_put16(p + 2, 0x0800);
    p[4] = 6;
    p[5] = 4;
    pb_put16(p + 6, k->nw_proto);
    memcpy(p + 8, k->arp_sha, 6);
    memcpy(p + 14, &k->nw_src, 4);
    memcpy(p + 18, k->arp_tha, 6);
    memcpy(p + 24, &k->nw_dst, 4);
}

/* What kind of packet `k` describes, for messages. */
static void pb_kind(const struct flow_key *k, char *buf, size_t len)
{
    uint16_t type = pb_h16(k->eth_type);
    const char *l3 = type == 0x0800 ? "IPv4" : type == 0x86dd ? "IPv6" : NULL;
    if (type == 0x0806 || type == 0x8035)
        snprintf(buf, len, "an %s", type == 0x0806 ? "ARP" : "RARP");
    else if (type == FLOW_ETH_TYPE_NONE)
        snprintf(buf, len, "an 802.3 (non-Ethernet II)");
    else if (!l3)
        snprintf(buf, len, "an Ethernet type 0x%04x", type);
    else if (k->nw_frag & FLOW_NW_FRAG_LATER)
        snprintf(buf, len, "a later-fragment %s", l3);
    else
        snprintf(buf, len, "an %s protocol %u", l3, k->nw_proto);
}

/* Key bytes that are not in the frame: cleared on both sides before comparing. */
static void pb_strip(struct flow_key *k)
{
    k->in_port = 0;
    k->recirc_id = 0;
    k->metadata = 0;
    k->tun_id = 0;
    k->tun_src = 0;
    k->tun_dst = 0;
    k->flags = 0;
    k->pad0 = 0;
    memset(k->pad1, 0, sizeof k->pad1);
}

static int pb_mismatch(const struct flow_key *want, const struct flow_key *got, char *err,
                       size_t errlen)
{
    char kind[64];
    pb_kind(want, kind, sizeof kind);
    for (int i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[i];
        uint8_t a[16], b[16];
        flow_field_get_bytes(f, want, a);
        flow_field_get_bytes(f, got, b);
        if (f->n_bytes <= 8 ? flow_field_get(f, want) != flow_field_get(f, got)
                            : memcmp(a, b, f->n_bytes) != 0) {
            snprintf(err, errlen, "%s is set, but %s packet cannot carry it", f->name, kind);
            return -EINVAL;
        }
    }
    static const struct {
        const char *name;
        size_t off, n;
    } others[] = {
        {"vlan_tci", offsetof(struct flow_key, vlan_tci), 2},
        {"vlan_tpid", offsetof(struct flow_key, vlan_tpid), 2},
        {"the inner VLAN tag", offsetof(struct flow_key, vlan_inner_tci), 2},
        {"nw_frag", offsetof(struct flow_key, nw_frag), 1},
        {"nw_tos", offsetof(struct flow_key, nw_tos), 1},
    };
    for (size_t i = 0; i < sizeof others / sizeof others[0]; i++)
        if (memcmp((const uint8_t *)want + others[i].off, (const uint8_t *)got + others[i].off,
                   others[i].n)) {
            snprintf(err, errlen, "%s: %s packet cannot carry it as given", others[i].name, kind);
            return -EINVAL;
        }
    snprintf(err, errlen, "%s packet cannot carry this combination of fields", kind);
    return -EINVAL;
}

int pkt_build(const struct flow_key *key, uint8_t *buf, size_t cap, size_t *len, char *err,
              size_t errlen)
{
    struct pb b = {.buf = buf, .cap = cap};
    uint8_t *eth = pb_room(&b, 12);
    if (eth) {
        memcpy(eth, key->eth_dst, 6);
        memcpy(eth + 6, key->eth_src, 6);
    }
    uint16_t tci = pb_h16(key->vlan_tci), inner = pb_h16(key->vlan_inner_tci);
    if (tci & FLOW_VLAN_PRESENT) {
        uint8_t *t = pb_room(&b, 4);
        if (t) {
            pb_put16(t, key->vlan_tpid ? pb_h16(key->vlan_tpid) : 0x8100);
            pb_put16(t + 2, tci & (uint16_t)~FLOW_VLAN_PRESENT);
        }
        if (inner & FLOW_VLAN_PRESENT && (t = pb_room(&b, 4))) {
            pb_put16(t, 0x8100);
            pb_put16(t + 2, inner & (uint16_t)~FLOW_VLAN_PRESENT);
        }
    }
    uint16_t type = pb_h16(key->eth_type);
    uint8_t *tp = pb_room(&b, 2);
    size_t l3 = b.len;
    switch (type) {
    case 0x0800:
        pb_ipv4(&b, key);
        break;
    case 0x86dd:
        pb_ipv6(&b, key);
        break;
    case 0x0806:
    case 0x8035:
        pb_arp(&b, key);
        break;
    default:
        break;
    }
    if (b.len < PKT_BUILD_MIN_LEN)
        pb_room(&b, PKT_BUILD_MIN_LEN - b.len);
    if (tp) {
        /* 802.3: the type field is the payload's length (always below 0x600 here). */
        pb_put16(tp, type == FLOW_ETH_TYPE_NONE ? (uint16_t)(b.len - l3) : type);
    }
    if (b.overflow) {
        snprintf(err, errlen, "a buffer of %zu bytes is too small for the frame", cap);
        return -ENOSPC;
    }

    struct flow_key want = *key, got;
    flow_key_parse(buf, (uint32_t)b.len, key->in_port, &got, NULL);
    pb_strip(&want);
    pb_strip(&got);
    if (memcmp(&want, &got, sizeof want))
        return pb_mismatch(&want, &got, err, errlen);
    *len = b.len;
    return 0;
}
