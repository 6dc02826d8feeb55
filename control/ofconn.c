/* ofconn.c — OpenFlow transport: listeners, connections, HELLO, keepalive, reconnect, and
 * the asynchronous messages (PACKET_IN, FLOW_REMOVED, PORT_STATUS). See ofconn.h for the
 * contract and of-handler.h for the state shared with the request handlers. */
#define _GNU_SOURCE /* accept4 */
#include "datapath/clock.h"
#include "control/ofconn.h"

#include <arpa/inet.h>
#include <endian.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <rte_ethdev.h>
#include <rte_mbuf.h>

#include "control/of-handler.h"
#include "datapath/flow-field.h"
#include "datapath/log.h"

#define OFC_LISTEN_BACKLOG 64
#define OFC_RX_CHUNK (64u * 1024)
#define OFC_READS_PER_RUN 16      /* reads per connection per pass: fairness among peers */
#define OFC_PINS_PER_RUN 1024     /* packet-ins per pass */
#define OFC_CONNECT_TIMEOUT_S 5
#define OFC_HELLO_TIMEOUT_S 30
#define OFC_CLOSING_TIMEOUT_S 5
#define OFC_EXPIRE_INTERVAL_NS 1000000000ull
#define OFC_NS_PER_S 1000000000ull

/* Connection events: controllers at INFO, tool connections (one per ovs-ofctl command) at
 * DEBUG so that scripts do not flood the log. */
#define CLOG(c, fmt, ...)                                                                    \
    rte_log((c)->kind == OFC_SERVICE ? RTE_LOG_DEBUG : RTE_LOG_INFO, sluice_logtype,         \
            "sluice: openflow %s: " fmt "\n", (c)->name, ##__VA_ARGS__)

/* What an fd in the poll set is. */
enum ofc_fd_kind { FD_NONE, FD_PIN, FD_MGMT, FD_PTCP, FD_CONN };

struct fd_owner {
    enum ofc_fd_kind kind;
    void *ptr; /* struct ofbridge (FD_MGMT), struct oftarget (FD_PTCP), struct ofconn */
    struct ofbridge *ob;
};

static struct {
    bool initialised;
    const char *run_dir;
    struct ofbridge *bridges;
    struct ofconn *conns;
    struct fd_owner *fds;  /* indexed by fd */
    size_t n_fds;
    uint64_t next_expire_ns;
    uint64_t next_bridge_sync_ns;
    unsigned next_conn_id;
    uint8_t pin_data[65536]; /* a packet-in's bytes, linearised */
    struct ofp_buf scratch;  /* an asynchronous message, encoded once for every peer */
} g;

uint64_t ofc_now_ns(void)
{
    return dp_now_ns();
}

/* Time since `since`, 0 when `since` is later than `now` (timestamps are taken at different
 * moments within one pass). */
static uint64_t elapsed(uint64_t now, uint64_t since)
{
    return now > since ? now - since : 0;
}

static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void fmt_err(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

/* --- fd registry ------------------------------------------------------------------------ */

static void fd_set_owner(int fd, enum ofc_fd_kind kind, void *ptr, struct ofbridge *ob)
{
    if (fd < 0)
        return;
    if ((size_t)fd >= g.n_fds) {
        size_t n = g.n_fds ? g.n_fds : 64;
        while (n <= (size_t)fd)
            n *= 2;
        struct fd_owner *nf = realloc(g.fds, n * sizeof *nf);
        if (!nf) {
            /* The fd stays unowned: poll results for it are ignored, and the object is
             * still closed by its owner. Logged, since it means out of memory. */
            SLOG(ERR, "openflow: out of memory tracking descriptor %d", fd);
            return;
        }
        memset(nf + g.n_fds, 0, (n - g.n_fds) * sizeof *nf);
        g.fds = nf;
        g.n_fds = n;
    }
    g.fds[fd] = (struct fd_owner){kind, ptr, ob};
}

static void fd_clear(int fd)
{
    if (fd >= 0 && (size_t)fd < g.n_fds)
        g.fds[fd] = (struct fd_owner){FD_NONE, NULL, NULL};
}

static void close_fd(int *fd)
{
    if (*fd >= 0) {
        fd_clear(*fd);
        close(*fd);
        *fd = -1;
    }
}

/* --- Targets -------------------------------------------------------------------------- */

unsigned ofconn_backoff_s(unsigned failures)
{
    unsigned s = OFCONN_BACKOFF_MIN_S;
    for (unsigned i = 0; i < failures && s < OFCONN_BACKOFF_MAX_S; i++)
        s *= 2;
    return s < OFCONN_BACKOFF_MAX_S ? s : OFCONN_BACKOFF_MAX_S;
}

static int parse_port(const char *s, bool zero_ok, uint16_t *port)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (errno || end == s || *end || s[0] == '-' || s[0] == '+' || v > 65535 ||
        (!zero_ok && v == 0))
        return -EINVAL;
    *port = (uint16_t)v;
    return 0;
}

int ofconn_parse_target(const char *target, struct ofconn_target_addr *t, char *err,
                        size_t errlen)
{
    char buf[64];
    if (strlen(target) >= sizeof buf) {
        fmt_err(err, errlen, "controller target \"%.40s...\": too long", target);
        return -EINVAL;
    }
    snprintf(buf, sizeof buf, "%s", target);
    memset(t, 0, sizeof *t);
    struct in_addr a;
    if (!strncmp(buf, "tcp:", 4)) {
        char *ip = buf + 4, *colon = strrchr(ip, ':');
        if (!colon) {
            fmt_err(err, errlen, "controller target \"%s\": expected tcp:IP:PORT", target);
            return -EINVAL;
        }
        *colon = '\0';
        if (inet_pton(AF_INET, ip, &a) != 1) {
            fmt_err(err, errlen, "controller target \"%s\": \"%s\" is not an IPv4 address",
                    target, ip);
            return -EINVAL;
        }
        if (parse_port(colon + 1, false, &t->port)) {
            fmt_err(err, errlen, "controller target \"%s\": port \"%s\" is not 1..65535",
                    target, colon + 1);
            return -EINVAL;
        }
        t->kind = 't';
        t->addr = a.s_addr;
        return 0;
    }
    if (!strncmp(buf, "ptcp:", 5)) {
        char *port = buf + 5, *colon = strchr(port, ':');
        a.s_addr = htonl(INADDR_LOOPBACK);
        if (colon) {
            *colon = '\0';
            if (inet_pton(AF_INET, colon + 1, &a) != 1) {
                fmt_err(err, errlen,
                        "controller target \"%s\": \"%s\" is not an IPv4 address to listen on",
                        target, colon + 1);
                return -EINVAL;
            }
        }
        if (parse_port(port, true, &t->port)) {
            fmt_err(err, errlen, "controller target \"%s\": port \"%s\" is not 0..65535",
                    target, port);
            return -EINVAL;
        }
        t->kind = 'p';
        t->addr = a.s_addr;
        return 0;
    }
    fmt_err(err, errlen,
            "controller target \"%s\": expected tcp:IP:PORT or ptcp:PORT[:IP] (unix: and ssl: "
            "are not supported)",
            target);
    return -EINVAL;
}

/* --- Bridges --------------------------------------------------------------------------- */

uint64_t ofconn_default_datapath_id(const char *name)
{
    uint64_t h = 0xcbf29ce484222325ull; /* FNV-1a */
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        h ^= *p;
        h *= 0x100000001b3ull;
    }
    h &= 0x0000ffffffffffffull;
    return h ? h : 1;
}

struct dp_bridge *ofc_bridge(const struct ofbridge *ob)
{
    return dp_bridge_by_id(ob->br_id);
}

