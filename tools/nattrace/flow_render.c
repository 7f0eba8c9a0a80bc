/* flow_render.c - `nattrace flow`'s result for people and as JSON (fields
 * documented in nattrace.1, FLOW).  Rules, routes and sysctls are
 * configuration (the kernel's state), conntrack entries are observed
 * (measured) state; the rule walk and the findings are derived.
 */
#include <stdio.h>
#include <string.h>

#include "flow.h"

static const char *proto_name(uint8_t p)
{
	switch (p) {
	case 0: return "any";
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "icmpv6";
	case 132: return "sctp";
	}
	return "other";
}

/* "192.0.2.1:80", "[2001:db8::1]:80", or the address alone. */
static const char *endpoint(const struct pd_nl_addr *a, uint16_t port, bool ports, char *buf,
			    size_t len)
{
	char s[PD_NL_ADDRSTRLEN];

	pd_nl_addr_str(a, s, sizeof(s));
	if (!ports)
		snprintf(buf, len, "%s", s);
	else if (a->family == 6)
		snprintf(buf, len, "[%s]:%u", s, port);
	else
		snprintf(buf, len, "%s:%u", s, port);
	return buf;
}

static const char *mtu_prov(const char *source)
{
	return source && !strcmp(source, "pmtu") ? "measured" : "configured";
}

/* ---- text ----------------------------------------------------------------------------- */

static void route_text(const char *label, const struct flow_route *r, struct tool_out *out)
{
	char a[PD_NL_ADDRSTRLEN], tb[16];

	tool_out_printf(out, "  %-10s ", label);
	if (!r->ok && !r->by) {
		tool_out_printf(out, "none: %s\n", r->error[0] ? r->error : "not looked up");
		return;
	}
	if (r->type != PD_NL_RTN_UNICAST)
		tool_out_printf(out, "%s ", pd_nl_rtn_name(r->type));
	if (r->has_prefix && r->prefix.family && r->prefix_len)
		tool_out_printf(out, "%s/%u", pd_nl_addr_str(&r->prefix, a, sizeof(a)),
				r->prefix_len);
	else if (r->has_prefix)
		tool_out_printf(out, "default");
	else
		tool_out_printf(out, "%s", pd_nl_addr_str(&r->dst, a, sizeof(a)));
	if (r->has_gateway)
		tool_out_printf(out, " via %s", pd_nl_addr_str(&r->gateway, a, sizeof(a)));
	if (r->oif[0])
		tool_out_printf(out, " dev %s", r->oif);
	tool_out_printf(out, " table %s", pd_rule_table_name(r->table, tb, sizeof(tb)));
	if (r->has_prefsrc)
		tool_out_printf(out, " src %s", pd_nl_addr_str(&r->prefsrc, a, sizeof(a)));
	tool_out_printf(out, " (configured; %s)", r->by && !strcmp(r->by, "model")
						     ? "by the rule walk" : "the kernel's lookup");
	if (r->has_mtu)
		tool_out_printf(out, ", MTU %u (%s: %s MTU)", r->mtu, mtu_prov(r->mtu_source),
				r->mtu_source);
	if (r->error[0])
		tool_out_printf(out, " [%s]", r->error);
	tool_out_printf(out, "\n");
}

static void ct_text(const struct flow_ct *c, struct tool_out *out)
{
	char a[64], b[64], x[64], y[64];
	const char *nat = c->dnat && c->snat ? "DNAT+SNAT" : c->dnat ? "DNAT"
							     : c->snat ? "SNAT" : "none";

	tool_out_printf(out, "    %s%s%s %s -> %s, reply %s -> %s; NAT %s, mark 0x%x, zone %u, "
			"matched %s%s%s (measured)\n", proto_name(c->proto), c->state[0] ? " " : "",
			c->state, endpoint(&c->orig.src, c->orig.sport, c->orig.ports, a, sizeof(a)),
			endpoint(&c->orig.dst, c->orig.dport, c->orig.ports, b, sizeof(b)),
			endpoint(&c->reply.src, c->reply.sport, c->reply.ports, x, sizeof(x)),
			endpoint(&c->reply.dst, c->reply.dport, c->reply.ports, y, sizeof(y)), nat,
			c->mark, c->zone, c->matched, c->unreplied ? ", UNREPLIED" : "",
			c->reply_dst_local ? ", reply to this host" : "");
}

