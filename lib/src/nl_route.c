/* nl_route.c - RTM_GETROUTE for one destination, the parser of its reply,
 * and the effective MTU toward it (include/uapi/linux/rtnetlink.h).
 *
 *   | nlmsghdr | rtmsg (12) | RTA_TABLE u32 | RTA_DST | RTA_OIF u32 |
 *   | RTA_GATEWAY 4/16 | RTA_PREFSRC 4/16 | RTA_UID u32 |
 *   | RTA_METRICS [ RTAX_LOCK u32 (bit RTAX_MTU = "mtu lock") RTAX_MTU u32 ] |
 *   | RTA_CACHEINFO [ clntref lastuse expires error used id ts tsage ] |
 *
 * RTA_VIA (IPv4 routes through an IPv6 gateway) is | family u16 | address |.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/rtnetlink.h>

#include <pathdiag/nl_route.h>

#include "nl_internal.h"

const char *pd_nl_rtn_name(uint8_t type)
{
	switch (type) {
	case RTN_UNICAST: return "unicast";
	case RTN_LOCAL: return "local";
	case RTN_BROADCAST: return "broadcast";
	case RTN_ANYCAST: return "anycast";
	case RTN_MULTICAST: return "multicast";
	case RTN_BLACKHOLE: return "blackhole";
	case RTN_UNREACHABLE: return "unreachable";
	case RTN_PROHIBIT: return "prohibit";
	case RTN_THROW: return "throw";
	case RTN_NAT: return "nat";
	}
	return "unknown";
}

const char *pd_nl_mtu_source_name(enum pd_nl_mtu_source s)
{
	switch (s) {
	case PD_NL_MTU_LINK: return "link";
	case PD_NL_MTU_ROUTE: return "route";
	case PD_NL_MTU_PMTU: return "pmtu";
	}
	return "unknown";
}

/* ---- parser -------------------------------------------------------------------------- */

static int metric_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		       struct pd_error *err)
{
	struct pd_nl_route *r = vctx;
	uint16_t type = mnl_attr_get_type(a);
	int rc;

	if (type != RTAX_LOCK && type != RTAX_MTU && type != RTAX_ADVMSS &&
	    type != RTAX_HOPLIMIT)
		return PD_OK;
	/* Every metric the kernel sends is a u32 (RTAX_CC_ALGO, a string, is
	 * not one of those read here). */
	rc = nl_want(buf, a, MNL_TYPE_U32, "RTA_METRICS entry is not a u32", err);
	if (rc < 0)
		return rc;
	switch (type) {
	case RTAX_LOCK:
		r->mtu_locked = (mnl_attr_get_u32(a) & (1u << RTAX_MTU)) != 0;
		break;
	case RTAX_MTU:
		r->mtu = mnl_attr_get_u32(a);
		r->has |= PD_NLR_MTU;
		break;
	case RTAX_ADVMSS:
		r->advmss = mnl_attr_get_u32(a);
		r->has |= PD_NLR_ADVMSS;
		break;
	case RTAX_HOPLIMIT:
		r->hoplimit = mnl_attr_get_u32(a);
		r->has |= PD_NLR_HOPLIMIT;
		break;
	}
	return PD_OK;
}

static int route_addr(const uint8_t *buf, const struct nlattr *a, struct pd_nl_route *r,
		      struct pd_nl_addr *out, uint32_t bit, const char *what,
		      struct pd_error *err)
{
	int rc = nl_get_addr(buf, a, out, what, err);

	if (rc < 0)
		return rc;
	if (out->family != r->family)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "route address of a family other than rtm_family");
	r->has |= bit;
	return PD_OK;
}

static int route_u32(const uint8_t *buf, const struct nlattr *a, uint32_t *v, uint32_t *has,
		     uint32_t bit, const char *what, struct pd_error *err)
{
	int rc = nl_want(buf, a, MNL_TYPE_U32, what, err);

	if (rc == 0) {
		*v = mnl_attr_get_u32(a);
		*has |= bit;
	}
	return rc;
}

