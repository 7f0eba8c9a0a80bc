/* nl_link.c - RTM_GETLINK for one interface and the parser of its reply
 * (include/uapi/linux/if_link.h, if_tunnel.h; the attribute types are those
 * of each driver's fill_info(), e.g. ip6_tnl_fill_info() in ip6_tunnel.c).
 *
 *   | nlmsghdr | ifinfomsg (16) | IFLA_IFNAME "ip6tnl1\0" | IFLA_MTU u32 | ...
 *   | IFLA_LINKINFO [ IFLA_INFO_KIND "ip6tnl\0"
 *   |                 IFLA_INFO_DATA [ IFLA_IPTUN_LOCAL in6_addr
 *   |                                  IFLA_IPTUN_ENCAP_LIMIT u8 ... ] ] |
 *
 * Byte order: the kernel sends IFLA_IPTUN_FLOWINFO, IFLA_GRE_IFLAGS/OFLAGS,
 * IFLA_GRE_IKEY/OKEY, IFLA_VXLAN_PORT and IFLA_VXLAN_PORT_RANGE in network
 * order, sit's IFLA_IPTUN_FLAGS as a big-endian 16-bit value, ip6tnl's as a
 * host-order u32; everything else is host order.
 */
#include <errno.h>
#include <net/if.h>
#include <stdlib.h>
#include <string.h>

#include <linux/if_link.h>
#include <linux/if_tunnel.h>
#include <linux/rtnetlink.h>

#include <pathdiag/nl_link.h>

#include "nl_internal.h"

static const struct {
	const char *name;
	enum pd_nl_kind kind;
} kinds[] = {
	{ "wireguard", PD_NLK_WIREGUARD }, { "ip6tnl", PD_NLK_IP6TNL },
	{ "ipip", PD_NLK_IPIP },           { "sit", PD_NLK_SIT },
	{ "gre", PD_NLK_GRE },             { "gretap", PD_NLK_GRETAP },
	{ "ip6gre", PD_NLK_IP6GRE },       { "ip6gretap", PD_NLK_IP6GRETAP },
	{ "erspan", PD_NLK_ERSPAN },       { "ip6erspan", PD_NLK_ERSPAN },
	{ "vxlan", PD_NLK_VXLAN },         { "geneve", PD_NLK_GENEVE },
	{ "veth", PD_NLK_VETH },           { "tun", PD_NLK_TUN },
	{ "vlan", PD_NLK_VLAN },           { "bridge", PD_NLK_BRIDGE },
	{ "bond", PD_NLK_BOND },           { "macvlan", PD_NLK_MACVLAN },
	{ "macvtap", PD_NLK_MACVLAN },     { "dummy", PD_NLK_DUMMY },
	{ "vti", PD_NLK_VTI },             { "vti6", PD_NLK_VTI },
	{ "xfrm", PD_NLK_VTI },
};

enum pd_nl_kind pd_nl_kind_from_string(const char *kind)
{
	size_t i;

	if (!kind || !*kind)
		return PD_NLK_NONE;
	for (i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].name, kind) == 0)
			return kinds[i].kind;
	return PD_NLK_OTHER;
}

const char *pd_nl_operstate_name(uint8_t operstate)
{
	switch (operstate) {
	case PD_NL_OPER_NOTPRESENT: return "notpresent";
	case PD_NL_OPER_DOWN: return "down";
	case PD_NL_OPER_LOWERLAYERDOWN: return "lowerlayerdown";
	case PD_NL_OPER_TESTING: return "testing";
	case PD_NL_OPER_DORMANT: return "dormant";
	case PD_NL_OPER_UP: return "up";
	}
	return "unknown";
}

/* ---- IFLA_INFO_DATA of ipip, sit, ip6tnl --------------------------------------------- */

struct iptun_ctx {
	struct pd_nl_iptun *t;
	int family; /* 4 or 6: the size local/remote must have */
};

