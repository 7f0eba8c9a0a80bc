/* ct_view.c - the bounded view of live conntrack entries that `nattrace
 * watch` keeps to resynchronise after an overrun (ct_view.h).  Not a wire
 * format: entries come parsed from ctnetlink (pathdiag/conntrack.h).
 *
 * An entry is identified as the kernel identifies it: its original tuple
 * and zone.  The conntrack id (CTA_ID) tells a new connection that reuses
 * a tuple from the one that was there before.  Chained hashing with slot
 * indexes (not pointers) so that the slot array can grow by realloc.
 */
#include <stdlib.h>
#include <string.h>

#include "ct_view.h"

struct nt_view_slot {
	struct pd_ct_entry e;
	uint32_t next; /* chain (index + 1; 0 ends it) */
	uint32_t gen;  /* 0: free slot */
};

/* The fields that name an entry, in a zeroed struct so that memcmp and the
 * hash see no padding garbage. */
struct view_key {
	uint8_t family, l4proto, icmp_type, icmp_code;
	uint16_t sport, dport, icmp_id, zone;
	uint8_t src[16], dst[16];
};

static void key_of(const struct pd_ct_entry *e, struct view_key *k)
{
	memset(k, 0, sizeof(*k));
	k->family = e->family;
	k->l4proto = e->orig.l4proto;
	if (e->orig.has & PD_CT_T_PORTS) {
		k->sport = e->orig.sport;
		k->dport = e->orig.dport;
	}
	if (e->orig.has & PD_CT_T_ICMP) {
		k->icmp_type = e->orig.icmp_type;
		k->icmp_code = e->orig.icmp_code;
		k->icmp_id = e->orig.icmp_id;
	}
	if (e->has & PD_CT_HAS_ZONE)
		k->zone = e->zone;
	else if (e->orig.has & PD_CT_T_ZONE)
		k->zone = e->orig.zone;
	memcpy(k->src, e->orig.src.addr, sizeof(k->src));
	memcpy(k->dst, e->orig.dst.addr, sizeof(k->dst));
}

/* FNV-1a over the key's bytes. */
static uint32_t key_hash(const struct view_key *k)
{
	const uint8_t *p = (const uint8_t *)k;
	uint32_t h = 2166136261u;

	for (size_t i = 0; i < sizeof(*k); i++) {
		h ^= p[i];
		h *= 16777619u;
	}
	return h;
}

int nt_view_init(struct nt_view *v, uint32_t max)
{
	memset(v, 0, sizeof(*v));
	v->max = max > NT_VIEW_LIMIT ? NT_VIEW_LIMIT : max;
	v->gen = 1;
	if (!v->max)
		return 0;
	/* About one bucket per two entries at the cap: chains stay short. */
	v->nbuckets = 1024;
	while (v->nbuckets < v->max / 2)
		v->nbuckets <<= 1;
	v->buckets = calloc(v->nbuckets, sizeof(*v->buckets));
	return v->buckets ? 0 : -1;
}

void nt_view_free(struct nt_view *v)
{
	free(v->slots);
	free(v->buckets);
	v->slots = NULL;
	v->buckets = NULL;
	v->count = v->cap = v->used = 0;
}

/* The slot index (+1) holding k, and the link pointing at it. */
static uint32_t find(struct nt_view *v, const struct view_key *k, uint32_t **link)
{
	struct view_key sk;
	uint32_t *l = &v->buckets[key_hash(k) & (v->nbuckets - 1)];

	while (*l) {
		key_of(&v->slots[*l - 1].e, &sk);
		if (!memcmp(&sk, k, sizeof(sk)))
			break;
		l = &v->slots[*l - 1].next;
	}
	if (link)
		*link = l;
	return *l;
}

/* A free slot (index + 1), or 0 when the view is full or out of memory. */
static uint32_t alloc_slot(struct nt_view *v)
{
	uint32_t i;

	if (v->count >= v->max)
		return 0;
	if (v->free_head) {
		i = v->free_head;
		v->free_head = v->slots[i - 1].next;
		return i;
	}
	if (v->used == v->cap) {
		uint32_t ncap = v->cap ? v->cap * 2 : 256;
		struct nt_view_slot *ns;

		if (ncap > v->max)
			ncap = v->max;
		ns = realloc(v->slots, (size_t)ncap * sizeof(*ns));
		if (!ns)
			return 0;
		v->slots = ns;
		v->cap = ncap;
	}
	return ++v->used;
}

