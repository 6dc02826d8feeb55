/* of-groups.c — GROUP_MOD and METER_MOD: OpenFlow groups and meters become the datapath's
 * struct dp_group / struct dp_meter, published through the bridge's id tables.
 *
 * What is checked here (the codec already checked the wire form and the spec's own rules):
 *   - ADD of an existing id: OFPGMFC_GROUP_EXISTS / OFPMMFC_METER_EXISTS; MODIFY of a missing
 *     one: OFPGMFC_UNKNOWN_GROUP / OFPMMFC_UNKNOWN_METER; beyond OFC_MAX_GROUPS/METERS:
 *     OFPGMFC_OUT_OF_GROUPS / OFPMMFC_OUT_OF_METERS; virtual meters: OFPMMFC_INVALID_METER.
 *   - A bucket's group action must name an existing group (OFPBAC_BAD_OUT_GROUP, as for a
 *     flow's) and the chain of group actions must not come back to the group (OFPGMFC_LOOP);
 *     a watch_group must exist (OFPGMFC_BAD_WATCH); outputs follow ofproto_validate().
 *   - DELETE of a group another group forwards to: OFPGMFC_CHAINED_GROUP (unless that group
 *     goes too, as with OFPG_ALL). Deleting a missing id is no error.
 * Deleting a group or a meter deletes the flows that use it (OpenFlow 1.3 6.5, 6.6), with
 * FLOW_REMOVED reason GROUP_DELETE / METER_DELETE; the flow deletions are published before
 * the group or meter disappears. MODIFY keeps the counters and the age of the old object
 * (the bands' and buckets' own counters restart, as they may have changed). */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "control/of-handler.h"
#include "datapath/group.h"
#include "datapath/id-table.h"
#include "datapath/log.h"
#include "datapath/meter.h"


/* --- Chains ------------------------------------------------------------------------------ */

struct id_list {
    uint32_t *v;
    size_t n, cap;
};

static bool list_has(const struct id_list *l, uint32_t id)
{
    for (size_t i = 0; i < l->n; i++)
        if (l->v[i] == id)
            return true;
    return false;
}

static int list_push(struct id_list *l, uint32_t id)
{
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 16;
        uint32_t *nv = realloc(l->v, cap * sizeof *nv);
        if (!nv)
            return -ENOMEM;
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = id;
    return 0;
}

static int push_groups(struct id_list *stack, const struct dp_action *a, uint32_t n)
{
    for (uint32_t i = 0; i < n; i++)
        if (a[i].type == DP_ACT_GROUP && list_push(stack, a[i].port))
            return -ENOMEM;
    return 0;
}

int ofh_group_check_chain(const struct ofp_group *g, ofh_group_lookup *lookup, void *aux,
                          struct ofp_err *e)
{
    struct id_list stack = {0}, seen = {0};
    int rc = 0;
    for (uint32_t b = 0; b < g->n_buckets && !rc; b++)
        if (push_groups(&stack, g->buckets[b].actions, g->buckets[b].n_actions))
            rc = ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM, "group %u: out of memory",
                      g->group_id);
    /* Direct references must exist; then walk what they reach: coming back to g is a loop.
     * Existing groups are loop-free, so only paths back to g can cycle; `seen` bounds the
     * walk to each group once. */
    for (size_t i = 0; i < stack.n && !rc; i++) {
        uint32_t id = stack.v[i];
        if (id == g->group_id)
            rc = ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP,
                      "group %u: forwards to itself", g->group_id);
        else if (!lookup(aux, id))
            rc = ofp_fail(e, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP,
                      "group %u: a bucket forwards to group %u, which does not exist",
                      g->group_id, id);
    }
    while (stack.n && !rc) {
        uint32_t id = stack.v[--stack.n];
        if (id == g->group_id) {
            rc = ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_LOOP,
                      "group %u: its chain of group actions leads back to it", g->group_id);
            break;
        }
        if (list_has(&seen, id))
            continue;
        if (list_push(&seen, id)) {
            rc = ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM, "group %u: out of memory",
                      g->group_id);
            break;
        }
        const struct dp_group *dg = lookup(aux, id);
        for (uint32_t b = 0; dg && b < dg->n_buckets && !rc; b++)
            if (push_groups(&stack, dg->buckets[b].actions, dg->buckets[b].n_actions))
                rc = ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM, "group %u: out of memory",
                          g->group_id);
    }
    free(stack.v);
    free(seen.v);
    return rc;
}

static const struct dp_group *lookup_table(void *aux, uint32_t id)
{
    return id_table_get(aux, id);
}

