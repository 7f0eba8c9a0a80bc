/* mtuprobe.h - mtuprobe's result and renderers.  Path MTU probing.
 */
#ifndef PATHDIAG_MTUPROBE_H
#define PATHDIAG_MTUPROBE_H

#include "tool.h"

/* Everything one run of mtuprobe found; the renderers read only this. */
struct mtuprobe_result {
	struct tool_report report; /* error, findings, verdict */
	/* The tool's own values (struct pd_value) join here as it grows. */
};

void mtuprobe_result_init(struct mtuprobe_result *res);

/* render_text.c / render_json.c */
void mtuprobe_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *mtuprobe_render_json(const struct tool_ctx *ctx, const void *result);

#endif
