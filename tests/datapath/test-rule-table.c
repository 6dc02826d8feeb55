/* test-rule-table.c — the reference classifier: order, matching, replacement, filters,
 * publication and counters; a randomized check against a brute-force oracle; and a reader
 * thread looking up under real RCU while the control side churns (run under ASan, a freed
 * rule or snapshot that a reader can still reach shows up as a use-after-free). */
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
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <time.h>
#include <unistd.h>

#include <rte_eal.h>
#include <rte_errno.h>

#include "datapath/flow-field.h"
#include "datapath/rcu.h"
#include "datapath/rule-table.h"

/* ---- Helpers ---------------------------------------------------------------------------- */

static void set_exact(struct flow_match *m, enum flow_field_id id, uint64_t v)
{
    const struct flow_field *f = &flow_fields[id];
    flow_match_set_field(m, f, v, f->bits >> f->shift);
}

static void set_masked(struct flow_match *m, enum flow_field_id id, uint64_t v, uint64_t mask)
{
    flow_match_set_field(m, &flow_fields[id], v, mask);
}

static struct flow_match match_tcp(void)
{
    struct flow_match m = {0};
    set_exact(&m, FF_ETH_TYPE, 0x0800);
    set_exact(&m, FF_IP_PROTO, 6);
    return m;
}

static struct flow_key key_tcp(uint32_t src, uint32_t dst, uint16_t sport, uint16_t dport)
{
    struct flow_key k = {.in_port = 1};
    k.eth_type = htons(0x0800);
    k.nw_proto = 6;
    k.nw_src = htonl(src);
    k.nw_dst = htonl(dst);
    k.tp_src = htons(sport);
    k.tp_dst = htons(dport);
    return k;
}

static struct rule *mk_rule(const struct flow_match *m, uint16_t prio, uint32_t out_port)
{
    struct dp_action a = {.type = DP_ACT_OUTPUT, .port = out_port};
    struct rule *r = rule_create(m, prio, &a, out_port ? 1 : 0);
    assert_non_null(r);
    return r;
}

static struct rule *add(struct rule_table *t, const struct flow_match *m, uint16_t prio,
                        uint32_t out_port)
{
    struct rule *r = mk_rule(m, prio, out_port);
    assert_int_equal(rule_table_insert(t, r, false), 0);
    return r;
}

static struct rule *lookup(struct rule_table *t, const struct flow_key *k)
{
    return rule_snapshot_lookup(rule_table_snapshot(t), k);
}

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- Creation --------------------------------------------------------------------------- */

static void test_rule_create(void **state)
{
    (void)state;
    struct flow_match m = {0};
    set_masked(&m, FF_IPV4_DST, 0x0a0000ff, 0xffffff00);
    m.value.tp_dst = htons(80); /* not under the mask: must be dropped */
    m.mask.flags = 0xffff;      /* never a match field */

    struct dp_action acts[DP_MAX_ACTIONS + 1];
    memset(acts, 0, sizeof acts);
    for (int i = 0; i <= DP_MAX_ACTIONS; i++) {
        acts[i].type = DP_ACT_OUTPUT;
        acts[i].port = (uint32_t)i + 1;
    }
    assert_null(rule_create(&m, 1, acts, DP_MAX_ACTIONS + 1));
    assert_null(rule_create(&m, 1, NULL, 1));
    assert_null(rule_create(NULL, 1, acts, 1));

    uint64_t before = now_ns();
    struct rule *r = rule_create(&m, 7, acts, DP_MAX_ACTIONS);
    uint64_t after = now_ns();
    assert_non_null(r);
    assert_int_equal(r->priority, 7);
    assert_int_equal(r->n_actions, DP_MAX_ACTIONS);
    assert_memory_equal(r->actions, acts, DP_MAX_ACTIONS * sizeof acts[0]);
    assert_true(r->created_ns >= before && r->created_ns <= after);
    assert_true(r->n_packets == 0 && r->n_bytes == 0 && r->used_ns == 0);
    assert_int_equal(r->match.value.nw_dst, htonl(0x0a000000));
    assert_int_equal(r->match.value.tp_dst, 0);
    assert_int_equal(r->match.mask.flags, 0);
    rule_free(r);

    r = rule_create(&m, 0, NULL, 0); /* no actions: drop */
    assert_non_null(r);
    assert_int_equal(r->n_actions, 0);
    rule_free(r);
    rule_free(NULL);
}

