/* classifier.c — tuple space search with versioned rules (see classifier.h for the design).
 *
 * Who writes what (the locking model):
 *   - `version` and `vec` in struct classifier, `table` in each subtable, `head`/`hash` in
 *     each hash slot, `cls_next` and `cls_remove_version` in each rule, and the priority of
 *     each vector entry are the only fields readers load while the writer may store them.
 *     Pointers are stored with release and loaded with acquire; the rest are relaxed, and
 *     made meaningful by the release store of `version` that publishes them.
 *   - Everything in the "writer only" parts of the structs is touched by the control thread
 *     alone, without atomics.
 *   - Nothing a reader may hold is freed before a grace period: see retire() and
 *     cls_reclaim().
 *
 * Invariants the code relies on:
 *   - A vector entry's priority is >= the priority of every rule linked in its subtable (so
 *     pruning never skips a possible hit), and entries are sorted by it, descending, at
 *     every instant (single in-place stores keep the order; anything else is a new vector).
 *   - A hash table never has more than half of its slots live or tombstoned, so every probe
 *     meets an empty slot and terminates.
 *   - cap_removed >= n_linked and cap_retired >= n_retired + n_linked: removing and
 *     unlinking never allocate.
 */
#include "datapath/classifier.h"

#include <errno.h>
#include <stdalign.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/hash.h"
#include "datapath/rcu.h"

enum {
    CLS_TABLE_MIN_SLOTS = 16,
    CLS_MAX_CHAINS = 1u << 29, /* keeps slot counts (< 4x chains) within 32 bits */
    CLS_MAP_MIN_BUCKETS = 16,
};

/* ---- Priority multiset ---------------------------------------------------------------
 * Each subtable must know the highest priority among its rules after any removal, in
 * constant time even when rules leave in priority order (a rescan would make deleting a
 * 100k-rule subtable quadratic). Priorities are 16 bits: a 256-way directory of 256-entry
 * count blocks, each level with a 256-bit presence bitmap, finds the maximum in a handful
 * of word operations. Blocks are allocated on first use and freed when empty. */

struct cls_prio_block {
    uint64_t present[4]; /* bit (p & 255) set when count[p & 255] > 0 */
    uint32_t count[256];
};

struct cls_prio_set {
    uint64_t present[4]; /* bit (p >> 8) set when blocks[p >> 8] holds a priority */
    struct cls_prio_block *blocks[256];
};

static int bitmap256_max(const uint64_t w[4])
{
    for (int i = 3; i >= 0; i--)
        if (w[i])
            return i * 64 + 63 - __builtin_clzll(w[i]);
    return -1;
}

/* Makes prio_add(s, p) unable to fail. */
static int prio_reserve(struct cls_prio_set *s, uint16_t p)
{
    if (!s->blocks[p >> 8]) {
        s->blocks[p >> 8] = calloc(1, sizeof *s->blocks[0]);
        if (!s->blocks[p >> 8])
            return -ENOMEM;
    }
    return 0;
}

static void prio_add(struct cls_prio_set *s, uint16_t p)
{
    struct cls_prio_block *b = s->blocks[p >> 8];
    unsigned lo = p & 255, hi = p >> 8;
    if (b->count[lo]++ == 0) {
        b->present[lo / 64] |= 1ull << (lo % 64);
        s->present[hi / 64] |= 1ull << (hi % 64);
    }
}

static void prio_del(struct cls_prio_set *s, uint16_t p)
{
    struct cls_prio_block *b = s->blocks[p >> 8];
    unsigned lo = p & 255, hi = p >> 8;
    if (--b->count[lo] == 0) {
        b->present[lo / 64] &= ~(1ull << (lo % 64));
        if (bitmap256_max(b->present) < 0) {
            s->present[hi / 64] &= ~(1ull << (hi % 64));
            free(b);
            s->blocks[hi] = NULL;
        }
    }
}

/* Highest priority in the set, or -1 when empty. */
static int prio_max(const struct cls_prio_set *s)
{
    int hi = bitmap256_max(s->present);
    return hi < 0 ? -1 : hi << 8 | bitmap256_max(s->blocks[hi]->present);
}

static void prio_fini(struct cls_prio_set *s)
{
    for (size_t i = 0; i < 256; i++)
        free(s->blocks[i]);
}

/* ---- Structures shared with readers ------------------------------------------------- */

/* One hash slot. `head` NULL: never used, ends a probe. `head` == TOMBSTONE: its chain
 * emptied; probes go on past it and an insert may reuse it. Otherwise the first rule of the
 * chain for one masked value, whose hash is `hash`. */
struct cls_slot {
    uint32_t hash;
    struct rule *head;
};

/* Never dereferenced through a slot: only its address is used, as the tombstone mark. */
static struct rule cls_tombstone;
#define TOMBSTONE (&cls_tombstone)

struct cls_table {
    uint32_t mask; /* n_slots - 1; n_slots is a power of two */
    struct cls_slot slots[];
};

