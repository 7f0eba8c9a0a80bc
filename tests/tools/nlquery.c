/* nlquery.c - prints what libpathdiag's netlink queries return (test tool for
 * tests/lab/netlink-tests.sh): one interface (pd_nl_link_get), the route and
 * effective MTU toward a destination (pd_nl_route_get, pd_nl_route_mtu), a
 * WireGuard device (pd_wg_get), as key=value lines; `wgdump` prints the
 * peers in the format of `wg show IFACE dump` for a direct comparison.
 *
 *   nlquery link NAME | @IFINDEX
 *   nlquery route DST [from SRC] [mark N] [oif NAME] [iif NAME] [fibmatch]
 *   nlquery wg NAME | /UAPI-SOCKET-PATH
 *   nlquery wgdump NAME | /UAPI-SOCKET-PATH
 *
 * Runs in the caller's network namespace (use `ip netns exec`).
 * Exit status: 0 ok, 1 other error, 2 not found, 3 usage, 4 permission.
 */
#include <errno.h>
#include <inttypes.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/error.h>

#include "../common/qexit.h"
#include <pathdiag/netlink.h>
#include <pathdiag/nl_link.h>
#include <pathdiag/nl_route.h>
#include <pathdiag/wgdev.h>

#define EXIT_NOTFOUND QEXIT_NOTFOUND
#define EXIT_USAGE QEXIT_USAGE
#define EXIT_PERM QEXIT_PERM

static int fail(const char *what, int rc, const struct pd_error *err)
{
	return qexit_fail("nlquery", what, rc, err);
}

static void kv_addr(const char *key, const struct pd_nl_addr *a)
{
	char s[PD_NL_ADDRSTRLEN];

	printf("%s=%s\n", key, pd_nl_addr_str(a, s, sizeof(s)));
}

static void print_iptun(const struct pd_nl_iptun *t)
{
	if (t->has & PD_NLT_LOCAL)
		kv_addr("tun.local", &t->local);
	if (t->has & PD_NLT_REMOTE)
		kv_addr("tun.remote", &t->remote);
	if (t->has & PD_NLT_LINK)
		printf("tun.link=%d\n", t->link);
	if (t->has & PD_NLT_TTL)
		printf("tun.ttl=%u\n", t->ttl);
	if (t->has & PD_NLT_ENCAP_LIMIT)
		printf("tun.encap_limit=%u\n", t->encap_limit);
	if (t->has & PD_NLT_FLAGS)
		printf("tun.flags=0x%" PRIx32 "\n", t->flags);
	printf("tun.adds_tel=%d\n", t->adds_tel);
}

static void print_gre(const struct pd_nl_gre *g)
{
	if (g->has & PD_NLT_LOCAL)
		kv_addr("gre.local", &g->local);
	if (g->has & PD_NLT_REMOTE)
		kv_addr("gre.remote", &g->remote);
	if (g->has & PD_NLT_KEYS)
		printf("gre.iflags=0x%04x\ngre.oflags=0x%04x\ngre.ikey=%" PRIu32
		       "\ngre.okey=%" PRIu32 "\n",
		       g->iflags, g->oflags, g->ikey, g->okey);
	if (g->has & PD_NLT_ENCAP_LIMIT)
		printf("gre.encap_limit=%u\n", g->encap_limit);
}

static void print_vxlan(const struct pd_nl_vxlan *v)
{
	if (v->has & PD_NLT_VNI)
		printf("vxlan.id=%" PRIu32 "\n", v->vni);
	if (v->has & PD_NLT_PORT)
		printf("vxlan.port=%u\n", v->port);
	if (v->has & PD_NLT_PORT_RANGE)
		printf("vxlan.srcport=%u-%u\n", v->port_min, v->port_max);
	if (v->has & PD_NLT_REMOTE)
		kv_addr(v->remote_is_group ? "vxlan.group" : "vxlan.remote", &v->remote);
	if (v->has & PD_NLT_LOCAL)
		kv_addr("vxlan.local", &v->local);
	if (v->has & PD_NLT_LINK)
		printf("vxlan.link=%d\n", v->link);
	if (v->has & PD_NLT_TTL)
		printf("vxlan.ttl=%u\n", v->ttl);
}

