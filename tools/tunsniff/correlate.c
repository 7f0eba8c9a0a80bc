/* correlate.c - `tunsniff correlate A B` (match each tunnel packet sent at
 * one end with its arrival at the other; pathdiag/correlate.h) and
 * `tunsniff record` (turn a capture or a live interface into a record file,
 * docs/records.md).  Inputs are pcap/pcapng files and live interfaces read
 * through the capture layer (pathdiag/capture.h: nanosecond timestamps, BPF
 * filter, kernel statistics, the drain of a stopped live capture), or
 * record files (told apart by their magic).  Results are rendered by
 * correlate_render.c.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pathdiag/dissect.h>
#include <pathdiag/wfile.h>

#include "correlate.h"
#include "tunsniff.h"

static const struct tool_render corr_render = {
	.text = tsn_corr_render_text,
	.json = tsn_corr_render_json,
};

#define REC_SNAPLEN 512 /* outer headers + PD_TUNREC_HASH_MAX inner bytes */

/* ---- inputs ------------------------------------------------------------------------- */

struct src {
	struct tsn_input *in;
	struct pd_corr_src *cs;
	FILE *fp;               /* record file */
	struct pd_tunrec_header hdr;
	struct pd_tunrec_eps eps;
	bool seen_end;
	uint64_t offset;        /* bytes read, for messages */
	struct pd_cap *cap;     /* capture */
	char msg[768];          /* why reading stopped */
};

/* A frame as a record: 1, or 0 when it is no tunnel packet; *cut (may be
 * NULL) says whether the snap length cut it before its headers ended. */
static int frame_rec_cut(const struct pd_cap_frame *f, struct pd_tunrec *rec, bool *cut)
{
	struct pd_packet pkt;
	int rc = pd_dissect(f->linktype, f->data, f->caplen, f->wirelen, NULL, &pkt);

	if (cut)
		*cut = rc < 0 && f->caplen < f->wirelen;
	return pd_tunrec_from_packet(&pkt, f->data, (uint64_t)f->ts_nsec, rec) == 1;
}

static int frame_rec(const struct pd_cap_frame *f, struct pd_tunrec *rec)
{
	return frame_rec_cut(f, rec, NULL);
}

/* libpcap's message without the capture layer's "PATH: " in front (the
 * callers name the input themselves). */
static void cap_msg(char *buf, size_t len, const char *path, const struct pd_error *err)
{
	const char *w = err->what ? err->what : "read error";
	size_t n = strlen(path);

	if (!strncmp(w, path, n) && !strncmp(w + n, ": ", 2))
		w += n + 2;
	snprintf(buf, len, "%s", w);
}

static int cap_next_rec(void *ctx, struct pd_tunrec *rec, struct pd_error *err)
{
	struct src *s = ctx;
	struct pd_cap_frame f;
	int rc;

	for (;;) {
		rc = pd_cap_next(s->cap, &f, 0, err);
		if (rc == PD_CAP_EOF)
			return 0;
		if (rc < 0) {
			cap_msg(s->msg, sizeof(s->msg), s->in->path, err);
			return pd_fail(err, PD_ERR_TRUNCATED, 0, "reading the capture failed");
		}
		if (rc == 0)
			continue;
		s->in->frames++;
		if (frame_rec(&f, rec)) {
			s->in->tunnel++;
			return 1;
		}
		s->in->not_tunnel++;
	}
}

