/* peerproto.c - encoder and decoder of the pathdiag peer protocol,
 * version 1 (docs/responder.md; message authentication HMAC-SHA256,
 * RFC 2104 / FIPS 180-4).
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   'P' (0x50)  |   'D' (0x44)  |  version (1)  |     type      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     flags     |   reserved    |          body length          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       nonce (64 bits)                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   | body | padding | [AUTH: timestamp (64) | HMAC-SHA256 (256)]   |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * The body layouts are drawn in pathdiag/peerproto.h.  The decoder reads
 * only through lib/src/cursor.h; offsets in errors are from the start of
 * the datagram.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>

#include <pathdiag/hmac.h>
#include <pathdiag/peerproto.h>

#include "cursor.h"

const char *pd_peer_type_name(int type)
{
	switch (type) {
	case PD_PEER_HELLO: return "hello";
	case PD_PEER_INFO: return "info";
	case PD_PEER_FWD_PROBE: return "forward-probe";
	case PD_PEER_FWD_ACK: return "forward-ack";
	case PD_PEER_REV_REQ: return "reverse-request";
	case PD_PEER_REV_DATA: return "reverse-data";
	case PD_PEER_MSS_REPORT: return "mss-report";
	case PD_PEER_ERROR: return "error";
	}
	return "unknown";
}

const char *pd_peer_errcode_name(int code)
{
	switch (code) {
	case PD_PEER_E_RATE_LIMITED: return "rate-limited";
	case PD_PEER_E_TOO_BIG: return "too-big";
	case PD_PEER_E_BAD_AUTH: return "bad-auth";
	case PD_PEER_E_STALE: return "stale";
	case PD_PEER_E_REPLAY: return "replay";
	case PD_PEER_E_BAD_VERSION: return "bad-version";
	case PD_PEER_E_MALFORMED: return "malformed";
	case PD_PEER_E_UNSUPPORTED: return "unsupported";
	}
	return "unknown";
}

bool pd_peer_type_is_request(int type)
{
	return type == PD_PEER_HELLO || type == PD_PEER_FWD_PROBE || type == PD_PEER_REV_REQ;
}

unsigned pd_peer_overhead(int family)
{
	if (family == 4)
		return PD_PEER_OVERHEAD4;
	if (family == 6)
		return PD_PEER_OVERHEAD6;
	return 0;
}

static bool printable(uint8_t ch)
{
	return ch >= 0x20 && ch < 0x7f;
}

static uint64_t load_be64(const uint8_t *p)
{
	return (uint64_t)pd_load_be32(p) << 32 | pd_load_be32(p + 4);
}

static void store_be64(uint8_t *p, uint64_t v)
{
	pd_store_be32(p, (uint32_t)(v >> 32));
	pd_store_be32(p + 4, (uint32_t)v);
}

static bool cur_be64(struct pd_cursor *c, uint64_t *v)
{
	uint32_t hi = 0, lo = 0;

	if (!pd_cur_has(c, 8))
		return false;
	pd_cur_be32(c, &hi);
	pd_cur_be32(c, &lo);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

/* Least body length of each type (for INFO and REV_REQ without their
 * variable parts); 0 for an unknown type. */
static size_t body_min(int type)
{
	switch (type) {
	case PD_PEER_HELLO: return PD_PEER_HELLO_BODY;
	case PD_PEER_INFO: return PD_PEER_INFO_BODY;
	case PD_PEER_FWD_PROBE: return PD_PEER_FWD_BODY;
	case PD_PEER_FWD_ACK: return PD_PEER_ACK_BODY;
	case PD_PEER_REV_REQ: return PD_PEER_REV_BODY;
	case PD_PEER_REV_DATA: return PD_PEER_DATA_BODY;
	case PD_PEER_MSS_REPORT: return PD_PEER_MSS_BODY;
	case PD_PEER_ERROR: return PD_PEER_ERROR_BODY;
	}
	return 0;
}

static bool type_known(int type)
{
	return type >= PD_PEER_HELLO && type <= PD_PEER_ERROR;
}

/* ---- decoder ------------------------------------------------------------ */

/* The 16 address bytes of an address whose family the caller has read:
 * an IPv4 address must leave the last 12 zero. */
