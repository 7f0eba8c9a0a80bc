/* wgdev.c - WireGuard device configuration from the kernel's generic netlink
 * family "wireguard" (include/uapi/linux/wireguard.h), the result-building
 * helpers both parsers share, and pd_wg_get(), which picks the kernel or a
 * userspace daemon's UAPI socket (wgdev_uapi.c).  See pathdiag/wgdev.h.
 *
 *   WG_CMD_GET_DEVICE reply (one message of a dump):
 *   | nlmsghdr | genlmsghdr: cmd(1) version(1) reserved(2) |
 *   | WGDEVICE_A_IFINDEX u32 | WGDEVICE_A_IFNAME string | WGDEVICE_A_LISTEN_PORT u16 |
 *   | WGDEVICE_A_PEERS [ [ WGPEER_A_PUBLIC_KEY 32 | WGPEER_A_ENDPOINT sockaddr_in(6) |
 *   |     WGPEER_A_LAST_HANDSHAKE_TIME { s64 sec, s64 nsec } |
 *   |     WGPEER_A_ALLOWEDIPS [ [ FAMILY u16 | IPADDR 4/16 | CIDR_MASK u8 ] ... ] ] ... ] |
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/genetlink.h>
#include <linux/wireguard.h>
#include <netinet/in.h>

#include <pathdiag/nl_link.h>
#include <pathdiag/wgdev.h>

#include "nl_internal.h"
#include "wgdev_internal.h"

/* ---- building the result (shared by both parsers) --------------------------------- */

int wgb_begin(struct pd_wg_device *dev, struct wg_build *b, struct pd_error *err)
{
	struct pd_wg_peer *peers;
	struct pd_wg_allowedip *allowed;
	size_t cap_p, cap_a;

	if (!dev)
		return pd_fail(err, PD_ERR_INVAL, 0, "WireGuard device is NULL");
	if ((dev->cap_peers && !dev->peers) || (dev->cap_allowed && !dev->allowed))
		return pd_fail(err, PD_ERR_INVAL, 0, "WireGuard device storage is NULL");
	peers = dev->peers;
	allowed = dev->allowed;
	cap_p = dev->cap_peers;
	cap_a = dev->cap_allowed;
	memset(dev, 0, sizeof(*dev));
	dev->peers = peers;
	dev->allowed = allowed;
	dev->cap_peers = cap_p;
	dev->cap_allowed = cap_a;
	memset(b, 0, sizeof(*b));
	b->dev = dev;
	return PD_OK;
}

static void peer_end(struct wg_build *b)
{
	if (b->cur)
		b->cur->n_allowed = b->cur_allowed;
}

void wgb_peer_begin(struct wg_build *b, const uint8_t key[PD_WGDEV_KEY_LEN])
{
	struct pd_wg_device *dev = b->dev;

	peer_end(b);
	dev->n_peers++;
	b->cur = NULL;
	if (dev->n_peers <= dev->cap_peers) {
		b->cur = &dev->peers[dev->n_peers - 1];
		memset(b->cur, 0, sizeof(*b->cur));
		memcpy(b->cur->public_key, key, PD_WGDEV_KEY_LEN);
	}
	memcpy(b->last_key, key, PD_WGDEV_KEY_LEN);
	b->cur_allowed = 0;
	b->in_peer = true;
}

void wgb_allowed_add(struct wg_build *b, const struct pd_wg_allowedip *ip)
{
	struct pd_wg_device *dev = b->dev;

	if (dev->n_allowed < dev->cap_allowed)
		dev->allowed[dev->n_allowed] = *ip;
	dev->n_allowed++;
	b->cur_allowed++;
}

/* Point each stored peer at its slice of the allowed-IP array; say whether
 * everything fitted. */
