/* flow-table.h — one OpenFlow table as the datapath uses it: a versioned classifier with
 * OpenFlow ADD semantics and batched publication.
 *
 * The control thread changes the table at the "building" version (published + 1) and calls
 * flow_table_publish() once per batch: one atomic store makes the whole batch visible, and
 * one RCU grace period (only when something was removed) makes removals final, which is
 * what an OpenFlow BARRIER promises. PMDs look up lock-free at the published version
 * (datapath/classifier.h explains the algorithm and the concurrency rules).
 *
 * The reference table (datapath/rule-table.h) stays the oracle the classifier is tested
 * against; this wrapper is what runs.
 */
#ifndef SLUICE_DATAPATH_FLOW_TABLE_H
#define SLUICE_DATAPATH_FLOW_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "datapath/classifier.h"

struct flow_table {
    struct classifier *cls;
    bool dirty; /* changes at the building version not yet published */
};

struct flow_table *flow_table_create(void);
void flow_table_destroy(struct flow_table *t);

/* Adds `r` (ownership passes on success), replacing a rule with the same match and priority
 * (whose counters carry over when keep_counters). 0, or a negative errno (rule not taken). */
int flow_table_insert(struct flow_table *t, struct rule *r, bool keep_counters);
/* Removes `r` at the building version. 0 or -ENOENT. */
int flow_table_remove(struct flow_table *t, struct rule *r);
/* The rule with exactly this match and priority, or NULL (control thread). */
struct rule *flow_table_find_exact(const struct flow_table *t, const struct flow_match *m,
                                   uint16_t priority);
size_t flow_table_count(const struct flow_table *t);

/* Iteration over the rules at the building version selected by `f` (NULL: all), in no
 * particular order. Removing the rule just returned is allowed; inserting is not. */
void flow_table_cursor_init(struct cls_cursor *c, const struct flow_table *t,
                            const struct rule_filter *f);

/* Publishes pending changes, then reclaims what readers can no longer see. */
int flow_table_publish(struct flow_table *t);

/* PMD side: the highest priority rule `k` hits at the published version. */
static inline struct rule *flow_table_lookup(const struct flow_table *t, const struct flow_key *k)
{
    return cls_lookup(t->cls, k, cls_version(t->cls), NULL);
}

#endif
