/* fuzz_peerproto.c - libFuzzer target for the peer protocol
 * (pathdiag/peerproto.h): pd_peer_decode / pd_peer_encode /
 * pd_peer_verify, the responder's decision functions pd_responder_udp and
 * pd_responder_tcp, and the client's pd_peer_client_match.
 *
 * Input: byte 0 selects the mode (value % 4):
 *   0  decoder: the rest is one datagram.  Decoded twice (with and without
 *      an error record, into differently poisoned structs): same result.
 *      On failure the error convention; on success the header fields equal
 *      the bytes, the lengths add up, and encoding the decoded message again
 *      (unsigned, and signed with the harness key) decodes to the same
 *      fields, signed ones verifying.
 *   1  responder: the rest is a sequence of chunks
 *        | src | dt | len (16, BE) | len bytes |
 *      fed in order to one fresh responder (keyed; small tables, so eviction
 *      happens).  src bit 7: the harness signs the chunk itself (sets AUTH,
 *      appends timestamp now + (dt - 128) * 500 ms and a valid HMAC);
 *      bits 0-6 pick the source (family, address, port).  dt advances the
 *      clock.  THE INVARIANT: the replies' IP bytes never exceed the
 *      chunk's own IP bytes unless the plan says authenticated, and then
 *      the harness itself verifies the chunk's MAC with the key and the
 *      bytes stay within max_auth_bytes; an authenticated nonce is never
 *      accepted twice; every reply decodes as a server message with the
 *      request's nonce.
 *   2  responder without a key: as 1 (nothing may ever be authenticated).
 *   3  the rest is a SYN for pd_responder_tcp (at most one MSS_REPORT,
 *      which decodes) and then a reply for pd_peer_client_match against a
 *      client with a few requests pending (error convention, or a match to
 *      a pending request of a compatible type).
 */
#include <pathdiag/hmac.h>
#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>

#include "fuzz_common.h"

#define T0 1700000000000ull
#define MAX_AUTH 20000u

static const uint8_t KEY[32] = {
	0x6b, 0x65, 0x79, 0x21, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,
	13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28,
};

static uint64_t be64(const uint8_t *p)
{
	return (uint64_t)fz_be32(p) << 32 | fz_be32(p + 4);
}

/* ---- mode 0: decoder ------------------------------------------------------- */

