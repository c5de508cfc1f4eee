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
 * Assets (Asset OTA): declared for the asset store that is being written.
 * Until it lands these report no assets: count 0, the others -1.
 */
struct otakit_asset {
	char name[64];
	uint32_t size;
};
int otakit_asset_count(void);
int otakit_asset_get(int i, struct otakit_asset *out);
/* Read up to len bytes of asset i from offset; bytes read or -1. */
long otakit_asset_read(int i, uint32_t offset, void *buf, size_t len);

#ifdef __cplusplus
}
#endif

#endif
