/* ofp-codec.c — the OpenFlow 1.3 codec's buffers, errors, header and the fixed messages
 * (HELLO to METER_MOD). Matches and actions live in ofp-match.c / ofp-actions.c, multipart
 * in ofp-multipart.c.
 *
 * Each decoder first checks the header and the fixed part's length (ofp_check_msg), then
 * reads fixed offsets; variable parts are handed to the match/action decoders with the
 * exact number of bytes that remain. Each encoder appends a header (ofp_msg_start), the
 * body, and patches the length (ofp_msg_end), truncating the buffer back on any failure. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofproto/ofp-codec-priv.h"

/* ---------------------------------------------------------------------------------------
 * Errors.
 */
static void err_vset(struct ofp_err *err, uint16_t type, uint16_t code, const char *fmt, va_list ap)
{
    if (!err)
        return;
    err->type = type;
    err->code = code;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

int ofp_fail(struct ofp_err *err, uint16_t type, uint16_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, type, code, fmt, ap);
    va_end(ap);
    return -EPROTO;
}

int ofp_enc_fail(struct ofp_err *err, int ret, uint16_t type, uint16_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    err_vset(err, type, code, fmt, ap);
    va_end(ap);
    return ret;
}

int ofp_err_prefix(struct ofp_err *err, int ret, const char *fmt, ...)
{
    if (!err)
        return ret;
    char prefix[96];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(prefix, sizeof prefix, fmt, ap);
    va_end(ap);
    /* "prefix: old", cutting the old text's tail when the whole does not fit. */
    size_t cap = sizeof err->msg - 1;
    size_t plen = strlen(prefix) + 2;
    size_t olen = strnlen(err->msg, cap);
    if (olen > cap - plen)
        olen = cap - plen;
    memmove(err->msg + plen, err->msg, olen);
    memcpy(err->msg, prefix, plen - 2);
    memcpy(err->msg + plen - 2, ": ", 2);
    err->msg[plen + olen] = '\0';
    return ret;
}

static const char *const hello_failed_names[] = {"OFPHFC_INCOMPATIBLE", "OFPHFC_EPERM"};
static const char *const bad_request_names[] = {
    "OFPBRC_BAD_VERSION",    "OFPBRC_BAD_TYPE",
    "OFPBRC_BAD_MULTIPART",  "OFPBRC_BAD_EXPERIMENTER",
    "OFPBRC_BAD_EXP_TYPE",   "OFPBRC_EPERM",
    "OFPBRC_BAD_LEN",        "OFPBRC_BUFFER_EMPTY",
    "OFPBRC_BUFFER_UNKNOWN", "OFPBRC_BAD_TABLE_ID",
    "OFPBRC_IS_SLAVE",       "OFPBRC_BAD_PORT",
    "OFPBRC_BAD_PACKET",     "OFPBRC_MULTIPART_BUFFER_OVERFLOW"};
static const char *const bad_action_names[] = {"OFPBAC_BAD_TYPE",
                                               "OFPBAC_BAD_LEN",
                                               "OFPBAC_BAD_EXPERIMENTER",
                                               "OFPBAC_BAD_EXP_TYPE",
                                               "OFPBAC_BAD_OUT_PORT",
                                               "OFPBAC_BAD_ARGUMENT",
                                               "OFPBAC_EPERM",
                                               "OFPBAC_TOO_MANY",
                                               "OFPBAC_BAD_QUEUE",
                                               "OFPBAC_BAD_OUT_GROUP",
                                               "OFPBAC_MATCH_INCONSISTENT",
                                               "OFPBAC_UNSUPPORTED_ORDER",
                                               "OFPBAC_BAD_TAG",
                                               "OFPBAC_BAD_SET_TYPE",
                                               "OFPBAC_BAD_SET_LEN",
                                               "OFPBAC_BAD_SET_ARGUMENT"};
static const char *const bad_instruction_names[] = {"OFPBIC_UNKNOWN_INST",
                                                    "OFPBIC_UNSUP_INST",
                                                    "OFPBIC_BAD_TABLE_ID",
                                                    "OFPBIC_UNSUP_METADATA",
                                                    "OFPBIC_UNSUP_METADATA_MASK",
                                                    "OFPBIC_BAD_EXPERIMENTER",
                                                    "OFPBIC_BAD_EXP_TYPE",
                                                    "OFPBIC_BAD_LEN",
                                                    "OFPBIC_EPERM"};
static const char *const bad_match_names[] = {
    "OFPBMC_BAD_TYPE",         "OFPBMC_BAD_LEN",          "OFPBMC_BAD_TAG",
    "OFPBMC_BAD_DL_ADDR_MASK", "OFPBMC_BAD_NW_ADDR_MASK", "OFPBMC_BAD_WILDCARDS",
    "OFPBMC_BAD_FIELD",        "OFPBMC_BAD_VALUE",        "OFPBMC_BAD_MASK",
    "OFPBMC_BAD_PREREQ",       "OFPBMC_DUP_FIELD",        "OFPBMC_EPERM"};
static const char *const flow_mod_failed_names[] = {
    "OFPFMFC_UNKNOWN", "OFPFMFC_TABLE_FULL",  "OFPFMFC_BAD_TABLE_ID", "OFPFMFC_OVERLAP",
    "OFPFMFC_EPERM",   "OFPFMFC_BAD_TIMEOUT", "OFPFMFC_BAD_COMMAND",  "OFPFMFC_BAD_FLAGS"};
static const char *const group_mod_failed_names[] = {
    "OFPGMFC_GROUP_EXISTS",      "OFPGMFC_INVALID_GROUP",  "OFPGMFC_WEIGHT_UNSUPPORTED",
    "OFPGMFC_OUT_OF_GROUPS",     "OFPGMFC_OUT_OF_BUCKETS", "OFPGMFC_CHAINING_UNSUPPORTED",
    "OFPGMFC_WATCH_UNSUPPORTED", "OFPGMFC_LOOP",           "OFPGMFC_UNKNOWN_GROUP",
    "OFPGMFC_CHAINED_GROUP",     "OFPGMFC_BAD_TYPE",       "OFPGMFC_BAD_COMMAND",
    "OFPGMFC_BAD_BUCKET",        "OFPGMFC_BAD_WATCH",      "OFPGMFC_EPERM"};
static const char *const port_mod_failed_names[] = {"OFPPMFC_BAD_PORT", "OFPPMFC_BAD_HW_ADDR",
                                                    "OFPPMFC_BAD_CONFIG", "OFPPMFC_BAD_ADVERTISE",
                                                    "OFPPMFC_EPERM"};
