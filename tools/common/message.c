/* message.c - one-line error messages on stderr, "TOOL: what went wrong;
 * what to do", each written with a single write(2) so that lines from
 * several processes sharing a terminal or log do not interleave.
 */
#include "tool.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define LINE_LEN 1024

static const char *tool_name(const struct tool_ctx *ctx)
{
	return ctx && ctx->def && ctx->def->name ? ctx->def->name : "pathdiag";
}

static void vline(const struct tool_ctx *ctx, const char *prefix, const char *suffix,
		  const char *fmt, va_list ap) __attribute__((format(printf, 4, 0)));

/* "TOOL: " prefix message suffix; prefix and suffix may be NULL. */
static void vline(const struct tool_ctx *ctx, const char *prefix, const char *suffix,
		  const char *fmt, va_list ap)
{
	char line[LINE_LEN];
	size_t i, len, start;
	int n;

	n = snprintf(line, sizeof(line), "%s: %s", tool_name(ctx), prefix ? prefix : "");
	if (n < 0 || (size_t)n >= sizeof(line))
		return;
	start = (size_t)n;
	if (vsnprintf(line + start, sizeof(line) - start, fmt, ap) < 0)
		return;
	len = strlen(line);
	if (suffix && len < sizeof(line) - 1) {
		snprintf(line + len, sizeof(line) - len, "%s", suffix);
		len = strlen(line);
	}
	/* Whatever an argument held, the message stays one line. */
	for (i = start; i < len; i++) {
		unsigned char ch = (unsigned char)line[i];

		if (ch < 0x20 || ch == 0x7f)
			line[i] = '?';
	}
	/* Room for the newline: cut the text if it filled the buffer. */
	if (len > sizeof(line) - 2)
		len = sizeof(line) - 2;
	line[len++] = '\n';
	/* Nothing sensible is left to do when stderr itself fails. */
	(void)tool_write_all(STDERR_FILENO, line, len);
}

void tool_err(const struct tool_ctx *ctx, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline(ctx, NULL, NULL, fmt, ap);
	va_end(ap);
}

int tool_usage_error(const struct tool_ctx *ctx, const char *fmt, ...)
{
	const char *cmd = ctx && ctx->cmd ? ctx->cmd->name : NULL;
	char hint[128], prefix[64];
	va_list ap;

	/* A command's usage errors name it, and point to its own help. */
	snprintf(prefix, sizeof(prefix), "%s%s", cmd ? cmd : "", cmd ? ": " : "");
	snprintf(hint, sizeof(hint), "; see '%s%s%s --help'", tool_name(ctx), cmd ? " " : "",
		 cmd ? cmd : "");
	va_start(ap, fmt);
	vline(ctx, prefix, hint, fmt, ap);
	va_end(ap);
	return PD_EXIT_UNKNOWN;
}

_Noreturn void tool_die(const struct tool_ctx *ctx, enum pd_exit code, const char *fmt, ...)
{
	struct tool_report *r;
	va_list ap;

	/* A report is large; a failed allocation still gets its line out. */
	r = malloc(sizeof(*r));
	if (!r) {
		va_start(ap, fmt);
		vline(ctx, NULL, NULL, fmt, ap);
		va_end(ap);
		exit(code);
	}
	tool_report_init(r);
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	r->error_code = code;
	exit(tool_emit(ctx, r, NULL, NULL));
}
