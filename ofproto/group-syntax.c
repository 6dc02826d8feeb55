/* group-syntax.c — see group-syntax.h. The parsing follows ovs-ofctl's lib/ofp-group.c and
 * lib/ofp-meter.c rules (which tokens end a value, which defaults apply, in which order the
 * checks run) so that a string either tool accepts means the same to both; the code is our
 * own. */
#include "ofproto/group-syntax.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* ---------------------------------------------------------------------------------------
 * Small helpers: messages, output with snprintf semantics, numbers.
 */
__attribute__((format(printf, 3, 4))) static int gs_fail(char *err, size_t errlen, const char *fmt,
                                                         ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return -EINVAL;
}

struct gs_out {
    char *buf;
    size_t len;
    size_t n; /* what the whole text needs */
};

static void gs_out_init(struct gs_out *o, char *buf, size_t len)
{
    o->buf = buf;
    o->len = buf ? len : 0;
    o->n = 0;
    if (o->len)
        buf[0] = '\0';
}

__attribute__((format(printf, 2, 3))) static void gs_put(struct gs_out *o, const char *fmt, ...)
{
    size_t avail = o->n < o->len ? o->len - o->n : 0;
    va_list ap;
    va_start(ap, fmt);
    int r = vsnprintf(avail ? o->buf + o->n : NULL, avail, fmt, ap);
    va_end(ap);
    if (r > 0)
        o->n += (size_t)r;
}

static int gs_out_result(const struct gs_out *o)
{
    return o->n > (size_t)INT32_MAX ? INT32_MAX : (int)o->n;
}

/* A number as ovs-ofctl's str_to_u32/u16 take it: decimal, 0x hex or 0 octal, whole string,
 * no sign. */
static bool gs_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    if (!*s || *s == '-' || *s == '+')
        return false;
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 0);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

/* ---------------------------------------------------------------------------------------
 * ovs-ofctl's key/value splitting (ofputil_parse_key_value): items are separated by commas
 * and blanks; a key ends at one of ":=(, \t\r\n"; after ':' or '=' the value runs to the
 * next separator outside parentheses, after '(' to the matching ')'.
 */
struct gs_kv {
    char *key;   /* NUL-terminated in place */
    char *value; /* NUL-terminated in place; "" when none */
    char delim;  /* ':', '=', '(' or 0 */
};

static size_t gs_value_len(const char *s, const char *delims)
{
    size_t n = 0;
    while (!strchr(delims, s[n])) {
        if (s[n] == '(') {
            int level = 0;
            do {
                if (s[n] == '\0')
                    return n;
                if (s[n] == '(')
                    level++;
                else if (s[n] == ')')
                    level--;
                n++;
            } while (level > 0);
        } else {
            n++;
        }
    }
    return n;
}

static bool gs_next_kv(char **pos, struct gs_kv *kv)
{
    char *s = *pos + strspn(*pos, ", \t\r\n");
    if (!*s) {
        *pos = s;
        return false;
    }
    size_t klen = strcspn(s, ":=(, \t\r\n");
    char delim = s[klen];
    s[klen] = '\0';
    kv->key = s;
    kv->delim = delim;
    s += klen + (delim != '\0');
    if (delim != ':' && delim != '=' && delim != '(') {
        kv->value = kv->key + klen; /* empty */
        kv->delim = 0;
        *pos = s;
        return true;
    }
    size_t vlen = gs_value_len(s, delim == '(' ? ")" : ", \t\r\n");
    char vdelim = s[vlen];
    s[vlen] = '\0';
    kv->value = s;
    *pos = s + vlen + (vdelim != '\0');
    return true;
}

/* ---------------------------------------------------------------------------------------
 * Groups.
 */
static const char *const gs_group_types[] = {"all", "select", "indirect", "ff"};

/* A bucket (or a packet-out) has no match, so the
 * prerequisites the flow parser checks against a flow's match (set_field:...->ip_dst needs
 * "ip") cannot be met by the bucket itself; like ovs-ofctl we accept such actions: when the
 * plain parse fails, the list is parsed again behind each match shorthand that could satisfy
 * a prerequisite, and the first that works wins (the match only decides whether an action
 * is allowed, not what it is, except tp_src/tp_dst, which the shorthand order resolves to
 * TCP first as OVS's tp_* names do). The first error is the one reported. */
