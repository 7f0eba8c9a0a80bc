/* qexit.c - the error line and exit code of the netlink query drivers. */
#include "qexit.h"

#include <stdio.h>
#include <string.h>

int qexit_fail(const char *prog, const char *what, int rc, const struct pd_error *err)
{
	fprintf(stderr, "%s: %s: %s: %s", prog, what, pd_status_name(rc),
		err->what ? err->what : "?");
	if (err->sys_errno)
		fprintf(stderr, " (%s)", strerror(err->sys_errno));
	fputc('\n', stderr);
	if (rc == PD_ERR_NOTFOUND)
		return QEXIT_NOTFOUND;
	if (rc == PD_ERR_PERM)
		return QEXIT_PERM;
	return 1;
}
