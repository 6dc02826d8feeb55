/* flow-key.h — the parsed form of one packet, and masked matches over it.
 *
 * What?
 *   Every packet is parsed once, on arrival, into a struct flow_key: the fields that rules,
 *   caches and actions may look at (in_port and tunnel metadata, Ethernet, up to two VLAN tags,
 *   ARP, IPv4, IPv6, TCP/UDP/SCTP ports, ICMP/ICMPv6 type and code, IPv6 ND). Everything after
 *   this point (the reference rule table, the exact-match and megaflow caches, trace) works on
 *   the key, never on raw bytes.
 *
 * Layout and byte order.
 *   Multi-byte packet fields are kept in network byte order, exactly as on the wire (as OVS
 *   does): masking and comparing are then plain word operations, and a key can be hashed as
 *   an array of uint64_t. Metadata that never appears on the wire (in_port) is host order.
 *   The struct is a whole number of 64-bit words with no implicit padding, so that
 *   `(key & mask) == value` can be evaluated word by word (flow_match_hit()).
 *
 *   Conventions borrowed from OVS, so that ovs-ofctl's syntax maps one to one:
 *   - eth_type is the innermost EtherType after VLAN tags; frames with a length field
 *     (802.3, < 0x600) get FLOW_ETH_TYPE_NONE.
 *   - vlan_tci is the outer tag's TCI with FLOW_VLAN_PRESENT (0x1000, the CFI bit) set when a
 *     tag is present, so "no VLAN" is vlan_tci == 0. vlan_tpid is its TPID (0x8100 or 0x88a8).
 *     vlan_inner_tci likewise for a second (802.1ad QinQ) tag.
 *   - ARP: nw_proto holds the opcode's low byte, nw_src/nw_dst the SPA/TPA, arp_sha/arp_tha
 *     the SHA/THA.
 *   - ICMPv4/ICMPv6: tp_src holds the type, tp_dst the code (both as be16 of the 8-bit value).
 *   - IPv6 ND: nd_target, with arp_sha = source link-layer address option and arp_tha =
 *     target link-layer address option.
 *
 * Safety.
 *   flow_key_parse() never reads past `len`. A truncated or malformed header stops parsing at
 *   the last valid layer: the fields of that layer and above stay zero and `flags` says why
 *   (FLOW_F_TRUNCATED / FLOW_F_MALFORMED). Such a key is still matchable on what was valid.
 *
 * Threads.
 *   Pure functions over caller-owned memory: safe from any thread, no allocation.
 */
#ifndef SLUICE_DATAPATH_FLOW_KEY_H
#define SLUICE_DATAPATH_FLOW_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FLOW_VLAN_PRESENT 0x1000   /* in host order; compare against ntohs(vlan_tci) */
#define FLOW_VLAN_VID_MASK 0x0fff
#define FLOW_VLAN_PCP_SHIFT 13
#define FLOW_ETH_TYPE_NONE 0x05ff  /* host order; "not Ethernet II" as in OVS */

/* nw_frag bits. */
enum flow_nw_frag {
    FLOW_NW_FRAG_ANY = 1 << 0,   /* any fragment, first or later */
    FLOW_NW_FRAG_LATER = 1 << 1, /* not the first fragment: no L4 header */
};

/* flags: how parsing ended. Not a match field. */
enum flow_parse_flags {
    FLOW_F_TRUNCATED = 1 << 0, /* a header was cut short by the end of the packet */
    FLOW_F_MALFORMED = 1 << 1, /* a header's own fields were invalid (IHL < 5, bad version) */
    FLOW_F_VLAN_EXTRA = 1 << 2 /* more than two VLAN tags: third and later not parsed */
};

struct flow_key {
    /* Metadata (word 0-4). */
    uint32_t in_port;    /* host order: OpenFlow port number of the ingress port */
    uint32_t recirc_id;  /* host order: 0 on arrival; set when a packet re-enters the pipeline */
    uint64_t metadata;   /* be64: OpenFlow metadata register */
    uint64_t tun_id;     /* be64: VNI of the tunnel the packet came from, 0 if none */
    uint32_t tun_src;    /* be32: outer source IPv4 of the tunnel */
    uint32_t tun_dst;    /* be32: outer destination IPv4 of the tunnel */

    /* Ethernet and VLAN (words 5-7). */
    uint8_t eth_dst[6];
    uint8_t eth_src[6];
    uint16_t eth_type;       /* be16 */
    uint16_t vlan_tci;       /* be16, FLOW_VLAN_PRESENT when tagged */
    uint16_t vlan_tpid;      /* be16, 0 when untagged */
    uint16_t vlan_inner_tci; /* be16, second tag, FLOW_VLAN_PRESENT when tagged */

