/* tunsniff.h - tunsniff's result and renderers.  Tunnel capture analysis.
 */
#ifndef PATHDIAG_TUNSNIFF_H
#define PATHDIAG_TUNSNIFF_H

#include "tool.h"

/* Everything one run of tunsniff found; the renderers read only this. */
struct tunsniff_result {
	struct tool_report report; /* error, findings, verdict */
	/* The tool's own values (struct pd_value) join here as it grows. */
};

void tunsniff_result_init(struct tunsniff_result *res);

/* render_text.c / render_json.c */
void tunsniff_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *tunsniff_render_json(const struct tool_ctx *ctx, const void *result);

#endif
