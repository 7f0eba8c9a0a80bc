/* path.c - nattrace path mode: send hop-limited UDP, TCP SYN or ICMP echo
 * probes with complete headers (raw sockets: IPv4 IP_HDRINCL, IPv6
 * IPPROTO_RAW), collect the ICMP errors (and the target's own answers), and
 * hand each quote to pd_natpath_compare().  Nothing is printed here.
 *
 * Specs: raw(7) and ipv6(7) (IPPROTO_RAW sockets send the header given;
 * Linux fills in only the IPv4 header checksum and total length, and the ID
 * only when it is 0), RFC 792 / RFC 4443 (the errors and their quotes),
 * RFC 9293 3.10.7 (a SYN draws a SYN-ACK or a RST that acknowledges seq + 1).
 *
 * Probes go out in rounds of up to WINDOW TTLs (every query of each), so a
 * path of a few hops costs one round trip; a round ends when every probe is
 * answered, when the target answered and every TTL before it did too, or
 * after the wait.  The 5-tuple never changes (Paris traceroute), so ECMP
 * routers send every probe the same way; only the key varies (IPv4 ID,
 * transport checksum; IPv6: flow label, which some ECMP hashes include).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pathdiag/checksum.h>
#include <pathdiag/ipv4.h>
#include <pathdiag/ipv6.h>
#include <pathdiag/transport.h>

#include "nattrace.h"

#define WINDOW 8
#define DEFAULT_UDP_PORT 33434
#define DEFAULT_TCP_PORT 80
#define PAYLOAD_LEN 32
#define MAX_PROBES (PD_NATPATH_MAX_HOPS * NATTRACE_MAX_QUERIES)

static const char perm_msg[] =
	"path mode sends raw packets and needs CAP_NET_RAW; run as root or grant it "
	"(setcap cap_net_raw+ep nattrace)";

struct probe_rec {
	uint16_t key;
	uint8_t ttl;
	uint32_t seq;          /* TCP */
	bool answered;
	struct timespec sent;
	uint16_t len;
	uint8_t bytes[PD_NATPATH_PROBE_MAX];
};

struct run {
	const struct nattrace_path_opts *o;
	struct nattrace_path *p;
	struct tool_report *rep;
	struct sockaddr_storage dst;
	socklen_t dstlen;
	uint8_t src[16], dstb[16];
	int fd_send, fd_icmp, fd_tcp;
	uint16_t key_base;
	uint16_t seq_hi;
	struct probe_rec rec[MAX_PROBES];
	size_t nrec;
};

static double ms_between(const struct timespec *a, const struct timespec *b)
{
	return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void now(struct timespec *t)
{
	clock_gettime(CLOCK_MONOTONIC, t);
}

static void addr_text(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
}

/* Name or literal to one address; a literal of the wrong family is an error
 * and never a DNS query. */
static int resolve(struct run *r, const char *host)
{
	const struct nattrace_path_opts *o = r->o;
	struct sockaddr_in *in4 = (struct sockaddr_in *)&r->dst;
	struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&r->dst;
	struct addrinfo hints = { 0 }, *ai = NULL;
	int fam = 0, rc;

	memset(&r->dst, 0, sizeof(r->dst));
	if (inet_pton(AF_INET, host, &in4->sin_addr) == 1) {
		in4->sin_family = AF_INET;
		fam = 4;
	} else if (inet_pton(AF_INET6, host, &in6->sin6_addr) == 1) {
		in6->sin6_family = AF_INET6;
		fam = 6;
	}
	if (fam && o->family && o->family != fam) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN,
				 "'%s' is an IPv%d address but -%d was given; drop -%d", host, fam,
				 o->family, o->family);
		return -1;
	}
	if (!fam) {
		hints.ai_family = o->family == 4 ? AF_INET : o->family == 6 ? AF_INET6 : AF_UNSPEC;
		hints.ai_socktype = SOCK_DGRAM;
		hints.ai_flags = AI_ADDRCONFIG;
		rc = getaddrinfo(host, NULL, &hints, &ai);
		if (rc) {
			tool_report_fail(r->rep, PD_EXIT_UNKNOWN,
					 "cannot resolve '%s': %s; check the name, or give an address",
					 host, gai_strerror(rc));
			return -1;
		}
		memcpy(&r->dst, ai->ai_addr, ai->ai_addrlen);
		freeaddrinfo(ai);
		fam = r->dst.ss_family == AF_INET6 ? 6 : 4;
	}
	r->p->family = fam;
	memset(r->dstb, 0, sizeof(r->dstb));
	if (fam == 6) {
		in6->sin6_port = 0;
		memcpy(r->dstb, &in6->sin6_addr, 16);
		r->dstlen = sizeof(*in6);
	} else {
		in4->sin_port = 0;
		memcpy(r->dstb, &in4->sin_addr, 4);
		r->dstlen = sizeof(*in4);
	}
	addr_text(fam, r->dstb, r->p->address, sizeof(r->p->address));
	return 0;
}

