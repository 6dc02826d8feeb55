#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include "cli/ctl-of.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli/of-client.h"
#include "control/jsonrpc.h"
#include "ofproto/flow-syntax.h"
#include "ofproto/group-syntax.h"
#include "ofproto/ofp-msgs.h"

__attribute__((format(printf, 4, 5))) static int ofv_fail(char *err, size_t errlen, int rc,
                                                          const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

int ctl_of_socket_path(const char *ctl_socket, const char *bridge, char *path, size_t len)
{
    if (!*bridge || strchr(bridge, '/'))
        return -EINVAL;
    const char *slash = strrchr(ctl_socket, '/');
    int dirlen = slash ? (int)(slash - ctl_socket) : 1;
    const char *dir = slash ? ctl_socket : ".";
    if (slash == ctl_socket)
        dirlen = 0; /* "/sluiced.ctl": the root directory */
    int n = snprintf(path, len, "%.*s/%s.mgmt", dirlen, dir, bridge);
    return n < 0 || (size_t)n >= len ? -ENAMETOOLONG : 0;
}

/* ---------------------------------------------------------------------------------------
 * One verb's run: the connection, the bridge's ports (for names), the text being built.
 */
struct ofv {
    const struct ctl_context *ctx;
    const char *verb;
    const char *bridge;
    struct ofcl cl;
    bool open;
    FILE *out; /* the text, into text/text_len */
    char *text;
    size_t text_len;
    struct ofp_port *ports;
    size_t n_ports, cap_ports;
    struct port_resolver res;
    /* Filters applied to the reply (see ctl-of.h). */
    uint32_t only_group; /* OFPG_ANY: none */
    uint32_t only_port;  /* DP_OFPORT_ANY: none */
    bool found;
};

static int ofv_name_to_ofport(void *aux, const char *name, uint32_t *ofport)
{
    const struct ofv *v = aux;
    for (size_t i = 0; i < v->n_ports; i++)
        if (!strcmp(v->ports[i].name, name)) {
            *ofport = v->ports[i].port_no;
            return 0;
        }
    return -ENOENT;
}

static const char *ofv_ofport_to_name(void *aux, uint32_t ofport)
{
    const struct ofv *v = aux;
    for (size_t i = 0; i < v->n_ports; i++)
        if (v->ports[i].port_no == ofport)
            return v->ports[i].name;
    return NULL;
}

static int ofv_collect_ports(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw,
                             size_t len, char *err, size_t errlen)
{
    (void)raw, (void)len;
    struct ofv *v = aux;
    struct ofp_mp_cursor cur;
    struct ofp_err oe;
    struct ofp_port p;
    ofp_mp_cursor_init(&cur, r);
    int rc;
    while ((rc = ofp_mp_next_port_desc(&cur, &p, &oe)) == 1) {
        if (v->n_ports == v->cap_ports) {
            size_t cap = v->cap_ports ? v->cap_ports * 2 : 16;
            struct ofp_port *np = realloc(v->ports, cap * sizeof *np);
            if (!np)
                return ofv_fail(err, errlen, -ENOMEM, "out of memory");
            v->ports = np;
            v->cap_ports = cap;
        }
        v->ports[v->n_ports++] = p;
    }
    if (rc < 0)
        return ofv_fail(err, errlen, -EPROTO, "bad port description from sluiced: %s", oe.msg);
    return 0;
}

/* The bridge's ports, so that names work in arguments and output (a helper request). */
static int ofv_fetch_ports(struct ofv *v, char *err, size_t errlen)
{
    struct ofp_mp_request r = {.type = OFPMP_PORT_DESC};
    v->n_ports = 0;
    return ofcl_dump(&v->cl, &r, ofcl_next_aux_xid(&v->cl), ofv_collect_ports, v, err, errlen);
}

/* Maps the client's result to the call hook's contract (see ctl-of.h). */
static int ofv_result(struct ofv *v, int rc, char *err, size_t errlen)
{
    if (rc == OFCL_REFUSED) {
        char msg[1024];
        snprintf(msg, sizeof msg, "%s", err);
        snprintf(err, errlen, "%s: %s", v->bridge, msg);
        return JSONRPC_FAILED;
    }
    if (rc == -ENOMEM)
        return JSONRPC_FAILED;
    return rc;
}

static int ofv_open(struct ofv *v, int timeout_ms, char *err, size_t errlen)
{
    char path[4096];
    if (ctl_of_socket_path(v->ctx->socket_path, v->bridge, path, sizeof path))
        return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "bridge %s: invalid bridge name",
                        v->bridge);
    int rc = ofcl_open(&v->cl, path, timeout_ms, err, errlen);
    if (rc == -ENOENT || rc == -ECONNREFUSED) {
        /* Is it the bridge that is missing, or the daemon? */
        struct stat st;
        if (stat(v->ctx->socket_path, &st) == 0 && S_ISSOCK(st.st_mode) && rc == -ENOENT)
            return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                            "bridge %s: no such bridge (no OpenFlow socket %s)", v->bridge, path);
        return ofv_fail(err, errlen, rc, "cannot connect to %s: %s (is sluiced running?)", path,
                        strerror(-rc));
    }
    if (rc)
        return ofv_result(v, rc, err, errlen);
    v->open = true;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Printing replies as ovs-ofctl does.
 */
