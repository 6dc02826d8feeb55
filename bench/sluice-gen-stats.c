/* sluice-gen-stats.c — per-port counters, latency histogram, live lines and the summary.
 *
 * The histogram is log-linear (HdrHistogram's idea, much reduced): exact below 16 ns, then
 * 16 buckets per power of two, so any percentile is within ~6% of the true value while the
 * per-packet cost is a count-leading-zeros and an increment.
 *
 * Rates are L2 rates: bytes are frame bytes without FCS, preamble or inter-frame gap, which
 * is what virtual links carry.
 */
#include "bench/sluice-gen.h"

#include <errno.h>
#include <string.h>

void gen_stats_init(struct gen_port_stats *s)
{
    memset(s, 0, sizeof *s);
    s->lat_min_ns = UINT64_MAX;
}

static unsigned hist_index(uint64_t v)
{
    if (v < GEN_HIST_SUB)
        return (unsigned)v;
    unsigned msb = 63u - (unsigned)__builtin_clzll(v);
    unsigned sub = (unsigned)(v >> (msb - 4)) & (GEN_HIST_SUB - 1);
    return (msb - 3) * GEN_HIST_SUB + sub;
}

static uint64_t hist_value(unsigned idx)
{
    if (idx < GEN_HIST_SUB)
        return idx;
    unsigned msb = idx / GEN_HIST_SUB + 3;
    unsigned sub = idx % GEN_HIST_SUB;
    uint64_t width = UINT64_C(1) << (msb - 4);
    return ((uint64_t)(GEN_HIST_SUB + sub) << (msb - 4)) + width / 2;
}

void gen_hist_add(struct gen_port_stats *s, uint64_t ns)
{
    s->hist[hist_index(ns)]++;
    s->lat_count++;
    s->lat_sum_ns += ns;
    if (ns < s->lat_min_ns)
        s->lat_min_ns = ns;
    if (ns > s->lat_max_ns)
        s->lat_max_ns = ns;
}

uint64_t gen_hist_percentile(const struct gen_port_stats *s, double pct)
{
    if (!s->lat_count)
        return 0;
    uint64_t rank = (uint64_t)((double)s->lat_count * pct / 100.0 + 0.5);
    if (rank < 1)
        return s->lat_min_ns;
    if (rank >= s->lat_count)
        return s->lat_max_ns;
    uint64_t seen = 0;
    for (unsigned i = 0; i < GEN_HIST_BUCKETS; i++) {
        seen += s->hist[i];
        if (seen >= rank) {
            uint64_t v = hist_value(i);
            /* A bucket's midpoint can lie outside what was observed; clamp to it. */
            if (v < s->lat_min_ns)
                v = s->lat_min_ns;
            if (v > s->lat_max_ns)
                v = s->lat_max_ns;
            return v;
        }
    }
    return s->lat_max_ns;
}

bool gen_stats_stream(struct gen_port_stats *s, uint16_t stream, uint64_t seq)
{
    struct gen_stream *st = NULL;
    for (unsigned i = 0; i < s->n_streams; i++) {
        if (s->streams[i].id == stream) {
            st = &s->streams[i];
            break;
        }
    }
    if (!st) {
        if (s->n_streams == GEN_MAX_STREAMS) {
            s->streams_untracked++;
            return true;
        }
        st = &s->streams[s->n_streams++];
        st->id = stream;
        st->used = true;
        st->received = 1;
        st->max_seq = seq;
        return true;
    }
    st->received++;
    if (seq > st->max_seq) {
        st->max_seq = seq;
        return true;
    }
    s->out_of_order++;
    return false;
}

uint64_t gen_stats_seq_lost(const struct gen_port_stats *s)
{
    uint64_t lost = 0;
    for (unsigned i = 0; i < s->n_streams; i++) {
        uint64_t expected = s->streams[i].max_seq + 1;
        if (expected > s->streams[i].received)
            lost += expected - s->streams[i].received;
    }
    return lost;
}

static double mpps(uint64_t pkts, double secs)
{
    return secs > 0 ? (double)pkts / secs / 1e6 : 0;
}

static double gbps(uint64_t bytes, double secs)
{
    return secs > 0 ? (double)bytes * 8 / secs / 1e9 : 0;
}

static bool reports_loss(const struct gen_run_info *ri, unsigned p)
{
    return ri->opts->mode == GEN_MODE_TXRX && (ri->opts->tx_port_mask >> p & 1u);
}

