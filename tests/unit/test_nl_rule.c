/* test_nl_rule.c - the policy rule parser (pd_nl_rules_parse) on RTM_NEWRULE
 * messages built here with libmnl in the layout of the kernel's
 * fib_nl_fill_rule(), the route dump parser, the table lookup, and the rule
 * walk (pd_rule_walk) on hand-built rule lists and tables: wg-quick's rules
 * (suppress_prefixlength 0, "not fwmark"), goto, nop, blackhole, throw and
 * unreachable routes, iif lo for local traffic.  The sysctl readers run on
 * a directory tree made here.  Every value asserted is one the input was
 * built with.
 */
#include "decoder_test.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libmnl/libmnl.h>
#include <linux/fib_rules.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>

#include <pathdiag/nl_rule.h>
#include <pathdiag/sysctl_net.h>

static _Alignas(8) uint8_t mb[8192];

static struct nlmsghdr *newrule(uint8_t *at, int family, uint32_t prio, uint8_t action,
				uint32_t flags)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	uint8_t *h;

	nlh->nlmsg_type = RTM_NEWRULE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	h = mnl_nlmsg_put_extra_header(nlh, 12);
	h[0] = family == 4 ? AF_INET : AF_INET6;
	h[7] = action;
	memcpy(h + 8, &flags, 4);
	mnl_attr_put_u32(nlh, FRA_PRIORITY, prio);
	return nlh;
}

static void set_table(struct nlmsghdr *nlh, uint32_t table)
{
	uint8_t *h = mnl_nlmsg_get_payload(nlh);

	h[4] = table < 256 ? (uint8_t)table : 252; /* RT_TABLE_COMPAT */
	mnl_attr_put_u32(nlh, FRA_TABLE, table);
}

static size_t done(uint8_t *at)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	int32_t zero = 0;

	nlh->nlmsg_type = NLMSG_DONE;
	nlh->nlmsg_flags = NLM_F_MULTI;
	mnl_nlmsg_put_extra_header(nlh, 4);
	memcpy(mnl_nlmsg_get_payload(nlh), &zero, 4);
	return nlh->nlmsg_len;
}

static void put_range(struct nlmsghdr *nlh, uint16_t type, uint16_t lo, uint16_t hi)
{
	uint16_t r[2] = { lo, hi };

	mnl_attr_put(nlh, type, sizeof(r), r);
}

/* Three rules like `ip rule` would show them, then NLMSG_DONE. */
static size_t build_dump(void)
{
	struct nlmsghdr *nlh;
	uint8_t *h;
	size_t off = 0;
	uint32_t a, uid[2] = { 1000, 1999 };

	nlh = newrule(mb, 4, 100, FR_ACT_TO_TBL, FIB_RULE_INVERT);
	set_table(nlh, 51820);
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xca6c);
	mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0xffffffffu);
	off += nlh->nlmsg_len;

	nlh = newrule(mb + off, 4, 2500, FR_ACT_TO_TBL, 0);
	set_table(nlh, 25);
	h = mnl_nlmsg_get_payload(nlh);
	h[2] = 24; /* src_len */
	inet_pton(AF_INET, "192.168.160.0", &a);
	mnl_attr_put(nlh, FRA_SRC, 4, &a);
	mnl_attr_put_strz(nlh, FRA_IIFNAME, "br-mail");
	mnl_attr_put_u32(nlh, FRA_FWMARK, 0xa);
	mnl_attr_put_u32(nlh, FRA_FWMASK, 0xff);
	mnl_attr_put_u8(nlh, FRA_IP_PROTO, 6);
	put_range(nlh, FRA_DPORT_RANGE, 25, 25);
	put_range(nlh, FRA_SPORT_RANGE, 1024, 65535);
	mnl_attr_put(nlh, FRA_UID_RANGE, sizeof(uid), uid);
	mnl_attr_put_u32(nlh, FRA_SUPPRESS_PREFIXLEN, 0);
	off += nlh->nlmsg_len;

	nlh = newrule(mb + off, 4, 3000, FR_ACT_GOTO, 0);
	mnl_attr_put_u32(nlh, FRA_GOTO, 32766);
	mnl_attr_put_strz(nlh, FRA_OIFNAME, "wg0");
	off += nlh->nlmsg_len;

	off += done(mb + off);
	return off;
}

