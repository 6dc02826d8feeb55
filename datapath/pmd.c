#include "datapath/pmd.h"

#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>

#include "datapath/flow-field.h"
#include "datapath/log.h"
#include "datapath/rcu.h"

/* Counters read by the control thread: single writer, so a relaxed load + store is enough
 * (and compiles to a plain add). */
#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts); /* vDSO: no syscall */
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void txbuf_flush(struct pmd *pmd, struct pmd_txbuf *tb)
{
    struct dp_port *p = tb->port;
    struct dp_port_stats *st = &p->stats[pmd->id];
    uint16_t n = tb->n, sent = 0;
    uint16_t q = (uint16_t)(pmd->id % p->n_txq);

    if (p->txq_shared)
        rte_spinlock_lock(&p->txq_lock[q]);
    sent = rte_eth_tx_burst(p->eth_port, q, tb->pkts, n);
    for (unsigned r = 0; sent < n && r < PMD_TX_RETRIES; r++) {
        uint16_t k = rte_eth_tx_burst(p->eth_port, q, tb->pkts + sent, n - sent);
        if (k == 0)
            break;
        sent += k;
    }
    if (p->txq_shared)
        rte_spinlock_unlock(&p->txq_lock[q]);

    uint32_t bytes = tb->bytes;
    if (unlikely(sent < n)) {
        for (uint16_t i = sent; i < n; i++) {
            bytes -= tb->pkts[i]->pkt_len;
            rte_pktmbuf_free(tb->pkts[i]);
        }
        if (__atomic_load_n(&p->link_up, __ATOMIC_RELAXED))
            STAT_ADD(st->drop_tx_full, n - sent);
        else
            STAT_ADD(st->drop_port_down, n - sent);
    }
    STAT_ADD(st->tx_packets, sent);
    STAT_ADD(st->tx_bytes, bytes);
    tb->n = 0;
    tb->bytes = 0;
}

static void flush_all(struct pmd *pmd)
{
    for (uint16_t i = 0; i < pmd->n_dirty; i++) {
        struct pmd_txbuf *tb = &pmd->txbuf[pmd->dirty[i]];
        if (tb->n)
            txbuf_flush(pmd, tb);
        tb->queued = false;
    }
    pmd->n_dirty = 0;
}

/* Queues `m` (whose reference the caller hands over) for transmission on `p`. */
static inline void tx_enqueue(struct pmd *pmd, struct dp_port *p, struct rte_mbuf *m)
{
    uint32_t max_frame = (uint32_t)p->mtu + RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN;
    if (unlikely(m->pkt_len > max_frame)) {
        STAT_ADD(p->stats[pmd->id].drop_mtu, 1);
        rte_pktmbuf_free(m);
        return;
    }
    struct pmd_txbuf *tb = &pmd->txbuf[p->id];
    if (!tb->queued) {
        tb->queued = true;
        tb->port = p;
        pmd->dirty[pmd->n_dirty++] = p->id;
    }
    tb->pkts[tb->n++] = m;
    tb->bytes += m->pkt_len;
    if (unlikely(tb->n == PMD_BURST))
        txbuf_flush(pmd, tb); /* stays in the dirty list; flush_all skips empty buffers */
}

static inline struct dp_port *view_port(const struct dp_bridge_view *v, uint32_t ofport)
{
    for (uint32_t i = 0; i < v->n_ports; i++)
        if (v->ofports[i] == ofport)
            return v->ports[i];
    return NULL;
}

/* Makes `*m` safe to modify: a packet already queued for output elsewhere is shared
 * (refcnt > 1), so it is copied first. Returns false when the copy failed (packet dropped). */
static bool make_writable(struct pmd *pmd, struct rte_mbuf **m)
{
    if (rte_mbuf_refcnt_read(*m) == 1 && !RTE_MBUF_CLONED(*m))
        return true;
    struct rte_mbuf *c = rte_pktmbuf_copy(*m, pmd->pool, 0, UINT32_MAX);
    rte_pktmbuf_free(*m);
    *m = c;
    return c != NULL;
}