int gs_actions_parse(const char *text, const struct port_resolver *ports, struct dp_action *acts,
                     uint32_t *n_acts, char *err, size_t errlen)
{
    static const char *const prefixes[] = {
        "",
        "vlan_tci=0x1000/0x1000,",
        "ip,",
        "ipv6,",
        "tcp,",
        "udp,",
        "sctp,",
        "tcp6,",
        "udp6,",
        "sctp6,",
        "icmp,",
        "icmp6,",
        "arp,",
        "icmp6,icmp_type=135,",
        "icmp6,icmp_type=136,",
    };
    size_t tlen = strlen(text);
    char *flow = malloc(tlen + 64);
    struct flow_spec *spec = malloc(sizeof *spec);
    char first_err[256] = "";
    int rc = -EINVAL;
    if (!flow || !spec) {
        rc = gs_fail(err, errlen, "out of memory");
        goto out;
    }
    for (size_t i = 0; i < sizeof prefixes / sizeof prefixes[0]; i++) {
        char perr[256];
        snprintf(flow, tlen + 64, "%sactions=%s", prefixes[i], text);
        if (flow_spec_parse(flow, FLOW_PARSE_ADD, ports, spec, perr, sizeof perr) == 0) {
            rc = 0;
            break;
        }
        if (i == 0)
            snprintf(first_err, sizeof first_err, "%s", perr);
    }
    if (rc) {
        /* The flow parser names "actions=..." in its messages; a bucket's actions are
         * what the user typed after bucket=, so say so. */
        gs_fail(err, errlen, "%s", first_err);
        goto out;
    }
    if (spec->has_goto_table || spec->has_write_actions || spec->clear_actions ||
        spec->has_write_metadata || spec->meter_id) {
        rc = gs_fail(err, errlen,
                     "actions \"%s\": goto_table, write_actions, clear_actions, "
                     "write_metadata and meter are instructions, not actions (a group bucket or "
                     "a packet-out holds actions only)",
                     text);
        goto out;
    }
    *n_acts = spec->n_actions;
    memcpy(acts, spec->actions, spec->n_actions * sizeof acts[0]);
out:
    free(flow);
    free(spec);
    return rc;
}

/* One bucket: the text after "bucket=" up to the next "bucket=". */
static int gs_parse_bucket(char *s, uint8_t type, const struct port_resolver *ports,
                           struct ofp_bucket *b, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->weight = type == OFPGT_SELECT ? 1 : 0;
    b->watch_port = DP_OFPORT_ANY;
    b->watch_group = OFPG_ANY;

    /* The action items, re-joined with commas, in the order given. */
    size_t cap = strlen(s) + 2, n = 0;
    char *actions = malloc(cap);
    if (!actions)
        return gs_fail(err, errlen, "out of memory");
    actions[0] = '\0';
    int rc = 0;
    struct gs_kv kv;
    while (!rc && gs_next_kv(&s, &kv)) {
        uint64_t v;
        if (!strcasecmp(kv.key, "weight")) {
            if (!gs_parse_uint(kv.value, UINT16_MAX, &v))
                rc = gs_fail(err, errlen, "invalid weight \"%s\" (0 to 65535)", kv.value);
            else
                b->weight = (uint16_t)v;
        } else if (!strcasecmp(kv.key, "watch_port")) {
            uint32_t port;
            char perr[200];
            if (flow_parse_port(kv.value, ports, &port, perr, sizeof perr) ||
                (port >= DP_OFPORT_MAX && port != DP_OFPORT_ANY))
                rc = gs_fail(err, errlen, "%s: invalid watch_port", kv.value);
            else
                b->watch_port = port;
        } else if (!strcasecmp(kv.key, "watch_group")) {
            if (!gs_parse_uint(kv.value, UINT32_MAX, &v))
                rc = gs_fail(err, errlen, "invalid numeric format %s", kv.value);
            else if (v > OFPG_MAX)
                rc = gs_fail(err, errlen, "invalid watch_group id %" PRIu64, v);
            else
                b->watch_group = (uint32_t)v;
        } else if (!strcasecmp(kv.key, "bucket_id")) {
            rc = gs_fail(err, errlen,
                         "bucket_id=%s: bucket ids need OpenFlow 1.5 (sluice speaks OpenFlow "
                         "1.3)",
                         kv.value);
        } else {
            /* "actions=A" contributes A; any other item is itself an action, rebuilt as
             * the user wrote it (key, delimiter, value). */
            bool is_actions = !strcasecmp(kv.key, "action") || !strcasecmp(kv.key, "actions");
            int w;
            if (is_actions)
                w = snprintf(actions + n, cap - n, "%s,", kv.value);
            else if (kv.delim == '(')
                w = snprintf(actions + n, cap - n, "%s(%s),", kv.key, kv.value);
            else if (kv.delim)
                w = snprintf(actions + n, cap - n, "%s%c%s,", kv.key, kv.delim, kv.value);
            else
                w = snprintf(actions + n, cap - n, "%s,", kv.key);
            if (w < 0 || (size_t)w >= cap - n)
                rc = gs_fail(err, errlen, "bucket actions too long");
            else
                n += (size_t)w;
        }
    }
    if (!rc && n == 0)
        rc = gs_fail(err, errlen, "bucket must specify actions");
    if (!rc && type == OFPGT_FF && b->watch_port == DP_OFPORT_ANY && b->watch_group == OFPG_ANY)
        rc = gs_fail(err, errlen, "fast failover bucket requires watch_port or watch_group");
    if (!rc) {
        actions[n - 1] = '\0'; /* the last comma */
        rc = gs_actions_parse(actions, ports, b->actions, &b->n_actions, err, errlen);
    }
    free(actions);
    return rc;
}

