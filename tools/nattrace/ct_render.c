/* ct_render.c - how `nattrace conntrack` and `nattrace watch` write what
 * they read: a bounded stream buffer on stdout, one line per entry (the
 * layout of `conntrack -L -o extended`, pd_ct_format, then the NAT spelled
 * out), or JSON written incrementally.
 *
 * JSON of a dump is one document built in pieces so that a table of a
 * million entries never sits in memory: the head (schema_version, tool,
 * version, command, filter) from jansson with its closing brace left off,
 * then "entries": [ one object per line, formatted here directly because
 * per-entry jansson objects would dominate the run time ], then totals and
 * the common report fields (verdict, exit_code, error, findings) from
 * tool_report_json, spliced in without their opening brace.  A failure
 * half-way still closes the array and ends the document with the error.
 * `watch --json` writes NDJSON: one complete object per line.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include "ct_cmd.h"

/* ---- stream -------------------------------------------------------------------------------- */

void nt_stream_init(struct nt_stream *s, int fd)
{
	s->len = 0;
	s->fd = fd;
	s->err = 0;
	s->written = 0;
}

int nt_stream_flush(struct nt_stream *s)
{
	int e;

	if (s->err || !s->len) {
		s->len = 0;
		return s->err;
	}
	e = tool_write_all(s->fd, s->buf, s->len);
	if (e)
		s->err = e;
	else
		s->written += s->len;
	s->len = 0;
	return s->err;
}

void nt_stream_put(struct nt_stream *s, const char *p, size_t n)
{
	if (s->err)
		return;
	if (n > sizeof(s->buf) - s->len && nt_stream_flush(s))
		return;
	if (n > sizeof(s->buf)) {
		int e = tool_write_all(s->fd, p, n);

		if (e)
			s->err = e;
		else
			s->written += n;
		return;
	}
	memcpy(s->buf + s->len, p, n);
	s->len += n;
}

