/* test-sluicectl.c — sluicectl end to end against a fake sluiced.
 *
 * The fake daemon is a real jsonrpc_server on a real Unix socket in a temp run dir, running
 * in a thread and answering every management method with canned results shaped like the
 * real daemon's; it records the params it received. The CLI runs in-process through
 * ctl_main() (the binary's main is only a call to it) with its streams captured, so every
 * test sees exactly what a user sees: exit code, stdout, stderr. One test also runs the
 * built binary when it sits next to this test executable.
 *
 * The CLI is an executable, not a library, so its sources are compiled into this test.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <limits.h>
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
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "cli/ctl-output.c"
/* ctl-output.c has its own OFP_DEFAULT_PRIORITY; the OpenFlow verbs below bring the codec's. */
#undef OFP_DEFAULT_PRIORITY
#include "cli/ctl-dp-output.c"
#include "cli/ctl-of.c"
#include "cli/ctl.c"
#include "cli/of-client.c"
#include "cli/table.c"
#include "control/jsonrpc.h"

/* ---------------------------------------------------------------------------------------- */
/* Canned daemon results (shaped like control/mgmt.c's)                                      */

static const char show_json[] =
    "{\"bridges\":[{\"name\":\"br0\",\"ports\":["
    "{\"name\":\"dpdk0\",\"ofport\":1,\"type\":\"dpdk\",\"link\":\"up\",\"mtu\":1500,"
    "\"mac\":\"02:00:00:00:00:01\",\"n_rxq\":1,\"n_txq\":2,\"link_changes\":1,"
    "\"devargs\":\"net_af_packet0,iface=veth0\",\"pmd\":[0]},"
    "{\"name\":\"vm1\",\"ofport\":2,\"type\":\"vhostuser\",\"link\":\"down\",\"mtu\":1500,"
    "\"mac\":\"02:00:00:00:00:02\",\"n_rxq\":2,\"n_txq\":2,\"link_changes\":0,"
    "\"path\":\"/run/sluice/vm1.sock\",\"pmd\":[0,1]}],\"n_flows\":3},"
    "{\"name\":\"br1\",\"ports\":[],\"n_flows\":0}],"
    "\"pmds\":[{\"id\":0,\"lcore\":1,\"cpu\":1,\"rxqs\":[{\"port\":\"dpdk0\",\"queue\":0},"
    "{\"port\":\"vm1\",\"queue\":0}]},{\"id\":1,\"lcore\":2,\"cpu\":3,\"rxqs\":"
    "[{\"port\":\"vm1\",\"queue\":1}]},{\"id\":2,\"lcore\":4,\"cpu\":5,\"rxqs\":[]}]}";

static const char show_text[] = "Bridge br0\n"
                                "    n_flows: 3\n"
                                "    Port dpdk0\n"
                                "        ofport: 1\n"
                                "        type: dpdk\n"
                                "        devargs: \"net_af_packet0,iface=veth0\"\n"
                                "        link: up\n"
                                "        mtu: 1500\n"
                                "        mac: 02:00:00:00:00:01\n"
                                "        n_rxq: 1\n"
                                "        n_txq: 2\n"
                                "        pmd: [0]\n"
                                "        link_changes: 1\n"
                                "    Port vm1\n"
                                "        ofport: 2\n"
                                "        type: vhostuser\n"
                                "        path: /run/sluice/vm1.sock\n"
                                "        link: down\n"
                                "        mtu: 1500\n"
                                "        mac: 02:00:00:00:00:02\n"
                                "        n_rxq: 2\n"
                                "        n_txq: 2\n"
                                "        pmd: [0, 1]\n"
                                "        link_changes: 0\n"
                                "Bridge br1\n"
                                "    n_flows: 0\n"
                                "PMD 0\n"
                                "    lcore: 1\n"
                                "    cpu: 1\n"
                                "    rxqs: dpdk0/0, vm1/0\n"
                                "PMD 1\n"
                                "    lcore: 2\n"
                                "    cpu: 3\n"
                                "    rxqs: vm1/1\n"
                                "PMD 2\n"
                                "    lcore: 4\n"
                                "    cpu: 5\n"
                                "    rxqs: none\n";

static const char flows_json[] =
    "{\"flows\":["
    "{\"table\":0,\"priority\":10,\"cookie\":\"0x0\",\"duration\":1.234,\"n_packets\":5,"
    "\"n_bytes\":420,\"idle_timeout\":0,\"hard_timeout\":0,"
    "\"match\":\"in_port=vm1,ip,nw_dst=10.0.0.0/24\",\"actions\":\"output:vm2\"},"
    "{\"table\":0,\"priority\":32768,\"cookie\":\"0x1f\",\"duration\":2.0,\"n_packets\":0,"
    "\"n_bytes\":0,\"idle_timeout\":10,\"hard_timeout\":30,\"match\":\"arp\","
    "\"actions\":\"FLOOD\"},"
    "{\"table\":1,\"priority\":32768,\"cookie\":\"0x0\",\"duration\":0.0004,\"n_packets\":0,"
    "\"n_bytes\":0,\"idle_timeout\":0,\"hard_timeout\":0,\"match\":\"\",\"actions\":\"drop\"},"
    "{\"table\":0,\"priority\":0,\"cookie\":\"0x0\",\"duration\":59.9999,\"n_packets\":1,"
    "\"n_bytes\":60,\"idle_timeout\":0,\"hard_timeout\":5,\"match\":\"\",\"actions\":\"\"}]}";

/* What ovs-ofctl -O OpenFlow13 dump-flows prints for the same flows. */
static const char flows_text[] =
    " cookie=0x0, duration=1.234s, table=0, n_packets=5, n_bytes=420, "
    "priority=10,in_port=vm1,ip,nw_dst=10.0.0.0/24 actions=output:vm2\n"
    " cookie=0x1f, duration=2s, table=0, n_packets=0, n_bytes=0, idle_timeout=10, "
    "hard_timeout=30, arp actions=FLOOD\n"
    " cookie=0x0, duration=0s, table=1, n_packets=0, n_bytes=0, actions=drop\n"
    " cookie=0x0, duration=59.999s, table=0, n_packets=1, n_bytes=60, hard_timeout=5, "
    "priority=0 actions=drop\n";