static const char *ofv_reply_name(uint16_t type)
{
    switch (type) {
    case OFPMP_DESC:
        return "OFPST_DESC reply";
    case OFPMP_FLOW:
        return "OFPST_FLOW reply";
    case OFPMP_AGGREGATE:
        return "OFPST_AGGREGATE reply";
    case OFPMP_TABLE:
        return "OFPST_TABLE reply";
    case OFPMP_PORT_STATS:
        return "OFPST_PORT reply";
    case OFPMP_GROUP:
        return "OFPST_GROUP reply";
    case OFPMP_GROUP_DESC:
        return "OFPST_GROUP_DESC reply";
    case OFPMP_GROUP_FEATURES:
        return "OFPST_GROUP_FEATURES reply";
    case OFPMP_METER:
        return "OFPST_METER reply";
    case OFPMP_METER_CONFIG:
        return "OFPST_METER_CONFIG reply";
    case OFPMP_METER_FEATURES:
        return "OFPST_METER_FEATURES reply";
    case OFPMP_TABLE_FEATURES:
        return "OFPST_TABLE_FEATURES reply";
    case OFPMP_PORT_DESC:
        return "OFPST_PORT_DESC reply";
    default:
        return "OFPST reply";
    }
}

/* One reply message's text, finished as ovs-ofctl finishes it (a newline at the end). */
struct ofv_msg {
    FILE *f;
    char *buf;
    size_t len;
};

static int ofv_msg_begin(struct ofv_msg *m, const struct ofp_mp_reply *r, const uint8_t *raw,
                         char *err, size_t errlen)
{
    m->buf = NULL;
    m->len = 0;
    m->f = open_memstream(&m->buf, &m->len);
    if (!m->f)
        return ofv_fail(err, errlen, -ENOMEM, "out of memory");
    uint32_t xid = (uint32_t)raw[4] << 24 | (uint32_t)raw[5] << 16 | (uint32_t)raw[6] << 8 | raw[7];
    fprintf(m->f, "%s (OF1.3) (xid=0x%" PRIx32 "):", ofv_reply_name(r->type), xid);
    if (r->flags & OFPMPF_REPLY_MORE)
        fputs(" flags=[more]", m->f);
    return 0;
}

static int ofv_msg_end(struct ofv *v, struct ofv_msg *m, char *err, size_t errlen)
{
    bool ok = fclose(m->f) == 0;
    if (ok && m->len) {
        fwrite(m->buf, 1, m->len, v->out);
        if (m->buf[m->len - 1] != '\n')
            fputc('\n', v->out);
    }
    free(m->buf);
    return ok ? 0 : ofv_fail(err, errlen, -ENOMEM, "out of memory");
}

static int ofv_bad_entry(const struct ofp_err *oe, char *err, size_t errlen)
{
    return ofv_fail(err, errlen, -EPROTO, "bad reply from sluiced: %s", oe->msg);
}

/* dump-tables: only tables whose counters differ from the previous table's are spelled out;
 * runs of equal ones become "tables A...B: ditto", as ovs-ofctl prints OpenFlow 1.3 table
 * stats (which carry no features, so only the counters are compared). */
static int ofv_print_tables(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw, size_t len,
                            char *err, size_t errlen)
{
    (void)len;
    struct ofv *v = aux;
    struct ofv_msg m;
    int rc = ofv_msg_begin(&m, r, raw, err, errlen);
    if (rc)
        return rc;
    struct ofp_mp_cursor cur;
    struct ofp_err oe;
    struct ofp_table_stats ts, prev = {0};
    int first_ditto = -1, last_ditto = -1;
    bool have_prev = false;
    ofp_mp_cursor_init(&cur, r);
    while ((rc = ofp_mp_next_table_stats(&cur, &ts, &oe)) == 1) {
        bool same = have_prev && ts.active_count == prev.active_count &&
                    ts.lookup_count == prev.lookup_count && ts.matched_count == prev.matched_count;
        if (same) {
            if (first_ditto < 0)
                first_ditto = ts.table_id;
            last_ditto = ts.table_id;
        } else {
            if (first_ditto >= 0) {
                if (first_ditto == last_ditto)
                    fprintf(m.f, "\n  table %d: ditto\n", first_ditto);
                else
                    fprintf(m.f, "\n  tables %d...%d: ditto\n", first_ditto, last_ditto);
                first_ditto = -1;
            }
            fprintf(m.f,
                    "\n  table %u:\n    active=%" PRIu32 ", lookup=%" PRIu64 ", matched=%" PRIu64
                    "\n",
                    ts.table_id, ts.active_count, ts.lookup_count, ts.matched_count);
        }
        prev = ts;
        have_prev = true;
    }
    if (first_ditto >= 0) {
        if (first_ditto == last_ditto)
            fprintf(m.f, "\n  table %d: ditto\n", first_ditto);
        else
            fprintf(m.f, "\n  tables %d...%d: ditto\n", first_ditto, last_ditto);
    }
    int erc = ofv_msg_end(v, &m, err, errlen);
    if (rc < 0)
        return ofv_bad_entry(&oe, err, errlen);
    return erc;
}

