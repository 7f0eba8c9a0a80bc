/* wgcmd.h - what a wg-quick hook command does (internal to wgcheck.c): the
 * iptables/ip6tables, nft, ip rule/route and sysctl commands of PreUp,
 * PostUp, PreDown and PostDown lines, read well enough to tell forwarding,
 * NAT, MSS clamping, policy routing and their undoing.
 *
 * Specs: iptables(8) and iptables-extensions(8) (-t, -A/-I/-D/-N/-X, -i/-o
 * with "!", -j TCPMSS --clamp-mss-to-pmtu/--set-mss, DNAT --to-destination,
 * MASQUERADE, SNAT, MARK, CONNMARK), nft(8) ("add rule FAMILY TABLE CHAIN",
 * oifname/iifname, masquerade, snat, dnat to, "tcp option maxseg size set",
 * "meta mark set", "ct mark"), ip-rule(8), ip-route(8), wg-quick(8) (%i).
 * Pure: no I/O, no allocation.
 */
#ifndef PD_WGCMD_H
#define PD_WGCMD_H

#include <stdbool.h>
#include <stddef.h>

#include <pathdiag/wgconf.h>

#define WGCMD_TEXT 512
#define WGCMD_NAME 48
#define WGCMD_MAX 16 /* commands in one hook line */

enum wgcmd_type {
	WGCMD_OTHER = 0,
	WGCMD_IPT,      /* iptables, ip6tables (-nft, -legacy) */
	WGCMD_NFT,
	WGCMD_IPRULE,
	WGCMD_IPROUTE,
	WGCMD_SYSCTL_FWD, /* turns on IP forwarding */
};

enum wgcmd_action {
	WGCMD_NONE = 0,
	WGCMD_ADD,    /* -A, -I, -N, add, insert, replace, create */
	WGCMD_DEL,    /* -D, -X, -F, del, delete, flush */
};

struct wgcmd {
	enum wgcmd_type type;
	enum wgcmd_action action;
	int family;                /* 4, 6, or 0 for both (nft inet) */
	char table[WGCMD_NAME];    /* iptables -t (default filter); nft table */
	char chain[WGCMD_NAME];    /* upper case for iptables as written */
	char nft_family[16];
	char in[WGCMD_NAME], out[WGCMD_NAME];
	bool in_neg, out_neg;
	char target[WGCMD_NAME];   /* iptables -j; nft: masquerade, snat, dnat, tcpmss */
	bool clamp_pmtu;           /* --clamp-mss-to-pmtu, nft "set rt mtu" */
	unsigned set_mss;          /* --set-mss N, nft "set N" */
	char src[WGCMD_NAME], dst[WGCMD_NAME];
	char to_dest[WGCMD_NAME];  /* DNAT target address, port removed */
	bool marks;                /* sets or matches fwmark/connmark */
	char lookup[WGCMD_NAME];   /* ip rule lookup/table */
	char pref[16];             /* ip rule pref/priority/preference */
	char iif[WGCMD_NAME];      /* ip rule iif */
	char route_dst[WGCMD_NAME], route_dev[WGCMD_NAME];
	/* Tokens joined by one space with the action word replaced by "~"
	 * (and an -I position dropped): an add and its delete compare equal. */
	char norm[WGCMD_TEXT];
	size_t off, len; /* the command's text within its hook line */
};

/* Split hook h (with %i replaced by ifname) into commands.  Returns how
 * many were stored in out (at most max). */
size_t wgcmd_parse(const struct pd_wgc_hook *h, const char *ifname, struct wgcmd *out,
		   size_t max);

/* Does del undo add (same rule, or a pref/table/chain delete covering it)? */
bool wgcmd_undoes(const struct wgcmd *del, const struct wgcmd *add);

/* The command that undoes add, written into buf ("" when unknown). */
void wgcmd_undo_text(const struct wgcmd *add, const char *orig, size_t orig_len, char *buf,
		     size_t len);

#endif
