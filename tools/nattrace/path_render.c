/* path_render.c - nattrace path mode output: a tracepath-like table with the
 * changes first seen at each hop (text), and the "hops", "nat" and
 * "mss_clamp" members (JSON, nattrace.1).  Addresses, RTTs and quoted values
 * are measured (the hops' own answers); the NAT and carrier-grade
 * conclusions are derived from them; a hop that never answered is '*' /
 * null, never guessed.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "nattrace.h"

static const char *proto_name(enum pd_natpath_proto p)
{
	switch (p) {
	case PD_NATPATH_UDP:
		return "udp";
	case PD_NATPATH_TCP:
		return "tcp";
	case PD_NATPATH_ICMP:
		return "icmp";
	}
	return "?";
}

static bool hex_field(enum pd_natpath_field f)
{
	return f == PD_NP_CHECKSUM || f == PD_NP_IP_ID || f == PD_NP_IP_FLOW ||
	       f == PD_NP_TCP_SEQ || f == PD_NP_TCP_ACK || f == PD_NP_TCP_FLAGS;
}

void nattrace_change_values(const struct nattrace_path *p, const struct pd_natpath_change *c,
			    char *sent, char *quoted, size_t len)
{
	int af = p->family == 6 ? AF_INET6 : AF_INET;

	if (pd_natpath_field_is_addr(c->field)) {
		if (!inet_ntop(af, c->sent_addr, sent, (socklen_t)len))
			snprintf(sent, len, "?");
		if (!inet_ntop(af, c->quoted_addr, quoted, (socklen_t)len))
			snprintf(quoted, len, "?");
	} else if (hex_field(c->field)) {
		snprintf(sent, len, "0x%04x", (unsigned)c->sent);
		snprintf(quoted, len, "0x%04x", (unsigned)c->quoted);
	} else {
		snprintf(sent, len, "%u", (unsigned)c->sent);
		snprintf(quoted, len, "%u", (unsigned)c->quoted);
	}
}

static void verdict_line(const struct nattrace_path *p, const struct tool_report *r,
			 struct tool_out *out)
{
	const struct pd_natpath_summary *s = &p->sum;

	tool_out_printf(out, "%s %s (%s): ", pd_exit_name(tool_report_exit(r)), p->target,
			p->address);
	if (p->target_ttl)
		tool_out_printf(out, "reached at hop %u (measured)", p->target_ttl);
	else
		tool_out_printf(out, "not reached within TTL %u", p->max_hops);
	if (s->nat)
		tool_out_printf(out, "; NAT seen at hop%s", s->n_nat > 1 ? "s" : "");
	for (size_t i = 0; i < s->n_nat; i++)
		tool_out_printf(out, "%s%u", i ? "," : " ", s->nat_ttl[i]);
	if (s->nat && s->carrier_grade)
		tool_out_printf(out, " (carrier-grade, derived)");
	else if (s->nat)
		tool_out_printf(out, " (derived)");
	else
		tool_out_printf(out, "; no NAT visible in the quotes");
	if (s->mss_ttl)
		tool_out_printf(out, "; MSS clamped to %u at hop %u (measured)", s->mss_value,
				s->mss_ttl);
	tool_out_printf(out, "\n");
}

void nattrace_path_text(const struct nattrace_path *p, const struct tool_report *r,
			struct tool_out *out)
{
	unsigned i;

	if (!p->ran)
		return;
	verdict_line(p, r, out);
	tool_out_printf(out, "path: %s from %s, %s port %u%s, IPv%d, TOS 0x%02x%s%s; %u probes, "
			"%.1f ms\n", p->address, p->source, proto_name(p->proto),
			p->proto == PD_NATPATH_ICMP ? p->sport : p->dport,
			p->proto == PD_NATPATH_ICMP ? " (echo id)" : "", p->family, p->tos,
			p->df ? ", DF" : "", p->mss ? ", MSS option" : "", p->probes, p->elapsed_ms);
	tool_out_printf(out, "  %3s  %-26s %-8s %9s %6s  %s\n", "ttl", "address (measured)",
			"scope", "rtt", "quoted", "changes first seen here (field sent -> quoted)");
	for (i = 0; i < p->nhops; i++) {
		const struct nattrace_path_hop *h = &p->hop[i];
		char a[INET6_ADDRSTRLEN] = "*", rtt[16] = "*", q[16] = "-";
		size_t j, shown = 0;

		if (h->h.answered && !inet_ntop(p->family == 6 ? AF_INET6 : AF_INET, h->h.addr,
						a, sizeof(a)))
			snprintf(a, sizeof(a), "?");
		if (h->rtt_ms >= 0)
			snprintf(rtt, sizeof(rtt), "%.1f ms", h->rtt_ms);
		if (h->h.has_diff)
			snprintf(q, sizeof(q), "%uB", h->h.diff.quoted_bytes);
		tool_out_printf(out, "  %3u  %-26s %-8s %9s %6s  ", h->h.ttl, a,
				h->h.answered ? pd_natpath_scope_name(h->h.scope) : "", rtt, q);
		for (j = 0; j < h->h.diff.n && h->h.has_diff; j++) {
			char s[INET6_ADDRSTRLEN], d[INET6_ADDRSTRLEN];

			if (!h->h.is_new[j])
				continue;
			nattrace_change_values(p, &h->h.diff.change[j], s, d, sizeof(s));
			tool_out_printf(out, "%s%s %s -> %s", shown++ ? ", " : "",
					pd_natpath_field_name(h->h.diff.change[j].field, p->proto),
					s, d);
		}
		if (!shown)
			tool_out_printf(out, "%s", !h->h.answered ? "" :
					h->h.has_diff ? (h->h.diff.n ? "(as before)" : "-") :
					"(no quote)");
		if (h->h.target)
			tool_out_printf(out, "  [target, %s]", h->answer ? h->answer : "?");
		else if (h->h.answered && h->answer && h->icmp_type != 11 &&
			 !(p->family == 6 && h->icmp_type == 3))
			tool_out_printf(out, "  [%s]", h->answer);
		tool_out_printf(out, "\n");
	}
}

static json_t *addr_json(int family, const uint8_t *a)
{
	char buf[INET6_ADDRSTRLEN];

	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, sizeof(buf)))
		return json_null();
	return json_string(buf);
}

static json_t *change_json(const struct nattrace_path *p, const struct pd_natpath_hop *h,
			   size_t i)
{
	const struct pd_natpath_change *c = &h->diff.change[i];
	json_t *o = json_object();

	if (!o)
		return json_null();
	json_object_set_new(o, "field", json_string(pd_natpath_field_name(c->field, p->proto)));
	if (pd_natpath_field_is_addr(c->field)) {
		json_object_set_new(o, "sent", addr_json(p->family, c->sent_addr));
		json_object_set_new(o, "quoted", addr_json(p->family, c->quoted_addr));
	} else {
		json_object_set_new(o, "sent", json_integer(c->sent));
		json_object_set_new(o, "quoted", json_integer(c->quoted));
	}
	json_object_set_new(o, "new", json_boolean(h->is_new[i]));
	return o;
}

static json_t *hop_json(const struct nattrace_path *p, const struct nattrace_path_hop *h)
{
	json_t *o = json_object(), *ch;
	size_t i;

	if (!o)
		return json_null();
	json_object_set_new(o, "ttl", json_integer(h->h.ttl));
	json_object_set_new(o, "address", h->h.answered ? addr_json(p->family, h->h.addr)
						       : json_null());
	json_object_set_new(o, "scope", h->h.answered ?
			    json_string(pd_natpath_scope_name(h->h.scope)) : json_null());
	json_object_set_new(o, "answer", h->answer ? json_string(h->answer) : json_null());
	json_object_set_new(o, "target", json_boolean(h->h.target));
	json_object_set_new(o, "rtt_ms", h->rtt_ms >= 0 ? json_real(h->rtt_ms) : json_null());
	json_object_set_new(o, "quoted_bytes", h->h.has_diff ?
			    json_integer(h->h.diff.quoted_bytes) : json_null());
	json_object_set_new(o, "quoted_transport_bytes", h->h.has_diff ?
			    json_integer(h->h.diff.transport_bytes) : json_null());
	json_object_set_new(o, "quoted_ttl", h->h.has_diff ?
			    json_integer(h->h.diff.quoted_ttl) : json_null());
	json_object_set_new(o, "probes", json_integer(h->sent));
	json_object_set_new(o, "answers", json_integer(h->answers));
	json_object_set_new(o, "provenance", json_string("measured"));
	ch = json_array();
	for (i = 0; ch && h->h.has_diff && i < h->h.diff.n; i++)
		json_array_append_new(ch, change_json(p, &h->h, i));
	json_object_set_new(o, "changes", ch ? ch : json_null());
	return o;
}

static json_t *nat_json(const struct nattrace_path *p)
{
	const struct pd_natpath_summary *s = &p->sum;
	json_t *o = json_object(), *at = json_array(), *rest = json_array();
	size_t i;

	if (!o)
		return json_null();
	for (i = 0; at && rest && i < s->n_nat; i++) {
		json_array_append_new(at, json_integer(s->nat_ttl[i]));
		if (s->nat_restored[i])
			json_array_append_new(rest, json_integer(s->nat_ttl[i]));
	}
	/* Path probes can show a NAT, never prove there is none. */
	json_object_set_new(o, "present", s->nat ? json_true() : json_null());
	json_object_set_new(o, "at_hops", at ? at : json_null());
	json_object_set_new(o, "restored_quote_hops", rest ? rest : json_null());
	json_object_set_new(o, "carrier_grade", s->nat ? json_boolean(s->carrier_grade)
						       : json_null());
	json_object_set_new(o, "customer_router_hop", s->customer_ttl ?
			    json_integer(s->customer_ttl) : json_null());
	json_object_set_new(o, "shared_space_hop", s->shared_ttl ? json_integer(s->shared_ttl)
								 : json_null());
	json_object_set_new(o, "mapping", json_null());
	json_object_set_new(o, "port_preserved", json_null());
	json_object_set_new(o, "hairpin", json_null());
	json_object_set_new(o, "provenance", json_string("derived"));
	return o;
}

