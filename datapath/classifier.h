/* classifier.h — the OpenFlow rule classifier: tuple space search, versioned, lock-free reads.
 *
 * What?
 *   A classifier holds the rules of one OpenFlow table (struct rule, datapath/rule-table.h)
 *   and answers "which rule does this packet key hit?" with exactly the answer of the
 *   reference table (rule_snapshot_lookup()): the highest priority rule whose masked match
 *   hits the key, and among rules of equal priority the one inserted first (lowest seq).
 *   Unlike the reference table, it changes in O(1) per flow-mod instead of republishing
 *   the whole table, and a lookup costs one hash probe per distinct mask instead of one
 *   comparison per rule.
 *
 * Tuple space search.
 *   Rules are grouped by mask into subtables: every rule in a subtable has the same mask, so
 *   a key can hit at most one match in it, found by hashing (key & mask) into that
 *   subtable's hash table. A hash slot holds a chain: the rules whose match is exactly that
 *   (mask, value), ordered by priority (desc), then seq (asc) — normally one rule, more when
 *   the same match is installed at several priorities or when a rule and its replacement
 *   coexist during a version change.
 *
 *   Each subtable records the highest priority among its rules. Lookup visits subtables in
 *   decreasing order of that maximum and stops at the first subtable whose maximum is below
 *   the best hit so far: nothing in it or after it can win. A subtable whose maximum equals
 *   the best hit's priority is still visited, because one of its rules could have been
 *   inserted earlier (that tie-break is what keeps us identical to the reference table).
 *   With few masks (the usual OpenFlow table has a handful) a lookup is a few probes.
 *
 *   Hash keys use only the 64-bit words of the key the subtable's mask touches (a subtable
 *   matching in_port and nw_dst hashes two words, not eighteen).
 *
 * Un-wildcarding.
 *   cls_lookup() can OR into a caller-provided mask every field the decision depended on:
 *   the masks of all subtables it visited, hit or miss. A packet that agrees with this key
 *   on those bits takes the same path through the same subtables, so gets the same answer:
 *   (key & wildcards, wildcards) is a correct megaflow for it. Subtables skipped because
 *   their priority could not win contribute nothing, which keeps megaflows wide. (OVS's
 *   staged lookup and prefix tracking narrow this further; they are not implemented.)
 *
 * Versioning.
 *   The classifier has a published version number, starting at 0. Every rule carries the
 *   half-open range of versions in which it is visible, [cls_add_version,
 *   cls_remove_version). A reader loads the version once per burst with cls_version() and
 *   looks up at it. The writer makes the changes of a batch of flow-mods at version V + 1
 *   (V = the published version): inserted rules are tagged visible from V + 1, removed rules
 *   invisible from V + 1, so readers at V see none of it. cls_publish(V + 1) then makes the
 *   whole batch visible with one atomic store: a reader sees all of the batch or none of it.
 *   Replacing a rule (OpenFlow ADD over an existing match and priority, or MODIFY) is
 *   cls_replace(): the old rule invisible and the new one visible from the same version, so
 *   no reader ever sees both or neither. The writer may look up and iterate at the version
 *   it is building (V + 1) to see its own unpublished changes.
 *
 *   A removed rule stays linked, visible to readers at older versions, until cls_reclaim()
 *   finds its removal version published and every reader past it; only then is it unlinked,
 *   and freed one grace period later.
 *
 * Concurrency.
 *   - One writer: the control thread. Every function except cls_lookup() and cls_version()
 *     is for the writer only, and the writer never blocks readers.
 *   - Many readers: PMD threads, lock-free. A reader calls cls_version() after its
 *     quiescent state (datapath/rcu.h), then cls_lookup() at that version as often as it
 *     likes until its next quiescent state. Looking up at an older version than that is not
 *     allowed: its rules may already be unlinked. Any thread but the writer that looks up
 *     (a PMD, or anything else) must be a registered RCU reader.
 *   - Everything readers traverse (the subtable vector, each subtable's hash table, the rule
 *     chains) is published with release stores and read with acquire loads. The writer
 *     changes it in place only where a reader sees either the old or the new state and both
 *     are right for the reader's version: linking a new rule into a chain (invisible until
 *     its version is published), raising a subtable's priority, unlinking a rule nobody can
 *     see any more. Anything else — a bigger hash table, a reordered subtable vector, an
 *     empty subtable dropped — is a new copy, published with one pointer store, the old one
 *     freed after a grace period. A hash table is copied when live and emptied slots would
 *     pass half of it, into one between a sixth and a third full, and shrunk the same way
 *     when under an eighth: copies cost O(1) amortised per insert.
 *   - Memory is reclaimed in batches: replaced tables, vectors and unlinked rules wait on a
 *     list, and each cls_reclaim() runs one RCU grace period (dp_rcu_synchronize()) for all
 *     of them, never one per rule, and none when nothing waits. Call it after each batch of
 *     flow-mods: it is also the barrier for deletions (once it returns, no reader can still
 *     see a rule whose removal was published), while additions need none (readers see them
 *     from their next burst on, as in OVS).
 *   - Counters in struct rule are updated by readers with relaxed atomics (rule_account()).
 *
 * Why our own hash table.
 *   DPDK's rte_hash has a lock-free concurrent mode, but it wants one fixed key length per
 *   table, returns one value per key (we need the chain's head, replaced in place), and
 *   allocates from EAL memory, which unit tests and the control plane's tools do not have.
 *   An open-addressing table of (hash, chain head) slots, keyed by only the words a mask
 *   touches, does exactly what is needed in about a hundred lines.
 *
 * Costs (bench/cls-bench, 100k rules over 5 masks, one core of a shared 2-vCPU VM).
 *   Insert, replace or delete: 0.2-0.4 us of CPU each (2.5-4.6 M flow-mods/s, one per
 *   version or batched; rule_create() adds ~0.25 us). Lookup: ~60 ns when the first
 *   subtable decides, ~250 ns when all 5 are visited, ~350 ns for 20. A grace period lasts
 *   one PMD iteration: a DELETE + BARRIER per rule is bound by it, an ADD + BARRIER is not.
 *
 * Errors.
 *   Functions return 0 or a negative errno that says exactly what was wrong with the call,
 *   and on error change nothing: every allocation an operation needs is made before its
 *   first visible change.
 */
