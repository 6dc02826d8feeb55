#include "datapath/dp.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_eal.h>
#include <rte_ethdev.h>
#include <rte_launch.h>
#include <rte_lcore.h>
#include <rte_malloc.h>
#include <rte_mbuf.h>

#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <rte_ring.h>

#include "datapath/clock.h"
#include "datapath/emc.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/log.h"
#include "datapath/mac-learning.h"
#include "datapath/meter.h"
#include "datapath/pmd.h"
#include "datapath/port-vlan.h"
#include "datapath/rcu.h"

#define DP_MAX_BRIDGES 64
#define DP_DEFAULT_MBUFS 32768u
#define DP_PIN_RING_SIZE 1024u   /* per PMD */
#define DP_PIN_RECORDS 4096u
#define DP_LOCAL_BURSTS 8u       /* per LOCAL port and dp_local_run() call */

static struct {
    bool initialised;
    bool started;
    struct dp_config cfg;
    struct rte_mempool *pool;
    struct pmd *pmds[DP_MAX_PMDS];
    struct dp_port *ports[DP_MAX_PORTS]; /* by dp_port.id */
    struct dp_bridge *bridges[DP_MAX_BRIDGES];
    unsigned n_bridges;
    uint32_t next_bridge_id;
    struct pmd *control;              /* the control thread's context for packet-out */
    struct rte_mempool *pin_pool;     /* struct dp_packet_in records */
    struct rte_ring *pin_rings[DP_MAX_PMDS];
    int pin_fd;                       /* eventfd: packet-ins wait */
    /* epoll set of pin_fd (data NULL) and every LOCAL port's rx descriptor (data: the port):
     * the one descriptor the control loop polls for both (dp_packet_in_fd()). */
    int wake_ep;
    uint64_t pin_dropped;
} dp = {.pin_fd = -1, .wake_ep = -1};

/* Implemented in pmd.c: receives one burst on `rxq` and runs it through the pipeline as
 * `pmd` (here the control thread's context), then flushes its output. */
uint32_t pmd_poll_rxq(struct pmd *pmd, const struct pmd_rxq *rxq);

int dp_init(const struct dp_config *cfg, char *err, size_t errlen)
{
    if (cfg->n_pmds == 0 || cfg->n_pmds > DP_MAX_PMDS) {
        snprintf(err, errlen, "datapath: %u PMD threads requested, must be 1 to %d",
                 cfg->n_pmds, DP_MAX_PMDS);
        return -EINVAL;
    }
    dp.cfg = *cfg;
    uint32_t n_mbufs = cfg->n_mbufs ? cfg->n_mbufs : DP_DEFAULT_MBUFS;
    dp.pool = rte_pktmbuf_pool_create("sluice_mbufs", n_mbufs, 256, 0,
                                      RTE_MBUF_DEFAULT_BUF_SIZE, (int)rte_socket_id());
    if (!dp.pool) {
        snprintf(err, errlen,
                 "datapath: cannot create a pool of %u mbufs: %s (more hugepage memory, -m, or "
                 "fewer --mbufs)",
                 n_mbufs, rte_strerror(rte_errno));
        return -ENOMEM;
    }
    int rc = dp_rcu_init(cfg->n_pmds);
    if (rc) {
        snprintf(err, errlen, "datapath: RCU init failed: %s", strerror(-rc));
        return rc;
    }
    dp.pin_pool = rte_mempool_create("sluice_pins", DP_PIN_RECORDS, sizeof(struct dp_packet_in),
                                     64, 0, NULL, NULL, NULL, NULL, (int)rte_socket_id(), 0);
    dp.pin_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (!dp.pin_pool || dp.pin_fd < 0) {
        snprintf(err, errlen, "datapath: cannot create the packet-in queue: %s",
                 rte_strerror(rte_errno));
        return -ENOMEM;
    }
    dp.wake_ep = epoll_create1(EPOLL_CLOEXEC);
    struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
    if (dp.wake_ep < 0 || epoll_ctl(dp.wake_ep, EPOLL_CTL_ADD, dp.pin_fd, &ev) != 0) {
        snprintf(err, errlen, "datapath: cannot create the control thread's epoll set: %s",
                 strerror(errno));
        return -errno;
    }
    dp.control = rte_zmalloc("sluice_ctl_ctx", sizeof *dp.control, RTE_CACHE_LINE_SIZE);
    if (!dp.control) {
        snprintf(err, errlen, "datapath: out of memory for the control context");
        return -ENOMEM;
    }
    dp.control->id = DP_CONTROL_TX_USER;
    dp.control->txq_user = cfg->n_pmds;
    dp.control->pool = dp.pool;
    for (unsigned i = 0; i < cfg->n_pmds; i++) {
        struct pmd *pmd = rte_zmalloc("sluice_pmd", sizeof *pmd, RTE_CACHE_LINE_SIZE);
        char rname[32];
        snprintf(rname, sizeof rname, "sluice_pin%u", i);
        struct rte_ring *ring = rte_ring_create(rname, DP_PIN_RING_SIZE, (int)rte_socket_id(),
                                                RING_F_SP_ENQ | RING_F_SC_DEQ);
        if (!pmd || !ring) {
            snprintf(err, errlen, "datapath: out of memory for PMD %u", i);
            return -ENOMEM;
        }
        dp.pin_rings[i] = ring;
        pmd->pin_ring = ring;
        pmd->emc = rte_zmalloc("sluice_emc", sizeof *pmd->emc, RTE_CACHE_LINE_SIZE);
        if (!pmd->emc) {
            snprintf(err, errlen, "datapath: out of memory for PMD %u's exact-match cache", i);
            return -ENOMEM;
        }
        pmd->txq_user = i;
        pmd->id = i;
        pmd->lcore = cfg->pmd_lcores[i];
        pmd->idle_sleep_max_us = cfg->idle_sleep_max_us;
        pmd->pool = dp.pool;
        pmd->stats.id = i;
        pmd->stats.lcore = pmd->lcore;
        dp.pmds[i] = pmd;
    }
    dp.initialised = true;
    return 0;
}

