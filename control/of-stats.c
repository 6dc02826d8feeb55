/* of-stats.c — multipart replies: descriptions, flow/aggregate/table/port/group/meter
 * statistics, and the features of tables, groups and meters.
 *
 * A list reply is built with struct ofp_mp_builder, which splits it into as many 64 KiB
 * messages as needed (OFPMPF_REPLY_MORE on all but the last); the whole reply is queued at
 * once. Counters are read with relaxed atomic loads: PMDs keep adding to them meanwhile, so
 * a reply is a consistent list of rules with approximately simultaneous counters. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>
#include <rte_version.h>

#include "control/of-handler.h"
#include "datapath/flow-field.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/log.h"
#include "datapath/meter.h"

#define SLUICE_SW_VERSION "0.1.0"
#define OFS_NS_PER_S 1000000000ull

static void mp_error(struct ofconn *c, uint16_t type, uint16_t code, const uint8_t *req,
                     size_t len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void mp_error(struct ofconn *c, uint16_t type, uint16_t code, const uint8_t *req,
                     size_t len, const char *fmt, ...)
{
    struct ofp_err e = {.type = type, .code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    ofc_send_error(c, &e, req, len);
}

static void duration(uint64_t since_ns, uint64_t now_ns, uint32_t *sec, uint32_t *nsec)
{
    uint64_t d = now_ns > since_ns ? now_ns - since_ns : 0;
    *sec = (uint32_t)(d / OFS_NS_PER_S);
    *nsec = (uint32_t)(d % OFS_NS_PER_S);
}

static uint64_t load(const uint64_t *p)
{
    return __atomic_load_n(p, __ATOMIC_RELAXED);
}

/* A list reply under construction. On failure the partial reply is discarded and an error
 * queued instead, so the peer never sees half a reply. */
struct mp_ctx {
    struct ofconn *c;
    struct ofp_mp_builder mb;
    size_t start;       /* c->tx.len before the reply */
    int rc;             /* first fatal error */
    struct ofp_err err;
    unsigned skipped;   /* entries that cannot be expressed in OpenFlow 1.3 */
    uint64_t now;
    struct dp_bridge *br;
    struct ofp_flow_stats fs; /* scratch: large */
};

static struct mp_ctx *mp_begin(struct ofconn *c, struct dp_bridge *br, uint16_t type,
                               uint32_t xid)
{
    struct mp_ctx *x = calloc(1, sizeof *x);
    if (!x)
        return NULL;
    x->c = c;
    x->br = br;
    x->start = c->tx.len;
    x->now = ofc_now_ns();
    if (ofp_mp_builder_start(&x->mb, &c->tx, type, xid)) {
        free(x);
        return NULL;
    }
    return x;
}

/* Accounts for one add: an entry the wire cannot carry is skipped (and logged once per
 * reply); anything else ends the reply with an error. */
static void mp_added(struct mp_ctx *x, int rc)
{
    if (!rc || x->rc)
        return;
    if (rc == -EINVAL) {
        if (!x->skipped++)
            SLOG(WARNING, "openflow %s: multipart reply: entry skipped: %s", x->c->name,
                 x->err.msg);
        return;
    }
    x->rc = rc;
}

static void mp_end(struct mp_ctx *x, const uint8_t *req, size_t len)
{
    struct ofconn *c = x->c;
    if (x->rc) {
        c->tx.len = x->start;
        ofc_send_error(c, &x->err, req, len);
    } else {
        ofp_mp_builder_finish(&x->mb);
        /* Count the messages the builder produced. */
        unsigned n = 0;
        for (size_t off = x->start; off + OFP_HEADER_LEN <= c->tx.len;) {
            size_t ml = ((size_t)c->tx.data[off + 2] << 8) | c->tx.data[off + 3];
            if (ml < OFP_HEADER_LEN)
                break;
            off += ml;
            n++;
        }
        ofc_queued(c, n);
    }
    free(x);
}

static void nomem(struct ofconn *c, const uint8_t *req, size_t len, const char *what)
{
    mp_error(c, OFPET_BAD_REQUEST, OFPBRC_EPERM, req, len, "multipart %s: out of memory", what);
}

/* --- DESC ------------------------------------------------------------------------------ */