void nt_stream_printf(struct nt_stream *s, const char *fmt, ...)
{
	va_list ap;
	size_t room;
	int n;

	if (s->err)
		return;
	for (int pass = 0; pass < 2; pass++) {
		room = sizeof(s->buf) - s->len;
		va_start(ap, fmt);
		n = vsnprintf(s->buf + s->len, room, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if ((size_t)n < room) {
			s->len += (size_t)n;
			return;
		}
		/* Did not fit: flush and try once more; a text longer than the
		 * whole buffer is cut (nothing written here comes close). */
		if (nt_stream_flush(s))
			return;
	}
	s->len = sizeof(s->buf) - 1;
}

/* Room for at least n bytes at s->buf + s->len, or false after a write
 * failure. */
static bool stream_room(struct nt_stream *s, size_t n)
{
	if (s->err)
		return false;
	if (sizeof(s->buf) - s->len < n && nt_stream_flush(s))
		return false;
	return true;
}

/* ---- shared pieces ---------------------------------------------------------------------------- */

static bool has_ports(const struct pd_ct_entry *e)
{
	return e->orig.has & PD_CT_T_PORTS;
}

static bool is_icmp(const struct pd_ct_entry *e)
{
	return e->orig.has & PD_CT_T_ICMP;
}

/* "a:p", "[a]:p", "a id=N" (ICMP) or "a". */
static const char *endpoint_text(const struct pd_ct_entry *e, const struct pd_nl_addr *a,
				 uint16_t port, char *buf, size_t len)
{
	char s[PD_NL_ADDRSTRLEN];

	pd_nl_addr_str(a, s, sizeof(s));
	if (has_ports(e))
		snprintf(buf, len, a->family == 6 ? "[%s]:%u" : "%s:%u", s, port);
	else if (is_icmp(e))
		snprintf(buf, len, "%s id=%u", s, port);
	else
		snprintf(buf, len, "%s", s);
	return buf;
}

static const char *nat_kind_name(unsigned kind)
{
	switch (kind & (PD_CT_SNAT | PD_CT_DNAT)) {
	case PD_CT_SNAT:
		return "snat";
	case PD_CT_DNAT:
		return "dnat";
	case PD_CT_SNAT | PD_CT_DNAT:
		return "snat+dnat";
	}
	return "none";
}

/* Wall time in ns as "2026-11-02T10:15:03.123456Z" (json) or local
 * "10:15:03.123456" (text). */
static const char *time_text(uint64_t ts_ns, bool iso, char *buf, size_t len)
{
	time_t sec = (time_t)(ts_ns / 1000000000u);
	unsigned usec = (unsigned)(ts_ns % 1000000000u / 1000u);
	struct tm tm;
	char hms[32];

	if (iso) {
		gmtime_r(&sec, &tm);
		strftime(hms, sizeof(hms), "%Y-%m-%dT%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%06uZ", hms, usec);
	} else {
		localtime_r(&sec, &tm);
		strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
		snprintf(buf, len, "%s.%06u", hms, usec);
	}
	return buf;
}

const char *nt_ct_filter_names(unsigned mask, char *buf, size_t len)
{
	static const struct {
		unsigned bit;
		const char *name;
	} names[] = {
		{ PD_CTF_FAMILY, "family" },     { PD_CTF_PROTO, "proto" },
		{ PD_CTF_ORIG_SRC, "orig_src" }, { PD_CTF_ORIG_DST, "orig_dst" },
		{ PD_CTF_REPLY_SRC, "reply_src" }, { PD_CTF_REPLY_DST, "reply_dst" },
		{ PD_CTF_ADDR, "addr" },         { PD_CTF_ORIG_SPORT, "sport" },
		{ PD_CTF_ORIG_DPORT, "dport" },  { PD_CTF_REPLY_SPORT, "reply_sport" },
		{ PD_CTF_REPLY_DPORT, "reply_dport" }, { PD_CTF_PORT, "port" },
		{ PD_CTF_MARK, "mark" },         { PD_CTF_ZONE, "zone" },
		{ PD_CTF_STATUS, "status" },     { PD_CTF_NAT, "nat" },
	};
	size_t n = 0;

	if (!len)
		return buf;
	buf[0] = '\0';
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (!(mask & names[i].bit) || n >= len)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "%s%s", n ? "," : "", names[i].name);
	}
	if (!buf[0])
		snprintf(buf, len, "none");
	return buf;
}

/* ---- one entry as text ------------------------------------------------------------------------ */

static void text_entry(struct nt_stream *s, const struct pd_ct_entry *e, enum nt_ct_kind kind,
		       uint64_t ts_ns)
{
	struct pd_ct_nat nat;
	char t[64], a[PD_NL_ADDRSTRLEN + 16], b[PD_NL_ADDRSTRLEN + 16];
	size_t need;

	if (kind == NT_CT_EVENT) {
		const char *ev = e->event == PD_CT_EV_NEW       ? "NEW"
				 : e->event == PD_CT_EV_DESTROY ? "DESTROY"
								: "UPDATE";

		nt_stream_printf(s, "%s [%s] ", time_text(ts_ns, false, t, sizeof(t)), ev);
	} else if (kind == NT_CT_RESYNC) {
		nt_stream_printf(s, "%s [RESYNC] ", time_text(ts_ns, false, t, sizeof(t)));
	} else if (kind != NT_CT_ENTRY) {
		nt_stream_printf(s, "%s [RESYNC %s] ", time_text(ts_ns, false, t, sizeof(t)),
				 kind == NT_CT_RESYNC_NEW      ? "NEW"
				 : kind == NT_CT_RESYNC_UPDATE ? "UPDATE"
							       : "DESTROY");
	}
	/* The conntrack-tools part straight into the buffer. */
	if (!stream_room(s, 512))
		return;
	need = pd_ct_format(e, PD_CT_FMT_EXTENDED, s->buf + s->len, sizeof(s->buf) - s->len);
	if (need >= sizeof(s->buf) - s->len) {
		if (nt_stream_flush(s))
			return;
		need = pd_ct_format(e, PD_CT_FMT_EXTENDED, s->buf, sizeof(s->buf));
		if (need >= sizeof(s->buf))
			need = sizeof(s->buf) - 1;
	}
	s->len += need;
	pd_ct_nat(e, &nat);
	if (nat.kind & PD_CT_SNAT)
		nt_stream_printf(s, " SNAT %s -> %s",
				 endpoint_text(e, &e->orig.src,
					       has_ports(e) ? e->orig.sport : e->orig.icmp_id, a,
					       sizeof(a)),
				 endpoint_text(e, &nat.snat_addr, nat.snat_port, b, sizeof(b)));
	if (nat.kind & PD_CT_DNAT)
		nt_stream_printf(s, " DNAT %s -> %s",
				 endpoint_text(e, &e->orig.dst,
					       has_ports(e) ? e->orig.dport : e->orig.icmp_id, a,
					       sizeof(a)),
				 endpoint_text(e, &nat.dnat_addr, nat.dnat_port, b, sizeof(b)));
	nt_stream_put(s, "\n", 1);
}

