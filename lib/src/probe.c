/* probe.c - the prober's common part: options, sockets, sending one probe of
 * an exact size, reading answers into events, statistics.  See
 * <pathdiag/probe.h>; the methods are in probe_udp.c, probe_icmp.c and
 * probe_tcp.c, the pure matching in probe_match.c.
 *
 * Specs: RFC 1191 / RFC 8201 (path MTU discovery), RFC 4821 (probing);
 * Linux ip(7) and ipv6(7): IP_MTU_DISCOVER / IPV6_MTU_DISCOVER with
 * *_PMTUDISC_PROBE (DF set, no local fragmentation, the cached path MTU
 * ignored, only the interface MTU enforced), IP_RECVERR / IPV6_RECVERR (ICMP
 * errors and local EMSGSIZE on the socket's error queue, with the MTU in
 * ee_info), IP_TTL / IPV6_UNICAST_HOPS; socket(7) SO_TIMESTAMPNS.
 *
 * Two kernel habits shape send and receive here:
 * - An ICMP error also sets the socket's pending error (sk_err), which the
 *   next send() or recv() returns instead of doing its job.  So SO_ERROR is
 *   read (and so cleared) before each send, a failed send is tried once
 *   more, and a receive that fails with such an errno just goes on.
 * - A send refused for the local MTU queues a SO_EE_ORIGIN_LOCAL error
 *   carrying that MTU; it is the only way to tell a real local EMSGSIZE
 *   from a stale one left by a "fragmentation needed".  Under a stream of
 *   (forged) ICMP errors the pending error can come back before every send,
 *   so SO_ERROR is cleared before each try, and a probe is "local too big"
 *   only on the kernel's local error, never on a repeated EMSGSIZE alone.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/uio.h>

#include <pathdiag/ipv4.h>
#include <pathdiag/peerproto.h>
#include <pathdiag/probe.h>

#include "probe_int.h"
#include "sockerr.h"

#define READ_BUDGET 256          /* messages one pd_prober_recv may consume */
#define SEND_TRIES 8             /* sends of one probe failing without a local error */
#define TS_MAX_AGE_NS 60000000000LL /* older kernel stamps: the clock moved */

enum { RX_EVENT = 1, RX_CONSUMED = 0, RX_EMPTY = 2 };

int pdi_sys_fail(struct pd_error *err, int code, int sys_errno, const char *what)
{
	pd_fail(err, code, 0, what);
	if (err)
		err->sys_errno = sys_errno;
	return code;
}

/* splitmix64: seeded from getrandom(); only spreads the seed. */
uint32_t pdi_rand32(struct pd_prober *p)
{
	uint64_t z = (p->rng += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return (uint32_t)((z ^ (z >> 31)) >> 16);
}

static void seed(struct pd_prober *p)
{
	struct timespec ts;

	if (getrandom(&p->rng, sizeof(p->rng), GRND_NONBLOCK) == (ssize_t)sizeof(p->rng))
		return;
	/* No entropy yet (early boot): still differs between runs. */
	clock_gettime(CLOCK_MONOTONIC, &ts);
	p->rng = (uint64_t)ts.tv_nsec << 32 ^ (uint64_t)ts.tv_sec ^ (uint64_t)getpid() << 16 ^
		 (uint64_t)(uintptr_t)p;
}

socklen_t pdi_sa_len(int family)
{
	return family == 6 ? (socklen_t)sizeof(struct sockaddr_in6) :
			     (socklen_t)sizeof(struct sockaddr_in);
}

void pdi_sa_set_port(struct sockaddr_storage *sa, uint16_t port)
{
	if (sa->ss_family == AF_INET) {
		struct sockaddr_in s4;

		memcpy(&s4, sa, sizeof(s4));
		s4.sin_port = htons(port);
		memcpy(sa, &s4, sizeof(s4));
	} else if (sa->ss_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, sa, sizeof(s6));
		s6.sin6_port = htons(port);
		memcpy(sa, &s6, sizeof(s6));
	}
}