int gs_group_id_parse(const char *text, uint32_t *group_id, char *err, size_t errlen)
{
    uint64_t v;
    if (!strcasecmp(text, "all"))
        *group_id = OFPG_ALL;
    else if (!strcasecmp(text, "any"))
        *group_id = OFPG_ANY;
    else if (gs_parse_uint(text, UINT32_MAX, &v))
        *group_id = (uint32_t)v;
    else
        return gs_fail(err, errlen, "%s is not a valid group ID (a 32-bit number, or ALL or ANY)",
                       text);
    return 0;
}

int gs_group_parse(const char *text, uint16_t command, const struct port_resolver *ports,
                   struct ofp_group_mod *gm, char *err, size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    memset(gm, 0, sizeof *gm);
    gm->command = command;
    gm->group.group_id = OFPG_ANY;
    if (command != OFPGC_ADD && command != OFPGC_MODIFY && command != OFPGC_DELETE)
        return gs_fail(err, errlen, "internal error: group command %u", command);
    if (!text)
        text = "";
    bool takes_buckets = command != OFPGC_DELETE;
    if (command == OFPGC_DELETE && !text[strspn(text, " \t\r\n")]) {
        gm->group.group_id = OFPG_ALL;
        return 0;
    }

    char *copy = strdup(text);
    if (!copy)
        return gs_fail(err, errlen, "out of memory");
    int rc = 0;
    /* Buckets are parsed last: the group type decides their defaults (weight). */
    char *bkt = strstr(copy, "bucket=");
    if (bkt) {
        if (!takes_buckets) {
            rc = gs_fail(err, errlen, "bucket is not needed");
            goto out;
        }
        *bkt = '\0';
    }
    bool had_type = false;
    char *pos = copy;
    struct gs_kv kv;
    while (!rc && gs_next_kv(&pos, &kv)) {
        uint64_t v;
        if (!strcmp(kv.key, "group_id")) {
            if (!strcmp(kv.value, "all"))
                gm->group.group_id = OFPG_ALL;
            else if (!gs_parse_uint(kv.value, UINT32_MAX, &v))
                rc = gs_fail(err, errlen, "invalid numeric format %s", kv.value);
            else if (v > OFPG_MAX && v != OFPG_ALL)
                rc = gs_fail(err, errlen, "invalid group id %" PRIu64, v);
            else
                gm->group.group_id = (uint32_t)v;
        } else if (!strcmp(kv.key, "type")) {
            if (!takes_buckets) {
                rc = gs_fail(err, errlen, "type is not needed");
            } else if (!strcmp(kv.value, "all")) {
                gm->group.type = OFPGT_ALL;
            } else if (!strcmp(kv.value, "select")) {
                gm->group.type = OFPGT_SELECT;
            } else if (!strcmp(kv.value, "indirect")) {
                gm->group.type = OFPGT_INDIRECT;
            } else if (!strcmp(kv.value, "ff") || !strcmp(kv.value, "fast_failover")) {
                gm->group.type = OFPGT_FF;
            } else {
                rc = gs_fail(err, errlen, "invalid group type %s", kv.value);
            }
            had_type = true;
        } else if (!strcmp(kv.key, "selection_method") ||
                   !strcmp(kv.key, "selection_method_param") || !strcmp(kv.key, "fields") ||
                   !strcmp(kv.key, "command_bucket_id")) {
            rc =
                gs_fail(err, errlen, "%s: needs OpenFlow 1.5 (sluice speaks OpenFlow 1.3)", kv.key);
        } else {
            rc = gs_fail(err, errlen, "unknown keyword %s", kv.key);
        }
    }
    if (rc)
        goto out;
    if (gm->group.group_id == OFPG_ANY) {
        rc = gs_fail(err, errlen, "must specify a group_id");
        goto out;
    }
    if (takes_buckets && !had_type) {
        rc = gs_fail(err, errlen, "must specify a type");
        goto out;
    }

    while (bkt) {
        char *start = bkt + strlen("bucket=");
        char *next = strstr(start, "bucket=");
        if (next)
            *next = '\0';
        if (gm->group.n_buckets == OFP_MAX_BUCKETS) {
            rc = gs_fail(err, errlen, "group %" PRIu32 ": more than %d buckets", gm->group.group_id,
                         OFP_MAX_BUCKETS);
            goto out;
        }
        struct ofp_bucket *b = &gm->group.buckets[gm->group.n_buckets];
        rc = gs_parse_bucket(start, gm->group.type, ports, b, err, errlen);
        if (rc)
            goto out;
        gm->group.n_buckets++;
        if (gm->group.type != OFPGT_SELECT && b->weight) {
            rc = gs_fail(err, errlen, "Only select groups can have bucket weights.");
            goto out;
        }
        bkt = next;
    }
    if (gm->group.type == OFPGT_INDIRECT && gm->group.n_buckets > 1)
        rc = gs_fail(err, errlen, "Indirect groups can have at most one bucket.");
out:
    free(copy);
    if (rc) {
        memset(gm, 0, sizeof *gm);
        gm->command = command;
    }
    return rc;
}

