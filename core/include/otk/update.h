/*
 * The update engine: one API for every transport (OTA, USB control
 * requests, serial YMODEM, local install).
 *
 *   otk_update_init()    load the persisted state (journal in SETTINGS)
 *   otk_update_begin()   size, file SHA-256, flags, module function (or
 *                        learnt from the prefix), chunk size
 *                        -> offset to resume from (0 = start over)
 *   otk_update_write()   data at an offset: in order, or whole chunks in
 *                        any order inside the window (duplicates ignored)
 *   otk_update_ack()     contiguous chunks + window bitmap (UpdateAck)
 *   otk_update_finish()  validate only | apply | cancel | discard
 *   otk_update_recover() at boot: complete the copies an apply recorded
 *
 * Received bytes go straight to the OTA staging area, also chunks that
 * arrive ahead of a gap (a caller-sized bitmap records them); when the gap
 * fills, the contiguous prefix advances and its running SHA-256 is brought
 * up to date by reading those chunks back from staging.  Progress (file
 * hash, size, contiguous prefix and its hash) is persisted in a journal of
 * CRC-protected records in two erase units of the SETTINGS area, so a resume
 * after a power cut re-hashes staging and continues where the last record
 * says.  Applying never touches installed images: it persists copy records
 * (as Device OS's bootloader slots) and the copy happens in
 * otk_update_recover() at the next boot; a power cut during the copy leaves
 * the record in place and the copy is redone from the untouched staging
 * data, so the device always ends up with the old or the new image.
 *
 * No heap, no stdio; all state is in struct otk_update (caller-owned) and
 * the scratch buffers of struct otk_update_config.
 */
#ifndef OTK_UPDATE_H
#define OTK_UPDATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/flash.h"
#include "otk/image.h"
#include "otk/inflate.h"
#include "otk/journal.h"
#include "otk/layout.h"
#include "otk/module.h"
#include "otk/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

/* UpdateStart flags (Device OS values). */
#define OTK_UPDATE_DISCARD_DATA 0x01u
#define OTK_UPDATE_NON_RESUMABLE 0x02u
#define OTK_UPDATE_VALIDATE_ONLY 0x04u
#define OTK_UPDATE_CANCEL 0x08u
#define OTK_UPDATE_LOCAL 0x10u   /* USB / local install: policy may be lifted */

/* Policy bits of struct otk_update_config. */
#define OTK_POLICY_NO_DOWNGRADE 0x01u       /* refuse Device OS downgrades unless LOCAL */
#define OTK_POLICY_USER_DEPS_STRICT 0x02u   /* check user part dependencies over OTA too */

#define OTK_UPDATE_MAX_MODULES 2u   /* combined modules per file */
#define OTK_UPDATE_SLOTS 4u         /* copy records */
#define OTK_UPDATE_MIN_BUF 512u

enum otk_update_finish_mode {
	OTK_FINISH_VALIDATE = 0,  /* check, keep the data and state */
	OTK_FINISH_APPLY,         /* check and record the copies for the next boot */
	OTK_FINISH_CANCEL,        /* stop; persisted state kept for a later resume */
	OTK_FINISH_DISCARD,       /* stop and forget the persisted state */
};

struct otk_assets;     /* asset_api.h */

struct otk_update_config {
	const struct otk_device *dev;
	/* Scratch for flash reads, writes and journal records: >= 512 bytes,
	 * a multiple of 2 * the largest write alignment. */
	uint8_t *buf;
	size_t buf_size;
	/* Inflate state and window for compressed modules (window up to 32 KB,
	 * at least 1 << window bits of the modules received); may be NULL
	 * when compressed modules are not accepted. */
	struct otk_inflate *inflate;
	uint8_t *window;
	size_t window_size;
	/* Modules that live outside the layout's module areas and that
	 * dependencies may name (NCP firmware, radio stack): up to
	 * OTK_UPDATE_MAX_EXTRA, counted as installed and valid. */
	const struct otk_installed *extra;
	uint8_t nextra;
	uint32_t policy;          /* OTK_POLICY_* */
	uint32_t save_every;      /* persist progress every this many bytes; 0 = every write */
	/* Window for chunks that arrive ahead of a gap: a bitmap of
	 * window_chunks bits in (window_chunks + 31) / 32 words of caller
	 * storage (OTA v3: 128 KB / chunk size).  NULL / 0: no window, chunks
	 * must arrive in order. */
	uint32_t *window_map;
	uint32_t window_chunks;
};

