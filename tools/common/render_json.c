/* render_json.c - the common part of a result as a JSON document:
 *   { "schema_version", "tool", "version", "verdict", "exit_code",
 *     "error" (string or null), "findings": [...] }
 * Tools add their own fields to it (tools/NAME/render_json.c).
 */
#include "tool.h"

json_t *tool_report_json(const struct tool_ctx *ctx, const struct tool_report *r)
{
	json_t *doc;

	doc = pd_json_doc_new(ctx->def->name, PD_VERSION);
	if (!doc)
		return NULL;
	if (pd_json_doc_verdict(doc, tool_report_exit(r), r->error[0] ? r->error : NULL) ||
	    pd_json_doc_findings(doc, &r->findings)) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}
