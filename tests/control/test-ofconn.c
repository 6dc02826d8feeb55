/* test-ofconn.c — the OpenFlow side of the daemon.
 *
 * Pure parts first: controller target parsing, reconnect backoff, the default datapath id,
 * group chain checks, and who receives asynchronous messages.
 *
 * Then a session over the real RUNDIR/br0.mgmt socket, in this process: a bridge made with
 * dp_bridge_add() (an EAL without hugepages or devices), the ofconn poll loop pumped by the
 * test the way sluiced pumps it, and a raw client that sends OpenFlow bytes encoded with the
 * codec. What it pins down: HELLO first, features, BARRIER means published (the PMDs' view
 * holds every earlier flow when the reply leaves), flow stats, group and meter semantics
 * (exists, unknown, loop, chained, delete takes the flows along), roles, FLOW_REMOVED to a
 * service connection that asked, a half-closed peer still getting its replies, and garbage.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "control/of-handler.h"
#include "control/ofconn.h"
#include "datapath/dp.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "ofproto/flow-syntax.h"
#include "ofproto/ofp-msgs.h"

/* --- Pure parts ------------------------------------------------------------------------- */

static void test_parse_target(void **state)
{
    (void)state;
    struct ofconn_target_addr t;
    char err[256];
    assert_int_equal(ofconn_parse_target("tcp:127.0.0.1:6653", &t, err, sizeof err), 0);
    assert_int_equal(t.kind, 't');
    assert_int_equal(t.port, 6653);
    assert_int_equal(t.addr, htonl(0x7f000001));
    assert_int_equal(ofconn_parse_target("ptcp:6653", &t, err, sizeof err), 0);
    assert_int_equal(t.kind, 'p');
    assert_int_equal(t.port, 6653);
    assert_int_equal(t.addr, htonl(0x7f000001)); /* loopback unless told otherwise */
    assert_int_equal(ofconn_parse_target("ptcp:0:0.0.0.0", &t, err, sizeof err), 0);
    assert_int_equal(t.port, 0);
    assert_int_equal(t.addr, 0);
    assert_int_equal(ofconn_parse_target("ptcp:16653:10.1.2.3", &t, err, sizeof err), 0);
    assert_int_equal(t.addr, htonl(0x0a010203));

    static const struct {
        const char *target;
        const char *needle;
    } bad[] = {
        {"tcp:127.0.0.1", "tcp:IP:PORT"},
        {"tcp:127.0.0.1:0", "1..65535"},
        {"tcp:127.0.0.1:70000", "1..65535"},
        {"tcp:1.2.3:6653", "not an IPv4"},
        {"tcp:host.example:6653", "not an IPv4"},
        {"tcp:127.0.0.1:-1", "1..65535"},
        {"ptcp:abc", "0..65535"},
        {"ptcp:6653:1.2.3.300", "listen on"},
        {"unix:/tmp/x", "not supported"},
        {"ssl:1.2.3.4:6653", "not supported"},
        {"", "expected"},
        {"tcp:127.0.0.1:6653:extra:xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx", "too long"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        assert_int_equal(ofconn_parse_target(bad[i].target, &t, err, sizeof err), -EINVAL);
        if (!strstr(err, bad[i].needle))
            fail_msg("target \"%s\": message \"%s\" lacks \"%s\"", bad[i].target, err,
                     bad[i].needle);
    }
}

static void test_backoff(void **state)
{
    (void)state;
    assert_int_equal(ofconn_backoff_s(0), 1);
    assert_int_equal(ofconn_backoff_s(1), 2);
    assert_int_equal(ofconn_backoff_s(2), 4);
    assert_int_equal(ofconn_backoff_s(3), 8);
    assert_int_equal(ofconn_backoff_s(4), 8);
    assert_int_equal(ofconn_backoff_s(1000000), 8);
}

static void test_default_dpid(void **state)
{
    (void)state;
    uint64_t a = ofconn_default_datapath_id("br0"), b = ofconn_default_datapath_id("br1");
    assert_int_equal(a, ofconn_default_datapath_id("br0")); /* stable */
    assert_true(a != b);
    assert_true(a != 0 && b != 0);
    assert_int_equal(a >> 48, 0); /* 48 bits, like OVS's MAC-derived ids */
    assert_int_equal(b >> 48, 0);
}

/* A tiny group table for the chain checks. */
static struct dp_group *fake_groups[8];

static const struct dp_group *fake_lookup(void *aux, uint32_t id)
{
    (void)aux;
    for (int i = 0; i < 8; i++)
        if (fake_groups[i] && fake_groups[i]->id == id)
            return fake_groups[i];
    return NULL;
}

static struct dp_group *fake_group(int slot, uint32_t id, uint32_t to)
{
    struct dp_group *g = dp_group_alloc(id, DP_GROUP_INDIRECT, 1);
    assert_non_null(g);
    g->buckets[0].n_actions = 1;
    g->buckets[0].actions[0] = to ? (struct dp_action){.type = DP_ACT_GROUP, .port = to}
                                  : (struct dp_action){.type = DP_ACT_OUTPUT, .port = 1};
    fake_groups[slot] = g;
    return g;
}

static void ofp_group_to(struct ofp_group *g, uint32_t id, uint32_t n, const uint32_t *to)
{
    memset(g, 0, sizeof *g);
    g->type = OFPGT_ALL;
    g->group_id = id;
    g->n_buckets = n;
    for (uint32_t i = 0; i < n; i++) {
        g->buckets[i].watch_port = DP_OFPORT_ANY;
        g->buckets[i].watch_group = OFPG_ANY;
        g->buckets[i].n_actions = 1;
        g->buckets[i].actions[0] = (struct dp_action){.type = DP_ACT_GROUP, .port = to[i]};
    }
}

static void test_group_chain(void **state)
{
    (void)state;
    /* 2 -> 3 -> 4 (output), 5 -> 3. */
    fake_group(0, 2, 3);
    fake_group(1, 3, 4);
    fake_group(2, 4, 0);
    fake_group(3, 5, 3);
    struct ofp_group *g = malloc(sizeof *g);
    struct ofp_err e;
    assert_non_null(g);

    ofp_group_to(g, 1, 2, (uint32_t[]){2, 5}); /* diamond, no loop */
    assert_int_equal(ofh_group_check_chain(g, fake_lookup, NULL, &e), 0);

    ofp_group_to(g, 1, 1, (uint32_t[]){1}); /* itself */
    assert_int_equal(ofh_group_check_chain(g, fake_lookup, NULL, &e), -EPROTO);
    assert_int_equal(e.type, OFPET_GROUP_MOD_FAILED);
    assert_int_equal(e.code, OFPGMFC_LOOP);

    ofp_group_to(g, 4, 1, (uint32_t[]){2}); /* 4 -> 2 -> 3 -> 4 */
    assert_int_equal(ofh_group_check_chain(g, fake_lookup, NULL, &e), -EPROTO);
    assert_int_equal(e.code, OFPGMFC_LOOP);
    assert_non_null(strstr(e.msg, "group 4"));

    ofp_group_to(g, 1, 2, (uint32_t[]){2, 9}); /* 9 does not exist */
    assert_int_equal(ofh_group_check_chain(g, fake_lookup, NULL, &e), -EPROTO);
    assert_int_equal(e.type, OFPET_BAD_ACTION);
    assert_int_equal(e.code, OFPBAC_BAD_OUT_GROUP);
    assert_non_null(strstr(e.msg, "group 9"));

    ofp_group_to(g, 3, 1, (uint32_t[]){4}); /* modifying 3 the same way stays fine */
    assert_int_equal(ofh_group_check_chain(g, fake_lookup, NULL, &e), 0);
    free(g);
    for (int i = 0; i < 8; i++) {
        dp_group_free(fake_groups[i]);
        fake_groups[i] = NULL;
    }
}

static void test_wants_async(void **state)
{
    (void)state;
    struct ofconn c;
    memset(&c, 0, sizeof c);
    c.kind = OFC_SERVICE;
    c.state = OFC_OPEN;
    c.role = OFPCR_ROLE_EQUAL;
    /* A tool on the .mgmt socket gets nothing until it asks (as in Open vSwitch). */
    assert_false(ofc_wants_async(&c, OFPT_PACKET_IN, OFPR_ACTION));
    assert_false(ofc_wants_async(&c, OFPT_PORT_STATUS, OFPPR_ADD));
    c.miss_send_len = 128;
    assert_true(ofc_wants_async(&c, OFPT_PACKET_IN, OFPR_NO_MATCH));
    assert_true(ofc_wants_async(&c, OFPT_FLOW_REMOVED, OFPRR_DELETE));
    /* Controllers by default; a slave only hears about ports. */
    c.kind = OFC_ACTIVE;
    c.miss_send_len = 0;
    assert_true(ofc_wants_async(&c, OFPT_PACKET_IN, OFPR_ACTION));
    c.role = OFPCR_ROLE_SLAVE;
    assert_false(ofc_wants_async(&c, OFPT_PACKET_IN, OFPR_ACTION));
    assert_false(ofc_wants_async(&c, OFPT_FLOW_REMOVED, OFPRR_IDLE_TIMEOUT));
    assert_true(ofc_wants_async(&c, OFPT_PORT_STATUS, OFPPR_MODIFY));
    c.role = OFPCR_ROLE_MASTER;
    assert_true(ofc_wants_async(&c, OFPT_FLOW_REMOVED, OFPRR_HARD_TIMEOUT));
    /* Not before HELLO, not while closing. */
    c.state = OFC_HELLO;
    assert_false(ofc_wants_async(&c, OFPT_PORT_STATUS, OFPPR_ADD));
    c.state = OFC_OPEN;
    c.closing = true;
    assert_false(ofc_wants_async(&c, OFPT_PORT_STATUS, OFPPR_ADD));
}

/* --- Session over the real socket ------------------------------------------------------- */

static bool g_eal;
static char g_dir[64];
static char g_sock[128];
static struct dp_bridge *g_br;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* One pass of the daemon's loop. */
static void pump_once(int timeout_ms)
{
    struct pollfd pfds[64];
    int n = ofconn_pollfds(pfds, 64);
    int k = poll(pfds, (nfds_t)n, timeout_ms);
    if (k > 0)
        ofconn_run(pfds, n);
    ofconn_tick(now_ns());
}

static int session_setup(void **state)
{
    (void)state;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "--file-prefix=test-ofconn-%d", (int)getpid());
    char *argv[] = {"test-ofconn", "--no-huge", "--no-shconf", "-m", "64", "--no-pci",
                    "--no-telemetry", "-l", "0", "--log-level=error", prefix, NULL};
    if (rte_eal_init((int)(sizeof argv / sizeof argv[0]) - 1, argv) < 0) {
        print_message("EAL init failed (%s): session tests skipped\n", rte_strerror(rte_errno));
        return 0;
    }
    g_eal = true;
    snprintf(g_dir, sizeof g_dir, "/tmp/test-ofconn.XXXXXX");
    assert_non_null(mkdtemp(g_dir));
    char err[256];
    assert_int_equal(ofconn_init(g_dir, err, sizeof err), 0);
    assert_int_equal(dp_bridge_add("br0", err, sizeof err), 0);
    g_br = dp_bridge_find("br0");
    assert_non_null(g_br);
    assert_int_equal(ofconn_bridge_added(g_br, err, sizeof err), 0);
    snprintf(g_sock, sizeof g_sock, "%s/br0.mgmt", g_dir);
    return 0;
}

