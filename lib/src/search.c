/* search.c - the path MTU search engine (see pathdiag/search.h for the model).
 *
 * Specs: RFC 4821 sections 7.2-7.7 (probing, confirmation by repetition), RFC
 * 8899 sections 4.6.1 and 5.3 (PTB validation and use as a hint), RFC 1191 and
 * RFC 8201 (PTB MTU field), RFC 791 / RFC 8200 section 5 (minimum MTUs).
 *
 * Everything the engine decides is recomputed from the probe records by
 * analyze(): the records are the only state that evidence changes, so a late
 * answer simply changes a record and the next analysis sees it.
 */
#include <pathdiag/search.h>

#include <stdlib.h>
#include <string.h>

#define REC_CONTROL 0x01u
#define REC_LEAD 0x02u  /* leading control: a loss-rate sample */
#define REC_TRAIL 0x04u /* trailing control: makes its round count */
#define REC_BOGUS 0x08u /* TOO_BIG with an impossible MTU: fails, hint unused */

/* Beta(PRIOR_A, PRIOR_B) prior on the loss rate (mean 11%). */
#define PRIOR_A 0.5
#define PRIOR_B 4.0
/* Prior weight of an answer that is a common MTU / a PTB-reported MTU,
 * relative to any other size. */
#define W_CAND 20.0
#define W_HINT 1000.0
#define P_FLOOR 0.02 /* loss rate used for weights is clamped to these */
#define P_CEIL 0.5
#define CONFIRM_SHARE 0.5  /* the mode is confirmed when it holds this */
#define SUPPORT_TAIL 0.02  /* weight left out when measuring the span */
#define QUANTILES_MAX 10

/* Most likely first: the first PD_SEARCH_LADDER in range make round 1. */
static const uint16_t default_cand[] = {
	1500, 1492, 1480, 1472, 1460, 1454, 1452, 1420, 1400, 1280, 576, 1440,
	9000, 1476, 1380, 1360, 1350, 1436, 1412, 1392, 1240, 1200, 1006, 552,
	65535, 16384, 9216, 8192, 4470, 4352, 2304, 2002, 1300, 544, 512, 508,
	296, 68,
};

const uint16_t *pd_search_default_candidates(size_t *n)
{
	if (n)
		*n = sizeof(default_cand) / sizeof(default_cand[0]);
	return default_cand;
}

/* ---- analysis ------------------------------------------------------------ */

/* What the records prove, recomputed on demand. */
struct view {
	unsigned lo;      /* largest acknowledged size, 0 = none */
	unsigned lo_plan; /* max(lo, min): sizes up to it are taken as passing */
	unsigned max;     /* upper bound (local refusals), never below lo */
	unsigned hard;    /* smallest size failed by PTB / local refusal, or max + 1 */
	unsigned hi;      /* smallest size known to fail, or max + 1 */
	bool hi_soft;     /* hi was confirmed by losses, not by an ICMP error */
	unsigned m, l;    /* loss-rate samples and losses among them */
	unsigned k;       /* losses that confirm a size */
	double p;         /* loss rate for the weights */
	bool found;
};

/* A round counts when one of its trailing controls was answered: they are
 * sent after every other probe of the round. */
static bool round_valid(const struct pd_search *s, unsigned r)
{
	uint32_t i;

	if (r >= s->nrounds)
		return false;
	for (i = s->round[r].trail; i < s->round[r].first + s->round[r].n; i++)
		if (s->rec[i].kind == PD_SEARCH_ACKED)
			return true;
	return false;
}

/* Whether record i was sent before an answered probe of its round: a target
 * that rate-limits spends its tokens in send order, so a loss there is the
 * path's, not the bucket's. */
static bool before_answer(const struct pd_search *s, uint32_t i)
{
	const struct pd_search_round *r = &s->round[s->rec[i].round];
	uint32_t j;

	for (j = r->first + r->n; j-- > i + 1;)
		if (s->rec[j].kind == PD_SEARCH_ACKED)
			return true;
	return false;
}

/* A record that counts as a loss: no answer. */
static bool rec_lossy(const struct pd_search_rec *rc)
{
	return rc->kind == PD_SEARCH_LOST;
}

/* A record that proves its size fails whatever the round: a router said it
 * dropped the probe (even one whose MTU is bogus: RFC 1191 section 5's
 * "MTU 0" routers still drop the packet, only their hint is useless), or
 * the local stack refused it. */
static bool rec_hard_fail(const struct pd_search_rec *rc)
{
	return rc->kind == PD_SEARCH_TOO_BIG || rc->kind == PD_SEARCH_LOCAL_TOO_BIG;
}

/* Losses in valid rounds count as evidence; the trailing control decides
 * validity and so is never a sample itself. */
static bool rec_counts(const struct pd_search *s, const struct pd_search_rec *rc)
{
	return !(rc->flags & REC_TRAIL) && round_valid(s, rc->round);
}

/* The least k >= floor with P(k losses of a passing size | m samples, l lost)
 * <= PD_SEARCH_ALPHA under the Beta prior: prod (a + l + i) / (a + b + m + i). */
