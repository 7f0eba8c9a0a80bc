/* monitor.c - nattrace's results as Prometheus metrics (--format
 * prometheus) and as a Nagios plugin status line (--format nagios): path
 * mode and --peer (NAT present, carrier-grade NAT, hops, MSS clamping,
 * mapping), and `conntrack --count` (entries by NAT kind).  Names and
 * labels: docs/monitoring.md.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "nattrace.h"
#include "ct_cmd.h"
#include "monitor.h"

#define P "pathdiag_nattrace_"

static const char *proto_label(enum pd_natpath_proto p)
{
	switch (p) {
	case PD_NATPATH_TCP:
		return "tcp";
	case PD_NATPATH_ICMP:
		return "icmp";
	case PD_NATPATH_UDP:
		break;
	}
	return "udp"; /* also the default before a run chose */
}

struct base {
	struct tool_labels ls;
	char family[4];
};

/* target, family, method: the same label names in both modes. */
static void base_labels(const struct nattrace_result *r, struct base *b)
{
	int fam = r->peer.ran ? r->peer.family : r->path.family;

	b->ls.n = 0;
	snprintf(b->family, sizeof(b->family), "%s", fam == 4 ? "4" : fam == 6 ? "6" : "");
	tool_labels_add(&b->ls, "target", r->peer.ran ? r->peer.target : r->path.target);
	tool_labels_add(&b->ls, "family", b->family);
	tool_labels_add(&b->ls, "method", r->peer.ran ? "peer" : proto_label(r->path.proto));
}

static void prom_path(const struct nattrace_path *p, const struct tool_labels *b,
		      struct tool_out *out)
{
	const struct pd_natpath_summary *s = &p->sum;

	tool_prom_gauge(out, P "probes_sent", "Probes the last run sent.", b, p->probes);
	tool_prom_gauge(out, P "target_reached", "1 when the target answered, else 0.", b,
			p->target_ttl != 0);
	if (p->target_ttl)
		tool_prom_gauge(out, P "hops", "Hop count to the target: the TTL its answer came "
				"for, measured.", b, p->target_ttl);
	/* Path probes can show a NAT, never prove there is none (a NAT that
	 * restores quoted headers, as Linux conntrack does, is invisible):
	 * nat_seen 0 is "not seen", and carrier_grade_nat only follows a NAT
	 * seen. */
	tool_prom_gauge(out, P "nat_seen", "Path mode: 1 when a quoted header shows a "
			"translation, 0 when none shows (which does not prove there is no NAT).",
			b, s->nat);
	tool_prom_gauge(out, P "nat_hops", "Path mode: hops whose quotes show a translation "
			"first, measured.", b, (double)s->n_nat);
	if (s->nat)
		tool_prom_gauge(out, P "carrier_grade_nat", "1 when a carrier-grade NAT (RFC "
				"6598 shared space) is on the path, else 0.", b, s->carrier_grade);
	if (s->shared_ttl)
		tool_prom_gauge(out, P "shared_space_hop", "Path mode: first hop that answered "
				"from 100.64.0.0/10 (RFC 6598, a carrier's NAT segment).", b,
				s->shared_ttl);
	tool_prom_gauge(out, P "mss_clamped", "1 when a hop's quote shows another TCP MSS "
			"than sent, else 0.", b, s->mss_ttl != 0);
	if (s->mss_ttl) {
		tool_prom_gauge(out, P "mss_clamp_bytes", "TCP MSS the path clamped the probes "
				"to, measured.", b, s->mss_value);
		tool_prom_gauge(out, P "mss_clamp_hop", "First hop whose quote shows the "
				"clamped MSS.", b, s->mss_ttl);
	}
	if (p->proto == PD_NATPATH_TCP && p->mss)
		tool_prom_gauge(out, P "mss_sent_bytes", "TCP MSS option the probes carried, "
				"configured.", b, p->mss);
	tool_prom_gauge(out, P "df_cleared", "1 when a hop cleared the DF bit, else 0.", b,
			s->df_ttl != 0);
	tool_prom_gauge(out, P "dscp_rewritten", "1 when a hop rewrote the DSCP, else 0.", b,
			s->dscp_ttl != 0);
}

