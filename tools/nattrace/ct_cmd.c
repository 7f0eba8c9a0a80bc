/* ct_cmd.c - `nattrace conntrack` and `nattrace watch`: the conntrack table
 * of this network namespace over ctnetlink (pathdiag/conntrack.h, kernel
 * include/uapi/linux/netfilter/nfnetlink_conntrack.h).
 *
 * conntrack: one streaming dump; the parts of the filter the kernel can
 * apply (family, mark/mask, zone, exact tuple fields) go with the request,
 * the rest is checked here; nothing is kept per entry, so memory does not
 * grow with the table.
 * watch: a socket bound to the NEW/UPDATE/DESTROY groups, filtered here.
 * When the kernel drops events for us (ENOBUFS on the socket) the loss is
 * reported and the current state is dumped (same filter) on a second
 * handle, each entry marked as a resync.
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
#include <time.h>
#include <unistd.h>

#include "ct_cmd.h"

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
	uint64_t resynced; /* entries of the current resync dump */
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

	if (!pd_ct_filter_match(&run->o->filter, e))
		return 0;
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

static int resync_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_run *run = vctx;

	if (stop_signal)
		return STOP_SIGNAL;
	run->resynced++;
	if (run->render) {
		nt_ct_render_entry(run->out, run->ctx, e, NT_CT_RESYNC, run->ts_ns, false);
		if (run->out->err)
			return STOP_WRITE;
	}
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
	run->resynced = 0;
	run->ts_ns = now_ns(CLOCK_REALTIME);
	rc = pd_ct_dump(dump, &run->o->filter, run->o->dump_flags, resync_entry, run, NULL, &err);
	if (rc == STOP_WRITE || rc == STOP_SIGNAL)
		return rc;
	if (rc < 0) {
		ct_fail(&run->report, rc, &err, "resynchronising after an overrun");
		return rc;
	}
	run->t.resyncs++;
	run->t.resync_entries += run->resynced;
	if (run->render)
		nt_watch_render_resynced(run->out, run->ctx, run->resynced, now_ns(CLOCK_REALTIME));
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
	if (!run->report.error[0]) {
		if (run->render && nt_watch_render_start(run->out, ctx, &o.filter) < 0)
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
				"by a dump of the current state (a larger --rcvbuf or a narrower "
				"--event list avoids them)", (unsigned long long)run->t.overruns);
	if (!run->out->err && (ctx->json || (!ctx->quiet && started)) &&
	    nt_watch_render_end(run->out, ctx, &run->report, &run->t) < 0)
		tool_err(ctx, "out of memory writing the summary");
	code = finish(run);
	run_free(run);
	return code;
}
