/* test_ct_view.c - the bounded view of live conntrack entries that
 * `nattrace watch` resynchronises with after an overrun
 * (tools/nattrace/ct_view.c, compiled in here: tools are not in the
 * library).  Entries are built here; every expectation follows from what
 * was put in: events add/refresh/forget, a resync diff finds exactly the
 * entries added, changed, replaced (same tuple, new id) and gone, the cap
 * holds and counts what did not fit, and growth of the slot array with
 * long chains keeps every entry (run under ASan by `make SAN=1 unit`).
 */
#include "decoder_test.h"

#include <stdio.h>
#include <string.h>

#include <netinet/in.h>

#include "../../tools/nattrace/ct_view.c"

/* Entry i: UDP 10.0.(i>>8).(i&255):sport -> 198.18.0.1:80, id, mark. */
static struct pd_ct_entry ent(unsigned i, uint16_t sport, uint32_t id, uint8_t event)
{
	struct pd_ct_entry e;

	memset(&e, 0, sizeof(e));
	e.family = 4;
	e.l4proto = IPPROTO_UDP;
	e.event = event;
	e.orig.src.family = e.orig.dst.family = 4;
	e.orig.src.addr[0] = 10;
	e.orig.src.addr[2] = (uint8_t)(i >> 8);
	e.orig.src.addr[3] = (uint8_t)i;
	memcpy(e.orig.dst.addr, "\xc6\x12\x00\x01", 4);
	e.orig.l4proto = IPPROTO_UDP;
	e.orig.sport = sport;
	e.orig.dport = 80;
	e.orig.has = PD_CT_T_PORTS | PD_CT_T_PROTO;
	e.status = PD_CT_S_SEEN_REPLY | PD_CT_S_CONFIRMED;
	e.id = id;
	e.has = PD_CT_HAS_ID | PD_CT_HAS_STATUS;
	return e;
}

struct gone {
	unsigned n;
	uint16_t sport[8];
};

static int on_gone(const struct pd_ct_entry *e, void *ctx)
{
	struct gone *g = ctx;

	if (g->n < 8)
		g->sport[g->n] = e->orig.sport;
	g->n++;
	return 0;
}

static void test_events_and_resync_diff(void **state)
{
	struct pd_ct_entry e, old;
	struct nt_view v;
	struct gone g = { 0 };

	(void)state;
	assert_int_equal(nt_view_init(&v, 100), 0);
	for (unsigned i = 0; i < 6; i++) {
		e = ent(i, (uint16_t)(1000 + i), 500 + i, PD_CT_EV_NEW);
		nt_view_event(&v, &e);
	}
	assert_int_equal(v.count, 6);
	/* A repeated NEW/UPDATE refreshes, a DESTROY forgets. */
	e = ent(0, 1000, 500, PD_CT_EV_UPDATE);
	nt_view_event(&v, &e);
	e = ent(5, 1005, 505, PD_CT_EV_DESTROY);
	nt_view_event(&v, &e);
	assert_int_equal(v.count, 5);
	/* An event that left the filter: forgotten. */
	e = ent(4, 1004, 504, PD_CT_EV_UPDATE);
	nt_view_forget(&v, &e);
	assert_int_equal(v.count, 4);

	/* The dump after the loss: 0 same, 1 mark changed, 2 gone, 3 reused
	 * by another connection (id 900), 7 new. */
	nt_view_begin(&v);
	e = ent(0, 1000, 500, PD_CT_EV_NONE);
	assert_int_equal(nt_view_seen(&v, &e, &old), NT_VIEW_SAME);
	e = ent(1, 1001, 501, PD_CT_EV_NONE);
	e.mark = 7;
	e.has |= PD_CT_HAS_MARK;
	assert_int_equal(nt_view_seen(&v, &e, &old), NT_VIEW_CHANGED);
	e = ent(3, 1003, 900, PD_CT_EV_NONE);
	memset(&old, 0, sizeof(old));
	assert_int_equal(nt_view_seen(&v, &e, &old), NT_VIEW_REPLACED);
	assert_int_equal(old.id, 503);
	assert_int_equal(old.orig.sport, 1003);
	e = ent(7, 1007, 507, PD_CT_EV_NONE);
	assert_int_equal(nt_view_seen(&v, &e, &old), NT_VIEW_NEW);
	assert_int_equal(nt_view_sweep(&v, on_gone, &g), 0);
	assert_int_equal(g.n, 1);
	assert_int_equal(g.sport[0], 1002);
	assert_int_equal(v.count, 4);
	/* A second resync with the same table finds nothing. */
	nt_view_begin(&v);
	for (unsigned i = 0; i < 8; i++) {
		if (i == 2 || i == 4 || i == 5 || i == 6)
			continue;
		e = ent(i, (uint16_t)(1000 + i), i == 3 ? 900 : 500 + i, PD_CT_EV_NONE);
		if (i == 1) {
			e.mark = 7;
			e.has |= PD_CT_HAS_MARK;
		}
		assert_int_equal(nt_view_seen(&v, &e, NULL), NT_VIEW_SAME);
	}
	g.n = 0;
	assert_int_equal(nt_view_sweep(&v, on_gone, &g), 0);
	assert_int_equal(g.n, 0);
	assert_int_equal(v.untracked, 0);
	nt_view_free(&v);
}

