/* test-jsonrpc.c — the management protocol over real Unix sockets.
 *
 * Most tests drive the server single-threaded: a raw client socket writes bytes exactly as a
 * misbehaving or slow peer would (split, merged, garbage, oversize, vanishing), and pump()
 * runs the server the way the daemon's poll loop does. jsonrpc_call() blocks, so its tests
 * run the server in a thread.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/jsonrpc.h"

/* ---------------------------------------------------------------------------------------- */
/* Test methods                                                                              */

struct test_aux {
    int calls; /* "count" invocations, to observe notifications */
};

static int m_echo(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    *result = json_incref(params);
    return 0;
}

static int m_fail(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)result;
    const char *br = json_string_value(json_object_get(params, "bridge"));
    snprintf(err, errlen, "bridge %s: no such bridge", br ? br : "(none)");
    return JSONRPC_INVALID_PARAMS;
}

/* A handler that wrongly returns a negative errno and leaks a half-built result: the server
 * must neither pass -EINVAL through (it would read as a transport error) nor leak. */
static int m_errno(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)params, (void)err, (void)errlen;
    *result = json_string("partial");
    return -EINVAL;
}

static int m_count(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)params, (void)err, (void)errlen;
    struct test_aux *a = aux;
    *result = json_integer(++a->calls);
    return 0;
}

/* Returns a string of params.size bytes: large replies for the output-queue tests. */
static int m_blob(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    json_int_t size = json_integer_value(json_object_get(params, "size"));
    if (size <= 0) {
        snprintf(err, errlen, "blob: size must be positive");
        return JSONRPC_INVALID_PARAMS;
    }
    char *buf = malloc((size_t)size);
    if (!buf)
        return JSONRPC_FAILED;
    memset(buf, 'b', (size_t)size);
    *result = json_stringn_nocheck(buf, (size_t)size);
    free(buf);
    return 0;
}

static const struct jsonrpc_method methods[] = {
    {"echo", m_echo}, {"fail", m_fail}, {"errno", m_errno},
    {"count", m_count}, {"blob", m_blob}, {NULL, NULL},
};

/* ---------------------------------------------------------------------------------------- */
/* Fixture                                                                                   */

struct fixture {
    char dir[64];
    char path[128];
    struct test_aux aux;
    struct jsonrpc_server *server;
};

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/sluice-test-jsonrpc-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->path, sizeof(f->path), "%s/test.ctl", f->dir);
    char err[256];
    f->server = jsonrpc_server_create(f->path, methods, &f->aux, err, sizeof(err));
    if (!f->server) {
        fprintf(stderr, "server: %s\n", err);
        return -1;
    }
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    jsonrpc_server_destroy(f->server);
    char cmd[160];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

/* Runs the server until nothing is ready: what the daemon's loop does between events. */
static void pump(struct jsonrpc_server *s)
{
    for (int round = 0; round < 10000; round++) {
        int in[JSONRPC_MAX_CLIENTS + 1], out[JSONRPC_MAX_CLIENTS];
        int nin = jsonrpc_server_fds(s, in, JSONRPC_MAX_CLIENTS + 1);
        int nout = jsonrpc_server_fds_out(s, out, JSONRPC_MAX_CLIENTS);
        struct pollfd p[2 * JSONRPC_MAX_CLIENTS + 1];
        for (int i = 0; i < nin; i++)
            p[i] = (struct pollfd){.fd = in[i], .events = POLLIN};
        for (int i = 0; i < nout; i++)
            p[nin + i] = (struct pollfd){.fd = out[i], .events = POLLOUT};
        if (poll(p, (nfds_t)(nin + nout), 0) <= 0)
            return;
        for (int i = 0; i < nin + nout; i++)
            if (p[i].revents)
                jsonrpc_server_run(s, p[i].fd);
    }
    fail_msg("server never went idle");
}

static int n_input_fds(struct jsonrpc_server *s)
{
    int fds[JSONRPC_MAX_CLIENTS + 1];
    return jsonrpc_server_fds(s, fds, JSONRPC_MAX_CLIENTS + 1);
}

static bool has_output_fd(struct jsonrpc_server *s)
{
    int fds[JSONRPC_MAX_CLIENTS];
    return jsonrpc_server_fds_out(s, fds, JSONRPC_MAX_CLIENTS) > 0;
}

/* A raw peer with its own receive buffer (replies may arrive merged). */
struct peer {
    int fd;
    char *buf;
    size_t len, cap;
};

