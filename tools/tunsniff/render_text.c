/* render_text.c - tunsniff's result as text for people: a verdict line,
 * the sources (with the kernel's drop counts for live capture), one block
 * per tunnel with a line per direction, then the findings with their
 * evidence frames.  Every size says whether it was measured or derived.
 */
#include <stdio.h>

#include "tunsniff.h"

static void endpoint(const struct pd_ts_tunnel *t, int e, char *buf, size_t len)
{
	char a[48];

	pd_ts_addr(t->outer_family, t->addr[e], a, sizeof(a));
	if (t->kind == PD_TUN_WIREGUARD)
		snprintf(buf, len, t->outer_family == 6 ? "[%s]:%u" : "%s:%u", a, t->port[e]);
	else
		snprintf(buf, len, "%s", a);
}

static void text_sources(const struct tunsniff_result *res, struct tool_out *out)
{
	for (unsigned i = 0; i < res->nsources; i++) {
		const struct pd_cap_source_info *s = &res->src[i];

		tool_out_printf(out, "source %u: %s %s (%s), %llu frames", i + 1,
				s->live ? "interface" : "file", s->name,
				pd_cap_linktype_name(s->linktype),
				(unsigned long long)s->frames);
		if (s->live) {
			if (s->stats.valid)
				tool_out_printf(out, ", kernel: %llu received, %llu dropped, "
						"%llu dropped by interface",
						(unsigned long long)s->stats.received,
						(unsigned long long)s->stats.dropped,
						(unsigned long long)s->stats.if_dropped);
			else
				tool_out_printf(out, ", kernel drop counts unavailable");
		}
		tool_out_printf(out, "\n");
		if (s->live && res->iface[i].known && res->iface[i].mtu)
			tool_out_printf(out, "  %s: %s, MTU %u (configured)%s\n", s->name,
					res->iface[i].kind[0] ? res->iface[i].kind : "no kind",
					res->iface[i].mtu,
					res->iface[i].used_for_mss ?
						", a tunnel interface: TCP MSS judged against it" : "");
	}
	if (res->write)
		tool_out_printf(out, "saved to %s%s\n", res->write,
				res->nsources > 1 ? " (source N >= 2 to FILE.N-1)" : "");
}

static void text_tunnel(const struct pd_ts_tunnel *t, struct tool_out *out)
{
	char a[64], b[64], ov[64], mt[96];
	uint32_t ovh, mtu;
	bool exact, lb;
	enum pd_provenance prov;
	const char *basis;

	endpoint(t, 0, a, sizeof(a));
	endpoint(t, 1, b, sizeof(b));
	if (pd_tunstat_overhead(t, &ovh, &exact))
		snprintf(ov, sizeof(ov), "%u bytes (%s)", ovh,
			 exact ? "measured" : t->kind == PD_TUN_WIREGUARD &&
						!t->dir[0].ovh_samples && !t->dir[1].ovh_samples ?
				 "derived from the message layout" : "measured, varies");
	else
		snprintf(ov, sizeof(ov), "unknown");
	if (pd_tunstat_mtu(t, &mtu, &prov, &lb, &basis))
		snprintf(mt, sizeof(mt), "%s%u (%s: %s)", lb ? ">= " : "", mtu,
			 pd_provenance_name(prov), basis);
	else
		snprintf(mt, sizeof(mt), "unknown");
	tool_out_printf(out, "\n%s %s <-> %s (outer IPv%d%s)\n", pd_tun_kind_name(t->kind), a, b,
			t->outer_family,
			t->inner_family == 4 ? ", inner IPv4" :
			t->inner_family == 6 ? ", inner IPv6" : "");
	tool_out_printf(out, "  overhead %s\n  tunnel MTU %s\n", ov, mt);
	if (t->kind == PD_TUN_WIREGUARD)
		tool_out_printf(out, "  sessions %u%s\n", t->nsess,
				t->sess_overflow ? " (more not tracked)" : "");
	tool_out_printf(out, "  %-4s %10s %12s %9s %9s %9s%s\n", "dir", "packets", "bytes",
			"max-outer", "max-inner", "fragments",
			t->kind == PD_TUN_WIREGUARD ? "   init resp cookie  data keepalive" : "");
	for (int d = 0; d < 2; d++) {
		const struct pd_ts_dir *x = &t->dir[d];

		tool_out_printf(out, "  %-4s %10llu %12llu %9u %9u %9llu", d ? "b->a" : "a->b",
				(unsigned long long)x->packets, (unsigned long long)x->bytes,
				x->max_outer, x->max_inner,
				(unsigned long long)(x->frag_first + x->frag_other));
		if (t->kind == PD_TUN_WIREGUARD)
			tool_out_printf(out, "   %4llu %4llu %6llu %5llu %9llu",
					(unsigned long long)x->wg[1], (unsigned long long)x->wg[2],
					(unsigned long long)x->wg[3],
					(unsigned long long)x->wg[4],
					(unsigned long long)x->wg[0]);
		tool_out_printf(out, "\n");
	}
}

/* The tables' counts, when a full table evicted or refused anything. */
static void text_limits(const struct pd_tunstat *st, struct tool_out *out)
{
	if (!st->tun_evicted && !st->tot.tunnels_dropped && !st->flows_evicted &&
	    !st->flows_dropped && !st->sess_evicted && !st->ev_evicted && !st->ev_dropped)
		return;
	tool_out_printf(out, "tables (measured; limits in tunsniff(1)): tunnels %u of %u, %llu "
			"evicted, %llu packets not analysed; inner TCP flows %u of %u, %llu "
			"evicted, %llu segments not tracked; WireGuard sessions %llu evicted; "
			"events %llu evicted, %llu dropped\n",
			st->ntun, st->cap, (unsigned long long)st->tun_evicted,
			(unsigned long long)st->tot.tunnels_dropped, st->nflows, PD_TS_MAX_FLOWS,
			(unsigned long long)st->flows_evicted,
			(unsigned long long)st->flows_dropped,
			(unsigned long long)st->sess_evicted, (unsigned long long)st->ev_evicted,
			(unsigned long long)st->ev_dropped);
}

void tunsniff_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct tunsniff_result *res = result;
	enum pd_exit code = tool_report_exit(&res->report);
	const struct pd_tunstat *st = res->st;

	/* a failure before any frame was read: only the error line (stderr) */
	if (!res->analysed)
		return;
	tool_out_printf(out, "%s: %u tunnel%s, %zu finding%s\n", pd_exit_name(code),
			st ? st->ntun : 0, st && st->ntun == 1 ? "" : "s",
			res->report.findings.count, res->report.findings.count == 1 ? "" : "s");
	text_sources(res, out);
	if (st) {
		tool_out_printf(out, "stopped: %s; %llu frames, %llu IP packets, %.3f s\n",
				res->stop_reason ? res->stop_reason : "error",
				(unsigned long long)st->tot.frames,
				(unsigned long long)st->tot.ip_packets, res->elapsed);
		text_limits(st, out);
		for (unsigned i = 0; i < st->ntun; i++)
			text_tunnel(&st->tun[i], out);
		if (res->report.findings.count)
			tool_out_printf(out, "\n");
	}
	tool_report_text(ctx, &res->report, out);
}