static int recfile_next(void *ctx, struct pd_tunrec *rec, struct pd_error *err)
{
	struct src *s = ctx;
	uint8_t buf[PD_TUNREC_REC_MAX];
	struct pd_tunrec_item it;
	size_t n;
	int rc;

	for (;;) {
		n = fread(buf, 1, s->hdr.rec_len, s->fp);
		if (n == 0 && !ferror(s->fp)) {
			s->in->incomplete = !s->seen_end;
			return 0;
		}
		if (ferror(s->fp)) {
			snprintf(s->msg, sizeof(s->msg), "%s", strerror(errno));
			return pd_fail(err, PD_ERR_SYSTEM, (size_t)s->offset, "read error");
		}
		if (n < s->hdr.rec_len) {
			snprintf(s->msg, sizeof(s->msg),
				 "record file truncated: it ends inside the record at byte %llu",
				 (unsigned long long)s->offset);
			return pd_fail(err, PD_ERR_TRUNCATED, (size_t)s->offset, "record truncated");
		}
		rc = pd_tunrec_decode(&s->eps, buf, n, s->hdr.rec_len, &it, err);
		if (rc < 0) {
			snprintf(s->msg, sizeof(s->msg), "bad record at byte %llu: %s",
				 (unsigned long long)s->offset, err && err->what ? err->what : "?");
			return rc;
		}
		s->offset += n;
		if (it.type == PD_TUNREC_END) {
			s->seen_end = true;
			s->cs->end_ns = it.end_ns;
		} else if (it.type == PD_TUNREC_PACKET) {
			*rec = it.rec;
			s->in->tunnel++;
			return 1;
		}
	}
}

/* Open path as a record file or a capture.  0, or an exit code after
 * recording the failure in rep. */
static int src_open(struct src *s, struct tsn_input *in, struct pd_corr_src *cs, const char *side,
		    struct tool_report *rep)
{
	uint8_t magic[8], *hb;
	struct pd_error err = { 0 };
	int linktype;
	size_t n;
	uint16_t hl;

	memset(s, 0, sizeof(*s));
	s->in = in;
	s->cs = cs;
	cs->ctx = s;
	s->fp = fopen(in->path, "rb");
	if (!s->fp) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "%s: cannot open '%s': %s", side, in->path,
				 strerror(errno));
		return PD_EXIT_UNKNOWN;
	}
	n = fread(magic, 1, sizeof(magic), s->fp);
	if (n == sizeof(magic) && !memcmp(magic, PD_TUNREC_MAGIC, 8)) {
		in->format = "records";
		hb = malloc(65536);
		if (!hb) {
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "out of memory");
			return PD_EXIT_UNKNOWN;
		}
		memcpy(hb, magic, 8);
		n = 8 + fread(hb + 8, 1, PD_TUNREC_HDR_FIXED - 8, s->fp);
		if (pd_tunrec_header_decode(hb, n, &s->hdr, &err) == PD_ERR_TRUNCATED &&
		    n == PD_TUNREC_HDR_FIXED && s->hdr.hdr_len > n) {
			hl = s->hdr.hdr_len;
			n += fread(hb + n, 1, (size_t)hl - n, s->fp);
			memset(&err, 0, sizeof(err));
			pd_tunrec_header_decode(hb, n, &s->hdr, &err);
		}
		free(hb);
		if (err.code) {
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "%s: '%s': %s", side, in->path,
					 err.what ? err.what : "bad header");
			return PD_EXIT_UNKNOWN;
		}
		s->offset = s->hdr.hdr_len;
		cs->start_ns = s->hdr.start_ns;
		cs->next = recfile_next;
		return 0;
	}
	fclose(s->fp);
	s->fp = NULL;
	s->cap = pd_cap_new(NULL);
	if (!s->cap) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "out of memory");
		return PD_EXIT_UNKNOWN;
	}
	if (pd_cap_add_file(s->cap, in->path, &err) < 0) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "%s: '%s' is neither a capture nor a "
				 "tunsniff record file (%s)", side, in->path,
				 err.what ? err.what : pd_status_name(err.code));
		return PD_EXIT_UNKNOWN;
	}
	linktype = pd_cap_info(s->cap, 0)->linktype;
	if (!tunsniff_linktype_ok(linktype)) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "%s: '%s': link type %d is not supported "
				 "(Ethernet, Linux cooked, raw IP, null/loopback)", side, in->path,
				 linktype);
		return PD_EXIT_UNKNOWN;
	}
	in->format = "pcap";
	cs->next = cap_next_rec;
	return 0;
}

static void src_close(struct src *s)
{
	pd_cap_free(s->cap);
	if (s->fp)
		fclose(s->fp);
	s->cap = NULL;
	s->fp = NULL;
}

