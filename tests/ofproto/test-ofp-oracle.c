/* test-ofp-oracle.c — what sluice encodes, read back by Open vSwitch.
 *
 * Each message is built from host structs by the codec and handed to
 * `ovs-ofctl ofp-print HEX`, OVS's own decoder; its text must say what we meant (the
 * strings below are ovs-ofctl 3.1's wording) and must not report a decode error. The test
 * is skipped when ovs-ofctl is not installed (it is part of openvswitch-common, which the
 * project's install script provides). */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datapath/flow-field.h"
#include "ofproto/ofp-msgs.h"

static const char *ofctl_path(void)
{
    static const char *const paths[] = {"/usr/bin/ovs-ofctl", "/usr/local/bin/ovs-ofctl"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++)
        if (access(paths[i], X_OK) == 0)
            return paths[i];
    return NULL;
}

/* Runs ovs-ofctl ofp-print on bytes [0, len) and returns its output (static buffer). */
static const char *ofp_print(const uint8_t *data, size_t len)
{
    static char out[1 << 20];
    char *cmd = malloc(len * 2 + 128);
    assert_non_null(cmd);
    int n = snprintf(cmd, 128, "%s ofp-print ", ofctl_path());
    for (size_t i = 0; i < len; i++)
        n += sprintf(cmd + n, "%02x", data[i]);
    strcpy(cmd + n, " 2>&1");
    FILE *f = popen(cmd, "r");
    assert_non_null(f);
    size_t got = fread(out, 1, sizeof out - 1, f);
    out[got] = 0;
    pclose(f);
    free(cmd);
    return out;
}

/* Prints `b` message by message and checks each expected string appears, in order. */
static void expect_print(const struct ofp_buf *b, const char *const *want, size_t n_want)
{
    static char all[1 << 21];
    all[0] = 0;
    size_t used = 0;
    for (size_t off = 0; off < b->len;) {
        int len = ofp_msg_length(b->data + off, b->len - off, NULL);
        assert_true(len >= 8);
        const char *text = ofp_print(b->data + off, (size_t)len);
        size_t tl = strlen(text);
        assert_true(used + tl < sizeof all);
        memcpy(all + used, text, tl + 1);
        used += tl;
        off += (size_t)len;
    }
    /* ("***truncated to 64 bytes***" in an ERROR's echoed request is expected.) */
    if (strstr(all, "decode error") || strstr(all, "parse error") || strstr(all, "bad reply"))
        fail_msg("ovs-ofctl could not decode:\n%s", all);
    const char *at = all;
    for (size_t i = 0; i < n_want; i++) {
        const char *hit = strstr(at, want[i]);
        if (!hit)
            fail_msg("ovs-ofctl output lacks \"%s\":\n%s", want[i], all);
        at = hit + strlen(want[i]);
    }
}

#define EXPECT(b, ...)                                                                             \
    do {                                                                                           \
        static const char *const want_[] = {__VA_ARGS__};                                          \
        expect_print(b, want_, sizeof want_ / sizeof want_[0]);                                    \
    } while (0)

static int setup(void **state)
{
    (void)state;
    if (!ofctl_path()) {
        fprintf(stderr, "ovs-ofctl not installed: skipping\n");
        return 0;
    }
    return 0;
}

#define NEED_OFCTL()                                                                               \
    do {                                                                                           \
        if (!ofctl_path())                                                                         \
            skip();                                                                                \
    } while (0)

static void exact(struct flow_match *m, enum flow_field_id id, uint64_t v)
{
    const struct flow_field *f = &flow_fields[id];
    flow_match_set_field(m, f, v, f->bits >> f->shift);
}

static struct ofp_msg *new_msg(uint8_t type, uint32_t xid)
{
    struct ofp_msg *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->h.type = type;
    m->h.xid = xid;
    return m;
}

static void encode(struct ofp_buf *b, const struct ofp_msg *m)
{
    struct ofp_err err;
    ofp_buf_clear(b);
    if (ofp_encode(b, m, &err))
        fail_msg("encode %s: %s", ofp_type_name(m->h.type), err.msg);
}

