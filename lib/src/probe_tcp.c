/* probe_tcp.c - TCP SYN probes carrying padding data, over raw sockets.
 *
 * Specs: RFC 9293 section 3.10.7.1-2 (a SYN to a listening port draws a
 * SYN-ACK acknowledging the SYN, and its data only if accepted, as with TCP
 * Fast Open, RFC 7413; a SYN to a closed port draws RST+ACK acknowledging
 * SYN and data: SEG.SEQ + SEG.LEN); raw(7): an IPPROTO_TCP raw socket
 * without IP_HDRINCL lets the kernel write the IP header (so
 * IP_MTU_DISCOVER applies) and receives a copy of every TCP segment from
 * the address it is connected to; a raw ICMP socket receives the ICMP
 * errors, whose quotes are matched here (probe_match.c).  Needs CAP_NET_RAW.
 * The local kernel answers each SYN-ACK with a RST (no such connection).
 *
 *   | IP 20/40 | TCP 20 (SYN, no options) | token 16 | filler ... |
 *   source port and sequence number: random per probe
 */
#include <string.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/encode.h>
#include <pathdiag/transport.h>

#include "probe_int.h"

#define SPORT_LO 32768   /* Linux's default ephemeral range */
#define SPORT_HI 60999
#define WINDOW 64240

static const char perm_tcp[] =
	"TCP probes need raw sockets (CAP_NET_RAW); --method udp works without privileges";

static int tcp_open(struct pd_prober *p, const struct pd_probe_opts *o, struct pd_error *err)
{
	int icmp = p->flow.family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	struct sockaddr_storage src;
	int rc;

	/* The checksum covers the source address: learn it, then bind. */
	rc = pdi_route_source(p, o, &src, err);
	if (rc < 0)
		return rc;
	rc = pdi_socket(p, o, SOCK_RAW, IPPROTO_TCP, perm_tcp, &p->fd, err);
	if (rc < 0)
		return rc;
	p->raw = true;
	rc = pdi_bind(p, p->fd, &src, err);
	if (rc < 0)
		return rc;
	rc = pdi_sock_probe_opts(p, p->fd, err);
	if (rc < 0)
		return rc;
	/* Connected: only segments from the target come in. */
	rc = pdi_connect(p, p->fd, 0, err);
	if (rc < 0)
		return rc;
	p->src = src;
	pdi_sa_addr(&p->src, p->flow.src);
	p->flow.src_known = true;

	rc = pdi_socket(p, o, SOCK_RAW, icmp, perm_tcp, &p->fd_err, err);
	if (rc < 0)
		return rc;
	rc = pdi_bind(p, p->fd_err, &src, err);
	if (rc < 0)
		return rc;
	rc = pdi_icmp_filter(p->fd_err, p->flow.family, false, err);
	if (rc < 0)
		return rc;
	rc = pdi_sock_timestamps(p->fd_err, err);
	if (rc < 0)
		return rc;
	rc = pdi_epoll_add(p, p->fd, err);
	if (rc < 0)
		return rc;
	return pdi_epoll_add(p, p->fd_err, err);
}

static size_t tcp_build(struct pd_prober *p, struct pdi_probe_rec *r)
{
	size_t iph = p->flow.family == 6 ? PDI_IP6_HDR : PDI_IP4_HDR;
	size_t n = r->ip_size - pdi_hdr_len(p->flow.family, PD_PROBE_TCP);
	struct pd_ip_spec ip;
	struct pd_tcp_spec tcp;
	int len;

	r->tcp_sport = (uint16_t)(SPORT_LO + pdi_rand32(p) % (SPORT_HI - SPORT_LO + 1));
	r->tcp_seq = pdi_rand32(p);
	memset(&ip, 0, sizeof(ip));
	ip.family = p->flow.family;
	memcpy(ip.src, p->flow.src, sizeof(ip.src));
	memcpy(ip.dst, p->flow.dst, sizeof(ip.dst));
	memset(&tcp, 0, sizeof(tcp));
	tcp.sport = r->tcp_sport;
	tcp.dport = p->flow.dport;
	tcp.seq = r->tcp_seq;
	tcp.flags = PD_TCP_SYN;
	tcp.window = WINDOW;
	/* The whole packet is built for the checksum over the pseudo-header;
	 * the kernel writes its own IP header, so only TCP onwards is sent. */
	pdi_fill_payload(p, r, p->tx + iph + PDI_TCP_HDR, n);
	len = pd_build_tcp(&ip, &tcp, p->tx + iph + PDI_TCP_HDR, n, p->tx, sizeof(p->tx));
	if (len <= (int)iph)
		return 0;
	memmove(p->tx, p->tx + iph, (size_t)len - iph);
	return (size_t)len - iph;
}

static enum pdi_verdict tcp_input(struct pd_prober *p, int fd, const uint8_t *buf, size_t len,
				  const uint8_t from[16], struct pdi_match *m)
{
	buf = pdi_raw_payload(p, buf, &len);
	if (!buf)
		return PDI_BOGUS;
	if (fd == p->fd_err)
		return pdi_match_icmp(&p->flow, &p->tab, buf, len, from, m);
	return pdi_match_tcp(&p->flow, &p->tab, buf, len, from, m);
}

const struct pdi_method_ops pdi_tcp_ops = {
	.open = tcp_open,
	.build = tcp_build,
	.input = tcp_input,
};
