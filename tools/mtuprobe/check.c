/* check.c - `mtuprobe check FILE...`: read wg-quick configuration files and
 * check them offline against a declared underlay (pathdiag/wgconf.h,
 * pathdiag/wgcheck.h).  No network, no privileges: it runs in any CI job.
 * Output: text, JSON (--json or --format json) or SARIF 2.1.0 (--format
 * sarif, OASIS SARIF v2.1.0 sections 3.13 sarifLog, 3.14 run, 3.27 result,
 * 3.55 fix); exit code by the worst finding.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pathdiag/overhead.h>
#include <pathdiag/wgcheck.h>
#include <pathdiag/wgconf.h>

#include "wgcheck_cmd.h"

#define CHECK_FILE_MAX (1u << 20) /* a wg-quick file is a few kB */
#define BASE_MTU 1500u            /* Ethernet, under a declared underlay */

struct check_opts {
	unsigned path_mtu;     /* --path-mtu */
	const char *underlay;  /* --underlay */
	const char *measured;  /* --measured FILE */
};

struct check_file {
	const char *path;
	char ifname[64];
	char *buf;
	size_t len;
	char error[256]; /* could not be read */
	struct pd_wgc_config *cfg;
	struct pd_wgk_report *rep;
};

enum { CHK_PATH_MTU = 1, CHK_UNDERLAY, CHK_MEASURED };

const struct tool_opt mtuprobe_check_opts[] = {
	{ "path-mtu", 0, "N", "the path MTU toward the endpoints; with --underlay SPEC: the "
			      "MTU of the link under it (default 1500)", CHK_PATH_MTU },
	{ "underlay", 0, "NAME", "ipv4, ipv6, dualstack, or an encapsulation under the "
				 "endpoints' packets from overhead.md (dslite, pppoe, ...)",
	  CHK_UNDERLAY },
	{ "measured", 0, "FILE", "take the path MTU and family from a `mtuprobe --json` "
				 "document", CHK_MEASURED },
	{ NULL },
};

int mtuprobe_check_opt(struct tool_ctx *ctx, const struct tool_opt *opt, const char *arg)
{
	struct check_opts *o = ctx->priv;
	unsigned v;
	int rc;

	switch (opt->id) {
	case CHK_PATH_MTU:
		rc = tool_parse_uint(ctx, "--path-mtu", arg, 68, 65535, &v);
		if (rc)
			return rc;
		o->path_mtu = v;
		break;
	case CHK_UNDERLAY:
		o->underlay = arg;
		break;
	case CHK_MEASURED:
		o->measured = arg;
		break;
	}
	return 0;
}

/* ---- the underlay ---------------------------------------------------------------- */

static int underlay_from_measured(struct tool_ctx *ctx, const char *path,
				  struct pd_wgk_underlay *u)
{
	json_error_t je;
	json_t *doc = json_load_file(path, 0, &je), *pm, *fam;
	int f;

	if (!doc)
		return tool_usage_error(ctx, "--measured %s: %s", path, je.text);
	pm = json_object_get(doc, "pmtu");
	fam = json_object_get(doc, "family");
	if (!json_is_integer(pm) || !json_is_integer(fam) ||
	    (json_integer_value(fam) != 4 && json_integer_value(fam) != 6) ||
	    json_integer_value(pm) < 68 || json_integer_value(pm) > 65535) {
		json_decref(doc);
		return tool_usage_error(ctx, "--measured %s: no pmtu and family (4 or 6) in it; "
					"give a `mtuprobe --json HOST` document", path);
	}
	f = json_integer_value(fam) == 4 ? 0 : 1;
	u->path_mtu[f] = (unsigned)json_integer_value(pm);
	snprintf(u->basis[f], sizeof(u->basis[f]), "measured, %s", path);
	json_decref(doc);
	return 0;
}

