/* ofp-meter.c — METER_MOD and the band lists shared with METER_CONFIG replies.
 *
 * sluice meters drop: a DSCP-remark or experimenter band is refused with OFPMMFC_BAD_BAND
 * at decode time, so that the daemon never holds a meter it cannot enforce. */
#include <string.h>

#include "ofproto/ofp-codec-priv.h"

#define METER_MOD_FIXED 16
#define BAND_LEN 16
#define METER_FLAGS_ALL (OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS)

static int check_band(const struct ofp_meter_band *band, uint32_t i, struct ofp_err *err)
{
    if (band->type != OFPMBT_DROP)
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND,
                        "band %u: type %u is not supported (only drop, type 1)", i, band->type);
    if (band->rate == 0)
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE, "band %u: rate 0", i);
    return 0;
}

int ofp_bands_pull(const uint8_t *p, size_t len, struct ofp_meter_config *mc, struct ofp_err *err)
{
    size_t off = 0;
    uint32_t n = 0;
    mc->n_bands = 0;
    while (off < len) {
        if (len - off < 4)
            return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND,
                            "band %u: %zu bytes left, less than a band header", n, len - off);
        uint16_t type = get_be16(p + off), blen = get_be16(p + off + 2);
        if (blen < BAND_LEN || blen % 8 || blen > len - off)
            return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND,
                            "band %u: length %u is not a multiple of 8 in 16..%zu", n, blen,
                            len - off);
        if (n == OFP_MAX_BANDS)
            return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS, "more than %d bands",
                            OFP_MAX_BANDS);
        struct ofp_meter_band *band = &mc->bands[n];
        band->type = type;
        band->rate = get_be32(p + off + 4);
        band->burst_size = get_be32(p + off + 8);
        int ret = check_band(band, n, err);
        if (ret)
            return ret;
        if (blen != BAND_LEN)
            return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND,
                            "band %u: a drop band is %d bytes, not %u", n, BAND_LEN, blen);
        n++;
        mc->n_bands = n;
        off += blen;
    }
    return 0;
}

int ofp_bands_put(struct ofp_buf *b, const struct ofp_meter_config *mc, struct ofp_err *err)
{
    if (mc->n_bands > OFP_MAX_BANDS)
        return ofp_enc_fail(err, -EINVAL, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS,
                            "%u bands, at most %d", mc->n_bands, OFP_MAX_BANDS);
    for (uint32_t i = 0; i < mc->n_bands; i++)
        if (check_band(&mc->bands[i], i, err))
            return -EINVAL;
    uint8_t *p = ofp_buf_put(b, (size_t)BAND_LEN * mc->n_bands);
    if (!p)
        return ofp_enc_fail(err, -ENOMEM, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN,
                            "bands: out of memory");
    for (uint32_t i = 0; i < mc->n_bands; i++, p += BAND_LEN) {
        set_be16(p, mc->bands[i].type);
        set_be16(p + 2, BAND_LEN);
        set_be32(p + 4, mc->bands[i].rate);
        set_be32(p + 8, mc->bands[i].burst_size);
    }
    return 0;
}

static bool meter_id_ok(uint32_t id, uint16_t command)
{
    if (id == OFPM_ALL)
        return command == OFPMC_DELETE;
    return id != 0 && (id <= OFPM_MAX || id == OFPM_SLOWPATH || id == OFPM_CONTROLLER);
}

static int check_meter_mod(const struct ofp_meter_mod *mm, struct ofp_err *err)
{
    const struct ofp_meter_config *mc = &mm->meter;
    if (mm->command > OFPMC_DELETE)
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND,
                        "command %u is not ADD, MODIFY or DELETE", mm->command);
    if (mc->flags & ~METER_FLAGS_ALL)
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS,
                        "flags 0x%04x include unknown bits", mc->flags);
    if ((mc->flags & OFPMF_KBPS) && (mc->flags & OFPMF_PKTPS))
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS,
                        "flags 0x%04x: kbps and pktps exclude each other", mc->flags);
    if (!meter_id_ok(mc->meter_id, mm->command))
        return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER,
                        "meter id 0x%08x is not a meter%s", mc->meter_id,
                        mc->meter_id == OFPM_ALL ? " (OFPM_ALL is only for DELETE)" : "");
    return 0;
}

int ofp_decode_meter_mod(const void *data, size_t len, struct ofp_meter_mod *mm,
                         struct ofp_err *err)
{
    int ret = ofp_check_msg(data, len, OFPT_METER_MOD, METER_MOD_FIXED, "meter_mod", NULL, err);
    if (ret)
        return ret;
    const uint8_t *p = data;
    mm->command = get_be16(p + 8);
    mm->meter.flags = get_be16(p + 10);
    mm->meter.meter_id = get_be32(p + 12);
    mm->meter.n_bands = 0;
    if ((ret = check_meter_mod(mm, err)))
        return ofp_err_prefix(err, ret, "meter_mod");
    if ((ret = ofp_bands_pull(p + METER_MOD_FIXED, len - METER_MOD_FIXED, &mm->meter, err)))
        return ofp_err_prefix(err, ret, "meter_mod %u", mm->meter.meter_id);
    return 0;
}

int ofp_encode_meter_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_meter_mod *mm,
                         struct ofp_err *err)
{
    if (check_meter_mod(mm, err))
        return ofp_err_prefix(err, -EINVAL, "meter_mod");
    long start = ofp_msg_start(b, OFPT_METER_MOD, xid);
    uint8_t *p = start >= 0 ? ofp_buf_put(b, METER_MOD_FIXED - OFP_HEADER_LEN) : NULL;
    if (!p) {
        if (start >= 0)
            ofp_buf_truncate(b, (size_t)start);
        return ofp_enc_fail(err, -ENOMEM, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN,
                            "meter_mod: out of memory");
    }
    set_be16(p, mm->command);
    set_be16(p + 2, mm->meter.flags);
    set_be32(p + 4, mm->meter.meter_id);
    int ret = ofp_bands_put(b, &mm->meter, err);
    if (ret) {
        ofp_buf_truncate(b, (size_t)start);
        return ofp_err_prefix(err, ret, "meter_mod %u", mm->meter.meter_id);
    }
    return ofp_msg_end(b, (size_t)start, err, "meter_mod");
}
