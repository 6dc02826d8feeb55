/* ofp-msgs.h — OpenFlow 1.3 messages: wire bytes <-> host structs, both directions.
 *
 * What?
 *   The one OpenFlow codec of sluice, shared by the daemon (which decodes requests and encodes
 *   replies, PACKET_IN, FLOW_REMOVED, PORT_STATUS) and by sluicectl (which encodes requests
 *   and decodes replies), so that both speak exactly what `ovs-ofctl -O OpenFlow13` speaks.
 *   Every message sluice needs has a host struct, a decoder and an encoder:
 *     HELLO (with a version-bitmap element; ofp_hello_negotiate() picks the version), ERROR,
 *     ECHO_REQUEST/REPLY, FEATURES_REQUEST/REPLY, GET_CONFIG_REQUEST/REPLY, SET_CONFIG,
 *     BARRIER_REQUEST/REPLY, FLOW_MOD, FLOW_REMOVED, PACKET_IN, PACKET_OUT, PORT_STATUS,
 *     PORT_MOD, ROLE_REQUEST/REPLY, GROUP_MOD, METER_MOD, and MULTIPART requests and replies
 *     for DESC, FLOW, AGGREGATE, TABLE, PORT_STATS, PORT_DESC, TABLE_FEATURES, GROUP,
 *     GROUP_DESC, GROUP_FEATURES, METER, METER_CONFIG and METER_FEATURES.
 *   Matches are OXM TLVs <-> struct flow_match, through the field table (flow-field.h).
 *   Actions are <-> struct dp_action (actions.h); instructions <-> the instruction members of
 *   struct flow_spec (flow-syntax.h). A decoded FLOW_MOD is a struct flow_spec plus command
 *   and buffer_id, ready for the daemon to apply.
 *
 * No I/O, explicit lengths.
 *   Everything here is a pure function over byte buffers. A decoder is given one whole
 *   message (`len` bytes, exactly the header's length: frame a stream with ofp_msg_length())
 *   and never reads outside it. Pointers in decoded structs (ECHO and PACKET_IN/OUT data,
 *   ERROR data, multipart bodies) point into the caller's buffer and live as long as it does.
 *   Encoders append complete messages to a growable struct ofp_buf; on failure they leave the
 *   buffer exactly as it was.
 *
 * Errors.
 *   A decoder returns 0, or -EPROTO and fills a struct ofp_err with the exact OpenFlow 1.3
 *   error type and code that a switch must answer (OFPET_BAD_MATCH/OFPBMC_BAD_PREREQ, ...)
 *   and a message naming the object and the cause ("flow_mod: match: OXM tcp_dst requires
 *   ip_proto=6 and eth_type=0x0800 or 0x86dd"). The daemon answers it with ofp_encode_error(),
 *   which echoes the offending message's first OFP_ERROR_DATA_LEN bytes.
 *   An encoder returns 0, -EINVAL when the host struct cannot be expressed in OpenFlow 1.3
 *   (a match on a field with no OXM, too many actions, ...; err says what), -EMSGSIZE when the
 *   message would exceed OFP_MAX_MSG_LEN, or -ENOMEM.
 *
 * Validation is the wire's, not the switch's.
 *   Decoders reject what OpenFlow 1.3 itself forbids (bad lengths, unknown or duplicate match
 *   fields, missing prerequisites, bad masks, actions inconsistent with the match, goto_table
 *   backwards, unknown commands and flags, ...). What depends on the switch's state (does
 *   the port, group, meter or table exist, is the table full) is the daemon's to check.
 *   Unsupported parts of OpenFlow are rejected with the code the spec reserves for them:
 *   SET_QUEUE, COPY_TTL_*, MPLS and PBB actions get OFPBAC_BAD_TYPE; MPLS/PBB/IPv6-exthdr
 *   match fields get OFPBMC_BAD_FIELD; DSCP-remark meter bands get OFPMMFC_BAD_BAND.
 *
 * Canonical encoding.
 *   OXM fields are written in the order Open vSwitch writes them (in_port, Ethernet, VLAN,
 *   L3, L4, ARP, tunnel id, metadata), exact fields without a mask, and instructions in
 *   execution order (meter, apply, clear, write, write_metadata, goto), so that a message
 *   ovs-ofctl sends re-encodes to the same bytes. Two fields OpenFlow 1.3 has no OXM for are
 *   encoded as ovs-ofctl encodes them: nw_ttl as NXM_NX_IP_TTL (class 0x0001) and tcp_flags
 *   as ONF's experimenter OXM 42; SET_FIELD of nw_ttl is OFPAT_SET_NW_TTL.
 *
 * Multipart.
 *   A reply is built with struct ofp_mp_builder: entries are appended one by one and the
 *   builder starts a new message, setting OFPMPF_REPLY_MORE on the previous one, whenever
 *   the next entry would push a message past OFP_MAX_MSG_LEN. A received reply is decoded to
 *   struct ofp_mp_reply and its entries pulled with struct ofp_mp_cursor.
 *
 * What ovs-ofctl expects of a switch (learned by capturing it; the daemon must provide it).
 *   Before add-flow and friends, ovs-ofctl 3.x sends a TABLE_FEATURES request and refuses a
 *   reply that lacks any of the eight regular properties (ofp_mp_add_table_features() always
 *   writes all of them), and a PORT_DESC request to resolve port names. `ovs-ofctl monitor`
 *   sends Nicira experimenter messages first and carries on when they are refused.
 *
 * Threads.
 *   No global state: every function may run on any thread, on caller-owned memory.
 */
#ifndef SLUICE_OFPROTO_OFP_MSGS_H
#define SLUICE_OFPROTO_OFP_MSGS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "datapath/actions.h"
#include "datapath/flow-key.h"
#include "ofproto/flow-syntax.h"

#define OFP13_VERSION 0x04
#define OFP_HEADER_LEN 8
#define OFP_MAX_MSG_LEN 65535u /* the header's length field is 16 bits */
#define OFP_ERROR_DATA_LEN 64  /* bytes of a failed request echoed in its ERROR */
#define OFP_NO_BUFFER 0xffffffffu
#define OFP_DEFAULT_PRIORITY 0x8000
#define OFP_DEFAULT_MISS_SEND_LEN 128
#define OFP_MAX_PORT_NAME_LEN 16 /* including the terminating NUL */
#define OFP_MAX_TABLE_NAME_LEN 32
#define OFP_DESC_STR_LEN 256
#define OFP_SERIAL_NUM_LEN 32

#define OFPTT_MAX 0xfe
#define OFPTT_ALL 0xff
#define OFPG_MAX 0xffffff00u
#define OFPG_ALL 0xfffffffcu
#define OFPG_ANY 0xffffffffu
#define OFPM_MAX 0xffff0000u
#define OFPM_SLOWPATH 0xfffffffdu
#define OFPM_CONTROLLER 0xfffffffeu
#define OFPM_ALL 0xffffffffu
#define OFPCML_MAX 0xffe5
#define OFPCML_NO_BUFFER 0xffff
#define OFPVID_PRESENT 0x1000

