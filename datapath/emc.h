/* emc.h — the exact-match cache: per PMD, in front of every table's classifier.
 *
 * What?
 *   A two-way set-associative cache from (bridge, table, full flow key) to the rule the table's
 *   classifier chose for that key (or to "no rule"). A hit costs one hash of the key and one
 *   key comparison instead of a tuple-space search; on a miss the classifier answers and the
 *   entry is refilled. Entries cache whole keys, so each is only good for packets identical in
 *   every parsed field: exactly what a stream of packets of one connection is.
 *
 * Why it is always right.
 *   An entry records the table's published version when it was filled (classifier.h:
 *   every change to a table publishes a new version, and versions only grow). A lookup uses
 *   the entry only when the table's current version is the same: then no rule was added,
 *   replaced or removed since, so the answer is still the classifier's answer, and the rule
 *   is still visible, hence alive. Any change to a table invalidates all its entries at
 *   once, at no cost to the writer. Bridges are named by id (never reused), not pointer.
 *
 * Threads: each PMD owns its cache; nothing is shared. The megaflow cache (wildcarded
 * entries built from the classifier's un-wildcarding) will sit between this and the
 * pipeline in a later step.
 */
#ifndef SLUICE_DATAPATH_EMC_H
#define SLUICE_DATAPATH_EMC_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "datapath/flow-table.h"

enum { EMC_ENTRIES = 4096 }; /* a power of two; ~720 KiB per PMD */

struct emc_entry {
    uint32_t hash;
    uint32_t bridge_id; /* 0: empty */
    uint64_t version;
    struct rule *rule;  /* NULL: the table had no matching rule */
    uint8_t table;
    struct flow_key key;
};

struct emc {
    uint64_t hits;
    uint64_t misses;
    struct emc_entry e[EMC_ENTRIES];
};

static inline bool emc_entry_is(const struct emc_entry *e, uint32_t hash, uint32_t bridge_id,
                                uint8_t table, uint64_t version, const struct flow_key *k)
{
    return e->hash == hash && e->bridge_id == bridge_id && e->table == table &&
           e->version == version && !memcmp(&e->key, k, sizeof *k);
}

/* The rule table `table` of bridge `bridge_id` (whose flow table is `t`) gives for key `k`.
 * Two-way: a key may live in either of two slots (from two halves of its hash), so two hot
 * keys that collide in one slot do not evict each other on every packet. */
static inline struct rule *emc_lookup(struct emc *c, uint32_t bridge_id, uint8_t table,
                                      const struct flow_table *t, const struct flow_key *k)
{
    uint64_t version = cls_version(t->cls);
    uint32_t hash = flow_key_hash(k, bridge_id * 64u + table);
    struct emc_entry *e1 = &c->e[hash & (EMC_ENTRIES - 1)];
    struct emc_entry *e2 = &c->e[(hash >> 16) & (EMC_ENTRIES - 1)];
    if (emc_entry_is(e1, hash, bridge_id, table, version, k)) {
        __atomic_store_n(&c->hits, c->hits + 1, __ATOMIC_RELAXED);
        return e1->rule;
    }
    if (emc_entry_is(e2, hash, bridge_id, table, version, k)) {
        __atomic_store_n(&c->hits, c->hits + 1, __ATOMIC_RELAXED);
        return e2->rule;
    }
    __atomic_store_n(&c->misses, c->misses + 1, __ATOMIC_RELAXED);
    struct rule *r = cls_lookup(t->cls, k, version, NULL);
    /* Replace an empty or stale slot if there is one, else alternate by a hash bit. */
    struct emc_entry *e;
    if (!e1->bridge_id || e1->version != version)
        e = e1;
    else if (!e2->bridge_id || e2->version != version)
        e = e2;
    else
        e = (hash & (1u << 15)) ? e1 : e2;
    e->hash = hash;
    e->bridge_id = bridge_id;
    e->table = table;
    e->version = version;
    e->rule = r;
    e->key = *k;
    return r;
}

#endif
