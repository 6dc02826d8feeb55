/* test-classifier.c — the classifier against the reference rule table, plus edge cases and a
 * concurrent reader.
 *
 * The differential tests drive a classifier and a rule_table with the same flow-mods (adds,
 * ADD-over-existing replacements, strict and loose deletes) over many versions, then demand
 * for thousands of random keys that both pick the same rule (same id, kept in the cookie).
 * Rules are drawn from a few mask templates over small value domains, so keys hit often,
 * several subtables hit at once, and equal priorities tie. Each answer's wildcards are
 * checked as a megaflow: any key that agrees on the un-wildcarded bits must get the same
 * rule from the reference. Lookups at older, unreclaimed versions must still return what
 * the reference returned at that version.
 *
 * The concurrent test starts a minimal EAL (no hugepages, in memory) only to get the RCU
 * machinery of datapath/rcu.h, then runs a reader thread looking keys up while the writer
 * changes rules and reclaims: every answer is checked against the reference's answer for
 * the version the reader loaded. Build with -DSLUICE_SANITIZE=ON to catch early frees.
 *
 * Seed: CLS_TEST_SEED in the environment (printed on every run).
 */
#define _GNU_SOURCE /* sched_{get,set}affinity */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <errno.h>
#include <pthread.h>
#include <limits.h>
#include <sched.h>
#include <unistd.h>

#include <endian.h>
#include <rte_eal.h>
#include <rte_errno.h>

#include "datapath/classifier.h"
#include "datapath/flow-field.h"
#include "datapath/rcu.h"
#include "datapath/rule-table.h"

/* ---- Randomness and rule/key generation ------------------------------------------------ */

static uint64_t g_seed;

struct rng {
    uint64_t s;
};

