/* capture.c - packet sources over libpcap (see pathdiag/capture.h).
 *
 * Specifications: libpcap's pcap(3PCAP) API; file formats pcap
 * (draft-ietf-opsawg-pcap) and pcapng (draft-ietf-opsawg-pcapng), both read
 * by pcap_open_offline; filters per pcap-filter(7).
 *
 * Offline sources keep one pending frame each (libpcap's buffer for a
 * source stays valid until the next read from that source), and the
 * earliest pending frame is returned next: a k-way merge in timestamp order
 * that holds one frame per file, whatever the file sizes.
 *
 * Timestamps are read in nanoseconds wherever libpcap has them (files
 * always: it scales microsecond files up; live when the platform allows),
 * and the dump files get the precision of their source, converted here
 * when it differs from the handle's (a microsecond file read in
 * nanoseconds is saved in microseconds, through a dead handle of that
 * precision, since libpcap's dumper writes its handle's precision).
 *
 * Dump files are written through pd_wfile (whole records only, cut back to
 * the last whole record when a write fails), not libpcap's stdio dumper,
 * which leaves a record cut in half on a full disk and reports nothing;
 * the file header is still libpcap's, written into memory by its dumper.
 */
#include <errno.h>
#include <net/if.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include <pathdiag/capture.h>
#include <pathdiag/wfile.h>

#include "capscan.h"
#include "pcapfast.h"

struct cap_src {
	pcap_t *p;
	bool nano;            /* p gives nanoseconds in ts.tv_usec */
	struct pd_wfile *dump;
	char dump_name[PD_CAP_NAME_MAX + 16];
	struct pd_cap_source_info info;
	/* offline: the frame read ahead */
	bool pending, eof;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	struct pcapfast fast; /* offline: records read past stdio and libpcap */
};

struct pd_cap {
	struct pd_cap_opts opts;
	char filter[1024];
	bool has_filter;
	unsigned n;
	bool live, offline;
	unsigned rr;   /* live: next source to try first */
	uint64_t seq;
	bool stopping;        /* pd_cap_stop was called */
	int64_t stop_ns;      /* its time (CLOCK_REALTIME) */
	struct timespec drain_end; /* live: CLOCK_MONOTONIC end of the drain */
	struct cap_src src[PD_CAP_MAX_SOURCES];
	char errbuf[PCAP_ERRBUF_SIZE + 2 * PD_CAP_NAME_MAX + 128];
};

struct pd_cap *pd_cap_new(const struct pd_cap_opts *opts)
{
	struct pd_cap *c = calloc(1, sizeof(*c));

	if (!c)
		return NULL;
	if (opts)
		c->opts = *opts;
	if (c->opts.snaplen <= 0)
		c->opts.snaplen = PD_CAP_DEFAULT_SNAPLEN;
	if (c->opts.buffer_size == 0)
		c->opts.buffer_size = PD_CAP_DEFAULT_BUFFER;
	if (c->opts.filter && c->opts.filter[0]) {
		snprintf(c->filter, sizeof(c->filter), "%s", c->opts.filter);
		c->has_filter = true;
	}
	c->opts.filter = NULL;
	return c;
}

/* Keep libpcap's message in the object and point err at it. */
static int cap_fail(struct pd_cap *c, struct pd_error *err, int code, const char *msg)
{
	snprintf(c->errbuf, sizeof(c->errbuf), "%s", msg);
	/* strip a trailing newline some libpcap messages carry */
	c->errbuf[strcspn(c->errbuf, "\n")] = '\0';
	return pd_fail(err, code, 0, c->errbuf);
}

