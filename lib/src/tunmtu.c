/* tunmtu.c - a tunnel's MTU against the path under it, the overhead spec of
 * a tunnel link, and the commands that fix the MTU and clamp TCP's MSS.
 *
 * Specs: RFC 9293 s3.7.1 (MSS); WireGuard's padding rule (see
 * pathdiag/tunmtu.h and docs/overhead.md); the link attributes of
 * pathdiag/nl_link.h.  The MSS clamp rules follow the iptables TCPMSS
 * target (iptables-extensions(8): "-p tcp --tcp-flags SYN,RST SYN -j TCPMSS
 * --set-mss N", mangle table) and its nftables translation ("tcp flags &
 * (syn|rst) == syn tcp option maxseg size set N", nft(8)).
 */
#include <stdio.h>
#include <string.h>

#include <pathdiag/overhead.h>
#include <pathdiag/tunmtu.h>

#define TUNNEL_ENCAP_FOU 1 /* linux/if_tunnel.h enum tunnel_encap_types */
#define TUNNEL_ENCAP_GUE 2

int pd_tunmtu_check(const struct pd_tunmtu_in *in, struct pd_tunmtu_verdict *v,
		    struct pd_error *err)
{
	if (!in || !v)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_tunmtu_check: NULL argument");
	if (!in->configured || !in->path_mtu || in->path_mtu > PD_OVH_MTU_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "tunnel or path MTU out of range");
	if (in->pad & (in->pad - 1))
		return pd_fail(err, PD_ERR_INVAL, 0, "padding multiple is not a power of two");
	memset(v, 0, sizeof(*v));
	if (in->path_mtu <= in->overhead) {
		v->state = PD_TUNMTU_NO_ROOM;
		v->excess = in->configured;
		return PD_OK;
	}
	v->recommended = in->path_mtu - in->overhead;
	if (in->configured > v->recommended) {
		v->state = PD_TUNMTU_TOO_BIG;
		v->excess = in->configured - v->recommended;
		/* Padding is capped at the configured MTU, which is too big
		 * here: an inner packet passes only if its padded length fits. */
		v->largest_inner = in->pad ? v->recommended & ~(in->pad - 1) : v->recommended;
	} else {
		v->state = in->configured < v->recommended ? PD_TUNMTU_BELOW : PD_TUNMTU_OK;
		v->unused = v->recommended - in->configured;
		v->largest_inner = in->configured;
	}
	return PD_OK;
}

/* Append text to buf at *pos; false when it does not fit. */
static bool put(char *buf, size_t len, size_t *pos, const char *s)
{
	size_t n = strlen(s);

	if (*pos + n + 1 > len)
		return false;
	memcpy(buf + *pos, s, n + 1);
	*pos += n;
	return true;
}

static bool put_udp_encap(char *buf, size_t len, size_t *pos, uint16_t type, bool *first)
{
	const char *name = type == TUNNEL_ENCAP_FOU ? "fou" : type == TUNNEL_ENCAP_GUE ? "gue"
										    : NULL;

	if (!name)
		return true;
	if (!put(buf, len, pos, *first ? ":" : ","))
		return false;
	*first = false;
	return put(buf, len, pos, name);
}

static bool put_gre_opts(char *buf, size_t len, size_t *pos, const struct pd_nl_gre *g,
			 bool six)
{
	bool first = true, ok = true;
	static const struct {
		uint16_t bit;
		const char *name;
	} flag[] = { { PD_NL_GRE_KEY, "key" }, { PD_NL_GRE_SEQ, "seq" },
		     { PD_NL_GRE_CSUM, "csum" } };
	size_t i;

	for (i = 0; i < sizeof(flag) / sizeof(flag[0]); i++) {
		if (!(g->oflags & flag[i].bit))
			continue;
		ok = ok && put(buf, len, pos, first ? ":" : ",") && put(buf, len, pos, flag[i].name);
		first = false;
	}
	if (six && !g->adds_tel) {
		ok = ok && put(buf, len, pos, first ? ":" : ",") && put(buf, len, pos, "notel");
		first = false;
	}
	return ok && put_udp_encap(buf, len, pos, g->encap_type, &first);
}

int pd_tunmtu_link_spec(const struct pd_nl_link *l, char *buf, size_t len,
			struct pd_error *err)
{
	size_t pos = 0;
	bool first = true, ok;

