/* capscan.h - internal: the block structure of a pcapng file walked
 * without reading the blocks' bodies, to tell which blocks libpcap skipped
 * without a word (capture.c; see capscan.c).
 */
#ifndef PD_CAPSCAN_H
#define PD_CAPSCAN_H

#include <stdbool.h>
#include <stdint.h>

struct capscan_result {
	uint64_t blocks;        /* blocks walked */
	uint64_t unknown;       /* blocks of a type the format does not define */
	uint32_t first_type;    /* the first unknown block's type */
	uint64_t first_offset;  /* and its offset in the file */
	bool damaged;           /* the walk stopped at a bad or cut block */
	uint64_t damage_offset; /* where */
};

/* Walk the pcapng file open as fd (read with pread only) from its start.
 * False when it is not a pcapng file (or cannot be read). */
bool capscan_pcapng(int fd, struct capscan_result *r);

/* A block type draft-ietf-opsawg-pcapng defines (section 11.1), in the
 * byte order of the section. */
bool capscan_known_type(uint32_t type);

#endif
