/* sluiced — the sluice daemon: DPDK EAL, the datapath's PMD threads, and the control thread.
 *
 * The main lcore is the control thread: it serves the management socket (RUNDIR/sluiced.ctl)
 * and runs timers (flow expiry, link polling). PMD threads run on worker lcores. See
 * datapath/dp.h for how the two share state.
 */
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_lcore.h>
#include <rte_log.h>

#include "datapath/clock.h"
#include "control/config-store.h"
#include "control/jsonrpc.h"
#include "control/mgmt.h"
#include "control/ofconn.h"
#include "datapath/dp.h"
#include "datapath/log.h"

#define DEFAULT_RUN_DIR "/run/sluice"
#define DEFAULT_IDLE_SLEEP_US 200
#define DEFAULT_CTL_BUSY_POLL_US 200
#define MAX_EAL_ARGS 128

static volatile sig_atomic_t exiting;

static void on_signal(int sig)
{
    (void)sig;
    exiting = 1;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: sluiced [OPTIONS] [-- EAL-ARGS...]\n"
            "  --run-dir DIR           sockets and pid file (default $SLUICE_RUN_DIR or %s)\n"
            "  --pmd-cores LIST        CPUs for PMD threads, e.g. 1 or 2,3 (default: last CPU)\n"
            "  --main-core CPU         CPU of the control thread (default 0)\n"
            "  --db FILE               keep bridges, ports and controllers in FILE (JSON):\n"
            "                          each change is saved before it is acknowledged, and\n"
            "                          FILE is restored at start (before --config)\n"
            "  --config FILE           commands to run at start (add-br, add-port, add-flow)\n"
            "  --log-level LEVEL       emerg|alert|crit|err|warning|notice|info|debug\n"
            "  --pmd-idle-sleep-us N   longest sleep of an idle PMD (default %d; 0 = busy-poll)\n"
            "  --mbufs N               packet buffers in the pool (default 32768)\n"
            "  --ctl-busy-poll-us N    after control-socket activity, poll the sockets without\n"
            "                          sleeping for up to N us (default %d; 0 = always sleep)\n"
            "  --version, --help\n"
            "EAL arguments after '--' are passed to DPDK; unless given there, sluiced adds\n"
            "--lcores (from --main-core/--pmd-cores), --in-memory and -m 512.\n",
            DEFAULT_RUN_DIR, DEFAULT_IDLE_SLEEP_US, DEFAULT_CTL_BUSY_POLL_US);
}

struct options {
    const char *run_dir;
    const char *config;
    const char *db;
    unsigned pmd_cpus[DP_MAX_PMDS];
    unsigned n_pmd_cpus;
    unsigned main_cpu;
    int log_level;
    uint32_t idle_sleep_us;
    uint32_t n_mbufs;
    uint32_t ctl_busy_poll_us;
};

static int parse_uint(const char *what, const char *s, unsigned long max, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || v > max) {
        fprintf(stderr, "sluiced: %s \"%s\": expected an integer from 0 to %lu\n", what, s, max);
        return -1;
    }
    *out = v;
    return 0;
}

/* "1", "2,3", "1-3" */
static int parse_cpu_list(const char *s, struct options *o)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", s);
    o->n_pmd_cpus = 0;
    for (char *save = NULL, *tok = strtok_r(buf, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        unsigned long a, b;
        char *dash = strchr(tok, '-');
        if (dash) {
            *dash = '\0';
            if (parse_uint("--pmd-cores", tok, 1023, &a) || parse_uint("--pmd-cores", dash + 1, 1023, &b))
                return -1;
        } else {
            if (parse_uint("--pmd-cores", tok, 1023, &a))
                return -1;
            b = a;
        }
        for (unsigned long c = a; c <= b; c++) {
            if (o->n_pmd_cpus == DP_MAX_PMDS) {
                fprintf(stderr, "sluiced: --pmd-cores %s: at most %d PMD threads\n", s,
                        DP_MAX_PMDS);
                return -1;
            }
            o->pmd_cpus[o->n_pmd_cpus++] = (unsigned)c;
        }
    }
    if (!o->n_pmd_cpus) {
        fprintf(stderr, "sluiced: --pmd-cores \"%s\": empty list\n", s);
        return -1;
    }
    return 0;
}

static int parse_log_level(const char *s)
{
    static const char *names[] = {"emerg", "alert", "crit",   "err",
                                  "warning", "notice", "info", "debug"};
    for (int i = 0; i < 8; i++)
        if (!strcmp(s, names[i]))
            return i + 1; /* RTE_LOG_EMERG == 1 */
    return -1;
}

