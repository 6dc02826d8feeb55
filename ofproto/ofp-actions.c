/* ofp-actions.c — OpenFlow 1.3 actions <-> struct dp_action, and instructions <-> the
 * instruction members of struct flow_spec.
 *
 * Every action is a multiple of 8 bytes; fixed-size actions must have exactly their size
 * (OFPBAC_BAD_LEN). OpenFlow 1.3 has no "set nw_ttl" OXM, so SET_NW_TTL maps to a set-field
 * of FF_NW_TTL and back; OUTPUT to CONTROLLER maps to DP_ACT_CONTROLLER so that the
 * datapath sees max_len where it needs it. */
#include <stdio.h>
#include <string.h>

#include "datapath/flow-field.h"
#include "ofproto/ofp-codec-priv.h"

#define OFP_ACTION_OUTPUT_LEN 16
#define OFP_ACTION_SHORT_LEN 8

static const char *action_type_name(uint16_t type)
{
    switch (type) {
    case OFPAT_OUTPUT:
        return "output";
    case OFPAT_COPY_TTL_OUT:
        return "copy_ttl_out";
    case OFPAT_COPY_TTL_IN:
        return "copy_ttl_in";
    case OFPAT_SET_MPLS_TTL:
        return "set_mpls_ttl";
    case OFPAT_DEC_MPLS_TTL:
        return "dec_mpls_ttl";
    case OFPAT_PUSH_VLAN:
        return "push_vlan";
    case OFPAT_POP_VLAN:
        return "pop_vlan";
    case OFPAT_PUSH_MPLS:
        return "push_mpls";
    case OFPAT_POP_MPLS:
        return "pop_mpls";
    case OFPAT_SET_QUEUE:
        return "set_queue";
    case OFPAT_GROUP:
        return "group";
    case OFPAT_SET_NW_TTL:
        return "set_nw_ttl";
    case OFPAT_DEC_NW_TTL:
        return "dec_nw_ttl";
    case OFPAT_SET_FIELD:
        return "set_field";
    case OFPAT_PUSH_PBB:
        return "push_pbb";
    case OFPAT_POP_PBB:
        return "pop_pbb";
    case OFPAT_EXPERIMENTER:
        return "experimenter";
    }
    return NULL;
}

static int expect_len(uint16_t type, uint16_t alen, uint16_t want, struct ofp_err *err)
{
    if (alen != want)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN, "%s: length %u, expected %u",
                        action_type_name(type), alen, want);
    return 0;
}