int gs_group_format(const struct ofp_group *g, const struct port_resolver *ports, char *buf,
                    size_t len)
{
    struct gs_out o;
    gs_out_init(&o, buf, len);
    gs_put(&o, "group_id=%" PRIu32 ",type=%s", g->group_id,
           g->type < 4 ? gs_group_types[g->type] : "unknown");
    uint32_t n = g->n_buckets < OFP_MAX_BUCKETS ? g->n_buckets : OFP_MAX_BUCKETS;
    for (uint32_t i = 0; i < n; i++) {
        const struct ofp_bucket *b = &g->buckets[i];
        gs_put(&o, ",bucket=");
        if (b->weight != (g->type == OFPGT_SELECT ? 1 : 0))
            gs_put(&o, "weight:%u,", b->weight);
        if (b->watch_port != DP_OFPORT_ANY) {
            char port[64];
            flow_format_port(b->watch_port, ports, port, sizeof port);
            gs_put(&o, "watch_port:%s,", port);
        }
        if (b->watch_group != OFPG_ANY)
            gs_put(&o, "watch_group:%" PRIu32 ",", b->watch_group);
        /* The flow formatter prints an apply-actions list; a bucket is one. */
        struct flow_spec *spec = calloc(1, sizeof *spec);
        if (!spec) {
            gs_put(&o, "actions=<out of memory>");
            continue;
        }
        spec->n_actions = b->n_actions < DP_MAX_ACTIONS ? b->n_actions : DP_MAX_ACTIONS;
        memcpy(spec->actions, b->actions, spec->n_actions * sizeof spec->actions[0]);
        int need = flow_spec_format_actions(spec, ports, NULL, 0);
        char *acts = malloc((size_t)need + 1);
        if (acts) {
            flow_spec_format_actions(spec, ports, acts, (size_t)need + 1);
            gs_put(&o, "actions=%s", acts);
            free(acts);
        } else {
            gs_put(&o, "actions=<out of memory>");
        }
        free(spec);
    }
    return gs_out_result(&o);
}

