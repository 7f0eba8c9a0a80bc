/* ct.c - the socket half of pathdiag/conntrack.h: a NETLINK_NETFILTER
 * socket, streaming dumps with kernel-side filters (CTA_MARK/_MASK,
 * CTA_ZONE, CTA_STATUS/_MASK, CTA_FILTER + CTA_TUPLE_ORIG/REPLY of Linux
 * 5.8+), get, create and delete by tuple, and event subscription
 * (NFNLGRP_CONNTRACK_NEW/UPDATE/DESTROY) with overruns reported.
 * Spec: include/uapi/linux/netfilter/nfnetlink{,_conntrack}.h.
 *
 *   request: | nlmsghdr type = CTNETLINK << 8 | IPCTNL_MSG_CT_GET (NLM_F_DUMP) |
 *            | nfgenmsg family (AF_UNSPEC: all) | [CTA_MARK CTA_MARK_MASK]
 *            | [CTA_ZONE] [CTA_STATUS CTA_STATUS_MASK]
 *            | [CTA_FILTER [ORIG_FLAGS u32, REPLY_FLAGS u32] CTA_TUPLE_ORIG/REPLY] |
 */
#include <errno.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include <arpa/inet.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nfnetlink_conntrack.h>
#include <netinet/in.h>

#include <pathdiag/conntrack.h>

#include "nl_internal.h"

/* The kernel fills dump datagrams up to 32 KiB; room for any of them. */
#define CT_RX_SIZE 65536u
/* Requests of a create batch share one datagram of at most this size. */
#define CT_TX_SIZE 65536u
#define CT_DEFAULT_RCVBUF (8 << 20)
#define CT_TIMEOUT_SEC 10

/* CTA_FILTER flags (kernel net/netfilter/nf_conntrack_netlink.c, 5.8+;
 * not in every uapi header). */
#define CTF_IP_SRC (1u << 0)
#define CTF_IP_DST (1u << 1)
#define CTF_PROTO_NUM (1u << 3)
#define CTF_PROTO_SRC_PORT (1u << 4)
#define CTF_PROTO_DST_PORT (1u << 5)

struct pd_ct {
	struct mnl_socket *s;
	uint32_t portid;
	uint32_t seq;
	unsigned groups;
	uint64_t overruns;
	uint8_t *rx;
	uint8_t *tx;
};

static int sys_fail(struct pd_error *err, const char *what, int e)
{
	if (e == EPERM || e == EACCES)
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN (conntrack over netlink)", e);
	return nl_fail_errno(err, PD_ERR_SYSTEM, what, e);
}

int pd_ct_open(struct pd_ct **out, const struct pd_ct_opts *opts, struct pd_error *err)
{
	struct timeval tv = { .tv_sec = CT_TIMEOUT_SEC };
	unsigned groups = opts ? opts->groups : 0, bind_groups = 0;
	int rcvbuf = opts && opts->rcvbuf > 0 ? opts->rcvbuf : CT_DEFAULT_RCVBUF;
	struct pd_ct *ct;
	int fd, e;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_open: out is NULL");
	*out = NULL;
	if (groups & ~(PD_CT_GRP_NEW | PD_CT_GRP_UPDATE | PD_CT_GRP_DESTROY))
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_open: unknown event group");
	ct = calloc(1, sizeof(*ct));
	if (!ct)
		return pd_fail(err, PD_ERR_NOMEM, 0, "conntrack handle");
	ct->rx = malloc(CT_RX_SIZE);
	ct->tx = malloc(CT_TX_SIZE);
	if (!ct->rx || !ct->tx) {
		pd_ct_close(ct);
		return pd_fail(err, PD_ERR_NOMEM, 0, "conntrack buffers");
	}
	ct->s = mnl_socket_open(NETLINK_NETFILTER);
	if (!ct->s) {
		e = errno;
		pd_ct_close(ct);
		return sys_fail(err, "NETLINK_NETFILTER socket could not be opened", e);
	}
	fd = mnl_socket_get_fd(ct->s);
	/* A large buffer: events come in bursts, and a dump's datagrams must
	 * not be dropped while the callback works.  FORCE passes rmem_max
	 * when privileged; otherwise the kernel caps SO_RCVBUF. */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof(rcvbuf)) < 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	if (!groups)
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	/* The legacy group bitmask: bit NFNLGRP_X - 1. */
	if (groups & PD_CT_GRP_NEW)
		bind_groups |= 1u << (NFNLGRP_CONNTRACK_NEW - 1);
	if (groups & PD_CT_GRP_UPDATE)
		bind_groups |= 1u << (NFNLGRP_CONNTRACK_UPDATE - 1);
	if (groups & PD_CT_GRP_DESTROY)
		bind_groups |= 1u << (NFNLGRP_CONNTRACK_DESTROY - 1);
	if (mnl_socket_bind(ct->s, bind_groups, MNL_SOCKET_AUTOPID) < 0) {
		e = errno;
		pd_ct_close(ct);
		return sys_fail(err, "NETLINK_NETFILTER socket could not be bound", e);
	}
	ct->portid = mnl_socket_get_portid(ct->s);
	ct->groups = groups;
	ct->seq = (uint32_t)time(NULL) | 1u; /* never 0: events carry sequence 0 */
	*out = ct;
	return PD_OK;
}