struct ofbridge *ofc_bridge_by_id(uint32_t br_id)
{
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next)
        if (ob->br_id == br_id)
            return ob;
    return NULL;
}

static struct ofbridge *bridge_by_name(const char *name)
{
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next)
        if (!strcmp(ob->name, name))
            return ob;
    return NULL;
}

static int open_mgmt(struct ofbridge *ob, char *err, size_t errlen)
{
    struct sockaddr_un sun = {.sun_family = AF_UNIX};
    int n = snprintf(ob->mgmt_path, sizeof ob->mgmt_path, "%s/%s.mgmt", g.run_dir, ob->name);
    if (n < 0 || (size_t)n >= sizeof ob->mgmt_path || (size_t)n >= sizeof sun.sun_path) {
        fmt_err(err, errlen, "bridge %s: OpenFlow socket path %s/%s.mgmt is too long", ob->name,
                g.run_dir, ob->name);
        ob->mgmt_path[0] = '\0';
        return -ENAMETOOLONG;
    }
    memcpy(sun.sun_path, ob->mgmt_path, (size_t)n + 1);
    /* The run dir belongs to this daemon (its management socket proves no other one runs),
     * so a file left at this path is a stale socket from a daemon that crashed. */
    unlink(ob->mgmt_path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fmt_err(err, errlen, "bridge %s: socket for %s: %s", ob->name, ob->mgmt_path,
                strerror(errno));
        return -errno;
    }
    if (bind(fd, (struct sockaddr *)&sun, sizeof sun) < 0 ||
        listen(fd, OFC_LISTEN_BACKLOG) < 0) {
        int e = errno;
        fmt_err(err, errlen, "bridge %s: cannot listen on %s: %s", ob->name, ob->mgmt_path,
                strerror(e));
        close(fd);
        return -e;
    }
    struct stat st;
    if (stat(ob->mgmt_path, &st) == 0) {
        ob->mgmt_dev = st.st_dev;
        ob->mgmt_ino = st.st_ino;
    }
    ob->mgmt_fd = fd;
    fd_set_owner(fd, FD_MGMT, ob, ob);
    return 0;
}

static void close_mgmt(struct ofbridge *ob)
{
    if (ob->mgmt_fd < 0)
        return;
    close_fd(&ob->mgmt_fd);
    /* Unlink only the file we bound: after a restart in the same run dir the path may
     * already be another socket. */
    struct stat st;
    if (stat(ob->mgmt_path, &st) == 0 && st.st_dev == ob->mgmt_dev && st.st_ino == ob->mgmt_ino)
        unlink(ob->mgmt_path);
}

static void ports_sync(struct ofbridge *ob, struct dp_bridge *br, bool announce);

static struct ofbridge *bridge_create(struct dp_bridge *br, char *err, size_t errlen, int *rc)
{
    struct ofbridge *ob = calloc(1, sizeof *ob);
    if (!ob) {
        fmt_err(err, errlen, "bridge %s: out of memory for its OpenFlow state", br->name);
        *rc = -ENOMEM;
        return NULL;
    }
    ob->br_id = br->id;
    snprintf(ob->name, sizeof ob->name, "%s", br->name);
    ob->mgmt_fd = -1;
    ob->dpid = ofconn_default_datapath_id(br->name);
    ob->next = g.bridges;
    g.bridges = ob;
    ports_sync(ob, br, false);
    *rc = open_mgmt(ob, err, errlen);
    if (*rc)
        ob->next_mgmt_retry_ns = ofc_now_ns() + OFC_NS_PER_S;
    else
        SLOG(INFO, "bridge %s: OpenFlow 1.3 on %s", ob->name, ob->mgmt_path);
    return ob;
}

static void target_stop(struct oftarget *t);

static void bridge_destroy(struct ofbridge *ob)
{
    for (struct ofconn *c = g.conns; c; c = c->next)
        if (c->ob == ob && !c->dead)
            ofc_close(c, "bridge deleted");
    for (unsigned i = 0; i < ob->n_targets; i++) {
        target_stop(ob->targets[i]);
        free(ob->targets[i]);
    }
    close_mgmt(ob);
    for (struct ofbridge **pp = &g.bridges; *pp; pp = &(*pp)->next)
        if (*pp == ob) {
            *pp = ob->next;
            break;
        }
    free(ob->ports);
    /* Connections still point at `ob` until they are reaped: detach them. */
    for (struct ofconn *c = g.conns; c; c = c->next)
        if (c->ob == ob) {
            c->ob = NULL;
            c->target = NULL;
        }
    free(ob);
}

int ofconn_bridge_added(struct dp_bridge *br, char *err, size_t errlen)
{
    if (!g.initialised)
        return 0;
    if (ofc_bridge_by_id(br->id))
        return 0;
    int rc = 0;
    bridge_create(br, err, errlen, &rc);
    return rc;
}

void ofconn_bridge_removed(const char *name)
{
    if (!g.initialised)
        return;
    struct ofbridge *ob = bridge_by_name(name);
    if (ob)
        bridge_destroy(ob);
}

/* Creates state for bridges made by any path, drops state of bridges that are gone. */
static void bridges_sync(void)
{
    for (struct ofbridge *ob = g.bridges, *next; ob; ob = next) {
        next = ob->next;
        struct dp_bridge *br = ofc_bridge(ob);
        if (!br || strcmp(br->name, ob->name))
            bridge_destroy(ob);
    }
    for (struct dp_bridge *br = dp_bridge_next(NULL); br; br = dp_bridge_next(br))
        if (!ofc_bridge_by_id(br->id)) {
            char err[256];
            int rc;
            if (bridge_create(br, err, sizeof err, &rc) && rc)
                SLOG(ERR, "%s", err);
        }
}

/* --- Ports ---------------------------------------------------------------------------- */

struct ofc_port *ofc_port_find(struct ofbridge *ob, uint32_t ofport)
{
    for (size_t i = 0; i < ob->n_ports; i++)
        if (ob->ports[i].ofport == ofport)
            return &ob->ports[i];
    return NULL;
}

static uint32_t speed_features(uint32_t mbps, uint32_t duplex_full)
{
    if (!duplex_full) {
        if (mbps == 10)
            return OFPPF_10MB_HD;
        if (mbps == 100)
            return OFPPF_100MB_HD;
        if (mbps == 1000)
            return OFPPF_1GB_HD;
    }
    switch (mbps) {
    case 10:
        return OFPPF_10MB_FD;
    case 100:
        return OFPPF_100MB_FD;
    case 1000:
        return OFPPF_1GB_FD;
    case 10000:
        return OFPPF_10GB_FD;
    case 40000:
        return OFPPF_40GB_FD;
    case 100000:
        return OFPPF_100GB_FD;
    case 0:
        return 0;
    default:
        return OFPPF_OTHER;
    }
}

void ofc_port_describe(const struct dp_port *p, const struct ofc_port *op, struct ofp_port *out)
{
    memset(out, 0, sizeof *out);
    out->port_no = p->ofport;
    memcpy(out->hw_addr, p->mac.addr_bytes, 6);
    snprintf(out->name, sizeof out->name, "%.*s", (int)sizeof out->name - 1, p->name);
    out->config = op ? op->config : 0;
    bool up = __atomic_load_n(&p->link_up, __ATOMIC_RELAXED);
    out->state = up ? OFPPS_LIVE : OFPPS_LINK_DOWN;
    /* As in Open vSwitch, the LOCAL port's PORT_DOWN is its tap's administrative state
     * (created down, `ip link set BR up` by the user); with sluice holding the tap open the
     * link is up exactly when the interface is. */
    if (p->internal)
        out->config = (out->config & ~OFPPC_PORT_DOWN) | (up ? 0 : OFPPC_PORT_DOWN);
    struct rte_eth_link link;
    memset(&link, 0, sizeof link);
    if (rte_eth_link_get_nowait(p->eth_port, &link) == 0 && link.link_status &&
        link.link_speed != RTE_ETH_SPEED_NUM_UNKNOWN) {
        out->curr = speed_features(link.link_speed, link.link_duplex);
        if (out->curr && out->curr != OFPPF_OTHER)
            out->supported = out->advertised = out->curr;
        if (link.link_autoneg)
            out->curr |= OFPPF_AUTONEG;
        out->curr_speed = link.link_speed * 1000u;
        out->max_speed = link.link_speed * 1000u;
    }
}