static int underlay_from_opts(struct tool_ctx *ctx, const struct check_opts *o,
			      struct pd_wgk_underlay *u)
{
	const char *name = o->underlay;
	struct pd_ovh_stack st;
	struct pd_error e = { 0 };
	unsigned base = o->path_mtu ? o->path_mtu : BASE_MTU;

	memset(u, 0, sizeof(*u));
	if (o->measured) {
		if (o->underlay || o->path_mtu)
			return tool_usage_error(ctx, "--measured gives the path MTU itself; drop "
						"--path-mtu and --underlay");
		return underlay_from_measured(ctx, o->measured, u);
	}
	if (!name) {
		if (o->path_mtu)
			for (int f = 0; f < 2; f++) {
				u->path_mtu[f] = o->path_mtu;
				snprintf(u->basis[f], sizeof(u->basis[f]), "--path-mtu %u",
					 o->path_mtu);
			}
		return 0;
	}
	if (!strcmp(name, "ipv4") || !strcmp(name, "ipv6") || !strcmp(name, "dualstack")) {
		for (int f = 0; f < 2; f++) {
			bool off = (f == 1 && !strcmp(name, "ipv4")) ||
				   (f == 0 && !strcmp(name, "ipv6"));

			u->unavailable[f] = off;
			u->path_mtu[f] = off ? 0 : base;
			snprintf(u->basis[f], sizeof(u->basis[f]), "--underlay %s%s", name,
				 o->path_mtu ? ", --path-mtu" : ", 1500");
		}
		return 0;
	}
	if (pd_ovh_parse(name, &st, &e) < 0)
		return tool_usage_error(ctx, "--underlay '%s': %s (ipv4, ipv6, dualstack or an "
					"encapsulation from overhead.md)", name,
					e.what ? e.what : "invalid");
	for (int f = 0; f < 2; f++) {
		const struct pd_encap *top = st.layer[0].encap;
		unsigned fam = f ? PD_OVH_V6 : PD_OVH_V4, bytes = 0;

		if (top && !(top->carries & fam)) {
			/* DS-Lite carries IPv4 only: IPv6 goes native beside it */
			if (top->outer & fam) {
				u->path_mtu[f] = base;
				snprintf(u->basis[f], sizeof(u->basis[f]), "native IPv6 beside "
					 "%s, %u", name, base);
			} else {
				u->unavailable[f] = true;
				snprintf(u->basis[f], sizeof(u->basis[f]), "--underlay %s", name);
			}
			continue;
		}
		if (pd_ovh_overhead(&st, 0, &bytes, &e) < 0 || bytes + 68 > base) {
			u->unavailable[f] = true;
			snprintf(u->basis[f], sizeof(u->basis[f]), "--underlay %s", name);
			continue;
		}
		u->path_mtu[f] = base - bytes;
		snprintf(u->basis[f], sizeof(u->basis[f]), "--underlay %s: %u - %u", name, base,
			 bytes);
	}
	for (size_t i = 0; i < st.n; i++)
		if (st.layer[i].encap && !strcmp(st.layer[i].encap->name, "dslite"))
			u->nat4 = true;
	return 0;
}

/* ---- reading --------------------------------------------------------------------- */

static void read_file(struct check_file *cf)
{
	FILE *fp = fopen(cf->path, "rb");
	const char *b = strrchr(cf->path, '/');
	size_t n;

	b = b ? b + 1 : cf->path;
	snprintf(cf->ifname, sizeof(cf->ifname), "%s", b);
	n = strlen(cf->ifname);
	if (n > 5 && !strcmp(cf->ifname + n - 5, ".conf"))
		cf->ifname[n - 5] = '\0';
	if (!fp) {
		snprintf(cf->error, sizeof(cf->error), "%s", strerror(errno));
		return;
	}
	cf->buf = malloc(CHECK_FILE_MAX + 1);
	if (!cf->buf) {
		snprintf(cf->error, sizeof(cf->error), "out of memory");
		fclose(fp);
		return;
	}
	cf->len = fread(cf->buf, 1, CHECK_FILE_MAX + 1, fp);
	if (ferror(fp))
		snprintf(cf->error, sizeof(cf->error), "%s", strerror(errno));
	else if (cf->len > CHECK_FILE_MAX)
		snprintf(cf->error, sizeof(cf->error), "larger than %u bytes: not a wg-quick "
			 "configuration", CHECK_FILE_MAX);
	fclose(fp);
}

