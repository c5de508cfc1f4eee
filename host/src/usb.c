/*
 * Particle devices through libusb-1.0 (otk/usb.h): listing by vendor
 * 0x2B04 (product 0xC0xx normal, 0xD0xx DFU, xx = platform id; the serial
 * number string is the device id), opening one, and its control pipe as a
 * struct otk_usb_io.
 */
#define _GNU_SOURCE
#include <ctype.h>
#include <libusb.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "otk/error.h"
#include "otk/usb.h"

struct otk_usb_dev {
	libusb_context *ctx;
	libusb_device_handle *h;
	bool claimed;
	struct otk_usb_io io;
};

static int map_error(int rc)
{
	switch (rc) {
	case LIBUSB_ERROR_PIPE: return OTK_USB_ESTALL;
	case LIBUSB_ERROR_TIMEOUT: return OTK_USB_ETIMEOUT;
	case LIBUSB_ERROR_NO_DEVICE:
	case LIBUSB_ERROR_NOT_FOUND: return OTK_USB_EGONE;
	case LIBUSB_ERROR_NO_MEM: return OTK_ENOMEM;
	default: return OTK_USB_EIO;
	}
}

static int dev_control(void *ctx, uint8_t type, uint8_t request, uint16_t value, uint16_t index,
		       uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct otk_usb_dev *d = ctx;
	int rc = libusb_control_transfer(d->h, type, request, value, index, data, len, timeout_ms);
	return rc < 0 ? map_error(rc) : rc;
}