static void port_status(struct ofbridge *ob, struct ofc_port *op, const struct dp_port *p,
                        uint8_t reason, bool announce)
{
    if (p)
        ofc_port_describe(p, op, &op->desc);
    if (announce)
        ofc_send_port_status(ob, reason, &op->desc);
}

/* Compares the bridge's ports with what was last announced: PORT_STATUS ADD, DELETE, and
 * MODIFY for link changes. `announce` false only records (a new bridge has no peers). */
static void ports_sync(struct ofbridge *ob, struct dp_bridge *br, bool announce)
{
    for (size_t i = 0; i < ob->n_ports; i++)
        ob->ports[i].seen = false;
    for (struct dp_port *p = dp_port_next(br, NULL); p; p = dp_port_next(br, p)) {
        struct ofc_port *op = ofc_port_find(ob, p->ofport);
        if (op && (op->dp != p || strcmp(op->name, p->name))) {
            /* Same number, another port: the old one went away in between. */
            port_status(ob, op, NULL, OFPPR_DELETE, announce);
            *op = ob->ports[--ob->n_ports];
            op = NULL;
        }
        bool up = __atomic_load_n(&p->link_up, __ATOMIC_RELAXED);
        uint32_t changes = __atomic_load_n(&p->link_changes, __ATOMIC_RELAXED);
        if (!op) {
            if (ob->n_ports == ob->cap_ports) {
                size_t cap = ob->cap_ports ? ob->cap_ports * 2 : 16;
                struct ofc_port *np = realloc(ob->ports, cap * sizeof *np);
                if (!np) {
                    SLOG(ERR, "bridge %s: out of memory tracking port %s", ob->name, p->name);
                    continue;
                }
                ob->ports = np;
                ob->cap_ports = cap;
            }
            op = &ob->ports[ob->n_ports++];
            memset(op, 0, sizeof *op);
            op->dp = p;
            op->ofport = p->ofport;
            snprintf(op->name, sizeof op->name, "%s", p->name);
            op->link_up = up;
            op->link_changes = changes;
            op->created_ns = ofc_now_ns();
            op->seen = true;
            port_status(ob, op, p, OFPPR_ADD, announce);
            continue;
        }
        op->seen = true;
        /* A flap between two looks (down and up again) still gets its MODIFY. */
        if (op->link_up != up || op->link_changes != changes) {
            op->link_up = up;
            op->link_changes = changes;
            port_status(ob, op, p, OFPPR_MODIFY, announce);
        }
    }
    for (size_t i = 0; i < ob->n_ports;) {
        if (ob->ports[i].seen) {
            i++;
            continue;
        }
        port_status(ob, &ob->ports[i], NULL, OFPPR_DELETE, announce);
        ob->ports[i] = ob->ports[--ob->n_ports];
    }
}

/* --- Connections ----------------------------------------------------------------------- */

static const char *kind_name(enum ofc_kind k)
{
    return k == OFC_SERVICE ? "service" : k == OFC_ACTIVE ? "tcp" : "ptcp";
}

static struct ofconn *conn_create(struct ofbridge *ob, int fd, enum ofc_kind kind,
                                  struct oftarget *t, const char *peer)
{
    struct ofconn *c = calloc(1, sizeof *c);
    struct ofp_msg *msg = malloc(sizeof *msg);
    if (!c || !msg) {
        free(c);
        free(msg);
        SLOG(ERR, "bridge %s: out of memory for an OpenFlow connection", ob->name);
        close(fd);
        return NULL;
    }
    c->msg = msg;
    c->ob = ob;
    c->fd = fd;
    c->kind = kind;
    c->target = t;
    c->state = OFC_HELLO;
    c->role = OFPCR_ROLE_EQUAL;
    /* As in Open vSwitch: tools on the service socket ask for asynchronous messages
     * explicitly; controllers get them by default. */
    c->miss_send_len = kind == OFC_SERVICE ? 0 : OFP_DEFAULT_MISS_SEND_LEN;
    c->opened_ns = c->last_rx_ns = ofc_now_ns();
    c->next_xid = 1;
    ofp_buf_init(&c->tx);
    snprintf(c->name, sizeof c->name, "%s %s#%u%s%s", ob->name, kind_name(kind),
             ++g.next_conn_id, peer ? " " : "", peer ? peer : "");
    c->next = g.conns;
    g.conns = c;
    ob->n_conns++;
    fd_set_owner(fd, FD_CONN, c, ob);
    return c;
}

static void send_hello(struct ofconn *c)
{
    struct ofp_hello h = {.version = OFP13_VERSION, .version_bitmap = 1u << OFP13_VERSION};
    struct ofp_err e;
    if (ofp_encode_hello(&c->tx, c->next_xid++, &h, &e) == 0)
        ofc_queued(c, 1);
    else
        ofc_close(c, "out of memory for HELLO");
}

static bool is_controller(const struct ofconn *c)
{
    return c->kind != OFC_SERVICE;
}

/* The datapath's copy of ob->fail_open: while set, the bridge is a learning switch (every
 * packet NORMAL, tables bypassed, as Open vSwitch's hidden fail-open flow does); the flows
 * stay for the controller's return. Callers may clear ob->fail_open themselves (secure
 * mode), so every update_fail_open() ends here. */
static void fail_open_publish(const struct ofbridge *ob)
{
    struct dp_bridge *br = dp_bridge_by_id(ob->br_id);
    if (br && dp_bridge_is_fail_open(br) != ob->fail_open)
        dp_bridge_set_fail_open(br, ob->fail_open);
}

static void update_fail_open(struct ofbridge *ob, uint64_t now)
{
    if (!ob->n_targets) {
        ob->no_controller_since_ns = 0;
        if (ob->fail_open) {
            ob->fail_open = false;
            SLOG(INFO, "bridge %s: no controller configured, leaving fail-open", ob->name);
        }
        fail_open_publish(ob);
        return;
    }
    bool connected = false;
    for (struct ofconn *c = g.conns; c && !connected; c = c->next)
        connected = c->ob == ob && !c->dead && is_controller(c) && c->state == OFC_OPEN;
    if (connected) {
        ob->no_controller_since_ns = 0;
        if (ob->fail_open) {
            ob->fail_open = false;
            SLOG(INFO, "bridge %s: controller connected, leaving fail-open", ob->name);
        }
    } else if (!ob->no_controller_since_ns) {
        ob->no_controller_since_ns = now;
    } else if (!ob->secure && !ob->fail_open &&
               elapsed(now, ob->no_controller_since_ns) >= OFCONN_FAIL_OPEN_S * OFC_NS_PER_S) {
        ob->fail_open = true;
        SLOG(WARNING,
             "bridge %s: no controller for %d s, entering fail-open (standalone: forwarding as "
             "a learning switch, NORMAL, until a controller connects; flows kept)",
             ob->name, OFCONN_FAIL_OPEN_S);
    }
    fail_open_publish(ob);
}

