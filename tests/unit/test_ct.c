/* test_ct.c - the ctnetlink conntrack parser (pd_ct_parse), NAT derived from
 * the tuples (pd_ct_nat), filters, prefixes and the conntrack-tools text
 * layout (pd_ct_format), on messages built here with libmnl in the layout
 * of the kernel's ctnetlink_fill_info().  Every value asserted is one the
 * message was built with; malformed and truncated messages must fail with
 * the offset and name of the offending attribute.
 */
#include "decoder_test.h"

#include <arpa/inet.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>

#include <libmnl/libmnl.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <pathdiag/conntrack.h>

static _Alignas(8) uint8_t mb[4096];

struct tup {
	int family;
	const char *src, *dst;
	uint8_t proto;
	uint16_t sport, dport; /* ICMP: id, type */
	int zone;              /* -1: no CTA_TUPLE_ZONE */
};

static void put_addr(struct nlmsghdr *nlh, int family, uint16_t type4, uint16_t type6,
		     const char *s)
{
	uint8_t a[16];

	assert_int_equal(inet_pton(family == 4 ? AF_INET : AF_INET6, s, a), 1);
	mnl_attr_put(nlh, family == 4 ? type4 : type6, family == 4 ? 4 : 16, a);
}

static void put_tup(struct nlmsghdr *nlh, uint16_t type, const struct tup *t)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type), *m;

	m = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
	put_addr(nlh, t->family, CTA_IP_V4_SRC, CTA_IP_V6_SRC, t->src);
	put_addr(nlh, t->family, CTA_IP_V4_DST, CTA_IP_V6_DST, t->dst);
	mnl_attr_nest_end(nlh, m);
	m = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
	mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->proto);
	if (t->proto == IPPROTO_ICMP) {
		mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t->sport));
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, (uint8_t)t->dport);
		mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, 0);
	} else {
		mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
		mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
	}
	mnl_attr_nest_end(nlh, m);
	if (t->zone >= 0)
		mnl_attr_put_u16(nlh, CTA_TUPLE_ZONE, htons((uint16_t)t->zone));
	mnl_attr_nest_end(nlh, n);
}

static struct nlmsghdr *start(uint8_t msg, uint16_t flags, int family, uint32_t seq)
{
	struct nlmsghdr *nlh;
	struct nfgenmsg *nfg;

	memset(mb, 0, sizeof(mb));
	nlh = mnl_nlmsg_put_header(mb);
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | msg;
	nlh->nlmsg_flags = flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	return nlh;
}

static void put_counters(struct nlmsghdr *nlh, uint16_t type, uint64_t pk, uint64_t by)
{
	struct nlattr *n = mnl_attr_nest_start(nlh, type);

	mnl_attr_put_u64(nlh, CTA_COUNTERS_PACKETS, htobe64(pk));
	mnl_attr_put_u64(nlh, CTA_COUNTERS_BYTES, htobe64(by));
	mnl_attr_nest_end(nlh, n);
}

static const struct tup o_tcp = { 4, "192.168.1.10", "203.0.113.5", IPPROTO_TCP, 40000, 443, -1 };
/* Masqueraded: the reply goes to the router's address and another port. */
static const struct tup r_tcp = { 4, "203.0.113.5", "100.64.0.2", IPPROTO_TCP, 443, 61000, -1 };

/* A full dump entry as ctnetlink_fill_info() lays it out. */
static struct nlmsghdr *full_v4_tcp(void)
{
	struct nlmsghdr *nlh = start(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, 4, 77);
	struct nlattr *pi, *tcp, *ts;
	uint8_t labels[16] = { 1 };

