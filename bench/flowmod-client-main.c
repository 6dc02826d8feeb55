/* flowmod-client-main.c — an OpenFlow 1.3 flow-mod load client for bench/run-flowmods.sh:
 * the same bytes, the same pacing, against sluice and against Open vSwitch.
 *
 * What?
 *   Reads a file of flows in (a subset of) ovs-ofctl syntax, encodes every line as one
 *   OFPT_FLOW_MOD (OFPFC_ADD) before the clock starts, connects to a switch's OpenFlow
 *   socket (unix:PATH, or tcp:IP:PORT), and sends them with a BARRIER_REQUEST after every
 *   --batch flow-mods (default 1: one barrier per rule, and the next flow-mod leaves only
 *   when the barrier reply is back; --batch 0: all flow-mods then one barrier). A flow-mod
 *   and its barrier go out in one write. The clock runs from the first byte sent to the last
 *   barrier reply, so file parsing and encoding do not count: the rate is the switch's plus
 *   the socket round trips, never this program's parser.
 *
 * Why not ovs-ofctl? `ovs-ofctl add-flows` on OpenFlow 1.3 cannot batch: it sends each
 *   FLOW_MOD, then a BARRIER_REQUEST in a second write, and waits for the reply before the
 *   next rule (only --bundle batches, and bundles need OpenFlow 1.4). Its rate includes its
 *   own parser. This client gives both pacings with the same pre-encoded bytes for every
 *   switch: a barrier per rule (what a controller that needs each rule confirmed does) and
 *   a real batch.
 *
 * Flow syntax accepted (anything else is refused with the line number and the token):
 *   table=N priority=N cookie=N idle_timeout=N hard_timeout=N in_port=N
 *   ip tcp udp icmp arp dl_type=N nw_proto=N nw_src=A.B.C.D[/LEN|/MASK] nw_dst=...
 *   tp_src=N tp_dst=N (after tcp or udp), dl_vlan=N, and actions=output:N[,output:N...] or
 *   actions=drop. Separators are commas and blanks; empty lines and '#' comments are skipped.
 *
 * With --echo N the client sends no flow-mod: N ECHO_REQUESTs, one at a time, each waiting
 *   for its ECHO_REPLY (FILE is not read). That is the transport floor of the barrier mode:
 *   a switch cannot confirm a flow-mod faster than it answers an echo.
 *
 * Output: one line, "N flow-mods in T s: R/s ...", with --json one JSON object
 *   {"flow_mods" (or "echoes"), "barriers", "batch", "seconds", "rate", "errors", "rtt_us":
 *   {"p50", "p90", "p99", "max"}} (round trips, from a write to its reply). Exit 0 when every
 *   flow-mod was accepted, 1 when the switch answered with an OFPT_ERROR or the connection
 *   failed (the first errors are printed with their type, code and the line of the flow), 2
 *   for usage or file errors.
 *
 * Single-threaded, blocking only in poll(); the socket is non-blocking so that a switch
 *   answering with many errors while we are still writing cannot deadlock us.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

enum fmc_exit { FMC_OK = 0, FMC_FAIL = 1, FMC_USAGE = 2 };

enum {
    OFP13_VERSION = 4,
    OFPT_HELLO = 0,
    OFPT_ERROR = 1,
    OFPT_ECHO_REQUEST = 2,
    OFPT_ECHO_REPLY = 3,
    OFPT_FLOW_MOD = 14,
    OFPT_BARRIER_REQUEST = 20,
    OFPT_BARRIER_REPLY = 21,
    OFP_HEADER_LEN = 8,
    OFP_FLOW_MOD_FIXED_LEN = 48,
    OXM_CLASS_BASIC = 0x8000,
    OXM_IN_PORT = 0,
    OXM_ETH_TYPE = 5,
    OXM_VLAN_VID = 6,
    OXM_IP_PROTO = 10,
    OXM_IPV4_SRC = 11,
    OXM_IPV4_DST = 12,
    OXM_TCP_SRC = 13,
    OXM_TCP_DST = 14,
    OXM_UDP_SRC = 15,
    OXM_UDP_DST = 16,
    OFPIT_APPLY_ACTIONS = 4,
    OFPAT_OUTPUT = 0,
    OFPVID_PRESENT = 0x1000,
    FMC_MAX_OUTPUTS = 8,
};

/* Xids: flow-mods carry their line's index + 1 (so an error names the line); barriers have
 * the top bit set. */
