/* cli.c - command-line framework of the tools: the common options, option
 * tables turned into getopt_long(3) tables and into the usage text, and
 * dispatch to a subcommand (wireguard-tools style) or the tool's default.
 */
#include "tool.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

enum {
	OPT_HELP = -1,
	OPT_VERSION = -2,
	OPT_JSON = -3,
	OPT_QUIET = -4,
	OPT_FORMAT = -5,
	OPT_USER = -6,
};

static const struct tool_opt common_opts[] = {
	{ "json", 0, NULL, "write one JSON document to standard output", OPT_JSON },
	{ "format", 0, "FMT", NULL /* format_help() */, OPT_FORMAT },
	{ "quiet", 'q', NULL, "write nothing to standard output; the exit status tells",
	  OPT_QUIET },
	{ "help", 'h', NULL, "show this help and exit", OPT_HELP },
	{ "version", 'V', NULL, "show the version and exit", OPT_VERSION },
	{ "user", 'Z', "USER", "started as root: become USER once sockets and files are open "
			       "(default nobody; root stays root)", OPT_USER },
	{ NULL },
};

#define MAX_OPTS 48

/* The options one parser knows (the tool's or a command's, and the common
 * ones) and the getopt_long(3) tables made from them. */
struct opt_set {
	const struct tool_opt *opts[MAX_OPTS];
	size_t n;
	struct option lopts[MAX_OPTS + 1];
	char sopts[2 * MAX_OPTS + 3];
};

/* The getopt_long value of opts[i]: its short letter, or 256 + i. */
static int opt_val(const struct opt_set *s, size_t i)
{
	return s->opts[i]->sname ? s->opts[i]->sname : (int)(256 + i);
}

/* The options of first, then of second (either may be NULL), without
 * --version unless with_version; then the tables.  '+' in the short
 * options stops at the first operand, so a command's own options are its
 * own; ':' reports a missing value as ':' rather than '?'. */
static void opt_set_build(struct opt_set *s, const struct tool_opt *first,
			  const struct tool_opt *second, bool with_version)
{
	const struct tool_opt *lists[2] = { first, second };
	const struct tool_opt *o;
	size_t i, k, nl = 0, ns = 0;

	s->n = 0;
	for (k = 0; k < 2; k++) {
		for (o = lists[k]; o && o->id && s->n < MAX_OPTS; o++) {
			if (o->id != OPT_VERSION || with_version)
				s->opts[s->n++] = o;
		}
	}
	s->sopts[ns++] = '+';
	s->sopts[ns++] = ':';
	for (i = 0; i < s->n; i++) {
		o = s->opts[i];
		if (o->sname) {
			s->sopts[ns++] = o->sname;
			if (o->arg)
				s->sopts[ns++] = ':';
		}
		if (o->lname) {
			s->lopts[nl].name = o->lname;
			s->lopts[nl].has_arg = o->arg ? required_argument : no_argument;
			s->lopts[nl].flag = NULL;
			s->lopts[nl].val = opt_val(s, i);
			nl++;
		}
	}
	s->sopts[ns] = '\0';
	memset(&s->lopts[nl], 0, sizeof(s->lopts[nl]));
}

static const char *const format_names[] = {
	[TOOL_FMT_TEXT] = "text",
	[TOOL_FMT_JSON] = "json",
	[TOOL_FMT_PROMETHEUS] = "prometheus",
	[TOOL_FMT_NAGIOS] = "nagios",
	[TOOL_FMT_SARIF] = "sarif",
};

/* What each format is, for the --format line of the help. */
static const char *const format_notes[] = {
	[TOOL_FMT_TEXT] = " (default)",
	[TOOL_FMT_JSON] = " (as --json)",
	[TOOL_FMT_PROMETHEUS] = " (metrics)",
	[TOOL_FMT_NAGIOS] = " (plugin status line)",
	[TOOL_FMT_SARIF] = " (SARIF 2.1.0 for code scanning)",
};

#define N_FORMATS (sizeof(format_names) / sizeof(format_names[0]))

/* The --format help of a tool or command that renders the formats in the
 * mask (0: text and json), so the help lists only what works there. */
static void format_help(unsigned formats, char *buf, size_t size)
{
	unsigned i, n = 0, total = 0;
	size_t len;

	if (!formats)
		formats = TOOL_FMTS_BASIC;
	for (i = 0; i < N_FORMATS; i++)
		total += !!(formats & TOOL_FMT_BIT(i));
	len = (size_t)snprintf(buf, size, "output format:");
	for (i = 0; i < N_FORMATS && len < size; i++) {
		if (!(formats & TOOL_FMT_BIT(i)))
			continue;
		n++;
		len += (size_t)snprintf(buf + len, size - len, "%s %s%s",
					n == 1 ? "" : n == total ? " or" : ",",
					format_names[i], format_notes[i]);
	}
}

