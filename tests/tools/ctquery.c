/* ctquery.c - drives libpathdiag's conntrack calls (pathdiag/conntrack.h) for
 * tests/lab/ct-tests.sh and bench/ct-bench.sh: dumps printed in the layout
 * of `conntrack -L -o extended` (pd_ct_format), get, create, delete, events.
 *
 *   ctquery dump [--count] [--stats] [--no-kfilter] [--show-nat] [FILTER...]
 *     FILTER: --family 4|6  -p PROTO  --orig-src P  --orig-dst P  --reply-src P
 *             --reply-dst P  --addr P  --sport N  --dport N  --reply-sport N
 *             --reply-dport N  --port N  --mark V[/MASK]  --zone Z
 *             --status V/MASK  --nat any|snat|dnat        (P: ADDR[/LEN])
 *   ctquery get|delete PROTO SRC DST SPORT DPORT [zone Z]
 *   ctquery create PROTO SRC DST SPORT DPORT [mark M] [zone Z] [timeout T]
 *                  [state TCPSTATE-NUMBER] [status MASK] [rsrc A] [rdst A]
 *                  [rsport N] [rdport N]
 *   ctquery events [--rcvbuf BYTES] [--seconds S] [--max N]
 *     one line per event "EVENT <format>", "lost N" after an overrun; ends
 *     after S seconds (default 5) or N events; line-buffered.
 *
 * --stats writes "messages=N matched=N datagrams=N kfilter=0xBITS refused=0|1
 * interrupted=0|1" on stderr.  For ICMP, SPORT is the id, DPORT the type.
 * Exit status: 0 ok, 1 other error, 2 not found, 3 usage, 4 permission.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <pathdiag/conntrack.h>
#include <pathdiag/error.h>

#include "../common/qexit.h"

#define EXIT_NOTFOUND QEXIT_NOTFOUND
#define EXIT_USAGE QEXIT_USAGE
#define EXIT_PERM QEXIT_PERM

static int fail(const char *what, int rc, const struct pd_error *err)
{
	return qexit_fail("ctquery", what, rc, err);
}

static int usage(void)
{
	fputs("usage: ctquery dump [--count] [--stats] [--no-kfilter] [--show-nat] [FILTER...]\n"
	      "       ctquery get|delete PROTO SRC DST SPORT DPORT [zone Z]\n"
	      "       ctquery create PROTO SRC DST SPORT DPORT [mark M] [zone Z] [timeout T]\n"
	      "                      [state N] [status MASK] [rsrc A] [rdst A] [rsport N] [rdport N]\n"
	      "       ctquery events [--rcvbuf BYTES] [--seconds S] [--max N]\n",
	      stderr);
	return EXIT_USAGE;
}

static int num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || end == s || *end || *v > max ? -1 : 0;
}

static int proto_of(const char *s, uint8_t *p)
{
	unsigned long v;

	if (!strcmp(s, "tcp"))
		*p = IPPROTO_TCP;
	else if (!strcmp(s, "udp"))
		*p = IPPROTO_UDP;
	else if (!strcmp(s, "icmp"))
		*p = IPPROTO_ICMP;
	else if (!strcmp(s, "icmpv6"))
		*p = IPPROTO_ICMPV6;
	else if (num(s, 255, &v) == 0)
		*p = (uint8_t)v;
	else
		return -1;
	return 0;
}

static int prefix(const char *s, struct pd_ct_prefix *p)
{
	struct pd_error err = { 0 };

	if (pd_ct_prefix_parse(s, p, &err) < 0) {
		fprintf(stderr, "ctquery: %s: %s\n", s, err.what);
		return -1;
	}
	return 0;
}

static int port(const char *s, uint16_t *p)
{
	unsigned long v;

	if (num(s, 65535, &v) < 0)
		return -1;
	*p = (uint16_t)v;
	return 0;
}

/* V/MASK, or V alone (mask all ones). */
static int valmask(const char *s, uint32_t *v, uint32_t *m)
{
	char buf[64];
	const char *slash = strchr(s, '/');
	unsigned long a, b = 0xffffffffu;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if (slash) {
		buf[slash - s] = '\0';
		if (num(slash + 1, 0xffffffffu, &b) < 0)
			return -1;
	}
	if (num(buf, 0xffffffffu, &a) < 0)
		return -1;
	*v = (uint32_t)a;
	*m = (uint32_t)b;
	return 0;
}

