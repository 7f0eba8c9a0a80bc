/* sniff.c - tunsniff's run: open the sources, read frames until the input
 * ends or a count, a duration or SIGINT/SIGTERM stops it, dissect each one
 * and feed the analysis (pathdiag/tunstat.h), then turn its findings into
 * the report.  Nothing is printed here.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/dissect.h>

#include "tunsniff.h"

/* "frames 3, 7 (0.120 s, 0.480 s)"; with several sources "src1 #3". */
static void evidence(const struct tunsniff_result *res, const struct pd_ts_finding *f,
		     int64_t t0, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < f->nev && n + 48 < len; i++) {
		const struct pd_ts_frame_ref *r = &f->ev[i];
		double t = (double)(r->ts_usec - t0) / 1e6;

		if (res->nsources > 1)
			n += (size_t)snprintf(buf + n, len - n, "%s%s #%llu @%.3fs",
					      i ? ", " : "", res->src[r->source].name,
					      (unsigned long long)r->frame, t);
		else
			n += (size_t)snprintf(buf + n, len - n, "%sframe %llu @%.3fs",
					      i ? ", " : "", (unsigned long long)r->frame, t);
	}
}

/* Link types pd_dissect reads (pathdiag/link.h; DLT_RAW is 12 or 14). */
bool tunsniff_linktype_ok(int lt)
{
	switch (lt) {
	case PD_LINKTYPE_NULL:
	case PD_LINKTYPE_ETHERNET:
	case PD_LINKTYPE_RAW:
	case 12:
	case 14:
	case PD_LINKTYPE_LOOP:
	case PD_LINKTYPE_LINUX_SLL:
	case PD_LINKTYPE_IPV4:
	case PD_LINKTYPE_IPV6:
	case PD_LINKTYPE_LINUX_SLL2:
		return true;
	}
	return false;
}

static int open_sources(const struct tunsniff_opts *o, struct pd_cap *cap,
			struct tunsniff_result *res)
{
	struct pd_error err = { 0 };
	int rc;

	for (unsigned i = 0; i < o->nfile; i++)
		if (pd_cap_add_file(cap, o->file[i], &err) < 0) {
			const char *w = err.what ? err.what : "cannot read";

			/* libpcap names the file in some messages, not in others */
			if (strstr(w, o->file[i]))
				tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s", w);
			else
				tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s: %s",
						 o->file[i], w);
			return -1;
		}
	for (unsigned i = 0; i < o->niface; i++)
		if (pd_cap_add_iface(cap, o->iface[i], &err) < 0) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s: %s", o->iface[i],
					 err.what ? err.what : "cannot capture");
			return -1;
		}
	for (unsigned i = 0; i < pd_cap_count(cap); i++) {
		const struct pd_cap_source_info *si = pd_cap_info(cap, i);

		if (!tunsniff_linktype_ok(si->linktype)) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN,
					 "%s: link type %d is not supported (Ethernet, Linux "
					 "cooked, raw IP, null/loopback)",
					 si->name, si->linktype);
			return -1;
		}
	}
	/* the capture layer's message names the file */
	if (o->write && pd_cap_dump_open(cap, o->write, &err) < 0) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s",
				 err.what ? err.what : "cannot write");
		return -1;
	}
	/* Every input and the -w files are open: nothing needs a privilege
	 * any more (files given to -r too: the frames read are untrusted). */
	if ((rc = tool_drop_privileges()) < 0) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
		return -1;
	}
	return 0;
}

static void report_findings(struct tunsniff_result *res, int64_t t0)
{
	char ev[PD_FINDING_EVIDENCE_MAX];

	for (unsigned i = 0; i < res->tf.n; i++) {
		const struct pd_ts_finding *f = &res->tf.f[i];

		evidence(res, f, t0, ev, sizeof(ev));
		tool_report_add(&res->report, f->kind, f->severity, ev, "%s", f->message);
	}
}

void tunsniff_capture(const struct tunsniff_opts *o, struct tunsniff_result *res)
{
	struct pd_cap_opts co = {
		.snaplen = (int)o->snaplen,
		.buffer_size = o->buffer_mib << 20,
		.filter = o->filter,
	};
	struct pd_cap *cap = pd_cap_new(&co);
	struct pd_error err = { 0 };
	struct pd_cap_frame f;
	struct tsn_reader rd;
	struct pd_packet *pkt = malloc(sizeof(*pkt));
	int64_t t0 = 0, tlast = 0;
	uint64_t nframes = 0;
	char msg[512];
	int rc;

	res->write = o->write;
	res->st = malloc(sizeof(*res->st));
	if (!cap || !pkt || !res->st) {
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "out of memory");
		goto out;
	}
	pd_tunstat_init(res->st, o->max_tunnels);
	res->live = o->niface > 0;
	if (open_sources(o, cap, res) < 0)
		goto out;
	tunsniff_iface_info(o, res);
	res->analysed = true;
	/* a live -G and signals stop through the reader (which drains a live
	 * capture); -c and the -G of files, in capture time, stop here */
	tsn_reader_start(&rd, cap, res->live, o->duration);
	res->stop_reason = "end of input";
	for (;;) {
		if (o->count && nframes >= o->count) {
			res->stop_reason = "count";
			break;
		}
		rc = tsn_reader_next(&rd, &f, &err);
		if (rc == PD_CAP_EOF) {
			if (rd.stop_reason)
				res->stop_reason = rd.stop_reason;
			break;
		}
		/* a damaged file ends there with a warning; the others go on */
		if (rc < 0 && tsn_faults_damaged(&res->faults, &res->report, cap, &err))
			continue;
		/* an interface gone, a write error on -w: the report so far */
		if (rc < 0) {
			tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s",
					 err.what ? err.what : "read error");
			break;
		}
		if (nframes == 0)
			t0 = f.ts_usec;
		if (o->duration > 0 && !res->live &&
		    (double)(f.ts_usec - t0) / 1e6 > o->duration) {
			res->stop_reason = "duration";
			break;
		}
		nframes++;
		tlast = f.ts_usec;
		if (pd_tunstat_add_frame(res->st, f.source, f.frame, f.ts_usec, f.linktype, f.data,
					 f.caplen, f.wirelen, NULL, pkt) < 0) {
			res->malformed++;
			tsn_faults_frame(&res->faults, &f);
		}
	}
	tsn_reader_end(&rd);
	res->elapsed = (double)(tlast - t0) / 1e6;
	pd_cap_refresh_stats(cap);
	if (pd_cap_dump_close(cap, &err) < 0)
		tool_report_fail(&res->report, PD_EXIT_UNKNOWN, "%s",
				 err.what ? err.what : pd_error_message(&err, msg, sizeof(msg)));
	tsn_faults_finish(&res->faults, &res->report, cap);
	pd_tunstat_finish(res->st, o->tunnel_mtu, &res->tf);
	report_findings(res, t0);
out:
	res->nsources = cap ? pd_cap_count(cap) : 0;
	for (unsigned i = 0; i < res->nsources; i++)
		res->src[i] = *pd_cap_info(cap, i);
	pd_cap_free(cap);
	free(pkt);
}
