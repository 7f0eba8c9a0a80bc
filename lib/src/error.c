/* error.c - the library's error convention (see pathdiag/error.h). */
#include <pathdiag/error.h>

int pd_fail(struct pd_error *err, int code, size_t offset, const char *what)
{
	if (err) {
		err->code = code;
		err->offset = offset;
		err->what = what;
		err->sys_errno = 0;
	}
	return code;
}

const char *pd_status_name(int code)
{
	switch (code) {
	case PD_OK: return "ok";
	case PD_ERR_TRUNCATED: return "truncated";
	case PD_ERR_MALFORMED: return "malformed";
	case PD_ERR_UNSUPPORTED: return "unsupported";
	case PD_ERR_INVAL: return "invalid argument";
	case PD_ERR_NOSPACE: return "no space";
	case PD_ERR_NOMEM: return "out of memory";
	case PD_ERR_SYSTEM: return "system error";
	case PD_ERR_NOTFOUND: return "not found";
	case PD_ERR_PERM: return "permission denied";
	case PD_ERR_TIMEOUT: return "timed out";
	}
	return "unknown error";
}