struct dump_opts {
	bool count_only, show_nat;
	uint64_t n;
	char *line;
	size_t cap;
};

static int print_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct dump_opts *o = vctx;
	size_t need;

	o->n++;
	if (o->count_only)
		return 0;
	need = pd_ct_format(e, PD_CT_FMT_EXTENDED, o->line, o->cap);
	if (need >= o->cap) {
		char *p = realloc(o->line, need + 1);

		if (!p)
			return -1;
		o->line = p;
		o->cap = need + 1;
		pd_ct_format(e, PD_CT_FMT_EXTENDED, o->line, o->cap);
	}
	fputs(o->line, stdout);
	if (o->show_nat) {
		struct pd_ct_nat n;
		char a[PD_NL_ADDRSTRLEN];

		pd_ct_nat(e, &n);
		fputs(" nat=", stdout);
		if (!n.kind)
			fputs("none", stdout);
		if (n.kind & PD_CT_SNAT)
			printf("snat:%s:%u", pd_nl_addr_str(&n.snat_addr, a, sizeof(a)),
			       n.snat_port);
		if (n.kind & PD_CT_DNAT)
			printf("%sdnat:%s:%u", n.kind & PD_CT_SNAT ? "," : "",
			       pd_nl_addr_str(&n.dnat_addr, a, sizeof(a)), n.dnat_port);
	}
	fputc('\n', stdout);
	return 0;
}

static int cmd_dump(int argc, char **argv)
{
	struct pd_ct_filter f = { 0 };
	struct pd_ct_dump_stats st;
	struct dump_opts o = { 0 };
	struct pd_error err = { 0 };
	bool stats = false;
	unsigned flags = 0;
	struct pd_ct *ct;
	int i, rc;

	for (i = 0; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		unsigned long n;
		int bad = 0;

		if (!strcmp(a, "--count")) {
			o.count_only = true;
			continue;
		}
		if (!strcmp(a, "--stats")) {
			stats = true;
			continue;
		}
		if (!strcmp(a, "--no-kfilter")) {
			flags |= PD_CT_DUMP_NO_KFILTER;
			continue;
		}
		if (!strcmp(a, "--show-nat")) {
			o.show_nat = true;
			continue;
		}
		if (!v)
			return usage();
		i++;
		if (!strcmp(a, "--family")) {
			bad = num(v, 6, &n) < 0 || (n != 4 && n != 6);
			f.family = (uint8_t)n;
			f.has |= PD_CTF_FAMILY;
		} else if (!strcmp(a, "-p")) {
			bad = proto_of(v, &f.l4proto);
			f.has |= PD_CTF_PROTO;
		} else if (!strcmp(a, "--orig-src")) {
			bad = prefix(v, &f.orig_src);
			f.has |= PD_CTF_ORIG_SRC;
		} else if (!strcmp(a, "--orig-dst")) {
			bad = prefix(v, &f.orig_dst);
			f.has |= PD_CTF_ORIG_DST;
		} else if (!strcmp(a, "--reply-src")) {
			bad = prefix(v, &f.reply_src);
			f.has |= PD_CTF_REPLY_SRC;
		} else if (!strcmp(a, "--reply-dst")) {
			bad = prefix(v, &f.reply_dst);
			f.has |= PD_CTF_REPLY_DST;
		} else if (!strcmp(a, "--addr")) {
			bad = prefix(v, &f.addr);
			f.has |= PD_CTF_ADDR;
		} else if (!strcmp(a, "--sport")) {
			bad = port(v, &f.orig_sport);
			f.has |= PD_CTF_ORIG_SPORT;
		} else if (!strcmp(a, "--dport")) {
			bad = port(v, &f.orig_dport);
			f.has |= PD_CTF_ORIG_DPORT;
		} else if (!strcmp(a, "--reply-sport")) {
			bad = port(v, &f.reply_sport);
			f.has |= PD_CTF_REPLY_SPORT;
		} else if (!strcmp(a, "--reply-dport")) {
			bad = port(v, &f.reply_dport);
			f.has |= PD_CTF_REPLY_DPORT;
		} else if (!strcmp(a, "--port")) {
			bad = port(v, &f.port);
			f.has |= PD_CTF_PORT;
		} else if (!strcmp(a, "--mark")) {
			bad = valmask(v, &f.mark_value, &f.mark_mask);
			f.has |= PD_CTF_MARK;
		} else if (!strcmp(a, "--zone")) {
			bad = num(v, 65535, &n);
			f.zone = (uint16_t)n;
			f.has |= PD_CTF_ZONE;
		} else if (!strcmp(a, "--status")) {
			bad = valmask(v, &f.status_value, &f.status_mask);
			f.has |= PD_CTF_STATUS;
		} else if (!strcmp(a, "--nat")) {
			f.nat = !strcmp(v, "snat") ? PD_CT_SNAT
				: !strcmp(v, "dnat") ? PD_CT_DNAT
				: !strcmp(v, "any") ? PD_CT_SNAT | PD_CT_DNAT : 0;
			bad = f.nat == 0;
			f.has |= PD_CTF_NAT;
		} else {
			bad = 1;
		}
		if (bad) {
			fprintf(stderr, "ctquery: bad %s '%s'\n", a, v);
			return EXIT_USAGE;
		}
	}
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc < 0)
		return fail("open", rc, &err);
	rc = pd_ct_dump(ct, &f, flags, print_entry, &o, &st, &err);
	pd_ct_close(ct);
	free(o.line);
	if (rc < 0)
		return fail("dump", rc, &err);
	if (o.count_only)
		printf("%" PRIu64 "\n", o.n);
	if (stats)
		fprintf(stderr,
			"messages=%" PRIu64 " matched=%" PRIu64 " datagrams=%" PRIu64
			" kfilter=0x%x refused=%d interrupted=%d\n",
			st.messages, st.matched, st.datagrams, st.kfilter, st.kfilter_refused,
			st.interrupted);
	return 0;
}