void pd_ct_close(struct pd_ct *ct)
{
	if (!ct)
		return;
	if (ct->s)
		mnl_socket_close(ct->s);
	free(ct->rx);
	free(ct->tx);
	free(ct);
}

int pd_ct_fd(const struct pd_ct *ct)
{
	return ct && ct->s ? mnl_socket_get_fd(ct->s) : -1;
}

uint64_t pd_ct_overruns(const struct pd_ct *ct)
{
	return ct ? ct->overruns : 0;
}

static uint32_t next_seq(struct pd_ct *ct)
{
	if (++ct->seq == 0)
		ct->seq = 1;
	return ct->seq;
}

/* ---- request building ------------------------------------------------------------------- */

static struct nlmsghdr *put_req(void *at, uint8_t msg, uint16_t flags, int family, uint32_t seq)
{
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(at);
	struct nfgenmsg *nfg;

	nlh->nlmsg_type = (NFNL_SUBSYS_CTNETLINK << 8) | msg;
	nlh->nlmsg_flags = NLM_F_REQUEST | flags;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = family == 4 ? AF_INET : family == 6 ? AF_INET6 : AF_UNSPEC;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	return nlh;
}

static bool port_proto(uint8_t p)
{
	return p == IPPROTO_TCP || p == IPPROTO_UDP || p == IPPROTO_SCTP || p == IPPROTO_DCCP ||
	       p == 136 /* UDP-Lite */;
}

/* A tuple as nested attribute `type`; only the fields in `what` (CTF_*
 * bits; ~0u: all that t has). */
