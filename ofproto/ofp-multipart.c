/* ofp-multipart.c — MULTIPART requests and replies: bodies, the reply cursor and the reply
 * builder that splits long replies into messages under 64 KiB.
 *
 * A list reply is a sequence of self-delimiting entries. The builder appends each entry
 * to the message being filled; when an entry would push that message past the limit, it
 * closes the message with OFPMPF_REPLY_MORE and moves the entry into a new message (by
 * inserting a fresh 16-byte header in front of it), so that an entry is encoded once and
 * never split. */
#include <stdio.h>
#include <string.h>

#include "ofproto/ofp-codec-priv.h"

#define MP_HEADER_LEN 16 /* ofp_header + type, flags, pad[4] */
#define DESC_LEN (4 * OFP_DESC_STR_LEN + OFP_SERIAL_NUM_LEN)
#define FLOW_STATS_REQUEST_FIXED 32
#define FLOW_STATS_FIXED 48
#define AGGREGATE_LEN 24
#define TABLE_STATS_LEN 24
#define PORT_STATS_LEN 112
#define TABLE_FEATURES_FIXED 64
#define GROUP_STATS_FIXED 40
#define BUCKET_COUNTER_LEN 16
#define GROUP_DESC_FIXED 8
#define GROUP_FEATURES_LEN 40
#define METER_STATS_FIXED 40
#define METER_BAND_STATS_LEN 16
#define METER_CONFIG_FIXED 8
#define METER_FEATURES_LEN 16

static const char *mp_name(uint16_t type)
{
    static const char *const names[] = {
        "desc",         "flow",           "aggregate",      "table",          "port_stats",
        "queue",        "group",          "group_desc",     "group_features", "meter",
        "meter_config", "meter_features", "table_features", "port_desc"};
    if (type < sizeof names / sizeof names[0])
        return names[type];
    return type == OFPMP_EXPERIMENTER ? "experimenter" : "unknown";
}

/* ---------------------------------------------------------------------------------------
 * Requests.
 */
static void filter_init(struct flow_spec *s)
{
    memset(s, 0, sizeof *s);
    s->priority = OFP_DEFAULT_PRIORITY;
    s->out_port = DP_OFPORT_ANY;
    s->out_group = OFPG_ANY;
}

static bool stats_port_ok(uint32_t port)
{
    return port < DP_OFPORT_MAX || port == DP_OFPORT_LOCAL || port == DP_OFPORT_ANY;
}

static int expect_body(uint16_t type, size_t have, size_t want, bool request, struct ofp_err *err)
{
    if (have != want)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "multipart %s %s: body of %zu bytes, expected %zu", mp_name(type),
                        request ? "request" : "reply", have, want);
    return 0;
}

int ofp_decode_mp_request(const void *data, size_t len, struct ofp_mp_request *r,
                          struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_MULTIPART_REQUEST, MP_HEADER_LEN, "multipart request",
                            NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data, *body = p + MP_HEADER_LEN;
    size_t blen = len - MP_HEADER_LEN;
    char pbuf[16];
    r->type = get_be16(p + 8);
    r->flags = get_be16(p + 10);
    switch (r->type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
    case OFPMP_GROUP_DESC:
    case OFPMP_GROUP_FEATURES:
    case OFPMP_METER_FEATURES:
        return expect_body(r->type, blen, 0, true, err);
    case OFPMP_TABLE_FEATURES:
        if (blen)
            return ofp_fail(err, OFPET_TABLE_FEATURES_FAILED, OFPTFFC_EPERM,
                            "multipart table_features request: setting table features (a "
                            "%zu-byte body) is not supported",
                            blen);
        return 0;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
        if (blen < FLOW_STATS_REQUEST_FIXED)
            return expect_body(r->type, blen, FLOW_STATS_REQUEST_FIXED + 8, true, err);
        struct flow_spec *s = &r->flow;
        filter_init(s);
        uint8_t table = body[0];
        s->table_id = table == OFPTT_ALL ? 0 : table;
        s->table_given = table != OFPTT_ALL;
        s->out_port = get_be32(body + 4);
        s->out_group = get_be32(body + 8);
        s->cookie = get_be64(body + 16);
        s->cookie_mask = get_be64(body + 24);
        size_t mlen;
        if ((ret = ofp_match_decode(body + FLOW_STATS_REQUEST_FIXED,
                                    blen - FLOW_STATS_REQUEST_FIXED, &s->match, &mlen, err)))
            return ofp_err_prefix(err, ret, "multipart %s request", mp_name(r->type));
        return expect_body(r->type, blen, FLOW_STATS_REQUEST_FIXED + mlen, true, err);
    }
    case OFPMP_PORT_STATS:
        if ((ret = expect_body(r->type, blen, 8, true, err)))
            return ret;
        r->port_no = get_be32(body);
        if (!stats_port_ok(r->port_no))
            return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT,
                            "multipart port_stats request: port %s is not a port or ANY",
                            ofp_port_str(r->port_no, pbuf));
        return 0;
    case OFPMP_GROUP:
        if ((ret = expect_body(r->type, blen, 8, true, err)))
            return ret;
        r->group_id = get_be32(body);
        return 0;
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        if ((ret = expect_body(r->type, blen, 8, true, err)))
            return ret;
        r->meter_id = get_be32(body);
        return 0;
    case OFPMP_EXPERIMENTER:
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER,
                        "multipart experimenter request: no experimenter is supported");
    }
    return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                    "multipart request type %u (%s) is not supported", r->type, mp_name(r->type));
}

/* Starts a multipart message: returns its offset, or -ENOMEM. */
static long mp_start(struct ofp_buf *b, uint8_t msg_type, uint32_t xid, uint16_t type,
                     uint16_t flags)
{
    long start = ofp_msg_start(b, msg_type, xid);
    if (start < 0)
        return start;
    uint8_t *p = ofp_buf_put(b, MP_HEADER_LEN - OFP_HEADER_LEN);
    if (!p) {
        ofp_buf_truncate(b, (size_t)start);
        return -ENOMEM;
    }
    set_be16(p, type);
    set_be16(p + 2, flags);
    return start;
}

static int mp_nomem(struct ofp_buf *b, long start, struct ofp_err *err, const char *what)
{
    if (start >= 0)
        ofp_buf_truncate(b, (size_t)start);
    return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_REQUEST, OFPBRC_EPERM, "%s: out of memory", what);
}

