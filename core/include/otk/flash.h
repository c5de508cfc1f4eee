/*
 * Flash areas: the only way the device library touches storage.
 *
 * A flash area is a window [0, size) of some flash device with the device's
 * geometry: erase unit, write alignment and the value of erased bytes.  The
 * device is behind a table of three functions (read, write, erase) taking
 * offsets relative to the device, so the same update and boot code runs over
 * a fake NOR flash in tests, over files in the virtual device and over an
 * MCU's flash driver (the shape of mcuboot's flash_area API).
 *
 * The helpers check bounds and alignment before calling the driver, so a
 * driver may assume its arguments are valid.
 */
#ifndef OTK_FLASH_H
#define OTK_FLASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Driver: each returns OTK_OK or a negative error (OTK_EIO). */
struct otk_flash_ops {
	int (*read)(void *ctx, uint32_t off, void *buf, size_t len);
	/* Programs bytes; the range must have been erased (NOR: clears bits only). */
	int (*write)(void *ctx, uint32_t off, const void *buf, size_t len);
	/* Erases [off, off + len); both multiples of the erase size. */
	int (*erase)(void *ctx, uint32_t off, size_t len);
};

struct otk_flash_area {
	const struct otk_flash_ops *ops;
	void *ctx;
	uint32_t dev_off;     /* offset of the area in the device */
	uint32_t size;        /* bytes; a multiple of erase_size */
	uint32_t erase_size;  /* power of two */
	uint32_t write_align; /* power of two, 1..256 */
	uint8_t erased;       /* value of an erased byte (0xFF for NOR) */
	uint32_t addr;        /* address of byte 0 as modules see it (prefix start/end) */
};

/* Bounds-checked access; OTK_ERANGE outside the area, OTK_EINVAL misaligned. */
int otk_flash_read(const struct otk_flash_area *fa, uint32_t off, void *buf, size_t len);
int otk_flash_write(const struct otk_flash_area *fa, uint32_t off, const void *buf, size_t len);
int otk_flash_erase(const struct otk_flash_area *fa, uint32_t off, size_t len);

/* Erase enough erase units to cover [off, off + len) (off must be unit-aligned). */
int otk_flash_erase_cover(const struct otk_flash_area *fa, uint32_t off, size_t len);

/* Round len up to the area's write alignment / erase unit. */
uint32_t otk_flash_align_up(const struct otk_flash_area *fa, uint32_t len);
uint32_t otk_flash_erase_up(const struct otk_flash_area *fa, uint32_t len);

/*
 * Whether [off, off + len) reads back as erased.  buf/cap is scratch.
 * Returns 1 erased, 0 not, < 0 read error.
 */
int otk_flash_is_erased(const struct otk_flash_area *fa, uint32_t off, size_t len,
			uint8_t *buf, size_t cap);

/*
 * A sub-area [off, off + len) of fa (same device and geometry, addr moved);
 * OTK_ERANGE when it does not fit, OTK_EINVAL when off is not erase-aligned.
 */
int otk_flash_sub(const struct otk_flash_area *fa, uint32_t off, uint32_t len,
		  struct otk_flash_area *out);

/*
 * Buffered sequential writer: accepts bytes of any length and programs them
 * in write_align units, padding the last unit with the erased value on flush.
 * buf/cap is caller scratch (cap a multiple of write_align).
 */
struct otk_flash_writer {
	const struct otk_flash_area *fa;
	uint32_t off;         /* where buf[0] goes */
	uint8_t *buf;
	size_t cap, used;
};
void otk_flash_writer_init(struct otk_flash_writer *w, const struct otk_flash_area *fa,
			   uint32_t off, uint8_t *buf, size_t cap);
int otk_flash_writer_put(struct otk_flash_writer *w, const void *data, size_t len);
int otk_flash_writer_flush(struct otk_flash_writer *w);

#ifdef __cplusplus
}
#endif

#endif
