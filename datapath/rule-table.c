/* rule-table.c — the reference classifier: a sorted array, a linear scan, RCU publication.
 *
 * State owned by the control thread:
 *   rules[]  the mutable table in lookup order (priority desc, seq asc). Because seq is
 *            unique, (priority, seq) is a strict total order and a rule's position can be
 *            found by binary search, which keeps rule_table_next() O(log n).
 *   dead[]   rules that left the table since the last publication. The published snapshot
 *            may still point at them, so they are freed only after the grace period that
 *            follows the next publication.
 * Shared with readers: `snap`, an immutable array of rule pointers, swapped with a release
 * store and loaded with acquire.
 *
 * Allocation failures never leave the table half-changed: rule_table_insert() reserves, up
 * front, room in dead[] for every rule the table holds, so removal never allocates, and
 * rule_table_publish() allocates the new snapshot before it touches anything.
 *
 * Replacing with keep_counters: the new rule takes the old one's counters at once, so the
 * control thread reads continuous stats; PMDs may still count hits on the old rule until the
 * next grace period, and those late hits are handed over after it (dead_rule.moved_*).
 */
#include "datapath/clock.h"
#include "datapath/rule-table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "datapath/rcu.h"

struct dead_rule {
    struct rule *rule;
    struct rule *heir;      /* receives late hits; NULL unless replaced with keep_counters */
    uint64_t moved_packets; /* counters already handed to heir at replacement time */
    uint64_t moved_bytes;
};

struct rule_table {
    struct rule **rules;
    size_t n_rules;
    size_t cap_rules;

    struct dead_rule *dead;
    size_t n_dead;
    size_t cap_dead; /* >= n_dead + n_rules, so that removal never allocates */

    uint64_t next_seq;
    bool changed; /* since the last publication */

    struct rule_snapshot *snap; /* __atomic: release store, acquire load */
};

static struct rule_snapshot *snapshot_alloc(struct rule *const *rules, size_t n)
{
    struct rule_snapshot *s = malloc(sizeof *s + n * sizeof s->rules[0]);
    if (!s)
        return NULL;
    s->n_rules = (uint32_t)n;
    if (n)
        memcpy(s->rules, rules, n * sizeof s->rules[0]);
    return s;
}

struct rule_table *rule_table_create(void)
{
    struct rule_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    /* Readers always find a snapshot, if only an empty one. */
    t->snap = snapshot_alloc(NULL, 0);
    if (!t->snap) {
        free(t);
        return NULL;
    }
    return t;
}

void rule_table_destroy(struct rule_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n_rules; i++)
        rule_free(t->rules[i]);
    for (size_t i = 0; i < t->n_dead; i++)
        rule_free(t->dead[i].rule);
    free(t->rules);
    free(t->dead);
    free(t->snap);
    free(t);
}

struct rule *rule_create_full(const struct flow_match *match, uint16_t priority,
                              const struct dp_action *actions, uint32_t n_actions,
                              const struct dp_action *write_actions, uint32_t n_write)
{
    if (!match || n_actions > DP_MAX_ACTIONS || (n_actions && !actions) ||
        n_write > DP_MAX_ACTIONS || (n_write && !write_actions))
        return NULL;
    struct rule *r = calloc(1, sizeof *r + (n_actions + n_write) * sizeof r->actions[0]);
    if (!r)
        return NULL;
    r->match = *match;
    flow_match_normalize(&r->match);
    r->priority = priority;
    r->created_ns = dp_now_ns();
    r->goto_table = RULE_NO_GOTO;
    r->n_actions = n_actions;
    if (n_actions)
        memcpy(r->actions, actions, n_actions * sizeof r->actions[0]);
    r->n_write_actions = n_write;
    if (n_write)
        memcpy(r->actions + n_actions, write_actions, n_write * sizeof r->actions[0]);
    return r;
}

struct rule *rule_create(const struct flow_match *match, uint16_t priority,
                         const struct dp_action *actions, uint32_t n_actions)
{
    return rule_create_full(match, priority, actions, n_actions, NULL, 0);
}

void rule_free(struct rule *r)
{
    free(r);
}

/* Lookup order: true when `a` is looked at before `b`. */
static bool rule_before(const struct rule *a, const struct rule *b)
{
    return a->priority > b->priority || (a->priority == b->priority && a->seq < b->seq);
}

