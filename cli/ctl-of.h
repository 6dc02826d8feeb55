/* ctl-of.h — sluicectl's OpenFlow verbs: the commands that talk OpenFlow 1.3 to a bridge's
 * RUNDIR/BRIDGE.mgmt socket (cli/of-client.h) and print exactly what
 * `ovs-ofctl -O OpenFlow13 VERB unix:RUNDIR/BRIDGE.mgmt ...` prints for the same reply.
 *
 * Verbs (rows of the command table in ctl.c, each with .call = ctl_of_call and, for those
 * that print, .print = ctl_of_print):
 *   dump-tables BR                       table statistics ("tables 2...63: ditto")
 *   dump-aggregate BR [FLOW]             packet, byte and flow counts of the flows FLOW selects
 *   add-group BR GROUP, mod-group BR GROUP, del-groups BR [GROUP]
 *   dump-groups BR [GROUP], dump-group-stats BR [GROUP]
 *   add-meter BR METER, mod-meter BR METER, del-meters BR [METER]
 *   dump-meters BR [METER], meter-stats BR [METER]
 *   mod-port BR PORT up|down|receive|no-receive|forward|no-forward|packet-in|no-packet-in
 *   mod-flows [--strict] BR FLOW
 *   dump-ports-desc BR [PORT]
 *   packet-out BR "in_port=P packet=HEX actions=A"   (or BR IN_PORT ACTIONS PACKET...)
 *   Group and meter syntax: ofproto/group-syntax.h. Flows: ofproto/flow-syntax.h.
 *
 * Output. Each reply message prints as ovs-ofctl prints it: its header line
 *   ("OFPST_GROUP_DESC reply (OF1.3) (xid=0x2):", with " flags=[more]" on all but the last
 *   message of a long reply), then its entries. Port numbers print as port names (as
 *   ovs-ofctl --names). Commands that change state print nothing.
 *   With --json the result is {"output": TEXT} (the same text), or null.
 *
 * Where sluicectl deliberately differs from ovs-ofctl, and why:
 *   - dump-groups BR GROUP and dump-ports-desc BR PORT show only that group / port.
 *     OpenFlow 1.3 requests cannot carry that filter and ovs-ofctl then shows everything;
 *     sluicectl filters the reply, and an unknown PORT is an error.
 *   - mod-port stp/flood/receive-stp (and their no- forms) are refused: those bits are
 *     OpenFlow 1.0 only, and ovs-ofctl sends an empty PORT_MOD that silently does nothing.
 *   - errors: the switch's ERROR is named with what it usually means ("OFPT_GROUP_MOD
 *     refused: OFPGMFC_GROUP_EXISTS (a group with this group_id already exists; ...)")
 *     instead of ovs-ofctl's dump of the error and the failed request.
 *
 * Exit codes follow ctl.h: 1 for a bad argument (group/meter/flow text, unknown port or
 * bridge) or a request the switch refused, 3 when sluiced cannot be reached.
 */
#ifndef SLUICE_CLI_CTL_OF_H
#define SLUICE_CLI_CTL_OF_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/ctl.h"

/* ctl_call_fn for every OpenFlow verb: dispatches on ctx->inv->cmd->name. Returns 0 with
 * *result ({"output": TEXT} or JSON null), JSONRPC_INVALID_PARAMS for bad input (message in
 * err), JSONRPC_FAILED when the switch refused, or a negative errno when the bridge's socket
 * cannot be reached. */
int ctl_of_call(const struct ctl_context *ctx, const char *method, json_t *params, int timeout_ms,
                json_t **result, char *err, size_t errlen);

/* ctl_print_fn: prints result["output"] as is. */
int ctl_of_print(FILE *out, const json_t *result, char *err, size_t errlen);

/* The path of BRIDGE's OpenFlow socket next to the management socket `ctl_socket`
 * ("/run/sluice/sluiced.ctl" + "br0" -> "/run/sluice/br0.mgmt"). -ENAMETOOLONG or -EINVAL
 * (a bridge name with '/'). */
int ctl_of_socket_path(const char *ctl_socket, const char *bridge, char *path, size_t len);

#endif
