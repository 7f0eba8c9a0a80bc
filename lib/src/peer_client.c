/* peer_client.c - client side of the pathdiag peer protocol
 * (docs/responder.md): builds HELLO, FWD_PROBE and REV_REQ, signs them
 * with HMAC-SHA256 (RFC 2104) when a key is given, and matches the
 * server's replies to their requests by nonce.
 *
 * Wire format: pathdiag/peerproto.h.  A request occupies a slot until its
 * answer is complete (INFO, FWD_ACK, every REV_DATA or the ERROR naming
 * the sizes refused) or the caller releases it; the oldest request gives
 * its slot up when all are taken.
 */
#include <string.h>

#include <pathdiag/hmac.h>
#include <pathdiag/peerproto.h>

#include "cursor.h"

int pd_peer_client_init(struct pd_peer_client *c, const uint8_t seed[32], const uint8_t *key,
			size_t key_len, struct pd_error *err)
{
	if (!c || !seed)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: NULL argument");
	if ((key && (key_len < PD_PEER_KEY_MIN || key_len > PD_PEER_KEY_MAX)) ||
	    (!key && key_len))
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: key not 16..64 bytes");
	memset(c, 0, sizeof(*c));
	memcpy(c->seed, seed, sizeof(c->seed));
	if (key) {
		memcpy(c->key, key, key_len);
		c->key_len = key_len;
	}
	return PD_OK;
}

void pd_peer_client_wipe(struct pd_peer_client *c)
{
	if (c)
		pd_wipe(c, sizeof(*c));
}

/* Next nonce: the first 8 bytes of HMAC-SHA256(seed, counter), never 0
 * (0 marks a free slot and the unsolicited TCP report). */
static uint64_t next_nonce(struct pd_peer_client *c)
{
	uint8_t ctr[8], mac[PD_SHA256_LEN];
	uint64_t n;

	do {
		c->counter++;
		pd_store_be32(ctr, (uint32_t)(c->counter >> 32));
		pd_store_be32(ctr + 4, (uint32_t)c->counter);
		pd_hmac_sha256(c->seed, sizeof(c->seed), ctr, sizeof(ctr), mac);
		n = (uint64_t)pd_load_be32(mac) << 32 | pd_load_be32(mac + 4);
	} while (n == 0);
	pd_wipe(mac, sizeof(mac));
	return n;
}

static uint64_t next_ts(struct pd_peer_client *c, uint64_t now)
{
	int64_t t = (int64_t)now;
	uint64_t ts;

	if (c->clock_known)
		t += c->clock_offset_ms;
	ts = t > 0 ? (uint64_t)t : 1;
	if (ts <= c->last_ts)
		ts = c->last_ts + 1;
	c->last_ts = ts;
	return ts;
}

static struct pd_peer_pending *slot_new(struct pd_peer_client *c)
{
	struct pd_peer_pending *p = &c->slot[0];
	size_t i;

	for (i = 0; i < PD_PEER_CLIENT_SLOTS; i++) {
		if (!c->slot[i].nonce)
			return &c->slot[i];
		if (c->slot[i].sent_ms < p->sent_ms)
			p = &c->slot[i];
	}
	return p; /* the oldest request is given up */
}

/* Encode m (signed if sign) and, once it is written, record it in a slot. */
static int send_req(struct pd_peer_client *c, uint64_t now, struct pd_peer_msg *m,
		    size_t total_len, bool sign, uint8_t *buf, size_t cap, size_t *len,
		    struct pd_error *err)
{
	struct pd_peer_pending *p;
	uint64_t saved_ts = c->last_ts;
	int rc;