static void print_link(const struct pd_nl_link *l)
{
	printf("ifindex=%d\nname=%s\nkind=%s\n", l->ifindex, l->name, l->kind);
	printf("type=%u\nflags=0x%" PRIx32 "\nup=%d\n", l->type, l->flags,
	       !!(l->flags & PD_NL_IFF_UP));
	if (l->has & PD_NLL_MTU)
		printf("mtu=%" PRIu32 "\n", l->mtu);
	if (l->has & PD_NLL_MIN_MTU)
		printf("min_mtu=%" PRIu32 "\n", l->min_mtu);
	if (l->has & PD_NLL_MAX_MTU)
		printf("max_mtu=%" PRIu32 "\n", l->max_mtu);
	if (l->has & PD_NLL_OPERSTATE)
		printf("operstate=%s\n", pd_nl_operstate_name(l->operstate));
	if (l->has & PD_NLL_LINK)
		printf("link=%d\n", l->link);
	if (l->has & PD_NLL_LINK_NETNSID)
		printf("link_netnsid=%" PRId32 "\n", l->link_netnsid);
	if (l->has & PD_NLL_MASTER)
		printf("master=%d\n", l->master);
	switch (l->kind_id) {
	case PD_NLK_IP6TNL:
	case PD_NLK_IPIP:
	case PD_NLK_SIT:
		print_iptun(&l->iptun);
		break;
	case PD_NLK_GRE:
	case PD_NLK_GRETAP:
	case PD_NLK_IP6GRE:
	case PD_NLK_IP6GRETAP:
	case PD_NLK_ERSPAN:
		print_gre(&l->gre);
		break;
	case PD_NLK_VXLAN:
		print_vxlan(&l->vxlan);
		break;
	default:
		break;
	}
}

static int cmd_link(struct pd_nl *nl, int argc, char **argv)
{
	struct pd_error err = { 0 };
	struct pd_nl_link l;
	int rc;

	if (argc != 1)
		return -1;
	if (argv[0][0] == '@')
		rc = pd_nl_link_get(nl, NULL, atoi(argv[0] + 1), &l, &err);
	else
		rc = pd_nl_link_get(nl, argv[0], 0, &l, &err);
	if (rc < 0)
		return fail("link", rc, &err);
	print_link(&l);
	return 0;
}

static int ifindex_of(struct pd_nl *nl, const char *name)
{
	struct pd_error err = { 0 };
	struct pd_nl_link l;

	if (pd_nl_link_get(nl, name, 0, &l, &err) < 0)
		return -1;
	return l.ifindex;
}

static void print_route(struct pd_nl *nl, const struct pd_nl_route *r)
{
	struct pd_error err = { 0 };
	struct pd_nl_link l;

	printf("family=%d\ntype=%s\n", r->family, pd_nl_rtn_name(r->type));
	if (r->has & PD_NLR_DST)
		kv_addr("dst", &r->dst);
	printf("dst_len=%u\n", r->dst_len);
	if (r->has & PD_NLR_SRC)
		kv_addr("src", &r->src);
	if (r->has & PD_NLR_GATEWAY)
		kv_addr("gateway", &r->gateway);
	if (r->has & PD_NLR_OIF) {
		printf("oif=%d\n", r->oif);
		if (pd_nl_link_get(nl, NULL, r->oif, &l, &err) == 0)
			printf("oif_name=%s\n", l.name);
	}
	if (r->has & PD_NLR_IIF)
		printf("iif=%d\n", r->iif);
	if (r->has & PD_NLR_PREFSRC)
		kv_addr("prefsrc", &r->prefsrc);
	printf("table=%" PRIu32 "\n", r->table);
	if (r->has & PD_NLR_MARK)
		printf("mark=%" PRIu32 "\n", r->mark);
	if (r->has & PD_NLR_MTU)
		printf("mtu=%" PRIu32 "\nmtu_locked=%d\n", r->mtu, r->mtu_locked);
	printf("rtm_flags=0x%" PRIx32 "\ncloned=%d\n", r->rtm_flags, r->cloned);
	if (r->has & PD_NLR_CACHEINFO)
		printf("cacheinfo=1\nexpires_clk=%" PRId32 "\nexpires_sec=%" PRIu32
		       "\nerror=%" PRId32 "\n",
		       r->expires_clk, r->expires_ms / 1000, r->error);
	printf("pmtu_exception=%d\n", r->pmtu_exception);
}

