/* wgcmd.c - read the firewall and routing commands of wg-quick hooks
 * (lib/src/wgcmd.h).
 *
 * Specs: iptables(8), iptables-extensions(8), nft(8), ip-rule(8),
 * ip-route(8), wg-quick(8).  Hooks run through bash, so a line may hold
 * several commands joined by ';', '&&', '||' or '|'; each is read on its
 * own.  Quotes are removed, not interpreted: enough for the rules people
 * write in wg-quick files, and a command not understood is just "other".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "wgcmd.h"

#define MAX_TOK 96

struct toks {
	char buf[WGCMD_TEXT];
	const char *t[MAX_TOK];
	size_t n;
};

static void copy(char *dst, size_t size, const char *src)
{
	size_t n = strnlen(src, size - 1);

	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* %i as wg-quick substitutes it. */
static const char *subst(const char *tok, const char *ifname)
{
	return strcmp(tok, "%i") == 0 ? ifname : tok;
}

static void tokenize(const char *p, size_t n, struct toks *t)
{
	size_t o = 0, i = 0;

	t->n = 0;
	while (i < n && t->n < MAX_TOK) {
		while (i < n && (p[i] == ' ' || p[i] == '\t'))
			i++;
		if (i >= n)
			break;
		t->t[t->n++] = t->buf + o;
		while (i < n && p[i] != ' ' && p[i] != '\t') {
			if (p[i] != '"' && p[i] != '\'' && o + 2 < sizeof(t->buf))
				t->buf[o++] = p[i];
			i++;
		}
		if (o + 1 < sizeof(t->buf))
			t->buf[o++] = '\0';
		else
			break;
	}
	t->buf[sizeof(t->buf) - 1] = '\0';
}

