/* wgcheck.c - offline checks of wg-quick configurations
 * (pathdiag/wgcheck.h).
 *
 * Specs: pathdiag/overhead.h and pathdiag/tunmtu.h (WireGuard's 60/80 bytes
 * and the MTU verdict, reused here), RFC 8200 section 5 (1280), RFC 9293
 * section 3.7.1 (MSS), RFC 6333 section 6.6 (DS-Lite's AFTR NAT),
 * iptables-extensions(8) TCPMSS, nft(8), ip-rule(8), wg-quick(8).  The
 * heuristics (who forwards, who is behind NAT, where a DNAT's replies go)
 * are written out in docs/mtuprobe.1, section CHECK.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <pathdiag/overhead.h>
#include <pathdiag/tunmtu.h>
#include <pathdiag/wgcheck.h>

#include "wgcmd.h"

#define MAX_CMDS 96 /* commands of all hooks of one file */

static const struct pd_wgk_rule rules[] = {
	{ "syntax", "the file is not a valid wg-quick configuration", PD_SEV_CRITICAL },
	{ "unknown-key", "a key wg-quick and wg do not know", PD_SEV_CRITICAL },
	{ "bad-key", "a key that is not 32 bytes of base64", PD_SEV_CRITICAL },
	{ "bad-address", "an address or prefix that does not parse", PD_SEV_CRITICAL },
	{ "bad-endpoint", "an Endpoint that is not HOST:PORT or [IPv6]:PORT", PD_SEV_CRITICAL },
	{ "bad-number", "a number out of range", PD_SEV_CRITICAL },
	{ "bad-value", "a value the key does not take", PD_SEV_CRITICAL },
	{ "too-many", "more entries than the checker keeps", PD_SEV_UNKNOWN },
	{ "mtu-too-big", "tunnel MTU too big for the declared path", PD_SEV_CRITICAL },
	{ "mtu-no-room", "the path cannot carry WireGuard's overhead", PD_SEV_CRITICAL },
	{ "mtu-below-path", "tunnel MTU smaller than the path allows", PD_SEV_INFO },
	{ "mtu-peers", "the MTU every peer of the tunnel should use", PD_SEV_INFO },
	{ "mtu-unchecked", "no underlay declared: the MTU was not checked", PD_SEV_INFO },
	{ "endpoint-family", "the endpoint's family is not on the declared underlay",
	  PD_SEV_WARNING },
	{ "ipv6-mtu-below-1280", "IPv6 carried in a tunnel with MTU below 1280", PD_SEV_CRITICAL },
	{ "mss-clamp-missing", "a forwarding host without TCP MSS clamping", PD_SEV_WARNING },
	{ "mss-clamp-wrong-interface", "MSS clamp on an interface other than the tunnel",
	  PD_SEV_WARNING },
	{ "mss-clamp-wrong-direction", "MSS clamp that does not see SYNs into the tunnel",
	  PD_SEV_WARNING },
	{ "mss-clamp-ipv6-missing", "IPv6 forwarded without an IPv6 MSS clamp", PD_SEV_WARNING },
	{ "mss-clamp-too-large", "fixed MSS larger than the tunnel carries", PD_SEV_WARNING },
	{ "dnat-masquerade-tunnel", "MASQUERADE on the tunnel hides DNAT clients' addresses",
	  PD_SEV_WARNING },
	{ "dnat-return-path", "DNAT target without return-path policy routing", PD_SEV_WARNING },
	{ "dnat-return-path-unverified", "DNAT through the tunnel, target's config not given",
	  PD_SEV_INFO },
	{ "table-no-route", "Table set but no route to the tunnel subnet", PD_SEV_WARNING },
	{ "keepalive-missing", "no PersistentKeepalive on the side behind NAT", PD_SEV_WARNING },
	{ "postdown-missing", "PostUp adds what PostDown never removes", PD_SEV_WARNING },
	{ "postdown-adds", "PostDown adds a rule instead of deleting it", PD_SEV_WARNING },
};

size_t pd_wgk_rule_count(void)
{
	return sizeof(rules) / sizeof(rules[0]);
}

const struct pd_wgk_rule *pd_wgk_rule_get(size_t i)
{
	return i < pd_wgk_rule_count() ? &rules[i] : NULL;
}

int pd_wgk_rule_index(const char *id)
{
	for (size_t i = 0; id && i < pd_wgk_rule_count(); i++)
		if (!strcmp(rules[i].id, id))
			return (int)i;
	return -1;
}

struct ctx {
	const struct pd_wgk_input *in;
	size_t n, which;
	const struct pd_wgc_config *cfg;
	const char *ifname;
	const struct pd_wgk_underlay *u;
	struct pd_wgk_report *out;
	unsigned eff_mtu;
	size_t ncmd;
	struct wgcmd cmd[MAX_CMDS];
	const struct pd_wgc_hook *hook[MAX_CMDS];
};

static struct pd_wgk_finding *add(struct ctx *c, const char *rule, enum pd_severity sev,
				  unsigned line)
{
	struct pd_wgk_report *r = c->out;
	struct pd_wgk_finding *f;

	r->worst = pd_severity_worse(r->worst, sev);
	if (r->n >= PD_WGK_MAX_FINDINGS) {
		r->dropped++;
		f = &r->spare; /* counted, not kept */
	} else {
		f = &r->f[r->n++];
	}
	memset(f, 0, sizeof(*f));
	f->rule = rule;
	f->severity = sev;
	f->file = c->which;
	f->line = line;
	return f;
}

static void say(char *buf, size_t len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void say(char *buf, size_t len, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, len, fmt, ap);
	va_end(ap);
}