/* Decodes the one action at p[0..alen) (header already checked) into *act. */
static int action_decode(const uint8_t *p, uint16_t type, uint16_t alen, enum ofp_action_ctx ctx,
                         struct dp_action *act, struct ofp_err *err)
{
    char pbuf[16];
    int ret;
    memset(act, 0, sizeof *act);
    switch (type) {
    case OFPAT_OUTPUT: {
        if ((ret = expect_len(type, alen, OFP_ACTION_OUTPUT_LEN, err)))
            return ret;
        uint32_t port = get_be32(p + 4);
        uint16_t max_len = get_be16(p + 8);
        if (!ofp_port_is_output(port) || (port == DP_OFPORT_TABLE && ctx != OFP_ACTX_PACKET_OUT))
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT,
                            "output: port %s is not a valid output port%s",
                            ofp_port_str(port, pbuf),
                            port == DP_OFPORT_TABLE ? " outside packet_out" : "");
        if (port == DP_OFPORT_CONTROLLER) {
            act->type = DP_ACT_CONTROLLER;
            act->arg = max_len;
        } else {
            act->type = DP_ACT_OUTPUT;
        }
        act->port = port;
        return 0;
    }
    case OFPAT_GROUP: {
        if ((ret = expect_len(type, alen, OFP_ACTION_SHORT_LEN, err)))
            return ret;
        uint32_t group = get_be32(p + 4);
        if (group > OFPG_MAX)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP,
                            "group: group id 0x%08x is reserved (above OFPG_MAX)", group);
        act->type = DP_ACT_GROUP;
        act->port = group;
        return 0;
    }
    case OFPAT_PUSH_VLAN: {
        if ((ret = expect_len(type, alen, OFP_ACTION_SHORT_LEN, err)))
            return ret;
        uint16_t tpid = get_be16(p + 4);
        if (tpid != 0x8100 && tpid != 0x88a8)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT,
                            "push_vlan: ethertype 0x%04x is neither 0x8100 nor 0x88a8", tpid);
        act->type = DP_ACT_PUSH_VLAN;
        act->arg = tpid;
        return 0;
    }
    case OFPAT_POP_VLAN:
        if ((ret = expect_len(type, alen, OFP_ACTION_SHORT_LEN, err)))
            return ret;
        act->type = DP_ACT_POP_VLAN;
        return 0;
    case OFPAT_DEC_NW_TTL:
        if ((ret = expect_len(type, alen, OFP_ACTION_SHORT_LEN, err)))
            return ret;
        act->type = DP_ACT_DEC_TTL;
        return 0;
    case OFPAT_SET_NW_TTL:
        if ((ret = expect_len(type, alen, OFP_ACTION_SHORT_LEN, err)))
            return ret;
        act->type = DP_ACT_SET_FIELD;
        act->field = FF_NW_TTL;
        act->arg = p[4];
        return 0;
    case OFPAT_SET_FIELD: {
        size_t oxm_len;
        if ((ret = ofp_oxm_decode_set_field(p + 4, alen - 4u, act, &oxm_len, err)))
            return ret;
        if (pad8(4 + oxm_len) != alen)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_LEN,
                            "set_field: length %u, the OXM needs %zu", alen, pad8(4 + oxm_len));
        for (size_t i = 4 + oxm_len; i < alen; i++)
            if (p[i])
                return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                                "set_field: non-zero padding after the OXM");
        return 0;
    }
    case OFPAT_EXPERIMENTER:
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_EXPERIMENTER,
                        "experimenter 0x%08x: experimenter actions are not supported",
                        get_be32(p + 4));
    case OFPAT_COPY_TTL_OUT:
    case OFPAT_COPY_TTL_IN:
    case OFPAT_SET_MPLS_TTL:
    case OFPAT_DEC_MPLS_TTL:
    case OFPAT_PUSH_MPLS:
    case OFPAT_POP_MPLS:
    case OFPAT_SET_QUEUE:
    case OFPAT_PUSH_PBB:
    case OFPAT_POP_PBB:
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE,
                        "%s: action not supported by sluice", action_type_name(type));
    }
    return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE, "unknown action type %u", type);
}

int ofp_actions_decode(const uint8_t *p, size_t len, enum ofp_action_ctx ctx,
                       struct dp_action *acts, uint32_t *n_acts, struct ofp_err *err)
{
    size_t off = 0;
    uint32_t n = 0;
    *n_acts = 0;
    while (off < len) {
        if (len - off < 4)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
                            "action %u: %zu bytes left, less than a header", n, len - off);
        uint16_t type = get_be16(p + off), alen = get_be16(p + off + 2);
        if (alen < 8 || alen % 8 || alen > len - off)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_LEN,
                            "action %u (%s): length %u is not a multiple of 8 in 8..%zu", n,
                            action_type_name(type) ? action_type_name(type) : "unknown", alen,
                            len - off);
        if (n == DP_MAX_ACTIONS)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_TOO_MANY,
                            "more than %d actions in one list", DP_MAX_ACTIONS);
        int ret = action_decode(p + off, type, alen, ctx, &acts[n], err);
        if (ret)
            return ofp_err_prefix(err, ret, "action %u", n);
        n++;
        off += alen;
    }
    *n_acts = n;
    return 0;
}

static uint8_t *put_action(struct ofp_buf *b, uint16_t type, uint16_t len)
{
    uint8_t *p = ofp_buf_put(b, len);
    if (p) {
        set_be16(p, type);
        set_be16(p + 2, len);
    }
    return p;
}