/* ---- Lookup order ----------------------------------------------------------------------- */

static void test_priorities(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    assert_non_null(t);
    struct flow_match any = {0}, tcp = match_tcp(), web = match_tcp();
    set_exact(&web, FF_TCP_DST, 80);

    struct rule *low = add(t, &any, 0, 1);
    struct rule *high = add(t, &web, 200, 2);
    struct rule *mid = add(t, &tcp, 100, 3);
    assert_int_equal(rule_table_count(t), 3);
    assert_int_equal(rule_table_publish(t), 0);

    struct flow_key k = key_tcp(1, 2, 1000, 80);
    assert_ptr_equal(lookup(t, &k), high);
    k.tp_dst = htons(81);
    assert_ptr_equal(lookup(t, &k), mid);
    k.nw_proto = 17;
    assert_ptr_equal(lookup(t, &k), low);

    /* Iteration is lookup order, and the snapshot is sorted the same way. */
    assert_ptr_equal(rule_table_first(t), high);
    assert_ptr_equal(rule_table_next(t, high), mid);
    assert_ptr_equal(rule_table_next(t, mid), low);
    assert_null(rule_table_next(t, low));
    const struct rule_snapshot *s = rule_table_snapshot(t);
    assert_int_equal(s->n_rules, 3);
    assert_ptr_equal(s->rules[0], high);
    assert_ptr_equal(s->rules[1], mid);
    assert_ptr_equal(s->rules[2], low);

    /* Nothing matches an empty table. */
    struct rule_table *e = rule_table_create();
    assert_null(lookup(e, &k));
    assert_null(rule_table_first(e));
    assert_int_equal(rule_table_count(e), 0);
    rule_table_destroy(e);
    rule_table_destroy(t);
}

static void test_equal_priority_insertion_order(void **state)
{
    (void)state;
    /* Two overlapping rules at one priority: whichever was inserted first wins. */
    for (int order = 0; order < 2; order++) {
        struct rule_table *t = rule_table_create();
        struct flow_match a = match_tcp(), b = match_tcp();
        set_exact(&a, FF_TCP_DST, 80);
        set_exact(&b, FF_IPV4_SRC, 0x0a000001);
        struct rule *ra, *rb;
        if (order == 0) {
            ra = add(t, &a, 10, 1);
            rb = add(t, &b, 10, 2);
        } else {
            rb = add(t, &b, 10, 2);
            ra = add(t, &a, 10, 1);
        }
        /* A rule at another priority, inserted in between in time, does not disturb. */
        add(t, &a, 5, 3);
        rule_table_publish(t);
        struct flow_key k = key_tcp(0x0a000001, 2, 1, 80);
        assert_ptr_equal(lookup(t, &k), order == 0 ? ra : rb);
        assert_true(ra->seq != rb->seq);
        assert_ptr_equal(rule_table_first(t), order == 0 ? ra : rb);
        rule_table_destroy(t);
    }
}

