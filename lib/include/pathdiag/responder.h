/* responder.h - the peer responder behind `mtuprobe serve`: what to answer
 * to each datagram (pure decision logic, no sockets), and the socket loop
 * that feeds it (responder_io.c).  Protocol: pathdiag/peerproto.h,
 * docs/responder.md.
 *
 * Security properties the decision logic enforces, each in one place:
 * - Amplification: the replies to one unauthenticated datagram never hold
 *   more bytes, counted at the IP layer (PD_PEER_OVERHEAD4/6 per
 *   datagram), than that datagram.  Only a request whose HMAC verified with
 *   the shared key may earn more, up to max_auth_bytes (plan_add in
 *   responder.c is the only place a reply is added).
 * - Replay: a signed request is accepted once, inside +-auth_window_ms of
 *   the server clock, and never with a timestamp at or below the newest
 *   timestamp the bounded nonce cache has had to forget.
 * - Rate: token buckets per source (IPv4 address, IPv6 /64) for requests
 *   and reply bytes, and one for all unauthenticated reply bytes; sources
 *   live in a fixed-size set-associative table (least recently seen entry
 *   reused, counted), so memory is fixed when the responder is created.
 *   A reused entry passes its buckets on to the newcomer: churning through
 *   more sources than the table holds never earns fresh tokens.
 * - Signed requests: their replies are paid from one bucket for all signed
 *   traffic, not from the source's; a source over its request rate may
 *   still have its MAC checked, from a global bucket of MAC checks, so a
 *   key holder is served while its address (or its table set) is flooded.
 * - No loops: only HELLO, FWD_PROBE and REV_REQ are ever answered; source
 *   port 0 (and below 1024 unless allowed), multicast, broadcast,
 *   unspecified and IPv4-mapped sources are dropped.
 */
#ifndef PATHDIAG_RESPONDER_H
#define PATHDIAG_RESPONDER_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/peerproto.h>

