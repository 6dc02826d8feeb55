/* test-port-vlan.c — NORMAL's port VLAN rules (datapath/port-vlan.h): option parsing and
 * printing, input classification on access and trunk ports, the output tagging decision. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "datapath/port-vlan.h"

#define TAGGED(vid) ((uint16_t)(PORT_VLAN_PRESENT | (vid)))
#define UNTAGGED 0

static struct port_vlan access_port(uint16_t tag)
{
    struct port_vlan pv;
    port_vlan_init(&pv);
    pv.tag = tag;
    return pv;
}

static struct port_vlan trunk_port(const char *list)
{
    struct port_vlan pv;
    port_vlan_init(&pv);
    char err[256];
    assert_int_equal(port_vlan_parse_trunks(list, &pv, err, sizeof err), 0);
    return pv;
}

static void test_parse_tag(void **state)
{
    (void)state;
    char err[256];
    uint16_t tag = 7;
    assert_int_equal(port_vlan_parse_tag("1", &tag, err, sizeof err), 0);
    assert_int_equal(tag, 1);
    assert_int_equal(port_vlan_parse_tag("4095", &tag, err, sizeof err), 0);
    assert_int_equal(tag, 4095);
    assert_int_equal(port_vlan_parse_tag("none", &tag, err, sizeof err), 0);
    assert_int_equal(tag, 0);
    static const char *const bad[] = {"0", "4096", "", "-1", "+5", "10a", "0x10", "99999",
                                      " 5", "00010x", "none1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        tag = 33;
        err[0] = '\0';
        assert_int_equal(port_vlan_parse_tag(bad[i], &tag, err, sizeof err), -EINVAL);
        assert_int_equal(tag, 33); /* unchanged */
        assert_non_null(strstr(err, "tag="));
        assert_non_null(strstr(err, "1 to 4095"));
    }
}

static void test_parse_trunks(void **state)
{
    (void)state;
    struct port_vlan pv = trunk_port("10,20,30-40");
    assert_false(pv.all);
    for (unsigned v = 0; v <= PORT_VLAN_MAX; v++) {
        bool want = v == 10 || v == 20 || (v >= 30 && v <= 40);
        assert_int_equal(port_vlan_carries(&pv, (uint16_t)v), want);
    }
    pv = trunk_port("0");
    assert_true(port_vlan_carries(&pv, 0));
    assert_false(port_vlan_carries(&pv, 1));
    pv = trunk_port("0-4095");
    assert_false(pv.all);
    assert_true(port_vlan_carries(&pv, 4095));
    pv = trunk_port("5,5,4-6"); /* repeats and overlaps are harmless */
    assert_true(port_vlan_carries(&pv, 4) && port_vlan_carries(&pv, 6));
    assert_false(port_vlan_carries(&pv, 7));
    pv = trunk_port("all");
    assert_true(pv.all);
    assert_true(port_vlan_is_default(&pv));
}

static void test_parse_trunks_bad(void **state)
{
    (void)state;
    static const char *const bad[] = {"",      ",",     "10,",    ",10",   "10,,20",
                                      "4096",  "5-4",   "10-",    "-10",   "a",
                                      "10 20", "1-2-3", "10;20",  "0x10",  "40000",
                                      "1,2,x"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct port_vlan pv = trunk_port("100");
        char err[256] = "";
        assert_int_equal(port_vlan_parse_trunks(bad[i], &pv, err, sizeof err), -EINVAL);
        assert_non_null(strstr(err, "trunks="));
        /* left unchanged */
        assert_false(pv.all);
        assert_true(port_vlan_carries(&pv, 100));
        assert_false(port_vlan_carries(&pv, 10));
    }
    char err[256];
    struct port_vlan pv;
    port_vlan_init(&pv);
    assert_int_equal(port_vlan_parse_trunks("10,abc", &pv, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "\"abc\""));
    assert_int_equal(port_vlan_parse_trunks("9-3", &pv, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "A <= B"));
}

