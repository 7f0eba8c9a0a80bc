/* conntrack.h - the kernel's connection tracking table over ctnetlink:
 * a pure parser of one ctnetlink message into struct pd_ct_entry, NAT
 * derived from its two tuples, filters, text in the layout of
 * `conntrack -L -o extended`, and the socket half (streaming dump with
 * kernel-side filters, get by tuple, event subscription, create).
 *
 * Specs: the kernel's include/uapi/linux/netfilter/nfnetlink.h (nfgenmsg,
 * subsystem NFNL_SUBSYS_CTNETLINK, groups NFNLGRP_CONNTRACK_*),
 * nfnetlink_conntrack.h (IPCTNL_MSG_CT_*, CTA_* attributes, CTA_FILTER of
 * Linux 5.8, CTA_STATUS_MASK of 5.19) and nf_conntrack_common.h (IPS_*).
 * Netlink framing as in pathdiag/netlink.h.  Numbers inside ctnetlink
 * attributes are big-endian (unlike rtnetlink).
 *
 *   | nlmsghdr: type = NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_NEW/DELETE |
 *   | nfgenmsg: family(1) version(1) res_id(2 be) |
 *   | CTA_TUPLE_ORIG [ CTA_TUPLE_IP [ V4_SRC V4_DST | V6_SRC V6_DST ]
 *   |                  CTA_TUPLE_PROTO [ NUM u8, SRC_PORT be16, DST_PORT be16 |
 *   |                                    ICMP(V6)_ID be16, _TYPE u8, _CODE u8 ]
 *   |                  CTA_TUPLE_ZONE be16 ]
 *   | CTA_TUPLE_REPLY [ same ] | CTA_STATUS be32 | CTA_TIMEOUT be32 |
 *   | CTA_MARK be32 | CTA_ZONE be16 | CTA_ID be32 | CTA_USE be32 |
 *   | CTA_PROTOINFO [ CTA_PROTOINFO_TCP [ STATE u8, WSCALE_* u8, FLAGS_* 2 ] ] |
 *   | CTA_COUNTERS_ORIG / _REPLY [ PACKETS be64, BYTES be64 ] | CTA_LABELS |
 *   | CTA_TIMESTAMP [ START be64, STOP be64 ] |
 *
 * Conntrack tables are per network namespace: every socket call works in
 * the namespace of the calling thread.  Reading needs CAP_NET_ADMIN there.
 */
#ifndef PATHDIAG_CONNTRACK_H
#define PATHDIAG_CONNTRACK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>
#include <pathdiag/netlink.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Status bits (IPS_*, nf_conntrack_common.h) named by this library; the
 * raw mask in pd_ct_entry.status keeps every bit. */
#define PD_CT_S_EXPECTED (1u << 0)
#define PD_CT_S_SEEN_REPLY (1u << 1)
#define PD_CT_S_ASSURED (1u << 2)
#define PD_CT_S_CONFIRMED (1u << 3)
#define PD_CT_S_SRC_NAT (1u << 4)
#define PD_CT_S_DST_NAT (1u << 5)
#define PD_CT_S_DYING (1u << 9)
#define PD_CT_S_OFFLOAD (1u << 14)
#define PD_CT_S_HW_OFFLOAD (1u << 15)

/* TCP states of CTA_PROTOINFO_TCP_STATE (enum tcp_conntrack). */
enum pd_ct_tcp_state {
	PD_CT_TCP_NONE = 0,
	PD_CT_TCP_SYN_SENT = 1,
	PD_CT_TCP_SYN_RECV = 2,
	PD_CT_TCP_ESTABLISHED = 3,
	PD_CT_TCP_FIN_WAIT = 4,
	PD_CT_TCP_CLOSE_WAIT = 5,
	PD_CT_TCP_LAST_ACK = 6,
	PD_CT_TCP_TIME_WAIT = 7,
	PD_CT_TCP_CLOSE = 8,
	PD_CT_TCP_SYN_SENT2 = 9,
};

/* What a message reports: an entry of a dump or get reply carries no event;
 * events are IPCTNL_MSG_CT_NEW with NLM_F_CREATE (new), without it (update),
 * and IPCTNL_MSG_CT_DELETE (destroy). */