static bool eal_has(int argc, char **argv, const char *const *opts)
{
    for (int i = 0; i < argc; i++)
        for (const char *const *o = opts; *o; o++) {
            size_t n = strlen(*o);
            if (!strncmp(argv[i], *o, n) && (argv[i][n] == '\0' || argv[i][n] == '='))
                return true;
        }
    return false;
}

static int parse_options(int argc, char **argv, struct options *o, int *eal_index)
{
    static const struct option longopts[] = {
        {"run-dir", required_argument, NULL, 'r'},
        {"pmd-cores", required_argument, NULL, 'p'},
        {"main-core", required_argument, NULL, 'M'},
        {"config", required_argument, NULL, 'c'},
        {"db", required_argument, NULL, 'd'},
        {"log-level", required_argument, NULL, 'l'},
        {"pmd-idle-sleep-us", required_argument, NULL, 's'},
        {"mbufs", required_argument, NULL, 'b'},
        {"ctl-busy-poll-us", required_argument, NULL, 'P'},
        {"version", no_argument, NULL, 'V'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long v;
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
        switch (c) {
        case 'r':
            o->run_dir = optarg;
            break;
        case 'p':
            if (parse_cpu_list(optarg, o))
                return -1;
            break;
        case 'M':
            if (parse_uint("--main-core", optarg, 1023, &v))
                return -1;
            o->main_cpu = (unsigned)v;
            break;
        case 'c':
            o->config = optarg;
            break;
        case 'd':
            if (!optarg[0]) {
                fprintf(stderr, "sluiced: --db needs a file name\n");
                return -1;
            }
            o->db = optarg;
            break;
        case 'l':
            if ((o->log_level = parse_log_level(optarg)) < 0) {
                fprintf(stderr,
                        "sluiced: --log-level \"%s\": expected emerg, alert, crit, err, warning, "
                        "notice, info or debug\n",
                        optarg);
                return -1;
            }
            break;
        case 's':
            if (parse_uint("--pmd-idle-sleep-us", optarg, 1000000, &v))
                return -1;
            o->idle_sleep_us = (uint32_t)v;
            break;
        case 'b':
            if (parse_uint("--mbufs", optarg, 16u << 20, &v) || v < 2048) {
                fprintf(stderr, "sluiced: --mbufs %s: must be at least 2048\n", optarg);
                return -1;
            }
            o->n_mbufs = (uint32_t)v;
            break;
        case 'P':
            if (parse_uint("--ctl-busy-poll-us", optarg, 100000, &v))
                return -1;
            o->ctl_busy_poll_us = (uint32_t)v;
            break;
        case 'V':
            printf("sluiced 0.1.0\n");
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        case ':':
            fprintf(stderr, "sluiced: option %s needs a value\n", argv[optind - 1]);
            usage(stderr);
            return -1;
        default:
            fprintf(stderr, "sluiced: unknown option %s\n", argv[optind - 1]);
            usage(stderr);
            return -1;
        }
    }
    if (optind < argc && strcmp(argv[optind - 1], "--") != 0) {
        fprintf(stderr, "sluiced: unexpected argument \"%s\" (EAL arguments go after --)\n",
                argv[optind]);
        return -1;
    }
    *eal_index = optind;
    return 0;
}

/* poll() for the control thread. Until `spin_until` (set after any activity) it does not
 * sleep: it checks the sockets with a zero timeout and yields the CPU in between. A controller
 * that waits for each reply (a barrier per flow-mod) then finds the thread awake: its request
 * costs no wake-up, which on a virtual machine is an inter-processor interrupt and tens of
 * microseconds when the client runs on another CPU. sched_yield() lets a client that shares
 * this CPU run at once. The cost is CPU time for at most --ctl-busy-poll-us after the last
 * event; an idle daemon sleeps as before. */
static int poll_control(struct pollfd *pfds, nfds_t n, int timeout_ms, uint64_t spin_until)
{
    while (!exiting && dp_now_ns() < spin_until) {
        int k = poll(pfds, n, 0);
        if (k != 0)
            return k;
        sched_yield();
    }
    return poll(pfds, n, timeout_ms);
}

static int mkdir_p(const char *path)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", path);
    for (char *p = buf + 1; *p; p++)
        if (*p == '/') {
            *p = '\0';
            if (mkdir(buf, 0755) && errno != EEXIST)
                return -errno;
            *p = '/';
        }
    if (mkdir(buf, 0755) && errno != EEXIST)
        return -errno;
    return 0;
}

