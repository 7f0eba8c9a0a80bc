/* responder.c - decision logic of the peer responder (docs/responder.md):
 * for one datagram, its source and the time, which replies to send.  No
 * sockets, no clock, no allocation after pd_responder_new.
 *
 * Flow of pd_responder_udp:
 *
 *   source usable? --no--> silence            (port 0, multicast, ...)
 *   'PD' header?   --no--> silence            (not our protocol)
 *   server message? -yes-> silence            (never answer an answer)
 *   request token of this source? --no--> signed and a global MAC check
 *                  left? go on quietly; else at most one RATE_LIMITED a second
 *   decode         --fail--> ERROR MALFORMED / BAD_VERSION / UNSUPPORTED
 *   AUTH flag:  MAC, then timestamp window, then nonce cache
 *               --fail--> ERROR BAD_AUTH / STALE / REPLAY
 *   HELLO -> INFO, FWD_PROBE -> FWD_ACK, REV_REQ -> REV_DATA... [+ ERROR]
 *
 * Every reply goes through plan_add(), the one place that enforces the
 * amplification budget (request IP bytes, or max_auth_bytes when the MAC
 * verified) and takes reply bytes from the token buckets: the source's and
 * the global unsigned one, or for verified requests the signed one.
 *
 * Token buckets hold thousandths of a token, so that a refill of
 * `rate` per second is exactly `rate` thousandths per millisecond.
 */
#include <stdlib.h>
#include <string.h>

#include <pathdiag/hmac.h>
#include <pathdiag/ipv4.h>
#include <pathdiag/ipv6.h>
#include <pathdiag/responder.h>
#include <pathdiag/transport.h>

#include "cursor.h"

#ifndef PD_VERSION
#define PD_VERSION "0"
#endif

#define WAYS 8                  /* entries per set, sources and nonces */
#define TABLE_MAX (1u << 20)
#define MILLI 1000u
#define ELAPSED_MAX 3600000u    /* a refill never counts more than 1 h */
#define RATE_ERR_GAP_MS 1000u   /* one RATE_LIMITED per source per second */
#define IPPROTO_V_TCP 6

/* One source: an IPv4 address or an IPv6 /64. */
struct src_entry {
	uint64_t key;
	uint8_t family;         /* 0: free */
	uint64_t seen_ms;       /* last datagram (least recently seen goes first) */
	uint64_t refill_ms;
	uint64_t pkt_tok;       /* thousandths of a request */
	uint64_t byte_tok;      /* thousandths of a byte */
	uint64_t err_ms;        /* last RATE_LIMITED sent, 0: never */
};

/* A bucket of its own clock (the global ones). */
struct bucket {
	uint64_t tok;
	uint64_t ms;
};

struct nonce_entry {
	uint64_t nonce;
	uint64_t ts;            /* 0: free */
};

struct pd_responder {
	struct pd_responder_config cfg;
	uint8_t key[PD_PEER_KEY_MAX];
	char software[PD_PEER_SOFTWARE_MAX + 1];
	struct src_entry *src;
	uint32_t src_sets;
	struct nonce_entry *nonce;
	uint32_t nonce_sets;
	uint64_t replay_floor;  /* signed requests need ts > this */
	struct bucket global;   /* unauthenticated reply bytes */
	struct bucket auth;     /* reply bytes to signed requests */
	struct bucket verify;   /* MAC checks of sources over their rate */
	struct pd_responder_stats st;
};

const char *pd_resp_reason_name(int reason)
{
	switch (reason) {
	case PD_RESP_OK: return "ok";
	case PD_RESP_BAD_SOURCE: return "bad-source";
	case PD_RESP_NOT_OURS: return "not-ours";
	case PD_RESP_NOT_REQUEST: return "not-request";
	case PD_RESP_RATE_SOURCE: return "rate-source";
	case PD_RESP_RATE_GLOBAL: return "rate-global";
	case PD_RESP_MALFORMED: return "malformed";
	case PD_RESP_BAD_AUTH: return "bad-auth";
	case PD_RESP_STALE: return "stale";
	case PD_RESP_REPLAY: return "replay";
	case PD_RESP_TOO_BIG: return "too-big";
	}
	return "unknown";
}