static const char ports_json[] =
    "{\"ports\":["
    "{\"name\":\"dpdk0\",\"ofport\":1,\"link\":\"up\",\"rx_packets\":1000,\"rx_bytes\":64000,"
    "\"tx_packets\":990,\"tx_bytes\":63360,\"rx_errors\":0,\"tx_errors\":2,"
    "\"drops\":{\"no_rule\":4,\"tx_full\":6,\"malformed\":0,\"port_down\":0,\"mtu\":0,"
    "\"rx_missed\":0,\"rx_nombuf\":0},"
    "\"xstats\":{\"rx_good_packets\":1000,\"rx_q0_errors\":0}},"
    "{\"name\":\"vm-long-name\",\"ofport\":12,\"link\":\"down\",\"rx_packets\":0,"
    "\"rx_bytes\":0,\"tx_packets\":7,\"tx_bytes\":448,\"rx_errors\":0,\"tx_errors\":0,"
    "\"drops\":{\"no_rule\":0,\"tx_full\":0,\"malformed\":1,\"port_down\":7,\"mtu\":0,"
    "\"rx_missed\":0,\"rx_nombuf\":0}}]}";

static const char ports_text[] =
    "port          ofport  rx_packets  rx_bytes  rx_errors  tx_packets  tx_bytes  tx_errors  "
    "drops  link\n"
    "dpdk0              1        1000     64000          0         990     63360          2     "
    "10  up\n"
    "vm-long-name      12           0         0          0           7       448          0      "
    "8  down\n"
    "\n"
    "drops by reason:\n"
    "port          no_rule  tx_full  malformed  port_down  mtu  rx_missed  rx_nombuf\n"
    "dpdk0               4        6          0          0    0          0          0\n"
    "vm-long-name        0        0          1          7    0          0          0\n"
    "\n"
    "xstats dpdk0:\n"
    "  rx_good_packets  1000\n"
    "  rx_q0_errors        0\n";

/* ---------------------------------------------------------------------------------------- */
/* The fake daemon                                                                           */

static struct {
    pthread_mutex_t mu;
    int calls;
    char method[32];
    json_t *params;  /* deep copy of the last request's params */
    atomic_int slow_ms; /* "show" sleeps this long first */
} fake = {.mu = PTHREAD_MUTEX_INITIALIZER};

static void record(const char *method, json_t *params)
{
    pthread_mutex_lock(&fake.mu);
    fake.calls++;
    snprintf(fake.method, sizeof(fake.method), "%s", method);
    json_decref(fake.params);
    fake.params = json_deep_copy(params);
    pthread_mutex_unlock(&fake.mu);
}

static json_t *canned(const char *text)
{
    json_t *j = json_loads(text, 0, NULL);
    assert_non_null(j);
    return j;
}

static const char *bridge_of(json_t *params)
{
    const char *b = json_string_value(json_object_get(params, "bridge"));
    return b ? b : "";
}

static int f_version(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    record("version", params);
    *result = canned("{\"version\":\"0.1.0\",\"dpdk\":\"DPDK 22.11.1\"}");
    return 0;
}

static int f_add_br(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)result;
    record("add-br", params);
    if (!strcmp(bridge_of(params), "br-exists")) {
        snprintf(err, errlen, "bridge br-exists: already exists");
        return JSONRPC_INVALID_PARAMS;
    }
    return 0;
}

static int f_del_br(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)result, (void)err, (void)errlen;
    record("del-br", params);
    return 0;
}

static int f_add_port(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    record("add-port", params);
    *result = json_pack("{s:i}", "ofport", 3);
    return 0;
}

static int f_del_port(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)result;
    record("del-port", params);
    const char *port = json_string_value(json_object_get(params, "port"));
    snprintf(err, errlen, "port %s: no such port on bridge %s", port ? port : "?",
             bridge_of(params));
    return JSONRPC_INVALID_PARAMS;
}

static int f_show(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    int ms = atomic_load(&fake.slow_ms);
    if (ms)
        poll(NULL, 0, ms);
    record("show", params);
    *result = canned(show_json);
    return 0;
}

static int f_add_flow(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)result, (void)err, (void)errlen;
    record("add-flow", params);
    return 0;
}

/* Refuses the whole batch when a flow contains "bad", naming it as sluiced does. */
static int f_add_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    record("add-flows", params);
    size_t i;
    json_t *flow;
    json_array_foreach(json_object_get(params, "flows"), i, flow) {
        if (strstr(json_string_value(flow), "bad")) {
            snprintf(err, errlen, "flow %zu: nw_dst=10.0.0.300: invalid IPv4 address", i + 1);
            return JSONRPC_INVALID_PARAMS;
        }
    }
    *result = json_pack("{s:i}", "added", (int)json_array_size(json_object_get(params, "flows")));
    return 0;
}

static int f_del_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    record("del-flows", params);
    *result = json_pack("{s:i}", "deleted", 2);
    return 0;
}

enum { MANY_FLOWS = 20000 }; /* a reply of several MB: many partial writes and reads */

static int f_dump_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    record("dump-flows", params);
    const char *filter = json_string_value(json_object_get(params, "flow"));
    if (filter && !strcmp(filter, "many")) {
        json_t *flows = json_array();
        for (int i = 0; i < MANY_FLOWS; i++)
            json_array_append_new(
                flows, json_pack("{s:i, s:i, s:s, s:f, s:i, s:i, s:s, s:s}", "table", 0,
                                 "priority", 100, "cookie", "0x0", "duration", 3.5, "n_packets",
                                 i, "n_bytes", i * 64, "match", "ip,nw_src=10.1.2.3",
                                 "actions", "drop"));
        *result = json_pack("{s:o}", "flows", flows);
        return 0;
    }
    *result = canned(flows_json);
    return 0;
}

