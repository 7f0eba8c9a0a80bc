/* overhead.c - the tunnel overhead table, stack parser and MTU/MSS recommendation.
 *
 * Specs: RFC 8200 s5 (1280), RFC 791 s3.1/s3.2 (576, 68), RFC 9293 s3.7.1 (MSS);
 * each table row names the RFC sections and kernel files its bytes come from, and
 * docs/overhead.md repeats them with worked examples.  See pathdiag/overhead.h for
 * the spec syntax (layers innermost first, '+' between them).
 */
#include <stdio.h>
#include <string.h>

#include <pathdiag/overhead.h>

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))

#define SPEC_MAX 512       /* longest spec accepted */
#define IPV6_MIN_MTU 1280  /* RFC 8200 s5 */
#define IPV4_MIN_MTU 68    /* RFC 791 s3.2 */
#define IPV4_MIN_DGRAM 576 /* RFC 791 s3.1, RFC 1122 s3.3.2 */
#define TCP_HDR 20
#define IPV4_HDR 20
#define IPV6_HDR 40

/* Option groups: at most one option of a group per layer. */
enum {
	G_NONE,
	G_TEL,
	G_UDPENC,
	G_METHOD
};

/* ---- options ---------------------------------------------------------------- */

#define FLAG(n, b, g, h)                                             \
	{                                                            \
		.name = (n), .bytes = (b), .group = (g), .help = (h) \
	}
#define NUM(n, max, step, h)                                                   \
	{                                                                      \
		.name = (n), .num_max = (max), .num_step = (step), .help = (h) \
	}

#define OPT_FOU                                                                       \
	FLAG("fou", 8, G_UDPENC,                                                      \
	     "Foo-over-UDP: a UDP header between the outer IP header and the tunnel " \
	     "(include/net/fou.h fou_encap_hlen)")
#define OPT_GUE                                                                        \
	FLAG("gue", 12, G_UDPENC,                                                      \
	     "Generic UDP Encapsulation: UDP + 4-byte GUE header, no remote checksum " \
	     "offload (include/net/fou.h gue_encap_hlen)")
#define OPT_NOTEL                                                                \
	FLAG("notel", -8, G_TEL,                                                 \
	     "no tunnel encapsulation limit option: iproute2 'encaplimit none' " \
	     "(IP6_TNL_F_IGN_ENCAP_LIMIT)")
#define OPT_ENCAPNONE FLAG("encaplimit=none", -8, G_TEL, "the same as notel")
#define OPT_KEY FLAG("key", 4, G_NONE, "GRE key field (RFC 2890 s2.1)")
#define OPT_SEQ FLAG("seq", 4, G_NONE, "GRE sequence number (RFC 2890 s2.2)")
#define OPT_CSUM FLAG("csum", 4, G_NONE, "GRE checksum + reserved1 (RFC 2784 s2)")

static const struct pd_encap_opt ipx_opts[] = { OPT_FOU, OPT_GUE };
static const struct pd_encap_opt ip6tnl_opts[] = {
	OPT_NOTEL,
	OPT_ENCAPNONE,
	OPT_FOU,
	OPT_GUE,
};
static const struct pd_encap_opt gre_opts[] = {
	OPT_KEY, OPT_SEQ, OPT_CSUM, OPT_FOU, OPT_GUE,
};
static const struct pd_encap_opt ip6gre_opts[] = {
	OPT_KEY, OPT_SEQ, OPT_CSUM, OPT_NOTEL, OPT_ENCAPNONE, OPT_FOU, OPT_GUE,
};
static const struct pd_encap_opt geneve_opts[] = {
	NUM("opt", 252, 4,
	    "bytes of Geneve options: Opt Len counts 4-byte words in "
	    "6 bits (RFC 8926 s3.4, s3.5)"),
};
static const struct pd_encap_opt dslite_opts[] = {
	FLAG("tel", 8, G_TEL,
	     "the B4 adds the 8-byte tunnel encapsulation limit "
	     "destination option (a plain Linux ip6tnl ipip6 does, RFC 2473 s4.1.1)"),
};
static const struct pd_encap_opt l2tp_opts[] = {
	NUM("cookie", 8, 4, "cookie of 0, 4 or 8 bytes (RFC 3931 s4.1)"),
	FLAG("l2spec", 4, G_NONE, "the default L2-Specific Sublayer (RFC 3931 s4.6)"),
};
static const struct pd_encap_opt fastd_opts[] = {
	FLAG("null", -23, G_METHOD, "method null: 1 byte instead of 24"),
	FLAG("null@l2tp", -16, G_METHOD, "method null@l2tp: 8 bytes instead of 24"),
};

#define OPTS(a) .opts = (a), .nopts = ARRAY_SIZE(a)

