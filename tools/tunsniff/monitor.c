/* monitor.c - tunsniff's result as Prometheus metrics (--format prometheus)
 * and as a Nagios plugin status line (--format nagios).  Per tunnel and
 * direction the packets, bytes and largest sizes; per tunnel the overhead
 * and implied MTU; capture totals and kernel drops.  Names and labels:
 * docs/monitoring.md.  Labels are stable: a direction is named by its outer
 * endpoints (from, to), a tunnel by its two endpoints in a fixed order (the
 * smaller address first), never by which end happened to send first.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "tunsniff.h"
#include "monitor.h"

#define P "pathdiag_tunsniff_"
#define EP_MAX 64

/* Endpoint e of t as text: the address, with the port for WireGuard
 * ("192.0.2.1:51820", "[2001:db8::1]:51820"). */
static const char *endpoint(const struct pd_ts_tunnel *t, int e, char *buf, size_t len)
{
	char a[48];

	pd_ts_addr(t->outer_family, t->addr[e], a, sizeof(a));
	if (t->kind == PD_TUN_WIREGUARD)
		snprintf(buf, len, t->outer_family == 6 ? "[%s]:%u" : "%s:%u", a,
			 (unsigned)t->port[e]);
	else
		snprintf(buf, len, "%s", a);
	return buf;
}

/* The endpoint that comes first in a fixed order: address bytes, then port. */
static int first_end(const struct pd_ts_tunnel *t)
{
	int c = memcmp(t->addr[0], t->addr[1], t->outer_family == 6 ? 16 : 4);

	if (c == 0)
		c = (int)t->port[0] - (int)t->port[1];
	return c <= 0 ? 0 : 1;
}

/* Labels of direction d of t, or (d < 0) of the tunnel. */
struct tlabels {
	struct tool_labels ls;
	char a[EP_MAX], b[EP_MAX];
};

static void tunnel_labels(const struct pd_ts_tunnel *t, int d, struct tlabels *l)
{
	int f = first_end(t);

	l->ls.n = 0;
	tool_labels_add(&l->ls, "kind", pd_tun_kind_name(t->kind));
	if (d < 0) {
		tool_labels_add(&l->ls, "endpoint1", endpoint(t, f, l->a, sizeof(l->a)));
		tool_labels_add(&l->ls, "endpoint2", endpoint(t, !f, l->b, sizeof(l->b)));
	} else {
		tool_labels_add(&l->ls, "from", endpoint(t, d, l->a, sizeof(l->a)));
		tool_labels_add(&l->ls, "to", endpoint(t, !d, l->b, sizeof(l->b)));
	}
}

/* Per direction: which value. */
enum dir_metric { DM_PACKETS, DM_BYTES, DM_MAX_OUTER, DM_MAX_INNER, DM_FRAGMENTS };

static const struct {
	const char *name, *help;
} dir_metrics[] = {
	[DM_PACKETS] = { P "tunnel_packets", "Outer packets of the tunnel in this direction "
			 "in the capture, measured." },
	[DM_BYTES] = { P "tunnel_bytes", "Outer IP bytes of the tunnel in this direction, "
		       "measured." },
	[DM_MAX_OUTER] = { P "tunnel_max_outer_bytes", "Largest outer IP packet in this "
			   "direction, measured." },
	[DM_MAX_INNER] = { P "tunnel_max_inner_bytes", "Largest inner IP packet (WireGuard: "
			   "padded plaintext) in this direction, measured." },
	[DM_FRAGMENTS] = { P "tunnel_outer_fragments", "Outer IP fragments in this "
			   "direction, measured." },
};

static double dir_value(const struct pd_ts_dir *x, enum dir_metric m)
{
	switch (m) {
	case DM_PACKETS:
		return (double)x->packets;
	case DM_BYTES:
		return (double)x->bytes;
	case DM_MAX_OUTER:
		return x->max_outer;
	case DM_MAX_INNER:
		return x->max_inner;
	case DM_FRAGMENTS:
		return (double)(x->frag_first + x->frag_other);
	}
	return NAN;
}

