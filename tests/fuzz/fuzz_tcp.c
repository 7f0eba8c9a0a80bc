/* fuzz_tcp.c - libFuzzer target for pd_tcp_decode (RFC 9293 header; MSS,
 * window scale and timestamps of RFC 7323, SACK of RFC 2018).
 *
 * Input: the bytes from a TCP header onwards.  After a successful decode:
 * the fixed header is present, data offset in 20..60, payload within the
 * buffer, fixed fields equal to the bytes, and, when the options are well
 * formed, the same options as a second parser here finds.  A header whose
 * options run past the buffer must say so (opts_truncated).  The same input
 * also goes to pd_tcp_decode_partial (the quoted-header variant), which
 * must agree with pd_tcp_decode from 20 bytes on and below that fill
 * exactly the fields that fit.
 */
#include <pathdiag/transport.h>

#include "fuzz_common.h"

struct opts {
	bool ambiguous;     /* malformed or duplicated: the decoder may choose */
	bool has_mss, has_wscale, sack_permitted, has_ts;
	uint16_t mss;
	uint8_t wscale, sack_blocks;
	uint32_t ts_val, ts_ecr;
};

/* Independent walk of the options in b[20 .. end). */
static void parse_opts(const uint8_t *b, size_t end, struct opts *o)
{
	size_t off = PD_TCP_HDR_MIN;
	unsigned seen = 0;  /* bit per kind 2..8 */

	memset(o, 0, sizeof(*o));
	while (off < end) {
		uint8_t kind = b[off], olen;

		if (kind == 0) {  /* end of option list: the rest must be zero */
			for (off++; off < end; off++)
				if (b[off])
					o->ambiguous = true;
			return;
		}
		if (kind == 1) {
			off++;
			continue;
		}
		if (off + 2 > end) {
			o->ambiguous = true;
			return;
		}
		olen = b[off + 1];
		if (olen < 2 || off + olen > end) {
			o->ambiguous = true;
			return;
		}
		if (kind >= 2 && kind <= 8) {
			if (seen & 1u << kind)
				o->ambiguous = true;
			seen |= 1u << kind;
		}
		switch (kind) {
		case 2:
			if (olen != 4)
				o->ambiguous = true;
			else {
				o->has_mss = true;
				o->mss = fz_be16(b + off + 2);
			}
			break;
		case 3:
			if (olen != 3)
				o->ambiguous = true;
			else {
				o->has_wscale = true;
				o->wscale = b[off + 2];
			}
			break;
		case 4:
			if (olen != 2)
				o->ambiguous = true;
			else
				o->sack_permitted = true;
			break;
		case 5:
			if (olen < 10 || (olen - 2) % 8 != 0)
				o->ambiguous = true;
			else
				o->sack_blocks = (uint8_t)((olen - 2) / 8);
			break;
		case 8:
			if (olen != 10)
				o->ambiguous = true;
			else {
				o->has_ts = true;
				o->ts_val = fz_be32(b + off + 2);
				o->ts_ecr = fz_be32(b + off + 6);
			}
			break;
		}
		off += olen;
	}
}

static void check_fields(const uint8_t *b, size_t len, const struct pd_tcp *t)
{
	size_t hl = t->hdr_len;
	struct opts o;

	FZ_CHECK(len >= PD_TCP_HDR_MIN);
	FZ_CHECK(hl >= 20 && hl <= 60 && hl % 4 == 0);
	FZ_CHECK(t->flags <= 0x1ff);
	FZ_CHECK(t->payload_len <= (len > hl ? len - hl : 0));
	FZ_CHECK(t->hdr_present == fz_min(len, hl));
	if (hl > len)
		FZ_CHECK(t->opts_truncated);

	FZ_STRICT(t->sport == fz_be16(b));
	FZ_STRICT(t->dport == fz_be16(b + 2));
	FZ_STRICT(t->seq == fz_be32(b + 4));
	FZ_STRICT(t->ack == fz_be32(b + 8));
	FZ_STRICT(hl == (size_t)(b[12] >> 4) * 4);
	FZ_STRICT(t->flags == ((b[12] & 1) << 8 | b[13]));
	FZ_STRICT(t->window == fz_be16(b + 14));
	FZ_STRICT(t->checksum == fz_be16(b + 16));
	FZ_STRICT(t->urgent == fz_be16(b + 18));
	FZ_STRICT(t->payload_len == (len > hl ? len - hl : 0));

	parse_opts(b, fz_min(hl, len), &o);
	if (hl > len || o.ambiguous)
		return;
	FZ_STRICT(!t->opts_truncated);
	FZ_STRICT(t->has_mss == o.has_mss);
	if (o.has_mss)
		FZ_STRICT(t->mss == o.mss);
	FZ_STRICT(t->has_wscale == o.has_wscale);
	if (o.has_wscale)
		FZ_STRICT(t->wscale == o.wscale);
	FZ_STRICT(t->sack_permitted == o.sack_permitted);
	FZ_STRICT(t->sack_blocks == o.sack_blocks);
	FZ_STRICT(t->has_ts == o.has_ts);
	if (o.has_ts)
		FZ_STRICT(t->ts_val == o.ts_val && t->ts_ecr == o.ts_ecr);
}

