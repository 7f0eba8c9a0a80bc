/* capscan.c - a pcapng file's blocks walked by their headers, to count the
 * blocks of unknown type that libpcap skips silently (capscan.h).
 *
 * Format: draft-ietf-opsawg-pcapng section 3.1; block types section 11.1.
 * Each section starts with a Section Header Block whose byte-order magic
 * gives the byte order of every block up to the next one.
 *
 *    0                   1                   2                   3
 *   +---------------------------------------------------------------+
 *   |                          Block Type                           |
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *   /                          Block Body                           /
 *   +---------------------------------------------------------------+
 *   |                      Block Total Length                       |
 *   +---------------------------------------------------------------+
 *
 * Only the 8-byte headers (and a Section Header's magic) are read: the
 * walk costs a read per block, not per byte.
 */
#include <unistd.h>

#include "capscan.h"

#define PCAPNG_SHB 0x0A0D0D0Au
#define PCAPNG_BOM 0x1A2B3C4Du

static uint32_t rd32(const uint8_t *b, bool swapped)
{
	uint32_t le = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		      (uint32_t)b[3] << 24;

	return swapped ? __builtin_bswap32(le) : le;
}

bool capscan_known_type(uint32_t type)
{
	switch (type) {
	case PCAPNG_SHB:
	case 0x00000001: /* Interface Description */
	case 0x00000002: /* Packet (obsolete) */
	case 0x00000003: /* Simple Packet */
	case 0x00000004: /* Name Resolution */
	case 0x00000005: /* Interface Statistics */
	case 0x00000006: /* Enhanced Packet */
	case 0x00000007: /* IRIG Timestamp */
	case 0x00000008: /* ARINC 429 */
	case 0x00000009: /* systemd Journal Export */
	case 0x0000000A: /* Decryption Secrets */
	case 0x00000BAD: /* Custom, may be copied */
	case 0x40000BAD: /* Custom, not to be copied */
		return true;
	}
	return false;
}

bool capscan_pcapng(int fd, struct capscan_result *r)
{
	uint8_t h[12];
	uint64_t off = 0;
	bool swapped = false;

	*r = (struct capscan_result){ 0 };
	for (;;) {
		ssize_t n = pread(fd, h, sizeof(h), (off_t)off);
		uint32_t type, len;

		if (n == 0)
			return off > 0;
		if (n < 8) {
			r->damaged = n > 0;
			r->damage_offset = off;
			return off > 0;
		}
		/* the type of a Section Header reads the same in both orders */
		type = rd32(h, false);
		if (type == PCAPNG_SHB) {
			if (n < 12)
				goto damaged;
			if (rd32(h + 8, false) == PCAPNG_BOM)
				swapped = false;
			else if (rd32(h + 8, true) == PCAPNG_BOM)
				swapped = true;
			else
				goto damaged;
		} else if (off == 0) {
			return false;
		}
		type = rd32(h, swapped);
		len = rd32(h + 4, swapped);
		if (len < 12 || len % 4)
			goto damaged;
		r->blocks++;
		if (!capscan_known_type(type)) {
			if (!r->unknown) {
				r->first_type = type;
				r->first_offset = off;
			}
			r->unknown++;
		}
		off += len;
	}
damaged:
	r->damaged = true;
	r->damage_offset = off;
	return off > 0;
}