static void test_flow_mods(void **state)
{
    (void)state;
    NEED_OFCTL();
    struct ofp_buf b;
    ofp_buf_init(&b);
    struct ofp_msg *m = new_msg(OFPT_FLOW_MOD, 7);
    struct flow_spec *s = &m->flow_mod.spec;
    m->flow_mod.command = OFPFC_ADD;
    m->flow_mod.buffer_id = OFP_NO_BUFFER;
    s->priority = 100;
    s->table_id = 2;
    s->table_given = true;
    s->cookie = 0x77;
    s->idle_timeout = 30;
    s->flags = FLOW_SPEC_SEND_FLOW_REM | FLOW_SPEC_CHECK_OVERLAP;
    s->out_port = DP_OFPORT_ANY;
    s->out_group = OFPG_ANY;
    exact(&s->match, FF_IN_PORT, 3);
    exact(&s->match, FF_ETH_TYPE, 0x0800);
    exact(&s->match, FF_IP_PROTO, 6);
    flow_match_set_field(&s->match, &flow_fields[FF_IPV4_DST], 0x0a000000, 0xffffff00);
    exact(&s->match, FF_TCP_DST, 80);
    s->n_actions = 5;
    s->actions[0] = (struct dp_action){.type = DP_ACT_PUSH_VLAN, .arg = 0x8100};
    s->actions[1] = (struct dp_action){.type = DP_ACT_SET_VLAN_VID, .arg = 100};
    s->actions[2] =
        (struct dp_action){.type = DP_ACT_SET_FIELD, .field = FF_IPV4_SRC, .arg = 0xc0a80001};
    s->actions[3] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = 2};
    s->actions[4] = (struct dp_action){.type = DP_ACT_CONTROLLER, .arg = 128};
    s->has_goto_table = true;
    s->goto_table = 9;
    s->meter_id = 4;
    s->has_write_metadata = true;
    s->write_metadata = 0x10;
    s->write_metadata_mask = 0xf0;
    s->has_write_actions = true;
    s->n_write_actions = 2;
    s->write_actions[0] = (struct dp_action){.type = DP_ACT_GROUP, .port = 5};
    s->write_actions[1] =
        (struct dp_action){.type = DP_ACT_SET_FIELD, .field = FF_NW_TTL, .arg = 9};
    s->clear_actions = true;
    encode(&b, m);
    EXPECT(&b, "OFPT_FLOW_MOD (OF1.3) (xid=0x7): ADD table:2 priority=100,tcp,in_port=3,"
               "nw_dst=10.0.0.0/24,tp_dst=80 cookie:0x77 idle:30 "
               "send_flow_rem check_overlap actions=meter:4,push_vlan:0x8100,"
               "set_field:4196->vlan_vid,set_field:192.168.0.1->ip_src,output:2,"
               "CONTROLLER:128,clear_actions,write_actions(group:5,mod_nw_ttl:9),"
               "write_metadata:0x10/0xf0,goto_table:9");

    memset(s, 0, sizeof *s);
    m->flow_mod.command = OFPFC_DELETE_STRICT;
    s->priority = 5;
    s->out_port = 4;
    s->out_group = 6;
    s->cookie = 0x10;
    s->cookie_mask = 0xf0;
    exact(&s->match, FF_ETH_TYPE, 0x86dd);
    exact(&s->match, FF_IP_PROTO, 58);
    exact(&s->match, FF_ICMPV6_TYPE, 135);
    static const uint8_t target[16] = {0xfe, 0x80, [15] = 1};
    static const uint8_t ones[16] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
                                     0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
    flow_match_set_field_bytes(&s->match, &flow_fields[FF_ND_TARGET], target, ones);
    exact(&s->match, FF_ND_SLL, 0x0000000000aaull);
    encode(&b, m);
    EXPECT(&b, "DEL_STRICT table:255 priority=5,icmp6,icmp_type=135,nd_target=fe80::1,"
               "nd_sll=00:00:00:00:00:aa cookie:0x10/0xf0 out_port:4 actions=drop");
    /* No table given on a delete: every table. */
    assert_int_equal(b.data[24], OFPTT_ALL);

    memset(s, 0, sizeof *s);
    m->flow_mod.command = OFPFC_MODIFY;
    s->out_port = DP_OFPORT_ANY;
    s->out_group = OFPG_ANY;
    s->priority = OFP_DEFAULT_PRIORITY;
    flow_match_set_field(&s->match, &flow_fields[FF_VLAN_VID], 0x1000, 0x1000);
    exact(&s->match, FF_VLAN_PCP, 5);
    flow_match_set_field(&s->match, &flow_fields[FF_ETH_DST], 0x010000000000ull, 0x010000000000ull);
    flow_match_set_field(&s->match, &flow_fields[FF_TUN_ID], 0x1200, 0xff00);
    flow_match_set_field(&s->match, &flow_fields[FF_METADATA], 1, 1);
    s->n_actions = 2;
    s->actions[0] = (struct dp_action){.type = DP_ACT_POP_VLAN};
    s->actions[1] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = DP_OFPORT_NORMAL};
    encode(&b, m);
    EXPECT(&b, "MOD tun_id=0x1200/0xff00,metadata=0x1/0x1,dl_vlan_pcp=5,"
               "dl_dst=01:00:00:00:00:00/01:00:00:00:00:00 actions=pop_vlan,NORMAL");
    ofp_buf_uninit(&b);
    free(m);
}

