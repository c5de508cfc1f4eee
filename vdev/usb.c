/* The virtual device's USB personality: see usb.h. */
#define _GNU_SOURCE
#include "usb.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "otk/error.h"
#include "otk/platform.h"
#include "cloud.h"
#include "vbus/vbus.h"

#define DCT_SIZE VDEV_DCT_SIZE
#define STR_SAFE_MODE 0xFA   /* "sm=o": security mode open */

static uint8_t msg[VBUS_MAX_MSG];

/* Flash ops over a window of a flash file: outside the file reads erased, writes fail. */
static int win_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct vusb_window *w = ctx;
	uint8_t *b = buf;
	if (w->fd >= 0)
		return pread(w->fd, buf, len, off) == (ssize_t)len ? OTK_OK : OTK_EIO;
	for (size_t i = 0; i < len; i++) {
		uint32_t a = w->origin + off + (uint32_t)i;
		if (a < w->f->base || a - w->f->base >= w->f->size) {
			b[i] = 0xFF;
			continue;
		}
		size_t run = w->f->size - (a - w->f->base);
		if (run > len - i)
			run = len - i;
		int rc = flashfile_ops.read(w->f, a - w->f->base, b + i, run);
		if (rc)
			return rc;
		i += run - 1;
	}
	return OTK_OK;
}

static bool inside(const struct vusb_window *w, uint32_t off, size_t len, uint32_t *foff)
{
	uint32_t a = w->origin + off;
	if (a < w->f->base || a - w->f->base > w->f->size || len > w->f->size - (a - w->f->base))
		return false;
	*foff = a - w->f->base;
	return true;
}

static int win_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct vusb_window *w = ctx;
	uint32_t foff;
	if (w->fd >= 0) /* the DCT takes writes without erase, as Device OS's does */
		return pwrite(w->fd, buf, len, off) == (ssize_t)len ? OTK_OK : OTK_EIO;
	if (!inside(w, off, len, &foff))
		return OTK_EIO;
	return flashfile_ops.write(w->f, foff, buf, len);
}

static int win_erase(void *ctx, uint32_t off, size_t len)
{
	struct vusb_window *w = ctx;
	uint32_t foff;
	if (w->fd >= 0)
		return OTK_EIO;
	if (!inside(w, off, len, &foff))
		return OTK_EIO;
	return flashfile_ops.erase(w->f, foff, len);
}

static const struct otk_flash_ops win_ops = {win_read, win_write, win_erase};

static void add_alt(struct vusb *u, const char *memstr, struct flashfile *f, int fd,
		    uint32_t origin, uint32_t size)
{
	uint8_t i = u->nalts++;
	snprintf(u->memstr[i], sizeof u->memstr[i], "%s", memstr);
	u->win[i].f = f;
	u->win[i].fd = fd;
	u->win[i].origin = origin;
	u->fa[i].ops = &win_ops;
	u->fa[i].ctx = &u->win[i];
	u->fa[i].size = size;
	u->fa[i].erase_size = VDEV_ERASE_SIZE;
	u->fa[i].write_align = fd >= 0 ? 1 : VDEV_WRITE_ALIGN;
	u->fa[i].erased = 0xFF;
	u->fa[i].addr = origin;
	u->alts[i].name = u->memstr[i];
	u->alts[i].fa = &u->fa[i];
}