static int f_dump_ports(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)err, (void)errlen;
    record("dump-ports", params);
    *result = canned(ports_json);
    return 0;
}

static struct jsonrpc_method fake_methods[] = {
    {"version", f_version},       {"add-br", f_add_br},         {"del-br", f_del_br},
    {"add-port", f_add_port},     {"del-port", f_del_port},     {"show", f_show},
    {"add-flow", f_add_flow},     {"add-flows", f_add_flows},   {"del-flows", f_del_flows},
    {"dump-flows", f_dump_flows}, {"dump-ports", f_dump_ports}, {NULL, NULL},
};

struct fixture {
    char dir[64];
    char sock[128];
    struct jsonrpc_server *server;
    pthread_t tid;
    atomic_bool stop;
};

static void *server_main(void *arg)
{
    struct fixture *f = arg;
    while (!atomic_load(&f->stop)) {
        struct pollfd p[JSONRPC_MAX_CLIENTS + 1];
        int n = jsonrpc_server_pollfds(f->server, p, JSONRPC_MAX_CLIENTS + 1);
        if (poll(p, (nfds_t)n, 20) <= 0)
            continue;
        for (int i = 0; i < n; i++)
            if (p[i].revents)
                jsonrpc_server_run(f->server, p[i].fd);
    }
    return NULL;
}

static int setup(void **state)
{
    struct fixture *f = calloc(1, sizeof(*f));
    if (!f)
        return -1;
    strcpy(f->dir, "/tmp/sluice-test-ctl-XXXXXX");
    if (!mkdtemp(f->dir))
        return -1;
    snprintf(f->sock, sizeof(f->sock), "%s/sluiced.ctl", f->dir);
    char err[256];
    f->server = jsonrpc_server_create(f->sock, fake_methods, NULL, err, sizeof(err));
    if (!f->server) {
        fprintf(stderr, "fake daemon: %s\n", err);
        return -1;
    }
    if (pthread_create(&f->tid, NULL, server_main, f) != 0)
        return -1;
    pthread_mutex_lock(&fake.mu);
    fake.calls = 0;
    fake.method[0] = '\0';
    json_decref(fake.params);
    fake.params = NULL;
    pthread_mutex_unlock(&fake.mu);
    atomic_store(&fake.slow_ms, 0);
    unsetenv("SLUICE_RUN_DIR");
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    struct fixture *f = *state;
    atomic_store(&f->stop, true);
    pthread_join(f->tid, NULL);
    jsonrpc_server_destroy(f->server);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", f->dir);
    if (system(cmd) != 0)
        return -1;
    free(f);
    return 0;
}

static int fake_calls(void)
{
    pthread_mutex_lock(&fake.mu);
    int n = fake.calls;
    pthread_mutex_unlock(&fake.mu);
    return n;
}

/* Asserts the last request was `method` with exactly these params (JSON text). */
static void assert_request(const char *method, const char *params_json)
{
    json_t *want = json_loads(params_json, 0, NULL);
    assert_non_null(want);
    pthread_mutex_lock(&fake.mu);
    assert_string_equal(fake.method, method);
    if (!json_equal(fake.params, want))
        fail_msg("%s params: got %s, want %s", method, json_dumps(fake.params, JSON_COMPACT),
                 params_json);
    pthread_mutex_unlock(&fake.mu);
    json_decref(want);
}

/* ---------------------------------------------------------------------------------------- */
/* Running the CLI                                                                           */

struct run {
    int rc;
    char *out;
    char *err;
};

static struct run run_argv(const char *input, int argc, char **argv)
{
    struct run r = {0};
    size_t olen, elen;
    FILE *out = open_memstream(&r.out, &olen);
    FILE *err = open_memstream(&r.err, &elen);
    FILE *in = input ? fmemopen((void *)input, strlen(input), "r") : fopen("/dev/null", "r");
    assert_true(out && err && in);
    r.rc = ctl_main(argc, argv, in, out, err);
    fclose(in);
    fclose(out);
    fclose(err);
    return r;
}

/* sluicectl --run-dir <fixture dir> args... */
static struct run run_in(struct fixture *f, const char *input, const char *const *args)
{
    char *argv[64];
    int argc = 0;
    argv[argc++] = "sluicectl";
    if (f) {
        argv[argc++] = "--run-dir";
        argv[argc++] = f->dir;
    }
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    argv[argc] = NULL;
    return run_argv(input, argc, argv);
}

#define RUN(f, ...) run_in(f, NULL, (const char *const[]){__VA_ARGS__, NULL})
#define RUN_INPUT(f, input, ...) run_in(f, input, (const char *const[]){__VA_ARGS__, NULL})

static void run_free(struct run *r)
{
    free(r->out);
    free(r->err);
}

static void assert_contains(const char *haystack, const char *needle)
{
    if (!strstr(haystack, needle))
        fail_msg("\"%s\" does not contain \"%s\"", haystack, needle);
}

static void assert_ok(struct run *r, const char *out)
{
    if (r->rc != 0)
        fail_msg("exit %d, stderr: %s", r->rc, r->err);
    assert_string_equal(r->err, "");
    if (out)
        assert_string_equal(r->out, out);
}

/* ---------------------------------------------------------------------------------------- */
/* Argument parsing (pure)                                                                   */

static int parse(struct ctl_invocation *inv, char *err, const char *const *args)
{
    char *argv[32];
    int argc = 0;
    argv[argc++] = "sluicectl";
    for (; *args; args++)
        argv[argc++] = (char *)*args;
    return ctl_parse_args(argc, argv, inv, err, 512);
}
#define PARSE(inv, err, ...) parse(inv, err, (const char *const[]){__VA_ARGS__, NULL})

