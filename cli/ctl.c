#define _GNU_SOURCE /* getline */
#include "cli/ctl.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl-dp-output.h"
#include "cli/ctl-of.h"
#include "cli/ctl-output.h"
#include "cli/table.h"
#include "control/jsonrpc.h"

static const char global_usage[] = "[--run-dir DIR] [--json] [--timeout SECS]";

/* --timeout is kept below INT_MAX milliseconds (about 24 days). */
#define CTL_MAX_TIMEOUT_S 2000000.0

static int errmsg(char *err, size_t errlen, int rc, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static int errmsg(char *err, size_t errlen, int rc, const char *fmt, ...)
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
/* Params builders                                                                           */

/* json_string() refuses invalid UTF-8; an argument like that is the user's to fix. */
static int set_string(json_t *obj, const char *key, const char *value, const char *what,
                      char *err, size_t errlen)
{
    json_t *s = json_string(value);
    if (!s)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "%s '%s' is not valid UTF-8", what, value);
    if (json_object_set_new(obj, key, s) < 0)
        return errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
    return CTL_EXIT_OK;
}

static int build_default(struct ctl_context *ctx, json_t **params, char *err, size_t errlen)
{
    const struct ctl_invocation *inv = ctx->inv;
    const struct ctl_command *cmd = inv->cmd;
    json_t *p = json_object();
    if (!p)
        return errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
    for (int i = 0; i < inv->n_args && i < 4 && cmd->params[i]; i++) {
        const char *name = cmd->params[i];
        /* Names cannot be empty; an empty flow is a filter that matches everything, as
         * with ovs-ofctl (handy for scripts passing "$FILTER"). */
        if (!*inv->args[i] && strcmp(name, "flow")) {
            json_decref(p);
            return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: empty %s", cmd->name, name);
        }
        int rc = set_string(p, name, inv->args[i], name, err, errlen);
        if (rc != CTL_EXIT_OK) {
            json_decref(p);
            return rc;
        }
    }
    if (cmd->options & CTL_OPT_STRICT)
        json_object_set_new(p, "strict", json_boolean(inv->options & CTL_OPT_STRICT));
    *params = p;
    return CTL_EXIT_OK;
}

static bool valid_option_key(const char *k, size_t len)
{
    if (len == 0)
        return false;
    for (size_t i = 0; i < len; i++)
        if (!isalnum((unsigned char)k[i]) && !strchr("_-.:", k[i]))
            return false;
    return true;
}

/* The default params plus "options": every key=value argument from args[first] on, as
 * strings; which keys exist and what they mean is the daemon's to judge, so new options need
 * no CLI change. */
static int build_with_options(struct ctl_context *ctx, int first, json_t **params, char *err,
                              size_t errlen)
{
    int rc = build_default(ctx, params, err, errlen);
    if (rc != CTL_EXIT_OK)
        return rc;
    json_t *options = json_object();
    if (!options || json_object_set_new(*params, "options", options) < 0)
        return errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
    const struct ctl_invocation *inv = ctx->inv;
    const char *cmd = inv->cmd->name;
    for (int i = first; i < inv->n_args; i++) {
        const char *arg = inv->args[i];
        const char *eq = strchr(arg, '=');
        if (!eq)
            return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: bad option '%s': expected key=value",
                       cmd, arg);
        size_t klen = (size_t)(eq - arg);
        if (!valid_option_key(arg, klen))
            return errmsg(err, errlen, CTL_EXIT_USAGE,
                       "%s: bad option '%s': the key must be letters, digits, '_', '-', "
                       "'.' or ':'",
                       cmd, arg);
        if (!eq[1])
            return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: option '%.*s' has an empty value",
                       cmd, (int)klen, arg);
        char key[128];
        if (klen >= sizeof(key))
            return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: option key '%.40s...' is too long",
                       cmd, arg);
        memcpy(key, arg, klen);
        key[klen] = '\0';
        if (json_object_get(options, key))
            return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: option '%s' given twice", cmd, key);
        rc = set_string(options, key, eq + 1, "option value", err, errlen);
        if (rc != CTL_EXIT_OK)
            return rc;
    }
    return CTL_EXIT_OK;
}

