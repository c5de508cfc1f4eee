/* Flash area helpers: bounds and alignment checks, buffered writing. */
#include "otk/flash.h"

#include <string.h>

#include "otk/error.h"

static bool in_area(const struct otk_flash_area *fa, uint32_t off, size_t len)
{
	/* written so that off + len cannot overflow */
	return off <= fa->size && len <= fa->size - off;
}

int otk_flash_read(const struct otk_flash_area *fa, uint32_t off, void *buf, size_t len)
{
	if (!in_area(fa, off, len))
		return OTK_ERANGE;
	if (len == 0)
		return OTK_OK;
	return fa->ops->read(fa->ctx, fa->dev_off + off, buf, len);
}

int otk_flash_write(const struct otk_flash_area *fa, uint32_t off, const void *buf, size_t len)
{
	if (!in_area(fa, off, len))
		return OTK_ERANGE;
	if ((off | len) & (fa->write_align - 1u))
		return OTK_EINVAL;
	if (len == 0)
		return OTK_OK;
	return fa->ops->write(fa->ctx, fa->dev_off + off, buf, len);
}

int otk_flash_erase(const struct otk_flash_area *fa, uint32_t off, size_t len)
{
	if (!in_area(fa, off, len))
		return OTK_ERANGE;
	if ((off | len) & (fa->erase_size - 1u))
		return OTK_EINVAL;
	if (len == 0)
		return OTK_OK;
	return fa->ops->erase(fa->ctx, fa->dev_off + off, len);
}

uint32_t otk_flash_align_up(const struct otk_flash_area *fa, uint32_t len)
{
	return (len + fa->write_align - 1u) & ~(fa->write_align - 1u);
}

uint32_t otk_flash_erase_up(const struct otk_flash_area *fa, uint32_t len)
{
	return (len + fa->erase_size - 1u) & ~(fa->erase_size - 1u);
}

int otk_flash_erase_cover(const struct otk_flash_area *fa, uint32_t off, size_t len)
{
	if (len > fa->size)
		return OTK_ERANGE;
	return otk_flash_erase(fa, off, otk_flash_erase_up(fa, (uint32_t)len));
}

int otk_flash_is_erased(const struct otk_flash_area *fa, uint32_t off, size_t len,
			uint8_t *buf, size_t cap)
{
	while (len) {
		size_t n = len < cap ? len : cap;
		int rc = otk_flash_read(fa, off, buf, n);
		if (rc)
			return rc;
		for (size_t i = 0; i < n; i++)
			if (buf[i] != fa->erased)
				return 0;
		off += (uint32_t)n;
		len -= n;
	}
	return 1;
}

int otk_flash_sub(const struct otk_flash_area *fa, uint32_t off, uint32_t len,
		  struct otk_flash_area *out)
{
	if (!in_area(fa, off, len))
		return OTK_ERANGE;
	if (off & (fa->erase_size - 1u))
		return OTK_EINVAL;
	*out = *fa;
	out->dev_off += off;
	out->addr += off;
	out->size = len;
	return OTK_OK;
}

void otk_flash_writer_init(struct otk_flash_writer *w, const struct otk_flash_area *fa,
			   uint32_t off, uint8_t *buf, size_t cap)
{
	w->fa = fa;
	w->off = off;
	w->buf = buf;
	w->cap = cap & ~(size_t)(fa->write_align - 1u);
	w->used = 0;
}

int otk_flash_writer_put(struct otk_flash_writer *w, const void *data, size_t len)
{
	const uint8_t *p = data;
	if (w->cap == 0)
		return OTK_EINVAL;
	while (len) {
		size_t n = w->cap - w->used;
		if (n > len)
			n = len;
		memcpy(w->buf + w->used, p, n);
		w->used += n;
		p += n;
		len -= n;
		if (w->used == w->cap) {
			int rc = otk_flash_write(w->fa, w->off, w->buf, w->cap);
			if (rc)
				return rc;
			w->off += (uint32_t)w->cap;
			w->used = 0;
		}
	}
	return OTK_OK;
}

int otk_flash_writer_flush(struct otk_flash_writer *w)
{
	if (w->used == 0)
		return OTK_OK;
	uint32_t n = otk_flash_align_up(w->fa, (uint32_t)w->used);
	memset(w->buf + w->used, w->fa->erased, n - w->used);
	int rc = otk_flash_write(w->fa, w->off, w->buf, n);
	if (rc)
		return rc;
	w->off += n;
	w->used = 0;
	return OTK_OK;
}
