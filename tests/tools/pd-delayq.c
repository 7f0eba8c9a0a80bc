/* pd-delayq.c - the lab's delay stage: an NFQUEUE consumer (libmnl) that holds every packet
 * of one queue for a fixed time, then accepts it, in arrival order.
 *
 * Spec: the nfnetlink_queue protocol of Linux (<linux/netfilter/nfnetlink_queue.h>): a
 * NFQNL_MSG_CONFIG message binds the queue and sets copy mode, length and flags; the kernel
 * sends one NFQNL_MSG_PACKET per queued packet (NFQA_PACKET_HDR holds its id); one
 * NFQNL_MSG_VERDICT_BATCH gives a verdict to every packet whose id is <= the one named.
 *
 * The kernel here has no netem and no nft `queue`, so tests/lab/lib.sh (lab_delay) steers
 * packets here with `iptables-legacy -j NFQUEUE`.  Why the choices below:
 * - Every packet is held for the same time, so the order of release is the order of arrival:
 *   a FIFO is the whole scheduler, nothing is reordered, and one batch verdict accepts every
 *   packet that is due (the kernel's ids grow in queueing order).
 * - Copy mode "meta": the verdict never needs the payload, so nothing is copied to us.
 * - No NFQA_CFG_F_FAIL_OPEN: fail-open would let packets that find the queue full pass at once,
 *   without the delay, and a benchmark would silently measure a shorter path.  Without it an
 *   overload shows up as loss, which the tools see and the counters below report.
 * - Queue length: --maxlen (default 16384 packets, i.e. >= 500k packets/s at 30 ms); the socket
 *   receive buffer is raised to match.  Receive-buffer overruns (ENOBUFS: the kernel dropped
 *   packets it could not hand us) are counted and reported, never hidden.
 *
 *   pd-delayq --queue N --delay MS [--maxlen N]
 *
 * Prints "pd-delayq: queue N delay MS ms ready" on stdout once bound (scripts wait for it) and,
 * on SIGTERM or SIGINT, accepts every packet still held at once, prints
 * "pd-delayq: held P packets, max depth D, overruns O" and exits 0.
 * Exit status: 0 ok, 1 error (one line on stderr), 3 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_queue.h>

#define EXIT_USAGE 3
#define DEFAULT_MAXLEN 16384
/* A queued-packet message in copy mode "meta" is a few hundred bytes; this leaves room. */
#define RCVBUF_PER_PACKET 512

struct held {
	uint32_t id;
	uint64_t due_ns;
};

/* The FIFO of held packets (a ring) and the run's counters. */
struct delayq {
	struct mnl_socket *nl;
	uint16_t queue;
	uint64_t delay_ns;
	struct held *ring;
	size_t cap, head, len;
	uint64_t held_total, overruns;
	size_t max_depth;
	unsigned int seq;
	int ring_full; /* a packet arrived with the ring full: cannot happen, reported */
	uint64_t now_ns; /* the time the current batch of messages was received */
};

static volatile sig_atomic_t stop_signal;
/* Receive buffer: many queued-packet messages per read. */
static char rxbuf[1 << 16];

static void on_signal(int sig)
{
	stop_signal = sig;
}

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static struct nlmsghdr *put_queue_header(char *buf, int type, uint16_t queue, unsigned int seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_QUEUE << 8) | type;
	nlh->nlmsg_flags = NLM_F_REQUEST;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = htons(queue);
	return nlh;
}

/* Attribute callback: keep NFQA_PACKET_HDR once its length is checked. */
static int packet_attr_cb(const struct nlattr *attr, void *data)
{
	const struct nlattr **hdr = data;

	if (mnl_attr_get_type(attr) != NFQA_PACKET_HDR)
		return MNL_CB_OK;
	if (mnl_attr_validate2(attr, MNL_TYPE_UNSPEC, sizeof(struct nfqnl_msg_packet_hdr)) < 0)
		return MNL_CB_ERROR;
	*hdr = attr;
	return MNL_CB_OK;
}

/* Message callback: a queued packet joins the tail of the FIFO. */
static int packet_cb(const struct nlmsghdr *nlh, void *data)
{
	struct delayq *q = data;
	const struct nlattr *hdr = NULL;
	struct nfqnl_msg_packet_hdr ph;
	size_t tail;

	if ((nlh->nlmsg_type & 0xff) != NFQNL_MSG_PACKET)
		return MNL_CB_OK;
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), packet_attr_cb, &hdr) < 0 || !hdr) {
		errno = EPROTO;
		return MNL_CB_ERROR;
	}
	memcpy(&ph, mnl_attr_get_payload(hdr), sizeof(ph));
	if (q->len == q->cap) {
		q->ring_full = 1;
		return MNL_CB_STOP;
	}
	tail = (q->head + q->len) % q->cap;
	q->ring[tail].id = ntohl(ph.packet_id);
	q->ring[tail].due_ns = q->now_ns + q->delay_ns;
	q->len++;
	q->held_total++;
	if (q->len > q->max_depth)
		q->max_depth = q->len;
	return MNL_CB_OK;
}