#define SRC_TEL                                                              \
	"RFC 2473 s4.1.1 (tunnel encapsulation limit option); "              \
	"include/net/ip6_tunnel.h struct ipv6_tlv_tnl_enc_lim and "          \
	"include/uapi/linux/ip6_tunnel.h IPV6_DEFAULT_TNL_ENCAP_LIMIT 4, "   \
	"IP6_TNL_F_IGN_ENCAP_LIMIT; net/ipv6/ip6_tunnel.c init_tel_txopt() " \
	"(8-byte destination options header) and ip6_tnl_dev_init_gen() "    \
	"(MTU 1500 - 40 - 8 = 1452 unless encaplimit none)"
#define NOTE_TEL                                                   \
	"Linux adds the 8-byte encapsulation limit option unless " \
	"created with 'encaplimit none' (spec option notel)"
#define ERR_IP6TNL "unknown option: ip6tnl takes notel (or encaplimit=none), fou, gue"
#define ERR_IPX "unknown option: ipip, sit, 6in4 and 6rd take fou, gue"
#define ERR_FAMONLY "unknown option: this encapsulation takes only its outer family, 4 or 6"

/* ---- the table ---------------------------------------------------------------- */

static const struct pd_encap encaps[] = {
	{
		.name = "wireguard",
		.desc = "WireGuard over UDP",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes4 = 60,
		.bytes6 = 80,
		.sum4 = "20 IPv4 + 8 UDP + 16 WireGuard data header + 16 Poly1305 tag",
		.sum6 = "40 IPv6 + 8 UDP + 16 WireGuard data header + 16 Poly1305 tag",
		.source = "WireGuard whitepaper s5.4.6 (transport data message: type, "
			  "receiver index, 8-byte counter, then AEAD ciphertext with "
			  "16-byte tag); drivers/net/wireguard/device.c wg_setup() "
			  "(default MTU 1500 - (32 + 8 + 40) = 1420); wg-quick sets the "
			  "route MTU - 80",
		.note = "plaintext is zero-padded to a multiple of 16 but never past the "
			"interface MTU (drivers/net/wireguard/send.c "
			"calculate_skb_padding), so a full-size packet adds exactly "
			"these bytes; outer IPv4 goes without DF (socket.c send4)",
		.opt_error = "unknown option: wireguard takes only its outer family, 4 or 6",
	},
	{
		.name = "ip6tnl",
		.desc = "Linux ip6tnl, IPv4 or IPv6 in IPv6 (RFC 2473)",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes6 = 48,
		.sum6 = "40 IPv6 + 8 destination options (tunnel encapsulation limit)",
		.source = SRC_TEL,
		.note = NOTE_TEL,
		OPTS(ip6tnl_opts),
		.opt_error = ERR_IP6TNL,
	},
	{
		.name = "ipip6",
		.desc = "ip6tnl mode ipip6: IPv4 in IPv6 (RFC 2473)",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V4,
		.bytes6 = 48,
		.sum6 = "40 IPv6 + 8 destination options (tunnel encapsulation limit)",
		.source = SRC_TEL,
		.note = NOTE_TEL,
		OPTS(ip6tnl_opts),
		.opt_error = ERR_IP6TNL,
	},
	{
		.name = "ip6ip6",
		.desc = "ip6tnl mode ip6ip6: IPv6 in IPv6 (RFC 2473)",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V6,
		.bytes6 = 48,
		.sum6 = "40 IPv6 + 8 destination options (tunnel encapsulation limit)",
		.source = SRC_TEL,
		.note = NOTE_TEL,
		OPTS(ip6tnl_opts),
		.opt_error = ERR_IP6TNL,
	},
	{
		.name = "ipip",
		.desc = "IPv4 in IPv4 (RFC 2003)",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V4,
		.bytes4 = 20,
		.sum4 = "20 IPv4",
		.source = "RFC 2003 s3 (outer IPv4 header, protocol 4); net/ipv4/ipip.c "
			  "with net/ipv4/ip_tunnel.c (MTU 1500 - 20 = 1480)",
		OPTS(ipx_opts),
		.opt_error = ERR_IPX,
	},
	{
		.name = "sit",
		.desc = "Linux sit, IPv6 in IPv4 (RFC 4213)",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V6,
		.bytes4 = 20,
		.sum4 = "20 IPv4",
		.source = "RFC 4213 s3 (IPv4 header, protocol 41) and s3.2 (tunnel "
			  "MTU); net/ipv6/sit.c (MTU 1500 - 20 = 1480)",
		.note = "RFC 4213 s3.2.1: a static tunnel MTU between 1280 and 1480, "
			"SHOULD be 1280; Linux uses the full 1480",
		OPTS(ipx_opts),
		.opt_error = ERR_IPX,
	},
	{
		.name = "6in4",
		.desc = "configured 6in4 tunnel, IPv6 in IPv4 (RFC 4213)",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V6,
		.bytes4 = 20,
		.sum4 = "20 IPv4",
		.source = "RFC 4213 s3 (IPv4 header, protocol 41) and s3.2 (tunnel MTU)",
		OPTS(ipx_opts),
		.opt_error = ERR_IPX,
	},
	{
		.name = "6rd",
		.desc = "IPv6 rapid deployment, IPv6 in IPv4 (RFC 5969)",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V6,
		.bytes4 = 20,
		.sum4 = "20 IPv4",
		.source = "RFC 5969 (6rd encapsulates as RFC 4213: IPv4 header, "
			  "protocol 41); Linux 6rd is a sit device",
		OPTS(ipx_opts),
		.opt_error = ERR_IPX,
	},
	{
		.name = "gre",
		.desc = "GRE over IPv4 (RFC 2784, RFC 2890)",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes4 = 24,
		.sum4 = "20 IPv4 + 4 GRE",
		.source = "RFC 2784 s2 (4-byte base header, checksum + reserved1 4 more); "
			  "RFC 2890 s2.1, s2.2 (key, sequence: 4 each); "
			  "include/net/gre.h gre_calc_hlen() (4 + 4 per csum/key/seq); "
			  "net/ipv4/ip_gre.c (MTU 1476)",
		OPTS(gre_opts),
		.opt_error = "unknown option: gre takes key, seq, csum, fou, gue",
	},
	{
		.name = "gretap",
		.desc = "GRE over IPv4 carrying Ethernet",
		.outer = PD_OVH_V4,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 38,
		.sum4 = "20 IPv4 + 4 GRE + 14 inner Ethernet",
		.source = "as gre, plus the 14-byte Ethernet header (ETH_HLEN) it carries; "
			  "net/ipv4/ip_gre.c (MTU 1462)",
		OPTS(gre_opts),
		.opt_error = "unknown option: gretap takes key, seq, csum, fou, gue",
	},
	{
		.name = "ip6gre",
		.desc = "GRE over IPv6 (RFC 7676)",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes6 = 52,
		.sum6 = "40 IPv6 + 8 destination options (encapsulation limit) + 4 GRE",
		.source = "RFC 7676 (GRE over IPv6), RFC 2784/2890 (GRE header); "
			  "net/ipv6/ip6_gre.c ip6gre_tnl_link_config_route() (MTU "
			  "- 8 unless IP6_TNL_F_IGN_ENCAP_LIMIT) and prepare_ip6gre_xmit_*() "
			  "(encap_limit from the tunnel), sent by ip6_tnl_xmit()",
		.note = "like ip6tnl, Linux ip6gre adds the encapsulation limit option "
			"unless created with 'encaplimit none' (option notel)",
		OPTS(ip6gre_opts),
		.opt_error = "unknown option: ip6gre takes key, seq, csum, notel "
			     "(or encaplimit=none), fou, gue",
	},
	{
		.name = "ip6gretap",
		.desc = "GRE over IPv6 carrying Ethernet",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes6 = 66,
		.sum6 = "40 IPv6 + 8 destination options + 4 GRE + 14 inner Ethernet",
		.source = "as ip6gre; ip6gre_tnl_link_config_route() also subtracts "
			  "ETH_HLEN for Ethernet devices (MTU 1434)",
		.note = "Linux adds the encapsulation limit option unless 'encaplimit "
			"none' (option notel)",
		OPTS(ip6gre_opts),
		.opt_error = "unknown option: ip6gretap takes key, seq, csum, notel "
			     "(or encaplimit=none), fou, gue",
	},
	{
		.name = "vxlan",
		.desc = "VXLAN (RFC 7348)",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 50,
		.bytes6 = 70,
		.sum4 = "20 IPv4 + 8 UDP + 8 VXLAN + 14 inner Ethernet",
		.sum6 = "40 IPv6 + 8 UDP + 8 VXLAN + 14 inner Ethernet",
		.source = "RFC 7348 s5 (frame format); include/net/vxlan.h VXLAN_HEADROOM "
			  "(20 + 8 + 8 + 14) and VXLAN6_HEADROOM (40 + 8 + 8 + 14)",
		.note = "RFC 7348 s4.3: VTEPs must not fragment VXLAN packets",
		.opt_error = ERR_FAMONLY,
	},
	{
		.name = "geneve",
		.desc = "Geneve (RFC 8926), base header plus options",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 50,
		.bytes6 = 70,
		.sum4 = "20 IPv4 + 8 UDP + 8 Geneve + 14 inner Ethernet (+ options)",
		.sum6 = "40 IPv6 + 8 UDP + 8 Geneve + 14 inner Ethernet (+ options)",
		.source = "RFC 8926 s3 (8-byte base header; s3.4 Opt Len, s3.5 options); "
			  "drivers/net/geneve.c GENEVE_IPV4_HLEN / GENEVE_IPV6_HLEN "
			  "(ETH_HLEN + IP + UDP + 8)",
		OPTS(geneve_opts),
		.opt_error = "unknown option: geneve takes opt=N (option bytes, a multiple "
			     "of 4 up to 252) and its outer family, 4 or 6",
	},
	{
		.name = "pppoe",
		.desc = "PPPoE framing on the access line, below IP (RFC 2516)",
		.outer = 0,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes4 = 8,
		.bytes6 = 8,
		.sum4 = "6 PPPoE header + 2 PPP protocol field",
		.sum6 = "6 PPPoE header + 2 PPP protocol field",
		.source = "RFC 2516 s4 (6-byte PPPoE header) and s7 (MRU at most 1492); "
			  "RFC 1661 s2 (2-byte PPP protocol field)",
		.note = "the path MTU given is the Ethernet MTU below PPPoE (1500 -> "
			"1492); RFC 4638 allows 1500 over 1508-byte Ethernet",
		.opt_error = "unknown option: pppoe takes none",
	},
	{
		.name = "dslite",
		.desc = "DS-Lite softwire: IPv4 in IPv6 by the carrier (RFC 6333)",
		.outer = PD_OVH_V6,
		.carries = PD_OVH_V4,
		.bytes6 = 40,
		.sum6 = "40 IPv6",
		.source = "RFC 6333 s5.3 (IPv4-in-IPv6 per RFC 2473; the B4 and AFTR "
			  "fragment the IPv6 packet, never the inner IPv4); RFC 6333 does "
			  "not ask for the encapsulation limit option, and OpenWrt's netifd "
			  "creates its ipip6 softwire with IP6_TNL_F_IGN_ENCAP_LIMIT",
		.note = "some B4s (a plain Linux ip6tnl) add the 8-byte encapsulation "
			"limit option: option tel",
		OPTS(dslite_opts),
		.opt_error = "unknown option: dslite takes tel (the 8-byte encapsulation "
			     "limit option)",
	},
	{
		.name = "l2tpv3-ip",
		.desc = "L2TPv3 Ethernet pseudowire over IP (RFC 3931, protocol 115)",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 38,
		.bytes6 = 58,
		.sum4 = "20 IPv4 + 4 session ID + 14 inner Ethernet (+ cookie, l2spec)",
		.sum6 = "40 IPv6 + 4 session ID + 14 inner Ethernet (+ cookie, l2spec)",
		.source = "RFC 3931 s4.1.1 (session header over IP); "
			  "net/l2tp/l2tp_core.c l2tp_session_set_header_len() (4 + cookie "
			  "+ L2-specific) and net/l2tp/l2tp_eth.c l2tp_eth_adjust_mtu() "
			  "(+ ETH_HLEN + IP header)",
		OPTS(l2tp_opts),
		.opt_error = "unknown option: l2tpv3 takes cookie=N (0, 4 or 8), l2spec, "
			     "and its outer family, 4 or 6",
	},
	{
		.name = "l2tpv3-udp",
		.desc = "L2TPv3 Ethernet pseudowire over UDP (RFC 3931)",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 50,
		.bytes6 = 70,
		.sum4 = "20 IPv4 + 8 UDP + 4 L2TP header + 4 session ID + 14 inner Ethernet",
		.sum6 = "40 IPv6 + 8 UDP + 4 L2TP header + 4 session ID + 14 inner Ethernet",
		.source = "RFC 3931 s4.1.2 (over UDP: 4-byte T/version header before the "
			  "session ID); net/l2tp/l2tp_core.c l2tp_session_set_header_len() "
			  "(+4 over UDP) and net/l2tp/l2tp_eth.c l2tp_eth_adjust_mtu() "
			  "(+ UDP + ETH_HLEN + IP header)",
		OPTS(l2tp_opts),
		.opt_error = "unknown option: l2tpv3 takes cookie=N (0, 4 or 8), l2spec, "
			     "and its outer family, 4 or 6",
	},
	{
		.name = "fastd",
		.desc = "fastd VPN, TUN mode, an encrypting method",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.bytes4 = 52,
		.bytes6 = 72,
		.sum4 = "20 IPv4 + 8 UDP + 24 fastd method overhead",
		.sum6 = "40 IPv6 + 8 UDP + 24 fastd method overhead",
		.source = "fastd manual, 'MTU configuration' (doc/source/manual/mtu.rst): "
			  "28 bytes over IPv4 plus the method's (24 for every method but "
			  "null, 1, and null@l2tp, 8), TAP 14 more, IPv6 20 more",
		OPTS(fastd_opts),
		.opt_error = "unknown option: fastd takes null, null@l2tp, and its outer "
			     "family, 4 or 6",
	},
	{
		.name = "fastd-tap",
		.desc = "fastd VPN, TAP mode (carries Ethernet), an encrypting method",
		.outer = PD_OVH_V4 | PD_OVH_V6,
		.carries = PD_OVH_V4 | PD_OVH_V6,
		.ethernet = true,
		.bytes4 = 66,
		.bytes6 = 86,
		.sum4 = "20 IPv4 + 8 UDP + 24 fastd method overhead + 14 inner Ethernet",
		.sum6 = "40 IPv6 + 8 UDP + 24 fastd method overhead + 14 inner Ethernet",
		.source = "fastd manual, 'MTU configuration' (doc/source/manual/mtu.rst): "
			  "TAP mode needs 14 bytes more than TUN",
		OPTS(fastd_opts),
		.opt_error = "unknown option: fastd-tap takes null, null@l2tp, and its "
			     "outer family, 4 or 6",
	},
};