static void same_fields(const struct pd_peer_msg *a, const struct pd_peer_msg *b)
{
	unsigned i;

	FZ_CHECK(a->type == b->type && a->nonce == b->nonce);
	switch (a->type) {
	case PD_PEER_INFO:
		FZ_CHECK(a->u.info.version_max == b->u.info.version_max);
		FZ_CHECK(a->u.info.caps == b->u.info.caps);
		FZ_CHECK(a->u.info.tcp_port == b->u.info.tcp_port);
		FZ_CHECK(a->u.info.max_reply == b->u.info.max_reply);
		FZ_CHECK(a->u.info.max_sizes == b->u.info.max_sizes);
		FZ_CHECK(a->u.info.seen.family == b->u.info.seen.family);
		FZ_CHECK(a->u.info.seen.port == b->u.info.seen.port);
		FZ_CHECK(memcmp(a->u.info.seen.addr, b->u.info.seen.addr, 16) == 0);
		FZ_CHECK(a->u.info.server_time_ms == b->u.info.server_time_ms);
		FZ_CHECK(a->u.info.max_auth_bytes == b->u.info.max_auth_bytes);
		FZ_CHECK(a->u.info.auth_window_ms == b->u.info.auth_window_ms);
		FZ_CHECK(strcmp(a->u.info.software, b->u.info.software) == 0);
		break;
	case PD_PEER_FWD_PROBE:
		FZ_CHECK(a->u.fwd.seq == b->u.fwd.seq);
		break;
	case PD_PEER_FWD_ACK:
		FZ_CHECK(a->u.ack.seq == b->u.ack.seq && a->u.ack.rx_len == b->u.ack.rx_len);
		break;
	case PD_PEER_REV_REQ:
		FZ_CHECK(a->u.rev.count == b->u.rev.count);
		for (i = 0; i < a->u.rev.count; i++)
			FZ_CHECK(a->u.rev.size[i] == b->u.rev.size[i]);
		break;
	case PD_PEER_REV_DATA:
		FZ_CHECK(a->u.data.index == b->u.data.index);
		FZ_CHECK(a->u.data.count == b->u.data.count);
		FZ_CHECK(a->u.data.size == b->u.data.size);
		break;
	case PD_PEER_MSS_REPORT:
		FZ_CHECK(a->u.mss.flags == b->u.mss.flags && a->u.mss.mss == b->u.mss.mss);
		FZ_CHECK(a->u.mss.wscale == b->u.mss.wscale && a->u.mss.ttl == b->u.mss.ttl);
		FZ_CHECK(a->u.mss.seen.family == b->u.mss.seen.family);
		FZ_CHECK(a->u.mss.seen.port == b->u.mss.seen.port);
		FZ_CHECK(memcmp(a->u.mss.seen.addr, b->u.mss.seen.addr, 16) == 0);
		FZ_CHECK(a->u.mss.syn_len == b->u.mss.syn_len);
		break;
	case PD_PEER_ERROR:
		FZ_CHECK(a->u.error.code == b->u.error.code && a->u.error.arg == b->u.error.arg);
		FZ_CHECK(a->u.error.arg32 == b->u.error.arg32);
		FZ_CHECK(a->u.error.server_time_ms == b->u.error.server_time_ms);
		break;
	}
}

static void fuzz_decoder(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size), *re;
	struct pd_peer_msg m, m2, d;
	struct pd_error err;
	size_t trailer, rlen = 0;
	int ret, ret2;

	memset(&m, 0x5a, sizeof(m));
	memset(&m2, 0xa5, sizeof(m2));
	fz_err_poison(&err);
	ret = pd_peer_decode(b, size, &m, &err);
	ret2 = pd_peer_decode(b, size, &m2, NULL);
	FZ_CHECK(ret == ret2);
	if (size < PD_PEER_HDR_LEN)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	if (ret) {
		fz_check_err(ret, &err, size);
		if (ret == PD_ERR_UNSUPPORTED && err.offset == 2) {
			/* the responder relies on these for BAD_VERSION */
			FZ_CHECK(m.version == data[2] && m.type == data[3]);
			FZ_CHECK(m.nonce == be64(data + 8));
		}
		free(b);
		return;
	}
	FZ_CHECK(memcmp(&m, &m2, sizeof(m)) == 0);
	FZ_STRICT(data[0] == PD_PEER_MAGIC0 && data[1] == PD_PEER_MAGIC1);
	FZ_STRICT(m.version == PD_PEER_VERSION && m.version == data[2]);
	FZ_STRICT(m.type == data[3] && m.flags == data[4]);
	FZ_STRICT(m.body_len == fz_be16(data + 6) && m.nonce == be64(data + 8));
	FZ_CHECK(m.len == size);
	trailer = m.auth ? PD_PEER_AUTH_LEN : 0;
	FZ_CHECK(PD_PEER_HDR_LEN + (size_t)m.body_len + m.pad_len + trailer == size);
	FZ_CHECK(m.auth == ((data[4] & PD_PEER_F_AUTH) != 0));
	if (m.auth) {
		FZ_CHECK(m.mac_off == size - PD_PEER_MAC_LEN);
		FZ_STRICT(m.ts_ms == be64(data + size - PD_PEER_AUTH_LEN));
	}
	FZ_CHECK(pd_peer_min_len(&m) <= PD_PEER_HDR_LEN + (size_t)m.body_len);

	/* Re-encode: unsigned at the same size, then signed. */
	re = malloc(size + PD_PEER_AUTH_LEN);
	if (!re)
		abort();
	FZ_CHECK(pd_peer_encode(&m, size, NULL, 0, re, size, &rlen, NULL) == PD_OK);
	FZ_CHECK(rlen == size);
	FZ_CHECK(pd_peer_decode(re, rlen, &d, NULL) == PD_OK);
	FZ_CHECK(!d.auth);
	same_fields(&m, &d);
	FZ_CHECK(pd_peer_encode(&m, 0, KEY, sizeof(KEY), re, size + PD_PEER_AUTH_LEN, &rlen,
				NULL) == PD_OK);
	FZ_CHECK(pd_peer_decode(re, rlen, &d, NULL) == PD_OK);
	FZ_CHECK(d.auth && d.ts_ms == m.ts_ms);
	same_fields(&m, &d);
	FZ_CHECK(pd_peer_verify(re, rlen, &d, KEY, sizeof(KEY)));
	re[rlen / 2] ^= 0x10;
	if (pd_peer_decode(re, rlen, &d, NULL) == PD_OK && d.auth)
		FZ_CHECK(!pd_peer_verify(re, rlen, &d, KEY, sizeof(KEY)));
	free(re);
	free(b);
}