static int dec_addr(struct pd_cursor *c, size_t base, uint8_t family, struct pd_peer_addr *a,
		    struct pd_error *err)
{
	size_t at = base + c->off;
	int i;

	/* The caller checked the body length: these reads cannot fail. */
	pd_cur_bytes(c, a->addr, 16);
	if (family == 4) {
		for (i = 4; i < 16; i++)
			if (a->addr[i])
				return pd_fail(err, PD_ERR_MALFORMED, at + (size_t)i,
					       "IPv4 address with non-zero trailing bytes");
	}
	a->family = family;
	return PD_OK;
}

static int dec_info(struct pd_cursor *c, size_t base, struct pd_peer_info *in,
		    struct pd_error *err)
{
	uint8_t fam = 0, n = 0, ch = 0;
	uint16_t rsv = 0;
	int rc;
	size_t i;

	pd_cur_u8(c, &in->version_max);
	pd_cur_u8(c, &in->caps);
	pd_cur_be16(c, &in->tcp_port);
	pd_cur_be16(c, &in->max_reply);
	pd_cur_u8(c, &in->max_sizes);
	pd_cur_u8(c, &fam);
	pd_cur_be16(c, &in->seen.port);
	pd_cur_be16(c, &rsv);
	cur_be64(c, &in->server_time_ms);
	if (in->version_max == 0)
		return pd_fail(err, PD_ERR_MALFORMED, base, "INFO version 0");
	if (fam != 4 && fam != 6)
		return pd_fail(err, PD_ERR_MALFORMED, base + 7, "INFO address family not 4 or 6");
	rc = dec_addr(c, base, fam, &in->seen, err);
	if (rc)
		return rc;
	pd_cur_be32(c, &in->max_auth_bytes);
	pd_cur_be32(c, &in->auth_window_ms);
	pd_cur_u8(c, &n);
	if (n > PD_PEER_SOFTWARE_MAX)
		return pd_fail(err, PD_ERR_MALFORMED, base + 44,
			       "INFO software string longer than 31");
	if (!pd_cur_has(c, n))
		return pd_fail(err, PD_ERR_MALFORMED, base + 44,
			       "INFO software string runs past the body");
	for (i = 0; i < n; i++) {
		pd_cur_u8(c, &ch);
		if (!printable(ch))
			return pd_fail(err, PD_ERR_MALFORMED, base + 45 + i,
				       "INFO software string not printable ASCII");
		in->software[i] = (char)ch;
	}
	in->software[n] = '\0';
	return PD_OK;
}

static int dec_rev(struct pd_cursor *c, size_t base, struct pd_peer_rev_req *r,
		   struct pd_error *err)
{
	uint8_t rsv = 0;
	unsigned i;

	pd_cur_u8(c, &r->count);
	pd_cur_u8(c, &rsv);
	if (r->count == 0 || r->count > PD_PEER_MAX_SIZES)
		return pd_fail(err, PD_ERR_MALFORMED, base,
			       "REV_REQ size count not in 1..32");
	if (!pd_cur_has(c, 2u * r->count))
		return pd_fail(err, PD_ERR_MALFORMED, base,
			       "REV_REQ size list longer than the body");
	for (i = 0; i < r->count; i++)
		pd_cur_be16(c, &r->size[i]);
	return PD_OK;
}

static int dec_data(struct pd_cursor *c, size_t base, struct pd_peer_rev_data *d,
		    struct pd_error *err)
{
	pd_cur_u8(c, &d->index);
	pd_cur_u8(c, &d->count);
	pd_cur_be16(c, &d->size);
	if (d->count == 0 || d->count > PD_PEER_MAX_SIZES)
		return pd_fail(err, PD_ERR_MALFORMED, base + 1,
			       "REV_DATA size count not in 1..32");
	if (d->index >= d->count)
		return pd_fail(err, PD_ERR_MALFORMED, base, "REV_DATA index not below count");
	return PD_OK;
}

static int dec_mss(struct pd_cursor *c, size_t base, struct pd_peer_mss *s,
		   struct pd_error *err)
{
	uint8_t fam = 0;
	uint16_t rsv = 0;
	int rc;

