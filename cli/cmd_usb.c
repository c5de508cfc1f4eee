/*
 * otakit usb list|dfu|reset|start-listening|stop-listening|safe-mode|
 * setup-done and otakit identify, as particle-cli's `particle usb ...` and
 * `particle identify`: Particle devices on USB (otk/usb.h), --json for
 * scripts, --device ID when several are attached.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "otk/error.h"
#include "otk/platform.h"
#include "otk/usb.h"

enum { OPT_DEVICE = 0x100, OPT_JSON, OPT_RESET };

static const char *platform_name(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	return p ? p->name : "unknown";
}

static const char *mode_name(const struct otk_usb_info *i)
{
	return i->dfu ? "DFU" : "normal";
}

struct otk_usb_dev *cli_usb_open(const char *id, struct otk_usb_info *info)
{
	/* A device that re-enumerates under us closes what we were writing to
	 * (umockdev's socket on the virtual bus): an error to handle, not a
	 * reason to die. */
	signal(SIGPIPE, SIG_IGN);
	struct otk_usb_dev *dev;
	int rc = otk_usb_open(id, &dev, info);
	if (rc == OTK_OK)
		return dev;
	if (rc == OTK_ENOTFOUND) {
		if (id)
			cli_error(NULL, "no Particle device with id %s on USB", cli_shown(id));
		else
			cli_error(NULL, "no Particle device found on USB");
	} else if (rc == OTK_EEXIST) {
		struct otk_usb_info *list;
		size_t n;
		cli_error(NULL, "several Particle devices are attached; choose one with --device ID:");
		if (otk_usb_list(&list, &n) == OTK_OK) {
			for (size_t i = 0; i < n; i++)
				fprintf(stderr, "  %s  %s  %s\n", list[i].id[0] ? list[i].id : "(no id)",
					platform_name(list[i].platform), mode_name(&list[i]));
			free(list);
		}
	} else {
		cli_error(NULL, "cannot open the device: %s", otk_usb_strerror(rc));
	}
	return NULL;
}

/* Options of every device command: --device ID and --json. */
static int device_options(const char *cmd, int argc, char **argv, const char **id, bool *json,
			  bool *reset)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "reset", no_argument, NULL, OPT_RESET },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == OPT_DEVICE)
			*id = optarg;
		else if (c == OPT_JSON && json)
			*json = true;
		else if (c == OPT_RESET && reset)
			*reset = true;
		else
			return cli_bad_usage(cmd, argv);
	}
	if (optind != argc)
		return cli_usage_error(cmd, "%s: no arguments expected", cmd);
	return 0;
}

static int cmd_list(int argc, char **argv)
{
	const char *id = NULL;
	bool json = false;
	int rc = device_options("usb list", argc, argv, &id, &json, NULL);
	if (rc)
		return rc;
	struct otk_usb_info *list;
	size_t n;
	signal(SIGPIPE, SIG_IGN);
	rc = otk_usb_list(&list, &n);
	if (rc < 0) {
		cli_error(NULL, "cannot list USB devices: %s", otk_usb_strerror(rc));
		return 1;
	}
	json_t *arr = json ? json_array() : NULL;
	for (size_t i = 0; i < n; i++) {
		if (id && strcasecmp(list[i].id, id) != 0)
			continue;
		if (arr)
			json_array_append_new(arr, json_pack("{s:s, s:s, s:i, s:s}", "id", list[i].id,
							     "platform", platform_name(list[i].platform),
							     "platform_id", list[i].platform, "mode",
							     list[i].dfu ? "dfu" : "normal"));
		else
			printf("%s  %s  %s\n", list[i].id[0] ? list[i].id : "(no id)",
			       platform_name(list[i].platform), mode_name(&list[i]));
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	} else if (n == 0) {
		printf("No devices found.\n");
	}
	free(list);
	return 0;
}