int dp_start(char *err, size_t errlen)
{
    for (unsigned i = 0; i < dp.cfg.n_pmds; i++) {
        int rc = rte_eal_remote_launch(pmd_main, dp.pmds[i], dp.pmds[i]->lcore);
        if (rc) {
            snprintf(err, errlen, "datapath: cannot launch PMD %u on lcore %u: %s", i,
                     dp.pmds[i]->lcore, strerror(-rc));
            return rc;
        }
    }
    dp.started = true;
    return 0;
}

/* --- Publication helpers ------------------------------------------------------------- */

/* Publishes `*slot = nv`, waits a grace period, frees the old value with rte_free. */
static void publish_and_free(void **slot, void *nv)
{
    void *old = __atomic_exchange_n(slot, nv, __ATOMIC_ACQ_REL);
    dp_rcu_synchronize();
    rte_free(old);
}

static struct dp_bridge_view *view_copy(const struct dp_bridge_view *v)
{
    struct dp_bridge_view *n = rte_zmalloc("sluice_view", sizeof *n, RTE_CACHE_LINE_SIZE);
    if (n && v)
        memcpy(n, v, sizeof *n);
    return n;
}

static int poll_count(unsigned i)
{
    const struct pmd_poll_list *pl = dp.pmds[i]->poll;
    return pl ? (int)pl->n : 0;
}

/* Builds PMD i's poll list with `add` appended (when non-NULL) and every queue of `drop`
 * removed (when non-NULL), and publishes it. */
static int poll_list_update(unsigned i, const struct pmd_rxq *add, const struct dp_port *drop)
{
    const struct pmd_poll_list *old = dp.pmds[i]->poll;
    uint32_t n_old = old ? old->n : 0;
    struct pmd_poll_list *pl = rte_zmalloc(
        "sluice_poll", sizeof *pl + (n_old + 1) * sizeof(struct pmd_rxq), RTE_CACHE_LINE_SIZE);
    if (!pl)
        return -ENOMEM;
    for (uint32_t k = 0; k < n_old; k++)
        if (old->q[k].port != drop)
            pl->q[pl->n++] = old->q[k];
    if (add)
        pl->q[pl->n++] = *add;
    publish_and_free((void **)&dp.pmds[i]->poll, pl);
    return 0;
}

/* --- Bridges ------------------------------------------------------------------------- */

static int port_remove(struct dp_bridge *br, struct dp_port *p, char *err, size_t errlen);

struct dp_bridge *dp_bridge_find(const char *name)
{
    for (unsigned i = 0; i < dp.n_bridges; i++)
        if (!strcmp(dp.bridges[i]->name, name))
            return dp.bridges[i];
    return NULL;
}

struct dp_bridge *dp_bridge_next(const struct dp_bridge *prev)
{
    if (!prev)
        return dp.n_bridges ? dp.bridges[0] : NULL;
    for (unsigned i = 0; i + 1 < dp.n_bridges; i++)
        if (dp.bridges[i] == prev)
            return dp.bridges[i + 1];
    return NULL;
}

