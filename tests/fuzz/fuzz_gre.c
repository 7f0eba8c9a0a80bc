/* fuzz_gre.c - libFuzzer target for pd_gre_decode (RFC 2784, RFC 2890 key
 * and sequence number, RFC 2637 section 4.1 enhanced GRE for PPTP).
 *
 * Input: the bytes from a GRE header onwards.  After a successful decode:
 * version 0 or 1, hdr_len within 4..16 and the buffer, and flags, protocol
 * and optional fields equal the bytes, laid out in the order C|R, K, S, A.
 * Refusals follow tunnel.h: routing (RFC 1701) and versions 2..7 are
 * unsupported, enhanced GRE without a key is malformed.
 */
#include <pathdiag/tunnel.h>

#include "fuzz_common.h"

static void check_fields(const uint8_t *b, size_t len, const struct pd_gre *g)
{
	size_t off = 4;

	FZ_CHECK(len >= 4);
	FZ_CHECK(g->version <= 1);
	FZ_CHECK(g->hdr_len >= 4 && g->hdr_len <= 16 && g->hdr_len % 4 == 0);
	FZ_CHECK(g->hdr_len <= len);

	FZ_STRICT(g->has_csum == !!(b[0] & 0x80));
	FZ_STRICT(g->routing == !!(b[0] & 0x40));
	FZ_STRICT(g->has_key == !!(b[0] & 0x20));
	FZ_STRICT(g->has_seq == !!(b[0] & 0x10));
	FZ_STRICT(g->version == (b[1] & 0x07));
	/* The A bit only exists in enhanced GRE. */
	FZ_STRICT(g->has_ack == (g->version == 1 && (b[1] & 0x80)));
	FZ_STRICT(g->proto == fz_be16(b + 2));
	FZ_STRICT(g->flags == fz_be16(b));
	FZ_STRICT(!g->routing);
	if (g->version == 1)
		FZ_STRICT(g->has_key && !g->has_csum);
	if (g->has_csum || g->routing) {
		FZ_CHECK(off + 4 <= g->hdr_len);
		if (g->has_csum)
			FZ_STRICT(g->csum == fz_be16(b + off));
		off += 4;
	}
	if (g->has_key) {
		FZ_CHECK(off + 4 <= g->hdr_len);
		FZ_STRICT(g->key == fz_be32(b + off));
		off += 4;
	}
	if (g->has_seq) {
		FZ_CHECK(off + 4 <= g->hdr_len);
		FZ_STRICT(g->seq == fz_be32(b + off));
		off += 4;
	}
	if (g->has_ack) {
		FZ_CHECK(off + 4 <= g->hdr_len);
		FZ_STRICT(g->ack == fz_be32(b + off));
		off += 4;
	}
	if (!g->routing)
		FZ_STRICT(g->hdr_len == off);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_gre g, g2;
	struct pd_error err;
	int ret, ret2;

	memset(&g, 0, sizeof(g));
	memset(&g2, 0xa5, sizeof(g2));
	fz_err_poison(&err);
	ret = pd_gre_decode(b, size, &g, &err);
	ret2 = pd_gre_decode(b, size, &g2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		check_fields(b, size, &g);
		FZ_CHECK(g.version == g2.version && g.proto == g2.proto);
		FZ_CHECK(g.has_csum == g2.has_csum && g.has_key == g2.has_key);
		FZ_CHECK(g.has_seq == g2.has_seq && g.has_ack == g2.has_ack);
		FZ_CHECK(g.routing == g2.routing && g.hdr_len == g2.hdr_len);
		FZ_CHECK(g.flags == g2.flags);
		FZ_CHECK(!g.has_csum || g.csum == g2.csum);
		FZ_CHECK(!g.has_key || g.key == g2.key);
		FZ_CHECK(!g.has_seq || g.seq == g2.seq);
		FZ_CHECK(!g.has_ack || g.ack == g2.ack);
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size < 4)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	else if ((b[1] & 0x07) > 1 || ((b[1] & 0x07) == 0 && (b[0] & 0x40)))
		FZ_STRICT(ret == PD_ERR_UNSUPPORTED);
	else if ((b[1] & 0x07) == 1 && !(b[0] & 0x20))
		FZ_STRICT(ret == PD_ERR_MALFORMED);
	/* Plain RFC 2784 GRE with just the 4-byte header always decodes. */
	if (size >= 4 && b[0] == 0 && b[1] == 0)
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
