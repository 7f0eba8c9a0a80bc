/* correlate.h - `tunsniff correlate A B` and `tunsniff record`: both-ends
 * correlation of tunnel captures (pathdiag/correlate.h) and the record
 * files (pathdiag/tunrec.h, docs/records.md) each end can ship instead of
 * its capture.
 */
#ifndef PATHDIAG_TUNSNIFF_CORRELATE_H
#define PATHDIAG_TUNSNIFF_CORRELATE_H

#include <stdint.h>
#include <pathdiag/correlate.h>
#include <pathdiag/tunrec.h>

#include "tool.h"
#include "faults.h"

/* One input of correlate, or the input of record. */
struct tsn_input {
	const char *path;
	const char *format;      /* "pcap", "records", "live" */
	uint64_t frames;         /* frames read (pcap / live) */
	uint64_t tunnel;         /* tunnel packet records */
	uint64_t not_tunnel;     /* frames that are no tunnel packet */
	bool incomplete;         /* record file without its end record */
	uint64_t kernel_drops;   /* live: pcap_stats ps_drop + ps_ifdrop */
	bool drops_known;
};

struct tsn_corr_result {
	struct tool_report report;
	struct tsn_faults faults;    /* record: damaged input, as warnings */
	bool is_record;          /* the record subcommand's result */
	bool done;               /* the correlation (or recording) ran */
	struct tsn_input in[2];
	struct pd_corr_result corr;
	uint64_t window_ns;
	const char *out_path;    /* record: the file written */
	uint64_t written;        /* record: packet records written */
};

int tunsniff_correlate(struct tool_ctx *ctx, int argc, char **argv);
int tunsniff_record(struct tool_ctx *ctx, int argc, char **argv);

/* correlate_opts.c: the commands' options (struct tool_cmd: opts, opt) and
 * their command lines.  The parse functions return false with *code set
 * when the command must not run (--help answered, or a usage error). */
struct tsn_corr_opts {
	double window;           /* --window, seconds */
	const char *in[2];       /* A and B */
};

struct rec_opts {
	const char *rfile, *iface, *out, *filter; /* -r, -i, --records, -f */
	uint64_t count;                           /* -c: frames, 0 for no limit */
	double secs;                              /* -G, 0 for no limit */
};

extern const struct tool_opt tsn_correlate_opts[];
int tsn_correlate_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg);
bool tsn_correlate_parse(struct tool_ctx *ctx, int argc, char **argv, struct tsn_corr_opts *o,
			 int *code);

extern const struct tool_opt tsn_record_opts[];
int tsn_record_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg);
bool tsn_record_parse(struct tool_ctx *ctx, int argc, char **argv, struct rec_opts *o,
		      int *code);

/* correlate_render.c */
void tsn_corr_findings(struct tsn_corr_result *r);
void tsn_corr_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *tsn_corr_render_json(const struct tool_ctx *ctx, const void *result);

#endif
