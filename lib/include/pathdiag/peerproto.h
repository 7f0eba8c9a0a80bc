/* peerproto.h - the pathdiag peer protocol (version 1): the messages
 * between `mtuprobe --peer` and the responder `mtuprobe serve`, over UDP
 * port 20548 (and one TCP message on the same port).  Spec: docs/responder.md;
 * HMAC-SHA256 per RFC 2104.
 *
 * Every message starts with the same 16-byte header; the body follows, then
 * padding (any bytes, up to the size the sender wants the datagram to
 * have), then, when the AUTH flag is set, the 40-byte trailer:
 *
 *    0                   1                   2                   3
 *    0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   'P' (0x50)  |   'D' (0x44)  |  version (1)  |     type      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |     flags     |   reserved    |          body length          |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                       nonce (64 bits)                         |
 *   |                                                               |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 body (body length bytes) ...                  |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |                 padding (ignored) ...                         |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *   |   only with flags & AUTH, the last 40 bytes of the datagram:  |
 *   |   timestamp, ms since 1970 on the server's clock (64 bits)    |
 *   |   HMAC-SHA256(key, every byte before the MAC) (256 bits)      |
 *   +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
 *
 * All numbers are big-endian.  The 16-byte header layout (magic, version,
 * type at 3, nonce at 8) is the same in every version, so a responder can
 * answer any version with BAD_VERSION.  The MAC covers the header, body,
 * padding and timestamp: nothing in an authenticated datagram, including
 * its size, can be changed.
 *
 * Bodies (offsets from the start of the body; "r" = reserved, sent as 0):
 *
 *   HELLO     (client)  empty
 *   INFO      (server)  0 version max | 1 caps | 2 TCP port (16) |
 *                       4 max reply size (16) | 6 max sizes | 7 family |
 *                       8 seen port (16) | 10 r (16) | 12 server time ms (64) |
 *                       20 seen address (128; IPv4 in the first 4, rest 0) |
 *                       36 max auth bytes (32) | 40 auth window ms (32) |
 *                       44 software length n (<= 31) | 45 software (n, printable)
 *   FWD_PROBE (client)  0 sequence (32); the padding makes the probe's size
 *   FWD_ACK   (server)  0 sequence (32) | 4 bytes received (16) | 6 r (16)
 *   REV_REQ   (client)  0 count (1..32) | 1 r | 2 sizes (count x 16): IP
 *                       packet sizes the server is asked to send back
 *   REV_DATA  (server)  0 index | 1 count | 2 size (16), padding up to size
 *   MSS_REPORT(server, over TCP) 0 flags | 1 family | 2 MSS (16) |
 *                       4 window scale | 5 TTL / hop limit | 6 seen port (16) |
 *                       8 seen address (128) | 24 SYN bytes (16) | 26 r (16)
 *   ERROR     (server)  0 code | 1 r | 2 arg (16) | 4 arg32 (32) |
 *                       8 server time ms (64)
 *
 * A body may be longer than its type defines (extensions); the extra bytes
 * are ignored.  The decoder is a pure function over (buffer, length).
 */
#ifndef PATHDIAG_PEERPROTO_H
#define PATHDIAG_PEERPROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_PEER_PORT 20548     /* 0x5044, "PD" */
#define PD_PEER_VERSION 1
#define PD_PEER_MAGIC0 0x50
#define PD_PEER_MAGIC1 0x44
#define PD_PEER_HDR_LEN 16
#define PD_PEER_TS_LEN 8
#define PD_PEER_MAC_LEN 32
#define PD_PEER_AUTH_LEN (PD_PEER_TS_LEN + PD_PEER_MAC_LEN)
#define PD_PEER_MAX_SIZES 32   /* sizes in one REV_REQ */
#define PD_PEER_SOFTWARE_MAX 31
#define PD_PEER_UDP_MAX 65507  /* largest UDP payload over IPv4 */
#define PD_PEER_KEY_MIN 16     /* shared key bytes */
#define PD_PEER_KEY_MAX 64

/* IP + UDP header bytes in front of a message: the responder counts every
 * datagram at the IP layer with these (no options, no extension headers). */
#define PD_PEER_OVERHEAD4 28
#define PD_PEER_OVERHEAD6 48

/* Body sizes (the least a message of each type carries). */
#define PD_PEER_HELLO_BODY 0
#define PD_PEER_INFO_BODY 45   /* plus the software string */
#define PD_PEER_FWD_BODY 4
#define PD_PEER_ACK_BODY 8
#define PD_PEER_REV_BODY 2     /* plus 2 bytes per size */
#define PD_PEER_DATA_BODY 4
#define PD_PEER_MSS_BODY 28
#define PD_PEER_ERROR_BODY 16
/* Largest header + body a responder ever writes (INFO with the longest
 * software string); replies are this "head" followed by zero padding. */
