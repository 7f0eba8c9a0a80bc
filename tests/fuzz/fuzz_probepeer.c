/* fuzz_probepeer.c - libFuzzer target for the PEER probe method's matching
 * (lib/src/probe_peer.c, the PEER case of lib/src/probe_match.c): a UDP
 * payload from a responder (FWD_ACK, docs/responder.md) and the quote of an
 * ICMP error returned on the error queue.
 *
 * Input: a selector byte, then the datagram or quote.  Selector bit 0:
 * IPv6; bit 1: error-queue quote (else a reply); bit 2: the error is
 * "packet too big" (else port unreachable); bit 3: the error comes from the
 * target; the last two bytes are the error's MTU.  Four probes of 1280..1500 bytes are registered first.
 *
 * Checks: the verdict is one of the three; an ACK names a registered probe
 * whose nonce and length the reply carried; a TOO_BIG is flagged bogus
 * exactly when its MTU is below the family minimum or not below that
 * probe's size; the same input gives the same verdict twice.
 */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/peerproto.h>

#include "probe_match.h"

#include "fuzz_common.h"

static struct pdi_table table;
static const uint16_t sizes[4] = { 1280, 1400, 1454, 1500 };

static enum pdi_verdict match(unsigned sel, const struct pdi_flow *f, const uint8_t *b,
			      size_t n, struct pdi_match *m)
{
	struct pdi_sockerr se;

	if (!(sel & 2))
		return pdi_match_peer(f, &table, b, n, m);
	memset(&se, 0, sizeof(se));
	se.present = true;
	se.origin = f->family == 6 ? PDI_EE_ORIGIN_ICMP6 : PDI_EE_ORIGIN_ICMP;
	if (sel & 4) {
		se.type = f->family == 6 ? 2 : 3;
		se.code = f->family == 6 ? 0 : 4;
	} else {
		se.type = f->family == 6 ? 1 : 3;
		se.code = f->family == 6 ? 4 : 3;
	}
	/* The MTU: the last two bytes of the input (after the token). */
	se.info = n >= 2 ? (uint32_t)(b[n - 2] << 8 | b[n - 1]) : 0;
	if (sel & 8) {
		struct sockaddr_in *o4 = (struct sockaddr_in *)&se.offender;
		struct sockaddr_in6 *o6 = (struct sockaddr_in6 *)&se.offender;

		if (f->family == 6) {
			o6->sin6_family = AF_INET6;
			memcpy(&o6->sin6_addr, f->dst, 16);
		} else {
			o4->sin_family = AF_INET;
			memcpy(&o4->sin_addr, f->dst, 4);
		}
	}
	return pdi_match_errq(f, &table, &se, b, n, m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdi_flow f;
	struct pdi_match m1, m2;
	enum pdi_verdict v1, v2;
	unsigned sel, i;
	uint8_t *b;

	if (size < 1)
		return 0;
	sel = data[0];
	memset(&f, 0, sizeof(f));
	f.family = sel & 1 ? 6 : 4;
	f.method = PD_PROBE_PEER;
	f.cookie = 0xfeedf00d;
	f.dport = PD_PEER_PORT;
	f.sport = 40000;
	f.dst[0] = f.family == 6 ? 0xfd : 10;
	f.dst[15] = 3;
	memset(&table, 0, sizeof(table));
	for (i = 0; i < 4; i++) {
		struct pdi_probe_rec *r = pdi_table_add(&table, sizes[i], 0);

		FZ_CHECK(r != NULL);
		r->tcp_seq = 0x01020304u * (i + 1);
	}
	b = fz_dup(data + 1, size - 1);
	memset(&m1, 0xa5, sizeof(m1));
	v1 = match(sel, &f, b, size - 1, &m1);
	FZ_CHECK(v1 == PDI_EVENT || v1 == PDI_UNMATCHED || v1 == PDI_BOGUS);
	if (v1 == PDI_EVENT) {
		const struct pdi_probe_rec *r;

		FZ_CHECK(m1.probe_id >= 1 && m1.probe_id <= table.last_id);
		r = pdi_table_get(&table, m1.probe_id);
		FZ_CHECK(r != NULL);
		FZ_CHECK(m1.kind >= PD_PROBE_ACK && m1.kind <= PD_PROBE_LOCAL_TOO_BIG);
		if (!(sel & 2)) {
			struct pd_peer_msg msg;

			FZ_CHECK(m1.kind == PD_PROBE_ACK);
			FZ_CHECK(pd_peer_decode(b, size - 1, &msg, NULL) == 0);
			FZ_CHECK(msg.nonce == pdi_peer_nonce(&f, r));
			FZ_CHECK(msg.u.ack.rx_len + pd_peer_overhead(f.family) == r->ip_size);
		}
		if (m1.kind == PD_PROBE_TOO_BIG)
			FZ_CHECK(m1.mtu_bogus == !(m1.mtu >= (f.family == 6 ? 1280u : 68u) &&
						   m1.mtu < r->ip_size));
	}
	memset(&m2, 0x5a, sizeof(m2));
	v2 = match(sel, &f, b, size - 1, &m2);
	FZ_CHECK(v1 == v2);
	if (v1 == PDI_EVENT)
		FZ_CHECK(m1.kind == m2.kind && m1.probe_id == m2.probe_id && m1.mtu == m2.mtu &&
			 m1.mtu_bogus == m2.mtu_bogus);
	free(b);
	return 0;
}
