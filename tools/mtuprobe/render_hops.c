/* render_hops.c - mtuprobe --hops output: a tracepath-like table (text) and
 * the "hops", "mtu_drop_hop" and "mtu_drops" members (JSON, mtuprobe.1).
 * Addresses and RTTs are measured (the hop's own answers); a hop that never
 * answered is shown as '*' / null, never guessed.
 */
#include <arpa/inet.h>
#include <stdio.h>

#include "mtuprobe.h"

static const char *addr_or(const struct pd_search_addr *a, char *buf, size_t len,
			   const char *none)
{
	if ((a->len != 4 && a->len != 16) ||
	    !inet_ntop(a->len == 16 ? AF_INET6 : AF_INET, a->bytes, buf, (socklen_t)len))
		return none;
	return buf;
}

/* The drop that sets the path MTU: the last one found. */
static const struct pd_hops_drop *main_drop(const struct pd_hops_result *h)
{
	return h->ndrops ? &h->drop[h->ndrops - 1] : NULL;
}

static const struct pd_hops_drop *drop_at(const struct pd_hops_result *h, unsigned ttl)
{
	size_t i;

	for (i = 0; i < h->ndrops; i++)
		if (h->drop[i].ttl == ttl)
			return &h->drop[i];
	return NULL;
}

void mtuprobe_hops_text(const struct mtuprobe_result *r, struct tool_out *out)
{
	const struct pd_hops_result *h = &r->hops;
	char a[INET6_ADDRSTRLEN], b[INET6_ADDRSTRLEN];
	unsigned t;

	if (!r->hops_done)
		return;
	tool_out_printf(out, "hops (TTL scan: small %u, large %u bytes; %u probes in %u rounds, "
			"%.0f ms):\n", r->hops_small, r->hops_large, h->probes, h->rounds,
			r->hops_elapsed_ms);
	tool_out_printf(out, "  %3s  %-28s %9s  %s\n", "ttl", "address (measured)", "rtt",
			"large probe");
	for (t = 1; t <= h->nhops && t <= PD_HOPS_MAX_TTL; t++) {
		const struct pd_hops_hop *hp = &h->hop[t];
		const struct pd_hops_drop *d = drop_at(h, t);
		char rtt[16] = "*";

		if (hp->rtt_us)
			snprintf(rtt, sizeof(rtt), "%.1f ms", hp->rtt_us / 1000.0);
		tool_out_printf(out, "  %3u  %-28s %9s  ", t,
				hp->answered ? addr_or(&hp->addr, a, sizeof(a), "?") : "*", rtt);
		switch (hp->large) {
		case PD_HOPS_NOT_PROBED:
			tool_out_printf(out, "-");
			break;
		case PD_HOPS_TOO_BIG_AT:
			tool_out_printf(out, "%u too big: MTU %u from %s", hp->large_size, hp->mtu,
					addr_or(&hp->ptb_from, b, sizeof(b), "?"));
			break;
		default:
			tool_out_printf(out, "%u %s", hp->large_size, pd_hops_large_name(hp->large));
			break;
		}
		if (hp->target)
			tool_out_printf(out, "  [target]");
		if (d)
			tool_out_printf(out, "  <-- %s", d->kind == PD_HOPS_DROP_PTB
					? "MTU drops after this hop" : "large packets vanish after this hop");
		tool_out_printf(out, "\n");
	}
	if (h->ndrops == 0)
		tool_out_printf(out, "  no drop found%s\n",
				h->located ? "" : " (the scan could not follow the large size)");
}

static json_t *addr_json(const struct pd_search_addr *a)
{
	char buf[INET6_ADDRSTRLEN];
	const char *s = addr_or(a, buf, sizeof(buf), NULL);

	return s ? json_string(s) : json_null();
}

static json_t *drop_json(const struct pd_hops_drop *d)
{
	json_t *o = json_object();

	if (!o)
		return json_null();
	json_object_set_new(o, "ttl", json_integer(d->ttl));
	json_object_set_new(o, "ttl_max", json_integer(d->ttl_max));
	json_object_set_new(o, "address", addr_json(&d->addr));
	json_object_set_new(o, "mtu", d->mtu ? json_integer(d->mtu) : json_null());
	json_object_set_new(o, "size", json_integer(d->size));
	json_object_set_new(o, "kind", json_string(pd_hops_drop_kind_name(d->kind)));
	return o;
}

void mtuprobe_hops_json(const struct mtuprobe_result *r, json_t *doc)
{
	const struct pd_hops_result *h = &r->hops;
	json_t *hops, *drops, *scan;
	unsigned t;
	size_t i;

	if (!r->hops_done) {
		json_object_set_new(doc, "hops", json_null());
		json_object_set_new(doc, "mtu_drop_hop", json_null());
		json_object_set_new(doc, "mtu_drops", json_null());
		json_object_set_new(doc, "hops_scan", json_null());
		return;
	}
	hops = json_array();
	for (t = 1; hops && t <= h->nhops && t <= PD_HOPS_MAX_TTL; t++) {
		const struct pd_hops_hop *hp = &h->hop[t];
		json_t *o = json_object();
		bool big = hp->large == PD_HOPS_TOO_BIG_AT;

		if (!o)
			break;
		json_object_set_new(o, "ttl", json_integer(t));
		json_object_set_new(o, "address", hp->answered ? addr_json(&hp->addr) : json_null());
		json_object_set_new(o, "rtt_ms", hp->rtt_us ? json_real(hp->rtt_us / 1000.0)
							    : json_null());
		json_object_set_new(o, "target", json_boolean(hp->target));
		json_object_set_new(o, "small_reached", json_boolean(hp->small_reached));
		json_object_set_new(o, "large", json_string(pd_hops_large_name(hp->large)));
		json_object_set_new(o, "large_size", hp->large ? json_integer(hp->large_size)
							       : json_null());
		json_object_set_new(o, "large_mtu", big ? json_integer(hp->mtu) : json_null());
		json_object_set_new(o, "large_reported_by", big ? addr_json(&hp->ptb_from)
								: json_null());
		json_array_append_new(hops, o);
	}
	drops = json_array();
	for (i = 0; drops && i < h->ndrops; i++)
		json_array_append_new(drops, drop_json(&h->drop[i]));
	scan = json_object();
	if (scan) {
		json_object_set_new(scan, "small_size", json_integer(r->hops_small));
		json_object_set_new(scan, "large_size", json_integer(r->hops_large));
		json_object_set_new(scan, "target_ttl", h->target_ttl ? json_integer(h->target_ttl)
								      : json_null());
		json_object_set_new(scan, "located", json_boolean(h->located));
		json_object_set_new(scan, "probes", json_integer(h->probes));
		json_object_set_new(scan, "rounds", json_integer(h->rounds));
		json_object_set_new(scan, "elapsed_ms", json_real(r->hops_elapsed_ms));
	}
	json_object_set_new(doc, "hops", hops ? hops : json_null());
	json_object_set_new(doc, "mtu_drop_hop", main_drop(h) ? drop_json(main_drop(h))
							       : json_null());
	json_object_set_new(doc, "mtu_drops", drops ? drops : json_null());
	json_object_set_new(doc, "hops_scan", scan ? scan : json_null());
}
