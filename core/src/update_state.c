/*
 * The update engine's persisted state: one record in the SETTINGS journal
 * (otk/journal.h) holding the transfer progress and the copy records.  Used
 * by the transfer (update.c) and by the copy at boot (copy.c), so a
 * bootloader links this without the transfer code.
 */
#include <string.h>

#include "otk/error.h"
#include "update_internal.h"

#define J_MAGIC 0x554B544Fu  /* "OTKU" */
#define J_SLOT 256u
#define J_SLOTREC 20u
#define J_LEN (84u + OTK_UPDATE_SLOTS * J_SLOTREC + 4u)
_Static_assert(J_LEN <= J_SLOT, "journal record must fit its slot");
#define J_VALID 0x01u
#define J_STORE_GONE 0x02u

/* Record: [magic][seq] then the fields below, then the CRC (journal.h). */
static void encode(const struct otk_update *u, uint8_t *r)
{
	memset(r, 0, J_LEN);
	r[8] = (u->p_valid ? J_VALID : 0) | (u->p_store_gone ? J_STORE_GONE : 0);
	r[9] = u->p_flags;
	r[10] = u->p_function;
	r[11] = u->nslots;
	otk_put_le32(r + 12, u->p_size);
	otk_put_le32(r + 16, u->p_prefix);
	memcpy(r + 20, u->p_file_sha, OTK_SHA256_LEN);
	memcpy(r + 52, u->p_prefix_sha, OTK_SHA256_LEN);
	for (unsigned i = 0; i < u->nslots; i++) {
		uint8_t *s = r + 84 + i * J_SLOTREC;
		const struct otk_copy_slot *c = &u->slot[i];
		otk_put_le32(s, c->src);
		otk_put_le32(s + 4, c->len);
		otk_put_le32(s + 8, c->dst);
		otk_put_le32(s + 12, c->out_len);
		s[16] = c->flags;
		s[17] = c->function;
		s[18] = c->index;
	}
}

static void decode(struct otk_update *u, const uint8_t *r)
{
	u->p_valid = (r[8] & J_VALID) != 0;
	u->p_store_gone = (r[8] & J_STORE_GONE) != 0;
	u->p_flags = r[9];
	u->p_function = r[10];
	u->nslots = r[11] <= OTK_UPDATE_SLOTS ? r[11] : 0;
	u->p_size = otk_le32(r + 12);
	u->p_prefix = otk_le32(r + 16);
	memcpy(u->p_file_sha, r + 20, OTK_SHA256_LEN);
	memcpy(u->p_prefix_sha, r + 52, OTK_SHA256_LEN);
	for (unsigned i = 0; i < u->nslots; i++) {
		const uint8_t *s = r + 84 + i * J_SLOTREC;
		struct otk_copy_slot *c = &u->slot[i];
		c->src = otk_le32(s);
		c->len = otk_le32(s + 4);
		c->dst = otk_le32(s + 8);
		c->out_len = otk_le32(s + 12);
		c->flags = s[16];
		c->function = s[17];
		c->index = s[18];
	}
}

int otk_update_persist(struct otk_update *u)
{
	encode(u, u->cfg.buf);
	return otk_journal_append(&u->journal, u->cfg.buf);
}

int otk_update_init(struct otk_update *u, const struct otk_update_config *cfg)
{
	struct otk_flash_area settings;
	int rc;
	memset(u, 0, sizeof(*u));
	if (!cfg || !cfg->dev || !cfg->buf || cfg->buf_size < OTK_UPDATE_MIN_BUF ||
	    cfg->buf_size < 2u * J_SLOT)
		return OTK_EINVAL;
	u->cfg = *cfg;
	rc = otk_device_open(cfg->dev, OTK_AREA_OTA, 0, &u->ota);
	if (!rc)
		rc = otk_device_open(cfg->dev, OTK_AREA_SETTINGS, 0, &settings);
	if (rc)
		return rc;
	/* two erase units of SETTINGS, 256-byte slots */
	if (settings.erase_size < J_SLOT || settings.write_align > J_SLOT)
		return OTK_EINVAL;
	rc = otk_journal_init(&u->journal, &settings, J_MAGIC, settings.erase_size, J_LEN, J_SLOT);
	if (rc)
		return rc;
	rc = otk_journal_load(&u->journal, u->cfg.buf + J_SLOT, u->cfg.buf);
	if (rc == 1)
		decode(u, u->cfg.buf + J_SLOT);
	if (rc < 0)
		return rc;
	/* where staging runs into the asset area (same flash, overlapping) */
	const struct otk_layout *l = cfg->dev->layout;
	const struct otk_layout_area *o = otk_layout_find(l, OTK_AREA_OTA, 0);
	const struct otk_layout_area *a = otk_layout_find(l, OTK_AREA_ASSETS, 0);
	u->store_at = u->ota.size;
	if (o && a && o->storage == a->storage && a->addr >= o->addr && a->addr - o->addr < u->ota.size)
		u->store_at = a->addr - o->addr;
	return OTK_OK;
}

/*
 * Format the asset area after a transfer wrote staging over it: only once
 * no copy record and no resumable transfer needs those bytes.  The copy
 * records are cleared first (a cut then redoes nothing from erased
 * staging), the flag last (a cut during the erase erases again).
 */
int otk_update_store_cleanup(struct otk_update *u)
{
	struct otk_flash_area fa;
	int rc;
	if (!u->p_store_gone || u->nslots || (u->p_valid && u->p_size > u->store_at))
		return OTK_OK;
	rc = otk_device_open(u->cfg.dev, OTK_AREA_ASSETS, 0, &fa);
	if (rc)
		return rc;
	for (uint32_t off = 0; off < fa.size; off += fa.erase_size) {
		rc = otk_flash_is_erased(&fa, off, fa.erase_size, u->cfg.buf, u->cfg.buf_size);
		if (rc == 0)
			rc = otk_flash_erase(&fa, off, fa.erase_size);
		if (rc < 0)
			return rc;
	}
	u->p_store_gone = false;
	return otk_update_persist(u);
}

bool otk_update_pending(const struct otk_update *u)
{
	return u->nslots != 0;
}
