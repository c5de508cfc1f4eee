/*
 * otakit serial list|identify|mac|inspect|monitor and otakit flash --serial:
 * Particle devices' USB serial ports (otk/serial.h), listening mode's
 * commands, the device log, and YMODEM flashing, as particle-cli has them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "otk/error.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/serial.h"
#include "otk/usb.h"

enum { OPT_PORT = 0x100, OPT_JSON, OPT_FOLLOW, OPT_DEVICE, OPT_SERIAL };

#define LISTEN_WAIT_MS 8000   /* a device re-enumerating into listening mode */

static const char *platform_name(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	return p ? p->name : "unknown";
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	nanosleep(&ts, NULL);
}

/*
 * The port to use: --port PATH, the port of --device ID, or the only
 * Particle port (several: an error listing them).  false with a message.
 */
static bool pick_port(const char *path, const char *id, struct otk_serial_port *out, bool quiet)
{
	struct otk_serial_port *list;
	size_t n, match = 0, at = 0;
	if (otk_serial_list(&list, &n) != OTK_OK) {
		cli_error(NULL, "cannot list serial ports (udev)");
		return false;
	}
	for (size_t i = 0; i < n; i++)
		if ((!path || strcmp(list[i].path, path) == 0) && (!id || strcasecmp(list[i].id, id) == 0)) {
			match++;
			at = i;
		}
	if (match == 1)
		*out = list[at];
	else if (quiet)
		;
	else if (match == 0 && path && !id) {
		/* a port udev does not describe as a Particle one: use it as given */
		memset(out, 0, sizeof *out);
		snprintf(out->path, sizeof out->path, "%s", path);
		match = 1;
	} else if (match == 0)
		cli_error(NULL, "no Particle device on a serial port%s%s", id ? " with id " : "",
			  id ? cli_shown(id) : "");
	else {
		cli_error(NULL, "several Particle serial ports; choose one with --port PATH or --device ID:");
		for (size_t i = 0; i < n; i++)
			fprintf(stderr, "  %s  %s  %s\n", list[i].path, platform_name(list[i].platform),
				list[i].id);
	}
	free(list);
	return match == 1;
}

static int open_port(const struct otk_serial_port *p, int *fd)
{
	if (otk_serial_open(p->path, 9600, fd) != OTK_OK) {
		cli_error(p->path, "%s", strerror(errno));
		return 1;
	}
	return 0;
}

/* Options shared by the device commands. */
static int port_options(const char *cmd, int argc, char **argv, const char **path, const char **id,
			bool *json, bool *follow)
{
	static const struct option opts[] = {
		{ "port", required_argument, NULL, OPT_PORT },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "follow", no_argument, NULL, OPT_FOLLOW },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_PORT)
			*path = optarg;
		else if (c == OPT_DEVICE)
			*id = optarg;
		else if (c == OPT_JSON && json)
			*json = true;
		else if (c == OPT_FOLLOW && follow)
			*follow = true;
		else
			return cli_bad_usage(cmd, argv);
	}
	if (optind < argc)
		return cli_usage_error(cmd, "%s: unexpected argument '%s'", cmd, cli_shown(argv[optind]));
	return 0;
}

/* --- serial list --------------------------------------------------------- */

static int cmd_list(int argc, char **argv)
{
	bool json = false;
	const char *path = NULL, *id = NULL;
	struct otk_serial_port *list;
	size_t n;
	int rc = port_options("serial list", argc, argv, &path, &id, &json, NULL);
	if (rc)
		return rc;
	if (otk_serial_list(&list, &n) != OTK_OK) {
		cli_error(NULL, "cannot list serial ports (udev)");
		return 1;
	}
	if (json) {
		json_t *a = json_array();
		for (size_t i = 0; i < n; i++)
			json_array_append_new(a, json_pack("{s:s,s:s,s:i,s:s}", "port", list[i].path, "id",
							   list[i].id, "platformId", list[i].platform,
							   "platform", platform_name(list[i].platform)));
		char *s = json_dumps(a, JSON_INDENT(2));
		puts(s);
		free(s);
		json_decref(a);
	} else if (n == 0) {
		puts("No devices available via serial");
	} else {
		printf("Found %zu device%s connected via serial:\n", n, n > 1 ? "s" : "");
		for (size_t i = 0; i < n; i++)
			printf("%s - %s - %s\n", list[i].path, platform_name(list[i].platform), list[i].id);
	}
	free(list);
	return 0;
}

