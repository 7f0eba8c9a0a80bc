/* peer.c - `nattrace --peer HOST`: the measurements behind NAT presence,
 * mapping, port preservation, carrier-grade NAT and hairpinning, against
 * mtuprobe's responder (docs/responder.md: HELLO / INFO carries the source
 * address and port the responder saw).
 *
 * Specs: RFC 4787 section 4.1 (mapping: the same local socket sends to every
 * responder address x port, so a NAT that keeps one mapping per socket shows
 * the same external address:port everywhere), section 6 (hairpinning),
 * RFC 6598 (shared address space), RFC 792 (time exceeded: the hop scan),
 * Linux ip(7) IP_PKTINFO (the local address of each reply), IP_RECVERR
 * (ICMP errors with the offender's address and our payload).
 *
 * Hairpin test (--hairpin).  Socket A has the external mapping M_A (what the
 * responder saw).  A second socket B, bound to A's local address, first
 * learns its own mapping M_B from the responder, then sends a token to M_A.
 * If the token arrives at A, the NAT looped a packet addressed to its own
 * outside back in: hairpinning works for this mapping; its source says how
 * (M_B: RFC 4787 REQ-9, as an outside peer would see B; B's local address:
 * no source translation; anything else: usually the router's LAN address, a
 * "NAT loopback" that masquerades).  If nothing arrives, either the NAT does
 * not hairpin or its filtering dropped a packet from a source A never sent
 * to: the two cannot be told apart from here.  Both sockets are on this host,
 * so the test proves what the NAT does for two hosts behind it only if it
 * treats them alike.  Without a NAT the test is not applicable.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/responder.h>

#include "nattrace.h"

#define HELLO_TRIES 3
#define HELLO_WAIT_MS 1000
#define HOP_WAIT_MS 1000
#define HAIRPIN_SENDS 3
#define HAIRPIN_WAIT_MS 300
#define RX_MAX 2048
#define HOP_MAGIC "natpeer-hop-ttl"     /* 15 bytes + the TTL: never "PD" */
#define HAIRPIN_MAGIC "pathdiag-hairpin" /* 16 bytes + a random token */

struct peer_io {
	int fam;                       /* AF_INET or AF_INET6 */
	struct pd_peer_client cl;
	uint8_t buf[RX_MAX];
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static socklen_t sa_len(int fam)
{
	return fam == AF_INET6 ? (socklen_t)sizeof(struct sockaddr_in6)
			       : (socklen_t)sizeof(struct sockaddr_in);
}

static void to_sa(const struct pd_peer_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (a->family == 6) {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)ss;

		s->sin6_family = AF_INET6;
		s->sin6_port = htons(a->port);
		memcpy(&s->sin6_addr, a->addr, 16);
	} else {
		struct sockaddr_in *s = (struct sockaddr_in *)ss;

		s->sin_family = AF_INET;
		s->sin_port = htons(a->port);
		memcpy(&s->sin_addr, a->addr, 4);
	}
}

static void from_sa(const struct sockaddr_storage *ss, struct pd_peer_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s->sin6_port);
		memcpy(a->addr, &s->sin6_addr, 16);
	} else if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s->sin_port);
		memcpy(a->addr, &s->sin_addr, 4);
	}
}

static bool same_endpoint(const struct pd_peer_addr *a, const struct pd_peer_addr *b)
{
	return pd_natmap_addr_equal(a, b) && a->port == b->port;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_storage ss;
	socklen_t l = sizeof(ss);
	struct pd_peer_addr a;

	if (getsockname(fd, (struct sockaddr *)&ss, &l) < 0)
		return 0;
	from_sa(&ss, &a);
	return a.port;
}