struct cls_subtable {
    /* Read by readers: immutable once published, except `table`. */
    struct cls_table *table;             /* __atomic */
    uint32_t n_words;                    /* words of the key this mask touches */
    uint8_t word_idx[FLOW_KEY_WORDS];    /* their indexes, ascending */
    uint64_t mask_words[FLOW_KEY_WORDS]; /* mask word word_idx[i] in [i] */
    struct flow_key mask;

    /* Writer only, on other cache lines than what readers load. */
    alignas(64) struct cls_subtable *map_next;
    uint32_t mask_hash;
    uint32_t vec_idx;  /* position in the current vector */
    uint32_t n_rules;  /* linked rules, removed or not */
    uint32_t n_chains; /* live slots */
    uint32_t n_tombs;  /* tombstoned slots */
    struct cls_prio_set prios;
};

/* The subtables in lookup order. `priority` (__atomic) bounds its subtable's rules. */
struct cls_vec_entry {
    uint32_t priority;
    struct cls_subtable *subtable;
};

struct cls_vec {
    struct cls_union u; /* of the subtables' masks, computed before publication */
    uint32_t n;
    struct cls_vec_entry e[];
};

enum cls_retiree_kind {
    CLS_RETIRE_RULE,     /* given to free_rule */
    CLS_RETIRE_MEMORY,   /* a table or a vector: free() */
    CLS_RETIRE_SUBTABLE, /* the subtable and its table */
};

struct cls_retiree {
    enum cls_retiree_kind kind;
    void *ptr;
};

struct classifier {
    /* Shared with readers. */
    uint64_t version;    /* __atomic */
    struct cls_vec *vec; /* __atomic, never NULL */

    /* Writer only. */
    alignas(64) struct cls_subtable **map; /* by mask hash, chained through map_next */
    uint32_t map_mask;
    uint32_t n_subtables;
    uint64_t next_seq;
    size_t n_linked; /* rules in chains, removed or not */
    size_t n_live;   /* rules in chains and not removed */

    struct rule **removed; /* removed rules still linked, in removal order */
    size_t n_removed, cap_removed;

    struct cls_retiree *retired; /* what readers may still hold, freed after a grace period */
    size_t n_retired, cap_retired;

    bool vector_stale; /* update_vector() ran out of memory: retry at the next reclaim */
    uint64_t n_table_rebuilds;
    uint64_t n_vector_rebuilds;

    cls_free_rule_fn *free_rule;
    void *aux;
};

/* ---- Words and hashes -------------------------------------------------------------- */

/* Keys are arrays of 64-bit words (flow-key.h); memcpy keeps the loads alias-safe and
 * compiles to plain moves. */
static inline uint64_t key_word(const struct flow_key *k, size_t i)
{
    uint64_t w;
    memcpy(&w, (const uint8_t *)k + i * sizeof w, sizeof w);
    return w;
}

static inline void key_or_word(struct flow_key *k, size_t i, uint64_t bits)
{
    uint64_t w = key_word(k, i) | bits;
    memcpy((uint8_t *)k + i * sizeof w, &w, sizeof w);
}

/* A hash of only the words a subtable uses (datapath/hash.h): the probe index takes the
 * low bits, so every input bit must reach them. */
static inline uint32_t hash_words(const uint64_t *w, uint32_t n)
{
    uint64_t h = hash_start(n);
    for (uint32_t i = 0; i < n; i++)
        h = hash_step(h, w[i]);
    return (uint32_t)hash_fmix64(h);
}

/* The words of a (pre-masked) match value that the subtable's mask touches. */
static inline uint32_t value_words(const struct cls_subtable *st, const struct flow_key *value,
                                   uint64_t *out)
{
    for (uint32_t i = 0; i < st->n_words; i++)
        out[i] = key_word(value, st->word_idx[i]);
    return hash_words(out, st->n_words);
}

static inline bool chain_has_value(const struct cls_subtable *st, const struct rule *head,
                                   const uint64_t *words)
{
    uint64_t diff = 0;
    for (uint32_t i = 0; i < st->n_words; i++)
        diff |= key_word(&head->match.value, st->word_idx[i]) ^ words[i];
    return diff == 0;
}

static inline bool rule_visible(const struct rule *r, uint64_t version)
{
    return r->cls_add_version <= version &&
           version < __atomic_load_n(&r->cls_remove_version, __ATOMIC_RELAXED);
}

/* Lookup order: true when `a` wins over `b`. */
static inline bool rule_beats(const struct rule *a, const struct rule *b)
{
    return a->priority > b->priority || (a->priority == b->priority && a->seq < b->seq);
}

/* ---- Hash tables -------------------------------------------------------------------- */

static struct cls_table *table_alloc(uint32_t n_slots)
{
    struct cls_table *t = calloc(1, sizeof *t + (size_t)n_slots * sizeof t->slots[0]);
    if (t)
        t->mask = n_slots - 1;
    return t;
}

/* Slots for `n_chains` chains at a load between 1/6 and 1/3: room to grow by half or more
 * before the next copy, without quadrupling the table at each growth step. */
static uint32_t table_size_for(uint32_t n_chains)
{
    uint32_t n = CLS_TABLE_MIN_SLOTS;
    while (n < 3 * n_chains)
        n *= 2;
    return n;
}

