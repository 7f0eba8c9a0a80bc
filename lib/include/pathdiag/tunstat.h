/* tunstat.h - what a tunnel does to packet sizes, from packets seen at one
 * end: per tunnel and direction counts, outer size distribution, largest
 * outer and inner packets, encapsulation overhead and the tunnel MTU they
 * imply, and findings that cite the frames proving them.
 *
 * Specifications: IPIP (RFC 2003), 6in4 (RFC 4213), IPv6 tunnels with the
 * Tunnel Encapsulation Limit (RFC 2473 sections 4.1, 5.1), GRE (RFC 2784,
 * RFC 2890), VXLAN (RFC 7348), WireGuard (whitepaper section 5.4: message
 * layout, padding of the plaintext to 16 bytes stopping at the MTU), ICMP
 * fragmentation needed (RFC 1191) and Packet Too Big (RFC 8201), TCP MSS
 * (RFC 9293 section 3.7.1, RFC 8200 section 5: the largest MSS a tunnel
 * MTU allows is taken as MTU - 40 for IPv4 and MTU - 60 for IPv6).
 *
 * Pure: fed dissected packets, no I/O.  Memory is fixed when the state is
 * created: a tunnel table of a chosen capacity, fixed-size flow, session
 * and evidence tables, each with a rule for a new entry when it is full
 * (eviction or counting; see "Tables" below).  Nothing grows with the
 * number of packets or flows.
 *
 * Directions: a tunnel's endpoint "a" is the source of the first packet seen
 * of it; dir 0 is a -> b, dir 1 is b -> a.
 *
 * Outer size: the outer IP packet's length from its header (IPv4 total
 * length, IPv6 40 + payload length), so a snap length does not change it.
 */
#ifndef PATHDIAG_TUNSTAT_H
#define PATHDIAG_TUNSTAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/dissect.h>
#include <pathdiag/output.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pd_tun_kind {
	PD_TUN_NONE = 0,
	PD_TUN_WIREGUARD,
	PD_TUN_IP6TNL, /* IPv4 or IPv6 in IPv6 (4in6, 6in6), RFC 2473 */
	PD_TUN_IPIP,   /* IPv4 in IPv4 */
	PD_TUN_6IN4,   /* IPv6 in IPv4 (sit) */
	PD_TUN_GRE,
	PD_TUN_VXLAN,
	PD_TUN_KINDS
};

/* "wireguard", "ip6tnl", "ipip", "6in4", "gre", "vxlan", "none". */
const char *pd_tun_kind_name(enum pd_tun_kind k);

/* Outer size histogram: bucket i counts sizes below pd_ts_bucket_limit[i]
 * (the last bucket: everything else). */
#define PD_TS_NBUCKETS 10
extern const uint32_t pd_ts_bucket_limit[PD_TS_NBUCKETS];

#define PD_TS_MAX_TUNNELS 256  /* largest table capacity */
#define PD_TS_MAX_EVIDENCE 8   /* frames cited per finding */
#define PD_TS_MAX_SESSIONS 8   /* WireGuard sessions kept per tunnel */
#define PD_TS_MAX_EVENTS 32    /* ICMP / MSS events kept */
#define PD_TS_MAX_SOURCES 8
#define PD_TS_RUN 8            /* back-off sends remembered */
#define PD_TS_HASH_SLOTS 512   /* tunnel lookup slots: 2 x PD_TS_MAX_TUNNELS */

struct pd_ts_frame_ref {
	unsigned source;
	uint64_t frame;
	int64_t ts_usec;
};

/* WireGuard message counters (index = PD_WG_* type; [0] = keepalives). */
#define PD_TS_WG_KEEPALIVE 0