/* Schedules the next connection attempt of a tcp: target: after a failed attempt the wait
 * doubles (1, 2, 4, 8 s), after a connection that was up it is 1 s. */
static void target_retry_later(struct oftarget *t, uint64_t now, bool failed)
{
    t->backoff_s = ofconn_backoff_s(failed ? t->failures : 0);
    t->next_try_ns = now + t->backoff_s * OFC_NS_PER_S;
    if (failed)
        t->failures++;
}

void ofc_close(struct ofconn *c, const char *why)
{
    if (c->dead)
        return;
    c->dead = true;
    CLOG(c, "closed: %s", why);
    close_fd(&c->fd);
    struct oftarget *t = c->target;
    if (c->kind == OFC_ACTIVE && t && t->conn == c) {
        t->conn = NULL;
        uint64_t now = ofc_now_ns();
        if (c->state == OFC_OPEN)
            t->failures = 0;
        target_retry_later(t, now, c->state != OFC_OPEN);
        snprintf(t->last_error, sizeof t->last_error, "%s", why);
    }
}

static void conn_free(struct ofconn *c)
{
    close_fd(&c->fd);
    if (c->ob)
        c->ob->n_conns--;
    if (c->target && c->target->conn == c)
        c->target->conn = NULL;
    ofp_buf_uninit(&c->tx);
    free(c->rx);
    free(c->msg);
    free(c);
}

static void reap(void)
{
    for (struct ofconn **pp = &g.conns; *pp;) {
        struct ofconn *c = *pp;
        if (c->dead) {
            *pp = c->next;
            conn_free(c);
        } else {
            pp = &c->next;
        }
    }
}

static size_t tx_pending(const struct ofconn *c)
{
    return c->tx.len - c->tx_off;
}

bool ofc_queued(struct ofconn *c, unsigned n_msgs)
{
    if (c->dead)
        return false;
    c->tx_msgs += n_msgs;
    if (tx_pending(c) > OFCONN_TX_MAX) {
        ofc_close(c, "output queue exceeded its limit (the peer does not read)");
        return false;
    }
    return true;
}

void ofc_send_error(struct ofconn *c, const struct ofp_err *e, const void *req, size_t len)
{
    SLOG(DEBUG, "openflow %s: error %s/%s: %s", c->name, ofp_error_type_name(e->type) ?: "?",
         ofp_error_code_name(e->type, e->code) ?: "?", e->msg);
    /* The whole request is echoed, not only the 64 bytes OpenFlow requires (Open vSwitch
     * does the same): a tool can then print exactly which part of it failed. */
    const uint8_t *p = req;
    if (p && len >= OFP_HEADER_LEN && len <= OFP_MAX_MSG_LEN - 12) {
        struct ofp_error_msg em = {.type = e->type, .code = e->code, .data = p, .data_len = len};
        uint32_t xid = (uint32_t)p[4] << 24 | (uint32_t)p[5] << 16 | (uint32_t)p[6] << 8 | p[7];
        struct ofp_err ee;
        if (ofp_encode_error_msg(&c->tx, xid, &em, &ee) == 0) {
            ofc_queued(c, 1);
            return;
        }
    }
    if (ofp_encode_error(&c->tx, e, req, len) == 0)
        ofc_queued(c, 1);
}

void ofc_commit(struct ofbridge *ob)
{
    if (!ob || !ob->dirty)
        return;
    ob->dirty = false;
    struct dp_bridge *br = ofc_bridge(ob);
    if (br && ofproto_commit(br) != 0)
        SLOG(ERR, "bridge %s: out of memory publishing flow changes (retried on the next batch)",
             ob->name);
    else
        return;
    ob->dirty = true;
}

static void flush(struct ofconn *c, uint64_t now)
{
    while (!c->dead && tx_pending(c)) {
        ssize_t n = send(c->fd, c->tx.data + c->tx_off, tx_pending(c), MSG_NOSIGNAL);
        if (n > 0) {
            c->tx_off += (size_t)n;
            c->tx_blocked_since_ns = 0;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (!c->tx_blocked_since_ns)
                c->tx_blocked_since_ns = now;
            break;
        }
        char why[96];
        snprintf(why, sizeof why, "send: %s", n < 0 ? strerror(errno) : "nothing written");
        ofc_close(c, why);
        return;
    }
    if (!tx_pending(c)) {
        ofp_buf_clear(&c->tx);
        c->tx_off = 0;
        c->tx_blocked_since_ns = 0;
    } else if (c->tx_off > (1u << 20) && c->tx_off > c->tx.len / 2) {
        memmove(c->tx.data, c->tx.data + c->tx_off, tx_pending(c));
        c->tx.len -= c->tx_off;
        c->tx_off = 0;
    }
}

/* The first message must be a HELLO; it settles the version. */
static void handle_hello(struct ofconn *c, const uint8_t *data, size_t len)
{
    struct ofp_err e = {0};
    struct ofp_hello h;
    if (data[1] != OFPT_HELLO) {
        e.type = OFPET_HELLO_FAILED;
        e.code = OFPHFC_INCOMPATIBLE;
        snprintf(e.msg, sizeof e.msg, "expected HELLO as the first message, got %s",
                 ofp_type_name(data[1]) ?: "an unknown type");
    } else if (ofp_decode_hello(data, len, &h, &e) == 0) {
        int v = ofp_hello_negotiate(&h, 1u << OFP13_VERSION, &e);
        if (v == OFP13_VERSION) {
            c->state = OFC_OPEN;
            c->version = OFP13_VERSION;
            CLOG(c, "connected (OpenFlow 1.3)");
            if (c->kind == OFC_ACTIVE && c->target) {
                c->target->failures = 0;
                c->target->last_error[0] = '\0';
            }
            if (is_controller(c) && c->ob)
                update_fail_open(c->ob, ofc_now_ns());
            return;
        }
        if (v > 0) { /* cannot happen with a one-version bitmap, but never serve another */
            e.type = OFPET_HELLO_FAILED;
            e.code = OFPHFC_INCOMPATIBLE;
            snprintf(e.msg, sizeof e.msg, "negotiated version 0x%02x is not 1.3", v);
        }
    }
    SLOG(WARNING, "openflow %s: %s", c->name, e.msg);
    size_t start = c->tx.len;
    if (ofp_encode_error(&c->tx, &e, data, len) == 0) {
        /* Answer in the peer's version when it is older, so that it can read the error. */
        if (data[0] && data[0] < OFP13_VERSION)
            c->tx.data[start] = data[0];
        ofc_queued(c, 1);
    }
    c->closing = true;
}

/* Serves the complete messages in c->rx and drops them from it. Stops while the output
 * backlog is above OFCONN_TX_PAUSE: the rest stays buffered until the peer reads. */
static void process_rx(struct ofconn *c)
{
    size_t off = 0;
    while (!c->dead && !c->closing && tx_pending(c) <= OFCONN_TX_PAUSE) {
        struct ofp_err e = {0};
        size_t avail = c->rx_len - off;
        int ml = ofp_msg_length(c->rx + off, avail, &e);
        if (ml < 0) {
            /* The stream cannot be re-framed after a bad length: answer and hang up. */
            SLOG(WARNING, "openflow %s: %s", c->name, e.msg);
            ofc_send_error(c, &e, c->rx + off, avail < 8 ? avail : 8);
            c->closing = true;
            off = c->rx_len;
            break;
        }
        if (ml == 0 || (size_t)ml > avail)
            break;
        const uint8_t *m = c->rx + off;
        off += (size_t)ml;
        c->rx_msgs++;
        c->last_rx_ns = ofc_now_ns();
        c->echo_unanswered = 0;
        if (c->state == OFC_HELLO)
            handle_hello(c, m, (size_t)ml);
        else
            ofh_handle(c, m, (size_t)ml);
    }
    if (c->closing)
        off = c->rx_len; /* nothing more is served on a connection being closed */
    if (off) {
        memmove(c->rx, c->rx + off, c->rx_len - off);
        c->rx_len -= off;
    }
}