int gs_duration_format(uint32_t sec, uint32_t nsec, char *buf, size_t len)
{
    struct gs_out o;
    gs_out_init(&o, buf, len);
    gs_put(&o, "%" PRIu32, sec);
    if (nsec > 0) {
        uint32_t msec = nsec / 1000000;
        if (msec * 1000000 == nsec) {
            gs_put(&o, ".%03" PRIu32, msec);
        } else {
            char frac[16];
            snprintf(frac, sizeof frac, "%09" PRIu32, nsec);
            size_t l = strlen(frac);
            while (l > 0 && frac[l - 1] == '0')
                frac[--l] = '\0';
            gs_put(&o, ".%s", frac);
        }
    }
    gs_put(&o, "s");
    return gs_out_result(&o);
}

int gs_group_stats_format(const struct ofp_group_stats *gs, char *buf, size_t len)
{
    struct gs_out o;
    char dur[32];
    gs_out_init(&o, buf, len);
    gs_duration_format(gs->duration_sec, gs->duration_nsec, dur, sizeof dur);
    gs_put(&o, "group_id=%" PRIu32 ",", gs->group_id);
    /* OpenFlow 1.1's group stats had no duration; a decoder marks that with UINT32_MAX. */
    if (gs->duration_sec != UINT32_MAX)
        gs_put(&o, "duration=%s,", dur);
    gs_put(&o, "ref_count=%" PRIu32 ",packet_count=%" PRIu64 ",byte_count=%" PRIu64, gs->ref_count,
           gs->packet_count, gs->byte_count);
    uint32_t n = gs->n_buckets < OFP_MAX_BUCKETS ? gs->n_buckets : OFP_MAX_BUCKETS;
    for (uint32_t i = 0; i < n; i++)
        if (gs->buckets[i].packet_count != UINT64_MAX)
            gs_put(&o, ",bucket%" PRIu32 ":packet_count=%" PRIu64 ",byte_count=%" PRIu64, i,
                   gs->buckets[i].packet_count, gs->buckets[i].byte_count);
    return gs_out_result(&o);
}

/* ---------------------------------------------------------------------------------------
 * Meters.
 */
static void gs_put_meter_id(struct gs_out *o, uint32_t id, char sep)
{
    if (id <= OFPM_MAX) {
        gs_put(o, "meter%c%" PRIu32, sep, id);
        return;
    }
    const char *name = id == OFPM_SLOWPATH     ? "slowpath"
                       : id == OFPM_CONTROLLER ? "controller"
                       : id == OFPM_ALL        ? "all"
                                               : "unknown";
    gs_put(o, "meter%c%s", sep, name);
}

/* Splits like strtok_r over "=, \t\r\n" (a key) and ", \t\r\n" (its value), which is how
 * ovs-ofctl reads meters: "meter=1,kbps" and "meter=1 kbps" are the same. */
static char *gs_word(char **pos, const char *delims)
{
    char *s = *pos + strspn(*pos, delims);
    if (!*s) {
        *pos = s;
        return NULL;
    }
    size_t n = strcspn(s, delims);
    if (s[n]) {
        s[n] = '\0';
        *pos = s + n + 1;
    } else {
        *pos = s + n;
    }
    return s;
}

static int gs_parse_u32(const char *what, const char *s, uint32_t *out, char *err, size_t errlen)
{
    uint64_t v;
    if (!gs_parse_uint(s, UINT32_MAX, &v))
        return gs_fail(err, errlen, "%s: invalid numeric format %s", what, s);
    *out = (uint32_t)v;
    return 0;
}