static void put_tuple(struct nlmsghdr *nlh, uint16_t type, const struct pd_ct_tuple *t,
		      unsigned what)
{
	struct nlattr *tup = mnl_attr_nest_start(nlh, type), *n;
	bool v6 = t->src.family == 6 || t->dst.family == 6;

	if (what & (CTF_IP_SRC | CTF_IP_DST)) {
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_IP);
		if ((what & CTF_IP_SRC) && t->src.family)
			mnl_attr_put(nlh, v6 ? CTA_IP_V6_SRC : CTA_IP_V4_SRC, v6 ? 16 : 4,
				     t->src.addr);
		if ((what & CTF_IP_DST) && t->dst.family)
			mnl_attr_put(nlh, v6 ? CTA_IP_V6_DST : CTA_IP_V4_DST, v6 ? 16 : 4,
				     t->dst.addr);
		mnl_attr_nest_end(nlh, n);
	}
	if (what & CTF_PROTO_NUM) {
		n = mnl_attr_nest_start(nlh, CTA_TUPLE_PROTO);
		mnl_attr_put_u8(nlh, CTA_PROTO_NUM, t->l4proto);
		if (port_proto(t->l4proto)) {
			if (what & CTF_PROTO_SRC_PORT)
				mnl_attr_put_u16(nlh, CTA_PROTO_SRC_PORT, htons(t->sport));
			if (what & CTF_PROTO_DST_PORT)
				mnl_attr_put_u16(nlh, CTA_PROTO_DST_PORT, htons(t->dport));
		} else if (what == ~0u && t->l4proto == IPPROTO_ICMP) {
			mnl_attr_put_u16(nlh, CTA_PROTO_ICMP_ID, htons(t->icmp_id));
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_TYPE, t->icmp_type);
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMP_CODE, t->icmp_code);
		} else if (what == ~0u && t->l4proto == IPPROTO_ICMPV6) {
			mnl_attr_put_u16(nlh, CTA_PROTO_ICMPV6_ID, htons(t->icmp_id));
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_TYPE, t->icmp_type);
			mnl_attr_put_u8(nlh, CTA_PROTO_ICMPV6_CODE, t->icmp_code);
		}
		mnl_attr_nest_end(nlh, n);
	}
	mnl_attr_nest_end(nlh, tup);
}

static int tuple_ok(const struct pd_ct_tuple *t, struct pd_error *err)
{
	if ((t->src.family != 4 && t->src.family != 6) || t->src.family != t->dst.family)
		return pd_fail(err, PD_ERR_INVAL, 0, "tuple addresses missing or of two families");
	return PD_OK;
}

/* The tuple fields of f the kernel can match exactly (CTA_FILTER): one
 * prefix of full length, ports only with the protocol known. */
static unsigned kflags(const struct pd_ct_filter *f, bool reply, struct pd_ct_tuple *t)
{
	uint32_t src = reply ? PD_CTF_REPLY_SRC : PD_CTF_ORIG_SRC;
	uint32_t dst = reply ? PD_CTF_REPLY_DST : PD_CTF_ORIG_DST;
	uint32_t sp = reply ? PD_CTF_REPLY_SPORT : PD_CTF_ORIG_SPORT;
	uint32_t dp = reply ? PD_CTF_REPLY_DPORT : PD_CTF_ORIG_DPORT;
	const struct pd_ct_prefix *ps = reply ? &f->reply_src : &f->orig_src;
	const struct pd_ct_prefix *pdst = reply ? &f->reply_dst : &f->orig_dst;
	unsigned fl = 0;

	memset(t, 0, sizeof(*t));
	if ((f->has & src) && ps->len == (ps->addr.family == 4 ? 32 : 128)) {
		t->src = ps->addr;
		fl |= CTF_IP_SRC;
	}
	if ((f->has & dst) && pdst->len == (pdst->addr.family == 4 ? 32 : 128)) {
		t->dst = pdst->addr;
		fl |= CTF_IP_DST;
	}
	if (f->has & PD_CTF_PROTO) {
		t->l4proto = f->l4proto;
		fl |= CTF_PROTO_NUM;
		if (port_proto(f->l4proto) && (f->has & sp)) {
			t->sport = reply ? f->reply_sport : f->orig_sport;
			fl |= CTF_PROTO_SRC_PORT;
		}
		if (port_proto(f->l4proto) && (f->has & dp)) {
			t->dport = reply ? f->reply_dport : f->orig_dport;
			fl |= CTF_PROTO_DST_PORT;
		}
	}
	return fl;
}

/* The filter family: stated, or implied by an address the filter needs. */
static int filter_family(const struct pd_ct_filter *f)
{
	const struct pd_ct_prefix *p[] = { &f->orig_src, &f->orig_dst, &f->reply_src,
					   &f->reply_dst };
	const uint32_t bit[] = { PD_CTF_ORIG_SRC, PD_CTF_ORIG_DST, PD_CTF_REPLY_SRC,
				 PD_CTF_REPLY_DST };
	size_t i;

	if (f->has & PD_CTF_FAMILY)
		return f->family;
	for (i = 0; i < 4; i++)
		if ((f->has & bit[i]) && p[i]->addr.family)
			return p[i]->addr.family;
	return 0;
}