static int action_encode(struct ofp_buf *b, const struct dp_action *a, struct ofp_err *err)
{
    char pbuf[16];
    uint8_t *p;
    switch (a->type) {
    case DP_ACT_OUTPUT:
    case DP_ACT_CONTROLLER: {
        uint32_t port = a->type == DP_ACT_CONTROLLER ? DP_OFPORT_CONTROLLER : a->port;
        if (!ofp_port_is_output(port))
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_PORT,
                                "output: port %s is not a valid output port",
                                ofp_port_str(port, pbuf));
        /* max_len only means something for the controller; ovs-ofctl sends 0 elsewhere. */
        uint64_t max_len = port == DP_OFPORT_CONTROLLER ? a->arg : 0;
        if (a->type == DP_ACT_OUTPUT && port == DP_OFPORT_CONTROLLER)
            max_len = OFPCML_NO_BUFFER;
        if (max_len > 0xffff)
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT,
                                "controller: max_len %llu exceeds 65535",
                                (unsigned long long)max_len);
        if (!(p = put_action(b, OFPAT_OUTPUT, OFP_ACTION_OUTPUT_LEN)))
            return -ENOMEM;
        set_be32(p + 4, port);
        set_be16(p + 8, (uint16_t)max_len);
        return 0;
    }
    case DP_ACT_GROUP:
        if (a->port > OFPG_MAX)
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_OUT_GROUP,
                                "group: group id 0x%08x is reserved", a->port);
        if (!(p = put_action(b, OFPAT_GROUP, OFP_ACTION_SHORT_LEN)))
            return -ENOMEM;
        set_be32(p + 4, a->port);
        return 0;
    case DP_ACT_PUSH_VLAN:
        if (a->arg != 0x8100 && a->arg != 0x88a8)
            return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT,
                                "push_vlan: ethertype 0x%llx is neither 0x8100 nor 0x88a8",
                                (unsigned long long)a->arg);
        if (!(p = put_action(b, OFPAT_PUSH_VLAN, OFP_ACTION_SHORT_LEN)))
            return -ENOMEM;
        set_be16(p + 4, (uint16_t)a->arg);
        return 0;
    case DP_ACT_POP_VLAN:
        return put_action(b, OFPAT_POP_VLAN, OFP_ACTION_SHORT_LEN) ? 0 : -ENOMEM;
    case DP_ACT_DEC_TTL:
        return put_action(b, OFPAT_DEC_NW_TTL, OFP_ACTION_SHORT_LEN) ? 0 : -ENOMEM;
    case DP_ACT_SET_VLAN_VID:
    case DP_ACT_SET_VLAN_PCP:
    case DP_ACT_SET_FIELD: {
        struct dp_action sf = *a;
        if (a->type == DP_ACT_SET_VLAN_VID) {
            if (a->arg > FLOW_VLAN_VID_MASK)
                return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT,
                                    "mod_vlan_vid: VID %llu exceeds 4095",
                                    (unsigned long long)a->arg);
            sf.type = DP_ACT_SET_FIELD;
            sf.field = FF_VLAN_VID;
            sf.arg = a->arg | OFPVID_PRESENT;
        } else if (a->type == DP_ACT_SET_VLAN_PCP) {
            sf.type = DP_ACT_SET_FIELD;
            sf.field = FF_VLAN_PCP;
        } else if (a->field == FF_NW_TTL) {
            if (a->arg > 0xff)
                return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_ARGUMENT,
                                    "set_nw_ttl: TTL %llu exceeds 255", (unsigned long long)a->arg);
            if (!(p = put_action(b, OFPAT_SET_NW_TTL, OFP_ACTION_SHORT_LEN)))
                return -ENOMEM;
            p[4] = (uint8_t)a->arg;
            return 0;
        }
        size_t start = b->len;
        if (!put_action(b, OFPAT_SET_FIELD, 4)) /* length patched below */
            return -ENOMEM;
        int ret = ofp_oxm_encode_set_field(b, &sf, err);
        if (ret) {
            ofp_buf_truncate(b, start);
            return ret;
        }
        size_t alen = pad8(b->len - start);
        if (!ofp_buf_put(b, alen - (b->len - start))) {
            ofp_buf_truncate(b, start);
            return -ENOMEM;
        }
        set_be16(b->data + start + 2, (uint16_t)alen);
        return 0;
    }
    }
    return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_BAD_TYPE,
                        "datapath action type %u has no OpenFlow 1.3 encoding", a->type);
}

