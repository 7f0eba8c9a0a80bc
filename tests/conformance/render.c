/* render.c - our decoded values, written the way tshark 4.0 prints the same
 * fields with `-T fields -E occurrence=a -E aggregator=,`: one value per
 * header instance, outermost first (quoted headers inside ICMP errors
 * included, where tshark also dissects them), booleans as 1/0, ip.id,
 * tcp.flags, gre.proto, wg.sender/receiver and ipv6.fraghdr.ident in hex
 * with the field's width, fragment offsets in 8-octet units as on the wire.
 *
 * Each column is rendered from the layers pd_dissect() produced, never from
 * the frame bytes, so a difference from tshark is a difference in decoding.
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "conf.h"

void sb_reset(struct sb *s)
{
	s->buf[0] = '\0';
	s->len = 0;
	s->nvalues = 0;
	s->overflow = false;
}

void sb_value(struct sb *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (s->overflow)
		return;
	if (s->nvalues > 0) {
		if (s->len + 1 >= sizeof(s->buf)) {
			s->overflow = true;
			return;
		}
		s->buf[s->len++] = ',';
		s->buf[s->len] = '\0';
	}
	va_start(ap, fmt);
	n = vsnprintf(s->buf + s->len, sizeof(s->buf) - s->len, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(s->buf) - s->len) {
		s->overflow = true;
		return;
	}
	s->len += (size_t)n;
	s->nvalues++;
}

enum frame_field {
	FF_NONE,
	FF_NUMBER,
	FF_LEN,
	FF_CAPLEN
};

typedef void (*emit_fn)(const struct pd_layer *l, struct sb *s);

struct render_col {
	const char *name;
	const char *owners[3];
	enum frame_field ff;
	emit_fn emit;
};

static bool is_ip4(const struct pd_layer *l)
{
	return l->kind == PD_LAYER_IPV4;
}

static bool is_ip6(const struct pd_layer *l)
{
	return l->kind == PD_LAYER_IPV6;
}

static bool is_icmp(const struct pd_layer *l, int family)
{
	return l->kind == PD_LAYER_ICMP && l->u.icmp.family == family;
}

static void addr4(struct sb *s, const uint8_t a[4])
{
	sb_value(s, "%u.%u.%u.%u", a[0], a[1], a[2], a[3]);
}

/* tshark writes IPv6 addresses in the RFC 5952 form, as inet_ntop does. */
static void addr6(struct sb *s, const uint8_t a[16])
{
	char txt[INET6_ADDRSTRLEN];

	if (!inet_ntop(AF_INET6, a, txt, sizeof(txt)))
		snprintf(txt, sizeof(txt), "?");
	sb_value(s, "%s", txt);
}

/* ip.version: tshark 4.0 adds it to IPv6 headers too. */
static void e_ip_version(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "4");
	else if (is_ip6(l))
		sb_value(s, "6");
}

static void e_ip_src(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		addr4(s, l->u.ip4.src);
}

static void e_ip_dst(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		addr4(s, l->u.ip4.dst);
}

static void e_ip_proto(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%u", l->u.ip4.proto);
}

static void e_ip_len(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%u", l->u.ip4.total_len);
}

static void e_ip_ttl(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%u", l->u.ip4.ttl);
}

static void e_ip_id(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "0x%04x", l->u.ip4.id);
}

static void e_ip_df(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%d", l->u.ip4.df ? 1 : 0);
}

static void e_ip_mf(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%d", l->u.ip4.mf ? 1 : 0);
}

static void e_ip_frag_offset(const struct pd_layer *l, struct sb *s)
{
	if (is_ip4(l))
		sb_value(s, "%u", l->u.ip4.frag_off);
}

static void e_ip6_version(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		sb_value(s, "6");
}

static void e_ip6_src(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		addr6(s, l->u.ip6.src);
}

static void e_ip6_dst(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		addr6(s, l->u.ip6.dst);
}

static void e_ip6_nxt(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		sb_value(s, "%u", l->u.ip6.chain[0]);
}

/* The next-header field of every extension header of one type, in chain
 * order: extension header i+1 has type chain[i] and next header chain[i+1]. */
static void ext_nxt(const struct pd_layer *l, struct sb *s, uint8_t type)
{
	const struct pd_ipv6 *ip = &l->u.ip6;

	if (!is_ip6(l))
		return;
	for (unsigned i = 0; i < ip->n_ext && i < PD_IPV6_MAX_EXT; i++) {
		if (ip->chain[i] == type)
			sb_value(s, "%u", ip->chain[i + 1]);
	}
}

static void e_hopopts_nxt(const struct pd_layer *l, struct sb *s)
{
	ext_nxt(l, s, PD_IPPROTO_HOPOPTS);
}

static void e_dstopts_nxt(const struct pd_layer *l, struct sb *s)
{
	ext_nxt(l, s, PD_IPPROTO_DSTOPTS);
}

static void e_routing_nxt(const struct pd_layer *l, struct sb *s)
{
	ext_nxt(l, s, PD_IPPROTO_ROUTING);
}

