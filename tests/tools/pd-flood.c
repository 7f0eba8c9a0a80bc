/* pd-flood.c - a bounded flood against `mtuprobe serve`, for
 * tests/lab/serve-flood-tests.sh (protocol: docs/responder.md).  Not a
 * user tool.  IPv4 only; every address is numeric and lies in the lab.
 *
 * Source addresses: the lab routes whole ranges to this node's loopback
 * (`ip route add local RANGE dev lo`, "AnyIP"), so every address of a
 * range is local here: UDP datagrams leave one socket bound to the
 * wildcard address with the source chosen per datagram (IP_PKTINFO), and
 * the replies, to whichever source, come back to that socket, which tells
 * them apart by their destination (IP_PKTINFO again).
 *
 *   pd-flood --target A --seconds S --count N [--port P] [--pps R]
 *            [--tracked-base A --tracked N] [--churn-base A --churn N]
 *            [--idle-base A --idle N] [--half-base A --half N]
 *
 * Phases, all inside the time limit S (and N UDP datagrams at most):
 *   tcp      N idle connections from --idle-base.. (completed, held open,
 *            never read until the end; every 4th sends one byte, a request
 *            never finished), and N connections from --half-base.. whose
 *            SYN-ACKs the lab drops on the way in (half-open at the server)
 *   churn    one padded HELLO from each of --churn sources (more sources
 *            than the responder's table: evictions)
 *   tracked  --tracked sources in turn, a mix of: unsigned REV_REQ asking
 *            32 x 1400 bytes, padded HELLO, FWD_PROBE of 1000 bytes,
 *            garbage with and without the 'PD' magic, truncated REV_REQ,
 *            REV_REQ with a forged MAC; paced at --pps datagrams a second
 * Then 500 ms for late replies, and the TCP connections are read and closed.
 *
 * Every request of a tracked source carries the nonce
 * 0xf10d << 48 | source index << 32 | sequence; a reply is attributed to a
 * request by its nonce and to a source by its destination.  Per source:
 * requests served (distinct nonces answered with anything but the
 * per-source RATE_LIMITED error) and RATE_LIMITED errors, which the lab
 * compares with the documented limits.
 *
 * Output (stdout, line-buffered): "phase NAME" when a phase starts, then
 * "src ADDR k=v..." per tracked source, "tracked k=v...", "tcp k=v..." and
 * "flood k=v..." (IP bytes count 28 bytes of IPv4 + UDP headers per
 * datagram).  Exit status 0, 3 on a usage or system error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pathdiag/peerproto.h>

#define EXIT_USAGE 3
#define MAX_TRACKED 256
#define MAX_CHURN 65536
#define MAX_TCP 4096
#define MAX_SEQ (1u << 20)     /* requests per tracked source */
#define NONCE_TAG 0xf10dull
#define IP_OH PD_PEER_OVERHEAD4
#define DRAIN_MS 500
#define KINDS 7

struct tracked {
	uint32_t addr;          /* host order */
	uint64_t sent, sent_ip;
	uint64_t replies, reply_ip;
	uint64_t served;        /* distinct nonces answered, rate errors aside */
	uint64_t rate_errors;   /* ERROR rate-limited, no sizes named (request rate) */
	uint32_t seq;
	uint8_t *seen;          /* bit per sequence number */
};

struct opts {
	struct in_addr target;
	uint16_t port;
	unsigned seconds, pps;
	uint64_t count;
	uint32_t tracked_base, churn_base, idle_base, half_base;
	unsigned ntracked, nchurn, nidle, nhalf;
};

struct flood {
	struct opts o;
	int fd;
	struct sockaddr_in to;
	struct tracked *t;
	uint64_t sent, sent_ip, send_fail, replies, reply_ip;
	uint64_t churn_replies, foreign, misdirected;
	int idle_fd[MAX_TCP], half_fd[MAX_TCP];
	uint64_t forged_key_seed;
};

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint64_t real_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static uint32_t rnd32(void)
{
	uint32_t v = 0;

	if (getrandom(&v, sizeof(v), 0) != sizeof(v))
		v = (uint32_t)mono_ms() * 2654435761u;
	return v;
}

