/* fuzz_nlrule.c - libFuzzer target for the policy routing parsers and the
 * rule walk (pathdiag/nl_rule.h): pd_nl_rules_parse (RTM_GETRULE dump) and
 * pd_nl_routes_parse (RTM_GETROUTE dump), then pd_rule_walk over what was
 * parsed, with the parsed routes as the tables.
 *
 * Input: a selector byte, then netlink messages (host byte order).
 *   bit 0: 0 rules, 1 routes; bits 1-3: storage for 0..7 entries;
 *   bits 4-7: the flow's destination's last byte / 16 and its mark.
 *
 * Checks: same result with and without a struct pd_error and with no
 * storage (the count agrees); the error convention; stored rules of family
 * 4 or 6 with prefix lengths inside the address and NUL-terminated names;
 * pd_rule_format NUL-terminates; the walk ends (a goto only jumps forward)
 * with every verdict a known step and the chosen rule inside the list.
 */
#include <pathdiag/netlink.h>
#include <pathdiag/nl_route.h>
#include <pathdiag/nl_rule.h>

#include "fuzz_common.h"

#define CAP 7

static struct pd_nl_route g_routes[CAP];
static size_t g_nroutes;

static void check_err(int ret, const struct pd_error *err, size_t len)
{
	FZ_CHECK(ret == PD_ERR_TRUNCATED || ret == PD_ERR_MALFORMED || ret == PD_ERR_INVAL ||
		 ret == PD_ERR_UNSUPPORTED || ret == PD_ERR_PERM || ret == PD_ERR_SYSTEM ||
		 ret == PD_ERR_NOTFOUND);
	FZ_CHECK(err->code == ret);
	FZ_CHECK(err->offset <= len);
	fz_check_what(err->what);
}

static int lookup(void *ctx, uint32_t table, const struct pd_rule_flow *f)
{
	(void)ctx;
	return pd_rule_table_lookup(g_routes, g_nroutes, table, f);
}

static void walk(const struct pd_nl_rule *rules, size_t n, uint8_t sel)
{
	struct pd_rule_verdict v[CAP];
	struct pd_rule_walk w;
	struct pd_rule_flow f;
	size_t i;

	memset(&f, 0, sizeof(f));
	f.family = n ? rules[0].family : 4;
	f.dst.family = f.family;
	f.dst.addr[f.family == 4 ? 3 : 15] = (uint8_t)(sel & 0xf0);
	f.src = f.dst;
	f.mark = sel >> 4;
	f.ip_proto = 6;
	f.sport = 1000;
	f.dport = 25;
	FZ_CHECK(pd_rule_walk(rules, n, &f, lookup, NULL, g_routes, g_nroutes, v, &w) == PD_OK);
	FZ_CHECK(w.chosen >= -1 && w.chosen < (int)n);
	FZ_CHECK(w.route >= -1 && w.route < (int)g_nroutes);
	for (i = 0; i < n; i++) {
		FZ_CHECK(v[i].step >= PD_RULE_NOT_REACHED && v[i].step <= PD_RULE_REFUSED);
		FZ_CHECK(strnlen(v[i].reason, sizeof(v[i].reason)) < sizeof(v[i].reason));
		if (v[i].step == PD_RULE_CHOSEN)
			FZ_CHECK((int)i == w.chosen);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pd_nl_rule rules[CAP];
	struct pd_error err;
	size_t cap, n = 0, n2 = 0, i;
	uint8_t sel, *b;
	int ret, ret2;
	char text[256];

	if (size < 1)
		return 0;
	sel = data[0];
	cap = (sel >> 1) & 7;
	b = fz_dup(data + 1, size - 1);
	size--;
	memset(&err, 0, sizeof(err));
	if (sel & 1) {
		ret = pd_nl_routes_parse(b, size, g_routes, cap, &n, &err);
		ret2 = pd_nl_routes_parse(b, size, NULL, 0, &n2, NULL);
		FZ_CHECK(ret == ret2);
		if (ret < 0) {
			check_err(ret, &err, size);
		} else {
			FZ_CHECK(n == n2);
			g_nroutes = n < cap ? n : cap;
			for (i = 0; i < g_nroutes; i++)
				FZ_CHECK(g_routes[i].family == 4 || g_routes[i].family == 6);
			memset(rules, 0, sizeof(rules));
			rules[0].family = 4;
			rules[0].action = PD_RULE_ACT_TO_TBL;
			rules[0].table = 254;
			walk(rules, 1, sel);
		}
		g_nroutes = 0;
		free(b);
		return 0;
	}
	ret = pd_nl_rules_parse(b, size, rules, cap, &n, &err);
	ret2 = pd_nl_rules_parse(b, size, NULL, 0, &n2, NULL);
	FZ_CHECK(ret == ret2);
	if (ret < 0) {
		check_err(ret, &err, size);
		free(b);
		return 0;
	}
	FZ_CHECK(n == n2);
	if (n > cap)
		n = cap;
	for (i = 0; i < n; i++) {
		const struct pd_nl_rule *r = &rules[i];
		unsigned max = r->family == 4 ? 32 : 128;

		FZ_CHECK(r->family == 4 || r->family == 6);
		FZ_CHECK(r->src_len <= max && r->dst_len <= max);
		FZ_CHECK(strnlen(r->iifname, sizeof(r->iifname)) < sizeof(r->iifname));
		FZ_CHECK(strnlen(r->oifname, sizeof(r->oifname)) < sizeof(r->oifname));
		if (r->has & PD_RULE_HAS_SRC)
			FZ_CHECK(r->src.family == r->family);
		pd_rule_format(r, text, sizeof(text));
		FZ_CHECK(strnlen(text, sizeof(text)) < sizeof(text));
	}
	/* A walk needs rules of one family, in any order the kernel could send. */
	for (i = 1; i < n; i++)
		if (rules[i].family != rules[0].family)
			n = i;
	walk(rules, n, sel);
	free(b);
	return 0;
}
