/* fuzz_search.c - libFuzzer target for the path MTU search engine
 * (pathdiag/search.h): arbitrary configurations and arbitrary answers.
 *
 * Input: a 12-byte configuration header, then a byte stream the answers are
 * read from (when it runs out, every probe is lost, so the search must still
 * end by its budgets or its silence rules):
 *
 *   0      flags: bit 0 family (0 -> 4, 1 -> 6), bit 1 own candidate list,
 *          bit 2 min_size 0 (family minimum), bit 3 small plan buffers
 *   1..2   max_size (big endian, taken as is: may be invalid)
 *   3..4   min_size
 *   5      tries      6 max_rounds     7..8 max_probes     9 ncandidates
 *   10..11 first candidate seed (candidates are spread from it)
 *
 * Free mode: per probe, one byte picks the outcome (none, ACK, TOO_BIG with a
 * 16-bit MTU and an address length that may be too long, LOST, LOCAL_TOO_BIG),
 * and some values feed a late outcome to an earlier probe, an unknown id or a
 * bad kind.
 *
 * Path mode (flags bit 4): answers come from a hidden path MTU P and local MTU
 * L read from the input.  Sizes above L are refused locally (with L), sizes
 * above P are lost or draw a PTB with any MTU (true, lying or bogus), sizes up
 * to P are acknowledged - except in rounds the input marks as bursts, where
 * everything from some probe on, trailing controls included, is lost (loss or
 * rate limiting that the controls reveal).  Whatever the routers claim, the
 * answer must then be exact: FOUND means pmtu == min(P, L), and any bounds
 * must hold (largest_ok <= min(P, L) < smallest_lost).
 *
 * Contract checked (FZ_CHECK): init accepts exactly the valid configurations;
 * every plan fits its buffer, holds consecutive ids, sizes within [min, max],
 * controls of min size and a control last; never more probes or rounds than
 * the budgets; the search ends within max_rounds plans; the error convention;
 * the result is consistent (largest_ok < smallest_lost when both set; largest_ok
 * is the largest size this harness acknowledged; pmtu only when FOUND, and then
 * pmtu + 1 is failed by a PTB, a local refusal or at least `tries` losses in
 * rounds whose trailing control was answered - or pmtu is the local bound); the
 * counters equal this harness's own count of what it fed; and the same input
 * gives the same result twice.
 */
#include <pathdiag/search.h>

#include "fuzz_common.h"

struct in {
	const uint8_t *p;
	size_t n, off;
};

static unsigned get8(struct in *in)
{
	return in->off < in->n ? in->p[in->off++] : 0;
}

static unsigned get16(struct in *in)
{
	unsigned hi = get8(in);

	return hi << 8 | get8(in);
}

static bool more(const struct in *in)
{
	return in->off < in->n;
}

/* This harness's own model of each probe, to check the engine against. */
struct model {
	uint16_t size;
	uint8_t kind;   /* final outcome as the API defines it */
	bool bogus;     /* TOO_BIG with an impossible MTU */
	bool control, trail;
	uint16_t round;
};

struct run {
	struct pd_search_result res;
	unsigned plans;
};

/* Path mode: the outcome of probe k of a round of n, cut = first probe of a
 * burst (n: none). */
static void path_answer(struct in *in, unsigned size, size_t k, size_t cut, unsigned pmtu,
			unsigned lmtu, struct pd_search_outcome *o)
{
	unsigned sel;

	memset(o, 0, sizeof(*o));
	o->from.family = 4;
	o->from.len = 4;
	o->from.bytes[3] = 1;
	if (size > lmtu) {
		o->kind = PD_SEARCH_LOCAL_TOO_BIG;
		o->mtu = lmtu;
		return;
	}
	if (k >= cut) {
		o->kind = PD_SEARCH_LOST;
		return;
	}
	if (size <= pmtu) {
		o->kind = PD_SEARCH_ACKED;
		return;
	}
	sel = get8(in);
	switch (sel & 3) {
	case 0:
		o->kind = PD_SEARCH_LOST;
		break;
	case 1:
		o->kind = PD_SEARCH_TOO_BIG;
		o->mtu = pmtu;
		break;
	default:
		o->kind = PD_SEARCH_TOO_BIG;
		o->mtu = get16(in);
		o->from.bytes[3] = (uint8_t)sel;
		break;
	}
}

