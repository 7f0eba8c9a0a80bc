/* gencap.c - writes pcap files of synthetic tunnel scenarios (test tool).
 *
 * Every packet is built with libpathdiag's encoders (pathdiag/encode.h):
 * IPv4-in-IPv6 with and without the RFC 2473 Tunnel Encapsulation Limit,
 * 6in6, IPIP, 6in4 (sit), GRE with key and sequence (RFC 2890), VXLAN,
 * WireGuard-shaped sessions over IPv4 and IPv6, ICMP fragmentation-needed
 * and ICMPv6 Packet Too Big about tunnel packets, and a streaming mix for
 * benchmarks.  Output is reproducible: same arguments, same bytes.
 *
 * With --expect FILE it also writes, per frame, what tshark should decode:
 *   frame  protocols  orig  ipv6.opt.tel  wg.type  wg.receiver
 *   wg.counter  tcp.options.mss_val  vxlan.vni
 * (tab-separated, values as tshark -T fields prints them, empty when the
 * field must be absent).  orig is 0, or for an ICMP error the number of the
 * earlier frame holding the whole packet it quotes: a truncated quote's
 * TCP/UDP checksum cannot be verified, but must equal the original's.
 * tests/encode-tshark.sh compares all that with tshark's dissection.
 *
 * Addresses are from the documentation ranges (RFC 5737, RFC 3849).
 * Exit status: 0 written, 3 usage or I/O error (the suite's "unknown").
 */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/encode.h>
#include <pathdiag/error.h>
#include <pathdiag/transport.h>
#include <pathdiag/wireguard.h>

#include "../common/pcapw.h"

#define EXIT_USAGE 3
#define MTU_MIN 1300
#define MTU_MAX 9000
#define PKT_MAX (MTU_MAX + 256)
#define ETH_LEN 14
#define TS_START 1700000000ull          /* seconds: a fixed epoch */
#define WG_PORT 51820
#define TEL_LIMIT 4                     /* Linux ip6tnl's default */
#define VNI 42
/* Ports no tshark dissector claims, so payloads decode as "data". */
#define TCP_SERVER_PORT 40001
#define UDP_SERVER_PORT 40002
#define TRACE_PORT 33434

enum { A, B, R };               /* underlay: tunnel end points, a router */

static const uint8_t under4[3][4] = {
	{ 198, 51, 100, 1 }, { 198, 51, 100, 2 }, { 203, 0, 113, 1 },
};
static const uint8_t under6[3][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 1, [15] = 2 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 0xff, [15] = 1 },
};
/* Hosts talking through the tunnels. */
static const uint8_t host4[2][4] = { { 192, 0, 2, 1 }, { 192, 0, 2, 2 } };
static const uint8_t host6[2][16] = {
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 1 },
	{ 0x20, 0x01, 0x0d, 0xb8, 0, 2, [15] = 2 },
};
static const uint8_t mac[2][6] = {
	{ 0x02, 0, 0, 0, 0, 1 }, { 0x02, 0, 0, 0, 0, 2 },
};

/* What tshark should find in a frame (see the file comment). */
struct expect {
	char chain[160];        /* after the link layer */
	uint64_t orig;          /* ICMP error: frame of the quoted packet */
	size_t data_off;        /* chain ends in "data" starting at this byte
				   of the packet (0: no such layer) */
	char tel[16];
	char wg_type[8];
	char wg_receiver[16];
	char wg_counter[24];
	char mss[16];
	char vni[16];
};

struct gen {
	struct pcapw w;
	const char *path;
	FILE *expect;
	const char *expect_path;
	uint32_t linktype;
	unsigned mtu;
	uint64_t count;
	unsigned peers;         /* mix: WireGuard peers per outer family */
	uint64_t rng;
	uint64_t ts;            /* next timestamp, microseconds */
	unsigned ts_step;
	uint64_t frames;
	uint16_t ip_id;
	uint8_t frame[ETH_LEN + PKT_MAX];  /* Ethernet header + packet */
	uint8_t inner[PKT_MAX];
	uint8_t orig[PKT_MAX];
};

#define PKT(g) ((g)->frame + ETH_LEN)

static void die(const char *fmt, ...) __attribute__((noreturn, format(printf, 1, 2)));