static void test_rules_parse(void **state)
{
	struct pd_nl_rule r[4];
	struct pd_error err = { 0 };
	size_t len = build_dump(), n = 0;
	uint8_t *b = heap_copy(mb, len);
	char text[200];

	(void)state;
	assert_int_equal(pd_nl_rules_parse(b, len, r, 4, &n, &err), PD_OK);
	assert_int_equal(n, 3);

	assert_int_equal(r[0].family, 4);
	assert_int_equal(r[0].priority, 100);
	assert_int_equal(r[0].table, 51820);
	assert_int_equal(r[0].action, PD_RULE_ACT_TO_TBL);
	assert_true(r[0].flags & PD_RULE_F_INVERT);
	assert_int_equal(r[0].fwmark, 0xca6c);
	assert_int_equal(r[0].fwmask, 0xffffffffu); /* no FRA_FWMASK: exact */
	assert_false(r[0].has & PD_RULE_HAS_SUPPRESS_PLEN); /* -1 is none */
	pd_rule_format(&r[0], text, sizeof(text));
	assert_string_equal(text, "not from all fwmark 0xca6c lookup 51820");

	assert_int_equal(r[1].priority, 2500);
	assert_int_equal(r[1].table, 25);
	assert_int_equal(r[1].src_len, 24);
	assert_int_equal(r[1].src.family, 4);
	assert_memory_equal(r[1].src.addr, "\xc0\xa8\xa0\x00", 4);
	assert_string_equal(r[1].iifname, "br-mail");
	assert_int_equal(r[1].fwmark, 0xa);
	assert_int_equal(r[1].fwmask, 0xff);
	assert_int_equal(r[1].ip_proto, 6);
	assert_int_equal(r[1].dport_lo, 25);
	assert_int_equal(r[1].dport_hi, 25);
	assert_int_equal(r[1].sport_lo, 1024);
	assert_int_equal(r[1].sport_hi, 65535);
	assert_int_equal(r[1].uid_lo, 1000);
	assert_int_equal(r[1].uid_hi, 1999);
	assert_true(r[1].has & PD_RULE_HAS_SUPPRESS_PLEN);
	assert_int_equal(r[1].suppress_prefixlen, 0);
	pd_rule_format(&r[1], text, sizeof(text));
	assert_string_equal(text, "from 192.168.160.0/24 fwmark 0xa/0xff iif br-mail uidrange "
			    "1000-1999 ipproto tcp sport 1024-65535 dport 25 lookup 25 "
			    "suppress_prefixlength 0");

	assert_int_equal(r[2].action, PD_RULE_ACT_GOTO);
	assert_int_equal(r[2].goto_target, 32766);
	assert_string_equal(r[2].oifname, "wg0");
	pd_rule_format(&r[2], text, sizeof(text));
	assert_string_equal(text, "from all oif wg0 goto 32766");

	/* Storage for one: all three counted, the first kept. */
	memset(r, 0, sizeof(r));
	assert_int_equal(pd_nl_rules_parse(b, len, r, 1, &n, &err), PD_OK);
	assert_int_equal(n, 3);
	assert_int_equal(r[0].priority, 100);
	assert_int_equal(r[1].priority, 0);
	free(b);
}

