/* probe_udp.c - UDP probes to a closed port, unprivileged.
 *
 * Specs: RFC 768; RFC 1122 3.2.2.1 / RFC 4443 3.1 (a host answers a
 * datagram to a closed port with ICMP port unreachable: that answer is our
 * ACK); Linux ip(7) / ipv6(7) IP_RECVERR: on a connected UDP socket the
 * kernel matches ICMP errors to the socket by the quoted ports and
 * addresses and queues them on its error queue with the quoted UDP payload
 * (our token), the ICMP type/code, ee_info = the MTU, and the sender as
 * SO_EE_OFFENDER.  No privilege is needed.
 *
 *   | IP 20/40 | UDP 8 | token 16 | filler ... |   = ip_size bytes
 */
#include <string.h>
#include <sys/socket.h>

#include "probe_int.h"

static int udp_open(struct pd_prober *p, const struct pd_probe_opts *o, struct pd_error *err)
{
	uint8_t a[16];
	int rc;

	rc = pdi_socket(p, o, SOCK_DGRAM, 0, "UDP sockets are not permitted here", &p->fd, err);
	if (rc < 0)
		return rc;
	if (o->src.ss_family != AF_UNSPEC) {
		struct sockaddr_storage s = o->src;

		pdi_sa_set_port(&s, 0); /* the kernel picks a free port */
		rc = pdi_bind(p, p->fd, &s, err);
		if (rc < 0)
			return rc;
	}
	rc = pdi_sock_probe_opts(p, p->fd, err);
	if (rc < 0)
		return rc;
	rc = pdi_connect(p, p->fd, p->flow.dport, err);
	if (rc < 0)
		return rc;
	pdi_sa_addr(&p->src, a);
	memcpy(p->flow.src, a, sizeof(a));
	p->flow.src_known = true;
	p->flow.sport = pdi_sa_port(&p->src);
	return pdi_epoll_add(p, p->fd, err);
}

static size_t udp_build(struct pd_prober *p, struct pdi_probe_rec *r)
{
	size_t n = r->ip_size - pdi_hdr_len(p->flow.family, PD_PROBE_UDP);

	pdi_fill_payload(p, r, p->tx, n);
	return n;
}

static enum pdi_verdict udp_input(struct pd_prober *p, int fd, const uint8_t *buf, size_t len,
				  const uint8_t from[16], struct pdi_match *m)
{
	(void)fd;
	return pdi_match_udp(&p->flow, &p->tab, buf, len, from, m);
}

const struct pdi_method_ops pdi_udp_ops = {
	.open = udp_open,
	.build = udp_build,
	.input = udp_input,
};
