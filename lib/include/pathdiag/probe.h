/* probe.h - DF probes of exact IP sizes, and what the path answers about each.
 *
 * Specs: RFC 1191 (IPv4 path MTU discovery, next-hop MTU in "fragmentation
 * needed"), RFC 8201 (IPv6 PMTUD, Packet Too Big), RFC 4821 (probing with
 * packets whose fate is reported), RFC 792 / RFC 4443 (echo, errors and the
 * quote they carry), RFC 9293 section 3.10.7.1 (a SYN to a closed port draws
 * a RST; a SYN to a listener a SYN-ACK).
 *
 * A prober sends single probes towards one target and reports, per probe:
 *
 *   ACK            the target answered: ICMP echo reply (method ICMP); ICMP
 *                  port unreachable sent by the target itself (UDP to a
 *                  closed port); SYN-ACK or RST (TCP).
 *   TOO_BIG        a router said "fragmentation needed" (IPv4) / "packet too
 *                  big" (IPv6) about it; mtu is the MTU it gave, from the
 *                  router that said so.
 *   TTL_EXCEEDED   a hop-limited probe expired at `from`.
 *   UNREACH        any other ICMP error quoting it (unreachable codes other
 *                  than the ACK case, parameter problem, reassembly time
 *                  exceeded); icmp_type/icmp_code say which.  An UNREACH
 *                  whose `from` is the target itself (a host firewall's
 *                  reject) still shows that the probe arrived whole.
 *   LOCAL_TOO_BIG  the probe did not leave this host: it is larger than the
 *                  MTU of the outgoing interface (mtu, from the kernel).
 *
 * Each probe is one IP packet whose total length (IP header included, no
 * IP options or IPv6 extension headers) is exactly the size asked for, with
 * DF set (IPv4) and never fragmented locally (IPv6).  The kernel's cached
 * path MTU is neither applied nor trusted (IP_PMTUDISC_PROBE /
 * IPV6_PMTUDISC_PROBE), so a probe above a learned PMTU still leaves.  The
 * payload starts with a 16-byte token:
 *
 *    0               4               8               12      14  15  16
 *   +---------------+---------------+---------------+-------+---+---+
 *   | magic "pdPR"  | prober cookie |   probe id    |ip size|ttl|mth|
 *   +---------------+---------------+---------------+-------+---+---+
 *
 * followed by filler ("PQRS..." as <pathdiag/encode.h> writes it).  A reply
 * or error counts only if it quotes a probe of this prober: the flow
 * (addresses, ports, echo identifier), the per-probe field (ICMP sequence
 * number = low 16 bits of the probe id; TCP: random source port and
 * sequence number per probe) and, where the quote reaches it, the token
 * (cookie = 32 random bits per prober, probe id, size).  Everything else is
 * counted in the statistics and dropped.  Replies to the last
 * PD_PROBE_WINDOW probes are recognised.
 *
 * Sockets and privileges (Linux):
 *   PEER  as UDP, to a responder's port: the payload is a FWD_PROBE
 *         (<pathdiag/peerproto.h>, unsigned) whose sequence is the probe id,
 *         with the token right after its 20-byte header and body; the
 *         responder's FWD_ACK (nonce, sequence, received length) is the ACK.
 *   UDP   an unprivileged connected UDP socket to a closed port (default: a
 *         random port in 33434..33533) with IP_RECVERR / IPV6_RECVERR;
 *         every answer is an ICMP error on the socket's error queue.
 *   ICMP  an ICMP datagram ("ping") socket where net.ipv4.ping_group_range
 *         admits the caller's group; otherwise, if allow_raw, a raw ICMP
 *         socket (CAP_NET_RAW).
 *   TCP   raw sockets only (CAP_NET_RAW, and allow_raw must be set): a raw
 *         TCP socket sends the SYN (the kernel writes the IP header) and
 *         reads SYN-ACK/RST, a raw ICMP socket reads the errors.  The local
 *         kernel answers the SYN-ACK with a RST, as it knows no such
 *         connection; that is expected.
 * A missing privilege is PD_ERR_PERM whose `what` names the capability
 * (CAP_NET_RAW) and the method that works without it.
 *
 * Use: pd_prober_open(), then pd_prober_send() per probe; poll
 * pd_prober_fd() for POLLIN and call pd_prober_recv() until it returns 0;
 * pd_prober_close().  Timeouts are the caller's: a probe with no event is
 * lost (or silently dropped, a PMTUD black hole).  The library never prints.
 * A prober is not thread-safe; use one per thread.
 */
