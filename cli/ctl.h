/* ctl.h — sluicectl: command line → JSON-RPC request → readable output.
 *
 * What?
 *   sluicectl [--run-dir DIR] [--json] [--timeout SECS] COMMAND ARGS...
 *   Every command is one row of a table (ctl.c): its name (also the JSON-RPC method), its
 *   argument count, the options it takes, how its arguments become params, how its result
 *   prints, and how a daemon error is explained. A new verb (dump-tables, add-group, ...)
 *   is a new row; a verb that talks to another socket overrides the row's `call`.
 *
 * Where.
 *   The management socket is DIR/sluiced.ctl, DIR being --run-dir, else $SLUICE_RUN_DIR,
 *   else /run/sluice.
 *
 * Exit codes (enum ctl_exit) are a contract for scripts:
 *   0 success; 1 the request failed (the daemon refused it, or a local input such as a
 *   flow file could not be read): "sluicectl: <message>" on stderr; 2 usage error (unknown
 *   command or option, wrong argument count, bad key=value): the problem and the command's
 *   usage line on stderr, nothing sent; 3 the daemon could not be reached (no socket, refused,
 *   timeout, broken reply): the message names the socket.
 *   Global options may come before or after the command; "--" ends option parsing.
 *
 * Output. Readable by default, aligned like the OVS tools (show as a tree; dump-flows one
 *   ovs-ofctl line per flow; dump-ports a table plus drop reasons); with --json, the result
 *   pretty-printed as received. Commands that change state print nothing on success.
 *
 * Threads: single-threaded; ctl_main() may be called repeatedly (tests do).
 */
#ifndef SLUICE_CLI_CTL_H
#define SLUICE_CLI_CTL_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#define SLUICECTL_VERSION "0.1.0"
#define CTL_DEFAULT_RUN_DIR "/run/sluice"
#define CTL_SOCKET_NAME "sluiced.ctl"
/* Long enough for add-flows with many flows and for a port whose device probes slowly;
 * finite so a hung daemon does not hang scripts. --timeout 0 waits forever. */
#define CTL_DEFAULT_TIMEOUT_S 60.0

enum ctl_exit {
    CTL_EXIT_OK = 0,
    CTL_EXIT_FAILED = 1,
    CTL_EXIT_USAGE = 2,
    CTL_EXIT_UNREACHABLE = 3,
};

/* Command options, as bits in ctl_command.options. */
enum ctl_option {
    CTL_OPT_STRICT = 1 << 0, /* --strict */
    CTL_OPT_NO_STATS = 1 << 1, /* --no-stats (dump-flows) */
};

struct ctl_command;

/* One parsed command line. Strings point into argv. */
struct ctl_invocation {
    const char *run_dir; /* NULL until resolved: --run-dir */
    bool json;
    double timeout_s;
    unsigned options;    /* enum ctl_option bits given */
    bool help;           /* --help: print help, exit 0 */
    bool version;        /* --version: print sluicectl's version, exit 0 */
    const struct ctl_command *cmd;
    char **args;         /* positional arguments after the command (malloc'ed array) */
    int n_args;
};

/* The state a command's hooks share during one run. */
struct ctl_context {
    const struct ctl_invocation *inv;
    const char *socket_path; /* the management socket */
    FILE *in;                /* for FILE "-" */
    /* add-flows: where each sent flow came from, to turn "flow N: ..." into FILE:LINE. */
    const char *flow_file;
    unsigned *flow_lines;
    size_t n_flows;
};

/* Builds params for the request. Returns CTL_EXIT_OK, CTL_EXIT_USAGE (bad argument) or
 * CTL_EXIT_FAILED (local input unreadable), with a message in err. */
typedef int ctl_build_fn(struct ctl_context *ctx, json_t **params, char *err, size_t errlen);
/* Prints a successful result readably. Returns 0, or -EPROTO for a result of unexpected shape
 * (message in err) or -ENOMEM. */
typedef int ctl_print_fn(FILE *out, const json_t *result, char *err, size_t errlen);
/* Rewrites a daemon error message for the user (e.g. flow index → FILE:LINE), in place. */
typedef void ctl_explain_fn(const struct ctl_context *ctx, char *msg, size_t msglen);
/* Sends the request and waits for the result: jsonrpc_call()'s contract (0, a JSON-RPC
 * error code, or a negative errno for transport failures). */
typedef int ctl_call_fn(const struct ctl_context *ctx, const char *method, json_t *params,
                        int timeout_ms, json_t **result, char *err, size_t errlen);

struct ctl_command {
    const char *name;  /* command and JSON-RPC method */
    const char *args;  /* usage of the arguments, e.g. "BR PORT [key=value ...]" */
    int min_args;
    int max_args;      /* -1: no limit */
    unsigned options;  /* enum ctl_option bits allowed; CTL_OPT_STRICT adds "strict": bool */
    /* Param names of the positional arguments in order ("bridge", "port", ...); optional
     * arguments not given are left out. The default builder needs nothing else. */
    const char *params[4];
    ctl_build_fn *build;     /* NULL: the default builder */
    ctl_print_fn *print;     /* NULL: print nothing */
    ctl_explain_fn *explain; /* NULL: print the daemon's message as is */
    ctl_call_fn *call;       /* NULL: JSON-RPC on the management socket */
    const char *help;
};

/* The command table, terminated by a row with name NULL. */
extern const struct ctl_command ctl_commands[];

const struct ctl_command *ctl_find_command(const char *name);

/* Parses argv (argv[0] is the program) into *inv (release it with ctl_invocation_free(),
 * whatever the result). Returns CTL_EXIT_OK or CTL_EXIT_USAGE with the problem in err;
 * inv->cmd is set whenever the command was recognized, so the caller can print its usage
 * line. Checks argument counts and syntax; does not read the environment or files. */
int ctl_parse_args(int argc, char *argv[], struct ctl_invocation *inv, char *err, size_t errlen);
void ctl_invocation_free(struct ctl_invocation *inv);

/* "usage: sluicectl [--run-dir DIR] [--json] [--timeout SECS] add-port BR PORT [key=value ...]"
 * (the generic form for cmd NULL). */
void ctl_print_usage(FILE *out, const struct ctl_command *cmd);

/* Resolves the socket path from inv->run_dir, then `env_run_dir` ($SLUICE_RUN_DIR; NULL or
 * empty = unset), then the default. */
int ctl_socket_path(const struct ctl_invocation *inv, const char *env_run_dir, char *path,
                    size_t pathlen);

/* The whole program: returns the exit code. */
int ctl_main(int argc, char *argv[], FILE *in, FILE *out, FILE *err);

#endif