int pdi_socket(struct pd_prober *p, const struct pd_probe_opts *o, int type, int proto,
	       const char *perm_what, int *fd, struct pd_error *err)
{
	int dom = p->flow.family == 6 ? AF_INET6 : AF_INET;
	int s = socket(dom, type | SOCK_NONBLOCK | SOCK_CLOEXEC, proto);

	*fd = -1;
	if (s < 0) {
		int e = errno;

		if (e == EPERM || e == EACCES)
			return pdi_sys_fail(err, PD_ERR_PERM, e, perm_what);
		return pdi_sys_fail(err, PD_ERR_SYSTEM, e, "socket() failed");
	}
	if (o->device && *o->device &&
	    setsockopt(s, SOL_SOCKET, SO_BINDTODEVICE, o->device,
		       (socklen_t)strlen(o->device) + 1) < 0) {
		int e = errno;

		close(s);
		if (e == EPERM)
			return pdi_sys_fail(err, PD_ERR_PERM, e,
					    "binding to a device needs CAP_NET_RAW here");
		return pdi_sys_fail(err, PD_ERR_SYSTEM, e,
				    "SO_BINDTODEVICE failed (no such device?)");
	}
	*fd = s;
	return PD_OK;
}

static int setint(int fd, int level, int name, int val)
{
	return setsockopt(fd, level, name, &val, sizeof(val));
}

int pdi_sock_timestamps(int fd, struct pd_error *err)
{
	if (setint(fd, SOL_SOCKET, SO_TIMESTAMPNS, 1) < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "SO_TIMESTAMPNS failed");
	return PD_OK;
}

int pdi_sock_probe_opts(struct pd_prober *p, int fd, struct pd_error *err)
{
	if (p->flow.family == 6) {
		if (setint(fd, IPPROTO_IPV6, IPV6_RECVERR, 1) < 0)
			return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "IPV6_RECVERR failed");
		if (setint(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) < 0)
			return pdi_sys_fail(err, PD_ERR_SYSTEM, errno,
					    "IPV6_MTU_DISCOVER (probe) failed");
		if (setint(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1) < 0)
			return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "IPV6_DONTFRAG failed");
	} else {
		if (setint(fd, IPPROTO_IP, IP_RECVERR, 1) < 0)
			return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "IP_RECVERR failed");
		if (setint(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE) < 0)
			return pdi_sys_fail(err, PD_ERR_SYSTEM, errno,
					    "IP_MTU_DISCOVER (probe) failed");
	}
	return pdi_sock_timestamps(fd, err);
}

int pdi_epoll_add(struct pd_prober *p, int fd, struct pd_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };

	if (epoll_ctl(p->ep, EPOLL_CTL_ADD, fd, &ev) < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "epoll_ctl failed");
	return PD_OK;
}

int pdi_bind(struct pd_prober *p, int fd, const struct sockaddr_storage *sa,
	     struct pd_error *err)
{
	if (bind(fd, (const struct sockaddr *)sa, pdi_sa_len(p->flow.family)) < 0)
		return pdi_sys_fail(err, errno == EACCES || errno == EPERM ? PD_ERR_PERM :
				    PD_ERR_SYSTEM, errno, "bind() to the source address failed");
	return PD_OK;
}

int pdi_connect(struct pd_prober *p, int fd, uint16_t port, struct pd_error *err)
{
	struct sockaddr_storage to = p->dst;
	socklen_t len = sizeof(p->src);

	pdi_sa_set_port(&to, port);
	if (connect(fd, (const struct sockaddr *)&to, pdi_sa_len(p->flow.family)) < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "connect() to the target failed");
	if (getsockname(fd, (struct sockaddr *)&p->src, &len) < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "getsockname() failed");
	p->fd_connected = true;
	return PD_OK;
}

int pdi_route_source(struct pd_prober *p, const struct pd_probe_opts *o,
		     struct sockaddr_storage *out, struct pd_error *err)
{
	socklen_t len = sizeof(*out);
	int fd, rc;

	if (o->src.ss_family != AF_UNSPEC) {
		*out = o->src;
		pdi_sa_set_port(out, 0);
		return PD_OK;
	}
	rc = pdi_socket(p, o, SOCK_DGRAM, 0, "UDP sockets are not permitted here", &fd, err);
	if (rc < 0)
		return rc;
	/* A connected UDP socket: the kernel chooses the source address by
	 * the routing table; nothing is sent. */
	rc = pdi_connect(p, fd, p->flow.dport ? p->flow.dport : 9, err);
	p->fd_connected = false;
	if (rc == PD_OK && getsockname(fd, (struct sockaddr *)out, &len) < 0)
		rc = pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "getsockname() failed");
	close(fd);
	pdi_sa_set_port(out, 0);
	return rc;
}