static void prom_dirs(const struct pd_tunstat *st, const struct tool_labels *base,
		      struct tool_out *out)
{
	struct tlabels l;
	unsigned m, i;
	int d;

	for (m = 0; m < sizeof(dir_metrics) / sizeof(dir_metrics[0]); m++) {
		tool_prom_family(out, dir_metrics[m].name, "gauge", dir_metrics[m].help);
		for (i = 0; i < st->ntun; i++) {
			for (d = 0; d < 2; d++) {
				tunnel_labels(&st->tun[i], d, &l);
				tool_prom_sample(out, dir_metrics[m].name, base, &l.ls,
						 dir_value(&st->tun[i].dir[d], (enum dir_metric)m));
			}
		}
	}
}

/* Per tunnel: overhead, implied MTU, the MTU ICMP errors reported. */
static void prom_tunnels(const struct pd_tunstat *st, const struct tool_labels *base,
			 struct tool_out *out)
{
	uint32_t ovh[PD_TS_MAX_TUNNELS], mtu[PD_TS_MAX_TUNNELS];
	bool has_ovh[PD_TS_MAX_TUNNELS], exact[PD_TS_MAX_TUNNELS];
	bool has_mtu[PD_TS_MAX_TUNNELS], lb[PD_TS_MAX_TUNNELS];
	unsigned i, n_ovh = 0, n_mtu = 0, n_ptb = 0;
	enum pd_provenance prov;
	const char *basis;
	struct tlabels l;

	for (i = 0; i < st->ntun && i < PD_TS_MAX_TUNNELS; i++) {
		lb[i] = false;
		has_ovh[i] = pd_tunstat_overhead(&st->tun[i], &ovh[i], &exact[i]);
		has_mtu[i] = pd_tunstat_mtu(&st->tun[i], &mtu[i], &prov, &lb[i], &basis);
		n_ovh += has_ovh[i];
		n_mtu += has_mtu[i];
		n_ptb += st->tun[i].ptb_mtu != 0;
	}
	tool_prom_family(out, P "tunnels", "gauge", "Tunnels tracked in the capture.");
	tool_prom_sample(out, P "tunnels", base, NULL, st->ntun);
	if (n_ovh) {
		tool_prom_family(out, P "tunnel_overhead_bytes", "gauge", "Bytes the "
				 "encapsulation adds (outer minus inner IP length; measured, or "
				 "derived from the WireGuard layout).");
		for (i = 0; i < st->ntun; i++) {
			if (!has_ovh[i])
				continue;
			tunnel_labels(&st->tun[i], -1, &l);
			tool_prom_sample(out, P "tunnel_overhead_bytes", base, &l.ls, ovh[i]);
		}
		tool_prom_family(out, P "tunnel_overhead_measured", "gauge", "1 when the "
				 "overhead was measured on packets whose inner IP was visible, 0 "
				 "when derived.");
		for (i = 0; i < st->ntun; i++) {
			if (!has_ovh[i])
				continue;
			tunnel_labels(&st->tun[i], -1, &l);
			tool_prom_sample(out, P "tunnel_overhead_measured", base, &l.ls,
					 exact[i]);
		}
	}
	if (n_mtu) {
		tool_prom_family(out, P "tunnel_implied_mtu_bytes", "gauge", "Tunnel MTU the "
				 "packets imply (measured: WireGuard clamped padding; derived: "
				 "largest outer or ICMP-reported MTU minus overhead).");
		for (i = 0; i < st->ntun; i++) {
			if (!has_mtu[i])
				continue;
			tunnel_labels(&st->tun[i], -1, &l);
			tool_prom_sample(out, P "tunnel_implied_mtu_bytes", base, &l.ls, mtu[i]);
		}
		tool_prom_family(out, P "tunnel_implied_mtu_lower_bound", "gauge", "1 when the "
				 "implied MTU is only a lower bound (the largest packet seen), "
				 "else 0.");
		for (i = 0; i < st->ntun; i++) {
			if (!has_mtu[i])
				continue;
			tunnel_labels(&st->tun[i], -1, &l);
			tool_prom_sample(out, P "tunnel_implied_mtu_lower_bound", base, &l.ls,
					 lb[i]);
		}
	}
	if (n_ptb) {
		tool_prom_family(out, P "tunnel_ptb_mtu_bytes", "gauge", "Smallest MTU an ICMP "
				 "too-big error about the tunnel's packets reported, measured.");
		for (i = 0; i < st->ntun; i++) {
			if (!st->tun[i].ptb_mtu)
				continue;
			tunnel_labels(&st->tun[i], -1, &l);
			tool_prom_sample(out, P "tunnel_ptb_mtu_bytes", base, &l.ls,
					 st->tun[i].ptb_mtu);
		}
	}
}

