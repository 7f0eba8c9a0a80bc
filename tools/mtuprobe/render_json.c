/* render_json.c - mtuprobe's result as a JSON document (schema in
 * tools/common/render_json.c; mtuprobe's own fields are added here). */
#include "mtuprobe.h"

json_t *mtuprobe_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct mtuprobe_result *res = result;

	return tool_report_json(ctx, &res->report);
}
