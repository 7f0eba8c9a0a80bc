/* faults.c - damaged capture files read as far as they go, with a warning
 * (see faults.h).  The capture layer (pathdiag/capture.h) finds the damage;
 * this turns it into findings and stderr lines.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "faults.h"

static void fault_add(struct tsn_faults *fw, struct tool_report *r, const char *kind,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static void fault_add(struct tsn_faults *fw, struct tool_report *r, const char *kind,
		      const char *fmt, ...)
{
	char msg[TSN_FAULT_LEN];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	tool_report_add(r, kind, PD_SEV_WARNING, NULL, "%s", msg);
	if (fw->n < TSN_FAULTS_MAX)
		snprintf(fw->line[fw->n++], TSN_FAULT_LEN, "%s", msg);
}

bool tsn_faults_damaged(struct tsn_faults *fw, struct tool_report *r, const struct pd_cap *cap,
			const struct pd_error *err)
{
	if (err->code != PD_ERR_TRUNCATED)
		return false;
	for (unsigned i = 0; i < pd_cap_count(cap) && i < PD_CAP_MAX_SOURCES; i++) {
		const struct pd_cap_source_info *si = pd_cap_info(cap, i);

		if (si->live || !si->damaged || fw->reported[i])
			continue;
		fw->reported[i] = true;
		fault_add(fw, r, "input-damaged", "%s; the %llu whole frames before it were read",
			  err->what ? err->what : si->name, (unsigned long long)si->frames);
		return true;
	}
	return false;
}

void tsn_faults_frame(struct tsn_faults *fw, const struct pd_cap_frame *f)
{
	if (f->caplen < f->wirelen)
		fw->snapcut++;
}

void tsn_faults_finish(struct tsn_faults *fw, struct tool_report *r, const struct pd_cap *cap)
{
	for (unsigned i = 0; i < pd_cap_count(cap); i++) {
		const struct pd_cap_source_info *si = pd_cap_info(cap, i);

		if (si->unknown_blocks)
			fault_add(fw, r, "input-unknown-blocks",
				  "%s: %llu pcapng block%s of unknown type skipped (the first, "
				  "type 0x%08x, at byte %llu); the packets around them were read",
				  si->name, (unsigned long long)si->unknown_blocks,
				  si->unknown_blocks == 1 ? "" : "s", si->unknown_type,
				  (unsigned long long)si->unknown_offset);
	}
	if (fw->snapcut)
		fault_add(fw, r, "snaplen-cut",
			  "%llu frame%s cut by the snap length before their headers ended: "
			  "decoded as far as captured", (unsigned long long)fw->snapcut,
			  fw->snapcut == 1 ? " was" : "s were");
}

void tsn_faults_print(const struct tool_ctx *ctx, const struct tsn_faults *fw)
{
	if (ctx->json || ctx->format == TOOL_FMT_PROMETHEUS || ctx->format == TOOL_FMT_NAGIOS)
		return;
	for (unsigned i = 0; i < fw->n; i++)
		tool_err(ctx, "warning: %s", fw->line[i]);
}
