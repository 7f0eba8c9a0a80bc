/* serve.c - `mtuprobe serve`: the responder a peer's `mtuprobe --peer`
 * measures against (protocol in docs/responder.md).  The protocol, the
 * anti-amplification rule and the rate limits live in the library
 * (pathdiag/responder.h); this file reads options, runs the loop until
 * SIGINT/SIGTERM, and reports what was served.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>

#include "mtuprobe.h"

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/* --port and --bind may be repeated: one socket set per port and address. */
#define SERVE_MAX_PORTS 4
#define SERVE_MAX_BINDS 4

struct serve_result {
	struct tool_report report;
	uint16_t port;                   /* the first port (advertised for TCP) */
	uint16_t ports[SERVE_MAX_PORTS];
	size_t nports;
	bool keyed;
	unsigned sockets;
	struct pd_responder_stats st;
	struct pd_responder_io_stats io;  /* summed over the socket sets */
};

static void serve_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out)
{
	const struct serve_result *r = result;

	if (r->sockets && r->nports > 1)
		tool_out_printf(out, "served on %zu ports (%u", r->nports, r->ports[0]);
	for (size_t i = 1; r->sockets && i < r->nports; i++)
		tool_out_printf(out, ", %u%s", r->ports[i], i + 1 == r->nports ? ")" : "");
	if (r->sockets)
		tool_out_printf(out, "%s%u%s: %llu requests (%llu hello, %llu forward, "
				"%llu reverse), %llu replies; %llu rate-limited, %llu refused by "
				"the no-amplification rule, %llu bad signatures\n",
				r->nports > 1 ? "; MSS report on port " : "served on port ",
				r->port, r->keyed ? " with a key" : "",
				(unsigned long long)r->st.rx_packets,
				(unsigned long long)r->st.hello, (unsigned long long)r->st.forward,
				(unsigned long long)r->st.reverse,
				(unsigned long long)r->st.tx_packets,
				(unsigned long long)(r->st.rate_source + r->st.rate_global),
				(unsigned long long)r->st.refused,
				(unsigned long long)r->st.auth_bad);
	tool_report_text(ctx, &r->report, out);
}

/* Every counter of the responder and of its sockets (docs/responder.md,
 * Statistics): what a flood did, in the responder's own words. */
static json_t *serve_stats_json(const struct pd_responder_stats *st,
				const struct pd_responder_io_stats *io)
{
	json_t *o = json_object();
	const struct {
		const char *name;
		uint64_t v;
	} f[] = {
		{ "rx_packets", st->rx_packets },
		{ "rx_bytes", st->rx_bytes },
		{ "tx_packets", st->tx_packets },
		{ "tx_bytes", st->tx_bytes },
		{ "rx_unauth_ip_bytes", st->rx_unauth_ip_bytes },
		{ "tx_unauth_ip_bytes", st->tx_unauth_ip_bytes },
		{ "hello", st->hello },
		{ "forward", st->forward },
		{ "reverse", st->reverse },
		{ "not_ours", st->not_ours },
		{ "not_request", st->not_request },
		{ "bad_source", st->bad_source },
		{ "malformed", st->malformed },
		{ "rate_source", st->rate_source },
		{ "rate_global", st->rate_global },
		{ "auth_ok", st->auth_ok },
		{ "auth_bad", st->auth_bad },
		{ "auth_stale", st->auth_stale },
		{ "auth_replay", st->auth_replay },
		{ "refused", st->refused },
		{ "tcp_reports", st->tcp_reports },
		{ "tcp_no_syn", st->tcp_no_syn },
		{ "tcp_rate_limited", st->tcp_rate_limited },
		{ "src_evictions", st->src_evictions },
		{ "replay_evictions", st->replay_evictions },
		{ "src_in_use", st->src_in_use },
		{ "src_capacity", st->src_capacity },
		{ "replay_capacity", st->replay_capacity },
		{ "memory_bytes", st->memory_bytes },
		{ "io_rx_errors", io->rx_errors },
		{ "io_tx_errors", io->tx_errors },
		{ "io_tx_emsgsize", io->tx_emsgsize },
		{ "io_tcp_accepted", io->tcp_accepted },
		{ "io_tcp_errors", io->tcp_errors },
	};

	for (size_t i = 0; o && i < sizeof(f) / sizeof(f[0]); i++)
		json_object_set_new(o, f[i].name, json_integer((json_int_t)f[i].v));
	return o ? o : json_null();
}

