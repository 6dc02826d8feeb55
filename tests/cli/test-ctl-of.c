/* test-ctl-of.c — sluicectl's OpenFlow verbs, trace/pmd-stats printers and dump-flows
 * --no-stats, end to end against a fake switch.
 *
 * The fake switch is a thread serving RUNDIR/br0.mgmt with the shared OpenFlow codec: it
 * answers HELLO (and then sends an ECHO_REQUEST the client must answer), PORT_DESC, the
 * multipart dumps (the group list split over several messages, so " flags=[more]" and the
 * per-message headers are exercised), GROUP_MOD (refusing group 1 with GROUP_EXISTS),
 * METER_MOD, PORT_MOD, FLOW_MOD, PACKET_OUT and BARRIER; it records what it decoded, so the
 * tests check both what sluicectl prints and what it sent. The CLI runs in-process through
 * ctl_main() with its streams captured; exit codes are part of every check.
 *
 * The CLI is an executable, not a library, so its sources are compiled into this test.
 */
#define _GNU_SOURCE
#include <errno.h>
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
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/ctl-output.c"
#undef OFP_DEFAULT_PRIORITY /* ctl-output.c's copy; the codec's comes with ctl-of.c */
#include "cli/ctl-dp-output.c"
#include "cli/ctl-of.c"
#include "cli/ctl.c"
#include "cli/of-client.c"
#include "cli/table.c"

/* ---------------------------------------------------------------------------------------
 * The fake switch.
 */
struct fake_switch {
    char dir[64];
    char mgmt[128];
    char ctl[128];
    int lfd;
    int ctl_fd; /* a bound sluiced.ctl, so "no such bridge" can be told from "no daemon" */
    pthread_t th;
    atomic_bool stop;
    pthread_mutex_t mu;
    /* What the switch decoded. */
    int echo_replies;
    int n_group_mods, n_meter_mods, n_port_mods, n_flow_mods, n_packet_outs, n_barriers;
    struct ofp_group_mod gm;
    struct ofp_meter_mod mm;
    struct ofp_port_mod pm;
    struct ofp_flow_mod fm;
    struct ofp_packet_out po;
    uint8_t po_data[256];
    size_t po_len;
    uint16_t last_mp_type;
    uint32_t last_mp_group, last_mp_meter;
};

static struct fake_switch sw;

static void sw_port(struct ofp_port *p, uint32_t no, const char *name, uint8_t last)
{
    memset(p, 0, sizeof *p);
    p->port_no = no;
    uint8_t mac[6] = {0x02, 0, 0, 0, 0, last};
    memcpy(p->hw_addr, mac, 6);
    snprintf(p->name, sizeof p->name, "%s", name);
    p->state = OFPPS_LIVE;
    p->curr = p->advertised = p->supported = OFPPF_10GB_FD | OFPPF_COPPER;
    p->curr_speed = p->max_speed = 10000000;
}

static void sw_group(struct ofp_group *g, uint32_t id, uint8_t type)
{
    memset(g, 0, sizeof *g);
    g->group_id = id;
    g->type = type;
    g->n_buckets = 2;
    for (int i = 0; i < 2; i++) {
        g->buckets[i].weight = type == OFPGT_SELECT ? (uint16_t)(10 * (i + 1)) : 0;
        g->buckets[i].watch_port = DP_OFPORT_ANY;
        g->buckets[i].watch_group = OFPG_ANY;
        g->buckets[i].n_actions = 1;
        g->buckets[i].actions[0] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = 1 + i};
    }
}