static void set_fix(struct pd_wgk_finding *f, enum pd_wgk_fix_kind k, unsigned line)
{
	f->fix_kind = f->fix[0] ? k : PD_WGK_FIX_NONE;
	f->fix_line = line;
}

/* The line after which new [Interface] lines go: its last hook or key. */
static unsigned iface_insert_line(const struct pd_wgc_config *cfg)
{
	unsigned l = cfg->interface_line;

	for (size_t i = 0; i < cfg->n_hooks; i++)
		if (cfg->hook[i].line > l && (!cfg->n_peers || cfg->hook[i].line < cfg->peer[0].line))
			l = cfg->hook[i].line;
	return l;
}

static bool is_tunnel(const struct ctx *c, const char *dev)
{
	return dev[0] && (!strcmp(dev, c->ifname) || !strcmp(dev, "%i"));
}

static bool carries6(const struct pd_wgc_config *cfg)
{
	for (size_t i = 0; i < cfg->n_addr; i++)
		if (cfg->addr[i].family == 6)
			return true;
	for (size_t p = 0; p < cfg->n_peers; p++)
		for (size_t i = 0; i < cfg->peer[p].n_allowed; i++)
			if (cfg->peer[p].allowed[i].family == 6)
				return true;
	return false;
}

/* The network of p as text, "192.168.160.0/24". */
static void net_str(const struct pd_wgc_prefix *p, unsigned plen, char *buf, size_t len)
{
	struct pd_wgc_prefix q = *p;
	unsigned bits = q.family == 4 ? 32 : 128;

	q.plen = (uint8_t)plen;
	for (unsigned b = plen; b < bits; b++)
		q.addr[b / 8] &= (uint8_t)~(0x80u >> (b % 8));
	pd_wgc_prefix_str(&q, buf, len);
}

static void collect_cmds(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;

	c->ncmd = 0;
	for (size_t h = 0; h < cfg->n_hooks && c->ncmd < MAX_CMDS; h++) {
		size_t k = wgcmd_parse(&cfg->hook[h], c->ifname, &c->cmd[c->ncmd],
				       MAX_CMDS - c->ncmd);

		for (size_t i = 0; i < k; i++)
			c->hook[c->ncmd + i] = &cfg->hook[h];
		c->ncmd += k;
	}
}

static bool is_up(const struct pd_wgc_hook *h)
{
	return h->kind == PD_WGC_PREUP || h->kind == PD_WGC_POSTUP;
}

/* ---- parse errors ----------------------------------------------------------------- */

static void check_diag(struct ctx *c)
{
	for (size_t i = 0; i < c->cfg->n_diag; i++) {
		const struct pd_wgc_diag *d = &c->cfg->diag[i];
		struct pd_wgk_finding *f = add(c, d->kind, !strcmp(d->kind, "too-many") ?
					       PD_SEV_UNKNOWN : PD_SEV_CRITICAL, d->line);

		say(f->what, sizeof(f->what), "%s", d->msg);
		say(f->why, sizeof(f->why), "%s", !strcmp(d->kind, "too-many")
		    ? "The entries past the limit were not checked."
		    : "wg-quick or wg refuses the file, so the interface does not come up.");
	}
	if (c->cfg->diag_dropped) {
		struct pd_wgk_finding *f = add(c, "too-many", PD_SEV_CRITICAL, c->cfg->lines);

		say(f->what, sizeof(f->what), "%zu more errors not listed", c->cfg->diag_dropped);
		say(f->why, sizeof(f->why), "Only the first %d errors of a file are kept.",
		    PD_WGC_MAX_DIAG);
	}
}

/* ---- MTU -------------------------------------------------------------------------- */

static unsigned wg_overhead(int family)
{
	struct pd_ovh_stack st;
	struct pd_error e = { 0 };
	unsigned bytes = 0;

	if (pd_ovh_parse(family == 4 ? "wireguard:4" : "wireguard:6", &st, &e) < 0 ||
	    pd_ovh_overhead(&st, family, &bytes, &e) < 0)
		return family == 4 ? 60 : 80; /* not reached: the table has wireguard */
	return bytes;
}

