/* nl_rule.c - policy routing rules (RTM_GETRULE), the routes of all tables
 * (RTM_GETROUTE dump) and the kernel's walk of the rules for one flow
 * (include/uapi/linux/fib_rules.h; net/core/fib_rules.c semantics).
 *
 *   | nlmsghdr | fib_rule_hdr (12): family dst_len src_len tos table res1
 *   |            res2 action, flags u32 | FRA_* attributes ... |
 *   FRA_SPORT_RANGE / FRA_DPORT_RANGE: | start u16 | end u16 | (host order)
 *   FRA_UID_RANGE:                     | start u32 | end u32 |
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/fib_rules.h>
#include <linux/rtnetlink.h>

#include <pathdiag/nl_rule.h>

#include "nl_internal.h"

/* Attributes newer than the build host's headers may be. */
#define RULE_HDR_LEN 12u
#define SUPPRESS_NONE 0xffffffffu

const char *pd_rule_action_name(uint8_t action)
{
	switch (action) {
	case PD_RULE_ACT_TO_TBL: return "lookup";
	case PD_RULE_ACT_GOTO: return "goto";
	case PD_RULE_ACT_NOP: return "nop";
	case PD_RULE_ACT_BLACKHOLE: return "blackhole";
	case PD_RULE_ACT_UNREACHABLE: return "unreachable";
	case PD_RULE_ACT_PROHIBIT: return "prohibit";
	}
	return "unknown";
}

const char *pd_rule_step_name(enum pd_rule_step s)
{
	switch (s) {
	case PD_RULE_NOT_REACHED: return "not-reached";
	case PD_RULE_NO_MATCH: return "no-match";
	case PD_RULE_NO_ROUTE: return "no-route";
	case PD_RULE_THROW: return "throw";
	case PD_RULE_SUPPRESSED: return "suppressed";
	case PD_RULE_NOP: return "nop";
	case PD_RULE_GOTO: return "goto";
	case PD_RULE_GOTO_UNRESOLVED: return "goto-unresolved";
	case PD_RULE_CHOSEN: return "chosen";
	case PD_RULE_REFUSED: return "refused";
	}
	return "unknown";
}

const char *pd_rule_table_name(uint32_t table, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	if (table == PD_RT_TABLE_LOCAL)
		snprintf(buf, len, "local");
	else if (table == PD_RT_TABLE_MAIN)
		snprintf(buf, len, "main");
	else if (table == PD_RT_TABLE_DEFAULT)
		snprintf(buf, len, "default");
	else
		snprintf(buf, len, "%u", table);
	return buf;
}

/* ---- parser -------------------------------------------------------------------------- */

static int rule_u32(const uint8_t *buf, const struct nlattr *a, uint32_t *v, const char *what,
		    struct pd_error *err)
{
	int rc = nl_want(buf, a, MNL_TYPE_U32, what, err);

	if (rc == 0)
		*v = mnl_attr_get_u32(a);
	return rc;
}

static int rule_u8(const uint8_t *buf, const struct nlattr *a, uint8_t *v, const char *what,
		   struct pd_error *err)
{
	int rc = nl_want(buf, a, MNL_TYPE_U8, what, err);

	if (rc == 0)
		*v = mnl_attr_get_u8(a);
	return rc;
}

static int rule_range16(const uint8_t *buf, const struct nlattr *a, uint16_t *lo, uint16_t *hi,
			const char *what, struct pd_error *err)
{
	const uint8_t *p = mnl_attr_get_payload(a);
	int rc = nl_want_len(buf, a, 4, what, err);

	if (rc < 0)
		return rc;
	memcpy(lo, p, 2);
	memcpy(hi, p + 2, 2);
	return PD_OK;
}

static int rule_addr(const uint8_t *buf, const struct nlattr *a, struct pd_nl_rule *r,
		     struct pd_nl_addr *out, const char *what, struct pd_error *err)
{
	int rc = nl_get_addr(buf, a, out, what, err);

	if (rc < 0)
		return rc;
	if (out->family != r->family)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "rule address of a family other than the rule's");
	return PD_OK;
}