/* Build the dump request; *kf = the PD_CTF_* bits the kernel applies. */
static struct nlmsghdr *dump_req(struct pd_ct *ct, const struct pd_ct_filter *f, bool kfilter,
				 unsigned *kf)
{
	struct pd_ct_filter none = { 0 };
	int family;
	struct nlmsghdr *nlh;

	*kf = 0;
	if (!f || !kfilter)
		f = &none;
	family = filter_family(f);
	nlh = put_req(ct->tx, IPCTNL_MSG_CT_GET, NLM_F_DUMP, family, next_seq(ct));
	if (family)
		*kf |= PD_CTF_FAMILY;
	if (f->has & PD_CTF_MARK) {
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(f->mark_value));
		mnl_attr_put_u32(nlh, CTA_MARK_MASK, htonl(f->mark_mask));
		*kf |= PD_CTF_MARK;
	}
	/* The kernel reads zone 0 as "no zone filter". */
	if ((f->has & PD_CTF_ZONE) && f->zone) {
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(f->zone));
		*kf |= PD_CTF_ZONE;
	}
	/* A zero mask is refused (EINVAL) by the kernel. */
	if ((f->has & PD_CTF_STATUS) && f->status_mask) {
		mnl_attr_put_u32(nlh, CTA_STATUS, htonl(f->status_value));
		mnl_attr_put_u32(nlh, CTA_STATUS_MASK, htonl(f->status_mask));
		*kf |= PD_CTF_STATUS;
	}
	if (family) {
		struct pd_ct_tuple to, tr;
		unsigned fo = kflags(f, false, &to), fr = kflags(f, true, &tr);

		if (fo || fr) {
			struct nlattr *n = mnl_attr_nest_start(nlh, CTA_FILTER);

			mnl_attr_put_u32(nlh, CTA_FILTER_ORIG_FLAGS, fo);
			mnl_attr_put_u32(nlh, CTA_FILTER_REPLY_FLAGS, fr);
			mnl_attr_nest_end(nlh, n);
			if (fo)
				put_tuple(nlh, CTA_TUPLE_ORIG, &to, fo);
			if (fr)
				put_tuple(nlh, CTA_TUPLE_REPLY, &tr, fr);
			if ((fo | fr) & CTF_PROTO_NUM)
				*kf |= PD_CTF_PROTO;
			*kf |= (fo & CTF_IP_SRC ? PD_CTF_ORIG_SRC : 0) |
			       (fo & CTF_IP_DST ? PD_CTF_ORIG_DST : 0) |
			       (fr & CTF_IP_SRC ? PD_CTF_REPLY_SRC : 0) |
			       (fr & CTF_IP_DST ? PD_CTF_REPLY_DST : 0) |
			       (fo & CTF_PROTO_SRC_PORT ? PD_CTF_ORIG_SPORT : 0) |
			       (fo & CTF_PROTO_DST_PORT ? PD_CTF_ORIG_DPORT : 0) |
			       (fr & CTF_PROTO_SRC_PORT ? PD_CTF_REPLY_SPORT : 0) |
			       (fr & CTF_PROTO_DST_PORT ? PD_CTF_REPLY_DPORT : 0);
		}
	}
	return nlh;
}

/* ---- receiving -------------------------------------------------------------------------- */

static int errno_status(int e, struct pd_error *err)
{
	switch (e) {
	case ENOENT:
		return nl_fail_errno(err, PD_ERR_NOTFOUND, "no such conntrack entry", e);
	case EEXIST:
		return nl_fail_errno(err, PD_ERR_INVAL, "conntrack entry exists already", e);
	case EPERM:
	case EACCES:
		return nl_fail_errno(err, PD_ERR_PERM, "CAP_NET_ADMIN (conntrack over netlink)", e);
	case ENOMEM:
		return nl_fail_errno(err, PD_ERR_NOMEM, "kernel out of memory for conntrack", e);
	case EOPNOTSUPP:
		return nl_fail_errno(err, PD_ERR_UNSUPPORTED, "request not supported by the kernel",
				     e);
	}
	return nl_fail_errno(err, PD_ERR_SYSTEM, "ctnetlink request refused by the kernel", e);
}

