/* netlink.c - socket handle, request/reply exchange and length-checked
 * message and attribute walkers shared by the netlink queries (RFC 3549
 * section 2.3.2 message format; attribute TLVs as include/uapi/linux/
 * netlink.h defines them).  See pathdiag/netlink.h for the two halves every
 * query has.
 *
 *   | nlmsghdr 16 | family header, padded to 4 | attr | attr | ... |
 *   attr: | nla_len 2 | nla_type 2 (bit 15 nested, bit 14 byte order) |
 *         | payload nla_len - 4 | pad to 4 |
 */
#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <pathdiag/netlink.h>

#include "nl_internal.h"

int nl_fail_errno(struct pd_error *err, int code, const char *what, int errnum)
{
	pd_fail(err, code, 0, what);
	if (err)
		err->sys_errno = errnum;
	return code;
}

size_t nl_off(const uint8_t *buf, const void *a)
{
	return (size_t)((const uint8_t *)a - buf);
}

int nl_check_buf(const void *buf, size_t len, struct pd_error *err)
{
	if (!buf && len)
		return pd_fail(err, PD_ERR_INVAL, 0, "netlink buffer is NULL");
	/* libmnl casts headers onto the buffer: it must be aligned as the
	 * kernel's own buffers are. */
	if ((uintptr_t)buf % NLMSG_ALIGNTO)
		return pd_fail(err, PD_ERR_INVAL, 0, "netlink buffer is not 4-byte aligned");
	if (len > (size_t)INT_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "netlink buffer larger than INT_MAX");
	return PD_OK;
}

int nl_next_msg(const uint8_t *buf, size_t len, size_t *off, const struct nlmsghdr **out,
		struct pd_error *err)
{
	const struct nlmsghdr *nlh;
	size_t left, step;

	if (*off >= len)
		return 0;
	left = len - *off;
	if (left < sizeof(struct nlmsghdr))
		return pd_fail(err, PD_ERR_TRUNCATED, *off,
			       "bytes after the last netlink message, too few for a header");
	nlh = (const struct nlmsghdr *)(buf + *off);
	if (nlh->nlmsg_len < sizeof(struct nlmsghdr))
		return pd_fail(err, PD_ERR_MALFORMED, *off,
			       "netlink message length shorter than its header");
	/* mnl_nlmsg_ok() compares (int)nlmsg_len: a length above INT_MAX turns
	 * negative and passes, so compare unsigned here as well. */
	if (nlh->nlmsg_len > left || !mnl_nlmsg_ok(nlh, (int)left))
		return pd_fail(err, PD_ERR_TRUNCATED, *off,
			       "netlink message length runs past the buffer");
	step = MNL_ALIGN(nlh->nlmsg_len);
	/* The last message may come without its tail padding. */
	*off += step < left ? step : left;
	*out = nlh;
	return 1;
}

int nl_msg_errno(const uint8_t *buf, const struct nlmsghdr *nlh, int *errnum,
		 struct pd_error *err)
{
	const uint8_t *p = mnl_nlmsg_get_payload(nlh);
	int32_t e;

	/* struct nlmsgerr: int error, then the request's header (or more). */
	if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int32_t))
		return pd_fail(err, PD_ERR_TRUNCATED, nl_off(buf, nlh),
			       "NLMSG_ERROR shorter than its error code");
	memcpy(&e, p, sizeof(e));
	if (e > 0 || e == INT32_MIN)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, p),
			       "NLMSG_ERROR code is not a negative errno");
	*errnum = -e;
	return PD_OK;
}

int nl_walk_msgs(const uint8_t *buf, size_t len, uint16_t want, nl_msg_fn fn, void *ctx,
		 int (*errmap)(int e, struct pd_error *err), const struct nlmsghdr **done,
		 struct pd_error *err)
{
	const struct nlmsghdr *nlh;
	size_t off = 0;
	int rc, e;