static void e_fraghdr_nxt(const struct pd_layer *l, struct sb *s)
{
	ext_nxt(l, s, PD_IPPROTO_FRAGMENT);
}

static void e_ip6_tel(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l) && l->u.ip6.tel >= 0)
		sb_value(s, "%d", l->u.ip6.tel);
}

static void e_ip6_plen(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		sb_value(s, "%u", l->u.ip6.plen);
}

static void e_ip6_hlim(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l))
		sb_value(s, "%u", l->u.ip6.hlim);
}

static void e_frag_ident(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l) && l->u.ip6.has_frag)
		sb_value(s, "0x%08x", (unsigned)l->u.ip6.frag_ident);
}

static void e_frag_offset(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l) && l->u.ip6.has_frag)
		sb_value(s, "%u", l->u.ip6.frag_off);
}

static void e_frag_more(const struct pd_layer *l, struct sb *s)
{
	if (is_ip6(l) && l->u.ip6.has_frag)
		sb_value(s, "%d", l->u.ip6.frag_more ? 1 : 0);
}

static void e_udp_sport(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_UDP)
		sb_value(s, "%u", l->u.udp.sport);
}

static void e_udp_dport(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_UDP)
		sb_value(s, "%u", l->u.udp.dport);
}

static void e_wg_type(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_WG)
		sb_value(s, "%u", l->u.wg.type);
}

/* Which message types carry which index (wireguard.h). */
static void e_wg_sender(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_WG &&
	    (l->u.wg.type == PD_WG_INITIATION || l->u.wg.type == PD_WG_RESPONSE))
		sb_value(s, "0x%08x", (unsigned)l->u.wg.sender);
}

static void e_wg_receiver(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_WG && l->u.wg.type != PD_WG_INITIATION)
		sb_value(s, "0x%08x", (unsigned)l->u.wg.receiver);
}

static void e_wg_counter(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_WG && l->u.wg.type == PD_WG_DATA)
		sb_value(s, "%llu", (unsigned long long)l->u.wg.counter);
}

static void e_gre_proto(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_GRE)
		sb_value(s, "0x%04x", l->u.gre.proto);
}

static void e_vxlan_vni(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_VXLAN)
		sb_value(s, "%u", (unsigned)l->u.vxlan.vni);
}

static void icmp_type(const struct pd_layer *l, struct sb *s, int family)
{
	if (is_icmp(l, family))
		sb_value(s, "%u", l->u.icmp.type);
}

static void icmp_code(const struct pd_layer *l, struct sb *s, int family)
{
	if (is_icmp(l, family))
		sb_value(s, "%u", l->u.icmp.code);
}

static void icmp_mtu(const struct pd_layer *l, struct sb *s, int family)
{
	if (is_icmp(l, family) && l->u.icmp.has_mtu)
		sb_value(s, "%u", (unsigned)l->u.icmp.mtu);
}

static void e_icmp_type(const struct pd_layer *l, struct sb *s)
{
	icmp_type(l, s, 4);
}

static void e_icmp_code(const struct pd_layer *l, struct sb *s)
{
	icmp_code(l, s, 4);
}

static void e_icmp_mtu(const struct pd_layer *l, struct sb *s)
{
	icmp_mtu(l, s, 4);
}

static void e_icmp6_type(const struct pd_layer *l, struct sb *s)
{
	icmp_type(l, s, 6);
}

static void e_icmp6_code(const struct pd_layer *l, struct sb *s)
{
	icmp_code(l, s, 6);
}

static void e_icmp6_mtu(const struct pd_layer *l, struct sb *s)
{
	icmp_mtu(l, s, 6);
}

static void e_tcp_sport(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_TCP)
		sb_value(s, "%u", l->u.tcp.sport);
}

static void e_tcp_dport(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_TCP)
		sb_value(s, "%u", l->u.tcp.dport);
}

/* tshark 4.0's tcp.flags is the 12-bit field (reserved bits included),
 * printed with 4 hex digits.  A quoted header cut before byte 14 has none
 * (pd_tcp_decode_partial says how many header bytes it saw). */
static void e_tcp_flags(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_TCP && l->u.tcp.hdr_present >= 14)
		sb_value(s, "0x%04x", l->u.tcp.flags);
}

static void e_tcp_mss(const struct pd_layer *l, struct sb *s)
{
	if (l->kind == PD_LAYER_TCP && l->u.tcp.has_mss)
		sb_value(s, "%u", l->u.tcp.mss);
}

