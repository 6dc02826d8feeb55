#include "control/mgmt.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <rte_ethdev.h>
#include <rte_version.h>

#include "datapath/clock.h"
#include "control/config-store.h"
#include "control/mgmt-fdb.h"
#include "control/mgmt-trace.h"
#include "control/ofconn.h"
#include "datapath/dp.h"
#include "datapath/log.h"
#include "datapath/port-vlan.h"
#include "ofproto/flow-syntax.h"
#include "ofproto/ofproto.h"
#include "vm-ports/vhost.h"

#define SLUICE_VERSION "0.1.0"

/* --- Params helpers ------------------------------------------------------------------ */

static const char *param_str(json_t *params, const char *key, bool required, int *rc, char *err,
                             size_t errlen)
{
    json_t *v = json_object_get(params, key);
    if (!v) {
        if (required && !*rc) {
            snprintf(err, errlen, "missing parameter \"%s\"", key);
            *rc = JSONRPC_INVALID_PARAMS;
        }
        return NULL;
    }
    if (!json_is_string(v)) {
        if (!*rc) {
            snprintf(err, errlen, "parameter \"%s\" must be a string", key);
            *rc = JSONRPC_INVALID_PARAMS;
        }
        return NULL;
    }
    return json_string_value(v);
}

static struct dp_bridge *param_bridge(json_t *params, int *rc, char *err, size_t errlen)
{
    const char *name = param_str(params, "bridge", true, rc, err, errlen);
    if (!name)
        return NULL;
    struct dp_bridge *br = dp_bridge_find(name);
    if (!br) {
        snprintf(err, errlen, "bridge %s: no such bridge", name);
        *rc = JSONRPC_INVALID_PARAMS;
    }
    return br;
}

/* Maps a datapath errno to a JSON-RPC code: the caller's fault or ours. */
static int dp_error(int rc)
{
    switch (-rc) {
    case EINVAL:
    case ENOENT:
    case EEXIST:
    case ENAMETOOLONG:
    case EADDRINUSE:
    case ENODEV:
        return JSONRPC_INVALID_PARAMS;
    default:
        return JSONRPC_FAILED;
    }
}

/* --- Port names for the flow syntax --------------------------------------------------- */

static int resolve_name(void *aux, const char *name, uint32_t *ofport)
{
    struct dp_port *p = dp_port_find(aux, name);
    if (!p)
        return -ENOENT;
    *ofport = p->ofport;
    return 0;
}

static const char *resolve_ofport(void *aux, uint32_t ofport)
{
    struct dp_port *p = dp_port_by_ofport(aux, ofport);
    return p ? p->name : NULL;
}

static struct port_resolver resolver_for(struct dp_bridge *br)
{
    return (struct port_resolver){resolve_name, resolve_ofport, br};
}

/* --- Methods -------------------------------------------------------------------------- */

static int m_version(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)params, (void)err, (void)errlen;
    *result = json_pack("{s:s, s:s}", "version", SLUICE_VERSION, "dpdk", rte_version());
    return 0;
}

static int m_add_br(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    const char *name = param_str(params, "bridge", true, &rc, err, errlen);
    const char *local = param_str(params, "local", false, &rc, err, errlen);
    if (rc)
        return rc;
    enum dp_local_mode mode = DP_LOCAL_TAP;
    if (local && !strcmp(local, "none")) {
        mode = DP_LOCAL_NONE;
    } else if (local && strcmp(local, "tap")) {
        snprintf(err, errlen, "bridge %s: local=%s: expected tap (the default) or none", name,
                 local);
        return JSONRPC_INVALID_PARAMS;
    }
    rc = dp_bridge_add_ex(name, mode, err, errlen);
    *result = NULL;
    if (rc)
        return dp_error(rc);
    /* The bridge works without its OpenFlow socket; ofconn retries opening it. */
    char oferr[256];
    if (ofconn_bridge_added(dp_bridge_find(name), oferr, sizeof oferr))
        SLOG(ERR, "%s", oferr);
    return 0;
}

static int m_del_br(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    const char *name = param_str(params, "bridge", true, &rc, err, errlen);
    if (rc)
        return rc;
    rc = dp_bridge_del(name, err, errlen);
    *result = NULL;
    if (rc)
        return dp_error(rc);
    ofconn_bridge_removed(name);
    return 0;
}

static const char *port_type_name(enum dp_port_type t)
{
    switch (t) {
    case DP_PORT_DPDK:
        return "dpdk";
    case DP_PORT_VHOSTUSER:
        return "vhostuser";
    case DP_PORT_VHOSTUSERCLIENT:
        return "vhostuserclient";
    }
    return "?";
}

/* Parses a decimal option value within [min, max]. */
static int option_uint(const char *port, const char *key, const char *val, unsigned long min,
                       unsigned long max, unsigned long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(val, &end, 10);
    if (errno || end == val || *end || val[0] == '-' || v < min || v > max) {
        snprintf(err, errlen, "port %s: %s=%s: expected an integer from %lu to %lu", port, key,
                 val, min, max);
        return JSONRPC_INVALID_PARAMS;
    }
    *out = v;
    return 0;
}

/* Applies a VLAN option (tag, trunks: datapath/port-vlan.h) to `pv`; returns 1 when `key`
 * is not one, 0 when applied, or a jsonrpc error with a message. */
static int option_vlan(const char *port, const char *key, const char *val, struct port_vlan *pv,
                       char *err, size_t errlen)
{
    char why[256];
    int rc;
    if (!strcmp(key, "tag"))
        rc = port_vlan_parse_tag(val, &pv->tag, why, sizeof why);
    else if (!strcmp(key, "trunks"))
        rc = port_vlan_parse_trunks(val, pv, why, sizeof why);
    else
        return 1;
    if (rc) {
        snprintf(err, errlen, "port %s: %s", port, why);
        return JSONRPC_INVALID_PARAMS;
    }
    return 0;
}