int ofp_actions_encode(struct ofp_buf *b, const struct dp_action *acts, uint32_t n_acts,
                       struct ofp_err *err)
{
    size_t start = b->len;
    if (n_acts > DP_MAX_ACTIONS)
        return ofp_enc_fail(err, -EINVAL, OFPET_BAD_ACTION, OFPBAC_TOO_MANY,
                            "%u actions, at most %d", n_acts, DP_MAX_ACTIONS);
    for (uint32_t i = 0; i < n_acts; i++) {
        int ret = action_encode(b, &acts[i], err);
        if (ret) {
            ofp_buf_truncate(b, start);
            if (ret == -ENOMEM)
                return ofp_enc_fail(err, ret, OFPET_BAD_ACTION, OFPBAC_EPERM, "out of memory");
            return ofp_err_prefix(err, ret, "action %u", i);
        }
    }
    return 0;
}

/* ---------------------------------------------------------------------------------------
 * Instructions.
 */
#define OFP_INSTRUCTION_SHORT_LEN 8
#define OFP_INSTRUCTION_WRITE_METADATA_LEN 24

static const char *instruction_name(uint16_t type)
{
    switch (type) {
    case OFPIT_GOTO_TABLE:
        return "goto_table";
    case OFPIT_WRITE_METADATA:
        return "write_metadata";
    case OFPIT_WRITE_ACTIONS:
        return "write_actions";
    case OFPIT_APPLY_ACTIONS:
        return "apply_actions";
    case OFPIT_CLEAR_ACTIONS:
        return "clear_actions";
    case OFPIT_METER:
        return "meter";
    case OFPIT_EXPERIMENTER:
        return "experimenter";
    }
    return "unknown";
}

static int inst_expect_len(uint16_t type, uint16_t ilen, uint16_t want, struct ofp_err *err)
{
    if (ilen != want)
        return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "%s: length %u, expected %u",
                        instruction_name(type), ilen, want);
    return 0;
}

static int instruction_decode(const uint8_t *p, uint16_t type, uint16_t ilen,
                              struct flow_spec *spec, struct ofp_err *err)
{
    int ret;
    switch (type) {
    case OFPIT_GOTO_TABLE: {
        if ((ret = inst_expect_len(type, ilen, OFP_INSTRUCTION_SHORT_LEN, err)))
            return ret;
        uint8_t table = p[4];
        if (table > OFPTT_MAX)
            return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
                            "goto_table: table %u is not a table", table);
        if (spec->table_given && table <= spec->table_id)
            return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
                            "goto_table: table %u does not come after this flow's table %u", table,
                            spec->table_id);
        spec->has_goto_table = true;
        spec->goto_table = table;
        return 0;
    }
    case OFPIT_WRITE_METADATA:
        if ((ret = inst_expect_len(type, ilen, OFP_INSTRUCTION_WRITE_METADATA_LEN, err)))
            return ret;
        spec->has_write_metadata = true;
        spec->write_metadata = get_be64(p + 8);
        spec->write_metadata_mask = get_be64(p + 16);
        return 0;
    case OFPIT_WRITE_ACTIONS:
        spec->has_write_actions = true;
        return ofp_actions_decode(p + 8, ilen - 8u, OFP_ACTX_FLOW, spec->write_actions,
                                  &spec->n_write_actions, err);
    case OFPIT_APPLY_ACTIONS:
        return ofp_actions_decode(p + 8, ilen - 8u, OFP_ACTX_FLOW, spec->actions, &spec->n_actions,
                                  err);
    case OFPIT_CLEAR_ACTIONS:
        if ((ret = inst_expect_len(type, ilen, OFP_INSTRUCTION_SHORT_LEN, err)))
            return ret;
        spec->clear_actions = true;
        return 0;
    case OFPIT_METER: {
        if ((ret = inst_expect_len(type, ilen, OFP_INSTRUCTION_SHORT_LEN, err)))
            return ret;
        uint32_t meter = get_be32(p + 4);
        if (meter == 0 || (meter > OFPM_MAX && meter != OFPM_SLOWPATH && meter != OFPM_CONTROLLER))
            return ofp_fail(err, OFPET_METER_MOD_FAILED, OFPMMFC_INVALID_METER,
                            "meter: meter id 0x%08x is not a meter", meter);
        spec->meter_id = meter;
        return 0;
    }
    case OFPIT_EXPERIMENTER:
        return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_EXPERIMENTER,
                        "experimenter 0x%08x: experimenter instructions are not supported",
                        get_be32(p + 4));
    }
    return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNKNOWN_INST, "unknown instruction type %u",
                    type);
}

