#include "datapath/port.h"

#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <rte_bus.h>
#include <rte_dev.h>
#include <rte_ethdev.h>
#include <rte_mempool.h>

#include "datapath/log.h"
#include "vm-ports/vhost.h"

enum {
    PORT_RX_DESC = 1024,
    PORT_TX_DESC = 1024,
};

int dp_name_validate(const char *what, const char *name, char *err, size_t errlen)
{
    size_t n = strlen(name);
    if (n == 0 || n >= DP_PORT_NAME_MAX) {
        snprintf(err, errlen, "%s name \"%s\": must be 1 to %d characters", what, name,
                 DP_PORT_NAME_MAX - 1);
        return -EINVAL;
    }
    if (name[0] == '-') {
        snprintf(err, errlen, "%s name \"%s\": must not start with '-'", what, name);
        return -EINVAL;
    }
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok) {
            snprintf(err, errlen,
                     "%s name \"%s\": character '%c' not allowed (use letters, digits, '_', '-', "
                     "'.')",
                     what, name, c);
            return -EINVAL;
        }
    }
    return 0;
}

int dp_local_devargs(const char *bridge, uint32_t bridge_id, char *buf, size_t len, char *err,
                     size_t errlen)
{
    if (strlen(bridge) >= IFNAMSIZ) {
        snprintf(err, errlen,
                 "bridge %s: its LOCAL port would be a network interface named %s, but "
                 "interface names are at most %d characters (use a shorter bridge name, or "
                 "local=none for a bridge without LOCAL port)",
                 bridge, bridge, IFNAMSIZ - 1);
        return -ENAMETOOLONG;
    }
    int n = snprintf(buf, len, "net_tap_sl%u,iface=%s", bridge_id, bridge);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "bridge %s: LOCAL port devargs too long", bridge);
        return -ENAMETOOLONG;
    }
    return 0;
}

int dp_local_precheck(const char *bridge, char *err, size_t errlen)
{
    if (access("/dev/net/tun", R_OK | W_OK) != 0) {
        int e = errno;
        snprintf(err, errlen,
                 "bridge %s: cannot create its LOCAL port (tap interface %s): /dev/net/tun: %s "
                 "(load the tun module, or use local=none for a bridge without LOCAL port)",
                 bridge, bridge, strerror(e));
        return -ENODEV;
    }
    if (if_nametoindex(bridge) != 0) {
        snprintf(err, errlen,
                 "bridge %s: cannot create its LOCAL port: a network interface named %s "
                 "already exists in this network namespace (delete it, choose another bridge "
                 "name, or use local=none for a bridge without LOCAL port)",
                 bridge, bridge);
        return -EEXIST;
    }
    return 0;
}

/* The device name is the devargs up to the first comma: "net_af_packet0,iface=veth0" ->
 * "net_af_packet0", "0000:01:00.0" -> itself. */
static void devargs_name(const char *devargs, char *name, size_t len)
{
    size_t n = strcspn(devargs, ",");
    if (n >= len)
        n = len - 1;
    memcpy(name, devargs, n);
    name[n] = '\0';
}

static int find_port_by_devname(const char *devname, uint16_t *port_id)
{
    if (rte_eth_dev_get_port_by_name(devname, port_id) == 0)
        return 0;
    /* A PCI device's ports are named after the address; vdev ports after the vdev name;
     * some drivers add suffixes. Fall back to matching the rte_device name. */
    uint16_t pid;
    RTE_ETH_FOREACH_DEV(pid)
    {
        struct rte_eth_dev_info info;
        if (rte_eth_dev_info_get(pid, &info) == 0 && info.device &&
            !strcmp(rte_dev_name(info.device), devname)) {
            *port_id = pid;
            return 0;
        }
    }
    return -ENODEV;
}

static int lsc_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
    (void)type;
    (void)ret;
    struct dp_port *p = arg;
    struct rte_eth_link link;
    if (p->eth_port == port_id && rte_eth_link_get_nowait(port_id, &link) == 0) {
        __atomic_store_n(&p->link_up, link.link_status ? 1u : 0u, __ATOMIC_RELEASE);
        __atomic_fetch_add(&p->link_changes, 1, __ATOMIC_RELAXED);
    }
    return 0;
}