/* One datagram into ct->rx: its length, or a negative status. */
static ssize_t recv_one(struct pd_ct *ct, struct pd_error *err)
{
	for (;;) {
		ssize_t n = mnl_socket_recvfrom(ct->s, ct->rx, CT_RX_SIZE);

		if (n >= 0)
			return n;
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return nl_fail_errno(err, PD_ERR_TIMEOUT, "no ctnetlink reply from the kernel",
					     errno);
		if (errno == ENOBUFS)
			return nl_fail_errno(err, PD_ERR_SYSTEM,
					     "ctnetlink socket overrun: messages were lost", errno);
		return sys_fail(err, "ctnetlink receive failed", errno);
	}
}

static int send_req(struct pd_ct *ct, const struct nlmsghdr *nlh, size_t len,
		    struct pd_error *err)
{
	if (mnl_socket_sendto(ct->s, nlh, len) < 0)
		return sys_fail(err, "ctnetlink request could not be sent", errno);
	return PD_OK;
}

/* The errno an NLMSG_ERROR or NLMSG_DONE carries (0 for an ack / plain DONE). */
static int msg_errno(const struct nlmsghdr *nlh)
{
	int32_t e = 0;

	if (mnl_nlmsg_get_payload_len(nlh) >= sizeof(e))
		memcpy(&e, mnl_nlmsg_get_payload(nlh), sizeof(e));
	return e < 0 && e != INT32_MIN ? -e : 0;
}

/* Receive datagrams and hand each message to fn until fn sets *done (then
 * 0) or returns non-zero (returned as is).  *datagrams counts reads. */
typedef int (*msg_fn)(struct pd_ct *ct, const struct nlmsghdr *nlh, void *ctx, bool *done,
		      struct pd_error *err);

static int recv_msgs(struct pd_ct *ct, msg_fn fn, void *ctx, uint64_t *datagrams,
		     struct pd_error *err)
{
	bool done = false;

	while (!done) {
		ssize_t n = recv_one(ct, err);
		const struct nlmsghdr *nlh;
		size_t off = 0;
		int rc = 0;

		if (n < 0)
			return (int)n;
		if (datagrams)
			(*datagrams)++;
		while (!done && (rc = nl_next_msg(ct->rx, (size_t)n, &off, &nlh, err)) > 0) {
			rc = fn(ct, nlh, ctx, &done, err);
			if (rc)
				return rc;
		}
		if (rc < 0)
			return rc;
	}
	return PD_OK;
}

struct dump_ctx {
	const struct pd_ct_filter *f;
	pd_ct_cb cb;
	void *cbctx;
	struct pd_ct_dump_stats *st;
	uint32_t seq;
	bool retry;
};

static int dump_msg(struct pd_ct *ct, const struct nlmsghdr *nlh, void *vctx, bool *done,
		    struct pd_error *err)
{
	struct dump_ctx *d = vctx;
	struct pd_ct_entry e;
	int rc, e_no;

	if (nlh->nlmsg_seq != d->seq || (nlh->nlmsg_pid && nlh->nlmsg_pid != ct->portid))
		return 0; /* the tail of an earlier, abandoned dump */
	if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
		d->st->interrupted = true;
	switch (nlh->nlmsg_type) {
	case NLMSG_NOOP:
		return 0;
	case NLMSG_DONE:
	case NLMSG_ERROR:
		*done = true;
		e_no = msg_errno(nlh);
		if (nlh->nlmsg_type == NLMSG_ERROR && (e_no == EINVAL || e_no == EOPNOTSUPP) &&
		    d->st->kfilter && !d->st->messages) {
			d->retry = true;
			return 0;
		}
		return e_no ? errno_status(e_no, err) : 0;
	}
	rc = pd_ct_parse(nlh, nlh->nlmsg_len, &e, err);
	if (rc == PD_ERR_UNSUPPORTED)
		return 0;
	if (rc < 0)
		return rc;
	d->st->messages++;
	if (!pd_ct_filter_match(d->f, &e))
		return 0;
	d->st->matched++;
	return d->cb(&e, d->cbctx);
}

