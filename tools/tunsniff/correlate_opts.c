/* correlate_opts.c - the options of `tunsniff correlate A B` and `tunsniff
 * record`: their tables (which also write `tunsniff correlate --help` and
 * `tunsniff record --help`), handlers, and the checks of the whole command
 * line.  Parsed by the tool framework (tool_cmd_parse, tools/common/cli.c).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "correlate.h"

/* ---- correlate -------------------------------------------------------------------- */

enum { CORR_WINDOW = 1 };

const struct tool_opt tsn_correlate_opts[] = {
	{ "window", 0, "SECONDS", "how long a packet may take to arrive before it counts as "
				  "lost (default 2, 0.001 to 3600)", CORR_WINDOW },
	{ NULL },
};

int tsn_correlate_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg)
{
	struct tsn_corr_opts *o = ctx->priv;

	switch (opt->id) {
	case CORR_WINDOW:
		return tool_parse_seconds(ctx, "--window", arg, 0.001, 3600, &o->window);
	}
	return 0;
}

bool tsn_correlate_parse(struct tool_ctx *ctx, int argc, char **argv, struct tsn_corr_opts *o,
			 int *code)
{
	int first;

	memset(o, 0, sizeof(*o));
	o->window = 2.0;
	if (!tool_cmd_parse(ctx, argc, argv, o, &first, code))
		return false;
	if (argc - first != 2) {
		*code = tool_usage_error(ctx, "give two inputs, one capture or record file from "
					 "each end (A B)");
		return false;
	}
	o->in[0] = argv[first];
	o->in[1] = argv[first + 1];
	return true;
}

/* ---- record ----------------------------------------------------------------------- */

enum { REC_READ = 1, REC_IFACE, REC_RECORDS, REC_COUNT, REC_SECONDS, REC_FILTER };

const struct tool_opt tsn_record_opts[] = {
	{ NULL, 'r', "FILE", "read the packets from capture FILE (pcap or pcapng)", REC_READ },
	{ NULL, 'i', "IFACE", "capture live on IFACE (needs CAP_NET_RAW)",
	  REC_IFACE },
	{ "records", 0, "OUT", "write the record file OUT (required)", REC_RECORDS },
	{ NULL, 'c', "N", "stop after N frames", REC_COUNT },
	{ NULL, 'G', "SECONDS", "stop after SECONDS (fractions allowed)", REC_SECONDS },
	{ "filter", 'f', "FILTER", "read only packets matching the pcap-filter(7) expression",
	  REC_FILTER },
	{ NULL },
};

int tsn_record_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg)
{
	struct rec_opts *o = ctx->priv;
	char *end;

	switch (opt->id) {
	case REC_READ:
		o->rfile = arg;
		break;
	case REC_IFACE:
		o->iface = arg;
		break;
	case REC_RECORDS:
		o->out = arg;
		break;
	case REC_FILTER:
		o->filter = arg;
		break;
	case REC_COUNT:
		errno = 0;
		o->count = strtoull(arg, &end, 10);
		if (!*arg || *end || errno || arg[0] == '-' || !o->count)
			return tool_usage_error(ctx, "-c '%s' is not a packet count above 0", arg);
		break;
	case REC_SECONDS:
		return tool_parse_seconds(ctx, "-G", arg, 0.001, 86400 * 365, &o->secs);
	}
	return 0;
}

bool tsn_record_parse(struct tool_ctx *ctx, int argc, char **argv, struct rec_opts *o,
		      int *code)
{
	int first;

	memset(o, 0, sizeof(*o));
	if (!tool_cmd_parse(ctx, argc, argv, o, &first, code))
		return false;
	*code = PD_EXIT_UNKNOWN;
	if (first < argc)
		tool_usage_error(ctx, "unexpected argument '%s'", argv[first]);
	else if (!o->rfile == !o->iface)
		tool_usage_error(ctx, "give exactly one of -r FILE and -i IFACE");
	else if (!o->out)
		tool_usage_error(ctx, "--records OUT is required");
	else
		return true;
	return false;
}