int ofp_encode_mp_request(struct ofp_buf *b, uint32_t xid, const struct ofp_mp_request *r,
                          struct ofp_err *err)
{
    long start = mp_start(b, OFPT_MULTIPART_REQUEST, xid, r->type, r->flags);
    if (start < 0)
        return mp_nomem(b, start, err, "multipart request");
    uint8_t *p;
    int ret;
    switch (r->type) {
    case OFPMP_DESC:
    case OFPMP_TABLE:
    case OFPMP_PORT_DESC:
    case OFPMP_GROUP_DESC:
    case OFPMP_GROUP_FEATURES:
    case OFPMP_METER_FEATURES:
    case OFPMP_TABLE_FEATURES:
        break;
    case OFPMP_FLOW:
    case OFPMP_AGGREGATE: {
        const struct flow_spec *s = &r->flow;
        if (!(p = ofp_buf_put(b, FLOW_STATS_REQUEST_FIXED)))
            return mp_nomem(b, start, err, "multipart request");
        p[0] = s->table_given ? s->table_id : OFPTT_ALL;
        set_be32(p + 4, s->out_port);
        set_be32(p + 8, s->out_group);
        set_be64(p + 16, s->cookie);
        set_be64(p + 24, s->cookie_mask);
        if ((ret = ofp_match_encode(b, &s->match, err))) {
            ofp_buf_truncate(b, (size_t)start);
            return ofp_err_prefix(err, ret, "multipart %s request", mp_name(r->type));
        }
        break;
    }
    case OFPMP_PORT_STATS:
    case OFPMP_GROUP:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        if (!(p = ofp_buf_put(b, 8)))
            return mp_nomem(b, start, err, "multipart request");
        set_be32(p, r->type == OFPMP_PORT_STATS ? r->port_no
                    : r->type == OFPMP_GROUP    ? r->group_id
                                                : r->meter_id);
        break;
    default:
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                            "multipart request type %u is not supported", r->type);
    }
    return ofp_msg_end(b, (size_t)start, err, "multipart request");
}

/* ---------------------------------------------------------------------------------------
 * Single-entry reply bodies.
 */
static void desc_pull(const uint8_t *p, struct ofp_desc *d)
{
    ofp_get_string(d->mfr_desc, sizeof d->mfr_desc, p, OFP_DESC_STR_LEN);
    ofp_get_string(d->hw_desc, sizeof d->hw_desc, p + 256, OFP_DESC_STR_LEN);
    ofp_get_string(d->sw_desc, sizeof d->sw_desc, p + 512, OFP_DESC_STR_LEN);
    ofp_get_string(d->serial_num, sizeof d->serial_num, p + 768, OFP_SERIAL_NUM_LEN);
    ofp_get_string(d->dp_desc, sizeof d->dp_desc, p + 800, OFP_DESC_STR_LEN);
}

static void desc_put(uint8_t *p, const struct ofp_desc *d)
{
    ofp_put_string(p, OFP_DESC_STR_LEN, d->mfr_desc);
    ofp_put_string(p + 256, OFP_DESC_STR_LEN, d->hw_desc);
    ofp_put_string(p + 512, OFP_DESC_STR_LEN, d->sw_desc);
    ofp_put_string(p + 768, OFP_SERIAL_NUM_LEN, d->serial_num);
    ofp_put_string(p + 800, OFP_DESC_STR_LEN, d->dp_desc);
}

int ofp_decode_mp_reply(const void *data, size_t len, struct ofp_mp_reply *r, struct ofp_err *err)
{
    int ret =
        ofp_check_msg(data, len, OFPT_MULTIPART_REPLY, MP_HEADER_LEN, "multipart reply", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data, *body = p + MP_HEADER_LEN;
    size_t blen = len - MP_HEADER_LEN;
    r->type = get_be16(p + 8);
    r->flags = get_be16(p + 10);
    r->body = body;
    r->body_len = blen;
    switch (r->type) {
    case OFPMP_DESC:
        if ((ret = expect_body(r->type, blen, DESC_LEN, false, err)))
            return ret;
        desc_pull(body, &r->desc);
        return 0;
    case OFPMP_AGGREGATE:
        if ((ret = expect_body(r->type, blen, AGGREGATE_LEN, false, err)))
            return ret;
        r->aggregate.packet_count = get_be64(body);
        r->aggregate.byte_count = get_be64(body + 8);
        r->aggregate.flow_count = get_be32(body + 16);
        return 0;
    case OFPMP_GROUP_FEATURES:
        if ((ret = expect_body(r->type, blen, GROUP_FEATURES_LEN, false, err)))
            return ret;
        r->group_features.types = get_be32(body);
        r->group_features.capabilities = get_be32(body + 4);
        for (int i = 0; i < 4; i++) {
            r->group_features.max_groups[i] = get_be32(body + 8 + 4 * i);
            r->group_features.actions[i] = get_be32(body + 24 + 4 * i);
        }
        return 0;
    case OFPMP_METER_FEATURES:
        if ((ret = expect_body(r->type, blen, METER_FEATURES_LEN, false, err)))
            return ret;
        r->meter_features.max_meter = get_be32(body);
        r->meter_features.band_types = get_be32(body + 4);
        r->meter_features.capabilities = get_be32(body + 8);
        r->meter_features.max_bands = body[12];
        r->meter_features.max_color = body[13];
        return 0;
    case OFPMP_FLOW:
    case OFPMP_TABLE:
    case OFPMP_PORT_STATS:
    case OFPMP_PORT_DESC:
    case OFPMP_TABLE_FEATURES:
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        return 0;
    }
    return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                    "multipart reply type %u (%s) is not supported", r->type, mp_name(r->type));
}