const uint8_t *pdi_raw_payload(const struct pd_prober *p, const uint8_t *buf, size_t *len)
{
	struct pd_ipv4 ip;

	if (p->flow.family == 6)
		return buf;
	if (pd_ipv4_decode(buf, *len, &ip, NULL) < 0)
		return NULL;
	*len = ip.payload_len;
	return buf + ip.ihl;
}

void pdi_fill_payload(const struct pd_prober *p, const struct pdi_probe_rec *r,
		      uint8_t *dst, size_t n)
{
	uint8_t tok[PD_PROBE_TOKEN_LEN];

	pdi_token_put(tok, p->flow.cookie, r->id, r->ip_size, r->ttl, p->flow.method);
	memcpy(dst, tok, n < sizeof(tok) ? n : sizeof(tok));
	/* The encoders' filler, continued after the token. */
	for (size_t i = sizeof(tok); i < n; i++)
		dst[i] = (uint8_t)(0x50 + (i & 15));
}

/* ---- options and life cycle --------------------------------------------- */

static int check_opts(const struct pd_probe_opts *o, int *family, struct pd_error *err)
{
	int fam;

	if (o->dst.ss_family == AF_INET) {
		fam = 4;
	} else if (o->dst.ss_family == AF_INET6) {
		struct sockaddr_in6 s6;

		memcpy(&s6, &o->dst, sizeof(s6));
		if (IN6_IS_ADDR_V4MAPPED(&s6.sin6_addr))
			return pd_fail(err, PD_ERR_INVAL, 0,
				       "IPv4-mapped IPv6 target: give the IPv4 address");
		fam = 6;
	} else {
		return pd_fail(err, PD_ERR_INVAL, 0, "target is not an IPv4 or IPv6 address");
	}
	if (o->family && o->family != fam)
		return pd_fail(err, PD_ERR_INVAL, 0, "family does not match the target address");
	if (o->src.ss_family != AF_UNSPEC && o->src.ss_family != o->dst.ss_family)
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "source and target addresses are of different families");
	switch (o->method) {
	case PD_PROBE_ICMP:
	case PD_PROBE_UDP:
	case PD_PROBE_PEER:
		break;
	case PD_PROBE_TCP:
		if (!o->port)
			return pd_fail(err, PD_ERR_INVAL, 0, "TCP probes need a destination port");
		if (!o->allow_raw)
			return pd_fail(err, PD_ERR_INVAL, 0,
				       "TCP probes need raw sockets, but allow_raw is off");
		break;
	default:
		return pd_fail(err, PD_ERR_INVAL, 0, "unknown probe method");
	}
	*family = fam;
	return PD_OK;
}

int pd_prober_open(const struct pd_probe_opts *o, struct pd_prober **out,
		   struct pd_error *err)
{
	struct pd_prober *p;
	struct pd_error local = { 0 };
	int fam = 0, rc;

	/* The methods read sys_errno back to choose a fallback. */
	if (!err)
		err = &local;
	if (out)
		*out = NULL;
	if (!o || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL options or result pointer");
	rc = check_opts(o, &fam, err);
	if (rc < 0)
		return rc;
	p = calloc(1, sizeof(*p));
	if (!p)
		return pd_fail(err, PD_ERR_NOMEM, 0, "no memory for the prober");
	p->fd = -1;
	p->fd_err = -1;
	seed(p);
	p->flow.family = fam;
	p->flow.method = o->method;
	p->flow.cookie = pdi_rand32(p);
	p->dst = o->dst;
	pdi_sa_addr(&p->dst, p->flow.dst);
	switch (o->method) {
	case PD_PROBE_UDP:
		p->ops = &pdi_udp_ops;
		p->flow.dport = o->port ? o->port :
			(uint16_t)(PD_PROBE_UDP_PORT_BASE + pdi_rand32(p) % 100);
		break;
	case PD_PROBE_TCP:
		p->ops = &pdi_tcp_ops;
		p->flow.dport = o->port;
		break;
	case PD_PROBE_PEER:
		p->ops = &pdi_peer_ops;
		p->flow.dport = o->port ? o->port : PD_PEER_PORT;
		break;
	default:
		p->ops = &pdi_icmp_ops;
		break;
	}
	pdi_sa_set_port(&p->dst, p->flow.dport);
	p->ep = epoll_create1(EPOLL_CLOEXEC);
	if (p->ep < 0) {
		rc = pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "epoll_create1 failed");
		pd_prober_close(p);
		return rc;
	}
	rc = p->ops->open(p, o, err);
	if (rc < 0) {
		pd_prober_close(p);
		return rc;
	}
	*out = p;
	return PD_OK;
}

