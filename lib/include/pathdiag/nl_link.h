/* nl_link.h - one network interface as rtnetlink describes it (RTM_GETLINK):
 * index, name, kind, MTU, state, and the configuration of tunnel kinds that
 * decides their overhead (ip6tnl, ipip, sit, gre, ip6gre, vxlan).
 *
 * Specs: the kernel's include/uapi/linux/if_link.h (IFLA_*, IFLA_INFO_*,
 * IFLA_VXLAN_*) and if_tunnel.h (IFLA_IPTUN_*, IFLA_GRE_*); the attribute
 * types each driver sends are those of its fill_info() (ip6_tunnel.c,
 * ipip.c, sit.c, ip_gre.c, ip6_gre.c, vxlan_core.c).
 *
 *   RTM_NEWLINK: | nlmsghdr | ifinfomsg: family(1) pad(1) type(2) index(4)
 *                |            flags(4) change(4) | IFLA_* attributes ... |
 *   IFLA_LINKINFO (nested): IFLA_INFO_KIND "ip6tnl"
 *                           IFLA_INFO_DATA (nested): IFLA_IPTUN_* ...
 */
#ifndef PATHDIAG_NL_LINK_H
#define PATHDIAG_NL_LINK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_NL_IFNAMSIZ 16 /* IFNAMSIZ: 15 characters and the NUL */
#define PD_NL_KINDSIZ 32
#define PD_NL_HWADDR_MAX 32

/* IFLA_INFO_KIND strings this library knows ("" is PD_NLK_NONE: physical
 * NICs and lo send no IFLA_LINKINFO; any other string is PD_NLK_OTHER). */
enum pd_nl_kind {
	PD_NLK_NONE = 0,
	PD_NLK_OTHER,
	PD_NLK_WIREGUARD, /* "wireguard" (kernel module; wireguard-go is "tun") */
	PD_NLK_IP6TNL,    /* "ip6tnl": IPv4/IPv6 in IPv6 (RFC 2473) */
	PD_NLK_IPIP,      /* "ipip": IPv4 in IPv4 (RFC 2003) */
	PD_NLK_SIT,       /* "sit": IPv6 in IPv4 (RFC 4213) */
	PD_NLK_GRE,       /* "gre" */
	PD_NLK_GRETAP,    /* "gretap": Ethernet in GRE over IPv4 */
	PD_NLK_IP6GRE,    /* "ip6gre" */
	PD_NLK_IP6GRETAP, /* "ip6gretap" */
	PD_NLK_ERSPAN,    /* "erspan", "ip6erspan" */
	PD_NLK_VXLAN,     /* "vxlan" (RFC 7348) */
	PD_NLK_GENEVE,    /* "geneve" */
	PD_NLK_VETH,      /* "veth" */
	PD_NLK_TUN,       /* "tun" (also tap; userspace tunnels) */
	PD_NLK_VLAN,      /* "vlan" */
	PD_NLK_BRIDGE,    /* "bridge" */
	PD_NLK_BOND,      /* "bond" */
	PD_NLK_MACVLAN,   /* "macvlan", "macvtap" */
	PD_NLK_DUMMY,     /* "dummy" */
	PD_NLK_VTI,       /* "vti", "vti6", "xfrm": IPsec */
};

/* Operational state (IFLA_OPERSTATE, RFC 2863 ifOperStatus). */
enum pd_nl_oper {
	PD_NL_OPER_UNKNOWN = 0,
	PD_NL_OPER_NOTPRESENT = 1,
	PD_NL_OPER_DOWN = 2,
	PD_NL_OPER_LOWERLAYERDOWN = 3,
	PD_NL_OPER_TESTING = 4,
	PD_NL_OPER_DORMANT = 5,
	PD_NL_OPER_UP = 6,
};

/* ifinfomsg flags used by callers (the values of <net/if.h>). */
#define PD_NL_IFF_UP 0x1u
#define PD_NL_IFF_POINTOPOINT 0x10u
#define PD_NL_IFF_RUNNING 0x40u
#define PD_NL_IFF_NOARP 0x80u
#define PD_NL_IFF_LOWER_UP 0x10000u