static void dev_sleep(void *ctx, unsigned ms)
{
	(void)ctx;
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

static bool is_particle(const struct libusb_device_descriptor *dd)
{
	uint8_t kind = (uint8_t)(dd->idProduct >> 8);
	return dd->idVendor == OTK_USB_VENDOR && (kind == 0xC0 || kind == 0xD0);
}

/* The serial number of an opened device: its id, lower case. */
static void read_id(libusb_device_handle *h, uint8_t index, char id[25])
{
	unsigned char s[64];
	id[0] = 0;
	int n = index ? libusb_get_string_descriptor_ascii(h, index, s, sizeof s) : -1;
	if (n <= 0)
		return;
	size_t k = 0;
	for (int i = 0; i < n && k < 24; i++)
		id[k++] = (char)tolower(s[i]);
	id[k] = 0;
}

static void fill_info(libusb_device *dev, const struct libusb_device_descriptor *dd,
		      libusb_device_handle *h, struct otk_usb_info *info)
{
	memset(info, 0, sizeof *info);
	info->vid = dd->idVendor;
	info->pid = dd->idProduct;
	info->platform = dd->idProduct & 0xFF;
	info->dfu = (dd->idProduct >> 8) == 0xD0;
	info->bus = libusb_get_bus_number(dev);
	info->address = libusb_get_device_address(dev);
	if (h)
		read_id(h, dd->iSerialNumber, info->id);
}

/*
 * Every Particle device (in that mode: 0 normal, 1 DFU, -1 either), opened
 * (handles in hs, caller closes them).  Devices of the other mode are not
 * even opened: one that is re-enumerating may vanish under an open.
 */
static int scan(libusb_context *ctx, int mode, struct otk_usb_info **list,
		libusb_device_handle ***hs, libusb_device ***devs, size_t *n)
{
	libusb_device **all;
	ssize_t k = libusb_get_device_list(ctx, &all);
	if (k < 0)
		return map_error((int)k);
	*list = calloc((size_t)k + 1, sizeof **list);
	*hs = calloc((size_t)k + 1, sizeof **hs);
	*devs = calloc((size_t)k + 1, sizeof **devs);
	*n = 0;
	if (!*list || !*hs || !*devs) {
		libusb_free_device_list(all, 1);
		return OTK_ENOMEM;
	}
	for (ssize_t i = 0; i < k; i++) {
		struct libusb_device_descriptor dd;
		if (libusb_get_device_descriptor(all[i], &dd) < 0 || !is_particle(&dd))
			continue;
		if (mode >= 0 && ((dd.idProduct >> 8) == 0xD0) != (mode == 1))
			continue;
		libusb_device_handle *h = NULL;
		if (libusb_open(all[i], &h) < 0)
			h = NULL;   /* listed without its id (permissions) */
		fill_info(all[i], &dd, h, &(*list)[*n]);
		(*hs)[*n] = h;
		(*devs)[*n] = libusb_ref_device(all[i]);
		(*n)++;
	}
	libusb_free_device_list(all, 1);
	return OTK_OK;
}

static void scan_free(libusb_device_handle **hs, libusb_device **devs, size_t n, size_t keep)
{
	for (size_t i = 0; i < n; i++) {
		if (i != keep && hs[i])
			libusb_close(hs[i]);
		libusb_unref_device(devs[i]);
	}
	free(hs);
	free(devs);
}

int otk_usb_list(struct otk_usb_info **list, size_t *n)
{
	libusb_context *ctx;
	int rc = libusb_init(&ctx);
	if (rc < 0)
		return map_error(rc);
	libusb_device_handle **hs = NULL;
	libusb_device **devs = NULL;
	rc = scan(ctx, -1, list, &hs, &devs, n);
	if (hs)
		scan_free(hs, devs, *n, (size_t)-1);
	libusb_exit(ctx);
	return rc;
}

int otk_usb_open(const char *id, struct otk_usb_dev **out, struct otk_usb_info *info)
{
	return otk_usb_open_mode(id, -1, out, info);
}

int otk_usb_open_mode(const char *id, int mode, struct otk_usb_dev **out,
		      struct otk_usb_info *info)
{
	*out = NULL;
	struct otk_usb_dev *d = calloc(1, sizeof *d);
	if (!d)
		return OTK_ENOMEM;
	int rc = libusb_init(&d->ctx);
	if (rc < 0) {
		free(d);
		return map_error(rc);
	}
	struct otk_usb_info *list = NULL;
	libusb_device_handle **hs = NULL;
	libusb_device **devs = NULL;
	size_t n = 0, pick = (size_t)-1;
	rc = scan(d->ctx, mode, &list, &hs, &devs, &n);
	for (size_t i = 0; rc == OTK_OK && i < n; i++) {
		if (id && strcasecmp(list[i].id, id) != 0)
			continue;
		if (pick != (size_t)-1) {
			rc = OTK_EEXIST;
			break;
		}
		pick = i;
	}
	if (rc == OTK_OK && pick == (size_t)-1)
		rc = OTK_ENOTFOUND;
	if (rc == OTK_OK && !hs[pick])
		rc = OTK_EIO;   /* found but cannot be opened */
	if (rc == OTK_OK) {
		d->h = hs[pick];
		*info = list[pick];
	}
	if (hs)
		scan_free(hs, devs, n, rc == OTK_OK ? pick : (size_t)-1);
	free(list);
	if (rc < 0) {
		libusb_exit(d->ctx);
		free(d);
		return rc;
	}
	libusb_set_auto_detach_kernel_driver(d->h, 1);
	d->io = (struct otk_usb_io){ dev_control, dev_sleep, d, 0 };
	*out = d;
	return OTK_OK;
}

void otk_usb_close(struct otk_usb_dev *d)
{
	if (!d)
		return;
	if (d->claimed)
		libusb_release_interface(d->h, 0);
	libusb_close(d->h);
	libusb_exit(d->ctx);
	free(d);
}

struct otk_usb_io *otk_usb_dev_io(struct otk_usb_dev *d)
{
	return &d->io;
}

int otk_usb_set_alt(struct otk_usb_dev *d, uint8_t alt)
{
	int rc;
	if (!d->claimed) {
		if ((rc = libusb_claim_interface(d->h, 0)) < 0)
			return map_error(rc);
		d->claimed = true;
	}
	rc = libusb_set_interface_alt_setting(d->h, 0, alt);
	return rc < 0 ? map_error(rc) : OTK_OK;
}

int otk_usb_alt_name(struct otk_usb_dev *d, uint8_t alt, char *buf, size_t cap)
{
	struct libusb_config_descriptor *cfg;
	libusb_device *dev = libusb_get_device(d->h);
	int rc = libusb_get_active_config_descriptor(dev, &cfg);
	if (rc < 0)
		return map_error(rc);
	rc = OTK_ENOTFOUND;
	for (int i = 0; i < cfg->interface[0].num_altsetting; i++) {
		const struct libusb_interface_descriptor *a = &cfg->interface[0].altsetting[i];
		if (a->bAlternateSetting != alt)
			continue;
		int n = libusb_get_string_descriptor_ascii(d->h, a->iInterface, (unsigned char *)buf,
							   (int)cap);
		rc = n < 0 ? map_error(n) : OTK_OK;
		break;
	}
	libusb_free_config_descriptor(cfg);
	return rc;
}