enum pd_ct_event {
	PD_CT_EV_NONE = 0,
	PD_CT_EV_NEW = 1,
	PD_CT_EV_UPDATE = 2,
	PD_CT_EV_DESTROY = 3,
};

/* pd_ct_tuple.has */
#define PD_CT_T_PORTS (1u << 0) /* sport/dport (TCP, UDP, SCTP, DCCP, UDP-Lite) */
#define PD_CT_T_ICMP (1u << 1)  /* icmp_id/type/code (ICMP, ICMPv6) */
#define PD_CT_T_ZONE (1u << 2)  /* per-direction zone (CTA_TUPLE_ZONE) */
#define PD_CT_T_PROTO (1u << 3) /* l4proto was present */

struct pd_ct_tuple {
	struct pd_nl_addr src, dst; /* family 4 or 6 */
	uint8_t l4proto;            /* IPPROTO_* */
	uint8_t icmp_type, icmp_code;
	uint8_t has;                /* PD_CT_T_* */
	uint16_t sport, dport;      /* host order */
	uint16_t icmp_id;           /* host order */
	uint16_t zone;
};

/* pd_ct_entry.has */
#define PD_CT_HAS_REPLY (1u << 0)
#define PD_CT_HAS_STATUS (1u << 1)
#define PD_CT_HAS_TIMEOUT (1u << 2)
#define PD_CT_HAS_MARK (1u << 3)
#define PD_CT_HAS_ZONE (1u << 4)
#define PD_CT_HAS_ID (1u << 5)
#define PD_CT_HAS_USE (1u << 6)
#define PD_CT_HAS_TCP_STATE (1u << 7)
#define PD_CT_HAS_CTR_ORIG (1u << 8)
#define PD_CT_HAS_CTR_REPLY (1u << 9)
#define PD_CT_HAS_LABELS (1u << 10) /* CTA_LABELS present (contents not kept) */
#define PD_CT_HAS_TSTAMP (1u << 11)

struct pd_ct_counters {
	uint64_t packets, bytes;
};

struct pd_ct_entry {
	uint8_t family;            /* 4 or 6 (nfgenmsg) */
	uint8_t l4proto;           /* of the original tuple */
	uint8_t event;             /* enum pd_ct_event */
	uint8_t tcp_state;         /* enum pd_ct_tcp_state */
	uint32_t has;              /* PD_CT_HAS_* */
	struct pd_ct_tuple orig, reply;
	uint32_t status;           /* raw IPS_* mask */
	uint32_t timeout;          /* seconds left */
	uint32_t mark;
	uint32_t id;
	uint32_t use;
	uint16_t zone;             /* CTA_ZONE (both directions) */
	uint8_t tcp_wscale_orig, tcp_wscale_reply;
	struct pd_ct_counters ctr_orig, ctr_reply;
	uint64_t ts_start, ts_stop; /* ns, CTA_TIMESTAMP (stop 0 while alive) */
};

/* Parse one ctnetlink message (nlmsghdr, nfgenmsg, attributes) of type
 * IPCTNL_MSG_CT_NEW or IPCTNL_MSG_CT_DELETE.  buf must be 4-byte aligned.
 * PD_ERR_UNSUPPORTED for another subsystem or message type, or an address
 * family other than IPv4/IPv6; PD_ERR_MALFORMED / PD_ERR_TRUNCATED with
 * the offset of the offending attribute and its name in `what`. */
int pd_ct_parse(const void *buf, size_t len, struct pd_ct_entry *out, struct pd_error *err);

/* ---- NAT, derived from the tuples ------------------------------------------------------ */

#define PD_CT_SNAT 1u /* the reply goes to another source than the original's */
#define PD_CT_DNAT 2u /* the reply comes from another destination */

struct pd_ct_nat {
	unsigned kind;                /* PD_CT_SNAT | PD_CT_DNAT, 0 when none */
	struct pd_nl_addr snat_addr;  /* what the original source became */
	uint16_t snat_port;           /* its port (ICMP: id), host order */
	struct pd_nl_addr dnat_addr;  /* what the original destination became */
	uint16_t dnat_port;
};

