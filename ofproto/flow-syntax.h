/* flow-syntax.h — ovs-ofctl's flow syntax, parsed and printed.
 *
 * What?
 *   sluice accepts and prints flows exactly as `ovs-ofctl -O OpenFlow13` does, e.g.
 *     priority=10,in_port=vm1,ip,nw_dst=10.0.0.0/24,actions=output:vm2
 *     table=0,priority=100,tcp,tp_dst=80,actions=drop
 *     cookie=0x5/0xff,arp,actions=flood
 *   so that users move between OVS and sluice without relearning anything, and so that the
 *   same text can be fed to both (the OpenFlow issue uses OVS as an oracle).
 *
 * Parsing.
 *   flow_spec_parse() turns one flow string into a struct flow_spec. `mode` says which parts
 *   are allowed: FLOW_PARSE_ADD needs "actions=" (last, as in ovs-ofctl), FLOW_PARSE_FILTER
 *   (del-flows, dump-flows, mod-flows's selector) forbids timeouts' meaning and allows
 *   out_port/out_group and cookie masks, FLOW_PARSE_MODIFY needs actions. Port names are
 *   resolved through `ports` (NULL: only numbers and reserved names are accepted).
 *   Every error returns -EINVAL and writes a message naming the offending token and why,
 *   e.g. `nw_dst=10.0.0.300: invalid IPv4 address` or
 *   `tp_dst=80: field requires tcp, udp or sctp (add "tcp," before it)`.
 *   Prerequisites are checked the way ovs-ofctl checks them.
 *
 * Printing.
 *   flow_spec_format_match() / flow_spec_format_actions() print in ovs-ofctl's canonical
 *   order and spelling (shorthands like "tcp" for eth_type+nw_proto, CIDR for prefix masks),
 *   so that the output of `sluicectl dump-flows` reads like `ovs-ofctl dump-flows`.
 *
 * Threads: pure functions over caller memory, any thread; no allocation.
 */
#ifndef SLUICE_OFPROTO_FLOW_SYNTAX_H
#define SLUICE_OFPROTO_FLOW_SYNTAX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/actions.h"
#include "datapath/flow-key.h"

/* Port names <-> OpenFlow port numbers, supplied by whoever knows the bridge. */
struct port_resolver {
    /* Returns 0 and sets *ofport, or -ENOENT. */
    int (*name_to_ofport)(void *aux, const char *name, uint32_t *ofport);
    /* Returns the port's name, or NULL when unknown (then the number is printed). */
    const char *(*ofport_to_name)(void *aux, uint32_t ofport);
    void *aux;
};

enum flow_parse_mode {
    FLOW_PARSE_ADD,    /* add-flow: match + actions required */
    FLOW_PARSE_MODIFY, /* mod-flows: match + actions required */
    FLOW_PARSE_FILTER, /* del-flows / dump-flows: match only, no actions */
};

/* flow_spec.flags, as OpenFlow 1.3's ofp_flow_mod_flags. */
enum flow_spec_flags {
    FLOW_SPEC_SEND_FLOW_REM = 1 << 0,
    FLOW_SPEC_CHECK_OVERLAP = 1 << 1,
    FLOW_SPEC_RESET_COUNTS = 1 << 2,
    FLOW_SPEC_NO_PKT_COUNTS = 1 << 3,
    FLOW_SPEC_NO_BYT_COUNTS = 1 << 4,
};

struct flow_spec {
    struct flow_match match;
    uint8_t table_id;        /* "table=" ; 0 by default */
    bool table_given;        /* a filter without table= means every table (OFPTT_ALL) */
    uint16_t priority;       /* "priority=" ; 32768 (OFP_DEFAULT_PRIORITY) by default */
    bool priority_given;
    uint64_t cookie;         /* "cookie=V" or, in filters, "cookie=V/M" */
    uint64_t cookie_mask;    /* 0 unless a mask was given (filters) */
    uint16_t idle_timeout;
    uint16_t hard_timeout;
    uint16_t importance;
    uint16_t flags;          /* enum flow_spec_flags */
    uint32_t out_port;       /* filters: DP_OFPORT_ANY unless "out_port=" */
    uint32_t out_group;      /* filters: 0xffffffff (OFPG_ANY) unless "out_group=" */

    /* Instructions, in OpenFlow 1.3 order of execution. "actions=" holds the apply-actions
     * list; the others come from goto_table:N, write_metadata:V[/M], write_actions(...),
     * clear_actions, meter:N inside the actions= text, as ovs-ofctl spells them. */
    uint32_t n_actions;      /* apply-actions */
    struct dp_action actions[DP_MAX_ACTIONS];
    uint32_t n_write_actions;
    struct dp_action write_actions[DP_MAX_ACTIONS];
    bool has_write_actions;
    bool clear_actions;
    bool has_goto_table;
    uint8_t goto_table;
    bool has_write_metadata;
    uint64_t write_metadata;
    uint64_t write_metadata_mask;
    uint32_t meter_id;       /* 0 = none */
};

/* Sets defaults: all-wildcard match, priority 32768, no actions, out_port/out_group ANY. */
void flow_spec_init(struct flow_spec *spec);

/* Parses `text`. Returns 0, or -EINVAL with a message in err[errlen] (always terminated). */
int flow_spec_parse(const char *text, enum flow_parse_mode mode,
                    const struct port_resolver *ports, struct flow_spec *spec, char *err,
                    size_t errlen);

/* Prints the match part ("priority=10,ip,in_port=vm1,nw_dst=10.0.0.0/24"), with priority
 * when `priority` is not the default, in ovs-ofctl's order. Returns the length that the full
 * text needs (snprintf semantics). */
int flow_spec_format_match(const struct flow_match *match, uint16_t priority,
                           const struct port_resolver *ports, char *buf, size_t len);

/* Prints an actions list as after "actions=" ("output:vm2", "drop", "FLOOD",
 * "push_vlan:0x8100,set_field:10->vlan_vid", "goto_table:1"). snprintf semantics. */
int flow_spec_format_actions(const struct flow_spec *spec, const struct port_resolver *ports,
                             char *buf, size_t len);

/* Prints one port number: the name when known, else the number, or a reserved name
 * ("IN_PORT", "FLOOD", "ALL", "CONTROLLER", "LOCAL", "NORMAL", "ANY"). snprintf semantics. */
int flow_format_port(uint32_t ofport, const struct port_resolver *ports, char *buf, size_t len);

/* Parses one port token (number, name, or reserved name such as "LOCAL", "in_port").
 * Returns 0 or -EINVAL/-ENOENT with a message. */
int flow_parse_port(const char *token, const struct port_resolver *ports, uint32_t *ofport,
                    char *err, size_t errlen);

#endif
