/* probe_int.h - the prober's state and the seam between its common part
 * (probe.c: sockets, send, receive, events) and its methods (probe_udp.c,
 * probe_icmp.c, probe_tcp.c).  Internal.
 */
#ifndef PD_PROBE_INT_H
#define PD_PROBE_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include <pathdiag/error.h>
#include <pathdiag/probe.h>
#include "probe_match.h"

#define PDI_EVQ_LEN 64         /* events waiting for pd_prober_recv */
#define PDI_RX_LEN 65600       /* any IP packet, with its header */
#define PDI_CTRL_LEN 512

struct pd_prober;

/* What differs between the methods. */
struct pdi_method_ops {
	/* Open the sockets, add them to p->ep, fill in p->flow (addresses,
	 * ports, echo id) and p->raw. */
	int (*open)(struct pd_prober *p, const struct pd_probe_opts *o, struct pd_error *err);
	/* Write into p->tx what send() on p->fd takes for probe r of
	 * r->ip_size bytes; returns its length. */
	size_t (*build)(struct pd_prober *p, struct pdi_probe_rec *r);
	/* A datagram read from fd's normal queue (raw IPv4 sockets: with the
	 * IP header); from is its source. */
	enum pdi_verdict (*input)(struct pd_prober *p, int fd, const uint8_t *buf, size_t len,
				  const uint8_t from[16], struct pdi_match *m);
};

extern const struct pdi_method_ops pdi_udp_ops;
extern const struct pdi_method_ops pdi_icmp_ops;
extern const struct pdi_method_ops pdi_tcp_ops;
extern const struct pdi_method_ops pdi_peer_ops;

struct pd_prober {
	const struct pdi_method_ops *ops;
	struct pdi_flow flow;
	struct pdi_table tab;
	bool raw;
	int ep;                    /* epoll over fd and fd_err */
	int fd;                    /* sends; UDP, ICMP (ping or raw), raw TCP */
	int fd_err;                /* TCP: raw ICMP socket for errors; -1 */
	bool fd_connected;         /* send() rather than sendto(dst) */
	int ttl;                   /* TTL set on fd; 0 = the default */
	struct sockaddr_storage dst;  /* target with port (UDP, TCP) */
	struct sockaddr_storage src;  /* local address (and port) */
	uint64_t rng;
	struct pd_probe_stats st;
	struct pd_probe_event evq[PDI_EVQ_LEN];
	unsigned evq_head, evq_len;
	uint8_t tx[PD_PROBE_MAX_SIZE + 64];
	uint8_t rx[PDI_RX_LEN];
};

/* Shared by the methods (probe.c). */
uint32_t pdi_rand32(struct pd_prober *p);
socklen_t pdi_sa_len(int family);
void pdi_sa_set_port(struct sockaddr_storage *sa, uint16_t port);
/* A socket of this family, non-blocking, close-on-exec, bound to the
 * device if one was asked for.  EPERM/EACCES give PD_ERR_PERM with
 * perm_what, other failures PD_ERR_SYSTEM. */
int pdi_socket(struct pd_prober *p, const struct pd_probe_opts *o, int type, int proto,
	       const char *perm_what, int *fd, struct pd_error *err);
/* IP_RECVERR, PMTUDISC_PROBE (+ IPV6_DONTFRAG), SO_TIMESTAMPNS. */
int pdi_sock_probe_opts(struct pd_prober *p, int fd, struct pd_error *err);
/* SO_TIMESTAMPNS only (receive-only sockets). */
int pdi_sock_timestamps(int fd, struct pd_error *err);
int pdi_epoll_add(struct pd_prober *p, int fd, struct pd_error *err);
/* The source address the kernel picks for the target (a UDP socket
 * connected to it: no packet is sent), or opts->src if given. */
int pdi_route_source(struct pd_prober *p, const struct pd_probe_opts *o,
		     struct sockaddr_storage *out, struct pd_error *err);
/* Token then filler into dst[0..n). */
void pdi_fill_payload(const struct pd_prober *p, const struct pdi_probe_rec *r,
		      uint8_t *dst, size_t n);
/* pd_fail() that also records errno (PD_ERR_SYSTEM, PD_ERR_PERM). */
int pdi_sys_fail(struct pd_error *err, int code, int sys_errno, const char *what);
/* Bind fd to sa (port 0 unless given). */
int pdi_bind(struct pd_prober *p, int fd, const struct sockaddr_storage *sa,
	     struct pd_error *err);
/* Connect fd to the target (port: the flow's for UDP, 0 for raw and ping
 * sockets) and read back the local address into p->src. */
int pdi_connect(struct pd_prober *p, int fd, uint16_t port, struct pd_error *err);
/* Raw ICMP sockets: let through only the errors a probe can draw, and
 * echo replies if want_reply (probe_icmp.c). */
int pdi_icmp_filter(int fd, int family, bool want_reply, struct pd_error *err);
/* Strip the IPv4 header of what a raw IPv4 socket read (IPv6 raw sockets
 * return no header): *len becomes the IP payload's.  NULL if malformed. */
const uint8_t *pdi_raw_payload(const struct pd_prober *p, const uint8_t *buf, size_t *len);

#endif
