/* peer_render.c - what `nattrace --peer` concludes and shows: the findings
 * (no-nat, nat-detected, carrier-grade-nat, nat-mapping-dependent,
 * nat-mapping-incomplete, port-not-preserved, hairpin-*, peer-endpoint-
 * silent), the "peer" part of the text and the "nat" / "peer" members of
 * the JSON document (docs/nattrace.1, WITH A PEER).  Observations are
 * measured; every conclusion is derived.
 */
#include <stdio.h>
#include <string.h>

#include "nattrace.h"

static const char *ep(const struct pd_peer_addr *a, char *buf, size_t len)
{
	if (pd_peer_addr_format(a, true, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

static const char *ad(const struct pd_peer_addr *a, char *buf, size_t len)
{
	if (pd_peer_addr_format(a, false, buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

/* The first answered observation (there is one whenever r.answered). */
static const struct pd_natmap_obs *first_answer(const struct nattrace_peer *p)
{
	size_t i;

	for (i = 0; i < p->in.n; i++)
		if (p->in.obs[i].answered)
			return &p->in.obs[i];
	return NULL;
}

/* Why carrier-grade NAT was concluded, one phrase. */
static void cgn_basis(const struct nattrace_peer *p, char *buf, size_t len)
{
	const struct pd_natmap_result *r = &p->r;
	char a[64];

	if (r->cgn_local_shared)
		snprintf(buf, len, "our own address is in 100.64.0.0/10 (RFC 6598 shared space) "
			 "and the responder saw a translated address outside it");
	else if (r->cgn_hop)
		snprintf(buf, len, "hop %d (%s) is in 100.64.0.0/10 (RFC 6598 shared space) and "
			 "the responder saw a translated address outside it", r->cgn_hop,
			 ad(&p->in.hop[r->cgn_hop - 1], a, sizeof(a)));
	else if (r->seen_shared)
		snprintf(buf, len, "the responder saw an address in 100.64.0.0/10: our NAT's "
			 "outside is the carrier's shared space");
	else if (r->carrier_grade == PD_NATMAP_NO)
		snprintf(buf, len, "no NAT between here and the responder");
	else
		snprintf(buf, len, "no shared-space (100.64.0.0/10) address on our side or in "
			 "the hops that answered; a carrier NAT using other space cannot be "
			 "ruled out");
}

static void mapping_basis(const struct nattrace_peer *p, char *buf, size_t len)
{
	const struct pd_natmap_result *r = &p->r;

	if (r->present != PD_NATMAP_YES)
		snprintf(buf, len, "no NAT: no mapping to classify");
	else if (r->mapping_varies_port)
		snprintf(buf, len, "two ports of one responder address saw two different "
			 "external address:port pairs");
	else if (r->addresses >= 2)
		snprintf(buf, len, "%zu responder addresses saw %s external address:port",
			 r->addresses, r->mapping_varies_addr ? "different" : "the same");
	else if (r->ports >= 2)
		snprintf(buf, len, "%zu ports of one responder address saw the same external "
			 "address:port; a second responder address (--peer-addr) would tell "
			 "endpoint-independent from address-dependent", r->ports);
	else
		snprintf(buf, len, "one responder endpoint answered: give --peer-port twice "
			 "(and --peer-addr) to classify the mapping");
}

void nattrace_peer_conclude(const struct nattrace_peer *p, struct tool_report *rep)
{
	const struct pd_natmap_result *r = &p->r;
	const struct pd_natmap_obs *o = first_answer(p);
	char ev[PD_FINDING_EVIDENCE_MAX], a[64], b[64], basis[256];
	size_t i;

	if (!p->ran || !o)
		return;
	for (i = 0; i < p->in.n; i++)
		if (!p->in.obs[i].answered)
			tool_report_add(rep, "peer-endpoint-silent", PD_SEV_INFO, NULL,
					"the responder did not answer at %s (is `mtuprobe serve` "
					"listening there, e.g. -p %u?)",
					ep(&p->in.obs[i].server, a, sizeof(a)),
					p->in.obs[i].server.port);
	snprintf(ev, sizeof(ev), "sent from %s, the responder saw %s",
		 ep(&o->local, a, sizeof(a)), ep(&o->seen, b, sizeof(b)));
	if (r->present == PD_NATMAP_NO) {
		tool_report_add(rep, "no-nat", PD_SEV_INFO, ev, "no NAT between here and %s: "
				"the responder saw our own address and port", p->address);
		return;
	}
	tool_report_add(rep, "nat-detected", PD_SEV_INFO, ev, "a NAT is on the path: %s",
			r->address_translated == PD_NATMAP_YES ? "the responder saw another address"
							       : "the port was rewritten");
	if (r->carrier_grade == PD_NATMAP_YES) {
		cgn_basis(p, basis, sizeof(basis));
		tool_report_add(rep, "carrier-grade-nat", PD_SEV_WARNING, basis,
				"carrier-grade NAT: connections into this network over IPv4 (port "
				"forwarding, servers, some VPNs) cannot work; use IPv6, or a tunnel "
				"to a host with a public IPv4 address");
	}
	mapping_basis(p, basis, sizeof(basis));
	if (r->mapping == PD_MAP_APDM || r->mapping == PD_MAP_ADM)
		tool_report_add(rep, "nat-mapping-dependent", PD_SEV_WARNING, basis,
				"the NAT's mapping is %s (RFC 4787 REQ-1 wants endpoint-"
				"independent): peer-to-peer UDP through it (hole punching, "
				"STUN-learned addresses) will fail", pd_natmap_mapping_name(r->mapping));
	else if (r->mapping != PD_MAP_EIM)
		tool_report_add(rep, "nat-mapping-incomplete", PD_SEV_INFO, basis,
				"mapping behaviour %s", r->mapping == PD_MAP_EIM_OR_ADM ?
				"endpoint-independent or address-dependent" :
				"not determined");
	if (r->port_preserved == PD_NATMAP_NO)
		tool_report_add(rep, "port-not-preserved", PD_SEV_INFO, ev,
				"the NAT does not keep the local source port");
	switch (r->hairpin) {
	case PD_HAIRPIN_NONE:
		snprintf(ev, sizeof(ev), "sent from %s to our mapping %s: nothing arrived",
			 ep(&p->in.hp_local, a, sizeof(a)), ep(&o->seen, b, sizeof(b)));
		tool_report_add(rep, "hairpin-none", PD_SEV_WARNING, ev,
				"no hairpinning: hosts behind this NAT cannot reach each other at "
				"their public addresses (or its filtering drops them)");
		break;
	case PD_HAIRPIN_INTERNAL:
		snprintf(ev, sizeof(ev), "arrived from %s, the sender's local address",
			 ep(&p->in.hp_from, a, sizeof(a)));
		tool_report_add(rep, "hairpin-internal-source", PD_SEV_WARNING, ev,
				"hairpinning without source translation (RFC 4787 REQ-9): the "
				"receiver sees a private address it cannot answer publicly");
		break;
	case PD_HAIRPIN_OTHER:
		snprintf(ev, sizeof(ev), "arrived from %s", ep(&p->in.hp_from, a, sizeof(a)));
		tool_report_add(rep, "hairpin-other-source", PD_SEV_INFO, ev,
				"hairpinning works, but the receiver sees %s, not the sender's "
				"external mapping", ad(&p->in.hp_from, b, sizeof(b)));
		break;
	default:
		break;
	}
}

/* ---- text ------------------------------------------------------------------ */

static const char *tri(enum pd_natmap_tri t, const char *yes, const char *no)
{
	return t == PD_NATMAP_YES ? yes : t == PD_NATMAP_NO ? no : "unknown";
}

void nattrace_peer_text(const struct nattrace_peer *p, struct tool_out *out)
{
	const struct pd_natmap_result *r = &p->r;
	char a[64], b[64], c[64], basis[256];
	size_t i;

	if (!p->ran)
		return;
	tool_out_printf(out, "peer %s (%s)%s%s: %zu of %zu responder endpoints answered\n",
			p->target, p->address, p->software[0] ? ", " : "", p->software,
			r->answered, p->in.n);
	for (i = 0; i < p->in.n; i++) {
		const struct pd_natmap_obs *o = &p->in.obs[i];

		if (o->answered)
			tool_out_printf(out, "  %-24s sent from %s, seen as %s (measured)\n",
					ep(&o->server, a, sizeof(a)), ep(&o->local, b, sizeof(b)),
					ep(&o->seen, c, sizeof(c)));
		else
			tool_out_printf(out, "  %-24s no answer\n", ep(&o->server, a, sizeof(a)));
	}
	if (p->hops_scanned) {
		tool_out_printf(out, "hops towards it (measured):");
		for (i = 0; i < p->in.n_hops; i++)
			tool_out_printf(out, " %zu %s", i + 1, p->in.hop[i].family ?
					ad(&p->in.hop[i], a, sizeof(a)) : "*");
		tool_out_printf(out, "%s\n", p->in.n_hops ? "" : " none answered");
	}
	if (!r->answered)
		return;
	tool_out_printf(out, "NAT: %s (derived)", tri(r->present, "present", "absent"));
	if (r->present == PD_NATMAP_YES)
		tool_out_printf(out, ": address %s, port %s",
				tri(r->address_translated, "translated", "kept"),
				tri(r->port_preserved, "preserved", "changed"));
	else if (r->present == PD_NATMAP_NO)
		tool_out_printf(out, ", port preserved");
	tool_out_printf(out, "\n");
	cgn_basis(p, basis, sizeof(basis));
	tool_out_printf(out, "carrier-grade NAT: %s (derived: %s)\n",
			tri(r->carrier_grade, "yes", "no"), basis);
	if (r->present == PD_NATMAP_YES) {
		mapping_basis(p, basis, sizeof(basis));
		tool_out_printf(out, "mapping: %s (derived: %s)\n",
				r->mapping ? pd_natmap_mapping_name(r->mapping) : "unknown", basis);
	}
	if (p->hairpin_skipped)
		tool_out_printf(out, "hairpin: not tested (%s)\n", p->hairpin_skipped);
	else if (r->hairpin == PD_HAIRPIN_NOT_APPLICABLE)
		tool_out_printf(out, "hairpin: not applicable (no NAT)\n");
	else if (r->hairpin != PD_HAIRPIN_NOT_TESTED)
		tool_out_printf(out, "hairpin: %s (measured: from %s to %s%s%s)\n",
				pd_natmap_hairpin_name(r->hairpin),
				ep(&p->in.hp_local, a, sizeof(a)),
				ep(&p->in.obs[0].seen, b, sizeof(b)),
				p->in.hp_arrived ? ", arrived from " : ", nothing arrived",
				p->in.hp_arrived ? ep(&p->in.hp_from, c, sizeof(c)) : "");
}

/* ---- JSON ------------------------------------------------------------------ */

static json_t *tri_json(enum pd_natmap_tri t)
{
	return t == PD_NATMAP_UNKNOWN ? json_null() : json_boolean(t == PD_NATMAP_YES);
}

static json_t *str_or_null(const char *s)
{
	return s ? json_string(s) : json_null();
}

static json_t *addr_json(const struct pd_peer_addr *a)
{
	char buf[64];

	return a->family ? json_string(ad(a, buf, sizeof(buf))) : json_null();
}

static json_t *obs_json(const struct pd_natmap_obs *o)
{
	json_t *j = json_object();

	if (!j)
		return json_null();
	json_object_set_new(j, "server_address", addr_json(&o->server));
	json_object_set_new(j, "server_port", json_integer(o->server.port));
	json_object_set_new(j, "answered", json_boolean(o->answered));
	json_object_set_new(j, "local_address", o->answered ? addr_json(&o->local) : json_null());
	json_object_set_new(j, "local_port", o->answered ? json_integer(o->local.port)
							 : json_null());
	json_object_set_new(j, "seen_address", o->answered ? addr_json(&o->seen) : json_null());
	json_object_set_new(j, "seen_port", o->answered ? json_integer(o->seen.port)
							: json_null());
	json_object_set_new(j, "provenance", json_string("measured"));
	return j;
}

static json_t *hairpin_json(const struct nattrace_peer *p)
{
	const struct pd_natmap_input *in = &p->in;
	json_t *j;

	if (!in->hairpin_tested || p->r.hairpin == PD_HAIRPIN_NOT_APPLICABLE)
		return json_null();
	j = json_object();
	if (!j)
		return json_null();
	json_object_set_new(j, "local_address", addr_json(&in->hp_local));
	json_object_set_new(j, "local_port", json_integer(in->hp_local.port));
	json_object_set_new(j, "mapped_address", in->hp_mapped_known ?
			    addr_json(&in->hp_mapped) : json_null());
	json_object_set_new(j, "mapped_port", in->hp_mapped_known ?
			    json_integer(in->hp_mapped.port) : json_null());
	json_object_set_new(j, "sent_to_address", addr_json(&in->obs[0].seen));
	json_object_set_new(j, "sent_to_port", json_integer(in->obs[0].seen.port));
	json_object_set_new(j, "arrived", json_boolean(in->hp_arrived));
	json_object_set_new(j, "from_address", in->hp_arrived ? addr_json(&in->hp_from)
							      : json_null());
	json_object_set_new(j, "from_port", in->hp_arrived ? json_integer(in->hp_from.port)
							   : json_null());
	json_object_set_new(j, "provenance", json_string("measured"));
	return j;
}

/* The members of "nat" the peer part owns; path mode may have made the
 * object (then a NAT it found stays found). */
static void nat_json(const struct nattrace_peer *p, json_t *doc)
{
	const struct pd_natmap_result *r = &p->r;
	json_t *nat = json_object_get(doc, "nat");
	char basis[256];
	enum pd_natmap_hairpin h = r->hairpin;

	if (!json_is_object(nat)) {
		nat = json_object();
		if (!nat)
			return;
		json_object_set_new(doc, "nat", nat);
	}
	if (!json_is_true(json_object_get(nat, "present")) || r->present == PD_NATMAP_YES)
		json_object_set_new(nat, "present", tri_json(r->present));
	if (!json_is_true(json_object_get(nat, "carrier_grade")) ||
	    r->carrier_grade == PD_NATMAP_YES)
		json_object_set_new(nat, "carrier_grade", tri_json(r->carrier_grade));
	cgn_basis(p, basis, sizeof(basis));
	json_object_set_new(nat, "carrier_grade_basis", r->answered ? json_string(basis)
								    : json_null());
	json_object_set_new(nat, "mapping", str_or_null(pd_natmap_mapping_name(r->mapping)));
	mapping_basis(p, basis, sizeof(basis));
	json_object_set_new(nat, "mapping_basis", r->answered ? json_string(basis)
							      : json_null());
	json_object_set_new(nat, "port_preserved", tri_json(r->port_preserved));
	json_object_set_new(nat, "hairpin", h == PD_HAIRPIN_NOT_TESTED ||
			    h == PD_HAIRPIN_NOT_APPLICABLE ? json_null()
			    : json_boolean(h != PD_HAIRPIN_NONE));
	json_object_set_new(nat, "hairpin_source", h == PD_HAIRPIN_NONE ? json_null()
			    : str_or_null(pd_natmap_hairpin_name(h)));
	json_object_set_new(nat, "provenance", json_string("derived"));
}

void nattrace_peer_json(const struct nattrace_peer *p, json_t *doc)
{
	json_t *j, *obs, *hops;
	size_t i;

	if (!p->ran) {
		json_object_set_new(doc, "peer", json_null());
		return;
	}
	json_object_set_new(doc, "mode", json_string("peer"));
	json_object_set_new(doc, "target", json_string(p->target));
	json_object_set_new(doc, "address", json_string(p->address));
	nat_json(p, doc);
	j = json_object();
	if (!j)
		return;
	json_object_set_new(j, "target", json_string(p->target));
	json_object_set_new(j, "address", json_string(p->address));
	json_object_set_new(j, "family", json_integer(p->family));
	json_object_set_new(j, "software", p->software[0] ? json_string(p->software)
							  : json_null());
	json_object_set_new(j, "hellos_sent", json_integer(p->hellos));
	obs = json_array();
	for (i = 0; obs && i < p->in.n; i++)
		json_array_append_new(obs, obs_json(&p->in.obs[i]));
	json_object_set_new(j, "observations", obs ? obs : json_null());
	hops = p->hops_scanned ? json_array() : NULL;
	for (i = 0; hops && i < p->in.n_hops; i++) {
		json_t *h = json_object();

		if (!h)
			continue;
		json_object_set_new(h, "ttl", json_integer((json_int_t)i + 1));
		json_object_set_new(h, "address", addr_json(&p->in.hop[i]));
		json_array_append_new(hops, h);
	}
	json_object_set_new(j, "hops", hops ? hops : json_null());
	json_object_set_new(j, "hairpin", hairpin_json(p));
	json_object_set_new(j, "hairpin_skipped", str_or_null(p->hairpin_skipped));
	json_object_set_new(doc, "peer", j);
}