/* The slot holding the chain for `words` (hash `h`), or NULL. */
static struct cls_slot *table_find(const struct cls_subtable *st, struct cls_table *t, uint32_t h,
                                   const uint64_t *words)
{
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        struct cls_slot *s = &t->slots[i];
        struct rule *head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
        if (!head)
            return NULL;
        if (head != TOMBSTONE && __atomic_load_n(&s->hash, __ATOMIC_RELAXED) == h &&
            chain_has_value(st, head, words))
            return s;
    }
}

/* Where a new chain with hash `h` goes: the first empty or tombstoned slot of its probe
 * sequence (the caller checked that no chain for its value exists). */
static struct cls_slot *table_free_slot(struct cls_table *t, uint32_t h)
{
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        struct rule *head = t->slots[i].head;
        if (!head || head == TOMBSTONE)
            return &t->slots[i];
    }
}

/* A copy of the subtable's live chains in a table of `n_slots`, without tombstones.
 * Not yet visible to anyone. */
static struct cls_table *table_copy(const struct cls_subtable *st, uint32_t n_slots)
{
    struct cls_table *t = table_alloc(n_slots);
    if (!t)
        return NULL;
    const struct cls_table *old = st->table;
    for (uint32_t i = 0; i <= old->mask; i++) {
        const struct cls_slot *s = &old->slots[i];
        if (!s->head || s->head == TOMBSTONE)
            continue;
        struct cls_slot *d = table_free_slot(t, s->hash);
        d->hash = s->hash;
        d->head = s->head;
    }
    return t;
}

/* ---- Retirement ---------------------------------------------------------------------- */

static int reserve(void **array, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    size_t n = *cap ? *cap : 64;
    while (n < need)
        n *= 2;
    void *p = realloc(*array, n * elem);
    if (!p)
        return -ENOMEM;
    *array = p;
    *cap = n;
    return 0;
}

/* Room to retire `extra` structures on top of every linked rule. */
static int retire_reserve(struct classifier *cls, size_t extra)
{
    return reserve((void **)&cls->retired, &cls->cap_retired,
                   cls->n_retired + cls->n_linked + extra, sizeof cls->retired[0]);
}

static void retire(struct classifier *cls, enum cls_retiree_kind kind, void *ptr)
{
    cls->retired[cls->n_retired++] = (struct cls_retiree){kind, ptr};
}

static void subtable_free(struct cls_subtable *st)
{
    prio_fini(&st->prios);
    free(st->table);
    free(st);
}

static void free_retired(struct classifier *cls)
{
    for (size_t i = 0; i < cls->n_retired; i++) {
        struct cls_retiree *x = &cls->retired[i];
        switch (x->kind) {
        case CLS_RETIRE_RULE:
            cls->free_rule(x->ptr, cls->aux);
            break;
        case CLS_RETIRE_MEMORY:
            free(x->ptr);
            break;
        case CLS_RETIRE_SUBTABLE:
            subtable_free(x->ptr);
            break;
        }
    }
    cls->n_retired = 0;
}

/* ---- Subtables and the mask map ---------------------------------------------------- */

static struct cls_subtable *subtable_create(const struct flow_key *mask, uint32_t mask_hash)
{
    size_t size = (sizeof(struct cls_subtable) + 63) / 64 * 64;
    struct cls_subtable *st = aligned_alloc(64, size);
    if (!st)
        return NULL;
    memset(st, 0, size);
    st->table = table_alloc(CLS_TABLE_MIN_SLOTS);
    if (!st->table) {
        free(st);
        return NULL;
    }
    st->mask = *mask;
    st->mask_hash = mask_hash;
    for (uint32_t i = 0; i < FLOW_KEY_WORDS; i++) {
        uint64_t w = key_word(mask, i);
        if (w) {
            st->word_idx[st->n_words] = (uint8_t)i;
            st->mask_words[st->n_words++] = w;
        }
    }
    return st;
}

static struct cls_subtable *map_find(const struct classifier *cls, const struct flow_key *mask,
                                     uint32_t mask_hash)
{
    for (struct cls_subtable *st = cls->map[mask_hash & cls->map_mask]; st; st = st->map_next)
        if (st->mask_hash == mask_hash && !memcmp(&st->mask, mask, sizeof *mask))
            return st;
    return NULL;
}

/* Makes room for `n` subtables at load <= 1, so that map_insert() cannot fail. */
static int map_reserve(struct classifier *cls, size_t n)
{
    size_t n_buckets = (size_t)cls->map_mask + 1;
    if (n <= n_buckets)
        return 0;
    while (n_buckets < n)
        n_buckets *= 2;
    struct cls_subtable **map = calloc(n_buckets, sizeof *map);
    if (!map)
        return -ENOMEM;
    for (uint32_t i = 0; i <= cls->map_mask; i++) {
        struct cls_subtable *st = cls->map[i];
        while (st) {
            struct cls_subtable *next = st->map_next;
            st->map_next = map[st->mask_hash & (n_buckets - 1)];
            map[st->mask_hash & (n_buckets - 1)] = st;
            st = next;
        }
    }
    free(cls->map);
    cls->map = map;
    cls->map_mask = (uint32_t)(n_buckets - 1);
    return 0;
}