static struct peer *peer_connect(const char *path)
{
    struct peer *p = calloc(1, sizeof(*p));
    assert_non_null(p);
    p->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(p->fd >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    assert_int_equal(connect(p->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    return p;
}

static void peer_close(struct peer *p)
{
    if (p->fd >= 0)
        close(p->fd);
    free(p->buf);
    free(p);
}

static void peer_sendn(struct peer *p, const char *data, size_t len)
{
    assert_int_equal(send(p->fd, data, len, MSG_NOSIGNAL), (ssize_t)len);
}

static void peer_send(struct peer *p, const char *text)
{
    peer_sendn(p, text, strlen(text));
}

/* Pumps the server until the peer holds a whole line, then parses it. NULL on EOF. */
static json_t *peer_reply(struct jsonrpc_server *s, struct peer *p)
{
    for (int tries = 0; tries < 200000; tries++) {
        char *nl = p->len ? memchr(p->buf, '\n', p->len) : NULL;
        if (nl) {
            json_error_t jerr;
            size_t line = (size_t)(nl - p->buf);
            json_t *j = json_loadb(p->buf, line, 0, &jerr);
            if (!j)
                fail_msg("reply is not JSON: %s", jerr.text);
            memmove(p->buf, nl + 1, p->len - line - 1);
            p->len -= line + 1;
            return j;
        }
        pump(s);
        if (p->cap - p->len < 65536) {
            p->cap = p->cap ? p->cap * 2 : 1 << 20;
            p->buf = realloc(p->buf, p->cap);
            assert_non_null(p->buf);
        }
        ssize_t n = recv(p->fd, p->buf + p->len, p->cap - p->len, MSG_DONTWAIT);
        if (n == 0)
            return NULL;
        if (n < 0 && errno == ECONNRESET)
            return NULL;
        if (n > 0)
            p->len += (size_t)n;
        else
            poll(NULL, 0, 1);
    }
    fail_msg("no reply");
    return NULL;
}

/* True when the server closed the peer's connection (after pumping). */
static bool peer_closed(struct jsonrpc_server *s, struct peer *p)
{
    pump(s);
    char c;
    ssize_t n = recv(p->fd, &c, 1, MSG_DONTWAIT);
    return n == 0 || (n < 0 && errno == ECONNRESET);
}

static void assert_error(json_t *reply, int code, const char *needle, json_t *id)
{
    assert_non_null(reply);
    json_t *error = json_object_get(reply, "error");
    assert_true(json_is_object(error));
    assert_null(json_object_get(reply, "result"));
    assert_int_equal(json_integer_value(json_object_get(error, "code")), code);
    const char *msg = json_string_value(json_object_get(error, "message"));
    assert_non_null(msg);
    if (!strstr(msg, needle))
        fail_msg("error message \"%s\" lacks \"%s\"", msg, needle);
    json_t *got = json_object_get(reply, "id");
    assert_non_null(got);
    if (!json_equal(got, id ? id : json_null()))
        fail_msg("wrong id in %s", json_dumps(reply, JSON_COMPACT));
    assert_string_equal(json_string_value(json_object_get(reply, "jsonrpc")), "2.0");
    json_decref(id);
    json_decref(reply);
}

static void assert_result(json_t *reply, const char *result_json, json_int_t id)
{
    assert_non_null(reply);
    json_t *want = json_loads(result_json, JSON_DECODE_ANY, NULL);
    assert_non_null(want);
    json_t *got = json_object_get(reply, "result");
    if (!got || !json_equal(got, want))
        fail_msg("expected result %s in %s", result_json, json_dumps(reply, JSON_COMPACT));
    assert_int_equal(json_integer_value(json_object_get(reply, "id")), id);
    json_decref(want);
    json_decref(reply);
}

/* ---------------------------------------------------------------------------------------- */
/* Server, single-threaded                                                                   */

static void test_echo_and_ids(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"a\":[1,\"x\"]},\"id\":7}\n");
    assert_result(peer_reply(f->server, p), "{\"a\":[1,\"x\"]}", 7);
    /* String ids and null ids come back as sent; absent params mean {}. */
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":\"abc\"}\n");
    json_t *r = peer_reply(f->server, p);
    assert_string_equal(json_string_value(json_object_get(r, "id")), "abc");
    assert_true(json_is_object(json_object_get(r, "result")));
    assert_int_equal(json_object_size(json_object_get(r, "result")), 0);
    json_decref(r);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":null,\"id\":null}\n");
    r = peer_reply(f->server, p);
    assert_true(json_is_null(json_object_get(r, "id")));
    assert_true(json_is_object(json_object_get(r, "result")));
    json_decref(r);
    peer_close(p);
}

