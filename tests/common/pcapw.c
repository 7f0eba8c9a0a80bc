/* pcapw.c - a tiny classic pcap writer (see pcapw.h for the format). */
#include "pcapw.h"

#include <errno.h>
#include <string.h>

#include <pathdiag/error.h>

static void le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
	p[2] = (uint8_t)(v >> 16);
	p[3] = (uint8_t)(v >> 24);
}

static void le16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static int put(struct pcapw *w, const void *p, size_t n)
{
	if (n && fwrite(p, 1, n, w->fp) != n)
		return PD_ERR_SYSTEM;
	return PD_OK;
}

int pcapw_open(struct pcapw *w, const char *path, uint32_t linktype,
	       uint32_t snaplen)
{
	uint8_t hdr[24];
	int rc;

	if (!w || !path)
		return PD_ERR_INVAL;
	memset(w, 0, sizeof(*w));
	if (strcmp(path, "-") == 0) {
		w->fp = stdout;
	} else {
		w->fp = fopen(path, "wb");
		if (!w->fp)
			return PD_ERR_SYSTEM;
		w->own = 1;
	}
	/* Large writes: gencap streams millions of records. */
	setvbuf(w->fp, NULL, _IOFBF, 1 << 20);
	w->snaplen = snaplen ? snaplen : PCAPW_DEFAULT_SNAPLEN;
	le32(hdr, 0xa1b2c3d4);
	le16(hdr + 4, 2);
	le16(hdr + 6, 4);
	le32(hdr + 8, 0);
	le32(hdr + 12, 0);
	le32(hdr + 16, w->snaplen);
	le32(hdr + 20, linktype);
	rc = put(w, hdr, sizeof(hdr));
	if (rc) {
		int e = errno;

		pcapw_close(w);
		errno = e;
	}
	return rc;
}

int pcapw_write(struct pcapw *w, uint64_t ts_usec, const uint8_t *pkt,
		size_t len)
{
	uint64_t sec = ts_usec / 1000000;
	uint8_t rec[16];
	size_t incl;
	int rc;

	if (!w || !w->fp || (!pkt && len) || sec > UINT32_MAX ||
	    len > UINT32_MAX)
		return PD_ERR_INVAL;
	incl = len < w->snaplen ? len : w->snaplen;
	le32(rec, (uint32_t)sec);
	le32(rec + 4, (uint32_t)(ts_usec % 1000000));
	le32(rec + 8, (uint32_t)incl);
	le32(rec + 12, (uint32_t)len);
	rc = put(w, rec, sizeof(rec));
	if (!rc)
		rc = put(w, pkt, incl);
	if (!rc)
		w->packets++;
	return rc;
}

int pcapw_close(struct pcapw *w)
{
	int rc = PD_OK;
	int e = 0;

	if (!w || !w->fp)
		return PD_ERR_INVAL;
	if (fflush(w->fp) != 0 || ferror(w->fp)) {
		rc = PD_ERR_SYSTEM;
		e = errno;
	}
	if (w->own && fclose(w->fp) != 0 && !rc) {
		rc = PD_ERR_SYSTEM;
		e = errno;
	}
	w->fp = NULL;
	if (rc)
		errno = e ? e : EIO;
	return rc;
}
