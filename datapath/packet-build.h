/* packet-build.h — a real frame from a struct flow_key: the inverse of flow_key_parse().
 *
 * What?
 *   pkt_build() writes the Ethernet frame that flow_key_parse() reads back as the same key:
 *   Ethernet, up to two VLAN tags (outer TPID vlan_tpid, 0x8100 when unset; inner 0x8100),
 *   802.3 length framing for FLOW_ETH_TYPE_NONE, ARP/RARP (Ethernet/IPv4), IPv4 (a first
 *   fragment with MF set, or a later fragment with an offset and no L4 header, as nw_frag
 *   says), IPv6 (a fragment extension header when nw_frag says so), TCP, UDP, SCTP, ICMP and
 *   ICMPv6 including neighbor solicitations/advertisements with their link-layer address
 *   option. Every length field is right and every checksum is valid (IPv4 header, TCP/UDP/
 *   ICMPv6 with the pseudo-header, ICMPv4, SCTP's CRC32c), so a kernel or a capture tool
 *   accepts the frame too. Frames are padded to the 60-byte Ethernet minimum.
 *   sluicectl trace uses it to run a packet described as a flow through the pipeline.
 *
 * Which keys can be built.
 *   Metadata (in_port, recirc_id, metadata, tun_*) is not part of a frame and is ignored.
 *   Every other field must be one the frame can carry: after building, the frame is parsed
 *   again and compared with the key; a field that did not survive (an L4 port on an IP
 *   protocol without ports, an ND target on an echo request, a TTL of an ARP packet...) is
 *   -EINVAL with a message naming the field ("tp_dst=80: IP protocol 47 has no ports").
 *
 * Threads: pure function over caller memory, any thread; no allocation.
 */
#ifndef SLUICE_DATAPATH_PACKET_BUILD_H
#define SLUICE_DATAPATH_PACKET_BUILD_H

#include <stddef.h>
#include <stdint.h>

#include "datapath/flow-key.h"

#define PKT_BUILD_MIN_LEN 60  /* Ethernet minimum without FCS */
#define PKT_BUILD_MAX_LEN 256 /* the largest frame pkt_build() writes */

/* Builds the frame for `key` into buf[cap] (cap >= PKT_BUILD_MAX_LEN always suffices) and
 * sets *len. Returns 0, -ENOSPC when cap is too small, or -EINVAL with a message in err when
 * the key has a field no frame can carry as given. */
int pkt_build(const struct flow_key *key, uint8_t *buf, size_t cap, size_t *len, char *err,
              size_t errlen);

/* CRC32c (Castagnoli) as SCTP uses it, over `len` bytes; exposed for tests. */
uint32_t pkt_crc32c(const uint8_t *data, size_t len);

#endif
