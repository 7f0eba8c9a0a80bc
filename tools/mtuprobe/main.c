/* main.c - mtuprobe: the exact path MTU toward a host, whether PMTUD works
 * or the path is a black hole, and what MTU and MSS to set for a tunnel.
 *
 * The option table below also produces --help.  Measuring is measure.c,
 * conclusions verdict.c, output render_text.c / render_json.c.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "mtuprobe.h"
#include "wgcheck_cmd.h"

enum {
	OPT_IPV4 = 1,
	OPT_IPV6,
	OPT_METHOD,
	OPT_PORT,
	OPT_MIN,
	OPT_MAX,
	OPT_TRIES,
	OPT_ROUNDS,
	OPT_IFACE,
	OPT_ENCAP,
	OPT_EXPECT,
	OPT_PEER,
	OPT_KEY,
	OPT_HOPS,
	OPT_MAX_HOPS,
	OPT_WARN_MTU,
	OPT_CRIT_MTU,
};

static const struct tool_opt opts[] = {
	{ NULL, '4', NULL, "IPv4 only", OPT_IPV4 },
	{ NULL, '6', NULL, "IPv6 only", OPT_IPV6 },
	{ "method", 'm', "M", "icmp (echo, round trip), udp (closed port, forward) or tcp "
			      "(SYN, forward; needs -p and CAP_NET_RAW); default: icmp "
			      "where allowed, else udp", OPT_METHOD },
	{ "port", 'p', "PORT", "destination port for udp (default: random closed port "
			       "33434..33533) or tcp", OPT_PORT },
	{ "min", 0, "BYTES", "smallest probe size (IP packet), assumed to pass "
			     "(default: 68 for IPv4, 1280 for IPv6)", OPT_MIN },
	{ "max", 0, "BYTES", "largest probe size (default: the MTU of the route to HOST)",
	  OPT_MAX },
	{ "tries", 0, "N", "losses that confirm a size is too big (default 3; raised "
			   "automatically on lossy paths)", OPT_TRIES },
	{ "rounds", 0, "N", "at most N rounds of probes (default 32)", OPT_ROUNDS },
	{ "interface", 'I', "DEV", "send from interface DEV", OPT_IFACE },
	{ "encap", 'e', "SPEC", "recommend MTU and MSS for this encapsulation over the "
			       "path, e.g. wireguard, ip6tnl, wireguard+pppoe (repeatable; "
			       "list in overhead.md)", OPT_ENCAP },
	{ "expect-mtu", 0, "BYTES", "CRITICAL (exit 2) when the path MTU is below BYTES",
	  OPT_EXPECT },
	{ "peer", 0, NULL, "HOST runs `mtuprobe serve`: measure forward and reverse path MTU, "
			   "NAT and MSS clamping (UDP port 20548 unless -p)", OPT_PEER },
	{ "key", 0, "FILE", "with --peer: sign requests with the shared key in FILE (the "
			    "file `serve --key` reads), so replies may exceed them", OPT_KEY },
	{ "hops", 0, NULL, "also find the hop after which large packets stop (hop-limited "
			   "probes, like tracepath)", OPT_HOPS },
	{ "max-hops", 0, "N", "with --hops: probe at most N hops (default 30, at most 64)",
	  OPT_MAX_HOPS },
	{ "warn-mtu", 0, "BYTES", "WARNING (exit 1) when the path MTU is below BYTES (Nagios "
				  "warning threshold)", OPT_WARN_MTU },
	{ "crit-mtu", 0, "BYTES", "the same as --expect-mtu (Nagios critical threshold)",
	  OPT_CRIT_MTU },
	{ NULL },
};

static struct mtuprobe_opts options;

static const struct tool_render render = {
	.text = mtuprobe_render_text,
	.json = mtuprobe_render_json,
	.prometheus = mtuprobe_render_prometheus,
	.nagios = mtuprobe_render_nagios,
};

void mtuprobe_result_init(struct mtuprobe_result *res)
{
	memset(res, 0, sizeof(*res));
	tool_report_init(&res->report);
	res->direction = "forward";
	res->local_mtu_source = "default";
}

static int on_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct mtuprobe_opts *m = &options;
	struct pd_ovh_stack st;
	struct pd_error err = { 0 };
	unsigned v;
	int rc = 0;

	switch (o->id) {
	case OPT_IPV4:
	case OPT_IPV6:
		m->family = o->id == OPT_IPV4 ? 4 : 6;
		break;
	case OPT_METHOD:
		if (!strcmp(arg, "icmp"))
			m->method = PD_PROBE_ICMP;
		else if (!strcmp(arg, "udp"))
			m->method = PD_PROBE_UDP;
		else if (!strcmp(arg, "tcp"))
			m->method = PD_PROBE_TCP;
		else
			return tool_usage_error(ctx, "unknown method '%s' (icmp, udp or tcp)", arg);
		break;
	case OPT_PORT:
		rc = tool_parse_uint(ctx, "port", arg, 1, 65535, &v);
		m->port = (uint16_t)v;
		break;
	case OPT_MIN:
		rc = tool_parse_uint(ctx, "--min", arg, 68, 65535, &m->min_size);
		break;
	case OPT_MAX:
		rc = tool_parse_uint(ctx, "--max", arg, 68, 65535, &m->max_size);
		break;
	case OPT_TRIES:
		rc = tool_parse_uint(ctx, "--tries", arg, 1, PD_SEARCH_TRIES_MAX, &m->tries);
		break;
	case OPT_ROUNDS:
		rc = tool_parse_uint(ctx, "--rounds", arg, 2, PD_SEARCH_MAX_ROUNDS, &m->max_rounds);
		break;
	case OPT_IFACE:
		m->device = arg;
		break;
	case OPT_ENCAP:
		if (m->nencap == MTUPROBE_MAX_ENCAPS)
			return tool_usage_error(ctx, "at most %d --encap options",
						MTUPROBE_MAX_ENCAPS);
		if (pd_ovh_parse(arg, &st, &err) < 0)
			return tool_usage_error(ctx, "--encap '%s': %s", arg,
						err.what ? err.what : "invalid");
		m->encap_spec[m->nencap++] = arg;
		break;
	case OPT_EXPECT:
		rc = tool_parse_uint(ctx, "--expect-mtu", arg, 68, 65535, &m->expect_mtu);
		break;
	case OPT_PEER:
		m->peer = true;
		break;
	case OPT_KEY:
		m->key_file = arg;
		break;
	case OPT_HOPS:
		m->hops = true;
		break;
	case OPT_MAX_HOPS:
		rc = tool_parse_uint(ctx, "--max-hops", arg, 1, PD_HOPS_MAX_TTL, &m->max_hops);
		break;
	case OPT_WARN_MTU:
		rc = tool_parse_uint(ctx, "--warn-mtu", arg, 68, 65535, &m->warn_mtu);
		break;
	case OPT_CRIT_MTU:
		rc = tool_parse_uint(ctx, "--crit-mtu", arg, 68, 65535, &m->crit_mtu);
		break;
	}
	return rc;
}

static int mtuprobe_run(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct mtuprobe_result res;
	struct mtuprobe_opts *o = &options;

	if (argc < 1)
		return tool_usage_error(ctx, "no HOST given");
	if (argc > 1)
		return tool_usage_error(ctx, "unexpected argument '%s' after HOST", argv[1]);
	if (o->min_size && o->max_size && o->min_size > o->max_size)
		return tool_usage_error(ctx, "--min %u is above --max %u", o->min_size,
					o->max_size);
	if (o->method == PD_PROBE_TCP && !o->port)
		return tool_usage_error(ctx, "--method tcp needs -p PORT (an open or closed "
					"TCP port the target answers on)");
	if (o->method == PD_PROBE_ICMP && o->port)
		return tool_usage_error(ctx, "-p makes no sense with --method icmp");
	if (o->peer && o->method)
		return tool_usage_error(ctx, "--peer sends its own probes to the responder; "
					"drop --method");
	if (o->key_file && !o->peer)
		return tool_usage_error(ctx, "--key only signs --peer requests; add --peer");
	if (o->peer)
		o->method = PD_PROBE_PEER;
	if (o->max_hops && !o->hops)
		return tool_usage_error(ctx, "--max-hops needs --hops");
	o->host = argv[0];
	if (o->crit_mtu && o->expect_mtu && o->crit_mtu != o->expect_mtu)
		return tool_usage_error(ctx, "--crit-mtu %u and --expect-mtu %u differ; they are "
					"one threshold: give one", o->crit_mtu, o->expect_mtu);
	if (o->crit_mtu)
		o->expect_mtu = o->crit_mtu;
	if (o->warn_mtu && o->expect_mtu && o->warn_mtu < o->expect_mtu)
		return tool_usage_error(ctx, "--warn-mtu %u is below the critical threshold %u: "
					"WARNING must come first", o->warn_mtu, o->expect_mtu);

	mtuprobe_result_init(&res);
	mtuprobe_measure(o, &res);
	mtuprobe_conclude(o, &res);
	mtuprobe_monitor_conclude(o, &res);
	return tool_emit(ctx, &res.report, &res, &render);
}

static const struct tool_cmd cmds[] = {
	{ "serve", mtuprobe_serve, "run the responder a peer measures against (--peer)",
	  mtuprobe_serve_opts, NULL, mtuprobe_serve_opt },
	{ "tunnel", mtuprobe_tunnel, "check a tunnel's MTU against the path under it",
	  mtuprobe_tunnel_opts, "IFACE", mtuprobe_tunnel_opt },
	{ "check", mtuprobe_check, "check wg-quick configuration files offline (no network)",
	  mtuprobe_check_opts, "FILE...", mtuprobe_check_opt,
	  TOOL_FMTS_BASIC | TOOL_FMT_BIT(TOOL_FMT_SARIF) },
	{ NULL },
};

static const struct tool_def def = {
	.name = "mtuprobe",
	.summary = "The exact path MTU toward HOST, whether PMTUD works or the path is a\n"
		   "black hole, and the tunnel MTU and TCP MSS to set.",
	.operands = "HOST",
	.cmds = cmds,
	.opts = opts,
	.opt = on_opt,
	.run = mtuprobe_run,
	.formats = TOOL_FMTS_MONITOR,
};

int main(int argc, char **argv)
{
	return tool_main(&def, argc, argv);
}
