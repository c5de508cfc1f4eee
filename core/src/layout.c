/*
 * Flash layouts of every platform in the device update spec, plus ours for
 * the virtual (gcc) device.  Where Device OS keeps something in its file
 * system (nRF52840, RTL872x), the SETTINGS area is a region we reserve at the
 * end of that file system for the update engine's journal.
 */
#include "otk/layout.h"

#include "otk/error.h"
#include "otk/flash.h"
#include "otk/module.h"

#define K(x) ((uint32_t)(x) * 1024u)
#define A(role, idx, st, left, addr, size) { role, idx, st, left, addr, size }
#define I OTK_AREA_INTERNAL
#define E OTK_AREA_EXTERNAL

/* photon, p1: STM32F2, prefix at +0x184 */
static const struct otk_layout_area stm32_photon[] = {
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x08000000u, K(16)),
	A(OTK_AREA_SETTINGS, 0, I, 0, 0x08004000u, K(32)),  /* DCT1 + DCT2 */
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x08020000u, K(256)),
	A(OTK_AREA_SYSTEM, 2, I, 0, 0x08060000u, K(256)),
	A(OTK_AREA_USER, 1, I, 0, 0x080A0000u, K(128)),
	A(OTK_AREA_OTA, 0, I, 0, 0x080C0000u, K(256)),
	A(OTK_AREA_FACTORY, 0, I, 0, 0x080E0000u, K(128)),
};

/* electron: the file named system-part1 is index 3, part2 index 1, part3 index 2 */
static const struct otk_layout_area stm32_electron[] = {
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x08000000u, K(16)),
	A(OTK_AREA_SETTINGS, 0, I, 0, 0x08004000u, K(32)),
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x08020000u, K(128)),
	A(OTK_AREA_SYSTEM, 2, I, 0, 0x08040000u, K(128)),
	A(OTK_AREA_SYSTEM, 3, I, 0, 0x08060000u, K(128)),
	A(OTK_AREA_USER, 1, I, 0, 0x08080000u, K(128)),
	A(OTK_AREA_FACTORY, 0, I, 0, 0x080A0000u, K(128)),
	A(OTK_AREA_OTA, 0, I, 0, 0x080C0000u, K(128)),
};

/* argon, boron, bsom: nRF52840 + 4 MB external flash */
static const struct otk_layout_area nrf_4mb[] = {
	A(OTK_AREA_RADIO, 0, I, 0, 0x00001000u, 0x26000u),
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x00028000u, K(560)),
	A(OTK_AREA_USER, 2, I, 0, 0x000B4000u, K(256)),
	A(OTK_AREA_USER, 1, I, 0, 0x000D4000u, K(128)),     /* legacy 128K user part */
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x000F4000u, K(48)),
	A(OTK_AREA_FS, 0, E, 0, 0x00000000u, 0x1FE000u),
	A(OTK_AREA_SETTINGS, 0, E, 0, 0x001FE000u, K(8)),
	A(OTK_AREA_FACTORY, 0, E, 0, 0x00200000u, K(256)),
	A(OTK_AREA_OTA, 0, E, 0, 0x0024C000u, 1536000u),
	A(OTK_AREA_ASSETS, 0, E, 0, 0x002E0000u, 288u * K(4)), /* overlaps OTA beyond 606,208 B */
};

/* tracker, b5som, esomx: nRF52840 + 8 MB external flash */
static const struct otk_layout_area nrf_8mb[] = {
	A(OTK_AREA_RADIO, 0, I, 0, 0x00001000u, 0x26000u),
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x00028000u, K(560)),
	A(OTK_AREA_USER, 2, I, 0, 0x000B4000u, K(256)),
	A(OTK_AREA_USER, 1, I, 0, 0x000D4000u, K(128)),
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x000F4000u, K(48)),
	A(OTK_AREA_FS, 0, E, 0, 0x00000000u, 0x3FE000u),
	A(OTK_AREA_SETTINGS, 0, E, 0, 0x003FE000u, K(8)),
	A(OTK_AREA_ASSETS, 0, E, 0, 0x00400000u, K(2048)),
	A(OTK_AREA_FACTORY, 0, E, 0, 0x00600000u, K(256)),
	A(OTK_AREA_OTA, 0, E, 0, 0x00689000u, 1536000u),
};

/* p2, msom, trackerm: RTL872x, XIP at 0x08000000 */
static const struct otk_layout_area rtl[] = {
	A(OTK_AREA_BOOTLOADER, 1, I, 0, 0x08000000u, K(8)),     /* MBR */
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x08004000u, K(64)),
	A(OTK_AREA_BOOTLOADER, 2, I, 0, 0x08014000u, 0x4A000u), /* KM0 */
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x08060000u, K(1536)),
	A(OTK_AREA_ASSETS, 0, I, 0, 0x081E0000u, 288u * K(4)),
	A(OTK_AREA_OTA, 0, I, 0, 0x08300000u, 0x180000u),
	A(OTK_AREA_USER, 1, I, 1, 0x08480000u, K(1536)),        /* ends at 0x08600000 */
	A(OTK_AREA_FS, 0, I, 0, 0x08600000u, 0x1FE000u),
	A(OTK_AREA_SETTINGS, 0, I, 0, 0x087FE000u, K(8)),
};

