/* test_tunrec.c - tunnel packet records (docs/records.md): frames built with
 * the library's encoders turned into records, the record file's header and
 * records encoded and decoded, and the decoder's refusals. */
#include "decoder_test.h"

#include <pathdiag/dissect.h>
#include <pathdiag/encode.h>
#include <pathdiag/tunrec.h>

static struct pd_ip_spec ip4(uint8_t a, uint8_t b)
{
	struct pd_ip_spec s = { .family = 4 };

	s.src[0] = 10, s.src[3] = a;
	s.dst[0] = 10, s.dst[3] = b;
	return s;
}

static struct pd_ip_spec ip6(uint8_t a, uint8_t b)
{
	struct pd_ip_spec s = { .family = 6 };

	s.src[0] = 0xfd, s.src[15] = a;
	s.dst[0] = 0xfd, s.dst[15] = b;
	return s;
}

static int to_rec(const uint8_t *buf, size_t len, size_t caplen, struct pd_tunrec *r)
{
	struct pd_packet pkt;

	pd_dissect(PD_LINKTYPE_RAW, buf, caplen, len, NULL, &pkt);
	return pd_tunrec_from_packet(&pkt, buf, 1234567890123ULL, r);
}

/* Published FNV-1a 64 test vectors (the FNV reference test suite). */
static void test_fnv(void **state)
{
	(void)state;
	assert_true(pd_fnv1a64((const uint8_t *)"", 0) == 0xcbf29ce484222325ULL);
	assert_true(pd_fnv1a64((const uint8_t *)"a", 1) == 0xaf63dc4c8601ec8cULL);
	assert_true(pd_fnv1a64((const uint8_t *)"foobar", 6) == 0x85944171f73967e8ULL);
}

static void test_wg_data(void **state)
{
	struct pd_ip_spec o = ip4(1, 2);
	struct pd_wg_spec wg = { .type = PD_WG_DATA, .sport = 51820, .dport = 51820,
				 .receiver = 0xa1b2c3d4, .counter = 0x0102030405ULL,
				 .plain_len = 100 };
	uint8_t buf[2048];
	struct pd_tunrec r;
	int n;

	(void)state;
	n = pd_build_wg(&o, &wg, buf, sizeof(buf));
	assert_true(n > 0);
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.kind, PD_TUNREC_WG);
	assert_int_equal(r.wg_type, PD_WG_DATA);
	assert_true(r.wg_receiver == 0xa1b2c3d4);
	assert_true(r.ident == 0x0102030405ULL);
	/* 20 + 8 + 16 + 112 (100 padded to 16) + 16 */
	assert_int_equal(r.outer_len, 20 + 8 + 16 + 112 + 16);
	assert_int_equal(r.inner_len, 16 + 112 + 16);
	assert_int_equal(r.flags, PD_TUNREC_F_DATA);
	assert_true(r.ts_ns == 1234567890123ULL);
	assert_int_equal(r.src.family, 4);
	assert_int_equal(r.src.addr[3], 1);
	assert_int_equal(r.dst.addr[3], 2);

	wg.plain_len = 0; /* keepalive */
	n = pd_build_wg(&o, &wg, buf, sizeof(buf));
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.flags, PD_TUNREC_F_KEEPALIVE);
	assert_int_equal(r.outer_len, 60);

	wg.type = PD_WG_INITIATION;
	wg.sender = 77;
	n = pd_build_wg(&o, &wg, buf, sizeof(buf));
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.flags, PD_TUNREC_F_HANDSHAKE);
	assert_int_equal(r.wg_receiver, 77);
	assert_true(r.ident == pd_fnv1a64(buf + 28, 148));
}

/* The identity of an IP-in-IP, GRE or ip6tnl packet is the hash of the
 * inner packet's first 256 bytes: the same inner packet gives the same
 * identity whatever carries it. */
