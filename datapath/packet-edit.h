/* packet-edit.h — header rewrites: set_field, dec_ttl, VLAN push/pop.
 *
 * Every function edits a packet's first segment in place and keeps three things consistent:
 * the bytes on the wire, their checksums (IPv4 header, TCP/UDP/ICMP/ICMPv6, updated
 * incrementally as RFC 1624 describes), and the packet's struct flow_key, so that a later
 * OpenFlow table matches on the rewritten values. `lay` (from flow_key_parse) says where each
 * header starts; a push or pop shifts it.
 *
 * The caller makes the packet writable first (a packet queued for output elsewhere is
 * shared). A field whose header is absent or not in the first segment is left unchanged: the
 * rule's prerequisites (checked when it was added) make that the malformed-packet case.
 *
 * SCTP's CRC32c is not recomputed after a port rewrite; set_field on sctp ports is accepted
 * as OVS does, and the receiver sees a bad checksum. (Documented limitation.)
 *
 * PMD and control threads; no allocation.
 */
#ifndef SLUICE_DATAPATH_PACKET_EDIT_H
#define SLUICE_DATAPATH_PACKET_EDIT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_mbuf.h>

#include "datapath/actions.h"
#include "datapath/flow-key.h"

/* Applies a DP_ACT_SET_FIELD action. */
void pkt_set_field(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key,
                   const struct dp_action *a);

/* Decrements the IPv4 TTL / IPv6 hop limit. Returns false when it was already 0 or 1: the
 * packet must then be dropped (OpenFlow's invalid-TTL case). Non-IP packets: true, unchanged. */
bool pkt_dec_ttl(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key);

/* Pushes a VLAN tag with `tpid` (copying the current outer TCI, or 0). False when there is
 * no headroom. */
bool pkt_push_vlan(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key,
                   uint16_t tpid);
/* Pops the outer VLAN tag; no-op when untagged. */
void pkt_pop_vlan(struct rte_mbuf *m, struct flow_layout *lay, struct flow_key *key);
/* Rewrites the outer tag's TCI bits under `mask` (host order) to `val`; no-op when untagged. */
void pkt_set_vlan_tci(struct rte_mbuf *m, struct flow_key *key, uint16_t mask, uint16_t val);

#endif