/* Keep in step with the table: test_overhead checks that every name is here. */
#define ERR_UNKNOWN                                                                 \
	"unknown encapsulation (layers are innermost first, as in "                 \
	"wireguard+pppoe); known: wireguard ip6tnl ipip6 ip6ip6 ipip sit 6in4 6rd " \
	"gre gretap ip6gre ip6gretap vxlan geneve pppoe dslite l2tpv3-ip "          \
	"l2tpv3-udp fastd fastd-tap raw:N +N"

static const struct {
	unsigned bit;
	const char *name;
	const char *text;
} warnings[] = {
	{ PD_OVH_W_IPV6_MIN, "ipv6-min",
	  "tunnel MTU below 1280 while it carries IPv6: IPv6 needs every link to "
	  "carry 1280-byte packets (RFC 8200 section 5), and Linux removes IPv6 "
	  "from an interface whose MTU drops below that" },
	{ PD_OVH_W_IPV4_576, "ipv4-576",
	  "tunnel MTU below 576 while it carries IPv4: every host must accept "
	  "576-byte datagrams (RFC 791 section 3.1, RFC 1122 section 3.3.2) and "
	  "TCP's default MSS of 536 assumes them (RFC 9293 section 3.7.1), so such "
	  "packets will be fragmented" },
	{ PD_OVH_W_IPV4_68, "ipv4-68",
	  "tunnel MTU below 68 while it carries IPv4: every IPv4 module must "
	  "forward 68 bytes unfragmented (RFC 791 section 3.2); IPv4 cannot work" },
	{ PD_OVH_W_UNDERLAY, "underlay-min",
	  "a lower layer runs over an MTU below its family's minimum (IPv6 1280, "
	  "RFC 8200 section 5; IPv4 68, RFC 791 section 3.2): that path is broken "
	  "before any tunnel is added" },
	{ PD_OVH_W_ASSUMED, "family-assumed",
	  "a layer could use IPv4 or IPv6 and neither the stack nor the caller "
	  "said which: the larger overhead was assumed; write NAME:4 or NAME:6" },
};