/* --- listening-mode commands ---------------------------------------------- */

/* Ask the device (over USB) for listening mode when it does not answer. */
static bool start_listening(const struct otk_serial_port *p)
{
	struct otk_usb_info info;
	struct otk_usb_dev *dev;
	int32_t result = -1;
	uint8_t *rep = NULL;
	size_t rep_len = 0;
	if (!p->id[0] || otk_usb_open_mode(p->id, 0, &dev, &info) != OTK_OK)
		return false;
	otk_usb_request(otk_usb_dev_io(dev), OTK_REQ_START_LISTENING, NULL, 0, &result, &rep, &rep_len, 2000);
	free(rep);
	otk_usb_close(dev);
	return result == 0;
}

/* Whether text is listening mode's answer to cmd (not log lines). */
static bool answered(char cmd, const char *text)
{
	switch (cmd) {
	case 'i': return strstr(text, "device id is") || strstr(text, "Device ID:");
	case 'v': return strstr(text, "firmware version:") != NULL;
	case 'm': return strstr(text, "MAC address") != NULL;
	case 's': return strstr(text, "{\"p\":") != NULL;
	default: return text[0] != 0;
	}
}

static long command(int fd, char cmd, char *out, size_t cap)
{
	tcflush(fd, TCIFLUSH); /* log lines from before */
	return otk_serial_command(fd, cmd, out, cap, 200, 1500);
}

/*
 * One command's answer; the device is put into listening mode if it is
 * not.  quiet: no message when there is no answer.
 */
static int ask_as(const struct otk_serial_port *p, int fd, char cmd, char *out, size_t cap, bool quiet)
{
	long n = command(fd, cmd, out, cap);
	if (n >= 0 && !answered(cmd, out) && start_listening(p)) {
		sleep_ms(300);
		n = command(fd, cmd, out, cap);
	}
	if (n < 0) {
		cli_error(p->path, "the device went away");
		return 1;
	}
	if (!answered(cmd, out)) {
		if (!quiet)
			cli_error(p->path, "no answer: is the device in listening mode (otakit usb start-listening)?");
		return 1;
	}
	return 0;
}

static int ask(const struct otk_serial_port *p, int fd, char cmd, char *out, size_t cap)
{
	return ask_as(p, fd, cmd, out, cap, false);
}

static const char *after(const char *s, const char *key)
{
	const char *at = strstr(s, key);
	return at ? at + strlen(key) : NULL;
}

/* Runs one listening-mode command on the chosen port. */
static int with_port(const char *cmd, int argc, char **argv, bool *json,
		     int (*fn)(const struct otk_serial_port *, int, bool))
{
	const char *path = NULL, *id = NULL;
	struct otk_serial_port p;
	int fd, rc = port_options(cmd, argc, argv, &path, &id, json, NULL);
	if (rc)
		return rc;
	if (!pick_port(path, id, &p, false) || open_port(&p, &fd))
		return 1;
	rc = fn(&p, fd, json && *json);
	close(fd);
	return rc;
}

static int do_identify(const struct otk_serial_port *p, int fd, bool json)
{
	char a[512], b[256], id[32] = "", ver[32] = "";
	const char *s;
	if (ask(p, fd, 'i', a, sizeof a) || ask(p, fd, 'v', b, sizeof b))
		return 1;
	if ((s = after(a, "device id is ")) || (s = after(a, "Device ID: ")))
		sscanf(s, "%24[0-9a-fA-F]", id);
	if ((s = after(b, "version: ")))
		sscanf(s, "%31[0-9A-Za-z.+-]", ver);
	if (!id[0]) {
		cli_error(p->path, "the device's answer has no device id: %s", cli_shown(a));
		return 1;
	}
	if (json)
		printf("{\"port\": \"%s\", \"id\": \"%s\", \"version\": \"%s\"}\n", p->path, id, ver);
	else
		printf("Your device id is %s\nYour system firmware version is %s\n", id, ver);
	return 0;
}

