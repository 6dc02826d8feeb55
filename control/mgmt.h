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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "control/jsonrpc.h"

struct config_store;

struct mgmt_context {
    const char *run_dir; /* default vhost socket directory */
    /* sluiced --db (control/config-store.h), or NULL. With a store, every method that changes
     * what it records (config_store_records()) commits the change to the file before its
     * reply; when that fails the reply is an error saying the change was applied but not
     * saved. */
    struct config_store *db;
    bool restoring; /* mgmt_restore_db() is replaying: record, but do not write the file */
};

/* The method table, terminated by {NULL, NULL}; aux must be a struct mgmt_context. */
extern const struct jsonrpc_method mgmt_methods[];

/* Runs one method by name (for the config file). Returns 0 or a jsonrpc error code with a
 * message in err. */
int mgmt_call(struct mgmt_context *ctx, const char *method, json_t *params, json_t **result,
              char *err, size_t errlen);

/* Applies a config file: one sluicectl command per line ("add-br br0",
 * "add-port br0 p1 type=dpdk devargs=...", "add-flow br0 FLOW"); '#' comments and blank
 * lines are skipped. Stops at the first failing line: returns its error with "FILE:LINE: ".
 * With a db, an add-br or add-port line for a bridge or port the db already has (restored at
 * start) is skipped with a log line: the db wins, so a config that seeds a db on the first
 * start does not stop the daemon on the next. */
int mgmt_apply_config(struct mgmt_context *ctx, const char *path, char *err, size_t errlen);

/* Restores ctx->db's file at start, before requests are served (control/config-store.h): every
 * well-formed bridge (add-br, set-bridge, set-controller) and port (add-port with its recorded
 * ofport) is re-created through the methods above, in the file's order. What cannot be
 * restored is logged one item at a time (which bridge or port, and why) and skipped; the
 * rest is restored and the daemon carries on. The file itself is not rewritten until the next
 * change; when anything was skipped its original contents are first copied to
 * FILE.unrestored-TIME, and if even that copy fails, saves are blocked rather than lose the
 * only copy. A missing file is an empty configuration. Returns how many problems were
 * reported (0: everything restored). */
unsigned mgmt_restore_db(struct mgmt_context *ctx);

#endif
