/* pmd.h — one poll-mode-driver thread: rx burst -> parse -> lookup -> actions -> tx burst.
 *
 * The loop (one iteration):
 *   1. report an RCU quiescent state (nothing from the previous iteration is held),
 *   2. load the published poll list; for each (port, queue): receive up to PMD_BURST packets,
 *      parse each into a flow key, look it up in the port's bridge's rule snapshot, run the
 *      rule's actions; outputs are appended to a per-port tx buffer of this PMD,
 *   3. flush every tx buffer that got packets (one tx burst per port per iteration; bounded
 *      retries when the device takes only part of a burst, then drop and count),
 *   4. account cycles as busy (packets received) or idle; after PMD_IDLE_SPIN empty
 *      iterations, sleep, doubling from 1 us up to the configured maximum, offline for RCU
 *      while asleep. Any packet resets the back-off: under load the PMD never sleeps.
 *
 * Only the PMD writes its own struct pmd (except `stop` and `poll`, which the control thread
 * stores atomically). No locks on this path except a shared tx queue's spinlock, and no
 * allocation: mbufs come from the device's pool, buffers are preallocated.
 */
#ifndef SLUICE_DATAPATH_PMD_H
#define SLUICE_DATAPATH_PMD_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_mbuf.h>

#include "datapath/dp.h"

enum {
    PMD_BURST = 32,      /* rx burst and tx buffer size, as DPDK's examples */
    PMD_IDLE_SPIN = 64,  /* empty iterations before the first sleep */
    PMD_TX_RETRIES = 4,  /* extra tx bursts when a device takes part of a burst */
};

struct pmd_rxq {
    struct dp_port *port;
    uint16_t queue;
};

/* Immutable once published. */
struct pmd_poll_list {
    uint32_t n;
    struct pmd_rxq q[];
};

struct pmd_txbuf {
    uint16_t n;
    bool queued; /* in the PMD's dirty list for this iteration */
    uint32_t bytes;
    struct dp_port *port;
    struct rte_mbuf *pkts[PMD_BURST];
};

struct dp_trace;
struct emc;
struct rte_ring;

/* Rule hit counts gathered over a burst, so that a rule hit by a whole burst costs one pair
 * of atomic adds, not 32. Direct-mapped by rule address; flushed before the end of the
 * burst (while the rules are certainly alive). */
enum { PMD_ACC_SLOTS = 8 };
struct pmd_acc {
    struct rule *rule;
    uint32_t packets;
    uint64_t bytes;
};

struct pmd {
    unsigned id;       /* stats slot: 0..n_pmds-1 for PMDs, DP_CONTROL_TX_USER for control */
    unsigned txq_user; /* tx user: queue txq_user % n_txq (PMD i: i; control: n_pmds) */
    unsigned lcore;
    struct dp_trace *trace;      /* non-NULL: record, send nothing, count nothing */
    struct rte_ring *pin_ring;   /* packet-ins to the control thread (single producer) */
    struct emc *emc;             /* exact-match cache; NULL for the control thread */
    uint64_t now_ns;             /* coarse time of the current burst */
    uint32_t stop;     /* set by the control thread */
    uint32_t idle_sleep_max_us;
    struct pmd_poll_list *poll; /* published by the control thread */
    struct rte_mempool *pool;   /* for copies when a shared packet must be modified */

    struct dp_pmd_stats stats;  /* written by the PMD only (relaxed stores) */
    struct pmd_acc acc[PMD_ACC_SLOTS];

    uint16_t n_dirty;
    uint16_t dirty[DP_MAX_PORTS];          /* port ids whose tx buffer has packets */
    struct pmd_txbuf txbuf[DP_MAX_PORTS];  /* indexed by dp_port.id */
} __rte_cache_aligned;

/* The thread body, for rte_eal_remote_launch(). Returns when pmd->stop is set. */
int pmd_main(void *pmd);

/* Runs the bridge's pipeline from `table` on `m` (whose reference is consumed), as the
 * PMD or the control-thread context `pmd`. `in` is the ingress port, or NULL when the packet
 * comes from the controller (then in_ofport says which port it claims). */
void pmd_pipeline(struct pmd *pmd, struct dp_bridge *br, struct dp_port *in, uint32_t in_ofport,
                  struct rte_mbuf *m, struct flow_key *key, struct flow_layout *lay,
                  uint8_t table);
/* Runs an action list (PACKET_OUT) on `m` (consumed). */
void pmd_execute_actions(struct pmd *pmd, struct dp_bridge *br, struct dp_port *in,
                         uint32_t in_ofport, struct rte_mbuf *m, struct flow_key *key,
                         struct flow_layout *lay, const struct dp_action *acts, uint32_t n);
/* Sends every buffered packet (end of an iteration, or of a control-thread action). */
void pmd_flush(struct pmd *pmd);

#endif