static void map_insert(struct classifier *cls, struct cls_subtable *st)
{
    struct cls_subtable **bucket = &cls->map[st->mask_hash & cls->map_mask];
    st->map_next = *bucket;
    *bucket = st;
    cls->n_subtables++;
}

static void map_remove(struct classifier *cls, struct cls_subtable *st)
{
    struct cls_subtable **p = &cls->map[st->mask_hash & cls->map_mask];
    while (*p != st)
        p = &(*p)->map_next;
    *p = st->map_next;
    cls->n_subtables--;
}

/* ---- The subtable vector ----------------------------------------------------------- */

static inline uint32_t vec_prio(const struct cls_vec *v, uint32_t i)
{
    return __atomic_load_n(&v->e[i].priority, __ATOMIC_RELAXED);
}

static struct cls_vec *vec_alloc(uint32_t n)
{
    struct cls_vec *v = malloc(sizeof *v + (size_t)n * sizeof v->e[0]);
    if (v) {
        v->n = n;
        v->u = (struct cls_union){.gen = 0};
    }
    return v;
}

/* Fills v->u from its subtables' masks, with a fresh generation number. */
static void vec_compute_union(struct cls_vec *v)
{
    static uint64_t next_gen; /* writers of different classifiers may run on different threads */
    uint64_t words[FLOW_KEY_WORDS] = {0};
    for (uint32_t i = 0; i < v->n; i++) {
        const struct cls_subtable *st = v->e[i].subtable;
        for (uint32_t w = 0; w < st->n_words; w++)
            words[st->word_idx[w]] |= st->mask_words[w];
    }
    struct cls_union *u = &v->u;
    u->gen = __atomic_add_fetch(&next_gen, 1, __ATOMIC_RELAXED);
    u->n_words = 0;
    u->packet_words = false;
    for (uint32_t w = 0; w < FLOW_KEY_WORDS; w++)
        if (words[w]) {
            u->word_idx[u->n_words] = (uint8_t)w;
            u->mask_words[u->n_words++] = words[w];
            u->packet_words |= w >= FLOW_KEY_META_WORDS;
        }
}

const struct cls_union *cls_union(const struct classifier *cls)
{
    return &__atomic_load_n(&cls->vec, __ATOMIC_ACQUIRE)->u;
}

/* Stable insertion sort, priority descending: at most a few entries are out of place. */
static void vec_sort(struct cls_vec *v)
{
    for (uint32_t i = 1; i < v->n; i++) {
        struct cls_vec_entry x = v->e[i];
        uint32_t j = i;
        for (; j > 0 && v->e[j - 1].priority < x.priority; j--)
            v->e[j] = v->e[j - 1];
        v->e[j] = x;
    }
}

/* A copy of the current vector with `extra` appended (priority `prio`), or with entry
 * `raise_idx` raised to `prio` when extra is NULL; sorted, not yet visible. */
static struct cls_vec *vec_copy_changed(const struct classifier *cls, struct cls_subtable *extra,
                                        uint32_t raise_idx, uint32_t prio)
{
    const struct cls_vec *old = cls->vec;
    struct cls_vec *v = vec_alloc(old->n + (extra ? 1 : 0));
    if (!v)
        return NULL;
    for (uint32_t i = 0; i < old->n; i++)
        v->e[i] = (struct cls_vec_entry){vec_prio(old, i), old->e[i].subtable};
    if (extra)
        v->e[old->n] = (struct cls_vec_entry){prio, extra};
    else
        v->e[raise_idx].priority = prio;
    vec_sort(v);
    return v;
}

/* Publishes `v` and retires the old vector (room reserved by the caller). */
static void vec_publish(struct classifier *cls, struct cls_vec *v)
{
    for (uint32_t i = 0; i < v->n; i++)
        v->e[i].subtable->vec_idx = i;
    vec_compute_union(v);
    struct cls_vec *old = cls->vec;
    __atomic_store_n(&cls->vec, v, __ATOMIC_RELEASE);
    retire(cls, CLS_RETIRE_MEMORY, old);
    cls->n_vector_rebuilds++;
}

/* ---- Create, destroy, versions ------------------------------------------------------ */

static void default_free_rule(struct rule *r, void *aux)
{
    (void)aux;
    rule_free(r);
}

struct classifier *cls_create(cls_free_rule_fn *free_rule, void *aux)
{
    size_t size = (sizeof(struct classifier) + 63) / 64 * 64;
    struct classifier *cls = aligned_alloc(64, size);
    if (!cls)
        return NULL;
    memset(cls, 0, size);
    cls->vec = vec_alloc(0);
    if (cls->vec)
        vec_compute_union(cls->vec);
    cls->map = calloc(CLS_MAP_MIN_BUCKETS, sizeof cls->map[0]);
    if (!cls->vec || !cls->map) {
        free(cls->vec);
        free(cls->map);
        free(cls);
        return NULL;
    }
    cls->map_mask = CLS_MAP_MIN_BUCKETS - 1;
    cls->next_seq = 1;
    cls->free_rule = free_rule ? free_rule : default_free_rule;
    cls->aux = aux;
    return cls;
}