static void check_mtu(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;
	const struct pd_wgk_underlay *u = c->u;
	bool want[2] = { false, false }, any_named = false, declared = false;
	unsigned best = 0, best_path = 0, best_ovh = 0, line;
	int best_fam = 0;
	struct pd_tunmtu_verdict bv = { 0 };
	struct pd_wgk_finding *f;

	for (size_t p = 0; p < cfg->n_peers; p++) {
		const struct pd_wgc_peer *pe = &cfg->peer[p];
		int fi;

		if (!pe->has_endpoint)
			continue;
		if (!pe->endpoint_family) {
			any_named = true;
			continue;
		}
		fi = pe->endpoint_family == 4 ? 0 : 1;
		want[fi] = true;
		if (u->unavailable[fi]) {
			f = add(c, "endpoint-family", PD_SEV_WARNING, pe->endpoint_line);
			say(f->what, sizeof(f->what), "Endpoint %s is IPv%d, but the underlay was "
			    "declared without IPv%d (%s)", pe->endpoint_host, pe->endpoint_family,
			    pe->endpoint_family, u->basis[1 - fi]);
			say(f->why, sizeof(f->why), "The handshake cannot reach an endpoint of a "
			    "family the access line does not carry.");
		}
	}
	/* Peers that connect here (no Endpoint) or host names: any declared family. */
	if (any_named || (!want[0] && !want[1])) {
		want[0] = want[0] || (u->path_mtu[0] && !u->unavailable[0]);
		want[1] = want[1] || (u->path_mtu[1] && !u->unavailable[1]);
	}
	for (int fi = 0; fi < 2; fi++) {
		struct pd_tunmtu_in tin;
		struct pd_tunmtu_verdict v;
		struct pd_error e = { 0 };
		int fam = fi ? 6 : 4;

		if (!want[fi] || !u->path_mtu[fi] || u->unavailable[fi])
			continue;
		declared = true;
		tin.configured = c->eff_mtu;
		tin.path_mtu = u->path_mtu[fi];
		tin.overhead = wg_overhead(fam);
		tin.pad = PD_TUNMTU_WG_PAD;
		if (pd_tunmtu_check(&tin, &v, &e) < 0)
			continue;
		if (!best_fam || v.recommended < best || v.state == PD_TUNMTU_NO_ROOM) {
			best = v.recommended;
			best_fam = fam;
			best_path = tin.path_mtu;
			best_ovh = tin.overhead;
			bv = v;
		}
	}
	line = cfg->mtu.line ? cfg->mtu.line : cfg->interface_line;
	if (!declared) {
		f = add(c, "mtu-unchecked", PD_SEV_INFO, line);
		say(f->what, sizeof(f->what), "MTU %u%s not checked: no underlay declared",
		    c->eff_mtu, cfg->mtu.line ? "" : " (wg-quick default)");
		say(f->why, sizeof(f->why), "Declare the path with --path-mtu, --underlay or "
		    "--measured to check the tunnel MTU.");
		return;
	}
	c->out->recommended_mtu = bv.state == PD_TUNMTU_NO_ROOM ? 0 : best;
	if (bv.state == PD_TUNMTU_NO_ROOM) {
		f = add(c, "mtu-no-room", PD_SEV_CRITICAL, line);
		say(f->what, sizeof(f->what), "a %u-byte IPv%d path (%s) cannot carry WireGuard's "
		    "%u bytes of overhead", best_path, best_fam, c->u->basis[best_fam == 4 ? 0 : 1],
		    best_ovh);
		say(f->why, sizeof(f->why), "No tunnel MTU works over this path.");
		return;
	}
	if (bv.state == PD_TUNMTU_TOO_BIG) {
		f = add(c, "mtu-too-big", PD_SEV_CRITICAL, line);
		say(f->what, sizeof(f->what), "MTU %u%s is %u bytes too big for the %u-byte IPv%d "
		    "path (%s): WireGuard adds %u bytes over IPv%d, leaving %u", c->eff_mtu,
		    cfg->mtu.line ? "" : " (wg-quick default, 1500 - 80)", bv.excess, best_path,
		    best_fam, c->u->basis[best_fam == 4 ? 0 : 1], best_ovh, best_fam, best);
		say(f->why, sizeof(f->why), "Encapsulated packets larger than the path MTU are "
		    "lost and the ICMP that would say so rarely reaches the tunnel, so small "
		    "packets pass while large transfers stall.");
		say(f->fix, sizeof(f->fix), "MTU = %u", best);
		set_fix(f, cfg->mtu.line ? PD_WGK_FIX_REPLACE : PD_WGK_FIX_INSERT,
			cfg->mtu.line ? cfg->mtu.line : cfg->interface_line);
	} else if (bv.state == PD_TUNMTU_BELOW) {
		f = add(c, "mtu-below-path", PD_SEV_INFO, line);
		say(f->what, sizeof(f->what), "MTU %u is %u bytes below what the %u-byte IPv%d path "
		    "(%s) carries (%u)", c->eff_mtu, bv.unused, best_path, best_fam,
		    c->u->basis[best_fam == 4 ? 0 : 1], best);
		say(f->why, sizeof(f->why), "It works; each packet just carries less than it "
		    "could.");
		say(f->fix, sizeof(f->fix), "MTU = %u", best);
		set_fix(f, cfg->mtu.line ? PD_WGK_FIX_REPLACE : PD_WGK_FIX_INSERT,
			cfg->mtu.line ? cfg->mtu.line : cfg->interface_line);
	}
	if (cfg->n_peers) {
		f = add(c, "mtu-peers", PD_SEV_INFO, line);
		say(f->what, sizeof(f->what), "every peer of this tunnel should use MTU %u over "
		    "this path (IPv%d: %u - %u)", best, best_fam, best_path, best_ovh);
		say(f->why, sizeof(f->why), "Each side sizes the packets it sends by its own MTU, "
		    "so a peer left at a larger MTU loses large packets in one direction only.");
		say(f->fix, sizeof(f->fix), "MTU = %u", best);
		set_fix(f, PD_WGK_FIX_NONE, 0);
	}
}

static void check_ipv6_min(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;
	struct pd_wgk_finding *f;
	unsigned rec = c->out->recommended_mtu;

	if (!carries6(cfg) || c->eff_mtu >= 1280)
		return;
	f = add(c, "ipv6-mtu-below-1280", PD_SEV_CRITICAL,
		cfg->mtu.line ? cfg->mtu.line : cfg->interface_line);
	say(f->what, sizeof(f->what), "the tunnel carries IPv6 but its MTU is %u, below 1280",
	    c->eff_mtu);
	say(f->why, sizeof(f->why), "IPv6 requires every link to carry 1280-byte packets (RFC "
	    "8200 section 5); the kernel removes IPv6 from an interface with a smaller MTU.");
	if (!rec || rec >= 1280) {
		say(f->fix, sizeof(f->fix), "MTU = %u", rec ? rec : 1280);
		set_fix(f, cfg->mtu.line ? PD_WGK_FIX_REPLACE : PD_WGK_FIX_INSERT,
			cfg->mtu.line ? cfg->mtu.line : cfg->interface_line);
	} else {
		say(f->fix, sizeof(f->fix), "%s", "");
		say(f->why + strlen(f->why), sizeof(f->why) - strlen(f->why),
		    " The path leaves only %u, so carry IPv4 only (drop IPv6 from Address and "
		    "AllowedIPs).", rec);
	}
}

