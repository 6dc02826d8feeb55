/* ofp-group.c — GROUP_MOD and the group bucket lists shared with GROUP_DESC replies.
 *
 * The codec checks what OpenFlow 1.3 says a group must be (known command and type, a group
 * id that is not reserved, one bucket for indirect groups, weights only in select groups,
 * something to watch in fast-failover buckets); whether the group exists, or a chained
 * group is allowed, is the daemon's to decide. */
#include <string.h>

#include "ofproto/ofp-codec-priv.h"

#define GROUP_MOD_FIXED 16
#define BUCKET_FIXED 16

static const char *group_type_name(uint8_t type)
{
    static const char *const names[] = {"all", "select", "indirect", "fast_failover"};
    return type <= OFPGT_FF ? names[type] : "unknown";
}

static bool watch_port_ok(uint32_t port)
{
    return port == DP_OFPORT_ANY || ofp_port_is_output(port);
}

static int check_bucket(const struct ofp_group *g, uint32_t i, struct ofp_err *err)
{
    const struct ofp_bucket *bk = &g->buckets[i];
    char pbuf[16];
    if (bk->weight && g->type != OFPGT_SELECT)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP,
                        "bucket %u: weight %u in a %s group (weights are for select groups)", i,
                        bk->weight, group_type_name(g->type));
    if (!watch_port_ok(bk->watch_port))
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH,
                        "bucket %u: watch_port %s is not a port", i,
                        ofp_port_str(bk->watch_port, pbuf));
    if (bk->watch_group > OFPG_MAX && bk->watch_group != OFPG_ANY)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH,
                        "bucket %u: watch_group 0x%08x is reserved", i, bk->watch_group);
    if (g->type == OFPGT_FF && bk->watch_port == DP_OFPORT_ANY && bk->watch_group == OFPG_ANY)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH,
                        "bucket %u: a fast_failover bucket must watch a port or a group", i);
    return 0;
}

int ofp_buckets_pull(const uint8_t *p, size_t len, struct ofp_group *g, struct ofp_err *err)
{
    size_t off = 0;
    uint32_t n = 0;
    g->n_buckets = 0;
    while (off < len) {
        if (len - off < BUCKET_FIXED)
            return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET,
                            "bucket %u: %zu bytes left, less than a bucket header", n, len - off);
        uint16_t blen = get_be16(p + off);
        if (blen < BUCKET_FIXED || blen % 8 || blen > len - off)
            return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET,
                            "bucket %u: length %u is not a multiple of 8 in 16..%zu", n, blen,
                            len - off);
        if (n == OFP_MAX_BUCKETS)
            return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                            "more than %d buckets", OFP_MAX_BUCKETS);
        struct ofp_bucket *bk = &g->buckets[n];
        bk->weight = get_be16(p + off + 2);
        bk->watch_port = get_be32(p + off + 4);
        bk->watch_group = get_be32(p + off + 8);
        int ret = ofp_actions_decode(p + off + BUCKET_FIXED, blen - BUCKET_FIXED, OFP_ACTX_BUCKET,
                                     bk->actions, &bk->n_actions, err);
        if (ret)
            return ofp_err_prefix(err, ret, "bucket %u", n);
        if ((ret = check_bucket(g, n, err)))
            return ret;
        n++;
        g->n_buckets = n;
        off += blen;
    }
    return 0;
}

