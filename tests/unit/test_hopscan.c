/* test_hopscan.c - locating where a size stops along a path (pathdiag/hopscan.h).
 *
 * A small path simulator stands in for the network: hop i forwards onto a link
 * of MTU mtu_out, answers expiring probes (time exceeded) if it answers at
 * all, sends "too big" or drops silently, and spends ICMP errors from a token
 * bucket (Linux: a burst, then a refill rate).  Each test builds a path and
 * asserts the drops it was built with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/hopscan.h>

#define MAXH 48

struct simhop {
	unsigned mtu_out;    /* MTU of the link after this hop, 0 = 65535 */
	bool silent;         /* never sends any ICMP error */
	bool no_ptb;         /* generates "too big" but a firewall drops it */
	bool mtu_first;      /* checks the MTU before the TTL */
	double tokens, burst, rate; /* rate: tokens per second; burst 0 = no limit */
};

struct sim {
	unsigned n;          /* hops; hop n is the target */
	struct simhop hop[MAXH + 1];
	unsigned loss_pct;   /* probes lost at random (a fixed LCG sequence) */
	uint32_t lcg;
	unsigned sent, waits;
	uint64_t waited_us;
};

static struct pd_search_addr addr_of(unsigned i)
{
	struct pd_search_addr a = { .family = 4, .len = 4, .bytes = { 10, 0, (uint8_t)i, 1 } };

	return a;
}

static bool take(struct simhop *h)
{
	if (h->silent)
		return false;
	if (h->burst == 0)
		return true;
	if (h->tokens < 1)
		return false;
	h->tokens -= 1;
	return true;
}

/* What the path answers to one probe: 0 nothing, 1 with *o filled. */
static int sim_probe(struct sim *s, const struct pd_hops_probe *p, struct pd_hops_outcome *o)
{
	unsigned i;

	memset(o, 0, sizeof(*o));
	s->sent++;
	s->lcg = s->lcg * 1103515245u + 12345u;
	if (s->loss_pct && (s->lcg >> 16) % 100 < s->loss_pct)
		return 0;
	for (i = 1; i <= s->n; i++) {
		struct simhop *h = &s->hop[i];
		unsigned mtu = h->mtu_out ? h->mtu_out : 65535;
		bool big = i < s->n && p->size > mtu;

		if (i == s->n) {
			o->kind = PD_HOPS_REACHED;
			o->from = addr_of(i);
			o->rtt_us = 100 * i;
			return 1;
		}
		if (big && h->mtu_first)
			goto too_big;
		if (p->ttl == i) {
			if (!take(h))
				return 0;
			o->kind = PD_HOPS_EXPIRED;
			o->from = addr_of(i);
			o->rtt_us = 100 * i;
			return 1;
		}
		if (!big)
			continue;
too_big:
		if (!take(h) || h->no_ptb)
			return 0;
		o->kind = PD_HOPS_TOO_BIG;
		o->mtu = mtu;
		o->from = addr_of(i);
		return 1;
	}
	return 0;
}

static void refill(struct sim *s, uint32_t us)
{
	unsigned i;

	/* A round takes about a millisecond besides the wait. */
	us += 1000;
	for (i = 1; i <= s->n; i++) {
		struct simhop *h = &s->hop[i];

		h->tokens += h->rate * us / 1e6;
		if (h->tokens > h->burst)
			h->tokens = h->burst;
	}
}

static void sim_init(struct sim *s, unsigned n)
{
	unsigned i;

	memset(s, 0, sizeof(*s));
	s->n = n;
	for (i = 1; i <= n; i++) {
		s->hop[i].burst = 6;
		s->hop[i].tokens = 6;
		s->hop[i].rate = 1;
	}
}

static struct pd_hops scan; /* large: not on the stack */

static void run(struct sim *s, unsigned large, unsigned pass, struct pd_hops_result *r)
{
	struct pd_hops_config cfg = { .family = 4, .small_size = 68 };
	struct pd_hops_probe p[PD_HOPS_ROUND_MAX];
	struct pd_error err = { 0 };
	size_t n, i;
	uint32_t wait;

	cfg.large_size = large;
	cfg.pass_size = pass;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), 0);
	for (;;) {
		assert_int_equal(pd_hops_plan(&scan, p, PD_HOPS_ROUND_MAX, &n, &wait, &err), 0);
		if (n == 0)
			break;
		if (wait) {
			s->waits++;
			s->waited_us += wait;
		}
		refill(s, wait);
		for (i = 0; i < n; i++) {
			struct pd_hops_outcome o;

			assert_true(p[i].ttl >= 1);
			assert_true(p[i].size == (p[i].large ? p[i].size : 68));
			int got = sim_probe(s, &p[i], &o);

			if (getenv("HOPS_DEBUG"))
				fprintf(stderr, "r%u w%u id%u ttl%u %s%u -> %d k%d from .%u mtu%u\n",
					scan.nrounds, wait, p[i].id, p[i].ttl, p[i].large ? "L" : "s",
					p[i].size, got, got ? o.kind : 0, o.from.bytes[2], o.mtu);
			if (got)
				assert_int_equal(pd_hops_feed(&scan, p[i].id, &o, &err), 0);
		}
		assert_int_equal(pd_hops_end_round(&scan, &err), 0);
	}
	assert_true(pd_hops_done(&scan));
	pd_hops_result(&scan, r);
}

