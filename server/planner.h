/*
 * The update planner: what a device gets next (spec 06, "What the cloud
 * sends, and when"), and the describe decoder that feeds it.
 *
 *   otkd_describe_parse()  a system describe (JSON before Device OS 5.5,
 *                          protobuf particle.cloud.SystemDescribe from 5.5)
 *                          into struct otkd_describe; bounded, no heap
 *                          growth driven by the input beyond its length.
 *   otkd_plan()            pure: (describe, plain store data) -> one action.
 *   otkd_plan_next()       fills the plain data from the store, then plans.
 *
 * One action at a time: the device resets after each module it receives,
 * reconnects, describes itself again, and the planner is asked again.
 * docs/planner.md explains the rules and the choices made where spec 06
 * is silent.
 */
#ifndef OTKD_PLANNER_H
#define OTKD_PLANNER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

#define OTKD_DESC_MODULES_MAX 32   /* modules kept from one describe */
#define OTKD_DESC_ASSETS_MAX 32    /* assets available, and required per module */
#define OTKD_ASSET_NAME_MAX 64     /* asset names are short file names */
#define OTKD_PLAN_NOTE_MAX 160

/* Module functions, as in the module prefix (spec 01) and Device OS. */
enum otkd_mod_function {
	OTKD_MOD_NONE = 0,
	OTKD_MOD_RESOURCE = 1,
	OTKD_MOD_BOOTLOADER = 2,
	OTKD_MOD_MONO = 3,
	OTKD_MOD_SYSTEM = 4,
	OTKD_MOD_USER = 5,
	OTKD_MOD_SETTINGS = 6,
	OTKD_MOD_NCP = 7,
	OTKD_MOD_RADIO_STACK = 8,
	OTKD_MOD_ASSET = 9,
};

/* Where a module is stored (describe "l" / protobuf store). */
enum otkd_mod_store {
	OTKD_STORE_MAIN = 0,
	OTKD_STORE_FACTORY = 1,
	OTKD_STORE_BACKUP = 2,
	OTKD_STORE_SCRATCHPAD = 3,
};

/* Validation flags (vc checked, vv passed). */
#define OTKD_VALID_INTEGRITY 0x02
#define OTKD_VALID_DEPENDENCIES 0x04
#define OTKD_VALID_RANGE 0x08
#define OTKD_VALID_PLATFORM 0x10

/* Hello flags the planner uses (spec 06). */
#define OTKD_HELLO_IMMEDIATE_UPDATES 0x04
#define OTKD_HELLO_COMPRESSED_OTA 0x40

struct otkd_mod_dep {
	uint8_t function;          /* OTKD_MOD_NONE: no dependency */
	uint8_t index;
	uint16_t version;
};

struct otkd_desc_asset {
	char name[OTKD_ASSET_NAME_MAX];
	uint8_t hash[32];          /* SHA-256 of the raw asset bytes */
	uint32_t size;
};

struct otkd_desc_module {
	uint8_t function;          /* enum otkd_mod_function */
	uint8_t index;
	uint16_t version;
	uint8_t store;             /* enum otkd_mod_store */
	uint32_t max_size;
	uint32_t checked, passed;  /* OTKD_VALID_* */
	bool has_hash;
	uint8_t hash[32];          /* user part only */
	uint8_t ndeps;
	struct otkd_mod_dep deps[2];
	uint8_t nasset_deps;       /* assets this (user) module requires */
	struct otkd_desc_asset asset_deps[OTKD_DESC_ASSETS_MAX];
};

/* A device's state as the planner needs it: Hello plus system describe. */
struct otkd_describe {
	/* From Hello (the device protocol fills these). */
	uint16_t platform_id;
	uint16_t system_version;   /* Device OS module version, e.g. 5800 */
	uint16_t product_id;
	uint16_t product_version;
	uint16_t hello_flags;
	uint32_t max_binary_size;  /* OTA staging length; 0: unknown, no limit */
	/* From the device's events (particle/device/updates/enabled, .../forced)
	 * and spark/device/safemode. */
	bool safe_mode;
	bool updates_enabled;
	bool updates_forced;
	/* From the system describe. */
	bool has_platform;         /* JSON "p" (protobuf describes carry none) */
	uint16_t describe_platform;
	size_t nmodules;
	struct otkd_desc_module modules[OTKD_DESC_MODULES_MAX];
	size_t nassets;            /* assets available on the device */
	struct otkd_desc_asset assets[OTKD_DESC_ASSETS_MAX];
};

#define OTKD_CF_JSON 50            /* CoAP Content-Format application/json */
#define OTKD_CF_PROTOBUF 42        /* SystemDescribe (Device OS >= 5.5) */