int ofp_encode_mp_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_mp_reply *r,
                        struct ofp_err *err)
{
    long start = mp_start(b, OFPT_MULTIPART_REPLY, xid, r->type, r->flags);
    if (start < 0)
        return mp_nomem(b, start, err, "multipart reply");
    uint8_t *p;
    switch (r->type) {
    case OFPMP_DESC:
        if (!(p = ofp_buf_put(b, DESC_LEN)))
            return mp_nomem(b, start, err, "multipart reply");
        desc_put(p, &r->desc);
        break;
    case OFPMP_AGGREGATE:
        if (!(p = ofp_buf_put(b, AGGREGATE_LEN)))
            return mp_nomem(b, start, err, "multipart reply");
        set_be64(p, r->aggregate.packet_count);
        set_be64(p + 8, r->aggregate.byte_count);
        set_be32(p + 16, r->aggregate.flow_count);
        break;
    case OFPMP_GROUP_FEATURES:
        if (!(p = ofp_buf_put(b, GROUP_FEATURES_LEN)))
            return mp_nomem(b, start, err, "multipart reply");
        set_be32(p, r->group_features.types);
        set_be32(p + 4, r->group_features.capabilities);
        for (int i = 0; i < 4; i++) {
            set_be32(p + 8 + 4 * i, r->group_features.max_groups[i]);
            set_be32(p + 24 + 4 * i, r->group_features.actions[i]);
        }
        break;
    case OFPMP_METER_FEATURES:
        if (!(p = ofp_buf_put(b, METER_FEATURES_LEN)))
            return mp_nomem(b, start, err, "multipart reply");
        set_be32(p, r->meter_features.max_meter);
        set_be32(p + 4, r->meter_features.band_types);
        set_be32(p + 8, r->meter_features.capabilities);
        p[12] = r->meter_features.max_bands;
        p[13] = r->meter_features.max_color;
        break;
    case OFPMP_FLOW:
    case OFPMP_TABLE:
    case OFPMP_PORT_STATS:
    case OFPMP_PORT_DESC:
    case OFPMP_TABLE_FEATURES:
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        if (r->body_len > OFP_MAX_MSG_LEN) {
            ofp_buf_truncate(b, (size_t)start);
            return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                                "multipart %s reply: %zu-byte body", mp_name(r->type), r->body_len);
        }
        if (r->body_len) {
            if (!(p = ofp_buf_put(b, r->body_len)))
                return mp_nomem(b, start, err, "multipart reply");
            memcpy(p, r->body, r->body_len);
        }
        break;
    default:
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                            "multipart reply type %u is not supported", r->type);
    }
    return ofp_msg_end(b, (size_t)start, err, "multipart reply");
}

/* ---------------------------------------------------------------------------------------
 * List entries: pull (decode one, given the bytes left) and put (append one).
 */
static int entry_len_fail(uint16_t type, size_t left, unsigned len, struct ofp_err *err)
{
    return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                    "multipart %s reply: entry of length %u in %zu bytes left", mp_name(type), len,
                    left);
}

static int flow_stats_pull(const uint8_t *p, size_t left, struct ofp_flow_stats *fs,
                           size_t *consumed, struct ofp_err *err)
{
    if (left < 2)
        return entry_len_fail(OFPMP_FLOW, left, 0, err);
    uint16_t len = get_be16(p);
    if (len < FLOW_STATS_FIXED + 8 || len % 8 || len > left)
        return entry_len_fail(OFPMP_FLOW, left, len, err);
    struct flow_spec *s = &fs->spec;
    filter_init(s);
    s->table_id = p[2];
    s->table_given = true;
    fs->duration_sec = get_be32(p + 4);
    fs->duration_nsec = get_be32(p + 8);
    s->priority = get_be16(p + 12);
    s->priority_given = true;
    s->idle_timeout = get_be16(p + 14);
    s->hard_timeout = get_be16(p + 16);
    s->flags = get_be16(p + 18);
    s->cookie = get_be64(p + 24);
    fs->packet_count = get_be64(p + 32);
    fs->byte_count = get_be64(p + 40);
    size_t mlen;
    int ret = ofp_match_decode(p + FLOW_STATS_FIXED, len - FLOW_STATS_FIXED, &s->match, &mlen, err);
    if (ret)
        return ret;
    if ((ret = ofp_instructions_decode(p + FLOW_STATS_FIXED + mlen, len - FLOW_STATS_FIXED - mlen,
                                       s, err)))
        return ret;
    *consumed = len;
    return 0;
}

static int flow_stats_put(struct ofp_buf *b, const struct ofp_flow_stats *fs, struct ofp_err *err)
{
    const struct flow_spec *s = &fs->spec;
    size_t start = b->len;
    uint8_t *p = ofp_buf_put(b, FLOW_STATS_FIXED);
    if (!p)
        return -ENOMEM;
    p[2] = s->table_id;
    set_be32(p + 4, fs->duration_sec);
    set_be32(p + 8, fs->duration_nsec);
    set_be16(p + 12, s->priority);
    set_be16(p + 14, s->idle_timeout);
    set_be16(p + 16, s->hard_timeout);
    set_be16(p + 18, s->flags);
    set_be64(p + 24, s->cookie);
    set_be64(p + 32, fs->packet_count);
    set_be64(p + 40, fs->byte_count);
    int ret = ofp_match_encode(b, &s->match, err);
    if (!ret)
        ret = ofp_instructions_encode(b, s, err);
    if (!ret && b->len - start > 0xffff)
        ret = ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                           "flow entry of %zu bytes", b->len - start);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ret;
    }
    set_be16(b->data + start, (uint16_t)(b->len - start));
    return 0;
}

static int table_stats_pull(const uint8_t *p, size_t left, struct ofp_table_stats *ts,
                            size_t *consumed, struct ofp_err *err)
{
    if (left < TABLE_STATS_LEN)
        return entry_len_fail(OFPMP_TABLE, left, TABLE_STATS_LEN, err);
    ts->table_id = p[0];
    ts->active_count = get_be32(p + 4);
    ts->lookup_count = get_be64(p + 8);
    ts->matched_count = get_be64(p + 16);
    *consumed = TABLE_STATS_LEN;
    return 0;
}

static int table_stats_put(struct ofp_buf *b, const struct ofp_table_stats *ts)
{
    uint8_t *p = ofp_buf_put(b, TABLE_STATS_LEN);
    if (!p)
        return -ENOMEM;
    p[0] = ts->table_id;
    set_be32(p + 4, ts->active_count);
    set_be64(p + 8, ts->lookup_count);
    set_be64(p + 16, ts->matched_count);
    return 0;
}

#define PORT_STATS_N_COUNTERS 12

