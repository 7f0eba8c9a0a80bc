/* output.h - results as the tools report them: exit codes, findings,
 * values that say where their number came from, and JSON documents.
 *
 * Exit codes follow the monitoring-plugin convention that Nagios, Icinga and
 * their successors understand (Monitoring Plugins Development Guidelines,
 * "Plugin Return Codes"): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.  UNKNOWN
 * also covers bad usage, missing privileges and internal errors.
 *
 * Every number a tool prints is a struct pd_value, which carries its
 * provenance: measured on the wire, derived from other numbers, taken from
 * configuration, or unknown.  Renderers print the provenance next to the
 * number in text and as a field in JSON.
 *
 * The JSON helpers build a jansson document that starts with schema_version,
 * tool and version, and serialize the complete document into one buffer
 * before anything is written, so a tool emits all of it or nothing.
 *
 * Like the rest of the library this file formats into caller buffers and
 * jansson objects; it never prints and never exits.
 */
#ifndef PATHDIAG_OUTPUT_H
#define PATHDIAG_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <jansson.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Version of the JSON layout.  Raised when a field changes meaning or goes
 * away; adding a field does not raise it. */
#define PD_JSON_SCHEMA_VERSION 1

enum pd_exit {
	PD_EXIT_OK = 0,
	PD_EXIT_WARNING = 1,
	PD_EXIT_CRITICAL = 2,
	PD_EXIT_UNKNOWN = 3, /* also: bad usage, no privileges, internal error */
};

/* "OK", "WARNING", "CRITICAL", "UNKNOWN" (the verdict field in JSON). */
const char *pd_exit_name(enum pd_exit code);

enum pd_severity {
	PD_SEV_OK = 0,
	PD_SEV_INFO,    /* worth saying, changes nothing: exits 0 */
	PD_SEV_UNKNOWN, /* could not be determined */
	PD_SEV_WARNING,
	PD_SEV_CRITICAL,
};

/* "ok", "info", "unknown", "warning", "critical". */
const char *pd_severity_name(enum pd_severity sev);

/* OK and INFO -> 0, WARNING -> 1, CRITICAL -> 2, UNKNOWN -> 3. */
enum pd_exit pd_severity_exit(enum pd_severity sev);

/* The worse of two severities, ranked OK < INFO < UNKNOWN < WARNING <
 * CRITICAL: a problem that was found outranks one that could not be
 * checked, and a check that could not be made forbids saying OK. */
enum pd_severity pd_severity_worse(enum pd_severity a, enum pd_severity b);

enum pd_provenance {
	PD_PROV_UNKNOWN = 0,
	PD_PROV_MEASURED,   /* observed: a probe's answer, a captured packet */
	PD_PROV_DERIVED,    /* computed from other values, e.g. MTU - overhead */
	PD_PROV_CONFIGURED, /* read from configuration: an interface MTU, a rule */
};

/* "unknown", "measured", "derived", "configured". */
const char *pd_provenance_name(enum pd_provenance prov);

/* A number as reported, with where it came from.  unit and basis point to
 * string literals (or are NULL): basis says briefly how the number was
 * obtained, e.g. "largest echo answered" or "interface MTU minus 80". */
struct pd_value {
	bool known;   /* false: there is no number, only the question */
	bool is_real; /* which member of the union holds the number */
	union {
		int64_t i;
		double r;
	} u;
	enum pd_provenance prov;
	const char *unit; /* "bytes", "ms", "%", ... */
	const char *basis;
};

struct pd_value pd_value_int(int64_t v, enum pd_provenance prov, const char *unit,
			     const char *basis);
struct pd_value pd_value_real(double v, enum pd_provenance prov, const char *unit,
			      const char *basis);
/* A value that could not be obtained; provenance unknown, no number. */
struct pd_value pd_value_none(const char *unit, const char *basis);

/* Text form for people: "1420 bytes (measured)", "12.5 ms (derived)",
 * "unknown".  Always NUL-terminates a non-empty buffer; returns PD_OK or
 * PD_ERR_NOSPACE when the text was cut. */
