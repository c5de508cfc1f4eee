/*
 * otakit update [--target VERSION]: a Device OS release from the host
 * catalog (default: the newest for the device's platform) flashed over USB
 * without a user part, through the same planner as `otakit flash`, so the
 * bootloader goes first and the system parts follow in dependency order,
 * for an upgrade and a downgrade alike.
 */
#include <getopt.h>

#include "cli.h"
#include "flash_run.h"

enum { OPT_TARGET = 0x100, OPT_DEVICE, OPT_CATALOG, OPT_RADIO };

int cli_update_command(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "radio-ncp", no_argument, NULL, OPT_RADIO },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_flash_args a = { .device_os_only = true };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_TARGET: a.target = optarg; break;
		case OPT_DEVICE: a.device = optarg; break;
		case OPT_CATALOG: a.catalog = optarg; break;
		case OPT_RADIO: a.radio_ncp = true; break;
		default: return cli_bad_usage("update", argv);
		}
	}
	if (optind != argc)
		return cli_usage_error("update", "update: no arguments expected");
	struct cli_inputs none = { 0 };
	return cli_flash_run(&a, &none);
}