static uint64_t *port_counters(struct ofp_port_stats *ps, int i)
{
    uint64_t *c[PORT_STATS_N_COUNTERS] = {&ps->rx_packets,  &ps->tx_packets, &ps->rx_bytes,
                                          &ps->tx_bytes,    &ps->rx_dropped, &ps->tx_dropped,
                                          &ps->rx_errors,   &ps->tx_errors,  &ps->rx_frame_err,
                                          &ps->rx_over_err, &ps->rx_crc_err, &ps->collisions};
    return c[i];
}

static int port_stats_pull(const uint8_t *p, size_t left, struct ofp_port_stats *ps,
                           size_t *consumed, struct ofp_err *err)
{
    if (left < PORT_STATS_LEN)
        return entry_len_fail(OFPMP_PORT_STATS, left, PORT_STATS_LEN, err);
    ps->port_no = get_be32(p);
    for (int i = 0; i < PORT_STATS_N_COUNTERS; i++)
        *port_counters(ps, i) = get_be64(p + 8 + 8 * i);
    ps->duration_sec = get_be32(p + 104);
    ps->duration_nsec = get_be32(p + 108);
    *consumed = PORT_STATS_LEN;
    return 0;
}

static int port_stats_put(struct ofp_buf *b, const struct ofp_port_stats *ps)
{
    uint8_t *p = ofp_buf_put(b, PORT_STATS_LEN);
    if (!p)
        return -ENOMEM;
    struct ofp_port_stats copy = *ps;
    set_be32(p, ps->port_no);
    for (int i = 0; i < PORT_STATS_N_COUNTERS; i++)
        set_be64(p + 8 + 8 * i, *port_counters(&copy, i));
    set_be32(p + 104, ps->duration_sec);
    set_be32(p + 108, ps->duration_nsec);
    return 0;
}

static int port_desc_pull(const uint8_t *p, size_t left, struct ofp_port *port, size_t *consumed,
                          struct ofp_err *err)
{
    if (left < OFP_PORT_LEN)
        return entry_len_fail(OFPMP_PORT_DESC, left, OFP_PORT_LEN, err);
    ofp_port_pull(p, port);
    *consumed = OFP_PORT_LEN;
    return 0;
}

static int port_desc_put(struct ofp_buf *b, const struct ofp_port *port)
{
    uint8_t *p = ofp_buf_put(b, OFP_PORT_LEN);
    if (!p)
        return -ENOMEM;
    ofp_port_put(p, port);
    return 0;
}

static int group_stats_pull(const uint8_t *p, size_t left, struct ofp_group_stats *gs,
                            size_t *consumed, struct ofp_err *err)
{
    if (left < 2)
        return entry_len_fail(OFPMP_GROUP, left, 0, err);
    uint16_t len = get_be16(p);
    if (len < GROUP_STATS_FIXED || (len - GROUP_STATS_FIXED) % BUCKET_COUNTER_LEN || len > left)
        return entry_len_fail(OFPMP_GROUP, left, len, err);
    uint32_t n = (len - GROUP_STATS_FIXED) / BUCKET_COUNTER_LEN;
    if (n > OFP_MAX_BUCKETS)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                        "multipart group reply: %u bucket counters, at most %d", n,
                        OFP_MAX_BUCKETS);
    gs->group_id = get_be32(p + 4);
    gs->ref_count = get_be32(p + 8);
    gs->packet_count = get_be64(p + 16);
    gs->byte_count = get_be64(p + 24);
    gs->duration_sec = get_be32(p + 32);
    gs->duration_nsec = get_be32(p + 36);
    gs->n_buckets = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *q = p + GROUP_STATS_FIXED + BUCKET_COUNTER_LEN * i;
        gs->buckets[i].packet_count = get_be64(q);
        gs->buckets[i].byte_count = get_be64(q + 8);
    }
    *consumed = len;
    return 0;
}

static int group_stats_put(struct ofp_buf *b, const struct ofp_group_stats *gs, struct ofp_err *err)
{
    if (gs->n_buckets > OFP_MAX_BUCKETS)
        return ofp_enc_fail(err, -EINVAL, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                            "group %u: %u bucket counters, at most %d", gs->group_id, gs->n_buckets,
                            OFP_MAX_BUCKETS);
    size_t len = GROUP_STATS_FIXED + (size_t)BUCKET_COUNTER_LEN * gs->n_buckets;
    uint8_t *p = ofp_buf_put(b, len);
    if (!p)
        return -ENOMEM;
    set_be16(p, (uint16_t)len);
    set_be32(p + 4, gs->group_id);
    set_be32(p + 8, gs->ref_count);
    set_be64(p + 16, gs->packet_count);
    set_be64(p + 24, gs->byte_count);
    set_be32(p + 32, gs->duration_sec);
    set_be32(p + 36, gs->duration_nsec);
    for (uint32_t i = 0; i < gs->n_buckets; i++) {
        uint8_t *q = p + GROUP_STATS_FIXED + BUCKET_COUNTER_LEN * i;
        set_be64(q, gs->buckets[i].packet_count);
        set_be64(q + 8, gs->buckets[i].byte_count);
    }
    return 0;
}

static int group_desc_pull(const uint8_t *p, size_t left, struct ofp_group *g, size_t *consumed,
                           struct ofp_err *err)
{
    if (left < 2)
        return entry_len_fail(OFPMP_GROUP_DESC, left, 0, err);
    uint16_t len = get_be16(p);
    if (len < GROUP_DESC_FIXED || len % 8 || len > left)
        return entry_len_fail(OFPMP_GROUP_DESC, left, len, err);
    g->type = p[2];
    g->group_id = get_be32(p + 4);
    g->n_buckets = 0;
    if (g->type > OFPGT_FF)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE,
                        "group %u: type %u is not a group type", g->group_id, g->type);
    int ret = ofp_buckets_pull(p + GROUP_DESC_FIXED, len - GROUP_DESC_FIXED, g, err);
    if (ret)
        return ofp_err_prefix(err, ret, "group %u", g->group_id);
    *consumed = len;
    return 0;
}

static int group_desc_put(struct ofp_buf *b, const struct ofp_group *g, struct ofp_err *err)
{
    if (g->type > OFPGT_FF)
        return ofp_enc_fail(err, -EINVAL, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE,
                            "group %u: type %u is not a group type", g->group_id, g->type);
    size_t start = b->len;
    uint8_t *p = ofp_buf_put(b, GROUP_DESC_FIXED);
    if (!p)
        return -ENOMEM;
    p[2] = g->type;
    set_be32(p + 4, g->group_id);
    int ret = ofp_buckets_put(b, g, err);
    if (!ret && b->len - start > 0xffff)
        ret = ofp_enc_fail(err, -EMSGSIZE, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET,
                           "group %u: %zu bytes", g->group_id, b->len - start);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ret;
    }
    set_be16(b->data + start, (uint16_t)(b->len - start));
    return 0;
}