/* SNAT when reply.dst != orig.src or reply.dport != orig.sport (ICMP: the
 * id); DNAT when reply.src != orig.dst or reply.sport != orig.dport.
 * Returns kind; 0 also for an entry without a reply tuple. */
unsigned pd_ct_nat(const struct pd_ct_entry *e, struct pd_ct_nat *out);

/* ---- names and text -------------------------------------------------------------------- */

const char *pd_ct_tcp_state_name(uint8_t state);   /* "ESTABLISHED", ... */
const char *pd_ct_l4_name(uint8_t proto);          /* "tcp", "udp", "icmp", ..., "unknown" */
const char *pd_ct_event_name(uint8_t event);       /* "entry", "new", "update", "destroy" */

/* The named bits of a status mask joined by '|' ("SEEN_REPLY|ASSURED"),
 * "" for none.  Returns buf (always NUL-terminated when len > 0). */
const char *pd_ct_status_str(uint32_t status, char *buf, size_t len);

/* One line without newline in the field order of conntrack-tools:
 *   [ipv4     2 ]tcp      6 TIMEOUT STATE src= dst= sport= dport= [packets= bytes=]
 *   [UNREPLIED] src= dst= sport= dport= [packets= bytes=] [OFFLOAD] [ASSURED]
 *   mark=N [zone=N] use=N [id=N]
 * (ICMP tuples: type= code= id=).  Returns the length the whole line needs
 * (as snprintf); the text is cut to len - 1 bytes. */
#define PD_CT_FMT_EXTENDED 1u /* leading "ipv4     2 " as `-o extended` */
#define PD_CT_FMT_ID 2u       /* trailing id= as `-o id` */
size_t pd_ct_format(const struct pd_ct_entry *e, unsigned flags, char *buf, size_t len);

/* ---- filters --------------------------------------------------------------------------- */

/* An address prefix: len bits of addr (family 0: not used). */
struct pd_ct_prefix {
	struct pd_nl_addr addr;
	uint8_t len;
};

/* pd_ct_filter.has: every field named here must match. */
#define PD_CTF_FAMILY (1u << 0)
#define PD_CTF_PROTO (1u << 1)
#define PD_CTF_ORIG_SRC (1u << 2)
#define PD_CTF_ORIG_DST (1u << 3)
#define PD_CTF_REPLY_SRC (1u << 4)
#define PD_CTF_REPLY_DST (1u << 5)
#define PD_CTF_ADDR (1u << 6)       /* any of the four addresses */
#define PD_CTF_ORIG_SPORT (1u << 7)
#define PD_CTF_ORIG_DPORT (1u << 8)
#define PD_CTF_REPLY_SPORT (1u << 9)
#define PD_CTF_REPLY_DPORT (1u << 10)
#define PD_CTF_PORT (1u << 11)      /* any of the four ports */
#define PD_CTF_MARK (1u << 12)      /* (mark & mark_mask) == mark_value */
#define PD_CTF_ZONE (1u << 13)
#define PD_CTF_STATUS (1u << 14)    /* (status & status_mask) == status_value */
#define PD_CTF_NAT (1u << 15)       /* pd_ct_nat() & nat != 0 (translated only) */

struct pd_ct_filter {
	uint32_t has;
	uint8_t family;  /* 4 or 6 */
	uint8_t l4proto;
	struct pd_ct_prefix orig_src, orig_dst, reply_src, reply_dst, addr;
	uint16_t orig_sport, orig_dport, reply_sport, reply_dport, port;
	uint32_t mark_value, mark_mask;
	uint32_t status_value, status_mask;
	uint16_t zone;
	unsigned nat;    /* PD_CT_SNAT | PD_CT_DNAT */
};

/* Does e pass f (NULL or has == 0 passes everything)?  Ports only match
 * tuples that carry ports; a prefix only addresses of its family. */
bool pd_ct_filter_match(const struct pd_ct_filter *f, const struct pd_ct_entry *e);

