/* fuzz_nlparse.c - libFuzzer target for the netlink reply parsers:
 * pd_nl_link_parse (RTM_NEWLINK), pd_nl_route_parse (RTM_NEWROUTE) and
 * pd_wg_nl_parse (WG_CMD_GET_DEVICE dump).
 *
 * Input: a selector byte, then netlink messages (host byte order).
 *   bits 0-1: 0 link, 1 route, 2 or 3 WireGuard dump;
 *   for the WireGuard dump, bits 2-3 give the peer storage (0..3 peers),
 *   bits 4-6 the allowed-IP storage (0..7), bit 7 the family id to insist
 *   on (0: any, 1: 0x1d).
 * The messages are copied into an exactly sized heap block (malloc'd, so
 * 4-byte aligned as the parsers require).
 *
 * Checks: same result with and without a struct pd_error; the error
 * convention (a code the parser may return, offset <= len, a printable
 * `what`); strings NUL-terminated inside their arrays; addresses of family
 * 0, 4 or 6; kind-specific data only for the kind; for the WireGuard dump,
 * a counting pass (no storage) agreeing with the storing pass, every stored
 * peer's allowed-IP slice inside the storage and the slices adding up.
 * Strict: the top-level IFLA_MTU / IFLA_IFNAME / ifindex, RTA_OIF and
 * RTA_TABLE equal what an independent walk of the first message finds.
 */
#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>
#include <pathdiag/nl_route.h>
#include <pathdiag/wgdev.h>

#include "fuzz_common.h"

/* Independent little-endian loaders (netlink is host order; the fuzz hosts
 * are little-endian x86/arm). */
static uint16_t h16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, 2);
	return v;
}

static uint32_t h32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

static void check_err(int ret, const struct pd_error *err, size_t len)
{
	FZ_CHECK(ret < 0);
	FZ_CHECK(ret == PD_ERR_TRUNCATED || ret == PD_ERR_MALFORMED ||
		 ret == PD_ERR_UNSUPPORTED || ret == PD_ERR_NOTFOUND || ret == PD_ERR_PERM ||
		 ret == PD_ERR_SYSTEM || ret == PD_ERR_NOSPACE);
	FZ_CHECK(err->code == ret);
	FZ_CHECK(err->offset <= len);
	fz_check_what(err->what);
}

static void check_addr(const struct pd_nl_addr *a)
{
	FZ_CHECK(a->family == 0 || a->family == 4 || a->family == 6);
}

static void check_str(const char *s, size_t size)
{
	FZ_CHECK(strnlen(s, size) < size);
}

/* The first message of type want: its offset, or -1.  Messages of other
 * types before it (acks, noops) are walked over as the parsers do. */
static long first_msg(const uint8_t *b, size_t n, uint16_t want)
{
	size_t off = 0;

	while (n - off >= 16) {
		uint32_t ml = h32(b + off);

		if (ml < 16 || ml > n - off)
			return -1;
		if (h16(b + off + 4) == want)
			return (long)off;
		off += (ml + 3) & ~3u;
		if (off > n)
			return -1;
	}
	return -1;
}

/* The last top-level attribute of a type in a message, payload offset or -1. */
static long last_attr(const uint8_t *b, size_t msg, size_t hdr, uint16_t type, size_t *plen)
{
	size_t ml = h32(b + msg), off = msg + 16 + ((hdr + 3) & ~3u);
	long found = -1;

	while (off + 4 <= msg + ml) {
		size_t al = h16(b + off);

		if (al < 4 || al > msg + ml - off)
			break;
		if ((h16(b + off + 2) & 0x3fff) == type) {
			found = (long)off + 4;
			*plen = al - 4;
		}
		off += (al + 3) & ~3u;
	}
	return found;
}