static int bind_device(struct run *r, int fd)
{
	if (!r->o->device)
		return 0;
	if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, r->o->device,
		       (socklen_t)strlen(r->o->device) + 1) < 0) {
		if (errno == EPERM)
			tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "%s", perm_msg);
		else
			tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "cannot send from interface "
					 "'%s': %s", r->o->device, strerror(errno));
		return -1;
	}
	return 0;
}

/* The source address the kernel picks toward the target (the checksums
 * cover it): a connected UDP socket tells, without sending anything. */
static int learn_source(struct run *r)
{
	struct sockaddr_storage ss, d = r->dst;
	socklen_t sl = sizeof(ss);
	int fd, rc;

	if (r->o->device && !if_nametoindex(r->o->device)) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "no interface '%s'; see 'ip link'",
				 r->o->device);
		return -1;
	}
	fd = socket(d.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "socket: %s", strerror(errno));
		return -1;
	}
	if (d.ss_family == AF_INET6)
		((struct sockaddr_in6 *)&d)->sin6_port = htons(r->p->dport);
	else
		((struct sockaddr_in *)&d)->sin_port = htons(r->p->dport);
	rc = bind_device(r, fd);
	if (!rc && connect(fd, (struct sockaddr *)&d, r->dstlen) < 0) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "no route to %s: %s", r->p->address,
				 strerror(errno));
		rc = -1;
	}
	if (!rc && getsockname(fd, (struct sockaddr *)&ss, &sl) < 0) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "getsockname: %s", strerror(errno));
		rc = -1;
	}
	close(fd);
	if (rc)
		return -1;
	memset(r->src, 0, sizeof(r->src));
	if (ss.ss_family == AF_INET6)
		memcpy(r->src, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	else
		memcpy(r->src, &((struct sockaddr_in *)&ss)->sin_addr, 4);
	addr_text(r->p->family, r->src, r->p->source, sizeof(r->p->source));
	return 0;
}

static int raw_socket(struct run *r, int proto, int *fd)
{
	*fd = socket(r->p->family == 6 ? AF_INET6 : AF_INET, SOCK_RAW | SOCK_CLOEXEC, proto);
	if (*fd < 0) {
		if (errno == EPERM || errno == EACCES)
			tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "%s", perm_msg);
		else
			tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "raw socket: %s", strerror(errno));
		return -1;
	}
	return bind_device(r, *fd);
}

