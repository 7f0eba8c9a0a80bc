/* natmap.c - NAT behaviour from what a peer responder saw (pathdiag/natmap.h):
 * presence, mapping per RFC 4787 section 4.1, port preservation, hairpinning
 * per RFC 4787 section 6, and carrier-grade NAT per RFC 6598.  Pure: no I/O.
 */
#include <string.h>

#include <pathdiag/natmap.h>
#include <pathdiag/natpath.h>

static bool known_family(const struct pd_peer_addr *a)
{
	return a->family == 4 || a->family == 6;
}

bool pd_natmap_addr_equal(const struct pd_peer_addr *a, const struct pd_peer_addr *b)
{
	if (!a || !b || a->family != b->family || !known_family(a))
		return false;
	return !memcmp(a->addr, b->addr, a->family == 4 ? 4 : 16);
}

/* Address and port. */
static bool endpoint_equal(const struct pd_peer_addr *a, const struct pd_peer_addr *b)
{
	return pd_natmap_addr_equal(a, b) && a->port == b->port;
}

/* Both on pd_natpath_scope, the one classification of address space. */
bool pd_natmap_addr_shared(const struct pd_peer_addr *a)
{
	return a && a->family == 4 && pd_natpath_scope(4, a->addr) == PD_NATPATH_SHARED;
}

bool pd_natmap_addr_private(const struct pd_peer_addr *a)
{
	enum pd_natpath_scope s;

	if (!a || (a->family != 4 && a->family != 6))
		return false;
	s = pd_natpath_scope(a->family, a->addr);
	return s == PD_NATPATH_PRIVATE || s == PD_NATPATH_ULA;
}

const char *pd_natmap_mapping_name(enum pd_natmap_mapping m)
{
	switch (m) {
	case PD_MAP_EIM:
		return "endpoint-independent";
	case PD_MAP_ADM:
		return "address-dependent";
	case PD_MAP_APDM:
		return "address-and-port-dependent";
	case PD_MAP_EIM_OR_ADM:
		return "endpoint-independent-or-address-dependent";
	case PD_MAP_UNKNOWN:
		break;
	}
	return NULL;
}

const char *pd_natmap_hairpin_name(enum pd_natmap_hairpin h)
{
	switch (h) {
	case PD_HAIRPIN_NOT_APPLICABLE:
		return "not-applicable";
	case PD_HAIRPIN_NONE:
		return "none";
	case PD_HAIRPIN_EXTERNAL:
		return "external-source";
	case PD_HAIRPIN_INTERNAL:
		return "internal-source";
	case PD_HAIRPIN_OTHER:
		return "other-source";
	case PD_HAIRPIN_NOT_TESTED:
		break;
	}
	return NULL;
}

/* true when obs[i] is the first answered one with its server address
 * (by_port false) or its server address and port (by_port true). */
static bool first_of(const struct pd_natmap_input *in, size_t i, bool by_port)
{
	size_t k;

	for (k = 0; k < i; k++) {
		const struct pd_peer_addr *a = &in->obs[k].server, *b = &in->obs[i].server;

		if (in->obs[k].answered &&
		    (by_port ? endpoint_equal(a, b) : pd_natmap_addr_equal(a, b)))
			return false;
	}
	return true;
}

/* Mapping from the answered observations (RFC 4787 section 4.1): two
 * endpoints that got different external address:port prove the mapping
 * depends on what differs between them. */
static void mapping(const struct pd_natmap_input *in, struct pd_natmap_result *out)
{
	size_t i, j, ports;

	for (i = 0; i < in->n; i++) {
		const struct pd_natmap_obs *a = &in->obs[i];

		if (!a->answered || !first_of(in, i, true))
			continue;
		if (first_of(in, i, false)) {
			out->addresses++;
			ports = 0;
			for (j = i; j < in->n; j++)
				if (in->obs[j].answered && first_of(in, j, true) &&
				    pd_natmap_addr_equal(&in->obs[j].server, &a->server))
					ports++;
			if (ports > out->ports)
				out->ports = ports;
		}
		for (j = i + 1; j < in->n; j++) {
			const struct pd_natmap_obs *b = &in->obs[j];

			if (!b->answered || endpoint_equal(&a->server, &b->server))
				continue;
			if (!pd_natmap_addr_equal(&a->seen, &b->seen))
				out->seen_differs = true;
			if (endpoint_equal(&a->seen, &b->seen))
				continue;
			if (pd_natmap_addr_equal(&a->server, &b->server))
				out->mapping_varies_port = true;
			else
				out->mapping_varies_addr = true;
		}
	}
	if (out->present != PD_NATMAP_YES)
		out->mapping = PD_MAP_UNKNOWN;
	else if (out->mapping_varies_port)
		out->mapping = PD_MAP_APDM;
	else if (out->addresses >= 2)
		out->mapping = out->mapping_varies_addr ? PD_MAP_ADM : PD_MAP_EIM;
	else if (out->ports >= 2)
		out->mapping = PD_MAP_EIM_OR_ADM;
	else
		out->mapping = PD_MAP_UNKNOWN;
}