/* A control request without payload; the device's refusal is reported. */
static int simple_request(struct otk_usb_dev *dev, uint16_t type, const char *what)
{
	int32_t result;
	uint8_t *rep;
	size_t len;
	int rc = otk_usb_request(otk_usb_dev_io(dev), type, NULL, 0, &result, &rep, &len, 10000);
	free(rep);
	if (rc < 0) {
		cli_error(NULL, "%s: %s", what, otk_usb_strerror(rc));
		return 1;
	}
	if (result == OTK_USB_RESULT_NOT_SUPPORTED) {
		cli_error(NULL, "%s: not supported by the device", what);
		return 1;
	}
	if (result) {
		cli_error(NULL, "%s: the device answered %d", what, result);
		return 1;
	}
	return 0;
}

/* The DFU address to leave at: the start of alt 0's memory. */
static uint32_t dfu_start(struct otk_usb_dev *dev)
{
	char s[256];
	if (otk_usb_alt_name(dev, 0, s, sizeof s) < 0)
		return 0;
	const char *p = strchr(s, '/');
	return p ? (uint32_t)strtoul(p + 1, NULL, 0) : 0;
}

static int dfu_leave(struct otk_usb_dev *dev, const char *what)
{
	int rc = otk_usb_set_alt(dev, 0);
	struct otk_dfu d = { .io = otk_usb_dev_io(dev), .retries = 2 };
	if (rc == OTK_OK)
		rc = otk_dfu_leave(&d, dfu_start(dev));
	if (rc < 0) {
		cli_error(NULL, "%s: %s", what, d.err[0] ? d.err : otk_usb_strerror(rc));
		return 1;
	}
	return 0;
}

/* From DFU mode, safe mode is Particle's DfuSe command 0xFA. */
static int dfu_safe_mode(struct otk_usb_dev *dev, const char *what)
{
	int rc = otk_usb_set_alt(dev, 0);
	struct otk_dfu d = { .io = otk_usb_dev_io(dev), .retries = 2 };
	if (rc == OTK_OK)
		rc = otk_dfu_safe_mode(&d);
	if (rc < 0) {
		cli_error(NULL, "%s: %s", what, d.err[0] ? d.err : otk_usb_strerror(rc));
		return 1;
	}
	return 0;
}

static int device_command(const char *cmd, int argc, char **argv, uint16_t type, const char *done)
{
	const char *id = NULL;
	bool reset = false;
	int rc = device_options(cmd, argc, argv, &id, NULL, strcmp(cmd, "usb setup-done") ? NULL : &reset);
	if (rc)
		return rc;
	struct otk_usb_info info;
	struct otk_usb_dev *dev = cli_usb_open(id, &info);
	if (!dev)
		return 1;
	int status;
	if (info.dfu) {
		if (type == OTK_REQ_DFU_MODE) {
			printf("%s is already in DFU mode.\n", info.id);
			otk_usb_close(dev);
			return 0;
		}
		if (type == OTK_REQ_RESET)
			status = dfu_leave(dev, cmd);
		else if (type == OTK_REQ_SAFE_MODE)
			status = dfu_safe_mode(dev, cmd);
		else {
			cli_error(NULL, "%s: %s is in DFU mode (otakit usb reset first)", cmd, info.id);
			status = 1;
		}
	} else if (type == OTK_REQ_SETUP_DONE) {
		int32_t result;
		int r = otk_usb_setup_done(otk_usb_dev_io(dev), !reset, &result);
		status = r < 0 || result;
		if (r < 0)
			cli_error(NULL, "%s: %s", cmd, otk_usb_strerror(r));
		else if (result)
			cli_error(NULL, "%s: %s", cmd, result == OTK_USB_RESULT_NOT_SUPPORTED
				  ? "not supported by the device" : "refused by the device");
	} else {
		status = simple_request(dev, type, cmd);
	}
	if (status == 0)
		printf("%s: %s\n", info.id, done);
	otk_usb_close(dev);
	return status;
}