/* Limits of the host structs (what sluice supports, not what the wire allows). */
#define OFP_MAX_BUCKETS 32 /* buckets in a group */
#define OFP_MAX_BANDS 8    /* bands in a meter */

enum ofp_type {
    OFPT_HELLO = 0,
    OFPT_ERROR = 1,
    OFPT_ECHO_REQUEST = 2,
    OFPT_ECHO_REPLY = 3,
    OFPT_EXPERIMENTER = 4,
    OFPT_FEATURES_REQUEST = 5,
    OFPT_FEATURES_REPLY = 6,
    OFPT_GET_CONFIG_REQUEST = 7,
    OFPT_GET_CONFIG_REPLY = 8,
    OFPT_SET_CONFIG = 9,
    OFPT_PACKET_IN = 10,
    OFPT_FLOW_REMOVED = 11,
    OFPT_PORT_STATUS = 12,
    OFPT_PACKET_OUT = 13,
    OFPT_FLOW_MOD = 14,
    OFPT_GROUP_MOD = 15,
    OFPT_PORT_MOD = 16,
    OFPT_TABLE_MOD = 17,
    OFPT_MULTIPART_REQUEST = 18,
    OFPT_MULTIPART_REPLY = 19,
    OFPT_BARRIER_REQUEST = 20,
    OFPT_BARRIER_REPLY = 21,
    OFPT_QUEUE_GET_CONFIG_REQUEST = 22,
    OFPT_QUEUE_GET_CONFIG_REPLY = 23,
    OFPT_ROLE_REQUEST = 24,
    OFPT_ROLE_REPLY = 25,
    OFPT_GET_ASYNC_REQUEST = 26,
    OFPT_GET_ASYNC_REPLY = 27,
    OFPT_SET_ASYNC = 28,
    OFPT_METER_MOD = 29,
};

/* ---------------------------------------------------------------------------------------
 * Errors: ofp_error_type and each type's codes, as numbered by OpenFlow 1.3.5.
 */
enum ofp_error_type {
    OFPET_HELLO_FAILED = 0,
    OFPET_BAD_REQUEST = 1,
    OFPET_BAD_ACTION = 2,
    OFPET_BAD_INSTRUCTION = 3,
    OFPET_BAD_MATCH = 4,
    OFPET_FLOW_MOD_FAILED = 5,
    OFPET_GROUP_MOD_FAILED = 6,
    OFPET_PORT_MOD_FAILED = 7,
    OFPET_TABLE_MOD_FAILED = 8,
    OFPET_QUEUE_OP_FAILED = 9,
    OFPET_SWITCH_CONFIG_FAILED = 10,
    OFPET_ROLE_REQUEST_FAILED = 11,
    OFPET_METER_MOD_FAILED = 12,
    OFPET_TABLE_FEATURES_FAILED = 13,
    OFPET_EXPERIMENTER = 0xffff,
};

enum ofp_hello_failed_code { OFPHFC_INCOMPATIBLE = 0, OFPHFC_EPERM = 1 };

enum ofp_bad_request_code {
    OFPBRC_BAD_VERSION = 0,
    OFPBRC_BAD_TYPE = 1,
    OFPBRC_BAD_MULTIPART = 2,
    OFPBRC_BAD_EXPERIMENTER = 3,
    OFPBRC_BAD_EXP_TYPE = 4,
    OFPBRC_EPERM = 5,
    OFPBRC_BAD_LEN = 6,
    OFPBRC_BUFFER_EMPTY = 7,
    OFPBRC_BUFFER_UNKNOWN = 8,
    OFPBRC_BAD_TABLE_ID = 9,
    OFPBRC_IS_SLAVE = 10,
    OFPBRC_BAD_PORT = 11,
    OFPBRC_BAD_PACKET = 12,
    OFPBRC_MULTIPART_BUFFER_OVERFLOW = 13,
};

enum ofp_bad_action_code {
    OFPBAC_BAD_TYPE = 0,
    OFPBAC_BAD_LEN = 1,
    OFPBAC_BAD_EXPERIMENTER = 2,
    OFPBAC_BAD_EXP_TYPE = 3,
    OFPBAC_BAD_OUT_PORT = 4,
    OFPBAC_BAD_ARGUMENT = 5,
    OFPBAC_EPERM = 6,
    OFPBAC_TOO_MANY = 7,
    OFPBAC_BAD_QUEUE = 8,
    OFPBAC_BAD_OUT_GROUP = 9,
    OFPBAC_MATCH_INCONSISTENT = 10,
    OFPBAC_UNSUPPORTED_ORDER = 11,
    OFPBAC_BAD_TAG = 12,
    OFPBAC_BAD_SET_TYPE = 13,
    OFPBAC_BAD_SET_LEN = 14,
    OFPBAC_BAD_SET_ARGUMENT = 15,
};

enum ofp_bad_instruction_code {
    OFPBIC_UNKNOWN_INST = 0,
    OFPBIC_UNSUP_INST = 1,
    OFPBIC_BAD_TABLE_ID = 2,
    OFPBIC_UNSUP_METADATA = 3,
    OFPBIC_UNSUP_METADATA_MASK = 4,
    OFPBIC_BAD_EXPERIMENTER = 5,
    OFPBIC_BAD_EXP_TYPE = 6,
    OFPBIC_BAD_LEN = 7,
    OFPBIC_EPERM = 8,
};

enum ofp_bad_match_code {
    OFPBMC_BAD_TYPE = 0,
    OFPBMC_BAD_LEN = 1,
    OFPBMC_BAD_TAG = 2,
    OFPBMC_BAD_DL_ADDR_MASK = 3,
    OFPBMC_BAD_NW_ADDR_MASK = 4,
    OFPBMC_BAD_WILDCARDS = 5,
    OFPBMC_BAD_FIELD = 6,
    OFPBMC_BAD_VALUE = 7,
    OFPBMC_BAD_MASK = 8,
    OFPBMC_BAD_PREREQ = 9,
    OFPBMC_DUP_FIELD = 10,
    OFPBMC_EPERM = 11,
};

enum ofp_flow_mod_failed_code {
    OFPFMFC_UNKNOWN = 0,
    OFPFMFC_TABLE_FULL = 1,
    OFPFMFC_BAD_TABLE_ID = 2,
    OFPFMFC_OVERLAP = 3,
    OFPFMFC_EPERM = 4,
    OFPFMFC_BAD_TIMEOUT = 5,
    OFPFMFC_BAD_COMMAND = 6,
    OFPFMFC_BAD_FLAGS = 7,
};