static int open_sockets(struct run *r)
{
	int v6 = r->p->family == 6;

	if (raw_socket(r, IPPROTO_RAW, &r->fd_send) < 0)
		return -1;
	if (raw_socket(r, v6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP, &r->fd_icmp) < 0)
		return -1;
	if (v6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		setsockopt(r->fd_icmp, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	}
	if (r->p->proto == PD_NATPATH_TCP && raw_socket(r, IPPROTO_TCP, &r->fd_tcp) < 0)
		return -1;
	return 0;
}

static uint16_t key_of(const struct run *r, size_t i)
{
	return (uint16_t)(1 + (r->key_base + i) % 0xfffe);
}

static int send_probe(struct run *r, unsigned ttl)
{
	struct pd_natpath_probe pr;
	struct probe_rec *rec;
	struct pd_error err = { 0 };
	char msg[160];
	int len;

	if (r->nrec == MAX_PROBES)
		return -1;
	rec = &r->rec[r->nrec];
	memset(&pr, 0, sizeof(pr));
	pr.family = r->p->family;
	memcpy(pr.src, r->src, 16);
	memcpy(pr.dst, r->dstb, 16);
	pr.proto = r->p->proto;
	pr.sport = r->p->sport;
	pr.dport = r->p->dport;
	pr.ttl = (uint8_t)ttl;
	pr.tos = r->p->tos;
	pr.df = r->p->df;
	pr.key = key_of(r, r->nrec);
	pr.seq_hi = r->seq_hi;
	pr.mss = r->p->mss;
	pr.window = 64240;
	pr.payload_len = PAYLOAD_LEN;
	len = pd_natpath_build(&pr, rec->bytes, sizeof(rec->bytes), &err);
	if (len < 0) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "building a probe: %s",
				 pd_error_message(&err, msg, sizeof(msg)));
		return -1;
	}
	rec->len = (uint16_t)len;
	rec->key = pr.key;
	rec->ttl = (uint8_t)ttl;
	rec->answered = false;
	if (pr.proto == PD_NATPATH_TCP) {
		size_t ih = r->p->family == 6 ? PD_IPV6_HDR_LEN : PD_IPV4_HDR_MIN;

		rec->seq = (uint32_t)rec->bytes[ih + 4] << 24 | (uint32_t)rec->bytes[ih + 5] << 16 |
			   (uint32_t)rec->bytes[ih + 6] << 8 | rec->bytes[ih + 7];
	}
	now(&rec->sent);
	if (sendto(r->fd_send, rec->bytes, (size_t)len, 0, (struct sockaddr *)&r->dst,
		   r->dstlen) < 0) {
		tool_report_fail(r->rep, PD_EXIT_UNKNOWN, "sending a probe to %s: %s",
				 r->p->address, strerror(errno));
		return -1;
	}
	r->nrec++;
	r->p->probes++;
	r->p->hop[ttl - r->p->first_hop].sent++;
	return 0;
}

static struct probe_rec *find_key(struct run *r, uint16_t key)
{
	size_t i;

	for (i = 0; i < r->nrec; i++)
		if (r->rec[i].key == key)
			return &r->rec[i];
	return NULL;
}

static bool is_target(const struct run *r, const uint8_t *from)
{
	return !memcmp(from, r->dstb, r->p->family == 6 ? 16 : 4);
}

static const char *answer_name(int family, uint8_t type, uint8_t code)
{
	if (family == 4) {
		if (type == 11)
			return "time-exceeded";
		if (type == 0)
			return "echo-reply";
		if (type == 3)
			return code == 3 ? "port-unreachable" : code == 1 ? "host-unreachable" :
			       code == 0 ? "net-unreachable" : code == 13 ? "admin-prohibited" :
			       "unreachable";
	} else {
		if (type == 3)
			return "time-exceeded";
		if (type == 129)
			return "echo-reply";
		if (type == 1)
			return code == 4 ? "port-unreachable" : code == 3 ? "host-unreachable" :
			       code == 1 ? "admin-prohibited" : code == 0 ? "no-route" :
			       "unreachable";
	}
	return "icmp-error";
}

/* Record an answer to rec from `from`; quote may be NULL. */
static void record(struct run *r, struct probe_rec *rec, const uint8_t *from, bool target,
		   const char *answer, uint8_t type, uint8_t code, const uint8_t *quote,
		   size_t qlen, const struct timespec *at)
{
	struct nattrace_path *p = r->p;
	struct nattrace_path_hop *h = &p->hop[rec->ttl - p->first_hop];
	struct pd_natpath_diff d;
	double rtt = ms_between(&rec->sent, at);
	bool has = false;

	if (quote) {
		if (pd_natpath_compare(rec->bytes, rec->len, quote, qlen, &d, NULL) < 0)
			return;
		has = true;
	}
	rec->answered = true;
	p->answers++;
	h->answers++;
	if (h->rtt_ms < 0 || rtt < h->rtt_ms)
		h->rtt_ms = rtt;
	if (target && (!p->target_ttl || rec->ttl < p->target_ttl))
		p->target_ttl = rec->ttl;
	if (h->h.answered)
		return;
	h->h.answered = true;
	h->h.target = target;
	memcpy(h->h.addr, from, 16);
	h->h.has_diff = has;
	if (has)
		h->h.diff = d;
	else
		h->h.diff.family = p->family;
	h->answer = answer;
	h->icmp_type = type;
	h->icmp_code = code;
}

