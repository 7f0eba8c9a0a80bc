/* ct_cmd.c - `nattrace conntrack` and `nattrace watch`: the conntrack table
 * of this network namespace over ctnetlink (pathdiag/conntrack.h, kernel
 * include/uapi/linux/netfilter/nfnetlink_conntrack.h).
 *
 * conntrack: one streaming dump; the parts of the filter the kernel can
 * apply (family, mark/mask, zone, exact tuple fields) go with the request,
 * the rest is checked here; nothing is kept per entry, so memory does not
 * grow with the table.
 * watch: a socket bound to the NEW/UPDATE/DESTROY groups, filtered here,
 * and a bounded view of the live entries that match (ct_view.h), seeded by
 * a silent dump once subscribed and kept up to date from the events.  When
 * the kernel drops events for us (ENOBUFS on the socket; NETLINK_NO_ENOBUFS
 * is never set, so a loss is always told) the loss is reported and the
 * current state is dumped (same filter) on a second handle and compared
 * with the view: entries that appeared, changed or went away meanwhile are
 * written as synthetic new/update/destroy events marked as resync, and
 * entries the view had no room for are listed as they are.
 *
 * Both need CAP_NET_ADMIN in the namespace: the kernel checks it when a
 * dump is requested and when the event groups are joined.  Every other
 * capability is dropped once the sockets are open; CAP_NET_ADMIN stays in
 * the effective set because a later (resync) dump request is checked again.
 * Entries are written through the renderers of ct_render.c only.
 */
#include <errno.h>
#include <linux/capability.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "ct_cmd.h"
#include "ct_view.h"

static volatile sig_atomic_t stop_signal;

static void on_signal(int sig)
{
	stop_signal = sig;
}

