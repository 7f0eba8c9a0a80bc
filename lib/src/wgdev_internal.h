/* wgdev_internal.h - what the two WireGuard configuration parsers share
 * (internal): filling a struct pd_wg_device into caller-given storage while
 * counting what the reply holds (see pathdiag/wgdev.h), and the two-pass
 * parse-then-allocate used by the socket functions.  Not exported.
 */
#ifndef PATHDIAG_WGDEV_INTERNAL_H
#define PATHDIAG_WGDEV_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pathdiag/error.h>
#include <pathdiag/wgdev.h>

struct wg_build {
	struct pd_wg_device *dev;
	struct pd_wg_peer *cur;      /* the peer being filled (NULL: counted only) */
	size_t cur_allowed;          /* allowed IPs of the current peer */
	bool in_peer;
	uint8_t last_key[PD_WGDEV_KEY_LEN];
};

/* Reset dev except its storage fields; check the storage is usable. */
int wgb_begin(struct pd_wg_device *dev, struct wg_build *b, struct pd_error *err);
/* A new peer with this public key (stored if it fits, counted anyway). */
void wgb_peer_begin(struct wg_build *b, const uint8_t key[PD_WGDEV_KEY_LEN]);
/* An allowed IP of the current peer. */
void wgb_allowed_add(struct wg_build *b, const struct pd_wg_allowedip *ip);
/* Finish: slice pointers; PD_ERR_NOSPACE if anything did not fit. */
int wgb_end(struct wg_build *b, struct pd_error *err);
bool wgb_all_zero(const uint8_t *p, size_t n);

/* Parse twice: once to count, once into storage of that size (allocated;
 * pd_wg_device_free() releases it). */
typedef int (*wgb_parse_fn)(const void *buf, size_t len, uint16_t family,
			    struct pd_wg_device *dev, struct pd_error *err);
int wgb_parse_alloc(wgb_parse_fn fn, const void *buf, size_t len, uint16_t family,
		    struct pd_wg_device *dev, struct pd_error *err);

#endif
