/* actions.h — what the datapath does with a packet once a rule decided.
 *
 * An action list is a flat array of struct dp_action, executed in order. An empty list means
 * drop. Output-like actions name ports by their OpenFlow port number within the packet's
 * bridge; the bridge's port map turns that into a datapath port at execution time, so a rule
 * that names a port that is not (or no longer) there simply outputs nothing (counted).
 *
 * This header knows nothing of OpenFlow's wire format: ofproto/ translates to and from it.
 */
#ifndef SLUICE_DATAPATH_ACTIONS_H
#define SLUICE_DATAPATH_ACTIONS_H

#include <stdint.h>

/* Reserved port numbers, as in OpenFlow 1.3 (host order). */
enum dp_ofport {
    DP_OFPORT_MAX = 0xffffff00u,
    DP_OFPORT_IN_PORT = 0xfffffff8u,
    DP_OFPORT_TABLE = 0xfffffff9u,
    DP_OFPORT_NORMAL = 0xfffffffau,
    DP_OFPORT_FLOOD = 0xfffffffbu,
    DP_OFPORT_ALL = 0xfffffffcu,
    DP_OFPORT_CONTROLLER = 0xfffffffdu,
    DP_OFPORT_LOCAL = 0xfffffffeu,
    DP_OFPORT_ANY = 0xffffffffu, /* "no port" in filters */
};

enum dp_action_type {
    DP_ACT_OUTPUT = 1, /* port: an ofport, or a reserved DP_OFPORT_* (IN_PORT, FLOOD, ALL...) */
    DP_ACT_PUSH_VLAN,  /* arg: TPID (host order) */
    DP_ACT_POP_VLAN,
    DP_ACT_SET_VLAN_VID, /* arg: VID (host order, without PRESENT bit) */
    DP_ACT_SET_VLAN_PCP, /* arg: PCP */
    DP_ACT_DEC_TTL,
    DP_ACT_SET_FIELD,  /* field: enum flow_field_id; arg: host-order value for fields of
                        * <= 8 bytes; value: raw big-endian bytes for wider ones */
    DP_ACT_GROUP,      /* port: group id */
    DP_ACT_CONTROLLER, /* arg: max_len (0xffff = OFPCML_NO_BUFFER, whole packet) */
};

struct dp_action {
    uint16_t type;   /* enum dp_action_type */
    uint16_t field;  /* for SET_FIELD: which field */
    uint32_t port;   /* OUTPUT: ofport; GROUP: group id */
    uint64_t arg;    /* type-specific argument */
    uint8_t value[16]; /* SET_FIELD value, network byte order, left-aligned */
};

#define DP_MAX_ACTIONS 32

#endif
