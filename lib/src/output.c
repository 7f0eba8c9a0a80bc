/* output.c - exit codes, findings, values with provenance, JSON documents
 * (see pathdiag/output.h).  Formats into caller buffers and jansson objects;
 * never prints.  UTF-8 checks follow RFC 3629 section 4.
 */
#include <pathdiag/output.h>

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *pd_exit_name(enum pd_exit code)
{
	switch (code) {
	case PD_EXIT_OK:
		return "OK";
	case PD_EXIT_WARNING:
		return "WARNING";
	case PD_EXIT_CRITICAL:
		return "CRITICAL";
	case PD_EXIT_UNKNOWN:
		return "UNKNOWN";
	}
	return "UNKNOWN";
}

const char *pd_severity_name(enum pd_severity sev)
{
	switch (sev) {
	case PD_SEV_OK:
		return "ok";
	case PD_SEV_INFO:
		return "info";
	case PD_SEV_UNKNOWN:
		return "unknown";
	case PD_SEV_WARNING:
		return "warning";
	case PD_SEV_CRITICAL:
		return "critical";
	}
	return "unknown";
}

enum pd_exit pd_severity_exit(enum pd_severity sev)
{
	switch (sev) {
	case PD_SEV_OK:
	case PD_SEV_INFO:
		return PD_EXIT_OK;
	case PD_SEV_WARNING:
		return PD_EXIT_WARNING;
	case PD_SEV_CRITICAL:
		return PD_EXIT_CRITICAL;
	case PD_SEV_UNKNOWN:
		return PD_EXIT_UNKNOWN;
	}
	/* A value outside the enum is a bug somewhere; never report OK. */
	return PD_EXIT_UNKNOWN;
}

/* Position in the ranking OK < INFO < UNKNOWN < WARNING < CRITICAL; the
 * enum is declared in that order, but out-of-range values rank as UNKNOWN. */
static int sev_rank(enum pd_severity sev)
{
	switch (sev) {
	case PD_SEV_OK:
		return 0;
	case PD_SEV_INFO:
		return 1;
	case PD_SEV_UNKNOWN:
		return 2;
	case PD_SEV_WARNING:
		return 3;
	case PD_SEV_CRITICAL:
		return 4;
	}
	return 2;
}

enum pd_severity pd_severity_worse(enum pd_severity a, enum pd_severity b)
{
	enum pd_severity w = sev_rank(a) >= sev_rank(b) ? a : b;

	/* An out-of-range value ranks as, and becomes, UNKNOWN. */
	return sev_rank(w) == sev_rank(PD_SEV_UNKNOWN) ? PD_SEV_UNKNOWN : w;
}

const char *pd_provenance_name(enum pd_provenance prov)
{
	switch (prov) {
	case PD_PROV_UNKNOWN:
		return "unknown";
	case PD_PROV_MEASURED:
		return "measured";
	case PD_PROV_DERIVED:
		return "derived";
	case PD_PROV_CONFIGURED:
		return "configured";
	}
	return "unknown";
}

/* ---- values ------------------------------------------------------------ */

struct pd_value pd_value_int(int64_t v, enum pd_provenance prov, const char *unit,
			     const char *basis)
{
	struct pd_value val = {
		.known = true, .is_real = false, .prov = prov, .unit = unit, .basis = basis
	};

	val.u.i = v;
	return val;
}

struct pd_value pd_value_real(double v, enum pd_provenance prov, const char *unit,
			      const char *basis)
{
	struct pd_value val = {
		.known = true, .is_real = true, .prov = prov, .unit = unit, .basis = basis
	};

	/* NaN and infinities are not numbers anyone measured. */
	if (!isfinite(v)) {
		val.known = false;
		val.prov = PD_PROV_UNKNOWN;
	}
	val.u.r = v;
	return val;
}

struct pd_value pd_value_none(const char *unit, const char *basis)
{
	struct pd_value val = {
		.known = false, .prov = PD_PROV_UNKNOWN, .unit = unit, .basis = basis
	};

	return val;
}

int pd_value_format(const struct pd_value *v, char *buf, size_t len)
{
	int n;

	if (!buf || len == 0)
		return PD_ERR_INVAL;
	if (!v) {
		buf[0] = '\0';
		return PD_ERR_INVAL;
	}
	if (!v->known)
		n = snprintf(buf, len, "unknown");
	else if (v->is_real)
		n = snprintf(buf, len, "%.6g%s%s (%s)", v->u.r, v->unit ? " " : "",
			     v->unit ? v->unit : "", pd_provenance_name(v->prov));
	else
		n = snprintf(buf, len, "%lld%s%s (%s)", (long long)v->u.i, v->unit ? " " : "",
			     v->unit ? v->unit : "", pd_provenance_name(v->prov));
	if (n < 0) {
		buf[0] = '\0';
		return PD_ERR_INVAL;
	}
	return (size_t)n >= len ? PD_ERR_NOSPACE : PD_OK;
}

/* Set key to val (which may be NULL after a failed allocation); jansson
 * releases val either way.  Returns 0 or -1. */
