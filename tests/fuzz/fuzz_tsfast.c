/* fuzz_tsfast.c - libFuzzer target holding the tunnel analysis's fast path
 * (lib/src/tsfast.c, through pd_tunstat_add_frame) to the full one
 * (pd_dissect then pd_tunstat_add): every input must give both the same
 * return codes, the same analysis state field by field, and the same
 * findings.
 *
 * Input: byte 0: bits 0-3 table capacity - 1 (overflow is reached), bit 7
 * a tunnel MTU of 1420 for pd_tunstat_finish; byte 1: link type (modulo 8:
 * EN10MB, RAW, LINUX_SLL, LINUX_SLL2, IPV4, IPV6, NULL, DLT_RAW 12); byte 2:
 * bit 0 no_wg_heuristic, bits 1-2 vxlan_port (0, 4790, 51820, 443), bit 3
 * opts = NULL; then records: source (1 byte, % 3), time step in ms (1
 * byte), length (2 bytes big-endian, cut to what is left), frame bytes.
 */
#include <pathdiag/dissect.h>
#include <pathdiag/tunstat.h>

#include "fuzz_common.h"

static const int linktypes[8] = {
	PD_LINKTYPE_ETHERNET, PD_LINKTYPE_RAW, PD_LINKTYPE_LINUX_SLL, PD_LINKTYPE_LINUX_SLL2,
	PD_LINKTYPE_IPV4, PD_LINKTYPE_IPV6, PD_LINKTYPE_NULL, 12,
};
static const uint16_t vxlan_ports[4] = { 0, 4790, 51820, 443 };

static struct pd_tunstat fast, full;
static struct pd_ts_findings ffast, ffull;

/* Field by field: padding bytes may differ between the two paths. */
#define EQ(f) FZ_CHECK(a->f == b->f)
#define MEMEQ(f) FZ_CHECK(!memcmp(a->f, b->f, sizeof(a->f)))

static void ref_eq(const struct pd_ts_frame_ref *a, const struct pd_ts_frame_ref *b)
{
	EQ(source);
	EQ(frame);
	EQ(ts_usec);
}

static void refs_eq(const struct pd_ts_frame_ref *a, const struct pd_ts_frame_ref *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		ref_eq(&a[i], &b[i]);
}

static void dir_eq(const struct pd_ts_dir *a, const struct pd_ts_dir *b)
{
	EQ(packets);
	EQ(bytes);
	EQ(first_usec);
	EQ(last_usec);
	EQ(max_outer);
	EQ(max_inner);
	EQ(ovh_min);
	EQ(ovh_max);
	EQ(wg_max_plain);
	EQ(wg_clamped);
	EQ(run_size);
	EQ(run_n);
	MEMEQ(hist);
	EQ(ovh_samples);
	MEMEQ(wg);
	refs_eq(a->run, b->run, PD_TS_RUN);
	EQ(frag_first);
	EQ(frag_other);
	EQ(frag_min);
	EQ(frag_max);
	refs_eq(a->frag_ev, b->frag_ev, PD_TS_MAX_EVIDENCE);
	EQ(frag_nev);
	ref_eq(&a->wg_clamped_ev, &b->wg_clamped_ev);
	EQ(bh_size);
	EQ(bh_n);
	refs_eq(a->bh, b->bh, PD_TS_RUN);
	refs_eq(a->gap_ev, b->gap_ev, PD_TS_MAX_EVIDENCE);
	EQ(gap_nev);
}

static void sess_eq(const struct pd_ts_session *a, const struct pd_ts_session *b)
{
	MEMEQ(idx);
	MEMEQ(has);
	EQ(packets);
	MEMEQ(ctr_lo);
	MEMEQ(ctr_hi);
	MEMEQ(ctr_n);
}

static void tun_eq(const struct pd_ts_tunnel *a, const struct pd_ts_tunnel *b)
{
	EQ(kind);
	EQ(outer_family);
	EQ(inner_family);
	MEMEQ(addr);
	MEMEQ(port);
	EQ(key);
	EQ(has_key);
	EQ(nsess);
	for (unsigned i = 0; i < a->nsess && i < PD_TS_MAX_SESSIONS; i++)
		sess_eq(&a->sess[i], &b->sess[i]);
	EQ(sess_overflow);
	EQ(ptb_mtu);
	dir_eq(&a->dir[0], &b->dir[0]);
	dir_eq(&a->dir[1], &b->dir[1]);
}

static void half_eq(const struct pd_ts_flow_half *a, const struct pd_ts_flow_half *b)
{
	EQ(has_next);
	EQ(hole);
	EQ(next);
	EQ(hole_start);
	EQ(hole_end);
	EQ(later_hi);
	EQ(later_max);
	EQ(later_n);
	EQ(later_hdr);
	EQ(max_pay);
	EQ(mss);
	EQ(tdir);
	ref_eq(&a->hole_ev, &b->hole_ev);
	EQ(ack_n);
	EQ(ack_last);
	refs_eq(a->ack, b->ack, PD_TS_RUN);
}

static void ev_eq(const struct pd_ts_event *a, const struct pd_ts_event *b)
{
	EQ(kind);
	ref_eq(&a->where, &b->where);
	EQ(family);
	MEMEQ(src);
	EQ(value);
	EQ(syn_ack);
	EQ(tunnel);
	EQ(dir);
}