static uint64_t rng_next(struct rng *g)
{
    /* splitmix64: good enough, and reproducible from one number. */
    uint64_t z = (g->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

static uint32_t rng_below(struct rng *g, uint32_t n)
{
    return (uint32_t)(rng_next(g) % n);
}

static bool rng_chance(struct rng *g, unsigned percent)
{
    return rng_below(g, 100) < percent;
}

static void rng_fill(struct rng *g, void *p, size_t n)
{
    uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (uint8_t)rng_next(g);
}

static const uint16_t ETH_TYPES[] = {0x0800, 0x86dd, 0x0806};
static const uint8_t MACS[4][6] = {{0x02, 0, 0, 0, 0, 1},
                                   {0x02, 0, 0, 0, 0, 2},
                                   {0x02, 0, 0, 0, 0, 3},
                                   {0xff, 0xff, 0xff, 0xff, 0xff, 0xff}};
static const uint16_t TP_PORTS[] = {80, 443, 53};

#define N_TEMPLATES 11

/* Values for each field come from small domains, so random keys hit. */
static uint32_t pick_in_port(struct rng *g)
{
    return 1 + rng_below(g, 4);
}

static uint32_t pick_nw_dst(struct rng *g)
{
    return htonl(0x0a000000u | rng_below(g, 4) << 8 | rng_below(g, 8));
}

static uint32_t pick_nw_src(struct rng *g)
{
    return htonl(0xac100000u | rng_below(g, 2) << 16 | rng_below(g, 3) << 8 | rng_below(g, 256));
}

static uint8_t pick_nw_proto(struct rng *g)
{
    return rng_chance(g, 50) ? 6 : 17;
}

static uint16_t pick_tp(struct rng *g)
{
    return htons(TP_PORTS[rng_below(g, 3)]);
}

static void pick_ipv6_prefix(struct rng *g, uint8_t *a)
{
    static const uint8_t P[2][8] = {{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 1},
                                    {0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 2}};
    memcpy(a, P[rng_below(g, 2)], 8);
}

/* A match of template `tmpl` (each template is one mask, so one subtable). */
static void template_match(struct rng *g, int tmpl, struct flow_match *m)
{
    memset(m, 0, sizeof *m);
    struct flow_key *v = &m->value, *k = &m->mask;
    switch (tmpl) {
    case 0: /* everything wildcarded */
        break;
    case 1:
        k->in_port = UINT32_MAX;
        v->in_port = pick_in_port(g);
        break;
    case 2:
        k->in_port = UINT32_MAX;
        v->in_port = pick_in_port(g);
        k->eth_type = 0xffff;
        v->eth_type = htons(ETH_TYPES[rng_below(g, 3)]);
        break;
    case 3:
        k->eth_type = 0xffff;
        v->eth_type = htons(0x0800);
        k->nw_dst = htonl(0xffffff00u);
        v->nw_dst = pick_nw_dst(g);
        break;
    case 4:
        k->eth_type = 0xffff;
        v->eth_type = htons(0x0800);
        k->nw_dst = UINT32_MAX;
        v->nw_dst = pick_nw_dst(g);
        break;
    case 5:
        k->eth_type = 0xffff;
        v->eth_type = htons(0x0800);
        k->nw_src = htonl(0xffff0000u);
        v->nw_src = pick_nw_src(g);
        k->nw_proto = 0xff;
        v->nw_proto = pick_nw_proto(g);
        break;
    case 6:
        k->eth_type = 0xffff;
        v->eth_type = htons(0x0800);
        k->nw_proto = 0xff;
        v->nw_proto = pick_nw_proto(g);
        k->tp_dst = 0xffff;
        v->tp_dst = pick_tp(g);
        break;
    case 7:
        memset(k->eth_dst, 0xff, 6);
        memcpy(v->eth_dst, MACS[rng_below(g, 4)], 6);
        break;
    case 8:
        k->in_port = UINT32_MAX;
        v->in_port = pick_in_port(g);
        k->vlan_tci = htons(0x1fff);
        v->vlan_tci = htons(0x1000 | (1 + rng_below(g, 3)));
        break;
    case 9:
        k->eth_type = 0xffff;
        v->eth_type = htons(0x86dd);
        memset(k->ipv6_dst, 0xff, 8);
        pick_ipv6_prefix(g, v->ipv6_dst);
        break;
    case 10:
        k->metadata = htobe64(0xff);
        v->metadata = htobe64(rng_below(g, 4));
        k->tun_id = UINT64_MAX;
        v->tun_id = htobe64(rng_below(g, 3));
        break;
    }
    flow_match_normalize(m);
}

/* A key with random noise everywhere and, mostly, domain values in the matched fields. */
static void random_key(struct rng *g, struct flow_key *key)
{
    rng_fill(g, key, sizeof *key);
    if (rng_chance(g, 90))
        key->in_port = pick_in_port(g);
    if (rng_chance(g, 90))
        key->eth_type = htons(ETH_TYPES[rng_below(g, 3)]);
    if (rng_chance(g, 90))
        key->nw_dst = pick_nw_dst(g);
    if (rng_chance(g, 90))
        key->nw_src = pick_nw_src(g);
    if (rng_chance(g, 90))
        key->nw_proto = pick_nw_proto(g);
    if (rng_chance(g, 90))
        key->tp_dst = pick_tp(g);
    if (rng_chance(g, 90))
        memcpy(key->eth_dst, MACS[rng_below(g, 4)], 6);
    if (rng_chance(g, 90))
        key->vlan_tci = htons((uint16_t)(0x1000 | (1 + rng_below(g, 3)) | rng_below(g, 8) << 13));
    if (rng_chance(g, 90))
        pick_ipv6_prefix(g, key->ipv6_dst);
    if (rng_chance(g, 90))
        key->metadata = htobe64(rng_below(g, 4) | (rng_next(g) << 8));
    if (rng_chance(g, 90))
        key->tun_id = htobe64(rng_below(g, 3));
}

static uint16_t random_priority(struct rng *g)
{
    static const uint16_t P[] = {0, 1, 7, 7, 100, 100, 100, 1000, 32768, 32768, 65535};
    return rng_chance(g, 80) ? P[rng_below(g, sizeof P / sizeof P[0])] : (uint16_t)rng_next(g);
}

/* ---- Rules ------------------------------------------------------------------------------ */

static size_t g_rules_created;
static size_t g_rules_freed;

static void count_free(struct rule *r, void *aux)
{
    (void)aux;
    g_rules_freed++;
    rule_free(r);
}

static struct rule *make_rule(const struct flow_match *m, uint16_t priority, uint64_t id)
{
    struct dp_action out = {.type = DP_ACT_OUTPUT, .port = (uint32_t)(1 + id % 4)};
    struct rule *r = rule_create(m, priority, &out, 1);
    assert_non_null(r);
    r->cookie = id;
    g_rules_created++;
    return r;
}

/* Each test starts with balanced counters, so one test's leak cannot fail the next. */
static int reset_counters(void **state)
{
    (void)state;
    g_rules_created = g_rules_freed = 0;
    return 0;
}

static struct classifier *new_cls(void)
{
    struct classifier *cls = cls_create(count_free, NULL);
    assert_non_null(cls);
    return cls;
}

static size_t n_subtables(const struct classifier *cls)
{
    return cls_subtables(cls, NULL, 0);
}

static struct flow_key key_zero(void)
{
    struct flow_key k;
    memset(&k, 0, sizeof k);
    return k;
}

static bool key_is_zero(const struct flow_key *k)
{
    struct flow_key z = key_zero();
    return !memcmp(k, &z, sizeof z);
}

static uint64_t id_of(const struct rule *r)
{
    return r ? r->cookie : 0;
}

/* ---- Edge cases ------------------------------------------------------------------------- */

static void test_empty(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed};
    struct flow_key k, wc = key_zero();
    random_key(&g, &k);
    assert_int_equal(cls_version(cls), 0);
    assert_null(cls_lookup(cls, &k, 0, &wc));
    assert_true(key_is_zero(&wc));
    assert_int_equal(cls_count(cls), 0);
    assert_int_equal(n_subtables(cls), 0);

    struct cls_cursor c;
    cls_cursor_init(&c, cls, NULL, 0);
    assert_null(cls_cursor_next(&c));
    struct rule_filter f;
    rule_filter_init_all(&f);
    f.strict = true;
    cls_cursor_init(&c, cls, &f, 0);
    assert_null(cls_cursor_next(&c));

    assert_false(cls_reclaim_pending(cls));
    assert_int_equal(cls_reclaim(cls), 0);
    assert_int_equal(cls_publish(cls, 1), 0);
    assert_int_equal(cls_version(cls), 1);
    assert_null(cls_lookup(cls, &k, 1, NULL));
    cls_destroy(cls);
    cls_destroy(NULL);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed + 1};
    struct flow_match m;
    template_match(&g, 4, &m);
    struct rule *r = make_rule(&m, 10, 1);

    assert_int_equal(cls_insert(NULL, r, 1), -EINVAL);
    assert_int_equal(cls_insert(cls, NULL, 1), -EINVAL);
    assert_int_equal(cls_insert(cls, r, 0), -EINVAL); /* version 0 is published */
    assert_int_equal(cls_insert(cls, r, CLS_VERSION_NEVER), -EINVAL);
    assert_int_equal(cls_remove(cls, r, 1), -ENOENT); /* not inserted */
    assert_int_equal(cls_insert(cls, r, 1), 0);
    assert_int_equal(cls_insert(cls, r, 1), -EEXIST); /* twice */
    assert_int_equal(cls_publish(cls, 1), 0);
    assert_int_equal(cls_publish(cls, 1), -EINVAL);
    assert_int_equal(cls_publish(cls, 0), -EINVAL);
    assert_int_equal(cls_publish(NULL, 5), -EINVAL);
    assert_int_equal(cls_remove(cls, r, 1), -EINVAL); /* version 1 already published */
    assert_int_equal(cls_remove(cls, NULL, 2), -EINVAL);

    /* A rule of another classifier is not ours to remove, and cannot join us. */
    struct classifier *other = new_cls();
    struct rule *r2 = make_rule(&m, 10, 2);
    assert_int_equal(cls_insert(other, r2, 1), 0);
    assert_int_equal(cls_remove(cls, r2, 2), -ENOENT);
    assert_int_equal(cls_insert(cls, r2, 2), -EEXIST);

    /* Inserted at 5, cannot be removed at 3. */
    struct flow_match m3;
    template_match(&g, 7, &m3);
    struct rule *r3 = make_rule(&m3, 5, 3);
    assert_int_equal(cls_insert(cls, r3, 5), 0);
    assert_int_equal(cls_remove(cls, r3, 3), -EINVAL);
    assert_int_equal(cls_remove(cls, r3, 5), 0);
    assert_int_equal(cls_remove(cls, r3, 6), -ENOENT); /* already removed */

    /* Replace: same match and priority only; old must be here and alive. */
    struct rule *bad = make_rule(&m, 11, 4);
    assert_int_equal(cls_replace(cls, r, bad, 2), -EINVAL);
    assert_int_equal(cls_replace(cls, r2, bad, 2), -EINVAL); /* priority differs too */
    rule_free(bad);
    g_rules_created--;
    struct rule *twin = make_rule(&m, 10, 5);
    assert_int_equal(cls_replace(cls, r2, twin, 2), -ENOENT); /* r2 lives in `other` */
    assert_int_equal(cls_replace(cls, r, twin, 1), -EINVAL);  /* published version */
    assert_int_equal(cls_replace(cls, r3, twin, 6), -EINVAL); /* r3's match differs */
    assert_int_equal(cls_replace(cls, r, twin, 2), 0);
    assert_int_equal(cls_replace(cls, r, twin, 3), -EEXIST); /* twin is in already */
    struct rule *twin2 = make_rule(&m, 10, 6);
    assert_int_equal(cls_replace(cls, r, twin2, 3), -ENOENT); /* r removed at 2 */
    assert_int_equal(cls_insert(cls, twin2, 3), -EEXIST);     /* twin alive from 2 */
    assert_int_equal(cls_replace(cls, twin, twin2, 3), 0);

    assert_null(cls_find_exact(NULL, &m, 10, 1));
    assert_null(cls_find_exact(cls, NULL, 10, 1));

    cls_destroy(other);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

static void test_all_wildcard_rule(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed + 2};
    struct flow_match any;
    template_match(&g, 0, &any);
    struct rule *r = make_rule(&any, 0, 1);
    assert_int_equal(cls_insert(cls, r, 1), 0);
    assert_int_equal(cls_publish(cls, 1), 0);
    for (int i = 0; i < 100; i++) {
        struct flow_key k, wc = key_zero();
        random_key(&g, &k);
        assert_ptr_equal(cls_lookup(cls, &k, 1, &wc), r);
        assert_true(key_is_zero(&wc)); /* the answer depended on nothing */
        assert_null(cls_lookup(cls, &k, 0, NULL));
    }
    /* flags are not a match field: a mask that sets them is normalized away. */
    struct flow_match m = any;
    m.mask.flags = 0xffff;
    m.value.flags = 0x1;
    assert_ptr_equal(cls_find_exact(cls, &m, 0, 1), r);
    assert_int_equal(n_subtables(cls), 1);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* Same match and priority: not twice at once, but remove + insert in one version is a
 * replacement that readers see atomically. */
static void test_duplicate_match_priority(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed + 3};
    struct flow_match m;
    template_match(&g, 4, &m);
    struct flow_key k;
    random_key(&g, &k);
    k.eth_type = m.value.eth_type;
    k.nw_dst = m.value.nw_dst;

    struct rule *a = make_rule(&m, 50, 1);
    struct rule *b = make_rule(&m, 50, 2);
    assert_int_equal(cls_insert(cls, a, 1), 0);
    assert_int_equal(cls_insert(cls, b, 1), -EEXIST);
    assert_int_equal(cls_publish(cls, 1), 0);
    assert_int_equal(cls_insert(cls, b, 2), -EEXIST);
    assert_int_equal(cls_remove(cls, a, 2), 0);
    assert_int_equal(cls_insert(cls, b, 2), 0);
    assert_int_equal(cls_count(cls), 1);
    assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), a);
    assert_ptr_equal(cls_lookup(cls, &k, 2, NULL), b); /* the writer sees its batch */
    assert_ptr_equal(cls_find_exact(cls, &m, 50, 1), a);
    assert_ptr_equal(cls_find_exact(cls, &m, 50, 2), b);
    assert_int_equal(cls_publish(cls, 2), 0);
    assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), a); /* older version, not reclaimed */
    assert_ptr_equal(cls_lookup(cls, &k, 2, NULL), b);

    size_t freed = g_rules_freed;
    assert_true(cls_reclaim_pending(cls));
    assert_int_equal(cls_reclaim(cls), 0); /* unlinks a */
    assert_int_equal(g_rules_freed, freed);
    assert_true(cls_reclaim_pending(cls));
    assert_int_equal(cls_reclaim(cls), 0); /* frees a */
    assert_int_equal(g_rules_freed, freed + 1);
    assert_false(cls_reclaim_pending(cls));
    assert_ptr_equal(cls_lookup(cls, &k, 2, NULL), b);

    /* cls_replace: the replacement takes the old rule's rank among equal priorities. */
    struct flow_match m2;
    template_match(&g, 1, &m2);
    m2.value.in_port = k.in_port;
    struct rule *c = make_rule(&m2, 50, 3); /* also hits k, same priority, inserted later */
    assert_int_equal(cls_insert(cls, c, 3), 0);
    assert_int_equal(cls_publish(cls, 3), 0);
    assert_ptr_equal(cls_lookup(cls, &k, 3, NULL), b); /* b was first */
    struct rule *b2 = make_rule(&m, 50, 4);
    assert_int_equal(cls_replace(cls, b, b2, 4), 0);
    assert_int_equal(cls_publish(cls, 4), 0);
    assert_ptr_equal(cls_lookup(cls, &k, 4, NULL), b2); /* still ahead of c */
    assert_ptr_equal(cls_lookup(cls, &k, 3, NULL), b);
    assert_true(b2->seq < c->seq);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* One match at several priorities shares a chain; the best visible one answers. */
