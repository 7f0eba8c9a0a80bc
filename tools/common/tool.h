/* tool.h - what the three tools share: a table of commands and options that
 * also writes the usage text, the common options (--json, --format, -q, -h,
 * -V), one-line error messages, the common part of every result, and writing output
 * all-or-nothing with write errors reported.
 *
 * Exit codes (pathdiag/output.h, documented in the man pages):
 *   0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN; UNKNOWN is also bad usage,
 *   missing privileges, internal errors, a function this build lacks, and
 *   output that could not be written.
 * Error messages are one line on stderr: "TOOL: what went wrong; what to do".
 * With --json, stdout carries exactly one complete JSON document, which holds
 * the error; stderr then stays quiet unless the document cannot be written.
 * Usage errors are reported on stderr only, whatever the options.
 */
#ifndef PATHDIAG_TOOL_H
#define PATHDIAG_TOOL_H

#include <stdbool.h>
#include <stddef.h>
#include <jansson.h>
#include <pathdiag/output.h>

#ifndef PD_VERSION
#define PD_VERSION "unknown"
#endif

struct tool_ctx;
struct tool_opt;

/* Output formats (--format; --json is --format json).  A command or the
 * default run says which it supports as a mask of TOOL_FMT_BIT(f); 0 means
 * text and json (TOOL_FMTS_BASIC).  prometheus and nagios: monitor.h. */
enum tool_format {
	TOOL_FMT_TEXT = 0,
	TOOL_FMT_JSON,
	TOOL_FMT_PROMETHEUS,
	TOOL_FMT_NAGIOS,
	TOOL_FMT_SARIF,     /* SARIF 2.1.0: mtuprobe check */
};
#define TOOL_FMT_BIT(f) (1u << (f))
#define TOOL_FMTS_BASIC (TOOL_FMT_BIT(TOOL_FMT_TEXT) | TOOL_FMT_BIT(TOOL_FMT_JSON))
#define TOOL_FMTS_MONITOR                                                           \
	(TOOL_FMTS_BASIC | TOOL_FMT_BIT(TOOL_FMT_PROMETHEUS) | TOOL_FMT_BIT(TOOL_FMT_NAGIOS))

/* A subcommand, wireguard-tools style: argv[0] is the command's name.  Its
 * fn reads its options with tool_cmd_parse, from opts (which also write
 * `TOOL CMD --help`) plus the common --json, -q and -h. */
struct tool_cmd {
	const char *name;
	int (*fn)(struct tool_ctx *ctx, int argc, char **argv);
	const char *description;
	const struct tool_opt *opts; /* the command's options; ends with { NULL }; or NULL */
	const char *operands;        /* usage synopsis after [OPTIONS], or NULL */
	/* Called for one of opts; returns 0 or an exit code after reporting.
	 * ctx->priv is the state given to tool_cmd_parse. */
	int (*opt)(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);
	unsigned formats; /* --format values it renders (TOOL_FMT_BIT), 0: text and json */
};

/* An option.  id > 0 is handed to the tool's handler; ids below 0 are the
 * common options, handled here. */
struct tool_opt {
	const char *lname; /* long name without "--", or NULL */
	char sname;        /* short letter, or 0 */
	const char *arg;   /* name of its value in the usage text; NULL: no value */
	const char *help;  /* one line for the usage text */
	int id;
};

struct tool_def {
	const char *name;            /* program name, as in messages */
	const char *summary;         /* what the tool is for, a sentence */
	const char *status;          /* what this build lacks (usage text), or NULL */
	const char *operands;        /* usage synopsis after the options, or NULL */
	const struct tool_cmd *cmds; /* ends with { NULL }; may be empty */
	const struct tool_opt *opts; /* tool options; ends with { NULL }; or NULL */
	/* Called for a tool option; returns 0 or an exit code after reporting. */
	int (*opt)(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);
	/* Called when the first operand names no command (or there is none);
	 * argv[0] is the first operand, argc may be 0. */
	int (*run)(struct tool_ctx *ctx, int argc, char **argv);
	unsigned formats; /* --format values run renders (TOOL_FMT_BIT), 0: text and json */
};

/* Run state of one invocation, passed explicitly. */
struct tool_ctx {
	const struct tool_def *def;
	bool json;  /* --json: one JSON document on stdout */
	bool quiet; /* -q: no text on stdout; exit status and stderr only */
	void *priv; /* for the tool's own state */
	const struct tool_cmd *cmd; /* the command running, or NULL */
	enum tool_format format;    /* --format (json also sets json) */
	const char *format_opt;     /* the option that chose it ("--json", "--format"), or NULL */
	double start;               /* CLOCK_MONOTONIC seconds when tool_main began */
};

/* The whole program: sets up stdio and SIGPIPE, parses the common and tool
 * options, dispatches to a command or def->run.  Returns the exit code. */
int tool_main(const struct tool_def *def, int argc, char **argv);

/* Parse the options of the command running (ctx->cmd, argv[0] its name),
 * as tool_main parses the tool's: getopt_long over cmd->opts and the common
 * --json, -q, -h, stopping at the first operand; cmd->opt sees state as
 * ctx->priv.  Returns true with *first set to the index in argv of the
 * first operand; false with *code set when the command must not run:
 * `--help` was answered (code 0) or a usage error reported (code
 * PD_EXIT_UNKNOWN, or what cmd->opt returned). */
