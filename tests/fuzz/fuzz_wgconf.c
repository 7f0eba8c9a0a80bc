/* fuzz_wgconf.c - libFuzzer target for the wg-quick configuration reader and
 * the offline checks (lib/src/wgconf.c, lib/src/wgcmd.c, lib/src/wgcheck.c).
 *
 * Input: the configuration text, as `mtuprobe check` reads a file.  Checks:
 * pd_wgc_parse returns PD_OK exactly when it recorded no problem, every
 * problem and every value has a line within the text, hook commands lie
 * inside the buffer, counts stay within their arrays; pd_wgk_check succeeds,
 * every finding has a known rule, a line within the text and
 * NUL-terminated texts, a fix kind only with a fix, and the same input
 * gives the same findings twice.
 */
#include <string.h>

#include <pathdiag/wgcheck.h>
#include <pathdiag/wgconf.h>

#include "fuzz_common.h"

static struct pd_wgc_config cfg;
static struct pd_wgk_report rep, rep2;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t *buf = fz_dup(data, size);
	const char *text = buf ? (const char *)buf : "";
	struct pd_wgk_underlay u = { { 1460, 1500 }, { false, false }, { "a", "b" }, true };
	struct pd_wgk_input in = { &cfg, "wg0", "fuzz.conf" };
	struct pd_error err = { 0 };
	int rc;

	rc = pd_wgc_parse(text, size, &cfg, &err);
	FZ_CHECK(rc == PD_OK || rc == PD_ERR_MALFORMED);
	FZ_CHECK((rc == PD_OK) == (cfg.n_diag == 0 && cfg.diag_dropped == 0));
	if (rc < 0)
		FZ_CHECK(err.what != NULL && err.offset < (size ? size : 1));
	FZ_CHECK(cfg.n_diag <= PD_WGC_MAX_DIAG && cfg.n_hooks <= PD_WGC_MAX_HOOKS);
	FZ_CHECK(cfg.n_peers <= PD_WGC_MAX_PEERS && cfg.n_addr <= PD_WGC_MAX_ADDRS);
	for (size_t i = 0; i < cfg.n_diag; i++) {
		FZ_CHECK(cfg.diag[i].line >= 1 && cfg.diag[i].line <= cfg.lines + 1);
		FZ_CHECK(memchr(cfg.diag[i].msg, '\0', sizeof(cfg.diag[i].msg)) != NULL);
	}
	for (size_t i = 0; i < cfg.n_hooks; i++) {
		FZ_CHECK(cfg.hook[i].cmd >= text && cfg.hook[i].cmd + cfg.hook[i].len <= text + size);
		FZ_CHECK(cfg.hook[i].line >= 1 && cfg.hook[i].line <= cfg.lines);
	}
	for (size_t p = 0; p < cfg.n_peers; p++) {
		FZ_CHECK(cfg.peer[p].n_allowed <= PD_WGC_MAX_ALLOWED);
		FZ_CHECK(cfg.peer[p].line >= 1 && cfg.peer[p].line <= cfg.lines);
		if (cfg.peer[p].has_endpoint)
			FZ_CHECK(cfg.peer[p].endpoint_port >= 1 && cfg.peer[p].endpoint_host[0]);
	}
	FZ_CHECK(!cfg.mtu.line || (cfg.mtu.value >= 68 && cfg.mtu.value <= 65535));

	FZ_CHECK(pd_wgk_check(&in, 1, 0, &u, &rep, &err) == PD_OK);
	FZ_CHECK(rep.n <= PD_WGK_MAX_FINDINGS);
	for (size_t i = 0; i < rep.n; i++) {
		const struct pd_wgk_finding *f = &rep.f[i];

		FZ_CHECK(pd_wgk_rule_index(f->rule) >= 0);
		FZ_CHECK(f->line <= cfg.lines + 1);
		FZ_CHECK(memchr(f->what, '\0', sizeof(f->what)) && memchr(f->why, '\0', sizeof(f->why)));
		FZ_CHECK(memchr(f->fix, '\0', sizeof(f->fix)) != NULL);
		FZ_CHECK(f->fix_kind == PD_WGK_FIX_NONE || f->fix[0]);
		FZ_CHECK(pd_severity_worse(rep.worst, f->severity) == rep.worst);
	}
	FZ_CHECK(pd_wgk_check(&in, 1, 0, &u, &rep2, &err) == PD_OK);
	FZ_CHECK(rep2.n == rep.n && rep2.dropped == rep.dropped);
	for (size_t i = 0; i < rep.n; i++)
		FZ_CHECK(!strcmp(rep.f[i].what, rep2.f[i].what) &&
			 !strcmp(rep.f[i].fix, rep2.f[i].fix));
	free(buf);
	return 0;
}
