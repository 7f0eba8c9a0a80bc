/* test_tsevict.c - pd_tunstat's tables under a flood of new flows (rules in
 * pathdiag/tunstat.h, "Tables"): which entry a new tunnel, inner TCP flow,
 * WireGuard session or event evicts, what it refuses, the counts of both,
 * and that lookups stay right after many evictions (linear probing's
 * deletion).  Packets are built with the library's encoders (raw IP).
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
#define SEC 1000000

static struct pd_tunstat st;
static uint64_t frame;

static void feed(int64_t ts, const uint8_t *b, int len)
{
	static struct pd_packet pkt;

	assert_true(len > 0);
	pd_dissect(LT, b, (size_t)len, (size_t)len, NULL, &pkt);
	pd_tunstat_add(&st, 0, ++frame, ts, &pkt);
}

/* IPv4 10.a.b.c style addresses: n spread over the last three bytes. */
static struct pd_ip_spec ip4n(uint32_t a, uint32_t b)
{
	struct pd_ip_spec s;

	memset(&s, 0, sizeof(s));
	s.family = 4;
	s.src[0] = 10, s.src[1] = (uint8_t)(a >> 16), s.src[2] = (uint8_t)(a >> 8);
	s.src[3] = (uint8_t)a;
	s.dst[0] = 10, s.dst[1] = (uint8_t)(b >> 16), s.dst[2] = (uint8_t)(b >> 8);
	s.dst[3] = (uint8_t)b;
	return s;
}

/* A WireGuard data message from a:sport to b:dport with receiver index rcv. */
static void wg(int64_t ts, uint32_t a, uint32_t b, uint16_t sport, uint16_t dport, uint32_t rcv,
	       uint64_t ctr)
{
	uint8_t buf[512];
	struct pd_ip_spec o = ip4n(a, b);
	struct pd_wg_spec w = { .type = PD_WG_DATA, .sport = sport, .dport = dport,
				.receiver = rcv, .counter = ctr, .plain_len = 64 };

	feed(ts, buf, pd_build_wg(&o, &w, buf, sizeof(buf)));
}

/* A TCP segment in IPIP between outer a and b, inner ports sp -> dp. */
static void ipip_tcp(int64_t ts, uint32_t a, uint32_t b, uint16_t sp, uint16_t dp, uint32_t seq,
		     uint16_t flags, uint16_t mss, size_t len)
{
	uint8_t in[600], buf[700];
	struct pd_ip_spec o = ip4n(a, b), i = ip4n(a + 0x1000, b + 0x1000);
	struct pd_tcp_spec t = { .sport = sp, .dport = dp, .seq = seq, .ack = 1, .flags = flags,
				 .window = 500, .mss = mss };
	int n = pd_build_tcp(&i, &t, NULL, len, in, sizeof(in));

	assert_true(n > 0);
	feed(ts, buf, pd_build_ip_in_ip(&o, in, (size_t)n, buf, sizeof(buf)));
}

/* A TCP SYN with MSS outside any tunnel. */
static void plain_syn(int64_t ts, uint32_t a, uint16_t sp)
{
	uint8_t buf[200];
	struct pd_ip_spec i = ip4n(a, 2);
	struct pd_tcp_spec t = { .sport = sp, .dport = 80, .flags = PD_TCP_SYN, .window = 500,
				 .mss = 1460 };

	feed(ts, buf, pd_build_tcp(&i, &t, NULL, 0, buf, sizeof(buf)));
}

static int tunnel_of(uint32_t a, uint32_t b, uint16_t pa, uint16_t pb)
{
	struct pd_ip_spec s = ip4n(a, b);

	for (unsigned i = 0; i < st.ntun; i++) {
		const struct pd_ts_tunnel *t = &st.tun[i];

		if (!memcmp(t->addr[0], s.src, 4) && !memcmp(t->addr[1], s.dst, 4) &&
		    t->port[0] == pa && t->port[1] == pb)
			return (int)i;
	}
	return -1;
}

