/* flow-key.c — one pass over a frame's headers into a struct flow_key.
 *
 * How parsing stops.
 *   Each layer is checked in full (length first, then its own fields) before any of its
 *   fields is written to the key, so a layer is either all there or all zero. Two parts of a
 *   layer count as layers of their own: the IPv6 extension chain (when it is cut, the fixed
 *   header's fields stay and nw_proto names the header that was cut) and the ND message
 *   after the ICMPv6 header (target, then options; bad options leave SLL/TLL zero). The functions
 *   return the FLOW_F_* reason parsing stopped early, or 0. Lengths are always compared as
 *   "needed <= left" on unsigned values that cannot wrap, so no read goes past `len`.
 *
 *   IPv4 total length and IPv6 payload length bound what the next layer may use (the rest of
 *   the frame is Ethernet padding). A length field that claims more than the frame holds makes
 *   the whole IP layer invalid (TRUNCATED, no IP field set), as OVS does: an IP header whose
 *   length cannot be trusted cannot be trusted for its addresses either.
 *
 * Layout.
 *   An offset is set only for a layer that parsed completely, so an action that finds
 *   layout->l4 set may rewrite the L4 header it names without further length checks.
 *   l4 is also set for IP protocols we do not parse (it is the start of the IP payload,
 *   when there is one); l7 is the end of the parsed L4 header and equals len when there is
 *   no payload. So l2_5, l3 and l4 are always < len, and l7 <= len.
 *   Offsets are 16-bit; frames are parsed up to FLOW_PARSE_MAX_LEN bytes, which no single
 *   mbuf segment exceeds.
 *
 * Hot path.
 *   No allocation and no calls out of this file: the key is cleared with one struct
 *   assignment, which compilers emit as a few vector stores, and every other field is
 *   written at most once.
 */
#include "datapath/flow-key.h"
#include "datapath/hash.h"

#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#define FLOW_PARSE_MAX_LEN 0xfffeu /* keeps every offset, and l7 == len, below FLOW_LAYOUT_NONE */

enum {
    ETH_HDR_LEN = 14,
    VLAN_TAG_LEN = 4, /* TCI + the next EtherType; the TPID was the previous EtherType */
    ARP_FIXED_LEN = 8,
    ARP_ETH_IPV4_LEN = 28,
    IPV4_MIN_HDR_LEN = 20,
    IPV6_HDR_LEN = 40,
    IPV6_EXT_MIN_LEN = 8,
    TCP_MIN_HDR_LEN = 20,
    UDP_HDR_LEN = 8,
    SCTP_HDR_LEN = 12,
    ICMP_HDR_LEN = 8,
    ND_MSG_LEN = 24,         /* ICMPv6 header + reserved/flags word + 16-byte target */
    ND_OPT_LLADDR_UNITS = 1, /* an Ethernet link-layer address option is one 8-byte unit */
};

enum {
    ETHERTYPE_MIN = 0x0600, /* below: an 802.3 length field */
    ETHERTYPE_IPV4 = 0x0800,
    ETHERTYPE_ARP = 0x0806,
    ETHERTYPE_RARP = 0x8035,
    ETHERTYPE_VLAN = 0x8100,
    ETHERTYPE_IPV6 = 0x86dd,
    ETHERTYPE_QINQ = 0x88a8,
};

enum {
    PROTO_HOPOPTS = 0,
    PROTO_ICMP = 1,
    PROTO_TCP = 6,
    PROTO_UDP = 17,
    PROTO_ROUTING = 43,
    PROTO_FRAGMENT = 44,
    PROTO_AH = 51,
    PROTO_ICMPV6 = 58,
    PROTO_DSTOPTS = 60,
    PROTO_SCTP = 132,
};

enum {
    ND_NEIGHBOR_SOLICIT = 135,
    ND_NEIGHBOR_ADVERT = 136,
    ND_OPT_SOURCE_LLADDR = 1,
    ND_OPT_TARGET_LLADDR = 2,
};

enum {
    IPV4_FRAG_MF_OFFSET = 0x3fff, /* MF flag and fragment offset */
    IPV4_FRAG_OFFSET = 0x1fff,
    IPV6_FRAG_OFFSET = 0xfff8,
};

static inline uint16_t to_be16(uint16_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap16(v);
#else
    return v;
#endif
}

static inline uint32_t to_be32(uint32_t v)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    return __builtin_bswap32(v);
#else
    return v;
#endif
}

/* Packet bytes may sit at any alignment: every multi-byte read goes through memcpy (a plain
 * load on x86). The raw_ readers keep network order, the host_ readers convert. */