#ifndef PATHDIAG_PROBE_H
#define PATHDIAG_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_PROBE_TOKEN_LEN 16
#define PD_PROBE_WINDOW 1024   /* probes whose answers are still matched */
#define PD_PROBE_MAX_SIZE 65535
/* Default UDP destination ports: PD_PROBE_UDP_PORT_BASE + 0..99. */
#define PD_PROBE_UDP_PORT_BASE 33434

enum pd_probe_method {
	PD_PROBE_ICMP = 1,
	PD_PROBE_UDP,
	PD_PROBE_TCP,
	/* UDP FWD_PROBE messages to a pathdiag responder (`mtuprobe serve`,
	 * docs/responder.md): the responder's FWD_ACK is the ACK, so no ICMP
	 * error from the target is needed; port: 0 = PD_PEER_PORT (20548). */
	PD_PROBE_PEER,
};

struct pd_probe_opts {
	/* 4 or 6; 0 = the family of dst.  Must agree with dst. */
	int family;
	/* The target: AF_INET or AF_INET6 (its port is ignored; see port). */
	struct sockaddr_storage dst;
	enum pd_probe_method method;
	/* Destination port.  UDP: 0 = random in 33434..33533 (a port expected
	 * to be closed, so the target answers "port unreachable").  TCP:
	 * required.  ICMP: unused. */
	uint16_t port;
	/* Source address (port ignored); ss_family AF_UNSPEC (0) = chosen by
	 * the routing table. */
	struct sockaddr_storage src;
	/* Interface to send from (SO_BINDTODEVICE); NULL or "" = any. */
	const char *device;
	/* Raw sockets may be used: the ICMP fallback when ping sockets are
	 * not allowed, and the only way to send TCP probes. */
	bool allow_raw;
};

enum pd_probe_event_kind {
	PD_PROBE_ACK = 1,
	PD_PROBE_TOO_BIG,
	PD_PROBE_TTL_EXCEEDED,
	PD_PROBE_UNREACH,
	PD_PROBE_LOCAL_TOO_BIG,
};

struct pd_probe_event {
	enum pd_probe_event_kind kind;
	uint32_t probe_id;          /* as pd_prober_send() returned it */
	uint16_t ip_size;           /* the probe's total IP length */
	uint8_t ttl;                /* its TTL / hop limit, 0 = default */
	/* TOO_BIG: the MTU the router reported.  LOCAL_TOO_BIG: the outgoing
	 * interface's MTU (0 if unknown). */
	uint32_t mtu;
	/* TOO_BIG whose MTU cannot be true: below the family minimum (68 for
	 * IPv4, including the "MTU 0" of pre-RFC 1191 routers; 1280 for IPv6)
	 * or not below ip_size.  Reported, not believed: the router answers,
	 * but its MTU must not be used. */
	bool mtu_bogus;
	/* Who answered: the target (ACK), the router (TOO_BIG, ...).
	 * AF_UNSPEC for LOCAL_TOO_BIG. */
	struct sockaddr_storage from;
	bool has_icmp;              /* the answer was ICMP: type and code */
	uint8_t icmp_type, icmp_code;
	uint16_t tcp_flags;         /* TCP ACK: PD_TCP_SYN|PD_TCP_ACK or
				       PD_TCP_RST|PD_TCP_ACK */
	/* CLOCK_MONOTONIC: just before the probe was sent, and when the
	 * answer arrived (the kernel's receive timestamp, SO_TIMESTAMPNS,
	 * moved to CLOCK_MONOTONIC; the time of reading if there is none). */
	struct timespec sent, received;
};

struct pd_probe_stats {
	uint64_t sent;              /* probes that left the host */
	uint64_t acked;             /* probes acknowledged (once each) */
	uint64_t too_big;           /* TOO_BIG events (bogus ones included) */
	uint64_t too_big_bogus;     /* of which mtu_bogus */
	uint64_t ttl_exceeded;
	uint64_t unreach;
	uint64_t local_too_big;     /* probes refused by the local MTU */
	uint64_t ignored_unmatched; /* well-formed, not about a probe of ours
				       (other flows, foreign or stale tokens,
				       quotes too short to tell) */
	uint64_t ignored_bogus;     /* malformed, bad checksum, or about our
				       probe but impossible (a token
				       contradicting the header, "fragmentation
				       needed" about a probe without DF) */
	uint64_t ignored_dup;       /* an answer already reported */
	uint64_t send_errors;       /* pd_prober_send() failures */
	uint64_t events_dropped;    /* internal event queue overflow */
	/* The ICMP / ICMPv6 errors among ignored_unmatched + ignored_bogus,
	 * by what they claimed: errors that quote no outstanding probe of this
	 * prober exactly (flow, identifier or ports, sequence, token, quoted
	 * destination and length), as forged ones or errors about other
	 * traffic do.  Only what reaches the prober's sockets can be counted:
	 * the kernel itself drops errors for UDP and ping sockets whose quote
	 * names other ports or another echo identifier. */
	uint64_t ignored_too_big;      /* "fragmentation needed", "packet too big" */
	uint64_t ignored_ttl_exceeded; /* time exceeded in transit */
	uint64_t ignored_unreach;      /* destination unreachable (other codes) */
	uint64_t ignored_other_errors; /* parameter problem, reassembly timeout, ... */
	/* Sends that failed with EMSGSIZE left over from an ICMP error (the
	 * kernel's pending socket error), not from the local MTU: retried. */
	uint64_t stale_send_errors;
};

