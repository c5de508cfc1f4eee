/* The virtual device's USB serial port: see serial.h. */
#define _GNU_SOURCE
#include "serial.h"

#include <asm/termbits.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include "otk/error.h"
#include "otk/platform.h"
#include "usb.h"

#define BAUD_DFU 14400u     /* opening the port at this speed asks for DFU mode */
#define BAUD_LISTEN 28800u  /* and at this one for listening mode */

static struct vserial *g_port; /* where log lines go */

/* Raw 8N1 at 9600 on the slave, so nothing is echoed or translated. */
static void make_raw(int fd)
{
	struct termios2 t;
	if (ioctl(fd, TCGETS2, &t) < 0)
		return;
	t.c_iflag &= ~(tcflag_t)(IGNBRK | BRKINT | PARMRK | ISTRIP | INLCR | IGNCR | ICRNL | IXON);
	t.c_oflag &= ~(tcflag_t)OPOST;
	t.c_lflag &= ~(tcflag_t)(ECHO | ECHONL | ICANON | ISIG | IEXTEN);
	t.c_cflag &= ~(tcflag_t)(CSIZE | PARENB | CBAUD);
	t.c_cflag |= CS8 | BOTHER;
	t.c_ispeed = t.c_ospeed = 9600;
	ioctl(fd, TCSETS2, &t);
}

static uint32_t line_speed(int fd)
{
	struct termios2 t;
	return ioctl(fd, TCGETS2, &t) < 0 ? 0 : t.c_ospeed;
}

static void port_write(void *ctx, const void *data, size_t len)
{
	struct vserial *s = ctx;
	const uint8_t *p = data;
	while (s->master >= 0 && len) {
		ssize_t n = write(s->master, p, len);
		if (n > 0) {
			p += n;
			len -= (size_t)n;
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN) {
			/* Nobody reads: drop what waits, as a device drops output. */
			ioctl(s->slave, TCFLSH, TCIFLUSH);
			if (write(s->master, p, len) < 0)
				return;
			return;
		}
		return;
	}
}

/* --- the update engine, with the device's log ---------------------- */

static int sink_begin(void *ctx, const char *name, uint32_t size)
{
	struct vserial *s = ctx;
	int rc = otk_ymodem_update_sink.begin(&s->usb->v->upd, name, size);
	s->received = 0;
	if (rc)
		SYS_ERROR("serial: %s (%u bytes) refused: %s", name, (unsigned)size, otk_strerror(rc));
	else
		SYS_INFO("serial: receiving %s, %u bytes", name, (unsigned)size);
	return rc;
}

static int sink_write(void *ctx, uint32_t off, const uint8_t *data, size_t len)
{
	struct vserial *s = ctx;
	int rc = otk_ymodem_update_sink.write(&s->usb->v->upd, off, data, len);
	if (rc)
		SYS_ERROR("serial: storing bytes at %u: %s", (unsigned)off, otk_strerror(rc));
	s->received = off + (uint32_t)len;
	return rc;
}

static int sink_finish(void *ctx, bool apply)
{
	struct vserial *s = ctx;
	int rc = otk_ymodem_update_sink.finish(&s->usb->v->upd, apply);
	if (apply && rc)
		SYS_ERROR("serial: validation failed: %s", otk_strerror(rc));
	else if (apply)
		SYS_INFO("serial: file validated and applied (%u bytes)", (unsigned)s->received);
	return rc;
}

static const struct otk_ymodem_sink vdev_sink = {sink_begin, sink_write, sink_finish};

static void on_action(void *ctx, enum otk_listen_action a, int result)
{
	struct vserial *s = ctx;
	switch (a) {
	case OTK_LISTEN_EXIT:
		SYS_INFO("serial: leaving listening mode");
		s->usb->listening = false;
		break;
	case OTK_LISTEN_SAFE_LISTEN:
		s->usb->listen_next_boot = true;
		s->usb->action = VUSB_SAFE_MODE;
		break;
	case OTK_LISTEN_UPDATED:
		SYS_INFO("serial: update received; resetting");
		s->usb->action = VUSB_RESET;
		break;
	case OTK_LISTEN_UPDATE_FAILED:
		SYS_WARN("serial: transfer ended: %s", otk_strerror(result));
		break;
	}
}