/* The platform's DfuSe alt settings (spec 04) over the device's flash files. */
static bool setup_alts(struct vusb *u)
{
	struct vdev *v = u->v;
	const struct otk_platform *p = otk_platform_by_id(v->dev.platform);
	struct flashfile *in = &v->flash[OTK_AREA_INTERNAL];
	char s[96];
	int fd;
	for (uint8_t i = 0; i < u->nalts; i++)
		if (u->win[i].fd >= 0)
			close(u->win[i].fd);
	u->nalts = 0;
	if (p && p->mcu == OTK_MCU_NRF52840)
		add_alt(u, "@Internal Flash /0x00000000/1*004Ka,47*004Kg,192*004Kg,4*004Kg,4*004Kg,8*004Ka",
			in, -1, 0, 256 * 4096);
	else if (p && p->mcu == OTK_MCU_RTL872X)
		add_alt(u, "@Internal Flash /0x08000000/2048*004Kg", in, -1, 0x08000000, 2048 * 4096);
	else if (p && p->mcu == OTK_MCU_STM32F2)
		add_alt(u, "@Internal Flash /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg", in, -1,
			0x08000000, 1024 * 1024);
	else {
		snprintf(s, sizeof s, "@Internal Flash /0x%08X/%u*004Kg", (unsigned)in->base,
			 (unsigned)(in->size / 4096));
		add_alt(u, s, in, -1, in->base, in->size);
	}
	/* Alt 1: the DCT, a 16 KB file beside the flash files (cloud_keys.c). */
	fd = vdev_dct_open(v->dir);
	if (fd < 0)
		return false;
	add_alt(u, "@DCT Flash /0x00000000/1*016Ke", NULL, fd, 0, DCT_SIZE);
	/* Alt 2: external flash at 0x80000000 on nRF52840. */
	if (p && p->mcu == OTK_MCU_NRF52840 && v->has[OTK_AREA_EXTERNAL]) {
		uint32_t size = v->flash[OTK_AREA_EXTERNAL].size <= 4u << 20 ? 4u << 20 : 8u << 20;
		snprintf(s, sizeof s, "@External Flash /0x80000000/%u*004Kg", (unsigned)(size / 4096));
		/* external addresses are offsets in the chip: the window starts at 0 */
		add_alt(u, s, &v->flash[OTK_AREA_EXTERNAL], -1, 0, size);
	}
	return otk_dfuse_init(&u->dfuse, u->alts, u->nalts, 0, u->dbuf, sizeof u->dbuf) == OTK_OK;
}

static size_t put_desc(uint8_t *p, const uint8_t *d, size_t n)
{
	memcpy(p, d, n);
	return n;
}

/*
 * The CDC ACM serial port, interfaces 1 (communication, one interrupt
 * endpoint) and 2 (data, two bulk endpoints), tied by an association.  The
 * data itself goes through the pty otakit-vbus describes as its tty.
 */
static size_t cdc_acm(uint8_t *out)
{
	static const uint8_t d[] = {
		8, 0x0B, 1, 2, 0x02, 0x02, 0x01, 0,       /* interface association */
		9, 4, 1, 0, 1, 0x02, 0x02, 0x01, 0,       /* communication interface */
		5, 0x24, 0x00, 0x10, 0x01,                /* header, CDC 1.10 */
		5, 0x24, 0x01, 0x00, 2,                   /* call management */
		4, 0x24, 0x02, 0x02,                      /* ACM: line coding */
		5, 0x24, 0x06, 1, 2,                      /* union: 1 controls 2 */
		7, 5, 0x83, 0x03, 8, 0, 0xFF,             /* notifications, interrupt IN */
		9, 4, 2, 0, 2, 0x0A, 0, 0, 0,             /* data interface */
		7, 5, 0x01, 0x02, 64, 0, 0,               /* bulk OUT */
		7, 5, 0x81, 0x02, 64, 0, 0,               /* bulk IN */
	};
	return put_desc(out, d, sizeof d);
}

/* Device + configuration descriptors for the current personality. */
static size_t descriptors(const struct vusb *u, uint8_t *out, uint16_t *pid)
{
	const struct otk_platform *p = otk_platform_by_id(u->v->dev.platform);
	uint16_t id = u->v->dev.platform;
	uint8_t dev[18] = {18, 1, 0x00, 0x02, 0, 0, 0, 64, 0x04, 0x2B, 0, 0, 0x50, 0x02, 1, 2, 3, 1};
	size_t n = 0, cfg;
	*pid = u->dfu ? (p && p->has_dfu ? p->dfu_pid : (uint16_t)(0xD000 | id))
		      : (p && p->has_usb ? p->usb_pid : (uint16_t)(0xC000 | id));
	dev[10] = (uint8_t)*pid;
	dev[11] = (uint8_t)(*pid >> 8);
	n += put_desc(out, dev, sizeof dev);
	cfg = n;
	{
		uint8_t c[9] = {9, 2, 0, 0, u->dfu ? 1 : 3, 1, 0, 0xC0, 50};
		n += put_desc(out + n, c, sizeof c);
	}
	if (u->dfu) {
		for (uint8_t a = 0; a < u->nalts; a++) {
			uint8_t i[9] = {9, 4, 0, a, 0, 0xFE, 1, 2, (uint8_t)(4 + a)};
			n += put_desc(out + n, i, sizeof i);
		}
		/* DFU functional: download, upload, will detach; 4096-byte transfers; DfuSe 1.1a */
		uint8_t f[9] = {9, 0x21, 0x0B, 0xFF, 0x00, 0x00, 0x10, 0x1A, 0x01};
		n += put_desc(out + n, f, sizeof f);
	} else {
		/* The vendor interface of Particle's control requests. */
		uint8_t i[9] = {9, 4, 0, 0, 0, 0xFF, 0xFF, 0xFF, 0};
		n += put_desc(out + n, i, sizeof i);
		n += cdc_acm(out + n);
	}
	out[cfg + 2] = (uint8_t)(n - cfg);
	out[cfg + 3] = (uint8_t)((n - cfg) >> 8);
	return n;
}

