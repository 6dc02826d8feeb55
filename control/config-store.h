/* config-store.h — durable configuration: bridges, ports and controllers kept in one JSON file
 * (sluiced --db FILE), committed before a change is acknowledged and restored at start.
 *
 * What?
 *   The document records what the management methods configured, in the form they were
 *   given, so that replaying it through the same methods (control/mgmt.c) rebuilds the same
 *   switch:
 *       {"version": 1,
 *        "bridges": [{"name": "br0", "local": "tap"|"none",
 *                     "options": {"mac-aging": "60"},                 set-bridge, if any
 *                     "controller": {"target": "ptcp:6653", "fail_mode": "secure",
 *                                    "datapath_id": "00000000000000aa"}, set-controller
 *                     "ports": [{"name": "p1", "ofport": 1,
 *                                "options": {"type": "dpdk", "devargs": "...",
 *                                            "tag": "10", ...}}]}]}
 *   Bridges and ports are in creation order. A port's options are those of add-port as
 *   given, with later set-port options merged in; "ofport" is not an option but the number
 *   the port actually got, so a restored port keeps it. Flows, groups, meters, PORT_MOD
 *   bits and learned MAC addresses are OpenFlow or run-time state and are not recorded
 *   (Open vSwitch does not persist flows either: the controller owns them).
 *
 * Recording. config_store_record() applies one successful method call (add-br, del-br,
 *   add-port, del-port, set-port, set-bridge, set-controller: config_store_records() says
 *   which) to the in-memory document; config_store_save() then commits it: write FILE.tmp,
 *   fsync it, rename it over FILE, fsync the directory. A crash at any point leaves either
 *   the old or the new document in FILE, never a mix. A failed save leaves FILE as it was.
 *
 * Loading. config_store_parse() checks a document item by item: an item that is not well
 *   formed (a bridge without a name, an ofport that is not a positive integer, an option that
 *   is not a string, a name listed twice...) is reported through the callback, naming the
 *   bridge or port and the cause, and left out; the rest is returned. Only a document that is
 *   not JSON, not an object, or of an unknown version is refused as a whole. Whether the
 *   datapath accepts each item is for the replay to find out (control/mgmt.c).
 *
 * Saves blocked. When FILE exists but could not be read or parsed and could not be set aside
 *   (config_store_set_aside()), config_store_block_saves() makes every later save fail with
 *   the reason, rather than replace the only copy of the user's configuration.
 *
 * Errors: functions return 0 or a negative errno, with a message naming the file (and the
 *   item) and the cause in err. Threads: a store belongs to one thread (sluiced's control
 *   thread); nothing here uses DPDK.
 */
#ifndef SLUICE_CONTROL_CONFIG_STORE_H
#define SLUICE_CONTROL_CONFIG_STORE_H

#include <stdbool.h>
#include <stddef.h>

#include <jansson.h>

#define CONFIG_STORE_VERSION 1

struct config_store;

/* A store for `path` (copied) with an empty document; nothing is read or written. NULL when
 * out of memory. */
struct config_store *config_store_create(const char *path);
void config_store_destroy(struct config_store *cs);
const char *config_store_path(const struct config_store *cs);

/* The current document (borrowed; valid until the next record). */
const json_t *config_store_doc(const struct config_store *cs);

/* Whether `method` changes what the document records. */
bool config_store_records(const char *method);

/* Applies a successful call of `method` with `params` and its `result` (add-port's
 * {"ofport"}) to the document. Methods that record nothing are ignored (0). Returns
 * -ENOENT when the call names a bridge or port the document does not have (the document
 * and the running switch disagree; the message says which), -ENOMEM. Nothing is written. */
int config_store_record(struct config_store *cs, const char *method, const json_t *params,
                        const json_t *result, char *err, size_t errlen);

/* Commits the document to the store's file (atomically, see above). */
int config_store_save(struct config_store *cs, char *err, size_t errlen);

/* Writes `len` bytes to `path` atomically and durably: PATH.tmp, fsync, rename, fsync of
 * the directory. On failure `path` is unchanged and a PATH.tmp this call created is removed
 * (a stale regular PATH.tmp is overwritten; anything else there makes the call fail). When
 * only the directory's fsync fails, the new contents are in place but the error is reported:
 * they may not survive a power loss. */
int config_store_write_file(const char *path, const char *text, size_t len, char *err,
                            size_t errlen);

/* Reads the whole file into *text (malloc'ed, NUL-terminated; free() it). -ENOENT when it
 * does not exist (the message says so too), another -errno when it cannot be read. */
int config_store_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen);

/* Reports one problem with an item: `msg` names it and says why it was left out. */
typedef void config_store_report_fn(void *aux, const char *msg);

/* Parses and checks `text` (`origin` names it in messages: the file's path). Returns a new
 * document holding the well-formed items, and in *n_skipped how many items (bridges or
 * ports) were left out, each reported through `report`; or NULL with a message when the
 * whole document is unusable. */
json_t *config_store_parse(const char *text, size_t len, const char *origin,
                           config_store_report_fn *report, void *aux, unsigned *n_skipped,
                           char *err, size_t errlen);

/* Keeps a copy of a file that could not be restored in full: writes `text` to
 * PATH.unrestored-YYYYmmdd-HHMMSS (a "-N" suffix if that exists) and returns its name in
 * saved[]. */
int config_store_set_aside(const char *path, const char *text, size_t len, char *saved,
                           size_t savedlen, char *err, size_t errlen);

/* What happened at start, for show-config: a problem (one message per item), where the
 * original file was set aside, and the reason saves are blocked (see above). */
void config_store_note_problem(struct config_store *cs, const char *msg);
void config_store_note_set_aside(struct config_store *cs, const char *saved_path);
void config_store_block_saves(struct config_store *cs, const char *why);

/* Whether the document has bridge `bridge` / port `port` of bridge `bridge`. */
bool config_store_has_bridge(const struct config_store *cs, const char *bridge);
bool config_store_has_port(const struct config_store *cs, const char *bridge, const char *port);

/* {"path", "config": the document, "not_restored": [messages], "set_aside"?: path,
 * "saves_blocked"?: why} (a new reference; NULL when out of memory). */
json_t *config_store_status(const struct config_store *cs);

#endif