static void test_rules_malformed(void **state)
{
	struct pd_nl_rule r[2];
	struct pd_error err = { 0 };
	struct nlmsghdr *nlh;
	struct nlmsgerr *e;
	size_t n, len;
	uint8_t *b;
	int rc;

	(void)state;
	/* FRA_PRIORITY of 2 bytes */
	nlh = mnl_nlmsg_put_header(mb);
	nlh->nlmsg_type = RTM_NEWRULE;
	((uint8_t *)mnl_nlmsg_put_extra_header(nlh, 12))[0] = AF_INET;
	mnl_attr_put_u16(nlh, FRA_PRIORITY, 7);
	len = nlh->nlmsg_len;
	b = heap_copy(mb, len);
	rc = pd_nl_rules_parse(b, len, r, 2, &n, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, 16 + 12);
	free(b);

	/* FRA_SRC of 5 bytes */
	memset(&err, 0, sizeof(err));
	nlh = newrule(mb, 4, 1, FR_ACT_TO_TBL, 0);
	mnl_attr_put(nlh, FRA_SRC, 5, "\x01\x02\x03\x04\x05");
	len = nlh->nlmsg_len;
	b = heap_copy(mb, len);
	rc = pd_nl_rules_parse(b, len, r, 2, &n, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, 16 + 12 + 8);
	free(b);

	/* src_len 33 for IPv4 */
	memset(&err, 0, sizeof(err));
	nlh = newrule(mb, 4, 1, FR_ACT_TO_TBL, 0);
	((uint8_t *)mnl_nlmsg_get_payload(nlh))[2] = 33;
	len = nlh->nlmsg_len;
	b = heap_copy(mb, len);
	rc = pd_nl_rules_parse(b, len, r, 2, &n, &err);
	assert_pd_error(rc, err, PD_ERR_MALFORMED, 16);
	free(b);

	/* A message too short for struct fib_rule_hdr */
	memset(&err, 0, sizeof(err));
	nlh = mnl_nlmsg_put_header(mb);
	nlh->nlmsg_type = RTM_NEWRULE;
	mnl_nlmsg_put_extra_header(nlh, 8);
	len = nlh->nlmsg_len;
	b = heap_copy(mb, len);
	rc = pd_nl_rules_parse(b, len, r, 2, &n, &err);
	assert_pd_error(rc, err, PD_ERR_TRUNCATED, 0);
	free(b);

	/* The kernel refusing the dump */
	memset(&err, 0, sizeof(err));
	nlh = mnl_nlmsg_put_header(mb);
	nlh->nlmsg_type = NLMSG_ERROR;
	e = mnl_nlmsg_put_extra_header(nlh, sizeof(*e));
	e->error = -EPERM;
	len = nlh->nlmsg_len;
	b = heap_copy(mb, len);
	rc = pd_nl_rules_parse(b, len, r, 2, &n, &err);
	assert_int_equal(rc, PD_ERR_PERM);
	free(b);

	/* Every cut of a valid dump: truncated, never a crash */
	len = build_dump();
	for (size_t cut = 1; cut < len; cut++) {
		if (cut % 4)
			continue; /* parsers want 4-byte multiples from the kernel */
		b = heap_copy(mb, cut);
		memset(&err, 0, sizeof(err));
		rc = pd_nl_rules_parse(b, cut, r, 2, &n, &err);
		assert_true(rc == PD_ERR_TRUNCATED || rc == PD_OK);
		free(b);
	}
}

/* ---- routes and the walk ------------------------------------------------------------- */

static struct pd_nl_route mkroute(uint32_t table, const char *dst, unsigned len, uint8_t type,
				  int oif, uint32_t metric)
{
	struct pd_nl_route r;
	struct pd_error err = { 0 };

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.table = table;
	r.type = type;
	r.dst_len = (uint8_t)len;
	if (len)
		assert_int_equal(pd_nl_addr_parse(dst, &r.dst, &err), 0);
	r.oif = oif;
	r.has = PD_NLR_OIF;
	r.priority = metric;
	return r;
}

static struct pd_nl_rule mkrule(uint32_t prio, uint8_t action, uint32_t table)
{
	struct pd_nl_rule r;

	memset(&r, 0, sizeof(r));
	r.family = 4;
	r.priority = prio;
	r.action = action;
	r.table = table;
	r.suppress_prefixlen = 0xffffffffu;
	r.suppress_ifgroup = 0xffffffffu;
	r.uid_hi = 0xffffffffu;
	return r;
}

struct lk {
	const struct pd_nl_route *routes;
	size_t n;
	unsigned calls;
};

static int lk_fn(void *ctx, uint32_t table, const struct pd_rule_flow *f)
{
	struct lk *l = ctx;

	l->calls++;
	return pd_rule_table_lookup(l->routes, l->n, table, f);
}

static void flow_to(struct pd_rule_flow *f, const char *dst, uint32_t mark)
{
	struct pd_error err = { 0 };

	memset(f, 0, sizeof(*f));
	f->family = 4;
	assert_int_equal(pd_nl_addr_parse(dst, &f->dst, &err), 0);
	f->mark = mark;
}

/* wg-quick's rules: 0 local, 32764 main suppress_prefixlength 0,
 * 32765 not fwmark 0xca6c lookup 51820, 32766 main, 32767 default. */
