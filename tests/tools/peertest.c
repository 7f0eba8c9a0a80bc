/* peertest.c - drives the peer responder and its client helpers over real
 * sockets, for tests/lab/peer-tests.sh (protocol: pathdiag/peerproto.h,
 * docs/responder.md).  Not an end-user tool: `mtuprobe serve` and
 * `mtuprobe --peer` are.  Addresses are numeric (no DNS).
 *
 *   peertest server [--port N] [--key FILE] [--bind4 A] [--bind6 A] [--no-tcp]
 *                   [--table N] [--src-pps N] [--src-burst N]
 *                   [--global-bps N] [--max-auth N]
 *       serve until SIGINT/SIGTERM; prints "ready port=N sockets=0xM" once
 *       bound, and "stat NAME=VALUE" lines at the end
 *   peertest info HOST [--port N]
 *   peertest forward HOST [--port N] [--key FILE] SIZE...
 *   peertest reverse HOST [--port N] [--key FILE] [--pad N | --earn] SIZE...
 *   peertest mss HOST [--port N]
 *   peertest flood HOST [--port N] [--seconds S] [--src A[,A...]]
 *       requests of every kind (unsigned, forged MACs, garbage, big
 *       reverse asks) as fast as possible from sockets bound to each
 *       source address; prints what was sent and what came back
 *
 * SIZE is an IP packet size.  Client output: one "KIND key=value ..."
 * line per result.  Exit status: 0 done, 1 no answer / failed, 3 usage or
 * system error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <pathdiag/error.h>
#include <pathdiag/hmac.h>
#include <pathdiag/output.h>
#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>

#define EXIT_FAILED 1
#define EXIT_USAGE 3
#define MAX_SRC 512
#define RX_MAX 65536
/* Flood replies: MSG_TRUNC makes recv() return the datagram's real length. */
#define RECV_FLAGS (MSG_DONTWAIT | MSG_TRUNC)

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

struct opts {
	uint16_t port;
	const char *key_file;
	const char *bind4, *bind6;
	bool no_tcp;
	uint32_t table, src_pps, src_burst, global_bps, max_auth;
	long pad;
	bool earn;
	unsigned seconds;
	char *src;
};

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: peertest server [--port N] [--key FILE] [--bind4 A] [--bind6 A]\n"
		"                       [--no-tcp] [--table N] [--src-pps N] [--src-burst N]\n"
		"                       [--global-bps N] [--max-auth N]\n"
		"       peertest info HOST [--port N]\n"
		"       peertest forward HOST [--port N] [--key FILE] SIZE...\n"
		"       peertest reverse HOST [--port N] [--key FILE] [--pad N | --earn] SIZE...\n"
		"       peertest mss HOST [--port N]\n"
		"       peertest flood HOST [--port N] [--seconds S] [--src A[,A...]]\n");
}

