/* test_tunstat.c - pd_tunstat on packets built with the library's encoders
 * (raw IP link type): the overhead of each tunnel kind equals the headers
 * the encoder put in front, WireGuard's clamped padding gives the MTU it was
 * built with, and each finding fires on the case built for it and not on
 * its near miss.  The table stays within its capacity.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/dissect.h>
#include <pathdiag/encode.h>
#include <pathdiag/tunstat.h>

#define LT PD_LINKTYPE_RAW

static struct pd_tunstat st;

static struct pd_ip_spec ip4(uint8_t a, uint8_t b)
{
	struct pd_ip_spec s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src[0] = 10, s.src[3] = a;
	s.dst[0] = 10, s.dst[3] = b;
	return s;
}

static struct pd_ip_spec ip6(uint8_t a, uint8_t b)
{
	struct pd_ip_spec s;

	memset(&s, 0, sizeof(s));
	s.family = 6;
	s.src[0] = 0x20, s.src[1] = 0x01, s.src[2] = 0x0d, s.src[3] = 0xb8, s.src[15] = a;
	s.dst[0] = 0x20, s.dst[1] = 0x01, s.dst[2] = 0x0d, s.dst[3] = 0xb8, s.dst[15] = b;
	return s;
}

static void feed(unsigned src, uint64_t frame, int64_t ts, const uint8_t *b, int len)
{
	static struct pd_packet pkt;

	assert_true(len > 0);
	pd_dissect(LT, b, (size_t)len, (size_t)len, NULL, &pkt);
	pd_tunstat_add(&st, src, frame, ts, &pkt);
}

/* inner IPv4/UDP packet of total length n at buf */
static int inner4(uint8_t *buf, size_t cap, size_t n)
{
	struct pd_ip_spec in = ip4(100, 200);

	return pd_build_udp(&in, 1000, 2000, NULL, n - 28, buf, cap);
}

static uint32_t overhead_of(unsigned t, bool *exact)
{
	uint32_t o = 0;

	assert_true(pd_tunstat_overhead(&st.tun[t], &o, exact));
	return o;
}

static void test_ip6tnl_tel(void **state)
{
	uint8_t in[2000], buf[2100];
	struct pd_ip_spec out = ip6(1, 2);
	bool exact;
	int n;

	(void)state;
	pd_tunstat_init(&st, 0);
	n = inner4(in, sizeof(in), 1000);
	out.has_tel = true;
	out.tel = 4;
	feed(0, 1, 0, buf, pd_build_ip_in_ip(&out, in, (size_t)n, buf, sizeof(buf)));
	out = ip6(3, 4);
	feed(0, 2, 0, buf, pd_build_ip_in_ip(&out, in, (size_t)n, buf, sizeof(buf)));
	assert_int_equal(st.ntun, 2);
	assert_int_equal(st.tun[0].kind, PD_TUN_IP6TNL);
	assert_int_equal(overhead_of(0, &exact), 48);
	assert_true(exact);
	assert_int_equal(overhead_of(1, &exact), 40);
	assert_int_equal(st.tun[0].dir[0].max_outer, 1048);
	assert_int_equal(st.tun[0].dir[0].max_inner, 1000);
}

