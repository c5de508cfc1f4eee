/*
 * otakit-vbus: a virtual USB bus for unmodified programs (spec 07).
 *
 * Runs under umockdev's preload (it re-executes itself with it), makes a
 * testbed, listens on DIR/otakit-vbus.sock for devices, and answers the
 * usbdevfs ioctls of every program that opens their /dev/bus/usb nodes:
 * control URBs are forwarded to the device as SETUP messages (vbus.h) and
 * completed with its REPLY.  A device's UNPLUG and PLUG re-enumerate it
 * (remove uevent, new device number).
 *
 *   otakit-vbus DIR    prints "UMOCKDEV_DIR=..." and "LD_PRELOAD=..." once
 *                      ready, serves until SIGTERM/SIGINT or stdin closes
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <sys/ioctl.h>
#include <linux/usbdevice_fs.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <umockdev.h>
#include <unistd.h>

#include "vbus.h"

#define PRELOAD "libumockdev-preload.so.0"
#define MAX_DEVS 16

struct dev {
	int fd;                       /* connection to the device; -1: free slot */
	guint watch;
	int port;                     /* 1-based port on bus 1 */
	int devnum;                   /* 0: unplugged */
	char syspath[256], node[64];
	char tty_syspath[320], iface_syspath[300], tty_node[64]; /* CDC ACM port; "" none */
	UMockdevIoctlBase *handler;
	GQueue done;                  /* completed URBs (UMockdevIoctlData) */
	int fifo;                     /* the node, a FIFO kept full while nothing completed */
	unsigned empty_reaps;
};

static UMockdevTestbed *tb;
static struct dev devs[MAX_DEVS];
static int next_devnum = 2;
static GMainLoop *loop;
static char *root;
static uint8_t msg[VBUS_MAX_MSG], ctl[VBUS_MAX_MSG];
/*
 * umockdev answers ioctls on its own thread while the main loop watches the
 * device sockets: the lock keeps one reader per socket, so a REPLY always
 * reaches the transfer waiting for it.
 */
static GMutex lock;

/*
 * The device node is a FIFO (spec 07): usbfs says "a URB completed" with
 * POLLOUT, so the FIFO is kept full (not writable) while nothing waits to be
 * reaped, and drained when a URB completes or the device goes away: poll()
 * and epoll then wait as on the kernel's node instead of spinning.
 */
static void fifo_fill(struct dev *d)
{
	static const uint8_t junk[4096];
	if (d->fifo >= 0)
		while (write(d->fifo, junk, sizeof junk) > 0)
			;
}

static void fifo_drain(struct dev *d)
{
	uint8_t b[4096];
	if (d->fifo >= 0)
		while (read(d->fifo, b, sizeof b) > 0)
			;
}

/* The CDC ACM port's tty and interface go first (spec 07: children first). */
static void tty_remove(struct dev *d)
{
	if (!d->tty_syspath[0])
		return;
	umockdev_testbed_uevent(tb, d->tty_syspath, "remove");
	umockdev_testbed_remove_device(tb, d->tty_syspath);
	umockdev_testbed_uevent(tb, d->iface_syspath, "remove");
	umockdev_testbed_remove_device(tb, d->iface_syspath);
	{
		char *link = g_strconcat(root, d->tty_node, NULL);
		unlink(link);
		g_free(link);
	}
	d->tty_syspath[0] = d->iface_syspath[0] = d->tty_node[0] = 0;
}

static void unplug(struct dev *d)
{
	if (!d->devnum)
		return;
	tty_remove(d);
	umockdev_testbed_uevent(tb, d->syspath, "remove");
	umockdev_testbed_detach_ioctl(tb, d->node, NULL);
	umockdev_testbed_remove_device(tb, d->syspath);
	g_mutex_lock(&lock);
	while (!g_queue_is_empty(&d->done))
		umockdev_ioctl_data_unref(g_queue_pop_head(&d->done));
	fifo_drain(d); /* wake the waiters: they get ENODEV */
	g_mutex_unlock(&lock);
	g_clear_object(&d->handler);
	if (d->fifo >= 0) {
		char *path = g_strconcat(root, d->node, NULL);
		close(d->fifo);
		d->fifo = -1;
		unlink(path);
		g_free(path);
	}
	d->devnum = 0;
}