#ifndef SLUICE_DATAPATH_CLASSIFIER_H
#define SLUICE_DATAPATH_CLASSIFIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/flow-key.h"
#include "datapath/rule-table.h"

/* cls_remove_version of a rule that is not removed: visible in every later version. */
#define CLS_VERSION_NEVER UINT64_MAX

struct classifier;

/* Called once for each rule the classifier gives up, when no reader can reach it any more
 * (after a grace period, or from cls_destroy()). Counters are final by then. */
typedef void cls_free_rule_fn(struct rule *r, void *aux);

/* Creates an empty classifier at version 0. `free_rule` NULL means rule_free().
 * Returns NULL when out of memory. */
struct classifier *cls_create(cls_free_rule_fn *free_rule, void *aux);

/* Frees the classifier and every rule it holds or waits to free. Readers must be gone. */
void cls_destroy(struct classifier *cls);

/* The published version (acquire). Readers: once per burst, after their quiescent state. */
uint64_t cls_version(const struct classifier *cls);

/* Publishes `version` (release): every change made at versions <= `version` becomes
 * visible to readers that load it. -EINVAL when `version` is not above the published one. */
int cls_publish(struct classifier *cls, uint64_t version);

/* Adds `r` (taking ownership on success), visible from `version` on. Assigns r->seq (rank
 * among equal priorities: after every rule inserted before it). The match is normalized;
 * match and priority must not change while the rule is in the classifier.
 *   -EINVAL  r or cls NULL, or `version` already published (or CLS_VERSION_NEVER);
 *   -EEXIST  r is already in a classifier, or a rule with the same match and priority is
 *            visible at `version` or later (replace it with cls_replace());
 *   -ENOMEM  out of memory. */
int cls_insert(struct classifier *cls, struct rule *r, uint64_t version);

/* Replaces `old` by `r` from `version` on: `old` stops being visible and `r` starts, in the
 * same version. `r` must have the same match and priority, and takes old's rank (seq), as
 * rule_table_insert() does. Counters are the caller's business (copy them beforehand).
 *   -EINVAL  NULL argument, version already published, version below old's insertion, or
 *            a different match or priority;
 *   -ENOENT  `old` is not in this classifier or is already removed;
 *   -EEXIST  `r` is already in a classifier;
 *   -ENOMEM  out of memory. */
int cls_replace(struct classifier *cls, struct rule *old, struct rule *r, uint64_t version);

/* Makes `r` invisible from `version` on. Readers at older versions still see it until a
 * cls_reclaim() after `version` is published; then it is freed (free_rule).
 *   -EINVAL  NULL argument, version already published, or version below r's insertion;
 *   -ENOENT  `r` is not in this classifier or is already removed. Never allocates. */
int cls_remove(struct classifier *cls, struct rule *r, uint64_t version);

/* The rule with exactly this match and priority visible at `version` (OpenFlow strict
 * flow-mod semantics), or NULL. `match` need not be normalized. Writer only. */
