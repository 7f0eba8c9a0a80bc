/* nattrace.h - nattrace's result and renderers.  NAT and return-path tracing.
 */
#ifndef PATHDIAG_NATTRACE_H
#define PATHDIAG_NATTRACE_H

#include "tool.h"
#include "nat_peer.h"

/* Everything one run of nattrace found; the renderers read only this. */
struct nattrace_result {
	struct tool_report report; /* error, findings, verdict */
	/* The tool's own values (struct pd_value) join here as it grows. */
	/* --peer (nat_peer.h); peer.ran says whether it ran. */
	struct nattrace_peer peer;
};

void nattrace_result_init(struct nattrace_result *res);

/* render_text.c / render_json.c */
void nattrace_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *nattrace_render_json(const struct tool_ctx *ctx, const void *result);

#endif
