/* netlink.h - what the netlink queries of libpathdiag share: the socket handle
 * and the address type of nl_link.h (RTM_GETLINK), nl_route.h (RTM_GETROUTE)
 * and wgdev.h (WireGuard device configuration).
 *
 * Specs: RFC 3549 (Linux netlink as an IP services protocol) for the message
 * and attribute framing; the kernel's include/uapi/linux/{netlink,rtnetlink,
 * if_link,if_tunnel}.h for the message types and attribute numbers.
 *
 *   netlink message             attribute (TLV, 4-byte aligned)
 *   | len(4) type(2) flags(2) |  | len(2) type(2) | payload ... | pad |
 *   | seq(4) portid(4)        |  len counts header + payload, not pad; a
 *   | family header | attrs   |  nested attribute's payload is attributes
 *
 * Every query comes in two halves: a pure parser over a reply buffer (no I/O,
 * no globals, no allocation; each attribute's length is checked before it is
 * read), which the unit tests and fuzzers drive with hand-built messages, and
 * a function that sends the request on a socket and hands the reply to it.
 * The socket functions work in the network namespace of the calling thread.
 *
 * Reply buffers given to the parsers are netlink messages exactly as the
 * kernel sends them (host byte order, 4-byte aligned): the buffer itself must
 * be 4-byte aligned (malloc'd memory is), else PD_ERR_INVAL.
 */
#ifndef PATHDIAG_NETLINK_H
#define PATHDIAG_NETLINK_H

#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for any address pd_nl_addr_str() writes, with its NUL. */
#define PD_NL_ADDRSTRLEN 46

/* An IPv4 or IPv6 address as netlink carries it (network byte order). */
struct pd_nl_addr {
	int family;       /* 4, 6, or 0 when absent */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

/* Open netlink sockets (route now, generic netlink when first needed).  One
 * handle serves any number of queries from one thread; every query also
 * accepts nl == NULL and then opens and closes a handle of its own. */
struct pd_nl;
int pd_nl_open(struct pd_nl **nlp, struct pd_error *err);
void pd_nl_close(struct pd_nl *nl);

/* Text form of an address ("192.0.2.1", "2001:db8::1"), "" for family 0.
 * Returns buf. */
const char *pd_nl_addr_str(const struct pd_nl_addr *a, char *buf, size_t len);

/* Parse a numeric IPv4 or IPv6 address: 0 or PD_ERR_INVAL. */
int pd_nl_addr_parse(const char *s, struct pd_nl_addr *a, struct pd_error *err);

/* Two addresses of the same family and value (family 0 equals family 0). */
int pd_nl_addr_equal(const struct pd_nl_addr *a, const struct pd_nl_addr *b);

#ifdef __cplusplus
}
#endif
#endif