static int cap_apply_filter(struct pd_cap *c, struct cap_src *s, struct pd_error *err)
{
	struct bpf_program prog;
	char msg[PCAP_ERRBUF_SIZE + 64];

	if (!c->has_filter)
		return 0;
	if (pcap_compile(s->p, &prog, c->filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		snprintf(msg, sizeof(msg), "filter: %s", pcap_geterr(s->p));
		return cap_fail(c, err, PD_ERR_INVAL, msg);
	}
	if (pcap_setfilter(s->p, &prog) < 0) {
		snprintf(msg, sizeof(msg), "filter: %s", pcap_geterr(s->p));
		pcap_freecode(&prog);
		return cap_fail(c, err, PD_ERR_INVAL, msg);
	}
	pcap_freecode(&prog);
	return 0;
}

static struct cap_src *cap_slot(struct pd_cap *c, const char *name, struct pd_error *err)
{
	struct cap_src *s;

	if (c->n >= PD_CAP_MAX_SOURCES) {
		cap_fail(c, err, PD_ERR_INVAL, "too many capture sources (at most 8)");
		return NULL;
	}
	s = &c->src[c->n];
	memset(s, 0, sizeof(*s));
	snprintf(s->info.name, sizeof(s->info.name), "%s", name);
	return s;
}

/* A classic pcap file whose magic says nanoseconds (either byte order).
 * pcapng keeps a resolution per interface that libpcap does not expose, and
 * standard input cannot be read at an offset: both count as microseconds,
 * which is what they were saved in before. */
static bool cap_file_nsec(pcap_t *p)
{
	FILE *f = pcap_file(p);
	uint8_t m[4];

	if (!f || fileno(f) < 0 || pread(fileno(f), m, sizeof(m), 0) != (ssize_t)sizeof(m))
		return false;
	return (m[0] == 0xa1 && m[1] == 0xb2 && m[2] == 0x3c && m[3] == 0x4d) ||
	       (m[0] == 0x4d && m[1] == 0x3c && m[2] == 0xb2 && m[3] == 0xa1);
}

int pd_cap_add_file(struct pd_cap *c, const char *path, struct pd_error *err)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct cap_src *s;
	int rc;

	if (!c || !path)
		return pd_fail(err, PD_ERR_INVAL, 0, "no capture file given");
	if (c->live)
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "capture files and live interfaces cannot be mixed");
	s = cap_slot(c, path, err);
	if (!s)
		return PD_ERR_INVAL;
	s->p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	if (!s->p)
		return cap_fail(c, err, errno == ENOENT ? PD_ERR_NOTFOUND : PD_ERR_MALFORMED,
				eb);
	s->nano = pcap_get_tstamp_precision(s->p) == PCAP_TSTAMP_PRECISION_NANO;
	s->info.nsec = cap_file_nsec(s->p);
	rc = cap_apply_filter(c, s, err);
	if (rc < 0) {
		pcap_close(s->p);
		s->p = NULL;
		return rc;
	}
	s->info.linktype = pcap_datalink(s->p);
	pcapfast_open(&s->fast, s->p, c->has_filter ? c->filter : NULL);
	c->offline = true;
	c->n++;
	return 0;
}

/* pcap_activate's result as a pd_status with a message naming the fix. */
static int cap_activate_fail(struct pd_cap *c, struct cap_src *s, int rc, struct pd_error *err)
{
	char msg[PCAP_ERRBUF_SIZE + 128];

	switch (rc) {
	case PCAP_ERROR_PERM_DENIED:
		return cap_fail(c, err, PD_ERR_PERM,
				"capturing on an interface needs CAP_NET_RAW (run as root or "
				"grant the capability)");
	case PCAP_ERROR_NO_SUCH_DEVICE:
		return cap_fail(c, err, PD_ERR_NOTFOUND, "no such interface");
	case PCAP_ERROR_IFACE_NOT_UP:
		return cap_fail(c, err, PD_ERR_INVAL, "interface is down");
	default:
		snprintf(msg, sizeof(msg), "%s", pcap_geterr(s->p));
		return cap_fail(c, err, PD_ERR_SYSTEM, msg[0] ? msg : pcap_statustostr(rc));
	}
}

