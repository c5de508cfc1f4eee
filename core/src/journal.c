/* The ping-pong journal: see otk/journal.h. */
#include "otk/journal.h"

#include <string.h>

#include "otk/crc32.h"
#include "otk/error.h"
#include "otk/module.h"

int otk_journal_init(struct otk_journal *j, const struct otk_flash_area *fa, uint32_t magic,
		     uint32_t unit, uint16_t len, uint16_t slot)
{
	memset(j, 0, sizeof(*j));
	if (!fa->erase_size || unit % fa->erase_size || unit > fa->size / 2 || len < 12 ||
	    otk_flash_align_up(fa, len) > slot || slot > unit)
		return OTK_EINVAL;
	j->fa = *fa;
	j->magic = magic;
	j->unit = unit;
	j->len = len;
	j->slot = slot;
	return OTK_OK;
}

static bool valid(const struct otk_journal *j, const uint8_t *r)
{
	return otk_le32(r) == j->magic &&
	       otk_le32(r + j->len - 4) == otk_crc32_update(0, r, j->len - 4u);
}

/* Whether fa[off, off + n) reads back erased: the first len bytes into
 * scratch, the padding a few bytes at a time.  1 yes, 0 no, < 0 error. */
static int slot_erased(const struct otk_journal *j, uint32_t off, uint32_t n, uint8_t *scratch)
{
	int rc = otk_flash_read(&j->fa, off, scratch, j->len);
	if (rc)
		return rc;
	for (uint32_t i = 0; i < j->len; i++)
		if (scratch[i] != j->fa.erased)
			return 0;
	uint8_t pad[16];
	for (uint32_t p = j->len; p < n; p += sizeof(pad)) {
		uint32_t k = n - p < sizeof(pad) ? n - p : (uint32_t)sizeof(pad);
		rc = otk_flash_read(&j->fa, off + p, pad, k);
		if (rc)
			return rc;
		for (uint32_t q = 0; q < k; q++)
			if (pad[q] != j->fa.erased)
				return 0;
	}
	return 1;
}

int otk_journal_load(struct otk_journal *j, uint8_t *rec, uint8_t *scratch)
{
	uint32_t used[2] = { 0, 0 };
	uint32_t n = otk_flash_align_up(&j->fa, j->len);
	int found = 0;
	j->seq = 0;
	j->cur = 0;
	for (uint32_t u = 0; u < 2; u++) {
		for (uint32_t off = 0; off + j->slot <= j->unit; off += j->slot) {
			/* the whole written span: a slot written at all, even
			 * torn, is used and never programmed again */
			int rc = slot_erased(j, u * j->unit + off, n, scratch);
			if (rc < 0)
				return rc;
			if (rc)
				continue;
			used[u] = off + j->slot;
			uint32_t seq = otk_le32(scratch + 4);
			if (valid(j, scratch) && (!found || seq > j->seq)) {
				found = 1;
				j->seq = seq;
				j->cur = (uint8_t)u;
				memcpy(rec, scratch, j->len);
			}
		}
	}
	j->next = used[j->cur];
	return found;
}

int otk_journal_append(struct otk_journal *j, uint8_t *rec)
{
	int rc;
	if (j->next + j->slot > j->unit) {
		/* the other unit only holds older records: safe to erase */
		uint8_t other = (uint8_t)(j->cur ^ 1u);
		rc = otk_flash_erase(&j->fa, other * j->unit, j->unit);
		if (rc)
			return rc;
		j->cur = other;
		j->next = 0;
	}
	uint32_t n = otk_flash_align_up(&j->fa, j->len);
	otk_put_le32(rec, j->magic);
	otk_put_le32(rec + 4, j->seq + 1);
	otk_put_le32(rec + j->len - 4, otk_crc32_update(0, rec, j->len - 4u));
	memset(rec + j->len, j->fa.erased, n - j->len);
	rc = otk_flash_write(&j->fa, j->cur * j->unit + j->next, rec, n);
	j->next += j->slot;   /* a failed write leaves a used slot: skip it either way */
	if (rc)
		return rc;
	j->seq++;
	return OTK_OK;
}
