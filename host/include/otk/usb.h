/*
 * The host side of Particle USB: finding devices (libusb-1.0), DfuSe
 * (usb_dfu.c) and control requests (usb_ctrl.c).
 *
 * The protocol code talks to a device only through struct otk_usb_io, one
 * control-transfer function, so the unit tests plug in the device
 * library's own DfuSe state machine instead of a bus, and the CLI plugs in
 * libusb (otk_usb_open()).
 */
#ifndef OTK_USB_H
#define OTK_USB_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTK_USB_VENDOR 0x2B04u
#define OTK_USB_TIMEOUT_MS 5000u

/* Errors beyond otk/error.h: the transfer stalled, timed out, or the
 * device went away. */
#define OTK_USB_ESTALL (-200)
#define OTK_USB_ETIMEOUT (-201)
#define OTK_USB_EGONE (-202)
#define OTK_USB_EIO (-203)

struct otk_usb_io {
	/*
	 * One control transfer: bmRequestType's direction bit says whether
	 * data is sent (OUT) or received (IN, up to len bytes).  Returns the
	 * bytes transferred or an OTK_USB_E* code.
	 */
	int (*control)(void *ctx, uint8_t type, uint8_t request, uint16_t value, uint16_t index,
		       uint8_t *data, uint16_t len, unsigned timeout_ms);
	void (*sleep_ms)(void *ctx, unsigned ms);
	void *ctx;
	unsigned long transfers;   /* control transfers made, for the bench */
};

/* Text for an OTK_USB_E* code, else otk_strerror(). */
const char *otk_usb_strerror(int rc);

/* --- devices (libusb) -------------------------------------------------- */

struct otk_usb_info {
	char id[25];               /* serial number: the 24-hex-digit device id */
	uint16_t vid, pid;
	uint16_t platform;         /* from the product id */
	bool dfu;                  /* product 0xD0xx */
	uint8_t bus, address;
};

/* Particle devices on the bus (*list malloc'd, *n of them). */
int otk_usb_list(struct otk_usb_info **list, size_t *n);

struct otk_usb_dev;
/* Open the device with that id (or the only one when id is NULL; OTK_EEXIST
 * when several are attached, OTK_ENOTFOUND when none). */
int otk_usb_open(const char *id, struct otk_usb_dev **dev, struct otk_usb_info *info);
/* The same, only among devices in one mode (0 normal, 1 DFU, -1 either):
 * for waiting on a re-enumeration without touching the departing device. */
int otk_usb_open_mode(const char *id, int mode, struct otk_usb_dev **dev,
		      struct otk_usb_info *info);
void otk_usb_close(struct otk_usb_dev *dev);
struct otk_usb_io *otk_usb_dev_io(struct otk_usb_dev *dev);
/* Claim interface 0 at an alternate setting (DFU). */
int otk_usb_set_alt(struct otk_usb_dev *dev, uint8_t alt);
/* String descriptor of an alt setting of interface 0 (the DfuSe memory
 * string), into buf. */
int otk_usb_alt_name(struct otk_usb_dev *dev, uint8_t alt, char *buf, size_t cap);

/* --- DfuSe client (usb_dfu.c) ------------------------------------------ */

typedef void (*otk_dfu_progress_fn)(void *ctx, size_t done, size_t total);

struct otk_dfu {
	struct otk_usb_io *io;
	uint16_t iface;
	uint16_t xfer;             /* transfer size, 4096 */
	const char *memstr;        /* alt's DfuSe memory string: erase sectors */
	unsigned retries;          /* a stalled or timed-out request is tried again */
	otk_dfu_progress_fn progress;
	void *progress_ctx;
	char err[160];             /* what failed, for messages */
};

/* Erase the sectors covering [addr, addr + len) and write data there. */
int otk_dfu_download(struct otk_dfu *d, uint32_t addr, const uint8_t *data, size_t len);
/* Read len bytes at addr. */
int otk_dfu_upload(struct otk_dfu *d, uint32_t addr, uint8_t *data, size_t len);
/* Leave DFU: set the address to addr, zero-length DNLOAD, GETSTATUS (the
 * device resets; a transfer that fails because it went away is success). */