static void usage_opt_line(struct tool_out *out, const struct tool_opt *o,
			   unsigned formats)
{
	char flags[64], fhelp[200];
	const char *help = o->help;

	if (o->sname && o->lname)
		snprintf(flags, sizeof(flags), "-%c, --%s%s%s", o->sname, o->lname,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	else if (o->sname)
		snprintf(flags, sizeof(flags), "-%c%s%s", o->sname, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(flags, sizeof(flags), "    --%s%s%s", o->lname ? o->lname : "?",
			 o->arg ? " " : "", o->arg ? o->arg : "");
	if (o->id == OPT_FORMAT) {
		format_help(formats, fhelp, sizeof(fhelp));
		help = fhelp;
	}
	tool_out_printf(out, "  %-22s %s\n", flags, help ? help : "");
}

/* What tool and command help share: the options, the exit status, and
 * writing it all. */
static int usage_finish(const struct tool_ctx *ctx, const struct opt_set *s,
			unsigned formats, struct tool_out *out)
{
	size_t i;
	int rc;

	tool_out_printf(out, "\nOptions:\n");
	for (i = 0; i < s->n; i++)
		usage_opt_line(out, s->opts[i], formats);
	tool_out_printf(out,
			"\nExit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad usage,\n"
			"missing privileges, internal errors, output that cannot be written,\n"
			"or a function this build does not have).  See %s(1).\n",
			ctx->def->name);
	if (out->failed) {
		tool_out_free(out);
		tool_err(ctx, "out of memory writing the help text");
		return PD_EXIT_UNKNOWN;
	}
	rc = tool_write_stdout(ctx, out->buf, out->len);
	tool_out_free(out);
	return rc ? rc : PD_EXIT_OK;
}

/* `TOOL --help`, or `TOOL CMD --help` while a command parses. */
static int usage(const struct tool_ctx *ctx, const struct opt_set *s)
{
	const struct tool_def *def = ctx->def;
	const struct tool_cmd *c = ctx->cmd;
	struct tool_out out;
	char head[80];

	tool_out_init(&out);
	if (c) {
		tool_out_printf(&out, "Usage: %s %s [OPTIONS]%s%s\n", def->name, c->name,
				c->operands ? " " : "", c->operands ? c->operands : "");
		tool_out_printf(&out, "%s\n", c->description ? c->description : "");
		return usage_finish(ctx, s, c->formats, &out);
	}
	tool_out_printf(&out, "Usage: %s [OPTIONS]%s%s%s\n", def->name,
			def->cmds && def->cmds[0].name ? " [COMMAND [ARGS...]]" : "",
			def->operands ? " " : "", def->operands ? def->operands : "");
	tool_out_printf(&out, "%s\n", def->summary);
	if (def->status)
		tool_out_printf(&out, "\nStatus: %s\n", def->status);
	if (def->cmds && def->cmds[0].name) {
		tool_out_printf(&out, "\nCommands ('%s COMMAND --help' lists a command's options):\n",
				def->name);
		for (c = def->cmds; c->name; c++) {
			snprintf(head, sizeof(head), "%s%s%s", c->name, c->operands ? " " : "",
				 c->operands ? c->operands : "");
			/* A long synopsis gets a line of its own. */
			if (strlen(head) > 22)
				tool_out_printf(&out, "  %s\n  %-22s", head, "");
			else
				tool_out_printf(&out, "  %-22s", head);
			tool_out_printf(&out, " %s\n", c->description ? c->description : "");
		}
	}
	return usage_finish(ctx, s, def->formats, &out);
}

static int version(const struct tool_ctx *ctx)
{
	char line[160];
	int n;

	n = snprintf(line, sizeof(line), "%s %s (pathdiag)\n", ctx->def->name, PD_VERSION);
	if (n < 0 || (size_t)n >= sizeof(line)) {
		tool_err(ctx, "version string too long");
		return PD_EXIT_UNKNOWN;
	}
	return tool_write_stdout(ctx, line, (size_t)n) ? PD_EXIT_UNKNOWN : PD_EXIT_OK;
}

/* The option a getopt_long value stands for. */
static const struct tool_opt *opt_by_val(const struct opt_set *s, int val)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		if (opt_val(s, i) == val)
			return s->opts[i];
	}
	return NULL;
}

