/* test_natmap.c - NAT classification from responder observations
 * (pathdiag/natmap.h): each case builds the observations a NAT of a known
 * kind would produce (RFC 4787 sections 4.1 and 6, RFC 6598) and checks the
 * class. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/natmap.h>

static struct pd_peer_addr v4(uint8_t a, uint8_t b, uint8_t c, uint8_t d, uint16_t port)
{
	struct pd_peer_addr x;

	memset(&x, 0, sizeof(x));
	x.family = 4;
	x.addr[0] = a;
	x.addr[1] = b;
	x.addr[2] = c;
	x.addr[3] = d;
	x.port = port;
	return x;
}

/* One observation: HELLO to server, from local, answered with seen. */
static void obs(struct pd_natmap_input *in, struct pd_peer_addr server, struct pd_peer_addr local,
		struct pd_peer_addr seen)
{
	struct pd_natmap_obs *o = &in->obs[in->n++];

	o->server = server;
	o->local = local;
	o->seen = seen;
	o->answered = true;
}

static struct pd_natmap_result classify(const struct pd_natmap_input *in)
{
	struct pd_natmap_result r;

	assert_int_equal(pd_natmap_classify(in, &r, NULL), PD_OK);
	return r;
}

#define SRV(port) v4(203, 0, 113, 10, port)
#define SRV2(port) v4(203, 0, 113, 11, port)
#define LOC v4(192, 168, 1, 2, 40000)

static void test_no_nat(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), v4(10, 0, 1, 2, 5000), v4(10, 0, 1, 2, 5000));
	obs(&in, SRV(20549), v4(10, 0, 1, 2, 5000), v4(10, 0, 1, 2, 5000));
	in.hairpin_tested = true;
	r = classify(&in);
	assert_int_equal(r.present, PD_NATMAP_NO);
	assert_int_equal(r.port_preserved, PD_NATMAP_YES);
	assert_int_equal(r.mapping, PD_MAP_UNKNOWN);
	assert_null(pd_natmap_mapping_name(r.mapping));
	assert_int_equal(r.carrier_grade, PD_NATMAP_NO);
	assert_int_equal(r.hairpin, PD_HAIRPIN_NOT_APPLICABLE);
	assert_int_equal(r.answered, 2);
}

static void test_nothing_answered(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	in.n = 2;
	in.obs[0].server = SRV(20548);
	in.obs[1].server = SRV(20549);
	r = classify(&in);
	assert_int_equal(r.present, PD_NATMAP_UNKNOWN);
	assert_int_equal(r.port_preserved, PD_NATMAP_UNKNOWN);
	assert_int_equal(r.carrier_grade, PD_NATMAP_UNKNOWN);
	assert_int_equal(r.hairpin, PD_HAIRPIN_NOT_TESTED);
	assert_int_equal(r.answered, 0);
}

/* Port-only translation (same address): a NAT too. */
static void test_port_only(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), v4(198, 51, 100, 7, 5000), v4(198, 51, 100, 7, 6000));
	r = classify(&in);
	assert_int_equal(r.present, PD_NATMAP_YES);
	assert_int_equal(r.address_translated, PD_NATMAP_NO);
	assert_int_equal(r.port_preserved, PD_NATMAP_NO);
	assert_int_equal(r.mapping, PD_MAP_UNKNOWN); /* one endpoint says nothing */
}

/* One address, two ports, same mapping: EIM and ADM cannot be told apart. */
static void test_one_addr_same_mapping(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV(20549), LOC, v4(203, 0, 113, 2, 40000));
	r = classify(&in);
	assert_int_equal(r.present, PD_NATMAP_YES);
	assert_int_equal(r.port_preserved, PD_NATMAP_YES);
	assert_int_equal(r.mapping, PD_MAP_EIM_OR_ADM);
	assert_string_equal(pd_natmap_mapping_name(r.mapping),
			    "endpoint-independent-or-address-dependent");
	assert_int_equal(r.addresses, 1);
	assert_int_equal(r.ports, 2);
	assert_int_equal(r.carrier_grade, PD_NATMAP_UNKNOWN);
}

static void test_apdm(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 34304));
	obs(&in, SRV(20549), LOC, v4(203, 0, 113, 2, 50541));
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_APDM);
	assert_true(r.mapping_varies_port);
	assert_int_equal(r.port_preserved, PD_NATMAP_NO);
	/* With a second address too, still APDM. */
	obs(&in, SRV2(20548), LOC, v4(203, 0, 113, 2, 1391));
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_APDM);
}

static void test_eim_two_addresses(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV(20549), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV2(20548), LOC, v4(203, 0, 113, 2, 40000));
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_EIM);
	assert_int_equal(r.addresses, 2);
	assert_string_equal(pd_natmap_mapping_name(r.mapping), "endpoint-independent");
}

/* Same mapping per address, another for the other address (an external
 * address per destination, ports kept): address-dependent. */
static void test_adm(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV(20549), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV2(20548), LOC, v4(203, 0, 113, 3, 40000));
	obs(&in, SRV2(20549), LOC, v4(203, 0, 113, 3, 40000));
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_ADM);
	assert_true(r.seen_differs);
	assert_false(r.mapping_varies_port);
	/* Two addresses, one port each: ADM too (no port evidence needed). */
	in.n = 0;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV2(20548), LOC, v4(203, 0, 113, 2, 40001));
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_ADM);
}

/* Unanswered endpoints are left out, and a repeated endpoint counts once. */
static void test_unanswered_and_duplicates(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	in.obs[in.n].server = SRV(20549);
	in.n++;
	r = classify(&in);
	assert_int_equal(r.mapping, PD_MAP_UNKNOWN);
	assert_int_equal(r.ports, 1);
}