int otk_dfu_leave(struct otk_dfu *d, uint32_t addr);
/* Particle's DfuSe command 0xFA: leave DFU into safe mode (the device resets
 * after the status request; losing it then is success). */
int otk_dfu_safe_mode(struct otk_dfu *d);

/* --- control requests (usb_ctrl.c) ------------------------------------ */

/* Request types of spec 04. */
enum otk_usb_request_type {
	OTK_REQ_DEVICE_ID = 20,
	OTK_REQ_SERIAL_NUMBER = 21,
	OTK_REQ_FIRMWARE_VERSION = 30,
	OTK_REQ_RESET = 40,
	OTK_REQ_FACTORY_RESET = 41,
	OTK_REQ_DFU_MODE = 50,
	OTK_REQ_SAFE_MODE = 60,
	OTK_REQ_START_LISTENING = 70,
	OTK_REQ_STOP_LISTENING = 71,
	OTK_REQ_DEVICE_MODE = 72,
	OTK_REQ_SETUP_DONE = 73,
	OTK_REQ_MODULE_INFO = 90,
	OTK_REQ_ASSET_INFO = 91,
	OTK_REQ_START_FIRMWARE_UPDATE = 250,
	OTK_REQ_FINISH_FIRMWARE_UPDATE = 251,
	OTK_REQ_CANCEL_FIRMWARE_UPDATE = 252,
	OTK_REQ_FIRMWARE_UPDATE_DATA = 253,
};

/* Device OS's answer to a request it does not know. */
#define OTK_USB_RESULT_NOT_SUPPORTED (-120)

/*
 * One service request: INIT (type, payload size), SEND the payload in
 * chunks of at most 4096 bytes, CHECK on the schedule 50, 50, 100, 100,
 * 250, 250, 500, 500, 1000 ms (then every 1000 ms) until the reply is
 * ready or timeout_ms passed, RECV the reply.  *result gets the device's
 * result code (0, or a negative Device OS error such as
 * OTK_USB_RESULT_NOT_SUPPORTED); *rep (malloc'd, may be NULL when empty)
 * the reply payload.  A BUSY device (all four request slots taken) is asked
 * again on the same schedule.  Returns OTK_OK when a result arrived, else a
 * transfer error or OTK_USB_ETIMEOUT.
 */
int otk_usb_request(struct otk_usb_io *io, uint16_t type, const uint8_t *req, size_t req_len,
		    int32_t *result, uint8_t **rep, size_t *rep_len, unsigned timeout_ms);

/* The simple request 0x50 with wIndex = type (text answer, NUL-terminated
 * into buf); returns its length or an error. */
int otk_usb_simple(struct otk_usb_io *io, uint16_t type, char *buf, size_t cap);

/* --- protobuf requests (usb_msgs.c; OTK_EUNSUPPORTED in a build without
 * the generated messages) ------------------------------------------------ */

struct otk_usb_module {
	uint8_t function, index;
	uint16_t version;
	uint32_t size;
	bool valid;                /* every check the device made passed */
};
struct otk_usb_asset {
	char *name;
	uint8_t hash[32];
};

/* Module info (type 90) and asset info (91): *result is the device's code. */
int otk_usb_module_info(struct otk_usb_io *io, struct otk_usb_module **mods, size_t *n,
			int32_t *result);
int otk_usb_asset_info(struct otk_usb_io *io, struct otk_usb_asset **assets, size_t *n,
		       int32_t *result);
void otk_usb_assets_free(struct otk_usb_asset *a, size_t n);
int otk_usb_setup_done(struct otk_usb_io *io, bool done, int32_t *result);
/*
 * A module through the firmware update requests (start {size}, data in the
 * chunk size the device gives, finish): the device validates, applies and
 * resets.  *step names the request that failed ("start", "data", "finish").
 */
int otk_usb_firmware_update(struct otk_usb_io *io, const uint8_t *data, size_t len,
			    otk_dfu_progress_fn progress, void *ctx, int32_t *result,
			    const char **step);

#endif