static void drop(struct dev *d)
{
	unplug(d);
	if (d->watch)
		g_source_remove(d->watch);
	close(d->fd);
	d->fd = -1;
	d->watch = 0;
}

/* One SETUP to the device and its REPLY: the IN length, 0, or -EPIPE (stall). */
static int transfer(struct dev *d, const uint8_t *setup, uint8_t *data, size_t cap)
{
	uint16_t wlength = (uint16_t)(setup[6] | setup[7] << 8);
	size_t out = (setup[0] & 0x80) ? 0 : wlength;
	ssize_t n;
	int32_t rc;
	if (out > cap)
		return -EPIPE;
	g_mutex_lock(&lock);
	ctl[0] = VBUS_SETUP;
	memcpy(ctl + 1, setup, 8);
	if (out)
		memcpy(ctl + 9, data, out);
	if (send(d->fd, ctl, 9 + out, MSG_NOSIGNAL) < 0) {
		g_mutex_unlock(&lock);
		return -ENODEV;
	}
	do
		n = recv(d->fd, ctl, sizeof ctl, 0);
	while (n < 0 && errno == EINTR);
	g_mutex_unlock(&lock);
	if (n < 5 || ctl[0] != VBUS_REPLY)
		return -ENODEV;
	memcpy(&rc, ctl + 1, 4);
	if (rc < 0)
		return -EPIPE;
	if (!(setup[0] & 0x80))
		return (int)out; /* the whole data stage was taken */
	if ((size_t)rc > (size_t)(n - 5) || (size_t)rc > cap)
		return -EPIPE;
	memcpy(data, ctl + 5, (size_t)rc);
	return rc;
}

static void submit(struct dev *d, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *urb_data = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_urb), NULL);
	struct usbdevfs_urb *urb;
	UMockdevIoctlData *buf;
	int rc;
	if (!urb_data) {
		umockdev_ioctl_client_complete(client, -1, EFAULT);
		return;
	}
	urb = (struct usbdevfs_urb *)urb_data->data;
	if (urb->type != USBDEVFS_URB_TYPE_CONTROL || urb->buffer_length < 8) {
		/* No bulk or interrupt endpoints are described yet. */
		umockdev_ioctl_data_unref(urb_data);
		umockdev_ioctl_client_complete(client, -1, EINVAL);
		return;
	}
	buf = umockdev_ioctl_data_resolve(urb_data, G_STRUCT_OFFSET(struct usbdevfs_urb, buffer),
					  (gsize)urb->buffer_length, NULL);
	if (!buf) {
		umockdev_ioctl_data_unref(urb_data);
		umockdev_ioctl_client_complete(client, -1, EFAULT);
		return;
	}
	rc = transfer(d, buf->data, buf->data + 8, (size_t)urb->buffer_length - 8);
	urb->status = rc < 0 ? rc : 0;
	urb->actual_length = rc < 0 ? 0 : rc;
	umockdev_ioctl_data_unref(buf);
	if (rc == -ENODEV) {
		umockdev_ioctl_data_unref(urb_data);
		umockdev_ioctl_client_complete(client, -1, ENODEV);
		return;
	}
	g_mutex_lock(&lock);
	g_queue_push_tail(&d->done, urb_data);
	fifo_drain(d);
	g_mutex_unlock(&lock);
	umockdev_ioctl_client_complete(client, 0, 0);
}

static void reap(struct dev *d, UMockdevIoctlClient *client, UMockdevIoctlData *arg)
{
	UMockdevIoctlData *urb_data, *ptr;
	g_mutex_lock(&lock);
	urb_data = g_queue_pop_head(&d->done);
	if (g_queue_is_empty(&d->done))
		fifo_fill(d);
	g_mutex_unlock(&lock);
	if (!urb_data) {
		/* libusb polls a node that is always "ready": slow its spin. */
		if (++d->empty_reaps >= 2)
			g_usleep(2000);
		umockdev_ioctl_client_complete(client, -1, EAGAIN);
		return;
	}
	d->empty_reaps = 0;
	ptr = umockdev_ioctl_data_resolve(arg, 0, sizeof(gpointer), NULL);
	umockdev_ioctl_data_set_ptr(ptr, 0, urb_data);
	umockdev_ioctl_data_unref(ptr);
	umockdev_ioctl_data_unref(urb_data);
	umockdev_ioctl_client_complete(client, 0, 0);
}

