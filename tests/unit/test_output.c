/* test_output.c - the result layer (output.c): exit codes of the
 * monitoring-plugin convention, the severity ranking, findings lists, values
 * with provenance in text and JSON, JSON documents read back with jansson,
 * UTF-8 repair per RFC 3629, and error messages.  Expected texts are the
 * documented formats of pathdiag/output.h.
 */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/output.h>

static void test_exit_codes(void **state)
{
	(void)state;
	/* Nagios/Icinga: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
	assert_int_equal(PD_EXIT_OK, 0);
	assert_int_equal(PD_EXIT_WARNING, 1);
	assert_int_equal(PD_EXIT_CRITICAL, 2);
	assert_int_equal(PD_EXIT_UNKNOWN, 3);
	assert_string_equal(pd_exit_name(PD_EXIT_OK), "OK");
	assert_string_equal(pd_exit_name(PD_EXIT_WARNING), "WARNING");
	assert_string_equal(pd_exit_name(PD_EXIT_CRITICAL), "CRITICAL");
	assert_string_equal(pd_exit_name(PD_EXIT_UNKNOWN), "UNKNOWN");
	assert_string_equal(pd_exit_name((enum pd_exit)42), "UNKNOWN");

	assert_int_equal(pd_severity_exit(PD_SEV_OK), 0);
	assert_int_equal(pd_severity_exit(PD_SEV_INFO), 0);
	assert_int_equal(pd_severity_exit(PD_SEV_WARNING), 1);
	assert_int_equal(pd_severity_exit(PD_SEV_CRITICAL), 2);
	assert_int_equal(pd_severity_exit(PD_SEV_UNKNOWN), 3);
	/* A corrupt severity must never turn into OK. */
	assert_int_equal(pd_severity_exit((enum pd_severity)99), 3);
}

static void test_severity_rank(void **state)
{
	(void)state;
	assert_int_equal(pd_severity_worse(PD_SEV_OK, PD_SEV_INFO), PD_SEV_INFO);
	assert_int_equal(pd_severity_worse(PD_SEV_INFO, PD_SEV_UNKNOWN), PD_SEV_UNKNOWN);
	assert_int_equal(pd_severity_worse(PD_SEV_UNKNOWN, PD_SEV_WARNING), PD_SEV_WARNING);
	assert_int_equal(pd_severity_worse(PD_SEV_WARNING, PD_SEV_UNKNOWN), PD_SEV_WARNING);
	assert_int_equal(pd_severity_worse(PD_SEV_CRITICAL, PD_SEV_WARNING), PD_SEV_CRITICAL);
	assert_int_equal(pd_severity_worse(PD_SEV_OK, PD_SEV_OK), PD_SEV_OK);
	assert_int_equal(pd_severity_worse(PD_SEV_OK, (enum pd_severity)99), PD_SEV_UNKNOWN);
	assert_int_equal(pd_severity_worse((enum pd_severity)99, PD_SEV_CRITICAL), PD_SEV_CRITICAL);
	assert_string_equal(pd_severity_name(PD_SEV_WARNING), "warning");
	assert_string_equal(pd_severity_name(PD_SEV_INFO), "info");
	assert_string_equal(pd_provenance_name(PD_PROV_MEASURED), "measured");
	assert_string_equal(pd_provenance_name(PD_PROV_DERIVED), "derived");
	assert_string_equal(pd_provenance_name(PD_PROV_CONFIGURED), "configured");
	assert_string_equal(pd_provenance_name(PD_PROV_UNKNOWN), "unknown");
}

