/* pmd.c — the PMD loop and the OpenFlow pipeline it runs on each packet.
 *
 * Packet ownership: every function that takes a `struct rte_mbuf *m` consumes one reference.
 * An output takes a new reference (refcnt + 1) and queues the same mbuf, so a packet sent to
 * several ports is never copied; an action that rewrites a packet first makes it writable,
 * copying only when another reference exists (make_writable()). The caller's reference is
 * released when its actions end.
 *
 * Trace: when pmd->trace is set (control thread only), the same code runs, records each
 * step and sends nothing: outputs are recorded and the packet reference dropped.
 */
#include "datapath/clock.h"
#include "datapath/pmd.h"

#include <time.h>
#include <unistd.h>

#include <rte_branch_prediction.h>
#include <rte_cycles.h>
#include <rte_ethdev.h>
#include <rte_prefetch.h>
#include <rte_ring.h>

#include "datapath/emc.h"
#include "datapath/flow-field.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/log.h"
#include "datapath/mac-learning.h"
#include "datapath/meter.h"
#include "datapath/packet-edit.h"
#include "datapath/port-vlan.h"
#include "datapath/rcu.h"

/* Counters read by the control thread: single writer, so a relaxed load + store is enough
 * (and compiles to a plain add). */
#define STAT_ADD(field, n) __atomic_store_n(&(field), (field) + (n), __ATOMIC_RELAXED)

enum { PIPELINE_MAX_DEPTH = 8 }; /* group-in-group nesting */

/* Implemented in dp.c: takes a packet-in record, or NULL when none is free. */
struct dp_packet_in *dp_packet_in_alloc(void);
void dp_packet_in_signal(void);
void dp_packet_in_count_drop(void);

static void trace_add(struct pmd *pmd, uint8_t kind, uint8_t table, uint32_t arg, int32_t arg2,
                      const struct rule *r, const struct dp_action *a, const char *note,
                      unsigned depth)
{
    struct dp_trace *t = pmd->trace;
    if (t->n == DP_TRACE_MAX) {
        t->truncated = true;
        return;
    }
    t->ev[t->n++] = (struct dp_trace_event){.kind = kind, .table = table, .arg = arg,
                                            .arg2 = arg2, .rule = r, .note = note,
                                            .depth = (uint8_t)depth};
    if (a) {
        t->ev[t->n - 1].has_action = true;
        t->ev[t->n - 1].action = *a;
    }
}
#define TRACE(...)                                                                            \
    do {                                                                                      \
        if (unlikely(pmd->trace != NULL))                                                     \
            trace_add(pmd, __VA_ARGS__);                                                      \
    } while (0)

/* --- Rule counters ------------------------------------------------------------------- */

static void acc_flush_slot(struct pmd *pmd, struct pmd_acc *a)
{
    rule_account(a->rule, a->packets, a->bytes, pmd->now_ns);
    a->rule = NULL;
    a->packets = 0;
    a->bytes = 0;
}

static inline void acc_hit(struct pmd *pmd, struct rule *r, uint32_t bytes)
{
    struct pmd_acc *a = &pmd->acc[((uintptr_t)r >> 6) & (PMD_ACC_SLOTS - 1)];
    if (unlikely(a->rule != r)) {
        if (a->rule)
            acc_flush_slot(pmd, a);
        a->rule = r;
    }
    a->packets++;
    a->bytes += bytes;
}

static void acc_flush(struct pmd *pmd)
{
    for (unsigned i = 0; i < PMD_ACC_SLOTS; i++)
        if (pmd->acc[i].rule)
            acc_flush_slot(pmd, &pmd->acc[i]);
}

/* --- Transmit ------------------------------------------------------------------------ */