	put_tup(nlh, CTA_TUPLE_ORIG, &o_tcp);
	put_tup(nlh, CTA_TUPLE_REPLY, &r_tcp);
	put_counters(nlh, CTA_COUNTERS_ORIG, 12, 3456);
	put_counters(nlh, CTA_COUNTERS_REPLY, 10, 98765);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(0x19e)); /* SEEN_REPLY ASSURED CONFIRMED SRC_NAT
							     SRC_NAT_DONE DST_NAT_DONE */
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(431999));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0x2a));
	mnl_attr_put_u16(nlh, CTA_ZONE, htons(7));
	pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
	tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, 3);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_ORIGINAL, 7);
	mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_WSCALE_REPLY, 9);
	mnl_attr_put_u16(nlh, CTA_PROTOINFO_TCP_FLAGS_ORIGINAL, 0x2323);
	mnl_attr_nest_end(nlh, tcp);
	mnl_attr_nest_end(nlh, pi);
	ts = mnl_attr_nest_start(nlh, CTA_TIMESTAMP);
	mnl_attr_put_u64(nlh, CTA_TIMESTAMP_START, htobe64(0x0102030405060708ull));
	mnl_attr_nest_end(nlh, ts);
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	mnl_attr_put_u32(nlh, CTA_ID, htonl(0xdeadbeef));
	mnl_attr_put(nlh, CTA_LABELS, sizeof(labels), labels);
	return nlh;
}

static int parse_msg(const struct nlmsghdr *nlh, struct pd_ct_entry *e, struct pd_error *err)
{
	uint8_t *b = heap_copy((const uint8_t *)nlh, nlh->nlmsg_len);
	int rc = pd_ct_parse(b, nlh->nlmsg_len, e, err);

	free(b);
	return rc;
}

static void assert_addr(const struct pd_nl_addr *a, const char *want)
{
	char s[PD_NL_ADDRSTRLEN];

	assert_string_equal(pd_nl_addr_str(a, s, sizeof(s)), want);
}

static void test_parse_full(void **state)
{
	struct pd_ct_entry e;
	struct pd_error err = { 0 };
	(void)state;

	assert_int_equal(parse_msg(full_v4_tcp(), &e, &err), PD_OK);
	assert_int_equal(e.family, 4);
	assert_int_equal(e.l4proto, IPPROTO_TCP);
	assert_int_equal(e.event, PD_CT_EV_NONE);
	assert_addr(&e.orig.src, "192.168.1.10");
	assert_addr(&e.orig.dst, "203.0.113.5");
	assert_int_equal(e.orig.sport, 40000);
	assert_int_equal(e.orig.dport, 443);
	assert_true(e.orig.has & PD_CT_T_PORTS);
	assert_false(e.orig.has & PD_CT_T_ZONE);
	assert_addr(&e.reply.src, "203.0.113.5");
	assert_addr(&e.reply.dst, "100.64.0.2");
	assert_int_equal(e.reply.sport, 443);
	assert_int_equal(e.reply.dport, 61000);
	assert_int_equal(e.status, 0x19e);
	assert_true(e.status & PD_CT_S_SRC_NAT);
	assert_false(e.status & PD_CT_S_DST_NAT);
	assert_int_equal(e.timeout, 431999);
	assert_int_equal(e.mark, 0x2a);
	assert_int_equal(e.zone, 7);
	assert_int_equal(e.use, 1);
	assert_int_equal(e.id, 0xdeadbeef);
	assert_int_equal(e.tcp_state, PD_CT_TCP_ESTABLISHED);
	assert_int_equal(e.tcp_wscale_orig, 7);
	assert_int_equal(e.tcp_wscale_reply, 9);
	assert_int_equal(e.ctr_orig.packets, 12);
	assert_int_equal(e.ctr_orig.bytes, 3456);
	assert_int_equal(e.ctr_reply.packets, 10);
	assert_int_equal(e.ctr_reply.bytes, 98765);
	assert_true(e.ts_start == 0x0102030405060708ull);
	assert_int_equal(e.has,
			 PD_CT_HAS_REPLY | PD_CT_HAS_STATUS | PD_CT_HAS_TIMEOUT | PD_CT_HAS_MARK |
				 PD_CT_HAS_ZONE | PD_CT_HAS_ID | PD_CT_HAS_USE |
				 PD_CT_HAS_TCP_STATE | PD_CT_HAS_CTR_ORIG | PD_CT_HAS_CTR_REPLY |
				 PD_CT_HAS_LABELS | PD_CT_HAS_TSTAMP);
}