static void assert_drop(const struct pd_hops_result *r, size_t i, unsigned ttl, uint32_t mtu,
			enum pd_hops_drop_kind kind)
{
	struct pd_search_addr a = addr_of(ttl);

	assert_true(r->ndrops > i);
	assert_int_equal(r->drop[i].ttl, ttl);
	assert_int_equal(r->drop[i].ttl_max, ttl);
	assert_int_equal(r->drop[i].mtu, mtu);
	assert_int_equal(r->drop[i].kind, kind);
	if (ttl)
		assert_memory_equal(r->drop[i].addr.bytes, a.bytes, 4);
}

/* The lab's chain: client - r1 =1454= r2 - server, r1 sends "too big". */
static void test_chain_ptb(void **state)
{
	struct sim s;
	struct pd_hops_result r;
	unsigned t;

	(void)state;
	sim_init(&s, 3);
	s.hop[1].mtu_out = 1454;
	run(&s, 1500, 1454, &r);
	assert_int_equal(r.target_ttl, 3);
	assert_int_equal(r.nhops, 3);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 1, 1454, PD_HOPS_DROP_PTB);
	assert_int_equal(r.drop[0].size, 1500);
	assert_true(r.located);
	for (t = 1; t <= 3; t++) {
		assert_true(r.hop[t].answered);
		assert_true(r.hop[t].small_reached);
		assert_memory_equal(r.hop[t].addr.bytes, addr_of(t).bytes, 4);
	}
	assert_int_equal(r.hop[1].large, PD_HOPS_PASSED);
	assert_int_equal(r.hop[2].large, PD_HOPS_TOO_BIG_AT);
	assert_int_equal(r.hop[2].mtu, 1454);
	assert_true(r.hop[3].target);
	/* A short path: everything in the first round, no waiting. */
	assert_true(r.rounds <= 2);
	assert_int_equal(s.waits, 0);
}

/* The same path, r1's "too big" dropped by a firewall: vanishes after hop 1. */
static void test_chain_blackhole(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 3);
	s.hop[1].mtu_out = 1454;
	s.hop[1].no_ptb = true;
	run(&s, 1455, 1454, &r);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 1, 0, PD_HOPS_DROP_BLACKHOLE);
	assert_int_equal(r.hop[1].large, PD_HOPS_PASSED);
	assert_int_equal(r.hop[2].large, PD_HOPS_LOST);
	assert_true(r.hop[2].small_reached);
	assert_true(r.located);
}

/* r2 drops long packets after its TTL check: they reach r2, vanish after it. */
static void test_chain_lendrop(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 3);
	s.hop[2].mtu_out = 1400;
	s.hop[2].no_ptb = true;
	run(&s, 1500, 1400, &r);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 2, 0, PD_HOPS_DROP_BLACKHOLE);
	assert_int_equal(r.hop[2].large, PD_HOPS_PASSED);
	assert_int_equal(r.hop[3].large, PD_HOPS_LOST);
}

/* Two drops with "too big": followed from one to the next. */
static void test_two_ptb_drops(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 6);
	s.hop[1].mtu_out = 1480;
	s.hop[4].mtu_out = 1400;
	run(&s, 1500, 1400, &r);
	assert_int_equal(r.ndrops, 2);
	assert_drop(&r, 0, 1, 1480, PD_HOPS_DROP_PTB);
	assert_drop(&r, 1, 4, 1400, PD_HOPS_DROP_PTB);
	assert_int_equal(r.drop[1].size, 1480);
	assert_int_equal(r.hop[5].large, PD_HOPS_TOO_BIG_AT);
	assert_int_equal(r.hop[5].large_size, 1480);
	assert_true(r.located);
}