static void state_eq(const struct pd_tunstat *a, const struct pd_tunstat *b)
{
	EQ(cap);
	EQ(ntun);
	for (unsigned i = 0; i < a->ntun; i++)
		tun_eq(&a->tun[i], &b->tun[i]);
	FZ_CHECK(!memcmp(&a->tot, &b->tot, sizeof(a->tot))); /* all uint64_t */
	EQ(nev);
	for (unsigned i = 0; i < a->nev; i++)
		ev_eq(&a->ev[i], &b->ev[i]);
	EQ(ev_dropped);
	for (unsigned s = 0; s < PD_TS_MAX_SOURCES; s++)
		for (unsigned k = 0; k < PD_TS_CORR_RING; k++) {
			const struct pd_ts_corr_pkt *x = &a->ring[s][k], *y = &b->ring[s][k];

			FZ_CHECK(x->ts_usec == y->ts_usec && x->ip_len == y->ip_len &&
				 x->udp_outer == y->udp_outer && x->frame == y->frame &&
				 x->tunnel == y->tunnel);
		}
	MEMEQ(ring_n);
	MEMEQ(ring_pos);
	MEMEQ(corr_hist);
	EQ(corr_pairs);
	MEMEQ(corr_tunnel);
	MEMEQ(corr_src_mask);
	EQ(nsources);
	MEMEQ(by_key);
	MEMEQ(by_addr);
	MEMEQ(src_mtu);
	EQ(nflows);
	for (unsigned i = 0; i < a->nflows; i++) {
		const struct pd_ts_flow *x = &a->flow[i], *y = &b->flow[i];

		FZ_CHECK(x->tunnel == y->tunnel && x->family == y->family);
		FZ_CHECK(!memcmp(x->addr, y->addr, sizeof(x->addr)));
		FZ_CHECK(!memcmp(x->port, y->port, sizeof(x->port)));
		half_eq(&x->h[0], &y->h[0]);
		half_eq(&x->h[1], &y->h[1]);
	}
	EQ(flows_dropped);
	/* the tables' recency lists and eviction counts (both paths evict alike) */
	MEMEQ(lru_head);
	MEMEQ(lru_tail);
	for (unsigned i = 0; i < a->ntun; i++)
		FZ_CHECK(a->lru_prev[i] == b->lru_prev[i] && a->lru_next[i] == b->lru_next[i] &&
			 a->tun_assured[i] == b->tun_assured[i] &&
			 a->tun_seen[i] == b->tun_seen[i]);
	EQ(tun_created);
	EQ(tun_evicted);
	EQ(flow_head);
	EQ(flow_tail);
	for (unsigned i = 0; i < a->nflows; i++)
		FZ_CHECK(a->flow_prev[i] == b->flow_prev[i] && a->flow_next[i] == b->flow_next[i]);
	MEMEQ(by_flow);
	EQ(flows_created);
	EQ(flows_evicted);
	EQ(flows_freed);
	EQ(sess_evicted);
	EQ(ev_evicted);
}

static void findings_eq(const struct pd_ts_findings *a, const struct pd_ts_findings *b)
{
	EQ(n);
	for (unsigned i = 0; i < a->n; i++) {
		const struct pd_ts_finding *x = &a->f[i], *y = &b->f[i];

		FZ_CHECK(!strcmp(x->kind, y->kind) && x->severity == y->severity);
		FZ_CHECK(!strcmp(x->message, y->message));
		FZ_CHECK(x->tunnel == y->tunnel && x->nev == y->nev);
		refs_eq(x->ev, y->ev, x->nev);
	}
	EQ(corr_delta);
	EQ(corr_matches);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct pd_packet pkt_fast, pkt_full;
	struct pd_dissect_opts opts, *o = &opts;
	size_t off = 3;
	int64_t ts = 0;
	uint64_t frame = 0;
	int linktype;

	if (size < 3)
		return 0;
	linktype = linktypes[data[1] % 8];
	memset(&opts, 0, sizeof(opts));
	opts.no_wg_heuristic = data[2] & 1;
	opts.vxlan_port = vxlan_ports[(data[2] >> 1) & 3];
	if (data[2] & 8)
		o = NULL;
	pd_tunstat_init(&fast, (unsigned)(data[0] & 0x0f) + 1);
	pd_tunstat_init(&full, (unsigned)(data[0] & 0x0f) + 1);
	while (off + 4 <= size) {
		unsigned src = data[off] % 3;
		size_t len = fz_be16(data + off + 2);
		uint8_t *copy;
		int rc_fast, rc_full;

		ts += (int64_t)data[off + 1] * 1000;
		off += 4;
		if (len > size - off)
			len = size - off;
		copy = fz_dup(data + off, len);
		frame++;
		rc_fast = pd_tunstat_add_frame(&fast, src, frame, ts, linktype, copy, len, len, o,
					       &pkt_fast);
		rc_full = pd_dissect(linktype, copy, len, len, o, &pkt_full);
		pd_tunstat_add(&full, src, frame, ts, &pkt_full);
		FZ_CHECK(rc_fast == rc_full);
		free(copy);
		off += len;
	}
	state_eq(&fast, &full);
	pd_tunstat_finish(&fast, data[0] & 0x80 ? 1420 : 0, &ffast);
	pd_tunstat_finish(&full, data[0] & 0x80 ? 1420 : 0, &ffull);
	findings_eq(&ffast, &ffull);
	return 0;
}