static void rpf_text(const char *what, const char *ifn, const struct pd_rp_filter *p,
		     const struct flow_route *lk, bool drops, struct tool_out *out)
{
	static const char *mode[] = { "off", "strict", "loose" };

	tool_out_printf(out, "  %-10s %s on %s: all %d, %s %d, effective %d (%s; configured)",
			"rp_filter:", what, ifn, p->all, ifn, p->iface, p->effective,
			p->effective >= 0 && p->effective <= 2 ? mode[p->effective] : "?");
	if (lk->asked)
		tool_out_printf(out, "; route back leaves by %s%s", lk->ok ? lk->oif : "nothing",
				drops ? ": DROPPED" : "");
	tool_out_printf(out, "\n");
}

static const char *headline_text(const struct flow_result *r)
{
	if (r->report.findings.count)
		return r->report.findings.item[0].message;
	if (!r->iif[0])
		return "sent by this host; route shown";
	if (r->reply.ok)
		return "replies leave by the interface the request came in on";
	return "no problem found";
}

void flow_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct flow_result *r = result;
	char a[64], b[64];
	const char *last = NULL;
	unsigned i;

	if (!r->have_flow || r->report.error[0]) {
		tool_report_text(ctx, &r->report, out);
		return;
	}
	tool_out_printf(out, "%s flow %s %s -> %s%s%s: %s\n",
			pd_exit_name(tool_report_exit(&r->report)), proto_name(r->proto),
			endpoint(&r->flow.src, r->flow.sport, r->flow.ports, a, sizeof(a)),
			endpoint(&r->flow.dst, r->flow.dport, r->flow.ports, b, sizeof(b)),
			r->iif[0] ? " in on " : "", r->iif, headline_text(r));
	tool_out_printf(out, "  %-10s %s, mark 0x%x; %s\n", "request:",
			r->iif[0] ? "arrives from outside (--iif)" : "sent by this host", r->mark,
			r->dst_local ? "for this host" : r->forwarded ? "forwarded" : "sent out");
	if (!pd_nl_addr_equal(&r->routed_dst, &r->flow.dst))
		tool_out_printf(out, "  %-10s %s (from conntrack)\n", "after DNAT:",
				endpoint(&r->routed_dst, r->routed_dport, r->flow.ports, a,
					 sizeof(a)));
	if (r->rules_read) {
		tool_out_printf(out, "  %-10s %zu IPv%d rules (configured), walked for the request "
				"(derived):\n", "rules:", r->nrules_total, r->family);
		for (i = 0; i < r->nrules; i++) {
			const struct flow_rule *fr = &r->rules[i];

			tool_out_printf(out, "    %-6u %-44s %s%s%s\n", fr->rule.priority, fr->text,
					pd_rule_step_name(fr->v.step), fr->v.reason[0] ? ": " : "",
					fr->v.reason);
		}
		if (r->nrules < r->nrules_total)
			tool_out_printf(out, "    (%zu more rules not shown)\n",
					r->nrules_total - r->nrules);
	} else {
		tool_out_printf(out, "  %-10s not read: %s\n", "rules:", r->rules_error);
	}
	route_text("route:", &r->route, out);
	if (r->ct_asked) {
		if (!r->ct_read)
			tool_out_printf(out, "  %-10s not read: %s\n", "conntrack:", r->ct_error);
		else if (!r->ct_total)
			tool_out_printf(out, "  %-10s no entry for this flow (measured)\n",
					"conntrack:");
		else
			tool_out_printf(out, "  %-10s %zu entr%s\n", "conntrack:", r->ct_total,
					r->ct_total == 1 ? "y" : "ies");
		for (i = 0; i < r->nct; i++)
			ct_text(&r->ct[i], out);
	}
	if (r->reply.asked) {
		tool_out_printf(out, "  %-10s %s -> %s, mark 0x%x (%s)\n", "reply:",
				endpoint(&r->reply.src, r->reply.sport, r->reply_tuple.ports, a,
					 sizeof(a)),
				endpoint(&r->reply.dst, r->reply.dport, r->reply_tuple.ports, b,
					 sizeof(b)), r->reply.mark, r->reply_from);
		if (r->reply_rule_found)
			tool_out_printf(out, "  %-10s %u %s: %s%s%s (derived)\n", "reply rule:",
					r->reply_rule.priority, r->reply_rule_text,
					pd_rule_step_name(r->reply_rule_v.step),
					r->reply_rule_v.reason[0] ? ": " : "", r->reply_rule_v.reason);
		route_text("", &r->reply, out);
		tool_out_printf(out, "  %-10s in on %s, out by %s%s\n", "reply way:", r->iif,
				r->reply.ok ? r->reply.oif : "nothing",
				r->asymmetric ? ": ASYMMETRIC" : ": symmetric");
	}
	if (r->rpf_read)
		rpf_text("request", r->iif, &r->rpf, &r->rpf_lookup, r->rpf_drops, out);
	if (r->reply_rpf_read)
		rpf_text("reply", r->route.oif, &r->reply_rpf, &r->reply_rpf_lookup,
			 r->reply_rpf_drops, out);
	if (r->fwd_read)
		tool_out_printf(out, "  %-10s %s (configured: global %d%s%s)\n", "forwarding:",
				r->fwd.enabled ? "on" : "OFF", r->fwd.global,
				r->fwd.iface >= 0 ? ", on the interface " : "",
				r->fwd.iface >= 0 ? (r->fwd.iface ? "1" : "0") : "");
	for (i = 0; i < r->nfix; i++) {
		const struct flow_fix *x = &r->fix[i];

		if (!last || strcmp(last, x->variant) || (i && strcmp(r->fix[i - 1].finding,
								      x->finding)))
			tool_out_printf(out, "fix for %s (%s):\n", x->finding, x->variant);
		last = x->variant;
		tool_out_printf(out, "  %s\n", x->cmd);
	}
	tool_report_text(ctx, &r->report, out);
}

