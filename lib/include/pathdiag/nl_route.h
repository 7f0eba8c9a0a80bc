/* nl_route.h - the kernel's route to one destination (RTM_GETROUTE, what
 * `ip route get` asks): output interface, gateway, preferred source, table,
 * the route's MTU metric (and its lock), and a cached path MTU exception
 * learnt from ICMP "fragmentation needed" / "packet too big".
 *
 * Specs: include/uapi/linux/rtnetlink.h (struct rtmsg, RTA_*, RTAX_*,
 * struct rta_cacheinfo); RFC 1191 / RFC 8201 for what a cached path MTU is.
 *
 *   RTM_NEWROUTE: | nlmsghdr | rtmsg: family dst_len src_len tos table
 *                 |            protocol scope type (1 each) flags (4) |
 *                 | RTA_DST | RTA_OIF u32 | RTA_GATEWAY | RTA_PREFSRC |
 *                 | RTA_TABLE u32 | RTA_METRICS [ RTAX_LOCK u32 RTAX_MTU u32 ]
 *                 | RTA_CACHEINFO: clntref lastuse expires(s32) error used id ts |
 *                 |                tsage (8 x 4 bytes) |
 *
 * What the kernel reports for a path MTU exception (6.x; see
 * tests/lab/netlink-tests.sh, which checks it against `ip route get`):
 * IPv4 answers every RTM_GETROUTE with rtm_flags RTM_F_CLONED; an exception
 * shows as RTAX_MTU in RTA_METRICS together with a non-zero expires in
 * RTA_CACHEINFO.  IPv6 marks the cached route (RTF_CACHE) with RTM_F_CLONED
 * and also puts the MTU in RTA_METRICS and the expiry in RTA_CACHEINFO.
 */
#ifndef PATHDIAG_NL_ROUTE_H
#define PATHDIAG_NL_ROUTE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Route types (rtm_type). */
#define PD_NL_RTN_UNICAST 1
#define PD_NL_RTN_LOCAL 2
#define PD_NL_RTN_BROADCAST 3
#define PD_NL_RTN_MULTICAST 5
#define PD_NL_RTN_BLACKHOLE 6
#define PD_NL_RTN_UNREACHABLE 7
#define PD_NL_RTN_PROHIBIT 8

/* rtm_flags */
#define PD_NL_RTM_F_CLONED 0x200u

/* The kernel's USER_HZ: the unit of rta_cacheinfo.rta_expires. */
#define PD_NL_USER_HZ 100

/* Query flags. */
#define PD_NL_RQ_FIB_MATCH 0x1u /* the FIB entry that matched, not the resolved
				   route (no exception, no cache info) */

struct pd_nl_route_query {
	struct pd_nl_addr dst;  /* required */
	struct pd_nl_addr src;  /* family 0: none ("from") */
	uint32_t mark;          /* 0: none */
	int oif, iif;           /* 0: none; iif needs src */
	uint8_t ipproto;        /* 0: none (with sport/dport for policy rules) */
	uint16_t sport, dport;
	uint32_t flags;         /* PD_NL_RQ_* */
};

/* "has" bits */
#define PD_NLR_DST (1u << 0)
#define PD_NLR_SRC (1u << 1)
#define PD_NLR_GATEWAY (1u << 2)
#define PD_NLR_PREFSRC (1u << 3)
#define PD_NLR_OIF (1u << 4)
#define PD_NLR_IIF (1u << 5)
#define PD_NLR_PRIORITY (1u << 6)
#define PD_NLR_MARK (1u << 7)
#define PD_NLR_UID (1u << 8)
#define PD_NLR_MTU (1u << 9)        /* RTAX_MTU present (configured or PMTU) */
#define PD_NLR_ADVMSS (1u << 10)
#define PD_NLR_HOPLIMIT (1u << 11)
#define PD_NLR_CACHEINFO (1u << 12)
#define PD_NLR_PREF (1u << 13)

struct pd_nl_route {
	uint32_t has;              /* PD_NLR_* */
	int family;                /* 4 or 6 */
	uint8_t type;              /* PD_NL_RTN_* */
	uint8_t protocol, scope, tos;
	uint8_t dst_len, src_len;
	uint32_t rtm_flags;
	uint32_t table;            /* RTA_TABLE, else rtm_table */
	struct pd_nl_addr dst, src, gateway, prefsrc;
	int oif, iif;
	uint32_t priority, mark, uid;
	uint8_t pref;              /* IPv6 router preference */
	uint32_t mtu;              /* RTAX_MTU */
	bool mtu_locked;           /* RTAX_LOCK has the MTU bit ("mtu lock") */
	uint32_t advmss, hoplimit;
	bool cloned;               /* rtm_flags & RTM_F_CLONED */
	int32_t expires_clk;       /* RTA_CACHEINFO expires, USER_HZ ticks */
	uint32_t expires_ms;       /* the same in milliseconds, 0 if none */
	int32_t error;             /* RTA_CACHEINFO error: 0 or a negative errno */
	/* The MTU is a path MTU exception the kernel learnt (and will forget
	 * after expires_ms), not a configured route MTU. */
	bool pmtu_exception;
};

/* Parse a reply to RTM_GETROUTE: the first RTM_NEWROUTE of buf (acks and
 * NLMSG_NOOP skipped).  An NLMSG_ERROR before it becomes PD_ERR_NOTFOUND for
 * ENETUNREACH / EHOSTUNREACH / EACCES from a prohibit route (sys_errno says
 * which), PD_ERR_NOTFOUND (ENODEV) for an unknown oif/iif, PD_ERR_SYSTEM
 * otherwise.  Malformed attributes are PD_ERR_MALFORMED. */
int pd_nl_route_parse(const void *buf, size_t len, struct pd_nl_route *out,
		      struct pd_error *err);

/* Ask the kernel for its route to q->dst. */
int pd_nl_route_get(struct pd_nl *nl, const struct pd_nl_route_query *q,
		    struct pd_nl_route *out, struct pd_error *err);

enum pd_nl_mtu_source {
	PD_NL_MTU_LINK = 0,  /* the output interface's MTU */
	PD_NL_MTU_ROUTE,     /* a configured route MTU (`ip route ... mtu N`) */
	PD_NL_MTU_PMTU,      /* a cached path MTU exception */
};

struct pd_nl_path_mtu {
	uint32_t mtu;                  /* the MTU the kernel applies toward dst */
	enum pd_nl_mtu_source source;
	uint32_t link_mtu;             /* the output interface's MTU */
	struct pd_nl_route route;
	struct pd_nl_link link;        /* the output interface */
};

/* The effective MTU toward q->dst, as the kernel picks it: the route's MTU
 * metric (a path MTU exception or a configured `mtu`) if there is one, else
 * the output interface's MTU.  A route MTU above the interface MTU is
 * reported as it is (the kernel applies it the same way).  PD_ERR_NOTFOUND
 * for an unreachable, prohibit or blackhole destination. */
int pd_nl_route_mtu(struct pd_nl *nl, const struct pd_nl_route_query *q,
		    struct pd_nl_path_mtu *out, struct pd_error *err);

/* "unicast", "local", "unreachable", ...; "unknown" otherwise. */
const char *pd_nl_rtn_name(uint8_t type);

/* "link", "route", "pmtu". */
const char *pd_nl_mtu_source_name(enum pd_nl_mtu_source s);

#ifdef __cplusplus
}
#endif
#endif
