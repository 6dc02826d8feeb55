/* test-emc.c — the exact-match cache gives the classifier's answer, and no stale one. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "datapath/emc.h"
#include "datapath/flow-field.h"

static struct flow_key key_for_port(uint32_t in_port, uint32_t nw_dst)
{
    struct flow_key k;
    memset(&k, 0, sizeof k);
    k.in_port = in_port;
    k.eth_type = __builtin_bswap16(0x0800);
    k.nw_dst = __builtin_bswap32(nw_dst);
    return k;
}

static struct rule *rule_in_port(uint32_t in_port, uint16_t prio)
{
    struct flow_match m;
    memset(&m, 0, sizeof m);
    flow_match_set_field(&m, &flow_fields[FF_IN_PORT], in_port, 0xffffffffu);
    struct dp_action a = {.type = DP_ACT_OUTPUT, .port = 2};
    return rule_create(&m, prio, &a, 1);
}

static void test_hit_after_miss(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_create();
    struct emc *c = calloc(1, sizeof *c);
    assert_non_null(t);
    assert_non_null(c);
    struct rule *r = rule_in_port(1, 10);
    assert_int_equal(flow_table_insert(t, r, false), 0);
    assert_int_equal(flow_table_publish(t), 0);

    struct flow_key k = key_for_port(1, 0x0a000001);
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), r);
    assert_int_equal(c->misses, 1);
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), r);
    assert_int_equal(c->hits, 1);

    /* Another key, another entry; a key with no rule is cached as a miss too. */
    struct flow_key k2 = key_for_port(7, 0x0a000001);
    assert_null(emc_lookup(c, 1, 0, t, &k2));
    assert_null(emc_lookup(c, 1, 0, t, &k2));
    assert_int_equal(c->hits, 2);

    /* The same key in another table or bridge is not the same entry. */
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), r);
    uint64_t misses = c->misses;
    assert_ptr_equal(emc_lookup(c, 2, 0, t, &k), r);
    assert_int_equal(c->misses, misses + 1);
    flow_table_destroy(t);
    free(c);
}

static void test_change_invalidates(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_create();
    struct emc *c = calloc(1, sizeof *c);
    struct rule *low = rule_in_port(1, 10);
    assert_int_equal(flow_table_insert(t, low, false), 0);
    assert_int_equal(flow_table_publish(t), 0);
    struct flow_key k = key_for_port(1, 0x0a000001);
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), low);

    /* A higher-priority rule: the cached answer must not survive the new version. */
    struct flow_match m;
    memset(&m, 0, sizeof m);
    flow_match_set_field(&m, &flow_fields[FF_ETH_TYPE], 0x0800, 0xffff);
    struct rule *high = rule_create(&m, 20, NULL, 0);
    assert_int_equal(flow_table_insert(t, high, false), 0);
    /* Not yet published: PMDs still see the old answer. */
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), low);
    assert_int_equal(flow_table_publish(t), 0);
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), high);

    /* Removing it: back to the low one, never the freed rule. */
    assert_int_equal(flow_table_remove(t, high), 0);
    assert_int_equal(flow_table_publish(t), 0);
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), low);
    assert_int_equal(flow_table_publish(t), 0); /* reclaims `high` */
    assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), low);
    flow_table_destroy(t);
    free(c);
}

static void test_agrees_with_classifier(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_create();
    struct emc *c = calloc(1, sizeof *c);
    for (uint32_t p = 1; p <= 50; p++)
        assert_int_equal(flow_table_insert(t, rule_in_port(p, (uint16_t)(p % 7)), false), 0);
    assert_int_equal(flow_table_publish(t), 0);
    srand(7);
    for (int i = 0; i < 20000; i++) {
        struct flow_key k = key_for_port((uint32_t)(rand() % 60), (uint32_t)(rand() % 300));
        assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), flow_table_lookup(t, &k));
    }
    assert_true(c->hits > 0);
    flow_table_destroy(t);
    free(c);
}

