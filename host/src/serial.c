/* Particle devices' USB serial ports: see otk/serial.h. */
#define _GNU_SOURCE
#include "otk/serial.h"

#include <errno.h>
#include <fcntl.h>
#include <libudev.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "otk/error.h"

#define PARTICLE_VID 0x2B04

static void copy(char *dst, size_t cap, const char *src)
{
	size_t n = src ? strlen(src) : 0;
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src ? src : "", n);
	dst[n] = 0;
}

/* One tty: a Particle port when its USB device is vendor 0x2B04. */
static bool describe(struct udev_device *tty, struct otk_serial_port *p)
{
	struct udev_device *usb = udev_device_get_parent_with_subsystem_devtype(tty, "usb", "usb_device");
	const char *node = udev_device_get_devnode(tty);
	const char *vid = usb ? udev_device_get_sysattr_value(usb, "idVendor") : NULL;
	const char *pid = usb ? udev_device_get_sysattr_value(usb, "idProduct") : NULL;
	if (!vid) /* no USB parent described: the tty's own udev properties */
		vid = udev_device_get_property_value(tty, "ID_VENDOR_ID");
	if (!pid)
		pid = udev_device_get_property_value(tty, "ID_MODEL_ID");
	if (!node || !vid || !pid || strtoul(vid, NULL, 16) != PARTICLE_VID)
		return false;
	memset(p, 0, sizeof *p);
	copy(p->path, sizeof p->path, node);
	p->vid = PARTICLE_VID;
	p->pid = (uint16_t)strtoul(pid, NULL, 16);
	p->platform = (p->pid & 0xFF00) == 0xC000 ? (uint16_t)(p->pid & 0xFF) : 0;
	copy(p->id, sizeof p->id,
	     usb && udev_device_get_sysattr_value(usb, "serial")
		     ? udev_device_get_sysattr_value(usb, "serial")
		     : udev_device_get_property_value(tty, "ID_SERIAL_SHORT"));
	p->id[strcspn(p->id, " \r\n")] = 0;
	copy(p->product, sizeof p->product, usb ? udev_device_get_sysattr_value(usb, "product") : NULL);
	p->product[strcspn(p->product, "\r\n")] = 0;
	return true;
}

int otk_serial_list(struct otk_serial_port **list, size_t *n)
{
	struct udev *udev = udev_new();
	struct udev_enumerate *e;
	struct udev_list_entry *it;
	struct otk_serial_port *out = NULL;
	size_t count = 0;
	*list = NULL;
	*n = 0;
	if (!udev)
		return OTK_EIO;
	e = udev_enumerate_new(udev);
	udev_enumerate_add_match_subsystem(e, "tty");
	udev_enumerate_scan_devices(e);
	udev_list_entry_foreach(it, udev_enumerate_get_list_entry(e))
	{
		struct udev_device *d = udev_device_new_from_syspath(udev, udev_list_entry_get_name(it));
		struct otk_serial_port p;
		if (d && describe(d, &p)) {
			struct otk_serial_port *grown = realloc(out, (count + 1) * sizeof *out);
			if (!grown) {
				udev_device_unref(d);
				free(out);
				udev_enumerate_unref(e);
				udev_unref(udev);
				return OTK_ENOMEM;
			}
			out = grown;
			out[count++] = p;
		}
		if (d)
			udev_device_unref(d);
	}
	udev_enumerate_unref(e);
	udev_unref(udev);
	*list = out;
	*n = count;
	return OTK_OK;
}

static speed_t speed_of(unsigned baud)
{
	switch (baud) {
	case 1200: return B1200;
	case 2400: return B2400;
	case 4800: return B4800;
	case 19200: return B19200;
	case 38400: return B38400;
	case 57600: return B57600;
	case 115200: return B115200;
	default: return B9600;
	}
}

int otk_serial_open(const char *path, unsigned baud, int *fd)
{
	struct termios t;
	int f = open(path, O_RDWR | O_NOCTTY | O_CLOEXEC);
	if (f < 0)
		return OTK_EIO;
	if (tcgetattr(f, &t) == 0) {
		cfmakeraw(&t);
		t.c_cflag |= CLOCAL | CREAD;
		t.c_cflag &= ~(tcflag_t)CRTSCTS;
		t.c_cc[VMIN] = 1;
		t.c_cc[VTIME] = 0;
		cfsetispeed(&t, speed_of(baud));
		cfsetospeed(&t, speed_of(baud));
		tcsetattr(f, TCSANOW, &t);
	}
	*fd = f;
	return OTK_OK;
}

int otk_serial_write(int fd, const void *data, size_t len)
{
	const uint8_t *p = data;
	while (len) {
		ssize_t n = write(fd, p, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return OTK_EIO;
		p += n;
		len -= (size_t)n;
	}
	return OTK_OK;
}

long otk_serial_read(int fd, void *buf, size_t cap, int timeout_ms)
{
	struct pollfd p = {fd, POLLIN, 0};
	int rc;
	ssize_t n;
	do
		rc = poll(&p, 1, timeout_ms);
	while (rc < 0 && errno == EINTR);
	if (rc == 0)
		return 0;
	if (rc < 0 || (p.revents & (POLLERR | POLLNVAL)))
		return OTK_EIO;
	n = read(fd, buf, cap);
	if (n <= 0) /* POLLHUP with nothing left, or EIO: the device went away */
		return OTK_EIO;
	return (long)n;
}

static long now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

long otk_serial_command(int fd, char cmd, char *out, size_t cap, int quiet_ms, int timeout_ms)
{
	size_t got = 0;
	long end = now_ms() + timeout_ms;
	int rc = otk_serial_write(fd, &cmd, 1);
	if (rc)
		return rc;
	out[0] = 0;
	while (got + 1 < cap) {
		long left = end - now_ms();
		long n;
		if (left <= 0)
			break;
		n = otk_serial_read(fd, out + got, cap - 1 - got,
				    got ? (quiet_ms < left ? quiet_ms : (int)left) : (int)left);
		if (n < 0)
			return n;
		if (n == 0 && got)
			break;
		got += (size_t)n;
		out[got] = 0;
	}
	return (long)got;
}