static void test_parse_options(void **state)
{
    (void)state;
    struct ctl_invocation inv;
    char err[512] = "";

    assert_int_equal(PARSE(&inv, err, "show"), CTL_EXIT_OK);
    assert_string_equal(inv.cmd->name, "show");
    assert_null(inv.run_dir);
    assert_false(inv.json);
    assert_true(inv.timeout_s == CTL_DEFAULT_TIMEOUT_S);
    ctl_invocation_free(&inv);

    /* Both spellings, before and after the command. */
    assert_int_equal(PARSE(&inv, err, "--run-dir", "/x", "dump-flows", "br0", "--json",
                           "--timeout=2.5", "in_port=1"),
                     CTL_EXIT_OK);
    assert_string_equal(inv.run_dir, "/x");
    assert_true(inv.json);
    assert_true(inv.timeout_s == 2.5);
    assert_string_equal(inv.cmd->name, "dump-flows");
    assert_int_equal(inv.n_args, 2);
    assert_string_equal(inv.args[0], "br0");
    assert_string_equal(inv.args[1], "in_port=1");
    ctl_invocation_free(&inv);

    assert_int_equal(PARSE(&inv, err, "--run-dir=/y", "--timeout", "0", "del-flows", "br0",
                           "--strict", "ip"),
                     CTL_EXIT_OK);
    assert_string_equal(inv.run_dir, "/y");
    assert_true(inv.timeout_s == 0);
    assert_true(inv.options & CTL_OPT_STRICT);
    ctl_invocation_free(&inv);

    /* "-" is an argument (stdin); after "--" everything is. */
    assert_int_equal(PARSE(&inv, err, "add-flows", "br0", "-"), CTL_EXIT_OK);
    assert_string_equal(inv.args[1], "-");
    ctl_invocation_free(&inv);
    assert_int_equal(PARSE(&inv, err, "add-flow", "--", "br0", "--json"), CTL_EXIT_OK);
    assert_false(inv.json);
    assert_string_equal(inv.args[1], "--json");
    ctl_invocation_free(&inv);

    assert_int_equal(PARSE(&inv, err, "--help"), CTL_EXIT_OK);
    assert_true(inv.help);
    ctl_invocation_free(&inv);
    assert_int_equal(PARSE(&inv, err, "--version"), CTL_EXIT_OK);
    assert_true(inv.version);
    ctl_invocation_free(&inv);
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const struct {
        const char *args[6];
        const char *error;
        const char *cmd; /* recognized command, for the usage line; NULL = none */
    } cases[] = {
        {{NULL}, "missing command", NULL},
        {{"bogus"}, "unknown command 'bogus'", NULL},
        {{"--bogus", "show"}, "unknown option '--bogus'", "show"},
        {{"show", "-x"}, "unknown option '-x'", "show"},
        {{"--json=yes", "show"}, "option --json takes no value", "show"},
        {{"show", "--run-dir"}, "option --run-dir needs a value", "show"},
        {{"--run-dir=", "show"}, "option --run-dir needs a directory", "show"},
        {{"--timeout", "soon", "show"}, "invalid --timeout 'soon'", "show"},
        {{"--timeout=-1", "show"}, "invalid --timeout '-1'", "show"},
        {{"--timeout=nan", "show"}, "invalid --timeout 'nan'", "show"},
        {{"--timeout=1e9", "show"}, "invalid --timeout '1e9'", "show"},
        {{"add-br"}, "add-br: missing BR", "add-br"},
        {{"add-br", "a", "local=none", "c"}, "add-br: unexpected argument 'c'", "add-br"},
        {{"del-br"}, "del-br: missing BR", "del-br"},
        {{"add-port", "br0"}, "add-port: missing PORT", "add-port"},
        {{"del-port", "br0"}, "del-port: missing PORT", "del-port"},
        {{"del-port", "br0", "p", "q"}, "del-port: unexpected argument 'q'", "del-port"},
        {{"show", "br0"}, "show: unexpected argument 'br0'", "show"},
        {{"add-flow", "br0"}, "add-flow: missing FLOW", "add-flow"},
        {{"add-flows", "br0"}, "add-flows: missing FILE", "add-flows"},
        {{"del-flows"}, "del-flows: missing BR", "del-flows"},
        {{"del-flows", "br0", "ip", "arp"}, "del-flows: unexpected argument 'arp'", "del-flows"},
        {{"dump-flows", "br0", "--strict"}, "dump-flows: option --strict does not apply",
         "dump-flows"},
        {{"dump-ports", "br0", "p", "q"}, "dump-ports: unexpected argument 'q'", "dump-ports"},
        {{"version", "now"}, "version: unexpected argument 'now'", "version"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[8] = {"sluicectl"};
        int argc = 1;
        for (int k = 0; cases[i].args[k]; k++)
            argv[argc++] = (char *)cases[i].args[k];
        struct ctl_invocation inv;
        char err[512] = "";
        assert_int_equal(ctl_parse_args(argc, argv, &inv, err, sizeof(err)), CTL_EXIT_USAGE);
        assert_contains(err, cases[i].error);
        if (cases[i].cmd) {
            assert_non_null(inv.cmd);
            assert_string_equal(inv.cmd->name, cases[i].cmd);
        } else {
            assert_null(inv.cmd);
        }
        ctl_invocation_free(&inv);
    }
}

static void test_command_table(void **state)
{
    (void)state;
    /* Every documented verb is a row; arg counts agree with the usage text. */
    static const char *const verbs[] = {"add-br",    "del-br",     "add-port",   "del-port",
                                        "show",      "add-flow",   "add-flows",  "del-flows",
                                        "dump-flows", "dump-ports", "version",
                                        /* OpenFlow verbs (cli/ctl-of.h) and introspection */
                                        "dump-tables", "dump-aggregate", "add-group",
                                        "mod-group", "del-groups", "dump-groups",
                                        "dump-group-stats", "add-meter", "mod-meter",
                                        "del-meters", "dump-meters", "meter-stats", "mod-port",
                                        "mod-flows", "dump-ports-desc", "packet-out", "trace",
                                        "pmd-stats", NULL};
    for (const char *const *v = verbs; *v; v++) {
        const struct ctl_command *c = ctl_find_command(*v);
        assert_non_null(c);
        assert_non_null(c->help);
        int required = 0, optional = 0;
        bool open_ended = false;
        char words[128];
        snprintf(words, sizeof(words), "%s", c->args);
        for (char *save, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
            if (!strncmp(w, "[--", 3))
                continue;
            if (strstr(w, "..."))
                open_ended = true;
            else if (*w == '[')
                optional++;
            else
                required++;
        }
        assert_int_equal(c->min_args, required);
        assert_int_equal(c->max_args, open_ended ? -1 : required + optional);
    }
    assert_null(ctl_find_command("dump-frobs"));
}

static void test_socket_path(void **state)
{
    (void)state;
    struct ctl_invocation inv = {0};
    char path[128];
    assert_int_equal(ctl_socket_path(&inv, NULL, path, sizeof(path)), 0);
    assert_string_equal(path, "/run/sluice/sluiced.ctl");
    assert_int_equal(ctl_socket_path(&inv, "", path, sizeof(path)), 0);
    assert_string_equal(path, "/run/sluice/sluiced.ctl");
    assert_int_equal(ctl_socket_path(&inv, "/tmp/env//", path, sizeof(path)), 0);
    assert_string_equal(path, "/tmp/env/sluiced.ctl");
    inv.run_dir = "/opt/run";
    assert_int_equal(ctl_socket_path(&inv, "/tmp/env", path, sizeof(path)), 0);
    assert_string_equal(path, "/opt/run/sluiced.ctl");
    assert_int_equal(ctl_socket_path(&inv, NULL, path, 10), -ENAMETOOLONG);
}

/* ---------------------------------------------------------------------------------------- */
/* Output formatting (pure)                                                                  */

static char *print_to_string(ctl_print_fn *fn, const char *json, int *rc, char *err)
{
    json_t *j = json_loads(json, JSON_DECODE_ANY, NULL);
    assert_non_null(j);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    *rc = fn(f, j, err, 256);
    fclose(f);
    json_decref(j);
    return buf;
}

static void test_format_flows(void **state)
{
    (void)state;
    int rc;
    char err[256];
    char *s = print_to_string(ctl_out_dump_flows, flows_json, &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, flows_text);
    free(s);

    /* Integer cookies and missing members still print a well-formed line. */
    json_t *flow = json_loads("{\"cookie\":255,\"priority\":32768,\"match\":\"ip\"}", 0, NULL);
    char *line = ctl_out_flow_line(flow);
    assert_string_equal(line, " cookie=0xff, duration=0s, table=0, n_packets=0, n_bytes=0, "
                              "ip actions=drop");
    free(line);
    json_decref(flow);

    s = print_to_string(ctl_out_dump_flows, "{\"flows\":[]}", &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "");
    free(s);
    s = print_to_string(ctl_out_dump_flows, "{\"flow\":[]}", &rc, err);
    assert_int_equal(rc, -EPROTO);
    assert_contains(err, "no \"flows\" array");
    free(s);
    s = print_to_string(ctl_out_dump_flows, "{\"flows\":[1]}", &rc, err);
    assert_int_equal(rc, -EPROTO);
    assert_contains(err, "flow 0 is not an object");
    free(s);
}

static void test_format_show(void **state)
{
    (void)state;
    int rc;
    char err[256];
    char *s = print_to_string(ctl_out_show, show_json, &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, show_text);
    free(s);
    s = print_to_string(ctl_out_show, "{\"bridges\":[],\"pmds\":[]}", &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "");
    free(s);
    s = print_to_string(ctl_out_show, "{\"bridges\":{}}", &rc, err);
    assert_int_equal(rc, -EPROTO);
    assert_contains(err, "\"bridges\" is not an array");
    free(s);
    s = print_to_string(ctl_out_show, "[]", &rc, err);
    assert_int_equal(rc, -EPROTO);
    free(s);
}

static void test_format_ports(void **state)
{
    (void)state;
    int rc;
    char err[256];
    char *s = print_to_string(ctl_out_dump_ports, ports_json, &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, ports_text);
    free(s);
    /* No drops object at all: the counter table alone. */
    s = print_to_string(ctl_out_dump_ports,
                        "{\"ports\":[{\"name\":\"p\",\"ofport\":1,\"rx_packets\":3}]}", &rc, err);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "port  ofport  rx_packets  rx_bytes  rx_errors  tx_packets  tx_bytes  "
                           "tx_errors  drops\n"
                           "p          1           3         0          0           0         0  "
                           "        0      0\n");
    free(s);
    s = print_to_string(ctl_out_dump_ports, "{\"ports\":[\"p\"]}", &rc, err);
    assert_int_equal(rc, -EPROTO);
    assert_contains(err, "port 0 is not an object");
    free(s);
}

