/* emc.h — the exact-match cache: per PMD, in front of every table's classifier.
 *
 * What?
 *   A two-way set-associative cache from (bridge, table, the key's bits under the table's
 *   mask union) to the rule the table's classifier chose for that key (or to "no rule"). A
 *   hit costs one hash and one comparison of those words instead of a tuple-space search; on
 *   a miss the classifier answers and the entry is refilled. With few masks the union is
 *   narrow (in_port-only tables: one word), so an entry serves many connections; with
 *   5-tuple rules it is a whole connection, as a full-key cache would be.
 *
 * Why it is always right.
 *   An entry records the table's published version when it was filled (classifier.h:
 *   every change to a table publishes a new version, and versions only grow). A lookup uses
 *   the entry only when the table's current version is the same: then no rule was added,
 *   replaced or removed since, so the answer is still the classifier's answer, and the rule
 *   is still visible, hence alive. Any change to a table invalidates all its entries at
 *   once, at no cost to the writer. Bridges are named by id (never reused), not pointer.
 *   An entry also records which mask union (its generation) its words were taken under;
 *   a union covers every mask visible at the version, so two keys equal under it get the
 *   same answer (the union only grows before a version that needs it, and shrinks only
 *   once no reader can see the rules whose masks left it).
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
#include "datapath/hash.h"

enum { EMC_ENTRIES = 4096 }; /* a power of two; ~800 KiB per PMD */

/* An entry caches the table's answer for the key's words under the table's mask union
 * (classifier.h, cls_union): the answer depends on nothing else, so one entry serves every
 * packet that agrees on those bits (e.g. a table matching only in_port: one entry per
 * port), and hashing or comparing costs only those words, not all FLOW_KEY_WORDS. */
struct emc_entry {
    uint32_t hash;
    uint32_t bridge_id; /* 0: empty */
    uint64_t version;
    uint64_t gen;       /* the cls_union the words were taken under */
    struct rule *rule;  /* NULL: the table had no matching rule */
    uint8_t table;
    uint64_t words[FLOW_KEY_WORDS]; /* key words word_idx[i] & mask_words[i] */
};

struct emc {
    uint64_t hits;
    uint64_t misses;
    struct emc_entry e[EMC_ENTRIES];
};

/* Masked key words (into w) and their hash (datapath/hash.h). */
static inline uint32_t emc_key_words(const struct cls_union *u, const struct flow_key *k,
                                     uint32_t basis, uint64_t *w)
{
    uint64_t h = hash_start(basis);
    for (uint32_t i = 0; i < u->n_words; i++) {
        uint64_t x;
        memcpy(&x, (const uint8_t *)k + u->word_idx[i] * sizeof x, sizeof x);
        w[i] = x & u->mask_words[i];
        h = hash_step(h, w[i]);
    }
    return (uint32_t)hash_fmix64(h);
}

static inline bool emc_entry_is(const struct emc_entry *e, uint32_t hash, uint32_t bridge_id,
                                uint8_t table, uint64_t version, const struct cls_union *u,
                                const uint64_t *w)
{
    if (e->hash != hash || e->bridge_id != bridge_id || e->table != table ||
        e->version != version || e->gen != u->gen)
        return false;
    uint64_t diff = 0;
    for (uint32_t i = 0; i < u->n_words; i++)
        diff |= e->words[i] ^ w[i];
    return diff == 0;
}

/* What the rule table `table` of bridge `bridge_id` (flow table `t`) gives for key `k` at
 * `version`, with `u` the table's mask union loaded AFTER `version` (cls_version() then
 * cls_union(): a union that new rules' masks joined is published before their version, so
 * this order gives a union that covers every rule visible at `version`). Only the words `u`
 * names are read from `k`. Two-way: a key may live in either of two slots (from two halves
 * of its hash), so two hot keys that collide in one slot do not evict each other. */
static inline struct rule *emc_lookup_union(struct emc *c, uint32_t bridge_id, uint8_t table,
                                            const struct flow_table *t, uint64_t version,
                                            const struct cls_union *u, const struct flow_key *k)
{
    uint64_t w[FLOW_KEY_WORDS];
    uint32_t hash = emc_key_words(u, k, bridge_id * 64u + table, w);
    struct emc_entry *e1 = &c->e[hash & (EMC_ENTRIES - 1)];
    struct emc_entry *e2 = &c->e[(hash >> 16) & (EMC_ENTRIES - 1)];
    if (emc_entry_is(e1, hash, bridge_id, table, version, u, w)) {
        __atomic_store_n(&c->hits, c->hits + 1, __ATOMIC_RELAXED);
        return e1->rule;
    }
    if (emc_entry_is(e2, hash, bridge_id, table, version, u, w)) {
        __atomic_store_n(&c->hits, c->hits + 1, __ATOMIC_RELAXED);
        return e2->rule;
    }
    __atomic_store_n(&c->misses, c->misses + 1, __ATOMIC_RELAXED);
    struct rule *r = cls_lookup(t->cls, k, version, NULL);
    /* Replace an empty or stale slot if there is one, else alternate by a hash bit. */
    struct emc_entry *e;
    if (!e1->bridge_id || e1->version != version || e1->gen != u->gen)
        e = e1;
    else if (!e2->bridge_id || e2->version != version || e2->gen != u->gen)
        e = e2;
    else
        e = (hash & (1u << 15)) ? e1 : e2;
    e->hash = hash;
    e->bridge_id = bridge_id;
    e->table = table;
    e->version = version;
    e->gen = u->gen;
    e->rule = r;
    memcpy(e->words, w, u->n_words * sizeof w[0]);
    return r;
}

/* emc_lookup_union() with the table's current union. */
static inline struct rule *emc_lookup(struct emc *c, uint32_t bridge_id, uint8_t table,
                                      const struct flow_table *t, const struct flow_key *k)
{
    uint64_t version = cls_version(t->cls);
    return emc_lookup_union(c, bridge_id, table, t, version, cls_union(t->cls), k);
}

#endif