/*
 * Decodes a system describe into out's describe fields (modules, assets,
 * describe_platform); the Hello fields of out are left as they were.
 * content_format OTKD_CF_PROTOBUF is protobuf, anything else (including -1:
 * no option) JSON.  Beyond OTKD_DESC_* entries the rest is refused, not
 * truncated.  OTK_OK, or OTK_EINVAL with err saying what is wrong.
 */
int otkd_describe_parse(const uint8_t *payload, size_t len, int content_format,
			struct otkd_describe *out, char *err, size_t errlen);

/* ------------------------------------------------------------------ */
/* The planner's input: plain data, filled by otkd_plan_next() or a test. */

/* One product firmware version. */
struct otkd_plan_firmware {
	uint32_t version;
	char app_sha256[OTKD_HASH_HEX];    /* the application module's blob */
	uint64_t app_size;
	bool released;             /* released_at != 0 */
	bool product_default;
	bool intelligent;
	char groups[OTKD_GROUPS_MAX];      /* released to these, comma-joined */
	size_t nassets;            /* the assets its bundle carries */
	struct otkd_asset *assets;
};

/* A file queued by PUT /v1/devices/:id. */
struct otkd_plan_flash {
	int64_t id;
	char sha256[OTKD_HASH_HEX];        /* the uploaded file */
	char app_sha256[OTKD_HASH_HEX];    /* its application module */
	uint64_t size;
	bool is_bundle;
	size_t nassets;
	struct otkd_asset *assets;
};

struct otkd_plan_input {
	/* The device in the store. */
	bool in_product;           /* product_id != 0 */
	bool development;
	bool firmware_updates_forced;
	bool has_desired;
	uint32_t desired_firmware_version;
	char groups[OTKD_GROUPS_MAX];      /* comma-joined */
	/* The product's firmware versions (any order). */
	size_t nfirmware;
	const struct otkd_plan_firmware *firmware;
	/* The Device OS catalog for the device's platform: every release. */
	size_t ncatalog;
	const struct otkd_dos_module *catalog;
	/* A queued PUT /v1/devices/:id file, or NULL. */
	const struct otkd_plan_flash *flash;
};

enum otkd_plan_kind {
	OTKD_PLAN_NOTHING = 0,
	OTKD_PLAN_SEND,            /* send one file with OTA v3 */
	OTKD_PLAN_PENDING,         /* publish particle/device/updates/pending = true */
	OTKD_PLAN_REFUSED,         /* something is due but refused (note says why) */
};

/* What a SEND carries. */
enum otkd_plan_what {
	OTKD_SEND_APP = 1,         /* product firmware (its application module) */
	OTKD_SEND_SYSTEM,          /* Device OS system part (or mono) */
	OTKD_SEND_BOOTLOADER,
	OTKD_SEND_RADIO,           /* radio stack (SoftDevice) or NCP */
	OTKD_SEND_ASSET,           /* raw asset bytes; the sender wraps them as a
	                              function-9 module (spec 02) */
	OTKD_SEND_USER_FLASH,      /* the file queued by PUT /v1/devices/:id */
};

struct otkd_plan_action {
	enum otkd_plan_kind kind;
	enum otkd_plan_what what;
	char sha256[OTKD_HASH_HEX];        /* the blob to send */
	uint64_t size;             /* 0: not known (a queued bundle): the blob's */
	uint8_t function;          /* MODULE_FUNCTION for UpdateStart */
	uint8_t index;             /* 0 when not known (app: as in the file) */
	uint32_t version;          /* module version; product version for APP */
	char asset_name[OTKD_ASSET_NAME_MAX];  /* OTKD_SEND_ASSET */
	bool compress_ok;          /* Hello flag 0x40: compressed modules accepted */
	int64_t flash_id;          /* OTKD_SEND_USER_FLASH: mark it delivered after */
	bool intelligent;          /* APP from an intelligent release */
	char note[OTKD_PLAN_NOTE_MAX];     /* why, for logs and tests */
};

/* The pure planner; out is always written.  Returns OTK_OK. */
int otkd_plan(const struct otkd_describe *d, const struct otkd_plan_input *in,
	      struct otkd_plan_action *out);

/*
 * Reads the device, its product's firmware, the Device OS catalog for
 * d->platform_id and its queued flash from the store, then plans.  When the
 * describe shows the queued file installed, marks it delivered (the one
 * write it does).  OTK_ENOTFOUND for an unknown device; store errors as
 * they come.
 */
int otkd_plan_next(struct otkd_store *st, const char *device_id, const struct otkd_describe *d,
		   struct otkd_plan_action *out);

const char *otkd_plan_what_name(enum otkd_plan_what w);

#endif