static int session_teardown(void **state)
{
    (void)state;
    if (!g_eal)
        return 0;
    char err[256];
    ofconn_bridge_removed("br0");
    assert_int_equal(access(g_sock, F_OK), -1); /* the socket went with the bridge */
    assert_int_equal(dp_bridge_del("br0", err, sizeof err), 0);
    ofconn_fini();
    rmdir(g_dir);
    rte_eal_cleanup();
    return 0;
}

#define SKIP_WITHOUT_EAL()                                                                   \
    do {                                                                                     \
        if (!g_eal)                                                                          \
            skip();                                                                          \
    } while (0)

struct client {
    int fd;
    uint8_t buf[1 << 17];
    size_t len;
    uint32_t xid;
};

static struct client *client_open(void)
{
    struct client *c = calloc(1, sizeof *c);
    assert_non_null(c);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
    assert_true(c->fd >= 0);
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    snprintf(sun.sun_path, sizeof sun.sun_path, "%.*s", (int)sizeof sun.sun_path - 1, g_sock);
    assert_int_equal(connect(c->fd, (struct sockaddr *)&sun, sizeof sun), 0);
    c->xid = 100;
    return c;
}

static void client_close(struct client *c)
{
    close(c->fd);
    free(c);
    for (int i = 0; i < 5; i++)
        pump_once(1);
}

