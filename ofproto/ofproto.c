#include "ofproto/ofproto.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/meter.h"

static int check_actions(struct dp_bridge *br, const struct dp_action *a, uint32_t n,
                         struct ofp_err *e)
{
    for (uint32_t i = 0; i < n; i++) {
        /* Every reserved port but ANY is honoured (NORMAL: datapath/mac-learning.h; LOCAL:
         * the bridge's tap); 0 and ANY name no port at all. */
        if (a[i].type == DP_ACT_OUTPUT && (a[i].port == DP_OFPORT_ANY || a[i].port == 0))
            return ofp_fail(e, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT,
                            "output to port %s: not a port (0 and ANY cannot be output to)",
                            a[i].port ? "ANY" : "0");
        if (a[i].type == DP_ACT_GROUP && !id_table_get(br->groups, a[i].port))
            return ofp_fail(e, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP, "group %u does not exist",
                        a[i].port);
    }
    return 0;
}

int ofproto_validate(struct dp_bridge *br, const struct flow_spec *s, struct ofp_err *e)
{
    if (s->table_id >= DP_N_TABLES)
        return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
                    "table %u does not exist (tables 0 to %d)", s->table_id, DP_N_TABLES - 1);
    if (s->has_goto_table && (s->goto_table <= s->table_id || s->goto_table >= DP_N_TABLES))
        return ofp_fail(e, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
                    "goto_table:%u from table %u: must go to a later table, at most %d",
                    s->goto_table, s->table_id, DP_N_TABLES - 1);
    if (s->meter_id && !id_table_get(br->meters, s->meter_id))
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER, "meter %u does not exist",
                    s->meter_id);
    if (check_actions(br, s->actions, s->n_actions, e))
        return -1;
    return check_actions(br, s->write_actions, s->n_write_actions, e);
}

static struct rule *rule_from_spec(const struct flow_spec *s)
{
    struct rule *r = rule_create_full(&s->match, s->priority, s->actions, s->n_actions,
                                      s->write_actions, s->n_write_actions);
    if (!r)
        return NULL;
    r->cookie = s->cookie;
    r->idle_timeout = s->idle_timeout;
    r->hard_timeout = s->hard_timeout;
    r->flags = s->flags;
    r->table_id = s->table_id;
    r->goto_table = s->has_goto_table ? s->goto_table : RULE_NO_GOTO;
    r->clear_actions = s->clear_actions;
    r->has_write_actions = s->has_write_actions;
    r->meter_id = s->meter_id;
    if (s->has_write_metadata) {
        r->write_metadata = s->write_metadata;
        r->write_metadata_mask = s->write_metadata_mask;
    }
    return r;
}

void ofproto_rule_to_spec(const struct rule *r, struct flow_spec *s)
{
    flow_spec_init(s);
    s->match = r->match;
    s->table_id = r->table_id;
    s->table_given = true;
    s->priority = r->priority;
    s->priority_given = true;
    s->cookie = r->cookie;
    s->idle_timeout = r->idle_timeout;
    s->hard_timeout = r->hard_timeout;
    s->flags = r->flags;
    s->n_actions = r->n_actions;
    memcpy(s->actions, r->actions, r->n_actions * sizeof r->actions[0]);
    s->n_write_actions = r->n_write_actions;
    memcpy(s->write_actions, r->actions + r->n_actions,
           r->n_write_actions * sizeof r->actions[0]);
    s->has_write_actions = r->has_write_actions;
    s->clear_actions = r->clear_actions;
    s->has_goto_table = r->goto_table != RULE_NO_GOTO;
    s->goto_table = s->has_goto_table ? r->goto_table : 0;
    s->has_write_metadata = r->write_metadata_mask != 0;
    s->write_metadata = r->write_metadata;
    s->write_metadata_mask = r->write_metadata_mask;
    s->meter_id = r->meter_id;
}

static bool has_port(const struct dp_action *a, uint32_t n, uint32_t port)
{
    for (uint32_t i = 0; i < n; i++)
        if ((a[i].type == DP_ACT_OUTPUT && a[i].port == port) ||
            (a[i].type == DP_ACT_CONTROLLER && port == DP_OFPORT_CONTROLLER))
            return true;
    return false;
}

bool ofproto_rule_has_out_port(const struct rule *r, uint32_t port)
{
    return port == DP_OFPORT_ANY || has_port(r->actions, r->n_actions + r->n_write_actions, port);
}

bool ofproto_rule_has_out_group(const struct rule *r, uint32_t group)
{
    if (group == 0xffffffffu)
        return true;
    for (uint32_t i = 0; i < r->n_actions + r->n_write_actions; i++)
        if (r->actions[i].type == DP_ACT_GROUP && r->actions[i].port == group)
            return true;
    return false;
}

static void filter_from_spec(const struct flow_spec *s, bool strict, struct rule_filter *f)
{
    rule_filter_init_all(f);
    f->match = s->match;
    f->priority = s->priority;
    f->strict = strict;
    f->cookie = s->cookie;
    f->cookie_mask = s->cookie_mask;
    f->out_port = DP_OFPORT_ANY; /* checked below, together with controller and groups */
}