/* ---- rendering ------------------------------------------------------------------- */

static const char *fix_kind_name(enum pd_wgk_fix_kind k)
{
	return k == PD_WGK_FIX_REPLACE ? "replace" : k == PD_WGK_FIX_INSERT ? "insert" : "none";
}

static void render_text(const struct check_file *files, size_t n, struct tool_out *out,
			enum pd_severity worst)
{
	size_t counts[5] = { 0 };

	for (size_t i = 0; i < n; i++) {
		const struct check_file *cf = &files[i];

		if (cf->error[0]) {
			tool_out_printf(out, "%s: unknown [read-error] cannot read: %s\n", cf->path,
					cf->error);
			counts[PD_SEV_UNKNOWN]++;
			continue;
		}
		for (size_t k = 0; k < cf->rep->n; k++) {
			const struct pd_wgk_finding *f = &cf->rep->f[k];

			counts[f->severity]++;
			tool_out_printf(out, "%s:%u: %s [%s] %s\n", cf->path, f->line,
					pd_severity_name(f->severity), f->rule, f->what);
			tool_out_printf(out, "  why: %s\n", f->why);
			if (f->fix[0]) {
				const char *p = f->fix;

				tool_out_printf(out, "  fix%s:", f->fix_kind == PD_WGK_FIX_REPLACE ?
						" (replace the line)" : f->fix_kind ==
						PD_WGK_FIX_INSERT ? " (add)" : "");
				while (*p) {
					const char *nl = strchr(p, '\n');
					int len = nl ? (int)(nl - p) : (int)strlen(p);

					tool_out_printf(out, "%s%.*s\n", p == f->fix ? " " : "       ",
							len, p);
					p += len + (nl ? 1 : 0);
				}
			}
		}
		if (cf->rep->dropped)
			tool_out_printf(out, "%s: %zu more findings not shown\n", cf->path,
					cf->rep->dropped);
	}
	tool_out_printf(out, "check: %zu file%s, %zu critical, %zu warning, %zu info: %s\n", n,
			n == 1 ? "" : "s", counts[PD_SEV_CRITICAL], counts[PD_SEV_WARNING],
			counts[PD_SEV_INFO], pd_exit_name(pd_severity_exit(worst)));
}

/* A finding in the model every document shares (kind, severity, message,
 * evidence: common.schema.json), with where it is and the fix. */
static json_t *finding_json(const char *path, const struct pd_wgk_finding *f)
{
	json_t *o = json_object();
	char where[1100];

	snprintf(where, sizeof(where), "%s:%u", path, f->line);
	json_object_set_new(o, "kind", json_string(f->rule));
	json_object_set_new(o, "severity", json_string(pd_severity_name(f->severity)));
	json_object_set_new(o, "message", pd_json_string(f->what));
	json_object_set_new(o, "evidence", pd_json_string(where));
	json_object_set_new(o, "file", pd_json_string(path));
	json_object_set_new(o, "line", json_integer(f->line));
	json_object_set_new(o, "why", pd_json_string(f->why));
	json_object_set_new(o, "fix", f->fix[0] ? pd_json_string(f->fix) : json_null());
	json_object_set_new(o, "fix_kind", json_string(fix_kind_name(f->fix_kind)));
	json_object_set_new(o, "fix_line", f->fix_kind ? json_integer(f->fix_line) : json_null());
	return o;
}