/* add-port BR PORT [key=value ...] and set-port BR PORT key=value ... */
static int build_add_port(struct ctl_context *ctx, json_t **params, char *err, size_t errlen)
{
    return build_with_options(ctx, 2, params, err, errlen);
}

/* add-br BR [local=tap|none]: the daemon checks the value; only the key is checked here. */
static int build_add_br(struct ctl_context *ctx, json_t **params, char *err, size_t errlen)
{
    const struct ctl_invocation *inv = ctx->inv;
    if (inv->n_args == 2 && strncmp(inv->args[1], "local=", 6))
        return errmsg(err, errlen, CTL_EXIT_USAGE,
                      "add-br: bad option '%s': expected local=tap or local=none",
                      inv->args[1]);
    int rc = build_default(ctx, params, err, errlen);
    if (rc != CTL_EXIT_OK || inv->n_args < 2)
        return rc;
    return set_string(*params, "local", inv->args[1] + 6, "local", err, errlen);
}

/* set-bridge BR key=value... (e.g. mac-aging=300) */
static int build_set_bridge(struct ctl_context *ctx, json_t **params, char *err, size_t errlen)
{
    return build_with_options(ctx, 1, params, err, errlen);
}

static const char *display_file(const char *file)
{
    return strcmp(file, "-") ? file : "stdin";
}

/* add-flows BR FILE: one flow per line; blank lines and '#' comments are skipped. The line
 * number of every flow sent is kept so that the daemon's "flow N: ..." (N indexes the
 * "flows" array) can be reported as FILE:LINE. */
static int build_add_flows(struct ctl_context *ctx, json_t **params, char *err, size_t errlen)
{
    const struct ctl_invocation *inv = ctx->inv;
    const char *file = inv->args[1];
    int rc = build_default(ctx, params, err, errlen);
    if (rc != CTL_EXIT_OK)
        return rc;

    FILE *f = strcmp(file, "-") ? fopen(file, "r") : ctx->in;
    if (!f)
        return errmsg(err, errlen, CTL_EXIT_FAILED, "cannot open %s: %s", file, strerror(errno));
    json_t *flows = json_array();
    if (!flows || json_object_set_new(*params, "flows", flows) < 0) {
        rc = errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
        goto out;
    }
    ctx->flow_file = file;
    char *line = NULL;
    size_t cap = 0, lines_cap = 0;
    ssize_t len;
    unsigned lineno = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        if (strlen(line) != (size_t)len) {
            rc = errmsg(err, errlen, CTL_EXIT_FAILED, "%s:%u: line contains a NUL byte",
                     display_file(file), lineno);
            goto out_line;
        }
        char *s = line;
        while (isspace((unsigned char)*s))
            s++;
        char *e = s + strlen(s);
        while (e > s && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*s || *s == '#')
            continue;
        json_t *flow = json_string(s);
        if (!flow) {
            rc = errmsg(err, errlen, CTL_EXIT_FAILED, "%s:%u: line is not valid UTF-8",
                     display_file(file), lineno);
            goto out_line;
        }
        if (ctx->n_flows == lines_cap) {
            lines_cap = lines_cap ? lines_cap * 2 : 64;
            unsigned *l = realloc(ctx->flow_lines, lines_cap * sizeof(*l));
            if (!l) {
                json_decref(flow);
                rc = errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
                goto out_line;
            }
            ctx->flow_lines = l;
        }
        if (json_array_append_new(flows, flow) < 0) {
            rc = errmsg(err, errlen, CTL_EXIT_FAILED, "out of memory");
            goto out_line;
        }
        ctx->flow_lines[ctx->n_flows++] = lineno;
    }
    if (ferror(f))
        rc = errmsg(err, errlen, CTL_EXIT_FAILED, "cannot read %s: %s", display_file(file),
                 strerror(errno));
out_line:
    free(line);
out:
    if (f != ctx->in)
        fclose(f);
    return rc;
}