int dp_bridge_add(const char *name, char *err, size_t errlen)
{
    int rc = dp_name_validate("bridge", name, err, errlen);
    if (rc)
        return rc;
    if (dp_bridge_find(name)) {
        snprintf(err, errlen, "bridge %s: already exists", name);
        return -EEXIST;
    }
    if (dp_port_find_any(name)) {
        snprintf(err, errlen, "bridge %s: a port already has that name", name);
        return -EEXIST;
    }
    if (dp.n_bridges == DP_MAX_BRIDGES) {
        snprintf(err, errlen, "bridge %s: too many bridges (at most %d)", name, DP_MAX_BRIDGES);
        return -ENOSPC;
    }
    struct dp_bridge *br = rte_zmalloc("sluice_bridge", sizeof *br, RTE_CACHE_LINE_SIZE);
    struct dp_bridge_view *v = view_copy(NULL);
    bool ok = br && v;
    if (ok) {
        for (unsigned t = 0; t < DP_N_TABLES && ok; t++)
            ok = (br->tables[t] = flow_table_create()) != NULL;
        ok = ok && (br->groups = id_table_create(dp_group_free)) != NULL;
        ok = ok && (br->meters = id_table_create(dp_meter_free)) != NULL;
        ok = ok && (br->macs = mac_table_create(MAC_TABLE_DEFAULT_SIZE, MAC_AGING_DEFAULT_S,
                                                dp_now_ns())) != NULL;
    }
    if (!ok) {
        if (br) {
            for (unsigned t = 0; t < DP_N_TABLES; t++)
                flow_table_destroy(br->tables[t]);
            id_table_destroy(br->groups);
            id_table_destroy(br->meters);
            mac_table_destroy(br->macs);
        }
        rte_free(br);
        rte_free(v);
        snprintf(err, errlen, "bridge %s: out of memory", name);
        return -ENOMEM;
    }
    snprintf(br->name, sizeof br->name, "%s", name);
    br->id = ++dp.next_bridge_id;
    br->view = v;
    br->next_ofport = 1;
    br->created_ns = dp_now_ns();
    dp.bridges[dp.n_bridges++] = br;
    SLOG(INFO, "bridge %s: created", name);
    return 0;
}

int dp_bridge_add_ex(const char *name, enum dp_local_mode local, char *err, size_t errlen)
{
    int rc = dp_bridge_add(name, err, errlen);
    if (rc || local == DP_LOCAL_NONE)
        return rc;
    struct dp_bridge *br = dp_bridge_find(name);
    char devargs[64];
    rc = dp_local_devargs(name, br->id, devargs, sizeof devargs, err, errlen);
    if (!rc)
        rc = dp_local_precheck(name, err, errlen);
    if (!rc) {
        struct dp_port_args args = {.type = DP_PORT_DPDK, .devargs = devargs, .internal = true};
        char perr[384];
        rc = dp_port_add(br, name, &args, DP_OFPORT_LOCAL, perr, sizeof perr);
        if (rc)
            snprintf(err, errlen,
                     "bridge %s: cannot create its LOCAL port (tap interface %s): %s (use "
                     "local=none for a bridge without LOCAL port)",
                     name, name, perr);
    }
    if (rc) {
        char ignored[128];
        dp_bridge_del(name, ignored, sizeof ignored);
    }
    return rc;
}

struct dp_port *dp_bridge_local(const struct dp_bridge *br)
{
    return dp_port_by_ofport(br, DP_OFPORT_LOCAL);
}

int dp_bridge_del(const char *name, char *err, size_t errlen)
{
    struct dp_bridge *br = dp_bridge_find(name);
    if (!br) {
        snprintf(err, errlen, "bridge %s: no such bridge", name);
        return -ENOENT;
    }
    while (br->view->n_ports) {
        int rc = port_remove(br, br->view->ports[0], err, errlen);
        if (rc)
            return rc;
    }
    /* No port of this bridge is polled any more, so no PMD reads its rules or view. */
    for (unsigned t = 0; t < DP_N_TABLES; t++)
        flow_table_destroy(br->tables[t]);
    id_table_destroy(br->groups);
    id_table_destroy(br->meters);
    mac_table_destroy(br->macs);
    rte_free(br->view);
    for (unsigned i = 0; i < dp.n_bridges; i++)
        if (dp.bridges[i] == br) {
            memmove(&dp.bridges[i], &dp.bridges[i + 1],
                    (dp.n_bridges - i - 1) * sizeof dp.bridges[0]);
            dp.n_bridges--;
            break;
        }
    SLOG(INFO, "bridge %s: deleted", name);
    rte_free(br);
    return 0;
}

int dp_bridge_publish_rules(struct dp_bridge *br)
{
    int rc = 0;
    for (unsigned t = 0; t < DP_N_TABLES; t++) {
        int r = flow_table_publish(br->tables[t]);
        if (r)
            rc = r;
    }
    return rc;
}

