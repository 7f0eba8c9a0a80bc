/* tunnel.c - `mtuprobe tunnel IFACE`: is a tunnel's MTU right for the path
 * under it?  Reads the interface over netlink (kind, MTU, the tunnel's own
 * addresses) and, for WireGuard, its peers over generic netlink or
 * wireguard-go's UAPI socket (pathdiag/wgdev.h); measures the underlay path
 * MTU toward each peer's endpoint and the inner path through the tunnel
 * (measure.c); decides with the overhead model (pathdiag/overhead.h,
 * pathdiag/tunmtu.h) and writes the fix.  Nothing is printed here:
 * tunnel_render.c renders the result.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <pathdiag/nl_route.h>
#include <pathdiag/overhead.h>

#include "tuncheck.h"

static const struct tool_render render = {
	.text = tuncheck_render_text,
	.json = tuncheck_render_json,
};

/* A finding in res's report. */
#define add(res, ...) tool_report_add(&(res)->report, __VA_ARGS__)

/* Copy a string into a field of the same (static) result: snprintf("%s")
 * between members of one object draws -Wrestrict. */
static void copy_text(char *dst, size_t len, const char *src)
{
	size_t n = strnlen(src, len - 1);

	memmove(dst, src, n);
	dst[n] = '\0';
}

/* ---- options ------------------------------------------------------------------- */

enum { TUN_INNER = 1, TUN_NO_INNER, TUN_ENDPOINT, TUN_ENCAP, TUN_EXPECT };

const struct tool_opt mtuprobe_tunnel_opts[] = {
	{ "inner", 0, "HOST", "probe the inner path through the tunnel toward HOST (default: "
			      "a peer's single-host allowed IP)", TUN_INNER },
	{ "no-inner", 0, NULL, "do not probe through the tunnel", TUN_NO_INNER },
	{ "endpoint", 0, "ADDR", "underlay address of the far end, when the link does not "
				 "say", TUN_ENDPOINT },
	{ "encap", 'e', "SPEC", "the encapsulation, instead of the one detected (e.g. "
				"wireguard, ip6tnl, wireguard+pppoe)", TUN_ENCAP },
	{ "expect-mtu", 0, "N", "CRITICAL (exit 2) when the tunnel carries fewer than N bytes",
	  TUN_EXPECT },
	{ NULL },
};

int mtuprobe_tunnel_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg)
{
	struct tuncheck_opts *o = ctx->priv;
	struct pd_ovh_stack st;
	struct pd_nl_addr a;
	struct pd_error err = { 0 };

	switch (opt->id) {
	case TUN_INNER:
		o->inner = arg;
		break;
	case TUN_NO_INNER:
		o->no_inner = true;
		break;
	case TUN_ENDPOINT:
		if (pd_nl_addr_parse(arg, &a, &err) < 0)
			return tool_usage_error(ctx, "--endpoint '%s' is not an IPv4 or IPv6 "
						"address", arg);
		o->endpoint = arg;
		break;
	case TUN_ENCAP:
		if (pd_ovh_parse(arg, &st, &err) < 0)
			return tool_usage_error(ctx, "--encap '%s': %s", arg,
						err.what ? err.what : "invalid");
		o->encap = arg;
		break;
	case TUN_EXPECT:
		return tool_parse_uint(ctx, "--expect-mtu", arg, 68, 65535, &o->expect_mtu);
	}
	return 0;
}

/* The options and IFACE; false with *code set when the check must not run
 * (--help answered, or a usage error). */
