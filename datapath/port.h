/* port.h — a datapath port: one DPDK ethdev, whatever drives it.
 *
 * What?
 *   Every port is an ethdev. A `dpdk` port is any device DPDK can probe from a PCI address or
 *   devargs (net_af_packet, net_pcap, net_tap, net_memif, net_null, ...); a `vhostuser` or
 *   `vhostuserclient` port is a net_vhost ethdev (vm-ports/ builds its devargs). One code path
 *   then serves all of them: rx/tx bursts, stats, link state, xstats.
 *
 * Queues.
 *   A port has n_rxq rx queues, each polled by exactly one PMD, and n_txq tx queues. Every
 *   PMD and the control thread (packet-out) need a tx queue: tx user u uses queue
 *   u % n_txq. When the device has fewer tx queues than users, `txq_shared` is set and a
 *   spinlock per queue serialises them (the uncommon case: e.g. net_af_packet with one qpair).
 *
 * Threads.
 *   Created, started, stopped and freed by the control thread. PMDs reach a port only through
 *   published views (bridge view, poll lists) and so only between quiescent states; a port is
 *   freed only after it left every view and a grace period passed. PMD `u` writes only
 *   stats[u]; the control thread sums them.
 */
#ifndef SLUICE_DATAPATH_PORT_H
#define SLUICE_DATAPATH_PORT_H

#include <stdbool.h>
#include <stdint.h>

#include <rte_common.h>
#include <rte_ether.h>
#include <rte_spinlock.h>

#define DP_PORT_NAME_MAX 32
#define DP_MAX_PMDS 16
#define DP_MAX_TXQ 64
#define DP_TX_USERS_MAX (DP_MAX_PMDS + 1) /* every PMD, plus the control thread */
#define DP_CONTROL_TX_USER DP_MAX_PMDS   /* stats slot and tx user of the control thread */

enum dp_port_type {
    DP_PORT_DPDK,
    DP_PORT_VHOSTUSER,       /* sluice is the vhost-user server: it creates the socket */
    DP_PORT_VHOSTUSERCLIENT, /* the VM (QEMU) is the server: sluice connects, reconnects */
};

/* Per-user (per-PMD) counters of one port: written by one thread only. */
struct dp_port_stats {
    uint64_t rx_packets;
    uint64_t rx_bytes;
    uint64_t tx_packets;
    uint64_t tx_bytes;
    uint64_t drop_no_rule;   /* rx: no rule matched */
    uint64_t drop_malformed; /* rx: shorter than an Ethernet header */
    uint64_t drop_action;    /* rx: a rule's actions said drop */
    uint64_t drop_tx_full;   /* tx: the device did not take the packet (queue full) */
    uint64_t drop_port_down; /* tx: link down (e.g. VM not connected) */
    uint64_t drop_mtu;       /* tx: frame longer than the port's MTU allows */
    uint64_t drop_no_port;   /* rx: an output named a port that is not there */
    uint64_t drop_port_config; /* rx: the port is no-receive, or an output went to a
                                * no-forward port (OpenFlow PORT_MOD, dp_port.config) */
} __rte_cache_aligned;

/* The names of dp_port_stats' drop counters, in order, for printing. */
#define DP_PORT_DROP_REASONS(X) \
    X(no_rule) X(malformed) X(action) X(tx_full) X(port_down) X(mtu) X(no_port) X(port_config)

/* dp_port.config: what OpenFlow's PORT_MOD asks of the datapath (OFPPC_NO_RECV, NO_FWD). */
enum {
    DP_PORT_NO_RECV = 1u << 0, /* drop every packet received on the port */
    DP_PORT_NO_FWD = 1u << 1,  /* drop packets output to the port (FLOOD/ALL/NORMAL skip it) */
};

struct dp_bridge;
struct port_vlan;

struct dp_port {
    char name[DP_PORT_NAME_MAX];
    enum dp_port_type type;
    uint16_t id;         /* index in the datapath's port table (dense, reused after removal) */
    uint16_t eth_port;   /* DPDK port id */
    uint32_t ofport;     /* OpenFlow port number within its bridge */
    struct dp_bridge *bridge;
    char devargs[512];   /* as probed */
    char path[256];      /* vhost-user socket path, "" for other types */
    bool probed_here;    /* we hot-plugged the device, so we remove it */
    bool internal;       /* the bridge's LOCAL port (a net_tap): see dp_port_args.internal */
    int rx_intr_fd;      /* internal: readable when the host sent packets; -1 otherwise */