int pd_value_format(const struct pd_value *v, char *buf, size_t len);

/* {"value": 1420 | 12.5 | null, "unit": "bytes" | null,
 *  "provenance": "measured", "basis": "..." | null}.  NULL on failure. */
json_t *pd_value_json(const struct pd_value *v);

#define PD_FINDING_MSG_MAX 384
#define PD_FINDING_EVIDENCE_MAX 512

/* One conclusion of a tool: what kind it is (a stable identifier such as
 * "mss-exceeds-path"), how bad, one sentence for people, and the evidence
 * it rests on (what was seen, where), which may be empty. */
struct pd_finding {
	const char *kind; /* string literal */
	enum pd_severity severity;
	char message[PD_FINDING_MSG_MAX];
	char evidence[PD_FINDING_EVIDENCE_MAX];
};

/* Fill f; message from a printf format.  Text longer than the buffer is cut
 * (and still NUL-terminated).  Returns PD_OK, PD_ERR_NOSPACE if cut,
 * PD_ERR_INVAL for a NULL f, kind or fmt. */
int pd_finding_set(struct pd_finding *f, const char *kind, enum pd_severity sev, const char *fmt,
		   ...) __attribute__((format(printf, 4, 5)));
/* Set the evidence text of f from a printf format; same returns. */
int pd_finding_evidence(struct pd_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* {"kind", "severity", "message", "evidence" (null when empty)}. */
json_t *pd_finding_json(const struct pd_finding *f);

#define PD_MAX_FINDINGS 32

/* The findings of one run, in the order they were made. */
struct pd_findings {
	struct pd_finding item[PD_MAX_FINDINGS];
	size_t count;
	size_t dropped;                 /* findings that did not fit */
	enum pd_severity dropped_worst; /* worst severity among those */
};

void pd_findings_init(struct pd_findings *fs);
/* Append a copy of f.  When the list is full the finding is counted in
 * dropped, but its severity still counts for the verdict: returns
 * PD_ERR_NOSPACE then. */
int pd_findings_add(struct pd_findings *fs, const struct pd_finding *f);
/* The worst severity of all findings (PD_SEV_OK when there are none). */
enum pd_severity pd_findings_worst(const struct pd_findings *fs);

/* A new document {"schema_version": PD_JSON_SCHEMA_VERSION, "tool": tool,
 * "version": version}.  NULL when out of memory or an argument is NULL. */
json_t *pd_json_doc_new(const char *tool, const char *version);

/* Set "verdict" (pd_exit_name), "exit_code" and "error" (the message, or
 * null when error is NULL) in doc.  PD_OK, PD_ERR_INVAL or PD_ERR_NOMEM. */
int pd_json_doc_verdict(json_t *doc, enum pd_exit code, const char *error);

/* Set "findings": [ ... ] in doc, plus "findings_dropped" when some were
 * dropped.  PD_OK, PD_ERR_INVAL or PD_ERR_NOMEM. */
int pd_json_doc_findings(json_t *doc, const struct pd_findings *fs);

/* A JSON string for text that may not be valid UTF-8 (names from the
 * command line, interface names): bytes that do not form valid UTF-8 are
 * replaced by '?'.  NULL only when out of memory or s is NULL. */
json_t *pd_json_string(const char *s);

/* Serialize the complete document (indented, keys in insertion order) with
 * a final newline into a new buffer the caller releases with free().
 * *out and *len are set only on success.  PD_OK, PD_ERR_INVAL or
 * PD_ERR_NOMEM. */
int pd_json_dump(const json_t *doc, char **out, size_t *len, struct pd_error *err);

/* A one-line text for an error, for tools to print:
 *   "IPv4 header shorter than IHL (truncated at byte 14)"
 *   "opening the raw socket: Operation not permitted"   (PD_ERR_SYSTEM)
 * Returns buf, always NUL-terminated when len > 0. */
const char *pd_error_message(const struct pd_error *err, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