struct rule *cls_find_exact(const struct classifier *cls, const struct flow_match *match,
                            uint16_t priority, uint64_t version);

/* The highest priority rule visible at `version` that `key` hits (lowest seq among equal
 * priorities), or NULL. When `wildcards` is non-NULL, ORs into it the mask bits the answer
 * depended on (see "Un-wildcarding"); the caller zeroes it before the first table.
 * Readers: `version` from cls_version() since their last quiescent state. No allocation,
 * no lock, no write to shared memory. */
struct rule *cls_lookup(const struct classifier *cls, const struct flow_key *key, uint64_t version,
                        struct flow_key *wildcards);

/* The union of the masks of every subtable a reader can visit now: whatever rule a lookup
 * returns, at any version the reader may use, depends only on the key bits set here. So
 * (key & mask, restricted to these words) identifies the answer exactly — what the
 * exact-match cache (datapath/emc.h) keys on — and a table whose union touches no packet
 * word (only FLOW_KEY_META_WORDS) is decided without parsing the packet.
 * `gen` is unique to this union object (never reused, across classifiers), so a cache can
 * tell whether an entry was keyed with the same word list.
 * Readers: valid until their next quiescent state; the writer replaces it (never changes it
 * in place) whenever subtables come or go. */
struct cls_union {
    uint64_t gen;
    uint32_t n_words;                    /* words the union touches */
    bool packet_words;                   /* any of them beyond FLOW_KEY_META_WORDS */
    uint8_t word_idx[FLOW_KEY_WORDS];    /* their indexes, ascending */
    uint64_t mask_words[FLOW_KEY_WORDS]; /* mask word word_idx[i] in [i] */
};
const struct cls_union *cls_union(const struct classifier *cls);

/* When cls_reclaim_pending(): waits for one grace period, frees everything retired before
 * it, then unlinks the rules whose removal version is published (they, and any structure
 * this replaces, are freed by the next call: call again while pending, e.g. on a timer),
 * drops subtables left empty and shrinks sparse hash tables. Otherwise returns at once.
 * Either way, on return no reader can see a rule whose removal was published before the
 * call (the guarantee an OpenFlow BARRIER needs after deletions). Writer only.
 * Returns 0, or -ENOMEM when an empty subtable could not be dropped or a priority order not
 * updated (lookups stay correct, only slower; retried by the next call). */
int cls_reclaim(struct classifier *cls);

/* True while something awaits a later cls_reclaim() (unlinked rules, replaced tables, or
 * removed rules whose version is published). */
bool cls_reclaim_pending(const struct classifier *cls);

/* Iteration over the rules visible at `version` that `filter` selects (NULL: all), in no
 * particular order. Writer only. cls_remove() and cls_replace() of the rule just returned
 * are allowed during iteration (they only retag versions); cls_insert() and cls_reclaim()
 * are not (they may move the hash tables under the cursor). */
struct cls_cursor {
    /* Private. */
    const struct classifier *cls;
    const struct rule_filter *filter;
    uint64_t version;
    uint32_t subtable_idx;
    uint32_t slot_idx;
    struct rule *next;  /* next rule of the current chain to consider */
    struct rule *exact; /* strict filter: the only candidate, returned once */
    bool strict_done;
};

void cls_cursor_init(struct cls_cursor *c, const struct classifier *cls,
                     const struct rule_filter *filter, uint64_t version);
/* The next selected rule, or NULL at the end. */
struct rule *cls_cursor_next(struct cls_cursor *c);

/* Observability (writer only). */
struct cls_stats {
    uint64_t version; /* published */
    size_t n_rules;   /* in the table and not removed */
    size_t n_removed; /* removed, still linked until reclaimed */
    size_t n_retired; /* unlinked rules and replaced structures awaiting a grace period */
    size_t n_subtables;
    size_t n_slots;             /* hash slots over all subtables */
    uint64_t n_table_rebuilds;  /* hash table copies (growth, shrink, tombstone cleanup) */
    uint64_t n_vector_rebuilds; /* subtable order copies */
};
void cls_get_stats(const struct classifier *cls, struct cls_stats *stats);

/* Number of rules in the table and not removed (at the newest version the writer made). */
size_t cls_count(const struct classifier *cls);

struct cls_subtable_info {
    struct flow_key mask;
    uint32_t n_rules;      /* linked, including removed ones not yet reclaimed */
    uint32_t max_priority; /* upper bound used to order and prune */
    uint32_t n_slots;
};
/* Fills up to `max` entries in lookup order; returns the number of subtables. */
size_t cls_subtables(const struct classifier *cls, struct cls_subtable_info *out, size_t max);

#endif