	*done = NULL;
	rc = nl_check_buf(buf, len, err);
	if (rc < 0)
		return rc;
	while ((rc = nl_next_msg(buf, len, &off, &nlh, err)) > 0) {
		if (nlh->nlmsg_type == want) {
			rc = fn(buf, nlh, ctx, err);
			if (rc)
				return rc < 0 ? rc : PD_OK;
			continue;
		}
		switch (nlh->nlmsg_type) {
		case NLMSG_NOOP:
			continue;
		case NLMSG_ERROR:
			rc = nl_msg_errno(buf, nlh, &e, err);
			if (rc < 0)
				return rc;
			if (e == 0)
				continue; /* an ack */
			return errmap(e, err);
		case NLMSG_DONE:
			*done = nlh;
			return PD_OK;
		default:
			return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, nlh),
				       "unexpected message type in a netlink reply");
		}
	}
	return rc;
}

/* nl_find_reply's callback: keep the first message and stop. */
static int keep_first(const uint8_t *buf, const struct nlmsghdr *nlh, void *ctx,
		      struct pd_error *err)
{
	(void)buf;
	(void)err;
	*(const struct nlmsghdr **)ctx = nlh;
	return 1;
}

int nl_find_reply(const uint8_t *buf, size_t len, uint16_t want,
		  int (*errmap)(int e, struct pd_error *err), const struct nlmsghdr **out,
		  struct pd_error *err)
{
	const struct nlmsghdr *found = NULL, *done;
	int rc = nl_walk_msgs(buf, len, want, keep_first, &found, errmap, &done, err);

	if (rc < 0)
		return rc;
	if (found) {
		*out = found;
		return PD_OK;
	}
	if (done)
		return pd_fail(err, PD_ERR_NOTFOUND, nl_off(buf, done),
			       "reply ends before the answer");
	return pd_fail(err, PD_ERR_TRUNCATED, len, "no answer message in the netlink reply");
}

int nl_walk_attrs(const uint8_t *buf, size_t start, size_t end, nl_attr_fn fn, void *ctx,
		  struct pd_error *err)
{
	size_t off = start;

	while (off < end) {
		const struct nlattr *a = (const struct nlattr *)(buf + off);
		size_t left = end - off, step;
		int rc;

		if (left < sizeof(struct nlattr))
			return pd_fail(err, PD_ERR_TRUNCATED, off,
				       "attribute header cut by the end of its container");
		if (a->nla_len < sizeof(struct nlattr))
			return pd_fail(err, PD_ERR_MALFORMED, off,
				       "attribute length shorter than its header");
		if (a->nla_len > left || !mnl_attr_ok(a, (int)left))
			return pd_fail(err, PD_ERR_MALFORMED, off,
				       "attribute length runs past its container");
		rc = fn(buf, a, ctx, err);
		if (rc < 0)
			return rc;
		step = MNL_ALIGN(a->nla_len);
		off += step < left ? step : left;
	}
	return PD_OK;
}

int nl_walk_nested(const uint8_t *buf, const struct nlattr *a, nl_attr_fn fn, void *ctx,
		   struct pd_error *err)
{
	size_t start = nl_off(buf, mnl_attr_get_payload(a));

	return nl_walk_attrs(buf, start, start + mnl_attr_get_payload_len(a), fn, ctx, err);
}

int nl_want(const uint8_t *buf, const struct nlattr *a, enum mnl_attr_data_type t,
	    const char *what, struct pd_error *err)
{
	if (mnl_attr_validate(a, t) < 0)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	return PD_OK;
}

int nl_want_len(const uint8_t *buf, const struct nlattr *a, size_t len, const char *what,
		struct pd_error *err)
{
	if (mnl_attr_validate2(a, MNL_TYPE_BINARY, len) < 0)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	return PD_OK;
}

int nl_get_addr(const uint8_t *buf, const struct nlattr *a, struct pd_nl_addr *out,
		const char *what, struct pd_error *err)
{
	uint16_t n = mnl_attr_get_payload_len(a);

	if (n != 4 && n != 16)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	memset(out, 0, sizeof(*out));
	out->family = n == 4 ? 4 : 6;
	memcpy(out->addr, mnl_attr_get_payload(a), n);
	return PD_OK;
}