	pd_cur_u8(c, &s->flags);
	pd_cur_u8(c, &fam);
	pd_cur_be16(c, &s->mss);
	pd_cur_u8(c, &s->wscale);
	pd_cur_u8(c, &s->ttl);
	pd_cur_be16(c, &s->seen.port);
	if (s->flags & ~PD_PEER_MSS_KNOWN)
		return pd_fail(err, PD_ERR_MALFORMED, base, "MSS_REPORT unknown flag");
	if (fam != 4 && fam != 6)
		return pd_fail(err, PD_ERR_MALFORMED, base + 1,
			       "MSS_REPORT address family not 4 or 6");
	rc = dec_addr(c, base, fam, &s->seen, err);
	if (rc)
		return rc;
	pd_cur_be16(c, &s->syn_len);
	pd_cur_be16(c, &rsv);
	return PD_OK;
}

static int dec_error(struct pd_cursor *c, size_t base, struct pd_peer_err *e,
		     struct pd_error *err)
{
	uint8_t rsv = 0;

	pd_cur_u8(c, &e->code);
	pd_cur_u8(c, &rsv);
	pd_cur_be16(c, &e->arg);
	pd_cur_be32(c, &e->arg32);
	cur_be64(c, &e->server_time_ms);
	if (e->code == 0)
		return pd_fail(err, PD_ERR_MALFORMED, base, "ERROR code 0");
	return PD_OK;
}

int pd_peer_decode(const uint8_t *buf, size_t len, struct pd_peer_msg *m,
		   struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len), body;
	uint8_t m0 = 0, m1 = 0, rsv = 0;
	size_t trailer;

	if (!m || (!buf && len))
		return pd_fail(err, PD_ERR_INVAL, 0, "peer decode: NULL argument");
	memset(m, 0, sizeof(*m));
	if (len < PD_PEER_HDR_LEN)
		return pd_fail(err, PD_ERR_TRUNCATED, 0, "peer header shorter than 16 bytes");
	pd_cur_u8(&c, &m0);
	pd_cur_u8(&c, &m1);
	pd_cur_u8(&c, &m->version);
	pd_cur_u8(&c, &m->type);
	pd_cur_u8(&c, &m->flags);
	pd_cur_u8(&c, &rsv);
	pd_cur_be16(&c, &m->body_len);
	cur_be64(&c, &m->nonce);
	m->len = len;
	if (m0 != PD_PEER_MAGIC0 || m1 != PD_PEER_MAGIC1)
		return pd_fail(err, PD_ERR_MALFORMED, 0, "peer magic is not 'PD'");
	if (m->version != PD_PEER_VERSION)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 2, "peer protocol version not 1");
	if (!type_known(m->type))
		return pd_fail(err, PD_ERR_UNSUPPORTED, 3, "peer message type unknown");
	if (m->flags & ~PD_PEER_F_KNOWN)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 4, "peer header has an unknown flag");
	m->auth = (m->flags & PD_PEER_F_AUTH) != 0;

	if (!pd_cur_has(&c, m->body_len))
		return pd_fail(err, PD_ERR_TRUNCATED, PD_PEER_HDR_LEN,
			       "peer body runs past the end of the datagram");
	trailer = m->auth ? PD_PEER_AUTH_LEN : 0;
	if (pd_cur_left(&c) - m->body_len < trailer)
		return pd_fail(err, PD_ERR_TRUNCATED, PD_PEER_HDR_LEN + (size_t)m->body_len,
			       "peer auth trailer runs past the end of the datagram");
	m->pad_len = len - PD_PEER_HDR_LEN - m->body_len - trailer;
	if (m->auth) {
		m->ts_ms = load_be64(buf + len - PD_PEER_AUTH_LEN);
		m->mac_off = len - PD_PEER_MAC_LEN;
	}
	if (m->body_len < body_min(m->type))
		return pd_fail(err, PD_ERR_MALFORMED, 6, "peer body too short for its type");

	body = pd_cur_init(buf + PD_PEER_HDR_LEN, m->body_len);
	switch (m->type) {
	case PD_PEER_HELLO:
		return PD_OK;
	case PD_PEER_INFO:
		return dec_info(&body, PD_PEER_HDR_LEN, &m->u.info, err);
	case PD_PEER_FWD_PROBE:
		pd_cur_be32(&body, &m->u.fwd.seq);
		return PD_OK;
	case PD_PEER_FWD_ACK:
		pd_cur_be32(&body, &m->u.ack.seq);
		pd_cur_be16(&body, &m->u.ack.rx_len);
		return PD_OK;
	case PD_PEER_REV_REQ:
		return dec_rev(&body, PD_PEER_HDR_LEN, &m->u.rev, err);
	case PD_PEER_REV_DATA:
		return dec_data(&body, PD_PEER_HDR_LEN, &m->u.data, err);
	case PD_PEER_MSS_REPORT:
		return dec_mss(&body, PD_PEER_HDR_LEN, &m->u.mss, err);
	case PD_PEER_ERROR:
		return dec_error(&body, PD_PEER_HDR_LEN, &m->u.error, err);
	}
	return pd_fail(err, PD_ERR_UNSUPPORTED, 3, "peer message type unknown");
}

