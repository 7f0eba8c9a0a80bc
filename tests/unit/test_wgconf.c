/* test_wgconf.c - the wg-quick configuration reader (pathdiag/wgconf.h) and
 * the offline checks (pathdiag/wgcheck.h).
 *
 * Expected values come from the configurations written here (their lines,
 * addresses, keys), wg-quick(8)/wg(8) rules, and the overhead arithmetic of
 * the specs: WireGuard adds 20 + 8 + 32 = 60 bytes over IPv4, 80 over IPv6;
 * DS-Lite 40 (RFC 6333); IPv6 needs 1280 (RFC 8200 section 5).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include <pathdiag/wgcheck.h>
#include <pathdiag/wgconf.h>

/* wg genkey / wg pubkey output, and the 32 bytes the first one encodes
 * (decoded independently with base64 -d | xxd). */
#define KEY1 "2HxZ8OAME6QnAimwnCcvghgRPDUIg/owpuYw0MjIfkI="
#define KEY2 "sCumnR7Zjb5t3VnzOx+V98yQd6qJIZaFX1C27qBAFDI="

static struct pd_wgc_config *parse(const char *text, int want)
{
	struct pd_wgc_config *c = calloc(1, sizeof(*c));
	struct pd_error e = { 0 };

	assert_non_null(c);
	assert_int_equal(pd_wgc_parse(text, strlen(text), c, &e), want);
	return c;
}

static void test_key_decode(void **state)
{
	static const uint8_t want[32] = {
		0xd8, 0x7c, 0x59, 0xf0, 0xe0, 0x0c, 0x13, 0xa4, 0x27, 0x02, 0x29, 0xb0, 0x9c,
		0x27, 0x2f, 0x82, 0x18, 0x11, 0x3c, 0x35, 0x08, 0x83, 0xfa, 0x30, 0xa6, 0xe6,
		0x30, 0xd0, 0xc8, 0xc8, 0x7e, 0x42,
	};
	uint8_t k[32];
	struct pd_error e = { 0 };

	(void)state;
	assert_int_equal(pd_wgc_key_decode(KEY1, 44, k, &e), PD_OK);
	assert_memory_equal(k, want, 32);
	assert_int_equal(pd_wgc_key_decode(KEY1, 43, k, &e), PD_ERR_MALFORMED);
	/* the 43rd character must leave the two low bits zero: 'J' = 9 */
	assert_int_equal(pd_wgc_key_decode("2HxZ8OAME6QnAimwnCcvghgRPDUIg/owpuYw0MjIfkJ=", 44, k,
					   &e), PD_ERR_MALFORMED);
	assert_int_equal(pd_wgc_key_decode("2HxZ8OAME6QnAimwnCcvghgRPDUIg/owpuYw0MjIf!I=", 44, k,
					   &e), PD_ERR_MALFORMED);
}

