/*
 * The copy at boot: complete the copy records an apply persisted (copy or
 * inflate from staging into place, verify, clear the records), and the
 * staged-module helpers validation shares.  A bootloader links this with
 * image.c and update_state.c, without the transfer code (update.c).
 */
#include <string.h>

#include "otk/error.h"
#include "otk/crc32.h"
#include "update_internal.h"

int otk_staged_span(const struct otk_update *u, uint32_t base, uint32_t size, struct otk_staged *s)
{
	uint8_t h[8];
	uint32_t pos = OTK_PREFIX_SIZE;
	int rc;
	if (s->p.flags & OTK_FLAG_PREFIX_EXTENSIONS) {
		for (;;) {
			if (pos + OTK_EXT_HEADER_SIZE > size || pos > 4096u)
				return OTK_EBADEXT;
			rc = otk_flash_read(&u->ota, base + pos, h, 4);
			if (rc)
				return rc;
			uint16_t type = otk_le16(h), len = otk_le16(h + 2);
			if (len < OTK_EXT_HEADER_SIZE)
				return OTK_EBADEXT;
			pos += len;
			if (type == OTK_EXT_END)
				break;
		}
	}
	if (pos + 8u + 6u > size)
		return OTK_EBADCOMPRESS;
	rc = otk_flash_read(&u->ota, base + pos, h, 8);
	if (rc)
		return rc;
	uint16_t hsize = otk_le16(h);
	if (hsize < 8u || h[2] != 0 || (h[3] != 0 && (h[3] < 8 || h[3] > 15)))
		return OTK_EBADCOMPRESS;
	s->wbits = h[3] ? h[3] : 15;
	s->slot.out_len = otk_le32(h + 4);
	s->data_off = base + pos + hsize;
	rc = otk_flash_read(&u->ota, base + size - 6u, h, 2);
	if (rc)
		return rc;
	uint32_t suffix = otk_le16(h);
	if (suffix + 4u > size || base + size - 4u - suffix < s->data_off)
		return OTK_EBADSUFFIX;
	s->data_end = base + size - 4u - suffix;
	return OTK_OK;
}

/* Output is written in whole buffers so every write but the last is aligned. */
int otk_staged_inflate(struct otk_update *u, const struct otk_staged *s,
		       const struct otk_flash_area *fa, uint32_t off)
{
	struct otk_inflate *inf = u->cfg.inflate;
	size_t wsize = (size_t)1 << s->wbits;
	uint32_t align = fa ? fa->write_align : 1u;
	size_t half = (u->cfg.buf_size / 2) & ~(size_t)(align - 1u);
	uint8_t *in = u->cfg.buf, *out = u->cfg.buf + half;
	uint32_t pos = s->data_off, total = 0, crc = 0, n_out = s->slot.out_len;
	uint8_t tail[4] = { 0 };
	const uint8_t *ip = in;
	size_t il = 0, used = 0;
	bool starved = true;    /* the decoder stopped for input, not for room */
	int rc, st = OTK_OK;

	if (!inf || !u->cfg.window || u->cfg.window_size < wsize)
		return OTK_EUPD_UNSUPPORTED;
	if (n_out < 4)
		return OTK_EUPD_INTEGRITY;
	if (otk_inflate_init(inf, u->cfg.window, wsize))
		return OTK_EUPD_UNSUPPORTED;
	while (st != OTK_INFLATE_END) {
		if (il == 0 && starved) {
			uint32_t n = s->data_end - pos;
			if (n > half)
				n = (uint32_t)half;
			if (n == 0)
				return OTK_EUPD_INTEGRITY;  /* deflate data ends early */
			rc = otk_flash_read(&u->ota, pos, in, n);
			if (rc)
				return rc;
			pos += n;
			ip = in;
			il = n;
		}
		uint8_t *op = out + used;
		size_t ol = half - used;
		st = otk_inflate_process(inf, &ip, &il, &op, &ol);
		if (st < 0)
			return OTK_EUPD_INTEGRITY;
		starved = ol != 0;
		uint32_t got = (uint32_t)(half - used - ol);
		if (got > n_out - total)
			return OTK_EUPD_INTEGRITY;      /* more than declared */
		/* the CRC covers all but the last 4 bytes, which hold it */
		uint32_t crc_n = total >= n_out - 4 ? 0 : n_out - 4 - total;
		if (crc_n > got)
			crc_n = got;
		crc = otk_crc32_update(crc, out + used, crc_n);
		for (uint32_t k = crc_n; k < got; k++)
			tail[total + k - (n_out - 4)] = out[used + k];
		total += got;
		used += got;
		if (used == half || st == OTK_INFLATE_END) {
			if (fa && used) {
				uint32_t w = otk_flash_align_up(fa, (uint32_t)used);
				memset(out + used, fa->erased, w - used);
				rc = otk_flash_write(fa, off + total - (uint32_t)used, out, w);
				if (rc)
					return rc;
			}
			used = 0;
		}
	}
	if (total != n_out || otk_be32(tail) != crc)
		return OTK_EUPD_INTEGRITY;
	return OTK_OK;
}