int ofp_buckets_put(struct ofp_buf *b, const struct ofp_group *g, struct ofp_err *err)
{
    size_t start = b->len;
    if (g->n_buckets > OFP_MAX_BUCKETS)
        return ofp_enc_fail(err, -EINVAL, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                            "%u buckets, at most %d", g->n_buckets, OFP_MAX_BUCKETS);
    for (uint32_t i = 0; i < g->n_buckets; i++) {
        const struct ofp_bucket *bk = &g->buckets[i];
        int ret = check_bucket(g, i, err);
        if (ret) {
            ofp_buf_truncate(b, start);
            return -EINVAL;
        }
        size_t bstart = b->len;
        uint8_t *p = ofp_buf_put(b, BUCKET_FIXED);
        if (!p) {
            ofp_buf_truncate(b, start);
            return ofp_enc_fail(err, -ENOMEM, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM,
                                "bucket %u: out of memory", i);
        }
        set_be16(p + 2, bk->weight);
        set_be32(p + 4, bk->watch_port);
        set_be32(p + 8, bk->watch_group);
        if ((ret = ofp_actions_encode(b, bk->actions, bk->n_actions, err))) {
            ofp_buf_truncate(b, start);
            return ofp_err_prefix(err, ret, "bucket %u", i);
        }
        size_t blen = b->len - bstart;
        if (blen > 0xffff) {
            ofp_buf_truncate(b, start);
            return ofp_enc_fail(err, -EMSGSIZE, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET,
                                "bucket %u: %zu bytes", i, blen);
        }
        set_be16(b->data + bstart, (uint16_t)blen);
    }
    return 0;
}

/* Checks of a whole group, for ADD and MODIFY. */
static int check_group_mod(const struct ofp_group_mod *gm, struct ofp_err *err)
{
    const struct ofp_group *g = &gm->group;
    if (gm->command > OFPGC_DELETE)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND,
                        "command %u is not ADD, MODIFY or DELETE", gm->command);
    if (g->type > OFPGT_FF)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE,
                        "type %u is not all, select, indirect or fast_failover", g->type);
    if (g->group_id > OFPG_MAX && !(gm->command == OFPGC_DELETE && g->group_id == OFPG_ALL))
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP,
                        "group id 0x%08x is reserved%s", g->group_id,
                        g->group_id == OFPG_ALL ? " (OFPG_ALL is only for DELETE)" : "");
    if (gm->command != OFPGC_DELETE && g->type == OFPGT_INDIRECT && g->n_buckets != 1)
        return ofp_fail(err, OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP,
                        "an indirect group has exactly one bucket, not %u", g->n_buckets);
    return 0;
}

int ofp_decode_group_mod(const void *data, size_t len, struct ofp_group_mod *gm,
                         struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_GROUP_MOD, GROUP_MOD_FIXED, "group_mod", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    gm->command = get_be16(p + 8);
    gm->group.type = p[10];
    gm->group.group_id = get_be32(p + 12);
    gm->group.n_buckets = 0;
    /* Command and type first: the bucket checks depend on the type. */
    if (gm->command > OFPGC_DELETE || gm->group.type > OFPGT_FF)
        return ofp_err_prefix(err, check_group_mod(gm, err), "group_mod");
    if ((ret = ofp_buckets_pull(p + GROUP_MOD_FIXED, len - GROUP_MOD_FIXED, &gm->group, err)))
        return ofp_err_prefix(err, ret, "group_mod %u", gm->group.group_id);
    if ((ret = check_group_mod(gm, err)))
        return ofp_err_prefix(err, ret, "group_mod");
    return 0;
}

int ofp_encode_group_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_group_mod *gm,
                         struct ofp_err *err)
{
    if (gm->group.n_buckets > OFP_MAX_BUCKETS)
        return ofp_enc_fail(err, -EINVAL, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                            "group_mod: %u buckets, at most %d", gm->group.n_buckets,
                            OFP_MAX_BUCKETS);
    if (check_group_mod(gm, err))
        return ofp_err_prefix(err, -EINVAL, "group_mod");
    long start = ofp_msg_start(b, OFPT_GROUP_MOD, xid);
    uint8_t *p = start >= 0 ? ofp_buf_put(b, GROUP_MOD_FIXED - OFP_HEADER_LEN) : NULL;
    if (!p) {
        if (start >= 0)
            ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -ENOMEM, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM,
                            "group_mod: out of memory");
    }
    set_be16(p, gm->command);
    p[2] = gm->group.type;
    set_be32(p + 4, gm->group.group_id);
    int ret = ofp_buckets_put(b, &gm->group, err);
    if (ret) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_err_prefix(err, ret, "group_mod %u", gm->group.group_id);
    }
    return ofp_msg_end(b, (size_t)start, err, "group_mod");
}
