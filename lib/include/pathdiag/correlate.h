/* correlate.h - both-ends tunnel correlation: match each tunnel packet
 * captured where it was sent with its arrival captured at the other end,
 * and report per direction what was delivered and lost by outer size (with
 * the size threshold when loss depends on size), the clock offset between
 * the two captures, one-way delay and reordering.
 *
 * Input is two streams of records (pathdiag/tunrec.h), A and B, each in
 * capture order.  Identity: WireGuard message type, receiver index and
 * counter (or handshake hash); for other tunnels the hash of the inner
 * packet.  Memory is bounded by the matching window (opts.max_pending
 * entries) and the number of flows, not by the length of the captures.
 *
 * Clock offset: the minimum of (t_B - t_A) over A->B packets is
 * offset + min delay A->B, the maximum over B->A packets is
 * offset - min delay B->A; assuming equal minimum delays both ways,
 * offset = (min_AB + max_BA) / 2.  It is estimated from the first
 * opts.prefix records of each stream, which also say which address pairs
 * carry A->B traffic (the pair whose delays are larger).
 */
#ifndef PATHDIAG_CORRELATE_H
#define PATHDIAG_CORRELATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/tunrec.h>

#ifdef __cplusplus
extern "C" {
#endif

/* A record stream.  next() returns 1 with *rec filled, 0 at the end (it may
 * set end_ns to the capture's end time first; 0 = unknown), or a negative
 * status with err filled.  start_ns, when known (a record file's header),
 * is when the capture began: packets the other end sent before it are not
 * judged, nor are those sent after end_ns (or the last record). */
struct pd_corr_src {
	int (*next)(void *ctx, struct pd_tunrec *rec, struct pd_error *err);
	void *ctx;
	uint64_t end_ns;
	uint64_t start_ns;
};

struct pd_corr_opts {
	uint64_t window_ns;  /* how long a packet waits for its match; 0: 2 s */
	size_t max_pending;  /* most unmatched packets held; 0: 262144 */
	size_t prefix;       /* records per side for the offset estimate; 0: 16384 */
	unsigned min_pkts;   /* packets needed on each side of a size threshold; 0: 3 */
};

#define PD_CORR_DEFAULT_WINDOW_NS 2000000000ULL
#define PD_CORR_DEFAULT_PENDING 262144
#define PD_CORR_DEFAULT_PREFIX 16384
#define PD_CORR_RESERVOIR 4096
#define PD_CORR_MAX_FLOWS 256

struct pd_corr_size {
	uint16_t size;         /* outer IP length as captured at the sender */
	uint64_t delivered, lost;
};

enum pd_corr_way { PD_CORR_AB = 0, PD_CORR_BA = 1 };

struct pd_corr_dir {
	bool present;                 /* packets were sent this way */
	struct pd_tunrec_addr from, to; /* busiest flow, addresses at the sender */
	uint8_t kind;                 /* its tunnel kind */
	uint64_t sent;                /* delivered + lost */
	uint64_t delivered, lost;
	uint64_t unjudged;            /* sent while the receiver was not capturing */
	uint64_t unexpected;          /* arrived, but the sender's capture lacks them */
	uint64_t reordered;           /* arrived after a packet sent later */
	struct pd_corr_size *sizes;   /* ascending by size */
	size_t nsizes;
	uint16_t largest_delivered;   /* 0: none */
	uint16_t smallest_lost;       /* 0: none */
	/* Size threshold: every packet of threshold bytes or more was lost,
	 * delivered_below packets of largest_delivered or less arrived. */
	bool size_dependent;
	uint16_t threshold;           /* smallest size of the all-lost run above */
	uint16_t mtu_lo, mtu_hi;      /* path MTU lies in [mtu_lo, mtu_hi] */
	uint64_t lost_above, sent_below, delivered_below, lost_below;
	/* One-way delay, clock offset removed (ns). */
	bool delay_known;
	uint64_t delay_samples;
	int64_t delay_min, delay_p50, delay_p90, delay_p99, delay_max;
};

struct pd_corr_result {
	struct pd_corr_dir dir[2];   /* [PD_CORR_AB], [PD_CORR_BA] */
	bool offset_known;           /* traffic matched in both directions */
	int64_t offset_ns;           /* B's clock minus A's clock */
	int64_t min_owd_ns;          /* min one-way delay (symmetric assumption) */
	uint64_t records[2];         /* packet records read from A, B */
	uint64_t matched;
	uint64_t unattributed;       /* unmatched, in flows of unknown direction */
	size_t flows[2];
	size_t pending_cap, peak_pending;
	uint64_t evicted_full;       /* judged early because the table was full */
	/* records of flows beyond PD_CORR_MAX_FLOWS per side, merged into
	 * that side's last flow (appended) */
	uint64_t flows_overflow;
};

/* Correlate the two streams.  res must be released with
 * pd_corr_result_free() whatever the return. */
int pd_corr_run(const struct pd_corr_opts *opts, struct pd_corr_src *a, struct pd_corr_src *b,
		struct pd_corr_result *res, struct pd_error *err);
void pd_corr_result_free(struct pd_corr_result *res);

/* Fill the size-threshold fields of d from d->sizes: the run of sizes at
 * the top where nothing was delivered, with at least min_pkts lost in it
 * and min_pkts delivered below, and loss below it too rare to explain the
 * run by chance (rate_below ^ lost_above < 1e-6). */
void pd_corr_threshold(struct pd_corr_dir *d, unsigned min_pkts);

#ifdef __cplusplus
}
#endif
#endif
