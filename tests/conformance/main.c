/* main.c - hold pd_dissect() to tshark: every frame of every capture in a
 * directory, every column of its truth file (DIR/truth/NAME.tsv, written by
 * tshark 4.0.17, see shared/captures/README.md), cell by cell.
 *
 *   conformance DIR
 *
 * Prints per file the frames, cells compared and mismatches (the first few
 * in full), then how often each documented exception (exceptions.c) applied,
 * and a final `conformance: ...` line.  Exits 0 only when every frame of
 * every file decoded without an unexplained error and every cell matched;
 * 1 on any mismatch, decode error, missing or unreadable file, or frame-count
 * disagreement; 2 on bad usage.
 */
#include <dirent.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#define SHOW_MAX 8     /* mismatches printed in full per file */
#define SHOW_CHARS 160 /* of each value list */

struct totals {
	unsigned files, frames;
	unsigned long cells, mismatches;
	unsigned decode_errors, expected_errors;
	unsigned failures; /* files that could not be checked fully */
	struct exc_stats exc;
};

struct file_result {
	unsigned frames;
	unsigned long cells, mismatches;
	unsigned shown;
};

static bool has_suffix(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && strcmp(s + n - m, suffix) == 0;
}

static int is_capture(const struct dirent *d)
{
	return has_suffix(d->d_name, ".pcap") || has_suffix(d->d_name, ".pcapng");
}

static int is_truth(const struct dirent *d)
{
	return has_suffix(d->d_name, ".tsv");
}

static void show(struct file_result *fr, unsigned frame, const char *what, const char *ours,
		 const char *theirs)
{
	if (fr->shown++ >= SHOW_MAX)
		return;
	printf("    frame %u %s: ours \"%.*s\"%s tshark \"%.*s\"%s\n", frame, what, SHOW_CHARS,
	       ours, strlen(ours) > SHOW_CHARS ? "..." : "", SHOW_CHARS, theirs,
	       strlen(theirs) > SHOW_CHARS ? "..." : "");
}

/* Compare one frame; returns false on a problem that makes the file's
 * result meaningless (a malformed truth row). */
static bool check_frame(const struct tsv *t, const struct render_col **cols, int proto_col,
			int version_col, unsigned frameno, const struct pcap_pkthdr *hdr,
			const uint8_t *data, int linktype, struct file_result *fr,
			struct totals *tot)
{
	static struct pd_packet pkt;
	static struct proto_chain pc;
	static struct sb ours, expect;
	char msg[256];
	char *const *row = t->rows[frameno - 1];
	struct exc_frame xf;
	struct frame_info fi = { frameno };
	int rc;

	rc = pd_dissect(linktype, data, hdr->caplen, hdr->len, NULL, &pkt);
	if (proto_chain_split(row[proto_col], &pc) < 0) {
		printf("    frame %u: frame.protocols too long to split\n", frameno);
		return false;
	}
	if (exc_frame_init(&xf, &pc, version_col >= 0 ? row[version_col] : "", &pkt, rc, data, msg,
			   sizeof(msg)) < 0) {
		fr->mismatches++;
		if (fr->shown++ < SHOW_MAX)
			printf("    frame %u: %s\n", frameno, msg);
	}
	for (int e = 0; e < EXC_COUNT; e++)
		tot->exc.frames[e] += xf.active[e];
	if (rc < 0) {
		if (xf.error_expected) {
			tot->expected_errors++;
		} else {
			tot->decode_errors++;
			fr->mismatches++;
			if (fr->shown++ < SHOW_MAX)
				printf("    frame %u: pd_dissect: %s at offset %zu: %s\n", frameno,
				       pd_status_name(rc), pkt.err.offset,
				       pkt.err.what ? pkt.err.what : "?");
		}
	}

	for (size_t c = 0; c < t->ncols; c++) {
		if ((int)c == proto_col)
			continue;
		render_cell(cols[c], &fi, &pkt, &ours);
		exc_apply(&xf, &pc, t->header[c], render_owners(cols[c]), row[c], &expect,
			  &tot->exc);
		if (ours.overflow || expect.overflow) {
			printf("    frame %u %s: value list longer than %d characters\n", frameno,
			       t->header[c], SB_CAP);
			return false;
		}
		fr->cells++;
		if (strcmp(ours.buf, expect.buf) != 0) {
			fr->mismatches++;
			show(fr, frameno, t->header[c], ours.buf, expect.buf);
		}
	}
	return true;
}

