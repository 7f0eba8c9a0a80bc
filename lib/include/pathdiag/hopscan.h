/* hopscan.h - where along a path a packet size stops: hop-limited probes of a
 * small and a large size per TTL, and which hop the large size stops after.
 * Pure logic: no I/O, no clock, no allocation; the caller sends the probes.
 *
 * Specs: RFC 792 and RFC 4443 section 3.3 (time exceeded: the router at which
 * the TTL / hop limit ran out answers from one of its addresses), RFC 1191
 * section 4 and RFC 8201 section 4 (fragmentation needed / packet too big:
 * the router that could not forward names the next link's MTU), RFC 1812
 * section 4.3.2.8 (routers rate-limit the ICMP errors they send).
 *
 * A probe of size S with TTL t that comes back "time exceeded" from hop t
 * crossed links 1..t whole: S passes them.  "Too big" from hop k says S does
 * not pass link k + 1, and gives its MTU.  Passing is monotone in t: if S
 * passes links 1..t it passes 1..t-1.  The scan keeps, per size,
 *
 *	a = the largest TTL at which S was seen to pass (0: none yet),
 *	b = the smallest TTL above a at which S was seen not to pass,
 *
 * and probes TTLs in (a, b) until b = a + 1: S stops after hop a.  While at
 * most PD_HOPS_WINDOW TTLs are undecided all of them are probed in one round
 * (a path of a few hops costs one round trip); a longer span is cut at
 * PD_HOPS_WINDOW evenly spaced TTLs (a k-ary search, ceil(log_9(span))
 * rounds), because a router answers only a burst of about 6 ICMP errors per
 * destination and then about one per second (Linux), so probing 30 TTLs at
 * once would mostly measure rate limits.
 *
 * Silence.  A large probe that comes back with nothing counts as lost only
 * in a round where the small probe sent right after it to the same TTL was
 * answered: both answers would come from the same router's rate limit, which
 * is spent in arrival order, so the large one did not reach hop t (or was
 * lost at random: PD_HOPS_DEFAULT_TRIES such losses are needed).  Whether it
 * vanished *without* an ICMP error (a black hole) needs more: the router at
 * hop a, which would have sent "too big", may have been out of tokens.  So
 * each round that probes above a ends with a small "anchor" probe to TTL a;
 * a loss counts towards "black hole" only when hop a answered that anchor,
 * i.e. still had tokens after the large probe passed it.  Rounds after one
 * where a hop that had answered before fell silent wait (wait_us in the
 * plan, 250 ms doubling to 2 s, never shrinking: a router whose errors are
 * also spent on "too big" messages a firewall drops needs two tokens per
 * round).
 *
 * Following drops.  The first large size is one known not to reach the
 * target (the local MTU, say).  When it stops with "too big" (MTU M), the
 * scan goes on beyond that hop with size M, until a size is known to reach
 * the target (cfg.pass_size) or PD_HOPS_MAX_DROPS drops were found; after a
 * black hole it goes on with pass_size + 1, the smallest size known to fail
 * end to end, which finds a later drop of a size the black-hole link
 * carries.  Hops that never answer stay unanswered: they are never guessed.
 *
 *	pd_hops_init(&h, &cfg, &err);
 *	while (!pd_hops_done(&h)) {
 *		pd_hops_plan(&h, probes, PD_HOPS_ROUND_MAX, &n, &wait_us, &err);
 *		wait wait_us; send probes[0..n-1] in order (size, ttl);
 *		for each answer: pd_hops_feed(&h, id, &outcome, &err);
 *		pd_hops_end_round(&h, &err);       // unanswered = no answer
 *	}
 *	pd_hops_result(&h, &res);
 *
 * The library never prints.  A scan is a caller-owned struct, not thread-safe.
 */