int wgb_end(struct wg_build *b, struct pd_error *err)
{
	struct pd_wg_device *dev = b->dev;
	size_t i, at = 0, np;

	peer_end(b);
	np = dev->n_peers < dev->cap_peers ? dev->n_peers : dev->cap_peers;
	for (i = 0; i < np; i++) {
		struct pd_wg_peer *p = &dev->peers[i];

		p->allowed = NULL;
		if (p->n_allowed && at + p->n_allowed <= dev->cap_allowed)
			p->allowed = &dev->allowed[at];
		at += p->n_allowed;
	}
	if (dev->n_peers > dev->cap_peers || dev->n_allowed > dev->cap_allowed)
		return pd_fail(err, PD_ERR_NOSPACE, 0,
			       "more peers or allowed IPs than the device storage holds");
	return PD_OK;
}

bool wgb_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

/* ---- generic netlink parser ------------------------------------------------------- */

struct allowedip_ctx {
	struct pd_wg_allowedip ip;
	bool fam, addr, cidr;
	const struct nlattr *addr_attr;
};

static int allowedip_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
			  struct pd_error *err)
{
	struct allowedip_ctx *c = vctx;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case WGALLOWEDIP_A_FAMILY:
		rc = nl_want(buf, a, MNL_TYPE_U16, "WGALLOWEDIP_A_FAMILY is not a u16", err);
		if (rc == 0) {
			uint16_t f = mnl_attr_get_u16(a);

			if (f != AF_INET && f != AF_INET6)
				return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
					       "allowed IP family is neither AF_INET nor AF_INET6");
			c->ip.family = f == AF_INET ? 4 : 6;
			c->fam = true;
		}
		break;
	case WGALLOWEDIP_A_IPADDR:
		if (mnl_attr_get_payload_len(a) != 4 && mnl_attr_get_payload_len(a) != 16)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "WGALLOWEDIP_A_IPADDR is not 4 or 16 bytes");
		memcpy(c->ip.addr, mnl_attr_get_payload(a), mnl_attr_get_payload_len(a));
		c->addr_attr = a;
		c->addr = true;
		break;
	case WGALLOWEDIP_A_CIDR_MASK:
		rc = nl_want(buf, a, MNL_TYPE_U8, "WGALLOWEDIP_A_CIDR_MASK is not a u8", err);
		if (rc == 0) {
			c->ip.cidr = mnl_attr_get_u8(a);
			c->cidr = true;
		}
		break;
	}
	return rc;
}

static int allowedips_entry(const uint8_t *buf, const struct nlattr *a, void *vctx,
			    struct pd_error *err)
{
	struct wg_build *b = vctx;
	struct allowedip_ctx c;
	int rc;

	memset(&c, 0, sizeof(c));
	rc = nl_want(buf, a, MNL_TYPE_NESTED, "allowed IP entry is not nested", err);
	if (rc == 0)
		rc = nl_walk_nested(buf, a, allowedip_attr, &c, err);
	if (rc < 0)
		return rc;
	if (!c.fam || !c.addr || !c.cidr)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "allowed IP without family, address or mask");
	if (mnl_attr_get_payload_len(c.addr_attr) != (c.ip.family == 4 ? 4 : 16))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, c.addr_attr),
			       "allowed IP address length does not match its family");
	if (c.ip.cidr > (c.ip.family == 4 ? 32 : 128))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "allowed IP mask longer than the address");
	wgb_allowed_add(b, &c.ip);
	return PD_OK;
}

/* struct sockaddr_in (16 bytes) or sockaddr_in6 (28 bytes), as the kernel
 * copies them: family in host order, port and IPv4 address big-endian. */