static bool parse_args(struct tool_ctx *ctx, int argc, char **argv, struct tuncheck_opts *o,
		       int *code)
{
	int first;

	memset(o, 0, sizeof(*o));
	if (!tool_cmd_parse(ctx, argc, argv, o, &first, code))
		return false;
	*code = PD_EXIT_UNKNOWN;
	if (first >= argc)
		tool_usage_error(ctx, "no interface given");
	else if (first + 1 < argc)
		tool_usage_error(ctx, "unexpected argument '%s' after the interface",
				 argv[first + 1]);
	else if (!*argv[first] || strlen(argv[first]) >= PD_NL_IFNAMSIZ ||
		 strchr(argv[first], '/'))
		tool_usage_error(ctx, "'%s' is not a valid interface name", argv[first]);
	else if (o->inner && o->no_inner)
		tool_usage_error(ctx, "--inner and --no-inner exclude each other");
	else
		o->ifname = argv[first];
	return o->ifname != NULL;
}

/* ---- facts ----------------------------------------------------------------------- */

static bool uapi_socket_exists(const char *ifname)
{
	char path[sizeof(PD_WGDEV_UAPI_DIR) + PD_NL_IFNAMSIZ + 8];
	struct stat sb;

	snprintf(path, sizeof(path), "%s/%s.sock", PD_WGDEV_UAPI_DIR, ifname);
	return stat(path, &sb) == 0 && S_ISSOCK(sb.st_mode);
}

static void addr_to_peer(const struct pd_nl_addr *a, struct tuncheck_peer *p, const char *src)
{
	pd_nl_addr_str(a, p->endpoint, sizeof(p->endpoint));
	p->family = a->family;
	p->has_endpoint = true;
	p->endpoint_source = src;
}

/* The link: kind, MTU, and the tunnel's own addresses.  0, or -1 after
 * recording the failure. */
static int read_link(const struct tuncheck_opts *o, struct tuncheck_result *res,
		     struct pd_nl_link *l)
{
	struct pd_error err = { 0 };
	char msg[160];
	int rc;

	rc = pd_nl_link_get(NULL, o->ifname, 0, l, &err);
	if (rc == PD_ERR_NOTFOUND) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "no interface '%s' in this network namespace", o->ifname);
		return -1;
	}
	if (rc < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "reading interface %s: %s%s",
				 o->ifname, msg, rc == PD_ERR_PERM ? " (needs CAP_NET_ADMIN)" : "");
		return -1;
	}
	res->have_link = true;
	snprintf(res->kind, sizeof(res->kind), "%s", l->kind);
	res->mtu = l->mtu;
	res->operstate = pd_nl_operstate_name(l->operstate);
	return 0;
}