/* HOST and --peer-addr: the responder's addresses, all of one family. */
static int resolve(const struct nattrace_peer_opts *o, const char *host,
		   struct pd_peer_addr *addr, size_t *naddr, struct nattrace_peer *p,
		   struct tool_report *rep)
{
	struct addrinfo hints, *ai = NULL, *it, *pick = NULL;
	struct sockaddr_storage ss;
	size_t i;
	int rc;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = AF_UNSPEC;
	hints.ai_socktype = SOCK_DGRAM;
	rc = getaddrinfo(host, NULL, &hints, &ai);
	if (rc) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "cannot resolve '%s': %s; check the name, "
				 "or give an address", host, gai_strerror(rc));
		return -1;
	}
	/* IPv4 first: that is where NAT lives. */
	for (it = ai; it && !pick; it = it->ai_next)
		if (it->ai_family == AF_INET)
			pick = it;
	for (it = ai; it && !pick; it = it->ai_next)
		if (it->ai_family == AF_INET6)
			pick = it;
	if (!pick) {
		freeaddrinfo(ai);
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "'%s' has no IPv4 or IPv6 address", host);
		return -1;
	}
	memset(&ss, 0, sizeof(ss));
	memcpy(&ss, pick->ai_addr, pick->ai_addrlen);
	freeaddrinfo(ai);
	from_sa(&ss, &addr[0]);
	*naddr = 1;
	p->family = addr[0].family;
	inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, addr[0].addr, p->address,
		  sizeof(p->address));
	for (i = 0; i < o->naddr; i++) {
		struct pd_peer_addr *a = &addr[*naddr];

		memset(a, 0, sizeof(*a));
		a->family = (uint8_t)p->family;
		if (inet_pton(p->family == 6 ? AF_INET6 : AF_INET, o->addr[i], a->addr) != 1) {
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "--peer-addr '%s' is not a numeric "
					 "IPv%d address (HOST %s is IPv%d)", o->addr[i], p->family,
					 p->address, p->family);
			return -1;
		}
		(*naddr)++;
	}
	return 0;
}

