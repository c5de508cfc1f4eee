/*
 * A CRC-protected ping-pong journal: the one way the device library
 * persists small state (the update engine's progress and copy records in
 * SETTINGS, the asset state in the asset area).
 *
 * Two units of `unit` bytes (a multiple of the erase size) at offsets 0 and
 * `unit` of a flash area hold fixed-size slots.  A record is
 *
 *   [magic: le32][sequence: le32][payload][CRC-32 of the preceding: le32]
 *
 * and the valid record with the highest sequence wins.  Records are
 * appended after the last non-erased slot of the unit holding the winner;
 * when that unit is full the other one (older records only) is erased and
 * takes the next record.  A record cut short by a power loss fails its CRC
 * and the previous one stands; a slot that was written at all, even torn,
 * is never programmed again before its unit is erased.
 */
#ifndef OTK_JOURNAL_H
#define OTK_JOURNAL_H

#include <stdint.h>

#include "otk/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_JOURNAL_HEAD 8u   /* magic + sequence before the payload */

struct otk_journal {
	struct otk_flash_area fa;
	uint32_t magic;
	uint32_t unit;        /* bytes per unit */
	uint16_t len;         /* record bytes, CRC included */
	uint16_t slot;        /* slot bytes (>= len rounded up to the write unit) */
	uint32_t seq;         /* sequence of the newest record, 0 when none */
	uint8_t cur;          /* unit holding the newest record */
	uint32_t next;        /* offset of the next free slot in cur */
};

/*
 * Describe a journal (no flash access).  Needs 2 * unit <= fa->size, unit a
 * multiple of the erase size, len >= 12, align_up(len) <= slot <= unit.
 * Returns OTK_OK or OTK_EINVAL.
 */
int otk_journal_init(struct otk_journal *j, const struct otk_flash_area *fa, uint32_t magic,
		     uint32_t unit, uint16_t len, uint16_t slot);

/*
 * Find the newest valid record.  scratch and rec: len bytes each (may not
 * overlap).  Returns 1 with the record in rec, 0 when there is none, or a
 * flash error.
 */
int otk_journal_load(struct otk_journal *j, uint8_t *rec, uint8_t *scratch);

/*
 * Append a record.  rec holds the payload at [OTK_JOURNAL_HEAD, len - 4)
 * and has room for the record rounded up to the write unit; magic,
 * sequence, CRC and padding are filled in here.  Returns OTK_OK or a flash
 * error (the slot is then skipped).
 */
int otk_journal_append(struct otk_journal *j, uint8_t *rec);

#ifdef __cplusplus
}
#endif

#endif
