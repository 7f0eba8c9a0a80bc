/* search.h - the path MTU search engine: which probe sizes to send each round,
 * and what the answers prove.  Pure logic: no I/O, no clock, no allocation;
 * time is passed in and the same inputs always give the same plan.
 *
 * Specs: RFC 4821 (packetization layer PMTUD: only an acknowledged probe proves
 * a size, loss is not proof without repetition), RFC 8899 sections 4.6.1 and
 * 5.3 (an ICMP PTB is a hint to be verified by probing; MTUs below the base or
 * not below the probe are invalid), RFC 1191 section 4 and RFC 8201 section 4
 * (the MTU field of "fragmentation needed" and "packet too big"), RFC 791 and
 * RFC 8200 section 5 (minimum link MTU 68 for IPv4, 1280 for IPv6).
 *
 * Sizes are IP packet sizes (total length, IP header included).  The search
 * runs in rounds.  Each round the caller asks for a plan (a list of probes),
 * sends them back to back in the order given, reports what came back for each
 * probe, and ends the round when all are answered or the round times out
 * (see <pathdiag/rtt.h> for the timeout):
 *
 *	pd_search_init(&s, &cfg, &err);
 *	while (!pd_search_done(&s)) {
 *		pd_search_plan(&s, now, probes, PD_SEARCH_ROUND_MAX, &n, &err);
 *		send probes[0..n-1] in order, ids probes[i].id;
 *		for each answer: pd_search_feed(&s, id, &outcome, &err);
 *		pd_search_end_round(&s, now, &err);   // unanswered = lost
 *	}
 *	pd_search_result(&s, &res);
 *
 * An answer that arrives after its round ended may still be fed (a late
 * acknowledgement overrides "lost"), so a short timeout costs nothing but a
 * repeated probe.
 *
 * What counts as evidence:
 *   ACKED          the far end answered: the size passes.  Proof.
 *   TOO_BIG        a router reported the probe too big, giving an MTU M.  The
 *                  probe did not pass (the router names itself as the one that
 *                  dropped it), but M is only a hint: M is tried next round and
 *                  believed only when M is acknowledged and M + 1 fails.  An M
 *                  below the family minimum or not below the probe's size is
 *                  bogus: reported and counted, never tried as a hint; the
 *                  probe still failed (the router says it dropped it; RFC
 *                  1191 section 5: old routers send MTU 0).
 *   LOCAL_TOO_BIG  the local stack refused the size: it fails, and the upper
 *                  bound drops to the local MTU given with it.
 *   LOST           no answer.  Counts only in a round where a trailing control
 *                  probe (small, sent after everything else) was answered:
 *                  otherwise the round is taken as loss or rate limiting at
 *                  the target (an ICMP token bucket empties in send order, so
 *                  an answered last probe means every earlier one that arrived
 *                  was answered too), not as a size limit.
 *
 * Monotony: a size passes iff it is <= the path MTU.  So an ACK at S proves
 * every size <= S (a smaller size lost earlier was random loss, and counts as
 * such in the loss estimate), and a failure at S implies failure above S.  A
 * loss at S is equally evidence that every size >= S fails: with the current
 * largest acknowledged size lo, n(S) = losses at sizes in (lo, S] in valid
 * rounds, and S is confirmed failing when n(S) >= k.
 *
 * Tries k.  If S in fact passed, each of those n(S) probes was lost at random,
 * with the path's loss rate p, independently; the chance of a false confirmation
 * is p^k.  p is unknown, so it is estimated from the m probes of sizes known to
 * pass (below lo, and the leading control probes), l of them lost, under a
 * Beta(1/2, 4) prior (mean 11%: a path is taken as lossy until shown otherwise).
 * k is the least value >= cfg.tries with
 *
 *	P(k more losses | data) = prod_{i=0}^{k-1} (1/2 + l + i) / (9/2 + m + i)
 *	                        <= PD_SEARCH_ALPHA (1e-5),
 *
 * the posterior predictive probability that k probes of a passing size are all
 * lost (also the Bayes factor against "S fails").  k is capped at
 * PD_SEARCH_TRIES_MAX (0.5^17 < 1e-5).  Examples: a clean path with m = 7 gives
 * k = 7, m = 20: 5, m = 40: 4, m = 100: 3; with losses, m = 10, l = 2: 11;
 * m = 20, l = 4: 10.  For a true loss rate p, the chance that one decision is
 * wrong is the sum over l ~ Binomial(m, p) of p^k(m, l): for m = 7..40 it is at
 * most 1e-5 at p = 0.2, 2.3e-5 at p = 0.3, and below 1e-4 up to p = 0.5.  A run
 * makes a few such decisions; measured over 10^6 simulated runs per case, a
 * false black hole occurs in 0-2e-5 of runs at 10-30% loss (target: 1e-4).
 * A silent loss counts only in a valid round (see LOST above), so losses in
 * bursts that also take the controls, or caused by rate limiting, never count.
 *
 * Planning.  Round 1 is a ladder: the local maximum and the most common link
 * MTUs in range (see PD_SEARCH_LADDER).  Later rounds weigh every possible
 * answer q in [lo, hi) by a prior (common MTUs and PTB-reported MTUs weigh
 * more) times p^n(q) (the losses that q would have to explain), then either
 * confirm the most likely q (when it holds half the weight: q is probed if not
 * yet acknowledged and q + 1 is repeated until k losses or a PTB settle it), or
 * probe every remaining size (when at most PD_SEARCH_SMALL_SPAN remain), or
 * probe several quantiles of the weight at once (about the square root of the
 * span, so two rounds narrow it down).  PTB hints M are always checked by
 * probing M and M + 1.  Control probes are of cfg.min_size: normally one first
 * (a loss-rate sample) and one last (validity); after a round that did not count,
 * or once answers were seen to stop mid-round as a token bucket does, two last
 * instead (a leading one would use up a rate-limited target's token), and three
 * last while nothing has answered yet (when only min_size passes, the controls
 * alone tell a dead target from a lossy one).
 *
 * The library never prints.  A search is a caller-owned struct, not thread-safe.
 */