static int open_udp(int fam, const struct pd_peer_addr *bind_to, bool pktinfo)
{
	struct sockaddr_storage ss;
	int fd, one = 1;

	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (pktinfo && (fam == AF_INET ? setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one))
				       : setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one,
						    sizeof(one))) < 0) {
		close(fd);
		return -1;
	}
	if (bind_to) {
		struct pd_peer_addr b = *bind_to;

		b.port = 0;
		to_sa(&b, &ss);
	} else {
		memset(&ss, 0, sizeof(ss));
		ss.ss_family = (sa_family_t)fam;
	}
	if (bind(fd, (struct sockaddr *)&ss, sa_len(fam)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One datagram: its source, and with pktinfo the local address it came to
 * (family 0 when unknown).  Returns its length, -1 when none is waiting. */
static ssize_t recv_one(int fd, uint8_t *buf, size_t cap, struct pd_peer_addr *from,
			struct pd_peer_addr *to)
{
	struct sockaddr_storage ss;
	union {
		char b[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		size_t align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = cap };
	struct msghdr mh;
	struct cmsghdr *c;
	ssize_t n;

	memset(&mh, 0, sizeof(mh));
	mh.msg_name = &ss;
	mh.msg_namelen = sizeof(ss);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	n = recvmsg(fd, &mh, MSG_DONTWAIT);
	if (n < 0)
		return -1;
	from_sa(&ss, from);
	memset(to, 0, sizeof(*to));
	for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			to->family = 4;
			memcpy(to->addr, &pi.ipi_addr, 4);
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;

			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			to->family = 6;
			memcpy(to->addr, &pi.ipi6_addr, 16);
		}
	}
	return n;
}

static bool wait_readable(int fd, short events, uint64_t end)
{
	struct pollfd pfd = { .fd = fd, .events = events };
	uint64_t now = mono_ms();

	if (now >= end)
		return false;
	return poll(&pfd, 1, (int)(end - now)) > 0;
}

/* HELLO to every endpoint in ep[0..n) not yet answered, up to HELLO_TRIES
 * rounds; obs[i] gets what INFO said.  The local address of each answer is
 * where its reply arrived (IP_PKTINFO), the port the socket's. */
static void hello_all(struct peer_io *io, int fd, struct pd_natmap_obs *obs, size_t n,
		      struct nattrace_peer *p)
{
	uint64_t nonce[PD_NATMAP_MAX_OBS] = { 0 };
	uint16_t lport = local_port(fd);
	size_t i, left = n, len;
	int t;

	for (t = 0; t < HELLO_TRIES && left; t++) {
		uint64_t end;

		for (i = 0; i < n; i++) {
			struct sockaddr_storage ss;

			if (obs[i].answered)
				continue;
			if (pd_peer_client_hello(&io->cl, pd_responder_now_ms(), 0, false, io->buf,
						 sizeof(io->buf), &len, NULL) < 0)
				return;
			nonce[i] = io->cl.last_nonce;
			to_sa(&obs[i].server, &ss);
			if (sendto(fd, io->buf, len, 0, (struct sockaddr *)&ss, sa_len(io->fam)) >= 0)
				p->hellos++;
		}
		end = mono_ms() + HELLO_WAIT_MS;
		while (left && wait_readable(fd, POLLIN, end)) {
			struct pd_peer_addr from, to;
			struct pd_peer_match m;
			ssize_t got;

			while (left && (got = recv_one(fd, io->buf, sizeof(io->buf), &from, &to)) >= 0) {
				if (pd_peer_client_match(&io->cl, pd_responder_now_ms(), 0, io->buf,
							 (size_t)got, &m, NULL) < 0 ||
				    m.msg.type != PD_PEER_INFO)
					continue;
				for (i = 0; i < n; i++) {
					/* The reply must come from the endpoint asked. */
					if (obs[i].answered || nonce[i] != m.msg.nonce ||
					    !same_endpoint(&from, &obs[i].server))
						continue;
					obs[i].answered = true;
					obs[i].seen = m.msg.u.info.seen;
					obs[i].local = to;
					obs[i].local.port = lport;
					snprintf(p->software, sizeof(p->software), "%s",
						 m.msg.u.info.software);
					left--;
				}
			}
		}
		for (i = 0; i < n; i++)
			if (!obs[i].answered && nonce[i])
				pd_peer_client_release(&io->cl, nonce[i]);
	}
}

/* IPv4 hop scan towards the first endpoint: which addresses answer "time
 * exceeded" for TTL 1..NATTRACE_PEER_HOP_TTLS.  The datagrams are not
 * protocol messages, so the responder ignores the ones that reach it. */
static void hop_scan(const struct pd_natmap_obs *target, struct nattrace_peer *p)
{
	struct sockaddr_storage ss;
	uint8_t pay[16];
	int fd, one = 1, ttl;
	uint64_t end;
	size_t answered = 0;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	to_sa(&target->server, &ss);
	if (fd < 0 || setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0 ||
	    connect(fd, (struct sockaddr *)&ss, sa_len(AF_INET)) < 0) {
		if (fd >= 0)
			close(fd);
		return;
	}
	memcpy(pay, HOP_MAGIC, 15);
	for (ttl = 1; ttl <= NATTRACE_PEER_HOP_TTLS; ttl++) {
		pay[15] = (uint8_t)ttl;
		int k;

		/* With IP_RECVERR an error that arrived meanwhile (the time
		 * exceeded for the TTL before) fails the next send once. */
		if (setsockopt(fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl)) == 0)
			for (k = 0; k < 3 && send(fd, pay, sizeof(pay), 0) < 0; k++)
				;
	}
	p->hops_scanned = true;
	end = mono_ms() + HOP_WAIT_MS;
	while (answered < NATTRACE_PEER_HOP_TTLS && wait_readable(fd, POLLERR, end)) {
		for (;;) {
			union {
				char b[CMSG_SPACE(sizeof(struct sock_extended_err) +
						  sizeof(struct sockaddr_in))];
				size_t align;
			} ctl;
			uint8_t got[64];
			struct iovec iov = { .iov_base = got, .iov_len = sizeof(got) };
			struct msghdr mh;
			struct cmsghdr *c;
			ssize_t n;

			memset(&mh, 0, sizeof(mh));
			mh.msg_iov = &iov;
			mh.msg_iovlen = 1;
			mh.msg_control = ctl.b;
			mh.msg_controllen = sizeof(ctl.b);
			n = recvmsg(fd, &mh, MSG_ERRQUEUE | MSG_DONTWAIT);
			if (n < 0)
				break;
			if (n != (ssize_t)sizeof(pay) || memcmp(got, HOP_MAGIC, 15) || !got[15] ||
			    got[15] > NATTRACE_PEER_HOP_TTLS)
				continue;
			for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
				struct sock_extended_err ee;
				struct sockaddr_in off;
				struct pd_peer_addr *h = &p->in.hop[got[15] - 1];

				if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
					continue;
				memcpy(&ee, CMSG_DATA(c), sizeof(ee));
				if (ee.ee_origin != SO_EE_ORIGIN_ICMP || ee.ee_type != 11 ||
				    h->family)
					continue;
				memcpy(&off, CMSG_DATA(c) + sizeof(ee), sizeof(off));
				h->family = 4;
				memcpy(h->addr, &off.sin_addr, 4);
				answered++;
				if ((size_t)got[15] > p->in.n_hops)
					p->in.n_hops = got[15];
			}
		}
	}
	close(fd);
}