int pd_cap_add_iface(struct pd_cap *c, const char *iface, struct pd_error *err)
{
	char eb[PCAP_ERRBUF_SIZE] = "";
	struct cap_src *s;
	int rc;

	if (!c || !iface)
		return pd_fail(err, PD_ERR_INVAL, 0, "no interface given");
	if (c->offline)
		return pd_fail(err, PD_ERR_INVAL, 0,
			       "capture files and live interfaces cannot be mixed");
	s = cap_slot(c, iface, err);
	if (!s)
		return PD_ERR_INVAL;
	s->p = pcap_create(iface, eb);
	if (!s->p)
		return cap_fail(c, err, PD_ERR_SYSTEM, eb);
	pcap_set_snaplen(s->p, c->opts.snaplen);
	pcap_set_promisc(s->p, c->opts.promisc);
	pcap_set_buffer_size(s->p, (int)(c->opts.buffer_size > 0x7fffffffu ? 0x7fffffffu
								     : c->opts.buffer_size));
	/* No immediate mode: libpcap then keeps TPACKET_V3, whose ring blocks
	 * hold frames at their real size.  In immediate mode it falls back to
	 * fixed slots of the snaplen (256 KiB by default), so a 32 MiB ring
	 * holds only ~128 frames and drops at modest rates.  A frame waits at
	 * most the block timeout (50 ms) before it can be read. */
	pcap_set_timeout(s->p, 50);
	/* Nanoseconds where libpcap offers them (Linux does); else micro. */
	s->nano = pcap_set_tstamp_precision(s->p, PCAP_TSTAMP_PRECISION_NANO) == 0;
	rc = pcap_activate(s->p);
	if (rc < 0) {
		rc = cap_activate_fail(c, s, rc, err);
		pcap_close(s->p);
		s->p = NULL;
		return rc;
	}
	rc = cap_apply_filter(c, s, err);
	if (rc == 0 && pcap_setnonblock(s->p, 1, eb) < 0)
		rc = cap_fail(c, err, PD_ERR_SYSTEM, eb);
	if (rc < 0) {
		pcap_close(s->p);
		s->p = NULL;
		return rc;
	}
	s->nano = pcap_get_tstamp_precision(s->p) == PCAP_TSTAMP_PRECISION_NANO;
	s->info.nsec = s->nano;
	s->info.live = true;
	s->info.linktype = pcap_datalink(s->p);
	c->live = true;
	c->n++;
	return 0;
}

/* The file header libpcap's dumper writes for handle dp, into h (24
 * bytes); false when it cannot be had. */
static int cap_dump_header(pcap_t *dp, uint8_t *h, size_t hlen, char *why, size_t whysz)
{
	char *mem = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&mem, &len);
	pcap_dumper_t *d;
	bool ok;

	snprintf(why, whysz, "out of memory");
	if (!f)
		return PD_ERR_NOMEM;
	d = pcap_dump_fopen(dp, f);
	if (!d) {
		/* libpcap refuses, e.g. a link type it cannot save (fuzz_capfile) */
		snprintf(why, whysz, "%s", pcap_geterr(dp));
		fclose(f);
		free(mem);
		return PD_ERR_SYSTEM;
	}
	pcap_dump_close(d); /* closes f: mem and len are final */
	ok = len == hlen;
	if (ok)
		memcpy(h, mem, hlen);
	free(mem);
	return ok ? 0 : PD_ERR_NOMEM;
}

/* Say why saving failed, naming the file and what it holds. */
static int cap_dump_fail(struct pd_cap *c, struct cap_src *s, struct pd_error *err,
			 const struct pd_error *werr)
{
	char msg[sizeof(c->errbuf)];

	s->info.save_failed = true;
	snprintf(msg, sizeof(msg), "%s: %s%s%s; the file holds the first %llu frames whole",
		 s->dump_name, werr->what ? werr->what : "writing failed",
		 werr->sys_errno ? ": " : "", werr->sys_errno ? strerror(werr->sys_errno) : "",
		 (unsigned long long)s->info.saved);
	cap_fail(c, err, PD_ERR_SYSTEM, msg);
	if (err)
		err->sys_errno = werr->sys_errno;
	return PD_ERR_SYSTEM;
}

int pd_cap_dump_open(struct pd_cap *c, const char *path, struct pd_error *err)
{
	struct pd_error werr = { 0 };
	uint8_t h[24];
	pcap_t *dp, *dead;
	char why[PCAP_ERRBUF_SIZE + 16];
	int rc;

	if (!c || !path)
		return pd_fail(err, PD_ERR_INVAL, 0, "no output file given");
	for (unsigned i = 0; i < c->n; i++) {
		struct cap_src *s = &c->src[i];

		if (i == 0)
			snprintf(s->dump_name, sizeof(s->dump_name), "%s", path);
		else
			snprintf(s->dump_name, sizeof(s->dump_name), "%s.%u", path, i);
		dp = s->p;
		dead = NULL;
		if (s->info.nsec != s->nano) {
			dead = pcap_open_dead_with_tstamp_precision(
				s->info.linktype, pcap_snapshot(s->p),
				s->info.nsec ? PCAP_TSTAMP_PRECISION_NANO
					     : PCAP_TSTAMP_PRECISION_MICRO);
			if (!dead)
				return cap_fail(c, err, PD_ERR_NOMEM, "out of memory");
			dp = dead;
		}
		rc = cap_dump_header(dp, h, sizeof(h), why, sizeof(why));
		if (dead)
			pcap_close(dead);
		if (rc < 0)
			return cap_fail(c, err, rc, why);
		if (pd_wfile_open(&s->dump, s->dump_name, &werr) < 0 ||
		    pd_wfile_put(s->dump, h, sizeof(h), NULL, 0, &werr) < 0 ||
		    pd_wfile_flush(s->dump, &werr) < 0) {
			pd_wfile_close(s->dump, NULL, NULL);
			s->dump = NULL;
			return cap_dump_fail(c, s, err, &werr);
		}
	}
	return 0;
}

