/* responder_io.c - the socket loop of the peer responder: UDP (IPv4 and
 * IPv6) in, pd_responder_udp() decides, replies out; a TCP listener whose
 * accepted connections get one MSS_REPORT built from the SYN the kernel
 * saved (TCP_SAVE_SYN / TCP_SAVED_SYN, Linux 4.2+).  Protocol:
 * pathdiag/peerproto.h, docs/responder.md.
 *
 * Socket options and why:
 *   IP_MTU_DISCOVER = IP_PMTUDISC_PROBE        DF set, route PMTU ignored:
 *   IPV6_MTU_DISCOVER = IPV6_PMTUDISC_PROBE    a REV_DATA of size N leaves as
 *   IPV6_DONTFRAG = 1                          one N-byte packet or not at all
 *   IP_PKTINFO / IPV6_RECVPKTINFO              reply from the address the
 *                                              request was sent to (multi-homed)
 *   IPV6_V6ONLY = 1                            one socket per family
 *   TCP_SAVE_SYN = 1                           keep the SYN's IP+TCP headers
 *
 * Nothing is printed; errors come back as struct pd_error, counters in
 * struct pd_responder_io_stats.  Memory is allocated once in open.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pathdiag/hmac.h>
#include <pathdiag/responder.h>

#define RX_BATCH 8
#define RX_BUF 65536            /* any UDP datagram fits: lengths are exact */
#define ACCEPT_BATCH 32
#define SYN_BUF 1024
#define POLL_MS 200
#define KEYFILE_MAX 4096
/* Half-open connections the kernel keeps before it answers with SYN
 * cookies, which keep no SYN (TCP_SAVED_SYN then has nothing, the report
 * says NO_SYN), and completed ones waiting for accept(): kernel memory of
 * a few hundred bytes each, bounded by this (and net.core.somaxconn). */
#define LISTEN_BACKLOG 1024

enum { S_UDP4, S_UDP6, S_TCP4, S_TCP6, S_N };

/* Replies are a head plus zeros: one shared block of zeros. */
static const uint8_t zeros[PD_PEER_UDP_MAX];

union ctlbuf {
	char buf[CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo))];
	size_t align; /* struct cmsghdr's alignment (its cmsg_len is a size_t) */
};

struct pd_responder_io {
	struct pd_responder *r;
	int fd[S_N];
	struct pd_responder_io_stats st;
	uint8_t *rxbuf;                       /* RX_BATCH x RX_BUF */
	struct mmsghdr rx[RX_BATCH];
	struct iovec rxiov[RX_BATCH];
	struct sockaddr_storage rxaddr[RX_BATCH];
	union ctlbuf rxctl[RX_BATCH];
	struct mmsghdr tx[PD_RESP_MAX_REPLIES];
	struct iovec txiov[PD_RESP_MAX_REPLIES][2];
	union ctlbuf txctl;
	struct pd_resp_plan plan;
};

static int sys_fail(struct pd_error *err, int code, const char *what)
{
	int e = errno;

	pd_fail(err, code, 0, what);
	if (err)
		err->sys_errno = e;
	return code;
}

uint64_t pd_responder_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

void pd_responder_io_config_default(struct pd_responder_io_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->port = PD_PEER_PORT;
	cfg->v4 = true;
	cfg->v6 = true;
	cfg->tcp = true;
}

/* ---- key file ------------------------------------------------------------- */

int pd_peer_key_load(const char *path, uint8_t key[PD_PEER_KEY_MAX], size_t *key_len,
		     struct pd_error *err)
{
	char text[KEYFILE_MAX + 1];
	struct stat st;
	size_t got = 0;
	ssize_t n;
	int fd, rc;