/* See the header comment: B learns its mapping, then sends a token to A's. */
static void hairpin(struct peer_io *io, int fd_a, struct nattrace_peer *p)
{
	struct pd_natmap_input *in = &p->in;
	struct pd_natmap_obs b = in->obs[0];
	struct sockaddr_storage ss;
	struct pd_error err = { 0 };
	uint8_t pay[32];
	int fd_b, i;

	fd_b = open_udp(io->fam, &in->obs[0].local, false);
	if (fd_b < 0 || pd_peer_random(pay + 16, 16, &err) < 0) {
		p->hairpin_skipped = "could not open a second socket";
		if (fd_b >= 0)
			close(fd_b);
		return;
	}
	memcpy(pay, HAIRPIN_MAGIC, 16);
	in->hairpin_tested = true;
	in->hp_local = in->obs[0].local;
	in->hp_local.port = local_port(fd_b);
	b.answered = false;
	hello_all(io, fd_b, &b, 1, p);
	if (b.answered) {
		in->hp_mapped = b.seen;
		in->hp_mapped_known = true;
	}
	to_sa(&in->obs[0].seen, &ss);
	for (i = 0; i < HAIRPIN_SENDS && !in->hp_arrived; i++) {
		uint64_t end = mono_ms() + HAIRPIN_WAIT_MS;

		(void)sendto(fd_b, pay, sizeof(pay), 0, (struct sockaddr *)&ss, sa_len(io->fam));
		while (!in->hp_arrived && wait_readable(fd_a, POLLIN, end)) {
			struct pd_peer_addr from, to;
			ssize_t n;

			while ((n = recv_one(fd_a, io->buf, sizeof(io->buf), &from, &to)) >= 0) {
				if (n == (ssize_t)sizeof(pay) && !memcmp(io->buf, pay, sizeof(pay))) {
					in->hp_arrived = true;
					in->hp_from = from;
					break;
				}
			}
		}
	}
	close(fd_b);
}

void nattrace_peer_run(const struct nattrace_peer_opts *o, const char *host,
		       struct nattrace_peer *p, struct tool_report *rep)
{
	static struct peer_io io;
	struct pd_peer_addr addr[1 + NATTRACE_PEER_MAX_ADDRS];
	uint16_t ports[NATTRACE_PEER_MAX_PORTS] = { PD_PEER_PORT };
	size_t naddr = 0, nport = o->nport ? o->nport : 1, i, j;
	struct pd_natmap_input *in = &p->in;
	struct pd_error err = { 0 };
	uint8_t seed[32];
	char msg[160];
	int fd;

	snprintf(p->target, sizeof(p->target), "%s", host);
	if (resolve(o, host, addr, &naddr, p, rep) < 0)
		return;
	if (o->nport)
		memcpy(ports, o->port, sizeof(ports));
	p->ran = true;
	memset(&io, 0, sizeof(io));
	io.fam = p->family == 6 ? AF_INET6 : AF_INET;
	if (pd_peer_random(seed, sizeof(seed), &err) < 0 ||
	    pd_peer_client_init(&io.cl, seed, NULL, 0, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "peer client: %s", msg);
		return;
	}
	for (i = 0; i < naddr; i++) {
		for (j = 0; j < nport; j++) {
			in->obs[in->n].server = addr[i];
			in->obs[in->n++].server.port = ports[j];
		}
	}
	fd = open_udp(io.fam, NULL, true);
	if (fd < 0) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "cannot open a UDP socket: %s",
				 strerror(errno));
		return;
	}
	hello_all(&io, fd, in->obs, in->n, p);
	for (i = 0, j = 0; i < in->n; i++)
		j += in->obs[i].answered;
	if (!j) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "no responder at %s port %u: run "
				 "`mtuprobe serve` there, or drop --peer", p->address, ports[0]);
		close(fd);
		pd_peer_client_wipe(&io.cl);
		return;
	}
	if (io.fam == AF_INET)
		hop_scan(&in->obs[0], p);
	if (o->hairpin) {
		struct pd_natmap_result pre;

		/* Only a NAT can hairpin; without one the answer is "not
		 * applicable" and nothing is sent. */
		if (!in->obs[0].answered)
			p->hairpin_skipped = "the first responder endpoint did not answer";
		else if (pd_natmap_classify(in, &pre, NULL) == PD_OK && pre.present == PD_NATMAP_NO)
			in->hairpin_tested = true;
		else
			hairpin(&io, fd, p);
	}
	close(fd);
	pd_peer_client_wipe(&io.cl);
	if (pd_natmap_classify(in, &p->r, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "internal error: %s", msg);
	}
}
