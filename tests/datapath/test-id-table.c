/* test-id-table.c — the RCU-published id tables behind groups and meters, and the meter's
 * token buckets. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/meter.h"

static int n_freed;
static void count_free(void *p)
{
    n_freed++;
    free(p);
}

struct obj {
    uint32_t id;
    int tag;
};

static struct obj *obj(uint32_t id, int tag)
{
    struct obj *o = malloc(sizeof *o);
    o->id = id;
    o->tag = tag;
    return o;
}

static void test_put_replace_remove_publish(void **state)
{
    (void)state;
    n_freed = 0;
    struct id_table *t = id_table_create(count_free);
    assert_non_null(t);
    assert_null(id_table_put(t, obj(5, 1)));
    assert_null(id_table_put(t, obj(1, 1)));
    assert_null(id_table_put(t, obj(9, 1)));
    /* Readers see nothing before publication. */
    assert_int_equal(id_table_view(t)->n, 0);
    assert_int_equal(id_table_publish(t), 0);
    const struct id_table_view *v = id_table_view(t);
    assert_int_equal(v->n, 3);
    assert_int_equal(((struct obj *)v->items[0])->id, 1); /* sorted by id */
    assert_int_equal(((struct obj *)v->items[2])->id, 9);
    assert_non_null(id_table_view_find(v, 5));
    assert_null(id_table_view_find(v, 6));

    /* Replace: the old object stays valid until the next publication frees it. */
    struct obj *old = id_table_put(t, obj(5, 2));
    assert_non_null(old);
    assert_int_equal(old->tag, 1);
    assert_int_equal(((struct obj *)id_table_view_find(id_table_view(t), 5))->tag, 1);
    assert_non_null(id_table_remove(t, 9));
    assert_null(id_table_remove(t, 9));
    assert_int_equal(n_freed, 0);
    assert_int_equal(id_table_publish(t), 0);
    assert_int_equal(n_freed, 2);
    v = id_table_view(t);
    assert_int_equal(v->n, 2);
    assert_int_equal(((struct obj *)id_table_view_find(v, 5))->tag, 2);
    assert_null(id_table_view_find(v, 9));
    assert_int_equal(id_table_count(t), 2);
    assert_int_equal(((struct obj *)id_table_at(t, 1))->id, 5);
    id_table_destroy(t);
    assert_int_equal(n_freed, 4);
}

static struct dp_meter *meter_drop(uint16_t flags, uint32_t rate, uint32_t burst)
{
    struct dp_meter *m = dp_meter_alloc(1, flags, 1);
    m->bands[0].type = DP_METER_BAND_DROP;
    m->bands[0].rate = rate;
    m->bands[0].burst_size = burst;
    dp_meter_init_buckets(m, 0);
    return m;
}

static void test_meter_pktps(void **state)
{
    (void)state;
    /* 100 packets/s, burst 10: a burst of 10 passes, the 11th drops; 100 ms later 10 more. */
    struct dp_meter *m = meter_drop(DP_METER_PKTPS | DP_METER_BURST, 100, 10);
    int passed = 0;
    for (int i = 0; i < 20; i++)
        passed += dp_meter_apply(m, 64, 0);
    assert_int_equal(passed, 10);
    passed = 0;
    for (int i = 0; i < 20; i++)
        passed += dp_meter_apply(m, 64, 100000000ull);
    assert_int_equal(passed, 10);
    assert_int_equal(m->n_packets, 40);
    assert_int_equal(m->bands[0].n_packets, 20);

    /* Over one simulated second at 1000 pps offered, about 100 pass. */
    passed = 0;
    for (int i = 0; i < 1000; i++)
        passed += dp_meter_apply(m, 64, 1000000000ull + (uint64_t)i * 1000000ull);
    assert_in_range(passed, 95, 115);
    dp_meter_free(m);
}

static void test_meter_kbps(void **state)
{
    (void)state;
    /* 1000 kbps without BURST: a second's worth (125000 bytes) is the bucket. */
    struct dp_meter *m = meter_drop(DP_METER_KBPS, 1000, 0);
    uint64_t bytes = 0;
    for (int i = 0; i < 200; i++)
        if (dp_meter_apply(m, 1000, 0))
            bytes += 1000;
    assert_int_equal(bytes, 125000);
    /* Then the rate: 10 ms buys 1250 bytes: one 1000-byte packet, not two. */
    assert_true(dp_meter_apply(m, 1000, 10000000ull));
    assert_false(dp_meter_apply(m, 1000, 10000000ull));
    dp_meter_free(m);
}

static void test_group_alloc_limits(void **state)
{
    (void)state;
    struct dp_group *g = dp_group_alloc(7, DP_GROUP_SELECT, 3);
    assert_non_null(g);
    assert_int_equal(g->id, 7);
    assert_int_equal(g->n_buckets, 3);
    dp_group_free(g);
    assert_null(dp_group_alloc(1, DP_GROUP_ALL, DP_GROUP_MAX_BUCKETS + 1));
    assert_null(dp_meter_alloc(1, DP_METER_KBPS, DP_METER_MAX_BANDS + 1));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_put_replace_remove_publish),
        cmocka_unit_test(test_meter_pktps),
        cmocka_unit_test(test_meter_kbps),
        cmocka_unit_test(test_group_alloc_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
