/* config-store.c — the --db document and its atomic file: see config-store.h. */
#define _GNU_SOURCE
#include "control/config-store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

struct config_store {
    char *path;
    json_t *doc;
    json_t *problems; /* array of strings */
    char *set_aside;  /* NULL or the copy's path */
    char *blocked;    /* NULL or why saves are refused */
};

static json_t *empty_doc(void)
{
    return json_pack("{s:i, s:[]}", "version", CONFIG_STORE_VERSION, "bridges");
}

struct config_store *config_store_create(const char *path)
{
    struct config_store *cs = calloc(1, sizeof *cs);
    if (!cs)
        return NULL;
    cs->path = strdup(path);
    cs->doc = empty_doc();
    cs->problems = json_array();
    if (!cs->path || !cs->doc || !cs->problems) {
        config_store_destroy(cs);
        return NULL;
    }
    return cs;
}

void config_store_destroy(struct config_store *cs)
{
    if (!cs)
        return;
    json_decref(cs->doc);
    json_decref(cs->problems);
    free(cs->path);
    free(cs->set_aside);
    free(cs->blocked);
    free(cs);
}

const char *config_store_path(const struct config_store *cs)
{
    return cs->path;
}

const json_t *config_store_doc(const struct config_store *cs)
{
    return cs->doc;
}

/* --- The document ---------------------------------------------------------------------- */

static json_t *find_named(json_t *array, const char *name, size_t *index)
{
    size_t i;
    json_t *item;
    json_array_foreach(array, i, item)
    {
        const char *n = json_string_value(json_object_get(item, "name"));
        if (n && !strcmp(n, name)) {
            if (index)
                *index = i;
            return item;
        }
    }
    return NULL;
}

static json_t *doc_bridge(const struct config_store *cs, const char *name, size_t *index)
{
    return name ? find_named(json_object_get(cs->doc, "bridges"), name, index) : NULL;
}

static json_t *doc_port(const struct config_store *cs, const char *bridge, const char *port,
                        size_t *index)
{
    json_t *br = doc_bridge(cs, bridge, NULL);
    return br && port ? find_named(json_object_get(br, "ports"), port, index) : NULL;
}

bool config_store_has_bridge(const struct config_store *cs, const char *bridge)
{
    return doc_bridge(cs, bridge, NULL) != NULL;
}

bool config_store_has_port(const struct config_store *cs, const char *bridge, const char *port)
{
    return doc_port(cs, bridge, port, NULL) != NULL;
}

static const char *const recorded_methods[] = {
    "add-br", "del-br", "add-port", "del-port", "set-port", "set-bridge", "set-controller", NULL,
};

bool config_store_records(const char *method)
{
    for (const char *const *m = recorded_methods; *m; m++)
        if (!strcmp(*m, method))
            return true;
    return false;
}

/* Copies the string members of `from` into `into` (an object member `key` of `parent`,
 * created when missing). Values that are not strings were refused by the method already; they
 * are skipped rather than recorded. */
static int merge_strings(json_t *parent, const char *key, const json_t *from)
{
    json_t *into = json_object_get(parent, key);
    if (!into) {
        into = json_object();
        if (!into || json_object_set_new(parent, key, into))
            return -ENOMEM;
    }
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)from, k, v)
    {
        if (json_is_string(v) && json_object_set(into, k, v))
            return -ENOMEM;
    }
    return 0;
}

static int missing(const char *method, const char *what, const char *name, char *err, size_t errlen)
{
    snprintf(err, errlen, "%s: %s %s is not in the db (the db and the running switch disagree)",
             method, what, name ? name : "(none)");
    return -ENOENT;
}

static int record_add_br(struct config_store *cs, const json_t *params, char *err, size_t errlen)
{
    const char *name = json_string_value(json_object_get(params, "bridge"));
    const char *local = json_string_value(json_object_get(params, "local"));
    if (!name)
        return missing("add-br", "bridge", name, err, errlen);
    json_t *br =
        json_pack("{s:s, s:s, s:[]}", "name", name, "local", local ? local : "tap", "ports");
    if (!br || json_array_append_new(json_object_get(cs->doc, "bridges"), br)) {
        snprintf(err, errlen, "add-br: bridge %s: out of memory", name);
        return -ENOMEM;
    }
    return 0;
}

