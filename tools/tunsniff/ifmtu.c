/* ifmtu.c - the MTU and kind of each interface tunsniff captures on, read
 * over rtnetlink (RTM_GETLINK, pathdiag/nl_link.h).  A tunnel interface's
 * MTU is the tunnel MTU: TCP SYNs captured there are the tunnel's inner
 * packets, and their MSS is judged against it (pd_tunstat_set_source_mtu).
 */
#include <stdio.h>
#include <string.h>

#include <pathdiag/nl_link.h>

#include "tunsniff.h"

/* Kinds whose packets are a tunnel's inner packets (wireguard-go and
 * other userspace VPNs show as "tun"). */
static bool tunnel_kind(const struct pd_nl_link *l)
{
	switch (l->kind_id) {
	case PD_NLK_WIREGUARD:
	case PD_NLK_IP6TNL:
	case PD_NLK_IPIP:
	case PD_NLK_SIT:
	case PD_NLK_GRE:
	case PD_NLK_GRETAP:
	case PD_NLK_IP6GRE:
	case PD_NLK_IP6GRETAP:
	case PD_NLK_VXLAN:
	case PD_NLK_GENEVE:
	case PD_NLK_TUN:
	case PD_NLK_VTI:
		return true;
	default:
		return false;
	}
}

void tunsniff_iface_info(const struct tunsniff_opts *o, struct tunsniff_result *res)
{
	/* -i and -r are never mixed: interface i is source i */
	for (unsigned i = 0; i < o->niface && i < TUNSNIFF_MAX_SOURCES; i++) {
		struct tunsniff_iface *x = &res->iface[i];
		struct pd_nl_link l;

		memset(x, 0, sizeof(*x));
		if (pd_nl_link_get(NULL, o->iface[i], 0, &l, NULL) < 0)
			continue;
		x->known = true;
		snprintf(x->kind, sizeof(x->kind), "%s", l.kind);
		x->mtu = (l.has & PD_NLL_MTU) ? l.mtu : 0;
		x->tunnel = tunnel_kind(&l);
		x->used_for_mss = x->tunnel && x->mtu && !o->tunnel_mtu;
		if (x->used_for_mss)
			pd_tunstat_set_source_mtu(res->st, i, x->mtu);
	}
}
