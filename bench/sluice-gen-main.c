/* sluice-gen-main.c — EAL, ports and the poll loop of the traffic generator.
 *
 * One loop on the main lcore visits every port: receive a burst (account, then free, echo or
 * forward it), then, on tx ports, send what the pacing says is due. Pacing counts offered
 * packets against rte_rdtsc(): a packet the driver refuses is counted as tx_failed and not
 * retried, so a stalled peer shows up as loss at the offered rate instead of as a burst of
 * catch-up traffic when it comes back. If the loop falls behind (descheduled), it catches
 * up at most 10 ms worth of packets, in bursts of 32; a longer backlog is dropped for the
 * same reason.
 *
 * Sequence numbers stay dense on the wire: the unsent tail of a burst gives its numbers
 * back, so a receiver can count every gap as real loss.
 */
#include "bench/sluice-gen.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <rte_common.h>
#include <rte_cycles.h>
#include <rte_eal.h>
#include <rte_errno.h>
#include <rte_ethdev.h>
#include <rte_lcore.h>
#include <rte_mbuf.h>
#include <rte_mempool.h>

#define RX_DESC 1024
#define TX_DESC 1024
#define SNOOP_LEN 128 /* bytes read from a received frame to find its stamp */

enum gen_exit { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

static volatile sig_atomic_t stop_requested;

static void on_signal(int sig)
{
    (void)sig;
    stop_requested = 1;
}

struct gen_port {
    uint16_t id;
    char name[RTE_ETH_NAME_MAX_LEN];
    struct gen_template tpl;
    bool tx;         /* sends generated traffic */
    bool tx_done;    /* reached --count */
    uint64_t seq;    /* next sequence number */
    uint64_t sched;  /* packets offered so far (sent + refused) */
    uint32_t flow;   /* next flow index */
    uint16_t stream; /* gen_id << 4 | port index */
    unsigned fwd_to; /* iofwd peer (index) */
};

struct gen_ctx {
    struct gen_opts opts;
    unsigned nports;
    struct gen_port ports[GEN_MAX_PORTS];
    struct gen_port_stats *stats; /* [nports] */
    struct rte_mempool *rx_pool, *tx_pool;
    uint16_t seg_room; /* data bytes per mbuf segment */
    uint64_t hz;
    double ns_per_cycle;
    double pkts_per_cycle; /* rate per tx port in packets per TSC cycle */
    uint64_t max_backlog;  /* paced packets a late loop may still catch up on */
    uint64_t tx_start;
    uint16_t gen_id;
    uint64_t busy_cycles;
    uint64_t first_rx, last_rx; /* TSC of the first and latest non-empty rx burst */
};

static void fill_pattern(struct rte_mempool *mp, void *arg, void *obj, unsigned idx)
{
    (void)mp;
    (void)arg;
    (void)idx;
    struct rte_mbuf *m = obj;
    /* A fixed payload pattern makes captures of generated traffic reproducible. */
    uint8_t *d = (uint8_t *)m->buf_addr + m->data_off;
    uint16_t room = (uint16_t)(m->buf_len - m->data_off);
    for (uint16_t i = 0; i < room; i++)
        d[i] = (uint8_t)i;
}

static int setup_pools(struct gen_ctx *c)
{
    c->seg_room = RTE_MBUF_DEFAULT_DATAROOM;
    unsigned segs = (c->opts.size + c->seg_room - 1) / c->seg_room;
    /* Every descriptor of every ring may hold a chain, plus bursts in flight and the
     * per-lcore caches. */
    unsigned n = c->nports * (RX_DESC + TX_DESC + 4 * GEN_BURST) * segs + 4096;
    int socket = (int)rte_socket_id();
    c->rx_pool = rte_pktmbuf_pool_create("gen_rx", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (!c->rx_pool) {
        fprintf(stderr, "sluice-gen: cannot create rx mbuf pool of %u mbufs: %s (more hugepage "
                        "memory? -m / --socket-mem)\n", n, rte_strerror(rte_errno));
        return -1;
    }
    c->tx_pool = rte_pktmbuf_pool_create("gen_tx", n, 256, 0, RTE_MBUF_DEFAULT_BUF_SIZE, socket);
    if (!c->tx_pool) {
        fprintf(stderr, "sluice-gen: cannot create tx mbuf pool of %u mbufs: %s (more hugepage "
                        "memory? -m / --socket-mem)\n", n, rte_strerror(rte_errno));
        return -1;
    }
    rte_mempool_obj_iter(c->tx_pool, fill_pattern, NULL);
    return 0;
}

static int setup_port(struct gen_ctx *c, struct gen_port *gp)
{
    struct rte_eth_dev_info info;
    int rc = rte_eth_dev_info_get(gp->id, &info);
    if (rc) {
        fprintf(stderr, "sluice-gen: port %u (%s): cannot get device info: %s\n", gp->id, gp->name,
                rte_strerror(-rc));
        return -1;
    }
    struct rte_eth_conf conf;
    memset(&conf, 0, sizeof conf);
    uint32_t frame = c->opts.size;
    if (frame > RTE_ETHER_MAX_LEN - RTE_ETHER_CRC_LEN) {
        /* The MTU excludes the Ethernet header; leave room for a VLAN tag on received
         * frames too, since an echo peer may see tagged traffic it did not generate. */
        uint32_t mtu = frame - RTE_ETHER_HDR_LEN;
        if (mtu > info.max_mtu) {
            fprintf(stderr, "sluice-gen: port %u (%s): --size %u needs MTU %u, the device allows "
                            "at most %u\n", gp->id, gp->name, frame, mtu, info.max_mtu);
            return -1;
        }
        conf.rxmode.mtu = mtu;
        if (frame > c->seg_room) {
            if (info.rx_offload_capa & RTE_ETH_RX_OFFLOAD_SCATTER)
                conf.rxmode.offloads |= RTE_ETH_RX_OFFLOAD_SCATTER;
            if (!(info.tx_offload_capa & RTE_ETH_TX_OFFLOAD_MULTI_SEGS)) {
                fprintf(stderr, "sluice-gen: port %u (%s): --size %u needs multi-segment tx, "
                                "which the device does not offer (max --size %u)\n",
                        gp->id, gp->name, frame, c->seg_room);
                return -1;
            }
            conf.txmode.offloads |= RTE_ETH_TX_OFFLOAD_MULTI_SEGS;
        }
    }
    rc = rte_eth_dev_configure(gp->id, 1, 1, &conf);
    if (rc) {
        fprintf(stderr, "sluice-gen: port %u (%s): configure failed: %s\n", gp->id, gp->name,
                rte_strerror(-rc));
        return -1;
    }
    uint16_t nrx = RX_DESC, ntx = TX_DESC;
    rc = rte_eth_dev_adjust_nb_rx_tx_desc(gp->id, &nrx, &ntx);
    if (rc == 0)
        rc = rte_eth_rx_queue_setup(gp->id, 0, nrx, rte_eth_dev_socket_id(gp->id), NULL,
                                    c->rx_pool);
    if (rc == 0) {
        struct rte_eth_txconf txconf = info.default_txconf;
        txconf.offloads = conf.txmode.offloads;
        rc = rte_eth_tx_queue_setup(gp->id, 0, ntx, rte_eth_dev_socket_id(gp->id), &txconf);
    }
    if (rc) {
        fprintf(stderr, "sluice-gen: port %u (%s): queue setup failed: %s\n", gp->id, gp->name,
                rte_strerror(-rc));
        return -1;
    }
    rc = rte_eth_dev_start(gp->id);
    if (rc) {
        fprintf(stderr, "sluice-gen: port %u (%s): start failed: %s\n", gp->id, gp->name,
                rte_strerror(-rc));
        return -1;
    }
    /* Echo and iofwd must see frames addressed to anyone; a device without promiscuous
     * mode (virtio without the control queue) already delivers everything. */
    rc = rte_eth_promiscuous_enable(gp->id);
    if (rc && rc != -ENOTSUP)
        fprintf(stderr, "sluice-gen: port %u (%s): promiscuous mode: %s (continuing)\n", gp->id,
                gp->name, rte_strerror(-rc));
    return 0;
}

static int wait_links(struct gen_ctx *c)
{
    uint64_t deadline = rte_get_tsc_cycles() + (uint64_t)(c->opts.wait_link_s * (double)c->hz);
    for (;;) {
        unsigned down = c->nports;
        for (unsigned i = 0; i < c->nports; i++) {
            struct rte_eth_link link;
            if (rte_eth_link_get_nowait(c->ports[i].id, &link) == 0 && link.link_status)
                down--;
        }
        if (!down)
            return 0;
        if (stop_requested)
            return -1;
        if (rte_get_tsc_cycles() > deadline) {
            for (unsigned i = 0; i < c->nports; i++) {
                struct rte_eth_link link;
                if (rte_eth_link_get_nowait(c->ports[i].id, &link) || !link.link_status)
                    fprintf(stderr, "sluice-gen: port %u (%s): link still down after %.1f s "
                                    "(is the peer connected?)\n",
                            i, c->ports[i].name, c->opts.wait_link_s);
            }
            return -1;
        }
        rte_delay_us_sleep(10000);
    }
}

/* Builds `want` packets for gp; returns how many are ready in pkts[]. */
static unsigned build_burst(struct gen_ctx *c, struct gen_port *gp, struct gen_port_stats *st,
                            struct rte_mbuf **pkts, unsigned want, uint64_t tsc)
{
    if (rte_pktmbuf_alloc_bulk(c->tx_pool, pkts, want)) {
        st->alloc_failed += want;
        return 0;
    }
    uint32_t size = c->opts.size;
    uint32_t flow = gp->flow;
    for (unsigned i = 0; i < want; i++) {
        struct rte_mbuf *m = pkts[i];
        uint16_t first = (uint16_t)RTE_MIN(size, (uint32_t)c->seg_room);
        m->data_len = first;
        m->pkt_len = size;
        struct rte_mbuf *prev = m;
        for (uint32_t left = size - first; left;) {
            struct rte_mbuf *seg = rte_pktmbuf_alloc(c->tx_pool);
            if (!seg) {
                st->alloc_failed += want - i;
                rte_pktmbuf_free_bulk(pkts + i, want - i);
                return i;
            }
            seg->data_len = (uint16_t)RTE_MIN(left, (uint32_t)c->seg_room);
            left -= seg->data_len;
            prev->next = seg;
            prev = seg;
            m->nb_segs++;
        }
        gen_packet_write(&gp->tpl, rte_pktmbuf_mtod(m, uint8_t *), flow, gp->stream, gp->seq + i,
                         tsc);
        if (++flow == c->opts.flows)
            flow = 0;
    }
    return want;
}

/* Sends what pacing says is due on gp. Returns the number of packets sent. */
static unsigned port_tx(struct gen_ctx *c, struct gen_port *gp, struct gen_port_stats *st,
                        uint64_t now)
{
    unsigned want = GEN_BURST;
    if (c->opts.rate_pps) {
        uint64_t due = (uint64_t)((double)(now - c->tx_start) * c->pkts_per_cycle);
        if (due <= gp->sched)
            return 0;
        uint64_t backlog = due - gp->sched;
        if (backlog > c->max_backlog) {
            gp->sched = due - c->max_backlog;
            backlog = c->max_backlog;
        }
        want = (unsigned)RTE_MIN(backlog, (uint64_t)GEN_BURST);
    }
    if (c->opts.count) {
        uint64_t left = c->opts.count - st->tx_packets;
        if (left < want)
            want = (unsigned)left;
    }
    struct rte_mbuf *pkts[GEN_BURST];
    unsigned n = build_burst(c, gp, st, pkts, want, now);
    gp->sched += want;
    if (!n)
        return 0;
    uint16_t sent = rte_eth_tx_burst(gp->id, 0, pkts, (uint16_t)n);
    if (sent < n) {
        st->tx_failed += n - sent;
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    }
    gp->seq += sent;
    gp->flow = (uint32_t)((gp->flow + sent) % c->opts.flows);
    st->tx_packets += sent;
    st->tx_bytes += (uint64_t)sent * c->opts.size;
    if (c->opts.count && st->tx_packets >= c->opts.count)
        gp->tx_done = true;
    return sent;
}

static void account_rx(struct gen_ctx *c, unsigned port, struct rte_mbuf **pkts, unsigned n,
                       uint64_t now)
{
    struct gen_port_stats *st = &c->stats[port];
    st->rx_packets += n;
    for (unsigned i = 0; i < n; i++) {
        struct rte_mbuf *m = pkts[i];
        st->rx_bytes += m->pkt_len;
        if (c->opts.mode == GEN_MODE_IOFWD)
            continue;
        uint8_t copy[SNOOP_LEN];
        uint32_t len = RTE_MIN(m->pkt_len, (uint32_t)SNOOP_LEN);
        const uint8_t *frame = rte_pktmbuf_read(m, 0, len, copy);
        struct gen_stamp s;
        if (!frame || !gen_stamp_parse(frame, len, &s))
            continue;
        st->rx_probes++;
        gen_stats_stream(st, s.stream, s.seq);
        unsigned src = s.stream & 0xfu;
        if ((s.stream >> 4) == c->gen_id && src < c->nports)
            c->stats[src].returned++;
        /* The TSC is one clock for the whole host, so probes from another generator
         * process on this machine give a valid one-way latency too. */
        uint64_t cycles = (now - s.tsc) & GEN_SEQ_MASK;
        gen_hist_add(st, (uint64_t)((double)cycles * c->ns_per_cycle));
    }
}

/* Receives one burst on port `p` and disposes of it per mode. Returns packets received. */
static unsigned port_rx(struct gen_ctx *c, unsigned p, uint64_t now)
{
    struct gen_port *gp = &c->ports[p];
    struct rte_mbuf *pkts[GEN_BURST];
    uint16_t n = rte_eth_rx_burst(gp->id, 0, pkts, GEN_BURST);
    if (!n)
        return 0;
    if (!c->first_rx)
        c->first_rx = now;
    c->last_rx = now;
    account_rx(c, p, pkts, n, now);
    unsigned out;
    switch (c->opts.mode) {
    case GEN_MODE_ECHO:
        for (unsigned i = 0; i < n; i++)
            gen_packet_reflect(rte_pktmbuf_mtod(pkts[i], uint8_t *), pkts[i]->data_len);
        out = p;
        break;
    case GEN_MODE_IOFWD:
        out = gp->fwd_to;
        break;
    default:
        rte_pktmbuf_free_bulk(pkts, n);
        return n;
    }
    uint64_t bytes = 0;
    for (unsigned i = 0; i < n; i++)
        bytes += pkts[i]->pkt_len;
    uint16_t sent = rte_eth_tx_burst(c->ports[out].id, 0, pkts, n);
    if (sent < n) {
        for (unsigned i = sent; i < n; i++)
            bytes -= pkts[i]->pkt_len;
        c->stats[p].fwd_dropped += n - sent;
        rte_pktmbuf_free_bulk(pkts + sent, n - sent);
    }
    c->stats[out].tx_packets += sent;
    c->stats[out].tx_bytes += bytes;
    return n;
}

static bool tx_mode(enum gen_mode m)
{
    return m == GEN_MODE_TX || m == GEN_MODE_TXRX;
}

static uint64_t total(const struct gen_ctx *c, size_t field_off)
{
    uint64_t sum = 0;
    for (unsigned p = 0; p < c->nports; p++)
        sum += *(const uint64_t *)((const char *)&c->stats[p] + field_off);
    return sum;
}

#define TOTAL(c, field) total(c, offsetof(struct gen_port_stats, field))

/* Runs until duration/count/signal. Returns the cycles over which rates are computed: the
 * sending phase for senders, first to last received burst for receivers. */
static uint64_t run(struct gen_ctx *c, struct gen_run_info *ri)
{
    const struct gen_opts *o = &c->opts;
    bool sending = tx_mode(o->mode);
    bool any_tx = false;
    for (unsigned p = 0; p < c->nports; p++)
        any_tx |= c->ports[p].tx;
    sending = sending && any_tx;

    uint64_t start = rte_rdtsc();
    c->tx_start = start;
    uint64_t end = o->duration_s > 0 ? start + (uint64_t)(o->duration_s * (double)c->hz) : 0;
    uint64_t stats_every = (uint64_t)(o->stats_interval_s * (double)c->hz);
    uint64_t next_stats = start + stats_every;
    uint64_t last_stats = start;
    uint64_t stopped_at = 0, drain_end = 0;
    uint64_t idle_cycles = (uint64_t)((double)o->idle_sleep_us * 1e-6 * (double)c->hz);
    static struct gen_port_stats prev[GEN_MAX_PORTS];
    for (unsigned p = 0; p < c->nports; p++)
        gen_stats_init(&prev[p]);

    for (;;) {
        uint64_t now = rte_rdtsc();
        unsigned moved = 0;
        for (unsigned p = 0; p < c->nports; p++) {
            moved += port_rx(c, p, now);
            struct gen_port *gp = &c->ports[p];
            if (sending && gp->tx && !gp->tx_done)
                moved += port_tx(c, gp, &c->stats[p], now);
        }
        uint64_t after = rte_rdtsc();
        if (moved)
            c->busy_cycles += after - now;

        if (stats_every && after >= next_stats) {
            ri->elapsed_s = (double)(after - start) / (double)c->hz;
            gen_stats_print_interval(stdout, ri, c->stats, prev,
                                     (double)(after - last_stats) / (double)c->hz);
            last_stats = after;
            next_stats += stats_every;
            if (next_stats < after)
                next_stats = after + stats_every;
        }

        if (sending) {
            bool all_done = true;
            for (unsigned p = 0; p < c->nports; p++)
                if (c->ports[p].tx && !c->ports[p].tx_done)
                    all_done = false;
            /* A signal ends sending like --duration does: what is in flight still gets
             * --drain to come back, so an interrupted run reports real loss only. */
            if ((end && after >= end) || all_done || stop_requested) {
                sending = false;
                stopped_at = after;
                drain_end = after + (uint64_t)(o->drain_s * (double)c->hz);
            }
        } else if (stopped_at) {
            /* Draining: in txrx, stop as soon as everything sent has come back. */
            if (after >= drain_end)
                break;
            if (o->mode == GEN_MODE_TXRX && TOTAL(c, returned) >= TOTAL(c, tx_packets))
                break;
        } else {
            if (stop_requested || (end && after >= end))
                break;
            if (o->count && TOTAL(c, rx_packets) >= o->count)
                break;
        }

        if (!moved && idle_cycles) {
            /* Sleep only if no paced packet falls due meanwhile. */
            bool due_soon = false;
            if (sending && o->rate_pps)
                for (unsigned p = 0; p < c->nports; p++) {
                    struct gen_port *gp = &c->ports[p];
                    if (!gp->tx || gp->tx_done)
                        continue;
                    uint64_t next = c->tx_start +
                                    (uint64_t)((double)(gp->sched + 1) / c->pkts_per_cycle);
                    if (next < after + idle_cycles)
                        due_soon = true;
                }
            else if (sending)
                due_soon = true;
            if (!due_soon)
                rte_delay_us_sleep(o->idle_sleep_us);
        }
    }
    if (tx_mode(o->mode) && any_tx)
        return (stopped_at ? stopped_at : rte_rdtsc()) - start;
    /* A receiver's rate is over the traffic it saw, not over the time it waited for it. */
    if (c->last_rx > c->first_rx)
        return c->last_rx - c->first_rx;
    return rte_rdtsc() - start;
}

static int check_expectations(const struct gen_ctx *c)
{
    const struct gen_opts *o = &c->opts;
    int rc = EXIT_OK;
    uint64_t rx = TOTAL(c, rx_packets);
    if (o->expect_rx_set && rx < o->expect_rx) {
        fprintf(stderr, "sluice-gen: received %llu packets, expected at least %llu\n",
                (unsigned long long)rx, (unsigned long long)o->expect_rx);
        rc = EXIT_FAIL;
    }
    if (o->min_rx_ratio >= 0) {
        uint64_t tx = 0, back = 0;
        for (unsigned p = 0; p < c->nports; p++) {
            if (!c->ports[p].tx)
                continue;
            tx += c->stats[p].tx_packets;
            back += c->stats[p].returned;
        }
        double ratio = tx ? (double)back / (double)tx : 0;
        if (!tx) {
            fprintf(stderr, "sluice-gen: --min-rx-ratio %.4f: nothing was sent\n",
                    o->min_rx_ratio);
            rc = EXIT_FAIL;
        } else if (ratio < o->min_rx_ratio) {
            fprintf(stderr, "sluice-gen: %llu of %llu sent packets came back (ratio %.4f), "
                            "expected at least %.4f\n",
                    (unsigned long long)back, (unsigned long long)tx, ratio, o->min_rx_ratio);
            rc = EXIT_FAIL;
        }
    }
    return rc;
}

static void close_ports(struct gen_ctx *c)
{
    for (unsigned i = 0; i < c->nports; i++) {
        rte_eth_dev_stop(c->ports[i].id);
        rte_eth_dev_close(c->ports[i].id);
    }
}

int main(int argc, char **argv)
{
    /* Split at "--": EAL's options before, ours after. Ours are checked first so that a
     * typo fails fast, before EAL touches hugepages or devices. */
    int dd = argc;
    for (int i = 1; i < argc; i++)
        if (!strcmp(argv[i], "--")) {
            dd = i;
            break;
        }
    for (int i = 1; i < dd; i++)
        if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
            gen_opts_usage(stdout, argv[0]);
            return EXIT_OK;
        }

    static struct gen_ctx ctx;
    struct gen_ctx *c = &ctx;
    char *app_argv[argc + 1];
    int app_argc = 0;
    app_argv[app_argc++] = argv[0];
    for (int i = dd + 1; i < argc; i++)
        app_argv[app_argc++] = argv[i];
    app_argv[app_argc] = NULL;
    int prc = gen_opts_parse(&c->opts, app_argc, app_argv, stderr);
    if (prc > 0)
        return EXIT_OK;
    if (prc < 0)
        return EXIT_USAGE;

    int eal_argc = dd;
    int ret = rte_eal_init(eal_argc, argv);
    if (ret < 0) {
        fprintf(stderr, "sluice-gen: EAL initialisation failed: %s (check the EAL options "
                        "before '--')\n", rte_strerror(rte_errno));
        return EXIT_USAGE;
    }

    int rc = EXIT_USAGE;
    struct gen_opts *o = &c->opts;
    uint16_t pid;
    RTE_ETH_FOREACH_DEV(pid)
    {
        if (c->nports == GEN_MAX_PORTS) {
            fprintf(stderr, "sluice-gen: more than %d ports; at most %d are supported\n",
                    GEN_MAX_PORTS, GEN_MAX_PORTS);
            goto out_eal;
        }
        struct gen_port *gp = &c->ports[c->nports++];
        gp->id = pid;
        if (rte_eth_dev_get_name_by_port(pid, gp->name))
            snprintf(gp->name, sizeof gp->name, "port%u", pid);
    }
    if (!c->nports) {
        fprintf(stderr, "sluice-gen: no DPDK port: attach one with EAL's --vdev, e.g. "
                        "--vdev=net_virtio_user0,path=/tmp/vm1.sock (a vdev whose probe failed "
                        "is reported above)\n");
        goto out_eal;
    }
    if (o->n_addr > c->nports) {
        fprintf(stderr, "sluice-gen: addresses given for %u ports but only %u port(s) exist\n",
                o->n_addr, c->nports);
        goto out_eal;
    }
    if (o->tx_port_mask != UINT32_MAX && (o->tx_port_mask >> c->nports)) {
        fprintf(stderr, "sluice-gen: --tx-ports names a port >= %u, the number of ports\n",
                c->nports);
        goto out_eal;
    }
    if (o->mode == GEN_MODE_IOFWD && c->nports % 2) {
        fprintf(stderr, "sluice-gen: --mode iofwd forwards port pairs (0<->1, 2<->3...) and "
                        "needs an even number of ports; %u given\n", c->nports);
        goto out_eal;
    }

    c->hz = rte_get_tsc_hz();
    c->ns_per_cycle = 1e9 / (double)c->hz;
    c->pkts_per_cycle = (double)o->rate_pps / (double)c->hz;
    /* Up to 10 ms of lateness (a context switch on a shared core) is made up so the average
     * rate holds; a longer stall is dropped rather than sent as a burst. */
    c->max_backlog = RTE_MAX((uint64_t)GEN_BURST, o->rate_pps / 100);
    c->gen_id = o->gen_id >= 0 ? (uint16_t)o->gen_id
                               : (uint16_t)((rte_rdtsc() ^ (uint64_t)getpid() * 2654435761u) &
                                            0xfffu);
    c->stats = calloc(c->nports, sizeof *c->stats);
    if (!c->stats) {
        fprintf(stderr, "sluice-gen: out of memory\n");
        rc = EXIT_FAIL;
        goto out_eal;
    }
    for (unsigned i = 0; i < c->nports; i++) {
        struct gen_port *gp = &c->ports[i];
        gen_stats_init(&c->stats[i]);
        gen_port_addr_defaults(&o->addr[i], i, c->nports);
        gen_template_build(&gp->tpl, &o->addr[i], o);
        gp->tx = tx_mode(o->mode) && (o->tx_port_mask >> i & 1u);
        gp->stream = (uint16_t)(c->gen_id << 4 | i);
        gp->fwd_to = i ^ 1u;
    }
    if (setup_pools(c))
        goto out_free;
    unsigned started = 0;
    for (; started < c->nports; started++)
        if (setup_port(c, &c->ports[started]))
            break;
    if (started < c->nports) {
        for (unsigned i = 0; i < started; i++)
            rte_eth_dev_stop(c->ports[i].id);
        goto out_free;
    }

    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    sa.sa_flags = SA_RESETHAND; /* a second Ctrl-C (e.g. during a long --drain) kills outright */
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);