static int gs_parse_bands(char *s, struct ofp_meter_config *mc, char *err, size_t errlen)
{
    struct ofp_meter_band *band = NULL;
    char *name;
    while ((name = gs_word(&s, "=, \t\r\n"))) {
        char *value = gs_word(&s, ", \t\r\n");
        if (!value)
            return gs_fail(err, errlen, "field %s missing value", name);
        if (!strcmp(name, "type")) {
            if (mc->n_bands == OFP_MAX_BANDS)
                return gs_fail(err, errlen, "meter %" PRIu32 ": more than %d bands", mc->meter_id,
                               OFP_MAX_BANDS);
            band = &mc->bands[mc->n_bands++];
            memset(band, 0, sizeof *band);
            if (!strcmp(value, "drop"))
                band->type = OFPMBT_DROP;
            else if (!strcmp(value, "dscp_remark"))
                return gs_fail(err, errlen,
                               "type=dscp_remark: sluice meters support drop bands only");
            else
                return gs_fail(err, errlen, "field %s unknown value %s", name, value);
        } else if (!band) {
            return gs_fail(err, errlen, "band must start with the 'type' keyword");
        } else if (!strcmp(name, "rate")) {
            if (gs_parse_u32("rate", value, &band->rate, err, errlen))
                return -EINVAL;
        } else if (!strcmp(name, "burst_size")) {
            if (gs_parse_u32("burst_size", value, &band->burst_size, err, errlen))
                return -EINVAL;
        } else if (!strcmp(name, "prec_level")) {
            return gs_fail(err, errlen,
                           "prec_level: only 'dscp_remark' band may have "
                           "'prec_level' (and sluice has no dscp_remark band)");
        } else {
            return gs_fail(err, errlen, "unknown keyword %s", name);
        }
    }
    if (!mc->n_bands)
        return gs_fail(err, errlen, "meter must have bands");
    for (uint32_t i = 0; i < mc->n_bands; i++) {
        const struct ofp_meter_band *b = &mc->bands[i];
        if (!b->rate)
            return gs_fail(err, errlen, "band must have 'rate'");
        if ((mc->flags & OFPMF_BURST) && !b->burst_size)
            return gs_fail(err, errlen, "band must have 'burst_size' when 'burst' flag is set");
        if (!(mc->flags & OFPMF_BURST) && b->burst_size)
            return gs_fail(err, errlen, "band may have 'burst_size' only when 'burst' flag is set");
    }
    return 0;
}

int gs_meter_parse(const char *text, int command, struct ofp_meter_mod *mm, char *err,
                   size_t errlen)
{
    if (err && errlen)
        err[0] = '\0';
    memset(mm, 0, sizeof *mm);
    bool full = command == OFPMC_ADD || command == OFPMC_MODIFY;
    if (!full && command != OFPMC_DELETE && command != GS_METER_ID_ONLY)
        return gs_fail(err, errlen, "internal error: meter command %d", command);
    if (command != GS_METER_ID_ONLY)
        mm->command = (uint16_t)command;
    if (!text)
        text = "";
    if (!full && !text[strspn(text, " \t\r\n")]) {
        mm->meter.meter_id = OFPM_ALL;
        return 0;
    }

    char *copy = strdup(text);
    if (!copy)
        return gs_fail(err, errlen, "out of memory");
    int rc = 0;
    char *bands = NULL;
    if (full) {
        /* As ovs-ofctl: the first "band" starts the bands, whatever follows it up to '='
         * ("band=" or "bands="). */
        char *b = strstr(copy, "band");
        char *eq = b ? strchr(b + 1, '=') : NULL;
        if (!eq) {
            rc = gs_fail(err, errlen, "must specify bands");
            goto out;
        }
        *b = '\0';
        bands = eq + 1;
    }
    char *pos = copy, *name;
    struct ofp_meter_config *mc = &mm->meter;
    while (!rc && (name = gs_word(&pos, "=, \t\r\n"))) {
        if (full && !strcmp(name, "kbps")) {
            mc->flags |= OFPMF_KBPS;
        } else if (full && !strcmp(name, "pktps")) {
            mc->flags |= OFPMF_PKTPS;
        } else if (full && !strcmp(name, "burst")) {
            mc->flags |= OFPMF_BURST;
        } else if (full && !strcmp(name, "stats")) {
            mc->flags |= OFPMF_STATS;
        } else {
            char *value = gs_word(&pos, ", \t\r\n");
            if (!value) {
                rc = gs_fail(err, errlen, "field %s missing value", name);
            } else if (strcmp(name, "meter")) {
                rc = gs_fail(err, errlen, "unknown keyword %s", name);
            } else if (!strcmp(value, "all")) {
                mc->meter_id = OFPM_ALL;
            } else if (!strcmp(value, "controller")) {
                mc->meter_id = OFPM_CONTROLLER;
            } else if (!strcmp(value, "slowpath")) {
                mc->meter_id = OFPM_SLOWPATH;
            } else {
                uint64_t v;
                if (!gs_parse_uint(value, UINT32_MAX, &v))
                    rc = gs_fail(err, errlen, "invalid numeric format %s", value);
                else if (v == 0 || v > OFPM_MAX)
                    rc = gs_fail(err, errlen, "invalid value for meter: %s (1 to %u)", value,
                                 OFPM_MAX);
                else
                    mc->meter_id = (uint32_t)v;
            }
        }
    }
    if (rc)
        goto out;
    if (!mc->meter_id) {
        rc = gs_fail(err, errlen, "must specify 'meter'");
        goto out;
    }
    if (full && !mc->flags) {
        rc = gs_fail(err, errlen, "meter must specify either 'kbps' or 'pktps'");
        goto out;
    }
    if (full && (mc->flags & OFPMF_KBPS) && (mc->flags & OFPMF_PKTPS)) {
        rc = gs_fail(err, errlen, "meter must specify either 'kbps' or 'pktps', not both");
        goto out;
    }
    if (full)
        rc = gs_parse_bands(bands, mc, err, errlen);
out:
    free(copy);
    if (rc) {
        memset(mm, 0, sizeof *mm);
        if (command != GS_METER_ID_ONLY)
            mm->command = (uint16_t)command;
    }
    return rc;
}