#ifndef PATHDIAG_HOPSCAN_H
#define PATHDIAG_HOPSCAN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/search.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_HOPS_MAX_TTL 64
#define PD_HOPS_DEFAULT_MAX_TTL 30
#define PD_HOPS_WINDOW 8          /* TTLs probed at once */
#define PD_HOPS_ROUND_MAX (3 * PD_HOPS_WINDOW + 1) /* probes in one round */
#define PD_HOPS_MAX_PROBES 768
#define PD_HOPS_MAX_ROUNDS 64
#define PD_HOPS_DEFAULT_ROUNDS 40
#define PD_HOPS_DEFAULT_TRIES 3
/* A hop is shown as '*' after this many of its small probes went unanswered
 * while a probe sent after them was answered (so the silence is the hop's,
 * not a spent rate limit further on), or after three times as many. */
#define PD_HOPS_SMALL_TRIES 3
#define PD_HOPS_MAX_DROPS 8
#define PD_HOPS_WAIT_MIN_US 250000u
#define PD_HOPS_WAIT_MAX_US 2000000u

struct pd_hops_config {
	int family;             /* 4 or 6 */
	unsigned small_size;    /* control size, assumed to pass every link */
	/* The first large size: one that does not reach the target. */
	unsigned large_size;
	/* Largest size known to reach the target (0: unknown).  A large size
	 * at or below it is not scanned. */
	unsigned pass_size;
	unsigned max_ttl;       /* 0: PD_HOPS_DEFAULT_MAX_TTL; <= PD_HOPS_MAX_TTL */
	unsigned tries;         /* 0: PD_HOPS_DEFAULT_TRIES; <= PD_SEARCH_TRIES_MAX */
	unsigned max_rounds;    /* 0: PD_HOPS_DEFAULT_ROUNDS; <= PD_HOPS_MAX_ROUNDS */
};

struct pd_hops_probe {
	uint32_t id;      /* names it in pd_hops_feed() */
	uint16_t size;    /* IP total length */
	uint8_t ttl;      /* TTL / hop limit, >= 1 */
	bool large;       /* a large probe (else a small one) */
};

enum pd_hops_answer {
	PD_HOPS_EXPIRED = 1, /* time exceeded from `from` */
	PD_HOPS_REACHED,     /* the target answered (echo reply, port unreachable, ...) */
	PD_HOPS_TOO_BIG,     /* too big from `from`, with mtu (0 if not given) */
};

struct pd_hops_outcome {
	enum pd_hops_answer kind;
	uint32_t mtu;
	struct pd_search_addr from;
	uint32_t rtt_us;     /* send to answer; 0 if unknown */
};

enum pd_hops_large {
	PD_HOPS_NOT_PROBED = 0,
	PD_HOPS_PASSED,      /* expired at this hop, or reached the target */
	PD_HOPS_TOO_BIG_AT,  /* a router said too big (mtu, ptb_from) */
	PD_HOPS_LOST,        /* vanished while the small probe was answered */
	PD_HOPS_NO_ANSWER,   /* nothing answered at this TTL: cannot tell */
};

struct pd_hops_hop {
	bool answered;               /* something answered from this hop */
	bool target;                 /* the target answered at this TTL */
	struct pd_search_addr addr;  /* first answer's sender (len 0: none) */
	uint32_t rtt_us;             /* smallest measured RTT, 0 if none */
	bool small_reached;          /* the small probe was answered here */
	unsigned small_sent;
	/* The large probes of the last size scanned at this TTL. */
	enum pd_hops_large large;
	uint16_t large_size;
	uint32_t mtu;                /* PD_HOPS_TOO_BIG_AT: the MTU reported */
	struct pd_search_addr ptb_from;
	unsigned large_sent, large_lost;
};

enum pd_hops_drop_kind {
	PD_HOPS_DROP_PTB = 1,   /* a router said "too big" */
	PD_HOPS_DROP_BLACKHOLE, /* vanished; the hop before answered, no error */
	PD_HOPS_DROP_UNSURE,    /* vanished, but rate limits left "no error" unproven */
};

struct pd_hops_drop {
	unsigned ttl;        /* the size passed links 1..ttl (0: this host) */
	/* == ttl when exact; else hops ttl+1..ttl_max never answered and the
	 * size stops somewhere after hop ttl and before hop ttl_max + 1. */
	unsigned ttl_max;
	struct pd_search_addr addr; /* the hop's address (PTB: its sender) */
	uint32_t mtu;        /* PTB: reported MTU; 0 unknown */
	uint16_t size;       /* the probe size that stopped there */
	enum pd_hops_drop_kind kind;
};