void cls_destroy(struct classifier *cls)
{
    if (!cls)
        return;
    /* Linked rules are reachable from exactly one chain; unlinked ones only from the
     * retired list. Old tables and vectors on that list are not walked. */
    const struct cls_vec *v = cls->vec;
    for (uint32_t i = 0; i < v->n; i++) {
        struct cls_subtable *st = v->e[i].subtable;
        for (uint32_t s = 0; s <= st->table->mask; s++) {
            struct rule *r = st->table->slots[s].head;
            if (r == TOMBSTONE)
                continue;
            while (r) {
                struct rule *next = r->cls_next;
                cls->free_rule(r, cls->aux);
                r = next;
            }
        }
        subtable_free(st);
    }
    free_retired(cls);
    free(cls->vec);
    free(cls->map);
    free(cls->removed);
    free(cls->retired);
    free(cls);
}

uint64_t cls_version(const struct classifier *cls)
{
    return __atomic_load_n(&cls->version, __ATOMIC_ACQUIRE);
}

int cls_publish(struct classifier *cls, uint64_t version)
{
    if (!cls || version <= cls->version)
        return -EINVAL;
    __atomic_store_n(&cls->version, version, __ATOMIC_RELEASE);
    return 0;
}

/* ---- Insert, replace, remove -------------------------------------------------------- */

/* Links `r` at `version`; when `old` is non-NULL, also removes it at `version` and gives
 * `r` its rank. All allocation happens before the first visible change. */
static int insert__(struct classifier *cls, struct rule *r, struct rule *old, uint64_t version)
{
    if (reserve((void **)&cls->removed, &cls->cap_removed, cls->n_linked + 1,
                sizeof cls->removed[0]) ||
        retire_reserve(cls, 1 + 2)) /* r itself, a replaced table, a replaced vector */
        return -ENOMEM;

    uint32_t mask_hash = flow_key_hash(&r->match.mask, 0);
    struct cls_subtable *st = map_find(cls, &r->match.mask, mask_hash);
    struct cls_subtable *new_st = NULL;
    if (!st) {
        if (old)
            return -ENOENT; /* old has r's mask: it cannot be here */
        if (map_reserve(cls, (size_t)cls->n_subtables + 1))
            return -ENOMEM;
        st = new_st = subtable_create(&r->match.mask, mask_hash);
        if (!st)
            return -ENOMEM;
    }

    uint64_t words[FLOW_KEY_WORDS] = {0}; /* n_words used; zeroed to calm -Wmaybe-uninitialized */
    uint32_t h = value_words(st, &r->match.value, words);
    struct cls_slot *slot = table_find(st, st->table, h, words);
    uint64_t seq = old ? old->seq : cls->next_seq;
    struct rule *prev = NULL; /* r goes after prev, or first when NULL */
    bool old_found = false, clash = false;
    int err = 0;

    if (slot) {
        for (struct rule *x = slot->head; x; x = x->cls_next) {
            if (x == old)
                old_found = true;
            else if (x->priority == r->priority && x->cls_remove_version > version)
                clash = true; /* would be visible together with r */
            if (x->priority > r->priority || (x->priority == r->priority && x->seq <= seq))
                prev = x;
        }
    }
    if (old) {
        if (!old_found || old->cls_remove_version != CLS_VERSION_NEVER)
            return -ENOENT;
        if (old->cls_add_version > version)
            return -EINVAL;
    }
    if (clash)
        return -EEXIST;

    struct cls_table *new_table = NULL;
    struct cls_vec *new_vec = NULL;
    if (!slot) {
        if (st->n_chains >= CLS_MAX_CHAINS) {
            err = -ENOMEM;
            goto fail;
        }
        if ((st->n_chains + st->n_tombs + 1) * 2 > st->table->mask + 1) {
            new_table = table_copy(st, table_size_for(st->n_chains + 1));
            if (!new_table) {
                err = -ENOMEM;
                goto fail;
            }
        }
    }
    if (prio_reserve(&st->prios, r->priority)) {
        err = -ENOMEM;
        goto fail;
    }
    uint32_t idx = st->vec_idx;
    bool raise = !new_st && r->priority > vec_prio(cls->vec, idx);
    if (new_st || (raise && idx > 0 && vec_prio(cls->vec, idx - 1) < r->priority)) {
        new_vec = vec_copy_changed(cls, new_st, idx, r->priority);
        if (!new_vec) {
            err = -ENOMEM;
            goto fail;
        }
    }

    /* Nothing can fail from here on. Readers cannot see r before `version` is published,
     * so the order of the stores below matters only for the structure they traverse. */
    if (new_st)
        map_insert(cls, st);
    if (new_table) {
        struct cls_table *old_table = st->table;
        __atomic_store_n(&st->table, new_table, __ATOMIC_RELEASE);
        retire(cls, CLS_RETIRE_MEMORY, old_table);
        st->n_tombs = 0;
        cls->n_table_rebuilds++;
    }
    r->seq = seq;
    if (!old)
        cls->next_seq++;
    r->cls_add_version = version;
    r->cls_remove_version = CLS_VERSION_NEVER;
    if (slot) {
        struct rule **link = prev ? &prev->cls_next : &slot->head;
        r->cls_next = *link;
        __atomic_store_n(link, r, __ATOMIC_RELEASE);
    } else {
        slot = table_free_slot(st->table, h);
        if (slot->head == TOMBSTONE)
            st->n_tombs--;
        r->cls_next = NULL;
        __atomic_store_n(&slot->hash, h, __ATOMIC_RELAXED);
        __atomic_store_n(&slot->head, r, __ATOMIC_RELEASE);
        st->n_chains++;
    }
    prio_add(&st->prios, r->priority);
    st->n_rules++;
    cls->n_linked++;
    cls->n_live++;
    if (old) {
        __atomic_store_n(&old->cls_remove_version, version, __ATOMIC_RELAXED);
        cls->removed[cls->n_removed++] = old;
        cls->n_live--;
    }
    if (new_vec)
        vec_publish(cls, new_vec);
    else if (raise)
        __atomic_store_n(&cls->vec->e[idx].priority, r->priority, __ATOMIC_RELAXED);
    return 0;

fail:
    free(new_table);
    free(new_vec);
    if (new_st)
        subtable_free(new_st);
    return err;
}