static void test_async_messages(void **state)
{
    (void)state;
    NEED_OFCTL();
    struct ofp_buf b;
    ofp_buf_init(&b);
    static const uint8_t pkt[] = {0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x00, 0x01, 0x02, 0x03, 0x04,
                                  0x05, 0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01,
                                  0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x0a, 0x00, 0x00, 0x01, 0x00,
                                  0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x00, 0x00, 0x02};
    struct ofp_msg *m = new_msg(OFPT_PACKET_IN, 0);
    m->packet_in = (struct ofp_packet_in){.buffer_id = OFP_NO_BUFFER,
                                          .total_len = sizeof pkt,
                                          .reason = OFPR_ACTION,
                                          .table_id = 3,
                                          .cookie = 0xabc,
                                          .data = pkt,
                                          .data_len = sizeof pkt};
    exact(&m->packet_in.match, FF_IN_PORT, 7);
    flow_match_set_field(&m->packet_in.match, &flow_fields[FF_METADATA], 0x55, ~0ull);
    encode(&b, m);
    EXPECT(&b,
           "OFPT_PACKET_IN (OF1.3) (xid=0x0): table_id=3 cookie=0xabc total_len=42 "
           "metadata=0x55,in_port=7 (via action) data_len=42 (unbuffered)",
           "arp,vlan_tci=0x0000,dl_src=00:01:02:03:04:05,dl_dst=00:0a:0b:0c:0d:0e,"
           "arp_spa=10.0.0.1,arp_tpa=10.0.0.2,arp_op=1");

    free(m);
    m = new_msg(OFPT_FLOW_REMOVED, 0);
    m->flow_removed = (struct ofp_flow_removed){.cookie = 0xabc,
                                                .priority = 70,
                                                .reason = OFPRR_HARD_TIMEOUT,
                                                .table_id = 1,
                                                .duration_sec = 1,
                                                .duration_nsec = 500000000,
                                                .hard_timeout = 1,
                                                .packet_count = 2,
                                                .byte_count = 128};
    exact(&m->flow_removed.match, FF_ETH_TYPE, 0x0800);
    exact(&m->flow_removed.match, FF_IP_PROTO, 1);
    encode(&b, m);
    EXPECT(&b, "OFPT_FLOW_REMOVED (OF1.3) (xid=0x0): priority=70,icmp reason=hard table_id=1 "
               "cookie:0xabc duration1.500s idle0 hard1 pkts2 bytes128");

    free(m);
    m = new_msg(OFPT_PORT_STATUS, 0);
    m->port_status.reason = OFPPR_ADD;
    m->port_status.desc = (struct ofp_port){.port_no = 3,
                                            .hw_addr = {0x02, 0, 0, 0, 0, 3},
                                            .name = "vm1",
                                            .config = OFPPC_NO_PACKET_IN,
                                            .state = OFPPS_LIVE,
                                            .curr = OFPPF_10GB_FD | OFPPF_COPPER,
                                            .curr_speed = 10000000,
                                            .max_speed = 10000000};
    encode(&b, m);
    EXPECT(&b, "OFPT_PORT_STATUS (OF1.3) (xid=0x0): ADD: 3(vm1): addr:02:00:00:00:00:03",
           "config:     NO_PACKET_IN", "state:      LIVE", "current:    10GB-FD COPPER",
           "speed: 10000 Mbps now, 10000 Mbps max");
    ofp_buf_uninit(&b);
    free(m);
}