/* ---- the table's accessors ---------------------------------------------------- */

size_t pd_encap_count(void)
{
	return ARRAY_SIZE(encaps);
}

const struct pd_encap *pd_encap_get(size_t i)
{
	return i < ARRAY_SIZE(encaps) ? &encaps[i] : NULL;
}

static char lower(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
}

/* Does s[0..n) equal the NUL-terminated word, ignoring case? */
static bool word_eq(const char *s, size_t n, const char *word)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (word[i] == '\0' || lower(s[i]) != word[i])
			return false;
	return word[n] == '\0';
}

static const struct pd_encap *find_n(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(encaps); i++)
		if (word_eq(s, n, encaps[i].name))
			return &encaps[i];
	return NULL;
}

const struct pd_encap *pd_encap_find(const char *name)
{
	return name ? find_n(name, strlen(name)) : NULL;
}

/* ---- parsing ---------------------------------------------------------------------- */

/* Decimal digits only, value <= max. */
static bool parse_num(const char *s, size_t n, unsigned max, unsigned *out)
{
	unsigned v = 0;
	size_t i;

	if (n == 0)
		return false;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		v = v * 10 + (unsigned)(s[i] - '0');
		if (v > max)
			return false;
	}
	*out = v;
	return true;
}

static bool all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return n > 0;
}

