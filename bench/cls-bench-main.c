/* cls-bench-main.c — flow-mod and lookup throughput of the classifier (datapath/classifier.h).
 *
 * What it measures (rules are created before the clock starts: these are classifier costs;
 * "rule_create" is printed separately so that a flow-mod's total can be estimated):
 *   1. Flow-mods, N rules over 5 masks, without readers:
 *      - insert one by one, each in its own version, published (an ADD + BARRIER: adds need
 *        no grace period, publication is what makes them visible);
 *      - the same plus cls_reclaim() after each (a grace period per flow-mod, what a DELETE
 *        + BARRIER costs);
 *      - insert in batches of --batch per version, one publish + reclaim per batch;
 *      - replace (MODIFY) and delete, one by one and batched.
 *   2. Lookups per second in a table of N rules over 1, 5 and 20 masks (nested IPv4
 *      destination prefixes, so one key hits in every subtable), for three priority layouts:
 *      longest prefix highest (the first hit ends the search), random priorities, and all
 *      equal (every subtable is visited, the tie goes to the oldest rule). 10% of the keys
 *      miss everything.
 *   3. With --readers 1 (the default), the same flow-mods while a reader thread looks keys up
 *      in bursts of 32 with an RCU quiescent state between bursts, as a PMD does: grace
 *      periods are real, and the reader's lookup rate under churn is printed. This part
 *      starts a minimal EAL (no hugepages, no shared config) for the RCU variable.
 *
 * Usage: cls-bench [--rules N] [--batch N] [--readers 0|1] [--lookups N] [--seed N]
 * The machine's other load shows in the numbers: run it on an idle machine to compare.
 */
#define _GNU_SOURCE /* sched_{get,set}affinity */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "datapath/classifier.h"
#include "datapath/rcu.h"
#include "datapath/rule-table.h"

enum bench_exit { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

struct opts {
    uint32_t n_rules;
    uint32_t batch;
    unsigned readers;
    uint64_t n_lookups;
    uint64_t seed;
};

/* Without readers, time is this thread's CPU time: the machine may be shared, and being
 * descheduled is not the classifier's cost. With a reader, waiting for it is the point, so
 * the concurrent part switches to wall-clock time. */
static clockid_t g_clock = CLOCK_THREAD_CPUTIME_ID;

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(g_clock, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static void die(const char *what, int err)
{
    fprintf(stderr, "cls-bench: %s: %s\n", what, strerror(err < 0 ? -err : err));
    exit(EXIT_FAIL);
}

/* ---- Rule sets --------------------------------------------------------------------------- */

enum prio_layout { PRIO_LPM, PRIO_RANDOM, PRIO_EQUAL };
static const char *const PRIO_NAMES[] = {"longest-prefix-first", "random", "all-equal"};

/* Rule i of n over `n_masks` masks: subtable j = i % n_masks matches eth_type=IPv4 and
 * nw_dst/(32 - j); its k-th rule (k = i / n_masks) has prefix 10.0.0.0 + (k << j), so the
 * prefixes of different lengths nest and a key hits one rule in every subtable. */
static void bench_match(uint32_t i, uint32_t n_masks, struct flow_match *m, uint32_t *plen)
{
    uint32_t j = i % n_masks, k = i / n_masks;
    memset(m, 0, sizeof *m);
    m->mask.eth_type = 0xffff;
    m->value.eth_type = htons(0x0800);
    m->mask.nw_dst = htonl(j ? ~((1u << j) - 1) : UINT32_MAX);
    m->value.nw_dst = htonl(0x0a000000u + (k << j));
    *plen = 32 - j;
}

static struct rule **make_rules(uint32_t n, uint32_t n_masks, enum prio_layout layout,
                                uint64_t *seed, double *create_ns_per_rule)
{
    struct rule **rules = malloc(n * sizeof *rules);
    if (!rules)
        die("rule array", ENOMEM);
    struct dp_action out = {.type = DP_ACT_OUTPUT, .port = 1};
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i++) {
        struct flow_match m;
        uint32_t plen;
        bench_match(i, n_masks, &m, &plen);
        uint16_t prio = layout == PRIO_LPM      ? (uint16_t)(1000 + plen)
                        : layout == PRIO_RANDOM ? (uint16_t)splitmix(seed)
                                                : 32768;
        rules[i] = rule_create(&m, prio, &out, 1);
        if (!rules[i])
            die("rule_create", ENOMEM);
        rules[i]->cookie = i;
    }
    if (create_ns_per_rule)
        *create_ns_per_rule = (double)(now_ns() - t0) / n;
    return rules;
}

/* Keys: IPv4 with a destination inside a random rule's /32-subtable range (low bits random
 * within the widest prefix), random noise elsewhere; 10% outside 10/8. */
static struct flow_key *make_keys(uint32_t n_keys, uint32_t n_rules, uint32_t n_masks,
                                  uint64_t *seed)
{
    struct flow_key *keys = malloc(n_keys * sizeof *keys);
    if (!keys)
        die("key array", ENOMEM);
    uint32_t per_mask = n_rules / n_masks;
    for (uint32_t i = 0; i < n_keys; i++) {
        struct flow_key *k = &keys[i];
        uint8_t *b = (uint8_t *)k;
        for (size_t w = 0; w < sizeof *k; w += 8) {
            uint64_t r = splitmix(seed);
            memcpy(b + w, &r, 8);
        }
        k->eth_type = htons(0x0800);
        uint32_t host = (uint32_t)(splitmix(seed) % per_mask);
        /* Misses go to 224/4: with the default 100k rules even the widest prefixes (/13,
         * 5000 of them, with 20 masks) end below 167.0.0.0. Far bigger tables wrap around
         * and cover it too; the printed hit rate shows when that happens. */
        k->nw_dst = htonl((splitmix(seed) % 10 == 0 ? 0xe0000000u : 0x0a000000u) + host);
    }
    return keys;
}

/* ---- Flow-mod timings ---------------------------------------------------------------------- */

struct fm_result {
    double insert_1;     /* one per version, publish */
    double insert_1_gp;  /* one per version, publish + reclaim */
    double insert_batch; /* batch per version, publish + reclaim */
    double replace_1_gp;
    double replace_batch;
    double delete_1_gp;
    double delete_batch;
};

static void check(int ret, const char *what)
{
    if (ret < 0)
        die(what, ret);
}

static double rate(uint32_t n, uint64_t t0)
{
    return n / ((double)(now_ns() - t0) / 1e9);
}

/* Inserts all rules into a fresh classifier with `per_version` rules per version, reclaiming
 * after each version when `gp`. Returns flow-mods per second; the classifier stays. */
static double run_inserts(struct classifier *cls, struct rule **rules, uint32_t n,
                          uint32_t per_version, bool gp)
{
    uint64_t v = cls_version(cls);
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i += per_version) {
        v++;
        uint32_t end = i + per_version < n ? i + per_version : n;
        for (uint32_t j = i; j < end; j++)
            check(cls_insert(cls, rules[j], v), "cls_insert");
        check(cls_publish(cls, v), "cls_publish");
        if (gp)
            check(cls_reclaim(cls), "cls_reclaim");
    }
    return rate(n, t0);
}