static int record_add_port(struct config_store *cs, const json_t *params, const json_t *result,
                           char *err, size_t errlen)
{
    const char *bname = json_string_value(json_object_get(params, "bridge"));
    const char *pname = json_string_value(json_object_get(params, "port"));
    json_t *br = doc_bridge(cs, bname, NULL);
    if (!br)
        return missing("add-port", "bridge", bname, err, errlen);
    json_int_t ofport = json_integer_value(json_object_get(result, "ofport"));
    if (!pname || ofport <= 0) {
        snprintf(err, errlen, "add-port: bridge %s: the reply has no port name or ofport", bname);
        return -EINVAL;
    }
    json_t *port = json_pack("{s:s, s:I, s:{}}", "name", pname, "ofport", ofport, "options");
    json_t *opts = json_object_get(params, "options");
    int rc = port ? 0 : -ENOMEM;
    if (!rc && opts)
        rc = merge_strings(port, "options", opts);
    /* The number the port got is recorded once, as "ofport", whether it was asked for. */
    if (!rc)
        json_object_del(json_object_get(port, "options"), "ofport");
    if (!rc && json_array_append(json_object_get(br, "ports"), port))
        rc = -ENOMEM;
    json_decref(port);
    if (rc)
        snprintf(err, errlen, "add-port: port %s: out of memory", pname);
    return rc;
}

static int record_set(struct config_store *cs, const char *method, const json_t *params, char *err,
                      size_t errlen)
{
    const char *bname = json_string_value(json_object_get(params, "bridge"));
    json_t *target = doc_bridge(cs, bname, NULL);
    if (!target)
        return missing(method, "bridge", bname, err, errlen);
    int rc;
    if (!strcmp(method, "set-controller")) {
        json_t *c = json_object();
        static const char *const keys[] = {"target", "fail_mode", "datapath_id", NULL};
        for (const char *const *k = keys; c && *k; k++) {
            json_t *v = json_object_get(params, *k);
            if (json_is_string(v))
                json_object_set(c, *k, v);
        }
        rc = c ? merge_strings(target, "controller", c) : -ENOMEM;
        json_decref(c);
        /* target "" means no controller, which is also what no "target" means. */
        json_t *ctl = json_object_get(target, "controller");
        const char *t = json_string_value(json_object_get(ctl, "target"));
        if (t && !t[0])
            json_object_del(ctl, "target");
        if (ctl && !json_object_size(ctl))
            json_object_del(target, "controller");
    } else {
        if (!strcmp(method, "set-port")) {
            const char *pname = json_string_value(json_object_get(params, "port"));
            target = doc_port(cs, bname, pname, NULL);
            if (!target)
                return missing(method, "port", pname, err, errlen);
        }
        json_t *opts = json_object_get(params, "options");
        rc = json_is_object(opts) ? merge_strings(target, "options", opts) : 0;
    }
    if (rc)
        snprintf(err, errlen, "%s: bridge %s: out of memory", method, bname);
    return rc;
}

int config_store_record(struct config_store *cs, const char *method, const json_t *params,
                        const json_t *result, char *err, size_t errlen)
{
    const char *bname = json_string_value(json_object_get(params, "bridge"));
    size_t i;
    if (!strcmp(method, "add-br"))
        return record_add_br(cs, params, err, errlen);
    if (!strcmp(method, "del-br")) {
        if (!doc_bridge(cs, bname, &i))
            return missing(method, "bridge", bname, err, errlen);
        json_array_remove(json_object_get(cs->doc, "bridges"), i);
        return 0;
    }
    if (!strcmp(method, "add-port"))
        return record_add_port(cs, params, result, err, errlen);
    if (!strcmp(method, "del-port")) {
        const char *pname = json_string_value(json_object_get(params, "port"));
        if (!doc_port(cs, bname, pname, &i))
            return missing(method, "port", pname, err, errlen);
        json_array_remove(json_object_get(doc_bridge(cs, bname, NULL), "ports"), i);
        return 0;
    }
    if (!strcmp(method, "set-port") || !strcmp(method, "set-bridge") ||
        !strcmp(method, "set-controller"))
        return record_set(cs, method, params, err, errlen);
    return 0;
}

/* --- Files ------------------------------------------------------------------------------ */

static int write_all(int fd, const char *p, size_t len)
{
    while (len) {
        ssize_t n = write(fd, p, len);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            return -errno;
        }
        p += n;
        len -= (size_t)n;
    }
    return 0;
}

