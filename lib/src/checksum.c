/* checksum.c - the Internet checksum and the transport pseudo-headers.
 *
 * RFC 1071 (computing the one's-complement sum), RFC 768 / RFC 9293
 * section 3.1 (IPv4 pseudo-header), RFC 8200 section 8.1 (IPv6
 * pseudo-header).
 *
 *   IPv4 pseudo-header (12 bytes):       IPv6 pseudo-header (40 bytes):
 *   +--------+--------+--------+------+  +-------------------------------+
 *   |          source address         |  |  source address (16 bytes)    |
 *   |        destination address      |  |  destination address (16)     |
 *   |  zero  | proto  |  TCP/UDP len  |  |  upper-layer length (32 bits) |
 *   +--------+--------+---------------+  |  zero (24 bits) | next header |
 *                                        +-------------------------------+
 *
 * The sum is byte-order independent (RFC 1071 section 2(B)), but we read
 * big-endian words anyway so partial sums mean the same on every host.
 * 32-bit words go into a 64-bit accumulator and are folded once at the end
 * (RFC 1071 section 2(C), "deferred carries").
 */
#include <pathdiag/checksum.h>

#include "cursor.h"

/* Fold a 64-bit accumulator of 16-bit one's-complement words to 16 bits. */
static uint32_t fold64(uint64_t acc)
{
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffffffu) + (acc >> 32);
	acc = (acc & 0xffffu) + (acc >> 16);
	acc = (acc & 0xffffu) + (acc >> 16);
	return (uint32_t)acc;
}

/* Each 32-bit word adds less than 2^32, so folding after every GiB keeps
 * the 64-bit accumulator far from overflowing on any input size. */
#define CSUM_PASS_BYTES ((size_t)1 << 30)

uint32_t pd_csum_add(uint32_t sum, const uint8_t *buf, size_t len)
{
	uint64_t acc = sum;

	while (len >= 4) {
		size_t n = len < CSUM_PASS_BYTES ? len : CSUM_PASS_BYTES;
		size_t left = n;

		while (left >= 16) {
			acc += pd_load_be32(buf);
			acc += pd_load_be32(buf + 4);
			acc += pd_load_be32(buf + 8);
			acc += pd_load_be32(buf + 12);
			buf += 16;
			left -= 16;
		}
		while (left >= 4) {
			acc += pd_load_be32(buf);
			buf += 4;
			left -= 4;
		}
		len -= n - left;
		acc = fold64(acc);
	}
	if (len >= 2) {
		acc += pd_load_be16(buf);
		buf += 2;
		len -= 2;
	}
	/* An odd last byte is the high half of a word padded with zero. */
	if (len)
		acc += (uint32_t)buf[0] << 8;
	return fold64(acc);
}

uint16_t pd_csum_finish(uint32_t sum)
{
	return (uint16_t)~fold64(sum);
}

uint16_t pd_csum(const uint8_t *buf, size_t len)
{
	return pd_csum_finish(pd_csum_add(0, buf, len));
}

uint32_t pd_csum_pseudo4(const uint8_t src[4], const uint8_t dst[4],
			 uint8_t proto, uint16_t len)
{
	uint64_t acc = (uint64_t)pd_load_be32(src) + pd_load_be32(dst);

	acc += proto;
	acc += len;
	return fold64(acc);
}

uint32_t pd_csum_pseudo6(const uint8_t src[16], const uint8_t dst[16],
			 uint8_t proto, uint32_t len)
{
	uint64_t acc = 0;

	for (int i = 0; i < 16; i += 4)
		acc += (uint64_t)pd_load_be32(src + i) + pd_load_be32(dst + i);
	acc += len;
	acc += proto;
	return fold64(acc);
}