	if (!path || !key || !key_len)
		return pd_fail(err, PD_ERR_INVAL, 0, "key load: NULL argument");
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	if (fd < 0)
		return sys_fail(err, PD_ERR_SYSTEM, "opening the key file");
	if (fstat(fd, &st) < 0) {
		rc = sys_fail(err, PD_ERR_SYSTEM, "fstat on the key file");
		close(fd);
		return rc;
	}
	if (!S_ISREG(st.st_mode)) {
		close(fd);
		return pd_fail(err, PD_ERR_INVAL, 0, "key file is not a regular file");
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		return pd_fail(err, PD_ERR_PERM, 0,
			       "key file is accessible to group or others (chmod 600 it)");
	}
	while (got < sizeof(text)) {
		n = read(fd, text + got, sizeof(text) - got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = sys_fail(err, PD_ERR_SYSTEM, "reading the key file");
			close(fd);
			pd_wipe(text, sizeof(text));
			return rc;
		}
		if (n == 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	if (got > KEYFILE_MAX) {
		pd_wipe(text, sizeof(text));
		return pd_fail(err, PD_ERR_MALFORMED, KEYFILE_MAX,
			       "key file larger than 4096 bytes");
	}
	rc = pd_peer_key_parse(text, got, key, key_len, err);
	pd_wipe(text, sizeof(text));
	return rc;
}

/* ---- sockets ---------------------------------------------------------------- */

static int setint(int fd, int level, int name, int v)
{
	return setsockopt(fd, level, name, &v, sizeof(v));
}

static int open_udp(struct pd_responder_io *io, int fam, const struct pd_responder_io_config *c,
		    struct pd_error *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		if (c->bind4 && inet_pton(AF_INET, c->bind4, &s4->sin_addr) != 1)
			return pd_fail(err, PD_ERR_INVAL, 0, "bind4 is not a numeric IPv4 address");
		sl = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		if (c->bind6 && inet_pton(AF_INET6, c->bind6, &s6->sin6_addr) != 1)
			return pd_fail(err, PD_ERR_INVAL, 0, "bind6 is not a numeric IPv6 address");
		sl = sizeof(*s6);
	}
	fd = socket(fam, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sys_fail(err, PD_ERR_SYSTEM, "opening a UDP socket");
	if (fam == AF_INET) {
		rc = setint(fd, IPPROTO_IP, IP_PKTINFO, 1) ||
		     setint(fd, IPPROTO_IP, IP_MTU_DISCOVER, IP_PMTUDISC_PROBE);
	} else {
		rc = setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1) ||
		     setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) ||
		     setint(fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, IPV6_PMTUDISC_PROBE) ||
		     setint(fd, IPPROTO_IPV6, IPV6_DONTFRAG, 1);
	}
	if (rc) {
		rc = sys_fail(err, PD_ERR_SYSTEM, "setting UDP socket options (PKTINFO, PMTUDISC)");
		close(fd);
		return rc;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0) {
		rc = sys_fail(err, errno == EACCES ? PD_ERR_PERM : PD_ERR_SYSTEM,
			      "binding the UDP socket");
		close(fd);
		return rc;
	}
	io->fd[fam == AF_INET ? S_UDP4 : S_UDP6] = fd;
	return PD_OK;
}

static int open_tcp(struct pd_responder_io *io, int fam, const struct pd_responder_io_config *c,
		    struct pd_error *err)
{
	struct sockaddr_storage ss;
	struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
	socklen_t sl;
	int fd, rc;

	memset(&ss, 0, sizeof(ss));
	if (fam == AF_INET) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(c->port);
		if (c->bind4)
			inet_pton(AF_INET, c->bind4, &s4->sin_addr); /* checked for UDP */
		sl = sizeof(*s4);
	} else {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(c->port);
		if (c->bind6)
			inet_pton(AF_INET6, c->bind6, &s6->sin6_addr);
		sl = sizeof(*s6);
	}
	fd = socket(fam, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return sys_fail(err, PD_ERR_SYSTEM, "opening a TCP socket");
	rc = setint(fd, SOL_SOCKET, SO_REUSEADDR, 1) ||
	     setint(fd, IPPROTO_TCP, TCP_SAVE_SYN, 1) ||
	     (fam == AF_INET6 && setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 1));
	if (rc) {
		rc = sys_fail(err, PD_ERR_SYSTEM, "setting TCP socket options (TCP_SAVE_SYN)");
		close(fd);
		return rc;
	}
	if (bind(fd, (struct sockaddr *)&ss, sl) < 0 || listen(fd, LISTEN_BACKLOG) < 0) {
		rc = sys_fail(err, errno == EACCES ? PD_ERR_PERM : PD_ERR_SYSTEM,
			      "binding the TCP listener");
		close(fd);
		return rc;
	}
	io->fd[fam == AF_INET ? S_TCP4 : S_TCP6] = fd;
	return PD_OK;
}

void pd_responder_io_close(struct pd_responder_io *io)
{
	int i;

	if (!io)
		return;
	for (i = 0; i < S_N; i++)
		if (io->fd[i] >= 0)
			close(io->fd[i]);
	free(io->rxbuf);
	free(io);
}