/* What a transport knows when a transfer starts. */
struct otk_update_start {
	uint32_t size;            /* file size, > 0 */
	const uint8_t *file_sha;  /* SHA-256 of the file; NULL: no resume */
	uint32_t flags;           /* OTK_UPDATE_* */
	/* module function when the transport says (OTA v3 MODULE_FUNCTION);
	 * OTK_FUNC_NONE: learnt from the module prefix in the first bytes */
	uint8_t function;
	/* OTA v3 CHUNK_SIZE (a multiple of the staging write alignment):
	 * chunk n covers [resume + n * chunk_size, ...), and may arrive out of
	 * order inside the window.  0: a byte stream in order, pieces of any
	 * length (USB, YMODEM, local install). */
	uint32_t chunk_size;
};

/* Counters for OTA v3 UpdateFinish statistics. */
struct otk_update_stats {
	uint32_t chunks;          /* chunks (or stream pieces) stored */
	uint32_t dup;             /* duplicates ignored */
	uint32_t ooo;             /* stored ahead of a gap */
};

/* One copy record: staging [src, src + len) -> module address dst. */
struct otk_copy_slot {
	uint32_t src;
	uint32_t len;             /* bytes in staging, CRC included */
	uint32_t dst;
	uint32_t out_len;         /* bytes written at dst (inflated size) */
	uint8_t flags;            /* OTK_FLAG_COMPRESSED */
	uint8_t function;
	uint8_t index;
};

/* What validation found, for the transport's reply and logs. */
struct otk_update_result {
	uint8_t nmodules;
	struct otk_prefix modules[OTK_UPDATE_MAX_MODULES];
	int8_t failed;            /* module the error is about, -1 when none */
};

struct otk_update {
	struct otk_update_config cfg;
	struct otk_flash_area ota;

	/* transfer */
	bool active;              /* begin() succeeded, not finished */
	bool resumable;
	uint8_t flags, function;
	uint32_t size, received, saved_at;
	uint32_t origin, chunk;   /* chunk n at origin + n * chunk; chunk 0: stream */
	uint32_t limit;           /* staging bytes that may be written now */
	uint8_t file_sha[OTK_SHA256_LEN];
	struct otk_sha256 sha;    /* running hash of [0, received) */
	struct otk_update_stats stats;

	/* persisted transfer state as last loaded/written */
	bool p_valid;
	uint32_t p_size, p_prefix;
	uint8_t p_file_sha[OTK_SHA256_LEN];
	uint8_t p_prefix_sha[OTK_SHA256_LEN];
	uint8_t p_flags, p_function;
	/* staging beyond store_at overlaps the asset area (nRF52840 with 4 MB
	 * flash: 606,208); p_store_gone: a transfer has written there, the
	 * store is formatted once no copy or resumable transfer needs it */
	uint32_t store_at;
	bool p_store_gone;

	/* pending copies */
	uint8_t nslots;
	struct otk_copy_slot slot[OTK_UPDATE_SLOTS];

	/* persisted state: transfer progress and copy records (SETTINGS) */
	struct otk_journal journal;

	/* asset storage, see otk_update_set_assets() */
	struct otk_assets *assets;
};

/*
 * Open the staging and settings areas and load the newest valid journal
 * record.  Errors: OTK_EINVAL (buffer too small), area open or read errors.
 */
int otk_update_init(struct otk_update *u, const struct otk_update_config *cfg);

/*
 * Accept asset modules (function 9): after otk_update_init(), give the
 * asset API (asset_api.h: store + the current app's dependency list).  At
 * begin an asset module over the store's limit is refused
 * (OTK_EASSET_TOOBIG); at APPLY it is stored at once from staging (stored
 * assets the app does not require are deleted, a file of the same name is
 * replaced, the asset state becomes WANT) and no copy is recorded.  Without
 * this, asset modules are refused (OTK_EUPD_UNSUPPORTED).
 */
void otk_update_set_assets(struct otk_update *u, struct otk_assets *assets);

