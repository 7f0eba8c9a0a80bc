/* overhead.h - the tunnel overhead model: bytes each encapsulation adds, stacks of
 * them, and the tunnel MTU and TCP MSS a measured path MTU leaves room for.
 *
 * Specs: RFC 8200 section 5 (IPv6 needs links of at least 1280 bytes), RFC 791
 * sections 3.1 and 3.2 (IPv4: 68 bytes forwarded whole, 576 accepted by every host),
 * RFC 9293 section 3.7.1 (MSS = MTU - 40 for IPv4, MTU - 60 for IPv6).  The bytes of
 * each encapsulation come from the RFC or kernel source its table row names; the
 * whole table with every source is in docs/overhead.md.
 *
 * A stack is written innermost first, layers joined by '+': "wireguard+dslite" is
 * WireGuard whose outer packets travel over a DS-Lite softwire, so WireGuard's own
 * outer header is IPv4 (what DS-Lite carries) and DS-Lite adds IPv6 around it:
 *
 *   |<------------------------ path MTU (IPv6, measured) ------------------------>|
 *   | IPv6 40 | IPv4 20 | UDP 8 | WG header 16 | inner packet (tunnel MTU) | tag 16 |
 *    `dslite'  `------------- wireguard, outer family IPv4 ------------------------'
 *
 * Layer syntax: NAME[:OPT[,OPT...]].  OPT is a flag ("key"), NAME=N ("opt=8"), or a
 * pin of the layer's outer family ("4" or "6") where the stack does not decide it.
 * A layer of digits only ("wireguard+8", "+8") or "raw:N" adds N bytes whatever the
 * family, for tunnels the table does not know.  The list of names, options and
 * numbers is the table itself: pd_encap_count() and pd_encap_get().
 *
 * Pure functions over caller-owned structs: no I/O, no allocation, no globals
 * other than the const table.
 */
#ifndef PATHDIAG_OVERHEAD_H
#define PATHDIAG_OVERHEAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_OVH_MAX_LAYERS 8   /* layers in one stack */
#define PD_OVH_MAX_OPTS 8     /* options one encapsulation accepts */
#define PD_OVH_MTU_MAX 65536u /* largest path or tunnel MTU accepted (loopback) */

/* Families as mask bits (PD_OVH_FAM(4) == PD_OVH_V4).  Function arguments name a
 * family as the project does elsewhere: 4, 6, or 0 for "not known". */
#define PD_OVH_V4 0x1u
#define PD_OVH_V6 0x2u
#define PD_OVH_FAM(f) ((f) == 4 ? PD_OVH_V4 : (f) == 6 ? PD_OVH_V6 : 0u)

/* An option accepted after "NAME:". */
struct pd_encap_opt {
	const char *name; /* "key"; a numeric option is written name=N */
	int16_t bytes;    /* bytes a flag adds (negative: "notel" removes 8) */
	uint8_t group;    /* non-zero: one option per group and layer */
	/* Non-zero: numeric, N in 0..num_max and N % num_step == 0; N bytes added. */
	uint16_t num_max;
	uint16_t num_step;
	const char *help; /* what it is and where the size comes from */
};

/* One row of the table. */
struct pd_encap {
	const char *name; /* "wireguard" */
	const char *desc; /* one line for --help */
	/* PD_OVH_V4/V6: families of the outer IP header it adds; 0: framing
	 * below IP (pppoe), which needs Ethernet under it. */
	uint8_t outer;
	uint8_t carries; /* families of the packets it carries */
	bool ethernet;   /* carries Ethernet frames (14 bytes counted) */
	/* Bytes added with an IPv4 / IPv6 outer header, 0 where that family is
	 * impossible; for framing (outer 0) the same bytes in both. */
	uint16_t bytes4;
	uint16_t bytes6;
	const char *sum4; /* the bytes written out: "20 IPv4 + 8 UDP + 32 WG" */
	const char *sum6;
	const char *source; /* RFC sections and kernel files that give the sizes */
	const char *note;   /* caveat worth a line in --help, or NULL */
	const struct pd_encap_opt *opts;
	uint8_t nopts;
	const char *opt_error; /* pd_error.what for an option it does not take */
};

/* One parsed layer.  encap NULL means a raw layer of raw_bytes. */
struct pd_ovh_layer {
	const struct pd_encap *encap;
	uint16_t raw_bytes;
	uint8_t pin;                      /* 0, 4 or 6 */
	uint8_t optset;                   /* bit i: encap->opts[i] given */
	uint16_t optval[PD_OVH_MAX_OPTS]; /* N of numeric options */
	uint16_t spec_off;                /* where the layer starts in the spec */
};

/* A stack, layer[0] innermost (the tunnel whose MTU is wanted). */
struct pd_ovh_stack {
	size_t n;
	struct pd_ovh_layer layer[PD_OVH_MAX_LAYERS];
};