void gen_stats_print_interval(FILE *f, const struct gen_run_info *ri,
                              const struct gen_port_stats *cur, struct gen_port_stats *prev,
                              double interval_s)
{
    for (unsigned p = 0; p < ri->nports; p++) {
        const struct gen_port_stats *c = &cur[p];
        struct gen_port_stats *o = &prev[p];
        uint64_t dtx = c->tx_packets - o->tx_packets, drx = c->rx_packets - o->rx_packets;
        fprintf(f, "[%7.1fs] port%u tx %8.3f Mpps %7.3f Gbps | rx %8.3f Mpps %7.3f Gbps",
                ri->elapsed_s, p, mpps(dtx, interval_s),
                gbps(c->tx_bytes - o->tx_bytes, interval_s), mpps(drx, interval_s),
                gbps(c->rx_bytes - o->rx_bytes, interval_s));
        if (reports_loss(ri, p)) {
            uint64_t dret = c->returned - o->returned;
            double loss = dtx > dret ? 100.0 * (double)(dtx - dret) / (double)dtx : 0;
            fprintf(f, " | loss %6.2f%%", loss);
        }
        if (c->tx_failed != o->tx_failed)
            fprintf(f, " | tx-failed %llu", (unsigned long long)(c->tx_failed - o->tx_failed));
        fputc('\n', f);
        /* Only the counters feed the next delta; the histogram need not be copied. */
        o->tx_packets = c->tx_packets;
        o->tx_bytes = c->tx_bytes;
        o->rx_packets = c->rx_packets;
        o->rx_bytes = c->rx_bytes;
        o->returned = c->returned;
        o->tx_failed = c->tx_failed;
    }
    fflush(f);
}

static void port_loss(const struct gen_run_info *ri, const struct gen_port_stats *s, unsigned p,
                      uint64_t *lost, double *ratio)
{
    *lost = 0;
    *ratio = 0;
    if (!reports_loss(ri, p) || !s->tx_packets)
        return;
    *lost = s->tx_packets > s->returned ? s->tx_packets - s->returned : 0;
    *ratio = (double)*lost / (double)s->tx_packets;
}

void gen_stats_print_summary(FILE *f, const struct gen_run_info *ri,
                             const struct gen_port_stats *st)
{
    double t = ri->elapsed_s;
    fprintf(f, "sluice-gen: mode %s, %u port(s), %.2f s, size %u, flows %u\n",
            gen_mode_name(ri->opts->mode), ri->nports, t, ri->opts->size, ri->opts->flows);
    uint64_t pk = 0;
    for (unsigned p = 0; p < ri->nports; p++) {
        const struct gen_port_stats *s = &st[p];
        pk += s->tx_packets + s->rx_packets;
        fprintf(f, "  port%u %s: tx %llu pkts (%.3f Mpps, %.3f Gbps), rx %llu pkts (%.3f Mpps, "
                   "%.3f Gbps)",
                p, ri->port_names[p], (unsigned long long)s->tx_packets, mpps(s->tx_packets, t),
                gbps(s->tx_bytes, t), (unsigned long long)s->rx_packets, mpps(s->rx_packets, t),
                gbps(s->rx_bytes, t));
        if (reports_loss(ri, p)) {
            uint64_t lost;
            double ratio;
            port_loss(ri, s, p, &lost, &ratio);
            fprintf(f, ", lost %llu (%.4f%%)", (unsigned long long)lost, ratio * 100);
        }
        if (s->lat_count)
            fprintf(f, ", latency p50 %.1f us p99 %.1f us", gen_hist_percentile(s, 50) / 1e3,
                    gen_hist_percentile(s, 99) / 1e3);
        if (s->out_of_order)
            fprintf(f, ", out-of-order %llu", (unsigned long long)s->out_of_order);
        if (s->tx_failed || s->alloc_failed || s->fwd_dropped)
            fprintf(f, ", tx-failed %llu alloc-failed %llu fwd-dropped %llu",
                    (unsigned long long)s->tx_failed, (unsigned long long)s->alloc_failed,
                    (unsigned long long)s->fwd_dropped);
        fputc('\n', f);
    }
    if (pk)
        fprintf(f, "  generator cost: %.1f cycles/packet\n", (double)ri->busy_cycles / (double)pk);
    fflush(f);
}