int nl_get_str(const uint8_t *buf, const struct nlattr *a, char *out, size_t size,
	       const char *what, struct pd_error *err)
{
	uint16_t n = mnl_attr_get_payload_len(a);
	const char *s = mnl_attr_get_payload(a);
	size_t sl;

	if (mnl_attr_validate(a, MNL_TYPE_NUL_STRING) < 0)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	sl = strnlen(s, n);
	if (sl >= size)
		return pd_fail(err, PD_ERR_MALFORMED, nl_off(buf, a), what);
	memcpy(out, s, sl);
	out[sl] = '\0';
	return PD_OK;
}

uint16_t nl_get_be16(const struct nlattr *a)
{
	const uint8_t *p = mnl_attr_get_payload(a);

	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

uint32_t nl_get_be32(const struct nlattr *a)
{
	const uint8_t *p = mnl_attr_get_payload(a);

	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* ---- addresses ------------------------------------------------------------------------ */

const char *pd_nl_addr_str(const struct pd_nl_addr *a, char *buf, size_t len)
{
	if (!buf || !len)
		return buf;
	buf[0] = '\0';
	if (!a)
		return buf;
	if (a->family == 4)
		inet_ntop(AF_INET, a->addr, buf, (socklen_t)len);
	else if (a->family == 6)
		inet_ntop(AF_INET6, a->addr, buf, (socklen_t)len);
	return buf;
}

int pd_nl_addr_parse(const char *s, struct pd_nl_addr *a, struct pd_error *err)
{
	if (!s || !a)
		return pd_fail(err, PD_ERR_INVAL, 0, "address or output is NULL");
	memset(a, 0, sizeof(*a));
	if (inet_pton(AF_INET, s, a->addr) == 1) {
		a->family = 4;
		return PD_OK;
	}
	if (inet_pton(AF_INET6, s, a->addr) == 1) {
		a->family = 6;
		return PD_OK;
	}
	memset(a, 0, sizeof(*a));
	return pd_fail(err, PD_ERR_INVAL, 0, "not a numeric IPv4 or IPv6 address");
}

int pd_nl_addr_equal(const struct pd_nl_addr *a, const struct pd_nl_addr *b)
{
	if (a->family != b->family)
		return 0;
	if (a->family == 0)
		return 1;
	return memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16) == 0;
}

/* ---- sockets -------------------------------------------------------------------------- */

static int open_sock(int bus, struct mnl_socket **out, struct pd_error *err)
{
	struct timeval tv = { .tv_sec = NL_TIMEOUT_SEC };
	struct mnl_socket *s = mnl_socket_open(bus);

	if (!s) {
		int e = errno;

		if (e == EPERM || e == EACCES)
			return nl_fail_errno(err, PD_ERR_PERM,
					     "netlink socket refused (seccomp or LSM policy)", e);
		return nl_fail_errno(err, PD_ERR_SYSTEM, "netlink socket could not be opened", e);
	}
	if (mnl_socket_bind(s, 0, MNL_SOCKET_AUTOPID) < 0) {
		int e = errno;

		mnl_socket_close(s);
		return nl_fail_errno(err, PD_ERR_SYSTEM, "netlink socket could not be bound", e);
	}
	/* Never hang on a kernel that does not answer (it always should). */
	setsockopt(mnl_socket_get_fd(s), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	*out = s;
	return PD_OK;
}

int pd_nl_open(struct pd_nl **nlp, struct pd_error *err)
{
	struct pd_nl *nl;
	int rc;

	if (!nlp)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_nl_open: nlp is NULL");
	*nlp = NULL;
	nl = calloc(1, sizeof(*nl));
	if (!nl)
		return pd_fail(err, PD_ERR_NOMEM, 0, "netlink handle");
	nl->rx = malloc(NL_RX_SIZE);
	if (!nl->rx) {
		free(nl);
		return pd_fail(err, PD_ERR_NOMEM, 0, "netlink receive buffer");
	}
	rc = open_sock(NETLINK_ROUTE, &nl->rt, err);
	if (rc < 0) {
		free(nl->rx);
		free(nl);
		return rc;
	}
	nl->seq = (uint32_t)time(NULL);
	*nlp = nl;
	return PD_OK;
}

void pd_nl_close(struct pd_nl *nl)
{
	if (!nl)
		return;
	if (nl->rt)
		mnl_socket_close(nl->rt);
	if (nl->gen)
		mnl_socket_close(nl->gen);
	free(nl->rx);
	free(nl);
}

int nl_open_genl(struct pd_nl *nl, struct pd_error *err)
{
	if (nl->gen)
		return PD_OK;
	return open_sock(NETLINK_GENERIC, &nl->gen, err);
}

int nl_use(struct pd_nl *nl, struct pd_nl **use, struct pd_nl **tmp, struct pd_error *err)
{
	int rc;

	*tmp = NULL;
	if (nl) {
		*use = nl;
		return PD_OK;
	}
	rc = pd_nl_open(tmp, err);
	if (rc < 0)
		return rc;
	*use = *tmp;
	return PD_OK;
}

void nl_done(struct pd_nl *tmp)
{
	pd_nl_close(tmp);
}

void nl_reply_free(struct nl_reply *rep)
{
	free(rep->buf);
	rep->buf = NULL;
	rep->len = rep->cap = 0;
}

static int reply_add(struct nl_reply *rep, const struct nlmsghdr *nlh, struct pd_error *err)
{
	size_t n = MNL_ALIGN(nlh->nlmsg_len);

	if (rep->len + n > NL_REPLY_MAX)
		return pd_fail(err, PD_ERR_NOMEM, 0, "netlink reply larger than 16 MiB");
	if (rep->len + n > rep->cap) {
		size_t cap = rep->cap ? rep->cap : 8192;
		uint8_t *p;

		while (cap < rep->len + n)
			cap *= 2;
		p = realloc(rep->buf, cap);
		if (!p)
			return pd_fail(err, PD_ERR_NOMEM, 0, "netlink reply buffer");
		rep->buf = p;
		rep->cap = cap;
	}
	memset(rep->buf + rep->len, 0, n);
	memcpy(rep->buf + rep->len, nlh, nlh->nlmsg_len);
	rep->len += n;
	return PD_OK;
}

int nl_transact(struct pd_nl *nl, struct mnl_socket *s, struct nlmsghdr *req,
		struct nl_reply *rep, struct pd_error *err)
{
	uint32_t portid = mnl_socket_get_portid(s);
	bool done = false;

	rep->buf = NULL;
	rep->len = rep->cap = 0;
	req->nlmsg_seq = ++nl->seq;
	if (mnl_socket_sendto(s, req, req->nlmsg_len) < 0)
		return nl_fail_errno(err, PD_ERR_SYSTEM, "netlink request could not be sent",
				     errno);
	while (!done) {
		ssize_t n = mnl_socket_recvfrom(s, nl->rx, NL_RX_SIZE);
		const struct nlmsghdr *nlh;
		size_t off = 0;
		int rc;

		if (n < 0) {
			int e = errno;

			if (e == EINTR)
				continue;
			nl_reply_free(rep);
			if (e == EAGAIN || e == EWOULDBLOCK)
				return nl_fail_errno(err, PD_ERR_TIMEOUT,
						     "no netlink reply from the kernel", e);
			return nl_fail_errno(err, PD_ERR_SYSTEM, "netlink receive failed", e);
		}
		/* The kernel sends whole messages; a bad one here is a bug
		 * somewhere, reported like any malformed reply. */
		while ((rc = nl_next_msg(nl->rx, (size_t)n, &off, &nlh, err)) > 0) {
			if (nlh->nlmsg_seq != req->nlmsg_seq ||
			    (nlh->nlmsg_pid && nlh->nlmsg_pid != portid))
				continue; /* a late answer to an earlier request */
			rc = reply_add(rep, nlh, err);
			if (rc < 0)
				break;
			if (nlh->nlmsg_type == NLMSG_DONE || nlh->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
		}
		if (rc < 0) {
			nl_reply_free(rep);
			return rc;
		}
	}
	return PD_OK;
}
