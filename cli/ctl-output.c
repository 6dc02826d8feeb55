#define _GNU_SOURCE /* open_memstream */
#include "cli/ctl-output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl.h"
#include "cli/table.h"

#define OFP_DEFAULT_PRIORITY 32768

static int out_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int out_fail(char *err, size_t errlen, int rc, const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

/* ---------------------------------------------------------------------------------------- */
/* Values                                                                                    */

static bool needs_quotes(const char *s)
{
    if (!*s)
        return true;
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || strchr(" ,=\"{}[]", *s))
            return true;
    return false;
}

static void put_value(FILE *f, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_STRING:
        if (needs_quotes(json_string_value(v)))
            json_dumpf(v, f, JSON_ENCODE_ANY);
        else
            fputs(json_string_value(v), f);
        break;
    case JSON_INTEGER:
        fprintf(f, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL:
        fprintf(f, "%.15g", json_real_value(v));
        break;
    case JSON_TRUE:
        fputs("true", f);
        break;
    case JSON_FALSE:
        fputs("false", f);
        break;
    case JSON_NULL:
        fputs("null", f);
        break;
    case JSON_ARRAY: {
        size_t i;
        const json_t *e;
        fputc('[', f);
        json_array_foreach(v, i, e) {
            if (i)
                fputs(", ", f);
            put_value(f, e);
        }
        fputc(']', f);
        break;
    }
    case JSON_OBJECT: {
        const char *k;
        const json_t *e;
        bool first = true;
        fputc('{', f);
        json_object_foreach((json_t *)v, k, e) {
            fprintf(f, "%s%s=", first ? "" : ", ", k);
            put_value(f, e);
            first = false;
        }
        fputc('}', f);
        break;
    }
    }
}

char *ctl_out_value(const json_t *v)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    if (v)
        put_value(f, v);
    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

/* A counter or number member: integers exact; reals truncated; anything else `dflt`. */
static long long num_member(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v) && isfinite(json_real_value(v)))
        return (long long)json_real_value(v);
    return dflt;
}

static const char *str_member(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

static bool in_list(const char *key, const char *const *list)
{
    for (; *list; list++)
        if (!strcmp(key, *list))
            return true;
    return false;
}

/* Prints "<indent>key: value" for every member of obj not in `skip`. */
static void put_other_members(FILE *out, const json_t *obj, const char *const *skip,
                              const char *indent)
{
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)obj, k, v) {
        if (in_list(k, skip))
            continue;
        fprintf(out, "%s%s: ", indent, k);
        put_value(out, v);
        fputc('\n', out);
    }
}

/* Prints "<indent>key: value" for the members named in `keys` that obj has, in that order. */
static void put_members(FILE *out, const json_t *obj, const char *const *keys, const char *indent)
{
    for (; *keys; keys++) {
        const json_t *v = json_object_get(obj, *keys);
        if (!v)
            continue;
        fprintf(out, "%s%s: ", indent, *keys);
        put_value(out, v);
        fputc('\n', out);
    }
}

