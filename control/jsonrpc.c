/* jsonrpc.c — JSON-RPC 2.0 over Unix stream sockets (see jsonrpc.h for the contract).
 *
 * Server model. Every socket is non-blocking. Each client owns an input buffer that holds
 * the bytes after the last newline seen, and an output queue of serialized replies not yet
 * accepted by the kernel. Nothing a client does can stall the control thread or touch another
 * client: a read that would block returns, a write that would block leaves the rest queued,
 * and every failure (EOF mid-message, ECONNRESET, garbage, oversize) ends only that client.
 *
 * Limits keep one client's memory bounded: input beyond JSONRPC_MAX_MSG without a newline,
 * and queued output beyond JSONRPC_MAX_OUTPUT, end the connection; a reply bigger than
 * JSONRPC_MAX_MSG is replaced by an error (the client would refuse to read it anyway).
 * Reading is budgeted per call so that one fast writer cannot starve the others under a
 * level-triggered poll loop.
 */
#define _GNU_SOURCE /* accept4 */
#include "control/jsonrpc.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum {
    JSONRPC_READ_CHUNK = 64 * 1024,
    /* Bytes read from one client per jsonrpc_server_run() call; the rest waits for the
     * next poll round so that other clients get served in between. */
    JSONRPC_READ_BUDGET = 1024 * 1024,
    /* Buffers that grew for one big message are released when they empty above this. */
    JSONRPC_BUF_KEEP = 256 * 1024,
    JSONRPC_LISTEN_BACKLOG = 64,
    /* Wire format keeps doubles exact (17 significant digits round-trip any double). */
    JSONRPC_DUMP_FLAGS = JSON_COMPACT | JSON_REAL_PRECISION(17),
};

struct jsonrpc_conn {
    int fd;
    char *in;          /* received bytes not yet consumed as complete messages */
    size_t in_len;
    size_t in_cap;
    size_t in_scanned; /* in[0, in_scanned) is known to contain no newline */
    char *out;         /* queued output: out[out_off, out_len) is unsent */
    size_t out_off;
    size_t out_len;
    size_t out_cap;
    bool eof;          /* peer closed its side: answer what is complete, flush, close */
    bool closing;      /* protocol violation: flush the error reply, then close */
};

struct jsonrpc_server {
    int listen_fd;
    int spare_fd;   /* held in reserve to shed connections when out of descriptors */
    char *path;
    dev_t sock_dev; /* identity of the socket file we bound, so destroy() never unlinks */
    ino_t sock_ino; /* a socket that another daemon put in its place */
    const struct jsonrpc_method *methods;
    void *aux;
    struct jsonrpc_conn *conns[JSONRPC_MAX_CLIENTS];
    int n_conns;
};

static void set_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void set_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || errlen == 0)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static int fill_sockaddr(const char *path, struct sockaddr_un *sun, char *err, size_t errlen)
{
    memset(sun, 0, sizeof(*sun));
    sun->sun_family = AF_UNIX;
    size_t len = strlen(path);
    if (len == 0) {
        set_err(err, errlen, "empty socket path");
        return -EINVAL;
    }
    if (len >= sizeof(sun->sun_path)) {
        set_err(err, errlen, "socket path %s is %zu bytes, over the %zu-byte limit of Unix sockets",
                path, len, sizeof(sun->sun_path) - 1);
        return -ENAMETOOLONG;
    }
    memcpy(sun->sun_path, path, len + 1);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* Server: connections                                                                       */

static void conn_free(struct jsonrpc_conn *c)
{
    close(c->fd);
    free(c->in);
    free(c->out);
    free(c);
}

static int conn_index(const struct jsonrpc_server *s, int fd)
{
    for (int i = 0; i < s->n_conns; i++)
        if (s->conns[i]->fd == fd)
            return i;
    return -1;
}

static void conn_drop(struct jsonrpc_server *s, int idx)
{
    conn_free(s->conns[idx]);
    s->conns[idx] = s->conns[--s->n_conns];
    s->conns[s->n_conns] = NULL;
}

static bool conn_has_output(const struct jsonrpc_conn *c)
{
    return c->out_off < c->out_len;
}

/* Writes queued output until the kernel refuses more. Returns 0, or -errno when the peer is
 * gone (the connection must then be dropped). */
static int conn_flush(struct jsonrpc_conn *c)
{
    while (conn_has_output(c)) {
        ssize_t n = send(c->fd, c->out + c->out_off, c->out_len - c->out_off,
                         MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            c->out_off += (size_t)n;
        } else if (n < 0 && errno == EINTR) {
            continue;
        } else if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            break;
        } else {
            return n < 0 ? -errno : -EPIPE;
        }
    }
    if (!conn_has_output(c)) {
        c->out_off = c->out_len = 0;
        if (c->out_cap > JSONRPC_BUF_KEEP) {
            free(c->out);
            c->out = NULL;
            c->out_cap = 0;
        }
    }
    return 0;
}