/* RFC 6598: 100.64.0.0/10 exists for the inside of carrier-grade NATs.  A
 * translation to an address outside it, seen while our own address or a
 * hop before the responder is inside it, is a carrier-grade NAT; so is a
 * NAT whose outside (the address the responder saw) is inside it. */
static void carrier_grade(const struct pd_natmap_input *in, struct pd_natmap_result *out)
{
	size_t i;
	bool seen_public = false;

	if (out->present == PD_NATMAP_NO) {
		out->carrier_grade = PD_NATMAP_NO;
		return;
	}
	if (out->present != PD_NATMAP_YES)
		return;
	for (i = 0; i < in->n; i++) {
		const struct pd_natmap_obs *o = &in->obs[i];

		if (!o->answered)
			continue;
		if (pd_natmap_addr_shared(&o->local))
			out->cgn_local_shared = true;
		if (pd_natmap_addr_shared(&o->seen))
			out->seen_shared = true;
		else
			seen_public = true;
	}
	for (i = 0; i < in->n_hops && !out->cgn_hop; i++)
		if (pd_natmap_addr_shared(&in->hop[i]))
			out->cgn_hop = (int)i + 1;
	if (!seen_public) {
		out->cgn_local_shared = false;
		out->cgn_hop = 0;
	}
	if (out->cgn_local_shared || out->cgn_hop || out->seen_shared)
		out->carrier_grade = PD_NATMAP_YES;
}

static void hairpin(const struct pd_natmap_input *in, struct pd_natmap_result *out)
{
	if (!in->hairpin_tested)
		out->hairpin = PD_HAIRPIN_NOT_TESTED;
	else if (out->present == PD_NATMAP_NO)
		out->hairpin = PD_HAIRPIN_NOT_APPLICABLE;
	else if (!in->hp_arrived)
		out->hairpin = PD_HAIRPIN_NONE;
	else if (in->hp_mapped_known && endpoint_equal(&in->hp_from, &in->hp_mapped))
		out->hairpin = PD_HAIRPIN_EXTERNAL;
	else if (endpoint_equal(&in->hp_from, &in->hp_local))
		out->hairpin = PD_HAIRPIN_INTERNAL;
	else
		out->hairpin = PD_HAIRPIN_OTHER;
}

int pd_natmap_classify(const struct pd_natmap_input *in, struct pd_natmap_result *out,
		       struct pd_error *err)
{
	size_t i;
	bool addr_same = true, port_same = true;

	if (!in || !out)
		return pd_fail(err, PD_ERR_INVAL, 0, "natmap: NULL argument");
	if (in->n > PD_NATMAP_MAX_OBS || in->n_hops > PD_NATMAP_MAX_HOPS)
		return pd_fail(err, PD_ERR_INVAL, 0, "natmap: more observations than the maximum");
	memset(out, 0, sizeof(*out));
	for (i = 0; i < in->n; i++) {
		const struct pd_natmap_obs *o = &in->obs[i];

		if (!o->answered)
			continue;
		if (!known_family(&o->seen) || !known_family(&o->local))
			return pd_fail(err, PD_ERR_INVAL, 0, "natmap: answer without an address");
		out->answered++;
		if (!pd_natmap_addr_equal(&o->seen, &o->local))
			addr_same = false;
		if (o->seen.port != o->local.port)
			port_same = false;
	}
	if (out->answered) {
		out->address_translated = addr_same ? PD_NATMAP_NO : PD_NATMAP_YES;
		out->port_preserved = port_same ? PD_NATMAP_YES : PD_NATMAP_NO;
		out->present = addr_same && port_same ? PD_NATMAP_NO : PD_NATMAP_YES;
	}
	mapping(in, out);
	carrier_grade(in, out);
	hairpin(in, out);
	return PD_OK;
}
