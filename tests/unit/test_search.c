/* test_search.c - the path MTU search engine (pathdiag/search.h).
 *
 * Two kinds of tests.  Hand-fed rounds check the API contract and single rules
 * (a PTB is verified by probing M and M + 1, bogus MTUs are counted and not
 * used, a local refusal lowers the bound, late answers count, the tries formula
 * of search.h).  Simulated paths (tests/common/pathsim.c) run whole searches
 * over many seeds: the answer must equal the path MTU the simulation was built
 * with, on every seed, including 10% and 20% random loss over 2000 seeds; the
 * distributions of rounds and probes are printed, and bounded only where the
 * benchmark sets a bound (1500 -> 1454: 3 rounds with working PMTUD, 24 probes
 * on a clean path).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/error.h>
#include <pathdiag/search.h>

#include "../common/pathsim.h"

#define V4_MIN 68   /* RFC 791 */
#define V6_MIN 1280 /* RFC 8200 section 5 */

static const struct pd_search_addr router = { 4, 4, { 192, 0, 2, 1 } };

static struct pd_search_outcome ack(void)
{
	struct pd_search_outcome o = { PD_SEARCH_ACKED, 0, { 0 } };

	return o;
}

static struct pd_search_outcome ptb(uint32_t mtu)
{
	struct pd_search_outcome o = { PD_SEARCH_TOO_BIG, mtu, router };

	return o;
}

static struct pd_search_outcome local(uint32_t mtu)
{
	struct pd_search_outcome o = { PD_SEARCH_LOCAL_TOO_BIG, mtu, { 0 } };

	return o;
}

static void init4(struct pd_search *s, unsigned max)
{
	struct pd_search_config c = { .family = 4, .max_size = max };

	assert_int_equal(pd_search_init(s, &c, NULL), PD_OK);
}

static size_t plan(struct pd_search *s, struct pd_search_probe *p)
{
	size_t n = 99;

	assert_int_equal(pd_search_plan(s, 0, p, PD_SEARCH_ROUND_MAX, &n, NULL), PD_OK);
	return n;
}

/* A path of MTU pmtu whose router sends PTB(reported) for anything larger
 * (reported 0: nothing comes back), fed by hand for one round. */
static void answer_round(struct pd_search *s, const struct pd_search_probe *p, size_t n,
			 unsigned pmtu, uint32_t reported)
{
	size_t i;

	for (i = 0; i < n; i++) {
		struct pd_search_outcome o = p[i].size <= pmtu ? ack() : ptb(reported);

		if (p[i].size <= pmtu || reported)
			assert_int_equal(pd_search_feed(s, p[i].id, &o, NULL), PD_OK);
	}
	assert_int_equal(pd_search_end_round(s, 0, NULL), PD_OK);
}

static bool has_size(const struct pd_search_probe *p, size_t n, unsigned size)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i].size == size && !p[i].is_control)
			return true;
	return false;
}

/* ---- API contract --------------------------------------------------------- */

static void test_init_rejects(void **state)
{
	static const uint16_t many[PD_SEARCH_MAX_CANDIDATES + 1] = { 1500 };
	struct pd_search s;
	struct pd_error err;
	const struct {
		struct pd_search_config c;
	} bad[] = {
		{ { .family = 5, .max_size = 1500 } },
		{ { .family = 4, .max_size = V4_MIN - 1 } },
		{ { .family = 6, .max_size = V6_MIN - 1 } },
		{ { .family = 4, .max_size = 65536 } },
		{ { .family = 4, .min_size = V4_MIN - 1, .max_size = 1500 } },
		{ { .family = 6, .min_size = 1279, .max_size = 1500 } },
		{ { .family = 4, .min_size = 1501, .max_size = 1500 } },
		{ { .family = 4, .max_size = 1500, .candidates = many,
		    .ncandidates = PD_SEARCH_MAX_CANDIDATES + 1 } },
		{ { .family = 4, .max_size = 1500, .ncandidates = 3 } },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(&err, 0, sizeof(err));
		assert_int_equal(pd_search_init(&s, &bad[i].c, &err), PD_ERR_INVAL);
		assert_int_equal(err.code, PD_ERR_INVAL);
		assert_non_null(err.what);
	}
	assert_int_equal(pd_search_init(NULL, &bad[0].c, NULL), PD_ERR_INVAL);
	assert_int_equal(pd_search_init(&s, NULL, NULL), PD_ERR_INVAL);
}