static int fail(const char *what, const struct pd_error *e)
{
	char buf[256];

	if (e)
		fprintf(stderr, "peertest: %s: %s\n", what, pd_error_message(e, buf, sizeof(buf)));
	else
		fprintf(stderr, "peertest: %s: %s\n", what, strerror(errno));
	return EXIT_USAGE;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static bool parse_u32(const char *s, uint32_t *v)
{
	char *end;
	unsigned long x;

	errno = 0;
	x = strtoul(s, &end, 10);
	if (errno || end == s || *end || x > UINT32_MAX)
		return false;
	*v = (uint32_t)x;
	return true;
}

static int load_key(const char *path, uint8_t key[PD_PEER_KEY_MAX], size_t *len)
{
	struct pd_error e = { 0 };

	*len = 0;
	if (!path)
		return 0;
	if (pd_peer_key_load(path, key, len, &e))
		return fail(path, &e);
	return 0;
}

/* ---- server ------------------------------------------------------------------ */

static int run_server(const struct opts *o)
{
	struct pd_responder_config rc;
	struct pd_responder_io_config ic;
	struct pd_responder *r = NULL;
	struct pd_responder_io *io = NULL;
	struct pd_responder_stats st;
	struct pd_responder_io_stats ist;
	struct pd_error e = { 0 };
	struct sigaction sa;
	uint8_t key[PD_PEER_KEY_MAX];
	size_t key_len;
	int rc_;

	if (load_key(o->key_file, key, &key_len))
		return EXIT_USAGE;
	pd_responder_config_default(&rc);
	if (key_len) {
		rc.key = key;
		rc.key_len = key_len;
	}
	rc.tcp_port = o->no_tcp ? 0 : o->port;
	if (o->table)
		rc.table_size = o->table;
	if (o->src_pps)
		rc.src_pps = o->src_pps;
	if (o->src_burst)
		rc.src_pps_burst = o->src_burst;
	if (o->global_bps)
		rc.global_bps = rc.global_bps_burst = o->global_bps;
	if (o->max_auth)
		rc.max_auth_bytes = o->max_auth;
	if (pd_peer_random(rc.hash_seed, sizeof(rc.hash_seed), &e))
		return fail("hash seed", &e);
	if (pd_responder_new(&rc, pd_responder_now_ms(), &r, &e))
		return fail("responder", &e);
	pd_wipe(key, sizeof(key));

	pd_responder_io_config_default(&ic);
	ic.port = o->port;
	ic.tcp = !o->no_tcp;
	ic.bind4 = o->bind4;
	ic.bind6 = o->bind6;
	if (pd_responder_io_open(&ic, r, &io, &e)) {
		pd_responder_free(r);
		return fail("opening the sockets", &e);
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	printf("ready port=%u sockets=0x%x\n", (unsigned)o->port, pd_responder_io_sockets(io));
	fflush(stdout);

	rc_ = pd_responder_io_run(io, &stop_flag, &e);
	pd_responder_get_stats(r, &st);
	pd_responder_io_get_stats(io, &ist);
#define S(f) printf("stat " #f "=%" PRIu64 "\n", (uint64_t)st.f)
	S(rx_packets); S(rx_bytes); S(tx_packets); S(tx_bytes);
	S(tx_unauth_ip_bytes); S(rx_unauth_ip_bytes);
	S(hello); S(forward); S(reverse);
	S(not_ours); S(not_request); S(bad_source); S(malformed);
	S(rate_source); S(rate_global);
	S(auth_ok); S(auth_bad); S(auth_stale); S(auth_replay);
	S(refused); S(tcp_reports); S(tcp_no_syn);
	S(src_evictions); S(replay_evictions); S(src_in_use); S(src_capacity);
	S(memory_bytes);
#undef S
	printf("stat io_rx_errors=%" PRIu64 "\nstat io_tx_errors=%" PRIu64
	       "\nstat io_tx_emsgsize=%" PRIu64 "\nstat io_tcp_accepted=%" PRIu64 "\n",
	       ist.rx_errors, ist.tx_errors, ist.tx_emsgsize, ist.tcp_accepted);
	fflush(stdout);
	pd_responder_io_close(io);
	pd_responder_free(r);
	if (rc_)
		return fail("serving", &e);
	return 0;
}

/* ---- client plumbing --------------------------------------------------------- */

struct peer {
	int fd;
	int family;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct pd_peer_client c;
	uint8_t rx[RX_MAX];
};

static int parse_host(const char *host, uint16_t port, struct sockaddr_storage *ss,
		      socklen_t *len, int *family)
{
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

	memset(ss, 0, sizeof(*ss));
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*len = sizeof(*s4);
		*family = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*len = sizeof(*s6);
		*family = 6;
		return 0;
	}
	fprintf(stderr, "peertest: '%s' is not a numeric address\n", host);
	return EXIT_USAGE;
}

/* A UDP socket towards the server with DF on and exact sizes (the same
 * options as the responder: the probe leaves as one packet or not at all). */
static int peer_open(struct peer *p, const char *host, const struct opts *o)
{
	uint8_t seed[32], key[PD_PEER_KEY_MAX];
	size_t key_len;
	struct pd_error e = { 0 };
	int one = 1, v;

	if (parse_host(host, o->port, &p->to, &p->tolen, &p->family))
		return EXIT_USAGE;
	if (load_key(o->key_file, key, &key_len))
		return EXIT_USAGE;
	if (pd_peer_random(seed, sizeof(seed), &e))
		return fail("seed", &e);
	if (pd_peer_client_init(&p->c, seed, key_len ? key : NULL, key_len, &e))
		return fail("client", &e);
	pd_wipe(key, sizeof(key));
	p->fd = socket(p->family == 4 ? AF_INET : AF_INET6, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (p->fd < 0)
		return fail("socket", NULL);
	if (p->family == 4) {
		v = IP_PMTUDISC_PROBE;
		if (setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)) < 0)
			return fail("IP_MTU_DISCOVER", NULL);
	} else {
		v = IPV6_PMTUDISC_PROBE;
		if (setsockopt(p->fd, IPPROTO_IPV6, IPV6_MTU_DISCOVER, &v, sizeof(v)) < 0 ||
		    setsockopt(p->fd, IPPROTO_IPV6, IPV6_DONTFRAG, &one, sizeof(one)) < 0)
			return fail("IPV6_MTU_DISCOVER", NULL);
	}
	if (connect(p->fd, (struct sockaddr *)&p->to, p->tolen) < 0)
		return fail("connect", NULL);
	return 0;
}