static int meter_stats_pull(const uint8_t *p, size_t left, struct ofp_meter_stats *ms,
                            size_t *consumed, struct ofp_err *err)
{
    if (left < 6)
        return entry_len_fail(OFPMP_METER, left, 0, err);
    uint16_t len = get_be16(p + 4);
    if (len < METER_STATS_FIXED || (len - METER_STATS_FIXED) % METER_BAND_STATS_LEN || len > left)
        return entry_len_fail(OFPMP_METER, left, len, err);
    uint32_t n = (len - METER_STATS_FIXED) / METER_BAND_STATS_LEN;
    if (n > OFP_MAX_BANDS)
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS,
                        "multipart meter reply: %u band counters, at most %d", n, OFP_MAX_BANDS);
    ms->meter_id = get_be32(p);
    ms->flow_count = get_be32(p + 12);
    ms->packet_in_count = get_be64(p + 16);
    ms->byte_in_count = get_be64(p + 24);
    ms->duration_sec = get_be32(p + 32);
    ms->duration_nsec = get_be32(p + 36);
    ms->n_bands = n;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *q = p + METER_STATS_FIXED + METER_BAND_STATS_LEN * i;
        ms->bands[i].packet_band_count = get_be64(q);
        ms->bands[i].byte_band_count = get_be64(q + 8);
    }
    *consumed = len;
    return 0;
}

static int meter_stats_put(struct ofp_buf *b, const struct ofp_meter_stats *ms, struct ofp_err *err)
{
    if (ms->n_bands > OFP_MAX_BANDS)
        return ofp_enc_fail(err, -EINVAL, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS,
                            "meter %u: %u band counters, at most %d", ms->meter_id, ms->n_bands,
                            OFP_MAX_BANDS);
    size_t len = METER_STATS_FIXED + (size_t)METER_BAND_STATS_LEN * ms->n_bands;
    uint8_t *p = ofp_buf_put(b, len);
    if (!p)
        return -ENOMEM;
    set_be32(p, ms->meter_id);
    set_be16(p + 4, (uint16_t)len);
    set_be32(p + 12, ms->flow_count);
    set_be64(p + 16, ms->packet_in_count);
    set_be64(p + 24, ms->byte_in_count);
    set_be32(p + 32, ms->duration_sec);
    set_be32(p + 36, ms->duration_nsec);
    for (uint32_t i = 0; i < ms->n_bands; i++) {
        uint8_t *q = p + METER_STATS_FIXED + METER_BAND_STATS_LEN * i;
        set_be64(q, ms->bands[i].packet_band_count);
        set_be64(q + 8, ms->bands[i].byte_band_count);
    }
    return 0;
}

static int meter_config_pull(const uint8_t *p, size_t left, struct ofp_meter_config *mc,
                             size_t *consumed, struct ofp_err *err)
{
    if (left < 2)
        return entry_len_fail(OFPMP_METER_CONFIG, left, 0, err);
    uint16_t len = get_be16(p);
    if (len < METER_CONFIG_FIXED || len % 8 || len > left)
        return entry_len_fail(OFPMP_METER_CONFIG, left, len, err);
    mc->flags = get_be16(p + 2);
    mc->meter_id = get_be32(p + 4);
    int ret = ofp_bands_pull(p + METER_CONFIG_FIXED, len - METER_CONFIG_FIXED, mc, err);
    if (ret)
        return ofp_err_prefix(err, ret, "meter %u", mc->meter_id);
    *consumed = len;
    return 0;
}

static int meter_config_put(struct ofp_buf *b, const struct ofp_meter_config *mc,
                            struct ofp_err *err)
{
    size_t start = b->len;
    uint8_t *p = ofp_buf_put(b, METER_CONFIG_FIXED);
    if (!p)
        return -ENOMEM;
    set_be16(p + 2, mc->flags);
    set_be32(p + 4, mc->meter_id);
    int ret = ofp_bands_put(b, mc, err);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ofp_err_prefix(err, ret, "meter %u", mc->meter_id);
    }
    set_be16(b->data + start, (uint16_t)(b->len - start));
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Table features: a fixed part and properties, each a list of 4-byte headers (instruction,
 * action, OXM) or of table ids.
 */
enum tf_prop {
    OFPTFPT_INSTRUCTIONS = 0,
    OFPTFPT_INSTRUCTIONS_MISS = 1,
    OFPTFPT_NEXT_TABLES = 2,
    OFPTFPT_NEXT_TABLES_MISS = 3,
    OFPTFPT_WRITE_ACTIONS = 4,
    OFPTFPT_WRITE_ACTIONS_MISS = 5,
    OFPTFPT_APPLY_ACTIONS = 6,
    OFPTFPT_APPLY_ACTIONS_MISS = 7,
    OFPTFPT_MATCH = 8,
    OFPTFPT_WILDCARDS = 10,
    OFPTFPT_WRITE_SETFIELD = 12,
    OFPTFPT_WRITE_SETFIELD_MISS = 13,
    OFPTFPT_APPLY_SETFIELD = 14,
    OFPTFPT_APPLY_SETFIELD_MISS = 15,
    OFPTFPT_EXPERIMENTER = 0xfffe,
    OFPTFPT_EXPERIMENTER_MISS = 0xffff,
};

static int tf_fail(struct ofp_err *err, uint16_t code, const struct ofp_table_features *tf,
                   const char *fmt, const char *detail, unsigned a, size_t b)
{
    char what[96];
    snprintf(what, sizeof what, fmt, detail, a, b);
    return ofp_fail(err, OFPET_TABLE_FEATURES_FAILED, code, "table %u features: %s", tf->table_id,
                    what);
}

/* A list of instruction or action headers: bit n of *bits for each type n < 32. Entries
 * are 4 bytes, or longer for experimenter ones (skipped). */
