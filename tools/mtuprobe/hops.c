/* hops.c - mtuprobe --hops: after the search, hop-limited probes of a small
 * and a large size per TTL find the hop after which the large size stops
 * (pathdiag/hopscan.h decides; this file sends, waits and listens).
 *
 * Specs: RFC 792 / RFC 4443 3.3 (time exceeded), RFC 1191 4 / RFC 8201 4
 * (too big), RFC 1812 4.3.2.8 (routers rate-limit ICMP errors).
 *
 * The large size: with "too big" seen during the search, the local upper
 * bound, so every drop that reports itself is followed from the first one;
 * on a path where nothing reported (a black hole), the smallest size that
 * vanished, as that is the size whose fate is in question.
 * Nothing here prints: the result goes into res->hops.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>

#include <pathdiag/rtt.h>

#include "mtuprobe.h"

/* The scan's probe ids for each prober id, to route answers. */
struct hops_map {
	uint32_t probe[PD_HOPS_MAX_PROBES];
	uint32_t scan[PD_HOPS_MAX_PROBES];
	size_t n;
};

static bool map_find(const struct hops_map *m, uint32_t probe_id, uint32_t *scan_id)
{
	size_t i;

	for (i = m->n; i-- > 0;)
		if (m->probe[i] == probe_id) {
			*scan_id = m->scan[i];
			return true;
		}
	return false;
}

/* A prober event as the scan sees it; false for events that say nothing
 * (an unreachable from a router on the way). */
static bool hops_outcome(const struct pd_probe_event *ev, const struct sockaddr_storage *dst,
			 struct pd_hops_outcome *out)
{
	memset(out, 0, sizeof(*out));
	switch (ev->kind) {
	case PD_PROBE_ACK:
		out->kind = PD_HOPS_REACHED;
		break;
	case PD_PROBE_UNREACH:
		if (!same_addr(&ev->from, dst))
			return false;
		out->kind = PD_HOPS_REACHED; /* the target itself saw all of it */
		break;
	case PD_PROBE_TTL_EXCEEDED:
		out->kind = PD_HOPS_EXPIRED;
		break;
	case PD_PROBE_TOO_BIG:
	case PD_PROBE_LOCAL_TOO_BIG: /* from nobody: a drop before hop 1 */
		out->kind = PD_HOPS_TOO_BIG;
		out->mtu = ev->mtu_bogus ? 0 : ev->mtu; /* an impossible MTU is no MTU */
		break;
	default:
		return false;
	}
	from_addr(ev->kind == PD_PROBE_ACK ? dst : &ev->from, &out->from);
	if (ts_us(&ev->received) > ts_us(&ev->sent))
		out->rtt_us = (uint32_t)(ts_us(&ev->received) - ts_us(&ev->sent));
	return true;
}

/* Feed everything pending; *answered counts answers to ids >= first. */
static int hops_drain(struct pd_prober *p, struct pd_hops *h, const struct hops_map *m,
		      const struct sockaddr_storage *dst, struct pd_rtt *rtt, uint32_t first,
		      unsigned *answered, struct pd_error *err)
{
	struct pd_probe_event ev;
	struct pd_hops_outcome out;
	uint32_t id;
	int rc;

	while ((rc = pd_prober_recv(p, &ev, err)) == 1) {
		if (!map_find(m, ev.probe_id, &id) || !hops_outcome(&ev, dst, &out))
			continue;
		if (out.rtt_us)
			pd_rtt_sample(rtt, out.rtt_us);
		if (pd_hops_feed(h, id, &out, NULL) == 0 && id >= first)
			(*answered)++;
	}
	return rc;
}

/* Wait until `until` (or, with want > 0, until want answers of this round
 * came), feeding answers as they arrive. */
static int hops_wait(struct pd_prober *p, struct pd_hops *h, const struct hops_map *m,
		     const struct sockaddr_storage *dst, struct pd_rtt *rtt, uint32_t first,
		     unsigned want, uint64_t start, bool adaptive, uint64_t until,
		     struct mtuprobe_result *res)
{
	struct pd_error err = { 0 };
	unsigned answered = 0;
	char msg[160];