unsigned pd_cap_count(const struct pd_cap *c)
{
	return c ? c->n : 0;
}

const struct pd_cap_source_info *pd_cap_info(const struct pd_cap *c, unsigned idx)
{
	if (!c || idx >= c->n)
		return NULL;
	return &c->src[idx].info;
}

/* The fraction of a second of the pending frame in ns, as libpcap gives it
 * (not normalised: a damaged file may hold any 32-bit value there). */
static int64_t cap_frac_ns(const struct cap_src *s)
{
	return s->nano ? (int64_t)s->hdr->ts.tv_usec : (int64_t)s->hdr->ts.tv_usec * 1000;
}

/* sec * unit + frac, saturated: a pcapng timestamp is 64 bits of any
 * unit, so a damaged file's seconds may not fit in int64_t nanoseconds
 * (found by fuzz_capfile). */
static int64_t cap_scale(int64_t sec, int64_t unit, int64_t frac)
{
	int64_t v;

	if (__builtin_mul_overflow(sec, unit, &v) || __builtin_add_overflow(v, frac, &v))
		return sec < 0 ? INT64_MIN : INT64_MAX;
	return v;
}

static int64_t cap_ts_ns(const struct cap_src *s)
{
	return cap_scale((int64_t)s->hdr->ts.tv_sec, 1000000000, cap_frac_ns(s));
}

/* Save the frame of source s (its header as libpcap's dumper writes it:
 * host byte order, the fraction in the file's precision). */
static int cap_save(struct pd_cap *c, struct cap_src *s, struct pd_error *err)
{
	struct pd_error werr = { 0 };
	int64_t frac = cap_frac_ns(s);
	uint32_t h[4];

	h[0] = (uint32_t)s->hdr->ts.tv_sec;
	if (s->info.nsec == s->nano)
		h[1] = (uint32_t)s->hdr->ts.tv_usec;
	else
		h[1] = (uint32_t)(s->info.nsec ? frac : frac / 1000);
	h[2] = s->hdr->caplen;
	h[3] = s->hdr->len;
	if (pd_wfile_put(s->dump, h, sizeof(h), s->data, s->hdr->caplen, &werr) < 0) {
		/* every unit after the file header is a frame */
		s->info.saved = pd_wfile_units(s->dump) ? pd_wfile_units(s->dump) - 1 : 0;
		pd_wfile_close(s->dump, NULL, NULL);
		s->dump = NULL;
		return cap_dump_fail(c, s, err, &werr);
	}
	return 0;
}

/* Return the pending frame of source i: saved first, so a frame returned
 * is a frame saved; a failed save returns the error instead. */
static int cap_fill(struct pd_cap *c, unsigned i, struct pd_cap_frame *f, struct pd_error *err)
{
	struct cap_src *s = &c->src[i];
	int64_t frac = cap_frac_ns(s);

	if (s->dump && cap_save(c, s, err) < 0)
		return PD_ERR_SYSTEM;
	s->info.frames++;
	c->seq++;
	f->source = i;
	f->frame = s->info.frames;
	f->seq = c->seq;
	/* the fraction truncated as libpcap truncates when it scales down */
	f->ts_usec = cap_scale((int64_t)s->hdr->ts.tv_sec, 1000000, frac / 1000);
	f->ts_nsec = cap_ts_ns(s);
	f->linktype = s->info.linktype;
	f->data = s->data;
	f->caplen = s->hdr->caplen;
	f->wirelen = s->hdr->len;
	return 1;
}

/* A pcapng file read to its end: count the blocks libpcap skipped. */
static void cap_scan_blocks(struct cap_src *s)
{
	FILE *f = pcap_file(s->p);
	struct capscan_result r;

	if (!f || fileno(f) < 0 || !capscan_pcapng(fileno(f), &r))
		return;
	s->info.unknown_blocks = r.unknown;
	s->info.unknown_type = r.first_type;
	s->info.unknown_offset = r.first_offset;
}

