/* fuzz_natpath.c - libFuzzer target for nattrace path mode's quote handling
 * (lib/src/natpath.c): pd_natpath_parse_icmp on an ICMP message read from
 * the network, pd_natpath_compare of the probe with the packet it quotes (or
 * with the raw input as a quote), and pd_natpath_analyse over the result.
 *
 * Input: selector byte (bit 0: IPv6; bits 1-2: probe protocol UDP, TCP,
 * ICMP; bit 3: the rest is a quote, else an ICMP message), two key bytes,
 * then the bytes.  Checks: the quote lies inside the message; a diff holds
 * at most PD_NATPATH_MAX_CHANGES changes, each with a known field name and
 * its bit in `compared`; quoted_bytes is the quote's length and
 * transport_bytes at most that; a quote equal to the probe has no change;
 * the same input gives the same diff twice; analyse never marks more new
 * changes than there are.
 */
#include <string.h>

#include <pathdiag/natpath.h>

#include "fuzz_common.h"

static void check_diff(const struct pd_natpath_diff *d, size_t qlen)
{
	size_t i;

	FZ_CHECK(d->n <= PD_NATPATH_MAX_CHANGES);
	FZ_CHECK(d->quoted_bytes == (qlen > 65535 ? 65535 : qlen));
	FZ_CHECK(d->transport_bytes <= d->quoted_bytes);
	for (i = 0; i < d->n; i++) {
		FZ_CHECK(strcmp(pd_natpath_field_name(d->change[i].field, d->proto ? d->proto :
						      PD_NATPATH_UDP), "?") != 0);
		FZ_STRICT(d->compared & (1u << d->change[i].field));
	}
}

static void compare(const uint8_t *probe, size_t plen, const uint8_t *q, size_t qlen)
{
	static struct pd_natpath_diff d1, d2;
	static struct pd_natpath_hop hop;
	struct pd_natpath_summary s;
	struct pd_error err = { 0 };
	int rc1, rc2;

	rc1 = pd_natpath_compare(probe, plen, q, qlen, &d1, &err);
	rc2 = pd_natpath_compare(probe, plen, q, qlen, &d2, NULL);
	FZ_CHECK(rc1 == rc2);
	FZ_CHECK(rc1 <= 0);
	if (rc1 < 0) {
		FZ_CHECK(err.code == rc1 && err.what);
		return;
	}
	FZ_CHECK(!memcmp(&d1, &d2, sizeof(d1)));
	check_diff(&d1, qlen);
	if (qlen == plen && !memcmp(probe, q, plen))
		FZ_STRICT(d1.n == 0);
	memset(&hop, 0, sizeof(hop));
	hop.ttl = 1;
	hop.answered = true;
	hop.has_diff = true;
	hop.diff = d1;
	pd_natpath_analyse(&hop, 1, &s);
	FZ_CHECK(hop.diff.n <= PD_NATPATH_MAX_CHANGES);
	FZ_CHECK(s.n_nat <= 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t probe[PD_NATPATH_PROBE_MAX];
	struct pd_natpath_probe p;
	struct pd_natpath_answer a;
	struct pd_error err = { 0 };
	uint8_t *buf;
	size_t len;
	int plen, rc;

	if (size < 3)
		return 0;
	memset(&p, 0, sizeof(p));
	p.family = data[0] & 1 ? 6 : 4;
	p.proto = (enum pd_natpath_proto)(1 + (data[0] >> 1 & 3) % 3);
	p.key = (uint16_t)(data[1] << 8 | data[2]);
	if (p.key == 0 || p.key == 0xffff)
		p.key = 1;
	p.src[0] = 10;
	p.dst[0] = 203;
	p.sport = 33001;
	p.dport = 33434;
	p.ttl = 1;
	p.mss = 1460;
	p.payload_len = 32;
	plen = pd_natpath_build(&p, probe, sizeof(probe), NULL);
	FZ_CHECK(plen > 0);
	len = size - 3;
	buf = malloc(len ? len : 1);
	if (!buf)
		return 0;
	memcpy(buf, data + 3, len);
	if (data[0] & 8) {
		compare(probe, (size_t)plen, buf, len);
		free(buf);
		return 0;
	}
	rc = pd_natpath_parse_icmp(p.family, buf, len, &a, &err);
	FZ_CHECK(rc <= 0);
	if (rc == 0 && a.kind != PD_NATPATH_ECHO_REPLY) {
		FZ_CHECK((size_t)a.quote_off + a.quote_len <= len);
		compare(probe, (size_t)plen, buf + a.quote_off, a.quote_len);
	} else if (rc < 0) {
		FZ_CHECK(err.code == rc && err.what);
	}
	free(buf);
	return 0;
}