static int parse_raw(const char *s, size_t n, size_t off, struct pd_ovh_layer *l,
		     struct pd_error *err)
{
	unsigned v;

	if (!parse_num(s, n, 65535, &v) || v == 0)
		return pd_fail(err, PD_ERR_MALFORMED, off,
			       "raw layer needs a byte count from 1 to 65535 (raw:N or +N)");
	l->raw_bytes = (uint16_t)v;
	return PD_OK;
}

static int parse_opt(const char *s, size_t n, size_t off, struct pd_ovh_layer *l,
		     struct pd_error *err)
{
	const struct pd_encap *e = l->encap;
	const char *eq = memchr(s, '=', n);
	size_t i, j;
	int pin = 0;

	if (word_eq(s, n, "4") || word_eq(s, n, "ipv4"))
		pin = 4;
	else if (word_eq(s, n, "6") || word_eq(s, n, "ipv6"))
		pin = 6;
	if (pin) {
		if (l->pin)
			return pd_fail(err, PD_ERR_INVAL, off, "outer family given twice");
		if (!(e->outer & PD_OVH_FAM(pin)))
			return pd_fail(err, PD_ERR_INVAL, off,
				       "this encapsulation cannot use that outer family "
				       "(pppoe has none, ip6tnl is IPv6 only, gre IPv4 only)");
		l->pin = (uint8_t)pin;
		return PD_OK;
	}