static void test_masked_matches(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    struct flow_match m8 = match_tcp(), m24 = match_tcp(), v6 = {0}, mcast = {0}, vlan = {0};
    set_masked(&m8, FF_IPV4_DST, 0x0a000000, 0xff000000);
    set_masked(&m24, FF_IPV4_DST, 0x0a010200, 0xffffff00);
    set_exact(&v6, FF_ETH_TYPE, 0x86dd);
    uint8_t pfx[16] = {0x20, 0x01, 0x0d, 0xb8}, pmask[16] = {0xff, 0xff, 0xff, 0xff};
    flow_match_set_field_bytes(&v6, &flow_fields[FF_IPV6_DST], pfx, pmask);
    set_masked(&mcast, FF_ETH_DST, 0x010000000000ull, 0x010000000000ull);
    set_masked(&vlan, FF_VLAN_VID, 0x1000 | 100, 0x1fff);

    /* Longer prefix at higher priority, as a router table would be. */
    struct rule *r24 = add(t, &m24, 24, 1);
    struct rule *r8 = add(t, &m8, 8, 2);
    struct rule *r6 = add(t, &v6, 50, 3);
    struct rule *rm = add(t, &mcast, 1, 4);
    struct rule *rv = add(t, &vlan, 2, 5);
    rule_table_publish(t);

    struct flow_key k = key_tcp(1, 0x0a0102fe, 1, 2);
    assert_ptr_equal(lookup(t, &k), r24);
    k.nw_dst = htonl(0x0a0103fe);
    assert_ptr_equal(lookup(t, &k), r8);
    k.nw_dst = htonl(0x0b0102fe);
    assert_null(lookup(t, &k));
    k.eth_dst[0] = 0x33; /* multicast bit set */
    assert_ptr_equal(lookup(t, &k), rm);
    k.eth_dst[0] = 0x32;
    k.vlan_tci = htons(0x1000 | 0xe000 | 100); /* PCP bits are outside the mask */
    assert_ptr_equal(lookup(t, &k), rv);
    k.vlan_tci = htons(0x1000 | 101);
    assert_null(lookup(t, &k));

    struct flow_key k6 = {.eth_type = htons(0x86dd)};
    memcpy(k6.ipv6_dst, pfx, 4);
    k6.ipv6_dst[15] = 9;
    assert_ptr_equal(lookup(t, &k6), r6);
    k6.ipv6_dst[3] = 0xb9;
    assert_null(lookup(t, &k6));
    rule_table_destroy(t);
}

/* ---- Replacement ------------------------------------------------------------------------ */

static void test_replace(void **state)
{
    (void)state;
    for (int keep = 0; keep < 2; keep++) {
        struct rule_table *t = rule_table_create();
        struct flow_match web = match_tcp(), other = match_tcp();
        set_exact(&web, FF_TCP_DST, 80);
        set_exact(&other, FF_IPV4_SRC, 5);
        struct rule *a = add(t, &web, 10, 1);
        struct rule *c = add(t, &other, 10, 2); /* overlaps a, inserted after it */
        rule_table_publish(t);
        rule_account(a, 3, 300, 1000);

        /* Same match, other priority: a separate rule. */
        struct rule *d = mk_rule(&web, 11, 4);
        assert_int_equal(rule_table_insert(t, d, false), 0);
        assert_int_equal(rule_table_remove_rule(t, d), 0);

        /* Same match and priority: replaces a, in a's place (still ahead of c). */
        struct rule *b = mk_rule(&web, 10, 3);
        b->cookie = 0xb;
        assert_int_equal(rule_table_insert(t, b, keep), 1);
        assert_int_equal(rule_table_count(t), 2);
        assert_ptr_equal(rule_table_first(t), b);
        assert_ptr_equal(rule_table_next(t, b), c);
        assert_true(b->n_packets == (keep ? 3u : 0u));
        assert_true(b->n_bytes == (keep ? 300u : 0u));
        assert_true(b->used_ns == (keep ? 1000u : 0u));

        /* Readers still see a until publication, and keep counting on it. */
        struct flow_key k = key_tcp(5, 6, 7, 80);
        assert_ptr_equal(lookup(t, &k), a);
        rule_account(a, 2, 20, 2000);

        assert_int_equal(rule_table_publish(t), 0);
        assert_ptr_equal(lookup(t, &k), b);
        /* Late hits on the replaced rule follow its counters to the heir. */
        assert_true(b->n_packets == (keep ? 5u : 0u));
        assert_true(b->n_bytes == (keep ? 320u : 0u));
        assert_true(b->used_ns == (keep ? 2000u : 0u));
        rule_account(b, 1, 10, 3000);
        assert_true(b->n_packets == (keep ? 6u : 1u));
        rule_table_destroy(t);
    }
}