static int usage(const char *why)
{
	fprintf(stderr, "pd-flood: %s\n"
		"usage: pd-flood --target A --seconds S --count N [--port P] [--pps R]\n"
		"       [--tracked-base A --tracked N] [--churn-base A --churn N]\n"
		"       [--idle-base A --idle N] [--half-base A --half N]\n", why);
	return EXIT_USAGE;
}

static int sys_err(const char *what)
{
	fprintf(stderr, "pd-flood: %s: %s\n", what, strerror(errno));
	return EXIT_USAGE;
}

static bool parse_u(const char *s, unsigned long long max, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return !errno && end != s && !*end && *v <= max;
}

static bool parse_a4(const char *s, uint32_t *host)
{
	struct in_addr a;

	if (inet_pton(AF_INET, s, &a) != 1)
		return false;
	*host = ntohl(a.s_addr);
	return true;
}

/* ---- UDP --------------------------------------------------------------------------- */

/* Send buf from source address src (host order); false if the kernel refused. */
static bool send_from(struct flood *f, uint32_t src, const uint8_t *buf, size_t len)
{
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct in_pktinfo pi;
	struct iovec iov = { .iov_base = (void *)buf, .iov_len = len };
	struct msghdr mh;
	struct cmsghdr *c;

	memset(&ctl, 0, sizeof(ctl));
	memset(&pi, 0, sizeof(pi));
	memset(&mh, 0, sizeof(mh));
	pi.ipi_spec_dst.s_addr = htonl(src);
	mh.msg_name = &f->to;
	mh.msg_namelen = sizeof(f->to);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.b;
	mh.msg_controllen = sizeof(ctl.b);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = IPPROTO_IP;
	c->cmsg_type = IP_PKTINFO;
	c->cmsg_len = CMSG_LEN(sizeof(pi));
	memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	if (sendmsg(f->fd, &mh, MSG_DONTWAIT) < 0) {
		f->send_fail++;
		return false;
	}
	f->sent++;
	f->sent_ip += len + IP_OH;
	return true;
}

static uint64_t load_be64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static void store_be64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
}

/* A reply of n bytes to dst (host order). */
static void account(struct flood *f, const uint8_t *buf, size_t n, uint32_t dst)
{
	struct tracked *t;
	uint64_t nonce;
	uint32_t seq;
	unsigned idx;

	f->replies++;
	f->reply_ip += n + IP_OH;
	if (f->o.nchurn && dst - f->o.churn_base < f->o.nchurn) {
		f->churn_replies++;
		return;
	}
	if (!f->o.ntracked || dst - f->o.tracked_base >= f->o.ntracked) {
		f->foreign++;
		return;
	}
	t = &f->t[dst - f->o.tracked_base];
	t->replies++;
	t->reply_ip += n + IP_OH;
	if (n < PD_PEER_HDR_LEN || buf[0] != PD_PEER_MAGIC0 || buf[1] != PD_PEER_MAGIC1) {
		f->misdirected++;
		return;
	}
	nonce = load_be64(buf + 8);
	idx = (unsigned)(nonce >> 32 & 0xffff);
	seq = (uint32_t)nonce;
	if (nonce >> 48 != NONCE_TAG || idx != dst - f->o.tracked_base || seq >= t->seq) {
		f->misdirected++;
		return;
	}
	/* ERROR rate-limited naming no sizes: the request-rate answer. */
	if (buf[3] == PD_PEER_ERROR && n >= PD_PEER_HDR_LEN + PD_PEER_ERROR_BODY &&
	    buf[16] == PD_PEER_E_RATE_LIMITED && !buf[20] && !buf[21] && !buf[22] && !buf[23]) {
		t->rate_errors++;
		return;
	}
	if (!(t->seen[seq >> 3] & 1u << (seq & 7))) {
		t->seen[seq >> 3] |= (uint8_t)(1u << (seq & 7));
		t->served++;
	}
}

static void drain(struct flood *f)
{
	static uint8_t buf[65536];
	union {
		char b[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} ctl;
	struct iovec iov = { .iov_base = buf, .iov_len = sizeof(buf) };
	struct msghdr mh;
	struct cmsghdr *c;
	struct in_pktinfo pi;
	ssize_t n;
	uint32_t dst;

	for (;;) {
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = ctl.b;
		mh.msg_controllen = sizeof(ctl.b);
		n = recvmsg(f->fd, &mh, MSG_DONTWAIT | MSG_TRUNC);
		if (n < 0)
			return;
		dst = 0;
		for (c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				dst = ntohl(pi.ipi_addr.s_addr);
			}
		}
		account(f, buf, (size_t)n > sizeof(buf) ? sizeof(buf) : (size_t)n, dst);
	}
}

