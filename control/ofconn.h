/* ofconn.h — OpenFlow 1.3 connections of the daemon: the per-bridge management socket, the
 * controller connections, and the messages the switch sends on its own.
 *
 * What?
 *   Every bridge listens on a Unix socket RUNDIR/BRIDGE.mgmt that speaks OpenFlow 1.3 exactly
 *   as `ovs-ofctl -O OpenFlow13 COMMAND unix:RUNDIR/BRIDGE.mgmt` expects. `set-controller`
 *   adds controller connections: "tcp:IP:PORT" (sluice connects, and reconnects with an
 *   exponential backoff of 1, 2, 4, 8, 8... seconds) and "ptcp:PORT[:IP]" (sluice listens,
 *   on 127.0.0.1 unless an IP is given; port 0 picks a free port, shown by get-controller).
 *   Many connections of every kind may be open at once. The message handlers live in
 *   of-handler.c (requests), of-stats.c (multipart replies) and of-groups.c (GROUP_MOD,
 *   METER_MOD); this file is the transport and the asynchronous messages.
 *
 * Two kinds of connection, as in Open vSwitch.
 *   - Service connections (the .mgmt socket) are for tools: they receive no asynchronous
 *     message (PACKET_IN, FLOW_REMOVED, PORT_STATUS) unless they ask for them with a
 *     SET_CONFIG whose miss_send_len is not 0 (their default miss_send_len is 0), which is
 *     what `ovs-ofctl monitor` does. They get no ECHO keepalive.
 *   - Controller connections (tcp: and connections accepted on ptcp:) start with
 *     miss_send_len 128 and receive asynchronous messages according to their role: master
 *     and equal get PACKET_IN, FLOW_REMOVED and PORT_STATUS; slave gets PORT_STATUS only
 *     (OpenFlow 1.3's default asynchronous configuration). The switch sends an ECHO_REQUEST
 *     after 5 s without input and drops the connection after 3 unanswered ones.
 *
 * Transport rules.
 *   Sockets are non-blocking; the control thread never waits on a peer. Input is framed by
 *   the header's length (ofp_msg_length); a peer may send any number of messages in one
 *   write. The first message must be HELLO; version negotiation uses the version bitmap and
 *   a peer without 1.3 gets HELLO_FAILED/INCOMPATIBLE and is disconnected. Output is queued
 *   per connection: while more than OFCONN_TX_PAUSE bytes wait, the switch stops reading
 *   that peer's requests (flow control, as a reply can be as long as the flow table), and
 *   PACKET_INs for it are dropped and counted. A peer whose queue does not move for
 *   OFCONN_STALL_S seconds, or whose queue would exceed OFCONN_TX_MAX bytes, is
 *   disconnected: a peer that does not read cannot make the switch grow without bound.
 *
 * Batching and BARRIER.
 *   Flow-mods change the bridge's mutable tables; the changes are published to the PMDs
 *   (ofproto_commit) once per batch, i.e. once for all messages read from all peers in one
 *   pass of the poll loop, not once per message. A BARRIER_REQUEST, a PACKET_OUT and any
 *   request that must see the datapath as it is publish first, so a BARRIER_REPLY means every
 *   earlier change of that connection is visible to every packet. GROUP_MOD and METER_MOD
 *   publish at once (their tables are small and PMDs look groups and meters up by id).
 *
 * Ports.
 *   PORT_STATUS (ADD, DELETE, MODIFY on link changes) follows the bridge's ports however they
 *   change (sluicectl, config, del-br). PORT_MOD's config bits are kept per port and reported
 *   in PORT_DESC and PORT_STATUS; PORT_DOWN also sets the device's link down where the driver
 *   supports it, NO_PACKET_IN stops packet-ins from that port; NO_RECV drops what the port
 *   receives and NO_FWD what is output to it (NORMAL included; floods leave it out), counted
 *   as the drop reason port_config (datapath/port.h, dp_port.config).
 *
 * fail_mode (per bridge; "standalone" by default, as in Open vSwitch).
 *   What each mode does, precisely:
 *   - both: flows, groups and meters stay and keep forwarding while no controller is
 *     connected; service connections keep working; packets sent to the controller while no
 *     connection wants them are dropped and counted (get-controller "packet_in_dropped").
 *   - standalone: after 15 s with a controller configured and none connected (3 missed
 *     keepalives), the bridge enters "fail-open" (logged, get-controller "fail_open": true)
 *     and leaves it when a controller connects. While fail-open the bridge is a learning
 *     switch: the datapath forwards every packet as NORMAL, bypassing the tables (Open
 *     vSwitch installs a hidden top-priority NORMAL flow to the same effect); the flows stay
 *     for the controller's return (dp_bridge_set_fail_open(), datapath/mac-learning.h).
 *   - secure: never fail-open; the bridge waits for its controller with its flows as they are.
 *
 * Threads: control thread only.
 */
#ifndef SLUICE_CONTROL_OFCONN_H
#define SLUICE_CONTROL_OFCONN_H

#include <jansson.h>
#include <poll.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dp_bridge;