static void test_ipip_6in4_gre_vxlan(void **state)
{
	uint8_t in[2000], buf[2100], fr[2100];
	struct pd_ip_spec out = ip4(1, 2), in6 = ip6(7, 8);
	struct pd_gre_spec g = { .proto = 0x0800 };
	uint8_t mac[6] = { 2, 0, 0, 0, 0, 1 };
	bool exact;
	int n, n6, nf;

	(void)state;
	pd_tunstat_init(&st, 0);
	n = inner4(in, sizeof(in), 500);
	feed(0, 1, 0, buf, pd_build_ip_in_ip(&out, in, (size_t)n, buf, sizeof(buf)));
	n6 = pd_build_udp(&in6, 1, 2, NULL, 300, fr, sizeof(fr));
	out = ip4(3, 4);
	feed(0, 2, 0, buf, pd_build_ip_in_ip(&out, fr, (size_t)n6, buf, sizeof(buf)));
	out = ip4(5, 6);
	feed(0, 3, 0, buf, pd_build_gre(&out, &g, in, (size_t)n, buf, sizeof(buf)));
	out = ip4(7, 8);
	g.has_key = true;
	g.key = 42;
	feed(0, 4, 0, buf, pd_build_gre(&out, &g, in, (size_t)n, buf, sizeof(buf)));
	memcpy(fr + 14, in, (size_t)n);
	nf = pd_build_eth(mac, mac, 0x0800, (size_t)n, fr, sizeof(fr));
	out = ip4(9, 10);
	feed(0, 5, 0, buf, pd_build_vxlan(&out, 5555, 77, fr, (size_t)nf, buf, sizeof(buf)));
	assert_int_equal(st.ntun, 5);
	assert_int_equal(st.tun[0].kind, PD_TUN_IPIP);
	assert_int_equal(overhead_of(0, &exact), 20);
	assert_int_equal(st.tun[1].kind, PD_TUN_6IN4);
	assert_int_equal(overhead_of(1, &exact), 20);
	assert_int_equal(st.tun[2].kind, PD_TUN_GRE);
	assert_int_equal(overhead_of(2, &exact), 24);
	assert_int_equal(overhead_of(3, &exact), 28);
	assert_int_equal(st.tun[4].kind, PD_TUN_VXLAN);
	assert_int_equal(overhead_of(4, &exact), 50);
	assert_int_equal(st.tot.tunnelled[PD_TUN_GRE], 2);
}

static int wg_data(uint8_t *buf, size_t cap, uint8_t a, uint8_t b, size_t plain, uint16_t mtu,
		   uint64_t counter)
{
	struct pd_ip_spec out = ip4(a, b);
	struct pd_wg_spec w = { .type = PD_WG_DATA, .sport = 51820, .dport = 51821,
				.receiver = 0x11223344, .counter = counter,
				.plain_len = plain, .mtu = mtu };

	if (a > b) {
		w.sport = 51821;
		w.dport = 51820;
		w.receiver = 0x55667788;
	}
	return pd_build_wg(&out, &w, buf, cap);
}

static void test_wireguard_clamped(void **state)
{
	uint8_t buf[2000];
	uint32_t mtu, ovh;
	enum pd_provenance prov;
	bool lb, exact;
	const char *basis;

	(void)state;
	pd_tunstat_init(&st, 0);
	feed(0, 1, 0, buf, wg_data(buf, sizeof(buf), 1, 2, 100, 1420, 0));
	feed(0, 2, 1, buf, wg_data(buf, sizeof(buf), 2, 1, 0, 1420, 0));
	assert_true(pd_tunstat_mtu(&st.tun[0], &mtu, &prov, &lb, &basis));
	assert_true(lb); /* only padded sizes so far: a lower bound */
	assert_int_equal(mtu, 112);
	feed(0, 3, 2, buf, wg_data(buf, sizeof(buf), 1, 2, 1420, 1420, 1));
	assert_int_equal(st.tun[0].dir[0].max_outer, 1420 + 60);
	assert_true(pd_tunstat_mtu(&st.tun[0], &mtu, &prov, &lb, &basis));
	assert_false(lb);
	assert_int_equal(prov, PD_PROV_MEASURED);
	assert_int_equal(mtu, 1420);
	assert_true(pd_tunstat_overhead(&st.tun[0], &ovh, &exact));
	assert_int_equal(ovh, 60);
	assert_int_equal(st.tun[0].dir[1].wg[PD_TS_WG_KEEPALIVE], 1);
	assert_int_equal(st.tun[0].dir[0].wg[PD_WG_DATA], 2);
	/* no handshake response links the two receiver indices: two sessions */
	assert_int_equal(st.tun[0].nsess, 2);
}

