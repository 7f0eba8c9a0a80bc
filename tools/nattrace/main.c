/* main.c - nattrace: NAT and return-path tracing: explain DNAT/SNAT,
 * carrier-grade NAT, and replies that leave by another route.
 * The command and option tables below also produce --help; the result is
 * rendered by render_text.c and render_json.c, never printed from here.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "nattrace.h"

/* --peer (nat_peer.h, peer.c). */
enum {
	OPT_PEER = 100,
	OPT_PEER_PORT,
	OPT_PEER_ADDR,
	OPT_HAIRPIN,
};

static const struct tool_opt opts[] = {
	{ "peer", 0, NULL, "HOST runs `mtuprobe serve`: NAT present, mapping, port "
			   "preservation and carrier-grade NAT from what it saw", OPT_PEER },
	{ "peer-port", 0, "PORT", "with --peer: a responder UDP port (default 20548; "
				  "repeatable, up to 4: two tell the mapping)", OPT_PEER_PORT },
	{ "peer-addr", 0, "ADDR", "with --peer: another numeric address of the same responder "
				  "(repeatable, up to 4: endpoint-independent vs address-"
				  "dependent)", OPT_PEER_ADDR },
	{ "hairpin", 0, NULL, "with --peer: test hairpinning from a second local socket",
	  OPT_HAIRPIN },
	{ NULL },
};

static struct nattrace_peer_opts peer_opts;

static int on_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct nattrace_peer_opts *po = &peer_opts;
	unsigned long v;
	char *end;

	switch (o->id) {
	case OPT_PEER:
		po->enabled = true;
		break;
	case OPT_PEER_PORT:
		errno = 0;
		v = strtoul(arg, &end, 10);
		if (errno || end == arg || *end || arg[0] == '-' || v < 1 || v > 65535)
			return tool_usage_error(ctx, "--peer-port '%s' is not a number from 1 to "
						"65535", arg);
		if (po->nport == NATTRACE_PEER_MAX_PORTS)
			return tool_usage_error(ctx, "at most %d --peer-port options",
						NATTRACE_PEER_MAX_PORTS);
		po->port[po->nport++] = (uint16_t)v;
		break;
	case OPT_PEER_ADDR:
		if (po->naddr == NATTRACE_PEER_MAX_ADDRS)
			return tool_usage_error(ctx, "at most %d --peer-addr options",
						NATTRACE_PEER_MAX_ADDRS);
		po->addr[po->naddr++] = arg;
		break;
	case OPT_HAIRPIN:
		po->hairpin = true;
		break;
	}
	return 0;
}

/* nattrace --peer HOST. */
static int nattrace_peer_main(struct tool_ctx *ctx, int argc, char **argv,
			      const struct tool_render *render)
{
	static struct nattrace_result res;

	if (argc < 1)
		return tool_usage_error(ctx, "no HOST given");
	if (argc > 1)
		return tool_usage_error(ctx, "unexpected argument '%s' after HOST", argv[1]);
	nattrace_result_init(&res);
	nattrace_peer_run(&peer_opts, argv[0], &res.peer, &res.report);
	nattrace_peer_conclude(&res.peer, &res.report);
	return tool_emit(ctx, &res.report, &res, render);
}

static const struct tool_render render = {
	.text = nattrace_render_text,
	.json = nattrace_render_json,
};

void nattrace_result_init(struct nattrace_result *res)
{
	memset(res, 0, sizeof(*res));
	tool_report_init(&res->report);
}

/* Any invocation that is not --help or --version: say plainly that this
 * build cannot do it yet, in the output mode asked for. */
static int nattrace_run(struct tool_ctx *ctx, int argc, char **argv)
{
	struct nattrace_result res;

	if (peer_opts.enabled)
		return nattrace_peer_main(ctx, argc, argv, &render);
	if (peer_opts.nport || peer_opts.naddr || peer_opts.hairpin)
		return tool_usage_error(ctx, "--peer-port, --peer-addr and --hairpin need --peer");
	(void)argc;
	(void)argv;
	nattrace_result_init(&res);
	tool_report_fail(&res.report, PD_EXIT_UNKNOWN,
			 "NAT and return-path tracing is not in this build yet (see --help)");
	return tool_emit(ctx, &res.report, &res, &render);
}

/* No subcommands exist in this build yet. */
static const struct tool_cmd cmds[] = {
	{ NULL },
};

static const struct tool_def def = {
	.name = "nattrace",
	.summary = "NAT and return-path tracing: explain DNAT/SNAT, carrier-grade NAT,\n"
		   "and replies that leave by another route.",
	.status = "in progress: only the peer part (--peer HOST) is in this build; anything\n"
		  "else is reported as UNKNOWN (exit 3).",
	.operands = "--peer HOST",
	.cmds = cmds,
	.opts = opts,
	.opt = on_opt,
	.run = nattrace_run,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
