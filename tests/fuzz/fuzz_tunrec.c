/* fuzz_tunrec.c - libFuzzer target for the record file decoder
 * (docs/records.md, pathdiag/tunrec.h).
 *
 * Input: a whole record file.  The header is decoded, then every record
 * until the end; the contract checked: errors follow error.h, the endpoint
 * table never grows past its bound, packets only name defined endpoints,
 * and a decoded packet record encodes back to the same 32 bytes.
 */
#include <pathdiag/tunrec.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_tunrec_header h;
	struct pd_tunrec_eps eps, weps;
	struct pd_tunrec_item it;
	struct pd_error err;
	uint8_t out[3 * PD_TUNREC_REC_LEN];
	size_t off, n;
	int ret;

	fz_err_poison(&err);
	ret = pd_tunrec_header_decode(b, size, &h, &err);
	if (ret < 0) {
		fz_check_err(ret, &err, size);
		free(b);
		return 0;
	}
	FZ_CHECK(h.major == PD_TUNREC_MAJOR);
	FZ_CHECK(h.hdr_len <= size && h.rec_len >= PD_TUNREC_REC_LEN);
	memset(&eps, 0, sizeof(eps));
	memset(&weps, 0, sizeof(weps));
	for (off = h.hdr_len; off < size; off += h.rec_len) {
		fz_err_poison(&err);
		ret = pd_tunrec_decode(&eps, b + off, size - off, h.rec_len, &it, &err);
		if (ret < 0) {
			fz_check_err(ret, &err, size - off);
			break;
		}
		FZ_CHECK(eps.count <= PD_TUNREC_MAX_ENDPOINTS);
		if (it.type != PD_TUNREC_PACKET)
			continue;
		FZ_CHECK(it.rec.kind >= PD_TUNREC_WG && it.rec.kind <= PD_TUNREC_KIND_MAX);
		if (it.rec.src.family && it.rec.dst.family &&
		    pd_tunrec_encode(&weps, &it.rec, out, sizeof(out), &n, NULL) == 0) {
			/* The packet record is the last 32 bytes written. */
			FZ_CHECK(n >= PD_TUNREC_REC_LEN);
			FZ_STRICT(!memcmp(out + n - PD_TUNREC_REC_LEN + 4, b + off + 4, 12));
			FZ_STRICT(!memcmp(out + n - PD_TUNREC_REC_LEN + 20, b + off + 20, 12));
		}
	}
	free(b);
	return 0;
}
