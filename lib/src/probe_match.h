/* probe_match.h - recognising answers to our probes (internal).
 *
 * The pure half of the prober: the probe token, the window of recent
 * probes, and the functions that decide whether a received ICMP message,
 * TCP segment, UDP datagram or error-queue entry is about one of our
 * probes, and what it says.  No I/O, no allocation, no globals: the unit
 * tests feed them hand-built and encoder-built packets.
 */
#ifndef PD_PROBE_MATCH_H
#define PD_PROBE_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <pathdiag/probe.h>
#include "sockerr.h"

#define PDI_TOKEN_MAGIC 0x70645052u /* "pdPR" */
#define PDI_IP4_HDR 20
#define PDI_IP6_HDR 40
#define PDI_UDP_HDR 8
#define PDI_ICMP_HDR 8
#define PDI_TCP_HDR 20   /* our SYNs carry no options */
#define PDI_PEER_HDR 20  /* FWD_PROBE header and body before the token */

/* What identifies the prober's packets: filled in once the sockets are
 * open.  Addresses are 16 bytes, IPv4 in the first 4. */
struct pdi_flow {
	int family;                 /* 4 or 6 */
	enum pd_probe_method method;
	bool src_known;             /* src is the probes' source address */
	uint8_t src[16];
	uint8_t dst[16];
	uint16_t sport;             /* UDP: the socket's port; 0 = unknown */
	uint16_t dport;             /* UDP, TCP */
	uint16_t echo_id;           /* ICMP */
	uint32_t cookie;            /* random per prober, in every token */
};

struct pdi_probe_rec {
	uint32_t id;                /* 0: free slot */
	uint16_t ip_size;
	uint8_t ttl;
	uint16_t tcp_sport;         /* TCP: per probe */
	uint32_t tcp_seq;
	struct timespec sent;
	uint8_t seen;               /* bit per event kind already reported */
};

struct pdi_table {
	uint32_t last_id;           /* ids count from 1; 0 = none sent */
	struct pdi_probe_rec rec[PD_PROBE_WINDOW];
};

enum pdi_verdict {
	PDI_EVENT = 0,              /* *match holds an event */
	PDI_UNMATCHED = 1,          /* not about a probe of ours */
	PDI_BOGUS = 2,              /* malformed or impossible */
};

struct pdi_match {
	enum pd_probe_event_kind kind;
	uint32_t probe_id;
	uint32_t mtu;
	bool mtu_bogus;             /* TOO_BIG with an impossible MTU */
	bool has_icmp;
	uint8_t icmp_type, icmp_code;
	uint16_t tcp_flags;
};

/* Bytes of IP + transport header in front of the token. */
size_t pdi_hdr_len(int family, enum pd_probe_method m);

/* The token (see <pathdiag/probe.h>) of probe `id`. */
void pdi_token_put(uint8_t out[PD_PROBE_TOKEN_LEN], uint32_t cookie, uint32_t id,
		   uint16_t ip_size, uint8_t ttl, enum pd_probe_method m);

enum pdi_token_status {
	PDI_TOKEN_OK = 0,
	PDI_TOKEN_SHORT,            /* fewer than 16 bytes */
	PDI_TOKEN_FOREIGN,          /* wrong magic or cookie */
};
/* Read a token at buf; on PDI_TOKEN_OK *id and *ip_size are set. */
enum pdi_token_status pdi_token_get(const uint8_t *buf, size_t len, uint32_t cookie,
				    uint32_t *id, uint16_t *ip_size);

/* Record a new probe; returns its slot (its id is table->last_id). */
struct pdi_probe_rec *pdi_table_add(struct pdi_table *t, uint16_t ip_size, uint8_t ttl);
/* The probe with this id if it is still in the window, else NULL. */
const struct pdi_probe_rec *pdi_table_get(const struct pdi_table *t, uint32_t id);
/* ICMP: the most recent probe whose id has these low 16 bits. */
const struct pdi_probe_rec *pdi_table_by_echo_seq(const struct pdi_table *t, uint16_t seq);
/* Mark that an event of kind k was reported for probe id; true if it had
 * been already (a duplicate). */