void pd_responder_config_default(struct pd_responder_config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	cfg->max_reply = 9000;
	cfg->max_auth_bytes = 131072;
	cfg->auth_window_ms = 30000;
	cfg->src_pps = 100;
	cfg->src_pps_burst = 200;
	cfg->src_bps = 262144;
	cfg->src_bps_burst = 524288;
	cfg->global_bps = 4194304;
	cfg->global_bps_burst = 8388608;
	cfg->auth_bps = 33554432;
	cfg->auth_bps_burst = 33554432;
	cfg->verify_pps = 20000;
	cfg->verify_burst = 20000;
	cfg->table_size = 4096;
	cfg->replay_size = 4096;
	cfg->software = "pathdiag " PD_VERSION;
}

static bool pow2_in(uint32_t v)
{
	return v >= WAYS && v <= TABLE_MAX && (v & (v - 1)) == 0;
}

static int check_config(const struct pd_responder_config *c, struct pd_error *err)
{
	size_t i;

	if (c->key && (c->key_len < PD_PEER_KEY_MIN || c->key_len > PD_PEER_KEY_MAX))
		return pd_fail(err, PD_ERR_INVAL, 0, "responder key not 16..64 bytes");
	if (!c->key && c->key_len)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder key length without a key");
	/* (Any 16-bit max_reply fits in an IPv4 datagram: 65507 + 28.) */
	if (c->max_reply < PD_PEER_OVERHEAD6 + PD_PEER_HDR_LEN + PD_PEER_DATA_BODY)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder max_reply below 68");
	if (!c->src_pps || !c->src_pps_burst || !c->src_bps || !c->src_bps_burst ||
	    !c->global_bps || !c->global_bps_burst || !c->auth_bps || !c->auth_bps_burst ||
	    !c->verify_pps || !c->verify_burst)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder rate or burst of 0");
	if (!pow2_in(c->table_size))
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "responder table_size not a power of 2 in 8..1048576");
	if (!pow2_in(c->replay_size))
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "responder replay_size not a power of 2 in 8..1048576");
	if (!c->auth_window_ms)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder auth window of 0");
	if (c->software) {
		for (i = 0; c->software[i]; i++)
			if (i >= PD_PEER_SOFTWARE_MAX || c->software[i] < 0x20 ||
			    c->software[i] > 0x7e)
				return pd_fail(err, PD_ERR_INVAL, 0,
					       "responder software string not <= 31 printable");
	}
	return PD_OK;
}

int pd_responder_new(const struct pd_responder_config *cfg, uint64_t now_ms,
		     struct pd_responder **out, struct pd_error *err)
{
	struct pd_responder *r;
	int rc;

	if (!cfg || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "responder: NULL argument");
	*out = NULL;
	rc = check_config(cfg, err);
	if (rc)
		return rc;
	r = calloc(1, sizeof(*r));
	if (!r)
		return pd_fail(err, PD_ERR_NOMEM, 0, "responder state");
	r->src = calloc(cfg->table_size, sizeof(*r->src));
	r->nonce = calloc(cfg->replay_size, sizeof(*r->nonce));
	if (!r->src || !r->nonce) {
		free(r->src);
		free(r->nonce);
		free(r);
		return pd_fail(err, PD_ERR_NOMEM, 0, "responder tables");
	}
	r->cfg = *cfg;
	if (cfg->key)
		memcpy(r->key, cfg->key, cfg->key_len);
	r->cfg.key = NULL; /* the copy in r->key is the one used */
	if (cfg->software)
		strcpy(r->software, cfg->software); /* length checked above */
	r->cfg.software = r->software;
	r->src_sets = cfg->table_size / WAYS;
	r->nonce_sets = cfg->replay_size / WAYS;
	r->replay_floor = now_ms;
	r->global.tok = (uint64_t)cfg->global_bps_burst * MILLI;
	r->global.ms = now_ms;
	r->auth.tok = (uint64_t)cfg->auth_bps_burst * MILLI;
	r->auth.ms = now_ms;
	r->verify.tok = (uint64_t)cfg->verify_burst * MILLI;
	r->verify.ms = now_ms;
	r->st.src_capacity = cfg->table_size;
	r->st.replay_capacity = cfg->replay_size;
	r->st.memory_bytes = sizeof(*r) + cfg->table_size * sizeof(*r->src) +
			     cfg->replay_size * sizeof(*r->nonce);
	*out = r;
	return PD_OK;
}