/* What encapsulation the link is: from --encap, the kind, or the UAPI socket. */
static int classify(const struct tuncheck_opts *o, struct tuncheck_result *res,
		    const struct pd_nl_link *l)
{
	struct pd_ovh_stack st;
	struct pd_error err = { 0 };
	const struct pd_nl_iptun *t = &l->iptun;
	const struct pd_nl_gre *g = &l->gre;

	if (l->kind_id == PD_NLK_WIREGUARD) {
		res->is_wireguard = true;
		res->impl = "kernel";
	} else if (l->kind_id == PD_NLK_TUN && uapi_socket_exists(o->ifname)) {
		res->is_wireguard = true;
		res->impl = "wireguard-go (UAPI socket)";
	}
	if (o->encap) {
		/* main validated the spec */
		pd_ovh_parse(o->encap, &st, &err);
		pd_ovh_format(&st, res->encap, sizeof(res->encap), &err);
		res->encap_from_option = true;
		res->type = st.layer[0].encap ? st.layer[0].encap->name : "raw";
		if (st.layer[0].encap && !strcmp(st.layer[0].encap->name, "wireguard") &&
		    !res->impl && l->kind_id == PD_NLK_TUN)
			res->is_wireguard = uapi_socket_exists(o->ifname);
	} else if (res->is_wireguard) {
		snprintf(res->encap, sizeof(res->encap), "wireguard");
		res->type = "wireguard";
	} else if (pd_tunmtu_link_spec(l, res->encap, sizeof(res->encap), &err) == 0) {
		res->type = l->kind;
	} else if (l->kind_id == PD_NLK_TUN) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "%s is a tun device without a WireGuard UAPI socket (%s/%s.sock): "
				 "say what it carries with --encap SPEC and --endpoint ADDR",
				 o->ifname, PD_WGDEV_UAPI_DIR, o->ifname);
		return -1;
	} else {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "%s is not a tunnel (kind %s); if it carries one, say which with "
				 "--encap SPEC and --endpoint ADDR", o->ifname,
				 l->kind[0] ? l->kind : "none: a physical or loopback device");
		return -1;
	}

	/* The link's own addresses (ip6tnl, ipip, sit, gre, vxlan). */
	if (l->kind_id == PD_NLK_IP6TNL || l->kind_id == PD_NLK_IPIP || l->kind_id == PD_NLK_SIT) {
		res->has_local = (t->has & PD_NLT_LOCAL) && t->local.family;
		res->has_remote = (t->has & PD_NLT_REMOTE) && t->remote.family;
		pd_nl_addr_str(&t->local, res->local, sizeof(res->local));
		pd_nl_addr_str(&t->remote, res->remote, sizeof(res->remote));
		if (l->kind_id == PD_NLK_IP6TNL && (l->has & PD_NLL_INFO_DATA)) {
			res->adds_tel = t->adds_tel;
			res->has_encap_limit = (t->has & PD_NLT_ENCAP_LIMIT) != 0;
			res->encap_limit = t->encap_limit;
		}
	} else if (l->kind_id >= PD_NLK_GRE && l->kind_id <= PD_NLK_ERSPAN) {
		res->has_local = (g->has & PD_NLT_LOCAL) && g->local.family;
		res->has_remote = (g->has & PD_NLT_REMOTE) && g->remote.family;
		pd_nl_addr_str(&g->local, res->local, sizeof(res->local));
		pd_nl_addr_str(&g->remote, res->remote, sizeof(res->remote));
		res->adds_tel = g->adds_tel;
	} else if (l->kind_id == PD_NLK_VXLAN && !l->vxlan.remote_is_group) {
		res->has_remote = l->vxlan.remote.family != 0;
		res->has_local = l->vxlan.local.family != 0;
		pd_nl_addr_str(&l->vxlan.remote, res->remote, sizeof(res->remote));
		pd_nl_addr_str(&l->vxlan.local, res->local, sizeof(res->local));
	}
	return 0;
}

/* A single-host allowed IP of a peer (its tunnel address), IPv4 first. */
static void peer_inner(const struct pd_wg_peer *wp, struct tuncheck_peer *p)
{
	int want, i;

	for (want = 4; want <= 6 && !p->inner[0]; want += 2)
		for (i = 0; i < (int)wp->n_allowed && wp->allowed; i++) {
			const struct pd_wg_allowedip *a = &wp->allowed[i];

			if (a->family == want && a->cidr == (want == 4 ? 32 : 128)) {
				inet_ntop(want == 4 ? AF_INET : AF_INET6, a->addr, p->inner,
					  sizeof(p->inner));
				break;
			}
		}
}

/* WireGuard peers: endpoints and allowed IPs.  0, or -1 after recording. */
static int read_wireguard(const struct tuncheck_opts *o, struct tuncheck_result *res)
{
	struct pd_wg_device dev;
	struct pd_error err = { 0 };
	char msg[160];
	size_t i;
	int rc;

	rc = pd_wg_get(NULL, o->ifname, &dev, &err);
	if (rc < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		if (rc == PD_ERR_PERM)
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
					 "reading the WireGuard peers of %s needs CAP_NET_ADMIN "
					 "(kernel WireGuard) or root (the UAPI socket of wireguard-go): "
					 "%s", o->ifname, msg);
		else
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
					 "reading the WireGuard peers of %s: %s", o->ifname, msg);
		return -1;
	}
	res->listen_port = dev.listen_port;
	res->peers_total = dev.n_peers;
	for (i = 0; i < dev.n_peers && i < dev.cap_peers && res->npeers < TUNCHECK_MAX_PEERS;
	     i++) {
		const struct pd_wg_peer *wp = &dev.peers[i];
		struct tuncheck_peer *p = &res->peer[res->npeers++];

		pd_wg_key_base64(wp->public_key, p->key);
		if (wp->has & PD_WGP_ENDPOINT) {
			const void *a = wp->endpoint.addr;

			inet_ntop(wp->endpoint.family == 6 ? AF_INET6 : AF_INET, a, p->endpoint,
				  sizeof(p->endpoint));
			p->family = wp->endpoint.family;
			p->port = wp->endpoint.port;
			p->has_endpoint = true;
			p->endpoint_source = "wireguard";
		}
		peer_inner(wp, p);
	}
	pd_wg_device_free(&dev);
	return 0;
}