#define FMC_BARRIER_XID 0x80000000u

struct fmc_flow {
    unsigned line;
    uint8_t table;
    uint16_t priority, idle, hard;
    uint64_t cookie;
    bool has_in_port, has_eth_type, has_proto, has_vlan;
    uint32_t in_port;
    uint16_t eth_type, vlan;
    uint8_t proto;
    bool has_src, has_dst;
    uint32_t src, src_mask, dst, dst_mask; /* host order */
    bool has_tp_src, has_tp_dst;
    uint16_t tp_src, tp_dst;
    unsigned n_out;
    uint32_t out[FMC_MAX_OUTPUTS];
};

struct buf {
    uint8_t *data;
    size_t len, cap;
};

static void buf_reserve(struct buf *b, size_t n)
{
    if (b->len + n <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 4096;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d) {
        fprintf(stderr, "flowmod-client: out of memory (%zu bytes of messages)\n", cap);
        exit(FMC_FAIL);
    }
    b->data = d;
    b->cap = cap;
}

static void put8(struct buf *b, uint8_t v)
{
    buf_reserve(b, 1);
    b->data[b->len++] = v;
}

static void put16(struct buf *b, uint16_t v)
{
    put8(b, (uint8_t)(v >> 8));
    put8(b, (uint8_t)v);
}

static void put32(struct buf *b, uint32_t v)
{
    put16(b, (uint16_t)(v >> 16));
    put16(b, (uint16_t)v);
}

static void put64(struct buf *b, uint64_t v)
{
    put32(b, (uint32_t)(v >> 32));
    put32(b, (uint32_t)v);
}

