/* ofp-codec-priv.h — helpers shared by the files of the OpenFlow codec (ofp-*.c) only.
 *
 * Reading: every get_* takes a pointer the caller has already bounds-checked; the decoders
 * check a length once per structure and then read fixed offsets inside it.
 * Writing: ofp_buf_put() grows the buffer and returns zeroed space; msg_start()/msg_end()
 * bracket one message so that its length is patched once and checked against 64 KiB. On any
 * failure the encoder truncates the buffer back to where it started (ofp_buf_truncate). */
#ifndef SLUICE_OFPROTO_OFP_CODEC_PRIV_H
#define SLUICE_OFPROTO_OFP_CODEC_PRIV_H

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "ofproto/ofp-msgs.h"

static inline uint16_t get_be16(const uint8_t *p)
{
    return (uint16_t)((p[0] << 8) | p[1]);
}

static inline uint32_t get_be32(const uint8_t *p)
{
    return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

static inline uint64_t get_be64(const uint8_t *p)
{
    return ((uint64_t)get_be32(p) << 32) | get_be32(p + 4);
}

static inline void set_be16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

static inline void set_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static inline void set_be64(uint8_t *p, uint64_t v)
{
    set_be32(p, (uint32_t)(v >> 32));
    set_be32(p + 4, (uint32_t)v);
}

/* Pads `n` up to a multiple of 8, as OpenFlow pads matches, actions and properties. */
static inline size_t pad8(size_t n)
{
    return (n + 7) & ~(size_t)7;
}


/* Like ofp_fail() for encoders: returns `ret` (-EINVAL, -EMSGSIZE, -ENOMEM). */
int ofp_enc_fail(struct ofp_err *err, int ret, uint16_t type, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Prepends "what: " to err->msg, so that nested decoders name their context
 * ("flow_mod: instruction 2: apply_actions: action 1: ..."). Returns `ret`. */
int ofp_err_prefix(struct ofp_err *err, int ret, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Appends `n` zeroed bytes; returns their address (valid until the next put) or NULL when
 * out of memory or when the buffer would exceed an absurd size. */
uint8_t *ofp_buf_put(struct ofp_buf *b, size_t n);
static inline void ofp_buf_truncate(struct ofp_buf *b, size_t len)
{
    if (len < b->len)
        b->len = len;
}
/* Inserts `n` zeroed bytes at offset `at`, moving what follows. 0 or -ENOMEM. */
int ofp_buf_insert(struct ofp_buf *b, size_t at, size_t n);

/* Appends an 8-byte header of `type` with length 0; returns its offset (or -ENOMEM). */
long ofp_msg_start(struct ofp_buf *b, uint8_t type, uint32_t xid);
/* Patches the length of the message starting at `start`; -EMSGSIZE (truncating the buffer
 * back to `start`) when it exceeds OFP_MAX_MSG_LEN. */
int ofp_msg_end(struct ofp_buf *b, size_t start, struct ofp_err *err, const char *what);

/* Checks the header of a whole message: ofp_decode_header() plus the expected type and a
 * minimum length (OFPBRC_BAD_LEN, naming `what`). */
int ofp_check_msg(const void *data, size_t len, uint8_t type, size_t min_len, const char *what,
                  struct ofp_header *h, struct ofp_err *err);

/* Copies a fixed-size, NUL-padded wire string into dst[dst_size] (always terminated; a wire
 * string that fills its field is cut to dst_size - 1 characters). */
void ofp_get_string(char *dst, size_t dst_size, const uint8_t *src, size_t src_len);
/* Writes `src` into a NUL-padded field of `len` bytes (cut to len - 1 characters). */
void ofp_put_string(uint8_t *dst, size_t len, const char *src);

/* A port number that may be the destination of OUTPUT (or a watch port): a regular port
 * below OFPP_MAX or a reserved port other than OFPP_ANY. */
bool ofp_port_is_output(uint32_t port);
/* A short name for port numbers in messages: "3", "CONTROLLER", "ANY"... into buf[16]. */
const char *ofp_port_str(uint32_t port, char buf[16]);

/* OXM header layout (OpenFlow 1.3 7.2.3.2). */
#define OXM_CLASS_NXM0 0x0000
#define OXM_CLASS_NXM1 0x0001
#define OXM_CLASS_BASIC 0x8000
#define OXM_CLASS_EXPERIMENTER 0xffff
#define OXM_EXPERIMENTER_ONF 0x4f4e4600u
#define OXM_ONF_TCP_FLAGS 42 /* ONF's experimenter field for tcp_flags, as OVS sends it */
#define OXM_NXM_IP_TTL 29    /* NXM_NX_IP_TTL in class 0x0001 */

/* The OXM field of a set-field action: decodes one OXM TLV that must span exactly `len`
 * bytes, has no mask, and names a writable field (OFPBAC_BAD_SET_*). Shared by ofp-match.c
 * and ofp-actions.c. */
int ofp_oxm_decode_set_field(const uint8_t *p, size_t len, struct dp_action *act, size_t *oxm_len,
                             struct ofp_err *err);
/* Appends one unmasked OXM TLV for a set-field action (no padding). */
int ofp_oxm_encode_set_field(struct ofp_buf *b, const struct dp_action *act, struct ofp_err *err);
/* The name used in messages for an OXM field number of the basic class. */
const char *ofp_oxm_field_name(unsigned field);
/* The value length of a basic-class OXM field (0 for field numbers sluice does not know). */
unsigned ofp_oxm_wire_len(unsigned field);

/* struct ofp_port <-> its 64 wire bytes (PORT_STATUS, PORT_DESC replies). */
#define OFP_PORT_LEN 64
void ofp_port_pull(const uint8_t *p, struct ofp_port *port);
void ofp_port_put(uint8_t *p, const struct ofp_port *port);

/* Group buckets (GROUP_MOD, GROUP_DESC replies): decodes `len` bytes of buckets into g's
 * bucket list / appends g's buckets. Errors are OFPET_GROUP_MOD_FAILED's. */
int ofp_buckets_pull(const uint8_t *p, size_t len, struct ofp_group *g, struct ofp_err *err);
int ofp_buckets_put(struct ofp_buf *b, const struct ofp_group *g, struct ofp_err *err);

/* Meter bands (METER_MOD, METER_CONFIG replies), likewise. */
int ofp_bands_pull(const uint8_t *p, size_t len, struct ofp_meter_config *mc, struct ofp_err *err);
int ofp_bands_put(struct ofp_buf *b, const struct ofp_meter_config *mc, struct ofp_err *err);

#endif
