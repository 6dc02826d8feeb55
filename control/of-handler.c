/* of-handler.c — what the switch answers to each OpenFlow 1.3 request (multipart requests
 * are in of-stats.c, GROUP_MOD and METER_MOD in of-groups.c). One call serves one framed
 * message of an open connection; replies and errors are appended to the connection's output
 * queue in request order. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <rte_ethdev.h>

#include "control/of-handler.h"
#include "datapath/log.h"

static void reply_error(struct ofconn *c, uint16_t type, uint16_t code, const uint8_t *req,
                        size_t len, const char *fmt, ...) __attribute__((format(printf, 6, 7)));
static void reply_error(struct ofconn *c, uint16_t type, uint16_t code, const uint8_t *req,
                        size_t len, const char *fmt, ...)
{
    struct ofp_err e = {.type = type, .code = code};
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e.msg, sizeof e.msg, fmt, ap);
    va_end(ap);
    ofc_send_error(c, &e, req, len);
}

/* Appends `m` (a reply the codec encodes) or, should encoding fail, an error. */
static void reply(struct ofconn *c, const struct ofp_msg *m, const uint8_t *req, size_t len)
{
    struct ofp_err e = {0};
    if (ofp_encode(&c->tx, m, &e) == 0) {
        ofc_queued(c, 1);
        return;
    }
    SLOG(ERR, "openflow %s: cannot encode %s: %s", c->name, ofp_type_name(m->h.type) ?: "?",
         e.msg);
    ofc_send_error(c, &e, req, len);
}

/* OpenFlow 1.3 6.3.7: a slave may read but not change the switch. */
static bool refuse_slave(struct ofconn *c, const uint8_t *req, size_t len)
{
    if (c->role != OFPCR_ROLE_SLAVE)
        return false;
    reply_error(c, OFPET_BAD_REQUEST, OFPBRC_IS_SLAVE, req, len,
                "%s: this connection is a slave controller", ofp_type_name(req[1]) ?: "request");
    return true;
}

static void handle_features(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                            size_t len)
{
    struct ofp_msg m = {.h = {.type = OFPT_FEATURES_REPLY, .xid = in->h.xid}};
    m.features = (struct ofp_switch_features){
        .datapath_id = c->ob->dpid,
        .n_buffers = 0,
        .n_tables = DP_N_TABLES,
        .auxiliary_id = 0,
        .capabilities = OFPC_FLOW_STATS | OFPC_TABLE_STATS | OFPC_PORT_STATS | OFPC_GROUP_STATS,
    };
    reply(c, &m, req, len);
}

static void handle_get_config(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                              size_t len)
{
    struct ofp_msg m = {.h = {.type = OFPT_GET_CONFIG_REPLY, .xid = in->h.xid}};
    m.config = (struct ofp_switch_config){.flags = c->config_flags,
                                          .miss_send_len = c->miss_send_len};
    reply(c, &m, req, len);
}

static void handle_set_config(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                              size_t len)
{
    /* sluice forwards fragments like any packet (OFPC_FRAG_NORMAL) and can neither drop nor
     * reassemble them; saying so beats a setting that silently does nothing. */
    if ((in->config.flags & OFPC_FRAG_MASK) != OFPC_FRAG_NORMAL) {
        reply_error(c, OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS, req, len,
                    "set_config: fragment handling %s is not supported (only normal)",
                    (in->config.flags & OFPC_FRAG_MASK) == OFPC_FRAG_DROP ? "drop" : "reasm");
        return;
    }
    c->config_flags = in->config.flags;
    c->miss_send_len = in->config.miss_send_len;
}

static void handle_echo(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                        size_t len)
{
    struct ofp_msg m = {.h = {.type = OFPT_ECHO_REPLY, .xid = in->h.xid}};
    m.echo = in->echo;
    reply(c, &m, req, len);
}

static void handle_barrier(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                           size_t len)
{
    /* Everything before the barrier becomes visible to the datapath before the reply. */
    ofc_commit(c->ob);
    struct ofp_msg m = {.h = {.type = OFPT_BARRIER_REPLY, .xid = in->h.xid}};
    reply(c, &m, req, len);
}

static void handle_flow_mod(struct ofconn *c, struct dp_bridge *br, const struct ofp_msg *in,
                            const uint8_t *req, size_t len)
{
    const struct ofp_flow_mod *fm = &in->flow_mod;
    if (refuse_slave(c, req, len))
        return;
    if (fm->buffer_id != OFP_NO_BUFFER) {
        reply_error(c, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, req, len,
                    "flow_mod: buffer_id %u: sluice buffers no packets (use NO_BUFFER)",
                    fm->buffer_id);
        return;
    }
    struct ofp_err oe;
    size_t n_changed = 0;
    int rc = ofproto_flow_mod(br, (enum ofproto_flow_cmd)fm->command, &fm->spec,
                              ofc_flow_removed_cb, c->ob, &n_changed, &oe);
    if (n_changed)
        c->ob->dirty = true;
    if (rc)
        ofc_send_error(c, &oe, req, len);
}