static int tf_pull_type_list(const uint8_t *p, size_t len, uint32_t *bits,
                             const struct ofp_table_features *tf, struct ofp_err *err)
{
    *bits = 0;
    for (size_t off = 0; off < len;) {
        if (len - off < 4)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: %u-byte tail, %zu", "type list",
                           (unsigned)(len - off), off);
        uint16_t type = get_be16(p + off), elen = get_be16(p + off + 2);
        if (elen < 4 || elen > len - off)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: entry length %u at offset %zu",
                           "type list", elen, off);
        if (type < 32)
            *bits |= 1u << type;
        off += elen;
    }
    return 0;
}

/* A list of OXM headers: bit n of *bits for each basic-class field n < 64; *masked gets
 * the ones with HASMASK (when not NULL). Other classes are skipped. */
static int tf_pull_oxm_list(const uint8_t *p, size_t len, uint64_t *bits, uint64_t *masked,
                            const struct ofp_table_features *tf, struct ofp_err *err)
{
    *bits = 0;
    if (masked)
        *masked = 0;
    for (size_t off = 0; off < len;) {
        if (len - off < 4)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: %u-byte tail, %zu", "OXM list",
                           (unsigned)(len - off), off);
        uint16_t oxm_class = get_be16(p + off);
        uint8_t field = p[off + 2] >> 1;
        size_t elen = oxm_class == OXM_CLASS_EXPERIMENTER ? 8 : 4;
        if (elen > len - off)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: experimenter OXM of %u bytes at %zu",
                           "OXM list", (unsigned)(len - off), off);
        if (oxm_class == OXM_CLASS_BASIC && field < 64) {
            *bits |= 1ull << field;
            if (masked && (p[off + 2] & 1))
                *masked |= 1ull << field;
        }
        off += elen;
    }
    return 0;
}

static int table_features_pull(const uint8_t *p, size_t left, struct ofp_table_features *tf,
                               size_t *consumed, struct ofp_err *err)
{
    memset(tf, 0, sizeof *tf);
    if (left < 2)
        return entry_len_fail(OFPMP_TABLE_FEATURES, left, 0, err);
    uint16_t len = get_be16(p);
    if (len < TABLE_FEATURES_FIXED || len % 8 || len > left)
        return ofp_fail(err, OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN,
                        "table features: entry length %u in %zu bytes left (64 + 8n)", len, left);
    tf->table_id = p[2];
    ofp_get_string(tf->name, sizeof tf->name, p + 8, OFP_MAX_TABLE_NAME_LEN);
    tf->metadata_match = get_be64(p + 40);
    tf->metadata_write = get_be64(p + 48);
    tf->config = get_be32(p + 56);
    tf->max_entries = get_be32(p + 60);

    uint32_t seen = 0; /* bit per property type 0..15 */
    for (size_t off = TABLE_FEATURES_FIXED; off < len;) {
        if (len - off < 4)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: %u bytes at %zu", "property tail",
                           (unsigned)(len - off), off);
        uint16_t type = get_be16(p + off), plen = get_be16(p + off + 2);
        if (plen < 4 || pad8(plen) > len - off)
            return tf_fail(err, OFPTFFC_BAD_LEN, tf, "%s: length %u at offset %zu", "property",
                           plen, off);
        const uint8_t *body = p + off + 4;
        size_t blen = plen - 4u;
        int miss = type & 1;
        int ret = 0;
        if (type <= OFPTFPT_APPLY_SETFIELD_MISS) {
            if (seen & (1u << type))
                return tf_fail(err, OFPTFFC_BAD_ARGUMENT, tf, "%s %u appears twice at %zu",
                               "property", type, off);
            seen |= 1u << type;
        }
        switch (type) {
        case OFPTFPT_INSTRUCTIONS:
        case OFPTFPT_INSTRUCTIONS_MISS:
            ret = tf_pull_type_list(body, blen, &tf->instructions[miss], tf, err);
            break;
        case OFPTFPT_NEXT_TABLES:
        case OFPTFPT_NEXT_TABLES_MISS:
            for (size_t i = 0; i < blen; i++)
                tf->next_tables[miss][body[i] / 8] |= (uint8_t)(1u << (body[i] % 8));
            break;
        case OFPTFPT_WRITE_ACTIONS:
        case OFPTFPT_WRITE_ACTIONS_MISS:
            ret = tf_pull_type_list(body, blen, &tf->write_actions[miss], tf, err);
            break;
        case OFPTFPT_APPLY_ACTIONS:
        case OFPTFPT_APPLY_ACTIONS_MISS:
            ret = tf_pull_type_list(body, blen, &tf->apply_actions[miss], tf, err);
            break;
        case OFPTFPT_MATCH:
            ret = tf_pull_oxm_list(body, blen, &tf->match, &tf->match_masked, tf, err);
            break;
        case OFPTFPT_WILDCARDS:
            ret = tf_pull_oxm_list(body, blen, &tf->wildcards, NULL, tf, err);
            break;
        case OFPTFPT_WRITE_SETFIELD:
        case OFPTFPT_WRITE_SETFIELD_MISS:
            ret = tf_pull_oxm_list(body, blen, &tf->write_setfield[miss], NULL, tf, err);
            break;
        case OFPTFPT_APPLY_SETFIELD:
        case OFPTFPT_APPLY_SETFIELD_MISS:
            ret = tf_pull_oxm_list(body, blen, &tf->apply_setfield[miss], NULL, tf, err);
            break;
        case OFPTFPT_EXPERIMENTER:
        case OFPTFPT_EXPERIMENTER_MISS:
            break;
        default:
            return tf_fail(err, OFPTFFC_BAD_TYPE, tf, "%s type %u at offset %zu",
                           "unknown property", type, off);
        }
        if (ret)
            return ret;
        off += pad8(plen);
    }

    /* An omitted _MISS property is the same as its regular one. */
    if (!(seen & (1u << OFPTFPT_INSTRUCTIONS_MISS)))
        tf->instructions[1] = tf->instructions[0];
    if (!(seen & (1u << OFPTFPT_NEXT_TABLES_MISS)))
        memcpy(tf->next_tables[1], tf->next_tables[0], sizeof tf->next_tables[0]);
    if (!(seen & (1u << OFPTFPT_WRITE_ACTIONS_MISS)))
        tf->write_actions[1] = tf->write_actions[0];
    if (!(seen & (1u << OFPTFPT_APPLY_ACTIONS_MISS)))
        tf->apply_actions[1] = tf->apply_actions[0];
    if (!(seen & (1u << OFPTFPT_WRITE_SETFIELD_MISS)))
        tf->write_setfield[1] = tf->write_setfield[0];
    if (!(seen & (1u << OFPTFPT_APPLY_SETFIELD_MISS)))
        tf->apply_setfield[1] = tf->apply_setfield[0];
    *consumed = len;
    return 0;
}

