/* pathsim.c - a simulated network path for the search engine tests (see
 * pathsim.h).  Rate limiting follows Linux's per-peer ICMP token bucket
 * (net/ipv4/icmp.c icmpv4_xrlim_allow: burst of 6, then icmp_ratelimit = 1 s
 * per message); random numbers come from splitmix64, seeded per path. */
#include "pathsim.h"

#include <stdlib.h>
#include <string.h>

#include <pathdiag/rtt.h>

#define SEND_GAP_US 10u

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

double pathsim_uniform(struct pathsim *ps)
{
	return (double)(splitmix64(&ps->rng) >> 11) * 0x1.0p-53;
}

unsigned pathsim_pmtu(const struct pathsim_cfg *cfg)
{
	unsigned p = 65535;
	size_t i;

	if (cfg->local_mtu && cfg->local_mtu < p)
		p = cfg->local_mtu;
	for (i = 0; i < cfg->nhops; i++)
		if (cfg->hop[i].mtu < p)
			p = cfg->hop[i].mtu;
	if (cfg->answer_max && cfg->answer_max < p)
		p = cfg->answer_max;
	return p;
}

void pathsim_init(struct pathsim *ps, const struct pathsim_cfg *cfg)
{
	memset(ps, 0, sizeof(*ps));
	ps->cfg = *cfg;
	ps->rng = cfg->seed;
	/* decorrelate neighbouring seeds */
	(void)splitmix64(&ps->rng);
}

static void hop_addr(const struct pathsim *ps, const struct pathsim_hop *h,
		     struct pd_search_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ps->cfg.family == 6) {
		static const uint8_t pfx[] = { 0x20, 0x01, 0x0d, 0xb8 }; /* RFC 3849 */

		a->family = 6;
		a->len = 16;
		memcpy(a->bytes, pfx, sizeof(pfx));
		a->bytes[15] = h->addr_last;
	} else {
		a->family = 4;
		a->len = 4;
		a->bytes[0] = 192; /* RFC 5737 TEST-NET-1 */
		a->bytes[1] = 0;
		a->bytes[2] = 2;
		a->bytes[3] = h->addr_last;
	}
}

/* Token bucket of the target: may it answer at time t? */
static bool target_allows(struct pathsim *ps, uint64_t t)
{
	if (ps->cfg.rl_burst == 0)
		return true;
	if (!ps->tokens_init) {
		ps->tokens = ps->cfg.rl_burst;
		ps->tokens_at = t;
		ps->tokens_init = true;
	}
	if (t > ps->tokens_at) {
		ps->tokens += (double)(t - ps->tokens_at) * ps->cfg.rl_rate / 1e6;
		if (ps->tokens > ps->cfg.rl_burst)
			ps->tokens = ps->cfg.rl_burst;
		ps->tokens_at = t;
	}
	if (ps->tokens < 1.0) {
		ps->rate_limited++;
		return false;
	}
	ps->tokens -= 1.0;
	return true;
}

void pathsim_send(struct pathsim *ps, unsigned size, uint64_t now_us,
		  struct pathsim_answer *ans)
{
	const struct pathsim_cfg *c = &ps->cfg;
	uint64_t jitter = 0;
	size_t i;

	memset(ans, 0, sizeof(*ans));
	ans->at_us = now_us;
	if (c->local_mtu && size > c->local_mtu) {
		ans->kind = PATHSIM_LOCAL;
		ans->mtu = c->local_mtu;
		return;
	}
	ps->sent++;
	if (c->jitter_us)
		jitter = (uint64_t)(pathsim_uniform(ps) * c->jitter_us);
	if (c->loss > 0.0 && pathsim_uniform(ps) < c->loss) {
		ps->lost++;
		return;
	}
	for (i = 0; i < c->nhops; i++) {
		const struct pathsim_hop *h = &c->hop[i];

		if (size <= h->mtu)
			continue;
		if (!h->ptb)
			return;
		if (c->loss_back > 0.0 && pathsim_uniform(ps) < c->loss_back) {
			ps->lost++;
			return;
		}
		ans->kind = PATHSIM_PTB;
		ans->mtu = h->ptb_mtu ? h->ptb_mtu : h->mtu;
		hop_addr(ps, h, &ans->from);
		ans->at_us = now_us + (uint64_t)c->rtt_us * (i + 1) / (c->nhops + 1) + jitter;
		ps->ptbs++;
		return;
	}
	if (c->dead || !target_allows(ps, now_us + c->rtt_us / 2))
		return;
	if (c->answer_max && size > c->answer_max)
		return;
	if (c->loss_back > 0.0 && pathsim_uniform(ps) < c->loss_back) {
		ps->lost++;
		return;
	}
	ans->kind = PATHSIM_ACK;
	ans->at_us = now_us + c->rtt_us + jitter;
	ps->acks++;
}

/* ---- the driver ------------------------------------------------------------ */

struct pending {
	uint32_t id;
	uint64_t sent_us;
	struct pathsim_answer ans;
};

static int cmp_arrival(const void *a, const void *b)
{
	const struct pending *x = a, *y = b;

	if (x->ans.at_us != y->ans.at_us)
		return x->ans.at_us < y->ans.at_us ? -1 : 1;
	return x->id < y->id ? -1 : x->id > y->id;
}

