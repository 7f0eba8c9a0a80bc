/* ct_parse.c - one ctnetlink conntrack message into struct pd_ct_entry, the
 * NAT its tuples show, filters and text (include/uapi/linux/netfilter/
 * nfnetlink_conntrack.h; layout diagram in pathdiag/conntrack.h).  Pure:
 * no I/O, no globals, no allocation; attribute framing is checked by the
 * walkers of nl_internal.h, every payload length here before it is read.
 *
 *   | nlmsghdr 16 | nfgenmsg: family version res_id(be16) | CTA_* attributes |
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <pathdiag/conntrack.h>

#include "cursor.h"
#include "nl_internal.h"

#ifndef IPPROTO_UDPLITE
#define IPPROTO_UDPLITE 136
#endif

/* ---- attribute helpers ------------------------------------------------------------------ */

static int no_op(const uint8_t *buf, const struct nlattr *a, void *ctx, struct pd_error *err)
{
	(void)buf;
	(void)a;
	(void)ctx;
	(void)err;
	return PD_OK;
}

/* Walk the attributes nested in a after checking their framing, so that a
 * broken nest is reported as `what` (naming the container) at the offset
 * of the bad inner attribute. */
static int nested(const uint8_t *buf, const struct nlattr *a, nl_attr_fn fn, void *ctx,
		  const char *what, struct pd_error *err)
{
	struct pd_error e0 = { 0 };
	int rc = nl_walk_nested(buf, a, no_op, NULL, &e0);

	if (rc < 0)
		return pd_fail(err, rc, e0.offset, what);
	return nl_walk_nested(buf, a, fn, ctx, err);
}

static uint64_t get_be64(const struct nlattr *a)
{
	struct pd_cursor c = pd_cur_init(mnl_attr_get_payload(a), 8);
	uint32_t hi = 0, lo = 0;

	pd_cur_be32(&c, &hi);
	pd_cur_be32(&c, &lo);
	return (uint64_t)hi << 32 | lo;
}

static uint8_t get_u8(const struct nlattr *a)
{
	return *(const uint8_t *)mnl_attr_get_payload(a);
}

/* ---- tuples ------------------------------------------------------------------------------- */

struct tuple_ctx {
	struct pd_ct_tuple *t;
	int family;
};

static int ip_attr(const uint8_t *buf, const struct nlattr *a, void *vctx, struct pd_error *err)
{
	struct tuple_ctx *tc = vctx;
	uint16_t type = mnl_attr_get_type(a);
	struct pd_nl_addr *dst;
	size_t want;

	switch (type) {
	case CTA_IP_V4_SRC:
	case CTA_IP_V4_DST:
		want = 4;
		break;
	case CTA_IP_V6_SRC:
	case CTA_IP_V6_DST:
		want = 16;
		break;
	default:
		return PD_OK;
	}
	if (mnl_attr_get_payload_len(a) != want)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       want == 4 ? "CTA_IP_V4_SRC/DST is not 4 bytes"
					 : "CTA_IP_V6_SRC/DST is not 16 bytes");
	if ((want == 4) != (tc->family == 4))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "CTA_TUPLE_IP address of another family than the message");
	dst = (type == CTA_IP_V4_SRC || type == CTA_IP_V6_SRC) ? &tc->t->src : &tc->t->dst;
	memset(dst, 0, sizeof(*dst));
	dst->family = tc->family;
	memcpy(dst->addr, mnl_attr_get_payload(a), want);
	return PD_OK;
}

