/* render_text.c - mtuprobe's result as text for people. */
#include "mtuprobe.h"

void mtuprobe_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct mtuprobe_result *res = result;

	tool_report_text(ctx, &res->report, out);
}