static unsigned tries_needed(unsigned m, unsigned l, unsigned floor_k)
{
	double prod = 1.0;
	unsigned k;

	for (k = 1; k <= PD_SEARCH_TRIES_MAX; k++) {
		prod *= (PRIOR_A + l + (k - 1)) / (PRIOR_A + PRIOR_B + m + (k - 1));
		if (k >= floor_k && prod <= PD_SEARCH_ALPHA)
			return k;
	}
	return floor_k > PD_SEARCH_TRIES_MAX ? floor_k : PD_SEARCH_TRIES_MAX;
}

/* Small numeric helpers, so that the library needs no libm. */
static double pow_u(double x, size_t n)
{
	double r = 1.0;

	for (; n > 0; n--) {
		r *= x;
		if (r < 1e-300)
			return 0.0;
	}
	return r;
}

static unsigned isqrt_ceil(unsigned x)
{
	unsigned r = 0;

	while (r * r < x)
		r++;
	return r;
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return (x > y) - (x < y);
}

/* Sizes of the counted losses in (lo, below), sorted; returns their number. */
static size_t counted_losses(const struct pd_search *s, unsigned lo, unsigned below,
			     uint32_t *out)
{
	size_t n = 0;
	uint32_t i;

	for (i = 0; i < s->nrec; i++) {
		const struct pd_search_rec *rc = &s->rec[i];

		if (rc->size > lo && rc->size < below && rec_lossy(rc) && rec_counts(s, rc))
			out[n++] = rc->size;
	}
	qsort(out, n, sizeof(out[0]), cmp_u32);
	return n;
}

static void analyze(const struct pd_search *s, struct view *v)
{
	uint32_t loss[PD_SEARCH_MAX_PROBES];
	size_t nloss;
	uint32_t i;

	memset(v, 0, sizeof(*v));
	for (i = 0; i < s->nrec; i++)
		if (s->rec[i].kind == PD_SEARCH_ACKED && s->rec[i].size > v->lo)
			v->lo = s->rec[i].size;
	v->max = s->max > v->lo ? s->max : v->lo;
	v->lo_plan = v->lo > s->min ? v->lo : s->min;
	v->hard = v->max + 1;
	for (i = 0; i < s->nrec; i++) {
		const struct pd_search_rec *rc = &s->rec[i];

		if (rec_hard_fail(rc) && rc->size > v->lo && rc->size < v->hard)
			v->hard = rc->size;
		/* Loss-rate samples: sizes known to pass, from every round
		 * (a round lost to a burst only makes the estimate more
		 * cautious), except, once the target is known to rate-limit,
		 * losses after its last answer in a round that did not count:
		 * they are the empty token bucket, and counting them would
		 * multiply the tries that every later paced round pays for. */
		if ((rc->size < v->lo || (rc->flags & REC_LEAD)) && !(rc->flags & REC_TRAIL) &&
		    (rc->kind == PD_SEARCH_ACKED ||
		     (rc->kind == PD_SEARCH_LOST &&
		      (!s->rate_limited || round_valid(s, rc->round) || before_answer(s, i))))) {
			v->m++;
			v->l += rc->kind == PD_SEARCH_LOST;
		}
	}
	v->k = tries_needed(v->m, v->l, s->tries_min);
	v->p = (v->l + PRIOR_A) / (v->m + PRIOR_A + PRIOR_B);
	if (v->p < P_FLOOR)
		v->p = P_FLOOR;
	if (v->p > P_CEIL)
		v->p = P_CEIL;
	v->hi = v->hard;
	nloss = counted_losses(s, v->lo, v->hard, loss);
	if (nloss >= v->k) {
		v->hi = loss[v->k - 1];
		v->hi_soft = true;
	}
	v->found = v->lo > 0 && v->lo + 1 == v->hi;
}

/* ---- PTB table ----------------------------------------------------------- */

static bool addr_eq(const struct pd_search_addr *a, const struct pd_search_addr *b)
{
	return a->family == b->family && a->len == b->len &&
	       memcmp(a->bytes, b->bytes, a->len) == 0;
}

static bool ptb_valid(enum pd_ptb_verdict v)
{
	return v == PD_PTB_PENDING || v == PD_PTB_VERIFIED || v == PD_PTB_REFUTED;
}

/* The verdict of a PTB given what is known now. */
static enum pd_ptb_verdict ptb_verdict(const struct pd_search_ptb *e, const struct view *v)
{
	if (!ptb_valid(e->verdict))
		return e->verdict;
	if (v->found && v->lo == e->mtu)
		return PD_PTB_VERIFIED;
	if (e->mtu + 1 <= v->lo || e->mtu >= v->hi)
		return PD_PTB_REFUTED;
	return PD_PTB_PENDING;
}