/* Writes everything, pumping the switch while the socket is full. */
static void client_send(struct client *c, const void *data, size_t len)
{
    const uint8_t *p = data;
    while (len) {
        ssize_t n = send(c->fd, p, len, MSG_NOSIGNAL);
        if (n > 0) {
            p += n;
            len -= (size_t)n;
        } else {
            assert_true(n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK));
            pump_once(1);
        }
    }
}

static void client_send_buf(struct client *c, struct ofp_buf *b)
{
    client_send(c, b->data, b->len);
    ofp_buf_clear(b);
}

/* Next whole message into m (decoded) and raw (its bytes); false at EOF or after 3 s. */
static bool client_recv(struct client *c, struct ofp_msg *m, uint8_t **raw, size_t *raw_len)
{
    static uint8_t last[1 << 16];
    uint64_t deadline = now_ns() + 3000000000ull;
    for (;;) {
        if (c->len >= 8) {
            size_t ml = (size_t)c->buf[2] << 8 | c->buf[3];
            if (ml >= 8 && c->len >= ml) {
                memcpy(last, c->buf, ml);
                memmove(c->buf, c->buf + ml, c->len - ml);
                c->len -= ml;
                struct ofp_err e;
                if (ofp_decode(last, ml, m, &e) != 0 && last[1] != OFPT_HELLO)
                    fail_msg("switch sent an undecodable %u-byte message type %u: %s", (unsigned)ml,
                             last[1], e.msg);
                if (raw)
                    *raw = last;
                if (raw_len)
                    *raw_len = ml;
                return true;
            }
        }
        ssize_t n = recv(c->fd, c->buf + c->len, sizeof c->buf - c->len, 0);
        if (n > 0) {
            c->len += (size_t)n;
            continue;
        }
        if (n == 0)
            return false;
        if (now_ns() > deadline)
            return false;
        pump_once(2);
    }
}

