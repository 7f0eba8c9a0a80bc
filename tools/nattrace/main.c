/* main.c - nattrace: NAT and return-path tracing: explain DNAT/SNAT,
 * carrier-grade NAT, and replies that leave by another route.
 * The command and option tables below also produce --help; the default
 * invocation is path mode (path.c); the result is rendered by render_text.c
 * and render_json.c, never printed from here.
 */
#include <stdlib.h>
#include <string.h>

#include "nattrace.h"
#include "flow.h"
#include "ct_cmd.h"

enum {
	OPT_IPV4 = 1,
	OPT_IPV6,
	OPT_PORT,
	OPT_UDP,
	OPT_TCP,
	OPT_ICMP,
	OPT_MAX_HOPS,
	OPT_FIRST_HOP,
	OPT_QUERIES,
	OPT_WAIT,
	OPT_IFACE,
	OPT_TOS,
	OPT_MSS,
	OPT_NO_DF,
	OPT_PEER,        /* --peer (nat_peer.h, peer.c) */
	OPT_PEER_PORT,
	OPT_PEER_ADDR,
	OPT_HAIRPIN,
};

static const struct tool_opt opts[] = {
	{ NULL, '4', NULL, "IPv4 only", OPT_IPV4 },
	{ NULL, '6', NULL, "IPv6 only", OPT_IPV6 },
	{ "port", 'p', "PORT", "destination port (default: 33434 for udp, 80 for tcp)",
	  OPT_PORT },
	{ "udp", 0, NULL, "probe with UDP datagrams (the default)", OPT_UDP },
	{ "tcp", 0, NULL, "probe with TCP SYNs carrying an MSS option (shows MSS clamping)",
	  OPT_TCP },
	{ "icmp", 0, NULL, "probe with ICMP echo requests", OPT_ICMP },
	{ "max-hops", 'm', "N", "probe up to TTL N (default 30, at most 64)", OPT_MAX_HOPS },
	{ "first-hop", 'f', "N", "start at TTL N (default 1)", OPT_FIRST_HOP },
	{ "queries", 0, "N", "probes per hop (default 2, at most 10)", OPT_QUERIES },
	{ "wait", 'w', "SEC", "wait SEC seconds for answers after each round (default 1)",
	  OPT_WAIT },
	{ "interface", 'I', "DEV", "send from interface DEV", OPT_IFACE },
	{ "tos", 't', "N", "TOS / traffic class byte of the probes, DSCP << 2 | ECN (default 0)",
	  OPT_TOS },
	{ "mss", 0, "N", "with --tcp: the MSS option sent (default 1460, IPv6 1440)", OPT_MSS },
	{ "no-df", 0, NULL, "send IPv4 probes without the DF bit", OPT_NO_DF },
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

static struct nattrace_path_opts options = { .tos = -1 };
static struct nattrace_peer_opts peer_opts;

static const struct tool_render render = {
	.text = nattrace_render_text,
	.json = nattrace_render_json,
	.prometheus = nattrace_render_prometheus,
	.nagios = nattrace_render_nagios,
};

void nattrace_result_init(struct nattrace_result *res)
{
	memset(res, 0, sizeof(*res));
	tool_report_init(&res->report);
}

static int set_proto(const struct tool_ctx *ctx, enum pd_natpath_proto p)
{
	if (options.proto && options.proto != p)
		return tool_usage_error(ctx, "give only one of --udp, --tcp and --icmp");
	options.proto = p;
	return 0;
}

static int on_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct nattrace_path_opts *m = &options;
	unsigned v;
	double w;
	int rc = 0;

	switch (o->id) {
	case OPT_IPV4:
	case OPT_IPV6:
		m->family = o->id == OPT_IPV4 ? 4 : 6;
		break;
	case OPT_PORT:
		rc = tool_parse_uint(ctx, "port", arg, 1, 65535, &v);
		m->port = (uint16_t)v;
		break;
	case OPT_UDP:
		return set_proto(ctx, PD_NATPATH_UDP);
	case OPT_TCP:
		return set_proto(ctx, PD_NATPATH_TCP);
	case OPT_ICMP:
		return set_proto(ctx, PD_NATPATH_ICMP);
	case OPT_MAX_HOPS:
		rc = tool_parse_uint(ctx, "--max-hops", arg, 1, PD_NATPATH_MAX_HOPS, &m->max_hops);
		break;
	case OPT_FIRST_HOP:
		rc = tool_parse_uint(ctx, "--first-hop", arg, 1, PD_NATPATH_MAX_HOPS, &m->first_hop);
		break;
	case OPT_QUERIES:
		rc = tool_parse_uint(ctx, "--queries", arg, 1, NATTRACE_MAX_QUERIES, &m->queries);
		break;
	case OPT_WAIT:
		if ((rc = tool_parse_seconds(ctx, "--wait", arg, 0.01, 60, &w)) != 0)
			return rc;
		m->wait_ms = (unsigned)(w * 1000 + 0.5);
		break;
	case OPT_IFACE:
		m->device = arg;
		break;
	case OPT_TOS:
		rc = tool_parse_uint(ctx, "--tos", arg, 0, 255, &v);
		m->tos = (int)v;
		break;
	case OPT_MSS:
		rc = tool_parse_uint(ctx, "--mss", arg, 1, 65535, &m->mss);
		break;
	case OPT_NO_DF:
		m->no_df = true;
		break;
	case OPT_PEER:
		peer_opts.enabled = true;
		break;
	case OPT_PEER_PORT:
		if (peer_opts.nport == NATTRACE_PEER_MAX_PORTS)
			return tool_usage_error(ctx, "at most %d --peer-port options",
						NATTRACE_PEER_MAX_PORTS);
		rc = tool_parse_uint(ctx, "--peer-port", arg, 1, 65535, &v);
		peer_opts.port[peer_opts.nport++] = (uint16_t)v;
		break;
	case OPT_PEER_ADDR:
		if (peer_opts.naddr == NATTRACE_PEER_MAX_ADDRS)
			return tool_usage_error(ctx, "at most %d --peer-addr options",
						NATTRACE_PEER_MAX_ADDRS);
		peer_opts.addr[peer_opts.naddr++] = arg;
		break;
	case OPT_HAIRPIN:
		peer_opts.hairpin = true;
		break;
	}
	return rc;
}