/* Fields written for every packet come first (a few cache lines). */
struct pd_ts_dir {
	uint64_t packets, bytes;          /* outer IP lengths */
	int64_t first_usec, last_usec;
	uint32_t max_outer, max_inner;    /* max_inner: inner IP length, or
					     WireGuard's padded plaintext */
	uint32_t ovh_min, ovh_max;        /* outer IP len - inner IP len */
	uint32_t wg_max_plain;            /* largest padded plaintext length */
	uint32_t wg_clamped;              /* plaintext length of a data message
					     whose padding stopped early: the
					     sender's MTU (0 = none seen) */
	/* back-off detection (see pd_tunstat_finish) */
	uint32_t run_size;
	unsigned run_n;
	uint64_t hist[PD_TS_NBUCKETS];
	uint64_t ovh_samples;             /* packets with the inner IP visible */
	uint64_t wg[5];                   /* by message type; [0] keepalives */
	struct pd_ts_frame_ref run[PD_TS_RUN];
	uint64_t frag_first, frag_other;  /* outer fragments */
	uint32_t frag_min, frag_max;      /* their IP lengths */
	struct pd_ts_frame_ref frag_ev[PD_TS_MAX_EVIDENCE];
	unsigned frag_nev;
	struct pd_ts_frame_ref wg_clamped_ev;
	uint32_t bh_size;                 /* best back-off run found */
	unsigned bh_n;
	struct pd_ts_frame_ref bh[PD_TS_RUN];
	/* WireGuard data arriving after a counter gap (receiving-end view) */
	struct pd_ts_frame_ref gap_ev[PD_TS_MAX_EVIDENCE];
	unsigned gap_nev;
};

struct pd_ts_session {
	uint32_t idx[2];  /* receiver index owned by endpoint a, by b */
	bool has[2];
	uint64_t packets;
	/* data message counters seen per direction (dir as in pd_ts_tunnel):
	 * lowest, highest, how many; a gap (hi - lo + 1 > n) is packets the
	 * far end sent that never reached this capture point */
	uint64_t ctr_lo[2], ctr_hi[2], ctr_n[2];
};

struct pd_ts_tunnel {
	enum pd_tun_kind kind;
	int outer_family;       /* 4 or 6 */
	int inner_family;       /* 4, 6, 0 = none seen / Ethernet only */
	uint8_t addr[2][16];    /* endpoint a, b */
	uint16_t port[2];       /* UDP tunnels: WireGuard ports; else 0 */
	uint32_t key;           /* GRE key / VXLAN VNI of the first packet */
	bool has_key;
	unsigned nsess;
	struct pd_ts_session sess[PD_TS_MAX_SESSIONS];
	uint64_t sess_overflow;
	uint32_t ptb_mtu;       /* smallest MTU in an ICMP error about it */
	struct pd_ts_dir dir[2];
};

enum pd_ts_event_kind {
	PD_TS_EV_PTB = 1,  /* ICMP frag-needed / PTB */
	PD_TS_EV_SYN,      /* TCP SYN or SYN-ACK with MSS */
};

struct pd_ts_event {
	enum pd_ts_event_kind kind;
	struct pd_ts_frame_ref where;
	int family;           /* of the ICMP sender / the SYN's IP header */
	uint8_t src[16];      /* ICMP sender, SYN source */
	uint32_t value;       /* reported MTU, MSS */
	bool syn_ack;
	int tunnel;           /* tunnel index, or -1 */
	int dir;              /* direction of the quoted / carrying packet */
};

/* Correlation of two sources (e.g. a tunnel interface and its underlay):
 * outer UDP packets of one source paired with IP packets of another seen
 * within PD_TS_CORR_WINDOW_USEC; histogram of the size difference. */
#define PD_TS_CORR_WINDOW_USEC 2000
#define PD_TS_CORR_RING 64
#define PD_TS_CORR_MAXDELTA 200

/* Inner TCP flows of tunnels whose inner packets are visible (not
 * WireGuard), for the receiving-end blackhole signature: per side (h[0]:
 * the side of addr[0]) the next byte expected and an open sequence hole. */
#define PD_TS_MAX_FLOWS 64
#define PD_TS_FLOW_SLOTS 128  /* flow lookup slots: 2 x PD_TS_MAX_FLOWS */

