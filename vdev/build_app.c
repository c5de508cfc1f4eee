/*
 * otakit-vdev build-app: wrap a native application (.so built against
 * include/otakit/app.h) in a user part module for a platform's user area,
 * depending on system part 1 of a Device OS release, as a real build would.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "vdev.h"

int cmd_build_app(int argc, char **argv)
{
	static const struct option opts[] = {
		CLI_OUT_OPTIONS,
		{ "platform", required_argument, NULL, 'p' },
		{ "device-os", required_argument, NULL, 'd' },
		{ "version", required_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pname = "gcc", *dos = VDEV_DEFAULT_DOS;
	struct cli_out o = { 0 };
	uint32_t version = 1;
	int c;
	optind = 1;
	while ((c = cli_getopt_out(argc, argv, opts, &o)) != -1) {
		switch (c) {
		case 'p': pname = optarg; break;
		case 'd': dos = optarg; break;
		case 'v':
			if (!cli_parse_u32(optarg, &version) || version > 0xFFFF)
				return vdev_usage_error("build-app: --version takes 0..65535");
			break;
		default: return vdev_bad_option("build-app", argv);
		}
	}
	const char *out = o.path;
	bool force = o.force;
	if (optind + 1 != argc || !out)
		return vdev_usage_error("build-app: need APP.so and -o OUT.bin");
	const struct otk_platform *p = otk_platform_by_name(pname);
	const struct otk_layout *l = p ? otk_layout_by_platform(p->id) : NULL;
	if (!l)
		return vdev_usage_error("build-app: no flash layout for platform '%s'", pname);
	struct otk_dos_release custom;
	const struct otk_dos_release *rel = vdev_device_os(dos, &custom);
	if (!rel)
		return vdev_usage_error("build-app: unknown Device OS version '%s'", dos);
	const struct otk_layout_area *ua = NULL;
	for (size_t i = 0; i < l->nareas && !ua; i++)   /* the layout's first user area */
		if (l->areas[i].role == OTK_AREA_USER)
			ua = &l->areas[i];
	if (!ua)
		return vdev_usage_error("build-app: %s has no user part area", l->name);

	const char *in = argv[optind];
	uint8_t *body, *buf = NULL;
	size_t len, out_len = 0;
	int rc = otk_file_read(in, 64u * 1024u * 1024u, &body, &len);
	if (rc < 0) {
		cli_error(in, "%s", rc == OTK_EIO ? strerror(errno) : otk_strerror(rc));
		return 1;
	}
	if (len < 4 || memcmp(body, "\177ELF", 4) != 0)
		fprintf(stderr, "otakit-vdev: warning: %s is not an ELF shared object; it will not "
				"run on the virtual device\n", in);
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = ua->index;
	spec.prefix.version = (uint16_t)version;
	spec.prefix.platform = l->platform;
	spec.prefix.dep[0] = (struct otk_dependency){ OTK_FUNC_SYSTEM, 1, rel->system_version };
	spec.product = true;
	spec.product_id = 0xFFFF;
	spec.product_version = 0xFFFF;
	size_t cap = len + OTK_PREFIX_SIZE + OTK_SUFFIX_PRODUCT + OTK_CRC_SIZE;
	/* A user part that grows down ends at its area's end. */
	spec.start = ua->grows_left ? ua->addr + ua->size - (uint32_t)cap : ua->addr;
	int status = 1;
	if (!(buf = malloc(cap)))
		goto out;
	if ((rc = otk_module_build(&spec, body, len, buf, cap, &out_len)) < 0) {
		cli_error(in, "cannot build a module: %s", otk_strerror(rc));
		goto out;
	}
	if (out_len > ua->size) {
		cli_error(in, "the module is %zu bytes, over the %s user part area (%u bytes)",
			   out_len, l->name, ua->size);
		goto out;
	}
	rc = otk_file_write(out, buf, out_len, force);
	if (rc < 0) {
		cli_error(out, "%s", rc == OTK_EEXIST ? "already exists (use --force to replace it)"
						       : strerror(errno));
		goto out;
	}
	printf("%s: user part %u version %u for %s, needs Device OS %s (system part 1 version %u), "
	       "%zu bytes\n", out, ua->index, version, l->name, rel->version, rel->system_version,
	       out_len);
	status = 0;
out:
	free(buf);
	free(body);
	return status;
}