/* 1000 flows in round robin (what a traffic generator sends) must fit: with one slot per
 * key, colliding pairs evicted each other on every pass (a 76% hit rate was measured). */
static void test_round_robin_fits(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_create();
    struct emc *c = calloc(1, sizeof *c);
    assert_int_equal(flow_table_insert(t, rule_in_port(1, 10), false), 0);
    /* A second mask (nw_dst, tp_src) widens the union: every flow is its own entry. */
    struct flow_match m;
    memset(&m, 0, sizeof m);
    flow_match_set_field(&m, &flow_fields[FF_ETH_TYPE], 0x0800, 0xffff);
    flow_match_set_field(&m, &flow_fields[FF_IP_PROTO], 6, 0xff);
    flow_match_set_field(&m, &flow_fields[FF_IPV4_DST], 0x01020304, 0xffffffffu);
    flow_match_set_field(&m, &flow_fields[FF_TCP_SRC], 9, 0xffff);
    assert_int_equal(flow_table_insert(t, rule_create(&m, 5, NULL, 0), false), 0);
    assert_int_equal(flow_table_publish(t), 0);
    for (int pass = 0; pass < 3; pass++)
        for (uint32_t f = 0; f < 1000; f++) {
            struct flow_key k = key_for_port(1, 0x0a000000 + f);
            k.tp_src = (uint16_t)__builtin_bswap16((uint16_t)(1024 + f));
            assert_non_null(emc_lookup(c, 1, 0, t, &k));
        }
    /* Passes 2 and 3: 2000 lookups; allow a few residual three-way collisions. */
    assert_true(c->hits >= 1960);
    flow_table_destroy(t);
    free(c);
}

/* Entries are keyed by the table's mask union: with only in_port rules, packets that differ
 * elsewhere share one entry; once a rule also looks at nw_dst, they no longer do. */
static void test_keyed_by_union(void **state)
{
    (void)state;
    struct flow_table *t = flow_table_create();
    struct emc *c = calloc(1, sizeof *c);
    struct rule *port = rule_in_port(1, 10);
    assert_int_equal(flow_table_insert(t, port, false), 0);
    assert_int_equal(flow_table_publish(t), 0);
    for (uint32_t f = 0; f < 100; f++) {
        struct flow_key k = key_for_port(1, 0x0a000000 + f);
        assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), port);
    }
    assert_int_equal(c->misses, 1);
    assert_int_equal(c->hits, 99);

    struct flow_match m;
    memset(&m, 0, sizeof m);
    flow_match_set_field(&m, &flow_fields[FF_ETH_TYPE], 0x0800, 0xffff);
    flow_match_set_field(&m, &flow_fields[FF_IPV4_DST], 0x0a000007, 0xffffffffu);
    struct rule *host = rule_create(&m, 20, NULL, 0);
    assert_int_equal(flow_table_insert(t, host, false), 0);
    assert_int_equal(flow_table_publish(t), 0);
    for (int pass = 0; pass < 2; pass++)
        for (uint32_t f = 0; f < 100; f++) {
            struct flow_key k = key_for_port(1, 0x0a000000 + f);
            assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), f == 7 ? host : port);
        }
    assert_int_equal(c->misses, 1 + 100);

    /* The mask leaves the union once its rule is gone and reclaimed: one entry again. */
    assert_int_equal(flow_table_remove(t, host), 0);
    assert_int_equal(flow_table_publish(t), 0);
    assert_int_equal(flow_table_publish(t), 0); /* reclaims */
    uint64_t misses = c->misses;
    for (uint32_t f = 0; f < 100; f++) {
        struct flow_key k = key_for_port(1, 0x0a000000 + f);
        assert_ptr_equal(emc_lookup(c, 1, 0, t, &k), port);
    }
    assert_int_equal(c->misses, misses + 1);
    flow_table_destroy(t);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hit_after_miss),
        cmocka_unit_test(test_change_invalidates),
        cmocka_unit_test(test_agrees_with_classifier),
        cmocka_unit_test(test_round_robin_fits),
        cmocka_unit_test(test_keyed_by_union),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
