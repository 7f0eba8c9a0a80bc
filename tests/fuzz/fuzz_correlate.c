/* fuzz_correlate.c - libFuzzer target for `tunsniff correlate` over two
 * record files (docs/records.md, pathdiag/tunrec.h, read as
 * tools/tunsniff/correlate.c reads them) and the correlation engine
 * (lib/src/correlate.c, pathdiag/correlate.h) over what they hold.
 *
 * Input: an options byte, the length of file A (2 bytes, big endian; cut
 * to what is there), file A, then file B (the rest).  Options byte:
 *   bits 0-2  max_pending = 1 << bits (1..128: the window overflows)
 *   bits 3-4  prefix records for the offset estimate: 1, 4, 16, or the
 *             default
 *   bits 5-6  window: 1 ms, 100 ms, the default, or UINT64_MAX (clamped)
 *   bit 7     min_pkts 1 (else the default)
 * Each file: the header is decoded (a file whose header is refused is an
 * empty stream with no start time), then records of the header's size,
 * an END record setting the stream's end time; a bad record or a partial
 * one at the end makes the stream fail with that record's error.
 *
 * Checks: pd_corr_run returns 0 or the error a stream returned (the
 * convention kept); after a success: records read equal the packet
 * records the streams gave; per direction sizes strictly ascending, sent =
 * delivered + lost = the sums over the sizes, largest delivered and
 * smallest lost are sizes of the table with that outcome, a size
 * threshold inside its bounds (mtu_lo < threshold, mtu_hi = threshold - 1),
 * delay percentiles ordered; matches at most the packets of either side;
 * flows within PD_CORR_MAX_FLOWS; the pending window within its capacity;
 * and the same input gives the same result a second time.
 */
#include <pathdiag/correlate.h>
#include <pathdiag/tunrec.h>

#include "fuzz_common.h"

struct stream {
	const uint8_t *buf;
	size_t len, off;
	size_t rec_len;
	struct pd_tunrec_eps *eps;
	uint64_t packets;      /* packet records handed over */
	int failed;            /* the error returned, 0 if none */
	struct pd_corr_src *cs;
};

static int stream_next(void *ctx, struct pd_tunrec *rec, struct pd_error *err)
{
	struct stream *s = ctx;
	struct pd_tunrec_item it;
	int rc;

	FZ_CHECK(!s->failed); /* the engine stops at the first error */
	while (s->off < s->len) {
		if (s->len - s->off < s->rec_len) {
			s->failed = PD_ERR_TRUNCATED;
			return pd_fail(err, PD_ERR_TRUNCATED, s->off, "record truncated");
		}
		rc = pd_tunrec_decode(s->eps, s->buf + s->off, s->len - s->off, s->rec_len, &it,
				      err);
		if (rc < 0) {
			s->failed = rc;
			return rc;
		}
		s->off += s->rec_len;
		if (it.type == PD_TUNREC_END) {
			s->cs->end_ns = it.end_ns;
		} else if (it.type == PD_TUNREC_PACKET) {
			*rec = it.rec;
			s->packets++;
			return 1;
		}
	}
	return 0;
}

static void stream_open(struct stream *s, struct pd_corr_src *cs, const uint8_t *buf, size_t len)
{
	struct pd_tunrec_header h;

	memset(cs, 0, sizeof(*cs));
	s->buf = buf;
	s->len = len;
	s->off = len;  /* empty unless the header is good */
	s->rec_len = PD_TUNREC_REC_LEN;
	s->packets = 0;
	s->failed = 0;
	s->cs = cs;
	memset(s->eps, 0, sizeof(*s->eps));
	cs->next = stream_next;
	cs->ctx = s;
	if (pd_tunrec_header_decode(buf, len, &h, NULL) == 0) {
		s->off = h.hdr_len;
		s->rec_len = h.rec_len;
		cs->start_ns = h.start_ns;
	}
}

static void check_dir(const struct pd_corr_dir *d)
{
	uint64_t del = 0, lost = 0;
	bool ld = !d->largest_delivered, sl = !d->smallest_lost, thr = !d->size_dependent;

	for (size_t k = 0; k < d->nsizes; k++) {
		const struct pd_corr_size *z = &d->sizes[k];

		if (k)
			FZ_CHECK(z->size > d->sizes[k - 1].size);
		del += z->delivered;
		lost += z->lost;
		if (z->size == d->largest_delivered && z->delivered)
			ld = true;
		if (z->size == d->smallest_lost && z->lost)
			sl = true;
		if (d->size_dependent && z->size == d->threshold && z->lost)
			thr = true;
		/* nothing above the largest delivered size got through */
		FZ_CHECK(!z->delivered || z->size <= d->largest_delivered);
		FZ_CHECK(!z->lost || z->size >= d->smallest_lost);
	}
	FZ_CHECK(d->sizes || !d->nsizes);
	FZ_CHECK(del == d->delivered && lost == d->lost);
	FZ_CHECK(d->sent == d->delivered + d->lost);
	FZ_CHECK(ld && sl && thr);
	if (d->size_dependent) {
		FZ_CHECK(d->mtu_lo < d->threshold && d->mtu_hi == d->threshold - 1);
		FZ_CHECK(d->mtu_lo <= d->mtu_hi);
		FZ_CHECK(d->delivered_below + d->lost_below == d->sent_below);
		FZ_CHECK(d->sent_below + d->lost_above <= d->sent);
	}
	if (d->delay_known) {
		FZ_CHECK(d->delay_samples > 0);
		FZ_CHECK(d->delay_min <= d->delay_p50 && d->delay_p50 <= d->delay_p90);
		FZ_CHECK(d->delay_p90 <= d->delay_p99 && d->delay_p99 <= d->delay_max);
	}
}

