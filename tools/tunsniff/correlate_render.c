/* correlate_render.c - findings of `tunsniff correlate` and the text and
 * JSON forms of its result and of `tunsniff record`'s (documented in
 * tunsniff.1, CORRELATE).  Counts are measured (packets seen in the two
 * captures); the path MTU range, loss rates, the clock offset and one-way
 * delays are derived from them.
 */
#include <math.h>
#include <stdio.h>

#include "correlate.h"

static const char *way_name[2] = { "A->B", "B->A" };

/* Wilson score interval, 95 %, for k of n. */
static void wilson(uint64_t k, uint64_t n, double *lo, double *hi)
{
	const double z = 1.959964;
	double p, den, c, h;

	if (!n) {
		*lo = 0;
		*hi = 1;
		return;
	}
	p = (double)k / (double)n;
	den = 1 + z * z / (double)n;
	c = (p + z * z / (2.0 * (double)n)) / den;
	h = z * sqrt(p * (1 - p) / (double)n + z * z / (4.0 * (double)n * (double)n)) / den;
	*lo = c - h < 0 ? 0 : c - h;
	*hi = c + h > 1 ? 1 : c + h;
}

static void addrs(const struct pd_corr_dir *d, char *from, char *to)
{
	pd_tunrec_addr_format(&d->from, from, 46);
	pd_tunrec_addr_format(&d->to, to, 46);
}

static void size_finding(struct tsn_corr_result *r, int w)
{
	const struct pd_corr_dir *d = &r->corr.dir[w];
	char mtu[48], ev[PD_FINDING_EVIDENCE_MAX], from[46], to[46], below[64];

	if (d->mtu_lo == d->mtu_hi)
		snprintf(mtu, sizeof(mtu), "%u", d->mtu_lo);
	else
		snprintf(mtu, sizeof(mtu), "%u..%u", d->mtu_lo, d->mtu_hi);
	if (d->lost_below)
		snprintf(below, sizeof(below), "%llu of %llu", (unsigned long long)d->delivered_below,
			 (unsigned long long)d->sent_below);
	else
		snprintf(below, sizeof(below), "all %llu", (unsigned long long)d->delivered_below);
	addrs(d, from, to);
	snprintf(ev, sizeof(ev), "%s %s -> %s (outer sizes at the sender); largest delivered "
		 "%u bytes, smallest of the all-lost sizes %u bytes; %llu lost below that "
		 "(random)", pd_tunrec_kind_name(d->kind), from, to, d->mtu_lo, d->threshold,
		 (unsigned long long)d->lost_below);
	tool_report_add(&r->report, "size-dependent-loss", PD_SEV_CRITICAL, ev,
			"all %llu packets of %u bytes or more lost %s, %s of %u or less delivered: "
			"path MTU %s is %s", (unsigned long long)d->lost_above, d->threshold,
			way_name[w], below, d->mtu_lo, way_name[w], mtu);
}