static json_t *serve_json(const struct tool_ctx *ctx, const void *result)
{
	const struct serve_result *r = result;
	json_t *doc = tool_report_json(ctx, &r->report);

	if (!doc)
		return NULL;
	json_t *ports = json_array();

	json_object_set_new(doc, "port", json_integer(r->port));
	for (size_t i = 0; ports && i < r->nports; i++)
		json_array_append_new(ports, json_integer(r->ports[i]));
	json_object_set_new(doc, "ports", ports ? ports : json_null());
	json_object_set_new(doc, "keyed", json_boolean(r->keyed));
	json_object_set_new(doc, "requests", json_integer((json_int_t)r->st.rx_packets));
	json_object_set_new(doc, "replies", json_integer((json_int_t)r->st.tx_packets));
	json_object_set_new(doc, "rate_limited",
			    json_integer((json_int_t)(r->st.rate_source + r->st.rate_global)));
	json_object_set_new(doc, "refused", json_integer((json_int_t)r->st.refused));
	json_object_set_new(doc, "auth_bad", json_integer((json_int_t)r->st.auth_bad));
	json_object_set_new(doc, "memory_bytes", json_integer((json_int_t)r->st.memory_bytes));
	json_object_set_new(doc, "stats", serve_stats_json(&r->st, &r->io));
	return doc;
}

static const struct tool_render serve_render = { .text = serve_text, .json = serve_json };

/* ---- options ------------------------------------------------------------------- */

enum { SERVE_IPV4 = 1, SERVE_IPV6, SERVE_PORT, SERVE_KEY, SERVE_BIND };

const struct tool_opt mtuprobe_serve_opts[] = {
	{ NULL, '4', NULL, "IPv4 only", SERVE_IPV4 },
	{ NULL, '6', NULL, "IPv6 only", SERVE_IPV6 },
	{ "port", 'p', "N", "UDP and TCP port to serve on (default 20548; repeatable, up to 4: "
			    "NAT mapping tests want two)", SERVE_PORT },
	{ "key", 'k', "FILE", "shared key (file not readable by group or others): signed "
			      "requests may get replies larger than themselves", SERVE_KEY },
	{ "bind", 'b', "ADDR", "listen on this numeric address only (repeatable, up to 4 per "
			       "family)",
	  SERVE_BIND },
	{ NULL },
};

struct serve_opts {
	struct pd_responder_io_config io;
	int family; /* 4, 6, or 0 for both */
	const char *keyfile;
	uint16_t port[SERVE_MAX_PORTS];
	size_t nport;
	const char *bind4[SERVE_MAX_BINDS], *bind6[SERVE_MAX_BINDS];
	size_t nbind4, nbind6;
};

int mtuprobe_serve_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct serve_opts *so = ctx->priv;
	unsigned v;

	switch (o->id) {
	case SERVE_IPV4:
	case SERVE_IPV6:
		so->family = o->id == SERVE_IPV4 ? 4 : 6;
		break;
	case SERVE_PORT:
		if (tool_parse_uint(ctx, "port", arg, 1, 65535, &v))
			return PD_EXIT_UNKNOWN;
		for (size_t i = 0; i < so->nport; i++)
			if (so->port[i] == v)
				return tool_usage_error(ctx, "port %u given twice", v);
		if (so->nport == SERVE_MAX_PORTS)
			return tool_usage_error(ctx, "at most %d ports", SERVE_MAX_PORTS);
		so->port[so->nport++] = (uint16_t)v;
		break;
	case SERVE_KEY:
		so->keyfile = arg;
		break;
	case SERVE_BIND:
		if (strchr(arg, ':') ? so->nbind6 == SERVE_MAX_BINDS
				     : so->nbind4 == SERVE_MAX_BINDS)
			return tool_usage_error(ctx, "at most %d addresses per family",
						SERVE_MAX_BINDS);
		if (strchr(arg, ':'))
			so->bind6[so->nbind6++] = arg;
		else
			so->bind4[so->nbind4++] = arg;
		break;
	}
	return 0;
}