/* PROTO SRC DST SPORT DPORT into t. */
static int tuple_args(char **argv, struct pd_ct_tuple *t)
{
	struct pd_error err = { 0 };
	uint16_t a, b;

	memset(t, 0, sizeof(*t));
	if (proto_of(argv[0], &t->l4proto) < 0 || pd_nl_addr_parse(argv[1], &t->src, &err) < 0 ||
	    pd_nl_addr_parse(argv[2], &t->dst, &err) < 0 || port(argv[3], &a) < 0 ||
	    port(argv[4], &b) < 0)
		return -1;
	if (t->l4proto == IPPROTO_ICMP || t->l4proto == IPPROTO_ICMPV6) {
		t->icmp_id = a;
		t->icmp_type = (uint8_t)b;
		t->has = PD_CT_T_ICMP | PD_CT_T_PROTO;
	} else {
		t->sport = a;
		t->dport = b;
		t->has = PD_CT_T_PORTS | PD_CT_T_PROTO;
	}
	return 0;
}

static int cmd_get_delete(bool del, int argc, char **argv)
{
	struct pd_error err = { 0 };
	struct pd_ct_tuple t;
	struct pd_ct_entry e;
	unsigned long zone = 0;
	struct pd_ct *ct;
	int rc;

	if (argc != 5 && argc != 7)
		return usage();
	if (tuple_args(argv, &t) < 0)
		return usage();
	if (argc == 7 && (strcmp(argv[5], "zone") || num(argv[6], 65535, &zone) < 0))
		return usage();
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc < 0)
		return fail("open", rc, &err);
	if (del) {
		rc = pd_ct_delete(ct, &t, (uint16_t)zone, &err);
	} else {
		rc = pd_ct_get(ct, &t, (uint16_t)zone, &e, &err);
		if (rc == 0) {
			struct dump_opts o = { .show_nat = true };

			print_entry(&e, &o);
			free(o.line);
		}
	}
	pd_ct_close(ct);
	return rc < 0 ? fail(del ? "delete" : "get", rc, &err) : 0;
}