/* After the peer's end of input: close once every complete request was served and answered. */
static void conn_finish_eof(struct ofconn *c)
{
    if (c->dead || !c->eof || tx_pending(c))
        return;
    struct ofp_err e;
    int ml = ofp_msg_length(c->rx, c->rx_len, &e);
    if (ml > 0 && (size_t)ml <= c->rx_len && !c->closing)
        return; /* paused with requests left: served when the queue drains */
    ofc_close(c, c->rx_len && !c->closing ? "peer closed the connection in the middle of a message"
                                          : "peer closed the connection");
}

/* Reads what the peer sent (bounded per pass) and serves it. */
static void conn_input(struct ofconn *c)
{
    if (c->eof)
        return;
    for (int i = 0; i < OFC_READS_PER_RUN; i++) {
        process_rx(c);
        if (c->dead || c->closing || tx_pending(c) > OFCONN_TX_PAUSE)
            return;
        if (c->rx_cap - c->rx_len < OFC_RX_CHUNK) {
            size_t cap = c->rx_len + OFC_RX_CHUNK;
            uint8_t *nr = realloc(c->rx, cap);
            if (!nr) {
                ofc_close(c, "out of memory for input");
                return;
            }
            c->rx = nr;
            c->rx_cap = cap;
        }
        size_t space = c->rx_cap - c->rx_len;
        ssize_t n = recv(c->fd, c->rx + c->rx_len, space, 0);
        if (n > 0) {
            c->rx_len += (size_t)n;
            if ((size_t)n < space)
                break; /* a short read drained the socket: no EAGAIN recv() needed */
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
            return;
        if (n < 0) {
            ofc_close(c, strerror(errno));
            return;
        }
        /* End of input. A peer that only shut down its sending side still gets the replies
         * to everything it sent; conn_finish_eof() closes once they are out. */
        c->eof = true;
        process_rx(c);
        conn_finish_eof(c);
        return;
    }
    process_rx(c);
}

static void conn_connected(struct ofconn *c)
{
    int soerr = 0;
    socklen_t sl = sizeof soerr;
    if (getsockopt(c->fd, SOL_SOCKET, SO_ERROR, &soerr, &sl) < 0)
        soerr = errno;
    if (soerr) {
        char why[128];
        snprintf(why, sizeof why, "connect: %s", strerror(soerr));
        ofc_close(c, why);
        return;
    }
    c->state = OFC_HELLO;
    c->last_rx_ns = ofc_now_ns();
    send_hello(c);
}

static void accept_all(struct ofbridge *ob, int lfd, enum ofc_kind kind, struct oftarget *t)
{
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof ss;
        int fd = accept4(lfd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                SLOG(WARNING, "bridge %s: accept: %s", ob->name, strerror(errno));
            return;
        }
        if (ob->n_conns >= OFCONN_MAX_CONNS) {
            SLOG(WARNING, "bridge %s: refusing an OpenFlow connection: %d already open",
                 ob->name, OFCONN_MAX_CONNS);
            close(fd);
            continue;
        }
        char peer[64] = "";
        if (ss.ss_family == AF_INET) {
            const struct sockaddr_in *sin = (const struct sockaddr_in *)&ss;
            char ip[INET_ADDRSTRLEN];
            inet_ntop(AF_INET, &sin->sin_addr, ip, sizeof ip);
            snprintf(peer, sizeof peer, "%s:%u", ip, ntohs(sin->sin_port));
            int one = 1;
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        }
        struct ofconn *c = conn_create(ob, fd, kind, t, peer[0] ? peer : NULL);
        if (c) {
            CLOG(c, "accepted");
            send_hello(c);
            flush(c, ofc_now_ns());
        }
    }
}

/* --- Asynchronous messages --------------------------------------------------------------- */

void ofc_demote_masters(struct ofbridge *ob, const struct ofconn *except)
{
    for (struct ofconn *c = g.conns; c; c = c->next)
        if (c->ob == ob && c != except && !c->dead && c->role == OFPCR_ROLE_MASTER) {
            c->role = OFPCR_ROLE_SLAVE;
            SLOG(INFO, "openflow %s: now a slave (another connection became master)", c->name);
        }
}

/* Appends raw bytes to an ofp_buf (allocated as the codec allocates it: malloc family). */
static int buf_append(struct ofp_buf *b, const void *p, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n)
            cap *= 2;
        uint8_t *d = realloc(b->data, cap);
        if (!d)
            return -ENOMEM;
        b->data = d;
        b->cap = cap;
    }
    memcpy(b->data + b->len, p, n);
    b->len += n;
    return 0;
}

bool ofc_wants_async(const struct ofconn *c, uint8_t type, uint8_t reason)
{
    (void)reason; /* OpenFlow 1.3's default masks take every reason of the types below */
    if (c->dead || c->closing || c->state != OFC_OPEN)
        return false;
    if (c->kind == OFC_SERVICE && !c->miss_send_len)
        return false;
    if (c->role == OFPCR_ROLE_SLAVE)
        return type == OFPT_PORT_STATUS;
    return type == OFPT_PACKET_IN || type == OFPT_FLOW_REMOVED || type == OFPT_PORT_STATUS;
}

/* Appends the message in g.scratch to every connection of `ob` that wants it. */
static void broadcast(struct ofbridge *ob, uint8_t type, uint8_t reason)
{
    for (struct ofconn *c = g.conns; c; c = c->next) {
        if (c->ob != ob || !ofc_wants_async(c, type, reason))
            continue;
        if (buf_append(&c->tx, g.scratch.data, g.scratch.len) == 0)
            ofc_queued(c, 1);
    }
}

void ofc_send_port_status(struct ofbridge *ob, uint8_t reason, const struct ofp_port *desc)
{
    struct ofp_port_status ps = {.reason = reason, .desc = *desc};
    struct ofp_err e;
    ofp_buf_clear(&g.scratch);
    if (ofp_encode_port_status(&g.scratch, 0, &ps, &e) == 0)
        broadcast(ob, OFPT_PORT_STATUS, reason);
    else
        SLOG(ERR, "bridge %s: port %s: cannot encode PORT_STATUS: %s", ob->name, desc->name,
             e.msg);
}

void ofc_flow_removed_cb(void *aux, struct dp_bridge *br, const struct rule *r, uint8_t reason)
{
    struct ofbridge *ob = aux ? aux : ofc_bridge_by_id(br->id);
    if (!ob)
        return;
    bool wanted = false;
    for (struct ofconn *c = g.conns; c && !wanted; c = c->next)
        wanted = c->ob == ob && ofc_wants_async(c, OFPT_FLOW_REMOVED, reason);
    if (!wanted)
        return;
    uint64_t age = elapsed(ofc_now_ns(), r->created_ns);
    struct ofp_flow_removed fr = {
        .cookie = r->cookie,
        .priority = r->priority,
        .reason = reason,
        .table_id = r->table_id,
        .duration_sec = (uint32_t)(age / OFC_NS_PER_S),
        .duration_nsec = (uint32_t)(age % OFC_NS_PER_S),
        .idle_timeout = r->idle_timeout,
        .hard_timeout = r->hard_timeout,
        .packet_count = __atomic_load_n(&r->n_packets, __ATOMIC_RELAXED),
        .byte_count = __atomic_load_n(&r->n_bytes, __ATOMIC_RELAXED),
        .match = r->match,
    };
    struct ofp_err e;
    ofp_buf_clear(&g.scratch);
    if (ofp_encode_flow_removed(&g.scratch, 0, &fr, &e) == 0)
        broadcast(ob, OFPT_FLOW_REMOVED, reason);
    else
        SLOG(ERR, "bridge %s: cannot encode FLOW_REMOVED: %s", ob->name, e.msg);
}

