/* of-handler.h — inside the OpenFlow side of the daemon: the state ofconn.c keeps per bridge
 * and per connection, and the handlers that answer requests (of-handler.c: everything but
 * multipart; of-stats.c: multipart replies; of-groups.c: GROUP_MOD and METER_MOD).
 *
 * Only control/of*.c include this; the daemon and mgmt.c use control/ofconn.h.
 *
 * Ownership. ofconn.c owns every struct ofbridge and struct ofconn. A handler never frees a
 * connection: it calls ofc_close(), which marks it dead; ofconn.c frees dead connections
 * only after the handler returned, so `c` stays valid for the whole call. A struct ofbridge
 * never holds a struct dp_bridge pointer across poll iterations: it keeps the bridge's id and
 * looks the bridge up (ofc_bridge()), so a bridge deleted under it is noticed, not used.
 *
 * Threads: control thread only.
 */
#ifndef SLUICE_CONTROL_OF_HANDLER_H
#define SLUICE_CONTROL_OF_HANDLER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "control/ofconn.h"
#include "datapath/dp.h"
#include "ofproto/ofp-msgs.h"
#include "ofproto/ofproto.h"

#define OFC_MAX_GROUPS 65536 /* per bridge: beyond, OFPGMFC_OUT_OF_GROUPS */
#define OFC_MAX_METERS 65536 /* per bridge: beyond, OFPMMFC_OUT_OF_METERS */

enum ofc_kind {
    OFC_SERVICE, /* accepted on RUNDIR/BR.mgmt */
    OFC_ACTIVE,  /* we connected to a tcp: target */
    OFC_PASSIVE, /* accepted on a ptcp: target */
};

enum ofc_state {
    OFC_CONNECTING, /* tcp connect in progress */
    OFC_HELLO,      /* our HELLO sent, the peer's not seen yet */
    OFC_OPEN,       /* version negotiated: requests are served */
};

struct ofconn;
struct dp_group;
struct dp_meter;

/* One set-controller target. */
struct oftarget {
    char text[64];
    struct ofconn_target_addr addr;
    int listen_fd;        /* ptcp: listening socket, -1 when not listening */
    uint16_t bound_port;  /* ptcp: the port actually bound (for ptcp:0) */
    struct ofconn *conn;  /* tcp: the current connection, NULL between attempts */
    unsigned failures;    /* tcp: consecutive attempts that did not reach OFC_OPEN */
    unsigned backoff_s;   /* tcp: the wait before next_try_ns (get-controller shows it) */
    uint64_t next_try_ns; /* tcp: next connection attempt */
    char last_error[128];
};

/* What the switch remembers of a port beyond the datapath: its PORT_MOD config bits, and
 * what it last announced in PORT_STATUS (to notice additions, removals and link changes). */
struct ofc_port {
    const struct dp_port *dp; /* identity only: compared, never dereferenced when stale */
    uint32_t ofport;
    char name[DP_PORT_NAME_MAX];
    bool link_up;
    uint32_t link_changes;    /* dp_port.link_changes when last announced: catches flaps */
    bool seen;                /* mark for the sweep that finds removed ports */
    uint32_t config;          /* OFPPC_* bits set by PORT_MOD */
    struct ofp_port desc;     /* as last announced (a DELETE describes a port that is gone) */
    uint64_t created_ns;      /* when the switch first saw it: PORT_STATS duration */
};

struct ofbridge {
    struct ofbridge *next;
    uint32_t br_id;           /* dp_bridge.id */
    char name[DP_BRIDGE_NAME_MAX];
    char mgmt_path[108];
    int mgmt_fd;              /* -1 when the socket could not be opened */
    dev_t mgmt_dev;           /* identity of the socket file we bound: unlink only ours */
    ino_t mgmt_ino;
    uint64_t next_mgmt_retry_ns;

    uint64_t dpid;
    bool secure;              /* fail_mode */
    bool fail_open;
    uint64_t no_controller_since_ns; /* 0 while a controller is connected or none is set */
    struct oftarget *targets[OFCONN_MAX_TARGETS]; /* allocated: connections point at them */
    unsigned n_targets;

    bool have_generation_id;  /* ROLE_REQUEST master election */
    uint64_t generation_id;

    struct ofc_port *ports;
    size_t n_ports, cap_ports;

    bool dirty;               /* flow changes not yet published */
    unsigned n_conns;
    uint64_t pin_dropped;     /* packet-ins no connection took */
};

struct ofconn {
    struct ofconn *next;      /* every connection of every bridge */
    struct ofbridge *ob;
    struct oftarget *target;  /* OFC_ACTIVE: the target it belongs to */
    int fd;
    enum ofc_kind kind;
    enum ofc_state state;
    bool dead;                /* closed; freed by ofconn.c after the current handler */
    bool closing;             /* flush what is queued, then close (after HELLO_FAILED) */
    bool eof;                 /* the peer sent its last byte; finish serving, then close */
    char name[96];            /* "br0 unix#3", "br0 tcp:127.0.0.1:6653" for logs */