int cls_insert(struct classifier *cls, struct rule *r, uint64_t version)
{
    if (!cls || !r || version <= cls->version || version == CLS_VERSION_NEVER)
        return -EINVAL;
    if (r->cls_add_version)
        return -EEXIST;
    flow_match_normalize(&r->match);
    return insert__(cls, r, NULL, version);
}

int cls_replace(struct classifier *cls, struct rule *old, struct rule *r, uint64_t version)
{
    if (!cls || !old || !r || version <= cls->version || version == CLS_VERSION_NEVER)
        return -EINVAL;
    if (r->cls_add_version)
        return -EEXIST;
    if (!old->cls_add_version)
        return -ENOENT;
    flow_match_normalize(&r->match);
    if (r->priority != old->priority || !flow_match_equal(&r->match, &old->match))
        return -EINVAL;
    return insert__(cls, r, old, version);
}

/* The subtable and slot of linked rule `r`, or NULL when `r` is not in this classifier. */
static struct cls_slot *find_linked(const struct classifier *cls, const struct rule *r,
                                    struct cls_subtable **stp)
{
    struct cls_subtable *st = map_find(cls, &r->match.mask, flow_key_hash(&r->match.mask, 0));
    if (!st)
        return NULL;
    uint64_t words[FLOW_KEY_WORDS] = {0}; /* n_words used; zeroed to calm -Wmaybe-uninitialized */
    uint32_t h = value_words(st, &r->match.value, words);
    struct cls_slot *slot = table_find(st, st->table, h, words);
    if (!slot)
        return NULL;
    for (const struct rule *x = slot->head; x; x = x->cls_next) {
        if (x == r) {
            *stp = st;
            return slot;
        }
    }
    return NULL;
}

int cls_remove(struct classifier *cls, struct rule *r, uint64_t version)
{
    if (!cls || !r || version <= cls->version || version == CLS_VERSION_NEVER)
        return -EINVAL;
    struct cls_subtable *st;
    if (!r->cls_add_version || !find_linked(cls, r, &st) ||
        r->cls_remove_version != CLS_VERSION_NEVER)
        return -ENOENT;
    if (version < r->cls_add_version)
        return -EINVAL;
    __atomic_store_n(&r->cls_remove_version, version, __ATOMIC_RELAXED);
    cls->removed[cls->n_removed++] = r; /* cap_removed >= n_linked */
    cls->n_live--;
    return 0;
}

struct rule *cls_find_exact(const struct classifier *cls, const struct flow_match *match,
                            uint16_t priority, uint64_t version)
{
    if (!cls || !match)
        return NULL;
    struct flow_match m = *match;
    flow_match_normalize(&m);
    struct cls_subtable *st = map_find(cls, &m.mask, flow_key_hash(&m.mask, 0));
    if (!st)
        return NULL;
    uint64_t words[FLOW_KEY_WORDS] = {0}; /* n_words used; zeroed to calm -Wmaybe-uninitialized */
    uint32_t h = value_words(st, &m.value, words);
    struct cls_slot *slot = table_find(st, st->table, h, words);
    for (struct rule *x = slot ? slot->head : NULL; x; x = x->cls_next)
        if (x->priority == priority && rule_visible(x, version))
            return x;
    return NULL;
}

/* ---- Lookup (readers) --------------------------------------------------------------- *
 * In a big table a lookup is bound by cache misses: per subtable visited, the home slot and
 * the one or two lines of the rule it leads to. Overlapping them (hash a group of subtables,
 * prefetch their slots, then their rules) was tried: with 100k rules it gained nothing
 * measurable on a machine whose L3 holds the table, and it doubled the cost when the first
 * subtable decides, so the loop stays plain. Revisit with a batch-of-keys API (as OVS's
 * dpcls does) if upcall rates ever make this the bottleneck. */