/* ---- correlate -------------------------------------------------------------------- */

int tunsniff_correlate(struct tool_ctx *ctx, int argc, char **argv)
{
	struct tsn_corr_opts co;
	struct tsn_corr_result *res;
	struct pd_corr_opts o = { 0 };
	struct pd_corr_src cs[2];
	struct src s[2];
	struct pd_error err = { 0 };
	int rc, i;

	if (!tsn_correlate_parse(ctx, argc, argv, &co, &rc))
		return rc;
	res = calloc(1, sizeof(*res));
	if (!res) {
		tool_err(ctx, "out of memory");
		return PD_EXIT_UNKNOWN;
	}
	tool_report_init(&res->report);
	res->window_ns = (uint64_t)(co.window * 1e9);
	memset(cs, 0, sizeof(cs));
	memset(s, 0, sizeof(s));
	for (i = 0; i < 2; i++)
		res->in[i].path = co.in[i];
	rc = src_open(&s[0], &res->in[0], &cs[0], "A", &res->report);
	if (!rc)
		rc = src_open(&s[1], &res->in[1], &cs[1], "B", &res->report);
	/* Both files are open: the records in them are read unprivileged. */
	if (!rc && (rc = tool_drop_privileges()) < 0)
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
	if (!rc) {
		o.window_ns = res->window_ns;
		rc = pd_corr_run(&o, &cs[0], &cs[1], &res->corr, &err);
		if (rc < 0) {
			const char *side = s[0].msg[0] ? "A" : "B";
			const struct src *bad = s[0].msg[0] ? &s[0] : &s[1];

			if (bad->msg[0])
				tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s: '%s': %s", side,
						 bad->in->path, bad->msg);
			else
				tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "correlation failed: %s",
						 err.what ? err.what : pd_status_name(rc));
		} else {
			res->done = true;
			tsn_corr_findings(res);
		}
	}
	src_close(&s[0]);
	src_close(&s[1]);
	rc = tool_emit(ctx, &res->report, res, &corr_render);
	pd_corr_result_free(&res->corr);
	free(res);
	return rc;
}

/* ---- record ----------------------------------------------------------------------- */

/* The record file is written in whole records (pathdiag/wfile.h): on a
 * full disk or a write error it is cut back to its last whole record and
 * the run fails naming it. */
struct writer {
	struct pd_wfile *wf;
	struct pd_tunrec_eps eps;
	bool hdr_done;
	uint64_t start_ns, last_ns, written;
	int linktype;
	const char *desc;
	int werr; /* errno of a failed write */
	struct tsn_input *in;
	struct tsn_faults *faults;
};

static void w_put(struct writer *w, const uint8_t *b, size_t n)
{
	struct pd_error err = { 0 };

	if (!w->werr && pd_wfile_put(w->wf, b, n, NULL, 0, &err) < 0)
		w->werr = err.sys_errno ? err.sys_errno : EIO;
}

static void w_header(struct writer *w, uint64_t start)
{
	uint8_t hb[PD_TUNREC_HDR_MAX];
	size_t n;

	if (w->hdr_done)
		return;
	w->hdr_done = true;
	w->start_ns = start;
	if (pd_tunrec_header_encode(start, (uint16_t)w->linktype, 0, w->desc, hb, sizeof(hb), &n,
				    NULL) == 0)
		w_put(w, hb, n);
}

