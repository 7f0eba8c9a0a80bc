/* test_correlate.c - both-ends correlation (pathdiag/correlate.h) on
 * synthetic record streams whose losses, delays, clock offset and
 * reordering are set here, and must be what the engine reports. */
#include "decoder_test.h"

#include <pathdiag/correlate.h>

#define MS 1000000LL

struct arr {
	struct pd_tunrec *r;
	size_t n, cap, i;
};

static int arr_next(void *ctx, struct pd_tunrec *rec, struct pd_error *err)
{
	struct arr *a = ctx;

	(void)err;
	if (a->i >= a->n)
		return 0;
	*rec = a->r[a->i++];
	return 1;
}

static void arr_push(struct arr *a, const struct pd_tunrec *r)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 1024;
		a->r = realloc(a->r, a->cap * sizeof(*a->r));
		assert_non_null(a->r);
	}
	a->r[a->n++] = *r;
}

static int by_ts(const void *pa, const void *pb)
{
	const struct pd_tunrec *a = pa, *b = pb;

	return a->ts_ns < b->ts_ns ? -1 : a->ts_ns > b->ts_ns;
}

static struct pd_tunrec wgrec(int from_a, uint64_t ts, uint64_t counter, uint16_t size)
{
	struct pd_tunrec r;

	memset(&r, 0, sizeof(r));
	r.ts_ns = ts;
	r.outer_len = size;
	r.kind = PD_TUNREC_WG;
	r.wg_type = 4;
	r.flags = PD_TUNREC_F_DATA;
	r.wg_receiver = from_a ? 0x1111 : 0x2222; /* the receiver's index */
	r.ident = counter;
	r.src.family = r.dst.family = 4;
	r.src.addr[0] = r.dst.addr[0] = 10;
	r.src.addr[3] = from_a ? 1 : 2;
	r.dst.addr[3] = from_a ? 2 : 1;
	return r;
}