/* Queues `len` bytes plus a newline. Returns false when the queue would exceed
 * JSONRPC_MAX_OUTPUT or memory runs out: the client must be dropped. */
static bool conn_queue(struct jsonrpc_conn *c, const char *data, size_t len)
{
    size_t pending = c->out_len - c->out_off;
    if (pending + len + 1 > JSONRPC_MAX_OUTPUT)
        return false;
    if (c->out_off > 0 && c->out_len + len + 1 > c->out_cap) {
        memmove(c->out, c->out + c->out_off, pending);
        c->out_len = pending;
        c->out_off = 0;
    }
    if (c->out_len + len + 1 > c->out_cap) {
        size_t cap = c->out_cap ? c->out_cap : 4096;
        while (cap < c->out_len + len + 1)
            cap *= 2;
        char *p = realloc(c->out, cap);
        if (!p)
            return false;
        c->out = p;
        c->out_cap = cap;
    }
    memcpy(c->out + c->out_len, data, len);
    c->out[c->out_len + len] = '\n';
    c->out_len += len + 1;
    return true;
}

/* ---------------------------------------------------------------------------------------- */
/* Server: requests                                                                          */

/* Replaces with '?' each byte that does not start a well-formed UTF-8 sequence (as far as
 * lengths go); with `all`, every non-ASCII byte. */
static void mask_utf8(char *s, bool all)
{
    unsigned char *p = (unsigned char *)s;
    while (*p) {
        size_t n = *p < 0x80 ? 1 : *p >= 0xc2 && *p <= 0xdf ? 2 : *p >= 0xe0 && *p <= 0xef ? 3
                             : *p >= 0xf0 && *p <= 0xf4 ? 4 : 0;
        for (size_t i = 1; i < n; i++)
            if ((p[i] & 0xc0) != 0x80)
                n = 0;
        if (n == 0 || (all && n > 1)) {
            *p++ = '?';
            continue;
        }
        p += n;
    }
}

static json_t *make_error(json_t *id, int code, const char *message)
{
    json_t *jmsg = json_string(message);
    /* Not UTF-8 (a name cut mid-character, a handler quoting raw bytes): the error still
     * has to reach the client, so mask the offending bytes. */
    for (int pass = 0; !jmsg && pass < 2; pass++) {
        char *copy = strdup(message);
        if (!copy)
            return NULL;
        mask_utf8(copy, pass == 1);
        jmsg = json_string(copy);
        free(copy);
    }
    return json_pack("{s:s, s:{s:i, s:o}, s:O}", "jsonrpc", "2.0", "error", "code", code,
                     "message", jmsg, "id", id ? id : json_null());
}

