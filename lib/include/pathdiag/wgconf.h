/* wgconf.h - a wg-quick configuration file read from a buffer: every key of
 * [Interface] and [Peer] with the line it came from, and plain errors
 * (unknown keys, malformed keys, addresses, endpoints, numbers out of range)
 * with their line.
 *
 * Specs: wg-quick(8) (Address, DNS, MTU, Table, PreUp/PostUp/PreDown/PostDown
 * repeatable and run in order, SaveConfig) and wg(8) CONFIGURATION FILE
 * FORMAT (PrivateKey, ListenPort, FwMark, PublicKey, PresharedKey,
 * AllowedIPs, Endpoint, PersistentKeepalive).  As wg-quick does: '#' starts
 * a comment anywhere on a line, section names and keys match without
 * regard to case, values are trimmed, repeated single-valued keys keep the
 * last value.  Keys are 32 bytes in base64 (44 characters, one '=').
 *
 * Pure: no I/O, no allocation, no globals.  Hook commands (PostUp, ...) point
 * into the caller's buffer, which must outlive the parsed configuration.
 */
#ifndef PATHDIAG_WGCONF_H
#define PATHDIAG_WGCONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_WGC_MAX_ADDRS 32   /* Address entries of [Interface] */
#define PD_WGC_MAX_DNS 16
#define PD_WGC_MAX_HOOKS 96   /* PreUp + PostUp + PreDown + PostDown lines */
#define PD_WGC_MAX_PEERS 64
#define PD_WGC_MAX_ALLOWED 32 /* AllowedIPs entries of one peer */
#define PD_WGC_MAX_DIAG 32    /* errors kept; more are counted */
#define PD_WGC_HOST_MAX 256
#define PD_WGC_TABLE_MAX 64
#define PD_WGC_DIAG_MAX 160

/* An address with its prefix length ("10.0.0.1/24", "fd00::1"). */
struct pd_wgc_prefix {
	uint8_t family;   /* 4 or 6 */
	uint8_t plen;     /* the prefix length; 32/128 when none was written */
	bool has_plen;
	uint8_t addr[16]; /* network byte order; 4 bytes used for IPv4 */
	unsigned line;
};

/* A number-or-word value that was given (line 0: absent). */
struct pd_wgc_num {
	unsigned line;
	uint32_t value;
	bool off; /* "off" (FwMark, PersistentKeepalive) */
};

enum pd_wgc_hook_kind { PD_WGC_PREUP = 0, PD_WGC_POSTUP, PD_WGC_PREDOWN, PD_WGC_POSTDOWN };

struct pd_wgc_hook {
	enum pd_wgc_hook_kind kind;
	unsigned line;
	const char *cmd; /* into the caller's buffer, not NUL-terminated */
	size_t len;
};

struct pd_wgc_peer {
	unsigned line; /* of its [Peer] header */
	bool has_public_key;
	uint8_t public_key[32];
	unsigned public_key_line;
	bool has_psk;
	unsigned psk_line;
	size_t n_allowed;
	struct pd_wgc_prefix allowed[PD_WGC_MAX_ALLOWED];
	unsigned allowed_line; /* of the first AllowedIPs, 0 if none */
	/* Endpoint = host:port or [v6]:port; family 0 for a host name. */
	bool has_endpoint;
	char endpoint_host[PD_WGC_HOST_MAX];
	uint16_t endpoint_port;
	uint8_t endpoint_family;
	uint8_t endpoint_addr[16];
	unsigned endpoint_line;
	struct pd_wgc_num keepalive; /* seconds */
};

struct pd_wgc_diag {
	unsigned line;
	const char *kind; /* "syntax", "unknown-key", "bad-key", "bad-address", "bad-endpoint",
			   * "bad-number", "bad-value", "too-many" */
	char msg[PD_WGC_DIAG_MAX];
};

struct pd_wgc_config {
	unsigned lines;           /* lines in the buffer */
	unsigned interface_line;  /* of [Interface], 0 if none */
	bool has_private_key;
	uint8_t private_key[32];
	unsigned private_key_line;
	struct pd_wgc_num listen_port;
	struct pd_wgc_num fwmark;
	struct pd_wgc_num mtu;
	size_t n_addr;
	struct pd_wgc_prefix addr[PD_WGC_MAX_ADDRS];
	unsigned dns_line;        /* of the first DNS, 0 if none */
	size_t n_dns;             /* servers and search domains */
	/* Table: "" absent; "off", "auto", a number or a name as written. */
	char table[PD_WGC_TABLE_MAX];
	unsigned table_line;
	bool save_config;
	unsigned save_config_line;
	size_t n_hooks;
	struct pd_wgc_hook hook[PD_WGC_MAX_HOOKS]; /* in file order */
	size_t n_peers;
	struct pd_wgc_peer peer[PD_WGC_MAX_PEERS];
	size_t n_diag, diag_dropped;
	struct pd_wgc_diag diag[PD_WGC_MAX_DIAG];
};

/* Parse buf[0..len) into cfg (every field reset first).  Every problem is
 * recorded in cfg->diag with its line and parsing goes on with the next
 * line.  Returns PD_OK when there were none, else PD_ERR_MALFORMED with err
 * describing the first one (offset: the byte offset of its line).
 * PD_ERR_INVAL for NULL arguments. */
int pd_wgc_parse(const char *buf, size_t len, struct pd_wgc_config *cfg, struct pd_error *err);

/* "PreUp", "PostUp", "PreDown", "PostDown". */
const char *pd_wgc_hook_name(enum pd_wgc_hook_kind k);

/* Decode a WireGuard key (44 base64 characters encoding 32 bytes, the last
 * character one whose low two bits are zero, then '=').  0 or
 * PD_ERR_MALFORMED. */
int pd_wgc_key_decode(const char *s, size_t len, uint8_t key[32], struct pd_error *err);

/* Parse "ADDR[/PLEN]" (need_plen: the length may still be absent, meaning
 * a host) into p.  0 or PD_ERR_MALFORMED with what naming the problem. */
int pd_wgc_prefix_parse(const char *s, size_t len, struct pd_wgc_prefix *p, struct pd_error *err);

/* Does prefix p contain the address (family, addr)? */
bool pd_wgc_prefix_contains(const struct pd_wgc_prefix *p, int family, const uint8_t *addr);

/* "10.0.0.0/24" form of p (the address as written, with its length). */
void pd_wgc_prefix_str(const struct pd_wgc_prefix *p, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