static void test_call_order_errors(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_outcome bad_kind = { PD_SEARCH_PENDING, 0, { 0 } };
	struct pd_search_outcome long_addr = ptb(1400);
	struct pd_error err;
	size_t n;

	(void)state;
	init4(&s, 1500);
	assert_int_equal(pd_search_end_round(&s, 0, &err), PD_ERR_INVAL);
	assert_int_equal(pd_search_plan(&s, 0, p, 1, &n, &err), PD_ERR_NOSPACE);
	assert_int_equal(n, 0);
	n = plan(&s, p);
	assert_true(n >= 2);
	assert_int_equal(pd_search_plan(&s, 0, p, PD_SEARCH_ROUND_MAX, &n, &err), PD_ERR_INVAL);
	assert_int_equal(n, 0);
	n = 3;
	assert_int_equal(pd_search_feed(&s, 10000, &bad_kind, &err), PD_ERR_NOTFOUND);
	assert_int_equal(pd_search_feed(&s, p[0].id, &bad_kind, &err), PD_ERR_INVAL);
	long_addr.from.len = PD_SEARCH_ADDR_MAX + 1;
	assert_int_equal(pd_search_feed(&s, p[1].id, &long_addr, &err), PD_ERR_INVAL);
	assert_int_equal(pd_search_end_round(&s, 0, &err), PD_OK);
	assert_int_equal(pd_search_end_round(&s, 0, &err), PD_ERR_INVAL);
}

/* Round 1: controls of min size around a descending ladder that starts at the
 * local maximum and holds the most common MTUs in range. */
static void test_first_round_ladder(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	size_t n, i, ncand;
	const uint16_t *cand = pd_search_default_candidates(&ncand);

	(void)state;
	init4(&s, 1500);
	n = plan(&s, p);
	assert_int_equal(n, PD_SEARCH_LADDER + 2);
	assert_true(p[0].is_control && p[0].size == V4_MIN);
	assert_true(p[n - 1].is_control && p[n - 1].size == V4_MIN);
	assert_int_equal(p[1].size, 1500);
	for (i = 1; i + 1 < n; i++) {
		assert_false(p[i].is_control);
		assert_true(p[i].size > V4_MIN && p[i].size <= 1500);
		if (i > 1)
			assert_true(p[i].size < p[i - 1].size);
		assert_int_equal(p[i].id, p[i - 1].id + 1);
		/* the maximum, or a candidate */
		if (p[i].size != 1500) {
			size_t j;

			for (j = 0; j < ncand && cand[j] != p[i].size; j++)
				;
			assert_true(j < ncand);
		}
	}
	/* Common MTUs of tunnels named in docs/overhead.md and RFCs. */
	assert_true(has_size(p, n, 1492)); /* PPPoE, RFC 2516 */
	assert_true(has_size(p, n, 1480)); /* IPIP / 6in4 */
	assert_true(has_size(p, n, 1420)); /* WireGuard over IPv6 */
	assert_true(has_size(p, n, 1280)); /* IPv6 minimum */
	assert_true(ncand > PD_SEARCH_LADDER);

	/* A jumbo interface puts the maximum first, still within range. */
	init4(&s, 9000);
	n = plan(&s, p);
	assert_int_equal(p[1].size, 9000);
	assert_true(has_size(p, n, 1500));

	/* The first probes of a caller's list, plus the maximum. */
	{
		static const uint16_t mine[] = { 1400, 1300, 1200 };
		struct pd_search_config c = { .family = 6, .max_size = 1500,
					      .candidates = mine, .ncandidates = 3 };

		assert_int_equal(pd_search_init(&s, &c, NULL), PD_OK);
		n = plan(&s, p);
		assert_int_equal(n, 2 + 3); /* 1500, 1400, 1300: 1200 is below 1280 */
		assert_int_equal(p[0].size, V6_MIN);
		assert_int_equal(p[1].size, 1500);
		assert_int_equal(p[2].size, 1400);
		assert_int_equal(p[3].size, 1300);
	}
}

/* PMTUD working: PTB(1454) from the router; the engine tries 1455 next
 * (1454 itself was acknowledged in the ladder), and the PTB for it settles
 * the answer in two rounds. */
static void test_ptb_verified_by_hand(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n;

	(void)state;
	init4(&s, 1500);
	n = plan(&s, p);
	answer_round(&s, p, n, 1454, 1454);
	assert_false(pd_search_done(&s));
	n = plan(&s, p);
	assert_true(has_size(p, n, 1455));
	assert_false(has_size(p, n, 1454)); /* already acknowledged */
	answer_round(&s, p, n, 1454, 1454);
	assert_true(pd_search_done(&s));
	assert_int_equal(plan(&s, p), 0);

	pd_search_result(&s, &r);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.stop, PD_SEARCH_STOP_FOUND);
	assert_int_equal(r.pmtu, 1454);
	assert_int_equal(r.largest_ok, 1454);
	assert_int_equal(r.smallest_lost, 1455);
	assert_int_equal(r.pmtud, PD_PMTUD_WORKS);
	assert_int_equal(r.rounds, 2);
	assert_int_equal(r.nptb, 1);
	assert_int_equal(r.ptb_verified, 0);
	assert_int_equal(r.ptb[0].mtu, 1454);
	assert_int_equal(r.ptb[0].verdict, PD_PTB_VERIFIED);
	assert_memory_equal(r.ptb[0].from.bytes, router.bytes, 4);
	assert_int_equal(r.ptb[0].probe_size, 1455);
	assert_int_equal(r.bogus_ptb, 0);
	assert_string_equal(pd_pmtud_name(r.pmtud), "works");
	assert_string_equal(pd_search_status_name(r.status), "found");
}