static void test_replace_twice_before_publish(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    struct flow_match m = match_tcp();
    struct rule *a = add(t, &m, 1, 1);
    rule_table_publish(t);
    rule_account(a, 10, 1000, 5);

    struct rule *b = mk_rule(&m, 1, 2);
    assert_int_equal(rule_table_insert(t, b, true), 1);
    rule_account(a, 1, 1, 6); /* a PMD still on the old snapshot */
    struct rule *c = mk_rule(&m, 1, 3);
    assert_int_equal(rule_table_insert(t, c, true), 1);
    assert_true(c->n_packets == 10);
    rule_account(a, 1, 1, 7);
    assert_int_equal(rule_table_publish(t), 0);
    assert_true(c->n_packets == 12);
    assert_true(c->n_bytes == 1002);
    assert_true(c->used_ns == 7);
    assert_int_equal(rule_table_count(t), 1);
    assert_ptr_equal(rule_table_first(t), c);
    rule_table_destroy(t);
}

static void test_insert_errors(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    struct flow_match m = match_tcp();
    struct rule *a = add(t, &m, 1, 1);
    assert_int_equal(rule_table_insert(t, a, false), -EEXIST);
    assert_int_equal(rule_table_insert(t, NULL, false), -EINVAL);
    assert_int_equal(rule_table_count(t), 1);

    struct rule *stranger = mk_rule(&m, 1, 1);
    assert_int_equal(rule_table_remove_rule(t, stranger), -ENOENT);
    assert_null(rule_table_next(t, stranger));
    assert_int_equal(rule_table_remove_rule(t, NULL), -ENOENT);
    rule_free(stranger);

    assert_int_equal(rule_table_remove_rule(t, a), 0);
    assert_int_equal(rule_table_remove_rule(t, a), -ENOENT);
    assert_int_equal(rule_table_count(t), 0);
    rule_table_destroy(t); /* a is freed by the table: no publish happened */
}

/* ---- Filters ---------------------------------------------------------------------------- */

