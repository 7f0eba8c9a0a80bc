/* ct_cmd.h - `nattrace conntrack` (a streaming, filtered dump of the
 * conntrack table) and `nattrace watch` (live conntrack events): options,
 * run state, and the streaming renderers.  Both read ctnetlink through
 * pathdiag/conntrack.h and need CAP_NET_ADMIN in the network namespace.
 *
 * Output streams: entries are formatted into a 64 KiB buffer that is
 * written when full and at the end (conntrack) or after every batch of
 * events (watch), so memory stays flat whatever the table size.  See
 * docs/nattrace.1, sections CONNTRACK and WATCH.
 */
#ifndef PATHDIAG_NATTRACE_CT_CMD_H
#define PATHDIAG_NATTRACE_CT_CMD_H

#include <stdbool.h>
#include <stdint.h>

#include <pathdiag/conntrack.h>

#include "tool.h"

/* The command-table entries for tools/nattrace/main.c. */
#define NT_CT_CMD_CONNTRACK                                                              \
	{ "conntrack", nt_conntrack_main,                                                \
	  "stream the conntrack table, filtered, with the NAT of each entry spelled out", \
	  nt_conntrack_opts, "[ADDR[/LEN]]", nt_ct_opt, TOOL_FMTS_MONITOR }
#define NT_CT_CMD_WATCH                                                                 \
	{ "watch", nt_watch_main,                                                       \
	  "follow conntrack events (new, update, destroy) live, with their NAT",        \
	  nt_watch_opts, "[ADDR[/LEN]]", nt_ct_opt }

/* ---- options (ct_opts.c) ------------------------------------------------------------------ */

struct nt_ct_opts {
	struct pd_ct_filter filter;
	unsigned dump_flags;   /* PD_CT_DUMP_NO_KFILTER */
	bool count_only;       /* conntrack --count */
	unsigned long max_events; /* watch -c; 0: no limit */
	double seconds;        /* watch -G; 0: no limit */
	int rcvbuf;            /* watch --buffer-size/--rcvbuf; 0: the library's default */
	unsigned groups;       /* watch --event: PD_CT_GRP_* */
	unsigned long view_max; /* watch --view-max: entries the view keeps */
};

extern const struct tool_opt nt_conntrack_opts[];
extern const struct tool_opt nt_watch_opts[];
int nt_ct_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);
/* Defaults, the options, the operand: false with *code when not to run. */
bool nt_ct_parse(struct tool_ctx *ctx, int argc, char **argv, struct nt_ct_opts *o, int *code);

/* ---- the commands (ct_cmd.c) --------------------------------------------------------------- */

int nt_conntrack_main(struct tool_ctx *ctx, int argc, char **argv);
int nt_watch_main(struct tool_ctx *ctx, int argc, char **argv);

/* Counts of one run: what the renderers print as totals. */
struct nt_ct_totals {
	uint64_t sent;      /* entries the kernel sent (dumps) */
	uint64_t matched;   /* entries shown */
	uint64_t datagrams;
	uint64_t nat_snat, nat_dnat, nat_both, nat_none; /* of the matched */
	unsigned kfilter;   /* PD_CTF_* the kernel applied */
	bool kfilter_refused;
	bool interrupted;   /* NLM_F_DUMP_INTR */
	/* watch */
	uint64_t ev_new, ev_update, ev_destroy;
	uint64_t overruns;  /* ENOBUFS seen on the event socket */
	uint64_t resyncs, resync_entries;
	/* watch: what the resyncs found against the view (ct_view.h) */
	uint64_t rs_new, rs_update, rs_destroy, rs_untracked;
	uint64_t view_max, view_seeded, view_peak, view_untracked;
	uint64_t rcvbuf;    /* SO_RCVBUF of the event socket as the kernel set it */
	const char *stop_reason; /* watch: "signal", "count", "duration" */
};

/* ---- streaming output (ct_render.c) ---------------------------------------------------------- */

#define NT_OUT_CAP 65536

/* A bounded output buffer on a file descriptor.  err is the errno of the
 * first failed write; after it nothing more is written. */
