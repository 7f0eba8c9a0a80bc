/* correlate.c - both-ends tunnel correlation (pathdiag/correlate.h).
 *
 * Two record streams are merged by time (B's shifted by the clock offset
 * estimated from their first records).  Each packet waits in a FIFO ring,
 * indexed by a chained hash on its identity, until the same identity turns
 * up from the other side (a match) or it is older than the window (judged
 * unmatched: lost when the other end was capturing then).  Matched entries
 * leave the hash at once and the ring when they reach its head, so memory
 * is the ring's fixed size plus per-flow size tables.
 */
#include <stdlib.h>
#include <string.h>

#include <pathdiag/correlate.h>

#define NIL UINT32_MAX

enum { DIR_UNKNOWN = 0, DIR_AB = 1, DIR_BA = 2 };

struct fsize {
	uint16_t size;
	uint64_t matched, unmatched;
};

struct flow {
	uint8_t kind;
	struct pd_tunrec_addr src, dst;
	int dir;
	uint64_t pkts, unjudged;
	bool prefix_match;
	int64_t min_d, max_d; /* t_B - t_A over prefix matches */
	struct fsize *sz;
	size_t nsz, capsz;
};

struct ent {
	uint64_t ident;
	uint32_t rcv;
	uint32_t next;
	int64_t t;     /* corrected time */
	uint16_t size, flow;
	uint8_t kind, wgt, side;
	bool matched;
};

struct side {
	struct pd_corr_src *src;
	struct pd_tunrec *pre;    /* prefix records */
	size_t npre, ipre;
	bool eof;
	bool started;
	int64_t first_t, last_t;  /* corrected */
	bool any_t;               /* last_t holds a time (engine times may be
				     negative: 0 is no "before everything") */
	struct flow *flows;
	size_t nflows;
};

struct way {
	int64_t max_send;
	bool any;
	int64_t res[PD_CORR_RESERVOIR];
	uint64_t n;
	int64_t min, max;
};

struct eng {
	struct pd_corr_opts o;
	struct side s[2];
	struct ent *ring;
	size_t cap;
	uint64_t head, tail;
	uint32_t *bucket;
	size_t nb;
	int64_t offset;
	struct way way[2];
	uint64_t rng;
	uint64_t base;  /* ns since the epoch that engine time 0 stands for */
	struct pd_corr_result *res;
	int err_code;
};

/* ---- flows ---------------------------------------------------------------------- */

static bool addr_eq(const struct pd_tunrec_addr *a, const struct pd_tunrec_addr *b)
{
	return a->family == b->family && !memcmp(a->addr, b->addr, 16);
}

/* The flow of r; when the table is full, the last flow takes every new
 * one (counted in *over when given). */
static int flow_of(struct side *sd, const struct pd_tunrec *r, uint64_t *over)
{
	size_t i;

	for (i = 0; i < sd->nflows; i++) {
		struct flow *f = &sd->flows[i];

		if (f->kind == r->kind && addr_eq(&f->src, &r->src) && addr_eq(&f->dst, &r->dst))
			return (int)i;
	}
	if (sd->nflows >= PD_CORR_MAX_FLOWS) {
		if (over)
			(*over)++;
		return PD_CORR_MAX_FLOWS - 1; /* the last flow takes the overflow */
	}
	i = sd->nflows++;
	memset(&sd->flows[i], 0, sizeof(sd->flows[i]));
	sd->flows[i].kind = r->kind;
	sd->flows[i].src = r->src;
	sd->flows[i].dst = r->dst;
	return (int)i;
}

static int flow_reverse(const struct side *sd, size_t fi)
{
	const struct flow *f = &sd->flows[fi];
	size_t i;

	for (i = 0; i < sd->nflows; i++) {
		const struct flow *g = &sd->flows[i];

		if (g->kind == f->kind && addr_eq(&g->src, &f->dst) && addr_eq(&g->dst, &f->src))
			return (int)i;
	}
	return -1;
}

static struct fsize *fsize_get(struct flow *f, uint16_t size)
{
	size_t lo = 0, hi = f->nsz;

