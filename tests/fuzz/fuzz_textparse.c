/* fuzz_textparse.c - libFuzzer target for the text parsers outside the
 * configuration reader: the responder's key file (pd_peer_key_parse, and
 * pd_peer_key_load reading it from a file), WireGuard keys and prefixes as
 * wg-quick files and `wg` output write them (pd_wgc_key_decode,
 * pd_wgc_prefix_parse), encapsulation stacks (pd_ovh_parse, `--underlay`),
 * conntrack prefixes (pd_ct_prefix_parse) and numeric addresses
 * (pd_nl_addr_parse).
 *
 * Input: a selector byte (value % 6 picks the parser, in the order above),
 * then the text: an exactly sized heap copy for the parsers that take a
 * length, NUL-terminated (one byte more) for those that take a C string.
 *
 * Checks: the same result with and without a struct pd_error; after a
 * failure a negative code, err.code equal to it, the offset inside the text
 * and a printable `what`; after a success the value written back as text
 * parses to the same value: a key re-encoded in base64 is the text itself
 * (wg-quick keys are canonical), a prefix printed and parsed again is the
 * same prefix and contains its own address, a stack formatted is a fixed
 * point of parse + format, an address printed parses to the same address;
 * a key file read from disk gives the key parsed from its text.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pathdiag/conntrack.h>
#include <pathdiag/netlink.h>
#include <pathdiag/overhead.h>
#include <pathdiag/peerproto.h>
#include <pathdiag/responder.h>
#include <pathdiag/wgconf.h>
#include <pathdiag/wgdev.h>

#include "fuzz_common.h"

/* A printable `what`; pd_ovh_parse's names every known encapsulation, so
 * longer than a decoder's (fz_check_what's 200). */
static void check_what(const char *what)
{
	fz_check_what_max(what, 2048);
}

/* Any pd_status: these parsers also return NOTFOUND, NOSPACE, PERM. */
static void check_fail(int ret, const struct pd_error *err, size_t len)
{
	FZ_CHECK(ret < 0);
	FZ_CHECK(err->code == ret);
	FZ_CHECK(err->offset <= len);
	check_what(err->what);
}

static void key_file(const char *text, size_t len)
{
	uint8_t k1[PD_PEER_KEY_MAX], k2[PD_PEER_KEY_MAX];
	size_t l1 = 0, l2 = 0;
	struct pd_error err;
	char path[64];
	int r1, r2, r3, fd;

	fz_err_poison(&err);
	r1 = pd_peer_key_parse(text, len, k1, &l1, &err);
	r2 = pd_peer_key_parse(text, len, k2, &l2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
	} else {
		FZ_CHECK(r1 == 0);
		FZ_CHECK(l1 >= 16 && l1 <= PD_PEER_KEY_MAX && l1 == l2);
		FZ_CHECK(!memcmp(k1, k2, l1));
	}
	/* The same text as a file (0600, as the loader insists). */
	fd = memfd_create("fuzz_keyfile", 0);
	if (fd < 0)
		return;
	if (fchmod(fd, 0600) == 0 && (!len || write(fd, text, len) == (ssize_t)len)) {
		snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
		fz_err_poison(&err);
		r3 = pd_peer_key_load(path, k2, &l2, &err);
		if (len > 4096) {
			FZ_CHECK(r3 == PD_ERR_MALFORMED);
		} else {
			FZ_CHECK(r3 == r1);
			if (r3 == 0)
				FZ_CHECK(l2 == l1 && !memcmp(k1, k2, l1));
		}
		if (r3 < 0) {
			FZ_CHECK(err.code == r3);
			check_what(err.what);
		}
	}
	close(fd);
}

static void wg_key(const char *text, size_t len)
{
	uint8_t k1[32], k2[32];
	char b64[PD_WGDEV_KEY_B64_LEN];
	struct pd_error err;
	int r1, r2;

	fz_err_poison(&err);
	r1 = pd_wgc_key_decode(text, len, k1, &err);
	r2 = pd_wgc_key_decode(text, len, k2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
		return;
	}
	FZ_CHECK(r1 == 0 && !memcmp(k1, k2, 32));
	pd_wg_key_base64(k1, b64);
	FZ_CHECK(strlen(b64) == 44);
	FZ_STRICT(len == 44 && !memcmp(b64, text, 44));
}