static int rule_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		     struct pd_error *err)
{
	struct pd_nl_rule *r = vctx;
	const uint8_t *p = mnl_attr_get_payload(a);
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case FRA_SRC:
		rc = rule_addr(buf, a, r, &r->src, "FRA_SRC is not 4 or 16 bytes", err);
		r->has |= PD_RULE_HAS_SRC;
		break;
	case FRA_DST:
		rc = rule_addr(buf, a, r, &r->dst, "FRA_DST is not 4 or 16 bytes", err);
		r->has |= PD_RULE_HAS_DST;
		break;
	case FRA_IIFNAME:
		rc = nl_get_str(buf, a, r->iifname, sizeof(r->iifname),
				"FRA_IIFNAME is not a string of at most 15 characters", err);
		r->has |= PD_RULE_HAS_IIF;
		break;
	case FRA_OIFNAME:
		rc = nl_get_str(buf, a, r->oifname, sizeof(r->oifname),
				"FRA_OIFNAME is not a string of at most 15 characters", err);
		r->has |= PD_RULE_HAS_OIF;
		break;
	case FRA_PRIORITY:
		rc = rule_u32(buf, a, &r->priority, "FRA_PRIORITY is not a u32", err);
		r->has |= PD_RULE_HAS_PRIORITY;
		break;
	case FRA_TABLE:
		rc = rule_u32(buf, a, &r->table, "FRA_TABLE is not a u32", err);
		break;
	case FRA_FWMARK:
		rc = rule_u32(buf, a, &r->fwmark, "FRA_FWMARK is not a u32", err);
		if (!(r->has & PD_RULE_HAS_FWMARK))
			r->fwmask = 0xffffffffu; /* a mark without a mask is exact */
		r->has |= PD_RULE_HAS_FWMARK;
		break;
	case FRA_FWMASK:
		rc = rule_u32(buf, a, &r->fwmask, "FRA_FWMASK is not a u32", err);
		r->has |= PD_RULE_HAS_FWMARK;
		break;
	case FRA_GOTO:
		rc = rule_u32(buf, a, &r->goto_target, "FRA_GOTO is not a u32", err);
		r->has |= PD_RULE_HAS_GOTO;
		break;
	case FRA_SUPPRESS_PREFIXLEN:
		rc = rule_u32(buf, a, &r->suppress_prefixlen,
			      "FRA_SUPPRESS_PREFIXLEN is not a u32", err);
		if (rc == 0 && r->suppress_prefixlen != SUPPRESS_NONE)
			r->has |= PD_RULE_HAS_SUPPRESS_PLEN;
		break;
	case FRA_SUPPRESS_IFGROUP:
		rc = rule_u32(buf, a, &r->suppress_ifgroup, "FRA_SUPPRESS_IFGROUP is not a u32",
			      err);
		if (rc == 0 && r->suppress_ifgroup != SUPPRESS_NONE)
			r->has |= PD_RULE_HAS_SUPPRESS_IFGROUP;
		break;
	case FRA_TUN_ID:
		rc = nl_want_len(buf, a, 8, "FRA_TUN_ID is not 8 bytes", err);
		r->has |= PD_RULE_HAS_TUN_ID;
		break;
	case FRA_L3MDEV:
		rc = rule_u8(buf, a, &r->l3mdev, "FRA_L3MDEV is not a u8", err);
		if (rc == 0 && r->l3mdev)
			r->has |= PD_RULE_HAS_L3MDEV;
		break;
	case FRA_PROTOCOL:
		rc = rule_u8(buf, a, &r->protocol, "FRA_PROTOCOL is not a u8", err);
		break;
	case FRA_IP_PROTO:
		rc = rule_u8(buf, a, &r->ip_proto, "FRA_IP_PROTO is not a u8", err);
		r->has |= PD_RULE_HAS_IPPROTO;
		break;
	case FRA_SPORT_RANGE:
		rc = rule_range16(buf, a, &r->sport_lo, &r->sport_hi,
				  "FRA_SPORT_RANGE is not 4 bytes", err);
		if (rc == 0 && (r->sport_lo || r->sport_hi))
			r->has |= PD_RULE_HAS_SPORT;
		break;
	case FRA_DPORT_RANGE:
		rc = rule_range16(buf, a, &r->dport_lo, &r->dport_hi,
				  "FRA_DPORT_RANGE is not 4 bytes", err);
		if (rc == 0 && (r->dport_lo || r->dport_hi))
			r->has |= PD_RULE_HAS_DPORT;
		break;
	case FRA_UID_RANGE:
		rc = nl_want_len(buf, a, 8, "FRA_UID_RANGE is not 8 bytes", err);
		if (rc == 0) {
			memcpy(&r->uid_lo, p, 4);
			memcpy(&r->uid_hi, p + 4, 4);
			/* The kernel sends the full range for rules without one. */
			if (r->uid_lo != 0 || r->uid_hi != 0xffffffffu)
				r->has |= PD_RULE_HAS_UID;
		}
		break;
	}
	return rc;
}