/* Index of the first rule of priority <= `priority`. */
static size_t first_at_or_below(const struct rule_table *t, uint16_t priority)
{
    size_t lo = 0, hi = t->n_rules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->rules[mid]->priority > priority)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Index of `r` in the table, or n_rules when it is not there. */
static size_t rule_index(const struct rule_table *t, const struct rule *r)
{
    size_t lo = 0, hi = t->n_rules;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (rule_before(t->rules[mid], r))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < t->n_rules && t->rules[lo] == r ? lo : t->n_rules;
}

static int reserve(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 16;
    while (n < need)
        n *= 2;
    void *p = realloc(*array, n * elem);
    if (!p)
        return -ENOMEM;
    *array = p;
    *cap = n;
    return 0;
}

static void bury(struct rule_table *t, struct rule *r, struct rule *heir, uint64_t packets,
                 uint64_t bytes)
{
    /* Capacity is guaranteed by the invariant cap_dead >= n_dead + n_rules. */
    t->dead[t->n_dead++] = (struct dead_rule){r, heir, packets, bytes};
    t->changed = true;
}

int rule_table_insert(struct rule_table *t, struct rule *r, bool keep_counters)
{
    if (!t || !r)
        return -EINVAL;
    if (t->n_rules >= UINT32_MAX)
        return -ENOMEM; /* a snapshot counts rules in 32 bits */
    if (reserve((void **)&t->rules, &t->cap_rules, t->n_rules + 1, sizeof t->rules[0]) ||
        reserve((void **)&t->dead, &t->cap_dead, t->n_dead + t->n_rules + 1, sizeof t->dead[0]))
        return -ENOMEM;

    size_t i = first_at_or_below(t, r->priority);
    for (; i < t->n_rules && t->rules[i]->priority == r->priority; i++) {
        struct rule *old = t->rules[i];
        if (old == r)
            return -EEXIST;
        if (!flow_match_equal(&old->match, &r->match))
            continue;
        /* The same OpenFlow flow entry (match and priority): the new rule takes the old
         * one's place, including its rank among equal priorities. */
        uint64_t packets = 0, bytes = 0;
        if (keep_counters) {
            packets = __atomic_load_n(&old->n_packets, __ATOMIC_RELAXED);
            bytes = __atomic_load_n(&old->n_bytes, __ATOMIC_RELAXED);
            r->n_packets = packets;
            r->n_bytes = bytes;
            r->used_ns = __atomic_load_n(&old->used_ns, __ATOMIC_RELAXED);
        }
        r->seq = old->seq;
        t->rules[i] = r;
        bury(t, old, keep_counters ? r : NULL, packets, bytes);
        return 1;
    }

    /* i is the end of r's priority run, where the newest rule of that priority belongs. */
    r->seq = t->next_seq++;
    memmove(&t->rules[i + 1], &t->rules[i], (t->n_rules - i) * sizeof t->rules[0]);
    t->rules[i] = r;
    t->n_rules++;
    t->changed = true;
    return 0;
}

void rule_filter_init_all(struct rule_filter *f)
{
    memset(f, 0, sizeof *f);
    f->out_port = DP_OFPORT_ANY;
}

static uint64_t word(const struct flow_key *k, size_t i)
{
    uint64_t w;
    memcpy(&w, (const uint8_t *)k + i * sizeof w, sizeof w);
    return w;
}

/* Loose selection: every bit the filter constrains, the rule constrains to the same value. */
static bool match_covers(const struct flow_match *filter, const struct flow_match *rule)
{
    for (size_t i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t fm = word(&filter->mask, i);
        if (fm & ~word(&rule->mask, i))
            return false;
        if ((word(&filter->value, i) ^ word(&rule->value, i)) & fm)
            return false;
    }
    return true;
}

static bool rule_outputs_to(const struct rule *r, uint32_t port)
{
    for (uint32_t i = 0; i < r->n_actions; i++)
        if (r->actions[i].type == DP_ACT_OUTPUT && r->actions[i].port == port)
            return true;
    return false;
}

bool rule_filter_selects(const struct rule_filter *f, const struct rule *r)
{
    if ((f->cookie ^ r->cookie) & f->cookie_mask)
        return false;
    if (f->strict) {
        if (r->priority != f->priority || !flow_match_equal(&f->match, &r->match))
            return false;
    } else if (!match_covers(&f->match, &r->match)) {
        return false;
    }
    return f->out_port == DP_OFPORT_ANY || rule_outputs_to(r, f->out_port);
}

