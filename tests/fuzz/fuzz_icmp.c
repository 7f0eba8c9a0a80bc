/* fuzz_icmp.c - libFuzzer target for pd_icmp_decode (ICMPv4 RFC 792 and
 * RFC 1191, ICMPv6 RFC 4443, RFC 4884 length attribute).
 *
 * Input: one selector byte, then the ICMP message.  Selector: bit 7 set
 * passes an invalid family (which must be refused), otherwise bit 0 picks
 * the family (0 -> 4, 1 -> 6; seeds use 0x04 and 0x06).  After a successful
 * decode: the body stays in the buffer, and type, code, checksum, echo
 * fields, MTU, pointer and RFC 4884 length equal the bytes they come from.
 */
#include <pathdiag/icmp.h>

#include "fuzz_common.h"

static bool v4_is_error(uint8_t t)
{
	return t == PD_ICMP4_DEST_UNREACH || t == PD_ICMP4_TIME_EXCEEDED ||
	       t == PD_ICMP4_PARAM_PROBLEM;
}

static bool v6_is_error(uint8_t t)
{
	return t >= PD_ICMP6_DEST_UNREACH && t <= PD_ICMP6_PARAM_PROBLEM;
}

static void check_fields(int family, const uint8_t *b, size_t len,
			 const struct pd_icmp *m)
{
	bool v4 = family == 4;
	size_t body = len >= PD_ICMP_HDR_LEN ? len - PD_ICMP_HDR_LEN : 0;
	uint16_t rfc4884 = 0;

	FZ_CHECK(m->family == family);
	FZ_CHECK(len >= PD_ICMP_HDR_LEN);
	FZ_CHECK(m->body_off == PD_ICMP_HDR_LEN);
	FZ_CHECK((size_t)m->body_off + m->body_len <= len);
	FZ_CHECK(!(m->is_error && m->is_echo));

	FZ_STRICT(m->type == b[0]);
	FZ_STRICT(m->code == b[1]);
	FZ_STRICT(m->checksum == fz_be16(b + 2));
	if (v4) {
		FZ_STRICT(m->is_echo == (b[0] == PD_ICMP4_ECHO_REQUEST ||
					 b[0] == PD_ICMP4_ECHO_REPLY));
		if (v4_is_error(b[0]))
			FZ_STRICT(m->is_error);
		FZ_STRICT(m->has_mtu == (b[0] == PD_ICMP4_DEST_UNREACH &&
					 b[1] == PD_ICMP4_CODE_FRAG_NEEDED));
		if (m->has_mtu)
			FZ_STRICT(m->mtu == fz_be16(b + 6));
		if (b[0] == PD_ICMP4_PARAM_PROBLEM)
			FZ_STRICT(m->pointer == b[4]);
		if (v4_is_error(b[0]))
			rfc4884 = (uint16_t)(b[5] * 4);
	} else {
		FZ_STRICT(m->is_echo == (b[0] == PD_ICMP6_ECHO_REQUEST ||
					 b[0] == PD_ICMP6_ECHO_REPLY));
		if (v6_is_error(b[0]))
			FZ_STRICT(m->is_error);
		/* Informational messages (type >= 128) never quote. */
		if (b[0] >= 128)
			FZ_STRICT(!m->is_error);
		FZ_STRICT(m->has_mtu == (b[0] == PD_ICMP6_PACKET_TOO_BIG));
		if (m->has_mtu)
			FZ_STRICT(m->mtu == fz_be32(b + 4));
		if (b[0] == PD_ICMP6_PARAM_PROBLEM)
			FZ_STRICT(m->pointer6 == fz_be32(b + 4));
		if (b[0] == PD_ICMP6_DEST_UNREACH || b[0] == PD_ICMP6_TIME_EXCEEDED)
			rfc4884 = (uint16_t)(b[4] * 8);
	}
	if (m->is_echo) {
		FZ_STRICT(m->echo_id == fz_be16(b + 4));
		FZ_STRICT(m->echo_seq == fz_be16(b + 6));
	}
	/* RFC 4884: the length is reported as on the wire, or 0 when absent
	 * (or ignored as non-compliant, RFC 4884 section 5). */
	FZ_STRICT(m->orig_len == 0 || m->orig_len == rfc4884);
	if (m->orig_len == 0)
		FZ_STRICT(m->body_len == body);
	else
		FZ_STRICT(m->body_len == body ||
			  m->body_len == fz_min(body, m->orig_len));
}

static void check_same(const struct pd_icmp *a, const struct pd_icmp *b)
{
	FZ_CHECK(a->family == b->family && a->type == b->type && a->code == b->code);
	FZ_CHECK(a->checksum == b->checksum);
	FZ_CHECK(a->is_error == b->is_error && a->is_echo == b->is_echo);
	if (a->is_echo)
		FZ_CHECK(a->echo_id == b->echo_id && a->echo_seq == b->echo_seq);
	FZ_CHECK(a->has_mtu == b->has_mtu);
	if (a->has_mtu)
		FZ_CHECK(a->mtu == b->mtu);
	FZ_CHECK(a->orig_len == b->orig_len);
	FZ_CHECK(a->body_off == b->body_off && a->body_len == b->body_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_icmp m, m2;
	struct pd_error err;
	uint8_t sel, *b;
	int family, ret, ret2;
	size_t len;

	if (size < 1)
		return 0;
	sel = data[0];
	if (sel & 0x80) {
		family = sel & 0x7f;
		if (family == 4 || family == 6)
			family = 5;
	} else {
		family = sel & 1 ? 6 : 4;
	}
	len = size - 1;
	b = fz_dup(data + 1, len);

	memset(&m, 0, sizeof(m));
	memset(&m2, 0xa5, sizeof(m2));
	fz_err_poison(&err);
	ret = pd_icmp_decode(family, b, len, &m, &err);
	ret2 = pd_icmp_decode(family, b, len, &m2, NULL);
	FZ_CHECK(ret == ret2);

	if (family != 4 && family != 6) {
		FZ_CHECK(ret < 0);
		fz_check_err(ret, &err, len);
	} else if (ret == 0) {
		check_fields(family, b, len, &m);
		check_same(&m, &m2);
	} else {
		fz_check_err(ret, &err, len);
	}
	if (len < PD_ICMP_HDR_LEN)
		FZ_STRICT(ret < 0);
	/* Echo messages have nothing that can be wrong once 8 bytes are in. */
	if (len >= PD_ICMP_HDR_LEN &&
	    ((family == 4 && (b[0] == 0 || b[0] == 8)) ||
	     (family == 6 && (b[0] == 128 || b[0] == 129))))
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