/* Path mode: nattrace HOST. */
static int nattrace_run(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct nattrace_result res;
	struct nattrace_path_opts *o = &options;

	if (argc < 1)
		return tool_usage_error(ctx, "no HOST given");
	if (argc > 1)
		return tool_usage_error(ctx, "unexpected argument '%s' after HOST", argv[1]);
	if (peer_opts.enabled) {
		int rc;

		nattrace_result_init(&res);
		/* Peer mode's UDP sockets need no privilege at all. */
		if ((rc = tool_drop_privileges()) < 0) {
			tool_report_fail(&res.report, PD_EXIT_UNKNOWN, "cannot drop privileges: %s",
					 tool_privs_error(rc));
			return tool_emit(ctx, &res.report, &res, &render);
		}
		nattrace_peer_run(&peer_opts, argv[0], &res.peer, &res.report);
		nattrace_peer_conclude(&res.peer, &res.report);
		return tool_emit(ctx, &res.report, &res, &render);
	}
	if (peer_opts.nport || peer_opts.naddr || peer_opts.hairpin)
		return tool_usage_error(ctx, "--peer-port, --peer-addr and --hairpin need --peer");
	if (o->port && o->proto == PD_NATPATH_ICMP)
		return tool_usage_error(ctx, "-p makes no sense with --icmp");
	if (o->mss && o->proto != PD_NATPATH_TCP)
		return tool_usage_error(ctx, "--mss needs --tcp");
	if (o->first_hop && o->max_hops && o->first_hop > o->max_hops)
		return tool_usage_error(ctx, "--first-hop %u is above --max-hops %u",
					o->first_hop, o->max_hops);
	nattrace_result_init(&res);
	nattrace_path_run(o, argv[0], &res);
	nattrace_path_conclude(&res);
	return tool_emit(ctx, &res.report, &res, &render);
}

/* Subcommands (flow, watch, conntrack) join this table. */
static const struct tool_cmd cmds[] = {
	{ "flow", nattrace_flow, "how this host routes a flow and its replies: policy rules, "
	  "route, conntrack NAT, reply path, rp_filter, forwarding",
	  nattrace_flow_opts, "SRC DST [PROTO SPORT DPORT] [--iif IFACE] [--mark M]",
	  nattrace_flow_opt },
	NT_CT_CMD_CONNTRACK,
	NT_CT_CMD_WATCH,
	{ NULL },
};

static const struct tool_def def = {
	.name = "nattrace",
	.summary = "NAT and return-path tracing: what NAT and routing do to a flow.\n"
		   "Path mode (the default): hop-limited probes whose quoted headers show\n"
		   "where addresses, ports, MSS, DF and DSCP are rewritten.  With --peer\n"
		   "(HOST runs `mtuprobe serve`): NAT, mapping behaviour, port preservation,\n"
		   "carrier-grade NAT and hairpinning from what the responder saw.",
	.operands = "HOST | --peer HOST",
	.cmds = cmds,
	.opts = opts,
	.opt = on_opt,
	.run = nattrace_run,
	.formats = TOOL_FMTS_MONITOR,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