/* Replaces every rule by a copy (MODIFY semantics); rules[] is updated. */
static double run_replaces(struct classifier *cls, struct rule **rules, uint32_t n,
                           uint32_t per_version)
{
    /* Copies are made up front, like the originals. */
    struct rule **fresh = malloc(n * sizeof *fresh);
    if (!fresh)
        die("rule array", ENOMEM);
    for (uint32_t i = 0; i < n; i++) {
        fresh[i] = rule_create(&rules[i]->match, rules[i]->priority, rules[i]->actions,
                               rules[i]->n_actions);
        if (!fresh[i])
            die("rule_create", ENOMEM);
        fresh[i]->cookie = rules[i]->cookie;
    }
    uint64_t v = cls_version(cls);
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i += per_version) {
        v++;
        uint32_t end = i + per_version < n ? i + per_version : n;
        for (uint32_t j = i; j < end; j++)
            check(cls_replace(cls, rules[j], fresh[j], v), "cls_replace");
        check(cls_publish(cls, v), "cls_publish");
        check(cls_reclaim(cls), "cls_reclaim");
    }
    double r = rate(n, t0);
    memcpy(rules, fresh, n * sizeof *rules);
    free(fresh);
    return r;
}

static double run_deletes(struct classifier *cls, struct rule **rules, uint32_t n,
                          uint32_t per_version)
{
    uint64_t v = cls_version(cls);
    uint64_t t0 = now_ns();
    for (uint32_t i = 0; i < n; i += per_version) {
        v++;
        uint32_t end = i + per_version < n ? i + per_version : n;
        for (uint32_t j = i; j < end; j++)
            check(cls_remove(cls, rules[j], v), "cls_remove");
        check(cls_publish(cls, v), "cls_publish");
        check(cls_reclaim(cls), "cls_reclaim");
    }
    check(cls_reclaim(cls), "cls_reclaim"); /* the last batch's rules are freed here */
    return rate(n, t0);
}