static void test_parse_error_keeps_connection(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\n");
    assert_error(peer_reply(f->server, p), JSONRPC_PARSE_ERROR, "parse error", NULL);
    static const char garbage[] = "\x01\xff garbage \x00 more\n";
    peer_sendn(p, garbage, sizeof(garbage) - 1);
    assert_error(peer_reply(f->server, p), JSONRPC_PARSE_ERROR, "parse error", NULL);
    /* Duplicate keys are ambiguous: rejected rather than silently picking one. */
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"method\":\"fail\",\"id\":1}\n");
    assert_error(peer_reply(f->server, p), JSONRPC_PARSE_ERROR, "duplicate", NULL);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"ok\":true},\"id\":2}\n");
    assert_result(peer_reply(f->server, p), "{\"ok\":true}", 2);
    peer_close(p);
}

static void test_invalid_requests(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    static const struct {
        const char *text;
        const char *needle;
        bool id_kept; /* the id was readable, so the error carries it (id 5) */
    } cases[] = {
        {"[{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}]", "batch", false},
        {"42", "JSON object", false},
        {"\"echo\"", "JSON object", false},
        {"{\"method\":\"echo\",\"id\":5}", "\"jsonrpc\" must be \"2.0\"", true},
        {"{\"jsonrpc\":\"1.0\",\"method\":\"echo\",\"id\":5}", "\"jsonrpc\" must be", true},
        {"{\"jsonrpc\":2.0,\"method\":\"echo\",\"id\":5}", "\"jsonrpc\" must be", true},
        {"{\"jsonrpc\":\"2.0\",\"id\":5}", "\"method\" is missing", true},
        {"{\"jsonrpc\":\"2.0\",\"method\":7,\"id\":5}", "\"method\" must be a string", true},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":{\"x\":1}}", "\"id\" must be", false},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":[5]}", "\"id\" must be", false},
        {"{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":true}", "\"id\" must be", false},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char line[512];
        snprintf(line, sizeof(line), "%s\n", cases[i].text);
        peer_send(p, line);
        assert_error(peer_reply(f->server, p), JSONRPC_INVALID_REQUEST, cases[i].needle,
                     cases[i].id_kept ? json_integer(5) : NULL);
    }
    peer_close(p);
}

static void test_unknown_method_and_bad_params(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"add-bridge\",\"params\":{},\"id\":3}\n");
    assert_error(peer_reply(f->server, p), JSONRPC_METHOD_NOT_FOUND, "unknown method 'add-bridge'",
                 json_integer(3));
    static const char *bad_params[] = {"[1,2]", "\"br0\"", "3", "true"};
    for (size_t i = 0; i < 4; i++) {
        char line[256];
        snprintf(line, sizeof(line),
                 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":%s,\"id\":4}\n", bad_params[i]);
        peer_send(p, line);
        assert_error(peer_reply(f->server, p), JSONRPC_INVALID_PARAMS,
                     "echo: params must be an object", json_integer(4));
    }
    /* Handler errors: message and code pass through; a bogus errno code becomes -32000. */
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":{\"bridge\":\"br9\"},\"id\":5}\n");
    assert_error(peer_reply(f->server, p), JSONRPC_INVALID_PARAMS, "bridge br9: no such bridge",
                 json_integer(5));
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"errno\",\"id\":6}\n");
    assert_error(peer_reply(f->server, p), JSONRPC_FAILED, "errno failed", json_integer(6));
    /* Non-ASCII text passes through messages untouched... */
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",\"params\":"
                 "{\"bridge\":\"\u00e9\"},\"id\":7}\n");
    assert_error(peer_reply(f->server, p), JSONRPC_INVALID_PARAMS, "bridge \u00e9: no such",
                 json_integer(7));
    /* ...and a message made invalid UTF-8 by truncation still reaches the client, masked:
     * "x" then 120 'é' puts the 200-byte cut in the middle of a character. */
    char longname[400];
    strcpy(longname, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"x");
    for (int i = 0; i < 120; i++)
        strcat(longname, "\xc3\xa9");
    strcat(longname, "\"}\n");
    peer_send(p, longname);
    assert_error(peer_reply(f->server, p), JSONRPC_METHOD_NOT_FOUND,
                 "unknown method 'x\xc3\xa9\xc3\xa9", json_integer(8));
    peer_close(p);
}