static void test_parse_v6_icmp_events(void **state)
{
	const struct tup o6 = { 6, "fd00::1", "2001:db8::80", IPPROTO_UDP, 5353, 53, 4 };
	const struct tup r6 = { 6, "2001:db8::80", "fd00::1", IPPROTO_UDP, 53, 5353, 5 };
	const struct tup oi = { 4, "10.0.0.1", "10.0.0.2", IPPROTO_ICMP, 4321, 8, -1 };
	const struct tup ri = { 4, "10.0.0.2", "10.0.0.1", IPPROTO_ICMP, 4321, 0, -1 };
	struct pd_ct_entry e;
	struct nlmsghdr *nlh;
	(void)state;

	/* A new event (NLM_F_CREATE, sequence 0), IPv6 with directional zones. */
	nlh = start(IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL, 6, 0);
	put_tup(nlh, CTA_TUPLE_ORIG, &o6);
	put_tup(nlh, CTA_TUPLE_REPLY, &r6);
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	assert_int_equal(e.event, PD_CT_EV_NEW);
	assert_int_equal(e.family, 6);
	assert_int_equal(e.l4proto, IPPROTO_UDP);
	assert_addr(&e.orig.src, "fd00::1");
	assert_addr(&e.orig.dst, "2001:db8::80");
	assert_int_equal(e.orig.sport, 5353);
	assert_true(e.orig.has & PD_CT_T_ZONE);
	assert_int_equal(e.orig.zone, 4);
	assert_int_equal(e.reply.zone, 5);
	assert_false(e.has & PD_CT_HAS_STATUS);
	assert_int_equal(pd_ct_nat(&e, NULL), 0);

	/* An update event: NEW without NLM_F_CREATE, sequence 0. */
	nlh = start(IPCTNL_MSG_CT_NEW, 0, 4, 0);
	put_tup(nlh, CTA_TUPLE_ORIG, &oi);
	put_tup(nlh, CTA_TUPLE_REPLY, &ri);
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	assert_int_equal(e.event, PD_CT_EV_UPDATE);
	assert_int_equal(e.l4proto, IPPROTO_ICMP);
	assert_true(e.orig.has & PD_CT_T_ICMP);
	assert_false(e.orig.has & PD_CT_T_PORTS);
	assert_int_equal(e.orig.icmp_id, 4321);
	assert_int_equal(e.orig.icmp_type, 8);
	assert_int_equal(e.reply.icmp_type, 0);

	/* A get reply (our sequence number): no event.  A destroy event. */
	nlh = start(IPCTNL_MSG_CT_NEW, 0, 4, 99);
	put_tup(nlh, CTA_TUPLE_ORIG, &oi);
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	assert_int_equal(e.event, PD_CT_EV_NONE);
	assert_false(e.has & PD_CT_HAS_REPLY);
	nlh = start(IPCTNL_MSG_CT_DELETE, 0, 4, 0);
	put_tup(nlh, CTA_TUPLE_ORIG, &oi);
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	assert_int_equal(e.event, PD_CT_EV_DESTROY);
	assert_string_equal(pd_ct_event_name(e.event), "destroy");
}

static struct pd_ct_entry entry_of(const struct tup *o, const struct tup *r)
{
	struct nlmsghdr *nlh = start(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, o->family, 1);
	struct pd_ct_entry e;

	put_tup(nlh, CTA_TUPLE_ORIG, o);
	put_tup(nlh, CTA_TUPLE_REPLY, r);
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	return e;
}