static gboolean on_ioctl(UMockdevIoctlBase *handler, UMockdevIoctlClient *client, gpointer user)
{
	struct dev *d = user;
	gulong request = umockdev_ioctl_client_get_request(client);
	UMockdevIoctlData *arg = umockdev_ioctl_client_get_arg(client);
	(void)handler;
	if (d->fd < 0 || !d->devnum) {
		umockdev_ioctl_client_complete(client, -1, ENODEV);
		return TRUE;
	}
	switch (request) {
	case USBDEVFS_GET_CAPABILITIES: {
		UMockdevIoctlData *c = umockdev_ioctl_data_resolve(arg, 0, sizeof(guint32), NULL);
		guint32 caps = USBDEVFS_CAP_ZERO_PACKET | USBDEVFS_CAP_NO_PACKET_SIZE_LIM |
			       USBDEVFS_CAP_REAP_AFTER_DISCONNECT;
		memcpy(c->data, &caps, sizeof caps);
		umockdev_ioctl_data_unref(c);
		umockdev_ioctl_client_complete(client, 0, 0);
		return TRUE;
	}
	case USBDEVFS_SUBMITURB:
		submit(d, client, arg);
		return TRUE;
	case USBDEVFS_REAPURB:
	case USBDEVFS_REAPURBNDELAY:
		reap(d, client, arg);
		return TRUE;
	case USBDEVFS_DISCARDURB:
		umockdev_ioctl_client_complete(client, -1, EINVAL); /* all complete at once */
		return TRUE;
	case USBDEVFS_SETINTERFACE: {
		UMockdevIoctlData *s = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_setinterface), NULL);
		struct usbdevfs_setinterface si;
		uint8_t setup[8];
		int rc;
		memcpy(&si, s->data, sizeof si);
		umockdev_ioctl_data_unref(s);
		setup[0] = 0x01;
		setup[1] = 11; /* SET_INTERFACE */
		setup[2] = (uint8_t)si.altsetting;
		setup[3] = (uint8_t)(si.altsetting >> 8);
		setup[4] = (uint8_t)si.interface;
		setup[5] = (uint8_t)(si.interface >> 8);
		setup[6] = setup[7] = 0;
		rc = transfer(d, setup, NULL, 0);
		umockdev_ioctl_client_complete(client, rc < 0 ? -1 : 0, rc < 0 ? EINVAL : 0);
		return TRUE;
	}
	case USBDEVFS_CONNECTINFO: {
		UMockdevIoctlData *c = umockdev_ioctl_data_resolve(arg, 0, sizeof(struct usbdevfs_connectinfo), NULL);
		struct usbdevfs_connectinfo ci = {(unsigned)d->devnum, 0};
		memcpy(c->data, &ci, sizeof ci);
		umockdev_ioctl_data_unref(c);
		umockdev_ioctl_client_complete(client, 0, 0);
		return TRUE;
	}
	case USBDEVFS_GET_SPEED:
		umockdev_ioctl_client_complete(client, 2 /* USB_SPEED_FULL */, 0);
		return TRUE;
	case USBDEVFS_GETDRIVER:
	case USBDEVFS_IOCTL:
		umockdev_ioctl_client_complete(client, -1, ENODATA);
		return TRUE;
	case USBDEVFS_CLAIMINTERFACE:
	case USBDEVFS_RELEASEINTERFACE:
	case USBDEVFS_SETCONFIGURATION:
	case USBDEVFS_RESET:
	case USBDEVFS_CLEAR_HALT:
	case USBDEVFS_RESETEP:
	case USBDEVFS_DISCONNECT_CLAIM:
		umockdev_ioctl_client_complete(client, 0, 0);
		return TRUE;
	default:
		umockdev_ioctl_client_complete(client, -1, ENOTTY);
		return TRUE;
	}
}