#ifndef PATHDIAG_SEARCH_H
#define PATHDIAG_SEARCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_SEARCH_MAX_PROBES 512   /* probes in one search (cfg.max_probes cap) */
#define PD_SEARCH_MAX_ROUNDS 64    /* rounds in one search (cfg.max_rounds cap) */
#define PD_SEARCH_ROUND_MAX 32     /* probes in one round: size plan arrays so */
#define PD_SEARCH_MAX_CANDIDATES 64
#define PD_SEARCH_MAX_PTB 8        /* distinct (sender, MTU) PTBs kept */
#define PD_SEARCH_ADDR_MAX 16

#define PD_SEARCH_DEFAULT_TRIES 3
#define PD_SEARCH_DEFAULT_ROUNDS 32
#define PD_SEARCH_DEFAULT_PROBES 256
#define PD_SEARCH_TRIES_MAX 17
#define PD_SEARCH_ALPHA 1e-5
#define PD_SEARCH_LADDER 12        /* data probes in the first round */
#define PD_SEARCH_SMALL_SPAN 6     /* spans this small are probed whole */
/* Rounds without any answer before giving up: with nothing acknowledged yet
 * (a dead target: UNKNOWN), and after something was (PARTIAL). */
#define PD_SEARCH_DEAD_ROUNDS 3
#define PD_SEARCH_SILENT_ROUNDS 6

/* Where an ICMP error came from: family 4 or 6, len bytes of address (4 or
 * 16; opaque to the engine, compared byte for byte). */
struct pd_search_addr {
	uint8_t family;
	uint8_t len;
	uint8_t bytes[PD_SEARCH_ADDR_MAX];
};

struct pd_search_config {
	int family;           /* 4 or 6: minimum MTU 68 or 1280 */
	/* Smallest size assumed to pass; control probes use it.  0: the
	 * family minimum.  Must be >= the family minimum and <= max_size. */
	unsigned min_size;
	/* The upper bound: the local interface or route MTU (<= 65535). */
	unsigned max_size;
	/* Least number of losses that call a size lost (0: default 3); the
	 * engine raises it on lossy paths (see "Tries k" above). */
	unsigned tries;
	unsigned max_rounds;  /* 0: default; at most PD_SEARCH_MAX_ROUNDS */
	unsigned max_probes;  /* 0: default; at most PD_SEARCH_MAX_PROBES */
	/* Candidate MTUs replacing the built-in list (most likely first; the
	 * first PD_SEARCH_LADDER in range form the first round).  NULL: the
	 * built-in list, see pd_search_default_candidates(). */
	const uint16_t *candidates;
	size_t ncandidates;   /* <= PD_SEARCH_MAX_CANDIDATES */
};