struct dp_bridge *dp_bridge_by_id(uint32_t id)
{
    for (unsigned i = 0; i < dp.n_bridges; i++)
        if (dp.bridges[i]->id == id)
            return dp.bridges[i];
    return NULL;
}

void dp_table_stats_sum(const struct dp_bridge *br, unsigned table, struct dp_table_stats *out)
{
    memset(out, 0, sizeof *out);
    if (table >= DP_N_TABLES)
        return;
    for (unsigned u = 0; u < DP_TX_USERS_MAX; u++) {
        out->lookups += __atomic_load_n(&br->tstats[u][table].lookups, __ATOMIC_RELAXED);
        out->matches += __atomic_load_n(&br->tstats[u][table].matches, __ATOMIC_RELAXED);
    }
}

void dp_bridge_set_fail_open(struct dp_bridge *br, bool on)
{
    __atomic_store_n(&br->fail_open, on ? 1u : 0u, __ATOMIC_RELEASE);
}

bool dp_bridge_is_fail_open(const struct dp_bridge *br)
{
    return __atomic_load_n(&br->fail_open, __ATOMIC_ACQUIRE) != 0;
}

void dp_normal_stats_sum(const struct dp_bridge *br, struct dp_normal_stats *out)
{
    memset(out, 0, sizeof *out);
    for (unsigned u = 0; u < DP_TX_USERS_MAX; u++) {
        const struct dp_normal_stats *s = &br->nstats[u];
        out->unicast += __atomic_load_n(&s->unicast, __ATOMIC_RELAXED);
        out->flooded += __atomic_load_n(&s->flooded, __ATOMIC_RELAXED);
        out->dropped += __atomic_load_n(&s->dropped, __ATOMIC_RELAXED);
        out->fail_open += __atomic_load_n(&s->fail_open, __ATOMIC_RELAXED);
        out->vlan_dropped += __atomic_load_n(&s->vlan_dropped, __ATOMIC_RELAXED);
    }
}

/* --- Packet-in ----------------------------------------------------------------------- */

struct dp_packet_in *dp_packet_in_alloc(void)
{
    void *obj;
    return rte_mempool_get(dp.pin_pool, &obj) == 0 ? obj : NULL;
}

void dp_packet_in_free(struct dp_packet_in *pin)
{
    if (pin->m)
        rte_pktmbuf_free(pin->m);
    pin->m = NULL;
    rte_mempool_put(dp.pin_pool, pin);
}

void dp_packet_in_signal(void)
{
    uint64_t one = 1;
    if (write(dp.pin_fd, &one, sizeof one) < 0) {
        /* EAGAIN: the counter is already non-zero, the control thread will wake anyway. */
    }
}

void dp_packet_in_count_drop(void)
{
    __atomic_fetch_add(&dp.pin_dropped, 1, __ATOMIC_RELAXED);
}

uint64_t dp_packet_in_dropped(void)
{
    return __atomic_load_n(&dp.pin_dropped, __ATOMIC_RELAXED);
}

int dp_packet_in_fd(void)
{
    return dp.wake_ep >= 0 ? dp.wake_ep : dp.pin_fd;
}

void dp_packet_in_ack(void)
{
    uint64_t junk;
    if (read(dp.pin_fd, &junk, sizeof junk) < 0) {
        /* EAGAIN: nothing signalled; the rings may still hold packets. */
    }
}

unsigned dp_packet_in_drain(struct dp_packet_in **out, unsigned max)
{
    unsigned n = 0;
    for (unsigned i = 0; i < dp.cfg.n_pmds && n < max; i++)
        n += rte_ring_sc_dequeue_burst(dp.pin_rings[i], (void **)out + n, max - n, NULL);
    return n;
}

/* --- Control-thread execution: packet-out and trace ----------------------------------- */

static struct rte_mbuf *packet_from_bytes(const void *data, uint32_t len, char *err,
                                          size_t errlen)
{
    if (len < RTE_ETHER_HDR_LEN) {
        snprintf(err, errlen, "packet of %u bytes is shorter than an Ethernet header", len);
        return NULL;
    }
    struct rte_mbuf *m = rte_pktmbuf_alloc(dp.pool);
    if (!m) {
        snprintf(err, errlen, "out of packet buffers");
        return NULL;
    }
    if (len > rte_pktmbuf_tailroom(m)) {
        rte_pktmbuf_free(m);
        snprintf(err, errlen, "packet of %u bytes is larger than a buffer (%u)", len,
                 rte_pktmbuf_tailroom(m));
        return NULL;
    }
    memcpy(rte_pktmbuf_append(m, (uint16_t)len), data, len);
    return m;
}

