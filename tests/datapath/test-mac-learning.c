/* test-mac-learning.c — NORMAL's MAC learning table (datapath/mac-learning.h): learning,
 * lookup, moves, VLANs, aging, eviction, flushes, the forwarding decision, and a smoke test
 * of concurrent learners and readers. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "datapath/mac-learning.h"
#include "datapath/actions.h"

#define S 1000000000ull /* ns per second */
#define T0 (1000 * S)

static void mac_of(uint32_t n, uint8_t mac[6])
{
    mac[0] = 0x02; /* locally administered unicast */
    mac[1] = 0x00;
    mac[2] = (uint8_t)(n >> 24);
    mac[3] = (uint8_t)(n >> 16);
    mac[4] = (uint8_t)(n >> 8);
    mac[5] = (uint8_t)n;
}

static uint32_t port_of(const struct mac_table *t, uint32_t n, uint16_t vlan)
{
    uint8_t mac[6];
    mac_of(n, mac);
    uint32_t port = 0;
    return mac_table_lookup(t, mac, vlan, &port) ? port : 0;
}

static enum mac_learn_result learn(struct mac_table *t, uint32_t n, uint16_t vlan,
                                   uint32_t port, uint64_t now)
{
    uint8_t mac[6];
    mac_of(n, mac);
    return mac_table_learn(t, mac, vlan, port, now);
}

static void test_learn_lookup_refresh(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(64, 300, T0);
    assert_non_null(t);
    assert_int_equal(port_of(t, 1, 0), 0);
    assert_int_equal(learn(t, 1, 0, 5, T0), MAC_LEARN_NEW);
    assert_int_equal(learn(t, 2, 0, 6, T0), MAC_LEARN_NEW);
    assert_int_equal(port_of(t, 1, 0), 5);
    assert_int_equal(port_of(t, 2, 0), 6);
    assert_int_equal(learn(t, 1, 0, 5, T0 + S), MAC_LEARN_REFRESHED);
    assert_int_equal(port_of(t, 1, 0), 5);
    /* Broadcast and multicast sources are never learned; bad VLANs neither. */
    uint8_t bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t mcast[6] = {0x01, 0x00, 0x5e, 0x00, 0x00, 0x01};
    uint32_t port;
    assert_int_equal(mac_table_learn(t, bcast, 0, 3, T0), MAC_LEARN_IGNORED);
    assert_int_equal(mac_table_learn(t, mcast, 0, 3, T0), MAC_LEARN_IGNORED);
    assert_false(mac_table_lookup(t, bcast, 0, &port));
    assert_false(mac_table_lookup(t, mcast, 0, &port));
    assert_int_equal(learn(t, 3, 4096, 3, T0), MAC_LEARN_IGNORED);
    struct mac_table_stats st;
    mac_table_get_stats(t, &st);
    assert_int_equal(st.n_entries, 2);
    assert_int_equal(st.learned, 2);
    assert_int_equal(st.capacity, 64);
    assert_int_equal(st.aging_s, 300);
    mac_table_destroy(t);
}

static void test_move(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(64, 300, T0);
    learn(t, 7, 0, 1, T0);
    assert_int_equal(learn(t, 7, 0, 2, T0 + S), MAC_LEARN_MOVED);
    assert_int_equal(port_of(t, 7, 0), 2);
    assert_int_equal(learn(t, 7, 0, 2, T0 + S), MAC_LEARN_REFRESHED);
    struct mac_table_stats st;
    mac_table_get_stats(t, &st);
    assert_int_equal(st.n_entries, 1); /* moved in place, not a second entry */
    assert_int_equal(st.moved, 1);
    mac_table_destroy(t);
}

static void test_vlans_are_separate(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(64, 300, T0);
    learn(t, 9, 0, 1, T0);
    learn(t, 9, 10, 2, T0);
    learn(t, 9, 4095, 3, T0);
    assert_int_equal(port_of(t, 9, 0), 1);
    assert_int_equal(port_of(t, 9, 10), 2);
    assert_int_equal(port_of(t, 9, 4095), 3);
    assert_int_equal(port_of(t, 9, 11), 0);
    /* A move in one VLAN leaves the others alone. */
    learn(t, 9, 10, 4, T0);
    assert_int_equal(port_of(t, 9, 0), 1);
    assert_int_equal(port_of(t, 9, 10), 4);
    mac_table_destroy(t);
}

