/* flow.c - `nattrace flow SRC DST [PROTO SPORT DPORT] [--iif IFACE]`: how
 * this host routes one flow and its replies.  The policy rules are walked
 * as fib_rules_lookup walks them (pathdiag/nl_rule.h) and compared with the
 * kernel's own answer (RTM_GETROUTE with the flow's fields, as `ip route
 * get`); the conntrack entries say which NAT applied (flow_ct.c); the reply
 * is looked up with the connection's mark and compared with the way the
 * request came in; rp_filter and forwarding come from /proc/sys/net.  Each
 * problem found carries its fix as commands.  Nothing is printed here:
 * flow_render.c renders the result.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow.h"
#include "nattrace.h"

static const struct tool_render render = {
	.text = flow_render_text,
	.json = flow_render_json,
};

#define add(res, ...) tool_report_add(&(res)->report, __VA_ARGS__)

#define MODEL_MAX_RULES 512
#define MODEL_MAX_ROUTES 8192

/* The rules and routes of the flow's family, read once per run. */
static struct {
	struct pd_nl_rule rules[MODEL_MAX_RULES];
	size_t nrules;
	struct pd_rule_verdict v[MODEL_MAX_RULES];
	struct pd_nl_route routes[MODEL_MAX_ROUTES];
	size_t nroutes;
	bool have_rules, have_routes, complete;
} model;

/* ---- options ------------------------------------------------------------------------ */

enum { FLOW_IIF = 1, FLOW_MARK, FLOW_UID, FLOW_NO_CT, FLOW_V4, FLOW_V6 };

const struct tool_opt nattrace_flow_opts[] = {
	{ "iif", 'i', "IFACE", "the interface the request arrives on (default: this host "
			       "sends it)", FLOW_IIF },
	{ "mark", 'm', "MARK", "the request's packet mark (fwmark), e.g. 0x10", FLOW_MARK },
	{ "uid", 0, "UID", "the sending user, for uidrange rules (default 0)", FLOW_UID },
	{ "no-conntrack", 0, NULL, "do not read the conntrack table", FLOW_NO_CT },
	{ NULL, '4', NULL, "the addresses must be IPv4", FLOW_V4 },
	{ NULL, '6', NULL, "the addresses must be IPv6", FLOW_V6 },
	{ NULL },
};

static bool parse_u32(const char *s, uint32_t *v)
{
	unsigned long long x;
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return false;
	x = strtoull(s, &end, 0);
	if (*end || x > 0xffffffffull)
		return false;
	*v = (uint32_t)x;
	return true;
}

int nattrace_flow_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg)
{
	struct flow_opts *o = ctx->priv;

	switch (opt->id) {
	case FLOW_IIF:
		if (!*arg || strlen(arg) >= PD_NL_IFNAMSIZ || strchr(arg, '/') ||
		    !strcmp(arg, ".") || !strcmp(arg, ".."))
			return tool_usage_error(ctx, "--iif '%s' is not a valid interface name",
						arg);
		o->iif = arg;
		break;
	case FLOW_MARK:
		if (!parse_u32(arg, &o->mark))
			return tool_usage_error(ctx, "--mark '%s' is not a number from 0 to "
						"0xffffffff", arg);
		break;
	case FLOW_UID:
		if (!parse_u32(arg, &o->uid))
			return tool_usage_error(ctx, "--uid '%s' is not a number", arg);
		break;
	case FLOW_NO_CT:
		o->no_conntrack = true;
		break;
	case FLOW_V4:
	case FLOW_V6:
		o->want_family = opt->id == FLOW_V4 ? 4 : 6;
		break;
	}
	return 0;
}

static int parse_proto(const char *s, uint8_t *p)
{
	static const struct { const char *name; uint8_t num; } names[] = {
		{ "tcp", 6 }, { "udp", 17 }, { "icmp", 1 }, { "icmpv6", 58 },
		{ "ipv6-icmp", 58 }, { "sctp", 132 }, { "dccp", 33 }, { "udplite", 136 },
		{ "gre", 47 }, { "esp", 50 },
	};
	uint32_t v;
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i].name)) {
			*p = names[i].num;
			return 0;
		}
	if (parse_u32(s, &v) && v >= 1 && v <= 255) {
		*p = (uint8_t)v;
		return 0;
	}
	return -1;
}

static bool proto_has_ports(uint8_t p)
{
	return p == 6 || p == 17 || p == 132 || p == 33 || p == 136;
}

static int parse_port(const char *s, uint16_t *port)
{
	uint32_t v;

	if (!parse_u32(s, &v) || v > 65535 || strchr(s, 'x') || strchr(s, 'X'))
		return -1;
	*port = (uint16_t)v;
	return 0;
}

/* Options may come anywhere: tool_cmd_parse moves them in front of the
 * operands. */
