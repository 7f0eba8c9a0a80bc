/* ct_view.h - `nattrace watch`'s own view of the live conntrack entries
 * that match its filter: a bounded hash table keyed by the original tuple
 * and zone, kept up to date from the events, and compared with a dump
 * after an overrun (ENOBUFS) to tell what changed while events were lost.
 *
 * Memory is bounded: at most `max` entries (each a struct pd_ct_entry,
 * 184 bytes on x86-64) plus a fixed bucket array; an entry that does not
 * fit is counted (untracked) and not remembered.
 */
#ifndef PATHDIAG_NATTRACE_CT_VIEW_H
#define PATHDIAG_NATTRACE_CT_VIEW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pathdiag/conntrack.h>

#define NT_VIEW_DEFAULT_MAX 65536u
#define NT_VIEW_LIMIT (1u << 24)

struct nt_view_slot;

struct nt_view {
	struct nt_view_slot *slots; /* grown by doubling up to max */
	uint32_t *buckets;          /* heads of the chains; index + 1, 0 = empty */
	uint32_t nbuckets;          /* power of two */
	uint32_t cap, used;         /* slots allocated, slots ever handed out */
	uint32_t free_head;         /* chain of freed slots (index + 1) */
	uint32_t count, max, peak;
	uint32_t gen;               /* the current resync generation */
	uint64_t untracked;         /* entries that did not fit */
};

/* What the comparison with a dumped entry found. */
enum nt_view_diff {
	NT_VIEW_SAME,     /* known and unchanged: nothing to report */
	NT_VIEW_NEW,      /* not known: added */
	NT_VIEW_CHANGED,  /* known, state changed (TCP state, status, mark): updated */
	NT_VIEW_REPLACED, /* same tuple, other conntrack id: *old was destroyed, added */
	NT_VIEW_NO_ROOM,  /* not known and the view is full: not added */
};

/* An empty view of at most max entries (max 0: no view at all; every
 * call then reports NO_ROOM).  0, or -1 when out of memory. */
int nt_view_init(struct nt_view *v, uint32_t max);
void nt_view_free(struct nt_view *v);

/* An event: NEW/UPDATE add or refresh e, DESTROY forgets it. */
void nt_view_event(struct nt_view *v, const struct pd_ct_entry *e);
/* Forget e's tuple (an event that no longer matches the filter). */
void nt_view_forget(struct nt_view *v, const struct pd_ct_entry *e);

/* A resync: nt_view_begin, then nt_view_seen for every entry of the dump
 * (*old receives the forgotten entry for NT_VIEW_REPLACED), then
 * nt_view_sweep hands every known entry the dump did not contain to fn
 * and forgets it.  fn returning non-zero stops the sweep (returned). */
void nt_view_begin(struct nt_view *v);
enum nt_view_diff nt_view_seen(struct nt_view *v, const struct pd_ct_entry *e,
			       struct pd_ct_entry *old);
int nt_view_sweep(struct nt_view *v, int (*fn)(const struct pd_ct_entry *e, void *ctx),
		  void *ctx);

#endif
