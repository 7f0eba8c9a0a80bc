/* numarg.c - numeric option values, checked against a range: the parsers
 * every tool's option handler can use ("--max-hops '65' is not a number from
 * 1 to 64").  Whole numbers are decimal, or hexadecimal after "0x" (TOS
 * bytes); seconds may have a fraction.
 */
#include <errno.h>
#include <stdlib.h>

#include "tool.h"

int tool_parse_uint(const struct tool_ctx *ctx, const char *name, const char *arg, unsigned lo,
		    unsigned hi, unsigned *out)
{
	int base = arg[0] == '0' && (arg[1] == 'x' || arg[1] == 'X') ? 16 : 10;
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(base == 16 ? arg + 2 : arg, &end, base);
	if (errno || end == arg || end == arg + 2 * (base == 16) || *end || arg[0] == '-' ||
	    arg[base == 16 ? 2 : 0] == '-' || arg[base == 16 ? 2 : 0] == '+' || v < lo || v > hi)
		return tool_usage_error(ctx, "%s '%s' is not a number from %u to %u", name, arg,
					lo, hi);
	*out = (unsigned)v;
	return 0;
}

int tool_parse_seconds(const struct tool_ctx *ctx, const char *name, const char *arg, double lo,
		       double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(arg, &end);
	/* !(v >= lo) also refuses NaN */
	if (errno || end == arg || *end || !(v >= lo && v <= hi))
		return tool_usage_error(ctx, "%s '%s' is not a number of seconds from %.15g to "
					"%.15g", name, arg, lo, hi);
	*out = v;
	return 0;
}
