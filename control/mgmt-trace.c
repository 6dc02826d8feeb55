/* mgmt-trace.c — the "trace" management method: what the pipeline does with one packet.
 *
 * params {"bridge": BR, "flow": TEXT}. TEXT is a match in ovs-ofctl syntax (flow-syntax.h,
 * FILTER mode) read as a packet: every field it gives is the packet's value (for a masked
 * field, the bits under the mask); the others take defaults, those of ovs-appctl
 * ofproto/trace except where a zero would make no sense for a real frame: eth_src
 * 00:00:00:00:00:01, eth_dst 00:00:00:00:00:02, no Ethernet II type unless one is given
 * (like OVS's dl_type 0), TTL/hop limit 64, ARP opcode 1 (request), everything else 0.
 * in_port is required and must be a port of the bridge. The packet is built as a real frame
 * (datapath/packet-build.h), run through dp_trace_packet() and every recorded step returned:
 *
 * result {"bridge", "flow": the packet as a flow (every field it has), "packet_len",
 *         "packet": the frame in hex (usable with packet-out),
 *         "steps": [ {"kind": "lookup", "table", "rule": {"priority", "cookie", "match",
 *                     "actions"}} | {"kind": "lookup", "table", "miss": true}
 *                  | {"kind": "action", "table", "depth", "action"}
 *                  | {"kind": "output", "depth", "port", "ofport"}
 *                  | {"kind": "group", "depth", "group_id", "type", "bucket"?, "buckets"?: "all",
 *                     "note"?}
 *                  | {"kind": "meter", "table", "meter_id", "passed", "note"?}
 *                  | {"kind": "controller", "depth", "reason"}
 *                  | {"kind": "drop", "table", "depth", "reason"}
 *                  | {"kind": "goto", "table"}
 *                  | {"kind": "action_set", "table", "n_actions"}
 *                  | {"kind": "normal", "table", "depth", "vlan" (the VLAN NORMAL used: the
 *                     frame's tag, or its ingress port's VLAN configuration), "decision": "forward" |
 *                     "flood" | "drop", "port"?, "ofport"? (forward: where the destination
 *                     was learned), "fail_open"?: true (the bridge bypassed its tables)} ],
 *         "truncated", "final_flow" (only when actions changed the packet),
 *         "outputs": [port...], "controller": N, "datapath_actions": "output vm2" | "drop" }
 *
 * The datapath records each action by value, so actions run from the OpenFlow action set
 * are printed like any other.
 *
 * Control thread only (the mgmt handlers' thread).
 */
#include "control/mgmt-trace.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "control/jsonrpc.h"
#include "control/mgmt.h"
#include "datapath/dp.h"
#include "datapath/flow-field.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/mac-learning.h"
#include "datapath/packet-build.h"
#include "ofproto/flow-syntax.h"
#include "ofproto/ofproto.h"

static int tr_name_to_ofport(void *aux, const char *name, uint32_t *ofport)
{
    struct dp_port *p = dp_port_find(aux, name);
    if (!p)
        return -ENOENT;
    *ofport = p->ofport;
    return 0;
}

static const char *tr_ofport_to_name(void *aux, uint32_t ofport)
{
    struct dp_port *p = dp_port_by_ofport(aux, ofport);
    return p ? p->name : NULL;
}

static bool tr_is_zero(const void *p, size_t n)
{
    const uint8_t *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return false;
    return true;
}

/* The packet `spec` describes: defaults under the fields the match leaves open. */
static void tr_packet_key(const struct flow_match *m, struct flow_key *k)
{
    struct flow_key d = {0};
    static const uint8_t src[6] = {0, 0, 0, 0, 0, 1}, dst[6] = {0, 0, 0, 0, 0, 2};
    memcpy(d.eth_src, src, 6);
    memcpy(d.eth_dst, dst, 6);
    d.eth_type = htons(FLOW_ETH_TYPE_NONE);
    uint16_t type = ntohs(m->value.eth_type & m->mask.eth_type);
    if (m->mask.eth_type == 0xffff && (type == 0x0800 || type == 0x86dd))
        d.nw_ttl = 64;
    if (m->mask.eth_type == 0xffff && (type == 0x0806 || type == 0x8035))
        d.nw_proto = 1; /* ARP request */
    if (m->value.vlan_tci & m->mask.vlan_tci & htons(FLOW_VLAN_PRESENT))
        d.vlan_tpid = htons(0x8100);
    const uint8_t *dv = (const uint8_t *)&d, *mv = (const uint8_t *)&m->value,
                  *mm = (const uint8_t *)&m->mask;
    uint8_t *out = (uint8_t *)k;
    for (size_t i = 0; i < sizeof *k; i++)
        out[i] = (uint8_t)((dv[i] & ~mm[i]) | (mv[i] & mm[i]));
    k->flags = 0;
}

