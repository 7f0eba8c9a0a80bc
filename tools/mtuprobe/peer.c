/* peer.c - `mtuprobe --peer HOST`: HELLO, the TCP MSS report and the reverse
 * path search against a responder (`mtuprobe serve`).
 *
 * Spec: docs/responder.md (HELLO/INFO, REV_REQ/REV_DATA, MSS_REPORT, the
 * no-amplification rule); RFC 4821 / search.h for what the answers prove;
 * RFC 9293 section 3.7.1 (the MSS option a SYN carries: the interface MTU
 * minus 40 bytes of IPv4 + TCP headers, 60 for IPv6).
 *
 * The reverse search is the same engine as the forward one, driven by
 * requests instead of probes: each round's sizes are packed into REV_REQ
 * messages (at most 32 sizes each), the responder sends each size back with
 * DF, a REV_DATA that arrives acknowledges its size, and sizes still missing
 * when the round's deadline passes are lost.  ICMP errors about the reverse
 * direction go to the responder, so the reverse search only ever sees
 * arrivals and silence: its result is largest-arrived / smallest-lost, and
 * whether PMTUD works in that direction cannot be told from here.
 *
 * Without a key the responder sends no more bytes than a request held, so
 * an unsigned request is padded to the sum of the sizes it asks for, and no
 * request may be larger than the forward path carries: the reverse search
 * is then bounded by the forward path MTU (rev_capped says when that bound
 * was reached).  With --key requests are signed and small.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>

#include <pathdiag/responder.h>
#include <pathdiag/rtt.h>

#include "mtuprobe.h"

#define HELLO_TRIES 3
#define HELLO_WAIT_MS 1000
#define TCP_WAIT_MS 2000
#define RTT_MIN_US 20000u
#define RTT_MAX_US 3000000u
#define RTT_INITIAL_US 1000000u
#define RX_MAX 65536

static struct peer_state {
	int fd;                        /* UDP, connected to the responder */
	int family;
	struct pd_peer_client client;
	struct pd_peer_info info;
	uint8_t key[PD_PEER_KEY_MAX];
	size_t key_len;
	uint8_t tx[RX_MAX], rx[RX_MAX];
} st = { .fd = -1 };

/* One REV_REQ of a round: which search probe each of its sizes is. */
struct rev_req {
	uint64_t nonce;
	uint64_t sent_us;
	unsigned n;
	uint16_t size[PD_PEER_MAX_SIZES];
	uint32_t sid[PD_PEER_MAX_SIZES];
};

static uint64_t mono_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void sa_text(const struct sockaddr_storage *ss, char *buf, size_t len, uint16_t *port)
{
	const struct sockaddr_in *a4 = (const struct sockaddr_in *)ss;
	const struct sockaddr_in6 *a6 = (const struct sockaddr_in6 *)ss;

	buf[0] = 0;
	*port = 0;
	if (ss->ss_family == AF_INET) {
		inet_ntop(AF_INET, &a4->sin_addr, buf, (socklen_t)len);
		*port = ntohs(a4->sin_port);
	} else if (ss->ss_family == AF_INET6) {
		inet_ntop(AF_INET6, &a6->sin6_addr, buf, (socklen_t)len);
		*port = ntohs(a6->sin6_port);
	}
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET6)
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
	else
		((struct sockaddr_in *)ss)->sin_port = htons(port);
}

static socklen_t sa_len(const struct sockaddr_storage *ss)
{
	return ss->ss_family == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
					 : (socklen_t)sizeof(struct sockaddr_in);
}

int mtuprobe_peer_open(const struct mtuprobe_opts *o, const struct sockaddr_storage *dst,
		       struct mtuprobe_result *res)
{
	struct mtuprobe_peer *pr = &res->peer;
	struct sockaddr_storage to = *dst;
	struct pd_error err = { 0 };
	uint8_t seed[32];
	char msg[160];

