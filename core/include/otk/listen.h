/*
 * Listening mode (blinking dark blue) on the USB serial port: the
 * single-character commands Device OS answers there, as an I/O-free
 * handler.  The caller feeds the bytes read from the port with its clock;
 * answers go out through ops->write; what the device must do (leave
 * listening mode, reboot into safe mode listening, reboot after a file was
 * applied) comes back through ops->action.
 *
 *   i  "Your device id is <id>"            m  "Your device MAC address is" + MAC
 *   v  "system firmware version: X.Y.Z"    s  JSON system information (spec 04)
 *   L  listen on boot, reset into safe mode   x  exit listening mode
 *   f  YMODEM update ("Waiting for the binary file to be sent ... (press 'a'
 *      to abort)"), the file through the sink given to otk_listen_init()
 *
 * Anything else (CR, LF, other keys, binary noise) is ignored, as Device OS
 * ignores it.  During a YMODEM transfer every byte goes to the receiver.
 * No heap, no stdio.
 */
#ifndef OTK_LISTEN_H
#define OTK_LISTEN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/image.h"
#include "otk/layout.h"
#include "otk/ymodem.h"

#ifdef __cplusplus
extern "C" {
#endif

enum otk_listen_action {
	OTK_LISTEN_EXIT = 1,        /* x: back to normal operation */
	OTK_LISTEN_SAFE_LISTEN,     /* L: reset into safe mode, listening */
	OTK_LISTEN_UPDATED,         /* f: a file was applied: reset to install it */
	OTK_LISTEN_UPDATE_FAILED,   /* f: the transfer ended without a file applied */
};

/* What the commands report, kept by the caller for the handler's life. */
struct otk_listen_info {
	const char *device_id;      /* 24 hex digits */
	const char *version;        /* Device OS release, "6.3.2" */
	uint16_t platform;
	const uint8_t *mac;         /* 6 bytes, or NULL: none */
	const struct otk_layout *layout;         /* area sizes for "s" (may be NULL) */
	const struct otk_installed *modules;     /* this boot's modules */
	size_t nmodules;
};

struct otk_listen_ops {
	void (*write)(void *ctx, const void *data, size_t len);
	/* result: the transfer's otk_ymodem_result() for UPDATED / UPDATE_FAILED */
	void (*action)(void *ctx, enum otk_listen_action a, int result);
};

struct otk_listen {
	const struct otk_listen_ops *ops;
	void *ctx;
	const struct otk_listen_info *info;
	const struct otk_ymodem_sink *sink;
	void *sink_ctx;
	bool receiving;             /* a YMODEM transfer owns the port */
	struct otk_ymodem ym;
};

void otk_listen_init(struct otk_listen *l, const struct otk_listen_ops *ops, void *ctx,
		     const struct otk_listen_info *info, const struct otk_ymodem_sink *sink,
		     void *sink_ctx);

/* Bytes from the port; now is the caller's clock in ms (YMODEM timeouts). */
void otk_listen_input(struct otk_listen *l, const uint8_t *data, size_t len, uint32_t now);

/* Call at least every 100 ms while the port is quiet. */
void otk_listen_tick(struct otk_listen *l, uint32_t now);

/* Whether a YMODEM transfer is running. */
bool otk_listen_receiving(const struct otk_listen *l);

#ifdef __cplusplus
}
#endif

#endif