/* The next request of tracked source i; its length in *len. */
static void build_tracked(struct flood *f, unsigned i, uint8_t *buf, size_t cap, size_t *len)
{
	struct tracked *t = &f->t[i];
	uint64_t nonce = NONCE_TAG << 48 | (uint64_t)i << 32 | t->seq;
	uint8_t forged[32];
	struct pd_peer_msg m;
	size_t k, n = 0;
	int kind = (int)(t->seq % KINDS);
	uint32_t r = rnd32();

	t->seq++;
	memset(&m, 0, sizeof(m));
	m.nonce = nonce;
	m.type = PD_PEER_REV_REQ;
	m.u.rev.count = PD_PEER_MAX_SIZES;
	for (k = 0; k < PD_PEER_MAX_SIZES; k++)
		m.u.rev.size[k] = 1400;
	switch (kind) {
	case 0: /* amplification attempt: 32 x 1400 bytes asked with 82 */
	case 5: /* the same, truncated to 16..81 bytes */
		pd_peer_encode(&m, 0, NULL, 0, buf, cap, &n, NULL);
		if (kind == 5)
			n = PD_PEER_HDR_LEN + r % (n - PD_PEER_HDR_LEN);
		break;
	case 1:
		m.type = PD_PEER_HELLO;
		pd_peer_encode(&m, PD_PEER_HELLO_LEN, NULL, 0, buf, cap, &n, NULL);
		break;
	case 2:
		m.type = PD_PEER_FWD_PROBE;
		m.u.fwd.seq = t->seq;
		pd_peer_encode(&m, 1000, NULL, 0, buf, cap, &n, NULL);
		break;
	case 3: /* garbage behind our magic and a nonce */
	case 4: /* garbage */
		n = kind == 3 ? PD_PEER_HDR_LEN + r % 300 : 1 + r % 512;
		for (k = 0; k < n; k += 4) {
			uint32_t w = rnd32();

			memcpy(buf + k, &w, n - k < 4 ? n - k : 4);
		}
		if (kind == 3) {
			buf[0] = PD_PEER_MAGIC0;
			buf[1] = PD_PEER_MAGIC1;
			buf[2] = (uint8_t)(r >> 16 & 3);
			store_be64(buf + 8, nonce);
		} else if (buf[0] == PD_PEER_MAGIC0) {
			buf[0] ^= 0x80;
		}
		break;
	default: /* a MAC made with a key nobody else has */
		for (k = 0; k < sizeof(forged); k++)
			forged[k] = (uint8_t)(f->forged_key_seed >> (k % 8 * 8) ^ k);
		m.ts_ms = real_ms();
		pd_peer_encode(&m, 0, forged, sizeof(forged), buf, cap, &n, NULL);
		break;
	}
	*len = n;
}

static void build_churn(unsigned i, uint8_t *buf, size_t cap, size_t *len)
{
	struct pd_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_HELLO;
	m.nonce = 0xc4c4ull << 48 | i;
	*len = 0;
	pd_peer_encode(&m, PD_PEER_HELLO_LEN, NULL, 0, buf, cap, len, NULL);
}

