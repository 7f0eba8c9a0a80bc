/* seedgen.c - cut fuzzing seeds out of real packet captures.
 *
 * Usage: seedgen [-n MAXFRAMES] [-l LAYERS] OUTDIR CAPTURE
 *
 * For each of the first MAXFRAMES frames (default 200) of CAPTURE (pcap or
 * pcapng, read with libpcap) it writes seed files, named by a hash of their
 * content so duplicates collapse, into OUTDIR/<target>/:
 *   dissect  selector, options byte 0, the whole frame
 *   link     selector, the first 64 bytes of the frame
 *   ipv4, ipv6   the frame from the IP header on, found here by parsing the
 *            link header and VLAN tags (a few lines; no pathdiag code, so a
 *            decoder bug cannot hide its own seeds)
 * and, for the first few frames, the same IP packet re-framed as every
 * other supported link type (raw, IPv4/IPv6, null, loop, SLL, SLL2).
 * The file itself, cut after CAPFILE_SEED_LEN bytes, is a seed of
 *   capfile  selector (plain, filtered and merged twice, saved), the file
 *
 * LAYERS, if given, is a list of "frame protocol offset" lines (frame
 * numbers from 1) saying where tshark found each protocol header in the
 * frame; run.sh produces it from `tshark -T pdml`.  Each known protocol
 * yields a seed from its header to the end of the frame for its target
 * (ip, ipv6, icmp, icmpv6, udp, tcp, wg, gre, vxlan, ppp, and eth found
 * inside a tunnel).  The selector bytes follow each target's own comment in
 * tests/fuzz/fuzz_*.c.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <pcap/pcap.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINK_SEED_LEN 64
#define REFRAME_FRAMES 8
#define MAX_SEED 65536
#define CAPFILE_SEED_LEN 4000 /* run.sh's -max_len is 4096 */

/* Selector byte of fuzz_link / fuzz_dissect for each linktype. */
enum {
	SEL_NULL = 0, SEL_ETH, SEL_RAW, SEL_LOOP, SEL_SLL, SEL_IPV4, SEL_IPV6,
	SEL_SLL2, SEL_INNER_ETH,
};

struct layer {
	unsigned long frame;
	char proto[16];
	size_t pos;
};

static const char *outdir;
static unsigned long nwritten;

static uint64_t fnv1a(const uint8_t *p, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;

	for (i = 0; i < n; i++) {
		h ^= p[i];
		h *= 0x100000001b3ULL;
	}
	return h;
}

/* Write prefix (pn bytes) + body (bn bytes) as OUTDIR/target/<hash>. */
static void put(const char *target, const uint8_t *prefix, size_t pn,
		const uint8_t *body, size_t bn)
{
	static uint8_t buf[MAX_SEED];
	char path[4096];
	size_t n;
	int fd;

	if (pn + bn > sizeof(buf))
		bn = sizeof(buf) - pn;
	memcpy(buf, prefix, pn);
	memcpy(buf + pn, body, bn);
	n = pn + bn;

	snprintf(path, sizeof(path), "%s/%s", outdir, target);
	if (mkdir(path, 0777) < 0 && errno != EEXIST) {
		perror(path);
		exit(1);
	}
	snprintf(path, sizeof(path), "%s/%s/%016llx", outdir, target,
		 (unsigned long long)fnv1a(buf, n));
	fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
	if (fd < 0) {
		if (errno == EEXIST)
			return;
		perror(path);
		exit(1);
	}
	if (write(fd, buf, n) != (ssize_t)n) {
		perror(path);
		exit(1);
	}
	close(fd);
	nwritten++;
}

/* The capture file's first bytes, as fuzz_capfile seeds: read as stored
 * (pcap or pcapng), with three selectors (tests/fuzz/fuzz_capfile.c). */
static void capfile_seeds(const char *capture)
{
	static const uint8_t sels[] = { 0x00, 0x03, 0x04 };
	uint8_t head[CAPFILE_SEED_LEN];
	size_t n;
	FILE *f = fopen(capture, "rb");

	if (!f)
		return;
	n = fread(head, 1, sizeof(head), f);
	fclose(f);
	for (size_t i = 0; i < sizeof(sels); i++)
		put("capfile", &sels[i], 1, head, n);
}