static const char *const table_mod_failed_names[] = {"OFPTMFC_BAD_TABLE", "OFPTMFC_BAD_CONFIG",
                                                     "OFPTMFC_EPERM"};
static const char *const queue_op_failed_names[] = {"OFPQOFC_BAD_PORT", "OFPQOFC_BAD_QUEUE",
                                                    "OFPQOFC_EPERM"};
static const char *const switch_config_failed_names[] = {"OFPSCFC_BAD_FLAGS", "OFPSCFC_BAD_LEN",
                                                         "OFPSCFC_EPERM"};
static const char *const role_request_failed_names[] = {"OFPRRFC_STALE", "OFPRRFC_UNSUP",
                                                        "OFPRRFC_BAD_ROLE"};
static const char *const meter_mod_failed_names[] = {
    "OFPMMFC_UNKNOWN",        "OFPMMFC_METER_EXISTS",  "OFPMMFC_INVALID_METER",
    "OFPMMFC_UNKNOWN_METER",  "OFPMMFC_BAD_COMMAND",   "OFPMMFC_BAD_FLAGS",
    "OFPMMFC_BAD_RATE",       "OFPMMFC_BAD_BURST",     "OFPMMFC_BAD_BAND",
    "OFPMMFC_BAD_BAND_VALUE", "OFPMMFC_OUT_OF_METERS", "OFPMMFC_OUT_OF_BANDS"};
static const char *const table_features_failed_names[] = {
    "OFPTFFC_BAD_TABLE", "OFPTFFC_BAD_METADATA", "OFPTFFC_BAD_TYPE",
    "OFPTFFC_BAD_LEN",   "OFPTFFC_BAD_ARGUMENT", "OFPTFFC_EPERM"};

#define NAMES(a) a, sizeof a / sizeof a[0]
static const struct {
    const char *type_name;
    const char *const *codes;
    size_t n_codes;
} error_types[] = {
    [OFPET_HELLO_FAILED] = {"OFPET_HELLO_FAILED", NAMES(hello_failed_names)},
    [OFPET_BAD_REQUEST] = {"OFPET_BAD_REQUEST", NAMES(bad_request_names)},
    [OFPET_BAD_ACTION] = {"OFPET_BAD_ACTION", NAMES(bad_action_names)},
    [OFPET_BAD_INSTRUCTION] = {"OFPET_BAD_INSTRUCTION", NAMES(bad_instruction_names)},
    [OFPET_BAD_MATCH] = {"OFPET_BAD_MATCH", NAMES(bad_match_names)},
    [OFPET_FLOW_MOD_FAILED] = {"OFPET_FLOW_MOD_FAILED", NAMES(flow_mod_failed_names)},
    [OFPET_GROUP_MOD_FAILED] = {"OFPET_GROUP_MOD_FAILED", NAMES(group_mod_failed_names)},
    [OFPET_PORT_MOD_FAILED] = {"OFPET_PORT_MOD_FAILED", NAMES(port_mod_failed_names)},
    [OFPET_TABLE_MOD_FAILED] = {"OFPET_TABLE_MOD_FAILED", NAMES(table_mod_failed_names)},
    [OFPET_QUEUE_OP_FAILED] = {"OFPET_QUEUE_OP_FAILED", NAMES(queue_op_failed_names)},
    [OFPET_SWITCH_CONFIG_FAILED] = {"OFPET_SWITCH_CONFIG_FAILED",
                                    NAMES(switch_config_failed_names)},
    [OFPET_ROLE_REQUEST_FAILED] = {"OFPET_ROLE_REQUEST_FAILED", NAMES(role_request_failed_names)},
    [OFPET_METER_MOD_FAILED] = {"OFPET_METER_MOD_FAILED", NAMES(meter_mod_failed_names)},
    [OFPET_TABLE_FEATURES_FAILED] = {"OFPET_TABLE_FEATURES_FAILED",
                                     NAMES(table_features_failed_names)},
};
#define N_ERROR_TYPES (sizeof error_types / sizeof error_types[0])

const char *ofp_error_type_name(uint16_t type)
{
    if (type == OFPET_EXPERIMENTER)
        return "OFPET_EXPERIMENTER";
    return type < N_ERROR_TYPES ? error_types[type].type_name : NULL;
}

const char *ofp_error_code_name(uint16_t type, uint16_t code)
{
    if (type >= N_ERROR_TYPES || code >= error_types[type].n_codes)
        return NULL;
    return error_types[type].codes[code];
}

static const char *const type_names[] = {"OFPT_HELLO",
                                         "OFPT_ERROR",
                                         "OFPT_ECHO_REQUEST",
                                         "OFPT_ECHO_REPLY",
                                         "OFPT_EXPERIMENTER",
                                         "OFPT_FEATURES_REQUEST",
                                         "OFPT_FEATURES_REPLY",
                                         "OFPT_GET_CONFIG_REQUEST",
                                         "OFPT_GET_CONFIG_REPLY",
                                         "OFPT_SET_CONFIG",
                                         "OFPT_PACKET_IN",
                                         "OFPT_FLOW_REMOVED",
                                         "OFPT_PORT_STATUS",
                                         "OFPT_PACKET_OUT",
                                         "OFPT_FLOW_MOD",
                                         "OFPT_GROUP_MOD",
                                         "OFPT_PORT_MOD",
                                         "OFPT_TABLE_MOD",
                                         "OFPT_MULTIPART_REQUEST",
                                         "OFPT_MULTIPART_REPLY",
                                         "OFPT_BARRIER_REQUEST",
                                         "OFPT_BARRIER_REPLY",
                                         "OFPT_QUEUE_GET_CONFIG_REQUEST",
                                         "OFPT_QUEUE_GET_CONFIG_REPLY",
                                         "OFPT_ROLE_REQUEST",
                                         "OFPT_ROLE_REPLY",
                                         "OFPT_GET_ASYNC_REQUEST",
                                         "OFPT_GET_ASYNC_REPLY",
                                         "OFPT_SET_ASYNC",
                                         "OFPT_METER_MOD"};

const char *ofp_type_name(uint8_t type)
{
    return type < sizeof type_names / sizeof type_names[0] ? type_names[type] : NULL;
}

static const char *msg_name(uint8_t type)
{
    const char *n = ofp_type_name(type);
    return n ? n : "message";
}

/* ---------------------------------------------------------------------------------------
 * Buffers.
 */
void ofp_buf_init(struct ofp_buf *b)
{
    b->data = NULL;
    b->len = 0;
    b->cap = 0;
}

void ofp_buf_uninit(struct ofp_buf *b)
{
    free(b->data);
    ofp_buf_init(b);
}

void ofp_buf_clear(struct ofp_buf *b)
{
    b->len = 0;
}