/* Without any endpoint, the underlay is whatever the default route uses: a
 * route lookup (no packet is sent) for a documentation address. */
static void default_route_peer(struct tuncheck_result *res, int family)
{
	struct tuncheck_peer *p;
	struct pd_nl_addr a;
	struct pd_error err = { 0 };
	int fams[2] = { 4, 6 }, i;

	if (res->npeers >= TUNCHECK_MAX_PEERS)
		return;
	for (i = 0; i < 2; i++) {
		struct pd_nl_route_query q = { 0 };
		struct pd_nl_path_mtu pm;

		if (family && fams[i] != family)
			continue;
		pd_nl_addr_parse(fams[i] == 4 ? "192.0.2.1" : "2001:db8::1", &a, &err);
		q.dst = a;
		if (pd_nl_route_mtu(NULL, &q, &pm, &err) < 0)
			continue;
		p = &res->peer[res->npeers++];
		p->family = fams[i];
		p->endpoint_source = "default route";
		return;
	}
}

/* ---- measuring ---------------------------------------------------------------------- */

static void route_of(struct tuncheck_peer *p)
{
	struct pd_nl_route_query q = { 0 };
	struct pd_nl_path_mtu pm;
	struct pd_error err = { 0 };

	if (p->has_endpoint) {
		if (pd_nl_addr_parse(p->endpoint, &q.dst, &err) < 0)
			return;
	} else {
		pd_nl_addr_parse(p->family == 6 ? "2001:db8::1" : "192.0.2.1", &q.dst, &err);
	}
	if (pd_nl_route_mtu(NULL, &q, &pm, &err) < 0)
		return;
	p->route_ok = true;
	snprintf(p->under_dev, sizeof(p->under_dev), "%s", pm.link.name);
	p->under_link_mtu = pm.link_mtu;
	p->under_route_mtu = pm.mtu;
	p->under_mtu_source = pd_nl_mtu_source_name(pm.source);
}

static void measure(const char *host, int family, const char *device, bool last,
		    struct mtuprobe_result *r)
{
	struct mtuprobe_opts mo;

	memset(&mo, 0, sizeof(mo));
	mo.host = host;
	mo.family = family;
	mo.device = device;
	mo.keep_privileges = !last;
	mtuprobe_result_init(r);
	mtuprobe_measure(&mo, r);
	mtuprobe_conclude(&mo, r);
}

/* The underlay path MTU of p: measured, else the route's. */
static void underlay(struct tuncheck_peer *p, bool last)
{
	const struct pd_search_result *s = &p->probe.search;

	route_of(p);
	if (p->has_endpoint) {
		p->probed = true;
		measure(p->endpoint, p->family, NULL, last, &p->probe);
		if (p->probe.searched && s->status == PD_SEARCH_FOUND) {
			p->path_mtu = s->pmtu;
			p->path_prov = PD_PROV_MEASURED;
			return;
		}
		if (p->probe.report.error[0])
			copy_text(p->probe_error, sizeof(p->probe_error), p->probe.report.error);
		else if (p->probe.searched)
			snprintf(p->probe_error, sizeof(p->probe_error),
				 "only bounds: between %u and %u", s->largest_ok,
				 s->smallest_lost ? s->smallest_lost - 1 : s->max_size);
	}
	if (p->route_ok) {
		/* The route's MTU is an upper bound of the path's. */
		p->path_mtu = p->under_route_mtu;
		p->path_prov = !strcmp(p->under_mtu_source, "pmtu") ? PD_PROV_MEASURED
								     : PD_PROV_CONFIGURED;
	}
}