static int configure(struct dp_port *p, unsigned n_tx_users, struct rte_mempool *pool, char *err,
                     size_t errlen)
{
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(p->eth_port, &info);
    if (rc) {
        snprintf(err, errlen, "port %s: cannot read device info: %s", p->name, strerror(-rc));
        return rc;
    }
    if (p->n_rxq > info.max_rx_queues) {
        snprintf(err, errlen, "port %s: n_rxq=%u but device %s supports at most %u rx queues",
                 p->name, p->n_rxq, p->devargs, info.max_rx_queues);
        return -EINVAL;
    }
    unsigned n_txq = RTE_MIN(n_tx_users, (unsigned)info.max_tx_queues);
    n_txq = RTE_MIN(n_txq, (unsigned)DP_MAX_TXQ);
    if (p->internal)
        n_txq = RTE_MIN(n_txq, 1u); /* see dp_port_args.internal */
    if (n_txq == 0) {
        snprintf(err, errlen, "port %s: device %s has no tx queue", p->name, p->devargs);
        return -EINVAL;
    }
    p->n_txq = (uint16_t)n_txq;
    p->txq_shared = n_txq < n_tx_users;

    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    if (info.dev_flags && (*info.dev_flags & RTE_ETH_DEV_INTR_LSC))
        conf.intr_conf.lsc = 1;
    if (p->internal)
        conf.intr_conf.rxq = 1; /* the control thread waits on the queue's descriptor */
    if (info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)
        conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
    if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
        conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
    if (p->n_rxq > 1) {
        conf.rxmode.mq_mode = RTE_ETH_MQ_RX_RSS;
        conf.rx_adv_conf.rss_conf.rss_hf =
            (RTE_ETH_RSS_IP | RTE_ETH_RSS_TCP | RTE_ETH_RSS_UDP) & info.flow_type_rss_offloads;
        if (!conf.rx_adv_conf.rss_conf.rss_hf)
            conf.rxmode.mq_mode = RTE_ETH_MQ_RX_NONE;
    }

    rc = rte_eth_dev_configure(p->eth_port, p->n_rxq, p->n_txq, &conf);
    if (rc) {
        snprintf(err, errlen, "port %s: cannot configure %u rx / %u tx queues: %s", p->name,
                 p->n_rxq, p->n_txq, strerror(-rc));
        return rc;
    }
    uint16_t nb_rxd = PORT_RX_DESC, nb_txd = PORT_TX_DESC;
    rte_eth_dev_adjust_nb_rx_tx_desc(p->eth_port, &nb_rxd, &nb_txd);
    int socket = rte_eth_dev_socket_id(p->eth_port);
    if (socket < 0)
        socket = (int)rte_socket_id();
    for (uint16_t q = 0; q < p->n_rxq; q++) {
        struct rte_eth_rxconf rxc = info.default_rxconf;
        rxc.offloads = conf.rxmode.offloads;
        rc = rte_eth_rx_queue_setup(p->eth_port, q, nb_rxd, (unsigned)socket, &rxc, pool);
        if (rc) {
            snprintf(err, errlen, "port %s: rx queue %u setup failed: %s", p->name, q,
                     strerror(-rc));
            return rc;
        }
    }
    for (uint16_t q = 0; q < p->n_txq; q++) {
        struct rte_eth_txconf txc = info.default_txconf;
        txc.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(p->eth_port, q, nb_txd, (unsigned)socket, &txc);
        if (rc) {
            snprintf(err, errlen, "port %s: tx queue %u setup failed: %s", p->name, q,
                     strerror(-rc));
            return rc;
        }
        rte_spinlock_init(&p->txq_lock[q]);
    }
    for (unsigned u = 0; u < DP_TX_USERS_MAX; u++)
        p->txq_map[u] = (uint8_t)(u % p->n_txq);
    if (p->type != DP_PORT_DPDK)
        vhost_port_watch_queues(p);
    /* A vhost device has no MTU of its own (the guest chooses; mergeable buffers carry any
     * size): the port's MTU is then only sluice's own limit on what it sends there. */
    bool vhost = p->type != DP_PORT_DPDK;
    uint16_t want_mtu = p->mtu;
    if (p->mtu && !vhost) {
        rc = rte_eth_dev_set_mtu(p->eth_port, p->mtu);
        if (rc) {
            snprintf(err, errlen, "port %s: cannot set MTU %u: %s", p->name, p->mtu,
                     strerror(-rc));
            return rc;
        }
    }
    if (conf.intr_conf.lsc)
        rte_eth_dev_callback_register(p->eth_port, RTE_ETH_EVENT_INTR_LSC, lsc_event, p);
    rc = rte_eth_dev_start(p->eth_port);
    if (rc) {
        if (conf.intr_conf.lsc)
            rte_eth_dev_callback_unregister(p->eth_port, RTE_ETH_EVENT_INTR_LSC, lsc_event, p);
        if (p->type != DP_PORT_DPDK)
            vhost_port_unwatch_queues(p);
        snprintf(err, errlen, "port %s: cannot start device %s: %s", p->name, p->devargs,
                 strerror(-rc));
        return rc;
    }
    /* Not every driver implements promiscuous mode (vhost has no filter): not an error. */
    rte_eth_promiscuous_enable(p->eth_port);
    if (p->internal) {
        /* net_tap's queue descriptor is the tap's own: readable while the host has sent
         * packets that rx_burst has not read yet. */
        p->rx_intr_fd = rte_eth_dev_rx_intr_ctl_q_get_fd(p->eth_port, 0);
        if (p->rx_intr_fd < 0) {
            snprintf(err, errlen, "port %s: device %s has no rx interrupt descriptor", p->name,
                     p->devargs);
            return -ENOTSUP; /* the caller unregisters, stops and removes */
        }
        /* net_tap brings the interface up when it starts; an internal port starts down. */
        rc = rte_eth_dev_set_link_down(p->eth_port);
        if (rc)
            SLOG(WARNING, "port %s: cannot set the tap interface down: %s", p->name,
                 strerror(-rc));
    }
    uint16_t mtu = 0;
    if (vhost && want_mtu)
        p->mtu = want_mtu;
    else if (rte_eth_dev_get_mtu(p->eth_port, &mtu) == 0)
        p->mtu = mtu;
    if (!p->mtu)
        p->mtu = RTE_ETHER_MTU;
    rte_eth_macaddr_get(p->eth_port, &p->mac);
    dp_port_poll_link(p);
    return 0;
}