static void prom_peer(const struct nattrace_peer *p, const struct tool_labels *b,
		      struct tool_out *out)
{
	const struct pd_natmap_result *r = &p->r;
	const char *m = pd_natmap_mapping_name(r->mapping);
	struct tool_labels l = { .n = 0 };

	tool_prom_gauge(out, P "peer_endpoints_answered", "Responder endpoints that answered.",
			b, (double)r->answered);
	/* Unknown (nothing answered) stays absent rather than 0. */
	if (r->present != PD_NATMAP_UNKNOWN)
		tool_prom_gauge(out, P "nat_detected", "1 when a NAT rewrote the probes (path "
				"mode: quoted headers; --peer: the responder saw another address "
				"or port), else 0.", b, r->present == PD_NATMAP_YES);
	if (r->carrier_grade != PD_NATMAP_UNKNOWN)
		tool_prom_gauge(out, P "carrier_grade_nat", "1 when a carrier-grade NAT (RFC "
				"6598 shared space) is on the path, else 0.", b,
				r->carrier_grade == PD_NATMAP_YES);
	if (r->port_preserved != PD_NATMAP_UNKNOWN)
		tool_prom_gauge(out, P "nat_port_preserved", "1 when the NAT kept the source "
				"port, else 0.", b, r->port_preserved == PD_NATMAP_YES);
	if (m) {
		tool_labels_add(&l, "mapping", m);
		tool_prom_family(out, P "nat_mapping", "gauge", "The NAT's mapping behaviour "
				 "(RFC 4787 section 4.1), derived; always 1.");
		tool_prom_sample(out, P "nat_mapping", b, &l, 1);
	}
}

void nattrace_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out)
{
	const struct nattrace_result *r = result;
	struct base b;

	base_labels(r, &b);
	if (r->peer.ran)
		prom_peer(&r->peer, &b.ls, out);
	else if (r->path.ran)
		prom_path(&r->path, &b.ls, out);
	tool_prom_report(ctx, &r->report, "pathdiag_nattrace", &b.ls, out);
}

void nattrace_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct nattrace_result *r = result;
	const struct pd_finding *w = tool_report_worst(&r->report);
	struct tool_out perf;
	char sum[512];
	int n = 0;

	tool_out_init(&perf);
	if (r->peer.ran) {
		const struct pd_natmap_result *m = &r->peer.r;
		const char *map = pd_natmap_mapping_name(m->mapping);

		n = snprintf(sum, sizeof(sum), "%s toward %s%s%s%s",
			     m->present == PD_NATMAP_YES ? "NAT"
			     : m->present == PD_NATMAP_NO ? "no NAT" : "NAT unknown",
			     r->peer.target, map ? " (" : "", map ? map : "", map ? ")" : "");
		if (m->carrier_grade == PD_NATMAP_YES && n > 0 && (size_t)n < sizeof(sum))
			n += snprintf(sum + n, sizeof(sum) - (size_t)n, ", carrier-grade");
		tool_nagios_perf(&perf, "nat", m->present == PD_NATMAP_UNKNOWN ? NAN :
				 m->present == PD_NATMAP_YES, "", "", "", "0", "1");
		tool_nagios_perf(&perf, "cgn", m->carrier_grade == PD_NATMAP_UNKNOWN ? NAN :
				 m->carrier_grade == PD_NATMAP_YES, "", "", "", "0", "1");
		tool_nagios_perf(&perf, "answered", (double)m->answered, "", "", "", "0", "");
	} else if (r->path.ran) {
		const struct nattrace_path *p = &r->path;

		n = snprintf(sum, sizeof(sum), "%s on the path to %s",
			     p->sum.nat ? "NAT seen" : "no NAT seen", p->target);
		if (p->sum.carrier_grade && n > 0 && (size_t)n < sizeof(sum))
			n += snprintf(sum + n, sizeof(sum) - (size_t)n, ", carrier-grade");
		if (p->sum.mss_ttl && n > 0 && (size_t)n < sizeof(sum))
			n += snprintf(sum + n, sizeof(sum) - (size_t)n, ", MSS clamped to %u",
				      p->sum.mss_value);
		if (n > 0 && (size_t)n < sizeof(sum))
			n += p->target_ttl ? snprintf(sum + n, sizeof(sum) - (size_t)n,
						      ", %u hops", p->target_ttl)
					   : snprintf(sum + n, sizeof(sum) - (size_t)n,
						      ", target not reached");
		tool_nagios_perf(&perf, "hops", p->target_ttl ? p->target_ttl : NAN, "",
				 "", "", "0", "");
		tool_nagios_perf(&perf, "nat_seen", p->sum.nat, "", "", "", "0", "1");
		if (p->sum.nat)
			tool_nagios_perf(&perf, "cgn", p->sum.carrier_grade, "", "", "", "0", "1");
		if (p->sum.mss_ttl)
			tool_nagios_perf(&perf, "mss", p->sum.mss_value, "B", "", "", "0", "");
	} else {
		n = snprintf(sum, sizeof(sum), "nothing measured");
	}
	if (w && n > 0 && (size_t)n < sizeof(sum))
		snprintf(sum + n, sizeof(sum) - (size_t)n, "; %s", w->message);
	tool_nagios_output(ctx, &r->report, sum, &perf, out);
	tool_out_free(&perf);
}