/* Serializes `resp` (stolen) into c's queue. Returns false if the client must be dropped. */
static bool send_response(struct jsonrpc_conn *c, json_t *resp, const char *method)
{
    if (!resp)
        return false; /* json_pack failed: out of memory */
    char *text = json_dumps(resp, JSONRPC_DUMP_FLAGS);
    if (text && strlen(text) > JSONRPC_MAX_MSG) {
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "reply to '%s' is %zu bytes, over the %u-byte message limit; narrow the request",
                 method ? method : "?", strlen(text), JSONRPC_MAX_MSG);
        free(text);
        json_t *small = make_error(json_object_get(resp, "id"), JSONRPC_FAILED, msg);
        json_decref(resp);
        resp = small;
        text = resp ? json_dumps(resp, JSONRPC_DUMP_FLAGS) : NULL;
    }
    json_decref(resp);
    if (!text)
        return false;
    bool ok = conn_queue(c, text, strlen(text));
    free(text);
    return ok;
}

static bool send_error(struct jsonrpc_conn *c, json_t *id, int code, const char *message)
{
    return send_response(c, make_error(id, code, message), NULL);
}

static bool valid_id(const json_t *id)
{
    return json_is_string(id) || json_is_number(id) || json_is_null(id);
}

static const struct jsonrpc_method *find_method(const struct jsonrpc_server *s, const char *name)
{
    for (const struct jsonrpc_method *m = s->methods; m->name; m++)
        if (!strcmp(m->name, name))
            return m;
    return NULL;
}

/* JSON-RPC reserves -32768..-32000; a handler returning anything else (say, -EINVAL by
 * mistake) must not look like a transport errno to the client. */
static bool is_rpc_code(int code)
{
    return code <= -32000 && code >= -32768;
}

/* Handles one message. Returns false if the client must be dropped. */
static bool handle_message(struct jsonrpc_server *s, struct jsonrpc_conn *c, const char *text,
                           size_t len)
{
    json_error_t jerr;
    json_t *req = json_loadb(text, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &jerr);
    if (!req) {
        char msg[JSON_ERROR_TEXT_LENGTH + 64];
        snprintf(msg, sizeof(msg), "parse error at byte %d: %s", jerr.position, jerr.text);
        return send_error(c, NULL, JSONRPC_PARSE_ERROR, msg);
    }

    bool ok;
    json_t *id = NULL;
    if (!json_is_object(req)) {
        ok = send_error(c, NULL, JSONRPC_INVALID_REQUEST,
                        json_is_array(req) ? "batch requests are not supported"
                                           : "request must be a JSON object");
        goto out;
    }
    id = json_object_get(req, "id");
    bool notification = id == NULL;
    if (id && !valid_id(id)) {
        ok = send_error(c, NULL, JSONRPC_INVALID_REQUEST, "\"id\" must be a string, number or null");
        goto out;
    }
    const json_t *version = json_object_get(req, "jsonrpc");
    if (!json_is_string(version) || strcmp(json_string_value(version), "2.0")) {
        ok = send_error(c, id, JSONRPC_INVALID_REQUEST, "\"jsonrpc\" must be \"2.0\"");
        goto out;
    }
    const json_t *jmethod = json_object_get(req, "method");
    if (!json_is_string(jmethod)) {
        ok = send_error(c, id, JSONRPC_INVALID_REQUEST,
                        jmethod ? "\"method\" must be a string" : "\"method\" is missing");
        goto out;
    }
    const char *name = json_string_value(jmethod);
    const struct jsonrpc_method *m = find_method(s, name);
    if (!m) {
        char msg[256];
        snprintf(msg, sizeof(msg), "unknown method '%.200s'", name);
        ok = notification || send_error(c, id, JSONRPC_METHOD_NOT_FOUND, msg);
        goto out;
    }
    json_t *params = json_object_get(req, "params");
    json_t *empty = NULL;
    if (!params || json_is_null(params)) {
        params = empty = json_object();
    } else if (!json_is_object(params)) {
        char msg[256];
        snprintf(msg, sizeof(msg), "%.200s: params must be an object", name);
        ok = notification || send_error(c, id, JSONRPC_INVALID_PARAMS, msg);
        goto out;
    }

    json_t *result = NULL;
    char err[1024] = "";
    int rc = params ? m->handler(s->aux, params, &result, err, sizeof(err))
                    : JSONRPC_FAILED;
    json_decref(empty);
    err[sizeof(err) - 1] = '\0';
    if (rc != 0) {
        json_decref(result);
        if (!is_rpc_code(rc))
            rc = JSONRPC_FAILED;
        if (!err[0])
            snprintf(err, sizeof(err), "%.200s failed", name);
        ok = notification || send_error(c, id, rc, err);
    } else if (notification) {
        json_decref(result);
        ok = true;
    } else {
        json_t *resp = json_pack("{s:s, s:o, s:O}", "jsonrpc", "2.0", "result",
                                 result ? result : json_null(), "id", id);
        ok = send_response(c, resp, name);
    }
out:
    json_decref(req);
    return ok;
}

