/* monitor.c - mtuprobe in monitoring: the --warn-mtu finding, and the
 * result as Prometheus metrics (--format prometheus) and as a Nagios plugin
 * status line with performance data (--format nagios).  Metric names, labels
 * and the perfdata are documented in docs/monitoring.md; the formats
 * themselves are written by tools/common/monitor.c.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "mtuprobe.h"
#include "monitor.h"

#define P "pathdiag_mtuprobe_"

void mtuprobe_monitor_conclude(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	unsigned pmtu = mtuprobe_path_mtu(res);
	char ev[PD_FINDING_EVIDENCE_MAX];

	res->warn_mtu = o->warn_mtu;
	res->family_opt = o->family;
	res->method_opt = o->method;
	if (o->peer)
		res->method_opt = PD_PROBE_PEER;
	if (!o->warn_mtu || !pmtu || res->report.error[0] || pmtu >= o->warn_mtu)
		return;
	/* Below the critical threshold too: that finding says it already. */
	if (o->expect_mtu && pmtu < o->expect_mtu)
		return;
	snprintf(ev, sizeof(ev), "measured %u, warning below %u", pmtu, o->warn_mtu);
	mtuprobe_finding(res, "below-warning-mtu", PD_SEV_WARNING, ev,
			 "path MTU is below the warning threshold (--warn-mtu)");
}

/* The labels every metric of a run carries: target, family, method (what
 * the run used, or what was asked when it failed before choosing). */
struct base {
	struct tool_labels ls;
	char family[4];
};

static void base_labels(const struct mtuprobe_result *r, struct base *b)
{
	int fam = r->family ? r->family : r->family_opt;
	enum pd_probe_method m = r->method ? r->method : r->method_opt;

	b->ls.n = 0;
	snprintf(b->family, sizeof(b->family), "%s", fam == 4 ? "4" : fam == 6 ? "6" : "");
	tool_labels_add(&b->ls, "target", r->target);
	tool_labels_add(&b->ls, "family", b->family);
	tool_labels_add(&b->ls, "method", m ? pd_probe_method_name(m) : "");
}

/* The JSON's pmtud, and "unknown" when the search got no answers at all. */
static const char *pmtud_state(const struct mtuprobe_result *r)
{
	if (r->searched && r->search.status == PD_SEARCH_UNKNOWN)
		return "unknown";
	return mtuprobe_pmtud_name(r);
}

/* The path MTU per direction: the search's (forward, or round-trip for
 * ICMP), and with --peer the reverse search's. */
static void prom_pmtu(const struct mtuprobe_result *r, const struct tool_labels *base,
		      struct tool_out *out)
{
	const struct mtuprobe_peer *pr = &r->peer;
	bool fwd = r->searched && r->search.status == PD_SEARCH_FOUND;
	bool rev = pr->enabled && pr->rev_searched && !pr->rev_capped &&
		   pr->rev.status == PD_SEARCH_FOUND;
	struct tool_labels d = { .n = 0 };

	if (!fwd && !rev)
		return;
	tool_prom_family(out, P "path_mtu_bytes", "gauge",
			 "Path MTU measured toward the target, by direction (round-trip: ICMP "
			 "echo, the smaller of both).");
	if (fwd) {
		tool_labels_add(&d, "direction", r->direction);
		tool_prom_sample(out, P "path_mtu_bytes", base, &d, r->search.pmtu);
	}
	if (rev) {
		d.n = 0;
		tool_labels_add(&d, "direction", "reverse");
		tool_prom_sample(out, P "path_mtu_bytes", base, &d, pr->rev.pmtu);
	}
}

static void prom_search(const struct mtuprobe_result *r, const struct tool_labels *base,
			struct tool_out *out)
{
	static const char *const states[] = { "works", "blackhole", "local", "wrong-mtu",
					      "unknown" };
	const struct pd_search_result *s = &r->search;
	const char *state = pmtud_state(r);
	struct tool_labels st;
	size_t i;

