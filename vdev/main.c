/* otakit-vdev: the virtual device.  Command dispatch and usage. */
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "otk/cleanup.h"
#include "cloud.h"
#include "vdev.h"

static const char usage[] =
	"Usage: otakit-vdev COMMAND ...\n"
	"\n"
	"  create DIR --platform NAME [--device-os VERSION] [--id HEX]\n"
	"      make a device: flash files for the platform's layout, a device id and\n"
	"      factory system modules for the Device OS release (default " VDEV_DEFAULT_DOS ")\n"
	"      or system module version (e.g. 6305)\n"
	"  run DIR [--for SECONDS] [--loops N] [--safe-mode] [--dfu] [--listen] [--cloud]\n"
	"      boot: complete a pending update, print the boot decision and the LED,\n"
	"      then run the user part (native apps run; ARM images are not executable);\n"
	"      --cloud connects to the server in the DCT (DTLS, Hello, describe, OTA v3)\n"
	"  keys server DIR SERVER.der --host HOST [--port N]\n"
	"      put the cloud's public key, address and port into the DCT (as particle keys server)\n"
	"  keys device DIR\n"
	"      print the device's public key (PEM), e.g. for POST /v1/provisioning\n"
	"  keys address DIR\n"
	"      print the server address in the DCT (udp://HOST:PORT, as particle keys address)\n"
	"  install DIR FILE.bin|BUNDLE.zip [--ota]\n"
	"      feed a module file to the update engine (local install, or OTA policy);\n"
	"      a bundle sends the assets the device lacks (as asset modules), then the app\n"
	"  bundle APP.bin --assets DIR --saveTo OUT.zip [--force]\n"
	"      an Asset OTA bundle for a virtual device (otakit bundle refuses gcc)\n"
	"  build-app APP.so -o OUT.bin [--platform NAME] [--device-os VERSION] [--version N]\n"
	"      wrap a native application in a user part module\n"
	"\n"
	"  --version\n"
	"      print the version\n"
	"\n"
	"Exit status: 0 ok, 1 failure, 2 bad usage.\n";

#ifndef OTK_VERSION_STRING
#define OTK_VERSION_STRING "0.0.0"
#endif

int vdev_usage_error(const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\n(otakit-vdev --help for usage)\n", stderr);
	return 2;
}

int vdev_bad_option(const char *command, char **argv)
{
	return vdev_usage_error("%s: bad option '%s'", command, cli_bad_option(argv));
}

int main(int argc, char **argv)
{
	otk_cleanup_install_signals();
	cli_program = "otakit-vdev";
	opterr = 0; /* commands report a rejected option themselves, once */
	if (argc < 2)
		return vdev_usage_error("no command given");
	const char *cmd = argv[1];
	if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
		fputs(usage, stdout);
		return 0;
	}
	if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
		printf("otakit-vdev %s\n", OTK_VERSION_STRING);
		return 0;
	}
	if (strcmp(cmd, "create") == 0)
		return cmd_create(argc - 1, argv + 1);
	if (strcmp(cmd, "run") == 0)
		return cmd_run(argc - 1, argv + 1);
	if (strcmp(cmd, "install") == 0)
		return cmd_install(argc - 1, argv + 1);
	if (strcmp(cmd, "bundle") == 0)
		return cmd_bundle(argc - 1, argv + 1);
	if (strcmp(cmd, "keys") == 0)
		return cmd_keys(argc - 1, argv + 1);
	if (strcmp(cmd, "build-app") == 0)
		return cmd_build_app(argc - 1, argv + 1);
	return vdev_usage_error("unknown command '%s'", cmd);
}
