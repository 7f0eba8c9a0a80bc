/* verdict.c - from a measurement to conclusions: the findings (each with
 * its severity and evidence) and the tunnel MTU / MSS recommendations for
 * the encapsulations asked for with --encap (pathdiag/overhead.h).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "mtuprobe.h"
#include "icmpguard.h"

/* A finding in res's report. */
#define add(res, ...) tool_report_add(&(res)->report, __VA_ARGS__)

void mtuprobe_finding(struct mtuprobe_result *res, const char *kind, enum pd_severity sev,
		      const char *evidence, const char *msg)
{
	add(res, kind, sev, evidence, "%s", msg);
}

static void recommend(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	unsigned i, pmtu = mtuprobe_path_mtu(res); /* with --peer: the smaller direction */

	for (i = 0; i < o->nencap && i < MTUPROBE_MAX_ENCAPS; i++) {
		struct mtuprobe_reco *r = &res->reco[res->nreco++];
		struct pd_ovh_stack st;
		struct pd_error err = { 0 };
		char ev[96];

		r->outer_family = res->family;
		if (pd_ovh_parse(o->encap_spec[i], &st, &err) < 0 ||
		    pd_ovh_format(&st, r->spec, sizeof(r->spec), &err) < 0) {
			/* main.c validated the spec: this cannot fail there. */
			snprintf(r->error, sizeof(r->error), "%s", err.what ? err.what : "bad spec");
			continue;
		}
		if (pd_ovh_recommend(&st, res->family, pmtu, &r->rec, &err) < 0) {
			snprintf(r->error, sizeof(r->error), "%s", err.what ? err.what : "error");
			add(res, "encap-too-big", PD_SEV_CRITICAL, NULL,
			    "the path cannot carry %s: path MTU %u is too small", r->spec,
			    pmtu);
			continue;
		}
		r->ok = true;
		snprintf(ev, sizeof(ev), "path MTU %u - %u bytes of %s", pmtu,
			 r->rec.overhead, r->spec);
		if (r->rec.warnings & PD_OVH_W_IPV6_MIN)
			add(res, "tunnel-below-ipv6-min", PD_SEV_WARNING, ev,
			    "%s over this path leaves MTU %u: below 1280, it cannot carry IPv6",
			    r->spec, r->rec.inner_mtu);
		if (r->rec.warnings & (PD_OVH_W_IPV4_576 | PD_OVH_W_IPV4_68))
			add(res, "tunnel-below-ipv4-min", PD_SEV_WARNING, ev,
			    "%s over this path leaves MTU %u: below what IPv4 hosts must accept",
			    r->spec, r->rec.inner_mtu);
	}
}

/* The sender and MTU of the wrong PTB about the smallest failing size (the
 * first recorded if none is about exactly that size). */
static void wrong_ptb(const struct pd_search_result *s, char *who, size_t len, uint32_t *mtu)
{
	const struct pd_search_ptb *best = NULL;
	size_t i;

	for (i = 0; i < s->nptb; i++) {
		const struct pd_search_ptb *p = &s->ptb[i];

		if (p->verdict == PD_PTB_VERIFIED || p->verdict == PD_PTB_BELOW_RANGE)
			continue;
		if (!best || p->probe_size == s->smallest_lost)
			best = p;
		if (p->probe_size == s->smallest_lost)
			break;
	}
	if (!best)
		return;
	*mtu = best->mtu;
	if (best->from.len)
		inet_ntop(best->from.family == 6 ? AF_INET6 : AF_INET, best->from.bytes, who,
			  (socklen_t)len);
}

