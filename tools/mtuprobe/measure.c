/* measure.c - mtuprobe's measurement: resolve the target, find the kernel's
 * MTU toward it (the upper bound), then run rounds of the search engine
 * (pathdiag/search.h) over a prober (pathdiag/probe.h): each round's probes
 * go out back to back, answers are fed as they arrive, and the round ends
 * when all are answered or its timeout (pathdiag/rtt.h) passes.
 *
 * Nothing here prints: failures go into res->report with their exit code.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/capability.h>
#include <netdb.h>
#include <poll.h>
#include <string.h>
#include <time.h>

#include <pathdiag/netlink.h>
#include <pathdiag/nl_route.h>
#include <pathdiag/rtt.h>

#include "mtuprobe.h"
#include "icmpguard.h"

/* Round timeout bounds: the floor keeps a fast path from being declared
 * lossy by scheduling jitter, the ceiling bounds a dead target's cost. */
#define RTT_MIN_US 20000u
#define RTT_MAX_US 3000000u
#define RTT_INITIAL_US 1000000u

uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

uint64_t ts_us(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000u + (uint64_t)ts->tv_nsec / 1000u;
}

static const char *addr_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET6
		? (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr
		: (const void *)&((const struct sockaddr_in *)ss)->sin_addr;

	if (ss->ss_family != AF_INET && ss->ss_family != AF_INET6)
		return "";
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		return "";
	return buf;
}

/* An address literal, parsed without any lookup: 1 if host is one. */
static int parse_literal(const char *host, struct sockaddr_storage *dst)
{
	struct sockaddr_in *in4 = (struct sockaddr_in *)dst;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)dst;

	memset(dst, 0, sizeof(*dst));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		return 1;
	}
	if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		return 1;
	}
	return 0;
}

/* Name or address to one address of the wanted family.  Literals never
 * cause a DNS query; a literal of the other family is an error. */
static int resolve(const struct mtuprobe_opts *o, struct mtuprobe_result *res,
		   struct sockaddr_storage *dst)
{
	struct addrinfo hints = { 0 }, *ai = NULL;
	int rc;

	if (parse_literal(o->host, dst)) {
		int fam = dst->ss_family == AF_INET6 ? 6 : 4;

		if (o->family && o->family != fam) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
					 "'%s' is an IPv%d address but -%d was given; drop -%d",
					 o->host, fam, o->family, o->family);
			return -1;
		}
	} else {
		hints.ai_family = o->family == 4 ? AF_INET : o->family == 6 ? AF_INET6 : AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_ADDRCONFIG;
		rc = getaddrinfo(o->host, NULL, &hints, &ai);
		if (rc) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
					 "cannot resolve '%s'%s: %s; check the name, or give an "
					 "address", o->host,
					 o->family ? (o->family == 4 ? " for IPv4" : " for IPv6") : "",
					 gai_strerror(rc));
			return -1;
		}
		memset(dst, 0, sizeof(*dst));
		memcpy(dst, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
	}
	res->family = dst->ss_family == AF_INET6 ? 6 : 4;
	addr_text(dst, res->address, sizeof(res->address));
	return 0;
}

/* The kernel's MTU toward dst: the upper bound of what can be sent.  A
 * cached PMTU exception is not a bound (probes bypass it), so the route's
 * configured MTU or the interface's is used then. */