/* sluiced names the failing flow by its 1-based position in "flows":
 * "flow 3: tp_dst=80: field requires ..." → "flows.txt:12: tp_dst=80: field requires ...".
 * Any other message is left alone. */
static void explain_add_flows(const struct ctl_context *ctx, char *text, size_t textlen)
{
    if (strncmp(text, "flow ", 5) || !isdigit((unsigned char)text[5]))
        return;
    char *end;
    errno = 0;
    unsigned long n = strtoul(text + 5, &end, 10);
    if (errno || n == 0 || n > ctx->n_flows || *end != ':')
        return;
    char rest[1024];
    snprintf(rest, sizeof(rest), "%s", end + 1);
    snprintf(text, textlen, "%s:%u:%s", display_file(ctx->flow_file), ctx->flow_lines[n - 1], rest);
}

static int call_management(const struct ctl_context *ctx, const char *method, json_t *params,
                           int timeout_ms, json_t **result, char *err, size_t errlen)
{
    return jsonrpc_call(ctx->socket_path, method, params, timeout_ms, result, err, errlen);
}

/* ---------------------------------------------------------------------------------------- */
/* The command table                                                                         */

static long long json_int_or(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);
    return json_is_integer(v) ? json_integer_value(v) : dflt;
}

/* fdb-show: as `ovs-appctl fdb/show` lays it out (port, VLAN, MAC, age), port names instead
 * of numbers, then one line of totals. */
static int print_fdb_show(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *entries = json_object_get(result, "entries");
    if (!json_is_array(entries))
        return errmsg(err, errlen, -EPROTO, "fdb-show: result has no \"entries\" array");
    int w = 4;
    size_t i;
    const json_t *e;
    json_array_foreach(entries, i, e)
    {
        const char *port = json_string_value(json_object_get(e, "port"));
        if (port && (int)strlen(port) > w)
            w = (int)strlen(port);
    }
    fprintf(out, " %-*s  VLAN  MAC                Age\n", w, "port");
    json_array_foreach(entries, i, e)
    {
        const char *port = json_string_value(json_object_get(e, "port"));
        const char *mac = json_string_value(json_object_get(e, "mac"));
        fprintf(out, " %-*s  %4lld  %-17s  %3lld\n", w, port ? port : "?",
                json_int_or(e, "vlan", 0), mac ? mac : "?", json_int_or(e, "age", 0));
    }
    const json_t *st = json_object_get(result, "stats");
    fprintf(out,
            "%zu entr%s (capacity %lld, aging %lld s%s); learned %lld, moved %lld, evicted %lld, "
            "aged %lld; NORMAL unicast %lld, flooded %lld, dropped %lld, fail-open %lld, "
            "vlan-dropped %lld\n",
            json_array_size(entries), json_array_size(entries) == 1 ? "y" : "ies",
            json_int_or(result, "capacity", 0), json_int_or(result, "aging_s", 0),
            json_is_true(json_object_get(result, "fail_open")) ? ", bridge fail-open" : "",
            json_int_or(st, "learned", 0), json_int_or(st, "moved", 0),
            json_int_or(st, "evicted", 0), json_int_or(st, "aged", 0),
            json_int_or(st, "unicast", 0), json_int_or(st, "flooded", 0),
            json_int_or(st, "dropped", 0), json_int_or(st, "fail_open_packets", 0),
            json_int_or(st, "vlan_dropped", 0));
    /* What the VLAN column means per port: ports not listed are trunks of every VLAN. */
    const json_t *vports = json_object_get(result, "vlan_ports");
    if (json_array_size(vports)) {
        fputs("VLAN ports:", out);
        json_array_foreach(vports, i, e)
        {
            const char *port = json_string_value(json_object_get(e, "port"));
            const char *trunks = json_string_value(json_object_get(e, "trunks"));
            if (trunks)
                fprintf(out, " %s trunks=%s", port ? port : "?", trunks);
            else
                fprintf(out, " %s tag=%lld", port ? port : "?", json_int_or(e, "tag", 0));
        }
        fputs(" (others: trunks of every VLAN)\n", out);
    }
    return 0;
}