static void test_controller_messages(void **state)
{
    (void)state;
    NEED_OFCTL();
    struct ofp_buf b;
    ofp_buf_init(&b);
    static const uint8_t pkt[14] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0,
                                    1,    2,    3,    4,    5,    0x88, 0xcc};
    struct ofp_msg *m = new_msg(OFPT_PACKET_OUT, 2);
    m->packet_out = (struct ofp_packet_out){.buffer_id = OFP_NO_BUFFER,
                                            .in_port = DP_OFPORT_CONTROLLER,
                                            .n_actions = 2,
                                            .data = pkt,
                                            .data_len = sizeof pkt};
    m->packet_out.actions[0] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = DP_OFPORT_TABLE};
    m->packet_out.actions[1] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = DP_OFPORT_FLOOD};
    encode(&b, m);
    EXPECT(&b, "OFPT_PACKET_OUT (OF1.3) (xid=0x2): in_port=CONTROLLER actions=TABLE,FLOOD "
               "data_len=14");

    free(m);
    m = new_msg(OFPT_PORT_MOD, 3);
    m->port_mod = (struct ofp_port_mod){.port_no = 1,
                                        .hw_addr = {0xaa, 0x55, 0, 0, 0, 1},
                                        .config = OFPPC_PORT_DOWN,
                                        .mask = OFPPC_PORT_DOWN};
    encode(&b, m);
    EXPECT(&b, "OFPT_PORT_MOD (OF1.3) (xid=0x3): port: 1: addr:aa:55:00:00:00:01",
           "config: PORT_DOWN", "mask:   PORT_DOWN");

    free(m);
    m = new_msg(OFPT_GROUP_MOD, 4);
    m->group_mod.command = OFPGC_ADD;
    m->group_mod.group.type = OFPGT_SELECT;
    m->group_mod.group.group_id = 2;
    m->group_mod.group.n_buckets = 2;
    for (int i = 0; i < 2; i++) {
        struct ofp_bucket *bk = &m->group_mod.group.buckets[i];
        bk->weight = (uint16_t)(10 + 10 * i);
        bk->watch_port = DP_OFPORT_ANY;
        bk->watch_group = OFPG_ANY;
        bk->n_actions = 1;
        bk->actions[0] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = (uint32_t)i + 1};
    }
    encode(&b, m);
    EXPECT(&b, "OFPT_GROUP_MOD (OF1.3) (xid=0x4):",
           "ADD group_id=2,type=select,bucket=weight:10,actions=output:1,"
           "bucket=weight:20,actions=output:2");
    m->group_mod.group.type = OFPGT_FF;
    m->group_mod.group.buckets[0].weight = m->group_mod.group.buckets[1].weight = 0;
    m->group_mod.group.buckets[0].watch_port = 1;
    m->group_mod.group.buckets[1].watch_group = 7;
    encode(&b, m);
    EXPECT(&b, "ADD group_id=2,type=ff,bucket=watch_port:1,actions=output:1,"
               "bucket=watch_group:7,actions=output:2");

    free(m);
    m = new_msg(OFPT_METER_MOD, 5);
    m->meter_mod.command = OFPMC_ADD;
    m->meter_mod.meter = (struct ofp_meter_config){
        .flags = OFPMF_KBPS | OFPMF_BURST | OFPMF_STATS, .meter_id = 1, .n_bands = 1};
    m->meter_mod.meter.bands[0] =
        (struct ofp_meter_band){.type = OFPMBT_DROP, .rate = 1000, .burst_size = 100};
    encode(&b, m);
    EXPECT(&b, "OFPT_METER_MOD (OF1.3) (xid=0x5): ADD meter=1 kbps burst stats bands=",
           "type=drop rate=1000 burst_size=100");

    free(m);
    m = new_msg(OFPT_ROLE_REQUEST, 6);
    m->role = (struct ofp_role){.role = OFPCR_ROLE_MASTER, .generation_id = 12};
    encode(&b, m);
    EXPECT(&b, "OFPT_ROLE_REQUEST (OF1.3) (xid=0x6): role=primary generation_id=12");
    m->h.type = OFPT_ROLE_REPLY;
    m->role.role = OFPCR_ROLE_SLAVE;
    encode(&b, m);
    EXPECT(&b, "OFPT_ROLE_REPLY (OF1.3) (xid=0x6): role=secondary generation_id=12");

    free(m);
    m = new_msg(OFPT_SET_CONFIG, 8);
    m->config = (struct ofp_switch_config){.flags = OFPC_FRAG_DROP, .miss_send_len = 256};
    encode(&b, m);
    EXPECT(&b, "OFPT_SET_CONFIG (OF1.3) (xid=0x8): frags=drop miss_send_len=256");

    free(m);
    m = new_msg(OFPT_FEATURES_REPLY, 9);
    m->features = (struct ofp_switch_features){.datapath_id = 0x1234,
                                               .n_tables = 254,
                                               .n_buffers = 0,
                                               .capabilities = OFPC_FLOW_STATS | OFPC_TABLE_STATS |
                                                               OFPC_PORT_STATS | OFPC_GROUP_STATS};
    encode(&b, m);
    EXPECT(&b, "OFPT_FEATURES_REPLY (OF1.3) (xid=0x9): dpid:0000000000001234",
           "n_tables:254, n_buffers:0",
           "capabilities: FLOW_STATS TABLE_STATS PORT_STATS "
           "GROUP_STATS");

    free(m);
    m = new_msg(OFPT_HELLO, 1);
    m->hello = (struct ofp_hello){.version = OFP13_VERSION, .version_bitmap = 0x10};
    encode(&b, m);
    EXPECT(&b, "OFPT_HELLO (OF1.3) (xid=0x1):", "version bitmap: 0x04");

    free(m);
    m = new_msg(OFPT_ECHO_REQUEST, 1);
    m->echo = (struct ofp_echo){.data = pkt, .data_len = 4};
    encode(&b, m);
    EXPECT(&b, "OFPT_ECHO_REQUEST (OF1.3) (xid=0x1): 4 bytes of payload");
    ofp_buf_uninit(&b);
    free(m);
}