static int want_family(const uint8_t *buf, const struct nlattr *a, const struct pd_nl_addr *ad,
		       int family, struct pd_error *err)
{
	if (ad->family != family)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "tunnel address of the wrong family for the link kind");
	return PD_OK;
}

static int iptun_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct iptun_ctx *ctx = vctx;
	struct pd_nl_iptun *t = ctx->t;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IPTUN_LINK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_IPTUN_LINK is not a u32", err);
		if (rc == 0) {
			t->link = (int)mnl_attr_get_u32(a);
			t->has |= PD_NLT_LINK;
		}
		break;
	case IFLA_IPTUN_LOCAL:
		rc = nl_get_addr(buf, a, &t->local, "IFLA_IPTUN_LOCAL is not 4 or 16 bytes", err);
		if (rc == 0)
			rc = want_family(buf, a, &t->local, ctx->family, err);
		if (rc == 0)
			t->has |= PD_NLT_LOCAL;
		break;
	case IFLA_IPTUN_REMOTE:
		rc = nl_get_addr(buf, a, &t->remote, "IFLA_IPTUN_REMOTE is not 4 or 16 bytes",
				 err);
		if (rc == 0)
			rc = want_family(buf, a, &t->remote, ctx->family, err);
		if (rc == 0)
			t->has |= PD_NLT_REMOTE;
		break;
	case IFLA_IPTUN_TTL:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_IPTUN_TTL is not a u8", err);
		if (rc == 0) {
			t->ttl = mnl_attr_get_u8(a);
			t->has |= PD_NLT_TTL;
		}
		break;
	case IFLA_IPTUN_TOS:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_IPTUN_TOS is not a u8", err);
		if (rc == 0) {
			t->tos = mnl_attr_get_u8(a);
			t->has |= PD_NLT_TOS;
		}
		break;
	case IFLA_IPTUN_ENCAP_LIMIT:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_IPTUN_ENCAP_LIMIT is not a u8", err);
		if (rc == 0) {
			t->encap_limit = mnl_attr_get_u8(a);
			t->has |= PD_NLT_ENCAP_LIMIT;
		}
		break;
	case IFLA_IPTUN_FLOWINFO:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_IPTUN_FLOWINFO is not 4 bytes", err);
		if (rc == 0) {
			t->flowinfo = nl_get_be32(a);
			t->has |= PD_NLT_FLOWINFO;
		}
		break;
	case IFLA_IPTUN_FLAGS:
		/* ip6tnl: u32 IP6_TNL_F_*; sit: the be16 i_flags. */
		if (mnl_attr_get_payload_len(a) == 4) {
			t->flags = mnl_attr_get_u32(a);
		} else if (mnl_attr_get_payload_len(a) == 2) {
			t->flags = nl_get_be16(a);
		} else {
			rc = pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				     "IFLA_IPTUN_FLAGS is not 2 or 4 bytes");
			break;
		}
		t->has |= PD_NLT_FLAGS;
		break;
	case IFLA_IPTUN_PROTO:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_IPTUN_PROTO is not a u8", err);
		if (rc == 0) {
			t->proto = mnl_attr_get_u8(a);
			t->has |= PD_NLT_PROTO;
		}
		break;
	case IFLA_IPTUN_PMTUDISC:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_IPTUN_PMTUDISC is not a u8", err);
		if (rc == 0) {
			t->pmtudisc = mnl_attr_get_u8(a);
			t->has |= PD_NLT_PMTUDISC;
		}
		break;
	case IFLA_IPTUN_FWMARK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_IPTUN_FWMARK is not a u32", err);
		if (rc == 0) {
			t->fwmark = mnl_attr_get_u32(a);
			t->has |= PD_NLT_FWMARK;
		}
		break;
	case IFLA_IPTUN_ENCAP_TYPE:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_IPTUN_ENCAP_TYPE is not a u16", err);
		if (rc == 0) {
			t->encap_type = mnl_attr_get_u16(a);
			t->has |= PD_NLT_ENCAP;
		}
		break;
	case IFLA_IPTUN_ENCAP_SPORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_IPTUN_ENCAP_SPORT is not 2 bytes", err);
		if (rc == 0)
			t->encap_sport = nl_get_be16(a);
		break;
	case IFLA_IPTUN_ENCAP_DPORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_IPTUN_ENCAP_DPORT is not 2 bytes", err);
		if (rc == 0)
			t->encap_dport = nl_get_be16(a);
		break;
	case IFLA_IPTUN_COLLECT_METADATA:
		rc = nl_want(buf, a, MNL_TYPE_FLAG, "IFLA_IPTUN_COLLECT_METADATA is not a flag",
			     err);
		if (rc == 0)
			t->collect_md = true;
		break;
	}
	return rc;
}

