/* main.c - tunsniff: what a tunnel does to packet sizes, read from capture
 * files or live interfaces: per tunnel and direction the packets, sizes,
 * overhead and the tunnel MTU they imply, and findings (ICMP too-big about
 * tunnel packets, outer fragmentation, MSS a tunnel cannot carry, a
 * one-end blackhole signature) with the frames that prove them.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "tunsniff.h"
#include "correlate.h"

static const struct tool_render render = {
	.text = tunsniff_render_text,
	.json = tunsniff_render_json,
	.prometheus = tunsniff_render_prometheus,
	.nagios = tunsniff_render_nagios,
};

enum {
	OPT_IFACE = 1,
	OPT_READ,
	OPT_FILTER,
	OPT_WRITE,
	OPT_COUNT,
	OPT_DURATION,
	OPT_BUFFER,
	OPT_SNAPLEN,
	OPT_TUNNEL_MTU,
	OPT_MAX_TUNNELS,
};

static const struct tool_opt opts[] = {
	{ "interface", 'i', "IFACE", "capture live on IFACE (repeatable, e.g. the tunnel "
	  "and its underlay)", OPT_IFACE },
	{ "read", 'r', "FILE", "read a pcap or pcapng file (repeatable; merged in time "
	  "order)", OPT_READ },
	{ "filter", 'f', "EXPR", "BPF filter for every source (or give it as operands)",
	  OPT_FILTER },
	{ "write", 'w', "FILE", "save what was captured: source 1 to FILE, source N to "
	  "FILE.N-1 (pcap)", OPT_WRITE },
	{ "count", 'c', "N", "stop after N frames", OPT_COUNT },
	{ "duration", 'G', "SECONDS", "stop after SECONDS (files: of capture time)",
	  OPT_DURATION },
	{ "buffer-size", 'B', "MIB", "kernel capture buffer per interface (default 32)",
	  OPT_BUFFER },
	{ "snaplen", 's', "BYTES", "bytes kept of each frame (default 262144)", OPT_SNAPLEN },
	{ "tunnel-mtu", 0, "N", "tunnel MTU to judge TCP MSS values against when the "
	  "capture cannot tell", OPT_TUNNEL_MTU },
	{ "max-tunnels", 0, "N", "tunnels tracked (default and most 256)", OPT_MAX_TUNNELS },
	{ NULL },
};

static struct tunsniff_opts options = {
	.buffer_mib = 32,
};

void tunsniff_result_init(struct tunsniff_result *res)
{
	memset(res, 0, sizeof(*res));
	tool_report_init(&res->report);
}

static int number(struct tool_ctx *ctx, const char *name, const char *arg, unsigned long long lo,
		  unsigned long long hi, unsigned long long *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(arg, &end, 10);
	if (errno || end == arg || *end || arg[0] == '-' || v < lo || v > hi)
		return tool_usage_error(ctx, "%s must be a number from %llu to %llu, not '%s'",
					name, lo, hi, arg);
	*out = v;
	return 0;
}

static int on_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct tunsniff_opts *t = &options;
	unsigned long long v = 0;
	int rc = 0;

	switch (o->id) {
	case OPT_IFACE:
	case OPT_READ:
		if (t->niface + t->nfile >= TUNSNIFF_MAX_SOURCES)
			return tool_usage_error(ctx, "at most %d sources (-i and -r together)",
						TUNSNIFF_MAX_SOURCES);
		if (o->id == OPT_IFACE)
			t->iface[t->niface++] = arg;
		else
			t->file[t->nfile++] = arg;
		break;
	case OPT_FILTER:
		t->filter = arg;
		break;
	case OPT_WRITE:
		t->write = arg;
		break;
	case OPT_COUNT:
		rc = number(ctx, "-c", arg, 1, UINT64_MAX, &v);
		t->count = v;
		break;
	case OPT_DURATION:
		rc = tool_parse_seconds(ctx, "-G", arg, 0.001, 86400 * 365, &t->duration);
		break;
	case OPT_BUFFER:
		rc = number(ctx, "--buffer-size", arg, 1, 2047, &v);
		t->buffer_mib = (unsigned)v;
		break;
	case OPT_SNAPLEN:
		rc = number(ctx, "--snaplen", arg, 64, 262144, &v);
		t->snaplen = (unsigned)v;
		break;
	case OPT_TUNNEL_MTU:
		rc = number(ctx, "--tunnel-mtu", arg, 68, 65535, &v);
		t->tunnel_mtu = (unsigned)v;
		break;
	case OPT_MAX_TUNNELS:
		rc = number(ctx, "--max-tunnels", arg, 1, PD_TS_MAX_TUNNELS, &v);
		t->max_tunnels = (unsigned)v;
		break;
	}
	return rc;
}

/* Operands are a filter expression, as with tcpdump. */
static char *join_filter(int argc, char **argv)
{
	size_t len = 1;
	char *s;

	for (int i = 0; i < argc; i++)
		len += strlen(argv[i]) + 1;
	s = calloc(1, len);
	if (!s)
		return NULL;
	for (int i = 0; i < argc; i++) {
		if (i)
			strcat(s, " ");
		strcat(s, argv[i]);
	}
	return s;
}

static int tunsniff_run(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct tunsniff_result res;
	struct tunsniff_opts *o = &options;
	char *expr = NULL;
	int rc;

	if (o->niface && o->nfile)
		return tool_usage_error(ctx, "-i and -r cannot be mixed: capture live or "
					"read files");
	if (!o->niface && !o->nfile)
		return tool_usage_error(ctx, "nothing to read: give -i IFACE or -r FILE");
	if (argc > 0) {
		if (o->filter)
			return tool_usage_error(ctx, "give the filter either with -f or as "
						"operands, not both");
		expr = join_filter(argc, argv);
		if (!expr)
			return tool_usage_error(ctx, "out of memory");
		o->filter = expr;
	}
	tsn_signals_early();
	tunsniff_result_init(&res);
	tunsniff_capture(o, &res);
	rc = tool_emit(ctx, &res.report, &res, &render);
	tsn_faults_print(ctx, &res.faults);
	free(res.st);
	free(expr);
	return rc;
}

/* Subcommands: both tunnel ends matched (correlate), and record files. */
static const struct tool_cmd cmds[] = {
	{ "correlate", tunsniff_correlate,
	  "match the tunnel packets of both ends (A, B: pcap/pcapng captures or record files)",
	  tsn_correlate_opts, "A B", tsn_correlate_opt },
	{ "record", tunsniff_record, "write tunnel packet records from a capture or interface",
	  tsn_record_opts, "(-r FILE | -i IFACE) --records OUT", tsn_record_opt },
	{ NULL },
};

static const struct tool_def def = {
	.name = "tunsniff",
	.summary = "What a tunnel does to packet sizes: per tunnel and direction the\n"
		   "packets, sizes, overhead and implied tunnel MTU, and findings (ICMP\n"
		   "too-big, outer fragmentation, MSS too large, blackhole signature)\n"
		   "with the frames that prove them.",
	.operands = "[FILTER EXPRESSION]",
	.cmds = cmds,
	.opts = opts,
	.opt = on_opt,
	.run = tunsniff_run,
	.formats = TOOL_FMTS_MONITOR,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