static void test_prefix(void **state)
{
	struct pd_wgc_prefix p;
	struct pd_error e = { 0 };
	static const uint8_t a[4] = { 10, 9, 0, 77 }, b[4] = { 10, 9, 1, 1 };
	char s[64];

	(void)state;
	assert_int_equal(pd_wgc_prefix_parse("10.9.0.1/24", 11, &p, &e), PD_OK);
	assert_int_equal(p.family, 4);
	assert_int_equal(p.plen, 24);
	assert_true(p.has_plen);
	assert_true(pd_wgc_prefix_contains(&p, 4, a));
	assert_false(pd_wgc_prefix_contains(&p, 4, b));
	assert_false(pd_wgc_prefix_contains(&p, 6, a));
	assert_int_equal(pd_wgc_prefix_parse("fd00::1", 7, &p, &e), PD_OK);
	assert_int_equal(p.family, 6);
	assert_int_equal(p.plen, 128);
	assert_false(p.has_plen);
	pd_wgc_prefix_str(&p, s, sizeof(s));
	assert_string_equal(s, "fd00::1/128");
	assert_int_equal(pd_wgc_prefix_parse("10.9.0.1/33", 11, &p, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 9);
	assert_int_equal(pd_wgc_prefix_parse("fd00::/129", 10, &p, &e), PD_ERR_MALFORMED);
	assert_int_equal(pd_wgc_prefix_parse("10.9.0/24", 9, &p, &e), PD_ERR_MALFORMED);
}

static const char full[] =
	"# comment line\n"                                      /* 1 */
	"[Interface]  # trailing comment\n"                     /* 2 */
	"PrivateKey = " KEY1 "\n"                               /* 3 */
	"Address = 10.9.0.1/24, fd00:9::1/64\n"                 /* 4 */
	"address = 10.9.1.1/24\n"                               /* 5 */
	"ListenPort = 51820\n"                                  /* 6 */
	"FwMark = 0xca6c\n"                                     /* 7 */
	"DNS = 10.9.0.53, example.internal\n"                   /* 8 */
	"MTU = 1400\n"                                          /* 9 */
	"Table = wireguard\n"                                   /* 10 */
	"PreUp = echo pre\n"                                    /* 11 */
	"PostUp = iptables -A FORWARD -i %i -j ACCEPT\n"        /* 12 */
	"PostUp = ip rule add from 10.9.0.1 lookup wireguard\n" /* 13 */
	"PreDown = echo predown\n"                              /* 14 */
	"PostDown = iptables -D FORWARD -i %i -j ACCEPT\n"      /* 15 */
	"SaveConfig = true\n"                                   /* 16 */
	"\n"                                                    /* 17 */
	"[peer]\n"                                              /* 18 */
	"PublicKey = " KEY2 "\n"                                /* 19 */
	"PresharedKey = " KEY1 "\n"                             /* 20 */
	"AllowedIPs = 10.9.0.2/32, fd00:9::2/128\n"             /* 21 */
	"AllowedIPs = 192.168.7.0/24\n"                         /* 22 */
	"Endpoint = [2001:db8::7]:51821\n"                      /* 23 */
	"PersistentKeepalive = off\n"                           /* 24 */
	"[Peer]\n"                                              /* 25 */
	"PublicKey = " KEY1 "\n"                                /* 26 */
	"Endpoint = vpn.example.net:4500\n"                     /* 27 */
	"PersistentKeepalive = 25";                             /* 28, no newline */

static void test_parse_full(void **state)
{
	struct pd_wgc_config *c = parse(full, PD_OK);
	const struct pd_wgc_peer *p;

	(void)state;
	assert_int_equal(c->lines, 28);
	assert_int_equal(c->interface_line, 2);
	assert_true(c->has_private_key);
	assert_int_equal(c->private_key[0], 0xd8);
	assert_int_equal(c->private_key_line, 3);
	assert_int_equal(c->n_addr, 3);
	assert_int_equal(c->addr[1].family, 6);
	assert_int_equal(c->addr[1].plen, 64);
	assert_int_equal(c->addr[2].line, 5);
	assert_int_equal(c->listen_port.value, 51820);
	assert_int_equal(c->fwmark.value, 0xca6c);
	assert_int_equal(c->n_dns, 2);
	assert_int_equal(c->dns_line, 8);
	assert_int_equal(c->mtu.value, 1400);
	assert_int_equal(c->mtu.line, 9);
	assert_string_equal(c->table, "wireguard");
	assert_true(c->save_config);
	assert_int_equal(c->n_hooks, 5);
	assert_int_equal(c->hook[0].kind, PD_WGC_PREUP);
	assert_int_equal(c->hook[1].kind, PD_WGC_POSTUP);
	assert_int_equal(c->hook[2].line, 13);
	assert_int_equal(c->hook[2].len, strlen("ip rule add from 10.9.0.1 lookup wireguard"));
	assert_memory_equal(c->hook[2].cmd, "ip rule add", 11);
	assert_int_equal(c->hook[4].kind, PD_WGC_POSTDOWN);
	assert_int_equal(c->n_peers, 2);
	p = &c->peer[0];
	assert_int_equal(p->line, 18);
	assert_true(p->has_psk);
	assert_int_equal(p->n_allowed, 3);
	assert_int_equal(p->allowed_line, 21);
	assert_int_equal(p->allowed[2].line, 22);
	assert_true(p->has_endpoint);
	assert_int_equal(p->endpoint_family, 6);
	assert_string_equal(p->endpoint_host, "2001:db8::7");
	assert_int_equal(p->endpoint_port, 51821);
	assert_true(p->keepalive.off);
	p = &c->peer[1];
	assert_int_equal(p->endpoint_family, 0);
	assert_string_equal(p->endpoint_host, "vpn.example.net");
	assert_int_equal(p->keepalive.value, 25);
	assert_int_equal(p->keepalive.line, 28);
	assert_int_equal(c->n_diag, 0);
	free(c);
}

static void test_parse_errors(void **state)
{
	static const char text[] =
		"Address = 10.0.0.1\n"                  /* 1: outside a section */
		"[Interface]\n"                         /* 2 */
		"PrivateKey = short\n"                  /* 3 */
		"MTU = 67\n"                            /* 4 */
		"ListenPort = -1\n"                     /* 5 */
		"Frobnicate = yes\n"                    /* 6 */
		"Table = two words\n"                   /* 7 */
		"[Peer]\n"                              /* 8 */
		"PublicKey = " KEY2 "\n"                /* 9 */
		"Endpoint = 192.0.2.1:0\n"              /* 10 */
		"Endpoint = 192.0.2.1\n"                /* 11 */
		"Endpoint = [::1:51820\n"               /* 12 */
		"Endpoint = bad_host!:1\n"              /* 13 */
		"AllowedIPs = 10.0.0.0/8, 300.1.1.1\n"  /* 14 */
		"no equals here\n";                     /* 15 */
	static const struct { unsigned line; const char *kind; } want[] = {
		{ 1, "syntax" }, { 3, "bad-key" }, { 4, "bad-number" }, { 5, "bad-number" },
		{ 6, "unknown-key" }, { 7, "bad-value" }, { 10, "bad-endpoint" },
		{ 11, "bad-endpoint" }, { 12, "bad-endpoint" }, { 13, "bad-endpoint" },
		{ 14, "bad-address" }, { 15, "syntax" }, { 2, "syntax" },
	};
	struct pd_wgc_config *c = calloc(1, sizeof(*c));
	struct pd_error e = { 0 };
	size_t i;

	(void)state;
	assert_non_null(c);
	assert_int_equal(pd_wgc_parse(text, strlen(text), c, &e), PD_ERR_MALFORMED);
	assert_int_equal(e.offset, 0); /* the first problem is on line 1 */
	assert_int_equal(c->n_diag, sizeof(want) / sizeof(want[0]));
	for (i = 0; i < c->n_diag; i++) {
		assert_int_equal(c->diag[i].line, want[i].line);
		assert_string_equal(c->diag[i].kind, want[i].kind);
	}
	/* 10.0.0.0/8 parsed before the bad entry */
	assert_int_equal(c->peer[0].n_allowed, 1);
	free(c);
}

/* ---- checks ------------------------------------------------------------------------ */

struct run {
	struct pd_wgc_config *cfg;
	struct pd_wgk_report rep;
};

static size_t count(const struct pd_wgk_report *r, const char *rule, unsigned line)
{
	size_t n = 0;

	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].rule, rule) && (!line || r->f[i].line == line))
			n++;
	return n;
}