static void check_same(const struct pd_tcp *a, const struct pd_tcp *b)
{
	FZ_CHECK(a->sport == b->sport && a->dport == b->dport);
	FZ_CHECK(a->seq == b->seq && a->ack == b->ack);
	FZ_CHECK(a->hdr_len == b->hdr_len && a->flags == b->flags);
	FZ_CHECK(a->window == b->window && a->checksum == b->checksum);
	FZ_CHECK(a->urgent == b->urgent);
	FZ_CHECK(a->has_mss == b->has_mss && (!a->has_mss || a->mss == b->mss));
	FZ_CHECK(a->has_wscale == b->has_wscale &&
		 (!a->has_wscale || a->wscale == b->wscale));
	FZ_CHECK(a->sack_permitted == b->sack_permitted);
	FZ_CHECK(a->sack_blocks == b->sack_blocks);
	FZ_CHECK(a->has_ts == b->has_ts &&
		 (!a->has_ts || (a->ts_val == b->ts_val && a->ts_ecr == b->ts_ecr)));
	FZ_CHECK(a->opts_truncated == b->opts_truncated);
	FZ_CHECK(a->payload_len == b->payload_len);
	FZ_CHECK(a->hdr_present == b->hdr_present);
}

/* pd_tcp_decode_partial on fewer than 20 bytes: the fields that fit (ports
 * at 4 bytes, seq at 8, ack at 12, data offset at 13, flags at 14, window
 * at 16, checksum at 18), zero for the rest. */
static void check_partial(const uint8_t *b, size_t len)
{
	struct pd_tcp t;
	struct pd_error err;
	int ret;

	memset(&t, 0xa5, sizeof(t));
	fz_err_poison(&err);
	ret = pd_tcp_decode_partial(b, len, &t, &err);
	if (ret != 0) {
		fz_check_err(ret, &err, len);
		if (len < 4)
			FZ_STRICT(ret == PD_ERR_TRUNCATED);
		else
			FZ_STRICT(ret == PD_ERR_MALFORMED && len >= 13 && b[12] >> 4 < 5);
		return;
	}
	FZ_CHECK(len >= 4);
	FZ_CHECK(t.hdr_present == len);
	FZ_CHECK(t.payload_len == 0);
	FZ_STRICT(t.sport == fz_be16(b) && t.dport == fz_be16(b + 2));
	FZ_STRICT(t.seq == (len >= 8 ? fz_be32(b + 4) : 0));
	FZ_STRICT(t.ack == (len >= 12 ? fz_be32(b + 8) : 0));
	FZ_STRICT(t.hdr_len == (len >= 13 ? (b[12] >> 4) * 4 : 0));
	if (len >= 13)
		FZ_STRICT(t.hdr_len >= PD_TCP_HDR_MIN);
	FZ_STRICT(t.flags == (len >= 14 ? ((b[12] & 1) << 8 | b[13]) : 0));
	FZ_STRICT(t.window == (len >= 16 ? fz_be16(b + 14) : 0));
	FZ_STRICT(t.checksum == (len >= 18 ? fz_be16(b + 16) : 0));
	FZ_STRICT(t.urgent == 0);
	FZ_STRICT(t.opts_truncated == (t.hdr_len != PD_TCP_HDR_MIN));
	FZ_STRICT(!t.has_mss && !t.has_wscale && !t.sack_permitted && !t.has_ts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_tcp t, t2;
	struct pd_error err;
	int ret, ret2;

	memset(&t, 0, sizeof(t));
	memset(&t2, 0xa5, sizeof(t2));
	fz_err_poison(&err);
	ret = pd_tcp_decode(b, size, &t, &err);
	ret2 = pd_tcp_decode(b, size, &t2, NULL);
	FZ_CHECK(ret == ret2);

	/* From 20 bytes on the partial decoder is the full one. */
	if (size >= PD_TCP_HDR_MIN) {
		memset(&t2, 0x5a, sizeof(t2));
		FZ_CHECK(pd_tcp_decode_partial(b, size, &t2, NULL) == ret);
		if (ret == 0)
			check_same(&t, &t2);
	} else {
		check_partial(b, size);
	}

	if (ret == 0) {
		check_fields(b, size, &t);
		check_same(&t, &t2);
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size < PD_TCP_HDR_MIN || b[12] >> 4 < 5)
		FZ_STRICT(ret < 0);
	if (size < PD_TCP_HDR_MIN)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* A fixed header with a sane data offset always decodes: options are
	 * decoded "as far as they go". */
	if (size >= PD_TCP_HDR_MIN && b[12] >> 4 >= 5)
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