static const struct otk_listen_ops listen_ops = {port_write, on_action};

/*
 * Wi-Fi platforms (Photon, P1, Argon, P2, M SoM) have a MAC address: a
 * locally administered one made from the device id's last 5 bytes.  The
 * listening-mode `m` command and the network control requests (400/401)
 * both show it.
 */
bool vdev_wifi_mac(const struct vdev *v, uint8_t mac[6])
{
	static const uint16_t wifi[] = {6, 8, 12, 32, 35};
	for (size_t i = 0; i < sizeof wifi / sizeof wifi[0]; i++)
		if (v->dev.platform == wifi[i]) {
			mac[0] = 0x02;
			for (int k = 0; k < 5; k++)
				sscanf(v->id + 14 + 2 * k, "%2hhx", &mac[1 + k]);
			return true;
		}
	return false;
}

bool vserial_open(struct vserial *s, struct vusb *u)
{
	const char *name;
	s->usb = u;
	s->master = posix_openpt(O_RDWR | O_NOCTTY | O_NONBLOCK | O_CLOEXEC);
	if (s->master < 0 || grantpt(s->master) < 0 || unlockpt(s->master) < 0 ||
	    !(name = ptsname(s->master))) {
		SYS_ERROR("serial: no pty: %s", strerror(errno));
		vserial_close(s);
		return false;
	}
	snprintf(s->path, sizeof s->path, "%s", name);
	s->slave = open(s->path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (s->slave < 0) {
		SYS_ERROR("serial: %s: %s", s->path, strerror(errno));
		vserial_close(s);
		return false;
	}
	make_raw(s->slave);
	s->baud = line_speed(s->slave);
	memset(&s->info, 0, sizeof s->info);
	s->info.device_id = u->v->id;
	s->info.version = u->v->dos;
	s->info.platform = u->v->dev.platform;
	s->info.layout = u->v->layout;
	s->info.mac = vdev_wifi_mac(u->v, s->mac) ? s->mac : NULL;
	if (u->report) {
		s->info.modules = u->report->mods;
		s->info.nmodules = u->report->nmods;
	}
	otk_listen_init(&s->listen, &listen_ops, s, &s->info, &vdev_sink, s);
	g_port = s;
	return true;
}

void vserial_close(struct vserial *s)
{
	if (g_port == s)
		g_port = NULL;
	if (s->master >= 0) {
		/* a transfer cut by a reset leaves nothing half-applied */
		if (otk_listen_receiving(&s->listen))
			otk_ymodem_update_sink.finish(&s->usb->v->upd, false);
		close(s->master);
	}
	if (s->slave >= 0)
		close(s->slave);
	s->master = s->slave = -1;
	s->path[0] = 0;
}

void vserial_read(struct vserial *s)
{
	uint8_t b[4096];
	ssize_t n;
	while (s->master >= 0 && (n = read(s->master, b, sizeof b)) > 0)
		if (s->usb->listening)
			otk_listen_input(&s->listen, b, (size_t)n, vlog_millis());
	/* in normal mode what the host types is read and dropped (no app reads it) */
}

void vserial_tick(struct vserial *s)
{
	uint32_t baud;
	if (s->master < 0)
		return;
	if (s->usb->listening)
		otk_listen_tick(&s->listen, vlog_millis());
	baud = line_speed(s->slave);
	if (baud == s->baud)
		return;
	s->baud = baud;
	if (baud == BAUD_DFU && s->usb->action == VUSB_NONE) {
		SYS_INFO("serial: line set to %u baud: entering DFU mode", (unsigned)baud);
		s->usb->action = VUSB_ENTER_DFU;
	} else if (baud == BAUD_LISTEN && !s->usb->listening) {
		SYS_INFO("serial: line set to %u baud: entering listening mode", (unsigned)baud);
		s->usb->listening = true;
	}
}

void vserial_log(const char *line, size_t len)
{
	struct vserial *s = g_port;
	if (!s || s->master < 0 || s->usb->listening)
		return;
	port_write(s, line, len);
}