static int copy_slot(struct otk_update *u, const struct otk_copy_slot *c)
{
	struct otk_flash_area dst;
	struct otk_staged s;
	const struct otk_layout_area *la =
		otk_layout_module_area(u->cfg.dev->layout, c->function, c->index);
	int rc;
	if (!la)
		return OTK_EUPD_RANGE;
	rc = u->cfg.dev->open(u->cfg.dev->ctx, la, &dst);
	if (rc)
		return rc;
	if (c->dst < dst.addr || c->dst - dst.addr > dst.size)
		return OTK_EUPD_RANGE;
	uint32_t off = c->dst - dst.addr;
	if (c->out_len > dst.size - off)
		return OTK_EUPD_TOOLARGE;
	/* erase from the area's start so no older module is found before it
	 * (an area that grows down is scanned from its end: erase from the
	 * module down to the end) */
	uint32_t e0 = la->grows_left ? off & ~(dst.erase_size - 1u) : 0;
	rc = otk_flash_erase_cover(&dst, e0, off - e0 + c->out_len);
	if (rc)
		return rc;
	if (c->flags & OTK_FLAG_COMPRESSED) {
		memset(&s, 0, sizeof(s));
		s.slot = *c;
		rc = otk_flash_read(&u->ota, c->src, u->cfg.buf, OTK_PREFIX_SIZE);
		if (rc)
			return rc;
		otk_prefix_decode(u->cfg.buf, &s.p);
		rc = otk_staged_span(u, c->src, c->len, &s);
		if (!rc)
			rc = otk_staged_inflate(u, &s, &dst, off);
	} else {
		size_t chunk = u->cfg.buf_size & ~(size_t)(dst.write_align - 1u);
		for (uint32_t pos = 0; pos < c->len && !rc;) {
			uint32_t n = c->len - pos;
			if (n > chunk)
				n = (uint32_t)chunk;
			rc = otk_flash_read(&u->ota, c->src + pos, u->cfg.buf, n);
			if (rc)
				return rc;
			uint32_t w = otk_flash_align_up(&dst, n);
			memset(u->cfg.buf + n, dst.erased, w - n);
			rc = otk_flash_write(&dst, off + pos, u->cfg.buf, w);
			pos += n;
		}
	}
	if (rc)
		return rc;
	return otk_image_crc_check(&dst, off, c->out_len, u->cfg.buf, u->cfg.buf_size);
}

int otk_update_recover(struct otk_update *u, unsigned *copied)
{
	int rc = OTK_OK, result = OTK_OK;
	unsigned done = 0;
	if (copied)
		*copied = 0;
	if (!u->nslots)
		return otk_update_store_cleanup(u);
	struct otk_copy_slot slots[OTK_UPDATE_SLOTS];
	uint8_t n = u->nslots;
	memcpy(slots, u->slot, sizeof(slots));
	for (uint8_t i = 0; i < n; i++) {
		if (slots[i].function == OTK_FUNC_BOOTLOADER && u->nslots) {
			/* as Device OS: the bootloader's record is cleared before
			 * its copy, so a bad copy is never retried in a loop */
			u->nslots = 0;
			rc = otk_update_persist(u);
			if (rc)
				return rc;
		}
		for (int attempt = 0; attempt < 2; attempt++) {
			rc = copy_slot(u, &slots[i]);
			if (rc != OTK_EUPD_INTEGRITY)
				break;
		}
		if (otk_error_is_data(rc))
			result = OTK_EUPD_COPY;     /* give up on this one, go on */
		else if (rc)
			return rc;                  /* flash failure: retry next boot */
		else
			done++;
	}
	if (u->nslots) {
		u->nslots = 0;
		rc = otk_update_persist(u);
		if (rc)
			return rc;
	}
	rc = otk_update_store_cleanup(u);
	if (rc)
		return rc;
	if (copied)
		*copied = done;
	return result;
}