/* ---- JSON ------------------------------------------------------------------------------- */

static json_t *addr_json(const struct pd_nl_addr *a)
{
	char s[PD_NL_ADDRSTRLEN];

	return a->family ? json_string(pd_nl_addr_str(a, s, sizeof(s))) : json_null();
}

static json_t *str_or_null(const char *s)
{
	return s && *s ? pd_json_string(s) : json_null();
}

static json_t *route_json(const struct flow_route *r)
{
	json_t *o;
	char tb[16], p[PD_NL_ADDRSTRLEN + 8], s[PD_NL_ADDRSTRLEN];
	struct pd_value mtu;

	if (!r->asked)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "src", addr_json(&r->src));
	json_object_set_new(o, "dst", addr_json(&r->dst));
	json_object_set_new(o, "sport", r->sport ? json_integer(r->sport) : json_null());
	json_object_set_new(o, "dport", r->dport ? json_integer(r->dport) : json_null());
	json_object_set_new(o, "iif", str_or_null(r->iif));
	json_object_set_new(o, "mark", json_integer(r->mark));
	json_object_set_new(o, "ok", json_boolean(r->ok));
	json_object_set_new(o, "by", str_or_null(r->by));
	json_object_set_new(o, "error", str_or_null(r->error));
	json_object_set_new(o, "type", r->by || r->type ? json_string(pd_nl_rtn_name(r->type))
						       : json_null());
	json_object_set_new(o, "table", r->by ? json_integer(r->table) : json_null());
	json_object_set_new(o, "table_name", r->by ? json_string(pd_rule_table_name(r->table, tb,
										     sizeof(tb)))
						   : json_null());
	json_object_set_new(o, "oif", str_or_null(r->oif));
	json_object_set_new(o, "gateway", r->has_gateway ? addr_json(&r->gateway) : json_null());
	json_object_set_new(o, "prefsrc", r->has_prefsrc ? addr_json(&r->prefsrc) : json_null());
	if (r->has_prefix && r->prefix.family)
		snprintf(p, sizeof(p), "%s/%u", pd_nl_addr_str(&r->prefix, s, sizeof(s)),
			 r->prefix_len);
	else
		snprintf(p, sizeof(p), "default");
	json_object_set_new(o, "prefix", r->has_prefix ? json_string(p) : json_null());
	if (r->has_mtu)
		mtu = pd_value_int(r->mtu, !strcmp(mtu_prov(r->mtu_source), "measured")
				   ? PD_PROV_MEASURED : PD_PROV_CONFIGURED, "bytes",
				   r->mtu_source && !strcmp(r->mtu_source, "pmtu")
				   ? "cached path MTU" : r->mtu_source && !strcmp(r->mtu_source,
										"route")
				   ? "route MTU" : "interface MTU");
	else
		mtu = pd_value_none("bytes", NULL);
	json_object_set_new(o, "mtu", pd_value_json(&mtu));
	json_object_set_new(o, "link_mtu", r->has_mtu ? json_integer(r->link_mtu) : json_null());
	return o;
}

static json_t *tuple_json(const struct flow_tuple *t)
{
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "src", addr_json(&t->src));
	json_object_set_new(o, "dst", addr_json(&t->dst));
	json_object_set_new(o, "sport", t->ports ? json_integer(t->sport) : json_null());
	json_object_set_new(o, "dport", t->ports ? json_integer(t->dport) : json_null());
	return o;
}