int gen_stats_write_json(const char *path, const struct gen_run_info *ri,
                         const struct gen_port_stats *st)
{
    FILE *f = fopen(path, "w");
    if (!f)
        return -errno;
    const struct gen_opts *o = ri->opts;
    double t = ri->elapsed_s;
    uint64_t ttx = 0, trx = 0, ttxb = 0, trxb = 0, tlost = 0, pk = 0;
    fprintf(f, "{\n  \"tool\": \"sluice-gen\",\n  \"mode\": \"%s\",\n  \"gen_id\": %u,\n",
            gen_mode_name(o->mode), ri->gen_id);
    fprintf(f, "  \"size\": %u,\n  \"flows\": %u,\n  \"rate_pps\": %llu,\n  \"vlan\": %d,\n",
            o->size, o->flows, (unsigned long long)o->rate_pps, o->vlan);
    fprintf(f, "  \"duration_s\": %.6f,\n  \"tsc_hz\": %llu,\n  \"ports\": [\n", t,
            (unsigned long long)ri->tsc_hz);
    for (unsigned p = 0; p < ri->nports; p++) {
        const struct gen_port_stats *s = &st[p];
        uint64_t lost;
        double ratio;
        port_loss(ri, s, p, &lost, &ratio);
        ttx += s->tx_packets;
        trx += s->rx_packets;
        ttxb += s->tx_bytes;
        trxb += s->rx_bytes;
        tlost += lost;
        pk += s->tx_packets + s->rx_packets;
        fprintf(f, "    {\"port\": %u, \"name\": \"%s\",\n", p, ri->port_names[p]);
        fprintf(f, "     \"tx_packets\": %llu, \"tx_bytes\": %llu, \"tx_pps\": %.1f, "
                   "\"tx_gbps\": %.6f, \"tx_failed\": %llu, \"alloc_failed\": %llu,\n",
                (unsigned long long)s->tx_packets, (unsigned long long)s->tx_bytes,
                mpps(s->tx_packets, t) * 1e6, gbps(s->tx_bytes, t),
                (unsigned long long)s->tx_failed, (unsigned long long)s->alloc_failed);
        fprintf(f, "     \"rx_packets\": %llu, \"rx_bytes\": %llu, \"rx_pps\": %.1f, "
                   "\"rx_gbps\": %.6f, \"fwd_dropped\": %llu,\n",
                (unsigned long long)s->rx_packets, (unsigned long long)s->rx_bytes,
                mpps(s->rx_packets, t) * 1e6, gbps(s->rx_bytes, t),
                (unsigned long long)s->fwd_dropped);
        if (reports_loss(ri, p))
            fprintf(f, "     \"returned\": %llu, \"lost\": %llu, \"loss_ratio\": %.8f,\n",
                    (unsigned long long)s->returned, (unsigned long long)lost, ratio);
        else
            fprintf(f, "     \"returned\": null, \"lost\": null, \"loss_ratio\": null,\n");
        fprintf(f, "     \"rx_probes\": %llu, \"seq_lost\": %llu, \"out_of_order\": %llu, "
                   "\"streams\": %u,\n",
                (unsigned long long)s->rx_probes, (unsigned long long)gen_stats_seq_lost(s),
                (unsigned long long)s->out_of_order, s->n_streams);
        if (s->lat_count)
            fprintf(f, "     \"latency_ns\": {\"samples\": %llu, \"min\": %llu, \"avg\": %.1f, "
                       "\"p50\": %llu, \"p99\": %llu, \"p999\": %llu, \"max\": %llu}}",
                    (unsigned long long)s->lat_count, (unsigned long long)s->lat_min_ns,
                    (double)s->lat_sum_ns / (double)s->lat_count,
                    (unsigned long long)gen_hist_percentile(s, 50),
                    (unsigned long long)gen_hist_percentile(s, 99),
                    (unsigned long long)gen_hist_percentile(s, 99.9),
                    (unsigned long long)s->lat_max_ns);
        else
            fprintf(f, "     \"latency_ns\": null}");
        fprintf(f, "%s\n", p + 1 < ri->nports ? "," : "");
    }
    fprintf(f, "  ],\n  \"total\": {\"tx_packets\": %llu, \"rx_packets\": %llu, "
               "\"tx_bytes\": %llu, \"rx_bytes\": %llu, \"tx_pps\": %.1f, \"rx_pps\": %.1f, "
               "\"lost\": %llu},\n",
            (unsigned long long)ttx, (unsigned long long)trx, (unsigned long long)ttxb,
            (unsigned long long)trxb, mpps(ttx, t) * 1e6, mpps(trx, t) * 1e6,
            (unsigned long long)tlost);
    fprintf(f, "  \"cycles_per_packet\": %.1f\n}\n",
            pk ? (double)ri->busy_cycles / (double)pk : 0.0);
    int rc = ferror(f) ? -EIO : 0;
    if (fclose(f) && !rc)
        rc = -errno;
    return rc;
}