	for (i = 0; i < e->nopts; i++) {
		const struct pd_encap_opt *o = &e->opts[i];
		unsigned v = 1;

		if (o->num_max) {
			size_t klen = eq ? (size_t)(eq - s) : n;

			if (!eq || !word_eq(s, klen, o->name))
				continue;
			if (!parse_num(eq + 1, n - klen - 1, o->num_max, &v) || v % o->num_step)
				return pd_fail(err, PD_ERR_MALFORMED, off + klen + 1,
					       "option value out of range or not a multiple "
					       "of its step (see the option's help)");
		} else if (!word_eq(s, n, o->name)) {
			continue;
		}
		if (l->optset & (1u << i))
			return pd_fail(err, PD_ERR_INVAL, off, "option given twice");
		for (j = 0; o->group && j < e->nopts; j++)
			if ((l->optset & (1u << j)) && e->opts[j].group == o->group)
				return pd_fail(err, PD_ERR_INVAL, off,
					       "options that exclude each other (fou/gue, "
					       "tel/notel, fastd methods)");
		l->optset |= (uint8_t)(1u << i);
		l->optval[i] = (uint16_t)v;
		return PD_OK;
	}
	return pd_fail(err, PD_ERR_NOTFOUND, off, e->opt_error);
}

/* One layer: s[0..n) is NAME[:OPT,...], off its offset in the spec. */
static int parse_layer(const char *s, size_t n, size_t off, struct pd_ovh_layer *l,
		       struct pd_error *err)
{
	const char *colon = memchr(s, ':', n);
	size_t nlen = colon ? (size_t)(colon - s) : n;
	size_t pos;

	memset(l, 0, sizeof(*l));
	l->spec_off = (uint16_t)off;

	if (all_digits(s, nlen)) {
		if (colon)
			return pd_fail(err, PD_ERR_MALFORMED, off + nlen,
				       "a raw byte count takes no options");
		return parse_raw(s, n, off, l, err);
	}
	if (word_eq(s, nlen, "raw")) {
		if (!colon)
			return pd_fail(err, PD_ERR_MALFORMED, off + nlen,
				       "raw layer needs a byte count: raw:N");
		return parse_raw(colon + 1, n - nlen - 1, off + nlen + 1, l, err);
	}
	if (nlen == 0)
		return pd_fail(err, PD_ERR_MALFORMED, off, "layer has options but no name");
	l->encap = find_n(s, nlen);
	if (!l->encap)
		return pd_fail(err, PD_ERR_NOTFOUND, off, ERR_UNKNOWN);
	if (!colon)
		return PD_OK;

	pos = nlen + 1;
	for (;;) {
		const char *comma = memchr(s + pos, ',', n - pos);
		size_t end = comma ? (size_t)(comma - s) : n;
		int rc;

		if (end == pos)
			return pd_fail(err, PD_ERR_MALFORMED, off + pos, "empty option");
		rc = parse_opt(s + pos, end - pos, off + pos, l, err);
		if (rc)
			return rc;
		if (!comma)
			return PD_OK;
		pos = end + 1;
	}
}

int pd_ovh_parse(const char *spec, struct pd_ovh_stack *st, struct pd_error *err)
{
	size_t len, pos = 0;

	if (!spec || !st)
		return pd_fail(err, PD_ERR_INVAL, 0, "no spec or no stack given");
	memset(st, 0, sizeof(*st));
	for (len = 0; spec[len]; len++)
		if (len == SPEC_MAX)
			return pd_fail(err, PD_ERR_MALFORMED, len,
				       "stack spec longer than 512 bytes");
	if (len == 0)
		return pd_fail(err, PD_ERR_MALFORMED, 0,
			       "empty stack spec: name the layers innermost first, as in "
			       "wireguard+pppoe");
	/* "+N" alone or first: a leading '+' introduces a raw byte count. */
	if (spec[0] == '+') {
		if (spec[1] < '0' || spec[1] > '9')
			return pd_fail(err, PD_ERR_MALFORMED, 0,
				       "a leading '+' must be followed by a byte count (+N)");
		pos = 1;
	}
	for (;;) {
		const char *plus = memchr(spec + pos, '+', len - pos);
		size_t end = plus ? (size_t)(plus - spec) : len;
		int rc;

		if (end == pos)
			rc = pd_fail(err, PD_ERR_MALFORMED, pos,
				     "empty layer: two '+' in a row or a '+' at the end");
		else if (st->n == PD_OVH_MAX_LAYERS)
			rc = pd_fail(err, PD_ERR_INVAL, pos, "more than 8 layers");
		else
			rc = parse_layer(spec + pos, end - pos, pos, &st->layer[st->n], err);
		if (rc) {
			/* no half-parsed stack for a caller that ignores rc */
			memset(st, 0, sizeof(*st));
			return rc;
		}
		st->n++;
		if (!plus)
			return PD_OK;
		pos = end + 1;
	}
}