/* --- Flow removal on group/meter delete --------------------------------------------------- */

static void removed_by_group(void *aux, struct dp_bridge *br, const struct rule *r,
                             uint8_t reason)
{
    (void)reason;
    ofc_flow_removed_cb(aux, br, r, OFPRR_GROUP_DELETE);
}

static void removed_by_meter(void *aux, struct dp_bridge *br, const struct rule *r,
                             uint8_t reason)
{
    (void)reason;
    ofc_flow_removed_cb(aux, br, r, OFPRR_METER_DELETE);
}

static struct flow_spec *all_flows(void)
{
    static struct flow_spec spec;
    flow_spec_init(&spec);
    spec.table_given = false;
    spec.table_id = OFPROTO_TABLE_ALL;
    return &spec;
}

static void delete_group_flows(struct ofbridge *ob, struct dp_bridge *br, uint32_t group_id)
{
    struct flow_spec *spec = all_flows();
    spec->out_group = group_id;
    struct ofp_err oe;
    size_t n = 0;
    if (ofproto_flow_mod(br, OFPROTO_DELETE, spec, removed_by_group, ob, &n, &oe))
        SLOG(ERR, "bridge %s: deleting the flows of group %u: %s", ob->name, group_id, oe.msg);
    if (n)
        ob->dirty = true;
}

struct meter_users {
    uint32_t meter_id;
    struct flow_spec *specs;
    size_t n, cap;
    bool nomem;
};

static void collect_meter_user(void *aux, unsigned table, const struct rule *r)
{
    struct meter_users *mu = aux;
    (void)table;
    if (r->meter_id != mu->meter_id || mu->nomem)
        return;
    if (mu->n == mu->cap) {
        size_t cap = mu->cap ? mu->cap * 2 : 8;
        struct flow_spec *ns = realloc(mu->specs, cap * sizeof *ns);
        if (!ns) {
            mu->nomem = true;
            return;
        }
        mu->specs = ns;
        mu->cap = cap;
    }
    ofproto_rule_to_spec(r, &mu->specs[mu->n++]);
}

static int delete_meter_flows(struct ofbridge *ob, struct dp_bridge *br, uint32_t meter_id,
                              struct ofp_err *e)
{
    struct meter_users mu = {.meter_id = meter_id};
    ofproto_for_each_rule(br, all_flows(), false, collect_meter_user, &mu);
    if (mu.nomem) {
        free(mu.specs);
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN,
                    "meter %u: out of memory finding its flows", meter_id);
    }
    for (size_t i = 0; i < mu.n; i++) {
        /* Strict: exactly that rule (match and priority are unique within a table). */
        struct flow_spec *s = &mu.specs[i];
        s->out_port = DP_OFPORT_ANY;
        s->out_group = OFPG_ANY;
        s->cookie_mask = 0;
        struct ofp_err oe;
        size_t n = 0;
        if (ofproto_flow_mod(br, OFPROTO_DELETE_STRICT, s, removed_by_meter, ob, &n, &oe))
            SLOG(ERR, "bridge %s: deleting a flow of meter %u: %s", ob->name, meter_id, oe.msg);
        if (n)
            ob->dirty = true;
    }
    free(mu.specs);
    return 0;
}

/* --- GROUP_MOD ------------------------------------------------------------------------------ */

static int check_buckets(struct dp_bridge *br, const struct ofp_group *g, struct ofp_err *e)
{
    if (ofh_group_check_chain(g, lookup_table, br->groups, e))
        return -1;
    static struct flow_spec spec;
    for (uint32_t b = 0; b < g->n_buckets; b++) {
        const struct ofp_bucket *bk = &g->buckets[b];
        if (bk->watch_group != OFPG_ANY &&
            (bk->watch_group == g->group_id || !id_table_get(br->groups, bk->watch_group)))
            return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH,
                        "group %u: bucket %u watches group %u, which %s", g->group_id, b + 1,
                        bk->watch_group,
                        bk->watch_group == g->group_id ? "is the group itself"
                                                       : "does not exist");
        flow_spec_init(&spec);
        spec.n_actions = bk->n_actions;
        memcpy(spec.actions, bk->actions, bk->n_actions * sizeof bk->actions[0]);
        struct ofp_err oe;
        if (ofproto_validate(br, &spec, &oe))
            return ofp_fail(e, oe.type, oe.code, "group %u: bucket %u: %s", g->group_id, b + 1,
                        oe.msg);
    }
    return 0;
}