int ofp_instructions_decode(const uint8_t *p, size_t len, struct flow_spec *spec,
                            struct ofp_err *err)
{
    spec->n_actions = 0;
    spec->n_write_actions = 0;
    spec->has_write_actions = false;
    spec->clear_actions = false;
    spec->has_goto_table = false;
    spec->goto_table = 0;
    spec->has_write_metadata = false;
    spec->write_metadata = 0;
    spec->write_metadata_mask = 0;
    spec->meter_id = 0;

    uint32_t seen = 0;
    size_t off = 0;
    for (unsigned i = 0; off < len; i++) {
        if (len - off < 4)
            return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
                            "instruction %u: %zu bytes left, less than a header", i, len - off);
        uint16_t type = get_be16(p + off), ilen = get_be16(p + off + 2);
        if (ilen < 8 || ilen % 8 || ilen > len - off)
            return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN,
                            "instruction %u (%s): length %u is not a multiple of 8 in 8..%zu", i,
                            instruction_name(type), ilen, len - off);
        if (type >= OFPIT_GOTO_TABLE && type <= OFPIT_METER) {
            if (seen & (1u << type))
                return ofp_fail(err, OFPET_BAD_INSTRUCTION, OFPBIC_UNSUP_INST,
                                "instruction %u (%s): appears twice", i, instruction_name(type));
            seen |= 1u << type;
        }
        int ret = instruction_decode(p + off, type, ilen, spec, err);
        if (ret)
            return ofp_err_prefix(err, ret, "instruction %u (%s)", i, instruction_name(type));
        off += ilen;
    }
    return 0;
}

static uint8_t *put_instruction(struct ofp_buf *b, uint16_t type, uint16_t len)
{
    uint8_t *p = ofp_buf_put(b, len);
    if (p) {
        set_be16(p, type);
        set_be16(p + 2, len);
    }
    return p;
}

static int put_actions_instruction(struct ofp_buf *b, uint16_t type, const struct dp_action *acts,
                                   uint32_t n, struct ofp_err *err)
{
    size_t start = b->len;
    if (!put_instruction(b, type, OFP_INSTRUCTION_SHORT_LEN))
        return -ENOMEM;
    int ret = ofp_actions_encode(b, acts, n, err);
    if (ret) {
        ofp_buf_truncate(b, start);
        return ofp_err_prefix(err, ret, "%s", instruction_name(type));
    }
    size_t ilen = b->len - start;
    if (ilen > 0xffff) {
        ofp_buf_truncate(b, start);
        return ofp_enc_fail(err, -EMSGSIZE, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_LEN, "%s: %zu bytes",
                            instruction_name(type), ilen);
    }
    set_be16(b->data + start + 2, (uint16_t)ilen);
    return 0;
}

int ofp_instructions_encode(struct ofp_buf *b, const struct flow_spec *spec, struct ofp_err *err)
{
    size_t start = b->len;
    uint8_t *p;
    int ret = 0;

    if (spec->meter_id) {
        if (!(p = put_instruction(b, OFPIT_METER, OFP_INSTRUCTION_SHORT_LEN)))
            goto nomem;
        set_be32(p + 4, spec->meter_id);
    }
    if (spec->n_actions && (ret = put_actions_instruction(b, OFPIT_APPLY_ACTIONS, spec->actions,
                                                          spec->n_actions, err)))
        goto fail;
    if (spec->clear_actions && !put_instruction(b, OFPIT_CLEAR_ACTIONS, OFP_INSTRUCTION_SHORT_LEN))
        goto nomem;
    if (spec->has_write_actions &&
        (ret = put_actions_instruction(b, OFPIT_WRITE_ACTIONS, spec->write_actions,
                                       spec->n_write_actions, err)))
        goto fail;
    if (spec->has_write_metadata) {
        if (!(p = put_instruction(b, OFPIT_WRITE_METADATA, OFP_INSTRUCTION_WRITE_METADATA_LEN)))
            goto nomem;
        set_be64(p + 8, spec->write_metadata);
        set_be64(p + 16, spec->write_metadata_mask);
    }
    if (spec->has_goto_table) {
        if (spec->goto_table > OFPTT_MAX) {
            ret = ofp_enc_fail(err, -EINVAL, OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID,
                               "goto_table: table %u is not a table", spec->goto_table);
            goto fail;
        }
        if (!(p = put_instruction(b, OFPIT_GOTO_TABLE, OFP_INSTRUCTION_SHORT_LEN)))
            goto nomem;
        p[4] = spec->goto_table;
    }
    return 0;

nomem:
    ret = ofp_enc_fail(err, -ENOMEM, OFPET_BAD_INSTRUCTION, OFPBIC_EPERM, "out of memory");
fail:
    ofp_buf_truncate(b, start);
    return ret;
}