static void test_findings(void **state)
{
	struct pd_findings *fs = malloc(sizeof(*fs));
	struct pd_finding f;
	char longmsg[400];
	int i;

	(void)state;
	assert_non_null(fs);
	pd_findings_init(fs);
	assert_int_equal(pd_findings_worst(fs), PD_SEV_OK);

	assert_int_equal(pd_finding_set(&f, "mss-exceeds-path", PD_SEV_WARNING,
					"MSS %d exceeds the path's %d", 1460, 1380),
			 PD_OK);
	assert_string_equal(f.kind, "mss-exceeds-path");
	assert_string_equal(f.message, "MSS 1460 exceeds the path's 1380");
	assert_string_equal(f.evidence, "");
	assert_int_equal(pd_finding_evidence(&f, "SYN from %s", "192.0.2.7"), PD_OK);
	assert_string_equal(f.evidence, "SYN from 192.0.2.7");

	/* Too long: cut, terminated, reported. */
	memset(longmsg, 'x', sizeof(longmsg) - 1);
	longmsg[sizeof(longmsg) - 1] = '\0';
	assert_int_equal(pd_finding_set(&f, "k", PD_SEV_INFO, "%s", longmsg), PD_ERR_NOSPACE);
	assert_int_equal(strlen(f.message), PD_FINDING_MSG_MAX - 1);
	assert_int_equal(pd_finding_set(NULL, "k", PD_SEV_INFO, "x"), PD_ERR_INVAL);

	/* Fill the list with INFO, then one CRITICAL that does not fit. */
	assert_int_equal(pd_finding_set(&f, "note", PD_SEV_INFO, "note"), PD_OK);
	for (i = 0; i < PD_MAX_FINDINGS; i++)
		assert_int_equal(pd_findings_add(fs, &f), PD_OK);
	assert_int_equal(pd_findings_worst(fs), PD_SEV_INFO);
	assert_int_equal(pd_finding_set(&f, "lost", PD_SEV_CRITICAL, "lost"), PD_OK);
	assert_int_equal(pd_findings_add(fs, &f), PD_ERR_NOSPACE);
	assert_int_equal(fs->count, PD_MAX_FINDINGS);
	assert_int_equal(fs->dropped, 1);
	assert_int_equal(pd_findings_worst(fs), PD_SEV_CRITICAL);
	/* The kept findings are unchanged. */
	assert_int_equal(fs->item[PD_MAX_FINDINGS - 1].severity, PD_SEV_INFO);
	free(fs);
}

static void test_value_text(void **state)
{
	struct pd_value v;
	char buf[64], small[8];

	(void)state;
	v = pd_value_int(1420, PD_PROV_MEASURED, "bytes", "largest echo answered");
	assert_int_equal(pd_value_format(&v, buf, sizeof(buf)), PD_OK);
	assert_string_equal(buf, "1420 bytes (measured)");

	v = pd_value_real(12.5, PD_PROV_DERIVED, "ms", NULL);
	assert_int_equal(pd_value_format(&v, buf, sizeof(buf)), PD_OK);
	assert_string_equal(buf, "12.5 ms (derived)");

	v = pd_value_int(-3, PD_PROV_CONFIGURED, NULL, NULL);
	assert_int_equal(pd_value_format(&v, buf, sizeof(buf)), PD_OK);
	assert_string_equal(buf, "-3 (configured)");

	v = pd_value_none("bytes", "no answer to any probe");
	assert_false(v.known);
	assert_int_equal(v.prov, PD_PROV_UNKNOWN);
	assert_int_equal(pd_value_format(&v, buf, sizeof(buf)), PD_OK);
	assert_string_equal(buf, "unknown");

	/* NaN is not a measurement. */
	v = pd_value_real(NAN, PD_PROV_MEASURED, "ms", NULL);
	assert_false(v.known);
	assert_int_equal(v.prov, PD_PROV_UNKNOWN);

	v = pd_value_int(1420, PD_PROV_MEASURED, "bytes", NULL);
	assert_int_equal(pd_value_format(&v, small, sizeof(small)), PD_ERR_NOSPACE);
	assert_string_equal(small, "1420 by");
	assert_int_equal(pd_value_format(&v, NULL, 0), PD_ERR_INVAL);
}