/* ---- IFLA_INFO_DATA of the GRE family -------------------------------------------------- */

struct gre_ctx {
	struct pd_nl_gre *g;
	int family;
};

static int gre_u8(const uint8_t *buf, const struct nlattr *a, uint8_t *v, uint32_t *has,
		  uint32_t bit, const char *what, struct pd_error *err)
{
	int rc = nl_want(buf, a, MNL_TYPE_U8, what, err);

	if (rc == 0) {
		*v = mnl_attr_get_u8(a);
		*has |= bit;
	}
	return rc;
}

static int gre_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		    struct pd_error *err)
{
	struct gre_ctx *ctx = vctx;
	struct pd_nl_gre *g = ctx->g;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case IFLA_GRE_LINK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_GRE_LINK is not a u32", err);
		if (rc == 0) {
			g->link = (int)mnl_attr_get_u32(a);
			g->has |= PD_NLT_LINK;
		}
		break;
	case IFLA_GRE_IFLAGS:
	case IFLA_GRE_OFLAGS:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_GRE_IFLAGS/OFLAGS is not 2 bytes", err);
		if (rc == 0) {
			if (mnl_attr_get_type(a) == IFLA_GRE_IFLAGS)
				g->iflags = nl_get_be16(a);
			else
				g->oflags = nl_get_be16(a);
			g->has |= PD_NLT_KEYS;
		}
		break;
	case IFLA_GRE_IKEY:
	case IFLA_GRE_OKEY:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_GRE_IKEY/OKEY is not 4 bytes", err);
		if (rc == 0) {
			if (mnl_attr_get_type(a) == IFLA_GRE_IKEY)
				g->ikey = nl_get_be32(a);
			else
				g->okey = nl_get_be32(a);
			g->has |= PD_NLT_KEYS;
		}
		break;
	case IFLA_GRE_LOCAL:
		rc = nl_get_addr(buf, a, &g->local, "IFLA_GRE_LOCAL is not 4 or 16 bytes", err);
		if (rc == 0)
			rc = want_family(buf, a, &g->local, ctx->family, err);
		if (rc == 0)
			g->has |= PD_NLT_LOCAL;
		break;
	case IFLA_GRE_REMOTE:
		rc = nl_get_addr(buf, a, &g->remote, "IFLA_GRE_REMOTE is not 4 or 16 bytes", err);
		if (rc == 0)
			rc = want_family(buf, a, &g->remote, ctx->family, err);
		if (rc == 0)
			g->has |= PD_NLT_REMOTE;
		break;
	case IFLA_GRE_TTL:
		rc = gre_u8(buf, a, &g->ttl, &g->has, PD_NLT_TTL, "IFLA_GRE_TTL is not a u8", err);
		break;
	case IFLA_GRE_TOS:
		rc = gre_u8(buf, a, &g->tos, &g->has, PD_NLT_TOS, "IFLA_GRE_TOS is not a u8", err);
		break;
	case IFLA_GRE_PMTUDISC:
		rc = gre_u8(buf, a, &g->pmtudisc, &g->has, PD_NLT_PMTUDISC,
			    "IFLA_GRE_PMTUDISC is not a u8", err);
		break;
	case IFLA_GRE_ENCAP_LIMIT:
		rc = gre_u8(buf, a, &g->encap_limit, &g->has, PD_NLT_ENCAP_LIMIT,
			    "IFLA_GRE_ENCAP_LIMIT is not a u8", err);
		break;
	case IFLA_GRE_FLOWINFO:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_GRE_FLOWINFO is not 4 bytes", err);
		if (rc == 0) {
			g->flowinfo = nl_get_be32(a);
			g->has |= PD_NLT_FLOWINFO;
		}
		break;
	case IFLA_GRE_FLAGS:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_GRE_FLAGS is not a u32", err);
		if (rc == 0) {
			g->flags = mnl_attr_get_u32(a);
			g->has |= PD_NLT_FLAGS;
		}
		break;
	case IFLA_GRE_FWMARK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_GRE_FWMARK is not a u32", err);
		if (rc == 0) {
			g->fwmark = mnl_attr_get_u32(a);
			g->has |= PD_NLT_FWMARK;
		}
		break;
	case IFLA_GRE_ENCAP_TYPE:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_GRE_ENCAP_TYPE is not a u16", err);
		if (rc == 0) {
			g->encap_type = mnl_attr_get_u16(a);
			g->has |= PD_NLT_ENCAP;
		}
		break;
	case IFLA_GRE_ENCAP_SPORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_GRE_ENCAP_SPORT is not 2 bytes", err);
		if (rc == 0)
			g->encap_sport = nl_get_be16(a);
		break;
	case IFLA_GRE_ENCAP_DPORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_GRE_ENCAP_DPORT is not 2 bytes", err);
		if (rc == 0)
			g->encap_dport = nl_get_be16(a);
		break;
	case IFLA_GRE_COLLECT_METADATA:
		rc = nl_want(buf, a, MNL_TYPE_FLAG, "IFLA_GRE_COLLECT_METADATA is not a flag", err);
		if (rc == 0)
			g->collect_md = true;
		break;
	case IFLA_GRE_IGNORE_DF:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_GRE_IGNORE_DF is not a u8", err);
		if (rc == 0)
			g->ignore_df = mnl_attr_get_u8(a) != 0;
		break;
	case IFLA_GRE_ERSPAN_VER:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_GRE_ERSPAN_VER is not a u8", err);
		if (rc == 0)
			g->erspan_ver = mnl_attr_get_u8(a);
		break;
	}
	return rc;
}

