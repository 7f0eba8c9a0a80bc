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
#include <unistd.h>

enum {
	OPT_HELP = -1,
	OPT_VERSION = -2,
	OPT_JSON = -3,
	OPT_QUIET = -4,
};

static const struct tool_opt common_opts[] = {
	{ "json", 0, NULL, "write one JSON document to standard output", OPT_JSON },
	{ "quiet", 'q', NULL, "write nothing to standard output; the exit status tells",
	  OPT_QUIET },
	{ "help", 'h', NULL, "show this help and exit", OPT_HELP },
	{ "version", 'V', NULL, "show the version and exit", OPT_VERSION },
	{ NULL },
};

#define MAX_OPTS 48

/* Common options first, then the tool's; returns the number copied. */
static size_t merge_opts(const struct tool_def *def, const struct tool_opt **all)
{
	const struct tool_opt *o;
	size_t n = 0;

	for (o = common_opts; o->id && n < MAX_OPTS; o++)
		all[n++] = o;
	for (o = def->opts; o && o->id && n < MAX_OPTS; o++)
		all[n++] = o;
	return n;
}

static void usage_opt_line(struct tool_out *out, const struct tool_opt *o)
{
	char flags[64];

	if (o->sname && o->lname)
		snprintf(flags, sizeof(flags), "-%c, --%s%s%s", o->sname, o->lname,
			 o->arg ? " " : "", o->arg ? o->arg : "");
	else if (o->sname)
		snprintf(flags, sizeof(flags), "-%c%s%s", o->sname, o->arg ? " " : "",
			 o->arg ? o->arg : "");
	else
		snprintf(flags, sizeof(flags), "    --%s%s%s", o->lname ? o->lname : "?",
			 o->arg ? " " : "", o->arg ? o->arg : "");
	tool_out_printf(out, "  %-22s %s\n", flags, o->help ? o->help : "");
}

static int usage(const struct tool_ctx *ctx)
{
	const struct tool_def *def = ctx->def;
	const struct tool_opt *opts[MAX_OPTS];
	const struct tool_cmd *c;
	struct tool_out out;
	size_t i, n;
	int rc;

	tool_out_init(&out);
	tool_out_printf(&out, "Usage: %s [OPTIONS]%s%s%s\n", def->name,
			def->cmds && def->cmds[0].name ? " [COMMAND [ARGS...]]" : "",
			def->operands ? " " : "", def->operands ? def->operands : "");
	tool_out_printf(&out, "%s\n", def->summary);
	if (def->status)
		tool_out_printf(&out, "\nStatus: %s\n", def->status);
	if (def->cmds && def->cmds[0].name) {
		tool_out_printf(&out, "\nCommands:\n");
		for (c = def->cmds; c->name; c++)
			tool_out_printf(&out, "  %-22s %s\n", c->name,
					c->description ? c->description : "");
	}
	tool_out_printf(&out, "\nOptions:\n");
	n = merge_opts(def, opts);
	for (i = 0; i < n; i++)
		usage_opt_line(&out, opts[i]);
	tool_out_printf(&out,
			"\nExit status: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN (bad usage,\n"
			"missing privileges, internal errors, output that cannot be written,\n"
			"or a function this build does not have).  See %s(1).\n",
			def->name);
	if (out.failed) {
		tool_out_free(&out);
		tool_err(ctx, "out of memory writing the help text");
		return PD_EXIT_UNKNOWN;
	}
	rc = tool_write_stdout(ctx, out.buf, out.len);
	tool_out_free(&out);
	return rc ? rc : PD_EXIT_OK;
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

/* The option a getopt_long value stands for: short letters map to
 * themselves, long-only options to 256 + their index. */
static const struct tool_opt *opt_by_val(const struct tool_opt **opts, size_t n, int val)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (opts[i]->sname ? opts[i]->sname == val : (int)(256 + i) == val)
			return opts[i];
	}
	return NULL;
}

/* The usage error for what getopt_long rejected in argv[elem]. */
static int bad_option(const struct tool_ctx *ctx, const struct tool_opt **opts, size_t n,
		      const char *elem, int optc, bool missing)
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
		for (i = 0; i < n; i++) {
			const char *l = opts[i]->lname;

			if (l && !opts[i]->arg && strlen(l) == namelen - 2 &&
			    !strncmp(l, elem + 2, namelen - 2))
				return tool_usage_error(ctx, "option '%.*s' takes no value",
							(int)namelen, elem);
		}
	}
	return tool_usage_error(ctx, "unknown option '%.*s'", (int)namelen, elem);
}

/* Parse the options.  Returns true with *first set to the index of the
 * first operand, or false with *code set once help, version or a usage
 * error has been handled. */
static bool parse_opts(struct tool_ctx *ctx, int argc, char **argv, int *first, int *code)
{
	const struct tool_opt *opts[MAX_OPTS];
	struct option lopts[MAX_OPTS + 1];
	char sopts[2 * MAX_OPTS + 3];
	size_t i, n, nl = 0, ns = 0;
	const struct tool_opt *o;
	int c, elem, rc;

	n = merge_opts(ctx->def, opts);
	/* '+': stop at the first operand, so a command's own options are its
	 * own; ':': report a missing value as ':' rather than '?'. */
	sopts[ns++] = '+';
	sopts[ns++] = ':';
	for (i = 0; i < n; i++) {
		int val = opts[i]->sname ? opts[i]->sname : (int)(256 + i);

		if (opts[i]->sname) {
			sopts[ns++] = opts[i]->sname;
			if (opts[i]->arg)
				sopts[ns++] = ':';
		}
		if (opts[i]->lname) {
			lopts[nl].name = opts[i]->lname;
			lopts[nl].has_arg = opts[i]->arg ? required_argument : no_argument;
			lopts[nl].flag = NULL;
			lopts[nl].val = val;
			nl++;
		}
	}
	sopts[ns] = '\0';
	memset(&lopts[nl], 0, sizeof(lopts[nl]));

	opterr = 0;
	optind = 0; /* glibc: 0 resets getopt's state completely */
	for (;;) {
		/* getopt moves optind past an element only when it is done with
		 * it, so the element being looked at is argv[optind] before the
		 * call (argv[1] on the first call). */
		elem = optind ? optind : 1;
		c = getopt_long(argc, argv, sopts, lopts, NULL);
		if (c == -1)
			break;
		if (c == '?' || c == ':') {
			*code = bad_option(ctx, opts, n, elem < argc ? argv[elem] : NULL, optopt,
					   c == ':');
			return false;
		}
		o = opt_by_val(opts, n, c);
		if (!o) {
			tool_err(ctx, "internal error: option table");
			*code = PD_EXIT_UNKNOWN;
			return false;
		}
		switch (o->id) {
		case OPT_HELP:
			*code = usage(ctx);
			return false;
		case OPT_VERSION:
			*code = version(ctx);
			return false;
		case OPT_JSON:
			ctx->json = true;
			break;
		case OPT_QUIET:
			ctx->quiet = true;
			break;
		default:
			if (!ctx->def->opt) {
				tool_err(ctx, "internal error: no handler for option %d", o->id);
				*code = PD_EXIT_UNKNOWN;
				return false;
			}
			rc = ctx->def->opt(ctx, o, optarg);
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
	struct sigaction sa;
	const struct tool_cmd *c;
	int first, code;

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

	if (!parse_opts(&ctx, argc, argv, &first, &code))
		return code;
	for (c = def->cmds; c && c->name && first < argc; c++) {
		if (!strcmp(argv[first], c->name))
			return c->fn(&ctx, argc - first, argv + first);
	}
	return def->run(&ctx, argc - first, argv + first);
}