static int linktype_sel(int dlt)
{
	switch (dlt) {
	case DLT_NULL: return SEL_NULL;
	case DLT_EN10MB: return SEL_ETH;
	case DLT_RAW: return SEL_RAW;
	case DLT_LOOP: return SEL_LOOP;
	case DLT_LINUX_SLL: return SEL_SLL;
	case 228: return SEL_IPV4;      /* DLT_IPV4 */
	case 229: return SEL_IPV6;      /* DLT_IPV6 */
	case 276: return SEL_SLL2;      /* DLT_LINUX_SLL2 */
	}
	return -1;
}

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

/* Offset of the IP header in a frame, or -1; *version gets 4 or 6. */
static long ip_offset(int sel, const uint8_t *f, size_t n, int *version)
{
	size_t off;
	uint16_t type;
	int tags = 0;

	switch (sel) {
	case SEL_ETH:
		if (n < 14)
			return -1;
		off = 12;
		type = be16(f + off);
		while ((type == 0x8100 || type == 0x88a8 || type == 0x9100) &&
		       tags++ < 4 && off + 6 <= n) {
			off += 4;
			type = be16(f + off);
		}
		off += 2;
		break;
	case SEL_SLL:
		if (n < 16)
			return -1;
		type = be16(f + 14);
		off = 16;
		break;
	case SEL_SLL2:
		if (n < 20)
			return -1;
		type = be16(f);
		off = 20;
		break;
	case SEL_NULL:
	case SEL_LOOP:
		off = 4;
		type = 0;
		break;
	default:
		off = 0;
		type = 0;
		break;
	}
	if (off >= n)
		return -1;
	*version = f[off] >> 4;
	if (type && !((type == 0x0800 && *version == 4) ||
		      (type == 0x86dd && *version == 6)))
		return -1;
	if (*version != 4 && *version != 6)
		return -1;
	return (long)off;
}

/* The IP packet ip[0..n) framed as every supported link type. */
static void reframe(const uint8_t *ip, size_t n, int version)
{
	static uint8_t fr[MAX_SEED];
	uint16_t et = version == 4 ? 0x0800 : 0x86dd;
	/* BSD AF_INET is 2; AF_INET6 is 24 on NetBSD/OpenBSD, 30 on macOS. */
	uint8_t af = version == 4 ? 2 : 24;
	const uint8_t mac[6] = { 0x02, 0, 0x5e, 0x10, 0, 1 };
	uint8_t pre[2];
	size_t m = n > MAX_SEED - 32 ? MAX_SEED - 32 : n;
	struct {
		int sel;
		size_t hl;
	} kinds[6] = {
		{ SEL_RAW, 0 }, { version == 4 ? SEL_IPV4 : SEL_IPV6, 0 },
		{ SEL_NULL, 4 }, { SEL_LOOP, 4 }, { SEL_SLL, 16 }, { SEL_SLL2, 20 },
	};
	int k;

	for (k = 0; k < 6; k++) {
		size_t hl = kinds[k].hl;

		memset(fr, 0, hl);
		switch (kinds[k].sel) {
		case SEL_NULL:  /* host (little-endian) byte order */
			fr[0] = af;
			break;
		case SEL_LOOP:  /* network byte order */
			fr[3] = af;
			break;
		case SEL_SLL:   /* pkttype 0 (to us), ARPHRD_ETHER, 6-byte addr */
			fr[3] = 1;
			fr[5] = 6;
			memcpy(fr + 6, mac, 6);
			fr[14] = (uint8_t)(et >> 8);
			fr[15] = (uint8_t)et;
			break;
		case SEL_SLL2:  /* protocol, reserved, ifindex 2, ARPHRD_ETHER */
			fr[0] = (uint8_t)(et >> 8);
			fr[1] = (uint8_t)et;
			fr[7] = 2;
			fr[9] = 1;
			fr[11] = 6;
			memcpy(fr + 12, mac, 6);
			break;
		}
		memcpy(fr + hl, ip, m);
		pre[0] = (uint8_t)kinds[k].sel;
		pre[1] = 0;
		put("dissect", pre, 2, fr, hl + m);
		put("link", pre, 1, fr, hl + m < LINK_SEED_LEN ? hl + m : LINK_SEED_LEN);
	}
}