static int feed(struct pd_search *s, const struct pending *p)
{
	struct pd_search_outcome o;

	memset(&o, 0, sizeof(o));
	switch (p->ans.kind) {
	case PATHSIM_ACK: o.kind = PD_SEARCH_ACKED; break;
	case PATHSIM_PTB: o.kind = PD_SEARCH_TOO_BIG; break;
	case PATHSIM_LOCAL: o.kind = PD_SEARCH_LOCAL_TOO_BIG; break;
	default: return 0;
	}
	o.mtu = p->ans.mtu;
	o.from = p->ans.from;
	return pd_search_feed(s, p->id, &o, NULL);
}

/* Check what the engine promised about a plan. */
static const char *check_plan(const struct pd_search *s, const struct pd_search_probe *pr,
			      size_t n, unsigned min, unsigned max)
{
	size_t i;

	if (n < 1 || n > PD_SEARCH_ROUND_MAX)
		return "plan size out of 1..PD_SEARCH_ROUND_MAX";
	if (!pr[n - 1].is_control)
		return "last probe of a round is not a control";
	for (i = 0; i < n; i++) {
		if (pr[i].size < min || pr[i].size > max)
			return "probe size outside [min, max]";
		if (pr[i].is_control && pr[i].size != min)
			return "control probe not of min size";
		if (i > 0 && pr[i].id != pr[i - 1].id + 1)
			return "probe ids not consecutive";
	}
	(void)s;
	return NULL;
}

int pathsim_run(struct pathsim *ps, const struct pd_search_config *cfg,
		struct pd_search_result *res, struct pathsim_run_stats *st, FILE *trace)
{
	struct pending late[PD_SEARCH_MAX_PROBES];
	struct pending cur[PD_SEARCH_ROUND_MAX];
	struct pd_search_probe pr[PD_SEARCH_ROUND_MAX];
	struct pd_search s;
	struct pd_rtt rtt;
	uint64_t now = 1000000, t0 = now;
	size_t nlate = 0;
	unsigned min = cfg->min_size ? cfg->min_size : (cfg->family == 4 ? 68 : 1280);
	int rc;

	memset(st, 0, sizeof(*st));
	rc = pd_search_init(&s, cfg, NULL);
	if (rc)
		return rc;
	pd_rtt_init(&rtt, 0, 0, 0);
	while (!pd_search_done(&s)) {
		uint64_t last_send, deadline, end;
		size_t n, i, answered = 0;
		bool any_answer = false;

		/* Answers that arrived after their round, by now. */
		for (i = 0; i < nlate;) {
			if (late[i].ans.at_us <= now) {
				rc = feed(&s, &late[i]);
				if (rc)
					return rc;
				st->late_fed++;
				late[i] = late[--nlate];
			} else {
				i++;
			}
		}
		rc = pd_search_plan(&s, now, pr, PD_SEARCH_ROUND_MAX, &n, NULL);
		if (rc)
			return rc;
		if (n == 0)
			break;
		if (!st->broken)
			st->broken = check_plan(&s, pr, n, min, cfg->max_size);

		for (i = 0; i < n; i++) {
			cur[i].id = pr[i].id;
			cur[i].sent_us = now + i * SEND_GAP_US;
			pathsim_send(ps, pr[i].size, cur[i].sent_us, &cur[i].ans);
		}
		last_send = now + (n - 1) * SEND_GAP_US;
		qsort(cur, n, sizeof(cur[0]), cmp_arrival);
		deadline = last_send + pd_rtt_timeout_us(&rtt);
		end = last_send;
		for (i = 0; i < n; i++) {
			struct pending *p = &cur[i];

			if (p->ans.kind == PATHSIM_NONE)
				continue;
			if (p->ans.at_us > deadline) {
				late[nlate++] = *p;
				continue;
			}
			rc = feed(&s, p);
			if (rc)
				return rc;
			if (p->ans.kind == PATHSIM_ACK || p->ans.kind == PATHSIM_PTB)
				any_answer = true;
			if (p->ans.kind == PATHSIM_ACK) {
				pd_rtt_sample(&rtt, p->ans.at_us - p->sent_us);
				deadline = last_send + pd_rtt_timeout_us(&rtt);
			}
			if (p->ans.at_us > end)
				end = p->ans.at_us;
			answered++;
		}
		/* Everything answered: the round ends with the last answer;
		 * otherwise it waits out the deadline. */
		if (answered < n)
			end = deadline;
		rc = pd_search_end_round(&s, end, NULL);
		if (rc)
			return rc;
		if (!any_answer)
			pd_rtt_backoff(&rtt);
		if (trace) {
			fprintf(trace, "  round %u t=%.1fms:", s.nrounds,
				(double)(end - t0) / 1000.0);
			for (i = 0; i < n; i++) {
				const struct pd_search_rec *r = &s.rec[pr[i].id];
				static const char k[] = "?AP-L";

				fprintf(trace, " %u%c", r->size, k[r->kind < 5 ? r->kind : 0]);
			}
			fprintf(trace, "\n");
		}
		now = end;
	}
	pd_search_result(&s, res);
	st->rounds = res->rounds;
	st->probes = res->probes;
	st->elapsed_us = res->elapsed_us;
	return 0;
}
