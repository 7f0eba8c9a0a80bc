/* ct_opts.c - the options of `nattrace conntrack` and `nattrace watch`:
 * a filter in the vocabulary of conntrack-tools (conntrack(8): -s, -d,
 * --reply-src, --reply-dst, -p, --sport, --dport, -m MARK[/MASK], --zone,
 * -f) plus translated-only selectors, and each command's own options.
 * Parsed by the tool framework (tool_cmd_parse, tools/common/cli.c); the
 * tables also write `nattrace conntrack --help` and `nattrace watch --help`.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <netinet/in.h>

#include "ct_cmd.h"
#include "ct_view.h"

enum {
	O_ORIG_SRC = 1,
	O_ORIG_DST,
	O_REPLY_SRC,
	O_REPLY_DST,
	O_PROTO,
	O_SPORT,
	O_DPORT,
	O_REPLY_SPORT,
	O_REPLY_DPORT,
	O_PORT,
	O_MARK,
	O_ZONE,
	O_NAT,
	O_SNAT,
	O_DNAT,
	O_FAMILY,
	O_NO_KFILTER,
	O_COUNT,
	O_MAX_EVENTS,
	O_SECONDS,
	O_RCVBUF,
	O_EVENTS,
	O_VIEW_MAX,
};

/* The filter both commands share. */
#define NT_FILTER_OPTS                                                                        \
	{ "orig-src", 's', "PREFIX", "original source address ADDR[/LEN]", O_ORIG_SRC },      \
	{ "orig-dst", 'd', "PREFIX", "original destination address ADDR[/LEN]", O_ORIG_DST }, \
	{ "reply-src", 0, "PREFIX", "reply source address ADDR[/LEN]", O_REPLY_SRC },         \
	{ "reply-dst", 0, "PREFIX", "reply destination address ADDR[/LEN]", O_REPLY_DST },    \
	{ "proto", 'p', "PROTO", "tcp, udp, icmp, icmpv6, sctp, dccp, udplite, gre or a "     \
				 "number", O_PROTO },                                         \
	{ "sport", 0, "PORT", "original source port", O_SPORT },                               \
	{ "dport", 0, "PORT", "original destination port", O_DPORT },                          \
	{ "reply-sport", 0, "PORT", "reply source port", O_REPLY_SPORT },                      \
	{ "reply-dport", 0, "PORT", "reply destination port", O_REPLY_DPORT },                 \
	{ "port", 0, "PORT", "any of the four ports", O_PORT },                                \
	{ "mark", 'm', "MARK[/MASK]", "connection mark (mark & MASK == MARK)", O_MARK },       \
	{ "zone", 0, "ZONE", "conntrack zone", O_ZONE },                                       \
	{ "nat", 0, NULL, "translated entries only (SNAT or DNAT)", O_NAT },                   \
	{ "snat", 0, NULL, "entries whose source is translated (SNAT, masquerade)", O_SNAT },  \
	{ "dnat", 0, NULL, "entries whose destination is translated (DNAT)", O_DNAT },         \
	{ "family", 'f', "FAMILY", "ipv4 or ipv6", O_FAMILY },                                 \
	{ "no-kfilter", 0, NULL, "filter in user space only (not in the kernel)", O_NO_KFILTER }

const struct tool_opt nt_conntrack_opts[] = {
	NT_FILTER_OPTS,
	{ "count", 0, NULL, "print the counts only, no entries", O_COUNT },
	{ NULL },
};

const struct tool_opt nt_watch_opts[] = {
	NT_FILTER_OPTS,
	{ "count", 'c', "N", "stop after N events", O_MAX_EVENTS },
	{ "seconds", 'G', "SECONDS", "stop after SECONDS (fractions allowed)", O_SECONDS },
	{ "event", 'e', "TYPES", "event types to follow: new,update,destroy (default all)",
	  O_EVENTS },
	{ "rcvbuf", 0, "BYTES", "event socket receive buffer (default 8 MiB; small values "
				"show overruns)", O_RCVBUF },
	{ "buffer-size", 'b', "BYTES", "the same as --rcvbuf (conntrack -b)", O_RCVBUF },
	{ "view-max", 0, "N", "live entries kept to resynchronise after an overrun (default "
			      "65536; 0: none, resyncs list the table)", O_VIEW_MAX },
	{ NULL },
};

static int num(const char *s, unsigned long max, unsigned long *v)
{
	char *end;

	if (!*s || *s == '-' || *s == '+')
		return -1;
	errno = 0;
	*v = strtoul(s, &end, 0);
	return errno || *end || *v > max ? -1 : 0;
}