/* All flow-mod phases on `cls` (empty on entry, holding the last phase's rules on exit). */
static void run_flow_mods(const struct opts *o, struct classifier *cls, struct fm_result *res,
                          uint64_t *seed)
{
    uint32_t n = o->n_rules;
    struct rule **rules = make_rules(n, 5, PRIO_RANDOM, seed, NULL);
    res->insert_1 = run_inserts(cls, rules, n, 1, false);
    res->replace_1_gp = run_replaces(cls, rules, n, 1);
    res->delete_1_gp = run_deletes(cls, rules, n, 1);
    free(rules);

    rules = make_rules(n, 5, PRIO_RANDOM, seed, NULL);
    res->insert_1_gp = run_inserts(cls, rules, n, 1, true);
    res->delete_batch = run_deletes(cls, rules, n, o->batch);
    free(rules);

    rules = make_rules(n, 5, PRIO_RANDOM, seed, NULL);
    res->insert_batch = run_inserts(cls, rules, n, o->batch, true);
    res->replace_batch = run_replaces(cls, rules, n, o->batch);
    free(rules);
    if (cls_count(cls) != n)
        die("rule count after the flow-mods", EPROTO);
}

static void print_flow_mods(const char *title, const struct fm_result *r, uint32_t batch)
{
    printf("\n%s\n", title);
    printf("  %-48s %12.0f /s\n", "insert, 1 per version, publish", r->insert_1);
    printf("  %-48s %12.0f /s\n", "insert, 1 per version, publish + reclaim", r->insert_1_gp);
    char label[96];
    snprintf(label, sizeof label, "insert, %u per version, publish + reclaim", batch);
    printf("  %-48s %12.0f /s\n", label, r->insert_batch);
    printf("  %-48s %12.0f /s\n", "replace, 1 per version, publish + reclaim", r->replace_1_gp);
    snprintf(label, sizeof label, "replace, %u per version, publish + reclaim", batch);
    printf("  %-48s %12.0f /s\n", label, r->replace_batch);
    printf("  %-48s %12.0f /s\n", "delete, 1 per version, publish + reclaim", r->delete_1_gp);
    snprintf(label, sizeof label, "delete, %u per version, publish + reclaim", batch);
    printf("  %-48s %12.0f /s\n", label, r->delete_batch);
}

/* ---- Lookups --------------------------------------------------------------------------------- */

static void run_lookups(const struct opts *o, uint64_t *seed)
{
    enum { N_KEYS = 1 << 16 };
    static const uint32_t MASKS[] = {1, 5, 20};
    printf("\nlookups, %u rules, single thread (ns per lookup, million lookups/s, hit %%)\n",
           o->n_rules);
    printf("  %-8s", "masks");
    for (int l = 0; l < 3; l++)
        printf(" %30s", PRIO_NAMES[l]);
    printf("\n");
    for (size_t mi = 0; mi < sizeof MASKS / sizeof MASKS[0]; mi++) {
        uint32_t n_masks = MASKS[mi];
        struct flow_key *keys = make_keys(N_KEYS, o->n_rules, n_masks, seed);
        printf("  %-8u", n_masks);
        for (int l = 0; l < 3; l++) {
            struct rule **rules = make_rules(o->n_rules, n_masks, l, seed, NULL);
            struct classifier *cls = cls_create(NULL, NULL);
            if (!cls)
                die("cls_create", ENOMEM);
            run_inserts(cls, rules, o->n_rules, o->n_rules, false);
            uint64_t v = cls_version(cls), hits = 0, sum = 0;
            double ns = 1e18;
            for (int rep = 0; rep < 3; rep++) { /* best of 3: other load only adds */
                hits = 0;
                uint64_t t0 = now_ns();
                for (uint64_t i = 0; i < o->n_lookups; i++) {
                    const struct rule *r = cls_lookup(cls, &keys[i % N_KEYS], v, NULL);
                    if (r) {
                        hits++;
                        sum += r->cookie;
                    }
                }
                double t = (double)(now_ns() - t0) / o->n_lookups;
                ns = t < ns ? t : ns;
            }
            char cell[64];
            snprintf(cell, sizeof cell, "%.0f ns %.2f M/s %.0f%%", ns, 1e3 / ns,
                     100.0 * hits / o->n_lookups);
            printf(" %30s", cell);
            fflush(stdout);
            if (sum == UINT64_MAX) /* keeps the loop's results alive */
                printf("!");
            cls_destroy(cls);
            free(rules);
        }
        printf("\n");
        free(keys);
    }
}