static int proto_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct pd_ct_tuple *t = ((struct tuple_ctx *)vctx)->t;
	uint16_t type = mnl_attr_get_type(a);
	size_t plen = mnl_attr_get_payload_len(a);

	switch (type) {
	case CTA_PROTO_NUM:
		if (plen != 1)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_PROTO_NUM is not 1 byte");
		t->l4proto = get_u8(a);
		t->has |= PD_CT_T_PROTO;
		break;
	case CTA_PROTO_SRC_PORT:
	case CTA_PROTO_DST_PORT:
		if (plen != 2)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_PROTO_SRC/DST_PORT is not 2 bytes");
		if (type == CTA_PROTO_SRC_PORT)
			t->sport = nl_get_be16(a);
		else
			t->dport = nl_get_be16(a);
		t->has |= PD_CT_T_PORTS;
		break;
	case CTA_PROTO_ICMP_ID:
	case CTA_PROTO_ICMPV6_ID:
		if (plen != 2)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_PROTO_ICMP(V6)_ID is not 2 bytes");
		t->icmp_id = nl_get_be16(a);
		t->has |= PD_CT_T_ICMP;
		break;
	case CTA_PROTO_ICMP_TYPE:
	case CTA_PROTO_ICMP_CODE:
	case CTA_PROTO_ICMPV6_TYPE:
	case CTA_PROTO_ICMPV6_CODE:
		if (plen != 1)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_PROTO_ICMP(V6)_TYPE/CODE is not 1 byte");
		if (type == CTA_PROTO_ICMP_TYPE || type == CTA_PROTO_ICMPV6_TYPE)
			t->icmp_type = get_u8(a);
		else
			t->icmp_code = get_u8(a);
		t->has |= PD_CT_T_ICMP;
		break;
	}
	return PD_OK;
}

static int tuple_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct tuple_ctx *tc = vctx;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_IP:
		return nested(buf, a, ip_attr, tc, "CTA_TUPLE_IP: bad nested attribute", err);
	case CTA_TUPLE_PROTO:
		return nested(buf, a, proto_attr, tc, "CTA_TUPLE_PROTO: bad nested attribute",
			      err);
	case CTA_TUPLE_ZONE:
		if (mnl_attr_get_payload_len(a) != 2)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_TUPLE_ZONE is not 2 bytes");
		tc->t->zone = nl_get_be16(a);
		tc->t->has |= PD_CT_T_ZONE;
		break;
	}
	return PD_OK;
}

static int parse_tuple(const uint8_t *buf, const struct nlattr *a, int family,
		       struct pd_ct_tuple *t, const char *bad_nest, const char *incomplete,
		       struct pd_error *err)
{
	struct tuple_ctx tc = { t, family };
	int rc;

	memset(t, 0, sizeof(*t));
	rc = nested(buf, a, tuple_attr, &tc, bad_nest, err);
	if (rc < 0)
		return rc;
	if (!t->src.family || !t->dst.family || !(t->has & PD_CT_T_PROTO))
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), incomplete);
	return PD_OK;
}

/* ---- the entry ---------------------------------------------------------------------------- */

struct entry_ctx {
	struct pd_ct_entry *e;
	bool orig_seen;
};

static int tcp_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		    struct pd_error *err)
{
	struct pd_ct_entry *e = ((struct entry_ctx *)vctx)->e;
	uint16_t type = mnl_attr_get_type(a);

	switch (type) {
	case CTA_PROTOINFO_TCP_STATE:
	case CTA_PROTOINFO_TCP_WSCALE_ORIGINAL:
	case CTA_PROTOINFO_TCP_WSCALE_REPLY:
		if (mnl_attr_get_payload_len(a) != 1)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_PROTOINFO_TCP_STATE/WSCALE is not 1 byte");
		if (type == CTA_PROTOINFO_TCP_STATE) {
			e->tcp_state = get_u8(a);
			e->has |= PD_CT_HAS_TCP_STATE;
		} else if (type == CTA_PROTOINFO_TCP_WSCALE_ORIGINAL) {
			e->tcp_wscale_orig = get_u8(a);
		} else {
			e->tcp_wscale_reply = get_u8(a);
		}
		break;
	}
	return PD_OK;
}

static int protoinfo_attr(const uint8_t *buf, const struct nlattr *a, void *ctx,
			  struct pd_error *err)
{
	if (mnl_attr_get_type(a) != CTA_PROTOINFO_TCP)
		return PD_OK; /* DCCP, SCTP: not decoded */
	return nested(buf, a, tcp_attr, ctx, "CTA_PROTOINFO_TCP: bad nested attribute", err);
}

static int counter_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
			struct pd_error *err)
{
	struct pd_ct_counters *c = vctx;
	uint16_t type = mnl_attr_get_type(a);
	size_t plen = mnl_attr_get_payload_len(a);