static int buf_reserve(struct ofp_buf *b, size_t n)
{
    /* A reply is at most a few MB (a full flow dump is split into 64 KiB messages, but all
     * of them land in one buffer); 1 GiB means a caller bug, not a big switch. */
    if (n > (1u << 30) || b->len > (1u << 30) - n)
        return -ENOMEM;
    if (b->len + n <= b->cap)
        return 0;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n)
        cap *= 2;
    uint8_t *d = realloc(b->data, cap);
    if (!d)
        return -ENOMEM;
    b->data = d;
    b->cap = cap;
    return 0;
}

uint8_t *ofp_buf_put(struct ofp_buf *b, size_t n)
{
    if (buf_reserve(b, n))
        return NULL;
    uint8_t *p = b->data + b->len;
    memset(p, 0, n);
    b->len += n;
    return p;
}

int ofp_buf_insert(struct ofp_buf *b, size_t at, size_t n)
{
    if (buf_reserve(b, n))
        return -ENOMEM;
    memmove(b->data + at + n, b->data + at, b->len - at);
    memset(b->data + at, 0, n);
    b->len += n;
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Header and framing.
 */
long ofp_msg_start(struct ofp_buf *b, uint8_t type, uint32_t xid)
{
    size_t start = b->len;
    uint8_t *p = ofp_buf_put(b, OFP_HEADER_LEN);
    if (!p)
        return -ENOMEM;
    p[0] = OFP13_VERSION;
    p[1] = type;
    set_be32(p + 4, xid);
    return (long)start;
}

int ofp_msg_end(struct ofp_buf *b, size_t start, struct ofp_err *err, const char *what)
{
    size_t len = b->len - start;
    if (len > OFP_MAX_MSG_LEN) {
        ofp_buf_truncate(b, start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "%s: %zu bytes exceed the OpenFlow maximum of %u", what, len,
                            OFP_MAX_MSG_LEN);
    }
    set_be16(b->data + start + 2, (uint16_t)len);
    return 0;
}

static int enc_nomem(struct ofp_buf *b, size_t start, struct ofp_err *err, const char *what)
{
    ofp_buf_truncate(b, start);
    return ofp_enc_fail(err, -ENOMEM, OFPET_BAD_REQUEST, OFPBRC_EPERM, "%s: out of memory", what);
}

int ofp_msg_length(const void *data, size_t avail, struct ofp_err *err)
{
    if (avail < OFP_HEADER_LEN)
        return 0;
    uint16_t len = get_be16((const uint8_t *)data + 2);
    if (len < OFP_HEADER_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "message header: length %u is shorter than the header", len);
    return len;
}

int ofp_decode_header(const void *data, size_t len, struct ofp_header *h, struct ofp_err *err)
{
    const uint8_t *p = data;
    *h = (struct ofp_header){0};
    if (len < OFP_HEADER_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "message: %zu bytes, shorter than the 8-byte header", len);
    h->version = p[0];
    h->type = p[1];
    h->length = get_be16(p + 2);
    h->xid = get_be32(p + 4);
    if (h->length != len)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "%s: header says %u bytes, message has %zu", msg_name(h->type), h->length,
                        len);
    if (h->version != OFP13_VERSION && h->type != OFPT_HELLO)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_VERSION,
                        "%s: version 0x%02x, this connection speaks OpenFlow 1.3 (0x04)",
                        msg_name(h->type), h->version);
    return 0;
}

int ofp_check_msg(const void *data, size_t len, uint8_t type, size_t min_len, const char *what,
                  struct ofp_header *h, struct ofp_err *err)
{
    struct ofp_header hh;
    if (!h)
        h = &hh;
    int ret = ofp_decode_header(data, len, h, err);
    if (ret)
        return ret;
    if (h->type != type)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "%s decoder given a %s", what,
                        msg_name(h->type));
    if (len < min_len)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "%s: %zu bytes, shorter than its fixed part (%zu)", what, len, min_len);
    return 0;
}

void ofp_get_string(char *dst, size_t dst_size, const uint8_t *src, size_t src_len)
{
    size_t n = 0;
    while (n < src_len && n + 1 < dst_size && src[n])
        n++;
    memcpy(dst, src, n);
    memset(dst + n, 0, dst_size - n);
}

void ofp_put_string(uint8_t *dst, size_t len, const char *src)
{
    size_t n = strnlen(src, len - 1);
    memcpy(dst, src, n);
    memset(dst + n, 0, len - n);
}

bool ofp_port_is_output(uint32_t port)
{
    return port < DP_OFPORT_MAX || (port >= DP_OFPORT_IN_PORT && port <= DP_OFPORT_LOCAL);
}

const char *ofp_port_str(uint32_t port, char buf[16])
{
    static const char *const reserved[] = {"IN_PORT", "TABLE",      "NORMAL", "FLOOD",
                                           "ALL",     "CONTROLLER", "LOCAL",  "ANY"};
    if (port >= DP_OFPORT_IN_PORT)
        return reserved[port - DP_OFPORT_IN_PORT];
    snprintf(buf, 16, "%u", port);
    return buf;
}

int ofp_encode_empty(struct ofp_buf *b, uint8_t type, uint32_t xid, struct ofp_err *err)
{
    switch (type) {
    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
    case OFPT_GET_ASYNC_REQUEST:
        break;
    default:
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                            "%s is not a header-only message", msg_name(type));
    }
    long start = ofp_msg_start(b, type, xid);
    if (start < 0)
        return enc_nomem(b, b->len, err, msg_name(type));
    return ofp_msg_end(b, (size_t)start, err, msg_name(type));
}

/* Decodes a header-only message: any body is a length error. */
static int decode_empty(const void *data, size_t len, uint8_t type, struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, type, OFP_HEADER_LEN, msg_name(type), NULL, err);
    if (ret)
        return ret;
    if (len != OFP_HEADER_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "%s: %zu bytes, it has no body",
                        msg_name(type), len);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * HELLO.
 */
#define OFPHET_VERSIONBITMAP 1

int ofp_decode_hello(const void *data, size_t len, struct ofp_hello *hello, struct ofp_err *err)
{
    struct ofp_header h;
    int ret = ofp_check_msg(data, len, OFPT_HELLO, OFP_HEADER_LEN, "hello", &h, err);
    if (ret)
        return ret;
    hello->version = h.version;
    hello->version_bitmap = 0;
    /* Before 1.3 the body was undefined and had to be ignored. */
    if (h.version < OFP13_VERSION)
        return 0;
    const uint8_t *p = (const uint8_t *)data + OFP_HEADER_LEN;
    size_t left = len - OFP_HEADER_LEN;
    while (left >= 4) {
        uint16_t type = get_be16(p), elen = get_be16(p + 2);
        if (elen < 4 || elen > left)
            return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "hello: element type %u has length %u, %zu bytes left", type, elen,
                            left);
        if (type == OFPHET_VERSIONBITMAP) {
            if ((elen - 4) % 4)
                return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                                "hello: version bitmap length %u is not 4 + 4n", elen);
            if (elen >= 8)
                hello->version_bitmap = get_be32(p + 4);
        }
        size_t step = pad8(elen) < left ? pad8(elen) : left;
        p += step;
        left -= step;
    }
    return 0;
}