static int cmd_dfu(int argc, char **argv)
{
	return device_command("usb dfu", argc, argv, OTK_REQ_DFU_MODE, "entering DFU mode");
}
static int cmd_reset(int argc, char **argv)
{
	return device_command("usb reset", argc, argv, OTK_REQ_RESET, "resetting");
}
static int cmd_listen(int argc, char **argv)
{
	return device_command("usb start-listening", argc, argv, OTK_REQ_START_LISTENING,
			      "listening mode");
}
static int cmd_stop_listen(int argc, char **argv)
{
	return device_command("usb stop-listening", argc, argv, OTK_REQ_STOP_LISTENING,
			      "left listening mode");
}
static int cmd_safe(int argc, char **argv)
{
	return device_command("usb safe-mode", argc, argv, OTK_REQ_SAFE_MODE, "entering safe mode");
}
static int cmd_setup_done(int argc, char **argv)
{
	return device_command("usb setup-done", argc, argv, OTK_REQ_SETUP_DONE, "setup flag set");
}

static int cmd_identify(int argc, char **argv)
{
	const char *id = NULL;
	bool json = false;
	int rc = device_options("identify", argc, argv, &id, &json, NULL);
	if (rc)
		return rc;
	struct otk_usb_info info;
	struct otk_usb_dev *dev = cli_usb_open(id, &info);
	if (!dev)
		return 1;
	char version[80] = "";
	if (!info.dfu && otk_usb_simple(otk_usb_dev_io(dev), OTK_REQ_FIRMWARE_VERSION, version,
					sizeof version) < 0)
		version[0] = 0;
	otk_usb_close(dev);
	if (json) {
		json_t *o = json_pack("{s:s, s:s, s:i, s:s}", "id", info.id, "platform",
				      platform_name(info.platform), "platform_id", info.platform,
				      "mode", info.dfu ? "dfu" : "normal");
		if (version[0])
			json_object_set_new(o, "system_firmware_version", json_string(version));
		json_dumpf(o, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(o);
		return 0;
	}
	printf("Your device id is %s\n", info.id);
	if (version[0])
		printf("Your system firmware version is %s\n", cli_shown(version));
	else if (info.dfu)
		printf("The device is in DFU mode: its firmware version is not available\n");
	return 0;
}

#define DEVICE_HELP "  --device ID   the device, when several are attached\n"

const struct cli_command cli_usb_commands[] = {
	{ "usb list", "list Particle devices on USB",
	  "Usage: otakit usb list [--device ID] [--json]\n\nOne line per device: id, platform, mode.\n",
	  cmd_list },
	{ "usb dfu", "put a device into DFU mode",
	  "Usage: otakit usb dfu [--device ID]\n\n" DEVICE_HELP, cmd_dfu },
	{ "usb reset", "reset a device (DFU leave when in DFU mode)",
	  "Usage: otakit usb reset [--device ID]\n\n" DEVICE_HELP, cmd_reset },
	{ "usb start-listening", "put a device into listening mode",
	  "Usage: otakit usb start-listening [--device ID]\n\n" DEVICE_HELP, cmd_listen },
	{ "usb stop-listening", "take a device out of listening mode",
	  "Usage: otakit usb stop-listening [--device ID]\n\n" DEVICE_HELP, cmd_stop_listen },
	{ "usb safe-mode", "reset a device into safe mode",
	  "Usage: otakit usb safe-mode [--device ID]\n\n" DEVICE_HELP, cmd_safe },
	{ "usb setup-done", "mark a device's setup as done (--reset: not done)",
	  "Usage: otakit usb setup-done [--device ID] [--reset]\n\n" DEVICE_HELP, cmd_setup_done },
	{ "identify", "print a device's id and Device OS version",
	  "Usage: otakit identify [--device ID] [--json]\n\n" DEVICE_HELP, cmd_identify },
};
const size_t cli_usb_command_count = sizeof cli_usb_commands / sizeof cli_usb_commands[0];