/* The usage error for what getopt_long rejected in argv[elem]. */
static int bad_option(const struct tool_ctx *ctx, const struct opt_set *s, const char *elem,
		      int optc, bool missing)
{
	const char *eq;
	size_t i, namelen;

	if (!elem || strncmp(elem, "--", 2) != 0) {
		if (missing)
			return tool_usage_error(ctx, "option '-%c' needs a value", optc);
		return tool_usage_error(ctx, "unknown option '-%c'", optc);
	}
	eq = strchr(elem, '=');
	namelen = eq ? (size_t)(eq - elem) : strlen(elem);
	if (missing)
		return tool_usage_error(ctx, "option '%.*s' needs a value", (int)namelen, elem);
	if (eq) {
		for (i = 0; i < s->n; i++) {
			const char *l = s->opts[i]->lname;

			if (l && !s->opts[i]->arg && strlen(l) == namelen - 2 &&
			    !strncmp(l, elem + 2, namelen - 2))
				return tool_usage_error(ctx, "option '%.*s' takes no value",
							(int)namelen, elem);
		}
	}
	return tool_usage_error(ctx, "unknown option '%.*s'", (int)namelen, elem);
}


/* --format FMT or --json (fmt NULL): one output format per run; saying the
 * same twice is fine, two different ones are a usage error. */
static int set_format(struct tool_ctx *ctx, const char *fmt)
{
	const char *opt = fmt ? "--format" : "--json";
	enum tool_format f = TOOL_FMT_JSON;
	size_t i;

	if (fmt) {
		for (i = 0; i < N_FORMATS; i++) {
			if (!strcmp(fmt, format_names[i]))
				break;
		}
		if (i == N_FORMATS)
			return tool_usage_error(ctx, "unknown --format '%s' (text, json, prometheus, "
						"nagios or sarif)", fmt);
		f = (enum tool_format)i;
	}
	if (ctx->format_opt && ctx->format != f)
		return tool_usage_error(ctx, "%s%s%s conflicts with %s%s%s: give one output format",
					opt, fmt ? " " : "", fmt ? format_names[f] : "",
					ctx->format_opt, ctx->format_opt[2] == 'f' ? " " : "",
					ctx->format_opt[2] == 'f' ? format_names[ctx->format] : "");
	ctx->format = f;
	ctx->format_opt = opt;
	ctx->json = f == TOOL_FMT_JSON;
	return 0;
}

/* Whether what runs next (ctx->cmd, or the default run) renders the format
 * asked for; a usage error (its exit code) when not. */
static int check_format(const struct tool_ctx *ctx, unsigned formats)
{
	unsigned i, n = 0;
	char have[64] = "";

	if (!formats)
		formats = TOOL_FMTS_BASIC;
	if (formats & TOOL_FMT_BIT(ctx->format))
		return 0;
	for (i = 0; i < N_FORMATS; i++) {
		if (formats & TOOL_FMT_BIT(i)) {
			size_t len = strlen(have);

			snprintf(have + len, sizeof(have) - len, "%s%s", n++ ? ", " : "",
				 format_names[i]);
		}
	}
	return tool_usage_error(ctx, "--format %s is not available here (%s)",
				format_names[ctx->format], have);
}

/* Parse the options of s, handing the tool's (or command's) own to
 * handler.  Returns true with *first set to the index of the first
 * operand, or false with *code set once help, version or a usage error
 * has been handled. */
static bool parse_opts(struct tool_ctx *ctx, const struct opt_set *s,
		       int (*handler)(struct tool_ctx *ctx, const struct tool_opt *o,
				      const char *arg),
		       int argc, char **argv, bool permute, int *first, int *code)
{
	/* Without "+", glibc's getopt moves the operands behind the options,
	 * so `TOOL HOST --json` works as ping and traceroute users expect;
	 * with it, parsing stops at the first operand (a command's name). */
	const char *sopts = permute ? s->sopts + 1 : s->sopts;
	const struct tool_opt *o;
	int c, elem, rc;

	opterr = 0;
	optind = 0; /* glibc: 0 resets getopt's state completely */
	for (;;) {
		/* getopt moves optind past an element only when it is done with
		 * it, so the element being looked at is argv[optind] before the
		 * call (argv[1] on the first call). */
		elem = optind ? optind : 1;
		/* Permuting, getopt passes over operands to the next option. */
		while (permute && elem < argc && (argv[elem][0] != '-' || !argv[elem][1]))
			elem++;
		c = getopt_long(argc, argv, sopts, s->lopts, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			*code = bad_option(ctx, s, elem < argc ? argv[elem] : NULL, optopt,
					   c == ':');
			return false;
		}
		o = opt_by_val(s, c);
		if (!o) {
			tool_err(ctx, "internal error: option table");
			*code = PD_EXIT_UNKNOWN;
			return false;
		}
		switch (o->id) {
		case OPT_HELP:
			*code = usage(ctx, s);
			return false;
		case OPT_VERSION:
			*code = version(ctx);
			return false;
		case OPT_JSON:
		case OPT_FORMAT:
			rc = set_format(ctx, o->id == OPT_FORMAT ? optarg : NULL);
			if (rc) {
				*code = rc;
				return false;
			}
			break;
		case OPT_QUIET:
			ctx->quiet = true;
			break;
		case OPT_USER:
			if (!*optarg) {
				*code = tool_usage_error(ctx, "--user needs a user name");
				return false;
			}
			tool_set_user(optarg);
			break;
		default:
			if (!handler) {
				tool_err(ctx, "internal error: no handler for option %d", o->id);
				*code = PD_EXIT_UNKNOWN;
				return false;
			}
			rc = handler(ctx, o, optarg);
			if (rc) {
				*code = rc;
				return false;
			}
			break;
		}
	}
	*first = optind;
	return true;
}