	if (r->searched && s->largest_ok)
		tool_prom_gauge(out, P "largest_ok_bytes", "Largest probe (IP packet) that "
				"reached the target, measured.", base, s->largest_ok);
	if (r->searched && s->smallest_lost)
		tool_prom_gauge(out, P "smallest_lost_bytes", "Smallest probe that did not, "
				"measured.", base, s->smallest_lost);
	if (r->local_mtu)
		tool_prom_gauge(out, P "local_mtu_bytes", "MTU of this host toward the target "
				"(link, route or cached PMTU), configured.", base, r->local_mtu);
	tool_prom_gauge(out, P "probes_sent", "Probes the last run sent.", base,
			(double)r->probes.sent);
	if (r->srtt_ms > 0)
		tool_prom_gauge(out, P "rtt_seconds", "Smoothed round-trip time of the "
				"acknowledged probes, measured.", base, r->srtt_ms / 1000.0);
	/* Only a search that got answers tells: no 0 for "not known". */
	if (strcmp(state, "unknown")) {
		tool_prom_gauge(out, P "pmtud_blackhole", "1 when packets above the path MTU "
				"vanish without an ICMP error (PMTUD black hole), else 0.", base,
				!strcmp(state, "blackhole"));
		tool_prom_gauge(out, P "pmtud_works", "1 when a router reported the path MTU "
				"in a verified ICMP error, else 0.", base, !strcmp(state, "works"));
	}
	tool_prom_family(out, P "pmtud_state", "gauge", "PMTUD as the last run found it: 1 "
			 "for the state that holds, 0 for the others.");
	for (i = 0; i < sizeof(states) / sizeof(states[0]); i++) {
		st.n = 0;
		tool_labels_add(&st, "state", states[i]);
		tool_prom_sample(out, P "pmtud_state", base, &st, !strcmp(state, states[i]));
	}
}

static void prom_thresholds(const struct mtuprobe_result *r, const struct tool_labels *base,
			    struct tool_out *out)
{
	struct tool_labels l = { .n = 0 };

	if (!r->warn_mtu && !r->expect_mtu)
		return;
	tool_prom_family(out, P "threshold_bytes", "gauge", "Path MTU thresholds given "
			 "(--warn-mtu, --crit-mtu / --expect-mtu), configured.");
	if (r->warn_mtu) {
		tool_labels_add(&l, "level", "warning");
		tool_prom_sample(out, P "threshold_bytes", base, &l, r->warn_mtu);
	}
	if (r->expect_mtu) {
		l.n = 0;
		tool_labels_add(&l, "level", "critical");
		tool_prom_sample(out, P "threshold_bytes", base, &l, r->expect_mtu);
	}
}

/* --encap: the recommendations, derived from the path MTU. */
static void prom_reco(const struct mtuprobe_result *r, const struct tool_labels *base,
		      struct tool_out *out)
{
	struct tool_labels l;
	unsigned i, n = 0;

	for (i = 0; i < r->nreco; i++)
		n += r->reco[i].ok;
	if (!n)
		return;
	tool_prom_family(out, P "tunnel_mtu_bytes", "gauge", "Tunnel MTU to set for the "
			 "encapsulation over this path, derived.");
	for (i = 0; i < r->nreco; i++) {
		if (!r->reco[i].ok)
			continue;
		l.n = 0;
		tool_labels_add(&l, "encap", r->reco[i].spec);
		tool_prom_sample(out, P "tunnel_mtu_bytes", base, &l, r->reco[i].rec.inner_mtu);
	}
	tool_prom_family(out, P "tunnel_overhead_bytes", "gauge", "Bytes the encapsulation "
			 "adds to every packet, from the overhead model.");
	for (i = 0; i < r->nreco; i++) {
		if (!r->reco[i].ok)
			continue;
		l.n = 0;
		tool_labels_add(&l, "encap", r->reco[i].spec);
		tool_prom_sample(out, P "tunnel_overhead_bytes", base, &l,
				 r->reco[i].rec.overhead);
	}
	tool_prom_family(out, P "tunnel_mss_bytes", "gauge", "TCP MSS to clamp to inside the "
			 "tunnel, by inner family, derived.");
	for (i = 0; i < r->nreco; i++) {
		const struct mtuprobe_reco *c = &r->reco[i];

		if (!c->ok)
			continue;
		if (c->rec.mss_ipv4) {
			l.n = 0;
			tool_labels_add(&l, "encap", c->spec);
			tool_labels_add(&l, "inner_family", "4");
			tool_prom_sample(out, P "tunnel_mss_bytes", base, &l, c->rec.mss_ipv4);
		}
		if (c->rec.mss_ipv6) {
			l.n = 0;
			tool_labels_add(&l, "encap", c->spec);
			tool_labels_add(&l, "inner_family", "6");
			tool_prom_sample(out, P "tunnel_mss_bytes", base, &l, c->rec.mss_ipv6);
		}
	}
}

static void prom_peer(const struct mtuprobe_result *r, const struct tool_labels *base,
		      struct tool_out *out)
{
	const struct mtuprobe_peer *pr = &r->peer;

