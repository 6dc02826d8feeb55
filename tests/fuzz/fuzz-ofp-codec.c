/* fuzz-ofp-codec.c — libFuzzer target for the OpenFlow 1.3 codec.
 *
 * Each input is read three ways: as a whole message (its header's length forced to the
 * input's, so that the body decoders are reached rather than stopped at the header), and
 * as a bare match, action list and instruction list. Whatever decodes must re-encode, the
 * re-encoding must decode, and encoding that again must give the same bytes (a decoded
 * message has one canonical form). Any violation aborts, which libFuzzer reports.
 *
 *   cmake -S . -B build-fuzz -DSLUICE_FUZZ=ON -DCMAKE_C_COMPILER=clang \
 *         -DCMAKE_C_FLAGS=-fsanitize=fuzzer-no-link,address,undefined
 *   build-fuzz/fuzz-ofp-codec -max_total_time=180 corpus/
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ofproto/ofp-msgs.h"

#define CHECK(cond, ...)                                                                           \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz-ofp-codec: " __VA_ARGS__);                                       \
            fprintf(stderr, " (%s:%d)\n", __FILE__, __LINE__);                                     \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

static struct ofp_msg msg1, msg2;

union entry {
    struct ofp_flow_stats fs;
    struct ofp_table_stats ts;
    struct ofp_port_stats ps;
    struct ofp_port pd;
    struct ofp_table_features tf;
    struct ofp_group_stats gs;
    struct ofp_group gd;
    struct ofp_meter_stats ms;
    struct ofp_meter_config mc;
};
static union entry entry;

/* Pulls one entry of the cursor's type and adds it to the builder: 1, 0 at the end, or -1
 * when the entry does not decode (then the reply is not re-encoded). */
