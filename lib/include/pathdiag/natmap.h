/* natmap.h - what a NAT does to a flow, concluded from what a peer responder
 * saw: NAT present, mapping behaviour, port preservation, hairpinning and
 * carrier-grade NAT.  Pure logic over observations: no I/O, no clock.
 *
 * Specs: RFC 4787 section 4.1 (mapping: endpoint-independent, address-
 * dependent, address-and-port-dependent), section 4.1 port preservation,
 * section 6 (hairpinning, REQ-9: the hairpinned packet's source is the
 * sender's external mapping), RFC 6598 (100.64.0.0/10, the shared address
 * space a carrier-grade NAT's inside uses), RFC 1918 / RFC 4193 private
 * space.
 *
 * One local UDP socket sends a HELLO to each responder endpoint (address x
 * port); the INFO answer carries the source address and port the responder
 * saw.  With that socket's local address and port:
 *
 *   seen == local everywhere              no NAT
 *   seen differs between two ports of     address-and-port-dependent
 *     one responder address               (a new mapping per destination port)
 *   same per address, differs between     address-dependent
 *     two responder addresses
 *   the same for every endpoint:
 *     two addresses (and any ports)       endpoint-independent
 *     one address, two ports              endpoint-independent or address-
 *                                         dependent (only another address
 *                                         can tell them apart)
 *     one endpoint                        unknown
 *
 * A mapping is the external address *and* port: a different external
 * address for another destination (paired pooling missing) counts as a new
 * mapping too.  What is classified is the observed behaviour: a NAT that
 * keeps per-connection state but preserves the port (Linux masquerade)
 * hands out the same address:port for every destination and is seen as
 * endpoint-independent, which is what a peer behind it experiences.
 */
#ifndef PATHDIAG_NATMAP_H
#define PATHDIAG_NATMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/peerproto.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_NATMAP_MAX_OBS 16   /* responder endpoints one run asks */
#define PD_NATMAP_MAX_HOPS 16  /* hop addresses of the hop scan */

enum pd_natmap_tri { PD_NATMAP_UNKNOWN = 0, PD_NATMAP_NO, PD_NATMAP_YES };

enum pd_natmap_mapping {
	PD_MAP_UNKNOWN = 0,     /* not enough endpoints answered, or no NAT */
	PD_MAP_EIM,             /* endpoint-independent */
	PD_MAP_ADM,             /* address-dependent */
	PD_MAP_APDM,            /* address-and-port-dependent */
	PD_MAP_EIM_OR_ADM,      /* one responder address: EIM and ADM look alike */
};

enum pd_natmap_hairpin {
	PD_HAIRPIN_NOT_TESTED = 0,
	PD_HAIRPIN_NOT_APPLICABLE, /* no NAT: nothing to loop back */
	PD_HAIRPIN_NONE,           /* sent to the first mapping, nothing arrived */
	PD_HAIRPIN_EXTERNAL,       /* arrived from the sender's external mapping (REQ-9) */
	PD_HAIRPIN_INTERNAL,       /* arrived from the sender's own local address:port */
	PD_HAIRPIN_OTHER,          /* arrived from another address (router's own) */
};

/* One responder endpoint asked from the one local socket. */
struct pd_natmap_obs {
	struct pd_peer_addr server;  /* where the HELLO went */
	struct pd_peer_addr local;   /* our address:port for it (port: the socket's) */
	bool answered;               /* INFO came back */
	struct pd_peer_addr seen;    /* INFO's seen address:port (valid if answered) */
};

struct pd_natmap_input {
	size_t n;
	struct pd_natmap_obs obs[PD_NATMAP_MAX_OBS];
	/* Hop scan towards the responder (IPv4 only): addresses that answered
	 * time-exceeded for TTL 1..n_hops (family 0: no answer). */
	size_t n_hops;
	struct pd_peer_addr hop[PD_NATMAP_MAX_HOPS];
	/* Hairpin test: the second socket's local address:port and its
	 * external mapping (seen by the responder), and what arrived at the
	 * first socket when the second sent to the first's mapping. */
	bool hairpin_tested;
	struct pd_peer_addr hp_local, hp_mapped;
	bool hp_mapped_known;
	bool hp_arrived;
	struct pd_peer_addr hp_from;  /* source of what arrived */
};

struct pd_natmap_result {
	enum pd_natmap_tri present;      /* NAT (address or port rewritten) */
	enum pd_natmap_tri address_translated;
	enum pd_natmap_tri port_preserved;  /* seen port == local port on every answer */
	enum pd_natmap_mapping mapping;
	size_t answered;
	size_t addresses;              /* distinct responder addresses that answered */
	size_t ports;                  /* most distinct ports answered on one address */
	bool mapping_varies_port;      /* two ports of one address, two mappings */
	bool mapping_varies_addr;      /* two addresses, two mappings */
	bool seen_differs;             /* the responders saw different addresses */
	enum pd_natmap_tri carrier_grade;
	/* Why carrier_grade is PD_NATMAP_YES: */
	bool cgn_local_shared;         /* our own address is in 100.64.0.0/10 */
	int cgn_hop;                   /* 1-based TTL of a hop in 100.64.0.0/10, 0: none */
	bool seen_shared;              /* the responder saw a 100.64.0.0/10 address */
	enum pd_natmap_hairpin hairpin;
};

/* Classify.  PD_ERR_INVAL for NULL or n/n_hops above their maxima. */
int pd_natmap_classify(const struct pd_natmap_input *in, struct pd_natmap_result *out,
		       struct pd_error *err);

/* "endpoint-independent", "address-dependent", "address-and-port-dependent",
 * "endpoint-independent-or-address-dependent", or NULL for unknown. */
const char *pd_natmap_mapping_name(enum pd_natmap_mapping m);
/* "not-applicable", "none", "external-source", "internal-source",
 * "other-source", or NULL when not tested. */
const char *pd_natmap_hairpin_name(enum pd_natmap_hairpin h);

/* Address classes (IPv4 in addr[0..4) of family 4). */
bool pd_natmap_addr_shared(const struct pd_peer_addr *a);   /* 100.64.0.0/10 */
bool pd_natmap_addr_private(const struct pd_peer_addr *a);  /* RFC 1918, RFC 4193 */
/* Same family and address (port ignored). */
bool pd_natmap_addr_equal(const struct pd_peer_addr *a, const struct pd_peer_addr *b);

#ifdef __cplusplus
}
#endif
#endif
