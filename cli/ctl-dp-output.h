/* ctl-dp-output.h — sluicectl's printers for datapath introspection, and dump-flows --no-stats.
 *
 *   trace       the pipeline's steps for one packet (method "trace", mgmt-trace.c):
 *                 Flow: in_port=vm1,tcp,...
 *                 table 0: priority=10,ip,in_port=vm1 actions=goto_table:1
 *                     -> continuing in table 1
 *                 table 1: priority=5,tcp,tp_dst=80 actions=group:1
 *                     group:1
 *                     -> group 1 (select): bucket 0
 *                         output:vm2
 *                         -> output to vm2
 *                 Datapath actions: output vm2
 *               Bucket actions indent one level per group; a miss prints
 *               "-> dropped: no matching flow (table-miss)".
 *   pmd-stats   per PMD thread, as ovs-appctl dpif-netdev/pmd-stats-show lays it out:
 *               packets, busy and idle cycles with their share, busy cycles per packet,
 *               iterations, sleeps, rx queues.
 *   dump-flows  --no-stats: the call hook asks sluiced for the flows as usual and drops the
 *               statistics (duration, n_packets, n_bytes) from the result, so --json shows
 *               what the text shows; the printer prints a flow without them as
 *               `ovs-ofctl --no-stats dump-flows` does (" cookie=0x5, table=1, ... actions=..."
 *               with cookie and table only when not zero) and any other flow as before.
 * Printers follow ctl_print_fn (ctl.h): 0, or -EPROTO for a result of the wrong shape.
 */
#ifndef SLUICE_CLI_CTL_DP_OUTPUT_H
#define SLUICE_CLI_CTL_DP_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

#include "cli/ctl.h"

int ctl_out_trace(FILE *out, const json_t *result, char *err, size_t errlen);
int ctl_out_pmd_stats(FILE *out, const json_t *result, char *err, size_t errlen);

/* dump-flows: JSON-RPC as usual, then, with --no-stats, the statistics removed. */
int ctl_dump_flows_call(const struct ctl_context *ctx, const char *method, json_t *params,
                        int timeout_ms, json_t **result, char *err, size_t errlen);
/* dump-flows: each flow as ctl_out_flow_line() prints it, or in the --no-stats form when the
 * flow carries no statistics. */
int ctl_out_dump_flows_any(FILE *out, const json_t *result, char *err, size_t errlen);

/* One --no-stats dump-flows line (leading space, no newline), new string or NULL. */
char *ctl_out_flow_line_no_stats(const json_t *flow);

#endif