	pr->enabled = true;
	pr->port = o->port ? o->port : PD_PEER_PORT;
	st.family = res->family;
	if (o->key_file) {
		if (pd_peer_key_load(o->key_file, st.key, &st.key_len, &err) < 0) {
			pd_error_message(&err, msg, sizeof(msg));
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "key file %s: %s",
					 o->key_file, msg);
			return -1;
		}
		pr->keyed = true;
	}
	if (pd_peer_random(seed, sizeof(seed), &err) < 0 ||
	    pd_peer_client_init(&st.client, seed, st.key_len ? st.key : NULL, st.key_len,
				&err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "peer client: %s", msg);
		return -1;
	}
	memset(seed, 0, sizeof(seed));
	st.fd = socket(dst->ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (st.fd >= 0 && o->device && *o->device)
		(void)setsockopt(st.fd, SOL_SOCKET, SO_BINDTODEVICE, o->device,
				 (socklen_t)strlen(o->device) + 1);
	set_port(&to, pr->port);
	if (st.fd < 0 || connect(st.fd, (const struct sockaddr *)&to, sa_len(&to)) < 0) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "cannot open a UDP socket to %s port %u: %s", res->address,
				 pr->port, strerror(errno));
		return -1;
	}
	return 0;
}

void mtuprobe_peer_close(void)
{
	if (st.fd >= 0)
		close(st.fd);
	st.fd = -1;
	pd_peer_client_wipe(&st.client);
	memset(st.key, 0, sizeof(st.key));
}

/* Wait up to ms for one datagram from the responder that matches a
 * request: 1 with *m, 0 on timeout, -1 on a socket error. */
static int recv_match(int ms, struct pd_peer_match *m)
{
	uint64_t end = mono_us() + (uint64_t)ms * 1000u;

	for (;;) {
		struct pollfd pfd = { .fd = st.fd, .events = POLLIN };
		uint64_t t = mono_us();
		ssize_t n;

		n = recv(st.fd, st.rx, sizeof(st.rx), MSG_DONTWAIT);
		if (n >= 0) {
			if (pd_peer_client_match(&st.client, pd_responder_now_ms(), st.family,
						 st.rx, (size_t)n, m, NULL) == 0)
				return 1;
			continue; /* foreign, late or forged: not ours */
		}
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
		    errno != ECONNREFUSED)
			return -1;
		if (t >= end)
			return 0;
		if (poll(&pfd, 1, (int)((end - t + 999) / 1000)) < 0 && errno != EINTR)
			return -1;
	}
}

int mtuprobe_peer_hello(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	struct mtuprobe_peer *pr = &res->peer;
	struct pd_peer_match m;
	struct sockaddr_storage local;
	socklen_t llen = sizeof(local);
	size_t len;
	int i;

	(void)o;
	for (i = 0; i < HELLO_TRIES; i++) {
		if (pd_peer_client_hello(&st.client, pd_responder_now_ms(), 0, false, st.tx,
					 sizeof(st.tx), &len, NULL) < 0)
			break;
		(void)send(st.fd, st.tx, len, 0);
		while (recv_match(HELLO_WAIT_MS, &m) == 1) {
			if (m.msg.type != PD_PEER_INFO)
				continue;
			st.info = m.msg.u.info;
			goto got;
		}
		pd_peer_client_release(&st.client, st.client.last_nonce);
	}
	tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
			 "no responder at %s port %u: run `mtuprobe serve` there, or drop --peer",
			 res->address, pr->port);
	return -1;
got:
	pr->hello_ok = true;
	pr->caps = st.info.caps;
	pr->max_reply = st.info.max_reply;
	snprintf(pr->software, sizeof(pr->software), "%s", st.info.software);
	if (getsockname(st.fd, (struct sockaddr *)&local, &llen) == 0)
		sa_text(&local, pr->local_address, sizeof(pr->local_address), &pr->local_port);
	{
		struct pd_peer_addr a = st.info.seen;
		int af = a.family == 6 ? AF_INET6 : AF_INET;
		uint8_t lb[16] = { 0 };

		inet_ntop(af, a.addr, pr->seen_address, sizeof(pr->seen_address));
		pr->seen_port = a.port;
		if (inet_pton(af, pr->local_address, lb) == 1)
			pr->nat = memcmp(lb, a.addr, af == AF_INET6 ? 16 : 4) != 0;
		pr->port_translated = pr->seen_port != pr->local_port;
	}
	if (pr->keyed && !(st.info.caps & PD_PEER_CAP_AUTH)) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "the responder at %s has no key: start it with `mtuprobe serve "
				 "--key FILE`, or drop --key", res->address);
		return -1;
	}
	return 0;
}