static void same_dir(const struct pd_corr_dir *a, const struct pd_corr_dir *b)
{
	FZ_CHECK(a->present == b->present && a->kind == b->kind);
	FZ_CHECK(!memcmp(&a->from, &b->from, sizeof(a->from)));
	FZ_CHECK(!memcmp(&a->to, &b->to, sizeof(a->to)));
	FZ_CHECK(a->sent == b->sent && a->delivered == b->delivered && a->lost == b->lost);
	FZ_CHECK(a->unjudged == b->unjudged && a->unexpected == b->unexpected);
	FZ_CHECK(a->reordered == b->reordered && a->nsizes == b->nsizes);
	FZ_CHECK(!a->nsizes || !memcmp(a->sizes, b->sizes, a->nsizes * sizeof(*a->sizes)));
	FZ_CHECK(a->size_dependent == b->size_dependent && a->threshold == b->threshold);
	FZ_CHECK(a->delay_known == b->delay_known && a->delay_samples == b->delay_samples);
	FZ_CHECK(a->delay_min == b->delay_min && a->delay_p50 == b->delay_p50);
	FZ_CHECK(a->delay_p99 == b->delay_p99 && a->delay_max == b->delay_max);
}

static int run(const struct pd_corr_opts *o, const uint8_t *a, size_t alen, const uint8_t *b,
	       size_t blen, struct pd_corr_result *res, struct pd_tunrec_eps eps[2])
{
	struct stream sa = { .eps = &eps[0] }, sb = { .eps = &eps[1] };
	struct pd_corr_src ca, cb;
	struct pd_error err;
	int rc;

	stream_open(&sa, &ca, a, alen);
	stream_open(&sb, &cb, b, blen);
	fz_err_poison(&err);
	memset(res, 0x5a, sizeof(*res));
	rc = pd_corr_run(o, &ca, &cb, res, &err);
	if (rc < 0) {
		/* a stream's own error, passed on (or out of memory) */
		FZ_CHECK(err.code == rc);
		fz_check_what(err.what);
		FZ_CHECK(rc == sa.failed || rc == sb.failed || rc == PD_ERR_NOMEM);
		return rc;
	}
	FZ_CHECK(rc == 0);
	FZ_CHECK(!sa.failed && !sb.failed);
	FZ_CHECK(res->records[0] == sa.packets && res->records[1] == sb.packets);
	FZ_CHECK(res->matched <= res->records[0] && res->matched <= res->records[1]);
	FZ_CHECK(res->flows[0] <= PD_CORR_MAX_FLOWS && res->flows[1] <= PD_CORR_MAX_FLOWS);
	FZ_CHECK(res->pending_cap == (o->max_pending ? o->max_pending : PD_CORR_DEFAULT_PENDING));
	FZ_CHECK(res->peak_pending <= res->pending_cap);
	check_dir(&res->dir[0]);
	check_dir(&res->dir[1]);
	/* every packet of A is judged at most once, in one direction */
	FZ_CHECK(res->dir[PD_CORR_AB].sent + res->dir[PD_CORR_AB].unjudged <= sa.packets);
	FZ_CHECK(res->dir[PD_CORR_BA].sent + res->dir[PD_CORR_BA].unjudged <= sb.packets);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t prefixes[] = { 1, 4, 16, 0 };
	static const uint64_t windows[] = { 1000000, 100000000, 0, UINT64_MAX };
	static struct pd_tunrec_eps eps[2]; /* 17 KB each: not on the stack */
	struct pd_corr_opts o = { 0 };
	struct pd_corr_result r1, r2;
	uint8_t *a, *b;
	size_t alen, blen;
	int rc1, rc2;

	if (size < 3)
		return 0;
	o.max_pending = (size_t)1 << (data[0] & 7);
	o.prefix = prefixes[(data[0] >> 3) & 3];
	o.window_ns = windows[(data[0] >> 5) & 3];
	o.min_pkts = data[0] & 0x80 ? 1 : 0;
	alen = fz_min((size_t)fz_be16(data + 1), size - 3);
	blen = size - 3 - alen;
	a = fz_dup(data + 3, alen);
	b = fz_dup(data + 3 + alen, blen);

	rc1 = run(&o, a, alen, b, blen, &r1, eps);
	rc2 = run(&o, a, alen, b, blen, &r2, eps);
	FZ_CHECK(rc1 == rc2);
	if (rc1 == 0) {
		same_dir(&r1.dir[0], &r2.dir[0]);
		same_dir(&r1.dir[1], &r2.dir[1]);
		FZ_CHECK(r1.offset_known == r2.offset_known && r1.offset_ns == r2.offset_ns);
		FZ_CHECK(r1.matched == r2.matched && r1.unattributed == r2.unattributed);
		FZ_CHECK(r1.peak_pending == r2.peak_pending);
		FZ_CHECK(r1.evicted_full == r2.evicted_full);
	}
	pd_corr_result_free(&r1);
	pd_corr_result_free(&r2);
	free(a);
	free(b);
	return 0;
}