/* Refuses a VLAN configuration that is not implemented (tag with trunks). */
static int check_vlan(const char *port, const struct port_vlan *pv, char *err, size_t errlen)
{
    char why[320];
    if (port_vlan_check(pv, why, sizeof why) != 0) {
        snprintf(err, errlen, "port %s: %s", port, why);
        return JSONRPC_INVALID_PARAMS;
    }
    return 0;
}

/* The port's VLAN configuration as show and fdb-show print it: "tag" (an access port) or
 * "trunks" (a trunk with a list); nothing for the default, a trunk of every VLAN. */
static void vlan_json(json_t *j, const struct dp_port *p)
{
    const struct port_vlan *pv = p->vlan;
    if (!pv)
        return;
    if (pv->tag) {
        json_object_set_new(j, "tag", json_integer(pv->tag));
    } else if (!pv->all) {
        char trunks[PORT_VLAN_TRUNKS_TEXT_MAX];
        port_vlan_format_trunks(pv, trunks, sizeof trunks);
        json_object_set_new(j, "trunks", json_string(trunks));
    }
}

static int m_add_port(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    struct mgmt_context *ctx = aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    const char *name = param_str(params, "port", true, &rc, err, errlen);
    if (rc)
        return rc;
    json_t *opts = json_object_get(params, "options");
    if (opts && !json_is_object(opts)) {
        snprintf(err, errlen, "port %s: \"options\" must be an object", name);
        return JSONRPC_INVALID_PARAMS;
    }

    const char *type = "dpdk", *devargs = NULL, *path = NULL;
    unsigned long ofport = 0, n_rxq = 0, mtu = 0;
    struct port_vlan vlan;
    port_vlan_init(&vlan);
    const char *key;
    json_t *val;
    json_object_foreach(opts, key, val)
    {
        if (!json_is_string(val)) {
            snprintf(err, errlen, "port %s: option %s must be a string", name, key);
            return JSONRPC_INVALID_PARAMS;
        }
        const char *s = json_string_value(val);
        if ((rc = option_vlan(name, key, s, &vlan, err, errlen)) <= 0) {
            if (rc)
                return rc;
            continue;
        }
        rc = 0;
        if (!strcmp(key, "type"))
            type = s;
        else if (!strcmp(key, "devargs"))
            devargs = s;
        else if (!strcmp(key, "path"))
            path = s;
        else if (!strcmp(key, "ofport"))
            rc = option_uint(name, key, s, 1, DP_OFPORT_MAX - 1, &ofport, err, errlen);
        else if (!strcmp(key, "n_rxq"))
            rc = option_uint(name, key, s, 1, 64, &n_rxq, err, errlen);
        else if (!strcmp(key, "mtu"))
            rc = option_uint(name, key, s, 68, 9710, &mtu, err, errlen);
        else {
            snprintf(err, errlen,
                     "port %s: unknown option \"%s\" (known: type, devargs, path, ofport, n_rxq, "
                     "mtu, tag, trunks)",
                     name, key);
            return JSONRPC_INVALID_PARAMS;
        }
        if (rc)
            return rc;
    }
    if ((rc = check_vlan(name, &vlan, err, errlen)) != 0)
        return rc;

    struct dp_port_args args = {.n_rxq = (uint16_t)n_rxq, .mtu = (uint16_t)mtu, .vlan = &vlan};
    char vhost_devargs[512], default_path[256];
    if (!strcmp(type, "dpdk")) {
        args.type = DP_PORT_DPDK;
        if (path) {
            snprintf(err, errlen, "port %s: path= is for vhost-user ports, not type=dpdk", name);
            return JSONRPC_INVALID_PARAMS;
        }
        if (!devargs) {
            snprintf(err, errlen,
                     "port %s: type=dpdk needs devargs= (a PCI address or e.g. "
                     "net_af_packet0,iface=eth0)",
                     name);
            return JSONRPC_INVALID_PARAMS;
        }
        args.devargs = devargs;
    } else if (!strcmp(type, "vhostuser") || !strcmp(type, "vhostuserclient")) {
        args.type = !strcmp(type, "vhostuser") ? DP_PORT_VHOSTUSER : DP_PORT_VHOSTUSERCLIENT;
        if (devargs) {
            snprintf(err, errlen, "port %s: devargs= is for type=dpdk ports", name);
            return JSONRPC_INVALID_PARAMS;
        }
        if (!path) {
            if (args.type == DP_PORT_VHOSTUSERCLIENT) {
                snprintf(err, errlen,
                         "port %s: type=vhostuserclient needs path= (the VM's socket)", name);
                return JSONRPC_INVALID_PARAMS;
            }
            snprintf(default_path, sizeof default_path, "%s/%s.sock", ctx->run_dir, name);
            path = default_path;
        }
        if (dp_name_validate("port", name, err, errlen) != 0)
            return JSONRPC_INVALID_PARAMS;
        if (dp_port_find_any(name)) {
            snprintf(err, errlen, "port %s: already exists", name);
            return JSONRPC_INVALID_PARAMS;
        }
        rc = vhost_port_devargs(name, args.type, path, args.n_rxq, vhost_devargs,
                                sizeof vhost_devargs, err, errlen);
        if (rc)
            return dp_error(rc);
        args.devargs = vhost_devargs;
        args.path = path;
    } else {
        snprintf(err, errlen, "port %s: unknown type \"%s\" (dpdk, vhostuser, vhostuserclient)",
                 name, type);
        return JSONRPC_INVALID_PARAMS;
    }

    rc = dp_port_add(br, name, &args, (uint32_t)ofport, err, errlen);
    if (rc)
        return dp_error(rc);
    struct dp_port *p = dp_port_find(br, name);
    *result = json_pack("{s:I}", "ofport", (json_int_t)p->ofport);
    return 0;
}

