/* nat_peer.h - `nattrace --peer HOST`: NAT behaviour measured against
 * mtuprobe's responder (`mtuprobe serve` on HOST): NAT present, mapping
 * per RFC 4787 section 4.1, port preservation, carrier-grade NAT (RFC 6598)
 * and, with --hairpin, hairpinning per RFC 4787 section 6.
 *
 * peer.c measures (HELLO/INFO from one local socket to every responder
 * address x port, a hop scan of that path, the hairpin test); the
 * classification is pd_natmap_classify (lib/src/natmap.c); peer_render.c
 * writes the findings and the text and JSON parts.
 */
#ifndef PATHDIAG_NATTRACE_NAT_PEER_H
#define PATHDIAG_NATTRACE_NAT_PEER_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <pathdiag/natmap.h>
#include <pathdiag/peerproto.h>

#include "tool.h"

#define NATTRACE_PEER_MAX_PORTS 4
#define NATTRACE_PEER_MAX_ADDRS 4
#define NATTRACE_PEER_HOP_TTLS 10

/* What the command line asked for (main.c fills it). */
struct nattrace_peer_opts {
	bool enabled;                                /* --peer */
	uint16_t port[NATTRACE_PEER_MAX_PORTS];      /* --peer-port (default 20548) */
	size_t nport;
	const char *addr[NATTRACE_PEER_MAX_ADDRS];   /* --peer-addr: more responder addresses */
	size_t naddr;
	bool hairpin;                                /* --hairpin */
};

/* What one run found; the renderers read only this. */
struct nattrace_peer {
	bool ran;                      /* the measurement started (HOST resolved) */
	char target[256];              /* HOST as given */
	char address[INET6_ADDRSTRLEN];
	int family;                    /* 4 or 6 */
	char software[PD_PEER_SOFTWARE_MAX + 1];
	unsigned hellos;               /* HELLOs sent in all */
	/* Observations (measured) and the hop scan; in.obs[i].server is the
	 * endpoint asked, in the order addresses x ports. */
	struct pd_natmap_input in;
	bool hops_scanned;             /* IPv4: TTL 1..NATTRACE_PEER_HOP_TTLS sent */
	/* Hairpin test details beyond in.hp_*: why it did not run. */
	const char *hairpin_skipped;   /* NULL when it ran or was not asked */
	struct pd_natmap_result r;     /* derived */
};

/* Resolve host, ask every endpoint, scan hops, test hairpinning; failures
 * go to rep (no responder at all: UNKNOWN). */
void nattrace_peer_run(const struct nattrace_peer_opts *o, const char *host,
		       struct nattrace_peer *p, struct tool_report *rep);

/* peer_render.c */
void nattrace_peer_conclude(const struct nattrace_peer *p, struct tool_report *rep);
void nattrace_peer_text(const struct nattrace_peer *p, struct tool_out *out);
/* Adds "peer" and fills the peer-owned members of "nat" (creating it
 * when path mode did not). */
void nattrace_peer_json(const struct nattrace_peer *p, json_t *doc);

#endif
