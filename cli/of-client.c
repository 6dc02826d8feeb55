#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "cli/of-client.h"

#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

static int64_t ofcl_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* -1: wait forever; else what is left of the deadline (0 when passed). */
static int ofcl_wait_ms(const struct ofcl *c)
{
    if (!c->deadline_ms)
        return -1;
    int64_t left = c->deadline_ms - ofcl_now_ms();
    return left <= 0 ? 0 : left > 1000000000 ? 1000000000 : (int)left;
}

static int ofcl_poll(struct ofcl *c, short events, char *err, size_t errlen)
{
    for (;;) {
        struct pollfd p = {.fd = c->fd, .events = events};
        int r = poll(&p, 1, ofcl_wait_ms(c));
        if (r > 0)
            return 0;
        if (r == 0) {
            snprintf(err, errlen, "%s: no answer within %g s", c->path, c->timeout_s);
            return -ETIMEDOUT;
        }
        if (errno != EINTR) {
            int e = errno;
            snprintf(err, errlen, "%s: poll: %s", c->path, strerror(e));
            return -e;
        }
    }
}

static uint32_t ofcl_msg_xid(const uint8_t *msg)
{
    return (uint32_t)msg[4] << 24 | (uint32_t)msg[5] << 16 | (uint32_t)msg[6] << 8 | msg[7];
}

void ofcl_close(struct ofcl *c)
{
    if (c->fd >= 0)
        close(c->fd);
    c->fd = -1;
    free(c->rx);
    c->rx = NULL;
    c->rx_len = c->rx_cap = c->consumed = 0;
}

uint32_t ofcl_next_xid(struct ofcl *c)
{
    return c->next_xid++;
}

uint32_t ofcl_next_aux_xid(struct ofcl *c)
{
    return c->next_aux_xid++;
}

