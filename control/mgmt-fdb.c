/* mgmt-fdb.c — fdb-show, fdb-flush and set-bridge: see mgmt-fdb.h. */
#include "control/mgmt-fdb.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/jsonrpc.h"
#include "datapath/clock.h"
#include "datapath/dp.h"
#include "datapath/log.h"
#include "datapath/mac-learning.h"
#include "datapath/port-vlan.h"

static struct dp_bridge *fdb_bridge(json_t *params, const char *method, char *err,
                                    size_t errlen)
{
    json_t *jb = json_object_get(params, "bridge");
    if (!json_is_string(jb)) {
        snprintf(err, errlen, "%s: parameter \"bridge\" (a string) is required", method);
        return NULL;
    }
    struct dp_bridge *br = dp_bridge_find(json_string_value(jb));
    if (!br)
        snprintf(err, errlen, "bridge %s: no such bridge", json_string_value(jb));
    return br;
}

static int entry_cmp(const void *a, const void *b)
{
    const struct mac_entry *x = a, *y = b;
    if (x->ofport != y->ofport)
        return x->ofport < y->ofport ? -1 : 1;
    if (x->vlan != y->vlan)
        return x->vlan < y->vlan ? -1 : 1;
    return memcmp(x->mac, y->mac, sizeof x->mac);
}

int mgmt_fdb_show(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    struct dp_bridge *br = fdb_bridge(params, "fdb-show", err, errlen);
    if (!br)
        return JSONRPC_INVALID_PARAMS;
    struct mac_table_stats st;
    mac_table_get_stats(br->macs, &st);
    struct dp_normal_stats ns;
    dp_normal_stats_sum(br, &ns);
    struct mac_entry *e = malloc((size_t)st.capacity * sizeof *e);
    json_t *entries = json_array();
    if (!e || !entries) {
        free(e);
        json_decref(entries);
        snprintf(err, errlen, "fdb-show: out of memory");
        return JSONRPC_FAILED;
    }
    unsigned n = mac_table_dump(br->macs, dp_now_ns(), e, st.capacity);
    if (n > st.capacity)
        n = st.capacity;
    qsort(e, n, sizeof *e, entry_cmp);
    for (unsigned i = 0; i < n; i++) {
        char mac[18];
        snprintf(mac, sizeof mac, "%02x:%02x:%02x:%02x:%02x:%02x", e[i].mac[0], e[i].mac[1],
                 e[i].mac[2], e[i].mac[3], e[i].mac[4], e[i].mac[5]);
        const struct dp_port *p = dp_port_by_ofport(br, e[i].ofport);
        json_array_append_new(entries,
                              json_pack("{s:s, s:I, s:i, s:s, s:I}", "port", p ? p->name : "?",
                                        "ofport", (json_int_t)e[i].ofport, "vlan", e[i].vlan,
                                        "mac", mac, "age", (json_int_t)e[i].age_s));
    }
    free(e);
    /* The ports' VLAN configuration, which says what the VLAN column means per port. */
    json_t *vports = json_array();
    for (const struct dp_port *p = dp_port_next(br, NULL); p && vports; p = dp_port_next(br, p)) {
        if (port_vlan_is_default(p->vlan))
            continue;
        json_t *j = json_pack("{s:s, s:I}", "port", p->name, "ofport", (json_int_t)p->ofport);
        if (p->vlan->tag) {
            json_object_set_new(j, "tag", json_integer(p->vlan->tag));
        } else {
            char trunks[PORT_VLAN_TRUNKS_TEXT_MAX];
            port_vlan_format_trunks(p->vlan, trunks, sizeof trunks);
            json_object_set_new(j, "trunks", json_string(trunks));
        }
        json_array_append_new(vports, j);
    }
    if (!vports) {
        json_decref(entries);
        snprintf(err, errlen, "fdb-show: out of memory");
        return JSONRPC_FAILED;
    }
    *result = json_pack(
        "{s:s, s:I, s:I, s:I, s:b, s:{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I}, s:o, s:o}",
        "bridge",
        br->name, "capacity", (json_int_t)st.capacity, "n_entries", (json_int_t)n, "aging_s",
        (json_int_t)st.aging_s, "fail_open", dp_bridge_is_fail_open(br), "stats", "learned",
        (json_int_t)st.learned, "moved", (json_int_t)st.moved, "evicted", (json_int_t)st.evicted,
        "aged", (json_int_t)st.aged, "unicast", (json_int_t)ns.unicast, "flooded",
        (json_int_t)ns.flooded, "dropped", (json_int_t)ns.dropped, "fail_open_packets",
        (json_int_t)ns.fail_open, "vlan_dropped", (json_int_t)ns.vlan_dropped, "entries",
        entries, "vlan_ports", vports);
    if (!*result) {
        snprintf(err, errlen, "fdb-show: out of memory");
        return JSONRPC_FAILED;
    }
    return 0;
}