static int ofv_print_aggregate(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw,
                               size_t len, char *err, size_t errlen)
{
    (void)len;
    struct ofv *v = aux;
    struct ofv_msg m;
    int rc = ofv_msg_begin(&m, r, raw, err, errlen);
    if (rc)
        return rc;
    fprintf(m.f, " packet_count=%" PRIu64 " byte_count=%" PRIu64 " flow_count=%" PRIu32,
            r->aggregate.packet_count, r->aggregate.byte_count, r->aggregate.flow_count);
    return ofv_msg_end(v, &m, err, errlen);
}

/* Formats with a snprintf-style function into a fresh string (NULL when out of memory). */
#define OFV_FORMAT(fn, ...)                                                                        \
    ({                                                                                             \
        int need_ = fn(__VA_ARGS__, NULL, 0);                                                      \
        char *s_ = malloc((size_t)need_ + 1);                                                      \
        if (s_)                                                                                    \
            fn(__VA_ARGS__, s_, (size_t)need_ + 1);                                                \
        s_;                                                                                        \
    })

static int ofv_print_group_desc(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw,
                                size_t len, char *err, size_t errlen)
{
    (void)len;
    struct ofv *v = aux;
    struct ofv_msg m;
    int rc = ofv_msg_begin(&m, r, raw, err, errlen);
    if (rc)
        return rc;
    struct ofp_group *g = malloc(sizeof *g);
    struct ofp_mp_cursor cur;
    struct ofp_err oe;
    ofp_mp_cursor_init(&cur, r);
    while (g && (rc = ofp_mp_next_group_desc(&cur, g, &oe)) == 1) {
        if (v->only_group != OFPG_ANY && v->only_group != OFPG_ALL && g->group_id != v->only_group)
            continue;
        v->found = true;
        char *s = OFV_FORMAT(gs_group_format, g, &v->res);
        fprintf(m.f, "\n %s", s ? s : "<out of memory>");
        free(s);
    }
    free(g);
    int erc = ofv_msg_end(v, &m, err, errlen);
    if (!g)
        return ofv_fail(err, errlen, -ENOMEM, "out of memory");
    if (rc < 0)
        return ofv_bad_entry(&oe, err, errlen);
    return erc;
}

/* A printer for a multipart reply whose entries each print as one formatted line: entries of
 * TYPE read with NEXT, formatted with FMT, each on its own line starting with LEAD (what
 * ovs-ofctl indents). */
#define OFV_LIST_PRINTER(name, type, next, fmt, lead)                                        \
    static int name(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw, size_t len, \
                    char *err, size_t errlen)                                               \
    {                                                                                        \
        (void)len;                                                                           \
        struct ofv *v = aux;                                                                 \
        struct ofv_msg m;                                                                    \
        int rc = ofv_msg_begin(&m, r, raw, err, errlen);                                     \
        if (rc)                                                                              \
            return rc;                                                                       \
        type e;                                                                              \
        struct ofp_mp_cursor cur;                                                            \
        struct ofp_err oe;                                                                   \
        ofp_mp_cursor_init(&cur, r);                                                         \
        while ((rc = next(&cur, &e, &oe)) == 1) {                                            \
            char *s = OFV_FORMAT(fmt, &e);                                                   \
            fprintf(m.f, "\n" lead "%s", s ? s : "<out of memory>");                         \
            free(s);                                                                         \
        }                                                                                    \
        int erc = ofv_msg_end(v, &m, err, errlen);                                           \
        if (rc < 0)                                                                          \
            return ofv_bad_entry(&oe, err, errlen);                                          \
        return erc;                                                                          \
    }

OFV_LIST_PRINTER(ofv_print_group_stats, struct ofp_group_stats, ofp_mp_next_group_stats,
                 gs_group_stats_format, " ")
OFV_LIST_PRINTER(ofv_print_meter_config, struct ofp_meter_config, ofp_mp_next_meter_config,
                 gs_meter_config_format, "")
OFV_LIST_PRINTER(ofv_print_meter_stats, struct ofp_meter_stats, ofp_mp_next_meter_stats,
                 gs_meter_stats_format, "")

/* Bit names as ovs-ofctl prints them: "0" for none, unknown bits as 0x... */
static void ofv_put_bits(FILE *f, uint32_t bits, const char *const *names, unsigned n_names)
{
    if (!bits) {
        fputs("0\n", f);
        return;
    }
    int n = 0;
    for (unsigned i = 0; i < 32 && i < n_names; i++) {
        uint32_t bit = 1u << i;
        if ((bits & bit) && names[i]) {
            fprintf(f, "%s%s", n++ ? " " : "", names[i]);
            bits &= ~bit;
        }
    }
    if (bits)
        fprintf(f, "%s0x%" PRIx32, n ? " " : "", bits);
    fputc('\n', f);
}

static const char *const ofv_config_names[] = {"PORT_DOWN", "NO_STP", "NO_RECV",     "NO_RECV_STP",
                                               "NO_FLOOD",  "NO_FWD", "NO_PACKET_IN"};
static const char *const ofv_state_names[] = {"LINK_DOWN", "BLOCKED", "LIVE"};
static const char *const ofv_feature_names[] = {
    "10MB-HD", "10MB-FD",  "100MB-HD",   "100MB-FD",       "1GB-HD", "1GB-FD",
    "10GB-FD", "40GB-FD",  "100GB-FD",   "1TB-FD",         "OTHER",  "COPPER",
    "FIBER",   "AUTO_NEG", "AUTO_PAUSE", "AUTO_PAUSE_ASYM"};