struct nt_stream {
	char buf[NT_OUT_CAP];
	size_t len;
	int fd;
	int err;
	uint64_t written; /* bytes handed to write(2) successfully */
};

void nt_stream_init(struct nt_stream *s, int fd);
/* Write what is buffered; returns 0 or the errno of the failure. */
int nt_stream_flush(struct nt_stream *s);
void nt_stream_printf(struct nt_stream *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void nt_stream_put(struct nt_stream *s, const char *p, size_t n);

/* What a rendered entry is: a dump entry, an event (e->event), an entry of
 * the dump that follows an overrun which the view could not compare
 * (RESYNC), or a change that dump revealed against the view: appeared,
 * changed, or gone (RESYNC_NEW/UPDATE/DESTROY). */
enum nt_ct_kind {
	NT_CT_ENTRY,
	NT_CT_EVENT,
	NT_CT_RESYNC,
	NT_CT_RESYNC_NEW,
	NT_CT_RESYNC_UPDATE,
	NT_CT_RESYNC_DESTROY,
};

/* One entry: text "LINE SNAT a:p -> b:p DNAT ..." (events and resync
 * entries prefixed by the time and "[NEW]"/"[RESYNC]"), or one JSON
 * object (for watch, one NDJSON line).  first: no comma before it (the
 * document's array). ts_ns: wall time of reception, for events. */
void nt_ct_render_entry(struct nt_stream *s, const struct tool_ctx *ctx,
			const struct pd_ct_entry *e, enum nt_ct_kind kind, uint64_t ts_ns,
			bool first);

/* conntrack --json: the document's head up to and including "entries":[ .
 * Returns 0, or -1 when out of memory. */
int nt_ct_json_head(struct nt_stream *s, const struct tool_ctx *ctx, const struct pd_ct_filter *f,
		    const char *command, bool with_entries);
/* The rest: the entries array closed (if opened), totals and the common
 * fields of the report (verdict, exit_code, error, findings).  -1 when out
 * of memory. */
int nt_ct_json_tail(struct nt_stream *s, const struct tool_ctx *ctx, const struct tool_report *r,
		    const struct nt_ct_totals *t, bool with_entries);
/* The text summary line of a dump (or, with --count, the counts), then the
 * report's findings. */
void nt_ct_text_totals(struct nt_stream *s, const struct tool_ctx *ctx, const struct tool_report *r,
		       const struct nt_ct_totals *t, bool count_only);

/* watch: the start line (JSON only), an overrun, the end of a resync, and
 * the closing line (text: a summary; JSON: the report object). */
int nt_watch_render_start(struct nt_stream *s, const struct tool_ctx *ctx,
			  const struct pd_ct_filter *f, const struct nt_ct_totals *t);
void nt_watch_render_lost(struct nt_stream *s, const struct tool_ctx *ctx, unsigned lost,
			  uint64_t ts_ns);
/* One resync's result: entries in the table now, and the changes. */
struct nt_resync_counts {
	uint64_t entries, new_, update, destroy, untracked;
};
void nt_watch_render_resynced(struct nt_stream *s, const struct tool_ctx *ctx,
			      const struct nt_resync_counts *c, uint64_t ts_ns);
int nt_watch_render_end(struct nt_stream *s, const struct tool_ctx *ctx,
			const struct tool_report *r, const struct nt_ct_totals *t);

/* monitor.c: `conntrack --count --format prometheus|nagios`.  The label
 * that tells runs apart: the command's arguments after "conntrack" without
 * the output options; and the counts (or the failure) in that format. */
void nt_ct_filter_label(int argc, char **argv, char *buf, size_t len);
void nt_ct_monitor_totals(struct nt_stream *s, const struct tool_ctx *ctx,
			  const struct tool_report *r, const struct nt_ct_totals *t,
			  const char *filter);

/* Names of the PD_CTF_* bits in mask joined by ',' ("mark,zone"), "none". */
const char *nt_ct_filter_names(unsigned mask, char *buf, size_t len);

#endif
