/* monitor.h - the monitoring output formats every tool shares:
 * --format prometheus, the Prometheus text exposition format 0.0.4 (HELP and
 * TYPE lines, label values escaped), for node_exporter's textfile collector;
 * --format nagios, the Nagios / Icinga plugin output (monitoring-plugins
 * development guidelines: "STATUS: summary | perfdata" as the first line,
 * performance data 'label'=value[UOM];[warn];[crit];[min];[max]).
 * Metric names and labels are documented in docs/monitoring.md.
 */
#ifndef PATHDIAG_MONITOR_H
#define PATHDIAG_MONITOR_H

#include <stddef.h>
#include <stdint.h>

#include "tool.h"

/* ---- Prometheus ------------------------------------------------------------ */

/* One label: name (a valid label name, a literal) and value (any text;
 * escaped when written). */
struct tool_label {
	const char *name;
	const char *value;
};

#define TOOL_PROM_MAX_LABELS 10

/* A set of labels: the base labels of a run plus a sample's own. */
struct tool_labels {
	struct tool_label l[TOOL_PROM_MAX_LABELS];
	size_t n;
};

/* Add name=value (both kept by reference) unless the set is full. */
void tool_labels_add(struct tool_labels *ls, const char *name, const char *value);

/* "# HELP name help" and "# TYPE name type" (type: "gauge", "counter"). */
void tool_prom_family(struct tool_out *out, const char *name, const char *type,
		      const char *help);
/* One sample: name{labels} value.  base and extra may be NULL. */
void tool_prom_sample(struct tool_out *out, const char *name, const struct tool_labels *base,
		      const struct tool_labels *extra, double value);
/* A family with its one sample (the common case). */
void tool_prom_gauge(struct tool_out *out, const char *name, const char *help,
		     const struct tool_labels *base, double value);

/* The metrics of every run, named PREFIX_exit_status, PREFIX_run_success,
 * PREFIX_findings{severity}, PREFIX_run_duration_seconds and
 * PREFIX_last_run_timestamp_seconds, with base labels. */
void tool_prom_report(const struct tool_ctx *ctx, const struct tool_report *r,
		      const char *prefix, const struct tool_labels *base, struct tool_out *out);

/* ---- Nagios ---------------------------------------------------------------- */

/* The most severe finding of WARNING or worse (the first of equals), or
 * NULL: what a status line names after the measurement. */
const struct pd_finding *tool_report_worst(const struct tool_report *r);

/* The first line: "TOOL STATUS - summary | perfdata" (TOOL upper case,
 * STATUS from the report's exit code; " | perfdata" only when perf is not
 * empty), then the findings, one per line ("WARNING: message"), as the
 * plugin's long output.  With an error the summary is the error. */
void tool_nagios_output(const struct tool_ctx *ctx, const struct tool_report *r,
			const char *summary, const struct tool_out *perf, struct tool_out *out);

/* Append one performance datum to perf: label=value[uom];warn;crit;min;max.
 * value NaN is written "U" (not determined).  warn, crit, min, max are
 * the text to write ("" for none); label is
 * quoted when it holds a space, quote or '='. */
void tool_nagios_perf(struct tool_out *perf, const char *label, double value, const char *uom,
		      const char *warn, const char *crit, const char *min, const char *max);

#endif