static void local_mtu(const struct sockaddr_storage *dst, struct mtuprobe_result *res)
{
	struct pd_nl_route_query q = { 0 };
	struct pd_nl_path_mtu pm;
	struct pd_error err = { 0 };

	q.dst.family = res->family;
	if (res->family == 6)
		memcpy(q.dst.addr, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
	else
		memcpy(q.dst.addr, &((const struct sockaddr_in *)dst)->sin_addr, 4);
	if (pd_nl_route_mtu(NULL, &q, &pm, &err) == 0) {
		if (pm.source == PD_NL_MTU_PMTU) {
			res->local_mtu = pm.link_mtu;
			res->local_mtu_source = "link";
		} else {
			res->local_mtu = pm.mtu;
			res->local_mtu_source = pd_nl_mtu_source_name(pm.source);
		}
		snprintf(res->local_dev, sizeof(res->local_dev), "%s", pm.link.name);
		return;
	}
	/* No route information: assume Ethernet; a LOCAL_TOO_BIG answer from
	 * the kernel lowers the bound if it is wrong. */
	res->local_mtu = 1500;
	res->local_mtu_source = "default";
}

/* Open a prober for one method.  Returns 0, or the library's error code with
 * its message in msg. */
static int open_method(const struct mtuprobe_opts *o, const struct sockaddr_storage *dst,
		       enum pd_probe_method m, struct mtuprobe_result *res, struct pd_prober **pp,
		       char *msg, size_t msglen)
{
	struct pd_probe_opts po = { 0 };
	struct pd_error err = { 0 };
	int rc;

	po.family = res->family;
	po.dst = *dst;
	po.method = m;
	po.port = m == PD_PROBE_ICMP ? 0 : o->port;
	po.device = o->device;
	po.allow_raw = true;
	rc = pd_prober_open(&po, pp, &err);
	if (rc < 0) {
		pd_error_message(&err, msg, msglen);
		return rc;
	}
	return 0;
}

/* Probe ids from the prober, indexed by search id, to route answers. */
struct idmap {
	uint32_t probe[PD_SEARCH_MAX_PROBES];
	uint32_t search[PD_SEARCH_MAX_PROBES];
	size_t n;
};

static bool idmap_find(const struct idmap *m, uint32_t probe_id, uint32_t *search_id)
{
	size_t i;

	for (i = m->n; i-- > 0;)
		if (m->probe[i] == probe_id) {
			*search_id = m->search[i];
			return true;
		}
	return false;
}

void from_addr(const struct sockaddr_storage *ss, struct pd_search_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		a->family = 6;
		a->len = 16;
		memcpy(a->bytes, &((const struct sockaddr_in6 *)ss)->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		a->family = 4;
		a->len = 4;
		memcpy(a->bytes, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	}
}

bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	struct pd_search_addr x, y;

	from_addr(a, &x);
	from_addr(b, &y);
	return x.len && x.len == y.len && memcmp(x.bytes, y.bytes, x.len) == 0;
}

/* Turn a prober event into a search outcome.  Returns false for events
 * that say nothing about the size (a TTL expiry on a full-TTL probe cannot
 * happen; an unreachable from a firewall on the way is not an answer). */
static bool outcome_of(const struct pd_probe_event *ev, const struct sockaddr_storage *dst,
		       struct pd_search_outcome *out)
{
	memset(out, 0, sizeof(*out));
	switch (ev->kind) {
	case PD_PROBE_ACK:
		out->kind = PD_SEARCH_ACKED;
		return true;
	case PD_PROBE_TOO_BIG:
		out->kind = PD_SEARCH_TOO_BIG;
		out->mtu = ev->mtu;
		from_addr(&ev->from, &out->from);
		return true;
	case PD_PROBE_LOCAL_TOO_BIG:
		out->kind = PD_SEARCH_LOCAL_TOO_BIG;
		out->mtu = ev->mtu;
		return true;
	case PD_PROBE_UNREACH:
		/* The target itself rejecting the probe saw all of it. */
		if (same_addr(&ev->from, dst)) {
			out->kind = PD_SEARCH_ACKED;
			return true;
		}
		return false;
	case PD_PROBE_TTL_EXCEEDED:
		return false;
	}
	return false;
}

/* What the current round got back: answers to its probes (search ids from
 * first on), and whether a trailing control (ids from trail on) was among
 * them, which is what makes the round's losses count. */
struct round_state {
	uint32_t first, trail;
	unsigned answered;
	bool trail_answered;
};

/* Drain every pending event into the search.  Late answers to earlier
 * rounds are fed too, but only answers to this round (rs) end it sooner. */
static int drain(struct pd_prober *p, struct pd_search *s, const struct idmap *m,
		 const struct sockaddr_storage *dst, struct pd_rtt *rtt, struct round_state *rs,
		 struct pd_error *err)
{
	struct pd_probe_event ev;
	struct pd_search_outcome out;
	uint32_t sid;
	int rc;

	while ((rc = pd_prober_recv(p, &ev, err)) == 1) {
		if (!idmap_find(m, ev.probe_id, &sid) || !outcome_of(&ev, dst, &out))
			continue;
		if (out.kind == PD_SEARCH_ACKED && ts_us(&ev.received) > ts_us(&ev.sent))
			pd_rtt_sample(rtt, ts_us(&ev.received) - ts_us(&ev.sent));
		if (pd_search_feed(s, sid, &out, NULL) < 0 || !rs || sid < rs->first)
			continue;
		rs->answered++;
		if (sid >= rs->trail && out.kind == PD_SEARCH_ACKED)
			rs->trail_answered = true;
	}
	return rc;
}

/* Feed answers until all n probes of the round (rs) are answered or the
 * deadline passes: `until`, or when 0 the RTT-based timeout from start (it
 * moves as the first answers refine the RTT, so on a fast path the lost
 * probes of the first round cost milliseconds, not the initial guess). */
static int listen_round(struct pd_prober *p, struct pd_search *s, const struct idmap *m,
			const struct sockaddr_storage *dst, struct pd_rtt *rtt,
			struct round_state *rs, unsigned n, uint64_t start, uint64_t until,
			struct mtuprobe_result *res)
{
	struct pd_error err = { 0 };
	char msg[160];

	for (;;) {
		struct pollfd pfd = { .fd = pd_prober_fd(p), .events = POLLIN };
		uint64_t deadline, t;

		if (drain(p, s, m, dst, rtt, rs, &err) < 0) {
			pd_error_message(&err, msg, sizeof(msg));
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "receiving: %s", msg);
			return -1;
		}
		deadline = until ? until : start + pd_rtt_timeout_us(rtt);
		t = now_us();
		if ((rs && rs->answered >= n) || t >= deadline)
			return 0;
		if (poll(&pfd, 1, (int)((deadline - t + 999) / 1000)) < 0 && errno != EINTR) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "poll: %s",
					 strerror(errno));
			return -1;
		}
	}
}

