/* mac-learning.c — see mac-learning.h for the layout and the lock-free protocol. */
#include "datapath/mac-learning.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/hash.h"

#define KEY_USED (1ull << 63)
#define NS_PER_S 1000000000ull

struct mac_table {
    uint32_t n_slots;
    uint32_t bucket_mask; /* n_slots / MAC_TABLE_WAYS - 1 */
    uint32_t aging_s;     /* __atomic: set by the control thread, read by dumps */
    uint64_t epoch_ns;
    uint64_t learned, moved, evicted, aged; /* __atomic, relaxed: rare events only */
    uint64_t *keys;  /* n_slots, 64-byte aligned: a bucket is one cache line */
    uint64_t *vals;
    uint32_t *seen;
};

static inline uint64_t mac_key(const uint8_t mac[6], uint16_t vlan)
{
    return KEY_USED | (uint64_t)(vlan & MAC_VLAN_MAX) << 48 | (uint64_t)mac[0] << 40 |
           (uint64_t)mac[1] << 32 | (uint64_t)mac[2] << 24 | (uint64_t)mac[3] << 16 |
           (uint64_t)mac[4] << 8 | mac[5];
}

/* A full 64-bit mix (datapath/hash.h): the low bits pick the bucket, the high half is the
 * fingerprint, so the two are independent. */
static inline uint64_t mac_hash(uint64_t key)
{
    return hash_fmix64(key);
}

static inline uint32_t now_s(const struct mac_table *t, uint64_t now_ns)
{
    return now_ns > t->epoch_ns ? (uint32_t)((now_ns - t->epoch_ns) / NS_PER_S) : 0;
}

static inline uint64_t *bucket_keys(const struct mac_table *t, uint64_t h, uint32_t *first)
{
    *first = (uint32_t)(h & t->bucket_mask) * MAC_TABLE_WAYS;
    return &t->keys[*first];
}

static inline uint64_t make_val(uint32_t ofport, uint64_t h)
{
    return (uint64_t)ofport << 32 | (uint32_t)(h >> 32);
}

static inline bool val_fits(uint64_t val, uint64_t h)
{
    return (uint32_t)val == (uint32_t)(h >> 32);
}

struct mac_table *mac_table_create(uint32_t capacity, uint32_t aging_s, uint64_t now_ns)
{
    uint32_t n = MAC_TABLE_WAYS;
    if (capacity > (1u << 24))
        capacity = 1u << 24;
    while (n < capacity)
        n <<= 1;
    struct mac_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->keys = aligned_alloc(64, (size_t)n * sizeof *t->keys);
    t->vals = calloc(n, sizeof *t->vals);
    t->seen = calloc(n, sizeof *t->seen);
    if (!t->keys || !t->vals || !t->seen) {
        mac_table_destroy(t);
        return NULL;
    }
    memset(t->keys, 0, (size_t)n * sizeof *t->keys);
    t->n_slots = n;
    t->bucket_mask = n / MAC_TABLE_WAYS - 1;
    t->aging_s = aging_s < MAC_AGING_MIN_S   ? MAC_AGING_MIN_S
                 : aging_s > MAC_AGING_MAX_S ? MAC_AGING_MAX_S
                                             : aging_s;
    t->epoch_ns = now_ns;
    return t;
}

void mac_table_destroy(struct mac_table *t)
{
    if (!t)
        return;
    free(t->keys);
    free(t->vals);
    free(t->seen);
    free(t);
}

bool mac_table_lookup(const struct mac_table *t, const uint8_t mac[6], uint16_t vlan,
                      uint32_t *ofport)
{
    if (vlan > MAC_VLAN_MAX)
        return false;
    uint64_t key = mac_key(mac, vlan), h = mac_hash(key);
    uint32_t first;
    const uint64_t *k = bucket_keys(t, h, &first);
    for (unsigned i = 0; i < MAC_TABLE_WAYS; i++)
        if (__atomic_load_n(&k[i], __ATOMIC_ACQUIRE) == key) {
            uint64_t v = __atomic_load_n(&t->vals[first + i], __ATOMIC_RELAXED);
            if (!val_fits(v, h))
                return false; /* torn by a racing writer: a miss, never a wrong port */
            *ofport = (uint32_t)(v >> 32);
            return true;
        }
    return false;
}