static json_t *mss_json(const struct nattrace_path *p)
{
	const struct pd_natpath_summary *s = &p->sum;
	json_t *o;

	if (!s->mss_ttl)
		return json_null();
	o = json_object();
	if (!o)
		return json_null();
	json_object_set_new(o, "at_hop", json_integer(s->mss_ttl));
	json_object_set_new(o, "value", json_integer(s->mss_value));
	json_object_set_new(o, "sent", json_integer(s->mss_sent));
	json_object_set_new(o, "provenance", json_string("measured"));
	return o;
}

void nattrace_path_json(const struct nattrace_path *p, json_t *doc)
{
	json_t *hops, *probe;
	unsigned i;

	json_object_set_new(doc, "mode", json_string("path"));
	json_object_set_new(doc, "target", p->target[0] ? pd_json_string(p->target)
							: json_null());
	json_object_set_new(doc, "address", p->address[0] ? json_string(p->address)
							  : json_null());
	if (!p->ran) {
		json_object_set_new(doc, "hops", json_null());
		json_object_set_new(doc, "nat", json_null());
		json_object_set_new(doc, "mss_clamp", json_null());
		return;
	}
	json_object_set_new(doc, "source", json_string(p->source));
	json_object_set_new(doc, "family", json_integer(p->family));
	probe = json_object();
	if (probe) {
		json_object_set_new(probe, "protocol", json_string(proto_name(p->proto)));
		json_object_set_new(probe, "sport", json_integer(p->sport));
		json_object_set_new(probe, "dport", p->proto == PD_NATPATH_ICMP ? json_null()
									: json_integer(p->dport));
		json_object_set_new(probe, "tos", json_integer(p->tos));
		json_object_set_new(probe, "df", json_boolean(p->df));
		json_object_set_new(probe, "mss", p->mss ? json_integer(p->mss) : json_null());
		json_object_set_new(probe, "first_hop", json_integer(p->first_hop));
		json_object_set_new(probe, "max_hops", json_integer(p->max_hops));
		json_object_set_new(probe, "queries", json_integer(p->queries));
		json_object_set_new(probe, "wait_ms", json_integer(p->wait_ms));
		json_object_set_new(probe, "provenance", json_string("configured"));
	}
	json_object_set_new(doc, "probe", probe ? probe : json_null());
	hops = json_array();
	for (i = 0; hops && i < p->nhops; i++)
		json_array_append_new(hops, hop_json(p, &p->hop[i]));
	json_object_set_new(doc, "hops", hops ? hops : json_null());
	json_object_set_new(doc, "target_ttl", p->target_ttl ? json_integer(p->target_ttl)
							     : json_null());
	json_object_set_new(doc, "nat", nat_json(p));
	json_object_set_new(doc, "mss_clamp", mss_json(p));
	json_object_set_new(doc, "probes_sent", json_integer(p->probes));
	json_object_set_new(doc, "answers", json_integer(p->answers));
	json_object_set_new(doc, "ignored_answers", json_integer(p->ignored));
	json_object_set_new(doc, "elapsed_ms", json_real(p->elapsed_ms));
}