static void test_inner_hash(void **state)
{
	struct pd_ip_spec in = ip4(7, 8), o4 = ip4(1, 2), o6 = ip6(1, 2);
	struct pd_gre_spec gre = { .proto = 0x0800, .has_key = true, .key = 5 };
	uint8_t inner[600], buf[2048], payload[500];
	struct pd_tunrec r;
	uint64_t want;
	int n, il;

	(void)state;
	memset(payload, 0x5a, sizeof(payload));
	il = pd_build_udp(&in, 1000, 2000, payload, sizeof(payload), inner, sizeof(inner));
	assert_int_equal(il, 20 + 8 + 500);
	want = pd_fnv1a64(inner, PD_TUNREC_HASH_MAX);

	n = pd_build_ip_in_ip(&o4, inner, (size_t)il, buf, sizeof(buf));
	assert_int_equal(n, 20 + il);
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.kind, PD_TUNREC_IPIP);
	assert_true(r.ident == want);
	assert_int_equal(r.outer_len, n);
	assert_int_equal(r.inner_len, il);
	assert_int_equal(r.flags, PD_TUNREC_F_DATA);

	n = pd_build_gre(&o4, &gre, inner, (size_t)il, buf, sizeof(buf));
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.kind, PD_TUNREC_GRE);
	assert_true(r.ident == want);
	assert_int_equal(r.inner_len, il);

	n = pd_build_ip_in_ip(&o6, inner, (size_t)il, buf, sizeof(buf));
	assert_int_equal(to_rec(buf, (size_t)n, (size_t)n, &r), 1);
	assert_int_equal(r.kind, PD_TUNREC_4IN6);
	assert_true(r.ident == want);
	assert_int_equal(r.src.family, 6);

	/* Cut by the snap length inside the hashed bytes: PARTIAL. */
	n = pd_build_ip_in_ip(&o4, inner, (size_t)il, buf, sizeof(buf));
	assert_int_equal(to_rec(buf, (size_t)n, 20 + 100, &r), 1);
	assert_true(r.flags & PD_TUNREC_F_PARTIAL);
	assert_true(r.ident == pd_fnv1a64(inner, 100));

	/* Plain UDP is no tunnel. */
	assert_int_equal(to_rec(inner, (size_t)il, (size_t)il, &r), 0);
}

static void make_rec(struct pd_tunrec *r, uint8_t a, uint8_t b, uint64_t ts, uint64_t id)
{
	memset(r, 0, sizeof(*r));
	r->ts_ns = ts;
	r->outer_len = 1480;
	r->inner_len = 1452;
	r->kind = PD_TUNREC_WG;
	r->wg_type = PD_WG_DATA;
	r->flags = PD_TUNREC_F_DATA;
	r->wg_receiver = 0xdeadbeef;
	r->ident = id;
	r->src.family = r->dst.family = 4;
	r->src.addr[0] = r->dst.addr[0] = 10;
	r->src.addr[3] = a;
	r->dst.addr[3] = b;
}

/* Write a header and three packets (two endpoints, defined once), then read
 * it all back. */
static void test_roundtrip(void **state)
{
	uint8_t file[1024];
	size_t len = 0, n, off;
	struct pd_tunrec_eps we = { 0 }, re = { 0 };
	struct pd_tunrec recs[3];
	struct pd_tunrec_header h;
	struct pd_tunrec_item it;
	struct pd_error e = { 0 };
	int i, got = 0, ends = 0;

	(void)state;
	assert_int_equal(pd_tunrec_header_encode(1000, 1, 0, "test end A", file, sizeof(file),
						 &n, &e), 0);
	assert_int_equal(n, 56); /* 40 + 10, padded to 8 */
	len = n;
	make_rec(&recs[0], 1, 2, 5000, 0);
	make_rec(&recs[1], 2, 1, 6000, 1);
	make_rec(&recs[2], 1, 2, 7000, UINT64_MAX);
	for (i = 0; i < 3; i++) {
		assert_int_equal(pd_tunrec_encode(&we, &recs[i], file + len, sizeof(file) - len, &n,
						  &e), 0);
		/* the first record brings two endpoint records */
		assert_int_equal(n, i == 0 ? 96u : 32u);
		len += n;
	}
	assert_int_equal(pd_tunrec_encode_end(9000, 3, 7, file + len, sizeof(file) - len, &n, &e),
			 0);
	len += n;
	assert_int_equal(len, 56 + 32 * 6);
	/* Fixed bytes of docs/records.md. */
	assert_memory_equal(file, "PDTUNREC\x01\x00\x00\x00\x38\x00\x20\x00", 16);
	assert_int_equal(file[56], PD_TUNREC_ENDPOINT);
	assert_int_equal(file[56 + 64], PD_TUNREC_PACKET);
	assert_int_equal(file[56 + 64 + 4], 1480 & 0xff);
	assert_int_equal(file[56 + 64 + 5], 1480 >> 8);

	assert_int_equal(pd_tunrec_header_decode(file, len, &h, &e), 0);
	assert_int_equal(h.major, 1);
	assert_int_equal(h.hdr_len, 56);
	assert_int_equal(h.rec_len, 32);
	assert_true(h.start_ns == 1000);
	assert_string_equal(h.desc, "test end A");
	for (off = h.hdr_len; off < len; off += h.rec_len) {
		assert_int_equal(pd_tunrec_decode(&re, file + off, len - off, h.rec_len, &it, &e), 0);
		if (it.type == PD_TUNREC_PACKET) {
			const struct pd_tunrec *w = &recs[got++];

			assert_true(it.rec.ts_ns == w->ts_ns);
			assert_true(it.rec.ident == w->ident);
			assert_int_equal(it.rec.wg_receiver, w->wg_receiver);
			assert_int_equal(it.rec.outer_len, w->outer_len);
			assert_int_equal(it.rec.inner_len, w->inner_len);
			assert_int_equal(it.rec.kind, w->kind);
			assert_int_equal(it.rec.flags, w->flags);
			assert_memory_equal(&it.rec.src, &w->src, sizeof(w->src));
			assert_memory_equal(&it.rec.dst, &w->dst, sizeof(w->dst));
		} else if (it.type == PD_TUNREC_END) {
			ends++;
			assert_true(it.end_ns == 9000);
			assert_true(it.end_records == 3);
			assert_int_equal(it.end_drops, 7);
		}
	}
	assert_int_equal(got, 3);
	assert_int_equal(ends, 1);
}