/* ---- forwarding and MSS clamping ------------------------------------------------------ */

/* Does file j send everything to the file being checked?  j's only peer
 * with a default route (0.0.0.0/0 or ::/0) is taken to be this host when
 * this file has a peer whose AllowedIPs contain one of j's addresses. */
static int peer_sends_all(const struct ctx *c, size_t j, unsigned *fam_mask)
{
	const struct pd_wgc_config *o = c->in[j].cfg;
	int defaults = 0;
	unsigned mask = 0;
	bool mine = false;

	for (size_t p = 0; p < o->n_peers; p++) {
		unsigned m = 0;

		for (size_t i = 0; i < o->peer[p].n_allowed; i++)
			if (!o->peer[p].allowed[i].plen)
				m |= o->peer[p].allowed[i].family == 4 ? 1u : 2u;
		if (m) {
			defaults++;
			mask = m;
		}
	}
	if (defaults != 1)
		return 0;
	for (size_t p = 0; p < c->cfg->n_peers && !mine; p++)
		for (size_t i = 0; i < c->cfg->peer[p].n_allowed && !mine; i++)
			for (size_t a = 0; a < o->n_addr && !mine; a++)
				if (c->cfg->peer[p].allowed[i].plen &&
				    pd_wgc_prefix_contains(&c->cfg->peer[p].allowed[i],
							   o->addr[a].family, o->addr[a].addr))
					mine = true;
	*fam_mask = mask;
	return mine;
}

static void mss_fix(bool v4, bool v6, char *buf, size_t len)
{
	static const char rule[] = "-t mangle %s FORWARD -o %%i -p tcp --tcp-flags SYN,RST SYN "
				   "-j TCPMSS --clamp-mss-to-pmtu";
	char r[160];
	size_t o = 0;

	buf[0] = '\0';
	for (int k = 0; k < 2; k++) {
		const char *prog = k ? "ip6tables" : "iptables";

		if ((k == 0 && !v4) || (k == 1 && !v6))
			continue;
		for (int d = 0; d < 2; d++) {
			int w;

			/* the format is the constant above */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
			snprintf(r, sizeof(r), rule, d ? "-D" : "-A");
#pragma GCC diagnostic pop
			w = snprintf(buf + o, len - o, "%s%s = %s %s", o ? "\n" : "",
				     d ? "PostDown" : "PostUp", prog, r);
			if (w < 0 || (size_t)w >= len - o)
				return;
			o += (size_t)w;
		}
	}
}

