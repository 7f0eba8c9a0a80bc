/* fuzz_vxlan.c - libFuzzer target for pd_vxlan_decode (RFC 7348 section 5).
 *
 * Input: a UDP payload.  After a successful decode: the 8-byte header is
 * present, flags are the first byte, the I flag is reported, and the VNI is
 * the 24 bits at offset 4.
 */
#include <pathdiag/tunnel.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_vxlan v, v2;
	struct pd_error err;
	int ret, ret2;

	memset(&v, 0, sizeof(v));
	memset(&v2, 0xa5, sizeof(v2));
	fz_err_poison(&err);
	ret = pd_vxlan_decode(b, size, &v, &err);
	ret2 = pd_vxlan_decode(b, size, &v2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		FZ_CHECK(size >= PD_VXLAN_HDR_LEN);
		FZ_CHECK(v.vni <= 0xffffff);
		FZ_STRICT(v.flags == b[0]);
		FZ_STRICT(v.vni_valid == !!(b[0] & 0x08));
		if (v.vni_valid)
			FZ_STRICT(v.vni == fz_be24(b + 4));
		FZ_CHECK(v.flags == v2.flags && v.vni_valid == v2.vni_valid);
		FZ_CHECK(!v.vni_valid || v.vni == v2.vni);
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size < PD_VXLAN_HDR_LEN)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* The header every VTEP sends: I flag only, reserved bits zero. */
	if (size >= PD_VXLAN_HDR_LEN && b[0] == 0x08 && !b[1] && !b[2] && !b[3] &&
	    !b[7])
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
