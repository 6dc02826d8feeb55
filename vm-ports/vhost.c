#include "vm-ports/vhost.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_eth_vhost.h>
#include <rte_vhost.h>

#include "datapath/log.h"
#include "datapath/rcu.h"

/* Server mode: the path must be free, or hold only a dead socket. */
static int check_server_path(const char *name, const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) != 0)
        return 0; /* nothing there */
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "port %s: vhost socket %s: exists and is not a socket", name,
                 path);
        return -EEXIST;
    }
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return 0;
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int rc = connect(fd, (struct sockaddr *)&sa, sizeof sa);
    close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "port %s: vhost socket %s: address already in use", name, path);
        return -EADDRINUSE;
    }
    unlink(path); /* stale: left by a process that died */
    return 0;
}

int vhost_port_devargs(const char *name, enum dp_port_type type, const char *path,
                       unsigned queues, char *buf, size_t len, char *err, size_t errlen)
{
    if (!path || !path[0]) {
        snprintf(err, errlen, "port %s: vhost socket path missing (path=SOCK)", name);
        return -EINVAL;
    }
    if (strlen(path) >= sizeof(((struct sockaddr_un *)0)->sun_path)) {
        snprintf(err, errlen, "port %s: vhost socket path %s: longer than %zu characters", name,
                 path, sizeof(((struct sockaddr_un *)0)->sun_path) - 1);
        return -ENAMETOOLONG;
    }
    if (strchr(path, ',')) {
        snprintf(err, errlen, "port %s: vhost socket path %s: must not contain ','", name, path);
        return -EINVAL;
    }
    if (queues == 0)
        queues = 1;
    if (queues > 128) {
        snprintf(err, errlen, "port %s: %u queue pairs requested, at most 128", name, queues);
        return -EINVAL;
    }
    bool client = type == DP_PORT_VHOSTUSERCLIENT;
    if (!client) {
        int rc = check_server_path(name, path, err, errlen);
        if (rc)
            return rc;
    }
    int n = snprintf(buf, len, "net_vhost_%s,iface=%s,queues=%u,client=%d", name, path, queues,
                     client ? 1 : 0);
    if (n < 0 || (size_t)n >= len) {
        snprintf(err, errlen, "port %s: devargs too long", name);
        return -ENAMETOOLONG;
    }
    return 0;
}

int vhost_port_features(uint16_t eth_port, uint64_t *features)
{
    int vid = rte_eth_vhost_get_vid_from_port_id(eth_port);
    if (vid < 0)
        return -ENODEV;
    return rte_vhost_get_negotiated_features(vid, features) == 0 ? 0 : -ENODEV;
}

void vhost_features_foreach(uint64_t features, void (*fn)(void *aux, const char *name),
                            void *aux)
{
    static const struct {
        unsigned bit;
        const char *name;
    } names[] = {
        {0, "CSUM"},          {1, "GUEST_CSUM"},     {3, "MTU"},           {5, "MAC"},
        {7, "GUEST_TSO4"},    {8, "GUEST_TSO6"},     {9, "GUEST_ECN"},     {10, "GUEST_UFO"},
        {11, "HOST_TSO4"},    {12, "HOST_TSO6"},     {13, "HOST_ECN"},     {14, "HOST_UFO"},
        {15, "MRG_RXBUF"},    {16, "STATUS"},        {17, "CTRL_VQ"},      {18, "CTRL_RX"},
        {19, "CTRL_VLAN"},    {21, "GUEST_ANNOUNCE"}, {22, "MQ"},          {23, "CTRL_MAC_ADDR"},
        {28, "INDIRECT_DESC"}, {29, "EVENT_IDX"},    {30, "PROTOCOL_FEATURES"}, {32, "VERSION_1"},
        {33, "ACCESS_PLATFORM"}, {34, "RING_PACKED"}, {35, "IN_ORDER"},    {37, "NOTIFICATION_DATA"},
    };
    for (unsigned bit = 0; bit < 64; bit++) {
        if (!(features & (1ull << bit)))
            continue;
        const char *name = NULL;
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
            if (names[i].bit == bit)
                name = names[i].name;
        char buf[16];
        if (!name) {
            snprintf(buf, sizeof buf, "bit %u", bit);
            name = buf;
        }
        fn(aux, name);
    }
}

/* Runs in DPDK's interrupt thread. */
static int queue_state_event(uint16_t port_id, enum rte_eth_event_type type, void *arg, void *ret)
{
    (void)type;
    (void)ret;
    struct dp_port *p = arg;
    if (p->eth_port != port_id)
        return 0;
    struct rte_eth_vhost_queue_event ev;
    uint64_t enabled = __atomic_load_n(&p->txq_enabled, __ATOMIC_RELAXED);
    bool changed = false;
    while (rte_eth_vhost_get_queue_event(port_id, &ev) == 0) {
        /* ev.rx is the ethdev's rx side; our tx queues are the !rx ones. */
        if (ev.rx || ev.queue_id >= p->n_txq)
            continue;
        uint64_t bit = 1ull << ev.queue_id;
        uint64_t next = ev.enable ? enabled | bit : enabled & ~bit;
        changed |= next != enabled;
        enabled = next;
    }
    if (!changed)
        return 0;
    __atomic_store_n(&p->txq_enabled, enabled, __ATOMIC_RELAXED);

    uint8_t queues[64];
    unsigned n = 0;
    for (unsigned q = 0; q < p->n_txq && q < 64; q++)
        if (enabled & (1ull << q))
            queues[n++] = (uint8_t)q;
    if (n == 0)
        return 0; /* nothing to send on: keep the map, the link is going down anyway */
    uint8_t map[DP_TX_USERS_MAX];
    unsigned users = DP_TX_USERS_MAX;
    bool shared = false;
    for (unsigned u = 0; u < users; u++)
        map[u] = queues[u % n];
    /* Users 0..n_pmds-1 are PMDs and the control thread is user n_pmds; only the first
     * n_txq users can have queues of their own. */
    shared = n < p->n_txq || p->txq_shared;
    if (shared && !p->txq_shared) {
        __atomic_store_n(&p->txq_shared, true, __ATOMIC_RELEASE);
        dp_rcu_synchronize(); /* every PMD now locks before it can see the new map */
    }
    for (unsigned u = 0; u < users; u++)
        __atomic_store_n(&p->txq_map[u], map[u], __ATOMIC_RELAXED);
    SLOG(INFO, "port %s: guest enabled %u of %u tx queues%s", p->name, n, p->n_txq,
         shared ? " (shared, locked)" : "");
    return 0;
}

void vhost_port_watch_queues(struct dp_port *p)
{
    rte_eth_dev_callback_register(p->eth_port, RTE_ETH_EVENT_QUEUE_STATE, queue_state_event, p);
}

void vhost_port_unwatch_queues(struct dp_port *p)
{
    rte_eth_dev_callback_unregister(p->eth_port, RTE_ETH_EVENT_QUEUE_STATE, queue_state_event,
                                    p);
}