void pd_prober_close(struct pd_prober *p)
{
	if (!p)
		return;
	if (p->fd >= 0)
		close(p->fd);
	if (p->fd_err >= 0)
		close(p->fd_err);
	if (p->ep >= 0)
		close(p->ep);
	free(p);
}

int pd_prober_fd(const struct pd_prober *p)
{
	return p ? p->ep : -1;
}

void pd_prober_stats(const struct pd_prober *p, struct pd_probe_stats *st)
{
	if (!st)
		return;
	if (p)
		*st = p->st;
	else
		memset(st, 0, sizeof(*st));
}

void pd_prober_info(const struct pd_prober *p, struct pd_prober_info *info)
{
	if (!info)
		return;
	memset(info, 0, sizeof(*info));
	if (!p)
		return;
	info->family = p->flow.family;
	info->method = p->flow.method;
	info->raw = p->raw;
	info->src = p->src;
	info->dst = p->dst;
	info->echo_id = p->flow.echo_id;
	info->min_size = (uint16_t)(pdi_hdr_len(p->flow.family, p->flow.method) +
				    PD_PROBE_TOKEN_LEN);
}

int pd_prober_probe(const struct pd_prober *p, uint32_t probe_id, struct pd_probe_wire *out,
		    struct pd_error *err)
{
	const struct pdi_probe_rec *r;

	if (!p || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL prober or result pointer");
	r = pdi_table_get(&p->tab, probe_id);
	if (!r)
		return pd_fail(err, PD_ERR_NOTFOUND, 0, "no such probe in the window");
	memset(out, 0, sizeof(*out));
	out->probe_id = r->id;
	out->ip_size = r->ip_size;
	out->ttl = r->ttl;
	out->dport = p->flow.dport;
	switch (p->flow.method) {
	case PD_PROBE_UDP:
	case PD_PROBE_PEER:
		out->sport = pdi_sa_port(&p->src);
		break;
	case PD_PROBE_TCP:
		out->sport = r->tcp_sport;
		out->tcp_seq = r->tcp_seq;
		break;
	case PD_PROBE_ICMP:
		out->dport = 0;
		out->echo_id = p->flow.echo_id;
		out->echo_seq = (uint16_t)r->id;
		break;
	}
	pdi_token_put(out->token, p->flow.cookie, r->id, r->ip_size, r->ttl, p->flow.method);
	out->sent = r->sent;
	return PD_OK;
}

const char *pd_probe_method_name(enum pd_probe_method m)
{
	switch (m) {
	case PD_PROBE_ICMP:
		return "icmp";
	case PD_PROBE_UDP:
		return "udp";
	case PD_PROBE_TCP:
		return "tcp";
	case PD_PROBE_PEER:
		return "peer";
	}
	return "?";
}

const char *pd_probe_event_name(enum pd_probe_event_kind k)
{
	switch (k) {
	case PD_PROBE_ACK:
		return "ack";
	case PD_PROBE_TOO_BIG:
		return "too-big";
	case PD_PROBE_TTL_EXCEEDED:
		return "ttl-exceeded";
	case PD_PROBE_UNREACH:
		return "unreach";
	case PD_PROBE_LOCAL_TOO_BIG:
		return "local-too-big";
	}
	return "?";
}

/* ---- events --------------------------------------------------------------- */

static void evq_push(struct pd_prober *p, const struct pd_probe_event *ev)
{
	if (p->evq_len == PDI_EVQ_LEN) {
		p->st.events_dropped++;
		return;
	}
	p->evq[(p->evq_head + p->evq_len) % PDI_EVQ_LEN] = *ev;
	p->evq_len++;
}

static void count_event(struct pd_prober *p, enum pd_probe_event_kind k)
{
	switch (k) {
	case PD_PROBE_ACK:
		p->st.acked++;
		break;
	case PD_PROBE_TOO_BIG:
		p->st.too_big++;
		break;
	case PD_PROBE_TTL_EXCEEDED:
		p->st.ttl_exceeded++;
		break;
	case PD_PROBE_UNREACH:
		p->st.unreach++;
		break;
	case PD_PROBE_LOCAL_TOO_BIG:
		p->st.local_too_big++;
		break;
	}
}

/* An ICMP error that quotes no probe of ours, by what it claims. */
static void count_ignored_error(struct pd_prober *p, uint8_t type, uint8_t code)
{
	switch (pdi_icmp_err_kind(p->flow.family, type, code)) {
	case PDI_ERRK_TOO_BIG:
		p->st.ignored_too_big++;
		break;
	case PDI_ERRK_TTL:
		p->st.ignored_ttl_exceeded++;
		break;
	case PDI_ERRK_UNREACH:
		p->st.ignored_unreach++;
		break;
	case PDI_ERRK_OTHER:
		p->st.ignored_other_errors++;
		break;
	case PDI_ERRK_NONE:
		break;
	}
}

static int64_t ts_ns(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000000LL + t->tv_nsec;
}

/* When the packet arrived, on CLOCK_MONOTONIC: the kernel stamps it on
 * CLOCK_REALTIME, so its age is measured on that clock and taken off now. */
static struct timespec rx_time(const struct pdi_cmsgs *cm)
{
	struct timespec mono, real;
	int64_t age, t;

