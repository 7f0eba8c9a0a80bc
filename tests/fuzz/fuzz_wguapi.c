/* fuzz_wguapi.c - libFuzzer target for pd_wg_uapi_parse, the parser of a
 * WireGuard userspace daemon's "get=1" reply (wireguard.com/xplatform).
 *
 * Input: a selector byte, then the reply text.  Selector bits 0-1 give the
 * peer storage (0..3 peers), bits 2-4 the allowed-IP storage (0..7).
 *
 * Checks: same result with and without a struct pd_error; the error
 * convention; a counting pass (no storage) agreeing with the storing pass;
 * each stored peer's allowed-IP slice inside the storage, slices adding up;
 * endpoint and allowed-IP families 4 or 6, prefix lengths within the
 * address.  Strict: on success the reply's last line before the empty line
 * is "errno=0" (leading zeros allowed), and the number of peers / allowed IPs equals the number of
 * lines starting "public_key=" / "allowed_ip=" before it.
 */
#include <pathdiag/wgdev.h>

#include "fuzz_common.h"

static void check_err(int ret, const struct pd_error *err, size_t len)
{
	FZ_CHECK(ret == PD_ERR_TRUNCATED || ret == PD_ERR_MALFORMED || ret == PD_ERR_SYSTEM ||
		 ret == PD_ERR_NOSPACE);
	FZ_CHECK(err->code == ret);
	FZ_CHECK(err->offset <= len);
	fz_check_what(err->what);
	if (ret == PD_ERR_SYSTEM)
		FZ_CHECK(err->sys_errno > 0);
}

static void check_dev(const struct pd_wg_device *d)
{
	size_t i, np = d->n_peers < d->cap_peers ? d->n_peers : d->cap_peers, sum = 0;

	for (i = 0; i < np; i++) {
		const struct pd_wg_peer *p = &d->peers[i];
		size_t j;

		if (p->has & PD_WGP_ENDPOINT)
			FZ_CHECK(p->endpoint.family == 4 || p->endpoint.family == 6);
		FZ_CHECK(p->handshake_sec >= 0);
		FZ_CHECK(p->handshake_nsec >= 0 && p->handshake_nsec < 1000000000);
		if (p->allowed) {
			FZ_CHECK((size_t)(p->allowed - d->allowed) == sum);
			FZ_CHECK(sum + p->n_allowed <= d->cap_allowed);
			for (j = 0; j < p->n_allowed; j++) {
				FZ_CHECK(p->allowed[j].family == 4 || p->allowed[j].family == 6);
				FZ_CHECK(p->allowed[j].cidr <= (p->allowed[j].family == 4 ? 32 : 128));
			}
		} else {
			FZ_CHECK(p->n_allowed == 0 || sum + p->n_allowed > d->cap_allowed);
		}
		sum += p->n_allowed;
	}
	if (d->n_peers <= d->cap_peers)
		FZ_CHECK(sum == d->n_allowed);
}

/* Lines starting with prefix, up to the first empty line. */
static size_t count_lines(const char *t, size_t n, const char *prefix, bool *errno0)
{
	size_t off = 0, c = 0, pl = strlen(prefix);

	*errno0 = false;
	while (off < n) {
		const char *nl = memchr(t + off, '\n', n - off);
		size_t ll;

		if (!nl)
			break;
		ll = (size_t)(nl - (t + off));
		if (ll == 0)
			break;
		if (ll >= pl && memcmp(t + off, prefix, pl) == 0)
			c++;
		/* "errno=0" (leading zeros allowed, as for every number). */
		*errno0 = ll >= 7 && memcmp(t + off, "errno=", 6) == 0 &&
			  strspn(t + off + 6, "0") >= ll - 6;
		off += ll + 1;
	}
	return c;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_wg_peer peers[3];
	struct pd_wg_allowedip ips[7];
	struct pd_wg_device d, c;
	struct pd_error err;
	uint8_t sel;
	char *t;
	size_t n;
	int ret, ret2, retc;

	if (size < 1)
		return 0;
	sel = data[0];
	n = size - 1;
	t = (char *)fz_dup(data + 1, n);

	memset(&d, 0, sizeof(d));
	memset(peers, 0xa5, sizeof(peers));
	d.peers = peers;
	d.cap_peers = sel & 3u;
	d.allowed = ips;
	d.cap_allowed = sel >> 2 & 7u;
	fz_err_poison(&err);
	ret = pd_wg_uapi_parse(t, n, &d, &err);
	FZ_CHECK(d.peers == peers && d.allowed == ips);
	if (ret < 0)
		check_err(ret, &err, n);
	if (ret == 0 || ret == PD_ERR_NOSPACE) {
		bool e0;
		size_t np = count_lines(t, n, "public_key=", &e0);
		size_t na = count_lines(t, n, "allowed_ip=", &e0);

		check_dev(&d);
		FZ_CHECK(d.source == PD_WG_SRC_UAPI);
		FZ_CHECK((ret == PD_ERR_NOSPACE) ==
			 (d.n_peers > d.cap_peers || d.n_allowed > d.cap_allowed));
		FZ_STRICT(e0);
		FZ_STRICT(np == d.n_peers);
		FZ_STRICT(na == d.n_allowed);
	}

	memset(&c, 0, sizeof(c));
	retc = pd_wg_uapi_parse(t, n, &c, NULL);
	if (ret == 0 || ret == PD_ERR_NOSPACE) {
		FZ_CHECK(retc == 0 || retc == PD_ERR_NOSPACE);
		FZ_CHECK(c.n_peers == d.n_peers && c.n_allowed == d.n_allowed);
		FZ_CHECK(c.listen_port == d.listen_port && c.fwmark == d.fwmark && c.has == d.has);
	} else {
		FZ_CHECK(retc == ret);
	}
	ret2 = pd_wg_uapi_parse(t, n, &d, NULL);
	FZ_CHECK(ret2 == ret);
	free(t);
	return 0;
}