static bool is_blank(const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (p[i] != ' ' && p[i] != '\t' && p[i] != '\r')
            return false;
    return true;
}

/* Answers every complete message in c's input buffer. Returns false to drop the client. */
static bool conn_process(struct jsonrpc_server *s, struct jsonrpc_conn *c)
{
    size_t start = 0;
    while (!c->closing) {
        char *nl = memchr(c->in + c->in_scanned, '\n', c->in_len - c->in_scanned);
        if (!nl) {
            c->in_scanned = c->in_len;
            if (c->in_len - start > JSONRPC_MAX_MSG) {
                char msg[128];
                snprintf(msg, sizeof(msg), "message exceeds %u bytes without a newline",
                         JSONRPC_MAX_MSG);
                c->closing = true;
                if (!send_error(c, NULL, JSONRPC_PARSE_ERROR, msg))
                    return false;
            }
            break;
        }
        size_t end = (size_t)(nl - c->in);
        size_t len = end - start;
        if (len > JSONRPC_MAX_MSG) {
            char msg[128];
            snprintf(msg, sizeof(msg), "message of %zu bytes exceeds the %u-byte limit", len,
                     JSONRPC_MAX_MSG);
            c->closing = true;
            if (!send_error(c, NULL, JSONRPC_PARSE_ERROR, msg))
                return false;
            break;
        }
        if (!is_blank(c->in + start, len) && !handle_message(s, c, c->in + start, len))
            return false;
        start = end + 1;
        c->in_scanned = start;
    }
    if (c->closing) {
        c->in_len = c->in_scanned = 0;
    } else if (start > 0) {
        memmove(c->in, c->in + start, c->in_len - start);
        c->in_len -= start;
        c->in_scanned -= start;
    }
    if (c->in_len == 0 && c->in_cap > JSONRPC_BUF_KEEP) {
        free(c->in);
        c->in = NULL;
        c->in_cap = 0;
    }
    return true;
}

/* Reads what is available (up to the budget) and answers it. Returns false to drop. */
static bool conn_read(struct jsonrpc_server *s, struct jsonrpc_conn *c)
{
    size_t budget = JSONRPC_READ_BUDGET;
    while (!c->eof && !c->closing && budget > 0) {
        if (c->in_cap - c->in_len < JSONRPC_READ_CHUNK) {
            size_t cap = c->in_cap ? c->in_cap * 2 : JSONRPC_READ_CHUNK;
            if (cap < c->in_len + JSONRPC_READ_CHUNK)
                cap = c->in_len + JSONRPC_READ_CHUNK;
            char *p = realloc(c->in, cap);
            if (!p)
                return false;
            c->in = p;
            c->in_cap = cap;
        }
        ssize_t n = recv(c->fd, c->in + c->in_len, JSONRPC_READ_CHUNK, MSG_DONTWAIT);
        if (n > 0) {
            c->in_len += (size_t)n;
            budget = (size_t)n >= budget ? 0 : budget - (size_t)n;
            if (!conn_process(s, c))
                return false;
        } else if (n == 0) {
            /* Half-close is a valid way to say "that was my last request": complete
             * messages were answered above; an unterminated tail is discarded. */
            c->eof = true;
            c->in_len = c->in_scanned = 0;
        } else if (errno == EINTR) {
            continue;
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            break;
        } else {
            return false;
        }
    }
    return true;
}