static struct dp_group *group_build(const struct ofp_group *g, uint64_t now)
{
    struct dp_group *dg = dp_group_alloc(g->group_id, g->type, g->n_buckets);
    if (!dg)
        return NULL;
    dg->created_ns = now;
    for (uint32_t b = 0; b < g->n_buckets; b++) {
        const struct ofp_bucket *src = &g->buckets[b];
        struct dp_bucket *dst = &dg->buckets[b];
        dst->weight = src->weight;
        dst->watch_port = src->watch_port;   /* OFPP_ANY == DP_OFPORT_ANY */
        dst->watch_group = src->watch_group; /* OFPG_ANY == DP_GROUP_ANY */
        dst->n_actions = src->n_actions;
        memcpy(dst->actions, src->actions, src->n_actions * sizeof src->actions[0]);
    }
    return dg;
}

static int publish(struct id_table *t, const char *what, struct ofp_err *e, uint16_t type,
                   uint16_t code)
{
    if (id_table_publish(t))
        return ofp_fail(e, type, code, "%s: out of memory publishing", what);
    return 0;
}

/* Another group (not in `going`, when given) that forwards to `id`. */
static const struct dp_group *forwarder_of(struct dp_bridge *br, uint32_t id)
{
    size_t n = id_table_count(br->groups);
    for (size_t i = 0; i < n; i++) {
        const struct dp_group *o = id_table_at(br->groups, i);
        if (o->id == id)
            continue;
        for (uint32_t b = 0; b < o->n_buckets; b++)
            for (uint32_t a = 0; a < o->buckets[b].n_actions; a++)
                if (o->buckets[b].actions[a].type == DP_ACT_GROUP &&
                    o->buckets[b].actions[a].port == id)
                    return o;
    }
    return NULL;
}

static int group_delete(struct ofbridge *ob, struct dp_bridge *br, uint32_t id,
                        struct ofp_err *e)
{
    if (id == OFPG_ALL) {
        size_t n = id_table_count(br->groups);
        if (!n)
            return 0;
        for (size_t i = 0; i < n; i++)
            delete_group_flows(ob, br, ((const struct dp_group *)id_table_at(br->groups, i))->id);
        ofc_commit(ob);
        while (id_table_count(br->groups))
            id_table_remove(br->groups,
                            ((const struct dp_group *)id_table_at(br->groups, 0))->id);
        return publish(br->groups, "group delete", e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM);
    }
    if (!id_table_get(br->groups, id))
        return 0;
    const struct dp_group *fw = forwarder_of(br, id);
    if (fw)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_CHAINED_GROUP,
                    "group %u: group %u forwards to it (delete or change that one first)", id,
                    fw->id);
    delete_group_flows(ob, br, id);
    ofc_commit(ob);
    id_table_remove(br->groups, id);
    return publish(br->groups, "group delete", e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM);
}

int ofh_group_mod(struct ofbridge *ob, struct dp_bridge *br, const struct ofp_group_mod *gm,
                  struct ofp_err *e)
{
    const struct ofp_group *g = &gm->group;
    if (gm->command == OFPGC_DELETE)
        return group_delete(ob, br, g->group_id, e);
    struct dp_group *old = id_table_get(br->groups, g->group_id);
    if (gm->command == OFPGC_ADD && old)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_GROUP_EXISTS, "group %u already exists",
                    g->group_id);
    if (gm->command == OFPGC_MODIFY && !old)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_UNKNOWN_GROUP, "group %u does not exist",
                    g->group_id);
    if (gm->command != OFPGC_ADD && gm->command != OFPGC_MODIFY)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_COMMAND, "group_mod: command %u",
                    gm->command);
    if (!old && id_table_count(br->groups) >= OFC_MAX_GROUPS)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS,
                    "group %u: bridge %s already has %d groups", g->group_id, ob->name,
                    OFC_MAX_GROUPS);
    if (g->n_buckets > DP_GROUP_MAX_BUCKETS)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_BUCKETS,
                    "group %u: %u buckets, at most %d", g->group_id, g->n_buckets,
                    DP_GROUP_MAX_BUCKETS);
    if (check_buckets(br, g, e))
        return -1;
    struct dp_group *dg = group_build(g, ofc_now_ns());
    if (!dg)
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM, "group %u: out of memory",
                    g->group_id);
    if (old) {
        dg->created_ns = old->created_ns;
        dg->n_packets = __atomic_load_n(&old->n_packets, __ATOMIC_RELAXED);
        dg->n_bytes = __atomic_load_n(&old->n_bytes, __ATOMIC_RELAXED);
    }
    if (id_table_put(br->groups, dg) == (void *)-1) {
        dp_group_free(dg);
        return ofp_fail(e, OFPET_GROUP_MOD_FAILED, OFPGMFC_OUT_OF_GROUPS,
                    "group %u: out of memory", g->group_id);
    }
    return publish(br->groups, "group_mod", e, OFPET_GROUP_MOD_FAILED, OFPGMFC_EPERM);
}