static const char *base(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The address part of "ADDR", "ADDR:PORT", "[V6]:PORT", "ADDR-ADDR". */
static void addr_only(const char *v, char *out, size_t size)
{
	const char *colon;
	size_t n;

	if (v[0] == '[') {
		const char *close = strchr(v, ']');

		n = close ? (size_t)(close - v - 1) : strlen(v + 1);
		if (n >= size)
			n = size - 1;
		memcpy(out, v + 1, n);
		out[n] = '\0';
		return;
	}
	colon = strchr(v, ':');
	n = strlen(v);
	if (colon && !strchr(colon + 1, ':'))
		n = (size_t)(colon - v); /* one colon: IPv4 with a port */
	if (n >= size)
		n = size - 1;
	memcpy(out, v, n);
	out[n] = '\0';
	if (strchr(out, '-') && !strchr(out, ':'))
		*strchr(out, '-') = '\0';
}

static void join_norm(struct wgcmd *c, const struct toks *t, size_t from, size_t act,
		      size_t skip, const char *ifname)
{
	size_t o = 0;

	c->norm[0] = '\0';
	for (size_t i = from; i < t->n; i++) {
		const char *w = i == act ? "~" : subst(t->t[i], ifname);
		int k;

		if (i == skip)
			continue;
		k = snprintf(c->norm + o, sizeof(c->norm) - o, "%s%s", o ? " " : "", w);
		if (k < 0 || (size_t)k >= sizeof(c->norm) - o)
			break;
		o += (size_t)k;
	}
}

static bool is_num(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return false;
	return true;
}

static void parse_ipt(struct wgcmd *c, const struct toks *t, size_t p, const char *ifname)
{
	size_t act = (size_t)-1, skip = (size_t)-1;
	bool neg = false;

	c->type = WGCMD_IPT;
	copy(c->table, sizeof(c->table), "filter");
	for (size_t i = p + 1; i < t->n; i++) {
		const char *w = t->t[i], *nx = i + 1 < t->n ? t->t[i + 1] : "";

		if (!strcmp(w, "!")) {
			neg = true;
			continue;
		}
		if (!strcmp(w, "-t") || !strcmp(w, "--table")) {
			copy(c->table, sizeof(c->table), nx);
			i++;
		} else if (!strcmp(w, "-A") || !strcmp(w, "--append") || !strcmp(w, "-I") ||
			   !strcmp(w, "--insert") || !strcmp(w, "-N") ||
			   !strcmp(w, "--new-chain")) {
			c->action = WGCMD_ADD;
			act = i;
			copy(c->chain, sizeof(c->chain), nx);
			i++;
			if ((w[1] == 'I' || !strcmp(w, "--insert")) && i + 1 < t->n &&
			    is_num(t->t[i + 1]))
				skip = i + 1;
		} else if (!strcmp(w, "-D") || !strcmp(w, "--delete") || !strcmp(w, "-X") ||
			   !strcmp(w, "--delete-chain") || !strcmp(w, "-F") ||
			   !strcmp(w, "--flush")) {
			c->action = WGCMD_DEL;
			act = i;
			copy(c->chain, sizeof(c->chain), nx);
			i++;
		} else if (!strcmp(w, "-i") || !strcmp(w, "--in-interface")) {
			copy(c->in, sizeof(c->in), subst(nx, ifname));
			c->in_neg = neg;
			i++;
		} else if (!strcmp(w, "-o") || !strcmp(w, "--out-interface")) {
			copy(c->out, sizeof(c->out), subst(nx, ifname));
			c->out_neg = neg;
			i++;
		} else if (!strcmp(w, "-j") || !strcmp(w, "--jump")) {
			copy(c->target, sizeof(c->target), nx);
			i++;
		} else if (!strcmp(w, "-s") || !strcmp(w, "--source")) {
			copy(c->src, sizeof(c->src), nx);
			i++;
		} else if (!strcmp(w, "-d") || !strcmp(w, "--destination")) {
			copy(c->dst, sizeof(c->dst), nx);
			i++;
		} else if (!strcmp(w, "--to-destination")) {
			addr_only(nx, c->to_dest, sizeof(c->to_dest));
			i++;
		} else if (!strcmp(w, "--clamp-mss-to-pmtu")) {
			c->clamp_pmtu = true;
		} else if (!strcmp(w, "--set-mss") && is_num(nx)) {
			c->set_mss = (unsigned)strtoul(nx, NULL, 10);
			i++;
		} else if (!strcmp(w, "mark") || !strcmp(w, "connmark") || !strcmp(w, "--set-mark") ||
			   !strcmp(w, "--set-xmark") || !strcmp(w, "--restore-mark") ||
			   !strcmp(w, "--save-mark")) {
			c->marks = true;
		}
		neg = false;
	}
	if (!strcmp(c->target, "MARK") || !strcmp(c->target, "CONNMARK"))
		c->marks = true;
	join_norm(c, t, p, act, skip, ifname);
}

static void parse_nft(struct wgcmd *c, const struct toks *t, size_t p, const char *ifname)
{
	size_t i = p + 1, act;
	static const char *const fams[] = { "ip", "ip6", "inet", "arp", "bridge", "netdev" };
	bool have_fam = false;

	c->type = WGCMD_NFT;
	while (i < t->n && t->t[i][0] == '-')
		i++;
	if (i >= t->n)
		return;
	act = i;
	if (!strcmp(t->t[i], "add") || !strcmp(t->t[i], "insert") || !strcmp(t->t[i], "create") ||
	    !strcmp(t->t[i], "replace"))
		c->action = WGCMD_ADD;
	else if (!strcmp(t->t[i], "delete") || !strcmp(t->t[i], "flush") ||
		 !strcmp(t->t[i], "destroy"))
		c->action = WGCMD_DEL;
	/* OBJECT [FAMILY] TABLE [CHAIN] */
	if (i + 1 < t->n)
		copy(c->target, sizeof(c->target), t->t[i + 1]); /* "rule", "table", ... */
	i += 2;
	for (size_t f = 0; i < t->n && f < sizeof(fams) / sizeof(fams[0]); f++)
		if (!strcmp(t->t[i], fams[f])) {
			copy(c->nft_family, sizeof(c->nft_family), fams[f]);
			have_fam = true;
			i++;
			break;
		}
	if (!have_fam)
		copy(c->nft_family, sizeof(c->nft_family), "ip");
	c->family = !strcmp(c->nft_family, "ip6") ? 6 : !strcmp(c->nft_family, "ip") ? 4 : 0;
	if (i < t->n)
		copy(c->table, sizeof(c->table), t->t[i++]);
	if (i < t->n && strcmp(c->target, "table"))
		copy(c->chain, sizeof(c->chain), t->t[i++]);
	for (; i < t->n; i++) {
		const char *w = t->t[i], *nx = i + 1 < t->n ? t->t[i + 1] : "";

		if (!strcmp(w, "oifname") || !strcmp(w, "iifname") || !strcmp(w, "oif") ||
		    !strcmp(w, "iif")) {
			bool neg = !strcmp(nx, "!=");
			const char *v = neg ? (i + 2 < t->n ? t->t[i + 2] : "") : nx;

			if (w[0] == 'o') {
				copy(c->out, sizeof(c->out), subst(v, ifname));
				c->out_neg = neg;
			} else {
				copy(c->in, sizeof(c->in), subst(v, ifname));
				c->in_neg = neg;
			}
		} else if (!strcmp(w, "masquerade")) {
			copy(c->target, sizeof(c->target), "MASQUERADE");
		} else if (!strcmp(w, "snat")) {
			copy(c->target, sizeof(c->target), "SNAT");
		} else if (!strcmp(w, "dnat")) {
			size_t j = i + 1;

			copy(c->target, sizeof(c->target), "DNAT");
			while (j < t->n && (!strcmp(t->t[j], "ip") || !strcmp(t->t[j], "ip6") ||
					    !strcmp(t->t[j], "to")))
				j++;
			if (j < t->n)
				addr_only(t->t[j], c->to_dest, sizeof(c->to_dest));
		} else if (!strcmp(w, "maxseg")) {
			size_t j = i + 1;

			copy(c->target, sizeof(c->target), "TCPMSS");
			while (j < t->n && (!strcmp(t->t[j], "size") || !strcmp(t->t[j], "set")))
				j++;
			if (j < t->n && !strcmp(t->t[j], "rt"))
				c->clamp_pmtu = true;
			else if (j < t->n && is_num(t->t[j]))
				c->set_mss = (unsigned)strtoul(t->t[j], NULL, 10);
		} else if (!strcmp(w, "mark")) {
			c->marks = true;
		} else if (!strcmp(w, "saddr") && i + 1 < t->n) {
			copy(c->src, sizeof(c->src), nx);
		} else if (!strcmp(w, "daddr") && i + 1 < t->n) {
			copy(c->dst, sizeof(c->dst), nx);
		}
	}
	join_norm(c, t, p, act, (size_t)-1, ifname);
}

static void parse_ip(struct wgcmd *c, const struct toks *t, size_t p, const char *ifname)
{
	size_t i = p + 1, act;
	int fam = 4;

	for (; i < t->n && t->t[i][0] == '-'; i++) {
		if (!strcmp(t->t[i], "-6"))
			fam = 6;
		else if (!strcmp(t->t[i], "-4"))
			fam = 4;
	}
	if (i + 1 >= t->n)
		return;
	if (!strcmp(t->t[i], "rule") || !strcmp(t->t[i], "ru"))
		c->type = WGCMD_IPRULE;
	else if (!strcmp(t->t[i], "route") || !strcmp(t->t[i], "r") || !strcmp(t->t[i], "ro"))
		c->type = WGCMD_IPROUTE;
	else
		return;
	c->family = fam;
	act = ++i;
	if (!strcmp(t->t[i], "add") || !strcmp(t->t[i], "a") || !strcmp(t->t[i], "replace") ||
	    !strcmp(t->t[i], "append"))
		c->action = WGCMD_ADD;
	else if (!strcmp(t->t[i], "del") || !strcmp(t->t[i], "delete") || !strcmp(t->t[i], "d") ||
		 !strcmp(t->t[i], "flush"))
		c->action = WGCMD_DEL;
	for (i++; i < t->n; i++) {
		const char *w = t->t[i], *nx = i + 1 < t->n ? t->t[i + 1] : "";

		if (c->type == WGCMD_IPRULE) {
			if (!strcmp(w, "lookup") || !strcmp(w, "table")) {
				copy(c->lookup, sizeof(c->lookup), nx);
				i++;
			} else if (!strcmp(w, "pref") || !strcmp(w, "priority") ||
				   !strcmp(w, "preference")) {
				copy(c->pref, sizeof(c->pref), nx);
				i++;
			} else if (!strcmp(w, "iif")) {
				copy(c->iif, sizeof(c->iif), subst(nx, ifname));
				i++;
			} else if (!strcmp(w, "fwmark")) {
				c->marks = true;
				i++;
			} else if (!strcmp(w, "from")) {
				copy(c->src, sizeof(c->src), nx);
				i++;
			}
		} else {
			if (!strcmp(w, "dev")) {
				copy(c->route_dev, sizeof(c->route_dev), subst(nx, ifname));
				i++;
			} else if (!strcmp(w, "table")) {
				copy(c->lookup, sizeof(c->lookup), nx);
				i++;
			} else if (!c->route_dst[0] && strcmp(w, "to")) {
				copy(c->route_dst, sizeof(c->route_dst), w);
			}
		}
	}
	join_norm(c, t, p, act, (size_t)-1, ifname);
}

static void parse_sysctl(struct wgcmd *c, const struct toks *t, size_t p)
{
	for (size_t i = p; i < t->n; i++) {
		const char *w = t->t[i];

		if ((strstr(w, "ip_forward") || strstr(w, "forwarding")) &&
		    (strstr(w, "=1") || (i + 1 < t->n && !strcmp(t->t[i + 1], "1")) ||
		     (p > 0 && !strcmp(t->t[p], "1"))))
			c->type = WGCMD_SYSCTL_FWD;
	}
}

static void parse_one(const char *p, size_t n, const char *ifname, struct wgcmd *c)
{
	struct toks t;
	size_t i = 0;
	const char *prog;

	memset(c, 0, sizeof(*c));
	tokenize(p, n, &t);
	while (i < t.n && (!strcmp(t.t[i], "sudo") || !strcmp(t.t[i], "exec") ||
			   !strcmp(t.t[i], "command") || strchr(t.t[i], '=')))
		i++;
	if (i >= t.n)
		return;
	prog = base(t.t[i]);
	if (!strncmp(prog, "iptables", 8) || !strncmp(prog, "ip6tables", 9)) {
		c->family = prog[2] == '6' ? 6 : 4;
		parse_ipt(c, &t, i, ifname);
	} else if (!strcmp(prog, "nft")) {
		parse_nft(c, &t, i, ifname);
	} else if (!strcmp(prog, "ip")) {
		parse_ip(c, &t, i, ifname);
	} else if (!strcmp(prog, "sysctl")) {
		parse_sysctl(c, &t, i + 1);
	} else if (!strcmp(prog, "echo") && i + 1 < t.n) {
		/* echo 1 > /proc/sys/net/ipv4/ip_forward */
		for (size_t k = i + 2; k < t.n; k++)
			if (!strcmp(t.t[i + 1], "1") && (strstr(t.t[k], "/ip_forward") ||
							 strstr(t.t[k], "/forwarding")))
				c->type = WGCMD_SYSCTL_FWD;
	}
}

size_t wgcmd_parse(const struct pd_wgc_hook *h, const char *ifname, struct wgcmd *out,
		   size_t max)
{
	size_t n = 0, i = 0, start = 0;

	if (!h || !out)
		return 0;
	while (i <= h->len && n < max) {
		char ch = i < h->len ? h->cmd[i] : ';';

		if (ch == ';' || ch == '|' || ch == '&') {
			if (i > start) {
				parse_one(h->cmd + start, i - start, ifname ? ifname : "%i", &out[n]);
				out[n].off = start;
				out[n++].len = i - start;
			}
			while (i + 1 < h->len && (h->cmd[i + 1] == '|' || h->cmd[i + 1] == '&'))
				i++;
			start = i + 1;
		}
		i++;
	}
	return n;
}

bool wgcmd_undoes(const struct wgcmd *del, const struct wgcmd *add)
{
	if (del->type != add->type || del->action != WGCMD_DEL || add->action != WGCMD_ADD)
		return false;
	switch (add->type) {
	case WGCMD_IPT:
		if (!strcmp(del->norm, add->norm))
			return true;
		/* -F/-X of the chain the rule went into (a chain of its own) */
		return !strcmp(del->chain, add->chain) && !strcmp(del->table, add->table) &&
		       strcmp(add->chain, "FORWARD") && strcmp(add->chain, "INPUT") &&
		       strcmp(add->chain, "OUTPUT") && strcmp(add->chain, "PREROUTING") &&
		       strcmp(add->chain, "POSTROUTING") && del->family == add->family &&
		       !del->target[0] && !del->in[0] && !del->out[0];
	case WGCMD_IPRULE:
		if (del->family != add->family)
			return false;
		if (!strcmp(del->norm, add->norm))
			return true;
		return add->pref[0] && !strcmp(del->pref, add->pref);
	case WGCMD_IPROUTE:
		return del->family == add->family && add->route_dst[0] &&
		       !strcmp(del->route_dst, add->route_dst) &&
		       !strcmp(del->lookup, add->lookup);
	case WGCMD_NFT:
		if (!strcmp(del->target, "ruleset"))
			return true;
		if (strcmp(del->nft_family, add->nft_family) || strcmp(del->table, add->table))
			return false;
		if (!strcmp(del->target, "table"))
			return true;
		return !strcmp(del->target, "chain") && !strcmp(del->chain, add->chain);
	default:
		return false;
	}
}

void wgcmd_undo_text(const struct wgcmd *add, const char *orig, size_t orig_len, char *buf,
		     size_t len)
{
	struct toks t;
	size_t o = 0, act = (size_t)-1, skip = (size_t)-1;
	const char *repl = NULL;

	if (!len)
		return;
	buf[0] = '\0';
	if (add->action != WGCMD_ADD)
		return;
	if (add->type == WGCMD_NFT) {
		if (!strcmp(add->target, "table"))
			snprintf(buf, len, "nft delete table %s %s", add->nft_family, add->table);
		return;
	}
	if (add->type != WGCMD_IPT && add->type != WGCMD_IPRULE && add->type != WGCMD_IPROUTE)
		return;
	tokenize(orig, orig_len, &t);
	for (size_t i = 0; i < t.n; i++) {
		const char *w = t.t[i];

		if (add->type == WGCMD_IPT) {
			if (!strcmp(w, "-A") || !strcmp(w, "--append") || !strcmp(w, "-I") ||
			    !strcmp(w, "--insert")) {
				act = i;
				repl = "-D";
				if ((w[1] == 'I' || w[2] == 'i') && i + 2 < t.n &&
				    is_num(t.t[i + 2]))
					skip = i + 2;
				break;
			}
			if (!strcmp(w, "-N") || !strcmp(w, "--new-chain")) {
				act = i;
				repl = "-X";
				break;
			}
		} else if (i > 0 && (!strcmp(t.t[i - 1], "rule") || !strcmp(t.t[i - 1], "route") ||
				     !strcmp(t.t[i - 1], "ru") || !strcmp(t.t[i - 1], "ro"))) {
			act = i;
			repl = "del";
			break;
		}
	}
	if (!repl)
		return;
	for (size_t i = 0; i < t.n; i++) {
		int k;

		if (i == skip)
			continue;
		k = snprintf(buf + o, len - o, "%s%s", o ? " " : "", i == act ? repl : t.t[i]);
		if (k < 0 || (size_t)k >= len - o) {
			buf[0] = '\0';
			return;
		}
		o += (size_t)k;
	}
}
