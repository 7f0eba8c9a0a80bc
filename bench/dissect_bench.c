/* dissect_bench.c - how fast pd_dissect() walks a capture file.
 *
 * Reads a pcap/pcapng file with libpcap and dissects every frame, the work
 * tunsniff's offline analysis starts from.  Prints one tab-separated line:
 * frames, frames decoded to the transport layer or a tunnel, decode errors,
 * seconds of CPU spent in the read+dissect loop, frames per second and the
 * process's peak resident memory in KiB (getrusage).  bench/run.sh puts it
 * next to tshark and tcpdump reading the same file.
 */
#include <errno.h>
#include <pcap/pcap.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include <pathdiag/dissect.h>

static double cpu_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *hdr;
	const unsigned char *data;
	struct pd_packet pkt;
	unsigned long long frames = 0, deep = 0, errors = 0;
	struct rusage ru;
	pcap_t *p;
	int linktype, rc;
	double t0, t1;

	if (argc != 2) {
		fprintf(stderr, "usage: dissect_bench FILE.pcap\n");
		return 3;
	}
	p = pcap_open_offline(argv[1], errbuf);
	if (!p) {
		fprintf(stderr, "dissect_bench: %s\n", errbuf);
		return 3;
	}
	linktype = pcap_datalink(p);
	t0 = cpu_seconds();
	while ((rc = pcap_next_ex(p, &hdr, &data)) == 1) {
		frames++;
		if (pd_dissect(linktype, data, hdr->caplen, hdr->len, NULL, &pkt) < 0)
			errors++;
		/* Count frames that reached a transport or tunnel header, so the
		 * loop cannot be optimised into reading only. */
		if (pkt.nlayers >= 3)
			deep++;
	}
	t1 = cpu_seconds();
	if (rc == -1) {
		fprintf(stderr, "dissect_bench: %s: %s\n", argv[1], pcap_geterr(p));
		pcap_close(p);
		return 3;
	}
	pcap_close(p);
	getrusage(RUSAGE_SELF, &ru);
	printf("%llu\t%llu\t%llu\t%.3f\t%.0f\t%ld\n", frames, deep, errors, t1 - t0,
	       t1 > t0 ? (double)frames / (t1 - t0) : 0.0, ru.ru_maxrss);
	return 0;
}
