/* peer.h - `mtuprobe --peer HOST`: what a responder (`mtuprobe serve`) adds
 * to a measurement: the reverse path MTU, the address and port it saw, and
 * the TCP MSS that arrived (protocol: docs/responder.md).
 *
 * The forward direction is the ordinary search over the prober's PEER
 * method (measure.c); peer.c does the HELLO, the MSS report and the reverse
 * search, whose rounds become REV_REQ requests.
 */
#ifndef PATHDIAG_MTUPROBE_PEER_H
#define PATHDIAG_MTUPROBE_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

#include <pathdiag/peerproto.h>
#include <pathdiag/search.h>

#include "tool.h"

struct mtuprobe_opts;
struct mtuprobe_result;

struct mtuprobe_peer {
	bool enabled;                  /* --peer */
	bool keyed;                    /* --key: reverse requests are signed */
	uint16_t port;                 /* the responder's UDP port */
	bool hello_ok;                 /* INFO received */
	char software[PD_PEER_SOFTWARE_MAX + 1];
	uint8_t caps;                  /* PD_PEER_CAP_* */
	unsigned max_reply;            /* largest REV_DATA it sends */

	/* NAT evidence: where the HELLO left from, and what arrived. */
	char local_address[INET6_ADDRSTRLEN];
	uint16_t local_port;
	char seen_address[INET6_ADDRSTRLEN];
	uint16_t seen_port;
	bool nat;                      /* the address was translated */
	bool port_translated;

	/* TCP MSS: sent is derived from the local MTU, seen is measured. */
	bool mss_measured;
	unsigned mss_sent, mss_seen;
	bool mss_clamped;
	/* The MTU mss_sent was derived from: the connected socket's path MTU
	 * (a PMTU the forward search taught the kernel), else the local MTU. */
	unsigned mss_mtu;
	char mss_error[128];

	/* Reverse path: HOST -> here. */
	bool rev_searched;
	struct pd_search_result rev;
	unsigned rev_bound;            /* the search's upper bound */
	/* Unsigned requests cannot ask more than the forward path carries:
	 * the reverse MTU is at least rev.largest_ok, exact value unknown. */
	bool rev_capped;
	unsigned requests, refused, rate_limited, errors;
	double rev_elapsed_ms, rev_srtt_ms;
};

/* Before privileges go: load the key, open the UDP socket to dst (port
 * o->port).  -1 after recording the failure in res->report. */
int mtuprobe_peer_open(const struct mtuprobe_opts *o, const struct sockaddr_storage *dst,
		       struct mtuprobe_result *res);
/* HELLO until INFO (3 tries): -1 with the "no responder" failure. */
int mtuprobe_peer_hello(const struct mtuprobe_opts *o, struct mtuprobe_result *res);
/* After the forward search: the MSS report and the reverse search. */
void mtuprobe_peer_finish(const struct mtuprobe_opts *o, const struct sockaddr_storage *dst,
			  struct mtuprobe_result *res);
void mtuprobe_peer_close(void);

/* The path MTU both directions carry (the smaller), 0 when not known
 * exactly; without --peer the forward search's pmtu. */
unsigned mtuprobe_path_mtu(const struct mtuprobe_result *res);

/* peer_report.c: findings, and the parts of the text and JSON output. */
void mtuprobe_peer_conclude(struct mtuprobe_result *res);
void mtuprobe_peer_verdict_text(const struct mtuprobe_result *r, const char *method,
				struct tool_out *out);
void mtuprobe_peer_text(const struct mtuprobe_result *r, struct tool_out *out);
void mtuprobe_peer_json(const struct mtuprobe_result *r, json_t *doc);

#endif
