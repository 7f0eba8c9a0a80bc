/* main.c - nattrace: NAT and return-path tracing: explain DNAT/SNAT,
 * carrier-grade NAT, and replies that leave by another route.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include "nattrace.h"
#include "flow.h"

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

static const struct tool_cmd cmds[] = {
	{ "flow", nattrace_flow, "how this host routes a flow and its replies: policy rules, "
	  "route, conntrack NAT, reply path, rp_filter, forwarding",
	  nattrace_flow_opts, "SRC DST [PROTO SPORT DPORT] [--iif IFACE] [--mark M]",
	  nattrace_flow_opt },
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