    uint16_t n_rxq;
    uint16_t n_txq;
    bool txq_shared; /* __atomic: users may share a queue, so take txq_lock */
    uint16_t mtu;
    struct rte_ether_addr mac;
    uint32_t link_up;    /* 0/1, written by the LSC callback (atomic), read anywhere */
    uint32_t link_changes;
    uint32_t config;     /* DP_PORT_NO_* (atomic): written by the control thread, read by
                          * PMDs per burst (rx) or per output */
    /* NORMAL's VLAN configuration (datapath/port-vlan.h); NULL: a trunk of every VLAN, the
     * default, which costs nothing. Atomic pointer to an immutable object: written only by
     * the control thread (dp_port_add(), dp_port_set_vlan()), which frees a replaced one
     * after a grace period; PMDs load it (acquire) when their bridge view counts VLAN
     * ports (dp_bridge_view.n_vlan_ports). */
    const struct port_vlan *vlan;

    /* Tx user u sends on queue txq_map[u]. Identity modulo n_txq, except on vhost ports,
     * where it spreads the users over the queues the guest enabled (vm-ports/vhost.c). When a
     * queue can have several users, txq_shared is set (and stays set) before the map changes,
     * with a grace period between, so no user ever sends unlocked on a shared queue. */
    uint8_t txq_map[DP_TX_USERS_MAX];
    uint64_t txq_enabled; /* vhost: bitmap of tx queues the guest enabled */
    rte_spinlock_t txq_lock[DP_MAX_TXQ];
    struct dp_port_stats stats[DP_TX_USERS_MAX];
};

/* Options for creating a port. */
struct dp_port_args {
    enum dp_port_type type;
    const char *devargs;  /* dpdk: PCI address or vdev devargs; vhost: built by vm-ports */
    const char *path;     /* vhost: socket path */
    uint16_t n_rxq;       /* 0 = 1 */
    uint16_t mtu;         /* 0 = leave the device's default */
    /* The bridge's LOCAL port (what Open vSwitch calls an internal port): `devargs` is a
     * net_tap device (dp_local_devargs()). It gets one queue pair, since net_tap needs as
     * many tx as rx queues and the host's stack is no faster with more, so every tx user
     * shares it under txq_lock. Its rx queue is not polled by a PMD (a read() per poll) but
     * by the control thread when rx_intr_fd becomes readable. The kernel interface is left
     * administratively down, like OVS's: the user brings it up. */
    bool internal;
    /* NORMAL's VLAN configuration, copied: NULL (or a default one) is a trunk of every VLAN.
     * Set before the port joins its bridge, so no packet sees it unconfigured. */
    const struct port_vlan *vlan;
};

/* Probes (or finds, when already probed) the device, configures n_rxq rx queues and
 * min(n_tx_users, device max) tx queues on `pool`, starts it, enables promiscuous mode.
 * On error returns a negative errno with a message naming the port and the cause, and leaves
 * no device behind. */
struct rte_mempool;
int dp_port_open(struct dp_port *p, const struct dp_port_args *args, unsigned n_tx_users,
                 struct rte_mempool *pool, char *err, size_t errlen);
/* Stops and closes the device, and removes it when we probed it. */
void dp_port_close(struct dp_port *p);

/* Sum of every user's counters. */
void dp_port_stats_sum(const struct dp_port *p, struct dp_port_stats *sum);

/* Refreshes link_up from the device (control thread). Returns true when it changed. */
bool dp_port_poll_link(struct dp_port *p);

/* The devargs of bridge `bridge`'s LOCAL port, a net_tap device whose kernel interface is
 * named after the bridge: "net_tap_sl<bridge_id>,iface=<bridge>". Checks only what the
 * name allows (a kernel interface name is at most IFNAMSIZ - 1 = 15 characters); returns 0,
 * or -ENAMETOOLONG with a message that suggests a bridge without LOCAL port. */
int dp_local_devargs(const char *bridge, uint32_t bridge_id, char *buf, size_t len, char *err,
                     size_t errlen);

/* What stops the LOCAL tap from being created in this network namespace, checked before
 * DPDK tries (its own errors name neither the interface nor the cause): no /dev/net/tun, or
 * an interface of that name already there. Returns 0, or a negative errno with a message. */
int dp_local_precheck(const char *bridge, char *err, size_t errlen);

/* Validates a port or bridge name: 1..31 chars of [A-Za-z0-9_.-], not starting with '-'.
 * Returns 0 or -EINVAL with a message. */
int dp_name_validate(const char *what, const char *name, char *err, size_t errlen);

#endif
