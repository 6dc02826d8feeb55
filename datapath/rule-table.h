/* rule-table.h — the reference rule table: priorities, masked matches, actions, counters.
 *
 * What?
 *   The simplest correct classifier: rules sorted by priority (highest first; among equal
 *   priorities, the one inserted first wins), looked up by a linear scan. It is the reference
 *   against which faster structures (the exact-match and megaflow caches) are tested: for any
 *   key, they must pick the same rule this table picks. Keep it obviously right.
 *
 * Concurrency (read this before touching the code).
 *   - One writer: the control thread. It inserts and removes rules in the mutable table
 *     (`struct rule_table`), then calls rule_table_publish() once per batch of changes.
 *   - Many readers: PMD threads. They load the current `struct rule_snapshot` with
 *     rule_table_snapshot() once per burst and look keys up in it. A snapshot is immutable.
 *   - Publication swaps an atomic pointer (release); readers load it (acquire). The old
 *     snapshot, and rules removed since the previous publication, stay valid until the next
 *     RCU grace period (datapath/rcu.h): rule_table_publish() waits for one before freeing
 *     them, so a PMD that still holds the old snapshot never sees freed memory.
 *   - Counters (n_packets, n_bytes, used_tsc) are updated by PMDs with relaxed atomic adds,
 *     once per batch of packets that hit the same rule, and read by the control thread.
 */
#ifndef SLUICE_DATAPATH_RULE_TABLE_H
#define SLUICE_DATAPATH_RULE_TABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/actions.h"
#include "datapath/flow-key.h"

struct rule {
    struct flow_match match;
    uint64_t cookie;
    uint16_t priority;
    uint16_t idle_timeout; /* seconds, 0 = none */
    uint16_t hard_timeout; /* seconds, 0 = none */
    uint16_t flags;        /* OpenFlow flow-mod flags, kept for the OpenFlow layer */
    uint64_t created_ns;   /* CLOCK_MONOTONIC at insertion */
    uint64_t seq;          /* insertion order: ties among equal priorities go to the lower */

    /* Owned by the classifier that holds the rule (datapath/classifier.h); zero, as
     * rule_create() leaves them, in a rule that is in no classifier. rule_table ignores them. */
    uint64_t cls_add_version;    /* visible from this version... */
    uint64_t cls_remove_version; /* ...up to, not including, this one (__atomic) */
    struct rule *cls_next;       /* same match, next in lookup order (__atomic) */

    /* OpenFlow 1.3 instructions beyond apply-actions, run in this order: meter (before
     * everything), apply-actions, clear_actions, write_actions, write_metadata, goto_table. */
    uint8_t table_id;
    uint8_t goto_table;       /* RULE_NO_GOTO: none */
    bool clear_actions;
    bool has_write_actions;
    uint32_t meter_id;        /* 0: none */
    uint64_t write_metadata;  /* host order */
    uint64_t write_metadata_mask; /* 0: no write_metadata */
    uint32_t n_write_actions; /* stored in actions[] after the n_actions apply-actions */

    uint64_t n_packets; /* updated with __atomic_fetch_add(..., __ATOMIC_RELAXED) */
    uint64_t n_bytes;
    uint64_t used_ns;   /* last hit, CLOCK_MONOTONIC ns (coarse: per batch) */

    uint32_t n_actions;
    struct dp_action actions[]; /* n_actions entries; none = drop */
};

/* An immutable, priority-sorted view for readers. */
struct rule_snapshot {
    uint32_t n_rules;
    struct rule *rules[]; /* sorted: priority desc, then seq asc */
};

struct rule_table;

struct rule_table *rule_table_create(void);
/* Frees the table, its snapshots and every rule. Readers must be gone. */
void rule_table_destroy(struct rule_table *t);

/* Allocates a rule (counters zero, created_ns = now). Returns NULL when out of memory or
 * n_actions > DP_MAX_ACTIONS. The match is normalized. */
struct rule *rule_create(const struct flow_match *match, uint16_t priority,
                         const struct dp_action *actions, uint32_t n_actions);
/* The same, with a write-actions list stored after the apply-actions (rule->actions +
 * rule->n_actions). n_write must be <= DP_MAX_ACTIONS. */
struct rule *rule_create_full(const struct flow_match *match, uint16_t priority,
                              const struct dp_action *actions, uint32_t n_actions,
                              const struct dp_action *write_actions, uint32_t n_write);
void rule_free(struct rule *r);

#define RULE_NO_GOTO 0xff

/* Adds `r` to the table (taking ownership). A rule with an identical match and priority is
 * replaced (OpenFlow ADD semantics): it is removed and, when `keep_counters` is true, its
 * counters carry over to `r`. Not visible to readers before rule_table_publish().
 * Returns 1 when a rule was replaced, 0 when added; on error the caller keeps `r`:
 * -ENOMEM when the table cannot grow, -EEXIST when `r` itself is already in the table. */
int rule_table_insert(struct rule_table *t, struct rule *r, bool keep_counters);

/* Filter for removal and iteration. A rule is selected when:
 *   strict:  its match equals `match` exactly and its priority equals `priority`;
 *   loose:   `match` is a subset-or-equal of the rule's match, i.e. every field the filter
 *            constrains, the rule constrains at least as tightly to the same value
 *            (an all-wildcard filter selects every rule);
 * and, in both cases, (rule.cookie & cookie_mask) == (cookie & cookie_mask), and, when
 * out_port != DP_OFPORT_ANY, the rule has an output action to out_port. */
struct rule_filter {
    struct flow_match match;
    uint16_t priority;
    bool strict;
    uint64_t cookie;
    uint64_t cookie_mask;
    uint32_t out_port;
};
void rule_filter_init_all(struct rule_filter *f); /* selects every rule */
bool rule_filter_selects(const struct rule_filter *f, const struct rule *r);

/* Removes every selected rule. Removed rules are freed after the next publication's grace
 * period, unless `removed` is non-NULL: then up to `max_removed` of them are stored there
 * and still freed by the table (the pointers stay valid until rule_table_publish() returns;
 * use them to emit FLOW_REMOVED first). Returns the number removed. */
size_t rule_table_remove(struct rule_table *t, const struct rule_filter *f,
                         struct rule **removed, size_t max_removed);

/* Removes one specific rule (by pointer), e.g. on timeout. Returns 0, or -ENOENT. */
int rule_table_remove_rule(struct rule_table *t, struct rule *r);

/* Number of rules in the mutable table (published or not). */
size_t rule_table_count(const struct rule_table *t);

/* Iterates the mutable table in lookup order (control thread only). */
struct rule *rule_table_first(const struct rule_table *t);
struct rule *rule_table_next(const struct rule_table *t, const struct rule *r);

/* Makes every change since the last call visible to readers, waits for a grace period and
 * frees what readers can no longer reach. Returns 0 or -ENOMEM (the old view stays). */
int rule_table_publish(struct rule_table *t);

/* The current view, for readers (PMDs). Valid until the reader's next quiescent state. */
const struct rule_snapshot *rule_table_snapshot(const struct rule_table *t);

/* Highest-priority rule in `s` whose match hits `k`, or NULL. */
struct rule *rule_snapshot_lookup(const struct rule_snapshot *s, const struct flow_key *k);

/* Counts `n_packets` packets and `n_bytes` bytes against `r` (PMD side, relaxed atomics). */
void rule_account(struct rule *r, uint32_t n_packets, uint64_t n_bytes, uint64_t now_ns);

#endif
