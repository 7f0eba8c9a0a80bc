/* pcapw.h - a tiny writer of classic pcap files for tests and gencap.
 *
 * Format: the libpcap file format (draft-ietf-opsawg-pcap), microsecond
 * timestamps, always written little-endian so output is identical on every
 * host:
 *
 *   file header (24): magic a1b2c3d4 | version 2.4 | thiszone 0 |
 *                     sigfigs 0 | snaplen | linktype
 *   per record  (16): ts_sec | ts_usec | incl_len | orig_len, then
 *                     incl_len bytes (orig_len cut at snaplen)
 *
 * Calls return 0 or a negative enum pd_status; PD_ERR_SYSTEM keeps errno.
 */
#ifndef PATHDIAG_TESTS_PCAPW_H
#define PATHDIAG_TESTS_PCAPW_H

#include <stdint.h>
#include <stdio.h>

#define PCAPW_LINKTYPE_ETHERNET 1
#define PCAPW_LINKTYPE_RAW 101
#define PCAPW_DEFAULT_SNAPLEN 262144

struct pcapw {
	FILE *fp;
	int own;            /* fp was opened here (not stdout) */
	uint32_t snaplen;
	uint64_t packets;   /* records written */
};

/* Create `path` ("-" = standard output) and write the file header.
 * snaplen 0 means PCAPW_DEFAULT_SNAPLEN. */
int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype,
	       uint32_t snaplen);

/* One record at ts_usec microseconds since the epoch (< 2^32 seconds). */
int pcapw_write(struct pcapw *w, uint64_t ts_usec, const uint8_t *pkt,
		size_t len);

/* Flush and close; reports any write error that buffering delayed.  The
 * writer is unusable afterwards, whatever the result. */
int pcapw_close(struct pcapw *w);

#endif