/* "Too big" first, then a black hole further on. */
static void test_ptb_then_blackhole(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 5);
	s.hop[1].mtu_out = 1480;
	s.hop[3].mtu_out = 1420;
	s.hop[3].no_ptb = true;
	run(&s, 1500, 1420, &r);
	assert_int_equal(r.ndrops, 2);
	assert_drop(&r, 0, 1, 1480, PD_HOPS_DROP_PTB);
	assert_drop(&r, 1, 3, 0, PD_HOPS_DROP_BLACKHOLE);
	assert_int_equal(r.drop[1].size, 1480);
}

/* A black hole first hides the later drop from the large size; the
 * smallest size that fails end to end passes it and finds the second. */
static void test_blackhole_then_ptb(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 5);
	s.hop[1].mtu_out = 1460;
	s.hop[1].no_ptb = true;
	s.hop[3].mtu_out = 1400;
	run(&s, 1500, 1400, &r);
	assert_int_equal(r.ndrops, 2);
	assert_drop(&r, 0, 1, 0, PD_HOPS_DROP_BLACKHOLE);
	assert_drop(&r, 1, 3, 1400, PD_HOPS_DROP_PTB);
	assert_int_equal(r.drop[1].size, 1401);
}

/* A hop that never answers is shown unanswered, and a drop behind it is
 * placed between the hops that did answer. */
static void test_silent_hop(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 4);
	s.hop[2].silent = true;
	s.hop[2].mtu_out = 1400;
	run(&s, 1500, 1400, &r);
	assert_false(r.hop[2].answered);
	assert_int_equal(r.hop[2].addr.len, 0);
	assert_false(r.hop[2].small_reached);
	assert_true(r.hop[2].small_sent >= PD_HOPS_SMALL_TRIES);
	assert_int_equal(r.ndrops, 1);
	assert_int_equal(r.drop[0].ttl, 1);
	assert_int_equal(r.drop[0].ttl_max, 2);
	assert_int_equal(r.drop[0].kind, PD_HOPS_DROP_BLACKHOLE);
	assert_int_equal(r.target_ttl, 4);
}

/* A router checking the MTU before the TTL: the probe to its own TTL draws
 * "too big" from it; the drop is still placed at that router. */
static void test_mtu_checked_first(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 4);
	s.hop[2].mtu_out = 1400;
	s.hop[2].mtu_first = true;
	run(&s, 1500, 1400, &r);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 2, 1400, PD_HOPS_DROP_PTB);
}

/* Random loss of 10..30% of all probes and answers' probes, several
 * sequences each: the same answer as without loss. */
static void test_loss(void **state)
{
	struct sim s;
	struct pd_hops_result r;
	unsigned pct[] = { 10, 20, 30 }, seed, unsure = 0;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(pct) / sizeof(pct[0]); i++) {
		for (seed = 1; seed <= 20; seed++) {
			sim_init(&s, 4);
			s.loss_pct = pct[i];
			s.lcg = seed;
			s.hop[2].mtu_out = 1454;
			s.hop[2].no_ptb = true;
			run(&s, 1455, 1454, &r);
			if (getenv("HOPS_DEBUG2"))
				fprintf(stderr, "loss %u seed %u: kind %d rounds %u probes %u wait %.1fs\n",
					pct[i], seed, r.drop[0].kind, r.rounds, r.probes,
					s.waited_us / 1e6);
			/* The place is exact; with answers lost, proving that
			 * hop 2 had ICMP tokens left may run out of tries:
			 * then "unsure", never "too big". */
			assert_int_equal(r.ndrops, 1);
			assert_int_equal(r.drop[0].ttl, 2);
			assert_int_equal(r.drop[0].ttl_max, 2);
			assert_int_equal(r.drop[0].mtu, 0);
			assert_true(r.drop[0].kind == PD_HOPS_DROP_BLACKHOLE ||
				    (pct[i] > 10 && r.drop[0].kind == PD_HOPS_DROP_UNSURE));
			unsure += r.drop[0].kind == PD_HOPS_DROP_UNSURE;
			sim_init(&s, 4);
			s.loss_pct = pct[i];
			s.lcg = seed;
			s.hop[2].mtu_out = 1454;
			run(&s, 1500, 1454, &r);
			assert_int_equal(r.ndrops, 1);
			assert_drop(&r, 0, 2, 1454, PD_HOPS_DROP_PTB);
		}
	}
	assert_true(unsure <= 6);
}

/* After the search, r1's ICMP budget is spent (IPv4: one per second).
 * The scan waits for it instead of taking missing "too big" for a black
 * hole, and still finds a real black hole. */
