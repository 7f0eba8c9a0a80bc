/* faults.h - damaged inputs as warnings (tunsniff and `tunsniff record`):
 * a capture file cut inside a record, pcapng blocks of unknown type,
 * frames the snap length cut before their headers ended.  Each becomes a
 * WARNING finding (so exit status 1 unless a worse finding decides) and
 * one line on standard error, "tunsniff: warning: ...", in text mode.
 */
#ifndef TUNSNIFF_FAULTS_H
#define TUNSNIFF_FAULTS_H

#include <pathdiag/capture.h>

#include "tool.h"

#define TSN_FAULTS_MAX 8
#define TSN_FAULT_LEN 400

struct tsn_faults {
	unsigned n;
	char line[TSN_FAULTS_MAX][TSN_FAULT_LEN];
	bool reported[PD_CAP_MAX_SOURCES]; /* the source's damage is in */
	uint64_t snapcut;                  /* frames cut before their headers ended */
};

/* Install the SIGINT/SIGTERM handlers of the reader (reader.c) now, before
 * the capture opens, so a signal at any moment ends the run with a report. */
void tsn_signals_early(void);

/* pd_cap_next said PD_ERR_TRUNCATED: a file ended inside a record or holds
 * one libpcap rejects.  Records the warning (msg: the capture layer's
 * message, which names the file) and returns true; false when the error
 * is not that kind (the caller fails as before). */
bool tsn_faults_damaged(struct tsn_faults *fw, struct tool_report *r, const struct pd_cap *cap,
			const struct pd_error *err);

/* A frame the dissector stopped early on: counted when the snap length cut
 * it (caplen < wirelen). */
void tsn_faults_frame(struct tsn_faults *fw, const struct pd_cap_frame *f);

/* Reading is over: unknown pcapng blocks and snap-length cuts become
 * warnings too (snaplen: the configured snap length, 0 when none). */
void tsn_faults_finish(struct tsn_faults *fw, struct tool_report *r, const struct pd_cap *cap);

/* The warning lines on standard error, in text mode (also with -q); JSON,
 * Prometheus and Nagios output carry them as findings only. */
void tsn_faults_print(const struct tool_ctx *ctx, const struct tsn_faults *fw);

#endif