/* ---- TCP MSS report ------------------------------------------------------ */

static int wait_fd(int fd, short events, int ms)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	int rc;

	do
		rc = poll(&pfd, 1, ms);
	while (rc < 0 && errno == EINTR);
	return rc;
}

/* The MSS a SYN carries over a path of this MTU: MTU minus the IP and TCP
 * headers (RFC 879, RFC 8200 section 8.3). */
static void mss_from_mtu(struct mtuprobe_peer *pr, unsigned mtu, int family)
{
	unsigned hdr = family == 6 ? 60 : 40;

	pr->mss_mtu = mtu;
	pr->mss_sent = mtu > hdr ? mtu - hdr : 0;
}

static void mss_report(const struct sockaddr_storage *dst, struct mtuprobe_result *res)
{
	struct mtuprobe_peer *pr = &res->peer;
	struct sockaddr_storage to = *dst;
	struct pd_peer_msg m;
	uint8_t buf[256];
	size_t got = 0;
	int fd, e = 0, mtu = 0;
	socklen_t elen = sizeof(e), mlen = sizeof(mtu);

	mss_from_mtu(pr, res->local_mtu, res->family);
	if (!(st.info.caps & PD_PEER_CAP_TCP_MSS) || !st.info.tcp_port) {
		snprintf(pr->mss_error, sizeof(pr->mss_error), "the responder has no TCP port");
		return;
	}
	set_port(&to, st.info.tcp_port);
	fd = socket(dst->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		snprintf(pr->mss_error, sizeof(pr->mss_error), "socket: %s", strerror(errno));
		return;
	}
	if (connect(fd, (const struct sockaddr *)&to, sa_len(&to)) < 0 && errno != EINPROGRESS) {
		snprintf(pr->mss_error, sizeof(pr->mss_error), "connect: %s", strerror(errno));
		goto out;
	}
	if (wait_fd(fd, POLLOUT, TCP_WAIT_MS) <= 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) < 0 || e) {
		snprintf(pr->mss_error, sizeof(pr->mss_error), "TCP port %u: %s",
			 st.info.tcp_port, e ? strerror(e) : "no connection");
		goto out;
	}
	/* The SYN's MSS came from the route as it was at connect time, which
	 * includes the PMTU the forward search's ICMP errors taught the kernel. */
	if (getsockopt(fd, res->family == 6 ? IPPROTO_IPV6 : IPPROTO_IP,
		       res->family == 6 ? IPV6_MTU : IP_MTU, &mtu, &mlen) == 0 && mtu > 0 &&
	    (unsigned)mtu < pr->mss_mtu)
		mss_from_mtu(pr, (unsigned)mtu, res->family);
	while (got < sizeof(buf) && wait_fd(fd, POLLIN, TCP_WAIT_MS) > 0) {
		ssize_t n = read(fd, buf + got, sizeof(buf) - got);

		if (n <= 0)
			break;
		got += (size_t)n;
	}
	if (pd_peer_decode(buf, got, &m, NULL) < 0 || m.type != PD_PEER_MSS_REPORT) {
		snprintf(pr->mss_error, sizeof(pr->mss_error), "no valid MSS report (%zu bytes)",
			 got);
		goto out;
	}
	if (!(m.u.mss.flags & PD_PEER_MSS_HAS_MSS) || (m.u.mss.flags & PD_PEER_MSS_NO_SYN)) {
		snprintf(pr->mss_error, sizeof(pr->mss_error),
			 "the SYN arrived without an MSS option, or was not kept");
		goto out;
	}
	pr->mss_measured = true;
	pr->mss_seen = m.u.mss.mss;
	pr->mss_clamped = pr->mss_sent && pr->mss_seen < pr->mss_sent;