/* Parse "ADDR" or "ADDR/LEN" into a prefix. */
int pd_ct_prefix_parse(const char *s, struct pd_ct_prefix *p, struct pd_error *err);

/* ---- sockets ---------------------------------------------------------------------------- */

struct pd_ct;

/* pd_ct_opts.groups */
#define PD_CT_GRP_NEW 1u
#define PD_CT_GRP_UPDATE 2u
#define PD_CT_GRP_DESTROY 4u

struct pd_ct_opts {
	unsigned groups; /* PD_CT_GRP_*: 0 for a dump/get/create handle */
	int rcvbuf;      /* bytes; 0: 8 MiB (SO_RCVBUFFORCE when privileged) */
};

/* Open a NETLINK_NETFILTER socket (opts may be NULL).  A handle that
 * subscribes to events should not be used for dumps: use a second one. */
int pd_ct_open(struct pd_ct **out, const struct pd_ct_opts *opts, struct pd_error *err);
void pd_ct_close(struct pd_ct *ct);
int pd_ct_fd(const struct pd_ct *ct);

/* Called once per entry; return 0 to go on, anything else stops the dump
 * (events: the read) and is returned by it. */
typedef int (*pd_ct_cb)(const struct pd_ct_entry *e, void *ctx);

/* pd_ct_dump flags */
#define PD_CT_DUMP_NO_KFILTER 1u /* filter in user space only */

struct pd_ct_dump_stats {
	uint64_t messages;   /* entries the kernel sent */
	uint64_t matched;    /* entries handed to the callback */
	uint64_t datagrams;
	unsigned kfilter;    /* PD_CTF_* bits the kernel was asked to apply */
	bool kfilter_refused; /* the kernel refused them; dumped again without */
	bool interrupted;    /* NLM_F_DUMP_INTR: the table changed meanwhile */
};

/* Stream the table through cb, one entry at a time (nothing is kept).
 * The parts of f the kernel can apply are sent with the request (family,
 * mark/mask, zone, status/mask, exact tuple fields through CTA_FILTER);
 * every entry is then checked against all of f here as well, so the result
 * is the same on kernels without those filters.  st may be NULL. */
int pd_ct_dump(struct pd_ct *ct, const struct pd_ct_filter *f, unsigned flags, pd_ct_cb cb,
	       void *ctx, struct pd_ct_dump_stats *st, struct pd_error *err);

/* The entry whose original (or reply) tuple is t in zone `zone`
 * (IPCTNL_MSG_CT_GET): PD_ERR_NOTFOUND when there is none. */
int pd_ct_get(struct pd_ct *ct, const struct pd_ct_tuple *t, uint16_t zone,
	      struct pd_ct_entry *out, struct pd_error *err);

/* Create entries (IPCTNL_MSG_CT_NEW, NLM_F_CREATE | NLM_F_EXCL): orig,
 * reply (family 0: the inverse of orig), status, timeout (0: 120 s), and
 * when flagged in has: mark, zone, TCP state.  Several entries go in one
 * datagram; *created counts those the kernel accepted (may be NULL).  The
 * first refusal ends the call with its error. */
int pd_ct_create(struct pd_ct *ct, const struct pd_ct_entry *e, size_t n, size_t *created,
		 struct pd_error *err);

/* Delete the entry with original tuple t in zone `zone`. */
int pd_ct_delete(struct pd_ct *ct, const struct pd_ct_tuple *t, uint16_t zone,
		 struct pd_error *err);

/* Wait up to timeout_ms (-1: forever, 0: no wait) for events and deliver
 * those of one datagram to cb with e->event set.  Returns the number
 * delivered (0 on timeout), or a negative status.  When the socket
 * overflowed (ENOBUFS: events were lost), *lost is incremented (may be
 * NULL) and 0 is returned: resynchronise with a dump on another handle. */
int pd_ct_events_read(struct pd_ct *ct, int timeout_ms, pd_ct_cb cb, void *ctx,
		      unsigned *lost, struct pd_error *err);

/* Overruns seen on this handle so far. */
uint64_t pd_ct_overruns(const struct pd_ct *ct);

#ifdef __cplusplus
}
#endif
#endif