static void sw_multipart(struct ofp_buf *out, const struct ofp_mp_request *r, uint32_t xid)
{
    struct ofp_mp_builder mb;
    struct ofp_err oe;
    pthread_mutex_lock(&sw.mu);
    sw.last_mp_type = r->type;
    sw.last_mp_group = r->group_id;
    sw.last_mp_meter = r->meter_id;
    pthread_mutex_unlock(&sw.mu);
    switch (r->type) {
    case OFPMP_PORT_DESC: {
        struct ofp_port p;
        ofp_mp_builder_start(&mb, out, OFPMP_PORT_DESC, xid);
        sw_port(&p, 2, "vm2", 2);
        ofp_mp_add_port_desc(&mb, &p, &oe);
        sw_port(&p, 1, "vm1", 1);
        p.config = OFPPC_PORT_DOWN | OFPPC_NO_FWD;
        p.state = OFPPS_LINK_DOWN;
        p.peer = OFPPF_1GB_FD | 0x10000;
        ofp_mp_add_port_desc(&mb, &p, &oe);
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_GROUP_DESC: {
        static struct ofp_group g;
        ofp_mp_builder_start(&mb, out, OFPMP_GROUP_DESC, xid);
        mb.max_msg_len = 100; /* one group per message: a multi-message reply */
        sw_group(&g, 1, OFPGT_SELECT);
        ofp_mp_add_group_desc(&mb, &g, &oe);
        sw_group(&g, 2, OFPGT_ALL);
        ofp_mp_add_group_desc(&mb, &g, &oe);
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_GROUP: {
        struct ofp_group_stats gs = {.group_id = 1,
                                     .ref_count = 2,
                                     .packet_count = 5,
                                     .byte_count = 500,
                                     .duration_sec = 3,
                                     .duration_nsec = 5000000,
                                     .n_buckets = 1};
        gs.buckets[0] = (struct ofp_bucket_counter){5, 500};
        ofp_mp_builder_start(&mb, out, OFPMP_GROUP, xid);
        ofp_mp_add_group_stats(&mb, &gs, &oe);
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_TABLE: {
        ofp_mp_builder_start(&mb, out, OFPMP_TABLE, xid);
        for (uint8_t t = 0; t < 6; t++) {
            struct ofp_table_stats ts = {.table_id = t};
            if (t == 0)
                ts = (struct ofp_table_stats){0, 3, 100, 90};
            if (t == 3)
                ts.active_count = 1;
            ofp_mp_add_table_stats(&mb, &ts, &oe);
        }
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_METER_CONFIG: {
        struct ofp_meter_config mc = {
            .flags = OFPMF_KBPS | OFPMF_BURST, .meter_id = 7, .n_bands = 1};
        mc.bands[0] = (struct ofp_meter_band){OFPMBT_DROP, 1000, 100};
        ofp_mp_builder_start(&mb, out, OFPMP_METER_CONFIG, xid);
        ofp_mp_add_meter_config(&mb, &mc, &oe);
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_METER: {
        struct ofp_meter_stats ms = {.meter_id = 7,
                                     .flow_count = 1,
                                     .packet_in_count = 9,
                                     .byte_in_count = 900,
                                     .duration_sec = 1,
                                     .n_bands = 1};
        ms.bands[0] = (struct ofp_meter_band_stats){2, 200};
        ofp_mp_builder_start(&mb, out, OFPMP_METER, xid);
        ofp_mp_add_meter_stats(&mb, &ms, &oe);
        ofp_mp_builder_finish(&mb);
        break;
    }
    case OFPMP_AGGREGATE: {
        struct ofp_mp_reply rep = {.type = OFPMP_AGGREGATE};
        rep.aggregate = (struct ofp_aggregate_stats){12, 3400, 5};
        ofp_encode_mp_reply(out, xid, &rep, &oe);
        break;
    }
    default: {
        struct ofp_err e = {.type = OFPET_BAD_REQUEST, .code = OFPBRC_BAD_MULTIPART};
        ofp_encode_error(out, &e, NULL, 0);
        break;
    }
    }
}

/* Serves one connection until the client closes it. */
static void sw_serve(int fd)
{
    uint8_t *rx = malloc(1 << 17);
    struct ofp_msg *msg = malloc(sizeof *msg);
    size_t have = 0;
    struct ofp_buf out;
    ofp_buf_init(&out);
    while (!atomic_load(&sw.stop)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        ssize_t n = recv(fd, rx + have, (1 << 17) - have, 0);
        if (n <= 0)
            break;
        have += (size_t)n;
        struct ofp_err oe;
        int len;
        while ((len = ofp_msg_length(rx, have, &oe)) > 0 && (size_t)len <= have) {
            ofp_buf_clear(&out);
            uint32_t xid =
                (uint32_t)rx[4] << 24 | (uint32_t)rx[5] << 16 | (uint32_t)rx[6] << 8 | rx[7];
            if (ofp_decode(rx, (size_t)len, msg, &oe) != 0) {
                ofp_encode_error(&out, &oe, rx, (size_t)len);
            } else {
                pthread_mutex_lock(&sw.mu);
                switch (msg->h.type) {
                case OFPT_HELLO: {
                    struct ofp_hello h = {.version = OFP13_VERSION,
                                          .version_bitmap = 1u << OFP13_VERSION};
                    ofp_encode_hello(&out, xid, &h, &oe);
                    struct ofp_echo e = {(const uint8_t *)"ping", 4};
                    ofp_encode_echo(&out, OFPT_ECHO_REQUEST, 0x99, &e, &oe);
                    break;
                }
                case OFPT_ECHO_REPLY:
                    sw.echo_replies++;
                    break;
                case OFPT_MULTIPART_REQUEST:
                    pthread_mutex_unlock(&sw.mu);
                    sw_multipart(&out, &msg->mp_request, xid);
                    pthread_mutex_lock(&sw.mu);
                    break;
                case OFPT_GROUP_MOD:
                    sw.n_group_mods++;
                    sw.gm = msg->group_mod;
                    if (msg->group_mod.command == OFPGC_ADD && msg->group_mod.group.group_id == 1) {
                        struct ofp_err e = {.type = OFPET_GROUP_MOD_FAILED,
                                            .code = OFPGMFC_GROUP_EXISTS};
                        ofp_encode_error(&out, &e, rx, (size_t)len);
                    }
                    break;
                case OFPT_METER_MOD:
                    sw.n_meter_mods++;
                    sw.mm = msg->meter_mod;
                    break;
                case OFPT_PORT_MOD:
                    sw.n_port_mods++;
                    sw.pm = msg->port_mod;
                    break;
                case OFPT_FLOW_MOD:
                    sw.n_flow_mods++;
                    sw.fm = msg->flow_mod;
                    break;
                case OFPT_PACKET_OUT:
                    sw.n_packet_outs++;
                    sw.po = msg->packet_out;
                    sw.po_len = sw.po.data_len < sizeof sw.po_data ? sw.po.data_len : 0;
                    memcpy(sw.po_data, sw.po.data, sw.po_len);
                    break;
                case OFPT_BARRIER_REQUEST:
                    sw.n_barriers++;
                    ofp_encode_empty(&out, OFPT_BARRIER_REPLY, xid, &oe);
                    break;
                default:
                    break;
                }
                pthread_mutex_unlock(&sw.mu);
            }
            if (out.len && send(fd, out.data, out.len, MSG_NOSIGNAL) < 0)
                break;
            memmove(rx, rx + len, have - (size_t)len);
            have -= (size_t)len;
        }
    }
    ofp_buf_uninit(&out);
    free(msg);
    free(rx);
    close(fd);
}

static void *sw_main(void *arg)
{
    (void)arg;
    while (!atomic_load(&sw.stop)) {
        struct pollfd p = {.fd = sw.lfd, .events = POLLIN};
        if (poll(&p, 1, 50) <= 0)
            continue;
        int fd = accept(sw.lfd, NULL, NULL);
        if (fd >= 0)
            sw_serve(fd);
    }
    return NULL;
}

static int bind_unix(const char *path)
{
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) || listen(fd, 8))
        return -1;
    return fd;
}

static int sw_setup(void **state)
{
    (void)state;
    memset(&sw, 0, sizeof sw);
    snprintf(sw.dir, sizeof sw.dir, "/tmp/test-ctl-of.XXXXXX");
    if (!mkdtemp(sw.dir))
        return -1;
    snprintf(sw.mgmt, sizeof sw.mgmt, "%s/br0.mgmt", sw.dir);
    snprintf(sw.ctl, sizeof sw.ctl, "%s/sluiced.ctl", sw.dir);
    sw.lfd = bind_unix(sw.mgmt);
    sw.ctl_fd = bind_unix(sw.ctl);
    pthread_mutex_init(&sw.mu, NULL);
    if (sw.lfd < 0 || sw.ctl_fd < 0)
        return -1;
    return pthread_create(&sw.th, NULL, sw_main, NULL);
}

static int sw_teardown(void **state)
{
    (void)state;
    atomic_store(&sw.stop, true);
    pthread_join(sw.th, NULL);
    close(sw.lfd);
    close(sw.ctl_fd);
    unlink(sw.mgmt);
    unlink(sw.ctl);
    rmdir(sw.dir);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Running the CLI.
 */
struct run {
    int rc;
    char *out;
    char *err;
};

static struct run run_args(const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "sluicectl";
    argv[argc++] = "--run-dir";
    argv[argc++] = sw.dir;
    argv[argc++] = "--timeout";
    argv[argc++] = "10";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    struct run r = {0};
    size_t olen, elen;
    FILE *out = open_memstream(&r.out, &olen), *err = open_memstream(&r.err, &elen);
    FILE *in = fopen("/dev/null", "r");
    assert_true(out && err && in);
    r.rc = ctl_main(argc, argv, in, out, err);
    fclose(in);
    fclose(out);
    fclose(err);
    return r;
}

#define RUN(...) run_args((const char *const[]){__VA_ARGS__, NULL})

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

static void expect(struct run r, int rc, const char *out, const char *err_substr)
{
    if (r.rc != rc)
        fail_msg("exit %d, expected %d; stdout: %s; stderr: %s", r.rc, rc, r.out, r.err);
    if (out && strcmp(r.out, out))
        fail_msg("stdout:\n%s\nexpected:\n%s", r.out, out);
    if (err_substr && !strstr(r.err, err_substr))
        fail_msg("stderr \"%s\" lacks \"%s\"", r.err, err_substr);
    if (!err_substr && *r.err)
        fail_msg("unexpected stderr: %s", r.err);
    run_free(&r);
}

/* ---------------------------------------------------------------------------------------
 * Dumps: ovs-ofctl's layout, per reply message.
 */
static void test_dump_groups(void **state)
{
    (void)state;
    expect(RUN("dump-groups", "br0"), 0,
           "OFPST_GROUP_DESC reply (OF1.3) (xid=0x2): flags=[more]\n"
           " group_id=1,type=select,bucket=weight:10,actions=output:vm1,bucket=weight:20,"
           "actions=output:vm2\n"
           "OFPST_GROUP_DESC reply (OF1.3) (xid=0x2):\n"
           " group_id=2,type=all,bucket=actions=output:vm1,bucket=actions=output:vm2\n",
           NULL);
    /* One group: filtered here (OpenFlow 1.3 cannot ask for one). */
    expect(RUN("dump-groups", "br0", "2"), 0,
           "OFPST_GROUP_DESC reply (OF1.3) (xid=0x2): flags=[more]\n"
           "OFPST_GROUP_DESC reply (OF1.3) (xid=0x2):\n"
           " group_id=2,type=all,bucket=actions=output:vm1,bucket=actions=output:vm2\n",
           NULL);
    expect(RUN("dump-groups", "br0", "group_id=9"), 1, "", "no group group_id=9");
    expect(RUN("dump-groups", "br0", "bogus"), 1, "", "unknown keyword bogus");
    /* The echo the switch sent after HELLO was answered. */
    pthread_mutex_lock(&sw.mu);
    assert_true(sw.echo_replies >= 1);
    pthread_mutex_unlock(&sw.mu);
}

static void test_dump_stats(void **state)
{
    (void)state;
    expect(RUN("dump-group-stats", "br0", "group_id=1"), 0,
           "OFPST_GROUP reply (OF1.3) (xid=0x2):\n"
           " group_id=1,duration=3.005s,ref_count=2,packet_count=5,byte_count=500,bucket0:"
           "packet_count=5,byte_count=500\n",
           NULL);
    assert_int_equal(sw.last_mp_group, 1);
    expect(RUN("dump-group-stats", "br0"), 0, NULL, NULL);
    assert_int_equal(sw.last_mp_group, OFPG_ALL);

    expect(RUN("dump-tables", "br0"), 0,
           "OFPST_TABLE reply (OF1.3) (xid=0x2):\n"
           "  table 0:\n    active=3, lookup=100, matched=90\n\n"
           "  table 1:\n    active=0, lookup=0, matched=0\n\n"
           "  table 2: ditto\n\n"
           "  table 3:\n    active=1, lookup=0, matched=0\n\n"
           "  table 4:\n    active=0, lookup=0, matched=0\n\n"
           "  table 5: ditto\n",
           NULL);
    expect(RUN("dump-meters", "br0", "meter=7"), 0,
           "OFPST_METER_CONFIG reply (OF1.3) (xid=0x2):\n"
           "meter=7 kbps burst bands=\ntype=drop rate=1000 burst_size=100\n",
           NULL);
    assert_int_equal(sw.last_mp_meter, 7);
    expect(RUN("meter-stats", "br0"), 0,
           "OFPST_METER reply (OF1.3) (xid=0x2):\n"
           "meter:7 flow_count:1 packet_in_count:9 byte_in_count:900 duration:1s bands:\n"
           "0: packet_count:2 byte_count:200\n",
           NULL);
    assert_int_equal(sw.last_mp_meter, OFPM_ALL);
    expect(RUN("dump-aggregate", "br0", "in_port=vm1,tcp"), 0,
           "OFPST_AGGREGATE reply (OF1.3) (xid=0x2): packet_count=12 byte_count=3400 "
           "flow_count=5\n",
           NULL);
    expect(RUN("dump-aggregate", "br0", "in_port=nosuch"), 1, "", "nosuch");
    expect(RUN("--json", "dump-aggregate", "br0"), 0,
           "{\n  \"output\": \"OFPST_AGGREGATE reply (OF1.3) (xid=0x2): packet_count=12 "
           "byte_count=3400 flow_count=5\\n\"\n}\n",
           NULL);
}

static void test_dump_ports_desc(void **state)
{
    (void)state;
    const char *vm1 = " 1(vm1): addr:02:00:00:00:00:01\n"
                      "     config:     PORT_DOWN NO_FWD\n"
                      "     state:      LINK_DOWN\n"
                      "     current:    10GB-FD COPPER\n"
                      "     advertised: 10GB-FD COPPER\n"
                      "     supported:  10GB-FD COPPER\n"
                      "     peer:       1GB-FD 0x10000\n"
                      "     speed: 10000 Mbps now, 10000 Mbps max\n";
    const char *vm2 = " 2(vm2): addr:02:00:00:00:00:02\n"
                      "     config:     0\n"
                      "     state:      LIVE\n"
                      "     current:    10GB-FD COPPER\n"
                      "     advertised: 10GB-FD COPPER\n"
                      "     supported:  10GB-FD COPPER\n"
                      "     speed: 10000 Mbps now, 10000 Mbps max\n";
    char want[2048];
    snprintf(want, sizeof want, "OFPST_PORT_DESC reply (OF1.3) (xid=0x2):\n%s%s", vm1, vm2);
    expect(RUN("dump-ports-desc", "br0"), 0, want, NULL); /* sorted by number */
    snprintf(want, sizeof want, "OFPST_PORT_DESC reply (OF1.3) (xid=0x2):\n%s", vm2);
    expect(RUN("dump-ports-desc", "br0", "vm2"), 0, want, NULL);
    expect(RUN("dump-ports-desc", "br0", "2"), 0, want, NULL);
    expect(RUN("dump-ports-desc", "br0", "vm9"), 1, "", "port vm9: no such port on bridge br0");
}

/* ---------------------------------------------------------------------------------------
 * Changes: what was sent, and what a refusal looks like.
 */
static void test_group_meter_mods(void **state)
{
    (void)state;
    expect(RUN("add-group", "br0", "group_id=5,type=ff,bucket=watch_port:vm2,output:vm2"), 0, "",
           NULL);
    pthread_mutex_lock(&sw.mu);
    assert_int_equal(sw.gm.command, OFPGC_ADD);
    assert_int_equal(sw.gm.group.group_id, 5);
    assert_int_equal(sw.gm.group.type, OFPGT_FF);
    assert_int_equal(sw.gm.group.buckets[0].watch_port, 2);
    int barriers = sw.n_barriers;
    pthread_mutex_unlock(&sw.mu);
    assert_true(barriers >= 1);

    expect(RUN("add-group", "br0", "group_id=1,type=all,bucket=output:1"), 1, "",
           "br0: OFPT_GROUP_MOD refused: OFPGMFC_GROUP_EXISTS (a group with this group_id "
           "already exists");
    expect(RUN("mod-group", "br0", "group_id=1,type=all,bucket=output:1"), 0, "", NULL);
    assert_int_equal(sw.gm.command, OFPGC_MODIFY);
    expect(RUN("del-groups", "br0"), 0, "", NULL);
    assert_int_equal(sw.gm.command, OFPGC_DELETE);
    assert_int_equal(sw.gm.group.group_id, OFPG_ALL);
    expect(RUN("add-group", "br0", "group_id=6,bucket=output:1"), 1, "",
           "add-group: must specify a type");
    expect(RUN("add-group", "br0", "group_id=6,type=all,bucket=output:vm9"), 1, "", "vm9");

    expect(RUN("add-meter", "br0", "meter=3,pktps,band=type=drop,rate=10"), 0, "", NULL);
    assert_int_equal(sw.mm.command, OFPMC_ADD);
    assert_int_equal(sw.mm.meter.meter_id, 3);
    assert_int_equal(sw.mm.meter.bands[0].rate, 10);
    expect(RUN("mod-meter", "br0", "meter=3,kbps,band=type=drop,rate=20"), 0, "", NULL);
    assert_int_equal(sw.mm.command, OFPMC_MODIFY);
    expect(RUN("del-meters", "br0", "meter=3"), 0, "", NULL);
    assert_int_equal(sw.mm.command, OFPMC_DELETE);
    assert_int_equal(sw.mm.meter.meter_id, 3);
    expect(RUN("add-meter", "br0", "meter=3,band=type=drop,rate=10"), 1, "",
           "add-meter: meter must specify either 'kbps' or 'pktps'");
}

static void test_port_flow_packet(void **state)
{
    (void)state;
    expect(RUN("mod-port", "br0", "vm2", "down"), 0, "", NULL);
    pthread_mutex_lock(&sw.mu);
    assert_int_equal(sw.pm.port_no, 2);
    assert_int_equal(sw.pm.config, OFPPC_PORT_DOWN);
    assert_int_equal(sw.pm.mask, OFPPC_PORT_DOWN);
    assert_int_equal(sw.pm.hw_addr[5], 2); /* the port's own address, as the switch wants */
    pthread_mutex_unlock(&sw.mu);
    expect(RUN("mod-port", "br0", "1", "no-packet-in"), 0, "", NULL);
    assert_int_equal(sw.pm.port_no, 1);
    assert_int_equal(sw.pm.config, OFPPC_NO_PACKET_IN);
    expect(RUN("mod-port", "br0", "vm1", "noforward"), 0, "", NULL);
    assert_int_equal(sw.pm.config, OFPPC_NO_FWD);
    expect(RUN("mod-port", "br0", "vm1", "flood"), 1, "", "OpenFlow 1.0 only");
    expect(RUN("mod-port", "br0", "vm1", "sideways"), 1, "", "unknown mod-port command");
    expect(RUN("mod-port", "br0", "vm7", "up"), 1, "", "port vm7: no such port on bridge br0");

    expect(RUN("mod-flows", "br0", "table=1,tcp,actions=output:vm2"), 0, "", NULL);
    assert_int_equal(sw.fm.command, OFPFC_MODIFY);
    assert_int_equal(sw.fm.spec.table_id, 1);
    assert_int_equal(sw.fm.spec.actions[0].port, 2);
    expect(RUN("mod-flows", "--strict", "br0", "priority=5,tcp,actions=drop"), 0, "", NULL);
    assert_int_equal(sw.fm.command, OFPFC_MODIFY_STRICT);
    expect(RUN("mod-flows", "br0", "tcp"), 1, "", "actions");

    const char *pkt = "ffffffffffff0000000000010800450000140000000040 01f96b0a0000010a000002";
    char spec[256];
    snprintf(spec, sizeof spec, "in_port=vm1 packet=%s actions=set_field:10.0.0.9->ip_dst,TABLE",
             "ffffffffffff000000000001080045000014000000004001f96b0a0000010a000002");
    expect(RUN("packet-out", "br0", spec), 0, "", NULL);
    pthread_mutex_lock(&sw.mu);
    assert_int_equal(sw.po.in_port, 1);
    assert_int_equal(sw.po.n_actions, 2);
    assert_int_equal(sw.po.actions[0].type, DP_ACT_SET_FIELD);
    assert_int_equal(sw.po.actions[1].type, DP_ACT_OUTPUT);
    assert_int_equal(sw.po.actions[1].port, DP_OFPORT_TABLE);
    assert_int_equal(sw.po_len, 34);
    pthread_mutex_unlock(&sw.mu);
    int before = sw.n_packet_outs;
    /* The old syntax: one PACKET_OUT per packet. */
    expect(RUN("packet-out", "br0", "none", "output:vm2", pkt, pkt), 0, "", NULL);
    assert_int_equal(sw.n_packet_outs, before + 2);
    assert_int_equal(sw.po.in_port, DP_OFPORT_ANY);
    expect(RUN("packet-out", "br0", "in_port=vm1 actions=drop"), 1, "", "missing packet=");
    expect(RUN("packet-out", "br0", "in_port=vm1 packet=0102 actions=drop"), 1, "",
           "shorter than an Ethernet header");
    expect(RUN("packet-out", "br0",
               "in_port=vm1 packet=ffffffffffff0000000000010800 "
               "actions=goto_table:1"),
           1, "", "instructions");
}

static void test_unreachable(void **state)
{
    (void)state;
    expect(RUN("dump-groups", "br7"), 1, "", "bridge br7: no such bridge");
    struct run r = run_args(
        (const char *const[]){"--run-dir", "/nonexistent-sluice-dir", "dump-tables", "br0", NULL});
    expect(r, 3, "", "is sluiced running?");
    char path[128];
    assert_int_equal(ctl_of_socket_path("/run/sluice/sluiced.ctl", "br0", path, sizeof path), 0);
    assert_string_equal(path, "/run/sluice/br0.mgmt");
    assert_int_equal(ctl_of_socket_path("sluiced.ctl", "br0", path, sizeof path), 0);
    assert_string_equal(path, "./br0.mgmt");
    assert_int_equal(ctl_of_socket_path("/x/sluiced.ctl", "a/b", path, sizeof path), -EINVAL);
    assert_int_equal(ctl_of_socket_path("/x/sluiced.ctl", "br0", path, 8), -ENAMETOOLONG);
}

/* ---------------------------------------------------------------------------------------
 * Printers of JSON-RPC results.
 */
static char *print_json(ctl_print_fn *fn, const char *json, int *rc)
{
    json_t *j = json_loads(json, 0, NULL);
    assert_non_null(j);
    char *buf = NULL, err[256];
    size_t len;
    FILE *f = open_memstream(&buf, &len);
    *rc = fn(f, j, err, sizeof err);
    fclose(f);
    json_decref(j);
    return buf;
}

static void test_trace_printer(void **state)
{
    (void)state;
    int rc;
    char *s = print_json(
        ctl_out_trace,
        "{\"bridge\":\"br0\",\"flow\":\"tcp,in_port=vm1,tp_dst=80\",\"packet_len\":60,"
        "\"steps\":["
        "{\"kind\":\"lookup\",\"table\":0,\"rule\":{\"priority\":10,\"match\":\"priority=10,ip,"
        "in_port=vm1\",\"actions\":\"goto_table:1\"}},"
        "{\"kind\":\"goto\",\"table\":1},"
        "{\"kind\":\"lookup\",\"table\":1,\"rule\":{\"match\":\"priority=5,tcp\",\"actions\":"
        "\"meter:1,group:1\"}},"
        "{\"kind\":\"meter\",\"table\":1,\"meter_id\":1,\"passed\":true},"
        "{\"kind\":\"action\",\"table\":1,\"depth\":0,\"action\":\"group:1\"},"
        "{\"kind\":\"group\",\"depth\":0,\"group_id\":1,\"type\":\"select\",\"bucket\":1},"
        "{\"kind\":\"action\",\"table\":1,\"depth\":1,\"action\":\"output:vm2\"},"
        "{\"kind\":\"output\",\"depth\":1,\"port\":\"vm2\",\"ofport\":2},"
        "{\"kind\":\"group\",\"depth\":0,\"group_id\":3,\"type\":\"ff\",\"note\":\"no live "
        "bucket\"},"
        "{\"kind\":\"action\",\"depth\":0,\"from_action_set\":true},"
        "{\"kind\":\"controller\",\"depth\":0,\"reason\":\"action\"},"
        "{\"kind\":\"action_set\",\"table\":1,\"n_actions\":1},"
        "{\"kind\":\"lookup\",\"table\":2,\"miss\":true},"
        "{\"kind\":\"drop\",\"table\":2,\"depth\":0,\"reason\":\"no matching flow (table-miss)\"}"
        "],\"truncated\":false,\"final_flow\":\"tcp,in_port=vm1,tp_dst=81\","
        "\"datapath_actions\":\"output vm2, controller\"}",
        &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "Flow: tcp,in_port=vm1,tp_dst=80\n"
                           "Packet: 60 bytes\n\n"
                           "table 0: priority=10,ip,in_port=vm1 actions=goto_table:1\n"
                           "    -> continuing in table 1\n"
                           "table 1: priority=5,tcp actions=meter:1,group:1\n"
                           "    -> meter 1: passed (a trace does not use up the meter's rate)\n"
                           "    group:1\n"
                           "    -> group 1 (select): bucket 1\n"
                           "        output:vm2\n"
                           "        -> output to vm2\n"
                           "    -> group 3 (ff): no bucket (no live bucket)\n"
                           "    -> sent to the controller (reason: action)\n"
                           "    -> executing the action set (1 action)\n"
                           "table 2: no matching flow\n"
                           "    -> dropped: no matching flow (table-miss)\n\n"
                           "Final flow: tcp,in_port=vm1,tp_dst=81\n"
                           "Datapath actions: output vm2, controller\n");
    free(s);
    s = print_json(ctl_out_trace, "{\"flow\":\"x\"}", &rc);
    assert_int_equal(rc, -EPROTO);
    free(s);
}

static void test_pmd_stats_printer(void **state)
{
    (void)state;
    int rc;
    char *s = print_json(ctl_out_pmd_stats,
                         "{\"tsc_hz\":2500000000,\"pmds\":[{\"id\":0,\"lcore\":1,\"iterations\":"
                         "1000,\"packets\":50,\"busy_cycles\":2500,\"idle_cycles\":7500,"
                         "\"sleeps\":3,\"busy_cycles_per_packet\":50.0,\"n_rxqs\":2,"
                         "\"upcalls\":4}]}",
                         &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "pmd thread 0 (lcore 1):\n"
                           "  packets received: 50\n"
                           "  busy cycles: 2500 (25.00% of used cycles)\n"
                           "  idle cycles: 7500 (75.00% of used cycles)\n"
                           "  busy cycles per packet: 50.0\n"
                           "  iterations: 1000\n"
                           "  sleeps: 3\n"
                           "  rx queues: 2\n"
                           "  upcalls: 4\n"
                           "TSC: 2500000000 Hz (2.500 GHz)\n");
    free(s);
    s = print_json(ctl_out_pmd_stats, "{\"pmds\":[{\"id\":0}]}", &rc);
    assert_int_equal(rc, 0); /* an idle PMD: no division by zero */
    assert_non_null(strstr(s, "busy cycles: 0 (0.00% of used cycles)"));
    free(s);
    s = print_json(ctl_out_pmd_stats, "{\"pmd\":[]}", &rc);
    assert_int_equal(rc, -EPROTO);
    free(s);
}

static void test_no_stats_printer(void **state)
{
    (void)state;
    int rc;
    /* What `ovs-ofctl --no-stats dump-flows` printed for the same flows. */
    char *s = print_json(
        ctl_out_dump_flows_any,
        "{\"flows\":["
        "{\"table\":0,\"priority\":10,\"cookie\":\"0x0\",\"idle_timeout\":0,\"hard_timeout\":0,"
        "\"match\":\"ip,in_port=vm1\",\"actions\":\"goto_table:1\"},"
        "{\"table\":1,\"priority\":6,\"cookie\":\"0x5\",\"idle_timeout\":100,\"hard_timeout\":0,"
        "\"match\":\"udp\",\"actions\":\"meter:1,output:vm2\"},"
        "{\"table\":2,\"priority\":32768,\"cookie\":\"0x0\",\"match\":\"\",\"actions\":\"\"},"
        "{\"table\":0,\"priority\":32768,\"cookie\":\"0x0\",\"duration\":1.5,\"n_packets\":2,"
        "\"n_bytes\":120,\"match\":\"arp\",\"actions\":\"drop\"}]}",
        &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, " priority=10,ip,in_port=vm1 actions=goto_table:1\n"
                           " cookie=0x5, table=1, idle_timeout=100, priority=6,udp "
                           "actions=meter:1,output:vm2\n"
                           " table=2, actions=drop\n"
                           " cookie=0x0, duration=1.500s, table=0, n_packets=2, n_bytes=120, "
                           "arp actions=drop\n");
    free(s);
    /* --no-stats is dump-flows' option only. */
    struct ctl_invocation inv;
    char err[256];
    char *argv[] = {"sluicectl", "dump-tables", "br0", "--no-stats", NULL};
    assert_int_equal(ctl_parse_args(4, argv, &inv, err, sizeof err), CTL_EXIT_USAGE);
    assert_non_null(strstr(err, "--no-stats does not apply"));
    ctl_invocation_free(&inv);
    char *argv2[] = {"sluicectl", "--no-stats", "dump-flows", "br0", NULL};
    assert_int_equal(ctl_parse_args(4, argv2, &inv, err, sizeof err), CTL_EXIT_OK);
    assert_true(inv.options & CTL_OPT_NO_STATS);
    ctl_invocation_free(&inv);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dump_groups),      cmocka_unit_test(test_dump_stats),
        cmocka_unit_test(test_dump_ports_desc),  cmocka_unit_test(test_group_meter_mods),
        cmocka_unit_test(test_port_flow_packet), cmocka_unit_test(test_unreachable),
        cmocka_unit_test(test_trace_printer),    cmocka_unit_test(test_pmd_stats_printer),
        cmocka_unit_test(test_no_stats_printer),
    };
    return cmocka_run_group_tests(tests, sw_setup, sw_teardown);
}