static uint64_t wall_ms(void)
{
	return pd_responder_now_ms();
}

/* Wait up to ms for one datagram; length, 0 on timeout, -1 on error. */
static ssize_t recv_wait(struct peer *p, int ms)
{
	struct pollfd pfd = { p->fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, ms) <= 0)
		return 0;
	n = recv(p->fd, p->rx, sizeof(p->rx), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == ECONNREFUSED))
		return 0;
	return n;
}

static void print_error(const struct pd_peer_err *e)
{
	printf("error code=%s arg=%u arg32=0x%x\n", pd_peer_errcode_name(e->code), e->arg,
	       e->arg32);
}

/* Send buf and collect matched replies until the request completes or ms
 * pass.  Fills *last with the last match; returns the number matched. */
static int exchange(struct peer *p, const uint8_t *buf, size_t len, int ms,
		    struct pd_peer_match *out, int max_out)
{
	uint64_t nonce = p->c.last_nonce, end = mono_ms() + (uint64_t)ms;
	struct pd_error e = { 0 };
	int got = 0;

	if (send(p->fd, buf, len, 0) < 0) {
		if (errno == EMSGSIZE)
			return -2;
		return -1;
	}
	while (got < max_out) {
		uint64_t now = mono_ms();
		ssize_t n;

		if (now >= end)
			break;
		n = recv_wait(p, (int)(end - now));
		if (n <= 0)
			continue;
		if (pd_peer_client_match(&p->c, wall_ms(), p->family, p->rx, (size_t)n, &out[got],
					 &e))
			continue; /* not ours, late, malformed */
		if (out[got].msg.nonce != nonce)
			continue;
		got++;
		if (out[got - 1].complete)
			break;
	}
	pd_peer_client_release(&p->c, nonce);
	return got;
}

/* ---- client commands ------------------------------------------------------------- */

static int do_hello(struct peer *p, struct pd_peer_match *m)
{
	uint8_t buf[512];
	size_t len;
	int attempt;

	/* With a key the HELLO is signed (served even when this address is
	 * flooded); a STALE answer teaches the clock for the next attempt. */
	for (attempt = 0; attempt < 3; attempt++) {
		if (pd_peer_client_hello(&p->c, wall_ms(), 0, true, buf, sizeof(buf), &len, NULL))
			return -1;
		if (exchange(p, buf, len, 700, m, 1) == 1 && m->msg.type == PD_PEER_INFO)
			return 0;
	}
	return -1;
}