static struct model mdl[PD_SEARCH_MAX_PROBES];

static void feed_model(struct model *m, const struct pd_search_outcome *o, unsigned fmin,
		       unsigned *bogus_low, unsigned *bogus_ns)
{
	switch (o->kind) {
	case PD_SEARCH_ACKED:
		m->kind = PD_SEARCH_ACKED;
		m->bogus = false;
		break;
	case PD_SEARCH_TOO_BIG:
		if (m->kind != PD_SEARCH_PENDING && m->kind != PD_SEARCH_LOST)
			break;
		m->kind = PD_SEARCH_TOO_BIG;
		if (o->mtu < fmin) {
			m->bogus = true;
			(*bogus_low)++;
		} else if (o->mtu >= m->size) {
			m->bogus = true;
			(*bogus_ns)++;
		}
		break;
	case PD_SEARCH_LOST:
		if (m->kind == PD_SEARCH_PENDING)
			m->kind = PD_SEARCH_LOST;
		break;
	case PD_SEARCH_LOCAL_TOO_BIG:
		if (m->kind == PD_SEARCH_PENDING || m->kind == PD_SEARCH_LOST)
			m->kind = PD_SEARCH_LOCAL_TOO_BIG;
		break;
	default:
		break;
	}
}

static bool round_valid(const struct model *m, uint32_t n, unsigned round)
{
	uint32_t i;

	for (i = 0; i < n; i++)
		if (m[i].round == round && m[i].trail && m[i].kind == PD_SEARCH_ACKED)
			return true;
	return false;
}

static void check_result(const struct pd_search_result *r, uint32_t nrec, unsigned fmin,
			 unsigned min, unsigned max, unsigned max_probes, unsigned max_rounds,
			 unsigned bogus_low, unsigned bogus_ns)
{
	unsigned lo = 0, i, acked = 0, lost = 0, tb = 0, loc = 0;

	for (i = 0; i < nrec; i++) {
		if (mdl[i].kind == PD_SEARCH_ACKED && mdl[i].size > lo)
			lo = mdl[i].size;
		acked += mdl[i].kind == PD_SEARCH_ACKED;
		lost += mdl[i].kind == PD_SEARCH_LOST;
		tb += mdl[i].kind == PD_SEARCH_TOO_BIG;
		loc += mdl[i].kind == PD_SEARCH_LOCAL_TOO_BIG;
	}
	FZ_CHECK(r->probes == nrec);
	FZ_CHECK(r->probes <= max_probes);
	FZ_CHECK(r->rounds <= max_rounds);
	FZ_CHECK(r->acked == acked && r->lost == lost && r->too_big == tb &&
		 r->local_too_big == loc);
	FZ_CHECK(r->bogus_low == bogus_low && r->bogus_not_smaller == bogus_ns);
	FZ_CHECK(r->bogus_ptb == bogus_low + bogus_ns);
	FZ_CHECK(r->largest_ok == lo);
	FZ_CHECK(r->max_size <= max && r->max_size >= min);
	if (r->largest_ok && r->smallest_lost)
		FZ_CHECK(r->largest_ok < r->smallest_lost);
	if (r->smallest_lost)
		FZ_CHECK(r->smallest_lost >= min && r->smallest_lost <= max);
	FZ_CHECK(r->nptb <= PD_SEARCH_MAX_PTB);
	FZ_CHECK(r->tries >= 1 && r->tries <= PD_SEARCH_TRIES_MAX);

	if (r->status == PD_SEARCH_UNKNOWN) {
		FZ_CHECK(lo == 0);
		FZ_CHECK(r->pmtu == 0 && r->pmtud == PD_PMTUD_UNKNOWN);
	} else if (r->status == PD_SEARCH_PARTIAL) {
		FZ_CHECK(lo > 0 && r->pmtu == 0);
	} else {
		unsigned fail = r->pmtu + 1, hard = 0, soft = 0;

		FZ_CHECK(r->status == PD_SEARCH_FOUND);
		FZ_CHECK(r->pmtu == lo && lo >= min);
		if (r->pmtud == PD_PMTUD_LOCAL) {
			FZ_CHECK(r->pmtu == r->max_size);
		} else {
			/* pmtu + 1 must be failed by evidence this harness fed */
			FZ_CHECK(r->smallest_lost == fail);
			for (i = 0; i < nrec; i++) {
				if (mdl[i].size != fail)
					continue;
				/* A router's "too big" fails the size even when
				 * its MTU is bogus; silence only in valid rounds. */
				if (mdl[i].kind == PD_SEARCH_TOO_BIG ||
				    mdl[i].kind == PD_SEARCH_LOCAL_TOO_BIG)
					hard++;
				else if (mdl[i].kind == PD_SEARCH_LOST && !mdl[i].trail &&
					 round_valid(mdl, nrec, mdl[i].round))
					soft++;
			}
			FZ_CHECK(hard > 0 || soft >= r->tries);
		}
		if (r->pmtud == PD_PMTUD_WORKS) {
			FZ_CHECK(r->ptb_verified >= 0 && (size_t)r->ptb_verified < r->nptb);
			FZ_CHECK(r->ptb[r->ptb_verified].mtu == r->pmtu);
			FZ_CHECK(r->ptb[r->ptb_verified].verdict == PD_PTB_VERIFIED);
		}
	}
	(void)fmin;
}