static void test_filters(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    struct flow_match any = {0}, ip = {0}, tcp = match_tcp(), web = match_tcp(), udp = {0};
    set_exact(&ip, FF_ETH_TYPE, 0x0800);
    set_exact(&web, FF_TCP_DST, 80);
    set_exact(&udp, FF_ETH_TYPE, 0x0800);
    set_exact(&udp, FF_IP_PROTO, 17);
    struct flow_match net16 = match_tcp(), net16b = match_tcp(), net8 = match_tcp();
    set_masked(&net16, FF_IPV4_DST, 0x0a010000, 0xffff0000);
    set_masked(&net16b, FF_IPV4_DST, 0x0b010000, 0xffff0000);
    set_masked(&net8, FF_IPV4_DST, 0x0a000000, 0xff000000);

    struct rule *r_any = add(t, &any, 0, 0);
    struct rule *r_ip = add(t, &ip, 1, 1);
    struct rule *r_tcp = add(t, &tcp, 2, 2);
    struct rule *r_web = add(t, &web, 3, 1);
    struct rule *r_udp = add(t, &udp, 4, 2);
    struct rule *r_net16 = add(t, &net16, 5, 3);
    struct rule *r_net16b = add(t, &net16b, 6, 3);
    r_any->cookie = 0x100;
    r_ip->cookie = 0x101;
    r_tcp->cookie = 0x201;
    r_web->cookie = 0x001;

    struct rule_filter f;
    rule_filter_init_all(&f);
    assert_int_equal(f.out_port, DP_OFPORT_ANY);
    struct rule *all[] = {r_any, r_ip, r_tcp, r_web, r_udp, r_net16, r_net16b};
    for (size_t i = 0; i < 7; i++)
        assert_true(rule_filter_selects(&f, all[i]));

    /* Loose "tcp": every rule at least as specific as tcp, whatever else it pins. */
    f.match = tcp;
    bool want_tcp[] = {false, false, true, true, false, true, true};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), want_tcp[i]);

    /* Loose on a prefix: a /16 inside the /8 is selected, another /16 or no prefix is not. */
    f.match = net8;
    bool want_net8[] = {false, false, false, false, false, true, false};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), want_net8[i]);

    /* A field the filter pins to 0 is not pinned by a rule that leaves it wild, even though
     * that rule's (masked) value there is 0 too. */
    struct flow_match port0 = match_tcp();
    set_exact(&port0, FF_TCP_DST, 0);
    f.match = port0;
    for (size_t i = 0; i < 7; i++)
        assert_false(rule_filter_selects(&f, all[i]));

    /* Strict: the same match and the same priority only. */
    f.match = tcp;
    f.strict = true;
    f.priority = 2;
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), all[i] == r_tcp);
    f.priority = 3;
    for (size_t i = 0; i < 7; i++)
        assert_false(rule_filter_selects(&f, all[i]));
    f.match = any;
    f.priority = 0;
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), all[i] == r_any);

    /* Cookie under mask. */
    rule_filter_init_all(&f);
    f.cookie = 0x001;
    f.cookie_mask = 0x0ff;
    bool want_cookie[] = {false, true, true, true, false, false, false};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), want_cookie[i]);
    f.cookie_mask = 0xfff;
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), all[i] == r_web);

    /* out_port: only rules with an output action to that port. */
    rule_filter_init_all(&f);
    f.out_port = 1;
    bool want_port[] = {false, true, false, true, false, false, false};
    for (size_t i = 0; i < 7; i++)
        assert_int_equal(rule_filter_selects(&f, all[i]), want_port[i]);
    f.out_port = 9;
    for (size_t i = 0; i < 7; i++)
        assert_false(rule_filter_selects(&f, all[i]));

    /* A rule whose output is not its first action, and a group action (not an output). */
    struct dp_action acts[3] = {{.type = DP_ACT_POP_VLAN},
                                {.type = DP_ACT_GROUP, .port = 9},
                                {.type = DP_ACT_OUTPUT, .port = 7}};
    struct rule *multi = rule_create(&any, 0, acts, 3);
    f.out_port = 7;
    assert_true(rule_filter_selects(&f, multi));
    f.out_port = 9;
    assert_false(rule_filter_selects(&f, multi));
    rule_free(multi);

    /* Combined: loose tcp and out_port 3. */
    rule_filter_init_all(&f);
    f.match = tcp;
    f.out_port = 3;
    struct rule *removed[1];
    assert_int_equal(rule_table_remove(t, &f, removed, 1), 2);
    assert_true(removed[0] == r_net16 || removed[0] == r_net16b);
    assert_int_equal(rule_table_count(t), 5);
    rule_table_destroy(t);
}