struct pd_ts_flow_half {
	bool has_next, hole;
	uint32_t next;                /* next byte expected in order */
	uint32_t hole_start, hole_end;/* [start, end): never seen */
	uint32_t later_hi;            /* highest byte seen beyond the hole */
	uint32_t later_max;           /* largest payload that arrived since */
	unsigned later_n;
	uint32_t later_hdr;           /* inner IP + TCP header bytes of one */
	uint32_t max_pay;             /* largest payload from this side */
	uint16_t mss;                 /* MSS this side's SYN announced */
	int tdir;                     /* tunnel direction of its packets */
	struct pd_ts_frame_ref hole_ev;
	/* the other side's ACKs stuck at hole_start, one per round (ACKs
	 * within PD_TS_ACK_ROUND_USEC of the one before are one round) */
	unsigned ack_n;
	int64_t ack_last;
	struct pd_ts_frame_ref ack[PD_TS_RUN];
};

struct pd_ts_flow {
	int tunnel, family;
	uint8_t addr[2][16];
	uint16_t port[2];
	struct pd_ts_flow_half h[2];
};

#define PD_TS_ACK_ROUND_USEC 10000

struct pd_ts_corr_pkt {
	int64_t ts_usec;
	uint32_t ip_len;
	bool udp_outer;      /* an IP/UDP packet (candidate outer) */
	uint64_t frame;
	int tunnel;          /* tunnel it belongs to, or -1 */
};

struct pd_ts_totals {
	uint64_t frames, ip_packets, undecoded;
	uint64_t tunnelled[PD_TUN_KINDS];    /* packets by kind */
	uint64_t wg[5];                      /* all WireGuard messages by type */
	uint64_t frag_needed, ptb;           /* ICMPv4 3/4, ICMPv6 2 (not quoted) */
	uint64_t ip4_frags, ip6_frags;       /* outermost-IP fragments */
	uint64_t syn_mss, synack_mss;        /* outside ICMP quotes */
	uint64_t tunnels_dropped;            /* packets of tunnels not stored */
};

struct pd_tunstat {
	unsigned cap;                        /* table capacity */
	unsigned ntun;
	struct pd_ts_tunnel tun[PD_TS_MAX_TUNNELS];
	struct pd_ts_totals tot;
	struct pd_ts_event ev[PD_TS_MAX_EVENTS];
	unsigned nev;
	uint64_t ev_dropped;
	/* correlation */
	struct pd_ts_corr_pkt ring[PD_TS_MAX_SOURCES][PD_TS_CORR_RING];
	unsigned ring_n[PD_TS_MAX_SOURCES], ring_pos[PD_TS_MAX_SOURCES];
	uint64_t corr_hist[PD_TS_CORR_MAXDELTA + 1];
	uint64_t corr_pairs;
	int corr_tunnel[PD_TS_CORR_MAXDELTA + 1]; /* last tunnel seen per delta */
	bool corr_src_mask[PD_TS_MAX_SOURCES];
	unsigned nsources;
	/* tunnel lookup: open-addressing tables of tunnel index + 1 (0 =
	 * empty), one keyed by kind, endpoints and ports, one by the address
	 * pair only (outer fragments); fixed size, never rehashed */
	uint16_t by_key[PD_TS_HASH_SLOTS];
	uint16_t by_addr[PD_TS_HASH_SLOTS];
	/* MTU of the interface each source captured on (0 = unknown or not a
	 * tunnel interface), see pd_tunstat_set_source_mtu */
	uint32_t src_mtu[PD_TS_MAX_SOURCES];
	/* inner TCP flows (see struct pd_ts_flow); segments of flows beyond
	 * the table are counted, not tracked */
	struct pd_ts_flow flow[PD_TS_MAX_FLOWS];
	unsigned nflows;
	uint64_t flows_dropped;
	/* flow lookup: open addressing, flow index + 1 (0 = empty) */
	uint8_t by_flow[PD_TS_FLOW_SLOTS];

