/* monitor.c - writing the monitoring formats (monitor.h): Prometheus text
 * exposition format 0.0.4 (HELP/TYPE lines; label values escape \, " and
 * newline; HELP text escapes \ and newline) and Nagios plugin output per the
 * monitoring-plugins development guidelines (status line, then long output;
 * performance data 'label'=value[UOM];[warn];[crit];[min];[max]).
 */
#include "monitor.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

void tool_labels_add(struct tool_labels *ls, const char *name, const char *value)
{
	if (ls->n < TOOL_PROM_MAX_LABELS) {
		ls->l[ls->n].name = name;
		ls->l[ls->n].value = value ? value : "";
		ls->n++;
	}
}

/* Text with \ and newline escaped, and with label set also ". */
static void escaped(struct tool_out *out, const char *s, bool label)
{
	const char *p;

	for (p = s; *p; p++) {
		if (*p == '\\')
			tool_out_printf(out, "\\\\");
		else if (*p == '\n')
			tool_out_printf(out, "\\n");
		else if (*p == '"' && label)
			tool_out_printf(out, "\\\"");
		else
			tool_out_printf(out, "%c", *p);
	}
}

void tool_prom_family(struct tool_out *out, const char *name, const char *type,
		      const char *help)
{
	tool_out_printf(out, "# HELP %s ", name);
	escaped(out, help, false);
	tool_out_printf(out, "\n# TYPE %s %s\n", name, type);
}

static void labels(struct tool_out *out, const struct tool_labels *ls, bool *first)
{
	size_t i;

	for (i = 0; ls && i < ls->n; i++) {
		tool_out_printf(out, "%s%s=\"", *first ? "{" : ",", ls->l[i].name);
		escaped(out, ls->l[i].value, true);
		tool_out_printf(out, "\"");
		*first = false;
	}
}

/* Whole numbers exactly (counts up to 2^53 are exact in a double), others
 * with nine significant digits (sub-microsecond for the seconds written). */
static void number(struct tool_out *out, double v)
{
	if (isnan(v))
		tool_out_printf(out, "NaN");
	else if (isinf(v))
		tool_out_printf(out, v > 0 ? "+Inf" : "-Inf");
	else if (v > -9007199254740992.0 && v < 9007199254740992.0 && v == (double)(long long)v)
		tool_out_printf(out, "%lld", (long long)v);
	else
		tool_out_printf(out, "%.9g", v);
}

void tool_prom_sample(struct tool_out *out, const char *name, const struct tool_labels *base,
		      const struct tool_labels *extra, double value)
{
	bool first = true;

	tool_out_printf(out, "%s", name);
	labels(out, base, &first);
	labels(out, extra, &first);
	tool_out_printf(out, "%s ", first ? "" : "}");
	number(out, value);
	tool_out_printf(out, "\n");
}

void tool_prom_gauge(struct tool_out *out, const char *name, const char *help,
		     const struct tool_labels *base, double value)
{
	tool_prom_family(out, name, "gauge", help);
	tool_prom_sample(out, name, base, NULL, value);
}

static double mono_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tool_prom_report(const struct tool_ctx *ctx, const struct tool_report *r,
		      const char *prefix, const struct tool_labels *base, struct tool_out *out)
{
	static const enum pd_severity order[] = { PD_SEV_OK, PD_SEV_INFO, PD_SEV_WARNING,
						  PD_SEV_CRITICAL, PD_SEV_UNKNOWN };
	unsigned count[PD_SEV_CRITICAL + 1] = { 0 };
	struct tool_labels sev;
	struct timespec now;
	char name[128];
	size_t i;

	for (i = 0; i < r->findings.count && i < PD_MAX_FINDINGS; i++) {
		enum pd_severity s = r->findings.item[i].severity;

		if ((unsigned)s <= PD_SEV_CRITICAL)
			count[s]++;
	}
	snprintf(name, sizeof(name), "%s_exit_status", prefix);
	tool_prom_gauge(out, name, "Exit status of the last run: 0 OK, 1 WARNING, "
			"2 CRITICAL, 3 UNKNOWN.", base, (double)tool_report_exit(r));
	snprintf(name, sizeof(name), "%s_run_success", prefix);
	tool_prom_gauge(out, name, "1 when the last run could do its job (no error), else 0.",
			base, r->error[0] ? 0 : 1);
	snprintf(name, sizeof(name), "%s_findings", prefix);
	tool_prom_family(out, name, "gauge", "Findings of the last run by severity.");
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++) {
		sev.n = 0;
		tool_labels_add(&sev, "severity", pd_severity_name(order[i]));
		tool_prom_sample(out, name, base, &sev, count[order[i]]);
	}
	snprintf(name, sizeof(name), "%s_run_duration_seconds", prefix);
	tool_prom_gauge(out, name, "Wall time the last run took, from start to output.", base,
			ctx->start > 0 ? mono_now() - ctx->start : 0);
	clock_gettime(CLOCK_REALTIME, &now);
	snprintf(name, sizeof(name), "%s_last_run_timestamp_seconds", prefix);
	tool_prom_gauge(out, name, "When the last run wrote its output, seconds since the "
			"Unix epoch.", base, (double)now.tv_sec);
}