/* Record a PTB; returns its index + 1 (0 if the table is full). */
static uint16_t ptb_note(struct pd_search *s, const struct pd_search_outcome *o,
			 unsigned size, enum pd_ptb_verdict cls)
{
	size_t i;

	for (i = 0; i < s->nptb; i++) {
		struct pd_search_ptb *e = &s->ptb[i];

		if (e->mtu == o->mtu && addr_eq(&e->from, &o->from)) {
			if (e->count < UINT16_MAX)
				e->count++;
			if (size < e->probe_size)
				e->probe_size = (uint16_t)size;
			/* The same MTU may be valid for one probe and not for a
			 * smaller one (not below it): keep the valid reading. */
			if (ptb_valid(cls) || cls == PD_PTB_BELOW_RANGE)
				e->verdict = cls;
			return (uint16_t)(i + 1);
		}
	}
	if (s->nptb == PD_SEARCH_MAX_PTB) {
		s->ptb_overflow++;
		return 0;
	}
	s->ptb[s->nptb].from = o->from;
	s->ptb[s->nptb].mtu = o->mtu;
	s->ptb[s->nptb].probe_size = (uint16_t)size;
	s->ptb[s->nptb].count = 1;
	s->ptb[s->nptb].verdict = cls;
	s->nptb++;
	return (uint16_t)s->nptb;
}

/* ---- init, feed, rounds ---------------------------------------------------- */

int pd_search_init(struct pd_search *s, const struct pd_search_config *cfg,
		   struct pd_error *err)
{
	unsigned fmin;
	size_t i;

	if (!s || !cfg)
		return pd_fail(err, PD_ERR_INVAL, 0, "search state or config missing");
	if (cfg->family != 4 && cfg->family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "search family is not 4 or 6");
	fmin = cfg->family == 4 ? 68 : 1280;
	if (cfg->max_size > 65535 || cfg->max_size < fmin)
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "search max size outside family minimum..65535");
	if (cfg->min_size && (cfg->min_size < fmin || cfg->min_size > cfg->max_size))
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "search min size outside family minimum..max size");
	if (cfg->candidates ? cfg->ncandidates > PD_SEARCH_MAX_CANDIDATES
			    : cfg->ncandidates != 0)
		return pd_fail(err, PD_ERR_INVAL, 0, "too many search candidates");

	memset(s, 0, sizeof(*s));
	s->family = cfg->family;
	s->family_min = fmin;
	s->min = cfg->min_size ? cfg->min_size : fmin;
	s->max = s->max_cfg = cfg->max_size;
	s->tries_min = cfg->tries ? cfg->tries : PD_SEARCH_DEFAULT_TRIES;
	if (s->tries_min > PD_SEARCH_TRIES_MAX)
		s->tries_min = PD_SEARCH_TRIES_MAX;
	s->max_rounds = cfg->max_rounds ? cfg->max_rounds : PD_SEARCH_DEFAULT_ROUNDS;
	if (s->max_rounds > PD_SEARCH_MAX_ROUNDS)
		s->max_rounds = PD_SEARCH_MAX_ROUNDS;
	s->max_probes = cfg->max_probes ? cfg->max_probes : PD_SEARCH_DEFAULT_PROBES;
	if (s->max_probes > PD_SEARCH_MAX_PROBES)
		s->max_probes = PD_SEARCH_MAX_PROBES;
	if (cfg->candidates) {
		for (i = 0; i < cfg->ncandidates; i++)
			s->cand[i] = cfg->candidates[i];
		s->ncand = cfg->ncandidates;
	} else {
		s->ncand = sizeof(default_cand) / sizeof(default_cand[0]);
		memcpy(s->cand, default_cand, sizeof(default_cand));
	}
	return PD_OK;
}

bool pd_search_done(const struct pd_search *s)
{
	return s->stop != PD_SEARCH_RUNNING;
}

bool pd_search_rate_limited(const struct pd_search *s)
{
	return s->rate_limited;
}

/* The local stack refused a size: the bound drops (never below what passed,
 * nor below min_size, which the search assumes passes). */
static void local_refusal(struct pd_search *s, unsigned size, uint32_t mtu)
{
	unsigned nmax = size - 1;

	if (mtu >= s->family_min && mtu < size)
		nmax = mtu;
	if (nmax < s->min)
		nmax = s->min;
	if (nmax < s->max)
		s->max = nmax;
}

static enum pd_ptb_verdict ptb_classify(const struct pd_search *s, unsigned size, uint32_t mtu)
{
	if (mtu < s->family_min)
		return PD_PTB_BOGUS_LOW;
	if (mtu >= size)
		return PD_PTB_BOGUS_NOT_SMALLER;
	if (mtu < s->min)
		return PD_PTB_BELOW_RANGE;
	return PD_PTB_PENDING;
}

int pd_search_feed(struct pd_search *s, uint32_t id, const struct pd_search_outcome *o,
		   struct pd_error *err)
{
	struct pd_search_rec *rc;
	bool ended;

	if (!s || !o)
		return pd_fail(err, PD_ERR_INVAL, 0, "search state or outcome missing");
	if (id >= s->nrec)
		return pd_fail(err, PD_ERR_NOTFOUND, 0, "no probe with this id was planned");
	rc = &s->rec[id];
	ended = !s->open || (unsigned)rc->round + 1u < s->nrounds;