static void hex_upper(GString *s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		g_string_append_printf(s, "%02X", p[i]);
}

/*
 * The device's CDC ACM port: its communication interface and a tty child
 * with the properties serial port listers read (udevadm info -e, as
 * particle-cli's serialport does), and /dev/ttyACMn in the testbed a
 * symlink to the device's own pty (spec 07: umockdev cannot re-add a tty).
 */
static void tty_add(struct dev *d, uint16_t vid, uint16_t pid, const char *const str[3],
		    const char *pty)
{
	GError *err = NULL;
	char *s, *link;
	int n = d->port - 1;
	snprintf(d->iface_syspath, sizeof d->iface_syspath, "%s/1-%d:1.1", d->syspath, d->port);
	snprintf(d->tty_syspath, sizeof d->tty_syspath, "%s/tty/ttyACM%d", d->iface_syspath, n);
	snprintf(d->tty_node, sizeof d->tty_node, "/dev/ttyACM%d", n);
	s = g_strdup_printf("P: /devices/usb1/1-%d/1-%d:1.1\n"
			    "E: SUBSYSTEM=usb\nE: DEVTYPE=usb_interface\nE: DRIVER=cdc_acm\n"
			    "E: INTERFACE=2/2/1\nE: PRODUCT=%x/%x/250\n"
			    "A: bInterfaceNumber=01\\n\nA: bInterfaceClass=02\\n\n"
			    "A: bInterfaceSubClass=02\\n\nA: bInterfaceProtocol=01\\n\n",
			    d->port, d->port, vid, pid);
	if (!umockdev_testbed_add_from_string(tb, s, &err)) {
		fprintf(stderr, "otakit-vbus: serial interface: %s\n", err->message);
		g_clear_error(&err);
	}
	g_free(s);
	link = g_strconcat(root, d->tty_node, NULL);
	unlink(link);
	if (symlink(pty, link) < 0)
		fprintf(stderr, "otakit-vbus: %s: %s\n", link, strerror(errno));
	g_free(link);
	s = g_strdup_printf("P: /devices/usb1/1-%d/1-%d:1.1/tty/ttyACM%d\n"
			    "E: SUBSYSTEM=tty\nE: DEVNAME=/dev/ttyACM%d\nE: MAJOR=166\nE: MINOR=%d\n"
			    "E: ID_BUS=usb\nE: ID_VENDOR_ID=%04x\nE: ID_MODEL_ID=%04x\n"
			    "E: ID_VENDOR=%s\nE: ID_VENDOR_ENC=%s\nE: ID_MODEL=%s\n"
			    "E: ID_SERIAL=%s_%s_%s\nE: ID_SERIAL_SHORT=%s\n"
			    "E: ID_USB_INTERFACE_NUM=01\nE: ID_USB_DRIVER=cdc_acm\n"
			    "E: DEVLINKS=/dev/serial/by-id/usb-%s_%s_%s-if01\n"
			    "A: dev=166:%d\\n\n",
			    d->port, d->port, n, n, n, vid, pid, str[0], str[0], str[1], str[0], str[1],
			    str[2], str[2], str[0], str[1], str[2], n);
	for (char *c = s; *c; c++) /* no spaces in the ID_* values */
		if (*c == ' ' && c > s && c[-1] != ':')
			*c = '_';
	if (!umockdev_testbed_add_from_string(tb, s, &err)) {
		fprintf(stderr, "otakit-vbus: serial tty: %s\n", err->message);
		g_clear_error(&err);
	}
	g_free(s);
}

