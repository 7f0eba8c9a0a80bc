/* render_text.c - tunsniff's result as text for people. */
#include "tunsniff.h"

void tunsniff_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct tunsniff_result *res = result;

	tool_report_text(ctx, &res->report, out);
}
