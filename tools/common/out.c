/* out.c - text collected for stdout, and writing it with every failure
 * reported: a closed stdout (EBADF), a full disk (ENOSPC), a reader that
 * went away (EPIPE; SIGPIPE is ignored in tool_main) all end in one line on
 * stderr and exit code 3, never in a crash or a silently short output.
 */
#include "tool.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void tool_out_init(struct tool_out *o)
{
	o->buf = NULL;
	o->len = 0;
	o->cap = 0;
	o->failed = false;
}

void tool_out_free(struct tool_out *o)
{
	free(o->buf);
	tool_out_init(o);
}

static bool reserve(struct tool_out *o, size_t extra)
{
	size_t cap;
	char *nb;

	if (extra < o->cap - o->len)
		return true;
	cap = o->cap ? o->cap : 1024;
	while (cap - o->len <= extra) {
		if (cap > ((size_t)-1) / 2)
			return false;
		cap *= 2;
	}
	nb = realloc(o->buf, cap);
	if (!nb)
		return false;
	o->buf = nb;
	o->cap = cap;
	return true;
}

void tool_out_printf(struct tool_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->failed)
		return;
	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || !reserve(o, (size_t)n)) {
		o->failed = true;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	o->len += (size_t)n;
}

int tool_write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t w;

	while (len > 0) {
		w = write(fd, p, len);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return errno;
		}
		if (w == 0)
			return EIO; /* write(2) made no progress; do not spin */
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

int tool_write_stdout(const struct tool_ctx *ctx, const char *buf, size_t len)
{
	int e = tool_write_all(STDOUT_FILENO, buf, len);

	if (e) {
		tool_err(ctx, "cannot write to standard output: %s", strerror(e));
		return PD_EXIT_UNKNOWN;
	}
	return 0;
}
