/* conf.h - pieces of the tshark conformance harness: the truth TSV reader
 * (tsv.c), the renderer of our decoded values in tshark's notation
 * (render.c), the documented exceptions (exceptions.c) and the driver
 * (main.c).  The truth files and their format are described in
 * shared/captures/README.md ("Ground-truth TSV format").
 */
#ifndef CONF_H
#define CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pathdiag/dissect.h>

/* ---- tsv.c: one truth file ------------------------------------------- */

struct tsv {
	char *text; /* the whole file; cells point into it */
	size_t ncols;
	char **header; /* ncols column names */
	size_t nrows;  /* data rows (frames), header excluded */
	char ***rows;  /* nrows arrays of ncols cells */
};

/* Read and split a truth file.  Every row must have as many cells as the
 * header.  On failure returns -1 with a message in msg. */
int tsv_load(const char *path, struct tsv *t, char *msg, size_t msglen);
void tsv_free(struct tsv *t);
/* Index of a column by name, or -1. */
int tsv_col(const struct tsv *t, const char *name);

/* ---- render.c: our values in tshark's notation ----------------------- */

/* A string builder for one cell: values joined with ',' like tshark's
 * `-E aggregator=,`.  Overflow is sticky and reported, never silent. */
#define SB_CAP 16384
struct sb {
	char buf[SB_CAP];
	size_t len;
	unsigned nvalues;
	bool overflow;
};

void sb_reset(struct sb *s);
void sb_value(struct sb *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* What we know about one frame besides what pd_dissect() recorded. */
struct frame_info {
	unsigned number; /* 1-based position in the capture file */
};

struct render_col;

/* The renderer of a truth column, or NULL when we have none. */
const struct render_col *render_lookup(const char *name);
/* Our values for the column, comma-joined, outermost layer first. */
void render_cell(const struct render_col *col, const struct frame_info *fi,
		 const struct pd_packet *pkt, struct sb *out);
/* The frame.protocols tokens whose layers carry this column's values, e.g.
 * "ip" for ip.src, "ip" and "ipv6" for ip.version; NULL-terminated, empty
 * for the frame.* columns. */
const char *const *render_owners(const struct render_col *col);

/* ---- exceptions.c: documented departures from cell-for-cell equality -- */

enum exc_id {
	EXC_SFLOW,          /* sFlow's sampled headers (not decoded by us) */
	EXC_BAD_IP_VERSION, /* tshark lists the version of a header it rejects */
	EXC_MULTI_FRAGHDR,  /* more than one Fragment header in one chain */
	EXC_COUNT
};

struct exc_stats {
	unsigned frames[EXC_COUNT]; /* frames an exception applied to */
	unsigned cells[EXC_COUNT];  /* cells whose truth it adjusted */
};

const char *exc_name(enum exc_id id);
const char *exc_reason(enum exc_id id);

/* The protocol chain of a frame, split from frame.protocols. */
#define MAX_TOKENS 512
struct proto_chain {
	size_t n;
	const char *tok[MAX_TOKENS];
	char store[8192];
};

int proto_chain_split(const char *protocols, struct proto_chain *pc);

/* Per-frame context for the exceptions: decided once per frame from the
 * truth row and our decoding, then applied column by column. */
struct exc_frame {
	bool active[EXC_COUNT];
	size_t sflow_at;     /* token index of "sflow" */
	int bad_version_pos; /* index in ip.version of the rejected one */
	bool error_expected; /* our pd_dissect error is explained */
};

/* Decide which exceptions apply to a frame (and validate their premise).
 * Returns -1 with a message if an exception's premise is violated. */
int exc_frame_init(struct exc_frame *xf, const struct proto_chain *pc, const char *ip_version_truth,
		   const struct pd_packet *pkt, int rc, const uint8_t *frame, char *msg,
		   size_t msglen);

/* Adjust a truth cell for the frame's exceptions, writing the value list
 * to compare into out.  Returns true if the exception changed the cell. */
bool exc_apply(const struct exc_frame *xf, const struct proto_chain *pc, const char *colname,
	       const char *const *owners, const char *truth, struct sb *out, struct exc_stats *st);

#endif