#ifdef __cplusplus
extern "C" {
#endif

struct pd_responder_config {
	const uint8_t *key;          /* shared key (copied), or NULL */
	size_t key_len;              /* 0 or PD_PEER_KEY_MIN..PD_PEER_KEY_MAX */
	uint16_t tcp_port;           /* advertised in INFO; 0: no MSS report */
	uint16_t max_reply;          /* largest REV_DATA, IP bytes (default 9000) */
	uint32_t max_auth_bytes;     /* replies to one signed request (131072) */
	uint32_t auth_window_ms;     /* timestamp window (30000) */
	uint32_t src_pps;            /* requests per second per source (100) */
	uint32_t src_pps_burst;      /* (200) */
	uint32_t src_bps;            /* reply bytes per second per source (262144) */
	uint32_t src_bps_burst;      /* (524288) */
	uint32_t global_bps;         /* unauthenticated reply bytes/s, all
					sources together (4194304) */
	uint32_t global_bps_burst;   /* (8388608) */
	uint32_t auth_bps;           /* reply bytes/s to signed requests, all
					sources together (33554432) */
	uint32_t auth_bps_burst;     /* (33554432) */
	uint32_t verify_pps;         /* MAC checks/s for sources over their
					request rate (20000) */
	uint32_t verify_burst;       /* (20000) */
	uint32_t table_size;         /* sources tracked: power of 2, 8..2^20 (4096) */
	uint32_t replay_size;        /* nonces remembered: power of 2, 8..2^20 (4096) */
	uint64_t hash_seed[2];       /* random per process: fill with pd_peer_random() */
	bool allow_low_ports;        /* answer source ports 1..1023 too */
	const char *software;        /* INFO software string (<= 31 printable) */
};

/* The defaults above; key NULL, hash seed 0, software "pathdiag " PD_VERSION. */
void pd_responder_config_default(struct pd_responder_config *cfg);

struct pd_responder;

/* Allocate all state (no allocation afterwards).  now_ms: the server clock
 * (ms since 1970); signed requests older than this are never accepted, so a
 * restart cannot be used to replay.  PD_ERR_INVAL names a bad field. */
int pd_responder_new(const struct pd_responder_config *cfg, uint64_t now_ms,
		     struct pd_responder **out, struct pd_error *err);
/* Wipes the key.  NULL is fine. */
void pd_responder_free(struct pd_responder *r);

/* Maximum replies to one datagram: one per size of a REV_REQ plus an ERROR. */
#define PD_RESP_MAX_REPLIES (PD_PEER_MAX_SIZES + 1)

/* One reply: `head` (header and body, PD_PEER_HEAD_MAX at most) followed by
 * len - head_len zero bytes make the UDP payload. */
struct pd_resp_reply {
	uint16_t len;
	uint16_t head_len;
	uint8_t type;
	uint8_t head[PD_PEER_HEAD_MAX];
};

enum pd_resp_reason {
	PD_RESP_OK = 0,          /* answered in full */
	PD_RESP_BAD_SOURCE,      /* port 0 / low port / not unicast: silence */
	PD_RESP_NOT_OURS,        /* shorter than a header or wrong magic: silence */
	PD_RESP_NOT_REQUEST,     /* a server message: silence (no loops) */
	PD_RESP_RATE_SOURCE,     /* per-source limit */
	PD_RESP_RATE_GLOBAL,     /* all-sources limit */
	PD_RESP_MALFORMED,       /* ERROR MALFORMED / BAD_VERSION / UNSUPPORTED */
	PD_RESP_BAD_AUTH,
	PD_RESP_STALE,
	PD_RESP_REPLAY,
	PD_RESP_TOO_BIG,         /* some or all replies refused by the budget */
};

/* "ok", "bad-source", ... */
const char *pd_resp_reason_name(int reason);

/* What to send back for one datagram. */
struct pd_resp_plan {
	size_t n;
	struct pd_resp_reply reply[PD_RESP_MAX_REPLIES];
	uint32_t req_ip_bytes;   /* the datagram, counted at the IP layer */
	uint32_t budget;         /* IP bytes the replies may hold in total */
	uint32_t ip_bytes;       /* IP bytes the replies hold */
	bool authenticated;      /* the MAC verified (budget max_auth_bytes) */
	enum pd_resp_reason reason;
	uint8_t type;            /* message type, 0 if not decoded */
};

/* Decide the replies to a UDP datagram req[0..len) from src (received at
 * now_ms).  Always fills plan; returns PD_OK, or PD_ERR_INVAL for NULL
 * arguments.  Updates rate buckets, replay cache and statistics. */
int pd_responder_udp(struct pd_responder *r, const uint8_t *req, size_t len,
		     const struct pd_peer_addr *src, uint64_t now_ms,
		     struct pd_resp_plan *plan);

/* Decide the MSS report for an accepted TCP connection from src whose SYN
 * headers (IP header onwards, as TCP_SAVED_SYN gives them) are
 * syn[0..syn_len); syn_len 0 when the kernel kept none.  The plan holds at
 * most one reply (an MSS_REPORT, nonce 0), none when src is rate limited. */
int pd_responder_tcp(struct pd_responder *r, const uint8_t *syn, size_t syn_len,
		     const struct pd_peer_addr *src, uint64_t now_ms,
		     struct pd_resp_plan *plan);

struct pd_responder_stats {
	uint64_t rx_packets, rx_bytes;     /* UDP datagrams seen */
	uint64_t tx_packets, tx_bytes;     /* replies planned (UDP payload bytes) */
	uint64_t tx_unauth_ip_bytes;       /* IP bytes of replies to unsigned requests */
	uint64_t rx_unauth_ip_bytes;       /* IP bytes of unsigned requests answered */
	uint64_t hello, forward, reverse;  /* requests by type (decoded) */
	uint64_t not_ours, not_request, bad_source, malformed;
	uint64_t rate_source, rate_global; /* datagrams or replies limited */
	uint64_t auth_ok, auth_bad, auth_stale, auth_replay;
	uint64_t refused;                  /* replies refused by the budget */
	uint64_t tcp_reports, tcp_no_syn;
	uint64_t src_evictions;            /* table entries reused for a new source */
	uint64_t replay_evictions;         /* nonces forgotten inside the window */
	uint32_t src_in_use, src_capacity;
	uint32_t replay_capacity;
	size_t memory_bytes;               /* fixed at creation */
	uint64_t tcp_rate_limited;         /* TCP connections closed without a report
					      (source over its request rate) */
};

void pd_responder_get_stats(const struct pd_responder *r, struct pd_responder_stats *st);

/* ---- socket loop (responder_io.c) ---------------------------------------- */

struct pd_responder_io_config {
	uint16_t port;               /* UDP and TCP port (PD_PEER_PORT) */
	bool v4, v6;                 /* open IPv4 / IPv6 sockets */
	bool tcp;                    /* TCP listener for the MSS report */
	const char *bind4;           /* numeric address, NULL: any */
	const char *bind6;
};

void pd_responder_io_config_default(struct pd_responder_io_config *cfg);

struct pd_responder_io_stats {
	uint64_t rx_errors;          /* recvmmsg failures other than EAGAIN */
	uint64_t tx_errors;          /* replies the kernel refused */
	uint64_t tx_emsgsize;        /* ... of which larger than the local MTU */
	uint64_t tcp_accepted;
	uint64_t tcp_errors;
	uint64_t loops;
};

struct pd_responder_io;

/* Open the sockets: UDP with IP_PKTINFO / IPV6_RECVPKTINFO (replies leave
 * from the address the request came to), IP_PMTUDISC_PROBE and
 * IPV6_PMTUDISC_PROBE + IPV6_DONTFRAG (DF replies of exactly the asked size,
 * whatever the route's PMTU cache says), and a TCP listener with
 * TCP_SAVE_SYN.  A family whose socket cannot be opened (IPv6 disabled) is
 * skipped when the other one opened; PD_ERR_SYSTEM when none did.  The
 * responder r stays owned by the caller and must outlive io. */
int pd_responder_io_open(const struct pd_responder_io_config *cfg, struct pd_responder *r,
			 struct pd_responder_io **out, struct pd_error *err);

/* Serve until *stop becomes non-zero (set it from a SIGINT/SIGTERM handler;
 * it is checked at least every 200 ms).  PD_OK when stopped, PD_ERR_SYSTEM
 * if polling fails. */
int pd_responder_io_run(struct pd_responder_io *io, volatile sig_atomic_t *stop,
			struct pd_error *err);

/* One round: wait up to timeout_ms for traffic and serve what is there. */
int pd_responder_io_poll(struct pd_responder_io *io, int timeout_ms, struct pd_error *err);

/* Several socket sets served by one loop (`mtuprobe serve` with more than
 * one --port or --bind): each opened by pd_responder_io_open, usually over
 * one shared responder, so rate limits and the replay cache span them all.
 * At most PD_RESP_IO_SET_MAX sets.  Returns as pd_responder_io_run. */
#define PD_RESP_IO_SET_MAX 16
int pd_responder_io_run_set(struct pd_responder_io *const *io, size_t n,
			    volatile sig_atomic_t *stop, struct pd_error *err);

void pd_responder_io_get_stats(const struct pd_responder_io *io,
			       struct pd_responder_io_stats *st);
/* Which sockets are open: bit 0 UDP4, 1 UDP6, 2 TCP4, 3 TCP6. */
unsigned pd_responder_io_sockets(const struct pd_responder_io *io);
void pd_responder_io_close(struct pd_responder_io *io);

/* Read a key file (format: pd_peer_key_parse).  PD_ERR_PERM when the file
 * can be read or written by group or others (`what` says so), PD_ERR_SYSTEM
 * when it cannot be read, PD_ERR_MALFORMED from the parser. */
int pd_peer_key_load(const char *path, uint8_t key[PD_PEER_KEY_MAX], size_t *key_len,
		     struct pd_error *err);

/* Fill buf with len bytes from getrandom() (hash seeds, client seeds). */
int pd_peer_random(void *buf, size_t len, struct pd_error *err);

/* Current time for the responder: ms since 1970 (CLOCK_REALTIME). */
uint64_t pd_responder_now_ms(void);

#ifdef __cplusplus
}
#endif
#endif