int dp_port_open(struct dp_port *p, const struct dp_port_args *args, unsigned n_tx_users,
                 struct rte_mempool *pool, char *err, size_t errlen)
{
    char devname[RTE_DEV_NAME_MAX_LEN];
    int rc;

    p->type = args->type;
    p->internal = args->internal;
    p->rx_intr_fd = -1;
    p->n_rxq = args->internal ? 1 : args->n_rxq ? args->n_rxq : 1;
    p->mtu = args->mtu;
    snprintf(p->devargs, sizeof p->devargs, "%s", args->devargs ? args->devargs : "");
    snprintf(p->path, sizeof p->path, "%s", args->path ? args->path : "");
    if (!p->devargs[0]) {
        snprintf(err, errlen, "port %s: devargs missing (e.g. devargs=net_af_packet0,iface=eth0)",
                 p->name);
        return -EINVAL;
    }
    devargs_name(p->devargs, devname, sizeof devname);

    p->probed_here = false;
    if (find_port_by_devname(devname, &p->eth_port) == 0) {
        /* Probed at EAL init (--vdev / PCI allow list): adopt it, unless it is in use. */
        if (rte_eth_dev_is_valid_port(p->eth_port) &&
            rte_eth_dev_owner_get(p->eth_port, &(struct rte_eth_dev_owner){0}) != 0) {
            snprintf(err, errlen, "port %s: device %s is not usable", p->name, devname);
            return -EBUSY;
        }
    } else {
        rc = rte_dev_probe(p->devargs);
        if (rc) {
            snprintf(err, errlen, "port %s: cannot probe device \"%s\": %s", p->name, p->devargs,
                     rc == -ENOENT || rc == -ENODEV
                         ? "no such device or driver (check the devargs and that the driver "
                           "exists)"
                         : strerror(-rc));
            return rc;
        }
        if (find_port_by_devname(devname, &p->eth_port) != 0) {
            snprintf(err, errlen, "port %s: device \"%s\" probed but no ethdev port appeared",
                     p->name, devname);
            rte_eal_hotplug_remove("vdev", devname);
            return -ENODEV;
        }
        p->probed_here = true;
    }