/* A PTB whose MTU was not yet acknowledged: both M and M + 1 are probed in the
 * next round. */
static void test_ptb_hint_probes_m_and_m_plus_1(void **state)
{
	static const uint16_t sparse[] = { 1400 };
	struct pd_search_config c = { .family = 4, .max_size = 1500,
				      .candidates = sparse, .ncandidates = 1 };
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n;

	(void)state;
	assert_int_equal(pd_search_init(&s, &c, NULL), PD_OK);
	n = plan(&s, p); /* 68, 1500, 1400, 68 */
	answer_round(&s, p, n, 1454, 1454);
	n = plan(&s, p);
	assert_true(has_size(p, n, 1454));
	assert_true(has_size(p, n, 1455));
	answer_round(&s, p, n, 1454, 1454);
	pd_search_result(&s, &r);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.pmtu, 1454);
	assert_int_equal(r.pmtud, PD_PMTUD_WORKS);
}

/* Bogus MTUs (RFC 8899 5.3: below the minimum, or not below the probe) are
 * counted with their reason and never used: the probe counts as lost. */
static void test_bogus_ptb_by_hand(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n, i, over = 0;
	unsigned first_over = 0, rounds = 1;

	(void)state;
	init4(&s, 1500);
	n = plan(&s, p);
	for (i = 0; i < n; i++)
		if (p[i].size > 1454) {
			over++;
			if (!first_over || p[i].size < first_over)
				first_over = p[i].size;
		}
	answer_round(&s, p, n, 1454, 40);
	pd_search_result(&s, &r);
	assert_int_equal(r.bogus_low, over);
	assert_int_equal(r.bogus_not_smaller, 0);
	assert_int_equal(r.bogus_ptb, over);
	assert_int_equal(r.nptb, 1);
	assert_int_equal(r.ptb[0].verdict, PD_PTB_BOGUS_LOW);
	assert_string_equal(pd_ptb_verdict_name(r.ptb[0].verdict), "bogus-low");
	/* The router said it dropped each of them: failures, in one round,
	 * with no retries (RFC 1191 section 5); only the MTU is unused. */
	assert_true(first_over > 1454);
	assert_int_equal(r.smallest_lost, first_over);
	assert_int_equal(r.largest_ok, 1454);
	n = plan(&s, p);
	assert_false(has_size(p, n, 40));
	for (i = 0; i < n; i++)
		assert_true(p[i].size >= V4_MIN && p[i].size <= 1500);
	/* Bisection alone finds the path MTU; the errors came back, with a
	 * wrong MTU, so this is no black hole. */
	while (!pd_search_done(&s)) {
		answer_round(&s, p, n, 1454, 40);
		n = plan(&s, p);
		rounds++;
	}
	pd_search_result(&s, &r);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.pmtu, 1454);
	assert_int_equal(r.pmtud, PD_PMTUD_WRONG_MTU);
	assert_int_equal(r.ptb_verified, -1);
	assert_true(rounds <= 4);

	/* MTU not below the probe: 1500 for probes of 1455..1500 */
	init4(&s, 1500);
	n = plan(&s, p);
	answer_round(&s, p, n, 1454, 1500);
	pd_search_result(&s, &r);
	assert_int_equal(r.bogus_not_smaller, over);
	assert_int_equal(r.bogus_low, 0);
	assert_int_equal(r.ptb[0].verdict, PD_PTB_BOGUS_NOT_SMALLER);

	/* IPv6: a PTB below 1280 is bogus (RFC 8201 section 4). */
	{
		struct pd_search_config c = { .family = 6, .max_size = 1500 };

		assert_int_equal(pd_search_init(&s, &c, NULL), PD_OK);
		n = plan(&s, p);
		answer_round(&s, p, n, 1400, 1200);
		pd_search_result(&s, &r);
		assert_true(r.bogus_low > 0);
		assert_int_equal(r.ptb[0].verdict, PD_PTB_BOGUS_LOW);
	}
}

/* The local stack refuses 9000 with the interface MTU 1500: the bound drops
 * and every later probe stays under it; 1500 passing is then a local limit. */
static void test_local_too_big(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n, i;

	(void)state;
	init4(&s, 9000);
	n = plan(&s, p);
	assert_int_equal(p[1].size, 9000);
	for (i = 0; i < n; i++) {
		struct pd_search_outcome o = p[i].size > 1500 ? local(1500) : ack();

		if (p[i].size == 1500 || p[i].size > 1500 || p[i].is_control)
			assert_int_equal(pd_search_feed(&s, p[i].id, &o, NULL), PD_OK);
	}
	assert_int_equal(pd_search_end_round(&s, 0, NULL), PD_OK);
	pd_search_result(&s, &r);
	assert_int_equal(r.max_size, 1500);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.pmtu, 1500);
	assert_int_equal(r.pmtud, PD_PMTUD_LOCAL);
	assert_int_equal(r.local_too_big, 1);

	/* Refused without a usable MTU: the bound is one below the size. */
	init4(&s, 9000);
	n = plan(&s, p);
	for (i = 0; i < n; i++) {
		struct pd_search_outcome o = local(0);

		if (p[i].size == 9000)
			assert_int_equal(pd_search_feed(&s, p[i].id, &o, NULL), PD_OK);
	}
	assert_int_equal(pd_search_end_round(&s, 0, NULL), PD_OK);
	pd_search_result(&s, &r);
	assert_int_equal(r.max_size, 8999);
	n = plan(&s, p);
	for (i = 0; i < n; i++)
		assert_true(p[i].size <= 8999);
}