static inline struct rule *subtable_lookup(const struct cls_subtable *st,
                                           const struct flow_key *key, uint64_t version)
{
    uint64_t words[FLOW_KEY_WORDS];
    uint32_t n = st->n_words;
    for (uint32_t i = 0; i < n; i++)
        words[i] = key_word(key, st->word_idx[i]) & st->mask_words[i];
    uint32_t h = hash_words(words, n);

    const struct cls_table *t = __atomic_load_n(&st->table, __ATOMIC_ACQUIRE);
    for (uint32_t i = h & t->mask;; i = (i + 1) & t->mask) {
        const struct cls_slot *s = &t->slots[i];
        struct rule *head = __atomic_load_n(&s->head, __ATOMIC_ACQUIRE);
        if (!head)
            return NULL;
        if (head == TOMBSTONE || __atomic_load_n(&s->hash, __ATOMIC_RELAXED) != h ||
            !chain_has_value(st, head, words))
            continue;
        /* A chain whose head was unlinked after we loaded it only holds rules this
         * version cannot see (see cls_reclaim()), so missing its successor is fine. */
        for (struct rule *r = head; r; r = __atomic_load_n(&r->cls_next, __ATOMIC_ACQUIRE))
            if (rule_visible(r, version))
                return r;
        return NULL;
    }
}

struct rule *cls_lookup(const struct classifier *cls, const struct flow_key *key, uint64_t version,
                        struct flow_key *wildcards)
{
    const struct cls_vec *v = __atomic_load_n(&cls->vec, __ATOMIC_ACQUIRE);
    struct rule *best = NULL;
    for (uint32_t i = 0; i < v->n; i++) {
        /* Equal priority still visits: an older rule there would win the tie. */
        if (best && vec_prio(v, i) < best->priority)
            break;
        const struct cls_subtable *st = v->e[i].subtable;
        if (wildcards)
            for (uint32_t w = 0; w < st->n_words; w++)
                key_or_word(wildcards, st->word_idx[w], st->mask_words[w]);
        struct rule *r = subtable_lookup(st, key, version);
        if (r && (!best || rule_beats(r, best)))
            best = r;
    }
    return best;
}

/* ---- Reclamation -------------------------------------------------------------------- */

/* Takes `r` (linked, removal version published, invisible to every reader) out of its
 * chain. Readers standing on it still find its successor: r->cls_next is left as is, and r
 * is freed only after the next grace period. */
static void unlink_rule(struct classifier *cls, struct rule *r)
{
    struct cls_subtable *st = NULL;
    struct cls_slot *slot = find_linked(cls, r, &st);
    /* A removed rule is linked by construction; find_linked() cannot fail here. */
    struct rule **link = &slot->head;
    while (*link != r)
        link = &(*link)->cls_next;
    if (link == &slot->head && !r->cls_next) {
        __atomic_store_n(&slot->head, TOMBSTONE, __ATOMIC_RELEASE);
        st->n_chains--;
        st->n_tombs++;
    } else {
        __atomic_store_n(link, r->cls_next, __ATOMIC_RELEASE);
    }
    prio_del(&st->prios, r->priority);
    st->n_rules--;
    cls->n_linked--;
    retire(cls, CLS_RETIRE_RULE, r); /* cap_retired >= n_retired + n_linked */
}

/* After unlinking: drops empty subtables and lowers priority bounds. Either everything
 * stays sorted with in-place stores, or one new vector is published. */
static int update_vector(struct classifier *cls)
{
    struct cls_vec *v = cls->vec;
    uint32_t n_keep = 0;
    bool sorted = true;
    int64_t last = INT64_MAX;
    for (uint32_t i = 0; i < v->n; i++) {
        int p = prio_max(&v->e[i].subtable->prios);
        if (p < 0)
            continue;
        n_keep++;
        sorted = sorted && p <= last;
        last = p;
    }
    if (n_keep == v->n && sorted) {
        /* Back to front: each store lowers one entry to a value its successors (already
         * final) do not exceed, so readers always see a sorted vector. */
        for (uint32_t i = v->n; i-- > 0;) {
            uint32_t p = (uint32_t)prio_max(&v->e[i].subtable->prios);
            if (p != vec_prio(v, i))
                __atomic_store_n(&v->e[i].priority, p, __ATOMIC_RELAXED);
        }
        return 0;
    }

    if (retire_reserve(cls, (size_t)(v->n - n_keep) + 1))
        return -ENOMEM;
    struct cls_vec *nv = vec_alloc(n_keep);
    if (!nv)
        return -ENOMEM;
    uint32_t j = 0;
    for (uint32_t i = 0; i < v->n; i++) {
        struct cls_subtable *st = v->e[i].subtable;
        int p = prio_max(&st->prios);
        if (p >= 0)
            nv->e[j++] = (struct cls_vec_entry){(uint32_t)p, st};
    }
    vec_sort(nv);
    for (uint32_t i = 0; i < v->n; i++) {
        struct cls_subtable *st = v->e[i].subtable;
        if (st->n_rules == 0) {
            map_remove(cls, st);
            retire(cls, CLS_RETIRE_SUBTABLE, st);
        }
    }
    vec_publish(cls, nv);
    return 0;
}