bool pd_peer_verify(const uint8_t *buf, size_t len, const struct pd_peer_msg *m,
		    const uint8_t *key, size_t key_len)
{
	uint8_t mac[PD_SHA256_LEN];
	bool ok;

	if (!buf || !m || !key || !key_len || !m->auth || m->len != len ||
	    m->mac_off + PD_PEER_MAC_LEN != len || m->mac_off < PD_PEER_HDR_LEN + PD_PEER_TS_LEN)
		return false;
	pd_hmac_sha256(key, key_len, buf, m->mac_off, mac);
	ok = pd_ct_equal(mac, buf + m->mac_off, PD_PEER_MAC_LEN);
	pd_wipe(mac, sizeof(mac));
	return ok;
}

/* ---- encoder ------------------------------------------------------------ */

static size_t software_len(const char *s)
{
	size_t n = 0;

	while (n <= PD_PEER_SOFTWARE_MAX && s[n])
		n++;
	return n;
}

static size_t body_len_of(const struct pd_peer_msg *m)
{
	switch (m->type) {
	case PD_PEER_INFO:
		return PD_PEER_INFO_BODY + software_len(m->u.info.software);
	case PD_PEER_REV_REQ:
		return PD_PEER_REV_BODY + 2u * m->u.rev.count;
	}
	return body_min(m->type);
}

size_t pd_peer_min_len(const struct pd_peer_msg *m)
{
	if (!m || !type_known(m->type))
		return 0;
	return PD_PEER_HDR_LEN + body_len_of(m);
}

/* Everything the decoder would refuse, refused before a byte is written. */
static int enc_check(const struct pd_peer_msg *m, struct pd_error *err)
{
	size_t i, n;

	switch (m->type) {
	case PD_PEER_INFO:
		n = software_len(m->u.info.software);
		if (n > PD_PEER_SOFTWARE_MAX)
			return pd_fail(err, PD_ERR_INVAL, 0, "INFO software string longer than 31");
		for (i = 0; i < n; i++)
			if (!printable((uint8_t)m->u.info.software[i]))
				return pd_fail(err, PD_ERR_INVAL, 0,
					       "INFO software string not printable ASCII");
		if (m->u.info.version_max == 0)
			return pd_fail(err, PD_ERR_INVAL, 0, "INFO version 0");
		if (m->u.info.seen.family != 4 && m->u.info.seen.family != 6)
			return pd_fail(err, PD_ERR_INVAL, 0, "INFO address family not 4 or 6");
		break;
	case PD_PEER_REV_REQ:
		if (m->u.rev.count == 0 || m->u.rev.count > PD_PEER_MAX_SIZES)
			return pd_fail(err, PD_ERR_INVAL, 0, "REV_REQ size count not in 1..32");
		break;
	case PD_PEER_REV_DATA:
		if (m->u.data.count == 0 || m->u.data.count > PD_PEER_MAX_SIZES ||
		    m->u.data.index >= m->u.data.count)
			return pd_fail(err, PD_ERR_INVAL, 0, "REV_DATA index/count out of range");
		break;
	case PD_PEER_MSS_REPORT:
		if (m->u.mss.flags & ~PD_PEER_MSS_KNOWN)
			return pd_fail(err, PD_ERR_INVAL, 0, "MSS_REPORT unknown flag");
		if (m->u.mss.seen.family != 4 && m->u.mss.seen.family != 6)
			return pd_fail(err, PD_ERR_INVAL, 0,
				       "MSS_REPORT address family not 4 or 6");
		break;
	case PD_PEER_ERROR:
		if (m->u.error.code == 0)
			return pd_fail(err, PD_ERR_INVAL, 0, "ERROR code 0");
		break;
	case PD_PEER_HELLO:
	case PD_PEER_FWD_PROBE:
	case PD_PEER_FWD_ACK:
		break;
	default:
		return pd_fail(err, PD_ERR_INVAL, 0, "peer message type unknown");
	}
	return PD_OK;
}