static void ofv_put_port(FILE *f, const struct ofp_port *p)
{
    char num[32], name[OFP_MAX_PORT_NAME_LEN];
    flow_format_port(p->port_no, NULL, num, sizeof num);
    size_t j = 0;
    for (; j < sizeof name - 1 && p->name[j] && isprint((unsigned char)p->name[j]); j++)
        name[j] = p->name[j];
    name[j] = '\0';
    const uint8_t *a = p->hw_addr;
    fprintf(f, " %s(%s): addr:%02x:%02x:%02x:%02x:%02x:%02x\n", num, name, a[0], a[1], a[2], a[3],
            a[4], a[5]);
    fputs("     config:     ", f);
    ofv_put_bits(f, p->config, ofv_config_names, 7);
    fputs("     state:      ", f);
    ofv_put_bits(f, p->state, ofv_state_names, 3);
    static const struct {
        const char *label;
        size_t off;
    } feats[] = {
        {"     current:    ", offsetof(struct ofp_port, curr)},
        {"     advertised: ", offsetof(struct ofp_port, advertised)},
        {"     supported:  ", offsetof(struct ofp_port, supported)},
        {"     peer:       ", offsetof(struct ofp_port, peer)},
    };
    for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++) {
        uint32_t bits;
        memcpy(&bits, (const char *)p + feats[i].off, sizeof bits);
        if (bits) {
            fputs(feats[i].label, f);
            ofv_put_bits(f, bits, ofv_feature_names, 16);
        }
    }
    fprintf(f, "     speed: %" PRIu32 " Mbps now, %" PRIu32 " Mbps max\n", p->curr_speed / 1000,
            p->max_speed / 1000);
}

static int ofv_cmp_ports(const void *a, const void *b)
{
    uint32_t x = ((const struct ofp_port *)a)->port_no, y = ((const struct ofp_port *)b)->port_no;
    return x < y ? -1 : x > y;
}

static int ofv_print_port_desc(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw,
                               size_t len, char *err, size_t errlen)
{
    struct ofv *v = aux;
    size_t before = v->n_ports;
    int rc = ofv_collect_ports(v, r, raw, len, err, errlen);
    if (rc)
        return rc;
    struct ofv_msg m;
    rc = ofv_msg_begin(&m, r, raw, err, errlen);
    if (rc)
        return rc;
    /* ovs-ofctl sorts each message's ports by number. */
    qsort(v->ports + before, v->n_ports - before, sizeof *v->ports, ofv_cmp_ports);
    fputc('\n', m.f);
    for (size_t i = before; i < v->n_ports; i++) {
        if (v->only_port != DP_OFPORT_ANY && v->ports[i].port_no != v->only_port)
            continue;
        v->found = true;
        ofv_put_port(m.f, &v->ports[i]);
    }
    return ofv_msg_end(v, &m, err, errlen);
}

/* ---------------------------------------------------------------------------------------
 * The verbs.
 */
static int ofv_parse_error(char *err, size_t errlen, const char *what, const char *msg)
{
    char copy[768];
    snprintf(copy, sizeof copy, "%s", msg);
    return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "%s: %s", what, copy);
}

static int ofv_dump(struct ofv *v, struct ofp_mp_request *r, ofcl_reply_fn *fn, char *err,
                    size_t errlen)
{
    int rc = ofcl_dump(&v->cl, r, ofcl_next_xid(&v->cl), fn, v, err, errlen);
    return ofv_result(v, rc, err, errlen);
}

/* Sends one encoded request (and a BARRIER). */
static int ofv_transact(struct ofv *v, struct ofp_buf *b, char *err, size_t errlen)
{
    int rc = ofcl_transact(&v->cl, b, err, errlen);
    return ofv_result(v, rc, err, errlen);
}

static int ofv_encode_failed(char *err, size_t errlen, const char *what, const struct ofp_err *oe)
{
    return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "%s: cannot be sent in OpenFlow 1.3: %s",
                    what, oe->msg);
}

static int verb_dump_tables(struct ofv *v, char *err, size_t errlen)
{
    struct ofp_mp_request r = {.type = OFPMP_TABLE};
    return ofv_dump(v, &r, ofv_print_tables, err, errlen);
}

static int verb_dump_aggregate(struct ofv *v, const char *filter, char *err, size_t errlen)
{
    struct ofp_mp_request *r = calloc(1, sizeof *r);
    if (!r)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    int rc = ofv_fetch_ports(v, err, errlen);
    if (rc) {
        rc = ofv_result(v, rc, err, errlen);
    } else {
        char perr[512];
        r->type = OFPMP_AGGREGATE;
        if (flow_spec_parse(filter ? filter : "", FLOW_PARSE_FILTER, &v->res, &r->flow, perr,
                            sizeof perr))
            rc = ofv_parse_error(err, errlen, "dump-aggregate", perr);
        else
            rc = ofv_dump(v, r, ofv_print_aggregate, err, errlen);
    }
    free(r);
    return rc;
}

