/* test_tunmtu.c - the tunnel MTU verdict, link-to-spec mapping and fix lines
 * (pathdiag/tunmtu.h).
 *
 * Expected values are written out from the header sizes of the specs
 * (IPv4 20, IPv6 40, UDP 8, WireGuard data header 16 + tag 16; RFC 9293
 * MSS = MTU - 40 / - 60) and WireGuard's padding rule (a multiple of 16,
 * capped at the interface MTU), never taken from the code's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/tunmtu.h>

#define WG4 (20 + 8 + 16 + 16)
#define WG6 (40 + 8 + 16 + 16)

static struct pd_tunmtu_verdict check(unsigned conf, unsigned path, unsigned ovh, unsigned pad)
{
	struct pd_tunmtu_in in = { conf, path, ovh, pad };
	struct pd_tunmtu_verdict v;

	assert_int_equal(pd_tunmtu_check(&in, &v, NULL), PD_OK);
	return v;
}

/* The lab case: WireGuard 1420 over a 1454-byte IPv4 path. */
static void test_wg_too_big_v4(void **state)
{
	struct pd_tunmtu_verdict v = check(1420, 1454, WG4, 16);

	(void)state;
	assert_int_equal(v.state, PD_TUNMTU_TOO_BIG);
	assert_int_equal(v.recommended, 1454 - WG4);
	assert_int_equal(v.excess, 1420 - (1454 - WG4));
	/* 1394 is not a multiple of 16: a 1393..1394-byte packet pads to 1408 */
	assert_int_equal(v.largest_inner, 1392);
}

static void test_wg_too_big_v6(void **state)
{
	struct pd_tunmtu_verdict v = check(1420, 1454, WG6, 16);

	(void)state;
	assert_int_equal(v.state, PD_TUNMTU_TOO_BIG);
	assert_int_equal(v.recommended, 1374);
	assert_int_equal(v.largest_inner, 1360); /* 85 * 16 */
}

/* At exactly the recommended MTU the padding cap makes every size fit. */
static void test_wg_exact(void **state)
{
	struct pd_tunmtu_verdict v = check(1394, 1454, WG4, 16);

	(void)state;
	assert_int_equal(v.state, PD_TUNMTU_OK);
	assert_int_equal(v.recommended, 1394);
	assert_int_equal(v.largest_inner, 1394);
	assert_int_equal(v.excess, 0);
	assert_int_equal(v.unused, 0);
}

static void test_below(void **state)
{
	struct pd_tunmtu_verdict v = check(1420, 1500, WG4, 16);

	(void)state;
	assert_int_equal(v.state, PD_TUNMTU_BELOW);
	assert_int_equal(v.recommended, 1440);
	assert_int_equal(v.unused, 20);
	assert_int_equal(v.largest_inner, 1420);
}

/* One byte too big, no padding (ip6tnl with TEL: 40 + 8). */
static void test_no_pad_one_over(void **state)
{
	struct pd_tunmtu_verdict v = check(1453, 1500, 40 + 8, 0);

	(void)state;
	assert_int_equal(v.state, PD_TUNMTU_TOO_BIG);
	assert_int_equal(v.recommended, 1452);
	assert_int_equal(v.excess, 1);
	assert_int_equal(v.largest_inner, 1452);
}

static void test_no_room_and_errors(void **state)
{
	struct pd_tunmtu_in in = { 1420, 60, WG4, 16 };
	struct pd_tunmtu_verdict v;
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(pd_tunmtu_check(&in, &v, NULL), PD_OK);
	assert_int_equal(v.state, PD_TUNMTU_NO_ROOM);
	assert_int_equal(v.recommended, 0);
	in.pad = 12;
	assert_int_equal(pd_tunmtu_check(&in, &v, &err), PD_ERR_INVAL);
	in.pad = 16;
	in.configured = 0;
	assert_int_equal(pd_tunmtu_check(&in, &v, &err), PD_ERR_INVAL);
	in.configured = 1420;
	in.path_mtu = 70000;
	assert_int_equal(pd_tunmtu_check(&in, &v, &err), PD_ERR_INVAL);
	assert_int_equal(pd_tunmtu_check(NULL, &v, &err), PD_ERR_INVAL);
}

static void spec_is(const struct pd_nl_link *l, const char *want)
{
	char buf[64];

	assert_int_equal(pd_tunmtu_link_spec(l, buf, sizeof(buf), NULL), PD_OK);
	assert_string_equal(buf, want);
}

