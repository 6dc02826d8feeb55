#ifndef _GNU_SOURCE
#define _GNU_SOURCE /* open_memstream */
#endif
#include "cli/ctl-dp-output.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "cli/ctl-output.h"
#include "control/jsonrpc.h"

__attribute__((format(printf, 4, 5))) static int dpo_fail(char *err, size_t errlen, int rc,
                                                          const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return rc;
}

static const char *dpo_str(const json_t *obj, const char *key, const char *dflt)
{
    const char *s = json_string_value(json_object_get(obj, key));
    return s ? s : dflt;
}

static long long dpo_int(const json_t *obj, const char *key, long long dflt)
{
    const json_t *v = json_object_get(obj, key);
    if (json_is_integer(v))
        return json_integer_value(v);
    if (json_is_real(v) && isfinite(json_real_value(v)))
        return (long long)json_real_value(v);
    return dflt;
}

/* ---------------------------------------------------------------------------------------
 * trace
 */
static void dpo_indent(FILE *out, long long depth, bool step)
{
    for (long long i = 0; i < depth + (step ? 1 : 0) && i < 16; i++)
        fputs("    ", out);
}

int ctl_out_trace(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *steps = json_object_get(result, "steps");
    if (!json_is_object(result) || !json_is_array(steps))
        return dpo_fail(err, errlen, -EPROTO, "trace: result has no \"steps\" array");
    fprintf(out, "Flow: %s\n", dpo_str(result, "flow", "(unknown)"));
    fprintf(out, "Packet: %lld bytes\n\n", dpo_int(result, "packet_len", 0));
    size_t i;
    const json_t *s;
    json_array_foreach(steps, i, s)
    {
        const char *kind = dpo_str(s, "kind", "");
        long long depth = dpo_int(s, "depth", 0);
        if (!strcmp(kind, "lookup")) {
            const json_t *rule = json_object_get(s, "rule");
            fprintf(out, "table %lld: ", dpo_int(s, "table", 0));
            if (json_is_object(rule)) {
                const char *match = dpo_str(rule, "match", "");
                fprintf(out, "%s%sactions=%s\n", match, *match ? " " : "",
                        dpo_str(rule, "actions", "drop"));
            } else {
                fputs("no matching flow\n", out);
            }
        } else if (!strcmp(kind, "action")) {
            /* Actions from the action set are shown by their effects (outputs...). */
            if (json_object_get(s, "action")) {
                dpo_indent(out, depth, true);
                fprintf(out, "%s\n", dpo_str(s, "action", "?"));
            }
        } else if (!strcmp(kind, "output")) {
            dpo_indent(out, depth, true);
            fprintf(out, "-> output to %s\n", dpo_str(s, "port", "?"));
        } else if (!strcmp(kind, "group")) {
            dpo_indent(out, depth, true);
            fprintf(out, "-> group %lld (%s): ", dpo_int(s, "group_id", 0),
                    dpo_str(s, "type", "?"));
            if (json_object_get(s, "buckets"))
                fputs("every bucket", out);
            else if (json_object_get(s, "bucket"))
                fprintf(out, "bucket %lld", dpo_int(s, "bucket", 0));
            else
                fputs("no bucket", out);
            const char *note = dpo_str(s, "note", NULL);
            if (note && !json_object_get(s, "buckets"))
                fprintf(out, " (%s)", note);
            fputc('\n', out);
        } else if (!strcmp(kind, "meter")) {
            dpo_indent(out, 0, true);
            const char *note = dpo_str(s, "note", NULL);
            if (note)
                fprintf(out, "-> meter %lld: %s\n", dpo_int(s, "meter_id", 0), note);
            else
                fprintf(out, "-> meter %lld: %s (a trace does not use up the meter's rate)\n",
                        dpo_int(s, "meter_id", 0),
                        json_is_false(json_object_get(s, "passed")) ? "dropped" : "passed");
        } else if (!strcmp(kind, "controller")) {
            dpo_indent(out, depth, true);
            fprintf(out, "-> sent to the controller (reason: %s)\n", dpo_str(s, "reason", "?"));
        } else if (!strcmp(kind, "drop")) {
            dpo_indent(out, depth, true);
            fprintf(out, "-> dropped: %s\n", dpo_str(s, "reason", "?"));
        } else if (!strcmp(kind, "goto")) {
            dpo_indent(out, 0, true);
            fprintf(out, "-> continuing in table %lld\n", dpo_int(s, "table", 0));
        } else if (!strcmp(kind, "normal")) {
            /* The L2 learning switch's decision, as ovs-appctl ofproto/trace words it. */
            dpo_indent(out, depth, true);
            const char *decision = dpo_str(s, "decision", "?");
            fprintf(out, "-> NORMAL%s, vlan %lld: ",
                    json_is_true(json_object_get(s, "fail_open")) ? " (fail-open)" : "",
                    dpo_int(s, "vlan", 0));
            if (!strcmp(decision, "forward"))
                fprintf(out, "destination learned on %s, forwarding there\n",
                        dpo_str(s, "port", "?"));
            else if (!strcmp(decision, "drop"))
                fprintf(out, "destination learned on the ingress port %s, dropping\n",
                        dpo_str(s, "port", "?"));
            else
                fputs("destination unknown or multicast, flooding\n", out);
        } else if (!strcmp(kind, "action_set")) {
            dpo_indent(out, 0, true);
            fprintf(out, "-> executing the action set (%lld action%s)\n",
                    dpo_int(s, "n_actions", 0), dpo_int(s, "n_actions", 0) == 1 ? "" : "s");
        } else {
            char *text = ctl_out_value(s);
            dpo_indent(out, depth, true);
            fprintf(out, "%s\n", text ? text : "?");
            free(text);
        }
    }
    if (json_is_true(json_object_get(result, "truncated")))
        fputs("(trace truncated: too many steps)\n", out);
    fputc('\n', out);
    const char *final = dpo_str(result, "final_flow", NULL);
    fprintf(out, "Final flow: %s\n", final ? final : "unchanged");
    fprintf(out, "Datapath actions: %s\n", dpo_str(result, "datapath_actions", "drop"));
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * pmd-stats
 */
static const char *const pmd_known[] = {
    "id",      "lcore",       "iterations",
    "packets", "busy_cycles", "idle_cycles",
    "sleeps",  "n_rxqs",      "busy_cycles_per_packet",
    NULL,
};

int ctl_out_pmd_stats(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *pmds = json_object_get(result, "pmds");
    if (!json_is_array(pmds))
        return dpo_fail(err, errlen, -EPROTO, "pmd-stats: result has no \"pmds\" array");
    size_t i;
    const json_t *p;
    json_array_foreach(pmds, i, p)
    {
        if (!json_is_object(p))
            return dpo_fail(err, errlen, -EPROTO, "pmd-stats: pmd %zu is not an object", i);
        long long busy = dpo_int(p, "busy_cycles", 0), idle = dpo_int(p, "idle_cycles", 0);
        long long used = busy + idle, pkts = dpo_int(p, "packets", 0);
        double cpp = json_is_number(json_object_get(p, "busy_cycles_per_packet"))
                         ? json_number_value(json_object_get(p, "busy_cycles_per_packet"))
                     : pkts ? (double)busy / (double)pkts
                            : 0.0;
        fprintf(out, "pmd thread %lld (lcore %lld):\n", dpo_int(p, "id", (long long)i),
                dpo_int(p, "lcore", -1));
        fprintf(out, "  packets received: %lld\n", pkts);
        fprintf(out, "  busy cycles: %lld (%.2f%% of used cycles)\n", busy,
                used ? 100.0 * (double)busy / (double)used : 0.0);
        fprintf(out, "  idle cycles: %lld (%.2f%% of used cycles)\n", idle,
                used ? 100.0 * (double)idle / (double)used : 0.0);
        fprintf(out, "  busy cycles per packet: %.1f\n", cpp);
        fprintf(out, "  iterations: %lld\n", dpo_int(p, "iterations", 0));
        fprintf(out, "  sleeps: %lld\n", dpo_int(p, "sleeps", 0));
        fprintf(out, "  rx queues: %lld\n", dpo_int(p, "n_rxqs", 0));
        /* Members a newer sluiced adds show up without a CLI change. */
        const char *k;
        const json_t *v;
        json_object_foreach((json_t *)p, k, v)
        {
            bool known = false;
            for (const char *const *n = pmd_known; *n && !known; n++)
                known = !strcmp(*n, k);
            if (!known) {
                char *text = ctl_out_value(v);
                fprintf(out, "  %s: %s\n", k, text ? text : "?");
                free(text);
            }
        }
    }
    long long hz = dpo_int(result, "tsc_hz", 0);
    if (hz)
        fprintf(out, "TSC: %lld Hz (%.3f GHz)\n", hz, (double)hz / 1e9);
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * dump-flows --no-stats
 */
int ctl_dump_flows_call(const struct ctl_context *ctx, const char *method, json_t *params,
                        int timeout_ms, json_t **result, char *err, size_t errlen)
{
    int rc = jsonrpc_call(ctx->socket_path, method, params, timeout_ms, result, err, errlen);
    if (rc || !(ctx->inv->options & CTL_OPT_NO_STATS))
        return rc;
    size_t i;
    json_t *flow;
    json_array_foreach(json_object_get(*result, "flows"), i, flow)
    {
        json_object_del(flow, "duration");
        json_object_del(flow, "n_packets");
        json_object_del(flow, "n_bytes");
    }
    return 0;
}

char *ctl_out_flow_line_no_stats(const json_t *flow)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    if (!f)
        return NULL;
    fputc(' ', f);
    const json_t *cookie = json_object_get(flow, "cookie");
    if (json_is_string(cookie)) {
        const char *c = json_string_value(cookie);
        if (strtoull(c, NULL, 0) != 0)
            fprintf(f, "cookie=%s, ", c);
    } else if (dpo_int(flow, "cookie", 0)) {
        fprintf(f, "cookie=0x%llx, ", (unsigned long long)dpo_int(flow, "cookie", 0));
    }
    long long table = dpo_int(flow, "table", 0);
    if (table)
        fprintf(f, "table=%lld, ", table);
    long long idle = dpo_int(flow, "idle_timeout", 0), hard = dpo_int(flow, "hard_timeout", 0);
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

int ctl_out_dump_flows_any(FILE *out, const json_t *result, char *err, size_t errlen)
{
    const json_t *flows = json_object_get(result, "flows");
    if (!json_is_array(flows))
        return ctl_out_dump_flows(out, result, err, errlen); /* its message */
    size_t i;
    const json_t *flow;
    json_array_foreach(flows, i, flow)
    {
        if (!json_is_object(flow))
            return dpo_fail(err, errlen, -EPROTO, "dump-flows: flow %zu is not an object", i);
        bool stats = json_object_get(flow, "duration") || json_object_get(flow, "n_packets") ||
                     json_object_get(flow, "n_bytes");
        char *line = stats ? ctl_out_flow_line(flow) : ctl_out_flow_line_no_stats(flow);
        if (!line)
            return dpo_fail(err, errlen, -ENOMEM, "dump-flows: out of memory");
        fprintf(out, "%s\n", line);
        free(line);
    }
    return 0;
}