void pd_responder_free(struct pd_responder *r)
{
	if (!r)
		return;
	pd_wipe(r->key, sizeof(r->key));
	free(r->src);
	free(r->nonce);
	free(r);
}

void pd_responder_get_stats(const struct pd_responder *r, struct pd_responder_stats *st)
{
	if (r && st)
		*st = r->st;
}

/* ---- hashing, buckets ------------------------------------------------------ */

/* A 64-bit finaliser (xor-shift / multiply), keyed by the per-process seed
 * so that which sources share a set cannot be worked out from outside. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdull;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ull;
	x ^= x >> 33;
	return x;
}

static uint64_t keyed_hash(const struct pd_responder *r, uint64_t v)
{
	return mix64(mix64(v ^ r->cfg.hash_seed[0]) + r->cfg.hash_seed[1]);
}

static void refill(uint64_t *tok, uint64_t elapsed_ms, uint32_t rate, uint32_t burst)
{
	uint64_t cap = (uint64_t)burst * MILLI;

	if (elapsed_ms > ELAPSED_MAX)
		elapsed_ms = ELAPSED_MAX;
	*tok += elapsed_ms * rate;
	if (*tok > cap)
		*tok = cap;
}

static bool take(uint64_t *tok, uint64_t n)
{
	if (*tok < n * MILLI)
		return false;
	*tok -= n * MILLI;
	return true;
}

/* Milliseconds since *last, which becomes now.  A clock stepped back
 * counts as no time passed, and the bucket follows the clock from there
 * (rather than waiting, frozen, for the old time to come round again). */
static uint64_t advance(uint64_t *last, uint64_t now)
{
	uint64_t d = now > *last ? now - *last : 0;

	*last = now;
	return d;
}

/* Refill a global bucket to now and take n from it. */
static bool bucket_take(struct bucket *b, uint64_t now, uint32_t rate, uint32_t burst, uint64_t n)
{
	refill(&b->tok, advance(&b->ms, now), rate, burst);
	return take(&b->tok, n);
}

/* ---- sources ---------------------------------------------------------------- */

static bool source_ok(const struct pd_responder *r, const struct pd_peer_addr *s)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	static const uint8_t zero[16];

	if (s->port == 0 || (s->port < 1024 && !r->cfg.allow_low_ports))
		return false;
	if (s->family == 4)
		/* 0/8 "this network", 224/4 multicast, 240/4 and broadcast */
		return s->addr[0] != 0 && s->addr[0] < 224;
	if (s->family == 6)
		return s->addr[0] != 0xff && memcmp(s->addr, zero, 16) != 0 &&
		       memcmp(s->addr, mapped, 12) != 0;
	return false;
}

static uint64_t source_key(const struct pd_peer_addr *s)
{
	uint64_t k = 0;
	int i, n = s->family == 4 ? 4 : 8; /* IPv6: the /64 */

	for (i = 0; i < n; i++)
		k = k << 8 | s->addr[i];
	return k;
}

/* The entry of source s, made (reusing the least recently seen entry of
 * its set if need be) with full buckets when it is new; refilled to now. */