struct pd_prober_info {
	int family;                 /* 4 or 6 */
	enum pd_probe_method method;
	bool raw;                   /* raw sockets in use (CAP_NET_RAW) */
	struct sockaddr_storage src;  /* local address; UDP: with its port */
	struct sockaddr_storage dst;  /* target; UDP/TCP: with the port */
	uint16_t echo_id;           /* ICMP: the echo identifier */
	uint16_t min_size;          /* smallest ip_size pd_prober_send takes:
				       IP + transport header + token */
};

/* How one sent probe looked on the wire, for tools that recognise probes
 * in captures or build test packets about them. */
struct pd_probe_wire {
	uint32_t probe_id;
	uint16_t ip_size;
	uint8_t ttl;
	uint16_t sport, dport;      /* UDP, TCP */
	uint16_t echo_id, echo_seq; /* ICMP */
	uint32_t tcp_seq;           /* TCP */
	uint8_t token[PD_PROBE_TOKEN_LEN];
	struct timespec sent;       /* CLOCK_MONOTONIC */
};

struct pd_prober;

/* Open a prober.  Errors: PD_ERR_INVAL (bad options: family, address,
 * missing TCP port, TCP without allow_raw), PD_ERR_PERM (a privilege is
 * missing; `what` names it and the method that works without it),
 * PD_ERR_NOMEM, PD_ERR_SYSTEM (a socket call failed; sys_errno).  *out is
 * NULL on failure. */
int pd_prober_open(const struct pd_probe_opts *opts, struct pd_prober **out,
		   struct pd_error *err);

/* Send one probe of exactly ip_size bytes (min_size of pd_prober_info ..
 * PD_PROBE_MAX_SIZE) with the given TTL / hop limit (0 = the system
 * default).  On success *probe_id (never 0) names it in later events.  A
 * probe larger than the outgoing interface's MTU is not an error: it is
 * reported as a LOCAL_TOO_BIG event.  Errors: PD_ERR_INVAL (size or TTL out
 * of range), PD_ERR_SYSTEM (the send failed; sys_errno); *probe_id is 0. */
int pd_prober_send(struct pd_prober *p, size_t ip_size, unsigned ttl,
		   uint32_t *probe_id, struct pd_error *err);

/* One descriptor to poll for POLLIN: readable when pd_prober_recv() may have
 * something (it is an epoll descriptor over the prober's sockets). */
int pd_prober_fd(const struct pd_prober *p);

/* Non-blocking: 1 with the next event in *ev, 0 when nothing is pending,
 * or a negative PD_ERR_SYSTEM if a socket failed.  Answers that do not
 * count are consumed and counted in the statistics. */
int pd_prober_recv(struct pd_prober *p, struct pd_probe_event *ev,
		   struct pd_error *err);

void pd_prober_stats(const struct pd_prober *p, struct pd_probe_stats *st);
void pd_prober_info(const struct pd_prober *p, struct pd_prober_info *info);

/* The wire fields of a probe still in the window; PD_ERR_NOTFOUND if it is
 * unknown or too old. */
int pd_prober_probe(const struct pd_prober *p, uint32_t probe_id,
		    struct pd_probe_wire *out, struct pd_error *err);

/* Closes the sockets and frees p (NULL is fine). */
void pd_prober_close(struct pd_prober *p);

/* "icmp", "udp", "tcp", "peer"; "ack", "too-big", "ttl-exceeded", "unreach",
 * "local-too-big"; "?" for other values. */
const char *pd_probe_method_name(enum pd_probe_method m);
const char *pd_probe_event_name(enum pd_probe_event_kind k);

#ifdef __cplusplus
}
#endif
#endif