/* 0 at the end of the dump, the callback's non-zero value, or a negative
 * status; d->retry when the kernel refused the filters before any entry. */
static int dump_once(struct pd_ct *ct, bool kfilter, struct dump_ctx *d, struct pd_error *err)
{
	unsigned kf;
	struct nlmsghdr *req = dump_req(ct, d->f, kfilter, &kf);
	int rc;

	d->st->kfilter = kf;
	d->seq = req->nlmsg_seq;
	d->retry = false;
	rc = send_req(ct, req, req->nlmsg_len, err);
	if (rc < 0)
		return rc;
	return recv_msgs(ct, dump_msg, d, &d->st->datagrams, err);
}

int pd_ct_dump(struct pd_ct *ct, const struct pd_ct_filter *f, unsigned flags, pd_ct_cb cb,
	       void *ctx, struct pd_ct_dump_stats *st, struct pd_error *err)
{
	struct pd_ct_dump_stats local;
	struct dump_ctx d = { f, cb, ctx, NULL, 0, false };
	int rc;

	if (!ct || !cb)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_dump: handle or callback is NULL");
	if (ct->groups)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_dump on an event handle");
	d.st = st ? st : &local;
	memset(d.st, 0, sizeof(*d.st));
	rc = dump_once(ct, !(flags & PD_CT_DUMP_NO_KFILTER), &d, err);
	if (rc == PD_OK && d.retry) {
		memset(d.st, 0, sizeof(*d.st));
		rc = dump_once(ct, false, &d, err);
		d.st->kfilter_refused = true;
	}
	return rc;
}

struct one_ctx {
	uint32_t seq;
	struct pd_ct_entry *out;
	bool got;
};

static int one_msg(struct pd_ct *ct, const struct nlmsghdr *nlh, void *vctx, bool *done,
		   struct pd_error *err)
{
	struct one_ctx *o = vctx;
	int rc;

	(void)ct;
	if (nlh->nlmsg_seq != o->seq)
		return 0;
	if (nlh->nlmsg_type == NLMSG_ERROR) {
		int e = msg_errno(nlh);

		*done = true;
		if (e)
			return errno_status(e, err);
		if (o->out && !o->got)
			return pd_fail(err, PD_ERR_NOTFOUND, 0, "kernel acknowledged without an entry");
		return 0;
	}
	if (o->out && !o->got && NFNL_SUBSYS_ID(nlh->nlmsg_type) == NFNL_SUBSYS_CTNETLINK) {
		rc = pd_ct_parse(nlh, nlh->nlmsg_len, o->out, err);
		if (rc < 0)
			return rc;
		o->got = true;
	}
	return 0;
}

/* Send one request with NLM_F_ACK and wait for its answer; an entry in the
 * answer goes to *out when out is given. */
static int transact(struct pd_ct *ct, struct nlmsghdr *req, struct pd_ct_entry *out,
		    struct pd_error *err)
{
	struct one_ctx o = { req->nlmsg_seq, out, false };
	int rc = send_req(ct, req, req->nlmsg_len, err);

	if (rc < 0)
		return rc;
	return recv_msgs(ct, one_msg, &o, NULL, err);
}

int pd_ct_get(struct pd_ct *ct, const struct pd_ct_tuple *t, uint16_t zone,
	      struct pd_ct_entry *out, struct pd_error *err)
{
	struct nlmsghdr *nlh;
	int rc;