static struct src_entry *source_get(struct pd_responder *r, const struct pd_peer_addr *s,
				    uint64_t now)
{
	uint64_t key = source_key(s);
	struct src_entry *set = r->src + (keyed_hash(r, key ^ (uint64_t)s->family << 62) &
					  (r->src_sets - 1)) * WAYS;
	struct src_entry *e = NULL, *victim = NULL;
	uint64_t d;
	int i;

	for (i = 0; i < WAYS; i++) {
		if (set[i].family == s->family && set[i].key == key) {
			e = &set[i];
			break;
		}
		if (!victim || (victim->family && (!set[i].family ||
						   set[i].seen_ms < victim->seen_ms)))
			victim = &set[i];
	}
	if (!e) {
		e = victim;
		if (e->family) {
			/* The newcomer inherits the buckets (refilled below from
			 * the old entry's clock): a drained entry stays drained,
			 * an idle one has refilled to full anyway. */
			r->st.src_evictions++;
		} else {
			r->st.src_in_use++;
			e->pkt_tok = (uint64_t)r->cfg.src_pps_burst * MILLI;
			e->byte_tok = (uint64_t)r->cfg.src_bps_burst * MILLI;
			e->refill_ms = now;
			e->err_ms = 0;
		}
		e->key = key;
		e->family = s->family;
	}
	e->seen_ms = now;
	d = advance(&e->refill_ms, now);
	refill(&e->pkt_tok, d, r->cfg.src_pps, r->cfg.src_pps_burst);
	refill(&e->byte_tok, d, r->cfg.src_bps, r->cfg.src_bps_burst);
	return e;
}

/* ---- replay cache -------------------------------------------------------------- */

static bool in_window(const struct pd_responder *r, uint64_t ts, uint64_t now)
{
	uint64_t w = r->cfg.auth_window_ms;

	return ts > r->replay_floor && ts + w >= now && ts <= now + w;
}

/* Remember nonce (timestamp ts); false if it was seen before.  An entry
 * pushed out raises the floor to its timestamp, so a forgotten nonce can
 * never be accepted again; that costs legitimate clients something only
 * when the entry was still inside the window (counted). */
static bool nonce_insert(struct pd_responder *r, uint64_t nonce, uint64_t ts, uint64_t now)
{
	struct nonce_entry *set = r->nonce + (keyed_hash(r, nonce) & (r->nonce_sets - 1)) * WAYS;
	struct nonce_entry *victim = NULL;
	int i;

	for (i = 0; i < WAYS; i++) {
		if (set[i].ts && set[i].nonce == nonce)
			return false;
		if (!victim || (victim->ts && (!set[i].ts || set[i].ts < victim->ts)))
			victim = &set[i];
	}
	if (victim->ts) {
		if (victim->ts > r->replay_floor)
			r->replay_floor = victim->ts;
		if (victim->ts + r->cfg.auth_window_ms >= now)
			r->st.replay_evictions++;
	}
	victim->nonce = nonce;
	victim->ts = ts;
	return true;
}

/* ---- plans --------------------------------------------------------------------- */

static void plan_init(struct pd_resp_plan *p)
{
	p->n = 0;
	p->req_ip_bytes = 0;
	p->budget = 0;
	p->ip_bytes = 0;
	p->authenticated = false;
	p->reason = PD_RESP_OK;
	p->type = 0;
}

/* Append m as a reply of total_len bytes (head + zeros).  No checks. */
static int plan_put(struct pd_responder *r, struct pd_resp_plan *p, const struct pd_peer_msg *m,
		    size_t total_len)
{
	struct pd_resp_reply *rep = &p->reply[p->n];
	size_t head;

	if (p->n >= PD_RESP_MAX_REPLIES)
		return PD_ERR_NOSPACE;
	if (pd_peer_encode(m, 0, NULL, 0, rep->head, sizeof(rep->head), &head, NULL))
		return PD_ERR_INVAL;
	if (total_len < head)
		return PD_ERR_INVAL;
	rep->head_len = (uint16_t)head;
	rep->len = (uint16_t)total_len;
	rep->type = m->type;
	p->n++;
	r->st.tx_packets++;
	r->st.tx_bytes += total_len;
	return PD_OK;
}

/* THE amplification rule: a reply is added only if the replies so far plus
 * this one, counted at the IP layer, stay within the budget (the request's
 * own IP bytes unless its MAC verified), and only if the source's byte
 * bucket (and for unsigned requests the global one) can pay for it.
 * Returns PD_RESP_OK or the reason it was refused. */