/* ---------------------------------------------------------------------------------------
 * Consistency of actions with the match (OpenFlow 1.3 7.2.3.6 and 7.2.5: a set-field needs
 * its field's prerequisites, which the match must guarantee).
 */
static int inconsistent(struct ofp_err *err, const char *list, uint32_t i, const char *what,
                        const char *needs)
{
    return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT,
                    "%s action %u (%s): needs a match on %s", list, i, what, needs);
}

static int check_action(const struct flow_match *m, const char *list, uint32_t i,
                        const struct dp_action *a, bool *vlan, struct ofp_err *err)
{
    switch (a->type) {
    case DP_ACT_PUSH_VLAN:
        *vlan = true;
        break;
    case DP_ACT_POP_VLAN:
        if (!*vlan)
            return inconsistent(err, list, i, "pop_vlan", "a VLAN (or an earlier push_vlan)");
        *vlan = false;
        break;
    case DP_ACT_DEC_TTL:
        if (!flow_match_has_prereq(m, FP_IP_ANY))
            return inconsistent(err, list, i, "dec_nw_ttl", "ip or ipv6");
        break;
    case DP_ACT_SET_VLAN_VID:
    case DP_ACT_SET_VLAN_PCP:
        if (!*vlan)
            return inconsistent(err, list, i, "set vlan", "a VLAN (or an earlier push_vlan)");
        break;
    case DP_ACT_SET_FIELD: {
        if (a->field >= FF_N_FIELDS)
            return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_BAD_SET_TYPE,
                            "%s action %u: set_field of unknown field %u", list, i, a->field);
        const struct flow_field *f = &flow_fields[a->field];
        if (f->id == FF_VLAN_VID || f->id == FF_VLAN_PCP) {
            if (!*vlan)
                return inconsistent(err, list, i, f->name, "a VLAN (or an earlier push_vlan)");
        } else if (!flow_match_has_prereq(m, f->prereq)) {
            return inconsistent(err, list, i, f->name, "the field's prerequisites");
        }
        break;
    }
    default:
        break;
    }
    return 0;
}

int ofp_check_actions_match(const struct flow_spec *spec, struct ofp_err *err)
{
    if (spec->n_actions > DP_MAX_ACTIONS || spec->n_write_actions > DP_MAX_ACTIONS)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_TOO_MANY,
                        "%u apply / %u write actions, at most %d each", spec->n_actions,
                        spec->n_write_actions, DP_MAX_ACTIONS);
    bool vlan = flow_match_has_prereq(&spec->match, FP_VLAN);
    int ret;
    for (uint32_t i = 0; i < spec->n_actions; i++)
        if ((ret = check_action(&spec->match, "apply_actions", i, &spec->actions[i], &vlan, err)))
            return ret;
    if (!spec->has_write_actions)
        return 0;
    /* An action set runs in the spec's fixed order (pop, push, ..., set), not list order. */
    bool has_push = false, has_pop = false;
    for (uint32_t i = 0; i < spec->n_write_actions; i++) {
        has_push = has_push || spec->write_actions[i].type == DP_ACT_PUSH_VLAN;
        has_pop = has_pop || spec->write_actions[i].type == DP_ACT_POP_VLAN;
    }
    if (has_pop && !vlan)
        return ofp_fail(err, OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT,
                        "write_actions: pop_vlan needs a match on a VLAN");
    bool set_vlan = has_push || (vlan && !has_pop);
    for (uint32_t i = 0; i < spec->n_write_actions; i++) {
        const struct dp_action *a = &spec->write_actions[i];
        if (a->type == DP_ACT_PUSH_VLAN || a->type == DP_ACT_POP_VLAN)
            continue;
        bool v = set_vlan;
        if ((ret = check_action(&spec->match, "write_actions", i, a, &v, err)))
            return ret;
    }
    return 0;
}
