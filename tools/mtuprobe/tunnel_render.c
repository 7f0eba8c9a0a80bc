/* tunnel_render.c - `mtuprobe tunnel`'s result for people and as JSON
 * (fields documented in mtuprobe.1, TUNNEL).  Every number says whether it
 * was measured, derived or configured.
 */
#include <stdio.h>

#include "tuncheck.h"

static const char *fix_label[PD_TUNFIX_COUNT] = {
	"wg-quick:", "iproute2:", "nftables:", "nftables:", "iptables:", "ip6tables:",
};

static const char *pmtud_text(const struct mtuprobe_result *r)
{
	switch (r->search.pmtud) {
	case PD_PMTUD_WORKS:
		return "PMTUD works";
	case PD_PMTUD_BLACKHOLE:
		return "black hole above it";
	case PD_PMTUD_LOCAL:
		return "limited by the local MTU";
	case PD_PMTUD_WRONG_MTU:
		return "ICMP errors report a wrong MTU";
	case PD_PMTUD_UNKNOWN:
		break;
	}
	return "PMTUD unknown";
}

static void headline(const struct tuncheck_result *r, struct tool_out *out)
{
	const struct tuncheck_peer *p = r->decisive >= 0 ? &r->peer[r->decisive] : NULL;
	const char *v = pd_exit_name(tool_report_exit(&r->report));

	if (!p) {
		tool_out_printf(out, "%s %s: tunnel MTU %u (configured); nothing to check it "
				"against\n", v, r->ifname, r->mtu);
		return;
	}
	switch (r->state) {
	case PD_TUNMTU_TOO_BIG:
		tool_out_printf(out, "%s %s: tunnel MTU %u is too big; the path carries %u "
				"(derived: %u - %u), set MTU %u\n", v, r->ifname, r->mtu,
				p->v.recommended, p->path_mtu, p->overhead, p->v.recommended);
		break;
	case PD_TUNMTU_NO_ROOM:
		tool_out_printf(out, "%s %s: the path (MTU %u) cannot carry %s's %u bytes of "
				"overhead\n", v, r->ifname, p->path_mtu, p->spec, p->overhead);
		break;
	case PD_TUNMTU_BELOW:
		tool_out_printf(out, "%s %s: tunnel MTU %u fits; the path carries %u (derived: "
				"%u - %u)\n", v, r->ifname, r->mtu, p->v.recommended, p->path_mtu,
				p->overhead);
		break;
	case PD_TUNMTU_OK:
		tool_out_printf(out, "%s %s: tunnel MTU %u is right; the path carries exactly %u "
				"(derived: %u - %u)\n", v, r->ifname, r->mtu, p->v.recommended,
				p->path_mtu, p->overhead);
		break;
	}
}

static void peer_text(const struct tuncheck_result *r, const struct tuncheck_peer *p,
		      struct tool_out *out)
{
	if (p->key[0])
		tool_out_printf(out, "  peer:       %s\n", p->key);
	if (p->has_endpoint)
		tool_out_printf(out, "    endpoint: %s%s%s%s%.0u (%s, IPv%d)\n",
				p->family == 6 ? "[" : "", p->endpoint, p->family == 6 ? "]" : "",
				p->port ? ":" : "", p->port, p->endpoint_source, p->family);
	else
		tool_out_printf(out, "    endpoint: none known; the underlay is the default "
				"route's (IPv%d)\n", p->family);
	if (p->route_ok)
		tool_out_printf(out, "    underlay: via %s, link MTU %u (configured), route MTU %u "
				"(%s)\n", p->under_dev, p->under_link_mtu, p->under_route_mtu,
				p->under_mtu_source);
	if (p->probed && p->path_prov == PD_PROV_MEASURED && p->probe.searched &&
	    p->probe.search.status == PD_SEARCH_FOUND)
		tool_out_printf(out, "    path MTU: %u (measured, %s, %s)\n", p->path_mtu,
				pd_probe_method_name(p->probe.method), pmtud_text(&p->probe));
	else if (p->path_mtu)
		tool_out_printf(out, "    path MTU: %u (%s: the route's MTU, an upper bound%s%s)\n",
				p->path_mtu, pd_provenance_name(p->path_prov),
				p->probe_error[0] ? "; probing: " : "", p->probe_error);
	else
		tool_out_printf(out, "    path MTU: unknown%s%s\n",
				p->probe_error[0] ? ": " : "", p->probe_error);
	if (!p->spec_ok)
		tool_out_printf(out, "    overhead: unknown: %s\n", p->spec_error);
	else if (p->checked && p->v.state != PD_TUNMTU_NO_ROOM)
		tool_out_printf(out, "    right MTU: %u (derived: %u - %u for %s over IPv%d); "
				"%s\n", p->v.recommended, p->path_mtu, p->overhead, p->spec,
				p->family, pd_tunmtu_state_name(p->v.state));
	(void)r;
}