/* UDP and (if asked) TCP of one family; on failure neither stays open. */
static int open_family(struct pd_responder_io *io, int fam,
		       const struct pd_responder_io_config *cfg, struct pd_error *err)
{
	int u = fam == AF_INET ? S_UDP4 : S_UDP6, rc;

	rc = open_udp(io, fam, cfg, err);
	if (rc || !cfg->tcp)
		return rc;
	rc = open_tcp(io, fam, cfg, err);
	if (rc) {
		close(io->fd[u]);
		io->fd[u] = -1;
	}
	return rc;
}

int pd_responder_io_open(const struct pd_responder_io_config *cfg, struct pd_responder *r,
			 struct pd_responder_io **out, struct pd_error *err)
{
	struct pd_responder_io *io;
	struct pd_error e4 = { 0 }, e6 = { 0 };
	int i, rc4 = 0, rc6 = 0;

	if (!cfg || !r || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: NULL argument");
	*out = NULL;
	if (!cfg->port)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: port 0");
	if (!cfg->v4 && !cfg->v6)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: neither IPv4 nor IPv6");
	io = calloc(1, sizeof(*io));
	if (!io)
		return pd_fail(err, PD_ERR_NOMEM, 0, "responder io state");
	for (i = 0; i < S_N; i++)
		io->fd[i] = -1;
	io->r = r;
	io->rxbuf = malloc((size_t)RX_BATCH * RX_BUF);
	if (!io->rxbuf) {
		free(io);
		return pd_fail(err, PD_ERR_NOMEM, 0, "responder io buffers");
	}
	if (cfg->v4)
		rc4 = open_family(io, AF_INET, cfg, &e4);
	if (cfg->v6)
		rc6 = open_family(io, AF_INET6, cfg, &e6);
	/* A family given an address must work; with "any", one may be missing
	 * (IPv6 disabled) as long as the other one works. */
	if ((rc4 && (cfg->bind4 || !cfg->v6 || rc6)) || (rc6 && (cfg->bind6 || !cfg->v4 || rc4))) {
		const struct pd_error *e = rc4 ? &e4 : &e6;
		int rc = rc4 ? rc4 : rc6;

		if (err)
			*err = *e;
		pd_responder_io_close(io);
		return rc;
	}
	*out = io;
	return PD_OK;
}

unsigned pd_responder_io_sockets(const struct pd_responder_io *io)
{
	unsigned m = 0;
	int i;

	for (i = 0; io && i < S_N; i++)
		if (io->fd[i] >= 0)
			m |= 1u << i;
	return m;
}

void pd_responder_io_get_stats(const struct pd_responder_io *io,
			       struct pd_responder_io_stats *st)
{
	if (io && st)
		*st = io->st;
}

/* ---- UDP ------------------------------------------------------------------- */

static bool addr_from_sockaddr(const struct sockaddr_storage *ss, struct pd_peer_addr *a)
{
	memset(a, 0, sizeof(*a));
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)ss;

		a->family = 4;
		a->port = ntohs(s->sin_port);
		memcpy(a->addr, &s->sin_addr, 4);
		return true;
	}
	if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;

		a->family = 6;
		a->port = ntohs(s->sin6_port);
		memcpy(a->addr, &s->sin6_addr, 16);
		return true;
	}
	return false;
}

/* Build the reply's control message from the request's: same local
 * address.  false when the request was not unicast to us (broadcast or
 * multicast destination): such requests are not answered. */
static bool reply_ctl(struct pd_responder_io *io, struct msghdr *req, bool v6,
		      struct msghdr *rep)
{
	struct cmsghdr *c, *o;

	memset(&io->txctl, 0, sizeof(io->txctl));
	rep->msg_control = NULL;
	rep->msg_controllen = 0;
	for (c = CMSG_FIRSTHDR(req); c; c = CMSG_NXTHDR(req, c)) {
		if (!v6 && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo in, outp;

			memcpy(&in, CMSG_DATA(c), sizeof(in));
			/* For unicast to a local address ipi_spec_dst equals
			 * the destination; for broadcast it does not. */
			if (in.ipi_addr.s_addr != in.ipi_spec_dst.s_addr ||
			    IN_MULTICAST(ntohl(in.ipi_addr.s_addr)))
				return false;
			memset(&outp, 0, sizeof(outp));
			outp.ipi_spec_dst = in.ipi_addr;
			rep->msg_control = io->txctl.buf;
			rep->msg_controllen = CMSG_SPACE(sizeof(outp));
			o = CMSG_FIRSTHDR(rep);
			o->cmsg_level = IPPROTO_IP;
			o->cmsg_type = IP_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(outp));
			memcpy(CMSG_DATA(o), &outp, sizeof(outp));
			return true;
		}
		if (v6 && c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo in6;

			memcpy(&in6, CMSG_DATA(c), sizeof(in6));
			if (IN6_IS_ADDR_MULTICAST(&in6.ipi6_addr))
				return false;
			rep->msg_control = io->txctl.buf;
			rep->msg_controllen = CMSG_SPACE(sizeof(in6));
			o = CMSG_FIRSTHDR(rep);
			o->cmsg_level = IPPROTO_IPV6;
			o->cmsg_type = IPV6_PKTINFO;
			o->cmsg_len = CMSG_LEN(sizeof(in6));
			memcpy(CMSG_DATA(o), &in6, sizeof(in6)); /* address and ifindex */
			return true;
		}
	}
	return true; /* no pktinfo: the kernel picks the source */
}