	switch (type) {
	case CTA_COUNTERS_PACKETS:
	case CTA_COUNTERS_BYTES:
		if (plen != 8)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_COUNTERS_PACKETS/BYTES is not 8 bytes");
		if (type == CTA_COUNTERS_PACKETS)
			c->packets = get_be64(a);
		else
			c->bytes = get_be64(a);
		break;
	case CTA_COUNTERS32_PACKETS:
	case CTA_COUNTERS32_BYTES:
		if (plen != 4)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_COUNTERS32_PACKETS/BYTES is not 4 bytes");
		if (type == CTA_COUNTERS32_PACKETS)
			c->packets = nl_get_be32(a);
		else
			c->bytes = nl_get_be32(a);
		break;
	}
	return PD_OK;
}

static int tstamp_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		       struct pd_error *err)
{
	struct pd_ct_entry *e = ((struct entry_ctx *)vctx)->e;
	uint16_t type = mnl_attr_get_type(a);

	if (type != CTA_TIMESTAMP_START && type != CTA_TIMESTAMP_STOP)
		return PD_OK;
	if (mnl_attr_get_payload_len(a) != 8)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
			       "CTA_TIMESTAMP_START/STOP is not 8 bytes");
	if (type == CTA_TIMESTAMP_START)
		e->ts_start = get_be64(a);
	else
		e->ts_stop = get_be64(a);
	return PD_OK;
}

/* A be32 top-level attribute into *v, flagging `bit`. */
static int top_u32(const uint8_t *buf, const struct nlattr *a, uint32_t *v, uint32_t bit,
		   struct pd_ct_entry *e, const char *what, struct pd_error *err)
{
	if (mnl_attr_get_payload_len(a) != 4)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	*v = nl_get_be32(a);
	e->has |= bit;
	return PD_OK;
}

static int entry_attr(const uint8_t *buf, const struct nlattr *a, void *vctx,
		      struct pd_error *err)
{
	struct entry_ctx *ec = vctx;
	struct pd_ct_entry *e = ec->e;
	int rc;

	switch (mnl_attr_get_type(a)) {
	case CTA_TUPLE_ORIG:
		rc = parse_tuple(buf, a, e->family, &e->orig,
				 "CTA_TUPLE_ORIG: bad nested attribute",
				 "CTA_TUPLE_ORIG without addresses or protocol", err);
		if (rc == PD_OK)
			ec->orig_seen = true;
		return rc;
	case CTA_TUPLE_REPLY:
		rc = parse_tuple(buf, a, e->family, &e->reply,
				 "CTA_TUPLE_REPLY: bad nested attribute",
				 "CTA_TUPLE_REPLY without addresses or protocol", err);
		if (rc == PD_OK)
			e->has |= PD_CT_HAS_REPLY;
		return rc;
	case CTA_STATUS:
		return top_u32(buf, a, &e->status, PD_CT_HAS_STATUS, e,
			       "CTA_STATUS is not 4 bytes", err);
	case CTA_TIMEOUT:
		return top_u32(buf, a, &e->timeout, PD_CT_HAS_TIMEOUT, e,
			       "CTA_TIMEOUT is not 4 bytes", err);
	case CTA_MARK:
		return top_u32(buf, a, &e->mark, PD_CT_HAS_MARK, e, "CTA_MARK is not 4 bytes",
			       err);
	case CTA_ID:
		return top_u32(buf, a, &e->id, PD_CT_HAS_ID, e, "CTA_ID is not 4 bytes", err);
	case CTA_USE:
		return top_u32(buf, a, &e->use, PD_CT_HAS_USE, e, "CTA_USE is not 4 bytes", err);
	case CTA_ZONE:
		if (mnl_attr_get_payload_len(a) != 2)
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a),
				       "CTA_ZONE is not 2 bytes");
		e->zone = nl_get_be16(a);
		e->has |= PD_CT_HAS_ZONE;
		return PD_OK;
	case CTA_PROTOINFO:
		return nested(buf, a, protoinfo_attr, ec, "CTA_PROTOINFO: bad nested attribute",
			      err);
	case CTA_COUNTERS_ORIG:
		e->has |= PD_CT_HAS_CTR_ORIG;
		return nested(buf, a, counter_attr, &e->ctr_orig,
			      "CTA_COUNTERS_ORIG: bad nested attribute", err);
	case CTA_COUNTERS_REPLY:
		e->has |= PD_CT_HAS_CTR_REPLY;
		return nested(buf, a, counter_attr, &e->ctr_reply,
			      "CTA_COUNTERS_REPLY: bad nested attribute", err);
	case CTA_TIMESTAMP:
		e->has |= PD_CT_HAS_TSTAMP;
		return nested(buf, a, tstamp_attr, ec, "CTA_TIMESTAMP: bad nested attribute",
			      err);
	case CTA_LABELS:
		e->has |= PD_CT_HAS_LABELS;
		return PD_OK;
	}
	return PD_OK;
}