/* SIGINT/SIGTERM end the run cleanly (no SA_RESTART: poll returns EINTR). */
static void catch_signals(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

static uint64_t now_ns(clockid_t clk)
{
	struct timespec ts;

	clock_gettime(clk, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A library failure as the report's error. */
static void ct_fail(struct tool_report *r, int rc, const struct pd_error *err, const char *doing)
{
	char msg[200];

	if (rc == PD_ERR_PERM) {
		tool_report_fail(r, PD_EXIT_UNKNOWN,
				 "reading conntrack needs CAP_NET_ADMIN; run as root or with "
				 "CAP_NET_ADMIN in this network namespace");
		return;
	}
	tool_report_fail(r, PD_EXIT_UNKNOWN, "%s: %s", doing,
			 pd_error_message(err, msg, sizeof(msg)));
}

static void count_nat(struct nt_ct_totals *t, const struct pd_ct_entry *e)
{
	struct pd_ct_nat n;

	switch (pd_ct_nat(e, &n)) {
	case PD_CT_SNAT:
		t->nat_snat++;
		break;
	case PD_CT_DNAT:
		t->nat_dnat++;
		break;
	case PD_CT_SNAT | PD_CT_DNAT:
		t->nat_both++;
		break;
	default:
		t->nat_none++;
		break;
	}
}

/* Why a callback stopped a dump or a read. */
enum { STOP_SIGNAL = 1, STOP_WRITE = 2, STOP_COUNT = 3 };

struct ct_run {
	struct tool_ctx *ctx;
	struct nt_ct_opts *o;
	struct nt_stream *out;
	struct nt_ct_totals t;
	struct tool_report report;
	bool render;       /* anything goes to stdout */
	uint64_t ts_ns;    /* reception time of the current batch (watch) */
	struct nt_resync_counts rs; /* the current resync */
	struct nt_view view;        /* watch: the live entries that match */
};

/* ---- conntrack ------------------------------------------------------------------------------- */

static int dump_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;

	if (stop_signal)
		return STOP_SIGNAL;
	count_nat(&run->t, e);
	if (run->render) {
		nt_ct_render_entry(run->out, run->ctx, e, NT_CT_ENTRY, 0, run->t.matched == 0);
		if (run->out->err)
			return STOP_WRITE;
	}
	run->t.matched++;
	return 0;
}

/* Write errors end in one stderr line and exit 3 whatever the mode. */
static int finish(struct ct_run *run)
{
	nt_stream_flush(run->out);
	if (run->out->err) {
		tool_err(run->ctx, "cannot write to standard output: %s", strerror(run->out->err));
		return PD_EXIT_UNKNOWN;
	}
	if (!run->ctx->json && run->ctx->format != TOOL_FMT_NAGIOS && run->report.error[0])
		tool_err(run->ctx, "%s", run->report.error);
	return (int)tool_report_exit(&run->report);
}

static struct ct_run *run_new(struct tool_ctx *ctx, struct nt_ct_opts *o)
{
	struct ct_run *run = calloc(1, sizeof(*run));

	if (!run)
		return NULL;
	run->out = malloc(sizeof(*run->out));
	if (!run->out) {
		free(run);
		return NULL;
	}
	nt_stream_init(run->out, STDOUT_FILENO);
	run->ctx = ctx;
	run->o = o;
	tool_report_init(&run->report);
	run->render = ctx->json || !ctx->quiet;
	return run;
}

/* What both commands do first: options, run state, signals.  NULL with
 * *code when not to run. */
static struct ct_run *start(struct tool_ctx *ctx, int argc, char **argv, struct nt_ct_opts *o,
			    int *code)
{
	struct ct_run *run;

	if (!nt_ct_parse(ctx, argc, argv, o, code))
		return NULL;
	run = run_new(ctx, o);
	if (!run) {
		tool_err(ctx, "out of memory");
		*code = PD_EXIT_UNKNOWN;
		return NULL;
	}
	catch_signals();
	return run;
}

static void run_free(struct ct_run *run)
{
	nt_view_free(&run->view);
	free(run->out);
	free(run);
}

int nt_conntrack_main(struct tool_ctx *ctx, int argc, char **argv)
{
	struct pd_ct_dump_stats st = { 0 };
	struct pd_error err = { 0 };
	struct nt_ct_opts o;
	struct pd_ct *ct = NULL;
	struct ct_run *run;
	bool entries, dumped = false, monitor;
	int code, rc;

	run = start(ctx, argc, argv, &o, &code);
	if (!run)
		return code;
	monitor = ctx->format == TOOL_FMT_PROMETHEUS || ctx->format == TOOL_FMT_NAGIOS;
	if (monitor && !o.count_only) {
		run_free(run);
		return tool_usage_error(ctx, "--format %s needs --count (the counts are the "
					"metrics; entries are not)",
					ctx->format == TOOL_FMT_NAGIOS ? "nagios" : "prometheus");
	}
	entries = !o.count_only;
	run->render = run->render && entries;
	if (ctx->json && nt_ct_json_head(run->out, ctx, &o.filter, "conntrack", entries) < 0)
		tool_report_fail(&run->report, PD_EXIT_UNKNOWN, "out of memory");
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc < 0) {
		ct_fail(&run->report, rc, &err, "opening ctnetlink");
	} else if ((rc = tool_keep_only_capability(CAP_NET_ADMIN)) < 0) {
		tool_report_fail(&run->report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
	} else if (!run->report.error[0]) {
		rc = pd_ct_dump(ct, &o.filter, o.dump_flags, dump_entry, run, &st, &err);
		dumped = rc != PD_ERR_PERM;
		run->t.sent = st.messages;
		run->t.datagrams = st.datagrams;
		run->t.kfilter = st.kfilter_refused ? 0 : st.kfilter;
		run->t.kfilter_refused = st.kfilter_refused;
		run->t.interrupted = st.interrupted;
		if (rc == STOP_SIGNAL)
			tool_report_fail(&run->report, PD_EXIT_UNKNOWN,
					 "stopped by a signal after %llu entries; the listing is "
					 "incomplete", (unsigned long long)run->t.matched);
		else if (rc == STOP_WRITE)
			; /* reported by finish() */
		else if (rc < 0)
			ct_fail(&run->report, rc, &err, "conntrack dump");
	}
	pd_ct_close(ct);
	if (st.kfilter_refused)
		tool_report_add(&run->report, "kernel-filter-refused", PD_SEV_INFO, NULL,
				"the kernel refused the dump filter (older than Linux 5.8?); every "
				"entry was filtered here instead");
	if (st.interrupted)
		tool_report_add(&run->report, "dump-interrupted", PD_SEV_INFO, NULL,
				"the table changed during the dump (NLM_F_DUMP_INTR): an entry may "
				"be missing or shown twice");
	if (!run->out->err && monitor) {
		char filter[512];

		nt_ct_filter_label(argc, argv, filter, sizeof(filter));
		nt_ct_monitor_totals(run->out, ctx, &run->report, &run->t, filter);
	} else if (!run->out->err) {
		if (ctx->json) {
			if (nt_ct_json_tail(run->out, ctx, &run->report, &run->t, entries) < 0)
				tool_err(ctx, "out of memory writing the totals");
		} else if (!ctx->quiet && dumped) {
			nt_ct_text_totals(run->out, ctx, &run->report, &run->t, o.count_only);
		}
	}
	code = finish(run);
	run_free(run);
	return code;
}

/* ---- watch ----------------------------------------------------------------------------------- */

static int watch_event(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;

	if (!pd_ct_filter_match(&run->o->filter, e)) {
		/* It may have left the filter (a new mark, say): no longer
		 * followed, so not in the view either. */
		nt_view_forget(&run->view, e);
		return 0;
	}
	nt_view_event(&run->view, e);
	run->t.matched++;
	if (e->event == PD_CT_EV_NEW)
		run->t.ev_new++;
	else if (e->event == PD_CT_EV_DESTROY)
		run->t.ev_destroy++;
	else
		run->t.ev_update++;
	count_nat(&run->t, e);
	if (run->render) {
		nt_ct_render_entry(run->out, run->ctx, e, NT_CT_EVENT, run->ts_ns, false);
		if (run->out->err)
			return STOP_WRITE;
	}
	if (run->o->max_events && run->t.matched >= run->o->max_events)
		return STOP_COUNT;
	return 0;
}

static int show(struct ct_run *run, const struct pd_ct_entry *e, enum nt_ct_kind kind)
{
	if (run->render) {
		nt_ct_render_entry(run->out, run->ctx, e, kind, run->ts_ns, false);
		if (run->out->err)
			return STOP_WRITE;
	}
	return 0;
}

/* One entry of the resync dump against the view. */
static int resync_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;
	struct pd_ct_entry old;

	if (stop_signal)
		return STOP_SIGNAL;
	run->rs.entries++;
	switch (nt_view_seen(&run->view, e, &old)) {
	case NT_VIEW_SAME:
		return 0;
	case NT_VIEW_NEW:
		run->rs.new_++;
		return show(run, e, NT_CT_RESYNC_NEW);
	case NT_VIEW_CHANGED:
		run->rs.update++;
		return show(run, e, NT_CT_RESYNC_UPDATE);
	case NT_VIEW_REPLACED:
		/* The tuple was reused by another connection meanwhile. */
		run->rs.destroy++;
		run->rs.new_++;
		if (show(run, &old, NT_CT_RESYNC_DESTROY))
			return STOP_WRITE;
		return show(run, e, NT_CT_RESYNC_NEW);
	case NT_VIEW_NO_ROOM:
		break;
	}
	run->rs.untracked++;
	return show(run, e, NT_CT_RESYNC);
}

/* An entry of the view the resync dump did not contain: gone. */
static int resync_gone(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;

	run->rs.destroy++;
	return show(run, e, NT_CT_RESYNC_DESTROY);
}

static int seed_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;

	if (stop_signal)
		return STOP_SIGNAL;
	if (nt_view_seen(&run->view, e, NULL) != NT_VIEW_NO_ROOM)
		run->t.view_seeded++;
	return 0;
}