/* ---- deciding ------------------------------------------------------------------------ */

static void check_peer(struct tuncheck_result *res, struct tuncheck_peer *p)
{
	struct pd_ovh_stack st;
	struct pd_ovh_rec rec;
	struct pd_tunmtu_in in = { 0 };
	struct pd_error err = { 0 };

	if (pd_ovh_parse(res->encap, &st, &err) < 0 ||
	    pd_ovh_format(&st, p->spec, sizeof(p->spec), &err) < 0) {
		snprintf(p->spec_error, sizeof(p->spec_error), "%s", err.what ? err.what : "bad");
		return;
	}
	if (pd_ovh_overhead(&st, p->family, &p->overhead, &err) < 0) {
		char msg[sizeof(p->spec_error)];

		snprintf(msg, sizeof(msg), "%s over IPv%d: %s", p->spec, p->family,
			 err.what ? err.what : "impossible");
		copy_text(p->spec_error, sizeof(p->spec_error), msg);
		return;
	}
	p->spec_ok = true;
	if (!p->path_mtu)
		return;
	in.configured = res->mtu;
	in.path_mtu = p->path_mtu;
	in.overhead = p->overhead;
	in.pad = res->is_wireguard ? PD_TUNMTU_WG_PAD : 0;
	if (pd_tunmtu_check(&in, &p->v, &err) < 0)
		return;
	p->checked = true;
	if (p->v.state != PD_TUNMTU_NO_ROOM &&
	    pd_ovh_recommend(&st, p->family, p->path_mtu, &rec, &err) == 0) {
		res->mss4 = rec.mss_ipv4;
		res->mss6 = rec.mss_ipv6;
	}
}

static const char *peer_name(const struct tuncheck_peer *p, char *buf, size_t len)
{
	if (p->has_endpoint)
		snprintf(buf, len, "%s%s%s", p->family == 6 ? "[" : "", p->endpoint,
			 p->family == 6 ? "]" : "");
	else
		snprintf(buf, len, "the default route (no endpoint known)");
	return buf;
}

static void fixes(struct tuncheck_result *res)
{
	struct pd_error err = { 0 };
	int i;

	for (i = 0; i < PD_TUNFIX_COUNT; i++) {
		bool want = true;

		if (i == PD_TUNFIX_WG_QUICK)
			want = res->is_wireguard;
		if (i == PD_TUNFIX_NFT4 || i == PD_TUNFIX_IPT4)
			want = res->mss4 != 0;
		if (i == PD_TUNFIX_NFT6 || i == PD_TUNFIX_IPT6)
			want = res->mss6 != 0;
		if (!want)
			continue;
		if (pd_tunmtu_fix((enum pd_tunmtu_fix)i, res->ifname, res->recommended,
				  res->fix[i], sizeof(res->fix[i]), &err) == 0)
			res->have_fix = true;
	}
}