static const char *product(const struct vusb *u, char *buf, size_t cap)
{
	const struct otk_platform *p = otk_platform_by_id(u->v->dev.platform);
	const char *name = p && p->display_name ? p->display_name : u->v->layout->name;
	snprintf(buf, cap, "%s%s", name, u->dfu ? " DFU Mode" : "");
	return buf;
}

static int string_desc(const struct vusb *u, uint8_t index, uint8_t *in, uint16_t cap)
{
	char prod[96];
	const char *s;
	uint8_t d[256];
	size_t n;
	if (index == 0) {
		uint8_t lang[4] = {4, 3, 0x09, 0x04};
		n = cap < 4 ? cap : 4;
		memcpy(in, lang, n);
		return (int)n;
	}
	if (index == 1)
		s = "Particle";
	else if (index == 2)
		s = product(u, prod, sizeof prod);
	else if (index == 3)
		s = u->v->id;
	else if (u->dfu && index >= 4 && index < 4 + u->nalts)
		s = u->memstr[index - 4];
	else if (index == STR_SAFE_MODE)
		s = "sm=o";
	else
		return -1;
	n = strlen(s);
	if (n > 126)
		n = 126;
	d[0] = (uint8_t)(2 + 2 * n);
	d[1] = 3;
	for (size_t i = 0; i < n; i++) {
		d[2 + 2 * i] = (uint8_t)s[i];
		d[3 + 2 * i] = 0;
	}
	n = d[0] < cap ? d[0] : cap;
	memcpy(in, d, n);
	return (int)n;
}

static int standard(struct vusb *u, const uint8_t *setup, uint8_t *in, uint16_t cap)
{
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	switch (setup[1]) {
	case 0: /* GET_STATUS */
		if (cap < 2)
			return -1;
		in[0] = in[1] = 0;
		return 2;
	case 6: { /* GET_DESCRIPTOR */
		uint8_t all[512];
		uint16_t pid;
		size_t n = descriptors(u, all, &pid);
		uint8_t type = (uint8_t)(value >> 8);
		if (type == 3)
			return string_desc(u, (uint8_t)value, in, cap);
		if (type == 1) {
			n = 18;
			memmove(all, all, n);
		} else if (type == 2) {
			n -= 18;
			memmove(all, all + 18, n);
		} else {
			return -1;
		}
		if (n > cap)
			n = cap;
		memcpy(in, all, n);
		return (int)n;
	}
	case 8: /* GET_CONFIGURATION */
		if (cap < 1)
			return -1;
		in[0] = 1;
		return 1;
	case 9: /* SET_CONFIGURATION */
		return 0;
	case 11: /* SET_INTERFACE */
		if (u->dfu)
			return otk_dfuse_set_alt(&u->dfuse, (uint8_t)value) == OTK_OK ? 0 : -1;
		return value == 0 ? 0 : -1;
	default:
		return -1;
	}
}

