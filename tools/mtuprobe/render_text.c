/* render_text.c - mtuprobe's result for people: the verdict line first, then
 * the measurement, the recommendations and the findings.  Each number says
 * whether it was measured, derived or configured.
 */
#include <stdio.h>

#include "mtuprobe.h"
#include "icmpguard.h"

static const char *method_text(const struct mtuprobe_result *r)
{
	switch (r->method) {
	case PD_PROBE_ICMP:
		return "ICMP echo";
	case PD_PROBE_UDP:
		return "UDP to a closed port";
	case PD_PROBE_TCP:
		return "TCP SYN";
	case PD_PROBE_PEER:
		return "peer responder";
	}
	return "?";
}

static void verdict_line(const struct mtuprobe_result *r, struct tool_out *out)
{
	const struct pd_search_result *s = &r->search;
	const char *fam = r->family == 6 ? "IPv6" : "IPv4";

	if (r->peer.enabled) {
		mtuprobe_peer_verdict_text(r, method_text(r), out);
		return;
	}
	if (s->status == PD_SEARCH_FOUND)
		tool_out_printf(out, "%s %s (%s): path MTU %u (measured, %s, %s, %s)\n",
				pd_exit_name(tool_report_exit(&r->report)), r->target, r->address,
				s->pmtu, fam, method_text(r), r->direction);
	else
		tool_out_printf(out, "%s %s (%s): path MTU between %u and %u (measured bounds, "
				"%s, %s)\n", pd_exit_name(tool_report_exit(&r->report)),
				r->target, r->address, s->largest_ok,
				s->smallest_lost ? s->smallest_lost - 1 : s->max_size, fam,
				method_text(r));
}

static void pmtud_line(const struct mtuprobe_result *r, struct tool_out *out)
{
	const struct pd_search_result *s = &r->search;

	switch (s->pmtud) {
	case PD_PMTUD_WORKS:
		tool_out_printf(out, "  PMTUD:      works: %s reported MTU %u; %u passed, %u did not\n",
				r->reported_by, s->pmtu, s->pmtu, s->pmtu + 1);
		break;
	case PD_PMTUD_BLACKHOLE:
		tool_out_printf(out, "  PMTUD:      black hole: %u passed, %u and larger vanished "
				"without an ICMP error (%u tries each)\n",
				s->largest_ok, s->smallest_lost, s->tries);
		break;
	case PD_PMTUD_LOCAL:
		tool_out_printf(out, "  PMTUD:      not needed: the limit is this host's own MTU\n");
		break;
	case PD_PMTUD_WRONG_MTU:
		tool_out_printf(out, "  PMTUD:      broken: ICMP errors reported a wrong MTU\n");
		break;
	case PD_PMTUD_UNKNOWN:
		tool_out_printf(out, "  PMTUD:      unknown\n");
		break;
	}
}

void mtuprobe_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct mtuprobe_result *r = result;
	const struct pd_search_result *s = &r->search;
	unsigned i;

	if (r->searched && s->status != PD_SEARCH_UNKNOWN) {
		verdict_line(r, out);
		pmtud_line(r, out);
		tool_out_printf(out, "  largest ok: %u (measured)   smallest failed: ", s->largest_ok);
		if (s->smallest_lost)
			tool_out_printf(out, "%u (measured)\n", s->smallest_lost);
		else
			tool_out_printf(out, "none below the local MTU\n");
		tool_out_printf(out, "  local MTU:  %u (configured: %s%s%s)\n", r->local_mtu,
				r->local_mtu_source, r->local_dev[0] ? " of " : "", r->local_dev);
		tool_out_printf(out, "  probes:     %u in %u rounds, %.0f ms; RTT %.1f ms; "
				"%llu foreign answers ignored\n", s->probes, s->rounds,
				r->elapsed_ms, r->srtt_ms,
				(unsigned long long)(r->probes.ignored_unmatched +
						     r->probes.ignored_bogus));
		mtuprobe_guard_text(r, out);
		if (r->paced)
			tool_out_printf(out, "  note:       the target rate-limits its answers, so "
					"rounds were paced (a few probes per refill)\n");
		if (r->method == PD_PROBE_ICMP)
			tool_out_printf(out, "  note:       an echo reply is as large as the request: "
					"this is the smaller of both directions\n");
		mtuprobe_peer_text(r, out);
	}
	mtuprobe_hops_text(r, out);
	if (r->nreco)
		tool_out_printf(out, "recommended (derived from path MTU %u):\n",
				mtuprobe_path_mtu(r));
	for (i = 0; i < r->nreco; i++) {
		const struct mtuprobe_reco *c = &r->reco[i];

		if (!c->ok) {
			tool_out_printf(out, "  %-22s cannot be carried: %s\n", c->spec, c->error);
			continue;
		}
		tool_out_printf(out, "  %-22s MTU %u (overhead %u)", c->spec, c->rec.inner_mtu,
				c->rec.overhead);
		if (c->rec.mss_ipv4)
			tool_out_printf(out, "  MSS %u (IPv4)", c->rec.mss_ipv4);
		if (c->rec.mss_ipv6)
			tool_out_printf(out, "  MSS %u (IPv6)", c->rec.mss_ipv6);
		tool_out_printf(out, "\n");
	}
	tool_report_text(ctx, &r->report, out);
}