int ofp_encode_hello(struct ofp_buf *b, uint32_t xid, const struct ofp_hello *hello,
                     struct ofp_err *err)
{
    long start = ofp_msg_start(b, OFPT_HELLO, xid);
    if (start < 0)
        return enc_nomem(b, b->len, err, "hello");
    b->data[start] = hello->version;
    if (hello->version_bitmap) {
        uint8_t *p = ofp_buf_put(b, 8);
        if (!p)
            return enc_nomem(b, (size_t)start, err, "hello");
        set_be16(p, OFPHET_VERSIONBITMAP);
        set_be16(p + 2, 8);
        set_be32(p + 4, hello->version_bitmap);
    }
    return ofp_msg_end(b, (size_t)start, err, "hello");
}

static int highest_bit(uint32_t v)
{
    return v ? 31 - __builtin_clz(v) : -1;
}

int ofp_hello_negotiate(const struct ofp_hello *peer, uint32_t ours, struct ofp_err *err)
{
    int v;
    if (peer->version_bitmap) {
        v = highest_bit(peer->version_bitmap & ours);
    } else {
        int our_max = highest_bit(ours);
        v = peer->version < our_max ? peer->version : our_max;
        if (v >= 0 && !(ours & (1u << v)))
            v = -1;
    }
    if (v <= 0)
        return ofp_fail(err, OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE,
                        "hello: no common OpenFlow version (peer: version 0x%02x bitmap 0x%x; "
                        "ours: bitmap 0x%x)",
                        peer->version, peer->version_bitmap, ours);
    return v;
}

/* ---------------------------------------------------------------------------------------
 * ERROR and ECHO.
 */
int ofp_encode_error_msg(struct ofp_buf *b, uint32_t xid, const struct ofp_error_msg *e,
                         struct ofp_err *err)
{
    long start = ofp_msg_start(b, OFPT_ERROR, xid);
    if (start < 0)
        return enc_nomem(b, b->len, err, "error");
    bool exp = e->type == OFPET_EXPERIMENTER;
    uint8_t *p = ofp_buf_put(b, exp ? 8 : 4);
    if (!p)
        return enc_nomem(b, (size_t)start, err, "error");
    set_be16(p, e->type);
    set_be16(p + 2, e->code);
    if (exp)
        set_be32(p + 4, e->experimenter);
    if (e->data_len > OFP_MAX_MSG_LEN) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "error: %zu bytes of data", e->data_len);
    }
    if (e->data_len) {
        if (!(p = ofp_buf_put(b, e->data_len)))
            return enc_nomem(b, (size_t)start, err, "error");
        memcpy(p, e->data, e->data_len);
    }
    return ofp_msg_end(b, (size_t)start, err, "error");
}

int ofp_encode_error(struct ofp_buf *b, const struct ofp_err *e, const void *request,
                     size_t request_len)
{
    struct ofp_error_msg m = {.type = e->type, .code = e->code};
    uint32_t xid = 0;
    if (request) {
        if (request_len >= OFP_HEADER_LEN)
            xid = get_be32((const uint8_t *)request + 4);
        m.data = request;
        m.data_len = request_len < OFP_ERROR_DATA_LEN ? request_len : OFP_ERROR_DATA_LEN;
    }
    return ofp_encode_error_msg(b, xid, &m, NULL);
}

int ofp_decode_error_msg(const void *data, size_t len, struct ofp_error_msg *e, struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_ERROR, OFP_HEADER_LEN + 4, "error", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = (const uint8_t *)data + OFP_HEADER_LEN;
    e->type = get_be16(p);
    e->code = get_be16(p + 2);
    e->experimenter = 0;
    size_t off = OFP_HEADER_LEN + 4;
    if (e->type == OFPET_EXPERIMENTER) {
        if (len < OFP_HEADER_LEN + 8)
            return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "error: experimenter error of %zu bytes lacks its experimenter id",
                            len);
        e->experimenter = get_be32(p + 4);
        off += 4;
    }
    e->data = (const uint8_t *)data + off;
    e->data_len = len - off;
    return 0;
}

int ofp_decode_echo(const void *data, size_t len, struct ofp_echo *echo, struct ofp_err *err)
{
    struct ofp_header h;
    int ret = ofp_decode_header(data, len, &h, err);
    if (ret)
        return ret;
    if (h.type != OFPT_ECHO_REQUEST && h.type != OFPT_ECHO_REPLY)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "echo decoder given a %s",
                        msg_name(h.type));
    echo->data = (const uint8_t *)data + OFP_HEADER_LEN;
    echo->data_len = len - OFP_HEADER_LEN;
    return 0;
}

int ofp_encode_echo(struct ofp_buf *b, uint8_t type, uint32_t xid, const struct ofp_echo *echo,
                    struct ofp_err *err)
{
    if (type != OFPT_ECHO_REQUEST && type != OFPT_ECHO_REPLY)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                            "echo: type %s is not an echo", msg_name(type));
    long start = ofp_msg_start(b, type, xid);
    if (start < 0)
        return enc_nomem(b, b->len, err, "echo");
    if (echo->data_len > OFP_MAX_MSG_LEN) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "echo: %zu bytes of data", echo->data_len);
    }
    if (echo->data_len) {
        uint8_t *p = ofp_buf_put(b, echo->data_len);
        if (!p)
            return enc_nomem(b, (size_t)start, err, "echo");
        memcpy(p, echo->data, echo->data_len);
    }
    return ofp_msg_end(b, (size_t)start, err, "echo");
}

/* ---------------------------------------------------------------------------------------
 * FEATURES_REPLY, GET_CONFIG_REPLY / SET_CONFIG, ROLE.
 */
#define FEATURES_REPLY_LEN 32
#define SWITCH_CONFIG_LEN 12
#define ROLE_LEN 24

/* Starts a message with a fixed body of `body` zeroed bytes; returns the body or NULL. */
static uint8_t *start_fixed(struct ofp_buf *b, uint8_t type, uint32_t xid, size_t body, long *start)
{
    *start = ofp_msg_start(b, type, xid);
    if (*start < 0)
        return NULL;
    uint8_t *p = ofp_buf_put(b, body);
    if (!p)
        ofp_buf_truncate(b, (size_t)*start);
    return p;
}

