/* id-table.h — a small RCU-published table of objects keyed by a 32-bit id (groups, meters).
 *
 * Objects begin with `uint32_t id`. The control thread adds, replaces and removes objects in
 * the mutable table and then calls id_table_publish(): it publishes a new id-sorted array of
 * pointers (one atomic store), waits for a grace period (datapath/rcu.h) and only then calls
 * `free_fn` on objects that were replaced or removed, so a reader (PMD) that looked one up in
 * the previous array may keep using it until its next quiescent state.
 *
 * These tables change at control-plane rates (group-mod, meter-mod), so the whole array is
 * copied on each publication; lookups are a binary search.
 */
#ifndef SLUICE_DATAPATH_ID_TABLE_H
#define SLUICE_DATAPATH_ID_TABLE_H

#include <stddef.h>
#include <stdint.h>

struct id_table_view {
    uint32_t n;
    void *items[]; /* sorted by id */
};

struct id_table;

struct id_table *id_table_create(void (*free_fn)(void *));
/* Frees every object (readers must be gone). */
void id_table_destroy(struct id_table *t);

/* Adds `obj`, replacing an object with the same id (returned, still valid until publish),
 * or NULL. Returns (void *)-1 on out of memory. */
void *id_table_put(struct id_table *t, void *obj);
/* Removes the object with `id`; returns it (freed at publish) or NULL. */
void *id_table_remove(struct id_table *t, uint32_t id);
/* Control-thread lookup in the mutable table. */
void *id_table_get(const struct id_table *t, uint32_t id);
size_t id_table_count(const struct id_table *t);
/* i-th object in id order (control thread), i < id_table_count(). */
void *id_table_at(const struct id_table *t, size_t i);

/* Publishes, waits a grace period, frees what was replaced or removed. 0 or -ENOMEM. */
int id_table_publish(struct id_table *t);

/* Reader side: the current view, and a lookup in it. */
const struct id_table_view *id_table_view(const struct id_table *t);
void *id_table_view_find(const struct id_table_view *v, uint32_t id);

#endif