/* ip6tnl / ip6gre flags (IFLA_IPTUN_FLAGS, IFLA_GRE_FLAGS; linux/ip6_tunnel.h). */
#define PD_NL_IP6TNL_F_IGN_ENCAP_LIMIT 0x1u /* no Tunnel Encapsulation Limit option */

/* GRE header flag bits (IFLA_GRE_IFLAGS/OFLAGS, as in the header, RFC 2890). */
#define PD_NL_GRE_CSUM 0x8000u
#define PD_NL_GRE_KEY 0x2000u
#define PD_NL_GRE_SEQ 0x1000u

/* Which fields of a struct are set: link "has" bits. */
#define PD_NLL_MTU (1u << 0)
#define PD_NLL_MIN_MTU (1u << 1)
#define PD_NLL_MAX_MTU (1u << 2)
#define PD_NLL_OPERSTATE (1u << 3)
#define PD_NLL_LINK (1u << 4)         /* IFLA_LINK: lower device, veth peer */
#define PD_NLL_MASTER (1u << 5)
#define PD_NLL_LINK_NETNSID (1u << 6) /* the lower device / peer is in another netns */
#define PD_NLL_HWADDR (1u << 7)
#define PD_NLL_INFO_DATA (1u << 8)    /* kind-specific data decoded below */

/* Tunnel "has" bits (iptun, gre, vxlan). */
#define PD_NLT_LOCAL (1u << 0)
#define PD_NLT_REMOTE (1u << 1)
#define PD_NLT_LINK (1u << 2)
#define PD_NLT_TTL (1u << 3)
#define PD_NLT_TOS (1u << 4)
#define PD_NLT_ENCAP_LIMIT (1u << 5)
#define PD_NLT_FLAGS (1u << 6)
#define PD_NLT_FLOWINFO (1u << 7)
#define PD_NLT_PROTO (1u << 8)
#define PD_NLT_PMTUDISC (1u << 9)
#define PD_NLT_FWMARK (1u << 10)
#define PD_NLT_ENCAP (1u << 11)  /* encap_type/sport/dport (FOU, GUE) */
#define PD_NLT_KEYS (1u << 12)   /* gre: iflags, oflags, ikey, okey */
#define PD_NLT_VNI (1u << 13)
#define PD_NLT_PORT (1u << 14)
#define PD_NLT_PORT_RANGE (1u << 15)
#define PD_NLT_DF (1u << 16)
#define PD_NLT_LEARNING (1u << 17)

/* ipip, sit, ip6tnl (IFLA_IPTUN_*). */
struct pd_nl_iptun {
	uint32_t has;
	struct pd_nl_addr local;  /* family 4 for ipip/sit, 6 for ip6tnl */
	struct pd_nl_addr remote;
	int link;
	uint8_t ttl;              /* hop limit for ip6tnl; 0 = inherit */
	uint8_t tos;
	uint8_t encap_limit;      /* ip6tnl: RFC 2473 Tunnel Encapsulation Limit */
	uint8_t proto;            /* ip6tnl: IPPROTO_IPIP, IPPROTO_IPV6, 0 = any */
	uint8_t pmtudisc;         /* ipip/sit: DF set on outer packets */
	uint32_t flags;           /* ip6tnl: PD_NL_IP6TNL_F_*; sit: its 16-bit flags */
	uint32_t flowinfo;        /* ip6tnl */
	uint32_t fwmark;
	uint16_t encap_type, encap_sport, encap_dport; /* FOU/GUE around it */
	bool collect_md;
	/* ip6tnl only: outer packets carry a Destination Options header with the
	 * Tunnel Encapsulation Limit (8 bytes), i.e. IGN_ENCAP_LIMIT is clear.
	 * Meaningful only with PD_NLL_INFO_DATA (false without it). */
	bool adds_tel;
};