int gs_meter_config_format(const struct ofp_meter_config *mc, char *buf, size_t len)
{
    struct gs_out o;
    gs_out_init(&o, buf, len);
    gs_put_meter_id(&o, mc->meter_id, '=');
    gs_put(&o, " ");
    if (mc->flags & OFPMF_KBPS)
        gs_put(&o, "kbps ");
    if (mc->flags & OFPMF_PKTPS)
        gs_put(&o, "pktps ");
    if (mc->flags & OFPMF_BURST)
        gs_put(&o, "burst ");
    if (mc->flags & OFPMF_STATS)
        gs_put(&o, "stats ");
    uint16_t other = mc->flags & ~(OFPMF_KBPS | OFPMF_PKTPS | OFPMF_BURST | OFPMF_STATS);
    if (other)
        gs_put(&o, "flags:0x%" PRIx16 " ", other);
    gs_put(&o, "bands=");
    uint32_t n = mc->n_bands < OFP_MAX_BANDS ? mc->n_bands : OFP_MAX_BANDS;
    for (uint32_t i = 0; i < n; i++) {
        const struct ofp_meter_band *b = &mc->bands[i];
        if (b->type == OFPMBT_DROP)
            gs_put(&o, "\ntype=drop");
        else if (b->type == OFPMBT_DSCP_REMARK)
            gs_put(&o, "\ntype=dscp_remark");
        else
            gs_put(&o, "\ntype=%u", b->type);
        gs_put(&o, " rate=%" PRIu32, b->rate);
        if (mc->flags & OFPMF_BURST)
            gs_put(&o, " burst_size=%" PRIu32, b->burst_size);
    }
    gs_put(&o, "\n");
    return gs_out_result(&o);
}

int gs_meter_stats_format(const struct ofp_meter_stats *ms, char *buf, size_t len)
{
    struct gs_out o;
    char dur[32];
    gs_out_init(&o, buf, len);
    gs_duration_format(ms->duration_sec, ms->duration_nsec, dur, sizeof dur);
    gs_put_meter_id(&o, ms->meter_id, ':');
    gs_put(&o,
           " flow_count:%" PRIu32 " packet_in_count:%" PRIu64 " byte_in_count:%" PRIu64
           " duration:%s bands:\n",
           ms->flow_count, ms->packet_in_count, ms->byte_in_count, dur);
    uint32_t n = ms->n_bands < OFP_MAX_BANDS ? ms->n_bands : OFP_MAX_BANDS;
    for (uint32_t i = 0; i < n; i++)
        gs_put(&o, "%" PRIu32 ": packet_count:%" PRIu64 " byte_count:%" PRIu64 "\n", i,
               ms->bands[i].packet_band_count, ms->bands[i].byte_band_count);
    return gs_out_result(&o);
}