/* The directory holding `path`, whose entry the rename changes. */
static int sync_parent_dir(const char *path)
{
    char dir[4096];
    const char *slash = strrchr(path, '/');
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    int rc = fsync(fd) ? -errno : 0;
    close(fd);
    return rc;
}

int config_store_write_file(const char *path, const char *text, size_t len, char *err,
                            size_t errlen)
{
    char tmp[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp) {
        snprintf(err, errlen, "db %s: path too long", path);
        return -ENAMETOOLONG;
    }
    const char *step = "creating";
    int rc = 0;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) {
        rc = -errno;
        snprintf(err, errlen, "db %s: creating %s: %s", path, tmp, strerror(-rc));
        return rc; /* nothing of ours to remove: what is there (a directory...) is not ours */
    }
    if ((rc = write_all(fd, text, len)) != 0)
        step = "writing";
    else if (fsync(fd) != 0)
        rc = -errno, step = "syncing";
    if (close(fd) != 0 && !rc)
        rc = -errno, step = "closing";
    if (!rc && rename(tmp, path) != 0)
        rc = -errno, step = "renaming";
    if (rc) {
        unlink(tmp);
        snprintf(err, errlen, "db %s: %s %s: %s (the file is unchanged)", path, step, tmp,
                 strerror(-rc));
        return rc;
    }
    if ((rc = sync_parent_dir(path)) != 0) {
        snprintf(err, errlen,
                 "db %s: written, but syncing its directory failed: %s (the new contents may "
                 "not survive a power loss)",
                 path, strerror(-rc));
        return rc;
    }
    return 0;
}

int config_store_save(struct config_store *cs, char *err, size_t errlen)
{
    if (cs->blocked) {
        snprintf(err, errlen, "db %s: not written: %s", cs->path, cs->blocked);
        return -EPERM;
    }
    char *text = json_dumps(cs->doc, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    if (!text) {
        snprintf(err, errlen, "db %s: out of memory", cs->path);
        return -ENOMEM;
    }
    size_t len = strlen(text);
    /* Text files end with a newline; jansson writes none. */
    char *nl = realloc(text, len + 2);
    if (!nl) {
        free(text);
        snprintf(err, errlen, "db %s: out of memory", cs->path);
        return -ENOMEM;
    }
    nl[len++] = '\n';
    nl[len] = '\0';
    int rc = config_store_write_file(cs->path, nl, len, err, errlen);
    free(nl);
    return rc;
}

int config_store_read_file(const char *path, char **text, size_t *len, char *err, size_t errlen)
{
    *text = NULL;
    *len = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        int rc = -errno;
        snprintf(err, errlen, "db %s: %s", path, strerror(-rc));
        return rc;
    }
    struct stat st;
    int rc = 0;
    if (fstat(fd, &st) != 0) {
        rc = -errno;
    } else if (!S_ISREG(st.st_mode)) {
        rc = -EINVAL;
        snprintf(err, errlen, "db %s: not a regular file", path);
        close(fd);
        return rc;
    }
    size_t cap = rc ? 0 : (size_t)st.st_size + 1, n = 0;
    char *buf = rc ? NULL : malloc(cap);
    if (!rc && !buf)
        rc = -ENOMEM;
    while (!rc) {
        if (n + 1 >= cap) { /* the file grew since fstat */
            char *b = realloc(buf, cap * 2);
            if (!b) {
                rc = -ENOMEM;
                break;
            }
            buf = b;
            cap *= 2;
        }
        ssize_t k = read(fd, buf + n, cap - n - 1);
        if (k < 0 && errno == EINTR)
            continue;
        if (k < 0)
            rc = -errno;
        else if (k == 0)
            break;
        else
            n += (size_t)k;
    }
    close(fd);
    if (rc) {
        free(buf);
        snprintf(err, errlen, "db %s: reading: %s", path, strerror(-rc));
        return rc;
    }
    buf[n] = '\0';
    *text = buf;
    *len = n;
    return 0;
}