static bool parse_args(struct tool_ctx *ctx, int argc, char **argv, struct flow_opts *o,
		       int *code)
{
	const char *ops[5];
	struct pd_error err = { 0 };
	int nops = 0, i, first;

	memset(o, 0, sizeof(*o));
	if (!tool_cmd_parse(ctx, argc, argv, o, &first, code))
		return false;
	for (i = first; i < argc; i++) {
		if (nops == 5) {
			*code = tool_usage_error(ctx, "unexpected argument '%s'", argv[i]);
			return false;
		}
		ops[nops++] = argv[i];
	}
	*code = PD_EXIT_UNKNOWN;
	if (nops < 2) {
		tool_usage_error(ctx, "give SRC and DST (and optionally PROTO SPORT DPORT)");
		return false;
	}
	if (pd_nl_addr_parse(ops[0], &o->src, &err) < 0) {
		tool_usage_error(ctx, "SRC '%s' is not an IPv4 or IPv6 address", ops[0]);
		return false;
	}
	if (pd_nl_addr_parse(ops[1], &o->dst, &err) < 0) {
		tool_usage_error(ctx, "DST '%s' is not an IPv4 or IPv6 address", ops[1]);
		return false;
	}
	if (o->src.family != o->dst.family) {
		tool_usage_error(ctx, "SRC and DST are of different families");
		return false;
	}
	o->family = o->src.family;
	if (o->want_family && o->want_family != o->family) {
		tool_usage_error(ctx, "-%d given, but the addresses are IPv%d", o->want_family,
				 o->family);
		return false;
	}
	if (nops >= 3 && parse_proto(ops[2], &o->proto) < 0) {
		tool_usage_error(ctx, "PROTO '%s' is not tcp, udp, icmp or a protocol number",
				 ops[2]);
		return false;
	}
	if (nops == 4) {
		tool_usage_error(ctx, "give both SPORT and DPORT");
		return false;
	}
	if (nops == 5) {
		if (!proto_has_ports(o->proto)) {
			tool_usage_error(ctx, "protocol '%s' has no ports", ops[2]);
			return false;
		}
		if (parse_port(ops[3], &o->sport) < 0 || parse_port(ops[4], &o->dport) < 0 ||
		    !o->sport || !o->dport) {
			tool_usage_error(ctx, "SPORT and DPORT must be numbers from 1 to 65535");
			return false;
		}
		o->has_ports = true;
	}
	return true;
}

/* ---- helpers ------------------------------------------------------------------------ */

static void err_text(const struct pd_error *err, int rc, char *buf, size_t len)
{
	char msg[FLOW_ERR_MAX - 24];

	pd_error_message(err, msg, sizeof(msg));
	snprintf(buf, len, "%s%s", msg, rc == PD_ERR_PERM ? " (needs CAP_NET_ADMIN)" : "");
}

static void ifname_of(struct pd_nl *nl, int ifindex, char *buf)
{
	struct pd_nl_link l;
	struct pd_error err = { 0 };

	buf[0] = '\0';
	if (ifindex <= 0)
		return;
	if (pd_nl_link_get(nl, NULL, ifindex, &l, &err) == 0)
		snprintf(buf, PD_NL_IFNAMSIZ, "%s", l.name);
	else
		snprintf(buf, PD_NL_IFNAMSIZ, "if%d", ifindex);
}

static int ifindex_of(struct pd_nl *nl, const char *name)
{
	struct pd_nl_link l;
	struct pd_error err = { 0 };

	if (!name || !*name)
		return 0;
	return pd_nl_link_get(nl, name, 0, &l, &err) == 0 ? l.ifindex : -1;
}

/* Is a an address of this host (a local route for it)? */
static bool is_local(struct pd_nl *nl, const struct pd_nl_addr *a)
{
	struct pd_nl_route_query q = { 0 };
	struct pd_nl_route r;
	struct pd_error err = { 0 };

	q.dst = *a;
	return pd_nl_route_get(nl, &q, &r, &err) == 0 && r.type == PD_NL_RTN_LOCAL;
}

static void load_model(struct pd_nl *nl, struct flow_result *res)
{
	struct pd_error err = { 0 };
	int rc;

	rc = pd_nl_rules_get(nl, res->family, model.rules, MODEL_MAX_RULES, &model.nrules, &err);
	if (rc < 0) {
		err_text(&err, rc, res->rules_error, sizeof(res->rules_error));
		return;
	}
	model.have_rules = true;
	res->rules_read = true;
	res->nrules_total = model.nrules;
	if (model.nrules > MODEL_MAX_RULES)
		model.nrules = MODEL_MAX_RULES;
	memset(&err, 0, sizeof(err));
	rc = pd_nl_routes_get(nl, res->family, model.routes, MODEL_MAX_ROUTES, &model.nroutes,
			      &err);
	if (rc < 0) {
		err_text(&err, rc, res->rules_error, sizeof(res->rules_error));
		return;
	}
	model.have_routes = true;
	model.complete = model.nroutes <= MODEL_MAX_ROUTES && res->nrules_total <= MODEL_MAX_RULES;
	if (model.nroutes > MODEL_MAX_ROUTES)
		model.nroutes = MODEL_MAX_ROUTES;
}

