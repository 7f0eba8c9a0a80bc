/* report.c - the common part of a tool's result and how it is emitted:
 * --json gives one complete document on stdout (serialized before the first
 * byte is written), text mode gives the tool's text on stdout and its error
 * as one line on stderr.
 */
#include "tool.h"
#include "monitor.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void tool_report_init(struct tool_report *r)
{
	r->error[0] = '\0';
	r->error_code = PD_EXIT_OK;
	pd_findings_init(&r->findings);
}

void tool_report_fail(struct tool_report *r, enum pd_exit code, const char *fmt, ...)
{
	va_list ap;

	if (r->error[0])
		return;
	va_start(ap, fmt);
	vsnprintf(r->error, sizeof(r->error), fmt, ap);
	va_end(ap);
	/* An error with no text would vanish from the output. */
	if (!r->error[0])
		snprintf(r->error, sizeof(r->error), "failed");
	/* A failure is never OK. */
	r->error_code = code == PD_EXIT_OK ? PD_EXIT_UNKNOWN : code;
}

void tool_report_add(struct tool_report *r, const char *kind, enum pd_severity sev,
		     const char *evidence, const char *fmt, ...)
{
	struct pd_finding f;
	char msg[PD_FINDING_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	pd_finding_set(&f, kind, sev, "%s", msg);
	if (evidence && *evidence)
		pd_finding_evidence(&f, "%s", evidence);
	pd_findings_add(&r->findings, &f);
}

enum pd_exit tool_report_exit(const struct tool_report *r)
{
	if (r->error[0])
		return r->error_code == PD_EXIT_OK ? PD_EXIT_UNKNOWN : r->error_code;
	return pd_severity_exit(pd_findings_worst(&r->findings));
}

static int emit_json(const struct tool_ctx *ctx, const struct tool_report *r, const void *result,
		     const struct tool_render *render)
{
	struct pd_error err = { 0 };
	char msg[160];
	size_t len;
	char *text;
	json_t *doc;
	int rc;

	if (render && render->json)
		doc = render->json(ctx, result);
	else
		doc = tool_report_json(ctx, r);
	if (!doc) {
		tool_err(ctx, "out of memory building the JSON document");
		return PD_EXIT_UNKNOWN;
	}
	rc = pd_json_dump(doc, &text, &len, &err);
	json_decref(doc);
	if (rc) {
		tool_err(ctx, "%s", pd_error_message(&err, msg, sizeof(msg)));
		return PD_EXIT_UNKNOWN;
	}
	rc = tool_write_stdout(ctx, text, len);
	free(text);
	return rc ? rc : (int)tool_report_exit(r);
}

/* --format prometheus and nagios: all of the output or none of it, written
 * whatever -q says (as --json).  Without the tool's renderer (tool_die, or a
 * result without one) the common part: the report's metrics, or the status
 * line. */
static int emit_monitor(const struct tool_ctx *ctx, const struct tool_report *r,
			const void *result, const struct tool_render *render)
{
	struct tool_out out;
	char prefix[64];
	int rc = 0;

	tool_out_init(&out);
	if (ctx->format == TOOL_FMT_PROMETHEUS) {
		if (render && render->prometheus && result) {
			render->prometheus(ctx, result, &out);
		} else {
			snprintf(prefix, sizeof(prefix), "pathdiag_%s", ctx->def->name);
			tool_prom_report(ctx, r, prefix, NULL, &out);
		}
	} else if (render && render->nagios && result) {
		render->nagios(ctx, result, &out);
	} else {
		tool_nagios_output(ctx, r, "no details", NULL, &out);
	}
	if (out.failed) {
		tool_err(ctx, "out of memory formatting the output");
		rc = PD_EXIT_UNKNOWN;
	} else {
		rc = tool_write_stdout(ctx, out.buf, out.len);
	}
	tool_out_free(&out);
	/* Metrics go to a file: the error also goes to stderr (the journal).
	 * Nagios shows the status line, which carries it. */
	if (ctx->format == TOOL_FMT_PROMETHEUS && r->error[0])
		tool_err(ctx, "%s", r->error);
	return rc ? rc : (int)tool_report_exit(r);
}

int tool_emit(const struct tool_ctx *ctx, const struct tool_report *r, const void *result,
	      const struct tool_render *render)
{
	struct tool_out out;
	int rc = 0;

	if (ctx->json)
		return emit_json(ctx, r, result, render);
	if (ctx->format == TOOL_FMT_PROMETHEUS || ctx->format == TOOL_FMT_NAGIOS)
		return emit_monitor(ctx, r, result, render);

	if (!ctx->quiet) {
		tool_out_init(&out);
		if (render && render->text)
			render->text(ctx, result, &out);
		else
			tool_report_text(ctx, r, &out);
		if (out.failed) {
			tool_err(ctx, "out of memory formatting the output");
			rc = PD_EXIT_UNKNOWN;
		} else if (out.len) {
			rc = tool_write_stdout(ctx, out.buf, out.len);
		}
		tool_out_free(&out);
	}
	if (r->error[0])
		tool_err(ctx, "%s", r->error);
	return rc ? rc : (int)tool_report_exit(r);
}
