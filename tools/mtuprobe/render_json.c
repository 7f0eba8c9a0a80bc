/* render_json.c - mtuprobe's result as one JSON document: the common fields
 * (tools/common/render_json.c) plus mtuprobe's, documented in mtuprobe.1.
 * Numbers that were not measured are null, never 0.
 */
#include "mtuprobe.h"
#include "icmpguard.h"

static json_t *uint_or_null(unsigned v, bool known)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

static json_t *recommendations(const struct mtuprobe_result *r)
{
	json_t *a = json_array();
	unsigned i;

	for (i = 0; a && i < r->nreco; i++) {
		const struct mtuprobe_reco *c = &r->reco[i];
		json_t *o = json_object();

		if (!o)
			break;
		json_object_set_new(o, "encap", json_string(c->spec));
		json_object_set_new(o, "outer_family", json_integer(c->outer_family));
		json_object_set_new(o, "path_mtu", json_integer(mtuprobe_path_mtu(r)));
		json_object_set_new(o, "overhead", uint_or_null(c->rec.overhead, c->ok));
		json_object_set_new(o, "mtu", uint_or_null(c->rec.inner_mtu, c->ok));
		json_object_set_new(o, "mss_ipv4", uint_or_null(c->rec.mss_ipv4,
								  c->ok && c->rec.mss_ipv4));
		json_object_set_new(o, "mss_ipv6", uint_or_null(c->rec.mss_ipv6,
								  c->ok && c->rec.mss_ipv6));
		json_object_set_new(o, "provenance", json_string("derived"));
		json_object_set_new(o, "error", c->ok ? json_null() : json_string(c->error));
		json_array_append_new(a, o);
	}
	return a;
}

const char *mtuprobe_pmtud_name(const struct mtuprobe_result *r)
{
	if (!r->searched)
		return "unknown";
	switch (r->search.pmtud) {
	case PD_PMTUD_WORKS:
		return "works";
	case PD_PMTUD_BLACKHOLE:
		return "blackhole";
	case PD_PMTUD_LOCAL:
		return "local";
	case PD_PMTUD_WRONG_MTU:
		return "wrong-mtu";
	case PD_PMTUD_UNKNOWN:
		break;
	}
	return "unknown";
}

json_t *mtuprobe_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct mtuprobe_result *r = result;
	const struct pd_search_result *s = &r->search;
	bool found = r->searched && s->status == PD_SEARCH_FOUND;
	json_t *doc = tool_report_json(ctx, &r->report);

	if (!doc)
		return NULL;
	json_object_set_new(doc, "target", json_string(r->target));
	json_object_set_new(doc, "address", r->address[0] ? json_string(r->address) : json_null());
	json_object_set_new(doc, "family", r->family ? json_integer(r->family) : json_null());
	json_object_set_new(doc, "method", r->method ? json_string(pd_probe_method_name(r->method))
						     : json_null());
	json_object_set_new(doc, "direction", json_string(r->direction));
	json_object_set_new(doc, "pmtu", uint_or_null(s->pmtu, found));
	json_object_set_new(doc, "pmtud", json_string(mtuprobe_pmtud_name(r)));
	json_object_set_new(doc, "largest_ok", uint_or_null(s->largest_ok,
							    r->searched && s->largest_ok));
	json_object_set_new(doc, "smallest_lost", uint_or_null(s->smallest_lost,
							       r->searched && s->smallest_lost));
	json_object_set_new(doc, "reported_by",
			    r->reported_by[0] ? json_string(r->reported_by) : json_null());
	json_object_set_new(doc, "local_mtu", uint_or_null(r->local_mtu, r->local_mtu != 0));
	json_object_set_new(doc, "local_mtu_source", json_string(r->local_mtu_source));
	json_object_set_new(doc, "probes_sent", json_integer((json_int_t)r->probes.sent));
	json_object_set_new(doc, "rounds", json_integer(s->rounds));
	json_object_set_new(doc, "elapsed_ms", json_real(r->elapsed_ms));
	json_object_set_new(doc, "rate_limited", json_boolean(r->searched && s->rate_limited));
	json_object_set_new(doc, "rtt_ms", r->srtt_ms > 0 ? json_real(r->srtt_ms) : json_null());
	json_object_set_new(doc, "ignored_answers",
			    json_integer((json_int_t)(r->probes.ignored_unmatched +
						      r->probes.ignored_bogus)));
	json_object_set_new(doc, "bogus_ptb",
			    json_integer((json_int_t)(s->bogus_ptb + r->probes.ignored_bogus)));
	json_object_set_new(doc, "expect_mtu", uint_or_null(r->expect_mtu, r->expect_mtu != 0));
	json_object_set_new(doc, "recommendations", recommendations(r));
	mtuprobe_peer_json(r, doc);
	mtuprobe_hops_json(r, doc);
	mtuprobe_guard_json(r, doc);
	return doc;
}
