/*
 * The application's view of Asset OTA, with Device OS semantics in C
 * (System.assetsRequired/assetsAvailable/onAssetOta/assetsHandled and
 * ApplicationAsset's read stream), over struct otk_asset_store.
 *
 *   otk_assets_init()          store + the app's dependency list
 *   otk_assets_boot()          validate the store; missing required -> safe mode
 *   otk_assets_on_ota()        register the handler
 *   otk_assets_run_handler()   once per boot before setup(), only while WANT
 *   otk_assets_handled()       true -> HANDLED, false -> WANT
 *   otk_asset_reader_*()       read / available / peek / skip / seek / reset
 *
 * No heap, no stdio: caller-owned state, scratch and inflate window.
 */
#ifndef OTK_ASSET_API_H
#define OTK_ASSET_API_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/asset_store.h"
#include "otk/flash.h"
#include "otk/inflate.h"

#ifdef __cplusplus
extern "C" {
#endif

/*
 * The ASSET_DEPENDENCY extensions of a module in flash at [off, off + len)
 * (prefix at off; prefix extensions when flagged, else the suffix), in
 * order, into out[0..max).  buf/cap is scratch that must hold the extension
 * region.  Returns the count, OTK_ENOSPC when there are more than max,
 * OTK_EASSET_NAME for a name over OTK_ASSET_STORE_NAME_MAX, OTK_EASSET_INVALID for
 * a malformed module.
 */
int otk_assets_deps_read(const struct otk_flash_area *fa, uint32_t off, uint32_t len,
			 uint8_t *buf, size_t cap, struct otk_asset_id *out, size_t max);

struct otk_assets;
/* Called with the API so the handler can list and read what is available. */
typedef void (*otk_asset_ota_fn)(void *ctx, struct otk_assets *a);

struct otk_assets {
	struct otk_asset_store *store;
	const struct otk_asset_id *required;  /* caller-owned, the app's list */
	size_t nrequired;
	otk_asset_ota_fn handler;
	void *handler_ctx;
	bool handler_ran;                     /* this boot */
	unsigned missing;                     /* required but not stored, at boot */
};

/* Bind the API to a store (initialised) and the app's dependency list. */
void otk_assets_init(struct otk_assets *a, struct otk_asset_store *store,
		     const struct otk_asset_id *required, size_t nrequired);

/*
 * At boot: validate the store (invalid files are deleted) and count the
 * required (name, hash) pairs that are not stored.  Returns OTK_OK when all
 * are there, OTK_EASSET_MISSING when some are missing (the device must enter
 * safe mode and ask for them), or a flash error.
 */
int otk_assets_boot(struct otk_assets *a);

/* assetsRequired(): the app's list (copied into out[0..max)); returns the count. */
size_t otk_assets_required(const struct otk_assets *a, struct otk_asset_id *out, size_t max);

/*
 * assetsAvailable(): files both required and stored, in the app's order,
 * into out[0..max).  Returns the count (possibly > max) or a flash error.
 */
int otk_assets_available(struct otk_assets *a, struct otk_asset_info *out, size_t max);

/* onAssetOta(): register (or clear with NULL) the handler. */
void otk_assets_on_ota(struct otk_assets *a, otk_asset_ota_fn fn, void *ctx);

/*
 * Call the handler if one is registered, the state is WANT and it has not
 * run this boot.  Returns 1 when it ran, 0 when not, < 0 on error.
 */
int otk_assets_run_handler(struct otk_assets *a);

/* assetsHandled(): true -> HANDLED (1), false -> WANT (2); persisted. */
int otk_assets_handled(struct otk_assets *a, bool handled);

/* Asset state: OTK_ASSET_STATE_NONE / HANDLED / WANT. */
uint8_t otk_assets_state(const struct otk_assets *a);

/*
 * Install path: keep only the stored assets the app requires, store the
 * asset module at [off, off + len) of src (OTA staging; a file with the
 * same name is replaced, an identical one kept) and set the state to WANT.
 */
int otk_assets_install(struct otk_assets *a, const struct otk_flash_area *src, uint32_t off,
		       uint32_t len, struct otk_asset_info *info);

/* --- read stream --------------------------------------------------------- */

struct otk_asset_reader {
	struct otk_asset_store *store;
	struct otk_asset_info info;
	struct otk_inflate *inf;    /* NULL for an uncompressed module */
	uint8_t *window;
	size_t window_size;
	uint8_t *in;                /* deflate input buffer */
	size_t in_cap, in_pos, in_len;
	uint32_t src_pos;           /* next byte of the payload to read from flash */
	uint8_t *la;                /* decoded bytes not yet consumed (peek) */
	size_t la_cap, la_pos, la_len;
	uint32_t pos;               /* bytes consumed by the caller */
	uint32_t decoded;           /* bytes produced by the decoder */
	bool eof;                   /* end-of-stream reported: sticky until reset/seek */
	int error;                  /* sticky decoder error */
};

/*
 * Open a read stream over the decompressed bytes of a stored asset.  inf and
 * window (>= 1 << the module's window bits, <= 32 KB) are needed for a
 * compressed asset and may be NULL otherwise; buf/cap (>= 64) is split into
 * deflate input and the peek buffer (peek returns at most cap / 2 bytes).
 * OTK_EINVAL when the window is too small for the module.
 */
int otk_asset_reader_open(struct otk_asset_reader *r, struct otk_asset_store *store,
			  const struct otk_asset_info *info, struct otk_inflate *inf,
			  uint8_t *window, size_t window_size, uint8_t *buf, size_t cap);

/*
 * Read up to n bytes: fills buf unless the asset ends first.  Returns the
 * count; OTK_EASSET_EOF once at the end (and after, until reset/seek).
 */
long otk_asset_reader_read(struct otk_asset_reader *r, void *buf, size_t n);
/* Bytes left. */
uint32_t otk_asset_reader_available(const struct otk_asset_reader *r);
/* Copy up to n of the next bytes without consuming them (n capped by the peek buffer). */
long otk_asset_reader_peek(struct otk_asset_reader *r, void *buf, size_t n);
/* Skip up to n bytes; returns the count skipped, OTK_EASSET_EOF at the end. */
long otk_asset_reader_skip(struct otk_asset_reader *r, size_t n);
/* Position at pos (<= size): forward skips, backward rewinds then skips. */
int otk_asset_reader_seek(struct otk_asset_reader *r, uint32_t pos);
/* Next read starts from the beginning. */
int otk_asset_reader_reset(struct otk_asset_reader *r);
uint32_t otk_asset_reader_tell(const struct otk_asset_reader *r);

/* Accessors (Asset::size/storageSize/name/hash). */
static inline uint32_t otk_asset_info_size(const struct otk_asset_info *i) { return i->size; }
static inline uint32_t otk_asset_info_storage_size(const struct otk_asset_info *i) { return i->storage_size; }
static inline const char *otk_asset_info_name(const struct otk_asset_info *i) { return i->id.name; }
static inline const uint8_t *otk_asset_info_hash(const struct otk_asset_info *i) { return i->id.hash; }

#ifdef __cplusplus
}
#endif

#endif