static int model_lookup(void *ctx, uint32_t table, const struct pd_rule_flow *f)
{
	(void)ctx;
	return pd_rule_table_lookup(model.routes, model.nroutes, table, f);
}

static void rule_flow(const struct flow_result *res, const struct pd_nl_addr *src,
		      const struct pd_nl_addr *dst, const char *iif, uint32_t mark,
		      uint16_t sport, uint16_t dport, uint32_t uid, struct pd_rule_flow *f)
{
	memset(f, 0, sizeof(*f));
	f->family = res->family;
	if (src)
		f->src = *src;
	f->dst = *dst;
	snprintf(f->iifname, sizeof(f->iifname), "%s", iif ? iif : "");
	f->mark = mark;
	f->uid = uid;
	f->ip_proto = res->proto;
	f->sport = sport;
	f->dport = dport;
}

/* Walk the rules for f (verdicts in model.v); returns the rule index or -1. */
static int model_walk(const struct pd_rule_flow *f, struct pd_rule_walk *w)
{
	if (!model.have_rules || !model.have_routes)
		return -1;
	pd_rule_walk(model.rules, model.nrules, f, model_lookup, NULL, model.routes,
		     model.nroutes, model.v, w);
	return w->chosen;
}

/* The model's answer as a flow_route (by "model"). */
static void model_route(struct pd_nl *nl, const struct pd_rule_flow *f, struct flow_route *fr)
{
	struct pd_rule_walk w;
	const struct pd_nl_route *r;

	if (model_walk(f, &w) < 0) {
		if (!fr->error[0])
			snprintf(fr->error, sizeof(fr->error), "no rule gives a route");
		return;
	}
	if (w.route < 0) {
		snprintf(fr->error, sizeof(fr->error), "rule %u: %s", model.rules[w.chosen].priority,
			 pd_rule_action_name(model.rules[w.chosen].action));
		fr->type = w.refused;
		return;
	}
	r = &model.routes[w.route];
	fr->ok = r->type == PD_NL_RTN_UNICAST || r->type == PD_NL_RTN_LOCAL;
	fr->by = "model";
	fr->type = r->type;
	fr->table = r->table;
	ifname_of(nl, r->oif, fr->oif);
	if (r->type == PD_NL_RTN_LOCAL && !fr->oif[0])
		snprintf(fr->oif, sizeof(fr->oif), "lo");
	fr->has_gateway = (r->has & PD_NLR_GATEWAY) != 0;
	fr->gateway = r->gateway;
	fr->has_prefsrc = (r->has & PD_NLR_PREFSRC) != 0;
	fr->prefsrc = r->prefsrc;
	fr->has_prefix = true;
	fr->prefix = r->dst;
	fr->prefix_len = r->dst_len;
	if (!fr->ok)
		snprintf(fr->error, sizeof(fr->error), "%s route", pd_nl_rtn_name(r->type));
}

/* Ask the kernel for the route of one packet; the model answers when the
 * kernel cannot be asked this way (an output lookup from a foreign source). */
static void lookup(struct pd_nl *nl, const struct flow_result *res, struct flow_route *fr,
		   const struct pd_nl_addr *src, const struct pd_nl_addr *dst, const char *iif,
		   uint32_t mark, uint16_t sport, uint16_t dport, bool use_model)
{
	struct pd_nl_route_query q = { 0 };
	struct pd_nl_route r;
	struct pd_nl_path_mtu pm;
	struct pd_error err = { 0 };
	struct pd_rule_flow f;
	int rc;

	memset(fr, 0, sizeof(*fr));
	fr->asked = true;
	fr->src = *src;
	fr->dst = *dst;
	fr->sport = sport;
	fr->dport = dport;
	fr->mark = mark;
	snprintf(fr->iif, sizeof(fr->iif), "%s", iif ? iif : "");
	rule_flow(res, src, dst, iif, mark, sport, dport, 0, &f);
	if (use_model) {
		model_route(nl, &f, fr);
		return;
	}
	q.dst = *dst;
	q.src = *src;
	q.mark = mark;
	q.iif = iif && *iif ? ifindex_of(nl, iif) : 0;
	q.ipproto = res->proto;
	q.sport = sport;
	q.dport = dport;
	rc = pd_nl_route_get(nl, &q, &r, &err);
	if (rc < 0) {
		err_text(&err, rc, fr->error, sizeof(fr->error));
		if (rc == PD_ERR_NOTFOUND && err.sys_errno == 113 /* EHOSTUNREACH */)
			fr->type = PD_NL_RTN_UNREACHABLE;
		return;
	}
	fr->ok = r.type == PD_NL_RTN_UNICAST || r.type == PD_NL_RTN_LOCAL;
	fr->by = "kernel";
	fr->type = r.type;
	fr->table = r.table;
	ifname_of(nl, (r.has & PD_NLR_OIF) ? r.oif : 0, fr->oif);
	fr->has_gateway = (r.has & PD_NLR_GATEWAY) != 0;
	fr->gateway = r.gateway;
	fr->has_prefsrc = (r.has & PD_NLR_PREFSRC) != 0;
	fr->prefsrc = r.prefsrc;
	if (!fr->ok) {
		snprintf(fr->error, sizeof(fr->error), "%s route", pd_nl_rtn_name(r.type));
		return;
	}
	q.flags = PD_NL_RQ_FIB_MATCH;
	memset(&err, 0, sizeof(err));
	if (pd_nl_route_get(nl, &q, &r, &err) == 0) {
		fr->has_prefix = true;
		fr->prefix = r.dst;
		fr->prefix_len = r.dst_len;
		if (!(r.has & PD_NLR_DST))
			fr->prefix.family = 0;
	}
	q.flags = 0;
	memset(&err, 0, sizeof(err));
	if (pd_nl_route_mtu(nl, &q, &pm, &err) == 0) {
		fr->has_mtu = true;
		fr->mtu = pm.mtu;
		fr->link_mtu = pm.link_mtu;
		fr->mtu_source = pd_nl_mtu_source_name(pm.source);
	}
}