static void w_frame(struct writer *w, const struct pd_cap_frame *f)
{
	struct pd_tunrec rec;
	uint8_t b[3 * PD_TUNREC_REC_LEN];
	size_t n;
	bool cut;
	int is_rec;

	w->in->frames++;
	w->last_ns = (uint64_t)f->ts_nsec;
	if (!w->hdr_done)
		w_header(w, w->last_ns);
	is_rec = frame_rec_cut(f, &rec, &cut);
	if (cut)
		tsn_faults_frame(w->faults, f);
	if (!is_rec) {
		w->in->not_tunnel++;
		return;
	}
	if (pd_tunrec_encode(&w->eps, &rec, b, sizeof(b), &n, NULL) == 0) {
		w_put(w, b, n);
		w->written++;
		w->in->tunnel++;
	}
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

/* Open the capture; 0 or an exit code after recording the failure. */
static int rec_open(const struct rec_opts *o, struct pd_cap **capp, struct tool_report *rep)
{
	struct pd_cap_opts co = {
		.snaplen = REC_SNAPLEN,
		.buffer_size = 32u << 20,
		.filter = o->filter,
	};
	struct pd_error err = { 0 };
	const char *w;
	struct pd_cap *cap = pd_cap_new(&co);
	int linktype;

	if (!cap) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "out of memory");
		return PD_EXIT_UNKNOWN;
	}
	*capp = cap;
	if (o->rfile && pd_cap_add_file(cap, o->rfile, &err) < 0) {
		w = err.what ? err.what : pd_status_name(err.code);
		if (!strncmp(w, "filter: ", 8))
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "filter '%s': %s", o->filter, w + 8);
		else
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "cannot read '%s': %s", o->rfile, w);
		return PD_EXIT_UNKNOWN;
	}
	if (o->iface && pd_cap_add_iface(cap, o->iface, &err) < 0) {
		w = err.what ? err.what : pd_status_name(err.code);
		if (err.code == PD_ERR_PERM)
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "capturing on %s needs CAP_NET_RAW; "
					 "run as root or grant tunsniff that capability", o->iface);
		else if (err.code == PD_ERR_NOTFOUND)
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "no interface '%s'", o->iface);
		else if (!strncmp(w, "filter: ", 8))
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "filter '%s': %s", o->filter, w + 8);
		else
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "cannot capture on '%s': %s", o->iface,
					 w);
		return PD_EXIT_UNKNOWN;
	}
	linktype = pd_cap_info(cap, 0)->linktype;
	if (!tunsniff_linktype_ok(linktype)) {
		tool_report_fail(rep, PD_EXIT_UNKNOWN, "'%s': link type %d is not supported "
				 "(Ethernet, Linux cooked, raw IP, null/loopback)",
				 o->rfile ? o->rfile : o->iface, linktype);
		return PD_EXIT_UNKNOWN;
	}
	return 0;
}

/* Capture until the count, the duration, the end of the file or a signal.
 * A live capture stopped by a signal or -G is drained (tsn_reader): every
 * frame stamped up to the stop is written, nothing later; *end_ns gets the
 * stop time then (0 otherwise).  -G of a file is capture time. */
static int rec_loop(struct pd_cap *cap, const struct rec_opts *o, struct writer *w,
		    uint64_t *end_ns, struct tool_report *rep)
{
	struct tsn_reader rd;
	struct pd_cap_frame f;
	struct pd_error err = { 0 };
	int64_t t0 = 0;
	char msg[768];
	int rc, ret = 0;

	tsn_reader_start(&rd, cap, o->iface != NULL, o->secs);
	while (!w->werr) {
		if (o->count && w->in->frames >= o->count)
			break;
		rc = tsn_reader_next(&rd, &f, &err);
		if (rc == PD_CAP_EOF)
			break;
		/* a damaged file: the records before the damage, a warning */
		if (rc < 0 && tsn_faults_damaged(w->faults, rep, cap, &err))
			break;
		if (rc < 0) {
			cap_msg(msg, sizeof(msg), o->rfile ? o->rfile : o->iface, &err);
			tool_report_fail(rep, PD_EXIT_UNKNOWN, "capture failed: %s", msg);
			ret = PD_EXIT_UNKNOWN;
			break;
		}
		if (w->in->frames == 0)
			t0 = f.ts_nsec;
		if (o->rfile && o->secs > 0 && (double)(f.ts_nsec - t0) / 1e9 > o->secs)
			break;
		w_frame(w, &f);
	}
	*end_ns = (uint64_t)rd.stop_ns;
	tsn_reader_end(&rd);
	return ret;
}