#define PD_PEER_HEAD_MAX (PD_PEER_HDR_LEN + PD_PEER_INFO_BODY + PD_PEER_SOFTWARE_MAX)

/* flags */
#define PD_PEER_F_AUTH 0x01
#define PD_PEER_F_KNOWN PD_PEER_F_AUTH

enum pd_peer_type {
	PD_PEER_HELLO = 1,
	PD_PEER_INFO = 2,
	PD_PEER_FWD_PROBE = 3,
	PD_PEER_FWD_ACK = 4,
	PD_PEER_REV_REQ = 5,
	PD_PEER_REV_DATA = 6,
	PD_PEER_MSS_REPORT = 7,
	PD_PEER_ERROR = 8,
};

/* INFO caps */
#define PD_PEER_CAP_FORWARD 0x01
#define PD_PEER_CAP_REVERSE 0x02
#define PD_PEER_CAP_AUTH 0x04      /* the responder has a key */
#define PD_PEER_CAP_TCP_MSS 0x08   /* TCP port in INFO reports SYN options */

/* MSS_REPORT flags */
#define PD_PEER_MSS_HAS_MSS 0x01
#define PD_PEER_MSS_HAS_WSCALE 0x02
#define PD_PEER_MSS_SACK_OK 0x04
#define PD_PEER_MSS_HAS_TS 0x08
#define PD_PEER_MSS_NO_SYN 0x80    /* the kernel kept no SYN: nothing known */
#define PD_PEER_MSS_KNOWN 0x8f

enum pd_peer_errcode {
	PD_PEER_E_RATE_LIMITED = 1, /* arg: retry after this many ms */
	PD_PEER_E_TOO_BIG = 2,      /* arg: IP bytes the request could earn
				       (at most 65535); arg32: bit i set = size i
				       of a REV_REQ was not sent */
	PD_PEER_E_BAD_AUTH = 3,     /* arg 1: the responder has no key */
	PD_PEER_E_STALE = 4,        /* timestamp outside the window; resync
				       from the server time */
	PD_PEER_E_REPLAY = 5,
	PD_PEER_E_BAD_VERSION = 6,  /* arg: the version the responder speaks */
	PD_PEER_E_MALFORMED = 7,    /* arg: byte offset; arg32: -(pd_status) */
	PD_PEER_E_UNSUPPORTED = 8,  /* arg: the message type */
};

/* An address as one side saw the other: family 4 or 6, port, address
 * (IPv4 in addr[0..4), the other 12 bytes zero). */
struct pd_peer_addr {
	uint8_t family;
	uint16_t port;
	uint8_t addr[16];
};

struct pd_peer_info {
	uint8_t version_max;
	uint8_t caps;                /* PD_PEER_CAP_* */
	uint16_t tcp_port;           /* 0: no TCP listener */
	uint16_t max_reply;          /* largest REV_DATA, IP bytes */
	uint8_t max_sizes;           /* sizes one REV_REQ may list */
	struct pd_peer_addr seen;    /* the request's source as received */
	uint64_t server_time_ms;
	uint32_t max_auth_bytes;     /* IP bytes of replies to one signed request */
	uint32_t auth_window_ms;     /* timestamps accepted within +- this */
	char software[PD_PEER_SOFTWARE_MAX + 1];
};

struct pd_peer_fwd {
	uint32_t seq;
};

struct pd_peer_fwd_ack {
	uint32_t seq;
	uint16_t rx_len;             /* UDP payload bytes of the probe received */
};

struct pd_peer_rev_req {
	uint8_t count;
	uint16_t size[PD_PEER_MAX_SIZES];
};

struct pd_peer_rev_data {
	uint8_t index;               /* which size of the request (< count) */
	uint8_t count;
	uint16_t size;               /* IP packet size this reply was built as */
};

struct pd_peer_mss {
	uint8_t flags;               /* PD_PEER_MSS_* */
	uint16_t mss;                /* valid with PD_PEER_MSS_HAS_MSS */
	uint8_t wscale;              /* valid with PD_PEER_MSS_HAS_WSCALE */
	uint8_t ttl;                 /* IPv4 TTL or IPv6 hop limit of the SYN */
	struct pd_peer_addr seen;
	uint16_t syn_len;            /* bytes of the saved SYN (IP + TCP headers) */
};