static void fuzz_link(const uint8_t *b, size_t n)
{
	struct pd_nl_link l, l2;
	struct pd_error err;
	int ret, ret2;

	memset(&l2, 0xa5, sizeof(l2));
	fz_err_poison(&err);
	ret = pd_nl_link_parse(b, n, &l, &err);
	ret2 = pd_nl_link_parse(b, n, &l2, NULL);
	FZ_CHECK(ret == ret2);
	if (ret < 0) {
		check_err(ret, &err, n);
		FZ_CHECK(ret != PD_ERR_NOSPACE);
		return;
	}
	FZ_CHECK(l.ifindex == l2.ifindex && l.mtu == l2.mtu && l.has == l2.has);
	check_str(l.name, sizeof(l.name));
	check_str(l.kind, sizeof(l.kind));
	FZ_CHECK(strcmp(l.name, l2.name) == 0 && strcmp(l.kind, l2.kind) == 0);
	FZ_CHECK(l.kind_id == pd_nl_kind_from_string(l.kind));
	FZ_CHECK(l.hwaddr_len <= PD_NL_HWADDR_MAX);
	check_addr(&l.iptun.local);
	check_addr(&l.iptun.remote);
	check_addr(&l.gre.local);
	check_addr(&l.vxlan.remote);
	check_addr(&l.vxlan.local);
	if (l.kind_id != PD_NLK_IP6TNL && l.kind_id != PD_NLK_IPIP && l.kind_id != PD_NLK_SIT)
		FZ_CHECK(l.iptun.has == 0);
	if (l.kind_id != PD_NLK_VXLAN)
		FZ_CHECK(l.vxlan.has == 0);
	else
		FZ_CHECK(l.vxlan.vni <= 0xffffff);
	if (l.kind_id == PD_NLK_IP6TNL) {
		FZ_CHECK(!(l.iptun.has & PD_NLT_LOCAL) || l.iptun.local.family == 6);
		/* Known only when the kernel sent IFLA_INFO_DATA. */
		if (l.has & PD_NLL_INFO_DATA)
			FZ_CHECK(l.iptun.adds_tel ==
				 !(l.iptun.flags & PD_NL_IP6TNL_F_IGN_ENCAP_LIMIT));
		else
			FZ_CHECK(!l.iptun.adds_tel);
	}
	if (l.kind_id == PD_NLK_IPIP || l.kind_id == PD_NLK_SIT)
		FZ_CHECK(!(l.iptun.has & PD_NLT_REMOTE) || l.iptun.remote.family == 4);

	/* Oracle: the first RTM_NEWLINK (16) as walked here. */
	{
		long m = first_msg(b, n, 16);
		size_t pl = 0;
		long a;

		FZ_STRICT(m >= 0);
		if (m < 0)
			return;
		FZ_STRICT(l.ifindex == (int)h32(b + m + 16 + 4));
		a = last_attr(b, (size_t)m, 16, 4 /* IFLA_MTU */, &pl);
		FZ_STRICT((a >= 0) == !!(l.has & PD_NLL_MTU));
		if (a >= 0)
			FZ_STRICT(pl == 4 && l.mtu == h32(b + a));
		a = last_attr(b, (size_t)m, 16, 3 /* IFLA_IFNAME */, &pl);
		if (a >= 0)
			FZ_STRICT(strlen(l.name) == strnlen((const char *)b + a, pl));
		else
			FZ_STRICT(l.name[0] == '\0');
	}
}

static void fuzz_route(const uint8_t *b, size_t n)
{
	struct pd_nl_route r, r2;
	struct pd_error err;
	int ret, ret2;

	memset(&r2, 0xa5, sizeof(r2));
	fz_err_poison(&err);
	ret = pd_nl_route_parse(b, n, &r, &err);
	ret2 = pd_nl_route_parse(b, n, &r2, NULL);
	FZ_CHECK(ret == ret2);
	if (ret < 0) {
		check_err(ret, &err, n);
		FZ_CHECK(ret != PD_ERR_NOSPACE);
		return;
	}
	FZ_CHECK(r.has == r2.has && r.mtu == r2.mtu && r.oif == r2.oif &&
		 r.table == r2.table && r.pmtu_exception == r2.pmtu_exception);
	FZ_CHECK(r.family == 4 || r.family == 6);
	FZ_CHECK(r.dst_len <= (r.family == 4 ? 32 : 128));
	check_addr(&r.dst);
	check_addr(&r.gateway);
	check_addr(&r.prefsrc);
	if (r.has & PD_NLR_DST)
		FZ_CHECK(r.dst.family == r.family);
	FZ_CHECK(!r.pmtu_exception || (r.has & PD_NLR_MTU));
	FZ_CHECK(r.cloned == !!(r.rtm_flags & PD_NL_RTM_F_CLONED));
	if (r.expires_clk <= 0)
		FZ_CHECK(r.expires_ms == 0);

	{
		long m = first_msg(b, n, 24 /* RTM_NEWROUTE */);
		size_t pl = 0;
		long a;

		FZ_STRICT(m >= 0);
		if (m < 0)
			return;
		a = last_attr(b, (size_t)m, 12, 4 /* RTA_OIF */, &pl);
		FZ_STRICT((a >= 0) == !!(r.has & PD_NLR_OIF));
		if (a >= 0)
			FZ_STRICT(r.oif == (int)h32(b + a));
		a = last_attr(b, (size_t)m, 12, 15 /* RTA_TABLE */, &pl);
		FZ_STRICT(r.table == (a >= 0 ? h32(b + a) : b[m + 16 + 4]));
	}
}