/* ---- Concurrent reader ----------------------------------------------------------------------- */

struct reader {
    struct classifier *cls;
    const struct flow_key *keys;
    uint32_t n_keys;
    bool stop;          /* __atomic */
    uint64_t n_lookups; /* __atomic, relaxed: read by the writer for rates */
};

static void *reader_main(void *arg)
{
    struct reader *rd = arg;
    uint32_t next = 0;
    dp_rcu_register(0);
    while (!__atomic_load_n(&rd->stop, __ATOMIC_ACQUIRE)) {
        dp_rcu_quiescent(0);
        struct classifier *cls = rd->cls;
        uint64_t v = cls_version(cls);
        uint64_t sum = 0;
        for (int i = 0; i < 32; i++) {
            const struct rule *r = cls_lookup(cls, &rd->keys[next], v, NULL);
            sum += r ? r->cookie : 0;
            next = next + 1 == rd->n_keys ? 0 : next + 1;
        }
        if (sum == UINT64_MAX)
            printf("!");
        __atomic_fetch_add(&rd->n_lookups, 32, __ATOMIC_RELAXED);
    }
    dp_rcu_unregister(0);
    return NULL;
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static char g_runtime_dir[PATH_MAX];

static void eal_start(void)
{
    /* EAL pins the caller to its main lcore; give the writer its CPUs back. */
    cpu_set_t cpus;
    if (sched_getaffinity(0, sizeof cpus, &cpus) != 0)
        die("sched_getaffinity", errno);
    char prefix[64];
    snprintf(prefix, sizeof prefix, "--file-prefix=cls-bench-%d", (int)getpid());
    char *argv[] = {"cls-bench", "--no-huge", "--no-shconf",       "--no-pci", "--no-telemetry",
                    "-l",        "0",         "--log-level=error", prefix,     NULL};
    if (rte_eal_init(9, argv) < 0) {
        fprintf(stderr, "cls-bench: EAL init (no hugepages): %s\n", rte_strerror(rte_errno));
        exit(EXIT_FAIL);
    }
    snprintf(g_runtime_dir, sizeof g_runtime_dir, "%s", rte_eal_get_runtime_dir());
    if (sched_setaffinity(0, sizeof cpus, &cpus) != 0)
        die("sched_setaffinity", errno);
    check(dp_rcu_init(1), "dp_rcu_init");
}

static void eal_stop(void)
{
    dp_rcu_fini();
    rte_eal_cleanup();
    if (rmdir(g_runtime_dir) != 0)
        fprintf(stderr, "cls-bench: EAL runtime directory %s: %s\n", g_runtime_dir,
                strerror(errno));
}

static void run_concurrent(const struct opts *o, uint64_t *seed)
{
    eal_start();
    g_clock = CLOCK_MONOTONIC;
    enum { N_KEYS = 1 << 14 };
    struct flow_key *keys = make_keys(N_KEYS, o->n_rules, 5, seed);
    struct classifier *cls = cls_create(NULL, NULL);
    if (!cls)
        die("cls_create", ENOMEM);
    struct reader rd = {.cls = cls, .keys = keys, .n_keys = N_KEYS};
    pthread_t t;
    if (pthread_create(&t, NULL, reader_main, &rd) != 0)
        die("pthread_create", errno);

    while (__atomic_load_n(&rd.n_lookups, __ATOMIC_RELAXED) < 1000) /* reader registered */
        sched_yield();
    /* What one grace period costs against this reader: the floor of a DELETE + BARRIER. */
    enum { N_GP = 2000 };
    uint64_t *gp = malloc(N_GP * sizeof *gp);
    if (!gp)
        die("grace period samples", ENOMEM);
    for (int i = 0; i < N_GP; i++) {
        uint64_t g0 = now_ns();
        dp_rcu_synchronize();
        gp[i] = now_ns() - g0;
    }
    qsort(gp, N_GP, sizeof *gp, cmp_u64);
    double gp_p50 = gp[N_GP / 2] / 1e3, gp_p99 = gp[N_GP * 99 / 100] / 1e3;
    free(gp);

    struct fm_result res;
    uint64_t l0 = __atomic_load_n(&rd.n_lookups, __ATOMIC_RELAXED), t0 = now_ns();
    run_flow_mods(o, cls, &res, seed);
    uint64_t lookups = __atomic_load_n(&rd.n_lookups, __ATOMIC_RELAXED) - l0;
    double secs = (double)(now_ns() - t0) / 1e9;
    __atomic_store_n(&rd.stop, true, __ATOMIC_RELEASE);
    pthread_join(t, NULL);
    cls_destroy(cls);
    free(keys);

    char title[160];
    snprintf(title, sizeof title,
             "flow-mods, %u rules over 5 masks, 1 reader thread looking up meanwhile", o->n_rules);
    print_flow_mods(title, &res, o->batch);
    printf("  %-48s %12.2f M/s (%.1f s)\n", "reader lookups during the above", lookups / secs / 1e6,
           secs);
    printf("  %-48s %8.1f us p50, %.1f us p99\n", "grace period (reader bursts of 32 lookups)",
           gp_p50, gp_p99);
    eal_stop();
}

/* ---- Main ------------------------------------------------------------------------------------ */

static void usage(FILE *f)
{
    fprintf(f, "usage: cls-bench [--rules N] [--batch N] [--readers 0|1] [--lookups N] "
               "[--seed N]\n");
}

static bool parse_u64(const char *s, uint64_t min, uint64_t max, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || end == s || *end || v < min || v > max || s[0] == '-')
        return false;
    *out = v;
    return true;
}

