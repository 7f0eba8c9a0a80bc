/* flow.h - `nattrace flow SRC DST [PROTO SPORT DPORT]`: what this host's
 * policy routing, conntrack and sysctls do to one flow and to its replies.
 * Shared by flow.c (facts and conclusions), flow_ct.c (conntrack) and
 * flow_render.c (text and JSON); the renderers read only struct
 * flow_result.
 */
#ifndef PATHDIAG_NATTRACE_FLOW_H
#define PATHDIAG_NATTRACE_FLOW_H

#include <stdbool.h>
#include <stdint.h>

#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>
#include <pathdiag/nl_route.h>
#include <pathdiag/nl_rule.h>
#include <pathdiag/sysctl_net.h>

#include "tool.h"

#define FLOW_MAX_RULES 128 /* rules shown with their verdict */
#define FLOW_MAX_CT 8      /* conntrack entries kept */
#define FLOW_MAX_FIX 16
#define FLOW_CMD_MAX 200
#define FLOW_RULE_TEXT 192
#define FLOW_ERR_MAX 160

struct flow_opts {
	struct pd_nl_addr src, dst;
	int family;             /* 4 or 6 */
	uint8_t proto;          /* 0: none given */
	uint16_t sport, dport;
	bool has_ports;
	const char *iif;        /* --iif */
	uint32_t mark;          /* --mark */
	uint32_t uid;           /* --uid */
	bool no_conntrack;      /* --no-conntrack */
	int want_family;        /* -4 / -6, 0 */
};

/* One lookup the kernel answered (RTM_GETROUTE), or could not. */
struct flow_route {
	bool asked;
	bool ok;
	char error[FLOW_ERR_MAX];
	const char *by;                /* "kernel" or "model" (our rule walk) */
	struct pd_nl_addr src, dst;    /* the packet looked up */
	uint16_t sport, dport;
	char iif[PD_NL_IFNAMSIZ];      /* "" locally generated */
	uint32_t mark;
	uint8_t type;                  /* PD_NL_RTN_* */
	uint32_t table;
	char oif[PD_NL_IFNAMSIZ];
	bool has_gateway, has_prefsrc;
	struct pd_nl_addr gateway, prefsrc;
	bool has_prefix;               /* the FIB entry that matched (RTM_F_FIB_MATCH) */
	struct pd_nl_addr prefix;
	uint8_t prefix_len;
	bool has_mtu;
	uint32_t mtu, link_mtu;
	const char *mtu_source;        /* "link", "route", "pmtu" */
};

struct flow_tuple {
	struct pd_nl_addr src, dst;
	uint16_t sport, dport;         /* ports, or the ICMP id in sport */
	bool ports;
};

struct flow_ct {
	struct flow_tuple orig, reply;
	uint8_t proto;
	const char *matched;           /* "original" or "reply" direction */
	char state[20];                /* TCP state, "" for others */
	char status[96];               /* IPS_* names */
	uint32_t mark;
	uint16_t zone;
	uint32_t timeout;
	bool snat, dnat;
	bool unreplied;
	bool reply_dst_local;          /* SNAT to an address of this host */
};

struct flow_fix {
	const char *finding;           /* kind of the finding it fixes */
	const char *variant;           /* "source rule", "connection mark", ... */
	char cmd[FLOW_CMD_MAX];
};

struct flow_rule {
	struct pd_nl_rule rule;
	struct pd_rule_verdict v;
	char text[FLOW_RULE_TEXT];
};

struct flow_result {
	struct tool_report report;
	bool have_flow;                /* the flow was understood; the rest may follow */
	int family;
	struct flow_tuple flow;        /* as given */
	uint8_t proto;
	char iif[PD_NL_IFNAMSIZ];
	int iif_index;
	uint32_t mark;
	bool dst_local;                /* the (translated) destination is this host */
	bool forwarded;                /* arrives on --iif and is not for this host */
	struct pd_nl_addr routed_dst;  /* destination after DNAT (= dst without) */
	uint16_t routed_dport;

	/* policy rules and the walk for the request */
	bool rules_read;
	char rules_error[FLOW_ERR_MAX];
	size_t nrules_total;
	unsigned nrules;
	struct flow_rule rules[FLOW_MAX_RULES];
	int walk_chosen;               /* index into rules, -1 */
	bool walk_checked;             /* the kernel's table is known to compare */
	bool walk_agrees;

	struct flow_route route;       /* the request */

	/* conntrack */
	bool ct_asked, ct_read;
	char ct_error[FLOW_ERR_MAX];
	size_t ct_total;               /* entries that matched */
	unsigned nct;
	struct flow_ct ct[FLOW_MAX_CT];

	/* the reply */
	struct flow_tuple reply_tuple;
	const char *reply_from;        /* "conntrack" or "inverse of the flow" */
	struct flow_route reply;
	bool asymmetric;
	bool reply_rule_found;         /* the rule the walk for the reply ends at */
	struct pd_nl_rule reply_rule;
	struct pd_rule_verdict reply_rule_v;
	char reply_rule_text[FLOW_RULE_TEXT];

	/* sysctls */
	bool rpf_read;
	struct pd_rp_filter rpf;
	struct flow_route rpf_lookup;  /* the reverse-path lookup for the request */
	bool rpf_drops;
	bool reply_rpf_read;
	struct pd_rp_filter reply_rpf;
	struct flow_route reply_rpf_lookup;
	bool reply_rpf_drops;
	bool fwd_read;
	struct pd_forwarding fwd;

	unsigned nfix;
	struct flow_fix fix[FLOW_MAX_FIX];
};

/* flow.c: the command */
int nattrace_flow(struct tool_ctx *ctx, int argc, char **argv);
extern const struct tool_opt nattrace_flow_opts[];
int nattrace_flow_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg);

/* flow_ct.c: the conntrack entries of the flow, in either direction;
 * fills ct_* of res (records why in ct_error when they cannot be read). */
void flow_conntrack(const struct flow_opts *o, struct flow_result *res);

/* flow_render.c */
void flow_render_text(const struct tool_ctx *ctx, const void *result, struct tool_out *out);
json_t *flow_render_json(const struct tool_ctx *ctx, const void *result);

#endif