static const struct pd_wgk_finding *find(const struct pd_wgk_report *r, const char *rule)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->f[i].rule, rule))
			return &r->f[i];
	return NULL;
}

static struct pd_wgk_report *check1(const char *text, const struct pd_wgk_underlay *u)
{
	struct pd_wgk_report *r = calloc(1, sizeof(*r));
	struct pd_wgc_config *c = parse(text, PD_OK);
	struct pd_wgk_input in = { c, "wg0", "t.conf" };

	assert_non_null(r);
	assert_int_equal(pd_wgk_check(&in, 1, 0, u, r, NULL), PD_OK);
	free(c);
	return r;
}

#define IFACE4 "[Interface]\nPrivateKey = " KEY1 "\nAddress = 10.9.0.2/24\n"

static void test_mtu_dslite(void **state)
{
	/* DS-Lite: IPv4 path 1500 - 40 = 1460; WireGuard/IPv4: 1460 - 60 = 1400 */
	struct pd_wgk_underlay u = { { 1460, 1500 }, { false, false }, { "dslite", "native" },
				     true };
	struct pd_wgk_report *r = check1(IFACE4 "[Peer]\nPublicKey = " KEY2 "\n"
					 "Endpoint = 192.0.2.9:51820\nAllowedIPs = 10.9.0.0/24\n",
					 &u);
	const struct pd_wgk_finding *f = find(r, "mtu-too-big");

	(void)state;
	assert_non_null(f);
	assert_int_equal(f->severity, PD_SEV_CRITICAL);
	assert_string_equal(f->fix, "MTU = 1400");
	assert_int_equal(f->fix_kind, PD_WGK_FIX_INSERT);
	assert_int_equal(f->fix_line, 1);
	assert_int_equal(r->recommended_mtu, 1400);
	assert_int_equal(r->effective_mtu, 1420);
	assert_false(r->mtu_configured);
	/* behind DS-Lite's NAT with no keepalive */
	assert_int_equal(count(r, "keepalive-missing", 6), 1);
	assert_int_equal(r->worst, PD_SEV_CRITICAL);
	free(r);
}