void tsn_corr_findings(struct tsn_corr_result *r)
{
	const struct pd_corr_result *c = &r->corr;
	int w;

	if (!c->matched) {
		tool_report_add(&r->report, "no-match", PD_SEV_UNKNOWN, NULL,
				"no tunnel packet of A was found in B (%llu and %llu tunnel packets "
				"read): not the same tunnel, or the captures do not overlap in time",
				(unsigned long long)c->records[0], (unsigned long long)c->records[1]);
		return;
	}
	for (w = 0; w < 2; w++) {
		const struct pd_corr_dir *d = &c->dir[w];
		double lo, hi;

		if (d->size_dependent) {
			size_finding(r, w);
		} else if (d->lost) {
			wilson(d->lost, d->sent, &lo, &hi);
			tool_report_add(&r->report, "random-loss",
					lo >= 0.005 ? PD_SEV_WARNING : PD_SEV_INFO, NULL,
					"%llu of %llu packets lost %s (%.2f %%, 95 %% interval "
					"%.2f..%.2f %%), not dependent on size: sizes %u..%u lost",
					(unsigned long long)d->lost, (unsigned long long)d->sent,
					way_name[w], 100.0 * (double)d->lost / (double)d->sent,
					100 * lo, 100 * hi, d->smallest_lost,
					d->largest_delivered);
		}
		if (d->reordered)
			tool_report_add(&r->report, "reordering", PD_SEV_INFO, NULL,
					"%llu of %llu delivered packets arrived %s after a packet "
					"sent later", (unsigned long long)d->reordered,
					(unsigned long long)d->delivered, way_name[w]);
		if (d->unexpected)
			tool_report_add(&r->report, "capture-gap", PD_SEV_INFO, NULL,
					"%llu packets arrived %s that the sender's capture lacks "
					"(its capture dropped them?)",
					(unsigned long long)d->unexpected, way_name[w]);
	}
	if (c->offset_known)
		tool_report_add(&r->report, "clock-offset", PD_SEV_INFO, NULL,
				"B's clock is %+.6f s from A's (derived, assuming equal minimum "
				"delay both ways; one-way delays below rest on it)",
				(double)c->offset_ns / 1e9);
	else
		tool_report_add(&r->report, "clock-offset", PD_SEV_INFO, NULL,
				"clock offset not estimated (traffic matched one way only): one-way "
				"delays assume the two clocks agree");
	if (c->evicted_full)
		tool_report_add(&r->report, "window-full", PD_SEV_WARNING, NULL,
				"%llu packets were judged before their window ended because %zu "
				"were waiting: loss may be overstated",
				(unsigned long long)c->evicted_full, c->pending_cap);
	if (c->flows_overflow)
		tool_report_add(&r->report, "flow-table-overflow", PD_SEV_INFO, NULL,
				"%llu packet records belong to flows beyond the %d tracked per "
				"side and were merged into the last flow: per-flow sizes and "
				"directions of those flows are mixed (matching is not affected)",
				(unsigned long long)c->flows_overflow, PD_CORR_MAX_FLOWS);
	for (w = 0; w < 2; w++)
		if (r->in[w].incomplete)
			tool_report_add(&r->report, "incomplete-records", PD_SEV_INFO, NULL,
					"record file %s has no end record (its capture did not "
					"finish cleanly)", r->in[w].path);
}

/* ---- text --------------------------------------------------------------------------- */

static double ms(int64_t ns)
{
	return (double)ns / 1e6;
}

static void dir_text(const struct tsn_corr_result *r, int w, struct tool_out *out)
{
	const struct pd_corr_dir *d = &r->corr.dir[w];
	char from[46], to[46];
	size_t k;

	if (!d->present) {
		tool_out_printf(out, "%s: no packets sent\n", way_name[w]);
		return;
	}
	addrs(d, from, to);
	tool_out_printf(out, "%s %s -> %s (%s): sent %llu, delivered %llu, lost %llu (measured)\n",
			way_name[w], from, to, pd_tunrec_kind_name(d->kind),
			(unsigned long long)d->sent, (unsigned long long)d->delivered,
			(unsigned long long)d->lost);
	if (d->unjudged)
		tool_out_printf(out, "  not judged: %llu sent while the other end was not "
				"capturing\n", (unsigned long long)d->unjudged);
	if (d->largest_delivered)
		tool_out_printf(out, "  largest delivered: %u bytes (measured)\n",
				d->largest_delivered);
	if (d->smallest_lost)
		tool_out_printf(out, "  smallest lost:     %u bytes (measured)\n", d->smallest_lost);
	if (d->size_dependent)
		tool_out_printf(out, "  path MTU:          %u..%u bytes (derived: every packet of "
				"%u or more lost)\n", d->mtu_lo, d->mtu_hi, d->threshold);
	if (d->delay_known)
		tool_out_printf(out, "  one-way delay:     min %.3f, median %.3f, p90 %.3f, p99 %.3f,"
				" max %.3f ms (derived, %llu packets)\n", ms(d->delay_min),
				ms(d->delay_p50), ms(d->delay_p90), ms(d->delay_p99),
				ms(d->delay_max), (unsigned long long)d->delay_samples);
	tool_out_printf(out, "  reordered:         %llu (measured)\n",
			(unsigned long long)d->reordered);
	if (d->lost) {
		tool_out_printf(out, "  %7s %10s %10s %10s\n", "size", "sent", "delivered", "lost");
		for (k = 0; k < d->nsizes; k++) {
			const struct pd_corr_size *s = &d->sizes[k];

			/* The sizes that tell the story: losses, and the largest
			 * delivered ones. */
			if (!s->lost && s->size + 64 < d->largest_delivered)
				continue;
			tool_out_printf(out, "  %7u %10llu %10llu %10llu\n", s->size,
					(unsigned long long)(s->delivered + s->lost),
					(unsigned long long)s->delivered, (unsigned long long)s->lost);
		}
	}
}

