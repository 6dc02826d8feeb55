/* of-client.h — a small blocking OpenFlow 1.3 client: what sluicectl's OpenFlow verbs use to
 * talk to a bridge's RUNDIR/BRIDGE.mgmt socket, the way ovs-ofctl -O OpenFlow13 does.
 *
 * What?
 *   ofcl_open() connects and exchanges HELLOs (OpenFlow 1.3 only). Then either
 *     ofcl_dump()     one multipart request; every reply message is handed to a callback
 *                     until the one without OFPMPF_REPLY_MORE, or
 *     ofcl_transact() a batch of requests that have no reply (FLOW_MOD, GROUP_MOD,
 *                     METER_MOD, PORT_MOD, PACKET_OUT) followed by a BARRIER; it returns when
 *                     the BARRIER reply arrives, so every request was applied (or refused).
 *   Messages are encoded and decoded with the shared codec (ofproto/ofp-msgs.h).
 *
 * Transaction ids.
 *   HELLO is xid 1 and the requests the user asked for are numbered from 2, as ovs-ofctl
 *   numbers them, so that the reply headers sluicectl prints ("OFPST_GROUP_DESC reply
 *   (OF1.3) (xid=0x2):") read the same as ovs-ofctl's. Helper requests the user did not ask
 *   for (the port list used to resolve names) take ids from OFCL_AUX_XID up.
 *
 * Errors. Every function returns 0, or
 *   OFCL_REFUSED (> 0): the switch answered with an OpenFlow ERROR; err holds a readable
 *     message: the request type, the error's name and what it usually means
 *     ("OFPT_GROUP_MOD refused: OFPGMFC_GROUP_EXISTS (a group with this group_id already
 *     exists; mod-group changes it)");
 *   a negative errno for transport failures (cannot connect, timeout, connection closed,
 *     a reply that does not decode): err names the socket and the cause.
 *   The deadline given to ofcl_open() bounds the whole conversation.
 *
 * ECHO_REQUESTs from the switch are answered; asynchronous messages (PORT_STATUS...) are
 * skipped. Threads: one client per thread; no global state.
 */
#ifndef SLUICE_CLI_OF_CLIENT_H
#define SLUICE_CLI_OF_CLIENT_H

#include <stddef.h>
#include <stdint.h>

#include "ofproto/ofp-msgs.h"

#define OFCL_REFUSED 1
#define OFCL_FIRST_XID 2
#define OFCL_AUX_XID 0xfffff000u

struct ofcl {
    int fd;
    char path[108];
    int64_t deadline_ms; /* CLOCK_MONOTONIC ms; 0: none */
    double timeout_s;    /* for messages */
    uint32_t next_xid;
    uint32_t next_aux_xid;
    uint8_t *rx; /* received bytes; the first message starts at rx */
    size_t rx_len, rx_cap;
    size_t consumed; /* length of the message last returned by ofcl_recv() */
};

/* Connects to `path` and negotiates OpenFlow 1.3. timeout_ms <= 0: no limit. On failure the
 * client is closed. */
int ofcl_open(struct ofcl *c, const char *path, int timeout_ms, char *err, size_t errlen);
void ofcl_close(struct ofcl *c);

/* The next transaction id for a request the user asked for / for a helper request. */
uint32_t ofcl_next_xid(struct ofcl *c);
uint32_t ofcl_next_aux_xid(struct ofcl *c);

/* Sends b->len bytes of whole messages. */
int ofcl_send(struct ofcl *c, const struct ofp_buf *b, char *err, size_t errlen);
/* Waits for the next message other than an ECHO_REQUEST (answered here); *msg points into the
 * client's buffer and stays valid until the next call. */
int ofcl_recv(struct ofcl *c, const uint8_t **msg, size_t *len, char *err, size_t errlen);

/* Called for each reply message of a dump, in order; `raw`/`len` is the whole message (for
 * the header: xid and flags). Returns 0, or a nonzero value that stops the dump and is
 * returned by ofcl_dump() (with err filled). */
typedef int ofcl_reply_fn(void *aux, const struct ofp_mp_reply *r, const uint8_t *raw, size_t len,
                          char *err, size_t errlen);

/* Sends multipart request `r` with transaction id `xid` and feeds `fn` every reply message
 * until the last. A reply of another multipart type, or that does not decode, is -EPROTO. */
int ofcl_dump(struct ofcl *c, const struct ofp_mp_request *r, uint32_t xid, ofcl_reply_fn *fn,
              void *aux, char *err, size_t errlen);

/* Sends the messages in `b` (encoded by the caller, with their xids), then a BARRIER, and
 * waits for its reply. An ERROR answering any of them is OFCL_REFUSED (the first one). */
int ofcl_transact(struct ofcl *c, const struct ofp_buf *b, char *err, size_t errlen);

/* The readable message for an ERROR (see above), without the trailing period. */
void ofcl_describe_error(const struct ofp_error_msg *e, char *buf, size_t len);

#endif