int ofp_decode_features_reply(const void *data, size_t len, struct ofp_switch_features *f,
                              struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_FEATURES_REPLY, FEATURES_REPLY_LEN, "features_reply",
                            NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = (const uint8_t *)data + OFP_HEADER_LEN;
    f->datapath_id = get_be64(p);
    f->n_buffers = get_be32(p + 8);
    f->n_tables = p[12];
    f->auxiliary_id = p[13];
    f->capabilities = get_be32(p + 16);
    return 0;
}

int ofp_encode_features_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_switch_features *f,
                              struct ofp_err *err)
{
    long start;
    uint8_t *p =
        start_fixed(b, OFPT_FEATURES_REPLY, xid, FEATURES_REPLY_LEN - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "features_reply");
    set_be64(p, f->datapath_id);
    set_be32(p + 8, f->n_buffers);
    p[12] = f->n_tables;
    p[13] = f->auxiliary_id;
    set_be32(p + 16, f->capabilities);
    return ofp_msg_end(b, (size_t)start, err, "features_reply");
}

int ofp_decode_switch_config(const void *data, size_t len, struct ofp_switch_config *c,
                             struct ofp_err *err)
{
    struct ofp_header h;
    int ret = ofp_decode_header(data, len, &h, err);
    if (ret)
        return ret;
    if (h.type != OFPT_GET_CONFIG_REPLY && h.type != OFPT_SET_CONFIG)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "switch config decoder given a %s",
                        msg_name(h.type));
    if (len != SWITCH_CONFIG_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "%s: %zu bytes, expected %d",
                        msg_name(h.type), len, SWITCH_CONFIG_LEN);
    const uint8_t *p = (const uint8_t *)data + OFP_HEADER_LEN;
    c->flags = get_be16(p);
    c->miss_send_len = get_be16(p + 2);
    if (c->flags & ~OFPC_FRAG_MASK)
        return ofp_fail(err, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS,
                        "%s: flags 0x%04x outside OFPC_FRAG_MASK", msg_name(h.type), c->flags);
    return 0;
}

int ofp_encode_switch_config(struct ofp_buf *b, uint8_t type, uint32_t xid,
                             const struct ofp_switch_config *c, struct ofp_err *err)
{
    if (type != OFPT_GET_CONFIG_REPLY && type != OFPT_SET_CONFIG)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                            "switch config: type %s is not a config message", msg_name(type));
    if (c->flags & ~OFPC_FRAG_MASK)
        return ofp_enc_fail(err, -EINVAL, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS,
                            "switch config: flags 0x%04x outside OFPC_FRAG_MASK", c->flags);
    long start;
    uint8_t *p = start_fixed(b, type, xid, SWITCH_CONFIG_LEN - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "switch config");
    set_be16(p, c->flags);
    set_be16(p + 2, c->miss_send_len);
    return ofp_msg_end(b, (size_t)start, err, "switch config");
}

int ofp_decode_role(const void *data, size_t len, struct ofp_role *r, struct ofp_err *err)
{
    struct ofp_header h;
    int ret = ofp_decode_header(data, len, &h, err);
    if (ret)
        return ret;
    if (h.type != OFPT_ROLE_REQUEST && h.type != OFPT_ROLE_REPLY)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "role decoder given a %s",
                        msg_name(h.type));
    if (len != ROLE_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "%s: %zu bytes, expected %d",
                        msg_name(h.type), len, ROLE_LEN);
    const uint8_t *p = (const uint8_t *)data + OFP_HEADER_LEN;
    r->role = get_be32(p);
    r->generation_id = get_be64(p + 8);
    if (r->role > OFPCR_ROLE_SLAVE)
        return ofp_fail(err, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE,
                        "%s: role %u is not NOCHANGE, EQUAL, MASTER or SLAVE", msg_name(h.type),
                        r->role);
    return 0;
}

int ofp_encode_role(struct ofp_buf *b, uint8_t type, uint32_t xid, const struct ofp_role *r,
                    struct ofp_err *err)
{
    if (type != OFPT_ROLE_REQUEST && type != OFPT_ROLE_REPLY)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                            "role: type %s is not a role message", msg_name(type));
    if (r->role > OFPCR_ROLE_SLAVE)
        return ofp_enc_fail(err, -EINVAL, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE,
                            "role: role %u is not a controller role", r->role);
    long start;
    uint8_t *p = start_fixed(b, type, xid, ROLE_LEN - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "role");
    set_be32(p, r->role);
    set_be64(p + 8, r->generation_id);
    return ofp_msg_end(b, (size_t)start, err, "role");
}

/* ---------------------------------------------------------------------------------------
 * FLOW_MOD and FLOW_REMOVED.
 */
#define FLOW_MOD_FIXED 56 /* header + fixed fields, before the match */
#define FLOW_MOD_FLAGS_ALL 0x1f
#define FLOW_REMOVED_FIXED 48

int ofp_decode_flow_mod(const void *data, size_t len, struct ofp_flow_mod *fm, struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_FLOW_MOD, FLOW_MOD_FIXED, "flow_mod", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    struct flow_spec *s = &fm->spec;
    memset(fm, 0, sizeof *fm);
    s->cookie = get_be64(p + 8);
    s->cookie_mask = get_be64(p + 16);
    uint8_t table = p[24];
    fm->command = p[25];
    s->idle_timeout = get_be16(p + 26);
    s->hard_timeout = get_be16(p + 28);
    s->priority = get_be16(p + 30);
    s->priority_given = true;
    fm->buffer_id = get_be32(p + 32);
    s->out_port = get_be32(p + 36);
    s->out_group = get_be32(p + 40);
    s->flags = get_be16(p + 44);

    if (fm->command > OFPFC_DELETE_STRICT)
        return ofp_fail(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND,
                        "flow_mod: command %u is not ADD, MODIFY(_STRICT) or DELETE(_STRICT)",
                        fm->command);
    if (s->flags & ~FLOW_MOD_FLAGS_ALL)
        return ofp_fail(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS,
                        "flow_mod: flags 0x%04x include unknown bits 0x%04x", s->flags,
                        s->flags & ~FLOW_MOD_FLAGS_ALL);
    bool is_delete = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    if (table == OFPTT_ALL && !is_delete)
        return ofp_fail(err, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
                        "flow_mod: table OFPTT_ALL (255) is only valid for DELETE");
    s->table_id = table == OFPTT_ALL ? 0 : table;
    s->table_given = table != OFPTT_ALL;

    size_t mlen;
    if ((ret = ofp_match_decode(p + 48, len - 48, &s->match, &mlen, err)))
        return ofp_err_prefix(err, ret, "flow_mod");
    if ((ret = ofp_instructions_decode(p + 48 + mlen, len - 48 - mlen, s, err)))
        return ofp_err_prefix(err, ret, "flow_mod");
    if (!is_delete && (ret = ofp_check_actions_match(s, err)))
        return ofp_err_prefix(err, ret, "flow_mod");
    return 0;
}