static int m_del_port(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    const char *name = param_str(params, "port", true, &rc, err, errlen);
    if (rc)
        return rc;
    rc = dp_port_del(br, name, err, errlen);
    *result = NULL;
    return rc ? dp_error(rc) : 0;
}

/* set-port {"bridge", "port", "options": {"tag"?, "trunks"?}}: changes a port's VLAN
 * configuration; options not given keep their value. */
static int m_set_port(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    const char *name = param_str(params, "port", true, &rc, err, errlen);
    if (rc)
        return rc;
    struct dp_port *p = dp_port_find(br, name);
    if (!p) {
        snprintf(err, errlen, "port %s: no such port on bridge %s", name, br->name);
        return JSONRPC_INVALID_PARAMS;
    }
    json_t *opts = json_object_get(params, "options");
    if (!json_is_object(opts) || !json_object_size(opts)) {
        snprintf(err, errlen, "set-port: port %s: give \"options\", e.g. {\"tag\": \"10\"}",
                 name);
        return JSONRPC_INVALID_PARAMS;
    }
    struct port_vlan vlan;
    if (p->vlan)
        vlan = *p->vlan;
    else
        port_vlan_init(&vlan);
    const char *key;
    json_t *val;
    json_object_foreach(opts, key, val)
    {
        if (!json_is_string(val)) {
            snprintf(err, errlen, "port %s: option %s must be a string", name, key);
            return JSONRPC_INVALID_PARAMS;
        }
        rc = option_vlan(name, key, json_string_value(val), &vlan, err, errlen);
        if (rc > 0) {
            snprintf(err, errlen,
                     "port %s: set-port: unknown option \"%s\" (known: tag, trunks; the others "
                     "are fixed by add-port)",
                     name, key);
            return JSONRPC_INVALID_PARAMS;
        }
        if (rc)
            return rc;
    }
    if ((rc = check_vlan(name, &vlan, err, errlen)) != 0)
        return rc;
    rc = dp_port_set_vlan(br, p, &vlan, err, errlen);
    *result = NULL;
    return rc ? dp_error(rc) : 0;
}

static void add_feature_name(void *aux, const char *name)
{
    json_array_append_new(aux, json_string(name));
}

static json_t *port_json(const struct dp_port *p)
{
    char mac[RTE_ETHER_ADDR_FMT_SIZE];
    rte_ether_format_addr(mac, sizeof mac, &p->mac);
    json_t *j = json_pack("{s:s, s:I, s:s, s:s, s:I, s:s, s:I, s:I, s:I}", "name", p->name,
                          "ofport", (json_int_t)p->ofport, "type",
                          p->internal ? "internal" : port_type_name(p->type),
                          "link", __atomic_load_n(&p->link_up, __ATOMIC_RELAXED) ? "up" : "down",
                          "mtu", (json_int_t)p->mtu, "mac", mac, "n_rxq", (json_int_t)p->n_rxq,
                          "n_txq", (json_int_t)p->n_txq, "link_changes",
                          (json_int_t)__atomic_load_n(&p->link_changes, __ATOMIC_RELAXED));
    if (p->type == DP_PORT_DPDK) {
        json_object_set_new(j, "devargs", json_string(p->devargs));
    } else {
        json_object_set_new(j, "path", json_string(p->path));
        uint64_t features;
        if (vhost_port_features(p->eth_port, &features) == 0) {
            json_t *names = json_array();
            vhost_features_foreach(features, add_feature_name, names);
            json_object_set_new(j, "virtio_features", names);
        }
    }
    json_t *pmds = json_array();
    for (unsigned i = 0; i < dp_n_pmds(); i++) {
        const struct dp_port *ports[256];
        uint16_t queues[256];
        unsigned n = dp_pmd_rxqs(i, ports, queues, 256);
        for (unsigned k = 0; k < n && k < 256; k++)
            if (ports[k] == p) {
                json_array_append_new(pmds, json_integer(i));
                break;
            }
    }
    json_object_set_new(j, "pmd", pmds);
    vlan_json(j, p);
    if (p->internal)
        json_object_set_new(j, "polled_by", json_string("control thread"));
    return j;
}

static size_t bridge_flow_count(const struct dp_bridge *br)
{
    size_t n = 0;
    for (unsigned t = 0; t < DP_N_TABLES; t++)
        n += flow_table_count(br->tables[t]);
    return n;
}

static int m_show(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)params, (void)err, (void)errlen;
    json_t *bridges = json_array();
    for (struct dp_bridge *br = dp_bridge_next(NULL); br; br = dp_bridge_next(br)) {
        json_t *ports = json_array();
        for (struct dp_port *p = dp_port_next(br, NULL); p; p = dp_port_next(br, p))
            json_array_append_new(ports, port_json(p));
        json_array_append_new(bridges, json_pack("{s:s, s:o, s:I}", "name", br->name, "ports",
                                                 ports, "n_flows",
                                                 (json_int_t)bridge_flow_count(br)));
    }
    json_t *pmds = json_array();
    for (unsigned i = 0; i < dp_n_pmds(); i++) {
        struct dp_pmd_stats st;
        dp_pmd_stats(i, &st);
        const struct dp_port *ports[256];
        uint16_t queues[256];
        unsigned n = dp_pmd_rxqs(i, ports, queues, 256);
        json_t *rxqs = json_array();
        for (unsigned k = 0; k < n && k < 256; k++)
            json_array_append_new(rxqs, json_pack("{s:s, s:I}", "port", ports[k]->name, "queue",
                                                  (json_int_t)queues[k]));
        json_array_append_new(pmds,
                              json_pack("{s:I, s:I, s:I, s:o}", "id", (json_int_t)i, "lcore",
                                        (json_int_t)st.lcore, "cpu",
                                        (json_int_t)rte_lcore_to_cpu_id((int)st.lcore), "rxqs",
                                        rxqs));
    }
    *result = json_pack("{s:o, s:o}", "bridges", bridges, "pmds", pmds);
    return 0;
}