static int cmd_info(struct peer *p)
{
	struct pd_peer_match m;
	char a[80];

	if (do_hello(p, &m))
		return EXIT_FAILED;
	pd_peer_addr_format(&m.msg.u.info.seen, false, a, sizeof(a));
	printf("info seen=%s port=%u caps=0x%02x tcp_port=%u max_reply=%u max_auth=%u "
	       "software=\"%s\" rtt_ms=%" PRIu64 "\n", a, m.msg.u.info.seen.port,
	       m.msg.u.info.caps, m.msg.u.info.tcp_port, m.msg.u.info.max_reply,
	       m.msg.u.info.max_auth_bytes, m.msg.u.info.software, m.rtt_ms);
	return 0;
}

static int cmd_forward(struct peer *p, char **sizes, int n)
{
	uint8_t *buf = malloc(RX_MAX);
	struct pd_peer_match m;
	unsigned oh = pd_peer_overhead(p->family);
	int i, attempt, got, failed = 0;

	if (!buf)
		return EXIT_USAGE;
	for (i = 0; i < n; i++) {
		uint32_t size;
		size_t len;

		if (!parse_u32(sizes[i], &size) || size < oh + 20 || size - oh > PD_PEER_UDP_MAX) {
			fprintf(stderr, "peertest: bad size '%s'\n", sizes[i]);
			free(buf);
			return EXIT_USAGE;
		}
		got = 0;
		for (attempt = 0; attempt < 3 && got <= 0; attempt++) {
			if (pd_peer_client_forward(&p->c, wall_ms(), (uint32_t)i, size - oh, true,
						   buf, RX_MAX, &len, NULL)) {
				free(buf);
				return EXIT_USAGE;
			}
			got = exchange(p, buf, len, 500, &m, 1);
			if (got == -2)
				break;
		}
		if (got == -2)
			printf("forward size=%u result=local-emsgsize\n", size);
		else if (got == 1 && m.msg.type == PD_PEER_FWD_ACK)
			printf("forward size=%u result=ok rx=%u\n", size, m.msg.u.ack.rx_len + oh);
		else if (got == 1 && m.msg.type == PD_PEER_ERROR)
			printf("forward size=%u result=error code=%s\n", size,
			       pd_peer_errcode_name(m.msg.u.error.code));
		else
			printf("forward size=%u result=lost\n", size);
		failed |= got < 0 && got != -2;
	}
	free(buf);
	return failed ? EXIT_FAILED : 0;
}

