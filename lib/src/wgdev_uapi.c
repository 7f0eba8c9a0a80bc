/* wgdev_uapi.c - WireGuard device configuration from a userspace
 * implementation's UAPI socket (wireguard.com/xplatform, "Configuration
 * Protocol"; what wireguard-go serves on /var/run/wireguard/IFACE.sock):
 * the text parser and the socket exchange.  See pathdiag/wgdev.h.
 *
 *   > get=1\n\n
 *   < private_key=<64 hex>\nlisten_port=51820\n
 *     public_key=<64 hex>\nendpoint=[fd00::2]:51820\nallowed_ip=10.99.0.2/32\n
 *     ... errno=0\n\n
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <pathdiag/wgdev.h>

#include "nl_internal.h"
#include "wgdev_internal.h"

#define UAPI_REPLY_MAX (16u << 20)
#define UAPI_LINE_MAX 4096

/* ---- UAPI text parser ------------------------------------------------------------- */

/* Decimal digits only, no sign, at most max. */
static bool parse_dec(const char *s, size_t n, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	size_t i;

	if (n == 0 || n > 20)
		return false;
	for (i = 0; i < n; i++) {
		unsigned d;

		if (s[i] < '0' || s[i] > '9')
			return false;
		d = (unsigned)(s[i] - '0');
		if (v > (max - d) / 10)
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

static bool parse_hexkey(const char *s, size_t n, uint8_t key[PD_WGDEV_KEY_LEN])
{
	size_t i;

	if (n != 2 * PD_WGDEV_KEY_LEN)
		return false;
	for (i = 0; i < PD_WGDEV_KEY_LEN; i++) {
		int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return false;
		key[i] = (uint8_t)(hi << 4 | lo);
	}
	return true;
}

/* A numeric address of n bytes (not NUL-terminated) into a[16]. */
static int parse_ip(const char *s, size_t n, int family, uint8_t a[16])
{
	char tmp[INET6_ADDRSTRLEN];

	if (n == 0 || n >= sizeof(tmp))
		return 0;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	memset(a, 0, 16);
	return inet_pton(family == 4 ? AF_INET : AF_INET6, tmp, a) == 1;
}

/* "a.b.c.d:port" or "[v6[%zone]]:port". */
static bool parse_endpoint(const char *s, size_t n, struct pd_wg_endpoint *ep)
{
	const char *colon;
	uint64_t port;

	memset(ep, 0, sizeof(*ep));
	if (n && s[0] == '[') {
		const char *close = memchr(s, ']', n);
		const char *pct;
		size_t hl;

		if (!close || (size_t)(close - s) + 1 >= n || close[1] != ':')
			return false;
		colon = close + 1;
		hl = (size_t)(close - s) - 1;
		pct = memchr(s + 1, '%', hl);
		if (pct) {
			uint64_t zone;
			size_t i, zl = hl - (size_t)(pct - (s + 1)) - 1;

			/* A numeric zone is the scope id; a name (an interface
			 * of the daemon's namespace) is kept as text. */
			if (parse_dec(pct + 1, zl, UINT32_MAX, &zone)) {
				ep->scope_id = (uint32_t)zone;
			} else {
				if (zl == 0 || zl >= sizeof(ep->zone))
					return false;
				for (i = 0; i < zl; i++) {
					char c = pct[1 + i];

					if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
					      (c >= '0' && c <= '9') || c == '_' || c == '.' ||
					      c == '-'))
						return false;
				}
				memcpy(ep->zone, pct + 1, zl);
				ep->zone[zl] = '\0';
			}
			hl = (size_t)(pct - (s + 1));
		}
		if (!parse_ip(s + 1, hl, 6, ep->addr))
			return false;
		ep->family = 6;
	} else {
		colon = memchr(s, ':', n);
		if (!colon || !parse_ip(s, (size_t)(colon - s), 4, ep->addr))
			return false;
		ep->family = 4;
	}
	if (!parse_dec(colon + 1, n - (size_t)(colon + 1 - s), 65535, &port))
		return false;
	ep->port = (uint16_t)port;
	return true;
}

