/* path.h - nattrace's path mode (the default invocation): hop-limited probes
 * with every header field known, and what each hop's quote says the path did
 * to them.  Measuring is path.c, output path_render.c; the pure comparison
 * and conclusions are lib/src/natpath.c (<pathdiag/natpath.h>).
 */
#ifndef PATHDIAG_NATTRACE_PATH_H
#define PATHDIAG_NATTRACE_PATH_H

#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>

#include <pathdiag/natpath.h>

#include "tool.h"

#define NATTRACE_MAX_QUERIES 10
#define NATTRACE_HOST_MAX 256

struct nattrace_path_opts {
	int family;                  /* 0: as HOST resolves */
	enum pd_natpath_proto proto; /* 0: UDP */
	uint16_t port;               /* 0: 33434 (UDP), 80 (TCP) */
	unsigned max_hops;           /* 0: 30 */
	unsigned first_hop;          /* 0: 1 */
	unsigned queries;            /* 0: 2 */
	unsigned wait_ms;            /* 0: 1000 */
	const char *device;          /* -I */
	int tos;                     /* -1: 0 */
	unsigned mss;                /* TCP MSS option; 0: 1460 / 1440 */
	bool no_df;                  /* --no-df: send IPv4 probes without DF */
};

/* One TTL as measured. */
struct nattrace_path_hop {
	struct pd_natpath_hop h;     /* address, quote diff, scope, new changes */
	unsigned sent, answers;
	double rtt_ms;               /* smallest, measured; < 0: none */
	uint8_t icmp_type, icmp_code;
	const char *answer;          /* "time-exceeded", "port-unreachable", ... */
};

struct nattrace_path {
	bool ran;                    /* probes were sent */
	char target[NATTRACE_HOST_MAX];
	char address[INET6_ADDRSTRLEN];
	char source[INET6_ADDRSTRLEN];
	int family;
	enum pd_natpath_proto proto;
	uint16_t sport, dport;
	uint8_t tos;
	bool df;
	uint16_t mss;
	unsigned first_hop, max_hops, queries, wait_ms;
	unsigned nhops;              /* rows in hop[]: TTL first_hop .. first_hop+nhops-1 */
	struct nattrace_path_hop hop[PD_NATPATH_MAX_HOPS];
	unsigned target_ttl;         /* 0: not reached */
	bool stopped_unreach;        /* a router answered "unreachable" */
	struct pd_natpath_summary sum;
	unsigned probes, answers, ignored;
	double elapsed_ms;
};

struct nattrace_result;

/* Run path mode toward host; fills res->path and the findings. */
void nattrace_path_run(const struct nattrace_path_opts *o, const char *host,
		       struct nattrace_result *res);
/* The findings and verdict from res->path (after nattrace_path_run). */
void nattrace_path_conclude(struct nattrace_result *res);

/* path_render.c */
/* A change's sent and quoted values as text ("10.0.1.2", "0x1a2b", "1360"). */
void nattrace_change_values(const struct nattrace_path *p, const struct pd_natpath_change *c,
			    char *sent, char *quoted, size_t len);
void nattrace_path_text(const struct nattrace_path *p, const struct tool_report *r,
			struct tool_out *out);
void nattrace_path_json(const struct nattrace_path *p, json_t *doc);

#endif