/* Zones and ports tell entries apart; a zero mark equals an absent one. */
static void test_key_and_mark(void **state)
{
	struct pd_ct_entry a = ent(1, 1, 1, PD_CT_EV_NEW), b;
	struct nt_view v;

	(void)state;
	assert_int_equal(nt_view_init(&v, 10), 0);
	nt_view_event(&v, &a);
	b = a;
	b.zone = 5;
	b.has |= PD_CT_HAS_ZONE;
	nt_view_event(&v, &b);
	b = a;
	b.orig.dport = 81;
	nt_view_event(&v, &b);
	assert_int_equal(v.count, 3);
	nt_view_begin(&v);
	b = a;
	b.has |= PD_CT_HAS_MARK; /* mark 0 present in the dump, absent in the event */
	assert_int_equal(nt_view_seen(&v, &b, NULL), NT_VIEW_SAME);
	nt_view_free(&v);
}

/* The cap: entries beyond it are counted, never kept; freed slots are
 * reused. */
static void test_cap(void **state)
{
	struct pd_ct_entry e;
	struct nt_view v;

	(void)state;
	assert_int_equal(nt_view_init(&v, 3), 0);
	for (unsigned i = 0; i < 5; i++) {
		e = ent(i, 7, i, PD_CT_EV_NEW);
		nt_view_event(&v, &e);
	}
	assert_int_equal(v.count, 3);
	assert_int_equal(v.untracked, 2);
	nt_view_begin(&v);
	e = ent(9, 7, 9, PD_CT_EV_NONE);
	assert_int_equal(nt_view_seen(&v, &e, NULL), NT_VIEW_NO_ROOM);
	e = ent(0, 7, 0, PD_CT_EV_DESTROY);
	nt_view_event(&v, &e);
	e = ent(9, 7, 9, PD_CT_EV_NONE);
	assert_int_equal(nt_view_seen(&v, &e, NULL), NT_VIEW_NEW);
	assert_int_equal(v.count, 3);
	assert_int_equal(v.peak, 3);
	assert_int_equal(v.used, 3);
	nt_view_free(&v);
	/* No view at all: everything is NO_ROOM. */
	assert_int_equal(nt_view_init(&v, 0), 0);
	assert_int_equal(nt_view_seen(&v, &e, NULL), NT_VIEW_NO_ROOM);
	nt_view_event(&v, &e);
	assert_int_equal(v.count, 0);
	nt_view_free(&v);
}

/* 20000 entries, 1024 buckets' worth of chains while the slot array grows
 * by realloc; then every other one gone. */
static void test_growth(void **state)
{
	struct pd_ct_entry e;
	struct nt_view v;
	struct gone g = { 0 };

	(void)state;
	assert_int_equal(nt_view_init(&v, 20000), 0);
	for (unsigned i = 0; i < 20000; i++) {
		e = ent(i, (uint16_t)(i % 3), i, PD_CT_EV_NEW);
		nt_view_event(&v, &e);
	}
	assert_int_equal(v.count, 20000);
	assert_int_equal(v.untracked, 0);
	nt_view_begin(&v);
	for (unsigned i = 0; i < 20000; i += 2) {
		e = ent(i, (uint16_t)(i % 3), i, PD_CT_EV_NONE);
		assert_int_equal(nt_view_seen(&v, &e, NULL), NT_VIEW_SAME);
	}
	assert_int_equal(nt_view_sweep(&v, on_gone, &g), 0);
	assert_int_equal(g.n, 10000);
	assert_int_equal(v.count, 10000);
	nt_view_free(&v);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_events_and_resync_diff),
		cmocka_unit_test(test_key_and_mark),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_growth),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