static int open_udp(struct flood *f)
{
	struct sockaddr_in any;
	int v = 1;

	f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (f->fd < 0)
		return sys_err("UDP socket");
	setsockopt(f->fd, IPPROTO_IP, IP_PKTINFO, &v, sizeof(v));
	/* Sources anywhere in the lab's AnyIP ranges (root in the lab). */
	setsockopt(f->fd, IPPROTO_IP, IP_TRANSPARENT, &v, sizeof(v));
	v = 4 << 20;
	if (setsockopt(f->fd, SOL_SOCKET, SO_RCVBUFFORCE, &v, sizeof(v)) < 0)
		setsockopt(f->fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
	memset(&any, 0, sizeof(any));
	any.sin_family = AF_INET;
	if (bind(f->fd, (struct sockaddr *)&any, sizeof(any)) < 0)
		return sys_err("binding the UDP socket");
	return 0;
}

/* ---- TCP --------------------------------------------------------------------------- */

static int tcp_from(struct flood *f, uint32_t src)
{
	struct sockaddr_in a;
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return -1;
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(src);
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    (connect(fd, (struct sockaddr *)&f->to, sizeof(f->to)) < 0 && errno != EINPROGRESS)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* Wait (up to ms) until the idle connections are established; every 4th
 * then sends one byte of a request it never finishes. */
static uint64_t tcp_settle(struct flood *f, uint64_t until, uint64_t *partial)
{
	struct pollfd *p = calloc(f->o.nidle ? f->o.nidle : 1, sizeof(*p));
	uint64_t up = 0;
	unsigned i;
	int err;
	socklen_t sl;

	if (!p)
		return 0;
	for (;;) {
		unsigned waiting = 0;

		for (i = 0; i < f->o.nidle; i++) {
			p[i].fd = f->idle_fd[i];
			p[i].events = POLLOUT;
			p[i].revents = 0;
		}
		poll(p, f->o.nidle, 50);
		for (i = 0; i < f->o.nidle; i++)
			if (p[i].fd >= 0 && !(p[i].revents & (POLLOUT | POLLERR | POLLHUP)))
				waiting++;
		if (!waiting || mono_ms() >= until)
			break;
	}
	for (i = 0; i < f->o.nidle; i++) {
		sl = sizeof(err);
		if (f->idle_fd[i] < 0 || !(p[i].revents & POLLOUT) ||
		    getsockopt(f->idle_fd[i], SOL_SOCKET, SO_ERROR, &err, &sl) < 0 || err)
			continue;
		up++;
		if (i % 4 == 3 && send(f->idle_fd[i], "P", 1, MSG_DONTWAIT | MSG_NOSIGNAL) == 1)
			(*partial)++;
	}
	free(p);
	return up;
}

/* ---- main -------------------------------------------------------------------------- */

static int parse(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "target", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "pps", required_argument, NULL, 'r' },
		{ "tracked-base", required_argument, NULL, 'T' },
		{ "tracked", required_argument, NULL, 'a' },
		{ "churn-base", required_argument, NULL, 'C' },
		{ "churn", required_argument, NULL, 'c' },
		{ "idle-base", required_argument, NULL, 'I' },
		{ "idle", required_argument, NULL, 'i' },
		{ "half-base", required_argument, NULL, 'H' },
		{ "half", required_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	unsigned long long v;
	bool have_target = false;
	int c;

	memset(o, 0, sizeof(*o));
	o->port = PD_PEER_PORT;
	o->pps = 5000;
	while ((c = getopt_long(argc, argv, "", lo, NULL)) != -1) {
		const char *a = optarg;

		switch (c) {
		case 't':
			if (inet_pton(AF_INET, a, &o->target) != 1)
				return usage("--target: not a numeric IPv4 address");
			have_target = true;
			break;
		case 'p':
			if (!parse_u(a, 65535, &v) || !v)
				return usage("--port: 1..65535");
			o->port = (uint16_t)v;
			break;
		case 's':
			if (!parse_u(a, 60, &v) || !v)
				return usage("--seconds: 1..60");
			o->seconds = (unsigned)v;
			break;
		case 'n':
			if (!parse_u(a, 10000000, &v) || !v)
				return usage("--count: 1..10000000");
			o->count = v;
			break;
		case 'r':
			if (!parse_u(a, 1000000, &v) || !v)
				return usage("--pps: 1..1000000");
			o->pps = (unsigned)v;
			break;
		case 'T':
		case 'C':
		case 'I':
		case 'H':
			if (!parse_a4(a, c == 'T' ? &o->tracked_base : c == 'C' ? &o->churn_base :
				      c == 'I' ? &o->idle_base : &o->half_base))
				return usage("a base address is not a numeric IPv4 address");
			break;
		case 'a':
			if (!parse_u(a, MAX_TRACKED, &v))
				return usage("--tracked: 0..256");
			o->ntracked = (unsigned)v;
			break;
		case 'c':
			if (!parse_u(a, MAX_CHURN, &v))
				return usage("--churn: 0..65536");
			o->nchurn = (unsigned)v;
			break;
		case 'i':
		case 'h':
			if (!parse_u(a, MAX_TCP, &v))
				return usage("--idle / --half: 0..4096");
			if (c == 'i')
				o->nidle = (unsigned)v;
			else
				o->nhalf = (unsigned)v;
			break;
		default:
			return usage("unknown option");
		}
	}
	if (optind != argc)
		return usage("unexpected argument");
	if (!have_target || !o->seconds || !o->count)
		return usage("--target, --seconds and --count are required (the flood is bounded)");
	return 0;
}

static void print_tracked(const struct flood *f, uint64_t tracked_ms)
{
	uint64_t max_served = 0, min_served = UINT64_MAX, max_rate = 0, max_ip = 0;
	uint64_t tot_served = 0, tot_rate = 0, max_sent = 0;
	char a[INET_ADDRSTRLEN];
	struct in_addr ia;
	unsigned i;

	for (i = 0; i < f->o.ntracked; i++) {
		const struct tracked *t = &f->t[i];

		ia.s_addr = htonl(t->addr);
		inet_ntop(AF_INET, &ia, a, sizeof(a));
		printf("src %s sent=%" PRIu64 " sent_ip_bytes=%" PRIu64 " replies=%" PRIu64
		       " reply_ip_bytes=%" PRIu64 " served=%" PRIu64 " rate_errors=%" PRIu64 "\n",
		       a, t->sent, t->sent_ip, t->replies, t->reply_ip, t->served, t->rate_errors);
		max_served = t->served > max_served ? t->served : max_served;
		min_served = t->served < min_served ? t->served : min_served;
		max_rate = t->rate_errors > max_rate ? t->rate_errors : max_rate;
		max_ip = t->reply_ip > max_ip ? t->reply_ip : max_ip;
		max_sent = t->sent > max_sent ? t->sent : max_sent;
		tot_served += t->served;
		tot_rate += t->rate_errors;
	}
	if (!f->o.ntracked)
		min_served = 0;
	printf("tracked sources=%u elapsed_ms=%" PRIu64 " max_sent=%" PRIu64 " max_served=%" PRIu64
	       " min_served=%" PRIu64 " max_rate_errors=%" PRIu64 " max_reply_ip_bytes=%" PRIu64
	       " served=%" PRIu64 " rate_errors=%" PRIu64 "\n", f->o.ntracked, tracked_ms,
	       max_sent, max_served, min_served, max_rate, max_ip, tot_served, tot_rate);
}

/* The idle connections at the end: MSS reports, plain closes, resets. */
static void tcp_finish(struct flood *f, uint64_t idle_up, uint64_t partial, unsigned half_started)
{
	uint64_t reports = 0, rx = 0, eof = 0, reset = 0, silent = 0, half_up = 0;
	uint8_t buf[256];
	unsigned i;
	int err;
	socklen_t sl;

	for (i = 0; i < f->o.nidle; i++) {
		size_t got = 0;
		ssize_t n;

		if (f->idle_fd[i] < 0)
			continue;
		while ((n = recv(f->idle_fd[i], buf + got, sizeof(buf) - got, MSG_DONTWAIT)) > 0)
			got += (size_t)n;
		rx += got;
		if (got >= PD_PEER_HDR_LEN && buf[0] == PD_PEER_MAGIC0 && buf[3] == PD_PEER_MSS_REPORT)
			reports++;
		else if (n == 0)
			eof++;
		else if (n < 0 && errno == ECONNRESET)
			reset++;
		else
			silent++;
		close(f->idle_fd[i]);
	}
	for (i = 0; i < f->o.nhalf; i++) {
		sl = sizeof(err);
		if (f->half_fd[i] < 0)
			continue;
		if (send(f->half_fd[i], "", 0, MSG_DONTWAIT | MSG_NOSIGNAL) == 0 &&
		    !getsockopt(f->half_fd[i], SOL_SOCKET, SO_ERROR, &err, &sl) && !err)
			half_up++;
		close(f->half_fd[i]);
	}
	printf("tcp idle=%u idle_established=%" PRIu64 " partial=%" PRIu64 " reports=%" PRIu64
	       " report_bytes=%" PRIu64 " closed_without_report=%" PRIu64 " reset=%" PRIu64
	       " no_answer=%" PRIu64 " half=%u half_started=%u half_established=%" PRIu64 "\n",
	       f->o.nidle, idle_up, partial, reports, rx, eof, reset, silent, f->o.nhalf,
	       half_started, half_up);
}

int main(int argc, char **argv)
{
	static struct flood f;
	static uint8_t buf[2048];
	struct rlimit rl;
	uint64_t start, end, now, t0 = 0, tracked_ms = 0, idle_up = 0, partial = 0;
	unsigned i, half_started = 0, next = 0;
	size_t len;
	int rc;

	rc = parse(argc, argv, &f.o);
	if (rc)
		return rc;
	setvbuf(stdout, NULL, _IOLBF, 0);
	f.to.sin_family = AF_INET;
	f.to.sin_addr = f.o.target;
	f.to.sin_port = htons(f.o.port);
	f.forged_key_seed = (uint64_t)rnd32() << 32 | rnd32();
	if (f.o.ntracked) {
		f.t = calloc(f.o.ntracked, sizeof(*f.t));
		if (!f.t)
			return sys_err("memory");
		for (i = 0; i < f.o.ntracked; i++) {
			f.t[i].addr = f.o.tracked_base + i;
			f.t[i].seen = calloc(MAX_SEQ / 8, 1);
			if (!f.t[i].seen)
				return sys_err("memory");
		}
	}
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < f.o.nidle + f.o.nhalf + 64u) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (open_udp(&f))
		return EXIT_USAGE;
	start = mono_ms();
	end = start + f.o.seconds * 1000ull;

	/* TCP: idle (held) and half-open connections, paced like the rest. */
	printf("phase tcp\n");
	for (i = 0; i < f.o.nidle || i < f.o.nhalf; i++) {
		if (i < f.o.nidle)
			f.idle_fd[i] = tcp_from(&f, f.o.idle_base + i);
		if (i < f.o.nhalf) {
			f.half_fd[i] = tcp_from(&f, f.o.half_base + i);
			half_started += f.half_fd[i] >= 0;
		}
		while ((mono_ms() - start) * f.o.pps < (uint64_t)i * 2000 && mono_ms() < end)
			usleep(1000);
	}
	idle_up = tcp_settle(&f, mono_ms() + 2000 < end ? mono_ms() + 2000 : end, &partial);

	/* UDP: churn first (each source once), then the tracked sources. */
	printf("phase churn\n");
	uint64_t base = mono_ms(), paced = 0;

	while (f.sent + f.send_fail < f.o.count && (now = mono_ms()) < end) {
		if (next == f.o.nchurn && !t0) {
			if (!f.o.ntracked)
				break;
			printf("phase tracked\n");
			t0 = now;
		}
		if ((now - base) * f.o.pps / 1000 <= paced) {
			drain(&f);
			struct pollfd p = { .fd = f.fd, .events = POLLIN };

			poll(&p, 1, 1);
			continue;
		}
		if (next < f.o.nchurn) {
			build_churn(next, buf, sizeof(buf), &len);
			send_from(&f, f.o.churn_base + next, buf, len);
			next++;
		} else {
			unsigned k = (unsigned)(paced % f.o.ntracked);
			uint64_t ip0 = f.sent_ip;

			build_tracked(&f, k, buf, sizeof(buf), &len);
			if (send_from(&f, f.t[k].addr, buf, len)) {
				f.t[k].sent++;
				f.t[k].sent_ip += f.sent_ip - ip0;
			}
		}
		paced++;
		if (!(paced & 15))
			drain(&f);
	}
	/* Late replies. */
	now = mono_ms();
	while (mono_ms() < now + DRAIN_MS) {
		struct pollfd p = { .fd = f.fd, .events = POLLIN };

		poll(&p, 1, 20);
		drain(&f);
	}
	if (t0)
		tracked_ms = mono_ms() - t0;
	print_tracked(&f, tracked_ms);
	tcp_finish(&f, idle_up, partial, half_started);
	printf("flood elapsed_ms=%" PRIu64 " sent=%" PRIu64 " sent_ip_bytes=%" PRIu64
	       " send_failed=%" PRIu64 " received=%" PRIu64 " received_ip_bytes=%" PRIu64
	       " churn_sources=%u churn_replies=%" PRIu64 " foreign=%" PRIu64
	       " misdirected=%" PRIu64 "\n", mono_ms() - start, f.sent, f.sent_ip, f.send_fail,
	       f.replies, f.reply_ip, f.o.nchurn, f.churn_replies, f.foreign, f.misdirected);
	close(f.fd);
	for (i = 0; i < f.o.ntracked; i++)
		free(f.t[i].seen);
	free(f.t);
	return 0;
}
