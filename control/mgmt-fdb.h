/* mgmt-fdb.h — the management methods of NORMAL's MAC learning tables (control/mgmt-fdb.c):
 *
 *   fdb-show   {"bridge"} -> {"bridge", "capacity", "n_entries", "aging_s", "fail_open",
 *              "stats": {"learned", "moved", "evicted", "aged", "unicast", "flooded",
 *              "dropped", "fail_open_packets", "vlan_dropped"},
 *              "entries": [{"port", "ofport", "vlan", "mac", "age"}],
 *              "vlan_ports": [{"port", "ofport", "tag"? | "trunks"?}]} with entries in
 *              (ofport, vlan, mac) order; "port" is the port's name ("?" when it is gone and
 *              not yet aged). vlan_ports lists the ports with a VLAN configuration
 *              (datapath/port-vlan.h): an access port's tag or a trunk's list; the others
 *              are trunks of every VLAN.
 *   fdb-flush  {"bridge", "port"?} -> {"flushed": N}: every entry, or those on one port.
 *   set-bridge {"bridge", "options": {"mac-aging": "SECONDS"}} -> null: bridge settings;
 *              mac-aging is 1..1000000 (default 300, as Open vSwitch's mac-aging-time).
 *
 * Registered in mgmt_methods (control/mgmt.c); also in docs/mgmt-protocol.md. A handler
 * follows jsonrpc_handler (control/jsonrpc.h); aux is unused. Control thread only.
 */
#ifndef SLUICE_CONTROL_MGMT_FDB_H
#define SLUICE_CONTROL_MGMT_FDB_H

#include <stddef.h>

#include <jansson.h>

int mgmt_fdb_show(void *aux, json_t *params, json_t **result, char *err, size_t errlen);
int mgmt_fdb_flush(void *aux, json_t *params, json_t **result, char *err, size_t errlen);
int mgmt_set_bridge(void *aux, json_t *params, json_t **result, char *err, size_t errlen);

#endif