/* After inserting `key` in slot `mine`: if a racing writer put the same key in another slot
 * of the bucket, clear the later of the two, so that one slot answers for the address.
 * Sequentially consistent, with the insert's key store, so that of two racing inserters at
 * least one sees the other. */
static void drop_duplicate(uint64_t *k, unsigned mine, uint64_t key)
{
    for (unsigned i = 0; i < MAC_TABLE_WAYS; i++) {
        if (i == mine || __atomic_load_n(&k[i], __ATOMIC_SEQ_CST) != key)
            continue;
        uint64_t expected = key;
        __atomic_compare_exchange_n(&k[i > mine ? i : mine], &expected, 0, false,
                                    __ATOMIC_SEQ_CST, __ATOMIC_RELAXED);
        return;
    }
}

enum mac_learn_result mac_table_learn(struct mac_table *t, const uint8_t mac[6], uint16_t vlan,
                                      uint32_t ofport, uint64_t now_ns)
{
    if (mac_is_multicast(mac) || vlan > MAC_VLAN_MAX)
        return MAC_LEARN_IGNORED;
    uint64_t key = mac_key(mac, vlan), h = mac_hash(key);
    uint64_t val = make_val(ofport, h);
    uint32_t now = now_s(t, now_ns), first;
    uint64_t *k = bucket_keys(t, h, &first);
    int empty = -1, oldest = 0;
    uint32_t oldest_age = 0;
    for (unsigned i = 0; i < MAC_TABLE_WAYS; i++) {
        uint64_t ki = __atomic_load_n(&k[i], __ATOMIC_ACQUIRE);
        uint32_t *seen = &t->seen[first + i];
        if (ki == key) {
            uint64_t *v = &t->vals[first + i];
            enum mac_learn_result r = MAC_LEARN_REFRESHED;
            if (__atomic_load_n(v, __ATOMIC_RELAXED) != val) {
                /* Moved, or torn by a race: either way this packet says where it is. */
                __atomic_store_n(v, val, __ATOMIC_RELEASE);
                __atomic_fetch_add(&t->moved, 1, __ATOMIC_RELAXED);
                r = MAC_LEARN_MOVED;
            }
            /* Written at most once a second per address: refreshes stay read-only. */
            if (__atomic_load_n(seen, __ATOMIC_RELAXED) != now)
                __atomic_store_n(seen, now, __ATOMIC_RELAXED);
            return r;
        }
        if (!ki) {
            if (empty < 0)
                empty = (int)i;
        } else {
            uint32_t age = now - __atomic_load_n(seen, __ATOMIC_RELAXED);
            if (age >= oldest_age && age < (1u << 31)) {
                oldest_age = age;
                oldest = (int)i;
            }
        }
    }
    unsigned slot = (unsigned)(empty >= 0 ? empty : oldest);
    __atomic_store_n(&t->vals[first + slot], val, __ATOMIC_RELAXED);
    __atomic_store_n(&t->seen[first + slot], now, __ATOMIC_RELAXED);
    __atomic_store_n(&k[slot], key, __ATOMIC_SEQ_CST); /* release, and ordered before the re-check */
    drop_duplicate(k, slot, key);
    __atomic_fetch_add(&t->learned, 1, __ATOMIC_RELAXED);
    if (empty < 0) {
        __atomic_fetch_add(&t->evicted, 1, __ATOMIC_RELAXED);
        return MAC_LEARN_EVICTED;
    }
    return MAC_LEARN_NEW;
}

enum mac_normal_verdict mac_normal_decide(const struct mac_table *t, const uint8_t dst[6],
                                          uint16_t vlan, uint32_t in_ofport, uint32_t *out_port)
{
    uint32_t port;
    if (mac_is_multicast(dst) || !mac_table_lookup(t, dst, vlan, &port))
        return MAC_NORMAL_FLOOD;
    if (port == in_ofport)
        return MAC_NORMAL_DROP;
    *out_port = port;
    return MAC_NORMAL_FORWARD;
}

