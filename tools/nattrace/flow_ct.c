/* flow_ct.c - the conntrack entries of one flow for `nattrace flow`
 * (pathdiag/conntrack.h): a kernel-filtered dump by address and protocol,
 * then the flow matched here in either form: as the original tuple (the
 * request before any NAT) or translated (the destination after DNAT, as a
 * server behind the NAT or `ip route get` sees it).
 */
#include <stdio.h>
#include <string.h>

#include <pathdiag/conntrack.h>

#include "flow.h"

struct ct_ctx {
	const struct flow_opts *o;
	struct flow_result *res;
};

static void tuple_copy(const struct pd_ct_tuple *t, struct flow_tuple *out)
{
	memset(out, 0, sizeof(*out));
	out->src = t->src;
	out->dst = t->dst;
	if (t->has & PD_CT_T_PORTS) {
		out->sport = t->sport;
		out->dport = t->dport;
		out->ports = true;
	} else if (t->has & PD_CT_T_ICMP) {
		out->sport = t->icmp_id;
	}
}

/* Which form of the flow e is: "original", "translated" or NULL. */
static const char *direction(const struct flow_opts *o, const struct pd_ct_entry *e)
{
	bool ports = o->has_ports && (e->orig.has & PD_CT_T_PORTS);

	if (o->proto && e->l4proto != o->proto)
		return NULL;
	if (pd_nl_addr_equal(&e->orig.src, &o->src) && pd_nl_addr_equal(&e->orig.dst, &o->dst) &&
	    (!ports || (e->orig.sport == o->sport && e->orig.dport == o->dport)))
		return "original";
	if (!(e->has & PD_CT_HAS_REPLY))
		return NULL;
	/* After DNAT the destination is the reply's source; the reply may go
	 * to another address than the client (SNAT), so only the original
	 * source is compared on that side. */
	if (pd_nl_addr_equal(&e->orig.src, &o->src) && pd_nl_addr_equal(&e->reply.src, &o->dst) &&
	    (!ports || (e->orig.sport == o->sport && e->reply.sport == o->dport)))
		return "translated";
	return NULL;
}

static int on_entry(const struct pd_ct_entry *e, void *vctx)
{
	struct ct_ctx *c = vctx;
	struct flow_result *res = c->res;
	struct flow_ct *fc;
	struct pd_ct_nat nat;
	const char *dir = direction(c->o, e);
	unsigned kind;

	if (!dir)
		return 0;
	res->ct_total++;
	if (res->nct >= FLOW_MAX_CT)
		return 0;
	fc = &res->ct[res->nct++];
	memset(fc, 0, sizeof(*fc));
	fc->matched = dir;
	fc->proto = e->l4proto;
	tuple_copy(&e->orig, &fc->orig);
	tuple_copy(&e->reply, &fc->reply);
	if (e->has & PD_CT_HAS_TCP_STATE)
		snprintf(fc->state, sizeof(fc->state), "%s", pd_ct_tcp_state_name(e->tcp_state));
	pd_ct_status_str(e->status, fc->status, sizeof(fc->status));
	fc->mark = e->mark;
	fc->zone = e->zone;
	fc->timeout = e->timeout;
	fc->unreplied = !(e->status & PD_CT_S_SEEN_REPLY);
	kind = pd_ct_nat(e, &nat);
	fc->snat = (kind & PD_CT_SNAT) != 0;
	fc->dnat = (kind & PD_CT_DNAT) != 0;
	return 0;
}

void flow_conntrack(const struct flow_opts *o, struct flow_result *res)
{
	struct pd_ct_filter f;
	struct pd_error err = { 0 };
	struct ct_ctx c = { o, res };
	struct pd_ct *ct = NULL;
	char msg[FLOW_ERR_MAX - 24];
	int rc;

	memset(&f, 0, sizeof(f));
	/* The client's address is in every form of the entry (the original
	 * source; the reply's destination unless SNAT changed it). */
	f.has = PD_CTF_FAMILY | PD_CTF_ORIG_SRC;
	f.family = (uint8_t)o->family;
	f.orig_src.addr = o->src;
	f.orig_src.len = o->family == 4 ? 32 : 128;
	if (o->proto) {
		f.has |= PD_CTF_PROTO;
		f.l4proto = o->proto;
	}
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc == 0)
		rc = pd_ct_dump(ct, &f, 0, on_entry, &c, NULL, &err);
	pd_ct_close(ct);
	if (rc < 0) {
		pd_error_message(&err, msg, sizeof(msg));
		/* The library's message names the capability already.  The
		 * hint is kept whole; the message is cut to fit before it. */
		const char *hint = rc != PD_ERR_PERM ? ""
				   : strstr(msg, "CAP_NET_ADMIN") ? "; run as root or give --no-conntrack"
				   : " (needs CAP_NET_ADMIN); run as root or give --no-conntrack";
		size_t hl = strlen(hint), ml = strnlen(msg, sizeof(res->ct_error) - 1 - hl);

		memcpy(res->ct_error, msg, ml);
		memcpy(res->ct_error + ml, hint, hl + 1);
		return;
	}
	res->ct_read = true;
}