int dp_packet_out(struct dp_bridge *br, const void *data, uint32_t len, uint32_t in_port,
                  const struct dp_action *actions, uint32_t n_actions, char *err,
                  size_t errlen)
{
    struct rte_mbuf *m = packet_from_bytes(data, len, err, errlen);
    if (!m)
        return -EINVAL;
    /* LOCAL is a port like the others: FLOOD leaves it out, output:LOCAL needs IN_PORT. */
    struct dp_port *in = in_port < DP_OFPORT_MAX || in_port == DP_OFPORT_LOCAL
                             ? dp_port_by_ofport(br, in_port)
                             : NULL;
    struct flow_key key;
    struct flow_layout lay;
    flow_key_parse(data, len, in_port, &key, &lay);
    struct pmd *c = dp.control;
    c->now_ns = dp_now_ns();
    c->trace = NULL;
    pmd_execute_actions(c, br, in, in_port, m, &key, &lay, actions, n_actions);
    pmd_flush(c);
    return 0;
}

int dp_trace_packet(struct dp_bridge *br, const void *data, uint32_t len, uint32_t in_port,
                    struct dp_trace *tr, char *err, size_t errlen)
{
    struct rte_mbuf *m = packet_from_bytes(data, len, err, errlen);
    if (!m)
        return -EINVAL;
    struct dp_port *in = dp_port_by_ofport(br, in_port);
    struct flow_key key;
    struct flow_layout lay;
    flow_key_parse(data, len, in_port, &key, &lay);
    memset(tr, 0, sizeof *tr);
    struct pmd *c = dp.control;
    c->now_ns = dp_now_ns();
    c->trace = tr;
    pmd_pipeline(c, br, in, in_port, m, &key, &lay, 0);
    c->trace = NULL;
    tr->final_key = key;
    return 0;
}

/* --- Ports --------------------------------------------------------------------------- */

struct dp_port *dp_port_find(const struct dp_bridge *br, const char *name)
{
    const struct dp_bridge_view *v = br->view;
    for (uint32_t i = 0; i < v->n_ports; i++)
        if (!strcmp(v->ports[i]->name, name))
            return v->ports[i];
    return NULL;
}

struct dp_port *dp_port_find_any(const char *name)
{
    for (unsigned i = 0; i < DP_MAX_PORTS; i++)
        if (dp.ports[i] && !strcmp(dp.ports[i]->name, name))
            return dp.ports[i];
    return NULL;
}

struct dp_port *dp_port_by_ofport(const struct dp_bridge *br, uint32_t ofport)
{
    const struct dp_bridge_view *v = br->view;
    for (uint32_t i = 0; i < v->n_ports; i++)
        if (v->ofports[i] == ofport)
            return v->ports[i];
    return NULL;
}

struct dp_port *dp_port_next(const struct dp_bridge *br, const struct dp_port *prev)
{
    const struct dp_bridge_view *v = br->view;
    if (!prev)
        return v->n_ports ? v->ports[0] : NULL;
    for (uint32_t i = 0; i + 1 < v->n_ports; i++)
        if (v->ports[i] == prev)
            return v->ports[i + 1];
    return NULL;
}

/* A private copy of a VLAN configuration for dp_port.vlan, or NULL for the default (a
 * trunk of every VLAN: no copy, so such ports cost NORMAL nothing). False when out of memory
 * or refused by port_vlan_check() (message in err). */
static bool vlan_dup(const char *port, const struct port_vlan *in, const struct port_vlan **out,
                     char *err, size_t errlen)
{
    *out = NULL;
    if (port_vlan_is_default(in))
        return true;
    char why[256];
    if (port_vlan_check(in, why, sizeof why) != 0) {
        snprintf(err, errlen, "port %s: %s", port, why);
        return false;
    }
    struct port_vlan *c = rte_malloc("sluice_port_vlan", sizeof *c, 0);
    if (!c) {
        snprintf(err, errlen, "port %s: out of memory", port);
        return false;
    }
    *c = *in;
    *out = c;
    return true;
}

static uint32_t view_count_vlan_ports(const struct dp_bridge_view *v)
{
    uint32_t n = 0;
    for (uint32_t i = 0; i < v->n_ports; i++)
        n += v->ports[i]->vlan != NULL;
    return n;
}