bool pdi_table_seen(struct pdi_table *t, uint32_t id, enum pd_probe_event_kind k);

/* An ICMP / ICMPv6 message (from its type byte on; for IPv4 the IP header
 * already removed) that arrived from `from`: an echo reply or an error
 * quoting one of our probes (the quoted total length must be the probe's).
 * For an error, m->has_icmp, icmp_type and icmp_code are set whatever the
 * verdict (also by pdi_match_errq).  IPv4 checksums are verified (raw sockets see
 * packets before the kernel checks them); IPv6 ones are the kernel's job. */
enum pdi_verdict pdi_match_icmp(const struct pdi_flow *f, const struct pdi_table *t,
				const uint8_t *msg, size_t len, const uint8_t from[16],
				struct pdi_match *m);

/* A TCP segment (from its header on) that arrived from `from` (TCP method):
 * SYN-ACK or RST+ACK answering one of our SYNs.  The checksum is verified
 * over the pseudo-header from -> f->src; a partial checksum (the folded
 * pseudo-header sum of an offloaded segment from a local peer) passes. */
enum pdi_verdict pdi_match_tcp(const struct pdi_flow *f, const struct pdi_table *t,
			       const uint8_t *seg, size_t len, const uint8_t from[16],
			       struct pdi_match *m);

/* A UDP payload from the target (UDP method): an ACK if it echoes one of
 * our tokens (an echo service), else unmatched. */
enum pdi_verdict pdi_match_udp(const struct pdi_flow *f, const struct pdi_table *t,
			       const uint8_t *data, size_t len, const uint8_t from[16],
			       struct pdi_match *m);

/* A UDP payload from a responder (PEER method): a FWD_ACK for one of our
 * probes is an ACK if its nonce and sequence are the probe's and it reports
 * the probe's full length (else BOGUS); anything else is unmatched
 * (probe_peer.c). */
enum pdi_verdict pdi_match_peer(const struct pdi_flow *f, const struct pdi_table *t,
				const uint8_t *data, size_t len, struct pdi_match *m);
/* The FWD_PROBE nonce of probe r: the prober's cookie, then r's random. */
uint64_t pdi_peer_nonce(const struct pdi_flow *f, const struct pdi_probe_rec *r);

/* An ICMP-origin error-queue entry of a UDP or ICMP datagram socket: the
 * extended error and the bytes the kernel returned with it (UDP: the quoted
 * UDP payload; ICMP: the quoted echo request from its ICMP header on).  If
 * se->quoted is set, the quoted destination must be the target (and for
 * UDP and PEER its port the flow's). */
enum pdi_verdict pdi_match_errq(const struct pdi_flow *f, const struct pdi_table *t,
				const struct pdi_sockerr *se, const uint8_t *data,
				size_t len, struct pdi_match *m);

/* What an ICMP error claims, for counting the ignored ones. */
enum pdi_err_kind {
	PDI_ERRK_NONE = 0,          /* not an error (echo, informational) */
	PDI_ERRK_TOO_BIG,           /* fragmentation needed, packet too big */
	PDI_ERRK_TTL,               /* time exceeded in transit */
	PDI_ERRK_UNREACH,           /* destination unreachable, other codes */
	PDI_ERRK_OTHER,             /* parameter problem, reassembly time
				       exceeded, source quench, redirect */
};
enum pdi_err_kind pdi_icmp_err_kind(int family, uint8_t type, uint8_t code);

/* The 16-byte form of a socket address (IPv4 in the first 4 bytes); false
 * for other families. */
bool pdi_sa_addr(const struct sockaddr_storage *sa, uint8_t out[16]);
/* The port of an AF_INET / AF_INET6 address, host order; 0 otherwise. */
uint16_t pdi_sa_port(const struct sockaddr_storage *sa);

#endif