static void inner_findings(struct tuncheck_result *res)
{
	const struct mtuprobe_result *r = &res->inner;
	const struct pd_search_result *s = &r->search;
	const struct tuncheck_peer *p = res->decisive >= 0 ? &res->peer[res->decisive] : NULL;
	char ev[PD_FINDING_EVIDENCE_MAX];

	if (!res->inner_probed)
		return;
	if (r->report.error[0] || !r->searched || s->status == PD_SEARCH_UNKNOWN) {
		add(res, "inner-unanswered", PD_SEV_UNKNOWN, r->report.error,
		    "the inner probe toward %s through %s got no answer: the tunnel's own path "
		    "is unverified", res->inner_target, res->ifname);
		return;
	}
	if (s->smallest_lost)
		snprintf(ev, sizeof(ev), "inner probes toward %s: largest ok %u, smallest lost %u "
			 "(measured, %s)", r->address, s->largest_ok, s->smallest_lost,
			 pd_probe_method_name(r->method));
	else
		snprintf(ev, sizeof(ev), "inner probes toward %s: largest ok %u, none lost up to "
			 "the tunnel MTU (measured, %s)", r->address, s->largest_ok,
			 pd_probe_method_name(r->method));
	if (p && p->checked && res->state == PD_TUNMTU_TOO_BIG &&
	    s->largest_ok > p->v.largest_inner) {
		/* More crossed than the path carries whole: the sender's kernel
		 * knew the path MTU and fragmented the outer packets. */
		res->outer_fragmented = true;
		snprintf(ev + strlen(ev), sizeof(ev) - strlen(ev), "; the kernel knows path MTU "
			 "%u toward %s and fragments the outer packets to it",
			 res->kernel_pmtu ? res->kernel_pmtu : p->path_mtu, p->endpoint);
		add(res, "outer-fragmented", PD_SEV_WARNING, ev,
		    "inner packets above %u crossed only as fragmented outer packets: fragments "
		    "cost throughput and are dropped by many firewalls and NATs",
		    p->v.largest_inner);
		return;
	}
	if (s->largest_ok >= res->mtu) {
		if (res->state == PD_TUNMTU_OK || res->state == PD_TUNMTU_BELOW)
			add(res, "inner-confirmed", PD_SEV_OK, ev,
			    "inner packets of the full tunnel MTU %u cross the tunnel", res->mtu);
		return;
	}
	if (p && p->checked && res->state == PD_TUNMTU_TOO_BIG &&
	    s->largest_ok == p->v.largest_inner) {
		add(res, "inner-as-predicted", PD_SEV_CRITICAL, ev,
		    "inner packets above %u bytes are lost, as the model predicts%s",
		    s->largest_ok, res->is_wireguard ? " (WireGuard pads to 16 bytes)" : "");
		return;
	}
	add(res, "inner-drops-large", PD_SEV_CRITICAL, ev,
	    "only inner packets up to %u bytes cross the tunnel, below its MTU %u%s",
	    s->largest_ok, res->mtu,
	    res->state == PD_TUNMTU_TOO_BIG ? ""
					    : ": the far end's MTU or its underlay may be smaller");
}