/*
 * gcc (3), the virtual device: a 2 MB internal flash with 4 KB erase units,
 * the same roles as a Gen3 device and sizes that keep tests quick.
 */
static const struct otk_layout_area gcc[] = {
	A(OTK_AREA_BOOTLOADER, 0, I, 0, 0x00000000u, K(32)),
	A(OTK_AREA_SETTINGS, 0, I, 0, 0x00008000u, K(16)),
	A(OTK_AREA_SYSTEM, 1, I, 0, 0x00010000u, K(256)),
	A(OTK_AREA_SYSTEM, 2, I, 0, 0x00050000u, K(256)),
	A(OTK_AREA_USER, 1, I, 0, 0x00090000u, K(128)),
	A(OTK_AREA_OTA, 0, I, 0, 0x000B0000u, K(512)),
	A(OTK_AREA_FACTORY, 0, I, 0, 0x00130000u, K(128)),
	A(OTK_AREA_ASSETS, 0, I, 0, 0x00150000u, K(512)),
	A(OTK_AREA_FS, 0, I, 0, 0x001D0000u, K(192)),
};

#define L(id, nm, tab, erase) { id, nm, tab, (uint8_t)(sizeof(tab) / sizeof(tab[0])), erase }
static const struct otk_layout layouts[] = {
	L(3, "gcc", gcc, K(4)),
	L(6, "photon", stm32_photon, K(16)),
	L(8, "p1", stm32_photon, K(16)),
	L(10, "electron", stm32_electron, K(16)),
	L(12, "argon", nrf_4mb, K(4)),
	L(13, "boron", nrf_4mb, K(4)),
	L(23, "bsom", nrf_4mb, K(4)),
	L(25, "b5som", nrf_8mb, K(4)),
	L(26, "tracker", nrf_8mb, K(4)),
	L(15, "esomx", nrf_8mb, K(4)),
	L(32, "p2", rtl, K(4)),
	L(35, "msom", rtl, K(4)),
	L(28, "trackerm", rtl, K(4)),
};

size_t otk_layout_count(void)
{
	return sizeof(layouts) / sizeof(layouts[0]);
}

const struct otk_layout *otk_layout_at(size_t i)
{
	return i < otk_layout_count() ? &layouts[i] : NULL;
}

const struct otk_layout *otk_layout_by_platform(uint16_t platform)
{
	for (size_t i = 0; i < otk_layout_count(); i++)
		if (layouts[i].platform == platform)
			return &layouts[i];
	return NULL;
}

const struct otk_layout_area *otk_layout_find(const struct otk_layout *l, uint8_t role,
					      uint8_t index)
{
	for (size_t i = 0; i < l->nareas; i++)
		if (l->areas[i].role == role && l->areas[i].index == index)
			return &l->areas[i];
	return NULL;
}

uint8_t otk_layout_role_for_function(uint8_t function)
{
	switch (function) {
	case OTK_FUNC_BOOTLOADER: return OTK_AREA_BOOTLOADER;
	case OTK_FUNC_MONO:
	case OTK_FUNC_SYSTEM: return OTK_AREA_SYSTEM;
	case OTK_FUNC_USER: return OTK_AREA_USER;
	case OTK_FUNC_RADIO_STACK: return OTK_AREA_RADIO;
	default: return 0;
	}
}

uint8_t otk_layout_function_for_role(uint8_t role)
{
	switch (role) {
	case OTK_AREA_BOOTLOADER: return OTK_FUNC_BOOTLOADER;
	case OTK_AREA_SYSTEM: return OTK_FUNC_SYSTEM;
	case OTK_AREA_USER: return OTK_FUNC_USER;
	default: return OTK_FUNC_NONE;
	}
}

const struct otk_layout_area *otk_layout_module_area(const struct otk_layout *l,
						     uint8_t function, uint8_t index)
{
	uint8_t role = otk_layout_role_for_function(function);
	if (!role)
		return NULL;
	if (function == OTK_FUNC_RADIO_STACK || function == OTK_FUNC_MONO)
		index = function == OTK_FUNC_MONO ? 1 : 0;
	return otk_layout_find(l, role, index);
}

int otk_device_open(const struct otk_device *dev, uint8_t role, uint8_t index,
		    struct otk_flash_area *out)
{
	const struct otk_layout_area *a = otk_layout_find(dev->layout, role, index);
	if (!a)
		return OTK_ENOTFOUND;
	return dev->open(dev->ctx, a, out);
}