	/* ---- limits under a flood of new flows (appended; see "Tables" below) */
	/* tunnels in two lists, least recently seen first: [PD_TS_LRU_NEW] not
	 * yet assured, [PD_TS_LRU_ASSURED] assured; index + 1, 0 = none */
	uint16_t lru_head[2], lru_tail[2];
	uint16_t lru_prev[PD_TS_MAX_TUNNELS], lru_next[PD_TS_MAX_TUNNELS];
	bool tun_assured[PD_TS_MAX_TUNNELS];
	int64_t tun_seen[PD_TS_MAX_TUNNELS];  /* time of its last packet */
	uint64_t tun_created;                 /* tunnel entries made */
	uint64_t tun_evicted;                 /* of them, evicted for a new one */
	/* inner TCP flows, least recently seen first; index + 1, 0 = none */
	uint8_t flow_head, flow_tail;
	uint8_t flow_prev[PD_TS_MAX_FLOWS], flow_next[PD_TS_MAX_FLOWS];
	uint64_t flows_created;
	uint64_t flows_evicted;               /* for a new flow (LRU without a hole) */
	uint64_t flows_freed;                 /* with their evicted tunnel */
	uint64_t sess_evicted;                /* WireGuard sessions of one message replaced */
	uint64_t ev_evicted;                  /* events not about a tunnel replaced by one
						 about a tunnel, or of an evicted tunnel */
};

/* Tables: every table the analysis fills from traffic has a fixed size, so
 * sizeof(struct pd_tunstat) is all the memory it ever holds, whatever the
 * input (a flood of new 5-tuples included):
 *
 *   tunnels        cap (<= PD_TS_MAX_TUNNELS).  A new tunnel when full
 *                  evicts the least recently seen tunnel not yet assured
 *                  (assured: packets seen both ways, or PD_TS_ASSURED_PKTS
 *                  packets), else the least recently seen assured one idle
 *                  for PD_TS_IDLE_USEC or more (capture time); else it is
 *                  refused and its packets counted in tot.tunnels_dropped.
 *                  An evicted tunnel's events, inner flows and correlation
 *                  references go with it.  (As conntrack drops unassured
 *                  entries early: a flood of one-way junk cannot push out a
 *                  tunnel carrying traffic both ways.)
 *   WG sessions    PD_TS_MAX_SESSIONS per tunnel.  When full, a new session
 *                  replaces the first one that has seen a single message
 *                  (sess_evicted); if none, its messages are counted in the
 *                  tunnel's sess_overflow.
 *   inner flows    PD_TS_MAX_FLOWS.  A new flow evicts the least recently
 *                  seen flow without an open sequence hole (the blackhole
 *                  evidence is kept); if every flow has one, the segment is
 *                  counted in flows_dropped.
 *   events         PD_TS_MAX_EVENTS.  When full, an event about a tunnel
 *                  replaces the oldest event not about one (ev_evicted);
 *                  others are counted in ev_dropped.
 *   correlation    a ring of PD_TS_CORR_RING packets per source (the oldest
 *                  overwritten), PD_TS_CORR_MAXDELTA + 1 histogram buckets.
 */
#define PD_TS_LRU_NEW 0
#define PD_TS_LRU_ASSURED 1
#define PD_TS_ASSURED_PKTS 8
#define PD_TS_IDLE_USEC 120000000  /* 120 s, conntrack's UDP stream timeout */

/* Reset st with a tunnel table of `capacity` entries (0 or more than
 * PD_TS_MAX_TUNNELS: PD_TS_MAX_TUNNELS). */
void pd_tunstat_init(struct pd_tunstat *st, unsigned capacity);

/* Account one dissected frame from source `source` (< PD_TS_MAX_SOURCES;
 * others are counted as source PD_TS_MAX_SOURCES - 1). */
void pd_tunstat_add(struct pd_tunstat *st, unsigned source, uint64_t frame, int64_t ts_usec,
		    const struct pd_packet *pkt);

/* pd_dissect() of one captured frame into *pkt, then pd_tunstat_add() of
 * it, with the same analysis and return value, but faster: the most
 * common shapes (Ethernet, Linux cooked or raw IP; IPv4 without options
 * or IPv6 without extension headers; UDP with WireGuard data or another
 * payload, TCP without SYN, or ip6tnl / IPIP / 6in4 carrying such TCP) are
 * read straight into what the analysis needs, and *pkt is then left as it
 * was.  opts as for pd_dissect (NULL: the defaults). */