void tsn_corr_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct tsn_corr_result *r = result;
	int i;

	if (r->is_record) {
		if (r->done) {
			tool_out_printf(out, "wrote %llu records to %s (%llu frames, %llu not tunnel "
					"packets)", (unsigned long long)r->written, r->out_path,
					(unsigned long long)r->in[0].frames,
					(unsigned long long)r->in[0].not_tunnel);
			if (r->in[0].drops_known)
				tool_out_printf(out, "; kernel drops %llu",
						(unsigned long long)r->in[0].kernel_drops);
			tool_out_printf(out, "\n");
		}
		tool_report_text(ctx, &r->report, out);
		return;
	}
	if (r->done) {
		for (i = 0; i < 2; i++)
			tool_out_printf(out, "%s: %s (%s, %llu tunnel packets)\n", i ? "B" : "A",
					r->in[i].path, r->in[i].format,
					(unsigned long long)r->corr.records[i]);
		if (r->corr.offset_known)
			tool_out_printf(out, "clock offset B-A: %+.6f s (derived); minimum one-way "
					"delay %.3f ms (derived, equal both ways assumed)\n",
					(double)r->corr.offset_ns / 1e9, ms(r->corr.min_owd_ns));
		tool_out_printf(out, "matched %llu packets\n", (unsigned long long)r->corr.matched);
		for (i = 0; i < 2; i++)
			dir_text(r, i, out);
	}
	tool_report_text(ctx, &r->report, out);
}

/* ---- JSON --------------------------------------------------------------------------- */

static json_t *u16_or_null(uint16_t v)
{
	return v ? json_integer(v) : json_null();
}

static json_t *addr_json(const struct pd_tunrec_addr *a)
{
	char b[46];

	pd_tunrec_addr_format(a, b, sizeof(b));
	return json_string(b);
}

static json_t *delay_json(const struct pd_corr_dir *d)
{
	json_t *o;

	if (!d->delay_known)
		return json_null();
	o = json_object();
	json_object_set_new(o, "samples", json_integer((json_int_t)d->delay_samples));
	json_object_set_new(o, "min_ms", json_real(ms(d->delay_min)));
	json_object_set_new(o, "p50_ms", json_real(ms(d->delay_p50)));
	json_object_set_new(o, "p90_ms", json_real(ms(d->delay_p90)));
	json_object_set_new(o, "p99_ms", json_real(ms(d->delay_p99)));
	json_object_set_new(o, "max_ms", json_real(ms(d->delay_max)));
	json_object_set_new(o, "provenance", json_string("derived"));
	json_object_set_new(o, "basis", json_string("arrival minus send time, clock offset "
						    "removed"));
	return o;
}

static json_t *dir_json(const struct pd_corr_dir *d, int w)
{
	json_t *o = json_object(), *sz = json_array(), *m;
	size_t k;

	json_object_set_new(o, "from", json_string(w ? "B" : "A"));
	json_object_set_new(o, "to", json_string(w ? "A" : "B"));
	json_object_set_new(o, "from_addr", d->present ? addr_json(&d->from) : json_null());
	json_object_set_new(o, "to_addr", d->present ? addr_json(&d->to) : json_null());
	json_object_set_new(o, "tunnel", d->present ? json_string(pd_tunrec_kind_name(d->kind))
						    : json_null());
	json_object_set_new(o, "sent", json_integer((json_int_t)d->sent));
	json_object_set_new(o, "delivered", json_integer((json_int_t)d->delivered));
	json_object_set_new(o, "lost", json_integer((json_int_t)d->lost));
	json_object_set_new(o, "unjudged", json_integer((json_int_t)d->unjudged));
	json_object_set_new(o, "unexpected", json_integer((json_int_t)d->unexpected));
	json_object_set_new(o, "loss_rate", d->sent ? json_real((double)d->lost / (double)d->sent)
						   : json_null());
	json_object_set_new(o, "largest_delivered", u16_or_null(d->largest_delivered));
	json_object_set_new(o, "smallest_lost", u16_or_null(d->smallest_lost));
	json_object_set_new(o, "size_dependent", json_boolean(d->size_dependent));
	json_object_set_new(o, "threshold", d->size_dependent ? json_integer(d->threshold)
							     : json_null());
	if (d->size_dependent) {
		m = json_object();
		json_object_set_new(m, "low", json_integer(d->mtu_lo));
		json_object_set_new(m, "high", json_integer(d->mtu_hi));
		json_object_set_new(m, "provenance", json_string("derived"));
		json_object_set_new(m, "basis", json_string("largest delivered .. smallest "
							    "all-lost size minus 1"));
		json_object_set_new(o, "path_mtu", m);
	} else {
		json_object_set_new(o, "path_mtu", json_null());
	}
	json_object_set_new(o, "lost_above", json_integer((json_int_t)d->lost_above));
	json_object_set_new(o, "lost_below", json_integer((json_int_t)d->lost_below));
	for (k = 0; k < d->nsizes; k++) {
		json_t *s = json_object();

		json_object_set_new(s, "size", json_integer(d->sizes[k].size));
		json_object_set_new(s, "sent", json_integer((json_int_t)(d->sizes[k].delivered +
									 d->sizes[k].lost)));
		json_object_set_new(s, "delivered", json_integer((json_int_t)d->sizes[k].delivered));
		json_object_set_new(s, "lost", json_integer((json_int_t)d->sizes[k].lost));
		json_array_append_new(sz, s);
	}
	json_object_set_new(o, "sizes", sz);
	json_object_set_new(o, "delay", delay_json(d));
	json_object_set_new(o, "reordered", json_integer((json_int_t)d->reordered));
	return o;
}