void ofconn_flow_removed(void *aux, struct dp_bridge *br, const struct rule *r, uint8_t reason)
{
    (void)aux;
    if (g.initialised)
        ofc_flow_removed_cb(NULL, br, r, reason);
}

/* Bytes of a packet-in `c` gets: the action's max_len, or the connection's miss_send_len
 * for reasons without an action (invalid TTL). OFPCML_NO_BUFFER (and anything above
 * OFPCML_MAX) means the whole packet. sluice never buffers: buffer_id is always NO_BUFFER. */
static size_t pin_len(const struct ofconn *c, const struct dp_packet_in *pin, size_t total)
{
    size_t max = pin->reason == DP_PIN_INVALID_TTL ? c->miss_send_len : pin->max_len;
    if (max > OFPCML_MAX)
        return total;
    return max < total ? max : total;
}

static void packet_in_one(struct dp_packet_in *pin)
{
    struct ofbridge *ob = ofc_bridge_by_id(pin->bridge_id);
    if (!ob)
        return;
    struct ofc_port *op = ofc_port_find(ob, pin->in_port);
    if (op && (op->config & OFPPC_NO_PACKET_IN)) {
        ob->pin_dropped++;
        return;
    }
    uint32_t total = rte_pktmbuf_pkt_len(pin->m);
    if (total > sizeof g.pin_data)
        total = sizeof g.pin_data;
    const uint8_t *data = rte_pktmbuf_read(pin->m, 0, total, g.pin_data);
    if (!data)
        return;
    struct ofp_packet_in pi = {
        .buffer_id = OFP_NO_BUFFER,
        .total_len = (uint16_t)total,
        .reason = pin->reason,
        .table_id = pin->table_id,
        .cookie = pin->cookie,
        .data = data,
    };
    flow_match_set_field(&pi.match, &flow_fields[FF_IN_PORT], pin->in_port, UINT32_MAX);
    if (pin->metadata)
        flow_match_set_field(&pi.match, &flow_fields[FF_METADATA], be64toh(pin->metadata),
                             UINT64_MAX);
    if (pin->tun_id)
        flow_match_set_field(&pi.match, &flow_fields[FF_TUN_ID], be64toh(pin->tun_id),
                             UINT64_MAX);
    bool sent = false;
    for (struct ofconn *c = g.conns; c; c = c->next) {
        if (c->ob != ob || !ofc_wants_async(c, OFPT_PACKET_IN, pin->reason))
            continue;
        if (tx_pending(c) > OFCONN_TX_PAUSE) {
            c->pin_dropped++;
            continue;
        }
        pi.data_len = pin_len(c, pin, total);
        struct ofp_err e;
        if (ofp_encode_packet_in(&c->tx, 0, &pi, &e) == 0) {
            c->pin_sent++;
            sent = true;
            ofc_queued(c, 1);
        } else {
            c->pin_dropped++;
            SLOG(DEBUG, "openflow %s: cannot encode PACKET_IN: %s", c->name, e.msg);
        }
    }
    if (!sent)
        ob->pin_dropped++;
}

static void drain_packet_ins(void)
{
    struct dp_packet_in *pins[64];
    for (unsigned done = 0; done < OFC_PINS_PER_RUN;) {
        unsigned n = dp_packet_in_drain(pins, 64);
        for (unsigned i = 0; i < n; i++) {
            packet_in_one(pins[i]);
            dp_packet_in_free(pins[i]);
        }
        if (n < 64)
            break;
        done += n;
    }
}

/* --- Controller targets ----------------------------------------------------------------- */

static void target_stop(struct oftarget *t)
{
    close_fd(&t->listen_fd);
    for (struct ofconn *c = g.conns; c; c = c->next)
        if (c->target == t) {
            ofc_close(c, "controller target removed");
            c->target = NULL;
        }
    t->conn = NULL;
}

static int target_listen(struct ofbridge *ob, struct oftarget *t, char *err, size_t errlen)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(t->addr.port),
                              .sin_addr.s_addr = t->addr.addr};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        fmt_err(err, errlen, "bridge %s: %s: socket: %s", ob->name, t->text, strerror(errno));
        return -errno;
    }
    int one = 1;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd, (struct sockaddr *)&sin, sizeof sin) < 0 ||
        listen(fd, OFC_LISTEN_BACKLOG) < 0) {
        int e = errno;
        fmt_err(err, errlen, "bridge %s: %s: cannot listen: %s", ob->name, t->text,
                strerror(e));
        close(fd);
        return -e;
    }
    socklen_t sl = sizeof sin;
    if (getsockname(fd, (struct sockaddr *)&sin, &sl) == 0)
        t->bound_port = ntohs(sin.sin_port);
    t->listen_fd = fd;
    fd_set_owner(fd, FD_PTCP, t, ob);
    SLOG(INFO, "bridge %s: listening for controllers on %s (port %u)", ob->name, t->text,
         t->bound_port);
    return 0;
}

static void target_connect(struct ofbridge *ob, struct oftarget *t, uint64_t now)
{
    struct sockaddr_in sin = {.sin_family = AF_INET, .sin_port = htons(t->addr.port),
                              .sin_addr.s_addr = t->addr.addr};
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        snprintf(t->last_error, sizeof t->last_error, "socket: %s", strerror(errno));
        target_retry_later(t, now, true);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    int rc = connect(fd, (struct sockaddr *)&sin, sizeof sin);
    if (rc < 0 && errno != EINPROGRESS) {
        snprintf(t->last_error, sizeof t->last_error, "connect: %s", strerror(errno));
        close(fd);
        target_retry_later(t, now, true);
        SLOG(DEBUG, "bridge %s: %s: %s (retry in %u s)", ob->name, t->text, t->last_error,
             t->backoff_s);
        return;
    }
    struct ofconn *c = conn_create(ob, fd, OFC_ACTIVE, t, t->text + 4);
    if (!c) {
        target_retry_later(t, now, true);
        return;
    }
    t->conn = c;
    if (rc == 0) {
        send_hello(c);
    } else {
        c->state = OFC_CONNECTING;
    }
}