static void on_icmp(struct run *r, const uint8_t *buf, size_t len, const uint8_t *from,
		    const struct timespec *at)
{
	struct pd_natpath_answer a;
	struct probe_rec *rec;
	struct pd_natpath_diff d;
	const uint8_t *msg = buf;
	size_t mlen = len;
	uint8_t want = 0;
	bool target;

	if (r->p->family == 4) {
		struct pd_ipv4 ip;

		if (pd_ipv4_decode(buf, len, &ip, NULL) < 0 || ip.proto != PD_IPPROTO_ICMP)
			return;
		msg = buf + ip.ihl;
		mlen = ip.payload_len;
		/* Raw sockets see ICMP before the kernel checks its checksum
		 * (ICMPv6 raw sockets only get verified ones). */
		if (pd_csum(msg, mlen) != 0) {
			r->p->ignored++;
			return;
		}
	}
	if (pd_natpath_parse_icmp(r->p->family, msg, mlen, &a, NULL) < 0) {
		r->p->ignored++;
		return;
	}
	if (a.kind == PD_NATPATH_ECHO_REPLY) {
		rec = r->p->proto == PD_NATPATH_ICMP ? find_key(r, a.key) : NULL;
		if (!rec) {
			r->p->ignored++;
			return;
		}
		record(r, rec, from, true, answer_name(r->p->family, a.type, a.code), a.type,
		       a.code, NULL, 0, at);
		return;
	}
	switch (r->p->proto) {
	case PD_NATPATH_UDP:
		want = PD_IPPROTO_UDP;
		break;
	case PD_NATPATH_TCP:
		want = PD_IPPROTO_TCP;
		break;
	case PD_NATPATH_ICMP:
		want = r->p->family == 6 ? PD_IPPROTO_ICMPV6 : PD_IPPROTO_ICMP;
		break;
	}
	if (a.quoted_proto != want) {
		r->p->ignored++;
		return;
	}
	rec = find_key(r, a.key);
	if (!rec && a.has_key2)
		rec = find_key(r, a.key2);
	if (!rec) {
		r->p->ignored++;
		return;
	}
	/* Someone else's packet with a colliding key would differ in both the
	 * destination address and port. */
	if (pd_natpath_compare(rec->bytes, rec->len, msg + a.quote_off, a.quote_len, &d,
			       NULL) == 0) {
		bool dst = false, port = false;
		size_t i;

		for (i = 0; i < d.n; i++) {
			dst |= d.change[i].field == PD_NP_IP_DST;
			port |= d.change[i].field == PD_NP_DPORT;
		}
		if (dst && port) {
			r->p->ignored++;
			return;
		}
	}
	target = is_target(r, from) ||
		 (a.kind == PD_NATPATH_UNREACH && a.code == (r->p->family == 6 ? 4 : 3));
	if (a.kind == PD_NATPATH_UNREACH && !target)
		r->p->stopped_unreach = true;
	record(r, rec, from, target, answer_name(r->p->family, a.type, a.code), a.type, a.code,
	       msg + a.quote_off, a.quote_len, at);
}

static void on_tcp(struct run *r, const uint8_t *buf, size_t len, const uint8_t *from,
		   const struct timespec *at)
{
	struct pd_tcp t;
	size_t i;

	if (r->p->family == 4) {
		struct pd_ipv4 ip;

		if (pd_ipv4_decode(buf, len, &ip, NULL) < 0)
			return;
		buf += ip.ihl;
		len = ip.payload_len;
	}
	if (!is_target(r, from) || pd_tcp_decode(buf, len, &t, NULL) < 0)
		return;
	if (t.sport != r->p->dport || t.dport != r->p->sport || !(t.flags & PD_TCP_ACK))
		return;
	for (i = 0; i < r->nrec; i++)
		if (r->rec[i].seq + 1 == t.ack) {
			record(r, &r->rec[i], from, true,
			       (t.flags & PD_TCP_RST) ? "tcp-rst" : "tcp-syn-ack", 0, 0, NULL, 0,
			       at);
			return;
		}
	r->p->ignored++;
}