static struct ofp_msg *g_msg;

static uint8_t recv_type(struct client *c)
{
    if (!client_recv(c, g_msg, NULL, NULL))
        return 0xff;
    return g_msg->h.type;
}

static void expect_error(struct client *c, uint16_t type, uint16_t code, uint32_t xid)
{
    uint8_t t = recv_type(c);
    if (t != OFPT_ERROR)
        fail_msg("expected ERROR %u/%u, got message type %u", type, code, t);
    if (g_msg->error.type != type || g_msg->error.code != code)
        fail_msg("expected ERROR %u/%u, got %u/%u", type, code, g_msg->error.type,
                 g_msg->error.code);
    assert_int_equal(g_msg->h.xid, xid);
}

static struct client *client_hello(void)
{
    struct client *c = client_open();
    struct ofp_buf b;
    ofp_buf_init(&b);
    struct ofp_err e;
    struct ofp_hello h = {.version = OFP13_VERSION, .version_bitmap = 1u << OFP13_VERSION};
    assert_int_equal(ofp_encode_hello(&b, 1, &h, &e), 0);
    client_send_buf(c, &b);
    ofp_buf_uninit(&b);
    assert_int_equal(recv_type(c), OFPT_HELLO);
    assert_int_equal(g_msg->hello.version, OFP13_VERSION);
    assert_true(g_msg->hello.version_bitmap & (1u << OFP13_VERSION));
    return c;
}

static void put_flow(struct ofp_buf *b, uint32_t xid, uint8_t cmd, const char *text)
{
    static struct ofp_flow_mod fm;
    char err[256];
    memset(&fm, 0, sizeof fm);
    fm.command = cmd;
    fm.buffer_id = OFP_NO_BUFFER;
    enum flow_parse_mode mode = cmd == OFPFC_ADD              ? FLOW_PARSE_ADD
                                : cmd >= OFPFC_DELETE         ? FLOW_PARSE_FILTER
                                                              : FLOW_PARSE_MODIFY;
    if (flow_spec_parse(text, mode, NULL, &fm.spec, err, sizeof err))
        fail_msg("flow \"%s\": %s", text, err);
    if (cmd >= OFPFC_DELETE && !fm.spec.table_given)
        fm.spec.table_id = OFPTT_ALL;
    struct ofp_err e;
    if (ofp_encode_flow_mod(b, xid, &fm, &e))
        fail_msg("encoding \"%s\": %s", text, e.msg);
}

