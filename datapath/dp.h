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
#include "datapath/flow-table.h"
#include "datapath/rule-table.h"

struct rte_mbuf;

#define DP_MAX_PORTS 256        /* datapath-wide */
#define DP_MAX_BRIDGE_PORTS 128 /* per bridge */
#define DP_BRIDGE_NAME_MAX 32

/* What PMDs see of a bridge. Immutable once published. */
struct dp_bridge_view {
    uint32_t n_ports;
    /* Ports with a VLAN configuration (dp_port.vlan != NULL): while 0, NORMAL ignores port
     * VLANs altogether (every port a trunk of every VLAN) and reads no port's config. */
    uint32_t n_vlan_ports;
    uint32_t ofports[DP_MAX_BRIDGE_PORTS];
    struct dp_port *ports[DP_MAX_BRIDGE_PORTS];
};

#define DP_N_TABLES 64 /* OpenFlow tables 0..63 */

/* Per table, per tx user (PMD or control thread): written by that thread only. */
struct dp_table_stats {
    uint64_t lookups;
    uint64_t matches;
};

struct id_table;
struct mac_table;

/* NORMAL's decisions, per tx user (PMD or control thread): written by that thread only. */
struct dp_normal_stats {
    uint64_t unicast;        /* sent to the port the destination was learned on */
    uint64_t flooded;        /* unknown, broadcast or multicast destination */
    uint64_t dropped;        /* destination learned on the ingress port */
    uint64_t fail_open;      /* packets forwarded as NORMAL because the bridge was fail-open */
    uint64_t vlan_dropped;   /* the ingress port does not carry the frame's VLAN (also
                              * counted as the port's drop_action) */
};