static void test_remove_and_publish(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    const struct rule_snapshot *s0 = rule_table_snapshot(t);
    assert_non_null(s0);
    assert_int_equal(s0->n_rules, 0);

    struct flow_match m[4];
    struct rule *r[4];
    for (int i = 0; i < 4; i++) {
        m[i] = match_tcp();
        set_exact(&m[i], FF_TCP_DST, 100 + (uint64_t)i);
        r[i] = add(t, &m[i], (uint16_t)(10 * i), (uint32_t)i + 1);
        r[i]->cookie = (uint64_t)i;
    }
    /* Not visible before publication: the old snapshot is untouched. */
    assert_ptr_equal(rule_table_snapshot(t), s0);
    assert_int_equal(s0->n_rules, 0);
    struct flow_key k = key_tcp(1, 2, 3, 102);
    assert_null(lookup(t, &k));
    assert_int_equal(rule_table_count(t), 4);

    assert_int_equal(rule_table_publish(t), 0);
    const struct rule_snapshot *s1 = rule_table_snapshot(t);
    assert_ptr_not_equal(s1, s0);
    assert_int_equal(s1->n_rules, 4);
    assert_ptr_equal(lookup(t, &k), r[2]);
    /* Publishing with nothing changed keeps the snapshot. */
    assert_int_equal(rule_table_publish(t), 0);
    assert_ptr_equal(rule_table_snapshot(t), s1);

    /* Removal: still visible in the current snapshot until the next publication. */
    struct rule_filter f;
    rule_filter_init_all(&f);
    f.cookie = 2;
    f.cookie_mask = ~0ull;
    struct rule *removed[4] = {0};
    assert_int_equal(rule_table_remove(t, &f, removed, 4), 1);
    assert_ptr_equal(removed[0], r[2]);
    assert_int_equal(removed[0]->cookie, 2); /* still readable, e.g. for FLOW_REMOVED */
    assert_int_equal(rule_table_count(t), 3);
    assert_ptr_equal(rule_table_snapshot(t), s1);
    assert_ptr_equal(rule_snapshot_lookup(s1, &k), r[2]);
    assert_int_equal(rule_table_publish(t), 0);
    assert_null(lookup(t, &k));
    assert_int_equal(rule_table_snapshot(t)->n_rules, 3);

    /* Removal with a smaller output array: all selected rules go, the first ones are listed. */
    rule_filter_init_all(&f);
    memset(removed, 0, sizeof removed);
    assert_int_equal(rule_table_remove(t, &f, removed, 2), 3);
    assert_ptr_equal(removed[0], r[3]); /* lookup order */
    assert_ptr_equal(removed[1], r[1]);
    assert_null(removed[2]);
    assert_int_equal(rule_table_count(t), 0);
    assert_null(rule_table_first(t));
    assert_int_equal(rule_table_remove(t, &f, NULL, 0), 0);
    assert_int_equal(rule_table_publish(t), 0);
    assert_int_equal(rule_table_snapshot(t)->n_rules, 0);
    rule_table_destroy(t);
}

static void test_counters(void **state)
{
    (void)state;
    struct rule_table *t = rule_table_create();
    struct flow_match m = match_tcp();
    struct rule *r = add(t, &m, 1, 1);
    rule_table_publish(t);
    rule_account(r, 32, 32 * 64, 500);
    rule_account(r, 1, 1500, 400); /* an older timestamp from a slower PMD */
    assert_true(r->n_packets == 33);
    assert_true(r->n_bytes == 32 * 64 + 1500);
    assert_true(r->used_ns == 500);
    rule_account(r, 0, 0, 900);
    assert_true(r->used_ns == 900);
    rule_table_destroy(t);
}

/* ---- Randomized check against a brute-force oracle ------------------------------------- */

static uint64_t rnd_state = 0x243f6a8885a308d3ull;

static uint32_t rnd(void)
{
    rnd_state = rnd_state * 6364136223846793005ull + 1442695040888963407ull;
    return (uint32_t)(rnd_state >> 33);
}

static struct flow_match random_match(void)
{
    struct flow_match m = {0};
    /* Few distinct values, so that rules overlap and collide often. */
    if (rnd() % 2)
        set_exact(&m, FF_IN_PORT, rnd() % 3);
    if (rnd() % 2)
        set_masked(&m, FF_IPV4_SRC, rnd() % 4 << 24, (0xffu << 24) | (rnd() % 2 ? 0 : 0xff0000u));
    if (rnd() % 2)
        set_exact(&m, FF_TCP_DST, rnd() % 3);
    if (rnd() % 3 == 0)
        set_masked(&m, FF_ETH_DST, (uint64_t)(rnd() % 2) << 40, 1ull << 40);
    return m;
}

struct oracle_rule {
    struct rule *r;
    struct flow_match m;
    uint16_t prio;
    uint64_t order; /* age among equal priorities */
};