static int m_pmd_stats(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux, (void)params, (void)err, (void)errlen;
    json_t *pmds = json_array();
    for (unsigned i = 0; i < dp_n_pmds(); i++) {
        struct dp_pmd_stats st;
        dp_pmd_stats(i, &st);
        double cpp = st.packets ? (double)st.busy_cycles / (double)st.packets : 0.0;
        json_array_append_new(
            pmds, json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:I}", "id",
                            (json_int_t)i, "lcore", (json_int_t)st.lcore, "iterations",
                            (json_int_t)st.iterations, "packets", (json_int_t)st.packets,
                            "busy_cycles", (json_int_t)st.busy_cycles, "idle_cycles",
                            (json_int_t)st.idle_cycles, "sleeps", (json_int_t)st.sleeps,
                            "busy_cycles_per_packet", cpp, "n_rxqs", (json_int_t)st.n_rxqs));
        json_t *pj = json_array_get(pmds, json_array_size(pmds) - 1);
        json_object_set_new(pj, "emc_hits", json_integer((json_int_t)st.emc_hits));
        json_object_set_new(pj, "emc_misses", json_integer((json_int_t)st.emc_misses));
        json_object_set_new(pj, "replayed", json_integer((json_int_t)st.replayed));
    }
    *result = json_pack("{s:o, s:I}", "pmds", pmds, "tsc_hz", (json_int_t)rte_get_tsc_hz());
    return 0;
}

/* --- Flows ---------------------------------------------------------------------------- */

static int parse_flow(struct dp_bridge *br, const char *text, enum flow_parse_mode mode,
                      struct flow_spec *spec, char *err, size_t errlen)
{
    struct port_resolver res = resolver_for(br);
    char perr[256];
    if (flow_spec_parse(text, mode, &res, spec, perr, sizeof perr) != 0) {
        snprintf(err, errlen, "%s", perr);
        return JSONRPC_INVALID_PARAMS;
    }
    struct ofp_err oe;
    if (mode != FLOW_PARSE_FILTER && ofproto_validate(br, spec, &oe) != 0) {
        snprintf(err, errlen, "%s", oe.msg);
        return JSONRPC_INVALID_PARAMS;
    }
    return 0;
}

static int m_add_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    if (rc)
        return rc;
    json_t *flows = json_object_get(params, "flows");
    if (!json_is_array(flows)) {
        snprintf(err, errlen, "missing parameter \"flows\" (an array of flow strings)");
        return JSONRPC_INVALID_PARAMS;
    }
    size_t n = json_array_size(flows);
    /* One scratch spec (a few KiB), not one per flow: 100k flows would need hundreds of MiB.
     * All or nothing: a first pass parses and validates every flow; only then does a second
     * pass (parsing again, which is cheap) touch the tables. */
    struct flow_spec *spec = malloc(sizeof *spec);
    if (!spec) {
        snprintf(err, errlen, "out of memory");
        return JSONRPC_FAILED;
    }
    for (int pass = 0; pass < 2 && !rc; pass++)
        for (size_t i = 0; i < n && !rc; i++) {
            json_t *f = json_array_get(flows, i);
            char ferr[300];
            struct ofp_err oe;
            if (!json_is_string(f)) {
                snprintf(err, errlen, "flow %zu: must be a string", i + 1);
                rc = JSONRPC_INVALID_PARAMS;
            } else if ((rc = parse_flow(br, json_string_value(f), FLOW_PARSE_ADD, spec, ferr,
                                        sizeof ferr)) != 0) {
                snprintf(err, errlen, "flow %zu: %s", i + 1, ferr);
            } else if (pass == 1 &&
                       ofproto_flow_mod(br, OFPROTO_ADD, spec, NULL, NULL, NULL, &oe) != 0) {
                snprintf(err, errlen, "flow %zu: %s", i + 1, oe.msg);
                rc = JSONRPC_INVALID_PARAMS;
            }
        }
    free(spec);
    /* Publish what was applied even on a late failure, so the view matches the tables. */
    if (ofproto_commit(br) != 0 && !rc) {
        snprintf(err, errlen, "bridge %s: out of memory publishing flows", br->name);
        rc = JSONRPC_FAILED;
    }
    if (!rc)
        *result = json_pack("{s:I}", "added", (json_int_t)n);
    return rc;
}

static int m_add_flow(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    int rc = 0;
    const char *flow = param_str(params, "flow", true, &rc, err, errlen);
    if (rc)
        return rc;
    json_t *p = json_pack("{s:O, s:[s]}", "bridge", json_object_get(params, "bridge"), "flows",
                          flow);
    if (!p) {
        snprintf(err, errlen, "missing parameter \"bridge\"");
        return JSONRPC_INVALID_PARAMS;
    }
    char ferr[512];
    rc = m_add_flows(aux, p, result, ferr, sizeof ferr);
    json_decref(p);
    if (rc) {
        /* Drop the "flow 1: " prefix: there is only one. */
        const char *m = !strncmp(ferr, "flow 1: ", 8) ? ferr + 8 : ferr;
        snprintf(err, errlen, "%s", m);
        return rc;
    }
    json_decref(*result);
    *result = NULL;
    return 0;
}