int pd_ct_parse(const void *vbuf, size_t len, struct pd_ct_entry *out, struct pd_error *err)
{
	const uint8_t *buf = vbuf;
	const struct nlmsghdr *nlh;
	struct pd_cursor c;
	struct entry_ctx ec;
	struct pd_ct_entry e;
	uint8_t fam = 0;
	size_t off = 0;
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_parse: out is NULL");
	rc = nl_check_buf(buf, len, err);
	if (rc < 0)
		return rc;
	rc = nl_next_msg(buf, len, &off, &nlh, err);
	if (rc < 0)
		return rc;
	if (rc == 0)
		return pd_fail(err, PD_ERR_TRUNCATED, 0, "no netlink message in the buffer");
	if (NFNL_SUBSYS_ID(nlh->nlmsg_type) != NFNL_SUBSYS_CTNETLINK)
		return pd_fail(err, PD_ERR_UNSUPPORTED, 4, "not a ctnetlink message");
	memset(&e, 0, sizeof(e));
	switch (NFNL_MSG_TYPE(nlh->nlmsg_type)) {
	case IPCTNL_MSG_CT_NEW:
		/* Dump and get replies are NEW messages too: no create, no
		 * event; a dump entry carries NLM_F_MULTI. */
		if (nlh->nlmsg_flags & NLM_F_MULTI)
			e.event = PD_CT_EV_NONE;
		else if (nlh->nlmsg_flags & NLM_F_CREATE)
			e.event = PD_CT_EV_NEW;
		else if (nlh->nlmsg_seq == 0)
			e.event = PD_CT_EV_UPDATE; /* events carry sequence 0 */
		break;
	case IPCTNL_MSG_CT_DELETE:
		e.event = PD_CT_EV_DESTROY;
		break;
	default:
		return pd_fail(err, PD_ERR_UNSUPPORTED, 4, "ctnetlink message is not CT_NEW/DELETE");
	}
	c = pd_cur_init(buf + sizeof(*nlh), nlh->nlmsg_len - sizeof(*nlh));
	if (!pd_cur_u8(&c, &fam) || !pd_cur_skip(&c, 3))
		return pd_fail(err, PD_ERR_TRUNCATED, sizeof(*nlh),
			       "ctnetlink message shorter than its nfgenmsg");
	if (fam == AF_INET)
		e.family = 4;
	else if (fam == AF_INET6)
		e.family = 6;
	else
		return pd_fail(err, PD_ERR_UNSUPPORTED, sizeof(*nlh),
			       "nfgenmsg family is neither AF_INET nor AF_INET6");
	ec.e = &e;
	ec.orig_seen = false;
	rc = nl_walk_attrs(buf, MNL_ALIGN(sizeof(*nlh) + 4), nlh->nlmsg_len, entry_attr, &ec, err);
	if (rc < 0)
		return rc;
	if (!ec.orig_seen)
		return pd_fail(err, PD_ERR_MALFORMED, 0, "ctnetlink message has no CTA_TUPLE_ORIG");
	e.l4proto = e.orig.l4proto;
	*out = e;
	return PD_OK;
}

/* ---- NAT ---------------------------------------------------------------------------------- */

static bool has_ports(const struct pd_ct_tuple *t)
{
	return (t->has & PD_CT_T_PORTS) != 0;
}