/*
 * Start (or resume) receiving a file.  Returns the offset to resume from
 * (>= 0): when size and hash match the persisted progress and staging
 * still hashes to the saved prefix hash, the saved prefix rounded down to
 * the staging erase unit (the unit after it is erased again: chunks written
 * there before the cut may be torn or ahead of a gap), else 0 after erasing
 * staging.  Errors: OTK_EUPD_SIZE (0), OTK_EUPD_TOOLARGE (larger than
 * staging), OTK_EUPD_BUSY (an applied update awaits reboot), OTK_EINVAL
 * (chunk size not a multiple of the write alignment), OTK_EASSET_TOOBIG,
 * OTK_EASSET_STAGING (an asset that would be staged over the asset area,
 * nRF52840 with 4 MB flash), flash errors.  A file of another function
 * that needs staging over the asset area gives the asset store up: it is
 * formatted by otk_update_recover() once nothing needs those bytes.
 */
long otk_update_begin(struct otk_update *u, const struct otk_update_start *start);

/*
 * Store len bytes at offset.
 * Stream (chunk_size 0): offset at most the bytes received so far (overlaps
 * with received data are ignored), every piece but the last a multiple of
 * the staging write alignment (OTK_EUPD_UNALIGNED), nothing beyond the
 * received bytes (OTK_EUPD_GAP).
 * Chunks: offset on a chunk boundary and len the chunk size (the last
 * chunk may be short), else OTK_EUPD_UNALIGNED; a chunk before the
 * contiguous prefix or already in the window is a duplicate (counted,
 * OTK_OK); a chunk beyond the window is OTK_EUPD_WINDOW.
 * Other errors: OTK_EUPD_STATE, OTK_EUPD_SIZE, flash errors; and once the
 * module function is learnt from the prefix, the errors begin() gives for
 * it (the transfer is then stopped).
 */
int otk_update_write(struct otk_update *u, uint32_t offset, const void *data, size_t len);

/*
 * UpdateAck: returns the number of chunks received contiguously since the
 * resume offset and fills bits[0..nwords) with the window bitmap, bit i
 * (bit i % 32 of bits[i / 32]) set when chunk (contiguous + i) is in: OTA
 * v3's "bit i = chunk contiguous + 1 + i" with 1-based chunk numbers.
 */
uint32_t otk_update_ack(const struct otk_update *u, uint32_t *bits, size_t nwords);

/* Persist progress now (transports call it from a timer). */
int otk_update_save(struct otk_update *u);

/*
 * Finish the transfer.  VALIDATE and APPLY need all bytes (OTK_EUPD_INCOMPLETE)
 * and then check the file hash and every module: OTK_EUPD_INTEGRITY,
 * OTK_ETRUNCATED, OTK_ENOPREFIX, OTK_EUPD_PLATFORM, OTK_EUPD_RANGE,
 * OTK_EUPD_TOOLARGE, OTK_EUPD_DEPENDENCY, OTK_EUPD_DOWNGRADE,
 * OTK_EUPD_UNSUPPORTED.  APPLY then persists the copy records; the copy is
 * done by otk_update_recover() at the next boot.  res may be NULL.
 */
int otk_update_finish(struct otk_update *u, enum otk_update_finish_mode mode,
		      struct otk_update_result *res);

/* Whether copy records are waiting for the next boot. */
bool otk_update_pending(const struct otk_update *u);

/* Chunks the window holds (OTA v3 WINDOW_SIZE), the caller's bitmap size. */
uint32_t otk_update_window_chunks(const struct otk_update *u);

/*
 * Complete the recorded copies (inflating compressed modules), verify each
 * destination's CRC and clear the records.  Safe to interrupt at any point:
 * the next call redoes the copies.  *copied (may be NULL) gets the number of
 * modules written.  OTK_EUPD_COPY when a destination fails verification
 * twice (its record is cleared so the device does not loop).  Then, when a
 * transfer gave the asset store up and no copy record or resumable
 * transfer needs staging any more, formats the asset area (the caller
 * opens the asset store after this).
 */
int otk_update_recover(struct otk_update *u, unsigned *copied);

#ifdef __cplusplus
}
#endif

#endif
