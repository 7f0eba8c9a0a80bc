/* fuzz_probematch.c - libFuzzer target for the prober's matching of answers
 * to probes (lib/src/probe_match.c): ICMP/ICMPv6 messages with the packets
 * they quote, TCP segments and UDP payloads, all read from the network.
 *
 * Input: a selector byte, then the message.  Selector bit 0: IPv6; bits 1-2:
 * method (ICMP, UDP, TCP); bits 3-4: matcher (icmp, tcp, udp); bit 5: the
 * answer comes from the target (else from a router).  Eight probes of
 * sizes 1280..1500 are registered in the table first.
 *
 * Checks: the verdict is one of the three; an event names a registered
 * probe with a known kind and, for TOO_BIG, the bogus flag set exactly when
 * the MTU is below the family's minimum or not below that probe's size;
 * the same input gives the same
 * verdict twice (no hidden state in matching).
 */
#include <string.h>

#include "probe_match.h"

#include "fuzz_common.h"

static struct pdi_table table;

static enum pdi_verdict match(unsigned which, const struct pdi_flow *f, const uint8_t *b,
			      size_t n, const uint8_t from[16], struct pdi_match *m)
{
	switch (which) {
	case 0:
		return pdi_match_icmp(f, &table, b, n, from, m);
	case 1:
		return pdi_match_tcp(f, &table, b, n, from, m);
	default:
		return pdi_match_udp(f, &table, b, n, from, m);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum pd_probe_method methods[] = { PD_PROBE_ICMP, PD_PROBE_UDP, PD_PROBE_TCP,
							PD_PROBE_ICMP };
	struct pdi_flow f;
	struct pdi_match m1, m2;
	enum pdi_verdict v1, v2;
	uint8_t router[16] = { 10, 0, 1, 1 };
	const uint8_t *from;
	uint8_t *b;
	unsigned sel, which, i;

	if (size < 1)
		return 0;
	sel = data[0];
	memset(&f, 0, sizeof(f));
	f.family = sel & 1 ? 6 : 4;
	f.method = methods[(sel >> 1) & 3];
	f.src_known = true;
	memcpy(f.src, (const uint8_t[16]){ 10, 0, 1, 2 }, 4);
	memcpy(f.dst, (const uint8_t[16]){ 10, 0, 3, 2 }, 4);
	if (f.family == 6) {
		f.src[0] = f.dst[0] = router[0] = 0xfd;
		f.src[15] = 2;
		f.dst[15] = 3;
		router[15] = 1;
	}
	f.sport = 40000;
	f.dport = 33434;
	f.echo_id = 0x1234;
	f.cookie = 0xfeedf00d;
	which = (sel >> 3) & 3;
	from = sel & 0x20 ? f.dst : router;

	memset(&table, 0, sizeof(table));
	for (i = 0; i < 8; i++)
		FZ_CHECK(pdi_table_add(&table, (uint16_t)(1280 + 30 * i), 0) != NULL);

	b = fz_dup(data + 1, size - 1);
	memset(&m1, 0xa5, sizeof(m1));
	v1 = match(which, &f, b, size - 1, from, &m1);
	FZ_CHECK(v1 == PDI_EVENT || v1 == PDI_UNMATCHED || v1 == PDI_BOGUS);
	if (v1 == PDI_EVENT) {
		unsigned fmin = f.family == 6 ? 1280 : 68;

		FZ_CHECK(m1.probe_id >= 1 && m1.probe_id <= table.last_id);
		FZ_CHECK(m1.kind >= PD_PROBE_ACK && m1.kind <= PD_PROBE_LOCAL_TOO_BIG);
		/* Probe ids map to sizes 1280 + 30 (id - 1): an MTU is bogus
		 * exactly when it is below the minimum or not below that. */
		if (m1.kind == PD_PROBE_TOO_BIG)
			FZ_CHECK(m1.mtu_bogus == !(m1.mtu >= fmin &&
						   m1.mtu < 1280u + 30u * (m1.probe_id - 1)));
	}
	memset(&m2, 0x5a, sizeof(m2));
	v2 = match(which, &f, b, size - 1, from, &m2);
	FZ_CHECK(v1 == v2);
	if (v1 == PDI_EVENT)
		FZ_CHECK(m1.kind == m2.kind && m1.probe_id == m2.probe_id && m1.mtu == m2.mtu &&
			 m1.mtu_bogus == m2.mtu_bogus);
	free(b);
	return 0;
}
