/* sockerr.h - the control messages of a received datagram: the extended
 * error of an error-queue message and the kernel's receive timestamp
 * (internal; Linux ip(7) IP_RECVERR, ipv6(7) IPV6_RECVERR, socket(7)
 * SO_TIMESTAMPNS).  Pure: it only reads the msghdr it is given.
 */
#ifndef PD_SOCKERR_H
#define PD_SOCKERR_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>
#include <sys/socket.h>

/* Origins, as in <linux/errqueue.h> (SO_EE_ORIGIN_*). */
#define PDI_EE_ORIGIN_LOCAL 1
#define PDI_EE_ORIGIN_ICMP 2
#define PDI_EE_ORIGIN_ICMP6 3

struct pdi_sockerr {
	bool present;               /* an IP_RECVERR / IPV6_RECVERR message */
	uint32_t ee_errno;
	uint8_t origin;             /* PDI_EE_ORIGIN_* or another SO_EE_ORIGIN */
	uint8_t type, code;         /* ICMP type and code (ICMP origins) */
	uint32_t info;              /* the MTU for "fragmentation needed",
				       "packet too big" and local EMSGSIZE */
	uint32_t data;
	/* SO_EE_OFFENDER: who sent the ICMP error; ss_family 0 when the
	 * kernel gave none (local errors). */
	struct sockaddr_storage offender;
	/* The destination of the packet the error quotes, with its port (UDP:
	 * the quoted destination port; ping sockets: 0): the kernel returns
	 * it as the msg_name of an error-queue message.  ss_family 0 when
	 * there was none. */
	struct sockaddr_storage quoted;
};

struct pdi_cmsgs {
	struct pdi_sockerr err;
	bool has_ts;
	struct timespec ts;         /* SCM_TIMESTAMPNS, CLOCK_REALTIME */
	bool truncated;             /* MSG_CTRUNC: some were cut off */
};

/* Walk msg's control messages into *out (zeroed first).  Messages of other
 * kinds, and any too short for what their type promises, are skipped. */
void pdi_cmsg_parse(const struct msghdr *msg, struct pdi_cmsgs *out);

#endif
