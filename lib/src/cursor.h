/* cursor.h - bounds-checked reads over a byte buffer (internal).
 *
 * Every decoder reads packet bytes only through these helpers.  A read that
 * would pass the end returns false and leaves the output untouched, so a
 * decoder can never read past what was captured.  Multi-byte reads are
 * big-endian (network order) unless the name says _le.
 */
#ifndef PATHDIAG_CURSOR_H
#define PATHDIAG_CURSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct pd_cursor {
	const uint8_t *buf;
	size_t len;
	size_t off;
};

static inline struct pd_cursor pd_cur_init(const uint8_t *buf, size_t len)
{
	struct pd_cursor c = { buf, len, 0 };
	return c;
}

static inline size_t pd_cur_left(const struct pd_cursor *c)
{
	return c->len - c->off;
}

static inline bool pd_cur_has(const struct pd_cursor *c, size_t n)
{
	return n <= c->len - c->off;
}

static inline bool pd_cur_skip(struct pd_cursor *c, size_t n)
{
	if (!pd_cur_has(c, n))
		return false;
	c->off += n;
	return true;
}

static inline bool pd_cur_u8(struct pd_cursor *c, uint8_t *v)
{
	if (!pd_cur_has(c, 1))
		return false;
	*v = c->buf[c->off++];
	return true;
}

static inline bool pd_cur_be16(struct pd_cursor *c, uint16_t *v)
{
	if (!pd_cur_has(c, 2))
		return false;
	*v = (uint16_t)((unsigned)c->buf[c->off] << 8 | c->buf[c->off + 1]);
	c->off += 2;
	return true;
}

static inline bool pd_cur_be32(struct pd_cursor *c, uint32_t *v)
{
	if (!pd_cur_has(c, 4))
		return false;
	const uint8_t *p = c->buf + c->off;
	*v = (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
	c->off += 4;
	return true;
}

static inline bool pd_cur_le16(struct pd_cursor *c, uint16_t *v)
{
	if (!pd_cur_has(c, 2))
		return false;
	*v = (uint16_t)(c->buf[c->off] | (unsigned)c->buf[c->off + 1] << 8);
	c->off += 2;
	return true;
}

static inline bool pd_cur_le32(struct pd_cursor *c, uint32_t *v)
{
	if (!pd_cur_has(c, 4))
		return false;
	const uint8_t *p = c->buf + c->off;
	*v = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
	c->off += 4;
	return true;
}

static inline bool pd_cur_le64(struct pd_cursor *c, uint64_t *v)
{
	uint32_t lo = 0, hi = 0;
	if (!pd_cur_has(c, 8))
		return false;
	pd_cur_le32(c, &lo);
	pd_cur_le32(c, &hi);
	*v = (uint64_t)hi << 32 | lo;
	return true;
}

static inline bool pd_cur_bytes(struct pd_cursor *c, void *dst, size_t n)
{
	if (!pd_cur_has(c, n))
		return false;
	memcpy(dst, c->buf + c->off, n);
	c->off += n;
	return true;
}

/* Peek without moving: byte at off + i, if present. */
static inline bool pd_cur_peek8(const struct pd_cursor *c, size_t i, uint8_t *v)
{
	if (!pd_cur_has(c, i + 1))
		return false;
	*v = c->buf[c->off + i];
	return true;
}

/* Unaligned big-endian loads from a buffer already known to hold them. */
static inline uint16_t pd_load_be16(const uint8_t *p)
{
	return (uint16_t)((unsigned)p[0] << 8 | p[1]);
}

static inline uint32_t pd_load_be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static inline void pd_store_be16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static inline void pd_store_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

#endif
