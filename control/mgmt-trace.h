/* mgmt-trace.h — the "trace" management method (control/mgmt-trace.c): runs a packet
 * described as a flow through a bridge's pipeline and returns every step. Registered in
 * mgmt_methods (control/mgmt.c); the params and result are described in mgmt-trace.c and
 * docs/mgmt-protocol.md. Control thread only.
 */
#ifndef SLUICE_CONTROL_MGMT_TRACE_H
#define SLUICE_CONTROL_MGMT_TRACE_H

#include <stddef.h>

#include <jansson.h>

/* A jsonrpc_handler (control/jsonrpc.h); aux is unused. */
int mgmt_trace(void *aux, json_t *params, json_t **result, char *err, size_t errlen);

#endif