/* A file that could not be read: a finding too, so that a reader of the
 * findings alone sees why the verdict is UNKNOWN. */
static json_t *unreadable_json(const struct check_file *cf)
{
	json_t *o = json_object();
	char what[1400];

	snprintf(what, sizeof(what), "cannot read %s: %s", cf->path, cf->error);
	json_object_set_new(o, "kind", json_string("file-unreadable"));
	json_object_set_new(o, "severity", json_string(pd_severity_name(PD_SEV_UNKNOWN)));
	json_object_set_new(o, "message", pd_json_string(what));
	json_object_set_new(o, "evidence", pd_json_string(cf->path));
	json_object_set_new(o, "file", pd_json_string(cf->path));
	json_object_set_new(o, "line", json_null());
	json_object_set_new(o, "why", json_string("Nothing in a file that cannot be read "
						  "can be checked."));
	json_object_set_new(o, "fix", json_null());
	json_object_set_new(o, "fix_kind", json_string(fix_kind_name(PD_WGK_FIX_NONE)));
	json_object_set_new(o, "fix_line", json_null());
	return o;
}

static json_t *render_json(const struct tool_ctx *ctx, const struct check_file *files, size_t n,
			   const struct pd_wgk_underlay *u, int code)
{
	json_t *doc = pd_json_doc_new(ctx->def->name, PD_VERSION), *arr = json_array(), *ul;
	json_t *fa = json_array();
	size_t dropped = 0;

	if (!doc || !arr || !fa) {
		json_decref(doc);
		json_decref(arr);
		json_decref(fa);
		return NULL;
	}
	json_object_set_new(doc, "command", json_string("check"));
	pd_json_doc_verdict(doc, (enum pd_exit)code, NULL);
	ul = json_object();
	for (int f = 0; f < 2; f++) {
		json_t *o = json_object();

		json_object_set_new(o, "path_mtu", u->path_mtu[f] ? json_integer(u->path_mtu[f])
								  : json_null());
		json_object_set_new(o, "provenance", json_string(u->path_mtu[f] ?
			(!strncmp(u->basis[f], "measured", 8) ? "measured" : "configured")
			: "unknown"));
		json_object_set_new(o, "available", json_boolean(!u->unavailable[f]));
		json_object_set_new(o, "basis", u->basis[f][0] ? pd_json_string(u->basis[f])
							       : json_null());
		json_object_set_new(ul, f ? "ipv6" : "ipv4", o);
	}
	json_object_set_new(doc, "underlay", ul);
	for (size_t i = 0; i < n; i++) {
		const struct check_file *cf = &files[i];
		json_t *o = json_object();
		size_t listed = 0;

		json_object_set_new(o, "file", pd_json_string(cf->path));
		json_object_set_new(o, "interface", pd_json_string(cf->ifname));
		json_object_set_new(o, "error", cf->error[0] ? pd_json_string(cf->error)
							     : json_null());
		if (cf->error[0]) {
			/* not read: no MTU to report, and null is not 0 */
			json_object_set_new(o, "mtu", json_null());
			json_object_set_new(o, "mtu_provenance", json_string("unknown"));
			json_object_set_new(o, "recommended_mtu", json_null());
			json_object_set_new(o, "findings_dropped", json_integer(0));
			json_array_append_new(fa, unreadable_json(cf));
			listed = 1;
		} else if (cf->rep) {
			json_object_set_new(o, "mtu", json_integer(cf->rep->effective_mtu));
			json_object_set_new(o, "mtu_provenance", json_string(
				cf->rep->mtu_configured ? "configured" : "derived"));
			json_object_set_new(o, "recommended_mtu", cf->rep->recommended_mtu ?
				json_integer(cf->rep->recommended_mtu) : json_null());
			for (size_t k = 0; k < cf->rep->n; k++)
				json_array_append_new(fa, finding_json(cf->path, &cf->rep->f[k]));
			listed = cf->rep->n;
			json_object_set_new(o, "findings_dropped",
					    json_integer((json_int_t)cf->rep->dropped));
			dropped += cf->rep->dropped;
		}
		json_object_set_new(o, "finding_count", json_integer((json_int_t)listed));
		json_array_append_new(arr, o);
	}
	json_object_set_new(doc, "findings", fa);
	if (dropped)
		json_object_set_new(doc, "findings_dropped", json_integer((json_int_t)dropped));
	json_object_set_new(doc, "files", arr);
	return doc;
}