/* ---- one entry as JSON -------------------------------------------------------------------------- */

static void json_tuple(struct nt_stream *s, const struct pd_ct_tuple *t)
{
	char a[PD_NL_ADDRSTRLEN], b[PD_NL_ADDRSTRLEN];

	nt_stream_printf(s, "{\"src\":\"%s\",\"dst\":\"%s\"", pd_nl_addr_str(&t->src, a, sizeof(a)),
			 pd_nl_addr_str(&t->dst, b, sizeof(b)));
	if (t->has & PD_CT_T_PORTS)
		nt_stream_printf(s, ",\"sport\":%u,\"dport\":%u", t->sport, t->dport);
	if (t->has & PD_CT_T_ICMP)
		nt_stream_printf(s, ",\"icmp_type\":%u,\"icmp_code\":%u,\"icmp_id\":%u",
				 t->icmp_type, t->icmp_code, t->icmp_id);
	if (t->has & PD_CT_T_ZONE)
		nt_stream_printf(s, ",\"zone\":%u", t->zone);
	nt_stream_put(s, "}", 1);
}

static void json_endpoint(struct nt_stream *s, const struct pd_ct_entry *e,
			  const struct pd_nl_addr *addr, uint16_t port)
{
	char a[PD_NL_ADDRSTRLEN];

	nt_stream_printf(s, "{\"address\":\"%s\"", pd_nl_addr_str(addr, a, sizeof(a)));
	if (has_ports(e))
		nt_stream_printf(s, ",\"port\":%u", port);
	else if (is_icmp(e))
		nt_stream_printf(s, ",\"icmp_id\":%u", port);
	nt_stream_put(s, "}", 1);
}

/* {"from": endpoint, "to": endpoint} of one translation, or null. */
static void json_nat_side(struct nt_stream *s, const struct pd_ct_entry *e, bool present,
			  const struct pd_nl_addr *from, uint16_t from_port,
			  const struct pd_nl_addr *to, uint16_t to_port)
{
	if (!present) {
		nt_stream_printf(s, "null");
		return;
	}
	nt_stream_printf(s, "{\"from\":");
	json_endpoint(s, e, from, from_port);
	nt_stream_printf(s, ",\"to\":");
	json_endpoint(s, e, to, to_port);
	nt_stream_put(s, "}", 1);
}

/* A "u32 or null" member. */
static void json_u32(struct nt_stream *s, const char *key, bool has, uint32_t v)
{
	if (has)
		nt_stream_printf(s, ",\"%s\":%u", key, v);
	else
		nt_stream_printf(s, ",\"%s\":null", key);
}

