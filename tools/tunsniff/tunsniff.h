/* tunsniff.h - tunsniff's options, result and renderers.  Tunnel capture
 * analysis: what a tunnel does to packet sizes, from captures or live.
 */
#ifndef PATHDIAG_TUNSNIFF_H
#define PATHDIAG_TUNSNIFF_H

#include <pathdiag/capture.h>
#include <pathdiag/tunstat.h>

#include "tool.h"
#include "faults.h"

#define TUNSNIFF_MAX_SOURCES PD_CAP_MAX_SOURCES

struct tunsniff_opts {
	const char *iface[TUNSNIFF_MAX_SOURCES];
	unsigned niface;
	const char *file[TUNSNIFF_MAX_SOURCES];
	unsigned nfile;
	const char *filter;     /* -f, or the operands joined */
	const char *write;      /* -w */
	uint64_t count;         /* -c: stop after this many frames (0: no limit) */
	double duration;        /* -G: seconds (0: no limit) */
	unsigned buffer_mib;    /* --buffer-size, MiB */
	unsigned snaplen;
	unsigned tunnel_mtu;    /* --tunnel-mtu for the MSS check */
	unsigned max_tunnels;
};

/* What netlink says about an interface captured on (ifmtu.c). */
struct tunsniff_iface {
	bool known;             /* RTM_GETLINK answered */
	char kind[32];          /* IFLA_INFO_KIND, "" for none */
	uint32_t mtu;           /* configured on the interface (0: not given) */
	bool tunnel;            /* a tunnel kind: its MTU is the tunnel MTU */
	bool used_for_mss;      /* the MSS check judges SYNs captured there by it */
};

/* Everything one run of tunsniff found; the renderers read only this. */
struct tunsniff_result {
	struct tool_report report; /* error, findings, verdict */
	bool live;
	unsigned nsources;
	struct pd_cap_source_info src[TUNSNIFF_MAX_SOURCES];
	const char *stop_reason;   /* "end of input", "count", "duration", "signal" */
	double elapsed;            /* seconds between first and last frame */
	uint64_t malformed;        /* frames the dissector stopped early on */
	bool analysed;             /* the sources opened and reading began */
	struct pd_tunstat *st;
	struct pd_ts_findings tf;
	const char *write;
	struct tunsniff_iface iface[TUNSNIFF_MAX_SOURCES]; /* live sources */
	struct tsn_faults faults;  /* damaged input, as warnings (faults.h) */
};

void tunsniff_result_init(struct tunsniff_result *res);

/* capture.c of the tool: run the capture and the analysis into res. */
void tunsniff_capture(const struct tunsniff_opts *o, struct tunsniff_result *res);

/* ifmtu.c: read each live interface's kind and MTU; a tunnel interface's
 * MTU becomes its source's MTU for the MSS check. */
void tunsniff_iface_info(const struct tunsniff_opts *o, struct tunsniff_result *res);

/* sniff.c: the link types pd_dissect reads (Ethernet, Linux cooked v1/v2,
 * raw IP, null/loopback); correlate and record refuse others too. */
bool tunsniff_linktype_ok(int lt);

/* reader.c: read a capture until its end, SIGINT/SIGTERM, or (live) a
 * duration of wall time; a stopped live capture is drained (pd_cap_stop).
 * One reader at a time (the signal handler is process-wide). */
struct tsn_reader {
	struct pd_cap *cap;
	double duration;         /* live: seconds of wall time (0: no limit) */
	double start;            /* CLOCK_MONOTONIC seconds */
	const char *stop_reason; /* "signal", "duration", or NULL */
	int64_t stop_ns;         /* pd_cap_stop's time once stopped, else 0 */
};

/* Catch SIGINT and SIGTERM and start the clock; duration only counts for
 * live captures (files measure it in capture time, the caller's part). */
void tsn_reader_start(struct tsn_reader *r, struct pd_cap *cap, bool live, double duration);
/* pd_cap_next with the stop rules: 1 with *f, PD_CAP_EOF when the input or
 * the drain after a stop is over, or a negative pd_status (err filled). */
int tsn_reader_next(struct tsn_reader *r, struct pd_cap_frame *f, struct pd_error *err);
/* Reading is over (the handlers stay, and only set a flag). */
void tsn_reader_end(struct tsn_reader *r);

/* render_text.c / render_json.c */
void tunsniff_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *tunsniff_render_json(const struct tool_ctx *ctx, const void *result);

/* monitor.c: --format prometheus and nagios (docs/monitoring.md) */
void tunsniff_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out);
void tunsniff_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out);

#endif