/* An answer after its round ended still counts; a larger size acknowledged
 * while a smaller one was lost proves the smaller one too, and that loss is
 * counted as random loss. */
static void test_late_and_inconsistent(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	struct pd_search_outcome a = ack();
	uint32_t id1500 = 0, id1400 = 0;
	size_t n, i;

	(void)state;
	init4(&s, 1500);
	n = plan(&s, p);
	for (i = 0; i < n; i++) {
		if (p[i].size == 1500)
			id1500 = p[i].id;
		if (p[i].size == 1400)
			id1400 = p[i].id;
		/* everything but 1500 and 1400 answers */
		if (p[i].size != 1500 && p[i].size != 1400)
			assert_int_equal(pd_search_feed(&s, p[i].id, &a, NULL), PD_OK);
	}
	assert_int_equal(pd_search_end_round(&s, 1000, NULL), PD_OK);
	pd_search_result(&s, &r);
	assert_int_equal(r.largest_ok, 1492);
	assert_true(r.loss_lost >= 1); /* 1400 lost below 1492: random */
	assert_int_equal(r.late, 0);

	assert_int_equal(pd_search_feed(&s, id1500, &a, NULL), PD_OK);
	assert_int_equal(pd_search_feed(&s, id1400, &a, NULL), PD_OK);
	pd_search_result(&s, &r);
	assert_int_equal(r.late, 2);
	assert_int_equal(r.largest_ok, 1500);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.pmtud, PD_PMTUD_LOCAL);
	/* a PTB for an acknowledged probe does not undo it */
	{
		struct pd_search_outcome o = ptb(1400);

		assert_int_equal(pd_search_feed(&s, id1500, &o, NULL), PD_OK);
		pd_search_result(&s, &r);
		assert_int_equal(r.largest_ok, 1500);
		assert_int_equal(r.ptb_contradicted, 1);
	}
	assert_int_equal(plan(&s, p), 0);
	assert_true(pd_search_done(&s));
	assert_int_equal(r.elapsed_us, 1000);
}

/* k from the formula of search.h, computed here from the samples the result
 * reports: the engine must use exactly this. */
static unsigned tries_formula(unsigned m, unsigned l)
{
	double prod = 1.0;
	unsigned k;

	for (k = 1; k <= PD_SEARCH_TRIES_MAX; k++) {
		prod *= (0.5 + l + k - 1) / (4.5 + m + k - 1);
		if (k >= PD_SEARCH_DEFAULT_TRIES && prod <= 1e-5)
			return k;
	}
	return PD_SEARCH_TRIES_MAX;
}

static void test_tries_formula(void **state)
{
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n, i;

	(void)state;
	/* the documented examples */
	assert_int_equal(tries_formula(0, 0), 17);
	assert_int_equal(tries_formula(7, 0), 7);
	assert_int_equal(tries_formula(20, 0), 5);
	assert_int_equal(tries_formula(40, 0), 4);
	assert_int_equal(tries_formula(100, 0), 3);
	assert_int_equal(tries_formula(10, 2), 11);
	assert_int_equal(tries_formula(20, 4), 10);

	/* Black hole at 1454 in the ladder: the samples are the leading control
	 * and the six ladder sizes below 1454 (1452 1440 1420 1400 1280 576). */
	init4(&s, 1500);
	n = plan(&s, p);
	answer_round(&s, p, n, 1454, 0);
	pd_search_result(&s, &r);
	assert_int_equal(r.loss_samples, 7);
	assert_int_equal(r.loss_lost, 0);
	assert_int_equal(r.tries, tries_formula(7, 0));
	/* next round: confirm 1455 with k copies */
	n = plan(&s, p);
	for (i = 0; i < n; i++)
		assert_true(p[i].is_control || p[i].size == 1455);
	assert_int_equal(n, 2 + r.tries);
	answer_round(&s, p, n, 1454, 0);
	pd_search_result(&s, &r);
	assert_int_equal(r.status, PD_SEARCH_FOUND);
	assert_int_equal(r.pmtu, 1454);
	assert_int_equal(r.pmtud, PD_PMTUD_BLACKHOLE);
	assert_int_equal(r.smallest_lost, 1455);
	assert_int_equal(r.probes, PD_SEARCH_LADDER + 2 + 2 + tries_formula(7, 0));

	/* A round whose trailing control is lost proves nothing by its losses. */
	init4(&s, 1500);
	n = plan(&s, p);
	for (i = 0; i + 1 < n; i++) {
		struct pd_search_outcome a = ack();

		if (p[i].size <= 1454)
			assert_int_equal(pd_search_feed(&s, p[i].id, &a, NULL), PD_OK);
	}
	assert_int_equal(pd_search_end_round(&s, 0, NULL), PD_OK);
	for (;;) {
		n = plan(&s, p);
		if (n == 0)
			break;
		/* nothing but controls ever fails now, and no control answers */
		assert_int_equal(pd_search_end_round(&s, 0, NULL), PD_OK);
	}
	pd_search_result(&s, &r);
	assert_int_equal(r.status, PD_SEARCH_PARTIAL);
	assert_int_equal(r.largest_ok, 1454);
	assert_int_equal(r.smallest_lost, 0);
	assert_int_equal(r.stop, PD_SEARCH_STOP_SILENT);
	assert_int_equal(r.rounds, 1 + PD_SEARCH_SILENT_ROUNDS);
}