static void test_value_json(void **state)
{
	struct pd_value v;
	json_t *o;

	(void)state;
	v = pd_value_int(1280, PD_PROV_DERIVED, "bytes", "1360 minus 80 of WireGuard/IPv6");
	o = pd_value_json(&v);
	assert_non_null(o);
	assert_true(json_is_integer(json_object_get(o, "value")));
	assert_int_equal(json_integer_value(json_object_get(o, "value")), 1280);
	assert_string_equal(json_string_value(json_object_get(o, "unit")), "bytes");
	assert_string_equal(json_string_value(json_object_get(o, "provenance")), "derived");
	assert_string_equal(json_string_value(json_object_get(o, "basis")),
			    "1360 minus 80 of WireGuard/IPv6");
	json_decref(o);

	v = pd_value_real(0.25, PD_PROV_MEASURED, "ms", NULL);
	o = pd_value_json(&v);
	assert_non_null(o);
	assert_true(json_is_real(json_object_get(o, "value")));
	assert_true(json_real_value(json_object_get(o, "value")) == 0.25);
	assert_true(json_is_null(json_object_get(o, "basis")));
	json_decref(o);

	v = pd_value_none(NULL, NULL);
	o = pd_value_json(&v);
	assert_non_null(o);
	assert_true(json_is_null(json_object_get(o, "value")));
	assert_true(json_is_null(json_object_get(o, "unit")));
	assert_string_equal(json_string_value(json_object_get(o, "provenance")), "unknown");
	json_decref(o);
	assert_null(pd_value_json(NULL));
}

static void test_json_document(void **state)
{
	struct pd_findings fs;
	struct pd_finding f;
	struct pd_error err = { 0 };
	json_error_t jerr;
	json_t *doc, *back, *arr, *first;
	const char *key;
	void *it;
	char *text;
	size_t len;

	(void)state;
	doc = pd_json_doc_new("mtuprobe", "1.2.3");
	assert_non_null(doc);
	assert_int_equal(pd_json_doc_verdict(doc, PD_EXIT_WARNING, NULL), PD_OK);
	pd_findings_init(&fs);
	assert_int_equal(pd_finding_set(&f, "no-mss-clamp", PD_SEV_WARNING, "no MSS clamping"),
			 PD_OK);
	assert_int_equal(pd_findings_add(&fs, &f), PD_OK);
	assert_int_equal(pd_json_doc_findings(doc, &fs), PD_OK);

	assert_int_equal(pd_json_dump(doc, &text, &len, &err), PD_OK);
	json_decref(doc);
	assert_int_equal(len, strlen(text));
	assert_true(len > 2 && text[len - 1] == '\n' && text[len - 2] == '}');

	back = json_loads(text, 0, &jerr);
	assert_non_null(back);
	/* schema_version comes first, for readers that look at the start. */
	it = json_object_iter(back);
	assert_non_null(it);
	key = json_object_iter_key(it);
	assert_string_equal(key, "schema_version");
	assert_int_equal(json_integer_value(json_object_get(back, "schema_version")),
			 PD_JSON_SCHEMA_VERSION);
	assert_string_equal(json_string_value(json_object_get(back, "tool")), "mtuprobe");
	assert_string_equal(json_string_value(json_object_get(back, "version")), "1.2.3");
	assert_string_equal(json_string_value(json_object_get(back, "verdict")), "WARNING");
	assert_int_equal(json_integer_value(json_object_get(back, "exit_code")), 1);
	assert_true(json_is_null(json_object_get(back, "error")));
	arr = json_object_get(back, "findings");
	assert_int_equal(json_array_size(arr), 1);
	first = json_array_get(arr, 0);
	assert_string_equal(json_string_value(json_object_get(first, "kind")), "no-mss-clamp");
	assert_string_equal(json_string_value(json_object_get(first, "severity")), "warning");
	assert_string_equal(json_string_value(json_object_get(first, "message")),
			    "no MSS clamping");
	assert_true(json_is_null(json_object_get(first, "evidence")));
	assert_null(json_object_get(back, "findings_dropped"));
	json_decref(back);
	free(text);

	/* An error document. */
	doc = pd_json_doc_new("nattrace", "0.1");
	assert_int_equal(pd_json_doc_verdict(doc, PD_EXIT_UNKNOWN, "no privileges"), PD_OK);
	assert_int_equal(pd_json_dump(doc, &text, &len, NULL), PD_OK);
	json_decref(doc);
	back = json_loads(text, 0, &jerr);
	assert_non_null(back);
	assert_string_equal(json_string_value(json_object_get(back, "verdict")), "UNKNOWN");
	assert_int_equal(json_integer_value(json_object_get(back, "exit_code")), 3);
	assert_string_equal(json_string_value(json_object_get(back, "error")), "no privileges");
	json_decref(back);
	free(text);

	assert_null(pd_json_doc_new(NULL, "1"));
	assert_int_equal(pd_json_doc_verdict(NULL, PD_EXIT_OK, NULL), PD_ERR_INVAL);
	assert_int_equal(pd_json_dump(NULL, &text, &len, &err), PD_ERR_INVAL);
	assert_int_equal(err.code, PD_ERR_INVAL);
}

