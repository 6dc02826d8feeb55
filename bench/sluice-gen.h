/* sluice-gen.h — the traffic generator's internal contract.
 *
 * sluice-gen is a DPDK application that stands in for a VM (virtio-user) or a NIC (memif,
 * net_ring, af_packet...) in tests and benchmarks. It attaches to every ethdev EAL created
 * from --vdev and, depending on --mode, sends paced UDP/IPv4 traffic, receives and accounts
 * it, echoes it back, or forwards port0<->port1 untouched (the io-forwarding ceiling).
 *
 * Probe stamp: every generated packet carries, right after the UDP header, a 16-byte stamp
 * (magic, stream id, 48-bit sequence number, 48-bit TSC at send time). A receiver that finds
 * the stamp measures latency and counts loss and reordering per stream without any
 * out-of-band channel; an echo peer returns the payload unchanged so the sender measures the
 * round trip. 48 bits are enough: sequence numbers wrap after 2^48 packets and TSC
 * differences are taken modulo 2^48 (days at any TSC rate). The stamp fits in a 64-byte
 * frame even with a VLAN tag (14 + 4 + 20 + 8 + 16 = 62).
 *
 * Threads: one. The main lcore polls every port in turn; there is no shared state, so no
 * locking. This keeps the generator's footprint to one core, which matters on small hosts
 * where the switch under test needs the others.
 *
 * Split: sluice-gen-opts.c parses options (no EAL needed), sluice-gen-pkt.c builds and parses
 * packets, sluice-gen-stats.c keeps per-port statistics and prints the live lines and the
 * JSON summary, sluice-gen-main.c owns EAL, ports and the poll loop.
 */
#ifndef SLUICE_BENCH_SLUICE_GEN_H
#define SLUICE_BENCH_SLUICE_GEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define GEN_MAX_PORTS 16 /* the stream id keeps 4 bits for the port */
#define GEN_BURST 32
#define GEN_MIN_SIZE 64
#define GEN_MAX_SIZE 9000
#define GEN_STAMP_MAGIC 0x5c1eu
#define GEN_STAMP_LEN 16
#define GEN_SEQ_MASK ((UINT64_C(1) << 48) - 1)
#define GEN_MAX_STREAMS 32 /* distinct senders tracked per receiving port */

enum gen_mode {
    GEN_MODE_TX,    /* send on the tx ports; still counts what arrives */
    GEN_MODE_RX,    /* receive and account only */
    GEN_MODE_TXRX,  /* send and receive; loss = sent - own probes received back */
    GEN_MODE_ECHO,  /* return every packet on its port with MACs/IPs/L4 ports swapped */
    GEN_MODE_IOFWD, /* forward port 2k <-> 2k+1 unchanged: the forwarding ceiling */
};

/* Addresses of one port's generated traffic; *_set tells whether the user gave it. */
struct gen_port_addr {
    uint8_t src_mac[6], dst_mac[6];
    uint32_t src_ip, dst_ip; /* host order */
    bool src_mac_set, dst_mac_set, src_ip_set, dst_ip_set;
};

struct gen_opts {
    enum gen_mode mode;
    uint64_t rate_pps;       /* per tx port; 0 = as fast as possible */
    uint32_t size;           /* frame length without FCS */
    uint32_t flows;          /* UDP source port (then source IP) varies over this many */
    int vlan;                /* -1 = untagged */
    double duration_s;       /* 0 = until --count, a signal, or forever */
    uint64_t count;          /* tx modes: packets per tx port; rx/echo/iofwd: total received */
    double stats_interval_s; /* 0 = no live lines */
    const char *json_path;
    double wait_link_s;  /* 0 = do not wait */
    double drain_s;      /* after tx stops, keep receiving this long for in-flight packets */
    uint32_t idle_sleep_us; /* sleep this long when an iteration found no work (0 = spin) */
    bool expect_rx_set;
    uint64_t expect_rx;
    double min_rx_ratio; /* < 0 = not checked */
    uint32_t tx_port_mask; /* which ports send in tx/txrx modes */
    int gen_id;            /* 0..4095, -1 = random */
    uint16_t udp_src_port, udp_dst_port;
    bool quiet;
    unsigned n_addr; /* how many entries of addr[] hold user-given values (max over lists) */
    struct gen_port_addr addr[GEN_MAX_PORTS];
};

/* Parses the application's own options (what follows "--"). argv[0] is the program name.
 * Returns 0 on success, 1 if --help was printed (caller exits 0), or -1 after printing a
 * message naming the option and the cause to `err` (caller exits 2). */
int gen_opts_parse(struct gen_opts *o, int argc, char **argv, FILE *err);
void gen_opts_usage(FILE *f, const char *prog);
const char *gen_mode_name(enum gen_mode m);

