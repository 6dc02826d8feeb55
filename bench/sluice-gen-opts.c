/* sluice-gen-opts.c — the generator's own command line (after EAL's "--").
 *
 * Parsing is strict: every number is checked for garbage and range, and every error names
 * the option and the value, because tests drive this tool from scripts and a silently
 * ignored typo would make a test pass for the wrong reason.
 */
#include "bench/sluice-gen.h"

#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

const char *gen_mode_name(enum gen_mode m)
{
    switch (m) {
    case GEN_MODE_TX: return "tx";
    case GEN_MODE_RX: return "rx";
    case GEN_MODE_TXRX: return "txrx";
    case GEN_MODE_ECHO: return "echo";
    case GEN_MODE_IOFWD: return "iofwd";
    }
    return "?";
}

void gen_opts_usage(FILE *f, const char *prog)
{
    fprintf(f,
            "usage: %s [EAL options] -- [options]\n"
            "Attaches to every DPDK port EAL created (e.g. --vdev=net_virtio_user0,path=SOCK)\n"
            "and generates, receives, echoes or forwards UDP/IPv4 traffic.\n"
            "\n"
            "  --mode tx|rx|txrx|echo|iofwd  what to do (default txrx)\n"
            "        iofwd forwards port 2k <-> 2k+1 unchanged (the forwarding ceiling)\n"
            "  --rate PPS            packets per second per tx port (0 = line rate, default)\n"
            "  --size BYTES          frame length without FCS, 64..9000 (default 64);\n"
            "                        frames above the mbuf size are sent as mbuf chains\n"
            "  --flows N             vary UDP source port, then source IP, over N flows (default 1)\n"
            "  --src-mac MAC[,MAC..] per port, in port order (default 02:00:00:00:00:<port+1>)\n"
            "  --dst-mac MAC[,MAC..] per port (default: the MAC of port^1)\n"
            "  --src-ip IP[,IP..]    per port (default 198.18.<port>.1)\n"
            "  --dst-ip IP[,IP..]    per port (default: the IP of port^1)\n"
            "  --udp-ports SRC:DST   base UDP ports (default 1024:5001)\n"
            "  --vlan VID            tag generated frames with 802.1Q VID (0..4095)\n"
            "  --tx-ports LIST       ports that send in tx/txrx modes, e.g. 0 or 0,2 (default all)\n"
            "  --duration SECS       stop after SECS (fractions allowed)\n"
            "  --count N             tx modes: packets per tx port; other modes: packets received\n"
            "  --drain SECS          after sending stops, keep receiving SECS (default 0.2)\n"
            "  --stats-interval SECS live per-port rates every SECS (0 = off, default)\n"
            "  --json FILE           write the final summary as JSON\n"
            "  --wait-link SECS      wait up to SECS for every port's link before sending\n"
            "  --expect-rx N         exit 1 unless at least N packets were received in total\n"
            "  --min-rx-ratio R      exit 1 unless received/sent >= R (0..1)\n"
            "  --idle-sleep-us N     sleep N us when a poll finds no work (saves a shared core)\n"
            "  --gen-id N            stream id of this generator, 0..4095 (default random)\n"
            "  --quiet               no summary on stdout\n"
            "  --help                this text\n"
            "Exit: 0 ok, 1 expectation not met or runtime failure, 2 usage or setup error.\n",
            prog);
}

