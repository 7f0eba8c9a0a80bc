/* sysctl_net.c - forwarding and reverse-path filter sysctls read from
 * /proc/sys/net (Documentation/networking/ip-sysctl.rst).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pathdiag/sysctl_net.h>

static bool bad_component(const char *s)
{
	return !s || !*s || strchr(s, '/') || !strcmp(s, ".") || !strcmp(s, "..");
}

int pd_sysctl_net_int(const char *root, const char *path, int *out, struct pd_error *err)
{
	char file[512], text[32], *end;
	ssize_t n;
	long v;
	int fd, e;

	if (!path || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_sysctl_net_int: NULL argument");
	if (snprintf(file, sizeof(file), "%s/%s", root ? root : PD_SYSCTL_NET_ROOT, path) >=
	    (int)sizeof(file))
		return pd_fail(err, PD_ERR_INVAL, 0, "sysctl path too long");
	fd = open(file, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		e = errno;
		if (e == ENOENT || e == ENOTDIR)
			return pd_fail(err, PD_ERR_NOTFOUND, 0, "no such sysctl");
		if (err)
			err->sys_errno = e;
		return pd_fail(err, PD_ERR_SYSTEM, 0, "opening the sysctl");
	}
	do
		n = read(fd, text, sizeof(text) - 1);
	while (n < 0 && errno == EINTR);
	e = errno;
	close(fd);
	if (n < 0) {
		if (err)
			err->sys_errno = e;
		return pd_fail(err, PD_ERR_SYSTEM, 0, "reading the sysctl");
	}
	text[n] = '\0';
	errno = 0;
	v = strtol(text, &end, 10);
	while (*end == '\n' || *end == ' ' || *end == '\t')
		end++;
	if (end == text || *end || errno || v < -2147483647L || v > 2147483647L)
		return pd_fail(err, PD_ERR_MALFORMED, 0, "sysctl does not hold one integer");
	*out = (int)v;
	return PD_OK;
}

/* conf/IFACE/KEY of ipvF. */
static int conf_int(const char *root, int family, const char *ifname, const char *key, int *out,
		    struct pd_error *err)
{
	char path[128];

	if (bad_component(ifname))
		return pd_fail(err, PD_ERR_INVAL, 0, "interface name unusable in a sysctl path");
	snprintf(path, sizeof(path), "ipv%d/conf/%s/%s", family, ifname, key);
	return pd_sysctl_net_int(root, path, out, err);
}

int pd_sysctl_rp_filter(const char *root, const char *ifname, struct pd_rp_filter *out,
			struct pd_error *err)
{
	int rc, svm_all = 0, svm_if = 0;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_sysctl_rp_filter: out is NULL");
	memset(out, 0, sizeof(*out));
	rc = conf_int(root, 4, "all", "rp_filter", &out->all, err);
	if (rc == 0)
		rc = conf_int(root, 4, ifname, "rp_filter", &out->iface, err);
	if (rc < 0)
		return rc;
	out->effective = out->all > out->iface ? out->all : out->iface;
	/* Absent on old kernels: the mark then never takes part. */
	if (conf_int(root, 4, "all", "src_valid_mark", &svm_all, NULL) < 0)
		svm_all = 0;
	if (conf_int(root, 4, ifname, "src_valid_mark", &svm_if, NULL) < 0)
		svm_if = 0;
	out->src_valid_mark = svm_all || svm_if;
	return PD_OK;
}

int pd_sysctl_forwarding(const char *root, int family, const char *ifname,
			 struct pd_forwarding *out, struct pd_error *err)
{
	int rc;

	if (!out)
		return pd_fail(err, PD_ERR_INVAL, 0, "pd_sysctl_forwarding: out is NULL");
	memset(out, 0, sizeof(*out));
	out->iface = -1;
	if (family == 4)
		rc = pd_sysctl_net_int(root, "ipv4/ip_forward", &out->global, err);
	else if (family == 6)
		rc = pd_sysctl_net_int(root, "ipv6/conf/all/forwarding", &out->global, err);
	else
		return pd_fail(err, PD_ERR_INVAL, 0, "family is not 4 or 6");
	if (rc < 0)
		return rc;
	out->enabled = out->global != 0;
	if (family == 4 && ifname && *ifname) {
		rc = conf_int(root, 4, ifname, "forwarding", &out->iface, err);
		if (rc < 0)
			return rc;
		/* The kernel checks the input device's switch. */
		out->enabled = out->iface != 0;
	}
	return PD_OK;
}