	if (!l || !buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_tunmtu_link_spec: NULL argument");
	buf[0] = '\0';
	switch (l->kind_id) {
	case PD_NLK_IP6TNL:
		ok = put(buf, len, &pos, "ip6tnl");
		if (ok && (l->has & PD_NLL_INFO_DATA) && !l->iptun.adds_tel) {
			ok = put(buf, len, &pos, ":notel");
			first = false;
		}
		ok = ok && put_udp_encap(buf, len, &pos, l->iptun.encap_type, &first);
		break;
	case PD_NLK_IPIP:
	case PD_NLK_SIT:
		ok = put(buf, len, &pos, l->kind_id == PD_NLK_IPIP ? "ipip" : "sit") &&
		     put_udp_encap(buf, len, &pos, l->iptun.encap_type, &first);
		break;
	case PD_NLK_GRE:
	case PD_NLK_GRETAP:
		ok = put(buf, len, &pos, l->kind_id == PD_NLK_GRE ? "gre" : "gretap") &&
		     put_gre_opts(buf, len, &pos, &l->gre, false);
		break;
	case PD_NLK_IP6GRE:
	case PD_NLK_IP6GRETAP:
		ok = put(buf, len, &pos, l->kind_id == PD_NLK_IP6GRE ? "ip6gre" : "ip6gretap") &&
		     put_gre_opts(buf, len, &pos, &l->gre, (l->has & PD_NLL_INFO_DATA) != 0);
		break;
	case PD_NLK_VXLAN:
		ok = put(buf, len, &pos, "vxlan");
		break;
	case PD_NLK_GENEVE:
		ok = put(buf, len, &pos, "geneve");
		break;
	default:
		return pd_fail(err, PD_ERR_NOTFOUND, 0, "not a tunnel kind the overhead model knows");
	}
	if (!ok)
		return pd_fail(err, PD_ERR_NOSPACE, pos, "overhead spec does not fit the buffer");
	return PD_OK;
}

int pd_tunmtu_link_family(const struct pd_nl_link *l)
{
	if (!l)
		return 0;
	switch (l->kind_id) {
	case PD_NLK_IP6TNL:
	case PD_NLK_IP6GRE:
	case PD_NLK_IP6GRETAP:
		return 6;
	case PD_NLK_IPIP:
	case PD_NLK_SIT:
	case PD_NLK_GRE:
	case PD_NLK_GRETAP:
		return 4;
	case PD_NLK_VXLAN:
		return l->vxlan.remote.family;
	default:
		return 0;
	}
}

/* Names that need no quoting in a shell or inside nft's double quotes. */
static bool plain_name(const char *s)
{
	size_t i;

	if (!s || !*s || strlen(s) >= PD_NL_IFNAMSIZ)
		return false;
	for (i = 0; s[i]; i++) {
		char c = s[i];

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '.' || c == '_' || c == '-' || c == '@'))
			return false;
	}
	return s[0] != '-';
}

int pd_tunmtu_fix(enum pd_tunmtu_fix which, const char *ifname, unsigned mtu, char *buf,
		  size_t len, struct pd_error *err)
{
	unsigned mss4 = pd_ovh_mss(mtu, 4), mss6 = pd_ovh_mss(mtu, 6);
	int n;

	if (!buf || !len)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_tunmtu_fix: no buffer");
	buf[0] = '\0';
	if (!plain_name(ifname))
		return pd_fail(err, PD_ERR_INVAL, 0, "interface name would need quoting");
	if (!mtu || mtu > PD_OVH_MTU_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "tunnel MTU out of range");
	switch (which) {
	case PD_TUNFIX_WG_QUICK:
		n = snprintf(buf, len, "MTU = %u", mtu);
		break;
	case PD_TUNFIX_IPROUTE2:
		n = snprintf(buf, len, "ip link set dev %s mtu %u", ifname, mtu);
		break;
	case PD_TUNFIX_NFT4:
	case PD_TUNFIX_NFT6: {
		bool v4 = which == PD_TUNFIX_NFT4;

		if (!(v4 ? mss4 : mss6))
			return pd_fail(err, PD_ERR_INVAL, 0, "tunnel MTU leaves no TCP payload");
		n = snprintf(buf, len,
			     "nft 'add rule inet filter forward oifname \"%s\" meta nfproto %s "
			     "tcp flags & (syn|rst) == syn tcp option maxseg size set %u'",
			     ifname, v4 ? "ipv4" : "ipv6", v4 ? mss4 : mss6);
		break;
	}
	case PD_TUNFIX_IPT4:
	case PD_TUNFIX_IPT6: {
		bool v4 = which == PD_TUNFIX_IPT4;

		if (!(v4 ? mss4 : mss6))
			return pd_fail(err, PD_ERR_INVAL, 0, "tunnel MTU leaves no TCP payload");
		n = snprintf(buf, len,
			     "%s -t mangle -A FORWARD -o %s -p tcp --tcp-flags SYN,RST SYN "
			     "-j TCPMSS --set-mss %u", v4 ? "iptables" : "ip6tables", ifname,
			     v4 ? mss4 : mss6);
		break;
	}
	default:
		return pd_fail(err, PD_ERR_INVAL, 0, "unknown fix");
	}
	if (n < 0 || (size_t)n >= len)
		return pd_fail(err, PD_ERR_NOSPACE, len, "fix line does not fit the buffer");
	return PD_OK;
}

const char *pd_tunmtu_fix_name(enum pd_tunmtu_fix which)
{
	static const char *const names[PD_TUNFIX_COUNT] = {
		"wg_quick", "iproute2", "nft_ipv4", "nft_ipv6", "iptables", "ip6tables",
	};

	return (unsigned)which < PD_TUNFIX_COUNT ? names[which] : "unknown";
}

const char *pd_tunmtu_state_name(enum pd_tunmtu_state s)
{
	switch (s) {
	case PD_TUNMTU_OK:
		return "ok";
	case PD_TUNMTU_BELOW:
		return "below";
	case PD_TUNMTU_TOO_BIG:
		return "too-big";
	case PD_TUNMTU_NO_ROOM:
		return "no-room";
	}
	return "unknown";
}
