/* pcapfast.c - classic pcap records read in large blocks straight from
 * the file, for offline analysis at several million frames a second
 * (libpcap's reader goes through stdio: a read system call and two copies
 * per few frames).
 *
 * Format: draft-ietf-opsawg-pcap sections 4 and 5.  Only version 2.4 with
 * magic 0xa1b2c3d4 (microseconds) or 0xa1b23c4d (nanoseconds), in either
 * byte order; every other file stays with libpcap.
 *
 *   file header (24)                      record header (16), then caplen bytes
 *   +---------------+-------+-------+     +---------------+---------------+
 *   |     magic     | major | minor |     |  ts seconds   | ts usec/nsec  |
 *   +---------------+-------+-------+     +---------------+---------------+
 *   |   reserved 1  |   reserved 2  |     |    caplen     |  wire length  |
 *   +---------------+---------------+     +---------------+---------------+
 *   |    snaplen    |   link type   |
 *   +---------------+---------------+
 *
 * The result must be what libpcap's pcap_next_ex() would have returned, so
 * only records that libpcap passes through unchanged are read here: whole
 * records no longer than its snapshot length, in link types it does not
 * rewrite.  Anything else (the end of the file, a truncated record, an
 * oversized one) is handed back to libpcap at that record's offset, and
 * libpcap reports it in its own words.  Timestamps are returned as libpcap
 * returns them at the precision the handle was opened with (libpcap 1.10,
 * found by fuzz_pcapfast, which compares the two): in a file of this host's
 * byte order both fields signed 32-bit, in a byte-swapped one both
 * unsigned; the fraction then scaled to the handle's precision in 64 bits
 * (microseconds times 1000, nanoseconds divided by 1000, truncating);
 * nothing normalised.
 *
 * The buffer is small enough to stay in the CPU's cache between the read
 * that fills it and the dissection of its frames, and large enough for the
 * longest record libpcap accepts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "pcapfast.h"
#include "readahead.h"

#ifndef PCAPFAST_BUF /* the fuzz build sets a small one (FUZZ_CFLAGS) */
#define PCAPFAST_BUF (1u << 20)
#endif
#define REC_HDR 16
#define FILE_HDR 24

static uint32_t rd32(const uint8_t *b, bool swapped)
{
	uint32_t le = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 |
		      (uint32_t)b[3] << 24;

	return swapped ? __builtin_bswap32(le) : le;
}

/* Link types whose frames libpcap returns as stored (pcap_post_process
 * rewrites USB, NFLOG and Linux cooked CAN headers; those stay there). */
static bool linktype_plain(int dlt)
{
	switch (dlt) {
	case DLT_EN10MB:
	case DLT_RAW:
	case 228: /* DLT_IPV4 */
	case 229: /* DLT_IPV6 */
		return true;
	}
	return false;
}

