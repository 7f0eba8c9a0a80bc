/* tunrec.h - tunnel packet records: one small fixed-size record per outer
 * tunnel packet, so that each end of a tunnel can capture locally and ship
 * only records (no payloads) for `tunsniff correlate`.  The byte layout and
 * the versioning rules are in docs/records.md; all integers little-endian.
 *
 *   file header (40 + description, padded to 8):
 *   | "PDTUNREC" (8) | major (2) | minor (2) | header len (2) | record size (2) |
 *   | capture start ns (8) | flags (4) | link type (2) | description len (2) |
 *   | reserved (8) | description (UTF-8) | zero padding |
 *   then records of `record size` bytes (32 in version 1.0):
 *   packet   | 1 | kind | flags | wg type | outer len (2) | inner len (2) |
 *            | ts ns (8) | src ep (2) | dst ep (2) | wg receiver (4) | identity (8) |
 *   endpoint | 2 | family | index (2) | reserved (4) | address (16) | reserved (8) |
 *   end      | 3 | 0 (3) | drops (4) | ts ns (8) | packet records (8) | reserved (8) |
 *
 * The identity is what stays the same between the two ends: for WireGuard
 * data the counter (with the receiver index beside it), for other tunnels an
 * FNV-1a 64 hash of the encapsulated packet's first PD_TUNREC_HASH_MAX bytes.
 * Encoding and decoding are pure functions over caller buffers.
 */
#ifndef PATHDIAG_TUNREC_H
#define PATHDIAG_TUNREC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/dissect.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_TUNREC_MAGIC "PDTUNREC"
#define PD_TUNREC_MAJOR 1
#define PD_TUNREC_MINOR 0
#define PD_TUNREC_HDR_FIXED 40
#define PD_TUNREC_DESC_MAX 255
#define PD_TUNREC_HDR_MAX (PD_TUNREC_HDR_FIXED + 256)
#define PD_TUNREC_REC_LEN 32       /* record size written by this version */
#define PD_TUNREC_REC_MAX 4096     /* largest record size a reader accepts */
#define PD_TUNREC_HASH_MAX 256     /* inner bytes hashed for the identity */
#define PD_TUNREC_MAX_ENDPOINTS 1024
#define PD_TUNREC_EP_NONE 0xffff   /* endpoint table was full */

enum pd_tunrec_type {
	PD_TUNREC_PACKET = 1,
	PD_TUNREC_ENDPOINT = 2,
	PD_TUNREC_END = 3,
};

enum pd_tunrec_kind {
	PD_TUNREC_WG = 1,     /* WireGuard over UDP */
	PD_TUNREC_IPIP = 2,   /* IPv4 in IPv4 */
	PD_TUNREC_6IN4 = 3,   /* IPv6 in IPv4 (sit) */
	PD_TUNREC_4IN6 = 4,   /* IPv4 in IPv6 (ip6tnl) */
	PD_TUNREC_6IN6 = 5,   /* IPv6 in IPv6 (ip6tnl) */
	PD_TUNREC_GRE = 6,
	PD_TUNREC_VXLAN = 7,
};
#define PD_TUNREC_KIND_MAX PD_TUNREC_VXLAN

/* Packet record flags. */
#define PD_TUNREC_F_HANDSHAKE 0x01 /* WireGuard initiation, response or cookie */
#define PD_TUNREC_F_KEEPALIVE 0x02 /* WireGuard data without payload */
#define PD_TUNREC_F_DATA 0x04      /* carries an inner packet */
#define PD_TUNREC_F_FRAGMENT 0x08  /* the outer packet is the first IP fragment */
#define PD_TUNREC_F_PARTIAL 0x10   /* identity hashed fewer inner bytes than
				      PD_TUNREC_HASH_MAX because the capture
				      was cut (snap length) */
#define PD_TUNREC_F_KNOWN 0x1f

struct pd_tunrec_addr {
	uint8_t family; /* 4 or 6 */
	uint8_t addr[16]; /* IPv4 in the first 4 bytes, the rest zero */
};

/* A packet record in memory (endpoints resolved to addresses). */
struct pd_tunrec {
	uint64_t ts_ns;        /* capture time, ns since the Unix epoch */
	uint16_t outer_len;    /* outer IP packet length (header + payload) */
	uint16_t inner_len;    /* encapsulated bytes: WireGuard message length,
				  or the inner packet's length */
	uint8_t kind;          /* enum pd_tunrec_kind */
	uint8_t flags;         /* PD_TUNREC_F_* */
	uint8_t wg_type;       /* WireGuard message type, 0 for others */
	uint32_t wg_receiver;  /* WireGuard receiver (or sender) index */
	uint64_t ident;        /* WireGuard counter, or inner-bytes hash */
	struct pd_tunrec_addr src, dst;
};

