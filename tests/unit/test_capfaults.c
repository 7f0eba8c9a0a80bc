/* test_capfaults.c - faults of capture input and output: pd_wfile (whole
 * units only when writing fails: a file size limit cutting a run, /dev/full,
 * a unit larger than the buffer), pd_cap saving under a file size limit (the
 * dump file holds exactly the frames it says, readable by libpcap), a pcap
 * file cut inside a record (the whole records, then PD_ERR_TRUNCATED once,
 * the source marked damaged) and pcapng blocks of unknown type (counted,
 * with the first one's type and offset).  Every file is built here with
 * known sizes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pathdiag/capture.h>
#include <pathdiag/wfile.h>

static char dir[] = "/tmp/pd-capfaults.XXXXXX";

static void path_in(char *buf, size_t len, const char *name)
{
	snprintf(buf, len, "%s/%s", dir, name);
}

static long file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? (long)st.st_size : -1;
}

/* Run with the file size limit at limit bytes (EFBIG past it, SIGXFSZ
 * ignored), restored by fsize_end. */
static struct rlimit saved_lim;

static void fsize_begin(rlim_t limit)
{
	struct rlimit r;

	signal(SIGXFSZ, SIG_IGN);
	assert_int_equal(getrlimit(RLIMIT_FSIZE, &saved_lim), 0);
	r = saved_lim;
	r.rlim_cur = limit;
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &r), 0);
}

static void fsize_end(void)
{
	assert_int_equal(setrlimit(RLIMIT_FSIZE, &saved_lim), 0);
}

static void test_wfile_plain(void **state)
{
	char p[256];
	uint8_t a[10], b[90];
	struct pd_wfile *w;
	uint64_t units;

	(void)state;
	memset(a, 1, sizeof(a));
	memset(b, 2, sizeof(b));
	path_in(p, sizeof(p), "plain");
	assert_int_equal(pd_wfile_open(&w, p, NULL), 0);
	for (int i = 0; i < 5000; i++)
		assert_int_equal(pd_wfile_put(w, a, sizeof(a), b, sizeof(b), NULL), 0);
	assert_int_equal(pd_wfile_close(w, &units, NULL), 0);
	assert_int_equal(units, 5000);
	assert_int_equal(file_size(p), 5000 * 100);
}

/* A limit of 1050 bytes and units of 100: the run that crosses it is cut
 * at 1000, ten whole units. */
static void test_wfile_limit(void **state)
{
	struct pd_error err = { 0 };
	char p[256];
	uint8_t u[100];
	struct pd_wfile *w;
	uint64_t units;
	int rc = 0;

	(void)state;
	memset(u, 7, sizeof(u));
	path_in(p, sizeof(p), "limit");
	assert_int_equal(pd_wfile_open(&w, p, NULL), 0);
	fsize_begin(1050);
	for (int i = 0; i < 100 && rc == 0; i++)
		rc = pd_wfile_put(w, u, sizeof(u), NULL, 0, &err);
	if (rc == 0)
		rc = pd_wfile_flush(w, &err);
	fsize_end();
	assert_int_equal(rc, PD_ERR_SYSTEM);
	assert_int_equal(err.sys_errno, EFBIG);
	assert_true(pd_wfile_truncated(w));
	assert_int_equal(pd_wfile_units(w), 10);
	assert_int_equal(pd_wfile_errno(w), EFBIG);
	/* after a failure nothing more is written, and close says so */
	assert_int_equal(pd_wfile_put(w, u, sizeof(u), NULL, 0, NULL), PD_ERR_SYSTEM);
	assert_int_equal(pd_wfile_close(w, &units, &err), PD_ERR_SYSTEM);
	assert_int_equal(units, 10);
	assert_int_equal(file_size(p), 1000);
}

/* A unit larger than the buffer goes out alone; cut whole when it fails. */
static void test_wfile_big_unit(void **state)
{
	size_t big = PD_WFILE_BUF + 1000;
	uint8_t *u = calloc(1, big);
	char p[256];
	struct pd_wfile *w;
	uint64_t units;

	(void)state;
	assert_non_null(u);
	path_in(p, sizeof(p), "big");
	assert_int_equal(pd_wfile_open(&w, p, NULL), 0);
	assert_int_equal(pd_wfile_put(w, u, 24, NULL, 0, NULL), 0);
	assert_int_equal(pd_wfile_put(w, u, big, NULL, 0, NULL), 0);
	fsize_begin(24 + big + big / 2);
	assert_int_equal(pd_wfile_put(w, u, 100, u, big - 100, NULL), PD_ERR_SYSTEM);
	fsize_end();
	assert_int_equal(pd_wfile_close(w, &units, NULL), PD_ERR_SYSTEM);
	assert_int_equal(units, 2);
	assert_int_equal(file_size(p), (long)(24 + big));
	free(u);
}