enum ofp_group_mod_failed_code {
    OFPGMFC_GROUP_EXISTS = 0,
    OFPGMFC_INVALID_GROUP = 1,
    OFPGMFC_WEIGHT_UNSUPPORTED = 2,
    OFPGMFC_OUT_OF_GROUPS = 3,
    OFPGMFC_OUT_OF_BUCKETS = 4,
    OFPGMFC_CHAINING_UNSUPPORTED = 5,
    OFPGMFC_WATCH_UNSUPPORTED = 6,
    OFPGMFC_LOOP = 7,
    OFPGMFC_UNKNOWN_GROUP = 8,
    OFPGMFC_CHAINED_GROUP = 9,
    OFPGMFC_BAD_TYPE = 10,
    OFPGMFC_BAD_COMMAND = 11,
    OFPGMFC_BAD_BUCKET = 12,
    OFPGMFC_BAD_WATCH = 13,
    OFPGMFC_EPERM = 14,
};

enum ofp_port_mod_failed_code {
    OFPPMFC_BAD_PORT = 0,
    OFPPMFC_BAD_HW_ADDR = 1,
    OFPPMFC_BAD_CONFIG = 2,
    OFPPMFC_BAD_ADVERTISE = 3,
    OFPPMFC_EPERM = 4,
};

enum ofp_table_mod_failed_code { OFPTMFC_BAD_TABLE = 0, OFPTMFC_BAD_CONFIG = 1, OFPTMFC_EPERM = 2 };

enum ofp_queue_op_failed_code { OFPQOFC_BAD_PORT = 0, OFPQOFC_BAD_QUEUE = 1, OFPQOFC_EPERM = 2 };

enum ofp_switch_config_failed_code {
    OFPSCFC_BAD_FLAGS = 0,
    OFPSCFC_BAD_LEN = 1,
    OFPSCFC_EPERM = 2,
};

enum ofp_role_request_failed_code { OFPRRFC_STALE = 0, OFPRRFC_UNSUP = 1, OFPRRFC_BAD_ROLE = 2 };

enum ofp_meter_mod_failed_code {
    OFPMMFC_UNKNOWN = 0,
    OFPMMFC_METER_EXISTS = 1,
    OFPMMFC_INVALID_METER = 2,
    OFPMMFC_UNKNOWN_METER = 3,
    OFPMMFC_BAD_COMMAND = 4,
    OFPMMFC_BAD_FLAGS = 5,
    OFPMMFC_BAD_RATE = 6,
    OFPMMFC_BAD_BURST = 7,
    OFPMMFC_BAD_BAND = 8,
    OFPMMFC_BAD_BAND_VALUE = 9,
    OFPMMFC_OUT_OF_METERS = 10,
    OFPMMFC_OUT_OF_BANDS = 11,
};

enum ofp_table_features_failed_code {
    OFPTFFC_BAD_TABLE = 0,
    OFPTFFC_BAD_METADATA = 1,
    OFPTFFC_BAD_TYPE = 2,
    OFPTFFC_BAD_LEN = 3,
    OFPTFFC_BAD_ARGUMENT = 4,
    OFPTFFC_EPERM = 5,
};

/* Why a message was rejected: what to put in the ERROR, and what to tell a human. */
struct ofp_err {
    uint16_t type; /* enum ofp_error_type */
    uint16_t code; /* the code enum of that type */
    char msg[192]; /* names the object and the cause; always NUL-terminated */
};

/* Fills err (when not NULL) and returns -EPROTO, so that a decoder, or the daemon checking a
 * request against its state, can `return ofp_fail(...)`. */
int ofp_fail(struct ofp_err *err, uint16_t type, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* "OFPBMC_BAD_PREREQ", "OFPET_BAD_MATCH"...: the OpenFlow 1.3 spec's names (ovs-ofctl uses
 * older aliases for a few, e.g. OFPBRC_BAD_STAT for OFPBRC_BAD_MULTIPART); NULL when unknown. */
const char *ofp_error_type_name(uint16_t type);
const char *ofp_error_code_name(uint16_t type, uint16_t code);
/* "OFPT_FLOW_MOD"...; NULL when unknown. */
const char *ofp_type_name(uint8_t type);

/* ---------------------------------------------------------------------------------------
 * Output buffer.
 */
struct ofp_buf {
    uint8_t *data;
    size_t len;
    size_t cap;
};

void ofp_buf_init(struct ofp_buf *b);
void ofp_buf_uninit(struct ofp_buf *b); /* frees the memory; the buffer may be reused */
void ofp_buf_clear(struct ofp_buf *b);  /* len = 0, memory kept */

/* ---------------------------------------------------------------------------------------
 * Framing and the common header.
 */
struct ofp_header {
    uint8_t version;
    uint8_t type;    /* enum ofp_type */
    uint16_t length; /* whole message, header included */
    uint32_t xid;
};

/* For a stream reader: given `avail` >= 0 bytes at the start of a message, returns the
 * message's total length once the header is in (avail >= 8), 0 when more bytes are needed,
 * or -EPROTO (err: OFPBRC_BAD_LEN) when the length field is below 8 (the stream is then
 * unrecoverable). */
int ofp_msg_length(const void *data, size_t avail, struct ofp_err *err);

/* Reads and checks the header of one whole message of `len` bytes: len >= 8, length field ==
 * len (OFPBRC_BAD_LEN), version OFP13_VERSION except for HELLO, which may carry any version
 * (OFPBRC_BAD_VERSION). */
int ofp_decode_header(const void *data, size_t len, struct ofp_header *h, struct ofp_err *err);

/* Appends a message that is only a header: FEATURES_REQUEST, GET_CONFIG_REQUEST,
 * BARRIER_REQUEST/REPLY, GET_ASYNC_REQUEST. -EINVAL for a type that has a body. */