#define OFCONN_TX_PAUSE (256u * 1024)         /* stop reading a peer above this backlog */
#define OFCONN_TX_MAX (512u * 1024 * 1024)    /* disconnect a peer above this backlog */
#define OFCONN_STALL_S 30                     /* disconnect a peer that reads nothing */
#define OFCONN_ECHO_INTERVAL_S 5
#define OFCONN_ECHO_MISSES 3
#define OFCONN_BACKOFF_MIN_S 1
#define OFCONN_BACKOFF_MAX_S 8
#define OFCONN_FAIL_OPEN_S (OFCONN_ECHO_INTERVAL_S * OFCONN_ECHO_MISSES)
#define OFCONN_MAX_CONNS 256                  /* per bridge; more are refused */
#define OFCONN_MAX_TARGETS 8                  /* controller targets per bridge */

/* Starts the OpenFlow side: sockets go to `run_dir` (kept by pointer, must outlive us).
 * Bridges that already exist get their .mgmt socket. Returns 0 or -errno with a message. */
int ofconn_init(const char *run_dir, char *err, size_t errlen);
/* Closes every connection and listener and removes the .mgmt sockets. */
void ofconn_fini(void);

/* A bridge was created: opens RUNDIR/NAME.mgmt. Returns 0 or -errno with a message (the
 * bridge then works without OpenFlow; ofconn_run retries every second). */
int ofconn_bridge_added(struct dp_bridge *br, char *err, size_t errlen);
/* A bridge is about to be deleted or was deleted (only `name` is used): closes its
 * connections and listeners and removes its socket. Unknown names are ignored. */
void ofconn_bridge_removed(const char *name);

/* Poll loop integration. ofconn_pollfds() writes the descriptors to watch (listeners,
 * connections — with POLLOUT when output waits — and the packet-in queue's eventfd) into
 * pfds[0..max) and returns how many; ofconn_run() handles what poll() reported for them
 * (pass the same slice back; descriptors that were closed in between are skipped), then
 * publishes the batch's flow changes. ofconn_tick() runs timers: keepalives, reconnects,
 * stalled peers, flow expiry (once a second, with FLOW_REMOVED), PORT_STATUS for ports
 * added, removed or whose link changed. Call it on every loop iteration (it is cheap). */
int ofconn_pollfds(struct pollfd *pfds, int max);
void ofconn_run(const struct pollfd *pfds, int n);
void ofconn_tick(uint64_t now_ns);
/* Milliseconds until ofconn_tick() has work (for the poll timeout), at most max_ms. */
int ofconn_timeout_ms(uint64_t now_ns, int max_ms);

/* set-controller: `targets` is a space-separated list of "tcp:IP:PORT" and "ptcp:PORT[:IP]"
 * ("": no controller; NULL: unchanged); `fail_mode` "standalone", "secure" or NULL
 * (unchanged).
 * Replaces the previous targets (connections to targets that stay are kept). Returns 0 or
 * -EINVAL/-ENOENT/-EADDRINUSE... with a message naming the bridge and the target. */
int ofconn_set_controller(const char *bridge, const char *targets, const char *fail_mode,
                          char *err, size_t errlen);
/* get-controller: {"bridge", "datapath_id", "fail_mode", "fail_open", "targets": [{"target",
 * "state", "bound_port" (ptcp), "backoff_s": the current wait between attempts,
 * "next_try_ms", "last_error" (tcp)}], "connections": [{"name", "kind", "role",
 * "miss_send_len", "rx_msgs", "tx_msgs", "packet_in_sent", "packet_in_dropped"}],
 * "packet_in_dropped"}. NULL with a message when the bridge does not exist. */
json_t *ofconn_get_controller(const char *bridge, char *err, size_t errlen);

/* An ofproto_removed_cb (ofproto/ofproto.h) that sends FLOW_REMOVED to the connections that
 * want it, for flows deleted outside OpenFlow (sluicectl del-flows). aux is ignored. */
struct rule;
void ofconn_flow_removed(void *aux, struct dp_bridge *br, const struct rule *r, uint8_t reason);

/* The datapath id FEATURES_REPLY reports: configured with ofconn_set_datapath_id(), else a
 * 48-bit hash of the bridge name (stable across restarts, like OVS's MAC-derived one). */
uint64_t ofconn_default_datapath_id(const char *bridge_name);
int ofconn_set_datapath_id(const char *bridge, uint64_t dpid, char *err, size_t errlen);

/* Parsing of one controller target, exposed for tests. kind 't' (tcp) or 'p' (ptcp); addr in
 * network order; port in host order. Returns 0 or -EINVAL with a message. */
struct ofconn_target_addr {
    char kind;
    uint32_t addr;
    uint16_t port;
};
int ofconn_parse_target(const char *target, struct ofconn_target_addr *t, char *err,
                        size_t errlen);
/* Reconnect backoff after `failures` consecutive failed attempts (0: first retry): 1, 2, 4,
 * 8, 8... seconds. */
unsigned ofconn_backoff_s(unsigned failures);

#endif
