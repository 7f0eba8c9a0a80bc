/* fuzz_ppp.c - libFuzzer target for pd_ppp_decode (RFC 1661 section 2,
 * RFC 1662 section 3.1 address/control, as carried by PPTP's GRE).
 *
 * Input: the bytes from the PPP header onwards.  After a successful decode:
 * hdr_len within 1..4 and the buffer, and protocol and header length equal
 * an independent parse: optional FF 03, then a protocol field that is one
 * byte when that byte is odd (protocol field compression) and two otherwise.
 */
#include <pathdiag/tunnel.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_ppp p, p2;
	struct pd_error err;
	int ret, ret2;

	memset(&p, 0, sizeof(p));
	memset(&p2, 0xa5, sizeof(p2));
	fz_err_poison(&err);
	ret = pd_ppp_decode(b, size, &p, &err);
	ret2 = pd_ppp_decode(b, size, &p2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		size_t off = 0;

		FZ_CHECK(p.hdr_len >= 1 && p.hdr_len <= 4);
		FZ_CHECK(p.hdr_len <= size);
		FZ_CHECK(p.proto == p2.proto && p.hdr_len == p2.hdr_len);
		if (size >= 2 && b[0] == 0xff && b[1] == 0x03)
			off = 2;
		/* A header that ends before its protocol field is not one. */
		FZ_STRICT(off < size);
		if (off < size && (b[off] & 1)) {
			FZ_STRICT(p.hdr_len == off + 1);
			FZ_STRICT(p.proto == b[off]);
		} else if (off < size) {
			FZ_STRICT(off + 2 <= size);
			if (off + 2 <= size) {
				FZ_STRICT(p.hdr_len == off + 2);
				FZ_STRICT(p.proto == fz_be16(b + off));
			}
		}
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size == 0)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* Full header with IPv4 or IPv6 protocol, as PPTP sends it. */
	if (size >= 4 && b[0] == 0xff && b[1] == 0x03 && b[2] == 0x00 &&
	    (b[3] == 0x21 || b[3] == 0x57))
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