static void json_entry(struct nt_stream *s, const struct pd_ct_entry *e)
{
	char st[160], *p, *save = NULL;
	struct pd_ct_nat nat;
	bool first = true;

	nt_stream_printf(s, "{\"family\":\"%s\",\"proto\":\"%s\",\"l4proto\":%u",
			 e->family == 6 ? "ipv6" : "ipv4", pd_ct_l4_name(e->l4proto), e->l4proto);
	json_u32(s, "timeout", e->has & PD_CT_HAS_TIMEOUT, e->timeout);
	if (e->has & PD_CT_HAS_TCP_STATE)
		nt_stream_printf(s, ",\"tcp_state\":\"%s\"", pd_ct_tcp_state_name(e->tcp_state));
	else
		nt_stream_printf(s, ",\"tcp_state\":null");
	nt_stream_printf(s, ",\"orig\":");
	json_tuple(s, &e->orig);
	nt_stream_printf(s, ",\"reply\":");
	if (e->has & PD_CT_HAS_REPLY)
		json_tuple(s, &e->reply);
	else
		nt_stream_printf(s, "null");
	/* Status names are fixed upper-case words: no escaping needed. */
	pd_ct_status_str(e->status, st, sizeof(st));
	nt_stream_printf(s, ",\"status\":[");
	for (p = strtok_r(st, "|", &save); p; p = strtok_r(NULL, "|", &save)) {
		nt_stream_printf(s, "%s\"%s\"", first ? "" : ",", p);
		first = false;
	}
	nt_stream_put(s, "]", 1);
	json_u32(s, "mark", e->has & PD_CT_HAS_MARK, e->mark);
	json_u32(s, "zone", e->has & PD_CT_HAS_ZONE, e->zone);
	json_u32(s, "use", e->has & PD_CT_HAS_USE, e->use);
	json_u32(s, "id", e->has & PD_CT_HAS_ID, e->id);
	if (e->has & (PD_CT_HAS_CTR_ORIG | PD_CT_HAS_CTR_REPLY))
		nt_stream_printf(s,
				 ",\"counters\":{\"orig\":{\"packets\":%llu,\"bytes\":%llu},"
				 "\"reply\":{\"packets\":%llu,\"bytes\":%llu}}",
				 (unsigned long long)e->ctr_orig.packets,
				 (unsigned long long)e->ctr_orig.bytes,
				 (unsigned long long)e->ctr_reply.packets,
				 (unsigned long long)e->ctr_reply.bytes);
	else
		nt_stream_printf(s, ",\"counters\":null");
	pd_ct_nat(e, &nat);
	nt_stream_printf(s, ",\"nat\":{\"kind\":\"%s\",\"snat\":", nat_kind_name(nat.kind));
	json_nat_side(s, e, nat.kind & PD_CT_SNAT, &e->orig.src,
		      has_ports(e) ? e->orig.sport : e->orig.icmp_id, &nat.snat_addr,
		      nat.snat_port);
	nt_stream_printf(s, ",\"dnat\":");
	json_nat_side(s, e, nat.kind & PD_CT_DNAT, &e->orig.dst,
		      has_ports(e) ? e->orig.dport : e->orig.icmp_id, &nat.dnat_addr,
		      nat.dnat_port);
	nt_stream_printf(s, "}}");
}

void nt_ct_render_entry(struct nt_stream *s, const struct tool_ctx *ctx,
			const struct pd_ct_entry *e, enum nt_ct_kind kind, uint64_t ts_ns,
			bool first)
{
	const char *type;
	char t[64];

	if (!ctx->json) {
		text_entry(s, e, kind, ts_ns);
		return;
	}
	if (kind == NT_CT_ENTRY) {
		/* An element of the document's entries array. */
		nt_stream_printf(s, "%s\n", first ? "" : ",");
		json_entry(s, e);
		return;
	}
	/* An NDJSON line of watch.  A change a resync found is written as the
	 * event that was lost, marked "resync":true. */
	switch (kind) {
	case NT_CT_RESYNC_NEW:
		type = "new";
		break;
	case NT_CT_RESYNC_UPDATE:
		type = "update";
		break;
	case NT_CT_RESYNC_DESTROY:
		type = "destroy";
		break;
	case NT_CT_RESYNC:
		type = "resync";
		break;
	default:
		type = pd_ct_event_name(e->event);
		break;
	}
	nt_stream_printf(s, "{\"type\":\"%s\",%s\"time\":\"%s\",\"entry\":", type,
			 kind >= NT_CT_RESYNC_NEW ? "\"resync\":true," : "",
			 time_text(ts_ns, true, t, sizeof(t)));
	json_entry(s, e);
	nt_stream_printf(s, "}\n");
}

