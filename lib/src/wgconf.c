/* wgconf.c - read a wg-quick configuration file from a buffer
 * (pathdiag/wgconf.h).
 *
 * Specs: wg-quick(8) and wg(8) CONFIGURATION FILE FORMAT.  The rules wg-quick
 * applies are kept: '#' starts a comment anywhere, section names and keys are
 * matched without regard to case, a value is everything after the first
 * '=' with the blanks around it removed, PreUp/PostUp/PreDown/PostDown and
 * Address/AllowedIPs/DNS may repeat.  Numbers: ListenPort 0..65535, FwMark
 * 0..0xffffffff or "off", MTU 68..65535 (RFC 791 minimum), Persistent-
 * Keepalive 0..65535 or "off" (wg(8)).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <pathdiag/wgconf.h>

enum section { SEC_NONE = 0, SEC_IFACE, SEC_PEER, SEC_BAD };

struct pstate {
	const char *buf;
	struct pd_wgc_config *cfg;
	struct pd_error *err;
	size_t line_off; /* byte offset of the current line */
	unsigned line;
};

static void diag(struct pstate *s, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Record a problem of the current line. */
static void diag(struct pstate *s, const char *kind, const char *fmt, ...)
{
	struct pd_wgc_config *c = s->cfg;
	struct pd_wgc_diag *d;
	va_list ap;

	if (!c->n_diag && !c->diag_dropped)
		pd_fail(s->err, PD_ERR_MALFORMED, s->line_off, "invalid wg-quick configuration");
	if (c->n_diag >= PD_WGC_MAX_DIAG) {
		c->diag_dropped++;
		return;
	}
	d = &c->diag[c->n_diag++];
	d->line = s->line;
	d->kind = kind;
	va_start(ap, fmt);
	vsnprintf(d->msg, sizeof(d->msg), fmt, ap);
	va_end(ap);
}

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/* Trim [*p, *p + *n). */
static void trim(const char **p, size_t *n)
{
	while (*n && is_blank(**p)) {
		(*p)++;
		(*n)--;
	}
	while (*n && is_blank((*p)[*n - 1]))
		(*n)--;
}

/* Copy a short piece into a NUL-terminated buffer; false if it does not fit. */
static bool cut(const char *p, size_t n, char *out, size_t size)
{
	if (n >= size)
		return false;
	memcpy(out, p, n);
	out[n] = '\0';
	return true;
}

static bool word_eq(const char *p, size_t n, const char *w)
{
	return strlen(w) == n && strncasecmp(p, w, n) == 0;
}

/* ---- values ---------------------------------------------------------------------- */

static int b64val(char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

int pd_wgc_key_decode(const char *s, size_t len, uint8_t key[32], struct pd_error *err)
{
	uint32_t acc = 0;
	size_t i, o = 0;
	int v;

	if (!s || !key)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL argument");
	if (len != 44 || s[43] != '=')
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "a key is 44 base64 characters ending in '=' (32 bytes)");
	for (i = 0; i < 43; i++) {
		v = b64val(s[i]);
		if (v < 0)
			return pd_fail(err, PD_ERR_MALFORMED, i, "character outside base64");
		acc = (acc << 6) | (uint32_t)v;
		if (i % 4 == 3) {
			key[o++] = (uint8_t)(acc >> 16);
			key[o++] = (uint8_t)(acc >> 8);
			key[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	/* 43 = 10 * 4 + 3: the last group holds 18 bits, 16 of them the key's */
	if (acc & 3)
		return pd_fail(err, PD_ERR_MALFORMED, 42, "base64 key has stray low bits");
	key[o++] = (uint8_t)(acc >> 10);
	key[o] = (uint8_t)(acc >> 2);
	return PD_OK;
}

/* A decimal number in [lo, hi]; false otherwise. */
static bool parse_num(const char *p, size_t n, uint32_t lo, uint32_t hi, uint32_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (!n || n > 10)
		return false;
	for (i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return false;
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = (uint32_t)v;
	return true;
}

int pd_wgc_prefix_parse(const char *s, size_t len, struct pd_wgc_prefix *p, struct pd_error *err)
{
	char a[INET6_ADDRSTRLEN + 1];
	const char *slash;
	size_t alen;
	uint32_t plen;

	if (!s || !p)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL argument");
	memset(p, 0, sizeof(*p));
	slash = memchr(s, '/', len);
	alen = slash ? (size_t)(slash - s) : len;
	if (!cut(s, alen, a, sizeof(a)))
		return pd_fail(err, PD_ERR_MALFORMED, 0, "not an IPv4 or IPv6 address");
	if (inet_pton(AF_INET, a, p->addr) == 1)
		p->family = 4;
	else if (inet_pton(AF_INET6, a, p->addr) == 1)
		p->family = 6;
	else
		return pd_fail(err, PD_ERR_MALFORMED, 0, "not an IPv4 or IPv6 address");
	p->plen = p->family == 4 ? 32 : 128;
	if (slash) {
		if (!parse_num(slash + 1, len - alen - 1, 0, p->plen, &plen))
			return pd_fail(err, PD_ERR_MALFORMED, alen + 1,
				       p->family == 4 ? "prefix length is not 0..32"
						      : "prefix length is not 0..128");
		p->plen = (uint8_t)plen;
		p->has_plen = true;
	}
	return PD_OK;
}

bool pd_wgc_prefix_contains(const struct pd_wgc_prefix *p, int family, const uint8_t *addr)
{
	unsigned full, rest;

	if (!p || !addr || p->family != family)
		return false;
	full = p->plen / 8u;
	rest = p->plen % 8u;
	if (memcmp(p->addr, addr, full))
		return false;
	if (rest) {
		uint8_t mask = (uint8_t)(0xffu << (8 - rest));

		if ((p->addr[full] & mask) != (addr[full] & mask))
			return false;
	}
	return true;
}

void pd_wgc_prefix_str(const struct pd_wgc_prefix *p, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];

	if (!buf || !len)
		return;
	if (!p || !inet_ntop(p->family == 4 ? AF_INET : AF_INET6, p->addr, a, sizeof(a))) {
		buf[0] = '\0';
		return;
	}
	snprintf(buf, len, "%s/%u", a, p->plen);
}

const char *pd_wgc_hook_name(enum pd_wgc_hook_kind k)
{
	switch (k) {
	case PD_WGC_PREUP:
		return "PreUp";
	case PD_WGC_POSTUP:
		return "PostUp";
	case PD_WGC_PREDOWN:
		return "PreDown";
	case PD_WGC_POSTDOWN:
		return "PostDown";
	}
	return "?";
}

/* ---- keys ------------------------------------------------------------------------- */

/* Each comma-separated item of a list value, trimmed, empty items skipped. */
typedef void (*item_fn)(struct pstate *s, const char *p, size_t n, void *arg);

static void each_item(struct pstate *s, const char *v, size_t n, item_fn fn, void *arg)
{
	while (n) {
		const char *comma = memchr(v, ',', n);
		size_t k = comma ? (size_t)(comma - v) : n;
		const char *it = v;
		size_t in = k;

		trim(&it, &in);
		if (in)
			fn(s, it, in, arg);
		if (!comma)
			break;
		v += k + 1;
		n -= k + 1;
	}
}

struct plist {
	struct pd_wgc_prefix *arr;
	size_t *n;
	size_t max;
	const char *key;
};

static void add_prefix(struct pstate *s, const char *p, size_t n, void *arg)
{
	struct plist *l = arg;
	struct pd_wgc_prefix pr;
	struct pd_error e = { 0 };
	char shown[80];

	if (pd_wgc_prefix_parse(p, n, &pr, &e) < 0) {
		cut(p, n < sizeof(shown) ? n : sizeof(shown) - 1, shown, sizeof(shown));
		diag(s, "bad-address", "%s: '%s' is not ADDRESS[/PREFIX]", l->key, shown);
		return;
	}
	if (*l->n >= l->max) {
		diag(s, "too-many", "%s: more entries than this checker keeps", l->key);
		return;
	}
	pr.line = s->line;
	l->arr[(*l->n)++] = pr;
}

static void count_dns(struct pstate *s, const char *p, size_t n, void *arg)
{
	(void)s;
	(void)p;
	(void)n;
	(*(size_t *)arg)++;
}

static void set_key(struct pstate *s, const char *key, const char *v, size_t n, uint8_t out[32],
		    bool *has, unsigned *line)
{
	struct pd_error e = { 0 };

	if (pd_wgc_key_decode(v, n, out, &e) < 0) {
		diag(s, "bad-key", "%s: %s", key, e.what);
		return;
	}
	*has = true;
	*line = s->line;
}

static void set_num(struct pstate *s, const char *key, const char *v, size_t n, uint32_t lo,
		    uint32_t hi, bool off_ok, struct pd_wgc_num *out)
{
	char range[64];
	uint32_t x;

	if (off_ok && word_eq(v, n, "off")) {
		out->line = s->line;
		out->off = true;
		out->value = 0;
		return;
	}
	/* FwMark may be written in hex, as wg(8) accepts */
	if (off_ok && n > 2 && v[0] == '0' && (v[1] == 'x' || v[1] == 'X')) {
		uint64_t h = 0;
		size_t i;

		for (i = 2; i < n && n <= 10; i++) {
			char ch = v[i];
			int d = ch >= '0' && ch <= '9' ? ch - '0'
				: ch >= 'a' && ch <= 'f' ? ch - 'a' + 10
				: ch >= 'A' && ch <= 'F' ? ch - 'A' + 10 : -1;

			if (d < 0)
				break;
			h = h * 16 + (uint64_t)d;
		}
		if (i == n && n <= 10 && h >= lo && h <= hi) {
			out->line = s->line;
			out->value = (uint32_t)h;
			out->off = false;
			return;
		}
	} else if (parse_num(v, n, lo, hi, &x)) {
		out->line = s->line;
		out->value = x;
		out->off = false;
		return;
	}
	snprintf(range, sizeof(range), "%lu..%lu%s", (unsigned long)lo, (unsigned long)hi,
		 off_ok ? " or off" : "");
	diag(s, "bad-number", "%s: not a number in %s", key, range);
}

/* Endpoint = host:port, [v6]:port.  A host that is no address literal is a
 * name, resolved when wg-quick runs: family 0. */
static void set_endpoint(struct pstate *s, struct pd_wgc_peer *pe, const char *v, size_t n)
{
	const char *host, *colon;
	size_t hn;
	uint32_t port;

	if (n && v[0] == '[') {
		const char *close = memchr(v, ']', n);

		if (!close || (size_t)(close - v) + 1 >= n || close[1] != ':') {
			diag(s, "bad-endpoint", "Endpoint: '[' without ']:PORT' (write [ADDRESS]:PORT)");
			return;
		}
		host = v + 1;
		hn = (size_t)(close - host);
		colon = close + 1;
	} else {
		colon = NULL;
		for (size_t i = n; i > 0; i--)
			if (v[i - 1] == ':') {
				colon = v + i - 1;
				break;
			}
		if (!colon) {
			diag(s, "bad-endpoint", "Endpoint: no port (write HOST:PORT, [IPv6]:PORT)");
			return;
		}
		host = v;
		hn = (size_t)(colon - v);
		if (memchr(host, ':', hn)) {
			diag(s, "bad-endpoint", "Endpoint: an IPv6 address needs brackets "
			     "([ADDRESS]:PORT)");
			return;
		}
	}
	if (!parse_num(colon + 1, (size_t)(v + n - colon - 1), 1, 65535, &port)) {
		diag(s, "bad-endpoint", "Endpoint: port is not a number in 1..65535");
		return;
	}
	if (!hn || !cut(host, hn, pe->endpoint_host, sizeof(pe->endpoint_host))) {
		diag(s, "bad-endpoint", "Endpoint: empty or overlong host");
		return;
	}
	pe->endpoint_family = 0;
	if (inet_pton(AF_INET, pe->endpoint_host, pe->endpoint_addr) == 1) {
		pe->endpoint_family = 4;
	} else if (inet_pton(AF_INET6, pe->endpoint_host, pe->endpoint_addr) == 1) {
		pe->endpoint_family = 6;
	} else {
		for (size_t i = 0; i < hn; i++) {
			char ch = host[i];

			if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
			      (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_')) {
				diag(s, "bad-endpoint", "Endpoint: '%s' is neither an address nor "
				     "a host name", pe->endpoint_host);
				return;
			}
		}
	}
	pe->has_endpoint = true;
	pe->endpoint_port = (uint16_t)port;
	pe->endpoint_line = s->line;
}

static void add_hook(struct pstate *s, enum pd_wgc_hook_kind k, const char *v, size_t n)
{
	struct pd_wgc_config *c = s->cfg;
	struct pd_wgc_hook *h;

	if (c->n_hooks >= PD_WGC_MAX_HOOKS) {
		diag(s, "too-many", "%s: more hook lines than this checker keeps",
		     pd_wgc_hook_name(k));
		return;
	}
	h = &c->hook[c->n_hooks++];
	h->kind = k;
	h->line = s->line;
	h->cmd = v;
	h->len = n;
}

static void iface_key(struct pstate *s, const char *k, size_t kn, const char *v, size_t n)
{
	struct pd_wgc_config *c = s->cfg;
	struct plist l = { c->addr, &c->n_addr, PD_WGC_MAX_ADDRS, "Address" };

	if (word_eq(k, kn, "PrivateKey")) {
		set_key(s, "PrivateKey", v, n, c->private_key, &c->has_private_key,
			&c->private_key_line);
	} else if (word_eq(k, kn, "ListenPort")) {
		set_num(s, "ListenPort", v, n, 0, 65535, false, &c->listen_port);
	} else if (word_eq(k, kn, "FwMark")) {
		set_num(s, "FwMark", v, n, 0, 0xffffffffu, true, &c->fwmark);
	} else if (word_eq(k, kn, "Address")) {
		each_item(s, v, n, add_prefix, &l);
	} else if (word_eq(k, kn, "DNS")) {
		if (!c->dns_line)
			c->dns_line = s->line;
		each_item(s, v, n, count_dns, &c->n_dns);
	} else if (word_eq(k, kn, "MTU")) {
		set_num(s, "MTU", v, n, 68, 65535, false, &c->mtu);
	} else if (word_eq(k, kn, "Table")) {
		bool ok = n > 0;

		for (size_t i = 0; i < n; i++)
			if (!((v[i] >= 'a' && v[i] <= 'z') || (v[i] >= 'A' && v[i] <= 'Z') ||
			      (v[i] >= '0' && v[i] <= '9') || v[i] == '_' || v[i] == '-' ||
			      v[i] == '.'))
				ok = false;
		if (!ok || !cut(v, n, c->table, sizeof(c->table)))
			diag(s, "bad-value", "Table: not off, auto, a number or a table name");
		else
			c->table_line = s->line;
	} else if (word_eq(k, kn, "PreUp")) {
		add_hook(s, PD_WGC_PREUP, v, n);
	} else if (word_eq(k, kn, "PostUp")) {
		add_hook(s, PD_WGC_POSTUP, v, n);
	} else if (word_eq(k, kn, "PreDown")) {
		add_hook(s, PD_WGC_PREDOWN, v, n);
	} else if (word_eq(k, kn, "PostDown")) {
		add_hook(s, PD_WGC_POSTDOWN, v, n);
	} else if (word_eq(k, kn, "SaveConfig")) {
		if (word_eq(v, n, "true"))
			c->save_config = true;
		else if (word_eq(v, n, "false"))
			c->save_config = false;
		else
			diag(s, "bad-value", "SaveConfig: not true or false");
		c->save_config_line = s->line;
	} else {
		char key[48];

		cut(k, kn < sizeof(key) ? kn : sizeof(key) - 1, key, sizeof(key));
		diag(s, "unknown-key", "unknown key '%s' in [Interface]", key);
	}
}

static void peer_key(struct pstate *s, const char *k, size_t kn, const char *v, size_t n)
{
	struct pd_wgc_peer *pe = &s->cfg->peer[s->cfg->n_peers - 1];
	uint8_t psk[32];
	struct plist l = { pe->allowed, &pe->n_allowed, PD_WGC_MAX_ALLOWED, "AllowedIPs" };

	if (word_eq(k, kn, "PublicKey")) {
		set_key(s, "PublicKey", v, n, pe->public_key, &pe->has_public_key,
			&pe->public_key_line);
	} else if (word_eq(k, kn, "PresharedKey")) {
		set_key(s, "PresharedKey", v, n, psk, &pe->has_psk, &pe->psk_line);
	} else if (word_eq(k, kn, "AllowedIPs")) {
		if (!pe->allowed_line)
			pe->allowed_line = s->line;
		each_item(s, v, n, add_prefix, &l);
	} else if (word_eq(k, kn, "Endpoint")) {
		set_endpoint(s, pe, v, n);
	} else if (word_eq(k, kn, "PersistentKeepalive")) {
		set_num(s, "PersistentKeepalive", v, n, 0, 65535, true, &pe->keepalive);
	} else {
		char key[48];

		cut(k, kn < sizeof(key) ? kn : sizeof(key) - 1, key, sizeof(key));
		diag(s, "unknown-key", "unknown key '%s' in [Peer]", key);
	}
}

int pd_wgc_parse(const char *buf, size_t len, struct pd_wgc_config *cfg, struct pd_error *err)
{
	struct pstate s = { buf, cfg, err, 0, 0 };
	enum section sec = SEC_NONE;
	size_t off = 0;

	if (!buf || !cfg)
		return pd_fail(err, PD_ERR_INVAL, 0, "NULL argument");
	memset(cfg, 0, sizeof(*cfg));
	while (off < len) {
		const char *p = buf + off, *nl = memchr(p, '\n', len - off);
		size_t n = nl ? (size_t)(nl - p) : len - off;
		const char *hash = memchr(p, '#', n), *eq;

		s.line++;
		s.line_off = off;
		off += n + (nl ? 1 : 0);
		if (hash)
			n = (size_t)(hash - p);
		trim(&p, &n);
		if (!n)
			continue;
		if (memchr(p, '\0', n)) {
			diag(&s, "syntax", "NUL byte in the line");
			continue;
		}
		if (p[0] == '[') {
			if (word_eq(p, n, "[Interface]")) {
				if (cfg->interface_line)
					diag(&s, "syntax", "a second [Interface] section");
				else
					cfg->interface_line = s.line;
				sec = SEC_IFACE;
			} else if (word_eq(p, n, "[Peer]")) {
				if (cfg->n_peers >= PD_WGC_MAX_PEERS) {
					diag(&s, "too-many", "more peers than this checker keeps");
					sec = SEC_BAD;
					continue;
				}
				cfg->peer[cfg->n_peers++].line = s.line;
				sec = SEC_PEER;
			} else {
				diag(&s, "syntax", "unknown section (only [Interface] and [Peer])");
				sec = SEC_BAD;
			}
			continue;
		}
		eq = memchr(p, '=', n);
		if (!eq) {
			diag(&s, "syntax", "not KEY = VALUE");
			continue;
		}
		{
			const char *k = p, *v = eq + 1;
			size_t kn = (size_t)(eq - p), vn = n - kn - 1;

			trim(&k, &kn);
			trim(&v, &vn);
			if (!kn) {
				diag(&s, "syntax", "no key before '='");
			} else if (sec == SEC_NONE) {
				diag(&s, "syntax", "KEY = VALUE outside a section");
			} else if (sec == SEC_BAD) {
				continue;
			} else if (!vn && !word_eq(k, kn, "DNS") && !word_eq(k, kn, "AllowedIPs")) {
				diag(&s, "bad-value", "empty value");
			} else if (sec == SEC_IFACE) {
				iface_key(&s, k, kn, v, vn);
			} else {
				peer_key(&s, k, kn, v, vn);
			}
		}
	}
	cfg->lines = s.line;
	for (size_t i = 0; i < cfg->n_peers; i++)
		if (!cfg->peer[i].has_public_key) {
			s.line = cfg->peer[i].line;
			s.line_off = 0;
			diag(&s, "syntax", "[Peer] without a PublicKey");
		}
	if (!cfg->interface_line) {
		s.line = 1;
		diag(&s, "syntax", "no [Interface] section");
	} else if (!cfg->has_private_key) {
		s.line = cfg->interface_line;
		diag(&s, "syntax", "[Interface] without a PrivateKey");
	}
	return cfg->n_diag || cfg->diag_dropped ? PD_ERR_MALFORMED : PD_OK;
}