static void mp_desc(struct ofconn *c, uint32_t xid, const uint8_t *req, size_t len)
{
    struct ofp_mp_reply *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(c, req, len, "desc");
    r->type = OFPMP_DESC;
    snprintf(r->desc.mfr_desc, sizeof r->desc.mfr_desc, "The sluice project");
    snprintf(r->desc.hw_desc, sizeof r->desc.hw_desc, "sluice DPDK software switch");
    snprintf(r->desc.sw_desc, sizeof r->desc.sw_desc, "sluice %s (%s)", SLUICE_SW_VERSION,
             rte_version());
    snprintf(r->desc.serial_num, sizeof r->desc.serial_num, "None");
    snprintf(r->desc.dp_desc, sizeof r->desc.dp_desc, "bridge %s", c->ob->name);
    struct ofp_err e = {0};
    if (ofp_encode_mp_reply(&c->tx, xid, r, &e) == 0)
        ofc_queued(c, 1);
    else
        ofc_send_error(c, &e, req, len);
    free(r);
}

/* --- FLOW and AGGREGATE -------------------------------------------------------------------- */

static bool table_ok(struct ofconn *c, const struct flow_spec *f, const uint8_t *req,
                     size_t len)
{
    if (f->table_given && f->table_id >= DP_N_TABLES) {
        mp_error(c, OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID, req, len,
                 "multipart flow request: table %u does not exist (tables 0 to %d)",
                 f->table_id, DP_N_TABLES - 1);
        return false;
    }
    return true;
}

static void flow_visit(void *aux, unsigned table, const struct rule *r)
{
    struct mp_ctx *x = aux;
    (void)table;
    if (x->rc)
        return;
    struct ofp_flow_stats *fs = &x->fs;
    ofproto_rule_to_spec(r, &fs->spec);
    duration(r->created_ns, x->now, &fs->duration_sec, &fs->duration_nsec);
    /* OpenFlow 1.3: a count the flow asked not to keep reads as all ones. */
    fs->packet_count = r->flags & FLOW_SPEC_NO_PKT_COUNTS ? UINT64_MAX : load(&r->n_packets);
    fs->byte_count = r->flags & FLOW_SPEC_NO_BYT_COUNTS ? UINT64_MAX : load(&r->n_bytes);
    mp_added(x, ofp_mp_add_flow_stats(&x->mb, fs, &x->err));
}

static void mp_flow(struct ofconn *c, struct dp_bridge *br, const struct ofp_mp_request *rq,
                    uint32_t xid, const uint8_t *req, size_t len)
{
    if (!table_ok(c, &rq->flow, req, len))
        return;
    struct mp_ctx *x = mp_begin(c, br, OFPMP_FLOW, xid);
    if (!x)
        return nomem(c, req, len, "flow");
    ofproto_for_each_rule(br, &rq->flow, false, flow_visit, x);
    mp_end(x, req, len);
}

struct agg_ctx {
    struct ofp_aggregate_stats st;
};

static void agg_visit(void *aux, unsigned table, const struct rule *r)
{
    struct agg_ctx *a = aux;
    (void)table;
    if (!(r->flags & FLOW_SPEC_NO_PKT_COUNTS))
        a->st.packet_count += load(&r->n_packets);
    if (!(r->flags & FLOW_SPEC_NO_BYT_COUNTS))
        a->st.byte_count += load(&r->n_bytes);
    a->st.flow_count++;
}

static void mp_aggregate(struct ofconn *c, struct dp_bridge *br, const struct ofp_mp_request *rq,
                         uint32_t xid, const uint8_t *req, size_t len)
{
    if (!table_ok(c, &rq->flow, req, len))
        return;
    struct agg_ctx a = {{0}};
    ofproto_for_each_rule(br, &rq->flow, false, agg_visit, &a);
    struct ofp_mp_reply *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(c, req, len, "aggregate");
    r->type = OFPMP_AGGREGATE;
    r->aggregate = a.st;
    struct ofp_err e = {0};
    if (ofp_encode_mp_reply(&c->tx, xid, r, &e) == 0)
        ofc_queued(c, 1);
    else
        ofc_send_error(c, &e, req, len);
    free(r);
}

/* --- TABLE and TABLE_FEATURES ------------------------------------------------------------- */