int dp_port_set_vlan(struct dp_bridge *br, struct dp_port *p, const struct port_vlan *vlan,
                     char *err, size_t errlen)
{
    const struct port_vlan *nv;
    if (!vlan_dup(p->name, vlan, &nv, err, errlen))
        return -EINVAL;
    struct dp_bridge_view *v = view_copy(br->view);
    if (!v) {
        rte_free((void *)nv);
        snprintf(err, errlen, "port %s: out of memory", p->name);
        return -ENOMEM;
    }
    /* The port's config first, then the view that tells PMDs to look at configs: a PMD on
     * the old view meanwhile forwards as before, as during any reconfiguration. */
    const struct port_vlan *old = __atomic_exchange_n(&p->vlan, nv, __ATOMIC_ACQ_REL);
    v->n_vlan_ports = view_count_vlan_ports(v);
    publish_and_free((void **)&br->view, v); /* the grace period covers `old` too */
    rte_free((void *)old);
    /* Entries learned in the old VLANs would send frames where they no longer belong. */
    unsigned n = mac_table_flush(br->macs, p->ofport);
    char trunks[PORT_VLAN_TRUNKS_TEXT_MAX];
    port_vlan_format_trunks(nv, trunks, sizeof trunks);
    if (nv && nv->tag)
        SLOG(INFO, "port %s: access port of VLAN %u (%u MAC entries flushed)", p->name, nv->tag,
             n);
    else
        SLOG(INFO, "port %s: trunk of %s%.200s (%u MAC entries flushed)", p->name,
             port_vlan_is_default(nv) ? "every VLAN" : "VLANs ", port_vlan_is_default(nv) ? "" : trunks,
             n);
    return 0;
}

static int free_port_id(void)
{
    for (int i = 0; i < DP_MAX_PORTS; i++)
        if (!dp.ports[i])
            return i;
    return -1;
}

static uint32_t next_ofport(struct dp_bridge *br)
{
    uint32_t n = br->next_ofport;
    while (dp_port_by_ofport(br, n))
        n++;
    return n;
}

int dp_port_add(struct dp_bridge *br, const char *name, const struct dp_port_args *args,
                uint32_t ofport, char *err, size_t errlen)
{
    int rc = dp_name_validate("port", name, err, errlen);
    if (rc)
        return rc;
    struct dp_port *other = dp_port_find_any(name);
    if (other) {
        snprintf(err, errlen, "port %s: already exists on bridge %s", name, other->bridge->name);
        return -EEXIST;
    }
    if (br->view->n_ports == DP_MAX_BRIDGE_PORTS) {
        snprintf(err, errlen, "port %s: bridge %s is full (%d ports)", name, br->name,
                 DP_MAX_BRIDGE_PORTS);
        return -ENOSPC;
    }
    if (args->internal != (ofport == DP_OFPORT_LOCAL)) {
        snprintf(err, errlen, "port %s: ofport LOCAL is the bridge's own (internal) port",
                 name);
        return -EINVAL;
    }
    if (ofport == DP_OFPORT_LOCAL) {
        struct dp_port *taken = dp_port_by_ofport(br, ofport);
        if (taken) {
            snprintf(err, errlen, "port %s: bridge %s already has LOCAL port %s", name,
                     br->name, taken->name);
            return -EEXIST;
        }
    } else if (ofport) {
        if (ofport >= DP_OFPORT_MAX) {
            snprintf(err, errlen, "port %s: ofport %u out of range (1 to %u)", name, ofport,
                     DP_OFPORT_MAX - 1);
            return -EINVAL;
        }
        struct dp_port *taken = dp_port_by_ofport(br, ofport);
        if (taken) {
            snprintf(err, errlen, "port %s: ofport %u is taken by port %s", name, ofport,
                     taken->name);
            return -EEXIST;
        }
    } else {
        ofport = next_ofport(br);
    }
    int id = free_port_id();
    if (id < 0) {
        snprintf(err, errlen, "port %s: too many ports (at most %d)", name, DP_MAX_PORTS);
        return -ENOSPC;
    }
    struct dp_port *p = rte_zmalloc("sluice_port", sizeof *p, RTE_CACHE_LINE_SIZE);
    if (!p) {
        snprintf(err, errlen, "port %s: out of memory", name);
        return -ENOMEM;
    }
    snprintf(p->name, sizeof p->name, "%s", name);
    p->id = (uint16_t)id;
    p->ofport = ofport;
    p->bridge = br;
    if (!vlan_dup(name, args->vlan, &p->vlan, err, errlen)) {
        rte_free(p);
        return -EINVAL;
    }
    rc = dp_port_open(p, args, dp.cfg.n_pmds + 1, dp.pool, err, errlen);
    if (rc) {
        rte_free((void *)p->vlan);
        rte_free(p);
        return rc;
    }
    dp.ports[id] = p;

    /* Make it a forwarding target first, then start polling it. */
    struct dp_bridge_view *v = view_copy(br->view);
    if (!v) {
        dp_port_close(p);
        dp.ports[id] = NULL;
        rte_free((void *)p->vlan);
        rte_free(p);
        snprintf(err, errlen, "port %s: out of memory", name);
        return -ENOMEM;
    }
    uint32_t pos = v->n_ports;
    while (pos > 0 && v->ofports[pos - 1] > ofport) {
        v->ofports[pos] = v->ofports[pos - 1];
        v->ports[pos] = v->ports[pos - 1];
        pos--;
    }
    v->ofports[pos] = ofport;
    v->ports[pos] = p;
    v->n_ports++;
    v->n_vlan_ports += p->vlan != NULL;
    publish_and_free((void **)&br->view, v);
    if (ofport < DP_OFPORT_MAX && ofport >= br->next_ofport)
        br->next_ofport = ofport + 1;

    if (p->internal) {
        /* Polled by the control thread (dp_local_run()), woken through dp_packet_in_fd(). */
        struct epoll_event ev = {.events = EPOLLIN, .data.ptr = p};
        if (epoll_ctl(dp.wake_ep, EPOLL_CTL_ADD, p->rx_intr_fd, &ev) != 0) {
            int e = errno;
            char ignored[64];
            port_remove(br, p, ignored, sizeof ignored);
            snprintf(err, errlen, "port %s: cannot watch its rx descriptor: %s", name,
                     strerror(e));
            return -e;
        }
        SLOG(INFO, "port %s: added to bridge %s as LOCAL (polled by the control thread)", name,
             br->name);
        return 0;
    }
    for (uint16_t q = 0; q < p->n_rxq; q++) {
        unsigned best = 0;
        for (unsigned i = 1; i < dp.cfg.n_pmds; i++)
            if (poll_count(i) < poll_count(best))
                best = i;
        struct pmd_rxq rxq = {.port = p, .queue = q};
        if (poll_list_update(best, &rxq, NULL) != 0)
            SLOG(ERR, "port %s: out of memory adding rx queue %u to PMD %u", name, q, best);
    }
    SLOG(INFO, "port %s: added to bridge %s as ofport %u", name, br->name, ofport);
    return 0;
}