static void test_check(void **state)
{
    (void)state;
    char err[512];
    struct port_vlan pv = trunk_port("10,20");
    assert_int_equal(port_vlan_check(&pv, err, sizeof err), 0);
    pv.tag = 10;
    assert_int_equal(port_vlan_check(&pv, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "tag=10 with trunks"));
    pv = access_port(10);
    assert_int_equal(port_vlan_check(&pv, err, sizeof err), 0);
    assert_false(port_vlan_is_default(&pv));
    assert_true(port_vlan_is_default(NULL));
}

static void test_format(void **state)
{
    (void)state;
    char buf[PORT_VLAN_TRUNKS_TEXT_MAX];
    struct port_vlan pv = trunk_port("30-40,20,10,11,4095,0");
    size_t n = port_vlan_format_trunks(&pv, buf, sizeof buf);
    assert_string_equal(buf, "0,10-11,20,30-40,4095");
    assert_int_equal(n, strlen(buf));
    port_vlan_format_trunks(NULL, buf, sizeof buf);
    assert_string_equal(buf, "all");
    /* Round trip, and the documented worst case fits. */
    struct port_vlan odd;
    port_vlan_init(&odd);
    odd.all = false;
    for (unsigned v = 0; v <= PORT_VLAN_MAX; v += 2)
        odd.trunks[v >> 6] |= 1ull << (v & 63);
    n = port_vlan_format_trunks(&odd, buf, sizeof buf);
    assert_true(n < sizeof buf);
    struct port_vlan back = trunk_port(buf);
    assert_memory_equal(back.trunks, odd.trunks, sizeof odd.trunks);
    /* Truncation reports the length needed, as snprintf. */
    char small[8];
    size_t need = port_vlan_format_trunks(&pv, small, sizeof small);
    assert_int_equal(need, strlen("0,10-11,20,30-40,4095"));
    assert_int_equal(strlen(small), sizeof small - 1);
}

static void test_input_access(void **state)
{
    (void)state;
    struct port_vlan a = access_port(10);
    assert_int_equal(port_vlan_input(&a, UNTAGGED), 10);
    assert_int_equal(port_vlan_input(&a, TAGGED(0)), 10); /* priority-tagged */
    assert_int_equal(port_vlan_input(&a, TAGGED(0) | 0xe000), 10); /* with PCP 7 */
    assert_int_equal(port_vlan_input(&a, TAGGED(10)), PORT_VLAN_DROP_TAGGED_ON_ACCESS);
    assert_int_equal(port_vlan_input(&a, TAGGED(20)), PORT_VLAN_DROP_TAGGED_ON_ACCESS);
}

static void test_input_trunk(void **state)
{
    (void)state;
    /* The default trunk (NULL) and an explicit "all" trunk behave alike. */
    struct port_vlan all = trunk_port("all");
    const struct port_vlan *defaults[] = {NULL, &all};
    for (int i = 0; i < 2; i++) {
        assert_int_equal(port_vlan_input(defaults[i], UNTAGGED), 0);
        assert_int_equal(port_vlan_input(defaults[i], TAGGED(0)), 0);
        assert_int_equal(port_vlan_input(defaults[i], TAGGED(20)), 20);
        assert_int_equal(port_vlan_input(defaults[i], TAGGED(4095) | 0x2000), 4095);
    }
    struct port_vlan t = trunk_port("10,20");
    assert_int_equal(port_vlan_input(&t, TAGGED(10)), 10);
    assert_int_equal(port_vlan_input(&t, TAGGED(20)), 20);
    assert_int_equal(port_vlan_input(&t, TAGGED(30)), PORT_VLAN_DROP_NOT_TRUNKED);
    /* Untagged is VLAN 0: dropped unless the list has 0. */
    assert_int_equal(port_vlan_input(&t, UNTAGGED), PORT_VLAN_DROP_NOT_TRUNKED);
    assert_int_equal(port_vlan_input(&t, TAGGED(0)), PORT_VLAN_DROP_NOT_TRUNKED);
    struct port_vlan t0 = trunk_port("0,10");
    assert_int_equal(port_vlan_input(&t0, UNTAGGED), 0);
}