/* ---- conntrack --count ------------------------------------------------------------ */

void nt_ct_filter_label(int argc, char **argv, char *buf, size_t len)
{
	size_t n = 0;
	int i, w;

	buf[0] = '\0';
	for (i = 1; i < argc && n < len; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--count") || !strcmp(a, "--json") || !strcmp(a, "-q") ||
		    !strcmp(a, "--quiet") || !strncmp(a, "--format=", 9))
			continue;
		if (!strcmp(a, "--format")) {
			i++;
			continue;
		}
		w = snprintf(buf + n, len - n, "%s%s", n ? " " : "", a);
		if (w < 0)
			break;
		n += (size_t)w;
	}
}

void nt_ct_monitor_totals(struct nt_stream *s, const struct tool_ctx *ctx,
			  const struct tool_report *r, const struct nt_ct_totals *t,
			  const char *filter)
{
	static const char *const kinds[] = { "snat", "dnat", "snat_dnat", "none" };
	const uint64_t v[] = { t->nat_snat, t->nat_dnat, t->nat_both, t->nat_none };
	struct tool_labels base = { .n = 0 }, l;
	struct tool_out out, perf;
	char sum[256];
	unsigned i;

	tool_out_init(&out);
	tool_labels_add(&base, "filter", filter);
	if (ctx->format == TOOL_FMT_PROMETHEUS) {
		if (!r->error[0]) {
			tool_prom_gauge(&out, P "conntrack_entries_sent", "Conntrack entries the "
					"kernel sent (its filter applied), measured.", &base,
					(double)t->sent);
			tool_prom_gauge(&out, P "conntrack_entries_matched", "Entries that matched "
					"the filter, measured.", &base, (double)t->matched);
			tool_prom_family(&out, P "conntrack_entries", "gauge", "Matched entries by "
					 "the NAT they show (snat, dnat, snat_dnat, none).");
			for (i = 0; i < 4; i++) {
				l.n = 0;
				tool_labels_add(&l, "nat", kinds[i]);
				tool_prom_sample(&out, P "conntrack_entries", &base, &l,
						 (double)v[i]);
			}
		}
		tool_prom_report(ctx, r, "pathdiag_nattrace_conntrack", &base, &out);
	} else {
		tool_out_init(&perf);
		snprintf(sum, sizeof(sum), "%llu conntrack entries matched (%llu SNAT, %llu DNAT, "
			 "%llu SNAT+DNAT, %llu without NAT)", (unsigned long long)t->matched,
			 (unsigned long long)t->nat_snat, (unsigned long long)t->nat_dnat,
			 (unsigned long long)t->nat_both, (unsigned long long)t->nat_none);
		if (!r->error[0]) {
			tool_nagios_perf(&perf, "entries", (double)t->matched, "", "", "", "0", "");
			for (i = 0; i < 4; i++)
				tool_nagios_perf(&perf, kinds[i], (double)v[i], "", "", "", "0", "");
		}
		tool_nagios_output(ctx, r, sum, &perf, &out);
		tool_out_free(&perf);
	}
	if (out.failed)
		s->err = ENOMEM; /* reported as a failed write, exit 3 */
	else
		nt_stream_put(s, out.buf, out.len);
	tool_out_free(&out);
}
