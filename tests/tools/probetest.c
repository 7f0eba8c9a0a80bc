/* probetest.c - drives libpathdiag's prober against a lab target (test tool).
 *
 *   probetest [-m icmp|udp|tcp] [-p PORT] [-I IF] [-S SRC] [--no-raw]
 *             [-t MS] [--forge NETNS --forge-from ADDR] TARGET SIZE[@TTL]...
 *
 * Sends one probe per SIZE (total IP length; @TTL limits the hops) and waits
 * up to -t milliseconds (default 1000) for its first event.  Prints, for
 * tests/lab/probe-tests.sh to check:
 *
 *   open method=udp family=4 raw=0 src=10.0.1.2 sport=41234 dport=33450 echo_id=0
 *   probe size=1454 ttl=0 id=1 ack from=10.0.3.2 type=3 code=3 mtu=0 flags=0x000 rtt_us=85
 *   probe size=1455 ttl=0 id=2 too-big from=10.0.1.1 type=3 code=4 mtu=1454 ...
 *   probe size=1455 ttl=0 id=3 none
 *   control size=1455 ttl=0 id=3 ttl-exceeded from=10.0.1.1 type=11 code=0 ...
 *   forge sent=4 reported=2 unmatched=1 bogus=0
 *   stats sent=3 acked=1 too_big=1 ... send_errors=0
 *
 * --forge NETNS (a /var/run/netns/NAME path; needs root): after the probes,
 * sends from that namespace, with source --forge-from, ICMP errors about the
 * last probe, built with the library's encoders.  First a control: "time
 * exceeded" quoting the probe exactly as it left, which must be reported
 * ("control" line: the forger's quotes are right, so what follows differs
 * from a real error in one field only).  Then four "fragmentation needed" /
 * "packet too big": (1) quoting another flow (UDP source port, echo
 * identifier or TCP destination port changed), (2) quoting our flow with a
 * foreign token, (3) with an MTU not below the probe's size, (4) with an
 * MTU below the protocol minimum, about the probe before the last if there
 * is one (a second "too big" about one probe is a duplicate).  (1) and (2)
 * must not be reported; (3)
 * and (4) are about our probe and must be reported as too-big flagged
 * "bogus" ("forged" lines).  The "forge" line gives how the statistics
 * moved.
 *
 * Exit status: 0 ran, 1 an error (one line "probetest: error: ..." on
 * stderr; PD_ERR_PERM's text names the capability), 2 usage.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <inttypes.h>
#include <poll.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/encode.h>
#include <pathdiag/error.h>
#include <pathdiag/icmp.h>
#include <pathdiag/probe.h>
#include <pathdiag/transport.h>

#define EXIT_ERR 1
#define EXIT_USAGE 2
#define MAX_PROBES 64
#define FORGE_WAIT_MS 500
#define PKT_MAX 70000

struct want {
	size_t size;
	unsigned ttl;
};

_Noreturn static void usage(void)
{
	fprintf(stderr, "usage: probetest [-m icmp|udp|tcp] [-p PORT] [-I IF] [-S SRC] "
		"[--no-raw] [-t MS]\n"
		"                 [--forge NETNS --forge-from ADDR] TARGET SIZE[@TTL]...\n");
	exit(EXIT_USAGE);
}

_Noreturn static void fail(const char *step, const struct pd_error *e)
{
	if (e->sys_errno)
		fprintf(stderr, "probetest: error: %s: %s: %s (%s)\n", step,
			pd_status_name(e->code), e->what ? e->what : "?", strerror(e->sys_errno));
	else
		fprintf(stderr, "probetest: error: %s: %s: %s\n", step, pd_status_name(e->code),
			e->what ? e->what : "?");
	exit(EXIT_ERR);
}

static bool parse_addr(const char *s, struct sockaddr_storage *out)
{
	struct sockaddr_in s4 = { .sin_family = AF_INET };
	struct sockaddr_in6 s6 = { .sin6_family = AF_INET6 };

	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, s, &s4.sin_addr) == 1) {
		memcpy(out, &s4, sizeof(s4));
		return true;
	}
	if (inet_pton(AF_INET6, s, &s6.sin6_addr) == 1) {
		memcpy(out, &s6, sizeof(s6));
		return true;
	}
	return false;
}

/* Address bytes (4 or 16) of a sockaddr, and its text. */
static void sa_bytes(const struct sockaddr_storage *sa, uint8_t out[16])
{
	memset(out, 0, 16);
	if (sa->ss_family == AF_INET)
		memcpy(out, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	else if (sa->ss_family == AF_INET6)
		memcpy(out, &((const struct sockaddr_in6 *)sa)->sin6_addr, 16);
}

static const char *sa_text(const struct sockaddr_storage *sa, char *buf, size_t cap)
{
	uint8_t a[16];

	sa_bytes(sa, a);
	if (sa->ss_family == AF_INET || sa->ss_family == AF_INET6)
		return inet_ntop(sa->ss_family, a, buf, (socklen_t)cap);
	return "-";
}

static uint16_t sa_port(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->ss_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

static int64_t ms_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static int64_t ts_us(const struct timespec *t)
{
	return (int64_t)t->tv_sec * 1000000 + t->tv_nsec / 1000;
}

static void print_event(const char *tag, const struct pd_probe_event *ev)
{
	char from[INET6_ADDRSTRLEN];

	printf("%s size=%u ttl=%u id=%" PRIu32 " %s from=%s type=%u code=%u mtu=%" PRIu32
	       "%s flags=0x%03x rtt_us=%" PRId64 "\n", tag, ev->ip_size, ev->ttl, ev->probe_id,
	       pd_probe_event_name(ev->kind), sa_text(&ev->from, from, sizeof(from)),
	       ev->has_icmp ? ev->icmp_type : 0, ev->has_icmp ? ev->icmp_code : 0, ev->mtu,
	       ev->mtu_bogus ? " bogus" : "", ev->tcp_flags,
	       ts_us(&ev->received) - ts_us(&ev->sent));
}

/* Wait up to ms for an event about probe id (0: any); events about other
 * probes are printed as "late".  Returns whether one came. */
static bool wait_event(struct pd_prober *p, uint32_t id, int ms, struct pd_probe_event *ev)
{
	int64_t end = ms_now() + ms;
	struct pd_error e = { 0 };

	for (;;) {
		struct pollfd pfd = { .fd = pd_prober_fd(p), .events = POLLIN };
		int64_t left;
		int rc;

		while ((rc = pd_prober_recv(p, ev, &e)) == 1) {
			if (id == 0 || ev->probe_id == id)
				return true;
			print_event("late", ev);
		}
		if (rc < 0)
			fail("receive", &e);
		left = end - ms_now();
		if (left <= 0)
			return false;
		if (poll(&pfd, 1, (int)left) < 0 && errno != EINTR) {
			perror("probetest: poll");
			exit(EXIT_ERR);
		}
	}
}

/* ---- forged ICMP errors ---------------------------------------------------- */

/* A raw IPPROTO_RAW socket (IP header included) made in another network
 * namespace: a socket stays in the namespace it was created in. */
static int forge_socket(const char *netns, int family)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	int other = open(netns, O_RDONLY | O_CLOEXEC);
	int s;

	if (self < 0 || other < 0 || setns(other, CLONE_NEWNET) < 0) {
		fprintf(stderr, "probetest: error: forge: entering %s: %s\n", netns,
			strerror(errno));
		exit(EXIT_ERR);
	}
	s = socket(family == 6 ? AF_INET6 : AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (s < 0 || setns(self, CLONE_NEWNET) < 0) {
		fprintf(stderr, "probetest: error: forge: raw socket: %s\n", strerror(errno));
		exit(EXIT_ERR);
	}
	close(self);
	close(other);
	return s;
}

/* The probe as it left, with some fields changed: other_flow changes the
 * flow (UDP source port, echo id, TCP destination port), foreign the
 * token's cookie. */
static int build_quote(const struct pd_prober_info *info, const struct pd_probe_wire *w,
		       bool other_flow, bool foreign, uint8_t *buf, size_t cap)
{
	struct pd_ip_spec ip = { .family = info->family, .df = true, .ttl = 64 };
	uint8_t pay[PKT_MAX];
	size_t hdr, plen;

	sa_bytes(&info->src, ip.src);
	sa_bytes(&info->dst, ip.dst);
	hdr = info->min_size - PD_PROBE_TOKEN_LEN;
	plen = w->ip_size - hdr;
	for (size_t i = 0; i < plen; i++)
		pay[i] = (uint8_t)(0x50 + (i & 15));
	memcpy(pay, w->token, PD_PROBE_TOKEN_LEN);
	if (foreign)
		pay[4] ^= 0x5a;
	switch (info->method) {
	case PD_PROBE_UDP:
		return pd_build_udp(&ip, (uint16_t)(w->sport + other_flow), w->dport, pay, plen,
				    buf, cap);
	case PD_PROBE_ICMP:
		return pd_build_icmp_echo(&ip, false, (uint16_t)(w->echo_id + other_flow),
					  w->echo_seq, pay, plen, buf, cap);
	case PD_PROBE_TCP: {
		struct pd_tcp_spec t = {
			.sport = w->sport, .dport = (uint16_t)(w->dport + other_flow),
			.seq = w->tcp_seq, .flags = PD_TCP_SYN, .window = 64240,
		};
		return pd_build_tcp(&ip, &t, pay, plen, buf, cap);
	}
	case PD_PROBE_PEER:
		break; /* not offered by this tool */
	}
	return PD_ERR_INVAL;
}

static void forge(struct pd_prober *p, uint32_t id, uint32_t prev, const char *netns,
		  const char *from_s)
{
	struct pd_prober_info info;
	struct pd_probe_wire w, wprev;
	struct pd_probe_stats before, after;
	struct pd_probe_event ev;
	struct sockaddr_storage from, to;
	struct pd_error e = { 0 };
	static uint8_t quote[PKT_MAX], pkt[PKT_MAX];
	struct {
		bool other, foreign, control;
		uint32_t mtu;
		const struct pd_probe_wire *w;
	} cases[5];
	int s, sent = 0, reported = 0;

	pd_prober_info(p, &info);
	if (pd_prober_probe(p, id, &w, &e) < 0 ||
	    pd_prober_probe(p, prev ? prev : id, &wprev, &e) < 0)
		fail("forge", &e);
	if (!parse_addr(from_s, &from) || (from.ss_family == AF_INET) != (info.family == 4)) {
		fprintf(stderr, "probetest: error: forge: bad --forge-from address\n");
		exit(EXIT_ERR);
	}
	memset(cases, 0, sizeof(cases));
	cases[0].control = true;
	cases[1].other = true, cases[1].mtu = w.ip_size - 1u;
	cases[2].foreign = true, cases[2].mtu = w.ip_size - 1u;
	cases[3].mtu = w.ip_size;
	cases[4].mtu = info.family == 6 ? 1200 : 60;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		cases[i].w = &w;
	/* A second "too big" about the same probe would be a duplicate. */
	cases[4].w = &wprev;
	s = forge_socket(netns, info.family);
	to = info.src;
	if (to.ss_family == AF_INET)
		((struct sockaddr_in *)&to)->sin_port = 0;
	else
		((struct sockaddr_in6 *)&to)->sin6_port = 0;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct pd_ip_spec ip = { .family = info.family, .ttl = 64 };
		int qlen, len;

		sa_bytes(&from, ip.src);
		sa_bytes(&info.src, ip.dst);
		qlen = build_quote(&info, cases[i].w, cases[i].other, cases[i].foreign, quote,
				   sizeof(quote));
		if (qlen < 0) {
			fprintf(stderr, "probetest: error: forge: quote: %s\n",
				pd_status_name(qlen));
			exit(EXIT_ERR);
		}
		if (cases[i].control)
			len = pd_build_icmp_error(&ip, info.family == 6 ? PD_ICMP6_TIME_EXCEEDED :
						  PD_ICMP4_TIME_EXCEEDED, 0, 0, quote, (size_t)qlen,
						  pkt, sizeof(pkt));
		else if (info.family == 6)
			len = pd_build_icmp_error(&ip, PD_ICMP6_PACKET_TOO_BIG, 0, cases[i].mtu,
						  quote, (size_t)qlen, pkt, sizeof(pkt));
		else
			len = pd_build_icmp_error(&ip, PD_ICMP4_DEST_UNREACH,
						  PD_ICMP4_CODE_FRAG_NEEDED, cases[i].mtu, quote,
						  (size_t)qlen, pkt, sizeof(pkt));
		if (len < 0) {
			fprintf(stderr, "probetest: error: forge: error: %s\n",
				pd_status_name(len));
			exit(EXIT_ERR);
		}
		if (sendto(s, pkt, (size_t)len, 0, (const struct sockaddr *)&to,
			   info.family == 6 ? sizeof(struct sockaddr_in6) :
					      sizeof(struct sockaddr_in)) != len) {
			fprintf(stderr, "probetest: error: forge: send: %s\n", strerror(errno));
			exit(EXIT_ERR);
		}
		if (cases[i].control) {
			if (wait_event(p, id, FORGE_WAIT_MS, &ev))
				print_event("control", &ev);
			else
				printf("control none\n");
			pd_prober_stats(p, &before);
			continue;
		}
		sent++;
	}
	close(s);
	while (wait_event(p, 0, FORGE_WAIT_MS, &ev)) {
		print_event("forged", &ev);
		reported++;
	}
	pd_prober_stats(p, &after);
	printf("forge sent=%d reported=%d unmatched=%" PRIu64 " bogus=%" PRIu64 "\n", sent,
	       reported, after.ignored_unmatched - before.ignored_unmatched,
	       after.ignored_bogus - before.ignored_bogus);
}

/* ---- main ------------------------------------------------------------------- */

static enum pd_probe_method parse_method(const char *s)
{
	if (strcmp(s, "icmp") == 0)
		return PD_PROBE_ICMP;
	if (strcmp(s, "udp") == 0)
		return PD_PROBE_UDP;
	if (strcmp(s, "tcp") == 0)
		return PD_PROBE_TCP;
	usage();
}

static unsigned long number(const char *s, unsigned long max)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno || end == s || *end || v > max)
		usage();
	return v;
}