static void test_walk_wg_quick(void **state)
{
	struct pd_nl_route routes[5];
	struct pd_nl_rule rules[5];
	struct pd_rule_verdict v[5];
	struct pd_rule_walk w;
	struct pd_rule_flow f;
	struct lk l;

	(void)state;
	routes[0] = mkroute(255, "192.168.1.10", 32, PD_NL_RTN_LOCAL, 1, 0);
	routes[1] = mkroute(254, "192.168.1.0", 24, PD_NL_RTN_UNICAST, 2, 0);
	routes[2] = mkroute(254, NULL, 0, PD_NL_RTN_UNICAST, 2, 100);
	routes[3] = mkroute(51820, NULL, 0, PD_NL_RTN_UNICAST, 3, 0);
	routes[4] = mkroute(254, NULL, 0, PD_NL_RTN_UNICAST, 4, 50); /* lower metric wins */
	l.routes = routes;
	l.n = 5;
	rules[0] = mkrule(0, PD_RULE_ACT_TO_TBL, 255);
	rules[1] = mkrule(32764, PD_RULE_ACT_TO_TBL, 254);
	rules[1].has |= PD_RULE_HAS_SUPPRESS_PLEN;
	rules[1].suppress_prefixlen = 0;
	rules[2] = mkrule(32765, PD_RULE_ACT_TO_TBL, 51820);
	rules[2].flags = PD_RULE_F_INVERT;
	rules[2].has |= PD_RULE_HAS_FWMARK;
	rules[2].fwmark = 0xca6c;
	rules[2].fwmask = 0xffffffffu;
	rules[3] = mkrule(32766, PD_RULE_ACT_TO_TBL, 254);
	rules[4] = mkrule(32767, PD_RULE_ACT_TO_TBL, 253);

	/* Internet traffic: main's default is suppressed, the tunnel's table wins. */
	flow_to(&f, "1.1.1.1", 0);
	assert_int_equal(pd_rule_walk(rules, 5, &f, lk_fn, &l, routes, 5, v, &w), PD_OK);
	assert_int_equal(v[0].step, PD_RULE_NO_ROUTE);
	assert_int_equal(v[1].step, PD_RULE_SUPPRESSED);
	assert_int_equal(v[1].route, 4);
	assert_int_equal(v[2].step, PD_RULE_CHOSEN);
	assert_int_equal(v[3].step, PD_RULE_NOT_REACHED);
	assert_int_equal(w.chosen, 2);
	assert_int_equal(w.route, 3);

	/* The LAN: main's /24 is longer than the suppressed /0. */
	flow_to(&f, "192.168.1.77", 0);
	pd_rule_walk(rules, 5, &f, lk_fn, &l, routes, 5, v, &w);
	assert_int_equal(w.chosen, 1);
	assert_int_equal(w.route, 1);
	assert_int_equal(v[1].step, PD_RULE_CHOSEN);

	/* WireGuard's own packets (marked): the inverted rule does not match,
	 * main's default with the lowest metric does. */
	flow_to(&f, "1.1.1.1", 0xca6c);
	pd_rule_walk(rules, 5, &f, lk_fn, &l, routes, 5, v, &w);
	assert_int_equal(v[2].step, PD_RULE_NO_MATCH);
	assert_non_null(strstr(v[2].reason, "not"));
	assert_int_equal(v[3].step, PD_RULE_CHOSEN);
	assert_int_equal(w.route, 4);

	/* A local address: the local table answers first. */
	flow_to(&f, "192.168.1.10", 0);
	pd_rule_walk(rules, 5, &f, lk_fn, &l, routes, 5, v, &w);
	assert_int_equal(w.chosen, 0);
	assert_int_equal(w.route, 0);
}

