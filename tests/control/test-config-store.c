/* test-config-store.c — the --db document (control/config-store.h): recording method calls,
 * the round trip through the file, the atomic write, and malformed documents item by item.
 * Files live in a fresh directory under /tmp, removed at the end.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "control/config-store.h"

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/test-config-store.XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void path_in_dir(char *buf, size_t len, const char *name)
{
    snprintf(buf, len, "%s/%s", dir, name);
}

static void write_text(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    assert_int_equal(fclose(f), 0);
}

static char *read_text(const char *path)
{
    char *text, err[256];
    size_t len;
    assert_int_equal(config_store_read_file(path, &text, &len, err, sizeof err), 0);
    return text;
}

/* Records `method` with params given as JSON text; result may be NULL. */
static int record(struct config_store *cs, const char *method, const char *params,
                  const char *result, char *err, size_t errlen)
{
    json_t *p = json_loads(params, 0, NULL);
    json_t *r = result ? json_loads(result, 0, NULL) : NULL;
    assert_non_null(p);
    int rc = config_store_record(cs, method, p, r, err, errlen);
    json_decref(p);
    json_decref(r);
    return rc;
}

static void record_ok(struct config_store *cs, const char *method, const char *params,
                      const char *result)
{
    char err[512] = "";
    int rc = record(cs, method, params, result, err, sizeof err);
    if (rc)
        fail_msg("%s %s: %s", method, params, err);
}

/* Bridge `bridge` of the document, or its port `port`. */
static json_t *at(const json_t *doc, const char *bridge, const char *port)
{
    size_t i, j;
    json_t *br, *p;
    json_array_foreach(json_object_get(doc, "bridges"), i, br)
    {
        if (strcmp(json_string_value(json_object_get(br, "name")), bridge))
            continue;
        if (!port)
            return br;
        json_array_foreach(
            json_object_get(br, "ports"), j,
            p) if (!strcmp(json_string_value(json_object_get(p, "name")), port)) return p;
    }
    return NULL;
}

static const char *str_at(const json_t *obj, const char *key, const char *sub)
{
    const json_t *o = sub ? json_object_get(obj, sub) : obj;
    return json_string_value(json_object_get(o, key));
}

/* A store with what a user typically configures. */
static struct config_store *populated(const char *path)
{
    struct config_store *cs = config_store_create(path);
    assert_non_null(cs);
    record_ok(cs, "add-br", "{\"bridge\": \"br0\"}", NULL);
    record_ok(cs, "add-br", "{\"bridge\": \"br1\", \"local\": \"none\"}", NULL);
    record_ok(cs, "set-bridge", "{\"bridge\": \"br0\", \"options\": {\"mac-aging\": \"60\"}}",
              NULL);
    record_ok(cs, "set-controller",
              "{\"bridge\": \"br0\", \"target\": \"ptcp:6653\", \"fail_mode\": \"secure\"}", NULL);
    record_ok(cs, "set-controller", "{\"bridge\": \"br0\", \"datapath_id\": \"aa\"}", NULL);
    record_ok(cs, "add-port",
              "{\"bridge\": \"br0\", \"port\": \"p1\", \"options\": {\"type\": \"dpdk\", "
              "\"devargs\": \"net_null0\", \"ofport\": \"7\", \"tag\": \"10\"}}",
              "{\"ofport\": 7}");
    record_ok(cs, "add-port",
              "{\"bridge\": \"br0\", \"port\": \"vh1\", \"options\": {\"type\": \"vhostuser\"}}",
              "{\"ofport\": 8}");
    record_ok(cs, "add-port", "{\"bridge\": \"br1\", \"port\": \"p2\"}", "{\"ofport\": 1}");
    record_ok(cs, "set-port",
              "{\"bridge\": \"br0\", \"port\": \"p1\", \"options\": {\"tag\": \"20\"}}", NULL);
    return cs;
}