static void check_mss(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;
	unsigned fwd_line = 0, fam_need = 0, ok_fams = 0;
	char reason[160] = "";
	struct pd_wgk_finding *f;
	size_t nbad = 0, bad[MAX_CMDS];

	for (size_t i = 0; i < c->ncmd; i++) {
		const struct wgcmd *w = &c->cmd[i];
		unsigned fm = w->family == 4 ? 1u : w->family == 6 ? 2u : 3u;
		bool fwd = false;

		if (!is_up(c->hook[i]) || w->action == WGCMD_DEL)
			continue;
		if (w->type == WGCMD_IPT && w->action == WGCMD_ADD &&
		    (!strcmp(w->chain, "FORWARD") || !strcmp(w->target, "MASQUERADE") ||
		     !strcmp(w->target, "SNAT") || !strcmp(w->target, "DNAT")))
			fwd = true;
		if (w->type == WGCMD_NFT && w->action == WGCMD_ADD &&
		    (strcasestr(w->chain, "forward") || !strcmp(w->target, "MASQUERADE") ||
		     !strcmp(w->target, "SNAT") || !strcmp(w->target, "DNAT")))
			fwd = true;
		if (w->type == WGCMD_SYSCTL_FWD) {
			fwd = true;
			fm = 3;
		}
		if (w->type == WGCMD_IPRULE && w->action == WGCMD_ADD && w->iif[0] &&
		    strcmp(w->iif, "lo") && !is_tunnel(c, w->iif))
			fwd = true;
		if (!fwd)
			continue;
		fam_need |= fm;
		if (!fwd_line) {
			fwd_line = c->hook[i]->line;
			say(reason, sizeof(reason), "%s on line %u forwards for other hosts",
			    pd_wgc_hook_name(c->hook[i]->kind), fwd_line);
		}
	}
	for (size_t j = 0; j < c->n; j++) {
		unsigned m = 0;

		if (j == c->which || !peer_sends_all(c, j, &m))
			continue;
		fam_need |= m;
		if (!fwd_line) {
			fwd_line = cfg->interface_line;
			say(reason, sizeof(reason), "%s sends all its traffic here (AllowedIPs %s)",
			    c->in[j].name ? c->in[j].name : "a peer's configuration",
			    m & 1 ? "0.0.0.0/0" : "::/0");
		}
	}
	if (!fwd_line)
		return;
	if (!carries6(cfg))
		fam_need &= 1u;
	for (size_t i = 0; i < c->ncmd; i++) {
		const struct wgcmd *w = &c->cmd[i];
		unsigned fm = w->family == 4 ? 1u : w->family == 6 ? 2u : 3u;
		bool good;

		if (!is_up(c->hook[i]) || w->action != WGCMD_ADD || strcmp(w->target, "TCPMSS"))
			continue;
		if (w->set_mss && c->eff_mtu > 60 &&
		    w->set_mss > pd_ovh_mss(c->eff_mtu, w->family == 6 ? 6 : 4)) {
			f = add(c, "mss-clamp-too-large", PD_SEV_WARNING, c->hook[i]->line);
			say(f->what, sizeof(f->what), "the clamp sets MSS %u, more than MTU %u "
			    "leaves for TCP over IPv%d (%u)", w->set_mss, c->eff_mtu,
			    w->family == 6 ? 6 : 4, pd_ovh_mss(c->eff_mtu, w->family == 6 ? 6 : 4));
			say(f->why, sizeof(f->why), "Segments of that size do not fit the tunnel.");
			mss_fix(w->family != 6, w->family == 6, f->fix, sizeof(f->fix));
			set_fix(f, PD_WGK_FIX_NONE, 0);
			continue;
		}
		good = (w->out[0] && !w->out_neg && is_tunnel(c, w->out)) ||
		       (!w->out[0] && !(w->in[0] && !w->in_neg && is_tunnel(c, w->in)) &&
			strcmp(w->chain, "INPUT") && strcmp(w->chain, "OUTPUT") &&
			strcasecmp(w->chain, "input") && strcasecmp(w->chain, "output")) ||
		       (w->set_mss && !w->out[0]);
		if (good)
			ok_fams |= fm;
		else
			bad[nbad++] = i;
	}
	if (!ok_fams && !nbad) {
		f = add(c, "mss-clamp-missing", PD_SEV_WARNING, fwd_line);
		say(f->what, sizeof(f->what), "this host forwards (%s) but clamps no TCP MSS to the "
		    "tunnel's MTU %u", reason, c->eff_mtu);
		say(f->why, sizeof(f->why), "Hosts behind it (containers, LAN clients, the far "
		    "side) announce an MSS from their own 1500-byte links, so full-size segments "
		    "meet the smaller tunnel and stall when PMTUD fails.");
		mss_fix(fam_need & 1u, fam_need & 2u, f->fix, sizeof(f->fix));
		set_fix(f, PD_WGK_FIX_INSERT, iface_insert_line(cfg));
		return;
	}
	if (!ok_fams) {
		for (size_t k = 0; k < nbad; k++) {
			const struct wgcmd *w = &c->cmd[bad[k]];
			bool dir = !w->out[0];

			f = add(c, dir ? "mss-clamp-wrong-direction" : "mss-clamp-wrong-interface",
				PD_SEV_WARNING, c->hook[bad[k]]->line);
			if (dir)
				say(f->what, sizeof(f->what), "the MSS clamp matches %s%s, not packets "
				    "leaving by %s", w->in[0] ? "-i " : "chain ",
				    w->in[0] ? w->in : w->chain, c->ifname);
			else
				say(f->what, sizeof(f->what), "the MSS clamp matches -o %s%s, not the "
				    "tunnel %s", w->out_neg ? "! " : "", w->out, c->ifname);
			say(f->why, sizeof(f->why), "--clamp-mss-to-pmtu clamps to the MTU of the "
			    "route a SYN leaves by, so only SYNs leaving through the tunnel get the "
			    "tunnel's MSS.");
			mss_fix(w->family != 6, w->family == 6, f->fix, sizeof(f->fix));
			set_fix(f, PD_WGK_FIX_INSERT, c->hook[bad[k]]->line);
		}
		return;
	}
	if ((fam_need & 2u) && !(ok_fams & 2u)) {
		f = add(c, "mss-clamp-ipv6-missing", PD_SEV_WARNING, fwd_line);
		say(f->what, sizeof(f->what), "IPv6 is forwarded too, but only IPv4 SYNs are "
		    "clamped");
		say(f->why, sizeof(f->why), "ip6tables and iptables are separate: IPv6 "
		    "connections keep an MSS too large for the tunnel.");
		mss_fix(false, true, f->fix, sizeof(f->fix));
		set_fix(f, PD_WGK_FIX_INSERT, iface_insert_line(cfg));
	}
}

/* ---- DNAT ----------------------------------------------------------------------------- */

/* Is addr reached through this file's tunnel (a peer's AllowedIPs, not a
 * default route)? */
static bool via_tunnel(const struct pd_wgc_config *cfg, const struct pd_wgc_prefix *a)
{
	for (size_t p = 0; p < cfg->n_peers; p++)
		for (size_t i = 0; i < cfg->peer[p].n_allowed; i++)
			if (cfg->peer[p].allowed[i].plen &&
			    pd_wgc_prefix_contains(&cfg->peer[p].allowed[i], a->family, a->addr))
				return true;
	return false;
}

static const struct pd_wgc_prefix *own_addr(const struct pd_wgc_config *cfg,
					    const struct pd_wgc_prefix *a)
{
	for (size_t i = 0; i < cfg->n_addr; i++)
		if (cfg->addr[i].family == a->family && !memcmp(cfg->addr[i].addr, a->addr,
								 a->family == 4 ? 4 : 16))
			return &cfg->addr[i];
	return NULL;
}

/* Would the config route replies from its tunnel address back into the
 * tunnel?  An ip rule, fwmark/connmark policy, or wg-quick's own default-route
 * policy (Table auto with a peer allowing 0.0.0.0/0 or ::/0). */
static bool has_return_path(const struct pd_wgc_config *cfg, const char *ifname, int family)
{
	struct wgcmd w[WGCMD_MAX];
	bool table_auto = !cfg->table[0] || !strcasecmp(cfg->table, "auto");

	for (size_t p = 0; table_auto && p < cfg->n_peers; p++)
		for (size_t i = 0; i < cfg->peer[p].n_allowed; i++)
			if (!cfg->peer[p].allowed[i].plen &&
			    cfg->peer[p].allowed[i].family == family)
				return true;
	for (size_t h = 0; h < cfg->n_hooks; h++) {
		size_t k;

		if (!is_up(&cfg->hook[h]))
			continue;
		k = wgcmd_parse(&cfg->hook[h], ifname, w, WGCMD_MAX);
		for (size_t i = 0; i < k; i++)
			if (w[i].action == WGCMD_ADD &&
			    ((w[i].type == WGCMD_IPRULE && w[i].family == family) || w[i].marks))
				return true;
	}
	return false;
}

