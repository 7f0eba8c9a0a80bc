/* main.c - tunsniff: tunnel capture analysis: decode encapsulated traffic,
 * infer tunnel overhead, flag TCP MSS values the path cannot carry.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include "tunsniff.h"
#include "correlate.h"

static const struct tool_render render = {
	.text = tunsniff_render_text,
	.json = tunsniff_render_json,
};

void tunsniff_result_init(struct tunsniff_result *res)
{
	tool_report_init(&res->report);
}

/* Any invocation that is not --help or --version: say plainly that this
 * build cannot do it yet, in the output mode asked for. */
static int tunsniff_run(struct tool_ctx *ctx, int argc, char **argv)
{
	struct tunsniff_result res;

	(void)argc;
	(void)argv;
	tunsniff_result_init(&res);
	tool_report_fail(&res.report, PD_EXIT_UNKNOWN,
			 "capture analysis is not in this build yet (see --help)");
	return tool_emit(ctx, &res.report, &res, &render);
}

static const struct tool_cmd cmds[] = {
	{ "correlate", tunsniff_correlate,
	  "match the tunnel packets of both ends: correlate [--window SECONDS] [--json] A B "
	  "(A, B: pcap/pcapng captures or record files)" },
	{ "record", tunsniff_record,
	  "write tunnel packet records: record -r FILE|-i IFACE --records OUT [-c N] "
	  "[-G SECONDS] [-f FILTER]" },
	{ NULL },
};

static const struct tool_def def = {
	.name = "tunsniff",
	.summary = "Tunnel capture analysis: decode encapsulated traffic, infer tunnel\n"
		   "overhead, flag TCP MSS values the path cannot carry.",
	.status = "in progress: capture analysis is not in this build yet; this build answers\n"
		  "--help and --version and reports anything else as UNKNOWN (exit 3).",
	.cmds = cmds,
	.run = tunsniff_run,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