int ofconn_set_controller(const char *bridge, const char *targets, const char *fail_mode,
                          char *err, size_t errlen)
{
    struct ofbridge *ob = bridge ? bridge_by_name(bridge) : NULL;
    if (!ob) {
        fmt_err(err, errlen, "bridge %s: no such bridge", bridge ? bridge : "(null)");
        return -ENOENT;
    }
    bool secure = ob->secure;
    if (fail_mode) {
        if (!strcmp(fail_mode, "secure"))
            secure = true;
        else if (!strcmp(fail_mode, "standalone"))
            secure = false;
        else {
            fmt_err(err, errlen, "bridge %s: fail_mode \"%s\": expected secure or standalone",
                    ob->name, fail_mode);
            return -EINVAL;
        }
    }
    if (!targets) {
        if (ob->secure != secure)
            SLOG(INFO, "bridge %s: fail_mode %s", ob->name, secure ? "secure" : "standalone");
        ob->secure = secure;
        if (secure)
            ob->fail_open = false;
        update_fail_open(ob, ofc_now_ns());
        return 0;
    }
    /* Parse everything first: a bad target changes nothing. */
    struct oftarget *nt[OFCONN_MAX_TARGETS] = {NULL};
    int from[OFCONN_MAX_TARGETS]; /* slot a kept target came from, -1 for a new one */
    unsigned n = 0;
    int rc = 0;
    char buf[1024];
    if (strlen(targets) >= sizeof buf) {
        fmt_err(err, errlen, "bridge %s: controller targets: too long", ob->name);
        return -EINVAL;
    }
    snprintf(buf, sizeof buf, "%s", targets);
    for (char *save = NULL, *tok = strtok_r(buf, " \t,", &save); tok && !rc;
         tok = strtok_r(NULL, " \t,", &save)) {
        struct ofconn_target_addr a;
        char perr[200];
        if (n == OFCONN_MAX_TARGETS) {
            fmt_err(err, errlen, "bridge %s: at most %d controller targets", ob->name,
                    OFCONN_MAX_TARGETS);
            rc = -EINVAL;
        } else if (ofconn_parse_target(tok, &a, perr, sizeof perr)) {
            fmt_err(err, errlen, "bridge %s: %s", ob->name, perr);
            rc = -EINVAL;
        }
        for (unsigned k = 0; k < n && !rc; k++)
            if (!strcmp(nt[k]->text, tok)) {
                fmt_err(err, errlen, "bridge %s: controller target %s given twice", ob->name,
                        tok);
                rc = -EINVAL;
            }
        if (rc)
            break;
        /* A target that stays keeps its listener and connection. */
        struct oftarget *t = NULL;
        from[n] = -1;
        for (unsigned k = 0; k < ob->n_targets && !t; k++)
            if (ob->targets[k] && !strcmp(ob->targets[k]->text, tok)) {
                t = ob->targets[k];
                ob->targets[k] = NULL;
                from[n] = (int)k;
            }
        if (!t) {
            t = calloc(1, sizeof *t);
            if (!t) {
                fmt_err(err, errlen, "bridge %s: out of memory", ob->name);
                rc = -ENOMEM;
                break;
            }
            t->listen_fd = -1;
            t->addr = a;
            snprintf(t->text, sizeof t->text, "%s", tok);
            t->next_try_ns = ofc_now_ns();
            /* Listen before anything is dropped: a port in use leaves the old set intact. */
            if (a.kind == 'p' && (rc = target_listen(ob, t, err, errlen)) != 0) {
                free(t);
                break;
            }
        }
        nt[n++] = t;
    }
    if (rc) {
        /* Put kept targets back, drop the new ones. */
        for (unsigned i = 0; i < n; i++) {
            if (from[i] >= 0) {
                ob->targets[from[i]] = nt[i];
            } else {
                close_fd(&nt[i]->listen_fd);
                free(nt[i]);
            }
        }
        return rc;
    }
    for (unsigned k = 0; k < ob->n_targets; k++)
        if (ob->targets[k]) {
            target_stop(ob->targets[k]);
            free(ob->targets[k]);
        }
    memcpy(ob->targets, nt, sizeof nt);
    ob->n_targets = n;
    if (ob->secure != secure)
        SLOG(INFO, "bridge %s: fail_mode %s", ob->name, secure ? "secure" : "standalone");
    ob->secure = secure;
    if (secure)
        ob->fail_open = false;
    update_fail_open(ob, ofc_now_ns());
    SLOG(INFO, "bridge %s: controller %s", ob->name, n ? targets : "(none)");
    return 0;
}

int ofconn_set_datapath_id(const char *bridge, uint64_t dpid, char *err, size_t errlen)
{
    struct ofbridge *ob = bridge ? bridge_by_name(bridge) : NULL;
    if (!ob) {
        fmt_err(err, errlen, "bridge %s: no such bridge", bridge ? bridge : "(null)");
        return -ENOENT;
    }
    ob->dpid = dpid ? dpid : ofconn_default_datapath_id(ob->name);
    return 0;
}

static const char *role_name(uint32_t role)
{
    switch (role) {
    case OFPCR_ROLE_MASTER:
        return "master";
    case OFPCR_ROLE_SLAVE:
        return "slave";
    default:
        return "equal";
    }
}

json_t *ofconn_get_controller(const char *bridge, char *err, size_t errlen)
{
    struct ofbridge *ob = bridge ? bridge_by_name(bridge) : NULL;
    if (!ob) {
        fmt_err(err, errlen, "bridge %s: no such bridge", bridge ? bridge : "(null)");
        return NULL;
    }
    uint64_t now = ofc_now_ns();
    char dpid[24];
    snprintf(dpid, sizeof dpid, "%016" PRIx64, ob->dpid);
    json_t *targets = json_array();
    for (unsigned i = 0; i < ob->n_targets; i++) {
        const struct oftarget *t = ob->targets[i];
        json_t *j = json_pack("{s:s}", "target", t->text);
        if (t->addr.kind == 'p') {
            json_object_set_new(j, "state", json_string(t->listen_fd >= 0 ? "listening" : "down"));
            json_object_set_new(j, "bound_port", json_integer(t->bound_port));
        } else {
            const char *st = !t->conn                        ? "backoff"
                             : t->conn->state == OFC_OPEN    ? "connected"
                             : t->conn->state == OFC_HELLO   ? "hello"
                                                             : "connecting";
            json_object_set_new(j, "state", json_string(st));
            json_object_set_new(j, "backoff_s", json_integer(t->backoff_s));
            if (!t->conn && t->next_try_ns > now)
                json_object_set_new(j, "next_try_ms",
                                    json_integer((json_int_t)((t->next_try_ns - now) / 1000000)));
            if (t->last_error[0])
                json_object_set_new(j, "last_error", json_string(t->last_error));
        }
        json_array_append_new(targets, j);
    }
    json_t *conns = json_array();
    for (const struct ofconn *c = g.conns; c; c = c->next) {
        if (c->ob != ob || c->dead)
            continue;
        json_array_append_new(
            conns, json_pack("{s:s, s:s, s:s, s:s, s:i, s:I, s:I, s:I, s:I}", "name", c->name,
                             "kind", kind_name(c->kind), "state",
                             c->state == OFC_OPEN ? "open"
                             : c->state == OFC_HELLO ? "hello"
                                                     : "connecting",
                             "role", role_name(c->role), "miss_send_len", (int)c->miss_send_len,
                             "rx_msgs", (json_int_t)c->rx_msgs, "tx_msgs",
                             (json_int_t)c->tx_msgs, "packet_in_sent", (json_int_t)c->pin_sent,
                             "packet_in_dropped", (json_int_t)c->pin_dropped));
    }
    return json_pack("{s:s, s:s, s:s, s:s, s:b, s:o, s:o, s:I}", "bridge", ob->name, "socket",
                     ob->mgmt_fd >= 0 ? ob->mgmt_path : "", "datapath_id", dpid, "fail_mode",
                     ob->secure ? "secure" : "standalone", "fail_open", ob->fail_open,
                     "targets", targets, "connections", conns, "packet_in_dropped",
                     (json_int_t)ob->pin_dropped);
}

/* --- Daemon integration ----------------------------------------------------------------- */

int ofconn_init(const char *run_dir, char *err, size_t errlen)
{
    if (g.initialised)
        return 0;
    g.run_dir = run_dir;
    ofp_buf_init(&g.scratch);
    g.initialised = true;
    for (struct dp_bridge *br = dp_bridge_next(NULL); br; br = dp_bridge_next(br)) {
        int rc = ofconn_bridge_added(br, err, errlen);
        if (rc)
            return rc;
    }
    return 0;
}