static void mp_table(struct ofconn *c, struct dp_bridge *br, uint32_t xid, const uint8_t *req,
                     size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_TABLE, xid);
    if (!x)
        return nomem(c, req, len, "table");
    for (unsigned t = 0; t < DP_N_TABLES && !x->rc; t++) {
        struct dp_table_stats s;
        dp_table_stats_sum(br, t, &s);
        struct ofp_table_stats ts = {.table_id = (uint8_t)t,
                                     .active_count = (uint32_t)flow_table_count(br->tables[t]),
                                     .lookup_count = s.lookups,
                                     .matched_count = s.matches};
        mp_added(x, ofp_mp_add_table_stats(&x->mb, &ts, &x->err));
    }
    mp_end(x, req, len);
}

/* What every table supports: the instructions, the actions the datapath executes and the
 * fields of the field table (datapath/flow-field.h) that have a basic OXM. */
static void table_features(unsigned t, struct ofp_table_features *tf)
{
    memset(tf, 0, sizeof *tf);
    tf->table_id = (uint8_t)t;
    tf->name[0] = '\0'; /* unnamed, as Open vSwitch's tables */
    tf->metadata_match = UINT64_MAX;
    tf->metadata_write = UINT64_MAX;
    tf->max_entries = UINT32_MAX; /* no fixed size: tables grow while memory lasts */
    uint32_t inst = 1u << OFPIT_WRITE_METADATA | 1u << OFPIT_WRITE_ACTIONS |
                    1u << OFPIT_APPLY_ACTIONS | 1u << OFPIT_CLEAR_ACTIONS | 1u << OFPIT_METER;
    if (t + 1 < DP_N_TABLES)
        inst |= 1u << OFPIT_GOTO_TABLE;
    uint32_t acts = 1u << OFPAT_OUTPUT | 1u << OFPAT_PUSH_VLAN | 1u << OFPAT_POP_VLAN |
                    1u << OFPAT_GROUP | 1u << OFPAT_DEC_NW_TTL | 1u << OFPAT_SET_FIELD;
    for (int i = 0; i < 2; i++) {
        tf->instructions[i] = inst;
        tf->write_actions[i] = acts;
        tf->apply_actions[i] = acts;
        for (unsigned n = t + 1; n < DP_N_TABLES; n++)
            tf->next_tables[i][n / 8] |= (uint8_t)(1u << (n % 8));
    }
    for (unsigned f = 0; f < FF_N_FIELDS; f++) {
        const struct flow_field *ff = &flow_fields[f];
        if (ff->oxm_field < 0 || ff->oxm_field > 63)
            continue;
        uint64_t bit = 1ull << ff->oxm_field;
        tf->match |= bit;
        tf->wildcards |= bit;
        if (ff->maskable)
            tf->match_masked |= bit;
        if (ff->writable) {
            tf->write_setfield[0] |= bit;
            tf->write_setfield[1] |= bit;
            tf->apply_setfield[0] |= bit;
            tf->apply_setfield[1] |= bit;
        }
    }
}

static void mp_table_features(struct ofconn *c, struct dp_bridge *br, uint32_t xid,
                              const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_TABLE_FEATURES, xid);
    struct ofp_table_features *tf = malloc(sizeof *tf);
    if (!x || !tf) {
        if (x)
            c->tx.len = x->start;
        free(x);
        free(tf);
        return nomem(c, req, len, "table_features");
    }
    for (unsigned t = 0; t < DP_N_TABLES && !x->rc; t++) {
        table_features(t, tf);
        mp_added(x, ofp_mp_add_table_features(&x->mb, tf, &x->err));
    }
    free(tf);
    mp_end(x, req, len);
}

/* --- Ports ------------------------------------------------------------------------------ */

