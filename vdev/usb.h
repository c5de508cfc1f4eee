/*
 * The virtual device's USB personality (usb.c): descriptors and endpoint-0
 * requests in normal mode (vendor control requests, otk_ctrl) and DFU mode
 * (otk_dfuse over the device's flash), spoken to otakit-vbus over its
 * socket (vdev/vbus/vbus.h).  No GLib here: the bus program owns umockdev.
 */
#ifndef OTK_VDEV_USB_H
#define OTK_VDEV_USB_H

#include <stdbool.h>
#include <stdint.h>

#include "otk/ctrl.h"
#include "otk/dfuse.h"
#include "serial.h"
#include "vdev.h"

#define VUSB_ALTS 3

/* What the device must do once the last reply is out. */
enum vusb_action {
	VUSB_NONE = 0,
	VUSB_RESET,        /* reboot (reset request, DfuSe leave) */
	VUSB_ENTER_DFU,    /* reboot into DFU mode */
	VUSB_SAFE_MODE,    /* reboot into safe mode */
};

struct vusb_window {               /* a DfuSe alt's address range over a flash file */
	struct flashfile *f;
	int fd;                        /* DCT: a plain file rewritten in place */
	uint32_t origin;               /* address of the file's byte 0 in the alt's space */
};

struct vusb {
	int fd;                        /* connection to otakit-vbus; -1 none */
	struct vdev *v;
	bool dfu;                      /* DFU mode personality */
	bool listening, setup_done;    /* normal mode state the requests set */
	bool listen_next_boot;         /* 'L' in listening mode: listen after the reset */
	struct vserial serial;         /* normal mode: the CDC ACM port (serial.c) */
	uint32_t fw_off;               /* firmware update over control requests: bytes in */
	const struct otk_boot_report *report; /* this boot's modules (module info) */
	enum vusb_action action;
	/* DFU mode */
	char memstr[VUSB_ALTS][96];
	struct otk_flash_area fa[VUSB_ALTS];
	struct vusb_window win[VUSB_ALTS];
	struct otk_dfuse_alt alts[VUSB_ALTS];
	uint8_t nalts;
	struct otk_dfuse dfuse;
	uint8_t dbuf[OTK_DFUSE_XFER_SIZE];
	/* normal mode */
	struct otk_ctrl ctrl;
	uint8_t cbufs[(OTK_CTRL_MAX_ACTIVE + 1) * 4096];
};

/*
 * Connects to the bus whose directory is busdir and plugs the device in
 * (DFU or normal personality).  false, with a message, on failure.
 */
bool vusb_attach(struct vusb *u, struct vdev *v, const char *busdir, bool dfu);
/* Unplug (as a reset does) and plug in again with the given personality. */
bool vusb_replug(struct vusb *u, bool dfu);
/* Serve the requests waiting on the bus socket for up to timeout_ms. */
void vusb_poll(struct vusb *u, int timeout_ms);
void vusb_detach(struct vusb *u);

#ifdef OTK_HAVE_PROTOS
/* The Wi-Fi MAC address of Wi-Fi platforms (serial.c); false for the others. */
bool vdev_wifi_mac(const struct vdev *v, uint8_t mac[6]);

/* Requests with protobuf payloads (usb_requests.c); OTK_CTRL_NOT_SUPPORTED for others. */
int32_t vusb_request_pb(struct vusb *u, uint16_t type, const uint8_t *req, size_t len, uint8_t *rep,
			size_t cap, size_t *rep_len);
#endif

#endif
