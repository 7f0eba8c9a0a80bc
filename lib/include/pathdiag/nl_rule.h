/* nl_rule.h - policy routing as the kernel does it: the rule list
 * (RTM_GETRULE dump, `ip rule`), the routes of every table (RTM_GETROUTE
 * dump), a longest-prefix lookup in one table, and the walk of the rules
 * for one flow with the reason each rule was taken or passed over.
 *
 * Specs: include/uapi/linux/fib_rules.h (struct fib_rule_hdr, FRA_*,
 * FR_ACT_*, FIB_RULE_*); the semantics of net/core/fib_rules.c
 * (fib_rules_lookup, fib_rule_match) and net/ipv4/fib_rules.c /
 * net/ipv6/fib6_rules.c (selectors, suppress_prefixlength).
 *
 *   RTM_NEWRULE: | nlmsghdr | fib_rule_hdr: family dst_len src_len tos
 *                |            table res1 res2 action (1 each) flags (4) |
 *                | FRA_PRIORITY u32 | FRA_TABLE u32 | FRA_SRC / FRA_DST |
 *                | FRA_FWMARK u32 FRA_FWMASK u32 | FRA_IIFNAME FRA_OIFNAME str |
 *                | FRA_GOTO u32 | FRA_SUPPRESS_PREFIXLEN u32 (-1 none) |
 *                | FRA_SUPPRESS_IFGROUP u32 | FRA_L3MDEV u8 | FRA_PROTOCOL u8 |
 *                | FRA_IP_PROTO u8 | FRA_SPORT_RANGE / FRA_DPORT_RANGE u16 u16 |
 *                | FRA_UID_RANGE u32 u32 |
 *
 * The walk (pd_rule_walk) is pure: the caller supplies the table lookup, so
 * the unit tests drive it with hand-built tables and the tools with the
 * routes dumped from the kernel.  It models what fib_rules_lookup does: rules
 * in priority order; a rule whose selectors match runs its action; a table
 * that has no route for the flow, or whose route a suppress_* selector
 * rejects, lets the walk go on; goto jumps to the first rule of the target
 * priority; blackhole / unreachable / prohibit end it.  The kernel's own
 * answer (pd_nl_route_get) stays the authority: the walk explains it.
 */
#ifndef PATHDIAG_NL_RULE_H
#define PATHDIAG_NL_RULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>
#include <pathdiag/nl_route.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Rule actions (FR_ACT_*). */
#define PD_RULE_ACT_TO_TBL 1
#define PD_RULE_ACT_GOTO 2
#define PD_RULE_ACT_NOP 3
#define PD_RULE_ACT_BLACKHOLE 6
#define PD_RULE_ACT_UNREACHABLE 7
#define PD_RULE_ACT_PROHIBIT 8

/* Rule flags (FIB_RULE_*). */
#define PD_RULE_F_PERMANENT 0x01u
#define PD_RULE_F_INVERT 0x02u
#define PD_RULE_F_UNRESOLVED 0x04u
#define PD_RULE_F_IIF_DETACHED 0x08u
#define PD_RULE_F_OIF_DETACHED 0x10u

/* Well-known tables. */
#define PD_RT_TABLE_DEFAULT 253
#define PD_RT_TABLE_MAIN 254
#define PD_RT_TABLE_LOCAL 255

/* pd_nl_rule.has */
#define PD_RULE_HAS_SRC (1u << 0)
#define PD_RULE_HAS_DST (1u << 1)
#define PD_RULE_HAS_IIF (1u << 2)
#define PD_RULE_HAS_OIF (1u << 3)
#define PD_RULE_HAS_FWMARK (1u << 4) /* fwmark and fwmask */
#define PD_RULE_HAS_GOTO (1u << 5)
#define PD_RULE_HAS_SUPPRESS_PLEN (1u << 6)
#define PD_RULE_HAS_SUPPRESS_IFGROUP (1u << 7)
#define PD_RULE_HAS_UID (1u << 8)
#define PD_RULE_HAS_IPPROTO (1u << 9)
#define PD_RULE_HAS_SPORT (1u << 10)
#define PD_RULE_HAS_DPORT (1u << 11)
#define PD_RULE_HAS_L3MDEV (1u << 12)
#define PD_RULE_HAS_TUN_ID (1u << 13)
#define PD_RULE_HAS_PRIORITY (1u << 14)

struct pd_nl_rule {
	uint32_t has;                 /* PD_RULE_HAS_* */
	int family;                   /* 4 or 6 */
	uint8_t action;               /* PD_RULE_ACT_* (other values kept as sent) */
	uint8_t src_len, dst_len;
	uint8_t tos;                  /* DSCP/TOS selector, 0 = any */
	uint8_t protocol;             /* who made it (RTPROT_*) */
	uint32_t flags;               /* PD_RULE_F_* */
	uint32_t priority;            /* "pref" */
	uint32_t table;               /* FRA_TABLE, else the header's */
	struct pd_nl_addr src, dst;
	uint32_t fwmark, fwmask;
	char iifname[PD_NL_IFNAMSIZ], oifname[PD_NL_IFNAMSIZ];
	uint32_t goto_target;         /* priority jumped to */
	uint32_t suppress_prefixlen;  /* with PD_RULE_HAS_SUPPRESS_PLEN */
	uint32_t suppress_ifgroup;
	uint8_t ip_proto;
	uint16_t sport_lo, sport_hi, dport_lo, dport_hi;
	uint32_t uid_lo, uid_hi;
	uint8_t l3mdev;
};

