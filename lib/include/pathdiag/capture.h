/* capture.h - packet sources over libpcap: capture files (pcap, pcapng) and
 * live interfaces, several at once, with a BPF filter, per-source kernel
 * statistics, and optional saving of what was read.
 *
 * Specifications: the capture file formats are libpcap's (pcap:
 * draft-ietf-opsawg-pcap; pcapng: draft-ietf-opsawg-pcapng); BPF filter
 * syntax is pcap-filter(7).
 *
 * Merging: offline files are read in timestamp order across all files (the
 * earliest pending frame of any file comes next; ties go to the lower source
 * index).  Live interfaces are polled and read as frames arrive; frames from
 * different interfaces are returned in arrival order per interface, and
 * interleaved as the kernel hands them over (timestamps may step back a
 * little across interfaces).  Live and offline sources cannot be mixed.
 *
 * Saving (-w): libpcap's dumper writes one classic pcap file per link type,
 * so each source is saved to its own file: source 0 to PATH, source N (N >=
 * 1) to PATH.N.  pd_cap_close() flushes and closes them, so a run stopped by
 * a signal still leaves complete files.  A file keeps the precision of its
 * source: a nanosecond pcap for a nanosecond classic pcap file or a live
 * interface that gives nanoseconds (source info nsec), a microsecond pcap
 * otherwise (microsecond files, pcapng, standard input).
 *
 * Timestamps: files are opened, and live interfaces asked, for nanosecond
 * precision (microseconds where libpcap cannot give more); every frame
 * carries both ts_usec (as before, truncated as libpcap truncates) and
 * ts_nsec, each saturated at INT64_MIN / INT64_MAX when a damaged file's
 * time does not fit (pcapng stores 64-bit timestamps of any unit).
 *
 * Stopping a live capture: the kernel hands TPACKET_V3 ring blocks over up
 * to the block timeout late, so frames captured just before a stop may not
 * have been handed over yet.  pd_cap_stop() notes the stop time; reading
 * then goes on for PD_CAP_DRAIN_MS and returns (counts, saves) only frames
 * stamped at or before it.
 *
 * Faults: a file that ends inside a record (or holds a record libpcap
 * rejects) ends there: pd_cap_next returns PD_ERR_TRUNCATED once, with the
 * message, marks the source damaged, and later calls go on with the other
 * sources.  Blocks of pcapng types the format does not define are skipped
 * (by libpcap) and counted.  A live interface that disappears or goes down
 * ends the capture: PD_ERR_NOTFOUND (gone) naming it.  Saving writes whole
 * records only (pathdiag/wfile.h): when a write fails (disk full, I/O
 * error) the dump file is cut back to its last whole record, pd_cap_next
 * returns PD_ERR_SYSTEM naming the file and the frames it holds, and
 * nothing more is saved.
 *
 * Errors: libpcap's own message is kept in the capture object; err->what
 * points to it and stays valid until the next call on the same object (or
 * pd_cap_free).  Missing privileges are PD_ERR_PERM (CAP_NET_RAW), an unknown
 * interface PD_ERR_NOTFOUND.  The library never prints.
 */
#ifndef PATHDIAG_CAPTURE_H
#define PATHDIAG_CAPTURE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_CAP_MAX_SOURCES 8
#define PD_CAP_DEFAULT_SNAPLEN 262144
#define PD_CAP_DEFAULT_BUFFER (32u << 20) /* kernel buffer per interface, bytes */
#define PD_CAP_NAME_MAX 256

struct pd_cap_opts {
	int snaplen;          /* 0 = PD_CAP_DEFAULT_SNAPLEN */
	unsigned buffer_size; /* live: 0 = PD_CAP_DEFAULT_BUFFER */
	bool promisc;         /* live: promiscuous mode (default off) */
	const char *filter;   /* BPF expression for every source, or NULL */
};

/* Kernel counters of a live source (pcap_stats). */
struct pd_cap_stats {
	bool valid;          /* false for files, or when pcap_stats failed */
	uint64_t received;   /* ps_recv */
	uint64_t dropped;    /* ps_drop: no room in the buffer */
	uint64_t if_dropped; /* ps_ifdrop: dropped by the interface/driver */
};