static void test_walk_actions(void **state)
{
	struct pd_nl_route routes[4];
	struct pd_nl_rule rules[6];
	struct pd_rule_verdict v[6];
	struct pd_rule_walk w;
	struct pd_rule_flow f;
	struct pd_error err = { 0 };
	struct lk l;

	(void)state;
	routes[0] = mkroute(100, "10.0.0.0", 8, 9 /* RTN_THROW */, 0, 0);
	routes[1] = mkroute(254, NULL, 0, PD_NL_RTN_UNICAST, 2, 0);
	routes[2] = mkroute(200, "10.1.0.0", 16, PD_NL_RTN_UNREACHABLE, 0, 0);
	routes[3] = mkroute(300, NULL, 0, PD_NL_RTN_UNICAST, 5, 0);
	l.routes = routes;
	l.n = 4;
	rules[0] = mkrule(10, PD_RULE_ACT_GOTO, 0);
	rules[0].has |= PD_RULE_HAS_GOTO;
	rules[0].goto_target = 30;
	rules[0].has |= PD_RULE_HAS_IIF;
	snprintf(rules[0].iifname, sizeof(rules[0].iifname), "lo");
	rules[1] = mkrule(20, PD_RULE_ACT_BLACKHOLE, 0);
	rules[2] = mkrule(30, PD_RULE_ACT_NOP, 0);
	rules[3] = mkrule(40, PD_RULE_ACT_TO_TBL, 100);
	rules[4] = mkrule(50, PD_RULE_ACT_TO_TBL, 200);
	rules[5] = mkrule(60, PD_RULE_ACT_TO_TBL, 254);

	/* Locally generated (iif lo): goto 30 jumps over the blackhole; the
	 * nop goes on; table 100 throws 10/8; table 200 is unreachable. */
	flow_to(&f, "10.1.2.3", 0);
	assert_int_equal(pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w), PD_OK);
	assert_int_equal(v[0].step, PD_RULE_GOTO);
	assert_int_equal(v[1].step, PD_RULE_NOT_REACHED);
	assert_int_equal(v[2].step, PD_RULE_NOP);
	assert_int_equal(v[3].step, PD_RULE_THROW);
	assert_int_equal(v[4].step, PD_RULE_REFUSED);
	assert_int_equal(w.chosen, 4);
	assert_int_equal(w.refused, PD_NL_RTN_UNREACHABLE);
	assert_int_equal(v[5].step, PD_RULE_NOT_REACHED);

	/* Outside 10.1/16: table 200 has nothing, main answers. */
	flow_to(&f, "10.2.0.1", 0);
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(v[4].step, PD_RULE_NO_ROUTE);
	assert_int_equal(w.chosen, 5);
	assert_int_equal(w.route, 1);

	/* Arriving on eth0: the goto does not match (iif lo), the blackhole ends it. */
	snprintf(f.iifname, sizeof(f.iifname), "eth0");
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(v[0].step, PD_RULE_NO_MATCH);
	assert_non_null(strstr(v[0].reason, "eth0"));
	assert_int_equal(v[1].step, PD_RULE_REFUSED);
	assert_int_equal(w.refused, PD_NL_RTN_BLACKHOLE);
	assert_int_equal(w.route, -1);

	/* A goto to a priority no rule has is passed over. */
	rules[0].goto_target = 35;
	f.iifname[0] = '\0';
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(v[0].step, PD_RULE_GOTO_UNRESOLVED);
	assert_int_equal(v[1].step, PD_RULE_REFUSED);

	/* Source-based rule (the field report's reply fix): from 10.99.0.2
	 * lookup 300, with port and protocol selectors. */
	rules[0] = mkrule(5, PD_RULE_ACT_TO_TBL, 300);
	rules[0].src_len = 32;
	pd_nl_addr_parse("10.99.0.2", &rules[0].src, &err);
	rules[0].has |= PD_RULE_HAS_SRC | PD_RULE_HAS_IPPROTO | PD_RULE_HAS_SPORT;
	rules[0].ip_proto = 6;
	rules[0].sport_lo = 8000;
	rules[0].sport_hi = 8100;
	flow_to(&f, "203.0.113.2", 0);
	pd_nl_addr_parse("10.99.0.2", &f.src, &err);
	f.ip_proto = 6;
	f.sport = 8080;
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(w.chosen, 0);
	assert_int_equal(w.route, 3);
	f.sport = 9000;
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(v[0].step, PD_RULE_NO_MATCH);
	assert_non_null(strstr(v[0].reason, "sport"));
	f.sport = 8080;
	pd_nl_addr_parse("10.99.0.3", &f.src, &err);
	pd_rule_walk(rules, 6, &f, lk_fn, &l, routes, 4, v, &w);
	assert_int_equal(v[0].step, PD_RULE_NO_MATCH);
	assert_non_null(strstr(v[0].reason, "from 10.99.0.2"));
}