    /* L3 (words 8-13). */
    uint32_t nw_src;     /* be32: IPv4 source, or ARP SPA */
    uint32_t nw_dst;     /* be32: IPv4 destination, or ARP TPA */
    uint8_t ipv6_src[16];
    uint8_t ipv6_dst[16];
    uint32_t ipv6_label; /* be32, low 20 bits */
    uint8_t nw_proto;    /* IP protocol / IPv6 next header, or ARP opcode */
    uint8_t nw_tos;      /* DSCP << 2 | ECN */
    uint8_t nw_ttl;      /* IPv4 TTL / IPv6 hop limit */
    uint8_t nw_frag;     /* enum flow_nw_frag */

    /* L4 (words 14-18). */
    uint16_t tp_src;     /* be16: TCP/UDP/SCTP source port, or ICMP type */
    uint16_t tp_dst;     /* be16: TCP/UDP/SCTP destination port, or ICMP code */
    uint16_t tcp_flags;  /* be16, low 12 bits */
    uint8_t arp_sha[6];  /* ARP SHA, or IPv6 ND source link-layer address */
    uint8_t arp_tha[6];  /* ARP THA, or IPv6 ND target link-layer address */
    uint8_t nd_target[16];
    uint16_t pad0;

    /* Not a match field: how parsing ended (enum flow_parse_flags). Always masked out. */
    uint16_t flags;
    uint16_t pad1[3];
};

#define FLOW_KEY_WORDS (sizeof(struct flow_key) / sizeof(uint64_t))
/* Words 0-3 (in_port, recirc_id, metadata, tunnel) come from the pipeline, not the packet:
 * a lookup that needs only these needs no parsing. */
#define FLOW_KEY_META_WORDS 4
_Static_assert(offsetof(struct flow_key, eth_dst) == FLOW_KEY_META_WORDS * sizeof(uint64_t),
               "the packet's fields start right after the metadata words");
_Static_assert(sizeof(struct flow_key) % sizeof(uint64_t) == 0, "flow_key must be whole words");

/* Where each layer starts in the packet, for actions that rewrite headers.
 * An offset of 0xffff means the layer is absent. */
struct flow_layout {
    uint16_t l2;      /* start of Ethernet header (always 0) */
    uint16_t l2_5;    /* first VLAN tag, or 0xffff */
    uint16_t l3;      /* IPv4/IPv6/ARP header */
    uint16_t l4;      /* TCP/UDP/SCTP/ICMP header */
    uint16_t l7;      /* payload after L4 (== packet length when the payload is empty) */
};
#define FLOW_LAYOUT_NONE 0xffff

/* Parses `len` bytes at `data` (an Ethernet frame) into `key` (fully overwritten) and, when
 * `layout` is non-NULL, the header offsets. Never reads beyond data[len - 1].
 * Returns 0 when every present header was complete and valid, else the FLOW_F_* flags that
 * ended parsing early (also stored in key->flags). */
int flow_key_parse(const void *data, uint32_t len, uint32_t in_port, struct flow_key *key,
                   struct flow_layout *layout);

/* A masked match: a packet key k hits when (k & mask) == value, word by word.
 * `value` is kept pre-masked (value & mask == value); flow_match_normalize() restores that
 * after the fields were written one by one. */
struct flow_match {
    struct flow_key value;
    struct flow_key mask;
};

static inline bool flow_match_hit(const struct flow_match *m, const struct flow_key *k)
{
    const uint64_t *v = (const uint64_t *)&m->value;
    const uint64_t *msk = (const uint64_t *)&m->mask;
    const uint64_t *w = (const uint64_t *)k;
    uint64_t diff = 0;
    for (size_t i = 0; i < FLOW_KEY_WORDS; i++)
        diff |= (w[i] & msk[i]) ^ v[i];
    return diff == 0;
}

/* value &= mask; mask.flags = 0 and padding cleared. */
void flow_match_normalize(struct flow_match *m);

/* True when the two matches have identical masks and values (OpenFlow "strict" equality). */
bool flow_match_equal(const struct flow_match *a, const struct flow_match *b);

/* Hash of a full key (for exact-match caches and flow-hash based choices, e.g. VXLAN source
 * port, select groups). */
uint32_t flow_key_hash(const struct flow_key *k, uint32_t basis);

#endif