static void send_plan(struct pd_responder_io *io, int fd, struct mmsghdr *req, bool v6)
{
	struct pd_resp_plan *p = &io->plan;
	struct msghdr proto;
	size_t i, done = 0;
	int n;

	if (!p->n)
		return;
	memset(&proto, 0, sizeof(proto));
	if (!reply_ctl(io, &req->msg_hdr, v6, &proto))
		return;
	for (i = 0; i < p->n; i++) {
		struct msghdr *h = &io->tx[i].msg_hdr;

		memset(&io->tx[i], 0, sizeof(io->tx[i]));
		io->txiov[i][0].iov_base = p->reply[i].head;
		io->txiov[i][0].iov_len = p->reply[i].head_len;
		io->txiov[i][1].iov_base = (void *)zeros;
		io->txiov[i][1].iov_len = (size_t)p->reply[i].len - p->reply[i].head_len;
		h->msg_name = req->msg_hdr.msg_name;
		h->msg_namelen = req->msg_hdr.msg_namelen;
		h->msg_iov = io->txiov[i];
		h->msg_iovlen = 2;
		h->msg_control = proto.msg_control;
		h->msg_controllen = proto.msg_controllen;
	}
	/* A reply the kernel refuses (EMSGSIZE: bigger than the interface MTU
	 * with DF) is skipped; the rest still go. */
	while (done < p->n) {
		n = sendmmsg(fd, io->tx + done, (unsigned)(p->n - done), MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			io->st.tx_errors++;
			if (errno == EMSGSIZE)
				io->st.tx_emsgsize++;
			if (errno == EAGAIN || errno == EWOULDBLOCK || errno == ENOBUFS) {
				io->st.tx_errors += p->n - done - 1;
				return;
			}
			done++;
			continue;
		}
		done += (size_t)n;
	}
}

static void serve_udp(struct pd_responder_io *io, int which)
{
	int fd = io->fd[which], n, i;
	bool v6 = which == S_UDP6;
	struct pd_peer_addr src;
	uint64_t now;

	for (i = 0; i < RX_BATCH; i++) {
		memset(&io->rx[i], 0, sizeof(io->rx[i]));
		io->rxiov[i].iov_base = io->rxbuf + (size_t)i * RX_BUF;
		io->rxiov[i].iov_len = RX_BUF;
		io->rx[i].msg_hdr.msg_iov = &io->rxiov[i];
		io->rx[i].msg_hdr.msg_iovlen = 1;
		io->rx[i].msg_hdr.msg_name = &io->rxaddr[i];
		io->rx[i].msg_hdr.msg_namelen = sizeof(io->rxaddr[i]);
		io->rx[i].msg_hdr.msg_control = io->rxctl[i].buf;
		io->rx[i].msg_hdr.msg_controllen = sizeof(io->rxctl[i].buf);
	}
	n = recvmmsg(fd, io->rx, RX_BATCH, MSG_DONTWAIT, NULL);
	if (n < 0) {
		if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
			io->st.rx_errors++;
		return;
	}
	now = pd_responder_now_ms();
	for (i = 0; i < n; i++) {
		struct msghdr *h = &io->rx[i].msg_hdr;

		if ((h->msg_flags & MSG_TRUNC) || !addr_from_sockaddr(&io->rxaddr[i], &src)) {
			io->st.rx_errors++;
			continue;
		}
		pd_responder_udp(io->r, io->rxiov[i].iov_base, io->rx[i].msg_len, &src, now,
				 &io->plan);
		send_plan(io, fd, &io->rx[i], v6);
	}
}

