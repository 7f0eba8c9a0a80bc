/* privs.c - giving up privileges once the sockets and files that needed them are open.
 *
 * Spec: capabilities(7) (what setuid does to the capability sets, PR_SET_KEEPCAPS),
 * prctl(2) PR_SET_NO_NEW_PRIVS, setresuid(2), initgroups(3).
 *
 * Raw sockets, capture handles and netlink sockets need their capability only
 * to be created (CAP_NET_RAW) or bound (CAP_NET_ADMIN for the conntrack event
 * groups); after that nothing but a conntrack dump request needs any, so every
 * other capability is dropped (effective, permitted and inheritable) and
 * no_new_privs is set: a bug later on (in a parser of network input, say)
 * runs with no privilege at all.  A run started by root also stops being root,
 * as tcpdump -Z and ping do: it becomes the --user given, else $PATHDIAG_USER,
 * else nobody; a setuid-root install goes back to the real user.
 */
#include <errno.h>
#include <grp.h>
#include <linux/capability.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "tool.h"

#define DEFAULT_USER "nobody"

static const char *run_user; /* --user, or NULL */
static char last_error[200];

void tool_set_user(const char *user)
{
	run_user = user;
}

const char *tool_privs_error(int rc)
{
	if (last_error[0])
		return last_error;
	return strerror(rc < 0 ? -rc : rc);
}

/* Record the message of a failure; returns -e. */
static int fail(int e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(int e, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(last_error, sizeof(last_error), fmt, ap);
	va_end(ap);
	return -e;
}

/* The same for a failed call that set errno. */
#define FAIL_ERRNO(what) fail(errno, "%s: %s", (what), strerror(errno))

/* The user a root run becomes: the real user of a setuid-root install (an
 * ordinary user must not choose), else --user, $PATHDIAG_USER, nobody.  0
 * with *stay set when root stays root. */
static int target_user(uid_t *uid, gid_t *gid, const char **name, bool *stay)
{
	const char *env = getenv("PATHDIAG_USER");
	struct passwd *pw;

	*stay = false;
	*name = NULL;
	if (getuid() != 0) {
		*uid = getuid();
		*gid = getgid();
		return 0;
	}
	*name = run_user ? run_user : env && *env ? env : DEFAULT_USER;
	errno = 0;
	pw = getpwnam(*name);
	if (!pw) {
		int e = errno ? errno : ENOENT;

		if (e == ENOENT || e == ESRCH || e == EBADF || e == EPERM)
			return fail(ENOENT, "user '%s' does not exist; give an existing user "
				    "with --user USER (or --user root to stay root)", *name);
		return fail(e, "cannot look up user '%s': %s", *name, strerror(e));
	}
	*uid = pw->pw_uid;
	*gid = pw->pw_gid;
	*stay = pw->pw_uid == 0;
	return 0;
}

/* Stop being root (real, effective or saved uid 0), keeping the permitted
 * capabilities across setuid when keep asks for it. */
static int leave_root(bool keep)
{
	uid_t uid, ruid, euid, suid;
	gid_t gid;
	const char *name;
	bool stay;
	int rc;

	if (getresuid(&ruid, &euid, &suid) < 0)
		return FAIL_ERRNO("getresuid");
	if (ruid && euid && suid)
		return 0;
	rc = target_user(&uid, &gid, &name, &stay);
	if (rc < 0 || stay)
		return rc;
	/* Groups first: once the uid is not 0 they cannot change any more. */
	if (name && initgroups(name, gid) < 0)
		return fail(errno, "cannot set the groups of user '%s': %s", name,
			    strerror(errno));
	if (setresgid(gid, gid, gid) < 0)
		return FAIL_ERRNO("setresgid");
	if (keep && prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) < 0)
		return FAIL_ERRNO("prctl(PR_SET_KEEPCAPS)");
	if (setresuid(uid, uid, uid) < 0)
		return fail(errno, "cannot become user %s: %s", name ? name : "(real user)",
			    strerror(errno));
	if (keep)
		prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0);
	/* Never go on as root when the switch did not happen. */
	if (getresuid(&ruid, &euid, &suid) < 0 || !ruid || !euid || !suid)
		return fail(EPERM, "still root after changing user");
	return 0;
}

int tool_keep_only_capability(int cap)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
	uint32_t keep = 0;
	int rc;

	last_error[0] = '\0';
	if (cap >= 0) {
		if (syscall(SYS_capget, &hdr, data) < 0)
			return FAIL_ERRNO("capget");
		keep = data[CAP_TO_INDEX(cap)].permitted & CAP_TO_MASK(cap);
		memset(data, 0, sizeof(data));
	}
	rc = leave_root(keep != 0);
	if (rc < 0)
		return rc;
	if (keep) {
		data[CAP_TO_INDEX(cap)].effective = keep;
		data[CAP_TO_INDEX(cap)].permitted = keep;
	}
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0)
		return FAIL_ERRNO("prctl(PR_SET_NO_NEW_PRIVS)");
	if (syscall(SYS_capset, &hdr, data) < 0)
		return FAIL_ERRNO("capset");
	return 0;
}

int tool_drop_privileges(void)
{
	return tool_keep_only_capability(-1);
}