static void handle_packet_out(struct ofconn *c, struct dp_bridge *br, const struct ofp_msg *in,
                              const uint8_t *req, size_t len)
{
    const struct ofp_packet_out *po = &in->packet_out;
    if (refuse_slave(c, req, len))
        return;
    if (po->buffer_id != OFP_NO_BUFFER) {
        reply_error(c, OFPET_BAD_REQUEST, OFPBRC_BUFFER_UNKNOWN, req, len,
                    "packet_out: buffer_id %u: sluice buffers no packets", po->buffer_id);
        return;
    }
    /* The actions pass the same checks as a flow's (groups exist, no output to port 0). */
    static struct flow_spec spec;
    flow_spec_init(&spec);
    spec.n_actions = po->n_actions;
    memcpy(spec.actions, po->actions, po->n_actions * sizeof po->actions[0]);
    struct ofp_err oe;
    if (ofproto_validate(br, &spec, &oe)) {
        ofc_send_error(c, &oe, req, len);
        return;
    }
    /* A packet sent to TABLE must meet the flows added before it. */
    ofc_commit(c->ob);
    char err[256];
    int rc = dp_packet_out(br, po->data, (uint32_t)po->data_len, po->in_port, po->actions,
                           po->n_actions, err, sizeof err);
    if (rc)
        reply_error(c, OFPET_BAD_REQUEST, rc == -EINVAL ? OFPBRC_BAD_PACKET : OFPBRC_EPERM, req,
                    len, "packet_out: %s", err);
}

static void handle_port_mod(struct ofconn *c, struct dp_bridge *br, const struct ofp_msg *in,
                            const uint8_t *req, size_t len)
{
    const struct ofp_port_mod *pm = &in->port_mod;
    if (refuse_slave(c, req, len))
        return;
    struct dp_port *p = pm->port_no < DP_OFPORT_MAX || pm->port_no == DP_OFPORT_LOCAL
                            ? dp_port_by_ofport(br, pm->port_no)
                            : NULL;
    struct ofc_port *op = p ? ofc_port_find(c->ob, pm->port_no) : NULL;
    if (!p || !op) {
        reply_error(c, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_PORT, req, len,
                    "port_mod: port %u does not exist on bridge %s", pm->port_no, c->ob->name);
        return;
    }
    if (memcmp(pm->hw_addr, p->mac.addr_bytes, 6)) {
        reply_error(c, OFPET_PORT_MOD_FAILED, OFPPMFC_BAD_HW_ADDR, req, len,
                    "port_mod: port %u (%s): hw_addr does not match the port's "
                    "%02x:%02x:%02x:%02x:%02x:%02x",
                    pm->port_no, p->name, p->mac.addr_bytes[0], p->mac.addr_bytes[1],
                    p->mac.addr_bytes[2], p->mac.addr_bytes[3], p->mac.addr_bytes[4],
                    p->mac.addr_bytes[5]);
        return;
    }
    /* The bits are kept and reported (PORT_DESC, PORT_STATUS). PORT_DOWN sets the device's
     * link down (where the driver can; the datapath then counts what it would send as
     * drop_port_down) and the link change follows as its own PORT_STATUS; NO_PACKET_IN is
     * honoured by the packet-in path; NO_RECV and NO_FWD go to the datapath (dp_port.config):
     * received packets, or packets output to the port, are dropped as drop_port_config. */
    /* The LOCAL port's PORT_DOWN is its tap interface's administrative state, which the
     * host may have changed since (`ip link set BR up`), as in Open vSwitch. */
    if (p->internal)
        op->config = (op->config & ~OFPPC_PORT_DOWN) |
                     (__atomic_load_n(&p->link_up, __ATOMIC_RELAXED) ? 0 : OFPPC_PORT_DOWN);
    uint32_t config = (op->config & ~pm->mask) | (pm->config & pm->mask);
    if (config == op->config)
        return;
    if ((config ^ op->config) & OFPPC_PORT_DOWN) {
        int rc = config & OFPPC_PORT_DOWN ? rte_eth_dev_set_link_down(p->eth_port)
                                          : rte_eth_dev_set_link_up(p->eth_port);
        if (rc && rc != -ENOTSUP)
            SLOG(WARNING, "port %s: setting the link %s: %s", p->name,
                 config & OFPPC_PORT_DOWN ? "down" : "up", strerror(-rc));
        /* The tap's state changed now: report it in this PORT_STATUS, not one more later. */
        if (p->internal && dp_port_poll_link(p)) {
            op->link_up = __atomic_load_n(&p->link_up, __ATOMIC_RELAXED);
            op->link_changes = __atomic_load_n(&p->link_changes, __ATOMIC_RELAXED);
        }
    }
    op->config = config;
    __atomic_store_n(&p->config,
                     ((config & OFPPC_NO_RECV) ? DP_PORT_NO_RECV : 0u) |
                         ((config & OFPPC_NO_FWD) ? DP_PORT_NO_FWD : 0u),
                     __ATOMIC_RELEASE);
    ofc_port_describe(p, op, &op->desc);
    ofc_send_port_status(c->ob, OFPPR_MODIFY, &op->desc);
}