static void put_empty(struct ofp_buf *b, uint8_t type, uint32_t xid)
{
    struct ofp_err e;
    assert_int_equal(ofp_encode_empty(b, type, xid, &e), 0);
}

static size_t n_flows(void)
{
    size_t n = 0;
    for (unsigned t = 0; t < DP_N_TABLES; t++)
        n += flow_table_count(g_br->tables[t]);
    return n;
}

static size_t n_published(unsigned table)
{
    /* What a PMD sees: the rules visible at the published version. */
    const struct classifier *cls = g_br->tables[table]->cls;
    struct cls_cursor c;
    size_t n = 0;
    cls_cursor_init(&c, cls, NULL, cls_version(cls));
    while (cls_cursor_next(&c))
        n++;
    return n;
}

static void del_all_flows(struct client *c)
{
    struct ofp_buf b;
    ofp_buf_init(&b);
    put_flow(&b, 9000, OFPFC_DELETE, "");
    put_empty(&b, OFPT_BARRIER_REQUEST, 9001);
    client_send_buf(c, &b);
    ofp_buf_uninit(&b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(n_flows(), 0);
}

static void test_session_hello_features(void **state)
{
    (void)state;
    SKIP_WITHOUT_EAL();
    struct client *c = client_hello();
    struct ofp_buf b;
    ofp_buf_init(&b);
    put_empty(&b, OFPT_FEATURES_REQUEST, 7);
    put_empty(&b, OFPT_GET_CONFIG_REQUEST, 8);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_FEATURES_REPLY);
    assert_int_equal(g_msg->h.xid, 7);
    assert_int_equal(g_msg->features.datapath_id, ofconn_default_datapath_id("br0"));
    assert_int_equal(g_msg->features.n_tables, DP_N_TABLES);
    assert_int_equal(g_msg->features.n_buffers, 0);
    assert_int_equal(recv_type(c), OFPT_GET_CONFIG_REPLY);
    assert_int_equal(g_msg->config.miss_send_len, 0); /* a service connection */
    ofp_buf_uninit(&b);
    client_close(c);

    /* Anything but HELLO first: HELLO_FAILED, then the switch hangs up. */
    c = client_open();
    ofp_buf_init(&b);
    put_empty(&b, OFPT_FEATURES_REQUEST, 9);
    client_send_buf(c, &b);
    ofp_buf_uninit(&b);
    assert_int_equal(recv_type(c), OFPT_HELLO);
    expect_error(c, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE, 9);
    assert_int_equal(recv_type(c), 0xff); /* EOF */
    client_close(c);
}

static void test_session_barrier_publishes(void **state)
{
    (void)state;
    SKIP_WITHOUT_EAL();
    struct client *c = client_hello();
    struct ofp_buf b;
    ofp_buf_init(&b);
    /* One write: three flow-mods and a barrier. Nothing but the barrier reply comes back, and
     * by then the PMDs' view (the published snapshot) holds all three. */
    put_flow(&b, 10, OFPFC_ADD, "priority=10,ip,actions=drop");
    put_flow(&b, 11, OFPFC_ADD, "priority=20,tcp,tp_dst=80,actions=output:1");
    put_flow(&b, 12, OFPFC_ADD, "table=1,priority=5,actions=output:2");
    put_empty(&b, OFPT_BARRIER_REQUEST, 13);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(g_msg->h.xid, 13);
    assert_int_equal(n_published(0), 2);
    assert_int_equal(n_published(1), 1);

    /* Flow stats see them, with their instructions. */
    struct ofp_mp_request *rq = calloc(1, sizeof *rq);
    assert_non_null(rq);
    rq->type = OFPMP_FLOW;
    flow_spec_init(&rq->flow);
    rq->flow.table_id = OFPTT_ALL;
    struct ofp_err e;
    assert_int_equal(ofp_encode_mp_request(&b, 14, rq, &e), 0);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_MULTIPART_REPLY);
    assert_int_equal(g_msg->mp_reply.type, OFPMP_FLOW);
    assert_int_equal(g_msg->mp_reply.flags & OFPMPF_REPLY_MORE, 0);
    struct ofp_mp_cursor cur;
    ofp_mp_cursor_init(&cur, &g_msg->mp_reply);
    struct ofp_flow_stats *fs = malloc(sizeof *fs);
    assert_non_null(fs);
    unsigned n = 0, prio_sum = 0;
    while (ofp_mp_next_flow_stats(&cur, fs, &e) == 1) {
        n++;
        prio_sum += fs->spec.priority;
        if (fs->spec.priority == 20) {
            assert_int_equal(fs->spec.n_actions, 1);
            assert_int_equal(fs->spec.actions[0].port, 1);
        }
    }
    assert_int_equal(n, 3);
    assert_int_equal(prio_sum, 35);

    /* Errors carry the exact code and the request's xid; nothing changes. */
    put_flow(&b, 15, OFPFC_ADD, "priority=1,actions=meter:9,output:1");
    client_send_buf(c, &b);
    expect_error(c, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER, 15);
    put_flow(&b, 16, OFPFC_ADD, "priority=1,actions=group:9");
    client_send_buf(c, &b);
    expect_error(c, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP, 16);
    assert_int_equal(n_flows(), 3);

    /* A strict delete removes one; the next barrier publishes that too. */
    put_flow(&b, 17, OFPFC_DELETE_STRICT, "priority=20,tcp,tp_dst=80");
    put_empty(&b, OFPT_BARRIER_REQUEST, 18);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(n_published(0), 1);
    del_all_flows(c);
    assert_int_equal(n_published(0), 0);
    free(fs);
    free(rq);
    ofp_buf_uninit(&b);
    client_close(c);
}