	switch (o->kind) {
	case PD_SEARCH_ACKED:
		if (rc->kind == PD_SEARCH_ACKED)
			return PD_OK;
		if (rc->kind == PD_SEARCH_TOO_BIG || rc->kind == PD_SEARCH_LOCAL_TOO_BIG)
			s->ptb_contradicted++;
		else if (ended)
			s->late++;
		rc->kind = PD_SEARCH_ACKED;
		rc->flags &= (uint8_t)~REC_BOGUS;
		return PD_OK;
	case PD_SEARCH_TOO_BIG: {
		enum pd_ptb_verdict cls;

		if (o->from.len > PD_SEARCH_ADDR_MAX)
			return pd_fail(err, PD_ERR_INVAL, 0, "PTB sender address too long");
		if (rc->kind == PD_SEARCH_ACKED) {
			s->ptb_contradicted++;
			return PD_OK;
		}
		if (rc->kind != PD_SEARCH_PENDING && rc->kind != PD_SEARCH_LOST)
			return PD_OK;
		if (rc->kind == PD_SEARCH_LOST && ended)
			s->late++;
		cls = ptb_classify(s, rc->size, o->mtu);
		if (cls == PD_PTB_BOGUS_LOW)
			s->bogus_low++;
		else if (cls == PD_PTB_BOGUS_NOT_SMALLER)
			s->bogus_not_smaller++;
		rc->kind = PD_SEARCH_TOO_BIG;
		if (cls == PD_PTB_BOGUS_LOW || cls == PD_PTB_BOGUS_NOT_SMALLER)
			rc->flags |= REC_BOGUS;
		rc->ptb = ptb_note(s, o, rc->size, cls);
		return PD_OK;
	}
	case PD_SEARCH_LOST:
		if (rc->kind == PD_SEARCH_PENDING)
			rc->kind = PD_SEARCH_LOST;
		return PD_OK;
	case PD_SEARCH_LOCAL_TOO_BIG:
		if (rc->kind == PD_SEARCH_ACKED) {
			s->ptb_contradicted++;
			return PD_OK;
		}
		if (rc->kind != PD_SEARCH_PENDING && rc->kind != PD_SEARCH_LOST)
			return PD_OK;
		rc->kind = PD_SEARCH_LOCAL_TOO_BIG;
		local_refusal(s, rc->size, o->mtu);
		return PD_OK;
	case PD_SEARCH_PENDING:
		break;
	}
	return pd_fail(err, PD_ERR_INVAL, 0, "search outcome kind unknown");
}

/* Stop conditions checked after each round and before planning one. */
static void check_stop(struct pd_search *s, const struct view *v)
{
	if (s->stop != PD_SEARCH_RUNNING)
		return;
	if (v->found)
		s->stop = PD_SEARCH_STOP_FOUND;
	else if (v->lo == 0 && s->nrounds >= PD_SEARCH_DEAD_ROUNDS)
		s->stop = PD_SEARCH_STOP_NO_ANSWER;
	else if (s->silent_run >= PD_SEARCH_SILENT_ROUNDS)
		s->stop = PD_SEARCH_STOP_SILENT;
	else if (s->nrounds >= s->max_rounds)
		s->stop = PD_SEARCH_STOP_ROUNDS;
	else if (s->max_probes - s->nrec < 2)
		s->stop = PD_SEARCH_STOP_PROBES;
}

int pd_search_end_round(struct pd_search *s, uint64_t now_us, struct pd_error *err)
{
	const struct pd_search_round *r;
	struct view v;
	bool answered = false;
	uint32_t i;

	if (!s || !s->open)
		return pd_fail(err, PD_ERR_INVAL, 0, "no search round is open");
	r = &s->round[s->nrounds - 1];
	for (i = r->first; i < r->first + r->n; i++) {
		struct pd_search_rec *rc = &s->rec[i];

		if (rc->kind == PD_SEARCH_PENDING)
			rc->kind = PD_SEARCH_LOST;
		if (rc->kind == PD_SEARCH_ACKED || rc->kind == PD_SEARCH_TOO_BIG)
			answered = true;
	}
	/* Rate-limit signature: answers, then the last probes of the round
	 * (the trailing control and at least one more before it that should
	 * have passed) all unanswered, as when a token bucket runs dry.  Two
	 * such losses in a row end a round by chance with p^2 (4% at 20%
	 * loss); a wrong guess only moves the leading control to the end. */
	if (answered && !round_valid(s, s->nrounds - 1)) {
		unsigned lo = 0, tail = 0;

		for (i = r->first; i < r->first + r->n; i++)
			if (s->rec[i].kind == PD_SEARCH_ACKED && s->rec[i].size > lo)
				lo = s->rec[i].size;
		for (i = r->first + r->n; i-- > r->first;) {
			if (s->rec[i].kind != PD_SEARCH_LOST || s->rec[i].size > lo)
				break;
			tail++;
		}
		if (tail >= 3 || (tail >= 2 && i >= r->first && s->rec[i].kind == PD_SEARCH_ACKED))
			s->rate_limited = true;
	}
	s->open = false;
	s->silent_run = answered ? 0 : s->silent_run + 1;
	if (now_us > s->t_last)
		s->t_last = now_us;
	analyze(s, &v);
	check_stop(s, &v);
	return PD_OK;
}