static void run_once(const uint8_t *data, size_t size, struct run *out)
{
	static const uint16_t base_cand[] = { 1500, 1280, 576 };
	struct pd_search_config cfg;
	struct pd_search *s = malloc(sizeof(*s));
	struct pd_search_probe pr[PD_SEARCH_ROUND_MAX];
	uint16_t cand[PD_SEARCH_MAX_CANDIDATES + 2];
	struct pd_error err;
	struct in in = { data, size, 0 };
	unsigned flags, fmin, min, max, eff_rounds, eff_probes, bogus_low = 0, bogus_ns = 0;
	unsigned nc, i, seedc, pmtu = 0, lmtu = 0, truth = 0;
	uint64_t now = 1;
	bool valid;
	int rc;

	if (!s)
		abort();
	memset(out, 0, sizeof(*out));
	memset(&cfg, 0, sizeof(cfg));
	flags = get8(&in);
	cfg.family = flags & 1 ? 6 : 4;
	cfg.max_size = get16(&in);
	cfg.min_size = flags & 4 ? 0 : get16(&in);
	if (flags & 4)
		(void)get16(&in);
	cfg.tries = get8(&in) % 24;
	cfg.max_rounds = get8(&in) % 80;
	cfg.max_probes = get16(&in) % 600;
	nc = get8(&in) % (PD_SEARCH_MAX_CANDIDATES + 2);
	seedc = get16(&in);
	if (flags & 2) {
		for (i = 0; i < nc; i++)
			cand[i] = (uint16_t)(seedc + i * 37u * (seedc % 7 + 1));
		cfg.candidates = nc ? cand : base_cand;
		cfg.ncandidates = nc ? nc : 3;
	}

	fmin = cfg.family == 4 ? 68 : 1280;
	max = cfg.max_size;
	min = cfg.min_size ? cfg.min_size : fmin;
	valid = max >= fmin && max <= 65535 && min >= fmin && min <= max &&
		cfg.ncandidates <= PD_SEARCH_MAX_CANDIDATES;
	fz_err_poison(&err);
	rc = pd_search_init(s, &cfg, &err);
	if (!valid) {
		FZ_CHECK(rc == PD_ERR_INVAL && err.code == PD_ERR_INVAL);
		fz_check_what(err.what);
		free(s);
		return;
	}
	FZ_CHECK(rc == PD_OK);
	eff_rounds = cfg.max_rounds ? cfg.max_rounds : PD_SEARCH_DEFAULT_ROUNDS;
	if (eff_rounds > PD_SEARCH_MAX_ROUNDS)
		eff_rounds = PD_SEARCH_MAX_ROUNDS;
	eff_probes = cfg.max_probes ? cfg.max_probes : PD_SEARCH_DEFAULT_PROBES;
	if (eff_probes > PD_SEARCH_MAX_PROBES)
		eff_probes = PD_SEARCH_MAX_PROBES;
	if (flags & 16) {
		pmtu = min + get16(&in) % (max - min + 1);
		lmtu = get8(&in) & 1 ? min + get16(&in) % (max - min + 1) : max;
		truth = pmtu < lmtu ? pmtu : lmtu;
	}

	while (!pd_search_done(s)) {
		size_t cap = flags & 8 ? 2 + get8(&in) % 8 : PD_SEARCH_ROUND_MAX;
		size_t n = 12345, k;
		uint32_t nrec_before = out->res.probes;

		fz_err_poison(&err);
		rc = pd_search_plan(s, now, pr, cap, &n, &err);
		FZ_CHECK(rc == PD_OK);
		if (n == 0) {
			FZ_CHECK(pd_search_done(s));
			break;
		}
		out->plans++;
		FZ_CHECK(out->plans <= eff_rounds);
		FZ_CHECK(n >= 1 && n <= cap);
		FZ_CHECK(nrec_before + n <= eff_probes);
		FZ_CHECK(pr[n - 1].is_control);
		for (k = 0; k < n; k++) {
			struct model *m = &mdl[pr[k].id];

			FZ_CHECK(pr[k].id == nrec_before + k);
			FZ_CHECK(pr[k].size >= min && pr[k].size <= max);
			if (pr[k].is_control)
				FZ_CHECK(pr[k].size == min);
			if (k > 0 && !pr[k - 1].is_control && !pr[k].is_control)
				FZ_CHECK(pr[k].size <= pr[k - 1].size);
			memset(m, 0, sizeof(*m));
			m->size = pr[k].size;
			m->control = pr[k].is_control;
			m->round = (uint16_t)(out->plans - 1);
		}
		/* trailing controls: those after the last data probe */
		for (k = n; k-- > 0 && pr[k].is_control;)
			mdl[pr[k].id].trail = true;
		out->res.probes = nrec_before + (unsigned)n;

		/* A second plan while the round is open is refused. */
		{
			size_t n2 = 7;

			fz_err_poison(&err);
			FZ_CHECK(pd_search_plan(s, now, pr + 0, 0, &n2, &err) == PD_ERR_INVAL);
			FZ_CHECK(n2 == 0 && err.code == PD_ERR_INVAL);
		}

		if (flags & 16) {
			/* a burst round: from probe cut on, all is lost */
			size_t cut = get8(&in) % 4 == 0 ? get8(&in) % n : n;

			for (k = 0; k < n; k++) {
				struct pd_search_outcome o;

				path_answer(&in, pr[k].size, k, cut, pmtu, lmtu, &o);
				fz_err_poison(&err);
				FZ_CHECK(pd_search_feed(s, pr[k].id, &o, &err) == PD_OK);
				feed_model(&mdl[pr[k].id], &o, fmin, &bogus_low, &bogus_ns);
			}
		}
		for (k = 0; k < (flags & 16 ? 0 : n); k++) {
			struct pd_search_outcome o;
			unsigned sel = more(&in) ? get8(&in) : 3;
			uint32_t id = pr[k].id;

			memset(&o, 0, sizeof(o));
			switch (sel % 10) {
			case 0:
				continue; /* nothing: lost at end of round */
			case 1:
			case 2:
				o.kind = PD_SEARCH_ACKED;
				break;
			case 3:
				o.kind = PD_SEARCH_LOST;
				break;
			case 4:
			case 5:
				o.kind = PD_SEARCH_TOO_BIG;
				/* any MTU, or one just below the probe, or 1280 */
				if (sel & 0x80)
					o.mtu = get16(&in);
				else
					o.mtu = get8(&in) ? pr[k].size - 1u : 1280u;
				o.from.family = 4;
				o.from.len = (uint8_t)(get8(&in) % 20);
				memset(o.from.bytes, (int)(sel >> 4), sizeof(o.from.bytes));
				break;
			case 6:
				o.kind = PD_SEARCH_LOCAL_TOO_BIG;
				o.mtu = get16(&in);
				break;
			case 7:
				/* a late answer for an earlier probe */
				o.kind = sel & 0x80 ? PD_SEARCH_ACKED : PD_SEARCH_TOO_BIG;
				o.mtu = get16(&in);
				o.from.len = 4;
				id = nrec_before ? get16(&in) % nrec_before : id;
				break;
			case 8: {
				struct pd_search_outcome bad;

				memset(&bad, 0, sizeof(bad));
				bad.kind = (enum pd_search_kind)(sel % 3 ? 0 : 77);

				fz_err_poison(&err);
				FZ_CHECK(pd_search_feed(s, id, &bad, &err) == PD_ERR_INVAL);
				FZ_CHECK(err.code == PD_ERR_INVAL);
				continue;
			}
			default:
				fz_err_poison(&err);
				o.kind = PD_SEARCH_ACKED;
				FZ_CHECK(pd_search_feed(s, eff_probes + sel, &o, &err) ==
					 PD_ERR_NOTFOUND);
				FZ_CHECK(err.code == PD_ERR_NOTFOUND);
				fz_check_what(err.what);
				continue;
			}
			fz_err_poison(&err);
			rc = pd_search_feed(s, id, &o, &err);
			if (o.kind == PD_SEARCH_TOO_BIG && o.from.len > PD_SEARCH_ADDR_MAX) {
				FZ_CHECK(rc == PD_ERR_INVAL);
				continue;
			}
			FZ_CHECK(rc == PD_OK);
			feed_model(&mdl[id], &o, fmin, &bogus_low, &bogus_ns);
		}
		if (more(&in) && (in.p[in.off] & 0xc0) == 0xc0) {
			/* look at the result in the middle of a round */
			struct pd_search_result mid;

			pd_search_result(s, &mid);
			FZ_CHECK(!mid.largest_ok || !mid.smallest_lost ||
				 mid.largest_ok < mid.smallest_lost);
		}
		now += 1 + get16(&in);
		fz_err_poison(&err);
		FZ_CHECK(pd_search_end_round(s, now, &err) == PD_OK);
		for (k = 0; k < n; k++)
			if (mdl[pr[k].id].kind == PD_SEARCH_PENDING)
				mdl[pr[k].id].kind = PD_SEARCH_LOST;
		fz_err_poison(&err);
		FZ_CHECK(pd_search_end_round(s, now, &err) == PD_ERR_INVAL);
	}
	FZ_CHECK(out->plans <= eff_rounds);
	pd_search_result(s, &out->res);
	check_result(&out->res, out->res.probes, fmin, min, max, eff_probes, eff_rounds,
		     bogus_low, bogus_ns);
	if (flags & 16) {
		/* no passing size was ever lost in a round that counts */
		if (out->res.status == PD_SEARCH_FOUND)
			FZ_CHECK(out->res.pmtu == truth);
		FZ_CHECK(out->res.largest_ok <= truth);
		FZ_CHECK(!out->res.smallest_lost || out->res.smallest_lost > truth);
	}
	FZ_CHECK(pd_search_status_name(out->res.status) != NULL);
	FZ_CHECK(pd_pmtud_name(out->res.pmtud) != NULL);
	FZ_CHECK(pd_search_stop_name(out->res.stop) != NULL);
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct run a, b;

	run_once(data, size, &a);
	run_once(data, size, &b);
	/* deterministic: the same answers give the same result */
	FZ_CHECK(a.plans == b.plans);
	FZ_CHECK(a.res.status == b.res.status && a.res.pmtu == b.res.pmtu);
	FZ_CHECK(a.res.largest_ok == b.res.largest_ok &&
		 a.res.smallest_lost == b.res.smallest_lost);
	FZ_CHECK(a.res.probes == b.res.probes && a.res.rounds == b.res.rounds);
	FZ_CHECK(a.res.pmtud == b.res.pmtud && a.res.tries == b.res.tries);
	FZ_CHECK(a.res.elapsed_us == b.res.elapsed_us);
	return 0;
}
