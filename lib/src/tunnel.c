/* tunnel.c - encapsulation headers: GRE (RFC 2784, key and sequence number
 * of RFC 2890 section 2), PPTP's enhanced GRE (RFC 2637 section 4.1), VXLAN
 * (RFC 7348 section 5) and the PPP header (RFC 1661 section 2, RFC 1662
 * section 3.2 address/control, with ACFC and PFC of RFC 1661 6.5/6.6).
 *
 *   GRE:  0                   1                   2                   3
 *         0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *        |C|R|K|S|s|Recur|A| Flags | Ver |         Protocol Type         |
 *        |      Checksum (C, v0)         |       Reserved1 (C, v0)       |
 *        |    Key (K); v1: Payload Length          |      Call ID        |
 *        |                 Sequence Number (S)                           |
 *        |              Acknowledgment Number (A, v1 only)               |
 *        +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   RFC 2784 calls bits 1-12 Reserved0: a receiver discards a packet with
 *   any of bits 1-5 set (unless it implements RFC 1701) and ignores bits
 *   6-12.  RFC 2890 gives bits 2 and 3 back as K and S.  Here bit 1 (R,
 *   RFC 1701 source routing) is PD_ERR_UNSUPPORTED, bits 4-5 malformed.
 *
 *   VXLAN: |R|R|R|R|I|R|R|R|   Reserved (24)   |
 *          |        VNI (24)                   | Reserved (8) |
 *
 *   PPP:   [ 0xff | 0x03 ] | Protocol (1 or 2 bytes: the low byte is odd,
 *          the high byte even, so an odd first byte is a compressed one)
 */
#include <string.h>

#include <pathdiag/tunnel.h>

#include "cursor.h"

#define GRE_C 0x8000
#define GRE_R 0x4000
#define GRE_K 0x2000
#define GRE_S 0x1000
#define GRE_SSR 0x0800          /* strict source route (RFC 1701) */
#define GRE_RECUR 0x0700        /* recursion control (RFC 1701) */
#define GRE_RECUR_HI 0x0400     /* bit 5: the last of RFC 2784's bits 1-5 */
#define GRE_A 0x0080            /* acknowledgment present (v1) */
#define GRE_VER 0x0007

#define VXLAN_I 0x08

#define PPP_ADDRESS 0xff
#define PPP_CONTROL 0x03

/* The optional 32-bit fields, in their wire order. */
static int gre_opt(struct pd_cursor *c, bool present, uint32_t *v,
		   struct pd_error *err)
{
	if (!present)
		return PD_OK;
	if (!pd_cur_be32(c, v))
		return pd_fail(err, PD_ERR_TRUNCATED, c->off,
			       "GRE optional field cut short");
	return PD_OK;
}

int pd_gre_decode(const uint8_t *buf, size_t len, struct pd_gre *out,
		  struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint16_t fv = 0;
	uint32_t csum_word = 0;
	int rc;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_be16(&c, &fv) || !pd_cur_be16(&c, &out->proto))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "GRE header shorter than 4 bytes");
	out->flags = fv;
	out->version = fv & GRE_VER;
	out->has_csum = fv & GRE_C;
	out->routing = fv & GRE_R;
	out->has_key = fv & GRE_K;
	out->has_seq = fv & GRE_S;

	switch (out->version) {
	case 0:
		if (out->routing)
			return pd_fail(err, PD_ERR_UNSUPPORTED, 0,
				       "GRE routing present (RFC 1701 R bit)");
		if (fv & (GRE_SSR | GRE_RECUR_HI))
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "GRE reserved0 bit 4 or 5 set");
		break;
	case 1:
		if (fv & (GRE_C | GRE_R | GRE_SSR | GRE_RECUR))
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "enhanced GRE with C, R, s or recursion set");
		if (!out->has_key)
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "enhanced GRE without the key (call ID) field");
		out->has_ack = fv & GRE_A;
		break;
	default:
		return pd_fail(err, PD_ERR_UNSUPPORTED, 0,
			       "GRE version other than 0 and 1");
	}

	rc = gre_opt(&c, out->has_csum, &csum_word, err);
	if (!rc)
		rc = gre_opt(&c, out->has_key, &out->key, err);
	if (!rc)
		rc = gre_opt(&c, out->has_seq, &out->seq, err);
	if (!rc)
		rc = gre_opt(&c, out->has_ack, &out->ack, err);
	if (rc)
		return rc;
	out->csum = (uint16_t)(csum_word >> 16);
	out->hdr_len = (uint8_t)c.off;
	return PD_OK;
}

int pd_vxlan_decode(const uint8_t *buf, size_t len, struct pd_vxlan *out,
		    struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint32_t w = 0;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_u8(&c, &out->flags) || !pd_cur_skip(&c, 3) ||
	    !pd_cur_be32(&c, &w))
		return pd_fail(err, PD_ERR_TRUNCATED, 0,
			       "VXLAN header shorter than 8 bytes");
	/* Reserved bits are ignored on receipt (RFC 7348 5). */
	out->vni_valid = out->flags & VXLAN_I;
	out->vni = w >> 8;
	return PD_OK;
}

int pd_ppp_decode(const uint8_t *buf, size_t len, struct pd_ppp *out,
		  struct pd_error *err)
{
	struct pd_cursor c = pd_cur_init(buf, len);
	uint8_t b0 = 0, b1 = 0;

	memset(out, 0, sizeof(*out));
	if (!pd_cur_peek8(&c, 0, &b0))
		return pd_fail(err, PD_ERR_TRUNCATED, 0, "PPP header is empty");
	if (b0 == PPP_ADDRESS) {
		if (!pd_cur_skip(&c, 1) || !pd_cur_u8(&c, &b1))
			return pd_fail(err, PD_ERR_TRUNCATED, 0,
				       "PPP address without control field");
		if (b1 != PPP_CONTROL)
			return pd_fail(err, PD_ERR_MALFORMED, 1,
				       "PPP control field is not 0x03");
	}
	if (!pd_cur_u8(&c, &b0))
		return pd_fail(err, PD_ERR_TRUNCATED, c.off,
			       "PPP protocol field missing");
	if (b0 & 1) {
		/* Protocol-Field-Compressed: the high byte (zero) is elided. */
		out->proto = b0;
	} else {
		size_t poff = c.off - 1;

		if (!pd_cur_u8(&c, &b1))
			return pd_fail(err, PD_ERR_TRUNCATED, poff,
				       "PPP protocol field cut short");
		if (!(b1 & 1))
			return pd_fail(err, PD_ERR_MALFORMED, poff,
				       "PPP protocol with an even low byte");
		out->proto = (uint16_t)(b0 << 8 | b1);
	}
	out->hdr_len = (uint8_t)c.off;
	return PD_OK;
}