static int parse_newrule(const uint8_t *buf, const struct nlmsghdr *nlh, struct pd_nl_rule *r,
			 struct pd_error *err)
{
	const uint8_t *h;
	size_t start, end;
	uint32_t flags;

	memset(r, 0, sizeof(*r));
	if (mnl_nlmsg_get_payload_len(nlh) < RULE_HDR_LEN)
		return pd_fail(err, PD_ERR_TRUNCATED, nl_off(buf, nlh),
			       "RTM_NEWRULE shorter than struct fib_rule_hdr");
	h = mnl_nlmsg_get_payload(nlh);
	if (h[0] == AF_INET)
		r->family = 4;
	else if (h[0] == AF_INET6)
		r->family = 6;
	else
		return PD_ERR_UNSUPPORTED; /* skipped by the caller, not an error */
	if (h[1] > (r->family == 4 ? 32 : 128) || h[2] > (r->family == 4 ? 32 : 128))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, h),
			       "rule prefix length longer than the address");
	r->dst_len = h[1];
	r->src_len = h[2];
	r->tos = h[3];
	r->table = h[4];
	r->action = h[7];
	memcpy(&flags, h + 8, 4);
	r->flags = flags;
	r->suppress_prefixlen = SUPPRESS_NONE;
	r->suppress_ifgroup = SUPPRESS_NONE;
	r->uid_hi = 0xffffffffu;

	start = nl_off(buf, h) + RULE_HDR_LEN;
	end = nl_off(buf, nlh) + nlh->nlmsg_len;
	return nl_walk_attrs(buf, start, end, rule_attr, r, err);
}

static int dump_errno(int e, struct pd_error *err)
{
	if (e == EPERM || e == EACCES)
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN", e);
	return nl_fail_errno(err, PD_ERR_SYSTEM, "netlink dump failed", e);
}

/* Walk a dump reply: fn for each message of type `want`; stops at
 * NLMSG_DONE. */
static int walk_dump(const uint8_t *buf, size_t len, uint16_t want, nl_msg_fn fn, void *ctx,
		     struct pd_error *err)
{
	const struct nlmsghdr *done;

	return nl_walk_msgs(buf, len, want, fn, ctx, dump_errno, &done, err);
}

struct rules_ctx {
	struct pd_nl_rule *out;
	size_t cap, n;
};

static int one_rule(const uint8_t *buf, const struct nlmsghdr *nlh, void *vctx,
		    struct pd_error *err)
{
	struct rules_ctx *c = vctx;
	struct pd_nl_rule r;
	int rc = parse_newrule(buf, nlh, &r, err);

	if (rc == PD_ERR_UNSUPPORTED)
		return PD_OK;
	if (rc < 0)
		return rc;
	if (c->n < c->cap)
		c->out[c->n] = r;
	c->n++;
	return PD_OK;
}

int pd_nl_rules_parse(const void *buf, size_t len, struct pd_nl_rule *out, size_t cap,
		      size_t *n, struct pd_error *err)
{
	struct rules_ctx c = { out, out ? cap : 0, 0 };
	int rc;

	if (!n)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_rules_parse: n is NULL");
	*n = 0;
	rc = walk_dump(buf, len, RTM_NEWRULE, one_rule, &c, err);
	if (rc == 0)
		*n = c.n;
	return rc;
}