static json_t *input_json(const struct tsn_input *in, const char *side, uint64_t recs)
{
	json_t *o = json_object();

	if (side)
		json_object_set_new(o, "side", json_string(side));
	json_object_set_new(o, "path", pd_json_string(in->path ? in->path : ""));
	json_object_set_new(o, "format", in->format ? json_string(in->format) : json_null());
	json_object_set_new(o, "tunnel_packets", json_integer((json_int_t)recs));
	json_object_set_new(o, "frames", json_integer((json_int_t)in->frames));
	json_object_set_new(o, "incomplete", json_boolean(in->incomplete));
	if (in->drops_known)
		json_object_set_new(o, "kernel_drops", json_integer((json_int_t)in->kernel_drops));
	return o;
}

json_t *tsn_corr_render_json(const struct tool_ctx *ctx, const void *result)
{
	const struct tsn_corr_result *r = result;
	json_t *doc = tool_report_json(ctx, &r->report), *a, *c;
	int i;

	if (!doc || !r->done)
		return doc;
	if (r->is_record) {
		c = json_object();
		json_object_set_new(c, "path", pd_json_string(r->out_path));
		json_object_set_new(c, "written", json_integer((json_int_t)r->written));
		json_object_set_new(c, "input", input_json(&r->in[0], NULL, r->in[0].tunnel));
		json_object_set_new(doc, "records", c);
		return doc;
	}
	a = json_array();
	for (i = 0; i < 2; i++)
		json_array_append_new(a, input_json(&r->in[i], i ? "B" : "A", r->corr.records[i]));
	json_object_set_new(doc, "inputs", a);
	c = json_object();
	json_object_set_new(c, "offset_known", json_boolean(r->corr.offset_known));
	json_object_set_new(c, "offset_ms", r->corr.offset_known ?
				json_real(ms(r->corr.offset_ns)) : json_null());
	json_object_set_new(c, "min_one_way_ms", r->corr.offset_known ?
				json_real(ms(r->corr.min_owd_ns)) : json_null());
	json_object_set_new(c, "provenance", json_string("derived"));
	json_object_set_new(c, "basis", json_string("B minus A; minimum delays both ways "
						    "assumed equal"));
	json_object_set_new(doc, "clock", c);
	json_object_set_new(doc, "matched", json_integer((json_int_t)r->corr.matched));
	json_object_set_new(doc, "window_ms", json_real((double)r->window_ns / 1e6));
	c = json_object();
	json_object_set_new(c, "flows_per_side", json_integer(PD_CORR_MAX_FLOWS));
	json_object_set_new(c, "flows_overflow_records",
			    json_integer((json_int_t)r->corr.flows_overflow));
	json_object_set_new(c, "pending_capacity", json_integer((json_int_t)r->corr.pending_cap));
	json_object_set_new(c, "judged_early", json_integer((json_int_t)r->corr.evicted_full));
	json_object_set_new(doc, "limits", c);
	a = json_array();
	for (i = 0; i < 2; i++)
		json_array_append_new(a, dir_json(&r->corr.dir[i], i));
	json_object_set_new(doc, "directions", a);
	return doc;
}