static void test_same_match_priorities(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed + 4};
    struct flow_match m;
    template_match(&g, 6, &m);
    struct flow_key k;
    random_key(&g, &k);
    k.eth_type = m.value.eth_type;
    k.nw_proto = m.value.nw_proto;
    k.tp_dst = m.value.tp_dst;

    static const uint16_t P[] = {5, 500, 50, 65535, 0};
    struct rule *r[5];
    for (int i = 0; i < 5; i++) {
        r[i] = make_rule(&m, P[i], (uint64_t)i + 1);
        assert_int_equal(cls_insert(cls, r[i], (uint64_t)i + 1), 0);
        assert_int_equal(cls_publish(cls, (uint64_t)i + 1), 0);
    }
    assert_int_equal(n_subtables(cls), 1);
    assert_ptr_equal(cls_lookup(cls, &k, 5, NULL), r[3]);
    assert_ptr_equal(cls_lookup(cls, &k, 3, NULL), r[1]);
    assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), r[0]);
    for (int i = 0; i < 5; i++)
        assert_ptr_equal(cls_find_exact(cls, &m, P[i], 5), r[i]);
    assert_null(cls_find_exact(cls, &m, 6, 5));

    /* Remove from the top; the subtable's bound follows. */
    static const int ORDER[] = {3, 1, 2, 0, 4};
    static const uint32_t NEXT_MAX[] = {500, 50, 5, 0};
    uint64_t v = 5;
    for (int i = 0; i < 4; i++) {
        v++;
        assert_int_equal(cls_remove(cls, r[ORDER[i]], v), 0);
        assert_int_equal(cls_publish(cls, v), 0);
        assert_int_equal(cls_reclaim(cls), 0);
        struct cls_subtable_info info;
        assert_int_equal(cls_subtables(cls, &info, 1), 1);
        assert_int_equal(info.max_priority, NEXT_MAX[i]);
        assert_int_equal(info.n_rules, 4 - i);
        assert_ptr_equal(cls_lookup(cls, &k, v, NULL), r[ORDER[i + 1]]);
    }
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* The last rule of a subtable leaves: the subtable goes with it, at reclaim. */
static void test_subtable_disappears(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct rng g = {g_seed + 5};
    struct flow_match m1, m2;
    template_match(&g, 1, &m1);
    template_match(&g, 7, &m2);
    struct rule *a = make_rule(&m1, 10, 1), *b = make_rule(&m2, 20, 2);
    assert_int_equal(cls_insert(cls, a, 1), 0);
    assert_int_equal(cls_insert(cls, b, 1), 0);
    assert_int_equal(cls_publish(cls, 1), 0);
    struct cls_subtable_info info[2];
    assert_int_equal(cls_subtables(cls, info, 2), 2);
    assert_int_equal(info[0].max_priority, 20); /* lookup order: highest first */
    assert_int_equal(info[1].max_priority, 10);

    struct flow_key k;
    random_key(&g, &k);
    memcpy(k.eth_dst, m2.value.eth_dst, 6);
    assert_int_equal(cls_remove(cls, b, 2), 0);
    assert_int_equal(cls_reclaim(cls), 0); /* version 2 not published: b must stay */
    assert_int_equal(n_subtables(cls), 2);
    assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), b);
    assert_false(cls_reclaim_pending(cls));
    assert_int_equal(cls_publish(cls, 2), 0);
    assert_true(cls_reclaim_pending(cls));
    assert_int_equal(n_subtables(cls), 2); /* readers at 1 may still need it */
    assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), b);
    assert_int_equal(cls_reclaim(cls), 0);
    assert_int_equal(cls_subtables(cls, info, 2), 1);
    assert_memory_equal(&info[0].mask, &m1.mask, sizeof m1.mask);
    struct cls_stats st;
    cls_get_stats(cls, &st);
    assert_int_equal(st.n_subtables, 1);
    assert_int_equal(st.n_rules, 1);
    assert_int_equal(st.n_removed, 0);
    assert_true(st.n_retired >= 2); /* b and its subtable (and an old vector) */
    assert_int_equal(cls_reclaim(cls), 0);
    cls_get_stats(cls, &st);
    assert_int_equal(st.n_retired, 0);

    /* Same for the last subtable; then the mask can come back. */
    assert_int_equal(cls_remove(cls, a, 3), 0);
    assert_int_equal(cls_publish(cls, 3), 0);
    assert_int_equal(cls_reclaim(cls), 0);
    assert_int_equal(n_subtables(cls), 0);
    assert_null(cls_lookup(cls, &k, 3, NULL));
    struct rule *b2 = make_rule(&m2, 20, 3);
    assert_int_equal(cls_insert(cls, b2, 4), 0);
    assert_int_equal(cls_publish(cls, 4), 0);
    assert_ptr_equal(cls_lookup(cls, &k, 4, NULL), b2);
    assert_int_equal(n_subtables(cls), 1);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* The mask union: what a cache keys on and what decides whether a packet must be parsed. */