/* ---- Nagios ----------------------------------------------------------------------- */

const struct pd_finding *tool_report_worst(const struct tool_report *r)
{
	const struct pd_finding *w = NULL;
	size_t i;

	for (i = 0; i < r->findings.count && i < PD_MAX_FINDINGS; i++) {
		enum pd_exit e = pd_severity_exit(r->findings.item[i].severity);

		if (e != PD_EXIT_OK && (!w || e > pd_severity_exit(w->severity)))
			w = &r->findings.item[i];
	}
	return w;
}

static const char *sev_upper(enum pd_severity s)
{
	switch (s) {
	case PD_SEV_OK:
		return "OK";
	case PD_SEV_INFO:
		return "INFO";
	case PD_SEV_WARNING:
		return "WARNING";
	case PD_SEV_CRITICAL:
		return "CRITICAL";
	case PD_SEV_UNKNOWN:
		break;
	}
	return "UNKNOWN";
}

/* Text on the status line: '|' would start the performance data and a
 * newline would end the line, so both become other characters. */
static void status_text(struct tool_out *out, const char *s)
{
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '|')
			tool_out_printf(out, "/");
		else if (c < 0x20 || c == 0x7f)
			tool_out_printf(out, " ");
		else
			tool_out_printf(out, "%c", c);
	}
}

void tool_nagios_output(const struct tool_ctx *ctx, const struct tool_report *r,
			const char *summary, const struct tool_out *perf, struct tool_out *out)
{
	const char *p;
	size_t i;

	for (p = ctx->def->name; *p; p++)
		tool_out_printf(out, "%c", toupper((unsigned char)*p));
	tool_out_printf(out, " %s - ", pd_exit_name(tool_report_exit(r)));
	status_text(out, r->error[0] ? r->error : summary);
	if (perf && perf->len && !perf->failed)
		tool_out_printf(out, " | %.*s", (int)perf->len, perf->buf);
	tool_out_printf(out, "\n");
	if (perf && perf->failed)
		out->failed = true;
	for (i = 0; i < r->findings.count && i < PD_MAX_FINDINGS; i++) {
		const struct pd_finding *f = &r->findings.item[i];

		tool_out_printf(out, "%s: ", sev_upper(f->severity));
		status_text(out, f->message);
		tool_out_printf(out, "\n");
	}
}

void tool_nagios_perf(struct tool_out *perf, const char *label, double value, const char *uom,
		      const char *warn, const char *crit, const char *min, const char *max)
{
	bool quote = strpbrk(label, " '=\"") != NULL;
	const char *p;

	if (perf->len)
		tool_out_printf(perf, " ");
	if (quote) {
		tool_out_printf(perf, "'");
		for (p = label; *p; p++)
			tool_out_printf(perf, "%s%c", *p == '\'' ? "'" : "", *p);
		tool_out_printf(perf, "'");
	} else {
		tool_out_printf(perf, "%s", label);
	}
	/* A value that could not be determined is "U", without a unit. */
	if (isnan(value)) {
		tool_out_printf(perf, "=U");
		uom = "";
	} else if (value > -9007199254740992.0 && value < 9007199254740992.0 &&
		   value == (double)(long long)value) {
		tool_out_printf(perf, "=%lld", (long long)value);
	} else {
		/* The guidelines' value is [-0-9.]: no exponent. */
		char v[64];
		size_t n;

		snprintf(v, sizeof(v), "%.6f", value);
		n = strlen(v);
		while (n > 1 && v[n - 1] == '0' && v[n - 2] != '.')
			v[--n] = '\0';
		tool_out_printf(perf, "=%s", v);
	}
	tool_out_printf(perf, "%s;%s;%s;%s;%s", uom ? uom : "", warn ? warn : "", crit ? crit : "",
			min ? min : "", max ? max : "");
}
