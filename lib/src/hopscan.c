/* hopscan.c - where along a path a packet size stops (pathdiag/hopscan.h).
 *
 * Specs: RFC 792 / RFC 4443 3.3 (time exceeded), RFC 1191 4 / RFC 8201 4
 * (too big and its MTU), RFC 1812 4.3.2.8 (ICMP error rate limits).
 * The reasoning (monotony in TTL, control and anchor probes, waits) is in
 * the header; this file only keeps the books.
 */
#include <string.h>

#include <pathdiag/hopscan.h>

enum {
	F_LARGE = 1,
	F_ANSWERED = 2,
	F_LOSS = 4,       /* counted in st[].losses */
	F_ANCHORED = 8,   /* counted in st[].anchored */
	F_CONTROL = 16,   /* the small probe right after a large one */
	F_ANCHOR = 32,    /* the round's small probe to TTL a */
};

enum { P_UNKNOWN = 0, P_PASS, P_FAIL };

int pd_hops_init(struct pd_hops *h, const struct pd_hops_config *cfg, struct pd_error *err)
{
	unsigned fmin;

	memset(h, 0, sizeof(*h));
	if (cfg->family != 4 && cfg->family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "hop scan family must be 4 or 6");
	fmin = cfg->family == 6 ? 1280 : 68;
	if (cfg->small_size < 20 || cfg->small_size >= cfg->large_size ||
	    cfg->large_size > 65535)
		return pd_fail(err, PD_ERR_INVAL, 0, "hop scan sizes: need small < large <= 65535");
	if (cfg->large_size < fmin)
		return pd_fail(err, PD_ERR_INVAL, 0, "hop scan large size below the family minimum");
	if (cfg->max_ttl > PD_HOPS_MAX_TTL || cfg->tries > PD_SEARCH_TRIES_MAX ||
	    cfg->max_rounds > PD_HOPS_MAX_ROUNDS)
		return pd_fail(err, PD_ERR_INVAL, 0, "hop scan limit out of range");
	h->family = cfg->family;
	h->small_size = cfg->small_size;
	h->pass_size = cfg->pass_size;
	h->max_ttl = cfg->max_ttl ? cfg->max_ttl : PD_HOPS_DEFAULT_MAX_TTL;
	h->tries = cfg->tries ? cfg->tries : PD_HOPS_DEFAULT_TRIES;
	h->max_rounds = cfg->max_rounds ? cfg->max_rounds : PD_HOPS_DEFAULT_ROUNDS;
	h->window = h->max_ttl < PD_HOPS_WINDOW ? h->max_ttl : PD_HOPS_WINDOW;
	h->size = cfg->large_size;
	h->seg = 1;
	/* A size known to reach the target stops nowhere. */
	h->seg_active = !(cfg->pass_size && cfg->large_size <= cfg->pass_size);
	h->located = true;
	return 0;
}

/* The TTLs under consideration: up to the target once it is known. */
static unsigned horizon(const struct pd_hops *h)
{
	return h->res.target_ttl ? h->res.target_ttl : h->window;
}

static unsigned large_cap(const struct pd_hops *h)
{
	return 4 * h->tries + 2;
}

static bool small_spent(const struct pd_hops *h, unsigned t)
{
	return h->res.hop[t].small_reached || h->small_valid[t] >= PD_HOPS_SMALL_TRIES ||
	       h->res.hop[t].small_sent >= 3 * PD_HOPS_SMALL_TRIES;
}

static int pass_state(const struct pd_hops *h, unsigned t)
{
	const struct pd_hops_seg_ttl *s = &h->st[t];

	if (s->pass)
		return P_PASS;
	if (s->too_big || s->losses >= h->tries)
		return P_FAIL;
	return P_UNKNOWN;
}

/* a: largest TTL seen passing; b: smallest above it seen failing (0: none). */
static void bounds(const struct pd_hops *h, unsigned *a, unsigned *b)
{
	unsigned t, hz = horizon(h);

	*a = h->a;
	*b = 0;
	for (t = h->a + 1; t <= hz; t++)
		if (pass_state(h, t) == P_PASS)
			*a = t;
	for (t = *a + 1; t <= hz; t++)
		if (pass_state(h, t) == P_FAIL) {
			*b = t;
			break;
		}
}