int dp_port_del(struct dp_bridge *br, const char *name, char *err, size_t errlen)
{
    struct dp_port *p = dp_port_find(br, name);
    if (!p) {
        struct dp_port *elsewhere = dp_port_find_any(name);
        if (elsewhere)
            snprintf(err, errlen, "port %s: not on bridge %s (it is on %s)", name, br->name,
                     elsewhere->bridge->name);
        else
            snprintf(err, errlen, "port %s: no such port on bridge %s", name, br->name);
        return -ENOENT;
    }
    if (p->internal) {
        snprintf(err, errlen,
                 "port %s: is the LOCAL port of bridge %s and goes away only with the bridge "
                 "(del-br %s)",
                 name, br->name, br->name);
        return -EINVAL;
    }
    return port_remove(br, p, err, errlen);
}

static int port_remove(struct dp_bridge *br, struct dp_port *p, char *err, size_t errlen)
{
    const char *name = p->name;
    /* Stop polling it and stop sending to it; after the grace periods below no PMD holds
     * the port or a packet buffered for it (PMDs flush before going quiescent). */
    for (unsigned i = 0; i < dp.cfg.n_pmds; i++)
        if (poll_list_update(i, NULL, p) != 0) {
            snprintf(err, errlen, "port %s: out of memory", name);
            return -ENOMEM;
        }
    struct dp_bridge_view *v = view_copy(br->view);
    if (!v) {
        snprintf(err, errlen, "port %s: out of memory", name);
        return -ENOMEM;
    }
    uint32_t w = 0;
    for (uint32_t i = 0; i < v->n_ports; i++)
        if (v->ports[i] != p) {
            v->ports[w] = v->ports[i];
            v->ofports[w] = v->ofports[i];
            w++;
        }
    v->n_ports = w;
    v->n_vlan_ports = view_count_vlan_ports(v);
    publish_and_free((void **)&br->view, v);
    /* No PMD receives on it any more (grace period above), so nothing relearns it. */
    mac_table_flush(br->macs, p->ofport);

    if (p->rx_intr_fd >= 0)
        epoll_ctl(dp.wake_ep, EPOLL_CTL_DEL, p->rx_intr_fd, NULL);
    SLOG(INFO, "port %s: removed from bridge %s", name, br->name);
    dp_port_close(p);
    dp.ports[p->id] = NULL;
    rte_free((void *)p->vlan);
    rte_free(p);
    return 0;
}

