/* exceptions.c - the few documented places where the harness does not ask
 * for cell-for-cell equality with tshark, each with its reason, the premise
 * it checks before it applies, and counters the driver prints.
 *
 * An exception never changes our values: it removes from tshark's value
 * list the values that belong to something we deliberately do not decode,
 * and only when the frame shows why (from frame.protocols, the layer chain
 * tshark built).  Everything else in the same cell is still compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

static const struct {
	const char *name;
	const char *reason;
} excs[EXC_COUNT] = {
	/* sFlow (RFC 3176) is a monitoring protocol, not an encapsulation on
	 * the path: its datagrams carry copies of headers sampled elsewhere,
	 * which tshark dissects as further eth:ip:... layers after `sflow`.
	 * pd_dissect stops at the UDP payload, so only values of the layers
	 * before the `sflow` token are compared. */
	[EXC_SFLOW] = { "sflow-samples", "values of the sampled headers after `sflow` are not "
					 "compared" },
	/* An inner header whose version nibble is neither 4 nor 6: tshark
	 * shows its ip.version and nothing else of it; pd_dissect reports
	 * PD_ERR_MALFORMED there.  The premise is checked: our error is
	 * MALFORMED, at a byte whose high nibble is the version tshark shows,
	 * after exactly the IP headers tshark lists before it.  The rejected
	 * value alone is left out of ip.version. */
	[EXC_BAD_IP_VERSION] = { "bad-ip-version", "ip.version of a header with a bad version: we "
						   "stop with an error there" },
	/* struct pd_ipv6 holds one Fragment header per IPv6 header: RFC 8200
	 * section 4.1 allows it once, and one is all path diagnostics needs.
	 * A chain with several (libpcap's ipv6_ext_headers test has 33) keeps
	 * only the first one's ident/offset/more in the comparison; every
	 * Fragment header's next header is still compared (ipv6.fraghdr.nxt). */
	[EXC_MULTI_FRAGHDR] = { "multi-fraghdr", "ident/offset/more of Fragment headers after the "
						 "first of a chain" },
};

const char *exc_name(enum exc_id id)
{
	return excs[id].name;
}

const char *exc_reason(enum exc_id id)
{
	return excs[id].reason;
}

int proto_chain_split(const char *protocols, struct proto_chain *pc)
{
	size_t len = strlen(protocols);
	char *p;

	pc->n = 0;
	if (len >= sizeof(pc->store))
		return -1;
	memcpy(pc->store, protocols, len + 1);
	if (len == 0)
		return 0;
	p = pc->store;
	for (;;) {
		char *colon = strchr(p, ':');

		if (pc->n == MAX_TOKENS)
			return -1;
		pc->tok[pc->n++] = p;
		if (!colon)
			return 0;
		*colon = '\0';
		p = colon + 1;
	}
}

static bool is_owner(const char *tok, const char *const *owners)
{
	for (; *owners; owners++) {
		if (strcmp(tok, *owners) == 0)
			return true;
	}
	return false;
}

static unsigned count_ip_layers(const struct pd_packet *pkt)
{
	unsigned n = 0;

	for (unsigned i = 0; i < pkt->nlayers; i++)
		n += pkt->layers[i].kind == PD_LAYER_IPV4 || pkt->layers[i].kind == PD_LAYER_IPV6;
	return n;
}

static bool has_multi_fraghdr(const struct proto_chain *pc)
{
	unsigned frags = 0;

	for (size_t i = 0; i < pc->n; i++) {
		if (strcmp(pc->tok[i], "ipv6") == 0)
			frags = 0;
		else if (strcmp(pc->tok[i], "ipv6.fraghdr") == 0 && ++frags > 1)
			return true;
	}
	return false;
}

/* The first ip.version value that is neither 4 nor 6: its position in the
 * list and the value. */
static bool find_bad_version(const char *list, int *pos, unsigned *version)
{
	const char *p = list;

	for (int i = 0; *p; i++) {
		char *end;
		long v = strtol(p, &end, 10);

		if (v != 4 && v != 6) {
			*pos = i;
			*version = (unsigned)v;
			return true;
		}
		if (*end != ',')
			break;
		p = end + 1;
	}
	return false;
}