/* --- METER_MOD ------------------------------------------------------------------------------ */

static struct dp_meter *meter_build(const struct ofp_meter_config *mc, uint64_t now)
{
    struct dp_meter *m = dp_meter_alloc(mc->meter_id, mc->flags, mc->n_bands);
    if (!m)
        return NULL;
    for (uint32_t i = 0; i < mc->n_bands; i++) {
        m->bands[i].type = mc->bands[i].type;
        m->bands[i].rate = mc->bands[i].rate;
        m->bands[i].burst_size = mc->bands[i].burst_size;
    }
    m->created_ns = now;
    dp_meter_init_buckets(m, now);
    return m;
}

static int meter_delete(struct ofbridge *ob, struct dp_bridge *br, uint32_t id,
                        struct ofp_err *e)
{
    if (id == OFPM_ALL) {
        size_t n = id_table_count(br->meters);
        if (!n)
            return 0;
        for (size_t i = 0; i < n; i++)
            if (delete_meter_flows(ob, br, ((const struct dp_meter *)id_table_at(br->meters, i))->id,
                                   e))
                return -1;
        ofc_commit(ob);
        while (id_table_count(br->meters))
            id_table_remove(br->meters,
                            ((const struct dp_meter *)id_table_at(br->meters, 0))->id);
        return publish(br->meters, "meter delete", e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN);
    }
    if (!id_table_get(br->meters, id))
        return 0;
    if (delete_meter_flows(ob, br, id, e))
        return -1;
    ofc_commit(ob);
    id_table_remove(br->meters, id);
    return publish(br->meters, "meter delete", e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN);
}

int ofh_meter_mod(struct ofbridge *ob, struct dp_bridge *br, const struct ofp_meter_mod *mm,
                  struct ofp_err *e)
{
    const struct ofp_meter_config *mc = &mm->meter;
    if (mm->command == OFPMC_DELETE)
        return meter_delete(ob, br, mc->meter_id, e);
    if (mc->meter_id == 0 || mc->meter_id > OFPM_MAX)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER,
                    "meter %u: sluice has no virtual meters (ids 1 to %u)", mc->meter_id,
                    OFPM_MAX);
    struct dp_meter *old = id_table_get(br->meters, mc->meter_id);
    if (mm->command == OFPMC_ADD && old)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_METER_EXISTS, "meter %u already exists",
                    mc->meter_id);
    if (mm->command == OFPMC_MODIFY && !old)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN_METER, "meter %u does not exist",
                    mc->meter_id);
    if (mm->command != OFPMC_ADD && mm->command != OFPMC_MODIFY)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_COMMAND, "meter_mod: command %u",
                    mm->command);
    if (!old && id_table_count(br->meters) >= OFC_MAX_METERS)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS,
                    "meter %u: bridge %s already has %d meters", mc->meter_id, ob->name,
                    OFC_MAX_METERS);
    if (mc->n_bands > DP_METER_MAX_BANDS)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_BANDS,
                    "meter %u: %u bands, at most %d", mc->meter_id, mc->n_bands,
                    DP_METER_MAX_BANDS);
    for (uint32_t i = 0; i < mc->n_bands; i++)
        if (mc->bands[i].type != OFPMBT_DROP)
            return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND,
                        "meter %u: band %u: only drop bands are supported", mc->meter_id,
                        i + 1);
    struct dp_meter *m = meter_build(mc, ofc_now_ns());
    if (!m)
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN, "meter %u: out of memory",
                    mc->meter_id);
    if (old) {
        m->created_ns = old->created_ns;
        m->n_packets = __atomic_load_n(&old->n_packets, __ATOMIC_RELAXED);
        m->n_bytes = __atomic_load_n(&old->n_bytes, __ATOMIC_RELAXED);
    }
    if (id_table_put(br->meters, m) == (void *)-1) {
        dp_meter_free(m);
        return ofp_fail(e, OFPET_METER_MOD_FAILED, OFPMMFC_OUT_OF_METERS, "meter %u: out of memory",
                    mc->meter_id);
    }
    return publish(br->meters, "meter_mod", e, OFPET_METER_MOD_FAILED, OFPMMFC_UNKNOWN);
}
