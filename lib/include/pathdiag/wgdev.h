/* wgdev.h - a WireGuard interface's configuration and peer state: listen
 * port, fwmark, and per peer the public key, endpoint, allowed IPs,
 * persistent keepalive, last handshake and byte counters.
 *
 * Two sources, one result:
 *   - the kernel module, over generic netlink family "wireguard" version 1
 *     (include/uapi/linux/wireguard.h): WG_CMD_GET_DEVICE as a dump, whose
 *     messages carry WGDEVICE_A_* attributes and a WGDEVICE_A_PEERS nest of
 *     peers (WGPEER_A_*), each with a WGPEER_A_ALLOWEDIPS nest
 *     (WGALLOWEDIP_A_*).  A peer too big for one message continues in the
 *     next, repeating only its public key.
 *   - a userspace implementation (wireguard-go), over its UAPI socket
 *     /var/run/wireguard/IFACE.sock (the cross-platform interface of
 *     wireguard.com/xplatform): the request "get=1\n\n" is answered with
 *     "key=value\n" lines, private_key, listen_port, fwmark, then per peer
 *     public_key (starting it), preshared_key, protocol_version, endpoint
 *     (a.b.c.d:port or [v6addr]:port), last_handshake_time_sec/_nsec,
 *     tx_bytes, rx_bytes, persistent_keepalive_interval, allowed_ip (one
 *     line each), ending with "errno=N\n\n".  Keys are 64 hex digits there.
 *
 * Secrets are never kept: the private key and preshared key only set a
 * "present" bit.  The UAPI does not give the device's own public key.
 *
 * The parsers are pure (no I/O, no globals, no allocation): they fill the
 * peer and allowed-IP arrays the caller gives in the device struct and
 * count what the reply holds, so a caller can size the arrays with one call
 * and fill them with a second.  pd_wg_get() does that and allocates.
 */
#ifndef PATHDIAG_WGDEV_H
#define PATHDIAG_WGDEV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_WGDEV_KEY_LEN 32
#define PD_WGDEV_KEY_B64_LEN 45 /* base64 of a key, with the NUL */
#define PD_WGDEV_UAPI_DIR "/var/run/wireguard"

enum pd_wg_source {
	PD_WG_SRC_NONE = 0,
	PD_WG_SRC_NETLINK,   /* kernel module, generic netlink */
	PD_WG_SRC_UAPI,      /* userspace implementation, UAPI socket */
};

/* An endpoint (WGPEER_A_ENDPOINT / "endpoint="). */
struct pd_wg_endpoint {
	int family;             /* 4 or 6 */
	uint8_t addr[16];
	uint16_t port;
	uint32_t scope_id;      /* IPv6 link-local zone index */
	char zone[16];          /* UAPI only: the zone when the daemon wrote a
				   name ("fe80::1%eth0"), else "" */
};

struct pd_wg_allowedip {
	int family;             /* 4 or 6 */
	uint8_t addr[16];
	uint8_t cidr;
};

/* Peer "has" bits. */
#define PD_WGP_PRESHARED_KEY (1u << 0) /* a (non-zero) preshared key is set */
#define PD_WGP_ENDPOINT (1u << 1)
#define PD_WGP_KEEPALIVE (1u << 2)
#define PD_WGP_HANDSHAKE (1u << 3)
#define PD_WGP_RX_BYTES (1u << 4)
#define PD_WGP_TX_BYTES (1u << 5)
#define PD_WGP_PROTOCOL (1u << 6)

struct pd_wg_peer {
	uint32_t has;
	uint8_t public_key[PD_WGDEV_KEY_LEN];
	struct pd_wg_endpoint endpoint;
	uint16_t keepalive;           /* seconds, 0 = off */
	int64_t handshake_sec;        /* UNIX time of the last handshake, 0 = never */
	int64_t handshake_nsec;
	uint64_t rx_bytes, tx_bytes;
	uint32_t protocol_version;
	/* This peer's allowed IPs: a slice of the device's array (NULL when
	 * there are none or the array was too small). */
	const struct pd_wg_allowedip *allowed;
	size_t n_allowed;
};

/* Device "has" bits. */
#define PD_WGD_IFINDEX (1u << 0)
#define PD_WGD_NAME (1u << 1)
#define PD_WGD_PUBLIC_KEY (1u << 2)
#define PD_WGD_PRIVATE_KEY (1u << 3) /* a private key is set (not kept) */
#define PD_WGD_LISTEN_PORT (1u << 4)
#define PD_WGD_FWMARK (1u << 5)

struct pd_wg_device {
	uint32_t has;
	enum pd_wg_source source;
	int ifindex;
	char name[16];
	uint8_t public_key[PD_WGDEV_KEY_LEN];
	uint16_t listen_port;
	uint32_t fwmark;
	size_t n_peers;       /* peers in the reply (may exceed cap_peers) */
	size_t n_allowed;     /* allowed IPs of all peers (may exceed cap_allowed) */
	/* Storage given by the caller before parsing (pd_wg_get() allocates
	 * it; free with pd_wg_device_free()).  A parser that finds more than
	 * fits returns PD_ERR_NOSPACE with n_peers / n_allowed set to what is
	 * needed. */
	struct pd_wg_peer *peers;
	size_t cap_peers;
	struct pd_wg_allowedip *allowed;
	size_t cap_allowed;
};

/* Parse the messages of a WG_CMD_GET_DEVICE dump (one or more netlink
 * messages back to back, normally ending with NLMSG_DONE).  family is the
 * generic netlink family id of "wireguard" (0: accept any id >= 16).  Leaves
 * the storage fields of dev alone and resets everything else. */
int pd_wg_nl_parse(const void *buf, size_t len, uint16_t family, struct pd_wg_device *dev,
		   struct pd_error *err);

/* Parse a UAPI "get=1" reply (text, not NUL-terminated), up to and
 * including its blank line.  A non-zero errno line is PD_ERR_SYSTEM with
 * that sys_errno.  Same storage rules as pd_wg_nl_parse(). */
int pd_wg_uapi_parse(const char *text, size_t len, struct pd_wg_device *dev,
		     struct pd_error *err);

/* Read interface ifname's configuration: over generic netlink if the kernel
 * has the wireguard family and the interface is a kernel WireGuard device,
 * else over the UAPI socket PD_WGDEV_UAPI_DIR/IFNAME.sock (that directory is
 * shared by all network namespaces, so the interface must also exist in the
 * caller's namespace for the socket to be asked).  dev's storage is
 * allocated here: release it with pd_wg_device_free().  Errors:
 * PD_ERR_NOTFOUND (no such WireGuard interface, by either route),
 * PD_ERR_PERM ("CAP_NET_ADMIN" for netlink; for the UAPI socket, which is
 * root's, "root or CAP_DAC_OVERRIDE"), PD_ERR_TIMEOUT (the daemon does not
 * answer within 5 s). */
int pd_wg_get(struct pd_nl *nl, const char *ifname, struct pd_wg_device *dev,
	      struct pd_error *err);

/* Only the UAPI route, with an explicit socket path. */
int pd_wg_uapi_get(const char *sock_path, struct pd_wg_device *dev, struct pd_error *err);

/* Free what pd_wg_get() / pd_wg_uapi_get() allocated and zero dev. */
void pd_wg_device_free(struct pd_wg_device *dev);

/* A key in the base64 form wg(8) prints (44 characters and a NUL). */
void pd_wg_key_base64(const uint8_t key[PD_WGDEV_KEY_LEN], char out[PD_WGDEV_KEY_B64_LEN]);

#ifdef __cplusplus
}
#endif
#endif