static void test_aging(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(64, 10, T0);
    learn(t, 1, 0, 1, T0);
    learn(t, 2, 0, 2, T0);
    assert_int_equal(mac_table_age(t, T0 + 10 * S), 0); /* exactly the aging time: kept */
    learn(t, 2, 0, 2, T0 + 5 * S);                      /* refreshed: lives longer */
    assert_int_equal(mac_table_age(t, T0 + 11 * S), 1);
    assert_int_equal(port_of(t, 1, 0), 0);
    assert_int_equal(port_of(t, 2, 0), 2);
    assert_int_equal(mac_table_age(t, T0 + 16 * S), 1);
    assert_int_equal(port_of(t, 2, 0), 0);
    struct mac_table_stats st;
    mac_table_get_stats(t, &st);
    assert_int_equal(st.aged, 2);
    assert_int_equal(st.n_entries, 0);
    /* The aging time can change; out of range it stays as it was. */
    assert_int_equal(mac_table_set_aging(t, 0), -EINVAL);
    assert_int_equal(mac_table_set_aging(t, MAC_AGING_MAX_S + 1), -EINVAL);
    assert_int_equal(mac_table_set_aging(t, 100), 0);
    learn(t, 3, 0, 3, T0 + 20 * S);
    assert_int_equal(mac_table_age(t, T0 + 60 * S), 0);
    assert_int_equal(mac_table_age(t, T0 + 121 * S), 1);
    mac_table_destroy(t);
}

/* One bucket (capacity MAC_TABLE_WAYS): every address competes for the same slots. */
static void test_eviction_of_oldest(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(1, 300, T0);
    struct mac_table_stats st;
    mac_table_get_stats(t, &st);
    assert_int_equal(st.capacity, MAC_TABLE_WAYS);
    for (uint32_t i = 0; i < MAC_TABLE_WAYS; i++)
        assert_int_equal(learn(t, 100 + i, 0, i + 1, T0 + (10 + i) * S), MAC_LEARN_NEW);
    /* The first one learned is refreshed, so the second is now the oldest. */
    learn(t, 100, 0, 1, T0 + 30 * S);
    assert_int_equal(learn(t, 200, 0, 50, T0 + 31 * S), MAC_LEARN_EVICTED);
    assert_int_equal(port_of(t, 200, 0), 50);
    assert_int_equal(port_of(t, 101, 0), 0);
    assert_int_equal(port_of(t, 100, 0), 1);
    for (uint32_t i = 2; i < MAC_TABLE_WAYS; i++)
        assert_int_equal(port_of(t, 100 + i, 0), i + 1);
    mac_table_get_stats(t, &st);
    assert_int_equal(st.n_entries, MAC_TABLE_WAYS);
    assert_int_equal(st.evicted, 1);
    /* Capacity bounds the table whatever is learned. */
    for (uint32_t i = 0; i < 1000; i++)
        learn(t, 1000 + i, 0, 9, T0 + (40 + i) * S);
    mac_table_get_stats(t, &st);
    assert_int_equal(st.n_entries, MAC_TABLE_WAYS);
    assert_int_equal(port_of(t, 1999, 0), 9); /* the newest is always there */
    mac_table_destroy(t);
}

static void test_flush_and_dump(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(256, 300, T0);
    for (uint32_t i = 0; i < 30; i++)
        learn(t, i, (uint16_t)(i % 3), 1 + i % 2, T0);
    struct mac_entry e[64];
    assert_int_equal(mac_table_dump(t, T0 + 7 * S, e, 64), 30);
    unsigned on_port1 = 0;
    for (int i = 0; i < 30; i++) {
        uint32_t n = (uint32_t)e[i].mac[2] << 24 | (uint32_t)e[i].mac[3] << 16 |
                     (uint32_t)e[i].mac[4] << 8 | e[i].mac[5];
        assert_int_equal(e[i].mac[0], 0x02);
        assert_int_equal(e[i].vlan, n % 3);
        assert_int_equal(e[i].ofport, 1 + n % 2);
        assert_int_equal(e[i].age_s, 7);
        on_port1 += e[i].ofport == 1;
    }
    assert_int_equal(on_port1, 15);
    assert_int_equal(mac_table_dump(t, T0, e, 4), 30); /* the count even when cut short */
    assert_int_equal(mac_table_flush(t, 1), 15);
    assert_int_equal(port_of(t, 0, 0), 0);
    assert_int_equal(port_of(t, 1, 1), 2);
    assert_int_equal(mac_table_flush(t, 0), 15);
    assert_int_equal(mac_table_dump(t, T0, e, 64), 0);
    mac_table_destroy(t);
}