static void conclude(const struct tuncheck_opts *o, struct tuncheck_result *res)
{
	char ev[PD_FINDING_EVIDENCE_MAX], who[INET6_ADDRSTRLEN + 48];
	struct tuncheck_peer *p;
	unsigned i, probed_ok = 0;

	res->expect_mtu = o->expect_mtu;
	res->decisive = -1;
	for (i = 0; i < res->npeers; i++) {
		p = &res->peer[i];
		check_peer(res, p);
		if (p->probed && p->path_prov != PD_PROV_MEASURED)
			add(res, "underlay-unmeasured", PD_SEV_UNKNOWN, p->probe_error,
			    "could not measure the underlay path to %s%s", peer_name(p, who,
										sizeof(who)),
			    p->path_mtu ? "; checked against the route MTU, an upper bound" : "");
		else if (p->probed)
			probed_ok++;
		if (!p->checked)
			continue;
		if (res->decisive < 0 || p->v.recommended < res->peer[res->decisive].v.recommended)
			res->decisive = (int)i;
	}
	if (res->is_wireguard && res->peers_total == 0)
		add(res, "no-peers", PD_SEV_WARNING, NULL,
		    "%s has no WireGuard peers: no endpoint to measure toward", res->ifname);
	else if (res->is_wireguard && res->peers_total > TUNCHECK_MAX_PEERS)
		add(res, "peers-not-checked", PD_SEV_INFO, NULL,
		    "%zu peers; only the first %d were checked", res->peers_total,
		    TUNCHECK_MAX_PEERS);
	for (i = 0; i < res->npeers; i++)
		if (res->peer[i].key[0] && !res->peer[i].has_endpoint)
			add(res, "peer-no-endpoint", PD_SEV_INFO, NULL,
			    "peer %.12s... has no endpoint yet (it has not connected): its path is "
			    "not checked", res->peer[i].key);

	if (res->decisive < 0) {
		if (res->npeers && res->peer[0].spec_error[0])
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "--encap %s: %s",
					 res->encap, res->peer[0].spec_error);
		else
			add(res, "nothing-to-check", PD_SEV_UNKNOWN, NULL,
			    "no underlay path to check %s's MTU against: no endpoint and no route; "
			    "give --endpoint ADDR", res->ifname);
		return;
	}
	p = &res->peer[res->decisive];
	res->have_reco = p->v.state != PD_TUNMTU_NO_ROOM;
	res->recommended = p->v.recommended;
	res->state = p->v.state;
	res->certain = p->path_prov == PD_PROV_MEASURED;
	peer_name(p, who, sizeof(who));
	snprintf(ev, sizeof(ev), "underlay path MTU %u toward %s (%s%s%s) - %u bytes of %s over "
		 "IPv%d = %u", p->path_mtu, who, pd_provenance_name(p->path_prov),
		 p->path_prov == PD_PROV_CONFIGURED ? ": route MTU via " : "",
		 p->path_prov == PD_PROV_CONFIGURED ? p->under_dev : "", p->overhead, p->spec,
		 p->family, p->v.recommended);
	switch (res->state) {
	case PD_TUNMTU_NO_ROOM:
		add(res, "path-too-small", PD_SEV_CRITICAL, ev,
		    "the path to %s (MTU %u) cannot carry %s at all: it adds %u bytes", who,
		    p->path_mtu, p->spec, p->overhead);
		break;
	case PD_TUNMTU_TOO_BIG:
		add(res, "tunnel-mtu-too-big", PD_SEV_CRITICAL, ev,
		    "tunnel MTU %u is too big: the path carries %u (%u - %u); set MTU %u",
		    res->mtu, p->v.recommended, p->path_mtu, p->overhead, p->v.recommended);
		res->fix_needed = true;
		break;
	case PD_TUNMTU_BELOW:
		add(res, "tunnel-mtu-below-path", res->certain ? PD_SEV_INFO : PD_SEV_UNKNOWN, ev,
		    "tunnel MTU %u is %u bytes below the %u the path carries%s", res->mtu,
		    p->v.unused, p->v.recommended,
		    res->is_wireguard && res->mtu == 1420
			    ? " (1420 is WireGuard's default, with room for an IPv6 underlay)" : "");
		break;
	case PD_TUNMTU_OK:
		add(res, "tunnel-mtu-ok", res->certain ? PD_SEV_OK : PD_SEV_UNKNOWN, ev,
		    "tunnel MTU %u is right: the path carries exactly %u (%u - %u)", res->mtu,
		    p->v.recommended, p->path_mtu, p->overhead);
		break;
	}
	if (p->has_endpoint) {
		route_of(p);
		if (p->route_ok && !strcmp(p->under_mtu_source, "pmtu"))
			res->kernel_pmtu = p->under_route_mtu;
	}
	inner_findings(res);
	if (o->expect_mtu) {
		unsigned eff = p->v.largest_inner;

		if (res->inner_probed && res->inner.searched &&
		    res->inner.search.status != PD_SEARCH_UNKNOWN &&
		    res->inner.search.largest_ok < eff)
			eff = res->inner.search.largest_ok;
		snprintf(ev, sizeof(ev), "the tunnel carries inner packets up to %u, expected at "
			 "least %u", eff, o->expect_mtu);
		if (eff < o->expect_mtu)
			add(res, "below-expected-mtu", PD_SEV_CRITICAL, ev,
			    "the tunnel carries %u bytes, below the expected %u", eff,
			    o->expect_mtu);
	}
	if (res->have_reco)
		fixes(res);
	(void)probed_ok;
}

