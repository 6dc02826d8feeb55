/* meter.h — OpenFlow meters: per-meter token buckets with drop bands.
 *
 * A meter has up to DP_METER_MAX_BANDS bands, each a rate (kbps or packets/s) and a burst
 * size. Every band keeps a token bucket; a packet that finds a band's bucket empty exceeds
 * that band, and the band with the highest rate among those exceeded applies: a drop band
 * drops the packet. Without the BURST flag (or with burst 0) a band's bucket holds one
 * second's worth of its rate.
 *
 * Concurrency: a meter is shared by every PMD whose flows use it, so its buckets are updated
 * under a per-meter spinlock, once per packet that reaches the meter. That is the one lock on
 * the packet path besides shared tx queues, taken only by metered flows. Counters are relaxed
 * atomics. Meters are immutable once published except for bucket state and counters: a
 * meter-mod publishes a new object.
 */
#ifndef SLUICE_DATAPATH_METER_H
#define SLUICE_DATAPATH_METER_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_spinlock.h>

#define DP_METER_MAX_BANDS 8

enum dp_meter_flags { /* as OpenFlow 1.3 ofp_meter_flags */
    DP_METER_KBPS = 1 << 0,
    DP_METER_PKTPS = 1 << 1,
    DP_METER_BURST = 1 << 2,
    DP_METER_STATS = 1 << 3,
};

enum dp_meter_band_type {
    DP_METER_BAND_DROP = 1,
    DP_METER_BAND_DSCP_REMARK = 2,
};

struct dp_meter_band {
    uint16_t type;
    uint32_t rate;       /* kbps or packets/s */
    uint32_t burst_size; /* kilobits or packets */
    uint8_t prec_level;  /* DSCP remark only */
    uint64_t n_packets;  /* packets this band applied to (relaxed atomics) */
    uint64_t n_bytes;
    /* bucket, under the meter's lock: in bits*1000 (kbps) or packets*1000 (pktps) */
    uint64_t tokens;
    uint64_t capacity;
};

struct dp_meter {
    uint32_t id; /* first: id-table key */
    uint16_t flags;
    uint32_t n_bands;
    uint64_t created_ns;
    uint64_t n_packets; /* packets in */
    uint64_t n_bytes;
    uint32_t flow_count; /* rules that reference it (control thread) */
    rte_spinlock_t lock;
    uint64_t last_ns;
    struct dp_meter_band bands[DP_METER_MAX_BANDS];
};

struct dp_meter *dp_meter_alloc(uint32_t id, uint16_t flags, uint32_t n_bands);
/* Fills the buckets; call after the bands are set. */
void dp_meter_init_buckets(struct dp_meter *m, uint64_t now_ns);
void dp_meter_free(void *m);

/* Runs one packet of `bytes` through the meter at `now_ns`. Returns true when it passes,
 * false when a drop band applies. */
bool dp_meter_apply(struct dp_meter *m, uint32_t bytes, uint64_t now_ns);

#endif