static void handle_role(struct ofconn *c, const struct ofp_msg *in, const uint8_t *req,
                        size_t len)
{
    struct ofbridge *ob = c->ob;
    uint32_t role = in->role.role;
    uint64_t gen = in->role.generation_id;
    if (role == OFPCR_ROLE_MASTER || role == OFPCR_ROLE_SLAVE) {
        /* Wrap-around comparison, as OpenFlow 1.3 6.3.7 specifies. */
        if (ob->have_generation_id && (int64_t)(gen - ob->generation_id) < 0) {
            reply_error(c, OFPET_ROLE_REQUEST_FAILED, OFPRRFC_STALE, req, len,
                        "role_request: generation_id %llu is older than %llu",
                        (unsigned long long)gen, (unsigned long long)ob->generation_id);
            return;
        }
        ob->have_generation_id = true;
        ob->generation_id = gen;
    }
    if (role != OFPCR_ROLE_NOCHANGE) {
        if (role == OFPCR_ROLE_MASTER)
            ofc_demote_masters(ob, c);
        c->role = role;
    }
    struct ofp_msg m = {.h = {.type = OFPT_ROLE_REPLY, .xid = in->h.xid}};
    m.role.role = c->role;
    m.role.generation_id = ob->have_generation_id ? ob->generation_id : 0;
    reply(c, &m, req, len);
}

static void handle_group_mod(struct ofconn *c, struct dp_bridge *br, const struct ofp_msg *in,
                             const uint8_t *req, size_t len)
{
    if (refuse_slave(c, req, len))
        return;
    ofc_commit(c->ob); /* flows before the group change reach the datapath first */
    struct ofp_err e = {0};
    if (ofh_group_mod(c->ob, br, &in->group_mod, &e))
        ofc_send_error(c, &e, req, len);
}

static void handle_meter_mod(struct ofconn *c, struct dp_bridge *br, const struct ofp_msg *in,
                             const uint8_t *req, size_t len)
{
    if (refuse_slave(c, req, len))
        return;
    ofc_commit(c->ob);
    struct ofp_err e = {0};
    if (ofh_meter_mod(c->ob, br, &in->meter_mod, &e))
        ofc_send_error(c, &e, req, len);
}

void ofh_handle(struct ofconn *c, const uint8_t *data, size_t len)
{
    struct dp_bridge *br = c->ob ? ofc_bridge(c->ob) : NULL;
    if (!br) {
        ofc_close(c, "bridge deleted");
        return;
    }
    struct ofp_msg *m = c->msg;
    struct ofp_err e = {0};
    if (ofp_decode(data, len, m, &e)) {
        /* An ERROR is never answered with an ERROR: two peers could bounce them forever. */
        if (data[1] == OFPT_ERROR)
            SLOG(WARNING, "openflow %s: malformed error from the peer: %s", c->name, e.msg);
        else
            ofc_send_error(c, &e, data, len);
        return;
    }
    switch (m->h.type) {
    case OFPT_HELLO:
        return; /* a repeated HELLO changes nothing */
    case OFPT_ERROR:
        SLOG(WARNING, "openflow %s: peer sent error %s/%s", c->name,
             ofp_error_type_name(m->error.type) ?: "?",
             ofp_error_code_name(m->error.type, m->error.code) ?: "?");
        return;
    case OFPT_ECHO_REQUEST:
        return handle_echo(c, m, data, len);
    case OFPT_ECHO_REPLY:
        return; /* any input already counts as liveness */
    case OFPT_FEATURES_REQUEST:
        return handle_features(c, m, data, len);
    case OFPT_GET_CONFIG_REQUEST:
        return handle_get_config(c, m, data, len);
    case OFPT_SET_CONFIG:
        return handle_set_config(c, m, data, len);
    case OFPT_BARRIER_REQUEST:
        return handle_barrier(c, m, data, len);
    case OFPT_FLOW_MOD:
        return handle_flow_mod(c, br, m, data, len);
    case OFPT_PACKET_OUT:
        return handle_packet_out(c, br, m, data, len);
    case OFPT_PORT_MOD:
        return handle_port_mod(c, br, m, data, len);
    case OFPT_ROLE_REQUEST:
        return handle_role(c, m, data, len);
    case OFPT_GROUP_MOD:
        return handle_group_mod(c, br, m, data, len);
    case OFPT_METER_MOD:
        return handle_meter_mod(c, br, m, data, len);
    case OFPT_MULTIPART_REQUEST:
        return ofh_multipart(c, &m->mp_request, m->h.xid, data, len);
    default:
        /* Messages only a switch sends (FEATURES_REPLY, PACKET_IN, ...). */
        reply_error(c, OFPET_BAD_REQUEST, OFPBRC_BAD_TYPE, data, len,
                    "%s is not a request a switch accepts", ofp_type_name(m->h.type) ?: "?");
        return;
    }
}