/* The ERROR the daemon sends for each rejection: OVS names the same error. */
static void test_errors(void **state)
{
    (void)state;
    NEED_OFCTL();
    static const uint8_t req[] = {0x04, 0x0e, 0x00, 0x50, 0x00, 0x00, 0x00, 0x77};
    struct {
        uint16_t type, code;
    } errs[] = {
        {OFPET_BAD_MATCH, OFPBMC_BAD_PREREQ},
        {OFPET_BAD_MATCH, OFPBMC_DUP_FIELD},
        {OFPET_BAD_MATCH, OFPBMC_BAD_WILDCARDS},
        {OFPET_BAD_ACTION, OFPBAC_MATCH_INCONSISTENT},
        {OFPET_BAD_ACTION, OFPBAC_BAD_SET_ARGUMENT},
        {OFPET_BAD_INSTRUCTION, OFPBIC_BAD_TABLE_ID},
        {OFPET_FLOW_MOD_FAILED, OFPFMFC_BAD_COMMAND},
        {OFPET_GROUP_MOD_FAILED, OFPGMFC_BAD_WATCH},
        {OFPET_METER_MOD_FAILED, OFPMMFC_BAD_BAND},
        {OFPET_BAD_REQUEST, OFPBRC_BAD_LEN},
        {OFPET_HELLO_FAILED, OFPHFC_INCOMPATIBLE},
        {OFPET_ROLE_REQUEST_FAILED, OFPRRFC_BAD_ROLE},
        {OFPET_TABLE_FEATURES_FAILED, OFPTFFC_EPERM},
        {OFPET_SWITCH_CONFIG_FAILED, OFPSCFC_BAD_FLAGS},
    };
    struct ofp_buf b;
    ofp_buf_init(&b);
    for (size_t i = 0; i < sizeof errs / sizeof errs[0]; i++) {
        struct ofp_err e = {.type = errs[i].type, .code = errs[i].code};
        ofp_buf_clear(&b);
        assert_int_equal(ofp_encode_error(&b, &e, req, sizeof req), 0);
        const char *want[] = {"OFPT_ERROR (OF1.3) (xid=0x77):",
                              ofp_error_code_name(e.type, e.code)};
        expect_print(&b, want, 2);
    }
    ofp_buf_uninit(&b);
}

/* Every (type, code) sluice names decodes, in OVS, to the same name or to OVS's alias for
 * it: this pins the numbering of all the error enums against OVS's tables. */
static void test_all_error_codes(void **state)
{
    (void)state;
    NEED_OFCTL();
    static const struct {
        const char *ours, *ovs;
    } aliases[] = {
        {"OFPBRC_BAD_MULTIPART", "OFPBRC_BAD_STAT"},
        {"OFPBRC_BAD_EXPERIMENTER", "OFPBRC_BAD_VENDOR"},
        {"OFPBRC_BAD_EXP_TYPE", "OFPBRC_BAD_SUBTYPE"},
        {"OFPBRC_IS_SLAVE", "OFPBRC_IS_SECONDARY"},
        {"OFPBAC_BAD_EXPERIMENTER", "OFPBAC_BAD_VENDOR"},
        {"OFPBAC_BAD_EXP_TYPE", "OFPBAC_BAD_VENDOR_TYPE"},
        {"OFPTFFC_BAD_TYPE", "OFPBPC_BAD_TYPE"}, /* OVS reads them as property errors */
        {"OFPTFFC_BAD_LEN", "OFPBPC_BAD_LEN"},
        {"OFPTFFC_BAD_ARGUMENT", "OFPBPC_BAD_VALUE"},
    };
    struct ofp_buf b;
    ofp_buf_init(&b);
    unsigned checked = 0;
    for (uint16_t t = 0; ofp_error_type_name(t); t++) {
        for (uint16_t c = 0; ofp_error_code_name(t, c); c++) {
            const char *name = ofp_error_code_name(t, c);
            for (size_t i = 0; i < sizeof aliases / sizeof aliases[0]; i++)
                if (!strcmp(aliases[i].ours, name))
                    name = aliases[i].ovs;
            struct ofp_err e = {.type = t, .code = c};
            ofp_buf_clear(&b);
            assert_int_equal(ofp_encode_error(&b, &e, NULL, 0), 0);
            char want[64];
            snprintf(want, sizeof want, "): %s\n", name);
            const char *w = want;
            expect_print(&b, &w, 1);
            checked++;
        }
    }
    assert_int_equal(checked, 2 + 14 + 16 + 9 + 12 + 8 + 15 + 5 + 3 + 3 + 3 + 3 + 12 + 6);
    ofp_buf_uninit(&b);
}