static int parse_u64(const char *opt, const char *s, uint64_t min, uint64_t max, uint64_t *out,
                     FILE *err)
{
    char *end;
    errno = 0;
    if (*s == '-' || *s == '\0') {
        fprintf(err, "sluice-gen: %s '%s': expected a number in %llu..%llu\n", opt, s,
                (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end != '\0' || v < min || v > max) {
        fprintf(err, "sluice-gen: %s '%s': expected a number in %llu..%llu\n", opt, s,
                (unsigned long long)min, (unsigned long long)max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_double(const char *opt, const char *s, double min, double max, double *out,
                        FILE *err)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (errno || end == s || *end != '\0' || !isfinite(v) || v < min || v > max) {
        fprintf(err, "sluice-gen: %s '%s': expected a number in %g..%g\n", opt, s, min, max);
        return -1;
    }
    *out = v;
    return 0;
}

static int parse_mac(const char *s, uint8_t mac[6])
{
    unsigned v[6];
    char tail;
    if (sscanf(s, "%x:%x:%x:%x:%x:%x%c", &v[0], &v[1], &v[2], &v[3], &v[4], &v[5], &tail) != 6)
        return -1;
    for (int i = 0; i < 6; i++) {
        if (v[i] > 0xff)
            return -1;
        mac[i] = (uint8_t)v[i];
    }
    return 0;
}

enum addr_kind { ADDR_SRC_MAC, ADDR_DST_MAC, ADDR_SRC_IP, ADDR_DST_IP };

/* A comma-separated list: the i-th item applies to port i. */
static int parse_addr_list(struct gen_opts *o, const char *opt, const char *list,
                           enum addr_kind kind, FILE *err)
{
    char buf[1024];
    if (strlen(list) >= sizeof buf) {
        fprintf(err, "sluice-gen: %s: list too long\n", opt);
        return -1;
    }
    strcpy(buf, list);
    unsigned i = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save), i++) {
        if (i >= GEN_MAX_PORTS) {
            fprintf(err, "sluice-gen: %s: more than %d ports\n", opt, GEN_MAX_PORTS);
            return -1;
        }
        struct gen_port_addr *a = &o->addr[i];
        if (kind == ADDR_SRC_MAC || kind == ADDR_DST_MAC) {
            uint8_t *mac = kind == ADDR_SRC_MAC ? a->src_mac : a->dst_mac;
            if (parse_mac(item, mac)) {
                fprintf(err, "sluice-gen: %s '%s' (port %u): not a MAC address xx:xx:xx:xx:xx:xx\n",
                        opt, item, i);
                return -1;
            }
            *(kind == ADDR_SRC_MAC ? &a->src_mac_set : &a->dst_mac_set) = true;
        } else {
            struct in_addr in;
            if (inet_pton(AF_INET, item, &in) != 1) {
                fprintf(err, "sluice-gen: %s '%s' (port %u): not an IPv4 address\n", opt, item, i);
                return -1;
            }
            if (kind == ADDR_SRC_IP) {
                a->src_ip = ntohl(in.s_addr);
                a->src_ip_set = true;
            } else {
                a->dst_ip = ntohl(in.s_addr);
                a->dst_ip_set = true;
            }
        }
    }
    if (i == 0) {
        fprintf(err, "sluice-gen: %s: empty list\n", opt);
        return -1;
    }
    if (i > o->n_addr)
        o->n_addr = i;
    return 0;
}

static int parse_port_list(const char *opt, const char *list, uint32_t *mask, FILE *err)
{
    char buf[256];
    if (strlen(list) >= sizeof buf || *list == '\0') {
        fprintf(err, "sluice-gen: %s '%s': expected port numbers like 0,1\n", opt, list);
        return -1;
    }
    strcpy(buf, list);
    *mask = 0;
    char *save = NULL;
    for (char *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        uint64_t p;
        if (parse_u64(opt, item, 0, GEN_MAX_PORTS - 1, &p, err))
            return -1;
        *mask |= 1u << p;
    }
    return 0;
}

void gen_port_addr_defaults(struct gen_port_addr *a, unsigned port, unsigned nports)
{
    unsigned peer = port ^ 1u;
    if (peer >= nports && nports > 1)
        peer = 0; /* odd count: the last port talks to port 0 */
    if (!a->src_mac_set) {
        memset(a->src_mac, 0, 6);
        a->src_mac[0] = 0x02;
        a->src_mac[5] = (uint8_t)(port + 1);
    }
    if (!a->dst_mac_set) {
        memset(a->dst_mac, 0, 6);
        a->dst_mac[0] = 0x02;
        a->dst_mac[5] = (uint8_t)(peer + 1);
    }
    if (!a->src_ip_set)
        a->src_ip = (198u << 24) | (18u << 16) | (port << 8) | 1u;
    if (!a->dst_ip_set)
        a->dst_ip = (198u << 24) | (18u << 16) | (peer << 8) | 1u;
}

enum {
    OPT_MODE = 256, OPT_RATE, OPT_SIZE, OPT_FLOWS, OPT_SRC_MAC, OPT_DST_MAC, OPT_SRC_IP,
    OPT_DST_IP, OPT_UDP_PORTS, OPT_VLAN, OPT_TX_PORTS, OPT_DURATION, OPT_COUNT, OPT_DRAIN,
    OPT_STATS, OPT_JSON, OPT_WAIT_LINK, OPT_EXPECT_RX, OPT_MIN_RATIO, OPT_IDLE, OPT_GEN_ID,
    OPT_QUIET, OPT_HELP,
};

static const struct option long_opts[] = {
    {"mode", required_argument, NULL, OPT_MODE},
    {"rate", required_argument, NULL, OPT_RATE},
    {"size", required_argument, NULL, OPT_SIZE},
    {"flows", required_argument, NULL, OPT_FLOWS},
    {"src-mac", required_argument, NULL, OPT_SRC_MAC},
    {"dst-mac", required_argument, NULL, OPT_DST_MAC},
    {"src-ip", required_argument, NULL, OPT_SRC_IP},
    {"dst-ip", required_argument, NULL, OPT_DST_IP},
    {"udp-ports", required_argument, NULL, OPT_UDP_PORTS},
    {"vlan", required_argument, NULL, OPT_VLAN},
    {"tx-ports", required_argument, NULL, OPT_TX_PORTS},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"count", required_argument, NULL, OPT_COUNT},
    {"drain", required_argument, NULL, OPT_DRAIN},
    {"stats-interval", required_argument, NULL, OPT_STATS},
    {"json", required_argument, NULL, OPT_JSON},
    {"wait-link", required_argument, NULL, OPT_WAIT_LINK},
    {"expect-rx", required_argument, NULL, OPT_EXPECT_RX},
    {"min-rx-ratio", required_argument, NULL, OPT_MIN_RATIO},
    {"idle-sleep-us", required_argument, NULL, OPT_IDLE},
    {"gen-id", required_argument, NULL, OPT_GEN_ID},
    {"quiet", no_argument, NULL, OPT_QUIET},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

int gen_opts_parse(struct gen_opts *o, int argc, char **argv, FILE *err)
{
    memset(o, 0, sizeof *o);
    o->mode = GEN_MODE_TXRX;
    o->size = GEN_MIN_SIZE;
    o->flows = 1;
    o->vlan = -1;
    o->drain_s = 0.2;
    o->min_rx_ratio = -1;
    o->tx_port_mask = UINT32_MAX;
    o->gen_id = -1;
    o->udp_src_port = 1024;
    o->udp_dst_port = 5001;

    uint64_t v;
    int c;
    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", long_opts, NULL)) != -1) {
        const char *name = optind > 0 && optind <= argc ? argv[optind - 1] : "?";
        switch (c) {
        case OPT_MODE:
            if (!strcmp(optarg, "tx"))
                o->mode = GEN_MODE_TX;
            else if (!strcmp(optarg, "rx"))
                o->mode = GEN_MODE_RX;
            else if (!strcmp(optarg, "txrx"))
                o->mode = GEN_MODE_TXRX;
            else if (!strcmp(optarg, "echo"))
                o->mode = GEN_MODE_ECHO;
            else if (!strcmp(optarg, "iofwd"))
                o->mode = GEN_MODE_IOFWD;
            else {
                fprintf(err, "sluice-gen: --mode '%s': expected tx, rx, txrx, echo or iofwd\n",
                        optarg);
                return -1;
            }
            break;
        case OPT_RATE:
            if (parse_u64("--rate", optarg, 0, 1000000000, &o->rate_pps, err))
                return -1;
            break;
        case OPT_SIZE:
            if (parse_u64("--size", optarg, GEN_MIN_SIZE, GEN_MAX_SIZE, &v, err))
                return -1;
            o->size = (uint32_t)v;
            break;
        case OPT_FLOWS:
            if (parse_u64("--flows", optarg, 1, 16777216, &v, err))
                return -1;
            o->flows = (uint32_t)v;
            break;
        case OPT_SRC_MAC:
            if (parse_addr_list(o, "--src-mac", optarg, ADDR_SRC_MAC, err))
                return -1;
            break;
        case OPT_DST_MAC:
            if (parse_addr_list(o, "--dst-mac", optarg, ADDR_DST_MAC, err))
                return -1;
            break;
        case OPT_SRC_IP:
            if (parse_addr_list(o, "--src-ip", optarg, ADDR_SRC_IP, err))
                return -1;
            break;
        case OPT_DST_IP:
            if (parse_addr_list(o, "--dst-ip", optarg, ADDR_DST_IP, err))
                return -1;
            break;
        case OPT_UDP_PORTS: {
            unsigned s, d;
            char tail;
            if (sscanf(optarg, "%u:%u%c", &s, &d, &tail) != 2 || s == 0 || s > 65535 ||
                d == 0 || d > 65535) {
                fprintf(err, "sluice-gen: --udp-ports '%s': expected SRC:DST, each 1..65535\n",
                        optarg);
                return -1;
            }
            o->udp_src_port = (uint16_t)s;
            o->udp_dst_port = (uint16_t)d;
            break;
        }
        case OPT_VLAN:
            if (parse_u64("--vlan", optarg, 0, 4095, &v, err))
                return -1;
            o->vlan = (int)v;
            break;
        case OPT_TX_PORTS:
            if (parse_port_list("--tx-ports", optarg, &o->tx_port_mask, err))
                return -1;
            break;
        case OPT_DURATION:
            if (parse_double("--duration", optarg, 0, 1e7, &o->duration_s, err))
                return -1;
            break;
        case OPT_COUNT:
            if (parse_u64("--count", optarg, 1, UINT64_MAX >> 1, &o->count, err))
                return -1;
            break;
        case OPT_DRAIN:
            if (parse_double("--drain", optarg, 0, 3600, &o->drain_s, err))
                return -1;
            break;
        case OPT_STATS:
            if (parse_double("--stats-interval", optarg, 0, 3600, &o->stats_interval_s, err))
                return -1;
            if (o->stats_interval_s > 0 && o->stats_interval_s < 0.01) {
                fprintf(err, "sluice-gen: --stats-interval '%s': at least 0.01 s\n", optarg);
                return -1;
            }
            break;
        case OPT_JSON:
            if (*optarg == '\0') {
                fprintf(err, "sluice-gen: --json: empty file name\n");
                return -1;
            }
            o->json_path = optarg;
            break;
        case OPT_WAIT_LINK:
            if (parse_double("--wait-link", optarg, 0, 3600, &o->wait_link_s, err))
                return -1;
            break;
        case OPT_EXPECT_RX:
            if (parse_u64("--expect-rx", optarg, 0, UINT64_MAX >> 1, &o->expect_rx, err))
                return -1;
            o->expect_rx_set = true;
            break;
        case OPT_MIN_RATIO:
            if (parse_double("--min-rx-ratio", optarg, 0, 1, &o->min_rx_ratio, err))
                return -1;
            break;
        case OPT_IDLE:
            if (parse_u64("--idle-sleep-us", optarg, 0, 1000000, &v, err))
                return -1;
            o->idle_sleep_us = (uint32_t)v;
            break;
        case OPT_GEN_ID:
            if (parse_u64("--gen-id", optarg, 0, 4095, &v, err))
                return -1;
            o->gen_id = (int)v;
            break;
        case OPT_QUIET:
            o->quiet = true;
            break;
        case OPT_HELP:
        case 'h':
            gen_opts_usage(stdout, argv[0]);
            return 1;
        case ':':
            fprintf(err, "sluice-gen: option '%s' needs a value\n", name);
            return -1;
        default:
            fprintf(err, "sluice-gen: unknown option '%s' (see --help)\n", name);
            return -1;
        }
    }
    if (optind < argc) {
        fprintf(err, "sluice-gen: unexpected argument '%s' (see --help)\n", argv[optind]);
        return -1;
    }
    if (o->min_rx_ratio >= 0 && o->mode != GEN_MODE_TXRX) {
        fprintf(err, "sluice-gen: --min-rx-ratio needs --mode txrx (it compares what this "
                     "generator sent with what came back)\n");
        return -1;
    }
    return 0;
}