/* ---- modes 1, 2: responder -------------------------------------------------- */

static struct pd_peer_addr pick_source(uint8_t sel)
{
	struct pd_peer_addr s;

	memset(&s, 0, sizeof(s));
	s.family = sel & 1 ? 6 : 4;
	s.port = (uint16_t)(sel & 0x20 ? 40000 + (sel & 3) : sel & 0x40 ? 0 : 53);
	if (s.family == 4) {
		s.addr[0] = (uint8_t)(sel & 0x10 ? 224 : 10);
		s.addr[3] = (uint8_t)(sel >> 1 & 7);
	} else {
		s.addr[0] = (uint8_t)(sel & 0x10 ? 0xff : 0xfd);
		s.addr[7] = (uint8_t)(sel >> 1 & 7);
		s.addr[15] = 1;
	}
	return s;
}

/* The harness's own MAC check (not pd_peer_verify). */
static bool harness_mac_ok(const uint8_t *b, size_t len)
{
	uint8_t mac[PD_SHA256_LEN];

	if (len < PD_PEER_HDR_LEN + PD_PEER_AUTH_LEN || !(b[4] & PD_PEER_F_AUTH))
		return false;
	pd_hmac_sha256(KEY, sizeof(KEY), b, len - PD_PEER_MAC_LEN, mac);
	return memcmp(mac, b + len - PD_PEER_MAC_LEN, PD_PEER_MAC_LEN) == 0;
}

static void check_plan(const struct pd_resp_plan *p, const uint8_t *req, size_t len,
		       const struct pd_peer_addr *src, bool keyed)
{
	unsigned oh = pd_peer_overhead(src->family);
	uint64_t sum = 0;
	size_t i;

	FZ_CHECK(p->n <= PD_RESP_MAX_REPLIES);
	for (i = 0; i < p->n; i++) {
		const struct pd_resp_reply *r = &p->reply[i];
		struct pd_peer_msg m;
		uint8_t *full;

		FZ_CHECK(r->head_len >= PD_PEER_HDR_LEN && r->head_len <= r->len);
		FZ_CHECK(r->head_len <= PD_PEER_HEAD_MAX && r->len <= PD_PEER_UDP_MAX);
		sum += (uint64_t)r->len + oh;
		full = calloc(r->len, 1);
		if (!full)
			abort();
		memcpy(full, r->head, r->head_len);
		FZ_CHECK(pd_peer_decode(full, r->len, &m, NULL) == PD_OK);
		free(full);
		FZ_CHECK(!pd_peer_type_is_request(m.type) && m.type != PD_PEER_MSS_REPORT);
		FZ_CHECK(m.type == r->type && !m.auth);
		FZ_CHECK(len >= PD_PEER_HDR_LEN && m.nonce == be64(req + 8));
		if (m.type == PD_PEER_REV_DATA)
			FZ_CHECK(m.u.data.size == r->len + oh);
	}
	FZ_CHECK(sum == p->ip_bytes);
	if (p->authenticated) {
		FZ_CHECK(keyed);
		FZ_CHECK(harness_mac_ok(req, len));
		FZ_CHECK(p->ip_bytes <= MAX_AUTH);
	} else {
		/* THE amplification invariant */
		FZ_CHECK(p->ip_bytes <= (uint64_t)len + oh);
	}
}