/* Address bytes as the wire wants them: IPv4 in the first 4, zeros after. */
static void put_addr(uint8_t *p, const struct pd_peer_addr *a)
{
	if (a->family == 4) {
		memset(p, 0, 16);
		memcpy(p, a->addr, 4);
	} else {
		memcpy(p, a->addr, 16);
	}
}

static void enc_body(const struct pd_peer_msg *m, uint8_t *b)
{
	const struct pd_peer_info *in = &m->u.info;
	const struct pd_peer_mss *s = &m->u.mss;
	const struct pd_peer_err *e = &m->u.error;
	size_t n;
	unsigned i;

	switch (m->type) {
	case PD_PEER_INFO:
		b[0] = in->version_max;
		b[1] = in->caps;
		pd_store_be16(b + 2, in->tcp_port);
		pd_store_be16(b + 4, in->max_reply);
		b[6] = in->max_sizes;
		b[7] = in->seen.family;
		pd_store_be16(b + 8, in->seen.port);
		pd_store_be16(b + 10, 0);
		store_be64(b + 12, in->server_time_ms);
		put_addr(b + 20, &in->seen);
		pd_store_be32(b + 36, in->max_auth_bytes);
		pd_store_be32(b + 40, in->auth_window_ms);
		n = software_len(in->software);
		b[44] = (uint8_t)n;
		memcpy(b + 45, in->software, n);
		break;
	case PD_PEER_FWD_PROBE:
		pd_store_be32(b, m->u.fwd.seq);
		break;
	case PD_PEER_FWD_ACK:
		pd_store_be32(b, m->u.ack.seq);
		pd_store_be16(b + 4, m->u.ack.rx_len);
		pd_store_be16(b + 6, 0);
		break;
	case PD_PEER_REV_REQ:
		b[0] = m->u.rev.count;
		b[1] = 0;
		for (i = 0; i < m->u.rev.count; i++)
			pd_store_be16(b + 2 + 2 * i, m->u.rev.size[i]);
		break;
	case PD_PEER_REV_DATA:
		b[0] = m->u.data.index;
		b[1] = m->u.data.count;
		pd_store_be16(b + 2, m->u.data.size);
		break;
	case PD_PEER_MSS_REPORT:
		b[0] = s->flags;
		b[1] = s->seen.family;
		pd_store_be16(b + 2, s->mss);
		b[4] = s->wscale;
		b[5] = s->ttl;
		pd_store_be16(b + 6, s->seen.port);
		put_addr(b + 8, &s->seen);
		pd_store_be16(b + 24, s->syn_len);
		pd_store_be16(b + 26, 0);
		break;
	case PD_PEER_ERROR:
		b[0] = e->code;
		b[1] = 0;
		pd_store_be16(b + 2, e->arg);
		pd_store_be32(b + 4, e->arg32);
		store_be64(b + 8, e->server_time_ms);
		break;
	}
}

int pd_peer_encode(const struct pd_peer_msg *m, size_t total_len, const uint8_t *key,
		   size_t key_len, uint8_t *buf, size_t cap, size_t *out_len,
		   struct pd_error *err)
{
	size_t body, min, trailer;
	int rc;