/* /dev/full takes nothing and cannot be cut: the error, no units. */
static void test_wfile_dev_full(void **state)
{
	struct pd_error err = { 0 };
	struct pd_wfile *w;
	uint64_t units;
	uint8_t u[24] = { 0 };

	(void)state;
	if (access("/dev/full", W_OK) != 0)
		skip();
	assert_int_equal(pd_wfile_open(&w, "/dev/full", NULL), 0);
	assert_int_equal(pd_wfile_put(w, u, sizeof(u), NULL, 0, NULL), 0);
	assert_int_equal(pd_wfile_flush(w, &err), PD_ERR_SYSTEM);
	assert_int_equal(err.sys_errno, ENOSPC);
	assert_false(pd_wfile_truncated(w));
	assert_int_equal(pd_wfile_close(w, &units, NULL), PD_ERR_SYSTEM);
	assert_int_equal(units, 0);
}

/* A microsecond pcap of n Ethernet frames of len bytes (record i filled
 * with byte i); cut (when > 0) bytes are then left off its end. */
static void write_pcap(const char *path, int n, uint32_t len, long cut)
{
	FILE *f = fopen(path, "wb");
	uint32_t fh[6] = { 0xa1b2c3d4u, 2 | 4u << 16, 0, 0, 65535, 1 };
	uint8_t *d = malloc(len);

	assert_non_null(f);
	assert_non_null(d);
	fwrite(fh, sizeof(fh), 1, f);
	for (int i = 0; i < n; i++) {
		uint32_t rh[4] = { 1700000000u + (uint32_t)i, 0, len, len };

		memset(d, i, len);
		fwrite(rh, sizeof(rh), 1, f);
		fwrite(d, len, 1, f);
	}
	fclose(f);
	free(d);
	if (cut > 0)
		assert_int_equal(truncate(path, file_size(path) - cut), 0);
}

