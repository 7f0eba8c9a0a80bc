/* icmpguard.c - what mtuprobe did not believe: ICMP errors that quote none of
 * its probes (forged ones, or errors about other traffic), counted by kind,
 * and the kernel's cached path MTU toward the target, which such errors can
 * lower even though the probes ignore it.
 *
 * Specs: RFC 5927 section 4 (blind ICMP attacks; checking the quote against
 * the sender's state), RFC 1191 section 4 / RFC 8201 section 4 (the MTU a
 * host keeps from "fragmentation needed" / "packet too big"); Linux
 * ip-sysctl net.ipv4.route.min_pmtu (552) and mtu_expires (600 s), IPv6's
 * floor of 1280.  The probes are sent with IP_PMTUDISC_PROBE /
 * IPV6_PMTUDISC_PROBE (probe.h), so a lowered cache never shrinks them; other
 * applications' traffic to the target is limited by it until it expires.
 */
#include <stdio.h>
#include <string.h>
#include <netinet/in.h>

#include <pathdiag/nl_route.h>

#include "icmpguard.h"

void mtuprobe_guard_measure(const struct sockaddr_storage *dst, struct mtuprobe_result *res)
{
	struct pd_nl_route_query q = { 0 };
	struct pd_nl_path_mtu pm;
	struct pd_error err = { 0 };

	res->kernel_pmtu = 0;
	q.dst.family = res->family;
	if (res->family == 6)
		memcpy(q.dst.addr, &((const struct sockaddr_in6 *)dst)->sin6_addr, 16);
	else if (res->family == 4)
		memcpy(q.dst.addr, &((const struct sockaddr_in *)dst)->sin_addr, 4);
	else
		return;
	if (pd_nl_route_mtu(NULL, &q, &pm, &err) == 0 && pm.source == PD_NL_MTU_PMTU)
		res->kernel_pmtu = pm.mtu;
}

/* The measured forward path MTU the cache is compared with, 0 if none. */
static unsigned measured(const struct mtuprobe_result *r)
{
	return r->searched && r->search.status == PD_SEARCH_FOUND ? r->search.pmtu : 0;
}

static bool cache_below(const struct mtuprobe_result *r)
{
	return r->kernel_pmtu && measured(r) && r->kernel_pmtu < measured(r);
}

void mtuprobe_guard_conclude(struct mtuprobe_result *res)
{
	char ev[160];
	char msg[320];

	if (!cache_below(res))
		return;
	snprintf(ev, sizeof(ev), "kernel cached PMTU %u toward %s, measured %u; %llu ICMP "
		 "\"too big\" errors ignored", res->kernel_pmtu, res->address, measured(res),
		 (unsigned long long)res->probes.ignored_too_big);
	snprintf(msg, sizeof(msg), "the kernel's cached path MTU toward the target (%u) is "
		 "below the measured %u: ICMP errors it accepted (possibly forged) lowered it; "
		 "the probes ignore it, other traffic is limited by it until it expires",
		 res->kernel_pmtu, measured(res));
	mtuprobe_finding(res, "kernel-pmtu-below", PD_SEV_INFO, ev, msg);
}

void mtuprobe_guard_text(const struct mtuprobe_result *r, struct tool_out *out)
{
	const struct pd_probe_stats *p = &r->probes;
	unsigned long long n = p->ignored_too_big + p->ignored_ttl_exceeded +
			       p->ignored_unreach + p->ignored_other_errors;

	if (n)
		tool_out_printf(out, "  ignored:    %llu ICMP errors quoting none of our probes "
				"(measured): %llu too big, %llu time exceeded, %llu unreachable, "
				"%llu other\n", n, (unsigned long long)p->ignored_too_big,
				(unsigned long long)p->ignored_ttl_exceeded,
				(unsigned long long)p->ignored_unreach,
				(unsigned long long)p->ignored_other_errors);
	if (cache_below(r))
		tool_out_printf(out, "  note:       the kernel's cached path MTU toward the target "
				"is %u (configured: route cache), below the measured %u\n",
				r->kernel_pmtu, measured(r));
}

void mtuprobe_guard_json(const struct mtuprobe_result *r, json_t *doc)
{
	const struct pd_probe_stats *p = &r->probes;
	json_t *o = json_object();

	if (o) {
		json_object_set_new(o, "too_big", json_integer((json_int_t)p->ignored_too_big));
		json_object_set_new(o, "ttl_exceeded",
				    json_integer((json_int_t)p->ignored_ttl_exceeded));
		json_object_set_new(o, "unreach", json_integer((json_int_t)p->ignored_unreach));
		json_object_set_new(o, "other",
				    json_integer((json_int_t)p->ignored_other_errors));
		json_object_set_new(doc, "ignored_errors", o);
	}
	json_object_set_new(doc, "send_retries", json_integer((json_int_t)p->stale_send_errors));
	json_object_set_new(doc, "kernel_pmtu", r->kernel_pmtu ? json_integer(r->kernel_pmtu)
							       : json_null());
}
