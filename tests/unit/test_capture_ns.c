/* test_capture_ns.c - nanosecond timestamps through the capture layer
 * (pathdiag/capture.h, lib/src/capture.c and its fast reader pcapfast.c):
 * classic pcap files of either precision and byte order built here byte by
 * byte (draft-ietf-opsawg-pcap: magic a1b2c3d4 for microseconds, a1b23c4d
 * for nanoseconds), read back with the timestamps they were written with;
 * two files merged in nanosecond order; -w keeping each source's precision;
 * pd_cap_stop ending a file at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pathdiag/capture.h>

/* 20-byte IPv4 header, enough for a raw-IP frame libpcap passes through. */
static const uint8_t ip4[20] = { 0x45, 0, 0, 20, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2 };

static void put32(uint8_t *b, uint32_t v, bool big)
{
	for (int i = 0; i < 4; i++)
		b[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

/* A file of n raw-IP records at (sec[i], frac[i]); returns its path. */
static void write_pcap(const char *path, bool nsec, bool big, const uint32_t *sec,
		       const uint32_t *frac, unsigned n)
{
	uint8_t h[24] = { 0 }, r[16];
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	put32(h, nsec ? 0xa1b23c4du : 0xa1b2c3d4u, big);
	h[big ? 5 : 4] = 2; /* version 2.4 */
	h[big ? 7 : 6] = 4;
	put32(h + 16, 65535, big);
	put32(h + 20, 101, big); /* LINKTYPE_RAW */
	assert_int_equal(fwrite(h, 1, sizeof(h), f), sizeof(h));
	for (unsigned i = 0; i < n; i++) {
		put32(r, sec[i], big);
		put32(r + 4, frac[i], big);
		put32(r + 8, sizeof(ip4), big);
		put32(r + 12, sizeof(ip4), big);
		assert_int_equal(fwrite(r, 1, sizeof(r), f), sizeof(r));
		assert_int_equal(fwrite(ip4, 1, sizeof(ip4), f), sizeof(ip4));
	}
	assert_int_equal(fclose(f), 0);
}

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/pd-capns.XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	return system(cmd) == 0 ? 0 : -1;
}

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

/* Read every frame of path into ts_nsec / ts_usec. */
static unsigned read_all(const char *path, const char *save, int64_t *ns, int64_t *us,
			 unsigned max, bool *nsec_src)
{
	struct pd_cap *c = pd_cap_new(NULL);
	struct pd_cap_frame f;
	struct pd_error err = { 0 };
	unsigned n = 0;
	int rc;

	assert_non_null(c);
	assert_int_equal(pd_cap_add_file(c, path, &err), 0);
	if (save)
		assert_int_equal(pd_cap_dump_open(c, save, &err), 0);
	*nsec_src = pd_cap_info(c, 0)->nsec;
	while ((rc = pd_cap_next(c, &f, 0, &err)) == 1) {
		assert_true(n < max);
		ns[n] = f.ts_nsec;
		us[n] = f.ts_usec;
		n++;
	}
	assert_int_equal(rc, PD_CAP_EOF);
	pd_cap_free(c);
	return n;
}

static void test_nano_file(void **state)
{
	static const uint32_t sec[] = { 1700000000, 1700000000, 1700000001 };
	static const uint32_t frac[] = { 123456789, 123456999, 1 };
	char p[128];
	int64_t ns[4], us[4];
	bool nsec;

	(void)state;
	for (int big = 0; big < 2; big++) {
		path_in(p, sizeof(p), big ? "nb.pcap" : "nl.pcap");
		write_pcap(p, true, big, sec, frac, 3);
		assert_int_equal(read_all(p, NULL, ns, us, 4, &nsec), 3);
		assert_true(nsec);
		for (int i = 0; i < 3; i++) {
			assert_int_equal(ns[i], (int64_t)sec[i] * 1000000000 + frac[i]);
			assert_int_equal(us[i], (int64_t)sec[i] * 1000000 + frac[i] / 1000);
		}
	}
}

static void test_micro_file(void **state)
{
	static const uint32_t sec[] = { 1700000000, 1700000002 };
	static const uint32_t frac[] = { 654321, 999999 };
	char p[128];
	int64_t ns[4], us[4];
	bool nsec;

	(void)state;
	for (int big = 0; big < 2; big++) {
		path_in(p, sizeof(p), big ? "ub.pcap" : "ul.pcap");
		write_pcap(p, false, big, sec, frac, 2);
		assert_int_equal(read_all(p, NULL, ns, us, 4, &nsec), 2);
		assert_false(nsec);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(us[i], (int64_t)sec[i] * 1000000 + frac[i]);
			assert_int_equal(ns[i], ((int64_t)sec[i] * 1000000 + frac[i]) * 1000);
		}
	}
}

