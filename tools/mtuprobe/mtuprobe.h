/* mtuprobe.h - mtuprobe's options, result and the functions between them.
 *
 * main.c parses options into struct mtuprobe_opts; measure.c runs the
 * search (probes + search engine) and fills struct mtuprobe_result;
 * verdict.c turns the result into findings; render_text.c and
 * render_json.c print it.  Nothing is printed from the measuring code.
 */
#ifndef PATHDIAG_MTUPROBE_H
#define PATHDIAG_MTUPROBE_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include <time.h>

#include <pathdiag/hopscan.h>
#include <pathdiag/overhead.h>
#include <pathdiag/probe.h>
#include <pathdiag/search.h>

#include "tool.h"
#include "peer.h"

#define MTUPROBE_SCHEMA_VERSION 1
#define MTUPROBE_MAX_ENCAPS 8
#define MTUPROBE_HOST_MAX 256

/* What the user asked for. */
struct mtuprobe_opts {
	const char *host;
	int family;                    /* 0 (either), 4 or 6 */
	enum pd_probe_method method;   /* 0: chosen automatically */
	uint16_t port;                 /* UDP/TCP destination port, 0 = default */
	unsigned min_size, max_size;   /* probe size range; 0 = automatic */
	unsigned tries;                /* losses that confirm a size, 0 = auto */
	unsigned expect_mtu;           /* --expect-mtu: CRITICAL below it */
	unsigned max_rounds;
	const char *device;            /* -I: send from this interface */
	const char *encap_spec[MTUPROBE_MAX_ENCAPS];
	unsigned nencap;
	bool peer;                     /* --peer: HOST runs `mtuprobe serve` */
	const char *key_file;          /* --key */
	bool hops;                     /* --hops: where along the path sizes stop */
	unsigned max_hops;             /* --max-hops, 0 = PD_HOPS_DEFAULT_MAX_TTL */
	/* Keep capabilities after opening the sockets (`tunnel` measures
	 * more than once and drops them before its last measurement). */
	bool keep_privileges;
	unsigned warn_mtu;             /* --warn-mtu: WARNING below it (monitor.c) */
	unsigned crit_mtu;             /* --crit-mtu: --expect-mtu under its Nagios name */
};

/* One --encap recommendation, derived from the measured path MTU. */
struct mtuprobe_reco {
	char spec[64];                 /* canonical spec, e.g. "wireguard" */
	int outer_family;              /* 4 or 6 */
	bool ok;                       /* false: the path cannot carry it */
	char error[128];
	struct pd_ovh_rec rec;
};

/* Everything one run found; the renderers read only this. */
struct mtuprobe_result {
	struct tool_report report;     /* error, findings, verdict */
	char target[MTUPROBE_HOST_MAX];
	char address[INET6_ADDRSTRLEN];
	int family;                    /* 4 or 6, 0 before resolution */
	enum pd_probe_method method;
	bool method_auto;
	bool raw;                      /* raw sockets were used */
	uint16_t port;
	/* Which direction the method measures: an echo reply is as large as
	 * the request, so ICMP measures the smaller of both directions. */
	const char *direction;         /* "forward" or "round-trip" */

	/* The upper bound of the search: the kernel's MTU toward the target. */
	unsigned local_mtu;
	const char *local_mtu_source;  /* "link", "route", "pmtu", "default" */
	char local_dev[32];

	bool searched;                 /* the search ran (result below valid) */
	bool paced;                    /* the target rate-limited its answers, so
					  rounds were paced (measure.c) */
	struct pd_search_result search;
	char reported_by[INET6_ADDRSTRLEN]; /* sender of the verified PTB */
	struct pd_probe_stats probes;
	double srtt_ms;                /* smoothed RTT of acknowledged probes */
	double elapsed_ms;

	unsigned expect_mtu;
	struct mtuprobe_reco reco[MTUPROBE_MAX_ENCAPS];
	unsigned nreco;

	struct mtuprobe_peer peer;     /* --peer (peer.h) */
	/* --hops (hops.c); hops_done is false when it was not asked for. */
	bool hops_done;
	struct pd_hops_result hops;
	unsigned hops_small, hops_large; /* probe sizes of the scan */
	double hops_elapsed_ms;

	/* monitor.c: --warn-mtu, and what was asked (labels that stay the
	 * same when the run fails before resolving). */
	unsigned warn_mtu;
	int family_opt;                /* -4 / -6, 0 */
	enum pd_probe_method method_opt; /* --method / --peer, 0 */

	/* icmpguard.c: the kernel's cached path MTU toward the target after
	 * the run (a PMTU exception), 0 if none. */
	unsigned kernel_pmtu;
};

void mtuprobe_result_init(struct mtuprobe_result *res);

/* measure.c: resolve, open the prober, run the search.  Failures are
 * recorded in res->report (with the exit code they deserve). */
void mtuprobe_measure(const struct mtuprobe_opts *o, struct mtuprobe_result *res);

/* measure.c helpers shared with hops.c. */
uint64_t now_us(void);
uint64_t ts_us(const struct timespec *ts);
void from_addr(const struct sockaddr_storage *ss, struct pd_search_addr *a);
bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b);

/* hops.c: --hops, the hop-limited scan after the search (fills res->hops),
 * and its findings. */
void mtuprobe_hops(const struct mtuprobe_opts *o, struct pd_prober *p,
		   const struct sockaddr_storage *dst, struct mtuprobe_result *res);
void mtuprobe_hops_conclude(struct mtuprobe_result *res);

/* render_hops.c: the hop table (text) and the "hops" members (JSON). */
void mtuprobe_hops_text(const struct mtuprobe_result *r, struct tool_out *out);
void mtuprobe_hops_json(const struct mtuprobe_result *r, json_t *doc);

/* serve.c: `mtuprobe serve`, the responder for --peer. */
int mtuprobe_serve(struct tool_ctx *ctx, int argc, char **argv);
/* Its options (struct tool_cmd: opts, opt). */
extern const struct tool_opt mtuprobe_serve_opts[];
int mtuprobe_serve_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);

/* tunnel.c: `mtuprobe tunnel IFACE`, the check of a tunnel's MTU. */
int mtuprobe_tunnel(struct tool_ctx *ctx, int argc, char **argv);
/* Its options (struct tool_cmd: opts, opt). */
extern const struct tool_opt mtuprobe_tunnel_opts[];
int mtuprobe_tunnel_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);

/* verdict.c: recommendations for the --encap specs and the findings. */
void mtuprobe_conclude(const struct mtuprobe_opts *o, struct mtuprobe_result *res);
/* One finding with its severity and evidence (evidence may be NULL). */
void mtuprobe_finding(struct mtuprobe_result *res, const char *kind, enum pd_severity sev,
		      const char *evidence, const char *msg);

/* monitor.c: --warn-mtu's finding (after mtuprobe_conclude), and the
 * --format prometheus and nagios renderers (docs/monitoring.md). */
void mtuprobe_monitor_conclude(const struct mtuprobe_opts *o, struct mtuprobe_result *res);
void mtuprobe_render_prometheus(const struct tool_ctx *ctx, const void *result,
				struct tool_out *out);
void mtuprobe_render_nagios(const struct tool_ctx *ctx, const void *result, struct tool_out *out);

/* render_text.c / render_json.c */
void mtuprobe_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *mtuprobe_render_json(const struct tool_ctx *ctx, const void *result);
/* render_json.c: "works", "blackhole", "local", "wrong-mtu" or "unknown". */
const char *mtuprobe_pmtud_name(const struct mtuprobe_result *r);

#endif
