/* render_text.c - nattrace's result as text for people. */
#include "nattrace.h"

void nattrace_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct nattrace_result *res = result;

	nattrace_peer_text(&res->peer, out);
	tool_report_text(ctx, &res->report, out);
}