static enum pd_resp_reason plan_add(struct pd_responder *r, struct src_entry *e,
				    struct pd_resp_plan *p, const struct pd_peer_msg *m,
				    size_t total_len, unsigned oh, uint64_t now)
{
	uint64_t ip = (uint64_t)total_len + oh;

	if (p->n >= PD_RESP_MAX_REPLIES || total_len > PD_PEER_UDP_MAX ||
	    p->ip_bytes > p->budget || ip > p->budget - p->ip_bytes) {
		r->st.refused++;
		return PD_RESP_TOO_BIG;
	}
	if (p->authenticated) {
		/* Key holders are paid for together, not per source. */
		if (!bucket_take(&r->auth, now, r->cfg.auth_bps, r->cfg.auth_bps_burst, ip)) {
			r->st.rate_global++;
			return PD_RESP_RATE_GLOBAL;
		}
	} else {
		if (!take(&e->byte_tok, ip)) {
			r->st.rate_source++;
			return PD_RESP_RATE_SOURCE;
		}
		if (!bucket_take(&r->global, now, r->cfg.global_bps, r->cfg.global_bps_burst, ip)) {
			e->byte_tok += ip * MILLI;
			r->st.rate_global++;
			return PD_RESP_RATE_GLOBAL;
		}
	}
	if (plan_put(r, p, m, total_len)) {
		if (p->authenticated) {
			r->auth.tok += ip * MILLI;
		} else {
			e->byte_tok += ip * MILLI;
			r->global.tok += ip * MILLI;
		}
		r->st.refused++;
		return PD_RESP_TOO_BIG;
	}
	p->ip_bytes += (uint32_t)ip;
	if (!p->authenticated)
		r->st.tx_unauth_ip_bytes += ip;
	return PD_RESP_OK;
}

static size_t err_len(void)
{
	return PD_PEER_HDR_LEN + PD_PEER_ERROR_BODY;
}

static enum pd_resp_reason add_error(struct pd_responder *r, struct src_entry *e,
				     struct pd_resp_plan *p, uint64_t nonce, uint8_t code,
				     uint16_t arg, uint32_t arg32, unsigned oh, uint64_t now)
{
	struct pd_peer_msg m;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_ERROR;
	m.nonce = nonce;
	m.u.error.code = code;
	m.u.error.arg = arg;
	m.u.error.arg32 = arg32;
	m.u.error.server_time_ms = now;
	return plan_add(r, e, p, &m, err_len(), oh, now);
}

static uint16_t clamp16(uint64_t v)
{
	return v > 0xffff ? 0xffff : (uint16_t)v;
}

/* ---- requests ------------------------------------------------------------------ */

static void do_hello(struct pd_responder *r, struct src_entry *e, struct pd_resp_plan *p,
		     const struct pd_peer_msg *req, const struct pd_peer_addr *src, unsigned oh,
		     uint64_t now)
{
	struct pd_peer_msg m;
	struct pd_peer_info *in = &m.u.info;
	enum pd_resp_reason why;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_INFO;
	m.nonce = req->nonce;
	in->version_max = PD_PEER_VERSION;
	in->caps = PD_PEER_CAP_FORWARD | PD_PEER_CAP_REVERSE;
	if (r->cfg.key_len)
		in->caps |= PD_PEER_CAP_AUTH;
	if (r->cfg.tcp_port)
		in->caps |= PD_PEER_CAP_TCP_MSS;
	in->tcp_port = r->cfg.tcp_port;
	in->max_reply = r->cfg.max_reply;
	in->max_sizes = PD_PEER_MAX_SIZES;
	in->seen = *src;
	in->server_time_ms = now;
	in->max_auth_bytes = r->cfg.key_len ? r->cfg.max_auth_bytes : 0;
	in->auth_window_ms = r->cfg.auth_window_ms;
	memcpy(in->software, r->software, sizeof(in->software));
	why = plan_add(r, e, p, &m, pd_peer_min_len(&m), oh, now);
	if (why == PD_RESP_TOO_BIG)
		add_error(r, e, p, req->nonce, PD_PEER_E_TOO_BIG, clamp16(p->budget), 0, oh, now);
	p->reason = why;
}