/* Parses the optional filter of del-flows/dump-flows ("" or absent: every flow). */
static int filter_from_params(struct dp_bridge *br, json_t *params, struct flow_spec *f,
                              char *err, size_t errlen)
{
    int rc = 0;
    const char *text = param_str(params, "flow", false, &rc, err, errlen);
    if (rc)
        return rc;
    flow_spec_init(f);
    if (!text || !text[0])
        return 0;
    return parse_flow(br, text, FLOW_PARSE_FILTER, f, err, errlen);
}

static int m_del_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    if (rc)
        return rc;
    json_t *js = json_object_get(params, "strict");
    if (js && !json_is_boolean(js)) {
        snprintf(err, errlen, "parameter \"strict\" must be true or false");
        return JSONRPC_INVALID_PARAMS;
    }
    struct flow_spec *f = malloc(sizeof *f);
    if (!f) {
        snprintf(err, errlen, "out of memory");
        return JSONRPC_FAILED;
    }
    rc = filter_from_params(br, params, f, err, errlen);
    size_t n = 0;
    struct ofp_err oe;
    if (!rc && ofproto_flow_mod(br, json_is_true(js) ? OFPROTO_DELETE_STRICT : OFPROTO_DELETE, f,
                                ofconn_flow_removed, NULL, &n, &oe) != 0) {
        snprintf(err, errlen, "%s", oe.msg);
        rc = JSONRPC_INVALID_PARAMS;
    }
    free(f);
    if (rc)
        return rc;
    if (ofproto_commit(br) != 0) {
        snprintf(err, errlen, "bridge %s: out of memory publishing flows", br->name);
        return JSONRPC_FAILED;
    }
    *result = json_pack("{s:I}", "deleted", (json_int_t)n);
    return 0;
}

struct dump_ctx {
    struct dp_bridge *br;
    json_t *flows;
    uint64_t now;
    struct flow_spec spec; /* scratch */
};

static void dump_one(void *aux, unsigned table, const struct rule *r)
{
    struct dump_ctx *d = aux;
    struct port_resolver res = resolver_for(d->br);
    char match[1024], actions[2048], cookie[32];
    flow_spec_format_match(&r->match, 32768, &res, match, sizeof match);
    ofproto_rule_to_spec(r, &d->spec);
    flow_spec_format_actions(&d->spec, &res, actions, sizeof actions);
    snprintf(cookie, sizeof cookie, "0x%" PRIx64, r->cookie);
    double duration = (double)(d->now - r->created_ns) / 1e9;
    json_array_append_new(
        d->flows,
        json_pack("{s:i, s:i, s:s, s:f, s:I, s:I, s:i, s:i, s:s, s:s}", "table", (int)table,
                  "priority", (int)r->priority, "cookie", cookie, "duration", duration,
                  "n_packets", (json_int_t)__atomic_load_n(&r->n_packets, __ATOMIC_RELAXED),
                  "n_bytes", (json_int_t)__atomic_load_n(&r->n_bytes, __ATOMIC_RELAXED),
                  "idle_timeout", (int)r->idle_timeout, "hard_timeout", (int)r->hard_timeout,
                  "match", match, "actions", actions));
}

static int m_dump_flows(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    if (rc)
        return rc;
    struct dump_ctx *d = malloc(sizeof *d);
    struct flow_spec *f = malloc(sizeof *f);
    if (!d || !f) {
        free(d);
        free(f);
        snprintf(err, errlen, "out of memory");
        return JSONRPC_FAILED;
    }
    rc = filter_from_params(br, params, f, err, errlen);
    if (!rc) {
        d->br = br;
        d->flows = json_array();
        d->now = dp_now_ns();
        ofproto_for_each_rule(br, f, false, dump_one, d);
        *result = json_pack("{s:o}", "flows", d->flows);
    }
    free(d);
    free(f);
    return rc;
}

static int m_dump_ports(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    const char *only = param_str(params, "port", false, &rc, err, errlen);
    if (rc)
        return rc;
    if (only && !dp_port_find(br, only)) {
        snprintf(err, errlen, "port %s: no such port on bridge %s", only, br->name);
        return JSONRPC_INVALID_PARAMS;
    }
    json_t *ports = json_array();
    for (struct dp_port *p = dp_port_next(br, NULL); p; p = dp_port_next(br, p)) {
        if (only && strcmp(only, p->name))
            continue;
        struct dp_port_stats s;
        dp_port_stats_sum(p, &s);
        struct rte_eth_stats es;
        memset(&es, 0, sizeof es);
        rte_eth_stats_get(p->eth_port, &es);
        json_t *drops = json_object();
#define DROP(name) json_object_set_new(drops, #name, json_integer((json_int_t)s.drop_##name));
        DP_PORT_DROP_REASONS(DROP)
#undef DROP
        json_object_set_new(drops, "rx_missed", json_integer((json_int_t)es.imissed));
        json_object_set_new(drops, "rx_nombuf", json_integer((json_int_t)es.rx_nombuf));
        json_t *j = json_pack(
            "{s:s, s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "name", p->name, "ofport",
            (json_int_t)p->ofport, "link",
            __atomic_load_n(&p->link_up, __ATOMIC_RELAXED) ? "up" : "down", "rx_packets",
            (json_int_t)s.rx_packets, "rx_bytes", (json_int_t)s.rx_bytes, "tx_packets",
            (json_int_t)s.tx_packets, "tx_bytes", (json_int_t)s.tx_bytes, "rx_errors",
            (json_int_t)es.ierrors, "tx_errors", (json_int_t)es.oerrors, "drops", drops);

        /* The driver's extended statistics (vhost: per-queue sizes, errors...). */
        int nx = rte_eth_xstats_get(p->eth_port, NULL, 0);
        if (nx > 0) {
            struct rte_eth_xstat *xs = calloc((size_t)nx, sizeof *xs);
            struct rte_eth_xstat_name *xn = calloc((size_t)nx, sizeof *xn);
            if (xs && xn && rte_eth_xstats_get(p->eth_port, xs, (unsigned)nx) == nx &&
                rte_eth_xstats_get_names(p->eth_port, xn, (unsigned)nx) == nx) {
                json_t *xj = json_object();
                for (int i = 0; i < nx; i++)
                    if (xs[i].id < (uint64_t)nx)
                        json_object_set_new(xj, xn[xs[i].id].name,
                                            json_integer((json_int_t)xs[i].value));
                json_object_set_new(j, "xstats", xj);
            }
            free(xs);
            free(xn);
        }
        json_array_append_new(ports, j);
    }
    *result = json_pack("{s:o}", "ports", ports);
    return 0;
}

