/* wgcheck.h - offline checks of a wg-quick configuration (pathdiag/wgconf.h)
 * against a declared underlay: tunnel MTU, IPv6 minimum MTU, TCP MSS
 * clamping on forwarding hosts, DNAT return paths, Table without a route,
 * PersistentKeepalive behind NAT, PostDown undoing PostUp.  Each finding has
 * a severity, a line, what is wrong, why (one sentence) and the fix as the
 * exact line(s) to write.
 *
 * Specs: the overhead model (pathdiag/overhead.h: WireGuard adds 60 bytes
 * over IPv4, 80 over IPv6) and its verdict (pathdiag/tunmtu.h); RFC 8200
 * section 5 (IPv6 needs 1280); RFC 9293 section 3.7.1 (MSS); iptables-
 * extensions(8) TCPMSS, nft(8) "tcp option maxseg size set"; ip-rule(8);
 * wg-quick(8) (Table, %i, hooks run by bash in order).  The rules and their
 * heuristics are documented in docs/mtuprobe.1, section CHECK.
 *
 * Pure: no I/O, no allocation, no globals.
 */
#ifndef PATHDIAG_WGCHECK_H
#define PATHDIAG_WGCHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <pathdiag/output.h>
#include <pathdiag/wgconf.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_WGK_MAX_FINDINGS 64
#define PD_WGK_WHAT_MAX 320
#define PD_WGK_WHY_MAX 320
#define PD_WGK_FIX_MAX 640
#define PD_WGK_BASIS_MAX 96
#define PD_WGK_DEFAULT_MTU 1420 /* wg-quick without MTU on a 1500-byte link: 1500 - 80 */

/* The underlay as declared, per outer family (index 0 IPv4, 1 IPv6). */
struct pd_wgk_underlay {
	unsigned path_mtu[2];            /* 0: not declared */
	bool unavailable[2];             /* declared absent (--underlay ipv4 has no IPv6) */
	char basis[2][PD_WGK_BASIS_MAX]; /* how it was obtained, for the text */
	/* DS-Lite: IPv4 leaves through the AFTR's NAT (RFC 6333 section 6.6) */
	bool nat4;
};

/* One configuration to check, with the interface name wg-quick would give
 * it (the file name without ".conf"), which is what %i stands for. */
struct pd_wgk_input {
	const struct pd_wgc_config *cfg;
	const char *ifname;
	const char *name; /* how messages name the file */
};

enum pd_wgk_fix_kind {
	PD_WGK_FIX_NONE = 0,
	PD_WGK_FIX_REPLACE, /* replace line fix_line with fix */
	PD_WGK_FIX_INSERT,  /* insert fix after line fix_line */
};

struct pd_wgk_finding {
	const char *rule; /* stable identifier, e.g. "mtu-too-big" */
	enum pd_severity severity;
	size_t file; /* index into the inputs */
	unsigned line;
	char what[PD_WGK_WHAT_MAX];
	char why[PD_WGK_WHY_MAX];
	char fix[PD_WGK_FIX_MAX]; /* exact lines to write, '\n' between; "" none */
	enum pd_wgk_fix_kind fix_kind;
	unsigned fix_line;
};

struct pd_wgk_report {
	size_t n, dropped;
	enum pd_severity worst; /* of all findings, dropped ones too */
	/* The tunnel MTU every peer of the file should use, 0 when the
	 * underlay was not declared; and the MTU in effect (configured or
	 * wg-quick's default). */
	unsigned recommended_mtu;
	unsigned effective_mtu;
	bool mtu_configured;
	struct pd_wgk_finding f[PD_WGK_MAX_FINDINGS];
	struct pd_wgk_finding spare; /* scratch for findings past the limit */
};

/* A rule: its identifier, a short name and the one-line description the
 * SARIF rules table and the man page use. */
struct pd_wgk_rule {
	const char *id;
	const char *summary;
	enum pd_severity severity; /* its usual severity */
};

size_t pd_wgk_rule_count(void);
const struct pd_wgk_rule *pd_wgk_rule_get(size_t i);
/* Index of a rule by id, or -1. */
int pd_wgk_rule_index(const char *id);

/* Check in[which] (the others are context: the peer a DNAT points at, the
 * side whose AllowedIPs send everything here).  The parse errors of the
 * file come first, as "critical" findings.  PD_ERR_INVAL for bad
 * arguments. */
int pd_wgk_check(const struct pd_wgk_input *in, size_t n, size_t which,
		 const struct pd_wgk_underlay *u, struct pd_wgk_report *out,
		 struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