static bool has_finding(const struct pd_ts_findings *f, const char *kind)
{
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].kind, kind))
			return true;
	return false;
}

static void test_ptb_about_outer(void **state)
{
	uint8_t buf[2000], icmp[700];
	struct pd_ip_spec r = ip4(99, 1);
	struct pd_ts_findings f;
	int n;

	(void)state;
	pd_tunstat_init(&st, 0);
	n = wg_data(buf, sizeof(buf), 1, 2, 1420, 1420, 5);
	feed(0, 1, 0, buf, n);
	n = pd_build_icmp_error(&r, 3, 4, 1400, buf, (size_t)n, icmp, sizeof(icmp));
	feed(0, 2, 10, icmp, n);
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "tunnel-ptb"));
	assert_int_equal(st.tun[0].ptb_mtu, 1400);
	assert_int_equal(st.tot.frag_needed, 1);
	assert_int_equal(f.f[0].ev[0].frame, 2);
}

/* Mark an IPv4 packet as a fragment: MF and offset (units of 8). */
static void fragment(uint8_t *b, bool mf, uint16_t off)
{
	b[6] = (uint8_t)((mf ? 0x20 : 0) | (off >> 8));
	b[7] = (uint8_t)off;
}

static void test_fragments(void **state)
{
	uint8_t in[2000], buf[2100];
	struct pd_ip_spec out = ip4(1, 2);
	struct pd_gre_spec g = { .proto = 0x0800 };
	struct pd_ts_findings f;
	int n, m;

	(void)state;
	pd_tunstat_init(&st, 0);
	n = inner4(in, sizeof(in), 1000);
	m = pd_build_gre(&out, &g, in, (size_t)n, buf, sizeof(buf));
	feed(0, 1, 0, buf, m);
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "tunnel-fragmented"));
	fragment(buf, true, 0);
	feed(0, 2, 1, buf, m);
	m = pd_build_ip(&out, 47, 200, buf, sizeof(buf));
	fragment(buf, false, 100);
	feed(0, 3, 2, buf, m);
	assert_int_equal(st.tun[0].dir[0].frag_first, 1);
	assert_int_equal(st.tun[0].dir[0].frag_other, 1);
	assert_int_equal(st.tot.ip4_frags, 2);
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "tunnel-fragmented"));
}

static int syn(uint8_t *buf, size_t cap, uint16_t mss)
{
	struct pd_ip_spec in = ip4(100, 200);
	struct pd_tcp_spec t = { .sport = 40000, .dport = 80, .flags = 0x002, .mss = mss };

	return pd_build_tcp(&in, &t, NULL, 0, buf, cap);
}

static void test_mss(void **state)
{
	uint8_t buf[2000];
	struct pd_ts_findings f;

	(void)state;
	pd_tunstat_init(&st, 0);
	feed(1, 1, 0, buf, wg_data(buf, sizeof(buf), 1, 2, 1420, 1420, 1));
	feed(0, 1, 5000000, buf, syn(buf, sizeof(buf), 1380));
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "mss-exceeds-tunnel"));
	feed(0, 2, 6000000, buf, syn(buf, sizeof(buf), 1460));
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "mss-exceeds-tunnel"));
	/* without an exact MTU only the configured one can judge */
	pd_tunstat_init(&st, 0);
	feed(0, 1, 0, buf, syn(buf, sizeof(buf), 1460));
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "mss-exceeds-tunnel"));
	pd_tunstat_finish(&st, 1420, &f);
	assert_true(has_finding(&f, "mss-exceeds-tunnel"));
}