struct pd_peer_err {
	uint8_t code;                /* enum pd_peer_errcode (others possible) */
	uint16_t arg;
	uint32_t arg32;
	uint64_t server_time_ms;
};

struct pd_peer_msg {
	uint8_t version;
	uint8_t type;                /* enum pd_peer_type */
	uint8_t flags;
	uint16_t body_len;
	uint64_t nonce;
	size_t len;                  /* bytes of the datagram */
	size_t pad_len;              /* bytes between the body and the trailer */
	bool auth;                   /* trailer present (not yet verified) */
	uint64_t ts_ms;              /* trailer timestamp */
	size_t mac_off;              /* MAC at [mac_off, +32), covers [0, mac_off) */
	union {
		struct pd_peer_info info;
		struct pd_peer_fwd fwd;
		struct pd_peer_fwd_ack ack;
		struct pd_peer_rev_req rev;
		struct pd_peer_rev_data data;
		struct pd_peer_mss mss;
		struct pd_peer_err error;
	} u;
};

/* "hello", "info", ... or "unknown". */
const char *pd_peer_type_name(int type);
/* "rate-limited", "too-big", ... or "unknown". */
const char *pd_peer_errcode_name(int code);
/* HELLO, FWD_PROBE and REV_REQ: what a client sends and a responder
 * answers.  A responder never answers anything else (no reply loops). */
bool pd_peer_type_is_request(int type);
/* PD_PEER_OVERHEAD4 or PD_PEER_OVERHEAD6; 0 for another family. */
unsigned pd_peer_overhead(int family);

/* Decode one datagram (or the TCP report).  Checks, in order: header
 * present (TRUNCATED), magic (MALFORMED at 0), version (UNSUPPORTED at 2;
 * version, type and nonce are set even then), type (UNSUPPORTED at 3),
 * flags (UNSUPPORTED at 4), body and trailer inside the buffer (TRUNCATED),
 * body long enough for its type and every field valid (MALFORMED at the
 * field).  Does not verify the MAC (pd_peer_verify). */
int pd_peer_decode(const uint8_t *buf, size_t len, struct pd_peer_msg *m,
		   struct pd_error *err);

/* true when m (decoded from buf[0..len)) carries a trailer whose MAC is
 * HMAC-SHA256(key, buf[0..mac_off)).  Constant time in the MAC bytes. */
bool pd_peer_verify(const uint8_t *buf, size_t len, const struct pd_peer_msg *m,
		    const uint8_t *key, size_t key_len);

/* Encode m (type, nonce, the union member of the type; ts_ms when signing)
 * into buf: header, body, zero padding up to total_len (0 = the smallest
 * message), and when key is non-NULL the trailer with HMAC-SHA256 (flags
 * gets AUTH).  *out_len = bytes written.  PD_ERR_INVAL for a field no
 * decoder would accept or a total_len below the minimum or above
 * PD_PEER_UDP_MAX, PD_ERR_NOSPACE when cap is too small; nothing is
 * written on error.  Whatever it writes, pd_peer_decode accepts. */
int pd_peer_encode(const struct pd_peer_msg *m, size_t total_len, const uint8_t *key,
		   size_t key_len, uint8_t *buf, size_t cap, size_t *out_len,
		   struct pd_error *err);

/* Smallest datagram encoding m's type and body would take (no trailer). */
size_t pd_peer_min_len(const struct pd_peer_msg *m);

/* Parse a key file's text: lines starting with '#' and blank lines are
 * skipped; exactly one line holds the key as 32..128 hex digits (16..64
 * bytes), surrounded by optional blanks.  Errors (MALFORMED) carry the
 * byte offset in text. */
int pd_peer_key_parse(const char *text, size_t len, uint8_t key[PD_PEER_KEY_MAX],
		      size_t *key_len, struct pd_error *err);

/* "192.0.2.1:20548" or "[2001:db8::1]:20548" (port left out when
 * with_port is false).  Always NUL-terminates; PD_ERR_NOSPACE if cut,
 * PD_ERR_INVAL for a family other than 4 or 6. */
int pd_peer_addr_format(const struct pd_peer_addr *a, bool with_port, char *buf,
			size_t len);

/* ---- client side (peer_client.c): build requests, match replies --------
 *
 * Pure like the rest of this header: the caller owns the socket and the
 * clock.  Nonces come from HMAC-SHA256(seed, counter), so they are
 * unpredictable when the seed is (the caller reads it from getrandom()).
 * Signed requests carry the server's clock, learned from INFO (or from a
 * STALE error) with half the round trip added; until then the local one. */