int main(int argc, char **argv)
{
    struct opts o = {
        .n_rules = 100000, .batch = 1000, .readers = 1, .n_lookups = 4000000, .seed = 1};
    static const struct option LONG[] = {{"rules", required_argument, NULL, 'r'},
                                         {"batch", required_argument, NULL, 'b'},
                                         {"readers", required_argument, NULL, 'R'},
                                         {"lookups", required_argument, NULL, 'l'},
                                         {"seed", required_argument, NULL, 's'},
                                         {"help", no_argument, NULL, 'h'},
                                         {NULL, 0, NULL, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "h", LONG, NULL)) != -1) {
        uint64_t v;
        switch (c) {
        case 'r':
            if (!parse_u64(optarg, 20, 10000000, &v)) {
                fprintf(stderr, "cls-bench: --rules %s: expected 20..10000000\n", optarg);
                return EXIT_USAGE;
            }
            o.n_rules = (uint32_t)v;
            break;
        case 'b':
            if (!parse_u64(optarg, 1, 10000000, &v)) {
                fprintf(stderr, "cls-bench: --batch %s: expected 1..10000000\n", optarg);
                return EXIT_USAGE;
            }
            o.batch = (uint32_t)v;
            break;
        case 'R':
            if (!parse_u64(optarg, 0, 1, &v)) {
                fprintf(stderr, "cls-bench: --readers %s: expected 0 or 1\n", optarg);
                return EXIT_USAGE;
            }
            o.readers = (unsigned)v;
            break;
        case 'l':
            if (!parse_u64(optarg, 1000, UINT64_MAX / 2, &v)) {
                fprintf(stderr, "cls-bench: --lookups %s: expected at least 1000\n", optarg);
                return EXIT_USAGE;
            }
            o.n_lookups = v;
            break;
        case 's':
            if (!parse_u64(optarg, 0, UINT64_MAX, &o.seed)) {
                fprintf(stderr, "cls-bench: --seed %s: expected a number\n", optarg);
                return EXIT_USAGE;
            }
            break;
        case 'h':
            usage(stdout);
            return EXIT_OK;
        default:
            usage(stderr);
            return EXIT_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "cls-bench: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        return EXIT_USAGE;
    }

    uint64_t seed = o.seed;
    double create_ns;
    struct rule **tmp = make_rules(o.n_rules, 5, PRIO_RANDOM, &seed, &create_ns);
    for (uint32_t i = 0; i < o.n_rules; i++)
        rule_free(tmp[i]);
    free(tmp);
    printf("cls-bench: %u rules, batches of %u, seed %llu\n", o.n_rules, o.batch,
           (unsigned long long)o.seed);
    printf("  %-48s %12.0f ns (not included below)\n", "rule_create per rule", create_ns);
    printf("  (times without readers are this thread's CPU time; with a reader, wall-clock)\n");

    struct fm_result res;
    struct classifier *cls = cls_create(NULL, NULL);
    if (!cls)
        die("cls_create", ENOMEM);
    run_flow_mods(&o, cls, &res, &seed);
    cls_destroy(cls);
    char title[128];
    snprintf(title, sizeof title, "flow-mods, %u rules over 5 masks, no readers", o.n_rules);
    print_flow_mods(title, &res, o.batch);
    fflush(stdout);

    run_lookups(&o, &seed);
    fflush(stdout);

    if (o.readers)
        run_concurrent(&o, &seed);
    return EXIT_OK;
}