/* Add e (not present, key k) at the head of its chain: the slot array may
 * move in alloc_slot, so no link into it is kept across.  false: no room. */
static bool add(struct nt_view *v, const struct pd_ct_entry *e, const struct view_key *k)
{
	uint32_t i = alloc_slot(v), *head = &v->buckets[key_hash(k) & (v->nbuckets - 1)];

	if (!i) {
		v->untracked++;
		return false;
	}
	v->slots[i - 1].e = *e;
	v->slots[i - 1].e.event = PD_CT_EV_NONE;
	v->slots[i - 1].next = *head;
	v->slots[i - 1].gen = v->gen;
	*head = i;
	if (++v->count > v->peak)
		v->peak = v->count;
	return true;
}

static void drop(struct nt_view *v, uint32_t *link)
{
	uint32_t i = *link;

	*link = v->slots[i - 1].next;
	v->slots[i - 1].gen = 0;
	v->slots[i - 1].next = v->free_head;
	v->free_head = i;
	v->count--;
}

void nt_view_event(struct nt_view *v, const struct pd_ct_entry *e)
{
	struct view_key k;
	uint32_t *link, i;

	if (!v->max)
		return;
	key_of(e, &k);
	i = find(v, &k, &link);
	if (e->event == PD_CT_EV_DESTROY) {
		if (i)
			drop(v, link);
		return;
	}
	if (!i) {
		add(v, e, &k);
		return;
	}
	v->slots[i - 1].e = *e;
	v->slots[i - 1].e.event = PD_CT_EV_NONE;
	v->slots[i - 1].gen = v->gen;
}

void nt_view_forget(struct nt_view *v, const struct pd_ct_entry *e)
{
	struct view_key k;
	uint32_t *link;

	if (!v->max || !v->count)
		return;
	key_of(e, &k);
	if (find(v, &k, &link))
		drop(v, link);
}

void nt_view_begin(struct nt_view *v)
{
	if (++v->gen == 0)
		v->gen = 1;
}

/* What an event would have told: TCP state, status bits, mark (absent
 * marks are 0: the kernel leaves a zero mark out of events). */
static bool changed(const struct pd_ct_entry *a, const struct pd_ct_entry *b)
{
	uint32_t ma = (a->has & PD_CT_HAS_MARK) ? a->mark : 0;
	uint32_t mb = (b->has & PD_CT_HAS_MARK) ? b->mark : 0;

	if ((a->has & b->has & PD_CT_HAS_TCP_STATE) && a->tcp_state != b->tcp_state)
		return true;
	if ((a->has & b->has & PD_CT_HAS_STATUS) && a->status != b->status)
		return true;
	return ma != mb;
}

enum nt_view_diff nt_view_seen(struct nt_view *v, const struct pd_ct_entry *e,
			       struct pd_ct_entry *old)
{
	struct nt_view_slot *s;
	struct view_key k;
	uint32_t *link, i;
	enum nt_view_diff d;

	if (!v->max) {
		v->untracked++;
		return NT_VIEW_NO_ROOM;
	}
	key_of(e, &k);
	i = find(v, &k, &link);
	if (!i)
		return add(v, e, &k) ? NT_VIEW_NEW : NT_VIEW_NO_ROOM;
	s = &v->slots[i - 1];
	if ((s->e.has & e->has & PD_CT_HAS_ID) && s->e.id != e->id) {
		if (old)
			*old = s->e;
		d = NT_VIEW_REPLACED;
	} else {
		d = changed(&s->e, e) ? NT_VIEW_CHANGED : NT_VIEW_SAME;
	}
	s->e = *e;
	s->e.event = PD_CT_EV_NONE;
	s->gen = v->gen;
	return d;
}

int nt_view_sweep(struct nt_view *v, int (*fn)(const struct pd_ct_entry *e, void *ctx),
		  void *ctx)
{
	for (uint32_t b = 0; b < v->nbuckets; b++) {
		uint32_t *link = &v->buckets[b];

		while (*link) {
			struct nt_view_slot *s = &v->slots[*link - 1];
			int rc;

			if (s->gen == v->gen) {
				link = &s->next;
				continue;
			}
			rc = fn(&s->e, ctx);
			drop(v, link);
			if (rc)
				return rc;
		}
	}
	return 0;
}