int mtuprobe_serve(struct tool_ctx *ctx, int argc, char **argv)
{
	static struct serve_result res;
	struct serve_opts so = { 0 };
	struct pd_responder_config cfg;
	struct pd_responder *r = NULL;
	static struct pd_responder_io *io[PD_RESP_IO_SET_MAX];
	size_t nio = 0, i, b, nb;
	struct pd_error err = { 0 };
	static uint8_t key[PD_PEER_KEY_MAX];
	size_t key_len = 0;
	char msg[256];
	struct sigaction sa;
	int first, rc;

	pd_responder_io_config_default(&so.io);
	if (!tool_cmd_parse(ctx, argc, argv, &so, &first, &rc))
		return rc;
	if (first < argc)
		return tool_usage_error(ctx, "unexpected argument '%s'", argv[first]);
	memset(&res, 0, sizeof(res));
	tool_report_init(&res.report);
	if (so.family == 4)
		so.io.v6 = false;
	if (so.family == 6)
		so.io.v4 = false;

	pd_responder_config_default(&cfg);
	if (so.keyfile) {
		if (pd_peer_key_load(so.keyfile, key, &key_len, &err) < 0) {
			pd_error_message(&err, msg, sizeof(msg));
			tool_die(ctx, PD_EXIT_UNKNOWN, "key file %s: %s", so.keyfile, msg);
		}
		cfg.key = key;
		cfg.key_len = key_len;
		res.keyed = true;
	}
	if (!so.nport)
		so.port[so.nport++] = so.io.port;
	res.port = so.port[0];
	res.nports = so.nport;
	memcpy(res.ports, so.port, sizeof(res.ports));
	/* INFO advertises the first port for the MSS report; every port has
	 * its TCP listener all the same. */
	cfg.tcp_port = so.io.tcp ? so.port[0] : 0;
	if (pd_peer_random(cfg.hash_seed, sizeof(cfg.hash_seed), &err) < 0 ||
	    pd_responder_new(&cfg, pd_responder_now_ms(), &r, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		pd_responder_free(r);
		tool_die(ctx, PD_EXIT_UNKNOWN, "cannot serve on port %u: %s", so.port[0], msg);
	}
	/* One socket set per port and address pair: the first pair is the
	 * single-address behaviour (a family without --bind listens on any
	 * address); further addresses of a family pair up in order. */
	nb = so.nbind4 > so.nbind6 ? so.nbind4 : so.nbind6;
	if (!nb)
		nb = 1;
	for (i = 0; i < so.nport; i++) {
		for (b = 0; b < nb; b++) {
			struct pd_responder_io_config c = so.io;

			c.port = so.port[i];
			c.bind4 = b < so.nbind4 ? so.bind4[b] : NULL;
			c.bind6 = b < so.nbind6 ? so.bind6[b] : NULL;
			if (b) {
				c.v4 = c.v4 && b < so.nbind4;
				c.v6 = c.v6 && b < so.nbind6;
			}
			if (!c.v4 && !c.v6)
				continue;
			if (pd_responder_io_open(&c, r, &io[nio], &err) < 0) {
				pd_error_message(&err, msg, sizeof(msg));
				if (err.code == PD_ERR_PERM && c.port < 1024)
					snprintf(msg + strlen(msg), sizeof(msg) - strlen(msg),
						 "; ports below 1024 need CAP_NET_BIND_SERVICE: "
						 "run as root or choose a port from 1024 up");
				while (nio)
					pd_responder_io_close(io[--nio]);
				pd_responder_free(r);
				tool_die(ctx, PD_EXIT_UNKNOWN, "cannot serve on port %u%s%s: %s",
					 c.port, b ? " at " : "",
					 b ? (c.v4 ? c.bind4 : c.bind6) : "", msg);
			}
			res.sockets |= pd_responder_io_sockets(io[nio++]);
		}
	}
	/* Every socket is bound (a port below 1024 needed
	 * CAP_NET_BIND_SERVICE): the requests of strangers are served with no
	 * privilege, not as root. */
	if ((rc = tool_drop_privileges()) < 0) {
		while (nio)
			pd_responder_io_close(io[--nio]);
		pd_responder_free(r);
		tool_die(ctx, PD_EXIT_UNKNOWN, "cannot drop privileges: %s", tool_privs_error(rc));
	}

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (pd_responder_io_run_set(io, nio, &stop_flag, &err) < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		tool_report_fail(&res.report, PD_EXIT_UNKNOWN, "serving stopped: %s", msg);
	}
	pd_responder_get_stats(r, &res.st);
	for (i = 0; i < nio; i++) {
		struct pd_responder_io_stats s;

		pd_responder_io_get_stats(io[i], &s);
		res.io.rx_errors += s.rx_errors;
		res.io.tx_errors += s.tx_errors;
		res.io.tx_emsgsize += s.tx_emsgsize;
		res.io.tcp_accepted += s.tcp_accepted;
		res.io.tcp_errors += s.tcp_errors;
		res.io.loops += s.loops;
	}
	while (nio)
		pd_responder_io_close(io[--nio]);
	pd_responder_free(r);
	return tool_emit(ctx, &res.report, &res, &serve_render);
}