/* One probe to send. */
struct pd_search_probe {
	uint32_t id;      /* names it in pd_search_feed() */
	uint16_t size;    /* IP total length, within [min_size, max_size] */
	bool is_control;  /* a control probe of min_size */
};

enum pd_search_kind {
	PD_SEARCH_PENDING = 0,  /* sent, no outcome yet */
	PD_SEARCH_ACKED,
	PD_SEARCH_TOO_BIG,
	PD_SEARCH_LOST,
	PD_SEARCH_LOCAL_TOO_BIG,
};

/* What came back for one probe.  mtu: TOO_BIG, the MTU the router reported;
 * LOCAL_TOO_BIG, the local MTU (0 if unknown).  from: TOO_BIG only. */
struct pd_search_outcome {
	enum pd_search_kind kind;
	uint32_t mtu;
	struct pd_search_addr from;
};

enum pd_search_status {
	PD_SEARCH_UNKNOWN = 0, /* nothing was ever acknowledged */
	PD_SEARCH_FOUND,       /* pmtu exact: pmtu passes and pmtu + 1 fails */
	PD_SEARCH_PARTIAL,     /* bounds only (out of budget, or still running) */
};

enum pd_pmtud {
	PD_PMTUD_UNKNOWN = 0,
	/* A valid PTB reported exactly the path MTU, verified by probing. */
	PD_PMTUD_WORKS,
	/* Packets above the path MTU vanish without any ICMP error. */
	PD_PMTUD_BLACKHOLE,
	/* The limit is the local interface/route MTU (pmtu == upper bound). */
	PD_PMTUD_LOCAL,
	/* ICMP errors came back for sizes above the path MTU, but the MTU they
	 * reported was bogus or not the path MTU (see ptb[]). */
	PD_PMTUD_WRONG_MTU,
};

enum pd_search_stop {
	PD_SEARCH_RUNNING = 0,
	PD_SEARCH_STOP_FOUND,
	PD_SEARCH_STOP_NO_ANSWER,   /* PD_SEARCH_DEAD_ROUNDS rounds, no ACK */
	PD_SEARCH_STOP_SILENT,      /* PD_SEARCH_SILENT_ROUNDS silent rounds */
	PD_SEARCH_STOP_PROBES,      /* max_probes used */
	PD_SEARCH_STOP_ROUNDS,      /* max_rounds used */
};

enum pd_ptb_verdict {
	PD_PTB_PENDING = 0,      /* valid, not settled yet */
	PD_PTB_VERIFIED,         /* M passes, M + 1 fails: M is the path MTU */
	PD_PTB_REFUTED,          /* M + 1 passes, or M fails */
	PD_PTB_BELOW_RANGE,      /* valid, but below min_size: not checked */
	PD_PTB_BOGUS_LOW,        /* M below the family minimum (68 / 1280) */
	PD_PTB_BOGUS_NOT_SMALLER, /* M not below the probe's size */
};

/* One distinct (sender, reported MTU) pair. */
struct pd_search_ptb {
	struct pd_search_addr from;
	uint32_t mtu;
	uint16_t probe_size;   /* smallest probe size it was about */
	uint16_t count;        /* PTBs with this sender and MTU */
	enum pd_ptb_verdict verdict;
};

struct pd_search_result {
	enum pd_search_status status;
	enum pd_search_stop stop;
	unsigned pmtu;           /* FOUND only, else 0 */
	unsigned largest_ok;     /* largest acknowledged size, 0 = none */
	/* Smallest size known to fail (PTB, local refusal, or confirmed loss),
	 * 0 = none.  When both are set, largest_ok < smallest_lost. */
	unsigned smallest_lost;
	unsigned max_size;       /* upper bound after local refusals */
	enum pd_pmtud pmtud;
	int ptb_verified;        /* index in ptb[] of the verified PTB, or -1 */
	size_t nptb;
	struct pd_search_ptb ptb[PD_SEARCH_MAX_PTB];
	unsigned ptb_overflow;   /* PTBs of further (sender, MTU) pairs */
	unsigned bogus_ptb;      /* bogus_low + bogus_not_smaller */
	unsigned bogus_low;
	unsigned bogus_not_smaller;
	unsigned ptb_contradicted; /* PTBs about a size later acknowledged */
	unsigned probes;         /* probes planned (= sent) */
	unsigned rounds;
	unsigned acked, too_big, lost, local_too_big, late;
	/* Losses of sizes known to pass (random loss, e.g. a smaller size lost
	 * while a larger one was acknowledged), out of samples. */
	unsigned loss_samples, loss_lost;
	unsigned tries;          /* losses needed to confirm a size, now */
	bool rate_limited;       /* see pd_search_rate_limited() */
	uint64_t elapsed_us;     /* first plan to last end of round */
};