/* ---- planning ------------------------------------------------------------ */

struct plan {
	uint16_t size[PD_SEARCH_ROUND_MAX];
	size_t n, room;
};

static size_t plan_count(const struct plan *pl, unsigned size)
{
	size_t i, c = 0;

	for (i = 0; i < pl->n; i++)
		c += pl->size[i] == size;
	return c;
}

/* Have at least copies probes of size in the plan, room permitting. */
static void plan_want(struct plan *pl, unsigned size, size_t copies)
{
	size_t have = plan_count(pl, size);

	while (have < copies && pl->n < pl->room) {
		pl->size[pl->n++] = (uint16_t)size;
		have++;
	}
}

static bool is_candidate(const struct pd_search *s, const struct view *v, unsigned q)
{
	size_t i;

	if (q == v->max)
		return true;
	for (i = 0; i < s->ncand; i++)
		if (s->cand[i] == q)
			return true;
	return false;
}

static bool is_hint(const struct pd_search *s, const struct view *v, unsigned q)
{
	size_t i;

	for (i = 0; i < s->nptb; i++)
		if (s->ptb[i].mtu == q && ptb_verdict(&s->ptb[i], v) == PD_PTB_PENDING)
			return true;
	return false;
}

/* Was the smallest known failure above lo reported by a router?  Then the next
 * size up is expected to draw a PTB too, and one probe settles it. */
static bool ptb_expected(const struct pd_search *s, const struct view *v)
{
	uint32_t i;

	for (i = 0; i < s->nrec; i++)
		if (s->rec[i].kind == PD_SEARCH_TOO_BIG && !(s->rec[i].flags & REC_BOGUS) &&
		    s->rec[i].size == v->hard && v->hard == v->hi)
			return true;
	return false;
}

/* Counted losses of exactly this size (what a confirmation needs once the size
 * below it is acknowledged). */
static unsigned losses_at(const struct pd_search *s, unsigned size)
{
	unsigned n = 0;
	uint32_t i;

	for (i = 0; i < s->nrec; i++)
		if (s->rec[i].size == size && rec_lossy(&s->rec[i]) && rec_counts(s, &s->rec[i]))
			n++;
	return n;
}

/* The weight of each possible answer q in [lo_plan, hi): prior(q) * p^n(q), as
 * runs of equal weight. */
struct seg {
	uint32_t a, b; /* q in [a, b] */
	double w;      /* weight of each q */
};

#define MAX_BP (PD_SEARCH_MAX_PROBES + 2 * (PD_SEARCH_MAX_CANDIDATES + PD_SEARCH_MAX_PTB) + 4)

static size_t posterior(const struct pd_search *s, const struct view *v, struct seg *seg,
			double *total)
{
	uint32_t bp[MAX_BP], loss[PD_SEARCH_MAX_PROBES];
	size_t nbp = 0, nloss, nseg = 0, i, j = 0;

	nloss = counted_losses(s, v->lo, v->hi, loss);
	bp[nbp++] = v->lo_plan;
	bp[nbp++] = v->hi;
	for (i = 0; i < nloss; i++)
		if (loss[i] > v->lo_plan)
			bp[nbp++] = loss[i];
	for (i = 0; i < s->ncand; i++)
		if (s->cand[i] >= v->lo_plan && s->cand[i] < v->hi) {
			bp[nbp++] = s->cand[i];
			bp[nbp++] = s->cand[i] + 1u;
		}
	for (i = 0; i < s->nptb; i++)
		if (s->ptb[i].mtu >= v->lo_plan && s->ptb[i].mtu < v->hi) {
			bp[nbp++] = s->ptb[i].mtu;
			bp[nbp++] = s->ptb[i].mtu + 1u;
		}
	if (v->max >= v->lo_plan && v->max < v->hi) {
		bp[nbp++] = v->max;
		bp[nbp++] = v->max + 1u;
	}
	qsort(bp, nbp, sizeof(bp[0]), cmp_u32);

	*total = 0.0;
	for (i = 0; i + 1 < nbp; i++) {
		uint32_t a = bp[i], b = bp[i + 1];
		double w;

		if (a == b || a < v->lo_plan || b > v->hi)
			continue;
		while (j < nloss && loss[j] <= a)
			j++;
		w = pow_u(v->p, j);
		if (b - a == 1) {
			if (is_hint(s, v, a))
				w *= W_HINT;
			else if (is_candidate(s, v, a))
				w *= W_CAND;
		}
		seg[nseg].a = a;
		seg[nseg].b = b - 1;
		seg[nseg].w = w;
		*total += w * (double)(b - a);
		nseg++;
	}
	return nseg;
}