static json_t *ct_json(const struct flow_ct *c)
{
	json_t *o = json_object(), *nat = json_array();

	if (!o || !nat) {
		json_decref(o);
		json_decref(nat);
		return NULL;
	}
	if (c->snat)
		json_array_append_new(nat, json_string("snat"));
	if (c->dnat)
		json_array_append_new(nat, json_string("dnat"));
	json_object_set_new(o, "protocol", json_string(proto_name(c->proto)));
	json_object_set_new(o, "protocol_number", json_integer(c->proto));
	json_object_set_new(o, "matched", json_string(c->matched));
	json_object_set_new(o, "original", tuple_json(&c->orig));
	json_object_set_new(o, "reply", tuple_json(&c->reply));
	json_object_set_new(o, "nat", nat);
	json_object_set_new(o, "state", str_or_null(c->state));
	json_object_set_new(o, "status", str_or_null(c->status));
	json_object_set_new(o, "unreplied", json_boolean(c->unreplied));
	json_object_set_new(o, "mark", json_integer(c->mark));
	json_object_set_new(o, "zone", json_integer(c->zone));
	json_object_set_new(o, "timeout", json_integer(c->timeout));
	json_object_set_new(o, "reply_to_this_host", json_boolean(c->reply_dst_local));
	return o;
}

static json_t *rule_json(const struct flow_rule *fr)
{
	const struct pd_nl_rule *r = &fr->rule;
	json_t *o = json_object();

	if (!o)
		return NULL;
	json_object_set_new(o, "priority", json_integer(r->priority));
	json_object_set_new(o, "rule", json_string(fr->text));
	json_object_set_new(o, "action", json_string(pd_rule_action_name(r->action)));
	json_object_set_new(o, "table", r->action == PD_RULE_ACT_TO_TBL ? json_integer(r->table)
									 : json_null());
	json_object_set_new(o, "invert", json_boolean(r->flags & PD_RULE_F_INVERT));
	json_object_set_new(o, "fwmark", r->has & PD_RULE_HAS_FWMARK ? json_integer(r->fwmark)
								     : json_null());
	json_object_set_new(o, "fwmask", r->has & PD_RULE_HAS_FWMARK ? json_integer(r->fwmask)
								     : json_null());
	json_object_set_new(o, "iif", str_or_null(r->iifname));
	json_object_set_new(o, "oif", str_or_null(r->oifname));
	json_object_set_new(o, "step", json_string(pd_rule_step_name(fr->v.step)));
	json_object_set_new(o, "reason", str_or_null(fr->v.reason));
	return o;
}

static json_t *rpf_json(bool read, const struct pd_rp_filter *p, const struct flow_route *lk,
			bool drops)
{
	json_t *o;

	if (!read)
		return json_null();
	o = json_object();
	if (!o)
		return NULL;
	json_object_set_new(o, "all", json_integer(p->all));
	json_object_set_new(o, "iface", json_integer(p->iface));
	json_object_set_new(o, "effective", json_integer(p->effective));
	json_object_set_new(o, "src_valid_mark", json_boolean(p->src_valid_mark));
	json_object_set_new(o, "lookup", route_json(lk));
	json_object_set_new(o, "drops", json_boolean(drops));
	return o;
}

static json_t *findings_json(const struct flow_result *r)
{
	json_t *arr = json_array();
	size_t i;
	unsigned j;

	for (i = 0; arr && i < r->report.findings.count && i < PD_MAX_FINDINGS; i++) {
		const struct pd_finding *f = &r->report.findings.item[i];
		json_t *o = pd_finding_json(f), *fx = json_array();

		for (j = 0; fx && j < r->nfix; j++) {
			json_t *c;

			if (strcmp(r->fix[j].finding, f->kind))
				continue;
			c = json_object();
			json_object_set_new(c, "variant", json_string(r->fix[j].variant));
			json_object_set_new(c, "command", pd_json_string(r->fix[j].cmd));
			json_array_append_new(fx, c);
		}
		if (o)
			json_object_set_new(o, "fix", fx ? fx : json_null());
		json_array_append_new(arr, o ? o : json_null());
	}
	return arr ? arr : json_null();
}

