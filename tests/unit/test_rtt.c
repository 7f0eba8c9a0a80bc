/* test_rtt.c - RTT estimator and round timeout (pathdiag/rtt.h).
 *
 * Expected values are worked out here from RFC 6298 section 2 (alpha = 1/8,
 * beta = 1/4, first sample SRTT = R, RTTVAR = R/2) and the timeout rule of
 * rtt.h: SRTT + max(4 RTTVAR, SRTT, 1 ms), clamped to [20 ms, 3 s], doubled
 * per back-off step.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pathdiag/rtt.h>

#define MS 1000u

static void test_initial(void **state)
{
	struct pd_rtt r;

	(void)state;
	pd_rtt_init(&r, 0, 0, 0);
	assert_int_equal(r.samples, 0);
	assert_int_equal(r.srtt_us, 0);
	/* RFC 6298 2.1: 1 s before any measurement */
	assert_int_equal(pd_rtt_timeout_us(&r), 1000 * MS);
	pd_rtt_backoff(&r);
	assert_int_equal(pd_rtt_timeout_us(&r), 2000 * MS);
	pd_rtt_backoff(&r);
	assert_int_equal(pd_rtt_timeout_us(&r), 3000 * MS); /* ceiling */
	pd_rtt_backoff(&r);
	assert_int_equal(pd_rtt_timeout_us(&r), 3000 * MS);
}

static void test_first_and_second_sample(void **state)
{
	struct pd_rtt r;

	(void)state;
	pd_rtt_init(&r, 0, 0, 0);
	pd_rtt_sample(&r, 30 * MS);
	/* RFC 6298 2.2 */
	assert_int_equal(r.srtt_us, 30 * MS);
	assert_int_equal(r.rttvar_us, 15 * MS);
	/* 30 + max(4 * 15, 30) = 90 ms */
	assert_int_equal(pd_rtt_timeout_us(&r), 90 * MS);

	/* RFC 6298 2.3 with R' = 40 ms:
	 * RTTVAR = 3/4 * 15 + 1/4 * |30 - 40| = 11.25 + 2.5 = 13.75 ms
	 * SRTT   = 7/8 * 30 + 1/8 * 40 = 31.25 ms */
	pd_rtt_sample(&r, 40 * MS);
	assert_int_equal(r.rttvar_us, 13750);
	assert_int_equal(r.srtt_us, 31250);
	assert_int_equal(pd_rtt_timeout_us(&r), 31250 + 4 * 13750);
	assert_int_equal(r.samples, 2);
	assert_int_equal(r.last_us, 40 * MS);
}

/* On a steady path RTTVAR decays, and the timeout stays at twice SRTT. */
static void test_steady_path_floor_twice_srtt(void **state)
{
	struct pd_rtt r;
	int i;

	(void)state;
	pd_rtt_init(&r, 0, 0, 0);
	for (i = 0; i < 100; i++)
		pd_rtt_sample(&r, 30 * MS);
	assert_int_equal(r.srtt_us, 30 * MS);
	assert_true(r.rttvar_us < 100);
	assert_int_equal(pd_rtt_timeout_us(&r), 60 * MS);
}

static void test_limits(void **state)
{
	struct pd_rtt r;

	(void)state;
	/* LAN: 200 us RTT, the 20 ms floor applies */
	pd_rtt_init(&r, 0, 0, 0);
	pd_rtt_sample(&r, 200);
	assert_int_equal(pd_rtt_timeout_us(&r), PD_RTT_MIN_US);
	/* a 0 us sample still counts as a sample */
	pd_rtt_init(&r, 0, 0, 0);
	pd_rtt_sample(&r, 0);
	assert_int_equal(r.samples, 1);
	assert_int_equal(pd_rtt_timeout_us(&r), PD_RTT_MIN_US);
	/* satellite-like 2 s: ceiling 3 s */
	pd_rtt_init(&r, 0, 0, 0);
	pd_rtt_sample(&r, 2000 * MS);
	assert_int_equal(pd_rtt_timeout_us(&r), PD_RTT_MAX_US);
	/* absurd samples are capped at 60 s and do not overflow */
	pd_rtt_sample(&r, UINT64_MAX);
	assert_int_equal(r.last_us, 60000 * MS);
	assert_int_equal(pd_rtt_timeout_us(&r), PD_RTT_MAX_US);

	/* caller's limits; max below min is raised to min */
	pd_rtt_init(&r, 5 * MS, 50 * MS, 100 * MS);
	assert_int_equal(pd_rtt_timeout_us(&r), 50 * MS);
	pd_rtt_sample(&r, 1 * MS);
	/* 1 + max(4 * 0.5, 1, 1) = 3 ms -> floor 5 ms */
	assert_int_equal(pd_rtt_timeout_us(&r), 5 * MS);
	pd_rtt_init(&r, 40 * MS, 10 * MS, 0);
	assert_int_equal(r.max_us, 40 * MS);
}

/* Back-off doubles per silent round and a new sample ends it. */
static void test_backoff(void **state)
{
	struct pd_rtt r;
	unsigned i;

	(void)state;
	pd_rtt_init(&r, 0, 0, 0);
	pd_rtt_sample(&r, 30 * MS); /* 90 ms */
	pd_rtt_backoff(&r);
	assert_int_equal(pd_rtt_timeout_us(&r), 180 * MS);
	pd_rtt_backoff(&r);
	assert_int_equal(pd_rtt_timeout_us(&r), 360 * MS);
	for (i = 0; i < 40; i++)
		pd_rtt_backoff(&r);
	assert_int_equal(r.backoff, PD_RTT_BACKOFF_MAX);
	assert_int_equal(pd_rtt_timeout_us(&r), PD_RTT_MAX_US);
	pd_rtt_sample(&r, 30 * MS);
	assert_int_equal(r.backoff, 0);
	assert_true(pd_rtt_timeout_us(&r) < 100 * MS);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_initial),
		cmocka_unit_test(test_first_and_second_sample),
		cmocka_unit_test(test_steady_path_floor_twice_srtt),
		cmocka_unit_test(test_limits),
		cmocka_unit_test(test_backoff),
	};

	return cmocka_run_group_tests_name("rtt", tests, NULL, NULL);
}