static bool vlan_push(struct rte_mbuf *m, uint16_t tpid, struct flow_key *key)
{
    struct rte_ether_hdr *old = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_ether_hdr *eh =
        (struct rte_ether_hdr *)rte_pktmbuf_prepend(m, sizeof(struct rte_vlan_hdr));
    if (!eh)
        return false;
    memmove(eh, old, 2 * RTE_ETHER_ADDR_LEN);
    struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
    /* The new tag copies the current outer TCI (OpenFlow 1.3 push_vlan semantics) or is 0. */
    uint16_t tci = rte_be_to_cpu_16(key->vlan_tci) & ~FLOW_VLAN_PRESENT;
    vh->vlan_tci = rte_cpu_to_be_16(tci);
    vh->eth_proto = eh->ether_type; /* the old EtherType/TPID now follows the tag */
    eh->ether_type = rte_cpu_to_be_16(tpid);
    key->vlan_inner_tci = key->vlan_tci;
    key->vlan_tci = rte_cpu_to_be_16(tci | FLOW_VLAN_PRESENT);
    key->vlan_tpid = rte_cpu_to_be_16(tpid);
    return true;
}

static void vlan_pop(struct rte_mbuf *m, struct flow_key *key)
{
    if (!(rte_be_to_cpu_16(key->vlan_tci) & FLOW_VLAN_PRESENT) ||
        rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
        return;
    struct rte_ether_hdr *eh = rte_pktmbuf_mtod(m, struct rte_ether_hdr *);
    struct rte_vlan_hdr *vh = (struct rte_vlan_hdr *)(eh + 1);
    uint16_t inner_type = vh->eth_proto;
    struct rte_ether_hdr *neh =
        (struct rte_ether_hdr *)rte_pktmbuf_adj(m, sizeof(struct rte_vlan_hdr));
    memmove(neh, eh, 2 * RTE_ETHER_ADDR_LEN);
    neh->ether_type = inner_type;
    key->vlan_tci = key->vlan_inner_tci;
    key->vlan_inner_tci = 0;
    key->vlan_tpid = key->vlan_tci ? rte_cpu_to_be_16(RTE_ETHER_TYPE_VLAN) : 0;
}

static void vlan_set_tci(struct rte_mbuf *m, struct flow_key *key, uint16_t mask, uint16_t val)
{
    if (!(rte_be_to_cpu_16(key->vlan_tci) & FLOW_VLAN_PRESENT) ||
        rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN + RTE_VLAN_HLEN)
        return;
    struct rte_vlan_hdr *vh =
        (struct rte_vlan_hdr *)(rte_pktmbuf_mtod(m, struct rte_ether_hdr *) + 1);
    uint16_t tci = (rte_be_to_cpu_16(vh->vlan_tci) & ~mask) | (val & mask);
    vh->vlan_tci = rte_cpu_to_be_16(tci);
    key->vlan_tci = rte_cpu_to_be_16(tci | FLOW_VLAN_PRESENT);
}

/* Output to every port of the bridge but the ingress one. */
static void output_flood(struct pmd *pmd, const struct dp_bridge_view *v,
                         const struct dp_port *in, struct rte_mbuf *m)
{
    for (uint32_t i = 0; i < v->n_ports; i++) {
        struct dp_port *p = v->ports[i];
        if (p == in)
            continue;
        rte_mbuf_refcnt_update(m, 1);
        tx_enqueue(pmd, p, m);
    }
}

/* Runs `r`'s actions on `m`. The caller's reference to `m` is consumed. */
static void execute(struct pmd *pmd, struct dp_port *in, const struct dp_bridge_view *v,
                    const struct rule *r, struct rte_mbuf *m, struct flow_key *key)
{
    struct dp_port_stats *ist = &in->stats[pmd->id];
    bool sent = false;

    for (uint32_t i = 0; i < r->n_actions; i++) {
        const struct dp_action *a = &r->actions[i];
        switch (a->type) {
        case DP_ACT_OUTPUT: {
            uint32_t port = a->port;
            if (port == DP_OFPORT_FLOOD || port == DP_OFPORT_ALL) {
                output_flood(pmd, v, in, m);
                sent = true;
                break;
            }
            struct dp_port *out = port == DP_OFPORT_IN_PORT ? in : view_port(v, port);
            if (unlikely(!out)) {
                STAT_ADD(ist->drop_no_port, 1);
                break;
            }
            rte_mbuf_refcnt_update(m, 1);
            tx_enqueue(pmd, out, m);
            sent = true;
            break;
        }
        case DP_ACT_PUSH_VLAN:
            if (!make_writable(pmd, &m))
                return;
            if (!vlan_push(m, (uint16_t)a->arg, key)) {
                STAT_ADD(ist->drop_malformed, 1);
                rte_pktmbuf_free(m);
                return;
            }
            break;
        case DP_ACT_POP_VLAN:
            if (!make_writable(pmd, &m))
                return;
            vlan_pop(m, key);
            break;
        case DP_ACT_SET_VLAN_VID:
            if (!make_writable(pmd, &m))
                return;
            vlan_set_tci(m, key, FLOW_VLAN_VID_MASK, (uint16_t)a->arg);
            break;
        case DP_ACT_SET_VLAN_PCP:
            if (!make_writable(pmd, &m))
                return;
            vlan_set_tci(m, key, 0xe000, (uint16_t)(a->arg << FLOW_VLAN_PCP_SHIFT));
            break;
        default:
            /* Actions the datapath does not run yet (set_field, group, controller) were
             * refused when the rule was added; nothing to do here. */
            break;
        }
    }
    if (!sent)
        STAT_ADD(ist->drop_action, 1);
    rte_pktmbuf_free(m); /* our own reference; queued copies hold theirs */
}

static uint32_t process_rxq(struct pmd *pmd, const struct pmd_rxq *rxq)
{
    struct rte_mbuf *pkts[PMD_BURST];
    struct dp_port *in = rxq->port;
    uint16_t n = rte_eth_rx_burst(in->eth_port, rxq->queue, pkts, PMD_BURST);
    if (n == 0)
        return 0;

    struct dp_bridge *br = in->bridge;
    const struct dp_bridge_view *v = __atomic_load_n(&br->view, __ATOMIC_ACQUIRE);
    const struct rule_snapshot *snap = rule_table_snapshot(br->rules);
    struct dp_port_stats *st = &in->stats[pmd->id];
    uint64_t ts = now_ns();
    uint64_t rx_bytes = 0;

    struct rule *acc_rule = NULL;
    uint32_t acc_pkts = 0;
    uint64_t acc_bytes = 0;

    for (uint16_t i = 0; i < n && i < 4; i++)
        rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (i + 4 < n)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
        rx_bytes += m->pkt_len;
        if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
            STAT_ADD(st->drop_malformed, 1);
            rte_pktmbuf_free(m);
            continue;
        }
        struct flow_key key;
        flow_key_parse(rte_pktmbuf_mtod(m, void *), rte_pktmbuf_data_len(m), in->ofport, &key,
                       NULL);
        struct rule *r = rule_snapshot_lookup(snap, &key);
        if (unlikely(!r)) {
            STAT_ADD(st->drop_no_rule, 1);
            rte_pktmbuf_free(m);
            continue;
        }
        if (r != acc_rule) {
            if (acc_rule)
                rule_account(acc_rule, acc_pkts, acc_bytes, ts);
            acc_rule = r;
            acc_pkts = 0;
            acc_bytes = 0;
        }
        acc_pkts++;
        acc_bytes += m->pkt_len;
        execute(pmd, in, v, r, m, &key);
    }
    if (acc_rule)
        rule_account(acc_rule, acc_pkts, acc_bytes, ts);
    STAT_ADD(st->rx_packets, n);
    STAT_ADD(st->rx_bytes, rx_bytes);
    return n;
}