json_t *flow_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct flow_result *r = result;
	json_t *doc = tool_report_json(ctx, &r->report), *fl, *arr;
	unsigned i;

	if (!doc)
		return NULL;
	json_object_set_new(doc, "command", json_string("flow"));
	if (!r->have_flow) {
		json_object_set_new(doc, "flow", json_null());
		return doc;
	}
	fl = json_object();
	if (!fl) {
		json_decref(doc);
		return NULL;
	}
	json_object_set_new(fl, "family", json_integer(r->family));
	json_object_set_new(fl, "protocol", json_string(proto_name(r->proto)));
	json_object_set_new(fl, "protocol_number", json_integer(r->proto));
	json_object_set_new(fl, "src", addr_json(&r->flow.src));
	json_object_set_new(fl, "dst", addr_json(&r->flow.dst));
	json_object_set_new(fl, "sport", r->flow.ports ? json_integer(r->flow.sport) : json_null());
	json_object_set_new(fl, "dport", r->flow.ports ? json_integer(r->flow.dport) : json_null());
	json_object_set_new(fl, "iif", str_or_null(r->iif));
	json_object_set_new(fl, "mark", json_integer(r->mark));
	json_object_set_new(fl, "routed_dst", addr_json(&r->routed_dst));
	json_object_set_new(fl, "routed_dport", r->flow.ports ? json_integer(r->routed_dport)
							      : json_null());
	json_object_set_new(fl, "dst_local", json_boolean(r->dst_local));
	json_object_set_new(fl, "forwarded", json_boolean(r->forwarded));

	arr = json_array();
	for (i = 0; arr && r->rules_read && i < r->nrules; i++)
		json_array_append_new(arr, rule_json(&r->rules[i]));
	json_object_set_new(fl, "rules", r->rules_read && arr ? arr : (json_decref(arr),
									json_null()));
	json_object_set_new(fl, "rules_total", r->rules_read ? json_integer((json_int_t)
									    r->nrules_total)
							     : json_null());
	json_object_set_new(fl, "rules_error", str_or_null(r->rules_error));
	json_object_set_new(fl, "walk_chosen_priority",
			    r->walk_chosen >= 0 && (unsigned)r->walk_chosen < r->nrules
			    ? json_integer(r->rules[r->walk_chosen].rule.priority) : json_null());
	json_object_set_new(fl, "walk_agrees", r->walk_checked ? json_boolean(r->walk_agrees)
							       : json_null());
	json_object_set_new(fl, "route", route_json(&r->route));

	arr = r->ct_read ? json_array() : NULL;
	for (i = 0; arr && i < r->nct; i++)
		json_array_append_new(arr, ct_json(&r->ct[i]));
	json_object_set_new(fl, "conntrack", arr ? arr : json_null());
	json_object_set_new(fl, "conntrack_total", r->ct_read ? json_integer((json_int_t)
									     r->ct_total)
							      : json_null());
	json_object_set_new(fl, "conntrack_error", str_or_null(r->ct_error));

	json_object_set_new(fl, "reply_from", str_or_null(r->reply_from));
	json_object_set_new(fl, "reply_route", route_json(&r->reply));
	if (r->reply_rule_found) {
		json_t *rr = json_object();

		json_object_set_new(rr, "priority", json_integer(r->reply_rule.priority));
		json_object_set_new(rr, "rule", json_string(r->reply_rule_text));
		json_object_set_new(rr, "step", json_string(pd_rule_step_name(r->reply_rule_v.step)));
		json_object_set_new(rr, "reason", str_or_null(r->reply_rule_v.reason));
		json_object_set_new(fl, "reply_rule", rr);
	} else {
		json_object_set_new(fl, "reply_rule", json_null());
	}
	json_object_set_new(fl, "asymmetric", r->reply.asked ? json_boolean(r->asymmetric)
							     : json_null());
	json_object_set_new(fl, "rp_filter", rpf_json(r->rpf_read, &r->rpf, &r->rpf_lookup,
						      r->rpf_drops));
	json_object_set_new(fl, "reply_rp_filter", rpf_json(r->reply_rpf_read, &r->reply_rpf,
							    &r->reply_rpf_lookup,
							    r->reply_rpf_drops));
	if (r->fwd_read) {
		json_t *f = json_object();

		json_object_set_new(f, "global", json_integer(r->fwd.global));
		json_object_set_new(f, "iface", r->fwd.iface >= 0 ? json_integer(r->fwd.iface)
								  : json_null());
		json_object_set_new(f, "enabled", json_boolean(r->fwd.enabled));
		json_object_set_new(fl, "forwarding", f);
	} else {
		json_object_set_new(fl, "forwarding", json_null());
	}
	json_object_set_new(fl, "findings", findings_json(r));
	json_object_set_new(doc, "flow", fl);
	return doc;
}
