/* floodcap.c - writes a pcap (raw IP) of real tunnels around a flood of
 * new flows, for tests/tunsniff-flood.sh (test tool).
 *
 * Every packet is built with libpathdiag's encoders (pathdiag/encode.h):
 * WireGuard data (whitepaper section 5.4), IPv4 in IPv6 with the RFC 2473
 * Tunnel Encapsulation Limit option, IPIP (RFC 2003), UDP and TCP.
 *
 * The file, in order:
 *   before  three real tunnels' first packets, both ways:
 *           R1 WireGuard 198.51.100.1:43462 <-> 198.51.100.2:51820 (MTU
 *           1420: its full-size data message is 1480 bytes outside),
 *           R2 ip6tnl 2001:db8:1::1 <-> 2001:db8:1::2 with the TEL option
 *           (overhead 48) carrying one TCP flow with SYNs (MSS 1412),
 *   flood   N packets, packet i of kind i % 4, each a 5-tuple seen once:
 *           0 WireGuard data from 10.0.0.0 + i/4 (a new tunnel each),
 *           1 ip6tnl from 2001:db8:ff:: + i/4 carrying UDP (a new tunnel),
 *           2 plain UDP from 172.16.0.0 + i/4 (no tunnel),
 *           3 a TCP segment (ACK, 10 bytes) inside R2 from 198.18.0.0 +
 *             k / 50000 port 10000 + k % 50000, k = i/4 (a new inner flow);
 *           (UDP source ports 20000 + k % 30000: never VXLAN's 4789);
 *           every 250000th packet also R1 data both ways, and every 2000th
 *           a WireGuard data message on R1's 5-tuple with a new receiver
 *           index (a new session of a single message);
 *   after   R1 and R2 again with their largest packets (R1 1480 outer,
 *           R2 1500 outer / 1452 inner), R2's flow again, and R3, a tunnel
 *           seen only now: IPIP 203.0.113.1 <-> 203.0.113.2 (overhead 20,
 *           1400-byte outer packets).
 *
 * On standard output, what was built (key=value, one a line): the counts
 * the test derives its expectations from.  Same arguments, same bytes.
 * Exit status: 0 written, 3 usage or I/O error.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/encode.h>
#include <pathdiag/transport.h>
#include <pathdiag/wireguard.h>

#include "../common/pcapw.h"

#define EXIT_USAGE 3
#define R1_MTU 1420
#define LINK_MTU 1500
#define PORT_SPAN 50000

struct fc {
	struct pcapw w;
	const char *path;
	uint64_t ts;            /* microseconds */
	uint64_t frames;
	uint64_t rng;
	uint8_t buf[2048], in[2048];
	/* what was built */
	uint64_t r1[2], r2[2], r3[2];  /* packets per direction */
	uint64_t wg_tunnels, tnl_tunnels, plain, inner_flows, r1_sessions_junk;
	uint64_t r1_ctr[2];
};

static void die(const char *what)
{
	fprintf(stderr, "floodcap: %s\n", what);
	exit(EXIT_USAGE);
}

static uint32_t rnd(struct fc *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return (uint32_t)(z ^ (z >> 31));
}

static void emit(struct fc *g, int len)
{
	if (len <= 0)
		die("internal error: a packet could not be built");
	if (pcapw_write(&g->w, g->ts, g->buf, (size_t)len))
		die(strerror(errno));
	g->ts += 1;
	g->frames++;
}

static void v4(struct pd_ip_spec *ip, uint32_t src, uint32_t dst)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = 4;
	for (int i = 0; i < 4; i++) {
		ip->src[i] = (uint8_t)(src >> (24 - 8 * i));
		ip->dst[i] = (uint8_t)(dst >> (24 - 8 * i));
	}
}

static void v6(struct pd_ip_spec *ip, const uint8_t *src, const uint8_t *dst)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = 6;
	memcpy(ip->src, src, 16);
	memcpy(ip->dst, dst, 16);
}

#define IP4(a, b, c, d) ((uint32_t)(a) << 24 | (uint32_t)(b) << 16 | (uint32_t)(c) << 8 | (d))

static const uint32_t r1_addr[2] = { IP4(198, 51, 100, 1), IP4(198, 51, 100, 2) };
static const uint16_t r1_port[2] = { 43462, 51820 };
static const uint32_t r1_index[2] = { 0x0000a1a1, 0x0000b2b2 }; /* each side's own */
static const uint8_t r2_addr[2][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 },
};
static const uint32_t r3_addr[2] = { IP4(203, 0, 113, 1), IP4(203, 0, 113, 2) };