	if (!m || !buf || !out_len)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer encode: NULL argument");
	if (key && (key_len < PD_PEER_KEY_MIN || key_len > PD_PEER_KEY_MAX))
		return pd_fail(err, PD_ERR_INVAL, 0, "peer key not 16..64 bytes");
	rc = enc_check(m, err);
	if (rc)
		return rc;
	body = body_len_of(m);
	trailer = key ? PD_PEER_AUTH_LEN : 0;
	min = PD_PEER_HDR_LEN + body + trailer;
	if (total_len == 0)
		total_len = min;
	if (total_len < min)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer message: size below its minimum");
	if (total_len > PD_PEER_UDP_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer message: size above 65507");
	if (cap < total_len)
		return pd_fail(err, PD_ERR_NOSPACE, 0, "peer message: buffer too small");

	buf[0] = PD_PEER_MAGIC0;
	buf[1] = PD_PEER_MAGIC1;
	buf[2] = PD_PEER_VERSION;
	buf[3] = m->type;
	buf[4] = key ? PD_PEER_F_AUTH : 0;
	buf[5] = 0;
	pd_store_be16(buf + 6, (uint16_t)body);
	store_be64(buf + 8, m->nonce);
	memset(buf + PD_PEER_HDR_LEN, 0, total_len - PD_PEER_HDR_LEN);
	enc_body(m, buf + PD_PEER_HDR_LEN);
	if (key) {
		store_be64(buf + total_len - PD_PEER_AUTH_LEN, m->ts_ms);
		pd_hmac_sha256(key, key_len, buf, total_len - PD_PEER_MAC_LEN,
			       buf + total_len - PD_PEER_MAC_LEN);
	}
	*out_len = total_len;
	return PD_OK;
}

/* ---- key file and addresses ------------------------------------------- */

static int hexval(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

static bool blank(char ch)
{
	return ch == ' ' || ch == '\t' || ch == '\r';
}

int pd_peer_key_parse(const char *text, size_t len, uint8_t key[PD_PEER_KEY_MAX],
		      size_t *key_len, struct pd_error *err)
{
	uint8_t tmp[PD_PEER_KEY_MAX];
	size_t i = 0, a, b, le, n = 0, k;
	bool found = false;

	if ((!text && len) || !key || !key_len)
		return pd_fail(err, PD_ERR_INVAL, 0, "key parse: NULL argument");
	while (i < len) {
		for (le = i; le < len && text[le] != '\n'; le++)
			;
		for (a = i; a < le && blank(text[a]); a++)
			;
		for (b = le; b > a && blank(text[b - 1]); b--)
			;
		i = le + 1;
		if (a == b || text[a] == '#')
			continue;
		if (found) {
			pd_wipe(tmp, sizeof(tmp));
			return pd_fail(err, PD_ERR_MALFORMED, a,
				       "key file has more than one key line");
		}
		if ((b - a) % 2)
			return pd_fail(err, PD_ERR_MALFORMED, b,
				       "key has an odd number of hex digits");
		if (b - a < 2 * PD_PEER_KEY_MIN)
			return pd_fail(err, PD_ERR_MALFORMED, a, "key shorter than 16 bytes");
		if (b - a > 2 * PD_PEER_KEY_MAX)
			return pd_fail(err, PD_ERR_MALFORMED, a, "key longer than 64 bytes");
		n = (b - a) / 2;
		for (k = 0; k < n; k++) {
			int hi = hexval(text[a + 2 * k]), lo = hexval(text[a + 2 * k + 1]);

			if (hi < 0 || lo < 0) {
				pd_wipe(tmp, sizeof(tmp));
				return pd_fail(err, PD_ERR_MALFORMED, a + 2 * k + (hi < 0 ? 0 : 1),
					       "key has a character that is not a hex digit");
			}
			tmp[k] = (uint8_t)(hi << 4 | lo);
		}
		found = true;
	}
	if (!found)
		return pd_fail(err, PD_ERR_MALFORMED, len, "key file has no key line");
	memcpy(key, tmp, n);
	*key_len = n;
	pd_wipe(tmp, sizeof(tmp));
	return PD_OK;
}

int pd_peer_addr_format(const struct pd_peer_addr *a, bool with_port, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN];
	int n;

	if (!buf || !len)
		return PD_ERR_INVAL;
	buf[0] = '\0';
	if (!a || (a->family != 4 && a->family != 6))
		return PD_ERR_INVAL;
	if (!inet_ntop(a->family == 4 ? AF_INET : AF_INET6, a->addr, ip, sizeof(ip)))
		return PD_ERR_INVAL;
	if (!with_port)
		n = snprintf(buf, len, "%s", ip);
	else if (a->family == 4)
		n = snprintf(buf, len, "%s:%u", ip, (unsigned)a->port);
	else
		n = snprintf(buf, len, "[%s]:%u", ip, (unsigned)a->port);
	return n < 0 || (size_t)n >= len ? PD_ERR_NOSPACE : PD_OK;
}