static int set_new(json_t *obj, const char *key, json_t *val)
{
	return json_object_set_new(obj, key, val) == 0 ? 0 : -1;
}

static json_t *string_or_null(const char *s)
{
	return s ? pd_json_string(s) : json_null();
}

json_t *pd_value_json(const struct pd_value *v)
{
	json_t *obj, *num;
	int bad = 0;

	if (!v)
		return NULL;
	obj = json_object();
	if (!obj)
		return NULL;
	if (!v->known)
		num = json_null();
	else if (v->is_real)
		num = isfinite(v->u.r) ? json_real(v->u.r) : json_null();
	else
		num = json_integer((json_int_t)v->u.i);
	bad |= set_new(obj, "value", num);
	bad |= set_new(obj, "unit", string_or_null(v->unit));
	bad |= set_new(obj, "provenance", json_string(pd_provenance_name(v->prov)));
	bad |= set_new(obj, "basis", string_or_null(v->basis));
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

/* ---- findings ---------------------------------------------------------- */

static int vformat(char *buf, size_t len, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));

static int vformat(char *buf, size_t len, const char *fmt, va_list ap)
{
	int n = vsnprintf(buf, len, fmt, ap);

	if (n < 0) {
		buf[0] = '\0';
		return PD_ERR_INVAL;
	}
	return (size_t)n >= len ? PD_ERR_NOSPACE : PD_OK;
}