/* Private state: the fields below are the engine's; callers only allocate. */
struct pd_search_rec {
	uint16_t size;
	uint8_t kind;      /* enum pd_search_kind */
	uint8_t flags;
	uint16_t round;
	uint16_t ptb;      /* index + 1 into ptb[], 0 = none */
};

struct pd_search_round {
	uint32_t first, n;  /* probes rec[first .. first + n - 1] */
	uint32_t trail;     /* id of the first trailing control (1 to 3) */
};

struct pd_search {
	int family;
	unsigned family_min, min, max, max_cfg;
	unsigned tries_min, max_rounds, max_probes;
	uint16_t cand[PD_SEARCH_MAX_CANDIDATES];
	size_t ncand;
	struct pd_search_rec rec[PD_SEARCH_MAX_PROBES];
	uint32_t nrec;
	struct pd_search_round round[PD_SEARCH_MAX_ROUNDS];
	unsigned nrounds;
	bool open;               /* a round is planned and not ended */
	unsigned silent_run;     /* consecutive rounds without any answer */
	bool rate_limited;       /* answers seen to stop mid-round */
	enum pd_search_stop stop;
	uint64_t t_first, t_last;
	struct pd_search_ptb ptb[PD_SEARCH_MAX_PTB];
	size_t nptb;
	unsigned ptb_overflow, bogus_low, bogus_not_smaller, ptb_contradicted, late;
};

/* The built-in candidate MTUs, most likely first (1500, 1492, 1480, 1472, 1460,
 * 1454, 1452, 1420, 1400, 1280, 576, 1440, 9000, ...: Ethernet, PPPoE, tunnels,
 * the IPv6 minimum, jumbo frames, down to 68); *n gets their number. */
const uint16_t *pd_search_default_candidates(size_t *n);

/* Start a search.  PD_ERR_INVAL for a family other than 4/6, max_size above
 * 65535 or below the family minimum, min_size outside [family min, max_size],
 * too many candidates. */
int pd_search_init(struct pd_search *s, const struct pd_search_config *cfg,
		   struct pd_error *err);

/* Plan the next round at time now_us (any monotonic microsecond clock).
 * Fills up to cap probes (cap >= 2; PD_SEARCH_ROUND_MAX always suffices) in
 * the order to send them, *n their number: at least one, the last always a
 * control; *n = 0 when the search is done.  PD_ERR_INVAL: a round is still
 * open; PD_ERR_NOSPACE: cap < 2. */
int pd_search_plan(struct pd_search *s, uint64_t now_us, struct pd_search_probe *out,
		   size_t cap, size_t *n, struct pd_error *err);

/* Report what came back for probe id, in this round or (late) an earlier one.
 * An ACK always stands; a later TOO_BIG or LOST for an acknowledged probe is
 * ignored, and a late ACK or TOO_BIG replaces "lost".  PD_ERR_NOTFOUND: no
 * such probe; PD_ERR_INVAL: bad outcome kind or sender address. */
int pd_search_feed(struct pd_search *s, uint32_t id, const struct pd_search_outcome *o,
		   struct pd_error *err);

/* End the open round at time now_us: probes without an outcome are lost.
 * PD_ERR_INVAL if no round is open. */
int pd_search_end_round(struct pd_search *s, uint64_t now_us, struct pd_error *err);

/* True once the search has stopped (pmtu found, out of budget, no answer). */
bool pd_search_done(const struct pd_search *s);

/* True once answers were seen to stop part-way through a round, the way a
 * target's ICMP token bucket runs dry (Linux: a burst of 6, then one error
 * per second per source, net.ipv4.icmp_ratelimit).  The caller should then
 * pace its rounds: small ones, spaced by the refill time. */
bool pd_search_rate_limited(const struct pd_search *s);

/* What is known now; complete once pd_search_done(). */
void pd_search_result(const struct pd_search *s, struct pd_search_result *r);

/* Names for output: "found", "blackhole", "bogus-low", ... */
const char *pd_search_status_name(enum pd_search_status st);
const char *pd_pmtud_name(enum pd_pmtud p);
const char *pd_ptb_verdict_name(enum pd_ptb_verdict v);
const char *pd_search_stop_name(enum pd_search_stop st);

#ifdef __cplusplus
}
#endif
#endif