	while (lo < hi) {
		size_t mid = (lo + hi) / 2;

		if (f->sz[mid].size < size)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo < f->nsz && f->sz[lo].size == size)
		return &f->sz[lo];
	if (f->nsz == f->capsz) {
		size_t nc = f->capsz ? f->capsz * 2 : 64;
		struct fsize *n = realloc(f->sz, nc * sizeof(*n));

		if (!n)
			return NULL;
		f->sz = n;
		f->capsz = nc;
	}
	memmove(&f->sz[lo + 1], &f->sz[lo], (f->nsz - lo) * sizeof(*f->sz));
	f->nsz++;
	memset(&f->sz[lo], 0, sizeof(f->sz[lo]));
	f->sz[lo].size = size;
	return &f->sz[lo];
}

/* ---- the pending table ------------------------------------------------------------ */

static uint64_t mix(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static size_t ent_hash(const struct eng *e, uint8_t kind, uint8_t wgt, uint32_t rcv,
		       uint64_t ident)
{
	return (size_t)(mix(ident ^ ((uint64_t)rcv << 16) ^ ((uint64_t)kind << 8) ^ wgt) &
			(e->nb - 1));
}

static void unlink_ent(struct eng *e, uint32_t slot)
{
	struct ent *x = &e->ring[slot];
	uint32_t *pp = &e->bucket[ent_hash(e, x->kind, x->wgt, x->rcv, x->ident)];

	while (*pp != NIL) {
		if (*pp == slot) {
			*pp = x->next;
			return;
		}
		pp = &e->ring[*pp].next;
	}
}

static int way_of(const struct flow *f)
{
	return f->dir == DIR_AB ? PD_CORR_AB : PD_CORR_BA;
}

/* Judge an entry that found no match. */
static int judge_unmatched(struct eng *e, const struct ent *x)
{
	const struct side *other = &e->s[!x->side];
	struct flow *f = &e->s[x->side].flows[x->flow];
	struct fsize *fs;

	bool done = other->eof && other->ipre >= other->npre;

	if (!other->started || x->t < other->first_t ||
	    (done && (!other->any_t || x->t > other->last_t))) {
		f->unjudged++;
		return 0;
	}
	fs = fsize_get(f, x->size);
	if (!fs)
		return PD_ERR_NOMEM;
	fs->unmatched++;
	return 0;
}

static int evict_head(struct eng *e)
{
	struct ent *x = &e->ring[e->head % e->cap];
	int rc = 0;

	if (!x->matched) {
		unlink_ent(e, (uint32_t)(e->head % e->cap));
		rc = judge_unmatched(e, x);
	}
	e->head++;
	return rc;
}

static uint64_t rnd(struct eng *e)
{
	e->rng ^= e->rng << 13;
	e->rng ^= e->rng >> 7;
	e->rng ^= e->rng << 17;
	return e->rng;
}

static void delay_sample(struct eng *e, int w, int64_t d)
{
	struct way *wy = &e->way[w];

	if (!wy->n || d < wy->min)
		wy->min = d;
	if (!wy->n || d > wy->max)
		wy->max = d;
	if (wy->n < PD_CORR_RESERVOIR) {
		wy->res[wy->n] = d;
	} else {
		uint64_t j = rnd(e) % (wy->n + 1);

		if (j < PD_CORR_RESERVOIR)
			wy->res[j] = d;
	}
	wy->n++;
}

/* The pair (A entry/record at ta in flow fa, B at tb in flow fb) matched. */
static int on_match(struct eng *e, int fa, int64_t ta, int fb, int64_t tb, uint16_t size_a,
		    uint16_t size_b)
{
	struct flow *a = &e->s[0].flows[fa], *b = &e->s[1].flows[fb];
	struct flow *snd;
	struct fsize *fs;
	int64_t d = tb - ta, send_t;
	int w;

	if (a->dir == DIR_UNKNOWN)
		a->dir = b->dir != DIR_UNKNOWN ? b->dir : (d >= 0 ? DIR_AB : DIR_BA);
	if (b->dir == DIR_UNKNOWN)
		b->dir = a->dir;
	w = way_of(a);
	snd = w == PD_CORR_AB ? a : b;
	fs = fsize_get(snd, w == PD_CORR_AB ? size_a : size_b);
	if (!fs)
		return PD_ERR_NOMEM;
	fs->matched++;
	e->res->matched++;
	delay_sample(e, w, w == PD_CORR_AB ? d : -d);
	/* Reordering: arrival of a packet sent before one that arrived already. */
	send_t = w == PD_CORR_AB ? ta : tb;
	if (e->way[w].any && send_t < e->way[w].max_send)
		e->res->dir[w].reordered++;
	else
		e->way[w].max_send = send_t;
	e->way[w].any = true;
	return 0;
}

static int process(struct eng *e, int s, const struct pd_tunrec *r, int64_t t)
{
	struct side *sd = &e->s[s];
	size_t h;
	uint32_t i, slot;
	int fi, rc;
	struct ent *x;

	if (!sd->started) {
		sd->started = true;
		sd->first_t = t;
	}
	if (!sd->any_t || t > sd->last_t) {
		sd->last_t = t;
		sd->any_t = true;
	}
	fi = flow_of(sd, r, &e->res->flows_overflow);
	sd->flows[fi].pkts++;
	/* Age out what waited longer than the window. */
	while (e->head < e->tail && e->ring[e->head % e->cap].t < t - (int64_t)e->o.window_ns) {
		rc = evict_head(e);
		if (rc)
			return rc;
	}
	h = ent_hash(e, r->kind, r->wg_type, r->wg_receiver, r->ident);
	for (i = e->bucket[h]; i != NIL; i = e->ring[i].next) {
		x = &e->ring[i];
		if (x->side != s && x->ident == r->ident && x->rcv == r->wg_receiver &&
		    x->kind == r->kind && x->wgt == r->wg_type) {
			x->matched = true;
			unlink_ent(e, i);
			if (s == 1)
				return on_match(e, x->flow, x->t, fi, t, x->size, r->outer_len);
			return on_match(e, fi, t, x->flow, x->t, r->outer_len, x->size);
		}
	}
	while (e->tail - e->head >= e->cap) {
		if (!e->ring[e->head % e->cap].matched)
			e->res->evicted_full++;
		rc = evict_head(e);
		if (rc)
			return rc;
	}
	slot = (uint32_t)(e->tail % e->cap);
	x = &e->ring[slot];
	x->ident = r->ident;
	x->rcv = r->wg_receiver;
	x->kind = r->kind;
	x->wgt = r->wg_type;
	x->side = (uint8_t)s;
	x->t = t;
	x->size = r->outer_len;
	x->flow = (uint16_t)fi;
	x->matched = false;
	x->next = e->bucket[h];
	e->bucket[h] = slot;
	e->tail++;
	if (e->tail - e->head > e->res->peak_pending)
		e->res->peak_pending = (size_t)(e->tail - e->head);
	return 0;
}

/* ---- the offset estimate ------------------------------------------------------------ */

struct keyed {
	uint64_t ident;
	uint32_t rcv;
	uint8_t kind, wgt;
	uint32_t idx;
	int64_t t;
};

static int keyed_cmp(const void *pa, const void *pb)
{
	const struct keyed *a = pa, *b = pb;

	if (a->kind != b->kind)
		return a->kind < b->kind ? -1 : 1;
	if (a->wgt != b->wgt)
		return a->wgt < b->wgt ? -1 : 1;
	if (a->rcv != b->rcv)
		return a->rcv < b->rcv ? -1 : 1;
	if (a->ident != b->ident)
		return a->ident < b->ident ? -1 : 1;
	if (a->t != b->t)
		return a->t < b->t ? -1 : 1;
	return 0;
}

/* Engine time of a timestamp: ns relative to e->base, clamped to
 * +-TIME_SPAN.  A record file may hold any 64-bit time; within the span
 * (36 years) every sum and difference the engine forms (delays, the clock
 * offset, the window) stays inside int64_t.  Found by fuzz_correlate. */
#define TIME_SPAN ((int64_t)1 << 60)

static int64_t eng_t(uint64_t base, uint64_t ns)
{
	uint64_t d = ns >= base ? ns - base : base - ns;
	int64_t v = d > (uint64_t)TIME_SPAN ? TIME_SPAN : (int64_t)d;

	return ns >= base ? v : -v;
}

static struct keyed *keyed_build(const struct pd_tunrec *r, size_t n, uint64_t base)
{
	struct keyed *k = malloc((n ? n : 1) * sizeof(*k));
	size_t i;

	if (!k)
		return NULL;
	for (i = 0; i < n; i++) {
		k[i].ident = r[i].ident;
		k[i].rcv = r[i].wg_receiver;
		k[i].kind = r[i].kind;
		k[i].wgt = r[i].wg_type;
		k[i].idx = (uint32_t)i;
		k[i].t = eng_t(base, r[i].ts_ns);
	}
	qsort(k, n, sizeof(*k), keyed_cmp);
	return k;
}

static int estimate(struct eng *e)
{
	struct side *A = &e->s[0], *B = &e->s[1];
	struct keyed *ka, *kb;
	size_t i = 0, j = 0, f;
	bool ab = false, ba = false;
	int64_t min_ab = 0, max_ba = 0;

	ka = keyed_build(A->pre, A->npre, e->base);
	kb = keyed_build(B->pre, B->npre, e->base);
	if (!ka || !kb) {
		free(ka);
		free(kb);
		return PD_ERR_NOMEM;
	}
	while (i < A->npre && j < B->npre) {
		struct keyed ta = ka[i], tb = kb[j];
		int c;

		ta.t = tb.t = 0;
		c = keyed_cmp(&ta, &tb);
		if (c < 0) {
			i++;
		} else if (c > 0) {
			j++;
		} else {
			struct flow *fl = &A->flows[flow_of(A, &A->pre[ka[i].idx], NULL)];
			int64_t d = kb[j].t - ka[i].t;

			if (!fl->prefix_match || d < fl->min_d)
				fl->min_d = d;
			if (!fl->prefix_match || d > fl->max_d)
				fl->max_d = d;
			fl->prefix_match = true;
			i++;
			j++;
		}
	}
	free(ka);
	free(kb);
	/* Of two opposite address pairs, the one whose t_B - t_A are larger
	 * carries A->B. */
	for (f = 0; f < A->nflows; f++) {
		struct flow *fl = &A->flows[f];
		int rv = flow_reverse(A, f);

		if (!fl->prefix_match || rv < 0 || !A->flows[rv].prefix_match)
			continue;
		fl->dir = fl->min_d > A->flows[rv].min_d ? DIR_AB : DIR_BA;
		if (fl->dir == DIR_AB && (!ab || fl->min_d < min_ab)) {
			min_ab = fl->min_d;
			ab = true;
		}
		if (fl->dir == DIR_BA && (!ba || fl->max_d > max_ba)) {
			max_ba = fl->max_d;
			ba = true;
		}
	}
	if (ab && ba) {
		e->offset = min_ab + (max_ba - min_ab) / 2;
		e->res->offset_known = true;
		e->res->offset_ns = e->offset;
		e->res->min_owd_ns = (min_ab - max_ba) / 2;
	}
	/* Pairs matched one way only: decided by the sign of their delay. */
	for (f = 0; f < A->nflows; f++) {
		struct flow *fl = &A->flows[f];

		if (fl->prefix_match && fl->dir == DIR_UNKNOWN)
			fl->dir = fl->min_d - e->offset >= 0 ? DIR_AB : DIR_BA;
	}
	/* Flows are created again, in stream order, by the main pass; keep
	 * only the directions learned here. */
	return 0;
}

/* ---- streams ------------------------------------------------------------------------ */

static int read_prefix(struct side *sd, size_t n, struct pd_error *err)
{
	int rc;

	sd->pre = malloc((n ? n : 1) * sizeof(*sd->pre));
	if (!sd->pre)
		return pd_fail(err, PD_ERR_NOMEM, 0, "no memory for the prefix");
	while (sd->npre < n) {
		rc = sd->src->next(sd->src->ctx, &sd->pre[sd->npre], err);
		if (rc < 0)
			return rc;
		if (rc == 0) {
			sd->eof = true;
			break;
		}
		sd->npre++;
	}
	return 0;
}

/* Peek the side's next record; false at its end. */
static int peek(struct side *sd, struct pd_tunrec *r, bool *have, struct pd_error *err)
{
	int rc;

	if (sd->ipre < sd->npre) {
		*r = sd->pre[sd->ipre];
		*have = true;
		return 0;
	}
	if (sd->eof) {
		*have = false;
		return 0;
	}
	rc = sd->src->next(sd->src->ctx, r, err);
	if (rc < 0)
		return rc;
	if (rc == 0) {
		sd->eof = true;
		*have = false;
		return 0;
	}
	/* Park it as a one-record prefix. */
	sd->pre[0] = *r;
	sd->npre = 1;
	sd->ipre = 0;
	*have = true;
	return 0;
}

/* ---- results ------------------------------------------------------------------------ */

static int cmp_i64(const void *pa, const void *pb)
{
	int64_t a = *(const int64_t *)pa, b = *(const int64_t *)pb;

	return a < b ? -1 : a > b;
}

static int64_t pct(const int64_t *v, size_t n, unsigned p)
{
	size_t i = (size_t)(((uint64_t)(n - 1) * p + 50) / 100);

	return v[i];
}

static int merge_sizes(struct pd_corr_dir *d, const struct flow *f)
{
	size_t i, j;

	for (i = 0; i < f->nsz; i++) {
		const struct fsize *s = &f->sz[i];

		for (j = 0; j < d->nsizes && d->sizes[j].size < s->size; j++)
			;
		if (j == d->nsizes || d->sizes[j].size != s->size) {
			struct pd_corr_size *n = realloc(d->sizes, (d->nsizes + 1) * sizeof(*n));

			if (!n)
				return PD_ERR_NOMEM;
			d->sizes = n;
			memmove(&n[j + 1], &n[j], (d->nsizes - j) * sizeof(*n));
			memset(&n[j], 0, sizeof(n[j]));
			n[j].size = s->size;
			d->nsizes++;
		}
		d->sizes[j].delivered += s->matched;
		d->sizes[j].lost += s->unmatched;
	}
	return 0;
}

static void resolve_dirs(struct eng *e)
{
	int s;
	size_t f, g;

	for (s = 0; s < 2; s++) {
		struct side *sd = &e->s[s];

		for (f = 0; f < sd->nflows; f++) {
			struct flow *fl = &sd->flows[f];
			int rv;

			if (fl->dir != DIR_UNKNOWN)
				continue;
			rv = flow_reverse(sd, f);
			if (rv >= 0 && sd->flows[rv].dir != DIR_UNKNOWN) {
				fl->dir = sd->flows[rv].dir == DIR_AB ? DIR_BA : DIR_AB;
				continue;
			}
			/* Same addresses at the other end (no NAT between them). */
			for (g = 0; g < e->s[!s].nflows; g++) {
				const struct flow *o = &e->s[!s].flows[g];

				if (o->dir != DIR_UNKNOWN && o->kind == fl->kind &&
				    addr_eq(&o->src, &fl->src) && addr_eq(&o->dst, &fl->dst)) {
					fl->dir = o->dir;
					break;
				}
			}
		}
	}
}

static int finish(struct eng *e)
{
	struct pd_corr_result *res = e->res;
	int w, s, rc;
	size_t f;
	uint64_t best[2] = { 0, 0 };

	resolve_dirs(e);
	for (s = 0; s < 2; s++) {
		struct side *sd = &e->s[s];

		res->flows[s] = sd->nflows;
		for (f = 0; f < sd->nflows; f++) {
			struct flow *fl = &sd->flows[f];
			uint64_t un = 0;
			size_t k;

			for (k = 0; k < fl->nsz; k++)
				un += fl->sz[k].unmatched;
			if (fl->dir == DIR_UNKNOWN) {
				res->unattributed += un;
				continue;
			}
			w = way_of(fl);
			/* Side A sends A->B, side B sends B->A. */
			if ((s == 0) == (w == PD_CORR_AB)) {
				struct pd_corr_dir *d = &res->dir[w];

				rc = merge_sizes(d, fl);
				if (rc)
					return rc;
				d->unjudged += fl->unjudged;
				if (fl->pkts > best[w]) {
					best[w] = fl->pkts;
					d->from = fl->src;
					d->to = fl->dst;
					d->kind = fl->kind;
				}
			} else {
				res->dir[w].unexpected += un;
			}
		}
	}
	for (w = 0; w < 2; w++) {
		struct pd_corr_dir *d = &res->dir[w];
		struct way *wy = &e->way[w];
		size_t k;

		for (k = 0; k < d->nsizes; k++) {
			d->delivered += d->sizes[k].delivered;
			d->lost += d->sizes[k].lost;
			if (d->sizes[k].delivered)
				d->largest_delivered = d->sizes[k].size;
			if (d->sizes[k].lost && !d->smallest_lost)
				d->smallest_lost = d->sizes[k].size;
		}
		d->sent = d->delivered + d->lost;
		d->present = d->sent > 0 || d->unjudged > 0;
		pd_corr_threshold(d, e->o.min_pkts);
		if (wy->n) {
			size_t n = wy->n < PD_CORR_RESERVOIR ? (size_t)wy->n : PD_CORR_RESERVOIR;

			qsort(wy->res, n, sizeof(wy->res[0]), cmp_i64);
			d->delay_known = true;
			d->delay_samples = wy->n;
			d->delay_min = wy->min;
			d->delay_max = wy->max;
			d->delay_p50 = pct(wy->res, n, 50);
			d->delay_p90 = pct(wy->res, n, 90);
			d->delay_p99 = pct(wy->res, n, 99);
		}
	}
	return 0;
}

void pd_corr_threshold(struct pd_corr_dir *d, unsigned min_pkts)
{
	size_t k, top;
	uint64_t lost_above = 0, sent_below = 0, deliv_below = 0, lost_below = 0;
	uint16_t thr = 0;
	double p = 1.0, rate;
	uint64_t i;

	if (!min_pkts)
		min_pkts = 3;
	d->size_dependent = false;
	d->threshold = d->mtu_lo = d->mtu_hi = 0;
	d->lost_above = d->sent_below = d->delivered_below = d->lost_below = 0;
	top = d->nsizes;
	while (top > 0 && d->sizes[top - 1].delivered == 0) {
		top--;
		lost_above += d->sizes[top].lost;
		if (d->sizes[top].lost)
			thr = d->sizes[top].size;
	}
	for (k = 0; k < top; k++) {
		deliv_below += d->sizes[k].delivered;
		lost_below += d->sizes[k].lost;
	}
	sent_below = deliv_below + lost_below;
	if (!thr || top == 0 || lost_above < min_pkts || deliv_below < min_pkts)
		return;
	/* Could random loss at the rate seen below explain the run? */
	rate = (double)lost_below / (double)sent_below;
	for (i = 0; i < lost_above && p >= 1e-6; i++)
		p *= rate;
	if (p >= 1e-6)
		return;
	d->size_dependent = true;
	d->threshold = thr;
	d->mtu_lo = d->sizes[top - 1].size;
	d->mtu_hi = (uint16_t)(thr - 1);
	d->lost_above = lost_above;
	d->sent_below = sent_below;
	d->delivered_below = deliv_below;
	d->lost_below = lost_below;
}

void pd_corr_result_free(struct pd_corr_result *res)
{
	if (!res)
		return;
	free(res->dir[0].sizes);
	free(res->dir[1].sizes);
	res->dir[0].sizes = res->dir[1].sizes = NULL;
	res->dir[0].nsizes = res->dir[1].nsizes = 0;
}

static void eng_free(struct eng *e)
{
	int s;
	size_t f;

	for (s = 0; s < 2; s++) {
		for (f = 0; e->s[s].flows && f < e->s[s].nflows; f++)
			free(e->s[s].flows[f].sz);
		free(e->s[s].flows);
		free(e->s[s].pre);
	}
	free(e->ring);
	free(e->bucket);
	free(e);
}

int pd_corr_run(const struct pd_corr_opts *opts, struct pd_corr_src *a, struct pd_corr_src *b,
		struct pd_corr_result *res, struct pd_error *err)
{
	struct eng *e;
	int rc = 0, s;
	size_t i, prefix;
	int dirs[PD_CORR_MAX_FLOWS];
	struct pd_tunrec keep[PD_CORR_MAX_FLOWS];
	size_t nkeep;

	if (!a || !b || !a->next || !b->next || !res)
		return pd_fail(err, PD_ERR_INVAL, 0, "missing stream or result");
	memset(res, 0, sizeof(*res));
	e = calloc(1, sizeof(*e));
	if (!e)
		return pd_fail(err, PD_ERR_NOMEM, 0, "no memory for the correlation");
	if (opts)
		e->o = *opts;
	if (!e->o.window_ns)
		e->o.window_ns = PD_CORR_DEFAULT_WINDOW_NS;
	if (!e->o.max_pending)
		e->o.max_pending = PD_CORR_DEFAULT_PENDING;
	if (e->o.window_ns > INT64_MAX / 4)
		e->o.window_ns = INT64_MAX / 4;
	if (!e->o.prefix)
		e->o.prefix = PD_CORR_DEFAULT_PREFIX;
	if (!e->o.min_pkts)
		e->o.min_pkts = 3;
	e->res = res;
	e->rng = 0x9e3779b97f4a7c15ULL;
	e->cap = e->o.max_pending;
	for (e->nb = 1; e->nb < e->cap; e->nb <<= 1)
		;
	e->ring = calloc(e->cap, sizeof(*e->ring));
	e->bucket = malloc(e->nb * sizeof(*e->bucket));
	e->s[0].src = a;
	e->s[1].src = b;
	for (s = 0; s < 2; s++)
		e->s[s].flows = calloc(PD_CORR_MAX_FLOWS, sizeof(struct flow));
	if (!e->ring || !e->bucket || !e->s[0].flows || !e->s[1].flows) {
		eng_free(e);
		return pd_fail(err, PD_ERR_NOMEM, 0, "no memory for the matching window");
	}
	memset(e->bucket, 0xff, e->nb * sizeof(*e->bucket));
	res->pending_cap = e->cap;
	prefix = e->o.prefix;
	for (s = 0; s < 2 && !rc; s++)
		rc = read_prefix(&e->s[s], prefix, err);
	/* engine time 0: A's first record (or B's, or A's start) */
	e->base = e->s[0].npre ? e->s[0].pre[0].ts_ns :
		  e->s[1].npre ? e->s[1].pre[0].ts_ns : a->start_ns;
	if (!rc)
		rc = estimate(e);
	if (rc) {
		eng_free(e);
		return rc == PD_ERR_NOMEM ? pd_fail(err, rc, 0, "no memory for the estimate") : rc;
	}
	/* Keep the directions the estimate learned, keyed by the flow's first
	 * record, and start the flow table afresh for the main pass. */
	nkeep = 0;
	for (i = 0; i < e->s[0].nflows; i++) {
		memset(&keep[nkeep], 0, sizeof(keep[nkeep]));
		keep[nkeep].kind = e->s[0].flows[i].kind;
		keep[nkeep].src = e->s[0].flows[i].src;
		keep[nkeep].dst = e->s[0].flows[i].dst;
		dirs[nkeep++] = e->s[0].flows[i].dir;
	}
	e->s[0].nflows = 0;
	for (i = 0; i < nkeep; i++)
		e->s[0].flows[flow_of(&e->s[0], &keep[i], NULL)].dir = dirs[i];
	for (s = 0; s < 2; s++) {
		if (e->s[s].src->start_ns) {
			e->s[s].started = true;
			e->s[s].first_t = eng_t(e->base, e->s[s].src->start_ns) -
					  (s ? e->offset : 0);
		}
	}

	for (;;) {
		struct pd_tunrec ra, rb;
		bool ha, hb;
		int64_t ta, tb;

		rc = peek(&e->s[0], &ra, &ha, err);
		if (!rc)
			rc = peek(&e->s[1], &rb, &hb, err);
		if (rc)
			break;
		if (!ha && !hb)
			break;
		ta = eng_t(e->base, ra.ts_ns);
		tb = eng_t(e->base, rb.ts_ns) - e->offset;
		if (ha && (!hb || ta <= tb)) {
			e->s[0].ipre++;
			res->records[0]++;
			rc = process(e, 0, &ra, ta);
		} else {
			e->s[1].ipre++;
			res->records[1]++;
			rc = process(e, 1, &rb, tb);
		}
		if (rc)
			break;
	}
	/* The capture end, when the stream knows it, bounds what was judged. */
	for (s = 0; s < 2 && !rc; s++) {
		struct side *sd = &e->s[s];
		int64_t end = eng_t(e->base, sd->src->end_ns) - (s ? e->offset : 0);

		if (sd->src->end_ns && sd->started && (!sd->any_t || end > sd->last_t)) {
			sd->last_t = end;
			sd->any_t = true;
		}
	}
	while (!rc && e->head < e->tail)
		rc = evict_head(e);
	if (!rc)
		rc = finish(e);
	eng_free(e);
	if (rc == PD_ERR_NOMEM)
		return pd_fail(err, rc, 0, "no memory for the size tables");
	return rc;
}