void ofconn_fini(void)
{
    if (!g.initialised)
        return;
    while (g.bridges)
        bridge_destroy(g.bridges);
    reap();
    ofp_buf_uninit(&g.scratch);
    free(g.fds);
    g.fds = NULL;
    g.n_fds = 0;
    g.initialised = false;
}

int ofconn_pollfds(struct pollfd *pfds, int max)
{
    int n = 0;
    if (!g.initialised)
        return 0;
    int pin_fd = dp_packet_in_fd();
    if (pin_fd >= 0 && n < max) {
        fd_set_owner(pin_fd, FD_PIN, NULL, NULL);
        pfds[n++] = (struct pollfd){.fd = pin_fd, .events = POLLIN};
    }
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next) {
        if (ob->mgmt_fd >= 0 && n < max)
            pfds[n++] = (struct pollfd){.fd = ob->mgmt_fd, .events = POLLIN};
        for (unsigned i = 0; i < ob->n_targets; i++)
            if (ob->targets[i]->listen_fd >= 0 && n < max)
                pfds[n++] = (struct pollfd){.fd = ob->targets[i]->listen_fd, .events = POLLIN};
    }
    for (struct ofconn *c = g.conns; c && n < max; c = c->next) {
        if (c->dead)
            continue;
        short ev = 0;
        if (c->state == OFC_CONNECTING)
            ev = POLLOUT;
        else {
            if (!c->closing && !c->eof && tx_pending(c) <= OFCONN_TX_PAUSE)
                ev |= POLLIN;
            if (tx_pending(c))
                ev |= POLLOUT;
        }
        pfds[n++] = (struct pollfd){.fd = c->fd, .events = ev};
    }
    return n;
}

void ofconn_run(const struct pollfd *pfds, int n)
{
    if (!g.initialised)
        return;
    uint64_t now = ofc_now_ns();
    for (int i = 0; i < n; i++) {
        if (!pfds[i].revents)
            continue;
        int fd = pfds[i].fd;
        if (fd < 0 || (size_t)fd >= g.n_fds)
            continue;
        struct fd_owner o = g.fds[fd];
        switch (o.kind) {
        case FD_NONE:
            break;
        case FD_PIN:
            dp_packet_in_ack();
            drain_packet_ins();
            break;
        case FD_MGMT:
            accept_all(o.ob, fd, OFC_SERVICE, NULL);
            break;
        case FD_PTCP:
            accept_all(o.ob, fd, OFC_PASSIVE, o.ptr);
            break;
        case FD_CONN: {
            struct ofconn *c = o.ptr;
            if (c->dead)
                break;
            if (c->state == OFC_CONNECTING) {
                conn_connected(c);
                break;
            }
            if (pfds[i].revents & POLLOUT)
                flush(c, now);
            if (!c->dead && (pfds[i].revents & (POLLIN | POLLHUP | POLLERR)))
                conn_input(c);
            break;
        }
        }
    }
    /* Publish the whole batch once, then answer: replies to requests read in this pass may
     * only leave after what preceded them is visible (BARRIER commits on its own too). */
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next)
        ofc_commit(ob);
    for (struct ofconn *c = g.conns; c; c = c->next) {
        if (c->dead)
            continue;
        flush(c, now);
        /* Output drained below the pause threshold: serve what was left buffered. */
        if (!c->dead && c->rx_len && c->state != OFC_CONNECTING && !c->closing &&
            tx_pending(c) <= OFCONN_TX_PAUSE) {
            process_rx(c);
            if (c->ob)
                ofc_commit(c->ob);
            flush(c, now);
        }
        if (!c->dead && c->closing && !tx_pending(c))
            ofc_close(c, "closed after an error");
        conn_finish_eof(c);
    }
    reap();
}

static void conn_timers(struct ofconn *c, uint64_t now)
{
    if (c->state == OFC_CONNECTING) {
        if (elapsed(now, c->opened_ns) >= OFC_CONNECT_TIMEOUT_S * OFC_NS_PER_S)
            ofc_close(c, "connect: timed out");
        return;
    }
    if (c->closing) {
        if (elapsed(now, c->last_rx_ns) >= OFC_CLOSING_TIMEOUT_S * OFC_NS_PER_S)
            ofc_close(c, "closed after an error (peer did not read it)");
        return;
    }
    if (c->tx_blocked_since_ns && elapsed(now, c->tx_blocked_since_ns) >= OFCONN_STALL_S * OFC_NS_PER_S) {
        ofc_close(c, "peer has not read its output for 30 s");
        return;
    }
    if (c->state == OFC_HELLO) {
        if (elapsed(now, c->opened_ns) >= OFC_HELLO_TIMEOUT_S * OFC_NS_PER_S)
            ofc_close(c, "no HELLO from the peer");
        return;
    }
    if (!is_controller(c))
        return;
    uint64_t interval = OFCONN_ECHO_INTERVAL_S * OFC_NS_PER_S;
    if (elapsed(now, c->last_rx_ns) < interval || elapsed(now, c->last_echo_ns) < interval)
        return;
    if (c->echo_unanswered >= OFCONN_ECHO_MISSES) {
        ofc_close(c, "no answer to 3 echo requests");
        return;
    }
    struct ofp_echo echo = {0};
    struct ofp_err e;
    if (ofp_encode_echo(&c->tx, OFPT_ECHO_REQUEST, c->next_xid++, &echo, &e) == 0) {
        c->echo_unanswered++;
        c->last_echo_ns = now;
        if (ofc_queued(c, 1))
            flush(c, now);
    }
}

void ofconn_tick(uint64_t now)
{
    if (!g.initialised)
        return;
    if (now >= g.next_bridge_sync_ns) {
        bridges_sync();
        g.next_bridge_sync_ns = now + OFC_NS_PER_S;
    }
    bool expire = now >= g.next_expire_ns;
    if (expire)
        g.next_expire_ns = now + OFC_EXPIRE_INTERVAL_NS;
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next) {
        struct dp_bridge *br = ofc_bridge(ob);
        if (!br)
            continue;
        if (ob->mgmt_fd < 0 && now >= ob->next_mgmt_retry_ns) {
            char err[256];
            if (open_mgmt(ob, err, sizeof err)) {
                ob->next_mgmt_retry_ns = now + 10 * OFC_NS_PER_S;
                SLOG(ERR, "%s (retrying)", err);
            }
        }
        ports_sync(ob, br, true);
        if (expire) {
            ofc_commit(ob);
            size_t n = ofproto_expire(br, now, ofc_flow_removed_cb, ob);
            if (n)
                SLOG(DEBUG, "bridge %s: %zu flows expired", ob->name, n);
        }
        for (unsigned i = 0; i < ob->n_targets; i++) {
            struct oftarget *t = ob->targets[i];
            if (t->addr.kind == 't' && !t->conn && now >= t->next_try_ns)
                target_connect(ob, t, now);
        }
        update_fail_open(ob, now);
    }
    drain_packet_ins();
    for (struct ofconn *c = g.conns; c; c = c->next)
        if (!c->dead) {
            conn_timers(c, now);
            if (!c->dead && tx_pending(c))
                flush(c, now);
        }
    reap();
}

int ofconn_timeout_ms(uint64_t now, int max_ms)
{
    int ms = max_ms;
    for (struct ofbridge *ob = g.bridges; ob; ob = ob->next)
        for (unsigned i = 0; i < ob->n_targets; i++) {
            const struct oftarget *t = ob->targets[i];
            if (t->addr.kind == 't' && !t->conn) {
                int64_t d = t->next_try_ns > now ? (int64_t)((t->next_try_ns - now) / 1000000) : 0;
                if (d < ms)
                    ms = (int)d;
            }
        }
    return ms < 0 ? 0 : ms;
}