out:
	close(fd);
}

/* ---- reverse search --------------------------------------------------------- */

/* Pack the round's probes, in order, into requests: at most 32 sizes; an
 * unsigned request pays for its sizes, so their sum must fit in limit (what
 * the forward path carries); a signed one may earn max_auth_bytes. */
static size_t pack(const struct pd_search_probe *plan, size_t n, unsigned limit,
		   struct rev_req *req)
{
	size_t nreq = 0, i;
	unsigned bytes = 0;

	for (i = 0; i < n; i++) {
		struct rev_req *r = nreq ? &req[nreq - 1] : NULL;

		if (!r || r->n == PD_PEER_MAX_SIZES || bytes + plan[i].size > limit) {
			r = &req[nreq++];
			memset(r, 0, sizeof(*r));
			bytes = 0;
		}
		r->size[r->n] = plan[i].size;
		r->sid[r->n] = plan[i].id;
		r->n++;
		bytes += plan[i].size;
	}
	return nreq;
}

static void send_reqs(struct rev_req *req, size_t nreq, struct mtuprobe_peer *pr)
{
	size_t i, len;

	for (i = 0; i < nreq; i++) {
		struct rev_req *r = &req[i];
		size_t total = st.key_len ? 0 : pd_peer_reverse_len(r->size, r->n, st.family);

		if (pd_peer_client_reverse(&st.client, pd_responder_now_ms(), r->size, r->n, total,
					   st.tx, sizeof(st.tx), &len, NULL) < 0)
			continue;
		r->nonce = st.client.last_nonce;
		r->sent_us = mono_us();
		if (send(st.fd, st.tx, len, 0) == (ssize_t)len)
			pr->requests++;
	}
}

static struct rev_req *req_of(struct rev_req *req, size_t nreq, uint64_t nonce)
{
	size_t i;

	for (i = 0; i < nreq; i++)
		if (req[i].nonce == nonce)
			return &req[i];
	return NULL;
}

/* Read everything that arrived, feed the search; *answered counts sizes
 * of this round that arrived, *retry_ms a rate limit's wait. */
static void rev_drain(struct pd_search *s, struct rev_req *req, size_t nreq, struct pd_rtt *rtt,
		      unsigned *answered, unsigned *retry_ms, struct mtuprobe_peer *pr)
{
	struct pd_peer_match m;

	while (recv_match(0, &m) == 1) {
		struct rev_req *r = req_of(req, nreq, m.msg.nonce);
		struct pd_search_outcome out = { .kind = PD_SEARCH_ACKED };

		if (!r)
			continue;
		if (m.msg.type == PD_PEER_ERROR) {
			pr->errors++;
			if (m.msg.u.error.code == PD_PEER_E_RATE_LIMITED) {
				pr->rate_limited++;
				*retry_ms = m.msg.u.error.arg;
			}
			if (m.msg.u.error.code == PD_PEER_E_TOO_BIG)
				pr->refused += (unsigned)__builtin_popcount(m.msg.u.error.arg32);
			continue;
		}
		if (m.msg.type != PD_PEER_REV_DATA || m.duplicate)
			continue;
		pd_rtt_sample(rtt, mono_us() - r->sent_us);
		if (pd_search_feed(s, r->sid[m.msg.u.data.index], &out, NULL) == 0)
			(*answered)++;
	}
}