/* Large sends at the given times (ms) a->b, small traffic b->a. */
static void backoff_case(const int *ms, unsigned n, size_t back)
{
	uint8_t buf[2000];
	uint64_t fr = 1;

	pd_tunstat_init(&st, 0);
	for (unsigned i = 0; i < n; i++) {
		feed(0, fr++, (int64_t)ms[i] * 1000, buf,
		     wg_data(buf, sizeof(buf), 1, 2, 1420, 1420, i));
		feed(0, fr++, (int64_t)ms[i] * 1000 + 50, buf,
		     wg_data(buf, sizeof(buf), 2, 1, back, 1420, i));
	}
}

static void test_blackhole(void **state)
{
	static const int doubling[] = { 0, 200, 600, 1400, 3000 };
	static const int steady[] = { 0, 200, 400, 600, 800 };
	static const int fast[] = { 0, 1, 3, 7, 15 };
	struct pd_ts_findings f;

	(void)state;
	backoff_case(doubling, 5, 48);
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "blackhole-signature"));
	assert_int_equal(f.f[0].nev, 5);
	backoff_case(steady, 5, 48);
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "blackhole-signature"));
	backoff_case(fast, 5, 48);
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "blackhole-signature"));
	/* the other way carries packets as large: not a size blackhole */
	backoff_case(doubling, 5, 1420);
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "blackhole-signature"));
	/* two sends only */
	backoff_case(doubling, 2, 48);
	pd_tunstat_finish(&st, 0, &f);
	assert_false(has_finding(&f, "blackhole-signature"));
}

/* Receiving end: a -> b data arrives with counters 0..n-1 except the ones
 * in `lost`, each of `size` bytes of plaintext; b -> a small replies. */
static void rx_case(unsigned n, const unsigned *lost, unsigned nlost, size_t size)
{
	uint8_t buf[2000];
	uint64_t fr = 1;

	pd_tunstat_init(&st, 0);
	for (unsigned i = 0; i < n; i++) {
		bool skip = false;

		for (unsigned j = 0; j < nlost; j++)
			skip |= lost[j] == i;
		if (!skip)
			feed(0, fr++, (int64_t)i * 100000, buf,
			     wg_data(buf, sizeof(buf), 1, 2, size, 1420, i));
		feed(0, fr++, (int64_t)i * 100000 + 50, buf,
		     wg_data(buf, sizeof(buf), 2, 1, 48, 1420, i));
	}
}

static const struct pd_ts_finding *finding(const struct pd_ts_findings *f, const char *kind)
{
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].kind, kind))
			return &f->f[i];
	return NULL;
}

/* The message of x, which the caller asserted non-NULL. */
static const char *msg_of(const struct pd_ts_finding *x)
{
	return x ? x->message : "";
}

static void test_blackhole_rx(void **state)
{
	static const unsigned three[] = { 5, 6, 7 };
	static const unsigned two[] = { 5, 6 };
	struct pd_ts_findings f;
	const struct pd_ts_finding *x;

	(void)state;
	/* 3 of 20 counters missing, everything that arrived 96 + 60 bytes */
	rx_case(20, three, 3, 96);
	pd_tunstat_finish(&st, 0, &f);
	x = finding(&f, "blackhole-signature");
	assert_non_null(x);
	assert_int_equal(x->severity, PD_SEV_WARNING);
	assert_non_null(strstr(msg_of(x), "(receiving end): 3 of 20 WireGuard counters missing"));
	assert_non_null(strstr(msg_of(x), "arrivals all <= 156 bytes"));
	assert_int_equal(x->nev, 1);           /* counter 8: the first after the gap */
	assert_int_equal(x->ev[0].ts_usec, 800000);
	/* two missing: below the minimum */
	rx_case(20, two, 2, 96);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "blackhole-signature"));
	/* three of 40: under one in ten */
	rx_case(40, three, 3, 96);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "blackhole-signature"));
	/* large packets arrived: loss, but not of the large ones only */
	rx_case(20, three, 3, 1400);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "blackhole-signature"));
	/* nothing missing */
	rx_case(20, NULL, 0, 96);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "blackhole-signature"));
}

/* A SYN captured on a tunnel interface is judged against that interface's
 * MTU; a configured tunnel MTU takes precedence. */