static int parse_sockaddr(const uint8_t *buf, const struct nlattr *a, struct pd_wg_endpoint *ep,
			  struct pd_error *err)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	uint16_t n = mnl_attr_get_payload_len(a), fam;

	if (n < 2)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "WGPEER_A_ENDPOINT shorter than a sockaddr family");
	memcpy(&fam, p, 2);
	memset(ep, 0, sizeof(*ep));
	if (fam == AF_INET && n == sizeof(struct sockaddr_in)) {
		ep->family = 4;
		ep->port = (uint16_t)((unsigned)p[2] << 8 | p[3]);
		memcpy(ep->addr, p + 4, 4);
	} else if (fam == AF_INET6 && n == sizeof(struct sockaddr_in6)) {
		ep->family = 6;
		ep->port = (uint16_t)((unsigned)p[2] << 8 | p[3]);
		memcpy(ep->addr, p + 8, 16);
		memcpy(&ep->scope_id, p + 24, 4);
	} else {
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "WGPEER_A_ENDPOINT is not a sockaddr_in or sockaddr_in6");
	}
	return PD_OK;
}

/* First pass over a peer: framing of every attribute, and its public key. */
static int peer_key_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
			 struct pd_error *err)
{
	const struct nlattr **key = vctx;

	if (mnl_attr_get_type(a) == WGPEER_A_PUBLIC_KEY) {
		int rc = nl_want_len(buf, a, PD_WGDEV_KEY_LEN,
				     "WGPEER_A_PUBLIC_KEY is not 32 bytes", err);

		if (rc < 0)
			return rc;
		*key = a;
	}
	return PD_OK;
}

static int peer_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		     struct pd_error *err)
{
	struct wg_build *b = vctx;
	struct pd_wg_peer scratch = { 0 }, *p = b->cur ? b->cur : &scratch;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case WGPEER_A_PRESHARED_KEY:
		rc = nl_want_len(buf, a, PD_WGDEV_KEY_LEN, "WGPEER_A_PRESHARED_KEY is not 32 bytes",
				 err);
		if (rc == 0 && !wgb_all_zero(mnl_attr_get_payload(a), PD_WGDEV_KEY_LEN))
			p->has |= PD_WGP_PRESHARED_KEY;
		break;
	case WGPEER_A_ENDPOINT:
		rc = parse_sockaddr(buf, a, &p->endpoint, err);
		if (rc == 0)
			p->has |= PD_WGP_ENDPOINT;
		break;
	case WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL:
		rc = nl_want(buf, a, MNL_TYPE_U16,
			     "WGPEER_A_PERSISTENT_KEEPALIVE_INTERVAL is not a u16", err);
		if (rc == 0) {
			p->keepalive = mnl_attr_get_u16(a);
			p->has |= PD_WGP_KEEPALIVE;
		}
		break;
	case WGPEER_A_LAST_HANDSHAKE_TIME: {
		/* struct __kernel_timespec: s64 seconds, s64 nanoseconds. */
		const uint8_t *v = mnl_attr_get_payload(a);

		rc = nl_want_len(buf, a, 16, "WGPEER_A_LAST_HANDSHAKE_TIME is not 16 bytes", err);
		if (rc == 0) {
			memcpy(&p->handshake_sec, v, 8);
			memcpy(&p->handshake_nsec, v + 8, 8);
			if (p->handshake_sec < 0 || p->handshake_nsec < 0 ||
			    p->handshake_nsec >= 1000000000)
				return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
					       "last handshake time out of range");
			p->has |= PD_WGP_HANDSHAKE;
		}
		break;
	}
	case WGPEER_A_RX_BYTES:
		rc = nl_want(buf, a, MNL_TYPE_U64, "WGPEER_A_RX_BYTES is not a u64", err);
		if (rc == 0) {
			p->rx_bytes = mnl_attr_get_u64(a);
			p->has |= PD_WGP_RX_BYTES;
		}
		break;
	case WGPEER_A_TX_BYTES:
		rc = nl_want(buf, a, MNL_TYPE_U64, "WGPEER_A_TX_BYTES is not a u64", err);
		if (rc == 0) {
			p->tx_bytes = mnl_attr_get_u64(a);
			p->has |= PD_WGP_TX_BYTES;
		}
		break;
	case WGPEER_A_PROTOCOL_VERSION:
		rc = nl_want(buf, a, MNL_TYPE_U32, "WGPEER_A_PROTOCOL_VERSION is not a u32", err);
		if (rc == 0) {
			p->protocol_version = mnl_attr_get_u32(a);
			p->has |= PD_WGP_PROTOCOL;
		}
		break;
	case WGPEER_A_ALLOWEDIPS:
		rc = nl_want(buf, a, MNL_TYPE_NESTED, "WGPEER_A_ALLOWEDIPS is not nested", err);
		if (rc == 0)
			rc = nl_walk_nested(buf, a, allowedips_entry, b, err);
		break;
	}
	return rc;
}