/* --- PMDs, links, shutdown ------------------------------------------------------------ */

unsigned dp_n_pmds(void)
{
    return dp.cfg.n_pmds;
}

void dp_pmd_stats(unsigned i, struct dp_pmd_stats *out)
{
    memset(out, 0, sizeof *out);
    if (i >= dp.cfg.n_pmds)
        return;
    const struct pmd *pmd = dp.pmds[i];
    out->id = i;
    out->lcore = pmd->lcore;
    out->iterations = __atomic_load_n(&pmd->stats.iterations, __ATOMIC_RELAXED);
    out->packets = __atomic_load_n(&pmd->stats.packets, __ATOMIC_RELAXED);
    out->busy_cycles = __atomic_load_n(&pmd->stats.busy_cycles, __ATOMIC_RELAXED);
    out->idle_cycles = __atomic_load_n(&pmd->stats.idle_cycles, __ATOMIC_RELAXED);
    out->sleeps = __atomic_load_n(&pmd->stats.sleeps, __ATOMIC_RELAXED);
    out->emc_hits = __atomic_load_n(&pmd->emc->hits, __ATOMIC_RELAXED);
    out->emc_misses = __atomic_load_n(&pmd->emc->misses, __ATOMIC_RELAXED);
    out->replayed = __atomic_load_n(&pmd->stats.replayed, __ATOMIC_RELAXED);
    out->n_rxqs = (uint32_t)poll_count(i);
}

unsigned dp_pmd_rxqs(unsigned i, const struct dp_port **ports, uint16_t *queues, unsigned max)
{
    if (i >= dp.cfg.n_pmds || !dp.pmds[i]->poll)
        return 0;
    const struct pmd_poll_list *pl = dp.pmds[i]->poll;
    unsigned n = 0;
    for (; n < pl->n && n < max; n++) {
        ports[n] = pl->q[n].port;
        queues[n] = pl->q[n].queue;
    }
    return pl->n;
}

unsigned dp_local_run(void)
{
    if (dp.wake_ep < 0)
        return 0;
    struct epoll_event ev[16];
    int n = epoll_wait(dp.wake_ep, ev, 16, 0);
    unsigned got = 0;
    for (int i = 0; i < n; i++) {
        struct dp_port *p = ev[i].data.ptr;
        if (!p)
            continue; /* packet-ins: ofconn drains them */
        struct pmd_rxq rxq = {.port = p, .queue = 0};
        for (unsigned b = 0; b < DP_LOCAL_BURSTS; b++) {
            uint32_t k = pmd_poll_rxq(dp.control, &rxq);
            got += k;
            if (k < PMD_BURST)
                break;
        }
    }
    return got;
}

void dp_poll_links(void)
{
    for (unsigned i = 0; i < DP_MAX_PORTS; i++)
        if (dp.ports[i])
            dp_port_poll_link(dp.ports[i]);
    uint64_t now = dp_now_ns();
    for (unsigned i = 0; i < dp.n_bridges; i++)
        mac_table_age(dp.bridges[i]->macs, now);
}

void dp_fini(void)
{
    if (!dp.initialised)
        return;
    char err[256];
    while (dp.n_bridges)
        dp_bridge_del(dp.bridges[dp.n_bridges - 1]->name, err, sizeof err);
    if (dp.started) {
        for (unsigned i = 0; i < dp.cfg.n_pmds; i++)
            __atomic_store_n(&dp.pmds[i]->stop, 1, __ATOMIC_RELEASE);
        rte_eal_mp_wait_lcore();
        dp.started = false;
    }
    for (unsigned i = 0; i < dp.cfg.n_pmds; i++) {
        rte_free(dp.pmds[i]->poll);
        rte_free(dp.pmds[i]->emc);
        rte_free(dp.pmds[i]);
        dp.pmds[i] = NULL;
        struct dp_packet_in *pin;
        while (dp.pin_rings[i] && rte_ring_sc_dequeue(dp.pin_rings[i], (void **)&pin) == 0)
            dp_packet_in_free(pin);
        rte_ring_free(dp.pin_rings[i]);
        dp.pin_rings[i] = NULL;
    }
    rte_free(dp.control);
    dp.control = NULL;
    rte_mempool_free(dp.pin_pool);
    dp.pin_pool = NULL;
    if (dp.pin_fd >= 0)
        close(dp.pin_fd);
    dp.pin_fd = -1;
    if (dp.wake_ep >= 0)
        close(dp.wake_ep);
    dp.wake_ep = -1;
    dp_rcu_fini();
    rte_mempool_free(dp.pool);
    dp.pool = NULL;
    dp.initialised = false;
}