enum pd_hops_stop {
	PD_HOPS_RUNNING = 0,
	PD_HOPS_STOP_DONE,
	PD_HOPS_STOP_ROUNDS,
	PD_HOPS_STOP_PROBES,
};

struct pd_hops_result {
	unsigned nhops;          /* TTLs shown: the target's distance, or the last probed */
	unsigned target_ttl;     /* 0: the target never answered */
	struct pd_hops_hop hop[PD_HOPS_MAX_TTL + 1]; /* index = TTL; [0] unused */
	size_t ndrops;
	struct pd_hops_drop drop[PD_HOPS_MAX_DROPS];
	bool located;            /* every size scanned was followed to its end */
	enum pd_hops_stop stop;
	unsigned probes, rounds;
};

/* Private state: callers only allocate. */
struct pd_hops_rec {
	uint8_t ttl;
	uint8_t flags;
	uint16_t size;
	uint16_t round;
	uint16_t seg;
};

struct pd_hops_seg_ttl {
	uint8_t pass;           /* 0 unknown, 1 passes, 2 does not */
	bool too_big;
	uint16_t sent, losses, anchored;
	uint8_t anchor;         /* the TTL `anchored` was counted against */
};

struct pd_hops {
	int family;
	unsigned small_size, pass_size, max_ttl, tries, max_rounds;
	struct pd_hops_rec rec[PD_HOPS_MAX_PROBES];
	uint32_t nrec;
	uint32_t round_first[PD_HOPS_MAX_ROUNDS + 1];
	unsigned nrounds;
	bool open;
	uint32_t anchor_id;     /* this round's anchor probe + 1, 0 = none */
	unsigned window;        /* TTLs 1..window are being explored */
	uint32_t wait_us;
	/* Small probes unanswered while a probe sent after them in the same
	 * round was answered: tries that count (see PD_HOPS_SMALL_TRIES). */
	uint8_t small_valid[PD_HOPS_MAX_TTL + 2];
	unsigned seg;           /* current size's number */
	bool seg_active;
	unsigned size, a;       /* current large size; it passes links 1..a */
	struct pd_hops_seg_ttl st[PD_HOPS_MAX_TTL + 2];
	enum pd_hops_stop stop;
	bool located;
	struct pd_hops_result res;
};

/* PD_ERR_INVAL: family not 4/6, sizes out of order (small_size must be below
 * large_size), limits out of range. */
int pd_hops_init(struct pd_hops *h, const struct pd_hops_config *cfg, struct pd_error *err);

/* The next round: up to cap probes (cap >= PD_HOPS_ROUND_MAX always suffices)
 * to send in order after waiting *wait_us; *n = 0 when done.  PD_ERR_INVAL:
 * a round is open; PD_ERR_NOSPACE: cap too small for the round. */
int pd_hops_plan(struct pd_hops *h, struct pd_hops_probe *out, size_t cap, size_t *n,
		 uint32_t *wait_us, struct pd_error *err);

/* What came back for probe id (this round or, late, an earlier one).
 * PD_ERR_NOTFOUND: no such probe; PD_ERR_INVAL: bad kind. */
int pd_hops_feed(struct pd_hops *h, uint32_t id, const struct pd_hops_outcome *o,
		 struct pd_error *err);

/* End the open round: probes without an answer were not answered.
 * PD_ERR_INVAL if no round is open. */
int pd_hops_end_round(struct pd_hops *h, struct pd_error *err);

bool pd_hops_done(const struct pd_hops *h);
void pd_hops_result(const struct pd_hops *h, struct pd_hops_result *r);

/* "passed", "too-big", "lost", "no-answer", "not-probed"; "ptb", "blackhole",
 * "unsure"; "?" for other values. */
const char *pd_hops_large_name(enum pd_hops_large l);
const char *pd_hops_drop_kind_name(enum pd_hops_drop_kind k);

#ifdef __cplusplus
}
#endif
#endif