static int cmd_reverse(struct peer *p, const struct opts *o, char **args, int n)
{
	uint16_t sizes[PD_PEER_MAX_SIZES];
	uint32_t got = 0, refused = 0, v;
	struct pd_peer_match m[PD_PEER_MAX_SIZES + 2];
	struct pd_peer_msg last_err;
	bool have_err = false;
	uint8_t *buf = malloc(RX_MAX);
	size_t len, total;
	int i, k, attempt, r;

	memset(&last_err, 0, sizeof(last_err));
	if (!buf)
		return EXIT_USAGE;
	if (n < 1 || n > PD_PEER_MAX_SIZES) {
		free(buf);
		return EXIT_USAGE;
	}
	for (i = 0; i < n; i++) {
		if (!parse_u32(args[i], &v) || v > 65535) {
			fprintf(stderr, "peertest: bad size '%s'\n", args[i]);
			free(buf);
			return EXIT_USAGE;
		}
		sizes[i] = (uint16_t)v;
	}
	/* Signed requests need the server clock: HELLO first. */
	if (p->c.key_len && do_hello(p, &m[0])) {
		free(buf);
		return EXIT_FAILED;
	}
	total = o->earn ? pd_peer_reverse_len(sizes, (size_t)n, p->family) :
			  (o->pad > 0 ? (size_t)o->pad : 0);
	/* Replies lost on the way are asked again, twice. */
	for (attempt = 0; attempt < 3; attempt++) {
		if (pd_peer_client_reverse(&p->c, wall_ms(), sizes, (size_t)n, total, buf, RX_MAX,
					   &len, NULL)) {
			free(buf);
			return EXIT_USAGE;
		}
		r = exchange(p, buf, len, 800, m, PD_PEER_MAX_SIZES + 2);
		for (k = 0; k < r; k++) {
			if (m[k].msg.type == PD_PEER_REV_DATA)
				got |= 1u << m[k].msg.u.data.index;
			if (m[k].msg.type == PD_PEER_ERROR) {
				last_err = m[k].msg;
				have_err = true;
				if (m[k].msg.u.error.code == PD_PEER_E_TOO_BIG)
					refused |= m[k].msg.u.error.arg32;
			}
		}
		if (((got | refused) & ((1ull << n) - 1)) == (1ull << n) - 1)
			break;
	}
	printf("reverse request_bytes=%zu signed=%d\n", len, p->c.key_len ? 1 : 0);
	for (i = 0; i < n; i++)
		printf("reverse size=%u result=%s\n", sizes[i],
		       got >> i & 1 ? "ok" : refused >> i & 1 ? "refused" : "lost");
	if (have_err)
		print_error(&last_err.u.error);
	free(buf);
	return 0;
}