/* ---- formatting ------------------------------------------------------------------ */

struct out {
	char *buf;
	size_t size, len;
	bool full;
};

static void put(struct out *o, const char *s)
{
	size_t n = strlen(s);

	if (o->full || o->len + n >= o->size) {
		o->full = true;
		return;
	}
	memcpy(o->buf + o->len, s, n + 1);
	o->len += n;
}

static void put_num(struct out *o, unsigned v)
{
	char tmp[16];

	snprintf(tmp, sizeof(tmp), "%u", v);
	put(o, tmp);
}

int pd_ovh_format(const struct pd_ovh_stack *st, char *buf, size_t size, struct pd_error *err)
{
	struct out o = { .buf = buf, .size = size };
	size_t i, j;

	if (!st || !buf || size == 0)
		return pd_fail(err, PD_ERR_INVAL, 0, "no stack or no buffer given");
	buf[0] = '\0';
	for (i = 0; i < st->n && i < PD_OVH_MAX_LAYERS; i++) {
		const struct pd_ovh_layer *l = &st->layer[i];
		const char *sep = ":";

		if (i)
			put(&o, "+");
		if (!l->encap) {
			put(&o, "raw:");
			put_num(&o, l->raw_bytes);
			continue;
		}
		put(&o, l->encap->name);
		if (l->pin) {
			put(&o, sep);
			put(&o, l->pin == 4 ? "4" : "6");
			sep = ",";
		}
		for (j = 0; j < l->encap->nopts; j++) {
			if (!(l->optset & (1u << j)))
				continue;
			put(&o, sep);
			put(&o, l->encap->opts[j].name);
			if (l->encap->opts[j].num_max) {
				put(&o, "=");
				put_num(&o, l->optval[j]);
			}
			sep = ",";
		}
	}
	if (o.full) {
		buf[0] = '\0';
		return pd_fail(err, PD_ERR_NOSPACE, o.len, "buffer too small for the spec");
	}
	return PD_OK;
}

/* ---- the model --------------------------------------------------------------------- */

static unsigned layer_bytes(const struct pd_ovh_layer *l, int family)
{
	const struct pd_encap *e = l->encap;
	int b;
	size_t i;

	if (!e)
		return l->raw_bytes;
	b = family == 6 ? e->bytes6 : e->bytes4;
	for (i = 0; i < e->nopts && i < PD_OVH_MAX_OPTS; i++)
		if (l->optset & (1u << i))
			b += e->opts[i].num_max ? l->optval[i] : e->opts[i].bytes;
	return b > 0 ? (unsigned)b : 0;
}

/* Decide each layer's outer family from the outside in and fill the hops' family
 * and bytes, the overhead, the outermost family and what the innermost carries. */
static int resolve(const struct pd_ovh_stack *st, int family, struct pd_ovh_rec *rec,
		   struct pd_error *err)
{
	int cur = family; /* family of the packets at this depth, 0 if open */
	size_t i;

	memset(rec, 0, sizeof(*rec));
	if (!st || st->n == 0 || st->n > PD_OVH_MAX_LAYERS)
		return pd_fail(err, PD_ERR_INVAL, 0, "empty stack");
	if (family != 0 && family != 4 && family != 6)
		return pd_fail(err, PD_ERR_INVAL, 0, "family must be 4, 6, or 0 (open)");
	rec->family = family;
	rec->nhops = st->n;
	for (i = st->n; i-- > 0;) {
		const struct pd_ovh_layer *l = &st->layer[i];
		const struct pd_encap *e = l->encap;
		struct pd_ovh_hop *h = &rec->hop[i];
		int f = l->pin;

		h->encap = e;
		if (!e && l->raw_bytes == 0)
			return pd_fail(err, PD_ERR_INVAL, i, "raw layer of 0 bytes");
		if (e && e->outer == 0 && i + 1 < st->n && st->layer[i + 1].encap &&
		    !st->layer[i + 1].encap->ethernet)
			return pd_fail(err, PD_ERR_INVAL, i,
				       "framing such as pppoe must be the outermost layer or "
				       "ride an Ethernet tunnel (layers are innermost first: "
				       "wireguard+pppoe)");
		if (!e || e->outer == 0) {
			/* Framing or raw bytes: the family inside stays what it was. */
			h->bytes = layer_bytes(l, 0);
			rec->overhead += h->bytes;
			continue;
		}
		if (f && cur && f != cur)
			return pd_fail(err, PD_ERR_INVAL, i,
				       "layer pinned to one family, but the layer outside it "
				       "carries the other");
		if (!f)
			f = cur;
		if (f && !(e->outer & PD_OVH_FAM(f)))
			return pd_fail(err, PD_ERR_INVAL, i,
				       "layer cannot run over this family (layers are "
				       "innermost first: in wireguard+dslite, wireguard runs "
				       "over the IPv4 that dslite carries)");
		if (!f) {
			if (e->outer == PD_OVH_V4) {
				f = 4;
			} else if (e->outer == PD_OVH_V6) {
				f = 6;
			} else {
				f = e->bytes6 >= e->bytes4 ? 6 : 4;
				h->assumed = true;
				rec->warnings |= PD_OVH_W_ASSUMED;
			}
		}
		h->family = f;
		h->bytes = layer_bytes(l, f);
		rec->overhead += h->bytes;
		if (!rec->family)
			rec->family = f;
		cur = e->carries == PD_OVH_V4 ? 4 : e->carries == PD_OVH_V6 ? 6 : 0;
	}
	rec->carries = st->layer[0].encap ? st->layer[0].encap->carries :
					    (uint8_t)(PD_OVH_V4 | PD_OVH_V6);
	return PD_OK;
}