static void test_rate_limited(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 3);
	s.hop[1].mtu_out = 1454;
	s.hop[1].tokens = 0;
	run(&s, 1500, 1454, &r);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 1, 1454, PD_HOPS_DROP_PTB);
	assert_true(s.waits > 0);

	sim_init(&s, 3);
	s.hop[1].mtu_out = 1454;
	s.hop[1].no_ptb = true;
	s.hop[1].tokens = 0;
	run(&s, 1455, 1454, &r);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 1, 0, PD_HOPS_DROP_BLACKHOLE);
	assert_true(r.located);
	assert_true(s.waited_us <= 40u * 1000000u);
}

/* A long path is searched, not swept: rounds stay few and no round sends
 * more than PD_HOPS_WINDOW large probes. */
static void test_long_path(void **state)
{
	struct sim s;
	struct pd_hops_result r;
	unsigned t;

	(void)state;
	sim_init(&s, 25);
	s.hop[17].mtu_out = 1400;
	run(&s, 1500, 1400, &r);
	assert_int_equal(r.target_ttl, 25);
	assert_int_equal(r.ndrops, 1);
	assert_drop(&r, 0, 17, 1400, PD_HOPS_DROP_PTB);
	for (t = 1; t <= 25; t++)
		assert_true(r.hop[t].small_reached);
	/* Large probes went to a few TTLs only, not to all 25. */
	for (t = 1, s.sent = 0; t <= 25; t++)
		s.sent += r.hop[t].large_sent ? 1 : 0;
	assert_true(s.sent <= 2 * PD_HOPS_WINDOW);
	assert_true(r.rounds <= 8);
}

/* A size known to reach the target is not scanned; hops still are. */
static void test_no_drop(void **state)
{
	struct sim s;
	struct pd_hops_result r;

	(void)state;
	sim_init(&s, 3);
	run(&s, 1500, 1500, &r);
	assert_int_equal(r.ndrops, 0);
	assert_int_equal(r.target_ttl, 3);
	assert_int_equal(r.hop[2].large, PD_HOPS_NOT_PROBED);
	assert_true(r.located);
}

/* The target never answers: every TTL up to max_ttl gets its small tries,
 * and the scan ends unlocated with no drop. */
static void test_dead_target(void **state)
{
	struct sim s;
	struct pd_hops_result r;
	unsigned t;

	(void)state;
	sim_init(&s, 40);
	for (t = 3; t <= 40; t++)
		s.hop[t].silent = true;
	s.hop[40].silent = true;
	s.n = 41; /* the target is beyond max_ttl */
	run(&s, 1500, 0, &r);
	assert_int_equal(r.target_ttl, 0);
	assert_int_equal(r.ndrops, 0);
	assert_false(r.located);
	assert_int_equal(r.nhops, PD_HOPS_DEFAULT_MAX_TTL);
	assert_true(r.hop[2].answered);
	assert_false(r.hop[3].answered);
}

static void test_invalid(void **state)
{
	struct pd_hops_config cfg = { .family = 4, .small_size = 68, .large_size = 1500 };
	struct pd_error err = { 0 };
	struct pd_hops_outcome o = { 0 };

	(void)state;
	cfg.family = 5;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), PD_ERR_INVAL);
	cfg.family = 4;
	cfg.small_size = 1500;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), PD_ERR_INVAL);
	cfg.small_size = 68;
	cfg.max_ttl = PD_HOPS_MAX_TTL + 1;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), PD_ERR_INVAL);
	cfg.max_ttl = 0;
	cfg.family = 6;
	cfg.large_size = 1000;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), PD_ERR_INVAL);
	cfg.large_size = 1500;
	assert_int_equal(pd_hops_init(&scan, &cfg, &err), 0);
	o.kind = PD_HOPS_EXPIRED;
	assert_int_equal(pd_hops_feed(&scan, 1, &o, &err), PD_ERR_NOTFOUND);
	assert_int_equal(pd_hops_end_round(&scan, &err), PD_ERR_INVAL);
	assert_string_equal(pd_hops_large_name(PD_HOPS_LOST), "lost");
	assert_string_equal(pd_hops_drop_kind_name(PD_HOPS_DROP_BLACKHOLE), "blackhole");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_chain_ptb),
		cmocka_unit_test(test_chain_blackhole),
		cmocka_unit_test(test_chain_lendrop),
		cmocka_unit_test(test_two_ptb_drops),
		cmocka_unit_test(test_ptb_then_blackhole),
		cmocka_unit_test(test_blackhole_then_ptb),
		cmocka_unit_test(test_silent_hop),
		cmocka_unit_test(test_mtu_checked_first),
		cmocka_unit_test(test_loss),
		cmocka_unit_test(test_rate_limited),
		cmocka_unit_test(test_long_path),
		cmocka_unit_test(test_no_drop),
		cmocka_unit_test(test_dead_target),
		cmocka_unit_test(test_invalid),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
