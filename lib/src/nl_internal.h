/* nl_internal.h - shared helpers of the netlink queries (internal): walking
 * messages and attributes of a reply buffer with every length checked, and
 * the request/reply exchange on a socket.  Not exported (no pd_ prefix).
 *
 * Walkers report problems through the project's error convention, with the
 * offset counted from the start of the buffer handed to the public parser.
 */
#ifndef PATHDIAG_NL_INTERNAL_H
#define PATHDIAG_NL_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libmnl/libmnl.h>
#include <linux/netlink.h>

#include <pathdiag/error.h>
#include <pathdiag/netlink.h>

/* Receive buffer per socket read; the kernel sends at most this much in one
 * datagram of a dump (it sizes dump skbs from the reader's buffer). */
#define NL_RX_SIZE 65536u
/* A whole reply (all datagrams of one dump) may not exceed this. */
#define NL_REPLY_MAX (16u << 20)
/* Seconds to wait for a reply before PD_ERR_TIMEOUT. */
#define NL_TIMEOUT_SEC 5

struct pd_nl {
	struct mnl_socket *rt;  /* NETLINK_ROUTE */
	struct mnl_socket *gen; /* NETLINK_GENERIC, opened on first use */
	uint32_t seq;
	int wg_family;          /* 0 not asked yet, -1 absent, else the id */
	uint8_t *rx;            /* NL_RX_SIZE bytes */
};

/* Every message of one reply, copied one after another (each starts 4-byte
 * aligned), heap-allocated. */
struct nl_reply {
	uint8_t *buf;
	size_t len;
	size_t cap;
};

/* Record an error that carries an errno value. */
int nl_fail_errno(struct pd_error *err, int code, const char *what, int errnum);

/* The buffer a parser was handed: aligned, and short enough for libmnl's int
 * lengths. */
int nl_check_buf(const void *buf, size_t len, struct pd_error *err);

/* Next message at *off: 1 and *out set, 0 at the end of the buffer, or an
 * error (a message whose length is shorter than its header or runs past the
 * buffer, trailing bytes too short for a header). */
int nl_next_msg(const uint8_t *buf, size_t len, size_t *off, const struct nlmsghdr **out,
		struct pd_error *err);

/* An NLMSG_ERROR message: *errnum = the positive errno it carries, 0 for an
 * acknowledgement. */
/* Called for each message of the wanted type: < 0 an error, 0 go on, > 0
 * stop (the walk then returns PD_OK). */
typedef int (*nl_msg_fn)(const uint8_t *buf, const struct nlmsghdr *nlh, void *ctx,
			 struct pd_error *err);

/* Walk the messages of a reply or dump in buf: fn for each of type `want`;
 * NOOPs and acks skipped; an error message becomes errmap(errno); any other
 * type is PD_ERR_MALFORMED.  *done is the NLMSG_DONE that ended the walk, or
 * NULL when fn stopped it or buf ran out first. */
int nl_walk_msgs(const uint8_t *buf, size_t len, uint16_t want, nl_msg_fn fn, void *ctx,
		 int (*errmap)(int e, struct pd_error *err), const struct nlmsghdr **done,
		 struct pd_error *err);

/* The one reply message of type `want` in buf, for requests answered by a
 * single message (RTM_GETLINK, RTM_GETROUTE): NOOPs and acks are skipped,
 * an error message becomes errmap(errno), anything else is PD_ERR_MALFORMED
 * and no such message PD_ERR_NOTFOUND / PD_ERR_TRUNCATED. */
int nl_find_reply(const uint8_t *buf, size_t len, uint16_t want,
		  int (*errmap)(int e, struct pd_error *err), const struct nlmsghdr **out,
		  struct pd_error *err);

int nl_msg_errno(const uint8_t *buf, const struct nlmsghdr *nlh, int *errnum,
		 struct pd_error *err);

/* Call fn for each attribute in buf[start, end): each header must fit, its
 * length must cover the header and stay inside [start, end).  Unknown types
 * are the callback's business (skip them).  fn returns 0 or a pd status. */
typedef int (*nl_attr_fn)(const uint8_t *buf, const struct nlattr *a, void *ctx,
			  struct pd_error *err);
int nl_walk_attrs(const uint8_t *buf, size_t start, size_t end, nl_attr_fn fn, void *ctx,
		  struct pd_error *err);

/* Walk the attributes nested in attribute a. */
int nl_walk_nested(const uint8_t *buf, const struct nlattr *a, nl_attr_fn fn, void *ctx,
		   struct pd_error *err);

/* Byte offset of a in buf. */
size_t nl_off(const uint8_t *buf, const void *a);

/* Length checks (mnl_attr_validate / mnl_attr_validate2): 0 or
 * PD_ERR_MALFORMED naming what. */
int nl_want(const uint8_t *buf, const struct nlattr *a, enum mnl_attr_data_type t,
	    const char *what, struct pd_error *err);
int nl_want_len(const uint8_t *buf, const struct nlattr *a, size_t len, const char *what,
		struct pd_error *err);

/* An address attribute: 4 payload bytes are IPv4, 16 IPv6, anything else is
 * malformed. */
int nl_get_addr(const uint8_t *buf, const struct nlattr *a, struct pd_nl_addr *out,
		const char *what, struct pd_error *err);

/* A NUL-terminated string attribute copied into out[size]; longer strings
 * are malformed. */
int nl_get_str(const uint8_t *buf, const struct nlattr *a, char *out, size_t size,
	       const char *what, struct pd_error *err);

/* Big-endian 16/32-bit payloads (ports, keys, flow info) in host order. */
uint16_t nl_get_be16(const struct nlattr *a);
uint32_t nl_get_be32(const struct nlattr *a);

/* Sockets.  nl_use returns the caller's handle, or opens a temporary one
 * (*tmp set: close it with nl_done). */
int nl_use(struct pd_nl *nl, struct pd_nl **use, struct pd_nl **tmp, struct pd_error *err);
void nl_done(struct pd_nl *tmp);
int nl_open_genl(struct pd_nl *nl, struct pd_error *err);

/* Send req on s and collect every message answering it (same sequence
 * number) into rep, up to and including NLMSG_DONE or NLMSG_ERROR.  Non-dump
 * requests must carry NLM_F_ACK so that the kernel ends them with an ack. */
int nl_transact(struct pd_nl *nl, struct mnl_socket *s, struct nlmsghdr *req,
		struct nl_reply *rep, struct pd_error *err);
void nl_reply_free(struct nl_reply *rep);

#endif