static void put_group(struct ofp_buf *b, uint32_t xid, uint16_t cmd, uint32_t id,
                      const struct dp_action *acts, uint32_t n_acts)
{
    static struct ofp_group_mod gm;
    memset(&gm, 0, sizeof gm);
    gm.command = cmd;
    gm.group.type = OFPGT_INDIRECT;
    gm.group.group_id = id;
    if (cmd != OFPGC_DELETE) {
        gm.group.n_buckets = 1;
        gm.group.buckets[0].watch_port = DP_OFPORT_ANY;
        gm.group.buckets[0].watch_group = OFPG_ANY;
        gm.group.buckets[0].n_actions = n_acts;
        memcpy(gm.group.buckets[0].actions, acts, n_acts * sizeof acts[0]);
    } else {
        gm.group.type = OFPGT_ALL;
    }
    struct ofp_err e;
    if (ofp_encode_group_mod(b, xid, &gm, &e))
        fail_msg("group_mod: %s", e.msg);
}

static void test_session_groups_meters(void **state)
{
    (void)state;
    SKIP_WITHOUT_EAL();
    struct client *c = client_hello();
    struct ofp_buf b;
    ofp_buf_init(&b);
    const struct dp_action out1 = {.type = DP_ACT_OUTPUT, .port = 1};
    const struct dp_action to1 = {.type = DP_ACT_GROUP, .port = 1};
    const struct dp_action to2 = {.type = DP_ACT_GROUP, .port = 2};

    put_group(&b, 20, OFPGC_ADD, 1, &out1, 1);
    put_group(&b, 21, OFPGC_ADD, 2, &to1, 1);
    put_group(&b, 22, OFPGC_ADD, 1, &out1, 1);
    client_send_buf(c, &b);
    expect_error(c, OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS, 22);
    assert_int_equal(id_table_count(g_br->groups), 2);
    assert_non_null(id_table_view_find(id_table_view(g_br->groups), 2)); /* published */

    put_group(&b, 23, OFPGC_MODIFY, 1, &to2, 1); /* 1 -> 2 -> 1 */
    client_send_buf(c, &b);
    expect_error(c, OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP, 23);
    put_group(&b, 24, OFPGC_MODIFY, 7, &out1, 1);
    client_send_buf(c, &b);
    expect_error(c, OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP, 24);
    put_group(&b, 25, OFPGC_DELETE, 1, NULL, 0);
    client_send_buf(c, &b);
    expect_error(c, OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINED_GROUP, 25);

    /* Deleting a group deletes its flows. */
    put_flow(&b, 26, OFPFC_ADD, "priority=5,actions=group:2");
    put_flow(&b, 27, OFPFC_ADD, "priority=6,actions=output:1");
    put_group(&b, 28, OFPGC_DELETE, 2, NULL, 0);
    put_empty(&b, OFPT_BARRIER_REQUEST, 29);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(n_flows(), 1);
    assert_int_equal(n_published(0), 1);
    assert_null(id_table_get(g_br->groups, 2));

    /* Meters: add, exists, a flow using it, delete takes the flow. */
    static struct ofp_meter_mod mm;
    memset(&mm, 0, sizeof mm);
    mm.command = OFPMC_ADD;
    mm.meter = (struct ofp_meter_config){.flags = OFPMF_KBPS, .meter_id = 3, .n_bands = 1};
    mm.meter.bands[0] = (struct ofp_meter_band){.type = OFPMBT_DROP, .rate = 1000};
    struct ofp_err e;
    assert_int_equal(ofp_encode_meter_mod(&b, 30, &mm, &e), 0);
    assert_int_equal(ofp_encode_meter_mod(&b, 31, &mm, &e), 0);
    client_send_buf(c, &b);
    expect_error(c, OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS, 31);
    put_flow(&b, 32, OFPFC_ADD, "priority=7,actions=meter:3,output:1");
    mm.command = OFPMC_DELETE;
    assert_int_equal(ofp_encode_meter_mod(&b, 33, &mm, &e), 0);
    put_empty(&b, OFPT_BARRIER_REQUEST, 34);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(n_flows(), 1); /* only priority=6 is left */
    assert_int_equal(id_table_count(g_br->meters), 0);

    put_group(&b, 35, OFPGC_DELETE, OFPG_ALL, NULL, 0);
    put_empty(&b, OFPT_BARRIER_REQUEST, 36);
    client_send_buf(c, &b);
    assert_int_equal(recv_type(c), OFPT_BARRIER_REPLY);
    assert_int_equal(id_table_count(g_br->groups), 0);
    del_all_flows(c);
    ofp_buf_uninit(&b);
    client_close(c);
}

