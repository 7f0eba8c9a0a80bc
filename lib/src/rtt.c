/* rtt.c - RTT estimator and round timeout (RFC 6298 sections 2 and 5, with the
 * changes described in pathdiag/rtt.h). */
#include <pathdiag/rtt.h>

#include <string.h>

#define SAMPLE_CAP_US 60000000u

void pd_rtt_init(struct pd_rtt *r, uint32_t min_us, uint32_t max_us, uint32_t initial_us)
{
	memset(r, 0, sizeof(*r));
	r->min_us = min_us ? min_us : PD_RTT_MIN_US;
	r->max_us = max_us ? max_us : PD_RTT_MAX_US;
	if (r->max_us < r->min_us)
		r->max_us = r->min_us;
	r->initial_us = initial_us ? initial_us : PD_RTT_INITIAL_US;
}

void pd_rtt_sample(struct pd_rtt *r, uint64_t rtt_us)
{
	uint32_t x = rtt_us > SAMPLE_CAP_US ? SAMPLE_CAP_US : (uint32_t)rtt_us;

	if (r->samples == 0) {
		/* RFC 6298 2.2 */
		r->srtt_us = x;
		r->rttvar_us = x / 2;
	} else {
		/* RFC 6298 2.3: RTTVAR first, with the old SRTT. */
		uint32_t d = r->srtt_us > x ? r->srtt_us - x : x - r->srtt_us;

		r->rttvar_us = (uint32_t)(((uint64_t)r->rttvar_us * 3 + d) / 4);
		r->srtt_us = (uint32_t)(((uint64_t)r->srtt_us * 7 + x) / 8);
	}
	if (r->srtt_us == 0)
		r->srtt_us = 1; /* keep "has a sample" visible for a 0 us RTT */
	r->last_us = x;
	if (r->samples < UINT32_MAX)
		r->samples++;
	r->backoff = 0; /* RFC 6298 5.7: a fresh measurement ends back-off */
}

void pd_rtt_backoff(struct pd_rtt *r)
{
	if (r->backoff < PD_RTT_BACKOFF_MAX)
		r->backoff++;
}

uint32_t pd_rtt_timeout_us(const struct pd_rtt *r)
{
	uint64_t t;

	if (r->samples == 0) {
		t = r->initial_us;
	} else {
		uint64_t var = (uint64_t)r->rttvar_us * 4;

		if (var < r->srtt_us)
			var = r->srtt_us;
		if (var < PD_RTT_GRANULARITY_US)
			var = PD_RTT_GRANULARITY_US;
		t = r->srtt_us + var;
	}
	if (t < r->min_us)
		t = r->min_us;
	if (t > r->max_us)
		t = r->max_us;
	t <<= r->backoff;
	return t > r->max_us ? r->max_us : (uint32_t)t;
}
