/* tunsniff.h - tunsniff's options, result and renderers.  Tunnel capture
 * analysis: what a tunnel does to packet sizes, from captures or live.
 */
#ifndef PATHDIAG_TUNSNIFF_H
#define PATHDIAG_TUNSNIFF_H

#include <pathdiag/capture.h>
#include <pathdiag/tunstat.h>

#include "tool.h"

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
};

void tunsniff_result_init(struct tunsniff_result *res);

/* capture.c of the tool: run the capture and the analysis into res. */
void tunsniff_capture(const struct tunsniff_opts *o, struct tunsniff_result *res);

/* render_text.c / render_json.c */
void tunsniff_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *tunsniff_render_json(const struct tool_ctx *ctx, const void *result);

#endif