static int route_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct pd_nl_route *r = vctx;
	const uint8_t *p = mnl_attr_get_payload(a);
	uint16_t n = mnl_attr_get_payload_len(a);
	uint32_t v = 0, dummy = 0;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case RTA_DST:
		rc = route_addr(buf, a, r, &r->dst, PD_NLR_DST, "RTA_DST is not 4 or 16 bytes",
				err);
		break;
	case RTA_SRC:
		rc = route_addr(buf, a, r, &r->src, PD_NLR_SRC, "RTA_SRC is not 4 or 16 bytes",
				err);
		break;
	case RTA_GATEWAY:
		rc = route_addr(buf, a, r, &r->gateway, PD_NLR_GATEWAY,
				"RTA_GATEWAY is not 4 or 16 bytes", err);
		break;
	case RTA_PREFSRC:
		rc = route_addr(buf, a, r, &r->prefsrc, PD_NLR_PREFSRC,
				"RTA_PREFSRC is not 4 or 16 bytes", err);
		break;
	case RTA_VIA: {
		/* struct rtvia: family (u16, host order), then the address. */
		uint16_t fam;

		if (n < 2)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "RTA_VIA shorter than its family");
		memcpy(&fam, p, 2);
		if (!((fam == AF_INET && n == 6) || (fam == AF_INET6 && n == 18)))
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "RTA_VIA family and length do not match");
		memset(&r->gateway, 0, sizeof(r->gateway));
		r->gateway.family = fam == AF_INET ? 4 : 6;
		memcpy(r->gateway.addr, p + 2, (size_t)n - 2);
		r->has |= PD_NLR_GATEWAY;
		break;
	}
	case RTA_OIF:
		rc = route_u32(buf, a, &v, &r->has, PD_NLR_OIF, "RTA_OIF is not a u32", err);
		r->oif = (int)v;
		break;
	case RTA_IIF:
		rc = route_u32(buf, a, &v, &r->has, PD_NLR_IIF, "RTA_IIF is not a u32", err);
		r->iif = (int)v;
		break;
	case RTA_PRIORITY:
		rc = route_u32(buf, a, &r->priority, &r->has, PD_NLR_PRIORITY,
			       "RTA_PRIORITY is not a u32", err);
		break;
	case RTA_TABLE:
		rc = route_u32(buf, a, &r->table, &dummy, 0, "RTA_TABLE is not a u32", err);
		break;
	case RTA_MARK:
		rc = route_u32(buf, a, &r->mark, &r->has, PD_NLR_MARK, "RTA_MARK is not a u32",
			       err);
		break;
	case RTA_UID:
		rc = route_u32(buf, a, &r->uid, &r->has, PD_NLR_UID, "RTA_UID is not a u32", err);
		break;
	case RTA_PREF:
		rc = nl_want(buf, a, MNL_TYPE_U8, "RTA_PREF is not a u8", err);
		if (rc == 0) {
			r->pref = mnl_attr_get_u8(a);
			r->has |= PD_NLR_PREF;
		}
		break;
	case RTA_METRICS:
		rc = nl_want(buf, a, MNL_TYPE_NESTED, "RTA_METRICS is not nested", err);
		if (rc == 0)
			rc = nl_walk_nested(buf, a, metric_attr, r, err);
		break;
	case RTA_CACHEINFO: {
		/* struct rta_cacheinfo: 8 x 4 bytes; expires and error are the
		 * third and fourth. */
		int32_t e;
		uint32_t er;

		if (n < 16)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "RTA_CACHEINFO shorter than 16 bytes");
		memcpy(&e, p + 8, 4);
		memcpy(&er, p + 12, 4);
		r->expires_clk = e;
		r->error = (int32_t)er;
		r->has |= PD_NLR_CACHEINFO;
		break;
	}
	}
	return rc;
}