int pd_ovh_overhead(const struct pd_ovh_stack *st, int family, unsigned *bytes,
		    struct pd_error *err)
{
	struct pd_ovh_rec rec;
	int rc;

	if (!bytes)
		return pd_fail(err, PD_ERR_INVAL, 0, "no result pointer given");
	rc = resolve(st, family, &rec, err);
	if (rc)
		return rc;
	*bytes = rec.overhead;
	return PD_OK;
}

int pd_ovh_recommend(const struct pd_ovh_stack *st, int family, unsigned path_mtu,
		     struct pd_ovh_rec *rec, struct pd_error *err)
{
	unsigned mtu = path_mtu;
	size_t i;
	int rc;

	if (!rec)
		return pd_fail(err, PD_ERR_INVAL, 0, "no result struct given");
	rc = resolve(st, family, rec, err);
	if (rc)
		return rc;
	if (path_mtu == 0 || path_mtu > PD_OVH_MTU_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "path MTU out of range (1..65536)");
	rec->path_mtu = path_mtu;
	for (i = st->n; i-- > 0;) {
		struct pd_ovh_hop *h = &rec->hop[i];

		if ((h->family == 6 && mtu < IPV6_MIN_MTU) ||
		    (h->family == 4 && mtu < IPV4_MIN_MTU))
			rec->warnings |= PD_OVH_W_UNDERLAY;
		if (mtu <= h->bytes)
			return pd_fail(err, PD_ERR_INVAL, i,
				       "path MTU too small to carry the encapsulation");
		mtu -= h->bytes;
		h->mtu = mtu;
	}
	rec->inner_mtu = mtu;
	if (rec->carries & PD_OVH_V4) {
		rec->mss_ipv4 = pd_ovh_mss(mtu, 4);
		if (mtu < IPV4_MIN_DGRAM)
			rec->warnings |= PD_OVH_W_IPV4_576;
		if (mtu < IPV4_MIN_MTU)
			rec->warnings |= PD_OVH_W_IPV4_68;
	}
	if (rec->carries & PD_OVH_V6) {
		rec->mss_ipv6 = pd_ovh_mss(mtu, 6);
		if (mtu < IPV6_MIN_MTU)
			rec->warnings |= PD_OVH_W_IPV6_MIN;
	}
	return PD_OK;
}

int pd_ovh_path_mtu(const struct pd_ovh_stack *st, int family, unsigned tunnel_mtu,
		    unsigned *path_mtu, struct pd_error *err)
{
	unsigned bytes;
	int rc;

	if (!path_mtu)
		return pd_fail(err, PD_ERR_INVAL, 0, "no result pointer given");
	rc = pd_ovh_overhead(st, family, &bytes, err);
	if (rc)
		return rc;
	if (tunnel_mtu == 0 || tunnel_mtu > PD_OVH_MTU_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "tunnel MTU out of range (1..65536)");
	*path_mtu = tunnel_mtu + bytes;
	return PD_OK;
}

unsigned pd_ovh_mss(unsigned mtu, int family)
{
	unsigned hdrs;

	if (family == 4)
		hdrs = IPV4_HDR + TCP_HDR;
	else if (family == 6)
		hdrs = IPV6_HDR + TCP_HDR;
	else
		return 0;
	return mtu > hdrs ? mtu - hdrs : 0;
}

unsigned pd_ovh_mtu_for_mss(unsigned mss, int family)
{
	if (family == 4)
		return mss + IPV4_HDR + TCP_HDR;
	if (family == 6)
		return mss + IPV6_HDR + TCP_HDR;
	return 0;
}

const char *pd_ovh_warning_name(unsigned warning)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(warnings); i++)
		if (warnings[i].bit == warning)
			return warnings[i].name;
	return NULL;
}

const char *pd_ovh_warning_text(unsigned warning)
{
	size_t i;

	for (i = 0; i < ARRAY_SIZE(warnings); i++)
		if (warnings[i].bit == warning)
			return warnings[i].text;
	return NULL;
}
