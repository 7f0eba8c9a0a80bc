/* render_json.c - nattrace's result as a JSON document (schema in
 * tools/common/render_json.c; nattrace's own fields are added here, each
 * mode's by its own renderer: path mode in path_render.c). */
#include "nattrace.h"

json_t *nattrace_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct nattrace_result *res = result;
	json_t *doc = tool_report_json(ctx, &res->report);

	if (!doc)
		return NULL;
	nattrace_path_json(&res->path, doc);
	if (doc && res->peer.ran)
		nattrace_peer_json(&res->peer, doc);
	return doc;
}
