/* pcapfast.h - internal: the records of a classic pcap file read in large
 * blocks straight from the file, beside the libpcap handle that opened it
 * (capture.c's fast offline path; see pcapfast.c).
 */
#ifndef PD_PCAPFAST_H
#define PD_PCAPFAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <pcap/pcap.h>

struct readahead;

struct pcapfast {
	bool on;              /* records come from here, not from libpcap */
	bool swapped, nsec;   /* file byte order, nanosecond timestamps */
	bool want_nsec;       /* the handle returns nanoseconds */
	int fd;               /* libpcap's, not ours: read with pread only */
	uint32_t snaplen;     /* pcap_snapshot(): libpcap's limit */
	off_t off;            /* file offset of the next record */
	uint8_t *buf;         /* PCAPFAST_BUF bytes: file bytes from buf_off */
	off_t buf_off;
	size_t buf_len;
	struct pcap_pkthdr hdr;  /* the last record's header */
	struct bpf_program prog; /* the source's filter, when has_prog */
	bool has_prog;
	struct readahead *ra;    /* large files: blocks read by a thread */
};

/* Take over reading the records of the savefile p (just opened, nothing
 * read yet) when it is a classic pcap file with a link type libpcap hands
 * over unchanged; filter: the source's BPF filter, or NULL.  Otherwise m
 * stays off and libpcap reads as before. */
void pcapfast_open(struct pcapfast *m, pcap_t *p, const char *filter);

/* The next record passing the filter: 1 with *hdr and *data set (valid
 * until the next call), or 0 when m is off or the next record is not
 * plainly whole (the end of the file, a truncated or oversized record, a
 * read error): then m is off and libpcap's file position is that record's,
 * so pcap_next_ex() goes on from there with its own results and messages. */
int pcapfast_next(struct pcapfast *m, pcap_t *p, struct pcap_pkthdr **hdr, const u_char **data);

void pcapfast_close(struct pcapfast *m);

#endif