static int cmd_route(struct pd_nl *nl, int argc, char **argv)
{
	struct pd_nl_route_query q;
	struct pd_error err = { 0 };
	struct pd_nl_route r;
	struct pd_nl_path_mtu pm;
	int i, rc;

	memset(&q, 0, sizeof(q));
	if (argc < 1)
		return -1;
	if (pd_nl_addr_parse(argv[0], &q.dst, &err) < 0)
		return -1;
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "fibmatch") == 0) {
			q.flags |= PD_NL_RQ_FIB_MATCH;
			continue;
		}
		if (i + 1 >= argc)
			return -1;
		if (strcmp(argv[i], "from") == 0) {
			if (pd_nl_addr_parse(argv[++i], &q.src, &err) < 0)
				return -1;
		} else if (strcmp(argv[i], "mark") == 0) {
			q.mark = (uint32_t)strtoul(argv[++i], NULL, 0);
		} else if (strcmp(argv[i], "oif") == 0 || strcmp(argv[i], "iif") == 0) {
			int idx = ifindex_of(nl, argv[i + 1]);

			if (idx < 0) {
				fprintf(stderr, "nlquery: no interface %s\n", argv[i + 1]);
				return EXIT_NOTFOUND;
			}
			if (argv[i][0] == 'o')
				q.oif = idx;
			else
				q.iif = idx;
			i++;
		} else {
			return -1;
		}
	}
	rc = pd_nl_route_get(nl, &q, &r, &err);
	if (rc < 0)
		return fail("route", rc, &err);
	print_route(nl, &r);
	rc = pd_nl_route_mtu(nl, &q, &pm, &err);
	if (rc < 0)
		return fail("route mtu", rc, &err);
	printf("effective_mtu=%" PRIu32 "\nmtu_source=%s\nlink_mtu=%" PRIu32 "\n", pm.mtu,
	       pd_nl_mtu_source_name(pm.source), pm.link_mtu);
	return 0;
}

static void print_endpoint(const struct pd_wg_endpoint *ep, char *s, size_t n)
{
	struct pd_nl_addr a = { .family = ep->family };
	char ip[PD_NL_ADDRSTRLEN];

	memcpy(a.addr, ep->addr, sizeof(a.addr));
	pd_nl_addr_str(&a, ip, sizeof(ip));
	if (ep->family == 6)
		snprintf(s, n, "[%s]:%u", ip, ep->port);
	else
		snprintf(s, n, "%s:%u", ip, ep->port);
}

static void print_allowed(const struct pd_wg_peer *p, const char *sep)
{
	size_t i;

	for (i = 0; i < p->n_allowed && p->allowed; i++) {
		struct pd_nl_addr a = { .family = p->allowed[i].family };
		char ip[PD_NL_ADDRSTRLEN];

		memcpy(a.addr, p->allowed[i].addr, sizeof(a.addr));
		printf("%s%s/%u", i ? sep : "", pd_nl_addr_str(&a, ip, sizeof(ip)),
		       p->allowed[i].cidr);
	}
}

static int get_wg(struct pd_nl *nl, const char *name, struct pd_wg_device *d)
{
	struct pd_error err = { 0 };
	int rc;

	if (name[0] == '/')
		rc = pd_wg_uapi_get(name, d, &err);
	else
		rc = pd_wg_get(nl, name, d, &err);
	if (rc < 0)
		return fail("wg", rc, &err);
	return 0;
}