int pd_finding_set(struct pd_finding *f, const char *kind, enum pd_severity sev, const char *fmt,
		   ...)
{
	va_list ap;
	int rc;

	if (!f || !kind || !fmt)
		return PD_ERR_INVAL;
	f->kind = kind;
	f->severity = sev;
	f->evidence[0] = '\0';
	va_start(ap, fmt);
	rc = vformat(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
	return rc;
}

int pd_finding_evidence(struct pd_finding *f, const char *fmt, ...)
{
	va_list ap;
	int rc;

	if (!f || !fmt)
		return PD_ERR_INVAL;
	va_start(ap, fmt);
	rc = vformat(f->evidence, sizeof(f->evidence), fmt, ap);
	va_end(ap);
	return rc;
}

json_t *pd_finding_json(const struct pd_finding *f)
{
	json_t *obj;
	int bad = 0;

	if (!f)
		return NULL;
	obj = json_object();
	if (!obj)
		return NULL;
	bad |= set_new(obj, "kind", string_or_null(f->kind));
	bad |= set_new(obj, "severity", json_string(pd_severity_name(f->severity)));
	bad |= set_new(obj, "message", pd_json_string(f->message));
	bad |= set_new(obj, "evidence", f->evidence[0] ? pd_json_string(f->evidence) : json_null());
	if (bad) {
		json_decref(obj);
		return NULL;
	}
	return obj;
}

void pd_findings_init(struct pd_findings *fs)
{
	if (fs) {
		fs->count = 0;
		fs->dropped = 0;
		fs->dropped_worst = PD_SEV_OK;
	}
}

int pd_findings_add(struct pd_findings *fs, const struct pd_finding *f)
{
	if (!fs || !f)
		return PD_ERR_INVAL;
	if (fs->count >= PD_MAX_FINDINGS) {
		/* A dropped CRITICAL must still make the verdict CRITICAL. */
		fs->dropped++;
		fs->dropped_worst = pd_severity_worse(fs->dropped_worst, f->severity);
		return PD_ERR_NOSPACE;
	}
	fs->item[fs->count++] = *f;
	return PD_OK;
}

enum pd_severity pd_findings_worst(const struct pd_findings *fs)
{
	enum pd_severity w;
	size_t i;

	if (!fs)
		return PD_SEV_UNKNOWN;
	w = fs->dropped ? fs->dropped_worst : PD_SEV_OK;
	for (i = 0; i < fs->count && i < PD_MAX_FINDINGS; i++)
		w = pd_severity_worse(w, fs->item[i].severity);
	return w;
}

/* ---- JSON documents ------------------------------------------------------ */

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms, no
 * surrogates, nothing above U+10FFFF), or 0 if none starts there. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80, hi = 0xbf;
	size_t n, i;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef)
		n = 3;
	else if (c >= 0xf0 && c <= 0xf4)
		n = 4;
	else
		return 0;
	if (c == 0xe0)
		lo = 0xa0;
	else if (c == 0xed)
		hi = 0x9f;
	else if (c == 0xf0)
		lo = 0x90;
	else if (c == 0xf4)
		hi = 0x8f;
	/* A NUL ends the string and fails the range check, so this never
	 * reads past the terminator. */
	if (s[1] < lo || s[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return 0;
	return n;
}

json_t *pd_json_string(const char *s)
{
	const unsigned char *p;
	json_t *str;
	char *copy;
	size_t i, len, n;

	if (!s)
		return NULL;
	len = strlen(s);
	for (i = 0; i < len; i += n) {
		n = utf8_seq((const unsigned char *)s + i);
		if (n == 0)
			break;
	}
	if (i >= len)
		return json_stringn(s, len);

	copy = malloc(len + 1);
	if (!copy)
		return NULL;
	p = (const unsigned char *)s;
	for (i = 0; i < len; i += n) {
		n = utf8_seq(p + i);
		if (n == 0) {
			copy[i] = '?';
			n = 1;
		} else {
			memcpy(copy + i, p + i, n);
		}
	}
	copy[len] = '\0';
	str = json_stringn(copy, len);
	free(copy);
	return str;
}

json_t *pd_json_doc_new(const char *tool, const char *version)
{
	json_t *doc;
	int bad = 0;

	if (!tool || !version)
		return NULL;
	doc = json_object();
	if (!doc)
		return NULL;
	bad |= set_new(doc, "schema_version", json_integer(PD_JSON_SCHEMA_VERSION));
	bad |= set_new(doc, "tool", pd_json_string(tool));
	bad |= set_new(doc, "version", pd_json_string(version));
	if (bad) {
		json_decref(doc);
		return NULL;
	}
	return doc;
}

int pd_json_doc_verdict(json_t *doc, enum pd_exit code, const char *error)
{
	int bad = 0;

	if (!json_is_object(doc))
		return PD_ERR_INVAL;
	bad |= set_new(doc, "verdict", json_string(pd_exit_name(code)));
	bad |= set_new(doc, "exit_code", json_integer((json_int_t)code));
	bad |= set_new(doc, "error", string_or_null(error));
	return bad ? PD_ERR_NOMEM : PD_OK;
}

int pd_json_doc_findings(json_t *doc, const struct pd_findings *fs)
{
	json_t *arr;
	size_t i;

	if (!json_is_object(doc) || !fs)
		return PD_ERR_INVAL;
	arr = json_array();
	if (!arr)
		return PD_ERR_NOMEM;
	for (i = 0; i < fs->count && i < PD_MAX_FINDINGS; i++) {
		if (json_array_append_new(arr, pd_finding_json(&fs->item[i])) != 0) {
			json_decref(arr);
			return PD_ERR_NOMEM;
		}
	}
	if (set_new(doc, "findings", arr) != 0)
		return PD_ERR_NOMEM;
	if (fs->dropped &&
	    set_new(doc, "findings_dropped", json_integer((json_int_t)fs->dropped)) != 0)
		return PD_ERR_NOMEM;
	return PD_OK;
}

/* Ten significant digits: enough for any time or rate we measure, and no
 * 0.30000000000000004 in the output. */
#define PD_JSON_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

int pd_json_dump(const json_t *doc, char **out, size_t *len, struct pd_error *err)
{
	size_t need, got;
	char *buf;

	if (!doc || !out || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "no JSON document to serialize");
	/* First pass sizes the text, second writes it into our own buffer, so
	 * the caller frees with free() whatever allocator jansson uses. */
	need = json_dumpb(doc, NULL, 0, PD_JSON_FLAGS);
	if (need == 0)
		return pd_fail(err, PD_ERR_NOMEM, 0, "serializing the JSON document failed");
	buf = malloc(need + 2);
	if (!buf)
		return pd_fail(err, PD_ERR_NOMEM, 0, "no memory for the JSON document");
	got = json_dumpb(doc, buf, need, PD_JSON_FLAGS);
	if (got != need) {
		free(buf);
		return pd_fail(err, PD_ERR_NOMEM, 0, "serializing the JSON document failed");
	}
	buf[need] = '\n';
	buf[need + 1] = '\0';
	*out = buf;
	*len = need + 1;
	return PD_OK;
}

/* ---- error messages ------------------------------------------------------ */

static const char *errno_text(int e, char *tmp, size_t len)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
	return strerror_r(e, tmp, len);
#else
	if (strerror_r(e, tmp, len) != 0)
		snprintf(tmp, len, "error %d", e);
	return tmp;
#endif
}

const char *pd_error_message(const struct pd_error *err, char *buf, size_t len)
{
	char tmp[128];
	const char *what;

	if (!buf || len == 0)
		return buf;
	if (!err) {
		snprintf(buf, len, "no error information");
		return buf;
	}
	what = err->what ? err->what : pd_status_name(err->code);
	switch (err->code) {
	case PD_ERR_SYSTEM:
		if (err->sys_errno)
			snprintf(buf, len, "%s: %s", what,
				 errno_text(err->sys_errno, tmp, sizeof(tmp)));
		else
			snprintf(buf, len, "%s (system error)", what);
		break;
	case PD_ERR_TRUNCATED:
	case PD_ERR_MALFORMED:
	case PD_ERR_UNSUPPORTED:
		/* Decoder errors: where in the buffer matters. */
		snprintf(buf, len, "%s (%s at byte %zu)", what, pd_status_name(err->code),
			 err->offset);
		break;
	case PD_OK:
		snprintf(buf, len, "no error");
		break;
	default:
		if (err->what)
			snprintf(buf, len, "%s (%s)", what, pd_status_name(err->code));
		else
			snprintf(buf, len, "%s", what);
		break;
	}
	return buf;
}