/* The packet as a flow: every field the packet has (whose prerequisite it meets). */
static void tr_key_text(const struct flow_key *k, const struct port_resolver *res, char *buf,
                        size_t len)
{
    struct flow_match m;
    memset(&m, 0, sizeof m);
    m.value = *k;
    for (int i = 0; i < FF_N_FIELDS; i++) {
        const struct flow_field *f = &flow_fields[i];
        /* Metadata starts at zero (shown once an instruction wrote it); no tunnel here. */
        if ((f->id == FF_METADATA && !k->metadata) || f->id == FF_TUN_ID || f->id == FF_VLAN_VID ||
            f->id == FF_VLAN_PCP || !flow_key_has_prereq(k, f->prereq))
            continue;
        if (f->n_bytes > 8) {
            uint8_t ones[16];
            memset(ones, 0xff, sizeof ones);
            uint8_t v[16];
            flow_field_get_bytes(f, k, v);
            flow_match_set_field_bytes(&m, f, v, ones);
        } else {
            uint64_t all = f->n_bits >= 64 ? UINT64_MAX : (1ull << f->n_bits) - 1;
            flow_match_set_field(&m, f, flow_field_get(f, k), all);
        }
    }
    /* The whole TCI, as ovs-appctl ofproto/trace shows it ("vlan_tci=0x0000" untagged). */
    m.mask.vlan_tci = 0xffff;
    m.mask.nw_frag = k->nw_frag ? 0x3 : 0;
    m.value.nw_frag = k->nw_frag;
    flow_match_normalize(&m);
    flow_spec_format_match(&m, 32768, res, buf, len);
}

static json_t *tr_rule_json(const struct rule *r, const struct port_resolver *res,
                            struct flow_spec *scratch)
{
    char match[1024], actions[2048], cookie[32];
    flow_spec_format_match(&r->match, r->priority, res, match, sizeof match);
    ofproto_rule_to_spec(r, scratch);
    flow_spec_format_actions(scratch, res, actions, sizeof actions);
    snprintf(cookie, sizeof cookie, "0x%" PRIx64, r->cookie);
    return json_pack("{s:i, s:s, s:s, s:s}", "priority", (int)r->priority, "cookie", cookie,
                     "match", match, "actions", actions);
}


static const char *tr_group_type(const struct dp_bridge *br, uint32_t id)
{
    static const char *const names[] = {"all", "select", "indirect", "ff"};
    const struct dp_group *g = id_table_get(br->groups, id);
    return g && g->type < 4 ? names[g->type] : "unknown";
}

static json_t *tr_port_json(uint32_t ofport, const struct port_resolver *res)
{
    char name[64];
    flow_format_port(ofport, res, name, sizeof name);
    return json_string(name);
}