static bool masq_restricted(const struct pd_wgc_config *cfg, const struct wgcmd *w)
{
	struct pd_wgc_prefix s;
	struct pd_error e = { 0 };

	if (!w->src[0] || pd_wgc_prefix_parse(w->src, strlen(w->src), &s, &e) < 0)
		return false;
	for (size_t i = 0; i < cfg->n_addr; i++)
		if (pd_wgc_prefix_contains(&s, cfg->addr[i].family, cfg->addr[i].addr))
			return true;
	return false;
}

static void check_dnat(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;
	struct pd_wgk_finding *f;

	/* This file DNATs into its tunnel. */
	for (size_t i = 0; i < c->ncmd; i++) {
		const struct wgcmd *w = &c->cmd[i];
		struct pd_wgc_prefix t;
		struct pd_error e = { 0 };
		bool masq = false, given = false, dup = false;

		if (!is_up(c->hook[i]) || w->action != WGCMD_ADD || strcmp(w->target, "DNAT") ||
		    pd_wgc_prefix_parse(w->to_dest, strlen(w->to_dest), &t, &e) < 0 ||
		    !via_tunnel(cfg, &t))
			continue;
		for (size_t k = 0; k < i; k++)
			if (!strcmp(c->cmd[k].target, "DNAT") &&
			    !strcmp(c->cmd[k].to_dest, w->to_dest) && is_up(c->hook[k]))
				dup = true;
		if (dup)
			continue;
		for (size_t k = 0; k < c->ncmd; k++) {
			const struct wgcmd *m = &c->cmd[k];

			if (!is_up(c->hook[k]) || m->action != WGCMD_ADD ||
			    (strcmp(m->target, "MASQUERADE") && strcmp(m->target, "SNAT")) ||
			    !m->out[0] || m->out_neg || !is_tunnel(c, m->out) ||
			    (m->family && m->family != t.family) || masq_restricted(cfg, m))
				continue;
			masq = true;
			f = add(c, "dnat-masquerade-tunnel", PD_SEV_WARNING, c->hook[k]->line);
			say(f->what, sizeof(f->what), "%s into the tunnel rewrites the source of the "
			    "connections DNATed to %s (line %u) to this host's address", m->target,
			    w->to_dest, c->hook[i]->line);
			say(f->why, sizeof(f->why), "The service behind the tunnel then sees every "
			    "client as the gateway; limit the rule to NAT loopback from the tunnel "
			    "subnet and route replies back by policy on the target instead.");
			if (cfg->n_addr) {
				char net[64];
				const struct pd_wgc_prefix *a = NULL;

				for (size_t x = 0; x < cfg->n_addr && !a; x++)
					if (cfg->addr[x].family == t.family)
						a = &cfg->addr[x];
				if (a) {
					net_str(a, a->has_plen ? a->plen : (a->family == 4 ? 24 : 64),
						net, sizeof(net));
					say(f->fix, sizeof(f->fix), "PostUp = %s -t nat -A POSTROUTING "
					    "-o %%i -s %s -d %s -j MASQUERADE", t.family == 6 ?
					    "ip6tables" : "iptables", net, w->to_dest);
					set_fix(f, c->hook[k]->kind == PD_WGC_POSTUP &&
						(size_t)(c->hook[k]->len) == c->cmd[k].len
						? PD_WGK_FIX_REPLACE : PD_WGK_FIX_NONE, c->hook[k]->line);
				}
			}
			break;
		}
		if (masq)
			continue;
		for (size_t j = 0; j < c->n; j++)
			if (j != c->which && own_addr(c->in[j].cfg, &t))
				given = true;
		if (!given) {
			f = add(c, "dnat-return-path-unverified", PD_SEV_INFO, c->hook[i]->line);
			say(f->what, sizeof(f->what), "DNAT to %s through the tunnel keeps client "
			    "addresses only if that peer routes its replies back through the tunnel; "
			    "its configuration was not given", w->to_dest);
			say(f->why, sizeof(f->why), "Replies to outside addresses otherwise leave by "
			    "the target's default route and never reach the client.");
			say(f->fix, sizeof(f->fix), "PostUp = ip%s rule add from %s lookup <table "
			    "holding the tunnel's default route>", t.family == 6 ? " -6" : "",
			    w->to_dest);
			set_fix(f, PD_WGK_FIX_NONE, 0);
		}
	}

	/* Another file DNATs to this one: are replies routed back? */
	for (size_t j = 0; j < c->n; j++) {
		struct wgcmd w[WGCMD_MAX];
		const struct pd_wgc_config *o = c->in[j].cfg;

		if (j == c->which)
			continue;
		for (size_t h = 0; h < o->n_hooks; h++) {
			size_t k;

			if (!is_up(&o->hook[h]))
				continue;
			k = wgcmd_parse(&o->hook[h], c->in[j].ifname, w, WGCMD_MAX);
			for (size_t i = 0; i < k; i++) {
				struct pd_wgc_prefix t;
				struct pd_error e = { 0 };
				const struct pd_wgc_prefix *mine;

				if (w[i].action != WGCMD_ADD || strcmp(w[i].target, "DNAT") ||
				    pd_wgc_prefix_parse(w[i].to_dest, strlen(w[i].to_dest), &t,
							&e) < 0)
					continue;
				mine = own_addr(cfg, &t);
				if (!mine || has_return_path(cfg, c->ifname, t.family))
					continue;
				f = add(c, "dnat-return-path", PD_SEV_WARNING, mine->line);
				say(f->what, sizeof(f->what), "%s (line %u) DNATs connections to %s "
				    "here, but nothing routes the replies back through the tunnel",
				    c->in[j].name ? c->in[j].name : "another configuration",
				    o->hook[h].line, w[i].to_dest);
				say(f->why, sizeof(f->why), "Replies to the clients' real addresses "
				    "follow the default route out of the wrong interface, so "
				    "connections through the gateway never complete.");
				if (cfg->table[0] && strcasecmp(cfg->table, "auto") &&
				    strcasecmp(cfg->table, "off"))
					say(f->fix, sizeof(f->fix), "PostUp = ip%s rule add from %s "
					    "lookup %s\nPostDown = ip%s rule del from %s lookup %s",
					    t.family == 6 ? " -6" : "", w[i].to_dest, cfg->table,
					    t.family == 6 ? " -6" : "", w[i].to_dest, cfg->table);
				else
					say(f->fix, sizeof(f->fix), "Table = 51820\nPostUp = ip%s rule "
					    "add from %s lookup 51820\nPostDown = ip%s rule del from %s "
					    "lookup 51820", t.family == 6 ? " -6" : "", w[i].to_dest,
					    t.family == 6 ? " -6" : "", w[i].to_dest);
				set_fix(f, PD_WGK_FIX_INSERT, iface_insert_line(cfg));
				return;
			}
		}
	}
}