void mtuprobe_conclude(const struct mtuprobe_opts *o, struct mtuprobe_result *res)
{
	const struct pd_search_result *s = &res->search;
	char ev[PD_FINDING_EVIDENCE_MAX];

	res->expect_mtu = o->expect_mtu;
	if (!res->searched || res->report.error[0])
		return;
	if (s->status == PD_SEARCH_UNKNOWN) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
				 "no answer from %s to any of %u %s probes; it may filter them: "
				 "try another --method (udp, or tcp with -p PORT of an open port)",
				 res->address, s->probes, pd_probe_method_name(res->method));
		return;
	}

	snprintf(ev, sizeof(ev), "largest acknowledged %u, smallest failed %u; %u probes in %u "
		 "rounds", s->largest_ok, s->smallest_lost, s->probes, s->rounds);
	if (s->status == PD_SEARCH_PARTIAL && s->stop == PD_SEARCH_STOP_SILENT)
		add(res, "pmtu-bounds-only", PD_SEV_UNKNOWN, ev,
		    "the path MTU is between %u and %u; the target stopped answering (if it "
		    "rate-limits its ICMP errors, --method icmp, or tcp with -p, avoids that)",
		    s->largest_ok, s->smallest_lost ? s->smallest_lost - 1 : s->max_size);
	else if (s->status == PD_SEARCH_PARTIAL)
		add(res, "pmtu-bounds-only", PD_SEV_UNKNOWN, ev,
		    "the path MTU is between %u and %u; the search ran out of its %s budget",
		    s->largest_ok, s->smallest_lost ? s->smallest_lost - 1 : s->max_size,
		    s->stop == PD_SEARCH_STOP_ROUNDS ? "round" : "probe");

	switch (s->pmtud) {
	case PD_PMTUD_WORKS:
		add(res, "pmtud-works", PD_SEV_OK, ev,
		    "PMTUD works: %s reported MTU %u, and probing confirmed it",
		    res->reported_by, s->pmtu);
		break;
	case PD_PMTUD_BLACKHOLE:
		add(res, "pmtud-blackhole", PD_SEV_WARNING, ev,
		    "PMTUD black hole: packets above %u bytes vanish without any ICMP error, "
		    "so TCP stalls unless its MSS is clamped to %u", s->largest_ok,
		    pd_ovh_mss(s->largest_ok, res->family));
		break;
	case PD_PMTUD_WRONG_MTU: {
		char who[INET6_ADDRSTRLEN] = "a router";
		uint32_t mtu = 0;

		wrong_ptb(s, who, sizeof(who), &mtu);
		add(res, "ptb-wrong-mtu", PD_SEV_WARNING, ev,
		    "%s answers packets above %u with 'too big' but reports MTU %u, not the path "
		    "MTU %u: senders that believe it shrink too far or ignore it, so clamp TCP "
		    "MSS to %u", who, s->pmtu, mtu, s->pmtu, pd_ovh_mss(s->pmtu, res->family));
		break;
	}
	case PD_PMTUD_LOCAL:
	case PD_PMTUD_UNKNOWN:
		break;
	}
	/* The prober drops impossible answers itself (an MTU below the family
	 * minimum or not below the probe, bad checksums), the engine the
	 * ones it classifies: both are reported, neither was believed.  Only
	 * errors that quote a probe exactly make this a warning about the
	 * path: ones that contradict it (another token, quoted length or
	 * destination) are what a forger sends, and must not change the
	 * verdict (they are counted in ignored_errors, icmpguard.c). */
	if (s->bogus_ptb) {
		unsigned long long n = s->bogus_ptb + res->probes.ignored_bogus;

		snprintf(ev, sizeof(ev), "%u with an MTU below the minimum, %u not below the probe "
			 "size, %llu malformed or impossible (dropped by the prober)",
			 s->bogus_low, s->bogus_not_smaller,
			 (unsigned long long)res->probes.ignored_bogus);
		add(res, "bogus-ptb", PD_SEV_WARNING, ev,
		    "%llu ICMP errors about our probes were impossible and were ignored", n);
	}
	mtuprobe_guard_conclude(res);
	mtuprobe_peer_conclude(res);
	/* With --peer both apply to the smaller of both directions. */
	if (o->expect_mtu && mtuprobe_path_mtu(res) && mtuprobe_path_mtu(res) < o->expect_mtu) {
		snprintf(ev, sizeof(ev), "measured %u, expected at least %u",
			 mtuprobe_path_mtu(res), o->expect_mtu);
		add(res, "below-expected-mtu", PD_SEV_CRITICAL, ev,
		    "path MTU %u is below the expected %u", mtuprobe_path_mtu(res),
		    o->expect_mtu);
	}
	if (mtuprobe_path_mtu(res))
		recommend(o, res);
	mtuprobe_hops_conclude(res);
}