static int print_fdb_flush(FILE *out, const json_t *result, char *err, size_t errlen)
{
    (void)err, (void)errlen;
    fprintf(out, "%lld entries flushed\n", json_int_or(result, "flushed", 0));
    return 0;
}

/* Results without a table of their own are printed as readable JSON. */
static int print_as_json(FILE *out, const json_t *result, char *err, size_t errlen)
{
    (void)err;
    (void)errlen;
    return ctl_out_json(out, result);
}

const struct ctl_command ctl_commands[] = {
    {.name = "add-br", .args = "BR [local=tap|none]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .build = build_add_br,
     .help = "create bridge BR, with its LOCAL port: tap interface BR (local=none: without)"},
    {.name = "del-br", .args = "BR", .min_args = 1, .max_args = 1, .params = {"bridge"},
     .help = "delete bridge BR with its ports and flows"},
    {.name = "add-port", .args = "BR PORT [key=value ...]", .min_args = 2, .max_args = -1,
     .params = {"bridge", "port"}, .build = build_add_port,
     .help = "add PORT to BR (port options below)"},
    {.name = "del-port", .args = "BR PORT", .min_args = 2, .max_args = 2,
     .params = {"bridge", "port"}, .help = "remove PORT from BR"},
    {.name = "set-port", .args = "BR PORT key=value ...", .min_args = 3, .max_args = -1,
     .params = {"bridge", "port"}, .build = build_add_port,
     .help = "change PORT's VLAN for NORMAL: tag=VLAN|none, trunks=LIST|all"},
    {.name = "show", .args = "", .print = ctl_out_show,
     .help = "show bridges, ports and PMD threads"},
    {.name = "add-flow", .args = "BR FLOW", .min_args = 2, .max_args = 2,
     .params = {"bridge", "flow"}, .help = "add FLOW (ovs-ofctl syntax) to BR"},
    {.name = "add-flows", .args = "BR FILE", .min_args = 2, .max_args = 2,
     .params = {"bridge"}, .build = build_add_flows, .explain = explain_add_flows,
     .help = "add the flows in FILE ('-' = stdin), all or none"},
    {.name = "del-flows", .args = "BR [FLOW] [--strict]", .min_args = 1, .max_args = 2,
     .options = CTL_OPT_STRICT, .params = {"bridge", "flow"},
     .help = "delete BR's flows matching FLOW (all without FLOW)"},
    {.name = "dump-flows", .args = "BR [FLOW] [--no-stats]", .min_args = 1, .max_args = 2,
     .options = CTL_OPT_NO_STATS, .params = {"bridge", "flow"},
     .print = ctl_out_dump_flows_any, .call = ctl_dump_flows_call,
     .help = "print BR's flows (those matching FLOW)"},
    {.name = "mod-flows", .args = "BR FLOW [--strict]", .min_args = 2, .max_args = 2,
     .options = CTL_OPT_STRICT, .params = {"bridge"}, .call = ctl_of_call,
     .help = "change the actions of BR's flows matching FLOW (OpenFlow)"},
    {.name = "dump-aggregate", .args = "BR [FLOW]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print packet, byte and flow counts of the flows matching FLOW (OpenFlow)"},
    {.name = "dump-tables", .args = "BR", .min_args = 1, .max_args = 1, .params = {"bridge"},
     .call = ctl_of_call, .print = ctl_of_print, .help = "print table statistics (OpenFlow)"},
    {.name = "add-group", .args = "BR GROUP", .min_args = 2, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "add GROUP, e.g. group_id=1,type=select,bucket=output:1,bucket=output:2"},
    {.name = "mod-group", .args = "BR GROUP", .min_args = 2, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .help = "replace group GROUP's type and buckets"},
    {.name = "del-groups", .args = "BR [GROUP]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "delete group GROUP (group_id=N), or every group"},
    {.name = "dump-groups", .args = "BR [GROUP]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print BR's groups (or group GROUP)"},
    {.name = "dump-group-stats", .args = "BR [GROUP]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print group counters"},
    {.name = "add-meter", .args = "BR METER", .min_args = 2, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "add METER, e.g. meter=1,kbps,band=type=drop,rate=1000"},
    {.name = "mod-meter", .args = "BR METER", .min_args = 2, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .help = "replace meter METER's flags and bands"},
    {.name = "del-meters", .args = "BR [METER]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "delete meter METER (meter=N), or every meter"},
    {.name = "dump-meters", .args = "BR [METER]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print BR's meters (or meter METER)"},
    {.name = "meter-stats", .args = "BR [METER]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print meter counters"},
    {.name = "mod-port", .args = "BR PORT ACTION", .min_args = 3, .max_args = 3,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "up, down, [no-]receive, [no-]forward, [no-]packet-in"},
    {.name = "dump-ports-desc", .args = "BR [PORT]", .min_args = 1, .max_args = 2,
     .params = {"bridge"}, .call = ctl_of_call, .print = ctl_of_print,
     .help = "print port descriptions (OpenFlow)"},
    {.name = "packet-out", .args = "BR PACKET-OUT|IN_PORT [ACTIONS PACKET...]",
     .min_args = 2, .max_args = -1,
     .params = {"bridge"}, .call = ctl_of_call,
     .help = "send \"in_port=P packet=HEX actions=A\" (or IN_PORT ACTIONS PACKET...)"},
    {.name = "trace", .args = "BR FLOW", .min_args = 2, .max_args = 2,
     .params = {"bridge", "flow"}, .print = ctl_out_trace,
     .help = "show what BR's pipeline does with the packet FLOW describes"},
    {.name = "pmd-stats", .args = "", .print = ctl_out_pmd_stats,
     .help = "print PMD threads' packets, cycles and sleeps"},
    {.name = "dump-ports", .args = "BR [PORT]", .min_args = 1, .max_args = 2,
     .params = {"bridge", "port"}, .print = ctl_out_dump_ports,
     .help = "print port counters and drop reasons"},
    {.name = "set-controller", .args = "BR TARGET [FAIL_MODE]", .min_args = 2, .max_args = 3,
     .params = {"bridge", "target", "fail_mode"},
     .help = "connect BR to OpenFlow controllers: \"tcp:IP:PORT\", \"ptcp:PORT[:IP]\" "
             "(space-separated for several, \"\" for none); FAIL_MODE secure|standalone"},
    {.name = "get-controller", .args = "BR", .min_args = 1, .max_args = 1,
     .params = {"bridge"}, .print = print_as_json,
     .help = "print BR's controller targets, connections and fail mode"},
    {.name = "fdb-show", .args = "BR", .min_args = 1, .max_args = 1, .params = {"bridge"},
     .print = print_fdb_show,
     .help = "print BR's MAC learning table (NORMAL): port, VLAN, MAC, age in seconds"},
    {.name = "fdb-flush", .args = "BR [PORT]", .min_args = 1, .max_args = 2,
     .params = {"bridge", "port"}, .print = print_fdb_flush,
     .help = "forget BR's learned MAC addresses (those on PORT)"},
    {.name = "set-bridge", .args = "BR key=value ...", .min_args = 2, .max_args = -1,
     .params = {"bridge"}, .build = build_set_bridge,
     .help = "change BR's settings: mac-aging=SECONDS (1..1000000, default 300)"},
    {.name = "show-config", .args = "", .print = print_as_json,
     .help = "print the saved configuration (sluiced --db) and what could not be restored"},
    {.name = "version", .args = "", .print = ctl_out_version,
     .help = "print the versions of sluicectl, sluiced and DPDK"},
    {.name = NULL},
};

const struct ctl_command *ctl_find_command(const char *name)
{
    for (const struct ctl_command *c = ctl_commands; c->name; c++)
        if (!strcmp(c->name, name))
            return c;
    return NULL;
}

/* ---------------------------------------------------------------------------------------- */
/* Command line                                                                              */

void ctl_print_usage(FILE *out, const struct ctl_command *cmd)
{
    if (!cmd)
        fprintf(out, "usage: sluicectl %s COMMAND ARGS...\n", global_usage);
    else
        fprintf(out, "usage: sluicectl %s %s%s%s\n", global_usage, cmd->name,
                *cmd->args ? " " : "", cmd->args);
}

static void print_help(FILE *out)
{
    ctl_print_usage(out, NULL);
    fputs("\nCommands:\n", out);
    struct table *t = table_create();
    if (t) {
        table_add_column(t, "command", TABLE_LEFT);
        table_add_column(t, "help", TABLE_LEFT);
        for (const struct ctl_command *c = ctl_commands; c->name; c++) {
            table_add_row(t);
            table_add_cell(t, "%s%s%s", c->name, *c->args ? " " : "", c->args);
            table_add_cell(t, "%s", c->help);
        }
        table_print(t, out, "  ", false);
        table_destroy(t);
    }
    fprintf(out,
            "\nOptions:\n"
            "  --run-dir DIR   directory of sluiced's sockets (default: $SLUICE_RUN_DIR, else "
            "%s)\n"
            "  --json          print the daemon's result as JSON\n"
            "  --timeout SECS  give up after SECS seconds (default %g; 0 = wait forever)\n"
            "  --strict        del-flows, mod-flows: match priority and fields exactly\n"
            "  --no-stats      dump-flows: leave out durations and counters\n"
            "  --help          print this help\n"
            "  --version       print sluicectl's version (the version command asks sluiced)\n"
            "\nPort options (add-port key=value, passed to sluiced as strings):\n"
            "  type=dpdk devargs=DEVARGS       any DPDK ethdev, e.g. net_af_packet0,iface=veth0\n"
            "  type=vhostuser [path=SOCK]      vhost-user socket served by sluiced\n"
            "  type=vhostuserclient path=SOCK  vhost-user socket served by QEMU\n"
            "  ofport=N  n_rxq=N  mtu=N\n"
            "  tag=VLAN       access port of VLAN 1..4095 for NORMAL (frames leave untagged)\n"
            "  trunks=LIST    trunk of these VLANs, e.g. 10,20,30-40 (default: every VLAN;\n"
            "                 untagged frames are VLAN 0); set-port changes both\n"
            "\nExit status: 0 ok, 1 request failed, 2 usage error, 3 sluiced unreachable.\n",
            CTL_DEFAULT_RUN_DIR, CTL_DEFAULT_TIMEOUT_S);
}

static int parse_timeout(const char *text, double *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    double t = strtod(text, &end);
    if (!*text || *end || errno || !isfinite(t) || t < 0 || t > CTL_MAX_TIMEOUT_S)
        return errmsg(err, errlen, CTL_EXIT_USAGE,
                   "invalid --timeout '%s': expected seconds from 0 (wait forever) to %.0f", text,
                   CTL_MAX_TIMEOUT_S);
    *out = t;
    return CTL_EXIT_OK;
}

/* The name of the first required argument at or after position n, from the usage text. */
static void missing_arg_name(const struct ctl_command *cmd, int n, char *buf, size_t buflen)
{
    snprintf(buf, buflen, "argument");
    char words[128];
    snprintf(words, sizeof(words), "%s", cmd->args);
    int i = 0;
    for (char *save, *w = strtok_r(words, " ", &save); w; w = strtok_r(NULL, " ", &save)) {
        if (*w == '[')
            continue;
        if (i++ == n) {
            snprintf(buf, buflen, "%s", w);
            return;
        }
    }
}

void ctl_invocation_free(struct ctl_invocation *inv)
{
    free(inv->args);
    inv->args = NULL;
    inv->n_args = 0;
}

int ctl_parse_args(int argc, char *argv[], struct ctl_invocation *inv, char *err, size_t errlen)
{
    memset(inv, 0, sizeof(*inv));
    inv->timeout_s = CTL_DEFAULT_TIMEOUT_S;
    inv->args = calloc((size_t)(argc > 0 ? argc : 1), sizeof(*inv->args));
    if (!inv->args)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "out of memory");

    /* The first problem is reported, but scanning goes on so that the command, if any, is
     * known and its usage line can be printed. */
    int rc = CTL_EXIT_OK;
    bool options_done = false, have_command = false;
    for (int i = 1; i < argc; i++) {
        char *a = argv[i];
        if (!options_done && a[0] == '-' && a[1]) {
            if (!strcmp(a, "--")) {
                options_done = true;
                continue;
            }
            const char *eq = a[1] == '-' ? strchr(a, '=') : NULL;
            size_t nlen = eq ? (size_t)(eq - a) : strlen(a);
            const char *value = eq ? eq + 1 : NULL;
            bool is_run_dir = nlen == 9 && !strncmp(a, "--run-dir", 9);
            bool is_timeout = nlen == 9 && !strncmp(a, "--timeout", 9);
            bool takes_value = is_run_dir || is_timeout;
            if (takes_value && !value) {
                if (i + 1 >= argc) {
                    if (rc == CTL_EXIT_OK)
                        rc = errmsg(err, errlen, CTL_EXIT_USAGE, "option %.*s needs a value",
                                 (int)nlen, a);
                    continue;
                }
                value = argv[++i];
            }
            int orc = CTL_EXIT_OK;
            if (is_run_dir) {
                if (!*value)
                    orc = errmsg(rc ? NULL : err, errlen, CTL_EXIT_USAGE,
                              "option --run-dir needs a directory");
                inv->run_dir = value;
            } else if (is_timeout) {
                orc = parse_timeout(value, &inv->timeout_s, rc ? NULL : err, errlen);
            } else if (value) {
                orc = errmsg(rc ? NULL : err, errlen, CTL_EXIT_USAGE, "option %.*s takes no value",
                          (int)nlen, a);
            } else if (!strcmp(a, "--json")) {
                inv->json = true;
            } else if (!strcmp(a, "--strict")) {
                inv->options |= CTL_OPT_STRICT;
            } else if (!strcmp(a, "--no-stats")) {
                inv->options |= CTL_OPT_NO_STATS;
            } else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
                inv->help = true;
            } else if (!strcmp(a, "--version") || !strcmp(a, "-V")) {
                inv->version = true;
            } else {
                orc = errmsg(rc ? NULL : err, errlen, CTL_EXIT_USAGE, "unknown option '%s'", a);
            }
            if (rc == CTL_EXIT_OK)
                rc = orc;
            continue;
        }
        if (!have_command) {
            have_command = true;
            inv->cmd = ctl_find_command(a);
            if (!inv->cmd && rc == CTL_EXIT_OK)
                rc = errmsg(err, errlen, CTL_EXIT_USAGE,
                         "unknown command '%s' (sluicectl --help lists them)", a);
            continue;
        }
        inv->args[inv->n_args++] = a;
    }
    if (rc != CTL_EXIT_OK || inv->help || inv->version)
        return rc;
    const struct ctl_command *cmd = inv->cmd;
    if (!cmd)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "missing command (sluicectl --help lists them)");
    unsigned bad = inv->options & ~cmd->options;
    if (bad & CTL_OPT_STRICT)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: option --strict does not apply", cmd->name);
    if (bad & CTL_OPT_NO_STATS)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: option --no-stats does not apply",
                      cmd->name);
    if (inv->n_args < cmd->min_args) {
        char name[64];
        missing_arg_name(cmd, inv->n_args, name, sizeof(name));
        return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: missing %s", cmd->name, name);
    }
    if (cmd->max_args >= 0 && inv->n_args > cmd->max_args)
        return errmsg(err, errlen, CTL_EXIT_USAGE, "%s: unexpected argument '%s'", cmd->name,
                   inv->args[cmd->max_args]);
    return CTL_EXIT_OK;
}