bool tool_cmd_parse(struct tool_ctx *ctx, int argc, char **argv, void *state, int *first,
		    int *code);

/* ---- messages (stderr, one line each) ------------------------------------ */

/* "TOOL: <message>".  Control characters in the message become '?', so the
 * line stays one line whatever an argument contained. */
void tool_err(const struct tool_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* "TOOL: <message>; see 'TOOL --help'"; returns PD_EXIT_UNKNOWN.  While a
 * command runs: "TOOL: CMD: <message>; see 'TOOL CMD --help'". */
int tool_usage_error(const struct tool_ctx *ctx, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Report a failure the way the output mode wants it (a stderr line, or with
 * --json a complete document carrying the error) and exit with code. */
_Noreturn void tool_die(const struct tool_ctx *ctx, enum pd_exit code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* A whole number in [lo, hi] for option `name` (decimal, or hex after
 * "0x"); anything else is a usage error whose exit code is returned.
 * Returns 0 and sets *out on success. */
int tool_parse_uint(const struct tool_ctx *ctx, const char *name, const char *arg, unsigned lo,
		    unsigned hi, unsigned *out);
/* A number of seconds in [lo, hi], fractions allowed, the same way. */
int tool_parse_seconds(const struct tool_ctx *ctx, const char *name, const char *arg, double lo,
		       double hi, double *out);

/* ---- text output buffer ---------------------------------------------------- */

/* Text for stdout is collected here and written in one go at the end. */
struct tool_out {
	char *buf;
	size_t len, cap;
	bool failed; /* an allocation failed: the text is incomplete */
};

void tool_out_init(struct tool_out *o);
void tool_out_free(struct tool_out *o);
void tool_out_printf(struct tool_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Write all of buf to fd, retrying after EINTR and short writes.  Returns 0
 * or the errno value of the failure. */
int tool_write_all(int fd, const void *buf, size_t len);

/* Write buf to stdout completely.  On failure prints one line naming the
 * problem ("TOOL: cannot write to standard output: No space left on
 * device") and returns PD_EXIT_UNKNOWN; 0 on success. */
int tool_write_stdout(const struct tool_ctx *ctx, const char *buf, size_t len);

/* ---- privileges ---------------------------------------------------------- */

/* Drop every capability and set no_new_privs: call once the sockets, capture
 * handles and files that needed privileges are open.  A run started as root
 * first becomes an ordinary user (tool_set_user; a setuid-root install: the
 * real user).  Returns 0 or a negative errno value; tool_privs_error says why. */
int tool_drop_privileges(void);

/* The same, but keep capability cap (a CAP_* number) if it is held, across
 * the change of user too, for tools that must ask the kernel again later (a
 * conntrack dump). */
int tool_keep_only_capability(int cap);

/* -Z/--user: the user a run started by root becomes (NULL: $PATHDIAG_USER,
 * else nobody; "root" stays root, without capabilities all the same). */
void tool_set_user(const char *user);

/* Why the last tool_drop_privileges / tool_keep_only_capability failed (rc is
 * what it returned), one line without the tool's name. */
const char *tool_privs_error(int rc);

/* ---- results ------------------------------------------------------------- */

#define TOOL_ERROR_MAX 256

/* The part of every tool's result that the common renderers handle.  A
 * tool's result struct embeds it and adds its own values. */
struct tool_report {
	char error[TOOL_ERROR_MAX]; /* why the tool could not do its job, or "" */
	enum pd_exit error_code;    /* exit code for that error */
	struct pd_findings findings;
};

void tool_report_init(struct tool_report *r);
/* Record that the tool could not do its job (the message is the part after
 * "TOOL: "); the first failure recorded wins. */
void tool_report_fail(struct tool_report *r, enum pd_exit code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Add a finding: kind is a string literal, evidence may be NULL or "";
 * the message is cut to PD_FINDING_MSG_MAX. */
void tool_report_add(struct tool_report *r, const char *kind, enum pd_severity sev,
		     const char *evidence, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* The exit code: the failure's if there was one, else from the findings. */
enum pd_exit tool_report_exit(const struct tool_report *r);

/* Common renderers.  Text: the findings, one per line with their evidence
 * (the error line goes to stderr, see tool_emit).  JSON: a new document with
 * schema_version, tool, version, verdict, exit_code, error and findings, to
 * which a tool adds its own fields; NULL when out of memory. */
void tool_report_text(const struct tool_ctx *ctx, const struct tool_report *r,
		      struct tool_out *out);
json_t *tool_report_json(const struct tool_ctx *ctx, const struct tool_report *r);

/* A tool's renderers for its result struct. */
struct tool_render {
	void (*text)(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
	json_t *(*json)(const struct tool_ctx *ctx, const void *result);
	/* --format prometheus / nagios (monitor.h); NULL: the common part only. */
	void (*prometheus)(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
	void (*nagios)(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
};

/* Render result in the mode ctx asks for and write it: with --json one
 * document on stdout; with --format prometheus the metrics on stdout and the
 * error, if any, as one line on stderr; with --format nagios the plugin
 * output (status line first) on stdout and nothing on stderr; otherwise the text on stdout (not with -q) and the
 * error, if any, as one line on stderr.  Returns the exit code, which is
 * PD_EXIT_UNKNOWN when output could not be produced or written. */
int tool_emit(const struct tool_ctx *ctx, const struct tool_report *r, const void *result,
	      const struct tool_render *render);

#endif