int exc_frame_init(struct exc_frame *xf, const struct proto_chain *pc, const char *ip_version_truth,
		   const struct pd_packet *pkt, int rc, const uint8_t *frame, char *msg,
		   size_t msglen)
{
	unsigned version;

	memset(xf, 0, sizeof(*xf));
	xf->bad_version_pos = -1;

	for (size_t i = 0; i < pc->n; i++) {
		if (strcmp(pc->tok[i], "sflow") == 0) {
			xf->active[EXC_SFLOW] = true;
			xf->sflow_at = i;
			break;
		}
	}

	if (find_bad_version(ip_version_truth, &xf->bad_version_pos, &version)) {
		unsigned nip = count_ip_layers(pkt);

		if (rc != PD_ERR_MALFORMED || pkt->err.offset >= pkt->caplen ||
		    (unsigned)(frame[pkt->err.offset] >> 4) != version ||
		    nip != (unsigned)xf->bad_version_pos) {
			snprintf(msg, msglen,
				 "bad-ip-version premise: tshark shows IP version %u after %d "
				 "IP header(s); we returned %s at offset %zu after %u",
				 version, xf->bad_version_pos, pd_status_name(rc), pkt->err.offset,
				 nip);
			return -1;
		}
		xf->active[EXC_BAD_IP_VERSION] = true;
		xf->error_expected = true;
	}

	xf->active[EXC_MULTI_FRAGHDR] = has_multi_fraghdr(pc);
	return 0;
}

/* A cell shorter than SB_CAP characters holds fewer values than this. */
#define MAX_VALUES SB_CAP

bool exc_apply(const struct exc_frame *xf, const struct proto_chain *pc, const char *colname,
	       const char *const *owners, const char *truth, struct sb *out, struct exc_stats *st)
{
	char copy[SB_CAP];
	const char *val[MAX_VALUES];
	bool keep[MAX_VALUES];
	bool dropped[EXC_COUNT] = { false };
	size_t n = 0, len = strlen(truth);
	bool changed = false;

	sb_reset(out);
	if (len >= sizeof(copy) || (!xf->active[EXC_SFLOW] && !xf->active[EXC_BAD_IP_VERSION] &&
				    !xf->active[EXC_MULTI_FRAGHDR])) {
		if (len)
			sb_value(out, "%s", truth);
		return false;
	}
	memcpy(copy, truth, len + 1);
	if (len) {
		char *p = copy;

		for (;;) {
			char *comma = strchr(p, ',');

			val[n] = p;
			keep[n++] = true;
			if (!comma)
				break;
			*comma = '\0';
			p = comma + 1;
		}
	}

	if (xf->active[EXC_SFLOW] && owners[0]) {
		size_t mine = 0;

		for (size_t i = 0; i < xf->sflow_at; i++)
			mine += is_owner(pc->tok[i], owners);
		for (size_t i = mine; i < n; i++) {
			if (keep[i])
				dropped[EXC_SFLOW] = true;
			keep[i] = false;
		}
	}
	if (xf->active[EXC_BAD_IP_VERSION] && strcmp(colname, "ip.version") == 0 &&
	    (size_t)xf->bad_version_pos < n) {
		keep[xf->bad_version_pos] = false;
		dropped[EXC_BAD_IP_VERSION] = true;
	}
	if (xf->active[EXC_MULTI_FRAGHDR] && strncmp(colname, "ipv6.fraghdr.", 13) == 0 &&
	    strcmp(colname, "ipv6.fraghdr.nxt") != 0) {
		size_t vi = 0;
		bool seen = false;

		/* One value per Fragment header, in chain order. */
		for (size_t i = 0; i < pc->n && vi < n; i++) {
			if (strcmp(pc->tok[i], "ipv6") == 0) {
				seen = false;
			} else if (strcmp(pc->tok[i], "ipv6.fraghdr") == 0) {
				if (seen) {
					keep[vi] = false;
					dropped[EXC_MULTI_FRAGHDR] = true;
				}
				seen = true;
				vi++;
			}
		}
	}

	for (size_t i = 0; i < n; i++) {
		if (keep[i])
			sb_value(out, "%s", val[i]);
	}
	for (int e = 0; e < EXC_COUNT; e++) {
		if (dropped[e]) {
			st->cells[e]++;
			changed = true;
		}
	}
	return changed;
}