static int verb_group_mod(struct ofv *v, uint16_t command, const char *text, char *err,
                          size_t errlen)
{
    struct ofp_group_mod *gm = malloc(sizeof *gm);
    if (!gm)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    int rc = command == OFPGC_DELETE ? 0 : ofv_fetch_ports(v, err, errlen);
    char perr[512];
    struct ofp_err oe;
    struct ofp_buf b;
    ofp_buf_init(&b);
    if (rc)
        rc = ofv_result(v, rc, err, errlen);
    else if (gs_group_parse(text, command, &v->res, gm, perr, sizeof perr))
        rc = ofv_parse_error(err, errlen, v->verb, perr);
    else if (ofp_encode_group_mod(&b, ofcl_next_xid(&v->cl), gm, &oe))
        rc = ofv_encode_failed(err, errlen, text, &oe);
    else
        rc = ofv_transact(v, &b, err, errlen);
    ofp_buf_uninit(&b);
    free(gm);
    return rc;
}

/* dump-groups' GROUP: a bare id as ovs-ofctl takes it, or group_id=N as del-groups takes it. */
static int ofv_group_filter(const char *text, uint32_t *id, char *err, size_t errlen)
{
    char perr[256];
    if (!text || !*text) {
        *id = OFPG_ALL;
        return 0;
    }
    if (!gs_group_id_parse(text, id, perr, sizeof perr))
        return 0;
    struct ofp_group_mod *gm = malloc(sizeof *gm);
    if (!gm)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    int rc = gs_group_parse(text, OFPGC_DELETE, NULL, gm, perr, sizeof perr);
    *id = gm->group.group_id;
    free(gm);
    return rc ? ofv_parse_error(err, errlen, text, perr) : 0;
}

static int verb_dump_groups(struct ofv *v, const char *text, char *err, size_t errlen)
{
    int rc = ofv_group_filter(text, &v->only_group, err, errlen);
    if (rc)
        return rc;
    rc = ofv_fetch_ports(v, err, errlen);
    if (rc)
        return ofv_result(v, rc, err, errlen);
    struct ofp_mp_request r = {.type = OFPMP_GROUP_DESC};
    v->found = false;
    rc = ofv_dump(v, &r, ofv_print_group_desc, err, errlen);
    if (!rc && !v->found && v->only_group != OFPG_ALL)
        rc = ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "bridge %s: no group %s", v->bridge,
                      text);
    return rc;
}

static int verb_dump_group_stats(struct ofv *v, const char *text, char *err, size_t errlen)
{
    uint32_t id;
    int rc = ofv_group_filter(text, &id, err, errlen);
    if (rc)
        return rc;
    struct ofp_mp_request r = {.type = OFPMP_GROUP, .group_id = id};
    return ofv_dump(v, &r, ofv_print_group_stats, err, errlen);
}

static int verb_meter_mod(struct ofv *v, int command, const char *text, char *err, size_t errlen)
{
    struct ofp_meter_mod mm;
    char perr[512];
    struct ofp_err oe;
    struct ofp_buf b;
    ofp_buf_init(&b);
    int rc;
    if (gs_meter_parse(text, command, &mm, perr, sizeof perr))
        rc = ofv_parse_error(err, errlen, v->verb, perr);
    else if (ofp_encode_meter_mod(&b, ofcl_next_xid(&v->cl), &mm, &oe))
        rc = ofv_encode_failed(err, errlen, text, &oe);
    else
        rc = ofv_transact(v, &b, err, errlen);
    ofp_buf_uninit(&b);
    return rc;
}

static int verb_dump_meters(struct ofv *v, bool stats, const char *text, char *err, size_t errlen)
{
    struct ofp_meter_mod mm;
    char perr[512];
    if (gs_meter_parse(text, GS_METER_ID_ONLY, &mm, perr, sizeof perr))
        return ofv_parse_error(err, errlen, v->verb, perr);
    struct ofp_mp_request r = {.type = stats ? OFPMP_METER : OFPMP_METER_CONFIG,
                               .meter_id = mm.meter.meter_id};
    return ofv_dump(v, &r, stats ? ofv_print_meter_stats : ofv_print_meter_config, err, errlen);
}

static int ofv_find_port(struct ofv *v, const char *text, uint32_t *port_no, char *err,
                         size_t errlen)
{
    char perr[256];
    uint32_t no;
    if (flow_parse_port(text, &v->res, &no, perr, sizeof perr) == 0)
        for (size_t i = 0; i < v->n_ports; i++)
            if (v->ports[i].port_no == no) {
                *port_no = no;
                return 0;
            }
    return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "port %s: no such port on bridge %s", text,
                    v->bridge);
}

static int verb_dump_ports_desc(struct ofv *v, const char *port, char *err, size_t errlen)
{
    struct ofp_mp_request r = {.type = OFPMP_PORT_DESC};
    v->only_port = DP_OFPORT_ANY;
    if (port) {
        /* The filter needs the port list first; the printed reply is the second one. */
        int rc = ofv_fetch_ports(v, err, errlen);
        if (rc)
            return ofv_result(v, rc, err, errlen);
        rc = ofv_find_port(v, port, &v->only_port, err, errlen);
        if (rc)
            return rc;
    }
    v->n_ports = 0;
    return ofv_dump(v, &r, ofv_print_port_desc, err, errlen);
}

