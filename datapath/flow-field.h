/* flow-field.h — the table of matchable and settable fields.
 *
 * One row per field a rule can match or an action can set: its name(s) in ovs-ofctl syntax,
 * where it lives in struct flow_key, its width, its OpenFlow 1.3 OXM number, and what must be
 * true of a packet for the field to exist (its prerequisite). The flow-syntax parser and
 * formatter, the OpenFlow OXM codec, set_field, and trace all work from this one table, so
 * that a field added here is known everywhere.
 *
 * Values.
 *   Fields of up to 8 bytes are read and written as a uint64_t in host order
 *   (flow_field_get / flow_field_set): the field's bytes in the key are big-endian, and a
 *   sub-byte field (vlan_pcp, ip_dscp, ip_ecn, vlan_vid) is the bits under `bits`, shifted
 *   down by `shift`. Wider fields (IPv6 addresses, ND target) are 16 raw bytes
 *   (flow_field_get_bytes / flow_field_set_bytes). Masks use the same representation.
 *
 * vlan_vid follows OpenFlow 1.3: a 13-bit value where 0x1000 (OFPVID_PRESENT) means "a tag is
 * present", which is exactly how struct flow_key stores vlan_tci's low 13 bits.
 */
#ifndef SLUICE_DATAPATH_FLOW_FIELD_H
#define SLUICE_DATAPATH_FLOW_FIELD_H

#include <stdbool.h>
#include <stdint.h>

#include "datapath/flow-key.h"

enum flow_field_id {
    FF_IN_PORT,
    FF_METADATA,
    FF_TUN_ID,
    FF_ETH_DST,
    FF_ETH_SRC,
    FF_ETH_TYPE,
    FF_VLAN_VID,
    FF_VLAN_PCP,
    FF_IP_DSCP,
    FF_IP_ECN,
    FF_NW_TTL,
    FF_IP_PROTO,
    FF_IPV4_SRC,
    FF_IPV4_DST,
    FF_IPV6_SRC,
    FF_IPV6_DST,
    FF_IPV6_LABEL,
    FF_TCP_SRC,
    FF_TCP_DST,
    FF_UDP_SRC,
    FF_UDP_DST,
    FF_SCTP_SRC,
    FF_SCTP_DST,
    FF_ICMPV4_TYPE,
    FF_ICMPV4_CODE,
    FF_ICMPV6_TYPE,
    FF_ICMPV6_CODE,
    FF_ARP_OP,
    FF_ARP_SPA,
    FF_ARP_TPA,
    FF_ARP_SHA,
    FF_ARP_THA,
    FF_ND_TARGET,
    FF_ND_SLL,
    FF_ND_TLL,
    FF_TCP_FLAGS,
    FF_N_FIELDS
};

/* What a packet must be for a field to exist. Matching a field requires that the match also
 * pins its prerequisite (as OpenFlow and ovs-ofctl require: "tcp,tp_dst=80", not
 * "tp_dst=80"). */
enum flow_prereq {
    FP_NONE,
    FP_VLAN,   /* vlan_tci has FLOW_VLAN_PRESENT */
    FP_IPV4,   /* eth_type 0x0800 */
    FP_IPV6,   /* eth_type 0x86dd */
    FP_IP_ANY, /* IPv4 or IPv6 */
    FP_ARP,    /* eth_type 0x0806 (or RARP 0x8035) */
    FP_TCP,    /* IP_ANY and nw_proto 6 */
    FP_UDP,    /* IP_ANY and nw_proto 17 */
    FP_SCTP,   /* IP_ANY and nw_proto 132 */
    FP_ICMPV4, /* IPV4 and nw_proto 1 */
    FP_ICMPV6, /* IPV6 and nw_proto 58 */
    FP_ND,     /* ICMPV6 and type 135 or 136 */
    FP_ND_NS,  /* ICMPV6 and type 135 */
    FP_ND_NA,  /* ICMPV6 and type 136 */
};

enum flow_field_format {
    FFF_DECIMAL, /* integer, printed in decimal */
    FFF_HEX,     /* integer, printed 0x... */
    FFF_ETHERNET,
    FFF_IPV4,
    FFF_IPV6,
    FFF_PORT,    /* an OpenFlow port number (name when a resolver knows it) */
};

struct flow_field {
    enum flow_field_id id;
    const char *name;       /* preferred ovs-ofctl name: "eth_src", "nw_dst", "tp_dst"... */
    const char *alias;      /* other accepted name, or NULL ("dl_src", "ip_dst", ...) */
    uint16_t offset;        /* byte offset in struct flow_key */
    uint8_t n_bytes;        /* bytes in the key (1, 2, 4, 6, 8, 16) */
    uint8_t n_bits;         /* width of the value in bits (e.g. 6 for ip_dscp) */
    uint64_t bits;          /* for <= 8-byte fields: which bits of the big-endian word */
    uint8_t shift;          /* value = (word & bits) >> shift */
    bool maskable;          /* arbitrary masks allowed (OpenFlow HASMASK) */
    bool writable;          /* may be set by set_field */
    enum flow_prereq prereq;
    enum flow_field_format format;
    int oxm_field;          /* OFPXMC_OPENFLOW_BASIC field number, -1 when none */
};

extern const struct flow_field flow_fields[FF_N_FIELDS];

/* Finds a field by name or alias (case-sensitive, as ovs-ofctl), or NULL. */
const struct flow_field *flow_field_by_name(const char *name);
/* Finds a field by its OpenFlow 1.3 OXM basic-class field number, or NULL. */
const struct flow_field *flow_field_by_oxm(int oxm_field);

/* Host-order value of a field of <= 8 bytes. */
uint64_t flow_field_get(const struct flow_field *f, const struct flow_key *k);
/* Stores `value` into the field's bits, leaving the other bits of the word untouched. */
void flow_field_set(const struct flow_field *f, struct flow_key *k, uint64_t value);
/* Raw big-endian bytes of any field (n_bytes of them). */
void flow_field_get_bytes(const struct flow_field *f, const struct flow_key *k, uint8_t *out);
void flow_field_set_bytes(const struct flow_field *f, struct flow_key *k, const uint8_t *in);

/* Sets a field's value and mask in a match (value is masked). For <= 8-byte fields. */
void flow_match_set_field(struct flow_match *m, const struct flow_field *f, uint64_t value,
                          uint64_t mask);
void flow_match_set_field_bytes(struct flow_match *m, const struct flow_field *f,
                                const uint8_t *value, const uint8_t *mask);
/* The field's mask in `m` (0 = wildcarded, all n_bits ones = exact). */
uint64_t flow_match_get_mask(const struct flow_match *m, const struct flow_field *f);
bool flow_match_field_is_wild(const struct flow_match *m, const struct flow_field *f);

/* True when `m` pins the prerequisite `p` (e.g. FP_TCP needs eth_type and nw_proto exact). */
bool flow_match_has_prereq(const struct flow_match *m, enum flow_prereq p);
/* True when packet key `k` satisfies prerequisite `p` (for set_field on packets). */
bool flow_key_has_prereq(const struct flow_key *k, enum flow_prereq p);

#endif