unsigned pd_ct_nat(const struct pd_ct_entry *e, struct pd_ct_nat *out)
{
	struct pd_ct_nat n;
	const struct pd_ct_tuple *o = &e->orig, *r = &e->reply;

	memset(&n, 0, sizeof(n));
	if (e->has & PD_CT_HAS_REPLY) {
		bool sport_moved, dport_moved;

		if (has_ports(o) && has_ports(r)) {
			sport_moved = r->dport != o->sport;
			dport_moved = r->sport != o->dport;
		} else if ((o->has & PD_CT_T_ICMP) && (r->has & PD_CT_T_ICMP)) {
			/* The id is the only "port" ICMP has: NAT rewrites
			 * it at the source. */
			sport_moved = r->icmp_id != o->icmp_id;
			dport_moved = false;
		} else {
			sport_moved = dport_moved = false;
		}
		if (!pd_nl_addr_equal(&r->dst, &o->src) || sport_moved)
			n.kind |= PD_CT_SNAT;
		if (!pd_nl_addr_equal(&r->src, &o->dst) || dport_moved)
			n.kind |= PD_CT_DNAT;
		n.snat_addr = r->dst;
		n.snat_port = has_ports(r) ? r->dport : r->icmp_id;
		n.dnat_addr = r->src;
		n.dnat_port = has_ports(r) ? r->sport : 0;
	}
	if (out)
		*out = n;
	return n.kind;
}

/* ---- names and text ------------------------------------------------------------------------- */

const char *pd_ct_tcp_state_name(uint8_t state)
{
	static const char *const names[] = {
		"NONE", "SYN_SENT", "SYN_RECV", "ESTABLISHED", "FIN_WAIT",
		"CLOSE_WAIT", "LAST_ACK", "TIME_WAIT", "CLOSE", "SYN_SENT2",
	};

	return state < sizeof(names) / sizeof(names[0]) ? names[state] : "UNKNOWN";
}

const char *pd_ct_l4_name(uint8_t proto)
{
	switch (proto) {
	case IPPROTO_TCP: return "tcp";
	case IPPROTO_UDP: return "udp";
	case IPPROTO_ICMP: return "icmp";
	case IPPROTO_ICMPV6: return "icmpv6";
	case IPPROTO_SCTP: return "sctp";
	case IPPROTO_DCCP: return "dccp";
	case IPPROTO_UDPLITE: return "udplite";
	case IPPROTO_GRE: return "gre";
	}
	return "unknown";
}

const char *pd_ct_event_name(uint8_t event)
{
	switch (event) {
	case PD_CT_EV_NONE: return "entry";
	case PD_CT_EV_NEW: return "new";
	case PD_CT_EV_UPDATE: return "update";
	case PD_CT_EV_DESTROY: return "destroy";
	}
	return "unknown";
}

/* Appends to a bounded buffer, counting what the whole text needs. */
struct sbuf {
	char *p;
	size_t len, need;
};