struct routes_ctx {
	struct pd_nl_route *out;
	size_t cap, n;
};

static int one_route(const uint8_t *buf, const struct nlmsghdr *nlh, void *vctx,
		     struct pd_error *err)
{
	struct routes_ctx *c = vctx;
	struct pd_nl_route r;
	int rc;

	/* One message is a reply of its own for pd_nl_route_parse; errors
	 * then count from the message, so shift them to the buffer. */
	rc = pd_nl_route_parse(nlh, nlh->nlmsg_len, &r, err);
	if (rc == PD_ERR_UNSUPPORTED)
		return PD_OK;
	if (rc < 0) {
		if (err)
			err->offset += nl_off(buf, nlh);
		return rc;
	}
	if (r.cloned && r.family == 6)
		return PD_OK;
	if (c->n < c->cap)
		c->out[c->n] = r;
	c->n++;
	return PD_OK;
}

int pd_nl_routes_parse(const void *buf, size_t len, struct pd_nl_route *out, size_t cap,
		       size_t *n, struct pd_error *err)
{
	struct routes_ctx c = { out, out ? cap : 0, 0 };
	int rc;

	if (!n)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_routes_parse: n is NULL");
	*n = 0;
	rc = walk_dump(buf, len, RTM_NEWROUTE, one_route, &c, err);
	if (rc == 0)
		*n = c.n;
	return rc;
}

/* ---- queries ------------------------------------------------------------------------- */

static int dump(struct pd_nl *nl, uint16_t type, int family, struct nl_reply *rep,
		struct pd_error *err, struct pd_nl **tmp)
{
	_Alignas(8) char req[128];
	struct pd_nl *use;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	int rc;

	if (family != 4 && family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "family is not 4 or 6");
	rc = nl_use(nl, &use, tmp, err);
	if (rc < 0)
		return rc;
	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = type;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	/* struct rtmsg and struct fib_rule_hdr are both 12 bytes with the
	 * family first; everything else zero asks for all. */
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = family == 4 ? AF_INET : AF_INET6;
	rc = nl_transact(use, use->rt, nlh, rep, err);
	return rc;
}

int pd_nl_rules_get(struct pd_nl *nl, int family, struct pd_nl_rule *out, size_t cap,
		    size_t *n, struct pd_error *err)
{
	struct pd_nl *tmp = NULL;
	struct nl_reply rep;
	int rc;

	if (!n)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_rules_get: n is NULL");
	*n = 0;
	rc = dump(nl, RTM_GETRULE, family, &rep, err, &tmp);
	if (rc == 0) {
		rc = pd_nl_rules_parse(rep.buf, rep.len, out, cap, n, err);
		nl_reply_free(&rep);
	}
	nl_done(tmp);
	return rc;
}

int pd_nl_routes_get(struct pd_nl *nl, int family, struct pd_nl_route *out, size_t cap,
		     size_t *n, struct pd_error *err)
{
	struct pd_nl *tmp = NULL;
	struct nl_reply rep;
	int rc;

	if (!n)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_routes_get: n is NULL");
	*n = 0;
	rc = dump(nl, RTM_GETROUTE, family, &rep, err, &tmp);
	if (rc == 0) {
		rc = pd_nl_routes_parse(rep.buf, rep.len, out, cap, n, err);
		nl_reply_free(&rep);
	}
	nl_done(tmp);
	return rc;
}

/* ---- matching -------------------------------------------------------------------------- */

/* The first len bits of a and p are equal (a must be of p's family). */
static bool prefix_match(const struct pd_nl_addr *a, const struct pd_nl_addr *p, unsigned len)
{
	unsigned full = len / 8, rest = len % 8;

	if (len == 0)
		return true;
	if (a->family != p->family)
		return false;
	if (memcmp(a->addr, p->addr, full))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xff << (8 - rest));

		return (a->addr[full] & m) == (p->addr[full] & m);
	}
	return true;
}