/* A relative URI reference for a path: unreserved characters and '/' kept,
 * everything else percent-encoded (RFC 3986 section 2). */
static json_t *path_uri(const char *path)
{
	char buf[3 * 1024 + 8];
	size_t o = 0;

	if (path[0] == '/') {
		memcpy(buf, "file://", 7);
		o = 7;
	}
	for (const unsigned char *p = (const unsigned char *)path; *p && o + 4 < sizeof(buf);
	     p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		    (*p >= '0' && *p <= '9') || strchr("-._~/", *p))
			buf[o++] = (char)*p;
		else
			o += (size_t)snprintf(buf + o, sizeof(buf) - o, "%%%02X", *p);
	}
	buf[o] = '\0';
	return json_string(buf);
}

static const char *sarif_level(enum pd_severity s)
{
	switch (s) {
	case PD_SEV_CRITICAL:
		return "error";
	case PD_SEV_WARNING:
	case PD_SEV_UNKNOWN:
		return "warning";
	default:
		return "note";
	}
}

static json_t *sarif_location(const char *path, unsigned line)
{
	json_t *loc = json_object(), *phys = json_object(), *art = json_object(), *reg;

	json_object_set_new(art, "uri", path_uri(path));
	json_object_set_new(phys, "artifactLocation", art);
	if (line) {
		reg = json_object();
		json_object_set_new(reg, "startLine", json_integer(line));
		json_object_set_new(phys, "region", reg);
	}
	json_object_set_new(loc, "physicalLocation", phys);
	return loc;
}

/* SARIF 3.55 fix: one artifactChange whose replacement deletes the line
 * (replace) or nothing at the start of the next line (insert). */
static json_t *sarif_fix(const char *path, const struct pd_wgk_finding *f)
{
	json_t *fix = json_object(), *desc = json_object(), *chg = json_object();
	json_t *art = json_object(), *rep = json_object(), *reg = json_object();
	json_t *ins = json_object();
	char text[PD_WGK_FIX_MAX + 2];

	json_object_set_new(desc, "text", pd_json_string(f->fix));
	json_object_set_new(fix, "description", desc);
	json_object_set_new(art, "uri", path_uri(path));
	json_object_set_new(chg, "artifactLocation", art);
	if (f->fix_kind == PD_WGK_FIX_REPLACE) {
		json_object_set_new(reg, "startLine", json_integer(f->fix_line));
		snprintf(text, sizeof(text), "%s", f->fix);
	} else {
		json_object_set_new(reg, "startLine", json_integer(f->fix_line + 1));
		json_object_set_new(reg, "startColumn", json_integer(1));
		json_object_set_new(reg, "endColumn", json_integer(1));
		snprintf(text, sizeof(text), "%s\n", f->fix);
	}
	json_object_set_new(rep, "deletedRegion", reg);
	json_object_set_new(ins, "text", pd_json_string(text));
	json_object_set_new(rep, "insertedContent", ins);
	json_object_set_new(chg, "replacements", json_pack("[o]", rep));
	json_object_set_new(fix, "artifactChanges", json_pack("[o]", chg));
	return fix;
}