/* ---- IFLA_INFO_DATA of vxlan ----------------------------------------------------------- */

static bool is_multicast(const struct pd_nl_addr *a)
{
	if (a->family == 4)
		return (a->addr[0] & 0xf0) == 0xe0;
	return a->family == 6 && a->addr[0] == 0xff;
}

static int vxlan_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct pd_nl_vxlan *v = vctx;
	const uint8_t *p = mnl_attr_get_payload(a);
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case IFLA_VXLAN_ID:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_VXLAN_ID is not a u32", err);
		if (rc == 0 && mnl_attr_get_u32(a) > 0xffffff)
			rc = pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				     "IFLA_VXLAN_ID above 24 bits");
		if (rc == 0) {
			v->vni = mnl_attr_get_u32(a);
			v->has |= PD_NLT_VNI;
		}
		break;
	case IFLA_VXLAN_GROUP:
	case IFLA_VXLAN_GROUP6:
		rc = nl_want_len(buf, a, mnl_attr_get_type(a) == IFLA_VXLAN_GROUP ? 4 : 16,
				 "IFLA_VXLAN_GROUP(6) has the wrong length", err);
		if (rc == 0)
			rc = nl_get_addr(buf, a, &v->remote, "IFLA_VXLAN_GROUP(6)", err);
		if (rc == 0) {
			v->remote_is_group = is_multicast(&v->remote);
			v->has |= PD_NLT_REMOTE;
		}
		break;
	case IFLA_VXLAN_LOCAL:
	case IFLA_VXLAN_LOCAL6:
		rc = nl_want_len(buf, a, mnl_attr_get_type(a) == IFLA_VXLAN_LOCAL ? 4 : 16,
				 "IFLA_VXLAN_LOCAL(6) has the wrong length", err);
		if (rc == 0)
			rc = nl_get_addr(buf, a, &v->local, "IFLA_VXLAN_LOCAL(6)", err);
		if (rc == 0)
			v->has |= PD_NLT_LOCAL;
		break;
	case IFLA_VXLAN_LINK:
		rc = nl_want(buf, a, MNL_TYPE_U32, "IFLA_VXLAN_LINK is not a u32", err);
		if (rc == 0) {
			v->link = (int)mnl_attr_get_u32(a);
			v->has |= PD_NLT_LINK;
		}
		break;
	case IFLA_VXLAN_TTL:
		rc = gre_u8(buf, a, &v->ttl, &v->has, PD_NLT_TTL, "IFLA_VXLAN_TTL is not a u8",
			    err);
		break;
	case IFLA_VXLAN_TOS:
		rc = gre_u8(buf, a, &v->tos, &v->has, PD_NLT_TOS, "IFLA_VXLAN_TOS is not a u8",
			    err);
		break;
	case IFLA_VXLAN_LEARNING:
		rc = gre_u8(buf, a, &v->learning, &v->has, PD_NLT_LEARNING,
			    "IFLA_VXLAN_LEARNING is not a u8", err);
		break;
	case IFLA_VXLAN_DF:
		rc = gre_u8(buf, a, &v->df, &v->has, PD_NLT_DF, "IFLA_VXLAN_DF is not a u8", err);
		break;
	case IFLA_VXLAN_PORT:
		rc = nl_want(buf, a, MNL_TYPE_U16, "IFLA_VXLAN_PORT is not 2 bytes", err);
		if (rc == 0) {
			v->port = nl_get_be16(a);
			v->has |= PD_NLT_PORT;
		}
		break;
	case IFLA_VXLAN_PORT_RANGE:
		/* struct ifla_vxlan_port_range: low, high, both big-endian. */
		rc = nl_want_len(buf, a, 4, "IFLA_VXLAN_PORT_RANGE is not 4 bytes", err);
		if (rc == 0) {
			v->port_min = (uint16_t)((unsigned)p[0] << 8 | p[1]);
			v->port_max = (uint16_t)((unsigned)p[2] << 8 | p[3]);
			v->has |= PD_NLT_PORT_RANGE;
		}
		break;
	case IFLA_VXLAN_COLLECT_METADATA:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_VXLAN_COLLECT_METADATA is not a u8", err);
		if (rc == 0)
			v->collect_md = mnl_attr_get_u8(a) != 0;
		break;
	}
	return rc;
}