static bool same_addr(const struct pd_search_addr *x, const struct pd_search_addr *y)
{
	return x->len && x->len == y->len && memcmp(x->bytes, y->bytes, x->len) == 0;
}

static void new_segment(struct pd_hops *h, unsigned size, unsigned a)
{
	h->seg++;
	h->size = size;
	h->a = a;
	memset(h->st, 0, sizeof(h->st));
}

/* Record the drop of the current size between hop a and hop b. */
static void record_drop(struct pd_hops *h, unsigned a, unsigned b, enum pd_hops_drop_kind kind)
{
	struct pd_hops_result *r = &h->res;
	struct pd_hops_drop d;
	unsigned t, next = 0;

	memset(&d, 0, sizeof(d));
	d.ttl = a;
	d.ttl_max = b > a + 1 ? b - 1 : a;
	d.size = (uint16_t)h->size;
	d.kind = kind;
	if (kind == PD_HOPS_DROP_PTB) {
		d.mtu = r->hop[b].mtu;
		d.addr = r->hop[b].ptb_from;
		/* The sender names the hop: normally hop a (the TTL ran out
		 * before the MTU was checked at hop a, so the probe to TTL a
		 * expired there); a router that checks the MTU first is hop b. */
		for (t = a; t <= b; t++)
			if (t && same_addr(&r->hop[t].addr, &d.addr)) {
				d.ttl = t;
				d.ttl_max = t;
				break;
			}
	} else if (a) {
		d.addr = r->hop[a].addr;
	}
	/* The smaller size stopping at the same place is the same drop. */
	if (r->ndrops && r->drop[r->ndrops - 1].ttl == d.ttl &&
	    r->drop[r->ndrops - 1].kind != PD_HOPS_DROP_PTB && kind != PD_HOPS_DROP_PTB) {
		h->seg_active = false;
		return;
	}
	if (r->ndrops < PD_HOPS_MAX_DROPS)
		r->drop[r->ndrops++] = d;
	h->seg_active = false;
	if (r->ndrops == PD_HOPS_MAX_DROPS)
		return;
	if (kind == PD_HOPS_DROP_PTB) {
		/* Follow the reported MTU beyond the hop that reported it. */
		if (d.mtu && d.mtu < h->size && !(h->pass_size && d.mtu <= h->pass_size))
			next = d.mtu;
	} else if (h->pass_size && h->pass_size + 1 < h->size) {
		/* The smallest size that fails end to end may pass this
		 * link and stop at a later one. */
		next = h->pass_size + 1;
	}
	if (next) {
		new_segment(h, next, d.ttl);
		h->seg_active = true;
	}
}

/* How the size stops at b, the first TTL it fails at above a: "too big"
 * seen; or tries losses, each while hop a answered the round's anchor; or
 * the probes to b are spent without either.  0: not known yet. */
static enum pd_hops_drop_kind kind_at(const struct pd_hops *h, unsigned a, unsigned b)
{
	const struct pd_hops_seg_ttl *s = &h->st[b];

	if (s->too_big)
		return PD_HOPS_DROP_PTB;
	if (s->anchor == a && s->anchored >= h->tries)
		return PD_HOPS_DROP_BLACKHOLE;
	if (s->sent >= large_cap(h))
		return PD_HOPS_DROP_UNSURE;
	return 0;
}

/* Decide the current size if the evidence allows; may start the next. */
static void evaluate(struct pd_hops *h)
{
	enum pd_hops_drop_kind k;
	unsigned a, b, t, hi, hz;
	bool all_spent = true;

	if (!h->seg_active)
		return;
	hz = horizon(h);
	for (t = h->a + 1; t <= hz; t++)
		if (h->st[t].pass && h->res.hop[t].target) {
			h->seg_active = false; /* the size reaches the target */
			return;
		}
	bounds(h, &a, &b);
	hi = b ? b - 1 : hz;
	for (t = a + 1; t <= hi; t++)
		if (h->st[t].sent < large_cap(h))
			all_spent = false;
	if (!all_spent)
		return;
	if (b) {
		/* b == a + 1, or the hops between never answered. */
		k = kind_at(h, a, b);
		if (k)
			record_drop(h, a, b, k);
	} else if (h->res.target_ttl || h->window >= h->max_ttl) {
		/* Nothing more to learn about this size. */
		h->seg_active = false;
		h->located = false;
	}
}