static void drain(struct run *r, int fd, bool tcp)
{
	uint8_t buf[2048];
	struct sockaddr_storage ss;
	uint8_t from[16];
	struct timespec at;

	for (;;) {
		socklen_t sl = sizeof(ss);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&ss,
				     &sl);

		if (n < 0)
			return;
		now(&at);
		memset(from, 0, sizeof(from));
		if (ss.ss_family == AF_INET6)
			memcpy(from, &((struct sockaddr_in6 *)&ss)->sin6_addr, 16);
		else if (ss.ss_family == AF_INET)
			memcpy(from, &((struct sockaddr_in *)&ss)->sin_addr, 4);
		else
			continue;
		if (tcp)
			on_tcp(r, buf, (size_t)n, from, &at);
		else
			on_icmp(r, buf, (size_t)n, from, &at);
	}
}

/* The round is over: everything answered, or the target answered and so
 * did every TTL before it. */
static bool round_done(const struct run *r, size_t first)
{
	const struct nattrace_path *p = r->p;
	size_t i;
	unsigned t;

	for (i = first; i < r->nrec; i++)
		if (!r->rec[i].answered)
			break;
	if (i == r->nrec)
		return true;
	if (!p->target_ttl)
		return false;
	for (t = p->first_hop; t < p->target_ttl; t++)
		if (!p->hop[t - p->first_hop].h.answered)
			return false;
	return true;
}

static void wait_round(struct run *r, size_t first)
{
	struct pollfd pf[2];
	struct timespec start, t;
	nfds_t n = 1;

	pf[0].fd = r->fd_icmp;
	pf[0].events = POLLIN;
	if (r->fd_tcp >= 0) {
		pf[1].fd = r->fd_tcp;
		pf[1].events = POLLIN;
		n = 2;
	}
	now(&start);
	for (;;) {
		double left;

		drain(r, r->fd_icmp, false);
		if (r->fd_tcp >= 0)
			drain(r, r->fd_tcp, true);
		if (round_done(r, first) || r->p->stopped_unreach)
			return;
		now(&t);
		left = r->p->wait_ms - ms_between(&start, &t);
		if (left <= 0)
			return;
		poll(pf, n, (int)left + 1);
	}
}

static void trace(struct run *r)
{
	struct nattrace_path *p = r->p;
	unsigned ttl = p->first_hop, last = p->max_hops, t, q, hi = 0;
	struct timespec start, end;

	now(&start);
	p->ran = true;
	while (ttl <= last && !p->target_ttl && !p->stopped_unreach) {
		size_t first = r->nrec;
		unsigned top = ttl + WINDOW - 1 < last ? ttl + WINDOW - 1 : last;

		for (q = 0; q < p->queries; q++)
			for (t = ttl; t <= top; t++)
				if (send_probe(r, t) < 0)
					goto out;
		wait_round(r, first);
		ttl = top + 1;
	}
out:
	now(&end);
	p->elapsed_ms = ms_between(&start, &end);
	/* Rows: up to the target, else up to the last TTL that answered. */
	for (t = p->first_hop; t <= last && t < ttl; t++)
		if (p->hop[t - p->first_hop].h.answered)
			hi = t;
	if (p->target_ttl)
		hi = p->target_ttl;
	p->nhops = hi ? hi - p->first_hop + 1 : 0;
}

void nattrace_path_run(const struct nattrace_path_opts *o, const char *host,
		       struct nattrace_result *res)
{
	static struct run r;
	struct nattrace_path *p = &res->path;
	uint32_t rnd[2] = { 0, 0 };
	unsigned i;
	int rc;