/* Parse a reply to an RTM_GETRULE dump: every RTM_NEWRULE into out[0..cap)
 * (family 4 and 6; others are skipped), *n set to how many there were (may
 * exceed cap: the rest are counted, not stored).  NLMSG_DONE ends the
 * dump; an NLMSG_ERROR is PD_ERR_PERM (EPERM) or PD_ERR_SYSTEM.  Malformed
 * attributes are PD_ERR_MALFORMED with their offset.  Pure. */
int pd_nl_rules_parse(const void *buf, size_t len, struct pd_nl_rule *out, size_t cap,
		      size_t *n, struct pd_error *err);

/* Dump the rules of one family (4 or 6), in the kernel's order (priority). */
int pd_nl_rules_get(struct pd_nl *nl, int family, struct pd_nl_rule *out, size_t cap,
		    size_t *n, struct pd_error *err);

/* Parse a reply to an RTM_GETROUTE dump (all tables): routes into
 * out[0..cap), *n as for rules.  Cached clones are skipped.  Pure. */
int pd_nl_routes_parse(const void *buf, size_t len, struct pd_nl_route *out, size_t cap,
		       size_t *n, struct pd_error *err);

/* Dump every route of one family, all tables. */
int pd_nl_routes_get(struct pd_nl *nl, int family, struct pd_nl_route *out, size_t cap,
		     size_t *n, struct pd_error *err);

/* The flow a walk is for.  iifname "" is a locally generated packet, which
 * the kernel looks up with iif lo (so `iif lo` rules match it). */
struct pd_rule_flow {
	int family;                     /* 4 or 6 */
	struct pd_nl_addr src, dst;     /* src family 0: any (matches only "from all") */
	char iifname[PD_NL_IFNAMSIZ];
	char oifname[PD_NL_IFNAMSIZ];   /* bound output device, "" none */
	uint32_t mark;
	uint32_t uid;
	uint8_t tos;
	uint8_t ip_proto;               /* 0: none */
	uint16_t sport, dport;
};

/* Longest-prefix lookup of f in table `table` among routes[0..n): the
 * route (index into routes) that matches dst (and src for IPv6 source
 * routes, tos when the route has one), longest prefix first, then the lowest
 * metric.  Returns the index, or -1 when the table has no route for it. */
int pd_rule_table_lookup(const struct pd_nl_route *routes, size_t n, uint32_t table,
			 const struct pd_rule_flow *f);

/* Why the walk did what it did at one rule. */
enum pd_rule_step {
	PD_RULE_NOT_REACHED = 0,  /* the walk ended before it (or jumped over it) */
	PD_RULE_NO_MATCH,         /* a selector did not match */
	PD_RULE_NO_ROUTE,         /* matched; its table has no route for the flow */
	PD_RULE_THROW,            /* matched; the table's route is a throw route */
	PD_RULE_SUPPRESSED,       /* matched; suppress_prefixlength/ifgroup rejected the route */
	PD_RULE_NOP,              /* matched; action nop */
	PD_RULE_GOTO,             /* matched; jumped to goto_target */
	PD_RULE_GOTO_UNRESOLVED,  /* matched; no rule at the goto target: passed over */
	PD_RULE_CHOSEN,           /* matched; its table's route is the answer */
	PD_RULE_REFUSED,          /* matched; blackhole/unreachable/prohibit (rule or route) */
};

#define PD_RULE_REASON_MAX 160

struct pd_rule_verdict {
	enum pd_rule_step step;
	int route;                        /* index into routes (NO_ROUTE: -1) */
	char reason[PD_RULE_REASON_MAX];  /* which selector, which route */
};

/* The table lookup the walk calls: index into the caller's routes, or -1. */
typedef int (*pd_rule_lookup_fn)(void *ctx, uint32_t table, const struct pd_rule_flow *f);

struct pd_rule_walk {
	int chosen;        /* index of the rule that decided, -1: none matched (ESRCH) */
	int route;         /* the route the decision gave (CHOSEN), else -1 */
	uint8_t refused;   /* PD_NL_RTN_BLACKHOLE/UNREACHABLE/PROHIBIT when REFUSED */
};

/* Walk rules[0..n) (in the kernel's order) for f.  verdicts[i] says what
 * happened at rules[i]; lookup(ctx, table, f) answers table lookups; routes
 * (may be NULL) is the array its indices point into, for the reasons and the
 * suppress_prefixlength check.  Pure; returns PD_OK or PD_ERR_INVAL. */
int pd_rule_walk(const struct pd_nl_rule *rules, size_t n, const struct pd_rule_flow *f,
		 pd_rule_lookup_fn lookup, void *ctx, const struct pd_nl_route *routes,
		 size_t nroutes, struct pd_rule_verdict *verdicts, struct pd_rule_walk *out);

/* "lookup", "goto", "nop", "blackhole", "unreachable", "prohibit", "unknown". */
const char *pd_rule_action_name(uint8_t action);
/* "not-reached", "no-match", "no-route", "throw", "suppressed", "nop", "goto",
 * "goto-unresolved", "chosen", "refused". */
const char *pd_rule_step_name(enum pd_rule_step s);
/* "local", "main", "default" or the number, into buf; returns buf. */
const char *pd_rule_table_name(uint32_t table, char *buf, size_t len);

/* The rule in `ip rule` syntax, without the priority:
 * "not from 10.0.0.0/8 fwmark 0x1/0xff iif wg0 ipproto tcp dport 25 lookup 100".
 * Returns buf (always NUL-terminated when len > 0). */
const char *pd_rule_format(const struct pd_nl_rule *r, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