static int peers_entry(const uint8_t *buf, const struct nlattr *a, void *vctx,
		       struct pd_error *err)
{
	struct wg_build *b = vctx;
	const struct nlattr *key = NULL;
	const uint8_t *k;
	int rc;

	rc = nl_want(buf, a, MNL_TYPE_NESTED, "peer entry is not nested", err);
	if (rc == 0)
		rc = nl_walk_nested(buf, a, peer_key_attr, &key, err);
	if (rc < 0)
		return rc;
	if (!key)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), "peer without a public key");
	k = mnl_attr_get_payload(key);
	/* A peer whose allowed IPs did not fit in the previous message goes
	 * on in this one under the same key. */
	if (!b->in_peer || memcmp(k, b->last_key, PD_WGDEV_KEY_LEN) != 0)
		wgb_peer_begin(b, k);
	return nl_walk_nested(buf, a, peer_attr, b, err);
}

static int device_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		       struct pd_error *err)
{
	struct wg_build *b = vctx;
	struct pd_wg_device *dev = b->dev;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case WGDEVICE_A_IFINDEX:
		rc = nl_want(buf, a, MNL_TYPE_U32, "WGDEVICE_A_IFINDEX is not a u32", err);
		if (rc == 0) {
			dev->ifindex = (int)mnl_attr_get_u32(a);
			dev->has |= PD_WGD_IFINDEX;
		}
		break;
	case WGDEVICE_A_IFNAME:
		rc = nl_get_str(buf, a, dev->name, sizeof(dev->name),
				"WGDEVICE_A_IFNAME is not a string of at most 15 bytes", err);
		if (rc == 0)
			dev->has |= PD_WGD_NAME;
		break;
	case WGDEVICE_A_PRIVATE_KEY:
		rc = nl_want_len(buf, a, PD_WGDEV_KEY_LEN, "WGDEVICE_A_PRIVATE_KEY is not 32 bytes",
				 err);
		if (rc == 0 && !wgb_all_zero(mnl_attr_get_payload(a), PD_WGDEV_KEY_LEN))
			dev->has |= PD_WGD_PRIVATE_KEY;
		break;
	case WGDEVICE_A_PUBLIC_KEY:
		rc = nl_want_len(buf, a, PD_WGDEV_KEY_LEN, "WGDEVICE_A_PUBLIC_KEY is not 32 bytes",
				 err);
		if (rc == 0) {
			memcpy(dev->public_key, mnl_attr_get_payload(a), PD_WGDEV_KEY_LEN);
			dev->has |= PD_WGD_PUBLIC_KEY;
		}
		break;
	case WGDEVICE_A_LISTEN_PORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "WGDEVICE_A_LISTEN_PORT is not a u16", err);
		if (rc == 0) {
			dev->listen_port = mnl_attr_get_u16(a);
			dev->has |= PD_WGD_LISTEN_PORT;
		}
		break;
	case WGDEVICE_A_FWMARK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "WGDEVICE_A_FWMARK is not a u32", err);
		if (rc == 0) {
			dev->fwmark = mnl_attr_get_u32(a);
			dev->has |= PD_WGD_FWMARK;
		}
		break;
	case WGDEVICE_A_PEERS:
		rc = nl_want(buf, a, MNL_TYPE_NESTED, "WGDEVICE_A_PEERS is not nested", err);
		if (rc == 0)
			rc = nl_walk_nested(buf, a, peers_entry, b, err);
		break;
	}
	return rc;
}