static void test_table_lookup(void **state)
{
	struct pd_nl_route routes[4];
	struct pd_rule_flow f;

	(void)state;
	routes[0] = mkroute(254, NULL, 0, PD_NL_RTN_UNICAST, 2, 0);
	routes[1] = mkroute(254, "10.0.0.0", 8, PD_NL_RTN_UNICAST, 3, 0);
	routes[2] = mkroute(254, "10.1.0.0", 16, PD_NL_RTN_UNICAST, 4, 10);
	routes[3] = mkroute(254, "10.1.0.0", 16, PD_NL_RTN_UNICAST, 5, 5);
	flow_to(&f, "10.1.9.9", 0);
	assert_int_equal(pd_rule_table_lookup(routes, 4, 254, &f), 3);
	flow_to(&f, "10.200.0.1", 0);
	assert_int_equal(pd_rule_table_lookup(routes, 4, 254, &f), 1);
	flow_to(&f, "192.0.2.1", 0);
	assert_int_equal(pd_rule_table_lookup(routes, 4, 254, &f), 0);
	assert_int_equal(pd_rule_table_lookup(routes, 4, 100, &f), -1);
	assert_int_equal(pd_rule_table_lookup(routes, 1, 254, &f), 0);
}

/* ---- sysctls ----------------------------------------------------------------------------- */

static void put(const char *root, const char *path, const char *text)
{
	char p[512], *s;
	FILE *fp;

	snprintf(p, sizeof(p), "%s/%s", root, path);
	for (s = p + strlen(root) + 1; (s = strchr(s, '/')); s++) {
		*s = '\0';
		mkdir(p, 0700);
		*s = '/';
	}
	fp = fopen(p, "w");
	assert_non_null(fp);
	fputs(text, fp);
	fclose(fp);
}

static void test_sysctls(void **state)
{
	char root[] = "/tmp/pd-sysctl-XXXXXX";
	struct pd_rp_filter rp;
	struct pd_forwarding fw;
	struct pd_error err = { 0 };
	int v;

	(void)state;
	assert_non_null(mkdtemp(root));
	put(root, "ipv4/ip_forward", "1\n");
	put(root, "ipv4/conf/all/rp_filter", "0\n");
	put(root, "ipv4/conf/wg0/rp_filter", "1\n");
	put(root, "ipv4/conf/wg0/forwarding", "0\n");
	put(root, "ipv4/conf/eth0.2/rp_filter", "2\n");
	put(root, "ipv4/conf/eth0.2/forwarding", "1\n");
	put(root, "ipv4/conf/all/src_valid_mark", "1\n");
	put(root, "ipv6/conf/all/forwarding", "0\n");
	put(root, "ipv4/bad", "x1\n");

	assert_int_equal(pd_sysctl_net_int(root, "ipv4/ip_forward", &v, &err), 0);
	assert_int_equal(v, 1);
	assert_int_equal(pd_sysctl_net_int(root, "ipv4/bad", &v, &err), PD_ERR_MALFORMED);
	assert_int_equal(pd_sysctl_net_int(root, "ipv4/none", &v, &err), PD_ERR_NOTFOUND);

	assert_int_equal(pd_sysctl_rp_filter(root, "wg0", &rp, &err), 0);
	assert_int_equal(rp.all, 0);
	assert_int_equal(rp.iface, 1);
	assert_int_equal(rp.effective, 1);
	assert_true(rp.src_valid_mark);
	assert_int_equal(pd_sysctl_rp_filter(root, "eth0.2", &rp, &err), 0);
	assert_int_equal(rp.effective, 2);
	assert_int_equal(pd_sysctl_rp_filter(root, "../x", &rp, &err), PD_ERR_INVAL);
	assert_int_equal(pd_sysctl_rp_filter(root, "nope0", &rp, &err), PD_ERR_NOTFOUND);

	/* ip_forward on, but the input interface's switch decides */
	assert_int_equal(pd_sysctl_forwarding(root, 4, "wg0", &fw, &err), 0);
	assert_int_equal(fw.global, 1);
	assert_int_equal(fw.iface, 0);
	assert_false(fw.enabled);
	assert_int_equal(pd_sysctl_forwarding(root, 4, "eth0.2", &fw, &err), 0);
	assert_true(fw.enabled);
	assert_int_equal(pd_sysctl_forwarding(root, 6, NULL, &fw, &err), 0);
	assert_false(fw.enabled);
	assert_int_equal(fw.iface, -1);

	{
		char cmd[64];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", root);
		assert_int_equal(system(cmd), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules_parse),
		cmocka_unit_test(test_rules_malformed),
		cmocka_unit_test(test_walk_wg_quick),
		cmocka_unit_test(test_walk_actions),
		cmocka_unit_test(test_table_lookup),
		cmocka_unit_test(test_sysctls),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