/* The q where the weight summed from the bottom first reaches target. */
static unsigned quantile(const struct seg *seg, size_t nseg, double target)
{
	double cum = 0.0;
	size_t i;

	for (i = 0; i < nseg; i++) {
		double mass = seg[i].w * (double)(seg[i].b - seg[i].a + 1);

		if (cum + mass >= target && seg[i].w > 0.0) {
			/* the first q whose weight takes the sum to target */
			double need = (target - cum) / seg[i].w;
			double len = (double)(seg[i].b - seg[i].a);
			unsigned off;

			if (need <= 1.0)
				return seg[i].a;
			if (need - 1.0 >= len)
				return seg[i].b;
			off = (unsigned)(need - 1.0);
			if ((double)off < need - 1.0)
				off++; /* ceil(need) - 1 */
			return seg[i].a + off;
		}
		cum += mass;
	}
	return nseg ? seg[nseg - 1].b : 0;
}

/* Round 1 (and any round before anything answered): the local maximum and the
 * most likely candidates below it. */
static void plan_ladder(const struct pd_search *s, const struct view *v, struct plan *pl)
{
	size_t i, want = pl->n + PD_SEARCH_LADDER;

	if (want > pl->room)
		want = pl->room;
	if (v->hi - 1 > v->lo_plan)
		plan_want(pl, v->hi - 1, 1);
	for (i = 0; i < s->ncand && pl->n < want; i++)
		if (s->cand[i] > v->lo_plan && s->cand[i] < v->hi)
			plan_want(pl, s->cand[i], 1);
}

static void plan_search(const struct pd_search *s, const struct view *v, struct plan *pl)
{
	struct seg seg[MAX_BP];
	double total, best = -1.0, tail = 0.0;
	unsigned qstar = v->lo_plan, top, span, j, i;
	size_t nseg, x;

	nseg = posterior(s, v, seg, &total);
	for (x = 0; x < nseg; x++)
		if (seg[x].w > best) {
			best = seg[x].w;
			qstar = seg[x].a;
		}

	if (best >= CONFIRM_SHARE * total) {
		/* Settle the most likely answer: q* must pass, q* + 1 fail. */
		if (qstar > v->lo)
			plan_want(pl, qstar, 1);
		if (qstar + 1 < v->hi) {
			unsigned have = losses_at(s, qstar + 1);
			size_t c = have < v->k ? v->k - have : 1;

			if (have == 0 && (is_hint(s, v, qstar) || ptb_expected(s, v)))
				c = 1;
			plan_want(pl, qstar + 1, c);
		}
		return;
	}

	/* The span holding all but SUPPORT_TAIL of the weight. */
	top = v->hi - 1;
	for (x = nseg; x-- > 0;) {
		double mass = seg[x].w * (double)(seg[x].b - seg[x].a + 1);

		if (tail + mass > SUPPORT_TAIL * total) {
			double keep = (SUPPORT_TAIL * total - tail) / seg[x].w;

			top = seg[x].b - (keep > 0.0 ? (unsigned)keep : 0u);
			break;
		}
		tail += mass;
	}
	if (top < v->lo_plan)
		top = v->lo_plan;
	span = top - v->lo_plan;
	if (span <= PD_SEARCH_SMALL_SPAN) {
		/* Every size once, and the boundary above the most likely
		 * answer as often as confirming it takes, so that this round
		 * may already settle it. */
		if (qstar == v->lo && qstar + 1 < v->hi) {
			unsigned have = losses_at(s, qstar + 1);

			plan_want(pl, qstar + 1, have < v->k ? v->k - have : 1);
		}
		for (i = v->lo_plan + 1; i <= top && i < v->hi; i++)
			plan_want(pl, i, 1);
		return;
	}
	/* A common MTU just acknowledged is the likeliest answer: test it. */
	if (v->lo_plan + 1 < v->hi && is_candidate(s, v, v->lo_plan))
		plan_want(pl, v->lo_plan + 1, 1);
	j = isqrt_ceil(span + 1) - 1;
	if (j < 2)
		j = 2;
	if (j > QUANTILES_MAX)
		j = QUANTILES_MAX;
	for (i = 1; i <= j; i++) {
		unsigned q = quantile(seg, nseg, total * i / (j + 1));

		if (q + 1 > v->lo_plan && q + 1 < v->hi)
			plan_want(pl, q + 1, 1);
	}
}

static void plan_data(const struct pd_search *s, const struct view *v, struct plan *pl)
{
	size_t i;

	/* PTB hints first: M must pass and M + 1 fail. */
	for (i = 0; i < s->nptb; i++) {
		unsigned m = s->ptb[i].mtu;

		if (ptb_verdict(&s->ptb[i], v) != PD_PTB_PENDING)
			continue;
		if (m > v->lo && m < v->hi && m >= s->min)
			plan_want(pl, m, 1);
		if (m + 1 > v->lo_plan && m + 1 < v->hi)
			plan_want(pl, m + 1, 1);
	}
	if (v->lo == 0)
		plan_ladder(s, v, pl);
	else
		plan_search(s, v, pl);
	if (pl->n == 0 && v->lo_plan + 1 < v->hi)
		plan_want(pl, v->lo_plan + 1, 1);
}