static void put(struct sbuf *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static void put(struct sbuf *s, const char *fmt, ...)
{
	va_list ap;
	size_t room = s->need < s->len ? s->len - s->need : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? s->p + s->need : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		s->need += (size_t)n;
}

const char *pd_ct_status_str(uint32_t status, char *buf, size_t len)
{
	static const struct {
		uint32_t bit;
		const char *name;
	} bits[] = {
		{ PD_CT_S_EXPECTED, "EXPECTED" },     { PD_CT_S_SEEN_REPLY, "SEEN_REPLY" },
		{ PD_CT_S_ASSURED, "ASSURED" },       { PD_CT_S_CONFIRMED, "CONFIRMED" },
		{ PD_CT_S_SRC_NAT, "SRC_NAT" },       { PD_CT_S_DST_NAT, "DST_NAT" },
		{ PD_CT_S_DYING, "DYING" },           { PD_CT_S_OFFLOAD, "OFFLOAD" },
		{ PD_CT_S_HW_OFFLOAD, "HW_OFFLOAD" },
	};
	struct sbuf s = { buf, len, 0 };
	size_t i;

	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	for (i = 0; i < sizeof(bits) / sizeof(bits[0]); i++)
		if (status & bits[i].bit)
			put(&s, "%s%s", s.need ? "|" : "", bits[i].name);
	return buf;
}

static void put_tuple(struct sbuf *s, const struct pd_ct_tuple *t)
{
	char a[PD_NL_ADDRSTRLEN], b[PD_NL_ADDRSTRLEN];

	put(s, "src=%s dst=%s ", pd_nl_addr_str(&t->src, a, sizeof(a)),
	    pd_nl_addr_str(&t->dst, b, sizeof(b)));
	if (t->has & PD_CT_T_PORTS)
		put(s, "sport=%u dport=%u ", t->sport, t->dport);
	else if (t->has & PD_CT_T_ICMP)
		put(s, "type=%u code=%u id=%u ", t->icmp_type, t->icmp_code, t->icmp_id);
}

static void put_ctr(struct sbuf *s, const struct pd_ct_counters *c)
{
	put(s, "packets=%llu bytes=%llu ", (unsigned long long)c->packets,
	    (unsigned long long)c->bytes);
}

size_t pd_ct_format(const struct pd_ct_entry *e, unsigned flags, char *buf, size_t len)
{
	struct sbuf s = { buf, len, 0 };

	if (buf && len)
		buf[0] = '\0';
	if (!e)
		return 0;
	if (flags & PD_CT_FMT_EXTENDED)
		put(&s, "%-8s %u ", e->family == 6 ? "ipv6" : "ipv4",
		    e->family == 6 ? AF_INET6 : AF_INET);
	put(&s, "%-8s %u ", pd_ct_l4_name(e->l4proto), e->l4proto);
	if (e->has & PD_CT_HAS_TIMEOUT)
		put(&s, "%u ", e->timeout);
	if (e->has & PD_CT_HAS_TCP_STATE)
		put(&s, "%s ", pd_ct_tcp_state_name(e->tcp_state));
	put_tuple(&s, &e->orig);
	if (e->orig.has & PD_CT_T_ZONE)
		put(&s, "zone-orig=%u ", e->orig.zone);
	if (e->has & PD_CT_HAS_CTR_ORIG)
		put_ctr(&s, &e->ctr_orig);
	if ((e->has & PD_CT_HAS_STATUS) && !(e->status & PD_CT_S_SEEN_REPLY))
		put(&s, "[UNREPLIED] ");
	if (e->has & PD_CT_HAS_REPLY) {
		put_tuple(&s, &e->reply);
		if (e->reply.has & PD_CT_T_ZONE)
			put(&s, "zone-reply=%u ", e->reply.zone);
	}
	if (e->has & PD_CT_HAS_CTR_REPLY)
		put_ctr(&s, &e->ctr_reply);
	if (e->status & PD_CT_S_OFFLOAD)
		put(&s, "[%s] ", e->status & PD_CT_S_HW_OFFLOAD ? "HW_OFFLOAD" : "OFFLOAD");
	if (e->status & PD_CT_S_ASSURED)
		put(&s, "[ASSURED] ");
	if (e->has & PD_CT_HAS_MARK)
		put(&s, "mark=%u ", e->mark);
	if (e->has & PD_CT_HAS_ZONE)
		put(&s, "zone=%u ", e->zone);
	if (e->has & PD_CT_HAS_USE)
		put(&s, "use=%u ", e->use);
	if ((flags & PD_CT_FMT_ID) && (e->has & PD_CT_HAS_ID))
		put(&s, "id=%u ", e->id);
	/* No trailing blank. */
	if (s.need) {
		s.need--;
		if (buf && len)
			buf[s.need < len ? s.need : len - 1] = '\0';
	}
	return s.need;
}

/* ---- filters -------------------------------------------------------------------------------- */

static bool prefix_match(const struct pd_ct_prefix *p, const struct pd_nl_addr *a)
{
	unsigned full, rest;

	if (p->addr.family != a->family)
		return false;
	full = p->len / 8;
	rest = p->len % 8;
	if (memcmp(p->addr.addr, a->addr, full))
		return false;
	if (rest) {
		uint8_t m = (uint8_t)(0xffu << (8 - rest));

		if ((p->addr.addr[full] & m) != (a->addr[full] & m))
			return false;
	}
	return true;
}

static bool port_is(const struct pd_ct_tuple *t, bool src, uint16_t port)
{
	if (!(t->has & PD_CT_T_PORTS))
		return false;
	return (src ? t->sport : t->dport) == port;
}

bool pd_ct_filter_match(const struct pd_ct_filter *f, const struct pd_ct_entry *e)
{
	const struct pd_ct_tuple *o = &e->orig, *r = &e->reply;
	bool rep = (e->has & PD_CT_HAS_REPLY) != 0;
	uint32_t h;

	if (!f || !f->has)
		return true;
	h = f->has;
	if ((h & PD_CTF_FAMILY) && e->family != f->family)
		return false;
	if ((h & PD_CTF_PROTO) && e->l4proto != f->l4proto)
		return false;
	if ((h & PD_CTF_ORIG_SRC) && !prefix_match(&f->orig_src, &o->src))
		return false;
	if ((h & PD_CTF_ORIG_DST) && !prefix_match(&f->orig_dst, &o->dst))
		return false;
	if ((h & PD_CTF_REPLY_SRC) && (!rep || !prefix_match(&f->reply_src, &r->src)))
		return false;
	if ((h & PD_CTF_REPLY_DST) && (!rep || !prefix_match(&f->reply_dst, &r->dst)))
		return false;
	if ((h & PD_CTF_ADDR) && !prefix_match(&f->addr, &o->src) &&
	    !prefix_match(&f->addr, &o->dst) &&
	    (!rep || (!prefix_match(&f->addr, &r->src) && !prefix_match(&f->addr, &r->dst))))
		return false;
	if ((h & PD_CTF_ORIG_SPORT) && !port_is(o, true, f->orig_sport))
		return false;
	if ((h & PD_CTF_ORIG_DPORT) && !port_is(o, false, f->orig_dport))
		return false;
	if ((h & PD_CTF_REPLY_SPORT) && (!rep || !port_is(r, true, f->reply_sport)))
		return false;
	if ((h & PD_CTF_REPLY_DPORT) && (!rep || !port_is(r, false, f->reply_dport)))
		return false;
	if ((h & PD_CTF_PORT) && !port_is(o, true, f->port) && !port_is(o, false, f->port) &&
	    (!rep || (!port_is(r, true, f->port) && !port_is(r, false, f->port))))
		return false;
	if ((h & PD_CTF_MARK) && (e->mark & f->mark_mask) != f->mark_value)
		return false;
	if ((h & PD_CTF_ZONE) && e->zone != f->zone)
		return false;
	if ((h & PD_CTF_STATUS) && (e->status & f->status_mask) != f->status_value)
		return false;
	if ((h & PD_CTF_NAT) && !(pd_ct_nat(e, NULL) & f->nat))
		return false;
	return true;
}

int pd_ct_prefix_parse(const char *s, struct pd_ct_prefix *p, struct pd_error *err)
{
	char tmp[PD_NL_ADDRSTRLEN + 8];
	const char *slash;
	unsigned long n = 0;
	int rc;

	if (!s || !p)
		return pd_fail(err, PD_ERR_INVAL, 0, "prefix or output is NULL");
	memset(p, 0, sizeof(*p));
	slash = strchr(s, '/');
	if (!slash) {
		rc = pd_nl_addr_parse(s, &p->addr, err);
		if (rc < 0)
			return rc;
		p->len = p->addr.family == 4 ? 32 : 128;
		return PD_OK;
	}
	if ((size_t)(slash - s) >= sizeof(tmp))
		return pd_fail(err, PD_ERR_INVAL, 0, "prefix address too long");
	memcpy(tmp, s, (size_t)(slash - s));
	tmp[slash - s] = '\0';
	rc = pd_nl_addr_parse(tmp, &p->addr, err);
	if (rc < 0)
		return rc;
	if (!slash[1])
		return pd_fail(err, PD_ERR_INVAL, (size_t)(slash - s) + 1, "prefix length missing");
	for (const char *q = slash + 1; *q; q++) {
		if (*q < '0' || *q > '9' || n > 128)
			return pd_fail(err, PD_ERR_INVAL, (size_t)(q - s), "prefix length is not a number");
		n = n * 10 + (unsigned long)(*q - '0');
	}
	if (n > (p->addr.family == 4 ? 32u : 128u)) {
		memset(p, 0, sizeof(*p));
		return pd_fail(err, PD_ERR_INVAL, (size_t)(slash - s) + 1,
			       "prefix length longer than the address");
	}
	p->len = (uint8_t)n;
	return PD_OK;
}