	for (;;) {
		struct pollfd pfd = { .fd = pd_prober_fd(p), .events = POLLIN };
		uint64_t t;

		if (hops_drain(p, h, m, dst, rtt, first, &answered, &err) < 0) {
			pd_error_message(&err, msg, sizeof(msg));
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "receiving: %s", msg);
			return -1;
		}
		if (adaptive) /* the deadline follows the RTT as answers come */
			until = start + pd_rtt_timeout_us(rtt);
		t = now_us();
		if ((want && answered >= want) || t >= until)
			return 0;
		if (poll(&pfd, 1, (int)((until - t + 999) / 1000)) < 0 && errno != EINTR) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

void mtuprobe_hops(const struct mtuprobe_opts *o, struct pd_prober *p,
		   const struct sockaddr_storage *dst, struct mtuprobe_result *res)
{
	static struct pd_hops h;     /* large: not on the stack */
	static struct hops_map map;
	const struct pd_search_result *s = &res->search;
	struct pd_hops_config cfg = { 0 };
	struct pd_hops_probe plan[PD_HOPS_ROUND_MAX];
	struct pd_prober_info info;
	struct pd_error err = { 0 };
	struct pd_rtt rtt;
	uint64_t t0 = now_us();
	unsigned fmin = res->family == 6 ? 1280 : 68;
	char msg[160];
	size_t n, i;
	uint32_t wait;

	pd_prober_info(p, &info);
	cfg.family = res->family;
	cfg.small_size = o->min_size ? o->min_size : info.min_size > fmin ? info.min_size : fmin;
	cfg.large_size = s->max_size ? s->max_size : res->local_mtu;
	if (s->nptb == 0 && s->smallest_lost)
		cfg.large_size = s->smallest_lost;
	cfg.pass_size = s->largest_ok;
	cfg.max_ttl = o->max_hops;
	res->hops_small = cfg.small_size;
	res->hops_large = cfg.large_size;
	if (cfg.small_size >= cfg.large_size) {
		/* Nothing larger than the control can be sent: hops only. */
		cfg.large_size = cfg.small_size + 1;
		cfg.pass_size = cfg.large_size;
	}
	if (pd_hops_init(&h, &cfg, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "hop scan: %s", msg);
		return;
	}
	memset(&map, 0, sizeof(map));
	pd_rtt_init(&rtt, 20000, 3000000, 1000000);
	if (res->srtt_ms > 0)
		pd_rtt_sample(&rtt, (uint64_t)(res->srtt_ms * 1000.0));

	for (;;) {
		uint32_t first;
		uint64_t start;

		if (pd_hops_plan(&h, plan, PD_HOPS_ROUND_MAX, &n, &wait, &err) < 0 || n == 0)
			break;
		/* A router's ICMP budget refills while we wait; answers that
		 * come late are still taken. */
		if (wait && hops_wait(p, &h, &map, dst, &rtt, UINT32_MAX, 0, 0, false,
				      now_us() + wait, res) < 0)
			return;
		first = plan[0].id;
		for (i = 0; i < n; i++) {
			uint32_t pid = 0;

			if (pd_prober_send(p, plan[i].size, plan[i].ttl, &pid, &err) < 0)
				continue; /* counted by the prober; unanswered */
			if (map.n < PD_HOPS_MAX_PROBES) {
				map.probe[map.n] = pid;
				map.scan[map.n] = plan[i].id;
				map.n++;
			}
		}
		start = now_us();
		if (hops_wait(p, &h, &map, dst, &rtt, first, (unsigned)n, start, true, 0, res) < 0)
			return;
		pd_hops_end_round(&h, &err);
	}
	pd_hops_result(&h, &res->hops);
	res->hops_done = true;
	res->hops_elapsed_ms = (double)(now_us() - t0) / 1000.0;
}

static void addr_str(const struct pd_search_addr *a, char *buf, size_t len)
{
	buf[0] = 0;
	if (a->len == 4 || a->len == 16)
		inet_ntop(a->len == 16 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len);
}

/* One finding per drop found; a scan that could not follow a size says so. */
void mtuprobe_hops_conclude(struct mtuprobe_result *res)
{
	const struct pd_hops_result *hr = &res->hops;
	char where[INET6_ADDRSTRLEN + 64], addr[INET6_ADDRSTRLEN];
	size_t i;

	if (!res->hops_done)
		return;
	for (i = 0; i < hr->ndrops; i++) {
		const struct pd_hops_drop *d = &hr->drop[i];
		struct pd_finding f;

		addr_str(&d->addr, addr, sizeof(addr));
		if (d->ttl == 0)
			snprintf(where, sizeof(where), "before hop 1");
		else if (d->ttl_max > d->ttl)
			snprintf(where, sizeof(where), "after hop %u (%s), before hop %u", d->ttl,
				 addr[0] ? addr : "*", d->ttl_max + 1);
		else
			snprintf(where, sizeof(where), "after hop %u (%s)", d->ttl,
				 addr[0] ? addr : "*");
		switch (d->kind) {
		case PD_HOPS_DROP_PTB:
			pd_finding_set(&f, "mtu-drop-hop", PD_SEV_INFO,
				       "packets of %u bytes stop %s: it reports MTU %u", d->size,
				       where, d->mtu);
			pd_finding_evidence(&f, "ICMP too big from %s about a %u-byte probe",
					    addr[0] ? addr : "?", d->size);
			break;
		case PD_HOPS_DROP_BLACKHOLE:
			pd_finding_set(&f, "blackhole-hop", PD_SEV_WARNING,
				       "packets of %u bytes vanish %s, without an ICMP error",
				       d->size, where);
			pd_finding_evidence(&f, "a %u-byte probe expired at hop %u; at hop %u it "
					    "was lost while the small probe after it was answered, "
					    "and hop %u answered a probe sent after it",
					    d->size, d->ttl, d->ttl_max + 1, d->ttl);
			break;
		default:
			pd_finding_set(&f, "drop-hop-unsure", PD_SEV_INFO,
				       "packets of %u bytes vanish %s; rate limits left open "
				       "whether an ICMP error was sent", d->size, where);
			break;
		}
		pd_findings_add(&res->report.findings, &f);
	}
	if (!hr->located) {
		struct pd_finding f;

		pd_finding_set(&f, "hops-incomplete", PD_SEV_INFO,
			       "the hop scan could not place where %u-byte packets stop "
			       "(%s after %u rounds)", res->hops_large,
			       hr->target_ttl ? "hops did not answer" : "the target did not answer",
			       hr->rounds);
		pd_findings_add(&res->report.findings, &f);
	}
}
