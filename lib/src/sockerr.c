/* sockerr.c - parsing of received control messages: the extended error of
 * an error-queue message and the receive timestamp.
 *
 * Specs: Linux ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR, socket(7)
 * SO_TIMESTAMPNS; <linux/errqueue.h>.  The IP_RECVERR / IPV6_RECVERR
 * message carries a struct sock_extended_err followed by the sockaddr of
 * the node that sent the ICMP error (SO_EE_OFFENDER):
 *
 *   +-----------------------+--------+------+------+-----+
 *   | ee_errno (32)         | origin | type | code | pad |
 *   +-----------------------+--------+------+------+-----+
 *   | ee_info (32): MTU     | ee_data (32)               |
 *   +-----------------------+----------------------------+
 *   | offender: struct sockaddr_in / sockaddr_in6        |
 *   +----------------------------------------------------+
 *
 * The msg_name of an error-queue message is the destination address (and
 * port) of the packet the error quotes (ip_recv_error, ipv6_recv_error).
 *
 * Control data comes from the kernel, not the network, but its length is
 * still checked before every read, and bytes are copied out (memcpy), never
 * cast in place: CMSG_DATA carries no alignment promise for these structs.
 */
#include <string.h>
#include <netinet/in.h>
#include <linux/errqueue.h>

#include "sockerr.h"

static void parse_offender(const uint8_t *p, size_t len, struct sockaddr_storage *out)
{
	sa_family_t fam;

	if (len < sizeof(fam))
		return;
	memcpy(&fam, p, sizeof(fam));
	if (fam == AF_INET && len >= sizeof(struct sockaddr_in))
		memcpy(out, p, sizeof(struct sockaddr_in));
	else if (fam == AF_INET6 && len >= sizeof(struct sockaddr_in6))
		memcpy(out, p, sizeof(struct sockaddr_in6));
}

static void parse_ee(const uint8_t *p, size_t len, struct pdi_sockerr *out)
{
	struct sock_extended_err ee;

	if (len < sizeof(ee))
		return;
	memcpy(&ee, p, sizeof(ee));
	memset(out, 0, sizeof(*out));
	out->present = true;
	out->ee_errno = ee.ee_errno;
	out->origin = ee.ee_origin;
	out->type = ee.ee_type;
	out->code = ee.ee_code;
	out->info = ee.ee_info;
	out->data = ee.ee_data;
	parse_offender(p + sizeof(ee), len - sizeof(ee), &out->offender);
}

void pdi_cmsg_parse(const struct msghdr *msg, struct pdi_cmsgs *out)
{
	struct cmsghdr *c;
	const uint8_t *end;

	memset(out, 0, sizeof(*out));
	if (!msg)
		return;
	out->truncated = (msg->msg_flags & MSG_CTRUNC) != 0;
	if (!msg->msg_control || msg->msg_controllen < sizeof(struct cmsghdr))
		return;
	end = (const uint8_t *)msg->msg_control + msg->msg_controllen;
	/* CMSG_NXTHDR takes a non-const msghdr but does not write to it.  It
	 * checks that the next header fits, but not that this one's length
	 * does: a length past the buffer ends the walk. */
	for (c = CMSG_FIRSTHDR((struct msghdr *)msg); c;
	     c = CMSG_NXTHDR((struct msghdr *)msg, c)) {
		const uint8_t *d = CMSG_DATA(c);
		size_t dlen;

		if (c->cmsg_len < CMSG_LEN(0) || c->cmsg_len > (size_t)(end - (const uint8_t *)c))
			break;
		dlen = c->cmsg_len - CMSG_LEN(0);
		if ((c->cmsg_level == SOL_IP && c->cmsg_type == IP_RECVERR) ||
		    (c->cmsg_level == SOL_IPV6 && c->cmsg_type == IPV6_RECVERR)) {
			parse_ee(d, dlen, &out->err);
		} else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS &&
			   dlen >= sizeof(struct timespec)) {
			memcpy(&out->ts, d, sizeof(out->ts));
			out->has_ts = true;
		}
	}
	/* An error-queue message names the quoted packet's destination. */
	if (out->err.present && msg->msg_name)
		parse_offender(msg->msg_name, msg->msg_namelen, &out->err.quoted);
}