/* ---- documents -------------------------------------------------------------------------------- */

static json_t *prefix_json(const struct pd_ct_prefix *p)
{
	char a[PD_NL_ADDRSTRLEN], buf[PD_NL_ADDRSTRLEN + 8];

	snprintf(buf, sizeof(buf), "%s/%u", pd_nl_addr_str(&p->addr, a, sizeof(a)), p->len);
	return json_string(buf);
}

/* The filter as given (after parsing). */
static json_t *filter_json(const struct pd_ct_filter *f)
{
	json_t *o = json_object(), *m;

	if (!o)
		return NULL;
	if (f->has & PD_CTF_FAMILY)
		json_object_set_new(o, "family", json_string(f->family == 6 ? "ipv6" : "ipv4"));
	if (f->has & PD_CTF_PROTO)
		json_object_set_new(o, "proto", json_integer(f->l4proto));
	if (f->has & PD_CTF_ORIG_SRC)
		json_object_set_new(o, "orig_src", prefix_json(&f->orig_src));
	if (f->has & PD_CTF_ORIG_DST)
		json_object_set_new(o, "orig_dst", prefix_json(&f->orig_dst));
	if (f->has & PD_CTF_REPLY_SRC)
		json_object_set_new(o, "reply_src", prefix_json(&f->reply_src));
	if (f->has & PD_CTF_REPLY_DST)
		json_object_set_new(o, "reply_dst", prefix_json(&f->reply_dst));
	if (f->has & PD_CTF_ADDR)
		json_object_set_new(o, "addr", prefix_json(&f->addr));
	if (f->has & PD_CTF_ORIG_SPORT)
		json_object_set_new(o, "sport", json_integer(f->orig_sport));
	if (f->has & PD_CTF_ORIG_DPORT)
		json_object_set_new(o, "dport", json_integer(f->orig_dport));
	if (f->has & PD_CTF_REPLY_SPORT)
		json_object_set_new(o, "reply_sport", json_integer(f->reply_sport));
	if (f->has & PD_CTF_REPLY_DPORT)
		json_object_set_new(o, "reply_dport", json_integer(f->reply_dport));
	if (f->has & PD_CTF_PORT)
		json_object_set_new(o, "port", json_integer(f->port));
	if (f->has & PD_CTF_MARK) {
		m = json_object();
		json_object_set_new(m, "value", json_integer(f->mark_value));
		json_object_set_new(m, "mask", json_integer(f->mark_mask));
		json_object_set_new(o, "mark", m);
	}
	if (f->has & PD_CTF_ZONE)
		json_object_set_new(o, "zone", json_integer(f->zone));
	if (f->has & PD_CTF_NAT)
		json_object_set_new(o, "nat", json_string(nat_kind_name(f->nat)));
	return o;
}

/* Serialize obj compactly and write it from byte `skip` on, leaving off
 * the closing brace when open_end. */
static int put_json(struct nt_stream *s, json_t *obj, size_t skip, bool open_end)
{
	size_t need;
	char *text;

	need = json_dumpb(obj, NULL, 0, JSON_COMPACT | JSON_PRESERVE_ORDER);
	if (need < 2)
		return -1;
	text = malloc(need);
	if (!text)
		return -1;
	if (json_dumpb(obj, text, need, JSON_COMPACT | JSON_PRESERVE_ORDER) != need) {
		free(text);
		return -1;
	}
	nt_stream_put(s, text + skip, need - skip - (open_end ? 1 : 0));
	free(text);
	return 0;
}