	clock_gettime(CLOCK_MONOTONIC, &mono);
	if (!cm->has_ts || clock_gettime(CLOCK_REALTIME, &real) < 0)
		return mono;
	age = ts_ns(&real) - ts_ns(&cm->ts);
	if (age < 0 || age > TS_MAX_AGE_NS)
		return mono;
	t = ts_ns(&mono) - age;
	mono.tv_sec = (time_t)(t / 1000000000LL);
	mono.tv_nsec = (long)(t % 1000000000LL);
	return mono;
}

/* Turn a verdict into an event (RX_EVENT) or a count (RX_CONSUMED). */
static int conclude(struct pd_prober *p, enum pdi_verdict v, const struct pdi_match *m,
		    const struct sockaddr_storage *from, const struct timespec *when,
		    struct pd_probe_event *ev)
{
	const struct pdi_probe_rec *r;

	if (v != PDI_EVENT) {
		if (v == PDI_UNMATCHED)
			p->st.ignored_unmatched++;
		else
			p->st.ignored_bogus++;
		if (m->has_icmp)
			count_ignored_error(p, m->icmp_type, m->icmp_code);
		return RX_CONSUMED;
	}
	r = pdi_table_get(&p->tab, m->probe_id);
	if (!r) {
		p->st.ignored_unmatched++;
		return RX_CONSUMED;
	}
	if (pdi_table_seen(&p->tab, m->probe_id, m->kind)) {
		p->st.ignored_dup++;
		return RX_CONSUMED;
	}
	memset(ev, 0, sizeof(*ev));
	ev->kind = m->kind;
	ev->probe_id = r->id;
	ev->ip_size = r->ip_size;
	ev->ttl = r->ttl;
	ev->mtu = m->mtu;
	ev->mtu_bogus = m->mtu_bogus;
	if (from)
		ev->from = *from;
	pdi_sa_set_port(&ev->from, 0);
	ev->has_icmp = m->has_icmp;
	ev->icmp_type = m->icmp_type;
	ev->icmp_code = m->icmp_code;
	ev->tcp_flags = m->tcp_flags;
	ev->sent = r->sent;
	ev->received = *when;
	count_event(p, m->kind);
	if (m->mtu_bogus)
		p->st.too_big_bogus++;
	return RX_EVENT;
}

static bool fatal_errno(int e)
{
	return e == EBADF || e == EFAULT || e == EINVAL || e == ENOTSOCK || e == ENOMEM;
}

struct local_err {
	bool found;
	uint32_t mtu;
};

/* Read one message from fd's error queue (errq) or normal queue. */
static int read_one(struct pd_prober *p, int fd, bool errq, struct local_err *local,
		    struct pd_probe_event *ev, struct pd_error *err)
{
	struct sockaddr_storage from;
	union {
		struct cmsghdr align;
		uint8_t buf[PDI_CTRL_LEN];
	} ctrl;
	struct iovec iov = { .iov_base = p->rx, .iov_len = sizeof(p->rx) };
	struct msghdr msg = {
		.msg_name = &from, .msg_namelen = sizeof(from),
		.msg_iov = &iov, .msg_iovlen = 1,
		.msg_control = ctrl.buf, .msg_controllen = sizeof(ctrl.buf),
	};
	struct pdi_cmsgs cm;
	struct pdi_match m;
	struct timespec when;
	enum pdi_verdict v;
	uint8_t from16[16];
	ssize_t n;

