/* pathsim.h - a simulated network path for testing the MTU search engine
 * (pathdiag/search.h) without a network: deterministic for a given seed.
 *
 * A probe of an IP size leaves the host (or is refused by the local MTU),
 * may be lost at random, then crosses the hops in order.  The first hop whose
 * MTU is below the size drops it and, if that hop sends PTBs, answers with a
 * "too big" carrying the MTU it is set to report (the truth, a lie, or a bogus
 * value).  A probe that crosses every hop reaches the target, which answers
 * unless it is dead, its ICMP rate limit (a token bucket: burst B, then R per
 * second, as Linux icmp_ratelimit) is empty, or the answer is larger than the
 * return path carries (ICMP echo replies are as large as the request).
 * Answers may be lost at random on the way back.
 *
 *   host --[local MTU]--> hop 0 --> hop 1 --> ... --> target
 *      <--------------- PTB (from hop i) / answer -------'
 *
 * Times are microseconds.  An answer from the target arrives rtt (+ uniform
 * jitter) after the send; a PTB from hop i of n after rtt * (i + 1) / (n + 1).
 */
#ifndef PATHDIAG_TESTS_PATHSIM_H
#define PATHDIAG_TESTS_PATHSIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <pathdiag/error.h>
#include <pathdiag/search.h>

#define PATHSIM_MAX_HOPS 4

struct pathsim_hop {
	unsigned mtu;         /* packets larger than this are dropped here */
	bool ptb;             /* and answered with a PTB (else silently) */
	uint32_t ptb_mtu;     /* MTU the PTB reports; 0 = mtu (the truth) */
	uint8_t addr_last;    /* last byte of its address (10.0.0.x / 2001:db8::x) */
};

struct pathsim_cfg {
	int family;              /* 4 or 6 (PTB sender address family) */
	unsigned local_mtu;      /* larger probes are refused locally; 0 = none */
	size_t nhops;
	struct pathsim_hop hop[PATHSIM_MAX_HOPS];
	unsigned answer_max;     /* answers for probes above this vanish; 0 = none */
	double loss;             /* each probe lost on the way out */
	double loss_back;        /* each answer or PTB lost on the way back */
	bool dead;               /* the target never answers */
	unsigned rl_burst;       /* target's ICMP token bucket; 0 = no limit */
	double rl_rate;          /* tokens per second */
	uint32_t rtt_us, jitter_us;
	uint64_t seed;
};

enum pathsim_kind {
	PATHSIM_NONE = 0,   /* nothing comes back */
	PATHSIM_ACK,
	PATHSIM_PTB,
	PATHSIM_LOCAL,      /* refused by the local MTU (at once) */
};

struct pathsim_answer {
	enum pathsim_kind kind;
	uint32_t mtu;                 /* PTB: reported MTU; LOCAL: local MTU */
	struct pd_search_addr from;   /* PTB sender */
	uint64_t at_us;               /* when it arrives */
};

struct pathsim {
	struct pathsim_cfg cfg;
	uint64_t rng;
	double tokens;
	uint64_t tokens_at;
	bool tokens_init;
	unsigned long sent, acks, ptbs, rate_limited, lost;
};

/* The true path MTU this configuration gives: the smallest of the hop MTUs,
 * the local MTU and answer_max (for the search, an answer that never comes
 * back is the same as a probe that never arrived). */
unsigned pathsim_pmtu(const struct pathsim_cfg *cfg);

void pathsim_init(struct pathsim *ps, const struct pathsim_cfg *cfg);

/* Send one probe of size bytes at now_us. */
void pathsim_send(struct pathsim *ps, unsigned size, uint64_t now_us,
		  struct pathsim_answer *ans);

/* Uniform random number in [0, 1) from the path's generator. */
double pathsim_uniform(struct pathsim *ps);

/* Statistics of one pathsim_run(). */
struct pathsim_run_stats {
	unsigned rounds, probes, late_fed;
	uint64_t elapsed_us;
	/* Set when a plan broke the engine's promises (size out of range,
	 * too many probes, control flags wrong); what says which. */
	const char *broken;
};

/* Run a whole search over this path the way a tool would: plan a round, send
 * its probes 10 us apart, feed answers in arrival order until the round's
 * deadline (pathdiag/rtt.h, recomputed after each answer), end the round,
 * feed answers that arrived late before the next plan.  trace: if non-NULL,
 * one line per round.  Returns 0 or the engine's error. */
int pathsim_run(struct pathsim *ps, const struct pd_search_config *cfg,
		struct pd_search_result *res, struct pathsim_run_stats *st, FILE *trace);

#endif