static void test_mss_source_mtu(void **state)
{
	uint8_t buf[2000];
	struct pd_ts_findings f;
	const struct pd_ts_finding *x;

	(void)state;
	pd_tunstat_init(&st, 0);
	pd_tunstat_set_source_mtu(&st, 1, 1420);
	feed(0, 1, 0, buf, syn(buf, sizeof(buf), 1460));   /* source 0: no MTU */
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "mss-exceeds-tunnel"));
	feed(1, 1, 10, buf, syn(buf, sizeof(buf), 1380));  /* exactly the limit */
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "mss-exceeds-tunnel"));
	feed(1, 2, 20, buf, syn(buf, sizeof(buf), 1460));
	pd_tunstat_finish(&st, 0, &f);
	x = finding(&f, "mss-exceeds-tunnel");
	assert_non_null(x);
	assert_non_null(strstr(msg_of(x), "from 10.0.0.100 (address as seen on the tunnel, "
				   "after any NAT) announces MSS 1460, more than 1380 "
				   "that tunnel MTU 1420 allows (configured MTU of the tunnel "
				   "interface captured on)"));
	assert_int_equal(x->ev[0].source, 1);
	assert_int_equal(x->ev[0].frame, 2);
	pd_tunstat_finish(&st, 1500, &f);
	assert_null(finding(&f, "mss-exceeds-tunnel"));
	pd_tunstat_set_source_mtu(&st, 1, 0);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "mss-exceeds-tunnel"));
}

/* An inner TCP segment inside IPIP 10.0.0.1 <-> 10.0.0.2: from the
 * sender 10.0.0.100 (dir 0) or from the receiver 10.0.0.200 (dir 1). */
static void ipip_tcp(uint64_t frame, int64_t ts, int dir, uint32_t seq, uint32_t ack,
		     uint16_t flags, uint16_t mss, size_t len)
{
	uint8_t in[2000], buf[2100];
	struct pd_ip_spec o = dir ? ip4(2, 1) : ip4(1, 2);
	struct pd_ip_spec i = dir ? ip4(200, 100) : ip4(100, 200);
	struct pd_tcp_spec t = {
		.sport = dir ? 80 : 40000, .dport = dir ? 40000 : 80, .seq = seq, .ack = ack,
		.flags = flags, .window = 500, .mss = mss,
	};
	int n = pd_build_tcp(&i, &t, NULL, len, in, sizeof(in));

	assert_true(n > 0);
	feed(0, frame, ts, buf, pd_build_ip_in_ip(&o, in, (size_t)n, buf, sizeof(buf)));
}

/* Receiving end, inner TCP: two 1400-byte segments (MSS 1400, no options)
 * after byte 101 never arrive, the 200-byte tail is re-sent at back-off
 * and the ACK stays at 101; healed: the re-sent segments arrive. */
static void bh_flow(bool heal)
{
	const int64_t at[] = { 0, 200000, 600000, 1400000 };

	pd_tunstat_init(&st, 0);
	ipip_tcp(1, 0, 0, 0, 0, PD_TCP_SYN, 1400, 0);
	ipip_tcp(2, 1000, 1, 0, 1, PD_TCP_SYN | PD_TCP_ACK, 1400, 0);
	ipip_tcp(3, 2000, 0, 1, 1, PD_TCP_ACK, 0, 100);
	ipip_tcp(4, 3000, 1, 1, 101, PD_TCP_ACK, 0, 0);
	for (unsigned k = 0; k < 4; k++) {
		int64_t t = 10000 + at[k];

		if (heal && k == 1) {
			ipip_tcp(5 + 2 * k, t, 0, 101, 1, PD_TCP_ACK, 0, 1400);
			ipip_tcp(6 + 2 * k, t + 1000, 0, 1501, 1, PD_TCP_ACK, 0, 1400);
			ipip_tcp(7 + 2 * k, t + 2000, 1, 1, 3101, PD_TCP_ACK, 0, 0);
			return;
		}
		ipip_tcp(5 + 2 * k, t, 0, 2901, 1, PD_TCP_ACK, 0, 200);
		ipip_tcp(6 + 2 * k, t + 1000, 1, 1, 101, PD_TCP_ACK, 0, 0);
	}
}