int ctl_out_json(FILE *out, const json_t *result)
{
    /* 15 significant digits: the shortest form of the doubles the daemon sends (durations
     * in ms) without the 17-digit noise of exact round-tripping (0.1 → 0.10000000000000001). */
    if (json_dumpf(result, out, JSON_INDENT(2) | JSON_ENCODE_ANY | JSON_REAL_PRECISION(15)))
        return -EIO;
    fputc('\n', out);
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* version                                                                                   */

int ctl_out_version(FILE *out, const json_t *result, char *err, size_t errlen)
{
    if (!json_is_object(result))
        return out_fail(err, errlen, -EPROTO, "version: result is not an object");
    fprintf(out, "sluicectl %s\n", SLUICECTL_VERSION);
    fprintf(out, "sluiced %s", str_member(result, "version", "(unknown)"));
    const char *dpdk = str_member(result, "dpdk", NULL);
    if (dpdk)
        fprintf(out, " (%s)", dpdk);
    fputc('\n', out);
    static const char *const skip[] = {"version", "dpdk", NULL};
    put_other_members(out, result, skip, "");
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* show                                                                                      */

static const char *const show_port_keys[] = {
    "type", "devargs", "path", "link", "mtu", "mac", "n_rxq", "n_txq", "pmd", NULL,
};

/* An OpenFlow port number as ovs-ofctl prints it: the bridge's LOCAL port by name. */
static char *ofport_text(const json_t *ofport)
{
    if (json_is_integer(ofport) && json_integer_value(ofport) == 0xfffffffeLL)
        return strdup("LOCAL");
    return ofport ? ctl_out_value(ofport) : NULL;
}

static void show_port(FILE *out, const json_t *port)
{
    fprintf(out, "    Port %s\n", str_member(port, "name", "(unnamed)"));
    if (!json_is_object(port))
        return;
    char *ofport = ofport_text(json_object_get(port, "ofport"));
    if (ofport)
        fprintf(out, "        ofport: %s\n", ofport);
    free(ofport);
    put_members(out, port, show_port_keys, "        ");
    static const char *const skip[] = {
        "name", "ofport", "type", "devargs", "path", "link", "mtu", "mac", "n_rxq", "n_txq",
        "pmd", NULL,
    };
    put_other_members(out, port, skip, "        ");
}

static void show_rxqs(FILE *out, const json_t *rxqs)
{
    fputs("    rxqs: ", out);
    if (!json_is_array(rxqs) || json_array_size(rxqs) == 0) {
        if (rxqs && !json_is_array(rxqs))
            put_value(out, rxqs);
        else
            fputs("none", out);
        fputc('\n', out);
        return;
    }
    size_t i;
    const json_t *q;
    json_array_foreach(rxqs, i, q) {
        if (i)
            fputs(", ", out);
        const json_t *port = json_object_get(q, "port"), *queue = json_object_get(q, "queue");
        if (port && queue && json_object_size(q) == 2) {
            put_value(out, port);
            fputc('/', out);
            put_value(out, queue);
        } else {
            put_value(out, q);
        }
    }
    fputc('\n', out);
}

int ctl_out_show(FILE *out, const json_t *result, char *err, size_t errlen)
{
    if (!json_is_object(result))
        return out_fail(err, errlen, -EPROTO, "show: result is not an object");
    const json_t *bridges = json_object_get(result, "bridges");
    const json_t *pmds = json_object_get(result, "pmds");
    if (bridges && !json_is_array(bridges))
        return out_fail(err, errlen, -EPROTO, "show: \"bridges\" is not an array");
    if (pmds && !json_is_array(pmds))
        return out_fail(err, errlen, -EPROTO, "show: \"pmds\" is not an array");

    size_t i, j;
    const json_t *br, *port, *pmd;
    json_array_foreach(bridges, i, br) {
        fprintf(out, "Bridge %s\n", str_member(br, "name", "(unnamed)"));
        if (!json_is_object(br))
            continue;
        static const char *const skip[] = {"name", "ports", NULL};
        put_other_members(out, br, skip, "    ");
        const json_t *ports = json_object_get(br, "ports");
        json_array_foreach(ports, j, port)
            show_port(out, port);
    }
    json_array_foreach(pmds, i, pmd) {
        fputs("PMD ", out);
        const json_t *id = json_object_get(pmd, "id");
        if (id)
            put_value(out, id);
        else
            fprintf(out, "%zu", i);
        fputc('\n', out);
        if (!json_is_object(pmd))
            continue;
        static const char *const keys[] = {"lcore", "cpu", NULL};
        put_members(out, pmd, keys, "    ");
        show_rxqs(out, json_object_get(pmd, "rxqs"));
        static const char *const skip[] = {"id", "lcore", "cpu", "rxqs", NULL};
        put_other_members(out, pmd, skip, "    ");
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* dump-flows                                                                                */

/* ovs-ofctl prints whole seconds, then ".%03u" milliseconds (truncated) unless zero. */
static void put_duration(FILE *f, const json_t *v)
{
    double d = json_is_number(v) ? json_number_value(v) : 0.0;
    if (!isfinite(d) || d < 0 || d > 1e15)
        d = 0;
    unsigned long long sec = (unsigned long long)d;
    /* The nanosecond nudge keeps 1.234 (stored as 1.23399999...) at 234 ms. */
    long ms = (long)((d - (double)sec) * 1000.0 + 1e-6);
    if (ms > 999)
        ms = 999;
    fprintf(f, "%llu", sec);
    if (ms > 0)
        fprintf(f, ".%03ld", ms);
    fputc('s', f);
}

void ctl_out_flow_rule(FILE *f, const json_t *flow)
{
    /* The match, then a space unless the match printed nothing: ovs-ofctl's exact layout. */
    long long priority = num_member(flow, "priority", OFP_DEFAULT_PRIORITY);
    const char *match = str_member(flow, "match", "");
    bool any = false;
    if (priority != OFP_DEFAULT_PRIORITY) {
        fprintf(f, "priority=%lld", priority);
        any = true;
    }
    if (*match) {
        fprintf(f, "%s%s", any ? "," : "", match);
        any = true;
    }
    if (any)
        fputc(' ', f);
    const char *actions = str_member(flow, "actions", "");
    fprintf(f, "actions=%s", *actions ? actions : "drop");
}

char *ctl_out_flow_line(const json_t *flow)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;

    const json_t *cookie = json_object_get(flow, "cookie");
    if (json_is_string(cookie))
        fprintf(f, " cookie=%s", json_string_value(cookie));
    else
        fprintf(f, " cookie=0x%llx", (unsigned long long)num_member(flow, "cookie", 0));
    fputs(", duration=", f);
    put_duration(f, json_object_get(flow, "duration"));
    fprintf(f, ", table=%lld, n_packets=%lld, n_bytes=%lld, ", num_member(flow, "table", 0),
            num_member(flow, "n_packets", 0), num_member(flow, "n_bytes", 0));
    long long idle = num_member(flow, "idle_timeout", 0);
    long long hard = num_member(flow, "hard_timeout", 0);
    if (idle)
        fprintf(f, "idle_timeout=%lld, ", idle);
    if (hard)
        fprintf(f, "hard_timeout=%lld, ", hard);

    ctl_out_flow_rule(f, flow);

    if (fclose(f) != 0) {
        free(buf);
        return NULL;
    }
    return buf;
}

int ctl_out_dump_flows(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *flows = json_object_get(result, "flows");
    if (!json_is_array(flows))
        return out_fail(err, errlen, -EPROTO, "dump-flows: result has no \"flows\" array");
    size_t i;
    const json_t *flow;
    json_array_foreach(flows, i, flow) {
        if (!json_is_object(flow))
            return out_fail(err, errlen, -EPROTO, "dump-flows: flow %zu is not an object", i);
        char *line = ctl_out_flow_line(flow);
        if (!line)
            return out_fail(err, errlen, -ENOMEM, "dump-flows: out of memory");
        fprintf(out, "%s\n", line);
        free(line);
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------- */
/* dump-ports                                                                                */

static const char *const port_counters[] = {
    "rx_packets", "rx_bytes", "rx_errors", "tx_packets", "tx_bytes", "tx_errors", NULL,
};

static void add_key(json_t *keys, const char *k)
{
    if (!json_object_get(keys, k))
        json_object_set_new(keys, k, json_true());
}

static int print_xstats(FILE *out, const json_t *port)
{
    const json_t *xstats = json_object_get(port, "xstats");
    if (!json_is_object(xstats) || json_object_size(xstats) == 0)
        return 0;
    struct table *t = table_create();
    if (!t)
        return -ENOMEM;
    table_add_column(t, "name", TABLE_LEFT);
    table_add_column(t, "value", TABLE_RIGHT);
    const char *k;
    const json_t *v;
    json_object_foreach((json_t *)xstats, k, v) {
        char *text = ctl_out_value(v);
        table_add_row(t);
        table_add_cell(t, "%s", k);
        table_add_cell(t, "%s", text ? text : "?");
        free(text);
    }
    fprintf(out, "\nxstats %s:\n", str_member(port, "name", "(unnamed)"));
    int rc = table_print(t, out, "  ", false);
    table_destroy(t);
    return rc;
}

int ctl_out_dump_ports(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *ports = json_object_get(result, "ports");
    if (!json_is_array(ports))
        return out_fail(err, errlen, -EPROTO, "dump-ports: result has no \"ports\" array");

    /* Columns beyond the fixed ones come from the reply itself (union of keys, in order of
     * first appearance): a daemon that adds a counter or a drop reason shows it here. */
    json_t *extra = json_object(), *reasons = json_object();
    struct table *counters = table_create(), *drops = table_create();
    int rc = -ENOMEM;
    if (!extra || !reasons || !counters || !drops) {
        out_fail(err, errlen, rc, "dump-ports: out of memory");
        goto out;
    }
    size_t i;
    const json_t *port;
    json_array_foreach(ports, i, port) {
        if (!json_is_object(port)) {
            rc = out_fail(err, errlen, -EPROTO, "dump-ports: port %zu is not an object", i);
            goto out;
        }
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)port, k, v) {
            static const char *const fixed[] = {
                "name", "ofport", "rx_packets", "rx_bytes", "rx_errors", "tx_packets",
                "tx_bytes", "tx_errors", "drops", "xstats", NULL,
            };
            if (in_list(k, fixed) || json_is_object(v) || json_is_array(v))
                continue;
            /* Numbers read best right-aligned; a column with any text (link: up) left. */
            json_t *numeric = json_object_get(extra, k);
            if (!numeric)
                json_object_set_new(extra, k, json_boolean(json_is_number(v)));
            else if (!json_is_number(v))
                json_object_set(extra, k, json_false());
        }
        json_object_foreach((json_t *)json_object_get(port, "drops"), k, v)
            add_key(reasons, k);
    }

    table_add_column(counters, "port", TABLE_LEFT);
    table_add_column(counters, "ofport", TABLE_RIGHT);
    for (const char *const *c = port_counters; *c; c++)
        table_add_column(counters, *c, TABLE_RIGHT);
    table_add_column(counters, "drops", TABLE_RIGHT);
    const char *k;
    const json_t *v;
    json_object_foreach(extra, k, v)
        table_add_column(counters, k, json_is_true(v) ? TABLE_RIGHT : TABLE_LEFT);
    table_add_column(drops, "port", TABLE_LEFT);
    json_object_foreach(reasons, k, v)
        table_add_column(drops, k, TABLE_RIGHT);

    json_array_foreach(ports, i, port) {
        const char *name = str_member(port, "name", "(unnamed)");
        const json_t *pdrops = json_object_get(port, "drops");
        table_add_row(counters);
        table_add_cell(counters, "%s", name);
        char *text = ofport_text(json_object_get(port, "ofport"));
        table_add_cell(counters, "%s", text ? text : "");
        free(text);
        for (const char *const *c = port_counters; *c; c++)
            table_add_cell(counters, "%lld", num_member(port, *c, 0));
        long long total = 0;
        json_object_foreach((json_t *)pdrops, k, v)
            total += num_member(pdrops, k, 0);
        table_add_cell(counters, "%lld", total);
        json_object_foreach(extra, k, v) {
            const json_t *pv = json_object_get(port, k);
            text = pv ? ctl_out_value(pv) : NULL;
            table_add_cell(counters, "%s", text ? text : "");
            free(text);
        }
        table_add_row(drops);
        table_add_cell(drops, "%s", name);
        json_object_foreach(reasons, k, v)
            table_add_cell(drops, "%lld", num_member(pdrops, k, 0));
    }

    rc = table_print(counters, out, NULL, true);
    if (rc == 0 && json_object_size(reasons) > 0) {
        fputs("\ndrops by reason:\n", out);
        rc = table_print(drops, out, NULL, true);
    }
    json_array_foreach(ports, i, port)
        if (rc == 0)
            rc = print_xstats(out, port);
    if (rc == -ENOMEM)
        out_fail(err, errlen, rc, "dump-ports: out of memory");
out:
    json_decref(extra);
    json_decref(reasons);
    table_destroy(counters);
    table_destroy(drops);
    return rc;
}