/* Send one config message and wait for its acknowledgement (packets that arrive meanwhile are
 * queued as usual). */
static int config(struct delayq *q, struct nlmsghdr *nlh)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	unsigned int portid = mnl_socket_get_portid(q->nl);
	ssize_t n;
	int rc;

	nlh->nlmsg_flags |= NLM_F_ACK;
	if (mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		n = mnl_socket_recvfrom(q->nl, buf, sizeof(buf));
		if (n < 0)
			return -1;
		q->now_ns = now_ns();
		rc = mnl_cb_run(buf, (size_t)n, nlh->nlmsg_seq, portid, packet_cb, q);
	} while (rc == MNL_CB_OK);
	return rc < 0 ? -1 : 0;
}

static int bind_queue(struct delayq *q, uint32_t maxlen)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr *nlh;
	struct nfqnl_msg_config_cmd cmd = { .command = NFQNL_CFG_CMD_BIND };
	struct nfqnl_msg_config_params params = {
		.copy_range = htonl(0),
		.copy_mode = NFQNL_COPY_META,
	};
	/* GSO: hand over aggregated packets whole (the verdict does not change them).
	 * FAIL_OPEN deliberately off (in the mask, not in the flags): see the file comment. */
	uint32_t flags = NFQA_CFG_F_GSO;
	uint32_t mask = NFQA_CFG_F_GSO | NFQA_CFG_F_FAIL_OPEN;

	nlh = put_queue_header(buf, NFQNL_MSG_CONFIG, q->queue, ++q->seq);
	mnl_attr_put(nlh, NFQA_CFG_CMD, sizeof(cmd), &cmd);
	if (config(q, nlh) < 0)
		return -1;
	nlh = put_queue_header(buf, NFQNL_MSG_CONFIG, q->queue, ++q->seq);
	mnl_attr_put(nlh, NFQA_CFG_PARAMS, sizeof(params), &params);
	mnl_attr_put_u32(nlh, NFQA_CFG_QUEUE_MAXLEN, htonl(maxlen));
	mnl_attr_put_u32(nlh, NFQA_CFG_FLAGS, htonl(flags));
	mnl_attr_put_u32(nlh, NFQA_CFG_MASK, htonl(mask));
	return config(q, nlh);
}

/* Accept every held packet due at NOW (all of them if NOW is UINT64_MAX) with one batch
 * verdict naming the last one. */
static int release_due(struct delayq *q, uint64_t now)
{
	char buf[MNL_SOCKET_BUFFER_SIZE];
	struct nfqnl_msg_verdict_hdr vh;
	struct nlmsghdr *nlh;
	uint32_t last = 0;
	size_t n = 0;

	while (q->len > 0 && q->ring[q->head].due_ns <= now) {
		last = q->ring[q->head].id;
		q->head = (q->head + 1) % q->cap;
		q->len--;
		n++;
	}
	if (n == 0)
		return 0;
	nlh = put_queue_header(buf, NFQNL_MSG_VERDICT_BATCH, q->queue, ++q->seq);
	vh.verdict = htonl(NF_ACCEPT);
	vh.id = htonl(last);
	mnl_attr_put(nlh, NFQA_VERDICT_HDR, sizeof(vh), &vh);
	return mnl_socket_sendto(q->nl, nlh, nlh->nlmsg_len) < 0 ? -1 : 0;
}

/* Read every message waiting on the socket. */
static int drain(struct delayq *q, char *buf, size_t size)
{
	int fd = mnl_socket_get_fd(q->nl);
	ssize_t n;

	for (;;) {
		n = recv(fd, buf, size, MSG_DONTWAIT);
		if (n < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 0;
			if (errno == EINTR)
				return 0;
			if (errno == ENOBUFS) {
				q->overruns++;
				continue;
			}
			return -1;
		}
		q->now_ns = now_ns();
		if (mnl_cb_run(buf, (size_t)n, 0, 0, packet_cb, q) < 0)
			return -1;
		if (q->ring_full) {
			errno = EOVERFLOW;
			return -1;
		}
	}
}

