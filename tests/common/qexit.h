/* qexit.h - how the netlink query drivers (tests/tools/nlquery.c,
 * ctquery.c) report a library error: one line on stderr, and an exit code
 * the lab scripts test for.
 */
#ifndef PATHDIAG_TESTS_QEXIT_H
#define PATHDIAG_TESTS_QEXIT_H

#include <pathdiag/error.h>

#define QEXIT_NOTFOUND 2 /* the object asked for does not exist */
#define QEXIT_USAGE 3
#define QEXIT_PERM 4     /* the kernel refused: a capability is missing */

/* Print "PROG: WHAT: STATUS: why (strerror)" and return the exit code for
 * rc (QEXIT_NOTFOUND, QEXIT_PERM, or 1). */
int qexit_fail(const char *prog, const char *what, int rc, const struct pd_error *err);

#endif