/* Fills in defaults for port `port` of `nports` where the user gave nothing:
 * MAC 02:00:00:00:00:<port+1>, peer = port^1 (port 0 talks to port 1), IPs 198.18.<port>.1
 * (RFC 2544's benchmarking range, never routed). */
void gen_port_addr_defaults(struct gen_port_addr *a, unsigned port, unsigned nports);

/* A packet template: the headers every generated packet of a port starts with. */
struct gen_template {
    uint8_t hdr[64];
    uint16_t hdr_len;   /* L2 + IPv4 + UDP */
    uint16_t l3_off;    /* IPv4 header */
    uint16_t l4_off;    /* UDP header */
    uint16_t stamp_off; /* == hdr_len */
    uint32_t src_ip;    /* host order, base of the flow variation */
    uint16_t src_port;  /* host order, base of the flow variation */
};

void gen_template_build(struct gen_template *t, const struct gen_port_addr *a,
                        const struct gen_opts *o);

/* Writes headers + stamp for flow `flow` into buf (at least t->hdr_len + GEN_STAMP_LEN
 * bytes). Flows vary the UDP source port over 60000 values, then the source IP. */
void gen_packet_write(const struct gen_template *t, uint8_t *buf, uint32_t flow, uint16_t stream,
                      uint64_t seq, uint64_t tsc);

struct gen_stamp {
    uint16_t stream;
    uint64_t seq; /* 48 bits */
    uint64_t tsc; /* 48 bits */
};

/* Looks for a stamp in the first `len` bytes of a frame (Ethernet, up to two VLAN tags,
 * IPv4 with options, UDP). Returns true and fills *s if found. Never reads past len. */
bool gen_stamp_parse(const uint8_t *frame, size_t len, struct gen_stamp *s);

/* Swaps MACs, and for IPv4 the addresses and TCP/UDP ports, in place within len bytes.
 * Checksums stay valid: both are sums over the swapped pairs. */
void gen_packet_reflect(uint8_t *frame, size_t len);

/* Latency histogram: log-linear buckets (16 per power of two), ~6% resolution. */
#define GEN_HIST_SUB 16
#define GEN_HIST_BUCKETS (64 * GEN_HIST_SUB)

struct gen_stream {
    uint16_t id;
    bool used;
    uint64_t received;
    uint64_t max_seq;
};

struct gen_port_stats {
    uint64_t tx_packets, tx_bytes;
    uint64_t tx_failed;     /* generated but refused by the driver (ring full, link down) */
    uint64_t alloc_failed;  /* mbuf pool empty */
    uint64_t fwd_dropped;   /* echo/iofwd: received but could not be sent on */
    uint64_t rx_packets, rx_bytes;
    uint64_t rx_probes;     /* received packets carrying a stamp */
    uint64_t returned;      /* this port's own probes received back on any port */
    uint64_t out_of_order;  /* probes whose seq is not above the stream's highest so far */
    uint64_t lat_count, lat_sum_ns, lat_min_ns, lat_max_ns;
    uint64_t hist[GEN_HIST_BUCKETS];
    unsigned n_streams;
    uint64_t streams_untracked;
    struct gen_stream streams[GEN_MAX_STREAMS];
};

void gen_stats_init(struct gen_port_stats *s);
void gen_hist_add(struct gen_port_stats *s, uint64_t ns);
/* Value (ns) at percentile pct (0..100) of the histogram; 0 if empty. */
uint64_t gen_hist_percentile(const struct gen_port_stats *s, double pct);
/* Accounts one stamp received on this port; returns true if it was in order. */
bool gen_stats_stream(struct gen_port_stats *s, uint16_t stream, uint64_t seq);
/* Packets missing from the sequence of every stream received on this port (assumes each
 * stream starts at 0, as the generator's do). */
uint64_t gen_stats_seq_lost(const struct gen_port_stats *s);

/* What the summary needs beyond the counters. */
struct gen_run_info {
    const struct gen_opts *opts;
    unsigned nports;
    const char *port_names[GEN_MAX_PORTS];
    double elapsed_s;
    uint64_t tsc_hz;
    uint64_t busy_cycles; /* cycles spent in loop iterations that moved packets */
    uint16_t gen_id;
};

/* Prints one line per port with rates over the last interval (delta vs *prev). */
void gen_stats_print_interval(FILE *f, const struct gen_run_info *ri,
                              const struct gen_port_stats *cur, struct gen_port_stats *prev,
                              double interval_s);
/* Human summary to f; JSON summary to path. Returns 0, or -errno if the file failed. */
void gen_stats_print_summary(FILE *f, const struct gen_run_info *ri,
                             const struct gen_port_stats *st);
int gen_stats_write_json(const char *path, const struct gen_run_info *ri,
                         const struct gen_port_stats *st);

#endif