static int wg_errno(int e, struct pd_error *err)
{
	switch (e) {
	case ENODEV:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "no such interface", e);
	case EOPNOTSUPP:
		return nl_fail_errno(err, PD_ERR_NOTFOUND,
				     "the interface is not a kernel WireGuard device", e);
	case EPERM:
	case EACCES:
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN", e);
	}
	return nl_fail_errno(err, PD_ERR_SYSTEM, "WG_CMD_GET_DEVICE failed", e);
}

int pd_wg_nl_parse(const void *vbuf, size_t len, uint16_t family, struct pd_wg_device *dev,
		   struct pd_error *err)
{
	const uint8_t *buf = vbuf;
	const struct nlmsghdr *nlh;
	struct wg_build b;
	size_t off = 0;
	bool any = false;
	int rc;

	rc = wgb_begin(dev, &b, err);
	if (rc < 0)
		return rc;
	rc = nl_check_buf(buf, len, err);
	if (rc < 0)
		return rc;
	while ((rc = nl_next_msg(buf, len, &off, &nlh, err)) > 0) {
		const struct genlmsghdr *g;
		size_t start, end;
		int e;

		if (nlh->nlmsg_type == NLMSG_NOOP)
			continue;
		if (nlh->nlmsg_type == NLMSG_ERROR) {
			rc = nl_msg_errno(buf, nlh, &e, err);
			if (rc < 0)
				return rc;
			if (e == 0)
				continue;
			return wg_errno(e, err);
		}
		if (nlh->nlmsg_type == NLMSG_DONE) {
			/* A dump that failed half-way puts the error here. */
			if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(int32_t)) {
				int32_t d;

				memcpy(&d, mnl_nlmsg_get_payload(nlh), sizeof(d));
				if (d < 0 && d != INT32_MIN)
					return wg_errno(-d, err);
			}
			break;
		}
		if (nlh->nlmsg_type < NLMSG_MIN_TYPE || (family && nlh->nlmsg_type != family))
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, nlh),
				       "message of another family in a WireGuard dump");
		if (mnl_nlmsg_get_payload_len(nlh) < GENL_HDRLEN)
			return pd_fail(err, PD_ERR_TRUNCATED, nl_off(buf, nlh),
				       "generic netlink message shorter than its header");
		g = mnl_nlmsg_get_payload(nlh);
		if (g->cmd != WG_CMD_GET_DEVICE)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, g),
				       "generic netlink command is not WG_CMD_GET_DEVICE");
		start = nl_off(buf, mnl_nlmsg_get_payload_offset(nlh, GENL_HDRLEN));
		end = nl_off(buf, nlh) + nlh->nlmsg_len;
		rc = nl_walk_attrs(buf, start, end, device_attr, &b, err);
		if (rc < 0)
			return rc;
		any = true;
	}
	if (rc < 0)
		return rc;
	if (!any)
		return pd_fail(err, PD_ERR_TRUNCATED, len,
			       "no WireGuard device message in the reply");
	dev->source = PD_WG_SRC_NETLINK;
	return wgb_end(&b, err);
}

/* ---- helpers ---------------------------------------------------------------------- */