	if (!ct || !t || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_get: NULL argument");
	if (ct->groups)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_get on an event handle");
	rc = tuple_ok(t, err);
	if (rc < 0)
		return rc;
	nlh = put_req(ct->tx, IPCTNL_MSG_CT_GET, NLM_F_ACK, t->src.family, next_seq(ct));
	put_tuple(nlh, CTA_TUPLE_ORIG, t, ~0u);
	if (zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(zone));
	return transact(ct, nlh, out, err);
}

int pd_ct_delete(struct pd_ct *ct, const struct pd_ct_tuple *t, uint16_t zone,
		 struct pd_error *err)
{
	struct nlmsghdr *nlh;
	int rc;

	if (!ct || !t)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_delete: NULL argument");
	rc = tuple_ok(t, err);
	if (rc < 0)
		return rc;
	nlh = put_req(ct->tx, IPCTNL_MSG_CT_DELETE, NLM_F_ACK, t->src.family, next_seq(ct));
	put_tuple(nlh, CTA_TUPLE_ORIG, t, ~0u);
	if (zone)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(zone));
	return transact(ct, nlh, NULL, err);
}

/* ---- create ----------------------------------------------------------------------------- */

static void invert(const struct pd_ct_tuple *o, struct pd_ct_tuple *r)
{
	*r = *o;
	r->src = o->dst;
	r->dst = o->src;
	r->sport = o->dport;
	r->dport = o->sport;
	if (o->l4proto == IPPROTO_ICMP && o->icmp_type == 8)
		r->icmp_type = 0; /* echo request -> reply */
	else if (o->l4proto == IPPROTO_ICMPV6 && o->icmp_type == 128)
		r->icmp_type = 129;
}

/* Largest request put_create() writes. */
#define CT_CREATE_MAX 512

static size_t put_create(uint8_t *at, const struct pd_ct_entry *e, uint32_t seq)
{
	struct nlmsghdr *nlh = put_req(at, IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL | NLM_F_ACK,
				       e->orig.src.family, seq);
	struct pd_ct_tuple rep;

	if (e->reply.src.family)
		rep = e->reply;
	else
		invert(&e->orig, &rep);
	put_tuple(nlh, CTA_TUPLE_ORIG, &e->orig, ~0u);
	put_tuple(nlh, CTA_TUPLE_REPLY, &rep, ~0u);
	/* The kernel inserts the entry confirmed and refuses (EBUSY) a
	 * status that would clear that bit. */
	mnl_attr_put_u32(nlh, CTA_STATUS, htonl(e->status | PD_CT_S_CONFIRMED));
	mnl_attr_put_u32(nlh, CTA_TIMEOUT, htonl(e->timeout ? e->timeout : 120));
	if (e->has & PD_CT_HAS_MARK)
		mnl_attr_put_u32(nlh, CTA_MARK, htonl(e->mark));
	if (e->has & PD_CT_HAS_ZONE)
		mnl_attr_put_u16(nlh, CTA_ZONE, htons(e->zone));
	if ((e->has & PD_CT_HAS_TCP_STATE) && e->orig.l4proto == IPPROTO_TCP) {
		struct nlattr *pi = mnl_attr_nest_start(nlh, CTA_PROTOINFO);
		struct nlattr *tcp = mnl_attr_nest_start(nlh, CTA_PROTOINFO_TCP);

		mnl_attr_put_u8(nlh, CTA_PROTOINFO_TCP_STATE, e->tcp_state);
		mnl_attr_nest_end(nlh, tcp);
		mnl_attr_nest_end(nlh, pi);
	}
	return MNL_ALIGN(nlh->nlmsg_len);
}

struct ack_ctx {
	uint32_t first, last;
	size_t want, acked, created;
	int first_err;
};

/* The acks of one create batch, in order; the first refusal is kept. */
static int ack_msg(struct pd_ct *ct, const struct nlmsghdr *nlh, void *vctx, bool *done,
		   struct pd_error *err)
{
	struct ack_ctx *a = vctx;
	int eno;