	if (!pr->enabled || !pr->hello_ok)
		return;
	tool_prom_gauge(out, P "peer_nat", "1 when the responder saw another address or port "
			"than this host sent from (NAT), else 0.", base, pr->nat);
	if (pr->mss_measured) {
		tool_prom_gauge(out, P "peer_mss_sent_bytes", "TCP MSS our SYN carried: the "
				"path MTU the socket had minus the headers, derived.", base,
				pr->mss_sent);
		tool_prom_gauge(out, P "peer_mss_seen_bytes", "TCP MSS that arrived at the "
				"responder, measured.", base, pr->mss_seen);
		tool_prom_gauge(out, P "peer_mss_clamped", "1 when a middlebox lowered the "
				"TCP MSS on the way, else 0.", base, pr->mss_clamped);
	}
}

void mtuprobe_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out)
{
	const struct mtuprobe_result *r = result;
	struct base b;

	base_labels(r, &b);
	prom_pmtu(r, &b.ls, out);
	prom_search(r, &b.ls, out);
	prom_thresholds(r, &b.ls, out);
	prom_reco(r, &b.ls, out);
	prom_peer(r, &b.ls, out);
	tool_prom_report(ctx, &r->report, "pathdiag_mtuprobe", &b.ls, out);
}

/* ---- Nagios -------------------------------------------------------------------- */

void mtuprobe_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct mtuprobe_result *r = result;
	const struct pd_search_result *s = &r->search;
	const struct mtuprobe_peer *pr = &r->peer;
	const struct pd_finding *w = tool_report_worst(&r->report);
	unsigned pmtu = mtuprobe_path_mtu(r);
	char sum[512], warn[16] = "", crit[16] = "", lbl[80];
	struct tool_out perf;
	unsigned i;
	int n;

	if (r->warn_mtu)
		snprintf(warn, sizeof(warn), "%u:", r->warn_mtu);
	if (r->expect_mtu)
		snprintf(crit, sizeof(crit), "%u:", r->expect_mtu);
	if (pmtu && pr->enabled)
		n = snprintf(sum, sizeof(sum), "path MTU %u to %s (forward %u, reverse %u%s)",
			     pmtu, r->target, s->pmtu, pr->rev_capped ? s->pmtu : pr->rev.pmtu,
			     pr->rev_capped ? " or more" : "");
	else if (pmtu)
		n = snprintf(sum, sizeof(sum), "path MTU %u to %s (%s, IPv%d, %s, %s)", pmtu,
			     r->target, r->address, r->family, pd_probe_method_name(r->method),
			     r->direction);
	else if (r->searched && s->status == PD_SEARCH_PARTIAL)
		n = snprintf(sum, sizeof(sum), "path MTU between %u and %u to %s", s->largest_ok,
			     s->smallest_lost ? s->smallest_lost - 1 : s->max_size, r->target);
	else
		n = snprintf(sum, sizeof(sum), "no path MTU measured to %s", r->target);
	if (w && n > 0 && (size_t)n < sizeof(sum))
		snprintf(sum + n, sizeof(sum) - (size_t)n, "; %s", w->message);

	tool_out_init(&perf);
	/* Unknown is "U" (plugin guidelines); the thresholds say "alert below"
	 * as the range "N:". */
	tool_nagios_perf(&perf, "pmtu", pmtu ? pmtu : NAN, "B", warn, crit, "0", "");
	if (pr->enabled && r->searched && s->status == PD_SEARCH_FOUND)
		tool_nagios_perf(&perf, "pmtu_forward", s->pmtu, "B", "", "", "0", "");
	if (pr->enabled && pr->rev_searched && !pr->rev_capped && pr->rev.status == PD_SEARCH_FOUND)
		tool_nagios_perf(&perf, "pmtu_reverse", pr->rev.pmtu, "B", "", "", "0", "");
	if (r->searched && s->largest_ok)
		tool_nagios_perf(&perf, "largest_ok", s->largest_ok, "B", "", "", "0", "");
	if (r->srtt_ms > 0)
		tool_nagios_perf(&perf, "rtt", r->srtt_ms / 1000.0, "s", "", "", "0", "");
	tool_nagios_perf(&perf, "probes", (double)r->probes.sent, "", "", "", "0", "");
	for (i = 0; i < r->nreco; i++) {
		if (!r->reco[i].ok)
			continue;
		snprintf(lbl, sizeof(lbl), "mtu_%s", r->reco[i].spec);
		tool_nagios_perf(&perf, lbl, r->reco[i].rec.inner_mtu, "B", "", "", "0", "");
	}
	tool_nagios_output(ctx, &r->report, sum, &perf, out);
	tool_out_free(&perf);
}