int ofcl_send(struct ofcl *c, const struct ofp_buf *b, char *err, size_t errlen)
{
    size_t off = 0;
    while (off < b->len) {
        ssize_t n = send(c->fd, b->data + off, b->len - off, MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            off += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            int rc = ofcl_poll(c, POLLOUT, err, errlen);
            if (rc)
                return rc;
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        int e = n < 0 ? errno : EPIPE;
        snprintf(err, errlen, "%s: send: %s", c->path,
                 e == EPIPE ? "connection closed by sluiced" : strerror(e));
        return -e;
    }
    return 0;
}

/* Reads until one whole message sits at the start of the buffer; returns its length. */
static int ofcl_read_msg(struct ofcl *c, size_t *msg_len, char *err, size_t errlen)
{
    if (c->consumed) {
        memmove(c->rx, c->rx + c->consumed, c->rx_len - c->consumed);
        c->rx_len -= c->consumed;
        c->consumed = 0;
    }
    for (;;) {
        struct ofp_err oe;
        int need = ofp_msg_length(c->rx, c->rx_len, &oe);
        if (need < 0) {
            snprintf(err, errlen, "%s: broken OpenFlow stream: %s", c->path, oe.msg);
            return -EPROTO;
        }
        if (need > 0 && c->rx_len >= (size_t)need) {
            *msg_len = (size_t)need;
            return 0;
        }
        size_t want = need > 0 ? (size_t)need : OFP_HEADER_LEN;
        if (want < 65536)
            want = 65536;
        if (c->rx_cap < want) {
            uint8_t *p = realloc(c->rx, want);
            if (!p) {
                snprintf(err, errlen, "out of memory");
                return -ENOMEM;
            }
            c->rx = p;
            c->rx_cap = want;
        }
        int rc = ofcl_poll(c, POLLIN, err, errlen);
        if (rc)
            return rc;
        ssize_t n = recv(c->fd, c->rx + c->rx_len, c->rx_cap - c->rx_len, MSG_DONTWAIT);
        if (n > 0) {
            c->rx_len += (size_t)n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            continue;
        int e = n < 0 ? errno : ECONNRESET;
        snprintf(err, errlen, "%s: %s", c->path,
                 n == 0 ? "connection closed by sluiced before the reply" : strerror(e));
        return -e;
    }
}

int ofcl_recv(struct ofcl *c, const uint8_t **msg, size_t *len, char *err, size_t errlen)
{
    for (;;) {
        size_t n = 0;
        int rc = ofcl_read_msg(c, &n, err, errlen);
        if (rc)
            return rc;
        c->consumed = n;
        if (c->rx[1] == OFPT_ECHO_REQUEST) {
            struct ofp_echo echo;
            struct ofp_err oe;
            struct ofp_buf b;
            ofp_buf_init(&b);
            uint32_t xid = ofcl_msg_xid(c->rx);
            rc = 0;
            if (ofp_decode_echo(c->rx, n, &echo, &oe) == 0 &&
                ofp_encode_echo(&b, OFPT_ECHO_REPLY, xid, &echo, &oe) == 0)
                rc = ofcl_send(c, &b, err, errlen);
            ofp_buf_uninit(&b);
            if (rc)
                return rc;
            continue;
        }
        *msg = c->rx;
        *len = n;
        return 0;
    }
}

int ofcl_open(struct ofcl *c, const char *path, int timeout_ms, char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    c->fd = -1;
    c->next_xid = OFCL_FIRST_XID;
    c->next_aux_xid = OFCL_AUX_XID;
    c->timeout_s = timeout_ms > 0 ? timeout_ms / 1000.0 : 0;
    c->deadline_ms = timeout_ms > 0 ? ofcl_now_ms() + timeout_ms : 0;
    snprintf(c->path, sizeof c->path, "%s", path);

    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "%s: socket path too long", path);
        return -ENAMETOOLONG;
    }
    strcpy(sa.sun_path, path);
    c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (c->fd < 0) {
        int e = errno;
        snprintf(err, errlen, "socket: %s", strerror(e));
        return -e;
    }
    if (connect(c->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int e = errno;
        snprintf(err, errlen, "cannot connect to %s: %s", path, strerror(e));
        ofcl_close(c);
        return -e;
    }

    struct ofp_buf b;
    struct ofp_err oe;
    ofp_buf_init(&b);
    struct ofp_hello ours = {.version = OFP13_VERSION, .version_bitmap = 1u << OFP13_VERSION};
    int rc = ofp_encode_hello(&b, 1, &ours, &oe);
    if (rc) {
        snprintf(err, errlen, "cannot encode HELLO: %s", oe.msg);
    } else {
        rc = ofcl_send(c, &b, err, errlen);
    }
    ofp_buf_uninit(&b);
    if (rc) {
        ofcl_close(c);
        return rc;
    }

    const uint8_t *msg;
    size_t len;
    rc = ofcl_recv(c, &msg, &len, err, errlen);
    if (!rc) {
        struct ofp_hello peer;
        struct ofp_error_msg em;
        if (msg[1] == OFPT_ERROR && ofp_decode_error_msg(msg, len, &em, &oe) == 0) {
            char why[256];
            ofcl_describe_error(&em, why, sizeof why);
            snprintf(err, errlen, "%s: %s", path, why);
            rc = OFCL_REFUSED;
        } else if (msg[1] != OFPT_HELLO || ofp_decode_hello(msg, len, &peer, &oe)) {
            snprintf(err, errlen, "%s: expected HELLO, got %s", path,
                     ofp_type_name(msg[1]) ? ofp_type_name(msg[1]) : "an unknown message");
            rc = -EPROTO;
        } else if (ofp_hello_negotiate(&peer, 1u << OFP13_VERSION, &oe) != OFP13_VERSION) {
            snprintf(err, errlen, "%s: the switch does not speak OpenFlow 1.3", path);
            rc = -EPROTO;
        }
    }
    if (rc)
        ofcl_close(c);
    return rc;
}

/* --- Errors ------------------------------------------------------------------------------ */

static const struct {
    uint16_t type, code;
    const char *why;
} ofcl_hints[] = {
    {OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, "the switch does not support this request"},
    {OFPET_BAD_REQUEST, OFPBRC_BAD_MULTIPART,
     "the switch does not support this statistics request"},
    {OFPET_BAD_REQUEST, OFPBRC_EPERM, "not permitted on this connection"},
    {OFPET_BAD_REQUEST, OFPBRC_BAD_LEN, "the switch found a length field wrong"},
    {OFPET_BAD_REQUEST, OFPBRC_BAD_TABLE_ID, "no such table"},
    {OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, "this connection is a slave controller"},
    {OFPET_BAD_REQUEST, OFPBRC_BAD_PORT,
     "bad port (in_port must be a port of the bridge, LOCAL, CONTROLLER or ANY)"},
    {OFPET_BAD_REQUEST, OFPBRC_BAD_PACKET, "the packet is malformed"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_TYPE, "an action the switch does not support"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT, "an output to a port the switch cannot use"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT, "an action argument the switch does not accept"},
    {OFPET_BAD_ACTION, OFPBAC_TOO_MANY, "too many actions"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP, "a group action names a group that does not exist"},
    {OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT, "an action needs a field the match does not pin"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE, "set_field of a field the switch cannot set"},
    {OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT, "set_field value out of range"},
    {OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID, "goto_table must name a later table that exists"},
    {OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST, "an instruction the switch does not support here"},
    {OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ, "a match field whose prerequisite is not matched"},
    {OFPET_BAD_MATCH, OFPBMC_BAD_FIELD, "a match field the switch does not support"},
    {OFPET_BAD_MATCH, OFPBMC_BAD_VALUE, "a match value out of range"},
    {OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL, "the flow table is full"},
    {OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID, "no such table"},
    {OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP, "check_overlap: an overlapping flow exists"},
    {OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TIMEOUT, "a timeout the switch does not support"},
    {OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND, "an unknown flow_mod command"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS,
     "a group with this group_id already exists; mod-group changes it"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_INVALID_GROUP,
     "invalid group (group_id out of range, or an indirect group without exactly one bucket)"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_WEIGHT_UNSUPPORTED,
     "bucket weights are for select groups only"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS, "the switch holds no more groups"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS, "too many buckets"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINING_UNSUPPORTED, "the switch does not chain groups"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_WATCH_UNSUPPORTED, "the switch does not support this watch"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP, "the group's buckets would lead back to itself"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP, "no group with this group_id"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINED_GROUP, "another group's bucket refers to this group"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_TYPE, "a group type the switch does not support"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_BUCKET, "a malformed bucket"},
    {OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH,
     "watch_port or watch_group names something that does not exist"},
    {OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_PORT, "no such port"},
    {OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_HW_ADDR,
     "the port's hardware address changed meanwhile; try again"},
    {OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_CONFIG, "the switch does not support that port setting"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS,
     "a meter with this id already exists; mod-meter changes it"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER, "meter id out of range"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER, "no meter with this id"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_BAD_FLAGS, "meter flags the switch does not support"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_BAD_RATE, "a band rate the switch does not support"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BURST, "a burst size the switch does not support"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND, "a band type the switch does not support"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS, "the switch holds no more meters"},
    {OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS, "too many bands"},
};

void ofcl_describe_error(const struct ofp_error_msg *e, char *buf, size_t len)
{
    const char *req =
        e->data_len >= 2 && e->type != OFPET_HELLO_FAILED ? ofp_type_name(e->data[1]) : NULL;
    const char *type = ofp_error_type_name(e->type);
    const char *code = ofp_error_code_name(e->type, e->code);
    char codebuf[48];
    if (!code) {
        snprintf(codebuf, sizeof codebuf, "%s code %u", type ? type : "error", e->code);
        code = codebuf;
    }
    const char *why = NULL;
    for (size_t i = 0; i < sizeof ofcl_hints / sizeof ofcl_hints[0]; i++)
        if (ofcl_hints[i].type == e->type && ofcl_hints[i].code == e->code)
            why = ofcl_hints[i].why;
    if (e->type == OFPET_HELLO_FAILED) {
        /* HELLO_FAILED carries text. */
        snprintf(buf, len, "the switch refused the connection: %s (%.*s)", code,
                 (int)(e->data_len > 200 ? 200 : e->data_len), (const char *)e->data);
        return;
    }
    snprintf(buf, len, "%s refused: %s%s%s%s", req ? req : "request", code, why ? " (" : "",
             why ? why : "", why ? ")" : "");
}

/* If `msg` is an ERROR, fills err and returns OFCL_REFUSED; -EPROTO if it does not decode. */
static int ofcl_check_error(struct ofcl *c, const uint8_t *msg, size_t len, char *err,
                            size_t errlen)
{
    struct ofp_error_msg em;
    struct ofp_err oe;
    if (ofp_decode_error_msg(msg, len, &em, &oe)) {
        snprintf(err, errlen, "%s: undecodable ERROR: %s", c->path, oe.msg);
        return -EPROTO;
    }
    ofcl_describe_error(&em, err, errlen);
    return OFCL_REFUSED;
}

int ofcl_dump(struct ofcl *c, const struct ofp_mp_request *r, uint32_t xid, ofcl_reply_fn *fn,
              void *aux, char *err, size_t errlen)
{
    struct ofp_buf b;
    struct ofp_err oe;
    ofp_buf_init(&b);
    int rc = ofp_encode_mp_request(&b, xid, r, &oe);
    if (rc)
        snprintf(err, errlen, "cannot encode the request: %s", oe.msg);
    else
        rc = ofcl_send(c, &b, err, errlen);
    ofp_buf_uninit(&b);
    if (rc)
        return rc;
    for (;;) {
        const uint8_t *msg;
        size_t len;
        rc = ofcl_recv(c, &msg, &len, err, errlen);
        if (rc)
            return rc;
        if (ofcl_msg_xid(msg) != xid)
            continue; /* asynchronous message or a stray reply */
        if (msg[1] == OFPT_ERROR)
            return ofcl_check_error(c, msg, len, err, errlen);
        struct ofp_mp_reply reply;
        if (msg[1] != OFPT_MULTIPART_REPLY) {
            snprintf(err, errlen, "%s: expected a multipart reply, got %s", c->path,
                     ofp_type_name(msg[1]) ? ofp_type_name(msg[1]) : "an unknown message");
            return -EPROTO;
        }
        if (ofp_decode_mp_reply(msg, len, &reply, &oe)) {
            snprintf(err, errlen, "%s: bad multipart reply: %s", c->path, oe.msg);
            return -EPROTO;
        }
        if (reply.type != r->type) {
            snprintf(err, errlen, "%s: multipart reply of type %u to a request of type %u", c->path,
                     reply.type, r->type);
            return -EPROTO;
        }
        rc = fn(aux, &reply, msg, len, err, errlen);
        if (rc)
            return rc;
        if (!(reply.flags & OFPMPF_REPLY_MORE))
            return 0;
    }
}

int ofcl_transact(struct ofcl *c, const struct ofp_buf *msgs, char *err, size_t errlen)
{
    struct ofp_buf b;
    struct ofp_err oe;
    ofp_buf_init(&b);
    uint32_t barrier_xid = ofcl_next_xid(c);
    int rc = ofp_encode_empty(&b, OFPT_BARRIER_REQUEST, barrier_xid, &oe);
    if (rc) {
        snprintf(err, errlen, "cannot encode BARRIER: %s", oe.msg);
        ofp_buf_uninit(&b);
        return rc;
    }
    rc = ofcl_send(c, msgs, err, errlen);
    if (!rc)
        rc = ofcl_send(c, &b, err, errlen);
    ofp_buf_uninit(&b);
    /* The first ERROR is reported, but the BARRIER reply is still awaited: it says the
     * switch is done with every request, which is what a script expects at exit. */
    int refused = 0;
    char first[512] = "";
    while (!rc) {
        const uint8_t *msg;
        size_t len;
        rc = ofcl_recv(c, &msg, &len, err, errlen);
        if (rc)
            break;
        if (msg[1] == OFPT_ERROR && !refused) {
            refused = ofcl_check_error(c, msg, len, first, sizeof first);
            if (refused < 0) {
                snprintf(err, errlen, "%s", first);
                return refused;
            }
        } else if (msg[1] == OFPT_BARRIER_REPLY && ofcl_msg_xid(msg) == barrier_xid) {
            break;
        }
    }
    if (refused && (!rc || rc == -ECONNRESET)) {
        snprintf(err, errlen, "%s", first);
        return OFCL_REFUSED;
    }
    return rc;
}
