/* port-vlan.h — a port's 802.1Q VLAN configuration for the NORMAL action, as Open vSwitch's
 * Port columns tag and trunks with its two basic vlan_mode values (ovs-vswitchd.conf.db(5),
 * "VLAN Configuration").
 *
 * What?
 *   access port (tag=N, 1..4095): carries VLAN N only. A frame received untagged, or
 *     priority-tagged (VID 0), belongs to VLAN N; a frame tagged with any other VID is
 *     dropped. Frames leave it untagged.
 *   trunk port (no tag; the default): carries the VLANs of its trunks list, or every VLAN
 *     when the list is empty. A tagged frame belongs to its VID, an untagged (or
 *     priority-tagged) frame to VLAN 0 ("native untagged" VLAN 0, as OVS); either is dropped
 *     when the trunk does not carry that VLAN. Frames leave it tagged with their VLAN, except
 *     VLAN 0, which leaves untagged.
 *   Only the outer tag counts (whatever its TPID); a tag NORMAL adds is 802.1Q (0x8100) and
 *   keeps the priority bits of the tag it replaces, if any.
 *   OVS's native-tagged, native-untagged and dot1q-tunnel modes (tag and trunks together)
 *   are not implemented: port_vlan_check() refuses tag with trunks.
 *
 * Representation.
 *   A NULL `const struct port_vlan *` is the default, a trunk of every VLAN; the datapath
 *   keeps NULL for such ports so they cost nothing (datapath/port.h, dp_port.vlan).
 *
 * Threads: pure functions, no allocation, no global state; any thread.
 */
#ifndef SLUICE_DATAPATH_PORT_VLAN_H
#define SLUICE_DATAPATH_PORT_VLAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    PORT_VLAN_MAX = 4095,
    PORT_VLAN_PRESENT = 0x1000, /* as FLOW_VLAN_PRESENT: the TCI arguments below carry it */
    PORT_VLAN_VID_MASK = 0x0fff,
    /* Longest port_vlan_format_trunks() text: every other VLAN, "0,2,4,...,4094". */
    PORT_VLAN_TRUNKS_TEXT_MAX = 10240,
};

struct port_vlan {
    uint16_t tag;          /* 1..4095: access port of VLAN `tag`; 0: trunk */
    bool all;              /* trunk of every VLAN (no trunks list); ignored when tag != 0 */
    uint64_t trunks[(PORT_VLAN_MAX + 1) / 64]; /* bit v: the trunk carries VLAN v */
};

/* Why port_vlan_input() refused a frame. */
enum {
    PORT_VLAN_DROP_TAGGED_ON_ACCESS = -1, /* a VID other than 0 on an access port */
    PORT_VLAN_DROP_NOT_TRUNKED = -2,      /* the trunk's list does not have the frame's VLAN */
};

/* What a frame needs before it leaves a port (port_vlan_output()). */
enum port_vlan_edit {
    PORT_VLAN_KEEP,    /* already in the form the port wants */
    PORT_VLAN_POP,     /* remove the outer tag */
    PORT_VLAN_PUSH,    /* add an 802.1Q tag with the VLAN (PCP 0) */
    PORT_VLAN_SET_VID, /* rewrite the outer tag's VID to the VLAN (priority-tagged frames) */
};

/* The default: a trunk of every VLAN. */
void port_vlan_init(struct port_vlan *pv);
/* Whether `pv` is the default (NULL or a trunk of every VLAN). */
bool port_vlan_is_default(const struct port_vlan *pv);

/* Parses a tag option: "1".."4095", or "none" (a trunk again: tag 0). Returns 0, or -EINVAL
 * with a message ("tag=...: ...") for the caller to prefix with the port's name. */
int port_vlan_parse_tag(const char *s, uint16_t *tag, char *err, size_t errlen);
/* Parses a trunks option into pv->trunks and pv->all: "all" (every VLAN, OVS's empty
 * trunks), or a comma-separated list of VLANs (0..4095) and ranges "A-B" (A <= B), e.g.
 * "10,20,30-40". Returns 0, or -EINVAL with a message naming the bad element, leaving `pv`
 * unchanged. */
int port_vlan_parse_trunks(const char *s, struct port_vlan *pv, char *err, size_t errlen);
/* Refuses what is not implemented: a tag and a trunks list together. Returns 0 or -EINVAL
 * with a message. */
int port_vlan_check(const struct port_vlan *pv, char *err, size_t errlen);
/* The trunks list in parse syntax, ranges folded ("10,20,30-40"), or "all". Returns the
 * length it needed (as snprintf); PORT_VLAN_TRUNKS_TEXT_MAX bytes always suffice. */
size_t port_vlan_format_trunks(const struct port_vlan *pv, char *buf, size_t len);

/* Whether port `pv` carries VLAN `vlan` (0..4095). */
static inline bool port_vlan_carries(const struct port_vlan *pv, uint16_t vlan)
{
    if (!pv)
        return true;
    if (pv->tag)
        return vlan == pv->tag;
    return pv->all || (pv->trunks[vlan >> 6] >> (vlan & 63) & 1);
}

/* The VLAN (0..4095) of a frame received on port `pv` whose outer TCI is `tci` (host order,
 * PORT_VLAN_PRESENT set when tagged, 0 when untagged), or a PORT_VLAN_DROP_* reason. */
static inline int port_vlan_input(const struct port_vlan *pv, uint16_t tci)
{
    uint16_t vid = (tci & PORT_VLAN_PRESENT) ? (tci & PORT_VLAN_VID_MASK) : 0;
    if (!pv)
        return vid;
    if (pv->tag)
        return vid ? PORT_VLAN_DROP_TAGGED_ON_ACCESS : pv->tag;
    return port_vlan_carries(pv, vid) ? vid : PORT_VLAN_DROP_NOT_TRUNKED;
}

/* How a frame of VLAN `vlan`, whose outer TCI is `tci` (as port_vlan_input()), must change to
 * leave port `pv` (which carries `vlan`): untagged on an access port or in VLAN 0, tagged with
 * `vlan` on a trunk otherwise. */
static inline enum port_vlan_edit port_vlan_output(const struct port_vlan *pv, uint16_t vlan,
                                                   uint16_t tci)
{
    bool tagged = tci & PORT_VLAN_PRESENT;
    if ((pv && pv->tag) || vlan == 0)
        return tagged ? PORT_VLAN_POP : PORT_VLAN_KEEP;
    if (!tagged)
        return PORT_VLAN_PUSH;
    return (tci & PORT_VLAN_VID_MASK) == vlan ? PORT_VLAN_KEEP : PORT_VLAN_SET_VID;
}

#endif