void pcapfast_open(struct pcapfast *m, pcap_t *p, const char *filter)
{
	uint8_t h[FILE_HDR];
	uint32_t magic;
	FILE *f = pcap_file(p);
	off_t pos;

	memset(m, 0, sizeof(*m));
	m->fd = -1;
	if (!f || !linktype_plain(pcap_datalink(p)) || pcap_major_version(p) != 2 ||
	    pcap_minor_version(p) != 4)
		return;
	m->fd = fileno(f);
	pos = ftello(f);
	if (m->fd < 0 || pos != FILE_HDR || pread(m->fd, h, sizeof(h), 0) != (ssize_t)sizeof(h))
		return; /* not a file that can be read at an offset (a pipe) */
	/* the magic as a little-endian number tells the byte order */
	magic = rd32(h, false);
	if (magic == 0xa1b2c3d4u || magic == 0xa1b23c4du) {
		m->swapped = false;
	} else if (magic == 0xd4c3b2a1u || magic == 0x4d3cb2a1u) {
		m->swapped = true;
		magic = __builtin_bswap32(magic);
	} else {
		return; /* e.g. the modified format with longer record headers */
	}
	m->nsec = magic == 0xa1b23c4du;
	m->want_nsec = pcap_get_tstamp_precision(p) == PCAP_TSTAMP_PRECISION_NANO;
	if (filter) {
		if (pcap_compile(p, &m->prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0)
			return;
		m->has_prog = true;
	}
	/* a large file comes through a reading thread (readahead.c) */
	m->ra = readahead_start(m->fd, pos, PCAPFAST_BUF, READAHEAD_MIN_FILE);
	if (!m->ra && !(m->buf = malloc(PCAPFAST_BUF)))
		return;
	m->snaplen = (uint32_t)pcap_snapshot(p);
	m->off = pos;
	m->buf_off = pos;
	m->on = true;
}

/* Make the file's bytes [off, off + len) (len <= PCAPFAST_BUF) available
 * in the buffer; false when the file ends before or cannot be read. */
static bool have(struct pcapfast *m, off_t off, size_t len)
{
	size_t keep;

	if (off >= m->buf_off && off + (off_t)len <= m->buf_off + (off_t)m->buf_len)
		return true;
	if (m->ra)
		return readahead_window(m->ra, off, len, &m->buf, &m->buf_off, &m->buf_len);
	/* keep what is buffered from off on, then fill up behind it */
	if (off >= m->buf_off && off < m->buf_off + (off_t)m->buf_len) {
		keep = m->buf_len - (size_t)(off - m->buf_off);
		memmove(m->buf, m->buf + (off - m->buf_off), keep);
	} else {
		keep = 0;
	}
	m->buf_off = off;
	m->buf_len = keep;
	while (m->buf_len < len) {
		ssize_t n = pread(m->fd, m->buf + m->buf_len, PCAPFAST_BUF - m->buf_len,
				  m->buf_off + (off_t)m->buf_len);

		if (n <= 0)
			return false;
		m->buf_len += (size_t)n;
	}
	return true;
}

/* Give the rest of the file back to libpcap, at the next record. */
static int hand_back(struct pcapfast *m, pcap_t *p)
{
	m->on = false;
	fseeko(pcap_file(p), m->off, SEEK_SET);
	return 0;
}

int pcapfast_next(struct pcapfast *m, pcap_t *p, struct pcap_pkthdr **hdr, const u_char **data)
{
	for (;;) {
		const uint8_t *r;
		uint32_t caplen, sec, frac;
		int64_t v;

		size_t avail;
		off_t end;

		if (!m->on)
			return 0;
		/* most records lie whole in the buffer: one test for them */
		end = m->buf_off + (off_t)m->buf_len;
		avail = m->off >= m->buf_off && m->off <= end ? (size_t)(end - m->off) : 0;
		if (avail < REC_HDR) {
			if (!have(m, m->off, REC_HDR))
				return hand_back(m, p);
			avail = REC_HDR;
		}
		r = m->buf + (m->off - m->buf_off);
		caplen = rd32(r + 8, m->swapped);
		if (caplen > m->snaplen || caplen > PCAPFAST_BUF - REC_HDR)
			return hand_back(m, p);
		if (avail < REC_HDR + (size_t)caplen) {
			if (!have(m, m->off, REC_HDR + (size_t)caplen))
				return hand_back(m, p);
			r = m->buf + (m->off - m->buf_off);
		}
		sec = rd32(r, m->swapped);
		frac = rd32(r + 4, m->swapped);
		if (m->swapped) {
			m->hdr.ts.tv_sec = (time_t)sec;
			v = (int64_t)frac;
		} else {
			m->hdr.ts.tv_sec = (int32_t)sec;
			v = (int32_t)frac;
		}
		if (m->nsec && !m->want_nsec)
			v /= 1000;
		else if (!m->nsec && m->want_nsec)
			v *= 1000;
		m->hdr.ts.tv_usec = (suseconds_t)v;
		m->hdr.caplen = caplen;
		m->hdr.len = rd32(r + 12, m->swapped);
		m->off += REC_HDR + (off_t)caplen;
		/* the next record's header and the start of its frame: their
		 * bytes were last written by another core (readahead.c) */
		__builtin_prefetch(r + REC_HDR + caplen);
		__builtin_prefetch(r + REC_HDR + caplen + 64);
		if (m->has_prog && !pcap_offline_filter(&m->prog, &m->hdr, r + REC_HDR))
			continue;
		*hdr = &m->hdr;
		*data = r + REC_HDR;
		return 1;
	}
}

void pcapfast_close(struct pcapfast *m)
{
	if (m->ra)
		readahead_stop(m->ra); /* its blocks held the buffer */
	else
		free(m->buf);
	m->ra = NULL;
	m->buf = NULL;
	if (m->has_prog)
		pcap_freecode(&m->prog);
	m->has_prog = false;
	m->on = false;
}