static void inner_text(const struct tuncheck_result *r, struct tool_out *out)
{
	const struct mtuprobe_result *i = &r->inner;
	const struct pd_search_result *s = &i->search;

	if (!r->inner_probed) {
		tool_out_printf(out, "  inner:      not probed: %s\n", r->inner_skipped);
		return;
	}
	tool_out_printf(out, "  inner:      %s (%s) through %s: ", r->inner_target,
			r->inner_source, r->ifname);
	if (i->report.error[0] || !i->searched || s->status == PD_SEARCH_UNKNOWN) {
		tool_out_printf(out, "no answer%s%s\n", i->report.error[0] ? ": " : "",
				i->report.error);
		return;
	}
	tool_out_printf(out, "largest ok %u (measured, %s)", s->largest_ok,
			pd_probe_method_name(i->method));
	if (s->smallest_lost)
		tool_out_printf(out, ", %u lost (measured; %s)", s->smallest_lost,
				pmtud_text(i));
	tool_out_printf(out, "\n");
	if (r->decisive >= 0 && r->state == PD_TUNMTU_TOO_BIG)
		tool_out_printf(out, "              unfragmented: largest %u (derived%s)%s\n",
				r->peer[r->decisive].v.largest_inner,
				r->is_wireguard ? ": WireGuard pads to 16 bytes, capped at the MTU"
						: "",
				r->outer_fragmented ? "; larger ones crossed fragmented" : "");
}

void tuncheck_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct tuncheck_result *r = result;
	unsigned i;

	if (!r->have_link || !r->type) {
		tool_report_text(ctx, &r->report, out);
		return;
	}
	if (!r->report.error[0]) {
		headline(r, out);
		tool_out_printf(out, "  tunnel:     %s, %s%s%s%s, MTU %u (configured), %s\n",
				r->ifname, r->encap, r->encap_from_option ? " (--encap)" : "",
				r->impl ? ", " : "", r->impl ? r->impl : "", r->mtu, r->operstate);
		if (r->has_local || r->has_remote)
			tool_out_printf(out, "  addresses:  local %s, remote %s (configured)\n",
					r->has_local ? r->local : "any",
					r->has_remote ? r->remote : "none");
		if (r->has_encap_limit || r->adds_tel)
			tool_out_printf(out, "  encaplimit: %s (configured; the option adds 8 "
					"bytes)\n", r->adds_tel ? "on" : "none");
		for (i = 0; i < r->npeers; i++)
			peer_text(r, &r->peer[i], out);
		inner_text(r, out);
		if (r->have_reco)
			tool_out_printf(out, "  MSS:        %u (IPv4), %u (IPv6) (derived from MTU "
					"%u)\n", r->mss4, r->mss6, r->recommended);
		if (r->have_fix && r->state != PD_TUNMTU_OK) {
			tool_out_printf(out, r->fix_needed ? "fix (MTU %u):\n"
							   : "to use the whole path (MTU %u):\n",
					r->recommended);
			for (i = 0; i < PD_TUNFIX_COUNT; i++)
				if (r->fix[i][0])
					tool_out_printf(out, "  %-11s %s\n", fix_label[i], r->fix[i]);
		}
	}
	tool_report_text(ctx, &r->report, out);
}

/* ---- JSON ------------------------------------------------------------------------------ */

static json_t *uint_or_null(unsigned v, bool known)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? pd_json_string(s) : json_null();
}

static json_t *peer_json(const struct tuncheck_peer *p)
{
	json_t *o = json_object();
	bool found = p->probed && p->probe.searched && p->probe.search.status == PD_SEARCH_FOUND;
	bool reco = p->checked && p->v.state != PD_TUNMTU_NO_ROOM;

	if (!o)
		return NULL;
	json_object_set_new(o, "public_key", str_or_null(p->key));
	json_object_set_new(o, "endpoint", str_or_null(p->endpoint));
	json_object_set_new(o, "port", uint_or_null(p->port, p->port != 0));
	json_object_set_new(o, "family", p->family ? json_integer(p->family) : json_null());
	json_object_set_new(o, "endpoint_source", str_or_null(p->endpoint_source));
	json_object_set_new(o, "inner_address", str_or_null(p->inner));
	json_object_set_new(o, "encap", str_or_null(p->spec));
	json_object_set_new(o, "overhead", uint_or_null(p->overhead, p->spec_ok));
	json_object_set_new(o, "underlay_dev", str_or_null(p->under_dev));
	json_object_set_new(o, "underlay_link_mtu", uint_or_null(p->under_link_mtu, p->route_ok));
	json_object_set_new(o, "underlay_route_mtu", uint_or_null(p->under_route_mtu,
								   p->route_ok));
	json_object_set_new(o, "path_mtu", uint_or_null(p->path_mtu, p->path_mtu != 0));
	json_object_set_new(o, "path_mtu_provenance",
			    json_string(pd_provenance_name(p->path_mtu ? p->path_prov
								       : PD_PROV_UNKNOWN)));
	json_object_set_new(o, "method", found ? json_string(pd_probe_method_name(p->probe.method))
					       : json_null());
	json_object_set_new(o, "pmtud", found ? json_string(pd_pmtud_name(p->probe.search.pmtud))
					      : json_null());
	json_object_set_new(o, "probe_error", str_or_null(p->probe_error));
	json_object_set_new(o, "recommended_mtu", uint_or_null(p->v.recommended, reco));
	json_object_set_new(o, "state", p->checked ? json_string(pd_tunmtu_state_name(p->v.state))
						   : json_null());
	return o;
}