/* R1: a WireGuard message from side d; plain_len for data. */
static void r1_msg(struct fc *g, int d, uint8_t type, size_t plain)
{
	struct pd_ip_spec ip;
	struct pd_wg_spec s = {
		.type = type, .sport = r1_port[d], .dport = r1_port[!d],
		.sender = r1_index[d], .receiver = r1_index[!d],
		.plain_len = plain, .mtu = R1_MTU,
	};

	if (type == PD_WG_DATA)
		s.counter = g->r1_ctr[d]++;
	v4(&ip, r1_addr[d], r1_addr[!d]);
	emit(g, pd_build_wg(&ip, &s, g->buf, sizeof(g->buf)));
	g->r1[d]++;
}

/* R2: a TCP segment of the real flow (inner 192.0.2.1:40100 <->
 * 192.0.2.2:40001) from side d, or of a flood flow when isrc is set. */
static void r2_tcp(struct fc *g, int d, uint32_t isrc, uint16_t sport, uint16_t flags,
		   uint16_t mss, size_t len)
{
	static uint32_t seq[2] = { 1000, 5000 };
	struct pd_ip_spec in, out;
	struct pd_tcp_spec t = {
		.sport = d ? 40001 : sport, .dport = d ? sport : 40001,
		.seq = isrc ? 1 : seq[d], .ack = isrc ? 1 : seq[!d], .flags = flags,
		.window = 500, .mss = mss,
	};
	int n;

	if (isrc)
		v4(&in, isrc, IP4(192, 0, 2, 2));
	else
		v4(&in, d ? IP4(192, 0, 2, 2) : IP4(192, 0, 2, 1),
		   d ? IP4(192, 0, 2, 1) : IP4(192, 0, 2, 2));
	n = pd_build_tcp(&in, &t, NULL, len, g->in, sizeof(g->in));
	if (n <= 0)
		die("internal error: TCP");
	if (!isrc)
		seq[d] += (uint32_t)len + ((flags & PD_TCP_SYN) ? 1u : 0u);
	v6(&out, r2_addr[d], r2_addr[!d]);
	out.has_tel = true;
	out.tel = 4;
	emit(g, pd_build_ip_in_ip(&out, g->in, (size_t)n, g->buf, sizeof(g->buf)));
	g->r2[d]++;
}

/* R3: an IPIP packet of outer length olen from side d (inner UDP). */
static void r3_pkt(struct fc *g, int d, size_t olen)
{
	struct pd_ip_spec in, out;
	int n;

	v4(&in, d ? IP4(192, 0, 2, 20) : IP4(192, 0, 2, 10),
	   d ? IP4(192, 0, 2, 10) : IP4(192, 0, 2, 20));
	n = pd_build_udp(&in, 5000, 6000, NULL, olen - 20 - 28, g->in, sizeof(g->in));
	if (n <= 0)
		die("internal error: UDP");
	v4(&out, r3_addr[d], r3_addr[!d]);
	emit(g, pd_build_ip_in_ip(&out, g->in, (size_t)n, g->buf, sizeof(g->buf)));
	g->r3[d]++;
}

static void flood_one(struct fc *g, uint64_t i)
{
	uint32_t k = (uint32_t)(i / 4);
	struct pd_ip_spec ip, in;
	int n;

	switch (i % 4) {
	case 0: {
		struct pd_wg_spec s = {
			.type = PD_WG_DATA, .sport = (uint16_t)(20000 + k % 30000),
			.dport = 51820, .receiver = rnd(g), .counter = k, .plain_len = 48,
		};

		v4(&ip, IP4(10, 0, 0, 0) + k, r1_addr[1]);
		emit(g, pd_build_wg(&ip, &s, g->buf, sizeof(g->buf)));
		g->wg_tunnels++;
		break;
	}
	case 1: {
		uint8_t src[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0xff };

		src[12] = (uint8_t)(k >> 24), src[13] = (uint8_t)(k >> 16);
		src[14] = (uint8_t)(k >> 8), src[15] = (uint8_t)k;
		v4(&in, IP4(192, 0, 2, 1), IP4(192, 0, 2, 2));
		n = pd_build_udp(&in, (uint16_t)(20000 + k % 30000), 53, NULL, 20, g->in,
				 sizeof(g->in));
		if (n <= 0)
			die("internal error: UDP");
		v6(&ip, src, r2_addr[1]);
		emit(g, pd_build_ip_in_ip(&ip, g->in, (size_t)n, g->buf, sizeof(g->buf)));
		g->tnl_tunnels++;
		break;
	}
	case 2:
		/* 32 zero bytes: no WireGuard message type */
		v4(&ip, IP4(172, 16, 0, 0) + k, r1_addr[1]);
		emit(g, pd_build_udp(&ip, (uint16_t)(20000 + k % 30000), 40002, NULL, 32, g->buf,
				     sizeof(g->buf)));
		g->plain++;
		break;
	default:
		r2_tcp(g, 0, IP4(198, 18, 0, 0) + k / PORT_SPAN, (uint16_t)(10000 + k % PORT_SPAN),
		       PD_TCP_ACK, 0, 10);
		g->inner_flows++;
		break;
	}
}