int nt_ct_json_head(struct nt_stream *s, const struct tool_ctx *ctx, const struct pd_ct_filter *f,
		    const char *command, bool with_entries)
{
	json_t *doc = pd_json_doc_new(ctx->def->name, PD_VERSION);
	int rc;

	if (!doc)
		return -1;
	json_object_set_new(doc, "command", json_string(command));
	json_object_set_new(doc, "filter", f ? filter_json(f) : json_null());
	rc = put_json(s, doc, 0, true);
	json_decref(doc);
	if (rc == 0 && with_entries)
		nt_stream_printf(s, ",\"entries\":[");
	return rc;
}

static json_t *nat_counts_json(const struct nt_ct_totals *t)
{
	json_t *o = json_object();

	json_object_set_new(o, "snat", json_integer((json_int_t)t->nat_snat));
	json_object_set_new(o, "dnat", json_integer((json_int_t)t->nat_dnat));
	json_object_set_new(o, "snat_dnat", json_integer((json_int_t)t->nat_both));
	json_object_set_new(o, "none", json_integer((json_int_t)t->nat_none));
	return o;
}

static json_t *kfilter_json(unsigned mask)
{
	json_t *a = json_array();
	char names[256], *p, *save = NULL;

	if (!mask)
		return a;
	nt_ct_filter_names(mask, names, sizeof(names));
	for (p = strtok_r(names, ",", &save); p; p = strtok_r(NULL, ",", &save))
		json_array_append_new(a, json_string(p));
	return a;
}

static json_t *totals_json(const struct nt_ct_totals *t, bool watch)
{
	json_t *o = json_object(), *ev;

	if (watch) {
		ev = json_object();
		json_object_set_new(ev, "new", json_integer((json_int_t)t->ev_new));
		json_object_set_new(ev, "update", json_integer((json_int_t)t->ev_update));
		json_object_set_new(ev, "destroy", json_integer((json_int_t)t->ev_destroy));
		json_object_set_new(o, "events", ev);
		json_object_set_new(o, "matched", json_integer((json_int_t)t->matched));
		json_object_set_new(o, "overruns", json_integer((json_int_t)t->overruns));
		json_object_set_new(o, "resyncs", json_integer((json_int_t)t->resyncs));
		json_object_set_new(o, "resync_entries",
				    json_integer((json_int_t)t->resync_entries));
		ev = json_object();
		json_object_set_new(ev, "new", json_integer((json_int_t)t->rs_new));
		json_object_set_new(ev, "update", json_integer((json_int_t)t->rs_update));
		json_object_set_new(ev, "destroy", json_integer((json_int_t)t->rs_destroy));
		json_object_set_new(ev, "untracked", json_integer((json_int_t)t->rs_untracked));
		json_object_set_new(o, "resync_changes", ev);
		ev = json_object();
		json_object_set_new(ev, "max", json_integer((json_int_t)t->view_max));
		json_object_set_new(ev, "seeded", json_integer((json_int_t)t->view_seeded));
		json_object_set_new(ev, "peak", json_integer((json_int_t)t->view_peak));
		json_object_set_new(ev, "untracked", json_integer((json_int_t)t->view_untracked));
		json_object_set_new(o, "view", ev);
		json_object_set_new(o, "buffer_size", json_integer((json_int_t)t->rcvbuf));
		json_object_set_new(o, "nat", nat_counts_json(t));
		json_object_set_new(o, "stopped_by",
				    t->stop_reason ? json_string(t->stop_reason) : json_null());
		return o;
	}
	json_object_set_new(o, "sent_by_kernel", json_integer((json_int_t)t->sent));
	json_object_set_new(o, "matched", json_integer((json_int_t)t->matched));
	json_object_set_new(o, "datagrams", json_integer((json_int_t)t->datagrams));
	json_object_set_new(o, "nat", nat_counts_json(t));
	json_object_set_new(o, "kernel_filter", kfilter_json(t->kfilter));
	json_object_set_new(o, "kernel_filter_refused", json_boolean(t->kfilter_refused));
	json_object_set_new(o, "interrupted", json_boolean(t->interrupted));
	return o;
}