/* Pacing for a target that rate-limits its answers (UDP's port
 * unreachables, pd_search_rate_limited): rounds of PACE_CAP probes (the
 * engine then plans four data sizes, largest first, and two trailing
 * controls; data probes that vanish cost the target nothing), each started when the answers the last round used should have
 * been earned back.  The refill time starts at Linux's defaults (IPv4: one
 * ICMP error per second per source, net.ipv4.icmp_ratelimit; IPv6 divides
 * that by 4 for a /64 peer, net/ipv6/icmp.c) and adapts: a round whose
 * trailing controls went unanswered found the bucket empty (twice as long),
 * one whose controls came back could have been sooner (7/8). */
#define PACE_CAP 6
#define PACE_REFILL4_US 1000000u
#define PACE_REFILL6_US 250000u
#define PACE_REFILL_MIN_US 10000u
#define PACE_REFILL_MAX_US 4000000u

struct pace {
	bool on;
	uint64_t refill_us;
	uint64_t next_us;
};

static void pace_after_round(struct pace *pc, const struct round_state *rs, uint64_t now)
{
	if (!rs->trail_answered)
		pc->refill_us *= 2;
	else
		pc->refill_us = pc->refill_us * 7 / 8;
	if (pc->refill_us < PACE_REFILL_MIN_US)
		pc->refill_us = PACE_REFILL_MIN_US;
	if (pc->refill_us > PACE_REFILL_MAX_US)
		pc->refill_us = PACE_REFILL_MAX_US;
	/* Earn back what this round used, and at least the two controls. */
	pc->next_us = now + pc->refill_us * (rs->answered > 2 ? rs->answered : 2);
}