static inline uint16_t raw16(const uint8_t *p)
{
    uint16_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint32_t raw32(const uint8_t *p)
{
    uint32_t v;
    memcpy(&v, p, sizeof v);
    return v;
}

static inline uint16_t host16(const uint8_t *p)
{
    return (uint16_t)((uint16_t)p[0] << 8 | p[1]);
}

static inline uint32_t host32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline bool is_vlan_tpid(uint16_t type)
{
    return type == ETHERTYPE_VLAN || type == ETHERTYPE_QINQ;
}

/* IPv6 Neighbor Discovery: the target, then the options. Only an option of the kind the
 * message carries (SLL in a solicitation, TLL in an advertisement, RFC 4861 4.3/4.4) and of
 * Ethernet size is taken, the first one wins; other options are skipped. A zero-length or
 * cut option invalidates the option area, so SLL/TLL stay zero; the target stays. */
static int parse_nd(const uint8_t *p, uint32_t left, uint8_t type, struct flow_key *k)
{
    if (left < ND_MSG_LEN)
        return FLOW_F_TRUNCATED;
    memcpy(k->nd_target, p + 8, sizeof k->nd_target);

    const uint8_t want = type == ND_NEIGHBOR_SOLICIT ? ND_OPT_SOURCE_LLADDR : ND_OPT_TARGET_LLADDR;
    uint8_t *dst = type == ND_NEIGHBOR_SOLICIT ? k->arp_sha : k->arp_tha;
    const uint8_t *lladdr = NULL;
    uint32_t o = ND_MSG_LEN;
    while (left - o >= 2) {
        uint32_t opt_len = (uint32_t)p[o + 1] * 8;
        if (opt_len == 0)
            return FLOW_F_MALFORMED; /* RFC 4861 4.6: such a packet must be discarded */
        if (opt_len > left - o)
            return FLOW_F_TRUNCATED;
        if (!lladdr && p[o] == want && p[o + 1] == ND_OPT_LLADDR_UNITS)
            lladdr = p + o + 2;
        o += opt_len;
    }
    if (o != left)
        return FLOW_F_TRUNCATED; /* one stray byte: an option cut after its type */
    if (lladdr)
        memcpy(dst, lladdr, 6);
    return 0;
}

/* L4 of an IP packet: `left` is what the IP length fields allow, `ofs` the offset of p. */
static int parse_l4(const uint8_t *p, uint32_t left, uint32_t ofs, uint8_t proto, bool ipv6,
                    struct flow_key *k, struct flow_layout *lay)
{
    uint32_t hlen;
    int flags = 0;

    switch (proto) {
    case PROTO_TCP:
        if (left < TCP_MIN_HDR_LEN)
            return FLOW_F_TRUNCATED;
        hlen = (uint32_t)(p[12] >> 4) * 4;
        if (hlen < TCP_MIN_HDR_LEN)
            return FLOW_F_MALFORMED;
        if (hlen > left)
            return FLOW_F_TRUNCATED;
        k->tp_src = raw16(p);
        k->tp_dst = raw16(p + 2);
        k->tcp_flags = raw16(p + 12) & to_be16(0x0fff);
        break;
    case PROTO_UDP:
        if (left < UDP_HDR_LEN)
            return FLOW_F_TRUNCATED;
        hlen = UDP_HDR_LEN;
        k->tp_src = raw16(p);
        k->tp_dst = raw16(p + 2);
        break;
    case PROTO_SCTP:
        if (left < SCTP_HDR_LEN)
            return FLOW_F_TRUNCATED;
        hlen = SCTP_HDR_LEN;
        k->tp_src = raw16(p);
        k->tp_dst = raw16(p + 2);
        break;
    case PROTO_ICMP:
    case PROTO_ICMPV6:
        /* ICMPv4 inside IPv6 (or ICMPv6 inside IPv4) is an unknown protocol there. */
        if (ipv6 != (proto == PROTO_ICMPV6))
            goto opaque;
        if (left < ICMP_HDR_LEN)
            return FLOW_F_TRUNCATED;
        hlen = ICMP_HDR_LEN;
        k->tp_src = to_be16(p[0]);
        k->tp_dst = to_be16(p[1]);
        if (ipv6 && (p[0] == ND_NEIGHBOR_SOLICIT || p[0] == ND_NEIGHBOR_ADVERT) && p[1] == 0)
            flags = parse_nd(p, left, p[0], k);
        break;
    default:
    opaque:
        if (left) /* l2_5..l4 name headers that exist: an empty payload has none */
            lay->l4 = (uint16_t)ofs;
        return 0;
    }
    lay->l4 = (uint16_t)ofs;
    lay->l7 = (uint16_t)(ofs + hlen);
    return flags;
}

static int parse_ipv4(const uint8_t *p, uint32_t left, uint32_t ofs, struct flow_key *k,
                      struct flow_layout *lay)
{
    if (left < IPV4_MIN_HDR_LEN)
        return FLOW_F_TRUNCATED;
    if (p[0] >> 4 != 4)
        return FLOW_F_MALFORMED;
    uint32_t ihl = (uint32_t)(p[0] & 0x0f) * 4;
    if (ihl < IPV4_MIN_HDR_LEN)
        return FLOW_F_MALFORMED;
    if (ihl > left)
        return FLOW_F_TRUNCATED;
    uint32_t tot_len = host16(p + 2);
    if (tot_len < ihl)
        return FLOW_F_MALFORMED;
    if (tot_len > left)
        return FLOW_F_TRUNCATED;

    k->nw_src = raw32(p + 12);
    k->nw_dst = raw32(p + 16);
    k->nw_proto = p[9];
    k->nw_tos = p[1];
    k->nw_ttl = p[8];
    lay->l3 = (uint16_t)ofs;

    uint16_t frag = host16(p + 6);
    if (frag & IPV4_FRAG_MF_OFFSET) {
        if (frag & IPV4_FRAG_OFFSET) {
            k->nw_frag = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
            return 0; /* a later fragment carries no L4 header */
        }
        k->nw_frag = FLOW_NW_FRAG_ANY;
    }
    return parse_l4(p + ihl, tot_len - ihl, ofs + ihl, p[9], false, k, lay);
}

static int parse_ipv6(const uint8_t *p, uint32_t left, uint32_t ofs, struct flow_key *k,
                      struct flow_layout *lay)
{
    if (left < IPV6_HDR_LEN)
        return FLOW_F_TRUNCATED;
    uint32_t vtc_flow = host32(p);
    if (vtc_flow >> 28 != 6)
        return FLOW_F_MALFORMED;
    uint32_t rem = host16(p + 4);
    if (rem > left - IPV6_HDR_LEN)
        return FLOW_F_TRUNCATED;

    memcpy(k->ipv6_src, p + 8, 16);
    memcpy(k->ipv6_dst, p + 24, 16);
    k->ipv6_label = to_be32(vtc_flow & 0xfffff);
    k->nw_tos = (uint8_t)(vtc_flow >> 20);
    k->nw_ttl = p[7];
    lay->l3 = (uint16_t)ofs;

    /* Walk the extension headers to the upper-layer protocol. Every header is at least
     * 8 bytes, so the loop ends within rem / 8 steps. When a header is cut short, nw_proto
     * names that header: it is the last next-header value that could be read. */
    uint8_t nxt = p[6];
    const uint8_t *q = p + IPV6_HDR_LEN;
    ofs += IPV6_HDR_LEN;
    for (;;) {
        uint32_t ext_len;
        switch (nxt) {
        case PROTO_HOPOPTS:
        case PROTO_ROUTING:
        case PROTO_DSTOPTS:
            if (rem < IPV6_EXT_MIN_LEN)
                goto cut;
            ext_len = ((uint32_t)q[1] + 1) * 8;
            break;
        case PROTO_AH:
            if (rem < IPV6_EXT_MIN_LEN)
                goto cut;
            ext_len = ((uint32_t)q[1] + 2) * 4; /* RFC 4302: 32-bit words, minus 2 */
            break;
        case PROTO_FRAGMENT:
            if (rem < IPV6_EXT_MIN_LEN)
                goto cut;
            if (host16(q + 2) & IPV6_FRAG_OFFSET) {
                k->nw_frag = FLOW_NW_FRAG_ANY | FLOW_NW_FRAG_LATER;
                k->nw_proto = q[0];
                return 0;
            }
            /* As OVS: any fragment header, even an atomic one, makes the packet a fragment. */
            k->nw_frag = FLOW_NW_FRAG_ANY;
            ext_len = IPV6_EXT_MIN_LEN;
            break;
        default:
            k->nw_proto = nxt;
            return parse_l4(q, rem, ofs, nxt, true, k, lay);
        }
        if (ext_len > rem)
            goto cut;
        nxt = q[0];
        q += ext_len;
        rem -= ext_len;
        ofs += ext_len;
    }
cut:
    k->nw_proto = nxt;
    return FLOW_F_TRUNCATED;
}

static int parse_arp(const uint8_t *p, uint32_t left, uint32_t ofs, struct flow_key *k,
                     struct flow_layout *lay)
{
    if (left < ARP_FIXED_LEN)
        return FLOW_F_TRUNCATED;
    /* Only Ethernet/IPv4 ARP has the fields the key holds. */
    if (host16(p) != 1 || host16(p + 2) != ETHERTYPE_IPV4 || p[4] != 6 || p[5] != 4)
        return FLOW_F_MALFORMED;
    if (left < ARP_ETH_IPV4_LEN)
        return FLOW_F_TRUNCATED;

    uint16_t op = host16(p + 6);
    /* As OVS: only opcodes that fit the 8-bit field are kept; larger ones read as 0. */
    k->nw_proto = op <= 0xff ? (uint8_t)op : 0;
    memcpy(k->arp_sha, p + 8, 6);
    k->nw_src = raw32(p + 14);
    memcpy(k->arp_tha, p + 18, 6);
    k->nw_dst = raw32(p + 24);
    lay->l3 = (uint16_t)ofs;
    return 0;
}

/* Ethernet and up to two VLAN tags, then the L3 dispatch. */
static int parse_l2(const uint8_t *pkt, uint32_t len, struct flow_key *k, struct flow_layout *lay)
{
    if (len < ETH_HDR_LEN)
        return FLOW_F_TRUNCATED;
    memcpy(k->eth_dst, pkt, 6);
    memcpy(k->eth_src, pkt + 6, 6);

    /* A tag that cannot be parsed (cut, or a third one) leaves its TPID as eth_type, so the
     * key still tells what the frame carries, as OVS does beyond its VLAN limit. */
    uint32_t ofs = ETH_HDR_LEN;
    uint16_t type = host16(pkt + 12);
    if (is_vlan_tpid(type)) {
        if (len - ofs < VLAN_TAG_LEN) {
            k->eth_type = to_be16(type);
            return FLOW_F_TRUNCATED;
        }
        k->vlan_tpid = to_be16(type);
        k->vlan_tci = raw16(pkt + ofs) | to_be16(FLOW_VLAN_PRESENT);
        lay->l2_5 = (uint16_t)ofs;
        type = host16(pkt + ofs + 2);
        ofs += VLAN_TAG_LEN;
        if (is_vlan_tpid(type)) {
            if (len - ofs < VLAN_TAG_LEN) {
                k->eth_type = to_be16(type);
                return FLOW_F_TRUNCATED;
            }
            k->vlan_inner_tci = raw16(pkt + ofs) | to_be16(FLOW_VLAN_PRESENT);
            type = host16(pkt + ofs + 2);
            ofs += VLAN_TAG_LEN;
            if (is_vlan_tpid(type)) {
                k->eth_type = to_be16(type);
                return FLOW_F_VLAN_EXTRA;
            }
        }
    }

    if (type < ETHERTYPE_MIN) {
        k->eth_type = to_be16(FLOW_ETH_TYPE_NONE);
        return 0;
    }
    k->eth_type = to_be16(type);
    switch (type) {
    case ETHERTYPE_IPV4:
        return parse_ipv4(pkt + ofs, len - ofs, ofs, k, lay);
    case ETHERTYPE_IPV6:
        return parse_ipv6(pkt + ofs, len - ofs, ofs, k, lay);
    case ETHERTYPE_ARP:
    case ETHERTYPE_RARP:
        return parse_arp(pkt + ofs, len - ofs, ofs, k, lay);
    default:
        return 0;
    }
}

/* Zeroes a key with plain 16-byte stores. A struct assignment or memset compiles to
 * `rep stos` here, whose start-up cost (~30 cycles) was a fifth of the parser's time. */
static inline void key_zero(struct flow_key *key)
{
#if defined(__SSE2__)
    /* Written out: gcc turns a loop of these back into memset, hence rep stos. */
    _Static_assert(sizeof *key == 9 * 16, "key_zero() writes exactly 144 bytes");
    uint8_t *p = (uint8_t *)key;
    __m128i z = _mm_setzero_si128();
    _mm_storeu_si128((__m128i *)(void *)(p + 0), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 16), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 32), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 48), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 64), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 80), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 96), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 112), z);
    _mm_storeu_si128((__m128i *)(void *)(p + 128), z);
