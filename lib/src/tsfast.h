/* tsfast.h - internal: the most common frame shapes read straight into
 * what the tunnel analysis needs (tunstat.c's fast path, see tsfast.c).
 */
#ifndef PD_TSFAST_H
#define PD_TSFAST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/dissect.h>
#include <pathdiag/tunstat.h>

/* One frame as pd_tunstat_add() would read it from pd_dissect()'s layers,
 * for the shapes tsfast.c takes (none of them a fragment, an ICMP message,
 * a TCP SYN, GRE or VXLAN). */
struct ts_fast {
	int fam;                /* outer IP: 4 or 6 */
	uint8_t src[16], dst[16]; /* its addresses (IPv4: 12 bytes of zero after) */
	uint32_t olen;          /* its length from its header */
	bool udp;               /* it carries UDP */
	enum pd_tun_kind kind;  /* NONE, WIREGUARD, IP6TNL, IPIP or 6IN4 */
	uint16_t sport, dport;  /* WIREGUARD: the outer UDP ports */
	struct pd_wg wg;        /* WIREGUARD: the data message */
	/* IP6TNL, IPIP, 6IN4: the inner IP header */
	int ifam;
	uint32_t ilen;
	bool tcp;               /* a TCP segment (not a SYN) follows it */
	uint8_t isrc[16], idst[16];
	uint32_t thdr;          /* inner IP header + TCP header bytes */
	struct pd_tcp th;       /* sport, dport, seq, ack, hdr_len, flags only */
};

/* Read the frame when it has one of the shapes taken and pd_dissect()
 * (with these opts, NULL for the defaults) would decode it without error:
 * true with *out filled; false for every other frame. */
bool ts_fast_parse(int linktype, const uint8_t *buf, size_t caplen,
		   const struct pd_dissect_opts *opts, struct ts_fast *out);

#endif