static void test_notifications_get_no_reply(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"count\"}\n"
                 "{\"jsonrpc\":\"2.0\",\"method\":\"nosuch\"}\n"
                 "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"params\":[]}\n"
                 "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":9}\n");
    /* The first reply is the one for id 9: the notifications ran silently (one counted,
     * the one with array params was rejected silently). */
    assert_result(peer_reply(f->server, p), "2", 9);
    assert_int_equal(f->aux.calls, 2);
    peer_close(p);
}

static void test_split_writes(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    const char *req = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"k\":\"v\"},\"id\":11}\n";
    for (const char *c = req; *c; c++) {
        assert_int_equal(send(p->fd, c, 1, MSG_NOSIGNAL), 1);
        pump(f->server);
        if (c[1]) { /* nothing may be answered before the newline */
            char b;
            assert_int_equal(recv(p->fd, &b, 1, MSG_DONTWAIT), -1);
            assert_int_equal(errno, EAGAIN);
        }
    }
    assert_result(peer_reply(f->server, p), "{\"k\":\"v\"}", 11);
    peer_close(p);
}

static void test_merged_writes(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    /* Three requests, blank lines and a CRLF in one write; then one request whose first half
     * rides with the end of another. */
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"n\":1},\"id\":1}\n\n  \n"
                 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"n\":2},\"id\":2}\r\n"
                 "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"n\":3},\"id\":3}\n"
                 "{\"jsonrpc\":\"2.0\",\"met");
    assert_result(peer_reply(f->server, p), "{\"n\":1}", 1);
    assert_result(peer_reply(f->server, p), "{\"n\":2}", 2);
    assert_result(peer_reply(f->server, p), "{\"n\":3}", 3);
    peer_send(p, "hod\":\"echo\",\"params\":{\"n\":4},\"id\":4}\n");
    assert_result(peer_reply(f->server, p), "{\"n\":4}", 4);
    peer_close(p);
}

static void test_several_clients(void **state)
{
    struct fixture *f = *state;
    struct peer *a = peer_connect(f->path), *b = peer_connect(f->path);
    struct peer *c = peer_connect(f->path), *d = peer_connect(f->path);
    pump(f->server);
    assert_int_equal(n_input_fds(f->server), 5);

    /* Interleaved halves from a and b; c sends garbage; d vanishes mid-request. */
    peer_send(a, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",");
    peer_send(b, "{\"jsonrpc\":\"2.0\",\"method\":\"fail\",");
    peer_send(d, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":1");
    pump(f->server);
    peer_send(c, "\xde\xad\xbe\xef\n");
    close(d->fd);
    d->fd = -1;
    pump(f->server);
    peer_send(b, "\"params\":{\"bridge\":\"b\"},\"id\":\"b1\"}\n");
    peer_send(a, "\"params\":{\"who\":\"a\"},\"id\":1}\n");

    assert_result(peer_reply(f->server, a), "{\"who\":\"a\"}", 1);
    assert_error(peer_reply(f->server, b), JSONRPC_INVALID_PARAMS, "bridge b:", json_string("b1"));
    assert_error(peer_reply(f->server, c), JSONRPC_PARSE_ERROR, "parse error", NULL);
    assert_int_equal(f->aux.calls, 0); /* d's unterminated request never ran */
    assert_int_equal(n_input_fds(f->server), 4);

    /* c is still usable after its garbage. */
    peer_send(c, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":2}\n");
    assert_result(peer_reply(f->server, c), "1", 2);
    peer_close(a);
    peer_close(b);
    peer_close(c);
    peer_close(d);
    pump(f->server);
    assert_int_equal(n_input_fds(f->server), 1);
}

static void test_client_vanishes_after_request(void **state)
{
    struct fixture *f = *state;
    /* The request is complete but the peer is gone before the reply: the server's write
     * fails (EPIPE, which must not raise SIGPIPE) and only that client is dropped. */
    struct peer *gone = peer_connect(f->path);
    struct peer *stay = peer_connect(f->path);
    peer_send(gone, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":1}\n");
    close(gone->fd);
    gone->fd = -1;
    pump(f->server);
    assert_int_equal(f->aux.calls, 1);
    assert_int_equal(n_input_fds(f->server), 2);
    assert_false(has_output_fd(f->server));
    peer_send(stay, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":2}\n");
    assert_result(peer_reply(f->server, stay), "2", 2);
    peer_close(gone);
    peer_close(stay);
}

