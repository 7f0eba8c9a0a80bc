/* render_json.c - tunsniff's result as a JSON document: the common fields
 * (tools/common/render_json.c: schema_version, tool, version, verdict,
 * exit_code, error, findings) plus sources[], totals, tunnels[],
 * correlation and limits, documented in docs/tunsniff.1.
 */
#include "tunsniff.h"

static int set(json_t *o, const char *k, json_t *v)
{
	return json_object_set_new(o, k, v ? v : json_null());
}

static json_t *j_u(uint64_t v)
{
	return json_integer((json_int_t)v);
}

/* A live source's interface: kind, MTU (configured), whether the MSS check
 * used it as the tunnel MTU. */
static json_t *j_iface(const struct tunsniff_iface *x)
{
	json_t *o;
	struct pd_value v;

	if (!x->known)
		return NULL;
	o = json_object();
	set(o, "kind", json_string(x->kind));
	v = x->mtu ? pd_value_int(x->mtu, PD_PROV_CONFIGURED, "bytes", "interface MTU (netlink)") :
		     pd_value_none("bytes", "not reported");
	set(o, "mtu", pd_value_json(&v));
	set(o, "tunnel", json_boolean(x->tunnel));
	set(o, "mtu_used_for_mss", json_boolean(x->used_for_mss));
	return o;
}