static int proto_num(const char *s, uint8_t *p)
{
	static const struct {
		const char *name;
		uint8_t num;
	} names[] = {
		{ "tcp", IPPROTO_TCP },         { "udp", IPPROTO_UDP },
		{ "icmp", IPPROTO_ICMP },       { "icmpv6", IPPROTO_ICMPV6 },
		{ "ipv6-icmp", IPPROTO_ICMPV6 }, { "sctp", IPPROTO_SCTP },
		{ "dccp", IPPROTO_DCCP },       { "udplite", IPPROTO_UDPLITE },
		{ "gre", IPPROTO_GRE },
	};
	unsigned long v;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!strcmp(s, names[i].name)) {
			*p = names[i].num;
			return 0;
		}
	}
	if (num(s, 255, &v) < 0)
		return -1;
	*p = (uint8_t)v;
	return 0;
}

static int prefix_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg,
		      struct pd_ct_prefix *p)
{
	struct pd_error err = { 0 };

	if (pd_ct_prefix_parse(arg, p, &err) < 0)
		return tool_usage_error(ctx, "--%s '%s' is not an address or prefix (%s)",
					o->lname ? o->lname : "?", arg,
					err.what ? err.what : "invalid");
	return 0;
}

static int port_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg,
		    uint16_t *port)
{
	unsigned long v;

	if (num(arg, 65535, &v) < 0)
		return tool_usage_error(ctx, "--%s '%s' is not a port from 0 to 65535", o->lname,
					arg);
	*port = (uint16_t)v;
	return 0;
}

static int mark_opt(struct tool_ctx *ctx, const char *arg, struct pd_ct_filter *f)
{
	char buf[32];
	const char *slash = strchr(arg, '/');
	unsigned long v, m = 0xffffffffu;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, strlen(arg) + 1);
	if (slash) {
		buf[slash - arg] = '\0';
		if (num(slash + 1, 0xffffffffu, &m) < 0)
			goto bad;
	}
	if (num(buf, 0xffffffffu, &v) < 0)
		goto bad;
	f->mark_value = (uint32_t)v; /* as conntrack(8): (mark & MASK) == MARK */
	f->mark_mask = (uint32_t)m;
	f->has |= PD_CTF_MARK;
	return 0;
bad:
	return tool_usage_error(ctx, "--mark '%s' is not MARK or MARK/MASK (32-bit numbers)", arg);
}