/* Both recency lists hold every tunnel once, linked both ways. */
static void lists_ok(void)
{
	unsigned n = 0;

	for (int l = 0; l < 2; l++) {
		unsigned prev = 0;

		for (unsigned v = st.lru_head[l]; v; v = st.lru_next[v - 1]) {
			assert_int_equal(st.tun_assured[v - 1], l);
			assert_int_equal(st.lru_prev[v - 1], prev);
			prev = v;
			assert_true(++n <= st.ntun);
		}
		assert_int_equal(st.lru_tail[l], prev);
	}
	assert_int_equal(n, st.ntun);
}

static bool has(const struct pd_ts_findings *f, const char *kind)
{
	for (unsigned i = 0; i < f->n; i++)
		if (!strcmp(f->f[i].kind, kind))
			return true;
	return false;
}

/* A tunnel seen both ways survives 100 one-packet tunnels in a table of
 * 4; each new one past the capacity evicts one; a tunnel that shows up
 * after them is stored. */
static void test_tunnel_unassured_go_first(void **state)
{
	struct pd_ts_findings f;
	int r;

	(void)state;
	pd_tunstat_init(&st, 4);
	wg(0, 1, 2, 51820, 51821, 7, 0);
	wg(1, 2, 1, 51821, 51820, 8, 0);
	for (uint32_t i = 0; i < 100; i++)
		wg(10 + i, 0x100 + i, 2, (uint16_t)(20000 + i), 51821, 9, 0);
	wg(200, 1, 2, 51820, 51821, 7, 1);
	wg(201, 0x9999, 0x9998, 40000, 51820, 5, 0);   /* the late one */
	assert_int_equal(st.ntun, 4);
	assert_int_equal(st.tun_created, 102);
	assert_int_equal(st.tun_evicted, 98);
	assert_int_equal(st.tot.tunnels_dropped, 0);
	r = tunnel_of(1, 2, 51820, 51821);
	assert_true(r >= 0);
	assert_int_equal(st.tun[r].dir[0].packets, 2);
	assert_int_equal(st.tun[r].dir[1].packets, 1);
	assert_true(tunnel_of(0x9999, 0x9998, 40000, 51820) >= 0);
	/* the two newest of the flood are still there, the one before not */
	assert_true(tunnel_of(0x100 + 99, 2, 20099, 51821) >= 0);
	assert_true(tunnel_of(0x100 + 98, 2, 20098, 51821) >= 0);
	assert_int_equal(tunnel_of(0x100 + 97, 2, 20097, 51821), -1);
	lists_ok();
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has(&f, "flow-table-overflow"));
	assert_false(has(&f, "tunnel-table-full"));
}

/* A table of assured tunnels refuses a new one until the least recently
 * seen has been idle PD_TS_IDLE_USEC. */
static void test_tunnel_assured_refuse_then_idle(void **state)
{
	struct pd_ts_findings f;

	(void)state;
	pd_tunstat_init(&st, 2);
	wg(0, 1, 2, 1000, 2000, 1, 0);
	wg(1, 2, 1, 2000, 1000, 2, 0);
	for (unsigned i = 0; i < PD_TS_ASSURED_PKTS; i++)  /* assured by count */
		wg(2 + i, 3, 4, 1000, 2000, 1, i);
	wg(10 * SEC, 5, 6, 1000, 2000, 1, 0);
	wg(10 * SEC + 1, 5, 6, 1000, 2000, 1, 1);
	assert_int_equal(st.tot.tunnels_dropped, 2);
	assert_int_equal(st.tun_evicted, 0);
	assert_true(tunnel_of(1, 2, 1000, 2000) >= 0);
	pd_tunstat_finish(&st, 0, &f);
	assert_true(has(&f, "tunnel-table-full"));
	assert_true(has(&f, "flow-table-overflow"));
	/* 1 -> 2 was last seen at 1 us: idle long enough 120 s later */
	wg(1 + PD_TS_IDLE_USEC, 5, 6, 1000, 2000, 1, 2);
	assert_int_equal(st.tun_evicted, 1);
	assert_int_equal(tunnel_of(1, 2, 1000, 2000), -1);
	assert_true(tunnel_of(3, 4, 1000, 2000) >= 0);
	assert_true(tunnel_of(5, 6, 1000, 2000) >= 0);
	lists_ok();
}