static json_t *render_sarif(const struct tool_ctx *ctx, const struct check_file *files,
			    size_t n, int code)
{
	json_t *log = json_object(), *run = json_object(), *tool = json_object();
	json_t *drv = json_object(), *rules = json_array(), *results = json_array();
	json_t *inv = json_object(), *notes = json_array();

	json_object_set_new(log, "$schema", json_string("https://json.schemastore.org/"
							"sarif-2.1.0.json"));
	json_object_set_new(log, "version", json_string("2.1.0"));
	json_object_set_new(drv, "name", json_string(ctx->def->name));
	json_object_set_new(drv, "version", json_string(PD_VERSION));
	for (size_t i = 0; i < pd_wgk_rule_count(); i++) {
		const struct pd_wgk_rule *r = pd_wgk_rule_get(i);
		json_t *o = json_object(), *sd = json_object(), *dc = json_object();

		json_object_set_new(o, "id", json_string(r->id));
		json_object_set_new(sd, "text", json_string(r->summary));
		json_object_set_new(o, "shortDescription", sd);
		json_object_set_new(dc, "level", json_string(sarif_level(r->severity)));
		json_object_set_new(o, "defaultConfiguration", dc);
		json_array_append_new(rules, o);
	}
	json_object_set_new(drv, "rules", rules);
	json_object_set_new(tool, "driver", drv);
	json_object_set_new(run, "tool", tool);
	for (size_t i = 0; i < n; i++) {
		const struct check_file *cf = &files[i];

		if (cf->error[0]) {
			json_t *nt = json_object(), *m = json_object();
			char msg[512];

			snprintf(msg, sizeof(msg), "%s: cannot read: %s", cf->path, cf->error);
			json_object_set_new(m, "text", pd_json_string(msg));
			json_object_set_new(nt, "message", m);
			json_object_set_new(nt, "level", json_string("error"));
			json_object_set_new(nt, "locations",
					    json_pack("[o]", sarif_location(cf->path, 0)));
			json_array_append_new(notes, nt);
			continue;
		}
		for (size_t k = 0; k < cf->rep->n; k++) {
			const struct pd_wgk_finding *f = &cf->rep->f[k];
			json_t *r = json_object(), *m = json_object(), *props = json_object();
			char msg[PD_WGK_WHAT_MAX + PD_WGK_WHY_MAX + PD_WGK_FIX_MAX + 16];

			snprintf(msg, sizeof(msg), "%s. %s%s%s", f->what, f->why,
				 f->fix[0] ? " Fix: " : "", f->fix);
			json_object_set_new(r, "ruleId", json_string(f->rule));
			json_object_set_new(r, "ruleIndex", json_integer(pd_wgk_rule_index(f->rule)));
			json_object_set_new(r, "level", json_string(sarif_level(f->severity)));
			json_object_set_new(m, "text", pd_json_string(msg));
			json_object_set_new(r, "message", m);
			json_object_set_new(r, "locations",
					    json_pack("[o]", sarif_location(cf->path, f->line)));
			if (f->fix_kind != PD_WGK_FIX_NONE)
				json_object_set_new(r, "fixes", json_pack("[o]", sarif_fix(cf->path,
											   f)));
			json_object_set_new(props, "severity",
					    json_string(pd_severity_name(f->severity)));
			json_object_set_new(props, "fix", f->fix[0] ? pd_json_string(f->fix)
								    : json_null());
			json_object_set_new(r, "properties", props);
			json_array_append_new(results, r);
		}
	}
	json_object_set_new(run, "results", results);
	json_object_set_new(inv, "executionSuccessful", json_boolean(code != PD_EXIT_UNKNOWN));
	json_object_set_new(inv, "exitCode", json_integer(code));
	json_object_set_new(inv, "toolExecutionNotifications", notes);
	json_object_set_new(run, "invocations", json_pack("[o]", inv));
	json_object_set_new(run, "columnKind", json_string("unicodeCodePoints"));
	json_object_set_new(log, "runs", json_pack("[o]", run));
	return log;
}

/* ---- the command ------------------------------------------------------------------ */

