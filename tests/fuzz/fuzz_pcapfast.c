/* fuzz_pcapfast.c - libFuzzer target for the fast classic-pcap record reader
 * (lib/src/pcapfast.c, used by pd_cap for capture files), differential
 * against libpcap itself.
 *
 * Input: a selector byte, then the record bytes.  Selector bits 0-1: the
 * magic (microseconds or nanoseconds, little- or big-endian); bit 2: link
 * type raw IPv4 instead of Ethernet; bits 3-4: snaplen 65535, 262144, 96 or
 * 1.  A valid 24-byte file header is built from it, the input follows as
 * the records, and the file is read three times: through pd_cap (the fast
 * path, handing back to libpcap where it does not apply; nanosecond
 * precision), and through pcap_next_ex() alone with microsecond and with
 * nanosecond precision.
 *
 * Checks: the readings give the same frames (count, ts_usec equal to the
 * microsecond reading's timestamp, ts_nsec to the nanosecond reading's,
 * captured and wire lengths, bytes) and end the same way (all at the end
 * of the file, or all with an error); nothing is read outside the file
 * (ASan).
 */
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
#include <pcap/pcap.h>

#include <pathdiag/capture.h>

#include "fuzz_common.h"

static void put32(uint8_t *b, uint32_t v, bool big)
{
	for (int i = 0; i < 4; i++)
		b[big ? 3 - i : i] = (uint8_t)(v >> (8 * i));
}

static void put16(uint8_t *b, uint16_t v, bool big)
{
	b[big ? 1 : 0] = (uint8_t)v;
	b[big ? 0 : 1] = (uint8_t)(v >> 8);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint32_t snaplens[] = { 65535, 262144, 96, 1 };
	char path[64], eb[PCAP_ERRBUF_SIZE];
	uint8_t hdr[24];
	struct pd_cap *cap;
	struct pd_cap_frame f;
	struct pd_error err = { 0 };
	struct pcap_pkthdr *h, *hn;
	const u_char *d, *dn;
	pcap_t *p, *pn;
	bool big;
	int fd, a, b, bn;

	if (size < 1)
		return 0;
	big = data[0] & 2;
	put32(hdr, data[0] & 1 ? 0xa1b23c4du : 0xa1b2c3d4u, big);
	put16(hdr + 4, 2, big);
	put16(hdr + 6, 4, big);
	put32(hdr + 8, 0, big);
	put32(hdr + 12, 0, big);
	put32(hdr + 16, snaplens[(data[0] >> 3) & 3], big);
	put32(hdr + 20, data[0] & 4 ? 228 : 1, big);
	fd = memfd_create("fuzz_pcapfast", 0);
	if (fd < 0)
		return 0;
	if (write(fd, hdr, sizeof(hdr)) != (ssize_t)sizeof(hdr) ||
	    (size > 1 && write(fd, data + 1, size - 1) != (ssize_t)(size - 1))) {
		close(fd);
		return 0;
	}
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);

	cap = pd_cap_new(NULL);
	p = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_MICRO, eb);
	pn = pcap_open_offline_with_tstamp_precision(path, PCAP_TSTAMP_PRECISION_NANO, eb);
	FZ_CHECK(cap != NULL);
	FZ_CHECK(!p == !pn);
	if (pd_cap_add_file(cap, path, &err) < 0 || !p) {
		/* All refuse the header, or none does. */
		FZ_CHECK(!p);
		goto out;
	}
	for (;;) {
		a = pd_cap_next(cap, &f, 0, &err);
		b = pcap_next_ex(p, &h, &d);
		bn = pcap_next_ex(pn, &hn, &dn);
		FZ_CHECK(b == bn);
		if (a != 1 || b != 1) {
			/* The same end: the file's end, or an error. */
			FZ_CHECK((a == PD_CAP_EOF) == (b == PCAP_ERROR_BREAK));
			FZ_CHECK((a < 0) == (b == PCAP_ERROR));
			break;
		}
		FZ_CHECK(f.caplen == h->caplen && f.wirelen == h->len);
		FZ_CHECK(f.ts_usec == (int64_t)h->ts.tv_sec * 1000000 + h->ts.tv_usec);
		FZ_CHECK(f.ts_nsec == (int64_t)hn->ts.tv_sec * 1000000000 + hn->ts.tv_usec);
		FZ_CHECK(memcmp(f.data, d, f.caplen) == 0);
	}
out:
	if (p)
		pcap_close(p);
	if (pn)
		pcap_close(pn);
	pd_cap_free(cap);
	close(fd);
	return 0;
}