/* Appends a property header + `n` bytes of zeroed body, padded; returns the body. */
static uint8_t *tf_put_prop(struct ofp_buf *b, uint16_t type, size_t n)
{
    uint8_t *p = ofp_buf_put(b, pad8(4 + n));
    if (!p)
        return NULL;
    set_be16(p, type);
    set_be16(p + 2, (uint16_t)(4 + n));
    return p + 4;
}

static int tf_put_type_list(struct ofp_buf *b, uint16_t type, uint32_t bits)
{
    uint8_t *p = tf_put_prop(b, type, 4u * (unsigned)__builtin_popcount(bits));
    if (!p)
        return -ENOMEM;
    for (unsigned i = 0; i < 32; i++)
        if (bits & (1u << i)) {
            set_be16(p, (uint16_t)i);
            set_be16(p + 2, 4);
            p += 4;
        }
    return 0;
}

static int tf_put_oxm_list(struct ofp_buf *b, uint16_t type, uint64_t bits, uint64_t masked)
{
    uint8_t *p = tf_put_prop(b, type, 4u * (unsigned)__builtin_popcountll(bits));
    if (!p)
        return -ENOMEM;
    for (unsigned i = 0; i < 64; i++)
        if (bits & (1ull << i)) {
            bool m = masked & (1ull << i);
            unsigned wl = ofp_oxm_wire_len(i) * (m ? 2 : 1);
            set_be16(p, OXM_CLASS_BASIC);
            p[2] = (uint8_t)(i << 1 | m);
            p[3] = (uint8_t)wl;
            p += 4;
        }
    return 0;
}

static int tf_put_next_tables(struct ofp_buf *b, uint16_t type, const uint8_t bits[32])
{
    unsigned n = 0;
    for (unsigned i = 0; i < 256; i++)
        n += (bits[i / 8] >> (i % 8)) & 1;
    uint8_t *p = tf_put_prop(b, type, n);
    if (!p)
        return -ENOMEM;
    for (unsigned i = 0; i < 256; i++)
        if ((bits[i / 8] >> (i % 8)) & 1)
            *p++ = (uint8_t)i;
    return 0;
}

static int table_features_put(struct ofp_buf *b, const struct ofp_table_features *tf,
                              struct ofp_err *err)
{
    size_t start = b->len;
    uint8_t *p = ofp_buf_put(b, TABLE_FEATURES_FIXED);
    if (!p)
        return -ENOMEM;
    p[2] = tf->table_id;
    ofp_put_string(p + 8, OFP_MAX_TABLE_NAME_LEN, tf->name);
    set_be64(p + 40, tf->metadata_match);
    set_be64(p + 48, tf->metadata_write);
    set_be32(p + 56, tf->config);
    set_be32(p + 60, tf->max_entries);

    /* Every property, _MISS ones included even when equal: some controllers (and
     * ovs-ofctl, for the regular ones) expect all of them. */
    int ret = 0;
    for (int miss = 0; miss < 2 && !ret; miss++) {
        ret = tf_put_type_list(b, OFPTFPT_INSTRUCTIONS + miss, tf->instructions[miss]);
        if (!ret)
            ret = tf_put_next_tables(b, OFPTFPT_NEXT_TABLES + miss, tf->next_tables[miss]);
        if (!ret)
            ret = tf_put_type_list(b, OFPTFPT_WRITE_ACTIONS + miss, tf->write_actions[miss]);
        if (!ret)
            ret = tf_put_type_list(b, OFPTFPT_APPLY_ACTIONS + miss, tf->apply_actions[miss]);
        if (!ret)
            ret = tf_put_oxm_list(b, OFPTFPT_WRITE_SETFIELD + miss, tf->write_setfield[miss], 0);
        if (!ret)
            ret = tf_put_oxm_list(b, OFPTFPT_APPLY_SETFIELD + miss, tf->apply_setfield[miss], 0);
    }
    if (!ret)
        ret = tf_put_oxm_list(b, OFPTFPT_MATCH, tf->match, tf->match_masked);
    if (!ret)
        ret = tf_put_oxm_list(b, OFPTFPT_WILDCARDS, tf->wildcards, 0);
    if (!ret && b->len - start > 0xffff)
        ret = ofp_enc_fail(err, -EMSGSIZE, OFPET_TABLE_FEATURES_FAILED, OFPTFFC_BAD_LEN,
                           "table %u features: %zu bytes", tf->table_id, b->len - start);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ret;
    }
    set_be16(b->data + start, (uint16_t)(b->len - start));
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Cursor.
 */
void ofp_mp_cursor_init(struct ofp_mp_cursor *c, const struct ofp_mp_reply *r)
{
    c->type = r->type;
    c->pos = r->body;
    c->left = r->body_len;
}

static int cursor_check(struct ofp_mp_cursor *c, uint16_t type, struct ofp_err *err)
{
    if (c->type != type)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                        "multipart %s reply read as %s entries", mp_name(c->type), mp_name(type));
    return c->left ? 1 : 0;
}

static int cursor_advance(struct ofp_mp_cursor *c, int ret, size_t consumed, struct ofp_err *err)
{
    if (ret)
        return ofp_err_prefix(err, ret, "multipart %s reply", mp_name(c->type));
    c->pos += consumed;
    c->left -= consumed;
    return 1;
}

#define CURSOR_NEXT(fn, mptype, entry_type, pull)                                                  \
    int fn(struct ofp_mp_cursor *c, entry_type *e, struct ofp_err *err)                            \
    {                                                                                              \
        int ret = cursor_check(c, mptype, err);                                                    \
        if (ret <= 0)                                                                              \
            return ret;                                                                            \
        size_t consumed = 0;                                                                       \
        ret = pull(c->pos, c->left, e, &consumed, err);                                            \
        return cursor_advance(c, ret, consumed, err);                                              \
    }