static void fuzz_responder(const uint8_t *data, size_t size, bool keyed)
{
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;
	struct pd_resp_plan plan;
	struct pd_responder_stats st;
	uint64_t now = T0 + 1000, accepted[64][2];
	size_t off = 0, n_acc = 0, i;

	pd_responder_config_default(&cfg);
	cfg.max_auth_bytes = MAX_AUTH;
	cfg.table_size = 8;
	cfg.replay_size = 8;
	cfg.src_pps = 50;
	cfg.src_pps_burst = 10;
	cfg.src_bps = 20000;
	cfg.src_bps_burst = 40000;
	cfg.global_bps = 50000;
	cfg.global_bps_burst = 60000;
	cfg.tcp_port = 1;
	if (keyed) {
		cfg.key = KEY;
		cfg.key_len = sizeof(KEY);
	}
	if (pd_responder_new(&cfg, T0, &r, NULL))
		abort();

	while (off + 4 <= size) {
		uint8_t sel = data[off], dt = data[off + 1];
		size_t len = fz_be16(data + off + 2), alloc;
		struct pd_peer_addr src = pick_source(sel);
		uint8_t *b;

		off += 4;
		if (len > size - off)
			len = size - off;
		alloc = len + ((sel & 0x80) ? PD_PEER_AUTH_LEN : 0);
		b = malloc(alloc ? alloc : 1);
		if (!b)
			abort();
		if (len)
			memcpy(b, data + off, len);
		off += len;
		now += (uint64_t)dt * 7;
		if (sel & 0x80) {
			uint64_t ts = now + (uint64_t)((int64_t)dt - 128) * 500;

			if (len > 4)
				b[4] |= PD_PEER_F_AUTH;
			for (i = 0; i < 8; i++)
				b[len + i] = (uint8_t)(ts >> (56 - 8 * i));
			pd_hmac_sha256(KEY, sizeof(KEY), b, len + PD_PEER_TS_LEN,
				       b + len + PD_PEER_TS_LEN);
			len = alloc;
		}
		FZ_CHECK(pd_responder_udp(r, b, len, &src, now, &plan) == PD_OK);
		check_plan(&plan, b, len, &src, keyed);
		if (plan.authenticated) {
			/* A replay is the same datagram again; the signed
			 * (nonce, timestamp) pair identifies it.  (A key holder
			 * may reuse a nonce with a newer timestamp.) */
			uint64_t nonce = be64(b + 8), ts = be64(b + len - PD_PEER_AUTH_LEN);

			for (i = 0; i < n_acc; i++)
				FZ_CHECK(accepted[i][0] != nonce || accepted[i][1] != ts);
			if (n_acc < sizeof(accepted) / sizeof(accepted[0])) {
				accepted[n_acc][0] = nonce;
				accepted[n_acc++][1] = ts;
			}
		}
		free(b);
	}
	pd_responder_get_stats(r, &st);
	FZ_CHECK(st.tx_unauth_ip_bytes <= st.rx_unauth_ip_bytes);
	FZ_CHECK(st.src_in_use <= st.src_capacity && st.src_capacity == 8);
	if (!keyed)
		FZ_CHECK(st.auth_ok == 0);
	pd_responder_free(r);
}

/* ---- mode 3: TCP report and client matching ---------------------------------- */

