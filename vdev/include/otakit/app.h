/*
 * The device API a native application for the otakit virtual device is
 * built against.  An application is a shared object exporting setup() and
 * loop() (or otk_app_setup() / otk_app_loop()); otakit-vdev loads it from
 * the installed user part and calls setup() once, then loop() until the
 * device stops.  The functions below are provided by otakit-vdev itself
 * (the application leaves them undefined and the loader resolves them).
 *
 * Build an application with otakit_add_app() from vdev/otakit_app.cmake or
 * with `otakit-vdev build-app`, which wraps the .so in a user part module.
 */
#ifndef OTAKIT_APP_H
#define OTAKIT_APP_H

#include <stddef.h>
#include <stdint.h>


#ifdef __cplusplus
extern "C" {
#endif

enum otakit_log_level {
	OTAKIT_LOG_TRACE = 1,
	OTAKIT_LOG_INFO = 30,
	OTAKIT_LOG_WARN = 40,
	OTAKIT_LOG_ERROR = 50,
};

/* The application's entry points (define these, or otk_app_setup/otk_app_loop). */
void setup(void);
void loop(void);

/*
 * One log line "0000012345 [app] INFO: text", as Device OS prints it; the
 * timestamp is milliseconds since boot.
 */
void otakit_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
#define LOG_INFO(...) otakit_log(OTAKIT_LOG_INFO, __VA_ARGS__)
#define LOG_WARN(...) otakit_log(OTAKIT_LOG_WARN, __VA_ARGS__)
#define LOG_ERROR(...) otakit_log(OTAKIT_LOG_ERROR, __VA_ARGS__)
#define LOG_TRACE(...) otakit_log(OTAKIT_LOG_TRACE, __VA_ARGS__)

/* Milliseconds since the device booted. */
uint32_t otakit_millis(void);

/* Wait ms milliseconds; returns early when the device is stopping. */
void otakit_delay(uint32_t ms);

/* The device id as 24 lower-case hex digits (static storage). */
const char *otakit_device_id(void);

/*
 * Assets (Asset OTA), with Device OS semantics (System.assetsAvailable(),
 * assetsRequired(), onAssetOta(), assetsHandled(), ApplicationAsset).
 * The assets are the files the device's asset store holds for the running
 * application (installed with `otakit-vdev install DIR BUNDLE.zip`).
 */
struct otakit_asset {
	char name[65];            /* NUL-terminated */
	uint8_t hash[32];         /* SHA-256 (the module's HASH extension) */
	uint32_t size;            /* uncompressed bytes; 0 for a required asset not stored */
	uint32_t storage_size;    /* stored module bytes */
};

/* Assets required by the application and stored, in the app's order, into
 * out[0..max).  Returns the count (possibly > max), or -1 on error. */
int otakit_assets_available(struct otakit_asset *out, int max);
/* Assets the application requires (its dependency list): the count. */
int otakit_assets_required(struct otakit_asset *out, int max);
/* assetsHandled(): true -> HANDLED, false -> presented again (WANT) at
 * the next boot.  0 or -1. */
int otakit_assets_handled(int handled);
/* The asset state: 0 none, 1 handled, 2 want (new assets to handle). */
int otakit_assets_state(void);
/*
 * onAssetOta(): the handler runs once at boot, before setup(), when new
 * assets were installed and not yet marked handled.  Register it before
 * setup(), from a constructor: OTAKIT_ON_ASSET_OTA(fn, ctx).
 */
typedef void (*otakit_asset_ota_fn)(void *ctx);
void otakit_on_asset_ota(otakit_asset_ota_fn fn, void *ctx);
#define OTAKIT_ON_ASSET_OTA(fn, ctx) \
	__attribute__((constructor)) static void otakit_register_asset_ota_(void) \
	{ otakit_on_asset_ota((fn), (ctx)); }

/* Accessors (Asset::name/size/storageSize/hash). */
const char *otakit_asset_name(const struct otakit_asset *a);
uint32_t otakit_asset_size(const struct otakit_asset *a);
uint32_t otakit_asset_storage_size(const struct otakit_asset *a);
const uint8_t *otakit_asset_hash(const struct otakit_asset *a);

/*
 * A read stream over an asset's (decompressed) bytes.  open returns NULL
 * when the asset is not stored.  read returns the count (0 at the end) or
 * -1; peek copies without consuming (up to 256 bytes); skip returns the
 * count skipped; seek/reset return 0 or -1; available is the bytes left.
 */
struct otakit_asset_stream;
struct otakit_asset_stream *otakit_asset_open(const struct otakit_asset *a);
long otakit_asset_read(struct otakit_asset_stream *s, void *buf, size_t len);
long otakit_asset_peek(struct otakit_asset_stream *s, void *buf, size_t len);
long otakit_asset_skip(struct otakit_asset_stream *s, size_t len);
int otakit_asset_seek(struct otakit_asset_stream *s, uint32_t pos);
int otakit_asset_reset(struct otakit_asset_stream *s);
uint32_t otakit_asset_available(const struct otakit_asset_stream *s);
uint32_t otakit_asset_tell(const struct otakit_asset_stream *s);
void otakit_asset_close(struct otakit_asset_stream *s);

/*
 * The user file system: paths "/usr/..." (or any absolute path) map into
 * the device directory's fs/ folder (DIR/fs/usr/...), so files survive
 * runs and installs as on a device's flash file system.  otakit_fs_path
 * writes the host path for path into out and returns 0, or -1 when it does
 * not fit or path is not absolute or has a ".." part.  otakit_fs_mkdirs
 * creates a directory and its parents (0 or -1).
 */
int otakit_fs_path(const char *path, char *out, size_t cap);
int otakit_fs_mkdirs(const char *path);

#ifdef __cplusplus
}
#endif

#endif