static void do_forward(struct pd_responder *r, struct src_entry *e, struct pd_resp_plan *p,
		       const struct pd_peer_msg *req, unsigned oh, uint64_t now)
{
	struct pd_peer_msg m;
	enum pd_resp_reason why;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_FWD_ACK;
	m.nonce = req->nonce;
	m.u.ack.seq = req->u.fwd.seq;
	m.u.ack.rx_len = clamp16(req->len);
	why = plan_add(r, e, p, &m, pd_peer_min_len(&m), oh, now);
	if (why == PD_RESP_TOO_BIG)
		add_error(r, e, p, req->nonce, PD_PEER_E_TOO_BIG, clamp16(p->budget), 0, oh, now);
	p->reason = why;
}

static bool size_ok(const struct pd_responder *r, uint16_t size, unsigned oh)
{
	return size >= oh + PD_PEER_HDR_LEN + PD_PEER_DATA_BODY && size <= r->cfg.max_reply &&
	       size - oh <= PD_PEER_UDP_MAX;
}

/* REV_REQ: sizes in the order asked.  When not all of them can be sent,
 * room for the ERROR that says which were not is kept first. */
static void do_reverse(struct pd_responder *r, struct src_entry *e, struct pd_resp_plan *p,
		       const struct pd_peer_msg *req, unsigned oh, uint64_t now)
{
	const struct pd_peer_rev_req *q = &req->u.rev;
	struct pd_peer_msg m;
	enum pd_resp_reason why, worst = PD_RESP_OK;
	uint64_t need = 0, cap = p->budget, eip = err_len() + oh;
	uint32_t refused = 0;
	bool all_valid = true;
	unsigned i;

	for (i = 0; i < q->count; i++) {
		if (size_ok(r, q->size[i], oh))
			need += q->size[i];
		else
			all_valid = false;
	}
	if ((!all_valid || need > p->budget) && p->budget >= eip)
		cap = p->budget - eip;

	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_REV_DATA;
	m.nonce = req->nonce;
	m.u.data.count = q->count;
	for (i = 0; i < q->count; i++) {
		if (!size_ok(r, q->size[i], oh) || p->ip_bytes + (uint64_t)q->size[i] > cap) {
			refused |= 1u << i;
			r->st.refused++;
			if (worst == PD_RESP_OK)
				worst = PD_RESP_TOO_BIG;
			continue;
		}
		m.u.data.index = (uint8_t)i;
		m.u.data.size = q->size[i];
		why = plan_add(r, e, p, &m, q->size[i] - oh, oh, now);
		if (why != PD_RESP_OK) {
			refused |= 1u << i;
			if (worst == PD_RESP_OK || worst == PD_RESP_TOO_BIG)
				worst = why;
		}
	}
	if (refused) {
		if (worst == PD_RESP_RATE_SOURCE)
			add_error(r, e, p, req->nonce, PD_PEER_E_RATE_LIMITED,
				  clamp16(MILLI), refused, oh, now);
		else if (worst == PD_RESP_TOO_BIG)
			add_error(r, e, p, req->nonce, PD_PEER_E_TOO_BIG, clamp16(p->budget),
				  refused, oh, now);
		/* RATE_GLOBAL: under load, say nothing more. */
	}
	p->reason = worst;
}

/* At most one RATE_LIMITED per source per second (it costs bytes too). */
static void rate_error(struct pd_responder *r, struct src_entry *e, struct pd_resp_plan *p,
		       uint64_t nonce, unsigned oh, uint64_t now)
{
	uint64_t wait = (MILLI + r->cfg.src_pps - 1) / r->cfg.src_pps;

	if (e->err_ms && now < e->err_ms + RATE_ERR_GAP_MS && now >= e->err_ms)
		return;
	e->err_ms = now ? now : 1;
	add_error(r, e, p, nonce, PD_PEER_E_RATE_LIMITED, clamp16(wait), 0, oh, now);
}

int pd_responder_udp(struct pd_responder *r, const uint8_t *req, size_t len,
		     const struct pd_peer_addr *src, uint64_t now_ms,
		     struct pd_resp_plan *plan)
{
	struct pd_peer_msg m;
	struct pd_error derr;
	struct src_entry *e;
	uint64_t nonce;
	unsigned oh;
	bool quiet = false; /* over the source's rate: no errors */
	int rc;