void pd_wg_key_base64(const uint8_t key[PD_WGDEV_KEY_LEN], char out[PD_WGDEV_KEY_B64_LEN])
{
	static const char tab[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t i, o = 0;

	/* 30 bytes in ten groups of three, then two bytes and one '='. */
	for (i = 0; i + 3 <= PD_WGDEV_KEY_LEN; i += 3) {
		uint32_t v = (uint32_t)key[i] << 16 | (uint32_t)key[i + 1] << 8 | key[i + 2];

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = tab[v & 63];
	}
	{
		uint32_t v = (uint32_t)key[30] << 16 | (uint32_t)key[31] << 8;

		out[o++] = tab[v >> 18 & 63];
		out[o++] = tab[v >> 12 & 63];
		out[o++] = tab[v >> 6 & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
}

void pd_wg_device_free(struct pd_wg_device *dev)
{
	if (!dev)
		return;
	free(dev->peers);
	free(dev->allowed);
	memset(dev, 0, sizeof(*dev));
}

static int nl_parse_adapter(const void *buf, size_t len, uint16_t family,
			    struct pd_wg_device *dev, struct pd_error *err)
{
	return pd_wg_nl_parse(buf, len, family, dev, err);
}

int wgb_parse_alloc(wgb_parse_fn fn, const void *buf, size_t len, uint16_t family,
		       struct pd_wg_device *dev, struct pd_error *err)
{
	size_t np, na;
	int rc;

	memset(dev, 0, sizeof(*dev));
	rc = fn(buf, len, family, dev, err);
	if (rc != PD_ERR_NOSPACE)
		return rc;
	np = dev->n_peers;
	na = dev->n_allowed;
	memset(dev, 0, sizeof(*dev));
	dev->peers = calloc(np ? np : 1, sizeof(*dev->peers));
	dev->allowed = calloc(na ? na : 1, sizeof(*dev->allowed));
	if (!dev->peers || !dev->allowed) {
		pd_wg_device_free(dev);
		return pd_fail(err, PD_ERR_NOMEM, 0, "WireGuard peer storage");
	}
	dev->cap_peers = np;
	dev->cap_allowed = na;
	rc = fn(buf, len, family, dev, err);
	if (rc < 0)
		pd_wg_device_free(dev);
	return rc;
}

/* ---- generic netlink -------------------------------------------------------------- */

struct family_ctx {
	int id;
};

static int family_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		       struct pd_error *err)
{
	struct family_ctx *c = vctx;

	if (mnl_attr_get_type(a) == CTRL_ATTR_FAMILY_ID) {
		int rc = nl_want(buf, a, MNL_TYPE_U16, "CTRL_ATTR_FAMILY_ID is not a u16", err);

		if (rc < 0)
			return rc;
		c->id = mnl_attr_get_u16(a);
	}
	return PD_OK;
}

/* *id = the id of family "wireguard", 0 if the kernel has none. */
static int wg_family(struct pd_nl *nl, int *id, struct pd_error *err)
{
	_Alignas(8) char req[256];
	struct family_ctx c = { 0 };
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nl_reply rep;
	const struct nlmsghdr *m;
	size_t off = 0;
	int rc;

	*id = 0;
	if (nl->wg_family) {
		*id = nl->wg_family > 0 ? nl->wg_family : 0;
		return PD_OK;
	}
	rc = nl_open_genl(nl, err);
	if (rc < 0)
		return rc;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = GENL_ID_CTRL;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = CTRL_CMD_GETFAMILY;
	g->version = 1;
	mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, WG_GENL_NAME);
	rc = nl_transact(nl, nl->gen, nlh, &rep, err);
	if (rc < 0)
		return rc;
	while ((rc = nl_next_msg(rep.buf, rep.len, &off, &m, err)) > 0) {
		int e;

		if (m->nlmsg_type == NLMSG_ERROR) {
			rc = nl_msg_errno(rep.buf, m, &e, err);
			if (rc < 0)
				break;
			if (e == ENOENT) {
				nl->wg_family = -1;
				break;
			}
			if (e) {
				rc = nl_fail_errno(err, PD_ERR_SYSTEM, "CTRL_CMD_GETFAMILY failed",
						   e);
				break;
			}
			continue;
		}
		if (m->nlmsg_type == GENL_ID_CTRL && mnl_nlmsg_get_payload_len(m) >= GENL_HDRLEN) {
			size_t start;

			start = nl_off(rep.buf, mnl_nlmsg_get_payload_offset(m, GENL_HDRLEN));

			rc = nl_walk_attrs(rep.buf, start, nl_off(rep.buf, m) + m->nlmsg_len,
					   family_attr, &c, err);
			if (rc < 0)
				break;
		}
	}
	nl_reply_free(&rep);
	if (rc < 0)
		return rc;
	if (nl->wg_family == 0)
		nl->wg_family = c.id > 0 ? c.id : -1;
	*id = nl->wg_family > 0 ? nl->wg_family : 0;
	return PD_OK;
}

static int wg_nl_get(struct pd_nl *nl, int family, const char *ifname, struct pd_wg_device *dev,
		     struct pd_error *err)
{
	_Alignas(8) char req[256];
	struct nlmsghdr *nlh;
	struct genlmsghdr *g;
	struct nl_reply rep;
	int rc;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = (uint16_t)family;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	g = mnl_nlmsg_put_extra_header(nlh, sizeof(*g));
	g->cmd = WG_CMD_GET_DEVICE;
	g->version = WG_GENL_VERSION;
	mnl_attr_put_strz(nlh, WGDEVICE_A_IFNAME, ifname);
	rc = nl_transact(nl, nl->gen, nlh, &rep, err);
	if (rc < 0)
		return rc;
	rc = wgb_parse_alloc(nl_parse_adapter, rep.buf, rep.len, (uint16_t)family, dev, err);
	nl_reply_free(&rep);
	return rc;
}

int pd_wg_get(struct pd_nl *nl, const char *ifname, struct pd_wg_device *dev,
	      struct pd_error *err)
{
	char path[sizeof(PD_WGDEV_UAPI_DIR) + 1 + 16 + 5];
	struct pd_error nlerr = { 0 };
	struct pd_nl *use, *tmp;
	int rc, fam, nlrc = PD_OK;

	if (!dev)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_wg_get: dev is NULL");
	memset(dev, 0, sizeof(*dev));
	if (!ifname || !*ifname || strlen(ifname) > 15 || strchr(ifname, '/') ||
	    strcmp(ifname, ".") == 0 || strcmp(ifname, "..") == 0)
		return pd_fail(err, PD_ERR_INVAL, 0, "not a valid interface name");

	rc = nl_use(nl, &use, &tmp, err);
	if (rc < 0)
		return rc;
	nlrc = wg_family(use, &fam, &nlerr);
	if (nlrc == 0 && fam > 0) {
		nlrc = wg_nl_get(use, fam, ifname, dev, &nlerr);
		/* ENODEV / EOPNOTSUPP: not a kernel device here; try UAPI. */
		if (nlrc == 0 || (nlrc != PD_ERR_NOTFOUND && nlrc != PD_ERR_PERM)) {
			nl_done(tmp);
			if (nlrc < 0 && err)
				*err = nlerr;
			return nlrc;
		}
	}
	/* The UAPI directory is the host's, whatever the namespace: ask it
	 * only for an interface this namespace has. */
	{
		struct pd_error lerr = { 0 };
		struct pd_nl_link l;

		if (pd_nl_link_get(use, ifname, 0, &l, &lerr) == PD_ERR_NOTFOUND) {
			nl_done(tmp);
			return nl_fail_errno(err, PD_ERR_NOTFOUND,
					     "no WireGuard interface of that name (no such "
					     "interface in this network namespace)",
					     ENODEV);
		}
	}
	nl_done(tmp);

	snprintf(path, sizeof(path), "%s/%s.sock", PD_WGDEV_UAPI_DIR, ifname);
	rc = pd_wg_uapi_get(path, dev, err);
	/* No daemon either: the netlink answer (e.g. missing CAP_NET_ADMIN)
	 * says more than "no socket". */
	if (rc == PD_ERR_NOTFOUND && nlrc == PD_ERR_PERM) {
		if (err)
			*err = nlerr;
		return nlrc;
	}
	if (rc == PD_ERR_NOTFOUND)
		return nl_fail_errno(err, PD_ERR_NOTFOUND,
				     "no WireGuard interface of that name (no kernel device, "
				     "no UAPI socket)",
				     ENODEV);
	return rc;
}
