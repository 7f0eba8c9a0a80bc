/* render_text.c - nattrace's result as text for people: each mode's part
 * (path mode: path_render.c), then the findings. */
#include "nattrace.h"

void nattrace_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct nattrace_result *res = result;

	nattrace_path_text(&res->path, &res->report, out);
	nattrace_peer_text(&res->peer, out);
	tool_report_text(ctx, &res->report, out);
}