/* ---- IFLA_LINKINFO and the top level --------------------------------------------------- */

struct linkinfo_ctx {
	struct pd_nl_link *l;
	const struct nlattr *data; /* IFLA_INFO_DATA, decoded once the kind is known */
};

static int linkinfo_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
			 struct pd_error *err)
{
	struct linkinfo_ctx *ctx = vctx;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case IFLA_INFO_KIND:
		rc = nl_get_str(buf, a, ctx->l->kind, sizeof(ctx->l->kind),
				"IFLA_INFO_KIND is not a string of at most 31 bytes", err);
		break;
	case IFLA_INFO_DATA:
		rc = nl_want(buf, a, MNL_TYPE_NESTED, "IFLA_INFO_DATA is not nested", err);
		if (rc == 0)
			ctx->data = a;
		break;
	}
	return rc;
}

static int info_data(const uint8_t *buf, const struct nlattr *data, struct pd_nl_link *l,
		     struct pd_error *err)
{
	struct iptun_ctx ic = { &l->iptun, 4 };
	struct gre_ctx gc = { &l->gre, 4 };
	int rc;

	switch (l->kind_id) {
	case PD_NLK_IP6TNL:
		ic.family = 6;
		/* fall through */
	case PD_NLK_IPIP:
	case PD_NLK_SIT:
		rc = nl_walk_nested(buf, data, iptun_attr, &ic, err);
		if (rc == 0 && l->kind_id == PD_NLK_IP6TNL)
			l->iptun.adds_tel = !(l->iptun.flags & PD_NL_IP6TNL_F_IGN_ENCAP_LIMIT);
		break;
	case PD_NLK_IP6GRE:
	case PD_NLK_IP6GRETAP:
		gc.family = 6;
		/* fall through */
	case PD_NLK_GRE:
	case PD_NLK_GRETAP:
		rc = nl_walk_nested(buf, data, gre_attr, &gc, err);
		if (rc == 0 && gc.family == 6)
			l->gre.adds_tel = !(l->gre.flags & PD_NL_IP6TNL_F_IGN_ENCAP_LIMIT);
		break;
	case PD_NLK_ERSPAN:
		gc.family = strcmp(l->kind, "ip6erspan") == 0 ? 6 : 4;
		rc = nl_walk_nested(buf, data, gre_attr, &gc, err);
		break;
	case PD_NLK_VXLAN:
		rc = nl_walk_nested(buf, data, vxlan_attr, &l->vxlan, err);
		break;
	default:
		return PD_OK; /* a kind whose data we do not decode */
	}
	if (rc == 0)
		l->has |= PD_NLL_INFO_DATA;
	return rc;
}

