/* flow_ct.c - placeholder until the conntrack library is merged. */
#include <stdio.h>

#include "flow.h"

void flow_conntrack(const struct flow_opts *o, struct flow_result *res)
{
	(void)o;
	snprintf(res->ct_error, sizeof(res->ct_error), "no conntrack support in this build");
}
