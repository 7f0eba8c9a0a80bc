/* render_json.c - tunsniff's result as a JSON document (schema in
 * tools/common/render_json.c; tunsniff's own fields are added here). */
#include "tunsniff.h"

json_t *tunsniff_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct tunsniff_result *res = result;

	return tool_report_json(ctx, &res->report);
}