static void fuzz_tcp_client(const uint8_t *data, size_t size)
{
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;
	struct pd_resp_plan plan;
	struct pd_peer_addr src = { 4, 40000, { 10, 0, 0, 1 } };
	struct pd_peer_client c;
	struct pd_peer_match mt;
	struct pd_error err;
	uint8_t seed[32] = { 7 }, req[256];
	uint16_t sizes[3] = { 1280, 1400, 1500 };
	size_t half = size / 2, len, i;
	uint8_t *b;
	int ret;

	pd_responder_config_default(&cfg);
	if (pd_responder_new(&cfg, T0, &r, NULL))
		abort();
	b = fz_dup(data, half);
	FZ_CHECK(pd_responder_tcp(r, b, half, &src, T0, &plan) == PD_OK);
	FZ_CHECK(plan.n == 1);
	{
		struct pd_peer_msg m;

		FZ_CHECK(pd_peer_decode(plan.reply[0].head, plan.reply[0].len, &m, NULL) == PD_OK);
		FZ_CHECK(m.type == PD_PEER_MSS_REPORT && m.u.mss.syn_len == half);
		if (half == 0)
			FZ_CHECK(m.u.mss.flags == PD_PEER_MSS_NO_SYN);
	}
	free(b);
	pd_responder_free(r);

	/* A client with a HELLO, a FWD_PROBE (seq 5) and a REV_REQ pending,
	 * whose nonces the input may hit by using nonce bytes 8..15 =
	 * those of the client's deterministic first requests. */
	if (pd_peer_client_init(&c, seed, NULL, 0, NULL))
		abort();
	pd_peer_client_hello(&c, 1, 0, false, req, sizeof(req), &len, NULL);
	pd_peer_client_forward(&c, 1, 5, 64, false, req, sizeof(req), &len, NULL);
	pd_peer_client_reverse(&c, 1, sizes, 3, 0, req, sizeof(req), &len, NULL);
	b = fz_dup(data + half, size - half);
	if (size - half >= 16 && data[half + 8] < 3) {
		/* steer the nonce onto pending request data[half + 8] */
		uint64_t n = c.slot[data[half + 8]].nonce;

		for (i = 0; i < 8; i++)
			b[8 + i] = (uint8_t)(n >> (56 - 8 * i));
	}
	fz_err_poison(&err);
	ret = pd_peer_client_match(&c, 2, size & 1 ? 4 : 0, b, size - half, &mt, &err);
	if (ret) {
		FZ_CHECK(ret < 0 && err.code == ret && err.offset <= size - half);
		fz_check_what(err.what);
	} else {
		FZ_CHECK(mt.slot >= 0 && mt.slot < PD_PEER_CLIENT_SLOTS);
		FZ_CHECK(!pd_peer_type_is_request(mt.msg.type));
		FZ_CHECK(mt.req_type == PD_PEER_HELLO || mt.req_type == PD_PEER_FWD_PROBE ||
			 mt.req_type == PD_PEER_REV_REQ);
		if (mt.msg.type == PD_PEER_INFO)
			FZ_CHECK(mt.req_type == PD_PEER_HELLO && mt.complete && c.clock_known);
		if (mt.msg.type == PD_PEER_REV_DATA)
			FZ_CHECK(mt.req_type == PD_PEER_REV_REQ &&
				 mt.msg.u.data.size == sizes[mt.msg.u.data.index]);
		if (mt.complete)
			FZ_CHECK(pd_peer_client_pending(&c, mt.msg.nonce) == NULL);
	}
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	switch (data[0] % 4) {
	case 0:
		fuzz_decoder(data + 1, size - 1);
		break;
	case 1:
		fuzz_responder(data + 1, size - 1, true);
		break;
	case 2:
		fuzz_responder(data + 1, size - 1, false);
		break;
	default:
		fuzz_tcp_client(data + 1, size - 1);
		break;
	}
	return 0;
}