int pmd_main(void *arg)
{
    struct pmd *pmd = arg;
    uint32_t idle_iters = 0, sleep_us = 0;

    dp_rcu_register(pmd->id);
    SLOG(INFO, "pmd %u: running on lcore %u", pmd->id, pmd->lcore);
    while (!__atomic_load_n(&pmd->stop, __ATOMIC_ACQUIRE)) {
        dp_rcu_quiescent(pmd->id);
        uint64_t t0 = rte_rdtsc();
        const struct pmd_poll_list *pl = __atomic_load_n(&pmd->poll, __ATOMIC_ACQUIRE);
        uint32_t got = 0;
        if (pl)
            for (uint32_t i = 0; i < pl->n; i++)
                got += process_rxq(pmd, &pl->q[i]);
        if (pmd->n_dirty)
            flush_all(pmd);
        uint64_t t1 = rte_rdtsc();
        STAT_ADD(pmd->stats.iterations, 1);
        if (got) {
            STAT_ADD(pmd->stats.packets, got);
            STAT_ADD(pmd->stats.busy_cycles, t1 - t0);
            idle_iters = 0;
            sleep_us = 0;
            continue;
        }
        if (pmd->idle_sleep_max_us && ++idle_iters >= PMD_IDLE_SPIN) {
            sleep_us = sleep_us ? RTE_MIN(sleep_us * 2, pmd->idle_sleep_max_us) : 1;
            dp_rcu_offline(pmd->id);
            usleep(sleep_us);
            dp_rcu_online(pmd->id);
            STAT_ADD(pmd->stats.sleeps, 1);
        }
        STAT_ADD(pmd->stats.idle_cycles, rte_rdtsc() - t0);
    }
    flush_all(pmd);
    dp_rcu_unregister(pmd->id);
    SLOG(INFO, "pmd %u: stopped", pmd->id);
    return 0;
}