static int cmp_size_desc(const void *a, const void *b)
{
	uint16_t x = *(const uint16_t *)a, y = *(const uint16_t *)b;

	return (x < y) - (x > y);
}

int pd_search_plan(struct pd_search *s, uint64_t now_us, struct pd_search_probe *out,
		   size_t cap, size_t *n, struct pd_error *err)
{
	struct pd_search_round *r;
	struct plan pl;
	struct view v;
	size_t room, i, ntrail;
	bool lead;

	if (n)
		*n = 0;
	if (!s || !out || !n)
		return pd_fail(err, PD_ERR_INVAL, 0, "search plan arguments missing");
	if (s->open)
		return pd_fail(err, PD_ERR_INVAL, 0, "search round still open");
	if (cap < 2)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "plan needs room for two probes");
	analyze(s, &v);
	check_stop(s, &v);
	if (s->stop != PD_SEARCH_RUNNING)
		return PD_OK;

	room = s->max_probes - s->nrec;
	if (room > cap)
		room = cap;
	if (room > PD_SEARCH_ROUND_MAX)
		room = PD_SEARCH_ROUND_MAX;
	/* Normally one leading control (a loss sample) and one trailing
	 * control (validity).  After a round that did not count, or once the
	 * target looks rate-limited, two trailing controls instead: such a
	 * target would spend its token on a leading one, and when the data all
	 * vanish (a black hole) the controls are the only answers that tell
	 * "alive" from "silent".  Three before anything has answered. */
	ntrail = room >= 3 && s->nrounds > 0 &&
		 (s->rate_limited || !round_valid(s, s->nrounds - 1)) ? 2 : 1;
	/* Nothing answered yet: when only min_size can pass, the controls are
	 * all that can tell a live target from a dead one. */
	if (v.lo == 0 && s->nrounds > 0 && room >= 4)
		ntrail = 3;
	lead = ntrail == 1 && room >= 3;
	memset(&pl, 0, sizeof(pl));
	pl.room = room - ntrail - lead;
	/* The leading control of this round is a loss sample by the time the
	 * round is judged: plan the confirmations it will make enough if it
	 * is answered (if not, the next round adds what is missing). */
	if (lead) {
		struct view vp = v;

		vp.k = tries_needed(v.m + 1, v.l, s->tries_min);
		plan_data(s, &vp, &pl);
	} else {
		plan_data(s, &v, &pl);
	}
	qsort(pl.size, pl.n, sizeof(pl.size[0]), cmp_size_desc);

	r = &s->round[s->nrounds];
	r->first = s->nrec;
	for (i = 0; i < pl.n + ntrail + lead; i++) {
		struct pd_search_rec *rc = &s->rec[s->nrec];
		bool is_lead = lead && i == 0, is_trail = i >= pl.n + lead;

		memset(rc, 0, sizeof(*rc));
		rc->size = is_lead || is_trail ? (uint16_t)s->min : pl.size[i - lead];
		rc->round = (uint16_t)s->nrounds;
		if (is_lead)
			rc->flags = REC_CONTROL | REC_LEAD;
		if (is_trail)
			rc->flags = REC_CONTROL | REC_TRAIL;
		out[i].id = s->nrec;
		out[i].size = rc->size;
		out[i].is_control = is_lead || is_trail;
		s->nrec++;
	}
	r->n = s->nrec - r->first;
	r->trail = s->nrec - ntrail;
	if (s->nrounds == 0)
		s->t_first = s->t_last = now_us;
	s->nrounds++;
	s->open = true;
	*n = r->n;
	return PD_OK;
}

/* ---- result -------------------------------------------------------------- */

/* ICMP errors about sizes above lo: any at all, any about the smallest failing
 * size hi itself, and the index of a valid one reporting exactly lo (-1). */
struct ptb_seen {
	bool above, at_hi;
	int exact;
};

static void ptb_seen(const struct pd_search *s, const struct view *v, struct ptb_seen *ps)
{
	uint32_t i;

	ps->above = ps->at_hi = false;
	ps->exact = -1;
	for (i = 0; i < s->nrec; i++) {
		const struct pd_search_rec *rc = &s->rec[i];

		if (rc->kind != PD_SEARCH_TOO_BIG || rc->size <= v->lo)
			continue;
		ps->above = true;
		ps->at_hi |= rc->size == v->hi;
		if (rc->ptb && s->ptb[rc->ptb - 1].mtu == v->lo && !(rc->flags & REC_BOGUS) &&
		    ps->exact < 0)
			ps->exact = rc->ptb - 1;
	}
}