struct dp_bridge {
    char name[DP_BRIDGE_NAME_MAX];
    uint32_t id;                           /* unique for the daemon's life, never reused */
    struct flow_table *tables[DP_N_TABLES];
    struct id_table *groups;               /* of struct dp_group (datapath/group.h) */
    struct id_table *meters;               /* of struct dp_meter (datapath/meter.h) */
    struct dp_bridge_view *view; /* published: read with __atomic_load_n(..., ACQUIRE) */
    uint32_t next_ofport;        /* next automatically given OpenFlow port number */
    uint64_t created_ns;
    void *ofproto;               /* the OpenFlow layer's state for this bridge, opaque here */
    struct dp_table_stats tstats[DP_TX_USERS_MAX][DP_N_TABLES];
    /* NORMAL (datapath/mac-learning.h): created and freed with the bridge; PMDs learn into it
     * and read it without locks. */
    struct mac_table *macs;
    /* Fail-open (standalone fail mode, no controller): when 1, PMDs forward every packet of
     * the bridge as NORMAL without looking at the tables. Written by the control thread
     * (dp_bridge_set_fail_open()), read once per burst with an acquire load. */
    uint32_t fail_open;
    struct dp_normal_stats nstats[DP_TX_USERS_MAX];
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
    uint64_t emc_hits;       /* exact-match cache, over all tables */
    uint64_t emc_misses;
    uint64_t replayed;       /* packets that replayed their burst's first packet (pmd.c) */
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

/* A bridge's LOCAL port: OpenFlow port DP_OFPORT_LOCAL, named after the bridge, the host
 * stack's way into the bridge (Open vSwitch's internal port). It is in the bridge's view like
 * any port (so output:LOCAL, FLOOD and ALL reach it, and in_port=LOCAL matches what the host
 * sent) but no PMD polls it: the control thread does, in dp_local_run(). */
enum dp_local_mode {
    DP_LOCAL_NONE, /* no LOCAL port: output to LOCAL is counted as drop_no_port */
    DP_LOCAL_TAP,  /* a net_tap device whose kernel interface has the bridge's name */
};
/* dp_bridge_add() (which is DP_LOCAL_NONE) with a LOCAL port as `local` says. When the LOCAL
 * port cannot be created, the bridge is not created either, and the message names the
 * interface and the cause. */
int dp_bridge_add_ex(const char *name, enum dp_local_mode local, char *err, size_t errlen);
/* The bridge's LOCAL port, or NULL. */
struct dp_port *dp_bridge_local(const struct dp_bridge *br);
int dp_bridge_del(const char *name, char *err, size_t errlen);
struct dp_bridge *dp_bridge_find(const char *name);
/* Iteration: NULL starts; returns NULL after the last. */
struct dp_bridge *dp_bridge_next(const struct dp_bridge *prev);

/* Ports (control thread). `ofport` 0 = give the next free number. */
int dp_port_add(struct dp_bridge *br, const char *name, const struct dp_port_args *args,
                uint32_t ofport, char *err, size_t errlen);
/* The LOCAL port is refused: it goes away with its bridge. */
int dp_port_del(struct dp_bridge *br, const char *name, char *err, size_t errlen);
struct dp_port *dp_port_find(const struct dp_bridge *br, const char *name);
/* Replaces port `p`'s VLAN configuration (datapath/port-vlan.h; NULL or a default one: a
 * trunk of every VLAN) with a copy of `vlan`, checked with port_vlan_check(). Publishes it,
 * waits until no PMD can use the old one, then forgets the MAC addresses learned on the
 * port (they were learned in its old VLANs), as Open vSwitch does. Returns 0, or a negative
 * errno with a message naming the port. */
int dp_port_set_vlan(struct dp_bridge *br, struct dp_port *p, const struct port_vlan *vlan,
                     char *err, size_t errlen);
struct dp_port *dp_port_find_any(const char *name); /* in any bridge */
struct dp_port *dp_port_by_ofport(const struct dp_bridge *br, uint32_t ofport);
/* Ports of a bridge in ofport order: NULL starts. */
struct dp_port *dp_port_next(const struct dp_bridge *br, const struct dp_port *prev);

/* Makes the bridge's rule-table changes visible to PMDs (see rule_table_publish()), in every
 * table that changed. */
int dp_bridge_publish_rules(struct dp_bridge *br);
struct dp_bridge *dp_bridge_by_id(uint32_t id);
/* Sum of every user's lookups and matches in one table. */
void dp_table_stats_sum(const struct dp_bridge *br, unsigned table, struct dp_table_stats *out);

/* Fail-open (control thread): `on` makes PMDs bypass the bridge's tables and forward every
 * packet as NORMAL (learning switch); off restores the tables. Takes effect at the PMDs' next
 * burst; flows, groups and meters are untouched. */
void dp_bridge_set_fail_open(struct dp_bridge *br, bool on);
bool dp_bridge_is_fail_open(const struct dp_bridge *br);
void dp_normal_stats_sum(const struct dp_bridge *br, struct dp_normal_stats *out);

/* --- Packet-in: packets the pipeline sends to the controller ---------------------------- */

enum dp_packet_in_reason { /* as OpenFlow 1.3 ofp_packet_in_reason */
    DP_PIN_NO_MATCH = 0,
    DP_PIN_ACTION = 1,
    DP_PIN_INVALID_TTL = 2,
};

struct dp_packet_in {
    struct rte_mbuf *m;  /* a private copy of the packet as the action saw it */
    uint32_t bridge_id;  /* look up with dp_bridge_by_id(): the bridge may be gone */
    uint32_t in_port;
    uint8_t table_id;
    uint8_t reason;      /* enum dp_packet_in_reason */
    uint16_t max_len;    /* bytes the controller asked for (0xffff: all) */
    uint64_t cookie;
    uint64_t metadata;   /* be64, as in the key */
    uint64_t tun_id;     /* be64 */
};

/* A descriptor that becomes readable when packet-ins wait, or when the host sent packets to a
 * LOCAL port (for the control loop's poll; those are taken by dp_local_run()). */
int dp_packet_in_fd(void);
/* Clears the descriptor's readiness (one syscall): call it when poll() reported the fd, then
 * drain. Draining alone (no syscall) is fine at any other time: a wake-up left pending only
 * costs one spurious poll() return. */
void dp_packet_in_ack(void);
/* Takes up to `max` waiting packet-ins; the caller returns each with dp_packet_in_free(). */
unsigned dp_packet_in_drain(struct dp_packet_in **out, unsigned max);
void dp_packet_in_free(struct dp_packet_in *pin);
/* Packet-ins dropped because the queue to the control thread was full. */
uint64_t dp_packet_in_dropped(void);

/* --- Control-thread packet execution ---------------------------------------------------- */

/* Sends `len` bytes as a packet that arrived on `in_port` through `actions` (PACKET_OUT);
 * an output to DP_OFPORT_TABLE runs the bridge's pipeline from table 0. Returns 0, or a
 * negative errno with a message. */
int dp_packet_out(struct dp_bridge *br, const void *data, uint32_t len, uint32_t in_port,
                  const struct dp_action *actions, uint32_t n_actions, char *err,
                  size_t errlen);

/* What the pipeline did with one packet, step by step (sluicectl trace). */
enum dp_trace_kind {
    DP_TRACE_LOOKUP,   /* table, rule (NULL: miss) */
    DP_TRACE_ACTION,   /* action */
    DP_TRACE_OUTPUT,   /* arg: ofport the packet was sent to */
    DP_TRACE_GROUP,    /* arg: group id, arg2: bucket index (-1: none live) */
    DP_TRACE_METER,    /* arg: meter id, arg2: 1 passed / 0 dropped */
    DP_TRACE_CONTROLLER, /* arg: reason */
    DP_TRACE_DROP,     /* note: why */
    DP_TRACE_GOTO,     /* table: next table */
    DP_TRACE_ACTION_SET, /* the action set runs now */
    DP_TRACE_NORMAL,   /* arg2: enum mac_normal_verdict in bits 0..7, the VLAN NORMAL used
                        * in bits 8..19 (DP_TRACE_NORMAL_VLAN()), arg: the learned port
                        * (FORWARD), note: "fail-open" when the bridge bypassed its tables */
};
#define DP_TRACE_NORMAL_VERDICT(arg2) ((arg2) & 0xff)
#define DP_TRACE_NORMAL_VLAN(arg2) (((arg2) >> 8) & 0xfff)

struct dp_trace_event {
    uint8_t kind;
    uint8_t table;
    uint8_t depth; /* group nesting */
    uint32_t arg;
    int32_t arg2;
    const struct rule *rule;     /* valid until the control thread next changes the table */
    bool has_action;
    struct dp_action action;     /* by value: action-set actions live on the PMD's stack */
    const char *note;
};

#define DP_TRACE_MAX 256
struct dp_trace {
    uint32_t n;
    bool truncated;
    struct dp_trace_event ev[DP_TRACE_MAX];
    struct flow_key final_key;
};

/* Runs `len` bytes arriving on `in_port` through the pipeline without sending anything, and
 * records every step in `tr` (control thread). Counters are not touched. */
int dp_trace_packet(struct dp_bridge *br, const void *data, uint32_t len, uint32_t in_port,
                    struct dp_trace *tr, char *err, size_t errlen);

/* PMDs. */
unsigned dp_n_pmds(void);
void dp_pmd_stats(unsigned pmd, struct dp_pmd_stats *out);
/* The (port, queue) pairs PMD `pmd` polls; returns the count, fills up to max. */
unsigned dp_pmd_rxqs(unsigned pmd, const struct dp_port **ports, uint16_t *queues,
                     unsigned max);

/* Receives what the host sent to LOCAL ports and runs it through the bridge's pipeline, as
 * the control thread's tx user (control thread; call it after every poll() of the control
 * loop). One non-blocking epoll_wait() when nothing waits; at most a bounded number of
 * bursts per port and call, so a busy host cannot starve the control thread (what is left
 * keeps dp_packet_in_fd() readable). Returns the packets received. */
unsigned dp_local_run(void);

/* Polls link state of every port and ages the bridges' MAC learning tables; call about once a
 * second from the control thread. */
void dp_poll_links(void);

#endif
