/* fuzz_ct.c - libFuzzer target for the ctnetlink conntrack parser
 * (pd_ct_parse) and what works on its result: pd_ct_nat, pd_ct_format,
 * pd_ct_filter_match, pd_ct_status_str.
 *
 * Input: one netlink message as the kernel sends it (host byte order),
 * copied into an exactly sized heap block (malloc'd, so 4-byte aligned as
 * the parser requires).
 *
 * Checks: same result with and without a struct pd_error, and the same
 * entry (fields and text) whatever garbage the output held before; the error convention;
 * after a success: family 4 or 6 and every address of that family,
 * l4proto equal to the original tuple's, a known event; pd_ct_format
 * reports the same length for any buffer size, never writes past it and
 * NUL-terminates; a filter built from the entry's own exact tuple, mark,
 * zone, status and NAT matches it.  Strict: the message type's subsystem
 * is ctnetlink (independent read of the header).
 */
#include <pathdiag/conntrack.h>

#include "fuzz_common.h"

static void check_tuple(const struct pd_ct_tuple *t, int family)
{
	FZ_CHECK(t->src.family == family);
	FZ_CHECK(t->dst.family == family);
	FZ_CHECK(t->has & PD_CT_T_PROTO);
}

static void check_format(const struct pd_ct_entry *e)
{
	char big[1024], small[33];
	size_t n1, n2, n3;

	memset(small, 'x', sizeof(small));
	n1 = pd_ct_format(e, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, big, sizeof(big));
	n2 = pd_ct_format(e, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, small, sizeof(small) - 1);
	n3 = pd_ct_format(e, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, NULL, 0);
	FZ_CHECK(n1 == n2 && n2 == n3);
	FZ_CHECK(n1 < sizeof(big));
	FZ_CHECK(strlen(big) == n1);
	FZ_CHECK(small[sizeof(small) - 1] == 'x');
	FZ_CHECK(strlen(small) == fz_min(n1, sizeof(small) - 2));
	FZ_CHECK(memcmp(small, big, strlen(small)) == 0);
}

static void check_self_match(const struct pd_ct_entry *e)
{
	struct pd_ct_filter f;
	unsigned nat = pd_ct_nat(e, NULL);

	FZ_CHECK(nat <= (PD_CT_SNAT | PD_CT_DNAT));
	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_FAMILY | PD_CTF_PROTO | PD_CTF_ORIG_SRC | PD_CTF_ORIG_DST |
		PD_CTF_MARK | PD_CTF_ZONE | PD_CTF_STATUS | PD_CTF_ADDR;
	f.family = e->family;
	f.l4proto = e->l4proto;
	f.orig_src.addr = e->orig.src;
	f.orig_src.len = e->family == 4 ? 32 : 128;
	f.orig_dst.addr = e->orig.dst;
	f.orig_dst.len = (uint8_t)(e->orig.dst.addr[0] % (f.orig_src.len + 1));
	f.addr = f.orig_src;
	f.mark_value = e->mark & 0xff00ff00u;
	f.mark_mask = 0xff00ff00u;
	f.zone = e->zone;
	f.status_value = e->status & PD_CT_S_SEEN_REPLY;
	f.status_mask = PD_CT_S_SEEN_REPLY;
	if (e->orig.has & PD_CT_T_PORTS) {
		f.has |= PD_CTF_ORIG_SPORT | PD_CTF_ORIG_DPORT | PD_CTF_PORT;
		f.orig_sport = e->orig.sport;
		f.orig_dport = e->orig.dport;
		f.port = e->orig.dport;
	}
	if (nat) {
		f.has |= PD_CTF_NAT;
		f.nat = nat;
	}
	FZ_CHECK(pd_ct_filter_match(&f, e));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fz_dup(data, size);
	struct pd_ct_entry a, b;
	struct pd_error err;
	char st[256];
	int ra, rb;

	memset(&a, 0xa5, sizeof(a));
	memset(&b, 0x5a, sizeof(b));
	fz_err_poison(&err);
	ra = pd_ct_parse(buf, size, &a, &err);
	rb = pd_ct_parse(buf, size, &b, NULL);
	FZ_CHECK(ra == rb);
	if (ra < 0) {
		fz_check_err(ra, &err, size);
		free(buf);
		return 0;
	}
	FZ_CHECK(ra == PD_OK);
	FZ_CHECK(a.has == b.has && a.status == b.status && a.mark == b.mark &&
		 a.event == b.event && a.zone == b.zone);
	{
		char ta[1024], tb[1024];

		pd_ct_format(&a, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, ta, sizeof(ta));
		pd_ct_format(&b, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, tb, sizeof(tb));
		FZ_CHECK(strcmp(ta, tb) == 0);
	}
	FZ_CHECK(a.family == 4 || a.family == 6);
	check_tuple(&a.orig, a.family);
	if (a.has & PD_CT_HAS_REPLY)
		check_tuple(&a.reply, a.family);
	FZ_CHECK(a.l4proto == a.orig.l4proto);
	FZ_CHECK(a.event <= PD_CT_EV_DESTROY);
	FZ_STRICT(size >= 16 && fz_le32(buf + 4) % 65536 / 256 == 1);
	check_format(&a);
	check_self_match(&a);
	pd_ct_status_str(a.status, st, sizeof(st));
	FZ_CHECK(strlen(st) < sizeof(st));
	free(buf);
	return 0;
}