CURSOR_NEXT(ofp_mp_next_flow_stats, OFPMP_FLOW, struct ofp_flow_stats, flow_stats_pull)
CURSOR_NEXT(ofp_mp_next_table_stats, OFPMP_TABLE, struct ofp_table_stats, table_stats_pull)
CURSOR_NEXT(ofp_mp_next_port_stats, OFPMP_PORT_STATS, struct ofp_port_stats, port_stats_pull)
CURSOR_NEXT(ofp_mp_next_port_desc, OFPMP_PORT_DESC, struct ofp_port, port_desc_pull)
CURSOR_NEXT(ofp_mp_next_table_features, OFPMP_TABLE_FEATURES, struct ofp_table_features,
            table_features_pull)
CURSOR_NEXT(ofp_mp_next_group_stats, OFPMP_GROUP, struct ofp_group_stats, group_stats_pull)
CURSOR_NEXT(ofp_mp_next_group_desc, OFPMP_GROUP_DESC, struct ofp_group, group_desc_pull)
CURSOR_NEXT(ofp_mp_next_meter_stats, OFPMP_METER, struct ofp_meter_stats, meter_stats_pull)
CURSOR_NEXT(ofp_mp_next_meter_config, OFPMP_METER_CONFIG, struct ofp_meter_config,
            meter_config_pull)

/* ---------------------------------------------------------------------------------------
 * Builder.
 */
int ofp_mp_builder_start(struct ofp_mp_builder *mb, struct ofp_buf *buf, uint16_t type,
                         uint32_t xid)
{
    mb->buf = buf;
    mb->type = type;
    mb->xid = xid;
    mb->max_msg_len = OFP_MAX_MSG_LEN;
    long start = mp_start(buf, OFPT_MULTIPART_REPLY, xid, type, 0);
    if (start < 0)
        return -ENOMEM;
    mb->msg_start = (size_t)start;
    return 0;
}

/* Called after an entry was appended at `entry_start`: moves it to a new message if the
 * current one grew too long. */
static int builder_fit(struct ofp_mp_builder *mb, size_t entry_start, struct ofp_err *err)
{
    struct ofp_buf *b = mb->buf;
    size_t limit = mb->max_msg_len < OFP_MAX_MSG_LEN ? mb->max_msg_len : OFP_MAX_MSG_LEN;
    if (b->len - mb->msg_start <= limit)
        return 0;
    size_t elen = b->len - entry_start;
    if (MP_HEADER_LEN + elen > limit) {
        ofp_buf_truncate(b, entry_start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_MULTIPART_BUFFER_OVERFLOW,
                            "multipart %s reply: a %zu-byte entry cannot fit in one message",
                            mp_name(mb->type), elen);
    }
    if (ofp_buf_insert(b, entry_start, MP_HEADER_LEN)) {
        ofp_buf_truncate(b, entry_start);
        return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_REQUEST, OFPBRC_EPERM,
                            "multipart %s reply: out of memory", mp_name(mb->type));
    }
    uint8_t *prev = b->data + mb->msg_start;
    set_be16(prev + 2, (uint16_t)(entry_start - mb->msg_start));
    set_be16(prev + 10, get_be16(prev + 10) | OFPMPF_REPLY_MORE);
    uint8_t *h = b->data + entry_start;
    h[0] = OFP13_VERSION;
    h[1] = OFPT_MULTIPART_REPLY;
    set_be32(h + 4, mb->xid);
    set_be16(h + 8, mb->type);
    mb->msg_start = entry_start;
    return 0;
}

static int builder_type_check(struct ofp_mp_builder *mb, uint16_t type, struct ofp_err *err)
{
    if (mb->type != type)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
                            "multipart %s reply given a %s entry", mp_name(mb->type),
                            mp_name(type));
    return 0;
}

static int builder_done(struct ofp_mp_builder *mb, size_t entry_start, int ret, struct ofp_err *err)
{
    if (ret == -ENOMEM) {
        ofp_buf_truncate(mb->buf, entry_start);
        return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_REQUEST, OFPBRC_EPERM,
                            "multipart %s reply: out of memory", mp_name(mb->type));
    }
    if (ret) {
        ofp_buf_truncate(mb->buf, entry_start);
        return ofp_err_prefix(err, ret, "multipart %s reply", mp_name(mb->type));
    }
    return builder_fit(mb, entry_start, err);
}

#define BUILDER_ADD(fn, mptype, entry_type, put_call)                                              \
    int fn(struct ofp_mp_builder *mb, const entry_type *e, struct ofp_err *err)                    \
    {                                                                                              \
        int ret = builder_type_check(mb, mptype, err);                                             \
        if (ret)                                                                                   \
            return ret;                                                                            \
        size_t entry_start = mb->buf->len;                                                         \
        struct ofp_buf *b = mb->buf;                                                               \
        ret = put_call;                                                                            \
        return builder_done(mb, entry_start, ret, err);                                            \
    }

BUILDER_ADD(ofp_mp_add_flow_stats, OFPMP_FLOW, struct ofp_flow_stats, flow_stats_put(b, e, err))
BUILDER_ADD(ofp_mp_add_table_stats, OFPMP_TABLE, struct ofp_table_stats, table_stats_put(b, e))
BUILDER_ADD(ofp_mp_add_port_stats, OFPMP_PORT_STATS, struct ofp_port_stats, port_stats_put(b, e))
BUILDER_ADD(ofp_mp_add_port_desc, OFPMP_PORT_DESC, struct ofp_port, port_desc_put(b, e))
BUILDER_ADD(ofp_mp_add_table_features, OFPMP_TABLE_FEATURES, struct ofp_table_features,
            table_features_put(b, e, err))
BUILDER_ADD(ofp_mp_add_group_stats, OFPMP_GROUP, struct ofp_group_stats, group_stats_put(b, e, err))
BUILDER_ADD(ofp_mp_add_group_desc, OFPMP_GROUP_DESC, struct ofp_group, group_desc_put(b, e, err))
BUILDER_ADD(ofp_mp_add_meter_stats, OFPMP_METER, struct ofp_meter_stats, meter_stats_put(b, e, err))
BUILDER_ADD(ofp_mp_add_meter_config, OFPMP_METER_CONFIG, struct ofp_meter_config,
            meter_config_put(b, e, err))

void ofp_mp_builder_finish(struct ofp_mp_builder *mb)
{
    struct ofp_buf *b = mb->buf;
    set_be16(b->data + mb->msg_start + 2, (uint16_t)(b->len - mb->msg_start));
}