/* A port that does not exist gets an empty reply, as from Open vSwitch. */
static void mp_port_stats(struct ofconn *c, struct dp_bridge *br, const struct ofp_mp_request *rq,
                          uint32_t xid, const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_PORT_STATS, xid);
    if (!x)
        return nomem(c, req, len, "port_stats");
    for (struct dp_port *p = dp_port_next(br, NULL); p && !x->rc; p = dp_port_next(br, p)) {
        if (rq->port_no != DP_OFPORT_ANY && p->ofport != rq->port_no)
            continue;
        struct dp_port_stats s;
        dp_port_stats_sum(p, &s);
        struct rte_eth_stats es;
        memset(&es, 0, sizeof es);
        rte_eth_stats_get(p->eth_port, &es);
        struct ofp_port_stats ps = {
            .port_no = p->ofport,
            .rx_packets = s.rx_packets,
            .tx_packets = s.tx_packets,
            .rx_bytes = s.rx_bytes,
            .tx_bytes = s.tx_bytes,
            /* Received but never switched: the device had no room or no buffer for them. */
            .rx_dropped = es.imissed + es.rx_nombuf,
            /* Switched to this port but not sent. */
            .tx_dropped = s.drop_tx_full + s.drop_port_down + s.drop_mtu,
            .rx_errors = es.ierrors,
            .tx_errors = es.oerrors,
            /* Counters no DPDK device reports read as all ones ("unavailable"). */
            .rx_frame_err = UINT64_MAX,
            .rx_over_err = UINT64_MAX,
            .rx_crc_err = UINT64_MAX,
            .collisions = UINT64_MAX,
        };
        const struct ofc_port *op = ofc_port_find(c->ob, p->ofport);
        duration(op ? op->created_ns : br->created_ns, x->now, &ps.duration_sec,
                 &ps.duration_nsec);
        mp_added(x, ofp_mp_add_port_stats(&x->mb, &ps, &x->err));
    }
    mp_end(x, req, len);
}

static void mp_port_desc(struct ofconn *c, struct dp_bridge *br, uint32_t xid,
                         const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_PORT_DESC, xid);
    if (!x)
        return nomem(c, req, len, "port_desc");
    for (struct dp_port *p = dp_port_next(br, NULL); p && !x->rc; p = dp_port_next(br, p)) {
        struct ofp_port d;
        ofc_port_describe(p, ofc_port_find(c->ob, p->ofport), &d);
        mp_added(x, ofp_mp_add_port_desc(&x->mb, &d, &x->err));
    }
    mp_end(x, req, len);
}

/* --- Groups ------------------------------------------------------------------------------ */

/* Flows whose actions name the group (OpenFlow's ref_count). */
struct ref_ctx {
    uint32_t id;
    bool meter;
    uint32_t count;
};

static void ref_visit(void *aux, unsigned table, const struct rule *r)
{
    struct ref_ctx *rc = aux;
    (void)table;
    if (rc->meter ? r->meter_id == rc->id : ofproto_rule_has_out_group(r, rc->id))
        rc->count++;
}

static uint32_t ref_count(struct dp_bridge *br, uint32_t id, bool meter)
{
    static struct flow_spec all;
    flow_spec_init(&all);
    struct ref_ctx rc = {.id = id, .meter = meter};
    ofproto_for_each_rule(br, &all, false, ref_visit, &rc);
    return rc.count;
}

void ofh_group_to_ofp(const struct dp_group *g, struct ofp_group *out)
{
    memset(out, 0, offsetof(struct ofp_group, buckets));
    out->type = g->type;
    out->group_id = g->id;
    out->n_buckets = g->n_buckets < OFP_MAX_BUCKETS ? g->n_buckets : OFP_MAX_BUCKETS;
    for (uint32_t i = 0; i < out->n_buckets; i++) {
        const struct dp_bucket *b = &g->buckets[i];
        struct ofp_bucket *ob = &out->buckets[i];
        ob->weight = b->weight;
        ob->watch_port = b->watch_port;
        ob->watch_group = b->watch_group;
        ob->n_actions = b->n_actions;
        memcpy(ob->actions, b->actions, b->n_actions * sizeof b->actions[0]);
    }
}

static bool group_selected(const struct dp_group *g, uint32_t want)
{
    return want == OFPG_ALL || g->id == want;
}

static void mp_group(struct ofconn *c, struct dp_bridge *br, const struct ofp_mp_request *rq,
                     uint32_t xid, const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_GROUP, xid);
    struct ofp_group_stats *gs = malloc(sizeof *gs);
    if (!x || !gs) {
        if (x)
            c->tx.len = x->start;
        free(x);
        free(gs);
        return nomem(c, req, len, "group");
    }
    size_t n = id_table_count(br->groups);
    for (size_t i = 0; i < n && !x->rc; i++) {
        const struct dp_group *g = id_table_at(br->groups, i);
        if (!group_selected(g, rq->group_id))
            continue;
        memset(gs, 0, sizeof *gs);
        gs->group_id = g->id;
        gs->ref_count = ref_count(br, g->id, false);
        gs->packet_count = load(&g->n_packets);
        gs->byte_count = load(&g->n_bytes);
        duration(g->created_ns, x->now, &gs->duration_sec, &gs->duration_nsec);
        gs->n_buckets = g->n_buckets < OFP_MAX_BUCKETS ? g->n_buckets : OFP_MAX_BUCKETS;
        for (uint32_t b = 0; b < gs->n_buckets; b++) {
            gs->buckets[b].packet_count = load(&g->buckets[b].n_packets);
            gs->buckets[b].byte_count = load(&g->buckets[b].n_bytes);
        }
        mp_added(x, ofp_mp_add_group_stats(&x->mb, gs, &x->err));
    }
    free(gs);
    mp_end(x, req, len);
}