/* ---- fixes -------------------------------------------------------------------------- */

static void fix(struct flow_result *res, const char *finding, const char *variant,
		const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fix(struct flow_result *res, const char *finding, const char *variant,
		const char *fmt, ...)
{
	struct flow_fix *x;
	va_list ap;

	if (res->nfix >= FLOW_MAX_FIX)
		return;
	x = &res->fix[res->nfix++];
	x->finding = finding;
	x->variant = variant;
	va_start(ap, fmt);
	vsnprintf(x->cmd, sizeof(x->cmd), fmt, ap);
	va_end(ap);
}

static bool table_used(uint32_t t)
{
	size_t i;

	for (i = 0; i < model.nrules; i++)
		if (model.rules[i].action == PD_RULE_ACT_TO_TBL && model.rules[i].table == t)
			return true;
	for (i = 0; i < model.nroutes; i++)
		if (model.routes[i].table == t)
			return true;
	return false;
}

static bool pref_used(uint32_t p)
{
	size_t i;

	for (i = 0; i < model.nrules; i++)
		if (model.rules[i].priority == p)
			return true;
	return false;
}

static bool mark_used(uint32_t m)
{
	size_t i;

	for (i = 0; i < model.nrules; i++)
		if ((model.rules[i].has & PD_RULE_HAS_FWMARK) &&
		    !((model.rules[i].fwmark ^ m) & model.rules[i].fwmask) &&
		    model.rules[i].fwmask)
			return true;
	return false;
}

/* A free table, a free priority below `before`, a mark no rule matches. */
static void choose_ids(uint32_t before, uint32_t *table, uint32_t *pref, uint32_t *mark)
{
	uint32_t t = 100, p, m = 0x10;

	while (table_used(t) && t < 250)
		t++;
	*table = t;
	p = before > 1000 ? 1000 : (before > 1 ? before - 1 : 1);
	while (p > 1 && pref_used(p))
		p--;
	*pref = p;
	while (mark_used(m) && m < 0x10000)
		m <<= 1;
	*mark = m;
}

/* The default route of table T through the request's interface: its
 * gateway if a route of the main table names one there. */
static void route_cmd(struct pd_nl *nl, const struct flow_result *res, uint32_t table,
		      char *buf, size_t len)
{
	struct pd_nl_link l;
	struct pd_error err = { 0 };
	char gw[PD_NL_ADDRSTRLEN];
	const char *ipc = res->family == 6 ? "ip -6" : "ip";
	bool p2p = true;
	size_t i;

	if (pd_nl_link_get(nl, res->iif, 0, &l, &err) == 0)
		p2p = (l.flags & (PD_NL_IFF_POINTOPOINT | PD_NL_IFF_NOARP)) != 0;
	if (!p2p)
		for (i = 0; i < model.nroutes; i++) {
			const struct pd_nl_route *r = &model.routes[i];

			if (r->table == PD_RT_TABLE_MAIN && r->oif == res->iif_index &&
			    (r->has & PD_NLR_GATEWAY) && r->gateway.family == res->family) {
				snprintf(buf, len, "%s route add default via %s dev %s table %u",
					 ipc, pd_nl_addr_str(&r->gateway, gw, sizeof(gw)),
					 res->iif, table);
				return;
			}
		}
	snprintf(buf, len, "%s route add default dev %s table %u", ipc, res->iif, table);
}

static void asymmetric_fixes(struct pd_nl *nl, struct flow_result *res)
{
	static const char *kind = "asymmetric-reply";
	const char *ipc = res->family == 6 ? "ip -6" : "ip";
	uint32_t table, pref, mark, before = 32766;
	struct pd_rule_flow f;
	struct pd_rule_walk w;
	char src[PD_NL_ADDRSTRLEN], rt[FLOW_CMD_MAX];

	rule_flow(res, &res->reply.src, &res->reply.dst, res->reply.iif, res->reply.mark,
		  res->reply.sport, res->reply.dport, 0, &f);
	if (model_walk(&f, &w) >= 0)
		before = model.rules[w.chosen].priority;
	choose_ids(before, &table, &pref, &mark);
	route_cmd(nl, res, table, rt, sizeof(rt));
	pd_nl_addr_str(&res->reply.src, src, sizeof(src));

	fix(res, kind, "source rule", "%s rule add from %s lookup %u pref %u", ipc, src, table,
	    pref);
	fix(res, kind, "source rule", "%s", rt);

	fix(res, kind, "connection mark", "nft add table inet nattrace_flow");
	fix(res, kind, "connection mark", "nft add chain inet nattrace_flow pre '{ type filter "
	    "hook prerouting priority mangle; policy accept; }'");
	fix(res, kind, "connection mark", "nft add rule inet nattrace_flow pre iifname \"%s\" "
	    "ct state new ct mark set 0x%x", res->iif, mark);
	if (res->dst_local) {
		fix(res, kind, "connection mark", "nft add chain inet nattrace_flow out '{ type "
		    "route hook output priority mangle; policy accept; }'");
		fix(res, kind, "connection mark", "nft add rule inet nattrace_flow out ct mark "
		    "0x%x meta mark set ct mark", mark);
	} else {
		fix(res, kind, "connection mark", "nft add rule inet nattrace_flow pre iifname != "
		    "\"%s\" ct mark 0x%x meta mark set ct mark", res->iif, mark);
	}
	fix(res, kind, "connection mark", "%s rule add fwmark 0x%x lookup %u pref %u", ipc, mark,
	    table, pref);
	fix(res, kind, "connection mark", "%s", rt);
}

/* ---- the steps ------------------------------------------------------------------------ */

static void request(struct pd_nl *nl, const struct flow_opts *o, struct flow_result *res)
{
	const struct flow_ct *c = res->nct ? &res->ct[0] : NULL;
	struct pd_rule_flow f;
	struct pd_rule_walk w;
	char a[PD_NL_ADDRSTRLEN];
	unsigned i;
	bool local_src;

	/* Routing sees the destination after DNAT (PREROUTING comes first). */
	res->routed_dst = o->dst;
	res->routed_dport = o->dport;
	if (c && c->dnat && !strcmp(c->matched, "original")) {
		res->routed_dst = c->reply.src;
		res->routed_dport = c->reply.sport;
	}
	res->dst_local = is_local(nl, &res->routed_dst);
	res->forwarded = o->iif && !res->dst_local;
	local_src = is_local(nl, &o->src);

	rule_flow(res, &o->src, &res->routed_dst, o->iif, o->mark, o->sport, res->routed_dport,
		  o->uid, &f);
	if (model_walk(&f, &w) >= 0 || model.have_rules) {
		res->walk_chosen = w.chosen;
		res->nrules = model.nrules < FLOW_MAX_RULES ? (unsigned)model.nrules
							  : FLOW_MAX_RULES;
		for (i = 0; i < res->nrules; i++) {
			res->rules[i].rule = model.rules[i];
			res->rules[i].v = model.v[i];
			pd_rule_format(&model.rules[i], res->rules[i].text,
				       sizeof(res->rules[i].text));
		}
	}
	if (!o->iif && !local_src) {
		snprintf(res->route.error, sizeof(res->route.error), "%s is not an address of this "
			 "host: a packet from elsewhere needs --iif", pd_nl_addr_str(&o->src, a,
										sizeof(a)));
		lookup(nl, res, &res->route, &o->src, &res->routed_dst, NULL, o->mark, o->sport,
		       res->routed_dport, true);
		return;
	}
	lookup(nl, res, &res->route, &o->src, &res->routed_dst, o->iif, o->mark, o->sport,
	       res->routed_dport, false);
	if (!res->route.ok && res->route.type != PD_NL_RTN_UNREACHABLE)
		return;
	if (res->walk_chosen >= 0 && res->route.by && model.complete) {
		const struct pd_rule_walk *ww = &w;
		uint32_t mt = ww->route >= 0 ? model.routes[ww->route].table : 0;

		/* Until the first rule of its own is added, the kernel keeps the
		 * local table merged into main and reports main for local routes. */
		if (mt == PD_RT_TABLE_LOCAL && res->route.table == PD_RT_TABLE_MAIN)
			mt = PD_RT_TABLE_MAIN;
		res->walk_checked = true;
		res->walk_agrees = ww->route >= 0 && mt == res->route.table &&
				   model.routes[ww->route].type == res->route.type;
	}
}

/* Reverse-path filtering for a packet from `from` to `to` arriving on `in`:
 * the kernel looks up the route back to the source (from = to, with the
 * packet's mark only under src_valid_mark) and, strict, wants it to leave
 * by `in`. */
static void rp_check(struct pd_nl *nl, const struct flow_result *res, const char *in,
		     const struct pd_nl_addr *from, const struct pd_nl_addr *to, uint32_t mark,
		     bool *read, struct pd_rp_filter *rpf, struct flow_route *fr, bool *drops)
{
	struct pd_error err = { 0 };

	if (res->family != 4 || !in || !*in)
		return;
	if (pd_sysctl_rp_filter(NULL, in, rpf, &err) < 0)
		return;
	*read = true;
	if (rpf->effective == 0)
		return;
	lookup(nl, res, fr, to, from, NULL, rpf->src_valid_mark ? mark : 0, 0, 0,
	       !is_local(nl, to));
	if (!fr->ok)
		*drops = true; /* no route back: strict and loose both drop */
	else if (rpf->effective == 1 && strcmp(fr->oif, in))
		*drops = true;
}

static void reply_path(struct pd_nl *nl, const struct flow_opts *o, struct flow_result *res)
{
	const struct flow_ct *c = res->nct ? &res->ct[0] : NULL;
	struct flow_tuple *t = &res->reply_tuple;
	uint32_t mark = 0;

	if (!o->iif)
		return; /* this host sends the request; its replies come in */
	if (c) {
		t->src = c->reply.src;
		t->sport = c->reply.sport;
		/* The reply is routed after the SNAT is undone in PREROUTING:
		 * toward the original source. */
		t->dst = c->orig.src;
		t->dport = c->orig.sport;
		t->ports = c->reply.ports;
		mark = c->mark;
		res->reply_from = "conntrack";
	} else {
		t->src = res->routed_dst;
		t->sport = res->routed_dport;
		t->dst = o->src;
		t->dport = o->sport;
		t->ports = o->has_ports;
		res->reply_from = "inverse of the flow";
	}
	if (res->dst_local) {
		lookup(nl, res, &res->reply, &t->src, &t->dst, NULL, mark, t->sport, t->dport,
		       false);
	} else if (res->route.oif[0]) {
		lookup(nl, res, &res->reply, &t->src, &t->dst, res->route.oif, mark, t->sport,
		       t->dport, false);
		if (!res->reply.ok && res->reply.type != PD_NL_RTN_UNREACHABLE) {
			char kerr[FLOW_ERR_MAX - 10];

			memcpy(kerr, res->reply.error, sizeof(kerr) - 1);
			kerr[sizeof(kerr) - 1] = '\0';
			lookup(nl, res, &res->reply, &t->src, &t->dst, res->route.oif, mark,
			       t->sport, t->dport, true);
			if (res->reply.ok)
				snprintf(res->reply.error, sizeof(res->reply.error), "kernel: %s",
					 kerr);
		}
	} else {
		return;
	}
	res->asymmetric = res->reply.ok && strcmp(res->reply.oif, res->iif) &&
			  strcmp(res->reply.oif, "lo");
	{
		struct pd_rule_flow f;
		struct pd_rule_walk w;

		rule_flow(res, &res->reply.src, &res->reply.dst, res->reply.iif, res->reply.mark,
			  res->reply.sport, res->reply.dport, 0, &f);
		if (model_walk(&f, &w) >= 0) {
			res->reply_rule_found = true;
			res->reply_rule = model.rules[w.chosen];
			res->reply_rule_v = model.v[w.chosen];
			pd_rule_format(&model.rules[w.chosen], res->reply_rule_text,
				       sizeof(res->reply_rule_text));
		}
	}
}

static void conclude(struct pd_nl *nl, const struct flow_opts *o, struct flow_result *res)
{
	char ev[PD_FINDING_EVIDENCE_MAX], a[PD_NL_ADDRSTRLEN], b[PD_NL_ADDRSTRLEN],
		gw[PD_NL_ADDRSTRLEN + 8], tb[16];
	unsigned i;

	if (res->forwarded) {
		struct pd_error err = { 0 };

		if (pd_sysctl_forwarding(NULL, res->family, res->iif, &res->fwd, &err) == 0) {
			res->fwd_read = true;
			if (!res->fwd.enabled) {
				if (res->family == 4 && res->fwd.iface >= 0 && res->fwd.global)
					snprintf(ev, sizeof(ev), "net.ipv4.ip_forward = %d, "
						 "net.ipv4.conf.%s.forwarding = %d", res->fwd.global,
						 res->iif, res->fwd.iface);
				else if (res->family == 4)
					snprintf(ev, sizeof(ev), "net.ipv4.ip_forward = %d",
						 res->fwd.global);
				else
					snprintf(ev, sizeof(ev), "net.ipv6.conf.all.forwarding = %d",
						 res->fwd.global);
				add(res, "forwarding-disabled", PD_SEV_CRITICAL, ev,
				    "%s is not an address of this host, so the request is forwarded, "
				    "but forwarding is off for packets arriving on %s: the kernel "
				    "drops them", pd_nl_addr_str(&res->routed_dst, a, sizeof(a)),
				    res->iif);
				if (res->family == 6)
					fix(res, "forwarding-disabled", "sysctl",
					    "sysctl -w net.ipv6.conf.all.forwarding=1");
				else if (!res->fwd.global)
					fix(res, "forwarding-disabled", "sysctl",
					    "sysctl -w net.ipv4.ip_forward=1");
				else
					fix(res, "forwarding-disabled", "sysctl",
					    "sysctl -w net.ipv4.conf.%s.forwarding=1", res->iif);
			}
		}
	}

	/* rp_filter for the request on --iif, and for the reply on the
	 * interface the request left by when forwarding. */
	rp_check(nl, res, o->iif, &o->src, &res->routed_dst, o->mark, &res->rpf_read, &res->rpf,
		 &res->rpf_lookup, &res->rpf_drops);
	if (res->rpf_drops) {
		snprintf(ev, sizeof(ev), "rp_filter all %d, %s %d (effective %d: %s); the route "
			 "back to %s %s%s%s", res->rpf.all, res->iif, res->rpf.iface,
			 res->rpf.effective, res->rpf.effective == 1 ? "strict" : "loose",
			 pd_nl_addr_str(&o->src, a, sizeof(a)),
			 res->rpf_lookup.ok ? "leaves by " : "does not exist",
			 res->rpf_lookup.ok ? res->rpf_lookup.oif : "",
			 res->rpf_lookup.ok && res->rpf_lookup.by &&
			 !strcmp(res->rpf_lookup.by, "model") ? " (by the rule walk)" : "");
		add(res, "rp-filter-drops-request", PD_SEV_CRITICAL, ev,
		    "reverse-path filtering on %s drops the request: the route back to %s does "
		    "not go out %s", res->iif, a, res->iif);
		if (res->rpf.all == 1)
			fix(res, "rp-filter-drops-request", "loose rp_filter",
			    "sysctl -w net.ipv4.conf.all.rp_filter=2");
		if (res->rpf.iface == 1)
			fix(res, "rp-filter-drops-request", "loose rp_filter",
			    "sysctl -w net.ipv4.conf.%s.rp_filter=2", res->iif);
	}
	if (res->forwarded && res->route.ok && res->route.oif[0] && res->reply_tuple.src.family) {
		rp_check(nl, res, res->route.oif, &res->reply_tuple.src, &res->reply_tuple.dst,
			 res->nct ? res->ct[0].mark : 0, &res->reply_rpf_read, &res->reply_rpf,
			 &res->reply_rpf_lookup, &res->reply_rpf_drops);
		if (res->reply_rpf_drops) {
			snprintf(ev, sizeof(ev), "rp_filter all %d, %s %d; the route back to %s "
				 "%s %s", res->reply_rpf.all, res->route.oif, res->reply_rpf.iface,
				 pd_nl_addr_str(&res->reply_tuple.src, a, sizeof(a)),
				 res->reply_rpf_lookup.ok ? "leaves by" : "does not exist",
				 res->reply_rpf_lookup.oif);
			add(res, "rp-filter-drops-reply", PD_SEV_CRITICAL, ev,
			    "reverse-path filtering on %s drops the replies from %s", res->route.oif,
			    a);
			fix(res, "rp-filter-drops-reply", "loose rp_filter",
			    "sysctl -w net.ipv4.conf.%s.rp_filter=2", res->route.oif);
			if (res->reply_rpf.all == 1)
				fix(res, "rp-filter-drops-reply", "loose rp_filter",
				    "sysctl -w net.ipv4.conf.all.rp_filter=2");
		}
	}

	if (res->asymmetric) {
		const struct flow_route *r = &res->reply;

		gw[0] = '\0';
		if (r->has_gateway)
			snprintf(gw, sizeof(gw), " via %s", pd_nl_addr_str(&r->gateway, b,
									  sizeof(b)));
		snprintf(ev, sizeof(ev), "reply %s:%u -> %s:%u mark 0x%x (%s): table %s, dev %s%s "
			 "(%s); the request came in on %s", pd_nl_addr_str(&r->src, a, sizeof(a)),
			 r->sport, pd_nl_addr_str(&r->dst, b, sizeof(b)), r->dport, r->mark,
			 res->reply_from, pd_rule_table_name(r->table, tb, sizeof(tb)), r->oif, gw, r->by ? r->by : "?", res->iif);
		add(res, "asymmetric-reply", res->dst_local ? PD_SEV_CRITICAL : PD_SEV_WARNING, ev,
		    "replies to %s leave by %s, not by %s where the request came in%s", b, r->oif,
		    res->iif, res->dst_local ? ": the client gets them from another address or "
					      "not at all (route them back with a policy rule)"
					    : "");
		asymmetric_fixes(nl, res);
	}

	for (i = 0; i < res->nct; i++) {
		const struct flow_ct *c = &res->ct[i];
		const char *out = res->route.oif[0] ? res->route.oif : "IFACE";

		if (!(c->dnat && c->snat && c->reply_dst_local))
			continue;
		pd_nl_addr_str(&c->orig.src, a, sizeof(a));
		pd_nl_addr_str(&c->orig.dst, b, sizeof(b));
		{
			char rs[PD_NL_ADDRSTRLEN], rd[PD_NL_ADDRSTRLEN];

			pd_nl_addr_str(&c->reply.src, rs, sizeof(rs));
			pd_nl_addr_str(&c->reply.dst, rd, sizeof(rd));
			snprintf(ev, sizeof(ev), "conntrack: original %s:%u -> %s:%u, reply %s:%u "
				 "-> %s:%u: DNAT and SNAT, and %s is an address of this host",
				 a, c->orig.sport, b, c->orig.dport, rs, c->reply.sport, rd,
				 c->reply.dport, rd);
			add(res, "masquerade-hides-client", PD_SEV_WARNING, ev,
			    "connections forwarded to %s are also source-NATed to %s on %s: the "
			    "server sees this host, not the client %s", rs, rd, out, a);
		}
		fix(res, "masquerade-hides-client", "nftables (table ip nat, chain postrouting)",
		    "nft insert rule ip nat postrouting oifname \"%s\" ct status dnat accept", out);
		fix(res, "masquerade-hides-client", "iptables",
		    "iptables -t nat -I POSTROUTING -o %s -m conntrack --ctstate DNAT -j RETURN",
		    out);
		break;
	}

	if (res->rules_read && res->walk_checked && !res->walk_agrees)
		add(res, "rule-walk-differs", PD_SEV_INFO, NULL,
		    "the rule walk modelled here ends in another table than the kernel's lookup "
		    "(table %u): the kernel's answer is the one shown", res->route.table);
	if (!res->route.ok && res->route.asked && !res->rpf_drops && !(res->fwd_read &&
								    !res->fwd.enabled))
		add(res, "no-route", PD_SEV_CRITICAL, res->route.error,
		    "the kernel has no usable route for the request to %s",
		    pd_nl_addr_str(&res->routed_dst, a, sizeof(a)));
	if (res->ct_asked && !res->ct_read)
		add(res, "conntrack-unread", PD_SEV_UNKNOWN, res->ct_error,
		    "the conntrack table could not be read: NAT and the connection mark are "
		    "not known");
}

int nattrace_flow(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct flow_result res;
	struct pd_error err = { 0 };
	struct pd_nl *nl = NULL;
	struct flow_opts o;
	char msg[FLOW_ERR_MAX];
	int rc;

	if (!parse_args(ctx, argc, argv, &o, &rc))
		return rc;
	memset(&res, 0, sizeof(res));
	memset(&model, 0, sizeof(model));
	tool_report_init(&res.report);
	res.walk_chosen = -1;
	res.have_flow = true;
	res.family = o.family;
	res.flow.src = o.src;
	res.flow.dst = o.dst;
	res.flow.sport = o.sport;
	res.flow.dport = o.dport;
	res.flow.ports = o.has_ports;
	res.proto = o.proto;
	res.mark = o.mark;
	if (o.iif)
		snprintf(res.iif, sizeof(res.iif), "%s", o.iif);

	rc = pd_nl_open(&nl, &err);
	if (rc < 0) {
		err_text(&err, rc, msg, sizeof(msg));
		tool_report_fail(&res.report, PD_EXIT_UNKNOWN, "opening netlink: %s", msg);
		goto out;
	}
	if (o.iif) {
		res.iif_index = ifindex_of(nl, o.iif);
		if (res.iif_index <= 0) {
			tool_report_fail(&res.report, PD_EXIT_UNKNOWN,
					 "no interface '%s' in this network namespace (run nattrace "
					 "inside the namespace with `ip netns exec`)", o.iif);
			goto out;
		}
	}
	load_model(nl, &res);
	if (!o.no_conntrack) {
		res.ct_asked = true;
		flow_conntrack(&o, &res);
		for (unsigned i = 0; i < res.nct; i++)
			res.ct[i].reply_dst_local = res.ct[i].snat &&
						    is_local(nl, &res.ct[i].reply.dst);
	}
	/* The conntrack dump was the one request that needed CAP_NET_ADMIN;
	 * route lookups and /proc/sys reads need none. */
	if ((rc = tool_drop_privileges()) < 0) {
		tool_report_fail(&res.report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
		goto out;
	}
	request(nl, &o, &res);
	reply_path(nl, &o, &res);
	conclude(nl, &o, &res);
out:
	pd_nl_close(nl);
	return tool_emit(ctx, &res.report, &res, &render);
}
