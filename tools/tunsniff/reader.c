/* reader.c - how tunsniff and `tunsniff record` read a capture until it
 * ends or is stopped: SIGINT/SIGTERM, or -G seconds of wall time on a live
 * capture.  A stopped live capture is drained by the capture layer
 * (pd_cap_stop: frames stamped up to the stop time that the kernel had not
 * handed over yet are still returned, later ones are not); a file simply
 * ends.  Counts and durations in capture time stay with the callers, who
 * know what they count.
 */
#include <signal.h>
#include <string.h>
#include <time.h>

#include "tunsniff.h"

static volatile sig_atomic_t stop_signal;
static struct pd_cap *live_cap;

static void on_signal(int sig)
{
	stop_signal = sig;
	if (live_cap)
		pd_cap_breakloop(live_cap);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

void tsn_signals_early(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal; /* no SA_RESTART: poll() returns EINTR */
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

void tsn_reader_start(struct tsn_reader *r, struct pd_cap *cap, bool live, double duration)
{
	memset(r, 0, sizeof(*r));
	r->cap = cap;
	r->duration = live ? duration : 0;
	if (live)
		live_cap = cap;
	/* a signal caught before this (tsn_signals_early) stops at once */
	tsn_signals_early();
	r->start = now_s();
}

int tsn_reader_next(struct tsn_reader *r, struct pd_cap_frame *f, struct pd_error *err)
{
	int rc;

	for (;;) {
		if (!r->stop_reason && (stop_signal || (r->duration > 0 &&
							now_s() - r->start >= r->duration))) {
			r->stop_reason = stop_signal ? "signal" : "duration";
			r->stop_ns = pd_cap_stop(r->cap);
		}
		rc = pd_cap_next(r->cap, f, r->stop_reason ? 20 : 100, err);
		/* a signal that cut a read short ended the input: say so */
		if (rc == PD_CAP_EOF && !r->stop_reason && stop_signal) {
			r->stop_reason = "signal";
			r->stop_ns = pd_cap_stop(r->cap);
		}
		if (rc != 0)
			return rc;
	}
}

void tsn_reader_end(struct tsn_reader *r)
{
	live_cap = NULL;
	r->cap = NULL;
}