/* Two files whose frames fall in the same microsecond: nanoseconds decide. */
static void test_merge_ns(void **state)
{
	static const uint32_t sec[] = { 1700000000 };
	static const uint32_t fa[] = { 500000900 }, fb[] = { 500000100 };
	struct pd_cap *c = pd_cap_new(NULL);
	struct pd_cap_frame f;
	struct pd_error err = { 0 };
	char a[128], b[128];

	(void)state;
	path_in(a, sizeof(a), "ma.pcap");
	path_in(b, sizeof(b), "mb.pcap");
	write_pcap(a, true, false, sec, fa, 1);
	write_pcap(b, true, false, sec, fb, 1);
	assert_int_equal(pd_cap_add_file(c, a, &err), 0);
	assert_int_equal(pd_cap_add_file(c, b, &err), 0);
	assert_int_equal(pd_cap_next(c, &f, 0, &err), 1);
	assert_int_equal(f.source, 1);
	assert_int_equal(f.ts_nsec, 1700000000LL * 1000000000 + 500000100);
	assert_int_equal(pd_cap_next(c, &f, 0, &err), 1);
	assert_int_equal(f.source, 0);
	assert_int_equal(pd_cap_next(c, &f, 0, &err), PD_CAP_EOF);
	pd_cap_free(c);
}

static uint32_t file_magic(const char *path)
{
	uint8_t m[4];
	FILE *f = fopen(path, "rb");

	assert_non_null(f);
	assert_int_equal(fread(m, 1, 4, f), 4);
	fclose(f);
	return (uint32_t)m[0] | (uint32_t)m[1] << 8 | (uint32_t)m[2] << 16 | (uint32_t)m[3] << 24;
}

/* -w: a nanosecond source is saved in nanoseconds, a microsecond one in
 * microseconds, and reading the saved file gives the same timestamps. */
static void test_dump_precision(void **state)
{
	static const uint32_t sec[] = { 1700000000, 1700000005 };
	static const uint32_t fns[] = { 7, 999999999 }, fus[] = { 7, 999999 };
	char in[128], out[128];
	int64_t ns[4], us[4], ns2[4], us2[4];
	bool nsec;

	(void)state;
	path_in(in, sizeof(in), "dn.pcap");
	path_in(out, sizeof(out), "dn-out.pcap");
	write_pcap(in, true, true, sec, fns, 2);
	assert_int_equal(read_all(in, out, ns, us, 4, &nsec), 2);
	assert_int_equal(file_magic(out), 0xa1b23c4du); /* this host's order */
	assert_int_equal(read_all(out, NULL, ns2, us2, 4, &nsec), 2);
	assert_true(nsec);
	for (int i = 0; i < 2; i++)
		assert_int_equal(ns2[i], (int64_t)sec[i] * 1000000000 + fns[i]);

	path_in(in, sizeof(in), "du.pcap");
	path_in(out, sizeof(out), "du-out.pcap");
	write_pcap(in, false, false, sec, fus, 2);
	assert_int_equal(read_all(in, out, ns, us, 4, &nsec), 2);
	assert_int_equal(file_magic(out), 0xa1b2c3d4u);
	assert_int_equal(read_all(out, NULL, ns2, us2, 4, &nsec), 2);
	assert_false(nsec);
	for (int i = 0; i < 2; i++)
		assert_int_equal(us2[i], (int64_t)sec[i] * 1000000 + fus[i]);
}

static void test_stop_file(void **state)
{
	static const uint32_t sec[] = { 1, 2, 3 };
	static const uint32_t frac[] = { 0, 0, 0 };
	struct pd_cap *c = pd_cap_new(NULL);
	struct pd_cap_frame f;
	struct pd_error err = { 0 };
	char p[128];
	int64_t t;

	(void)state;
	path_in(p, sizeof(p), "stop.pcap");
	write_pcap(p, false, false, sec, frac, 3);
	assert_int_equal(pd_cap_add_file(c, p, &err), 0);
	assert_int_equal(pd_cap_next(c, &f, 0, &err), 1);
	t = pd_cap_stop(c);
	assert_true(t > 0);
	assert_int_equal(pd_cap_stop(c), t); /* the first stop time stays */
	assert_int_equal(pd_cap_next(c, &f, 0, &err), PD_CAP_EOF);
	pd_cap_free(c);
}

/* A microsecond file (read in nanoseconds, so -w needs a dead handle of
 * the file's precision) whose link type libpcap cannot save: the dump
 * fails with libpcap's message and nothing is left allocated (found by
 * fuzz_capfile; the sanitizer build's leak check is what sees it). */
static void test_dump_unsavable(void **state)
{
	uint8_t h[24] = { 0 };
	struct pd_cap *c = pd_cap_new(NULL);
	struct pd_error err = { 0 };
	char in[128], out[128];
	FILE *f;

	(void)state;
	path_in(in, sizeof(in), "odd.pcap");
	path_in(out, sizeof(out), "odd-out.pcap");
	f = fopen(in, "wb");
	assert_non_null(f);
	put32(h, 0xa1b2c3d4u, false);
	h[4] = 2;
	h[6] = 4;
	put32(h + 16, 65535, false);
	put32(h + 20, 0xf065af05u, false); /* the fuzzer's link type */
	assert_int_equal(fwrite(h, 1, sizeof(h), f), sizeof(h));
	assert_int_equal(fclose(f), 0);
	assert_non_null(c);
	assert_int_equal(pd_cap_add_file(c, in, &err), 0);
	assert_int_equal(pd_cap_dump_open(c, out, &err), PD_ERR_SYSTEM);
	assert_non_null(err.what);
	assert_true(err.what[0] != '\0');
	/* a second attempt fails the same way, again leaving nothing behind */
	assert_int_equal(pd_cap_dump_open(c, out, &err), PD_ERR_SYSTEM);
	pd_cap_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_nano_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_micro_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_merge_ns, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_precision, setup, teardown),
		cmocka_unit_test_setup_teardown(test_stop_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_dump_unsavable, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