int pd_rule_table_lookup(const struct pd_nl_route *routes, size_t n, uint32_t table,
			 const struct pd_rule_flow *f)
{
	int best = -1;
	size_t i;

	if (!routes || !f)
		return -1;
	for (i = 0; i < n; i++) {
		const struct pd_nl_route *r = &routes[i];
		const struct pd_nl_route *b;

		if (r->table != table || r->family != f->family)
			continue;
		if (r->rtm_flags & 1u) /* RTNH_F_DEAD */
			continue;
		if (r->dst_len && !prefix_match(&f->dst, &r->dst, r->dst_len))
			continue;
		if (r->src_len && !prefix_match(&f->src, &r->src, r->src_len))
			continue;
		if (r->tos && r->tos != f->tos)
			continue;
		if (best < 0) {
			best = (int)i;
			continue;
		}
		b = &routes[best];
		if (r->dst_len > b->dst_len ||
		    (r->dst_len == b->dst_len && r->src_len > b->src_len) ||
		    (r->dst_len == b->dst_len && r->src_len == b->src_len && r->tos && !b->tos) ||
		    (r->dst_len == b->dst_len && r->src_len == b->src_len &&
		     !r->tos == !b->tos && r->priority < b->priority))
			best = (int)i;
	}
	return best;
}

static void addr_text(const struct pd_nl_addr *a, unsigned len, char *buf, size_t blen)
{
	char s[PD_NL_ADDRSTRLEN];

	pd_nl_addr_str(a, s, sizeof(s));
	if (len == (a->family == 4 ? 32u : 128u))
		snprintf(buf, blen, "%s", s);
	else
		snprintf(buf, blen, "%s/%u", s, len);
}

/* Do the selectors match?  On a mismatch, why goes to reason. */
static bool selectors_match(const struct pd_nl_rule *r, const struct pd_rule_flow *f,
			    char *reason, size_t rlen)
{
	const char *iif = f->iifname[0] ? f->iifname : "lo";
	char a[PD_NL_ADDRSTRLEN + 8];

	if (r->has & PD_RULE_HAS_IIF) {
		if (r->flags & PD_RULE_F_IIF_DETACHED) {
			snprintf(reason, rlen, "iif %s does not exist", r->iifname);
			return false;
		}
		if (strcmp(r->iifname, iif)) {
			snprintf(reason, rlen, "iif %s, the flow comes from %s%s", r->iifname, iif,
				 f->iifname[0] ? "" : " (this host)");
			return false;
		}
	}
	if (r->has & PD_RULE_HAS_OIF) {
		if ((r->flags & PD_RULE_F_OIF_DETACHED) || strcmp(r->oifname, f->oifname)) {
			snprintf(reason, rlen, "oif %s, the flow is bound to %s", r->oifname,
				 f->oifname[0] ? f->oifname : "no device");
			return false;
		}
	}
	if ((r->fwmark ^ f->mark) & r->fwmask) {
		snprintf(reason, rlen, "fwmark 0x%x/0x%x, the flow's mark is 0x%x", r->fwmark,
			 r->fwmask, f->mark);
		return false;
	}
	if (r->has & PD_RULE_HAS_TUN_ID) {
		snprintf(reason, rlen, "tun_id: the flow carries no tunnel id");
		return false;
	}
	if (r->has & PD_RULE_HAS_L3MDEV) {
		snprintf(reason, rlen, "l3mdev: the flow's interfaces are not taken to be in a VRF");
		return false;
	}
	if ((r->has & PD_RULE_HAS_UID) && (f->uid < r->uid_lo || f->uid > r->uid_hi)) {
		snprintf(reason, rlen, "uidrange %u-%u, the flow's uid is %u", r->uid_lo,
			 r->uid_hi, f->uid);
		return false;
	}
	if (r->src_len) {
		if (f->src.family != r->family || !prefix_match(&f->src, &r->src, r->src_len)) {
			addr_text(&r->src, r->src_len, a, sizeof(a));
			snprintf(reason, rlen, "from %s, the flow's source is outside", a);
			return false;
		}
	}
	if (r->dst_len && !prefix_match(&f->dst, &r->dst, r->dst_len)) {
		addr_text(&r->dst, r->dst_len, a, sizeof(a));
		snprintf(reason, rlen, "to %s, the flow's destination is outside", a);
		return false;
	}
	if (r->tos && r->tos != f->tos) {
		snprintf(reason, rlen, "tos 0x%02x, the flow's is 0x%02x", r->tos, f->tos);
		return false;
	}
	if ((r->has & PD_RULE_HAS_IPPROTO) && r->ip_proto != f->ip_proto) {
		snprintf(reason, rlen, "ipproto %u, the flow's is %u", r->ip_proto, f->ip_proto);
		return false;
	}
	if ((r->has & PD_RULE_HAS_SPORT) && (f->sport < r->sport_lo || f->sport > r->sport_hi)) {
		snprintf(reason, rlen, "sport %u-%u, the flow's is %u", r->sport_lo, r->sport_hi,
			 f->sport);
		return false;
	}
	if ((r->has & PD_RULE_HAS_DPORT) && (f->dport < r->dport_lo || f->dport > r->dport_hi)) {
		snprintf(reason, rlen, "dport %u-%u, the flow's is %u", r->dport_lo, r->dport_hi,
			 f->dport);
		return false;
	}
	return true;
}