static void plug(struct dev *d, const uint8_t *m, size_t n)
{
	uint16_t vid, pid, dlen;
	const char *str[3];
	size_t at;
	GString *s;
	GError *err = NULL;
	if (n < 7)
		return;
	vid = (uint16_t)(m[1] | m[2] << 8);
	pid = (uint16_t)(m[3] | m[4] << 8);
	dlen = (uint16_t)(m[5] | m[6] << 8);
	if ((size_t)7 + dlen > n)
		return;
	at = 7u + dlen;
	for (int i = 0; i < 3; i++) {
		const char *z = memchr(m + at, 0, n - at);
		if (!z)
			return;
		str[i] = (const char *)m + at;
		at = (size_t)((const uint8_t *)z - m) + 1;
	}
	unplug(d);
	d->devnum = next_devnum++;
	snprintf(d->node, sizeof d->node, "/dev/bus/usb/001/%03d", d->devnum);
	{
		/* The node: a FIFO of our own, made before the device is added. */
		char *path = g_strconcat(root, d->node, NULL);
		char *dir = g_path_get_dirname(path);
		g_mkdir_with_parents(dir, 0755);
		unlink(path);
		if (mkfifo(path, 0666) == 0)
			d->fifo = open(path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
		if (d->fifo < 0)
			fprintf(stderr, "otakit-vbus: %s: %s\n", path, strerror(errno));
		fifo_fill(d);
		g_free(dir);
		g_free(path);
	}
	d->handler = umockdev_ioctl_base_new();
	g_signal_connect(d->handler, "handle-ioctl", G_CALLBACK(on_ioctl), d);
	if (!umockdev_testbed_attach_ioctl(tb, d->node, d->handler, &err)) {
		fprintf(stderr, "otakit-vbus: %s: %s\n", d->node, err->message);
		g_clear_error(&err);
	}
	s = g_string_new(NULL);
	g_string_append_printf(s,
		"P: /devices/usb1/1-%d\n"
		"E: SUBSYSTEM=usb\nE: DEVTYPE=usb_device\nE: DRIVER=usb\n"
		"E: DEVNAME=/dev/bus/usb/001/%03d\nE: BUSNUM=001\nE: DEVNUM=%03d\n"
		"E: PRODUCT=%x/%x/250\nE: ID_VENDOR_ID=%04x\nE: ID_MODEL_ID=%04x\n"
		"E: ID_SERIAL_SHORT=%s\n"
		"A: busnum=1\\n\nA: devnum=%d\\n\nA: speed=12\\n\nA: bConfigurationValue=1\\n\n"
		"A: bNumConfigurations=1\\n\nA: idVendor=%04x\\n\nA: idProduct=%04x\\n\n"
		"A: manufacturer=%s\\n\nA: product=%s\\n\nA: serial=%s\\n\nH: descriptors=",
		d->port, d->devnum, d->devnum, vid, pid, vid, pid, str[2], d->devnum, vid, pid,
		str[0], str[1], str[2]);
	hex_upper(s, m + 7, dlen);
	g_string_append_c(s, '\n');
	if (!umockdev_testbed_add_from_string(tb, s->str, &err)) {
		fprintf(stderr, "otakit-vbus: device description: %s\n", err->message);
		g_clear_error(&err);
	}
	snprintf(d->syspath, sizeof d->syspath, "/sys/devices/usb1/1-%d", d->port);
	g_string_free(s, TRUE);
	/* optional 4th string: the pty of the CDC ACM port */
	if (at < n) {
		const char *z = memchr(m + at, 0, n - at);
		if (z && z > (const char *)m + at)
			tty_add(d, vid, pid, str, (const char *)m + at);
	}
}

static gboolean on_device(gint fd, GIOCondition cond, gpointer user)
{
	struct dev *d = user;
	ssize_t n;
	(void)fd;
	if (cond & (G_IO_HUP | G_IO_ERR)) {
		d->watch = 0;
		drop(d);
		return G_SOURCE_REMOVE;
	}
	g_mutex_lock(&lock);
	n = recv(d->fd, msg, sizeof msg, MSG_DONTWAIT);
	g_mutex_unlock(&lock);
	if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
		d->watch = 0;
		drop(d);
		return G_SOURCE_REMOVE;
	}
	if (n > 0 && msg[0] == VBUS_PLUG) {
		uint8_t ack[5] = {VBUS_REPLY, 0, 0, 0, 0};
		plug(d, msg, (size_t)n);
		/* The device waits for this, so a command started next sees it. */
		send(d->fd, ack, sizeof ack, MSG_NOSIGNAL);
	}
	else if (n > 0 && msg[0] == VBUS_UNPLUG)
		unplug(d);
	return G_SOURCE_CONTINUE;
}