/* Read ahead one frame of an offline source.  0, or a read error. */
static int cap_fill_pending(struct pd_cap *c, struct cap_src *s, struct pd_error *err)
{
	char msg[PCAP_ERRBUF_SIZE + PD_CAP_NAME_MAX + 16];
	int rc;

	if (s->pending || s->eof)
		return 0;
	if (pcapfast_next(&s->fast, s->p, &s->hdr, &s->data) == 1) {
		s->pending = true;
		return 0;
	}
	errno = 0;
	rc = pcap_next_ex(s->p, &s->hdr, &s->data);
	if (rc == 1) {
		s->pending = true;
		return 0;
	}
	s->eof = true;
	/* A read from a pipe or FIFO cut short by a signal (the tools install
	 * SIGINT/SIGTERM without SA_RESTART to stop): the input is not damaged,
	 * the run is stopping.  The record in flight is lost with the stream
	 * position, so the source ends here. */
	if (rc == PCAP_ERROR && errno == EINTR) {
		s->info.interrupted = true;
		return 0;
	}
	cap_scan_blocks(s);
	if (rc == PCAP_ERROR) {
		s->info.damaged = true;
		snprintf(msg, sizeof(msg), "%s: %s", s->info.name, pcap_geterr(s->p));
		return cap_fail(c, err, PD_ERR_TRUNCATED, msg);
	}
	return 0;
}

static int cap_next_offline(struct pd_cap *c, struct pd_cap_frame *f, struct pd_error *err)
{
	int best = -1;
	int64_t best_ts = 0;

	if (c->n == 1) { /* one file: nothing to merge */
		int rc = cap_fill_pending(c, &c->src[0], err);

		if (rc < 0)
			return rc;
		if (!c->src[0].pending)
			return PD_CAP_EOF;
		c->src[0].pending = false;
		return cap_fill(c, 0, f, err);
	}

	for (unsigned i = 0; i < c->n; i++) {
		struct cap_src *s = &c->src[i];
		int64_t ts;
		int rc = cap_fill_pending(c, s, err);

		if (rc < 0)
			return rc;
		if (!s->pending)
			continue;
		ts = cap_ts_ns(s);
		if (best < 0 || ts < best_ts) {
			best = (int)i;
			best_ts = ts;
		}
	}
	if (best < 0)
		return PD_CAP_EOF;
	c->src[best].pending = false;
	return cap_fill(c, (unsigned)best, f, err);
}

static int64_t cap_clock_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* Milliseconds left of the drain (0: over). */
static int cap_drain_left_ms(const struct pd_cap *c)
{
	int64_t end = (int64_t)c->drain_end.tv_sec * 1000000000 + c->drain_end.tv_nsec;
	int64_t left = end - cap_clock_ns(CLOCK_MONOTONIC);

	return left <= 0 ? 0 : (int)((left + 999999) / 1000000);
}

/* A live source failed (PCAP_ERROR, or PCAP_ERROR_IFACE_NOT_UP when the
 * interface went down): an interface no longer there, or down, is "gone"
 * and PD_ERR_NOTFOUND, anything else PD_ERR_SYSTEM.  Either ends the
 * capture: reading it again would fail the same way. */
static int cap_live_fail(struct pd_cap *c, struct cap_src *s, int rc, struct pd_error *err)
{
	char msg[PCAP_ERRBUF_SIZE + PD_CAP_NAME_MAX + 96];
	const char *why = rc == PCAP_ERROR ? pcap_geterr(s->p) : pcap_statustostr(rc);

	if (rc == PCAP_ERROR_IFACE_NOT_UP || if_nametoindex(s->info.name) == 0) {
		s->info.gone = true;
		snprintf(msg, sizeof(msg), "%s: the interface %s during the capture (%s)",
			 s->info.name, rc == PCAP_ERROR_IFACE_NOT_UP ? "went down"
								     : "disappeared", why);
		return cap_fail(c, err, PD_ERR_NOTFOUND, msg);
	}
	snprintf(msg, sizeof(msg), "%s: %s", s->info.name, why);
	return cap_fail(c, err, PD_ERR_SYSTEM, msg);
}

static int cap_next_live(struct pd_cap *c, struct pd_cap_frame *f, int timeout_ms,
			 struct pd_error *err)
{
	struct pollfd pfd[PD_CAP_MAX_SOURCES];