/* A data message on R1's 5-tuple to a receiver index nobody chose. */
static void r1_junk_session(struct fc *g)
{
	struct pd_ip_spec ip;
	struct pd_wg_spec s = {
		.type = PD_WG_DATA, .sport = r1_port[0], .dport = r1_port[1],
		.receiver = 0x10000000u + (uint32_t)g->r1_sessions_junk, .counter = 0,
		.plain_len = 48, .mtu = R1_MTU,
	};

	v4(&ip, r1_addr[0], r1_addr[1]);
	emit(g, pd_build_wg(&ip, &s, g->buf, sizeof(g->buf)));
	g->r1[0]++;
	g->r1_sessions_junk++;
}

int main(int argc, char **argv)
{
	struct fc *g = calloc(1, sizeof(*g));
	uint64_t n = 2000000;
	char *end;

	if (!g)
		die("out of memory");
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "-o") && i + 1 < argc) {
			g->path = argv[++i];
		} else if (!strcmp(argv[i], "-n") && i + 1 < argc) {
			errno = 0;
			n = strtoull(argv[++i], &end, 10);
			if (errno || *end || n < 4 || n > 60000000)
				die("-n wants 4 .. 60000000 packets");
		} else {
			die("usage: floodcap [-n PACKETS] -o FILE.pcap");
		}
	}
	if (!g->path)
		die("usage: floodcap [-n PACKETS] -o FILE.pcap");
	if (pcapw_open(&g->w, g->path, PCAPW_LINKTYPE_RAW, 0))
		die(strerror(errno));
	g->ts = 1700000000ull * 1000000;
	g->rng = 42;
	/* before */
	r1_msg(g, 0, PD_WG_INITIATION, 0);
	r1_msg(g, 1, PD_WG_RESPONSE, 0);
	r1_msg(g, 0, PD_WG_DATA, 100);
	r1_msg(g, 1, PD_WG_DATA, 52);
	r2_tcp(g, 0, 0, 40100, PD_TCP_SYN, 1412, 0);
	r2_tcp(g, 1, 0, 40100, PD_TCP_SYN | PD_TCP_ACK, 1412, 0);
	r2_tcp(g, 0, 0, 40100, PD_TCP_ACK, 0, 0);
	r2_tcp(g, 0, 0, 40100, PD_TCP_ACK | PD_TCP_PSH, 0, 1000);
	r2_tcp(g, 1, 0, 40100, PD_TCP_ACK, 0, 0);
	/* flood */
	for (uint64_t i = 0; i < n; i++) {
		flood_one(g, i);
		if (i % 250000 == 249999) {
			r1_msg(g, 0, PD_WG_DATA, 576);
			r1_msg(g, 1, PD_WG_DATA, 52);
		}
		if (i % 2000 == 1999)
			r1_junk_session(g);
	}
	/* after */
	r1_msg(g, 0, PD_WG_DATA, R1_MTU);
	r1_msg(g, 1, PD_WG_DATA, 52);
	r2_tcp(g, 0, 0, 40100, PD_TCP_ACK | PD_TCP_PSH, 0, LINK_MTU - 48 - 40);
	r2_tcp(g, 1, 0, 40100, PD_TCP_ACK, 0, 0);
	for (int k = 0; k < 3; k++) {
		r3_pkt(g, 0, 1400);
		r3_pkt(g, 1, 1400);
	}
	if (pcapw_close(&g->w))
		die(strerror(errno));
	printf("frames=%" PRIu64 "\nflood=%" PRIu64 "\n", g->frames, n);
	printf("wg_tunnels=%" PRIu64 "\nip6tnl_tunnels=%" PRIu64 "\nplain=%" PRIu64 "\n",
	       g->wg_tunnels, g->tnl_tunnels, g->plain);
	printf("r2_inner_flows=%" PRIu64 "\nr1_junk_sessions=%" PRIu64 "\n", g->inner_flows,
	       g->r1_sessions_junk);
	printf("r1_packets=%" PRIu64 ",%" PRIu64 "\nr2_packets=%" PRIu64 ",%" PRIu64 "\n",
	       g->r1[0], g->r1[1], g->r2[0], g->r2[1]);
	printf("r3_packets=%" PRIu64 ",%" PRIu64 "\n", g->r3[0], g->r3[1]);
	printf("r1_max_outer=%d\nr1_mtu=%d\n", 20 + 8 + 32 + R1_MTU, R1_MTU);
	printf("r2_max_outer=%d\nr2_max_inner=%d\nr2_overhead=%d\n", LINK_MTU, LINK_MTU - 48, 48);
	printf("r3_max_outer=1400\nr3_overhead=20\n");
	free(g);
	return 0;
}