	(void)ct;
	(void)err;
	if (nlh->nlmsg_type != NLMSG_ERROR || nlh->nlmsg_seq - a->first > a->last - a->first)
		return 0;
	eno = msg_errno(nlh);
	if (!eno)
		a->created++;
	else if (!a->first_err)
		a->first_err = eno;
	*done = ++a->acked >= a->want;
	return 0;
}

int pd_ct_create(struct pd_ct *ct, const struct pd_ct_entry *e, size_t n, size_t *created,
		 struct pd_error *err)
{
	struct ack_ctx ack = { 0 };
	size_t i = 0;

	if (created)
		*created = 0;
	if (!ct || (!e && n))
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_create: NULL argument");
	if (ct->groups)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_create on an event handle");
	for (size_t k = 0; k < n; k++) {
		int rc = tuple_ok(&e[k].orig, err);

		if (rc < 0)
			return rc;
	}
	while (i < n && !ack.first_err) {
		size_t len = 0, sent;
		uint32_t first, last;
		int rc;

		if (ct->seq == UINT32_MAX)
			ct->seq = 0; /* next_seq() skips 0: keep first..last contiguous */
		first = ct->seq + 1;

		/* As many requests as fit in one datagram; the kernel answers
		 * each with its own ack, in order. */
		while (i < n && len + CT_CREATE_MAX <= CT_TX_SIZE)
			len += put_create(ct->tx + len, &e[i++], next_seq(ct));
		last = ct->seq;
		sent = last - first + 1;
		rc = send_req(ct, (struct nlmsghdr *)ct->tx, len, err);
		if (rc < 0)
			return rc;
		ack.first = first;
		ack.last = last;
		ack.want = sent;
		ack.acked = 0;
		rc = recv_msgs(ct, ack_msg, &ack, NULL, err);
		if (rc < 0)
			return rc;
		if (created)
			*created = ack.created;
	}
	if (ack.first_err)
		return errno_status(ack.first_err, err);
	return PD_OK;
}

/* ---- events ----------------------------------------------------------------------------- */

int pd_ct_events_read(struct pd_ct *ct, int timeout_ms, pd_ct_cb cb, void *ctx,
		      unsigned *lost, struct pd_error *err)
{
	struct pollfd pfd;
	const struct nlmsghdr *nlh;
	size_t off = 0;
	ssize_t n;
	int rc, count = 0;

	if (!ct || !cb)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_events_read: NULL argument");
	if (!ct->groups)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_ct_events_read: handle has no event group");
	pfd.fd = mnl_socket_get_fd(ct->s);
	pfd.events = POLLIN;
	for (;;) {
		rc = poll(&pfd, 1, timeout_ms);
		if (rc < 0 && errno == EINTR)
			continue;
		if (rc < 0)
			return sys_fail(err, "poll on the ctnetlink socket failed", errno);
		if (rc == 0)
			return 0;
		n = recv(pfd.fd, ct->rx, CT_RX_SIZE, MSG_DONTWAIT);
		if (n >= 0)
			break;
		if (errno == EINTR || errno == EAGAIN || errno == EWOULDBLOCK)
			continue;
		if (errno == ENOBUFS) {
			/* The kernel dropped events for us; the socket is
			 * usable again at once. */
			ct->overruns++;
			if (lost)
				(*lost)++;
			return 0;
		}
		return sys_fail(err, "ctnetlink receive failed", errno);
	}
	while ((rc = nl_next_msg(ct->rx, (size_t)n, &off, &nlh, err)) > 0) {
		struct pd_ct_entry e;

		rc = pd_ct_parse(nlh, nlh->nlmsg_len, &e, err);
		if (rc == PD_ERR_UNSUPPORTED)
			continue;
		if (rc < 0)
			return rc;
		if (e.event == PD_CT_EV_NONE)
			e.event = PD_CT_EV_UPDATE;
		count++;
		rc = cb(&e, ctx);
		if (rc)
			return rc < 0 ? rc : count;
	}
	if (rc < 0)
		return rc;
	return count;
}
