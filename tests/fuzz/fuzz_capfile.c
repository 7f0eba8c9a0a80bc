/* fuzz_capfile.c - libFuzzer target for capture files read through pd_cap
 * (lib/src/capture.c: libpcap's pcap and pcapng readers, the fast classic
 * pcap path of lib/src/pcapfast.c and the reading thread of
 * lib/src/readahead.c, the k-way merge of several files, saving with -w)
 * and pd_dissect on every frame read.
 *
 * Input: a selector byte, then the file exactly as stored (pcap or pcapng,
 * any header: seeds are the heads of the real captures).  Selector:
 *   bit 0  a BPF filter ("ip or ip6 or arp")
 *   bit 1  the same file opened twice (the merge of two sources)
 *   bit 2  save what is read (pd_cap_dump_open, one source only), then
 *          read the saved file back
 * The file is a memfd opened by its /proc/self/fd path.  The fuzz build
 * shrinks pcapfast's buffer and readahead's blocks and threshold (see
 * FUZZ_CFLAGS in the Makefile), so inputs of a few KB take every path of
 * both, including the thread's ring of blocks wrapping around.
 *
 * Checks: pd_cap_add_file and pd_cap_next fail only by the error
 * convention; frames are numbered 1, 2, ... per source and in seq across
 * sources, carry their source's link type, lie in readable memory (ASan)
 * and agree between ts_usec and ts_nsec (the same time, truncated, unless
 * saturated); with
 * two sources each gives the same frames in the same order, and pd_cap_info
 * counts what was returned; a saved file read back gives the same frames
 * (lengths, bytes and, for times that fit the file's 32-bit seconds, the
 * timestamp at the precision saved) and then ends.
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pathdiag/capture.h>
#include <pathdiag/dissect.h>

#include "fuzz_common.h"

#define MAX_FRAMES 4096

struct frame_sum {
	size_t caplen, wirelen;
	int64_t ts_usec, ts_nsec;
	uint64_t hash;
};

static uint64_t hash_bytes(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

static int memfd_with(const char *name, const uint8_t *data, size_t n, char *path, size_t plen)
{
	int fd = memfd_create(name, 0);

	if (fd < 0)
		return -1;
	if (n && write(fd, data, n) != (ssize_t)n) {
		close(fd);
		return -1;
	}
	snprintf(path, plen, "/proc/self/fd/%d", fd);
	return fd;
}

/* A failed call of pd_cap: the error convention (libpcap's text kept in
 * the object, offset 0 since there is no buffer). */
static void check_cap_err(int rc, const struct pd_error *err)
{
	FZ_CHECK(rc < 0);
	FZ_CHECK(err->code == rc);
	fz_check_what(err->what);
}

/* Read every frame of c into sums (per source), checking numbering. */
static void read_all(struct pd_cap *c, struct frame_sum *sums[2], size_t n[2], int *end)
{
	struct pd_error err;
	struct pd_cap_frame f;
	struct pd_packet pkt;
	uint64_t seq = 0;
	unsigned nsrc = pd_cap_count(c);
	int rc;

	n[0] = n[1] = 0;
	for (;;) {
		fz_err_poison(&err);
		memset(&f, 0xa5, sizeof(f));
		rc = pd_cap_next(c, &f, 0, &err);
		if (rc != 1) {
			if (rc != PD_CAP_EOF)
				check_cap_err(rc, &err);
			*end = rc;
			break;
		}
		FZ_CHECK(f.source < nsrc);
		FZ_CHECK(f.seq == ++seq);
		FZ_CHECK(f.frame == n[f.source] + 1);
		FZ_CHECK(f.linktype == pd_cap_info(c, f.source)->linktype);
		FZ_CHECK(f.caplen == 0 || f.data != NULL);
		/* the same instant: ts_usec is ts_nsec truncated (toward zero
		 * in the fraction, as libpcap truncates) */
		if (f.ts_nsec != INT64_MAX && f.ts_nsec != INT64_MIN)
			FZ_CHECK(f.ts_nsec / 1000 - f.ts_usec >= -1 &&
				 f.ts_nsec / 1000 - f.ts_usec <= 1);
		if (n[f.source] < MAX_FRAMES) {
			struct frame_sum *s = &sums[f.source][n[f.source]];

			s->caplen = f.caplen;
			s->wirelen = f.wirelen;
			s->ts_usec = f.ts_usec;
			s->ts_nsec = f.ts_nsec;
			s->hash = hash_bytes(f.data, f.caplen);
		}
		n[f.source]++;
		/* every frame goes through the dissector, as tunsniff does */
		pd_dissect(f.linktype, f.data, f.caplen, f.wirelen, NULL, &pkt);
		FZ_CHECK(pkt.nlayers <= PD_MAX_LAYERS);
	}
	for (unsigned i = 0; i < nsrc; i++)
		FZ_CHECK(pd_cap_info(c, i)->frames == n[i]);
}