#else
    *key = (struct flow_key){0};
#endif
}

int flow_key_parse(const void *data, uint32_t len, uint32_t in_port, struct flow_key *key,
                   struct flow_layout *layout)
{
    struct flow_layout lay = {
        .l2 = 0,
        .l2_5 = FLOW_LAYOUT_NONE,
        .l3 = FLOW_LAYOUT_NONE,
        .l4 = FLOW_LAYOUT_NONE,
        .l7 = FLOW_LAYOUT_NONE,
    };
    /* Every byte of the key, padding included, is defined: caches hash and compare keys as
     * whole words. */
    key_zero(key);
    key->in_port = in_port;
    if (len > FLOW_PARSE_MAX_LEN)
        len = FLOW_PARSE_MAX_LEN;

    int flags = data ? parse_l2(data, len, key, &lay) : FLOW_F_TRUNCATED;
    key->flags = (uint16_t)flags;
    if (layout)
        *layout = lay;
    return flags;
}

/* Keys are handled as arrays of 64-bit words; memcpy keeps those loads free of aliasing
 * assumptions and still compiles to plain moves. */
static inline uint64_t key_word(const struct flow_key *k, size_t i)
{
    uint64_t w;
    memcpy(&w, (const uint8_t *)k + i * sizeof w, sizeof w);
    return w;
}

