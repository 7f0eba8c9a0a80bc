/* privs.c - giving up privileges once the sockets that needed them are open.
 *
 * Raw sockets need CAP_NET_RAW only to be created; after that nothing the
 * tools do needs any capability, so all of them are dropped (effective,
 * permitted and inheritable) and no_new_privs is set, so that a bug later on
 * (in a parser of network input, say) runs with no privilege at all.
 */
#include <errno.h>
#include <linux/capability.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

int tool_keep_only_capability(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	uint32_t keep = 0;

	if (cap >= 0) {
		if (syscall(SYS_capget, &hdr, data) < 0)
			return -errno;
		keep = data[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap);
		memset(data, 0, sizeof(data));
		data[CAP_TO_INDEX(cap)].effective = keep;
		data[CAP_TO_INDEX(cap)].permitted = keep;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return -errno;
	if (syscall(SYS_capset, &hdr, data) < 0)
		return -errno;
	return 0;
}

int tool_drop_privileges(void)
{
	return tool_keep_only_capability(-1);
}