/* Copies hash tables that dropped under an eighth full into smaller ones. Best effort. */
static void shrink_tables(struct classifier *cls)
{
    const struct cls_vec *v = cls->vec;
    for (uint32_t i = 0; i < v->n; i++) {
        struct cls_subtable *st = v->e[i].subtable;
        uint32_t n_slots = st->table->mask + 1;
        if (n_slots <= CLS_TABLE_MIN_SLOTS || st->n_chains * 8 >= n_slots)
            continue;
        if (retire_reserve(cls, 1))
            return;
        struct cls_table *t = table_copy(st, table_size_for(st->n_chains));
        if (!t)
            return;
        struct cls_table *old = st->table;
        __atomic_store_n(&st->table, t, __ATOMIC_RELEASE);
        retire(cls, CLS_RETIRE_MEMORY, old);
        st->n_tombs = 0;
        cls->n_table_rebuilds++;
    }
}

int cls_reclaim(struct classifier *cls)
{
    /* Add-only batches retire nothing: their barrier costs no grace period. */
    if (!cls_reclaim_pending(cls))
        return 0;
    /* Every reader now runs at the published version or later: what was retired before
     * is unreachable, and rules removed at or before that version are invisible to all. */
    dp_rcu_synchronize();
    free_retired(cls);

    uint64_t published = cls->version;
    size_t kept = 0;
    bool unlinked = false;
    for (size_t i = 0; i < cls->n_removed; i++) {
        struct rule *r = cls->removed[i];
        if (r->cls_remove_version <= published) {
            unlink_rule(cls, r);
            unlinked = true;
        } else {
            cls->removed[kept++] = r;
        }
    }
    cls->n_removed = kept;
    if (!unlinked && !cls->vector_stale)
        return 0;
    int err = update_vector(cls);
    cls->vector_stale = err != 0;
    shrink_tables(cls);
    return err;
}

bool cls_reclaim_pending(const struct classifier *cls)
{
    if (cls->n_retired || cls->vector_stale)
        return true;
    for (size_t i = 0; i < cls->n_removed; i++)
        if (cls->removed[i]->cls_remove_version <= cls->version)
            return true;
    return false;
}

/* ---- Iteration and observability ---------------------------------------------------- */

/* Loose filters select rules whose match is at least as tight as theirs: a subtable
 * whose mask lacks a bit the filter constrains cannot hold one. */
static bool subtable_may_select(const struct cls_subtable *st, const struct rule_filter *f)
{
    for (uint32_t i = 0; i < FLOW_KEY_WORDS; i++)
        if (key_word(&f->match.mask, i) & ~key_word(&st->mask, i))
            return false;
    return true;
}

void cls_cursor_init(struct cls_cursor *c, const struct classifier *cls,
                     const struct rule_filter *filter, uint64_t version)
{
    memset(c, 0, sizeof *c);
    c->cls = cls;
    c->filter = filter;
    c->version = version;
    if (filter && filter->strict)
        c->exact = cls_find_exact(cls, &filter->match, filter->priority, version);
}

struct rule *cls_cursor_next(struct cls_cursor *c)
{
    const struct rule_filter *f = c->filter;
    if (f && f->strict) {
        struct rule *r = c->strict_done ? NULL : c->exact;
        c->strict_done = true;
        return r && rule_filter_selects(f, r) ? r : NULL;
    }
    const struct cls_vec *v = c->cls->vec;
    for (;;) {
        while (c->next) {
            struct rule *r = c->next;
            c->next = r->cls_next;
            if (rule_visible(r, c->version) && (!f || rule_filter_selects(f, r)))
                return r;
        }
        if (c->subtable_idx >= v->n)
            return NULL;
        const struct cls_subtable *st = v->e[c->subtable_idx].subtable;
        if (c->slot_idx > st->table->mask || (f && !subtable_may_select(st, f))) {
            c->subtable_idx++;
            c->slot_idx = 0;
            continue;
        }
        struct rule *head = st->table->slots[c->slot_idx++].head;
        if (head != TOMBSTONE)
            c->next = head;
    }
}

void cls_get_stats(const struct classifier *cls, struct cls_stats *s)
{
    memset(s, 0, sizeof *s);
    s->version = cls->version;
    s->n_rules = cls->n_live;
    s->n_removed = cls->n_removed;
    s->n_retired = cls->n_retired;
    s->n_subtables = cls->vec->n;
    for (uint32_t i = 0; i < cls->vec->n; i++)
        s->n_slots += (size_t)cls->vec->e[i].subtable->table->mask + 1;
    s->n_table_rebuilds = cls->n_table_rebuilds;
    s->n_vector_rebuilds = cls->n_vector_rebuilds;
}

size_t cls_count(const struct classifier *cls)
{
    return cls->n_live;
}

size_t cls_subtables(const struct classifier *cls, struct cls_subtable_info *out, size_t max)
{
    const struct cls_vec *v = cls->vec;
    for (uint32_t i = 0; i < v->n && i < max; i++) {
        const struct cls_subtable *st = v->e[i].subtable;
        out[i] = (struct cls_subtable_info){
            .mask = st->mask,
            .n_rules = st->n_rules,
            .max_priority = vec_prio(v, i),
            .n_slots = st->table->mask + 1,
        };
    }
    return v->n;
}