static void set16(struct buf *b, size_t at, uint16_t v)
{
    b->data[at] = (uint8_t)(v >> 8);
    b->data[at + 1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t get32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_header(struct buf *b, uint8_t type, uint16_t len, uint32_t xid)
{
    put8(b, OFP13_VERSION);
    put8(b, type);
    put16(b, len);
    put32(b, xid);
}

static void put_oxm(struct buf *b, uint8_t field, bool masked, unsigned len)
{
    put16(b, OXM_CLASS_BASIC);
    put8(b, (uint8_t)(field << 1 | (masked ? 1 : 0)));
    put8(b, (uint8_t)(masked ? 2 * len : len));
}

static void put_ipv4(struct buf *b, uint8_t field, uint32_t addr, uint32_t mask)
{
    bool masked = mask != UINT32_MAX;
    put_oxm(b, field, masked, 4);
    put32(b, addr & mask);
    if (masked)
        put32(b, mask);
}

/* Appends the FLOW_MOD for f (OFPFC_ADD, no buffer, out_port/out_group ANY). */
static void encode_flow_mod(struct buf *b, const struct fmc_flow *f, uint32_t xid)
{
    size_t start = b->len;
    put_header(b, OFPT_FLOW_MOD, 0, xid);
    put64(b, f->cookie);
    put64(b, 0); /* cookie_mask */
    put8(b, f->table);
    put8(b, 0); /* OFPFC_ADD */
    put16(b, f->idle);
    put16(b, f->hard);
    put16(b, f->priority);
    put32(b, 0xffffffffu); /* OFP_NO_BUFFER */
    put32(b, 0xffffffffu); /* OFPP_ANY */
    put32(b, 0xffffffffu); /* OFPG_ANY */
    put16(b, 0);           /* flags */
    put16(b, 0);
    size_t match = b->len;
    put16(b, 1); /* OFPMT_OXM */
    put16(b, 0);
    if (f->has_in_port) {
        put_oxm(b, OXM_IN_PORT, false, 4);
        put32(b, f->in_port);
    }
    if (f->has_eth_type) {
        put_oxm(b, OXM_ETH_TYPE, false, 2);
        put16(b, f->eth_type);
    }
    if (f->has_vlan) {
        put_oxm(b, OXM_VLAN_VID, false, 2);
        put16(b, (uint16_t)(f->vlan | OFPVID_PRESENT));
    }
    if (f->has_proto) {
        put_oxm(b, OXM_IP_PROTO, false, 1);
        put8(b, f->proto);
    }
    if (f->has_src)
        put_ipv4(b, OXM_IPV4_SRC, f->src, f->src_mask);
    if (f->has_dst)
        put_ipv4(b, OXM_IPV4_DST, f->dst, f->dst_mask);
    bool tcp = f->proto == 6;
    if (f->has_tp_src) {
        put_oxm(b, tcp ? OXM_TCP_SRC : OXM_UDP_SRC, false, 2);
        put16(b, f->tp_src);
    }
    if (f->has_tp_dst) {
        put_oxm(b, tcp ? OXM_TCP_DST : OXM_UDP_DST, false, 2);
        put16(b, f->tp_dst);
    }
    set16(b, match + 2, (uint16_t)(b->len - match));
    while ((b->len - match) % 8)
        put8(b, 0);
    if (f->n_out) {
        put16(b, OFPIT_APPLY_ACTIONS);
        put16(b, (uint16_t)(8 + 16 * f->n_out));
        put32(b, 0);
        for (unsigned i = 0; i < f->n_out; i++) {
            put16(b, OFPAT_OUTPUT);
            put16(b, 16);
            put32(b, f->out[i]);
            put16(b, 0); /* max_len: only CONTROLLER uses it */
            put16(b, 0);
            put32(b, 0);
        }
    }
    set16(b, start + 2, (uint16_t)(b->len - start));
}

/* --- parsing ---------------------------------------------------------------------------- */

struct parse_ctx {
    const char *file;
    unsigned line;
};

static bool parse_fail(const struct parse_ctx *pc, const char *token, const char *why)
{
    fprintf(stderr, "flowmod-client: %s:%u: \"%s\": %s\n", pc->file, pc->line, token, why);
    return false;
}

static bool parse_uint(const struct parse_ctx *pc, const char *tok, const char *s, uint64_t max,
                       uint64_t *out)
{
    char *end;
    errno = 0;
    if (!isdigit((unsigned char)*s))
        return parse_fail(pc, tok, "expected a number");
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max) {
        char why[64];
        snprintf(why, sizeof why, "expected a number up to %" PRIu64, max);
        return parse_fail(pc, tok, why);
    }
    *out = v;
    return true;
}

static bool parse_ipv4(const struct parse_ctx *pc, const char *tok, const char *s, uint32_t *addr,
                       uint32_t *mask)
{
    char tmp[64];
    if (strlen(s) >= sizeof tmp)
        return parse_fail(pc, tok, "address too long");
    strcpy(tmp, s);
    char *slash = strchr(tmp, '/');
    if (slash)
        *slash++ = '\0';
    struct in_addr a;
    if (inet_pton(AF_INET, tmp, &a) != 1)
        return parse_fail(pc, tok, "expected an IPv4 address");
    *addr = ntohl(a.s_addr);
    *mask = UINT32_MAX;
    if (slash) {
        struct in_addr m;
        char *end;
        long len = strtol(slash, &end, 10);
        if (*slash && !*end && len >= 0 && len <= 32)
            *mask = len ? UINT32_MAX << (32 - len) : 0;
        else if (inet_pton(AF_INET, slash, &m) == 1)
            *mask = ntohl(m.s_addr);
        else
            return parse_fail(pc, tok, "expected /LENGTH (0-32) or /A.B.C.D after the address");
    }
    return true;
}

static bool parse_actions(const struct parse_ctx *pc, char *s, struct fmc_flow *f)
{
    if (!strcmp(s, "drop"))
        return true;
    for (char *save = NULL, *tok = strtok_r(s, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t port;
        if (strncmp(tok, "output:", 7) != 0)
            return parse_fail(pc, tok, "only output:PORT (a number) and drop are supported");
        if (!parse_uint(pc, tok, tok + 7, 0xffffff00u, &port))
            return false;
        if (f->n_out == FMC_MAX_OUTPUTS)
            return parse_fail(pc, tok, "too many outputs");
        f->out[f->n_out++] = (uint32_t)port;
    }
    return true;
}

static bool set_eth_proto(struct fmc_flow *f, uint16_t eth_type, int proto)
{
    f->has_eth_type = true;
    f->eth_type = eth_type;
    if (proto >= 0) {
        f->has_proto = true;
        f->proto = (uint8_t)proto;
    }
    return true;
}

/* Parses one line (modified in place). Returns false with a message on error. */
static bool parse_flow(const struct parse_ctx *pc, char *line, struct fmc_flow *f)
{
    memset(f, 0, sizeof *f);
    f->line = pc->line;
    f->priority = 0x8000; /* OFP_DEFAULT_PRIORITY, as ovs-ofctl */
    char *acts = strstr(line, "actions=");
    if (!acts)
        return parse_fail(pc, line, "no actions=");
    *acts = '\0';
    acts += strlen("actions=");
    acts[strcspn(acts, " \t\r\n")] = '\0';
    for (char *save = NULL, *tok = strtok_r(line, ", \t\r\n", &save); tok;
         tok = strtok_r(NULL, ", \t\r\n", &save)) {
        char *val = strchr(tok, '=');
        if (val)
            *val++ = '\0';
        uint64_t v;
        bool ok = true;
        if (!val) {
            if (!strcmp(tok, "ip"))
                set_eth_proto(f, 0x0800, -1);
            else if (!strcmp(tok, "tcp"))
                set_eth_proto(f, 0x0800, 6);
            else if (!strcmp(tok, "udp"))
                set_eth_proto(f, 0x0800, 17);
            else if (!strcmp(tok, "icmp"))
                set_eth_proto(f, 0x0800, 1);
            else if (!strcmp(tok, "arp"))
                set_eth_proto(f, 0x0806, -1);
            else
                return parse_fail(pc, tok, "unsupported keyword");
            continue;
        }
        if (!strcmp(tok, "table")) {
            ok = parse_uint(pc, tok, val, 254, &v);
            f->table = (uint8_t)v;
        } else if (!strcmp(tok, "priority")) {
            ok = parse_uint(pc, tok, val, 65535, &v);
            f->priority = (uint16_t)v;
        } else if (!strcmp(tok, "cookie")) {
            ok = parse_uint(pc, tok, val, UINT64_MAX, &v);
            f->cookie = v;
        } else if (!strcmp(tok, "idle_timeout")) {
            ok = parse_uint(pc, tok, val, 65535, &v);
            f->idle = (uint16_t)v;
        } else if (!strcmp(tok, "hard_timeout")) {
            ok = parse_uint(pc, tok, val, 65535, &v);
            f->hard = (uint16_t)v;
        } else if (!strcmp(tok, "in_port")) {
            ok = parse_uint(pc, tok, val, 0xffffff00u, &v);
            f->has_in_port = true;
            f->in_port = (uint32_t)v;
        } else if (!strcmp(tok, "dl_type")) {
            ok = parse_uint(pc, tok, val, 65535, &v);
            f->has_eth_type = true;
            f->eth_type = (uint16_t)v;
        } else if (!strcmp(tok, "dl_vlan")) {
            ok = parse_uint(pc, tok, val, 4095, &v);
            f->has_vlan = true;
            f->vlan = (uint16_t)v;
        } else if (!strcmp(tok, "nw_proto")) {
            ok = parse_uint(pc, tok, val, 255, &v);
            f->has_proto = true;
            f->proto = (uint8_t)v;
        } else if (!strcmp(tok, "nw_src")) {
            ok = parse_ipv4(pc, tok, val, &f->src, &f->src_mask);
            f->has_src = true;
        } else if (!strcmp(tok, "nw_dst")) {
            ok = parse_ipv4(pc, tok, val, &f->dst, &f->dst_mask);
            f->has_dst = true;
        } else if (!strcmp(tok, "tp_src") || !strcmp(tok, "tp_dst")) {
            ok = parse_uint(pc, tok, val, 65535, &v);
            if (tok[3] == 's') {
                f->has_tp_src = true;
                f->tp_src = (uint16_t)v;
            } else {
                f->has_tp_dst = true;
                f->tp_dst = (uint16_t)v;
            }
        } else {
            return parse_fail(pc, tok, "unsupported field");
        }
        if (!ok)
            return false;
    }
    if ((f->has_src || f->has_dst || f->has_proto) && !(f->has_eth_type && f->eth_type == 0x0800))
        return parse_fail(pc, "nw_*", "IPv4 fields need ip, tcp, udp or icmp first");
    if ((f->has_tp_src || f->has_tp_dst) && !(f->has_proto && (f->proto == 6 || f->proto == 17)))
        return parse_fail(pc, "tp_*", "tp_src/tp_dst need tcp or udp first");
    return parse_actions(pc, acts, f);
}

/* Encodes every flow of `path` into `out`; offsets[i] is where flow-mod i starts (offsets[n]
 * = out->len). Returns the number of flow-mods, or -1 after printing why. */
static long load_file(const char *path, struct buf *out, size_t **offsets, unsigned **lines)
{
    FILE *fp = fopen(path, "r");
    if (!fp) {
        fprintf(stderr, "flowmod-client: %s: %s\n", path, strerror(errno));
        return -1;
    }
    struct parse_ctx pc = {.file = path};
    size_t cap = 1024, n = 0;
    *offsets = malloc(cap * sizeof **offsets);
    *lines = malloc(cap * sizeof **lines);
    char *line = NULL;
    size_t linecap = 0;
    long rc = 0;
    bool oom = !*offsets || !*lines;
    while (!oom && getline(&line, &linecap, fp) > 0) {
        pc.line++;
        char *s = line + strspn(line, " \t");
        if (*s == '#' || *s == '\n' || *s == '\r' || *s == '\0')
            continue;
        struct fmc_flow f;
        if (!parse_flow(&pc, s, &f)) {
            rc = -1;
            break;
        }
        if (n + 1 >= cap) {
            cap *= 2;
            size_t *o = realloc(*offsets, cap * sizeof **offsets);
            unsigned *l = realloc(*lines, cap * sizeof **lines);
            if (o)
                *offsets = o;
            if (l)
                *lines = l;
            oom = !o || !l;
            if (oom)
                break;
        }
        (*offsets)[n] = out->len;
        (*lines)[n] = pc.line;
        encode_flow_mod(out, &f, (uint32_t)(n + 1));
        n++;
    }
    if (oom) {
        fprintf(stderr, "flowmod-client: %s: out of memory after %zu flows\n", path, n);
        rc = -1;
    }
    if (!rc && ferror(fp)) {
        fprintf(stderr, "flowmod-client: %s: read error: %s\n", path, strerror(errno));
        rc = -1;
    }
    free(line);
    fclose(fp);
    if (rc)
        return rc;
    if (!n) {
        fprintf(stderr, "flowmod-client: %s: no flows\n", path);
        return -1;
    }
    (*offsets)[n] = out->len;
    return (long)n;
}

/* --- the connection ---------------------------------------------------------------------- */

static int connect_target(const char *target)
{
    int fd;
    if (!strncmp(target, "tcp:", 4)) {
        char host[64];
        const char *colon = strrchr(target + 4, ':');
        if (!colon || (size_t)(colon - target - 4) >= sizeof host) {
            fprintf(stderr, "flowmod-client: %s: expected tcp:IP:PORT\n", target);
            return -1;
        }
        memcpy(host, target + 4, (size_t)(colon - target - 4));
        host[colon - target - 4] = '\0';
        struct sockaddr_in sin = {.sin_family = AF_INET,
                                  .sin_port = htons((uint16_t)atoi(colon + 1))};
        if (inet_pton(AF_INET, host, &sin.sin_addr) != 1) {
            fprintf(stderr, "flowmod-client: %s: \"%s\" is not an IPv4 address\n", target, host);
            return -1;
        }
        fd = socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        if (fd >= 0)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof sin) < 0) {
            fprintf(stderr, "flowmod-client: %s: %s\n", target, strerror(errno));
            if (fd >= 0)
                close(fd);
            return -1;
        }
        return fd;
    }
    const char *path = !strncmp(target, "unix:", 5) ? target + 5 : target;
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sun.sun_path) {
        fprintf(stderr, "flowmod-client: %s: socket path too long\n", path);
        return -1;
    }
    strcpy(sun.sun_path, path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof sun) < 0) {
        fprintf(stderr, "flowmod-client: %s: %s\n", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

struct conn {
    int fd;
    uint8_t rx[1 << 16];
    size_t rx_len;
    struct buf tx; /* replies we owe (ECHO) */
    size_t tx_off;
    bool hello_seen;
    uint32_t barrier_seen; /* xid of the last barrier or echo reply, 0 = none */
    unsigned long errors;
    const unsigned *lines;
    unsigned long n_flows;
};

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static void handle_msg(struct conn *c, const uint8_t *m, size_t len)
{
    uint8_t type = m[1];
    uint32_t xid = get32(m + 4);
    switch (type) {
    case OFPT_HELLO:
        if (m[0] < OFP13_VERSION && len == OFP_HEADER_LEN) {
            fprintf(stderr, "flowmod-client: the switch speaks OpenFlow version %u only\n", m[0]);
            c->errors++;
        }
        c->hello_seen = true;
        break;
    case OFPT_ERROR: {
        c->errors++;
        if (c->errors <= 5) {
            unsigned et = len >= 12 ? get16(m + 8) : 0, code = len >= 12 ? get16(m + 10) : 0;
            if (xid >= 1 && xid <= c->n_flows)
                fprintf(stderr,
                        "flowmod-client: OFPT_ERROR type %u code %u for the flow of line %u\n", et,
                        code, c->lines[xid - 1]);
            else
                fprintf(stderr, "flowmod-client: OFPT_ERROR type %u code %u (xid 0x%x)\n", et, code,
                        xid);
        }
        break;
    }
    case OFPT_ECHO_REQUEST: {
        size_t at = c->tx.len;
        buf_reserve(&c->tx, len);
        memcpy(c->tx.data + at, m, len);
        c->tx.data[at + 1] = OFPT_ECHO_REPLY;
        c->tx.len += len;
        break;
    }
    case OFPT_BARRIER_REPLY:
    case OFPT_ECHO_REPLY:
        c->barrier_seen = xid;
        break;
    default:
        break; /* asynchronous messages: not ours to judge */
    }
}

/* Reads what is there and handles every whole message. Returns -1 on EOF or error. */
static int conn_read(struct conn *c)
{
    for (;;) {
        ssize_t n = recv(c->fd, c->rx + c->rx_len, sizeof c->rx - c->rx_len, 0);
        if (n == 0) {
            fprintf(stderr, "flowmod-client: the switch closed the connection\n");
            return -1;
        }
        if (n < 0) {
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                return 0;
            if (errno == EINTR)
                continue;
            fprintf(stderr, "flowmod-client: recv: %s\n", strerror(errno));
            return -1;
        }
        c->rx_len += (size_t)n;
        size_t off = 0;
        while (c->rx_len - off >= OFP_HEADER_LEN) {
            size_t len = get16(c->rx + off + 2);
            if (len < OFP_HEADER_LEN) {
                fprintf(stderr, "flowmod-client: the switch sent a message of length %zu\n", len);
                return -1;
            }
            if (c->rx_len - off < len)
                break;
            handle_msg(c, c->rx + off, len);
            off += len;
        }
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
        /* The header's 16-bit length fits the buffer, so a full buffer always holds a
         * whole message and the loop above has made room. */
    }
}

/* Sends data[0..len) while serving input; returns 0, or -1 after a message. */
static int conn_send(struct conn *c, const uint8_t *data, size_t len)
{
    size_t off = 0;
    while (off < len || c->tx_off < c->tx.len) {
        /* Our own replies (echo) first, whole, so they never interleave inside a message. */
        const uint8_t *p = c->tx_off < c->tx.len ? c->tx.data + c->tx_off : data + off;
        size_t n = c->tx_off < c->tx.len ? c->tx.len - c->tx_off : len - off;
        ssize_t w = send(c->fd, p, n, MSG_NOSIGNAL);
        if (w > 0) {
            if (c->tx_off < c->tx.len) {
                c->tx_off += (size_t)w;
                if (c->tx_off == c->tx.len)
                    c->tx_off = c->tx.len = 0;
            } else {
                off += (size_t)w;
            }
            continue;
        }
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
            fprintf(stderr, "flowmod-client: send: %s\n", strerror(errno));
            return -1;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN | POLLOUT};
        if (poll(&pfd, 1, 30000) == 0) {
            fprintf(stderr, "flowmod-client: the switch has not read for 30 s\n");
            return -1;
        }
        if ((pfd.revents & (POLLIN | POLLHUP | POLLERR)) && conn_read(c) < 0)
            return -1;
    }
    return 0;
}

/* --spin: wait for replies by reading without sleeping (a controller thread that is busy
 * pushing rules), so that a round trip measures the switch, not the client's own wake-up. */
static bool spin_wait;

/* Waits for the barrier reply `xid`. */
static int conn_wait_barrier(struct conn *c, uint32_t xid)
{
    uint64_t spin_deadline = spin_wait ? now_ns() + 60000000000ull : 0;
    while (c->barrier_seen != xid) {
        if (c->tx_off < c->tx.len && conn_send(c, NULL, 0) < 0)
            return -1;
        if (spin_wait) {
            if (conn_read(c) < 0)
                return -1;
            if (c->barrier_seen != xid && now_ns() > spin_deadline) {
                fprintf(stderr, "flowmod-client: no BARRIER_REPLY (xid 0x%x) within 60 s\n", xid);
                return -1;
            }
            continue;
        }
        struct pollfd pfd = {.fd = c->fd, .events = POLLIN};
        int r = poll(&pfd, 1, 60000);
        if (r == 0) {
            fprintf(stderr, "flowmod-client: no BARRIER_REPLY (xid 0x%x) within 60 s\n", xid);
            return -1;
        }
        if (r < 0 && errno != EINTR) {
            fprintf(stderr, "flowmod-client: poll: %s\n", strerror(errno));
            return -1;
        }
        if (r > 0 && conn_read(c) < 0)
            return -1;
    }
    return 0;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void usage(FILE *f)
{
    fprintf(f, "usage: flowmod-client [--batch N] [--spin] [--json] unix:PATH|tcp:IP:PORT FILE\n"
               "       flowmod-client --echo N [--spin] [--json] unix:PATH|tcp:IP:PORT\n"
               "  --batch N   a BARRIER_REQUEST after every N flow-mods, and wait for its reply\n"
               "              before sending more (default 1; 0 = all, then one barrier)\n"
               "  --echo N    N ECHO_REQUEST round trips instead of flow-mods\n"
               "  --spin      wait for replies by non-blocking reads instead of sleeping in poll()\n"
               "  --json      print the result as one JSON object\n");
}

int main(int argc, char **argv)
{
    static const struct option longopts[] = {
        {"batch", required_argument, NULL, 'b'},
        {"echo", required_argument, NULL, 'e'},
        {"json", no_argument, NULL, 'j'},
        {"spin", no_argument, NULL, 's'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    unsigned long batch = 1, n_echo = 0;
    bool json = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "b:e:jsh", longopts, NULL)) != -1) {
        char *end;
        switch (opt) {
        case 'e':
            errno = 0;
            n_echo = strtoul(optarg, &end, 10);
            if (errno || *end || !isdigit((unsigned char)*optarg) || !n_echo ||
                n_echo > 100000000) {
                fprintf(stderr, "flowmod-client: --echo \"%s\": expected 1 to 100000000\n", optarg);
                return FMC_USAGE;
            }
            break;
        case 'b':
            errno = 0;
            batch = strtoul(optarg, &end, 10);
            if (errno || *end || !isdigit((unsigned char)*optarg)) {
                fprintf(stderr, "flowmod-client: --batch \"%s\": expected a number\n", optarg);
                return FMC_USAGE;
            }
            break;
        case 'j':
            json = true;
            break;
        case 's':
            spin_wait = true;
            break;
        case 'h':
            usage(stdout);
            return FMC_OK;
        default:
            usage(stderr);
            return FMC_USAGE;
        }
    }
    if (argc - optind != (n_echo ? 1 : 2)) {
        usage(stderr);
        return FMC_USAGE;
    }
    struct buf msgs = {0};
    size_t *offsets = NULL;
    unsigned *lines = NULL;
    long n;
    if (n_echo) {
        /* One empty ECHO_REQUEST per "flow", one per round trip. */
        n = (long)n_echo;
        offsets = malloc(((size_t)n + 1) * sizeof *offsets);
        lines = calloc((size_t)n, sizeof *lines);
        if (!offsets || !lines) {
            fprintf(stderr, "flowmod-client: out of memory for %ld echo requests\n", n);
            return FMC_FAIL;
        }
        for (long i = 0; i <= n; i++)
            offsets[i] = (size_t)i * OFP_HEADER_LEN;
        batch = 1;
    } else {
        n = load_file(argv[optind + 1], &msgs, &offsets, &lines);
        if (n < 0)
            return FMC_USAGE;
    }
    if (!batch || batch > (unsigned long)n)
        batch = (unsigned long)n;
    unsigned long n_barriers = ((unsigned long)n + batch - 1) / batch;
    uint32_t *rtt_ns = malloc(n_barriers * sizeof *rtt_ns);
    static struct conn c;
    c.lines = lines;
    c.n_flows = (unsigned long)n;
    c.fd = rtt_ns ? connect_target(argv[optind]) : -1;
    if (c.fd < 0)
        return FMC_FAIL;
    /* HELLO with a version bitmap of 1.3 only, then wait for the switch's. */
    struct buf hello = {0};
    put_header(&hello, OFPT_HELLO, 16, 0);
    put16(&hello, 1); /* OFPHET_VERSIONBITMAP */
    put16(&hello, 8);
    put32(&hello, 1u << OFP13_VERSION);
    int fl = fcntl(c.fd, F_GETFL);
    if (fl < 0 || fcntl(c.fd, F_SETFL, fl | O_NONBLOCK) < 0) {
        fprintf(stderr, "flowmod-client: fcntl O_NONBLOCK: %s\n", strerror(errno));
        return FMC_FAIL;
    }
    if (conn_send(&c, hello.data, hello.len) < 0)
        return FMC_FAIL;
    free(hello.data);
    while (!c.hello_seen) {
        struct pollfd pfd = {.fd = c.fd, .events = POLLIN};
        if (poll(&pfd, 1, 10000) <= 0) {
            fprintf(stderr, "flowmod-client: no HELLO from %s within 10 s\n", argv[optind]);
            return FMC_FAIL;
        }
        if (conn_read(&c) < 0)
            return FMC_FAIL;
    }

    /* Chunk i: flow-mods [i*batch, min(n, (i+1)*batch)) and a barrier, in one send. */
    struct buf chunk = {0};
    uint64_t t0 = now_ns();
    int rc = FMC_OK;
    for (unsigned long i = 0; i < n_barriers && rc == FMC_OK; i++) {
        size_t first = i * batch, last = first + batch < (size_t)n ? first + batch : (size_t)n;
        uint32_t xid = FMC_BARRIER_XID | (uint32_t)i;
        chunk.len = 0;
        if (n_echo) {
            put_header(&chunk, OFPT_ECHO_REQUEST, OFP_HEADER_LEN, xid);
        } else {
            size_t bytes = offsets[last] - offsets[first];
            buf_reserve(&chunk, bytes + OFP_HEADER_LEN);
            memcpy(chunk.data, msgs.data + offsets[first], bytes);
            chunk.len = bytes;
            put_header(&chunk, OFPT_BARRIER_REQUEST, OFP_HEADER_LEN, xid);
        }
        uint64_t s = now_ns();
        if (conn_send(&c, chunk.data, chunk.len) < 0 || conn_wait_barrier(&c, xid) < 0)
            rc = FMC_FAIL;
        uint64_t d = now_ns() - s;
        rtt_ns[i] = d > UINT32_MAX ? UINT32_MAX : (uint32_t)d;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    if (rc != FMC_OK)
        return rc;
    if (c.errors)
        rc = FMC_FAIL;
    qsort(rtt_ns, n_barriers, sizeof *rtt_ns, cmp_u32);
    double p50 = rtt_ns[n_barriers / 2] / 1e3, p90 = rtt_ns[n_barriers * 9 / 10] / 1e3,
           p99 = rtt_ns[n_barriers * 99 / 100] / 1e3, pmax = rtt_ns[n_barriers - 1] / 1e3;
    double rate = secs > 0 ? (double)n / secs : 0;
    if (json)
        printf("{\"%s\": %ld, \"barriers\": %lu, \"batch\": %lu, \"seconds\": %.6f, "
               "\"rate\": %.1f, \"errors\": %lu, \"rtt_us\": {\"p50\": %.1f, \"p90\": %.1f, "
               "\"p99\": %.1f, \"max\": %.1f}}\n",
               n_echo ? "echoes" : "flow_mods", n, n_barriers, batch, secs, rate, c.errors, p50,
               p90, p99, pmax);
    else
        printf("%ld %s in %.3f s: %.0f/s (%lu round trips of %lu, round trip p50 %.1f us "
               "p99 %.1f us max %.1f us), %lu errors\n",
               n, n_echo ? "echoes" : "flow-mods", secs, rate, n_barriers, batch, p50, p99, pmax,
               c.errors);
    free(chunk.data);
    free(msgs.data);
    free(offsets);
    free(lines);
    free(rtt_ns);
    close(c.fd);
    return rc;
}
