/* mgmt.h — the management methods: what sluicectl's commands do inside the daemon.
 *
 * Each JSON-RPC method (control/jsonrpc.h) maps to one handler here, which validates its
 * params, calls the datapath (datapath/dp.h) and returns a JSON result. The same handlers
 * serve the --config file, so a config line and a sluicectl command behave identically.
 * The methods and their results are documented in docs/mgmt-protocol.md.
 *
 * Control thread only.
 */
#ifndef SLUICE_CONTROL_MGMT_H
#define SLUICE_CONTROL_MGMT_H

#include <stddef.h>
#include <stdint.h>

#include "control/jsonrpc.h"

struct mgmt_context {
    const char *run_dir; /* default vhost socket directory */
};

/* The method table, terminated by {NULL, NULL}; aux must be a struct mgmt_context. */
extern const struct jsonrpc_method mgmt_methods[];

/* Runs one method by name (for the config file). Returns 0 or a jsonrpc error code with a
 * message in err. */
int mgmt_call(struct mgmt_context *ctx, const char *method, json_t *params, json_t **result,
              char *err, size_t errlen);

/* Applies a config file: one sluicectl command per line ("add-br br0",
 * "add-port br0 p1 type=dpdk devargs=...", "add-flow br0 FLOW"); '#' comments and blank
 * lines are skipped. Stops at the first failing line: returns its error with "FILE:LINE: ". */
int mgmt_apply_config(struct mgmt_context *ctx, const char *path, char *err, size_t errlen);

#endif