/* Grow the explored TTLs while the target has not answered and every hop
 * so far answered or had its tries. */
static void extend_window(struct pd_hops *h)
{
	unsigned t;

	if (h->res.target_ttl || h->window >= h->max_ttl)
		return;
	for (t = 1; t <= h->window; t++)
		if (!small_spent(h, t))
			return;
	h->window += PD_HOPS_WINDOW;
	if (h->window > h->max_ttl)
		h->window = h->max_ttl;
}

static int add(struct pd_hops *h, struct pd_hops_probe *out, size_t cap, size_t *n,
	       unsigned ttl, bool large, uint8_t flags, struct pd_error *err)
{
	struct pd_hops_rec *r;

	if (*n >= cap)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "hop scan plan needs more room");
	r = &h->rec[h->nrec];
	memset(r, 0, sizeof(*r));
	r->ttl = (uint8_t)ttl;
	r->size = (uint16_t)(large ? h->size : h->small_size);
	r->flags = (uint8_t)(flags | (large ? F_LARGE : 0));
	r->round = (uint16_t)h->nrounds;
	r->seg = (uint16_t)h->seg;
	out[*n].id = h->nrec + 1;
	out[*n].size = r->size;
	out[*n].ttl = (uint8_t)ttl;
	out[*n].large = large;
	h->nrec++;
	(*n)++;
	if (large) {
		struct pd_hops_hop *hp = &h->res.hop[ttl];

		h->st[ttl].sent++;
		if (hp->large_size != h->size) {
			hp->large = PD_HOPS_NOT_PROBED;
			hp->large_size = (uint16_t)h->size;
			hp->large_sent = 0;
			hp->large_lost = 0;
		}
		hp->large_sent++;
	} else {
		h->res.hop[ttl].small_sent++;
	}
	return 0;
}

int pd_hops_plan(struct pd_hops *h, struct pd_hops_probe *out, size_t cap, size_t *n,
		 uint32_t *wait_us, struct pd_error *err)
{
	bool want[PD_HOPS_MAX_TTL + 2] = { false };
	unsigned cand[PD_HOPS_MAX_TTL + 1];
	unsigned a = 0, b = 0, t, hz, nc = 0, i;
	int rc;

	*n = 0;
	*wait_us = 0;
	if (h->open)
		return pd_fail(err, PD_ERR_INVAL, 0, "hop scan round still open");
	if (h->stop)
		return 0;
	if (h->nrounds >= h->max_rounds) {
		h->stop = PD_HOPS_STOP_ROUNDS;
		return 0;
	}
	if (h->nrec + PD_HOPS_ROUND_MAX > PD_HOPS_MAX_PROBES) {
		h->stop = PD_HOPS_STOP_PROBES;
		return 0;
	}
	extend_window(h);
	evaluate(h);
	hz = horizon(h);
	if (h->seg_active) {
		unsigned hi;

		bounds(h, &a, &b);
		hi = b ? b - 1 : hz;
		/* Beyond the first window, large probes wait for the target's
		 * distance: then (a, target] is searched, not swept. */
		if (!h->res.target_ttl && h->window < h->max_ttl && hi > PD_HOPS_WINDOW)
			hi = PD_HOPS_WINDOW;
		for (t = a + 1; t <= hi; t++)
			if (pass_state(h, t) == P_UNKNOWN && h->st[t].sent < large_cap(h))
				cand[nc++] = t;
		/* The first failing TTL is probed until it says how the
		 * size stops there. */
		if (b && nc < PD_HOPS_WINDOW && !kind_at(h, a, b))
			cand[nc++] = b;
		if (nc > PD_HOPS_WINDOW) {
			/* The middles of PD_HOPS_WINDOW equal parts. */
			for (i = 0; i < PD_HOPS_WINDOW; i++)
				want[cand[((2 * i + 1) * nc) / (2 * PD_HOPS_WINDOW)]] = true;
		} else {
			for (i = 0; i < nc; i++)
				want[cand[i]] = true;
		}
	}
	nc = 0;
	for (t = 1; t <= hz; t++) {
		if (want[t]) {
			rc = add(h, out, cap, n, t, true, 0, err);
			if (rc == 0)
				rc = add(h, out, cap, n, t, false, F_CONTROL, err);
			nc++;
		} else if (!small_spent(h, t)) {
			rc = add(h, out, cap, n, t, false, 0, err);
		} else {
			rc = 0;
		}
		if (rc < 0)
			return rc;
	}
	h->anchor_id = 0;
	if (nc && a >= 1) {
		rc = add(h, out, cap, n, a, false, F_ANCHOR, err);
		if (rc < 0)
			return rc;
		h->anchor_id = h->nrec;
	}
	if (*n == 0) {
		if (h->seg_active)
			h->located = false;
		h->stop = PD_HOPS_STOP_DONE;
		return 0;
	}
	h->round_first[h->nrounds] = h->nrec - (uint32_t)*n;
	h->nrounds++;
	h->open = true;
	*wait_us = h->wait_us;
	return 0;
}