static void test_mtu_ipv6_endpoint(void **state)
{
	/* the same 1500 path: an IPv6 endpoint leaves 1420, an IPv4 one 1440 */
	struct pd_wgk_underlay u = { { 1500, 1500 }, { false, false }, { "a", "b" }, false };
	struct pd_wgk_report *r = check1(IFACE4 "MTU = 1440\nListenPort = 1\n[Peer]\nPublicKey = "
					 KEY2 "\nEndpoint = [2001:db8::1]:51820\n"
					 "AllowedIPs = 10.9.0.0/24\n", &u);
	const struct pd_wgk_finding *f = find(r, "mtu-too-big");

	(void)state;
	assert_non_null(f);
	assert_string_equal(f->fix, "MTU = 1420");
	assert_int_equal(f->fix_kind, PD_WGK_FIX_REPLACE);
	assert_int_equal(f->fix_line, 4);
	assert_int_equal(count(r, "keepalive-missing", 0), 0); /* ListenPort set */
	free(r);
	r = check1(IFACE4 "MTU = 1440\n[Peer]\nPublicKey = " KEY2 "\nEndpoint = 192.0.2.1:51820\n"
		   "AllowedIPs = 10.9.0.0/24\nPersistentKeepalive = 25\n", &u);
	assert_null(find(r, "mtu-too-big"));
	assert_null(find(r, "mtu-below-path"));
	assert_int_equal(r->recommended_mtu, 1440);
	assert_int_equal(r->worst, PD_SEV_INFO);
	free(r);
}

static void test_ipv6_min(void **state)
{
	struct pd_wgk_report *r = check1("[Interface]\nPrivateKey = " KEY1 "\nAddress = "
					 "fd00::1/64\nMTU = 1279\n", NULL);
	const struct pd_wgk_finding *f = find(r, "ipv6-mtu-below-1280");

	(void)state;
	assert_non_null(f);
	assert_int_equal(f->line, 4);
	assert_string_equal(f->fix, "MTU = 1280");
	free(r);
	r = check1("[Interface]\nPrivateKey = " KEY1 "\nAddress = 10.0.0.1/24\nMTU = 1200\n",
		   NULL);
	assert_null(find(r, "ipv6-mtu-below-1280"));
	free(r);
}

static void test_mss(void **state)
{
	struct pd_wgk_report *r;
	const struct pd_wgk_finding *f;

	(void)state;
	/* nft masquerade makes it a forwarder; no clamp */
	r = check1(IFACE4 "PostUp = nft add rule ip nat post oifname eth0 masquerade\n"
		   "PostDown = nft delete table ip nat\n", NULL);
	f = find(r, "mss-clamp-missing");
	assert_non_null(f);
	assert_int_equal(f->line, 4);
	assert_non_null(strstr(f->fix, "PostUp = iptables -t mangle -A FORWARD -o %i"));
	assert_null(strstr(f->fix, "ip6tables")); /* no IPv6 carried */
	free(r);
	/* a fixed MSS too large for MTU 1400 (1400 - 40 = 1360) */
	r = check1(IFACE4 "MTU = 1400\nPostUp = iptables -A FORWARD -o %i -j ACCEPT\n"
		   "PostUp = iptables -t mangle -A FORWARD -o wg0 -p tcp -j TCPMSS --set-mss 1400\n",
		   NULL);
	assert_int_equal(count(r, "mss-clamp-too-large", 6), 1);
	free(r);
	/* a clamp with nft on the tunnel: nothing to say about MSS */
	r = check1(IFACE4 "PostUp = iptables -A FORWARD -i %i -j ACCEPT\n"
		   "PostUp = nft add rule inet f fwd oifname %i tcp flags syn tcp option maxseg size"
		   " set rt mtu\n", NULL);
	assert_null(find(r, "mss-clamp-missing"));
	assert_null(find(r, "mss-clamp-wrong-interface"));
	free(r);
}