static int run_search(const struct mtuprobe_opts *o, struct pd_prober *p,
		      const struct sockaddr_storage *dst, struct mtuprobe_result *res)
{
	static struct pd_search s; /* large (per-probe records): not on the stack */
	static struct idmap map;
	struct pd_search_config cfg = { 0 };
	struct pd_search_probe plan[PD_SEARCH_ROUND_MAX];
	struct pd_prober_info info;
	struct pd_error err = { 0 };
	struct pd_rtt rtt;
	struct pace pc = { 0 };
	char msg[160];
	uint64_t t0 = now_us();
	size_t n, i;

	pd_prober_info(p, &info);
	cfg.family = res->family;
	cfg.max_size = o->max_size ? o->max_size : res->local_mtu;
	cfg.min_size = o->min_size;
	if (!cfg.min_size) {
		unsigned fmin = res->family == 6 ? 1280 : 68;

		cfg.min_size = info.min_size > fmin ? info.min_size : fmin;
	}
	cfg.tries = o->tries;
	cfg.max_rounds = o->max_rounds;
	if (cfg.min_size > cfg.max_size) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "the size range %u..%u is empty; give --min below --max",
				 cfg.min_size, cfg.max_size);
		return -1;
	}
	if (pd_search_init(&s, &cfg, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "invalid probe range: %s", msg);
		return -1;
	}
	memset(&map, 0, sizeof(map));
	pd_rtt_init(&rtt, RTT_MIN_US, RTT_MAX_US, RTT_INITIAL_US);

	while (!pd_search_done(&s)) {
		struct round_state rs = { 0 };
		size_t cap = PD_SEARCH_ROUND_MAX;

		if (pd_search_rate_limited(&s)) {
			if (!pc.on) {
				pc.on = true;
				pc.refill_us = res->family == 6 ? PACE_REFILL6_US : PACE_REFILL4_US;
				/* Enough for the two trailing controls. */
				pc.next_us = now_us() + pc.refill_us * 2;
			}
			cap = PACE_CAP;
			/* Late answers keep coming in while the bucket refills. */
			if (now_us() < pc.next_us &&
			    listen_round(p, &s, &map, dst, &rtt, NULL, 0, 0, pc.next_us, res) < 0)
				return -1;
		}
		if (pd_search_plan(&s, now_us(), plan, cap, &n, &err) < 0)
			break;
		for (i = 0; i < n; i++) {
			uint32_t pid = 0;

			if (pd_prober_send(p, plan[i].size, 0, &pid, &err) < 0)
				continue; /* counted by the prober; the probe counts as lost */
			if (map.n < PD_SEARCH_MAX_PROBES) {
				map.probe[map.n] = pid;
				map.search[map.n] = plan[i].id;
				map.n++;
			}
		}
		rs.first = n ? plan[0].id : UINT32_MAX;
		rs.trail = UINT32_MAX;
		for (i = n; i-- > 1 && plan[i].is_control;)
			rs.trail = plan[i].id;
		if (listen_round(p, &s, &map, dst, &rtt, &rs, (unsigned)n, now_us(), 0, res) < 0)
			return -1;
		if (rs.answered == 0)
			pd_rtt_backoff(&rtt);
		pd_search_end_round(&s, now_us(), &err);
		if (pc.on)
			pace_after_round(&pc, &rs, now_us());
	}
	/* Answers already queued still count (late acknowledgements). */
	drain(p, &s, &map, dst, &rtt, NULL, &err);
	pd_search_result(&s, &res->search);
	res->searched = true;
	res->paced = pc.on;
	res->srtt_ms = rtt.samples ? (double)rtt.srtt_us / 1000.0 : 0.0;
	res->elapsed_ms = (double)(now_us() - t0) / 1000.0;
	if (res->search.ptb_verified >= 0) {
		const struct pd_search_ptb *v = &res->search.ptb[res->search.ptb_verified];

		inet_ntop(v->from.family == 6 ? AF_INET6 : AF_INET, v->from.bytes,
			  res->reported_by, sizeof(res->reported_by));
	}
	return 0;
}