int config_store_set_aside(const char *path, const char *text, size_t len, char *saved,
                           size_t savedlen, char *err, size_t errlen)
{
    char stamp[32];
    time_t now = time(NULL);
    struct tm tm;
    localtime_r(&now, &tm);
    strftime(stamp, sizeof stamp, "%Y%m%d-%H%M%S", &tm);
    for (unsigned n = 0; n < 100; n++) {
        char name[4096];
        if (n)
            snprintf(name, sizeof name, "%s.unrestored-%s-%u", path, stamp, n);
        else
            snprintf(name, sizeof name, "%s.unrestored-%s", path, stamp);
        struct stat st;
        if (lstat(name, &st) == 0)
            continue;
        int rc = config_store_write_file(name, text, len, err, errlen);
        if (!rc)
            snprintf(saved, savedlen, "%s", name);
        return rc;
    }
    snprintf(err, errlen, "db %s: 100 copies named %s.unrestored-%s-N exist already", path, path,
             stamp);
    return -EEXIST;
}

/* --- Parsing ---------------------------------------------------------------------------- */

struct parse {
    const char *origin;
    config_store_report_fn *report;
    void *aux;
    unsigned skipped;
};

static void skip(struct parse *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void skip(struct parse *p, const char *fmt, ...)
{
    char msg[1024];
    int n = snprintf(msg, sizeof msg, "db %s: ", p->origin);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg + n, sizeof msg - (size_t)n, fmt, ap);
    va_end(ap);
    p->skipped++;
    if (p->report)
        p->report(p->aux, msg);
}

/* Whether every member of `obj` is a string; names the first that is not. */
static bool all_strings(const json_t *obj, const char **bad)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)obj, k, v)
    {
        if (!json_is_string(v)) {
            *bad = k;
            return false;
        }
    }
    return true;
}

/* An optional member that must be an object of strings; NULL when fine, else why not. */
static const char *check_strings(const json_t *item, const char *key, char *why, size_t len)
{
    const json_t *v = json_object_get(item, key);
    const char *bad;
    if (!v)
        return NULL;
    if (!json_is_object(v))
        snprintf(why, len, "\"%s\" must be an object of strings", key);
    else if (!all_strings(v, &bad))
        snprintf(why, len, "%s \"%s\" must be a string", key, bad);
    else
        return NULL;
    return why;
}

static const char *port_problem(const json_t *port, char *why, size_t len)
{
    json_t *of = json_object_get(port, "ofport");
    if (!json_is_integer(of) || json_integer_value(of) <= 0 ||
        json_integer_value(of) > (json_int_t)UINT32_MAX) {
        snprintf(why, len, "\"ofport\" must be a positive integer (the port's OpenFlow number)");
        return why;
    }
    return check_strings(port, "options", why, len);
}

static const char *bridge_problem(const json_t *br, char *why, size_t len)
{
    json_t *local = json_object_get(br, "local");
    json_t *ports = json_object_get(br, "ports");
    if (local && !json_is_string(local))
        snprintf(why, len, "\"local\" must be a string (tap or none)");
    else if (ports && !json_is_array(ports))
        snprintf(why, len, "\"ports\" must be an array");
    else if (check_strings(br, "options", why, len) || check_strings(br, "controller", why, len))
        return why;
    else
        return NULL;
    return why;
}

static const char *item_name(const json_t *item)
{
    const char *n = json_string_value(json_object_get(item, "name"));
    return n && n[0] ? n : NULL;
}

/* Copies the well-formed ports of `from` into the new bridge `to`. `seen` holds every port
 * name so far: a port name is unique in the whole switch. */
static int parse_ports(struct parse *p, const char *bname, const json_t *from, json_t *to,
                       json_t *seen)
{
    json_t *ports = json_object_get(to, "ports");
    size_t i;
    json_t *port;
    json_array_foreach(json_object_get(from, "ports"), i, port)
    {
        const char *name = item_name(port);
        char why[512];
        if (!json_is_object(port)) {
            skip(p, "bridge %s: port #%zu: not an object; skipped", bname, i + 1);
        } else if (!name) {
            skip(p, "bridge %s: port #%zu: no \"name\" (a non-empty string); skipped", bname,
                 i + 1);
        } else if (json_object_get(seen, name)) {
            skip(p,
                 "bridge %s: port %s: listed twice (a port name is unique across bridges); "
                 "this one is skipped",
                 bname, name);
        } else if (port_problem(port, why, sizeof why)) {
            skip(p, "bridge %s: port %s: %s; skipped", bname, name, why);
        } else {
            json_t *copy = json_pack("{s:s, s:O, s:o}", "name", name, "ofport",
                                     json_object_get(port, "ofport"), "options",
                                     json_object_get(port, "options")
                                         ? json_deep_copy(json_object_get(port, "options"))
                                         : json_object());
            if (!copy || json_array_append_new(ports, copy) ||
                json_object_set_new(seen, name, json_true()))
                return -ENOMEM;
        }
    }
    return 0;
}