static bool parse_allowed(const char *s, size_t n, struct pd_wg_allowedip *ip)
{
	const char *slash = memchr(s, '/', n);
	uint64_t cidr;

	memset(ip, 0, sizeof(*ip));
	if (!slash)
		return false;
	if (parse_ip(s, (size_t)(slash - s), 4, ip->addr))
		ip->family = 4;
	else if (parse_ip(s, (size_t)(slash - s), 6, ip->addr))
		ip->family = 6;
	else
		return false;
	if (!parse_dec(slash + 1, n - (size_t)(slash + 1 - s), ip->family == 4 ? 32 : 128, &cidr))
		return false;
	ip->cidr = (uint8_t)cidr;
	return true;
}

static bool key_is(const char *k, size_t kl, const char *name)
{
	return strlen(name) == kl && memcmp(k, name, kl) == 0;
}

/* One "key=value" line of a reply (device or peer key). */
static int uapi_line(struct wg_build *b, const char *k, size_t kl, const char *v, size_t vl,
		     size_t voff, struct pd_error *err)
{
	struct pd_wg_device *dev = b->dev;
	struct pd_wg_peer scratch = { 0 }, *p = b->cur ? b->cur : &scratch;
	uint8_t key[PD_WGDEV_KEY_LEN];
	uint64_t n;

	if (key_is(k, kl, "private_key")) {
		if (!parse_hexkey(v, vl, key))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "private_key is not 64 hex digits");
		if (!wgb_all_zero(key, sizeof(key)))
			dev->has |= PD_WGD_PRIVATE_KEY;
		memset(key, 0, sizeof(key));
		return PD_OK;
	}
	if (key_is(k, kl, "listen_port")) {
		if (!parse_dec(v, vl, 65535, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff, "listen_port is not 0..65535");
		dev->listen_port = (uint16_t)n;
		dev->has |= PD_WGD_LISTEN_PORT;
		return PD_OK;
	}
	if (key_is(k, kl, "fwmark")) {
		if (!parse_dec(v, vl, UINT32_MAX, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "fwmark is not a 32-bit number");
		dev->fwmark = (uint32_t)n;
		dev->has |= PD_WGD_FWMARK;
		return PD_OK;
	}
	if (key_is(k, kl, "public_key")) {
		if (!parse_hexkey(v, vl, key))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "public_key is not 64 hex digits");
		wgb_peer_begin(b, key);
		return PD_OK;
	}

	/* Everything else belongs to a peer (unknown keys are skipped, as
	 * newer daemons may add some). */
	if (!key_is(k, kl, "preshared_key") && !key_is(k, kl, "endpoint") &&
	    !key_is(k, kl, "persistent_keepalive_interval") && !key_is(k, kl, "allowed_ip") &&
	    !key_is(k, kl, "rx_bytes") && !key_is(k, kl, "tx_bytes") &&
	    !key_is(k, kl, "last_handshake_time_sec") &&
	    !key_is(k, kl, "last_handshake_time_nsec") && !key_is(k, kl, "protocol_version"))
		return PD_OK;
	if (!b->in_peer)
		return pd_fail(err, PD_ERR_MALFORMED, voff - kl - 1,
			       "peer key before any public_key line");

	if (key_is(k, kl, "preshared_key")) {
		if (!parse_hexkey(v, vl, key))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "preshared_key is not 64 hex digits");
		if (!wgb_all_zero(key, sizeof(key)))
			p->has |= PD_WGP_PRESHARED_KEY;
		memset(key, 0, sizeof(key));
	} else if (key_is(k, kl, "endpoint")) {
		if (!parse_endpoint(v, vl, &p->endpoint))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "endpoint is not ADDRESS:PORT or [ADDRESS]:PORT");
		p->has |= PD_WGP_ENDPOINT;
	} else if (key_is(k, kl, "persistent_keepalive_interval")) {
		if (!parse_dec(v, vl, 65535, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "persistent_keepalive_interval is not 0..65535");
		p->keepalive = (uint16_t)n;
		p->has |= PD_WGP_KEEPALIVE;
	} else if (key_is(k, kl, "allowed_ip")) {
		struct pd_wg_allowedip ip;

		if (!parse_allowed(v, vl, &ip))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "allowed_ip is not ADDRESS/PREFIXLEN");
		wgb_allowed_add(b, &ip);
	} else if (key_is(k, kl, "rx_bytes") || key_is(k, kl, "tx_bytes")) {
		if (!parse_dec(v, vl, UINT64_MAX, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "rx_bytes/tx_bytes is not a 64-bit number");
		if (k[0] == 'r') {
			p->rx_bytes = n;
			p->has |= PD_WGP_RX_BYTES;
		} else {
			p->tx_bytes = n;
			p->has |= PD_WGP_TX_BYTES;
		}
	} else if (key_is(k, kl, "last_handshake_time_sec")) {
		if (!parse_dec(v, vl, INT64_MAX, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "last_handshake_time_sec is not a number");
		p->handshake_sec = (int64_t)n;
		p->has |= PD_WGP_HANDSHAKE;
	} else if (key_is(k, kl, "last_handshake_time_nsec")) {
		if (!parse_dec(v, vl, 999999999, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "last_handshake_time_nsec is not 0..999999999");
		p->handshake_nsec = (int64_t)n;
		p->has |= PD_WGP_HANDSHAKE;
	} else { /* protocol_version */
		if (!parse_dec(v, vl, UINT32_MAX, &n))
			return pd_fail(err, PD_ERR_MALFORMED, voff,
				       "protocol_version is not a 32-bit number");
		p->protocol_version = (uint32_t)n;
		p->has |= PD_WGP_PROTOCOL;
	}
	return PD_OK;
}

int pd_wg_uapi_parse(const char *text, size_t len, struct pd_wg_device *dev,
		     struct pd_error *err)
{
	struct wg_build b;
	size_t off = 0;
	bool have_errno = false;
	int rc;

	rc = wgb_begin(dev, &b, err);
	if (rc < 0)
		return rc;
	if (!text && len)
		return pd_fail(err, PD_ERR_INVAL, 0, "UAPI reply is NULL");
	for (;;) {
		const char *line = text + off, *nl, *eq;
		size_t ll;
		uint64_t e;

		if (off >= len)
			return pd_fail(err, PD_ERR_TRUNCATED, len,
				       have_errno ? "UAPI reply ends before its blank line"
						  : "UAPI reply ends before its errno line");
		nl = memchr(line, '\n', len - off);
		if (!nl)
			return pd_fail(err, PD_ERR_TRUNCATED, off, "UAPI line without its newline");
		ll = (size_t)(nl - line);
		if (ll == 0) {
			if (!have_errno)
				return pd_fail(err, PD_ERR_MALFORMED, off,
					       "UAPI reply ends without an errno line");
			break;
		}
		if (have_errno)
			return pd_fail(err, PD_ERR_MALFORMED, off,
				       "UAPI line after the errno line");
		if (ll > UAPI_LINE_MAX)
			return pd_fail(err, PD_ERR_MALFORMED, off,
				       "UAPI line longer than 4096 bytes");
		if (memchr(line, '\0', ll))
			return pd_fail(err, PD_ERR_MALFORMED, off, "NUL byte in a UAPI line");
		eq = memchr(line, '=', ll);
		if (!eq || eq == line)
			return pd_fail(err, PD_ERR_MALFORMED, off, "UAPI line is not key=value");
		if (key_is(line, (size_t)(eq - line), "errno")) {
			if (!parse_dec(eq + 1, ll - (size_t)(eq + 1 - line), INT_MAX, &e))
				return pd_fail(err, PD_ERR_MALFORMED, off + 6,
					       "errno is not a non-negative number");
			if (e != 0)
				return nl_fail_errno(err, PD_ERR_SYSTEM,
						     "the WireGuard daemon answered with an error",
						     (int)e);
			have_errno = true;
		} else {
			rc = uapi_line(&b, line, (size_t)(eq - line), eq + 1,
				       ll - (size_t)(eq + 1 - line), off + (size_t)(eq + 1 - line),
				       err);
			if (rc < 0)
				return rc;
		}
		off += ll + 1;
	}
	dev->source = PD_WG_SRC_UAPI;
	return wgb_end(&b, err);
}

static int uapi_parse_adapter(const void *buf, size_t len, uint16_t family,
			      struct pd_wg_device *dev, struct pd_error *err)
{
	(void)family;
	return pd_wg_uapi_parse(buf, len, dev, err);
}

/* ---- UAPI socket ------------------------------------------------------------------ */

int pd_wg_uapi_get(const char *sock_path, struct pd_wg_device *dev, struct pd_error *err)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };
	struct sockaddr_un sun;
	static const char req[] = "get=1\n\n";
	char *reply = NULL;
	size_t len = 0, cap = 0, sent = 0;
	int fd, rc;

	if (!dev)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_wg_uapi_get: dev is NULL");
	memset(dev, 0, sizeof(*dev));
	if (!sock_path || strlen(sock_path) >= sizeof(sun.sun_path))
		return pd_fail(err, PD_ERR_INVAL, 0, "UAPI socket path missing or too long");
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	memcpy(sun.sun_path, sock_path, strlen(sock_path));

	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return nl_fail_errno(err, PD_ERR_SYSTEM, "UNIX socket could not be opened", errno);
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) < 0) {
		int e = errno;

		close(fd);
		if (e == ENOENT || e == ENOTDIR)
			return nl_fail_errno(err, PD_ERR_NOTFOUND,
					     "no WireGuard UAPI socket for that interface", e);
		if (e == ECONNREFUSED)
			return nl_fail_errno(err, PD_ERR_NOTFOUND,
					     "stale WireGuard UAPI socket: nothing listens on it",
					     e);
		if (e == EACCES || e == EPERM)
			return nl_fail_errno(err, PD_ERR_PERM,
					     "root or CAP_DAC_OVERRIDE (the UAPI socket is root's)",
					     e);
		return nl_fail_errno(err, PD_ERR_SYSTEM, "UAPI socket connect failed", e);
	}
	while (sent < sizeof(req) - 1) {
		ssize_t n = send(fd, req + sent, sizeof(req) - 1 - sent, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			return nl_fail_errno(err, e == EAGAIN ? PD_ERR_TIMEOUT : PD_ERR_SYSTEM,
					     "UAPI request could not be sent", e);
		}
		sent += (size_t)n;
	}
	/* Read up to the blank line that ends the reply (the daemon keeps the
	 * connection open for further requests). */
	for (;;) {
		ssize_t n;

		if (len >= 2 && reply[len - 1] == '\n' && reply[len - 2] == '\n')
			break;
		if (cap - len < 4096) {
			char *p;

			if (cap >= UAPI_REPLY_MAX) {
				rc = pd_fail(err, PD_ERR_NOMEM, 0, "UAPI reply larger than 16 MiB");
				goto fail;
			}
			cap = cap ? cap * 2 : 16384;
			p = realloc(reply, cap);
			if (!p) {
				rc = pd_fail(err, PD_ERR_NOMEM, 0, "UAPI reply buffer");
				goto fail;
			}
			reply = p;
		}
		n = recv(fd, reply + len, cap - len, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			if (e == EAGAIN)
				rc = nl_fail_errno(err, PD_ERR_TIMEOUT,
						   "the WireGuard daemon did not answer in 5 s", e);
			else
				rc = nl_fail_errno(err, PD_ERR_SYSTEM, "UAPI receive failed", e);
			goto fail;
		}
		if (n == 0)
			break; /* the parser says what is missing */
		len += (size_t)n;
	}
	close(fd);
	rc = wgb_parse_alloc(uapi_parse_adapter, reply, len, 0, dev, err);
	free(reply);
	return rc;
fail:
	close(fd);
	free(reply);
	return rc;
}