size_t rule_table_remove(struct rule_table *t, const struct rule_filter *f, struct rule **removed,
                         size_t max_removed)
{
    size_t n_removed = 0, kept = 0;
    for (size_t i = 0; i < t->n_rules; i++) {
        struct rule *r = t->rules[i];
        if (!rule_filter_selects(f, r)) {
            t->rules[kept++] = r;
            continue;
        }
        if (removed && n_removed < max_removed)
            removed[n_removed] = r;
        n_removed++;
        bury(t, r, NULL, 0, 0);
    }
    t->n_rules = kept;
    return n_removed;
}

int rule_table_remove_rule(struct rule_table *t, struct rule *r)
{
    size_t i = r ? rule_index(t, r) : t->n_rules;
    if (i == t->n_rules)
        return -ENOENT;
    memmove(&t->rules[i], &t->rules[i + 1], (t->n_rules - i - 1) * sizeof t->rules[0]);
    t->n_rules--;
    bury(t, r, NULL, 0, 0);
    return 0;
}

size_t rule_table_count(const struct rule_table *t)
{
    return t->n_rules;
}

struct rule *rule_table_first(const struct rule_table *t)
{
    return t->n_rules ? t->rules[0] : NULL;
}

struct rule *rule_table_next(const struct rule_table *t, const struct rule *r)
{
    size_t i = rule_index(t, r);
    return i + 1 < t->n_rules ? t->rules[i + 1] : NULL;
}

int rule_table_publish(struct rule_table *t)
{
    if (!t->changed)
        return 0;
    struct rule_snapshot *s = snapshot_alloc(t->rules, t->n_rules);
    if (!s)
        return -ENOMEM;
    struct rule_snapshot *old = t->snap;
    __atomic_store_n(&t->snap, s, __ATOMIC_RELEASE);

    dp_rcu_synchronize();

    /* No reader can reach `old` or a dead rule now: their counters are final. Hand late
     * hits over in burial order, so that a rule replaced twice before one publication
     * passes on what it received from its own predecessor. */
    for (size_t i = 0; i < t->n_dead; i++) {
        struct dead_rule *d = &t->dead[i];
        if (!d->heir)
            continue;
        uint64_t late_packets = d->rule->n_packets - d->moved_packets;
        uint64_t late_bytes = d->rule->n_bytes - d->moved_bytes;
        __atomic_fetch_add(&d->heir->n_packets, late_packets, __ATOMIC_RELAXED);
        __atomic_fetch_add(&d->heir->n_bytes, late_bytes, __ATOMIC_RELAXED);
        if (d->rule->used_ns > __atomic_load_n(&d->heir->used_ns, __ATOMIC_RELAXED))
            __atomic_store_n(&d->heir->used_ns, d->rule->used_ns, __ATOMIC_RELAXED);
    }
    for (size_t i = 0; i < t->n_dead; i++)
        rule_free(t->dead[i].rule);
    t->n_dead = 0;
    free(old);
    t->changed = false;
    return 0;
}

const struct rule_snapshot *rule_table_snapshot(const struct rule_table *t)
{
    return __atomic_load_n(&t->snap, __ATOMIC_ACQUIRE);
}

struct rule *rule_snapshot_lookup(const struct rule_snapshot *s, const struct flow_key *k)
{
    for (uint32_t i = 0; i < s->n_rules; i++)
        if (flow_match_hit(&s->rules[i]->match, k))
            return s->rules[i];
    return NULL;
}

void rule_account(struct rule *r, uint32_t n_packets, uint64_t n_bytes, uint64_t now_ns)
{
    __atomic_fetch_add(&r->n_packets, n_packets, __ATOMIC_RELAXED);
    __atomic_fetch_add(&r->n_bytes, n_bytes, __ATOMIC_RELAXED);
    /* Skip the store when another PMD already recorded a later hit in this batch window:
     * it saves a cache-line write, and used_ns is coarse by contract. */
    if (__atomic_load_n(&r->used_ns, __ATOMIC_RELAXED) < now_ns)
        __atomic_store_n(&r->used_ns, now_ns, __ATOMIC_RELAXED);
}