static int cmd_wg(struct pd_nl *nl, int argc, char **argv, int dump)
{
	struct pd_wg_device d;
	char key[PD_WGDEV_KEY_B64_LEN], ep[80];
	size_t i;
	int rc;

	if (argc != 1)
		return -1;
	rc = get_wg(nl, argv[0], &d);
	if (rc)
		return rc;
	if (!dump) {
		printf("source=%s\n", d.source == PD_WG_SRC_NETLINK ? "netlink" : "uapi");
		if (d.has & PD_WGD_NAME)
			printf("name=%s\n", d.name);
		if (d.has & PD_WGD_PUBLIC_KEY) {
			pd_wg_key_base64(d.public_key, key);
			printf("public_key=%s\n", key);
		}
		printf("private_key_set=%d\n", !!(d.has & PD_WGD_PRIVATE_KEY));
		if (d.has & PD_WGD_LISTEN_PORT)
			printf("listen_port=%u\n", d.listen_port);
		if (d.has & PD_WGD_FWMARK)
			printf("fwmark=%" PRIu32 "\n", d.fwmark);
		printf("peers=%zu\nallowed_ips=%zu\n", d.n_peers, d.n_allowed);
	}
	for (i = 0; i < d.n_peers; i++) {
		const struct pd_wg_peer *p = &d.peers[i];

		pd_wg_key_base64(p->public_key, key);
		if (p->has & PD_WGP_ENDPOINT)
			print_endpoint(&p->endpoint, ep, sizeof(ep));
		else
			snprintf(ep, sizeof(ep), "(none)");
		if (dump) {
			/* wg show dump: key psk endpoint allowed-ips handshake rx tx
			 * keepalive (the preshared key itself is never kept). */
			printf("%s\t%s\t%s\t", key,
			       p->has & PD_WGP_PRESHARED_KEY ? "(hidden)" : "(none)", ep);
			if (p->n_allowed)
				print_allowed(p, ",");
			else
				printf("(none)");
			printf("\t%" PRId64 "\t%" PRIu64 "\t%" PRIu64 "\t", p->handshake_sec,
			       p->rx_bytes, p->tx_bytes);
			if (p->keepalive)
				printf("%u\n", p->keepalive);
			else
				printf("off\n");
			continue;
		}
		printf("peer.%zu.public_key=%s\npeer.%zu.endpoint=%s\npeer.%zu.allowed_ips=", i,
		       key, i, ep, i);
		print_allowed(p, ",");
		printf("\npeer.%zu.keepalive=%u\npeer.%zu.handshake_sec=%" PRId64
		       "\npeer.%zu.rx_bytes=%" PRIu64 "\npeer.%zu.tx_bytes=%" PRIu64 "\n",
		       i, p->keepalive, i, p->handshake_sec, i, p->rx_bytes, i, p->tx_bytes);
	}
	pd_wg_device_free(&d);
	return 0;
}

static void usage(FILE *fp)
{
	fprintf(fp, "usage: nlquery link NAME|@IFINDEX\n"
		    "       nlquery route DST [from SRC] [mark N] [oif NAME] [iif NAME] "
		    "[fibmatch]\n"
		    "       nlquery wg NAME|/SOCKET-PATH\n"
		    "       nlquery wgdump NAME|/SOCKET-PATH\n");
}

int main(int argc, char **argv)
{
	struct pd_error err = { 0 };
	struct pd_nl *nl;
	int rc;

	if (argc < 3) {
		usage(stderr);
		return EXIT_USAGE;
	}
	rc = pd_nl_open(&nl, &err);
	if (rc < 0)
		return fail("open", rc, &err);
	if (strcmp(argv[1], "link") == 0)
		rc = cmd_link(nl, argc - 2, argv + 2);
	else if (strcmp(argv[1], "route") == 0)
		rc = cmd_route(nl, argc - 2, argv + 2);
	else if (strcmp(argv[1], "wg") == 0)
		rc = cmd_wg(nl, argc - 2, argv + 2, 0);
	else if (strcmp(argv[1], "wgdump") == 0)
		rc = cmd_wg(nl, argc - 2, argv + 2, 1);
	else
		rc = -1;
	pd_nl_close(nl);
	if (rc < 0) {
		usage(stderr);
		return EXIT_USAGE;
	}
	return rc;
}