	for (int pass = 0; pass < 2; pass++) {
		for (unsigned k = 0; k < c->n; k++) {
			unsigned i = (c->rr + k) % c->n;
			struct cap_src *s = &c->src[i];
			int rc = pcap_next_ex(s->p, &s->hdr, &s->data);

			/* draining: what was captured after the stop is not ours */
			while (rc == 1 && c->stopping && cap_ts_ns(s) > c->stop_ns)
				rc = pcap_next_ex(s->p, &s->hdr, &s->data);
			if (rc == 1) {
				c->rr = (i + 1) % c->n;
				return cap_fill(c, i, f, err);
			}
			/* 0: nothing now; PCAP_ERROR_BREAK: asked to stop */
			if (rc == PCAP_ERROR_BREAK)
				return 0;
			if (rc < 0)
				return cap_live_fail(c, s, rc, err);
		}
		if (pass == 1)
			break;
		for (unsigned i = 0; i < c->n; i++) {
			pfd[i].fd = pcap_get_selectable_fd(c->src[i].p);
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		if (poll(pfd, c->n, timeout_ms) <= 0)
			return 0; /* timeout, or EINTR from a signal */
	}
	return 0;
}

int pd_cap_next(struct pd_cap *c, struct pd_cap_frame *f, int timeout_ms,
		struct pd_error *err)
{
	int left;

	if (!c || !f)
		return pd_fail(err, PD_ERR_INVAL, 0, "no capture");
	if (c->n == 0)
		return PD_CAP_EOF;
	if (!c->live)
		return c->stopping ? PD_CAP_EOF : cap_next_offline(c, f, err);
	if (c->stopping) {
		left = cap_drain_left_ms(c);
		if (left == 0)
			return PD_CAP_EOF;
		if (timeout_ms < 0 || timeout_ms > left)
			timeout_ms = left;
	}
	return cap_next_live(c, f, timeout_ms, err);
}

int64_t pd_cap_stop(struct pd_cap *c)
{
	struct timespec now;

	if (!c)
		return 0;
	if (c->stopping)
		return c->stop_ns;
	c->stopping = true;
	c->stop_ns = cap_clock_ns(CLOCK_REALTIME);
	clock_gettime(CLOCK_MONOTONIC, &now);
	now.tv_nsec += (long)PD_CAP_DRAIN_MS * 1000000;
	now.tv_sec += now.tv_nsec / 1000000000;
	now.tv_nsec %= 1000000000;
	c->drain_end = now;
	return c->stop_ns;
}

void pd_cap_breakloop(struct pd_cap *c)
{
	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++)
		if (c->src[i].p)
			pcap_breakloop(c->src[i].p);
}

void pd_cap_refresh_stats(struct pd_cap *c)
{
	struct pcap_stat ps;

	if (!c)
		return;
	for (unsigned i = 0; i < c->n; i++) {
		struct cap_src *s = &c->src[i];

		if (!s->info.live || !s->p)
			continue;
		if (pcap_stats(s->p, &ps) < 0) {
			s->info.stats.valid = false;
			continue;
		}
		s->info.stats.valid = true;
		s->info.stats.received = ps.ps_recv;
		s->info.stats.dropped = ps.ps_drop;
		s->info.stats.if_dropped = ps.ps_ifdrop;
	}
}

int pd_cap_dump_close(struct pd_cap *c, struct pd_error *err)
{
	struct pd_error werr = { 0 };
	int rc = 0;

	if (!c)
		return 0;
	for (unsigned i = 0; i < c->n; i++) {
		struct cap_src *s = &c->src[i];
		struct pd_wfile *w = s->dump;
		int wrc;

		if (!w)
			continue;
		s->dump = NULL;
		wrc = pd_wfile_close(w, &s->info.saved, &werr);
		/* every unit after the file header is a frame */
		s->info.saved = s->info.saved ? s->info.saved - 1 : 0;
		if (wrc < 0 && rc == 0)
			rc = cap_dump_fail(c, s, err, &werr);
	}
	return rc;
}

void pd_cap_free(struct pd_cap *c)
{
	if (!c)
		return;
	pd_cap_dump_close(c, NULL);
	for (unsigned i = 0; i < c->n; i++) {
		pcapfast_close(&c->src[i].fast);
		if (c->src[i].p)
			pcap_close(c->src[i].p);
	}
	free(c);
}

const char *pd_cap_linktype_name(int linktype)
{
	const char *n = pcap_datalink_val_to_name(linktype);

	return n ? n : "unknown";
}
