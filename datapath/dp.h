/* dp.h — the datapath runtime: bridges, ports, PMD threads, and how they share state.
 *
 * Locking model (who writes what, and how changes become visible).
 *   - The control thread owns every mutable structure here: the bridge list, the port table,
 *     each bridge's rule table, the PMDs' poll-list assignment. It is the only writer.
 *   - PMD threads read three kinds of published, immutable objects:
 *       1. their poll list (which (port, queue) pairs to poll),
 *       2. each bridge's view (its ports, by OpenFlow port number, for output and flood),
 *       3. each bridge's rule snapshot (datapath/rule-table.h).
 *     The control thread builds a new object, publishes it with one atomic release store,
 *     waits for an RCU grace period (datapath/rcu.h) and only then frees the old one.
 *   - A PMD reports a quiescent state once per loop iteration, after flushing its tx buffers,
 *     so after a grace period no PMD holds a pointer into an old view nor a buffered packet
 *     for a removed port. That is what makes port removal under traffic safe.
 *   - Counters are per (port, PMD) and per rule; see port.h and rule-table.h.
 *
 * Nothing here parses OpenFlow: ofproto/ and control/ translate requests into these calls.
 */
#ifndef SLUICE_DATAPATH_DP_H
#define SLUICE_DATAPATH_DP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/port.h"
#include "datapath/rule-table.h"

#define DP_MAX_PORTS 256        /* datapath-wide */
#define DP_MAX_BRIDGE_PORTS 128 /* per bridge */
#define DP_BRIDGE_NAME_MAX 32

/* What PMDs see of a bridge. Immutable once published. */
struct dp_bridge_view {
    uint32_t n_ports;
    uint32_t ofports[DP_MAX_BRIDGE_PORTS];
    struct dp_port *ports[DP_MAX_BRIDGE_PORTS];
};

struct dp_bridge {
    char name[DP_BRIDGE_NAME_MAX];
    struct rule_table *rules;
    struct dp_bridge_view *view; /* published: read with __atomic_load_n(..., ACQUIRE) */
    uint32_t next_ofport;        /* next automatically given OpenFlow port number */
    uint64_t created_ns;
};

struct dp_config {
    unsigned n_pmds;
    unsigned pmd_lcores[DP_MAX_PMDS]; /* EAL lcore ids of the PMD threads */
    uint32_t idle_sleep_max_us;       /* 0 = never sleep (pure busy polling) */
    uint32_t n_mbufs;                 /* 0 = default */
};

/* Per-PMD statistics, summed over its life. */
struct dp_pmd_stats {
    unsigned id;
    unsigned lcore;
    uint64_t iterations;
    uint64_t packets;        /* received */
    uint64_t busy_cycles;    /* TSC cycles in iterations that received packets */
    uint64_t idle_cycles;    /* TSC cycles in iterations that received none (incl. sleep) */
    uint64_t sleeps;
    uint32_t n_rxqs;
};

/* Initialises the datapath after rte_eal_init(): mbuf pool, RCU. Does not start PMDs. */
int dp_init(const struct dp_config *cfg, char *err, size_t errlen);
/* Launches the PMD threads on their lcores. */
int dp_start(char *err, size_t errlen);
/* Stops PMDs, removes every bridge and port, frees everything. */
void dp_fini(void);

/* Bridges (control thread). */
int dp_bridge_add(const char *name, char *err, size_t errlen);
int dp_bridge_del(const char *name, char *err, size_t errlen);
struct dp_bridge *dp_bridge_find(const char *name);
/* Iteration: NULL starts; returns NULL after the last. */
struct dp_bridge *dp_bridge_next(const struct dp_bridge *prev);

/* Ports (control thread). `ofport` 0 = give the next free number. */
int dp_port_add(struct dp_bridge *br, const char *name, const struct dp_port_args *args,
                uint32_t ofport, char *err, size_t errlen);
int dp_port_del(struct dp_bridge *br, const char *name, char *err, size_t errlen);
struct dp_port *dp_port_find(const struct dp_bridge *br, const char *name);
struct dp_port *dp_port_find_any(const char *name); /* in any bridge */
struct dp_port *dp_port_by_ofport(const struct dp_bridge *br, uint32_t ofport);
/* Ports of a bridge in ofport order: NULL starts. */
struct dp_port *dp_port_next(const struct dp_bridge *br, const struct dp_port *prev);

/* Makes the bridge's rule-table changes visible to PMDs (see rule_table_publish()). */
int dp_bridge_publish_rules(struct dp_bridge *br);

/* PMDs. */
unsigned dp_n_pmds(void);
void dp_pmd_stats(unsigned pmd, struct dp_pmd_stats *out);
/* The (port, queue) pairs PMD `pmd` polls; returns the count, fills up to max. */
unsigned dp_pmd_rxqs(unsigned pmd, const struct dp_port **ports, uint16_t *queues,
                     unsigned max);

/* Polls link state of every port; call periodically from the control thread. */
void dp_poll_links(void);

#endif