int mgmt_fdb_flush(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    struct dp_bridge *br = fdb_bridge(params, "fdb-flush", err, errlen);
    if (!br)
        return JSONRPC_INVALID_PARAMS;
    json_t *jp = json_object_get(params, "port");
    uint32_t ofport = 0;
    if (jp) {
        if (!json_is_string(jp)) {
            snprintf(err, errlen, "fdb-flush: parameter \"port\" must be a string (a port name)");
            return JSONRPC_INVALID_PARAMS;
        }
        const struct dp_port *p = dp_port_find(br, json_string_value(jp));
        if (!p) {
            snprintf(err, errlen, "port %s: no such port on bridge %s", json_string_value(jp),
                     br->name);
            return JSONRPC_INVALID_PARAMS;
        }
        ofport = p->ofport;
    }
    unsigned n = mac_table_flush(br->macs, ofport);
    SLOG(INFO, "bridge %s: %u MAC learning entries flushed%s%s", br->name, n,
         jp ? " on port " : "", jp ? json_string_value(jp) : "");
    *result = json_pack("{s:I}", "flushed", (json_int_t)n);
    return 0;
}

/* A decimal number in lo..hi, all of the string. */
static bool parse_seconds(const char *s, unsigned long lo, unsigned long hi, uint32_t *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(s, &end, 10);
    if (!*s || *s == '-' || *s == '+' || *end || errno || v < lo || v > hi)
        return false;
    *out = (uint32_t)v;
    return true;
}

int mgmt_set_bridge(void *aux, json_t *params, json_t **result, char *err, size_t errlen)
{
    (void)aux;
    struct dp_bridge *br = fdb_bridge(params, "set-bridge", err, errlen);
    if (!br)
        return JSONRPC_INVALID_PARAMS;
    json_t *opts = json_object_get(params, "options");
    if (!json_is_object(opts) || !json_object_size(opts)) {
        snprintf(err, errlen, "set-bridge: bridge %s: give \"options\", e.g. {\"mac-aging\": "
                              "\"300\"}", br->name);
        return JSONRPC_INVALID_PARAMS;
    }
    /* Check every option before changing anything. */
    const char *k;
    json_t *v;
    uint32_t aging = 0;
    json_object_foreach(opts, k, v)
    {
        const char *s = json_string_value(v);
        if (!strcmp(k, "mac-aging")) {
            if (!s || !parse_seconds(s, MAC_AGING_MIN_S, MAC_AGING_MAX_S, &aging)) {
                snprintf(err, errlen,
                         "bridge %s: mac-aging \"%s\": expected seconds from %d to %d",
                         br->name, s ? s : "(not a string)", MAC_AGING_MIN_S, MAC_AGING_MAX_S);
                return JSONRPC_INVALID_PARAMS;
            }
        } else {
            snprintf(err, errlen, "bridge %s: unknown option \"%s\" (known: mac-aging)",
                     br->name, k);
            return JSONRPC_INVALID_PARAMS;
        }
    }
    if (aging) {
        mac_table_set_aging(br->macs, aging);
        SLOG(INFO, "bridge %s: mac-aging %u s", br->name, aging);
    }
    *result = NULL;
    return 0;
}