static bool selects(const struct rule_filter *f, const struct flow_spec *s, const struct rule *r)
{
    return rule_filter_selects(f, r) && ofproto_rule_has_out_port(r, s->out_port) &&
           ofproto_rule_has_out_group(r, s->out_group);
}

static bool all_tables(const struct flow_spec *s)
{
    return !s->table_given || s->table_id == OFPROTO_TABLE_ALL;
}

/* Lookup order: priority descending, then insertion. */
static int rule_order(const void *a, const void *b)
{
    const struct rule *x = *(const struct rule *const *)a, *y = *(const struct rule *const *)b;
    if (x->priority != y->priority)
        return x->priority > y->priority ? -1 : 1;
    return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* The rules of table t that `s` selects, in lookup order; *n set. NULL when none (or no
 * memory: then *n is SIZE_MAX). The caller frees the array. */
static struct rule **select_rules(struct dp_bridge *br, unsigned t, const struct flow_spec *s,
                                  const struct rule_filter *f, size_t *n)
{
    struct rule **sel = NULL;
    size_t cap = 0;
    struct cls_cursor c;
    *n = 0;
    flow_table_cursor_init(&c, br->tables[t], f);
    for (struct rule *r; (r = cls_cursor_next(&c));) {
        if (!selects(f, s, r))
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            struct rule **ns = realloc(sel, cap * sizeof *ns);
            if (!ns) {
                free(sel);
                *n = SIZE_MAX;
                return NULL;
            }
            sel = ns;
        }
        sel[(*n)++] = r;
    }
    if (*n > 1)
        qsort(sel, *n, sizeof *sel, rule_order);
    return sel;
}

void ofproto_for_each_rule(struct dp_bridge *br, const struct flow_spec *filter, bool strict,
                           ofproto_rule_visit *fn, void *aux)
{
    struct rule_filter f;
    filter_from_spec(filter, strict, &f);
    for (unsigned t = 0; t < DP_N_TABLES; t++) {
        if (!all_tables(filter) && t != filter->table_id)
            continue;
        if (!flow_table_count(br->tables[t]))
            continue;
        size_t n;
        struct rule **sel = select_rules(br, t, filter, &f, &n);
        for (size_t i = 0; sel && i < n; i++)
            fn(aux, t, sel[i]);
        free(sel);
    }
}

/* True when the two matches can both hit one packet: every field both constrain agrees. */
static bool matches_overlap(const struct flow_match *a, const struct flow_match *b)
{
    const uint64_t *va = (const uint64_t *)&a->value, *ma = (const uint64_t *)&a->mask;
    const uint64_t *vb = (const uint64_t *)&b->value, *mb = (const uint64_t *)&b->mask;
    for (size_t i = 0; i < FLOW_KEY_WORDS; i++)
        if ((va[i] ^ vb[i]) & ma[i] & mb[i])
            return false;
    return true;
}

static int flow_add(struct dp_bridge *br, const struct flow_spec *s, size_t *n_changed,
                    struct ofp_err *e)
{
    struct flow_table *rt = br->tables[s->table_id];
    if (s->flags & FLOW_SPEC_CHECK_OVERLAP) {
        struct flow_match norm = s->match;
        flow_match_normalize(&norm);
        struct cls_cursor c;
        flow_table_cursor_init(&c, rt, NULL);
        for (struct rule *r; (r = cls_cursor_next(&c));)
            if (r->priority == s->priority && !flow_match_equal(&r->match, &norm) &&
                matches_overlap(&r->match, &norm))
                return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_OVERLAP,
                            "flow overlaps an existing flow of priority %u in table %u",
                            s->priority, s->table_id);
    }
    struct rule *r = rule_from_spec(s);
    if (!r)
        return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, "out of memory");
    if (flow_table_insert(rt, r, !(s->flags & FLOW_SPEC_RESET_COUNTS)) < 0) {
        rule_free(r);
        return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_TABLE_FULL, "table %u is full",
                    s->table_id);
    }
    if (n_changed)
        (*n_changed)++;
    return 0;
}

/* MODIFY: replaces the instructions of every selected rule, keeping match, priority,
 * counters and timeouts (OpenFlow 1.3); with no rule selected, nothing happens (1.3 no
 * longer adds). */