static void test_cgn(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	/* Our own address in the shared space, public seen address. */
	obs(&in, SRV(20548), v4(100, 64, 0, 2, 40000), v4(203, 0, 113, 2, 40000));
	r = classify(&in);
	assert_int_equal(r.carrier_grade, PD_NATMAP_YES);
	assert_true(r.cgn_local_shared);
	assert_int_equal(r.cgn_hop, 0);

	/* Private address, hop 2 in the shared space. */
	memset(&in, 0, sizeof(in));
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	in.n_hops = 3;
	in.hop[0] = v4(192, 168, 1, 1, 0);
	in.hop[1] = v4(100, 64, 0, 1, 0);
	r = classify(&in);
	assert_int_equal(r.carrier_grade, PD_NATMAP_YES);
	assert_int_equal(r.cgn_hop, 2);
	assert_false(r.cgn_local_shared);

	/* The edges of 100.64.0.0/10. */
	in.hop[1] = v4(100, 127, 255, 254, 0);
	assert_int_equal(classify(&in).cgn_hop, 2);
	in.hop[1] = v4(100, 128, 0, 1, 0);
	assert_int_equal(classify(&in).carrier_grade, PD_NATMAP_UNKNOWN);
	in.hop[1] = v4(100, 63, 255, 255, 0);
	assert_int_equal(classify(&in).carrier_grade, PD_NATMAP_UNKNOWN);

	/* The responder saw a shared-space address: our NAT's outside is
	 * the carrier's inside. */
	memset(&in, 0, sizeof(in));
	obs(&in, v4(100, 64, 9, 9, 20548), LOC, v4(100, 64, 0, 2, 40000));
	r = classify(&in);
	assert_int_equal(r.carrier_grade, PD_NATMAP_YES);
	assert_true(r.seen_shared);

	/* No NAT in the shared space itself: not carrier-grade. */
	memset(&in, 0, sizeof(in));
	obs(&in, SRV(20548), v4(100, 64, 0, 2, 40000), v4(100, 64, 0, 2, 40000));
	assert_int_equal(classify(&in).carrier_grade, PD_NATMAP_NO);
}

static void test_hairpin(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;

	(void)state;
	obs(&in, SRV(20548), LOC, v4(203, 0, 113, 2, 40000));
	in.hairpin_tested = true;
	in.hp_local = v4(192, 168, 1, 2, 40001);
	in.hp_mapped = v4(203, 0, 113, 2, 40001);
	in.hp_mapped_known = true;
	r = classify(&in);
	assert_int_equal(r.hairpin, PD_HAIRPIN_NONE);
	assert_string_equal(pd_natmap_hairpin_name(r.hairpin), "none");
	in.hp_arrived = true;
	in.hp_from = v4(203, 0, 113, 2, 40001);
	assert_int_equal(classify(&in).hairpin, PD_HAIRPIN_EXTERNAL);
	in.hp_from = v4(192, 168, 1, 2, 40001);
	assert_int_equal(classify(&in).hairpin, PD_HAIRPIN_INTERNAL);
	in.hp_from = v4(192, 168, 1, 1, 40001);
	assert_int_equal(classify(&in).hairpin, PD_HAIRPIN_OTHER);
	/* Mapping of the second socket unknown: its external source cannot
	 * be recognised. */
	in.hp_mapped_known = false;
	in.hp_from = v4(203, 0, 113, 2, 40001);
	assert_int_equal(classify(&in).hairpin, PD_HAIRPIN_OTHER);
	assert_null(pd_natmap_hairpin_name(PD_HAIRPIN_NOT_TESTED));
}

static void test_invalid(void **state)
{
	struct pd_natmap_input in = { 0 };
	struct pd_natmap_result r;
	struct pd_error err = { 0 };

	(void)state;
	assert_int_equal(pd_natmap_classify(NULL, &r, &err), PD_ERR_INVAL);
	in.n = PD_NATMAP_MAX_OBS + 1;
	assert_int_equal(pd_natmap_classify(&in, &r, &err), PD_ERR_INVAL);
	in.n = 1;
	in.obs[0].answered = true; /* no addresses */
	assert_int_equal(pd_natmap_classify(&in, &r, &err), PD_ERR_INVAL);
}

static void test_addr_classes(void **state)
{
	struct pd_peer_addr a = v4(172, 31, 0, 1, 0);

	(void)state;
	assert_true(pd_natmap_addr_private(&a));
	a = v4(172, 32, 0, 1, 0);
	assert_false(pd_natmap_addr_private(&a));
	a = v4(10, 1, 2, 3, 0);
	assert_true(pd_natmap_addr_private(&a));
	a = v4(192, 168, 0, 1, 0);
	assert_true(pd_natmap_addr_private(&a));
	memset(&a, 0, sizeof(a));
	a.family = 6;
	a.addr[0] = 0xfd;
	assert_true(pd_natmap_addr_private(&a));
	assert_false(pd_natmap_addr_shared(&a));
	a.addr[0] = 0x20;
	assert_false(pd_natmap_addr_private(&a));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_nat),
		cmocka_unit_test(test_nothing_answered),
		cmocka_unit_test(test_port_only),
		cmocka_unit_test(test_one_addr_same_mapping),
		cmocka_unit_test(test_apdm),
		cmocka_unit_test(test_eim_two_addresses),
		cmocka_unit_test(test_adm),
		cmocka_unit_test(test_unanswered_and_duplicates),
		cmocka_unit_test(test_cgn),
		cmocka_unit_test(test_hairpin),
		cmocka_unit_test(test_invalid),
		cmocka_unit_test(test_addr_classes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