/* {"totals", "verdict", "exit_code", "error", "findings"} (with head
 * members when full), type first when given. */
static json_t *tail_json(const struct tool_ctx *ctx, const struct tool_report *r,
			 const struct nt_ct_totals *t, bool watch, const char *type)
{
	static const char *const common[] = { "verdict", "exit_code", "error", "findings" };
	json_t *rep = tool_report_json(ctx, r), *o = json_object();

	if (!rep || !o) {
		json_decref(rep);
		json_decref(o);
		return NULL;
	}
	if (type) {
		json_object_set_new(o, "type", json_string(type));
		json_object_set(o, "schema_version", json_object_get(rep, "schema_version"));
		json_object_set(o, "tool", json_object_get(rep, "tool"));
		json_object_set(o, "version", json_object_get(rep, "version"));
	}
	json_object_set_new(o, "totals", totals_json(t, watch));
	for (size_t i = 0; i < sizeof(common) / sizeof(common[0]); i++)
		json_object_set(o, common[i], json_object_get(rep, common[i]));
	json_decref(rep);
	return o;
}

int nt_ct_json_tail(struct nt_stream *s, const struct tool_ctx *ctx, const struct tool_report *r,
		    const struct nt_ct_totals *t, bool with_entries)
{
	json_t *o = tail_json(ctx, r, t, false, NULL);
	int rc;

	if (with_entries)
		nt_stream_printf(s, "\n]");
	if (!o) {
		/* Still one valid document. */
		nt_stream_printf(s, ",\"verdict\":\"UNKNOWN\",\"exit_code\":3,"
				    "\"error\":\"out of memory writing the totals\",\"findings\":[]}\n");
		return -1;
	}
	nt_stream_put(s, ",", 1);
	rc = put_json(s, o, 1, false);
	json_decref(o);
	nt_stream_put(s, "\n", 1);
	return rc;
}

void nt_ct_text_totals(struct nt_stream *s, const struct tool_ctx *ctx, const struct tool_report *r,
		       const struct nt_ct_totals *t, bool count_only)
{
	struct tool_out out;
	char kf[256];

	if (t->kfilter && !t->kfilter_refused)
		nt_ct_filter_names(t->kfilter, kf, sizeof(kf));
	else
		snprintf(kf, sizeof(kf), "none");
	nt_stream_printf(s,
			 "%s%llu entries matched of %llu sent by the kernel (kernel-side filter: "
			 "%s); NAT: %llu SNAT, %llu DNAT, %llu SNAT+DNAT, %llu none\n",
			 count_only ? "" : "# ", (unsigned long long)t->matched,
			 (unsigned long long)t->sent, kf, (unsigned long long)t->nat_snat,
			 (unsigned long long)t->nat_dnat, (unsigned long long)t->nat_both,
			 (unsigned long long)t->nat_none);
	tool_out_init(&out);
	tool_report_text(ctx, r, &out);
	if (!out.failed && out.len)
		nt_stream_put(s, out.buf, out.len);
	tool_out_free(&out);
}

/* ---- watch ------------------------------------------------------------------------------------ */

int nt_watch_render_start(struct nt_stream *s, const struct tool_ctx *ctx,
			  const struct pd_ct_filter *f, const struct nt_ct_totals *t)
{
	json_t *doc, *view;
	int rc;

	if (!ctx->json) {
		nt_stream_printf(s, "# nattrace watch: following conntrack events (receive buffer "
				    "%llu bytes; %llu live entries known, view of at most %llu); "
				    "Ctrl-C (SIGINT) or SIGTERM stops\n",
				 (unsigned long long)t->rcvbuf, (unsigned long long)t->view_seeded,
				 (unsigned long long)t->view_max);
		return 0;
	}
	doc = json_object();
	if (!doc)
		return -1;
	json_object_set_new(doc, "type", json_string("start"));
	json_object_set_new(doc, "schema_version", json_integer(PD_JSON_SCHEMA_VERSION));
	json_object_set_new(doc, "tool", json_string(ctx->def->name));
	json_object_set_new(doc, "version", json_string(PD_VERSION));
	json_object_set_new(doc, "command", json_string("watch"));
	json_object_set_new(doc, "filter", filter_json(f));
	json_object_set_new(doc, "buffer_size", json_integer((json_int_t)t->rcvbuf));
	view = json_object();
	json_object_set_new(view, "max", json_integer((json_int_t)t->view_max));
	json_object_set_new(view, "seeded", json_integer((json_int_t)t->view_seeded));
	json_object_set_new(doc, "view", view);
	rc = put_json(s, doc, 0, false);
	json_decref(doc);
	nt_stream_put(s, "\n", 1);
	return rc;
}