static int do_mac(const struct otk_serial_port *p, int fd, bool json)
{
	char a[256], mac[32] = "";
	const char *s;
	if (ask(p, fd, 'm', a, sizeof a))
		return 1;
	if ((s = after(a, "MAC address is")))
		sscanf(s, " %17[0-9a-fA-F:]", mac);
	if (json)
		printf("{\"port\": \"%s\", \"mac\": %s%s%s}\n", p->path, mac[0] ? "\"" : "",
		       mac[0] ? mac : "null", mac[0] ? "\"" : "");
	else if (mac[0])
		printf("Your device MAC address is %s\n", mac);
	else
		printf("Your device does not have a MAC address\n");
	return 0;
}

static const char *func_name(const char *letter)
{
	static const char *const names[][2] = {
		{"b", "bootloader"}, {"s", "system"}, {"u", "user"}, {"m", "monolithic"},
		{"r", "resource"}, {"c", "settings"}, {"a", "ncp"}, {"n", "none"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (letter && strcmp(letter, names[i][0]) == 0)
			return names[i][1];
	return "unknown";
}

static void print_module(json_t *m)
{
	json_t *d;
	size_t i;
	unsigned vv = (unsigned)json_integer_value(json_object_get(m, "vv"));
	printf("  %s module #%s - version %lld\n", func_name(json_string_value(json_object_get(m, "f"))),
	       json_string_value(json_object_get(m, "n")) ? json_string_value(json_object_get(m, "n")) : "?",
	       (long long)json_integer_value(json_object_get(m, "v")));
	printf("  Max size: %lld bytes\n", (long long)json_integer_value(json_object_get(m, "s")));
	printf("    Integrity: %s\n    Address Range: %s\n    Platform: %s\n    Dependencies: %s\n",
	       vv & 2 ? "PASS" : "FAIL", vv & 8 ? "PASS" : "FAIL", vv & 16 ? "PASS" : "FAIL",
	       vv & 4 ? "PASS" : "FAIL");
	json_array_foreach(json_object_get(m, "d"), i, d)
		printf("      %s module #%s - version %lld\n",
		       func_name(json_string_value(json_object_get(d, "f"))),
		       json_string_value(json_object_get(d, "n")) ? json_string_value(json_object_get(d, "n")) : "?",
		       (long long)json_integer_value(json_object_get(d, "v")));
}

static int do_inspect(const struct otk_serial_port *p, int fd, bool json)
{
	char a[8192];
	json_error_t err;
	json_t *root, *m;
	size_t i;
	if (ask(p, fd, 's', a, sizeof a))
		return 1;
	root = json_loads(a, JSON_DISABLE_EOF_CHECK, &err);
	if (!root || !json_is_array(json_object_get(root, "m"))) {
		cli_error(p->path, "the device's system information is not JSON: %s", err.text);
		json_decref(root);
		return 1;
	}
	if (json) {
		char *s = json_dumps(root, JSON_INDENT(2));
		puts(s);
		free(s);
	} else {
		uint16_t pid = (uint16_t)json_integer_value(json_object_get(root, "p"));
		printf("Device: %s\nPlatform: %u - %s\n\nModules\n", p->id, (unsigned)pid, platform_name(pid));
		json_array_foreach(json_object_get(root, "m"), i, m)
			print_module(m);
	}
	json_decref(root);
	return 0;
}

static int cmd_identify(int argc, char **argv)
{
	bool json = false;
	return with_port("serial identify", argc, argv, &json, do_identify);
}

static int cmd_mac(int argc, char **argv)
{
	bool json = false;
	return with_port("serial mac", argc, argv, &json, do_mac);
}

static int cmd_inspect(int argc, char **argv)
{
	bool json = false;
	return with_port("serial inspect", argc, argv, &json, do_inspect);
}

/* --- serial monitor --------------------------------------------------------- */

static volatile sig_atomic_t stop;

static void on_stop(int sig)
{
	(void)sig;
	stop = 1;
}

static int cmd_monitor(int argc, char **argv)
{
	const char *path = NULL, *id = NULL;
	bool follow = false;
	struct otk_serial_port p;
	char want_id[25] = "";
	int fd = -1, rc = port_options("serial monitor", argc, argv, &path, &id, NULL, &follow);
	if (rc)
		return rc;
	signal(SIGINT, on_stop);
	signal(SIGTERM, on_stop);
	if (!pick_port(path, id, &p, false) || open_port(&p, &fd))
		return 1;
	snprintf(want_id, sizeof want_id, "%s", p.id);
	fprintf(stderr, "Serial monitor opened: %s\n", p.path);
	while (!stop) {
		char buf[4096];
		long n = otk_serial_read(fd, buf, sizeof buf, 200);
		if (n > 0) {
			fwrite(buf, 1, (size_t)n, stdout);
			fflush(stdout);
			continue;
		}
		if (n == 0)
			continue;
		close(fd);
		fd = -1;
		fprintf(stderr, "Serial connection closed.%s\n", follow ? "  Waiting for the device..." : "");
		if (!follow)
			return 0;
		/* the same device again (it re-enumerates after a reset) */
		while (!stop && fd < 0) {
			sleep_ms(200);
			if (pick_port(NULL, want_id[0] ? want_id : NULL, &p, true) &&
			    otk_serial_open(p.path, 9600, &fd) == OTK_OK)
				fprintf(stderr, "Serial monitor opened: %s\n", p.path);
		}
	}
	if (fd >= 0)
		close(fd);
	return 0;
}

/* --- flash --serial ------------------------------------------------------------ */

struct sfile {
	const char *path;
	uint8_t *data;
	size_t len;
	struct otk_prefix prefix;
};

static void progress(void *ctx, size_t done, size_t total)
{
	const char *name = ctx;
	int width = 30, fill = total ? (int)(done * (size_t)width / total) : width;
	if (!isatty(2))
		return;
	fprintf(stderr, "\r%s [%.*s%*s] %3d%%", name, fill, "##############################",
		width - fill, "", total ? (int)(done * 100 / total) : 100);
	if (done == total)
		fputc('\n', stderr);
}

/* Every file is read, parsed, CRC-checked and allowed over serial first. */
static bool check_file(struct sfile *f, uint16_t platform)
{
	struct otk_module m;
	int rc;
	f->data = cli_read_file(f->path, &f->len);
	if (!f->data)
		return false;
	rc = otk_module_parse(f->data, f->len, &m);
	if (rc) {
		cli_error(f->path, "not a valid module: %s", otk_strerror(rc));
		return false;
	}
	f->prefix = m.prefix;
	if (otk_module_crc_compute(&m) != m.crc_stored) {
		cli_error(f->path, "CRC mismatch (stored %08x, computed %08x)", (unsigned)m.crc_stored,
			  (unsigned)otk_module_crc_compute(&m));
		return false;
	}
	switch (m.prefix.function) {
	case OTK_FUNC_BOOTLOADER:
		cli_error(f->path, "a bootloader cannot be flashed over serial (the seed's mode table: "
				   "use otakit flash --local or otakit update)");
		return false;
	case OTK_FUNC_NCP:
	case OTK_FUNC_RADIO_STACK:
		cli_error(f->path, "NCP and radio stack modules go by USB only (otakit flash --local --radio-ncp)");
		return false;
	default:
		break;
	}
	if (platform && m.prefix.function != OTK_FUNC_ASSET && m.prefix.platform != platform) {
		cli_error(f->path, "built for platform %u (%s), the device is %u (%s)",
			  (unsigned)m.prefix.platform, platform_name(m.prefix.platform), (unsigned)platform,
			  platform_name(platform));
		return false;
	}
	return true;
}

/* The device's system part version from its "s" answer (0 unknown). */
static unsigned device_system_version(const struct otk_serial_port *p, int fd)
{
	char a[8192];
	json_t *root, *m;
	size_t i;
	unsigned v = 0;
	if (ask_as(p, fd, 's', a, sizeof a, true))
		return 0; /* unknown: no downgrade ordering */
	root = json_loads(a, JSON_DISABLE_EOF_CHECK, NULL);
	json_array_foreach(json_object_get(root, "m"), i, m)
		if (json_string_value(json_object_get(m, "f")) &&
		    strcmp(json_string_value(json_object_get(m, "f")), "s") == 0)
			v = (unsigned)json_integer_value(json_object_get(m, "v"));
	json_decref(root);
	return v;
}

/*
 * Order: system parts by index (in reverse when downgrading, as the seed
 * says for --serial), then the rest in the order given.
 */
static bool downgrade;

static int order(const void *a, const void *b)
{
	const struct sfile *x = a, *y = b;
	bool xs = x->prefix.function == OTK_FUNC_SYSTEM, ys = y->prefix.function == OTK_FUNC_SYSTEM;
	if (xs != ys)
		return xs ? -1 : 1;
	if (xs)
		return downgrade ? (int)y->prefix.index - (int)x->prefix.index
				 : (int)x->prefix.index - (int)y->prefix.index;
	return x < y ? -1 : x > y;
}

/* Wait for the device's port to come back after a reset, and open it. */
static bool reopen(struct otk_serial_port *p, int *fd)
{
	char id[25];
	snprintf(id, sizeof id, "%s", p->id);
	for (int i = 0; i < LISTEN_WAIT_MS / 100; i++) {
		sleep_ms(100);
		if (pick_port(NULL, id[0] ? id : NULL, p, true) && otk_serial_open(p->path, 9600, fd) == OTK_OK)
			return true;
	}
	cli_error(p->path, "the device did not come back after its reset");
	return false;
}

static int send_one(struct otk_serial_port *p, int *fd, struct sfile *f)
{
	struct otk_ymodem_send_result res;
	char a[256];
	const char *base = strrchr(f->path, '/') ? strrchr(f->path, '/') + 1 : f->path;
	int rc;
	if (ask(p, *fd, 'v', a, sizeof a)) /* listening mode, asked for when needed */
		return 1;
	tcflush(*fd, TCIFLUSH);
	rc = otk_serial_write(*fd, "f", 1);
	if (rc == OTK_OK)
		rc = otk_ymodem_send(*fd, base, f->data, f->len, 10000, progress, (void *)base, &res);
	if (rc == OTK_EYMODEM_CANCELLED) {
		cli_error(f->path, "the device refused it: %s", res.device_says[0] ? res.device_says : "cancelled");
		return 1;
	}
	if (rc) {
		static const char *const steps[] = {"header", "data", "end of file", "validation"};
		cli_error(f->path, "serial transfer failed during the %s: %s%s", steps[res.step],
			  rc == OTK_EIO ? "the device went away" : otk_strerror(rc),
			  rc == OTK_EYMODEM_ERRORS ? " (no answer from the device)" : "");
		return 1;
	}
	printf("%s: %s%s\n", f->path, res.device_says[0] ? res.device_says : "sent",
	       res.retries ? "" : "");
	if (res.retries)
		printf("%s: %u packet(s) sent again\n", f->path, res.retries);
	/* the device resets to install it; wait for its port */
	close(*fd);
	*fd = -1;
	sleep_ms(1500);
	return reopen(p, fd) ? 0 : 1;
}

int cli_flash_serial(const char *port, const char *id, char **files, int nfiles)
{
	struct otk_serial_port p;
	struct sfile *f = calloc((size_t)nfiles, sizeof *f);
	int fd = -1, status = 1, i;
	unsigned dev_sys;
	signal(SIGPIPE, SIG_IGN);
	if (!f || !pick_port(port, id, &p, false))
		goto out;
	for (i = 0; i < nfiles; i++) {
		f[i].path = files[i];
		if (!check_file(&f[i], p.platform))
			goto out;
	}
	if (open_port(&p, &fd))
		goto out;
	dev_sys = device_system_version(&p, fd);
	downgrade = false;
	for (i = 0; i < nfiles; i++)
		if (f[i].prefix.function == OTK_FUNC_SYSTEM && dev_sys && f[i].prefix.version < dev_sys)
			downgrade = true;
	qsort(f, (size_t)nfiles, sizeof *f, order);
	if (downgrade)
		printf("Downgrading Device OS: system parts in reverse order\n");
	for (i = 0; i < nfiles; i++)
		if (send_one(&p, &fd, &f[i]))
			goto out;
	status = 0;
	printf("Flash success!\n");
out:
	if (fd >= 0)
		close(fd);
	for (i = 0; f && i < nfiles; i++)
		free(f[i].data);
	free(f);
	return status;
}

/* otakit serial send FILE --port PATH: plain YMODEM to whatever receives there. */
static int cmd_send(int argc, char **argv)
{
	const char *path = NULL, *id = NULL;
	struct otk_serial_port p;
	struct otk_ymodem_send_result res;
	uint8_t *data;
	size_t len;
	int fd, rc;
	static const struct option opts[] = {
		{ "port", required_argument, NULL, OPT_PORT },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ NULL, 0, NULL, 0 },
	};
	optind = 1;
	while ((rc = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (rc == OPT_PORT)
			path = optarg;
		else if (rc == OPT_DEVICE)
			id = optarg;
		else
			return cli_bad_usage("serial send", argv);
	}
	if (optind + 1 != argc)
		return cli_usage_error("serial send", "serial send: need one FILE");
	if (!pick_port(path, id, &p, false) || open_port(&p, &fd))
		return 1;
	data = cli_read_file(argv[optind], &len);
	if (!data) {
		close(fd);
		return 1;
	}
	{
		const char *base = strrchr(argv[optind], '/') ? strrchr(argv[optind], '/') + 1 : argv[optind];
		rc = otk_ymodem_send(fd, base, data, len, 60000, progress, (void *)base, &res);
	}
	free(data);
	close(fd);
	if (rc) {
		static const char *const steps[] = {"header", "data", "end of file", "closing header"};
		cli_error(argv[optind], "YMODEM transfer failed during the %s: %s%s%s", steps[res.step],
			  rc == OTK_EIO ? "the port went away" : otk_strerror(rc),
			  res.device_says[0] ? "; the receiver says: " : "", res.device_says);
		return 1;
	}
	printf("%s: sent, %zu bytes%s\n", argv[optind], len, res.retries ? " (with retries)" : "");
	return 0;
}

#define PORT_HELP                                                                       \
	"  --port PATH    the serial port (default: the only Particle port)\n"           \
	"  --device ID    the port of the device with that id\n"

const struct cli_command cli_serial_commands[] = {
	{ "serial list", "list Particle devices' USB serial ports",
	  "Usage: otakit serial list [--json]\n"
	  "\n"
	  "Ports are found through udev (vendor 0x2B04), as particle-cli finds them.\n"
	  "\n"
	  "Examples:\n"
	  "  otakit serial list\n"
	  "  otakit serial list --json | jq -r '.[].port'\n",
	  cmd_list },
	{ "serial identify", "device id and Device OS version from listening mode",
	  "Usage: otakit serial identify [--port PATH | --device ID] [--json]\n\n" PORT_HELP
	  "\nA device not in listening mode is asked for it over USB first.\n"
	  "\nExample:\n  otakit serial identify --json\n",
	  cmd_identify },
	{ "serial mac", "the device's MAC address from listening mode",
	  "Usage: otakit serial mac [--port PATH | --device ID] [--json]\n\n" PORT_HELP
	  "\nExample:\n  otakit serial mac\n",
	  cmd_mac },
	{ "serial inspect", "the device's modules from listening mode",
	  "Usage: otakit serial inspect [--port PATH | --device ID] [--json]\n\n" PORT_HELP
	  "\nModules with their versions, validity and dependencies (the \"s\" command).\n"
	  "\nExample:\n  otakit serial inspect\n",
	  cmd_inspect },
	{ "serial monitor", "print the device's log from its USB serial port",
	  "Usage: otakit serial monitor [--port PATH | --device ID] [--follow]\n\n" PORT_HELP
	  "  --follow       when the device resets, wait for it and go on\n"
	  "\nExample:\n  otakit serial monitor --follow\n",
	  cmd_monitor },
	{ "serial send", "send a file by YMODEM (to a device after 'f', or any receiver)",
	  "Usage: otakit serial send FILE [--port PATH | --device ID]\n\n" PORT_HELP
	  "\nWaits up to 60 s for the receiver's 'C'; 1024-byte packets, CRC-16.\n"
	  "\nExample:\n  otakit serial send app.bin --port /dev/ttyUSB0   # rb --ymodem at the other end\n",
	  cmd_send },
};
const size_t cli_serial_command_count = sizeof cli_serial_commands / sizeof cli_serial_commands[0];