static int link_u32(const uint8_t *buf, const struct nlattr *a, uint32_t *v, uint32_t *has,
		    uint32_t bit, const char *what, struct pd_error *err)
{
	int rc = nl_want(buf, a, MNL_TYPE_U32, what, err);

	if (rc == 0) {
		*v = mnl_attr_get_u32(a);
		*has |= bit;
	}
	return rc;
}

static int link_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		     struct pd_error *err)
{
	struct linkinfo_ctx *top = vctx;
	struct pd_nl_link *l = top->l;
	uint32_t v = 0;
	int rc = PD_OK;

	switch (mnl_attr_get_type(a)) {
	case IFLA_IFNAME:
		rc = nl_get_str(buf, a, l->name, sizeof(l->name),
				"IFLA_IFNAME is not a string of at most 15 bytes", err);
		break;
	case IFLA_MTU:
		rc = link_u32(buf, a, &l->mtu, &l->has, PD_NLL_MTU, "IFLA_MTU is not a u32", err);
		break;
	case IFLA_MIN_MTU:
		rc = link_u32(buf, a, &l->min_mtu, &l->has, PD_NLL_MIN_MTU,
			      "IFLA_MIN_MTU is not a u32", err);
		break;
	case IFLA_MAX_MTU:
		rc = link_u32(buf, a, &l->max_mtu, &l->has, PD_NLL_MAX_MTU,
			      "IFLA_MAX_MTU is not a u32", err);
		break;
	case IFLA_OPERSTATE:
		rc = nl_want(buf, a, MNL_TYPE_U8, "IFLA_OPERSTATE is not a u8", err);
		if (rc == 0) {
			l->operstate = mnl_attr_get_u8(a);
			l->has |= PD_NLL_OPERSTATE;
		}
		break;
	case IFLA_LINK:
		rc = link_u32(buf, a, &v, &l->has, PD_NLL_LINK, "IFLA_LINK is not a u32", err);
		l->link = (int)v;
		break;
	case IFLA_MASTER:
		rc = link_u32(buf, a, &v, &l->has, PD_NLL_MASTER, "IFLA_MASTER is not a u32", err);
		l->master = (int)v;
		break;
	case IFLA_LINK_NETNSID:
		rc = link_u32(buf, a, &v, &l->has, PD_NLL_LINK_NETNSID,
			      "IFLA_LINK_NETNSID is not a s32", err);
		l->link_netnsid = (int32_t)v;
		break;
	case IFLA_ADDRESS:
		if (mnl_attr_get_payload_len(a) > PD_NL_HWADDR_MAX) {
			rc = pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				     "IFLA_ADDRESS longer than 32 bytes");
			break;
		}
		l->hwaddr_len = mnl_attr_get_payload_len(a);
		memcpy(l->hwaddr, mnl_attr_get_payload(a), l->hwaddr_len);
		l->has |= PD_NLL_HWADDR;
		break;
	case IFLA_LINKINFO:
		rc = nl_want(buf, a, MNL_TYPE_NESTED, "IFLA_LINKINFO is not nested", err);
		if (rc == 0)
			rc = nl_walk_nested(buf, a, linkinfo_attr, top, err);
		break;
	}
	return rc;
}

