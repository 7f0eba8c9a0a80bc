/* error.h - the one error convention of libpathdiag.
 *
 * Every fallible library call returns an int: 0 (PD_OK) on success or a
 * negative enum pd_status.  When the caller passes a struct pd_error, the
 * call also says what was wrong and, for decoders, at which byte offset of
 * the buffer it was handed.  `what` always points to a string literal, so an
 * error can be copied and kept without ownership questions.
 *
 * The library never prints and never exits: tools turn errors into text.
 */
#ifndef PATHDIAG_ERROR_H
#define PATHDIAG_ERROR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum pd_status {
	PD_OK = 0,
	PD_ERR_TRUNCATED = -1,   /* buffer ends before the header/field does */
	PD_ERR_MALFORMED = -2,   /* a field holds a value the format forbids */
	PD_ERR_UNSUPPORTED = -3, /* valid, but a variant we do not decode */
	PD_ERR_INVAL = -4,       /* caller passed an invalid argument */
	PD_ERR_NOSPACE = -5,     /* output buffer too small (encoders) */
	PD_ERR_NOMEM = -6,
	PD_ERR_SYSTEM = -7,      /* an OS call failed; errno in sys_errno */
	PD_ERR_NOTFOUND = -8,    /* a lookup found nothing */
	PD_ERR_PERM = -9,        /* a privilege is missing; `what` names the
				    capability (e.g. CAP_NET_RAW) */
	PD_ERR_TIMEOUT = -10,    /* no answer within the time allowed */
};

struct pd_error {
	int code;          /* enum pd_status */
	size_t offset;     /* byte offset into the decoded buffer, if relevant */
	const char *what;  /* static description, e.g. "IPv4 IHL below 5" */
	int sys_errno;     /* for PD_ERR_SYSTEM */
};

/* Record an error (if err is non-NULL) and return code, so decoders can
 * write `return pd_fail(err, PD_ERR_TRUNCATED, off, "...");`. */
int pd_fail(struct pd_error *err, int code, size_t offset, const char *what);

/* Short name of a status code: "truncated", "malformed", ... */
const char *pd_status_name(int code);

#ifdef __cplusplus
}
#endif
#endif