/* The common tail of flow_mod, flow_removed, flow stats: match, then instructions. */
static int put_match(struct ofp_buf *b, size_t start, const struct flow_match *m,
                     struct ofp_err *err, const char *what)
{
    int ret = ofp_match_encode(b, m, err);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ofp_err_prefix(err, ret, "%s", what);
    }
    return 0;
}

int ofp_encode_flow_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_flow_mod *fm,
                        struct ofp_err *err)
{
    const struct flow_spec *s = &fm->spec;
    bool is_delete = fm->command == OFPFC_DELETE || fm->command == OFPFC_DELETE_STRICT;
    if (fm->command > OFPFC_DELETE_STRICT)
        return ofp_enc_fail(err, -EINVAL, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND,
                            "flow_mod: command %u is not a flow_mod command", fm->command);
    if (s->flags & ~FLOW_MOD_FLAGS_ALL)
        return ofp_enc_fail(err, -EINVAL, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_FLAGS,
                            "flow_mod: unknown flags 0x%04x", s->flags);
    uint8_t table = s->table_given || !is_delete ? s->table_id : OFPTT_ALL;
    if (table == OFPTT_ALL && !is_delete)
        return ofp_enc_fail(err, -EINVAL, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
                            "flow_mod: table 255 (OFPTT_ALL) is only valid for DELETE");
    long start;
    uint8_t *p = start_fixed(b, OFPT_FLOW_MOD, xid, 40, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "flow_mod");
    set_be64(p, s->cookie);
    set_be64(p + 8, s->cookie_mask);
    p[16] = table;
    p[17] = fm->command;
    set_be16(p + 18, s->idle_timeout);
    set_be16(p + 20, s->hard_timeout);
    set_be16(p + 22, s->priority);
    set_be32(p + 24, fm->buffer_id);
    set_be32(p + 28, s->out_port);
    set_be32(p + 32, s->out_group);
    set_be16(p + 36, s->flags);
    int ret = put_match(b, (size_t)start, &s->match, err, "flow_mod");
    if (ret)
        return ret;
    if ((ret = ofp_instructions_encode(b, s, err))) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_err_prefix(err, ret, "flow_mod");
    }
    return ofp_msg_end(b, (size_t)start, err, "flow_mod");
}

int ofp_decode_flow_removed(const void *data, size_t len, struct ofp_flow_removed *fr,
                            struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_FLOW_REMOVED, FLOW_REMOVED_FIXED + 8, "flow_removed",
                            NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    fr->cookie = get_be64(p + 8);
    fr->priority = get_be16(p + 16);
    fr->reason = p[18];
    fr->table_id = p[19];
    fr->duration_sec = get_be32(p + 20);
    fr->duration_nsec = get_be32(p + 24);
    fr->idle_timeout = get_be16(p + 28);
    fr->hard_timeout = get_be16(p + 30);
    fr->packet_count = get_be64(p + 32);
    fr->byte_count = get_be64(p + 40);
    size_t mlen;
    if ((ret = ofp_match_decode(p + 48, len - 48, &fr->match, &mlen, err)))
        return ofp_err_prefix(err, ret, "flow_removed");
    if (48 + mlen != len)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "flow_removed: %zu bytes after the match", len - 48 - mlen);
    return 0;
}

int ofp_encode_flow_removed(struct ofp_buf *b, uint32_t xid, const struct ofp_flow_removed *fr,
                            struct ofp_err *err)
{
    long start;
    uint8_t *p = start_fixed(b, OFPT_FLOW_REMOVED, xid, 40, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "flow_removed");
    set_be64(p, fr->cookie);
    set_be16(p + 8, fr->priority);
    p[10] = fr->reason;
    p[11] = fr->table_id;
    set_be32(p + 12, fr->duration_sec);
    set_be32(p + 16, fr->duration_nsec);
    set_be16(p + 20, fr->idle_timeout);
    set_be16(p + 22, fr->hard_timeout);
    set_be64(p + 24, fr->packet_count);
    set_be64(p + 32, fr->byte_count);
    int ret = put_match(b, (size_t)start, &fr->match, err, "flow_removed");
    if (ret)
        return ret;
    return ofp_msg_end(b, (size_t)start, err, "flow_removed");
}

/* ---------------------------------------------------------------------------------------
 * PACKET_IN and PACKET_OUT.
 */
#define PACKET_IN_FIXED 24
#define PACKET_OUT_FIXED 24

int ofp_decode_packet_in(const void *data, size_t len, struct ofp_packet_in *pi,
                         struct ofp_err *err)
{
    int ret =
        ofp_check_msg(data, len, OFPT_PACKET_IN, PACKET_IN_FIXED + 8 + 2, "packet_in", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    pi->buffer_id = get_be32(p + 8);
    pi->total_len = get_be16(p + 12);
    pi->reason = p[14];
    pi->table_id = p[15];
    pi->cookie = get_be64(p + 16);
    size_t mlen;
    if ((ret = ofp_match_decode(p + 24, len - 24, &pi->match, &mlen, err)))
        return ofp_err_prefix(err, ret, "packet_in");
    /* Two bytes of padding align the Ethernet frame's IP header. */
    if (len - 24 - mlen < 2)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "packet_in: no room for the 2 pad bytes after the match");
    pi->data = p + 24 + mlen + 2;
    pi->data_len = len - 24 - mlen - 2;
    return 0;
}

int ofp_encode_packet_in(struct ofp_buf *b, uint32_t xid, const struct ofp_packet_in *pi,
                         struct ofp_err *err)
{
    long start;
    uint8_t *p = start_fixed(b, OFPT_PACKET_IN, xid, PACKET_IN_FIXED - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "packet_in");
    set_be32(p, pi->buffer_id);
    set_be16(p + 4, pi->total_len);
    p[6] = pi->reason;
    p[7] = pi->table_id;
    set_be64(p + 8, pi->cookie);
    int ret = put_match(b, (size_t)start, &pi->match, err, "packet_in");
    if (ret)
        return ret;
    if (pi->data_len > OFP_MAX_MSG_LEN) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "packet_in: %zu bytes of packet", pi->data_len);
    }
    if (!(p = ofp_buf_put(b, 2 + pi->data_len)))
        return enc_nomem(b, (size_t)start, err, "packet_in");
    if (pi->data_len)
        memcpy(p + 2, pi->data, pi->data_len);
    return ofp_msg_end(b, (size_t)start, err, "packet_in");
}