static void txbuf_flush(struct pmd *pmd, struct pmd_txbuf *tb)
{
    struct dp_port *p = tb->port;
    struct dp_port_stats *st = &p->stats[pmd->id];
    uint16_t n = tb->n, sent = 0;
    uint16_t q = __atomic_load_n(&p->txq_map[pmd->txq_user], __ATOMIC_RELAXED);
    /* The control thread always locks: it is slow path, and it is not an RCU reader, so the
     * map-change protocol (port.h) cannot wait for it. */
    bool lock = __atomic_load_n(&p->txq_shared, __ATOMIC_ACQUIRE) || pmd->id == DP_CONTROL_TX_USER;

    if (lock)
        rte_spinlock_lock(&p->txq_lock[q]);
    sent = rte_eth_tx_burst(p->eth_port, q, tb->pkts, n);
    for (unsigned r = 0; sent < n && r < PMD_TX_RETRIES; r++) {
        uint16_t k = rte_eth_tx_burst(p->eth_port, q, tb->pkts + sent, n - sent);
        if (k == 0)
            break;
        sent += k;
    }
    if (lock)
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

void pmd_flush(struct pmd *pmd)
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
static inline void tx_enqueue(struct pmd *pmd, struct dp_port *p, struct rte_mbuf *m,
                              unsigned depth)
{
    if (unlikely(pmd->trace != NULL)) {
        TRACE(DP_TRACE_OUTPUT, 0, p->ofport, 0, NULL, NULL, NULL, depth);
        rte_pktmbuf_free(m);
        return;
    }
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
        txbuf_flush(pmd, tb); /* stays in the dirty list; pmd_flush skips empty buffers */
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

/* --- Actions ------------------------------------------------------------------------- */

struct pipe_ctx {
    struct pmd *pmd;
    struct dp_bridge *br;
    const struct dp_bridge_view *v;
    struct dp_port *in;   /* NULL for packets from the controller */
    uint32_t in_ofport;
    uint8_t table;        /* current table, for packet-in */
    const struct rule *rule; /* current rule, for packet-in's cookie and reason */
    bool sent;            /* the packet was queued for output at least once */
    bool fail_open;       /* the bridge was fail-open at the start of the burst: NORMAL only */
    bool parsed;          /* key and layout hold the packet's headers (see need_headers) */
    struct dp_port_stats *ist; /* where rx-side drops are counted */
    struct pmd_replay *rec;    /* recording this packet's path, or NULL */
};

/* Burst reuse. Every packet of an rx burst arrives on the same port, with the same
 * metadata, and sees the same rule-table versions (readers load versions per burst:
 * classifier.h). The first packet's path through the pipeline is recorded: the rules it hit,
 * the ports it went to, and the header bits the lookups could depend on (the mask unions of
 * the tables it visited). When that path met nothing that depends on the packet itself (no
 * meter, only outputs to ports: no rewrite, group, NORMAL or controller), every later
 * packet of the burst that agrees with the first on those bits takes exactly the same path,
 * so it is replayed, with the same counters, instead of being looked up again. If no table
 * looked at headers (metadata-only tables, e.g. in_port), later packets are not even parsed.
 * A packet that disagrees runs the pipeline as usual. */
enum { REPLAY_MAX = 8 };
struct pmd_replay {
    bool ok;
    bool headers;     /* the path read header words: compare them (mask, val) */
    bool no_rule;     /* a table missed: drop_no_rule */
    bool drop_action; /* ended without output: drop_action */
    uint8_t n_hits, n_out;
    uint8_t tables[REPLAY_MAX];
    struct rule *rules[REPLAY_MAX]; /* NULL: that table missed */
    struct dp_port *out[REPLAY_MAX];
    uint64_t mask[FLOW_KEY_WORDS]; /* header words (from FLOW_KEY_META_WORDS) lookups read */
    uint64_t val[FLOW_KEY_WORDS];  /* the first packet's key & mask */
};

/* Whether `a` outputs to ports without looking at the packet: a port, IN_PORT, FLOOD, ALL or
 * LOCAL (not NORMAL, TABLE or CONTROLLER). Such an output reads no headers, and goes the same
 * way for every packet of a burst, so a recorded path may contain it. */
static inline bool action_output_to_ports(const struct dp_action *a)
{
    return a->type == DP_ACT_OUTPUT &&
           (a->port < DP_OFPORT_MAX || a->port == DP_OFPORT_IN_PORT ||
            a->port == DP_OFPORT_FLOOD || a->port == DP_OFPORT_ALL || a->port == DP_OFPORT_LOCAL);
}

/* Whether `key` (parsed) agrees with the recorded packet on every header bit its lookups
 * could read. Metadata words need no check: equal at the start of every packet's path. */
static inline bool replay_matches(const struct pmd_replay *rec, const struct flow_key *key)
{
    uint64_t diff = 0;
    for (size_t w = FLOW_KEY_META_WORDS; w < FLOW_KEY_WORDS; w++) {
        uint64_t x;
        memcpy(&x, (const uint8_t *)key + w * sizeof x, sizeof x);
        diff |= (x & rec->mask[w]) ^ rec->val[w];
    }
    return diff == 0;
}

static inline void rec_output(struct pipe_ctx *c, struct dp_port *p)
{
    struct pmd_replay *rec = c->rec;
    if (rec->n_out == REPLAY_MAX)
        rec->ok = false;
    else
        rec->out[rec->n_out++] = p;
}

/* Packets are parsed on first need, not on arrival: a table whose rules match only
 * metadata (in_port, metadata, tunnel: FLOW_KEY_META_WORDS) is decided without the
 * packet's headers, and plain outputs do not read them either. Until then only the key's
 * metadata words are valid. Parsing keeps them: the pipeline may have written metadata. */
static inline void need_headers(struct pipe_ctx *c, const struct rte_mbuf *m,
                                struct flow_key *key, struct flow_layout *lay)
{
    if (likely(c->parsed))
        return;
    /* Field by field, not one 32-byte copy: each load then sits inside one earlier store
     * (the rx loop's zeroing, the in_port store), so it is forwarded; a wide load across
     * them stalled ~12 cycles per packet. */
    _Static_assert(FLOW_KEY_META_WORDS == 4, "need_headers() keeps exactly the metadata words");
    uint32_t in_port = key->in_port, recirc_id = key->recirc_id;
    uint64_t metadata = key->metadata, tun_id = key->tun_id;
    uint32_t tun_src = key->tun_src, tun_dst = key->tun_dst;
    flow_key_parse(rte_pktmbuf_mtod(m, const void *), rte_pktmbuf_data_len(m), in_port, key,
                   lay);
    key->recirc_id = recirc_id;
    key->metadata = metadata;
    key->tun_id = tun_id;
    key->tun_src = tun_src;
    key->tun_dst = tun_dst;
    c->parsed = true;
}

/* Whether action `a` reads the packet's headers (key or layout) beyond the metadata:
 * everything but an output to ports and to the controller (whose packet-in carries only
 * metadata in its match). */
static inline bool action_needs_headers(const struct dp_action *a)
{
    bool to_controller = a->type == DP_ACT_CONTROLLER ||
                         (a->type == DP_ACT_OUTPUT && a->port == DP_OFPORT_CONTROLLER);
    return !to_controller && !action_output_to_ports(a);
}


static void send_to_controller(struct pipe_ctx *c, struct rte_mbuf *m,
                               const struct flow_key *key, uint16_t max_len, uint8_t reason,
                               unsigned depth)
{
    struct pmd *pmd = c->pmd;
    TRACE(DP_TRACE_CONTROLLER, c->table, reason, 0, NULL, NULL, NULL, depth);
    if (pmd->trace || !pmd->pin_ring)
        return;
    struct dp_packet_in *pin = dp_packet_in_alloc();
    struct rte_mbuf *copy = pin ? rte_pktmbuf_copy(m, pmd->pool, 0, UINT32_MAX) : NULL;
    if (!copy) {
        if (pin)
            dp_packet_in_free(pin);
        dp_packet_in_count_drop();
        return;
    }
    *pin = (struct dp_packet_in){
        .m = copy, .bridge_id = c->br->id, .in_port = c->in_ofport, .table_id = c->table,
        .reason = reason, .max_len = max_len, .cookie = c->rule ? c->rule->cookie : ~0ull,
        .metadata = key->metadata, .tun_id = key->tun_id};
    bool was_empty = rte_ring_empty(pmd->pin_ring);
    if (rte_ring_sp_enqueue(pmd->pin_ring, pin) != 0) {
        dp_packet_in_free(pin);
        dp_packet_in_count_drop();
        return;
    }
    if (was_empty)
        dp_packet_in_signal(); /* slow path: a syscall per wakeup, not per packet */
}

static bool bucket_live(const struct pipe_ctx *c, const struct dp_bucket *b, unsigned depth);

static bool group_live(const struct pipe_ctx *c, uint32_t group_id, unsigned depth)
{
    if (depth >= PIPELINE_MAX_DEPTH)
        return false;
    const struct dp_group *g = id_table_view_find(id_table_view(c->br->groups), group_id);
    if (!g)
        return false;
    for (uint32_t i = 0; i < g->n_buckets; i++)
        if (bucket_live(c, &g->buckets[i], depth + 1))
            return true;
    return false;
}

static bool bucket_live(const struct pipe_ctx *c, const struct dp_bucket *b, unsigned depth)
{
    if (b->watch_port != DP_OFPORT_ANY) {
        const struct dp_port *p = view_port(c->v, b->watch_port);
        if (!p || !__atomic_load_n(&p->link_up, __ATOMIC_RELAXED))
            return false;
    }
    if (b->watch_group != DP_GROUP_ANY && !group_live(c, b->watch_group, depth))
        return false;
    return true;
}

static struct rte_mbuf *exec_actions(struct pipe_ctx *c, struct rte_mbuf *m,
                                     struct flow_key *key, struct flow_layout *lay,
                                     const struct dp_action *acts, uint32_t n, unsigned depth,
                                     bool tail);

/* Runs bucket `b` on its own reference to `m` and its own copy of the key. */
static void run_bucket(struct pipe_ctx *c, struct dp_group *g, uint32_t idx, struct rte_mbuf *m,
                       const struct flow_key *key, const struct flow_layout *lay, unsigned depth)
{
    struct dp_bucket *b = &g->buckets[idx];
    struct flow_key k = *key;
    struct flow_layout l = *lay;
    if (!c->pmd->trace) {
        __atomic_fetch_add(&b->n_packets, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&b->n_bytes, m->pkt_len, __ATOMIC_RELAXED);
    }
    rte_pktmbuf_refcnt_update(m, 1);
    struct rte_mbuf *left =
        exec_actions(c, m, &k, &l, b->actions, b->n_actions, depth + 1, true);
    if (left)
        rte_pktmbuf_free(left);
}

static void exec_group(struct pipe_ctx *c, struct rte_mbuf *m, const struct flow_key *key,
                       const struct flow_layout *lay, uint32_t group_id, unsigned depth)
{
    struct pmd *pmd = c->pmd;
    struct dp_group *g = id_table_view_find(id_table_view(c->br->groups), group_id);
    if (unlikely(!g || depth >= PIPELINE_MAX_DEPTH)) {
        TRACE(DP_TRACE_DROP, c->table, group_id, 0, NULL, NULL,
              g ? "group nesting too deep" : "no such group", depth);
        if (!pmd->trace)
            STAT_ADD(c->ist->drop_action, 1);
        return;
    }
    if (!pmd->trace) {
        __atomic_fetch_add(&g->n_packets, 1, __ATOMIC_RELAXED);
        __atomic_fetch_add(&g->n_bytes, m->pkt_len, __ATOMIC_RELAXED);
    }
    switch (g->type) {
    case DP_GROUP_ALL:
        TRACE(DP_TRACE_GROUP, c->table, group_id, -2, NULL, NULL, "all buckets", depth);
        for (uint32_t i = 0; i < g->n_buckets; i++)
            run_bucket(c, g, i, m, key, lay, depth);
        return;
    case DP_GROUP_INDIRECT:
        TRACE(DP_TRACE_GROUP, c->table, group_id, g->n_buckets ? 0 : -1, NULL, NULL, NULL,
              depth);
        if (g->n_buckets)
            run_bucket(c, g, 0, m, key, lay, depth);
        return;
    case DP_GROUP_FF:
        for (uint32_t i = 0; i < g->n_buckets; i++)
            if (bucket_live(c, &g->buckets[i], depth)) {
                TRACE(DP_TRACE_GROUP, c->table, group_id, (int32_t)i, NULL, NULL, NULL, depth);
                run_bucket(c, g, i, m, key, lay, depth);
                return;
            }
        TRACE(DP_TRACE_GROUP, c->table, group_id, -1, NULL, NULL, "no live bucket", depth);
        return;
    case DP_GROUP_SELECT: {
        /* Weighted choice among live buckets by a hash of the flow: one flow, one path. */
        uint64_t total = 0;
        for (uint32_t i = 0; i < g->n_buckets; i++)
            if (g->buckets[i].weight && bucket_live(c, &g->buckets[i], depth))
                total += g->buckets[i].weight;
        if (!total) {
            TRACE(DP_TRACE_GROUP, c->table, group_id, -1, NULL, NULL, "no live bucket", depth);
            return;
        }
        struct flow_key h = {0};
        memcpy(h.eth_src, key->eth_src, 6);
        memcpy(h.eth_dst, key->eth_dst, 6);
        h.eth_type = key->eth_type;
        h.nw_src = key->nw_src;
        h.nw_dst = key->nw_dst;
        memcpy(h.ipv6_src, key->ipv6_src, 16);
        memcpy(h.ipv6_dst, key->ipv6_dst, 16);
        h.nw_proto = key->nw_proto;
        h.tp_src = key->tp_src;
        h.tp_dst = key->tp_dst;
        uint64_t pick = flow_key_hash(&h, g->id) % total;
        for (uint32_t i = 0; i < g->n_buckets; i++) {
            const struct dp_bucket *b = &g->buckets[i];
            if (!b->weight || !bucket_live(c, b, depth))
                continue;
            if (pick < b->weight) {
                TRACE(DP_TRACE_GROUP, c->table, group_id, (int32_t)i, NULL, NULL, NULL, depth);
                run_bucket(c, g, i, m, key, lay, depth);
                return;
            }
            pick -= b->weight;
        }
        return;
    }
    }
}

static inline bool port_no_fwd(const struct dp_port *p)
{
    return __atomic_load_n(&p->config, __ATOMIC_RELAXED) & DP_PORT_NO_FWD;
}

/* An output (explicit or NORMAL's unicast) to a port that PORT_MOD made no-forward: true when
 * it is, and then the packet is dropped there and counted on the input port. Floods leave
 * such ports out instead. */
static bool no_fwd_drop(struct pipe_ctx *c, const struct dp_port *out, uint32_t port,
                        unsigned depth)
{
    struct pmd *pmd = c->pmd;
    if (likely(!port_no_fwd(out)))
        return false;
    TRACE(DP_TRACE_DROP, c->table, port, 0, NULL, NULL, "the port is no-forward", depth);
    if (!pmd->trace)
        STAT_ADD(c->ist->drop_port_config, 1);
    return true;
}

/* Every port of the bridge but the ingress port, each with its own reference. */
static void flood(struct pipe_ctx *c, struct rte_mbuf *m, unsigned depth)
{
    for (uint32_t i = 0; i < c->v->n_ports; i++) {
        struct dp_port *p = c->v->ports[i];
        if (p == c->in || port_no_fwd(p))
            continue; /* no-forward ports (PORT_MOD) are left out of floods */
        rte_pktmbuf_refcnt_update(m, 1);
        c->sent = true;
        if (c->rec)
            rec_output(c, p);
        tx_enqueue(c->pmd, p, m, depth);
    }
}

/* --- NORMAL with port VLANs (datapath/port-vlan.h) ----------------------------------- */

static inline const struct port_vlan *port_vlan_of(const struct dp_port *p)
{
    return p ? __atomic_load_n(&p->vlan, __ATOMIC_ACQUIRE) : NULL;
}

/* A private copy of `m` edited as `e` says for VLAN `vlan`, or NULL (out of mbufs). */
static struct rte_mbuf *vlan_form(struct pmd *pmd, struct rte_mbuf *m,
                                  const struct flow_key *key, enum port_vlan_edit e,
                                  uint16_t vlan)
{
    struct rte_mbuf *copy = rte_pktmbuf_copy(m, pmd->pool, 0, UINT32_MAX);
    if (!copy)
        return NULL;
    struct flow_key k = *key; /* the edits keep a key in step with the frame: a scratch one */
    if (e == PORT_VLAN_POP) {
        pkt_pop_vlan(copy, NULL, &k);
        return copy;
    }
    if (e == PORT_VLAN_PUSH && !pkt_push_vlan(copy, NULL, &k, RTE_ETHER_TYPE_VLAN)) {
        rte_pktmbuf_free(copy);
        return NULL;
    }
    pkt_set_vlan_tci(copy, &k, FLOW_VLAN_VID_MASK, vlan);
    return copy;
}

/* Sends the frame of VLAN `vlan` to `p` in the form `p` wants. `m` itself is never edited
 * (the caller and other outputs share it): a port that wants it untagged or tagged differently
 * gets forms[0] (untagged) or forms[1] (tagged with `vlan`), each copied once per packet and
 * then shared by reference like `m`; the caller frees the forms afterwards. */
static void normal_vlan_send(struct pipe_ctx *c, struct rte_mbuf *m, const struct flow_key *key,
                             uint16_t tci, uint16_t vlan, struct dp_port *p,
                             struct rte_mbuf *forms[2], unsigned depth)
{
    enum port_vlan_edit e = port_vlan_output(port_vlan_of(p), vlan, tci);
    struct rte_mbuf *pkt = m;
    if (e != PORT_VLAN_KEEP) {
        /* PUSH and SET_VID both make the tagged form: a packet needs only one of them. */
        struct rte_mbuf **form = &forms[e == PORT_VLAN_POP ? 0 : 1];
        if (!*form && !(*form = vlan_form(c->pmd, m, key, e, vlan))) {
            /* No mbuf for the copy: lost on the way out, as when a tx queue is full. */
            if (!c->pmd->trace)
                STAT_ADD(p->stats[c->pmd->id].drop_tx_full, 1);
            return;
        }
        pkt = *form;
    }
    rte_pktmbuf_refcnt_update(pkt, 1);
    c->sent = true;
    tx_enqueue(c->pmd, p, pkt, depth);
}

/* NORMAL on a bridge with VLAN ports: the frame's VLAN comes from its ingress port's
 * configuration (a frame the port does not carry is dropped, counted in vlan_dropped and, as
 * nothing is sent, as the port's drop_action); it is learned and looked up in that VLAN, and
 * goes only to ports that carry the VLAN, never back to the ingress port. Every output takes
 * its own reference; the caller keeps its own. */
static void output_normal_vlan(struct pipe_ctx *c, struct rte_mbuf *m,
                               const struct flow_key *key, uint16_t tci, unsigned depth)
{
    struct pmd *pmd = c->pmd;
    struct dp_normal_stats *ns = &c->br->nstats[pmd->id];
    /* A packet from the controller names its ingress port by number only (or none). */
    const struct dp_port *in = c->in ? c->in : view_port(c->v, c->in_ofport);
    int vlan = port_vlan_input(port_vlan_of(in), tci);
    if (vlan < 0) {
        if (!pmd->trace)
            STAT_ADD(ns->vlan_dropped, 1);
        TRACE(DP_TRACE_DROP, c->table, c->in_ofport, 0, NULL, NULL,
              vlan == PORT_VLAN_DROP_TAGGED_ON_ACCESS
                  ? "NORMAL: VLAN drop: a tagged frame (VID not 0) on an access port"
                  : "NORMAL: VLAN drop: the frame's VLAN is not in the ingress port's trunks",
              depth);
        return;
    }
    struct mac_table *t = c->br->macs;
    if (c->in && !pmd->trace)
        mac_table_learn(t, key->eth_src, (uint16_t)vlan, c->in_ofport, pmd->now_ns);
    uint32_t port = 0;
    enum mac_normal_verdict verdict =
        mac_normal_decide(t, key->eth_dst, (uint16_t)vlan, c->in_ofport, &port);
    struct dp_port *out = NULL;
    if (verdict == MAC_NORMAL_FORWARD &&
        (!(out = view_port(c->v, port)) || !port_vlan_carries(port_vlan_of(out), (uint16_t)vlan)))
        verdict = MAC_NORMAL_FLOOD; /* gone, or moved out of the VLAN, since it was learned */
    TRACE(DP_TRACE_NORMAL, c->table, port, (int32_t)verdict | vlan << 8, NULL, NULL,
          c->fail_open ? "fail-open" : NULL, depth);
    struct rte_mbuf *forms[2] = {NULL, NULL};
    switch (verdict) {
    case MAC_NORMAL_FORWARD:
        if (!pmd->trace)
            STAT_ADD(ns->unicast, 1);
        if (!no_fwd_drop(c, out, port, depth))
            normal_vlan_send(c, m, key, tci, (uint16_t)vlan, out, forms, depth);
        break;
    case MAC_NORMAL_FLOOD:
        if (!pmd->trace)
            STAT_ADD(ns->flooded, 1);
        for (uint32_t i = 0; i < c->v->n_ports; i++) {
            struct dp_port *p = c->v->ports[i];
            if (p == in || port_no_fwd(p) ||
                !port_vlan_carries(port_vlan_of(p), (uint16_t)vlan))
                continue;
            normal_vlan_send(c, m, key, tci, (uint16_t)vlan, p, forms, depth);
        }
        break;
    case MAC_NORMAL_DROP:
        if (!pmd->trace)
            STAT_ADD(ns->dropped, 1);
        TRACE(DP_TRACE_DROP, c->table, port, 0, NULL, NULL,
              "NORMAL: the destination was learned on the ingress port", depth);
        break;
    }
    for (unsigned i = 0; i < 2; i++)
        if (forms[i])
            rte_pktmbuf_free(forms[i]);
}

/* NORMAL: learns where the packet's source lives, then forwards as a learning switch does
 * (datapath/mac-learning.h). The MAC table is read for every packet and its answer never
 * cached: the exact-match cache keeps the rule, whose action only says "NORMAL", so a learned,
 * moved or aged address changes the very next packet's output. `give` and `consumed` as
 * output_port_ex(). A bridge whose ports have no VLAN configuration pays one test for it. */
static void output_normal(struct pipe_ctx *c, struct rte_mbuf *m, const struct flow_key *key,
                          unsigned depth, bool give, bool *consumed)
{
    struct pmd *pmd = c->pmd;
    struct mac_table *t = c->br->macs;
    uint16_t tci = rte_be_to_cpu_16(key->vlan_tci);
    if (unlikely(c->v->n_vlan_ports)) {
        output_normal_vlan(c, m, key, tci, depth);
        return;
    }
    uint16_t vlan = (tci & FLOW_VLAN_PRESENT) ? (tci & FLOW_VLAN_VID_MASK) : 0;
    /* A trace only looks; a packet from the controller has no port to be learned on. */
    if (c->in && !pmd->trace)
        mac_table_learn(t, key->eth_src, vlan, c->in_ofport, pmd->now_ns);
    uint32_t port = 0;
    enum mac_normal_verdict verdict = mac_normal_decide(t, key->eth_dst, vlan, c->in_ofport,
                                                        &port);
    struct dp_port *out = NULL;
    if (verdict == MAC_NORMAL_FORWARD && !(out = view_port(c->v, port)))
        verdict = MAC_NORMAL_FLOOD; /* learned on a port that has gone since */
    TRACE(DP_TRACE_NORMAL, c->table, port, (int32_t)verdict | vlan << 8, NULL, NULL,
          c->fail_open ? "fail-open" : NULL, depth);
    struct dp_normal_stats *ns = &c->br->nstats[pmd->id];
    switch (verdict) {
    case MAC_NORMAL_FORWARD:
        if (!pmd->trace)
            STAT_ADD(ns->unicast, 1);
        if (no_fwd_drop(c, out, port, depth))
            return;
        if (give)
            *consumed = true;
        else
            rte_pktmbuf_refcnt_update(m, 1);
        c->sent = true;
        tx_enqueue(pmd, out, m, depth);
        return;
    case MAC_NORMAL_FLOOD:
        if (!pmd->trace)
            STAT_ADD(ns->flooded, 1);
        flood(c, m, depth);
        return;
    case MAC_NORMAL_DROP:
        if (!pmd->trace)
            STAT_ADD(ns->dropped, 1);
        TRACE(DP_TRACE_DROP, c->table, port, 0, NULL, NULL,
              "NORMAL: the destination was learned on the ingress port", depth);
        return;
    }
}

/* Outputs `m` to `port`. When `give` is true the caller's reference goes with the packet
 * (a tail output: nothing runs on the packet afterwards) and *consumed is set; otherwise a
 * new reference is taken. */
static void output_port_ex(struct pipe_ctx *c, struct rte_mbuf *m, uint32_t port,
                           unsigned depth, bool give, bool *consumed)
{
    struct pmd *pmd = c->pmd;
    if (port == DP_OFPORT_FLOOD || port == DP_OFPORT_ALL) {
        flood(c, m, depth);
        return;
    }
    struct dp_port *out;
    if (port == DP_OFPORT_IN_PORT)
        out = c->in ? c->in : view_port(c->v, c->in_ofport);
    else
        out = view_port(c->v, port);
    if (unlikely(!out || (out == c->in && port != DP_OFPORT_IN_PORT))) {
        /* OpenFlow: output to the ingress port needs IN_PORT explicitly. */
        TRACE(DP_TRACE_DROP, c->table, port, 0, NULL, NULL,
              out ? "output to the ingress port needs in_port" : "no such port", depth);
        if (!pmd->trace && !out)
            STAT_ADD(c->ist->drop_no_port, 1);
        if (c->rec)
            c->rec->ok = false;
        return;
    }
    if (no_fwd_drop(c, out, port, depth)) {
        if (c->rec)
            c->rec->ok = false; /* a drop the replay would not count */
        return;
    }
    if (give)
        *consumed = true;
    else
        rte_pktmbuf_refcnt_update(m, 1);
    c->sent = true;
    if (c->rec)
        rec_output(c, out);
    tx_enqueue(pmd, out, m, depth);
}

static void pipeline(struct pipe_ctx *c, struct rte_mbuf *m, struct flow_key *key,
                     struct flow_layout *lay, uint8_t table);

/* Runs `acts` on `m`, whose reference it takes. Returns that reference (the packet as the
 * actions left it: a rewrite may have replaced a shared mbuf with a private copy) for the
 * pipeline to go on with, or NULL when the packet was dropped. */
static struct rte_mbuf *exec_actions(struct pipe_ctx *c, struct rte_mbuf *m,
                                     struct flow_key *key, struct flow_layout *lay,
                                     const struct dp_action *acts, uint32_t n, unsigned depth,
                                     bool tail)
{
    struct pmd *pmd = c->pmd;
    for (uint32_t i = 0; i < n; i++) {
        const struct dp_action *a = &acts[i];
        TRACE(DP_TRACE_ACTION, c->table, 0, 0, NULL, a, NULL, depth);
        if (!c->parsed && action_needs_headers(a))
            need_headers(c, m, key, lay);
        if (c->rec && !action_output_to_ports(a))
            c->rec->ok = false; /* only outputs to ports replay: the rest is per packet */
        switch (a->type) {
        case DP_ACT_OUTPUT: {
            if (unlikely(a->port == DP_OFPORT_TABLE)) {
                /* PACKET_OUT to TABLE (flows cannot name it: validation refuses it): the
                 * packet, as the actions so far left it, goes through the pipeline. */
                rte_pktmbuf_refcnt_update(m, 1);
                struct flow_key k = *key;
                struct flow_layout l = *lay;
                uint8_t table = c->table;
                const struct rule *rule = c->rule;
                pipeline(c, m, &k, &l, 0);
                c->table = table;
                c->rule = rule;
                break;
            }
            /* The common case, one output at the end, hands our reference over: no
             * reference count traffic at all. */
            bool consumed = false;
            if (unlikely(a->port == DP_OFPORT_NORMAL))
                output_normal(c, m, key, depth, tail && i + 1 == n, &consumed);
            else
                output_port_ex(c, m, a->port, depth, tail && i + 1 == n, &consumed);
            if (consumed)
                return NULL;
            break;
        }
        case DP_ACT_CONTROLLER: {
            bool miss = c->rule && c->rule->priority == 0 &&
                        flow_match_equal(&c->rule->match, &(struct flow_match){0});
            send_to_controller(c, m, key, (uint16_t)a->arg, miss ? DP_PIN_NO_MATCH : DP_PIN_ACTION,
                               depth);
            c->sent = true;
            break;
        }
        case DP_ACT_GROUP:
            exec_group(c, m, key, lay, a->port, depth);
            break;
        case DP_ACT_PUSH_VLAN:
            if (!make_writable(pmd, &m))
                return NULL;
            if (!pkt_push_vlan(m, lay, key, (uint16_t)a->arg)) {
                STAT_ADD(c->ist->drop_malformed, 1);
                rte_pktmbuf_free(m);
                return NULL;
            }
            break;
        case DP_ACT_POP_VLAN:
            if (!make_writable(pmd, &m))
                return NULL;
            pkt_pop_vlan(m, lay, key);
            break;
        case DP_ACT_SET_VLAN_VID:
            if (!make_writable(pmd, &m))
                return NULL;
            pkt_set_vlan_tci(m, key, FLOW_VLAN_VID_MASK, (uint16_t)a->arg);
            break;
        case DP_ACT_SET_VLAN_PCP:
            if (!make_writable(pmd, &m))
                return NULL;
            pkt_set_vlan_tci(m, key, 0xe000, (uint16_t)(a->arg << FLOW_VLAN_PCP_SHIFT));
            break;
        case DP_ACT_SET_FIELD:
            if (!make_writable(pmd, &m))
                return NULL;
            pkt_set_field(m, lay, key, a);
            break;
        case DP_ACT_DEC_TTL:
            if (!make_writable(pmd, &m))
                return NULL;
            if (!pkt_dec_ttl(m, lay, key)) {
                TRACE(DP_TRACE_DROP, c->table, 0, 0, NULL, a, "TTL expired", depth);
                if (!pmd->trace)
                    STAT_ADD(c->ist->drop_action, 1);
                rte_pktmbuf_free(m);
                return NULL;
            }
            break;
        default:
            break;
        }
    }
    return m;
}

/* --- The OpenFlow action set (write_actions) ----------------------------------------- */

/* OpenFlow 1.3 keeps at most one action of each type in the set (set_field: one per field)
 * and runs them in a fixed order, output or group last. */
struct action_set {
    uint32_t n;
    struct dp_action a[DP_MAX_ACTIONS];
};

static int set_rank(const struct dp_action *a)
{
    switch (a->type) {
    case DP_ACT_POP_VLAN:
        return 1;
    case DP_ACT_PUSH_VLAN:
        return 2;
    case DP_ACT_DEC_TTL:
        return 3;
    case DP_ACT_SET_FIELD:
    case DP_ACT_SET_VLAN_VID:
    case DP_ACT_SET_VLAN_PCP:
        return 4;
    case DP_ACT_GROUP:
        return 6;
    default: /* output, controller */
        return 7;
    }
}

static bool same_slot(const struct dp_action *x, const struct dp_action *y)
{
    int rx = set_rank(x), ry = set_rank(y);
    if (rx != ry)
        return false;
    if (rx == 4) {
        uint16_t fx = x->type == DP_ACT_SET_FIELD ? x->field : (uint16_t)(1000 + x->type);
        uint16_t fy = y->type == DP_ACT_SET_FIELD ? y->field : (uint16_t)(1000 + y->type);
        return fx == fy;
    }
    return true;
}

static void action_set_write(struct action_set *s, const struct dp_action *acts, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++) {
        uint32_t k;
        for (k = 0; k < s->n; k++)
            if (same_slot(&s->a[k], &acts[i]))
                break;
        if (k == s->n) {
            if (s->n == DP_MAX_ACTIONS)
                continue;
            s->n++;
        }
        s->a[k] = acts[i];
    }
}

/* Orders the set for execution; a group overrides an output (OpenFlow 1.3, 5.10). */
static uint32_t action_set_finish(struct action_set *s, struct dp_action *out)
{
    bool has_group = false;
    for (uint32_t i = 0; i < s->n; i++)
        has_group |= s->a[i].type == DP_ACT_GROUP;
    uint32_t n = 0;
    for (int rank = 1; rank <= 7; rank++)
        for (uint32_t i = 0; i < s->n; i++)
            if (set_rank(&s->a[i]) == rank && !(rank == 7 && has_group))
                out[n++] = s->a[i];
    return n;
}

/* --- The pipeline ---------------------------------------------------------------------- */

static void pipeline(struct pipe_ctx *c, struct rte_mbuf *m, struct flow_key *key,
                     struct flow_layout *lay, uint8_t table)
{
    struct pmd *pmd = c->pmd;
    struct action_set set;
    set.n = 0; /* not "= {.n = 0}": that zeroes all DP_MAX_ACTIONS entries, per packet */

    if (unlikely(c->fail_open)) {
        /* Standalone fail mode without a controller: a learning switch, the tables bypassed
         * (what the hidden top-priority NORMAL flow of Open vSwitch's fail-open does). */
        if (!pmd->trace)
            STAT_ADD(c->br->nstats[pmd->id].fail_open, 1);
        need_headers(c, m, key, lay); /* NORMAL reads the Ethernet addresses and VLAN */
        if (c->rec)
            c->rec->ok = false; /* NORMAL decides (and learns) per packet */
        bool consumed = false;
        output_normal(c, m, key, 0, true, &consumed);
        if (consumed)
            return;
        if (!c->sent && !pmd->trace)
            STAT_ADD(c->ist->drop_action, 1);
        rte_pktmbuf_free(m);
        return;
    }

    for (;;) {
        c->table = table;
        const struct flow_table *t = c->br->tables[table];
        uint64_t version = cls_version(t->cls);
        const struct cls_union *u = cls_union(t->cls); /* after the version: emc.h */
        if (u->packet_words)
            need_headers(c, m, key, lay);
        struct rule *r = pmd->emc ? emc_lookup_union(pmd->emc, c->br->id, table, t, version, u, key)
                                  : cls_lookup(t->cls, key, version, NULL);
        TRACE(DP_TRACE_LOOKUP, table, 0, 0, r, NULL, NULL, 0);
        if (!pmd->trace) {
            struct dp_table_stats *ts = &c->br->tstats[pmd->id][table];
            STAT_ADD(ts->lookups, 1);
            if (r)
                STAT_ADD(ts->matches, 1);
        }
        if (c->rec) {
            struct pmd_replay *rec = c->rec;
            if (rec->n_hits == REPLAY_MAX || (r && r->meter_id)) {
                rec->ok = false;
            } else {
                rec->tables[rec->n_hits] = table;
                rec->rules[rec->n_hits++] = r;
                rec->no_rule |= !r;
                for (uint32_t w = 0; w < u->n_words; w++)
                    rec->mask[u->word_idx[w]] |= u->mask_words[w];
            }
        }
        if (unlikely(!r)) {
            /* OpenFlow 1.3 table-miss without a table-miss flow: drop. */
            TRACE(DP_TRACE_DROP, table, 0, 0, NULL, NULL, "no matching flow (table-miss)", 0);
            if (!pmd->trace)
                STAT_ADD(c->ist->drop_no_rule, 1);
            rte_pktmbuf_free(m);
            return;
        }
        c->rule = r;
        if (!pmd->trace)
            acc_hit(pmd, r, m->pkt_len);

        if (r->meter_id) {
            struct dp_meter *mt = id_table_view_find(id_table_view(c->br->meters), r->meter_id);
            bool pass = !mt || pmd->trace || dp_meter_apply(mt, m->pkt_len, pmd->now_ns);
            TRACE(DP_TRACE_METER, table, r->meter_id, pass, NULL, NULL,
                  mt ? NULL : "no such meter", 0);
            if (!pass) {
                STAT_ADD(c->ist->drop_action, 1);
                rte_pktmbuf_free(m);
                return;
            }
        }
        bool goes_on = r->goto_table != RULE_NO_GOTO && r->goto_table > table &&
                       r->goto_table < DP_N_TABLES;
        if (r->n_actions) {
            /* Nothing follows these actions when the pipeline ends here with an empty set. */
            bool tail = !goes_on && !r->has_write_actions && (set.n == 0 || r->clear_actions);
            m = exec_actions(c, m, key, lay, r->actions, r->n_actions, 0, tail);
            if (!m)
                return;
        }
        if (r->clear_actions)
            set.n = 0;
        if (r->has_write_actions) {
            action_set_write(&set, r->actions + r->n_actions, r->n_write_actions);
        }
        if (r->write_metadata_mask) {
            uint64_t md = rte_be_to_cpu_64(key->metadata);
            md = (md & ~r->write_metadata_mask) | (r->write_metadata & r->write_metadata_mask);
            key->metadata = rte_cpu_to_be_64(md);
        }
        if (goes_on) {
            TRACE(DP_TRACE_GOTO, r->goto_table, 0, 0, NULL, NULL, NULL, 0);
            table = r->goto_table;
            continue;
        }
        break;
    }

    if (set.n) {
        struct dp_action acts[DP_MAX_ACTIONS];
        uint32_t n = action_set_finish(&set, acts);
        TRACE(DP_TRACE_ACTION_SET, c->table, n, 0, NULL, NULL, NULL, 0);
        m = exec_actions(c, m, key, lay, acts, n, 0, true);
        if (m)
            rte_pktmbuf_free(m);
        return;
    }
    if (!c->sent) {
        TRACE(DP_TRACE_DROP, c->table, 0, 0, NULL, NULL, "no output (drop)", 0);
        if (!pmd->trace)
            STAT_ADD(c->ist->drop_action, 1);
        if (c->rec)
            c->rec->drop_action = true;
    }
    rte_pktmbuf_free(m);
}

static struct dp_port_stats control_sink; /* drops of packets that have no ingress port */

static void ctx_init(struct pipe_ctx *c, struct pmd *pmd, struct dp_bridge *br,
                     struct dp_port *in, uint32_t in_ofport)
{
    c->pmd = pmd;
    c->br = br;
    c->v = __atomic_load_n(&br->view, __ATOMIC_ACQUIRE);
    c->in = in;
    c->in_ofport = in ? in->ofport : in_ofport;
    c->table = 0;
    c->rule = NULL;
    c->sent = false;
    c->parsed = true; /* callers outside the rx path hand in a parsed key */
    c->rec = NULL;
    c->fail_open = __atomic_load_n(&br->fail_open, __ATOMIC_ACQUIRE) != 0;
    c->ist = in ? &in->stats[pmd->id] : &control_sink;
}

void pmd_pipeline(struct pmd *pmd, struct dp_bridge *br, struct dp_port *in, uint32_t in_ofport,
                  struct rte_mbuf *m, struct flow_key *key, struct flow_layout *lay,
                  uint8_t table)
{
    struct pipe_ctx c;
    ctx_init(&c, pmd, br, in, in_ofport);
    pipeline(&c, m, key, lay, table);
}

void pmd_execute_actions(struct pmd *pmd, struct dp_bridge *br, struct dp_port *in,
                         uint32_t in_ofport, struct rte_mbuf *m, struct flow_key *key,
                         struct flow_layout *lay, const struct dp_action *acts, uint32_t n)
{
    struct pipe_ctx c;
    ctx_init(&c, pmd, br, in, in_ofport);
    m = exec_actions(&c, m, key, lay, acts, n, 0, true);
    if (m)
        rte_pktmbuf_free(m);
    acc_flush(pmd);
}

/* --- The loop --------------------------------------------------------------------------- */

/* What pipeline() would do with `m`, by the path `rec` recorded for an earlier packet of
 * the same burst: the same table and rule counters, outputs and drop counters. */
static void replay_packet(struct pipe_ctx *c, const struct pmd_replay *rec, struct rte_mbuf *m)
{
    struct pmd *pmd = c->pmd;
    for (unsigned h = 0; h < rec->n_hits; h++) {
        struct dp_table_stats *ts = &c->br->tstats[pmd->id][rec->tables[h]];
        STAT_ADD(ts->lookups, 1);
        if (rec->rules[h]) {
            STAT_ADD(ts->matches, 1);
            acc_hit(pmd, rec->rules[h], m->pkt_len);
        }
    }
    if (rec->no_rule)
        STAT_ADD(c->ist->drop_no_rule, 1);
    if (rec->drop_action)
        STAT_ADD(c->ist->drop_action, 1);
    if (!rec->n_out) {
        rte_pktmbuf_free(m);
        return;
    }
    for (unsigned o = 0; o + 1 < rec->n_out; o++) {
        rte_pktmbuf_refcnt_update(m, 1);
        tx_enqueue(pmd, rec->out[o], m, 0);
    }
    tx_enqueue(pmd, rec->out[rec->n_out - 1], m, 0);
}

static uint32_t process_rxq(struct pmd *pmd, const struct pmd_rxq *rxq)
{
    struct rte_mbuf *pkts[PMD_BURST];
    struct dp_port *in = rxq->port;
    uint16_t n = rte_eth_rx_burst(in->eth_port, rxq->queue, pkts, PMD_BURST);
    if (n == 0)
        return 0;

    struct pipe_ctx c;
    ctx_init(&c, pmd, in->bridge, in, 0);
    if (unlikely(__atomic_load_n(&in->config, __ATOMIC_RELAXED) & DP_PORT_NO_RECV)) {
        /* OpenFlow PORT_MOD no-receive: counted as received, then dropped. */
        uint64_t bytes = 0;
        for (uint16_t i = 0; i < n; i++) {
            bytes += pkts[i]->pkt_len;
            rte_pktmbuf_free(pkts[i]);
        }
        STAT_ADD(c.ist->drop_port_config, n);
        STAT_ADD(c.ist->rx_packets, n);
        STAT_ADD(c.ist->rx_bytes, bytes);
        return n;
    }
    pmd->now_ns = dp_now_coarse_ns(); /* per burst that brought packets: idle polls pay nothing */
    uint64_t rx_bytes = 0;

    for (uint16_t i = 0; i < n && i < 4; i++)
        rte_prefetch0(rte_pktmbuf_mtod(pkts[i], void *));

    /* The first packet that enters the pipeline is recorded; when its path is replayable,
     * the rest of the burst replays it (see struct pmd_replay). Received packets are never
     * traced: a trace runs pmd_pipeline() on a key of its own. */
    struct pmd_replay rec;
    bool record = true, replay = false;
    uint32_t n_replayed = 0;
    for (uint16_t i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        if (i + 4 < n)
            rte_prefetch0(rte_pktmbuf_mtod(pkts[i + 4], void *));
        rx_bytes += m->pkt_len;
        if (unlikely(rte_pktmbuf_data_len(m) < RTE_ETHER_HDR_LEN)) {
            STAT_ADD(c.ist->drop_malformed, 1);
            rte_pktmbuf_free(m);
            continue;
        }
        if (replay && !rec.headers) {
            replay_packet(&c, &rec, m);
            n_replayed++;
            continue;
        }
        struct flow_key key;
        struct flow_layout lay;
        /* Metadata only; need_headers() parses when a table or an action needs more. */
        memset(&key, 0, FLOW_KEY_META_WORDS * sizeof(uint64_t));
        key.in_port = in->ofport;
        c.rule = NULL;
        c.sent = false;
        c.parsed = false;
        if (replay) {
            need_headers(&c, m, &key, &lay);
            if (replay_matches(&rec, &key)) {
                replay_packet(&c, &rec, m);
                n_replayed++;
                continue;
            }
            /* Another flow in the same burst: the pipeline, already parsed. */
        } else if (record) {
            rec.ok = true;
            rec.no_rule = rec.drop_action = false;
            rec.n_hits = rec.n_out = 0;
            memset(rec.mask, 0, sizeof rec.mask);
            c.rec = &rec;
        }
        pipeline(&c, m, &key, &lay, 0);
        if (record) {
            /* Header words are as parsed: only metadata words change along the path (and
             * only actions that invalidate the record rewrite headers). */
            replay = rec.ok;
            rec.headers = c.parsed;
            for (size_t w = FLOW_KEY_META_WORDS; replay && rec.headers && w < FLOW_KEY_WORDS; w++) {
                uint64_t x;
                memcpy(&x, (const uint8_t *)&key + w * sizeof x, sizeof x);
                rec.val[w] = x & rec.mask[w];
            }
            record = false;
            c.rec = NULL;
        }
    }
    acc_flush(pmd);
    if (n_replayed)
        STAT_ADD(pmd->stats.replayed, n_replayed);
    STAT_ADD(c.ist->rx_packets, n);
    STAT_ADD(c.ist->rx_bytes, rx_bytes);
    return n;
}

/* One burst of a queue no PMD polls (a bridge's LOCAL port, datapath/dp.c: the control
 * thread receives for it), through the same code as a PMD's, then the output sent. */
uint32_t pmd_poll_rxq(struct pmd *pmd, const struct pmd_rxq *rxq);
uint32_t pmd_poll_rxq(struct pmd *pmd, const struct pmd_rxq *rxq)
{
    uint32_t n = process_rxq(pmd, rxq);
    if (pmd->n_dirty)
        pmd_flush(pmd);
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
            pmd_flush(pmd);
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
    pmd_flush(pmd);
    dp_rcu_unregister(pmd->id);
    SLOG(INFO, "pmd %u: stopped", pmd->id);
    return 0;
}
