#include <stdlib.h>
#include <string.h>

#include "datapath/group.h"
#include "datapath/meter.h"

struct dp_group *dp_group_alloc(uint32_t id, uint8_t type, uint32_t n_buckets)
{
    if (n_buckets > DP_GROUP_MAX_BUCKETS)
        return NULL;
    struct dp_group *g = calloc(1, sizeof *g + n_buckets * sizeof g->buckets[0]);
    if (!g)
        return NULL;
    g->id = id;
    g->type = type;
    g->n_buckets = n_buckets;
    return g;
}

void dp_group_free(void *g)
{
    free(g);
}

struct dp_meter *dp_meter_alloc(uint32_t id, uint16_t flags, uint32_t n_bands)
{
    if (n_bands > DP_METER_MAX_BANDS)
        return NULL;
    struct dp_meter *m = calloc(1, sizeof *m);
    if (!m)
        return NULL;
    m->id = id;
    m->flags = flags;
    m->n_bands = n_bands;
    rte_spinlock_init(&m->lock);
    return m;
}

void dp_meter_init_buckets(struct dp_meter *m, uint64_t now_ns)
{
    for (uint32_t i = 0; i < m->n_bands; i++) {
        struct dp_meter_band *b = &m->bands[i];
        uint64_t burst = (m->flags & DP_METER_BURST) && b->burst_size ? b->burst_size : b->rate;
        /* Units of 1/1000 bit or packet, so that refills at low rates do not round to 0. */
        b->capacity = (m->flags & DP_METER_PKTPS ? burst : burst * 1000ull) * 1000ull;
        b->tokens = b->capacity;
    }
    m->last_ns = now_ns;
}

void dp_meter_free(void *m)
{
    free(m);
}

bool dp_meter_apply(struct dp_meter *m, uint32_t bytes, uint64_t now_ns)
{
    bool pktps = m->flags & DP_METER_PKTPS;
    uint64_t cost = pktps ? 1000ull : (uint64_t)bytes * 8ull * 1000ull;
    int applied = -1;

    __atomic_fetch_add(&m->n_packets, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&m->n_bytes, bytes, __ATOMIC_RELAXED);
    rte_spinlock_lock(&m->lock);
    uint64_t dt = now_ns > m->last_ns ? now_ns - m->last_ns : 0;
    m->last_ns = now_ns > m->last_ns ? now_ns : m->last_ns;
    for (uint32_t i = 0; i < m->n_bands; i++) {
        struct dp_meter_band *b = &m->bands[i];
        /* rate per second in our units: kbps -> bits*1000 = rate*1e6; pktps -> rate*1000 */
        uint64_t per_s = pktps ? (uint64_t)b->rate * 1000ull : (uint64_t)b->rate * 1000000ull;
        uint64_t add = dt >= 1000000000ull
                           ? b->capacity
                           : (uint64_t)((unsigned __int128)per_s * dt / 1000000000ull);
        b->tokens = b->tokens + add > b->capacity ? b->capacity : b->tokens + add;
        if (b->tokens >= cost) {
            b->tokens -= cost;
        } else if (applied < 0 || b->rate > m->bands[applied].rate) {
            applied = (int)i;
        }
    }
    rte_spinlock_unlock(&m->lock);
    if (applied < 0)
        return true;
    struct dp_meter_band *b = &m->bands[applied];
    __atomic_fetch_add(&b->n_packets, 1, __ATOMIC_RELAXED);
    __atomic_fetch_add(&b->n_bytes, bytes, __ATOMIC_RELAXED);
    return b->type != DP_METER_BAND_DROP;
}