static void test_carries(void **state)
{
    (void)state;
    struct port_vlan a = access_port(10);
    assert_true(port_vlan_carries(&a, 10));
    assert_false(port_vlan_carries(&a, 0));
    assert_false(port_vlan_carries(&a, 20));
    assert_true(port_vlan_carries(NULL, 0));
    assert_true(port_vlan_carries(NULL, 4095));
}

static void test_output(void **state)
{
    (void)state;
    struct port_vlan a = access_port(10);
    struct port_vlan t = trunk_port("10,20");
    /* To an access port: always untagged. */
    assert_int_equal(port_vlan_output(&a, 10, UNTAGGED), PORT_VLAN_KEEP);
    assert_int_equal(port_vlan_output(&a, 10, TAGGED(10)), PORT_VLAN_POP);
    assert_int_equal(port_vlan_output(&a, 10, TAGGED(0)), PORT_VLAN_POP);
    /* To a trunk: tagged with the VLAN. */
    assert_int_equal(port_vlan_output(&t, 10, UNTAGGED), PORT_VLAN_PUSH);
    assert_int_equal(port_vlan_output(&t, 10, TAGGED(10)), PORT_VLAN_KEEP);
    assert_int_equal(port_vlan_output(&t, 10, TAGGED(0) | 0xa000), PORT_VLAN_SET_VID);
    assert_int_equal(port_vlan_output(NULL, 20, TAGGED(20)), PORT_VLAN_KEEP);
    assert_int_equal(port_vlan_output(NULL, 20, UNTAGGED), PORT_VLAN_PUSH);
    /* VLAN 0 on a trunk leaves untagged (a priority tag is removed, as OVS does by default). */
    assert_int_equal(port_vlan_output(NULL, 0, UNTAGGED), PORT_VLAN_KEEP);
    assert_int_equal(port_vlan_output(NULL, 0, TAGGED(0)), PORT_VLAN_POP);
}

/* Every (ingress, egress) pair of an access/trunk mix, end to end: what the frame's tag is on
 * the wire after the edit equals what 802.1Q says the egress port wants. */
static void test_end_to_end(void **state)
{
    (void)state;
    struct port_vlan a10 = access_port(10), a20 = access_port(20), t = trunk_port("0-30");
    const struct port_vlan *ports[] = {&a10, &a20, &t, NULL};
    const uint16_t tcis[] = {UNTAGGED, TAGGED(0), TAGGED(10), TAGGED(20), TAGGED(40)};
    for (size_t i = 0; i < 4; i++)
        for (size_t k = 0; k < sizeof tcis / sizeof tcis[0]; k++) {
            int vlan = port_vlan_input(ports[i], tcis[k]);
            if (vlan < 0)
                continue;
            for (size_t o = 0; o < 4; o++) {
                if (!port_vlan_carries(ports[o], (uint16_t)vlan))
                    continue;
                uint16_t tci = tcis[k];
                switch (port_vlan_output(ports[o], (uint16_t)vlan, tci)) {
                case PORT_VLAN_KEEP:
                    break;
                case PORT_VLAN_POP:
                    tci = 0;
                    break;
                case PORT_VLAN_PUSH:
                    tci = TAGGED(vlan);
                    break;
                case PORT_VLAN_SET_VID:
                    tci = (uint16_t)((tci & ~PORT_VLAN_VID_MASK) | (uint16_t)vlan);
                    break;
                }
                bool want_tagged = !(ports[o] && ports[o]->tag) && vlan != 0;
                assert_int_equal(!!(tci & PORT_VLAN_PRESENT), want_tagged);
                if (want_tagged)
                    assert_int_equal(tci & PORT_VLAN_VID_MASK, vlan);
                /* And the egress port reads it back in the same VLAN. */
                assert_int_equal(port_vlan_input(ports[o], tci), vlan);
            }
        }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_tag),    cmocka_unit_test(test_parse_trunks),
        cmocka_unit_test(test_parse_trunks_bad), cmocka_unit_test(test_check),
        cmocka_unit_test(test_format),       cmocka_unit_test(test_input_access),
        cmocka_unit_test(test_input_trunk),  cmocka_unit_test(test_carries),
        cmocka_unit_test(test_output),       cmocka_unit_test(test_end_to_end),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
