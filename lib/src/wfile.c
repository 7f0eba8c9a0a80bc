/* wfile.c - an output file that holds only whole units, even when writing
 * fails (see pathdiag/wfile.h).
 *
 * Specification: POSIX write(2) and ftruncate(2).  A write may be short
 * (the disk filled up part-way, RLIMIT_FSIZE) and the next one then fails.
 * The file is then cut at the last unit boundary among the bytes of the run
 * that did reach it (the buffer remembers where its units end), so a disk
 * that fills up keeps every unit that fitted whole.
 */
#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pathdiag/wfile.h>

#define WF_MAX_UNITS 8192 /* units per run of the buffer */

struct pd_wfile {
	int fd;
	int sys_errno;      /* first failure, 0 if none */
	bool cut;           /* the file was cut back after it */
	off_t disk_off;     /* bytes on disk: whole units only */
	uint64_t disk_units;
	uint64_t buf_units; /* units in buf */
	size_t len;
	uint32_t end[WF_MAX_UNITS]; /* where each unit in buf ends */
	uint8_t buf[PD_WFILE_BUF];
};

static int wf_fail(const struct pd_wfile *w, struct pd_error *err)
{
	int rc = pd_fail(err, PD_ERR_SYSTEM, 0, "writing the file failed");

	if (err)
		err->sys_errno = w->sys_errno;
	return rc;
}

/* Write one run of whole units (units of them, ending at end[0..units-1])
 * at the end of the file; on failure cut the file back to the end of the
 * last unit that reached it whole. */
static int wf_run(struct pd_wfile *w, const uint8_t *p, size_t len, uint64_t units,
		  const uint32_t *end, struct pd_error *err)
{
	size_t done = 0, keep = 0;
	uint64_t whole = 0;

	while (done < len) {
		ssize_t n = write(w->fd, p + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			w->sys_errno = n < 0 ? errno : EIO;
			while (whole < units && end[whole] <= done)
				keep = end[whole++];
			/* a partly written run would end the file inside a unit */
			w->cut = ftruncate(w->fd, w->disk_off + (off_t)keep) == 0;
			if (w->cut) {
				w->disk_off += (off_t)keep;
				w->disk_units += whole;
			}
			return wf_fail(w, err);
		}
		done += (size_t)n;
	}
	w->disk_off += (off_t)len;
	w->disk_units += units;
	return 0;
}

int pd_wfile_open(struct pd_wfile **out, const char *path, struct pd_error *err)
{
	struct pd_wfile *w;

	if (!out || !path)
		return pd_fail(err, PD_ERR_INVAL, 0, "no output file given");
	*out = NULL;
	w = malloc(sizeof(*w));
	if (!w)
		return pd_fail(err, PD_ERR_NOMEM, 0, "out of memory");
	memset(w, 0, offsetof(struct pd_wfile, end));
	w->fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
	if (w->fd < 0) {
		int e = errno;

		free(w);
		pd_fail(err, PD_ERR_SYSTEM, 0, "cannot create the file");
		if (err)
			err->sys_errno = e;
		return PD_ERR_SYSTEM;
	}
	*out = w;
	return 0;
}

int pd_wfile_flush(struct pd_wfile *w, struct pd_error *err)
{
	int rc;

	if (!w)
		return pd_fail(err, PD_ERR_INVAL, 0, "no output file");
	if (w->sys_errno)
		return wf_fail(w, err);
	if (!w->len)
		return 0;
	rc = wf_run(w, w->buf, w->len, w->buf_units, w->end, err);
	w->len = 0;
	w->buf_units = 0;
	return rc;
}

int pd_wfile_put(struct pd_wfile *w, const void *a, size_t alen, const void *b, size_t blen,
		 struct pd_error *err)
{
	size_t len = alen + blen;
	uint32_t one;
	uint8_t *tmp;
	int rc;

	if (!w || (alen && !a) || (blen && !b) || len < alen || len > UINT32_MAX)
		return pd_fail(err, PD_ERR_INVAL, 0, "no unit to write");
	if (w->sys_errno)
		return wf_fail(w, err);
	if ((w->len + len > sizeof(w->buf) || w->buf_units == WF_MAX_UNITS) &&
	    pd_wfile_flush(w, err) < 0)
		return PD_ERR_SYSTEM;
	if (len > sizeof(w->buf)) {
		/* one unit larger than the buffer: a run of its own */
		tmp = malloc(len);
		if (!tmp)
			return pd_fail(err, PD_ERR_NOMEM, 0, "out of memory");
		memcpy(tmp, a, alen);
		if (blen)
			memcpy(tmp + alen, b, blen);
		one = (uint32_t)len;
		rc = wf_run(w, tmp, len, 1, &one, err);
		free(tmp);
		return rc;
	}
	if (alen)
		memcpy(w->buf + w->len, a, alen);
	if (blen)
		memcpy(w->buf + w->len + alen, b, blen);
	w->len += len;
	w->end[w->buf_units++] = (uint32_t)w->len;
	return 0;
}

int pd_wfile_close(struct pd_wfile *w, uint64_t *units, struct pd_error *err)
{
	int rc;

	if (units)
		*units = 0;
	if (!w)
		return 0;
	rc = pd_wfile_flush(w, err);
	if (close(w->fd) < 0 && rc == 0) {
		w->sys_errno = errno;
		rc = wf_fail(w, err);
	}
	if (units)
		*units = w->disk_units;
	free(w);
	return rc;
}

uint64_t pd_wfile_units(const struct pd_wfile *w)
{
	return w ? w->disk_units : 0;
}

bool pd_wfile_truncated(const struct pd_wfile *w)
{
	return w && w->cut;
}

int pd_wfile_errno(const struct pd_wfile *w)
{
	return w ? w->sys_errno : 0;
}