static void test_record(void **state)
{
    (void)state;
    char path[512];
    path_in_dir(path, sizeof path, "record.db");
    struct config_store *cs = populated(path);
    const json_t *doc = config_store_doc(cs);
    assert_int_equal(json_integer_value(json_object_get(doc, "version")), CONFIG_STORE_VERSION);
    assert_int_equal(json_array_size(json_object_get(doc, "bridges")), 2);

    json_t *br0 = at(doc, "br0", NULL), *br1 = at(doc, "br1", NULL);
    assert_string_equal(str_at(br0, "local", NULL), "tap");
    assert_string_equal(str_at(br1, "local", NULL), "none");
    assert_string_equal(str_at(br0, "mac-aging", "options"), "60");
    /* set-controller merges: the second call kept the first one's target and fail mode. */
    assert_string_equal(str_at(br0, "target", "controller"), "ptcp:6653");
    assert_string_equal(str_at(br0, "fail_mode", "controller"), "secure");
    assert_string_equal(str_at(br0, "datapath_id", "controller"), "aa");

    json_t *p1 = at(doc, "br0", "p1");
    assert_non_null(p1);
    assert_int_equal(json_integer_value(json_object_get(p1, "ofport")), 7);
    assert_string_equal(str_at(p1, "devargs", "options"), "net_null0");
    assert_string_equal(str_at(p1, "tag", "options"), "20"); /* set-port merged */
    assert_null(json_object_get(json_object_get(p1, "options"), "ofport"));
    assert_int_equal(json_integer_value(json_object_get(at(doc, "br0", "vh1"), "ofport")), 8);
    assert_int_equal(json_integer_value(json_object_get(at(doc, "br1", "p2"), "ofport")), 1);
    /* Creation order. */
    assert_string_equal(str_at(json_array_get(json_object_get(br0, "ports"), 0), "name", NULL),
                        "p1");
    assert_true(config_store_has_port(cs, "br0", "vh1"));
    assert_false(config_store_has_port(cs, "br1", "vh1"));
    assert_true(config_store_has_bridge(cs, "br1"));

    /* Methods that record nothing leave the document alone. */
    json_t *before = json_deep_copy(doc);
    record_ok(cs, "add-flow", "{\"bridge\": \"br0\", \"flow\": \"actions=drop\"}", NULL);
    assert_true(json_equal(before, (json_t *)config_store_doc(cs)));
    json_decref(before);

    /* Removing a controller target ("" = none) and deletions. */
    record_ok(cs, "set-controller", "{\"bridge\": \"br0\", \"target\": \"\"}", NULL);
    assert_null(json_object_get(json_object_get(at(doc, "br0", NULL), "controller"), "target"));
    record_ok(cs, "del-port", "{\"bridge\": \"br0\", \"port\": \"p1\"}", NULL);
    assert_null(at(config_store_doc(cs), "br0", "p1"));
    assert_non_null(at(config_store_doc(cs), "br0", "vh1"));
    record_ok(cs, "del-br", "{\"bridge\": \"br0\"}", NULL);
    assert_null(at(config_store_doc(cs), "br0", NULL));
    assert_int_equal(json_array_size(json_object_get(config_store_doc(cs), "bridges")), 1);
    config_store_destroy(cs);
}