static void wg_prefix(const char *text, size_t len)
{
	struct pd_wgc_prefix p1, p2, p3;
	struct pd_error err;
	char buf[64];
	int r1, r2;

	fz_err_poison(&err);
	memset(&p1, 0x11, sizeof(p1));
	memset(&p2, 0x22, sizeof(p2));
	r1 = pd_wgc_prefix_parse(text, len, &p1, &err);
	r2 = pd_wgc_prefix_parse(text, len, &p2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
		return;
	}
	FZ_CHECK(r1 == 0);
	FZ_CHECK(p1.family == 4 || p1.family == 6);
	FZ_CHECK(p1.plen <= (p1.family == 4 ? 32 : 128));
	FZ_CHECK(p1.has_plen || p1.plen == (p1.family == 4 ? 32 : 128));
	FZ_CHECK(p1.family == p2.family && p1.plen == p2.plen && p1.has_plen == p2.has_plen);
	FZ_CHECK(!memcmp(p1.addr, p2.addr, p1.family == 4 ? 4 : 16));
	FZ_CHECK(pd_wgc_prefix_contains(&p1, p1.family, p1.addr));
	pd_wgc_prefix_str(&p1, buf, sizeof(buf));
	FZ_CHECK(memchr(buf, 0, sizeof(buf)) != NULL);
	FZ_CHECK(pd_wgc_prefix_parse(buf, strlen(buf), &p3, NULL) == 0);
	FZ_CHECK(p3.family == p1.family && p3.plen == p1.plen);
	FZ_CHECK(!memcmp(p3.addr, p1.addr, p1.family == 4 ? 4 : 16));
}

static void ovh_stack(const char *text, size_t len)
{
	struct pd_ovh_stack s1, s2, s3;
	struct pd_error err;
	char f1[512], f2[512];
	unsigned bytes;
	int r1, r2;

	fz_err_poison(&err);
	r1 = pd_ovh_parse(text, &s1, &err);
	r2 = pd_ovh_parse(text, &s2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
		return;
	}
	FZ_CHECK(r1 == 0 && s1.n <= PD_OVH_MAX_LAYERS && s1.n == s2.n);
	FZ_CHECK(pd_ovh_format(&s1, f1, sizeof(f1), NULL) == 0);
	FZ_CHECK(memchr(f1, 0, sizeof(f1)) != NULL);
	/* a buffer too small is refused, never overrun */
	if (strlen(f1) > 0)
		FZ_CHECK(pd_ovh_format(&s1, f2, strlen(f1), NULL) < 0);
	FZ_CHECK(pd_ovh_parse(f1, &s3, NULL) == 0 && s3.n == s1.n);
	FZ_CHECK(pd_ovh_format(&s3, f2, sizeof(f2), NULL) == 0);
	FZ_CHECK(!strcmp(f1, f2));
	pd_ovh_overhead(&s1, 4, &bytes, NULL);
	pd_ovh_overhead(&s1, 6, &bytes, NULL);
}

static void ct_prefix(const char *text, size_t len)
{
	struct pd_ct_prefix p1, p2;
	struct pd_error err;
	int r1, r2;

	fz_err_poison(&err);
	r1 = pd_ct_prefix_parse(text, &p1, &err);
	r2 = pd_ct_prefix_parse(text, &p2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
		return;
	}
	FZ_CHECK(r1 == 0);
	FZ_CHECK(p1.addr.family == 4 || p1.addr.family == 6);
	FZ_CHECK(p1.len <= (p1.addr.family == 4 ? 32 : 128));
	FZ_CHECK(p1.len == p2.len && pd_nl_addr_equal(&p1.addr, &p2.addr));
}

static void nl_addr(const char *text, size_t len)
{
	struct pd_nl_addr a1, a2;
	struct pd_error err;
	char buf[PD_NL_ADDRSTRLEN];
	int r1, r2;

	fz_err_poison(&err);
	r1 = pd_nl_addr_parse(text, &a1, &err);
	r2 = pd_nl_addr_parse(text, &a2, NULL);
	FZ_CHECK(r1 == r2);
	if (r1 < 0) {
		check_fail(r1, &err, len);
		return;
	}
	FZ_CHECK(r1 == 0 && (a1.family == 4 || a1.family == 6));
	FZ_CHECK(pd_nl_addr_equal(&a1, &a2));
	pd_nl_addr_str(&a1, buf, sizeof(buf));
	FZ_CHECK(pd_nl_addr_parse(buf, &a2, NULL) == 0 && pd_nl_addr_equal(&a1, &a2));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *t;
	size_t n;

	if (size < 1)
		return 0;
	n = size - 1;
	switch (data[0] % 6) {
	case 0:
	case 1:
	case 2:
		/* length-taking parsers: no NUL after the text */
		t = (char *)fz_dup(data + 1, n);
		if (data[0] % 6 == 0)
			key_file(t, n);
		else if (data[0] % 6 == 1)
			wg_key(t, n);
		else
			wg_prefix(t, n);
		break;
	default:
		t = malloc(n + 1);
		if (!t)
			abort();
		memcpy(t, data + 1, n);
		t[n] = '\0';
		if (data[0] % 6 == 3)
			ovh_stack(t, n);
		else if (data[0] % 6 == 4)
			ct_prefix(t, n);
		else
			nl_addr(t, n);
		break;
	}
	free(t);
	return 0;
}