int pd_tunstat_add_frame(struct pd_tunstat *st, unsigned source, uint64_t frame, int64_t ts_usec,
			 int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
			 const struct pd_dissect_opts *opts, struct pd_packet *pkt);

/* Source `source` is a capture of a tunnel interface whose MTU is `mtu`
 * (configured on the interface, e.g. read over netlink): TCP SYNs captured
 * there outside any tunnel this analysis recognises are the tunnel's inner
 * packets, and their MSS is judged against this MTU (unless a tunnel MTU is
 * given to pd_tunstat_finish).  0 forgets it. */
void pd_tunstat_set_source_mtu(struct pd_tunstat *st, unsigned source, uint32_t mtu);

/* The overhead of a tunnel: exact when the inner packet was seen (min ==
 * max over all samples), or from the message layout (WireGuard).  Returns
 * false when unknown.  *exact tells which. */
bool pd_tunstat_overhead(const struct pd_ts_tunnel *t, uint32_t *ovh, bool *exact);

/* The tunnel MTU in effect: *prov says measured (WireGuard clamped padding:
 * the sender's MTU), or derived (ICMP-reported MTU minus overhead: an upper
 * bound that is in effect; or largest outer minus overhead: a lower bound,
 * *lower_bound set).  basis names which.  false when nothing is known. */
bool pd_tunstat_mtu(const struct pd_ts_tunnel *t, uint32_t *mtu, enum pd_provenance *prov,
		    bool *lower_bound, const char **basis);

#define PD_TS_MAX_FINDINGS 24

struct pd_ts_finding {
	const char *kind;           /* "tunnel-ptb", ... (string literal) */
	enum pd_severity severity;
	char message[PD_FINDING_MSG_MAX];
	int tunnel;                 /* or -1 */
	unsigned nev;
	struct pd_ts_frame_ref ev[PD_TS_MAX_EVIDENCE];
};

struct pd_ts_findings {
	unsigned n;
	struct pd_ts_finding f[PD_TS_MAX_FINDINGS];
	/* correlation result (finding tunnel-overhead-correlated) */
	uint32_t corr_delta;
	uint64_t corr_matches;
};

/* Draw the findings from everything added so far; does not change st.
 * tunnel_mtu: a tunnel MTU the user configured for the MSS check (0 =
 * none).
 *
 * blackhole-signature has two views.  Sending end (critical): one
 * direction re-sends a large outer size with back-off while the other way
 * carries nothing that large.  Receiving end (warning; WireGuard only, whose
 * data counters are in clear): in one direction at least
 * PD_TS_BH_RX_MIN_MISSING counters, and at least one in
 * PD_TS_BH_RX_MIN_SHARE of the span between the lowest and highest counter
 * seen per session, never arrived, while every packet that did arrive in
 * that direction was under 1000 bytes and the other direction carried
 * packets too.  Receiving end for tunnels whose inner packets are visible
 * (ip6tnl, IPIP, 6in4, GRE, VXLAN; warning): an inner TCP flow has a
 * sequence hole that never fills while at least 2 later segments arrive,
 * each smaller than what is missing, and the other side's ACKs stay at the
 * hole's start for at least 3 rounds (PD_TS_ACK_ROUND_USEC apart), each gap
 * at least 1.5 times the one before and the last round at least 150 ms
 * after the first. */
#define PD_TS_BH_RX_MIN_MISSING 3
#define PD_TS_BH_RX_MIN_SHARE 10
void pd_tunstat_finish(const struct pd_tunstat *st, uint32_t tunnel_mtu,
		       struct pd_ts_findings *out);

/* Text of an address of family 4 or 6 into buf (>= 46 bytes). */
const char *pd_ts_addr(int family, const uint8_t *a, char *buf, size_t len);

#ifdef __cplusplus
}
#endif
#endif