/* ---- the command ---------------------------------------------------------------------- */

/* Where the inner probe goes, or why there is none. */
static void choose_inner(const struct tuncheck_opts *o, struct tuncheck_result *res)
{
	unsigned i;

	res->inner_peer = -1;
	if (o->no_inner) {
		snprintf(res->inner_skipped, sizeof(res->inner_skipped), "--no-inner");
		return;
	}
	if (o->inner) {
		snprintf(res->inner_target, sizeof(res->inner_target), "%s", o->inner);
		res->inner_source = "--inner";
		return;
	}
	for (i = 0; i < res->npeers; i++)
		if (res->peer[i].inner[0] && res->peer[i].has_endpoint) {
			snprintf(res->inner_target, sizeof(res->inner_target), "%s",
				 res->peer[i].inner);
			res->inner_source = "allowed IP of a peer";
			res->inner_peer = (int)i;
			return;
		}
	snprintf(res->inner_skipped, sizeof(res->inner_skipped),
		 res->is_wireguard ? "no peer with an endpoint has a single-host allowed IP; "
				     "give --inner HOST"
				   : "the far end's inner address is not known; give --inner HOST");
}

int mtuprobe_tunnel(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct tuncheck_result res;
	struct tuncheck_opts o;
	struct pd_nl_link l;
	unsigned i, nmeasure = 0, done = 0;
	int rc;

	if (!parse_args(ctx, argc, argv, &o, &rc))
		return rc;
	memset(&res, 0, sizeof(res));
	tool_report_init(&res.report);
	res.decisive = -1;
	res.inner_peer = -1;
	snprintf(res.ifname, sizeof(res.ifname), "%s", o.ifname);

	if (read_link(&o, &res, &l) < 0 || classify(&o, &res, &l) < 0)
		goto out;
	if (res.is_wireguard && read_wireguard(&o, &res) < 0)
		goto out;
	if (o.endpoint) {
		struct pd_nl_addr a;
		struct pd_error err = { 0 };

		/* --endpoint replaces what the link says (main checked it parses) */
		pd_nl_addr_parse(o.endpoint, &a, &err);
		if (!res.is_wireguard || res.npeers == 0) {
			memset(&res.peer[0], 0, sizeof(res.peer[0]));
			res.npeers = 1;
		}
		addr_to_peer(&a, &res.peer[0], "--endpoint");
	} else if (!res.is_wireguard && res.has_remote) {
		struct pd_nl_addr a;
		struct pd_error err = { 0 };

		pd_nl_addr_parse(res.remote, &a, &err);
		addr_to_peer(&a, &res.peer[res.npeers++], "link");
	}
	for (i = 0, rc = 0; i < res.npeers; i++)
		rc |= res.peer[i].has_endpoint;
	if (!rc)
		default_route_peer(&res, res.is_wireguard ? 0 : pd_tunmtu_link_family(&l));

	choose_inner(&o, &res);
	for (i = 0; i < res.npeers; i++)
		nmeasure += res.peer[i].has_endpoint;
	nmeasure += res.inner_target[0] != '\0';
	for (i = 0; i < res.npeers; i++) {
		if (res.peer[i].has_endpoint)
			done++;
		underlay(&res.peer[i], done == nmeasure);
	}
	if (res.inner_target[0]) {
		res.inner_probed = true;
		measure(res.inner_target, 0, res.ifname, true, &res.inner);
	}
	/* The last measurement dropped every privilege; one that failed
	 * early, or a check that measured nothing, drops them here. */
	if ((rc = tool_drop_privileges()) < 0)
		tool_report_fail(&res.report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
	conclude(&o, &res);
out:
	return tool_emit(ctx, &res.report, &res, &render);
}