static void reverse_search(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	static struct pd_search s;
	static struct rev_req req[PD_SEARCH_ROUND_MAX];
	struct mtuprobe_peer *pr = &res->peer;
	struct pd_search_config cfg = { 0 };
	struct pd_search_probe plan[PD_SEARCH_ROUND_MAX];
	struct pd_rtt rtt;
	unsigned limit, fwd = res->search.largest_ok;
	uint64_t t0 = mono_us();
	size_t n, nreq, i;

	cfg.family = res->family;
	cfg.min_size = o->min_size;
	cfg.tries = o->tries;
	cfg.max_rounds = o->max_rounds;
	pr->rev_bound = o->max_size ? o->max_size : res->local_mtu;
	if (st.info.max_reply && st.info.max_reply < pr->rev_bound)
		pr->rev_bound = st.info.max_reply;
	if (st.key_len) {
		limit = st.info.max_auth_bytes ? st.info.max_auth_bytes : 65535;
	} else {
		/* Every unsigned request must cross the forward path. */
		limit = fwd;
		if (fwd < pr->rev_bound) {
			pr->rev_bound = fwd;
			pr->rev_capped = true;
		}
	}
	cfg.max_size = pr->rev_bound;
	if (cfg.min_size > cfg.max_size || pd_search_init(&s, &cfg, NULL) < 0)
		return;
	pd_rtt_init(&rtt, RTT_MIN_US, RTT_MAX_US,
		    res->srtt_ms > 0 ? (uint32_t)(res->srtt_ms * 4000) + RTT_MIN_US
				     : RTT_INITIAL_US);
	while (!pd_search_done(&s)) {
		unsigned answered = 0, retry_ms = 0, want = 0;
		uint64_t start;

		if (pd_search_plan(&s, mono_us(), plan, PD_SEARCH_ROUND_MAX, &n, NULL) < 0 || !n)
			break;
		nreq = pack(plan, n, limit, req);
		for (i = 0; i < nreq; i++)
			want += req[i].n;
		send_reqs(req, nreq, pr);
		start = mono_us();
		for (;;) {
			uint64_t t, deadline;

			rev_drain(&s, req, nreq, &rtt, &answered, &retry_ms, pr);
			deadline = start + pd_rtt_timeout_us(&rtt);
			t = mono_us();
			if (answered >= want || t >= deadline)
				break;
			{
				struct pollfd pfd = { .fd = st.fd, .events = POLLIN };

				if (poll(&pfd, 1, (int)((deadline - t + 999) / 1000)) < 0 &&
				    errno != EINTR)
					break;
			}
		}
		for (i = 0; i < nreq; i++)
			pd_peer_client_release(&st.client, req[i].nonce);
		if (answered == 0)
			pd_rtt_backoff(&rtt);
		pd_search_end_round(&s, mono_us(), NULL);
		/* Over the responder's request rate: the round's tail was not
		 * answered (the engine does not count such a round); wait. */
		if (retry_ms)
			poll(NULL, 0, retry_ms > 2000 ? 2000 : (int)retry_ms);
	}
	pd_search_result(&s, &pr->rev);
	pr->rev_searched = true;
	pr->rev_capped = pr->rev_capped && pr->rev.largest_ok >= pr->rev_bound;
	pr->rev_srtt_ms = rtt.samples ? (double)rtt.srtt_us / 1000.0 : 0.0;
	pr->rev_elapsed_ms = (double)(mono_us() - t0) / 1000.0;
}

void mtuprobe_peer_finish(const struct mtuprobe_opts *o, const struct sockaddr_storage *dst,
			  struct mtuprobe_result *res)
{
	mss_report(dst, res);
	if (res->search.largest_ok && (st.info.caps & PD_PEER_CAP_REVERSE))
		reverse_search(o, res);
}

unsigned mtuprobe_path_mtu(const struct mtuprobe_result *res)
{
	const struct mtuprobe_peer *pr = &res->peer;
	unsigned fwd = res->search.status == PD_SEARCH_FOUND ? res->search.pmtu : 0;

	if (!pr->enabled || !fwd)
		return fwd;
	if (!pr->rev_searched)
		return 0;
	if (pr->rev_capped)
		return fwd; /* the reverse path carries at least the forward MTU */
	if (pr->rev.status != PD_SEARCH_FOUND)
		return 0;
	return pr->rev.pmtu < fwd ? pr->rev.pmtu : fwd;
}