/* gre, gretap, ip6gre, ip6gretap, erspan (IFLA_GRE_*). */
struct pd_nl_gre {
	uint32_t has;
	struct pd_nl_addr local;  /* family 4 for gre/gretap, 6 for ip6gre */
	struct pd_nl_addr remote;
	int link;
	uint16_t iflags, oflags;  /* PD_NL_GRE_* bits */
	uint32_t ikey, okey;
	uint8_t ttl, tos, pmtudisc;
	uint8_t encap_limit;      /* ip6gre */
	uint32_t flags;           /* ip6gre: PD_NL_IP6TNL_F_* */
	uint32_t flowinfo;        /* ip6gre */
	uint32_t fwmark;
	uint16_t encap_type, encap_sport, encap_dport;
	uint8_t erspan_ver;
	bool collect_md, ignore_df;
	bool adds_tel;            /* ip6gre/ip6gretap, as for pd_nl_iptun */
};

/* vxlan (IFLA_VXLAN_*). */
struct pd_nl_vxlan {
	uint32_t has;
	uint32_t vni;
	uint16_t port;            /* destination UDP port */
	uint16_t port_min, port_max; /* source port range */
	struct pd_nl_addr remote; /* IFLA_VXLAN_GROUP/GROUP6: remote or group */
	bool remote_is_group;     /* multicast group */
	struct pd_nl_addr local;
	int link;
	uint8_t ttl, tos, learning;
	uint8_t df;               /* 0 unset, 1 set, 2 inherit */
	bool collect_md;
};

struct pd_nl_link {
	uint32_t has;                 /* PD_NLL_* */
	int ifindex;
	char name[PD_NL_IFNAMSIZ];
	char kind[PD_NL_KINDSIZ];     /* IFLA_INFO_KIND, "" if none */
	enum pd_nl_kind kind_id;
	uint16_t type;                /* ARPHRD_*: 1 Ethernet, 65534 none (tun) */
	uint32_t flags;               /* PD_NL_IFF_* and the other IFF_* bits */
	uint32_t mtu, min_mtu, max_mtu;
	uint8_t operstate;            /* enum pd_nl_oper */
	int link;                     /* IFLA_LINK (in link_netnsid's netns if set) */
	int master;
	int32_t link_netnsid;
	uint8_t hwaddr[PD_NL_HWADDR_MAX];
	size_t hwaddr_len;
	/* Kind-specific; only the one matching kind_id is filled. */
	struct pd_nl_iptun iptun;     /* ip6tnl, ipip, sit */
	struct pd_nl_gre gre;         /* gre, gretap, ip6gre, ip6gretap, erspan */
	struct pd_nl_vxlan vxlan;
};

/* Parse a reply to RTM_GETLINK: the first RTM_NEWLINK message of buf (acks
 * and NLMSG_NOOP are skipped).  An NLMSG_ERROR before it becomes
 * PD_ERR_NOTFOUND (ENODEV), PD_ERR_PERM or PD_ERR_SYSTEM with sys_errno.
 * Malformed attributes (a length shorter than its header, past its
 * container, or wrong for the attribute's type) are PD_ERR_MALFORMED with
 * the attribute's offset; unknown attributes are skipped. */
int pd_nl_link_parse(const void *buf, size_t len, struct pd_nl_link *out,
		     struct pd_error *err);

/* Ask the kernel for one interface, by name (ifindex 0) or by index (name
 * NULL).  PD_ERR_NOTFOUND if there is no such interface in this netns. */
int pd_nl_link_get(struct pd_nl *nl, const char *name, int ifindex, struct pd_nl_link *out,
		   struct pd_error *err);

/* The kind for an IFLA_INFO_KIND string. */
enum pd_nl_kind pd_nl_kind_from_string(const char *kind);

/* "up", "down", "lowerlayerdown", ...; "unknown" for anything else. */
const char *pd_nl_operstate_name(uint8_t operstate);

#ifdef __cplusplus
}
#endif
#endif