static void test_link_spec(void **state)
{
	struct pd_nl_link l;
	char small[8];

	(void)state;
	memset(&l, 0, sizeof(l));
	l.kind_id = PD_NLK_IP6TNL;
	l.has = PD_NLL_INFO_DATA;
	l.iptun.adds_tel = true;
	spec_is(&l, "ip6tnl");
	assert_int_equal(pd_tunmtu_link_family(&l), 6);
	l.iptun.adds_tel = false; /* encaplimit none */
	spec_is(&l, "ip6tnl:notel");
	l.iptun.encap_type = 1; /* FOU */
	spec_is(&l, "ip6tnl:notel,fou");

	memset(&l, 0, sizeof(l));
	l.kind_id = PD_NLK_GRE;
	l.gre.oflags = PD_NL_GRE_KEY | PD_NL_GRE_CSUM;
	spec_is(&l, "gre:key,csum");
	assert_int_equal(pd_tunmtu_link_family(&l), 4);
	assert_int_equal(pd_tunmtu_link_spec(&l, small, sizeof(small), NULL), PD_ERR_NOSPACE);

	memset(&l, 0, sizeof(l));
	l.kind_id = PD_NLK_IPIP;
	l.iptun.encap_type = 2; /* GUE */
	spec_is(&l, "ipip:gue");
	l.kind_id = PD_NLK_VXLAN;
	l.vxlan.remote.family = 6;
	spec_is(&l, "vxlan");
	assert_int_equal(pd_tunmtu_link_family(&l), 6);

	l.kind_id = PD_NLK_VETH;
	assert_int_equal(pd_tunmtu_link_spec(&l, small, sizeof(small), NULL), PD_ERR_NOTFOUND);
	l.kind_id = PD_NLK_WIREGUARD; /* per peer, not from the link */
	assert_int_equal(pd_tunmtu_link_spec(&l, small, sizeof(small), NULL), PD_ERR_NOTFOUND);
}

static void fix_is(enum pd_tunmtu_fix f, const char *ifn, unsigned mtu, const char *want)
{
	char buf[256];

	assert_int_equal(pd_tunmtu_fix(f, ifn, mtu, buf, sizeof(buf), NULL), PD_OK);
	assert_string_equal(buf, want);
}

static void test_fix(void **state)
{
	char buf[16];

	(void)state;
	fix_is(PD_TUNFIX_WG_QUICK, "wg0", 1394, "MTU = 1394");
	fix_is(PD_TUNFIX_IPROUTE2, "wg0", 1394, "ip link set dev wg0 mtu 1394");
	/* MSS: 1394 - 40 = 1354 (IPv4), 1394 - 60 = 1334 (IPv6) */
	fix_is(PD_TUNFIX_NFT4, "wg0", 1394,
	       "nft 'add rule inet filter forward oifname \"wg0\" meta nfproto ipv4 tcp flags & "
	       "(syn|rst) == syn tcp option maxseg size set 1354'");
	fix_is(PD_TUNFIX_NFT6, "wg0", 1394,
	       "nft 'add rule inet filter forward oifname \"wg0\" meta nfproto ipv6 tcp flags & "
	       "(syn|rst) == syn tcp option maxseg size set 1334'");
	fix_is(PD_TUNFIX_IPT4, "wg0", 1394,
	       "iptables -t mangle -A FORWARD -o wg0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS "
	       "--set-mss 1354");
	fix_is(PD_TUNFIX_IPT6, "wg0", 1394,
	       "ip6tables -t mangle -A FORWARD -o wg0 -p tcp --tcp-flags SYN,RST SYN -j TCPMSS "
	       "--set-mss 1334");
	assert_int_equal(pd_tunmtu_fix(PD_TUNFIX_IPROUTE2, "wg0;rm", 1394, buf, sizeof(buf), NULL),
			 PD_ERR_INVAL);
	assert_int_equal(pd_tunmtu_fix(PD_TUNFIX_IPROUTE2, "-wg0", 1394, buf, sizeof(buf), NULL),
			 PD_ERR_INVAL);
	assert_int_equal(pd_tunmtu_fix(PD_TUNFIX_NFT4, "wg0", 1394, buf, sizeof(buf), NULL),
			 PD_ERR_NOSPACE);
	assert_int_equal(pd_tunmtu_fix(PD_TUNFIX_IPT6, "wg0", 60, buf, sizeof(buf), NULL),
			 PD_ERR_INVAL);
	assert_string_equal(pd_tunmtu_fix_name(PD_TUNFIX_IPT6), "ip6tables");
	assert_string_equal(pd_tunmtu_state_name(PD_TUNMTU_TOO_BIG), "too-big");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_wg_too_big_v4),
		cmocka_unit_test(test_wg_too_big_v6),
		cmocka_unit_test(test_wg_exact),
		cmocka_unit_test(test_below),
		cmocka_unit_test(test_no_pad_one_over),
		cmocka_unit_test(test_no_room_and_errors),
		cmocka_unit_test(test_link_spec),
		cmocka_unit_test(test_fix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