	if (!r || !plan || !src || (!req && len))
		return PD_ERR_INVAL;
	plan_init(plan);
	r->st.rx_packets++;
	r->st.rx_bytes += len;
	if (!source_ok(r, src)) {
		r->st.bad_source++;
		plan->reason = PD_RESP_BAD_SOURCE;
		return PD_OK;
	}
	oh = pd_peer_overhead(src->family);
	plan->req_ip_bytes = len + oh > UINT32_MAX ? UINT32_MAX : (uint32_t)(len + oh);
	plan->budget = plan->req_ip_bytes;
	if (len < PD_PEER_HDR_LEN || req[0] != PD_PEER_MAGIC0 || req[1] != PD_PEER_MAGIC1) {
		r->st.not_ours++;
		plan->reason = PD_RESP_NOT_OURS;
		return PD_OK;
	}
	/* Answers (of this version) are never answered, not even with an
	 * error: two responders must not talk to each other forever. */
	if (req[2] == PD_PEER_VERSION && req[3] >= PD_PEER_HELLO && req[3] <= PD_PEER_ERROR &&
	    !pd_peer_type_is_request(req[3])) {
		r->st.not_request++;
		plan->reason = PD_RESP_NOT_REQUEST;
		return PD_OK;
	}
	r->st.rx_unauth_ip_bytes += plan->req_ip_bytes; /* taken back if signed */
	e = source_get(r, src, now_ms);
	nonce = (uint64_t)pd_load_be32(req + 8) << 32 | pd_load_be32(req + 12);
	if (!take(&e->pkt_tok, 1)) {
		/* Over its rate: only a signed request may go on, if a MAC
		 * check is left in the global bucket; it gets no error. */
		if (!(req[4] & PD_PEER_F_AUTH) || !r->cfg.key_len ||
		    !bucket_take(&r->verify, now_ms, r->cfg.verify_pps, r->cfg.verify_burst, 1)) {
			r->st.rate_source++;
			plan->reason = PD_RESP_RATE_SOURCE;
			rate_error(r, e, plan, nonce, oh, now_ms);
			return PD_OK;
		}
		quiet = true;
	}

	rc = pd_peer_decode(req, len, &m, &derr);
	if (rc && quiet) {
		r->st.malformed++;
		plan->reason = PD_RESP_RATE_SOURCE;
		return PD_OK;
	}
	if (rc) {
		r->st.malformed++;
		plan->reason = PD_RESP_MALFORMED;
		if (rc == PD_ERR_UNSUPPORTED && derr.offset == 2)
			add_error(r, e, plan, nonce, PD_PEER_E_BAD_VERSION, PD_PEER_VERSION, 0,
				  oh, now_ms);
		else if (rc == PD_ERR_UNSUPPORTED)
			add_error(r, e, plan, nonce, PD_PEER_E_UNSUPPORTED, req[3], 0, oh, now_ms);
		else
			add_error(r, e, plan, nonce, PD_PEER_E_MALFORMED, clamp16(derr.offset),
				  (uint32_t)-rc, oh, now_ms);
		return PD_OK;
	}
	plan->type = m.type;

	if (m.auth) {
		if (!r->cfg.key_len || !pd_peer_verify(req, len, &m, r->key, r->cfg.key_len)) {
			r->st.auth_bad++;
			plan->reason = PD_RESP_BAD_AUTH;
			if (!quiet)
				add_error(r, e, plan, nonce, PD_PEER_E_BAD_AUTH,
					  r->cfg.key_len ? 0 : 1, 0, oh, now_ms);
			return PD_OK;
		}
		/* From here on the sender holds the key. */
		if (!in_window(r, m.ts_ms, now_ms)) {
			r->st.auth_stale++;
			plan->reason = PD_RESP_STALE;
			add_error(r, e, plan, nonce, PD_PEER_E_STALE, 0, 0, oh, now_ms);
			return PD_OK;
		}
		if (!nonce_insert(r, m.nonce, m.ts_ms, now_ms)) {
			r->st.auth_replay++;
			plan->reason = PD_RESP_REPLAY;
			add_error(r, e, plan, nonce, PD_PEER_E_REPLAY, 0, 0, oh, now_ms);
			return PD_OK;
		}
		r->st.auth_ok++;
		r->st.rx_unauth_ip_bytes -= plan->req_ip_bytes;
		plan->authenticated = true;
		plan->budget = r->cfg.max_auth_bytes;
	}