static json_t *j_sources(const struct tunsniff_result *res)
{
	json_t *a = json_array();

	for (unsigned i = 0; a && i < res->nsources; i++) {
		const struct pd_cap_source_info *s = &res->src[i];
		json_t *o = json_object(), *k = NULL;

		set(o, "name", pd_json_string(s->name));
		set(o, "live", json_boolean(s->live));
		set(o, "linktype", json_string(pd_cap_linktype_name(s->linktype)));
		set(o, "frames", j_u(s->frames));
		if (s->live && s->stats.valid) {
			k = json_object();
			set(k, "received", j_u(s->stats.received));
			set(k, "dropped", j_u(s->stats.dropped));
			set(k, "if_dropped", j_u(s->stats.if_dropped));
		}
		set(o, "stats", k);
		set(o, "interface", s->live ? j_iface(&res->iface[i]) : NULL);
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *j_endpoint(const struct pd_ts_tunnel *t, int e)
{
	json_t *o = json_object();
	char a[48];

	set(o, "address", json_string(pd_ts_addr(t->outer_family, t->addr[e], a, sizeof(a))));
	set(o, "port", t->kind == PD_TUN_WIREGUARD ? json_integer(t->port[e]) : NULL);
	return o;
}

static json_t *j_wg(const uint64_t *wg)
{
	json_t *o = json_object();

	set(o, "initiation", j_u(wg[PD_WG_INITIATION]));
	set(o, "response", j_u(wg[PD_WG_RESPONSE]));
	set(o, "cookie_reply", j_u(wg[PD_WG_COOKIE_REPLY]));
	set(o, "data", j_u(wg[PD_WG_DATA]));
	set(o, "keepalive", j_u(wg[PD_TS_WG_KEEPALIVE]));
	return o;
}

static json_t *j_dir(const struct pd_ts_tunnel *t, int d)
{
	const struct pd_ts_dir *x = &t->dir[d];
	json_t *o = json_object(), *h = json_array();
	char a[48];

	set(o, "from", json_string(pd_ts_addr(t->outer_family, t->addr[d], a, sizeof(a))));
	set(o, "to", json_string(pd_ts_addr(t->outer_family, t->addr[!d], a, sizeof(a))));
	set(o, "packets", j_u(x->packets));
	set(o, "bytes", j_u(x->bytes));
	set(o, "max_outer", j_u(x->max_outer));
	set(o, "max_inner", j_u(x->max_inner));
	set(o, "overhead_min", x->ovh_samples ? j_u(x->ovh_min) : NULL);
	set(o, "overhead_max", x->ovh_samples ? j_u(x->ovh_max) : NULL);
	set(o, "fragments_first", j_u(x->frag_first));
	set(o, "fragments_other", j_u(x->frag_other));
	for (unsigned b = 0; b < PD_TS_NBUCKETS; b++) {
		json_t *e = json_object();

		set(e, "below", b + 1 < PD_TS_NBUCKETS ? j_u(pd_ts_bucket_limit[b]) : NULL);
		set(e, "count", j_u(x->hist[b]));
		json_array_append_new(h, e);
	}
	set(o, "outer_sizes", h);
	if (t->kind == PD_TUN_WIREGUARD) {
		set(o, "wireguard", j_wg(x->wg));
		set(o, "wg_clamped_mtu", x->wg_clamped ? j_u(x->wg_clamped) : NULL);
	}
	return o;
}

static json_t *j_tunnel(const struct pd_ts_tunnel *t)
{
	json_t *o = json_object(), *ep = json_array(), *dirs = json_array(), *m;
	struct pd_value v;
	uint32_t ovh, mtu;
	bool exact, lb = false;
	enum pd_provenance prov;
	const char *basis;
	uint64_t wg[5] = { 0 };

	set(o, "kind", json_string(pd_tun_kind_name(t->kind)));
	json_array_append_new(ep, j_endpoint(t, 0));
	json_array_append_new(ep, j_endpoint(t, 1));
	set(o, "endpoints", ep);
	set(o, "outer_family", json_integer(t->outer_family));
	set(o, "inner_family", t->inner_family ? json_integer(t->inner_family) : NULL);
	set(o, "packets", j_u(t->dir[0].packets + t->dir[1].packets));
	set(o, "bytes", j_u(t->dir[0].bytes + t->dir[1].bytes));
	set(o, "max_outer", j_u(t->dir[0].max_outer > t->dir[1].max_outer ? t->dir[0].max_outer
									    : t->dir[1].max_outer));
	set(o, "max_inner", j_u(t->dir[0].max_inner > t->dir[1].max_inner ? t->dir[0].max_inner
									    : t->dir[1].max_inner));
	if (pd_tunstat_overhead(t, &ovh, &exact))
		v = pd_value_int(ovh, exact ? PD_PROV_MEASURED : PD_PROV_DERIVED, "bytes",
				 exact ? "outer IP length minus inner IP length" :
				 t->dir[0].ovh_samples || t->dir[1].ovh_samples ?
					 "smallest of varying outer-minus-inner lengths" :
					 "WireGuard message layout");
	else
		v = pd_value_none("bytes", "inner packet not visible");
	set(o, "overhead", pd_value_json(&v));
	if (pd_tunstat_mtu(t, &mtu, &prov, &lb, &basis))
		v = pd_value_int(mtu, prov, "bytes", basis);
	else
		v = pd_value_none("bytes", "overhead unknown");
	m = pd_value_json(&v);
	if (m)
		set(m, "lower_bound", json_boolean(lb));
	set(o, "implied_mtu", m);
	set(o, "ptb_mtu", t->ptb_mtu ? j_u(t->ptb_mtu) : NULL);
	if (t->kind == PD_TUN_WIREGUARD) {
		for (int i = 0; i < 5; i++)
			wg[i] = t->dir[0].wg[i] + t->dir[1].wg[i];
		set(o, "wireguard", j_wg(wg));
		set(o, "sessions", json_integer(t->nsess));
	}
	if (t->has_key)
		set(o, t->kind == PD_TUN_VXLAN ? "vni" : "gre_key", j_u(t->key));
	json_array_append_new(dirs, j_dir(t, 0));
	json_array_append_new(dirs, j_dir(t, 1));
	set(o, "directions", dirs);
	return o;
}

static json_t *j_totals(const struct pd_tunstat *st)
{
	json_t *o = json_object(), *k = json_object();

	set(o, "frames", j_u(st->tot.frames));
	set(o, "ip_packets", j_u(st->tot.ip_packets));
	for (int i = 1; i < PD_TUN_KINDS; i++)
		set(k, pd_tun_kind_name((enum pd_tun_kind)i), j_u(st->tot.tunnelled[i]));
	set(o, "tunnelled", k);
	set(o, "wireguard", j_wg(st->tot.wg));
	set(o, "icmp_frag_needed", j_u(st->tot.frag_needed));
	set(o, "icmp6_packet_too_big", j_u(st->tot.ptb));
	set(o, "ipv4_fragments", j_u(st->tot.ip4_frags));
	set(o, "ipv6_fragments", j_u(st->tot.ip6_frags));
	set(o, "syn_mss", j_u(st->tot.syn_mss));
	set(o, "synack_mss", j_u(st->tot.synack_mss));
	set(o, "tunnels_not_tracked_packets", j_u(st->tot.tunnels_dropped));
	return o;
}

/* The fixed tables: capacity, and how often their rules for a full table
 * came into play (tunsniff(1) LIMITS). */
static json_t *j_limits(const struct pd_tunstat *st)
{
	json_t *o = json_object(), *t = json_object(), *f = json_object(), *s = json_object(),
	       *e = json_object();
	uint64_t sess_over = 0;

	for (unsigned i = 0; i < st->ntun; i++)
		sess_over += st->tun[i].sess_overflow;
	set(o, "memory_bytes", j_u(sizeof(*st)));
	set(t, "capacity", j_u(st->cap));
	set(t, "created", j_u(st->tun_created));
	set(t, "evicted", j_u(st->tun_evicted));
	set(t, "not_tracked_packets", j_u(st->tot.tunnels_dropped));
	set(o, "tunnels", t);
	set(f, "capacity", j_u(PD_TS_MAX_FLOWS));
	set(f, "created", j_u(st->flows_created));
	set(f, "evicted", j_u(st->flows_evicted));
	set(f, "freed_with_tunnel", j_u(st->flows_freed));
	set(f, "not_tracked_segments", j_u(st->flows_dropped));
	set(o, "inner_flows", f);
	set(s, "capacity_per_tunnel", j_u(PD_TS_MAX_SESSIONS));
	set(s, "evicted", j_u(st->sess_evicted));
	set(s, "not_tracked_messages", j_u(sess_over));
	set(o, "wireguard_sessions", s);
	set(e, "capacity", j_u(PD_TS_MAX_EVENTS));
	set(e, "evicted", j_u(st->ev_evicted));
	set(e, "dropped", j_u(st->ev_dropped));
	set(o, "events", e);
	return o;
}

/* Each finding also lists its evidence frames: {source, frame, time}
 * (source 1-based as in the text, time in seconds since the epoch). */
static void j_frames(json_t *doc, const struct tunsniff_result *res)
{
	json_t *fs = json_object_get(doc, "findings");

	for (unsigned i = 0; i < res->tf.n && i < json_array_size(fs); i++) {
		json_t *a = json_array();

		for (unsigned k = 0; k < res->tf.f[i].nev; k++) {
			const struct pd_ts_frame_ref *r = &res->tf.f[i].ev[k];
			json_t *e = json_object();

			set(e, "source", json_integer(r->source + 1));
			set(e, "frame", j_u(r->frame));
			set(e, "time", json_real((double)r->ts_usec / 1e6));
			json_array_append_new(a, e);
		}
		set(json_array_get(fs, i), "frames", a);
	}
}

json_t *tunsniff_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct tunsniff_result *res = result;
	json_t *doc = tool_report_json(ctx, &res->report), *t;

	if (!doc)
		return NULL;
	set(doc, "sources", j_sources(res));
	set(doc, "stop_reason", res->stop_reason ? json_string(res->stop_reason) : NULL);
	if (!res->st || !res->analysed)
		return doc;
	j_frames(doc, res);
	set(doc, "totals", j_totals(res->st));
	set(doc, "limits", j_limits(res->st));
	t = json_array();
	for (unsigned i = 0; t && i < res->st->ntun; i++)
		json_array_append_new(t, j_tunnel(&res->st->tun[i]));
	set(doc, "tunnels", t);
	if (res->tf.corr_matches) {
		json_t *c = json_object();

		set(c, "overhead", j_u(res->tf.corr_delta));
		set(c, "matches", j_u(res->tf.corr_matches));
		set(c, "pairs", j_u(res->st->corr_pairs));
		set(doc, "correlation", c);
	} else {
		set(doc, "correlation", NULL);
	}
	return doc;
}
