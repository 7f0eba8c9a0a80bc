/* fuzz_wireguard.c - libFuzzer target for pd_wg_decode (WireGuard
 * whitepaper section 5.4 message formats).
 *
 * Input: a UDP payload.  wireguard.h defines the accepted shapes exactly
 * (known type, zero reserved bytes, exact handshake lengths, data length
 * 32 + 16n or, padding clamped at the sender's MTU, 32 + n with n >= 68),
 * so the oracle here is two-way: the decoder accepts exactly the inputs of
 * that shape, refuses the rest as malformed, and reports indices and
 * counter little-endian from their offsets.
 */
#include <pathdiag/wireguard.h>

#include "fuzz_common.h"

static bool has_wg_shape(const uint8_t *b, size_t len)
{
	if (len < 4 || b[1] || b[2] || b[3])
		return false;
	switch (b[0]) {
	case PD_WG_INITIATION:
		return len == PD_WG_INITIATION_LEN;
	case PD_WG_RESPONSE:
		return len == PD_WG_RESPONSE_LEN;
	case PD_WG_COOKIE_REPLY:
		return len == PD_WG_COOKIE_REPLY_LEN;
	case PD_WG_DATA:
		return len >= PD_WG_DATA_MIN_LEN &&
		       ((len - PD_WG_DATA_MIN_LEN) % PD_WG_PADDING == 0 ||
			len - PD_WG_DATA_MIN_LEN >= PD_WG_MIN_MTU);
	}
	return false;
}

static void check_fields(const uint8_t *b, size_t len, const struct pd_wg *w)
{
	FZ_CHECK(len >= 4);
	FZ_CHECK(w->type >= PD_WG_INITIATION && w->type <= PD_WG_DATA);
	FZ_STRICT(w->type == b[0]);
	switch (w->type) {
	case PD_WG_INITIATION:
		FZ_CHECK(len == PD_WG_INITIATION_LEN);
		FZ_STRICT(w->sender == fz_le32(b + 4));
		break;
	case PD_WG_RESPONSE:
		FZ_CHECK(len == PD_WG_RESPONSE_LEN);
		FZ_STRICT(w->sender == fz_le32(b + 4));
		FZ_STRICT(w->receiver == fz_le32(b + 8));
		break;
	case PD_WG_COOKIE_REPLY:
		FZ_CHECK(len == PD_WG_COOKIE_REPLY_LEN);
		FZ_STRICT(w->receiver == fz_le32(b + 4));
		break;
	case PD_WG_DATA:
		FZ_CHECK(len >= PD_WG_DATA_MIN_LEN);
		FZ_STRICT(w->receiver == fz_le32(b + 4));
		FZ_STRICT(w->counter == fz_le64(b + 8));
		FZ_STRICT(w->inner_len == len - PD_WG_DATA_MIN_LEN);
		FZ_STRICT(w->keepalive == (len == PD_WG_DATA_MIN_LEN));
		FZ_STRICT(w->mtu_clamped ==
			  ((len - PD_WG_DATA_MIN_LEN) % PD_WG_PADDING != 0));
		if (w->mtu_clamped)
			FZ_CHECK(w->inner_len >= PD_WG_MIN_MTU);
		break;
	}
	if (w->type != PD_WG_DATA)
		FZ_STRICT(!w->keepalive && !w->mtu_clamped);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_wg w, w2;
	struct pd_error err;
	int ret, ret2;

	memset(&w, 0, sizeof(w));
	memset(&w2, 0xa5, sizeof(w2));
	fz_err_poison(&err);
	ret = pd_wg_decode(b, size, &w, &err);
	ret2 = pd_wg_decode(b, size, &w2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		check_fields(b, size, &w);
		FZ_CHECK(w.type == w2.type && w.keepalive == w2.keepalive);
		if (w.type == PD_WG_INITIATION || w.type == PD_WG_RESPONSE)
			FZ_CHECK(w.sender == w2.sender);
		if (w.type != PD_WG_INITIATION)
			FZ_CHECK(w.receiver == w2.receiver);
		if (w.type == PD_WG_DATA)
			FZ_CHECK(w.counter == w2.counter && w.inner_len == w2.inner_len &&
				 w.mtu_clamped == w2.mtu_clamped);
	} else {
		fz_check_err(ret, &err, size);
		FZ_STRICT(ret == PD_ERR_MALFORMED);
	}
	FZ_STRICT((ret == 0) == has_wg_shape(b, size));

	free(b);
	return 0;
}