/* Read the saved file back and compare with what was read and saved. */
static void check_saved(const char *path, bool nsec, const struct frame_sum *sums, size_t n)
{
	struct frame_sum *back[2];
	struct pd_error err;
	struct pd_cap *c = pd_cap_new(NULL);
	size_t m[2];
	int end, rc;

	FZ_CHECK(c != NULL);
	back[0] = calloc(MAX_FRAMES, sizeof(*back[0]));
	back[1] = NULL;
	FZ_CHECK(back[0] != NULL);
	fz_err_poison(&err);
	rc = pd_cap_add_file(c, path, &err);
	/* a file that was written is a file libpcap reads */
	FZ_CHECK(rc == 0);
	FZ_CHECK(pd_cap_info(c, 0)->nsec == nsec);
	read_all(c, back, m, &end);
	FZ_CHECK(end == PD_CAP_EOF);
	FZ_CHECK(m[0] == n);
	for (size_t i = 0; i < n && i < MAX_FRAMES; i++) {
		const struct frame_sum *a = &sums[i], *b = &back[0][i];

		FZ_CHECK(a->caplen == b->caplen && a->wirelen == b->wirelen);
		FZ_CHECK(a->hash == b->hash);
		/* the file holds 32-bit seconds and fractions */
		if (a->ts_usec >= 0 && a->ts_usec < (int64_t)INT32_MAX * 1000000) {
			if (nsec)
				FZ_CHECK(a->ts_nsec == b->ts_nsec);
			else
				FZ_CHECK(a->ts_usec == b->ts_usec);
		}
	}
	free(back[0]);
	pd_cap_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_cap_opts opts = { 0 };
	struct frame_sum *sums[2];
	struct pd_error err;
	struct pd_cap *c;
	char path[64], dpath[64];
	size_t n[2];
	bool twice, save;
	int fd, dfd = -1, rc, end;

	if (size < 1)
		return 0;
	twice = data[0] & 2;
	save = (data[0] & 4) && !twice;
	if (data[0] & 1)
		opts.filter = "ip or ip6 or arp";
	fd = memfd_with("fuzz_capfile", data + 1, size - 1, path, sizeof(path));
	if (fd < 0)
		return 0;
	c = pd_cap_new(&opts);
	FZ_CHECK(c != NULL);
	fz_err_poison(&err);
	rc = pd_cap_add_file(c, path, &err);
	if (rc < 0) {
		check_cap_err(rc, &err);
		goto out;
	}
	if (twice) {
		fz_err_poison(&err);
		/* the file was accepted once: again, the same way */
		FZ_CHECK(pd_cap_add_file(c, path, &err) == 0);
		FZ_CHECK(pd_cap_info(c, 0)->linktype == pd_cap_info(c, 1)->linktype);
	}
	if (save) {
		dfd = memfd_with("fuzz_capfile_w", NULL, 0, dpath, sizeof(dpath));
		if (dfd < 0)
			goto out;
		fz_err_poison(&err);
		rc = pd_cap_dump_open(c, dpath, &err);
		if (rc < 0) {
			/* a link type libpcap cannot save */
			check_cap_err(rc, &err);
			save = false;
		}
	}
	sums[0] = calloc(MAX_FRAMES, sizeof(*sums[0]));
	sums[1] = calloc(MAX_FRAMES, sizeof(*sums[1]));
	FZ_CHECK(sums[0] && sums[1]);
	read_all(c, sums, n, &end);
	if (twice && end == PD_CAP_EOF) {
		/* both sources read the same bytes to their end */
		FZ_CHECK(n[0] == n[1]);
		for (size_t i = 0; i < n[0] && i < MAX_FRAMES; i++) {
			FZ_CHECK(sums[0][i].caplen == sums[1][i].caplen);
			FZ_CHECK(sums[0][i].wirelen == sums[1][i].wirelen);
			FZ_CHECK(sums[0][i].ts_nsec == sums[1][i].ts_nsec);
			FZ_CHECK(sums[0][i].hash == sums[1][i].hash);
		}
	}
	if (save) {
		bool nsec = pd_cap_info(c, 0)->nsec;

		fz_err_poison(&err);
		rc = pd_cap_dump_close(c, &err);
		FZ_CHECK(rc == 0);
		check_saved(dpath, nsec, sums[0], n[0]);
	}
	free(sums[0]);
	free(sums[1]);
out:
	pd_cap_free(c);
	if (dfd >= 0)
		close(dfd);
	close(fd);
	return 0;
}