/* Budgets: never more probes or rounds than configured. */
static void test_budgets(void **state)
{
	struct pd_search_config c = { .family = 4, .max_size = 1500, .max_probes = 20,
				      .max_rounds = 2 };
	struct pd_search s;
	struct pd_search_probe p[PD_SEARCH_ROUND_MAX];
	struct pd_search_result r;
	size_t n;

	(void)state;
	assert_int_equal(pd_search_init(&s, &c, NULL), PD_OK);
	while ((n = plan(&s, p)) > 0)
		answer_round(&s, p, n, 1000, 0); /* black hole at 1000 */
	pd_search_result(&s, &r);
	assert_true(r.probes <= 20);
	assert_true(r.rounds <= 2);
	assert_int_equal(r.status, PD_SEARCH_PARTIAL);
	assert_true(r.stop == PD_SEARCH_STOP_ROUNDS || r.stop == PD_SEARCH_STOP_PROBES);
	assert_true(r.largest_ok >= 576 && r.largest_ok <= 1000);
	assert_string_equal(pd_search_status_name(r.status), "partial");

	c.max_rounds = 0;
	c.max_probes = 15;
	assert_int_equal(pd_search_init(&s, &c, NULL), PD_OK);
	while ((n = plan(&s, p)) > 0)
		answer_round(&s, p, n, 1000, 0);
	pd_search_result(&s, &r);
	assert_true(r.probes <= 15);
	assert_int_equal(r.stop, PD_SEARCH_STOP_PROBES);
}

/* ---- simulated paths ------------------------------------------------------- */

enum expect_pmtud {
	ANY = -1,
};

struct scenario {
	const char *name;
	struct pathsim_cfg path;
	unsigned max;          /* search max size (0: 1500) */
	unsigned seeds;
	int pmtud;             /* enum pd_pmtud, or ANY */
	unsigned max_rounds;   /* 0: no bound asserted */
	unsigned max_probes;   /* 0: no bound asserted */
	bool unknown;          /* expect UNKNOWN (dead target) */
	bool partial_ok;       /* PARTIAL allowed, never a wrong pmtu */
};

static int cmp_unsigned(const void *a, const void *b)
{
	unsigned x = *(const unsigned *)a, y = *(const unsigned *)b;

	return (x > y) - (x < y);
}

/* Every result must be self-consistent, whatever the path. */
static void check_consistent(const struct pd_search_result *r, unsigned min, unsigned max)
{
	if (r->largest_ok && r->smallest_lost)
		assert_true(r->largest_ok < r->smallest_lost);
	if (r->largest_ok)
		assert_true(r->largest_ok >= min && r->largest_ok <= max);
	assert_true(r->max_size <= max);
	if (r->status == PD_SEARCH_FOUND) {
		assert_int_equal(r->pmtu, r->largest_ok);
		if (r->pmtud != PD_PMTUD_LOCAL)
			assert_int_equal(r->smallest_lost, r->pmtu + 1);
		else
			assert_int_equal(r->pmtu, r->max_size);
	} else {
		assert_int_equal(r->pmtu, 0);
	}
	if (r->status == PD_SEARCH_UNKNOWN)
		assert_int_equal(r->largest_ok, 0);
	if (r->pmtud == PD_PMTUD_WORKS) {
		assert_true(r->ptb_verified >= 0 && (size_t)r->ptb_verified < r->nptb);
		assert_int_equal(r->ptb[r->ptb_verified].mtu, r->pmtu);
		assert_int_equal(r->ptb[r->ptb_verified].verdict, PD_PTB_VERIFIED);
	}
	assert_int_equal(r->bogus_ptb, r->bogus_low + r->bogus_not_smaller);
	assert_true(r->probes <= PD_SEARCH_DEFAULT_PROBES);
	assert_true(r->rounds <= PD_SEARCH_DEFAULT_ROUNDS);
	assert_int_equal(r->acked + r->too_big + r->lost + r->local_too_big, r->probes);
}