static void test_blackhole_flow(void **state)
{
	struct pd_ts_findings f;
	const struct pd_ts_finding *x;

	(void)state;
	bh_flow(false);
	pd_tunstat_finish(&st, 0, &f);
	x = finding(&f, "blackhole-signature");
	assert_non_null(x);
	assert_int_equal(x->severity, PD_SEV_WARNING);
	assert_non_null(strstr(msg_of(x), "ipip 10.0.0.1 -> 10.0.0.2 (receiving end): TCP "
				   "10.0.0.100:40000 -> 10.0.0.200:80: a 2800-byte hole never "
				   "filled while 4 later segments of <= 200 bytes arrived and the "
				   "ACKs stayed at it 4 times with growing gaps (up to 0.80 s): "
				   "2 x 1400-byte segments (1440-byte inner, 1460-byte outer "
				   "packets) likely lost"));
	assert_int_equal(x->nev, 5);
	assert_int_equal(x->ev[0].frame, 5);
	assert_int_equal(x->ev[1].frame, 6);
	assert_int_equal(x->ev[4].frame, 12);
	bh_flow(true);
	pd_tunstat_finish(&st, 0, &f);
	assert_null(finding(&f, "blackhole-signature"));
}

static void test_table_bounded(void **state)
{
	uint8_t buf[2000];
	struct pd_ts_findings f;

	(void)state;
	pd_tunstat_init(&st, 4);
	for (unsigned i = 0; i < 10; i++)
		feed(0, i + 1, 0, buf, wg_data(buf, sizeof(buf), (uint8_t)(i + 1),
					       (uint8_t)(i + 100), 64, 0, 0));
	/* one packet each: never assured, so each new one evicts the oldest
	 * (test_tsevict.c covers the rules) */
	assert_int_equal(st.ntun, 4);
	assert_int_equal(st.tun_evicted, 6);
	assert_int_equal(st.tot.tunnels_dropped, 0);
	assert_int_equal(st.tot.tunnelled[PD_TUN_WIREGUARD], 10);
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "flow-table-overflow"));
}

static void test_correlation(void **state)
{
	uint8_t buf[2000];
	struct pd_ip_spec u = ip4(1, 2);
	struct pd_ts_findings f;

	(void)state;
	pd_tunstat_init(&st, 0);
	for (unsigned i = 0; i < 20; i++) {
		size_t n = 200 + 37 * i;
		int64_t t = (int64_t)i * 100000;

		feed(0, i + 1, t, buf, inner4(buf, sizeof(buf), n));
		/* an unknown UDP tunnel: 24 bytes of its own header */
		feed(1, i + 1, t + 300, buf,
		     pd_build_udp(&u, 1194, 1194, NULL, n + 24, buf, sizeof(buf)));
	}
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has_finding(&f, "tunnel-overhead-correlated"));
	assert_int_equal(f.corr_delta, 20 + 8 + 24);
	assert_int_equal(f.corr_matches, 20);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ip6tnl_tel),
		cmocka_unit_test(test_ipip_6in4_gre_vxlan),
		cmocka_unit_test(test_wireguard_clamped),
		cmocka_unit_test(test_ptb_about_outer),
		cmocka_unit_test(test_fragments),
		cmocka_unit_test(test_mss),
		cmocka_unit_test(test_blackhole),
		cmocka_unit_test(test_blackhole_rx),
		cmocka_unit_test(test_mss_source_mtu),
		cmocka_unit_test(test_blackhole_flow),
		cmocka_unit_test(test_table_bounded),
		cmocka_unit_test(test_correlation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