	memset(&from, 0, sizeof(from));
	n = recvmsg(fd, &msg, MSG_DONTWAIT | (errq ? MSG_ERRQUEUE : 0));
	if (n < 0) {
		int e = errno;

		if (e == EAGAIN || e == EWOULDBLOCK)
			return RX_EMPTY;
		if (fatal_errno(e))
			return pdi_sys_fail(err, PD_ERR_SYSTEM, e, "recvmsg() failed");
		/* A pending ICMP error (sk_err) returned instead of data: it
		 * is now cleared, and its message is in the error queue. */
		return RX_CONSUMED;
	}
	memset(&m, 0, sizeof(m));
	pdi_cmsg_parse(&msg, &cm);
	when = rx_time(&cm);
	if (errq) {
		if (!cm.err.present)
			return RX_CONSUMED;
		if (cm.err.origin == PDI_EE_ORIGIN_LOCAL) {
			if (local && cm.err.ee_errno == EMSGSIZE) {
				local->found = true;
				local->mtu = cm.err.info;
			}
			return RX_CONSUMED;
		}
		/* Raw sockets get each ICMP error twice: as a packet (read
		 * and matched from the normal queue) and on the error queue. */
		if (p->raw)
			return RX_CONSUMED;
		v = pdi_match_errq(&p->flow, &p->tab, &cm.err, p->rx, (size_t)n, &m);
		return conclude(p, v, &m, &cm.err.offender, &when, ev);
	}
	if (!pdi_sa_addr(&from, from16)) {
		p->st.ignored_unmatched++;
		return RX_CONSUMED;
	}
	v = p->ops->input(p, fd, p->rx, (size_t)n, from16, &m);
	return conclude(p, v, &m, &from, &when, ev);
}

/* After a send failed with EMSGSIZE: read fd's error queue for the local
 * error that says so (and queue whatever ICMP answers precede it). */
static void drain_errq(struct pd_prober *p, int fd, struct local_err *local)
{
	struct pd_probe_event ev;

	for (int i = 0; i < READ_BUDGET; i++) {
		int rc = read_one(p, fd, true, local, &ev, NULL);

		if (rc == RX_EVENT)
			evq_push(p, &ev);
		else if (rc != RX_CONSUMED)
			break;
	}
}

static void clear_so_error(int fd)
{
	int e = 0;
	socklen_t len = sizeof(e);

	(void)getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &len);
}

static int set_ttl(struct pd_prober *p, unsigned ttl, struct pd_error *err)
{
	int v = ttl ? (int)ttl : -1;   /* -1: back to the route's default */
	int rc;

	if ((int)ttl == p->ttl)
		return PD_OK;
	if (p->flow.family == 6)
		rc = setint(p->fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, v);
	else
		rc = setint(p->fd, IPPROTO_IP, IP_TTL, v);
	if (rc < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "setting the TTL failed");
	p->ttl = (int)ttl;
	return PD_OK;
}

static void local_too_big(struct pd_prober *p, const struct pdi_probe_rec *r, uint32_t mtu)
{
	struct pd_probe_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.kind = PD_PROBE_LOCAL_TOO_BIG;
	ev.probe_id = r->id;
	ev.ip_size = r->ip_size;
	ev.ttl = r->ttl;
	ev.mtu = mtu;
	ev.sent = r->sent;
	ev.received = r->sent;
	pdi_table_seen(&p->tab, r->id, PD_PROBE_LOCAL_TOO_BIG);
	count_event(p, PD_PROBE_LOCAL_TOO_BIG);
	evq_push(p, &ev);
}