int ofp_encode_empty(struct ofp_buf *b, uint8_t type, uint32_t xid, struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * HELLO and version negotiation.
 */
struct ofp_hello {
    uint8_t version;         /* the header's version: the highest the sender supports */
    uint32_t version_bitmap; /* bit n set: version n supported; 0 when no bitmap element */
};

/* Decodes any version's HELLO (elements other than the bitmap are skipped, as the spec
 * asks; bits above 31 of a longer bitmap are ignored). */
int ofp_decode_hello(const void *data, size_t len, struct ofp_hello *hello, struct ofp_err *err);
/* Appends a HELLO with header version `hello->version` and, when version_bitmap is not 0,
 * a version-bitmap element. */
int ofp_encode_hello(struct ofp_buf *b, uint32_t xid, const struct ofp_hello *hello,
                     struct ofp_err *err);
/* The version both sides speak: the highest bit common to both bitmaps when the peer sent
 * one, else min(peer version, our highest) when we support it. Returns that version (> 0),
 * or -EPROTO with OFPET_HELLO_FAILED/OFPHFC_INCOMPATIBLE. `ours` is a bitmap as above
 * (1u << OFP13_VERSION for sluice). */
int ofp_hello_negotiate(const struct ofp_hello *peer, uint32_t ours, struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * ERROR and ECHO.
 */
struct ofp_error_msg {
    uint16_t type;         /* enum ofp_error_type */
    uint16_t code;         /* for OFPET_EXPERIMENTER: exp_code */
    uint32_t experimenter; /* OFPET_EXPERIMENTER only */
    const uint8_t *data;   /* usually the start of the failed request */
    size_t data_len;
};

/* Appends the ERROR a switch sends for `err` in answer to `request` (its xid is reused and
 * its first min(request_len, OFP_ERROR_DATA_LEN) bytes echoed). `request` may be NULL. */
int ofp_encode_error(struct ofp_buf *b, const struct ofp_err *err, const void *request,
                     size_t request_len);
int ofp_encode_error_msg(struct ofp_buf *b, uint32_t xid, const struct ofp_error_msg *e,
                         struct ofp_err *err);
int ofp_decode_error_msg(const void *data, size_t len, struct ofp_error_msg *e,
                         struct ofp_err *err);

struct ofp_echo {
    const uint8_t *data; /* arbitrary payload, echoed back */
    size_t data_len;
};
/* type is OFPT_ECHO_REQUEST or OFPT_ECHO_REPLY. */
int ofp_decode_echo(const void *data, size_t len, struct ofp_echo *echo, struct ofp_err *err);
int ofp_encode_echo(struct ofp_buf *b, uint8_t type, uint32_t xid, const struct ofp_echo *echo,
                    struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * FEATURES, CONFIG, ROLE.
 */
enum ofp_capabilities {
    OFPC_FLOW_STATS = 1 << 0,
    OFPC_TABLE_STATS = 1 << 1,
    OFPC_PORT_STATS = 1 << 2,
    OFPC_GROUP_STATS = 1 << 3,
    OFPC_IP_REASM = 1 << 5,
    OFPC_QUEUE_STATS = 1 << 6,
    OFPC_PORT_BLOCKED = 1 << 8,
};

struct ofp_switch_features {
    uint64_t datapath_id;
    uint32_t n_buffers;
    uint8_t n_tables;
    uint8_t auxiliary_id;
    uint32_t capabilities; /* enum ofp_capabilities */
};
int ofp_decode_features_reply(const void *data, size_t len, struct ofp_switch_features *f,
                              struct ofp_err *err);
int ofp_encode_features_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_switch_features *f,
                              struct ofp_err *err);

enum ofp_config_flags {
    OFPC_FRAG_NORMAL = 0,
    OFPC_FRAG_DROP = 1,
    OFPC_FRAG_REASM = 2,
    OFPC_FRAG_MASK = 3,
};

struct ofp_switch_config {
    uint16_t flags;         /* enum ofp_config_flags */
    uint16_t miss_send_len; /* bytes of a table-miss packet sent to the controller */
};
/* type is OFPT_GET_CONFIG_REPLY or OFPT_SET_CONFIG. SET_CONFIG with flags outside
 * OFPC_FRAG_MASK: OFPSCFC_BAD_FLAGS. */
int ofp_decode_switch_config(const void *data, size_t len, struct ofp_switch_config *c,
                             struct ofp_err *err);
int ofp_encode_switch_config(struct ofp_buf *b, uint8_t type, uint32_t xid,
                             const struct ofp_switch_config *c, struct ofp_err *err);

enum ofp_controller_role {
    OFPCR_ROLE_NOCHANGE = 0,
    OFPCR_ROLE_EQUAL = 1,
    OFPCR_ROLE_MASTER = 2,
    OFPCR_ROLE_SLAVE = 3,
};

struct ofp_role {
    uint32_t role; /* enum ofp_controller_role; others: OFPRRFC_BAD_ROLE */
    uint64_t generation_id;
};
/* type is OFPT_ROLE_REQUEST or OFPT_ROLE_REPLY. */
int ofp_decode_role(const void *data, size_t len, struct ofp_role *r, struct ofp_err *err);
int ofp_encode_role(struct ofp_buf *b, uint8_t type, uint32_t xid, const struct ofp_role *r,
                    struct ofp_err *err);

/* Port numbers on the wire are OpenFlow 1.3's 32-bit ones, the same as enum dp_ofport
 * (DP_OFPORT_IN_PORT = OFPP_IN_PORT, ..., DP_OFPORT_ANY = OFPP_ANY). */

enum ofp_action_type {
    OFPAT_OUTPUT = 0,
    OFPAT_COPY_TTL_OUT = 11,
    OFPAT_COPY_TTL_IN = 12,
    OFPAT_SET_MPLS_TTL = 15,
    OFPAT_DEC_MPLS_TTL = 16,
    OFPAT_PUSH_VLAN = 17,
    OFPAT_POP_VLAN = 18,
    OFPAT_PUSH_MPLS = 19,
    OFPAT_POP_MPLS = 20,
    OFPAT_SET_QUEUE = 21,
    OFPAT_GROUP = 22,
    OFPAT_SET_NW_TTL = 23,
    OFPAT_DEC_NW_TTL = 24,
    OFPAT_SET_FIELD = 25,
    OFPAT_PUSH_PBB = 26,
    OFPAT_POP_PBB = 27,
    OFPAT_EXPERIMENTER = 0xffff,
};

enum ofp_instruction_type {
    OFPIT_GOTO_TABLE = 1,
    OFPIT_WRITE_METADATA = 2,
    OFPIT_WRITE_ACTIONS = 3,
    OFPIT_APPLY_ACTIONS = 4,
    OFPIT_CLEAR_ACTIONS = 5,
    OFPIT_METER = 6,
    OFPIT_EXPERIMENTER = 0xffff,
};

/* ---------------------------------------------------------------------------------------
 * Matches, actions and instructions (ofp-match.c, ofp-actions.c).
 */

/* Decodes an ofp_match (type OFPMT_OXM) at `p` (`len` bytes available) into `m` (fully
 * overwritten, normalized) and sets *consumed to its padded length. Checks: OFPBMC_BAD_TYPE
 * (not OXM), OFPBMC_BAD_LEN (lengths), OFPBMC_BAD_FIELD (unknown or unsupported field),
 * OFPBMC_DUP_FIELD, OFPBMC_BAD_MASK (mask on a field that takes none, or mask bits outside the
 * field), OFPBMC_BAD_VALUE (value bits outside the field), OFPBMC_BAD_WILDCARDS (value bits
 * outside its mask), OFPBMC_BAD_PREREQ (a field whose prerequisite the match does not pin). */
int ofp_match_decode(const uint8_t *p, size_t len, struct flow_match *m, size_t *consumed,
                     struct ofp_err *err);
/* Appends `m` as a padded ofp_match, in canonical order. -EINVAL when `m` constrains bits no
 * OXM can express (a partial mask on an unmaskable field, recirc_id, nw_frag, ...). */
int ofp_match_encode(struct ofp_buf *b, const struct flow_match *m, struct ofp_err *err);

/* Where an action list appears, which decides what it may contain. */
enum ofp_action_ctx {
    OFP_ACTX_FLOW,       /* apply/write-actions of a flow: no output to OFPP_TABLE */
    OFP_ACTX_PACKET_OUT, /* output to OFPP_TABLE allowed */
    OFP_ACTX_BUCKET,     /* a group bucket */
};

/* Decodes `len` bytes of actions into acts[DP_MAX_ACTIONS] (OFPBAC_TOO_MANY beyond).
 * Checks lengths, types, ports (OFPBAC_BAD_OUT_PORT), groups (OFPBAC_BAD_OUT_GROUP),
 * push_vlan ethertype (OFPBAC_BAD_ARGUMENT) and set-field fields and values
 * (OFPBAC_BAD_SET_TYPE/LEN/ARGUMENT). OUTPUT to OFPP_CONTROLLER becomes DP_ACT_CONTROLLER
 * (arg = max_len); set-field vlan_vid must carry OFPVID_PRESENT and stays a DP_ACT_SET_FIELD
 * whose arg includes it. */
int ofp_actions_decode(const uint8_t *p, size_t len, enum ofp_action_ctx ctx,
                       struct dp_action *acts, uint32_t *n_acts, struct ofp_err *err);
/* Appends the actions. DP_ACT_SET_VLAN_VID/PCP become set-field vlan_vid (with
 * OFPVID_PRESENT)/vlan_pcp; DP_ACT_CONTROLLER becomes OUTPUT:CONTROLLER with max_len arg. */
int ofp_actions_encode(struct ofp_buf *b, const struct dp_action *acts, uint32_t n_acts,
                       struct ofp_err *err);

/* Decodes an instruction list into the instruction members of `spec` (n_actions, actions,
 * write_actions, clear_actions, goto_table, write_metadata, meter_id; all reset first).
 * goto_table must name a later table than spec->table_id (OFPBIC_BAD_TABLE_ID) unless
 * spec->table_given is false. Each instruction type at most once (OFPBIC_UNSUP_INST, as
 * OpenFlow 1.3 has no DUP_INST code). A meter id of 0 or above OFPM_MAX (the virtual meters
 * aside) is OFPMMFC_INVALID_METER. */
int ofp_instructions_decode(const uint8_t *p, size_t len, struct flow_spec *spec,
                            struct ofp_err *err);
int ofp_instructions_encode(struct ofp_buf *b, const struct flow_spec *spec, struct ofp_err *err);

/* OFPBAC_MATCH_INCONSISTENT unless every action of `spec` (apply and write lists) has what it
 * needs in spec->match: set-field's prerequisite, an IP match for dec_ttl/set_nw_ttl, and a
 * VLAN (matched, or pushed earlier in the same list) for pop_vlan and vlan_vid/vlan_pcp
 * set-field. ofp_decode_flow_mod() applies it to ADD and MODIFY. */
int ofp_check_actions_match(const struct flow_spec *spec, struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * FLOW_MOD and FLOW_REMOVED.
 */
enum ofp_flow_mod_command {
    OFPFC_ADD = 0,
    OFPFC_MODIFY = 1,
    OFPFC_MODIFY_STRICT = 2,
    OFPFC_DELETE = 3,
    OFPFC_DELETE_STRICT = 4,
};

struct ofp_flow_mod {
    uint8_t command;    /* enum ofp_flow_mod_command */
    uint32_t buffer_id; /* OFP_NO_BUFFER, or a packet buffered by the switch */
    /* match, table_id (table_given is false exactly when the wire said OFPTT_ALL), priority,
     * cookie and cookie_mask, timeouts, flags, out_port, out_group, instructions.
     * importance (OpenFlow 1.4) is 0 on decode and not encoded. */
    struct flow_spec spec;
};

/* Rejects: OFPFMFC_BAD_COMMAND, OFPFMFC_BAD_FLAGS (unknown flag bits), OFPFMFC_BAD_TABLE_ID
 * (OFPTT_ALL on ADD/MODIFY*), and everything the match, instruction and action decoders
 * reject, plus ofp_check_actions_match() for ADD and MODIFY*. */
int ofp_decode_flow_mod(const void *data, size_t len, struct ofp_flow_mod *fm, struct ofp_err *err);
/* Encodes table_id as spec.table_id, or OFPTT_ALL for a DELETE* whose table was not given. */
int ofp_encode_flow_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_flow_mod *fm,
                        struct ofp_err *err);

enum ofp_flow_removed_reason {
    OFPRR_IDLE_TIMEOUT = 0,
    OFPRR_HARD_TIMEOUT = 1,
    OFPRR_DELETE = 2,
    OFPRR_GROUP_DELETE = 3,
    OFPRR_METER_DELETE = 4,
};

struct ofp_flow_removed {
    uint64_t cookie;
    uint16_t priority;
    uint8_t reason; /* enum ofp_flow_removed_reason */
    uint8_t table_id;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint16_t idle_timeout;
    uint16_t hard_timeout;
    uint64_t packet_count;
    uint64_t byte_count;
    struct flow_match match;
};
int ofp_decode_flow_removed(const void *data, size_t len, struct ofp_flow_removed *fr,
                            struct ofp_err *err);
int ofp_encode_flow_removed(struct ofp_buf *b, uint32_t xid, const struct ofp_flow_removed *fr,
                            struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * PACKET_IN and PACKET_OUT.
 */
enum ofp_packet_in_reason {
    OFPR_NO_MATCH = 0, /* table-miss flow entry */
    OFPR_ACTION = 1,   /* output to controller */
    OFPR_INVALID_TTL = 2,
};

struct ofp_packet_in {
    uint32_t buffer_id; /* OFP_NO_BUFFER: sluice never buffers */
    uint16_t total_len; /* the packet's full length (data may be truncated to max_len) */
    uint8_t reason;     /* enum ofp_packet_in_reason */
    uint8_t table_id;
    uint64_t cookie; /* of the flow that sent it, 0xffff...ff for none */
    /* Pipeline fields: the encoder writes what is set. The daemon must pin in_port (OpenFlow
     * requires it), and may add metadata and tun_id. */
    struct flow_match match;
    const uint8_t *data;
    size_t data_len;
};
int ofp_decode_packet_in(const void *data, size_t len, struct ofp_packet_in *pi,
                         struct ofp_err *err);
int ofp_encode_packet_in(struct ofp_buf *b, uint32_t xid, const struct ofp_packet_in *pi,
                         struct ofp_err *err);

struct ofp_packet_out {
    uint32_t buffer_id; /* OFP_NO_BUFFER unless the controller names a buffered packet */
    uint32_t in_port;   /* a port, LOCAL, CONTROLLER or ANY (OFPBRC_BAD_PORT otherwise) */
    uint32_t n_actions;
    struct dp_action actions[DP_MAX_ACTIONS];
    const uint8_t *data; /* the packet, when buffer_id is OFP_NO_BUFFER */
    size_t data_len;
};
int ofp_decode_packet_out(const void *data, size_t len, struct ofp_packet_out *po,
                          struct ofp_err *err);
int ofp_encode_packet_out(struct ofp_buf *b, uint32_t xid, const struct ofp_packet_out *po,
                          struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * Ports: description, PORT_STATUS, PORT_MOD.
 */
enum ofp_port_config {
    OFPPC_PORT_DOWN = 1 << 0,
    OFPPC_NO_RECV = 1 << 2,
    OFPPC_NO_FWD = 1 << 5,
    OFPPC_NO_PACKET_IN = 1 << 6,
};
#define OFPPC_ALL (OFPPC_PORT_DOWN | OFPPC_NO_RECV | OFPPC_NO_FWD | OFPPC_NO_PACKET_IN)

enum ofp_port_state {
    OFPPS_LINK_DOWN = 1 << 0,
    OFPPS_BLOCKED = 1 << 1,
    OFPPS_LIVE = 1 << 2,
};

/* ofp_port_features bits (curr, advertised, supported, peer). */
enum ofp_port_features {
    OFPPF_10MB_HD = 1 << 0,
    OFPPF_10MB_FD = 1 << 1,
    OFPPF_100MB_HD = 1 << 2,
    OFPPF_100MB_FD = 1 << 3,
    OFPPF_1GB_HD = 1 << 4,
    OFPPF_1GB_FD = 1 << 5,
    OFPPF_10GB_FD = 1 << 6,
    OFPPF_40GB_FD = 1 << 7,
    OFPPF_100GB_FD = 1 << 8,
    OFPPF_1TB_FD = 1 << 9,
    OFPPF_OTHER = 1 << 10,
    OFPPF_COPPER = 1 << 11,
    OFPPF_FIBER = 1 << 12,
    OFPPF_AUTONEG = 1 << 13,
    OFPPF_PAUSE = 1 << 14,
    OFPPF_PAUSE_ASYM = 1 << 15,
};

struct ofp_port {
    uint32_t port_no;
    uint8_t hw_addr[6];
    char name[OFP_MAX_PORT_NAME_LEN]; /* NUL-terminated; a 16-byte wire name is cut to 15 */
    uint32_t config;                  /* enum ofp_port_config */
    uint32_t state;                   /* enum ofp_port_state */
    uint32_t curr;                    /* enum ofp_port_features */
    uint32_t advertised;
    uint32_t supported;
    uint32_t peer;
    uint32_t curr_speed; /* kbps */
    uint32_t max_speed;  /* kbps */
};

enum ofp_port_reason { OFPPR_ADD = 0, OFPPR_DELETE = 1, OFPPR_MODIFY = 2 };

struct ofp_port_status {
    uint8_t reason; /* enum ofp_port_reason */
    struct ofp_port desc;
};
int ofp_decode_port_status(const void *data, size_t len, struct ofp_port_status *ps,
                           struct ofp_err *err);
int ofp_encode_port_status(struct ofp_buf *b, uint32_t xid, const struct ofp_port_status *ps,
                           struct ofp_err *err);

struct ofp_port_mod {
    uint32_t port_no;   /* a port or LOCAL; other reserved numbers: OFPPMFC_BAD_PORT */
    uint8_t hw_addr[6]; /* must be the port's (the daemon checks: OFPPMFC_BAD_HW_ADDR) */
    uint32_t config;    /* OFPPC_* bits to set (under mask); others: OFPPMFC_BAD_CONFIG */
    uint32_t mask;
    uint32_t advertise; /* 0: leave unchanged */
};
int ofp_decode_port_mod(const void *data, size_t len, struct ofp_port_mod *pm, struct ofp_err *err);
int ofp_encode_port_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_port_mod *pm,
                        struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * Groups and meters.
 */
enum ofp_group_mod_command { OFPGC_ADD = 0, OFPGC_MODIFY = 1, OFPGC_DELETE = 2 };

enum ofp_group_type {
    OFPGT_ALL = 0,
    OFPGT_SELECT = 1,
    OFPGT_INDIRECT = 2,
    OFPGT_FF = 3, /* fast failover */
};

struct ofp_bucket {
    uint16_t weight;      /* select groups only (else 0) */
    uint32_t watch_port;  /* fast failover: liveness port, or OFPP_ANY */
    uint32_t watch_group; /* fast failover: liveness group, or OFPG_ANY */
    uint32_t n_actions;
    struct dp_action actions[DP_MAX_ACTIONS];
};

struct ofp_group {
    uint8_t type; /* enum ofp_group_type */
    uint32_t group_id;
    uint32_t n_buckets;
    struct ofp_bucket buckets[OFP_MAX_BUCKETS];
};

struct ofp_group_mod {
    uint16_t command; /* enum ofp_group_mod_command */
    struct ofp_group group;
};

/* Rejects: OFPGMFC_BAD_COMMAND, OFPGMFC_BAD_TYPE, OFPGMFC_INVALID_GROUP (group id above
 * OFPG_MAX, except OFPG_ALL on DELETE; an indirect group without exactly one bucket; a
 * weight outside select groups), OFPGMFC_BAD_BUCKET (bucket lengths), OFPGMFC_BAD_WATCH (a
 * watch port that is no port; a fast-failover bucket that watches nothing),
 * OFPGMFC_OUT_OF_BUCKETS (more than OFP_MAX_BUCKETS), and the action decoder's errors. */
int ofp_decode_group_mod(const void *data, size_t len, struct ofp_group_mod *gm,
                         struct ofp_err *err);
int ofp_encode_group_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_group_mod *gm,
                         struct ofp_err *err);

enum ofp_meter_mod_command { OFPMC_ADD = 0, OFPMC_MODIFY = 1, OFPMC_DELETE = 2 };

enum ofp_meter_flags {
    OFPMF_KBPS = 1 << 0,
    OFPMF_PKTPS = 1 << 1,
    OFPMF_BURST = 1 << 2,
    OFPMF_STATS = 1 << 3,
};

enum ofp_meter_band_type {
    OFPMBT_DROP = 1,
    OFPMBT_DSCP_REMARK = 2,
    OFPMBT_EXPERIMENTER = 0xffff,
};

struct ofp_meter_band {
    uint16_t type;       /* OFPMBT_DROP (the only band sluice supports) */
    uint32_t rate;       /* kbps or pktps, as the meter's flags say */
    uint32_t burst_size; /* kbits or packets, used with OFPMF_BURST */
};

struct ofp_meter_config {
    uint16_t flags; /* enum ofp_meter_flags */
    uint32_t meter_id;
    uint32_t n_bands;
    struct ofp_meter_band bands[OFP_MAX_BANDS];
};

struct ofp_meter_mod {
    uint16_t command; /* enum ofp_meter_mod_command */
    struct ofp_meter_config meter;
};

/* Rejects: OFPMMFC_BAD_COMMAND, OFPMMFC_BAD_FLAGS (unknown bits, or KBPS with PKTPS),
 * OFPMMFC_INVALID_METER (0 or above OFPM_MAX, except OFPM_ALL on DELETE and the virtual
 * meters), OFPMMFC_BAD_BAND (a band other than drop, bad band length), OFPMMFC_BAD_RATE
 * (rate 0), OFPMMFC_OUT_OF_BANDS (more than OFP_MAX_BANDS). */
int ofp_decode_meter_mod(const void *data, size_t len, struct ofp_meter_mod *mm,
                         struct ofp_err *err);
int ofp_encode_meter_mod(struct ofp_buf *b, uint32_t xid, const struct ofp_meter_mod *mm,
                         struct ofp_err *err);

/* ---------------------------------------------------------------------------------------
 * Multipart bodies.
 */
enum ofp_multipart_type {
    OFPMP_DESC = 0,
    OFPMP_FLOW = 1,
    OFPMP_AGGREGATE = 2,
    OFPMP_TABLE = 3,
    OFPMP_PORT_STATS = 4,
    OFPMP_QUEUE = 5,
    OFPMP_GROUP = 6,
    OFPMP_GROUP_DESC = 7,
    OFPMP_GROUP_FEATURES = 8,
    OFPMP_METER = 9,
    OFPMP_METER_CONFIG = 10,
    OFPMP_METER_FEATURES = 11,
    OFPMP_TABLE_FEATURES = 12,
    OFPMP_PORT_DESC = 13,
    OFPMP_EXPERIMENTER = 0xffff,
};

enum ofp_multipart_flags {
    OFPMPF_REQ_MORE = 1 << 0,   /* requests */
    OFPMPF_REPLY_MORE = 1 << 0, /* replies: more messages of this reply follow */
};

struct ofp_desc {
    char mfr_desc[OFP_DESC_STR_LEN];
    char hw_desc[OFP_DESC_STR_LEN];
    char sw_desc[OFP_DESC_STR_LEN];
    char serial_num[OFP_SERIAL_NUM_LEN];
    char dp_desc[OFP_DESC_STR_LEN];
};

struct ofp_flow_stats {
    /* table_id, priority, timeouts, flags, cookie, match and instructions. */
    struct flow_spec spec;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint64_t packet_count;
    uint64_t byte_count;
};

struct ofp_aggregate_stats {
    uint64_t packet_count;
    uint64_t byte_count;
    uint32_t flow_count;
};

struct ofp_table_stats {
    uint8_t table_id;
    uint32_t active_count;
    uint64_t lookup_count;
    uint64_t matched_count;
};

struct ofp_port_stats {
    uint32_t port_no;
    uint64_t rx_packets, tx_packets, rx_bytes, tx_bytes;
    uint64_t rx_dropped, tx_dropped, rx_errors, tx_errors;
    uint64_t rx_frame_err, rx_over_err, rx_crc_err, collisions;
    uint32_t duration_sec;
    uint32_t duration_nsec;
};

/* One table's features. Index [0] of a pair is the regular property, [1] the table-miss
 * one (OFPTFPT_*_MISS); a decoded reply that omits a _MISS property gets a copy of the
 * regular one, as the spec says. The encoder writes every property. Entries of other OXM
 * classes and experimenter entries inside the lists are skipped. */
struct ofp_table_features {
    uint8_t table_id;
    char name[OFP_MAX_TABLE_NAME_LEN + 1];
    uint64_t metadata_match;
    uint64_t metadata_write;
    uint32_t config;
    uint32_t max_entries;
    uint32_t instructions[2];   /* bit n: instruction type n (OFPIT_GOTO_TABLE = 1...) */
    uint8_t next_tables[2][32]; /* bitmap of table ids reachable by goto_table */
    uint32_t write_actions[2];  /* bit n: action type n (OFPAT_OUTPUT = 0...) */
    uint32_t apply_actions[2];
    uint64_t match;             /* bit n: OXM basic field n can be matched */
    uint64_t match_masked;      /* bit n: ... and with a mask (subset of match) */
    uint64_t wildcards;         /* bit n: OXM basic field n can be wildcarded */
    uint64_t write_setfield[2]; /* bit n: OXM basic field n can be set (write-actions) */
    uint64_t apply_setfield[2];
};

struct ofp_bucket_counter {
    uint64_t packet_count;
    uint64_t byte_count;
};

struct ofp_group_stats {
    uint32_t group_id;
    uint32_t ref_count;
    uint64_t packet_count;
    uint64_t byte_count;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint32_t n_buckets;
    struct ofp_bucket_counter buckets[OFP_MAX_BUCKETS];
};

struct ofp_group_features {
    uint32_t types;        /* bit n: group type n supported */
    uint32_t capabilities; /* OFPGFC_* */
    uint32_t max_groups[4];
    uint32_t actions[4]; /* bit n: action type n supported, per group type */
};

enum ofp_group_capabilities {
    OFPGFC_SELECT_WEIGHT = 1 << 0,
    OFPGFC_SELECT_LIVENESS = 1 << 1,
    OFPGFC_CHAINING = 1 << 2,
    OFPGFC_CHAINING_CHECKS = 1 << 3,
};

struct ofp_meter_band_stats {
    uint64_t packet_band_count;
    uint64_t byte_band_count;
};

struct ofp_meter_stats {
    uint32_t meter_id;
    uint32_t flow_count;
    uint64_t packet_in_count;
    uint64_t byte_in_count;
    uint32_t duration_sec;
    uint32_t duration_nsec;
    uint32_t n_bands;
    struct ofp_meter_band_stats bands[OFP_MAX_BANDS];
};

struct ofp_meter_features {
    uint32_t max_meter;
    uint32_t band_types;   /* bit n: band type n supported (1 << OFPMBT_DROP) */
    uint32_t capabilities; /* enum ofp_meter_flags bits */
    uint8_t max_bands;
    uint8_t max_color;
};

/* A multipart request. Bodies: FLOW and AGGREGATE carry a filter in `flow` (match,
 * table_id/table_given, out_port, out_group, cookie, cookie_mask; no instructions);
 * PORT_STATS a port (OFPP_ANY: all; a reserved number is OFPBRC_BAD_PORT), GROUP a group (OFPG_ALL:
 * all), METER and METER_CONFIG a meter (OFPM_ALL: all); the others are empty. A TABLE_FEATURES
 * request that tries to set features (non-empty body) is refused with OFPTFFC_EPERM; QUEUE and
 * EXPERIMENTER with OFPBRC_BAD_MULTIPART / OFPBRC_BAD_EXPERIMENTER. */
struct ofp_mp_request {
    uint16_t type;  /* enum ofp_multipart_type */
    uint16_t flags; /* OFPMPF_REQ_MORE */
    union {
        struct flow_spec flow;
        uint32_t port_no;
        uint32_t group_id;
        uint32_t meter_id;
    };
};
int ofp_decode_mp_request(const void *data, size_t len, struct ofp_mp_request *r,
                          struct ofp_err *err);
int ofp_encode_mp_request(struct ofp_buf *b, uint32_t xid, const struct ofp_mp_request *r,
                          struct ofp_err *err);

/* A multipart reply message. Single-entry bodies (DESC, AGGREGATE, GROUP_FEATURES,
 * METER_FEATURES) are decoded into the union; list bodies are left in body/body_len to be
 * walked with struct ofp_mp_cursor. */
struct ofp_mp_reply {
    uint16_t type;  /* enum ofp_multipart_type */
    uint16_t flags; /* OFPMPF_REPLY_MORE */
    const uint8_t *body;
    size_t body_len;
    union {
        struct ofp_desc desc;
        struct ofp_aggregate_stats aggregate;
        struct ofp_group_features group_features;
        struct ofp_meter_features meter_features;
    };
};
int ofp_decode_mp_reply(const void *data, size_t len, struct ofp_mp_reply *r, struct ofp_err *err);
/* Appends one reply message: the union for single-entry types, body/body_len verbatim for
 * list types (entries are best added with struct ofp_mp_builder). */
int ofp_encode_mp_reply(struct ofp_buf *b, uint32_t xid, const struct ofp_mp_reply *r,
                        struct ofp_err *err);

/* Walks the entries of a list reply. Each next function returns 1 with the entry filled, 0
 * at the end of the body, or -EPROTO (err set; the cursor then stays at the bad entry) for a
 * malformed entry or a cursor of another type. */
struct ofp_mp_cursor {
    uint16_t type;
    const uint8_t *pos;
    size_t left;
};
void ofp_mp_cursor_init(struct ofp_mp_cursor *c, const struct ofp_mp_reply *r);
int ofp_mp_next_flow_stats(struct ofp_mp_cursor *c, struct ofp_flow_stats *fs, struct ofp_err *err);
int ofp_mp_next_table_stats(struct ofp_mp_cursor *c, struct ofp_table_stats *ts,
                            struct ofp_err *err);
int ofp_mp_next_port_stats(struct ofp_mp_cursor *c, struct ofp_port_stats *ps, struct ofp_err *err);
int ofp_mp_next_port_desc(struct ofp_mp_cursor *c, struct ofp_port *port, struct ofp_err *err);
int ofp_mp_next_table_features(struct ofp_mp_cursor *c, struct ofp_table_features *tf,
                               struct ofp_err *err);
int ofp_mp_next_group_stats(struct ofp_mp_cursor *c, struct ofp_group_stats *gs,
                            struct ofp_err *err);
int ofp_mp_next_group_desc(struct ofp_mp_cursor *c, struct ofp_group *g, struct ofp_err *err);
int ofp_mp_next_meter_stats(struct ofp_mp_cursor *c, struct ofp_meter_stats *ms,
                            struct ofp_err *err);
int ofp_mp_next_meter_config(struct ofp_mp_cursor *c, struct ofp_meter_config *mc,
                             struct ofp_err *err);

/* Builds a (possibly multi-message) list reply of one type into `buf`:
 *   ofp_mp_builder_start(&mb, buf, OFPMP_FLOW, xid);
 *   for each flow: ofp_mp_add_flow_stats(&mb, &fs, &err);
 *   ofp_mp_builder_finish(&mb);
 * Each message stays <= max_msg_len (OFP_MAX_MSG_LEN unless changed after start, e.g. by
 * tests); all but the last carry OFPMPF_REPLY_MORE. An empty reply is one message with an
 * empty body. An add that fails leaves the buffer as before that add. */
struct ofp_mp_builder {
    struct ofp_buf *buf;
    uint16_t type;
    uint32_t xid;
    size_t msg_start; /* offset in buf of the message being filled */
    size_t max_msg_len;
};
int ofp_mp_builder_start(struct ofp_mp_builder *mb, struct ofp_buf *buf, uint16_t type,
                         uint32_t xid);
int ofp_mp_add_flow_stats(struct ofp_mp_builder *mb, const struct ofp_flow_stats *fs,
                          struct ofp_err *err);
int ofp_mp_add_table_stats(struct ofp_mp_builder *mb, const struct ofp_table_stats *ts,
                           struct ofp_err *err);
int ofp_mp_add_port_stats(struct ofp_mp_builder *mb, const struct ofp_port_stats *ps,
                          struct ofp_err *err);
int ofp_mp_add_port_desc(struct ofp_mp_builder *mb, const struct ofp_port *port,
                         struct ofp_err *err);
int ofp_mp_add_table_features(struct ofp_mp_builder *mb, const struct ofp_table_features *tf,
                              struct ofp_err *err);
int ofp_mp_add_group_stats(struct ofp_mp_builder *mb, const struct ofp_group_stats *gs,
                           struct ofp_err *err);
int ofp_mp_add_group_desc(struct ofp_mp_builder *mb, const struct ofp_group *g,
                          struct ofp_err *err);
int ofp_mp_add_meter_stats(struct ofp_mp_builder *mb, const struct ofp_meter_stats *ms,
                           struct ofp_err *err);
int ofp_mp_add_meter_config(struct ofp_mp_builder *mb, const struct ofp_meter_config *mc,
                            struct ofp_err *err);
void ofp_mp_builder_finish(struct ofp_mp_builder *mb);

/* ---------------------------------------------------------------------------------------
 * Any message: one tagged union, for dispatch in the daemon and the CLI.
 */
struct ofp_msg {
    struct ofp_header h; /* h.type selects the member; h.length is ignored by the encoder */
    union {
        struct ofp_hello hello;
        struct ofp_error_msg error;
        struct ofp_echo echo;                /* ECHO_REQUEST, ECHO_REPLY */
        struct ofp_switch_features features; /* FEATURES_REPLY */
        struct ofp_switch_config config;     /* GET_CONFIG_REPLY, SET_CONFIG */
        struct ofp_role role;                /* ROLE_REQUEST, ROLE_REPLY */
        struct ofp_flow_mod flow_mod;
        struct ofp_flow_removed flow_removed;
        struct ofp_packet_in packet_in;
        struct ofp_packet_out packet_out;
        struct ofp_port_status port_status;
        struct ofp_port_mod port_mod;
        struct ofp_group_mod group_mod;
        struct ofp_meter_mod meter_mod;
        struct ofp_mp_request mp_request;
        struct ofp_mp_reply mp_reply;
        /* FEATURES_REQUEST, GET_CONFIG_REQUEST, BARRIER_*: header only. */
    };
};

/* Decodes any message above. Other types (TABLE_MOD, QUEUE_GET_CONFIG, async config) get
 * OFPBRC_BAD_TYPE and EXPERIMENTER gets OFPBRC_BAD_EXPERIMENTER; the daemon answers them
 * with that error (ovs-ofctl monitor, for one, sends Nicira extensions and carries on).
 * struct ofp_msg is large (a group_mod holds OFP_MAX_BUCKETS action lists): keep one per
 * connection rather than on a small stack. */
int ofp_decode(const void *data, size_t len, struct ofp_msg *msg, struct ofp_err *err);
int ofp_encode(struct ofp_buf *b, const struct ofp_msg *msg, struct ofp_err *err);

#endif