static int verb_mod_port(struct ofv *v, const char *port, const char *action, char *err,
                         size_t errlen)
{
    static const struct {
        const char *name;
        uint32_t bit;
        bool on;
    } acts[] = {
        {"up", OFPPC_PORT_DOWN, false},           {"down", OFPPC_PORT_DOWN, true},
        {"receive", OFPPC_NO_RECV, false},        {"forward", OFPPC_NO_FWD, false},
        {"packet-in", OFPPC_NO_PACKET_IN, false},
    };
    static const char *const of10_only[] = {"stp", "receive-stp", "flood"};
    bool negate = false;
    const char *cmd = action;
    if (!strncasecmp(action, "no-", 3)) {
        cmd = action + 3;
        negate = true;
    } else if (!strncasecmp(action, "no", 2)) {
        cmd = action + 2;
        negate = true;
    }
    struct ofp_port_mod pm = {0};
    bool found = false;
    for (size_t i = 0; i < sizeof acts / sizeof acts[0] && !found; i++)
        if (!strcasecmp(cmd, acts[i].name)) {
            pm.mask = acts[i].bit;
            pm.config = acts[i].on != negate ? acts[i].bit : 0;
            found = true;
        }
    for (size_t i = 0; i < sizeof of10_only / sizeof of10_only[0] && !found; i++)
        if (!strcasecmp(cmd, of10_only[i]))
            return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                            "mod-port: '%s' has no meaning in OpenFlow 1.3 (the %s bit is "
                            "OpenFlow 1.0 only)",
                            action, cmd);
    if (!found)
        return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                        "unknown mod-port command '%s' (up, down, receive, no-receive, forward, "
                        "no-forward, packet-in, no-packet-in)",
                        action);
    int rc = ofv_fetch_ports(v, err, errlen);
    if (rc)
        return ofv_result(v, rc, err, errlen);
    rc = ofv_find_port(v, port, &pm.port_no, err, errlen);
    if (rc)
        return rc;
    for (size_t i = 0; i < v->n_ports; i++)
        if (v->ports[i].port_no == pm.port_no)
            memcpy(pm.hw_addr, v->ports[i].hw_addr, sizeof pm.hw_addr);
    struct ofp_buf b;
    struct ofp_err oe;
    ofp_buf_init(&b);
    if (ofp_encode_port_mod(&b, ofcl_next_xid(&v->cl), &pm, &oe))
        rc = ofv_encode_failed(err, errlen, "mod-port", &oe);
    else
        rc = ofv_transact(v, &b, err, errlen);
    ofp_buf_uninit(&b);
    return rc;
}

static int verb_mod_flows(struct ofv *v, const char *flow, bool strict, char *err, size_t errlen)
{
    struct ofp_flow_mod *fm = calloc(1, sizeof *fm);
    if (!fm)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    int rc = ofv_fetch_ports(v, err, errlen);
    char perr[512];
    struct ofp_err oe;
    struct ofp_buf b;
    ofp_buf_init(&b);
    if (rc) {
        rc = ofv_result(v, rc, err, errlen);
    } else if (flow_spec_parse(flow, FLOW_PARSE_MODIFY, &v->res, &fm->spec, perr, sizeof perr)) {
        rc = ofv_parse_error(err, errlen, "mod-flows", perr);
    } else {
        fm->command = strict ? OFPFC_MODIFY_STRICT : OFPFC_MODIFY;
        fm->buffer_id = OFP_NO_BUFFER;
        if (ofp_encode_flow_mod(&b, ofcl_next_xid(&v->cl), fm, &oe))
            rc = ofv_encode_failed(err, errlen, flow, &oe);
        else
            rc = ofv_transact(v, &b, err, errlen);
    }
    ofp_buf_uninit(&b);
    free(fm);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * packet-out.
 */

/* The flow syntax refuses output to TABLE (it is only valid in a packet-out), so a TABLE
 * output is stood in for by this port while parsing, then put back. No bridge has a port
 * with this number: ports are numbered from 1 up and sluice gives out far fewer. */
#define OFV_TABLE_STANDIN 0xfffffe00u

static bool ofv_is_table_output(const char *tok, size_t n)
{
    static const char *const forms[] = {"table", "output:table", "output=table",
                                        "output(port=table)", "output(table)"};
    for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++)
        if (n == strlen(forms[i]) && !strncasecmp(tok, forms[i], n))
            return true;
    return false;
}

static int ofv_parse_po_actions(struct ofv *v, const char *text, struct ofp_packet_out *po,
                                char *err, size_t errlen)
{
    size_t len = strlen(text);
    char *copy = malloc(len * 2 + 32);
    if (!copy)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    /* Re-join the top-level items, standing in for TABLE outputs. */
    size_t o = 0;
    for (size_t i = 0; i < len;) {
        if (strchr(", \t\r\n", text[i])) {
            i++;
            continue;
        }
        size_t start = i;
        int depth = 0;
        for (; i < len && (depth > 0 || !strchr(", \t\r\n", text[i])); i++)
            depth += text[i] == '(' ? 1 : text[i] == ')' ? -1 : 0;
        if (o)
            copy[o++] = ',';
        if (ofv_is_table_output(text + start, i - start))
            o += (size_t)sprintf(copy + o, "output:%u", OFV_TABLE_STANDIN);
        else {
            memcpy(copy + o, text + start, i - start);
            o += i - start;
        }
    }
    copy[o] = '\0';
    char perr[512];
    int rc = 0;
    if (gs_actions_parse(copy, &v->res, po->actions, &po->n_actions, perr, sizeof perr))
        rc = ofv_parse_error(err, errlen, "packet-out", perr);
    for (uint32_t i = 0; !rc && i < po->n_actions; i++)
        if (po->actions[i].type == DP_ACT_OUTPUT && po->actions[i].port == OFV_TABLE_STANDIN)
            po->actions[i].port = DP_OFPORT_TABLE;
    free(copy);
    return rc;
}