/* Read what the event socket holds until it is empty.  The kernel reports
 * an overrun once and then drops further events silently until the
 * receive queue has been emptied (NETLINK_S_CONGESTED, cleared when a read
 * leaves the queue empty); only after that does a new drop raise ENOBUFS
 * again.  So the queue is drained before the resync dump: every event
 * dropped from then on is reported and followed by another dump.  Bounded,
 * so that a flood cannot keep us here. */
static int drain(struct ct_run *run, struct pd_ct *ev, unsigned *lost)
{
	struct pd_error err = { 0 };
	unsigned before;
	int rc;

	for (int i = 0; i < 65536; i++) {
		before = *lost;
		run->ts_ns = now_ns(CLOCK_REALTIME);
		rc = pd_ct_events_read(ev, 0, watch_event, run, lost, &err);
		if (rc < 0) {
			ct_fail(&run->report, rc, &err, "reading conntrack events");
			return rc;
		}
		if (run->out->err)
			return STOP_WRITE;
		if (run->o->max_events && run->t.matched >= run->o->max_events)
			return STOP_COUNT;
		if (rc == 0 && *lost == before)
			break;
	}
	return 0;
}

/* After an overrun: the current state, through the dump handle. */
static int resync(struct ct_run *run, struct pd_ct *ev, struct pd_ct *dump, unsigned lost)
{
	struct pd_ct_dump_stats st = { 0 };
	struct pd_error err = { 0 };
	uint64_t t_lost = run->ts_ns;
	int rc;

	/* The events still queued come first; then the loss and the dump. */
	rc = drain(run, ev, &lost);
	run->t.overruns += lost;
	if (run->render)
		nt_watch_render_lost(run->out, run->ctx, lost, t_lost);
	if (rc)
		return rc;
	memset(&run->rs, 0, sizeof(run->rs));
	run->ts_ns = now_ns(CLOCK_REALTIME);
	nt_view_begin(&run->view);
	rc = pd_ct_dump(dump, &run->o->filter, run->o->dump_flags, resync_entry, run, &st, &err);
	if (rc < 0 && rc != STOP_WRITE && rc != STOP_SIGNAL)
		ct_fail(&run->report, rc, &err, "resynchronising after an overrun");
	/* What the view knew and a complete dump no longer holds is gone.
	 * After an interrupted dump (the table changed under it) an entry
	 * may be missing from it: the sweep waits for the next resync. */
	if (!rc && !st.interrupted)
		rc = nt_view_sweep(&run->view, resync_gone, run);
	if (st.interrupted)
		run->t.interrupted = true;
	run->t.rs_new += run->rs.new_;
	run->t.rs_update += run->rs.update;
	run->t.rs_destroy += run->rs.destroy;
	run->t.rs_untracked += run->rs.untracked;
	if (rc)
		return rc;
	run->t.resyncs++;
	run->t.resync_entries += run->rs.entries;
	if (run->render)
		nt_watch_render_resynced(run->out, run->ctx, &run->rs, now_ns(CLOCK_REALTIME));
	return 0;
}