	m->nonce = next_nonce(c);
	if (sign)
		m->ts_ms = next_ts(c, now);
	rc = pd_peer_encode(m, total_len, sign ? c->key : NULL, sign ? c->key_len : 0, buf, cap,
			    len, err);
	if (rc) {
		c->last_ts = saved_ts;
		return rc;
	}
	p = slot_new(c);
	memset(p, 0, sizeof(*p));
	p->nonce = m->nonce;
	p->sent_ms = now;
	p->type = m->type;
	if (m->type == PD_PEER_FWD_PROBE)
		p->seq = m->u.fwd.seq;
	if (m->type == PD_PEER_REV_REQ) {
		p->count = m->u.rev.count;
		memcpy(p->size, m->u.rev.size, sizeof(p->size));
	}
	c->last_nonce = m->nonce;
	return PD_OK;
}

int pd_peer_client_hello(struct pd_peer_client *c, uint64_t now_ms, size_t total_len, bool sign,
			 uint8_t *buf, size_t cap, size_t *len, struct pd_error *err)
{
	struct pd_peer_msg m;

	if (!c || !buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: NULL argument");
	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_HELLO;
	sign = sign && c->key_len;
	if (!total_len)
		total_len = PD_PEER_HELLO_LEN + (sign ? PD_PEER_AUTH_LEN : 0);
	return send_req(c, now_ms, &m, total_len, sign, buf, cap, len, err);
}

int pd_peer_client_forward(struct pd_peer_client *c, uint64_t now_ms, uint32_t seq,
			   size_t total_len, bool sign, uint8_t *buf, size_t cap, size_t *len,
			   struct pd_error *err)
{
	struct pd_peer_msg m;

	if (!c || !buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: NULL argument");
	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_FWD_PROBE;
	m.u.fwd.seq = seq;
	return send_req(c, now_ms, &m, total_len, sign && c->key_len, buf, cap, len, err);
}

int pd_peer_client_reverse(struct pd_peer_client *c, uint64_t now_ms, const uint16_t *sizes,
			   size_t n, size_t total_len, uint8_t *buf, size_t cap, size_t *len,
			   struct pd_error *err)
{
	struct pd_peer_msg m;
	size_t i;

	if (!c || !buf || !len || !sizes)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: NULL argument");
	if (n == 0 || n > PD_PEER_MAX_SIZES)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: 1..32 reverse sizes");
	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_REV_REQ;
	m.u.rev.count = (uint8_t)n;
	for (i = 0; i < n; i++)
		m.u.rev.size[i] = sizes[i];
	return send_req(c, now_ms, &m, total_len, c->key_len != 0, buf, cap, len, err);
}

size_t pd_peer_reverse_len(const uint16_t *sizes, size_t n, int family)
{
	size_t sum = 0, min = PD_PEER_HDR_LEN + PD_PEER_REV_BODY + 2 * n, oh;
	size_t i;

	oh = pd_peer_overhead(family);
	if (!sizes || n == 0 || n > PD_PEER_MAX_SIZES || !oh)
		return 0;
	for (i = 0; i < n; i++)
		sum += sizes[i];
	if (sum < oh || sum - oh < min)
		return min;
	return sum - oh > PD_PEER_UDP_MAX ? PD_PEER_UDP_MAX : sum - oh;
}

static int find_slot(const struct pd_peer_client *c, uint64_t nonce)
{
	int i;

	if (!nonce)
		return -1;
	for (i = 0; i < PD_PEER_CLIENT_SLOTS; i++)
		if (c->slot[i].nonce == nonce)
			return i;
	return -1;
}

const struct pd_peer_pending *pd_peer_client_pending(const struct pd_peer_client *c,
						     uint64_t nonce)
{
	int i = c ? find_slot(c, nonce) : -1;

	return i < 0 ? NULL : &c->slot[i];
}

void pd_peer_client_release(struct pd_peer_client *c, uint64_t nonce)
{
	int i = c ? find_slot(c, nonce) : -1;

	if (i >= 0)
		memset(&c->slot[i], 0, sizeof(c->slot[i]));
}

static void learn_clock(struct pd_peer_client *c, const struct pd_peer_pending *p,
			uint64_t server_ms, uint64_t now)
{
	uint64_t mid = p->sent_ms + (now >= p->sent_ms ? (now - p->sent_ms) / 2 : 0);

	c->clock_offset_ms = (int64_t)(server_ms - mid);
	c->clock_known = true;
}

static uint32_t all_bits(unsigned count)
{
	return count >= 32 ? 0xffffffffu : (1u << count) - 1;
}

int pd_peer_client_match(struct pd_peer_client *c, uint64_t now_ms, int family,
			 const uint8_t *buf, size_t len, struct pd_peer_match *out,
			 struct pd_error *err)
{
	struct pd_peer_pending *p;
	struct pd_peer_msg *m;
	const struct pd_peer_rev_data *d;
	bool done = false;
	int rc, i;

	if (!c || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "peer client: NULL argument");
	memset(out, 0, sizeof(*out));
	out->slot = -1;
	m = &out->msg;
	rc = pd_peer_decode(buf, len, m, err);
	if (rc)
		return rc;
	if (pd_peer_type_is_request(m->type) || m->type == PD_PEER_MSS_REPORT)
		return pd_fail(err, PD_ERR_MALFORMED, 3, "peer reply: not a UDP reply type");
	i = find_slot(c, m->nonce);
	if (i < 0)
		return pd_fail(err, PD_ERR_NOTFOUND, 8, "peer reply: no request with this nonce");
	p = &c->slot[i];
	out->slot = i;
	out->req_type = p->type;
	out->rtt_ms = now_ms >= p->sent_ms ? now_ms - p->sent_ms : 0;

	switch (m->type) {
	case PD_PEER_INFO:
		if (p->type != PD_PEER_HELLO)
			return pd_fail(err, PD_ERR_MALFORMED, 3, "peer reply: INFO not to a HELLO");
		learn_clock(c, p, m->u.info.server_time_ms, now_ms);
		done = true;
		break;
	case PD_PEER_FWD_ACK:
		if (p->type != PD_PEER_FWD_PROBE)
			return pd_fail(err, PD_ERR_MALFORMED, 3,
				       "peer reply: FWD_ACK not to a FWD_PROBE");
		if (m->u.ack.seq != p->seq)
			return pd_fail(err, PD_ERR_MALFORMED, PD_PEER_HDR_LEN,
				       "peer reply: FWD_ACK sequence differs from the probe's");
		done = true;
		break;
	case PD_PEER_REV_DATA:
		d = &m->u.data;
		if (p->type != PD_PEER_REV_REQ)
			return pd_fail(err, PD_ERR_MALFORMED, 3,
				       "peer reply: REV_DATA not to a REV_REQ");
		if (d->count != p->count || d->size != p->size[d->index])
			return pd_fail(err, PD_ERR_MALFORMED, PD_PEER_HDR_LEN,
				       "peer reply: REV_DATA index, count or size not as asked");
		if (family && len + pd_peer_overhead(family) != d->size)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "peer reply: REV_DATA length differs from its size");
		out->duplicate = (p->got >> d->index) & 1;
		p->got |= 1u << d->index;
		done = ((p->got | p->refused) & all_bits(p->count)) == all_bits(p->count);
		break;
	case PD_PEER_ERROR:
		if (m->u.error.code == PD_PEER_E_STALE)
			learn_clock(c, p, m->u.error.server_time_ms, now_ms);
		if (p->type == PD_PEER_REV_REQ && m->u.error.arg32 &&
		    (m->u.error.code == PD_PEER_E_TOO_BIG ||
		     m->u.error.code == PD_PEER_E_RATE_LIMITED)) {
			p->refused |= m->u.error.arg32 & all_bits(p->count);
			done = ((p->got | p->refused) & all_bits(p->count)) ==
			       all_bits(p->count);
		} else {
			done = true;
		}
		break;
	default:
		return pd_fail(err, PD_ERR_MALFORMED, 3, "peer reply: unexpected type");
	}
	out->got = p->got;
	out->refused = p->refused;
	if (done) {
		out->complete = true;
		memset(p, 0, sizeof(*p));
	}
	return PD_OK;
}