static bool packet_out_in_port_ok(uint32_t port)
{
    return port < DP_OFPORT_MAX || port == DP_OFPORT_LOCAL || port == DP_OFPORT_CONTROLLER ||
           port == DP_OFPORT_ANY;
}

int ofp_decode_packet_out(const void *data, size_t len, struct ofp_packet_out *po,
                          struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_PACKET_OUT, PACKET_OUT_FIXED, "packet_out", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    char pbuf[16];
    po->buffer_id = get_be32(p + 8);
    po->in_port = get_be32(p + 12);
    uint16_t alen = get_be16(p + 16);
    if (!packet_out_in_port_ok(po->in_port))
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT,
                        "packet_out: in_port %s is neither a port, LOCAL, CONTROLLER nor ANY",
                        ofp_port_str(po->in_port, pbuf));
    if (alen > len - PACKET_OUT_FIXED)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "packet_out: actions_len %u exceeds the %zu bytes that follow", alen,
                        len - PACKET_OUT_FIXED);
    if ((ret = ofp_actions_decode(p + PACKET_OUT_FIXED, alen, OFP_ACTX_PACKET_OUT, po->actions,
                                  &po->n_actions, err)))
        return ofp_err_prefix(err, ret, "packet_out");
    po->data = p + PACKET_OUT_FIXED + alen;
    po->data_len = len - PACKET_OUT_FIXED - alen;
    return 0;
}

int ofp_encode_packet_out(struct ofp_buf *b, uint32_t xid, const struct ofp_packet_out *po,
                          struct ofp_err *err)
{
    char pbuf[16];
    if (!packet_out_in_port_ok(po->in_port))
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_PORT,
                            "packet_out: in_port %s is not valid", ofp_port_str(po->in_port, pbuf));
    long start;
    uint8_t *p = start_fixed(b, OFPT_PACKET_OUT, xid, PACKET_OUT_FIXED - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "packet_out");
    set_be32(p, po->buffer_id);
    set_be32(p + 4, po->in_port);
    size_t acts_start = b->len;
    int ret = ofp_actions_encode(b, po->actions, po->n_actions, err);
    if (ret) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_err_prefix(err, ret, "packet_out");
    }
    size_t alen = b->len - acts_start;
    if (alen > 0xffff || po->data_len > OFP_MAX_MSG_LEN) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "packet_out: too long");
    }
    set_be16(b->data + start + 16, (uint16_t)alen);
    if (po->data_len) {
        if (!(p = ofp_buf_put(b, po->data_len)))
            return enc_nomem(b, (size_t)start, err, "packet_out");
        memcpy(p, po->data, po->data_len);
    }
    return ofp_msg_end(b, (size_t)start, err, "packet_out");
}

/* ---------------------------------------------------------------------------------------
 * Ports.
 */
#define PORT_STATUS_LEN (OFP_HEADER_LEN + 8 + OFP_PORT_LEN)
#define PORT_MOD_LEN 40

void ofp_port_pull(const uint8_t *p, struct ofp_port *port)
{
    port->port_no = get_be32(p);
    memcpy(port->hw_addr, p + 8, 6);
    ofp_get_string(port->name, sizeof port->name, p + 16, OFP_MAX_PORT_NAME_LEN);
    port->config = get_be32(p + 32);
    port->state = get_be32(p + 36);
    port->curr = get_be32(p + 40);
    port->advertised = get_be32(p + 44);
    port->supported = get_be32(p + 48);
    port->peer = get_be32(p + 52);
    port->curr_speed = get_be32(p + 56);
    port->max_speed = get_be32(p + 60);
}

void ofp_port_put(uint8_t *p, const struct ofp_port *port)
{
    set_be32(p, port->port_no);
    memcpy(p + 8, port->hw_addr, 6);
    ofp_put_string(p + 16, OFP_MAX_PORT_NAME_LEN, port->name);
    set_be32(p + 32, port->config);
    set_be32(p + 36, port->state);
    set_be32(p + 40, port->curr);
    set_be32(p + 44, port->advertised);
    set_be32(p + 48, port->supported);
    set_be32(p + 52, port->peer);
    set_be32(p + 56, port->curr_speed);
    set_be32(p + 60, port->max_speed);
}

int ofp_decode_port_status(const void *data, size_t len, struct ofp_port_status *ps,
                           struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_PORT_STATUS, PORT_STATUS_LEN, "port_status", NULL, err);
    if (ret)
        return ret;
    if (len != PORT_STATUS_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                        "port_status: %zu bytes, expected %d", len, PORT_STATUS_LEN);
    const uint8_t *p = data;
    ps->reason = p[8];
    ofp_port_pull(p + 16, &ps->desc);
    return 0;
}

int ofp_encode_port_status(struct ofp_buf *b, uint32_t xid, const struct ofp_port_status *ps,
                           struct ofp_err *err)
{
    long start;
    uint8_t *p = start_fixed(b, OFPT_PORT_STATUS, xid, PORT_STATUS_LEN - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "port_status");
    p[0] = ps->reason;
    ofp_port_put(p + 8, &ps->desc);
    return ofp_msg_end(b, (size_t)start, err, "port_status");
}

static bool port_mod_port_ok(uint32_t port)
{
    return port < DP_OFPORT_MAX || port == DP_OFPORT_LOCAL;
}

int ofp_decode_port_mod(const void *data, size_t len, struct ofp_port_mod *pm, struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_PORT_MOD, PORT_MOD_LEN, "port_mod", NULL, err);
    if (ret)
        return ret;
    if (len != PORT_MOD_LEN)
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "port_mod: %zu bytes, expected %d",
                        len, PORT_MOD_LEN);
    const uint8_t *p = data;
    char pbuf[16];
    pm->port_no = get_be32(p + 8);
    memcpy(pm->hw_addr, p + 16, 6);
    pm->config = get_be32(p + 24);
    pm->mask = get_be32(p + 28);
    pm->advertise = get_be32(p + 32);
    if (!port_mod_port_ok(pm->port_no))
        return ofp_fail(err, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_PORT,
                        "port_mod: port %s cannot be configured", ofp_port_str(pm->port_no, pbuf));
    if ((pm->config | pm->mask) & ~(uint32_t)OFPPC_ALL)
        return ofp_fail(err, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_CONFIG,
                        "port_mod: config 0x%x / mask 0x%x use bits outside 0x%x", pm->config,
                        pm->mask, OFPPC_ALL);
    return 0;
}