static void test_random_against_oracle(void **state)
{
    (void)state;
    enum { MAX = 64 };
    struct rule_table *t = rule_table_create();
    struct oracle_rule o[MAX];
    size_t n = 0;
    uint64_t clock = 0;

    for (int step = 0; step < 3000; step++) {
        unsigned op = rnd() % 10;
        if (op < 6 && n < MAX) {
            struct flow_match m = random_match();
            uint16_t prio = (uint16_t)(rnd() % 4);
            struct rule *r = mk_rule(&m, prio, rnd() % 4);
            int rc = rule_table_insert(t, r, rnd() % 2);
            size_t j;
            for (j = 0; j < n; j++)
                if (o[j].prio == prio && flow_match_equal(&o[j].m, &r->match))
                    break;
            if (j < n) {
                assert_int_equal(rc, 1);
                o[j].r = r; /* takes the old one's place */
            } else {
                assert_int_equal(rc, 0);
                o[n++] = (struct oracle_rule){r, r->match, prio, clock};
            }
            clock++;
        } else if (op < 8 && n) {
            size_t j = rnd() % n;
            assert_int_equal(rule_table_remove_rule(t, o[j].r), 0);
            o[j] = o[--n];
        } else if (op == 8) {
            struct rule_filter f;
            rule_filter_init_all(&f);
            f.match = random_match();
            size_t expect = 0;
            for (size_t j = 0; j < n; j++)
                expect += rule_filter_selects(&f, o[j].r);
            assert_int_equal(rule_table_remove(t, &f, NULL, 0), expect);
            for (size_t j = 0; j < n;)
                if (rule_filter_selects(&f, o[j].r))
                    o[j] = o[--n];
                else
                    j++;
        }
        assert_int_equal(rule_table_count(t), n);
        if (rnd() % 4)
            continue;

        assert_int_equal(rule_table_publish(t), 0);
        /* Iteration visits every rule once, in lookup order. */
        size_t seen = 0;
        for (struct rule *r = rule_table_first(t), *prev = NULL; r;
             prev = r, r = rule_table_next(t, r), seen++)
            if (prev)
                assert_true(prev->priority > r->priority ||
                            (prev->priority == r->priority && prev->seq < r->seq));
        assert_int_equal(seen, n);

        for (int q = 0; q < 40; q++) {
            struct flow_key k = {0};
            k.in_port = rnd() % 3;
            k.nw_src = htonl((rnd() % 4) << 24 | (rnd() % 2) << 16);
            k.tp_dst = htons((uint16_t)(rnd() % 3));
            k.eth_dst[0] = (uint8_t)(rnd() % 2);
            const struct oracle_rule *best = NULL;
            for (size_t j = 0; j < n; j++)
                if (flow_match_hit(&o[j].m, &k) &&
                    (!best || o[j].prio > best->prio ||
                     (o[j].prio == best->prio && o[j].order < best->order)))
                    best = &o[j];
            assert_ptr_equal(lookup(t, &k), best ? best->r : NULL);
        }
    }
    rule_table_destroy(t);
}

/* ---- Real RCU: a reader thread against a churning writer -------------------------------- */

struct reader_ctx {
    struct rule_table *t;
    volatile int stop;
    uint64_t lookups, hits, bad; /* cmocka's asserts are not for other threads */
    int started;
};

static void *reader_main(void *arg)
{
    struct reader_ctx *c = arg;
    dp_rcu_register(0);
    struct flow_key k = key_tcp(1, 2, 3, 0);
    __atomic_store_n(&c->started, 1, __ATOMIC_RELEASE);
    while (!c->stop) {
        const struct rule_snapshot *s = rule_table_snapshot(c->t);
        for (uint16_t port = 0; port < 8; port++) {
            k.tp_dst = htons(port);
            struct rule *r = rule_snapshot_lookup(s, &k);
            c->lookups++;
            if (r) {
                /* Touch the rule as a PMD would: its actions and counters. */
                if (r->n_actions != 1 || r->actions[0].port != port + 1u)
                    c->bad++;
                rule_account(r, 1, 64, 1);
                c->hits++;
            }
        }
        dp_rcu_quiescent(0);
        sched_yield(); /* the test machine's cores are shared: do not hog one */
    }
    dp_rcu_unregister(0);
    return NULL;
}