static void test_nat(void **state)
{
	const struct tup o = { 4, "192.168.1.10", "198.51.100.1", IPPROTO_TCP, 1234, 80, -1 };
	const struct tup plain = { 4, "198.51.100.1", "192.168.1.10", IPPROTO_TCP, 80, 1234, -1 };
	/* SNAT that keeps the port (masquerade with port preserved). */
	const struct tup snat = { 4, "198.51.100.1", "203.0.113.9", IPPROTO_TCP, 80, 1234, -1 };
	/* Port-only SNAT. */
	const struct tup pnat = { 4, "198.51.100.1", "192.168.1.10", IPPROTO_TCP, 80, 2000, -1 };
	/* DNAT to an inside server on another port. */
	const struct tup dnat = { 4, "10.9.9.9", "192.168.1.10", IPPROTO_TCP, 8080, 1234, -1 };
	const struct tup both = { 4, "10.9.9.9", "203.0.113.9", IPPROTO_TCP, 8080, 1999, -1 };
	const struct tup io = { 4, "192.168.1.10", "198.51.100.1", IPPROTO_ICMP, 100, 8, -1 };
	const struct tup ir = { 4, "198.51.100.1", "203.0.113.9", IPPROTO_ICMP, 555, 0, -1 };
	struct pd_ct_entry e;
	struct pd_ct_nat n;
	(void)state;

	e = entry_of(&o, &plain);
	assert_int_equal(pd_ct_nat(&e, &n), 0);
	e = entry_of(&o, &snat);
	assert_int_equal(pd_ct_nat(&e, &n), PD_CT_SNAT);
	assert_addr(&n.snat_addr, "203.0.113.9");
	assert_int_equal(n.snat_port, 1234);
	e = entry_of(&o, &pnat);
	assert_int_equal(pd_ct_nat(&e, &n), PD_CT_SNAT);
	assert_int_equal(n.snat_port, 2000);
	e = entry_of(&o, &dnat);
	assert_int_equal(pd_ct_nat(&e, &n), PD_CT_DNAT);
	assert_addr(&n.dnat_addr, "10.9.9.9");
	assert_int_equal(n.dnat_port, 8080);
	e = entry_of(&o, &both);
	assert_int_equal(pd_ct_nat(&e, &n), PD_CT_SNAT | PD_CT_DNAT);
	assert_int_equal(n.snat_port, 1999);
	e = entry_of(&io, &ir);
	assert_int_equal(pd_ct_nat(&e, &n), PD_CT_SNAT);
	assert_addr(&n.snat_addr, "203.0.113.9");
	assert_int_equal(n.snat_port, 555);
	e.has &= ~PD_CT_HAS_REPLY;
	assert_int_equal(pd_ct_nat(&e, NULL), 0);
}

static void test_format(void **state)
{
	const struct tup o = { 4, "10.1.0.5", "10.2.0.1", IPPROTO_ICMP, 77, 8, -1 };
	const struct tup r = { 4, "10.2.0.1", "10.1.0.5", IPPROTO_ICMP, 77, 0, -1 };
	struct pd_ct_entry e;
	struct nlmsghdr *nlh;
	char buf[512], small[20], st[128];
	size_t need;
	(void)state;

	assert_int_equal(parse_msg(full_v4_tcp(), &e, NULL), PD_OK);
	need = pd_ct_format(&e, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, buf, sizeof(buf));
	assert_string_equal(buf, "ipv4     2 tcp      6 431999 ESTABLISHED src=192.168.1.10 "
				 "dst=203.0.113.5 sport=40000 dport=443 packets=12 bytes=3456 "
				 "src=203.0.113.5 dst=100.64.0.2 sport=443 dport=61000 "
				 "packets=10 bytes=98765 [ASSURED] mark=42 zone=7 use=1 "
				 "id=3735928559");
	assert_int_equal(need, strlen(buf));
	/* Cut output: NUL-terminated, same length reported. */
	assert_int_equal(pd_ct_format(&e, PD_CT_FMT_EXTENDED | PD_CT_FMT_ID, small,
				      sizeof(small)), need);
	assert_int_equal(strlen(small), sizeof(small) - 1);
	assert_memory_equal(small, buf, sizeof(small) - 1);

	nlh = start(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, 4, 1);
	put_tup(nlh, CTA_TUPLE_ORIG, &o);
	put_tup(nlh, CTA_TUPLE_REPLY, &r);
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(8));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(29));
	mnl_attr_put_u32(nlh, CTA_MARK, htonl(0));
	mnl_attr_put_u32(nlh, CTA_USE, htonl(1));
	assert_int_equal(parse_msg(nlh, &e, NULL), PD_OK);
	pd_ct_format(&e, 0, buf, sizeof(buf));
	assert_string_equal(buf, "icmp     1 29 src=10.1.0.5 dst=10.2.0.1 type=8 code=0 id=77 "
				 "[UNREPLIED] src=10.2.0.1 dst=10.1.0.5 type=0 code=0 id=77 "
				 "mark=0 use=1");
	assert_string_equal(pd_ct_status_str(0x19e, st, sizeof(st)),
			    "SEEN_REPLY|ASSURED|CONFIRMED|SRC_NAT");
	assert_string_equal(pd_ct_status_str(PD_CT_S_DYING | PD_CT_S_OFFLOAD | PD_CT_S_DST_NAT,
					     st, sizeof(st)), "DST_NAT|DYING|OFFLOAD");
	assert_string_equal(pd_ct_status_str(0, st, sizeof(st)), "");
	assert_string_equal(pd_ct_tcp_state_name(7), "TIME_WAIT");
	assert_string_equal(pd_ct_tcp_state_name(200), "UNKNOWN");
	assert_string_equal(pd_ct_l4_name(IPPROTO_ICMPV6), "icmpv6");
	assert_string_equal(pd_ct_l4_name(250), "unknown");
}

