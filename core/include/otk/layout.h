/*
 * Flash layouts: where each role (bootloader, system parts, user part, OTA
 * staging, factory image, assets, settings) lives on each platform, in the
 * address space that module prefixes use.  Facts from Device OS (see
 * docs/device-update.md); the gcc virtual platform's layout is ours.
 */
#ifndef OTK_LAYOUT_H
#define OTK_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum otk_area_role {
	OTK_AREA_BOOTLOADER = 1, /* function 2, by index (p2: 0 main, 1 MBR, 2 KM0) */
	OTK_AREA_SYSTEM,         /* function 4, by index */
	OTK_AREA_USER,           /* function 5, by index */
	OTK_AREA_RADIO,          /* function 8 (SoftDevice) */
	OTK_AREA_OTA,            /* staging for received files */
	OTK_AREA_FACTORY,        /* factory-reset user image */
	OTK_AREA_ASSETS,
	OTK_AREA_SETTINGS,       /* DCT / our persisted update state (2+ erase units) */
	OTK_AREA_FS,             /* file system */
};

enum otk_area_storage {
	OTK_AREA_INTERNAL = 0,
	OTK_AREA_EXTERNAL = 1,   /* external SPI flash: addresses are offsets in it */
};

struct otk_layout_area {
	uint8_t role;            /* enum otk_area_role */
	uint8_t index;           /* module index for module roles, else 0 */
	uint8_t storage;         /* enum otk_area_storage */
	uint8_t grows_left;      /* module ends at addr + size (p2 user part) */
	uint32_t addr;
	uint32_t size;
};

struct otk_layout {
	uint16_t platform;
	const char *name;
	const struct otk_layout_area *areas;
	uint8_t nareas;
	uint32_t erase_size;     /* internal flash erase unit used by our code */
};

/* Number of layouts and iteration. */
size_t otk_layout_count(void);
const struct otk_layout *otk_layout_at(size_t i);
/* NULL when the platform has no layout. */
const struct otk_layout *otk_layout_by_platform(uint16_t platform);

/* The area with this role and index, or NULL. */
const struct otk_layout_area *otk_layout_find(const struct otk_layout *l, uint8_t role,
					      uint8_t index);

/*
 * Area a module of this function and index is installed into (bootloader,
 * mono/system, user, radio stack), or NULL for functions that have none.
 */
const struct otk_layout_area *otk_layout_module_area(const struct otk_layout *l,
						     uint8_t function, uint8_t index);

/* Map a module function to an area role (0 when none). */
uint8_t otk_layout_role_for_function(uint8_t function);

/* The function of the modules a boot scan looks for in an area role:
 * bootloader, system, user; 0 (OTK_FUNC_NONE) for the others. */
uint8_t otk_layout_function_for_role(uint8_t role);

/*
 * A device: a layout bound to flash drivers.  open() fills a flash area for
 * a layout area (device, offset, geometry; addr = area->addr) and returns
 * OTK_OK, or an error when that area is not available.
 */
struct otk_flash_area;
struct otk_device {
	const struct otk_layout *layout;
	uint16_t platform;
	int (*open)(void *ctx, const struct otk_layout_area *area, struct otk_flash_area *out);
	void *ctx;
};

/* Open the area with this role and index; OTK_ENOTFOUND when the layout lacks it. */
int otk_device_open(const struct otk_device *dev, uint8_t role, uint8_t index,
		    struct otk_flash_area *out);

#ifdef __cplusplus
}
#endif

#endif