static int copy_entry(struct ofp_mp_cursor *c, struct ofp_mp_builder *mb)
{
    struct ofp_err err;
    int ret;
#define COPY(next, add, member)                                                                    \
    ret = next(c, &entry.member, &err);                                                            \
    if (ret == 1) {                                                                                \
        int r2 = add(mb, &entry.member, &err);                                                     \
        CHECK(r2 == 0, "decoded %s entry does not re-encode: %s", #member, err.msg);               \
    }                                                                                              \
    break;
    switch (c->type) {
    case OFPMP_FLOW:
        COPY(ofp_mp_next_flow_stats, ofp_mp_add_flow_stats, fs)
    case OFPMP_TABLE:
        COPY(ofp_mp_next_table_stats, ofp_mp_add_table_stats, ts)
    case OFPMP_PORT_STATS:
        COPY(ofp_mp_next_port_stats, ofp_mp_add_port_stats, ps)
    case OFPMP_PORT_DESC:
        COPY(ofp_mp_next_port_desc, ofp_mp_add_port_desc, pd)
    case OFPMP_TABLE_FEATURES:
        COPY(ofp_mp_next_table_features, ofp_mp_add_table_features, tf)
    case OFPMP_GROUP:
        COPY(ofp_mp_next_group_stats, ofp_mp_add_group_stats, gs)
    case OFPMP_GROUP_DESC:
        COPY(ofp_mp_next_group_desc, ofp_mp_add_group_desc, gd)
    case OFPMP_METER:
        COPY(ofp_mp_next_meter_stats, ofp_mp_add_meter_stats, ms)
    case OFPMP_METER_CONFIG:
        COPY(ofp_mp_next_meter_config, ofp_mp_add_meter_config, mc)
    default:
        return 0;
    }
#undef COPY
    return ret < 0 ? -1 : ret;
}

static bool is_list_reply(const struct ofp_msg *m)
{
    if (m->h.type != OFPT_MULTIPART_REPLY)
        return false;
    switch (m->mp_reply.type) {
    case OFPMP_FLOW:
    case OFPMP_TABLE:
    case OFPMP_PORT_STATS:
    case OFPMP_PORT_DESC:
    case OFPMP_TABLE_FEATURES:
    case OFPMP_GROUP:
    case OFPMP_GROUP_DESC:
    case OFPMP_METER:
    case OFPMP_METER_CONFIG:
        return true;
    }
    return false;
}

/* Encodes a decoded message; list replies entry by entry. Returns false when a list
 * entry did not decode (nothing to compare then). */
static bool encode(const struct ofp_msg *m, struct ofp_buf *b)
{
    struct ofp_err err;
    ofp_buf_clear(b);
    if (!is_list_reply(m)) {
        int ret = ofp_encode(b, m, &err);
        CHECK(ret == 0, "decoded %s does not re-encode: %s", ofp_type_name(m->h.type), err.msg);
        return true;
    }
    struct ofp_mp_cursor c;
    struct ofp_mp_builder mb;
    ofp_mp_cursor_init(&c, &m->mp_reply);
    CHECK(ofp_mp_builder_start(&mb, b, m->mp_reply.type, m->h.xid) == 0, "builder start");
    int ret;
    while ((ret = copy_entry(&c, &mb)) == 1)
        ;
    ofp_mp_builder_finish(&mb);
    return ret == 0;
}

/* Every message the builder produced must decode. */
static void decode_all(const struct ofp_buf *b, struct ofp_msg *m)
{
    struct ofp_err err;
    for (size_t off = 0; off < b->len;) {
        int len = ofp_msg_length(b->data + off, b->len - off, &err);
        CHECK(len >= 8 && off + (size_t)len <= b->len, "bad framing in own output");
        int ret = ofp_decode(b->data + off, (size_t)len, m, &err);
        CHECK(ret == 0, "own encoding of %s does not decode: %s", ofp_type_name(b->data[off + 1]),
              err.msg);
        off += (size_t)len;
    }
}

/* `buf` is the caller's exact-size copy of the input, patched in place. */
static void fuzz_message(uint8_t *buf, size_t size)
{
    static struct ofp_buf b1, b2, eb;
    if (size < OFP_HEADER_LEN || size > OFP_MAX_MSG_LEN)
        return;
    buf[2] = (uint8_t)(size >> 8);
    buf[3] = (uint8_t)size;
    if (buf[1] != OFPT_HELLO)
        buf[0] = OFP13_VERSION;

    struct ofp_err err;
    memset(&err, 0, sizeof err);
    if (ofp_decode(buf, size, &msg1, &err)) {
        CHECK(ofp_error_code_name(err.type, err.code), "unnamed error %u/%u: %s", err.type,
              err.code, err.msg);
        CHECK(memchr(err.msg, 0, sizeof err.msg), "unterminated error message");
        ofp_buf_clear(&eb);
        CHECK(ofp_encode_error(&eb, &err, buf, size) == 0, "error reply");
        return;
    }
    if (msg1.h.type == OFPT_HELLO) {
        struct ofp_err e2;
        int v = ofp_hello_negotiate(&msg1.hello, 1u << OFP13_VERSION, &e2);
        CHECK(v == OFP13_VERSION || v == -EPROTO, "negotiation gave %d", v);
    }
    if (!encode(&msg1, &b1))
        return;
    /* The first decode may accept a wire form the encoder never writes (an empty
     * apply-actions, a mask of all ones...); from the first encoding on, the form is fixed. */
    decode_all(&b1, &msg2);
    if (b1.len > OFP_MAX_MSG_LEN || is_list_reply(&msg1))
        return; /* a split reply: each part checked by decode_all */
    CHECK(encode(&msg2, &b2), "re-decoded list reply has a bad entry");
    CHECK(b1.len == b2.len && !memcmp(b1.data, b2.data, b1.len),
          "%s: encode(decode(encode(decode(x)))) differs (%zu vs %zu bytes)",
          ofp_type_name(msg1.h.type), b1.len, b2.len);
}

static void fuzz_parts(const uint8_t *data, size_t size)
{
    static struct ofp_buf b;
    static struct flow_spec spec, spec2;
    struct flow_match m, m2;
    size_t consumed;
    struct ofp_err err;

    if (ofp_match_decode(data, size, &m, &consumed, &err) == 0) {
        CHECK(consumed <= size && consumed % 8 == 0, "match consumed %zu of %zu", consumed, size);
        ofp_buf_clear(&b);
        CHECK(ofp_match_encode(&b, &m, &err) == 0, "decoded match does not encode: %s", err.msg);
        CHECK(ofp_match_decode(b.data, b.len, &m2, &consumed, &err) == 0,
              "encoded match does not decode: %s", err.msg);
        CHECK(consumed == b.len, "match length");
        CHECK(flow_match_equal(&m, &m2), "match changed by a round trip");
    }

    struct dp_action acts[DP_MAX_ACTIONS], acts2[DP_MAX_ACTIONS];
    uint32_t n, n2;
    for (int ctx = OFP_ACTX_FLOW; ctx <= OFP_ACTX_BUCKET; ctx++) {
        memset(acts, 0, sizeof acts);
        if (ofp_actions_decode(data, size, ctx, acts, &n, &err))
            continue;
        ofp_buf_clear(&b);
        CHECK(ofp_actions_encode(&b, acts, n, &err) == 0, "decoded actions do not encode: %s",
              err.msg);
        memset(acts2, 0, sizeof acts2);
        CHECK(ofp_actions_decode(b.data, b.len, ctx, acts2, &n2, &err) == 0,
              "encoded actions do not decode: %s", err.msg);
        CHECK(n == n2 && !memcmp(acts, acts2, sizeof acts), "actions changed by a round trip");
    }

    memset(&spec, 0, sizeof spec);
    spec.table_id = size ? data[0] % 8 : 0;
    spec.table_given = true;
    if (ofp_instructions_decode(data, size, &spec, &err) == 0) {
        ofp_buf_clear(&b);
        CHECK(ofp_instructions_encode(&b, &spec, &err) == 0,
              "decoded instructions do not encode: %s", err.msg);
        memset(&spec2, 0, sizeof spec2);
        spec2.table_id = spec.table_id;
        spec2.table_given = true;
        CHECK(ofp_instructions_decode(b.data, b.len, &spec2, &err) == 0,
              "encoded instructions do not decode: %s", err.msg);
        CHECK(!memcmp(&spec, &spec2, sizeof spec), "instructions changed by a round trip");
        (void)ofp_check_actions_match(&spec, &err);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* An exact-size copy, so that any read past the end is caught by ASan. */
    uint8_t *copy = malloc(size ? size : 1);
    if (!copy)
        return 0;
    memcpy(copy, data, size);
    struct ofp_err err;
    (void)ofp_msg_length(copy, size, &err);
    fuzz_parts(copy, size);
    fuzz_message(copy, size);
    free(copy);
    return 0;
}
