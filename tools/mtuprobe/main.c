/* main.c - mtuprobe: path MTU probing, in each direction: which packet sizes
 * cross a path and where larger ones vanish.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include "mtuprobe.h"

static const struct tool_render render = {
	.text = mtuprobe_render_text,
	.json = mtuprobe_render_json,
};

void mtuprobe_result_init(struct mtuprobe_result *res)
{
	tool_report_init(&res->report);
}

/* Any invocation that is not --help or --version: say plainly that this
 * build cannot do it yet, in the output mode asked for. */
static int mtuprobe_run(struct tool_ctx *ctx, int argc, char **argv)
{
	struct mtuprobe_result res;

	(void)argc;
	(void)argv;
	mtuprobe_result_init(&res);
	tool_report_fail(&res.report, PD_EXIT_UNKNOWN,
			 "path probing is not in this build yet (see --help)");
	return tool_emit(ctx, &res.report, &res, &render);
}

/* No subcommands exist in this build yet. */
static const struct tool_cmd cmds[] = {
	{ NULL },
};

static const struct tool_def def = {
	.name = "mtuprobe",
	.summary = "Path MTU probing: which packet sizes cross a path, in each direction,\n"
		   "and where larger ones vanish.",
	.status = "in progress: path probing is not in this build yet; this build answers\n"
		  "--help and --version and reports anything else as UNKNOWN (exit 3).",
	.cmds = cmds,
	.run = mtuprobe_run,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
