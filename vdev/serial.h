/*
 * The virtual device's USB serial port (serial.c): the CDC ACM interface of
 * the normal-mode personality, a pty of our own that otakit-vbus describes
 * as /dev/ttyACMn (spec 07).  Listening mode speaks core/src/listen.c
 * there (YMODEM into the update engine); otherwise the port carries the
 * device log.
 */
#ifndef OTK_VDEV_SERIAL_H
#define OTK_VDEV_SERIAL_H

#include <stdbool.h>
#include <stdint.h>

#include "otk/listen.h"
#include "vdev.h"

struct vusb;

struct vserial {
	int master, slave;            /* -1: closed; the slave is kept open (raw) */
	char path[64];                /* the slave, /dev/pts/N */
	uint32_t baud;                /* last line speed the host set */
	struct vusb *usb;
	struct otk_listen listen;
	struct otk_listen_info info;
	uint32_t received;            /* YMODEM bytes stored (progress log) */
	uint8_t mac[6];               /* Wi-Fi platforms: made from the device id */
};

/* A fresh pty (at every plug: a reset closes the port as on a real device). */
bool vserial_open(struct vserial *s, struct vusb *u);
void vserial_close(struct vserial *s);
/* Data from the host waiting on the master: answer it (listening mode). */
void vserial_read(struct vserial *s);
/* Timeouts and the line speed; call between polls. */
void vserial_tick(struct vserial *s);
/* A log line for the port (normal mode only; dropped when nobody reads). */
void vserial_log(const char *line, size_t len);

#endif