static int cmd_mss(const char *host, const struct opts *o)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	int family, fd, rc;
	uint8_t buf[256];
	size_t got = 0;
	struct pd_peer_msg m;
	struct pd_error e = { 0 };
	struct pollfd pfd;
	char a[80];
	uint64_t end;

	if (parse_host(host, o->port, &ss, &sl, &family))
		return EXIT_USAGE;
	fd = socket(family == 4 ? AF_INET : AF_INET6, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return fail("socket", NULL);
	if (connect(fd, (struct sockaddr *)&ss, sl) < 0) {
		close(fd);
		printf("mss result=connect-failed errno=%d\n", errno);
		return EXIT_FAILED;
	}
	end = mono_ms() + 3000;
	for (;;) {
		ssize_t n;
		uint64_t now = mono_ms();

		if (now >= end || got == sizeof(buf))
			break;
		pfd.fd = fd;
		pfd.events = POLLIN;
		if (poll(&pfd, 1, (int)(end - now)) <= 0)
			break;
		n = recv(fd, buf + got, sizeof(buf) - got, 0);
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	rc = pd_peer_decode(buf, got, &m, &e);
	if (rc || m.type != PD_PEER_MSS_REPORT) {
		printf("mss result=bad-report bytes=%zu\n", got);
		return EXIT_FAILED;
	}
	pd_peer_addr_format(&m.u.mss.seen, false, a, sizeof(a));
	if (m.u.mss.flags & PD_PEER_MSS_NO_SYN)
		printf("mss result=no-syn seen=%s port=%u\n", a, m.u.mss.seen.port);
	else if (m.u.mss.flags & PD_PEER_MSS_HAS_MSS)
		printf("mss result=ok mss=%u ttl=%u seen=%s port=%u syn_bytes=%u\n", m.u.mss.mss,
		       m.u.mss.ttl, a, m.u.mss.seen.port, m.u.mss.syn_len);
	else
		printf("mss result=none ttl=%u seen=%s port=%u\n", m.u.mss.ttl, a,
		       m.u.mss.seen.port);
	return 0;
}

/* ---- flood ---------------------------------------------------------------------- */

static int cmd_flood(const char *host, const struct opts *o)
{
	int fds[MAX_SRC], nfd = 0, family, i, v;
	struct sockaddr_storage to;
	socklen_t tolen;
	struct pd_peer_client c;
	uint8_t seed[32] = { 0 }, forged[32], buf[2048];
	uint64_t sent = 0, sent_ip = 0, rcvd = 0, rcvd_ip = 0, end, k = 0;
	uint16_t big[PD_PEER_MAX_SIZES];
	unsigned oh;
	char *list = o->src, *tok, *save = NULL;

	if (parse_host(host, o->port, &to, &tolen, &family))
		return EXIT_USAGE;
	oh = pd_peer_overhead(family);
	pd_peer_random(seed, sizeof(seed), NULL);
	memset(forged, 0x66, sizeof(forged));
	pd_peer_client_init(&c, seed, forged, sizeof(forged), NULL);
	for (i = 0; i < PD_PEER_MAX_SIZES; i++)
		big[i] = 1400;
	/* One socket per source address (or one unbound socket). */
	tok = list ? strtok_r(list, ",", &save) : NULL;
	do {
		struct sockaddr_storage ss;
		socklen_t sl;
		int f;

		fds[nfd] = socket(family == 4 ? AF_INET : AF_INET6,
				  SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (fds[nfd] < 0)
			return fail("socket", NULL);
		v = 1 << 20;
		setsockopt(fds[nfd], SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
		if (tok) {
			if (parse_host(tok, 0, &ss, &sl, &f) || f != family)
				return EXIT_USAGE;
			if (bind(fds[nfd], (struct sockaddr *)&ss, sl) < 0)
				return fail(tok, NULL);
		}
		nfd++;
		tok = tok ? strtok_r(NULL, ",", &save) : NULL;
	} while (tok && nfd < MAX_SRC);

	end = mono_ms() + (uint64_t)(o->seconds ? o->seconds : 3) * 1000;
	while (mono_ms() < end && !stop_flag) {
		for (i = 0; i < nfd; i++) {
			size_t len = 0;
			ssize_t n;
			int kind = (int)(k++ % 6);

			switch (kind) {
			case 0: /* amplification attempt: 32 x 1400 asked with 82 bytes */
				c.key_len = 0;
				pd_peer_client_reverse(&c, 1, big, 32, 0, buf, sizeof(buf), &len,
						       NULL);
				break;
			case 1: /* forged signature asking the same */
				c.key_len = sizeof(forged);
				pd_peer_client_reverse(&c, pd_responder_now_ms(), big, 32, 0, buf,
						       sizeof(buf), &len, NULL);
				break;
			case 2:
				c.key_len = 0;
				pd_peer_client_hello(&c, 1, 0, false, buf, sizeof(buf), &len, NULL);
				break;
			case 3:
				c.key_len = 0;
				pd_peer_client_forward(&c, 1, 1, 1000, false, buf, sizeof(buf),
						       &len, NULL);
				break;
			case 4: /* garbage with our magic */
				len = 200;
				memset(buf, (int)(k & 0xff), len);
				buf[0] = 0x50;
				buf[1] = 0x44;
				buf[2] = 1;
				buf[3] = (uint8_t)(k % 12);
				break;
			default: /* a bare header: nothing can be paid for */
				c.key_len = 0;
				pd_peer_client_hello(&c, 1, 16, false, buf, sizeof(buf), &len,
						     NULL);
				break;
			}
			/* the client's pending table is irrelevant here */
			memset(c.slot, 0, sizeof(c.slot));
			if (sendto(fds[i], buf, len, 0, (struct sockaddr *)&to, tolen) >= 0) {
				sent++;
				sent_ip += len + oh;
			}
			while ((n = recv(fds[i], buf, sizeof(buf), RECV_FLAGS)) >= 0) {
				rcvd++;
				rcvd_ip += (uint64_t)n + oh;
			}
		}
	}
	/* Late replies. */
	usleep(300000);
	for (i = 0; i < nfd; i++) {
		ssize_t n;

		while ((n = recv(fds[i], buf, sizeof(buf), RECV_FLAGS)) >= 0) {
			rcvd++;
			rcvd_ip += (uint64_t)n + oh;
		}
		close(fds[i]);
	}
	printf("flood sources=%d sent=%" PRIu64 " sent_ip_bytes=%" PRIu64 " received=%" PRIu64
	       " received_ip_bytes=%" PRIu64 "\n", nfd, sent, sent_ip, rcvd, rcvd_ip);
	return 0;
}

/* ---- main ------------------------------------------------------------------------- */

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "port", required_argument, NULL, 'p' },
		{ "key", required_argument, NULL, 'k' },
		{ "bind4", required_argument, NULL, '4' },
		{ "bind6", required_argument, NULL, '6' },
		{ "no-tcp", no_argument, NULL, 'T' },
		{ "table", required_argument, NULL, 't' },
		{ "src-pps", required_argument, NULL, 'P' },
		{ "src-burst", required_argument, NULL, 'B' },
		{ "global-bps", required_argument, NULL, 'G' },
		{ "max-auth", required_argument, NULL, 'A' },
		{ "pad", required_argument, NULL, 'd' },
		{ "earn", no_argument, NULL, 'e' },
		{ "seconds", required_argument, NULL, 's' },
		{ "src", required_argument, NULL, 'S' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct opts o;
	struct peer *p;
	const char *cmd;
	uint32_t v;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.port = PD_PEER_PORT;
	if (argc < 2) {
		usage(stderr);
		return EXIT_USAGE;
	}
	cmd = argv[1];
	optind = 2;
	while ((c = getopt_long(argc, argv, "h", lopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			if (!parse_u32(optarg, &v) || v == 0 || v > 65535)
				goto bad;
			o.port = (uint16_t)v;
			break;
		case 'k': o.key_file = optarg; break;
		case '4': o.bind4 = optarg; break;
		case '6': o.bind6 = optarg; break;
		case 'T': o.no_tcp = true; break;
		case 't': if (!parse_u32(optarg, &o.table)) goto bad; break;
		case 'P': if (!parse_u32(optarg, &o.src_pps)) goto bad; break;
		case 'B': if (!parse_u32(optarg, &o.src_burst)) goto bad; break;
		case 'G': if (!parse_u32(optarg, &o.global_bps)) goto bad; break;
		case 'A': if (!parse_u32(optarg, &o.max_auth)) goto bad; break;
		case 'd':
			if (!parse_u32(optarg, &v) || v > PD_PEER_UDP_MAX)
				goto bad;
			o.pad = v;
			break;
		case 'e': o.earn = true; break;
		case 's': if (!parse_u32(optarg, &o.seconds)) goto bad; break;
		case 'S': o.src = optarg; break;
		case 'h': usage(stdout); return 0;
		default: goto bad;
		}
	}
	if (!strcmp(cmd, "server"))
		return optind == argc ? run_server(&o) : (usage(stderr), EXIT_USAGE);
	/* Client commands: HOST [SIZES...] after the options. */
	if (optind >= argc)
		goto bad;
	if (!strcmp(cmd, "mss"))
		return cmd_mss(argv[optind], &o);
	if (!strcmp(cmd, "flood")) {
		signal(SIGTERM, on_signal);
		return cmd_flood(argv[optind], &o);
	}
	p = calloc(1, sizeof(*p));
	if (!p)
		return EXIT_USAGE;
	rc = peer_open(p, argv[optind], &o);
	if (rc) {
		free(p);
		return rc;
	}
	if (!strcmp(cmd, "info"))
		rc = cmd_info(p);
	else if (!strcmp(cmd, "forward"))
		rc = cmd_forward(p, argv + optind + 1, argc - optind - 1);
	else if (!strcmp(cmd, "reverse"))
		rc = cmd_reverse(p, &o, argv + optind + 1, argc - optind - 1);
	else
		rc = -1;
	close(p->fd);
	pd_peer_client_wipe(&p->c);
	free(p);
	if (rc == -1)
		goto bad;
	return rc;
bad:
	usage(stderr);
	return EXIT_USAGE;
}
