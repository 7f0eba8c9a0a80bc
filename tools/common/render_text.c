/* render_text.c - the common part of a result as text for people: one line
 * per finding, its evidence indented below it.  Tools print their own values
 * around it (tools/NAME/render_text.c).
 */
#include "tool.h"

static const char *sev_label(enum pd_severity sev)
{
	switch (sev) {
	case PD_SEV_OK:
		return "OK";
	case PD_SEV_INFO:
		return "INFO";
	case PD_SEV_UNKNOWN:
		return "UNKNOWN";
	case PD_SEV_WARNING:
		return "WARNING";
	case PD_SEV_CRITICAL:
		return "CRITICAL";
	}
	return "UNKNOWN";
}

void tool_report_text(const struct tool_ctx *ctx, const struct tool_report *r, struct tool_out *out)
{
	const struct pd_finding *f;
	size_t i;

	(void)ctx;
	for (i = 0; i < r->findings.count && i < PD_MAX_FINDINGS; i++) {
		f = &r->findings.item[i];
		tool_out_printf(out, "%s: %s\n", sev_label(f->severity), f->message);
		if (f->evidence[0])
			tool_out_printf(out, "  evidence: %s\n", f->evidence);
	}
	if (r->findings.dropped)
		tool_out_printf(out, "(%zu more findings not shown)\n", r->findings.dropped);
}