static bool rule_match(const struct pd_nl_rule *r, const struct pd_rule_flow *f, char *reason,
		       size_t rlen)
{
	bool m = selectors_match(r, f, reason, rlen);

	if (!(r->flags & PD_RULE_F_INVERT))
		return m;
	if (m)
		snprintf(reason, rlen, "not: its selectors match the flow, so the rule does not");
	else
		reason[0] = '\0';
	return !m;
}

static void route_text(const struct pd_nl_route *routes, size_t nroutes, int i, char *buf,
		       size_t len)
{
	const struct pd_nl_route *r;
	char a[PD_NL_ADDRSTRLEN + 8];

	if (!routes || i < 0 || (size_t)i >= nroutes) {
		buf[0] = '\0';
		return;
	}
	r = &routes[i];
	if (r->dst_len)
		addr_text(&r->dst, r->dst_len, a, sizeof(a));
	else
		snprintf(a, sizeof(a), "default");
	snprintf(buf, len, "%s%s%s", r->type == PD_NL_RTN_UNICAST ? "" : pd_nl_rtn_name(r->type),
		 r->type == PD_NL_RTN_UNICAST ? "" : " ", a);
}

static int find_priority(const struct pd_nl_rule *rules, size_t n, size_t after, uint32_t prio)
{
	size_t j;

	for (j = after + 1; j < n; j++)
		if (rules[j].priority == prio)
			return (int)j;
	return -1;
}

static uint8_t refused_type(uint8_t action)
{
	switch (action) {
	case PD_RULE_ACT_BLACKHOLE: return PD_NL_RTN_BLACKHOLE;
	case PD_RULE_ACT_UNREACHABLE: return PD_NL_RTN_UNREACHABLE;
	case PD_RULE_ACT_PROHIBIT: return PD_NL_RTN_PROHIBIT;
	}
	return 0;
}