void pd_search_result(const struct pd_search *s, struct pd_search_result *r)
{
	struct ptb_seen seen;
	struct view v;
	uint32_t i;
	size_t e;

	memset(r, 0, sizeof(*r));
	r->ptb_verified = -1;
	analyze(s, &v);
	r->stop = s->stop;
	if (v.found && r->stop != PD_SEARCH_RUNNING)
		r->stop = PD_SEARCH_STOP_FOUND;
	r->largest_ok = v.lo;
	r->smallest_lost = v.hi <= v.max ? v.hi : 0;
	/* A local refusal can put the only failure just above the bound. */
	if (v.hard == v.max + 1 && v.hard <= s->max_cfg && v.hi == v.hard) {
		for (i = 0; i < s->nrec; i++)
			if (s->rec[i].kind == PD_SEARCH_LOCAL_TOO_BIG &&
			    s->rec[i].size == v.hard)
				r->smallest_lost = v.hard;
	}
	r->max_size = v.max;
	r->tries = v.k;
	r->rate_limited = s->rate_limited;
	r->loss_samples = v.m;
	r->loss_lost = v.l;

	ptb_seen(s, &v, &seen);
	if (v.found) {
		/* Judged by what a sender just above the path MTU would meet:
		 * a PTB with the right MTU (from some probe), silence at pmtu + 1,
		 * or only wrong or bogus MTUs. */
		r->status = PD_SEARCH_FOUND;
		r->pmtu = v.lo;
		if (v.lo == v.max)
			r->pmtud = PD_PMTUD_LOCAL;
		else if (seen.exact >= 0)
			r->pmtud = PD_PMTUD_WORKS;
		else if (!seen.at_hi)
			r->pmtud = PD_PMTUD_BLACKHOLE;
		else
			r->pmtud = PD_PMTUD_WRONG_MTU;
		if (r->pmtud == PD_PMTUD_WORKS)
			r->ptb_verified = seen.exact;
	} else if (v.lo > 0) {
		bool any_pending = false;

		r->status = PD_SEARCH_PARTIAL;
		for (e = 0; e < s->nptb; e++)
			any_pending |= ptb_verdict(&s->ptb[e], &v) == PD_PTB_PENDING;
		if (v.hi_soft && !seen.at_hi)
			r->pmtud = PD_PMTUD_BLACKHOLE;
		else if (seen.above && !any_pending)
			r->pmtud = PD_PMTUD_WRONG_MTU;
	}

	r->nptb = s->nptb;
	for (e = 0; e < s->nptb; e++) {
		r->ptb[e] = s->ptb[e];
		r->ptb[e].verdict = ptb_verdict(&s->ptb[e], &v);
	}
	r->ptb_overflow = s->ptb_overflow;
	r->bogus_low = s->bogus_low;
	r->bogus_not_smaller = s->bogus_not_smaller;
	r->bogus_ptb = s->bogus_low + s->bogus_not_smaller;
	r->ptb_contradicted = s->ptb_contradicted;
	r->late = s->late;
	r->probes = s->nrec;
	r->rounds = s->nrounds;
	for (i = 0; i < s->nrec; i++) {
		switch (s->rec[i].kind) {
		case PD_SEARCH_ACKED: r->acked++; break;
		case PD_SEARCH_TOO_BIG: r->too_big++; break;
		case PD_SEARCH_LOST: r->lost++; break;
		case PD_SEARCH_LOCAL_TOO_BIG: r->local_too_big++; break;
		default: break;
		}
	}
	r->elapsed_us = s->t_last - s->t_first;
}

const char *pd_search_status_name(enum pd_search_status st)
{
	switch (st) {
	case PD_SEARCH_UNKNOWN: return "unknown";
	case PD_SEARCH_FOUND: return "found";
	case PD_SEARCH_PARTIAL: return "partial";
	}
	return "?";
}

const char *pd_pmtud_name(enum pd_pmtud p)
{
	switch (p) {
	case PD_PMTUD_UNKNOWN: return "unknown";
	case PD_PMTUD_WORKS: return "works";
	case PD_PMTUD_BLACKHOLE: return "blackhole";
	case PD_PMTUD_LOCAL: return "local";
	case PD_PMTUD_WRONG_MTU: return "wrong-mtu";
	}
	return "?";
}

const char *pd_ptb_verdict_name(enum pd_ptb_verdict v)
{
	switch (v) {
	case PD_PTB_PENDING: return "pending";
	case PD_PTB_VERIFIED: return "verified";
	case PD_PTB_REFUTED: return "refuted";
	case PD_PTB_BELOW_RANGE: return "below-range";
	case PD_PTB_BOGUS_LOW: return "bogus-low";
	case PD_PTB_BOGUS_NOT_SMALLER: return "bogus-not-smaller";
	}
	return "?";
}

const char *pd_search_stop_name(enum pd_search_stop st)
{
	switch (st) {
	case PD_SEARCH_RUNNING: return "running";
	case PD_SEARCH_STOP_FOUND: return "found";
	case PD_SEARCH_STOP_NO_ANSWER: return "no-answer";
	case PD_SEARCH_STOP_SILENT: return "silent";
	case PD_SEARCH_STOP_PROBES: return "probe-budget";
	case PD_SEARCH_STOP_ROUNDS: return "round-budget";
	}
	return "?";
}