/* Warnings of pd_ovh_recommend(), as bits; pd_ovh_warning_text() explains each. */
enum pd_ovh_warning {
	PD_OVH_W_IPV6_MIN = 1u << 0, /* tunnel carries IPv6, MTU < 1280 */
	PD_OVH_W_IPV4_576 = 1u << 1, /* tunnel carries IPv4, MTU < 576 */
	PD_OVH_W_IPV4_68 = 1u << 2,  /* tunnel carries IPv4, MTU < 68 */
	/* a lower layer runs over an MTU below its family's minimum */
	PD_OVH_W_UNDERLAY = 1u << 3,
	/* a layer's outer family was open: the larger overhead was assumed */
	PD_OVH_W_ASSUMED = 1u << 4,
};

/* What one layer adds, as resolved for the given path. */
struct pd_ovh_hop {
	const struct pd_encap *encap; /* NULL: raw layer */
	/* family of this layer's outer IP header: 4, 6, or 0 for framing and raw */
	int family;
	unsigned bytes; /* bytes this layer adds, options included */
	/* MTU left for what it carries: its tunnel interface MTU */
	unsigned mtu;
	bool assumed; /* family was open and assumed */
};

struct pd_ovh_rec {
	unsigned path_mtu;  /* as given */
	int family;         /* outermost IP family used: 4, 6, or 0 (all framing) */
	unsigned overhead;  /* all layers */
	unsigned inner_mtu; /* recommended MTU of the innermost tunnel */
	unsigned mss_ipv4;  /* inner_mtu - 40, 0 if it carries no IPv4 */
	unsigned mss_ipv6;  /* inner_mtu - 60, 0 if it carries no IPv6 */
	uint8_t carries;    /* PD_OVH_V4/V6 the innermost layer carries */
	unsigned warnings;  /* enum pd_ovh_warning bits */
	size_t nhops;
	struct pd_ovh_hop hop[PD_OVH_MAX_LAYERS]; /* hop[0] innermost */
};

/* The table: count, row by index (NULL past the end), row by exact name
 * (case-insensitive; NULL if unknown). */
size_t pd_encap_count(void);
const struct pd_encap *pd_encap_get(size_t i);
const struct pd_encap *pd_encap_find(const char *name);

/* Parse a stack spec ("wireguard+pppoe", "gre:key,seq+dslite", "ip6tnl:notel",
 * "wireguard+raw:8").  Errors carry the byte offset in spec: PD_ERR_NOTFOUND for
 * an unknown name (what lists the known ones) or option, PD_ERR_MALFORMED for
 * syntax and bad numbers, PD_ERR_INVAL for conflicts (two options of one group, a
 * pin the encapsulation cannot use, more than PD_OVH_MAX_LAYERS). */
int pd_ovh_parse(const char *spec, struct pd_ovh_stack *st, struct pd_error *err);

/* Write the stack back as a canonical spec (lower case, options in table order,
 * "raw:N" for raw layers).  PD_ERR_NOSPACE if buf is too small. */
int pd_ovh_format(const struct pd_ovh_stack *st, char *buf, size_t size, struct pd_error *err);

/* For the stack calls below: family is that of the outermost IP header (4 or 6), or
 * 0 to let the stack decide; where neither does, a layer that can use either
 * family is given the larger overhead.  A failure's pd_error.offset is the index of
 * the layer at fault (0 innermost).  PD_ERR_INVAL: a layer cannot run over the
 * family below it (e.g. dslite over IPv4), framing (pppoe) is carried by a tunnel
 * that carries no Ethernet, or a bad family or MTU argument. */

/* Total bytes the stack adds. */
int pd_ovh_overhead(const struct pd_ovh_stack *st, int family, unsigned *bytes,
		    struct pd_error *err);

/* Turn a path MTU into the innermost tunnel's MTU and MSS, with warnings.  For a
 * stack whose outermost layer is framing (pppoe) the path MTU is the MTU below
 * the framing (1500 for PPPoE on Ethernet).  PD_ERR_INVAL "path MTU too small to
 * carry the encapsulation" if a layer would be left no payload. */
int pd_ovh_recommend(const struct pd_ovh_stack *st, int family, unsigned path_mtu,
		     struct pd_ovh_rec *rec, struct pd_error *err);

/* The reverse: the path MTU a configured tunnel MTU assumes (tunnel MTU + the
 * overhead), e.g. WireGuard 1420 over IPv6 assumes a 1500-byte path. */
int pd_ovh_path_mtu(const struct pd_ovh_stack *st, int family, unsigned tunnel_mtu,
		    unsigned *path_mtu, struct pd_error *err);

/* TCP MSS for an interface MTU (MTU - 40 for IPv4, - 60 for IPv6; 0 if the MTU
 * leaves no payload or family is not 4 or 6), and the packet size an MSS implies. */
unsigned pd_ovh_mss(unsigned mtu, int family);
unsigned pd_ovh_mtu_for_mss(unsigned mss, int family);

/* Short name ("ipv6-min") and one-sentence explanation with its RFC for one
 * warning bit; NULL for anything else. */
const char *pd_ovh_warning_name(unsigned warning);
const char *pd_ovh_warning_text(unsigned warning);

#ifdef __cplusplus
}
#endif
#endif