int ofp_encode_port_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_port_mod *pm,
                        struct ofp_err *err)
{
    char pbuf[16];
    if (!port_mod_port_ok(pm->port_no))
        return ofp_enc_fail(err, -EINVAL, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_PORT,
                            "port_mod: port %s cannot be configured",
                            ofp_port_str(pm->port_no, pbuf));
    if ((pm->config | pm->mask) & ~(uint32_t)OFPPC_ALL)
        return ofp_enc_fail(err, -EINVAL, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_CONFIG,
                            "port_mod: config bits outside 0x%x", OFPPC_ALL);
    long start;
    uint8_t *p = start_fixed(b, OFPT_PORT_MOD, xid, PORT_MOD_LEN - OFP_HEADER_LEN, &start);
    if (!p)
        return enc_nomem(b, b->len, err, "port_mod");
    set_be32(p, pm->port_no);
    memcpy(p + 8, pm->hw_addr, 6);
    set_be32(p + 16, pm->config);
    set_be32(p + 20, pm->mask);
    set_be32(p + 24, pm->advertise);
    return ofp_msg_end(b, (size_t)start, err, "port_mod");
}

/* ---------------------------------------------------------------------------------------
 * Any message.
 */
int ofp_decode(const void *data, size_t len, struct ofp_msg *msg, struct ofp_err *err)
{
    int ret = ofp_decode_header(data, len, &msg->h, err);
    if (ret)
        return ret;
    switch (msg->h.type) {
    case OFPT_HELLO:
        return ofp_decode_hello(data, len, &msg->hello, err);
    case OFPT_ERROR:
        return ofp_decode_error_msg(data, len, &msg->error, err);
    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
        return ofp_decode_echo(data, len, &msg->echo, err);
    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
        return decode_empty(data, len, msg->h.type, err);
    case OFPT_FEATURES_REPLY:
        return ofp_decode_features_reply(data, len, &msg->features, err);
    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG:
        return ofp_decode_switch_config(data, len, &msg->config, err);
    case OFPT_ROLE_REQUEST:
    case OFPT_ROLE_REPLY:
        return ofp_decode_role(data, len, &msg->role, err);
    case OFPT_FLOW_MOD:
        return ofp_decode_flow_mod(data, len, &msg->flow_mod, err);
    case OFPT_FLOW_REMOVED:
        return ofp_decode_flow_removed(data, len, &msg->flow_removed, err);
    case OFPT_PACKET_IN:
        return ofp_decode_packet_in(data, len, &msg->packet_in, err);
    case OFPT_PACKET_OUT:
        return ofp_decode_packet_out(data, len, &msg->packet_out, err);
    case OFPT_PORT_STATUS:
        return ofp_decode_port_status(data, len, &msg->port_status, err);
    case OFPT_PORT_MOD:
        return ofp_decode_port_mod(data, len, &msg->port_mod, err);
    case OFPT_GROUP_MOD:
        return ofp_decode_group_mod(data, len, &msg->group_mod, err);
    case OFPT_METER_MOD:
        return ofp_decode_meter_mod(data, len, &msg->meter_mod, err);
    case OFPT_MULTIPART_REQUEST:
        return ofp_decode_mp_request(data, len, &msg->mp_request, err);
    case OFPT_MULTIPART_REPLY:
        return ofp_decode_mp_reply(data, len, &msg->mp_reply, err);
    case OFPT_EXPERIMENTER:
        if (len < OFP_HEADER_LEN + 8)
            return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_LEN,
                            "experimenter: %zu bytes, shorter than its 16-byte header", len);
        return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_EXPERIMENTER,
                        "experimenter 0x%08x type %u: no experimenter message is supported",
                        get_be32((const uint8_t *)data + 8), get_be32((const uint8_t *)data + 12));
    }
    return ofp_fail(err, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                    "%s (type %u) is not supported by sluice", msg_name(msg->h.type), msg->h.type);
}

int ofp_encode(struct ofp_buf *b, const struct ofp_msg *msg, struct ofp_err *err)
{
    uint32_t xid = msg->h.xid;
    switch (msg->h.type) {
    case OFPT_HELLO:
        return ofp_encode_hello(b, xid, &msg->hello, err);
    case OFPT_ERROR:
        return ofp_encode_error_msg(b, xid, &msg->error, err);
    case OFPT_ECHO_REQUEST:
    case OFPT_ECHO_REPLY:
        return ofp_encode_echo(b, msg->h.type, xid, &msg->echo, err);
    case OFPT_FEATURES_REQUEST:
    case OFPT_GET_CONFIG_REQUEST:
    case OFPT_BARRIER_REQUEST:
    case OFPT_BARRIER_REPLY:
        return ofp_encode_empty(b, msg->h.type, xid, err);
    case OFPT_FEATURES_REPLY:
        return ofp_encode_features_reply(b, xid, &msg->features, err);
    case OFPT_GET_CONFIG_REPLY:
    case OFPT_SET_CONFIG:
        return ofp_encode_switch_config(b, msg->h.type, xid, &msg->config, err);
    case OFPT_ROLE_REQUEST:
    case OFPT_ROLE_REPLY:
        return ofp_encode_role(b, msg->h.type, xid, &msg->role, err);
    case OFPT_FLOW_MOD:
        return ofp_encode_flow_mod(b, xid, &msg->flow_mod, err);
    case OFPT_FLOW_REMOVED:
        return ofp_encode_flow_removed(b, xid, &msg->flow_removed, err);
    case OFPT_PACKET_IN:
        return ofp_encode_packet_in(b, xid, &msg->packet_in, err);
    case OFPT_PACKET_OUT:
        return ofp_encode_packet_out(b, xid, &msg->packet_out, err);
    case OFPT_PORT_STATUS:
        return ofp_encode_port_status(b, xid, &msg->port_status, err);
    case OFPT_PORT_MOD:
        return ofp_encode_port_mod(b, xid, &msg->port_mod, err);
    case OFPT_GROUP_MOD:
        return ofp_encode_group_mod(b, xid, &msg->group_mod, err);
    case OFPT_METER_MOD:
        return ofp_encode_meter_mod(b, xid, &msg->meter_mod, err);
    case OFPT_MULTIPART_REQUEST:
        return ofp_encode_mp_request(b, xid, &msg->mp_request, err);
    case OFPT_MULTIPART_REPLY:
        return ofp_encode_mp_reply(b, xid, &msg->mp_reply, err);
    }
    return ofp_enc_fail(err, -EINVAL, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE,
                        "%s (type %u) cannot be encoded by sluice", msg_name(msg->h.type),
                        msg->h.type);
}