static json_t *inner_json(const struct tuncheck_result *r)
{
	const struct mtuprobe_result *i = &r->inner;
	const struct pd_search_result *s = &i->search;
	bool ran = r->inner_probed && i->searched && s->status != PD_SEARCH_UNKNOWN;
	bool pred = r->decisive >= 0 && r->peer[r->decisive].checked &&
		    r->state != PD_TUNMTU_NO_ROOM;
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "target", str_or_null(r->inner_target));
	json_object_set_new(o, "source", str_or_null(r->inner_source));
	json_object_set_new(o, "probed", json_boolean(r->inner_probed));
	json_object_set_new(o, "skipped", str_or_null(r->inner_skipped));
	json_object_set_new(o, "method", ran ? json_string(pd_probe_method_name(i->method))
					     : json_null());
	json_object_set_new(o, "largest_ok", uint_or_null(s->largest_ok, ran && s->largest_ok));
	json_object_set_new(o, "smallest_lost", uint_or_null(s->smallest_lost,
							     ran && s->smallest_lost));
	json_object_set_new(o, "pmtu", uint_or_null(s->pmtu, ran && s->status == PD_SEARCH_FOUND));
	json_object_set_new(o, "pmtud", ran ? json_string(pd_pmtud_name(i->search.pmtud))
					    : json_null());
	json_object_set_new(o, "predicted_largest",
			    uint_or_null(pred ? r->peer[r->decisive].v.largest_inner : 0, pred));
	json_object_set_new(o, "outer_fragmented", ran ? json_boolean(r->outer_fragmented)
						       : json_null());
	json_object_set_new(o, "kernel_pmtu", uint_or_null(r->kernel_pmtu, r->kernel_pmtu != 0));
	json_object_set_new(o, "error", r->inner_probed ? str_or_null(i->report.error)
							: json_null());
	return o;
}

json_t *tuncheck_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct tuncheck_result *r = result;
	json_t *doc = tool_report_json(ctx, &r->report), *peers, *fix;
	const struct tuncheck_peer *p = r->decisive >= 0 ? &r->peer[r->decisive] : NULL;
	unsigned i;

	if (!doc)
		return NULL;
	json_object_set_new(doc, "command", json_string("tunnel"));
	json_object_set_new(doc, "interface", pd_json_string(r->ifname));
	json_object_set_new(doc, "kind", r->have_link ? json_string(r->kind) : json_null());
	json_object_set_new(doc, "type", str_or_null(r->type));
	json_object_set_new(doc, "implementation", str_or_null(r->impl));
	json_object_set_new(doc, "mtu", uint_or_null(r->mtu, r->have_link));
	json_object_set_new(doc, "operstate", str_or_null(r->operstate));
	json_object_set_new(doc, "encap", str_or_null(r->encap));
	json_object_set_new(doc, "local", r->has_local ? json_string(r->local) : json_null());
	json_object_set_new(doc, "remote", r->has_remote ? json_string(r->remote) : json_null());
	json_object_set_new(doc, "encap_limit_option", r->has_encap_limit || r->adds_tel
			    ? json_boolean(r->adds_tel) : json_null());
	json_object_set_new(doc, "peers_total", json_integer((json_int_t)r->peers_total));
	peers = json_array();
	for (i = 0; peers && i < r->npeers; i++)
		json_array_append_new(peers, peer_json(&r->peer[i]));
	json_object_set_new(doc, "peers", peers ? peers : json_null());
	json_object_set_new(doc, "path_mtu", uint_or_null(p ? p->path_mtu : 0, p != NULL));
	json_object_set_new(doc, "path_mtu_provenance",
			    p ? json_string(pd_provenance_name(p->path_prov)) : json_null());
	json_object_set_new(doc, "overhead", uint_or_null(p ? p->overhead : 0, p != NULL));
	json_object_set_new(doc, "recommended_mtu", uint_or_null(r->recommended, r->have_reco));
	json_object_set_new(doc, "mss_ipv4", uint_or_null(r->mss4, r->have_reco && r->mss4));
	json_object_set_new(doc, "mss_ipv6", uint_or_null(r->mss6, r->have_reco && r->mss6));
	json_object_set_new(doc, "state", p ? json_string(pd_tunmtu_state_name(r->state))
					    : json_null());
	json_object_set_new(doc, "inner", r->have_link && r->type ? inner_json(r) : json_null());
	fix = r->have_fix ? json_object() : NULL;
	for (i = 0; fix && i < PD_TUNFIX_COUNT; i++)
		json_object_set_new(fix, pd_tunmtu_fix_name((enum pd_tunmtu_fix)i),
				    str_or_null(r->fix[i]));
	json_object_set_new(doc, "fix", fix ? fix : json_null());
	json_object_set_new(doc, "fix_needed", json_boolean(r->fix_needed));
	json_object_set_new(doc, "expect_mtu", uint_or_null(r->expect_mtu, r->expect_mtu != 0));
	return doc;
}