/* The table lookup of a matching "lookup" rule; true when the walk ends. */
static bool table_step(const struct pd_nl_rule *r, const struct pd_rule_flow *f,
		       pd_rule_lookup_fn lookup, void *ctx, const struct pd_nl_route *routes,
		       size_t nroutes, struct pd_rule_verdict *v, struct pd_rule_walk *out, int i)
{
	char rt[PD_NL_ADDRSTRLEN + 24], tb[16];
	const struct pd_nl_route *route;
	int t = lookup(ctx, r->table, f);

	pd_rule_table_name(r->table, tb, sizeof(tb));
	v->route = t;
	if (t < 0) {
		v->step = PD_RULE_NO_ROUTE;
		snprintf(v->reason, sizeof(v->reason), "table %s has no route for the flow", tb);
		return false;
	}
	route_text(routes, nroutes, t, rt, sizeof(rt));
	route = routes && (size_t)t < nroutes ? &routes[t] : NULL;
	if (route && route->type == 9 /* RTN_THROW */) {
		v->step = PD_RULE_THROW;
		snprintf(v->reason, sizeof(v->reason), "table %s: %s sends the lookup on", tb, rt);
		return false;
	}
	if (route && (route->type == PD_NL_RTN_BLACKHOLE || route->type == PD_NL_RTN_UNREACHABLE ||
		      route->type == PD_NL_RTN_PROHIBIT)) {
		v->step = PD_RULE_REFUSED;
		snprintf(v->reason, sizeof(v->reason), "table %s: %s", tb, rt);
		out->chosen = i;
		out->route = t;
		out->refused = route->type;
		return true;
	}
	if (route && (r->has & PD_RULE_HAS_SUPPRESS_PLEN) &&
	    route->dst_len <= r->suppress_prefixlen) {
		v->step = PD_RULE_SUPPRESSED;
		snprintf(v->reason, sizeof(v->reason), "table %s: %s is /%u, suppressed (/%u or "
			 "shorter)", tb, rt, route->dst_len, r->suppress_prefixlen);
		return false;
	}
	v->step = PD_RULE_CHOSEN;
	snprintf(v->reason, sizeof(v->reason), "table %s: %s%s", tb, rt,
		 (r->has & PD_RULE_HAS_SUPPRESS_IFGROUP) ? " (suppress_ifgroup not checked)" : "");
	out->chosen = i;
	out->route = t;
	return true;
}

int pd_rule_walk(const struct pd_nl_rule *rules, size_t n, const struct pd_rule_flow *f,
		 pd_rule_lookup_fn lookup, void *ctx, const struct pd_nl_route *routes,
		 size_t nroutes, struct pd_rule_verdict *verdicts, struct pd_rule_walk *out)
{
	size_t i;

	if ((!rules && n) || !f || !lookup || (!verdicts && n) || !out)
		return pd_fail(NULL, PD_ERR_INVAL, 0, "pd_rule_walk: NULL argument");
	out->chosen = -1;
	out->route = -1;
	out->refused = 0;
	for (i = 0; i < n; i++) {
		verdicts[i].step = PD_RULE_NOT_REACHED;
		verdicts[i].route = -1;
		verdicts[i].reason[0] = '\0';
	}
	i = 0;
	while (i < n) {
		const struct pd_nl_rule *r = &rules[i];
		struct pd_rule_verdict *v = &verdicts[i];
		int j;

		if (!rule_match(r, f, v->reason, sizeof(v->reason))) {
			v->step = PD_RULE_NO_MATCH;
			i++;
			continue;
		}
		switch (r->action) {
		case PD_RULE_ACT_GOTO:
			/* The kernel only accepts targets after the rule itself. */
			j = find_priority(rules, n, i, r->goto_target);
			if (j < 0) {
				v->step = PD_RULE_GOTO_UNRESOLVED;
				snprintf(v->reason, sizeof(v->reason),
					 "no rule with priority %u to jump to", r->goto_target);
				i++;
			} else {
				v->step = PD_RULE_GOTO;
				snprintf(v->reason, sizeof(v->reason), "jumps to priority %u",
					 r->goto_target);
				i = (size_t)j;
			}
			continue;
		case PD_RULE_ACT_NOP:
			v->step = PD_RULE_NOP;
			snprintf(v->reason, sizeof(v->reason), "nop: the walk goes on");
			i++;
			continue;
		case PD_RULE_ACT_BLACKHOLE:
		case PD_RULE_ACT_UNREACHABLE:
		case PD_RULE_ACT_PROHIBIT:
			v->step = PD_RULE_REFUSED;
			snprintf(v->reason, sizeof(v->reason), "the rule's action is %s",
				 pd_rule_action_name(r->action));
			out->chosen = (int)i;
			out->refused = refused_type(r->action);
			return PD_OK;
		case PD_RULE_ACT_TO_TBL:
			if (table_step(r, f, lookup, ctx, routes, nroutes, v, out, (int)i))
				return PD_OK;
			i++;
			continue;
		default:
			v->step = PD_RULE_NO_MATCH;
			snprintf(v->reason, sizeof(v->reason), "action %u is not known", r->action);
			i++;
			continue;
		}
	}
	return PD_OK;
}