static void print_dist(const char *what, unsigned *v, unsigned n)
{
	qsort(v, n, sizeof(v[0]), cmp_unsigned);
	printf(" %s min %u med %u p99 %u max %u", what, v[0], v[n / 2], v[n * 99 / 100], v[n - 1]);
}

static void run_scenario(const struct scenario *sc)
{
	static unsigned rounds[4000], probes[4000], ms[4000];
	struct pd_search_config cfg = { .family = sc->path.family,
					.max_size = sc->max ? sc->max : 1500 };
	unsigned truth = pathsim_pmtu(&sc->path);
	unsigned min = sc->path.family == 6 ? V6_MIN : V4_MIN;
	unsigned seed, found = 0, partial = 0;

	assert_true(sc->seeds <= 4000);
	for (seed = 1; seed <= sc->seeds; seed++) {
		struct pathsim_cfg pc = sc->path;
		struct pathsim ps;
		struct pd_search_result r;
		struct pathsim_run_stats st;

		pc.seed = seed * 0x9e3779b9ull + truth;
		pathsim_init(&ps, &pc);
		assert_int_equal(pathsim_run(&ps, &cfg, &r, &st, NULL), 0);
		if (st.broken)
			fail_msg("%s seed %u: plan broke a promise: %s", sc->name, seed, st.broken);
		check_consistent(&r, min, cfg.max_size);
		if (sc->unknown) {
			assert_int_equal(r.status, PD_SEARCH_UNKNOWN);
			assert_int_equal(r.pmtu, 0);
			assert_int_equal(r.pmtud, PD_PMTUD_UNKNOWN);
			assert_int_equal(r.stop, PD_SEARCH_STOP_NO_ANSWER);
		} else if (r.status != PD_SEARCH_FOUND && sc->partial_ok) {
			/* bounds only, and they must hold */
			partial++;
			assert_true(r.largest_ok <= truth);
			if (r.smallest_lost)
				assert_true(r.smallest_lost > truth);
		} else {
			if (r.status != PD_SEARCH_FOUND || r.pmtu != truth)
				fail_msg("%s seed %u: status %s pmtu %u, path MTU %u (lo %u hi %u)",
					 sc->name, seed, pd_search_status_name(r.status), r.pmtu,
					 truth, r.largest_ok, r.smallest_lost);
			found++;
			if (sc->pmtud != ANY && (int)r.pmtud != sc->pmtud)
				fail_msg("%s seed %u: pmtud %s", sc->name, seed,
					 pd_pmtud_name(r.pmtud));
		}
		if (sc->max_rounds && r.rounds > sc->max_rounds)
			fail_msg("%s seed %u: %u rounds > %u", sc->name, seed, r.rounds,
				 sc->max_rounds);
		if (sc->max_probes && r.probes > sc->max_probes)
			fail_msg("%s seed %u: %u probes > %u", sc->name, seed, r.probes,
				 sc->max_probes);
		rounds[seed - 1] = r.rounds;
		probes[seed - 1] = r.probes;
		ms[seed - 1] = (unsigned)(r.elapsed_us / 1000);
	}
	printf("  %-30s pmtu %5u seeds %4u found %4u partial %3u |", sc->name, truth, sc->seeds,
	       found, partial);
	print_dist("rounds", rounds, sc->seeds);
	print_dist("| probes", probes, sc->seeds);
	print_dist("| ms", ms, sc->seeds);
	printf("\n");
}

static struct pathsim_cfg path4(unsigned mtu, bool sends_ptb, double loss)
{
	struct pathsim_cfg c;

	memset(&c, 0, sizeof(c));
	c.family = 4;
	c.rtt_us = 30000;
	c.jitter_us = 2000;
	c.nhops = 1;
	c.hop[0].mtu = mtu;
	c.hop[0].ptb = sends_ptb;
	c.hop[0].addr_last = 1;
	c.loss = loss;
	return c;
}

static const unsigned pmtus4[] = { 1500, 1454, 1452, 1420, 1280, 1281, 576, 68 };
#define NPMTU4 (sizeof(pmtus4) / sizeof(pmtus4[0]))

static int clean_pmtud(unsigned pmtu, bool sends_ptb)
{
	if (pmtu == 1500)
		return PD_PMTUD_LOCAL;
	return sends_ptb ? PD_PMTUD_WORKS : PD_PMTUD_BLACKHOLE;
}

static void test_sim_clean_paths(void **state)
{
	size_t i;

	(void)state;
	printf("clean paths, RTT 30 ms:\n");
	for (i = 0; i < NPMTU4; i++) {
		struct scenario sc = { "ptb", path4(pmtus4[i], true, 0), 0, 200,
				       clean_pmtud(pmtus4[i], true), 0, 0, false, false };

		/* The benchmark: 1500 -> 1454 in 3 rounds with PMTUD working,
		 * and at most twice ping -M do's 12 probes on a clean path. */
		if (pmtus4[i] == 1454) {
			sc.max_rounds = 3;
			sc.max_probes = 24;
		}
		run_scenario(&sc);
		sc.name = "blackhole";
		sc.path.hop[0].ptb = false;
		sc.pmtud = clean_pmtud(pmtus4[i], false);
		sc.max_rounds = 0;
		run_scenario(&sc);
	}
}

