/* peer_report.c - what `mtuprobe --peer` concludes and shows: the findings
 * (asymmetric-mtu, mss-clamped, nat-detected, reverse-bounds-only,
 * reverse-no-answer), the verdict line naming both directions, and the
 * "peer" part of the text and JSON output (mtuprobe.1).  Every number is
 * labelled measured, derived or configured.
 */
#include <stdarg.h>
#include <stdio.h>

#include "mtuprobe.h"

static void add(struct mtuprobe_result *res, const char *kind, enum pd_severity sev,
		const char *evidence, const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A finding through verdict.c's, with the message formatted here. */
static void add(struct mtuprobe_result *res, const char *kind, enum pd_severity sev,
		const char *evidence, const char *fmt, ...)
{
	char msg[PD_FINDING_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	mtuprobe_finding(res, kind, sev, evidence, msg);
}

/* The reverse MTU when it is known exactly, else 0. */
static unsigned rev_pmtu(const struct mtuprobe_peer *p)
{
	return p->rev_searched && !p->rev_capped && p->rev.status == PD_SEARCH_FOUND
		? p->rev.pmtu : 0;
}

void mtuprobe_peer_conclude(struct mtuprobe_result *res)
{
	struct mtuprobe_peer *p = &res->peer;
	const struct pd_search_result *f = &res->search;
	const struct pd_search_result *r = &p->rev;
	char ev[PD_FINDING_EVIDENCE_MAX];

	if (!p->enabled || !p->hello_ok)
		return;
	if (p->nat || p->port_translated) {
		snprintf(ev, sizeof(ev), "sent from %s port %u, the responder saw %s port %u",
			 p->local_address, p->local_port, p->seen_address, p->seen_port);
		add(res, "nat-detected", PD_SEV_INFO, ev,
		    "a NAT is on the path: the responder saw %s%s", p->nat ? "address " : "port ",
		    p->nat ? p->seen_address : "translated");
	}
	if (p->mss_measured && p->mss_clamped) {
		snprintf(ev, sizeof(ev), "SYN sent with MSS %u (derived from path MTU %u), "
			 "received with MSS %u", p->mss_sent, p->mss_mtu, p->mss_seen);
		add(res, "mss-clamped", PD_SEV_INFO, ev,
		    "something on the path clamps the TCP MSS to %u", p->mss_seen);
	}
	if (!p->rev_searched || f->status != PD_SEARCH_FOUND)
		return;
	snprintf(ev, sizeof(ev), "reverse: largest arrived %u, smallest lost %u; %u probes in "
		 "%u rounds (%u requests%s)", r->largest_ok, r->smallest_lost, r->probes,
		 r->rounds, p->requests, p->keyed ? ", signed" : ", unsigned");
	if (r->status == PD_SEARCH_UNKNOWN) {
		add(res, "reverse-no-answer", PD_SEV_UNKNOWN, ev,
		    "no reverse probe from %s arrived: the path toward this host drops them, or "
		    "the responder is rate limiting", res->address);
		return;
	}
	if (p->rev_capped) {
		add(res, "reverse-bounds-only", PD_SEV_INFO, ev,
		    "the reverse path carries at least %u; unsigned requests cannot ask for more "
		    "than the forward path carries (--key measures it exactly)", r->largest_ok);
		return;
	}
	if (r->status != PD_SEARCH_FOUND) {
		add(res, "reverse-bounds-only", PD_SEV_UNKNOWN, ev,
		    "the reverse path MTU is between %u and %u", r->largest_ok,
		    r->smallest_lost ? r->smallest_lost - 1 : r->max_size);
		return;
	}
	if (r->pmtu != f->pmtu)
		add(res, "asymmetric-mtu", PD_SEV_WARNING, ev,
		    "the directions differ: forward (to %s) %u, reverse (from it) %u; packets "
		    "above %u are lost one way only", res->address, f->pmtu, r->pmtu,
		    r->pmtu < f->pmtu ? r->pmtu : f->pmtu);
}

void mtuprobe_peer_verdict_text(const struct mtuprobe_result *r, const char *method,
				struct tool_out *out)
{
	const struct pd_search_result *s = &r->search;
	const struct mtuprobe_peer *p = &r->peer;
	const char *fam = r->family == 6 ? "IPv6" : "IPv4";

	tool_out_printf(out, "%s %s (%s): path MTU ", pd_exit_name(tool_report_exit(&r->report)),
			r->target, r->address);
	if (s->status == PD_SEARCH_FOUND)
		tool_out_printf(out, "forward %u", s->pmtu);
	else
		tool_out_printf(out, "forward between %u and %u", s->largest_ok,
				s->smallest_lost ? s->smallest_lost - 1 : s->max_size);
	if (rev_pmtu(p))
		tool_out_printf(out, ", reverse %u", p->rev.pmtu);
	else if (p->rev_searched && p->rev_capped)
		tool_out_printf(out, ", reverse at least %u", p->rev.largest_ok);
	else if (p->rev_searched && p->rev.largest_ok)
		tool_out_printf(out, ", reverse between %u and %u", p->rev.largest_ok,
				p->rev.smallest_lost ? p->rev.smallest_lost - 1 : p->rev.max_size);
	else
		tool_out_printf(out, ", reverse unknown");
	tool_out_printf(out, " (measured, %s, %s)\n", fam, method);
}

void mtuprobe_peer_text(const struct mtuprobe_result *r, struct tool_out *out)
{
	const struct mtuprobe_peer *p = &r->peer;
	const struct pd_search_result *v = &p->rev;

	if (!p->enabled || !p->hello_ok)
		return;
	if (p->rev_searched) {
		tool_out_printf(out, "  reverse:    largest arrived %u (measured)   smallest lost: ",
				v->largest_ok);
		if (v->smallest_lost)
			tool_out_printf(out, "%u (measured)\n", v->smallest_lost);
		else
			tool_out_printf(out, "none up to %u (%s)\n", p->rev_bound,
					p->rev_capped ? "bounded by the forward path MTU"
						      : "configured: local MTU");
		tool_out_printf(out, "  reverse:    %u probes in %u rounds, %u %s requests, %.0f ms; "
				"PMTUD unknown (its ICMP errors go to %s)\n", v->probes,
				v->rounds, p->requests, p->keyed ? "signed" : "unsigned",
				p->rev_elapsed_ms, r->address);
	}
	tool_out_printf(out, "  responder:  %s port %u, saw us as %s port %u (measured; sent from "
			"%s port %u)%s\n", p->software[0] ? p->software : "?", p->port,
			p->seen_address, p->seen_port, p->local_address, p->local_port,
			p->nat ? ": NAT" : "");
	if (p->mss_measured)
		tool_out_printf(out, "  TCP MSS:    %u sent (derived from path MTU %u), %u arrived "
				"(measured)%s\n", p->mss_sent, p->mss_mtu, p->mss_seen,
				p->mss_clamped ? ": clamped on the way" : "");
	else
		tool_out_printf(out, "  TCP MSS:    unknown: %s\n", p->mss_error);
}

static json_t *num(unsigned v, bool known)
{
	return known ? json_integer((json_int_t)v) : json_null();
}

void mtuprobe_peer_json(const struct mtuprobe_result *r, json_t *doc)
{
	const struct mtuprobe_peer *p = &r->peer;
	const struct pd_search_result *v = &p->rev;
	json_t *o, *rev;

	json_object_set_new(doc, "pmtu_reverse", num(rev_pmtu(p), rev_pmtu(p) != 0));
	if (!p->enabled) {
		json_object_set_new(doc, "peer", json_null());
		return;
	}
	o = json_object();
	rev = json_object();
	if (!o || !rev) {
		json_decref(o);
		json_decref(rev);
		return;
	}
	json_object_set_new(o, "port", json_integer(p->port));
	json_object_set_new(o, "responding", json_boolean(p->hello_ok));
	json_object_set_new(o, "software", p->hello_ok ? json_string(p->software) : json_null());
	json_object_set_new(o, "signed", json_boolean(p->keyed));
	json_object_set_new(o, "local_address",
			    p->local_address[0] ? json_string(p->local_address) : json_null());
	json_object_set_new(o, "local_port", num(p->local_port, p->local_address[0] != 0));
	json_object_set_new(o, "seen_address",
			    p->hello_ok ? json_string(p->seen_address) : json_null());
	json_object_set_new(o, "seen_port", num(p->seen_port, p->hello_ok));
	json_object_set_new(o, "nat", p->hello_ok ? json_boolean(p->nat) : json_null());
	json_object_set_new(o, "mss_sent", num(p->mss_sent, p->mss_sent != 0));
	json_object_set_new(o, "mss_seen", num(p->mss_seen, p->mss_measured));
	json_object_set_new(o, "mss_clamped",
			    p->mss_measured ? json_boolean(p->mss_clamped) : json_null());
	json_object_set_new(o, "mss_error", p->mss_error[0] ? json_string(p->mss_error)
							     : json_null());

	json_object_set_new(rev, "pmtu", num(rev_pmtu(p), rev_pmtu(p) != 0));
	json_object_set_new(rev, "largest_ok", num(v->largest_ok, p->rev_searched &&
						       v->largest_ok));
	json_object_set_new(rev, "smallest_lost", num(v->smallest_lost, p->rev_searched &&
							  v->smallest_lost));
	json_object_set_new(rev, "max_size", num(p->rev_bound, p->rev_searched));
	json_object_set_new(rev, "bounded_by_forward", json_boolean(p->rev_capped));
	json_object_set_new(rev, "pmtud", json_string("unknown"));
	json_object_set_new(rev, "probes", json_integer(v->probes));
	json_object_set_new(rev, "rounds", json_integer(v->rounds));
	json_object_set_new(rev, "requests", json_integer(p->requests));
	json_object_set_new(rev, "refused", json_integer(p->refused));
	json_object_set_new(rev, "rate_limited", json_integer(p->rate_limited));
	json_object_set_new(rev, "elapsed_ms", json_real(p->rev_elapsed_ms));
	json_object_set_new(rev, "rtt_ms", p->rev_srtt_ms > 0 ? json_real(p->rev_srtt_ms)
							      : json_null());
	json_object_set_new(o, "reverse", p->rev_searched ? rev : json_null());
	if (!p->rev_searched)
		json_decref(rev);
	json_object_set_new(doc, "peer", o);
}