int pd_prober_send(struct pd_prober *p, size_t ip_size, unsigned ttl, uint32_t *probe_id,
		   struct pd_error *err)
{
	struct pdi_probe_rec *r;
	size_t len, min;
	int e = 0;

	if (probe_id)
		*probe_id = 0;
	if (!p)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL prober");
	min = pdi_hdr_len(p->flow.family, p->flow.method) + PD_PROBE_TOKEN_LEN;
	if (ip_size < min || ip_size > PD_PROBE_MAX_SIZE)
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "probe size below headers + token or above 65535");
	if (ttl > 255)
		return pd_fail(err, PD_ERR_INVAL, 0, "TTL above 255");
	if (set_ttl(p, ttl, err) < 0) {
		p->st.send_errors++;
		return err ? err->code : PD_ERR_SYSTEM;
	}
	r = pdi_table_add(&p->tab, (uint16_t)ip_size, (uint8_t)ttl);
	len = p->ops->build(p, r);
	if (len == 0) {
		r->id = 0;
		p->st.send_errors++;
		return pd_fail(err, PD_ERR_INVAL, 0, "the probe could not be built");
	}
	for (int attempt = 0; attempt < SEND_TRIES; attempt++) {
		struct local_err local = { false, 0 };
		ssize_t n;

		/* Every ICMP error that reached the socket since (a flood of
		 * forged ones included) left a pending error for send(). */
		clear_so_error(p->fd);
		clock_gettime(CLOCK_MONOTONIC, &r->sent);
		if (p->fd_connected)
			n = send(p->fd, p->tx, len, 0);
		else
			n = sendto(p->fd, p->tx, len, 0, (const struct sockaddr *)&p->dst,
				   pdi_sa_len(p->flow.family));
		if (n == (ssize_t)len) {
			p->st.sent++;
			if (probe_id)
				*probe_id = r->id;
			return PD_OK;
		}
		e = n < 0 ? errno : EIO;
		/* Only the kernel's own local error proves the size too big
		 * for the interface; its MTU is the interface's (PMTUDISC_PROBE
		 * ignores the route cache, which forged errors may have
		 * lowered).  A failure without one was an error left pending
		 * by an ICMP error, or another: try again.  Reading the error
		 * queue also makes room for the next local error. */
		drain_errq(p, p->fd, &local);
		if (local.found) {
			local_too_big(p, r, local.mtu);
			if (probe_id)
				*probe_id = r->id;
			return PD_OK;
		}
		if (attempt + 1 < SEND_TRIES)
			p->st.stale_send_errors++;
	}
	r->id = 0; /* never sent: nothing can answer it */
	p->st.send_errors++;
	return pdi_sys_fail(err, PD_ERR_SYSTEM, e, "sending the probe failed");
}

int pd_prober_recv(struct pd_prober *p, struct pd_probe_event *ev, struct pd_error *err)
{
	int fds[2];
	int nfd = 0, budget = READ_BUDGET;
	bool progress = true;

	if (!p || !ev)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL prober or event pointer");
	if (p->evq_len) {
		*ev = p->evq[p->evq_head];
		p->evq_head = (p->evq_head + 1) % PDI_EVQ_LEN;
		p->evq_len--;
		return 1;
	}
	fds[nfd++] = p->fd;
	if (p->fd_err >= 0)
		fds[nfd++] = p->fd_err;
	while (progress && budget > 0) {
		progress = false;
		for (int i = 0; i < nfd; i++) {
			for (int q = 0; q < 2; q++) {
				int rc = read_one(p, fds[i], q == 0, NULL, ev, err);

				if (rc == RX_EVENT)
					return 1;
				if (rc < 0)
					return rc;
				if (rc == RX_CONSUMED) {
					progress = true;
					budget--;
				}
			}
		}
	}
	if (!progress) {
		/* Nothing left: drop any pending socket error, or the epoll
		 * descriptor would stay readable (EPOLLERR). */
		for (int i = 0; i < nfd; i++)
			clear_so_error(fds[i]);
	}
	return 0;
}