static void test_sim_lossy_paths(void **state)
{
	size_t i;

	(void)state;
	printf("random loss, 2000 seeds each, no wrong answer allowed:\n");
	for (i = 0; i < NPMTU4; i++) {
		struct scenario sc = { "blackhole, 10% each way", path4(pmtus4[i], false, 0.1),
				       0, 2000, clean_pmtud(pmtus4[i], false), 0, 0, false, false };

		sc.path.loss_back = 0.1;
		run_scenario(&sc);
		sc.name = "blackhole, 20% loss";
		sc.path.loss = 0.2;
		sc.path.loss_back = 0;
		run_scenario(&sc);
		sc.name = "ptb, 20% loss";
		sc.path.hop[0].ptb = true;
		sc.pmtud = ANY; /* a lost PTB can make the limit look silent */
		run_scenario(&sc);
	}
}

static void test_sim_odd_paths(void **state)
{
	struct scenario sc;

	(void)state;
	printf("rate limits, dead targets, bogus and lying PTBs, local MTU, IPv6:\n");

	/* Linux per-peer ICMP limit: burst 6, then 1 per second. */
	sc = (struct scenario){ "rate-limited, ptb", path4(1454, true, 0), 0, 200,
				PD_PMTUD_WORKS, 0, 0, false, false };
	sc.path.rl_burst = 6;
	sc.path.rl_rate = 1.0;
	run_scenario(&sc);
	sc.name = "rate-limited, blackhole";
	sc.path.hop[0].ptb = false;
	sc.pmtud = PD_PMTUD_BLACKHOLE;
	run_scenario(&sc);
	sc.name = "rate-limited, 1500";
	sc.path.hop[0].mtu = 1500;
	sc.pmtud = PD_PMTUD_LOCAL;
	run_scenario(&sc);
	sc.name = "rate-limited, 1280, 10% loss";
	sc.path.hop[0].mtu = 1280;
	sc.path.loss = 0.1;
	sc.pmtud = ANY;
	sc.partial_ok = true; /* may run out of probes: bounds must still hold */
	run_scenario(&sc);

	sc = (struct scenario){ "dead target", path4(1454, false, 0), 0, 50, ANY, 0, 0, true,
				false };
	sc.path.dead = true;
	run_scenario(&sc);
	sc.name = "dead target behind PTB router";
	sc.path.hop[0].ptb = true;
	run_scenario(&sc);

	sc = (struct scenario){ "bogus PTB mtu 40", path4(1454, true, 0), 0, 200,
				PD_PMTUD_WRONG_MTU, 0, 0, false, false };
	sc.path.hop[0].ptb_mtu = 40;
	run_scenario(&sc);
	sc.name = "bogus PTB mtu >= probe (1500)";
	sc.path.hop[0].ptb_mtu = 1500;
	run_scenario(&sc);
	sc.name = "lying PTB 1300, 1454 passes";
	sc.path.hop[0].ptb_mtu = 1300;
	run_scenario(&sc);
	sc.name = "lying PTB 1300, 20% loss";
	sc.path.loss = 0.2;
	sc.seeds = 2000;
	run_scenario(&sc);
	sc.name = "lying PTB 1480 (> path MTU)";
	sc.path.loss = 0;
	sc.seeds = 200;
	sc.path.hop[0].ptb_mtu = 1480;
	run_scenario(&sc);

	/* silent length drop above 1454 behind a router that reports 1480 */
	sc = (struct scenario){ "PTB 1480 + silent drop > 1454", path4(1480, true, 0), 0, 200,
				PD_PMTUD_BLACKHOLE, 0, 0, false, false };
	sc.path.nhops = 2;
	sc.path.hop[1].mtu = 1454;
	sc.path.hop[1].addr_last = 2;
	run_scenario(&sc);
	sc.name = "  same, 20% loss";
	sc.path.loss = 0.2;
	sc.seeds = 2000;
	sc.pmtud = ANY;
	run_scenario(&sc);
	/* replies above 1400 vanish on the way back (echo replies are as
	 * large as the request) */
	sc = (struct scenario){ "return path drops > 1400", path4(1500, true, 0), 0, 200,
				PD_PMTUD_BLACKHOLE, 0, 0, false, false };
	sc.path.answer_max = 1400;
	run_scenario(&sc);

	sc = (struct scenario){ "local MTU 1500, max 9000", path4(9000, true, 0), 9000, 200,
				PD_PMTUD_LOCAL, 0, 0, false, false };
	sc.path.local_mtu = 1500;
	run_scenario(&sc);
	sc.name = "local MTU 1500, ptb 1454";
	sc.path.hop[0].mtu = 1454;
	sc.pmtud = PD_PMTUD_WORKS;
	run_scenario(&sc);
	sc.name = "jumbo 9000, blackhole 8192";
	sc.path.local_mtu = 0;
	sc.path.hop[0].mtu = 8192;
	sc.path.hop[0].ptb = false;
	sc.pmtud = PD_PMTUD_BLACKHOLE;
	run_scenario(&sc);

	sc = (struct scenario){ "IPv6 ptb 1454", path4(1454, true, 0), 0, 200,
				PD_PMTUD_WORKS, 3, 24, false, false };
	sc.path.family = 6;
	run_scenario(&sc);
	sc.name = "IPv6 blackhole 1454";
	sc.path.hop[0].ptb = false;
	sc.pmtud = PD_PMTUD_BLACKHOLE;
	sc.max_rounds = 0;
	run_scenario(&sc);
	sc.name = "IPv6 blackhole 1280";
	sc.path.hop[0].mtu = 1280;
	sc.max_probes = 0;
	run_scenario(&sc);
	sc.name = "IPv6 blackhole 1281, 20% loss";
	sc.path.hop[0].mtu = 1281;
	sc.path.loss = 0.2;
	sc.seeds = 2000;
	run_scenario(&sc);
	sc.name = "IPv6 bogus PTB 1200";
	sc.path.loss = 0;
	sc.seeds = 200;
	sc.path.hop[0].mtu = 1400;
	sc.path.hop[0].ptb = true;
	sc.path.hop[0].ptb_mtu = 1200;
	sc.pmtud = PD_PMTUD_WRONG_MTU;
	run_scenario(&sc);
}