static int parse_newroute(const uint8_t *buf, const struct nlmsghdr *nlh,
			  struct pd_nl_route *r, struct pd_error *err)
{
	const struct rtmsg *rtm;
	size_t start, end;
	int rc;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct rtmsg))
		return pd_fail(err, PD_ERR_TRUNCATED, nl_off(buf, nlh),
			       "RTM_NEWROUTE shorter than struct rtmsg");
	rtm = mnl_nlmsg_get_payload(nlh);
	if (rtm->rtm_family == AF_INET)
		r->family = 4;
	else if (rtm->rtm_family == AF_INET6)
		r->family = 6;
	else
		return pd_fail(err, PD_ERR_UNSUPPORTED, nl_off(buf, rtm),
			       "route family is neither IPv4 nor IPv6");
	if (rtm->rtm_dst_len > (r->family == 4 ? 32 : 128) ||
	    rtm->rtm_src_len > (r->family == 4 ? 32 : 128))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, rtm),
			       "route prefix length longer than the address");
	r->dst_len = rtm->rtm_dst_len;
	r->src_len = rtm->rtm_src_len;
	r->tos = rtm->rtm_tos;
	r->table = rtm->rtm_table;
	r->protocol = rtm->rtm_protocol;
	r->scope = rtm->rtm_scope;
	r->type = rtm->rtm_type;
	r->rtm_flags = rtm->rtm_flags;
	r->cloned = (rtm->rtm_flags & RTM_F_CLONED) != 0;

	start = nl_off(buf, mnl_nlmsg_get_payload_offset(nlh, sizeof(struct rtmsg)));
	end = nl_off(buf, nlh) + nlh->nlmsg_len;
	if (start > end)
		start = end;
	rc = nl_walk_attrs(buf, start, end, route_attr, r, err);
	if (rc < 0)
		return rc;
	if (r->expires_clk > 0)
		r->expires_ms = (uint32_t)((uint64_t)r->expires_clk * 1000 / PD_NL_USER_HZ);
	/* IPv4 answers every lookup "cloned" and shows an exception's MTU only
	 * while it has not expired; IPv6 marks the exception route itself. */
	if (r->has & PD_NLR_MTU) {
		if (r->family == 4)
			r->pmtu_exception = r->expires_clk != 0;
		else
			r->pmtu_exception = r->cloned;
	}
	return PD_OK;
}

static int route_errno(int e, struct pd_error *err)
{
	switch (e) {
	case ENETUNREACH:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "network unreachable: no route", e);
	case EHOSTUNREACH:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "host unreachable (unreachable route)",
				     e);
	case EACCES:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "destination prohibited by a route",
				     e);
	case ENODEV:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "no such interface (oif or iif)", e);
	case EPERM:
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN", e);
	}
	return nl_fail_errno(err, PD_ERR_SYSTEM, "RTM_GETROUTE failed", e);
}

int pd_nl_route_parse(const void *vbuf, size_t len, struct pd_nl_route *out,
		      struct pd_error *err)
{
	const struct nlmsghdr *nlh;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_route_parse: out is NULL");
	memset(out, 0, sizeof(*out));
	rc = nl_find_reply(vbuf, len, RTM_NEWROUTE, route_errno, &nlh, err);
	if (rc < 0)
		return rc;
	rc = parse_newroute(vbuf, nlh, out, err);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

/* ---- queries ------------------------------------------------------------------------- */

static size_t addr_len(const struct pd_nl_addr *a)
{
	return a->family == 4 ? 4 : 16;
}

int pd_nl_route_get(struct pd_nl *nl, const struct pd_nl_route_query *q,
		    struct pd_nl_route *out, struct pd_error *err)
{
	_Alignas(8) char req[512];
	struct pd_nl *use, *tmp;
	struct nlmsghdr *nlh;
	struct rtmsg *rtm;
	struct nl_reply rep;
	int rc;