/* An Ethernet frame in hex, as ovs-ofctl takes it (pairs of digits; blanks, '.' and ':'
 * between bytes are allowed). */
static int ofv_parse_hex_packet(const char *hex, uint8_t **data, size_t *len, char *err,
                                size_t errlen)
{
    size_t n = strlen(hex);
    uint8_t *p = malloc(n / 2 + 1);
    if (!p)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    size_t k = 0;
    for (size_t i = 0; i < n;) {
        if (strchr(" \t.:", hex[i])) {
            i++;
            continue;
        }
        if (i + 1 >= n || !isxdigit((unsigned char)hex[i]) ||
            !isxdigit((unsigned char)hex[i + 1])) {
            free(p);
            return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                            "packet-out: packet \"%.40s%s\": expected hexadecimal bytes "
                            "(e.g. ffffffffffff0000000000010800...)",
                            hex, n > 40 ? "..." : "");
        }
        unsigned v;
        sscanf(hex + i, "%2x", &v);
        p[k++] = (uint8_t)v;
        i += 2;
    }
    if (k < 14) {
        free(p);
        return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                        "packet-out: a packet of %zu bytes is shorter than an Ethernet header", k);
    }
    *data = p;
    *len = k;
    return 0;
}

static int ofv_parse_in_port(struct ofv *v, const char *text, uint32_t *port, char *err,
                             size_t errlen)
{
    char perr[256];
    if (!strcasecmp(text, "none") || !strcasecmp(text, "any")) {
        *port = DP_OFPORT_ANY;
        return 0;
    }
    if (flow_parse_port(text, &v->res, port, perr, sizeof perr))
        return ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "packet-out: in_port=%s: %s", text,
                        perr);
    return 0;
}

/* packet-out BR "in_port=P packet=HEX actions=A" or packet-out BR IN_PORT ACTIONS PACKET... */
static int verb_packet_out(struct ofv *v, char **args, int n_args, char *err, size_t errlen)
{
    struct ofp_packet_out *po = calloc(1, sizeof *po);
    if (!po)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    po->buffer_id = OFP_NO_BUFFER;
    po->in_port = DP_OFPORT_ANY;
    uint8_t **packets = calloc((size_t)n_args + 1, sizeof *packets);
    size_t *lens = calloc((size_t)n_args + 1, sizeof *lens);
    size_t n_packets = 0;
    char *copy = NULL;
    int rc = packets && lens ? ofv_fetch_ports(v, err, errlen) : -ENOMEM;
    if (rc) {
        rc = rc == -ENOMEM ? ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory")
                           : ofv_result(v, rc, err, errlen);
        goto out;
    }
    if (n_args == 1) {
        copy = strdup(args[0]);
        if (!copy) {
            rc = ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
            goto out;
        }
        const char *actions = NULL;
        char *s = copy;
        while (!rc && *s) {
            s += strspn(s, ", \t\r\n");
            if (!*s)
                break;
            if (!strncmp(s, "actions=", 8)) {
                actions = s + 8; /* the rest of the text, as in a flow */
                break;
            }
            size_t n = strcspn(s, ", \t\r\n");
            char save = s[n];
            s[n] = '\0';
            if (!strncmp(s, "in_port=", 8))
                rc = ofv_parse_in_port(v, s + 8, &po->in_port, err, errlen);
            else if (!strncmp(s, "packet=", 7))
                rc = ofv_parse_hex_packet(s + 7, &packets[0], &lens[0], err, errlen),
                n_packets = rc ? 0 : 1;
            else
                rc =
                    ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                             "packet-out: unknown keyword \"%s\" (in_port=, packet=, actions=)", s);
            s[n] = save;
            s += n;
        }
        if (!rc && !n_packets)
            rc = ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                          "packet-out: missing packet=HEX (the Ethernet frame to send)");
        if (!rc && !actions)
            rc = ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                          "packet-out: missing actions= (last, as in a flow)");
        if (!rc)
            rc = ofv_parse_po_actions(v, actions, po, err, errlen);
    } else if (n_args >= 3) {
        rc = ofv_parse_in_port(v, args[0], &po->in_port, err, errlen);
        if (!rc)
            rc = ofv_parse_po_actions(v, args[1], po, err, errlen);
        for (int i = 2; !rc && i < n_args; i++) {
            rc = ofv_parse_hex_packet(args[i], &packets[n_packets], &lens[n_packets], err, errlen);
            if (!rc)
                n_packets++;
        }
    } else {
        rc = ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS,
                      "packet-out: expected \"in_port=P packet=HEX actions=A\" or IN_PORT "
                      "ACTIONS PACKET...");
    }
    if (rc)
        goto out;
    /* One PACKET_OUT per packet, then one BARRIER for all. */
    struct ofp_buf b;
    struct ofp_err oe;
    ofp_buf_init(&b);
    for (size_t i = 0; !rc && i < n_packets; i++) {
        po->data = packets[i];
        po->data_len = lens[i];
        if (ofp_encode_packet_out(&b, ofcl_next_xid(&v->cl), po, &oe))
            rc = ofv_encode_failed(err, errlen, "packet-out", &oe);
    }
    if (!rc)
        rc = ofv_transact(v, &b, err, errlen);
    ofp_buf_uninit(&b);
