/* Internal interfaces of otakit-vdev, the virtual device. */
#ifndef OTK_VDEV_H
#define OTK_VDEV_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common.h"
#include "otk/asset_api.h"
#include "otk/asset_store.h"
#include "otk/boot.h"
#include "otk/dos_version.h"
#include "otk/flash.h"
#include "otk/inflate.h"
#include "otk/layout.h"
#include "otk/update.h"

#define VDEV_ERASE_SIZE 4096u
#define VDEV_WRITE_ALIGN 4u
#define VDEV_DEFAULT_DOS "6.3.2"
#define VDEV_MAX_ASSETS 64u

/*
 * File-backed NOR flash (flashfile.c): one file per flash device of the
 * layout (internal.bin, external.bin).  Erase sets 0xFF, writes only clear
 * bits, and every write or erase is fdatasync'd before it returns, so a
 * kill -9 between two operations behaves like a power cut between them.
 */
struct flashfile {
	int fd;
	uint32_t base;     /* layout address of byte 0 */
	uint32_t size;
	unsigned delay_ms; /* per write/erase, to widen power-cut windows in tests */
};
extern const struct otk_flash_ops flashfile_ops;
int flashfile_open(struct flashfile *f, const char *path, uint32_t base, uint32_t size,
		   bool create);
void flashfile_close(struct flashfile *f);

/* A virtual device directory (device.c). */
struct vdev {
	char dir[4096];
	char id[25];
	char dos[32];                     /* Device OS the factory image was made for */
	const struct otk_layout *layout;
	struct flashfile flash[2];        /* by enum otk_area_storage */
	bool has[2];
	int lock_fd;                      /* device.conf, write-locked while open */
	struct otk_device dev;
	struct otk_update_config cfg;
	struct otk_update upd;
	struct otk_inflate inf;
	uint8_t buf[4096];
	uint8_t window[32768];
	/* asset store over the layout's asset area (assets.c) */
	bool has_assets;
	struct otk_asset_store astore;
	struct otk_assets assets;
	struct otk_asset_id req[VDEV_MAX_ASSETS];   /* the app's dependency list */
	size_t nreq;
	uint8_t abuf[4096];
};

/* Extent of a storage's areas in the layout; false when it has none. */
bool vdev_storage_extent(const struct otk_layout *l, uint8_t storage, uint32_t *base,
			 uint32_t *size);
/* Open DIR (reads device.conf, opens the flash files); prints errors. */
bool vdev_open(struct vdev *v, const char *dir);
/* otk_update_init on the device; prints errors. */
bool vdev_update_init(struct vdev *v);
void vdev_close(struct vdev *v);

/*
 * Assets (assets.c): open the asset store over the layout's asset area
 * (false, with a message, when the area cannot be used; has_assets tells
 * whether the layout has one), with req[0..nreq) as the app's list, and
 * attach it to the update engine.  vdev_assets_deps reads the asset
 * dependencies of the installed user part into req.  vdev_assets_bind makes
 * the device's assets what the application API (otakit_assets_*) serves.
 */
bool vdev_assets_open(struct vdev *v);
int vdev_assets_deps(struct vdev *v, const struct otk_installed *user);
void vdev_assets_bind(struct vdev *v);
/* The app's onAssetOta handler, when registered and the state is WANT: 1 ran. */
int vdev_assets_run_handler(void);
/* The first required asset not stored (NULL when none). */
const struct otk_asset_id *vdev_assets_first_missing(struct vdev *v);

/* Logging (log.c): "0000012345 [cat] INFO: text" on stdout, line-buffered. */
void vlog_start(void);
uint32_t vlog_millis(void);
void vlog(const char *cat, int level, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
#define SYS_INFO(...) vlog("system", 30, __VA_ARGS__)
#define SYS_WARN(...) vlog("system", 40, __VA_ARGS__)
#define SYS_ERROR(...) vlog("system", 50, __VA_ARGS__)

/* Stop requests (SIGINT/SIGTERM) and the --for deadline. */
extern volatile sig_atomic_t vdev_stop_signal;
extern uint32_t vdev_deadline_ms;   /* 0: none */
bool vdev_should_stop(void);
/*
 * run --usb: called by vdev_should_stop() (every loop() and sleep slice) to
 * serve the bus; vdev_reboot makes the running app stop for a reboot.
 */
extern void (*vdev_poll_hook)(void);
/* Where log lines also go (the USB serial port in normal mode), or NULL. */
extern void (*vdev_log_hook)(const char *line, size_t len);
extern volatile bool vdev_reboot;
/* Sleep ms in small slices, returning early when stopping. */
void vdev_sleep(uint32_t ms);
void vdev_set_device_id(const char *id);

/* Words for things. */
const char *vdev_module_name(uint8_t function, uint8_t index, char *out, size_t cap);
const char *vdev_dos_name(uint16_t system_version);
/*
 * --device-os: a release name ("6.3.4") or any system module version
 * ("6305"; a number no release has is used as it is, described in *custom,
 * whose version string is arg).  NULL when it is neither.
 */
const struct otk_dos_release *vdev_device_os(const char *arg, struct otk_dos_release *custom);

/* Commands. */
int cmd_create(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_install(int argc, char **argv);
int cmd_build_app(int argc, char **argv);
int cmd_bundle(int argc, char **argv);
int vdev_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* A rejected option (getopt), reported once; returns 2. */
int vdev_bad_option(const char *command, char **argv);

#endif
