/* probe_peer.c - probes to a pathdiag responder (`mtuprobe serve`): each probe
 * is a FWD_PROBE of the peer protocol, answered by a FWD_ACK.
 *
 * Specs: docs/responder.md and <pathdiag/peerproto.h> (FWD_PROBE, FWD_ACK);
 * RFC 4821 (a probe whose arrival the far end confirms); Linux ip(7) /
 * ipv6(7) IP_RECVERR for the ICMP errors, as for the UDP method.  No
 * privilege is needed.
 *
 *   | IP 20/40 | UDP 8 | peer header 16 | seq 4 | token 16 | filler ... |
 *                      '-- FWD_PROBE, seq = probe id --'
 *
 * The FWD_PROBE is unsigned: its FWD_ACK (52 or 72 IP bytes) is smaller than
 * any probe, so the responder's no-amplification rule always lets it answer.
 * The nonce is the prober's random cookie and a random word per probe, so a
 * FWD_ACK cannot be forged by anyone who did not see the probe; the token
 * after the body is what an ICMP error's quote is matched by, as for UDP.
 */
#include <string.h>

#include <pathdiag/peerproto.h>

#include "probe_int.h"

uint64_t pdi_peer_nonce(const struct pdi_flow *f, const struct pdi_probe_rec *r)
{
	/* Never 0: the protocol's "no request" value. */
	return (uint64_t)(f->cookie | 1u) << 32 | r->tcp_seq;
}

enum pdi_verdict pdi_match_peer(const struct pdi_flow *f, const struct pdi_table *t,
				const uint8_t *data, size_t len, struct pdi_match *m)
{
	struct pd_peer_msg msg;
	const struct pdi_probe_rec *r;
	unsigned oh = pd_peer_overhead(f->family);

	memset(m, 0, sizeof(*m));
	if (!data || pd_peer_decode(data, len, &msg, NULL) < 0)
		return PDI_UNMATCHED;
	if (msg.type != PD_PEER_FWD_ACK)
		return PDI_UNMATCHED; /* an ERROR (rate limit): says nothing of a size */
	r = pdi_table_get(t, msg.u.ack.seq);
	if (!r || pdi_peer_nonce(f, r) != msg.nonce)
		return PDI_UNMATCHED;
	/* The responder got fewer bytes than were sent: not the probe. */
	if ((unsigned)msg.u.ack.rx_len + oh != r->ip_size)
		return PDI_BOGUS;
	m->kind = PD_PROBE_ACK;
	m->probe_id = r->id;
	return PDI_EVENT;
}

static int peer_open(struct pd_prober *p, const struct pd_probe_opts *o, struct pd_error *err)
{
	/* The socket is the UDP method's: connected, IP_RECVERR, PMTUDISC_PROBE. */
	return pdi_udp_ops.open(p, o, err);
}

static size_t peer_build(struct pd_prober *p, struct pdi_probe_rec *r)
{
	size_t hdr = pdi_hdr_len(p->flow.family, PD_PROBE_PEER);
	size_t n = r->ip_size - hdr + PDI_PEER_HDR, len = 0;
	struct pd_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_FWD_PROBE;
	r->tcp_seq = pdi_rand32(p);
	m.nonce = pdi_peer_nonce(&p->flow, r);
	m.u.fwd.seq = r->id;
	if (pd_peer_encode(&m, n, NULL, 0, p->tx, sizeof(p->tx), &len, NULL) < 0 || len != n)
		return 0;
	/* The padding is ignored by the responder: it carries the token. */
	pdi_fill_payload(p, r, p->tx + PDI_PEER_HDR, n - PDI_PEER_HDR);
	return n;
}

static enum pdi_verdict peer_input(struct pd_prober *p, int fd, const uint8_t *buf, size_t len,
				   const uint8_t from[16], struct pdi_match *m)
{
	(void)fd;
	(void)from; /* the socket is connected: only the responder gets here */
	return pdi_match_peer(&p->flow, &p->tab, buf, len, m);
}

const struct pdi_method_ops pdi_peer_ops = {
	.open = peer_open,
	.build = peer_build,
	.input = peer_input,
};