int tunsniff_record(struct tool_ctx *ctx, int argc, char **argv)
{
	struct tsn_corr_result *res;
	struct rec_opts o;
	struct writer w;
	struct pd_cap *cap = NULL;
	const struct pd_cap_source_info *si;
	uint64_t end_ns = 0;
	uint8_t b[PD_TUNREC_REC_LEN];
	size_t n;
	int rc;
	char desc[128];

	if (!tsn_record_parse(ctx, argc, argv, &o, &rc))
		return rc;
	tsn_signals_early();
	res = calloc(1, sizeof(*res));
	if (!res) {
		tool_err(ctx, "out of memory");
		return PD_EXIT_UNKNOWN;
	}
	tool_report_init(&res->report);
	res->is_record = true;
	res->out_path = o.out;
	res->in[0].path = o.rfile ? o.rfile : o.iface;
	res->in[0].format = o.rfile ? "pcap" : "live";
	memset(&w, 0, sizeof(w));
	w.in = &res->in[0];
	w.faults = &res->faults;
	rc = rec_open(&o, &cap, &res->report);
	/* The record file is created before privileges go, so the path is
	 * the invoking user's (a directory only root may write, say). */
	if (!rc) {
		struct pd_error werr = { 0 };

		if (pd_wfile_open(&w.wf, o.out, &werr) < 0) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "cannot create '%s': %s", o.out,
					 strerror(werr.sys_errno));
			rc = PD_EXIT_UNKNOWN;
		}
	}
	if (!rc) {
		int e = tool_drop_privileges();

		if (e < 0) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
					 tool_privs_error(e));
			rc = PD_EXIT_UNKNOWN;
		}
	}
	if (!rc) {
		w.linktype = pd_cap_info(cap, 0)->linktype;
		snprintf(desc, sizeof(desc), "tunsniff %s %s %s", PD_VERSION,
			 o.iface ? "-i" : "-r", o.iface ? o.iface : o.rfile);
		w.desc = desc;
		if (o.iface)
			w_header(&w, now_ns(CLOCK_REALTIME));
		rc = rec_loop(cap, &o, &w, &end_ns, &res->report);
		if (o.iface) {
			/* a stopped capture holds every frame up to the stop */
			w.last_ns = end_ns ? end_ns : now_ns(CLOCK_REALTIME);
			pd_cap_refresh_stats(cap);
			si = pd_cap_info(cap, 0);
			if (si->stats.valid) {
				res->in[0].kernel_drops = si->stats.dropped + si->stats.if_dropped;
				res->in[0].drops_known = true;
			}
		}
		w_header(&w, w.last_ns);
		if (pd_tunrec_encode_end(w.last_ns, w.written, (uint32_t)res->in[0].kernel_drops,
					 b, sizeof(b), &n, NULL) == 0)
			w_put(&w, b, n);
		{
			struct pd_error werr = { 0 };
			bool cut = pd_wfile_truncated(w.wf);

			if (pd_wfile_close(w.wf, NULL, &werr) < 0 && !w.werr) {
				w.werr = werr.sys_errno ? werr.sys_errno : EIO;
				cut = false;
			}
			/* a failure replaces any capture error: the file is what
			 * the user kept */
			if (w.werr) {
				res->report.error[0] = '\0';
				tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
						 "writing '%s' failed: %s; %s", o.out,
						 strerror(w.werr),
						 cut ? "the file was cut back to its last whole "
						       "record and has no end record"
						     : "the file may end inside a record");
				rc = PD_EXIT_UNKNOWN;
			}
		}
		res->written = w.written;
		res->done = !rc;
	}
	if (cap)
		tsn_faults_finish(&res->faults, &res->report, cap);
	pd_cap_free(cap);
	if (res->done && res->in[0].drops_known && res->in[0].kernel_drops)
		tool_report_add(&res->report, "capture-drops", PD_SEV_WARNING, NULL,
				"the kernel dropped %llu packets during the capture: records "
				"are missing, and correlate will count them lost",
				(unsigned long long)res->in[0].kernel_drops);
	rc = tool_emit(ctx, &res->report, res, &corr_render);
	tsn_faults_print(ctx, &res->faults);
	free(res);
	return rc;
}