static gboolean on_listen(gint fd, GIOCondition cond, gpointer user)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	(void)cond;
	(void)user;
	if (c < 0)
		return G_SOURCE_CONTINUE;
	for (int i = 0; i < MAX_DEVS; i++) {
		if (devs[i].fd >= 0)
			continue;
		devs[i].fd = c;
		devs[i].port = i + 1;
		g_queue_init(&devs[i].done);
		devs[i].watch = g_unix_fd_add(c, G_IO_IN | G_IO_HUP | G_IO_ERR, on_device, &devs[i]);
		return G_SOURCE_CONTINUE;
	}
	close(c);
	return G_SOURCE_CONTINUE;
}

static gboolean on_quit(gpointer user)
{
	(void)user;
	g_main_loop_quit(loop);
	return G_SOURCE_CONTINUE;
}

static gboolean on_stdin(gint fd, GIOCondition cond, gpointer user)
{
	char b[64];
	(void)cond;
	(void)user;
	if (read(fd, b, sizeof b) <= 0) {
		g_main_loop_quit(loop);
		return G_SOURCE_REMOVE;
	}
	return G_SOURCE_CONTINUE;
}

/* The testbed's owner must itself run under the preload (spec 07). */
static void reexec_under_preload(char **argv)
{
	const char *pre = getenv("LD_PRELOAD");
	const char *asan = getenv("ASAN_OPTIONS");
	char *v;
	if (pre && strstr(pre, "libumockdev-preload"))
		return;
	v = g_strdup_printf("%s%s%s", PRELOAD, pre && *pre ? ":" : "", pre ? pre : "");
	setenv("LD_PRELOAD", v, 1);
	g_free(v);
	v = g_strdup_printf("%s%sverify_asan_link_order=0", asan ? asan : "", asan && *asan ? ":" : "");
	setenv("ASAN_OPTIONS", v, 1);
	g_free(v);
	execv("/proc/self/exe", argv);
	perror("otakit-vbus: re-executing under the umockdev preload");
	exit(1);
}

int main(int argc, char **argv)
{
	struct sockaddr_un sa = {.sun_family = AF_UNIX};
	int lfd;
	if (argc != 2) {
		fprintf(stderr, "usage: otakit-vbus DIR\n");
		return 2;
	}
	reexec_under_preload(argv);
	if (mkdir(argv[1], 0700) < 0 && errno != EEXIST) {
		fprintf(stderr, "otakit-vbus: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	if (snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", argv[1], VBUS_SOCKET) >=
	    (int)sizeof sa.sun_path) {
		fprintf(stderr, "otakit-vbus: %s: path too long for a socket\n", argv[1]);
		return 1;
	}
	for (int i = 0; i < MAX_DEVS; i++) {
		devs[i].fd = -1;
		devs[i].fifo = -1;
	}
	tb = umockdev_testbed_new();
	root = umockdev_testbed_get_root_dir(tb);
	unlink(sa.sun_path);
	lfd = socket(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0);
	if (lfd < 0 || bind(lfd, (struct sockaddr *)&sa, sizeof sa) < 0 || listen(lfd, 8) < 0) {
		fprintf(stderr, "otakit-vbus: %s: %s\n", sa.sun_path, strerror(errno));
		return 1;
	}
	loop = g_main_loop_new(NULL, FALSE);
	g_unix_fd_add(lfd, G_IO_IN, on_listen, NULL);
	g_unix_signal_add(SIGTERM, on_quit, NULL);
	g_unix_signal_add(SIGINT, on_quit, NULL);
	if (!isatty(0))
		g_unix_fd_add(0, G_IO_IN | G_IO_HUP, on_stdin, NULL);
	printf("UMOCKDEV_DIR=%s\nLD_PRELOAD=%s\n", root, PRELOAD);
	fflush(stdout);
	g_main_loop_run(loop);
	for (int i = 0; i < MAX_DEVS; i++)
		if (devs[i].fd >= 0)
			drop(&devs[i]);
	unlink(sa.sun_path);
	g_object_unref(tb);
	g_free(root);
	return 0;
}