/* Control requests of normal mode that need no protobuf payload. */
static int32_t handle(void *ctx, uint16_t type, const uint8_t *req, size_t req_len, uint8_t *rep,
		      size_t rep_cap, size_t *rep_len)
{
	struct vusb *u = ctx;
	*rep_len = 0;
	switch (type) {
	case 40: /* reset */
		u->action = VUSB_RESET;
		return OTK_CTRL_RESULT_OK;
	case 50: /* enter DFU mode */
		u->action = VUSB_ENTER_DFU;
		return OTK_CTRL_RESULT_OK;
	case 60: /* enter safe mode */
		u->action = VUSB_SAFE_MODE;
		return OTK_CTRL_RESULT_OK;
	default:
#ifdef OTK_HAVE_PROTOS
		return vusb_request_pb(u, type, req, req_len, rep, rep_cap, rep_len);
#else
		(void)req;
		(void)req_len;
		(void)rep;
		(void)rep_cap;
		return OTK_CTRL_NOT_SUPPORTED;
#endif
	}
}

static int simple(void *ctx, uint16_t type, uint8_t *in, size_t cap)
{
	struct vusb *u = ctx;
	const char *s;
	size_t n;
	if (type == 20)
		s = u->v->id;
	else if (type == 30)
		s = u->v->dos;
	else if (type == 40) {
		u->action = VUSB_RESET;
		return 0;
	} else
		return -1;
	n = strlen(s);
	if (n > cap)
		n = cap;
	memcpy(in, s, n);
	return (int)n;
}

static const struct otk_ctrl_ops ctrl_ops = {handle, simple};

/* One request of endpoint 0: IN length, 0, or < 0 to stall. */
static int control(struct vusb *u, const uint8_t *setup, const uint8_t *out, uint16_t out_len,
		   uint8_t *in, uint16_t cap)
{
	uint8_t type = setup[0] & 0x60;
	uint16_t value = (uint16_t)(setup[2] | setup[3] << 8);
	uint16_t index = (uint16_t)(setup[4] | setup[5] << 8);
	if (type == 0x00)
		return standard(u, setup, in, cap);
	if (type == 0x20 && u->dfu) {
		int rc = otk_dfuse_request(&u->dfuse, setup[1], value, out, out_len,
					   (setup[0] & 0x80) ? in : NULL, cap);
		unsigned act = otk_dfuse_take_actions(&u->dfuse);
		if (act & OTK_DFUSE_ACT_SAFE_MODE)
			u->action = VUSB_SAFE_MODE;
		else if (act & OTK_DFUSE_ACT_RESET)
			u->action = VUSB_RESET;
		return rc;
	}
	if (type == 0x40 && !u->dfu)
		return otk_ctrl_setup(&u->ctrl, setup[1], value, index, out, out_len,
				      (setup[0] & 0x80) ? in : NULL, cap);
	return -1;
}

static bool plug(struct vusb *u)
{
	char prod[96];
	uint16_t pid;
	size_t n = 7, dlen;
	dlen = descriptors(u, msg + 7, &pid);
	msg[0] = VBUS_PLUG;
	msg[1] = 0x04;
	msg[2] = 0x2B;
	msg[3] = (uint8_t)pid;
	msg[4] = (uint8_t)(pid >> 8);
	msg[5] = (uint8_t)dlen;
	msg[6] = (uint8_t)(dlen >> 8);
	n += dlen;
	n += (size_t)snprintf((char *)msg + n, 64, "Particle") + 1;
	n += (size_t)snprintf((char *)msg + n, 96, "%s", product(u, prod, sizeof prod)) + 1;
	n += (size_t)snprintf((char *)msg + n, 32, "%s", u->v->id) + 1;
	/* normal mode: the pty the bus describes as the CDC ACM tty */
	n += (size_t)snprintf((char *)msg + n, 64, "%s", u->dfu ? "" : u->serial.path) + 1;
	if (send(u->fd, msg, n, MSG_NOSIGNAL) != (ssize_t)n) {
		SYS_ERROR("usb: the bus went away: %s", strerror(errno));
		return false;
	}
	/* The bus acknowledges once the device is enumerable. */
	struct pollfd p = {u->fd, POLLIN, 0};
	if (poll(&p, 1, 10000) != 1 || recv(u->fd, msg, sizeof msg, 0) < 1 || msg[0] != VBUS_REPLY) {
		SYS_ERROR("usb: the bus did not take the device");
		return false;
	}
	SYS_INFO("usb: attached as %04x:%04x (%s)", 0x2b04, pid, u->dfu ? "DFU mode" : "normal mode");
	return true;
}