bool tool_cmd_parse(struct tool_ctx *ctx, int argc, char **argv, void *state, int *first,
		    int *code)
{
	void *saved = ctx->priv;
	struct opt_set s;
	bool ok;

	if (!ctx->cmd) {
		tool_err(ctx, "internal error: no command is running");
		*code = PD_EXIT_UNKNOWN;
		return false;
	}
	/* The command's own options first in its help; no --version. */
	opt_set_build(&s, ctx->cmd->opts, common_opts, false);
	ctx->priv = state;
	ok = parse_opts(ctx, &s, ctx->cmd->opt, argc, argv, true, first, code);
	ctx->priv = saved;
	if (ok && (*code = check_format(ctx, ctx->cmd->formats)) != 0)
		return false;
	return ok;
}

/* A closed stdin, stdout or stderr would be taken by the next file we open,
 * and our output would land in it.  Hold such a descriptor with /dev/null
 * opened read-only: reading gives EOF, writing fails with EBADF just as on
 * the closed descriptor, so a closed stdout is still reported. */
static int hold_std_fds(void)
{
	int fd, nfd;

	for (fd = 0; fd <= 2; fd++) {
		if (fcntl(fd, F_GETFD) != -1 || errno != EBADF)
			continue;
		nfd = open("/dev/null", O_RDONLY);
		if (nfd < 0)
			return -1;
		if (nfd != fd) {
			if (dup2(nfd, fd) < 0) {
				close(nfd);
				return -1;
			}
			close(nfd);
		}
	}
	return 0;
}

int tool_main(const struct tool_def *def, int argc, char **argv)
{
	struct tool_ctx ctx = { .def = def };
	struct timespec ts;
	struct sigaction sa;
	const struct tool_cmd *c;
	struct opt_set s;
	int first, code;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ctx.start = (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
	if (hold_std_fds() < 0) {
		tool_err(&ctx, "cannot open /dev/null: %s", strerror(errno));
		return PD_EXIT_UNKNOWN;
	}
	/* A reader that goes away must not kill us silently: ignore SIGPIPE
	 * and see EPIPE from write(), which tool_write_stdout reports. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_IGN;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGPIPE, &sa, NULL) < 0) {
		tool_err(&ctx, "cannot ignore SIGPIPE: %s", strerror(errno));
		return PD_EXIT_UNKNOWN;
	}

	opt_set_build(&s, common_opts, def->opts, true);
	if (!parse_opts(&ctx, &s, def->opt, argc, argv, false, &first, &code))
		return code;
	for (c = def->cmds; c && c->name && first < argc; c++) {
		if (!strcmp(argv[first], c->name)) {
			ctx.cmd = c;
			/* A format given before the command; tool_cmd_parse
			 * checks again after the command's own options. */
			if (ctx.format_opt && (code = check_format(&ctx, c->formats)) != 0)
				return code;
			return c->fn(&ctx, argc - first, argv + first);
		}
	}
	/* No command: options may also follow the operands.  Parse the rest
	 * again, argv[first - 1] standing in for the program name. */
	if (first < argc) {
		int more;

		if (!parse_opts(&ctx, &s, def->opt, argc - first + 1, argv + first - 1, true,
				&more, &code))
			return code;
		first += more - 1;
	}
	if ((code = check_format(&ctx, def->formats)) != 0)
		return code;
	return def->run(&ctx, argc - first, argv + first);
}