static void prom_totals(const struct tunsniff_result *res, const struct tool_labels *base,
			struct tool_out *out)
{
	const struct pd_ts_totals *t = &res->st->tot;
	struct tool_labels l = { .n = 0 };

	tool_prom_gauge(out, P "frames", "Frames read from all sources.", base,
			(double)t->frames);
	tool_prom_gauge(out, P "ip_packets", "Frames that held an IP packet.", base,
			(double)t->ip_packets);
	tool_prom_gauge(out, P "malformed_frames", "Frames the dissector stopped early on.",
			base, (double)res->malformed);
	tool_prom_family(out, P "icmp_too_big", "gauge", "ICMP errors seen that report an "
			 "MTU: fragmentation needed (family 4), packet too big (family 6).");
	tool_labels_add(&l, "family", "4");
	tool_prom_sample(out, P "icmp_too_big", base, &l, (double)t->frag_needed);
	l.n = 0;
	tool_labels_add(&l, "family", "6");
	tool_prom_sample(out, P "icmp_too_big", base, &l, (double)t->ptb);
	tool_prom_gauge(out, P "untracked_tunnel_packets", "Tunnel packets of tunnels the full "
			"table refused (--max-tunnels), counted only.", base,
			(double)t->tunnels_dropped);
	if (res->st) {
		const struct pd_tunstat *st = res->st;
		static const char *const table[] = { "tunnels", "inner_flows",
						     "wireguard_sessions", "events" };
		const uint64_t n[] = { st->tun_evicted, st->flows_evicted, st->sess_evicted,
				       st->ev_evicted };

		tool_prom_family(out, P "table_evictions", "gauge", "Entries evicted for new "
				 "ones from the analysis' fixed tables (tunsniff(1) LIMITS): "
				 "tunnels, inner TCP flows, WireGuard sessions, events.");
		for (unsigned i = 0; i < 4; i++) {
			l.n = 0;
			tool_labels_add(&l, "table", table[i]);
			tool_prom_sample(out, P "table_evictions", base, &l, (double)n[i]);
		}
	}
}

/* Per source: frames, and for live sources the kernel's drop counters. */
static void prom_sources(const struct tunsniff_result *res, const struct tool_labels *base,
			 struct tool_out *out)
{
	static const char *const names[] = { P "source_frames", P "source_kernel_received",
					     P "source_kernel_dropped",
					     P "source_interface_dropped" };
	static const char *const helps[] = {
		"Frames read from the source.",
		"Packets the kernel's capture saw on the interface (live sources).",
		("Packets the capture buffer had no room for: dropped by the kernel, not "
		 "analysed (live sources)."),
		"Packets the interface or its driver dropped (live sources).",
	};
	struct tool_labels l;
	unsigned k, i;
	bool live = false;