    struct gen_run_info ri;
    memset(&ri, 0, sizeof ri);
    ri.opts = o;
    ri.nports = c->nports;
    ri.tsc_hz = c->hz;
    ri.gen_id = c->gen_id;
    for (unsigned i = 0; i < c->nports; i++)
        ri.port_names[i] = c->ports[i].name;

    if (o->wait_link_s > 0 && wait_links(c)) {
        rc = EXIT_FAIL;
        if (stop_requested)
            fprintf(stderr, "sluice-gen: interrupted while waiting for links\n");
        goto out_ports;
    }
    if (!o->quiet)
        printf("sluice-gen: %u port(s), mode %s, gen-id %u, rate %s, size %u, flows %u\n",
               c->nports, gen_mode_name(o->mode), c->gen_id, o->rate_pps ? "paced" : "max",
               o->size, o->flows);
    fflush(stdout);

    uint64_t active = run(c, &ri);
    ri.elapsed_s = (double)active / (double)c->hz;
    ri.busy_cycles = c->busy_cycles;
    if (!o->quiet)
        gen_stats_print_summary(stdout, &ri, c->stats);
    rc = check_expectations(c);
    if (o->json_path) {
        int jrc = gen_stats_write_json(o->json_path, &ri, c->stats);
        if (jrc) {
            fprintf(stderr, "sluice-gen: --json %s: %s\n", o->json_path, strerror(-jrc));
            rc = EXIT_FAIL;
        }
    }
out_ports:
    close_ports(c);
out_free:
    free(c->stats);
out_eal:
    rte_eal_cleanup();
    return rc;
}
