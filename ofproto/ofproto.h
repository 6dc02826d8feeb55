/* ofproto.h — OpenFlow semantics over the datapath's tables, groups and meters.
 *
 * Both front ends — the JSON-RPC management methods (sluicectl add-flow...) and OpenFlow
 * FLOW_MOD / GROUP_MOD / METER_MOD from ovs-ofctl or a controller — change flows through these
 * functions, so that the two can never disagree on what a flow-mod means: validation
 * (ports, groups, meters, goto_table), ADD with overlap checking and counter resets, MODIFY
 * and MODIFY_STRICT, DELETE and DELETE_STRICT with out_port/out_group/cookie filters.
 *
 * Errors are reported as a struct ofp_err (the codec's: OpenFlow type, code and a human
 * message), so the OpenFlow front end can send an ERROR and the JSON-RPC one print the message.
 *
 * Changes are made to the mutable tables; the caller publishes (ofproto_commit()) once per
 * batch, which is what makes a batch of flow-mods cheap.
 *
 * Control thread only.
 */
#ifndef SLUICE_OFPROTO_OFPROTO_H
#define SLUICE_OFPROTO_OFPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/dp.h"
#include "ofproto/flow-syntax.h"
#include "ofproto/ofp-msgs.h" /* error types and codes */

enum ofproto_flow_cmd { /* as ofp_flow_mod_command */
    OFPROTO_ADD = 0,
    OFPROTO_MODIFY = 1,
    OFPROTO_MODIFY_STRICT = 2,
    OFPROTO_DELETE = 3,
    OFPROTO_DELETE_STRICT = 4,
};

#define OFPROTO_TABLE_ALL 0xff

/* A removed flow, for FLOW_REMOVED messages (reason as ofp_flow_removed_reason). */
typedef void ofproto_removed_cb(void *aux, struct dp_bridge *br, const struct rule *r,
                                uint8_t reason);

/* Applies one flow-mod. `spec` as parsed from text or decoded from OpenFlow; for deletes,
 * spec->table_given false (or table 0xff) means every table. `removed_cb` (may be NULL) is
 * called for each rule a delete removes and which has SEND_FLOW_REM.
 * Returns 0, or -EPROTO with *e filled. *n_changed (may be NULL) counts rules added/changed/removed. */
int ofproto_flow_mod(struct dp_bridge *br, enum ofproto_flow_cmd cmd, const struct flow_spec *spec,
                     ofproto_removed_cb *removed_cb, void *aux, size_t *n_changed,
                     struct ofp_err *e);

/* Checks a spec's actions and instructions against the bridge: output ports may be any
 * number (OpenFlow allows ports that come later) or reserved port the datapath honours
 * (IN_PORT, FLOOD, ALL, NORMAL, LOCAL, CONTROLLER; not ANY, 0, or TABLE outside PACKET_OUT);
 * groups and meters must exist; goto_table must go forward. */
int ofproto_validate(struct dp_bridge *br, const struct flow_spec *spec, struct ofp_err *e);

/* Makes every change visible to the datapath (one publication per changed table). */
int ofproto_commit(struct dp_bridge *br);

/* Fills `spec` from a rule (match, priority, cookie, timeouts, flags, instructions). */
void ofproto_rule_to_spec(const struct rule *r, struct flow_spec *spec);

/* Selects rules like OpenFlow's flow stats request: table (0xff = all), loose match,
 * cookie/mask, out_port, out_group. Calls fn for each, in table then priority order. */
typedef void ofproto_rule_visit(void *aux, unsigned table, const struct rule *r);
void ofproto_for_each_rule(struct dp_bridge *br, const struct flow_spec *filter, bool strict,
                           ofproto_rule_visit *fn, void *aux);

/* Whether `r` has an output to `port` / a group action for `group` (in any instruction). */
bool ofproto_rule_has_out_port(const struct rule *r, uint32_t port);
bool ofproto_rule_has_out_group(const struct rule *r, uint32_t group);

/* Removes every rule in any table whose hard or idle timeout passed at `now_ns`; calls
 * removed_cb with reason IDLE_TIMEOUT (0) or HARD_TIMEOUT (1). Publishes. */
size_t ofproto_expire(struct dp_bridge *br, uint64_t now_ns, ofproto_removed_cb *removed_cb,
                      void *aux);

#endif