static int run(struct delayq *q)
{
	struct pollfd pfd = { .fd = mnl_socket_get_fd(q->nl), .events = POLLIN };
	struct timespec ts, *tsp;
	sigset_t unblocked;
	uint64_t now, wait;

	sigemptyset(&unblocked);
	while (!stop_signal) {
		now = now_ns();
		if (release_due(q, now) < 0)
			return -1;
		tsp = NULL;
		if (q->len > 0) {
			wait = q->ring[q->head].due_ns > now ? q->ring[q->head].due_ns - now : 0;
			ts.tv_sec = (time_t)(wait / 1000000000u);
			ts.tv_nsec = (long)(wait % 1000000000u);
			tsp = &ts;
		}
		/* Signals are blocked except inside ppoll: no wake-up can be missed. */
		if (ppoll(&pfd, 1, tsp, &unblocked) < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if ((pfd.revents & POLLIN) && drain(q, rxbuf, sizeof(rxbuf)) < 0)
			return -1;
	}
	return 0;
}

static int usage(FILE *f, int rc)
{
	fprintf(f, "usage: pd-delayq --queue N --delay MS [--maxlen PACKETS]\n"
		   "Hold every packet of NFQUEUE N for MS milliseconds, then accept it, in order.\n");
	return rc;
}

static int parse_num(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno && *out <= max ? 0 : -1;
}

static int fail(const char *what)
{
	fprintf(stderr, "pd-delayq: %s: %s\n", what, strerror(errno));
	return 1;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "queue", required_argument, NULL, 'q' },
		{ "delay", required_argument, NULL, 'd' },
		{ "maxlen", required_argument, NULL, 'n' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct delayq q = { .queue = 0 };
	unsigned long queue = ULONG_MAX, delay = ULONG_MAX, maxlen = DEFAULT_MAXLEN;
	struct sigaction sa = { .sa_handler = on_signal };
	sigset_t block;
	int c, rc, rcvbuf;

	while ((c = getopt_long(argc, argv, "q:d:n:h", opts, NULL)) != -1) {
		switch (c) {
		case 'q':
			if (parse_num(optarg, 65535, &queue) < 0) {
				fprintf(stderr, "pd-delayq: --queue '%s' is not 0..65535\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			if (parse_num(optarg, 60000, &delay) < 0) {
				fprintf(stderr, "pd-delayq: --delay '%s' is not 0..60000 ms\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'n':
			if (parse_num(optarg, 1u << 20, &maxlen) < 0 || maxlen == 0) {
				fprintf(stderr, "pd-delayq: --maxlen '%s' is not 1..1048576\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			return usage(stdout, 0);
		default:
			return usage(stderr, EXIT_USAGE);
		}
	}
	if (optind != argc || queue == ULONG_MAX || delay == ULONG_MAX)
		return usage(stderr, EXIT_USAGE);

	q.queue = (uint16_t)queue;
	q.delay_ns = (uint64_t)delay * 1000000u;
	q.cap = maxlen;
	q.ring = calloc(q.cap, sizeof(*q.ring));
	if (!q.ring)
		return fail("calloc");

	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigprocmask(SIG_BLOCK, &block, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);

	q.nl = mnl_socket_open(NETLINK_NETFILTER);
	if (!q.nl)
		return fail("netlink socket");
	if (mnl_socket_bind(q.nl, 0, MNL_SOCKET_AUTOPID) < 0)
		return fail("netlink bind");
	/* Room for a full queue of messages; SO_RCVBUFFORCE passes rmem_max (needs CAP_NET_ADMIN,
	 * which binding a queue needs anyway). */
	rcvbuf = (int)(maxlen * RCVBUF_PER_PACKET);
	if (setsockopt(mnl_socket_get_fd(q.nl), SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf,
		       sizeof(rcvbuf)) < 0)
		return fail("SO_RCVBUFFORCE");
	if (bind_queue(&q, (uint32_t)maxlen) < 0)
		return fail("binding the queue");
	printf("pd-delayq: queue %lu delay %lu ms ready\n", queue, delay);
	fflush(stdout);

	rc = run(&q);
	if (rc < 0) {
		fail(q.ring_full ? "more packets than --maxlen held" : "running");
		/* Still let the held packets go rather than leave them to be dropped. */
	} else {
		/* Packets already queued but not read yet: closing the socket would drop them. */
		if (drain(&q, rxbuf, sizeof(rxbuf)) < 0)
			rc = fail(q.ring_full ? "more packets than --maxlen held" : "last read");
	}
	if (release_due(&q, UINT64_MAX) < 0 && rc == 0)
		return fail("final verdict");
	printf("pd-delayq: held %llu packets, max depth %zu, overruns %llu\n",
	       (unsigned long long)q.held_total, q.max_depth, (unsigned long long)q.overruns);
	mnl_socket_close(q.nl);
	free(q.ring);
	return rc != 0 ? 1 : 0;
}
