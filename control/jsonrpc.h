/* jsonrpc.h — JSON-RPC 2.0 over a Unix stream socket: the management protocol.
 *
 * Framing: each message is one JSON object followed by a newline ("\n"); JSON text never
 * contains a raw newline, so a reader splits on it (the framing of JSON Lines, also used by
 * many JSON-RPC tools). Requests carry "jsonrpc":"2.0", "method", "params" (an object) and
 * "id"; responses carry "result" or "error" {"code","message"} and the same "id".
 * Error codes: -32700 parse error, -32600 invalid request, -32601 method not found,
 * -32602 invalid params (bad bridge/port/flow...), -32000 operation failed.
 * A message longer than JSONRPC_MAX_MSG bytes is a parse error and the connection closes.
 *
 * Why jansson: a correct JSON parser/serializer is not where sluice should spend its
 * code; Debian ships libjansson-dev, it is small, and it reports parse errors with position.
 *
 * Server side (control thread only): the server owns a listening socket and its clients; the
 * daemon's epoll loop calls jsonrpc_server_fds() to learn what to watch and
 * jsonrpc_server_run() when any of them is readable. Handlers run synchronously in the
 * control thread. A client that sends garbage gets an error response; a client that
 * disconnects mid-message loses only its own request.
 *
 * Client side (sluicectl, tests): jsonrpc_call() sends one request and waits for its
 * response.
 */
#ifndef SLUICE_CONTROL_JSONRPC_H
#define SLUICE_CONTROL_JSONRPC_H

#include <jansson.h>
#include <stddef.h>

#define JSONRPC_MAX_MSG (64u << 20) /* add-flows can carry many flows in one request */

enum jsonrpc_error_code {
    JSONRPC_PARSE_ERROR = -32700,
    JSONRPC_INVALID_REQUEST = -32600,
    JSONRPC_METHOD_NOT_FOUND = -32601,
    JSONRPC_INVALID_PARAMS = -32602,
    JSONRPC_FAILED = -32000,
};

/* A method handler. On success returns 0 and sets *result (a new reference; NULL means
 * JSON null). On failure returns one of enum jsonrpc_error_code and writes a message
 * naming the object and the cause into err[errlen]. */
typedef int jsonrpc_handler(void *aux, json_t *params, json_t **result, char *err,
                            size_t errlen);

struct jsonrpc_method {
    const char *name;
    jsonrpc_handler *handler;
};

struct jsonrpc_server;

/* Listens on the Unix socket `path` (an existing stale socket file is replaced; a live one,
 * i.e. another daemon answering there, is an error -EADDRINUSE). `methods` is terminated by
 * an entry with name NULL and must outlive the server. Returns NULL and a message in err. */
struct jsonrpc_server *jsonrpc_server_create(const char *path, const struct jsonrpc_method *methods,
                                             void *aux, char *err, size_t errlen);
/* Closes every connection and the socket, and unlinks the socket file. */
void jsonrpc_server_destroy(struct jsonrpc_server *s);

/* Fills fds[] with the descriptors to poll for input (listener + clients); returns how many
 * (at most max). */
int jsonrpc_server_fds(const struct jsonrpc_server *s, int *fds, int max);
/* Accepts, reads and answers whatever is ready on `fd` without blocking. */
void jsonrpc_server_run(struct jsonrpc_server *s, int fd);

/* Client: connects to `path`, sends method(params) (params is borrowed; NULL = {}), waits up
 * to timeout_ms for the reply. Returns 0 and *result (new reference) on success; on a
 * JSON-RPC error returns its code and the message in err; on a transport failure returns a
 * negative errno and a message ("cannot connect to /run/sluice/sluiced.ctl: No such file or
 * directory (is sluiced running?)"). */
int jsonrpc_call(const char *path, const char *method, json_t *params, int timeout_ms,
                 json_t **result, char *err, size_t errlen);

#endif
