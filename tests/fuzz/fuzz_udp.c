/* fuzz_udp.c - libFuzzer target for pd_udp_decode (RFC 768).
 *
 * Input: the bytes from a UDP header onwards.  After a successful decode:
 * at least the 8-byte header is present, the payload stays within the
 * buffer and the UDP length, and ports, length and checksum equal the bytes.
 */
#include <pathdiag/transport.h>

#include "fuzz_common.h"

static void check_fields(const uint8_t *b, size_t len, const struct pd_udp *u)
{
	FZ_CHECK(len >= PD_UDP_HDR_LEN);
	FZ_CHECK(u->payload_len <= len - PD_UDP_HDR_LEN);
	if (u->length >= PD_UDP_HDR_LEN)
		FZ_CHECK(u->payload_len <= u->length - PD_UDP_HDR_LEN);

	FZ_STRICT(u->sport == fz_be16(b));
	FZ_STRICT(u->dport == fz_be16(b + 2));
	FZ_STRICT(u->length == fz_be16(b + 4));
	FZ_STRICT(u->checksum == fz_be16(b + 6));
	/* Bytes of payload present: the buffer may be cut short (snaplen, ICMP
	 * quote) or padded (Ethernet minimum frame). */
	if (u->length >= PD_UDP_HDR_LEN)
		FZ_STRICT(u->payload_len == fz_min(len, u->length) - PD_UDP_HDR_LEN);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *b = fz_dup(data, size);
	struct pd_udp u, u2;
	struct pd_error err;
	int ret, ret2;

	memset(&u, 0, sizeof(u));
	memset(&u2, 0xa5, sizeof(u2));
	fz_err_poison(&err);
	ret = pd_udp_decode(b, size, &u, &err);
	ret2 = pd_udp_decode(b, size, &u2, NULL);
	FZ_CHECK(ret == ret2);

	if (ret == 0) {
		check_fields(b, size, &u);
		FZ_CHECK(u.sport == u2.sport && u.dport == u2.dport);
		FZ_CHECK(u.length == u2.length && u.checksum == u2.checksum);
		FZ_CHECK(u.payload_len == u2.payload_len);
	} else {
		fz_check_err(ret, &err, size);
	}
	if (size < PD_UDP_HDR_LEN)
		FZ_STRICT(ret == PD_ERR_TRUNCATED);
	/* A well-formed header whose length covers at least itself decodes,
	 * whether the buffer holds all of the datagram or not. */
	if (size >= PD_UDP_HDR_LEN && fz_be16(data + 4) >= PD_UDP_HDR_LEN)
		FZ_STRICT(ret == 0);

	free(b);
	return 0;
}
