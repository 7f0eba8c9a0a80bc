/* tunstat.c - per-tunnel size statistics and findings from dissected
 * packets (see pathdiag/tunstat.h for the model and the specifications).
 *
 * A packet's tunnel is read from the layers pd_dissect() found, outermost
 * IP header first (layers inside an ICMP quote are not the packet itself):
 *
 *   IP --> IPv4/IPv6          ipip, 6in4 (outer IPv4) / ip6tnl (outer IPv6)
 *   IP --> GRE                gre
 *   IP --> UDP --> VXLAN      vxlan
 *   IP --> UDP --> WireGuard  wireguard (by message shape, any port)
 *
 * Overhead where the inner IP header is visible: outer IP length - inner
 * IP length (ip6tnl with its Tunnel Encapsulation Limit option: 40 + 8 =
 * 48; without it 40; IPIP / 6in4 20; GRE 24, 28 with a key; VXLAN over
 * IPv4 20 + 8 + 8 + 14 = 50).  WireGuard: outer IP + UDP 8 + message
 * header 16 + tag 16 = 60 (IPv4) / 80 (IPv6), from the layout.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <arpa/inet.h>

#include <pathdiag/tunstat.h>

#include "tsfast.h"

const uint32_t pd_ts_bucket_limit[PD_TS_NBUCKETS] = {
	128, 256, 512, 576, 1024, 1280, 1400, 1450, 1501, 0xffffffffu,
};

#define BH_MIN_SIZE 1000          /* back-off rule: outer packets this large */
#define BH_FIRST_GAP_USEC 150000  /* first re-send at least this late */
#define BH_MAX_GAP_USEC 130000000 /* a gap beyond this is not one back-off */
#define BH_NEAR_MAX 8             /* the run's size within this of the largest */
#define CORR_MIN_MATCHES 10

const char *pd_tun_kind_name(enum pd_tun_kind k)
{
	static const char *const names[PD_TUN_KINDS] = {
		"none", "wireguard", "ip6tnl", "ipip", "6in4", "gre", "vxlan",
	};

	return (unsigned)k < PD_TUN_KINDS ? names[k] : "none";
}