/* Undo the loss counted for a probe whose answer came late. */
static void uncount(struct pd_hops *h, struct pd_hops_rec *r)
{
	struct pd_hops_seg_ttl *s = &h->st[r->ttl];

	if (r->seg != h->seg)
		return;
	if ((r->flags & F_LOSS) && s->losses)
		s->losses--;
	if ((r->flags & F_ANCHORED) && s->anchored)
		s->anchored--;
	r->flags &= (uint8_t)~(F_LOSS | F_ANCHORED);
}

int pd_hops_feed(struct pd_hops *h, uint32_t id, const struct pd_hops_outcome *o,
		 struct pd_error *err)
{
	struct pd_hops_rec *r;
	struct pd_hops_hop *hp;
	bool large, current;

	if (id == 0 || id > h->nrec)
		return pd_fail(err, PD_ERR_NOTFOUND, 0, "no hop scan probe with this id");
	if (o->kind < PD_HOPS_EXPIRED || o->kind > PD_HOPS_TOO_BIG)
		return pd_fail(err, PD_ERR_INVAL, 0, "unknown hop scan answer");
	r = &h->rec[id - 1];
	if (r->flags & F_ANSWERED)
		return 0;
	r->flags |= F_ANSWERED;
	uncount(h, r);
	hp = &h->res.hop[r->ttl];
	large = r->flags & F_LARGE;
	current = large && r->seg == h->seg && h->seg_active;

	if (o->kind == PD_HOPS_TOO_BIG) {
		if (!large)
			return 0; /* a control cannot be too big: not believed */
		if (current)
			h->st[r->ttl].too_big = true;
		if (hp->large_size == r->size && hp->large != PD_HOPS_PASSED) {
			hp->large = PD_HOPS_TOO_BIG_AT;
			hp->mtu = o->mtu;
			hp->ptb_from = o->from;
		}
		return 0;
	}
	if (!hp->answered || !hp->addr.len) {
		hp->answered = true;
		if (o->from.len)
			hp->addr = o->from;
	}
	if (o->rtt_us && (!hp->rtt_us || o->rtt_us < hp->rtt_us))
		hp->rtt_us = o->rtt_us;
	if (o->kind == PD_HOPS_REACHED) {
		hp->target = true;
		if (!h->res.target_ttl || r->ttl < h->res.target_ttl)
			h->res.target_ttl = r->ttl;
	}
	if (!large) {
		hp->small_reached = true;
		return 0;
	}
	if (current)
		h->st[r->ttl].pass = 1;
	if (hp->large_size == r->size)
		hp->large = PD_HOPS_PASSED;
	return 0;
}