static void check_wg(const struct pd_wg_device *d)
{
	size_t i, np = d->n_peers < d->cap_peers ? d->n_peers : d->cap_peers, sum = 0;

	check_str(d->name, sizeof(d->name));
	for (i = 0; i < np; i++) {
		const struct pd_wg_peer *p = &d->peers[i];
		size_t j;

		if (p->has & PD_WGP_ENDPOINT)
			FZ_CHECK(p->endpoint.family == 4 || p->endpoint.family == 6);
		FZ_CHECK(p->handshake_nsec >= 0 && p->handshake_nsec < 1000000000);
		if (p->allowed) {
			FZ_CHECK(p->allowed >= d->allowed);
			FZ_CHECK((size_t)(p->allowed - d->allowed) == sum);
			FZ_CHECK(sum + p->n_allowed <= d->cap_allowed);
			for (j = 0; j < p->n_allowed; j++) {
				const struct pd_wg_allowedip *a = &p->allowed[j];

				FZ_CHECK(a->family == 4 || a->family == 6);
				FZ_CHECK(a->cidr <= (a->family == 4 ? 32 : 128));
			}
		} else {
			FZ_CHECK(p->n_allowed == 0 || sum + p->n_allowed > d->cap_allowed);
		}
		sum += p->n_allowed;
	}
	FZ_CHECK(sum <= d->n_allowed);
	if (d->n_peers <= d->cap_peers)
		FZ_CHECK(sum == d->n_allowed);
}

static void fuzz_wg(uint8_t sel, const uint8_t *b, size_t n)
{
	struct pd_wg_peer peers[3];
	struct pd_wg_allowedip ips[7];
	struct pd_wg_device d, c;
	struct pd_error err;
	uint16_t family = (sel & 0x80) ? 0x1d : 0;
	int ret, ret2, retc;

	memset(&d, 0, sizeof(d));
	memset(peers, 0xa5, sizeof(peers));
	d.peers = peers;
	d.cap_peers = (size_t)(sel >> 2 & 3);
	d.allowed = ips;
	d.cap_allowed = (size_t)(sel >> 4 & 7);
	fz_err_poison(&err);
	ret = pd_wg_nl_parse(b, n, family, &d, &err);
	FZ_CHECK(d.peers == peers && d.allowed == ips); /* storage kept */
	if (ret < 0)
		check_err(ret, &err, n);
	if (ret == 0 || ret == PD_ERR_NOSPACE) {
		check_wg(&d);
		FZ_CHECK(d.source == PD_WG_SRC_NETLINK);
		FZ_CHECK((ret == PD_ERR_NOSPACE) ==
			 (d.n_peers > d.cap_peers || d.n_allowed > d.cap_allowed));
	}

	/* Counting pass: no storage, same verdict and same counts. */
	memset(&c, 0, sizeof(c));
	retc = pd_wg_nl_parse(b, n, family, &c, NULL);
	if (ret == 0 || ret == PD_ERR_NOSPACE) {
		FZ_CHECK(retc == 0 || retc == PD_ERR_NOSPACE);
		FZ_CHECK(c.n_peers == d.n_peers && c.n_allowed == d.n_allowed);
		FZ_CHECK(c.listen_port == d.listen_port && c.has == d.has);
	} else {
		FZ_CHECK(retc == ret);
	}
	ret2 = pd_wg_nl_parse(b, n, family, &d, NULL);
	FZ_CHECK(ret2 == ret);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t sel, *b;
	size_t n;

	if (size < 1)
		return 0;
	sel = data[0];
	n = size - 1;
	b = fz_dup(data + 1, n);
	if (!b)
		b = malloc(1); /* a valid pointer for an empty input */
	switch (sel & 3) {
	case 0:
		fuzz_link(b, n);
		break;
	case 1:
		fuzz_route(b, n);
		break;
	default:
		fuzz_wg(sel, b, n);
		break;
	}
	free(b);
	return 0;
}