/* --- OpenFlow controllers (control/ofconn.h) ------------------------------------------- */

static int m_set_controller(void *aux, json_t *params, json_t **result, char *err,
                            size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    const char *target = param_str(params, "target", false, &rc, err, errlen);
    const char *fail_mode = param_str(params, "fail_mode", false, &rc, err, errlen);
    const char *dpid = param_str(params, "datapath_id", false, &rc, err, errlen);
    if (rc)
        return rc;
    if (!target && !fail_mode && !dpid) {
        snprintf(err, errlen, "set-controller: give \"target\", \"fail_mode\" or \"datapath_id\"");
        return JSONRPC_INVALID_PARAMS;
    }
    uint64_t id = 0;
    if (dpid) {
        char *end;
        errno = 0;
        id = strtoull(dpid, &end, 16);
        if (errno || end == dpid || *end || dpid[0] == '-') {
            snprintf(err, errlen, "bridge %s: datapath_id \"%s\": expected up to 16 hex digits",
                     br->name, dpid);
            return JSONRPC_INVALID_PARAMS;
        }
    }
    /* Without "target" the targets stay as they are. */
    if ((target || fail_mode) &&
        ofconn_set_controller(br->name, target, fail_mode, err, errlen) != 0)
        return JSONRPC_INVALID_PARAMS;
    if (dpid && ofconn_set_datapath_id(br->name, id, err, errlen) != 0)
        return JSONRPC_INVALID_PARAMS;
    *result = NULL;
    return 0;
}

static int m_get_controller(void *aux, json_t *params, json_t **result, char *err,
                            size_t errlen)
{
    (void)aux;
    int rc = 0;
    struct dp_bridge *br = param_bridge(params, &rc, err, errlen);
    if (rc)
        return rc;
    *result = ofconn_get_controller(br->name, err, errlen);
    return *result ? 0 : JSONRPC_INVALID_PARAMS;
}

/* --- Durable configuration (sluiced --db, control/config-store.h) ----------------------- */

/* Every method that changes what the db records runs through here, so the rule is in one
 * place: the change, then its commit to the file, then the reply. A commit that fails does
 * not undo the change (the switch is already running it); the reply says exactly that. */
static int recorded(struct mgmt_context *ctx, const char *method, jsonrpc_handler *handler,
                    json_t *params, json_t **result, char *err, size_t errlen)
{
    int rc = handler(ctx, params, result, err, errlen);
    if (rc || !ctx->db)
        return rc;
    char why[768];
    rc = config_store_record(ctx->db, method, params, *result, why, sizeof why);
    if (!rc && !ctx->restoring)
        rc = config_store_save(ctx->db, why, sizeof why);
    if (!rc)
        return 0;
    const char *br = json_string_value(json_object_get(params, "bridge"));
    const char *port = json_string_value(json_object_get(params, "port"));
    snprintf(err, errlen, "%s%s%s%s%s: the change was applied but not saved: %s", method,
             br ? " " : "", br ? br : "", port ? " " : "", port ? port : "", why);
    SLOG(ERR, "%s", err);
    json_decref(*result);
    *result = NULL;
    return JSONRPC_FAILED;
}

/* A handler `fn` whose successful calls are recorded as `method`. */
#define RECORDED(fn, method)                                                                       \
    static int fn##_recorded(void *aux, json_t *params, json_t **result, char *err, size_t errlen) \
    {                                                                                              \
        return recorded(aux, method, fn, params, result, err, errlen);                             \
    }
RECORDED(m_add_br, "add-br")
RECORDED(m_del_br, "del-br")
RECORDED(m_add_port, "add-port")
RECORDED(m_del_port, "del-port")
RECORDED(m_set_port, "set-port")
RECORDED(m_set_controller, "set-controller")
RECORDED(mgmt_set_bridge, "set-bridge")
#undef RECORDED

static int m_show_config(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    struct mgmt_context *ctx = aux;
    (void)params;
    if (!ctx->db) {
        snprintf(err, errlen,
                 "show-config: sluiced runs without --db: the configuration is not "
                 "saved anywhere");
        return JSONRPC_FAILED;
    }
    *result = config_store_status(ctx->db);
    if (!*result) {
        snprintf(err, errlen, "show-config: out of memory");
        return JSONRPC_FAILED;
    }
    return 0;
}

/* Every method config_store_records() names must be its _recorded version here. */
const struct jsonrpc_method mgmt_methods[] = {
    {"set-controller", m_set_controller_recorded}, {"get-controller", m_get_controller},
    {"version", m_version},       {"add-br", m_add_br_recorded}, {"del-br", m_del_br_recorded},
    {"add-port", m_add_port_recorded}, {"del-port", m_del_port_recorded}, {"show", m_show},
    {"set-port", m_set_port_recorded},
    {"add-flow", m_add_flow},     {"add-flows", m_add_flows},   {"del-flows", m_del_flows},
    {"dump-flows", m_dump_flows}, {"dump-ports", m_dump_ports}, {"pmd-stats", m_pmd_stats},
    {"trace", mgmt_trace},
    {"fdb-show", mgmt_fdb_show},   {"fdb-flush", mgmt_fdb_flush},
    {"set-bridge", mgmt_set_bridge_recorded}, {"show-config", m_show_config},
    {NULL, NULL},
};