out:
    for (size_t i = 0; packets && i < (size_t)n_args + 1; i++)
        free(packets[i]);
    free(packets);
    free(lens);
    free(copy);
    free(po);
    return rc;
}

/* ---------------------------------------------------------------------------------------
 * The call hook.
 */
int ctl_of_call(const struct ctl_context *ctx, const char *method, json_t *params, int timeout_ms,
                json_t **result, char *err, size_t errlen)
{
    (void)params;
    const struct ctl_invocation *inv = ctx->inv;
    char **args = inv->args;
    int n = inv->n_args;
    const char *arg1 = n > 1 ? args[1] : NULL;
    struct ofv *v = calloc(1, sizeof *v);
    if (!v)
        return ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    v->ctx = ctx;
    v->verb = method;
    v->bridge = args[0];
    v->cl.fd = -1;
    v->res = (struct port_resolver){ofv_name_to_ofport, ofv_ofport_to_name, v};
    v->only_group = OFPG_ANY;
    v->only_port = DP_OFPORT_ANY;
    v->out = open_memstream(&v->text, &v->text_len);
    int rc = v->out ? ofv_open(v, timeout_ms, err, errlen)
                    : ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    if (rc)
        goto out;

    if (!strcmp(method, "dump-tables"))
        rc = verb_dump_tables(v, err, errlen);
    else if (!strcmp(method, "dump-aggregate"))
        rc = verb_dump_aggregate(v, arg1, err, errlen);
    else if (!strcmp(method, "add-group"))
        rc = verb_group_mod(v, OFPGC_ADD, arg1, err, errlen);
    else if (!strcmp(method, "mod-group"))
        rc = verb_group_mod(v, OFPGC_MODIFY, arg1, err, errlen);
    else if (!strcmp(method, "del-groups"))
        rc = verb_group_mod(v, OFPGC_DELETE, arg1, err, errlen);
    else if (!strcmp(method, "dump-groups"))
        rc = verb_dump_groups(v, arg1, err, errlen);
    else if (!strcmp(method, "dump-group-stats"))
        rc = verb_dump_group_stats(v, arg1, err, errlen);
    else if (!strcmp(method, "add-meter"))
        rc = verb_meter_mod(v, OFPMC_ADD, arg1, err, errlen);
    else if (!strcmp(method, "mod-meter"))
        rc = verb_meter_mod(v, OFPMC_MODIFY, arg1, err, errlen);
    else if (!strcmp(method, "del-meters"))
        rc = verb_meter_mod(v, OFPMC_DELETE, arg1, err, errlen);
    else if (!strcmp(method, "dump-meters"))
        rc = verb_dump_meters(v, false, arg1, err, errlen);
    else if (!strcmp(method, "meter-stats"))
        rc = verb_dump_meters(v, true, arg1, err, errlen);
    else if (!strcmp(method, "mod-port"))
        rc = n == 3 ? verb_mod_port(v, args[1], args[2], err, errlen)
                    : ofv_fail(err, errlen, JSONRPC_INVALID_PARAMS, "mod-port: needs PORT ACTION");
    else if (!strcmp(method, "mod-flows"))
        rc = verb_mod_flows(v, arg1, inv->options & CTL_OPT_STRICT, err, errlen);
    else if (!strcmp(method, "dump-ports-desc"))
        rc = verb_dump_ports_desc(v, arg1, err, errlen);
    else if (!strcmp(method, "packet-out"))
        rc = verb_packet_out(v, args + 1, n - 1, err, errlen);
    else
        rc = ofv_fail(err, errlen, JSONRPC_FAILED, "%s: not an OpenFlow verb", method);

out:
    if (v->open)
        ofcl_close(&v->cl);
    if (v->out && fclose(v->out) != 0 && !rc)
        rc = ofv_fail(err, errlen, JSONRPC_FAILED, "out of memory");
    if (!rc) {
        *result = v->text_len ? json_pack("{s:s%}", "output", v->text, v->text_len) : json_null();
        if (!*result)
            rc = ofv_fail(err, errlen, JSONRPC_FAILED,
                          "the reply is not valid UTF-8 (a port name?)");
    }
    free(v->text);
    free(v->ports);
    free(v);
    return rc;
}

int ctl_of_print(FILE *out, const json_t *result, char *err, size_t errlen)
{
    if (json_is_null(result))
        return 0;
    const json_t *o = json_object_get(result, "output");
    if (!json_is_string(o))
        return ofv_fail(err, errlen, -EPROTO, "result has no \"output\" text");
    fwrite(json_string_value(o), 1, json_string_length(o), out);
    return 0;
}