static int emit_doc(struct tool_ctx *ctx, json_t *doc, int code)
{
	struct pd_error e = { 0 };
	char *text;
	size_t len;
	int rc;

	if (!doc || pd_json_dump(doc, &text, &len, &e) < 0) {
		json_decref(doc);
		tool_err(ctx, "out of memory while writing the document");
		return PD_EXIT_UNKNOWN;
	}
	json_decref(doc);
	rc = tool_write_stdout(ctx, text, len);
	free(text);
	return rc ? rc : code;
}

int mtuprobe_check(struct tool_ctx *ctx, int argc, char **argv)
{
	struct check_opts o = { 0 };
	struct pd_wgk_underlay u;
	struct check_file *files;
	struct pd_wgk_input *in;
	enum pd_severity worst = PD_SEV_OK;
	bool read_failed = false;
	int first, code, rc;
	size_t n;

	if (!tool_cmd_parse(ctx, argc, argv, &o, &first, &code))
		return code;
	if (first >= argc)
		return tool_usage_error(ctx, "no configuration file given");
	rc = underlay_from_opts(ctx, &o, &u);
	if (rc)
		return rc;
	n = (size_t)(argc - first);
	files = calloc(n, sizeof(*files));
	in = calloc(n, sizeof(*in));
	if (!files || !in) {
		free(files);
		free(in);
		tool_err(ctx, "out of memory");
		return PD_EXIT_UNKNOWN;
	}
	for (size_t i = 0; i < n; i++) {
		files[i].path = argv[first + (int)i];
		read_file(&files[i]);
	}
	/* Every file is read (as the invoking user: /etc/wireguard is root's):
	 * their contents are parsed without privileges. */
	if ((rc = tool_drop_privileges()) < 0) {
		tool_err(ctx, "cannot drop privileges: %s", tool_privs_error(rc));
		code = PD_EXIT_UNKNOWN;
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct check_file *cf = &files[i];
		static const struct pd_wgc_config empty;

		cf->cfg = calloc(1, sizeof(*cf->cfg));
		cf->rep = calloc(1, sizeof(*cf->rep));
		if (!cf->cfg || !cf->rep) {
			snprintf(cf->error, sizeof(cf->error), "out of memory");
		} else if (!cf->error[0]) {
			pd_wgc_parse(cf->buf, cf->len, cf->cfg, NULL);
		}
		in[i].cfg = cf->error[0] ? &empty : cf->cfg;
		in[i].ifname = cf->ifname;
		in[i].name = cf->path;
	}
	for (size_t i = 0; i < n; i++) {
		struct check_file *cf = &files[i];

		if (cf->error[0]) {
			read_failed = true;
			continue;
		}
		pd_wgk_check(in, n, i, &u, cf->rep, NULL);
		worst = pd_severity_worse(worst, cf->rep->worst);
	}
	code = read_failed ? PD_EXIT_UNKNOWN : (int)pd_severity_exit(worst);
	if (ctx->format == TOOL_FMT_JSON) {
		code = emit_doc(ctx, render_json(ctx, files, n, &u, code), code);
	} else if (ctx->format == TOOL_FMT_SARIF) {
		code = emit_doc(ctx, render_sarif(ctx, files, n, code), code);
	} else if (!ctx->quiet) {
		struct tool_out out;

		tool_out_init(&out);
		render_text(files, n, &out, worst);
		if (out.failed) {
			tool_err(ctx, "out of memory while writing the report");
			code = PD_EXIT_UNKNOWN;
		} else {
			rc = tool_write_stdout(ctx, out.buf, out.len);
			if (rc)
				code = rc;
		}
		tool_out_free(&out);
	}
out:
	for (size_t i = 0; i < n; i++) {
		free(files[i].buf);
		free(files[i].cfg);
		free(files[i].rep);
	}
	free(files);
	free(in);
	return code;
}