static int parse_newlink(const uint8_t *buf, const struct nlmsghdr *nlh, struct pd_nl_link *l,
			 struct pd_error *err)
{
	struct linkinfo_ctx ctx = { l, NULL };
	const struct ifinfomsg *ifi;
	size_t start, end;
	int rc;

	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(struct ifinfomsg))
		return pd_fail(err, PD_ERR_TRUNCATED, nl_off(buf, nlh),
			       "RTM_NEWLINK shorter than struct ifinfomsg");
	ifi = mnl_nlmsg_get_payload(nlh);
	l->ifindex = ifi->ifi_index;
	l->type = ifi->ifi_type;
	l->flags = ifi->ifi_flags;
	start = nl_off(buf, mnl_nlmsg_get_payload_offset(nlh, sizeof(struct ifinfomsg)));
	end = nl_off(buf, nlh) + nlh->nlmsg_len;
	if (start > end)
		start = end; /* ifinfomsg is 16 bytes: never, kept for safety */
	rc = nl_walk_attrs(buf, start, end, link_attr, &ctx, err);
	if (rc < 0)
		return rc;
	l->kind_id = pd_nl_kind_from_string(l->kind);
	if (ctx.data)
		return info_data(buf, ctx.data, l, err);
	return PD_OK;
}

static int link_errno(int e, struct pd_error *err)
{
	switch (e) {
	case ENODEV:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "no such interface", e);
	case EPERM:
	case EACCES:
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN", e);
	}
	return nl_fail_errno(err, PD_ERR_SYSTEM, "RTM_GETLINK failed", e);
}

int pd_nl_link_parse(const void *vbuf, size_t len, struct pd_nl_link *out,
		     struct pd_error *err)
{
	const struct nlmsghdr *nlh;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_link_parse: out is NULL");
	memset(out, 0, sizeof(*out));
	rc = nl_find_reply(vbuf, len, RTM_NEWLINK, link_errno, &nlh, err);
	if (rc < 0)
		return rc;
	rc = parse_newlink(vbuf, nlh, out, err);
	if (rc < 0)
		memset(out, 0, sizeof(*out));
	return rc;
}

int pd_nl_link_get(struct pd_nl *nl, const char *name, int ifindex, struct pd_nl_link *out,
		   struct pd_error *err)
{
	_Alignas(8) char req[1024];
	struct pd_nl *use, *tmp;
	struct nlmsghdr *nlh;
	struct ifinfomsg *ifi;
	struct nl_reply rep;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_link_get: out is NULL");
	memset(out, 0, sizeof(*out));
	if (ifindex <= 0 && (!name || !*name))
		return pd_fail(err, PD_ERR_INVAL, 0, "neither an interface name nor an index");
	if (ifindex <= 0 && strlen(name) >= PD_NL_IFNAMSIZ)
		return pd_fail(err, PD_ERR_INVAL, 0, "interface name longer than 15 characters");
	rc = nl_use(nl, &use, &tmp, err);
	if (rc < 0)
		return rc;

	nlh = mnl_nlmsg_put_header(req);
	nlh->nlmsg_type = RTM_GETLINK;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	if (ifindex > 0)
		ifi->ifi_index = ifindex;
	else
		mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	/* Counters make the reply several times larger and are not needed. */
	mnl_attr_put_u32(nlh, IFLA_EXT_MASK, RTEXT_FILTER_SKIP_STATS);

	rc = nl_transact(use, use->rt, nlh, &rep, err);
	if (rc == 0) {
		rc = pd_nl_link_parse(rep.buf, rep.len, out, err);
		nl_reply_free(&rep);
	}
	nl_done(tmp);
	return rc;
}