json_t *config_store_parse(const char *text, size_t len, const char *origin,
                           config_store_report_fn *report, void *aux, unsigned *n_skipped,
                           char *err, size_t errlen)
{
    struct parse p = {.origin = origin, .report = report, .aux = aux};
    *n_skipped = 0;
    json_error_t je;
    json_t *in = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!in) {
        snprintf(err, errlen, "db %s: line %d, column %d: %s", origin, je.line, je.column, je.text);
        return NULL;
    }
    json_t *version = json_object_get(in, "version");
    json_t *bridges = json_object_get(in, "bridges");
    const char *why = NULL;
    if (!json_is_object(in))
        why = "not a JSON object";
    else if (!json_is_integer(version))
        why = "no \"version\" (an integer)";
    else if (json_integer_value(version) != CONFIG_STORE_VERSION)
        why = "unknown \"version\" (this sluiced reads version 1)";
    else if (bridges && !json_is_array(bridges))
        why = "\"bridges\" must be an array";
    if (why) {
        snprintf(err, errlen, "db %s: %s", origin, why);
        json_decref(in);
        return NULL;
    }
    json_t *out = empty_doc();
    json_t *seen = json_object(); /* port names */
    int rc = out && seen ? 0 : -ENOMEM;
    size_t i;
    json_t *br;
    json_array_foreach(bridges, i, br)
    {
        if (rc)
            break;
        const char *name = item_name(br);
        size_t n_ports = json_array_size(json_object_get(br, "ports"));
        char whyb[512];
        if (!json_is_object(br)) {
            skip(&p, "bridge #%zu: not an object; skipped", i + 1);
        } else if (!name) {
            skip(&p,
                 "bridge #%zu: no \"name\" (a non-empty string); skipped with its %zu "
                 "port(s)",
                 i + 1, n_ports);
        } else if (find_named(json_object_get(out, "bridges"), name, NULL)) {
            skip(&p, "bridge %s: listed twice; this one is skipped with its %zu port(s)", name,
                 n_ports);
        } else if (bridge_problem(br, whyb, sizeof whyb)) {
            skip(&p, "bridge %s: %s; skipped with its %zu port(s)", name, whyb,
                 json_is_array(json_object_get(br, "ports")) ? n_ports : 0);
        } else {
            json_t *copy = json_pack("{s:s, s:s, s:[]}", "name", name, "local",
                                     json_string_value(json_object_get(br, "local"))
                                         ? json_string_value(json_object_get(br, "local"))
                                         : "tap",
                                     "ports");
            static const char *const objs[] = {"options", "controller", NULL};
            for (const char *const *k = objs; copy && *k; k++) {
                json_t *v = json_object_get(br, *k);
                if (v && json_object_size(v))
                    json_object_set_new(copy, *k, json_deep_copy(v));
            }
            if (!copy || json_array_append_new(json_object_get(out, "bridges"), copy))
                rc = -ENOMEM;
            else
                rc = parse_ports(&p, name, br, copy, seen);
        }
    }
    json_decref(seen);
    json_decref(in);
    if (rc) {
        json_decref(out);
        snprintf(err, errlen, "db %s: out of memory", origin);
        return NULL;
    }
    *n_skipped = p.skipped;
    return out;
}

/* --- Status ----------------------------------------------------------------------------- */

void config_store_note_problem(struct config_store *cs, const char *msg)
{
    json_array_append_new(cs->problems, json_string(msg));
}

void config_store_note_set_aside(struct config_store *cs, const char *saved_path)
{
    free(cs->set_aside);
    cs->set_aside = strdup(saved_path);
}

void config_store_block_saves(struct config_store *cs, const char *why)
{
    free(cs->blocked);
    cs->blocked = strdup(why ? why : "saves are blocked");
}

json_t *config_store_status(const struct config_store *cs)
{
    json_t *j = json_pack("{s:s, s:O, s:O}", "path", cs->path, "config", cs->doc, "not_restored",
                          cs->problems);
    if (j && cs->set_aside)
        json_object_set_new(j, "set_aside", json_string(cs->set_aside));
    if (j && cs->blocked)
        json_object_set_new(j, "saves_blocked", json_string(cs->blocked));
    return j;
}