/* What the dead-target and bogus runs report besides the status. */
static void test_sim_reports(void **state)
{
	struct pd_search_config cfg = { .family = 4, .max_size = 1500 };
	struct pathsim_cfg pc = path4(1454, true, 0);
	struct pd_search_result r, r2;
	struct pathsim_run_stats st;
	struct pathsim ps;

	(void)state;
	/* dead target behind a router that sends PTBs: UNKNOWN, never 0 as
	 * an MTU, with the router's report kept */
	pc.dead = true;
	pc.seed = 1;
	pathsim_init(&ps, &pc);
	assert_int_equal(pathsim_run(&ps, &cfg, &r, &st, NULL), 0);
	assert_int_equal(r.status, PD_SEARCH_UNKNOWN);
	assert_int_equal(r.largest_ok, 0);
	assert_int_equal(r.nptb, 1);
	assert_int_equal(r.ptb[0].mtu, 1454);
	assert_int_equal(r.ptb[0].from.bytes[3], 1);
	assert_int_equal(r.rounds, PD_SEARCH_DEAD_ROUNDS);
	assert_string_equal(pd_search_stop_name(r.stop), "no-answer");

	/* lying router: 1300 reported, refuted by 1454 passing */
	pc = path4(1454, true, 0);
	pc.hop[0].ptb_mtu = 1300;
	pc.seed = 1;
	pathsim_init(&ps, &pc);
	assert_int_equal(pathsim_run(&ps, &cfg, &r, &st, NULL), 0);
	assert_int_equal(r.pmtu, 1454);
	assert_int_equal(r.nptb, 1);
	assert_int_equal(r.ptb[0].mtu, 1300);
	assert_int_equal(r.ptb[0].verdict, PD_PTB_REFUTED);
	assert_int_equal(r.ptb_verified, -1);
	assert_int_equal(r.bogus_ptb, 0);
	assert_string_equal(pd_pmtud_name(r.pmtud), "wrong-mtu");

	/* the same seed gives the same run */
	pc = path4(1281, false, 0.2);
	pc.seed = 77;
	pathsim_init(&ps, &pc);
	assert_int_equal(pathsim_run(&ps, &cfg, &r, &st, NULL), 0);
	pathsim_init(&ps, &pc);
	assert_int_equal(pathsim_run(&ps, &cfg, &r2, &st, NULL), 0);
	assert_int_equal(r.probes, r2.probes);
	assert_int_equal(r.rounds, r2.rounds);
	assert_int_equal(r.elapsed_us, r2.elapsed_us);
	assert_int_equal(r.pmtu, r2.pmtu);
	assert_int_equal(r.tries, r2.tries);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_init_rejects),
		cmocka_unit_test(test_call_order_errors),
		cmocka_unit_test(test_first_round_ladder),
		cmocka_unit_test(test_ptb_verified_by_hand),
		cmocka_unit_test(test_ptb_hint_probes_m_and_m_plus_1),
		cmocka_unit_test(test_bogus_ptb_by_hand),
		cmocka_unit_test(test_local_too_big),
		cmocka_unit_test(test_late_and_inconsistent),
		cmocka_unit_test(test_tries_formula),
		cmocka_unit_test(test_budgets),
		cmocka_unit_test(test_sim_clean_paths),
		cmocka_unit_test(test_sim_lossy_paths),
		cmocka_unit_test(test_sim_odd_paths),
		cmocka_unit_test(test_sim_reports),
	};

	return cmocka_run_group_tests_name("search", tests, NULL, NULL);
}