/* Records in a pcap file as libpcap reads it; -1 on a read error. */
static int pcap_records(const char *path)
{
	char eb[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *p = pcap_open_offline(path, eb);
	int n = 0, rc;

	assert_non_null(p);
	while ((rc = pcap_next_ex(p, &h, &d)) == 1)
		n++;
	pcap_close(p);
	return rc == PCAP_ERROR_BREAK ? n : -1;
}

/* Saving 300 frames of 1000 bytes under a 100 KB file size limit: a frame
 * returned is a frame saved until the failure; the error names the file;
 * the file holds exactly info.saved whole frames. */
static void test_cap_dump_limit(void **state)
{
	struct pd_error err = { 0 };
	struct pd_cap_frame f;
	char in[256], out[256];
	struct pd_cap *c;
	const struct pd_cap_source_info *si;
	int rc, returned = 0;

	(void)state;
	path_in(in, sizeof(in), "in.pcap");
	path_in(out, sizeof(out), "out.pcap");
	write_pcap(in, 300, 1000, 0);
	c = pd_cap_new(NULL);
	assert_non_null(c);
	assert_int_equal(pd_cap_add_file(c, in, &err), 0);
	assert_int_equal(pd_cap_dump_open(c, out, &err), 0);
	fsize_begin(100000);
	while ((rc = pd_cap_next(c, &f, 0, &err)) == 1)
		returned++;
	fsize_end();
	assert_int_equal(rc, PD_ERR_SYSTEM);
	assert_int_equal(err.sys_errno, EFBIG);
	assert_non_null(strstr(err.what, out));
	si = pd_cap_info(c, 0);
	assert_true(si->save_failed);
	/* (100000 - 24) / 1016 whole records fit */
	assert_int_equal(si->saved, 98);
	assert_true(returned >= 98);
	assert_int_equal(pd_cap_dump_close(c, NULL), 0); /* reported once */
	pd_cap_free(c);
	assert_int_equal(file_size(out), 24 + 98 * 1016);
	assert_int_equal(pcap_records(out), 98);
}

/* Cut 500 bytes off 10 records of 1000: nine whole records, then the
 * error once, the source damaged, and the end. */
static void test_cap_truncated(void **state)
{
	struct pd_error err = { 0 };
	struct pd_cap_frame f;
	char in[256];
	struct pd_cap *c;
	int rc, n = 0;

	(void)state;
	path_in(in, sizeof(in), "cut.pcap");
	write_pcap(in, 10, 1000, 500);
	c = pd_cap_new(NULL);
	assert_non_null(c);
	assert_int_equal(pd_cap_add_file(c, in, &err), 0);
	while ((rc = pd_cap_next(c, &f, 0, &err)) == 1) {
		assert_int_equal(f.data[0], n);
		n++;
	}
	assert_int_equal(n, 9);
	assert_int_equal(rc, PD_ERR_TRUNCATED);
	assert_true(pd_cap_info(c, 0)->damaged);
	assert_int_equal(pd_cap_info(c, 0)->frames, 9);
	assert_int_equal(pd_cap_next(c, &f, 0, &err), PD_CAP_EOF);
	pd_cap_free(c);
}

static void put32(FILE *f, uint32_t v)
{
	fwrite(&v, 4, 1, f);
}

/* pcapng: SHB, IDB, EPB, unknown 0x0BAD0001 (16 bytes), EPB, local-use
 * 0x80000123 (12 bytes), EPB: three packets, two unknown blocks. */
static void test_cap_unknown_blocks(void **state)
{
	struct pd_error err = { 0 };
	struct pd_cap_frame f;
	const struct pd_cap_source_info *si;
	char in[256];
	struct pd_cap *c;
	FILE *fp;
	int n = 0;
	uint8_t pkt[60] = { 0 };

	(void)state;
	path_in(in, sizeof(in), "unk.pcapng");
	fp = fopen(in, "wb");
	assert_non_null(fp);
	/* SHB: 28 bytes at 0 */
	put32(fp, 0x0A0D0D0A); put32(fp, 28); put32(fp, 0x1A2B3C4D);
	put32(fp, 1); /* version 1.0 */
	put32(fp, 0xffffffff); put32(fp, 0xffffffff); put32(fp, 28);
	/* IDB: 20 bytes at 28 */
	put32(fp, 1); put32(fp, 20); put32(fp, 1); put32(fp, 65535); put32(fp, 20);
	for (int i = 0; i < 3; i++) {
		/* EPB: 32 + 60 = 92 bytes */
		put32(fp, 6); put32(fp, 92); put32(fp, 0); put32(fp, 0); put32(fp, (uint32_t)i);
		put32(fp, 60); put32(fp, 60);
		fwrite(pkt, sizeof(pkt), 1, fp);
		put32(fp, 92);
		if (i == 0) { /* at 28 + 20 + 92 = 140 */
			put32(fp, 0x0BAD0001); put32(fp, 16); put32(fp, 0); put32(fp, 16);
		} else if (i == 1) {
			put32(fp, 0x80000123); put32(fp, 12); put32(fp, 12);
		}
	}
	fclose(fp);
	c = pd_cap_new(NULL);
	assert_non_null(c);
	assert_int_equal(pd_cap_add_file(c, in, &err), 0);
	while (pd_cap_next(c, &f, 0, &err) == 1)
		n++;
	assert_int_equal(n, 3);
	si = pd_cap_info(c, 0);
	assert_int_equal(si->unknown_blocks, 2);
	assert_int_equal(si->unknown_type, 0x0BAD0001);
	assert_int_equal(si->unknown_offset, 140);
	assert_false(si->damaged);
	pd_cap_free(c);
}

static int setup(void **state)
{
	(void)state;
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	const char *names[] = { "plain", "limit", "big", "in.pcap", "out.pcap", "cut.pcap",
				"unk.pcapng" };
	char p[256];

	(void)state;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		path_in(p, sizeof(p), names[i]);
		unlink(p);
	}
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wfile_plain),
		cmocka_unit_test(test_wfile_limit),
		cmocka_unit_test(test_wfile_big_unit),
		cmocka_unit_test(test_wfile_dev_full),
		cmocka_unit_test(test_cap_dump_limit),
		cmocka_unit_test(test_cap_truncated),
		cmocka_unit_test(test_cap_unknown_blocks),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
