/* nattrace.h - nattrace's result and renderers.  NAT and return-path tracing.
 * Each mode keeps its own part of the result (path mode: struct
 * nattrace_path in path.h); the renderers read only this struct.
 */
#ifndef PATHDIAG_NATTRACE_H
#define PATHDIAG_NATTRACE_H

#include "tool.h"
#include "path.h"
#include "nat_peer.h"

/* Everything one run of nattrace found; the renderers read only this. */
struct nattrace_result {
	struct tool_report report; /* error, findings, verdict */
	/* Path mode (the default invocation); path.ran says whether it ran. */
	struct nattrace_path path;
	/* --peer (nat_peer.h); peer.ran says whether it ran. */
	struct nattrace_peer peer;
	/* Other modes (watch, conntrack) add their members here; flow has its own result. */
};

void nattrace_result_init(struct nattrace_result *res);

/* render_text.c / render_json.c */
void nattrace_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *nattrace_render_json(const struct tool_ctx *ctx, const void *result);

/* monitor.c: --format prometheus and nagios of path mode and --peer
 * (docs/monitoring.md) */
void nattrace_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out);
void nattrace_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out);

#endif
