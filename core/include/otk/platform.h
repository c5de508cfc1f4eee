/*
 * Particle platforms: ids, names, USB/DFU identity, firmware module limits
 * and asset storage limits.  The table lives in platform_table.c, which
 * scripts/gen_platforms.py generates from the facts of
 * @particle/device-constants 4.2.1; do not edit it by hand.
 */
#ifndef OTK_PLATFORM_H
#define OTK_PLATFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

enum otk_mcu {
	OTK_MCU_UNKNOWN = 0,
	OTK_MCU_STM32F1,
	OTK_MCU_STM32F2,
	OTK_MCU_NRF52840,
	OTK_MCU_RTL872X,
	OTK_MCU_ESP32,
	OTK_MCU_ESP8266,
	OTK_MCU_NRF51,
	OTK_MCU_HOST,         /* gcc virtual device, raspi, linux, tachyon */
};

enum otk_storage {
	OTK_STORAGE_INTERNAL = 0,
	OTK_STORAGE_EXTERNAL,
	OTK_STORAGE_EXTERNAL_MCU,
};

/* One entry of device-constants' firmwareModules list. */
struct otk_platform_module {
	uint8_t function;     /* OTK_FUNC_* (module.h numbering) */
	int8_t index;         /* -1 when the table does not name one */
	uint8_t storage;      /* enum otk_storage */
	bool grows_left;
	bool encrypted;
	uint32_t max_size;    /* 0 when no limit is given */
};

/* A named DFU segment (factoryReset, formerUserPart, ...). */
struct otk_dfu_segment {
	const char *name;
	uint32_t address;
	uint8_t alt;
	uint32_t size;        /* 0 when not given */
};

struct otk_asset_limits {
	uint32_t block_size;
	uint32_t total_blocks;
	uint32_t max_single_asset;
	uint32_t per_block_overhead;
	uint32_t overhead;
	uint32_t reserved_blocks;
};

struct otk_platform {
	uint16_t id;
	int8_t generation;            /* -1 for non-device platforms */
	uint8_t mcu;                  /* enum otk_mcu */
	const char *name;             /* "tracker" */
	const char *display_name;     /* "Asset Tracker / Monitor One" */
	const char *const *aliases;   /* NULL-terminated, never NULL itself */
	const char *base_mcu;         /* as in device-constants, e.g. "nrf52840" */
	bool is_public;
	bool product_eligible;
	/* false when device-constants gives no ids or only 0:0 */
	bool has_usb, has_dfu;
	uint16_t usb_vid, usb_pid;
	uint16_t dfu_vid, dfu_pid;
	const struct otk_dfu_segment *segments;
	uint8_t nsegments;
	const struct otk_platform_module *modules;
	uint8_t nmodules;
	bool has_assets;
	struct otk_asset_limits assets;
};

size_t otk_platform_count(void);
const struct otk_platform *otk_platform_at(size_t i);
/* NULL when unknown. */
const struct otk_platform *otk_platform_by_id(uint16_t id);
/* Name or alias, ASCII case-insensitive; NULL when unknown. */
const struct otk_platform *otk_platform_by_name(const char *name);

/*
 * Platforms that binary-version-reader counts as known when it scores
 * candidate prefixes: those with generation > 0.
 */
bool otk_platform_id_is_device(uint16_t id);

/* User part grows down from a fixed end (p2, trackerm, msom, sulu). */
bool otk_platform_user_grows_left(const struct otk_platform *p);
/* Maximum user part size, 0 when the table gives none. */
uint32_t otk_platform_user_max_size(const struct otk_platform *p);

#ifdef __cplusplus
}
#endif

#endif