/* One round for one client. Returns false if it was dropped. */
static bool conn_run(struct jsonrpc_server *s, int idx)
{
    struct jsonrpc_conn *c = s->conns[idx];
    if (conn_flush(c) < 0 || !conn_read(s, c) || conn_flush(c) < 0 ||
        ((c->eof || c->closing) && !conn_has_output(c))) {
        conn_drop(s, idx);
        return false;
    }
    return true;
}

static void server_accept(struct jsonrpc_server *s)
{
    for (;;) {
        int fd = accept4(s->listen_fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            if ((errno == EMFILE || errno == ENFILE) && s->spare_fd >= 0) {
                /* Out of descriptors, the pending connection would keep the listener
                 * readable and spin a level-triggered loop: release the spare to accept
                 * and close it (the client sees EOF), then take the spare back. */
                close(s->spare_fd);
                fd = accept(s->listen_fd, NULL, NULL);
                if (fd >= 0)
                    close(fd);
                s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
                /* accept() reserves the descriptor before looking at the queue, so EMFILE
                 * does not mean a connection is pending; stop once none is. */
                if (fd < 0)
                    return;
                continue;
            }
            return; /* EAGAIN: drained; anything else: retried on the next readiness */
        }
        struct jsonrpc_conn *c = NULL;
        if (s->n_conns < JSONRPC_MAX_CLIENTS)
            c = calloc(1, sizeof(*c));
        if (!c) {
            static const char busy[] = "{\"jsonrpc\":\"2.0\",\"error\":{\"code\":-32000,"
                                       "\"message\":\"too many management clients\"},"
                                       "\"id\":null}\n";
            ssize_t n = send(fd, busy, sizeof(busy) - 1, MSG_NOSIGNAL | MSG_DONTWAIT);
            (void)n;
            close(fd);
            continue;
        }
        c->fd = fd;
        s->conns[s->n_conns++] = c;
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Server: public API                                                                        */

struct jsonrpc_server *jsonrpc_server_create(const char *path, const struct jsonrpc_method *methods,
                                             void *aux, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    if (fill_sockaddr(path, &sun, err, errlen) < 0)
        return NULL;

    struct stat st;
    if (lstat(path, &st) == 0) {
        if (!S_ISSOCK(st.st_mode)) {
            set_err(err, errlen, "%s exists and is not a socket; refusing to replace it", path);
            return NULL;
        }
        /* A socket file outlives a crashed daemon; only a live listener makes it ours to
         * keep. */
        int probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (probe < 0) {
            set_err(err, errlen, "socket: %s", strerror(errno));
            return NULL;
        }
        int rc = connect(probe, (struct sockaddr *)&sun, sizeof(sun));
        int saved = errno;
        close(probe);
        if (rc == 0 || saved == EAGAIN) {
            set_err(err, errlen, "%s: another daemon is already listening there", path);
            errno = EADDRINUSE;
            return NULL;
        }
        if (unlink(path) < 0 && errno != ENOENT) {
            set_err(err, errlen, "cannot remove stale socket %s: %s", path, strerror(errno));
            return NULL;
        }
    }

    struct jsonrpc_server *s = calloc(1, sizeof(*s));
    if (!s || !(s->path = strdup(path))) {
        free(s);
        set_err(err, errlen, "%s: out of memory", path);
        return NULL;
    }
    s->methods = methods;
    s->aux = aux;
    s->spare_fd = open("/dev/null", O_RDONLY | O_CLOEXEC);
    s->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s->listen_fd < 0) {
        set_err(err, errlen, "socket: %s", strerror(errno));
        goto fail;
    }
    if (bind(s->listen_fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
        set_err(err, errlen, "cannot bind %s: %s", path, strerror(errno));
        goto fail;
    }
    if (stat(path, &st) == 0) {
        s->sock_dev = st.st_dev;
        s->sock_ino = st.st_ino;
    }
    if (listen(s->listen_fd, JSONRPC_LISTEN_BACKLOG) < 0) {
        set_err(err, errlen, "cannot listen on %s: %s", path, strerror(errno));
        unlink(path);
        goto fail;
    }
    return s;

fail:
    if (s->listen_fd >= 0)
        close(s->listen_fd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    free(s->path);
    free(s);
    return NULL;
}

void jsonrpc_server_destroy(struct jsonrpc_server *s)
{
    if (!s)
        return;
    while (s->n_conns > 0)
        conn_drop(s, s->n_conns - 1);
    close(s->listen_fd);
    if (s->spare_fd >= 0)
        close(s->spare_fd);
    struct stat st;
    if (stat(s->path, &st) == 0 && st.st_dev == s->sock_dev && st.st_ino == s->sock_ino)
        unlink(s->path);
    free(s->path);
    free(s);
}

int jsonrpc_server_fds(const struct jsonrpc_server *s, int *fds, int max)
{
    int n = 0;
    if (n < max)
        fds[n++] = s->listen_fd;
    for (int i = 0; i < s->n_conns && n < max; i++)
        if (!s->conns[i]->eof && !s->conns[i]->closing)
            fds[n++] = s->conns[i]->fd;
    return n;
}

int jsonrpc_server_fds_out(const struct jsonrpc_server *s, int *fds, int max)
{
    int n = 0;
    for (int i = 0; i < s->n_conns && n < max; i++)
        if (conn_has_output(s->conns[i]))
            fds[n++] = s->conns[i]->fd;
    return n;
}

int jsonrpc_server_pollfds(const struct jsonrpc_server *s, struct pollfd *pfds, int max)
{
    int n = 0;
    if (n < max)
        pfds[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    for (int i = 0; i < s->n_conns && n < max; i++) {
        const struct jsonrpc_conn *c = s->conns[i];
        short events = (!c->eof && !c->closing ? POLLIN : 0) | (conn_has_output(c) ? POLLOUT : 0);
        if (events)
            pfds[n++] = (struct pollfd){.fd = c->fd, .events = events};
    }
    return n;
}

void jsonrpc_server_run(struct jsonrpc_server *s, int fd)
{
    if (fd == s->listen_fd) {
        server_accept(s);
    } else {
        int idx = conn_index(s, fd);
        if (idx >= 0)
            conn_run(s, idx);
    }
    /* Drain other clients' queues opportunistically (cheap: a non-blocking send each), and
     * retire clients that finished flushing. Walk backwards: a drop moves the last entry
     * into the freed slot. */
    for (int i = s->n_conns - 1; i >= 0; i--) {
        struct jsonrpc_conn *c = s->conns[i];
        if (conn_has_output(c) && conn_flush(c) < 0)
            conn_drop(s, i);
        else if ((c->eof || c->closing) && !conn_has_output(c))
            conn_drop(s, i);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* Client                                                                                    */

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Milliseconds left before `deadline` for poll(): -1 = no deadline, 0 = expired. */
static int time_left(long long deadline)
{
    if (deadline < 0)
        return -1;
    long long left = deadline - now_ms();
    if (left <= 0)
        return 0;
    return left > 1000000 ? 1000000 : (int)left;
}

static int client_connect(const char *path, long long deadline, char *err, size_t errlen)
{
    struct sockaddr_un sun;
    int rc = fill_sockaddr(path, &sun, err, errlen);
    if (rc < 0)
        return rc;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        rc = -errno;
        set_err(err, errlen, "socket: %s", strerror(errno));
        return rc;
    }
    for (;;) {
        if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0)
            return fd;
        int e = errno;
        if (e == EINTR)
            continue;
        /* A Unix socket refuses a non-blocking connect with EAGAIN when the listener's
         * backlog is full: the daemon is busy, not gone; retry until the deadline. */
        if (e == EAGAIN && time_left(deadline) != 0) {
            poll(NULL, 0, 10);
            continue;
        }
        close(fd);
        const char *hint = "";
        if (e == ENOENT || e == ECONNREFUSED)
            hint = " (is sluiced running?)";
        else if (e == EACCES || e == EPERM)
            hint = " (run as root or as a user allowed to open the socket)";
        else if (e == EAGAIN)
            hint = " (sluiced is not accepting connections; is it overloaded?)";
        set_err(err, errlen, "cannot connect to %s: %s%s", path, strerror(e), hint);
        return e == EAGAIN ? -ETIMEDOUT : -e;
    }
}

static int wait_fd(int fd, short events, long long deadline, int timeout_ms, const char *path,
                   char *err, size_t errlen)
{
    for (;;) {
        struct pollfd pfd = {.fd = fd, .events = events};
        int n = poll(&pfd, 1, time_left(deadline));
        if (n > 0)
            return 0;
        if (n == 0) {
            set_err(err, errlen, "no reply from %s within %d ms (is sluiced busy or hung?)", path,
                    timeout_ms);
            return -ETIMEDOUT;
        }
        if (errno != EINTR) {
            int rc = -errno;
            set_err(err, errlen, "poll on %s: %s", path, strerror(errno));
            return rc;
        }
    }
}

static int client_send(int fd, const char *buf, size_t len, long long deadline, int timeout_ms,
                       const char *path, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < len) {
        ssize_t n = send(fd, buf + off, len - off, MSG_NOSIGNAL);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = wait_fd(fd, POLLOUT, deadline, timeout_ms, path, err, errlen);
            if (rc < 0)
                return rc;
            continue;
        }
        int rc = n < 0 ? -errno : -EPIPE;
        set_err(err, errlen, "cannot send request to %s: %s", path, strerror(-rc));
        return rc;
    }
    return 0;
}

/* Reads up to the first newline into *bufp (NUL-terminated, newline stripped). */
static int client_recv(int fd, char **bufp, size_t *lenp, long long deadline, int timeout_ms,
                       const char *path, char *err, size_t errlen)
{
    size_t len = 0, cap = 0;
    char *buf = NULL;
    for (;;) {
        if (cap - len < JSONRPC_READ_CHUNK + 1) {
            size_t ncap = cap ? cap * 2 : JSONRPC_READ_CHUNK * 2;
            char *p = realloc(buf, ncap);
            if (!p) {
                free(buf);
                set_err(err, errlen, "reply from %s: out of memory", path);
                return -ENOMEM;
            }
            buf = p;
            cap = ncap;
        }
        ssize_t n = recv(fd, buf + len, JSONRPC_READ_CHUNK, 0);
        if (n > 0) {
            char *nl = memchr(buf + len, '\n', (size_t)n);
            len += (size_t)n;
            if (nl) {
                *nl = '\0';
                *bufp = buf;
                *lenp = (size_t)(nl - buf);
                return 0;
            }
            if (len > JSONRPC_MAX_MSG) {
                free(buf);
                set_err(err, errlen, "reply from %s exceeds %u bytes", path, JSONRPC_MAX_MSG);
                return -EMSGSIZE;
            }
            continue;
        }
        if (n == 0) {
            free(buf);
            set_err(err, errlen, "%s closed the connection before replying", path);
            return -ECONNRESET;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN || errno == EWOULDBLOCK) {
            int rc = wait_fd(fd, POLLIN, deadline, timeout_ms, path, err, errlen);
            if (rc < 0) {
                free(buf);
                return rc;
            }
            continue;
        }
        int rc = -errno;
        free(buf);
        set_err(err, errlen, "cannot read reply from %s: %s", path, strerror(-rc));
        return rc;
    }
}

static int decode_reply(const char *path, const char *text, size_t len, json_int_t want_id,
                        json_t **result, char *err, size_t errlen)
{
    json_error_t jerr;
    json_t *reply = json_loadb(text, len, 0, &jerr);
    if (!reply) {
        set_err(err, errlen, "invalid reply from %s: %s at byte %d", path, jerr.text,
                jerr.position);
        return -EPROTO;
    }
    int rc;
    json_t *id = json_object_get(reply, "id");
    json_t *error = json_object_get(reply, "error");
    json_t *res = json_object_get(reply, "result");
    if (!json_is_object(reply)) {
        set_err(err, errlen, "invalid reply from %s: not a JSON object", path);
        rc = -EPROTO;
    } else if (json_is_object(error) && (json_is_null(id) || (json_is_integer(id) &&
                                                              json_integer_value(id) == want_id))) {
        /* id null: the server could not read our request at all (or turned us away). */
        json_t *code = json_object_get(error, "code");
        json_t *message = json_object_get(error, "message");
        rc = json_is_integer(code) ? (int)json_integer_value(code) : JSONRPC_FAILED;
        if (!is_rpc_code(rc))
            rc = JSONRPC_FAILED;
        set_err(err, errlen, "%s",
                json_is_string(message) ? json_string_value(message) : "unspecified error");
    } else if (!json_is_integer(id) || json_integer_value(id) != want_id) {
        set_err(err, errlen, "invalid reply from %s: wrong or missing \"id\"", path);
        rc = -EPROTO;
    } else if (!res) {
        set_err(err, errlen, "invalid reply from %s: neither \"result\" nor \"error\"", path);
        rc = -EPROTO;
    } else {
        *result = json_incref(res);
        rc = 0;
    }
    json_decref(reply);
    return rc;
}

int jsonrpc_call(const char *path, const char *method, json_t *params, int timeout_ms,
                 json_t **result, char *err, size_t errlen)
{
    *result = NULL;
    if (err && errlen)
        err[0] = '\0';
    if (!method) {
        set_err(err, errlen, "no method given");
        return -EINVAL;
    }
    if (params && !json_is_object(params)) {
        set_err(err, errlen, "%s: params must be a JSON object", method);
        return -EINVAL;
    }
    long long deadline = timeout_ms > 0 ? now_ms() + timeout_ms : -1;
    const json_int_t id = 1; /* one request per connection */

    json_t *req = json_pack("{s:s, s:s, s:o, s:I}", "jsonrpc", "2.0", "method", method, "params",
                            params ? json_incref(params) : json_object(), "id", id);
    char *text = req ? json_dumps(req, JSONRPC_DUMP_FLAGS) : NULL;
    json_decref(req);
    if (!text) {
        set_err(err, errlen, "%s: cannot encode request (invalid UTF-8 in a string?)", method);
        return -EINVAL;
    }
    size_t len = strlen(text);
    if (len > JSONRPC_MAX_MSG) {
        free(text);
        set_err(err, errlen, "%s: request is %zu bytes, over the %u-byte message limit", method,
                len, JSONRPC_MAX_MSG);
        return -EMSGSIZE;
    }
    /* The terminating NUL becomes the newline that frames the message. */
    text[len++] = '\n';

    int fd = client_connect(path, deadline, err, errlen);
    if (fd < 0) {
        free(text);
        return fd;
    }
    int rc = client_send(fd, text, len, deadline, timeout_ms, path, err, errlen);
    free(text);
    char *reply = NULL;
    size_t reply_len = 0;
    if (rc == 0)
        rc = client_recv(fd, &reply, &reply_len, deadline, timeout_ms, path, err, errlen);
    close(fd);
    if (rc == 0)
        rc = decode_reply(path, reply, reply_len, id, result, err, errlen);
    free(reply);
    return rc;
}