	memset(&r, 0, sizeof(r));
	r.o = o;
	r.p = p;
	r.rep = &res->report;
	r.fd_send = r.fd_icmp = r.fd_tcp = -1;
	snprintf(p->target, sizeof(p->target), "%s", host);
	p->proto = o->proto ? o->proto : PD_NATPATH_UDP;
	p->first_hop = o->first_hop ? o->first_hop : 1;
	/* max_hops is the last TTL probed, as in traceroute -m. */
	p->max_hops = o->max_hops ? o->max_hops : 30;
	if (p->max_hops < p->first_hop)
		p->max_hops = p->first_hop;
	p->queries = o->queries ? o->queries : 2;
	p->wait_ms = o->wait_ms ? o->wait_ms : 1000;
	p->tos = o->tos >= 0 ? (uint8_t)o->tos : 0;
	for (i = 0; i < PD_NATPATH_MAX_HOPS; i++) {
		p->hop[i].h.ttl = p->first_hop + i;
		p->hop[i].rtt_ms = -1;
	}
	if (resolve(&r, host) < 0)
		return;
	p->df = p->family == 4 && !o->no_df;
	if (p->proto == PD_NATPATH_TCP)
		p->mss = (uint16_t)(o->mss ? o->mss : p->family == 6 ? 1440 : 1460);
	if (getrandom(rnd, sizeof(rnd), 0) != sizeof(rnd)) {
		struct timespec t;

		now(&t);
		rnd[0] = (uint32_t)t.tv_nsec ^ (uint32_t)getpid();
		rnd[1] = rnd[0] * 2654435761u;
	}
	r.key_base = (uint16_t)rnd[0];
	r.seq_hi = (uint16_t)(rnd[0] >> 16);
	switch (p->proto) {
	case PD_NATPATH_UDP:
		p->dport = o->port ? o->port : DEFAULT_UDP_PORT;
		p->sport = (uint16_t)(33000 + rnd[1] % 2000);
		break;
	case PD_NATPATH_TCP:
		p->dport = o->port ? o->port : DEFAULT_TCP_PORT;
		p->sport = (uint16_t)(40000 + rnd[1] % 20000);
		break;
	case PD_NATPATH_ICMP:
		p->sport = (uint16_t)rnd[1]; /* echo id */
		p->dport = 0;
		break;
	}
	if (learn_source(&r) < 0)
		return;
	rc = open_sockets(&r);
	if (!rc) {
		rc = tool_drop_privileges();
		if (rc < 0)
			tool_report_fail(r.rep, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
					 tool_privs_error(rc));
	}
	if (!rc)
		trace(&r);
	if (r.fd_send >= 0)
		close(r.fd_send);
	if (r.fd_icmp >= 0)
		close(r.fd_icmp);
	if (r.fd_tcp >= 0)
		close(r.fd_tcp);
	if (p->ran) {
		static struct pd_natpath_hop hops[PD_NATPATH_MAX_HOPS];

		for (i = 0; i < p->nhops; i++)
			hops[i] = p->hop[i].h;
		pd_natpath_analyse(hops, p->nhops, &p->sum);
		for (i = 0; i < p->nhops; i++)
			p->hop[i].h = hops[i];
	}
}

/* ---- findings ------------------------------------------------------------------ */

static const char *hop_addr(const struct nattrace_path *p, unsigned ttl, char *buf, size_t len)
{
	const struct nattrace_path_hop *h;

	if (ttl < p->first_hop || ttl >= p->first_hop + p->nhops)
		return ttl == 0 ? "this host" : "?";
	h = &p->hop[ttl - p->first_hop];
	if (!h->h.answered)
		return "*";
	addr_text(p->family, h->h.addr, buf, len);
	return buf;
}

/* "ip.src 10.0.1.2 -> 198.51.100.7, udp.checksum 0x1234 -> 0x5678" for the
 * changes first seen at a hop. */
static void changes_text(const struct nattrace_path *p, const struct nattrace_path_hop *h,
			 char *buf, size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < h->h.diff.n && used < len; i++) {
		char a[80], b[80];
		int n;

		if (!h->h.is_new[i])
			continue;
		nattrace_change_values(p, &h->h.diff.change[i], a, b, sizeof(a));
		n = snprintf(buf + used, len - used, "%s%s %s -> %s", used ? ", " : "",
			     pd_natpath_field_name(h->h.diff.change[i].field, p->proto), a, b);
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void between(const struct nattrace_path *p, unsigned ttl, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];

	if (ttl <= p->first_hop && p->first_hop == 1)
		snprintf(buf, len, "between this host and hop %u (%s)", ttl,
			 hop_addr(p, ttl, b, sizeof(b)));
	else
		snprintf(buf, len, "between hop %u (%s) and hop %u (%s)", ttl - 1,
			 hop_addr(p, ttl - 1, a, sizeof(a)), ttl, hop_addr(p, ttl, b, sizeof(b)));
}