static uint64_t prng(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/* A scenario: n packets each way, A->B sizes from size_of(i), lost when
 * lose(i) says so; B's clock is `offset` ahead; delays base + extra(i). */
struct scen {
	size_t n;
	int64_t offset, base_ab, base_ba;
	uint16_t (*size_of)(size_t i, uint64_t *rng);
	bool (*lose)(size_t i, uint16_t size, uint64_t *rng);
	int64_t (*extra)(size_t i);
	uint64_t lost_ab, sent_ab, lost_ge_1455;
};

static void build(struct scen *sc, struct arr *a, struct arr *b)
{
	uint64_t rng = 88172645463325252ULL;
	size_t i;
	int64_t t0 = 1700000000LL * 1000000000LL;

	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	for (i = 0; i < sc->n; i++) {
		int64_t t = t0 + (int64_t)i * MS;
		uint16_t size = sc->size_of ? sc->size_of(i, &rng) : 1000;
		struct pd_tunrec r = wgrec(1, (uint64_t)t, i, size);
		int64_t d = sc->base_ab + (sc->extra ? sc->extra(i) : 0);

		arr_push(a, &r);
		sc->sent_ab++;
		if (sc->lose && sc->lose(i, size, &rng)) {
			sc->lost_ab++;
			if (size >= 1455)
				sc->lost_ge_1455++;
		} else {
			r.ts_ns = (uint64_t)(t + d + sc->offset);
			arr_push(b, &r);
		}
		/* B answers with a small packet half a millisecond later. */
		r = wgrec(0, (uint64_t)(t + MS / 2 + sc->offset), i, 80);
		arr_push(b, &r);
		r.ts_ns = (uint64_t)(t + MS / 2 + sc->base_ba);
		arr_push(a, &r);
	}
	qsort(a->r, a->n, sizeof(*a->r), by_ts);
	qsort(b->r, b->n, sizeof(*b->r), by_ts);
}

static int run(struct arr *a, struct arr *b, struct pd_corr_result *res)
{
	struct pd_corr_src sa = { arr_next, a, 0 }, sb = { arr_next, b, 0 };
	struct pd_error e = { 0 };

	return pd_corr_run(NULL, &sa, &sb, res, &e);
}

static uint16_t size_sweep(size_t i, uint64_t *rng)
{
	(void)rng;
	return (uint16_t)(100 + (i * 7) % 1401); /* 100..1500 */
}

static bool lose_above_1454(size_t i, uint16_t size, uint64_t *rng)
{
	(void)i;
	(void)rng;
	return size > 1454;
}

static void test_threshold(void **state)
{
	struct scen sc = { .n = 20000, .base_ab = 5 * MS, .base_ba = 5 * MS,
			   .size_of = size_sweep, .lose = lose_above_1454 };
	struct arr a, b;
	struct pd_corr_result res;
	const struct pd_corr_dir *d;
	size_t k;
	uint64_t at1454 = 0;

	(void)state;
	build(&sc, &a, &b);
	assert_int_equal(run(&a, &b, &res), 0);
	d = &res.dir[PD_CORR_AB];
	assert_true(d->size_dependent);
	assert_int_equal(d->threshold, 1455);
	assert_int_equal(d->mtu_lo, 1454);
	assert_int_equal(d->mtu_hi, 1454);
	assert_int_equal(d->largest_delivered, 1454);
	assert_int_equal(d->smallest_lost, 1455);
	assert_int_equal(d->lost, sc.lost_ab);
	assert_int_equal(d->lost_above, sc.lost_ge_1455);
	assert_int_equal(d->sent, sc.sent_ab);
	assert_int_equal(d->delivered_below, sc.sent_ab - sc.lost_ab);
	assert_int_equal(d->lost_below, 0);
	for (k = 0; k < d->nsizes; k++)
		if (d->sizes[k].size == 1454)
			at1454 = d->sizes[k].delivered;
	assert_true(at1454 > 0);
	/* The other way: 80-byte packets, all delivered. */
	assert_int_equal(res.dir[PD_CORR_BA].sent, sc.n);
	assert_int_equal(res.dir[PD_CORR_BA].lost, 0);
	assert_false(res.dir[PD_CORR_BA].size_dependent);
	assert_int_equal(res.dir[PD_CORR_AB].from.addr[3], 1);
	assert_int_equal(res.dir[PD_CORR_AB].to.addr[3], 2);
	pd_corr_result_free(&res);
	free(a.r);
	free(b.r);
}

static bool lose_5pct(size_t i, uint16_t size, uint64_t *rng)
{
	(void)i;
	(void)size;
	return prng(rng) % 100 < 5;
}

static void test_random_loss(void **state)
{
	struct scen sc = { .n = 20000, .base_ab = 5 * MS, .base_ba = 5 * MS,
			   .size_of = size_sweep, .lose = lose_5pct };
	struct arr a, b;
	struct pd_corr_result res;
	const struct pd_corr_dir *d;

	(void)state;
	build(&sc, &a, &b);
	assert_int_equal(run(&a, &b, &res), 0);
	d = &res.dir[PD_CORR_AB];
	assert_false(d->size_dependent);
	assert_int_equal(d->lost, sc.lost_ab);
	assert_int_equal(d->sent, sc.sent_ab);
	assert_true(sc.lost_ab > 800 && sc.lost_ab < 1200);
	assert_int_equal(d->largest_delivered, 1500);
	pd_corr_result_free(&res);
	free(a.r);
	free(b.r);
}

static int64_t jitter(size_t i)
{
	return (int64_t)((i * 2654435761u) % 3000) * 1000; /* 0..3 ms */
}

static void test_offset(void **state)
{
	struct scen sc = { .n = 5000, .offset = 3200 * MS, .base_ab = 5 * MS,
			   .base_ba = 5 * MS, .extra = jitter };
	struct arr a, b;
	struct pd_corr_result res;

	(void)state;
	build(&sc, &a, &b);
	assert_int_equal(run(&a, &b, &res), 0);
	assert_true(res.offset_known);
	assert_true(llabs(res.offset_ns - 3200 * MS) < 1000);
	assert_true(llabs(res.min_owd_ns - 5 * MS) < 1000);
	assert_int_equal(res.dir[PD_CORR_AB].lost, 0);
	assert_int_equal(res.dir[PD_CORR_AB].delivered, sc.n);
	assert_int_equal(res.dir[PD_CORR_BA].delivered, sc.n);
	assert_true(llabs(res.dir[PD_CORR_AB].delay_min - 5 * MS) < 1000);
	assert_true(res.dir[PD_CORR_AB].delay_max <= 8 * MS + 1000);
	assert_true(res.dir[PD_CORR_AB].delay_p50 > 5 * MS + MS / 2);
	assert_true(res.dir[PD_CORR_AB].delay_p50 < 8 * MS - MS / 2);
	/* This jitter never lets a packet fall more than the 1 ms spacing
	 * behind the previous one (steps of +2.761 or -0.239 ms): no reordering. */
	assert_int_equal(res.dir[PD_CORR_AB].reordered, 0);
	pd_corr_result_free(&res);
	free(a.r);
	free(b.r);
}

static int64_t every_100th_late(size_t i)
{
	return i % 100 == 50 ? 3 * MS / 2 : 0;
}

static void test_reorder(void **state)
{
	struct scen sc = { .n = 10000, .base_ab = 5 * MS, .base_ba = 5 * MS,
			   .extra = every_100th_late };
	struct arr a, b;
	struct pd_corr_result res;

	(void)state;
	build(&sc, &a, &b);
	assert_int_equal(run(&a, &b, &res), 0);
	/* Packet i arrives 0.5 ms after packet i+1: one reordering each. */
	assert_int_equal(res.dir[PD_CORR_AB].reordered, sc.n / 100);
	assert_int_equal(res.dir[PD_CORR_BA].reordered, 0);
	assert_int_equal(res.dir[PD_CORR_AB].lost, 0);
	pd_corr_result_free(&res);
	free(a.r);
	free(b.r);
}

/* 1e6 records streamed each way through generators (never held in memory):
 * the pending table stays within its bound and the count is exact. */
struct gen {
	int side;
	uint64_t i, n;
	uint64_t *end; /* the stream's end_ns, set at its end */
};

static bool gen_lost(uint64_t i)
{
	return (i * 0x9e3779b97f4a7c15ULL) >> 58 == 0; /* 1 in 64 */
}

static int gen_next(void *ctx, struct pd_tunrec *rec, struct pd_error *err)
{
	struct gen *g = ctx;
	const int64_t t0 = 1700000000LL * 1000000000LL;

	(void)err;
	while (g->i < g->n && g->side == 1 && gen_lost(g->i))
		g->i++;
	if (g->i >= g->n) {
		/* The capture ran 5 ms past the last packet sent. */
		*g->end = (uint64_t)(t0 + (int64_t)g->n * 10000 + 5 * MS);
		return 0;
	}
	*rec = wgrec(1, (uint64_t)(t0 + (int64_t)g->i * 10000 + (g->side ? MS : 0)), g->i,
		     (uint16_t)(200 + g->i % 1000));
	g->i++;
	return 1;
}

static void test_stream_bounded(void **state)
{
	struct pd_corr_src sa = { gen_next, NULL, 0 }, sb = { gen_next, NULL, 0 };
	struct gen ga = { 0, 0, 1000000, &sa.end_ns }, gb = { 1, 0, 1000000, &sb.end_ns };
	struct pd_corr_opts o = { .window_ns = 20 * MS, .max_pending = 4096 };
	struct pd_corr_result res;
	struct pd_error e = { 0 };
	uint64_t i, lost = 0;

	(void)state;
	sa.ctx = &ga;
	sb.ctx = &gb;
	/* Both captures started at t0, before the first packet. */
	sa.start_ns = sb.start_ns = 1700000000ULL * 1000000000ULL;
	for (i = 0; i < 1000000; i++)
		lost += gen_lost(i);
	assert_int_equal(pd_corr_run(&o, &sa, &sb, &res, &e), 0);
	assert_int_equal(res.records[0], 1000000);
	assert_int_equal(res.records[1], 1000000 - lost);
	assert_true(res.peak_pending <= 4096);
	assert_int_equal(res.pending_cap, 4096);
	assert_int_equal(res.dir[PD_CORR_AB].lost, lost);
	assert_int_equal(res.dir[PD_CORR_AB].unjudged, 0);
	assert_int_equal(res.dir[PD_CORR_AB].delivered, 1000000 - lost);
	assert_false(res.dir[PD_CORR_AB].size_dependent);
	assert_false(res.offset_known); /* one way only */
	pd_corr_result_free(&res);
}

/* The threshold rule on its own: a run of lost sizes explained by the
 * random loss below it is not a threshold. */
static void test_threshold_rule(void **state)
{
	struct pd_corr_size s[3] = { { 1000, 90, 10 }, { 1400, 90, 10 }, { 1480, 0, 3 } };
	struct pd_corr_dir d;

	(void)state;
	memset(&d, 0, sizeof(d));
	d.sizes = s;
	d.nsizes = 3;
	pd_corr_threshold(&d, 3);
	assert_false(d.size_dependent); /* 10 % loss below: 0.1^3 is not rare enough */
	s[0].lost = s[1].lost = 0;
	s[2].lost = 2;
	pd_corr_threshold(&d, 3);
	assert_false(d.size_dependent); /* too few lost above */
	s[2].lost = 3;
	pd_corr_threshold(&d, 3);
	assert_true(d.size_dependent);
	assert_int_equal(d.threshold, 1480);
	assert_int_equal(d.mtu_lo, 1400);
	assert_int_equal(d.mtu_hi, 1479);
}

/* Record files may hold any 64-bit time: here B's clock reads 2^63 ns
 * (292 years) ahead of A's, further than int64_t differences reach.  The
 * engine clamps its times (found by fuzz_correlate: signed overflow), still
 * matches every packet and says B is ahead. */
static void test_extreme_times(void **state)
{
	const uint64_t ahead = (uint64_t)1 << 63;
	struct arr a, b;
	struct pd_corr_result res;
	struct pd_tunrec r;
	size_t i, n = 50;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	for (i = 0; i < n; i++) {
		uint64_t t = 1700000000ULL * 1000000000ULL + i * 10 * MS;

		r = wgrec(1, t, i, 1000);
		arr_push(&a, &r);
		r = wgrec(1, t + ahead + 5 * MS, i, 1000);
		arr_push(&b, &r);
		r = wgrec(0, t + ahead + 1 * MS, i, 200);
		arr_push(&b, &r);
		r = wgrec(0, t + 6 * MS, i, 200);
		arr_push(&a, &r);
	}
	qsort(a.r, a.n, sizeof(*a.r), by_ts);
	qsort(b.r, b.n, sizeof(*b.r), by_ts);
	assert_int_equal(run(&a, &b, &res), 0);
	assert_int_equal(res.records[0], 2 * n);
	assert_int_equal(res.records[1], 2 * n);
	assert_int_equal(res.matched, 2 * n);
	assert_true(res.offset_known);
	assert_true(res.offset_ns > 0);
	pd_corr_result_free(&res);
	free(a.r);
	free(b.r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_threshold),
		cmocka_unit_test(test_random_loss),
		cmocka_unit_test(test_offset),
		cmocka_unit_test(test_reorder),
		cmocka_unit_test(test_stream_bounded),
		cmocka_unit_test(test_threshold_rule),
		cmocka_unit_test(test_extreme_times),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