int pd_hops_end_round(struct pd_hops *h, struct pd_error *err)
{
	uint32_t i, first, end = h->nrec;
	bool anchor_ok, incomplete = false;
	unsigned anchor_ttl = 0;

	if (!h->open)
		return pd_fail(err, PD_ERR_INVAL, 0, "no hop scan round open");
	h->open = false;
	first = h->round_first[h->nrounds - 1];
	anchor_ok = true;
	if (h->anchor_id) {
		anchor_ttl = h->rec[h->anchor_id - 1].ttl;
		anchor_ok = h->rec[h->anchor_id - 1].flags & F_ANSWERED;
	}
	for (i = first; i < end; i++) {
		struct pd_hops_rec *r = &h->rec[i];
		uint32_t j;
		struct pd_hops_seg_ttl *s = &h->st[r->ttl];
		struct pd_hops_hop *hp = &h->res.hop[r->ttl];
		bool control_ok;

		if (r->flags & F_ANSWERED)
			continue;
		if (!(r->flags & F_LARGE)) {
			/* A hop (or the target) that answered before fell
			 * silent, or one not yet known to be silent: a rate
			 * limit may be spent. */
			if (hp->answered || !small_spent(h, r->ttl) ||
			    (h->res.target_ttl && r->ttl >= h->res.target_ttl))
				incomplete = true;
			for (j = i + 1; j < end; j++)
				if (h->rec[j].flags & F_ANSWERED) {
					if (h->small_valid[r->ttl] < 255)
						h->small_valid[r->ttl]++;
					break;
				}
			continue;
		}
		control_ok = i + 1 < end && (h->rec[i + 1].flags & F_CONTROL) &&
			     (h->rec[i + 1].flags & F_ANSWERED);
		if (control_ok && r->seg == h->seg) {
			s->losses++;
			r->flags |= F_LOSS;
			if (anchor_ok) {
				if (s->anchor != anchor_ttl) {
					s->anchor = (uint8_t)anchor_ttl;
					s->anchored = 0;
				}
				s->anchored++;
				r->flags |= F_ANCHORED;
			}
		}
		if (hp->large_size == r->size && hp->large != PD_HOPS_PASSED &&
		    hp->large != PD_HOPS_TOO_BIG_AT) {
			hp->large = control_ok || hp->large == PD_HOPS_LOST ? PD_HOPS_LOST
									    : PD_HOPS_NO_ANSWER;
			if (control_ok)
				hp->large_lost++;
		}
	}
	/* Back off while answers are missing; a complete round halves the
	 * wait (not to zero at once: a router that needs two tokens a round
	 * would alternate between answering and not). */
	if (incomplete)
		h->wait_us = h->wait_us ? h->wait_us * 2 : PD_HOPS_WAIT_MIN_US;
	else if (h->wait_us)
		h->wait_us = h->wait_us / 2 >= PD_HOPS_WAIT_MIN_US ? h->wait_us / 2 : 0;
	if (h->wait_us > PD_HOPS_WAIT_MAX_US)
		h->wait_us = PD_HOPS_WAIT_MAX_US;
	evaluate(h);
	return 0;
}

bool pd_hops_done(const struct pd_hops *h)
{
	return h->stop != PD_HOPS_RUNNING;
}

void pd_hops_result(const struct pd_hops *h, struct pd_hops_result *r)
{
	unsigned t;

	*r = h->res;
	r->stop = h->stop;
	r->located = h->located && !h->seg_active;
	r->probes = h->nrec;
	r->rounds = h->nrounds;
	r->nhops = h->res.target_ttl;
	if (!r->nhops)
		for (t = 1; t <= PD_HOPS_MAX_TTL; t++)
			if (h->res.hop[t].small_sent || h->res.hop[t].large_sent)
				r->nhops = t;
}

const char *pd_hops_large_name(enum pd_hops_large l)
{
	switch (l) {
	case PD_HOPS_NOT_PROBED:
		return "not-probed";
	case PD_HOPS_PASSED:
		return "passed";
	case PD_HOPS_TOO_BIG_AT:
		return "too-big";
	case PD_HOPS_LOST:
		return "lost";
	case PD_HOPS_NO_ANSWER:
		return "no-answer";
	}
	return "?";
}

const char *pd_hops_drop_kind_name(enum pd_hops_drop_kind k)
{
	switch (k) {
	case PD_HOPS_DROP_PTB:
		return "ptb";
	case PD_HOPS_DROP_BLACKHOLE:
		return "blackhole";
	case PD_HOPS_DROP_UNSURE:
		return "unsure";
	}
	return "?";
}