    uint8_t *rx;
    size_t rx_len, rx_cap;
    struct ofp_buf tx;
    size_t tx_off;            /* bytes of tx already written */

    uint64_t opened_ns;
    uint64_t last_rx_ns;
    uint64_t last_echo_ns;
    unsigned echo_unanswered;
    uint64_t tx_blocked_since_ns; /* 0 while output moves or none waits */

    uint8_t version;
    uint32_t role;            /* enum ofp_controller_role */
    uint16_t miss_send_len;
    uint16_t config_flags;    /* SET_CONFIG flags (OFPC_FRAG_*) */
    uint32_t next_xid;        /* for messages the switch starts */

    uint64_t rx_msgs, tx_msgs, pin_sent, pin_dropped;
    struct ofp_msg *msg;      /* decode scratch: too large for the stack */
};

/* --- Provided by ofconn.c to the handlers -------------------------------------------- */

uint64_t ofc_now_ns(void);
/* The datapath bridge of `ob`, or NULL when it is gone. */
struct dp_bridge *ofc_bridge(const struct ofbridge *ob);
struct ofbridge *ofc_bridge_by_id(uint32_t br_id);

/* Marks `c` dead (closed at the end of the current pass); `why` is logged. */
void ofc_close(struct ofconn *c, const char *why);
/* Must be called after appending to c->tx: counts the messages and enforces
 * OFCONN_TX_MAX (closing the connection when exceeded). Returns false when c is dead. */
bool ofc_queued(struct ofconn *c, unsigned n_msgs);
/* Appends an ERROR for `e` answering `req` (its xid and first bytes). */
void ofc_send_error(struct ofconn *c, const struct ofp_err *e, const void *req, size_t len);
/* Publishes the bridge's pending flow changes (no-op when there are none). */
void ofc_commit(struct ofbridge *ob);

/* A new master: every other master connection of the bridge becomes a slave. */
void ofc_demote_masters(struct ofbridge *ob, const struct ofconn *except);
/* Whether `c` gets asynchronous messages of this type (and packet-in reason). */
bool ofc_wants_async(const struct ofconn *c, uint8_t type, uint8_t reason);
/* The ofproto_removed_cb that sends FLOW_REMOVED (aux: the struct ofbridge, or NULL to find
 * it from br). */
void ofc_flow_removed_cb(void *aux, struct dp_bridge *br, const struct rule *r, uint8_t reason);

/* Port bookkeeping. */
struct ofc_port *ofc_port_find(struct ofbridge *ob, uint32_t ofport);
/* Fills an OpenFlow port description from the datapath port and our bookkeeping. */
void ofc_port_describe(const struct dp_port *p, const struct ofc_port *op, struct ofp_port *out);
/* Sends PORT_STATUS to every connection that wants it. */
void ofc_send_port_status(struct ofbridge *ob, uint8_t reason, const struct ofp_port *desc);

/* --- Handlers ------------------------------------------------------------------------- */

/* Serves one whole message (len bytes, framed) from an open connection. */
void ofh_handle(struct ofconn *c, const uint8_t *data, size_t len);
/* Multipart requests (of-stats.c). `req`/`len` is the request, for errors. */
void ofh_multipart(struct ofconn *c, const struct ofp_mp_request *r, uint32_t xid,
                   const uint8_t *req, size_t len);
/* GROUP_MOD and METER_MOD (of-groups.c): return 0, or -1 with *e set. */
int ofh_group_mod(struct ofbridge *ob, struct dp_bridge *br, const struct ofp_group_mod *gm,
                  struct ofp_err *e);
int ofh_meter_mod(struct ofbridge *ob, struct dp_bridge *br, const struct ofp_meter_mod *mm,
                  struct ofp_err *e);
/* The datapath group/meter as OpenFlow structs (for GROUP_DESC, METER_CONFIG). */
void ofh_group_to_ofp(const struct dp_group *g, struct ofp_group *out);
void ofh_meter_to_ofp(const struct dp_meter *m, struct ofp_meter_config *out);

/* Pure checks shared with the unit tests. */
/* Looks up group ids in a table (control-thread view). */
typedef const struct dp_group *ofh_group_lookup(void *aux, uint32_t id);
/* 0 when installing `g` (replacing any group with its id) is sound as a chain: every group
 * its buckets forward to exists (else -EPROTO with OFPET_BAD_ACTION/OFPBAC_BAD_OUT_GROUP) and no
 * chain of group actions leads back to g (else -EPROTO with OFPGMFC_LOOP). */
int ofh_group_check_chain(const struct ofp_group *g, ofh_group_lookup *lookup, void *aux,
                          struct ofp_err *e);

#endif
