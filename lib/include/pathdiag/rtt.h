/* rtt.h - round-trip time estimator and the adaptive timeout of a probe round.
 *
 * Spec: RFC 6298 sections 2 and 5 (SRTT/RTTVAR smoothing with alpha = 1/8 and
 * beta = 1/4, the first sample setting SRTT = R and RTTVAR = R/2, an initial
 * timeout of 1 s, exponential back-off while nothing answers), adapted from a
 * retransmission timer to "how long to wait for the answers of one round":
 *
 *	timeout = clamp(SRTT + max(4 * RTTVAR, SRTT, G), min, max) << backoff
 *
 * with G = PD_RTT_GRANULARITY_US.  Two deliberate differences from TCP's RTO:
 *   - at least twice SRTT: a round's answers are many packets (large ones take
 *     longer to serialise), and once RTTVAR decays on a steady path, SRTT + 4
 *     RTTVAR alone would cut off answers that are merely a little late;
 *   - a floor of 20 ms instead of 1 s (RFC 6298 2.4 wants 1 s so as not to
 *     retransmit spuriously; a probe round that ends early only costs a probe,
 *     as late answers are still accepted), and a ceiling of 3 s.
 * Before the first sample the timeout is PD_RTT_INITIAL_US.  Back-off doubles
 * it for each consecutive round that drew no answer at all (a dead target, or
 * one whose ICMP rate limit must refill: Linux allows a burst of 6 and then one
 * per second), and a new sample clears it.
 *
 * Use: feed a sample (answer time - send time of that probe) for every answer
 * as it arrives, and recompute the round's deadline as (time the round's last
 * probe was sent) + pd_rtt_timeout_us() after each, so the first round waits
 * 1 s only while nothing has answered.  Pure arithmetic on a caller-owned
 * struct; no clock reads.
 */
#ifndef PATHDIAG_RTT_H
#define PATHDIAG_RTT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_RTT_INITIAL_US 1000000u  /* RFC 6298 2.1 */
#define PD_RTT_MIN_US 20000u
#define PD_RTT_MAX_US 3000000u
#define PD_RTT_GRANULARITY_US 1000u
#define PD_RTT_BACKOFF_MAX 8u        /* doublings kept (the ceiling binds first) */

struct pd_rtt {
	uint32_t srtt_us;    /* smoothed RTT; 0 until the first sample */
	uint32_t rttvar_us;  /* RTT variation */
	uint32_t last_us;    /* last sample */
	uint32_t samples;
	unsigned backoff;    /* doublings since the last sample */
	/* Limits (from pd_rtt_init; may be changed before use). */
	uint32_t min_us, max_us, initial_us;
};

/* Defaults for any limit given as 0 (PD_RTT_MIN_US, PD_RTT_MAX_US,
 * PD_RTT_INITIAL_US).  A max below min is raised to min. */
void pd_rtt_init(struct pd_rtt *r, uint32_t min_us, uint32_t max_us, uint32_t initial_us);

/* One measured round trip (samples above 60 s are taken as 60 s). */
void pd_rtt_sample(struct pd_rtt *r, uint64_t rtt_us);

/* A round ended with no answer at all: double the next timeout. */
void pd_rtt_backoff(struct pd_rtt *r);

/* How long to wait for a round's answers, from its last send. */
uint32_t pd_rtt_timeout_us(const struct pd_rtt *r);

#ifdef __cplusplus
}
#endif
#endif