static struct pd_ct_prefix pfx(const char *s)
{
	struct pd_ct_prefix p;

	assert_int_equal(pd_ct_prefix_parse(s, &p, NULL), PD_OK);
	return p;
}

static void test_filter(void **state)
{
	struct pd_ct_entry e;
	struct pd_ct_filter f;
	(void)state;

	assert_int_equal(parse_msg(full_v4_tcp(), &e, NULL), PD_OK);
	assert_true(pd_ct_filter_match(NULL, &e));
	memset(&f, 0, sizeof(f));
	assert_true(pd_ct_filter_match(&f, &e));

	f.has = PD_CTF_ORIG_SRC;
	f.orig_src = pfx("192.168.1.0/24");
	assert_true(pd_ct_filter_match(&f, &e));
	f.orig_src = pfx("192.168.1.11");
	assert_false(pd_ct_filter_match(&f, &e));
	f.orig_src = pfx("192.168.1.8/30"); /* .8-.11 */
	assert_true(pd_ct_filter_match(&f, &e));
	f.orig_src = pfx("192.168.1.12/30");
	assert_false(pd_ct_filter_match(&f, &e));
	f.orig_src = pfx("::/0"); /* another family never matches */
	assert_false(pd_ct_filter_match(&f, &e));
	f.orig_src = pfx("0.0.0.0/0");
	assert_true(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_ADDR;
	f.addr = pfx("100.64.0.0/10"); /* only the reply destination */
	assert_true(pd_ct_filter_match(&f, &e));
	f.has = PD_CTF_REPLY_DST;
	f.reply_dst = f.addr;
	assert_true(pd_ct_filter_match(&f, &e));
	f.has = PD_CTF_ORIG_DST;
	f.orig_dst = f.addr;
	assert_false(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_PORT;
	f.port = 61000;
	assert_true(pd_ct_filter_match(&f, &e));
	f.has = PD_CTF_ORIG_SPORT;
	f.orig_sport = 61000;
	assert_false(pd_ct_filter_match(&f, &e));
	f.has = PD_CTF_REPLY_DPORT;
	f.reply_dport = 61000;
	assert_true(pd_ct_filter_match(&f, &e));
	f.has |= PD_CTF_ORIG_DPORT;
	f.orig_dport = 443;
	assert_true(pd_ct_filter_match(&f, &e));
	f.orig_dport = 444;
	assert_false(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_MARK;
	f.mark_value = 0x0a;
	f.mark_mask = 0x0f; /* 0x2a & 0x0f */
	assert_true(pd_ct_filter_match(&f, &e));
	f.mark_mask = 0xff;
	assert_false(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_ZONE | PD_CTF_FAMILY | PD_CTF_PROTO;
	f.zone = 7;
	f.family = 4;
	f.l4proto = IPPROTO_TCP;
	assert_true(pd_ct_filter_match(&f, &e));
	f.l4proto = IPPROTO_UDP;
	assert_false(pd_ct_filter_match(&f, &e));
	f.l4proto = IPPROTO_TCP;
	f.family = 6;
	assert_false(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_STATUS;
	f.status_value = PD_CT_S_SRC_NAT;
	f.status_mask = PD_CT_S_SRC_NAT | PD_CT_S_DST_NAT;
	assert_true(pd_ct_filter_match(&f, &e));
	f.status_value = PD_CT_S_DST_NAT;
	assert_false(pd_ct_filter_match(&f, &e));

	memset(&f, 0, sizeof(f));
	f.has = PD_CTF_NAT;
	f.nat = PD_CT_SNAT;
	assert_true(pd_ct_filter_match(&f, &e));
	f.nat = PD_CT_DNAT;
	assert_false(pd_ct_filter_match(&f, &e));
}

static void test_prefix_parse(void **state)
{
	struct pd_ct_prefix p;
	struct pd_error err = { 0 };
	(void)state;

	p = pfx("2001:db8::/32");
	assert_int_equal(p.addr.family, 6);
	assert_int_equal(p.len, 32);
	p = pfx("10.0.0.1");
	assert_int_equal(p.len, 32);
	assert_int_equal(pd_ct_prefix_parse("10.0.0.0/33", &p, &err), PD_ERR_INVAL);
	assert_int_equal(err.offset, 9);
	assert_int_equal(pd_ct_prefix_parse("10.0.0.0/", &p, &err), PD_ERR_INVAL);
	assert_int_equal(pd_ct_prefix_parse("10.0.0.0/x", &p, &err), PD_ERR_INVAL);
	assert_int_equal(pd_ct_prefix_parse("10.0.0.0/1x", &p, &err), PD_ERR_INVAL);
	assert_int_equal(pd_ct_prefix_parse("fd00::/129", &p, &err), PD_ERR_INVAL);
	assert_int_equal(pd_ct_prefix_parse("host/8", &p, &err), PD_ERR_INVAL);
	assert_int_equal(pd_ct_prefix_parse(NULL, &p, &err), PD_ERR_INVAL);
}

/* Offset of the first attribute of type `type` at top level (nested ones
 * when inside != 0: the first attribute nested in top-level `inside`). */
static size_t attr_off(const struct nlmsghdr *nlh, uint16_t inside, uint16_t type)
{
	const struct nlattr *a, *b;

	mnl_attr_for_each(a, nlh, sizeof(struct nfgenmsg)) {
		if (!inside && mnl_attr_get_type(a) == type)
			return (size_t)((const uint8_t *)a - (const uint8_t *)nlh);
		if (inside && mnl_attr_get_type(a) == inside)
			mnl_attr_for_each_nested(b, a) if (mnl_attr_get_type(b) == type)
				return (size_t)((const uint8_t *)b - (const uint8_t *)nlh);
	}
	fail_msg("attribute %u not found", type);
	return 0;
}

static void test_malformed(void **state)
{
	struct pd_ct_entry e;
	struct pd_error err = { 0 };
	struct nlmsghdr *nlh;
	struct nlattr *a;
	size_t off;
	int rc;
	(void)state;

	/* CTA_STATUS of 3 bytes. */
	nlh = start(IPCTNL_MSG_CT_NEW, NLM_F_MULTI, 4, 1);
	put_tup(nlh, CTA_TUPLE_ORIG, &o_tcp);
	mnl_attr_put(nlh, CTA_STATUS, 3, "abc");
	off = attr_off(nlh, 0, CTA_STATUS);
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	assert_string_equal(err.what, "CTA_STATUS is not 4 bytes");

	/* An attribute inside CTA_TUPLE_ORIG claims more than the nest holds. */
	nlh = full_v4_tcp();
	off = attr_off(nlh, CTA_TUPLE_ORIG, CTA_TUPLE_PROTO);
	a = (struct nlattr *)((uint8_t *)nlh + off);
	a->nla_len += 64;
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	assert_string_equal(err.what, "CTA_TUPLE_ORIG: bad nested attribute");

	/* Nesting broken one level down, in CTA_TUPLE_IP of the reply. */
	nlh = full_v4_tcp();
	off = attr_off(nlh, CTA_TUPLE_REPLY, CTA_TUPLE_IP) + 4; /* CTA_IP_V4_SRC */
	a = (struct nlattr *)((uint8_t *)nlh + off);
	a->nla_len = 2;
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	assert_string_equal(err.what, "CTA_TUPLE_IP: bad nested attribute");

	/* An IPv6 address in an IPv4 message. */
	{
		const struct tup o6 = { 6, "fd00::1", "fd00::2", IPPROTO_TCP, 1, 2, -1 };

		nlh = start(IPCTNL_MSG_CT_NEW, 0, 4, 1);
		put_tup(nlh, CTA_TUPLE_ORIG, &o6);
		off = attr_off(nlh, CTA_TUPLE_ORIG, CTA_TUPLE_IP) + 4;
		rc = parse_msg(nlh, &e, &err);
		assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	}

	/* A port of 4 bytes; a counter of 4 bytes (64-bit type). */
	nlh = full_v4_tcp();
	off = attr_off(nlh, CTA_TUPLE_ORIG, CTA_TUPLE_PROTO) + 4 + 8; /* SRC_PORT after NUM */
	a = (struct nlattr *)((uint8_t *)nlh + off);
	assert_int_equal(mnl_attr_get_type(a), CTA_PROTO_SRC_PORT);
	a->nla_len = 8;
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	assert_string_equal(err.what, "CTA_PROTO_SRC/DST_PORT is not 2 bytes");

	/* A tuple without its protocol. */
	nlh = start(IPCTNL_MSG_CT_NEW, 0, 4, 1);
	a = mnl_attr_nest_start(nlh, CTA_TUPLE_ORIG);
	{
		struct nlattr *ip = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);

		put_addr(nlh, 4, CTA_IP_V4_SRC, 0, "10.0.0.1");
		put_addr(nlh, 4, CTA_IP_V4_DST, 0, "10.0.0.2");
		mnl_attr_nest_end(nlh, ip);
	}
	mnl_attr_nest_end(nlh, a);
	off = attr_off(nlh, 0, CTA_TUPLE_ORIG);
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);
	assert_string_equal(err.what, "CTA_TUPLE_ORIG without addresses or protocol");

	/* No original tuple at all. */
	nlh = start(IPCTNL_MSG_CT_NEW, 0, 4, 1);
	mnl_attr_put_u32(nlh, CTA_MARK, 1);
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, 0);

	/* Top-level attribute running past the message. */
	nlh = full_v4_tcp();
	off = attr_off(nlh, 0, CTA_MARK);
	a = (struct nlattr *)((uint8_t *)nlh + off);
	a->nla_len = 0xfff0;
	rc = parse_msg(nlh, &e, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, off);

	/* Another subsystem, another message type, another family. */
	nlh = full_v4_tcp();
	nlh->nlmsg_type = 2 << 8 | IPCTNL_MSG_CT_NEW;
	assert_int_equal(parse_msg(nlh, &e, &err), PD_ERR_UNSUPPORTED);
	nlh = full_v4_tcp();
	nlh->nlmsg_type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_GET_STATS;
	assert_int_equal(parse_msg(nlh, &e, &err), PD_ERR_UNSUPPORTED);
	nlh = start(IPCTNL_MSG_CT_NEW, 0, 0, 1);
	put_tup(nlh, CTA_TUPLE_ORIG, &o_tcp);
	assert_int_equal(parse_msg(nlh, &e, &err), PD_ERR_UNSUPPORTED);
	assert_int_equal(err.offset, 16);

	/* Unaligned buffer, NULL output. */
	{
		static _Alignas(8) uint8_t odd[600];

		nlh = full_v4_tcp();
		memcpy(odd + 1, nlh, nlh->nlmsg_len);
		assert_int_equal(pd_ct_parse(odd + 1, nlh->nlmsg_len, &e, &err), PD_ERR_INVAL);
		assert_int_equal(pd_ct_parse(nlh, nlh->nlmsg_len, NULL, &err), PD_ERR_INVAL);
	}
}

static void test_truncated(void **state)
{
	struct nlmsghdr *nlh = full_v4_tcp();
	uint8_t *copy = heap_copy((uint8_t *)nlh, nlh->nlmsg_len);
	size_t len = nlh->nlmsg_len;
	(void)state;

	/* Every cut of the message is truncated (the header's length runs
	 * past it), never a read past the end (ASan build). */
	sweep_truncated(copy, len, struct pd_ct_entry, pd_ct_parse(tb, tn, &to, &te));
	/* A header whose length is cut to inside the nfgenmsg. */
	nlh = full_v4_tcp();
	nlh->nlmsg_len = 18;
	{
		struct pd_ct_entry e;
		struct pd_error err = { 0 };

		assert_pd_error(parse_msg(nlh, &e, &err), err, PD_ERR_TRUNCATED, 16);
	}
	free(copy);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_v6_icmp_events),
		cmocka_unit_test(test_nat),
		cmocka_unit_test(test_format),
		cmocka_unit_test(test_filter),
		cmocka_unit_test(test_prefix_parse),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_truncated),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