static void expect_json_string(const char *in, const char *want)
{
	json_t *s = pd_json_string(in);

	assert_non_null(s);
	assert_string_equal(json_string_value(s), want);
	json_decref(s);
}

static void test_json_utf8(void **state)
{
	(void)state;
	expect_json_string("eth0", "eth0");
	expect_json_string("caf\xc3\xa9", "caf\xc3\xa9");           /* U+00E9 */
	expect_json_string("\xe2\x82\xac", "\xe2\x82\xac");         /* U+20AC */
	expect_json_string("\xf0\x9f\x98\x80", "\xf0\x9f\x98\x80"); /* U+1F600 */
	expect_json_string("a\377b", "a?b");                        /* never valid */
	expect_json_string("\xc0\xaf", "??");                       /* overlong '/' */
	expect_json_string("\xed\xa0\x80", "???");                  /* surrogate */
	expect_json_string("\xf4\x90\x80\x80", "????");             /* above U+10FFFF */
	expect_json_string("x\xc3", "x?");                          /* cut short */
	expect_json_string("tab\there", "tab\there");               /* jansson escapes controls */
	assert_null(pd_json_string(NULL));
}

static void test_error_message(void **state)
{
	struct pd_error err = { 0 };
	char buf[128];

	(void)state;
	pd_fail(&err, PD_ERR_TRUNCATED, 14, "IPv4 header shorter than IHL");
	assert_string_equal(pd_error_message(&err, buf, sizeof(buf)),
			    "IPv4 header shorter than IHL (truncated at byte 14)");

	pd_fail(&err, PD_ERR_SYSTEM, 0, "opening the raw socket");
	err.sys_errno = EPERM;
	assert_string_equal(pd_error_message(&err, buf, sizeof(buf)),
			    "opening the raw socket: Operation not permitted");

	pd_fail(&err, PD_ERR_NOTFOUND, 0, "no route to 192.0.2.1");
	assert_string_equal(pd_error_message(&err, buf, sizeof(buf)),
			    "no route to 192.0.2.1 (not found)");

	pd_fail(&err, PD_ERR_NOMEM, 0, NULL);
	assert_string_equal(pd_error_message(&err, buf, sizeof(buf)), "out of memory");

	assert_string_equal(pd_error_message(NULL, buf, sizeof(buf)), "no error information");

	/* A short buffer is cut and terminated. */
	pd_fail(&err, PD_ERR_MALFORMED, 3, "GRE version 7");
	pd_error_message(&err, buf, 6);
	assert_string_equal(buf, "GRE v");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_exit_codes), cmocka_unit_test(test_severity_rank),
		cmocka_unit_test(test_findings),   cmocka_unit_test(test_value_text),
		cmocka_unit_test(test_value_json), cmocka_unit_test(test_json_document),
		cmocka_unit_test(test_json_utf8),  cmocka_unit_test(test_error_message),
	};

	return cmocka_run_group_tests_name("output", tests, NULL, NULL);
}