static inline void key_set_word(struct flow_key *k, size_t i, uint64_t w)
{
    memcpy((uint8_t *)k + i * sizeof w, &w, sizeof w);
}

void flow_match_normalize(struct flow_match *m)
{
    m->mask.flags = 0;
    m->mask.pad0 = 0;
    memset(m->mask.pad1, 0, sizeof m->mask.pad1);
    for (size_t i = 0; i < FLOW_KEY_WORDS; i++)
        key_set_word(&m->value, i, key_word(&m->value, i) & key_word(&m->mask, i));
}

bool flow_match_equal(const struct flow_match *a, const struct flow_match *b)
{
    uint64_t diff = 0;
    for (size_t i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t ma = key_word(&a->mask, i), mb = key_word(&b->mask, i);
        diff |= ma ^ mb;
        diff |= (key_word(&a->value, i) & ma) ^ (key_word(&b->value, i) & mb);
    }
    return diff == 0;
}


#if defined(__SSE4_2__)
#include <nmmintrin.h>

/* CRC32C over the key's words in three independent lanes (the instruction has a 3-cycle
 * latency and a throughput of one per cycle), then hash_fmix64 over the lanes: CRC alone is
 * linear and keeps only 32 bits per lane. On x86 DPDK already requires SSE4.2, so this is
 * the path every build takes there; it needs nothing from DPDK, so it works before EAL. */