int ctl_socket_path(const struct ctl_invocation *inv, const char *env_run_dir, char *path,
                    size_t pathlen)
{
    const char *dir = inv->run_dir;
    if (!dir || !*dir)
        dir = env_run_dir && *env_run_dir ? env_run_dir : CTL_DEFAULT_RUN_DIR;
    size_t len = strlen(dir);
    while (len > 1 && dir[len - 1] == '/')
        len--;
    int n = snprintf(path, pathlen, "%.*s/%s", (int)len, dir, CTL_SOCKET_NAME);
    return n < 0 || (size_t)n >= pathlen ? -ENAMETOOLONG : 0;
}

/* ---------------------------------------------------------------------------------------- */
/* main                                                                                      */

/* jsonrpc_call() returns JSON-RPC codes (-32768..-32000) for daemon errors and negative errno
 * for transport failures. Of the latter, a request that could not even be encoded is a local
 * failure, not an unreachable daemon. */
static int exit_code_for(int rc)
{
    if (rc == 0)
        return CTL_EXIT_OK;
    if (rc <= -32000)
        return CTL_EXIT_FAILED;
    if (rc == -EMSGSIZE || rc == -EINVAL)
        return CTL_EXIT_FAILED;
    return CTL_EXIT_UNREACHABLE;
}

