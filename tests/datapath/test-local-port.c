/* test-local-port.c — what decides whether a bridge can have its LOCAL tap: the devargs
 * built from the bridge's name and id, the interface-name limit, and the checks made before
 * DPDK is asked (a taken name, /dev/net/tun). The tap itself is tested by
 * tests/integration/test-local-port.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "datapath/port.h"

static void test_devargs(void **state)
{
    (void)state;
    char buf[64], err[256] = "";
    assert_int_equal(dp_local_devargs("br0", 7, buf, sizeof buf, err, sizeof err), 0);
    assert_string_equal(buf, "net_tap_sl7,iface=br0");
    /* 15 characters is the longest kernel interface name. */
    assert_int_equal(dp_local_devargs("abcdefghijklmno", 4294967295u, buf, sizeof buf, err,
                                      sizeof err),
                     0);
    assert_string_equal(buf, "net_tap_sl4294967295,iface=abcdefghijklmno");
}

static void test_name_too_long(void **state)
{
    (void)state;
    char buf[64] = "untouched", err[256] = "";
    assert_int_equal(dp_local_devargs("abcdefghijklmnop", 1, buf, sizeof buf, err, sizeof err),
                     -ENAMETOOLONG);
    assert_non_null(strstr(err, "bridge abcdefghijklmnop"));
    assert_non_null(strstr(err, "at most 15 characters"));
    assert_non_null(strstr(err, "local=none"));
}

static void test_buffer_too_small(void **state)
{
    (void)state;
    char buf[12], err[256] = "";
    assert_int_equal(dp_local_devargs("br0", 1, buf, sizeof buf, err, sizeof err),
                     -ENAMETOOLONG);
    assert_non_null(strstr(err, "bridge br0"));
}

static void test_precheck(void **state)
{
    (void)state;
    char err[512] = "";
    bool tun = access("/dev/net/tun", R_OK | W_OK) == 0;
    /* "lo" exists in every network namespace. */
    int rc = dp_local_precheck("lo", err, sizeof err);
    if (tun) {
        assert_int_equal(rc, -EEXIST);
        assert_non_null(strstr(err, "interface named lo already exists"));
    } else {
        assert_int_equal(rc, -ENODEV);
        assert_non_null(strstr(err, "/dev/net/tun"));
    }
    assert_non_null(strstr(err, "local=none"));
    err[0] = '\0';
    rc = dp_local_precheck("slnoSuchIf9q", err, sizeof err);
    assert_int_equal(rc, tun ? 0 : -ENODEV);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_devargs),
        cmocka_unit_test(test_name_too_long),
        cmocka_unit_test(test_buffer_too_small),
        cmocka_unit_test(test_precheck),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