static void test_refusals(void **state)
{
	uint8_t hdr[64], rec[32], *c;
	struct pd_tunrec_header h;
	struct pd_tunrec_eps eps = { 0 };
	struct pd_tunrec_item it;
	struct pd_error e;
	size_t n, i;
	int rc;

	(void)state;
	assert_int_equal(pd_tunrec_header_encode(1, 1, 0, NULL, hdr, sizeof(hdr), &n, NULL), 0);
	assert_int_equal(n, 40);
	/* Every short length is truncated, never a read past the end. */
	for (i = 0; i < n; i++) {
		c = heap_copy(hdr, i);
		memset(&e, 0, sizeof(e));
		rc = pd_tunrec_header_decode(c, i, &h, &e);
		assert_int_equal(rc, PD_ERR_TRUNCATED);
		free(c);
	}
	hdr[0] = 'X';
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_header_decode(hdr, n, &h, &e), e, PD_ERR_MALFORMED, 0);
	hdr[0] = 'P';
	hdr[8] = 2; /* major 2 */
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_header_decode(hdr, n, &h, &e), e, PD_ERR_UNSUPPORTED, 8);
	hdr[8] = 1;
	hdr[10] = 9; /* a later minor version is read */
	assert_int_equal(pd_tunrec_header_decode(hdr, n, &h, NULL), 0);
	hdr[14] = 16; /* record size below 32 */
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_header_decode(hdr, n, &h, &e), e, PD_ERR_MALFORMED, 14);

	/* A packet naming an endpoint never defined. */
	memset(rec, 0, sizeof(rec));
	rec[0] = PD_TUNREC_PACKET;
	rec[1] = PD_TUNREC_GRE;
	rec[4] = 100;
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_decode(&eps, rec, 32, 32, &it, &e), e, PD_ERR_MALFORMED, 16);
	/* Unknown kind. */
	rec[1] = 99;
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_decode(&eps, rec, 32, 32, &it, &e), e, PD_ERR_MALFORMED, 1);
	/* A short record. */
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_decode(&eps, rec, 31, 32, &it, &e), e, PD_ERR_TRUNCATED, 31);
	/* An unknown record type of this major version is skipped. */
	rec[0] = 42;
	assert_int_equal(pd_tunrec_decode(&eps, rec, 32, 32, &it, NULL), 0);
	assert_int_equal(it.type, 0);
	/* Endpoint indices must come in order. */
	memset(rec, 0, sizeof(rec));
	rec[0] = PD_TUNREC_ENDPOINT;
	rec[1] = 4;
	rec[2] = 3;
	memset(&e, 0, sizeof(e));
	assert_pd_error(pd_tunrec_decode(&eps, rec, 32, 32, &it, &e), e, PD_ERR_MALFORMED, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fnv),
		cmocka_unit_test(test_wg_data),
		cmocka_unit_test(test_inner_hash),
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