static void test_cross_file(void **state)
{
	/* b sends everything to a (AllowedIPs 0.0.0.0/0), a routes b's address:
	 * a forwards for b and needs a clamp. */
	static const char a[] = "[Interface]\nPrivateKey = " KEY1 "\nAddress = 10.5.0.1/24\n"
				"ListenPort = 51820\n[Peer]\nPublicKey = " KEY2 "\n"
				"AllowedIPs = 10.5.0.2/32\n";
	static const char b[] = "[Interface]\nPrivateKey = " KEY2 "\nAddress = 10.5.0.2/32\n"
				"[Peer]\nPublicKey = " KEY1 "\nEndpoint = 192.0.2.1:51820\n"
				"AllowedIPs = 0.0.0.0/0\nPersistentKeepalive = 25\n";
	struct pd_wgc_config *ca = parse(a, PD_OK), *cb = parse(b, PD_OK);
	struct pd_wgk_input in[2] = { { ca, "wg0", "a.conf" }, { cb, "wg0", "b.conf" } };
	struct pd_wgk_report *r = calloc(1, sizeof(*r));
	const struct pd_wgk_finding *f;

	(void)state;
	assert_int_equal(pd_wgk_check(in, 2, 0, NULL, r, NULL), PD_OK);
	f = find(r, "mss-clamp-missing");
	assert_non_null(f);
	assert_non_null(strstr(f->what, "b.conf"));
	assert_int_equal(pd_wgk_check(in, 1, 0, NULL, r, NULL), PD_OK);
	assert_null(find(r, "mss-clamp-missing")); /* alone, a does not forward */
	assert_int_equal(pd_wgk_check(in, 2, 0, NULL, NULL, NULL), PD_ERR_INVAL);
	assert_int_equal(pd_wgk_check(in, 2, 2, NULL, r, NULL), PD_ERR_INVAL);
	free(r);
	free(ca);
	free(cb);
}

static void test_postdown(void **state)
{
	struct pd_wgk_report *r = check1(
		IFACE4
		"PostUp = iptables -t nat -A POSTROUTING -o eth0 -j MASQUERADE; ip rule add "
		"fwmark 7 table 7 pref 77\n"                                         /* 4 */
		"PostUp = iptables -A FORWARD -i %i -j ACCEPT\n"                     /* 5 */
		"PostDown = iptables -t nat -D POSTROUTING -o eth0 -j MASQUERADE\n"  /* 6 */
		"PostDown = ip rule del pref 77\n"                                   /* 7 */
		"PostDown = iptables -A FORWARD -i wg0 -j ACCEPT\n", NULL);          /* 8 */
	const struct pd_wgk_finding *f;

	(void)state;
	/* line 5's rule comes back as an add in line 8 (wg0 is %i): postdown-adds only */
	assert_int_equal(count(r, "postdown-missing", 0), 0);
	f = find(r, "postdown-adds");
	assert_non_null(f);
	assert_int_equal(f->line, 8);
	assert_string_equal(f->fix, "PostDown = iptables -D FORWARD -i wg0 -j ACCEPT");
	assert_int_equal(f->fix_kind, PD_WGK_FIX_REPLACE);
	free(r);
}

static void test_rules_table(void **state)
{
	(void)state;
	assert_true(pd_wgk_rule_count() >= 20);
	for (size_t i = 0; i < pd_wgk_rule_count(); i++)
		assert_int_equal(pd_wgk_rule_index(pd_wgk_rule_get(i)->id), (int)i);
	assert_null(pd_wgk_rule_get(pd_wgk_rule_count()));
	assert_int_equal(pd_wgk_rule_index("no-such-rule"), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_key_decode),
		cmocka_unit_test(test_prefix),
		cmocka_unit_test(test_parse_full),
		cmocka_unit_test(test_parse_errors),
		cmocka_unit_test(test_mtu_dslite),
		cmocka_unit_test(test_mtu_ipv6_endpoint),
		cmocka_unit_test(test_ipv6_min),
		cmocka_unit_test(test_mss),
		cmocka_unit_test(test_cross_file),
		cmocka_unit_test(test_postdown),
		cmocka_unit_test(test_rules_table),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