static int events_opt(struct tool_ctx *ctx, const char *arg, unsigned *groups)
{
	char buf[64], *tok, *save = NULL;

	if (strlen(arg) >= sizeof(buf))
		goto bad;
	memcpy(buf, arg, strlen(arg) + 1);
	*groups = 0;
	for (tok = strtok_r(buf, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		if (!strcmp(tok, "new"))
			*groups |= PD_CT_GRP_NEW;
		else if (!strcmp(tok, "update"))
			*groups |= PD_CT_GRP_UPDATE;
		else if (!strcmp(tok, "destroy"))
			*groups |= PD_CT_GRP_DESTROY;
		else
			goto bad;
	}
	if (*groups)
		return 0;
bad:
	return tool_usage_error(ctx, "--event '%s' is not a list of new, update, destroy", arg);
}

int nt_ct_opt(struct tool_ctx *ctx, const struct tool_opt *o, const char *arg)
{
	struct nt_ct_opts *op = ctx->priv;
	struct pd_ct_filter *f = &op->filter;
	unsigned long v;

	switch (o->id) {
	case O_ORIG_SRC:
		f->has |= PD_CTF_ORIG_SRC;
		return prefix_opt(ctx, o, arg, &f->orig_src);
	case O_ORIG_DST:
		f->has |= PD_CTF_ORIG_DST;
		return prefix_opt(ctx, o, arg, &f->orig_dst);
	case O_REPLY_SRC:
		f->has |= PD_CTF_REPLY_SRC;
		return prefix_opt(ctx, o, arg, &f->reply_src);
	case O_REPLY_DST:
		f->has |= PD_CTF_REPLY_DST;
		return prefix_opt(ctx, o, arg, &f->reply_dst);
	case O_PROTO:
		if (proto_num(arg, &f->l4proto) < 0)
			return tool_usage_error(ctx, "--proto '%s' is not a protocol name or "
						"number", arg);
		f->has |= PD_CTF_PROTO;
		return 0;
	case O_SPORT:
		f->has |= PD_CTF_ORIG_SPORT;
		return port_opt(ctx, o, arg, &f->orig_sport);
	case O_DPORT:
		f->has |= PD_CTF_ORIG_DPORT;
		return port_opt(ctx, o, arg, &f->orig_dport);
	case O_REPLY_SPORT:
		f->has |= PD_CTF_REPLY_SPORT;
		return port_opt(ctx, o, arg, &f->reply_sport);
	case O_REPLY_DPORT:
		f->has |= PD_CTF_REPLY_DPORT;
		return port_opt(ctx, o, arg, &f->reply_dport);
	case O_PORT:
		f->has |= PD_CTF_PORT;
		return port_opt(ctx, o, arg, &f->port);
	case O_MARK:
		return mark_opt(ctx, arg, f);
	case O_ZONE:
		if (num(arg, 65535, &v) < 0)
			return tool_usage_error(ctx, "--zone '%s' is not a zone from 0 to 65535",
						arg);
		f->zone = (uint16_t)v;
		f->has |= PD_CTF_ZONE;
		return 0;
	case O_NAT:
		f->nat |= PD_CT_SNAT | PD_CT_DNAT;
		f->has |= PD_CTF_NAT;
		return 0;
	case O_SNAT:
		f->nat |= PD_CT_SNAT;
		f->has |= PD_CTF_NAT;
		return 0;
	case O_DNAT:
		f->nat |= PD_CT_DNAT;
		f->has |= PD_CTF_NAT;
		return 0;
	case O_FAMILY:
		if (!strcmp(arg, "ipv4") || !strcmp(arg, "4") || !strcmp(arg, "inet"))
			f->family = 4;
		else if (!strcmp(arg, "ipv6") || !strcmp(arg, "6") || !strcmp(arg, "inet6"))
			f->family = 6;
		else
			return tool_usage_error(ctx, "--family '%s' is not ipv4 or ipv6", arg);
		f->has |= PD_CTF_FAMILY;
		return 0;
	case O_NO_KFILTER:
		op->dump_flags |= PD_CT_DUMP_NO_KFILTER;
		return 0;
	case O_COUNT:
		op->count_only = true;
		return 0;
	case O_MAX_EVENTS:
		if (num(arg, 0xffffffffu, &v) < 0 || v == 0)
			return tool_usage_error(ctx, "-c '%s' is not a count of events from 1", arg);
		op->max_events = v;
		return 0;
	case O_SECONDS:
		return tool_parse_seconds(ctx, "-G", arg, 0.001, 86400 * 365, &op->seconds);
	case O_RCVBUF:
		if (num(arg, 1u << 30, &v) < 0 || v < 1024)
			return tool_usage_error(ctx, "--%s '%s' is not a size from 1024 to "
						"1073741824 bytes", o->lname, arg);
		op->rcvbuf = (int)v;
		return 0;
	case O_EVENTS:
		return events_opt(ctx, arg, &op->groups);
	case O_VIEW_MAX:
		if (num(arg, NT_VIEW_LIMIT, &v) < 0)
			return tool_usage_error(ctx, "--view-max '%s' is not a number of entries "
						"from 0 to %u", arg, NT_VIEW_LIMIT);
		op->view_max = v;
		return 0;
	}
	return 0;
}

/* The family every address given names (0 when none or mixed). */
static int check_families(struct tool_ctx *ctx, const struct pd_ct_filter *f)
{
	const struct {
		unsigned bit;
		const struct pd_ct_prefix *p;
	} pf[] = {
		{ PD_CTF_ORIG_SRC, &f->orig_src },   { PD_CTF_ORIG_DST, &f->orig_dst },
		{ PD_CTF_REPLY_SRC, &f->reply_src }, { PD_CTF_REPLY_DST, &f->reply_dst },
		{ PD_CTF_ADDR, &f->addr },
	};
	int fam = (f->has & PD_CTF_FAMILY) ? f->family : 0;

	for (size_t i = 0; i < sizeof(pf) / sizeof(pf[0]); i++) {
		if (!(f->has & pf[i].bit))
			continue;
		if (fam && pf[i].p->addr.family != fam)
			return tool_usage_error(ctx, "the addresses and --family name both IPv4 "
						"and IPv6; an entry is one or the other");
		fam = pf[i].p->addr.family;
	}
	return 0;
}

bool nt_ct_parse(struct tool_ctx *ctx, int argc, char **argv, struct nt_ct_opts *o, int *code)
{
	struct pd_error err = { 0 };
	int first;

	memset(o, 0, sizeof(*o));
	o->groups = PD_CT_GRP_NEW | PD_CT_GRP_UPDATE | PD_CT_GRP_DESTROY;
	o->view_max = NT_VIEW_DEFAULT_MAX;
	if (!tool_cmd_parse(ctx, argc, argv, o, &first, code))
		return false;
	if (argc - first > 1) {
		*code = tool_usage_error(ctx, "give at most one address (ADDR or ADDR/LEN, "
					 "matched in either direction); '%s' is extra",
					 argv[first + 1]);
		return false;
	}
	if (argc - first == 1) {
		if (pd_ct_prefix_parse(argv[first], &o->filter.addr, &err) < 0) {
			*code = tool_usage_error(ctx, "'%s' is not an address or prefix (%s)",
						 argv[first], err.what ? err.what : "invalid");
			return false;
		}
		o->filter.has |= PD_CTF_ADDR;
	}
	*code = check_families(ctx, &o->filter);
	return *code == 0;
}