static void die(const char *fmt, ...)
{
	va_list ap;

	fputs("gencap: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* A builder failing here is a bug in this program or the library. */
static size_t check(int rc, const char *what)
{
	if (rc <= 0)
		die("internal error: building %s: %s", what, pd_status_name(rc));
	return (size_t)rc;
}

static uint64_t rnd(struct gen *g)
{
	uint64_t z = (g->rng += 0x9e3779b97f4a7c15u);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

/* Uniform in [lo, hi]. */
static size_t rnd_range(struct gen *g, size_t lo, size_t hi)
{
	return lo + (size_t)(rnd(g) % (hi - lo + 1));
}

static void cat(char *dst, size_t cap, const char *s)
{
	size_t n = strlen(dst);

	if (n + strlen(s) >= cap)
		die("internal error: expectation string too long");
	memcpy(dst + n, s, strlen(s) + 1);
}

/* Add a protocol chain element: "ip", "ipv6:ipv6.dstopts", ... */
static void chain(struct expect *e, const char *layer)
{
	if (e->chain[0])
		cat(e->chain, sizeof(e->chain), ":");
	cat(e->chain, sizeof(e->chain), layer);
}

/* Append a value to a multi-valued field as tshark aggregates them. */
static void addval(char *field, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void addval(char *field, size_t cap, const char *fmt, ...)
{
	char v[32];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(v, sizeof(v), fmt, ap);
	va_end(ap);
	if (field[0])
		cat(field, cap, ",");
	cat(field, cap, v);
}

#define ADD(field, ...) addval(field, sizeof(field), __VA_ARGS__)

static void ip_spec(struct pd_ip_spec *ip, int family, const uint8_t *src,
		    const uint8_t *dst, struct gen *g)
{
	memset(ip, 0, sizeof(*ip));
	ip->family = family;
	memcpy(ip->src, src, family == 4 ? 4 : 16);
	memcpy(ip->dst, dst, family == 4 ? 4 : 16);
	ip->df = true;
	ip->id = g->ip_id++;
}

static void underlay(struct pd_ip_spec *ip, int family, int from, int to,
		     struct gen *g)
{
	ip_spec(ip, family, family == 4 ? under4[from] : under6[from],
		family == 4 ? under4[to] : under6[to], g);
}

static void hosts(struct pd_ip_spec *ip, int family, int from, struct gen *g)
{
	ip_spec(ip, family, family == 4 ? host4[from] : host6[from],
		family == 4 ? host4[!from] : host6[!from], g);
}

static void emit(struct gen *g, size_t len, const struct expect *e)
{
	const uint8_t *p = PKT(g);

	if (g->linktype == PCAPW_LINKTYPE_ETHERNET) {
		uint16_t et = (p[0] >> 4) == 6 ? 0x86dd : 0x0800;
		/* Odd last address byte (A, R): our side of the link. */
		int dir = !((p[0] >> 4 == 6 ? p[23] : p[15]) & 1);

		len = check(pd_build_eth(mac[!dir], mac[dir], et, len, g->frame,
					 sizeof(g->frame)), "Ethernet");
		p = g->frame;
	}
	if (pcapw_write(&g->w, g->ts, p, len))
		die("%s: %s", g->path, strerror(errno));
	g->ts += g->ts_step;
	g->frames++;
	if (!g->expect)
		return;
	if (fprintf(g->expect, "%" PRIu64 "\t%s%s\t%" PRIu64 "\t%s\t%s\t%s\t%s\t%s\t%s\n",
		    g->frames,
		    g->linktype == PCAPW_LINKTYPE_ETHERNET ? "eth:ethertype:" : "raw:",
		    e->chain, e->orig, e->tel, e->wg_type, e->wg_receiver,
		    e->wg_counter, e->mss, e->vni) < 0)
		die("%s: %s", g->expect_path, strerror(errno));
}

/* ---- tunnels ------------------------------------------------------------ */

enum tun_kind { TUN_NONE, TUN_IPIP, TUN_IP6TNL, TUN_GRE };

struct tunnel {
	enum tun_kind kind;
	int outer;              /* outer family */
	bool tel;               /* ip6tnl: encaplimit 4 (else "none") */
	bool gre_csum;
	uint32_t gre_key;
	uint32_t gre_seq;
};

static size_t tun_overhead(const struct tunnel *t)
{
	switch (t->kind) {
	case TUN_NONE:
		return 0;
	case TUN_IPIP:
		return 20;
	case TUN_IP6TNL:
		return 40 + (t->tel ? PD_IPV6_TEL_HDR_LEN : 0);
	case TUN_GRE:
		return (t->outer == 4 ? 20 : 40) + 12 + (t->gre_csum ? 4 : 0);
	}
	return 0;
}

static void tun_chain(const struct tunnel *t, struct expect *e)
{
	switch (t->kind) {
	case TUN_NONE:
		return;
	case TUN_IPIP:
		chain(e, "ip");
		return;
	case TUN_IP6TNL:
		chain(e, "ipv6");
		if (t->tel) {
			chain(e, "ipv6.dstopts");
			ADD(e->tel, "%d", TEL_LIMIT);
		}
		return;
	case TUN_GRE:
		chain(e, t->outer == 4 ? "ip:gre" : "ipv6:gre");
		return;
	}
}

/* Wrap the inner packet in g->inner (len bytes) into PKT(g), or copy it
 * there when there is no tunnel.  dir 0: A to B. */
static size_t tun_wrap(struct gen *g, struct tunnel *t, int dir, size_t len)
{
	struct pd_ip_spec o;

	if (t->kind == TUN_NONE) {
		memcpy(PKT(g), g->inner, len);
		return len;
	}
	underlay(&o, t->outer, dir ? B : A, dir ? A : B, g);
	if (t->kind == TUN_IP6TNL) {
		o.has_tel = t->tel;
		o.tel = TEL_LIMIT;
		o.flow = 0x12345;
	}
	if (t->kind == TUN_GRE) {
		struct pd_gre_spec gs = {
			.proto = (g->inner[0] >> 4) == 6 ? 0x86dd : 0x0800,
			.has_csum = t->gre_csum,
			.has_key = true, .key = t->gre_key,
			.has_seq = true, .seq = t->gre_seq++,
		};
		return check(pd_build_gre(&o, &gs, g->inner, len, PKT(g), PKT_MAX),
			     "GRE");
	}
	return check(pd_build_ip_in_ip(&o, g->inner, len, PKT(g), PKT_MAX),
		     "IP in IP");
}

/* ---- TCP through a tunnel ------------------------------------------------ */

struct tcp_flow {
	struct tunnel *t;
	int family;             /* inner family */
	uint16_t port[2];       /* A side, B side */
	uint32_t seq[2];
	uint32_t ts[2];
	bool retx;              /* a retransmission: tshark shows no "data" */
};

/* One segment from side dir; payload filler of `len` bytes. */
static void tcp_seg(struct gen *g, struct tcp_flow *f, int dir, uint16_t flags,
		    uint16_t mss, size_t len)
{
	struct pd_tcp_spec tcp = {
		.sport = f->port[dir], .dport = f->port[!dir],
		.seq = f->seq[dir], .ack = f->seq[!dir],
		.flags = flags, .window = 502, .mss = mss,
		.timestamps = true, .ts_val = f->ts[dir], .ts_ecr = f->ts[!dir],
	};
	struct pd_ip_spec ip;
	struct expect e = { .chain = "" };
	size_t n;

	if (!(flags & PD_TCP_ACK))
		tcp.ack = 0;
	if (flags & PD_TCP_SYN) {
		tcp.has_wscale = true;
		tcp.wscale = 7;
		tcp.sack_permitted = true;
		tcp.window = 64240;
	}
	hosts(&ip, f->family, dir, g);
	n = check(pd_build_tcp(&ip, &tcp, NULL, len, g->inner, sizeof(g->inner)),
		  "TCP");
	n = tun_wrap(g, f->t, dir, n);
	tun_chain(f->t, &e);
	chain(&e, f->family == 4 ? "ip:tcp" : "ipv6:tcp");
	if (len && !f->retx) {
		chain(&e, "data");
		e.data_off = n - len;
	}
	if (mss)
		ADD(e.mss, "%u", mss);
	emit(g, n, &e);
	f->seq[dir] += (uint32_t)len + ((flags & (PD_TCP_SYN | PD_TCP_FIN)) ? 1 : 0);
	f->ts[dir] += 3;
}

/* The largest TCP payload in one inner packet that fits the tunnel. */
static size_t tcp_max_payload(struct gen *g, const struct tunnel *t, int family)
{
	return g->mtu - tun_overhead(t) - (family == 4 ? 20 : 40) - 20 - 12;
}

/* Handshake with MSS options, data of several sizes up to a full inner
 * packet, FIN exchange. */
static void tcp_session(struct gen *g, struct tunnel *t, int family,
			uint16_t rep)
{
	struct tcp_flow f = {
		.t = t, .family = family,
		.port = { (uint16_t)(40100 + rep), TCP_SERVER_PORT },
		.seq = { (uint32_t)rnd(g), (uint32_t)rnd(g) },
		.ts = { (uint32_t)rnd(g), (uint32_t)rnd(g) },
	};
	size_t max = tcp_max_payload(g, t, family);
	/* MSS as Linux derives it from the tunnel MTU (no TCP options). */
	uint16_t mss = (uint16_t)(g->mtu - tun_overhead(t) - (family == 4 ? 40 : 60));
	const size_t sizes[] = { 1, 100, 536, 1000, max - 1, max };

	tcp_seg(g, &f, 0, PD_TCP_SYN, mss, 0);
	tcp_seg(g, &f, 1, PD_TCP_SYN | PD_TCP_ACK, mss, 0);
	tcp_seg(g, &f, 0, PD_TCP_ACK, 0, 0);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		if (sizes[i] > max || (i && sizes[i] <= sizes[i - 1]))
			continue;
		tcp_seg(g, &f, 0, PD_TCP_ACK | PD_TCP_PSH, 0, sizes[i]);
		tcp_seg(g, &f, 1, PD_TCP_ACK, 0, 0);
	}
	tcp_seg(g, &f, 0, PD_TCP_FIN | PD_TCP_ACK, 0, 0);
	tcp_seg(g, &f, 1, PD_TCP_FIN | PD_TCP_ACK, 0, 0);
	tcp_seg(g, &f, 0, PD_TCP_ACK, 0, 0);
}

static void run_tunnel(struct gen *g, enum tun_kind kind, int outer, bool tel,
		       int inner)
{
	for (uint64_t r = 0; r < g->count; r++) {
		struct tunnel t = {
			.kind = kind, .outer = outer, .tel = tel,
			.gre_key = 0x0000abcd + (uint32_t)r, .gre_seq = 1,
		};

		tcp_session(g, &t, inner, (uint16_t)r);
	}
}

static void sc_ip6tnl_tel(struct gen *g)
{
	run_tunnel(g, TUN_IP6TNL, 6, true, 4);
}

static void sc_ip6tnl_notel(struct gen *g)
{
	run_tunnel(g, TUN_IP6TNL, 6, false, 4);
}

static void sc_6in6(struct gen *g)
{
	run_tunnel(g, TUN_IP6TNL, 6, true, 6);
}

static void sc_ipip(struct gen *g)
{
	run_tunnel(g, TUN_IPIP, 4, false, 4);
}

static void sc_sit(struct gen *g)
{
	run_tunnel(g, TUN_IPIP, 4, false, 6);
}

/* Key and sequence number; then the same with a GRE checksum. */
static void sc_gre(struct gen *g)
{
	for (uint64_t r = 0; r < g->count; r++) {
		for (int csum = 0; csum < 2; csum++) {
			struct tunnel t = {
				.kind = TUN_GRE, .outer = 4, .gre_csum = csum,
				.gre_key = 0x0000abcd + (uint32_t)r, .gre_seq = 1,
			};

			tcp_session(g, &t, 4, (uint16_t)(2 * r + csum));
		}
	}
}

/* A SYN and SYN/ACK announcing MSS 1460 inside ip6tnl: too big for the
 * tunnel, what an unclamped host sends. */
static void sc_mss(struct gen *g)
{
	for (uint64_t r = 0; r < g->count; r++) {
		struct tunnel t = { .kind = TUN_IP6TNL, .outer = 6, .tel = true };
		struct tcp_flow f = {
			.t = &t, .family = 4,
			.port = { (uint16_t)(40200 + r), TCP_SERVER_PORT },
			.seq = { (uint32_t)rnd(g), (uint32_t)rnd(g) },
		};

		tcp_seg(g, &f, 0, PD_TCP_SYN, 1460, 0);
		tcp_seg(g, &f, 1, PD_TCP_SYN | PD_TCP_ACK, 1460, 0);
		tcp_seg(g, &f, 0, PD_TCP_ACK, 0, 0);
	}
}

/* One segment from side dir starting at seq (a retransmission): the
 * flow's next sequence number is kept. */
static void tcp_seg_at(struct gen *g, struct tcp_flow *f, int dir, uint32_t seq, size_t len)
{
	uint32_t next = f->seq[dir];

	f->seq[dir] = seq;
	f->retx = true;
	tcp_seg(g, f, dir, PD_TCP_ACK | PD_TCP_PSH, 0, len);
	f->retx = false;
	f->seq[dir] = next;
}

/* An ACK from B acknowledging `ack` (not necessarily all A sent). */
static void tcp_ack_at(struct gen *g, struct tcp_flow *f, uint32_t ack)
{
	uint32_t next = f->seq[0];

	f->seq[0] = ack;
	tcp_seg(g, f, 1, PD_TCP_ACK, 0, 0);
	f->seq[0] = next;
}

#define BH_TAIL 300             /* the small last segment of a flight */
#define BH_RTO_USEC 200000      /* first retransmission timeout */
#define BH_ROUNDS 4

/* The receiving end (B) of a path that drops full-size packets inside
 * ip6tnl (TEL): a TCP flight from A of two full-size segments (never
 * captured: lost before B) and a BH_TAIL-byte tail that arrives; B's ACK
 * stays at the first lost byte.  heal = false: at each retransmission
 * timeout (BH_RTO_USEC, doubling, BH_ROUNDS times) A re-sends the head
 * (lost again) and the tail (arrives), and B answers with the same ACK.
 * heal = true: the first re-sent head arrives and its partner right after,
 * B acknowledges everything and the connection closes. */
static void bh_rx(struct gen *g, bool heal)
{
	for (uint64_t r = 0; r < g->count; r++) {
		struct tunnel t = { .kind = TUN_IP6TNL, .outer = 6, .tel = true };
		struct tcp_flow f = {
			.t = &t, .family = 4,
			.port = { (uint16_t)(40300 + r), TCP_SERVER_PORT },
			.seq = { (uint32_t)rnd(g), (uint32_t)rnd(g) },
			.ts = { (uint32_t)rnd(g), (uint32_t)rnd(g) },
		};
		size_t max = tcp_max_payload(g, &t, 4);
		uint16_t mss = (uint16_t)(g->mtu - tun_overhead(&t) - 40);
		uint32_t hole, tail;
		uint64_t t0, rto = BH_RTO_USEC;

		tcp_seg(g, &f, 0, PD_TCP_SYN, mss, 0);
		tcp_seg(g, &f, 1, PD_TCP_SYN | PD_TCP_ACK, mss, 0);
		tcp_seg(g, &f, 0, PD_TCP_ACK, 0, 0);
		tcp_seg(g, &f, 0, PD_TCP_ACK | PD_TCP_PSH, 0, 536);
		tcp_seg(g, &f, 1, PD_TCP_ACK, 0, 0);
		tcp_seg(g, &f, 0, PD_TCP_ACK | PD_TCP_PSH, 0, 100);
		tcp_seg(g, &f, 1, PD_TCP_ACK, 0, 0);
		hole = f.seq[0];
		f.seq[0] += (uint32_t)(2 * max);           /* lost on the way */
		tail = f.seq[0];
		tcp_seg(g, &f, 0, PD_TCP_ACK | PD_TCP_PSH, 0, BH_TAIL);
		tcp_ack_at(g, &f, hole);
		t0 = g->ts;
		if (heal) {
			g->ts = t0 + rto;
			tcp_seg_at(g, &f, 0, hole, max);
			tcp_ack_at(g, &f, hole + (uint32_t)max);
			tcp_seg_at(g, &f, 0, hole + (uint32_t)max, max);
			tcp_seg(g, &f, 1, PD_TCP_ACK, 0, 0);
			tcp_seg(g, &f, 0, PD_TCP_FIN | PD_TCP_ACK, 0, 0);
			tcp_seg(g, &f, 1, PD_TCP_FIN | PD_TCP_ACK, 0, 0);
			tcp_seg(g, &f, 0, PD_TCP_ACK, 0, 0);
		} else {
			for (int i = 0; i < BH_ROUNDS; i++, rto *= 2) {
				g->ts = t0 + rto;
				t0 = g->ts;
				tcp_seg_at(g, &f, 0, tail, BH_TAIL);
				tcp_ack_at(g, &f, hole);
			}
		}
		g->ts += 1000000;
	}
}

static void sc_bh_rx(struct gen *g)
{
	bh_rx(g, false);
}

static void sc_bh_rx_heal(struct gen *g)
{
	bh_rx(g, true);
}

/* ---- WireGuard -------------------------------------------------------------- */

struct wg_flow {
	int family;
	uint32_t index[2];      /* sender index of each side */
	uint64_t counter[2];
	uint16_t port[2];
	uint16_t mtu;           /* interface MTU: fills the link exactly */
};

static void wg_expect(struct expect *e, const struct pd_wg_spec *s)
{
	chain(e, "wg");
	ADD(e->wg_type, "%u", s->type);
	if (s->type != PD_WG_INITIATION)
		ADD(e->wg_receiver, "0x%08" PRIx32, s->receiver);
	if (s->type == PD_WG_DATA)
		ADD(e->wg_counter, "%" PRIu64, s->counter);
}

/* Build a WireGuard message from side dir into buf; fills e. */
static size_t wg_build(struct gen *g, struct wg_flow *f, int dir, uint8_t type,
		       size_t plain, uint8_t *buf, struct expect *e)
{
	struct pd_wg_spec s = {
		.type = type, .sport = f->port[dir], .dport = f->port[!dir],
		.sender = f->index[dir], .receiver = f->index[!dir],
		.plain_len = plain, .mtu = f->mtu,
	};
	struct pd_ip_spec ip;

	if (type == PD_WG_DATA)
		s.counter = f->counter[dir]++;
	underlay(&ip, f->family, dir ? B : A, dir ? A : B, g);
	chain(e, f->family == 4 ? "ip:udp" : "ipv6:udp");
	wg_expect(e, &s);
	return check(pd_build_wg(&ip, &s, buf, PKT_MAX), "WireGuard");
}

static void wg_send(struct gen *g, struct wg_flow *f, int dir, uint8_t type,
		    size_t plain)
{
	struct expect e = { .chain = "" };
	size_t n = wg_build(g, f, dir, type, plain, PKT(g), &e);

	emit(g, n, &e);
}

static void wg_flow_init(struct gen *g, struct wg_flow *f, int family)
{
	memset(f, 0, sizeof(*f));
	f->family = family;
	f->index[0] = (uint32_t)rnd(g);
	f->index[1] = (uint32_t)rnd(g);
	f->port[0] = 43462;
	f->port[1] = WG_PORT;
	/* Outer IP + UDP + WireGuard header and tag. */
	f->mtu = (uint16_t)(g->mtu - (family == 4 ? 20 : 40) - 8 - 32);
}

static void wg_session(struct gen *g, int family)
{
	for (uint64_t r = 0; r < g->count; r++) {
		struct wg_flow f;

		wg_flow_init(g, &f, family);
		const size_t sizes[] = {
			28, 40, 60, 84, 100, 576, 1000, 1280,
			(size_t)f.mtu - 1, f.mtu,
		};

		wg_send(g, &f, 0, PD_WG_INITIATION, 0);
		wg_send(g, &f, 1, PD_WG_RESPONSE, 0);
		wg_send(g, &f, 0, PD_WG_DATA, 0);       /* confirms the session */
		for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
			if (sizes[i] > f.mtu || (i && sizes[i] <= sizes[i - 1]))
				continue;
			wg_send(g, &f, 0, PD_WG_DATA, sizes[i]);
			wg_send(g, &f, 1, PD_WG_DATA, 52);  /* an inner ACK */
		}
		wg_send(g, &f, 1, PD_WG_DATA, 0);
		wg_send(g, &f, 0, PD_WG_DATA, 0);
	}
}

static void sc_wg(struct gen *g)
{
	wg_session(g, 4);
}

static void sc_wg_ipv6(struct gen *g)
{
	wg_session(g, 6);
}

/* ---- ICMP errors about tunnel packets -------------------------------------- */

/* Emit the packet in PKT(g) (len bytes) and keep a copy in g->orig for an
 * ICMP error to quote. */
static void emit_orig(struct gen *g, size_t len, const struct expect *e)
{
	memcpy(g->orig, PKT(g), len);
	emit(g, len, e);
}

/* Send an ICMP error quoting the packet just emitted by emit_orig()
 * (olen bytes), whose decode is in *oe. */
static void icmp_error(struct gen *g, int family, uint8_t type, uint8_t code,
		       uint32_t info, int from, int to, size_t olen,
		       const struct expect *oe)
{
	struct expect e = { .chain = "", .orig = g->frames };
	size_t room = (family == 4 ? PD_ICMP4_ERROR_MAX - 20 : PD_ICMP6_ERROR_MAX - 40) - 8;
	struct pd_ip_spec ip;
	size_t n;

	underlay(&ip, family, from, to, g);
	ip.df = false;
	n = check(pd_build_icmp_error(&ip, type, code, info, g->orig, olen,
				      PKT(g), PKT_MAX), "ICMP error");
	chain(&e, family == 4 ? "ip:icmp" : "ipv6:icmpv6");
	chain(&e, oe->chain);
	/* A quote that stops before the payload has no "data" layer. */
	if (oe->data_off && room <= oe->data_off)
		e.chain[strlen(e.chain) - strlen(":data")] = 0;
	/* The quote keeps the first header's fields; tshark reports them. */
	memcpy(e.tel, oe->tel, sizeof(e.tel));
	memcpy(e.wg_type, oe->wg_type, sizeof(e.wg_type));
	memcpy(e.wg_receiver, oe->wg_receiver, sizeof(e.wg_receiver));
	memcpy(e.wg_counter, oe->wg_counter, sizeof(e.wg_counter));
	memcpy(e.mss, oe->mss, sizeof(e.mss));
	emit(g, n, &e);
}

/* Emit a full-size (link MTU) tunnel packet from A carrying a TCP
 * segment, to be quoted; returns its length and fills *e. */
static size_t orig_tunnel_tcp(struct gen *g, struct tunnel *t, int family,
			      struct expect *e)
{
	struct pd_tcp_spec tcp = {
		.sport = 40300, .dport = TCP_SERVER_PORT,
		.seq = (uint32_t)rnd(g), .ack = (uint32_t)rnd(g),
		.flags = PD_TCP_ACK | PD_TCP_PSH, .window = 502,
		.timestamps = true, .ts_val = 1000, .ts_ecr = 2000,
	};
	struct pd_ip_spec ip;
	size_t n;

	hosts(&ip, family, 0, g);
	n = check(pd_build_tcp(&ip, &tcp, NULL, tcp_max_payload(g, t, family),
			       g->inner, sizeof(g->inner)), "TCP");
	n = tun_wrap(g, t, 0, n);
	tun_chain(t, e);
	chain(e, family == 4 ? "ip:tcp:data" : "ipv6:tcp:data");
	e->data_off = n - tcp_max_payload(g, t, family);
	emit_orig(g, n, e);
	return n;
}

static size_t orig_wg(struct gen *g, int family, struct expect *e)
{
	struct wg_flow f;

	size_t n;

	wg_flow_init(g, &f, family);
	f.counter[0] = 1000;
	n = wg_build(g, &f, 0, PD_WG_DATA, f.mtu, PKT(g), e);
	emit_orig(g, n, e);
	return n;
}

static void sc_frag_needed(struct gen *g)
{
	/* A smaller hop somewhere on the underlay path. */
	uint32_t hop = g->mtu - 100;

	for (uint64_t r = 0; r < g->count; r++) {
		struct tunnel ipip = { .kind = TUN_IPIP, .outer = 4 };
		struct tunnel gre = {
			.kind = TUN_GRE, .outer = 4, .gre_key = 7, .gre_seq = 99,
		};
		struct tunnel none = { .kind = TUN_NONE };
		struct expect e[5] = { { .chain = "" } };
		size_t n;

		n = orig_tunnel_tcp(g, &ipip, 4, &e[0]);
		icmp_error(g, 4, 3, 4, hop, R, A, n, &e[0]);
		n = orig_tunnel_tcp(g, &ipip, 6, &e[1]);
		icmp_error(g, 4, 3, 4, hop, R, A, n, &e[1]);
		n = orig_tunnel_tcp(g, &gre, 4, &e[2]);
		icmp_error(g, 4, 3, 4, hop, R, A, n, &e[2]);
		n = orig_wg(g, 4, &e[3]);
		icmp_error(g, 4, 3, 4, hop, R, A, n, &e[3]);
		/* And one about a packet of a host, not a tunnel. */
		n = orig_tunnel_tcp(g, &none, 4, &e[4]);
		icmp_error(g, 4, 3, 4, hop, R, A, n, &e[4]);
	}
}

static void sc_ptb(struct gen *g)
{
	uint32_t hop = g->mtu - 100 < 1280 ? 1280 : g->mtu - 100;

	for (uint64_t r = 0; r < g->count; r++) {
		struct tunnel tel = { .kind = TUN_IP6TNL, .outer = 6, .tel = true };
		struct tunnel notel = { .kind = TUN_IP6TNL, .outer = 6 };
		struct expect e[4] = { { .chain = "" } };
		size_t n;

		n = orig_tunnel_tcp(g, &tel, 4, &e[0]);
		icmp_error(g, 6, 2, 0, hop, R, A, n, &e[0]);
		n = orig_tunnel_tcp(g, &notel, 4, &e[1]);
		icmp_error(g, 6, 2, 0, hop, R, A, n, &e[1]);
		n = orig_tunnel_tcp(g, &tel, 6, &e[2]);
		icmp_error(g, 6, 2, 0, hop, R, A, n, &e[2]);
		n = orig_wg(g, 6, &e[3]);
		icmp_error(g, 6, 2, 0, hop, R, A, n, &e[3]);
	}
}

/* ---- ICMP echo, probes and their errors ------------------------------------ */

static void echo(struct gen *g, int family, int dir, bool reply, uint16_t seq)
{
	struct expect e = { .chain = "" };
	struct pd_ip_spec ip;
	size_t n;

	underlay(&ip, family, dir ? B : A, dir ? A : B, g);
	n = check(pd_build_icmp_echo(&ip, reply, 0x4242, seq, NULL, 56, PKT(g),
				     PKT_MAX), "echo");
	chain(&e, family == 4 ? "ip:icmp:data" : "ipv6:icmpv6:data");
	emit(g, n, &e);
}

/* A UDP probe from A (to B, or expiring at R with ttl 1), kept in orig. */
static size_t probe(struct gen *g, int family, uint8_t ttl, uint16_t port,
		    struct expect *e)
{
	struct pd_ip_spec ip;
	size_t n;

	underlay(&ip, family, A, B, g);
	ip.ttl = ttl;
	n = check(pd_build_udp(&ip, 40400, port, NULL, 32, PKT(g), PKT_MAX),
		  "UDP probe");
	chain(e, family == 4 ? "ip:udp:data" : "ipv6:udp:data");
	e->data_off = n - 32;
	emit_orig(g, n, e);
	return n;
}

static void sc_icmp(struct gen *g)
{
	for (uint64_t r = 0; r < g->count; r++) {
		struct expect e[4] = { { .chain = "" } };
		uint16_t seq = (uint16_t)(r * 2);
		size_t n;

		echo(g, 4, 0, false, seq);
		echo(g, 4, 1, true, seq);
		echo(g, 6, 0, false, seq);
		echo(g, 6, 1, true, seq);
		n = probe(g, 4, 1, TRACE_PORT, &e[0]);
		icmp_error(g, 4, 11, 0, 0, R, A, n, &e[0]);
		n = probe(g, 4, 64, TRACE_PORT + 1, &e[1]);
		icmp_error(g, 4, 3, 3, 0, B, A, n, &e[1]);
		n = probe(g, 6, 1, TRACE_PORT, &e[2]);
		icmp_error(g, 6, 3, 0, 0, R, A, n, &e[2]);
		n = probe(g, 6, 64, TRACE_PORT + 1, &e[3]);
		icmp_error(g, 6, 1, 4, 0, B, A, n, &e[3]);
	}
}

/* ---- VXLAN ---------------------------------------------------------------- */

static void sc_vxlan(struct gen *g)
{
	for (uint64_t r = 0; r < g->count; r++) {
		for (int outer = 4; outer <= 6; outer += 2) {
			for (int dir = 0; dir < 2; dir++) {
				struct pd_tcp_spec tcp = {
					.sport = dir ? TCP_SERVER_PORT : 40500,
					.dport = dir ? 40500 : TCP_SERVER_PORT,
					.seq = 1000, .flags = PD_TCP_SYN | (dir ? PD_TCP_ACK : 0),
					.ack = dir ? 5001 : 0,
					.window = 64240, .mss = (uint16_t)(g->mtu - 50 - 40 -
									 (outer == 6 ? 20 : 0)),
				};
				struct expect e = { .chain = "" };
				struct pd_ip_spec ip, o;
				uint8_t *f = g->inner;
				size_t n;

				hosts(&ip, 4, dir, g);
				n = check(pd_build_tcp(&ip, &tcp, NULL, 0, f + ETH_LEN,
						       sizeof(g->inner) - ETH_LEN), "TCP");
				n = check(pd_build_eth(mac[!dir], mac[dir], 0x0800, n, f,
						       sizeof(g->inner)), "Ethernet");
				underlay(&o, outer, dir ? B : A, dir ? A : B, g);
				n = check(pd_build_vxlan(&o, (uint16_t)(49152 + r), VNI, f, n,
							 PKT(g), PKT_MAX), "VXLAN");
				chain(&e, outer == 4 ? "ip:udp:vxlan" : "ipv6:udp:vxlan");
				chain(&e, "eth:ethertype:ip:tcp");
				ADD(e.mss, "%u", tcp.mss);
				ADD(e.vni, "%u", VNI);
				emit(g, n, &e);
			}
		}
	}
}

/* ---- mix: a long deterministic stream for benchmarks ----------------------- */

#define MIX_PEERS_MAX 100

static size_t mix_size(struct gen *g, size_t max)
{
	uint64_t r = rnd(g) % 10;

	if (r < 3)
		return 0;               /* ACKs, keepalives */
	if (r < 7)
		return max;             /* full-size */
	return rnd_range(g, 1, max);
}

static void sc_mix(struct gen *g)
{
	struct tunnel tel = { .kind = TUN_IP6TNL, .outer = 6, .tel = true };
	struct tunnel none = { .kind = TUN_NONE };
	static struct wg_flow wg[2][MIX_PEERS_MAX]; /* [IPv4, IPv6][peer] */
	struct tcp_flow tf[3] = {
		{ .t = &tel, .family = 4, .port = { 41000, TCP_SERVER_PORT } },
		{ .t = &none, .family = 4, .port = { 41001, TCP_SERVER_PORT } },
		{ .t = &none, .family = 6, .port = { 41002, TCP_SERVER_PORT } },
	};

	/* peer p's client port is 43462 + p: one WireGuard tunnel each */
	for (unsigned p = 0; p < g->peers; p++)
		for (int v = 0; v < 2; v++) {
			wg_flow_init(g, &wg[v][p], v ? 6 : 4);
			wg[v][p].port[0] = (uint16_t)(wg[v][p].port[0] + p);
		}
	g->ts_step = 10;
	for (uint64_t i = 0; i < g->count; i++) {
		uint64_t r = rnd(g) % 100;
		int dir = (int)(rnd(g) & 1);

		if (r < 40) {
			unsigned p = g->peers > 1 ? (unsigned)(rnd(g) % g->peers) : 0;
			struct wg_flow *f = &wg[r < 25 ? 0 : 1][p];

			wg_send(g, f, dir, PD_WG_DATA, mix_size(g, f->mtu));
		} else if (r < 85) {
			struct tcp_flow *f = &tf[r < 65 ? 0 : r < 75 ? 1 : 2];
			size_t len = mix_size(g, tcp_max_payload(g, f->t, f->family));

			tcp_seg(g, f, dir, PD_TCP_ACK | (len ? PD_TCP_PSH : 0), 0, len);
		} else {
			int family = r < 92 ? 4 : 6;
			struct expect e = { .chain = "" };
			struct pd_ip_spec ip;
			size_t max = g->mtu - (family == 4 ? 20 : 40) - 8;
			size_t n;

			underlay(&ip, family, dir ? B : A, dir ? A : B, g);
			n = check(pd_build_udp(&ip, 40600, UDP_SERVER_PORT, NULL,
					       rnd_range(g, 1, max), PKT(g), PKT_MAX),
				  "UDP");
			chain(&e, family == 4 ? "ip:udp:data" : "ipv6:udp:data");
			emit(g, n, &e);
		}
	}
}

/* ---- command line ------------------------------------------------------------ */

struct scenario {
	const char *name;
	void (*run)(struct gen *g);
	const char *help;
};

static const struct scenario scenarios[] = {
	{ "ip6tnl-tel", sc_ip6tnl_tel,
	  "IPv4 in IPv6 with a TEL option (limit 4): TCP handshake, data up to the tunnel MTU" },
	{ "ip6tnl-notel", sc_ip6tnl_notel, "the same without the TEL option (encaplimit none)" },
	{ "6in6", sc_6in6, "IPv6 in IPv6 with a TEL option: TCP session" },
	{ "ipip", sc_ipip, "IPv4 in IPv4 (protocol 4): TCP session" },
	{ "sit", sc_sit, "IPv6 in IPv4 (protocol 41): TCP session" },
	{ "gre", sc_gre, "GRE with key and sequence (then also checksum) carrying IPv4: TCP" },
	{ "wg", sc_wg, "WireGuard over IPv4: handshake, data of many sizes, keepalives" },
	{ "wg-ipv6", sc_wg_ipv6, "the same over IPv6" },
	{ "frag-needed", sc_frag_needed,
	  "ICMP fragmentation needed about IPIP, 6in4, GRE, WireGuard, plain packets" },
	{ "ptb", sc_ptb, "ICMPv6 Packet Too Big about ip6tnl, 6in6, WireGuard packets" },
	{ "mss", sc_mss, "TCP SYN and SYN/ACK with MSS 1460 inside ip6tnl" },
	{ "bh-rx", sc_bh_rx,
	  "ip6tnl receiving end: full-size TCP segments lost, small tail re-sent, ACK stuck" },
	{ "bh-rx-heal", sc_bh_rx_heal,
	  "the same hole filled by the first retransmission (no black hole)" },
	{ "icmp", sc_icmp, "echo v4/v6, UDP probes with time exceeded / port unreachable" },
	{ "vxlan", sc_vxlan, "VXLAN (VNI 42) over IPv4 and IPv6 carrying TCP SYNs" },
	{ "mix", sc_mix,
	  "N packets (default 1000000) of WireGuard, ip6tnl and plain TCP/UDP, streamed" },
};

#define N_SCENARIOS (sizeof(scenarios) / sizeof(scenarios[0]))

static void usage(FILE *fp)
{
	fprintf(fp,
		"usage: gencap SCENARIO [N] -o FILE [options]\n"
		"Writes a pcap file of a synthetic scenario (\"-\" = standard output).\n"
		"options:\n"
		"  -o, --output FILE     pcap file to write (required)\n"
		"  -c, --count N         mix: packets (also the N argument); others:\n"
		"                        repetitions of the scenario (default 1)\n"
		"  -s, --seed S          seed of the generator (default 1)\n"
		"  -m, --mtu N           MTU of the link under the tunnels, %d..%d\n"
		"                        (default 1500): the largest packets fill it\n"
		"  -l, --linktype T      eth (default) or raw\n"
		"  -e, --expect FILE     also write what tshark should decode, per frame\n"
		"  -p, --peers N         mix: WireGuard peers per outer family, 1..%d\n"
		"                        (default 1), each its own tunnel\n"
		"  -L, --list            list scenarios\n"
		"scenarios:\n", MTU_MIN, MTU_MAX, MIX_PEERS_MAX);
	for (size_t i = 0; i < N_SCENARIOS; i++)
		fprintf(fp, "  %-13s %s\n", scenarios[i].name, scenarios[i].help);
}

static uint64_t parse_num(const char *s, const char *what, uint64_t min,
			  uint64_t max)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 0);
	if (!*s || *end || errno || *s == '-' || v < min || v > max)
		die("%s: '%s' is not a number in %" PRIu64 "..%" PRIu64, what, s,
		    min, max);
	return v;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "count", required_argument, NULL, 'c' },
		{ "seed", required_argument, NULL, 's' },
		{ "mtu", required_argument, NULL, 'm' },
		{ "linktype", required_argument, NULL, 'l' },
		{ "expect", required_argument, NULL, 'e' },
		{ "peers", required_argument, NULL, 'p' },
		{ "list", no_argument, NULL, 'L' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	static struct gen g;    /* large buffers: not on the stack */
	const struct scenario *sc = NULL;
	bool have_count = false;
	uint64_t seed = 1;
	int c;

	g.linktype = PCAPW_LINKTYPE_ETHERNET;
	g.mtu = 1500;
	g.count = 1;
	g.peers = 1;
	opterr = 0;
	while ((c = getopt_long(argc, argv, ":o:c:s:m:l:e:p:Lh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			g.path = optarg;
			break;
		case 'c':
			g.count = parse_num(optarg, "--count", 1, UINT64_MAX);
			have_count = true;
			break;
		case 's':
			seed = parse_num(optarg, "--seed", 0, UINT64_MAX);
			break;
		case 'm':
			g.mtu = (unsigned)parse_num(optarg, "--mtu", MTU_MIN, MTU_MAX);
			break;
		case 'l':
			if (strcmp(optarg, "eth") == 0)
				g.linktype = PCAPW_LINKTYPE_ETHERNET;
			else if (strcmp(optarg, "raw") == 0)
				g.linktype = PCAPW_LINKTYPE_RAW;
			else
				die("--linktype: '%s' is not eth or raw", optarg);
			break;
		case 'e':
			g.expect_path = optarg;
			break;
		case 'p':
			g.peers = (unsigned)parse_num(optarg, "--peers", 1, MIX_PEERS_MAX);
			break;
		case 'L':
			for (size_t i = 0; i < N_SCENARIOS; i++)
				puts(scenarios[i].name);
			return 0;
		case 'h':
			usage(stdout);
			return 0;
		case ':':
			die("option %s needs an argument", argv[optind - 1]);
		default:
			if (optopt)
				die("unknown option -%c (try --help)", optopt);
			die("unknown option %s (try --help)", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		die("no scenario given (try --help)");
	for (size_t i = 0; i < N_SCENARIOS; i++)
		if (strcmp(argv[optind], scenarios[i].name) == 0)
			sc = &scenarios[i];
	if (!sc)
		die("unknown scenario '%s' (try --list)", argv[optind]);
	optind++;
	if (optind < argc && sc->run == sc_mix) {
		uint64_t n = parse_num(argv[optind++], "mix N", 1, UINT64_MAX);

		if (have_count && n != g.count)
			die("mix N and --count disagree");
		g.count = n;
		have_count = true;
	}
	if (optind < argc)
		die("unexpected argument '%s'", argv[optind]);
	if (sc->run == sc_mix && !have_count)
		g.count = 1000000;
	if (!g.path)
		die("no output file given (-o FILE)");
	if (pcapw_open(&g.w, g.path, g.linktype, 0))
		die("%s: %s", g.path, strerror(errno));
	if (g.expect_path) {
		g.expect = fopen(g.expect_path, "w");
		if (!g.expect)
			die("%s: %s", g.expect_path, strerror(errno));
	}
	g.rng = seed;
	g.ts = TS_START * 1000000;
	g.ts_step = 1000;
	sc->run(&g);
	if (pcapw_close(&g.w))
		die("%s: %s", g.path, strerror(errno));
	if (g.expect && (ferror(g.expect) | fclose(g.expect)))
		die("%s: %s", g.expect_path, strerror(errno));
	return 0;
}
