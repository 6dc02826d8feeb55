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
 * Sockets never block the control thread: replies a client does not read yet are queued per
 * client, jsonrpc_server_fds_out() lists the clients with queued output (poll them for
 * writability and call jsonrpc_server_run() when they are), and a client whose queue would
 * exceed JSONRPC_MAX_OUTPUT bytes is disconnected. The set of descriptors changes on every
 * run (accepts, disconnects), so fetch it again each time; poll level-triggered.
 * A request without "id" is a notification: it runs but gets no reply (JSON-RPC 2.0).
 *
 * Client side (sluicectl, tests): jsonrpc_call() sends one request and waits for its
 * response.
 */
#ifndef SLUICE_CONTROL_JSONRPC_H
#define SLUICE_CONTROL_JSONRPC_H

#include <jansson.h>
#include <stddef.h>

#define JSONRPC_MAX_MSG (64u << 20) /* add-flows can carry many flows in one request */
/* Queued replies one client may leave unread before it is disconnected: room for two
 * maximum-size replies, so a client that reads at all is never dropped. */
#define JSONRPC_MAX_OUTPUT (2 * (size_t)JSONRPC_MAX_MSG)
/* Connections beyond this are told so and closed: each may hold buffers up to the limits
 * above, and management clients are short-lived. */
#define JSONRPC_MAX_CLIENTS 64

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

/* Fills fds[] with the descriptors to poll for input (listener + clients still reading);
 * returns how many (at most max; at most JSONRPC_MAX_CLIENTS + 1 exist). */
int jsonrpc_server_fds(const struct jsonrpc_server *s, int *fds, int max);
/* Fills fds[] with the client descriptors that have replies queued (poll these for output);
 * returns how many (at most max). */
int jsonrpc_server_fds_out(const struct jsonrpc_server *s, int *fds, int max);
/* Both of the above in one poll() set: one entry per descriptor, events POLLIN and/or
 * POLLOUT as needed (needs <poll.h>); returns how many (at most max). For a poll() loop:
 *     int n = jsonrpc_server_pollfds(s, pfds, max);
 *     poll(pfds, n, timeout);
 *     for (i = 0; i < n; i++) if (pfds[i].revents) jsonrpc_server_run(s, pfds[i].fd); */
struct pollfd;
int jsonrpc_server_pollfds(const struct jsonrpc_server *s, struct pollfd *pfds, int max);
/* Accepts, reads, answers and flushes whatever is ready on `fd` without blocking. It also
 * retries every other client's queued output, but a loop that does not poll for output
 * (jsonrpc_server_fds_out() or _pollfds()) leaves a reply larger than the socket buffer
 * (~200 KB: a big dump-flows) stuck until some other event. An unknown fd is ignored. */
void jsonrpc_server_run(struct jsonrpc_server *s, int fd);

/* Client: connects to `path`, sends method(params) (params is borrowed; NULL = {}), waits up
 * to timeout_ms for the reply (<= 0: no limit). Returns 0 and *result (new reference) on
 * success; on a JSON-RPC error returns its code and the message in err; on a transport failure
 * returns a negative errno and a message ("cannot connect to /run/sluice/sluiced.ctl: No such
 * file or directory (is sluiced running?)"). The two ranges never overlap: an error code
 * outside -32768..-32000 in a reply is returned as JSONRPC_FAILED. */
int jsonrpc_call(const char *path, const char *method, json_t *params, int timeout_ms,
                 json_t **result, char *err, size_t errlen);

#endif