static void test_multipart(void **state)
{
    (void)state;
    NEED_OFCTL();
    struct ofp_buf b;
    struct ofp_mp_builder mb;
    struct ofp_err err;
    ofp_buf_init(&b);

    struct ofp_msg *m = new_msg(OFPT_MULTIPART_REQUEST, 2);
    m->mp_request.type = OFPMP_FLOW;
    m->mp_request.flow.table_id = 1;
    m->mp_request.flow.table_given = true;
    m->mp_request.flow.out_port = 3;
    m->mp_request.flow.out_group = OFPG_ANY;
    m->mp_request.flow.cookie = 0x1234;
    m->mp_request.flow.cookie_mask = ~0ull;
    exact(&m->mp_request.flow.match, FF_ETH_TYPE, 0x0800);
    exact(&m->mp_request.flow.match, FF_IP_PROTO, 17);
    exact(&m->mp_request.flow.match, FF_UDP_DST, 53);
    encode(&b, m);
    /* (ovs-ofctl does not print a stats request's cookie; test-ofp-codec checks it.) */
    EXPECT(&b, "OFPST_FLOW request (OF1.3) (xid=0x2): table=1 out_port=3 udp,tp_dst=53");
    m->mp_request.type = OFPMP_PORT_STATS;
    m->mp_request.port_no = DP_OFPORT_ANY;
    encode(&b, m);
    EXPECT(&b, "OFPST_PORT request (OF1.3) (xid=0x2): port_no=ANY");

    /* A flow dump split over several messages. */
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_FLOW, 3), 0);
    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_FLOW, 3), 0);
    mb.max_msg_len = 200;
    struct ofp_flow_stats *fs = calloc(1, sizeof *fs);
    for (int i = 0; i < 3; i++) {
        memset(fs, 0, sizeof *fs);
        fs->spec.table_id = 1;
        fs->spec.priority = (uint16_t)(10 + i);
        fs->spec.cookie = 0x5;
        fs->spec.idle_timeout = 60;
        fs->duration_sec = 3;
        fs->duration_nsec = 0;
        fs->packet_count = 10;
        fs->byte_count = 1000;
        exact(&fs->spec.match, FF_IN_PORT, (uint64_t)i + 1);
        fs->spec.n_actions = 1;
        fs->spec.actions[0] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = 9};
        if (ofp_mp_add_flow_stats(&mb, fs, &err))
            fail_msg("%s", err.msg);
    }
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_FLOW reply (OF1.3) (xid=0x3): flags=[more]",
           "cookie=0x5, duration=3s, table=1, n_packets=10, n_bytes=1000, idle_timeout=60, "
           "priority=10,in_port=1 actions=output:9",
           "priority=11,in_port=2 actions=output:9", "OFPST_FLOW reply (OF1.3) (xid=0x3):\n",
           "priority=12,in_port=3 actions=output:9");
    free(fs);

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_PORT_DESC, 4), 0);
    struct ofp_port port = {.port_no = DP_OFPORT_LOCAL,
                            .hw_addr = {2, 0, 0, 0, 0, 9},
                            .name = "br0",
                            .state = OFPPS_LIVE};
    assert_int_equal(ofp_mp_add_port_desc(&mb, &port, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_PORT_DESC reply (OF1.3) (xid=0x4):", "LOCAL(br0): addr:02:00:00:00:00:09");

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_PORT_STATS, 5), 0);
    struct ofp_port_stats ps = {.port_no = 2,
                                .rx_packets = 5,
                                .rx_bytes = 300,
                                .tx_packets = 7,
                                .tx_dropped = 1,
                                .duration_sec = 9};
    assert_int_equal(ofp_mp_add_port_stats(&mb, &ps, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_PORT reply (OF1.3) (xid=0x5): 1 ports", "port  2: rx pkts=5, bytes=300",
           "tx pkts=7, bytes=0, drop=1", "duration=9s");

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_TABLE, 6), 0);
    struct ofp_table_stats ts = {
        .table_id = 0, .active_count = 4, .lookup_count = 100, .matched_count = 90};
    assert_int_equal(ofp_mp_add_table_stats(&mb, &ts, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b,
           "OFPST_TABLE reply (OF1.3) (xid=0x6):", "table 0:", "active=4, lookup=100, matched=90");

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_GROUP_DESC, 7), 0);
    struct ofp_group *g = calloc(1, sizeof *g);
    g->type = OFPGT_INDIRECT;
    g->group_id = 3;
    g->n_buckets = 1;
    g->buckets[0].watch_port = DP_OFPORT_ANY;
    g->buckets[0].watch_group = OFPG_ANY;
    g->buckets[0].n_actions = 2;
    g->buckets[0].actions[0] = (struct dp_action){.type = DP_ACT_DEC_TTL};
    g->buckets[0].actions[1] = (struct dp_action){.type = DP_ACT_OUTPUT, .port = 2};
    assert_int_equal(ofp_mp_add_group_desc(&mb, g, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_GROUP_DESC reply (OF1.3) (xid=0x7):",
           "group_id=3,type=indirect,bucket=actions=dec_ttl,output:2");
    free(g);

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_GROUP, 8), 0);
    struct ofp_group_stats *gs = calloc(1, sizeof *gs);
    gs->group_id = 3;
    gs->ref_count = 1;
    gs->packet_count = 4;
    gs->byte_count = 400;
    gs->n_buckets = 1;
    gs->buckets[0].packet_count = 4;
    gs->buckets[0].byte_count = 400;
    assert_int_equal(ofp_mp_add_group_stats(&mb, gs, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_GROUP reply (OF1.3) (xid=0x8):",
           "group_id=3,duration=0s,ref_count=1,packet_count=4,byte_count=400,"
           "bucket0:packet_count=4,byte_count=400");
    free(gs);

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_METER_CONFIG, 9), 0);
    struct ofp_meter_config mc = {.flags = OFPMF_PKTPS, .meter_id = 2, .n_bands = 1};
    mc.bands[0] = (struct ofp_meter_band){.type = OFPMBT_DROP, .rate = 50};
    assert_int_equal(ofp_mp_add_meter_config(&mb, &mc, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_METER_CONFIG reply (OF1.3) (xid=0x9):", "meter=2 pktps bands=",
           "type=drop rate=50");

    ofp_buf_clear(&b);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_METER, 10), 0);
    struct ofp_meter_stats ms = {
        .meter_id = 2, .flow_count = 1, .packet_in_count = 3, .byte_in_count = 300, .n_bands = 1};
    ms.bands[0] = (struct ofp_meter_band_stats){.packet_band_count = 1, .byte_band_count = 100};
    assert_int_equal(ofp_mp_add_meter_stats(&mb, &ms, &err), 0);
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_METER reply (OF1.3) (xid=0xa):",
           "meter:2 flow_count:1 packet_in_count:3 byte_in_count:300",
           "0: packet_count:1 byte_count:100");

    free(m);
    m = new_msg(OFPT_MULTIPART_REPLY, 11);
    m->mp_reply.type = OFPMP_DESC;
    strcpy(m->mp_reply.desc.mfr_desc, "sluice");
    strcpy(m->mp_reply.desc.hw_desc, "DPDK");
    strcpy(m->mp_reply.desc.sw_desc, "0.1");
    strcpy(m->mp_reply.desc.serial_num, "None");
    strcpy(m->mp_reply.desc.dp_desc, "br0");
    encode(&b, m);
    EXPECT(&b, "OFPST_DESC reply (OF1.3) (xid=0xb):", "Manufacturer: sluice", "Hardware: DPDK",
           "Software: 0.1", "Serial Num: None", "DP Description: br0");
    m->mp_reply.type = OFPMP_AGGREGATE;
    m->mp_reply.aggregate =
        (struct ofp_aggregate_stats){.packet_count = 1, .byte_count = 2, .flow_count = 3};
    encode(&b, m);
    EXPECT(&b, "OFPST_AGGREGATE reply (OF1.3) (xid=0xb): packet_count=1 byte_count=2 "
               "flow_count=3");
    m->mp_reply.type = OFPMP_METER_FEATURES;
    m->mp_reply.meter_features =
        (struct ofp_meter_features){.max_meter = 1024,
                                    .band_types = 1 << OFPMBT_DROP,
                                    .capabilities = OFPMF_KBPS | OFPMF_PKTPS,
                                    .max_bands = 8};
    encode(&b, m);
    EXPECT(&b, "OFPST_METER_FEATURES reply (OF1.3) (xid=0xb):",
           "max_meter:1024 max_bands:8 max_color:0", "band_types: drop",
           "capabilities: kbps pktps");
    m->mp_reply.type = OFPMP_GROUP_FEATURES;
    memset(&m->mp_reply.group_features, 0, sizeof m->mp_reply.group_features);
    m->mp_reply.group_features.types = 0xf;
    m->mp_reply.group_features.capabilities = OFPGFC_SELECT_WEIGHT | OFPGFC_SELECT_LIVENESS;
    m->mp_reply.group_features.max_groups[0] = 100;
    m->mp_reply.group_features.actions[0] = 1u << OFPAT_OUTPUT;
    encode(&b, m);
    EXPECT(&b, "OFPST_GROUP_FEATURES reply (OF1.3) (xid=0xb):", "Types:  0xf", "Capabilities:  0x3",
           "all group:", "max_groups=0x64", "actions: output");
    ofp_buf_uninit(&b);
    free(m);
}

