/* wfile.h - an output file made of whole units (a capture file's header
 * and records, a record file's records) that never ends inside a unit:
 * when writing fails (disk full, quota, I/O error, a file size limit) the
 * file is cut back to the end of the last unit it held whole, and the
 * caller learns how many units that is.
 *
 * Units are collected in a buffer and written with write(2) in runs of
 * whole units; when a run fails part-way the file is cut with ftruncate(2)
 * after the last unit of the run that reached it whole.
 * Files that cannot be cut (a pipe, /dev/full) keep whatever the kernel
 * took; pd_wfile_truncated() then says false.
 *
 * Errors are PD_ERR_SYSTEM with err->sys_errno set; after the first error
 * every call fails the same way and nothing more is written.  The library
 * never prints.
 */
#ifndef PATHDIAG_WFILE_H
#define PATHDIAG_WFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pathdiag/error.h>

#ifdef __cplusplus
extern "C" {
#endif

#define PD_WFILE_BUF (256u << 10) /* bytes collected before a write */

struct pd_wfile;

/* Create (or empty) path, mode 0666 before the umask.  *out is NULL on
 * failure. */
int pd_wfile_open(struct pd_wfile **out, const char *path, struct pd_error *err);

/* Append one unit made of a (alen bytes) followed by b (blen bytes; b may be
 * NULL when blen is 0).  A unit longer than PD_WFILE_BUF is written on its
 * own. */
int pd_wfile_put(struct pd_wfile *w, const void *a, size_t alen, const void *b, size_t blen,
		 struct pd_error *err);

/* Write what is buffered. */
int pd_wfile_flush(struct pd_wfile *w, struct pd_error *err);

/* Flush, close and free (w may be NULL); *units (may be NULL) gets the
 * units the file holds whole in the end.  Returns the first error of the
 * file's life if there was one (so a caller that ignored a put's result
 * still learns of it here). */
int pd_wfile_close(struct pd_wfile *w, uint64_t *units, struct pd_error *err);

/* Units the file holds whole on disk (written, or cut back to after a
 * failure), not counting those still buffered. */
uint64_t pd_wfile_units(const struct pd_wfile *w);

/* After a failure: true when the file was cut back to a unit boundary. */
bool pd_wfile_truncated(const struct pd_wfile *w);

/* The errno value of the first failure, 0 if none. */
int pd_wfile_errno(const struct pd_wfile *w);

#ifdef __cplusplus
}
#endif
#endif