static void mp_group_desc(struct ofconn *c, struct dp_bridge *br, uint32_t xid,
                          const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_GROUP_DESC, xid);
    struct ofp_group *og = malloc(sizeof *og);
    if (!x || !og) {
        if (x)
            c->tx.len = x->start;
        free(x);
        free(og);
        return nomem(c, req, len, "group_desc");
    }
    size_t n = id_table_count(br->groups);
    for (size_t i = 0; i < n && !x->rc; i++) {
        ofh_group_to_ofp(id_table_at(br->groups, i), og);
        mp_added(x, ofp_mp_add_group_desc(&x->mb, og, &x->err));
    }
    free(og);
    mp_end(x, req, len);
}

static void mp_group_features(struct ofconn *c, uint32_t xid, const uint8_t *req, size_t len)
{
    struct ofp_mp_reply *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(c, req, len, "group_features");
    r->type = OFPMP_GROUP_FEATURES;
    struct ofp_group_features *gf = &r->group_features;
    gf->types = 1u << OFPGT_ALL | 1u << OFPGT_SELECT | 1u << OFPGT_INDIRECT | 1u << OFPGT_FF;
    gf->capabilities = OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS | OFPGFC_CHAINING |
                       OFPGFC_CHAINING_CHECKS;
    uint32_t acts = 1u << OFPAT_OUTPUT | 1u << OFPAT_PUSH_VLAN | 1u << OFPAT_POP_VLAN |
                    1u << OFPAT_GROUP | 1u << OFPAT_DEC_NW_TTL | 1u << OFPAT_SET_FIELD;
    for (int t = 0; t < 4; t++) {
        gf->max_groups[t] = OFC_MAX_GROUPS;
        gf->actions[t] = acts;
    }
    struct ofp_err e = {0};
    if (ofp_encode_mp_reply(&c->tx, xid, r, &e) == 0)
        ofc_queued(c, 1);
    else
        ofc_send_error(c, &e, req, len);
    free(r);
}

/* --- Meters ------------------------------------------------------------------------------ */

void ofh_meter_to_ofp(const struct dp_meter *m, struct ofp_meter_config *out)
{
    memset(out, 0, sizeof *out);
    out->flags = m->flags;
    out->meter_id = m->id;
    out->n_bands = m->n_bands < OFP_MAX_BANDS ? m->n_bands : OFP_MAX_BANDS;
    for (uint32_t i = 0; i < out->n_bands; i++) {
        out->bands[i].type = m->bands[i].type;
        out->bands[i].rate = m->bands[i].rate;
        out->bands[i].burst_size = m->bands[i].burst_size;
    }
}

static bool meter_selected(const struct dp_meter *m, uint32_t want)
{
    return want == OFPM_ALL || m->id == want;
}

static void mp_meter(struct ofconn *c, struct dp_bridge *br, const struct ofp_mp_request *rq,
                     uint32_t xid, const uint8_t *req, size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_METER, xid);
    struct ofp_meter_stats *ms = malloc(sizeof *ms);
    if (!x || !ms) {
        if (x)
            c->tx.len = x->start;
        free(x);
        free(ms);
        return nomem(c, req, len, "meter");
    }
    size_t n = id_table_count(br->meters);
    for (size_t i = 0; i < n && !x->rc; i++) {
        const struct dp_meter *m = id_table_at(br->meters, i);
        if (!meter_selected(m, rq->meter_id))
            continue;
        memset(ms, 0, sizeof *ms);
        ms->meter_id = m->id;
        ms->flow_count = ref_count(br, m->id, true);
        ms->packet_in_count = load(&m->n_packets);
        ms->byte_in_count = load(&m->n_bytes);
        duration(m->created_ns, x->now, &ms->duration_sec, &ms->duration_nsec);
        ms->n_bands = m->n_bands < OFP_MAX_BANDS ? m->n_bands : OFP_MAX_BANDS;
        for (uint32_t b = 0; b < ms->n_bands; b++) {
            ms->bands[b].packet_band_count = load(&m->bands[b].n_packets);
            ms->bands[b].byte_band_count = load(&m->bands[b].n_bytes);
        }
        mp_added(x, ofp_mp_add_meter_stats(&x->mb, ms, &x->err));
    }
    free(ms);
    mp_end(x, req, len);
}

