/* fuzz_sockerr.c - libFuzzer target for the prober's control-message walk
 * (lib/src/sockerr.c, pdi_cmsg_parse): the extended error (IP_RECVERR /
 * IPV6_RECVERR, with the ICMP type, code, MTU and the offender's address the
 * kernel copied from a packet off the network) and the receive timestamp.
 *
 * Input: a flags byte (bit 0: MSG_CTRUNC), then the control buffer, copied
 * into an exactly sized block aligned for struct cmsghdr, as recvmsg()
 * would fill it.
 *
 * Checks: the walk never reads outside the buffer (ASan); the offender is
 * empty, AF_INET or AF_INET6; when the buffer starts with one well-formed
 * IP_RECVERR message, every field equals the bytes (an oracle written here
 * from struct sock_extended_err); the same input gives the same result.
 */
#include <netinet/in.h>
#include <linux/errqueue.h>

#include "sockerr.h"

#include "fuzz_common.h"

static void parse(const uint8_t *ctl, size_t len, int flags, struct pdi_cmsgs *out)
{
	struct msghdr msg;

	memset(&msg, 0, sizeof(msg));
	msg.msg_control = (void *)(uintptr_t)ctl;
	msg.msg_controllen = len;
	msg.msg_flags = flags;
	pdi_cmsg_parse(&msg, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pdi_cmsgs a, b;
	struct cmsghdr h;
	uint8_t *ctl;
	size_t len;
	int flags;

	if (size < 1)
		return 0;
	flags = data[0] & 1 ? MSG_CTRUNC : 0;
	len = size - 1;
	/* malloc's alignment suits struct cmsghdr, as a recvmsg buffer must. */
	ctl = malloc(len ? len : 1);
	if (!ctl)
		return 0;
	memcpy(ctl, data + 1, len);

	memset(&a, 0xa5, sizeof(a));
	parse(ctl, len, flags, &a);
	memset(&b, 0x5a, sizeof(b));
	parse(ctl, len, flags, &b);

	FZ_CHECK(a.truncated == (flags != 0));
	FZ_CHECK(a.err.present == b.err.present && a.has_ts == b.has_ts);
	FZ_CHECK(!a.has_ts || memcmp(&a.ts, &b.ts, sizeof(a.ts)) == 0);
	FZ_CHECK(a.err.offender.ss_family == 0 || a.err.offender.ss_family == AF_INET ||
		 a.err.offender.ss_family == AF_INET6);
	if (!a.err.present)
		FZ_CHECK(a.err.origin == 0 && a.err.info == 0 && a.err.offender.ss_family == 0);
	else
		FZ_CHECK(a.err.origin == b.err.origin && a.err.type == b.err.type &&
			 a.err.code == b.err.code && a.err.info == b.err.info &&
			 a.err.ee_errno == b.err.ee_errno &&
			 a.err.offender.ss_family == b.err.offender.ss_family);

	/* Oracle: a first message that is a whole IP_RECVERR. */
	if (len >= CMSG_LEN(sizeof(struct sock_extended_err))) {
		memcpy(&h, ctl, sizeof(h));
		if (h.cmsg_level == SOL_IP && h.cmsg_type == IP_RECVERR &&
		    h.cmsg_len >= CMSG_LEN(sizeof(struct sock_extended_err)) && h.cmsg_len <= len) {
			struct sock_extended_err ee;

			memcpy(&ee, ctl + CMSG_LEN(0), sizeof(ee));
			/* A later IP_RECVERR may replace it; only check when
			 * this is the only message that fits. */
			if (CMSG_ALIGN(h.cmsg_len) + CMSG_LEN(0) > len) {
				FZ_STRICT(a.err.present);
				FZ_STRICT(a.err.ee_errno == ee.ee_errno &&
					  a.err.origin == ee.ee_origin && a.err.type == ee.ee_type &&
					  a.err.code == ee.ee_code && a.err.info == ee.ee_info &&
					  a.err.data == ee.ee_data);
			}
		}
	}
	free(ctl);
	return 0;
}