void nt_watch_render_lost(struct nt_stream *s, const struct tool_ctx *ctx, unsigned lost,
			  uint64_t ts_ns)
{
	char t[64];

	if (ctx->json)
		nt_stream_printf(s, "{\"type\":\"lost\",\"time\":\"%s\",\"count\":%u}\n",
				 time_text(ts_ns, true, t, sizeof(t)), lost);
	else
		nt_stream_printf(s, "%s %u event overruns; resynchronising\n",
				 time_text(ts_ns, false, t, sizeof(t)), lost);
}

void nt_watch_render_resynced(struct nt_stream *s, const struct tool_ctx *ctx,
			      const struct nt_resync_counts *c, uint64_t ts_ns)
{
	char t[64];

	if (ctx->json)
		nt_stream_printf(s, "{\"type\":\"resync_end\",\"time\":\"%s\",\"entries\":%llu,"
				    "\"new\":%llu,\"update\":%llu,\"destroy\":%llu,"
				    "\"untracked\":%llu}\n",
				 time_text(ts_ns, true, t, sizeof(t)),
				 (unsigned long long)c->entries, (unsigned long long)c->new_,
				 (unsigned long long)c->update, (unsigned long long)c->destroy,
				 (unsigned long long)c->untracked);
	else
		nt_stream_printf(s, "%s resynchronised: %llu entries in the table now; "
				    "changed while events were lost: %llu new, %llu updated, "
				    "%llu destroyed; %llu not in the view\n",
				 time_text(ts_ns, false, t, sizeof(t)),
				 (unsigned long long)c->entries, (unsigned long long)c->new_,
				 (unsigned long long)c->update, (unsigned long long)c->destroy,
				 (unsigned long long)c->untracked);
}

int nt_watch_render_end(struct nt_stream *s, const struct tool_ctx *ctx,
			const struct tool_report *r, const struct nt_ct_totals *t)
{
	struct tool_out out;
	json_t *o;
	int rc;

	if (ctx->json) {
		o = tail_json(ctx, r, t, true, "end");
		if (!o)
			return -1;
		rc = put_json(s, o, 0, false);
		json_decref(o);
		nt_stream_put(s, "\n", 1);
		return rc;
	}
	nt_stream_printf(s,
			 "# nattrace watch: %llu events shown (%llu new, %llu update, %llu "
			 "destroy); %llu overruns, %llu resyncs (found %llu new, %llu updated, "
			 "%llu destroyed, %llu not in the view); stopped by %s\n",
			 (unsigned long long)t->matched, (unsigned long long)t->ev_new,
			 (unsigned long long)t->ev_update, (unsigned long long)t->ev_destroy,
			 (unsigned long long)t->overruns, (unsigned long long)t->resyncs,
			 (unsigned long long)t->rs_new, (unsigned long long)t->rs_update,
			 (unsigned long long)t->rs_destroy, (unsigned long long)t->rs_untracked,
			 t->stop_reason ? t->stop_reason : "an error");
	tool_out_init(&out);
	tool_report_text(ctx, r, &out);
	if (!out.failed && out.len)
		nt_stream_put(s, out.buf, out.len);
	rc = out.failed ? -1 : 0;
	tool_out_free(&out);
	return rc;
}