static int cmd_create(int argc, char **argv)
{
	struct pd_error err = { 0 };
	struct pd_ct_entry e;
	struct pd_ct *ct;
	unsigned long v;
	int i, rc;

	if (argc < 5 || (argc - 5) % 2)
		return usage();
	memset(&e, 0, sizeof(e));
	if (tuple_args(argv, &e.orig) < 0)
		return usage();
	for (i = 5; i < argc; i += 2) {
		const char *k = argv[i], *s = argv[i + 1];
		int bad = 0;

		if (!strcmp(k, "rsrc") || !strcmp(k, "rdst") || !strcmp(k, "rsport") ||
		    !strcmp(k, "rdport")) {
			/* A reply tuple other than the inverse: start from it. */
			if (!e.reply.src.family) {
				e.reply = e.orig;
				e.reply.src = e.orig.dst;
				e.reply.dst = e.orig.src;
				e.reply.sport = e.orig.dport;
				e.reply.dport = e.orig.sport;
			}
			if (!strcmp(k, "rsrc"))
				bad = pd_nl_addr_parse(s, &e.reply.src, &err) < 0;
			else if (!strcmp(k, "rdst"))
				bad = pd_nl_addr_parse(s, &e.reply.dst, &err) < 0;
			else if (!strcmp(k, "rsport"))
				bad = port(s, &e.reply.sport);
			else
				bad = port(s, &e.reply.dport);
			if (bad)
				return usage();
			continue;
		}
		if (num(s, 0xffffffffu, &v) < 0)
			return usage();
		if (!strcmp(k, "mark")) {
			e.mark = (uint32_t)v;
			e.has |= PD_CT_HAS_MARK;
		} else if (!strcmp(k, "zone")) {
			e.zone = (uint16_t)v;
			e.has |= PD_CT_HAS_ZONE;
		} else if (!strcmp(k, "timeout")) {
			e.timeout = (uint32_t)v;
		} else if (!strcmp(k, "state")) {
			e.tcp_state = (uint8_t)v;
			e.has |= PD_CT_HAS_TCP_STATE;
		} else if (!strcmp(k, "status")) {
			e.status = (uint32_t)v;
		} else {
			return usage();
		}
	}
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc < 0)
		return fail("open", rc, &err);
	rc = pd_ct_create(ct, &e, 1, NULL, &err);
	pd_ct_close(ct);
	return rc < 0 ? fail("create", rc, &err) : 0;
}

struct ev_ctx {
	struct dump_opts o;
	unsigned long max, seen;
};

static int print_event(const struct pd_ct_entry *e, void *vctx)
{
	struct ev_ctx *c = vctx;

	printf("%s ", pd_ct_event_name(e->event));
	print_entry(e, &c->o);
	c->seen++;
	return c->max && c->seen >= c->max ? 1 : 0;
}

static int cmd_events(int argc, char **argv)
{
	struct pd_ct_opts opts = { PD_CT_GRP_NEW | PD_CT_GRP_UPDATE | PD_CT_GRP_DESTROY, 0 };
	struct ev_ctx c = { .o = { .show_nat = true } };
	struct pd_error err = { 0 };
	unsigned long secs = 5, v;
	struct timespec t0, now;
	struct pd_ct *ct;
	int i, rc;

	for (i = 0; i + 1 < argc; i += 2) {
		if (num(argv[i + 1], 0x7fffffff, &v) < 0)
			return usage();
		if (!strcmp(argv[i], "--rcvbuf"))
			opts.rcvbuf = (int)v;
		else if (!strcmp(argv[i], "--seconds"))
			secs = v;
		else if (!strcmp(argv[i], "--max"))
			c.max = v;
		else
			return usage();
	}
	if (i != argc)
		return usage();
	setvbuf(stdout, NULL, _IOLBF, 0);
	rc = pd_ct_open(&ct, &opts, &err);
	if (rc < 0)
		return fail("open", rc, &err);
	printf("ready\n");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		unsigned lost = 0;
		long left;

		clock_gettime(CLOCK_MONOTONIC, &now);
		left = (long)secs * 1000 - ((now.tv_sec - t0.tv_sec) * 1000 +
					    (now.tv_nsec - t0.tv_nsec) / 1000000);
		if (left <= 0)
			break;
		rc = pd_ct_events_read(ct, (int)left, print_event, &c, &lost, &err);
		if (rc < 0)
			break;
		if (lost)
			printf("lost %u\n", lost);
		if (c.max && c.seen >= c.max)
			break;
	}
	printf("overruns %" PRIu64 "\n", pd_ct_overruns(ct));
	pd_ct_close(ct);
	free(c.o.line);
	return rc < 0 ? fail("events", rc, &err) : 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		return usage();
	if (!strcmp(argv[1], "dump"))
		return cmd_dump(argc - 2, argv + 2);
	if (!strcmp(argv[1], "get"))
		return cmd_get_delete(false, argc - 2, argv + 2);
	if (!strcmp(argv[1], "delete"))
		return cmd_get_delete(true, argc - 2, argv + 2);
	if (!strcmp(argv[1], "create"))
		return cmd_create(argc - 2, argv + 2);
	if (!strcmp(argv[1], "events"))
		return cmd_events(argc - 2, argv + 2);
	return usage();
}