int mgmt_call(struct mgmt_context *ctx, const char *method, json_t *params, json_t **result,
              char *err, size_t errlen)
{
    for (const struct jsonrpc_method *m = mgmt_methods; m->name; m++)
        if (!strcmp(m->name, method)) {
            *result = NULL;
            return m->handler(ctx, params, result, err, errlen);
        }
    snprintf(err, errlen, "unknown method \"%s\"", method);
    return JSONRPC_METHOD_NOT_FOUND;
}

/* --- Config file ---------------------------------------------------------------------- */

/* Splits off the next whitespace-separated word of *s. */
static char *next_word(char **s)
{
    char *p = *s + strspn(*s, " \t");
    if (!*p)
        return NULL;
    char *end = p + strcspn(p, " \t");
    if (*end)
        *end++ = '\0';
    *s = end;
    return p;
}

/* config_line()'s result for a line the db made redundant (not an error). */
enum { CONFIG_LINE_SKIPPED = 1 };

static int config_line(struct mgmt_context *ctx, char *line, char *err, size_t errlen)
{
    char *rest = line;
    char *cmd = next_word(&rest);
    if (!cmd)
        return 0;
    json_t *params = json_object();
    int rc = 0;
    if (!strcmp(cmd, "add-br") || !strcmp(cmd, "del-br")) {
        char *br = next_word(&rest), *opt = next_word(&rest);
        bool is_add = !strcmp(cmd, "add-br");
        if (!br || next_word(&rest) || (opt && (!is_add || strncmp(opt, "local=", 6)))) {
            snprintf(err, errlen, "usage: %s BRIDGE%s", cmd, is_add ? " [local=tap|none]" : "");
            rc = JSONRPC_INVALID_PARAMS;
        } else {
            json_object_set_new(params, "bridge", json_string(br));
            if (opt)
                json_object_set_new(params, "local", json_string(opt + 6));
        }
    } else if (!strcmp(cmd, "add-port")) {
        char *br = next_word(&rest), *port = next_word(&rest);
        if (!br || !port) {
            snprintf(err, errlen, "usage: add-port BRIDGE PORT [key=value...]");
            rc = JSONRPC_INVALID_PARAMS;
        } else {
            json_t *opts = json_object();
            json_object_set_new(params, "bridge", json_string(br));
            json_object_set_new(params, "port", json_string(port));
            json_object_set_new(params, "options", opts);
            for (char *kv; !rc && (kv = next_word(&rest));) {
                char *eq = strchr(kv, '=');
                if (!eq || eq == kv) {
                    snprintf(err, errlen, "add-port: \"%s\" is not key=value", kv);
                    rc = JSONRPC_INVALID_PARAMS;
                } else {
                    *eq = '\0';
                    json_object_set_new(opts, kv, json_string(eq + 1));
                }
            }
        }
    } else if (!strcmp(cmd, "add-flow")) {
        char *br = next_word(&rest);
        rest += strspn(rest, " \t");
        if (!br || !*rest) {
            snprintf(err, errlen, "usage: add-flow BRIDGE FLOW");
            rc = JSONRPC_INVALID_PARAMS;
        } else {
            json_object_set_new(params, "bridge", json_string(br));
            json_object_set_new(params, "flow", json_string(rest));
        }
    } else {
        snprintf(err, errlen, "unknown command \"%s\" (add-br, del-br, add-port, add-flow)", cmd);
        rc = JSONRPC_INVALID_PARAMS;
    }
    const char *br = json_string_value(json_object_get(params, "bridge"));
    const char *port = json_string_value(json_object_get(params, "port"));
    if (!rc && ctx->db &&
        ((!strcmp(cmd, "add-br") && config_store_has_bridge(ctx->db, br)) ||
         (!strcmp(cmd, "add-port") && config_store_has_port(ctx->db, br, port)))) {
        snprintf(err, errlen, "%s %s%s%s: in the db %s already; line skipped", cmd, br,
                 port ? " " : "", port ? port : "", config_store_path(ctx->db));
        rc = CONFIG_LINE_SKIPPED;
    } else if (!rc) {
        json_t *result = NULL;
        rc = mgmt_call(ctx, cmd, params, &result, err, errlen);
        json_decref(result);
    }
    json_decref(params);
    return rc;
}

int mgmt_apply_config(struct mgmt_context *ctx, const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "config %s: %s", path, strerror(errno));
        return -errno;
    }
    char line[8192];
    unsigned lineno = 0;
    int rc = 0;
    while (!rc && fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] != '\n' && !feof(f)) {
            snprintf(err, errlen, "%s:%u: line longer than %zu characters", path, lineno,
                     sizeof line - 1);
            rc = JSONRPC_INVALID_PARAMS;
            break;
        }
        line[strcspn(line, "\r\n")] = '\0';
        char *p = line + strspn(line, " \t");
        if (!*p || *p == '#')
            continue;
        char lerr[512];
        rc = config_line(ctx, p, lerr, sizeof lerr);
        if (rc == CONFIG_LINE_SKIPPED) {
            SLOG(INFO, "%s:%u: %s", path, lineno, lerr);
            rc = 0;
        } else if (rc) {
            snprintf(err, errlen, "%s:%u: %s", path, lineno, lerr);
        }
    }
    fclose(f);
    return rc;
}