/* Events until a signal, -c, -G or an error. */
static void watch_loop(struct ct_run *run, struct pd_ct *ev, struct pd_ct *dump)
{
	uint64_t start = now_ns(CLOCK_MONOTONIC), limit = 0, t;
	struct pd_error err = { 0 };
	struct pollfd pfd = { .fd = pd_ct_fd(ev), .events = POLLIN };
	int timeout, rc;

	if (run->o->seconds > 0)
		limit = (uint64_t)(run->o->seconds * 1e9);
	for (;;) {
		if (stop_signal) {
			run->t.stop_reason = "signal";
			return;
		}
		timeout = -1;
		if (limit) {
			t = now_ns(CLOCK_MONOTONIC) - start;
			if (t >= limit) {
				run->t.stop_reason = "duration";
				return;
			}
			timeout = (int)((limit - t + 999999) / 1000000);
		}
		rc = poll(&pfd, 1, timeout);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0) {
			tool_report_fail(&run->report, PD_EXIT_UNKNOWN,
					 "poll on the event socket: %s", strerror(errno));
			return;
		}
		if (rc == 0)
			continue;
		unsigned lost = 0;

		run->ts_ns = now_ns(CLOCK_REALTIME);
		rc = pd_ct_events_read(ev, 0, watch_event, run, &lost, &err);
		if (rc < 0) {
			ct_fail(&run->report, rc, &err, "reading conntrack events");
			return;
		}
		if (run->out->err)
			return;
		if (run->o->max_events && run->t.matched >= run->o->max_events) {
			run->t.stop_reason = "count";
			nt_stream_flush(run->out);
			return;
		}
		if (lost) {
			rc = resync(run, ev, dump, lost);
			if (rc == STOP_SIGNAL)
				continue;
			if (rc == STOP_COUNT)
				run->t.stop_reason = "count";
			if (rc) {
				nt_stream_flush(run->out);
				return;
			}
		}
		/* Live output: every batch goes out as it arrives. */
		if (nt_stream_flush(run->out))
			return;
	}
}