const char *pd_ts_addr(int family, const uint8_t *a, char *buf, size_t len)
{
	if (!buf || len == 0)
		return buf;
	if (!inet_ntop(family == 6 ? AF_INET6 : AF_INET, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

void pd_tunstat_init(struct pd_tunstat *st, unsigned capacity)
{
	memset(st, 0, sizeof(*st));
	st->cap = (capacity == 0 || capacity > PD_TS_MAX_TUNNELS) ? PD_TS_MAX_TUNNELS : capacity;
}

void pd_tunstat_set_source_mtu(struct pd_tunstat *st, unsigned source, uint32_t mtu)
{
	if (st && source < PD_TS_MAX_SOURCES)
		st->src_mtu[source] = mtu;
}

/* ---- layers --------------------------------------------------------------- */

static bool is_ip(const struct pd_layer *l)
{
	return l->kind == PD_LAYER_IPV4 || l->kind == PD_LAYER_IPV6;
}

static uint32_t ip_len(const struct pd_layer *l)
{
	if (l->kind == PD_LAYER_IPV4)
		return l->u.ip4.total_len;
	if (l->u.ip6.plen == 0 && l->u.ip6.jumbo_len)
		return 40 + l->u.ip6.jumbo_len;
	return 40u + l->u.ip6.plen;
}

static int ip_family(const struct pd_layer *l)
{
	return l->kind == PD_LAYER_IPV4 ? 4 : 6;
}

static void ip_addrs(const struct pd_layer *l, uint8_t src[16], uint8_t dst[16])
{
	memset(src, 0, 16);
	memset(dst, 0, 16);
	if (l->kind == PD_LAYER_IPV4) {
		memcpy(src, l->u.ip4.src, 4);
		memcpy(dst, l->u.ip4.dst, 4);
	} else {
		memcpy(src, l->u.ip6.src, 16);
		memcpy(dst, l->u.ip6.dst, 16);
	}
}

static bool ip_is_frag(const struct pd_layer *l, bool *first)
{
	if (l->kind == PD_LAYER_IPV4) {
		*first = l->u.ip4.frag_off == 0;
		return l->u.ip4.mf || l->u.ip4.frag_off != 0;
	}
	*first = l->u.ip6.frag_off == 0;
	return l->u.ip6.has_frag && (l->u.ip6.frag_off != 0 || l->u.ip6.frag_more);
}

/* Index of the first IP layer at or after `from` with the same quoted
 * flag, or -1. */
static int next_ip(const struct pd_packet *p, unsigned from, bool quoted)
{
	for (unsigned i = from; i < p->nlayers; i++)
		if (is_ip(&p->layers[i]) && p->layers[i].quoted == quoted)
			return (int)i;
	return -1;
}

/* What the layers after the IP header at o say about a tunnel.  *inner is
 * the inner IP layer (or -1); *ports the UDP ports (WireGuard); *wg the
 * WireGuard layer (or -1). */
struct classified {
	enum pd_tun_kind kind;
	int inner, wg;
	uint16_t sport, dport;
	uint32_t key;
	bool has_key;
};

static struct classified classify(const struct pd_packet *p, unsigned o)
{
	struct classified c = { PD_TUN_NONE, -1, -1, 0, 0, 0, false };
	const struct pd_layer *l = &p->layers[o];
	const struct pd_layer *n;
	bool q = l->quoted;

	if (o + 1 >= p->nlayers || p->layers[o + 1].quoted != q) {
		/* the outer header names an IP payload the dissector could not
		 * decode (a bad inner version, say): still that tunnel */
		uint8_t proto = l->kind == PD_LAYER_IPV4 ? l->u.ip4.proto : l->u.ip6.proto;
		bool first = true;

		if ((proto == 4 || proto == 41) && !ip_is_frag(l, &first))
			c.kind = l->kind == PD_LAYER_IPV6 ? PD_TUN_IP6TNL :
				 proto == 4 ? PD_TUN_IPIP : PD_TUN_6IN4;
		return c;
	}
	n = &p->layers[o + 1];
	if (is_ip(n)) {
		if (l->kind == PD_LAYER_IPV6)
			c.kind = PD_TUN_IP6TNL;
		else
			c.kind = n->kind == PD_LAYER_IPV4 ? PD_TUN_IPIP : PD_TUN_6IN4;
		c.inner = (int)o + 1;
	} else if (n->kind == PD_LAYER_GRE) {
		c.kind = PD_TUN_GRE;
		c.has_key = n->u.gre.has_key;
		c.key = n->u.gre.key;
		c.inner = next_ip(p, o + 2, q);
	} else if (n->kind == PD_LAYER_UDP && o + 2 < p->nlayers &&
		   p->layers[o + 2].quoted == q) {
		const struct pd_layer *u = &p->layers[o + 2];

		if (u->kind == PD_LAYER_VXLAN) {
			c.kind = PD_TUN_VXLAN;
			c.has_key = true;
			c.key = u->u.vxlan.vni;
			c.inner = next_ip(p, o + 3, q);
		} else if (u->kind == PD_LAYER_WG) {
			c.kind = PD_TUN_WIREGUARD;
			c.wg = (int)o + 2;
			c.sport = n->u.udp.sport;
			c.dport = n->u.udp.dport;
		}
	}
	return c;
}

/* ---- the tunnel table ------------------------------------------------------ */

/* Tunnels are found through two open-addressing tables (by_key: kind,
 * endpoints and, for WireGuard, ports; by_addr: the address pair alone, for
 * outer fragments, which carry no ports).  An endpoint pair hashes the same
 * both ways (the sum of the endpoint hashes).  At most PD_TS_MAX_TUNNELS
 * entries in twice as many slots: every probe ends at an empty slot, and
 * neither table grows. */
#define HASH_MASK (PD_TS_HASH_SLOTS - 1)

static uint64_t ep_hash(const uint8_t *a, uint16_t port)
{
	uint64_t lo, hi;

	memcpy(&lo, a, 8);
	memcpy(&hi, a + 8, 8);
	return lo * 0x9e3779b97f4a7c15ull ^ hi * 0xc2b2ae3d27d4eb4full ^
	       (uint64_t)port * 0x165667b19e3779f9ull;
}

static unsigned slot_of(uint64_t h)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return (unsigned)h & HASH_MASK;
}

static unsigned key_slot(enum pd_tun_kind k, int fam, const uint8_t *src, uint16_t sport,
			 const uint8_t *dst, uint16_t dport)
{
	return slot_of(ep_hash(src, sport) + ep_hash(dst, dport) + (uint64_t)k * 1021 +
		       (uint64_t)fam);
}

static unsigned addr_slot(int fam, const uint8_t *src, const uint8_t *dst)
{
	return slot_of(ep_hash(src, 0) + ep_hash(dst, 0) + (uint64_t)fam);
}

/* Whether tunnel t runs between src and dst; *dir is 0 when src is
 * endpoint a.  sport/dport (used when ports): the ports to match too. */
static bool ends_match(const struct pd_ts_tunnel *t, const uint8_t *src, uint16_t sport,
		       const uint8_t *dst, uint16_t dport, bool ports, int *dir)
{
	if (!memcmp(t->addr[0], src, 16) && !memcmp(t->addr[1], dst, 16) &&
	    (!ports || (t->port[0] == sport && t->port[1] == dport))) {
		*dir = 0;
		return true;
	}
	if (!memcmp(t->addr[1], src, 16) && !memcmp(t->addr[0], dst, 16) &&
	    (!ports || (t->port[1] == sport && t->port[0] == dport))) {
		*dir = 1;
		return true;
	}
	return false;
}

/* The tunnel of kind k between (src,sport) and (dst,dport), or -1. */
static int tun_find(const struct pd_tunstat *st, enum pd_tun_kind k, int fam,
		    const uint8_t *src, uint16_t sport, const uint8_t *dst, uint16_t dport,
		    int *dir)
{
	if (k != PD_TUN_WIREGUARD)
		sport = dport = 0;
	for (unsigned h = key_slot(k, fam, src, sport, dst, dport);; h = (h + 1) & HASH_MASK) {
		unsigned v = st->by_key[h];

		if (v == 0)
			return -1;
		const struct pd_ts_tunnel *t = &st->tun[v - 1];

		if (t->kind == k && t->outer_family == fam &&
		    ends_match(t, src, sport, dst, dport, k == PD_TUN_WIREGUARD, dir))
			return (int)v - 1;
	}
}

/* A non-first fragment carries only the IP header: attribute it to a
 * tunnel between the same addresses whose outer protocol matches (UDP:
 * WireGuard before VXLAN, the earliest seen of each). */
static int tun_find_frag(const struct pd_tunstat *st, int fam, uint8_t proto,
			 const uint8_t *src, const uint8_t *dst, int *dir)
{
	enum pd_tun_kind k;
	int best = -1, best_rank = 2;

	switch (proto) {
	case 4:
		k = fam == 6 ? PD_TUN_IP6TNL : PD_TUN_IPIP;
		break;
	case 41:
		k = fam == 6 ? PD_TUN_IP6TNL : PD_TUN_6IN4;
		break;
	case 47:
		k = PD_TUN_GRE;
		break;
	case 17:
		for (unsigned h = addr_slot(fam, src, dst); st->by_addr[h]; h = (h + 1) & HASH_MASK) {
			int i = st->by_addr[h] - 1, d;
			const struct pd_ts_tunnel *t = &st->tun[i];
			int rank = t->kind == PD_TUN_WIREGUARD ? 0 : t->kind == PD_TUN_VXLAN ? 1 : 2;

			if (rank > best_rank || (rank == best_rank && i > best) ||
			    t->outer_family != fam)
				continue;
			if (ends_match(t, src, 0, dst, 0, false, &d)) {
				best = i;
				best_rank = rank;
				*dir = d;
			}
		}
		return best;
	default:
		return -1;
	}
	return tun_find(st, k, fam, src, 0, dst, 0, dir);
}

static void slot_put(uint16_t *table, unsigned h, unsigned idx)
{
	while (table[h])
		h = (h + 1) & HASH_MASK;
	table[h] = (uint16_t)(idx + 1);
}

/* The slot tunnel i hashes to in by_key (which: 0) or by_addr (1). */
static unsigned tun_home(const struct pd_tunstat *st, unsigned i, int which)
{
	const struct pd_ts_tunnel *t = &st->tun[i];
	bool wg = t->kind == PD_TUN_WIREGUARD;

	if (which)
		return addr_slot(t->outer_family, t->addr[0], t->addr[1]);
	return key_slot(t->kind, t->outer_family, t->addr[0], wg ? t->port[0] : 0, t->addr[1],
			wg ? t->port[1] : 0);
}

/* Take tunnel idx out of a lookup table: linear probing's deletion, each
 * later entry of the run moved back into the hole when its home slot does
 * not lie between the hole and it (so no lookup ends early). */
static void slot_del(struct pd_tunstat *st, int which, unsigned idx)
{
	uint16_t *table = which ? st->by_addr : st->by_key;
	unsigned h = tun_home(st, idx, which), j, k;

	while (table[h] != idx + 1)
		h = (h + 1) & HASH_MASK;
	for (;;) {
		table[h] = 0;
		for (j = h;;) {
			j = (j + 1) & HASH_MASK;
			if (!table[j])
				return;
			k = tun_home(st, table[j] - 1u, which);
			if (((j - k) & HASH_MASK) >= ((j - h) & HASH_MASK))
				break;
		}
		table[h] = table[j];
		h = j;
	}
}

/* ---- recency lists and eviction (rules in pathdiag/tunstat.h) ------------- */

static void lru_unlink(struct pd_tunstat *st, unsigned i)
{
	unsigned l = st->tun_assured[i];
	uint16_t p = st->lru_prev[i], n = st->lru_next[i];

	if (p)
		st->lru_next[p - 1] = n;
	else
		st->lru_head[l] = n;
	if (n)
		st->lru_prev[n - 1] = p;
	else
		st->lru_tail[l] = p;
	st->lru_prev[i] = st->lru_next[i] = 0;
}

/* Tunnel i becomes the most recently seen of its list. */
static void lru_push(struct pd_tunstat *st, unsigned i)
{
	unsigned l = st->tun_assured[i];

	st->lru_prev[i] = st->lru_tail[l];
	st->lru_next[i] = 0;
	if (st->lru_tail[l])
		st->lru_next[st->lru_tail[l] - 1] = (uint16_t)(i + 1);
	else
		st->lru_head[l] = (uint16_t)(i + 1);
	st->lru_tail[l] = (uint16_t)(i + 1);
}

/* A packet of tunnel i in direction dir at ts: most recently seen, and
 * assured once it went both ways or reached PD_TS_ASSURED_PKTS packets. */
static void tun_touch(struct pd_tunstat *st, unsigned i, int dir, int64_t ts)
{
	const struct pd_ts_tunnel *t = &st->tun[i];
	bool assure = !st->tun_assured[i] &&
		      (dir || t->dir[0].packets + t->dir[1].packets + 1 >= PD_TS_ASSURED_PKTS);

	st->tun_seen[i] = ts;
	if (!assure && st->lru_tail[st->tun_assured[i]] == i + 1)
		return;
	lru_unlink(st, i);
	if (assure)
		st->tun_assured[i] = true;
	lru_push(st, i);
}

static void flow_free(struct pd_tunstat *st, unsigned i);

/* Remove tunnel v and everything that names it: its events, its inner
 * flows, the correlation's references.  Its slot is then free. */
static void tun_evict(struct pd_tunstat *st, unsigned v)
{
	unsigned n = 0;

	slot_del(st, 0, v);
	slot_del(st, 1, v);
	lru_unlink(st, v);
	for (unsigned i = 0; i < st->nev; i++)
		if (st->ev[i].tunnel == (int)v)
			st->ev_evicted++;
		else
			st->ev[n++] = st->ev[i];
	st->nev = n;
	for (unsigned i = st->nflows; i-- > 0;)
		if (st->flow[i].tunnel == (int)v) {
			flow_free(st, i);
			st->flows_freed++;
		}
	if (st->corr_pairs)
		for (unsigned d = 0; d <= PD_TS_CORR_MAXDELTA; d++)
			if (st->corr_tunnel[d] == (int)v + 1)
				st->corr_tunnel[d] = 0;
	for (unsigned s = 0; s < st->nsources && s < PD_TS_MAX_SOURCES; s++)
		for (unsigned k = 0; k < st->ring_n[s]; k++)
			if (st->ring[s][k].tunnel == (int)v)
				st->ring[s][k].tunnel = -1;
	st->tun_assured[v] = false;
	st->tun_evicted++;
}

/* The slot for a new tunnel at ts: a free one, or one evicted for it; -1
 * when every tunnel is assured and none idle. */
static int tun_slot(struct pd_tunstat *st, int64_t ts)
{
	unsigned v;

	if (st->ntun < st->cap)
		return (int)st->ntun++;
	if (st->lru_head[PD_TS_LRU_NEW])
		v = st->lru_head[PD_TS_LRU_NEW] - 1u;
	else if (st->lru_head[PD_TS_LRU_ASSURED] &&
		 ts - st->tun_seen[st->lru_head[PD_TS_LRU_ASSURED] - 1] >= PD_TS_IDLE_USEC)
		v = st->lru_head[PD_TS_LRU_ASSURED] - 1u;
	else
		return -1;
	tun_evict(st, v);
	return (int)v;
}

static int tun_get(struct pd_tunstat *st, const struct classified *c, int fam,
		   const uint8_t *src, const uint8_t *dst, int *dir, int64_t ts)
{
	struct pd_ts_tunnel *t;
	bool wg = c->kind == PD_TUN_WIREGUARD;
	int i = tun_find(st, c->kind, fam, src, c->sport, dst, c->dport, dir);

	if (i >= 0) {
		tun_touch(st, (unsigned)i, *dir, ts);
		return i;
	}
	i = tun_slot(st, ts);
	if (i < 0)
		return -1;
	t = &st->tun[i];
	memset(t, 0, sizeof(*t));
	t->kind = c->kind;
	t->outer_family = fam;
	memcpy(t->addr[0], src, 16);
	memcpy(t->addr[1], dst, 16);
	if (wg) {
		t->port[0] = c->sport;
		t->port[1] = c->dport;
	}
	t->key = c->key;
	t->has_key = c->has_key;
	slot_put(st->by_key, key_slot(c->kind, fam, src, wg ? c->sport : 0, dst, wg ? c->dport : 0),
		 (unsigned)i);
	slot_put(st->by_addr, addr_slot(fam, src, dst), (unsigned)i);
	st->tun_assured[i] = false;
	st->tun_seen[i] = ts;
	lru_push(st, (unsigned)i);
	st->tun_created++;
	*dir = 0;
	return i;
}

/* ---- per-packet accounting ------------------------------------------------- */

/* The padding after .source is zeroed too: references are copied into the
 * state, whose bytes must depend on the input alone (fuzz_tunstat compares
 * two runs byte for byte; it found stack bytes in that padding). */
static struct pd_ts_frame_ref ref(unsigned source, uint64_t frame, int64_t ts)
{
	struct pd_ts_frame_ref r;

	memset(&r, 0, sizeof(r));
	r.source = source;
	r.frame = frame;
	r.ts_usec = ts;
	return r;
}

static void hist_add(uint64_t *hist, uint32_t len)
{
	unsigned b = 0;

	/* the limits ascend: the bucket is the number of them len reaches
	 * (counted without branches, sizes are unpredictable) */
	for (unsigned i = 0; i + 1 < PD_TS_NBUCKETS; i++)
		b += len >= pd_ts_bucket_limit[i];
	hist[b]++;
}

/* The WireGuard session a message belongs to: keyed by the receiver
 * indices each endpoint chose.  True when a data message's counter jumps
 * past the highest one seen in its direction (packets missing here). */
static bool wg_session(struct pd_tunstat *st, struct pd_ts_tunnel *t, int dir,
		       const struct pd_wg *wg)
{
	int other = !dir;
	struct pd_ts_session *s = NULL;
	uint32_t mine = 0, theirs = 0;
	bool has_mine = false, has_theirs = false;

	switch (wg->type) {
	case PD_WG_RESPONSE:
		mine = wg->sender;
		has_mine = true;
		theirs = wg->receiver;
		has_theirs = true;
		break;
	case PD_WG_DATA:
	case PD_WG_COOKIE_REPLY:
		theirs = wg->receiver;
		has_theirs = true;
		break;
	default:
		return false; /* an initiation names only its sender: no session yet */
	}
	for (unsigned i = 0; i < t->nsess; i++) {
		struct pd_ts_session *x = &t->sess[i];

		if (has_theirs && x->has[other] && x->idx[other] == theirs) {
			s = x;
			break;
		}
		if (has_mine && x->has[dir] && x->idx[dir] == mine) {
			s = x;
			break;
		}
	}
	if (!s) {
		if (t->nsess < PD_TS_MAX_SESSIONS) {
			s = &t->sess[t->nsess++];
		} else {
			/* full: replace a session of a single message (junk
			 * indices, or a handshake that went nowhere) */
			for (unsigned i = 0; i < t->nsess && !s; i++)
				if (t->sess[i].packets <= 1)
					s = &t->sess[i];
			if (!s) {
				t->sess_overflow++;
				return false;
			}
			st->sess_evicted++;
		}
		memset(s, 0, sizeof(*s));
	}
	if (has_mine) {
		s->idx[dir] = mine;
		s->has[dir] = true;
	}
	if (has_theirs) {
		s->idx[other] = theirs;
		s->has[other] = true;
	}
	s->packets++;
	if (wg->type == PD_WG_DATA) {
		bool gap = s->ctr_n[dir] && wg->counter > s->ctr_hi[dir] + 1;

		if (s->ctr_n[dir] == 0 || wg->counter < s->ctr_lo[dir])
			s->ctr_lo[dir] = wg->counter;
		if (s->ctr_n[dir] == 0 || wg->counter > s->ctr_hi[dir])
			s->ctr_hi[dir] = wg->counter;
		s->ctr_n[dir]++;
		return gap;
	}
	return false;
}

/* Back-off tracking (rule in pd_tunstat_finish). */
static void backoff(struct pd_ts_dir *d, uint32_t len, struct pd_ts_frame_ref r)
{
	int64_t gap, prev;

	if (len < BH_MIN_SIZE || len < d->run_size)
		return;
	if (d->run_n == 0 || len > d->run_size) {
		d->run_size = len;
		d->run_n = 1;
		d->run[0] = r;
		return;
	}
	gap = r.ts_usec - d->run[d->run_n - 1].ts_usec;
	if (d->run_n == 1) {
		if (gap < BH_FIRST_GAP_USEC) {
			d->run[0] = r;
			return;
		}
	} else {
		prev = d->run[d->run_n - 1].ts_usec - d->run[d->run_n - 2].ts_usec;
		if (gap > BH_MAX_GAP_USEC || gap * 2 < prev * 3) {
			d->run_n = 1;
			d->run[0] = r;
			return;
		}
	}
	if (d->run_n < PD_TS_RUN)
		d->run[d->run_n++] = r;
	if (d->run_n >= 3 && (d->run_n > d->bh_n || d->run_size > d->bh_size)) {
		d->bh_n = d->run_n;
		d->bh_size = d->run_size;
		memcpy(d->bh, d->run, sizeof(d->bh));
	}
}

/* One packet of tunnel t in direction dir: olen its outer IP length; ifam
 * and ilen the family and length of the inner IP packet when it is visible
 * and whole (0: not), wg its WireGuard message (or NULL). */
static void dir_add(struct pd_tunstat *st, struct pd_ts_tunnel *t, int dir, uint32_t olen,
		    int ifam, uint32_t ilen, const struct pd_wg *wg, struct pd_ts_frame_ref r)
{
	struct pd_ts_dir *d = &t->dir[dir];

	if (d->packets == 0)
		d->first_usec = r.ts_usec;
	d->last_usec = r.ts_usec;
	d->packets++;
	d->bytes += olen;
	hist_add(d->hist, olen);
	if (olen > d->max_outer)
		d->max_outer = olen;
	if (ifam) {
		if (!t->inner_family)
			t->inner_family = ifam;
		if (ilen > d->max_inner)
			d->max_inner = ilen;
		if (olen > ilen) {
			uint32_t ovh = olen - ilen;

			if (d->ovh_samples == 0 || ovh < d->ovh_min)
				d->ovh_min = ovh;
			if (ovh > d->ovh_max)
				d->ovh_max = ovh;
			d->ovh_samples++;
		}
	}
	if (wg) {
		if (wg->type >= 1 && wg->type <= 4)
			d->wg[wg->type]++;
		if (wg->type == PD_WG_DATA && wg->keepalive)
			d->wg[PD_TS_WG_KEEPALIVE]++;
		if (wg->type == PD_WG_DATA) {
			if (wg->inner_len > d->max_inner)
				d->max_inner = wg->inner_len;
			if (wg->inner_len > d->wg_max_plain)
				d->wg_max_plain = wg->inner_len;
			if (wg->mtu_clamped && wg->inner_len >= d->wg_clamped) {
				d->wg_clamped = wg->inner_len;
				d->wg_clamped_ev = r;
			}
		}
		if (wg_session(st, t, dir, wg) && d->gap_nev < PD_TS_MAX_EVIDENCE)
			d->gap_ev[d->gap_nev++] = r;
	}
	backoff(d, olen, r);
}

static void frag_add(struct pd_ts_dir *d, bool first, uint32_t len, struct pd_ts_frame_ref r)
{
	if (first)
		d->frag_first++;
	else
		d->frag_other++;
	if (d->frag_min == 0 || len < d->frag_min)
		d->frag_min = len;
	if (len > d->frag_max)
		d->frag_max = len;
	if (d->frag_nev < PD_TS_MAX_EVIDENCE)
		d->frag_ev[d->frag_nev++] = r;
}

static void event_add(struct pd_tunstat *st, const struct pd_ts_event *e)
{
	if (st->nev >= PD_TS_MAX_EVENTS) {
		unsigned i = 0;

		/* full: one about a tunnel replaces the oldest about none */
		while (e->tunnel >= 0 && i < st->nev && st->ev[i].tunnel >= 0)
			i++;
		if (e->tunnel < 0 || i == st->nev) {
			st->ev_dropped++;
			return;
		}
		memmove(&st->ev[i], &st->ev[i + 1], (st->nev - i - 1) * sizeof(st->ev[0]));
		st->nev--;
		st->ev_evicted++;
	}
	st->ev[st->nev++] = *e;
}

/* An ICMP error carrying an MTU: count it, and find the tunnel whose outer
 * packet it quotes. */
static void icmp_add(struct pd_tunstat *st, const struct pd_packet *p, unsigned o,
		     unsigned ic, struct pd_ts_frame_ref r)
{
	const struct pd_icmp *icmp = &p->layers[ic].u.icmp;
	struct pd_ts_event e;
	uint8_t dst[16];
	int q;

	if (icmp->family == 4 && icmp->type == 3 && icmp->code == 4)
		st->tot.frag_needed++;
	else if (icmp->family == 6 && icmp->type == 2)
		st->tot.ptb++;
	else
		return;
	memset(&e, 0, sizeof(e));
	e.kind = PD_TS_EV_PTB;
	e.where = r;
	e.value = icmp->mtu;
	e.tunnel = -1;
	/* the sender: the IP header right in front of the ICMP header */
	for (int i = (int)ic - 1; i >= (int)o; i--)
		if (is_ip(&p->layers[i])) {
			e.family = ip_family(&p->layers[i]);
			ip_addrs(&p->layers[i], e.src, dst);
			break;
		}
	q = next_ip(p, ic + 1, true);
	if (q >= 0) {
		struct classified c = classify(p, (unsigned)q);
		uint8_t qs[16], qd[16];
		int dir = 0, t;
		int fam = ip_family(&p->layers[q]);

		ip_addrs(&p->layers[q], qs, qd);
		if (c.kind != PD_TUN_NONE)
			t = tun_find(st, c.kind, fam, qs, c.sport, qd, c.dport, &dir);
		else
			t = tun_find_frag(st, fam,
					  p->layers[q].kind == PD_LAYER_IPV4 ?
						  p->layers[q].u.ip4.proto :
						  p->layers[q].u.ip6.proto,
					  qs, qd, &dir);
		if (t >= 0) {
			e.tunnel = t;
			e.dir = dir;
			if (st->tun[t].ptb_mtu == 0 || icmp->mtu < st->tun[t].ptb_mtu)
				st->tun[t].ptb_mtu = icmp->mtu;
		}
	}
	event_add(st, &e);
}

static void syn_add(struct pd_tunstat *st, const struct pd_packet *p, unsigned tc,
		    int tunnel, int dir, struct pd_ts_frame_ref r)
{
	const struct pd_tcp *tcp = &p->layers[tc].u.tcp;
	struct pd_ts_event e;
	uint8_t dst[16];

	if (!(tcp->flags & PD_TCP_SYN) || !tcp->has_mss)
		return;
	if (tcp->flags & PD_TCP_ACK)
		st->tot.synack_mss++;
	else
		st->tot.syn_mss++;
	memset(&e, 0, sizeof(e));
	e.kind = PD_TS_EV_SYN;
	e.where = r;
	e.value = tcp->mss;
	e.syn_ack = (tcp->flags & PD_TCP_ACK) != 0;
	e.tunnel = tunnel;
	e.dir = dir;
	for (int i = (int)tc - 1; i >= 0; i--)
		if (is_ip(&p->layers[i])) {
			e.family = ip_family(&p->layers[i]);
			ip_addrs(&p->layers[i], e.src, dst);
			break;
		}
	event_add(st, &e);
}

/* ---- inner TCP flows (receiving-end blackhole signature) -------------------- */

/* Sequence-space comparisons (RFC 9293 section 3.4: modulo 2^32). */
static bool seq_lt(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) < 0;
}

static bool seq_le(uint32_t a, uint32_t b)
{
	return (int32_t)(a - b) <= 0;
}

static uint32_t seq_max(uint32_t a, uint32_t b)
{
	return seq_lt(a, b) ? b : a;
}

/* Flows are found like tunnels: an open-addressing table keyed by the
 * tunnel and both endpoints, the same both ways, with linear probing's
 * deletion; a list from least to most recently seen picks the flow to
 * evict (rules in pathdiag/tunstat.h). */
#define FLOW_MASK (PD_TS_FLOW_SLOTS - 1)

static unsigned flow_slot(int t, int fam, const uint8_t *src, uint16_t sport, const uint8_t *dst,
			  uint16_t dport)
{
	return slot_of(ep_hash(src, sport) + ep_hash(dst, dport) + (uint64_t)t * 1021 +
		       (uint64_t)fam) & FLOW_MASK;
}

static unsigned flow_home(const struct pd_tunstat *st, unsigned i)
{
	const struct pd_ts_flow *f = &st->flow[i];

	return flow_slot(f->tunnel, f->family, f->addr[0], f->port[0], f->addr[1], f->port[1]);
}

static void flow_unlink(struct pd_tunstat *st, unsigned i)
{
	uint8_t p = st->flow_prev[i], n = st->flow_next[i];

	if (p)
		st->flow_next[p - 1] = n;
	else
		st->flow_head = n;
	if (n)
		st->flow_prev[n - 1] = p;
	else
		st->flow_tail = p;
	st->flow_prev[i] = st->flow_next[i] = 0;
}

static void flow_push(struct pd_tunstat *st, unsigned i)
{
	st->flow_prev[i] = st->flow_tail;
	st->flow_next[i] = 0;
	if (st->flow_tail)
		st->flow_next[st->flow_tail - 1] = (uint8_t)(i + 1);
	else
		st->flow_head = (uint8_t)(i + 1);
	st->flow_tail = (uint8_t)(i + 1);
}

/* Take flow i out of the lookup table (as slot_del does for tunnels) and
 * out of the list; its entry stays. */
static void flow_unhash(struct pd_tunstat *st, unsigned i)
{
	unsigned h = flow_home(st, i), j, k;
	bool moved = true;

	flow_unlink(st, i);
	while (st->by_flow[h] != i + 1)
		h = (h + 1) & FLOW_MASK;
	while (moved) {
		st->by_flow[h] = 0;
		moved = false;
		for (j = (h + 1) & FLOW_MASK; st->by_flow[j]; j = (j + 1) & FLOW_MASK) {
			k = flow_home(st, st->by_flow[j] - 1u);
			if (((j - k) & FLOW_MASK) >= ((j - h) & FLOW_MASK)) {
				st->by_flow[h] = st->by_flow[j];
				h = j;
				moved = true;
				break;
			}
		}
	}
}

/* Forget flow i: the last flow moves into its place. */
static void flow_free(struct pd_tunstat *st, unsigned i)
{
	unsigned last = st->nflows - 1, h;

	flow_unhash(st, i);
	if (i != last) {
		uint8_t p = st->flow_prev[last], n = st->flow_next[last];

		st->flow[i] = st->flow[last];
		for (h = flow_home(st, last); st->by_flow[h] != last + 1; h = (h + 1) & FLOW_MASK)
			;
		st->by_flow[h] = (uint8_t)(i + 1);
		st->flow_prev[i] = p;
		st->flow_next[i] = n;
		if (p)
			st->flow_next[p - 1] = (uint8_t)(i + 1);
		else
			st->flow_head = (uint8_t)(i + 1);
		if (n)
			st->flow_prev[n - 1] = (uint8_t)(i + 1);
		else
			st->flow_tail = (uint8_t)(i + 1);
		st->flow_prev[last] = st->flow_next[last] = 0;
	}
	st->nflows--;
}

/* The slot for a new flow: a free one, or that of the least recently seen
 * flow without an open hole (evicted); -1 when every flow has one. */
static int flow_slot_new(struct pd_tunstat *st)
{
	unsigned v;

	if (st->nflows < PD_TS_MAX_FLOWS)
		return (int)st->nflows++;
	for (v = st->flow_head; v; v = st->flow_next[v - 1]) {
		const struct pd_ts_flow *f = &st->flow[v - 1];

		if (!f->h[0].hole && !f->h[1].hole)
			break;
	}
	if (!v)
		return -1;
	flow_unhash(st, v - 1);
	st->flows_evicted++;
	return (int)v - 1;
}

/* The flow of tunnel t between (src, sport) and (dst, dport); *side is the
 * sender's index.  Created when new (perhaps evicting one), NULL when the
 * table is full of flows with open holes. */
static struct pd_ts_flow *flow_get(struct pd_tunstat *st, int t, int fam, const uint8_t *src,
				   uint16_t sport, const uint8_t *dst, uint16_t dport, int *side)
{
	unsigned h = flow_slot(t, fam, src, sport, dst, dport);
	struct pd_ts_flow *f;
	int i;

	for (; st->by_flow[h]; h = (h + 1) & FLOW_MASK) {
		unsigned x = st->by_flow[h] - 1u;

		f = &st->flow[x];
		if (f->tunnel != t || f->family != fam)
			continue;
		for (int s = 0; s < 2; s++)
			if (f->port[s] == sport && f->port[!s] == dport &&
			    !memcmp(f->addr[s], src, 16) && !memcmp(f->addr[!s], dst, 16)) {
				*side = s;
				if (st->flow_tail != x + 1) {
					flow_unlink(st, x);
					flow_push(st, x);
				}
				return f;
			}
	}
	i = flow_slot_new(st);
	if (i < 0) {
		st->flows_dropped++;
		return NULL;
	}
	f = &st->flow[i];
	memset(f, 0, sizeof(*f));
	f->tunnel = t;
	f->family = fam;
	memcpy(f->addr[0], src, 16);
	memcpy(f->addr[1], dst, 16);
	f->port[0] = sport;
	f->port[1] = dport;
	/* an eviction may have moved the end of this run: probe again */
	for (h = flow_slot(t, fam, src, sport, dst, dport); st->by_flow[h];
	     h = (h + 1) & FLOW_MASK)
		;
	st->by_flow[h] = (uint8_t)(i + 1);
	flow_push(st, (unsigned)i);
	st->flows_created++;
	*side = 0;
	return f;
}

/* The bytes of an open hole up to `upto` came (or were acknowledged): it
 * closes when that reaches its end, else it shrinks (progress: the stuck
 * ACKs start over). */
static void hole_reached(struct pd_ts_flow_half *h, uint32_t upto)
{
	if (seq_le(h->hole_end, upto)) {
		h->hole = false;
		h->next = seq_max(upto, h->later_hi);
	} else {
		h->next = upto;
		h->hole_start = upto;
		h->ack_n = 0;
	}
}

/* Data of `len` bytes at seq from one side: advance the next byte expected,
 * open a hole when a segment starts beyond it, note later arrivals while it
 * is open, close it when the missing bytes come. */
static void flow_data(struct pd_ts_flow_half *h, uint32_t seq, uint32_t len, uint32_t hdr,
		      struct pd_ts_frame_ref r)
{
	uint32_t end = seq + len;

	if (len > h->max_pay)
		h->max_pay = len;
	if (!h->has_next) {
		h->has_next = true;
		h->next = end;
		return;
	}
	if (!h->hole) {
		if (seq_le(seq, h->next)) {
			h->next = seq_max(h->next, end);
			return;
		}
		h->hole = true;
		h->hole_start = h->next;
		h->hole_end = seq;
		h->later_hi = end;
		h->later_max = len;
		h->later_n = 1;
		h->later_hdr = hdr;
		h->hole_ev = r;
		h->ack_n = 0;
		return;
	}
	if (seq_le(seq, h->hole_start) && seq_lt(h->hole_start, end)) {
		hole_reached(h, end);
		return;
	}
	if (seq_lt(seq, h->hole_start))
		return; /* old data again */
	h->later_n++;
	if (len > h->later_max)
		h->later_max = len;
	h->later_hi = seq_max(h->later_hi, end);
}

/* An ACK from the other side of h: stuck at the hole's start (one more
 * round when it comes PD_TS_ACK_ROUND_USEC after the one before), or past
 * it (the hole filled where this capture did not see it). */
static void flow_ack(struct pd_ts_flow_half *h, uint32_t ack, struct pd_ts_frame_ref r)
{
	if (!h->hole)
		return;
	if (ack == h->hole_start) {
		if (h->ack_n && r.ts_usec - h->ack_last < PD_TS_ACK_ROUND_USEC) {
			h->ack_last = r.ts_usec;
			return;
		}
		h->ack_last = r.ts_usec;
		if (h->ack_n < PD_TS_RUN)
			h->ack[h->ack_n++] = r;
		return;
	}
	if (seq_lt(h->hole_start, ack))
		hole_reached(h, ack);
}

/* A TCP segment inside tunnel t (dir): fam, src, dst, ilen of its IP
 * header, hdr the bytes of that header and the TCP header. */
static void flow_add(struct pd_tunstat *st, int fam, const uint8_t *src, const uint8_t *dst,
		     uint32_t ilen, uint32_t hdr, const struct pd_tcp *tcp, int t, int dir,
		     struct pd_ts_frame_ref r)
{
	struct pd_ts_flow *f;
	uint32_t len;
	int side;

	f = flow_get(st, t, fam, src, tcp->sport, dst, tcp->dport, &side);
	if (!f)
		return;
	f->h[side].tdir = dir;
	/* payload from the IP length, not the capture: a snap length cuts it */
	len = ilen > hdr ? ilen - hdr : 0;
	if (tcp->flags & PD_TCP_RST) {
		f->h[0].hole = f->h[1].hole = false;
		return;
	}
	if (tcp->flags & PD_TCP_SYN) {
		f->h[side].has_next = true;
		f->h[side].hole = false;
		f->h[side].next = tcp->seq + 1;
		if (tcp->has_mss)
			f->h[side].mss = tcp->mss;
	} else if (len) {
		flow_data(&f->h[side], tcp->seq, len, hdr, r);
	}
	if (tcp->flags & PD_TCP_ACK)
		flow_ack(&f->h[!side], tcp->ack, r);
}

/* flow_add for the TCP layer tc right after the IP layer ip. */
static void flow_add_layers(struct pd_tunstat *st, const struct pd_packet *p, unsigned ip,
			    unsigned tc, int t, int dir, struct pd_ts_frame_ref r)
{
	const struct pd_tcp *tcp = &p->layers[tc].u.tcp;
	uint8_t src[16], dst[16];

	ip_addrs(&p->layers[ip], src, dst);
	flow_add(st, ip_family(&p->layers[ip]), src, dst, ip_len(&p->layers[ip]),
		 (uint32_t)(p->layers[tc].off - p->layers[ip].off) + tcp->hdr_len, tcp, t, dir,
		 r);
}

/* Pair this packet with the closest one of another source within the
 * window whose size differs as an outer UDP packet and its inner would. */
static void corr_add(struct pd_tunstat *st, unsigned src, const struct pd_ts_corr_pkt *pk)
{
	int64_t best_dt = -1;
	uint32_t best_delta = 0;
	int best_tun = -1;

	/* one source: no other to pair with (the ring is still kept, for a
	 * source that may come later) */
	for (unsigned s = 0; st->nsources > 1 && s < st->nsources; s++) {
		if (s == src)
			continue;
		for (unsigned k = 0; k < st->ring_n[s]; k++) {
			const struct pd_ts_corr_pkt *x = &st->ring[s][k];
			int64_t dt = pk->ts_usec - x->ts_usec;
			uint32_t delta = 0;
			int tun = -1;

			if (dt < 0)
				dt = -dt;
			if (dt > PD_TS_CORR_WINDOW_USEC)
				continue;
			if (x->udp_outer && x->ip_len > pk->ip_len) {
				delta = x->ip_len - pk->ip_len;
				tun = x->tunnel;
			} else if (pk->udp_outer && pk->ip_len > x->ip_len) {
				delta = pk->ip_len - x->ip_len;
				tun = pk->tunnel;
			}
			if (delta == 0 || delta > PD_TS_CORR_MAXDELTA)
				continue;
			if (best_dt < 0 || dt < best_dt) {
				best_dt = dt;
				best_delta = delta;
				best_tun = tun;
			}
		}
	}
	if (best_dt >= 0) {
		st->corr_hist[best_delta]++;
		st->corr_pairs++;
		st->corr_tunnel[best_delta] = best_tun + 1;
	}
	st->ring[src][st->ring_pos[src]] = *pk;
	st->ring_pos[src] = (st->ring_pos[src] + 1) % PD_TS_CORR_RING;
	if (st->ring_n[src] < PD_TS_CORR_RING)
		st->ring_n[src]++;
}

void pd_tunstat_add(struct pd_tunstat *st, unsigned source, uint64_t frame, int64_t ts_usec,
		    const struct pd_packet *pkt)
{
	struct pd_ts_frame_ref r = ref(source, frame, ts_usec);
	const struct pd_layer *ol;
	struct classified c;
	uint8_t src[16], dst[16];
	int o, t = -1, dir = 0, fam;
	bool first = true, frag;

	if (!st || !pkt)
		return;
	if (source >= PD_TS_MAX_SOURCES)
		source = PD_TS_MAX_SOURCES - 1;
	if (source + 1 > st->nsources)
		st->nsources = source + 1;
	st->tot.frames++;
	o = next_ip(pkt, 0, false);
	if (o < 0 || (unsigned)o >= PD_MAX_LAYERS) {
		st->tot.undecoded++;
		return;
	}
	st->tot.ip_packets++;
	ol = &pkt->layers[o];
	fam = ip_family(ol);
	ip_addrs(ol, src, dst);
	frag = ip_is_frag(ol, &first);
	if (frag) {
		if (fam == 4)
			st->tot.ip4_frags++;
		else
			st->tot.ip6_frags++;
	}
	c = classify(pkt, (unsigned)o);
	if (frag && !first) {
		uint8_t proto = fam == 4 ? ol->u.ip4.proto : ol->u.ip6.proto;

		t = tun_find_frag(st, fam, proto, src, dst, &dir);
		if (t >= 0)
			frag_add(&st->tun[t].dir[dir], false, ip_len(ol), r);
		return;
	}
	if (c.kind != PD_TUN_NONE) {
		st->tot.tunnelled[c.kind]++;
		if (c.wg >= 0) {
			const struct pd_wg *wg = &pkt->layers[c.wg].u.wg;

			if (wg->type >= 1 && wg->type <= 4)
				st->tot.wg[wg->type]++;
			if (wg->type == PD_WG_DATA && wg->keepalive)
				st->tot.wg[PD_TS_WG_KEEPALIVE]++;
		}
		t = tun_get(st, &c, fam, src, dst, &dir, ts_usec);
		if (t < 0) {
			st->tot.tunnels_dropped++;
		} else {
			/* a first fragment's inner header claims bytes the
			 * fragment lacks */
			const struct pd_layer *in = c.inner >= 0 && !frag ?
				&pkt->layers[c.inner] : NULL;

			dir_add(st, &st->tun[t], dir, ip_len(ol), in ? ip_family(in) : 0,
				in ? ip_len(in) : 0, c.wg >= 0 ? &pkt->layers[c.wg].u.wg : NULL, r);
			if (frag)
				frag_add(&st->tun[t].dir[dir], true, ip_len(ol), r);
		}
	}
	for (unsigned i = (unsigned)o + 1; i < pkt->nlayers; i++) {
		const struct pd_layer *l = &pkt->layers[i];

		if (l->quoted)
			break;
		if (l->kind == PD_LAYER_ICMP && l->u.icmp.is_error && l->u.icmp.has_mtu)
			icmp_add(st, pkt, (unsigned)o, i, r);
		else if (l->kind == PD_LAYER_TCP) {
			syn_add(st, pkt, i, c.kind != PD_TUN_NONE ? t : -1, dir, r);
			/* the inner flow of a tunnel whose inner packets show */
			if (t >= 0 && c.inner >= 0 && c.wg < 0 && !frag && (int)i > c.inner &&
			    is_ip(&pkt->layers[i - 1]))
				flow_add_layers(st, pkt, i - 1, i, t, dir, r);
		}
	}
	if (!frag) {
		struct pd_ts_corr_pkt pk = {
			ts_usec, ip_len(ol),
			(unsigned)o + 1 < pkt->nlayers && pkt->layers[o + 1].kind == PD_LAYER_UDP,
			frame, c.kind != PD_TUN_NONE ? t : -1,
		};

		corr_add(st, source, &pk);
	}
}

/* pd_tunstat_add() for a frame ts_fast_parse() read: the same steps, on
 * the values it read instead of the layers (no fragment, ICMP error or
 * SYN among them). */
static void add_fast(struct pd_tunstat *st, unsigned source, uint64_t frame, int64_t ts_usec,
		     const struct ts_fast *f)
{
	struct pd_ts_frame_ref r = ref(source, frame, ts_usec);
	struct pd_ts_corr_pkt pk;
	int t = -1, dir = 0;

	if (source >= PD_TS_MAX_SOURCES)
		source = PD_TS_MAX_SOURCES - 1;
	if (source + 1 > st->nsources)
		st->nsources = source + 1;
	st->tot.frames++;
	st->tot.ip_packets++;
	if (f->kind != PD_TUN_NONE) {
		struct classified c = { f->kind, -1, -1, 0, 0, 0, false };
		bool wg = f->kind == PD_TUN_WIREGUARD;

		st->tot.tunnelled[f->kind]++;
		if (wg) {
			c.sport = f->sport;
			c.dport = f->dport;
			st->tot.wg[PD_WG_DATA]++;
			if (f->wg.keepalive)
				st->tot.wg[PD_TS_WG_KEEPALIVE]++;
		}
		t = tun_get(st, &c, f->fam, f->src, f->dst, &dir, ts_usec);
		if (t < 0)
			st->tot.tunnels_dropped++;
		else
			dir_add(st, &st->tun[t], dir, f->olen, wg ? 0 : f->ifam, wg ? 0 : f->ilen,
				wg ? &f->wg : NULL, r);
		if (f->tcp && t >= 0)
			flow_add(st, f->ifam, f->isrc, f->idst, f->ilen, f->thdr, &f->th, t, dir,
				 r);
	}
	pk.ts_usec = ts_usec;
	pk.ip_len = f->olen;
	pk.udp_outer = f->udp;
	pk.frame = frame;
	pk.tunnel = t;
	corr_add(st, source, &pk);
}

int pd_tunstat_add_frame(struct pd_tunstat *st, unsigned source, uint64_t frame, int64_t ts_usec,
			 int linktype, const uint8_t *buf, size_t caplen, size_t wirelen,
			 const struct pd_dissect_opts *opts, struct pd_packet *pkt)
{
	struct ts_fast f;
	int rc;

	if (st && ts_fast_parse(linktype, buf, caplen, opts, &f)) {
		add_fast(st, source, frame, ts_usec, &f);
		return PD_OK;
	}
	rc = pd_dissect(linktype, buf, caplen, wirelen, opts, pkt);
	pd_tunstat_add(st, source, frame, ts_usec, pkt);
	return rc;
}

/* ---- what the numbers imply ------------------------------------------------ */

bool pd_tunstat_overhead(const struct pd_ts_tunnel *t, uint32_t *ovh, bool *exact)
{
	uint32_t lo = 0, hi = 0;
	bool any = false;

	for (int d = 0; d < 2; d++) {
		const struct pd_ts_dir *x = &t->dir[d];

		if (!x->ovh_samples)
			continue;
		if (!any || x->ovh_min < lo)
			lo = x->ovh_min;
		if (!any || x->ovh_max > hi)
			hi = x->ovh_max;
		any = true;
	}
	if (any) {
		*ovh = lo;
		*exact = lo == hi;
		return true;
	}
	if (t->kind == PD_TUN_WIREGUARD) {
		*ovh = (t->outer_family == 6 ? 40u : 20u) + 8 + PD_WG_DATA_MIN_LEN;
		*exact = false;
		return true;
	}
	return false;
}

bool pd_tunstat_mtu(const struct pd_ts_tunnel *t, uint32_t *mtu, enum pd_provenance *prov,
		    bool *lower_bound, const char **basis)
{
	uint32_t ovh, clamped = 0, max_outer = 0;
	bool exact;

	for (int d = 0; d < 2; d++) {
		if (t->dir[d].wg_clamped > clamped)
			clamped = t->dir[d].wg_clamped;
		if (t->dir[d].max_outer > max_outer)
			max_outer = t->dir[d].max_outer;
	}
	*lower_bound = false;
	if (clamped) {
		*mtu = clamped;
		*prov = PD_PROV_MEASURED;
		*basis = "WireGuard padding stopped at the sender's MTU";
		return true;
	}
	if (!pd_tunstat_overhead(t, &ovh, &exact))
		return false;
	if (t->ptb_mtu > ovh) {
		*mtu = t->ptb_mtu - ovh;
		*prov = PD_PROV_DERIVED;
		*basis = "MTU reported by ICMP minus overhead";
		return true;
	}
	if (max_outer > ovh) {
		*mtu = max_outer - ovh;
		*prov = PD_PROV_DERIVED;
		*lower_bound = true;
		*basis = "largest outer packet minus overhead (a lower bound)";
		return true;
	}
	return false;
}

/* ---- findings -------------------------------------------------------------- */

static struct pd_ts_finding *fnew(struct pd_ts_findings *out, const char *kind,
				  enum pd_severity sev, int tunnel)
{
	struct pd_ts_finding *f;

	if (out->n >= PD_TS_MAX_FINDINGS)
		return NULL;
	f = &out->f[out->n++];
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = sev;
	f->tunnel = tunnel;
	return f;
}

/* The message of f; text beyond the buffer is cut. */
__attribute__((format(printf, 2, 3))) static void fmsg(struct pd_ts_finding *f,
							const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(f->message, sizeof(f->message), fmt, ap);
	va_end(ap);
}

static void fev(struct pd_ts_finding *f, struct pd_ts_frame_ref r)
{
	if (f && f->nev < PD_TS_MAX_EVIDENCE)
		f->ev[f->nev++] = r;
}

/* "wireguard 10.0.0.1:51820 -> 10.0.0.2:51820" for dir of tunnel t. */
static void tun_label(const struct pd_ts_tunnel *t, int dir, char *buf, size_t len)
{
	char a[48], b[48];
	int s = dir, d = !dir;

	pd_ts_addr(t->outer_family, t->addr[s], a, sizeof(a));
	pd_ts_addr(t->outer_family, t->addr[d], b, sizeof(b));
	if (t->kind == PD_TUN_WIREGUARD)
		snprintf(buf, len, "%s %s:%u -> %s:%u", pd_tun_kind_name(t->kind), a,
			 t->port[s], b, t->port[d]);
	else
		snprintf(buf, len, "%s %s -> %s", pd_tun_kind_name(t->kind), a, b);
}

static void find_ptb(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	uint64_t other = 0;
	uint32_t omin = 0, omax = 0;
	struct pd_ts_finding *fo = NULL;

	for (unsigned t = 0; t < st->ntun; t++) {
		struct pd_ts_finding *f = NULL;
		const struct pd_ts_event *first = NULL;
		unsigned n = 0;
		char lab[160], who[48];

		for (unsigned i = 0; i < st->nev; i++) {
			const struct pd_ts_event *e = &st->ev[i];

			if (e->kind != PD_TS_EV_PTB || e->tunnel != (int)t)
				continue;
			if (!first)
				first = e;
			n++;
			if (!f)
				f = fnew(out, "tunnel-ptb", PD_SEV_WARNING, (int)t);
			fev(f, e->where);
		}
		if (!f)
			continue;
		tun_label(&st->tun[t], first->dir, lab, sizeof(lab));
		pd_ts_addr(first->family, first->src, who, sizeof(who));
		fmsg(f,
			 "%u ICMP %s about %s; first from %s reports MTU %u", n,
			 first->family == 4 ? "fragmentation-needed" : "packet-too-big", lab, who,
			 first->value);
	}
	for (unsigned i = 0; i < st->nev; i++) {
		const struct pd_ts_event *e = &st->ev[i];

		if (e->kind != PD_TS_EV_PTB || e->tunnel >= 0)
			continue;
		if (!fo)
			fo = fnew(out, "icmp-too-big", PD_SEV_INFO, -1);
		fev(fo, e->where);
		if (!other || e->value < omin)
			omin = e->value;
		if (e->value > omax)
			omax = e->value;
		other++;
	}
	if (fo)
		fmsg(fo,
			 "%llu ICMP fragmentation-needed/packet-too-big not about a tunnel "
			 "(MTU %u..%u)",
			 (unsigned long long)other, omin, omax);
}

static void find_frag(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	for (unsigned t = 0; t < st->ntun; t++)
		for (int d = 0; d < 2; d++) {
			const struct pd_ts_dir *x = &st->tun[t].dir[d];
			struct pd_ts_finding *f;
			char lab[160];

			if (!x->frag_first && !x->frag_other)
				continue;
			f = fnew(out, "tunnel-fragmented", PD_SEV_WARNING, (int)t);
			if (!f)
				return;
			tun_label(&st->tun[t], d, lab, sizeof(lab));
			fmsg(f,
				 "%llu outer fragments of %s (%llu first, %llu later), %u..%u bytes: "
				 "tunnel packets exceed the path MTU",
				 (unsigned long long)(x->frag_first + x->frag_other), lab,
				 (unsigned long long)x->frag_first,
				 (unsigned long long)x->frag_other, x->frag_min, x->frag_max);
			for (unsigned i = 0; i < x->frag_nev; i++)
				fev(f, x->frag_ev[i]);
		}
}

/* The tunnel MTU an MSS is judged against: the carrying tunnel's exact MTU;
 * else the configured one; else, for a SYN seen outside any tunnel (a
 * capture of the tunnel interface), the one tunnel with an exact MTU. */
static bool mss_limit_mtu(const struct pd_tunstat *st, const struct pd_ts_event *e,
			  uint32_t configured, uint32_t *mtu, const char **basis)
{
	enum pd_provenance prov;
	bool lb;
	int found = -1;

	if (e->tunnel >= 0 && pd_tunstat_mtu(&st->tun[e->tunnel], mtu, &prov, &lb, basis) &&
	    !lb)
		return true;
	if (configured) {
		*mtu = configured;
		*basis = "configured tunnel MTU";
		return true;
	}
	if (e->tunnel >= 0)
		return false;
	/* captured on a tunnel interface: its MTU is the tunnel's */
	if (e->where.source < PD_TS_MAX_SOURCES && st->src_mtu[e->where.source]) {
		*mtu = st->src_mtu[e->where.source];
		*basis = "configured MTU of the tunnel interface captured on";
		return true;
	}
	for (unsigned t = 0; t < st->ntun; t++) {
		uint32_t m;
		const char *b;

		if (pd_tunstat_mtu(&st->tun[t], &m, &prov, &lb, &b) && !lb) {
			if (found >= 0 && m != *mtu)
				return false; /* two tunnels disagree: cannot tell */
			found = (int)t;
			*mtu = m;
			*basis = b;
		}
	}
	return found >= 0;
}

static void find_mss(const struct pd_tunstat *st, uint32_t configured,
		     struct pd_ts_findings *out)
{
	bool done[PD_TS_MAX_EVENTS] = { false };

	for (unsigned i = 0; i < st->nev; i++) {
		const struct pd_ts_event *e = &st->ev[i];
		struct pd_ts_finding *f;
		const char *basis = "";
		uint32_t mtu = 0, limit;
		char who[48];

		if (e->kind != PD_TS_EV_SYN || done[i])
			continue;
		if (!mss_limit_mtu(st, e, configured, &mtu, &basis))
			continue;
		limit = mtu > (e->family == 6 ? 60u : 40u) ? mtu - (e->family == 6 ? 60u : 40u) : 0;
		if (e->value <= limit)
			continue;
		f = fnew(out, "mss-exceeds-tunnel", PD_SEV_WARNING, e->tunnel);
		if (!f)
			return;
		pd_ts_addr(e->family, e->src, who, sizeof(who));
		fmsg(f,
			 "%s from %s (address as seen on the tunnel, after any NAT) announces MSS %u, "
			 "more than %u that tunnel MTU %u allows (%s)",
			 e->syn_ack ? "SYN-ACK" : "SYN", who, e->value, limit, mtu, basis);
		/* the same source and MSS again: evidence of this finding */
		for (unsigned j = i; j < st->nev; j++) {
			const struct pd_ts_event *x = &st->ev[j];

			if (x->kind == PD_TS_EV_SYN && x->value == e->value &&
			    x->family == e->family && !memcmp(x->src, e->src, 16)) {
				done[j] = true;
				fev(f, x->where);
			}
		}
	}
}

/* Blackhole signature in direction d of a tunnel: a run of >= 3 sends of
 * the same outer size S >= BH_MIN_SIZE, S within BH_NEAR_MAX bytes of the
 * largest outer packet of that direction, the first re-send >= 150 ms after
 * the first send and every further gap >= 1.5 times the one before (and
 * <= 130 s); while the other direction carried packets, none of them S
 * bytes or more. */
static void find_blackhole(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	for (unsigned t = 0; t < st->ntun; t++)
		for (int d = 0; d < 2; d++) {
			const struct pd_ts_dir *x = &st->tun[t].dir[d];
			const struct pd_ts_dir *y = &st->tun[t].dir[!d];
			struct pd_ts_finding *f;
			char lab[160];

			if (x->bh_n < 3 || x->bh_size + BH_NEAR_MAX < x->max_outer)
				continue;
			if (y->packets == 0 || y->max_outer >= x->bh_size)
				continue;
			f = fnew(out, "blackhole-signature", PD_SEV_CRITICAL, (int)t);
			if (!f)
				return;
			tun_label(&st->tun[t], d, lab, sizeof(lab));
			fmsg(f,
				 "%s: %u-byte outer packets re-sent %u times with growing gaps "
				 "(%.2f s .. %.2f s) while the other way carries at most %u bytes: "
				 "packets of %u bytes are likely lost on the path",
				 lab, x->bh_size, x->bh_n,
				 (double)(x->bh[1].ts_usec - x->bh[0].ts_usec) / 1e6,
				 (double)(x->bh[x->bh_n - 1].ts_usec - x->bh[x->bh_n - 2].ts_usec) /
					 1e6,
				 y->max_outer, x->bh_size);
			for (unsigned i = 0; i < x->bh_n; i++)
				fev(f, x->bh[i]);
		}
}

/* Receiving-end blackhole signature (rule in pathdiag/tunstat.h): the far
 * end's WireGuard counters have gaps while only small packets arrive. */
static void find_blackhole_rx(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	for (unsigned t = 0; t < st->ntun; t++) {
		const struct pd_ts_tunnel *tu = &st->tun[t];

		if (tu->kind != PD_TUN_WIREGUARD)
			continue;
		for (int d = 0; d < 2; d++) {
			const struct pd_ts_dir *x = &tu->dir[d];
			uint64_t missing = 0, span = 0;
			struct pd_ts_finding *f;
			char lab[160];

			for (unsigned i = 0; i < tu->nsess; i++) {
				const struct pd_ts_session *s = &tu->sess[i];
				uint64_t w;

				if (!s->ctr_n[d])
					continue;
				w = s->ctr_hi[d] - s->ctr_lo[d] + 1;
				span += w;
				if (w > s->ctr_n[d])
					missing += w - s->ctr_n[d];
			}
			if (missing < PD_TS_BH_RX_MIN_MISSING ||
			    missing * PD_TS_BH_RX_MIN_SHARE < span)
				continue;
			if (x->max_outer >= BH_MIN_SIZE || tu->dir[!d].packets == 0)
				continue;
			f = fnew(out, "blackhole-signature", PD_SEV_WARNING, (int)t);
			if (!f)
				return;
			tun_label(tu, d, lab, sizeof(lab));
			fmsg(f,
				 "%s (receiving end): %llu of %llu WireGuard counters missing, "
				 "arrivals all <= %u bytes: large packets likely dropped on the path",
				 lab, (unsigned long long)missing, (unsigned long long)span,
				 x->max_outer);
			for (unsigned i = 0; i < x->gap_nev; i++)
				fev(f, x->gap_ev[i]);
		}
	}
}

/* "192.0.2.1:40000" or "[2001:db8::1]:40000". */
static void ep_label(int fam, const uint8_t *a, uint16_t port, char *buf, size_t len)
{
	char x[48];

	pd_ts_addr(fam, a, x, sizeof(x));
	snprintf(buf, len, fam == 6 ? "[%s]:%u" : "%s:%u", x, port);
}

/* Whether the stuck ACK rounds of h back off: at least 3, each gap at least
 * 1.5 times the one before, the last at least BH_FIRST_GAP_USEC after the
 * first. */
static bool acks_back_off(const struct pd_ts_flow_half *h)
{
	if (h->ack_n < 3 || h->ack[h->ack_n - 1].ts_usec - h->ack[0].ts_usec < BH_FIRST_GAP_USEC)
		return false;
	for (unsigned i = 2; i < h->ack_n; i++) {
		int64_t gap = h->ack[i].ts_usec - h->ack[i - 1].ts_usec;
		int64_t prev = h->ack[i - 1].ts_usec - h->ack[i - 2].ts_usec;

		if (gap * 2 < prev * 3)
			return false;
	}
	return true;
}

/* The size of the segments lost in a hole of `gap` bytes, when it divides
 * the hole: the largest payload seen from the sender, else the MSS both
 * SYNs allow less the TCP options the data segments carry.  0: unknown. */
static uint32_t lost_segment(const struct pd_ts_flow *f, int s, uint32_t gap)
{
	const struct pd_ts_flow_half *h = &f->h[s];
	uint32_t opts, mss;

	if (h->max_pay > h->later_max && gap % h->max_pay == 0)
		return h->max_pay;
	if (!h->mss || !f->h[!s].mss)
		return 0;
	mss = h->mss < f->h[!s].mss ? h->mss : f->h[!s].mss;
	opts = h->later_hdr - (f->family == 6 ? 40u : 20u) - 20u;
	if (h->later_hdr < (f->family == 6 ? 60u : 40u) || mss <= opts)
		return 0;
	mss -= opts;
	return mss > h->later_max && gap % mss == 0 ? mss : 0;
}

/* Receiving-end blackhole signature from inner TCP (rule in
 * pathdiag/tunstat.h): a hole in one side's data that never fills while
 * smaller later segments arrive and the other side's ACKs stay at its
 * start with back-off.  The tunnel direction named is the data's. */
static void find_blackhole_flows(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	for (unsigned i = 0; i < st->nflows; i++) {
		const struct pd_ts_flow *fl = &st->flow[i];

		for (int s = 0; s < 2; s++) {
			const struct pd_ts_flow_half *h = &fl->h[s];
			const struct pd_ts_tunnel *tu = &st->tun[fl->tunnel];
			uint32_t gap = h->hole_end - h->hole_start, seg, ovh;
			char lab[160], a[64], b[64], what[160];
			struct pd_ts_finding *f;
			bool exact;

			if (!h->hole || h->later_n < 2 || h->later_max >= gap || !acks_back_off(h))
				continue;
			seg = lost_segment(fl, s, gap);
			if (seg && h->later_max >= seg)
				continue;
			if (seg && pd_tunstat_overhead(tu, &ovh, &exact) && exact)
				snprintf(what, sizeof(what),
					 "%u x %u-byte segments (%u-byte inner, %u-byte outer packets)",
					 gap / seg, seg, seg + h->later_hdr, seg + h->later_hdr + ovh);
			else if (seg)
				snprintf(what, sizeof(what),
					 "%u x %u-byte segments (%u-byte inner packets)", gap / seg,
					 seg, seg + h->later_hdr);
			else
				snprintf(what, sizeof(what), "packets larger than %u bytes",
					 h->later_max + h->later_hdr);
			f = fnew(out, "blackhole-signature", PD_SEV_WARNING, fl->tunnel);
			if (!f)
				return;
			tun_label(tu, h->tdir, lab, sizeof(lab));
			ep_label(fl->family, fl->addr[s], fl->port[s], a, sizeof(a));
			ep_label(fl->family, fl->addr[!s], fl->port[!s], b, sizeof(b));
			fmsg(f,
				 "%s (receiving end): TCP %s -> %s: a %u-byte hole never filled while "
				 "%u later segments of <= %u bytes arrived and the ACKs stayed at it "
				 "%u times with growing gaps (up to %.2f s): %s likely lost on the path",
				 lab, a, b, gap, h->later_n, h->later_max, h->ack_n,
				 (double)(h->ack[h->ack_n - 1].ts_usec - h->ack[h->ack_n - 2].ts_usec) /
					 1e6,
				 what);
			fev(f, h->hole_ev);
			for (unsigned k = 0; k < h->ack_n; k++)
				fev(f, h->ack[k]);
		}
	}
}

/* The size difference of most paired packets, when at least
 * CORR_MIN_MATCHES pairs and more than half of all pairs agree. */
static void find_corr(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	uint32_t best = 0;
	struct pd_ts_finding *f;

	for (uint32_t d = 1; d <= PD_TS_CORR_MAXDELTA; d++)
		if (st->corr_hist[d] > st->corr_hist[best])
			best = d;
	if (best == 0 || st->corr_hist[best] < CORR_MIN_MATCHES ||
	    st->corr_hist[best] * 2 <= st->corr_pairs)
		return;
	out->corr_delta = best;
	out->corr_matches = st->corr_hist[best];
	f = fnew(out, "tunnel-overhead-correlated", PD_SEV_INFO, st->corr_tunnel[best] - 1);
	if (!f)
		return;
	fmsg(f,
		 "packets on one source are %u bytes larger on another at the same moments "
		 "(%llu of %llu pairs): tunnel overhead %u",
		 best, (unsigned long long)st->corr_hist[best],
		 (unsigned long long)st->corr_pairs, best);
}

static void find_table(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	struct pd_ts_finding *f;

	if (!st->tot.tunnels_dropped)
		return;
	f = fnew(out, "tunnel-table-full", PD_SEV_INFO, -1);
	if (f)
		fmsg(f,
			 "%llu tunnel packets not analysed: more than %u tunnels",
			 (unsigned long long)st->tot.tunnels_dropped, st->cap);
}

/* The tables' rules for a new entry when full (pathdiag/tunstat.h) came
 * into play: how often, so that a flood of new flows shows. */
static void find_overflow(const struct pd_tunstat *st, struct pd_ts_findings *out)
{
	struct pd_ts_finding *f;
	uint64_t sess_over = 0;

	for (unsigned t = 0; t < st->ntun; t++)
		sess_over += st->tun[t].sess_overflow;
	if (!st->tun_evicted && !st->tot.tunnels_dropped && !st->flows_evicted &&
	    !st->flows_dropped && !st->sess_evicted && !sess_over && !st->ev_evicted &&
	    !st->ev_dropped)
		return;
	f = fnew(out, "flow-table-overflow", PD_SEV_INFO, -1);
	if (f)
		fmsg(f,
			 "tables full (a flood of new flows?): tunnels %llu created, %llu evicted, "
			 "%llu packets not analysed (capacity %u); inner TCP flows %llu evicted, "
			 "%llu segments not tracked (capacity %u); WireGuard sessions %llu "
			 "replaced, %llu messages not tracked; events %llu replaced, %llu dropped",
			 (unsigned long long)st->tun_created, (unsigned long long)st->tun_evicted,
			 (unsigned long long)st->tot.tunnels_dropped, st->cap,
			 (unsigned long long)st->flows_evicted,
			 (unsigned long long)st->flows_dropped, PD_TS_MAX_FLOWS,
			 (unsigned long long)st->sess_evicted, (unsigned long long)sess_over,
			 (unsigned long long)st->ev_evicted, (unsigned long long)st->ev_dropped);
}

void pd_tunstat_finish(const struct pd_tunstat *st, uint32_t tunnel_mtu,
		       struct pd_ts_findings *out)
{
	memset(out, 0, sizeof(*out));
	if (!st)
		return;
	find_blackhole(st, out);
	find_blackhole_rx(st, out);
	find_blackhole_flows(st, out);
	find_ptb(st, out);
	find_frag(st, out);
	find_mss(st, tunnel_mtu, out);
	find_corr(st, out);
	find_table(st, out);
	find_overflow(st, out);
}