void nattrace_path_conclude(struct nattrace_result *res)
{
	const struct nattrace_path *p = &res->path;
	const struct pd_natpath_summary *s = &p->sum;
	struct tool_report *rep = &res->report;
	char where[160], ev[PD_FINDING_EVIDENCE_MAX], a[INET6_ADDRSTRLEN];
	size_t i;

	if (!p->ran || rep->error[0])
		return;
	if (!p->answers) {
		tool_report_add(rep, "no-answer", PD_SEV_UNKNOWN, NULL,
				"nothing answered %u probes to %s (TTL %u..%u); a firewall may drop "
				"them or the ICMP errors", p->probes, p->address, p->first_hop,
				p->max_hops);
		return;
	}
	for (i = 0; i < s->n_nat; i++) {
		unsigned t = s->nat_ttl[i];
		const struct nattrace_path_hop *h = &p->hop[t - p->first_hop];

		between(p, t, where, sizeof(where));
		changes_text(p, h, ev, sizeof(ev));
		if (s->nat_restored[i])
			tool_report_add(rep, "nat-restores-quote", PD_SEV_INFO, ev,
					"NAT %s: it restored the quoted addresses and ports in the "
					"ICMP error but not the transport checksum", where);
		else
			tool_report_add(rep, "nat", PD_SEV_INFO, ev,
					"NAT %s: the quote shows the probe rewritten", where);
	}
	if (s->carrier_grade) {
		if (s->shared_ttl && s->n_nat && s->shared_ttl < s->nat_ttl[s->n_nat - 1])
			snprintf(ev, sizeof(ev), "hop %u (%s) is in 100.64.0.0/10 before the "
				 "translation", s->shared_ttl, hop_addr(p, s->shared_ttl, a, sizeof(a)));
		else
			snprintf(ev, sizeof(ev), "first private-addressed router: hop %u (%s)",
				 s->customer_ttl, hop_addr(p, s->customer_ttl, a, sizeof(a)));
		tool_report_add(rep, "carrier-grade-nat", PD_SEV_WARNING, ev,
				"carrier-grade NAT: a translation happens beyond the customer's own "
				"router or inside the shared address space; inbound connections and "
				"port forwarding over IPv4 cannot work (IPv6 may)");
	}
	if (s->shared_ttl)
		tool_report_add(rep, "shared-address-space", PD_SEV_INFO, NULL,
				"hop %u (%s) is in 100.64.0.0/10, the carrier-grade NAT space of "
				"RFC 6598", s->shared_ttl, hop_addr(p, s->shared_ttl, a, sizeof(a)));
	if (s->mss_ttl) {
		between(p, s->mss_ttl, where, sizeof(where));
		tool_report_add(rep, "mss-clamp", PD_SEV_INFO, NULL,
				"TCP MSS clamped %s: sent %u, quoted %u (measured)", where,
				s->mss_sent, s->mss_value);
	}
	if (s->df_ttl) {
		between(p, s->df_ttl, where, sizeof(where));
		tool_report_add(rep, "df-cleared", PD_SEV_WARNING, NULL,
				"the DF bit was cleared %s: routers after it fragment instead of "
				"reporting the path MTU", where);
	}
	if (s->dscp_ttl) {
		between(p, s->dscp_ttl, where, sizeof(where));
		tool_report_add(rep, "dscp-rewritten", PD_SEV_INFO, NULL,
				"DSCP rewritten %s: sent %u, quoted %u", where, s->dscp_sent,
				s->dscp_value);
	}
	if (s->ecn_ttl) {
		between(p, s->ecn_ttl, where, sizeof(where));
		tool_report_add(rep, "ecn-rewritten", PD_SEV_INFO, NULL,
				"ECN field rewritten %s: sent %u, quoted %u", where, s->ecn_sent,
				s->ecn_value);
	}
	if (s->ttl_ttl)
		tool_report_add(rep, "ttl-anomaly", PD_SEV_INFO, NULL,
				"hop %u quoted a TTL above 1: a router before it does not decrement "
				"the TTL, or resets it", s->ttl_ttl);
	if (!s->nat)
		tool_report_add(rep, "no-nat-seen", PD_SEV_INFO, NULL,
				"no translation shows in the quotes of %u answering hops; a NAT that "
				"restores quoted headers and checksums (Linux conntrack does) cannot "
				"be seen by path probes", p->nhops);
	if (!p->target_ttl)
		tool_report_add(rep, "target-not-reached", PD_SEV_WARNING, NULL,
				"%s did not answer within TTL %u%s", p->address,
				p->max_hops, p->stopped_unreach ? " (a router answered unreachable)" : "");
}