    rc = configure(p, n_tx_users, pool, err, errlen);
    if (rc) {
        rte_eth_dev_callback_unregister(p->eth_port, RTE_ETH_EVENT_INTR_LSC, lsc_event, p);
        if (p->type != DP_PORT_DPDK)
            vhost_port_unwatch_queues(p);
        rte_eth_dev_stop(p->eth_port);
        struct rte_eth_dev_info info;
        struct rte_device *dev = NULL;
        if (rte_eth_dev_info_get(p->eth_port, &info) == 0)
            dev = info.device;
        rte_eth_dev_close(p->eth_port);
        if (p->probed_here && dev)
            rte_dev_remove(dev);
        return rc;
    }
    SLOG(INFO, "port %s: %s up as ethdev %u (%u rxq, %u txq%s, mtu %u)", p->name, p->devargs,
         p->eth_port, p->n_rxq, p->n_txq, p->txq_shared ? " shared" : "", p->mtu);
    return 0;
}

void dp_port_close(struct dp_port *p)
{
    struct rte_eth_dev_info info;
    struct rte_device *dev = NULL;
    if (rte_eth_dev_info_get(p->eth_port, &info) == 0)
        dev = info.device;
    rte_eth_dev_callback_unregister(p->eth_port, RTE_ETH_EVENT_INTR_LSC, lsc_event, p);
    if (p->type != DP_PORT_DPDK)
        vhost_port_unwatch_queues(p);
    int rc = rte_eth_dev_stop(p->eth_port);
    if (rc)
        SLOG(WARNING, "port %s: stop: %s", p->name, strerror(-rc));
    rte_eth_dev_close(p->eth_port);
    if (p->probed_here && dev) {
        rc = rte_dev_remove(dev);
        if (rc)
            SLOG(WARNING, "port %s: remove device: %s", p->name, strerror(-rc));
    }
    p->rx_intr_fd = -1;
    SLOG(INFO, "port %s: closed", p->name);
}

void dp_port_stats_sum(const struct dp_port *p, struct dp_port_stats *sum)
{
    memset(sum, 0, sizeof *sum);
    for (unsigned u = 0; u < DP_TX_USERS_MAX; u++) {
        const struct dp_port_stats *s = &p->stats[u];
#define ADD(f) sum->f += __atomic_load_n(&s->f, __ATOMIC_RELAXED)
        ADD(rx_packets);
        ADD(rx_bytes);
        ADD(tx_packets);
        ADD(tx_bytes);
        ADD(drop_no_rule);
        ADD(drop_malformed);
        ADD(drop_action);
        ADD(drop_tx_full);
        ADD(drop_port_down);
        ADD(drop_mtu);
        ADD(drop_no_port);
        ADD(drop_port_config);
#undef ADD
    }
}

bool dp_port_poll_link(struct dp_port *p)
{
    struct rte_eth_link link;
    if (rte_eth_link_get_nowait(p->eth_port, &link) != 0)
        return false;
    uint32_t up = link.link_status ? 1u : 0u;
    uint32_t old = __atomic_exchange_n(&p->link_up, up, __ATOMIC_ACQ_REL);
    if (old != up) {
        __atomic_fetch_add(&p->link_changes, 1, __ATOMIC_RELAXED);
        SLOG(INFO, "port %s: link %s", p->name, up ? "up" : "down");
        return true;
    }
    return false;
}