/* Methods tried when none was asked for, best first.  ICMP echo is not rate
 * limited by targets (their ICMP errors are), so it answers fastest, but it
 * measures the round trip; UDP to a closed port needs no privilege; TCP
 * reaches hosts that only let one port through, when -p names it. */
static const enum pd_probe_method auto_methods[] = { PD_PROBE_ICMP, PD_PROBE_UDP, PD_PROBE_TCP };

void mtuprobe_measure(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	struct pd_prober *probers[sizeof(auto_methods) / sizeof(auto_methods[0])] = { NULL };
	enum pd_probe_method methods[sizeof(auto_methods) / sizeof(auto_methods[0])];
	struct sockaddr_storage dst;
	char msg[160] = "";
	size_t i, n = 0;
	int rc;

	snprintf(res->target, sizeof(res->target), "%s", o->host);
	if (resolve(o, res, &dst) < 0)
		return;
	local_mtu(&dst, res);
	res->method_auto = o->method == 0;
	if (o->peer && mtuprobe_peer_open(o, &dst, res) < 0)
		goto out;

	/* Every method that may be needed is opened first, so that all
	 * privileges can go before the first probe leaves. */
	for (i = 0; i < (o->method ? 1 : sizeof(auto_methods) / sizeof(auto_methods[0])); i++) {
		enum pd_probe_method m = o->method ? o->method : auto_methods[i];

		if (!o->method && m == PD_PROBE_TCP && !o->port)
			continue;
		if (!o->method && m == PD_PROBE_UDP && o->port)
			continue; /* -p names a TCP port when no method is given */
		if (open_method(o, &dst, m, res, &probers[n], msg, sizeof(msg)) == 0)
			methods[n++] = m;
	}
	if (n == 0) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s", msg);
		return;
	}
	/* A tunnel check measures again later: it keeps CAP_NET_RAW (and
	 * no other capability, nor root) until its last measurement. */
	rc = o->keep_privileges ? tool_keep_only_capability(CAP_NET_RAW) : tool_drop_privileges();
	if (rc < 0) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "cannot drop privileges after opening sockets: %s",
				 tool_privs_error(rc));
		goto out;
	}
	if (o->peer && mtuprobe_peer_hello(o, res) < 0)
		goto out;

	/* Stop at the first method the target answers. */
	for (i = 0; i < n; i++) {
		struct pd_prober_info info;

		pd_prober_info(probers[i], &info);
		res->method = methods[i];
		res->raw = info.raw;
		res->port = methods[i] == PD_PROBE_ICMP ? 0
			: ntohs(info.dst.ss_family == AF_INET6
				? ((struct sockaddr_in6 *)&info.dst)->sin6_port
				: ((struct sockaddr_in *)&info.dst)->sin_port);
		res->direction = methods[i] == PD_PROBE_ICMP ? "round-trip" : "forward";
		memset(&res->search, 0, sizeof(res->search));
		res->searched = false;
		run_search(o, probers[i], &dst, res);
		pd_prober_stats(probers[i], &res->probes);
		if (res->report.error[0] || !res->searched ||
		    res->search.status != PD_SEARCH_UNKNOWN)
			break;
	}
	if (res->searched)
		mtuprobe_guard_measure(&dst, res);
	if (o->peer && res->searched && !res->report.error[0])
		mtuprobe_peer_finish(o, &dst, res);
	/* --hops: on the method the search settled on (the last one tried
	 * when none was answered: the scan still shows how far it gets). */
	if (o->hops && res->searched && !res->report.error[0]) {
		size_t k = i < n ? i : n - 1;

		mtuprobe_hops(o, probers[k], &dst, res);
		pd_prober_stats(probers[k], &res->probes);
	}
out:
	for (i = 0; i < n; i++)
		pd_prober_close(probers[i]);
	mtuprobe_peer_close();
}