/* Table features as sluice will advertise them: ovs-ofctl accepts them (it refuses to
 * talk to a switch whose reply lacks a required property). */
static void test_table_features(void **state)
{
    (void)state;
    NEED_OFCTL();
    struct ofp_buf b;
    struct ofp_mp_builder mb;
    struct ofp_err err;
    ofp_buf_init(&b);
    struct ofp_table_features *tf = calloc(1, sizeof *tf);
    assert_int_equal(ofp_mp_builder_start(&mb, &b, OFPMP_TABLE_FEATURES, 12), 0);
    for (int t = 0; t < 2; t++) {
        memset(tf, 0, sizeof *tf);
        tf->table_id = (uint8_t)t;
        snprintf(tf->name, sizeof tf->name, "table%d", t);
        tf->metadata_match = tf->metadata_write = ~0ull;
        tf->max_entries = 100000;
        for (int miss = 0; miss < 2; miss++) {
            tf->instructions[miss] = 0x7e;
            for (int n = t + 1; n < 254; n++)
                tf->next_tables[miss][n / 8] |= (uint8_t)(1 << (n % 8));
            tf->write_actions[miss] = tf->apply_actions[miss] =
                (1u << OFPAT_OUTPUT) | (1u << OFPAT_GROUP) | (1u << OFPAT_PUSH_VLAN) |
                (1u << OFPAT_POP_VLAN) | (1u << OFPAT_SET_FIELD) | (1u << OFPAT_DEC_NW_TTL);
            tf->write_setfield[miss] = tf->apply_setfield[miss] =
                (1ull << 3) | (1ull << 4) | (1ull << 6) | (1ull << 11);
        }
        tf->match = (1ull << 0) | (1ull << 3) | (1ull << 5) | (1ull << 11) | (1ull << 14);
        tf->match_masked = (1ull << 3) | (1ull << 11);
        tf->wildcards = tf->match;
        if (ofp_mp_add_table_features(&mb, tf, &err))
            fail_msg("%s", err.msg);
    }
    ofp_mp_builder_finish(&mb);
    EXPECT(&b, "OFPST_TABLE_FEATURES reply (OF1.3) (xid=0xc):", "table 0 (\"table0\"):",
           "max_entries=100000", "instructions (table miss and others):", "next tables: 1-253",
           "instructions: meter apply_actions clear_actions write_actions write_metadata "
           "goto_table",
           "actions: output group set_field strip_vlan push_vlan dec_ttl",
           "supported on Set-Field: eth_{src,dst} vlan_vid ip_src",
           "matching:", "arbitrary mask: eth_dst ip_src",
           "exact match or wildcard: in_port_oxm eth_type tcp_dst", "table 1 (\"table1\"):");
    free(tf);
    ofp_buf_uninit(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_flow_mods),           cmocka_unit_test(test_async_messages),
        cmocka_unit_test(test_controller_messages), cmocka_unit_test(test_errors),
        cmocka_unit_test(test_all_error_codes),     cmocka_unit_test(test_multipart),
        cmocka_unit_test(test_table_features),
    };
    return cmocka_run_group_tests(tests, setup, NULL);
}
