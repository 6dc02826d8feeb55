/* test-table.c — aligned tables for sluicectl output.
 *
 * The CLI is an executable, not a library, so its sources are compiled into this test. */
#define _GNU_SOURCE
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "cli/table.c"

/* Prints t into a string (caller frees); *rc gets table_print()'s result. */
static char *render(const struct table *t, const char *indent, bool headings, int *rc)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    *rc = table_print(t, f, indent, headings);
    fclose(f);
    return buf;
}

static void test_alignment(void **state)
{
    (void)state;
    struct table *t = table_create();
    table_add_column(t, "port", TABLE_LEFT);
    table_add_column(t, "rx_packets", TABLE_RIGHT);
    table_add_column(t, "state", TABLE_LEFT);
    table_add_row(t);
    table_add_cell(t, "%s", "dpdk0");
    table_add_cell(t, "%d", 7);
    table_add_cell(t, "up");
    table_add_row(t);
    table_add_cell(t, "vm-long-name");
    table_add_cell(t, "%llu", 123456789012ULL);
    table_add_cell(t, "down");
    assert_int_equal(table_n_rows(t), 2);
    int rc;
    char *s = render(t, NULL, true, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "port            rx_packets  state\n"
                           "dpdk0                    7  up\n"
                           "vm-long-name  123456789012  down\n");
    free(s);
    s = render(t, "  ", false, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "  dpdk0                    7  up\n"
                           "  vm-long-name  123456789012  down\n");
    free(s);
    table_destroy(t);
}

static void test_missing_cells_and_no_trailing_blanks(void **state)
{
    (void)state;
    struct table *t = table_create();
    table_add_column(t, "a", TABLE_LEFT);
    table_add_column(t, "b", TABLE_LEFT);
    table_add_column(t, "n", TABLE_RIGHT);
    table_add_column(t, "c", TABLE_LEFT);
    table_add_row(t);
    table_add_cell(t, "x");
    table_add_row(t);
    table_add_cell(t, "yyyy");
    table_add_cell(t, "zz");
    table_add_cell(t, "1");
    table_add_cell(t, "%s", "");
    int rc;
    char *s = render(t, NULL, true, &rc);
    assert_int_equal(rc, 0);
    /* Lines end at their last cell with text. */
    assert_string_equal(s, "a     b   n  c\n"
                           "x\n"
                           "yyyy  zz  1\n");
    free(s);
    table_destroy(t);
}

static void test_utf8_width(void **state)
{
    (void)state;
    assert_int_equal(table_text_width("vm-\xc3\xbc"), 4); /* "vm-ü" */
    assert_int_equal(table_text_width("\xe2\x82\xac"), 1);  /* "€" */
    assert_int_equal(table_text_width(""), 0);
    struct table *t = table_create();
    table_add_column(t, "name", TABLE_LEFT);
    table_add_column(t, "n", TABLE_RIGHT);
    table_add_row(t);
    table_add_cell(t, "vm-\xc3\xbc");
    table_add_cell(t, "1");
    table_add_row(t);
    table_add_cell(t, "vm-x");
    table_add_cell(t, "22");
    int rc;
    char *s = render(t, NULL, true, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "name   n\n"
                           "vm-\xc3\xbc   1\n"
                           "vm-x  22\n");
    free(s);
    table_destroy(t);
}

static void test_headings_only(void **state)
{
    (void)state;
    struct table *t = table_create();
    table_add_column(t, "port", TABLE_LEFT);
    table_add_column(t, "drops", TABLE_RIGHT);
    int rc;
    char *s = render(t, "> ", true, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "> port  drops\n");
    free(s);
    s = render(t, "> ", false, &rc);
    assert_int_equal(rc, 0);
    assert_string_equal(s, "");
    free(s);
    table_destroy(t);
}

static void test_misuse_is_reported(void **state)
{
    (void)state;
    int rc;
    /* More cells than columns. */
    struct table *t = table_create();
    table_add_column(t, "only", TABLE_LEFT);
    table_add_row(t);
    table_add_cell(t, "1");
    table_add_cell(t, "2");
    char *s = render(t, NULL, true, &rc);
    assert_int_equal(rc, -EINVAL);
    assert_string_equal(s, "");
    free(s);
    table_destroy(t);

    /* A column added after rows would misalign every row before it. */
    t = table_create();
    table_add_column(t, "a", TABLE_LEFT);
    table_add_row(t);
    table_add_column(t, "b", TABLE_LEFT);
    s = render(t, NULL, true, &rc);
    assert_int_equal(rc, -EINVAL);
    free(s);
    table_destroy(t);

    /* A cell before any row. */
    t = table_create();
    table_add_column(t, "a", TABLE_LEFT);
    table_add_cell(t, "x");
    s = render(t, NULL, true, &rc);
    assert_int_equal(rc, -EINVAL);
    free(s);
    table_destroy(t);
    table_destroy(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_alignment),
        cmocka_unit_test(test_missing_cells_and_no_trailing_blanks),
        cmocka_unit_test(test_utf8_width),
        cmocka_unit_test(test_headings_only),
        cmocka_unit_test(test_misuse_is_reported),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