	switch (m.type) {
	case PD_PEER_HELLO:
		r->st.hello++;
		do_hello(r, e, plan, &m, src, oh, now_ms);
		break;
	case PD_PEER_FWD_PROBE:
		r->st.forward++;
		do_forward(r, e, plan, &m, oh, now_ms);
		break;
	case PD_PEER_REV_REQ:
		r->st.reverse++;
		do_reverse(r, e, plan, &m, oh, now_ms);
		break;
	default:
		r->st.not_request++;
		plan->reason = PD_RESP_NOT_REQUEST;
		break;
	}
	return PD_OK;
}

/* ---- TCP MSS report ------------------------------------------------------------ */

/* Fill the SYN fields of an MSS report from the saved headers. */
static void syn_fields(const uint8_t *syn, size_t len, struct pd_peer_mss *s)
{
	struct pd_ipv4 ip4;
	struct pd_ipv6 ip6;
	struct pd_tcp tcp;
	size_t off;

	s->flags = PD_PEER_MSS_NO_SYN;
	if (!len)
		return;
	if (syn[0] >> 4 == 4) {
		if (pd_ipv4_decode(syn, len, &ip4, NULL) || ip4.proto != IPPROTO_V_TCP ||
		    pd_ipv4_is_fragment(&ip4))
			return;
		off = ip4.ihl;
		s->ttl = ip4.ttl;
	} else if (syn[0] >> 4 == 6) {
		if (pd_ipv6_decode(syn, len, &ip6, NULL) || ip6.proto != IPPROTO_V_TCP ||
		    pd_ipv6_is_fragment(&ip6))
			return;
		off = ip6.hdr_len;
		s->ttl = ip6.hlim;
	} else {
		return;
	}
	if (off > len || pd_tcp_decode(syn + off, len - off, &tcp, NULL) ||
	    !(tcp.flags & PD_TCP_SYN))
		return;
	s->flags = 0;
	if (tcp.has_mss) {
		s->flags |= PD_PEER_MSS_HAS_MSS;
		s->mss = tcp.mss;
	}
	if (tcp.has_wscale) {
		s->flags |= PD_PEER_MSS_HAS_WSCALE;
		s->wscale = tcp.wscale;
	}
	if (tcp.sack_permitted)
		s->flags |= PD_PEER_MSS_SACK_OK;
	if (tcp.has_ts)
		s->flags |= PD_PEER_MSS_HAS_TS;
}

int pd_responder_tcp(struct pd_responder *r, const uint8_t *syn, size_t syn_len,
		     const struct pd_peer_addr *src, uint64_t now_ms,
		     struct pd_resp_plan *plan)
{
	struct pd_peer_msg m;
	struct src_entry *e;

	if (!r || !plan || !src || (!syn && syn_len))
		return PD_ERR_INVAL;
	plan_init(plan);
	/* A TCP peer finished the handshake: its address is not spoofed, and
	 * the report is a fixed 44 bytes, so only the request rate applies. */
	if ((src->family != 4 && src->family != 6) || src->port == 0) {
		r->st.bad_source++;
		plan->reason = PD_RESP_BAD_SOURCE;
		return PD_OK;
	}
	e = source_get(r, src, now_ms);
	if (!take(&e->pkt_tok, 1)) {
		r->st.rate_source++;
		r->st.tcp_rate_limited++;
		plan->reason = PD_RESP_RATE_SOURCE;
		return PD_OK;
	}
	memset(&m, 0, sizeof(m));
	m.type = PD_PEER_MSS_REPORT;
	m.u.mss.seen = *src;
	m.u.mss.syn_len = clamp16(syn_len);
	syn_fields(syn, syn_len, &m.u.mss);
	if (m.u.mss.flags & PD_PEER_MSS_NO_SYN)
		r->st.tcp_no_syn++;
	plan->type = PD_PEER_MSS_REPORT;
	if (plan_put(r, plan, &m, pd_peer_min_len(&m)) == PD_OK)
		r->st.tcp_reports++;
	return PD_OK;
}
