/* sysctl_net.h - the network sysctls that decide whether a host forwards a
 * flow and whether reverse-path filtering drops it, read from
 * /proc/sys/net (Documentation/networking/ip-sysctl.rst: ip_forward,
 * conf/IFACE/forwarding, conf/{all,IFACE}/rp_filter, src_valid_mark).
 *
 * Values are returned, never printed.  Every call takes the root of the
 * tree ("/proc/sys/net" when NULL) so the unit tests can use a directory
 * of their own.  Interface names are path components as they are (a VLAN
 * "eth0.2" is the directory eth0.2), and must not contain '/'.
 */
#ifndef PATHDIAG_SYSCTL_NET_H
#define PATHDIAG_SYSCTL_NET_H

#include <stdbool.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_SYSCTL_NET_ROOT "/proc/sys/net"

/* Read one integer sysctl, path relative to root ("ipv4/ip_forward").
 * PD_ERR_NOTFOUND when the file does not exist, PD_ERR_MALFORMED when it
 * does not hold a decimal integer, PD_ERR_SYSTEM for other read errors. */
int pd_sysctl_net_int(const char *root, const char *path, int *out, struct pd_error *err);

/* Reverse-path filtering of IPv4 packets arriving on ifname: the kernel
 * applies the larger of conf/all/rp_filter and conf/IFACE/rp_filter
 * (0 off, 1 strict, 2 loose). */
struct pd_rp_filter {
	int all, iface;
	int effective;         /* max(all, iface) */
	bool src_valid_mark;   /* conf/{all,IFACE}/src_valid_mark: the mark takes part */
};
int pd_sysctl_rp_filter(const char *root, const char *ifname, struct pd_rp_filter *out,
			struct pd_error *err);

/* Does the host forward packets of this family arriving on ifname (NULL or
 * "" for the global switch only)?  IPv4: the interface's conf/IFACE/
 * forwarding (which ip_forward sets on every interface); IPv6:
 * conf/all/forwarding. */
struct pd_forwarding {
	int global;  /* ipv4/ip_forward, or ipv6/conf/all/forwarding */
	int iface;   /* conf/IFACE/forwarding, -1 when not read */
	bool enabled;
};
int pd_sysctl_forwarding(const char *root, int family, const char *ifname,
			 struct pd_forwarding *out, struct pd_error *err);

#ifdef __cplusplus
}
#endif
#endif