static void put_role(struct ofp_buf *b, uint32_t xid, uint32_t role, uint64_t gen)
{
    struct ofp_role r = {.role = role, .generation_id = gen};
    struct ofp_err e;
    assert_int_equal(ofp_encode_role(b, OFPT_ROLE_REQUEST, xid, &r, &e), 0);
}

static void test_session_roles_and_flow_removed(void **state)
{
    (void)state;
    SKIP_WITHOUT_EAL();
    struct client *a = client_hello(), *w = client_hello();
    struct ofp_buf b;
    ofp_buf_init(&b);

    /* w asks for asynchronous messages, as `ovs-ofctl monitor` does. */
    struct ofp_switch_config cfg = {.flags = 0, .miss_send_len = 128};
    struct ofp_err e;
    assert_int_equal(ofp_encode_switch_config(&b, OFPT_SET_CONFIG, 40, &cfg, &e), 0);
    put_empty(&b, OFPT_BARRIER_REQUEST, 41);
    client_send_buf(w, &b);
    assert_int_equal(recv_type(w), OFPT_BARRIER_REPLY);

    put_role(&b, 42, OFPCR_ROLE_MASTER, 10);
    put_role(&b, 43, OFPCR_ROLE_SLAVE, 9);
    put_role(&b, 44, OFPCR_ROLE_SLAVE, 11);
    put_flow(&b, 45, OFPFC_ADD, "priority=5,actions=drop");
    client_send_buf(a, &b);
    assert_int_equal(recv_type(a), OFPT_ROLE_REPLY);
    assert_int_equal(g_msg->role.role, OFPCR_ROLE_MASTER);
    assert_int_equal(g_msg->role.generation_id, 10);
    expect_error(a, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE, 43);
    assert_int_equal(recv_type(a), OFPT_ROLE_REPLY);
    assert_int_equal(g_msg->role.role, OFPCR_ROLE_SLAVE);
    expect_error(a, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, 45);
    assert_int_equal(n_flows(), 0);

    /* a, back to equal, adds a flow with send_flow_rem and deletes it: w hears of it, a
     * (a service connection with miss_send_len 0) does not. */
    put_role(&b, 46, OFPCR_ROLE_EQUAL, 0);
    put_flow(&b, 47, OFPFC_ADD, "priority=5,send_flow_rem,cookie=0x42,ip,actions=drop");
    put_flow(&b, 48, OFPFC_DELETE, "ip");
    put_empty(&b, OFPT_BARRIER_REQUEST, 49);
    client_send_buf(a, &b);
    assert_int_equal(recv_type(a), OFPT_ROLE_REPLY);
    assert_int_equal(recv_type(a), OFPT_BARRIER_REPLY);
    assert_int_equal(recv_type(w), OFPT_FLOW_REMOVED);
    assert_int_equal(g_msg->flow_removed.reason, OFPRR_DELETE);
    assert_int_equal(g_msg->flow_removed.cookie, 0x42);
    assert_int_equal(g_msg->flow_removed.priority, 5);
    ofp_buf_uninit(&b);
    client_close(a);
    client_close(w);
}