	for (i = 0; i < res->nsources; i++)
		live = live || (res->src[i].live && res->src[i].stats.valid);
	for (k = 0; k < 4 && (k == 0 || live); k++) {
		tool_prom_family(out, names[k], "gauge", helps[k]);
		for (i = 0; i < res->nsources; i++) {
			const struct pd_cap_source_info *s = &res->src[i];
			double v = (double)s->frames;

			if (k && !(s->live && s->stats.valid))
				continue;
			if (k == 1)
				v = (double)s->stats.received;
			else if (k == 2)
				v = (double)s->stats.dropped;
			else if (k == 3)
				v = (double)s->stats.if_dropped;
			l.n = 0;
			tool_labels_add(&l, "source", s->name);
			tool_prom_sample(out, names[k], base, &l, v);
		}
	}
}

/* The sources joined with ',': the label that keeps two runs' files apart. */
static void capture_name(const struct tunsniff_result *res, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < res->nsources && n < len; i++) {
		int w = snprintf(buf + n, len - n, "%s%s", i ? "," : "", res->src[i].name);

		if (w < 0)
			break;
		n += (size_t)w;
	}
}

void tunsniff_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out)
{
	const struct tunsniff_result *res = result;
	struct tool_labels base = { .n = 0 };
	char cap[1024];

	capture_name(res, cap, sizeof(cap));
	tool_labels_add(&base, "capture", cap);
	if (res->nsources)
		prom_sources(res, &base, out);
	if (res->st && res->analysed) {
		prom_totals(res, &base, out);
		prom_tunnels(res->st, &base, out);
		prom_dirs(res->st, &base, out);
	}
	tool_prom_report(ctx, &res->report, "pathdiag_tunsniff", &base, out);
}

/* ---- Nagios -------------------------------------------------------------------- */

#define NAGIOS_MAX_TUNNELS 8

void tunsniff_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct tunsniff_result *res = result;
	const struct pd_tunstat *st = res->analysed ? res->st : NULL;
	const struct pd_finding *w = tool_report_worst(&res->report);
	char sum[512], lbl[200], a[EP_MAX], b[EP_MAX];
	uint64_t pk = 0;
	struct tool_out perf;
	unsigned i;
	int n;

	tool_out_init(&perf);
	if (st) {
		for (i = 0; i < st->ntun; i++)
			pk += st->tun[i].dir[0].packets + st->tun[i].dir[1].packets;
		n = snprintf(sum, sizeof(sum), "%u tunnel%s, %llu tunnel packets in %llu frames",
			     st->ntun, st->ntun == 1 ? "" : "s", (unsigned long long)pk,
			     (unsigned long long)st->tot.frames);
		tool_nagios_perf(&perf, "frames", (double)st->tot.frames, "", "", "", "0", "");
		tool_nagios_perf(&perf, "tunnels", st->ntun, "", "", "", "0", "");
		tool_nagios_perf(&perf, "tunnel_packets", (double)pk, "", "", "", "0", "");
		tool_nagios_perf(&perf, "icmp_too_big",
				 (double)(st->tot.frag_needed + st->tot.ptb), "", "", "", "0", "");
		for (i = 0; i < st->ntun && i < NAGIOS_MAX_TUNNELS; i++) {
			const struct pd_ts_tunnel *t = &st->tun[i];
			enum pd_provenance prov;
			const char *basis;
			uint32_t mtu;
			bool lb = false;
			int f = first_end(t);

			if (!pd_tunstat_mtu(t, &mtu, &prov, &lb, &basis))
				continue;
			snprintf(lbl, sizeof(lbl), "mtu %s %s %s", pd_tun_kind_name(t->kind),
				 endpoint(t, f, a, sizeof(a)), endpoint(t, !f, b, sizeof(b)));
			tool_nagios_perf(&perf, lbl, mtu, "B", "", "", "0", "");
		}
	} else {
		n = snprintf(sum, sizeof(sum), "nothing analysed");
	}
	if (w && n > 0 && (size_t)n < sizeof(sum))
		snprintf(sum + n, sizeof(sum) - (size_t)n, "; %s", w->message);
	tool_nagios_output(ctx, &res->report, sum, &perf, out);
	tool_out_free(&perf);
}