static void test_normal_decisions(void **state)
{
    (void)state;
    struct mac_table *t = mac_table_create(64, 300, T0);
    uint8_t a[6], b[6], bcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    uint8_t mcast[6] = {0x33, 0x33, 0x00, 0x00, 0x00, 0x01};
    mac_of(1, a);
    mac_of(2, b);
    uint32_t out = 0;
    /* Unknown destination: flood. */
    assert_int_equal(mac_normal_decide(t, b, 0, 1, &out), MAC_NORMAL_FLOOD);
    mac_table_learn(t, a, 0, 1, T0);
    mac_table_learn(t, b, 0, 2, T0);
    assert_int_equal(mac_normal_decide(t, b, 0, 1, &out), MAC_NORMAL_FORWARD);
    assert_int_equal(out, 2);
    assert_int_equal(mac_normal_decide(t, a, 0, 2, &out), MAC_NORMAL_FORWARD);
    assert_int_equal(out, 1);
    /* Learned on the ingress port: it is already there. */
    assert_int_equal(mac_normal_decide(t, b, 0, 2, &out), MAC_NORMAL_DROP);
    /* Broadcast and multicast always flood, even if someone sent from such an address. */
    assert_int_equal(mac_normal_decide(t, bcast, 0, 1, &out), MAC_NORMAL_FLOOD);
    assert_int_equal(mac_normal_decide(t, mcast, 0, 1, &out), MAC_NORMAL_FLOOD);
    /* Another VLAN does not know b. */
    assert_int_equal(mac_normal_decide(t, b, 5, 1, &out), MAC_NORMAL_FLOOD);
    /* From the controller (no ingress port): forwarded to where b lives. */
    assert_int_equal(mac_normal_decide(t, b, 0, DP_OFPORT_CONTROLLER, &out), MAC_NORMAL_FORWARD);
    assert_int_equal(out, 2);
    /* The decision follows a move at once: nothing is cached. */
    mac_table_learn(t, b, 0, 3, T0 + S);
    assert_int_equal(mac_normal_decide(t, b, 0, 1, &out), MAC_NORMAL_FORWARD);
    assert_int_equal(out, 3);
    mac_table_flush(t, 0);
    assert_int_equal(mac_normal_decide(t, b, 0, 1, &out), MAC_NORMAL_FLOOD);
    mac_table_destroy(t);
}

/* --- Concurrency smoke: learners and readers on one small table ------------------------- */

enum { N_ADDRS = 512, ROUNDS = 2000 };

struct worker {
    struct mac_table *t;
    unsigned id;
    uint64_t wrong;  /* lookups that answered a port nobody ever learned for the address */
    uint64_t hits;
};

/* Address n is only ever learned on port 1 + n % 7, or (moving) on 100 + n % 7. */
static bool port_ok(uint32_t n, uint32_t port)
{
    return port == 1 + n % 7 || port == 100 + n % 7;
}

static void *learner(void *arg)
{
    struct worker *w = arg;
    for (unsigned r = 0; r < ROUNDS; r++)
        for (uint32_t n = 0; n < N_ADDRS; n++) {
            uint32_t port = ((r + w->id) & 1) ? 100 + n % 7 : 1 + n % 7;
            learn(w->t, n, (uint16_t)(n % 2), port, T0 + r * S / 8);
            uint32_t got = port_of(w->t, (n * 7919u) % N_ADDRS, (uint16_t)((n * 7919u) % 2));
            if (got) {
                w->hits++;
                if (!port_ok((n * 7919u) % N_ADDRS, got))
                    w->wrong++;
            }
        }
    return NULL;
}

static void test_concurrent_learners(void **state)
{
    (void)state;
    /* 128 slots for 512 addresses: constant eviction, racing writers on the same slots. */
    struct mac_table *t = mac_table_create(128, 300, T0);
    struct worker w[3] = {{t, 0, 0, 0}, {t, 1, 0, 0}, {t, 2, 0, 0}};
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        assert_int_equal(pthread_create(&th[i], NULL, learner, &w[i]), 0);
    /* Meanwhile the "control thread" ages and dumps. */
    struct mac_entry e[128];
    for (int i = 0; i < 200; i++) {
        mac_table_age(t, T0 + (uint64_t)i * S);
        unsigned n = mac_table_dump(t, T0, e, 128);
        assert_true(n <= 128);
        for (unsigned k = 0; k < n; k++) {
            uint32_t a = (uint32_t)e[k].mac[4] << 8 | e[k].mac[5];
            assert_true(port_ok(a, e[k].ofport));
            assert_int_equal(e[k].vlan, a % 2);
        }
    }
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    uint64_t hits = 0;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(w[i].wrong, 0);
        hits += w[i].hits;
    }
    assert_true(hits > 0);
    /* Afterwards every entry is a consistent one, and no address is in two slots. */
    unsigned n = mac_table_dump(t, T0, e, 128);
    assert_true(n > 0 && n <= 128);
    for (unsigned k = 0; k < n; k++)
        for (unsigned j = k + 1; j < n; j++)
            assert_false(!memcmp(e[k].mac, e[j].mac, 6) && e[k].vlan == e[j].vlan);
    mac_table_destroy(t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_learn_lookup_refresh),
        cmocka_unit_test(test_move),
        cmocka_unit_test(test_vlans_are_separate),
        cmocka_unit_test(test_aging),
        cmocka_unit_test(test_eviction_of_oldest),
        cmocka_unit_test(test_flush_and_dump),
        cmocka_unit_test(test_normal_decisions),
        cmocka_unit_test(test_concurrent_learners),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
