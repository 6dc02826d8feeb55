#include "datapath/flow-table.h"

#include <errno.h>
#include <stdlib.h>

static uint64_t building(const struct flow_table *t)
{
    return cls_version(t->cls) + 1;
}

struct flow_table *flow_table_create(void)
{
    struct flow_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->cls = cls_create(NULL, NULL);
    if (!t->cls) {
        free(t);
        return NULL;
    }
    return t;
}

void flow_table_destroy(struct flow_table *t)
{
    if (!t)
        return;
    cls_destroy(t->cls);
    free(t);
}

int flow_table_insert(struct flow_table *t, struct rule *r, bool keep_counters)
{
    uint64_t v = building(t);
    struct rule *old = cls_find_exact(t->cls, &r->match, r->priority, v);
    int rc;
    if (old) {
        if (keep_counters) {
            r->n_packets = __atomic_load_n(&old->n_packets, __ATOMIC_RELAXED);
            r->n_bytes = __atomic_load_n(&old->n_bytes, __ATOMIC_RELAXED);
            r->used_ns = __atomic_load_n(&old->used_ns, __ATOMIC_RELAXED);
        }
        rc = cls_replace(t->cls, old, r, v);
    } else {
        rc = cls_insert(t->cls, r, v);
    }
    if (rc == 0)
        t->dirty = true;
    return rc;
}

int flow_table_remove(struct flow_table *t, struct rule *r)
{
    int rc = cls_remove(t->cls, r, building(t));
    if (rc == 0)
        t->dirty = true;
    return rc;
}

struct rule *flow_table_find_exact(const struct flow_table *t, const struct flow_match *m,
                                   uint16_t priority)
{
    return cls_find_exact(t->cls, m, priority, building(t));
}

size_t flow_table_count(const struct flow_table *t)
{
    return cls_count(t->cls);
}

void flow_table_cursor_init(struct cls_cursor *c, const struct flow_table *t,
                            const struct rule_filter *f)
{
    cls_cursor_init(c, t->cls, f, building(t));
}

int flow_table_publish(struct flow_table *t)
{
    if (t->dirty) {
        int rc = cls_publish(t->cls, building(t));
        if (rc)
            return rc;
        t->dirty = false;
    }
    return cls_reclaim_pending(t->cls) ? cls_reclaim(t->cls) : 0;
}