/* ---- Table ------------------------------------------------------------------------- */

static void check_table(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;
	bool done[2] = { false, false };

	if (!cfg->table[0] || !strcasecmp(cfg->table, "off") || !strcasecmp(cfg->table, "auto"))
		return;
	for (size_t a = 0; a < cfg->n_addr; a++) {
		const struct pd_wgc_prefix *ad = &cfg->addr[a];
		int fi = ad->family == 4 ? 0 : 1;
		bool routed = false;
		const struct pd_wgc_prefix *net = NULL;
		char ns[64];
		struct pd_wgk_finding *f;

		if (done[fi])
			continue;
		done[fi] = true;
		for (size_t i = 0; i < c->ncmd && !routed; i++) {
			const struct wgcmd *w = &c->cmd[i];
			struct pd_wgc_prefix r;
			struct pd_error e = { 0 };

			if (!is_up(c->hook[i]) || w->type != WGCMD_IPROUTE ||
			    w->action != WGCMD_ADD || w->family != ad->family ||
			    (w->lookup[0] && strcmp(w->lookup, "main")) ||
			    pd_wgc_prefix_parse(w->route_dst, strlen(w->route_dst), &r, &e) < 0)
				continue;
			if (pd_wgc_prefix_contains(&r, ad->family, ad->addr) && r.plen)
				routed = true;
		}
		if (routed)
			continue;
		/* Is some peer's AllowedIPs subnet routed in main? Only if Table is off. */
		f = add(c, "table-no-route", PD_SEV_WARNING, cfg->table_line);
		say(f->what, sizeof(f->what), "Table = %s puts the routes to the peers in table %s, "
		    "and no PostUp adds a route to the tunnel's IPv%d subnet in the main table",
		    cfg->table, cfg->table, ad->family);
		say(f->why, sizeof(f->why), "Traffic this host starts toward the peers follows the "
		    "main table's default route instead of the tunnel unless a rule sends it to "
		    "that table.");
		if (ad->has_plen && ad->plen < (ad->family == 4 ? 32 : 128)) {
			net = ad;
		} else {
			for (size_t p = 0; p < cfg->n_peers && !net; p++)
				for (size_t i = 0; i < cfg->peer[p].n_allowed && !net; i++)
					if (cfg->peer[p].allowed[i].family == ad->family &&
					    cfg->peer[p].allowed[i].plen &&
					    cfg->peer[p].allowed[i].plen < (ad->family == 4 ? 32 : 128))
						net = &cfg->peer[p].allowed[i];
		}
		if (net)
			net_str(net, net->plen, ns, sizeof(ns));
		else
			net_str(ad, ad->family == 4 ? 24 : 64, ns, sizeof(ns));
		say(f->fix, sizeof(f->fix), "PostUp = ip%s route add %s dev %%i",
		    ad->family == 6 ? " -6" : "", ns);
		if (!net)
			say(f->why + strlen(f->why), sizeof(f->why) - strlen(f->why), " (The fix "
			    "assumes a /%d tunnel subnet; the file does not say.)",
			    ad->family == 4 ? 24 : 64);
		set_fix(f, PD_WGK_FIX_INSERT, iface_insert_line(cfg));
	}
}

/* ---- PersistentKeepalive ------------------------------------------------------------- */