struct pd_cap_source_info {
	char name[PD_CAP_NAME_MAX]; /* file path or interface name */
	bool live;
	int linktype;               /* DLT_* of the source */
	uint64_t frames;            /* frames returned from this source */
	struct pd_cap_stats stats;  /* refreshed by pd_cap_refresh_stats */
	bool nsec;                  /* timestamps of nanosecond resolution (a
				       nanosecond pcap file, or a live
				       interface libpcap gives them for) */
	/* Faults (see "Faults" above) */
	bool damaged;               /* file: reading stopped at a truncated or
				       bad record; the frames before it were
				       returned */
	uint64_t unknown_blocks;    /* pcapng: blocks of a type the format does
				       not define, skipped (counted once the
				       file's end is reached) */
	uint32_t unknown_type;      /* the first one's type */
	uint64_t unknown_offset;    /* and its offset in the file */
	bool gone;                  /* live: the interface disappeared or went
				       down during the capture */
	uint64_t saved;             /* frames the dump file holds whole (set
				       by pd_cap_dump_close, or at a failure) */
	bool save_failed;           /* writing the dump file failed */
	bool interrupted;           /* file: a signal cut a read from a pipe
				       or FIFO short; the source ends there
				       (the run is stopping, not damaged) */
};

/* One frame as returned by pd_cap_next: data stays valid until the next
 * call to pd_cap_next or pd_cap_close on the object. */
struct pd_cap_frame {
	unsigned source;     /* index of the source, in the order opened */
	uint64_t frame;      /* 1-based frame number within that source */
	uint64_t seq;        /* 1-based number across all sources */
	int64_t ts_usec;     /* capture time, microseconds since the epoch */
	int linktype;
	const uint8_t *data;
	size_t caplen, wirelen;
	int64_t ts_nsec;     /* capture time, nanoseconds since the epoch (a
				source of microseconds: ts_usec * 1000) */
};

struct pd_cap;

/* A new, empty capture object (NULL when out of memory). */
struct pd_cap *pd_cap_new(const struct pd_cap_opts *opts);
/* Close every source and dump file (flushing), then release the object. */
void pd_cap_free(struct pd_cap *c);

/* Add a capture file (pcap or pcapng, "-" for standard input). */
int pd_cap_add_file(struct pd_cap *c, const char *path, struct pd_error *err);
/* Add a live interface: large kernel buffer, TPACKET_V3 ring with a 50 ms
 * block timeout (frames are handed over up to that late), non-blocking. */
int pd_cap_add_iface(struct pd_cap *c, const char *iface, struct pd_error *err);

/* Save every source's frames: source 0 to path, source N to path.N.  Call
 * after adding the sources and before reading. */
int pd_cap_dump_open(struct pd_cap *c, const char *path, struct pd_error *err);

unsigned pd_cap_count(const struct pd_cap *c);
const struct pd_cap_source_info *pd_cap_info(const struct pd_cap *c, unsigned idx);

/* The next frame.  Returns 1 with *f filled, 0 when a live capture had
 * nothing within timeout_ms (or was interrupted: check your stop flag),
 * PD_CAP_EOF when every file is exhausted, or a negative pd_status (a
 * read error, e.g. a truncated file: the frames before it were returned). */
#define PD_CAP_EOF 2
int pd_cap_next(struct pd_cap *c, struct pd_cap_frame *f, int timeout_ms,
		struct pd_error *err);

/* Ask a blocking read to return (pcap_breakloop on every source); safe to
 * call from a signal handler. */
void pd_cap_breakloop(struct pd_cap *c);

/* Refresh the kernel statistics of every live source. */
void pd_cap_refresh_stats(struct pd_cap *c);

/* Flush and close the dump files (idempotent); PD_ERR_SYSTEM if a write
 * failed. */
int pd_cap_dump_close(struct pd_cap *c, struct pd_error *err);

/* Stop reading (not from a signal handler: there call pd_cap_breakloop and
 * call this from the reading loop).  Files: pd_cap_next returns PD_CAP_EOF
 * from now on.  Live: pd_cap_next goes on for PD_CAP_DRAIN_MS (more than the
 * 50 ms block timeout), returning only frames stamped at or before now
 * (CLOCK_REALTIME, the clock the kernel stamps frames with); later frames
 * are neither returned, counted nor saved; then PD_CAP_EOF.  Returns the
 * stop time, ns since the epoch; a second call keeps the first time. */
#define PD_CAP_DRAIN_MS 150
int64_t pd_cap_stop(struct pd_cap *c);

/* "EN10MB", "RAW", ... (libpcap's name of a DLT), or "unknown". */
const char *pd_cap_linktype_name(int linktype);

#ifdef __cplusplus
}
#endif
#endif
