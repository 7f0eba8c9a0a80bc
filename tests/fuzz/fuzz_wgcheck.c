/* fuzz_wgcheck.c - libFuzzer target for the offline checks of wg-quick
 * configurations (lib/src/wgcheck.c, lib/src/wgcmd.c) over two parsed
 * files at once, the way `mtuprobe check A.conf B.conf` runs them: each
 * file checked with the other as context (the peer a DNAT points at, the
 * side whose AllowedIPs send everything here), under any declared underlay.
 *
 * Input: a selector byte, the length of the first file (2 bytes, big
 * endian; cut to what is there), the first file, the second (the rest).
 * Selector:
 *   bits 0-1  IPv4 path MTU: undeclared, 1500, 1280, 576
 *   bits 2-3  IPv6 path MTU: undeclared, 1500, 1280, 1300
 *   bit 4     IPv4 declared unavailable      bit 5  IPv6 unavailable
 *   bit 6     DS-Lite (IPv4 through a NAT)   bit 7  check the files alone
 *             too (n = 1 each)
 *
 * Checks: pd_wgk_check succeeds for each file; every finding names a known
 * rule, one of the files (file < n) and a line of it (at most one past its
 * last), has NUL-terminated texts, a fix kind only with a fix, a severity
 * no worse than the report's worst; the report's count within its array;
 * no recommended MTU without a declared path MTU; mtu_configured exactly
 * when the file sets an MTU; and the same findings a second time.
 */
#include <pathdiag/wgcheck.h>
#include <pathdiag/wgconf.h>

#include "fuzz_common.h"

static struct pd_wgc_config cfg[2];
static struct pd_wgk_report rep, rep2;

static void check_report(const struct pd_wgk_report *r, size_t n, size_t which,
			 const struct pd_wgk_underlay *u)
{
	FZ_CHECK(r->n <= PD_WGK_MAX_FINDINGS);
	for (size_t i = 0; i < r->n; i++) {
		const struct pd_wgk_finding *f = &r->f[i];

		FZ_CHECK(pd_wgk_rule_index(f->rule) >= 0);
		FZ_CHECK(f->file < n);
		FZ_CHECK(f->line <= cfg[n == 1 ? which : f->file].lines + 1);
		FZ_CHECK(memchr(f->what, '\0', sizeof(f->what)) != NULL);
		FZ_CHECK(memchr(f->why, '\0', sizeof(f->why)) != NULL);
		FZ_CHECK(memchr(f->fix, '\0', sizeof(f->fix)) != NULL);
		FZ_CHECK(f->fix_kind == PD_WGK_FIX_NONE || f->fix[0]);
		FZ_CHECK(pd_severity_worse(r->worst, f->severity) == r->worst);
	}
	if (!u->path_mtu[0] && !u->path_mtu[1])
		FZ_CHECK(r->recommended_mtu == 0);
	FZ_STRICT(r->mtu_configured == (cfg[which].mtu.line != 0));
}

static void same_report(const struct pd_wgk_report *a, const struct pd_wgk_report *b)
{
	FZ_CHECK(a->n == b->n && a->dropped == b->dropped && a->worst == b->worst);
	FZ_CHECK(a->recommended_mtu == b->recommended_mtu && a->effective_mtu == b->effective_mtu);
	for (size_t i = 0; i < a->n; i++) {
		FZ_CHECK(!strcmp(a->f[i].rule, b->f[i].rule) && a->f[i].line == b->f[i].line);
		FZ_CHECK(!strcmp(a->f[i].what, b->f[i].what) && !strcmp(a->f[i].fix, b->f[i].fix));
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const unsigned mtu4[] = { 0, 1500, 1280, 576 }, mtu6[] = { 0, 1500, 1280, 1300 };
	struct pd_wgk_underlay u = { { 0, 0 }, { false, false }, { "fuzz", "fuzz" }, false };
	struct pd_wgk_input in[2] = { { &cfg[0], "wg0", "a.conf" }, { &cfg[1], "wg1", "b.conf" } };
	struct pd_error err;
	uint8_t *f[2];
	size_t len[2];
	int rc;

	if (size < 3)
		return 0;
	u.path_mtu[0] = mtu4[data[0] & 3];
	u.path_mtu[1] = mtu6[(data[0] >> 2) & 3];
	u.unavailable[0] = data[0] & 0x10;
	u.unavailable[1] = data[0] & 0x20;
	u.nat4 = data[0] & 0x40;
	len[0] = fz_min(fz_be16(data + 1), size - 3);
	len[1] = size - 3 - len[0];
	f[0] = fz_dup(data + 3, len[0]);
	f[1] = fz_dup(data + 3 + len[0], len[1]);
	for (int i = 0; i < 2; i++) {
		fz_err_poison(&err);
		rc = pd_wgc_parse(f[i] ? (const char *)f[i] : "", len[i], &cfg[i], &err);
		FZ_CHECK(rc == PD_OK || rc == PD_ERR_MALFORMED);
		if (rc < 0)
			fz_check_err(rc, &err, len[i]);
	}
	for (size_t which = 0; which < 2; which++) {
		fz_err_poison(&err);
		FZ_CHECK(pd_wgk_check(in, 2, which, &u, &rep, &err) == PD_OK);
		check_report(&rep, 2, which, &u);
		FZ_CHECK(pd_wgk_check(in, 2, which, &u, &rep2, NULL) == PD_OK);
		same_report(&rep, &rep2);
		if (data[0] & 0x80) {
			FZ_CHECK(pd_wgk_check(&in[which], 1, 0, &u, &rep, &err) == PD_OK);
			check_report(&rep, 1, which, &u);
		}
	}
	/* which out of range is an argument error, not a crash */
	fz_err_poison(&err);
	FZ_CHECK(pd_wgk_check(in, 2, 2, &u, &rep, &err) == PD_ERR_INVAL);
	free(f[0]);
	free(f[1]);
	return 0;
}