static char eal_run_dir[PATH_MAX];

/* Runs even when the test failed half-way, so that no EAL state outlives the test. */
static int eal_teardown(void **state)
{
    (void)state;
    dp_rcu_fini();
    if (eal_run_dir[0]) {
        rte_eal_cleanup();
        rmdir(eal_run_dir); /* EAL leaves it behind, empty with --no-shconf */
    }
    return 0;
}

static void test_rcu_reader_vs_writer(void **state)
{
    (void)state;
    char prefix[64];
    snprintf(prefix, sizeof prefix, "--file-prefix=test-rule-table-%d", (int)getpid());
    char *argv[] = {"test-rule-table",
                    "--no-huge",
                    "--no-shconf",
                    "-m",
                    "64",
                    "--no-pci",
                    "-l",
                    "0",
                    "--log-level=lib.eal:error",
                    "--no-telemetry",
                    prefix,
                    NULL};
    int argc = (int)(sizeof argv / sizeof argv[0]) - 1;
    if (rte_eal_init(argc, argv) < 0)
        fail_msg("rte_eal_init failed: %s", rte_strerror(rte_errno));
    snprintf(eal_run_dir, sizeof eal_run_dir, "%s", rte_eal_get_runtime_dir());
    assert_int_equal(dp_rcu_init(1), 0);

    struct reader_ctx c = {.t = rule_table_create()};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, reader_main, &c), 0);
    while (!__atomic_load_n(&c.started, __ATOMIC_ACQUIRE))
        sched_yield();

    struct rule *live[8] = {0};
    for (int round = 0; round < 400; round++) {
        uint16_t port = (uint16_t)(round % 8);
        struct flow_match m = match_tcp();
        set_exact(&m, FF_TCP_DST, port);
        if (live[port] && round % 3 == 0) {
            assert_int_equal(rule_table_remove_rule(c.t, live[port]), 0);
            live[port] = NULL;
        } else {
            struct rule *r = mk_rule(&m, 1, port + 1);
            assert_true(rule_table_insert(c.t, r, true) >= 0);
            live[port] = r;
        }
        assert_int_equal(rule_table_publish(c.t), 0);
    }
    c.stop = 1;
    pthread_join(th, NULL);
    assert_true(c.lookups > 0);
    assert_int_equal(c.bad, 0);

    /* Counters of live rules only ever grow through replacements with keep_counters. */
    uint64_t total = 0;
    for (struct rule *r = rule_table_first(c.t); r; r = rule_table_next(c.t, r))
        total += r->n_packets;
    assert_true(total <= c.hits);
    print_message("rcu: %llu lookups, %llu hits, %llu still counted on live rules\n",
                  (unsigned long long)c.lookups, (unsigned long long)c.hits,
                  (unsigned long long)total);
    rule_table_destroy(c.t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_rule_create),
        cmocka_unit_test(test_priorities),
        cmocka_unit_test(test_equal_priority_insertion_order),
        cmocka_unit_test(test_masked_matches),
        cmocka_unit_test(test_replace),
        cmocka_unit_test(test_replace_twice_before_publish),
        cmocka_unit_test(test_insert_errors),
        cmocka_unit_test(test_filters),
        cmocka_unit_test(test_remove_and_publish),
        cmocka_unit_test(test_counters),
        cmocka_unit_test(test_random_against_oracle),
        cmocka_unit_test_teardown(test_rcu_reader_vs_writer, eal_teardown),
    };
    return cmocka_run_group_tests_name("rule-table", tests, NULL, NULL);
}