static void test_half_close_gets_reply(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"x\":1},\"id\":1}\n{\"trunc");
    assert_int_equal(shutdown(p->fd, SHUT_WR), 0);
    assert_result(peer_reply(f->server, p), "{\"x\":1}", 1);
    assert_null(peer_reply(f->server, p)); /* then EOF; the unterminated tail is dropped */
    assert_int_equal(n_input_fds(f->server), 1);
    peer_close(p);
}

static void test_oversize_message(void **state)
{
    struct fixture *f = *state;
    struct peer *big = peer_connect(f->path);
    struct peer *other = peer_connect(f->path);
    assert_int_equal(fcntl(big->fd, F_SETFL, O_NONBLOCK), 0);
    size_t chunk = 1 << 20;
    char *junk = malloc(chunk);
    assert_non_null(junk);
    memset(junk, ' ', chunk); /* whitespace: valid JSON so far, only the size is wrong */
    size_t sent = 0;
    bool refused = false;
    while (sent <= JSONRPC_MAX_MSG && !refused) {
        size_t want = chunk;
        if (sent + want > (size_t)JSONRPC_MAX_MSG + 1)
            want = (size_t)JSONRPC_MAX_MSG + 1 - sent;
        ssize_t n = send(big->fd, junk, want, MSG_NOSIGNAL);
        if (n > 0)
            sent += (size_t)n;
        else if (errno == EAGAIN)
            pump(f->server);
        else
            refused = true; /* server already closed: EPIPE/ECONNRESET */
    }
    free(junk);
    assert_int_equal(fcntl(big->fd, F_SETFL, 0), 0);
    assert_error(peer_reply(f->server, big), JSONRPC_PARSE_ERROR, "exceeds", NULL);
    assert_true(peer_closed(f->server, big));
    /* The other client never noticed. */
    peer_send(other, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n");
    assert_result(peer_reply(f->server, other), "{}", 1);
    assert_int_equal(n_input_fds(f->server), 2);
    peer_close(big);
    peer_close(other);
}

static void test_large_message_within_limit(void **state)
{
    struct fixture *f = *state;
    /* A 20 MB request (think add-flows) arrives in many partial reads and is answered by a
     * 20 MB reply that needs many partial writes, driven by fds_out. */
    size_t n = 20u << 20;
    const char *head = "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"params\":{\"s\":\"";
    const char *tail = "\"},\"id\":1}\n";
    char *req = malloc(strlen(head) + n + strlen(tail) + 1);
    assert_non_null(req);
    strcpy(req, head);
    memset(req + strlen(head), 'q', n);
    strcpy(req + strlen(head) + n, tail);
    struct peer *p = peer_connect(f->path);
    assert_int_equal(fcntl(p->fd, F_SETFL, O_NONBLOCK), 0);
    size_t len = strlen(req), off = 0;
    bool saw_output_pending = false;
    while (off < len) {
        ssize_t w = send(p->fd, req + off, len - off, MSG_NOSIGNAL);
        if (w > 0)
            off += (size_t)w;
        else
            pump(f->server);
    }
    free(req);
    pump(f->server);
    saw_output_pending = has_output_fd(f->server);
    assert_true(saw_output_pending); /* 20 MB cannot fit in a socket buffer */
    json_t *r = peer_reply(f->server, p);
    assert_non_null(r);
    const char *s = json_string_value(json_object_get(json_object_get(r, "result"), "s"));
    assert_non_null(s);
    assert_int_equal(strlen(s), n);
    assert_int_equal(strspn(s, "q"), n);
    json_decref(r);
    assert_false(has_output_fd(f->server));
    peer_close(p);
}

static void test_reply_over_limit_becomes_error(void **state)
{
    struct fixture *f = *state;
    struct peer *p = peer_connect(f->path);
    char req[200];
    snprintf(req, sizeof(req),
             "{\"jsonrpc\":\"2.0\",\"method\":\"blob\",\"params\":{\"size\":%u},\"id\":1}\n",
             JSONRPC_MAX_MSG);
    peer_send(p, req);
    assert_error(peer_reply(f->server, p), JSONRPC_FAILED, "reply to 'blob' is", json_integer(1));
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}\n");
    assert_result(peer_reply(f->server, p), "{}", 2);
    peer_close(p);
}