int ctl_main(int argc, char *argv[], FILE *in, FILE *out, FILE *errf)
{
    struct ctl_invocation inv;
    struct ctl_context ctx = {.inv = &inv, .in = in};
    json_t *params = NULL, *result = NULL;
    char text[4096] = "";
    char path[PATH_MAX];

    int rc = ctl_parse_args(argc, argv, &inv, text, sizeof(text));
    if (rc != CTL_EXIT_OK) {
        fprintf(errf, "sluicectl: %s\n", text);
        ctl_print_usage(errf, inv.cmd);
        goto done;
    }
    if (inv.help) {
        print_help(out);
        goto done;
    }
    if (inv.version) {
        fprintf(out, "sluicectl %s\n", SLUICECTL_VERSION);
        goto done;
    }

    const struct ctl_command *cmd = inv.cmd;
    rc = (cmd->build ? cmd->build : build_default)(&ctx, &params, text, sizeof(text));
    if (rc != CTL_EXIT_OK) {
        fprintf(errf, "sluicectl: %s\n", text);
        if (rc == CTL_EXIT_USAGE)
            ctl_print_usage(errf, cmd);
        goto done;
    }
    if (ctl_socket_path(&inv, getenv("SLUICE_RUN_DIR"), path, sizeof(path)) < 0) {
        fprintf(errf, "sluicectl: run directory path is too long\n");
        rc = CTL_EXIT_USAGE;
        goto done;
    }
    ctx.socket_path = path;

    int timeout_ms = 0;
    if (inv.timeout_s > 0) {
        /* Rounded up to whole milliseconds, without libm's ceil(). */
        double ms = inv.timeout_s * 1000.0;
        int whole = (int)ms;
        timeout_ms = whole < 1 ? 1 : whole + (ms > (double)whole);
    }
    int call_rc = (cmd->call ? cmd->call : call_management)(&ctx, cmd->name, params, timeout_ms,
                                                            &result, text, sizeof(text));
    rc = exit_code_for(call_rc);
    if (rc != CTL_EXIT_OK) {
        if (call_rc <= -32000 && cmd->explain)
            cmd->explain(&ctx, text, sizeof(text));
        fprintf(errf, "sluicectl: %s\n", text);
        goto done;
    }

    if (inv.json) {
        if (ctl_out_json(out, result) < 0) {
            fprintf(errf, "sluicectl: cannot print the result as JSON\n");
            rc = CTL_EXIT_FAILED;
        }
    } else if (cmd->print) {
        int prc = cmd->print(out, result, text, sizeof(text));
        if (prc < 0) {
            fprintf(errf, "sluicectl: unexpected reply from sluiced: %s\n", text);
            rc = CTL_EXIT_FAILED;
        }
    }

done:
    /* Scripts trust the exit code, so output that did not reach its destination (full disk,
     * closed pipe) must not exit 0. */
    if (fflush(out) != 0 || ferror(out)) {
        fprintf(errf, "sluicectl: cannot write output: %s\n", strerror(errno));
        if (rc == CTL_EXIT_OK)
            rc = CTL_EXIT_FAILED;
    }
    json_decref(params);
    json_decref(result);
    free(ctx.flow_lines);
    ctl_invocation_free(&inv);
    return rc;
}