static void check_keepalive(struct ctx *c)
{
	const struct pd_wgc_config *cfg = c->cfg;

	for (size_t p = 0; p < cfg->n_peers; p++) {
		const struct pd_wgc_peer *pe = &cfg->peer[p];
		bool nat4 = c->u->nat4 && pe->endpoint_family == 4;
		struct pd_wgk_finding *f;

		if (!pe->has_endpoint || (pe->keepalive.line && pe->keepalive.value))
			continue;
		if (cfg->listen_port.line && !nat4)
			continue;
		f = add(c, "keepalive-missing", PD_SEV_WARNING,
			pe->keepalive.line ? pe->keepalive.line : pe->endpoint_line);
		say(f->what, sizeof(f->what), "peer at %s (line %u) has no PersistentKeepalive, "
		    "and this side %s", pe->endpoint_host, pe->line,
		    nat4 ? "reaches IPv4 through DS-Lite's carrier NAT" :
		    "has no ListenPort, as a host behind NAT usually has");
		say(f->why, sizeof(f->why), "A NAT or stateful firewall forgets the mapping after "
		    "a short silence, and the peer can no longer reach this side until it sends "
		    "again.");
		say(f->fix, sizeof(f->fix), "PersistentKeepalive = 25");
		set_fix(f, pe->keepalive.line ? PD_WGK_FIX_REPLACE : PD_WGK_FIX_INSERT,
			pe->keepalive.line ? pe->keepalive.line : pe->endpoint_line);
	}
}

/* ---- PostDown undoes PostUp ---------------------------------------------------------------- */

static bool undoable(const struct ctx *c, const struct wgcmd *w)
{
	if (w->action != WGCMD_ADD)
		return false;
	switch (w->type) {
	case WGCMD_IPT:
	case WGCMD_NFT:
	case WGCMD_IPRULE:
		return true;
	case WGCMD_IPROUTE:
		/* routes via the tunnel go away with the interface */
		return !is_tunnel(c, w->route_dev);
	default:
		return false;
	}
}

static void check_postdown(struct ctx *c)
{
	struct pd_wgk_finding *f;

	for (size_t i = 0; i < c->ncmd; i++) {
		const struct wgcmd *w = &c->cmd[i];
		bool undone = false, misdone = false;
		char undo[PD_WGK_FIX_MAX - 16];

		if (!undoable(c, w))
			continue;
		if (!is_up(c->hook[i])) {
			/* an add in PostDown/PreDown piles up on every restart */
			wgcmd_undo_text(w, c->hook[i]->cmd + w->off, w->len, undo, sizeof(undo));
			f = add(c, "postdown-adds", PD_SEV_WARNING, c->hook[i]->line);
			say(f->what, sizeof(f->what), "%s adds a rule (%.*s) instead of removing it",
			    pd_wgc_hook_name(c->hook[i]->kind), (int)(w->len > 120 ? 120 : w->len),
			    c->hook[i]->cmd + w->off);
			say(f->why, sizeof(f->why), "Every restart of the interface leaves one more "
			    "copy of the rule behind.");
			if (undo[0]) {
				say(f->fix, sizeof(f->fix), "%s = %s",
				    pd_wgc_hook_name(c->hook[i]->kind), undo);
				set_fix(f, c->hook[i]->len == w->len ? PD_WGK_FIX_REPLACE
								     : PD_WGK_FIX_NONE,
					c->hook[i]->line);
			}
			continue;
		}
		for (size_t k = 0; k < c->ncmd && !undone; k++) {
			if (is_up(c->hook[k]))
				continue;
			if (wgcmd_undoes(&c->cmd[k], w))
				undone = true;
			else if (c->cmd[k].action == WGCMD_ADD && c->cmd[k].type == w->type &&
				 !strcmp(c->cmd[k].norm, w->norm))
				misdone = true; /* reported as postdown-adds */
		}
		if (undone || misdone)
			continue;
		wgcmd_undo_text(w, c->hook[i]->cmd + w->off, w->len, undo, sizeof(undo));
		f = add(c, "postdown-missing", PD_SEV_WARNING, c->hook[i]->line);
		say(f->what, sizeof(f->what), "%s adds '%.*s' and no PostDown removes it",
		    pd_wgc_hook_name(c->hook[i]->kind), (int)(w->len > 160 ? 160 : w->len),
		    c->hook[i]->cmd + w->off);
		say(f->why, sizeof(f->why), "The rule outlives the interface, and every "
		    "`wg-quick up` adds another copy.");
		if (undo[0]) {
			say(f->fix, sizeof(f->fix), "PostDown = %s", undo);
			set_fix(f, PD_WGK_FIX_INSERT, c->hook[i]->line);
		}
	}
}

int pd_wgk_check(const struct pd_wgk_input *in, size_t n, size_t which,
		 const struct pd_wgk_underlay *u, struct pd_wgk_report *out, struct pd_error *err)
{
	static const struct pd_wgk_underlay none = { { 0, 0 }, { false, false }, { "", "" }, false };
	struct ctx store; /* about 120 kB of stack: the hook commands */
	struct ctx *c = &store;

	if (!in || which >= n || !out || !in[which].cfg)
		return pd_fail(err, PD_ERR_INVAL, 0, "no configuration to check");
	for (size_t j = 0; j < n; j++)
		if (!in[j].cfg)
			return pd_fail(err, PD_ERR_INVAL, 0, "NULL configuration among the inputs");
	memset(out, 0, sizeof(*out));
	memset(c, 0, sizeof(*c));
	c->in = in;
	c->n = n;
	c->which = which;
	c->cfg = in[which].cfg;
	c->ifname = in[which].ifname && in[which].ifname[0] ? in[which].ifname : "%i";
	c->u = u ? u : &none;
	c->out = out;
	out->worst = PD_SEV_OK;
	out->mtu_configured = c->cfg->mtu.line != 0;
	c->eff_mtu = c->cfg->mtu.line ? c->cfg->mtu.value : PD_WGK_DEFAULT_MTU;
	out->effective_mtu = c->eff_mtu;
	collect_cmds(c);
	check_diag(c);
	if (!c->cfg->interface_line)
		return PD_OK;
	check_mtu(c);
	check_ipv6_min(c);
	check_mss(c);
	check_dnat(c);
	check_table(c);
	check_keepalive(c);
	check_postdown(c);
	return PD_OK;
}