/* ---- text ------------------------------------------------------------------------------- */

static const char *proto_name(uint8_t p, char *buf, size_t len)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 58: return "ipv6-icmp";
	}
	snprintf(buf, len, "%u", p);
	return buf;
}

#define APPEND(...)                                                                   \
	do {                                                                          \
		if (off < len) {                                                      \
			int w_ = snprintf(buf + off, len - off, __VA_ARGS__);         \
			off = w_ < 0 ? len : off + (size_t)w_;                        \
		}                                                                     \
	} while (0)

const char *pd_rule_format(const struct pd_nl_rule *r, char *buf, size_t len)
{
	char a[PD_NL_ADDRSTRLEN + 8], t[16];
	size_t off = 0;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!r)
		return buf;
	if (r->flags & PD_RULE_F_INVERT)
		APPEND("not ");
	if (r->src_len) {
		addr_text(&r->src, r->src_len, a, sizeof(a));
		APPEND("from %s", a);
	} else {
		APPEND("from all");
	}
	if (r->dst_len) {
		addr_text(&r->dst, r->dst_len, a, sizeof(a));
		APPEND(" to %s", a);
	}
	if (r->tos)
		APPEND(" tos 0x%02x", r->tos);
	if (r->has & PD_RULE_HAS_FWMARK && (r->fwmark || r->fwmask)) {
		if (r->fwmask == 0xffffffffu)
			APPEND(" fwmark 0x%x", r->fwmark);
		else
			APPEND(" fwmark 0x%x/0x%x", r->fwmark, r->fwmask);
	}
	if (r->has & PD_RULE_HAS_IIF)
		APPEND(" iif %s%s", r->iifname,
		       (r->flags & PD_RULE_F_IIF_DETACHED) ? " [detached]" : "");
	if (r->has & PD_RULE_HAS_OIF)
		APPEND(" oif %s%s", r->oifname,
		       (r->flags & PD_RULE_F_OIF_DETACHED) ? " [detached]" : "");
	if (r->has & PD_RULE_HAS_L3MDEV)
		APPEND(" lookup [l3mdev-table]");
	if (r->has & PD_RULE_HAS_UID)
		APPEND(" uidrange %u-%u", r->uid_lo, r->uid_hi);
	if (r->has & PD_RULE_HAS_IPPROTO)
		APPEND(" ipproto %s", proto_name(r->ip_proto, t, sizeof(t)));
	if (r->has & PD_RULE_HAS_SPORT) {
		if (r->sport_lo == r->sport_hi)
			APPEND(" sport %u", r->sport_lo);
		else
			APPEND(" sport %u-%u", r->sport_lo, r->sport_hi);
	}
	if (r->has & PD_RULE_HAS_DPORT) {
		if (r->dport_lo == r->dport_hi)
			APPEND(" dport %u", r->dport_lo);
		else
			APPEND(" dport %u-%u", r->dport_lo, r->dport_hi);
	}
	switch (r->action) {
	case PD_RULE_ACT_TO_TBL:
		if (!(r->has & PD_RULE_HAS_L3MDEV))
			APPEND(" lookup %s", pd_rule_table_name(r->table, t, sizeof(t)));
		break;
	case PD_RULE_ACT_GOTO:
		APPEND(" goto %u", r->goto_target);
		break;
	default:
		APPEND(" %s", pd_rule_action_name(r->action));
		break;
	}
	if (r->has & PD_RULE_HAS_SUPPRESS_PLEN)
		APPEND(" suppress_prefixlength %u", r->suppress_prefixlen);
	if (r->has & PD_RULE_HAS_SUPPRESS_IFGROUP)
		APPEND(" suppress_ifgroup %u", r->suppress_ifgroup);
	return buf;
}