bool vusb_replug(struct vusb *u, bool dfu)
{
	uint8_t m = VBUS_UNPLUG;
	if (send(u->fd, &m, 1, MSG_NOSIGNAL) != 1)
		return false;
	u->dfu = dfu;
	u->action = VUSB_NONE;
	vserial_close(&u->serial); /* a reset closes the port: readers see it go */
	if (dfu && !setup_alts(u))
		return false;
	if (!dfu && !vserial_open(&u->serial, u))
		return false;
	otk_ctrl_init(&u->ctrl, &ctrl_ops, u, u->cbufs, sizeof u->cbufs / (OTK_CTRL_MAX_ACTIVE + 1));
	return plug(u);
}

bool vusb_attach(struct vusb *u, struct vdev *v, const char *busdir, bool dfu)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	u->v = v;
	u->dfu = dfu;
	u->action = VUSB_NONE;
	u->nalts = 0;
	u->serial.master = u->serial.slave = -1;
	u->fd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", busdir, VBUS_SOCKET) >=
	    (int)sizeof sa.sun_path) {
		cli_error(busdir, "path too long for the bus socket");
		return false;
	}
	if (u->fd < 0 || connect(u->fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		cli_error(sa.sun_path, "cannot reach the USB bus: %s", strerror(errno));
		return false;
	}
	if (dfu && !setup_alts(u))
		return false;
	if (!dfu && !vserial_open(&u->serial, u))
		return false;
	otk_ctrl_init(&u->ctrl, &ctrl_ops, u, u->cbufs, sizeof u->cbufs / (OTK_CTRL_MAX_ACTIVE + 1));
	return plug(u);
}

void vusb_poll(struct vusb *u, int timeout_ms)
{
	struct pollfd p[2] = {{u->fd, POLLIN, 0}, {u->serial.master, POLLIN, 0}};
	static uint8_t in[65536];
	vserial_tick(&u->serial);
	while (u->fd >= 0 && poll(p, u->serial.master >= 0 ? 2 : 1, timeout_ms) > 0) {
		ssize_t n;
		timeout_ms = 0;
		if (p[1].revents & POLLIN)
			vserial_read(&u->serial);
		p[1].revents = 0;
		if (!(p[0].revents & POLLIN))
			continue;
		n = recv(u->fd, msg, sizeof msg, MSG_DONTWAIT);
		int32_t rc;
		uint16_t wlength;
		size_t len = 5;
		timeout_ms = 0;
		if (n <= 0) {
			if (n == 0 || (errno != EAGAIN && errno != EINTR)) {
				SYS_ERROR("usb: the bus went away");
				close(u->fd);
				u->fd = -1;
			}
			return;
		}
		if (msg[0] != VBUS_SETUP || n < 9)
			continue;
		wlength = (uint16_t)(msg[7] | msg[8] << 8);
		if (msg[1] & 0x80) {
			rc = control(u, msg + 1, NULL, 0, in, wlength);
			if (rc > 0)
				len += (size_t)rc;
		} else {
			uint16_t got = (uint16_t)(n - 9 < wlength ? n - 9 : wlength);
			memcpy(in, msg + 9, got);
			rc = control(u, msg + 1, in, got, NULL, 0);
			if (rc > 0)
				rc = 0;
		}
		msg[0] = VBUS_REPLY;
		memcpy(msg + 1, &rc, 4);
		if (rc > 0)
			memcpy(msg + 5, in, (size_t)rc);
		if (send(u->fd, msg, len, MSG_NOSIGNAL) < 0) {
			close(u->fd);
			u->fd = -1;
		}
		p[0].revents = 0;
	}
	vserial_tick(&u->serial);
}

void vusb_detach(struct vusb *u)
{
	vserial_close(&u->serial);
	for (uint8_t i = 0; i < u->nalts; i++)
		if (u->win[i].fd >= 0)
			close(u->win[i].fd);
	u->nalts = 0;
	if (u->fd >= 0)
		close(u->fd);
	u->fd = -1;
}
