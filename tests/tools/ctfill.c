/* ctfill.c - fills the conntrack table of the calling network namespace with
 * N entries through pd_ct_create (pathdiag/conntrack.h), for the
 * conntrack lab (event overruns) and bench/ct-bench.sh (a million entries).
 *
 *   ctfill N [--proto tcp|udp] [--mark-every K] [--mark M] [--timeout S]
 *            [--sport-base P]
 *
 * Entry i: original tuple 10.0.0.0 + i -> 198.18.0.1 (RFC 2544 benchmark
 * space), source port sport-base + i % 50000, destination port 80; reply the
 * inverse; TCP entries ESTABLISHED with SEEN_REPLY|ASSURED.  Every K-th entry
 * (default 100) has mark M (default 1), the others mark 0.  Timeout S
 * seconds (default 3600).  Prints "created N seconds S rate R/s".
 * Exit status: 0 all created, 1 an error, 3 usage, 4 permission.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <netinet/in.h>

#include <pathdiag/conntrack.h>

#define BATCH 4096

static unsigned long arg_num(const char *s)
{
	char *end;
	unsigned long v = strtoul(s, &end, 0);

	if (end == s || *end) {
		fprintf(stderr, "ctfill: '%s' is not a number\n", s);
		exit(3);
	}
	return v;
}

int main(int argc, char **argv)
{
	unsigned long n, every = 100, mark = 1, timeout = 3600, sbase = 1024;
	uint8_t proto = IPPROTO_TCP;
	struct pd_ct_entry *batch;
	struct pd_error err = { 0 };
	struct timespec t0, t1;
	struct pd_ct *ct;
	size_t total = 0;
	double secs;
	int i, rc;

	if (argc < 2) {
		fputs("usage: ctfill N [--proto tcp|udp] [--mark-every K] [--mark M] "
		      "[--timeout S] [--sport-base P]\n", stderr);
		return 3;
	}
	n = arg_num(argv[1]);
	for (i = 2; i + 1 < argc; i += 2) {
		if (!strcmp(argv[i], "--proto"))
			proto = !strcmp(argv[i + 1], "udp") ? IPPROTO_UDP : IPPROTO_TCP;
		else if (!strcmp(argv[i], "--mark-every"))
			every = arg_num(argv[i + 1]);
		else if (!strcmp(argv[i], "--mark"))
			mark = arg_num(argv[i + 1]);
		else if (!strcmp(argv[i], "--timeout"))
			timeout = arg_num(argv[i + 1]);
		else if (!strcmp(argv[i], "--sport-base"))
			sbase = arg_num(argv[i + 1]);
		else
			return 3;
	}
	if (i != argc || n > 0xffffff)
		return 3;
	batch = calloc(BATCH, sizeof(*batch));
	if (!batch)
		return 1;
	rc = pd_ct_open(&ct, NULL, &err);
	if (rc < 0) {
		fprintf(stderr, "ctfill: open: %s: %s\n", pd_status_name(rc), err.what);
		return rc == PD_ERR_PERM ? 4 : 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (unsigned long base = 0; base < n; base += BATCH) {
		size_t k, m = n - base < BATCH ? n - base : BATCH, done = 0;

		for (k = 0; k < m; k++) {
			struct pd_ct_entry *e = &batch[k];
			unsigned long idx = base + k;
			uint32_t src = 0x0a000000u + (uint32_t)idx;

			memset(e, 0, sizeof(*e));
			e->orig.src.family = e->orig.dst.family = 4;
			e->orig.src.addr[0] = (uint8_t)(src >> 24);
			e->orig.src.addr[1] = (uint8_t)(src >> 16);
			e->orig.src.addr[2] = (uint8_t)(src >> 8);
			e->orig.src.addr[3] = (uint8_t)src;
			memcpy(e->orig.dst.addr, "\xc6\x12\x00\x01", 4);
			e->orig.l4proto = proto;
			e->orig.sport = (uint16_t)(sbase + idx % 50000);
			e->orig.dport = 80;
			e->orig.has = PD_CT_T_PORTS | PD_CT_T_PROTO;
			e->timeout = (uint32_t)timeout;
			e->status = PD_CT_S_SEEN_REPLY | PD_CT_S_ASSURED;
			if (proto == IPPROTO_TCP) {
				e->tcp_state = PD_CT_TCP_ESTABLISHED;
				e->has |= PD_CT_HAS_TCP_STATE;
			}
			if (every && idx % every == 0) {
				e->mark = (uint32_t)mark;
				e->has |= PD_CT_HAS_MARK;
			}
		}
		rc = pd_ct_create(ct, batch, m, &done, &err);
		total += done;
		if (rc < 0) {
			fprintf(stderr, "ctfill: create after %zu: %s: %s\n", total,
				pd_status_name(rc), err.what);
			pd_ct_close(ct);
			free(batch);
			return rc == PD_ERR_PERM ? 4 : 1;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("created %zu seconds %.3f rate %.0f/s\n", total, secs, secs > 0 ? total / secs : 0);
	pd_ct_close(ct);
	free(batch);
	return 0;
}