/* The view, seeded with what matches now (events queue meanwhile). */
static void seed_view(struct ct_run *run, struct pd_ct *ev, struct pd_ct *dump)
{
	struct pd_error err = { 0 };
	int rcvbuf = 0, rc;
	socklen_t len = sizeof(rcvbuf);

	if (getsockopt(pd_ct_fd(ev), SOL_SOCKET, SO_RCVBUF, &rcvbuf, &len) == 0 && rcvbuf > 0)
		run->t.rcvbuf = (uint64_t)rcvbuf;
	/* Without destroy events the view could only grow stale: resyncs
	 * then list the table instead. */
	if (!(run->o->groups & PD_CT_GRP_DESTROY))
		run->o->view_max = 0;
	if (nt_view_init(&run->view, (uint32_t)run->o->view_max) < 0) {
		tool_report_fail(&run->report, PD_EXIT_UNKNOWN, "out of memory");
		return;
	}
	run->t.view_max = run->view.max;
	if (!run->view.max)
		return;
	rc = pd_ct_dump(dump, &run->o->filter, run->o->dump_flags, seed_entry, run, NULL, &err);
	if (rc < 0)
		ct_fail(&run->report, rc, &err, "reading the conntrack table");
}

int nt_watch_main(struct tool_ctx *ctx, int argc, char **argv)
{
	struct pd_ct *ev = NULL, *dump = NULL;
	struct pd_error err = { 0 };
	struct pd_ct_opts co;
	struct nt_ct_opts o;
	struct ct_run *run;
	bool started = false;
	int code, rc;

	run = start(ctx, argc, argv, &o, &code);
	if (!run)
		return code;
	co.groups = o.groups;
	co.rcvbuf = o.rcvbuf;
	rc = pd_ct_open(&ev, &co, &err);
	if (rc < 0)
		ct_fail(&run->report, rc, &err, "subscribing to conntrack events");
	else if ((rc = pd_ct_open(&dump, NULL, &err)) < 0)
		ct_fail(&run->report, rc, &err, "opening ctnetlink");
	else if ((rc = tool_keep_only_capability(CAP_NET_ADMIN)) < 0)
		tool_report_fail(&run->report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
				 tool_privs_error(rc));
	if (!run->report.error[0])
		seed_view(run, ev, dump);
	if (!run->report.error[0] && stop_signal) {
		run->t.stop_reason = "signal";
		started = true;
	} else if (!run->report.error[0]) {
		if (run->render && nt_watch_render_start(run->out, ctx, &o.filter, &run->t) < 0)
			tool_report_fail(&run->report, PD_EXIT_UNKNOWN, "out of memory");
		else if (!nt_stream_flush(run->out))
			watch_loop(run, ev, dump);
		started = true;
	}
	pd_ct_close(ev);
	pd_ct_close(dump);
	if (run->t.overruns)
		tool_report_add(&run->report, "event-overrun", PD_SEV_WARNING, NULL,
				"%llu event overruns: the kernel dropped events; each was followed "
				"by a dump of the current state (a larger --buffer-size or a "
				"narrower --event list avoids them)",
				(unsigned long long)run->t.overruns);
	if (run->t.interrupted)
		tool_report_add(&run->report, "dump-interrupted", PD_SEV_INFO, NULL,
				"the table changed during a resync dump (NLM_F_DUMP_INTR): entries "
				"gone meanwhile are reported at the next resync");
	run->t.view_peak = run->view.peak;
	run->t.view_untracked = run->view.untracked;
	if (run->view.untracked)
		tool_report_add(&run->report, "view-full", PD_SEV_INFO, NULL,
				"%llu entries did not fit in the view (--view-max %llu): changes "
				"to them during an overrun are not detected; resyncs list them as "
				"they are", (unsigned long long)run->view.untracked,
				(unsigned long long)run->t.view_max);
	if (!run->out->err && (ctx->json || (!ctx->quiet && started)) &&
	    nt_watch_render_end(run->out, ctx, &run->report, &run->t) < 0)
		tool_err(ctx, "out of memory writing the summary");
	code = finish(run);
	run_free(run);
	return code;
}