static void layer_seed(const struct layer *l, const uint8_t *f, size_t n)
{
	static const struct {
		const char *proto, *target;
		int prefix;     /* selector byte, or -1 for none */
	} map[] = {
		{ "ip", "ipv4", -1 }, { "ipv6", "ipv6", -1 },
		{ "icmp", "icmp", 4 }, { "icmpv6", "icmp", 6 },
		{ "udp", "udp", -1 }, { "tcp", "tcp", -1 },
		{ "wg", "wireguard", -1 }, { "gre", "gre", -1 },
		{ "vxlan", "vxlan", -1 }, { "ppp", "ppp", -1 },
		{ "eth", "link", SEL_INNER_ETH },
	};
	size_t i;

	if (l->pos >= n)
		return;
	for (i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		uint8_t pre;

		if (strcmp(map[i].proto, l->proto) != 0)
			continue;
		/* The outermost eth is the capture's own header. */
		if (map[i].prefix == SEL_INNER_ETH && l->pos == 0)
			return;
		pre = (uint8_t)map[i].prefix;
		put(map[i].target, &pre, map[i].prefix < 0 ? 0 : 1,
		    f + l->pos, n - l->pos);
		return;
	}
}

static struct layer *read_layers(const char *path, size_t *count)
{
	struct layer *v = NULL, l;
	size_t n = 0, cap = 0;
	FILE *fp = fopen(path, "r");

	if (!fp) {
		perror(path);
		exit(1);
	}
	while (fscanf(fp, "%lu %15s %zu", &l.frame, l.proto, &l.pos) == 3) {
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			v = realloc(v, cap * sizeof(*v));
			if (!v) {
				perror("realloc");
				exit(1);
			}
		}
		v[n++] = l;
	}
	fclose(fp);
	*count = n;
	return v;
}

static void usage(void)
{
	fprintf(stderr, "usage: seedgen [-n MAXFRAMES] [-l LAYERS] OUTDIR CAPTURE\n");
	exit(2);
}

int main(int argc, char **argv)
{
	char errbuf[PCAP_ERRBUF_SIZE];
	unsigned long maxframes = 200, frame = 0;
	const char *layers_path = NULL;
	struct layer *layers = NULL;
	size_t nlayers = 0, li = 0;
	struct pcap_pkthdr *h;
	const uint8_t *f;
	pcap_t *p;
	int c, sel, rc;

	while ((c = getopt(argc, argv, "n:l:")) != -1) {
		switch (c) {
		case 'n':
			maxframes = strtoul(optarg, NULL, 10);
			break;
		case 'l':
			layers_path = optarg;
			break;
		default:
			usage();
		}
	}
	if (argc - optind != 2)
		usage();
	outdir = argv[optind];
	if (mkdir(outdir, 0777) < 0 && errno != EEXIST) {
		perror(outdir);
		return 1;
	}
	if (layers_path)
		layers = read_layers(layers_path, &nlayers);

	p = pcap_open_offline(argv[optind + 1], errbuf);
	if (!p) {
		fprintf(stderr, "seedgen: %s\n", errbuf);
		return 1;
	}
	sel = linktype_sel(pcap_datalink(p));
	capfile_seeds(argv[optind + 1]);
	while (frame < maxframes && (rc = pcap_next_ex(p, &h, &f)) == 1) {
		size_t n = h->caplen;
		uint8_t pre[2];
		int version;
		long ipoff;

		frame++;
		if (sel >= 0) {
			pre[0] = (uint8_t)sel;
			pre[1] = 0;
			put("dissect", pre, 2, f, n);
			put("link", pre, 1, f, n < LINK_SEED_LEN ? n : LINK_SEED_LEN);
			ipoff = ip_offset(sel, f, n, &version);
			if (ipoff >= 0) {
				put(version == 4 ? "ipv4" : "ipv6", pre, 0,
				    f + ipoff, n - (size_t)ipoff);
				if (frame <= REFRAME_FRAMES)
					reframe(f + ipoff, n - (size_t)ipoff, version);
			}
		}
		while (li < nlayers && layers[li].frame < frame)
			li++;
		for (; li < nlayers && layers[li].frame == frame; li++)
			layer_seed(&layers[li], f, n);
	}
	pcap_close(p);
	free(layers);
	printf("%lu\n", nwritten);
	return 0;
}