static void test_session_half_close_and_garbage(void **state)
{
    (void)state;
    SKIP_WITHOUT_EAL();
    /* 300 echo requests, then shutdown(SHUT_WR): every reply still arrives, then EOF. */
    struct client *c = client_hello();
    struct ofp_buf b;
    ofp_buf_init(&b);
    struct ofp_err e;
    static uint8_t payload[512];
    struct ofp_echo echo = {.data = payload, .data_len = sizeof payload};
    for (uint32_t i = 0; i < 300; i++)
        assert_int_equal(ofp_encode_echo(&b, OFPT_ECHO_REQUEST, 1000 + i, &echo, &e), 0);
    client_send_buf(c, &b);
    shutdown(c->fd, SHUT_WR);
    for (uint32_t i = 0; i < 300; i++) {
        assert_int_equal(recv_type(c), OFPT_ECHO_REPLY);
        assert_int_equal(g_msg->h.xid, 1000 + i);
        assert_int_equal(g_msg->echo.data_len, sizeof payload);
    }
    assert_int_equal(recv_type(c), 0xff);
    client_close(c);

    /* Framed garbage: every message gets an answer or is ignored, the connection lives. */
    c = client_hello();
    srand(7);
    uint8_t msg[1024];
    for (uint32_t i = 0; i < 400; i++) {
        size_t len = 8 + (size_t)(rand() % 300);
        for (size_t k = 0; k < len; k++)
            msg[k] = (uint8_t)rand();
        msg[0] = OFP13_VERSION;
        msg[1] = (uint8_t)(rand() % 32);
        if (msg[1] == OFPT_ROLE_REQUEST || msg[1] == OFPT_HELLO)
            msg[1] = OFPT_EXPERIMENTER;
        msg[2] = (uint8_t)(len >> 8);
        msg[3] = (uint8_t)len;
        client_send(c, msg, len);
        pump_once(0);
    }
    put_empty(&b, OFPT_BARRIER_REQUEST, 0xbeef);
    client_send_buf(c, &b);
    bool barrier = false;
    unsigned errors = 0;
    for (int i = 0; i < 2000 && !barrier; i++) {
        uint8_t t = recv_type(c);
        assert_true(t != 0xff);
        errors += t == OFPT_ERROR;
        barrier = t == OFPT_BARRIER_REPLY && g_msg->h.xid == 0xbeef;
    }
    assert_true(barrier);
    assert_true(errors > 100);
    del_all_flows(c);
    /* A length below the header: BAD_LEN, then the switch hangs up (no way to re-frame). */
    const uint8_t bad[8] = {OFP13_VERSION, OFPT_ECHO_REQUEST, 0, 4, 0, 0, 0, 5};
    client_send(c, bad, sizeof bad);
    expect_error(c, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, 5);
    assert_int_equal(recv_type(c), 0xff);
    ofp_buf_uninit(&b);
    client_close(c);
}

int main(void)
{
    g_msg = malloc(sizeof *g_msg);
    if (!g_msg)
        return 1;
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_parse_target),
        cmocka_unit_test(test_backoff),
        cmocka_unit_test(test_default_dpid),
        cmocka_unit_test(test_group_chain),
        cmocka_unit_test(test_wants_async),
    };
    const struct CMUnitTest session[] = {
        cmocka_unit_test(test_session_hello_features),
        cmocka_unit_test(test_session_barrier_publishes),
        cmocka_unit_test(test_session_groups_meters),
        cmocka_unit_test(test_session_roles_and_flow_removed),
        cmocka_unit_test(test_session_half_close_and_garbage),
    };
    int rc = cmocka_run_group_tests_name("pure", pure, NULL, NULL);
    rc += cmocka_run_group_tests_name("session", session, session_setup, session_teardown);
    free(g_msg);
    return rc;
}