int mgmt_trace(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    json_t *jb = json_object_get(params, "bridge"), *jf = json_object_get(params, "flow");
    if (!json_is_string(jb) || !json_is_string(jf)) {
        snprintf(err, errlen, "trace: parameters \"bridge\" and \"flow\" (strings) are required");
        return JSONRPC_INVALID_PARAMS;
    }
    const char *bname = json_string_value(jb), *text = json_string_value(jf);
    struct dp_bridge *br = dp_bridge_find(bname);
    if (!br) {
        snprintf(err, errlen, "bridge %s: no such bridge", bname);
        return JSONRPC_INVALID_PARAMS;
    }
    struct port_resolver res = {tr_name_to_ofport, tr_ofport_to_name, br};

    struct flow_spec *spec = malloc(sizeof *spec);
    struct dp_trace *tr = malloc(sizeof *tr);
    int rc = JSONRPC_INVALID_PARAMS;
    json_t *steps = NULL;
    if (!spec || !tr) {
        snprintf(err, errlen, "out of memory");
        rc = JSONRPC_FAILED;
        goto out;
    }
    char perr[512];
    if (flow_spec_parse(text, FLOW_PARSE_FILTER, &res, spec, perr, sizeof perr)) {
        snprintf(err, errlen, "trace: flow \"%s\": %s", text, perr);
        goto out;
    }
    if (spec->table_given || spec->priority_given || spec->cookie_mask ||
        spec->out_port != DP_OFPORT_ANY || spec->out_group != 0xffffffffu) {
        snprintf(err, errlen,
                 "trace: flow \"%s\": table=, priority=, cookie=, out_port= and out_group= "
                 "describe flows, not packets",
                 text);
        goto out;
    }
    const struct flow_match *m = &spec->match;
    if (m->mask.in_port != 0xffffffffu) {
        snprintf(err, errlen,
                 "trace: flow \"%s\": give in_port=PORT (the port the packet arrives on)", text);
        goto out;
    }
    if (!dp_port_by_ofport(br, m->value.in_port)) {
        char port[64];
        flow_format_port(m->value.in_port, &res, port, sizeof port);
        snprintf(err, errlen, "trace: in_port=%s: no such port on bridge %s", port, bname);
        goto out;
    }
    if (!tr_is_zero(&m->mask.metadata, sizeof m->mask.metadata) ||
        !tr_is_zero(&m->mask.tun_id, sizeof m->mask.tun_id) || m->mask.tun_src || m->mask.tun_dst ||
        m->mask.recirc_id) {
        snprintf(err, errlen,
                 "trace: flow \"%s\": a traced packet enters table 0 with metadata and tunnel "
                 "fields at zero; metadata=, tun_id=, tun_src= and tun_dst= cannot be given",
                 text);
        goto out;
    }

    struct flow_key key;
    tr_packet_key(m, &key);
    uint8_t frame[PKT_BUILD_MAX_LEN];
    size_t flen = 0;
    char berr[256];
    if (pkt_build(&key, frame, sizeof frame, &flen, berr, sizeof berr)) {
        snprintf(err, errlen, "trace: flow \"%s\": cannot build that packet: %s", text, berr);
        goto out;
    }
    if (dp_trace_packet(br, frame, (uint32_t)flen, key.in_port, tr, berr, sizeof berr)) {
        snprintf(err, errlen, "trace: bridge %s: %s", bname, berr);
        rc = JSONRPC_FAILED;
        goto out;
    }

    /* The steps, formatted now: rule pointers stay valid only until the tables change. */
    steps = json_array();
    json_t *outputs = json_array();
    unsigned n_controller = 0;
    for (uint32_t i = 0; i < tr->n; i++) {
        const struct dp_trace_event *e = &tr->ev[i];
        json_t *s = NULL;
        switch (e->kind) {
        case DP_TRACE_LOOKUP:
            s = json_pack("{s:s, s:i}", "kind", "lookup", "table", e->table);
            if (e->rule)
                json_object_set_new(s, "rule", tr_rule_json(e->rule, &res, spec));
            else
                json_object_set_new(s, "miss", json_true());
            break;
        case DP_TRACE_ACTION:
            s = json_pack("{s:s, s:i, s:i}", "kind", "action", "table", e->table, "depth",
                          e->depth);
            if (e->has_action) {
                flow_spec_init(spec);
                spec->n_actions = 1;
                spec->actions[0] = e->action;
                char a[512];
                flow_spec_format_actions(spec, &res, a, sizeof a);
                json_object_set_new(s, "action", json_string(a));
            } else {
                json_object_set_new(s, "from_action_set", json_true());
            }
            break;
        case DP_TRACE_OUTPUT:
            s = json_pack("{s:s, s:i, s:o, s:I}", "kind", "output", "depth", e->depth, "port",
                          tr_port_json(e->arg, &res), "ofport", (json_int_t)e->arg);
            json_array_append_new(outputs, tr_port_json(e->arg, &res));
            break;
        case DP_TRACE_GROUP:
            s = json_pack("{s:s, s:i, s:I, s:s}", "kind", "group", "depth", e->depth, "group_id",
                          (json_int_t)e->arg, "type", tr_group_type(br, e->arg));
            if (e->arg2 == -2)
                json_object_set_new(s, "buckets", json_string("all"));
            else if (e->arg2 >= 0)
                json_object_set_new(s, "bucket", json_integer(e->arg2));
            if (e->note)
                json_object_set_new(s, "note", json_string(e->note));
            break;
        case DP_TRACE_METER:
            s = json_pack("{s:s, s:i, s:I, s:b}", "kind", "meter", "table", e->table, "meter_id",
                          (json_int_t)e->arg, "passed", e->arg2 != 0);
            if (e->note)
                json_object_set_new(s, "note", json_string(e->note));
            break;
        case DP_TRACE_CONTROLLER:
            n_controller++;
            s = json_pack("{s:s, s:i, s:s}", "kind", "controller", "depth", e->depth, "reason",
                          e->arg == DP_PIN_NO_MATCH ? "no_match"
                          : e->arg == DP_PIN_ACTION ? "action"
                                                    : "invalid_ttl");
            break;
        case DP_TRACE_DROP:
            s = json_pack("{s:s, s:i, s:i, s:s}", "kind", "drop", "table", e->table, "depth",
                          e->depth, "reason", e->note ? e->note : "dropped");
            break;
        case DP_TRACE_GOTO:
            s = json_pack("{s:s, s:i}", "kind", "goto", "table", e->table);
            break;
        case DP_TRACE_ACTION_SET:
            s = json_pack("{s:s, s:i, s:I}", "kind", "action_set", "table", e->table, "n_actions",
                          (json_int_t)e->arg);
            break;
        case DP_TRACE_NORMAL: {
            /* The VLAN NORMAL put the frame in: its tag, or its ingress port's (port VLANs). */
            int verdict = DP_TRACE_NORMAL_VERDICT(e->arg2);
            s = json_pack("{s:s, s:i, s:i, s:i, s:s}", "kind", "normal", "table", e->table,
                          "depth", e->depth, "vlan", (int)DP_TRACE_NORMAL_VLAN(e->arg2),
                          "decision",
                          verdict == MAC_NORMAL_FORWARD ? "forward"
                          : verdict == MAC_NORMAL_DROP  ? "drop"
                                                        : "flood");
            if (verdict == MAC_NORMAL_FORWARD || verdict == MAC_NORMAL_DROP) {
                json_object_set_new(s, "port", tr_port_json(e->arg, &res));
                json_object_set_new(s, "ofport", json_integer(e->arg));
            }
            if (e->note)
                json_object_set_new(s, "fail_open", json_true());
            break;
        }
        default:
            s = json_pack("{s:s, s:i}", "kind", "unknown", "code", e->kind);
            break;
        }
        json_array_append_new(steps, s);
    }

    char flow[2048], hex[2 * PKT_BUILD_MAX_LEN + 1], verdict[1024] = "";
    tr_key_text(&key, &res, flow, sizeof flow);
    for (size_t i = 0; i < flen; i++)
        snprintf(hex + 2 * i, 3, "%02x", frame[i]);
    size_t vlen = 0;
    size_t k;
    json_t *o;
    json_array_foreach(outputs, k, o) vlen +=
        (size_t)snprintf(verdict + vlen, vlen < sizeof verdict ? sizeof verdict - vlen : 0,
                         "%soutput %s", vlen ? ", " : "", json_string_value(o));
    if (n_controller && vlen < sizeof verdict)
        vlen += (size_t)snprintf(verdict + vlen, sizeof verdict - vlen, "%scontroller",
                                 vlen ? ", " : "");
    if (!vlen)
        snprintf(verdict, sizeof verdict, "drop");

    *result = json_pack("{s:s, s:s, s:I, s:s, s:o, s:b, s:o, s:I, s:s}", "bridge", bname, "flow",
                        flow, "packet_len", (json_int_t)flen, "packet", hex, "steps", steps,
                        "truncated", tr->truncated, "outputs", outputs, "controller",
                        (json_int_t)n_controller, "datapath_actions", verdict);
    steps = NULL;
    struct flow_key fk = tr->final_key;
    fk.flags = 0;
    struct flow_key ik = key;
    ik.flags = 0;
    if (memcmp(&fk, &ik, sizeof fk)) {
        char final[2048];
        tr_key_text(&fk, &res, final, sizeof final);
        json_object_set_new(*result, "final_flow", json_string(final));
    }
    rc = *result ? 0 : JSONRPC_FAILED;
    if (rc)
        snprintf(err, errlen, "out of memory");
out:
    json_decref(steps);
    free(spec);
    free(tr);
    return rc;
}
