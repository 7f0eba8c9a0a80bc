/* tuncheck.h - `mtuprobe tunnel IFACE`: its options and result, shared by
 * tunnel.c (facts, probes, conclusions) and tunnel_render.c (text, JSON).
 */
#ifndef PATHDIAG_MTUPROBE_TUNCHECK_H
#define PATHDIAG_MTUPROBE_TUNCHECK_H

#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>
#include <pathdiag/tunmtu.h>
#include <pathdiag/wgdev.h>

#include "mtuprobe.h"

#define TUNCHECK_MAX_PEERS 8 /* peers probed; more are counted, not probed */
#define TUNCHECK_FIX_MAX 192

struct tuncheck_opts {
	const char *ifname;
	const char *inner;    /* --inner HOST */
	bool no_inner;        /* --no-inner */
	const char *endpoint; /* --endpoint HOST: the underlay peer when the link has none */
	const char *encap;    /* --encap SPEC: overrides the detected encapsulation */
	unsigned expect_mtu;
};

/* One peer (WireGuard) or the remote end (other tunnels). */
struct tuncheck_peer {
	char key[PD_WGDEV_KEY_B64_LEN]; /* WireGuard public key, "" otherwise */
	bool has_endpoint;
	char endpoint[INET6_ADDRSTRLEN]; /* underlay address, no port */
	uint16_t port;                   /* 0 when none */
	int family;                      /* of the endpoint: 4 or 6 */
	const char *endpoint_source;     /* "wireguard", "link", "--endpoint", "default route" */
	char inner[INET6_ADDRSTRLEN];    /* a single-host allowed IP, "" if none */
	char spec[64];                   /* canonical overhead spec */
	unsigned overhead;
	bool spec_ok;
	char spec_error[96];

	/* The kernel's route toward the endpoint. */
	bool route_ok;
	char under_dev[PD_NL_IFNAMSIZ];
	unsigned under_link_mtu;
	unsigned under_route_mtu;
	const char *under_mtu_source; /* "link", "route", "pmtu" */

	/* The underlay path MTU: measured, else the route's (configured). */
	bool probed;                    /* a measurement ran */
	struct mtuprobe_result probe;
	char probe_error[TOOL_ERROR_MAX]; /* why it gave no path MTU */
	unsigned path_mtu;              /* 0 when unknown */
	enum pd_provenance path_prov;

	bool checked; /* verdict below is valid */
	struct pd_tunmtu_verdict v;
};

struct tuncheck_result {
	struct tool_report report;
	char ifname[PD_NL_IFNAMSIZ];
	bool have_link;
	char kind[PD_NL_KINDSIZ];   /* IFLA_INFO_KIND, "" for none */
	const char *type;           /* "wireguard", "ip6tnl", ...; NULL: not a tunnel */
	const char *impl;           /* "kernel", "wireguard-go (UAPI socket)", NULL */
	unsigned mtu;               /* configured */
	const char *operstate;
	char encap[64];             /* base spec: "wireguard", "ip6tnl:notel", ... */
	bool encap_from_option;
	bool is_wireguard;
	uint16_t listen_port;

	/* ip6tnl, ipip, sit, gre, vxlan: the link's own addresses. */
	bool has_local, has_remote;
	char local[PD_NL_ADDRSTRLEN], remote[PD_NL_ADDRSTRLEN];
	bool has_encap_limit;
	unsigned encap_limit;
	bool adds_tel;

	size_t peers_total;          /* peers the interface has */
	unsigned npeers;             /* entries in peer[] */
	struct tuncheck_peer peer[TUNCHECK_MAX_PEERS];
	int decisive;                /* index of the peer with the smallest right MTU, -1 */

	bool have_reco;
	unsigned recommended, mss4, mss6;
	enum pd_tunmtu_state state;
	bool certain;                /* the path MTU deciding it was measured */

	char inner_target[MTUPROBE_HOST_MAX];
	const char *inner_source;    /* "--inner", "allowed IP of a peer", NULL */
	char inner_skipped[128];     /* why there was no inner probe, "" if there was */
	int inner_peer;              /* peer whose allowed IP it is, -1 */
	bool inner_probed;
	struct mtuprobe_result inner;
	/* The inner probe passed sizes the path cannot carry whole: the outer
	 * packets were fragmented (to kernel_pmtu, the path MTU the kernel
	 * learnt toward the endpoint, 0 if none). */
	bool outer_fragmented;
	unsigned kernel_pmtu;

	bool have_fix;
	bool fix_needed;
	char fix[PD_TUNFIX_COUNT][TUNCHECK_FIX_MAX]; /* "" where not applicable */
	unsigned expect_mtu;
};

/* tunnel_render.c */
void tuncheck_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *tuncheck_render_json(const struct tool_ctx *ctx, const void *result);

#endif