_Static_assert(FLOW_KEY_WORDS % 3 == 0, "flow_key_hash consumes the key in three lanes");

uint32_t flow_key_hash(const struct flow_key *k, uint32_t basis)
{
    uint64_t a = basis, b = basis ^ 0x9e3779b9u, c = basis ^ 0x85ebca6bu;
    for (size_t i = 0; i < FLOW_KEY_WORDS; i += 3) {
        a = _mm_crc32_u64(a, key_word(k, i));
        b = _mm_crc32_u64(b, key_word(k, i + 1));
        c = _mm_crc32_u64(c, key_word(k, i + 2));
    }
    uint64_t h = hash_fmix64((a << 32 | b) ^ (c * 0x9e3779b97f4a7c15ull));
    return (uint32_t)(h ^ (h >> 32));
}

#else

/* Without CRC32C: MurmurHash3 x64/128's block function over 16-byte blocks, two lanes. */
_Static_assert(FLOW_KEY_WORDS % 2 == 0, "flow_key_hash consumes 16-byte blocks");

static inline uint64_t rotl64(uint64_t x, unsigned r)
{
    return (x << r) | (x >> (64 - r));
}

uint32_t flow_key_hash(const struct flow_key *k, uint32_t basis)
{
    const uint64_t c1 = 0x87c37b91114253d5ull;
    const uint64_t c2 = 0x4cf5ad432745937full;
    uint64_t h1 = basis, h2 = basis;

    for (size_t i = 0; i < FLOW_KEY_WORDS; i += 2) {
        uint64_t k1 = key_word(k, i), k2 = key_word(k, i + 1);

        k1 *= c1;
        k1 = rotl64(k1, 31);
        k1 *= c2;
        h1 ^= k1;
        h1 = rotl64(h1, 27);
        h1 += h2;
        h1 = h1 * 5 + 0x52dce729;

        k2 *= c2;
        k2 = rotl64(k2, 33);
        k2 *= c1;
        h2 ^= k2;
        h2 = rotl64(h2, 31);
        h2 += h1;
        h2 = h2 * 5 + 0x38495ab5;
    }
    h1 ^= sizeof *k;
    h2 ^= sizeof *k;
    h1 += h2;
    h2 += h1;
    h1 = hash_fmix64(h1);
    h2 = hash_fmix64(h2);
    h1 += h2;
    return (uint32_t)(h1 ^ (h1 >> 32));
}

#endif
