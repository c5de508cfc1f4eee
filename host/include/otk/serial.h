/*
 * Particle devices' USB serial ports on the host (host/src/serial.c) and the
 * YMODEM sender (host/src/ymodem_send.c).
 *
 * Ports are found through libudev (tty devices whose USB parent is vendor
 * 0x2B04), which is what particle-cli's serialport reads with `udevadm
 * info -e`; the virtual bus (otakit-vbus) describes its devices' ports the
 * same way.  Line settings through termios: raw 8N1, no flow control.
 */
#ifndef OTK_SERIAL_H
#define OTK_SERIAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct otk_serial_port {
	char path[128];            /* /dev/ttyACM0 */
	char id[25];               /* the USB serial number: the device id */
	uint16_t vid, pid, platform;
	char product[64];
};

/* Particle serial ports (*list malloc'd, *n of them; none is OTK_OK, n 0). */
int otk_serial_list(struct otk_serial_port **list, size_t *n);

/*
 * Open a port raw at baud (9600 when 0); *fd on success.  OTK_EIO with
 * errno on failure.
 */
int otk_serial_open(const char *path, unsigned baud, int *fd);

/* Write all of it (OTK_EIO: the port went away). */
int otk_serial_write(int fd, const void *data, size_t len);

/*
 * Read what arrives within timeout_ms (at least one byte waited for):
 * the byte count, 0 on timeout, OTK_EIO when the port went away.
 */
long otk_serial_read(int fd, void *buf, size_t cap, int timeout_ms);

/*
 * A listening-mode command: send cmd, collect the answer until the line is
 * quiet for quiet_ms (after the first byte) or timeout_ms passes; out is
 * NUL-terminated.  The byte count, or OTK_EIO.
 */
long otk_serial_command(int fd, char cmd, char *out, size_t cap, int quiet_ms, int timeout_ms);

/* --- YMODEM sender ---------------------------------------------------- */

typedef void (*otk_ymodem_progress_fn)(void *ctx, size_t done, size_t total);

struct otk_ymodem_send_result {
	char device_says[160];     /* the device's last line ("Downloaded file successfully!") */
	unsigned retries;          /* packets sent again */
	int step;                  /* where it failed: 0 header, 1 data, 2 EOT, 3 validation */
};

/*
 * Send one file as a YMODEM batch of one (1024-byte packets, 128 for a short
 * tail) on fd: waits up to wait_ms for the receiver's first 'C' (text
 * before it is skipped), retries a packet on NAK, noise or 2 s of silence
 * (10 times at most), then EOT and the closing header, whose answer comes
 * after the device validated the file.  OTK_OK, OTK_EYMODEM_CANCELLED (the
 * device cancelled: res->device_says has its reason, "Validation failed:
 * <code>"), OTK_EYMODEM_ERRORS (no answer), OTK_EIO.
 */
int otk_ymodem_send(int fd, const char *name, const uint8_t *data, size_t len, int wait_ms,
		    otk_ymodem_progress_fn progress, void *ctx, struct otk_ymodem_send_result *res);

#endif