static const struct render_col columns[] = {
	{ "frame.number", { NULL }, FF_NUMBER, NULL },
	{ "frame.len", { NULL }, FF_LEN, NULL },
	{ "frame.cap_len", { NULL }, FF_CAPLEN, NULL },
	{ "ip.version", { "ip", "ipv6", NULL }, FF_NONE, e_ip_version },
	{ "ipv6.version", { "ipv6", NULL }, FF_NONE, e_ip6_version },
	{ "ip.src", { "ip", NULL }, FF_NONE, e_ip_src },
	{ "ip.dst", { "ip", NULL }, FF_NONE, e_ip_dst },
	{ "ipv6.src", { "ipv6", NULL }, FF_NONE, e_ip6_src },
	{ "ipv6.dst", { "ipv6", NULL }, FF_NONE, e_ip6_dst },
	{ "ip.proto", { "ip", NULL }, FF_NONE, e_ip_proto },
	{ "ipv6.nxt", { "ipv6", NULL }, FF_NONE, e_ip6_nxt },
	{ "ipv6.hopopts.nxt", { "ipv6.hopopts", NULL }, FF_NONE, e_hopopts_nxt },
	{ "ipv6.dstopts.nxt", { "ipv6.dstopts", NULL }, FF_NONE, e_dstopts_nxt },
	{ "ipv6.routing.nxt", { "ipv6.routing", NULL }, FF_NONE, e_routing_nxt },
	{ "ipv6.fraghdr.nxt", { "ipv6.fraghdr", NULL }, FF_NONE, e_fraghdr_nxt },
	{ "ipv6.opt.tel", { "ipv6.dstopts", NULL }, FF_NONE, e_ip6_tel },
	{ "ip.len", { "ip", NULL }, FF_NONE, e_ip_len },
	{ "ipv6.plen", { "ipv6", NULL }, FF_NONE, e_ip6_plen },
	{ "ip.ttl", { "ip", NULL }, FF_NONE, e_ip_ttl },
	{ "ipv6.hlim", { "ipv6", NULL }, FF_NONE, e_ip6_hlim },
	{ "ip.id", { "ip", NULL }, FF_NONE, e_ip_id },
	{ "ip.flags.df", { "ip", NULL }, FF_NONE, e_ip_df },
	{ "ip.flags.mf", { "ip", NULL }, FF_NONE, e_ip_mf },
	{ "ip.frag_offset", { "ip", NULL }, FF_NONE, e_ip_frag_offset },
	{ "ipv6.fraghdr.ident", { "ipv6.fraghdr", NULL }, FF_NONE, e_frag_ident },
	{ "ipv6.fraghdr.offset", { "ipv6.fraghdr", NULL }, FF_NONE, e_frag_offset },
	{ "ipv6.fraghdr.more", { "ipv6.fraghdr", NULL }, FF_NONE, e_frag_more },
	{ "udp.srcport", { "udp", NULL }, FF_NONE, e_udp_sport },
	{ "udp.dstport", { "udp", NULL }, FF_NONE, e_udp_dport },
	{ "wg.type", { "wg", NULL }, FF_NONE, e_wg_type },
	{ "wg.sender", { "wg", NULL }, FF_NONE, e_wg_sender },
	{ "wg.receiver", { "wg", NULL }, FF_NONE, e_wg_receiver },
	{ "wg.counter", { "wg", NULL }, FF_NONE, e_wg_counter },
	{ "gre.proto", { "gre", NULL }, FF_NONE, e_gre_proto },
	{ "vxlan.vni", { "vxlan", NULL }, FF_NONE, e_vxlan_vni },
	{ "icmp.type", { "icmp", NULL }, FF_NONE, e_icmp_type },
	{ "icmp.code", { "icmp", NULL }, FF_NONE, e_icmp_code },
	{ "icmp.mtu", { "icmp", NULL }, FF_NONE, e_icmp_mtu },
	{ "icmpv6.type", { "icmpv6", NULL }, FF_NONE, e_icmp6_type },
	{ "icmpv6.code", { "icmpv6", NULL }, FF_NONE, e_icmp6_code },
	{ "icmpv6.mtu", { "icmpv6", NULL }, FF_NONE, e_icmp6_mtu },
	{ "tcp.srcport", { "tcp", NULL }, FF_NONE, e_tcp_sport },
	{ "tcp.dstport", { "tcp", NULL }, FF_NONE, e_tcp_dport },
	{ "tcp.flags", { "tcp", NULL }, FF_NONE, e_tcp_flags },
	{ "tcp.options.mss_val", { "tcp", NULL }, FF_NONE, e_tcp_mss },
};

const struct render_col *render_lookup(const char *name)
{
	for (size_t i = 0; i < sizeof(columns) / sizeof(columns[0]); i++) {
		if (strcmp(columns[i].name, name) == 0)
			return &columns[i];
	}
	return NULL;
}

const char *const *render_owners(const struct render_col *col)
{
	return col->owners;
}

void render_cell(const struct render_col *col, const struct frame_info *fi,
		 const struct pd_packet *pkt, struct sb *out)
{
	sb_reset(out);
	switch (col->ff) {
	case FF_NUMBER:
		sb_value(out, "%u", fi->number);
		return;
	case FF_LEN:
		sb_value(out, "%zu", pkt->wirelen);
		return;
	case FF_CAPLEN:
		sb_value(out, "%zu", pkt->caplen);
		return;
	case FF_NONE:
		break;
	}
	for (unsigned i = 0; i < pkt->nlayers && i < PD_MAX_LAYERS; i++)
		col->emit(&pkt->layers[i], out);
}