static void run_file(const char *dir, const char *name, struct totals *tot)
{
	char path[4096], msg[512], errbuf[PCAP_ERRBUF_SIZE];
	const struct render_col **cols = NULL;
	struct file_result fr = { 0 };
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct tsv t;
	pcap_t *p = NULL;
	int proto_col, version_col, linktype, r;
	unsigned frameno = 0;
	bool ok = true;

	snprintf(path, sizeof(path), "%s/truth/%s.tsv", dir, name);
	if (tsv_load(path, &t, msg, sizeof(msg)) < 0) {
		printf("%s: FAIL: truth: %s\n", name, msg);
		tot->failures++;
		return;
	}
	proto_col = tsv_col(&t, "frame.protocols");
	version_col = tsv_col(&t, "ip.version");
	if (proto_col < 0) {
		printf("%s: FAIL: truth has no frame.protocols column\n", name);
		goto fail;
	}
	cols = calloc(t.ncols, sizeof(*cols));
	if (!cols) {
		printf("%s: FAIL: out of memory\n", name);
		goto fail;
	}
	for (size_t c = 0; c < t.ncols; c++) {
		if ((int)c == proto_col)
			continue;
		cols[c] = render_lookup(t.header[c]);
		if (!cols[c]) {
			printf("%s: FAIL: no renderer for truth column %s\n", name, t.header[c]);
			goto fail;
		}
	}

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	p = pcap_open_offline(path, errbuf);
	if (!p) {
		printf("%s: FAIL: %s\n", name, errbuf);
		goto fail;
	}
	linktype = pcap_datalink(p);
	while ((r = pcap_next_ex(p, &hdr, &data)) == 1) {
		frameno++;
		if (frameno > t.nrows)
			continue; /* counted, reported below */
		if (!check_frame(&t, cols, proto_col, version_col, frameno, hdr, data, linktype,
				 &fr, tot)) {
			ok = false;
			break;
		}
	}
	if (ok && r == -1) {
		printf("%s: FAIL: reading frame %u: %s\n", name, frameno + 1, pcap_geterr(p));
		ok = false;
	}
	if (ok && frameno != t.nrows) {
		printf("%s: FAIL: the capture has %u frames, the truth %zu\n", name, frameno,
		       t.nrows);
		ok = false;
	}
	fr.frames = frameno < t.nrows ? frameno : (unsigned)t.nrows;
	printf("%s: %u frames, %lu cells compared, %lu mismatches%s\n", name, fr.frames, fr.cells,
	       fr.mismatches, fr.shown > SHOW_MAX ? " (first ones shown)" : "");
	tot->files++;
	tot->frames += fr.frames;
	tot->cells += fr.cells;
	tot->mismatches += fr.mismatches;
	if (!ok)
		tot->failures++;
	pcap_close(p);
	free(cols);
	tsv_free(&t);
	return;
fail:
	tot->failures++;
	free(cols);
	tsv_free(&t);
}

/* Every truth file must have its capture (a capture without truth is caught
 * when its truth fails to load). */
static unsigned orphan_truths(const char *dir, struct dirent **caps, int ncaps)
{
	char path[4096];
	struct dirent **truths;
	unsigned orphans = 0;
	int n;

	snprintf(path, sizeof(path), "%s/truth", dir);
	n = scandir(path, &truths, is_truth, alphasort);
	if (n < 0) {
		printf("FAIL: %s: cannot list\n", path);
		return 1;
	}
	for (int i = 0; i < n; i++) {
		size_t len = strlen(truths[i]->d_name) - 4;
		bool found = false;

		for (int j = 0; j < ncaps && !found; j++)
			found = strlen(caps[j]->d_name) == len &&
				strncmp(caps[j]->d_name, truths[i]->d_name, len) == 0;
		if (!found) {
			printf("FAIL: truth/%s has no capture\n", truths[i]->d_name);
			orphans++;
		}
		free(truths[i]);
	}
	free(truths);
	return orphans;
}

int main(int argc, char **argv)
{
	struct totals tot = { 0 };
	struct dirent **caps;
	int ncaps;

	if (argc != 2) {
		fprintf(stderr, "usage: conformance CAPTURE_DIR\n");
		return 2;
	}
	ncaps = scandir(argv[1], &caps, is_capture, alphasort);
	if (ncaps < 0) {
		perror(argv[1]);
		return 1;
	}
	if (ncaps == 0) {
		printf("FAIL: no .pcap or .pcapng file in %s\n", argv[1]);
		tot.failures++;
	}
	for (int i = 0; i < ncaps; i++)
		run_file(argv[1], caps[i]->d_name, &tot);
	tot.failures += orphan_truths(argv[1], caps, ncaps);
	for (int i = 0; i < ncaps; i++)
		free(caps[i]);
	free(caps);

	for (int e = 0; e < EXC_COUNT; e++)
		printf("exception %s: %u frames, %u cells adjusted (%s)\n", exc_name(e),
		       tot.exc.frames[e], tot.exc.cells[e], exc_reason(e));
	printf("decode errors: %u expected by an exception, %u unexpected\n", tot.expected_errors,
	       tot.decode_errors);
	if (tot.failures)
		printf("FAIL: %u file(s) could not be checked completely\n", tot.failures);
	printf("conformance: %u files, %u frames, %lu cells compared, %lu mismatches\n", tot.files,
	       tot.frames, tot.cells, tot.mismatches);
	return tot.failures || tot.mismatches ? 1 : 0;
}