static void test_format_values(void **state)
{
    (void)state;
    static const struct {
        const char *json;
        const char *text;
    } cases[] = {
        {"\"up\"", "up"},
        {"\"\"", "\"\""},
        {"\"a,b=c\"", "\"a,b=c\""},
        {"\"two words\"", "\"two words\""},
        {"\"q\\\"uote\"", "\"q\\\"uote\""},
        {"\"02:00:00:00:00:01\"", "02:00:00:00:00:01"},
        {"9007199254740993", "9007199254740993"},
        {"-3", "-3"},
        {"0.25", "0.25"},
        {"true", "true"},
        {"null", "null"},
        {"[]", "[]"},
        {"[1,\"x\",[2]]", "[1, x, [2]]"},
        {"{\"a\":1,\"b\":\"c d\"}", "{a=1, b=\"c d\"}"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        json_t *j = json_loads(cases[i].json, JSON_DECODE_ANY, NULL);
        assert_non_null(j);
        char *s = ctl_out_value(j);
        assert_string_equal(s, cases[i].text);
        free(s);
        json_decref(j);
    }
}

/* ---------------------------------------------------------------------------------------- */
/* End to end against the fake daemon                                                        */

static void test_e2e_bridges_and_ports(void **state)
{
    struct fixture *f = *state;
    struct run r = RUN(f, "add-br", "br0");
    assert_ok(&r, "");
    assert_request("add-br", "{\"bridge\":\"br0\"}");
    run_free(&r);

    r = RUN(f, "add-br", "br1", "local=none");
    assert_ok(&r, "");
    assert_request("add-br", "{\"bridge\":\"br1\",\"local\":\"none\"}");
    run_free(&r);

    r = RUN(f, "del-br", "br0");
    assert_ok(&r, "");
    assert_request("del-br", "{\"bridge\":\"br0\"}");
    run_free(&r);

    r = RUN(f, "add-port", "br0", "dpdk0", "type=dpdk",
            "devargs=net_af_packet0,iface=veth0", "n_rxq=2", "mtu=9000");
    assert_ok(&r, "");
    assert_request("add-port", "{\"bridge\":\"br0\",\"port\":\"dpdk0\",\"options\":"
                               "{\"type\":\"dpdk\",\"devargs\":\"net_af_packet0,iface=veth0\","
                               "\"n_rxq\":\"2\",\"mtu\":\"9000\"}}");
    run_free(&r);

    /* No options: still an (empty) options object. --json shows the assigned ofport. */
    r = RUN(f, "--json", "add-port", "br0", "vm1");
    assert_ok(&r, "{\n  \"ofport\": 3\n}\n");
    assert_request("add-port", "{\"bridge\":\"br0\",\"port\":\"vm1\",\"options\":{}}");
    run_free(&r);

    r = RUN(f, "show");
    assert_ok(&r, show_text);
    assert_request("show", "{}");
    run_free(&r);

    r = RUN(f, "version");
    assert_ok(&r, "sluicectl " SLUICECTL_VERSION "\nsluiced 0.1.0 (DPDK 22.11.1)\n");
    run_free(&r);
}

static void test_e2e_flows(void **state)
{
    struct fixture *f = *state;
    struct run r = RUN(f, "add-flow", "br0", "priority=10,ip,actions=drop");
    assert_ok(&r, "");
    assert_request("add-flow", "{\"bridge\":\"br0\",\"flow\":\"priority=10,ip,actions=drop\"}");
    run_free(&r);

    r = RUN(f, "del-flows", "br0");
    assert_ok(&r, "");
    assert_request("del-flows", "{\"bridge\":\"br0\",\"strict\":false}");
    run_free(&r);

    r = RUN(f, "del-flows", "--strict", "br0", "priority=5,arp");
    assert_ok(&r, "");
    assert_request("del-flows", "{\"bridge\":\"br0\",\"flow\":\"priority=5,arp\",\"strict\":true}");
    run_free(&r);

    r = RUN(f, "--json", "del-flows", "br0", "arp");
    assert_ok(&r, "{\n  \"deleted\": 2\n}\n");
    run_free(&r);

    r = RUN(f, "dump-flows", "br0");
    assert_ok(&r, flows_text);
    assert_request("dump-flows", "{\"bridge\":\"br0\"}");
    run_free(&r);

    r = RUN(f, "dump-flows", "br0", "in_port=vm1");
    assert_ok(&r, flows_text);
    assert_request("dump-flows", "{\"bridge\":\"br0\",\"flow\":\"in_port=vm1\"}");
    run_free(&r);

    r = RUN(f, "dump-flows", "br0", "many");
    assert_int_equal(r.rc, 0);
    size_t lines = 0;
    for (const char *c = r.out; *c; c++)
        lines += *c == '\n';
    assert_int_equal(lines, MANY_FLOWS);
    assert_contains(r.out, " cookie=0x0, duration=3.500s, table=0, n_packets=19999, "
                           "n_bytes=1279936, priority=100,ip,nw_src=10.1.2.3 actions=drop\n");
    run_free(&r);

    /* --json prints the result itself, not the readable form: parse it back. */
    r = RUN(f, "dump-flows", "br0", "--json");
    assert_int_equal(r.rc, 0);
    json_t *got = json_loads(r.out, 0, NULL), *want = json_loads(flows_json, 0, NULL);
    assert_non_null(got);
    assert_true(json_equal(got, want));
    assert_contains(r.out, "\"duration\": 1.234,"); /* not 1.2339999999999999 */
    assert_contains(r.out, "\n  \"flows\": [\n");   /* indented */
    json_decref(got);
    json_decref(want);
    run_free(&r);
}

static void test_e2e_dump_ports(void **state)
{
    struct fixture *f = *state;
    struct run r = RUN(f, "dump-ports", "br0");
    assert_ok(&r, ports_text);
    assert_request("dump-ports", "{\"bridge\":\"br0\"}");
    run_free(&r);
    r = RUN(f, "dump-ports", "br0", "dpdk0");
    assert_ok(&r, ports_text);
    assert_request("dump-ports", "{\"bridge\":\"br0\",\"port\":\"dpdk0\"}");
    run_free(&r);
}

static const char flow_file[] = "# ACLs for br0\n"
                                "\n"
                                "priority=100,ip,nw_dst=10.0.0.1,actions=output:vm1\n"
                                "   \t\n"
                                "  priority=90,arp,actions=flood   \r\n"
                                "# the next one is wrong\n"
                                "priority=80,ip,nw_dst=bad,actions=drop\n"
                                "priority=1,actions=drop";

static void test_e2e_add_flows(void **state)
{
    struct fixture *f = *state;
    char path[160];
    snprintf(path, sizeof(path), "%s/flows.txt", f->dir);
    FILE *fp = fopen(path, "w");
    assert_non_null(fp);
    fputs(flow_file, fp);
    fclose(fp);

    /* The daemon rejects flow 3 of 4: the user hears about line 7 of the file. */
    struct run r = RUN(f, "add-flows", "br0", path);
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    char want[256];
    snprintf(want, sizeof(want), "sluicectl: %s:7: nw_dst=10.0.0.300: invalid IPv4 address\n",
             path);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    assert_request("add-flows", "{\"bridge\":\"br0\",\"flows\":["
                                "\"priority=100,ip,nw_dst=10.0.0.1,actions=output:vm1\","
                                "\"priority=90,arp,actions=flood\","
                                "\"priority=80,ip,nw_dst=bad,actions=drop\","
                                "\"priority=1,actions=drop\"]}");
    run_free(&r);

    /* Same from stdin. */
    r = RUN_INPUT(f, flow_file, "add-flows", "br0", "-");
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    assert_string_equal(r.err, "sluicectl: stdin:7: nw_dst=10.0.0.300: invalid IPv4 address\n");
    run_free(&r);

    r = RUN_INPUT(f, "ip,actions=drop\n\n# x\narp,actions=flood\n", "--json", "add-flows", "br0",
                  "-");
    assert_ok(&r, "{\n  \"added\": 2\n}\n");
    run_free(&r);

    /* An empty file is a valid, empty batch. */
    r = RUN_INPUT(f, "# nothing\n", "add-flows", "br0", "-");
    assert_ok(&r, "");
    assert_request("add-flows", "{\"bridge\":\"br0\",\"flows\":[]}");
    run_free(&r);

    /* A missing file fails locally. */
    int before = fake_calls();
    snprintf(path, sizeof(path), "%s/absent.txt", f->dir);
    r = RUN(f, "add-flows", "br0", path);
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    snprintf(want, sizeof(want), "sluicectl: cannot open %s: No such file or directory\n", path);
    assert_string_equal(r.err, want);
    assert_int_equal(fake_calls(), before);
    run_free(&r);

    /* Invalid UTF-8 and NUL bytes are named by line. */
    static const char nul_input[] = "ip,actions=drop\narp\0,actions=drop\n";
    FILE *in = fmemopen((void *)nul_input, sizeof(nul_input) - 1, "r");
    char *out = NULL, *err = NULL;
    size_t olen, elen;
    FILE *fo = open_memstream(&out, &olen), *fe = open_memstream(&err, &elen);
    char *argv[] = {"sluicectl", "--run-dir", f->dir, "add-flows", "br0", "-", NULL};
    assert_int_equal(ctl_main(6, argv, in, fo, fe), CTL_EXIT_FAILED);
    fclose(in);
    fclose(fo);
    fclose(fe);
    assert_string_equal(err, "sluicectl: stdin:2: line contains a NUL byte\n");
    free(out);
    free(err);
    r = RUN_INPUT(f, "ip,actions=drop\n\xff\xfe,actions=drop\n", "add-flows", "br0", "-");
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    assert_string_equal(r.err, "sluicectl: stdin:2: line is not valid UTF-8\n");
    assert_int_equal(fake_calls(), before);
    run_free(&r);
}

static void test_e2e_daemon_refuses(void **state)
{
    struct fixture *f = *state;
    struct run r = RUN(f, "add-br", "br-exists");
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    assert_string_equal(r.err, "sluicectl: bridge br-exists: already exists\n");
    assert_string_equal(r.out, "");
    run_free(&r);

    r = RUN(f, "--json", "del-port", "br0", "nope");
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    assert_string_equal(r.err, "sluicectl: port nope: no such port on bridge br0\n");
    assert_string_equal(r.out, "");
    run_free(&r);

    /* A daemon that lacks a verb (older version) is a refusal too, not "unreachable". */
    char *argv[] = {"sluicectl", "--run-dir", f->dir, "dump-ports", "br0", NULL};
    struct jsonrpc_method *m = &fake_methods[10];
    assert_string_equal(m->name, "dump-ports");
    m->name = "dump-ports-renamed";
    r = run_argv(NULL, 5, argv);
    m->name = "dump-ports";
    assert_int_equal(r.rc, CTL_EXIT_FAILED);
    assert_string_equal(r.err, "sluicectl: unknown method 'dump-ports'\n");
    run_free(&r);
}

static void test_e2e_usage_errors_send_nothing(void **state)
{
    struct fixture *f = *state;
    static const struct {
        const char *args[6];
        const char *error;
        const char *usage;
    } cases[] = {
        {{"frobnicate"}, "unknown command 'frobnicate'", "COMMAND ARGS..."},
        {{"add-port", "br0"}, "add-port: missing PORT", "add-port BR PORT [key=value ...]"},
        {{"add-port", "br0", "p", "type"}, "bad option 'type': expected key=value",
         "add-port BR PORT"},
        {{"add-port", "br0", "p", "=dpdk"}, "bad option '=dpdk'", "add-port BR PORT"},
        {{"add-port", "br0", "p", "ty pe=x"}, "bad option 'ty pe=x'", "add-port BR PORT"},
        {{"add-port", "br0", "p", "path="}, "option 'path' has an empty value", "add-port"},
        {{"add-port", "br0", "p", "mtu=1", "mtu=2"}, "option 'mtu' given twice", "add-port"},
        {{"add-port", "", "p"}, "add-port: empty bridge", "add-port"},
        {{"add-br", "\xff"}, "bridge '\xff' is not valid UTF-8", "add-br BR"},
        {{"add-br", "br0", "none"}, "add-br: bad option 'none': expected local=tap or local=none",
         "add-br BR [local=tap|none]"},
        {{"del-flows", "br0", "a", "b"}, "unexpected argument 'b'", "del-flows BR [FLOW] [--strict]"},
        {{"show", "--strict"}, "show: option --strict does not apply", "show\n"},
        {{"--timeout", "x", "show"}, "invalid --timeout 'x'", "show\n"},
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        char *argv[12] = {"sluicectl", "--run-dir", f->dir};
        int argc = 3;
        for (int k = 0; cases[i].args[k]; k++)
            argv[argc++] = (char *)cases[i].args[k];
        struct run r = run_argv(NULL, argc, argv);
        assert_int_equal(r.rc, CTL_EXIT_USAGE);
        assert_string_equal(r.out, "");
        assert_contains(r.err, "sluicectl: ");
        assert_contains(r.err, cases[i].error);
        assert_contains(r.err, "\nusage: sluicectl [--run-dir DIR] [--json] [--timeout SECS] ");
        assert_contains(r.err, cases[i].usage);
        run_free(&r);
    }
    assert_int_equal(fake_calls(), 0);

    /* Help and --version need no daemon either. */
    struct run r = RUN(f, "--help");
    assert_int_equal(r.rc, 0);
    for (const struct ctl_command *c = ctl_commands; c->name; c++)
        assert_contains(r.out, c->name);
    assert_contains(r.out, "Exit status");
    run_free(&r);
    r = RUN(f, "--version");
    assert_ok(&r, "sluicectl " SLUICECTL_VERSION "\n");
    run_free(&r);
    assert_int_equal(fake_calls(), 0);
}

static void test_e2e_unreachable(void **state)
{
    struct fixture *f = *state;
    char dir[160], want[256];
    snprintf(dir, sizeof(dir), "%s/nowhere", f->dir);
    char *argv[] = {"sluicectl", "--run-dir", dir, "show", NULL};
    struct run r = run_argv(NULL, 4, argv);
    assert_int_equal(r.rc, CTL_EXIT_UNREACHABLE);
    snprintf(want, sizeof(want),
             "sluicectl: cannot connect to %s/sluiced.ctl: No such file or directory "
             "(is sluiced running?)\n",
             dir);
    assert_string_equal(r.err, want);
    assert_string_equal(r.out, "");
    run_free(&r);

    /* The environment names the run dir when --run-dir does not. */
    setenv("SLUICE_RUN_DIR", dir, 1);
    char *argv2[] = {"sluicectl", "version", NULL};
    r = run_argv(NULL, 2, argv2);
    assert_int_equal(r.rc, CTL_EXIT_UNREACHABLE);
    assert_contains(r.err, dir);
    run_free(&r);
    setenv("SLUICE_RUN_DIR", f->dir, 1);
    r = run_argv(NULL, 2, argv2);
    assert_ok(&r, NULL);
    assert_contains(r.out, "sluiced 0.1.0");
    run_free(&r);
    unsetenv("SLUICE_RUN_DIR");

    /* A daemon that does not answer in time. */
    atomic_store(&fake.slow_ms, 1500);
    r = RUN(f, "--timeout", "0.2", "show");
    assert_int_equal(r.rc, CTL_EXIT_UNREACHABLE);
    assert_contains(r.err, "no reply from ");
    assert_contains(r.err, "within 200 ms");
    run_free(&r);
}

static void test_e2e_output_write_error(void **state)
{
    struct fixture *f = *state;
    /* stdout that cannot be written (full disk): the exit code must say so. */
    FILE *out = fopen("/dev/full", "w");
    if (!out)
        skip();
    char *err = NULL;
    size_t elen;
    FILE *fe = open_memstream(&err, &elen);
    FILE *in = fopen("/dev/null", "r");
    char *argv[] = {"sluicectl", "--run-dir", f->dir, "show", NULL};
    int rc = ctl_main(4, argv, in, out, fe);
    fclose(out);
    fclose(in);
    fclose(fe);
    assert_int_equal(rc, CTL_EXIT_FAILED);
    assert_contains(err, "sluicectl: cannot write output");
    free(err);
}

/* The built binary, when it sits next to this test (a CMake build puts both in the build
 * dir): exit codes and streams as a shell sees them. */
static void test_binary(void **state)
{
    struct fixture *f = *state;
    char self[PATH_MAX], bin[PATH_MAX + 16];
    ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
    assert_true(n > 0);
    self[n] = '\0';
    *strrchr(self, '/') = '\0';
    snprintf(bin, sizeof(bin), "%s/sluicectl", self);
    if (access(bin, X_OK) != 0) {
        print_message("no %s: skipping the binary test\n", bin);
        skip();
    }
    char cmd[PATH_MAX * 2];
    snprintf(cmd, sizeof(cmd), "'%s' --run-dir '%s' dump-flows br0 2>&1", bin, f->dir);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char buf[4096];
    size_t len = fread(buf, 1, sizeof(buf) - 1, p);
    buf[len] = '\0';
    int status = pclose(p);
    assert_true(WIFEXITED(status));
    assert_int_equal(WEXITSTATUS(status), 0);
    assert_string_equal(buf, flows_text);

    snprintf(cmd, sizeof(cmd), "'%s' --run-dir '%s/none' show 2>&1 >/dev/null", bin, f->dir);
    p = popen(cmd, "r");
    len = fread(buf, 1, sizeof(buf) - 1, p);
    buf[len] = '\0';
    status = pclose(p);
    assert_int_equal(WEXITSTATUS(status), CTL_EXIT_UNREACHABLE);
    assert_contains(buf, "is sluiced running?");

    snprintf(cmd, sizeof(cmd), "'%s' add-port br0 >/dev/null 2>&1", bin);
    status = system(cmd);
    assert_int_equal(WEXITSTATUS(status), CTL_EXIT_USAGE);
    snprintf(cmd, sizeof(cmd), "'%s' --run-dir '%s' add-br br-exists >/dev/null 2>&1", bin,
             f->dir);
    status = system(cmd);
    assert_int_equal(WEXITSTATUS(status), CTL_EXIT_FAILED);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_options),
        cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_command_table),
        cmocka_unit_test(test_socket_path),
        cmocka_unit_test(test_format_flows),
        cmocka_unit_test(test_format_show),
        cmocka_unit_test(test_format_ports),
        cmocka_unit_test(test_format_values),
        cmocka_unit_test_setup_teardown(test_e2e_bridges_and_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_dump_ports, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_add_flows, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_daemon_refuses, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_usage_errors_send_nothing, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_unreachable, setup, teardown),
        cmocka_unit_test_setup_teardown(test_e2e_output_write_error, setup, teardown),
        cmocka_unit_test_setup_teardown(test_binary, setup, teardown),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    json_decref(fake.params);
    return rc;
}
