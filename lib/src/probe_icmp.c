/* probe_icmp.c - ICMP echo probes: ping sockets where allowed, raw otherwise.
 *
 * Specs: RFC 792 / RFC 4443 4.1-4.2 (echo request and reply: the reply
 * returns identifier, sequence number and all data); Linux icmp(7) "ping
 * sockets" (SOCK_DGRAM + IPPROTO_ICMP/ICMPV6, allowed for the groups in
 * net.ipv4.ping_group_range: the kernel sets the identifier to the socket's
 * bound "port" and fills in the checksum, delivers only replies carrying
 * that identifier, and with IP_RECVERR queues errors quoting our requests
 * with the quoted ICMP header and data); raw(7) / icmp(7) ICMP_FILTER,
 * RFC 3542 section 3.2 ICMP6_FILTER.
 *
 *   | IP 20/40 | type code csum | id | seq | token 16 | filler ... |
 *                                      seq = low 16 bits of the probe id
 */
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <sys/socket.h>

#include <pathdiag/encode.h>
#include <pathdiag/icmp.h>

#include "probe_int.h"

/* <linux/icmp.h>: a raw ICMPv4 socket option, a 32-bit mask of the types
 * to drop (that header does not mix with the libc ones). */
#define PDI_ICMP_FILTER 1
#define BIND_TRIES 8

static const char perm_icmp[] =
	"ICMP probes need ping sockets (net.ipv4.ping_group_range) or raw sockets "
	"(CAP_NET_RAW); --method udp works without privileges";
static const char perm_icmp_noraw[] =
	"ping sockets are not allowed for this group (net.ipv4.ping_group_range) and "
	"raw sockets (CAP_NET_RAW) are off; --method udp works without privileges";

int pdi_icmp_filter(int fd, int family, bool want_reply, struct pd_error *err)
{
	int rc;

	if (family == 6) {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(PD_ICMP6_DEST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(PD_ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(PD_ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(PD_ICMP6_PARAM_PROBLEM, &f);
		if (want_reply)
			ICMP6_FILTER_SETPASS(PD_ICMP6_ECHO_REPLY, &f);
		rc = setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
	} else {
		uint32_t pass = 1u << PD_ICMP4_DEST_UNREACH | 1u << PD_ICMP4_TIME_EXCEEDED |
				1u << PD_ICMP4_PARAM_PROBLEM;
		uint32_t block;

		if (want_reply)
			pass |= 1u << PD_ICMP4_ECHO_REPLY;
		block = ~pass;
		rc = setsockopt(fd, SOL_RAW, PDI_ICMP_FILTER, &block, sizeof(block));
	}
	if (rc < 0)
		return pdi_sys_fail(err, PD_ERR_SYSTEM, errno, "ICMP filter failed");
	return PD_OK;
}

/* Ping socket: bind to a random identifier (the "port"), falling back to
 * one the kernel picks. */
static int ping_setup(struct pd_prober *p, const struct pd_probe_opts *o,
		      struct pd_error *err)
{
	struct sockaddr_storage b;
	int rc = -1;

	memset(&b, 0, sizeof(b));
	if (o->src.ss_family != AF_UNSPEC)
		b = o->src;
	else
		b.ss_family = p->flow.family == 6 ? AF_INET6 : AF_INET;
	for (int i = 0; i <= BIND_TRIES; i++) {
		pdi_sa_set_port(&b, i < BIND_TRIES ? (uint16_t)(1 + pdi_rand32(p) % 65535) : 0);
		rc = bind(p->fd, (const struct sockaddr *)&b, pdi_sa_len(p->flow.family));
		if (rc == 0 || errno != EADDRINUSE)
			break;
	}
	if (rc < 0)
		return pdi_sys_fail(err, errno == EACCES || errno == EPERM ? PD_ERR_PERM :
				    PD_ERR_SYSTEM, errno, "bind() of the ping socket failed");
	rc = pdi_sock_probe_opts(p, p->fd, err);
	if (rc < 0)
		return rc;
	rc = pdi_connect(p, p->fd, 0, err);
	if (rc < 0)
		return rc;
	p->flow.echo_id = pdi_sa_port(&p->src);
	return PD_OK;
}

static int raw_setup(struct pd_prober *p, const struct pd_probe_opts *o,
		     struct pd_error *err)
{
	int rc;

	/* The receiving socket cannot be connected (it would then see no
	 * errors from routers), so the source is learnt first and bound. */
	rc = pdi_route_source(p, o, &p->src, err);
	if (rc < 0)
		return rc;
	rc = pdi_socket(p, o, SOCK_RAW, p->flow.family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP,
			perm_icmp, &p->fd, err);
	if (rc < 0)
		return rc;
	p->raw = true;
	rc = pdi_bind(p, p->fd, &p->src, err);
	if (rc < 0)
		return rc;
	rc = pdi_sock_probe_opts(p, p->fd, err);
	if (rc < 0)
		return rc;
	rc = pdi_icmp_filter(p->fd, p->flow.family, true, err);
	if (rc < 0)
		return rc;
	p->flow.echo_id = (uint16_t)(1 + pdi_rand32(p) % 65535);
	return PD_OK;
}

static int icmp_open(struct pd_prober *p, const struct pd_probe_opts *o, struct pd_error *err)
{
	int proto = p->flow.family == 6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
	int rc, e;

	rc = pdi_socket(p, o, SOCK_DGRAM, proto, perm_icmp, &p->fd, err);
	if (rc == PD_OK) {
		rc = ping_setup(p, o, err);
	} else if (rc == PD_ERR_PERM || (err && (err->sys_errno == EPROTONOSUPPORT ||
						 err->sys_errno == ESOCKTNOSUPPORT))) {
		/* EACCES: the group is outside ping_group_range. */
		e = err ? err->sys_errno : EACCES;
		if (!o->allow_raw)
			return pdi_sys_fail(err, PD_ERR_PERM, e, perm_icmp_noraw);
		rc = raw_setup(p, o, err);
	}
	if (rc < 0)
		return rc;
	pdi_sa_addr(&p->src, p->flow.src);
	p->flow.src_known = true;
	return pdi_epoll_add(p, p->fd, err);
}

static size_t icmp_build(struct pd_prober *p, struct pdi_probe_rec *r)
{
	size_t n = r->ip_size - pdi_hdr_len(p->flow.family, PD_PROBE_ICMP);
	int len;

	/* The builder moves data placed inside its buffer: put the payload
	 * where it goes.  IPv4: it computes the checksum (ping sockets redo it
	 * with their identifier); IPv6: the kernel does. */
	pdi_fill_payload(p, r, p->tx + PDI_ICMP_HDR, n);
	len = pd_build_icmp_echo_body(p->flow.family, false, p->flow.echo_id, (uint16_t)r->id,
				      p->tx + PDI_ICMP_HDR, n, p->tx, sizeof(p->tx));
	return len > 0 ? (size_t)len : 0;
}

static enum pdi_verdict icmp_input(struct pd_prober *p, int fd, const uint8_t *buf, size_t len,
				   const uint8_t from[16], struct pdi_match *m)
{
	(void)fd;
	/* Ping sockets return the ICMP message alone; raw IPv4 ones with the
	 * IP header in front. */
	if (p->raw) {
		buf = pdi_raw_payload(p, buf, &len);
		if (!buf)
			return PDI_BOGUS;
	}
	return pdi_match_icmp(&p->flow, &p->tab, buf, len, from, m);
}

const struct pdi_method_ops pdi_icmp_ops = {
	.open = icmp_open,
	.build = icmp_build,
	.input = icmp_input,
};