static int flow_modify(struct dp_bridge *br, const struct flow_spec *s, bool strict,
                       size_t *n_changed, struct ofp_err *e)
{
    struct rule_filter f;
    filter_from_spec(s, strict, &f);
    for (unsigned t = 0; t < DP_N_TABLES; t++) {
        if (!all_tables(s) && t != s->table_id)
            continue;
        struct flow_table *rt = br->tables[t];
        if (!flow_table_count(rt))
            continue;
        size_t n;
        struct rule **sel = select_rules(br, t, s, &f, &n);
        if (n == SIZE_MAX)
            return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, "out of memory");
        for (size_t i = 0; i < n; i++) {
            struct flow_spec *ns = malloc(sizeof *ns);
            if (!ns) {
                free(sel);
                return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, "out of memory");
            }
            ofproto_rule_to_spec(sel[i], ns);
            ns->n_actions = s->n_actions;
            memcpy(ns->actions, s->actions, s->n_actions * sizeof s->actions[0]);
            ns->n_write_actions = s->n_write_actions;
            memcpy(ns->write_actions, s->write_actions,
                   s->n_write_actions * sizeof s->write_actions[0]);
            ns->has_write_actions = s->has_write_actions;
            ns->clear_actions = s->clear_actions;
            ns->has_goto_table = s->has_goto_table && s->goto_table > t;
            ns->goto_table = s->goto_table;
            ns->has_write_metadata = s->has_write_metadata;
            ns->write_metadata = s->write_metadata;
            ns->write_metadata_mask = s->write_metadata_mask;
            ns->meter_id = s->meter_id;
            ns->flags = (uint16_t)((sel[i]->flags & ~FLOW_SPEC_RESET_COUNTS) |
                                   (s->flags & FLOW_SPEC_RESET_COUNTS));
            struct rule *r = rule_from_spec(ns);
            free(ns);
            if (!r) {
                free(sel);
                return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, "out of memory");
            }
            r->created_ns = sel[i]->created_ns;
            if (flow_table_insert(rt, r, !(s->flags & FLOW_SPEC_RESET_COUNTS)) < 0) {
                rule_free(r);
                free(sel);
                return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_UNKNOWN, "out of memory");
            }
            if (n_changed)
                (*n_changed)++;
        }
        free(sel);
    }
    return 0;
}

static int flow_delete(struct dp_bridge *br, const struct flow_spec *s, bool strict,
                       ofproto_removed_cb *cb, void *aux, size_t *n_changed,
                       struct ofp_err *e)
{
    (void)e;
    struct rule_filter f;
    filter_from_spec(s, strict, &f);
    for (unsigned t = 0; t < DP_N_TABLES; t++) {
        if (!all_tables(s) && t != s->table_id)
            continue;
        struct flow_table *rt = br->tables[t];
        if (!flow_table_count(rt))
            continue;
        struct cls_cursor c;
        flow_table_cursor_init(&c, rt, &f);
        for (struct rule *r; (r = cls_cursor_next(&c));) {
            if (!selects(&f, s, r))
                continue;
            if (cb && (r->flags & FLOW_SPEC_SEND_FLOW_REM))
                cb(aux, br, r, 2 /* OFPRR_DELETE */);
            if (flow_table_remove(rt, r) == 0 && n_changed)
                (*n_changed)++;
        }
    }
    return 0;
}

int ofproto_flow_mod(struct dp_bridge *br, enum ofproto_flow_cmd cmd, const struct flow_spec *spec,
                     ofproto_removed_cb *removed_cb, void *aux, size_t *n_changed,
                     struct ofp_err *e)
{
    switch (cmd) {
    case OFPROTO_ADD:
        if (!spec->table_given && spec->table_id == OFPROTO_TABLE_ALL)
            return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_TABLE_ID,
                        "add needs one table, not all");
        if (ofproto_validate(br, spec, e))
            return -1;
        return flow_add(br, spec, n_changed, e);
    case OFPROTO_MODIFY:
    case OFPROTO_MODIFY_STRICT:
        if (ofproto_validate(br, spec, e))
            return -1;
        return flow_modify(br, spec, cmd == OFPROTO_MODIFY_STRICT, n_changed, e);
    case OFPROTO_DELETE:
    case OFPROTO_DELETE_STRICT:
        return flow_delete(br, spec, cmd == OFPROTO_DELETE_STRICT, removed_cb, aux, n_changed,
                           e);
    }
    return ofp_fail(e, OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND, "unknown flow-mod command %d",
                (int)cmd);
}

int ofproto_commit(struct dp_bridge *br)
{
    return dp_bridge_publish_rules(br);
}

size_t ofproto_expire(struct dp_bridge *br, uint64_t now, ofproto_removed_cb *cb, void *aux)
{
    size_t n = 0;
    for (unsigned t = 0; t < DP_N_TABLES; t++) {
        struct flow_table *rt = br->tables[t];
        if (!flow_table_count(rt))
            continue;
        struct cls_cursor c;
        flow_table_cursor_init(&c, rt, NULL);
        for (struct rule *r; (r = cls_cursor_next(&c));) {
            if (r->idle_timeout || r->hard_timeout) {
                uint64_t used = __atomic_load_n(&r->used_ns, __ATOMIC_RELAXED);
                if (used < r->created_ns)
                    used = r->created_ns;
                bool hard =
                    r->hard_timeout && now - r->created_ns >= r->hard_timeout * 1000000000ull;
                bool idle = r->idle_timeout && now - used >= r->idle_timeout * 1000000000ull;
                if (hard || idle) {
                    if (cb && (r->flags & FLOW_SPEC_SEND_FLOW_REM))
                        cb(aux, br, r, hard ? 1 : 0);
                    if (flow_table_remove(rt, r) == 0)
                        n++;
                }
            }
        }
    }
    if (n)
        ofproto_commit(br);
    return n;
}
