/* main.c - nattrace: NAT and return-path tracing: explain DNAT/SNAT,
 * carrier-grade NAT, and replies that leave by another route.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include "nattrace.h"
#include "ct_cmd.h"

static const struct tool_render render = {
	.text = nattrace_render_text,
	.json = nattrace_render_json,
};

void nattrace_result_init(struct nattrace_result *res)
{
	tool_report_init(&res->report);
}

/* Any invocation that is not --help or --version: say plainly that this
 * build cannot do it yet, in the output mode asked for. */
static int nattrace_run(struct tool_ctx *ctx, int argc, char **argv)
{
	struct nattrace_result res;

	(void)argc;
	(void)argv;
	nattrace_result_init(&res);
	tool_report_fail(&res.report, PD_EXIT_UNKNOWN,
			 "NAT and return-path tracing is not in this build yet (see --help)");
	return tool_emit(ctx, &res.report, &res, &render);
}

/* No subcommands exist in this build yet. */
static const struct tool_cmd cmds[] = {
	NT_CT_CMD_CONNTRACK,
	NT_CT_CMD_WATCH,
	{ NULL },
};

static const struct tool_def def = {
	.name = "nattrace",
	.summary = "NAT and return-path tracing: explain DNAT/SNAT, carrier-grade NAT,\n"
		   "and replies that leave by another route.",
	.status = "in progress: NAT and return-path tracing is not in this build yet; this\n"
		  "build answers --help and --version and reports anything else as\n"
		  "UNKNOWN (exit 3).",
	.cmds = cmds,
	.run = nattrace_run,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
