/* fuzz_tunstat.c - libFuzzer target for the tunnel analysis
 * (pathdiag/tunstat.h): the input is a sequence of frames, each dissected
 * and fed to pd_tunstat_add, then pd_tunstat_finish draws findings.
 *
 * Input: byte 0 = table capacity (1..16, so overflow is reached), then
 * records: source (1 byte, % 3), time step in ms (1 byte), length (2 bytes
 * big-endian, cut to what is left), frame bytes (raw IP link type).
 * Checks: the tunnel count never exceeds the capacity; per direction the
 * counters agree (bytes >= packets * 20, histogram sums to packets, max
 * sizes <= 65535 + 40); findings and evidence within their arrays; the same
 * input gives byte-identical state and findings a second time.
 */
#include <pathdiag/dissect.h>
#include <pathdiag/tunstat.h>

#include "fuzz_common.h"

static struct pd_tunstat st1, st2;
static struct pd_ts_findings f1, f2;

static void run(const uint8_t *data, size_t size, struct pd_tunstat *st,
		struct pd_ts_findings *f)
{
	static struct pd_packet pkt;
	size_t off = 1;
	int64_t ts = 0;
	uint64_t frame = 0;

	pd_tunstat_init(st, (unsigned)(data[0] % 16) + 1);
	while (off + 4 <= size) {
		unsigned src = data[off] % 3;
		size_t len = fz_be16(data + off + 2);
		uint8_t *copy;

		ts += (int64_t)data[off + 1] * 1000;
		off += 4;
		if (len > size - off)
			len = size - off;
		copy = fz_dup(data + off, len);
		memset(&pkt, 0, sizeof(pkt));
		pd_dissect(PD_LINKTYPE_RAW, copy, len, len, NULL, &pkt);
		pd_tunstat_add(st, src, ++frame, ts, &pkt);
		free(copy);
		off += len;
	}
	pd_tunstat_finish(st, data[0] & 0x80 ? 1420 : 0, f);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	run(data, size, &st1, &f1);
	FZ_CHECK(st1.ntun <= st1.cap && st1.cap <= 16);
	for (unsigned t = 0; t < st1.ntun; t++)
		for (int d = 0; d < 2; d++) {
			const struct pd_ts_dir *x = &st1.tun[t].dir[d];
			uint64_t h = 0;

			for (unsigned b = 0; b < PD_TS_NBUCKETS; b++)
				h += x->hist[b];
			FZ_CHECK(h == x->packets);
			FZ_CHECK(x->bytes >= x->packets * 20);
			FZ_CHECK(x->max_outer <= 65535 + 40);
			FZ_CHECK(x->frag_nev <= PD_TS_MAX_EVIDENCE);
			FZ_CHECK(x->bh_n <= PD_TS_RUN);
		}
	/* the tables' counts add up, and nothing names an evicted entry */
	FZ_CHECK(st1.tun_created - st1.tun_evicted == st1.ntun);
	FZ_CHECK(st1.flows_created - st1.flows_evicted - st1.flows_freed == st1.nflows);
	for (unsigned i = 0; i < st1.nflows; i++)
		FZ_CHECK(st1.flow[i].tunnel >= 0 && st1.flow[i].tunnel < (int)st1.ntun);
	for (unsigned i = 0; i < st1.nev; i++)
		FZ_CHECK(st1.ev[i].tunnel < (int)st1.ntun);
	FZ_CHECK(f1.n <= PD_TS_MAX_FINDINGS);
	for (unsigned i = 0; i < f1.n; i++) {
		FZ_CHECK(f1.f[i].nev <= PD_TS_MAX_EVIDENCE);
		FZ_CHECK(f1.f[i].tunnel < (int)st1.ntun);
		FZ_CHECK(memchr(f1.f[i].message, 0, sizeof(f1.f[i].message)) != NULL);
	}
	run(data, size, &st2, &f2);
	FZ_CHECK(!memcmp(&st1, &st2, sizeof(st1)));
	FZ_CHECK(f1.n == f2.n);
	for (unsigned i = 0; i < f1.n; i++)
		FZ_CHECK(!strcmp(f1.f[i].message, f2.f[i].message) &&
			 f1.f[i].nev == f2.f[i].nev);
	return 0;
}