/* --- Restoring the db at start ---------------------------------------------------------- */

struct restore {
    struct mgmt_context *ctx;
    unsigned problems;
    unsigned bridges, ports;
};

static void restore_problem(void *aux, const char *msg)
{
    struct restore *r = aux;
    SLOG(ERR, "%s", msg);
    config_store_note_problem(r->ctx->db, msg);
    r->problems++;
}

static void restore_problemf(struct restore *r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void restore_problemf(struct restore *r, const char *fmt, ...)
{
    char msg[1536];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    restore_problem(r, msg);
}

/* Runs one method of the replay; its result is not needed (add-port asked for its ofport). */
static int replay(struct restore *r, const char *method, json_t *params, char *err, size_t errlen)
{
    json_t *result = NULL;
    int rc = params ? mgmt_call(r->ctx, method, params, &result, err, errlen) : JSONRPC_FAILED;
    if (!params)
        snprintf(err, errlen, "out of memory");
    json_decref(result);
    json_decref(params);
    return rc;
}

static void restore_ports(struct restore *r, const char *path, const char *bname,
                          const json_t *ports, const char *bridge_failed)
{
    size_t i;
    json_t *port;
    json_array_foreach(ports, i, port)
    {
        const char *name = json_string_value(json_object_get(port, "name"));
        if (bridge_failed) {
            restore_problemf(r, "db %s: bridge %s: port %s: not restored: its bridge was not", path,
                             bname, name);
            continue;
        }
        json_t *opts = json_deep_copy(json_object_get(port, "options"));
        char ofport[16], err[1024];
        snprintf(ofport, sizeof ofport, "%" JSON_INTEGER_FORMAT,
                 json_integer_value(json_object_get(port, "ofport")));
        if (opts)
            json_object_set_new(opts, "ofport", json_string(ofport));
        json_t *params =
            opts ? json_pack("{s:s, s:s, s:o}", "bridge", bname, "port", name, "options", opts)
                 : NULL;
        if (replay(r, "add-port", params, err, sizeof err))
            restore_problemf(r, "db %s: bridge %s: port %s: not restored: %s", path, bname, name,
                             err);
        else
            r->ports++;
    }
}

static void restore_doc(struct restore *r, const char *path, const json_t *doc)
{
    size_t i;
    json_t *br;
    json_array_foreach(json_object_get(doc, "bridges"), i, br)
    {
        const char *name = json_string_value(json_object_get(br, "name"));
        json_t *ports = json_object_get(br, "ports");
        json_t *opts = json_object_get(br, "options");
        json_t *ctl = json_object_get(br, "controller");
        char err[1024];
        int rc =
            replay(r, "add-br",
                   json_pack("{s:s, s:O}", "bridge", name, "local", json_object_get(br, "local")),
                   err, sizeof err);
        if (rc) {
            restore_problemf(r, "db %s: bridge %s: not restored: %s", path, name, err);
            restore_ports(r, path, name, ports, err);
            continue;
        }
        r->bridges++;
        if (opts &&
            replay(r, "set-bridge", json_pack("{s:s, s:O}", "bridge", name, "options", opts), err,
                   sizeof err))
            restore_problemf(r, "db %s: bridge %s: options not restored: %s", path, name, err);
        json_t *cparams = ctl ? json_deep_copy(ctl) : NULL;
        if (cparams)
            json_object_set_new(cparams, "bridge", json_string(name));
        if (ctl && replay(r, "set-controller", cparams, err, sizeof err))
            restore_problemf(r, "db %s: bridge %s: controller not restored: %s", path, name, err);
        restore_ports(r, path, name, ports, NULL);
    }
}

unsigned mgmt_restore_db(struct mgmt_context *ctx)
{
    struct restore r = {.ctx = ctx};
    const char *path = config_store_path(ctx->db);
    char *text = NULL, err[1024];
    size_t len = 0;
    int rc = config_store_read_file(path, &text, &len, err, sizeof err);
    if (rc == -ENOENT) {
        SLOG(INFO, "db %s: no such file yet: starting empty; it is written at the first change",
             path);
        return 0;
    }
    if (rc) {
        restore_problemf(&r, "%s: nothing restored", err);
        char why[1200];
        snprintf(why, sizeof why,
                 "the file could not be read at start (%s); changes are not saved until it is "
                 "fixed or moved away and sluiced restarted",
                 err);
        config_store_block_saves(ctx->db, why);
        return r.problems;
    }
    unsigned skipped;
    json_t *doc =
        config_store_parse(text, len, path, restore_problem, &r, &skipped, err, sizeof err);
    if (!doc) {
        restore_problemf(&r, "%s: nothing restored", err);
    } else {
        ctx->restoring = true;
        restore_doc(&r, path, doc);
        ctx->restoring = false;
        json_decref(doc);
    }
    if (r.problems) {
        char saved[4200];
        if (config_store_set_aside(path, text, len, saved, sizeof saved, err, sizeof err) == 0) {
            SLOG(WARNING,
                 "db %s: not restored in full (%u problem(s) above); its contents as they were "
                 "are kept in %s; %s itself is rewritten at the next change",
                 path, r.problems, saved, path);
            config_store_note_set_aside(ctx->db, saved);
        } else {
            char why[1200];
            snprintf(why, sizeof why,
                     "it was not restored in full and no copy of it could be kept (%s); changes "
                     "are not saved until it is fixed or moved away and sluiced restarted",
                     err);
            SLOG(ERR, "db %s: %s", path, why);
            config_store_block_saves(ctx->db, why);
        }
    }
    free(text);
    SLOG(INFO, "db %s: restored %u bridge(s) and %u port(s), %u problem(s)", path, r.bridges,
         r.ports, r.problems);
    return r.problems;
}