/* ---- TCP -------------------------------------------------------------------- */

static void serve_tcp(struct pd_responder_io *io, int which)
{
	uint8_t syn[SYN_BUF];
	struct sockaddr_storage ss;
	struct pd_peer_addr src;
	socklen_t sl, synlen;
	int i, cfd;

	for (i = 0; i < ACCEPT_BATCH; i++) {
		sl = sizeof(ss);
		cfd = accept4(io->fd[which], (struct sockaddr *)&ss, &sl,
			      SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (cfd < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
			    errno != ECONNABORTED)
				io->st.tcp_errors++;
			return;
		}
		io->st.tcp_accepted++;
		synlen = sizeof(syn);
		if (getsockopt(cfd, IPPROTO_TCP, TCP_SAVED_SYN, syn, &synlen) < 0)
			synlen = 0;
		if (addr_from_sockaddr(&ss, &src) &&
		    pd_responder_tcp(io->r, syn, synlen, &src, pd_responder_now_ms(),
				     &io->plan) == PD_OK && io->plan.n == 1) {
			const struct pd_resp_reply *rep = &io->plan.reply[0];

			/* 44 bytes into an empty send buffer: never blocks. */
			if (send(cfd, rep->head, rep->head_len, MSG_DONTWAIT | MSG_NOSIGNAL) !=
			    (ssize_t)rep->head_len)
				io->st.tcp_errors++;
		}
		close(cfd);
	}
}

/* ---- loop ------------------------------------------------------------------- */

/* One round over several socket sets: wait up to timeout_ms, serve what
 * is there. */
static int poll_set(struct pd_responder_io *const *ios, size_t nio, int timeout_ms,
		    struct pd_error *err)
{
	struct pollfd pfd[PD_RESP_IO_SET_MAX * S_N];
	int which[PD_RESP_IO_SET_MAX * S_N], owner[PD_RESP_IO_SET_MAX * S_N];
	int n = 0, i, rc;
	size_t k;

	if (!ios || !nio || nio > PD_RESP_IO_SET_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: bad socket set");
	for (k = 0; k < nio; k++) {
		if (!ios[k])
			return pd_fail(err, PD_ERR_INVAL, 0, "responder io: NULL argument");
		ios[k]->st.loops++;
		for (i = 0; i < S_N; i++) {
			if (ios[k]->fd[i] < 0)
				continue;
			pfd[n].fd = ios[k]->fd[i];
			pfd[n].events = POLLIN;
			pfd[n].revents = 0;
			owner[n] = (int)k;
			which[n++] = i;
		}
	}
	rc = poll(pfd, (nfds_t)n, timeout_ms);
	if (rc < 0) {
		if (errno == EINTR)
			return PD_OK;
		return sys_fail(err, PD_ERR_SYSTEM, "poll on the responder sockets");
	}
	for (i = 0; i < n; i++) {
		if (!(pfd[i].revents & (POLLIN | POLLERR)))
			continue;
		if (which[i] == S_UDP4 || which[i] == S_UDP6)
			serve_udp(ios[owner[i]], which[i]);
		else
			serve_tcp(ios[owner[i]], which[i]);
	}
	return PD_OK;
}

int pd_responder_io_poll(struct pd_responder_io *io, int timeout_ms, struct pd_error *err)
{
	if (!io)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: NULL argument");
	return poll_set(&io, 1, timeout_ms, err);
}

int pd_responder_io_run(struct pd_responder_io *io, volatile sig_atomic_t *stop,
			struct pd_error *err)
{
	if (!io)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: NULL argument");
	return pd_responder_io_run_set(&io, 1, stop, err);
}

int pd_responder_io_run_set(struct pd_responder_io *const *io, size_t n,
			    volatile sig_atomic_t *stop, struct pd_error *err)
{
	int rc;

	if (!io || !stop)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder io: NULL argument");
	while (!*stop) {
		rc = poll_set(io, n, POLL_MS, err);
		if (rc)
			return rc;
	}
	return PD_OK;
}

int pd_peer_random(void *buf, size_t len, struct pd_error *err)
{
	uint8_t *p = buf;
	ssize_t n;

	if (!buf && len)
		return pd_fail(err, PD_ERR_INVAL, 0, "random: NULL buffer");
	while (len) {
		n = getrandom(p, len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return sys_fail(err, PD_ERR_SYSTEM, "getrandom");
		p += n;
		len -= (size_t)n;
	}
	return PD_OK;
}
