#include "datapath/id-table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/rcu.h"

struct id_table {
    void (*free_fn)(void *);
    void **items; /* sorted by id */
    size_t n, cap;
    void **dead;  /* replaced/removed since the last publication */
    size_t n_dead, cap_dead;
    struct id_table_view *view; /* __atomic */
};

static uint32_t obj_id(const void *obj)
{
    return *(const uint32_t *)obj;
}

static struct id_table_view *view_alloc(void *const *items, size_t n)
{
    struct id_table_view *v = malloc(sizeof *v + n * sizeof v->items[0]);
    if (!v)
        return NULL;
    v->n = (uint32_t)n;
    if (n)
        memcpy(v->items, items, n * sizeof v->items[0]);
    return v;
}

struct id_table *id_table_create(void (*free_fn)(void *))
{
    struct id_table *t = calloc(1, sizeof *t);
    if (!t)
        return NULL;
    t->free_fn = free_fn;
    t->view = view_alloc(NULL, 0);
    if (!t->view) {
        free(t);
        return NULL;
    }
    return t;
}

void id_table_destroy(struct id_table *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        t->free_fn(t->items[i]);
    for (size_t i = 0; i < t->n_dead; i++)
        t->free_fn(t->dead[i]);
    free(t->items);
    free(t->dead);
    free(t->view);
    free(t);
}

/* Index of the first item with id >= `id`. */
static size_t lower_bound(void *const *items, size_t n, uint32_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (obj_id(items[mid]) < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int grow(void ***arr, size_t *cap, size_t need)
{
    if (need <= *cap)
        return 0;
    size_t nc = *cap ? *cap * 2 : 16;
    while (nc < need)
        nc *= 2;
    void **na = realloc(*arr, nc * sizeof *na);
    if (!na)
        return -ENOMEM;
    *arr = na;
    *cap = nc;
    return 0;
}

static int bury(struct id_table *t, void *obj)
{
    if (grow(&t->dead, &t->cap_dead, t->n_dead + 1))
        return -ENOMEM;
    t->dead[t->n_dead++] = obj;
    return 0;
}

void *id_table_put(struct id_table *t, void *obj)
{
    uint32_t id = obj_id(obj);
    size_t i = lower_bound(t->items, t->n, id);
    if (i < t->n && obj_id(t->items[i]) == id) {
        if (bury(t, t->items[i]))
            return (void *)-1;
        void *old = t->items[i];
        t->items[i] = obj;
        return old;
    }
    /* Reserve the dead slot now so that a later remove never fails. */
    if (grow(&t->items, &t->cap, t->n + 1) || grow(&t->dead, &t->cap_dead, t->n + 1))
        return (void *)-1;
    memmove(&t->items[i + 1], &t->items[i], (t->n - i) * sizeof t->items[0]);
    t->items[i] = obj;
    t->n++;
    return NULL;
}

void *id_table_remove(struct id_table *t, uint32_t id)
{
    size_t i = lower_bound(t->items, t->n, id);
    if (i >= t->n || obj_id(t->items[i]) != id)
        return NULL;
    void *obj = t->items[i];
    if (bury(t, obj))
        return NULL;
    memmove(&t->items[i], &t->items[i + 1], (t->n - i - 1) * sizeof t->items[0]);
    t->n--;
    return obj;
}

void *id_table_get(const struct id_table *t, uint32_t id)
{
    size_t i = lower_bound(t->items, t->n, id);
    return i < t->n && obj_id(t->items[i]) == id ? t->items[i] : NULL;
}

size_t id_table_count(const struct id_table *t)
{
    return t->n;
}

void *id_table_at(const struct id_table *t, size_t i)
{
    return i < t->n ? t->items[i] : NULL;
}

int id_table_publish(struct id_table *t)
{
    struct id_table_view *v = view_alloc(t->items, t->n);
    if (!v)
        return -ENOMEM;
    struct id_table_view *old = __atomic_exchange_n(&t->view, v, __ATOMIC_ACQ_REL);
    dp_rcu_synchronize();
    free(old);
    for (size_t i = 0; i < t->n_dead; i++)
        t->free_fn(t->dead[i]);
    t->n_dead = 0;
    return 0;
}

const struct id_table_view *id_table_view(const struct id_table *t)
{
    return __atomic_load_n(&t->view, __ATOMIC_ACQUIRE);
}

void *id_table_view_find(const struct id_table_view *v, uint32_t id)
{
    size_t i = lower_bound(v->items, v->n, id);
    return i < v->n && obj_id(v->items[i]) == id ? v->items[i] : NULL;
}