static int check_db_dir(const char *db)
{
    char dir[4096];
    const char *slash = strrchr(db, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == db)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - db), db);
    struct stat st;
    const char *why = NULL;
    if (stat(dir, &st) != 0)
        why = strerror(errno);
    else if (!S_ISDIR(st.st_mode))
        why = "not a directory";
    if (why) {
        fprintf(stderr, "sluiced: --db %s: directory %s: %s\n", db, dir, why);
        return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    struct options o = {.log_level = -1,
                        .idle_sleep_us = DEFAULT_IDLE_SLEEP_US,
                        .ctl_busy_poll_us = DEFAULT_CTL_BUSY_POLL_US};
    int eal_index;
    if (parse_options(argc, argv, &o, &eal_index))
        return 2;
    if (!o.run_dir)
        o.run_dir = getenv("SLUICE_RUN_DIR");
    if (!o.run_dir || !o.run_dir[0])
        o.run_dir = DEFAULT_RUN_DIR;
    if (!o.n_pmd_cpus) {
        long n = sysconf(_SC_NPROCESSORS_ONLN);
        o.pmd_cpus[0] = n > 1 ? (unsigned)(n - 1) : 0;
        o.n_pmd_cpus = 1;
    }

    /* EAL argv: ours first, then the user's (which win where DPDK takes the last value). */
    char *eal_argv[MAX_EAL_ARGS];
    int eal_argc = 0;
    char lcores[512], mem[16] = "512";
    eal_argv[eal_argc++] = argv[0];
    int user_argc = argc - eal_index;
    char **user_argv = argv + eal_index;
    static const char *const lcore_opts[] = {"-l", "-c", "--lcores", NULL};
    static const char *const mem_opts[] = {"-m", "--socket-mem", NULL};
    static const char *const prefix_opts[] = {"--file-prefix", "--in-memory", NULL};
    if (!eal_has(user_argc, user_argv, lcore_opts)) {
        int n = snprintf(lcores, sizeof lcores, "0@%u", o.main_cpu);
        for (unsigned i = 0; i < o.n_pmd_cpus; i++)
            n += snprintf(lcores + n, sizeof lcores - (size_t)n, ",%u@%u", i + 1, o.pmd_cpus[i]);
        eal_argv[eal_argc++] = "--lcores";
        eal_argv[eal_argc++] = lcores;
    }
    if (!eal_has(user_argc, user_argv, mem_opts)) {
        eal_argv[eal_argc++] = "-m";
        eal_argv[eal_argc++] = mem;
    }
    if (!eal_has(user_argc, user_argv, prefix_opts)) {
        /* No hugepage files to leave behind, whatever way the daemon ends. */
        eal_argv[eal_argc++] = "--in-memory";
    }
    if (eal_argc + user_argc >= MAX_EAL_ARGS) {
        fprintf(stderr, "sluiced: too many EAL arguments\n");
        return 2;
    }
    for (int i = 0; i < user_argc; i++)
        eal_argv[eal_argc++] = user_argv[i];
    eal_argv[eal_argc] = NULL;

    int rc = mkdir_p(o.run_dir);
    if (rc) {
        fprintf(stderr, "sluiced: run directory %s: %s\n", o.run_dir, strerror(-rc));
        return 1;
    }
    /* A db in a directory that does not exist could never be saved: say so now, not at the
     * first change. */
    if (o.db && check_db_dir(o.db))
        return 1;

    sluice_log_init();
    if (rte_eal_init(eal_argc, eal_argv) < 0) {
        fprintf(stderr, "sluiced: DPDK EAL initialisation failed: %s\n", rte_strerror(rte_errno));
        return 1;
    }
    sluice_log_init();
    if (o.log_level > 0)
        rte_log_set_level(sluice_logtype, (uint32_t)o.log_level);

    struct dp_config cfg = {.idle_sleep_max_us = o.idle_sleep_us, .n_mbufs = o.n_mbufs};
    unsigned lcore;
    RTE_LCORE_FOREACH_WORKER(lcore)
    {
        if (cfg.n_pmds < DP_MAX_PMDS)
            cfg.pmd_lcores[cfg.n_pmds++] = lcore;
    }
    if (!cfg.n_pmds) {
        fprintf(stderr, "sluiced: no worker lcore for a PMD thread (EAL lcores: give at least "
                        "two, e.g. --lcores 0@0,1@1)\n");
        rte_eal_cleanup();
        return 1;
    }

    char err[512];
    int status = 1;
    struct jsonrpc_server *srv = NULL;
    char sock[512], pidfile[512];
    bool wrote_pidfile = false;
    struct config_store *db = NULL;
    snprintf(sock, sizeof sock, "%s/sluiced.ctl", o.run_dir);
    snprintf(pidfile, sizeof pidfile, "%s/sluiced.pid", o.run_dir);

    if (dp_init(&cfg, err, sizeof err) || dp_start(err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        goto out;
    }

    if (o.db && !(db = config_store_create(o.db))) {
        fprintf(stderr, "sluiced: --db %s: out of memory\n", o.db);
        goto out;
    }
    struct mgmt_context ctx = {.run_dir = o.run_dir, .db = db};
    srv = jsonrpc_server_create(sock, mgmt_methods, &ctx, err, sizeof err);
    if (!srv) {
        fprintf(stderr, "sluiced: %s\n", err);
        goto out;
    }
    if (ofconn_init(o.run_dir, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        goto out;
    }
    /* Only now, with the management socket ours, is the run directory ours too. */
    FILE *pf = fopen(pidfile, "w");
    wrote_pidfile = pf != NULL;
    if (pf) {
        fprintf(pf, "%d\n", (int)getpid());
        fclose(pf);
    }

    struct sigaction sa = {.sa_handler = on_signal};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    /* The db first: it is the saved state; --config may then add to it (lines for objects
     * the db restored are skipped, see mgmt_apply_config()). The socket serves nobody until
     * the loop below, so no request sees a half-restored switch. */
    if (db) {
        unsigned problems = mgmt_restore_db(&ctx);
        if (problems)
            fprintf(stderr,
                    "sluiced: db %s: %u item(s) could not be restored (see the log; "
                    "sluicectl show-config lists them); the daemon runs with the rest\n",
                    o.db, problems);
    }
    if (o.config && mgmt_apply_config(&ctx, o.config, err, sizeof err)) {
        fprintf(stderr, "sluiced: %s\n", err);
        goto out;
    }
    SLOG(INFO, "ready: %u PMD thread(s), management socket %s", cfg.n_pmds, sock);
    printf("sluiced: ready, management socket %s\n", sock);
    fflush(stdout);

    uint64_t next_tick = dp_now_ns();
    uint64_t spin_until = 0; /* busy-poll the sockets until then (after activity) */
    while (!exiting) {
        struct pollfd pfds[1024];
        /* Management clients with replies still queued are polled for POLLOUT too, so a large
         * reply keeps flowing without waiting for other events. */
        int n = jsonrpc_server_pollfds(srv, pfds, 1024);
        int n_rpc = n;
        n += ofconn_pollfds(pfds + n, 1024 - n);
        int k = poll_control(pfds, (nfds_t)n, ofconn_timeout_ms(dp_now_ns(), 100), spin_until);
        if (k < 0 && errno != EINTR) {
            fprintf(stderr, "sluiced: poll: %s\n", strerror(errno));
            break;
        }
        for (int i = 0; k > 0 && i < n_rpc; i++)
            if (pfds[i].revents)
                jsonrpc_server_run(srv, pfds[i].fd);
        if (k > 0)
            ofconn_run(pfds + n_rpc, n - n_rpc);
        /* LOCAL ports: what the host sent to a bridge's tap runs through the pipeline here,
         * not in a PMD (a read() per poll). dp_packet_in_fd(), in ofconn's poll set, woke us. */
        if (k > 0)
            dp_local_run();
        uint64_t now = dp_now_ns();
        if (k > 0)
            spin_until = now + (uint64_t)o.ctl_busy_poll_us * 1000u;
        ofconn_tick(now); /* OpenFlow timers, and flow expiry with FLOW_REMOVED */
        if (now >= next_tick) {
            dp_poll_links();
            next_tick = now + 1000000000ull;
        }
    }
    SLOG(INFO, "shutting down");
    status = 0;
out:
    ofconn_fini();
    if (srv)
        jsonrpc_server_destroy(srv);
    if (wrote_pidfile)
        unlink(pidfile); /* a daemon that never owned the run dir leaves its owner's file */
    dp_fini();
    config_store_destroy(db);
    rte_eal_cleanup();
    return status;
}