unsigned mac_table_age(struct mac_table *t, uint64_t now_ns)
{
    uint32_t now = now_s(t, now_ns), aging = __atomic_load_n(&t->aging_s, __ATOMIC_RELAXED);
    unsigned n = 0;
    for (uint32_t i = 0; i < t->n_slots; i++) {
        uint64_t key = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
        if (!key)
            continue;
        /* A PMD's coarse clock may run a little ahead of ours: a "negative" age is fresh. */
        int64_t age = (int64_t)now - (int64_t)__atomic_load_n(&t->seen[i], __ATOMIC_RELAXED);
        if (age <= (int64_t)aging)
            continue;
        /* Only if the slot still holds that key: a PMD may have just reused it. */
        if (__atomic_compare_exchange_n(&t->keys[i], &key, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            n++;
    }
    __atomic_fetch_add(&t->aged, n, __ATOMIC_RELAXED);
    return n;
}

unsigned mac_table_flush(struct mac_table *t, uint32_t ofport)
{
    unsigned n = 0;
    for (uint32_t i = 0; i < t->n_slots; i++) {
        uint64_t key = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
        if (!key)
            continue;
        if (ofport && (uint32_t)(__atomic_load_n(&t->vals[i], __ATOMIC_RELAXED) >> 32) != ofport)
            continue;
        if (__atomic_compare_exchange_n(&t->keys[i], &key, 0, false, __ATOMIC_ACQ_REL,
                                        __ATOMIC_RELAXED))
            n++;
    }
    return n;
}

int mac_table_set_aging(struct mac_table *t, uint32_t aging_s)
{
    if (aging_s < MAC_AGING_MIN_S || aging_s > MAC_AGING_MAX_S)
        return -EINVAL;
    __atomic_store_n(&t->aging_s, aging_s, __ATOMIC_RELAXED);
    return 0;
}

unsigned mac_table_dump(const struct mac_table *t, uint64_t now_ns, struct mac_entry *out,
                        unsigned max)
{
    uint32_t now = now_s(t, now_ns);
    unsigned n = 0;
    for (uint32_t i = 0; i < t->n_slots; i++) {
        uint64_t key = __atomic_load_n(&t->keys[i], __ATOMIC_ACQUIRE);
        if (!key)
            continue;
        uint64_t v = __atomic_load_n(&t->vals[i], __ATOMIC_RELAXED);
        if (!val_fits(v, mac_hash(key)))
            continue; /* mid-update: not an entry yet */
        if (n < max) {
            struct mac_entry *e = &out[n];
            for (int b = 0; b < 6; b++)
                e->mac[b] = (uint8_t)(key >> (40 - 8 * b));
            e->vlan = (uint16_t)((key >> 48) & MAC_VLAN_MAX);
            e->ofport = (uint32_t)(v >> 32);
            int64_t age = (int64_t)now - (int64_t)__atomic_load_n(&t->seen[i], __ATOMIC_RELAXED);
            e->age_s = age > 0 ? (uint32_t)age : 0;
        }
        n++;
    }
    return n;
}

void mac_table_get_stats(const struct mac_table *t, struct mac_table_stats *out)
{
    memset(out, 0, sizeof *out);
    out->capacity = t->n_slots;
    for (uint32_t i = 0; i < t->n_slots; i++)
        if (__atomic_load_n(&t->keys[i], __ATOMIC_RELAXED))
            out->n_entries++;
    out->aging_s = __atomic_load_n(&t->aging_s, __ATOMIC_RELAXED);
    out->learned = __atomic_load_n(&t->learned, __ATOMIC_RELAXED);
    out->moved = __atomic_load_n(&t->moved, __ATOMIC_RELAXED);
    out->evicted = __atomic_load_n(&t->evicted, __ATOMIC_RELAXED);
    out->aged = __atomic_load_n(&t->aged, __ATOMIC_RELAXED);
}