	if (!out || !q)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_route_get: NULL argument");
	memset(out, 0, sizeof(*out));
	if (q->dst.family != 4 && q->dst.family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "destination is not IPv4 or IPv6");
	if (q->src.family && q->src.family != q->dst.family)
		return pd_fail(err, PD_ERR_INVAL, 0, "source and destination families differ");
	if (q->iif > 0 && !q->src.family)
		return pd_fail(err, PD_ERR_INVAL, 0, "a lookup with iif needs a source address");
	rc = nl_use(nl, &use, &tmp, err);
	if (rc < 0)
		return rc;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETROUTE;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	rtm = mnl_nlmsg_put_extra_header(nlh, sizeof(*rtm));
	rtm->rtm_family = q->dst.family == 4 ? AF_INET : AF_INET6;
	rtm->rtm_dst_len = q->dst.family == 4 ? 32 : 128;
	/* Without RTM_F_LOOKUP_TABLE, IPv4 reports table main whatever table
	 * the lookup ended in (a policy rule's, local). */
	rtm->rtm_flags = RTM_F_LOOKUP_TABLE;
	if (q->flags & PD_NL_RQ_FIB_MATCH)
		rtm->rtm_flags |= RTM_F_FIB_MATCH;
	mnl_attr_put(nlh, RTA_DST, addr_len(&q->dst), q->dst.addr);
	if (q->src.family) {
		rtm->rtm_src_len = rtm->rtm_dst_len;
		mnl_attr_put(nlh, RTA_SRC, addr_len(&q->src), q->src.addr);
	}
	if (q->mark)
		mnl_attr_put_u32(nlh, RTA_MARK, q->mark);
	if (q->oif > 0)
		mnl_attr_put_u32(nlh, RTA_OIF, (uint32_t)q->oif);
	if (q->iif > 0)
		mnl_attr_put_u32(nlh, RTA_IIF, (uint32_t)q->iif);
	if (q->ipproto)
		mnl_attr_put_u8(nlh, RTA_IP_PROTO, q->ipproto);
	if (q->sport)
		mnl_attr_put_u16(nlh, RTA_SPORT, htons(q->sport));
	if (q->dport)
		mnl_attr_put_u16(nlh, RTA_DPORT, htons(q->dport));

	rc = nl_transact(use, use->rt, nlh, &rep, err);
	if (rc == 0) {
		rc = pd_nl_route_parse(rep.buf, rep.len, out, err);
		nl_reply_free(&rep);
	}
	nl_done(tmp);
	return rc;
}

int pd_nl_route_mtu(struct pd_nl *nl, const struct pd_nl_route_query *q,
		    struct pd_nl_path_mtu *out, struct pd_error *err)
{
	struct pd_nl *use, *tmp;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_route_mtu: out is NULL");
	memset(out, 0, sizeof(*out));
	rc = nl_use(nl, &use, &tmp, err);
	if (rc < 0)
		return rc;
	rc = pd_nl_route_get(use, q, &out->route, err);
	if (rc < 0)
		goto done;
	switch (out->route.type) {
	case RTN_UNICAST:
	case RTN_LOCAL:
	case RTN_BROADCAST:
	case RTN_MULTICAST:
	case RTN_ANYCAST:
		break;
	default:
		rc = pd_fail(err, PD_ERR_NOTFOUND, 0,
			     "the route is unreachable, prohibit, blackhole or throw");
		goto done;
	}
	if (out->route.error) {
		int32_t e = out->route.error;

		rc = nl_fail_errno(err, PD_ERR_NOTFOUND, "the route carries an error",
				   e < 0 && e != INT32_MIN ? -e : 0);
		goto done;
	}
	if (!(out->route.has & PD_NLR_OIF)) {
		rc = pd_fail(err, PD_ERR_NOTFOUND, 0, "the route has no output interface");
		goto done;
	}
	rc = pd_nl_link_get(use, NULL, out->route.oif, &out->link, err);
	if (rc < 0)
		goto done;
	out->link_mtu = out->link.mtu;
	if (out->route.has & PD_NLR_MTU && out->route.mtu) {
		out->mtu = out->route.mtu;
		out->source = out->route.pmtu_exception ? PD_NL_MTU_PMTU : PD_NL_MTU_ROUTE;
	} else {
		out->mtu = out->link.mtu;
		out->source = PD_NL_MTU_LINK;
	}
done:
	nl_done(tmp);
	return rc;
}