static void test_records(void **state)
{
    (void)state;
    static const char *const yes[] = {"add-br",   "del-br",     "add-port",      "del-port",
                                      "set-port", "set-bridge", "set-controller"};
    static const char *const no[] = {"add-flow",  "add-flows",  "del-flows",      "show",
                                     "fdb-flush", "dump-flows", "get-controller", "show-config"};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(config_store_records(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(config_store_records(no[i]));
}

static void test_record_mismatch(void **state)
{
    (void)state;
    struct config_store *cs = config_store_create("/nonexistent/x.db");
    char err[512];
    assert_int_equal(record(cs, "add-port", "{\"bridge\": \"brX\", \"port\": \"p1\"}",
                            "{\"ofport\": 1}", err, sizeof err),
                     -ENOENT);
    assert_non_null(strstr(err, "bridge brX is not in the db"));
    record_ok(cs, "add-br", "{\"bridge\": \"br0\"}", NULL);
    assert_int_equal(record(cs, "set-port",
                            "{\"bridge\": \"br0\", \"port\": \"nope\", \"options\": {}}", NULL, err,
                            sizeof err),
                     -ENOENT);
    assert_non_null(strstr(err, "port nope is not in the db"));
    assert_int_equal(record(cs, "del-br", "{\"bridge\": \"br9\"}", NULL, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, "br9"));
    /* add-port without the ofport it got: refused rather than recorded without a number. */
    assert_int_equal(
        record(cs, "add-port", "{\"bridge\": \"br0\", \"port\": \"p1\"}", NULL, err, sizeof err),
        -EINVAL);
    assert_false(config_store_has_port(cs, "br0", "p1"));
    config_store_destroy(cs);
}

static void count_report(void *aux, const char *msg)
{
    (void)msg;
    (*(unsigned *)aux)++;
}

static void test_round_trip(void **state)
{
    (void)state;
    char path[512], err[512];
    path_in_dir(path, sizeof path, "round.db");
    struct config_store *cs = populated(path);
    assert_int_equal(config_store_save(cs, err, sizeof err), 0);

    char *text = read_text(path);
    assert_true(text[strlen(text) - 1] == '\n');
    unsigned skipped = 99, reports = 0;
    json_t *doc = config_store_parse(text, strlen(text), path, count_report, &reports, &skipped,
                                     err, sizeof err);
    assert_non_null(doc);
    assert_int_equal(skipped, 0);
    assert_int_equal(reports, 0);
    assert_true(json_equal(doc, (json_t *)config_store_doc(cs)));
    json_decref(doc);
    free(text);

    /* Nothing left behind but the file. */
    char tmp[600];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_equal(access(tmp, F_OK), -1);

    /* A second save replaces the contents. */
    record_ok(cs, "del-br", "{\"bridge\": \"br1\"}", NULL);
    assert_int_equal(config_store_save(cs, err, sizeof err), 0);
    text = read_text(path);
    assert_null(strstr(text, "br1"));
    assert_non_null(strstr(text, "br0"));
    free(text);
    config_store_destroy(cs);
}

static void test_atomic_write(void **state)
{
    (void)state;
    char path[512], tmp[600], err[512];
    path_in_dir(path, sizeof path, "atomic.db");
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    write_text(path, "old contents\n");

    /* The temporary file cannot be created (something else holds its name): the old file
     * stays as it was and the message names both. */
    assert_int_equal(mkdir(tmp, 0755), 0);
    int rc = config_store_write_file(path, "new\n", 4, err, sizeof err);
    assert_true(rc < 0);
    assert_non_null(strstr(err, path));
    assert_non_null(strstr(err, ".tmp"));
    char *text = read_text(path);
    assert_string_equal(text, "old contents\n");
    free(text);
    assert_int_equal(rmdir(tmp), 0);

    /* Through the store: the reply-side message, and the old file intact. */
    struct config_store *cs = populated(path);
    assert_int_equal(mkdir(tmp, 0755), 0);
    assert_true(config_store_save(cs, err, sizeof err) < 0);
    assert_non_null(strstr(err, "creating"));
    text = read_text(path);
    assert_string_equal(text, "old contents\n");
    free(text);
    assert_int_equal(rmdir(tmp), 0);

    /* The rename fails (the target is a non-empty directory): the temporary file is
     * removed and nothing else changes. */
    char target[600], inside[700];
    path_in_dir(target, sizeof target, "dir.db");
    snprintf(inside, sizeof inside, "%s/keep", target);
    assert_int_equal(mkdir(target, 0755), 0);
    write_text(inside, "x");
    rc = config_store_write_file(target, "new\n", 4, err, sizeof err);
    assert_true(rc < 0);
    assert_non_null(strstr(err, "renaming"));
    assert_non_null(strstr(err, "unchanged"));
    snprintf(tmp, sizeof tmp, "%s.tmp", target);
    assert_int_equal(access(tmp, F_OK), -1);
    assert_int_equal(access(inside, F_OK), 0);

    /* The file's directory does not exist. */
    assert_true(config_store_write_file("/nonexistent-dir-xyz/a.db", "x", 1, err, sizeof err) < 0);
    assert_non_null(strstr(err, "/nonexistent-dir-xyz/a.db"));

    /* Success after the obstacle is gone. */
    assert_int_equal(config_store_save(cs, err, sizeof err), 0);
    text = read_text(path);
    assert_non_null(strstr(text, "\"br0\""));
    free(text);
    config_store_destroy(cs);
}

static void test_blocked(void **state)
{
    (void)state;
    char path[512], err[512];
    path_in_dir(path, sizeof path, "blocked.db");
    write_text(path, "garbage\n");
    struct config_store *cs = populated(path);
    config_store_block_saves(cs, "it could not be parsed and no copy could be kept");
    assert_int_equal(config_store_save(cs, err, sizeof err), -EPERM);
    assert_non_null(strstr(err, "no copy could be kept"));
    char *text = read_text(path);
    assert_string_equal(text, "garbage\n");
    free(text);

    json_t *st = config_store_status(cs);
    assert_string_equal(json_string_value(json_object_get(st, "path")), path);
    assert_non_null(json_object_get(st, "saves_blocked"));
    assert_true(json_equal(json_object_get(st, "config"), (json_t *)config_store_doc(cs)));
    json_decref(st);
    config_store_destroy(cs);
}

static void test_read_file(void **state)
{
    (void)state;
    char path[512], err[512], *text;
    size_t len;
    path_in_dir(path, sizeof path, "missing.db");
    assert_int_equal(config_store_read_file(path, &text, &len, err, sizeof err), -ENOENT);
    assert_non_null(strstr(err, path));
    assert_int_equal(config_store_read_file(dir, &text, &len, err, sizeof err), -EINVAL);
    assert_non_null(strstr(err, "not a regular file"));
}

static void test_set_aside(void **state)
{
    (void)state;
    char path[512], saved1[1024], saved2[1024], err[512];
    path_in_dir(path, sizeof path, "aside.db");
    write_text(path, "{broken");
    assert_int_equal(
        config_store_set_aside(path, "{broken", 7, saved1, sizeof saved1, err, sizeof err), 0);
    assert_int_equal(
        config_store_set_aside(path, "{broken", 7, saved2, sizeof saved2, err, sizeof err), 0);
    assert_string_not_equal(saved1, saved2); /* never overwrites an earlier copy */
    assert_non_null(strstr(saved1, ".unrestored-"));
    char *text = read_text(saved2);
    assert_string_equal(text, "{broken");
    free(text);
    text = read_text(path); /* the original stays where it was */
    assert_string_equal(text, "{broken");
    free(text);

    struct config_store *cs = config_store_create(path);
    config_store_note_problem(cs, "db x: bridge br0: not restored: why");
    config_store_note_set_aside(cs, saved1);
    json_t *st = config_store_status(cs);
    assert_string_equal(json_string_value(json_object_get(st, "set_aside")), saved1);
    assert_int_equal(json_array_size(json_object_get(st, "not_restored")), 1);
    assert_null(json_object_get(st, "saves_blocked"));
    json_decref(st);
    config_store_destroy(cs);
}

/* --- Malformed documents ------------------------------------------------------------------ */

struct reports {
    char text[8192];
    unsigned n;
};

static void collect(void *aux, const char *msg)
{
    struct reports *r = aux;
    size_t used = strlen(r->text);
    snprintf(r->text + used, sizeof r->text - used, "%s\n", msg);
    r->n++;
}

/* Whole documents that cannot be used: NULL and one message naming the file and the cause. */
static void test_unusable(void **state)
{
    (void)state;
    static const struct {
        const char *text, *why;
    } cases[] = {
        {"{\"version\": 1, \"bridges\": [", "db t.db: line 1"},
        {"", "db t.db: line 1"},
        {"[1, 2]", "not a JSON object"},
        {"{\"bridges\": []}", "no \"version\""},
        {"{\"version\": \"1\", \"bridges\": []}", "no \"version\""},
        {"{\"version\": 2, \"bridges\": []}", "unknown \"version\""},
        {"{\"version\": 1, \"bridges\": {}}", "\"bridges\" must be an array"},
        {"{\"version\": 1, \"version\": 1}", "duplicate"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        unsigned skipped;
        struct reports r = {.n = 0};
        json_t *doc = config_store_parse(cases[i].text, strlen(cases[i].text), "t.db", collect, &r,
                                         &skipped, err, sizeof err);
        if (doc || !strstr(err, cases[i].why) || strncmp(err, "db t.db: ", 9))
            fail_msg("case %zu (%s): doc %p, err \"%s\", expected \"%s\"", i, cases[i].text,
                     (void *)doc, err, cases[i].why);
        json_decref(doc);
    }
}

/* Bad items are left out one by one, each named; the rest is kept. */
static void test_bad_items(void **state)
{
    (void)state;
    static const struct {
        const char *text;
        unsigned skipped;
        const char *message; /* a report must contain this */
        const char *kept;    /* bridge names kept, space-separated */
        const char *kept_ports;
    } cases[] = {
        {"{\"version\":1,\"bridges\":[{\"local\":\"tap\"},{\"name\":\"b\"}]}", 1,
         "bridge #1: no \"name\"", "b", ""},
        {"{\"version\":1,\"bridges\":[7,{\"name\":\"b\"}]}", 1, "bridge #1: not an object", "b",
         ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\"},{\"name\":\"a\",\"ports\":[{}]}]}", 1,
         "bridge a: listed twice; this one is skipped with its 1 port(s)", "a", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"local\":5,\"ports\":[{\"name\":\"p\","
         "\"ofport\":1}]},{\"name\":\"b\"}]}",
         1, "bridge a: \"local\" must be a string (tap or none); skipped with its 1 port(s)", "b",
         ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"options\":{\"mac-aging\":60}}]}", 1,
         "bridge a: options \"mac-aging\" must be a string", "", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"controller\":\"ptcp:1\"}]}", 1,
         "bridge a: \"controller\" must be an object of strings", "", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":{}}]}", 1,
         "bridge a: \"ports\" must be an array", "", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":[{\"name\":\"p1\",\"ofport\":"
         "\"1\"},{\"name\":\"p2\",\"ofport\":2}]}]}",
         1, "bridge a: port p1: \"ofport\" must be a positive integer", "a", "p2"},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":[{\"name\":\"p1\",\"ofport\":0}"
         "]}]}",
         1, "bridge a: port p1: \"ofport\" must be a positive integer", "a", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":[{\"name\":\"p1\",\"ofport\":1,"
         "\"options\":{\"tag\":10}}]}]}",
         1, "bridge a: port p1: options \"tag\" must be a string", "a", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":[{\"ofport\":1}]}]}", 1,
         "bridge a: port #1: no \"name\"", "a", ""},
        {"{\"version\":1,\"bridges\":[{\"name\":\"a\",\"ports\":[{\"name\":\"p\",\"ofport\":1}]},"
         "{\"name\":\"b\",\"ports\":[{\"name\":\"p\",\"ofport\":1},{\"name\":\"q\",\"ofport\":2}"
         "]}]}",
         1, "bridge b: port p: listed twice", "a b", "p q"},
        /* Everything wrong at once: each item reported, the good one kept. */
        {"{\"version\":1,\"bridges\":[{},{\"name\":\"ok\",\"ports\":[{\"name\":\"x\"},{\"name\":"
         "\"y\",\"ofport\":3}]},{\"name\":\"\"}]}",
         3, "bridge ok: port x: \"ofport\"", "ok", "y"},
        /* Unknown members are ignored (a later version may add some). */
        {"{\"version\":1,\"comment\":\"hi\",\"bridges\":[{\"name\":\"a\",\"color\":\"red\"}]}", 0,
         NULL, "a", ""},
        {"{\"version\":1}", 0, NULL, "", ""},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char err[512] = "";
        unsigned skipped = 99;
        struct reports r = {.n = 0};
        json_t *doc = config_store_parse(cases[i].text, strlen(cases[i].text), "t.db", collect, &r,
                                         &skipped, err, sizeof err);
        if (!doc)
            fail_msg("case %zu: refused as a whole: %s", i, err);
        if (skipped != cases[i].skipped || r.n != cases[i].skipped ||
            (cases[i].message && !strstr(r.text, cases[i].message)))
            fail_msg("case %zu: skipped %u (reports %u), expected %u with \"%s\"; reports:\n%s", i,
                     skipped, r.n, cases[i].skipped, cases[i].message ? cases[i].message : "",
                     r.text);
        if (r.n && strncmp(r.text, "db t.db: ", 9))
            fail_msg("case %zu: report does not name the file: %s", i, r.text);
        char kept[256] = "", kept_ports[256] = "";
        size_t b, p;
        json_t *br, *port;
        json_array_foreach(json_object_get(doc, "bridges"), b, br)
        {
            snprintf(kept + strlen(kept), sizeof kept - strlen(kept), "%s%s", b ? " " : "",
                     json_string_value(json_object_get(br, "name")));
            json_array_foreach(json_object_get(br, "ports"), p, port) snprintf(
                kept_ports + strlen(kept_ports), sizeof kept_ports - strlen(kept_ports), "%s%s",
                kept_ports[0] ? " " : "", json_string_value(json_object_get(port, "name")));
        }
        if (strcmp(kept, cases[i].kept) || strcmp(kept_ports, cases[i].kept_ports))
            fail_msg("case %zu: kept bridges \"%s\" ports \"%s\", expected \"%s\" / \"%s\"", i,
                     kept, kept_ports, cases[i].kept, cases[i].kept_ports);
        json_decref(doc);
    }
}

/* A parsed document has the shape recording produces: "local" defaulted, empty objects
 * dropped, unknown members gone, so a restore rebuilds the same document. */
static void test_normalised(void **state)
{
    (void)state;
    const char *text = "{\"version\":1,\"bridges\":[{\"name\":\"a\",\"options\":{},"
                       "\"controller\":{},\"x\":1,\"ports\":[{\"name\":\"p\",\"ofport\":4,"
                       "\"y\":2}]}]}";
    char err[256];
    unsigned skipped;
    json_t *doc =
        config_store_parse(text, strlen(text), "t.db", NULL, NULL, &skipped, err, sizeof err);
    assert_non_null(doc);
    json_t *expect = json_loads("{\"version\":1,\"bridges\":[{\"name\":\"a\",\"local\":\"tap\","
                                "\"ports\":[{\"name\":\"p\",\"ofport\":4,\"options\":{}}]}]}",
                                0, NULL);
    assert_true(json_equal(doc, expect));
    json_decref(expect);
    json_decref(doc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_record),          cmocka_unit_test(test_records),
        cmocka_unit_test(test_record_mismatch), cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_atomic_write),    cmocka_unit_test(test_blocked),
        cmocka_unit_test(test_read_file),       cmocka_unit_test(test_set_aside),
        cmocka_unit_test(test_unusable),        cmocka_unit_test(test_bad_items),
        cmocka_unit_test(test_normalised),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