static void test_union(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    const struct cls_union *u = cls_union(cls);
    assert_int_equal(u->n_words, 0);
    assert_false(u->packet_words);
    uint64_t gen0 = u->gen;

    struct flow_match mp, md;
    memset(&mp, 0, sizeof mp);
    flow_match_set_field(&mp, &flow_fields[FF_IN_PORT], 3, 0xffffffffu);
    memset(&md, 0, sizeof md);
    flow_match_set_field(&md, &flow_fields[FF_IN_PORT], 3, 0xffffffffu);
    flow_match_set_field(&md, &flow_fields[FF_ETH_TYPE], 0x0800, 0xffff);
    flow_match_set_field(&md, &flow_fields[FF_IPV4_DST], 0x0a000000, 0xff000000);
    struct rule *a = make_rule(&mp, 10, 1), *b = make_rule(&md, 20, 2);

    assert_int_equal(cls_insert(cls, a, 1), 0);
    assert_int_equal(cls_publish(cls, 1), 0);
    u = cls_union(cls);
    assert_int_not_equal(u->gen, gen0);
    assert_int_equal(u->n_words, 1); /* in_port only: decided without parsing */
    assert_int_equal(u->word_idx[0], offsetof(struct flow_key, in_port) / 8);
    assert_false(u->packet_words);
    uint64_t gen1 = u->gen;

    /* A new mask joins the union before its rule's version is published. */
    assert_int_equal(cls_insert(cls, b, 2), 0);
    u = cls_union(cls);
    assert_int_not_equal(u->gen, gen1);
    assert_true(u->packet_words);
    struct flow_key full = key_zero();
    for (uint32_t w = 0; w < u->n_words; w++)
        memcpy((uint8_t *)&full + u->word_idx[w] * 8, &u->mask_words[w], 8);
    assert_int_equal(full.in_port, 0xffffffffu);
    assert_int_equal(full.eth_type, 0xffff);
    assert_int_equal(full.nw_dst, __builtin_bswap32(0xff000000));
    assert_int_equal(full.nw_src, 0);
    assert_int_equal(cls_publish(cls, 2), 0);

    /* It leaves only once no reader can see the rule (reclaimed), not at removal. */
    assert_int_equal(cls_remove(cls, b, 3), 0);
    assert_int_equal(cls_publish(cls, 3), 0);
    assert_true(cls_union(cls)->packet_words);
    assert_int_equal(cls_reclaim(cls), 0);
    u = cls_union(cls);
    assert_false(u->packet_words);
    assert_int_equal(u->n_words, 1);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* Pruning: a hit in a high-priority subtable ends the search, and the wildcards name only
 * the subtables visited. */
static void test_pruning_and_wildcards(void **state)
{
    (void)state;
    struct classifier *cls = new_cls();
    struct flow_match hi, lo, mid;
    memset(&hi, 0, sizeof hi);
    hi.mask.in_port = UINT32_MAX;
    hi.value.in_port = 1;
    memset(&mid, 0, sizeof mid);
    mid.mask.tp_dst = 0xffff;
    mid.value.tp_dst = htons(80);
    memset(&lo, 0, sizeof lo);
    lo.mask.nw_dst = UINT32_MAX;
    lo.value.nw_dst = htonl(0x0a000001);
    struct rule *rh = make_rule(&hi, 300, 1), *rm = make_rule(&mid, 200, 2),
                *rl = make_rule(&lo, 100, 3);
    assert_int_equal(cls_insert(cls, rl, 1), 0);
    assert_int_equal(cls_insert(cls, rm, 1), 0);
    assert_int_equal(cls_insert(cls, rh, 1), 0);
    assert_int_equal(cls_publish(cls, 1), 0);

    struct flow_key k = key_zero();
    k.in_port = 1;
    k.tp_dst = htons(80);
    k.nw_dst = htonl(0x0a000001);
    struct flow_key wc = key_zero();
    assert_ptr_equal(cls_lookup(cls, &k, 1, &wc), rh);
    struct flow_key expect = key_zero();
    expect.in_port = UINT32_MAX;
    assert_memory_equal(&wc, &expect, sizeof wc);

    k.in_port = 2; /* misses hi: mid answers, lo is not consulted */
    wc = key_zero();
    assert_ptr_equal(cls_lookup(cls, &k, 1, &wc), rm);
    expect.tp_dst = 0xffff;
    assert_memory_equal(&wc, &expect, sizeof wc);

    k.tp_dst = htons(81);
    wc = key_zero();
    assert_ptr_equal(cls_lookup(cls, &k, 1, &wc), rl);
    expect.nw_dst = UINT32_MAX;
    assert_memory_equal(&wc, &expect, sizeof wc);

    /* Equal priority does not prune: the older rule must win the tie. */
    struct rule *rm2 = make_rule(&hi, 200, 4); /* same mask as hi: same subtable */
    rm2->match.value.in_port = 2;
    assert_int_equal(cls_insert(cls, rm2, 2), 0);
    assert_int_equal(cls_publish(cls, 2), 0);
    k.tp_dst = htons(80);
    assert_ptr_equal(cls_lookup(cls, &k, 2, NULL), rm); /* inserted before rm2 */

    /* Wildcards accumulate over tables: the caller's bits stay. */
    wc = key_zero();
    wc.nw_proto = 0xff;
    assert_non_null(cls_lookup(cls, &k, 2, &wc));
    assert_int_equal(wc.nw_proto, 0xff);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* Many rules in one subtable, then all removed: tables grow, shrink, and stay exact. */
static void test_growth_and_shrink(void **state)
{
    (void)state;
    enum { N = 20000 };
    struct classifier *cls = new_cls();
    struct rule **rules = calloc(N, sizeof *rules);
    assert_non_null(rules);
    struct flow_match m;
    memset(&m, 0, sizeof m);
    m.mask.nw_dst = UINT32_MAX;
    m.mask.tp_src = 0xffff;
    for (uint32_t i = 0; i < N; i++) {
        m.value.nw_dst = htonl(i);
        m.value.tp_src = htons((uint16_t)(i * 7));
        rules[i] = make_rule(&m, (uint16_t)(i % 1000), i + 1);
        assert_int_equal(cls_insert(cls, rules[i], 1), 0);
    }
    assert_int_equal(cls_publish(cls, 1), 0);
    struct cls_stats st;
    cls_get_stats(cls, &st);
    assert_int_equal(st.n_rules, N);
    assert_int_equal(st.n_subtables, 1);
    assert_true(st.n_slots >= 2 * N);
    assert_true(st.n_table_rebuilds >= 10);
    struct cls_subtable_info info;
    cls_subtables(cls, &info, 1);
    assert_int_equal(info.max_priority, 999);

    struct flow_key k = key_zero();
    for (uint32_t i = 0; i < N; i++) {
        k.nw_dst = htonl(i);
        k.tp_src = htons((uint16_t)(i * 7));
        assert_ptr_equal(cls_lookup(cls, &k, 1, NULL), rules[i]);
        k.tp_src = htons((uint16_t)(i * 7 + 1));
        assert_null(cls_lookup(cls, &k, 1, NULL));
    }

    /* Remove all but the last 10, in priority order from the top (the worst case for a
     * max-priority tracker that rescans). */
    uint64_t v = 1;
    for (int p = 999; p >= 0; p--) {
        v++;
        for (uint32_t i = (uint32_t)p; i < N - 10; i += 1000)
            assert_int_equal(cls_remove(cls, rules[i], v), 0);
        assert_int_equal(cls_publish(cls, v), 0);
        if (p % 100 == 0)
            assert_int_equal(cls_reclaim(cls), 0);
    }
    assert_int_equal(cls_reclaim(cls), 0);
    assert_int_equal(cls_reclaim(cls), 0);
    cls_get_stats(cls, &st);
    assert_int_equal(st.n_rules, 10);
    assert_int_equal(st.n_removed, 0);
    assert_int_equal(st.n_retired, 0);
    assert_true(st.n_slots <= 64); /* shrunk */
    cls_subtables(cls, &info, 1);
    uint32_t expect_max = 0;
    for (uint32_t i = N - 10; i < N; i++)
        expect_max = i % 1000 > expect_max ? i % 1000 : expect_max;
    assert_int_equal(info.max_priority, expect_max);
    for (uint32_t i = 0; i < N; i++) {
        k.nw_dst = htonl(i);
        k.tp_src = htons((uint16_t)(i * 7));
        struct rule *r = cls_lookup(cls, &k, v, NULL);
        if (i >= N - 10)
            assert_ptr_equal(r, rules[i]);
        else
            assert_null(r);
    }
    assert_int_equal(g_rules_freed + 10, g_rules_created);
    free(rules);
    cls_destroy(cls);
    assert_int_equal(g_rules_freed, g_rules_created);
}

/* ---- Differential testing against the reference ---------------------------------------- */

struct entry {
    struct rule *c; /* in the classifier */
    struct rule *r; /* its twin in the reference table */
    uint64_t id;
};

enum { N_PROBES = 64, MAX_RECORDS = 16 };

struct record {
    uint64_t version;
    uint64_t ids[N_PROBES];
};

struct model {
    struct rng g;
    struct classifier *cls;
    struct rule_table *ref;
    struct entry *e;
    size_t n, cap;
    uint64_t next_id;
    uint64_t version; /* published */
    struct flow_key probes[N_PROBES];
    struct record records[MAX_RECORDS]; /* versions since the last reclaim */
    size_t n_records;
    size_t n_lookups, n_hits;
};

static void model_init(struct model *md, uint64_t seed)
{
    memset(md, 0, sizeof *md);
    md->g.s = seed;
    md->cls = new_cls();
    md->ref = rule_table_create();
    assert_non_null(md->ref);
    md->next_id = 1;
    for (int i = 0; i < N_PROBES; i++)
        random_key(&md->g, &md->probes[i]);
}

static void model_fini(struct model *md)
{
    cls_destroy(md->cls);
    rule_table_destroy(md->ref);
    free(md->e);
    assert_int_equal(g_rules_freed, g_rules_created);
}

static struct entry *model_find(struct model *md, const struct flow_match *m, uint16_t prio)
{
    for (size_t i = 0; i < md->n; i++)
        if (md->e[i].c->priority == prio && flow_match_equal(&md->e[i].c->match, m))
            return &md->e[i];
    return NULL;
}

static void model_drop(struct model *md, size_t i)
{
    md->e[i] = md->e[--md->n];
}

static void op_add(struct model *md, uint64_t v)
{
    struct flow_match m;
    template_match(&md->g, (int)rng_below(&md->g, N_TEMPLATES), &m);
    uint16_t prio = random_priority(&md->g);
    uint64_t id = md->next_id++;
    struct rule *c = make_rule(&m, prio, id);
    struct rule *r = rule_create(&m, prio, c->actions, c->n_actions);
    assert_non_null(r);
    r->cookie = id;

    struct entry *old = model_find(md, &m, prio);
    int ret = rule_table_insert(md->ref, r, false);
    if (old) {
        /* OpenFlow ADD over an existing entry: the reference replaces, so do we. */
        assert_int_equal(ret, 1);
        assert_int_equal(cls_insert(md->cls, c, v), -EEXIST);
        assert_int_equal(cls_replace(md->cls, old->c, c, v), 0);
        old->c = c;
        old->r = r;
        old->id = id;
        return;
    }
    assert_int_equal(ret, 0);
    assert_int_equal(cls_insert(md->cls, c, v), 0);
    if (md->n == md->cap) {
        md->cap = md->cap ? 2 * md->cap : 64;
        md->e = realloc(md->e, md->cap * sizeof md->e[0]);
        assert_non_null(md->e);
    }
    md->e[md->n++] = (struct entry){c, r, id};
}

static void op_remove_one(struct model *md, uint64_t v)
{
    if (!md->n)
        return;
    size_t i = rng_below(&md->g, (uint32_t)md->n);
    assert_ptr_equal(cls_find_exact(md->cls, &md->e[i].c->match, md->e[i].c->priority, v),
                     md->e[i].c);
    assert_int_equal(cls_remove(md->cls, md->e[i].c, v), 0);
    assert_int_equal(rule_table_remove_rule(md->ref, md->e[i].r), 0);
    assert_null(cls_find_exact(md->cls, &md->e[i].c->match, md->e[i].c->priority, v));
    model_drop(md, i);
}

static int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

static void random_filter(struct model *md, struct rule_filter *f)
{
    rule_filter_init_all(f);
    if (md->n && rng_chance(&md->g, 30)) {
        /* Strict, on an existing rule (or a near miss in priority). */
        const struct entry *e = &md->e[rng_below(&md->g, (uint32_t)md->n)];
        f->strict = true;
        f->match = e->c->match;
        f->priority = (uint16_t)(e->c->priority + (rng_chance(&md->g, 20) ? 1 : 0));
    } else {
        template_match(&md->g, (int)rng_below(&md->g, N_TEMPLATES), &f->match);
        if (rng_chance(&md->g, 30)) {
            /* A looser filter: keep one field of the template at most. */
            struct flow_match coarse;
            memset(&coarse, 0, sizeof coarse);
            coarse.mask.eth_type = f->match.mask.eth_type;
            coarse.value.eth_type = f->match.value.eth_type;
            f->match = coarse;
        }
    }
    if (rng_chance(&md->g, 20)) {
        f->cookie = rng_below(&md->g, 2);
        f->cookie_mask = 1;
    }
    if (rng_chance(&md->g, 20))
        f->out_port = 1 + rng_below(&md->g, 4);
}

/* The ids the cursor yields at `v` for `f`, sorted; compared with the reference's. */
static void check_cursor(struct model *md, const struct rule_filter *f, uint64_t v, uint64_t *ids,
                         size_t *n_ids)
{
    size_t n = 0;
    struct cls_cursor c;
    cls_cursor_init(&c, md->cls, f, v);
    for (struct rule *r; (r = cls_cursor_next(&c));) {
        assert_true(n < md->n);
        assert_true(!f || rule_filter_selects(f, r));
        ids[n++] = r->cookie;
    }
    qsort(ids, n, sizeof ids[0], cmp_u64);
    size_t m = 0;
    uint64_t *ref_ids = calloc(md->n + 1, sizeof *ref_ids);
    assert_non_null(ref_ids);
    for (struct rule *r = rule_table_first(md->ref); r; r = rule_table_next(md->ref, r))
        if (!f || rule_filter_selects(f, r))
            ref_ids[m++] = r->cookie;
    qsort(ref_ids, m, sizeof ref_ids[0], cmp_u64);
    assert_int_equal(n, m);
    if (n)
        assert_memory_equal(ids, ref_ids, n * sizeof ids[0]);
    free(ref_ids);
    *n_ids = n;
}

static void op_remove_filter(struct model *md, uint64_t v)
{
    struct rule_filter f;
    random_filter(md, &f);
    uint64_t *ids = calloc(md->n + 1, sizeof *ids);
    assert_non_null(ids);
    size_t n_ids;
    check_cursor(md, &f, v, ids, &n_ids);

    /* Remove while iterating, as ofproto will. */
    size_t n_removed = 0;
    struct cls_cursor c;
    cls_cursor_init(&c, md->cls, &f, v);
    for (struct rule *r; (r = cls_cursor_next(&c));) {
        assert_int_equal(cls_remove(md->cls, r, v), 0);
        n_removed++;
    }
    assert_int_equal(n_removed, n_ids);
    assert_int_equal(rule_table_remove(md->ref, &f, NULL, 0), n_ids);
    for (size_t i = 0; i < md->n;) {
        if (bsearch(&md->e[i].id, ids, n_ids, sizeof ids[0], cmp_u64))
            model_drop(md, i);
        else
            i++;
    }
    free(ids);
}

static void check_lookups(struct model *md, int n_keys)
{
    const struct rule_snapshot *snap = rule_table_snapshot(md->ref);
    for (int i = 0; i < n_keys; i++) {
        struct flow_key k, wc = key_zero();
        random_key(&md->g, &k);
        struct rule *c = cls_lookup(md->cls, &k, md->version, &wc);
        struct rule *r = rule_snapshot_lookup(snap, &k);
        md->n_lookups++;
        /* The mask union covers every bit any decision depends on. */
        const struct cls_union *u = cls_union(md->cls);
        const uint64_t *wcw = (const uint64_t *)&wc;
        uint64_t covered[FLOW_KEY_WORDS] = {0};
        for (uint32_t w = 0; w < u->n_words; w++)
            covered[u->word_idx[w]] = u->mask_words[w];
        for (size_t w = 0; w < FLOW_KEY_WORDS; w++)
            assert_int_equal(wcw[w] & ~covered[w], 0);
        if (!r) {
            assert_null(c);
            continue;
        }
        md->n_hits++;
        assert_non_null(c);
        assert_int_equal(c->cookie, r->cookie);
        assert_int_equal(c->priority, r->priority);
        assert_true(flow_match_equal(&c->match, &r->match));

        /* Megaflow: keep the un-wildcarded bits, randomize the rest. */
        for (int j = 0; j < 4; j++) {
            struct flow_key k2;
            random_key(&md->g, &k2);
            const uint64_t *kw = (const uint64_t *)&k, *ww = (const uint64_t *)&wc;
            uint64_t *k2w = (uint64_t *)&k2;
            for (size_t w = 0; w < FLOW_KEY_WORDS; w++)
                k2w[w] = (kw[w] & ww[w]) | (k2w[w] & ~ww[w]);
            assert_int_equal(id_of(rule_snapshot_lookup(snap, &k2)), r->cookie);
        }
    }
}

static void record_version(struct model *md)
{
    if (md->n_records == MAX_RECORDS)
        return;
    const struct rule_snapshot *snap = rule_table_snapshot(md->ref);
    struct record *rec = &md->records[md->n_records++];
    rec->version = md->version;
    for (int i = 0; i < N_PROBES; i++)
        rec->ids[i] = id_of(rule_snapshot_lookup(snap, &md->probes[i]));
}

static void forget_old_records(struct model *md)
{
    size_t kept = 0;
    for (size_t j = 0; j < md->n_records; j++)
        if (md->records[j].version == md->version)
            md->records[kept++] = md->records[j];
    md->n_records = kept;
}

static void check_records(struct model *md)
{
    for (size_t j = 0; j < md->n_records; j++)
        for (int i = 0; i < N_PROBES; i++)
            assert_int_equal(
                id_of(cls_lookup(md->cls, &md->probes[i], md->records[j].version, NULL)),
                md->records[j].ids[i]);
}

static void model_step(struct model *md, int max_ops, unsigned add_percent)
{
    uint64_t v = md->version + 1;
    int n_ops = 1 + (int)rng_below(&md->g, (uint32_t)max_ops);
    for (int i = 0; i < n_ops; i++) {
        unsigned x = rng_below(&md->g, 100);
        if (x < add_percent)
            op_add(md, v);
        else if (x < add_percent + (100 - add_percent) * 3 / 4)
            op_remove_one(md, v);
        else
            op_remove_filter(md, v);
        /* Reclaiming mid-batch must keep what readers at the published version see;
         * older versions are fair game from now on. */
        if (rng_chance(&md->g, 5)) {
            assert_int_equal(cls_reclaim(md->cls), 0);
            forget_old_records(md);
        }
    }
    assert_int_equal(cls_count(md->cls), md->n);
    assert_int_equal(rule_table_count(md->ref), md->n);
    assert_int_equal(rule_table_publish(md->ref), 0);
    assert_int_equal(cls_publish(md->cls, v), 0);
    md->version = v;
}

static void run_differential(uint64_t seed, int n_versions, int max_ops, int keys_per_version)
{
    struct model md;
    model_init(&md, seed);
    size_t buf_cap = 0;
    uint64_t *buf = NULL;
    for (int step = 0; step < n_versions; step++) {
        /* Phases of growth and shrinkage, so subtables come and go. */
        unsigned add_percent = (step / 50) % 2 ? 35 : 75;
        model_step(&md, max_ops, add_percent);
        check_lookups(&md, keys_per_version);
        record_version(&md);
        check_records(&md);
        if (rng_chance(&md.g, 15)) {
            if (buf_cap < md.n + 1) {
                buf_cap = 2 * (md.n + 1);
                buf = realloc(buf, buf_cap * sizeof *buf);
                assert_non_null(buf);
            }
            struct rule_filter f;
            random_filter(&md, &f);
            size_t n;
            check_cursor(&md, rng_chance(&md.g, 20) ? NULL : &f, md.version, buf, &n);
        }
        if (rng_chance(&md.g, 30)) {
            assert_int_equal(cls_reclaim(md.cls), 0);
            md.n_records = 0;
            record_version(&md);
        }
        struct cls_stats st;
        cls_get_stats(md.cls, &st);
        assert_int_equal(st.n_rules, md.n);
        struct cls_subtable_info info[N_TEMPLATES];
        size_t n_st = cls_subtables(md.cls, info, N_TEMPLATES);
        assert_true(n_st <= N_TEMPLATES);
        for (size_t i = 1; i < n_st; i++)
            assert_true(info[i - 1].max_priority >= info[i].max_priority);
    }
    /* Drain: everything removed, reclaimed, gone. */
    uint64_t v = md.version + 1;
    while (md.n)
        op_remove_one(&md, v);
    assert_int_equal(cls_publish(md.cls, v), 0);
    assert_int_equal(rule_table_publish(md.ref), 0);
    md.version = v;
    check_lookups(&md, 100);
    assert_int_equal(cls_reclaim(md.cls), 0);
    assert_int_equal(cls_reclaim(md.cls), 0);
    assert_int_equal(n_subtables(md.cls), 0);
    assert_false(cls_reclaim_pending(md.cls));
    print_message("differential seed %llu: %zu lookups, %zu hits, %llu rules\n",
                  (unsigned long long)seed, md.n_lookups, md.n_hits,
                  (unsigned long long)md.next_id - 1);
    assert_true(md.n_hits > md.n_lookups / 4); /* the test means something */
    free(buf);
    model_fini(&md);
}

static void test_differential_small_batches(void **state)
{
    (void)state;
    run_differential(g_seed + 10, 600, 4, 60);
}

static void test_differential_large_batches(void **state)
{
    (void)state;
    run_differential(g_seed + 11, 150, 120, 200);
}

/* ---- Concurrent reader ------------------------------------------------------------------- */

enum { RING = 8 };

struct shared {
    struct classifier *cls;
    struct flow_key probes[N_PROBES];
    uint64_t expected[RING][N_PROBES]; /* written before the version is published */
    bool stop;                         /* __atomic */
    uint64_t n_lookups;                /* __atomic (the writer waits for the first ones) */
    uint64_t n_errors;
    uint64_t n_versions_seen;
    /* The first wrong answer, for the failure message. */
    uint64_t err_version, err_expected, err_got;
    int err_probe;
};

static void *reader_main(void *arg)
{
    struct shared *sh = arg;
    uint64_t last = UINT64_MAX;
    dp_rcu_register(0);
    while (!__atomic_load_n(&sh->stop, __ATOMIC_ACQUIRE)) {
        dp_rcu_quiescent(0);
        uint64_t v = cls_version(sh->cls);
        if (v != last) {
            sh->n_versions_seen++;
            last = v;
        }
        for (int i = 0; i < N_PROBES; i++) {
            struct flow_key wc = key_zero();
            struct rule *r = cls_lookup(sh->cls, &sh->probes[i], v, &wc);
            /* Reading the rule's fields is what ASan needs to see an early free. */
            uint64_t id = r ? r->cookie : 0;
            if (r)
                rule_account(r, 1, 64, 0);
            uint64_t expected = __atomic_load_n(&sh->expected[v % RING][i], __ATOMIC_RELAXED);
            if (id != expected && sh->n_errors++ == 0) {
                sh->err_version = v;
                sh->err_probe = i;
                sh->err_expected = expected;
                sh->err_got = id;
            }
        }
        __atomic_fetch_add(&sh->n_lookups, N_PROBES, __ATOMIC_RELAXED);
    }
    dp_rcu_unregister(0);
    return NULL;
}

static bool g_eal_up;

static void eal_init_once(void)
{
    if (g_eal_up)
        return;
    /* EAL pins the calling thread to its main lcore; give the writer its CPUs back so the
     * reader thread runs beside it. */
    cpu_set_t cpus;
    assert_int_equal(sched_getaffinity(0, sizeof cpus, &cpus), 0);
    /* No hugepages, no shared config, no telemetry socket: nothing left on disk but the
     * (empty) runtime directory, which rte_eal_cleanup() removes. */
    char prefix[64];
    snprintf(prefix, sizeof prefix, "--file-prefix=test-cls-%d", (int)getpid());
    char *argv[] = {
        "test-classifier",   "--no-huge", "--no-shconf", "--no-pci", "--no-telemetry", "-l", "0",
        "--log-level=error", prefix,      NULL};
    int ret = rte_eal_init(9, argv);
    if (ret < 0)
        fail_msg("EAL init failed (--no-huge --no-shconf): %s", rte_strerror(rte_errno));
    assert_int_equal(sched_setaffinity(0, sizeof cpus, &cpus), 0);
    g_eal_up = true;
    assert_int_equal(dp_rcu_init(1), 0);
}

static int eal_teardown(void **state)
{
    (void)state;
    if (!g_eal_up)
        return 0;
    dp_rcu_fini();
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", rte_eal_get_runtime_dir());
    rte_eal_cleanup();
    g_eal_up = false;
    if (rmdir(dir) != 0) {
        fprintf(stderr, "EAL runtime directory %s: %s\n", dir, strerror(errno));
        return -1;
    }
    return 0;
}

static void test_concurrent_reader(void **state)
{
    (void)state;
    eal_init_once();
    struct shared *sh = calloc(1, sizeof *sh);
    assert_non_null(sh);
    struct model md;
    model_init(&md, g_seed + 20);
    sh->cls = md.cls;
    memcpy(sh->probes, md.probes, sizeof sh->probes);
    /* Version 0: empty. */
    for (int i = 0; i < N_PROBES; i++)
        sh->expected[0][i] = 0;

    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, reader_main, sh), 0);
    while (!__atomic_load_n(&sh->n_lookups, __ATOMIC_RELAXED)) /* registered and reading */
        sched_yield();
    for (int step = 0; step < 1500; step++) {
        uint64_t v = md.version + 1;
        /* Bounds the reader's lag for the expected[] ring: cls_reclaim() and
         * rule_table_publish() skip their grace period when they have nothing to free, so
         * without this the writer could lap a descheduled reader. */
        dp_rcu_synchronize();
        unsigned add_percent = (step / 100) % 2 ? 35 : 75;
        int n_ops = 1 + (int)rng_below(&md.g, step % 7 ? 5 : 60);
        for (int i = 0; i < n_ops; i++) {
            unsigned x = rng_below(&md.g, 100);
            if (x < add_percent)
                op_add(&md, v);
            else if (x < add_percent + (100 - add_percent) * 3 / 4)
                op_remove_one(&md, v);
            else
                op_remove_filter(&md, v);
            if (rng_chance(&md.g, 5))
                assert_int_equal(cls_reclaim(md.cls), 0);
        }
        assert_int_equal(rule_table_publish(md.ref), 0);
        const struct rule_snapshot *snap = rule_table_snapshot(md.ref);
        for (int i = 0; i < N_PROBES; i++)
            __atomic_store_n(&sh->expected[v % RING][i],
                             id_of(rule_snapshot_lookup(snap, &sh->probes[i])), __ATOMIC_RELAXED);
        assert_int_equal(cls_publish(md.cls, v), 0);
        md.version = v;
        assert_int_equal(cls_reclaim(md.cls), 0);
    }
    __atomic_store_n(&sh->stop, true, __ATOMIC_RELEASE);
    assert_int_equal(pthread_join(t, NULL), 0);
    print_message("concurrent: %llu lookups over %llu versions seen, %llu errors\n",
                  (unsigned long long)sh->n_lookups, (unsigned long long)sh->n_versions_seen,
                  (unsigned long long)sh->n_errors);
    if (sh->n_errors)
        fail_msg("reader at version %llu, probe %d: rule id %llu, expected %llu",
                 (unsigned long long)sh->err_version, sh->err_probe,
                 (unsigned long long)sh->err_got, (unsigned long long)sh->err_expected);
    assert_true(sh->n_lookups > 0);
    model_fini(&md);
    free(sh);
}

int main(void)
{
    const char *s = getenv("CLS_TEST_SEED");
    g_seed = s ? strtoull(s, NULL, 0) : 0x5eed0001u;
    print_message("CLS_TEST_SEED=%llu\n", (unsigned long long)g_seed);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_empty, reset_counters),
        cmocka_unit_test_setup(test_bad_arguments, reset_counters),
        cmocka_unit_test_setup(test_all_wildcard_rule, reset_counters),
        cmocka_unit_test_setup(test_duplicate_match_priority, reset_counters),
        cmocka_unit_test_setup(test_same_match_priorities, reset_counters),
        cmocka_unit_test_setup(test_subtable_disappears, reset_counters),
        cmocka_unit_test_setup(test_union, reset_counters),
        cmocka_unit_test_setup(test_pruning_and_wildcards, reset_counters),
        cmocka_unit_test_setup(test_growth_and_shrink, reset_counters),
        cmocka_unit_test_setup(test_differential_small_batches, reset_counters),
        cmocka_unit_test_setup(test_differential_large_batches, reset_counters),
        cmocka_unit_test_setup(test_concurrent_reader, reset_counters),
    };
    return cmocka_run_group_tests(tests, NULL, eal_teardown);
}