static void test_slow_reader_is_dropped(void **state)
{
    struct fixture *f = *state;
    struct peer *slow = peer_connect(f->path);
    struct peer *other = peer_connect(f->path);
    /* Each reply is 50 MB; the client reads none of them. Two fit in the output bound, the
     * third does not. */
    char req[200];
    snprintf(req, sizeof(req),
             "{\"jsonrpc\":\"2.0\",\"method\":\"blob\",\"params\":{\"size\":%d},\"id\":1}\n",
             50 << 20);
    peer_send(slow, req);
    peer_send(slow, req);
    pump(f->server);
    assert_true(has_output_fd(f->server));
    assert_int_equal(n_input_fds(f->server), 3); /* still connected */
    peer_send(slow, req);
    pump(f->server);
    assert_int_equal(n_input_fds(f->server), 2);
    assert_false(has_output_fd(f->server));
    peer_send(other, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n");
    assert_result(peer_reply(f->server, other), "{}", 1);
    peer_close(slow);
    peer_close(other);
}

static void test_too_many_clients(void **state)
{
    struct fixture *f = *state;
    struct peer *peers[JSONRPC_MAX_CLIENTS];
    for (int i = 0; i < JSONRPC_MAX_CLIENTS; i++)
        peers[i] = peer_connect(f->path);
    pump(f->server);
    assert_int_equal(n_input_fds(f->server), JSONRPC_MAX_CLIENTS + 1);
    struct peer *extra = peer_connect(f->path);
    assert_error(peer_reply(f->server, extra), JSONRPC_FAILED, "too many", NULL);
    assert_null(peer_reply(f->server, extra));
    /* Everyone admitted still works, and a slot frees when one leaves. */
    peer_send(peers[JSONRPC_MAX_CLIENTS - 1], "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n");
    assert_result(peer_reply(f->server, peers[JSONRPC_MAX_CLIENTS - 1]), "{}", 1);
    peer_close(peers[0]);
    peer_close(extra);
    pump(f->server);
    extra = peer_connect(f->path);
    peer_send(extra, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}\n");
    assert_result(peer_reply(f->server, extra), "{}", 2);
    peer_close(extra);
    for (int i = 1; i < JSONRPC_MAX_CLIENTS; i++)
        peer_close(peers[i]);
}

static void test_out_of_descriptors(void **state)
{
    struct fixture *f = *state;
    struct peer *ok = peer_connect(f->path);
    pump(f->server);
    /* A client socket made before the limit drops, connected after: the server cannot
     * accept it. It must shed it rather than leave the listener readable forever (pump()
     * fails if the server never goes idle). */
    struct peer *late = calloc(1, sizeof(*late));
    late->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    assert_true(late->fd >= 0);
    int lowest_free = dup(0);
    assert_true(lowest_free >= 0);
    close(lowest_free);
    struct rlimit saved, low;
    assert_int_equal(getrlimit(RLIMIT_NOFILE, &saved), 0);
    low = saved;
    low.rlim_cur = (rlim_t)lowest_free;
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &low), 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, f->path);
    assert_int_equal(connect(late->fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    pump(f->server);
    assert_int_equal(setrlimit(RLIMIT_NOFILE, &saved), 0);
    assert_null(peer_reply(f->server, late)); /* shed: EOF */
    assert_int_equal(n_input_fds(f->server), 2);
    /* The server is intact: the old client works, and new ones are accepted again. */
    peer_send(ok, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":1}\n");
    assert_result(peer_reply(f->server, ok), "{}", 1);
    struct peer *again = peer_connect(f->path);
    peer_send(again, "{\"jsonrpc\":\"2.0\",\"method\":\"echo\",\"id\":2}\n");
    assert_result(peer_reply(f->server, again), "{}", 2);
    peer_close(ok);
    peer_close(late);
    peer_close(again);
}

/* ---------------------------------------------------------------------------------------- */
/* Socket file lifecycle                                                                     */

static void make_stale_socket(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
    close(fd); /* the file stays, nobody listens: what a crashed daemon leaves */
}

static void test_socket_file_lifecycle(void **state)
{
    struct fixture *f = *state;
    char err[256];

    /* A live daemon at the path is never displaced. */
    struct jsonrpc_server *dup = jsonrpc_server_create(f->path, methods, NULL, err, sizeof(err));
    assert_null(dup);
    assert_non_null(strstr(err, "already listening"));
    assert_non_null(strstr(err, f->path));

    /* A stale socket file is replaced. */
    char stale[160];
    snprintf(stale, sizeof(stale), "%s/stale.ctl", f->dir);
    make_stale_socket(stale);
    struct jsonrpc_server *s2 = jsonrpc_server_create(stale, methods, NULL, err, sizeof(err));
    assert_non_null(s2);
    jsonrpc_server_destroy(s2);
    struct stat st;
    assert_int_equal(stat(stale, &st), -1); /* destroy unlinks its own socket */

    /* A regular file is not ours to remove. */
    char file[160];
    snprintf(file, sizeof(file), "%s/not-a-socket", f->dir);
    FILE *fp = fopen(file, "w");
    assert_non_null(fp);
    fclose(fp);
    assert_null(jsonrpc_server_create(file, methods, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "not a socket"));
    assert_int_equal(stat(file, &st), 0);

    /* Too long for sun_path. */
    char longpath[200];
    memset(longpath, 'a', sizeof(longpath) - 1);
    longpath[0] = '/';
    longpath[sizeof(longpath) - 1] = '\0';
    assert_null(jsonrpc_server_create(longpath, methods, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "limit"));

    /* If another server took the path over, destroying the old one leaves it alone. */
    char moved[160];
    snprintf(moved, sizeof(moved), "%s/moved.ctl", f->dir);
    struct jsonrpc_server *old = jsonrpc_server_create(moved, methods, NULL, err, sizeof(err));
    assert_non_null(old);
    unlink(moved);
    struct jsonrpc_server *new = jsonrpc_server_create(moved, methods, &f->aux, err, sizeof(err));
    assert_non_null(new);
    jsonrpc_server_destroy(old);
    assert_int_equal(stat(moved, &st), 0);
    struct peer *p = peer_connect(moved);
    peer_send(p, "{\"jsonrpc\":\"2.0\",\"method\":\"count\",\"id\":1}\n");
    assert_result(peer_reply(new, p), "1", 1);
    peer_close(p);
    jsonrpc_server_destroy(new);
}

/* ---------------------------------------------------------------------------------------- */
/* Client, against a server thread                                                           */

struct server_thread {
    pthread_t tid;
    struct jsonrpc_server *server;
    atomic_bool stop;
};

static void *server_main(void *arg)
{
    struct server_thread *t = arg;
    /* The daemon's loop, with the one-call helper (pump() uses fds/fds_out). */
    while (!atomic_load(&t->stop)) {
        struct pollfd p[JSONRPC_MAX_CLIENTS + 1];
        int n = jsonrpc_server_pollfds(t->server, p, JSONRPC_MAX_CLIENTS + 1);
        if (poll(p, (nfds_t)n, 20) <= 0)
            continue;
        for (int i = 0; i < n; i++)
            if (p[i].revents)
                jsonrpc_server_run(t->server, p[i].fd);
    }
    return NULL;
}

static void thread_start(struct server_thread *t, struct jsonrpc_server *s)
{
    t->server = s;
    atomic_store(&t->stop, false);
    assert_int_equal(pthread_create(&t->tid, NULL, server_main, t), 0);
}

static void thread_stop(struct server_thread *t)
{
    atomic_store(&t->stop, true);
    pthread_join(t->tid, NULL);
}

static void test_call(void **state)
{
    struct fixture *f = *state;
    struct server_thread t;
    thread_start(&t, f->server);
    char err[256];
    json_t *result;

    json_t *params = json_pack("{s:s, s:i}", "bridge", "br0", "n", 3);
    assert_int_equal(jsonrpc_call(f->path, "echo", params, 5000, &result, err, sizeof(err)), 0);
    assert_true(json_equal(result, params));
    assert_int_equal(params->refcount, 1); /* borrowed, not stolen */
    json_decref(result);
    json_decref(params);

    assert_int_equal(jsonrpc_call(f->path, "echo", NULL, 0, &result, err, sizeof(err)), 0);
    assert_true(json_is_object(result) && json_object_size(result) == 0);
    json_decref(result);

    params = json_pack("{s:s}", "bridge", "br7");
    assert_int_equal(jsonrpc_call(f->path, "fail", params, 5000, &result, err, sizeof(err)),
                     JSONRPC_INVALID_PARAMS);
    assert_null(result);
    assert_string_equal(err, "bridge br7: no such bridge");
    json_decref(params);

    assert_int_equal(jsonrpc_call(f->path, "nope", NULL, 5000, &result, err, sizeof(err)),
                     JSONRPC_METHOD_NOT_FOUND);
    assert_string_equal(err, "unknown method 'nope'");
    assert_int_equal(jsonrpc_call(f->path, "errno", NULL, 5000, &result, err, sizeof(err)),
                     JSONRPC_FAILED);

    /* A 30 MB reply crosses many partial writes and reads. */
    params = json_pack("{s:i}", "size", 30 << 20);
    assert_int_equal(jsonrpc_call(f->path, "blob", params, 20000, &result, err, sizeof(err)), 0);
    assert_int_equal(json_string_length(result), 30 << 20);
    json_decref(result);
    json_decref(params);

    /* Params that are not an object are refused before anything is sent. */
    params = json_array();
    assert_int_equal(jsonrpc_call(f->path, "echo", params, 5000, &result, err, sizeof(err)),
                     -EINVAL);
    json_decref(params);
    thread_stop(&t);
}

static void test_call_transport_errors(void **state)
{
    struct fixture *f = *state;
    char err[512], path[160];
    json_t *result = (json_t *)1;

    snprintf(path, sizeof(path), "%s/absent.ctl", f->dir);
    assert_int_equal(jsonrpc_call(path, "version", NULL, 1000, &result, err, sizeof(err)), -ENOENT);
    assert_null(result);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, "is sluiced running?"));

    snprintf(path, sizeof(path), "%s/stale.ctl", f->dir);
    make_stale_socket(path);
    assert_int_equal(jsonrpc_call(path, "version", NULL, 1000, &result, err, sizeof(err)),
                     -ECONNREFUSED);
    assert_non_null(strstr(err, "is sluiced running?"));

    /* A listener that never answers: the call gives up at the deadline. */
    snprintf(path, sizeof(path), "%s/mute.ctl", f->dir);
    int mute = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    strcpy(sun.sun_path, path);
    assert_int_equal(bind(mute, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(mute, 4), 0);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    assert_int_equal(jsonrpc_call(path, "version", NULL, 300, &result, err, sizeof(err)),
                     -ETIMEDOUT);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 290 && ms < 3000);
    assert_non_null(strstr(err, "no reply from"));

    /* A peer that accepts and hangs up: connection reset, not a hang. */
    int conn = accept(mute, NULL, NULL); /* the timed-out call's connection */
    close(conn);
    close(mute);
    unlink(path);
    assert_true(strlen(path) < sizeof(sun.sun_path));

    /* A peer that answers with something that is not JSON-RPC. */
    mute = socket(AF_UNIX, SOCK_STREAM, 0);
    assert_int_equal(bind(mute, (struct sockaddr *)&sun, sizeof(sun)), 0);
    assert_int_equal(listen(mute, 4), 0);
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        static const char *answers[] = {"", "not json\n", "{\"jsonrpc\":\"2.0\",\"id\":99,\"result\":1}\n",
                                        "{\"jsonrpc\":\"2.0\",\"id\":1}\n"};
        for (int i = 0; i < 4; i++) {
            int c = accept(mute, NULL, NULL);
            char buf[4096];
            ssize_t n = recv(c, buf, sizeof(buf), 0);
            (void)n;
            ssize_t w = send(c, answers[i], strlen(answers[i]), MSG_NOSIGNAL);
            (void)w;
            close(c);
        }
        _exit(0);
    }
    assert_int_equal(jsonrpc_call(path, "version", NULL, 5000, &result, err, sizeof(err)),
                     -ECONNRESET);
    assert_non_null(strstr(err, "closed the connection"));
    assert_int_equal(jsonrpc_call(path, "version", NULL, 5000, &result, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "invalid reply"));
    assert_int_equal(jsonrpc_call(path, "version", NULL, 5000, &result, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "\"id\""));
    assert_int_equal(jsonrpc_call(path, "version", NULL, 5000, &result, err, sizeof(err)), -EPROTO);
    assert_non_null(strstr(err, "neither"));
    assert_null(result);
    int status;
    waitpid(pid, &status, 0);
    assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    close(mute);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_echo_and_ids, setup, teardown),
        cmocka_unit_test_setup_teardown(test_parse_error_keeps_connection, setup, teardown),
        cmocka_unit_test_setup_teardown(test_invalid_requests, setup, teardown),
        cmocka_unit_test_setup_teardown(test_unknown_method_and_bad_params, setup, teardown),
        cmocka_unit_test_setup_teardown(test_notifications_get_no_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_split_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_merged_writes, setup, teardown),
        cmocka_unit_test_setup_teardown(test_several_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_client_vanishes_after_request, setup, teardown),
        cmocka_unit_test_setup_teardown(test_half_close_gets_reply, setup, teardown),
        cmocka_unit_test_setup_teardown(test_oversize_message, setup, teardown),
        cmocka_unit_test_setup_teardown(test_large_message_within_limit, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reply_over_limit_becomes_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_slow_reader_is_dropped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_too_many_clients, setup, teardown),
        cmocka_unit_test_setup_teardown(test_out_of_descriptors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_socket_file_lifecycle, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call, setup, teardown),
        cmocka_unit_test_setup_teardown(test_call_transport_errors, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