/* An evicted tunnel takes its events and inner flows with it. */
static void test_tunnel_evict_takes_refs(void **state)
{
	(void)state;
	pd_tunstat_init(&st, 2);
	ipip_tcp(0, 1, 2, 40000, 80, 0, PD_TCP_SYN, 1400, 0);   /* event + flow */
	assert_int_equal(st.nev, 1);
	assert_int_equal(st.nflows, 1);
	wg(1, 7, 8, 1, 2, 3, 0);
	wg(2, 9, 8, 1, 2, 3, 0);   /* evicts the IPIP tunnel, the oldest */
	assert_int_equal(st.tun_evicted, 1);
	assert_int_equal(st.nev, 0);
	assert_int_equal(st.ev_evicted, 1);
	assert_int_equal(st.nflows, 0);
	assert_int_equal(st.flows_freed, 1);
	for (unsigned i = 0; i < st.ntun; i++)
		assert_int_equal(st.tun[i].kind, PD_TUN_WIREGUARD);
}

/* Inner flows: 200 one-segment flows in a table of PD_TS_MAX_FLOWS evict
 * the least recently seen, but never a flow with an open hole; a table
 * of holes refuses. */
static void test_flows(void **state)
{
	(void)state;
	pd_tunstat_init(&st, 0);
	/* a hole: 100 bytes at 1, then data at 1001 */
	ipip_tcp(0, 1, 2, 5000, 80, 1, PD_TCP_ACK, 0, 100);
	ipip_tcp(1, 1, 2, 5000, 80, 1001, PD_TCP_ACK, 0, 100);
	for (unsigned i = 0; i < 200; i++)
		ipip_tcp(10 + i, 1, 2, (uint16_t)(10000 + i), 80, 1, PD_TCP_ACK, 0, 10);
	assert_int_equal(st.nflows, PD_TS_MAX_FLOWS);
	assert_int_equal(st.flows_created, 201);
	assert_int_equal(st.flows_evicted, 201 - PD_TS_MAX_FLOWS);
	assert_int_equal(st.flows_dropped, 0);
	/* the flows kept are found again: nothing new is created */
	for (unsigned i = 200 - (PD_TS_MAX_FLOWS - 1); i < 200; i++)
		ipip_tcp(300 + i, 1, 2, (uint16_t)(10000 + i), 80, 11, PD_TCP_ACK, 0, 10);
	ipip_tcp(600, 1, 2, 5000, 80, 1101, PD_TCP_ACK, 0, 100);
	assert_int_equal(st.flows_created, 201);
	for (unsigned i = 0; i < st.nflows; i++)
		if (st.flow[i].port[0] == 5000)
			assert_true(st.flow[i].h[0].hole);
	/* every flow with a hole: a new flow is refused */
	pd_tunstat_init(&st, 0);
	for (unsigned i = 0; i < PD_TS_MAX_FLOWS; i++) {
		ipip_tcp(i, 1, 2, (uint16_t)(10000 + i), 80, 1, PD_TCP_ACK, 0, 10);
		ipip_tcp(i, 1, 2, (uint16_t)(10000 + i), 80, 100, PD_TCP_ACK, 0, 10);
	}
	ipip_tcp(100, 1, 2, 9999, 80, 1, PD_TCP_ACK, 0, 10);
	assert_int_equal(st.flows_dropped, 1);
	assert_int_equal(st.flows_evicted, 0);
}

/* WireGuard sessions: one-message sessions are replaced, a session that
 * carried more is kept; with none to replace, messages are counted. */
static void test_sessions(void **state)
{
	int r;

	(void)state;
	pd_tunstat_init(&st, 0);
	wg(0, 1, 2, 1, 2, 0xaaaa, 0);
	wg(1, 1, 2, 1, 2, 0xaaaa, 1);
	for (uint32_t i = 0; i < 20; i++)
		wg(2 + i, 1, 2, 1, 2, 0x1000 + i, 0);
	r = tunnel_of(1, 2, 1, 2);
	assert_true(r >= 0);
	assert_int_equal(st.tun[r].nsess, PD_TS_MAX_SESSIONS);
	assert_int_equal(st.sess_evicted, 20 - (PD_TS_MAX_SESSIONS - 1));
	assert_int_equal(st.tun[r].sess_overflow, 0);
	assert_int_equal(st.tun[r].sess[0].packets, 2);
	/* give every session a second message: no victim left */
	for (unsigned i = 1; i < PD_TS_MAX_SESSIONS; i++)
		wg(100, 1, 2, 1, 2, st.tun[r].sess[i].idx[1], 1);
	wg(101, 1, 2, 1, 2, 0x5555, 0);
	assert_int_equal(st.tun[r].sess_overflow, 1);
	assert_int_equal(st.sess_evicted, 20 - (PD_TS_MAX_SESSIONS - 1));
}