int main(int argc, char **argv)
{
	static const struct option lopts[] = {
		{ "method", required_argument, NULL, 'm' },
		{ "port", required_argument, NULL, 'p' },
		{ "device", required_argument, NULL, 'I' },
		{ "source", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "no-raw", no_argument, NULL, 'R' },
		{ "forge", required_argument, NULL, 'F' },
		{ "forge-from", required_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	struct pd_probe_opts o = { .method = PD_PROBE_UDP, .allow_raw = true };
	struct pd_prober *p;
	struct pd_prober_info info;
	struct pd_probe_stats st;
	struct pd_error e = { 0 };
	struct want want[MAX_PROBES];
	const char *forge_ns = NULL, *forge_from = NULL;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	int nwant = 0, timeout = 1000, c;
	uint32_t last = 0, prev = 0;

	while ((c = getopt_long(argc, argv, "m:p:I:S:t:", lopts, NULL)) != -1) {
		switch (c) {
		case 'm':
			o.method = parse_method(optarg);
			break;
		case 'p':
			o.port = (uint16_t)number(optarg, 65535);
			break;
		case 'I':
			o.device = optarg;
			break;
		case 'S':
			if (!parse_addr(optarg, &o.src))
				usage();
			break;
		case 't':
			timeout = (int)number(optarg, 60000);
			break;
		case 'R':
			o.allow_raw = false;
			break;
		case 'F':
			forge_ns = optarg;
			break;
		case 'f':
			forge_from = optarg;
			break;
		default:
			usage();
		}
	}
	if (optind + 2 > argc || !parse_addr(argv[optind], &o.dst) || !forge_ns != !forge_from)
		usage();
	for (int i = optind + 1; i < argc && nwant < MAX_PROBES; i++) {
		char *at = strchr(argv[i], '@');

		want[nwant].ttl = 0;
		if (at) {
			*at = '\0';
			want[nwant].ttl = (unsigned)number(at + 1, 255);
		}
		want[nwant++].size = number(argv[i], 65535);
	}
	setvbuf(stdout, NULL, _IOLBF, 0);

	if (pd_prober_open(&o, &p, &e) < 0)
		fail("open", &e);
	pd_prober_info(p, &info);
	printf("open method=%s family=%d raw=%d src=%s sport=%u dport=%u echo_id=%u min=%u "
	       "dst=%s\n", pd_probe_method_name(info.method), info.family, info.raw,
	       sa_text(&info.src, a, sizeof(a)), sa_port(&info.src), sa_port(&info.dst),
	       info.echo_id, info.min_size, sa_text(&info.dst, b, sizeof(b)));

	for (int i = 0; i < nwant; i++) {
		struct pd_probe_event ev;
		uint32_t id;

		if (pd_prober_send(p, want[i].size, want[i].ttl, &id, &e) < 0)
			fail("send", &e);
		prev = last;
		last = id;
		if (wait_event(p, id, timeout, &ev))
			print_event("probe", &ev);
		else
			printf("probe size=%zu ttl=%u id=%" PRIu32 " none\n", want[i].size,
			       want[i].ttl, id);
	}
	if (forge_ns && last)
		forge(p, last, prev, forge_ns, forge_from);

	pd_prober_stats(p, &st);
	printf("stats sent=%" PRIu64 " acked=%" PRIu64 " too_big=%" PRIu64 " ttl_exceeded=%"
	       PRIu64 " unreach=%" PRIu64 " local_too_big=%" PRIu64 " ignored_unmatched=%"
	       PRIu64 " ignored_bogus=%" PRIu64 " ignored_dup=%" PRIu64 " send_errors=%" PRIu64
	       " events_dropped=%" PRIu64 "\n", st.sent, st.acked, st.too_big,
	       st.ttl_exceeded, st.unreach, st.local_too_big, st.ignored_unmatched,
	       st.ignored_bogus, st.ignored_dup, st.send_errors, st.events_dropped);
	pd_prober_close(p);
	return 0;
}