static void mp_meter_config(struct ofconn *c, struct dp_bridge *br,
                            const struct ofp_mp_request *rq, uint32_t xid, const uint8_t *req,
                            size_t len)
{
    struct mp_ctx *x = mp_begin(c, br, OFPMP_METER_CONFIG, xid);
    if (!x)
        return nomem(c, req, len, "meter_config");
    struct ofp_meter_config mc;
    size_t n = id_table_count(br->meters);
    for (size_t i = 0; i < n && !x->rc; i++) {
        const struct dp_meter *m = id_table_at(br->meters, i);
        if (!meter_selected(m, rq->meter_id))
            continue;
        ofh_meter_to_ofp(m, &mc);
        mp_added(x, ofp_mp_add_meter_config(&x->mb, &mc, &x->err));
    }
    mp_end(x, req, len);
}

static void mp_meter_features(struct ofconn *c, uint32_t xid, const uint8_t *req, size_t len)
{
    struct ofp_mp_reply *r = calloc(1, sizeof *r);
    if (!r)
        return nomem(c, req, len, "meter_features");
    r->type = OFPMP_METER_FEATURES;
    r->meter_features = (struct ofp_meter_features){
        .max_meter = OFC_MAX_METERS,
        .band_types = 1u << OFPMBT_DROP,
        .capabilities = OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS,
        .max_bands = OFP_MAX_BANDS < DP_METER_MAX_BANDS ? OFP_MAX_BANDS : DP_METER_MAX_BANDS,
        .max_color = 0,
    };
    struct ofp_err e = {0};
    if (ofp_encode_mp_reply(&c->tx, xid, r, &e) == 0)
        ofc_queued(c, 1);
    else
        ofc_send_error(c, &e, req, len);
    free(r);
}

/* --- Dispatch ---------------------------------------------------------------------------- */

void ofh_multipart(struct ofconn *c, const struct ofp_mp_request *rq, uint32_t xid,
                   const uint8_t *req, size_t len)
{
    struct dp_bridge *br = ofc_bridge(c->ob);
    if (!br)
        return;
    if (rq->flags & OFPMPF_REQ_MORE) {
        /* Only TABLE_FEATURES requests span messages, and setting features is refused. */
        mp_error(c, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, req, len,
                 "multipart request: REQ_MORE (a request in several messages) is not "
                 "supported");
        return;
    }
    switch (rq->type) {
    case OFPMP_DESC:
        return mp_desc(c, xid, req, len);
    case OFPMP_FLOW:
        return mp_flow(c, br, rq, xid, req, len);
    case OFPMP_AGGREGATE:
        return mp_aggregate(c, br, rq, xid, req, len);
    case OFPMP_TABLE:
        return mp_table(c, br, xid, req, len);
    case OFPMP_PORT_STATS:
        return mp_port_stats(c, br, rq, xid, req, len);
    case OFPMP_PORT_DESC:
        return mp_port_desc(c, br, xid, req, len);
    case OFPMP_TABLE_FEATURES:
        return mp_table_features(c, br, xid, req, len);
    case OFPMP_GROUP:
        return mp_group(c, br, rq, xid, req, len);
    case OFPMP_GROUP_DESC:
        return mp_group_desc(c, br, xid, req, len);
    case OFPMP_GROUP_FEATURES:
        return mp_group_features(c, xid, req, len);
    case OFPMP_METER:
        return mp_meter(c, br, rq, xid, req, len);
    case OFPMP_METER_CONFIG:
        return mp_meter_config(c, br, rq, xid, req, len);
    case OFPMP_METER_FEATURES:
        return mp_meter_features(c, xid, req, len);
    default:
        mp_error(c, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART, req, len,
                 "multipart request type %u is not supported", rq->type);
        return;
    }
}