/* Events: when full, one about a tunnel replaces the oldest about none. */
static void test_events(void **state)
{
	(void)state;
	pd_tunstat_init(&st, 0);
	frame = 0;
	for (unsigned i = 0; i < PD_TS_MAX_EVENTS; i++)
		plain_syn(i, 0x500, (uint16_t)(1000 + i));
	plain_syn(50, 0x500, 999);
	assert_int_equal(st.ev_dropped, 1);
	ipip_tcp(60, 1, 2, 40000, 80, 0, PD_TCP_SYN, 1400, 0);
	assert_int_equal(st.ev_evicted, 1);
	assert_int_equal(st.nev, PD_TS_MAX_EVENTS);
	assert_int_equal(st.ev[0].where.frame, 2);   /* frame 1 went */
	assert_int_equal(st.ev[PD_TS_MAX_EVENTS - 1].tunnel, 0);
}

/* Many evictions with random endpoints in full tables: every tunnel and
 * flow kept is still found (a lookup broken by a deletion would create it
 * again), and the lists stay whole. */
static void test_lookup_after_churn(void **state)
{
	uint64_t x = 12345, created;

	(void)state;
	pd_tunstat_init(&st, 0);   /* PD_TS_MAX_TUNNELS: half the slots used */
	for (unsigned i = 0; i < 20000; i++) {
		x = x * 6364136223846793005ull + 1442695040888963407ull;
		if (x >> 63)
			wg(i, 0x100 + ((uint32_t)(x >> 40) & 0xff), 2, (uint16_t)(x >> 20) % 31, 9,
			   1, 0);
		else
			ipip_tcp(i, 1, 2 + ((uint32_t)(x >> 40) & 0x7), (uint16_t)(x >> 24) & 0xff,
				 80, 1, PD_TCP_ACK, 0, 1);
	}
	assert_true(st.tun_evicted > 0);
	assert_true(st.flows_evicted + st.flows_freed > 0);
	lists_ok();
	created = st.tun_created;
	for (unsigned i = 0; i < st.ntun; i++) {
		const struct pd_ts_tunnel *t = &st.tun[i];
		uint32_t a = (uint32_t)t->addr[0][1] << 16 | (uint32_t)t->addr[0][2] << 8 |
			     t->addr[0][3];
		uint32_t b = (uint32_t)t->addr[1][1] << 16 | (uint32_t)t->addr[1][2] << 8 |
			     t->addr[1][3];

		if (t->kind == PD_TUN_WIREGUARD)
			wg(6000, a, b, t->port[0], t->port[1], 1, 1);
	}
	assert_int_equal(st.tun_created, created);
	created = st.flows_created;
	for (unsigned i = 0; i < st.nflows; i++) {
		const struct pd_ts_flow *f = &st.flow[i];
		const struct pd_ts_tunnel *t = &st.tun[f->tunnel];

		assert_int_equal(t->kind, PD_TUN_IPIP);
		/* endpoint a is 10.0.0.1 in these tunnels */
		ipip_tcp(6001, 1, t->addr[1][3], f->port[0], f->port[1], 2, PD_TCP_ACK, 0, 1);
	}
	assert_int_equal(st.flows_created, created);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_tunnel_unassured_go_first),
		cmocka_unit_test(test_tunnel_assured_refuse_then_idle),
		cmocka_unit_test(test_tunnel_evict_takes_refs),
		cmocka_unit_test(test_flows),
		cmocka_unit_test(test_sessions),
		cmocka_unit_test(test_events),
		cmocka_unit_test(test_lookup_after_churn),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