#define PD_PEER_CLIENT_SLOTS 64   /* requests awaiting replies */
#define PD_PEER_HELLO_LEN 128     /* a HELLO big enough to earn its INFO */

struct pd_peer_pending {
	uint64_t nonce;               /* 0: slot free */
	uint64_t sent_ms;
	uint8_t type;                 /* the request's type */
	uint8_t count;                /* REV_REQ: sizes asked */
	uint32_t seq;                 /* FWD_PROBE: sequence */
	uint32_t got;                 /* REV_REQ: bit i = size i arrived */
	uint32_t refused;             /* REV_REQ: bit i = server will not send i */
	uint16_t size[PD_PEER_MAX_SIZES];
};

struct pd_peer_client {
	uint8_t key[PD_PEER_KEY_MAX];
	size_t key_len;               /* 0: requests are not signed */
	uint8_t seed[32];
	uint64_t counter;
	bool clock_known;
	int64_t clock_offset_ms;      /* server clock minus local clock */
	uint64_t last_ts;             /* timestamps only ever go up */
	uint64_t last_nonce;          /* nonce of the request built last */
	struct pd_peer_pending slot[PD_PEER_CLIENT_SLOTS];
};

/* key may be NULL (key_len 0) or 16..64 bytes.  PD_ERR_INVAL otherwise. */
int pd_peer_client_init(struct pd_peer_client *c, const uint8_t seed[32], const uint8_t *key,
			size_t key_len, struct pd_error *err);
/* Forget the key and seed. */
void pd_peer_client_wipe(struct pd_peer_client *c);

/* HELLO of total_len bytes (0: PD_PEER_HELLO_LEN; signed, at least that
 * plus the trailer).  Signed if sign and a key: a signed HELLO is answered
 * even when the client's address is over its rate (a flood), but needs a
 * clock within the window; an unsigned one teaches the client the server's
 * clock. */
int pd_peer_client_hello(struct pd_peer_client *c, uint64_t now_ms, size_t total_len, bool sign,
			 uint8_t *buf, size_t cap, size_t *len, struct pd_error *err);
/* FWD_PROBE with sequence seq, exactly total_len bytes of UDP payload
 * (the probe size minus PD_PEER_OVERHEAD4/6); signed if sign and a key. */
int pd_peer_client_forward(struct pd_peer_client *c, uint64_t now_ms, uint32_t seq,
			   size_t total_len, bool sign, uint8_t *buf, size_t cap, size_t *len,
			   struct pd_error *err);
/* REV_REQ for sizes[0..n) (IP packet sizes), padded to total_len (0: the
 * minimum); signed when the client has a key.  Without a key the server
 * sends only what the request's own size pays for:
 * pd_peer_reverse_len() says how large an unsigned request must be. */
int pd_peer_client_reverse(struct pd_peer_client *c, uint64_t now_ms, const uint16_t *sizes,
			   size_t n, size_t total_len, uint8_t *buf, size_t cap, size_t *len,
			   struct pd_error *err);
/* UDP payload bytes an unsigned REV_REQ needs so that every size can be
 * answered over the given family (4 or 6): the sum of the sizes minus one
 * IP+UDP header, and at least the request's minimum.  0 for bad input. */
size_t pd_peer_reverse_len(const uint16_t *sizes, size_t n, int family);

struct pd_peer_match {
	struct pd_peer_msg msg;       /* the reply */
	int slot;                     /* index in c->slot */
	uint8_t req_type;
	uint64_t rtt_ms;
	bool duplicate;               /* a REV_DATA index already seen */
	bool complete;                /* nothing more is expected: slot freed */
	uint32_t got, refused;        /* REV_REQ state after this reply */
};

/* Decode a datagram from the server and find its request by nonce.
 * family (4, 6, or 0 to skip the check) lets REV_DATA's length be checked
 * against the size it claims.  PD_ERR_NOTFOUND: no request has this nonce
 * (late, duplicate of a finished request, or forged); PD_ERR_MALFORMED:
 * the reply does not fit its request (type, sequence, index or size);
 * decode errors as pd_peer_decode. */
int pd_peer_client_match(struct pd_peer_client *c, uint64_t now_ms, int family,
			 const uint8_t *buf, size_t len, struct pd_peer_match *out,
			 struct pd_error *err);

/* The request with this nonce, or NULL. */
const struct pd_peer_pending *pd_peer_client_pending(const struct pd_peer_client *c,
						     uint64_t nonce);
/* Stop waiting for a request (after a timeout). */
void pd_peer_client_release(struct pd_peer_client *c, uint64_t nonce);

#ifdef __cplusplus
}
#endif
#endif