struct pd_tunrec_header {
	uint16_t major, minor;
	uint16_t hdr_len, rec_len;
	uint64_t start_ns;
	uint32_t flags;
	uint16_t linktype;
	char desc[PD_TUNREC_DESC_MAX + 1]; /* NUL-terminated */
};

/* Endpoint table, shared by the writer (assigns indices) and the reader
 * (resolves them). */
struct pd_tunrec_eps {
	unsigned count;
	unsigned last;  /* writer: index found last (cache) */
	struct pd_tunrec_addr ep[PD_TUNREC_MAX_ENDPOINTS];
};

/* FNV-1a 64 (Fowler-Noll-Vo, offset basis 0xcbf29ce484222325, prime
 * 0x100000001b3) over buf. */
uint64_t pd_fnv1a64(const uint8_t *buf, size_t len);

/* Turn a dissected frame into a record.  Returns 1 and fills rec when the
 * frame's outermost IP packet is a tunnel packet with an identity (WireGuard
 * message, IP-in-IP, GRE, VXLAN), 0 when it is not (rec untouched), or a
 * negative status for invalid arguments.  frame is the buffer given to
 * pd_dissect(). */
int pd_tunrec_from_packet(const struct pd_packet *pkt, const uint8_t *frame, uint64_t ts_ns,
			  struct pd_tunrec *rec);

/* Header: write into buf (cap >= PD_TUNREC_HDR_MAX is always enough); *len
 * gets the bytes written.  desc may be NULL; it is cut at
 * PD_TUNREC_DESC_MAX bytes. */
int pd_tunrec_header_encode(uint64_t start_ns, uint16_t linktype, uint32_t flags,
			    const char *desc, uint8_t *buf, size_t cap, size_t *len,
			    struct pd_error *err);
/* Decode a header from the start of a file.  PD_ERR_TRUNCATED when buf is
 * shorter than the header says (read more and retry with hdr_len bytes),
 * PD_ERR_MALFORMED for a wrong magic or inconsistent lengths,
 * PD_ERR_UNSUPPORTED for a major version other than PD_TUNREC_MAJOR. */
int pd_tunrec_header_decode(const uint8_t *buf, size_t len, struct pd_tunrec_header *hdr,
			    struct pd_error *err);

/* Encode a packet record, preceded by endpoint records for addresses not
 * yet in eps.  cap of 3 * PD_TUNREC_REC_LEN is always enough.  *len gets
 * the bytes written. */
int pd_tunrec_encode(struct pd_tunrec_eps *eps, const struct pd_tunrec *rec, uint8_t *buf,
		     size_t cap, size_t *len, struct pd_error *err);
/* The end record: capture end time, packet records written, kernel drops. */
int pd_tunrec_encode_end(uint64_t end_ns, uint64_t records, uint32_t drops, uint8_t *buf,
			 size_t cap, size_t *len, struct pd_error *err);

/* What pd_tunrec_decode found in one record. */
struct pd_tunrec_item {
	enum pd_tunrec_type type; /* or 0 for a record type this version skips */
	struct pd_tunrec rec;     /* PD_TUNREC_PACKET */
	uint64_t end_ns, end_records; /* PD_TUNREC_END */
	uint32_t end_drops;
};

/* Decode one record of rec_len bytes (from the header) at buf.  Endpoint
 * records update eps; packet records resolve their endpoints through it
 * (an index not yet defined is PD_ERR_MALFORMED).  Unknown record types are
 * skipped (item->type 0), as docs/records.md asks of readers. */
int pd_tunrec_decode(struct pd_tunrec_eps *eps, const uint8_t *buf, size_t len, size_t rec_len,
		     struct pd_tunrec_item *item, struct pd_error *err);

/* "wireguard", "ipip", "6in4", "4in6", "6in6", "gre", "vxlan", "?" */
const char *pd_tunrec_kind_name(unsigned kind);

/* Address as text ("10.0.1.2", "fd00::1"); buf of 46 bytes is enough. */
void pd_tunrec_addr_format(const struct pd_tunrec_addr *a, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
