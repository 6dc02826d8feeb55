/* ctl-output.h — how sluicectl prints daemon results for people.
 *
 * Each printer takes the "result" member of a JSON-RPC reply (see the method list in
 * docs or ctl.c) and writes text that reads like the OVS tools:
 *   show        a tree like `ovs-vsctl show`: Bridge, Port, one "key: value" per line, then
 *               the PMD threads and the rx queues they poll;
 *   dump-flows  one line per flow exactly as `ovs-ofctl dump-flows` prints it;
 *   dump-ports  an aligned counter table, then a table of drop reasons, then xstats if any;
 *   version     the CLI's and the daemon's versions.
 * Printers tolerate missing optional members and unknown extra ones (printed generically,
 * so a daemon that grows a field shows it without a CLI change); a result whose shape is
 * wrong (no "flows" array, say) is -EPROTO with a message. Pure functions of their input.
 */
#ifndef SLUICE_CLI_CTL_OUTPUT_H
#define SLUICE_CLI_CTL_OUTPUT_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>

int ctl_out_version(FILE *out, const json_t *result, char *err, size_t errlen);
int ctl_out_show(FILE *out, const json_t *result, char *err, size_t errlen);
int ctl_out_dump_flows(FILE *out, const json_t *result, char *err, size_t errlen);
int ctl_out_dump_ports(FILE *out, const json_t *result, char *err, size_t errlen);

/* One dump-flows line (with its leading space, without newline) into a new string, or NULL
 * when out of memory. */
char *ctl_out_flow_line(const json_t *flow);
/* The part both dump-flows forms share: "priority=N,MATCH actions=ACTIONS" as ovs-ofctl
 * lays it out (priority only when not 32768, "drop" for no actions). */
void ctl_out_flow_rule(FILE *f, const json_t *flow);

/* --json: the value pretty-printed (2-space indent, members in received order, doubles with
 * 15 significant digits so 1.234 stays 1.234), then a newline. */
int ctl_out_json(FILE *out, const json_t *result);

/* A JSON value as text for "key: value" lines and table cells: strings bare (quoted when
 * empty or holding blanks, commas, quotes or '='), integers exact, arrays "[a, b]",
 * objects "{k=v, ...}". New string or NULL when out of memory. */
char *ctl_out_value(const json_t *v);

#endif
