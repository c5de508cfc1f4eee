/*
 * Particle platform table.
 *
 * GENERATED FILE, DO NOT EDIT.  Written by scripts/gen_platforms.py from
 * platforms.json (@particle/device-constants@4.2.1 src/constants.json).
 * To change it, update the source data and run
 *     python3 scripts/gen_platforms.py [path/to/platforms.json]
 * The unit test test_platform runs the generator with --check to make sure
 * this file matches its source.
 */
#include <stdbool.h>
#include <stddef.h>

#include "otk/module.h"
#include "otk/platform.h"

/* platform.c, the only user of the table, declares these too. */
extern const struct otk_platform otk_platform_table[];
extern const size_t otk_platform_table_len;

static const char *const aliases_core[] = { "c", NULL };

static const struct otk_dfu_segment segments_core[] = {
	{ .name = "factoryReset", .address = 0x00020000u, .alt = 1, .size = 0u },
};

static const char *const aliases_gcc[] = { NULL };

static const char *const aliases_photon[] = { "p", NULL };

static const struct otk_dfu_segment segments_photon[] = {
	{ .name = "factoryReset", .address = 0x080e0000u, .alt = 0, .size = 0u },
};

static const struct otk_platform_module modules_photon[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_MONO, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_p1[] = { NULL };

static const struct otk_dfu_segment segments_p1[] = {
	{ .name = "factoryReset", .address = 0x080e0000u, .alt = 0, .size = 0u },
};

static const struct otk_platform_module modules_p1[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_MONO, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_electron[] = { "e", NULL };

static const struct otk_dfu_segment segments_electron[] = {
	{ .name = "factoryReset", .address = 0x080a0000u, .alt = 0, .size = 0u },
	{ .name = "transport", .address = 0x00000ba1u, .alt = 1, .size = 1u },
};

static const struct otk_platform_module modules_electron[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = 3, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_MONO, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_esp32[] = { NULL };

static const char *const aliases_argon[] = { "a", NULL };

static const struct otk_dfu_segment segments_argon[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_argon[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_NCP, .index = -1, .storage = OTK_STORAGE_EXTERNAL_MCU,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_boron[] = { "b", NULL };

static const struct otk_dfu_segment segments_boron[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_boron[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_xenon[] = { "x", NULL };

static const struct otk_dfu_segment segments_xenon[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_xenon[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_esomx[] = { NULL };

static const struct otk_dfu_segment segments_esomx[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_esomx[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_asom[] = { NULL };

static const struct otk_dfu_segment segments_asom[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_asom[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_NCP, .index = -1, .storage = OTK_STORAGE_EXTERNAL_MCU,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_bsom[] = { NULL };

static const struct otk_dfu_segment segments_bsom[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_bsom[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_xsom[] = { NULL };

static const struct otk_dfu_segment segments_xsom[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_xsom[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 131072u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_b5som[] = { NULL };

static const struct otk_dfu_segment segments_b5som[] = {
	{ .name = "factoryReset", .address = 0x00600000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_b5som[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_tracker[] = { "assettracker", NULL };

static const struct otk_dfu_segment segments_tracker[] = {
	{ .name = "factoryReset", .address = 0x00600000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_tracker[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_NCP, .index = -1, .storage = OTK_STORAGE_EXTERNAL_MCU,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_trackerm[] = { NULL };

static const struct otk_platform_module modules_trackerm[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = 0, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = true, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = true, .encrypted = false, .max_size = 1572864u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_raspi[] = { NULL };

static const char *const aliases_p2[] = { "photon2", NULL };

static const struct otk_platform_module modules_p2[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = 0, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = true, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = true, .encrypted = false, .max_size = 1572864u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_msom[] = { "muon", NULL };

static const struct otk_platform_module modules_msom[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = 0, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = true, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = true, .encrypted = false, .max_size = 1572864u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_electron2[] = { "electron2", NULL };

static const struct otk_dfu_segment segments_electron2[] = {
	{ .name = "factoryReset", .address = 0x00200000u, .alt = 2, .size = 0u },
	{ .name = "formerUserPart", .address = 0x000d4000u, .alt = 0, .size = 4096u },
};

static const struct otk_platform_module modules_electron2[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 262144u },
	{ .function = OTK_FUNC_RADIO_STACK, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_sulu[] = { "sulu", NULL };

static const struct otk_platform_module modules_sulu[] = {
	{ .function = OTK_FUNC_BOOTLOADER, .index = 0, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = true, .max_size = 0u },
	{ .function = OTK_FUNC_BOOTLOADER, .index = 2, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_SYSTEM, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
	{ .function = OTK_FUNC_USER, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = true, .encrypted = false, .max_size = 1572864u },
	{ .function = OTK_FUNC_MONO, .index = -1, .storage = OTK_STORAGE_INTERNAL,
	  .grows_left = false, .encrypted = false, .max_size = 0u },
};

static const char *const aliases_tachyon[] = { NULL };

static const char *const aliases_linux[] = { NULL };

static const char *const aliases_oak[] = { NULL };

static const char *const aliases_duo[] = { NULL };

static const char *const aliases_bluz[] = { NULL };

/* Sorted by id. */
const struct otk_platform otk_platform_table[] = {
	{
		.id = 0,
		.generation = 1,
		.mcu = OTK_MCU_STM32F1,
		.name = "core",
		.display_name = "Core",
		.aliases = aliases_core,
		.base_mcu = "stm32f1xx",
		.is_public = true,
		.product_eligible = false,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x1d50, .usb_pid = 0x607d,
		.dfu_vid = 0x1d50, .dfu_pid = 0x607f,
		.segments = segments_core, .nsegments = 1,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 3,
		.generation = -1,
		.mcu = OTK_MCU_HOST,
		.name = "gcc",
		.display_name = "GCC",
		.aliases = aliases_gcc,
		.base_mcu = "gcc",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 6,
		.generation = 2,
		.mcu = OTK_MCU_STM32F2,
		.name = "photon",
		.display_name = "Photon",
		.aliases = aliases_photon,
		.base_mcu = "stm32f2xx",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc006,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd006,
		.segments = segments_photon, .nsegments = 1,
		.modules = modules_photon, .nmodules = 5,
		.has_assets = false,
	},
	{
		.id = 8,
		.generation = 2,
		.mcu = OTK_MCU_STM32F2,
		.name = "p1",
		.display_name = "P1",
		.aliases = aliases_p1,
		.base_mcu = "stm32f2xx",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc008,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd008,
		.segments = segments_p1, .nsegments = 1,
		.modules = modules_p1, .nmodules = 5,
		.has_assets = false,
	},
	{
		.id = 10,
		.generation = 2,
		.mcu = OTK_MCU_STM32F2,
		.name = "electron",
		.display_name = "Electron",
		.aliases = aliases_electron,
		.base_mcu = "stm32f2xx",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc00a,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd00a,
		.segments = segments_electron, .nsegments = 2,
		.modules = modules_electron, .nmodules = 6,
		.has_assets = false,
	},
	{
		.id = 11,
		.generation = -1,
		.mcu = OTK_MCU_ESP32,
		.name = "esp32",
		.display_name = "ESP32",
		.aliases = aliases_esp32,
		.base_mcu = "esp32xx",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 12,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "argon",
		.display_name = "Argon",
		.aliases = aliases_argon,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc00c,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd00c,
		.segments = segments_argon, .nsegments = 2,
		.modules = modules_argon, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 606208u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 13,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "boron",
		.display_name = "Boron",
		.aliases = aliases_boron,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc00d,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd00d,
		.segments = segments_boron, .nsegments = 2,
		.modules = modules_boron, .nmodules = 5,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 606208u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 14,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "xenon",
		.display_name = "Xenon",
		.aliases = aliases_xenon,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = false,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc00e,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd00e,
		.segments = segments_xenon, .nsegments = 2,
		.modules = modules_xenon, .nmodules = 5,
		.has_assets = false,
	},
	{
		.id = 15,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "esomx",
		.display_name = "E-SoM-X",
		.aliases = aliases_esomx,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc00f,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd00f,
		.segments = segments_esomx, .nsegments = 2,
		.modules = modules_esomx, .nmodules = 5,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 512u,
			.max_single_asset = 1572864u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 22,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "asom",
		.display_name = "A-SoM",
		.aliases = aliases_asom,
		.base_mcu = "nrf52840",
		.is_public = false,
		.product_eligible = false,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc016,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd016,
		.segments = segments_asom, .nsegments = 2,
		.modules = modules_asom, .nmodules = 6,
		.has_assets = false,
	},
	{
		.id = 23,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "bsom",
		.display_name = "B-SoM",
		.aliases = aliases_bsom,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc017,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd017,
		.segments = segments_bsom, .nsegments = 2,
		.modules = modules_bsom, .nmodules = 5,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 606208u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 24,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "xsom",
		.display_name = "X-SoM",
		.aliases = aliases_xsom,
		.base_mcu = "nrf52840",
		.is_public = false,
		.product_eligible = false,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc018,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd018,
		.segments = segments_xsom, .nsegments = 2,
		.modules = modules_xsom, .nmodules = 5,
		.has_assets = false,
	},
	{
		.id = 25,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "b5som",
		.display_name = "B5-SoM",
		.aliases = aliases_b5som,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc019,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd019,
		.segments = segments_b5som, .nsegments = 2,
		.modules = modules_b5som, .nmodules = 5,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 512u,
			.max_single_asset = 1572864u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 26,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "tracker",
		.display_name = "Asset Tracker / Monitor One",
		.aliases = aliases_tracker,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc01a,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd01a,
		.segments = segments_tracker, .nsegments = 2,
		.modules = modules_tracker, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 512u,
			.max_single_asset = 1572864u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 28,
		.generation = 3,
		.mcu = OTK_MCU_RTL872X,
		.name = "trackerm",
		.display_name = "Tracker-M",
		.aliases = aliases_trackerm,
		.base_mcu = "rtl872x",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc01c,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd01c,
		.segments = NULL, .nsegments = 0,
		.modules = modules_trackerm, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 1179648u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 31,
		.generation = -1,
		.mcu = OTK_MCU_HOST,
		.name = "raspi",
		.display_name = "Raspberry Pi",
		.aliases = aliases_raspi,
		.base_mcu = "raspi",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 32,
		.generation = 4,
		.mcu = OTK_MCU_RTL872X,
		.name = "p2",
		.display_name = "Photon 2 / P2",
		.aliases = aliases_p2,
		.base_mcu = "rtl872x",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc020,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd020,
		.segments = NULL, .nsegments = 0,
		.modules = modules_p2, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 1179648u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 35,
		.generation = 4,
		.mcu = OTK_MCU_RTL872X,
		.name = "msom",
		.display_name = "M-SoM",
		.aliases = aliases_msom,
		.base_mcu = "rtl872x",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc023,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd023,
		.segments = NULL, .nsegments = 0,
		.modules = modules_msom, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 1179648u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 37,
		.generation = 3,
		.mcu = OTK_MCU_NRF52840,
		.name = "electron2",
		.display_name = "Electron 2",
		.aliases = aliases_electron2,
		.base_mcu = "nrf52840",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc025,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd025,
		.segments = segments_electron2, .nsegments = 2,
		.modules = modules_electron2, .nmodules = 5,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 512u,
			.max_single_asset = 1572864u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 38,
		.generation = 4,
		.mcu = OTK_MCU_RTL872X,
		.name = "sulu",
		.display_name = "Sulu",
		.aliases = aliases_sulu,
		.base_mcu = "rtl872x",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = true,
		.usb_vid = 0x2b04, .usb_pid = 0xc026,
		.dfu_vid = 0x2b04, .dfu_pid = 0xd026,
		.segments = NULL, .nsegments = 0,
		.modules = modules_sulu, .nmodules = 6,
		.has_assets = true,
		.assets = {
			.block_size = 4096u,
			.total_blocks = 288u,
			.max_single_asset = 1179648u,
			.per_block_overhead = 8u,
			.overhead = 0u,
			.reserved_blocks = 10u,
		},
	},
	{
		.id = 42,
		.generation = -1,
		.mcu = OTK_MCU_HOST,
		.name = "tachyon",
		.display_name = "Tachyon",
		.aliases = aliases_tachyon,
		.base_mcu = "qcm6490",
		.is_public = true,
		.product_eligible = true,
		.has_usb = true,
		.has_dfu = false,
		.usb_vid = 0x2b04, .usb_pid = 0xc02a,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 43,
		.generation = -1,
		.mcu = OTK_MCU_HOST,
		.name = "linux",
		.display_name = "Linux",
		.aliases = aliases_linux,
		.base_mcu = "unknown",
		.is_public = true,
		.product_eligible = true,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 82,
		.generation = -1,
		.mcu = OTK_MCU_ESP8266,
		.name = "oak",
		.display_name = "Oak",
		.aliases = aliases_oak,
		.base_mcu = "esp8266",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 88,
		.generation = -1,
		.mcu = OTK_MCU_STM32F2,
		.name = "duo",
		.display_name = "Duo",
		.aliases = aliases_duo,
		.base_mcu = "stm32f2xx",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
	{
		.id = 103,
		.generation = -1,
		.mcu = OTK_MCU_STM32F2,
		.name = "bluz",
		.display_name = "Bluz",
		.aliases = aliases_bluz,
		.base_mcu = "stm32f2xx",
		.is_public = false,
		.product_eligible = false,
		.has_usb = false,
		.has_dfu = false,
		.usb_vid = 0x0000, .usb_pid = 0x0000,
		.dfu_vid = 0x0000, .dfu_pid = 0x0000,
		.segments = NULL, .nsegments = 0,
		.modules = NULL, .nmodules = 0,
		.has_assets = false,
	},
};

const size_t otk_platform_table_len =
	sizeof otk_platform_table / sizeof otk_platform_table[0];
