/* otakit binary COMMAND: inspect, compress, decompress, combine, split. */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "inspect.h"
#include "otk/describe.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/modtool.h"
#include "otk/module.h"
#include "otk/platform.h"

enum { OPT_FORCE = 0x100, OPT_LEVEL, OPT_WINDOW, OPT_JSON, OPT_VERBOSE };

static int cmd_inspect(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ "verbose", no_argument, NULL, 'v' },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false, verbose = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "v", opts, NULL)) != -1) {
		switch (c) {
		case OPT_JSON: json = true; break;
		case 'v': verbose = true; break;
		default: return cli_bad_usage("binary inspect", argv);
		}
	}
	if (optind >= argc)
		return cli_usage_error("binary inspect", "binary inspect: no FILE given");

	int status = 0;
	json_t *all = json_array();
	for (int i = optind; i < argc; i++) {
		bool valid;
		json_t *f = otk_describe_file(argv[i], &valid);
		if (!valid)
			status = 1;
		if (json) {
			json_array_append_new(all, f);
		} else {
			if (i > optind)
				fputc('\n', stdout);
			inspect_print_text(stdout, f, verbose);
			json_decref(f);
		}
	}
	if (json) {
		json_dumpf(all, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		fputc('\n', stdout);
	}
	json_decref(all);
	return status;
}

/* Shared option parsing for commands that write one output file. */
struct out_opts {
	struct cli_out out;
	int level;
	int window;
};

static int parse_out_opts(int argc, char **argv, const char *cmd, struct out_opts *o, bool compress)
{
	static const struct option opts[] = {
		CLI_OUT_OPTIONS,
		{ "level", required_argument, NULL, OPT_LEVEL },
		{ "window-bits", required_argument, NULL, OPT_WINDOW },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	char *end;
	o->out = (struct cli_out){ 0 };
	o->level = 6;
	o->window = 15;
	optind = 1;
	while ((c = cli_getopt_out(argc, argv, opts, &o->out)) != -1) {
		switch (c) {
		case OPT_LEVEL:
			o->level = (int)strtol(optarg, &end, 10);
			if (!compress || *end || o->level < 0 || o->level > 9)
				return cli_usage_error(cmd, "%s: --level takes 0..9", cmd);
			break;
		case OPT_WINDOW:
			o->window = (int)strtol(optarg, &end, 10);
			if (!compress || *end || o->window < 9 || o->window > 15)
				return cli_usage_error(cmd, "%s: --window-bits takes 9..15", cmd);
			break;
		default: return cli_bad_usage(cmd, argv);
		}
	}
	return 0;
}

static int cmd_compress(int argc, char **argv)
{
	struct out_opts o;
	int rc = parse_out_opts(argc, argv, "binary compress", &o, true);
	if (rc)
		return rc;
	if (optind + 1 != argc || !o.out.path)
		return cli_usage_error("binary compress", "binary compress: need one FILE and -o OUT");
	const char *in = argv[optind];
	size_t len, out_len;
	uint8_t *buf = cli_read_file(in, &len), *out;
	if (!buf)
		return 1;
	struct otk_compress_opts co = { o.level, o.window };
	rc = otk_module_compress(buf, len, &co, &out, &out_len);
	free(buf);
	if (rc == OTK_EUNSUPPORTED) {
		cli_error(in, "cannot compress: module is already compressed or combined");
		return 1;
	}
	if (rc == OTK_EINVAL) {
		cli_error(in, "cannot compress: file size does not match the module's prefix, or "
			      "DROP_MODULE_INFO is set on a module with a vector table");
		return 1;
	}
	if (rc < 0) {
		cli_error(in, "cannot compress: %s", otk_strerror(rc));
		return 1;
	}
	bool ok = cli_write_file(o.out.path, out, out_len, o.out.force);
	if (ok)
		fprintf(cli_report(o.out.path), "%s: %zu -> %zu bytes (%.1f%%)\n", cli_shown(o.out.path), len, out_len,
		       len ? 100.0 * (double)out_len / (double)len : 0.0);
	free(out);
	return ok ? 0 : 1;
}

static int cmd_decompress(int argc, char **argv)
{
	struct out_opts o;
	int rc = parse_out_opts(argc, argv, "binary decompress", &o, false);
	if (rc)
		return rc;
	if (optind + 1 != argc || !o.out.path)
		return cli_usage_error("binary decompress", "binary decompress: need one FILE and -o OUT");
	const char *in = argv[optind];
	size_t len, out_len;
	uint8_t *buf = cli_read_file(in, &len), *out;
	if (!buf)
		return 1;
	rc = otk_module_decompress(buf, len, &out, &out_len);
	free(buf);
	if (rc < 0) {
		const char *why = otk_strerror(rc);
		if (rc == OTK_EUNSUPPORTED)
			why = "combined modules must be split first, or unknown compression method";
		cli_error(in, "cannot decompress: %s", why);
		return 1;
	}
	bool ok = cli_write_file(o.out.path, out, out_len, o.out.force);
	if (ok)
		fprintf(cli_report(o.out.path), "%s: %zu -> %zu bytes\n", cli_shown(o.out.path), len, out_len);
	free(out);
	return ok ? 0 : 1;
}

static int cmd_combine(int argc, char **argv)
{
	struct out_opts o;
	int rc = parse_out_opts(argc, argv, "binary combine", &o, false);
	if (rc)
		return rc;
	int n = argc - optind;
	if (n < 2 || !o.out.path)
		return cli_usage_error("binary combine", "binary combine: need two or more FILEs and -o OUT");
	uint8_t **bufs = calloc((size_t)n, sizeof *bufs);
	size_t *lens = calloc((size_t)n, sizeof *lens);
	int status = 1;
	if (!bufs || !lens)
		goto out;
	for (int i = 0; i < n; i++) {
		const char *path = argv[optind + i];
		struct otk_module m;
		if (!(bufs[i] = cli_read_file(path, &lens[i])))
			goto out;
		rc = otk_module_parse(bufs[i], lens[i], &m);
		if (rc < 0) {
			cli_error(path, "not a valid module: %s", otk_strerror(rc));
			goto out;
		}
		if (m.prefix.flags & OTK_FLAG_COMBINED) {
			cli_error(path, "already a combined module");
			goto out;
		}
		if (m.size != lens[i]) {
			cli_error(path, "file is %zu bytes but its prefix says %u", lens[i], m.size);
			goto out;
		}
	}
	if (n > 2)
		fprintf(stderr, "otakit: warning: devices apply at most 2 combined modules\n");
	uint8_t *out;
	size_t out_len;
	rc = otk_module_combine((const uint8_t *const *)bufs, lens, (size_t)n, &out, &out_len);
	if (rc < 0) {
		cli_error(NULL, "cannot combine: %s", otk_strerror(rc));
		goto out;
	}
	if (cli_write_file(o.out.path, out, out_len, o.out.force)) {
		fprintf(cli_report(o.out.path), "%s: %d modules, %zu bytes\n", cli_shown(o.out.path), n, out_len);
		status = 0;
	}
	free(out);
out:
	for (int i = 0; bufs && i < n; i++)
		free(bufs[i]);
	free(bufs);
	free(lens);
	return status;
}

static int cmd_split(int argc, char **argv)
{
	struct out_opts o;
	int rc = parse_out_opts(argc, argv, "binary split", &o, false);
	if (rc)
		return rc;
	if (optind + 1 != argc)
		return cli_usage_error("binary split", "binary split: need one FILE");
	const char *in = argv[optind];
	size_t len, n;
	struct otk_part *parts;
	uint8_t *buf = cli_read_file(in, &len);
	if (!buf)
		return 1;
	rc = otk_module_split(buf, len, 16, &parts, &n);
	free(buf);
	if (rc < 0) {
		cli_error(in, "cannot split: %s", rc == OTK_ENOTCOMBINED ? "bytes after a module "
			  "that is not flagged combined" : otk_strerror(rc));
		return 1;
	}
	if (n < 2) {
		cli_error(in, "not a combined module");
		otk_module_parts_free(parts, n);
		return 1;
	}
	/* Output names: PREFIX-1.bin, PREFIX-2.bin ...; PREFIX defaults to the input without .bin */
	char prefix[4096];
	const char *base = o.out.path ? o.out.path : in;
	size_t bl = strlen(base);
	if (bl > 4 && strcmp(base + bl - 4, ".bin") == 0)
		bl -= 4;
	if (bl >= sizeof prefix - 16)
		bl = sizeof prefix - 16;
	memcpy(prefix, base, bl);
	prefix[bl] = 0;
	/* Refuse before writing anything, so a clash leaves no partial set. */
	char path[4096 + 32];
	for (size_t i = 0; i < n && !o.out.force; i++) {
		snprintf(path, sizeof path, "%s-%zu.bin", prefix, i + 1);
		if (otk_file_exists(path)) {
			cli_error(path, "already exists (use --force to replace it)");
			otk_module_parts_free(parts, n);
			return 1;
		}
	}
	/* Staged in the prefix's folder and moved into place: all parts or none. */
	const char *slash = strrchr(prefix, '/');
	char dir[4096];
	snprintf(dir, sizeof dir, "%.*s", slash ? (int)(slash - prefix) + 1 : 1, slash ? prefix : ".");
	const char *stem = slash ? slash + 1 : prefix;
	struct cli_stage st;
	bool ok = cli_stage_open(&st, dir);
	for (size_t i = 0; ok && i < n; i++) {
		snprintf(path, sizeof path, "%s-%zu.bin", stem, i + 1);
		ok = cli_stage_write(&st, path, parts[i].data, parts[i].len);
	}
	if (ok)
		ok = cli_stage_commit(&st);
	else
		cli_stage_abort(&st);
	for (size_t i = 0; ok && i < n; i++)
		printf("%s-%zu.bin: %zu bytes\n", cli_shown(prefix), i + 1, parts[i].len);
	otk_module_parts_free(parts, n);
	return ok ? 0 : 1;
}


static int function_from_name(const char *s)
{
	for (int f = 1; f <= OTK_FUNC_MAX; f++)
		if (strcmp(s, otk_function_short_name((uint8_t)f)) == 0)
			return f;
	uint32_t v;
	if (cli_parse_u32(s, &v) && v <= 255)
		return (int)v;
	return -1;
}

/*
 * Where a user part goes when --start is not given: the address Device OS
 * links it at on each family.  Grows-left platforms fix the end instead.
 */
static bool default_user_start(const struct otk_platform *p, uint32_t total, uint32_t *start)
{
	switch (p->mcu) {
	case OTK_MCU_STM32F2:
		*start = p->id == 10 ? 0x08080000u : 0x080A0000u;
		return true;
	case OTK_MCU_NRF52840:
		*start = 0xB4000u;
		return true;
	case OTK_MCU_RTL872X:
		*start = 0x08600000u - total; /* end address 0x085FFFFC, CRC last */
		return true;
	default:
		return false;
	}
}

/* binary create's command line. */
struct create_args {
	struct cli_out out;
	struct otk_module_spec spec;
	const struct otk_platform *plat;
	bool have_start;
	int ndeps;
};

/* One option of binary create; 0 when taken, else the exit status. */
static int create_option(struct create_args *a, int c, char **argv)
{
	const char *cmd = "binary create";
	struct otk_prefix *p = &a->spec.prefix;
	uint32_t v;
	switch (c) {
	case 'p':
		a->plat = otk_platform_by_name(optarg);
		if (!a->plat && cli_parse_u32(optarg, &v) && v <= 0xFFFF)
			a->plat = otk_platform_by_id((uint16_t)v);
		if (!a->plat)
			return cli_usage_error(cmd, "%s: unknown platform '%s'", cmd, optarg);
		return 0;
	case 'F': {
		int f = function_from_name(optarg);
		if (f < 0)
			return cli_usage_error(cmd, "%s: unknown function '%s' (system, user, "
						    "bootloader, ncp, radio, asset, mono)", cmd, optarg);
		p->function = (uint8_t)f;
		return 0;
	}
	case 'i':
		if (!cli_parse_u32(optarg, &v) || v > 255)
			return cli_usage_error(cmd, "%s: --index takes 0..255", cmd);
		p->index = (uint8_t)v;
		return 0;
	case 'v':
		if (!cli_parse_u32(optarg, &v) || v > 0xFFFF)
			return cli_usage_error(cmd, "%s: --version takes 0..65535", cmd);
		p->version = (uint16_t)v;
		return 0;
	case 's':
		if (!cli_parse_u32(optarg, &a->spec.start))
			return cli_usage_error(cmd, "%s: bad --start address '%s'", cmd, optarg);
		a->have_start = true;
		return 0;
	case 'd': {
		char fn[32];
		unsigned idx, ver;
		int f;
		if (a->ndeps == 2 || sscanf(optarg, "%31[^:]:%u:%u", fn, &idx, &ver) != 3 ||
		    (f = function_from_name(fn)) < 0 || idx > 255 || ver > 0xFFFF)
			return cli_usage_error(cmd, "%s: --depends takes FUNCTION:INDEX:VERSION, "
						    "at most twice (e.g. system:1:5500)", cmd);
		p->dep[a->ndeps++] = (struct otk_dependency){ (uint8_t)f, (uint8_t)idx, (uint16_t)ver };
		return 0;
	}
	case 'P': {
		unsigned id, ver;
		if (sscanf(optarg, "%u:%u", &id, &ver) != 2 || id > 0xFFFF || ver > 0xFFFF)
			return cli_usage_error(cmd, "%s: --product takes ID:VERSION", cmd);
		a->spec.product = true;
		a->spec.product_id = (uint16_t)id;
		a->spec.product_version = (uint16_t)ver;
		return 0;
	}
	}
	return cli_bad_usage(cmd, argv);
}

static int parse_create(int argc, char **argv, struct create_args *a)
{
	static const struct option opts[] = {
		CLI_OUT_OPTIONS,
		{ "platform", required_argument, NULL, 'p' },
		{ "function", required_argument, NULL, 'F' },
		{ "index", required_argument, NULL, 'i' },
		{ "version", required_argument, NULL, 'v' },
		{ "start", required_argument, NULL, 's' },
		{ "depends", required_argument, NULL, 'd' },
		{ "product", required_argument, NULL, 'P' },
		{ NULL, 0, NULL, 0 },
	};
	int c, rc;
	memset(a, 0, sizeof *a);
	a->spec.prefix.function = OTK_FUNC_USER;
	a->spec.prefix.index = 1;
	optind = 1;
	while ((c = cli_getopt_out(argc, argv, opts, &a->out)) != -1)
		if ((rc = create_option(a, c, argv)) != 0)
			return rc;
	if (optind + 1 != argc || !a->out.path || !a->plat)
		return cli_usage_error("binary create", "binary create: need BODY, --platform and -o OUT");
	a->spec.prefix.platform = a->plat->id;
	if (!a->spec.product) {
		/* Modules built today carry product data; 0xFFFF means none. */
		a->spec.product = true;
		a->spec.product_id = 0xFFFF;
		a->spec.product_version = 0xFFFF;
	}
	return 0;
}

static int cmd_create(int argc, char **argv)
{
	struct create_args a;
	int rc = parse_create(argc, argv, &a);
	if (rc)
		return rc;
	const char *in = argv[optind];
	size_t len, out_len = 0;
	uint8_t *body = cli_read_file(in, &len);
	if (!body)
		return 1;
	size_t cap = len + OTK_PREFIX_SIZE + OTK_SUFFIX_PRODUCT + OTK_CRC_SIZE;
	if (!a.have_start && (a.spec.prefix.function != OTK_FUNC_USER ||
			      !default_user_start(a.plat, (uint32_t)cap, &a.spec.start))) {
		free(body);
		return cli_usage_error("binary create", "binary create: --start is required for "
				       "this module");
	}
	uint8_t *buf = malloc(cap);
	rc = buf ? otk_module_build(&a.spec, body, len, buf, cap, &out_len) : OTK_ENOMEM;
	free(body);
	uint32_t max = a.spec.prefix.function == OTK_FUNC_USER ? otk_platform_user_max_size(a.plat) : 0;
	bool ok = false;
	if (rc < 0)
		cli_error(in, "cannot build a module: %s", otk_strerror(rc));
	else if (max && out_len > max)
		cli_error(in, "the module is %zu bytes, %zu over the %s user part limit of %u bytes",
			  out_len, out_len - max, a.plat->name, max);
	else
		ok = cli_write_file(a.out.path, buf, out_len, a.out.force);
	if (ok)
		fprintf(cli_report(a.out.path), "%s: %s %u version %u for %s, %zu bytes at 0x%08x\n",
			cli_shown(a.out.path),
		       otk_function_name(a.spec.prefix.function), a.spec.prefix.index,
		       a.spec.prefix.version, a.plat->name, out_len, a.spec.start);
	free(buf);
	return ok ? 0 : 1;
}

const struct cli_command cli_binary_commands[] = {
	{ "binary inspect", "describe modules and Asset OTA bundles",
	  "Usage: otakit binary inspect [--json] [-v] FILE...\n"
	  "\n"
	  "Describe Particle module binaries (.bin) and Asset OTA bundles (.zip):\n"
	  "platform, function, index and version, dependencies (with the Device OS\n"
	  "release they mean), CRC-32 with both values, SHA-256 (and which rule it\n"
	  "follows), product id and version, flags, every prefix and suffix\n"
	  "extension, asset dependencies with hashes, the prefix offset, compressed\n"
	  "modules (method, window, sizes, and whether the inflated image is itself\n"
	  "valid) and each part of a combined module.  For a bundle, every asset is\n"
	  "checked against the application's dependencies.\n"
	  "\n"
	  "Options:\n"
	  "  --json        print a JSON array with one object per FILE\n"
	  "  -v, --verbose more detail\n"
	  "\n"
	  "Exit status: 0 when every FILE is valid, 1 when any is not, 2 bad usage.\n",
	  cmd_inspect },
	{ "binary compress", "compress a module (raw deflate)",
	  "Usage: otakit binary compress FILE -o OUT [--level N] [--window-bits N] [--force]\n"
	  "\n"
	  "Write a compressed module (flag 0x02) that Device OS and binary-version-reader\n"
	  "accept.  Default level 6 and window 2^15, as Particle's tools use.\n"
	  "A smaller window lowers the RAM a device needs to inflate it.\n",
	  cmd_compress },
	{ "binary decompress", "restore a compressed module",
	  "Usage: otakit binary decompress FILE -o OUT [--force]\n"
	  "\n"
	  "Inflate a compressed module back to the module it was made from.\n",
	  cmd_decompress },
	{ "binary combine", "combine modules into one file",
	  "Usage: otakit binary combine FILE FILE... -o OUT [--force]\n"
	  "\n"
	  "Concatenate modules, flagging all but the last as combined (0x04), with\n"
	  "SHA-256 and CRC-32 recomputed.  Devices apply at most two.\n",
	  cmd_combine },
	{ "binary split", "split a combined module",
	  "Usage: otakit binary split FILE [-o PREFIX] [--force]\n"
	  "\n"
	  "Write each part of a combined module to PREFIX-1.bin, PREFIX-2.bin, ...\n"
	  "with the combined flag cleared and checksums recomputed.  PREFIX defaults\n"
	  "to FILE without its .bin extension.\n",
	  cmd_split },
	{ "binary create", "build a module from a raw body",
	  "Usage: otakit binary create BODY --platform NAME -o OUT [options]\n"
	  "\n"
	  "Wrap the bytes of BODY in a module prefix and suffix with SHA-256 and CRC-32.\n"
	  "\n"
	  "Options:\n"
	  "  --platform NAME|ID     target platform (name, alias or number)\n"
	  "  --function NAME        user (default), system, bootloader, ncp, radio, mono, asset\n"
	  "  --index N              module index (default 1)\n"
	  "  --version N            module version (default 0)\n"
	  "  --start ADDR           start address; user parts default to the platform's slot\n"
	  "  --depends F:I:V        dependency, e.g. system:1:5500 (up to two)\n"
	  "  --product ID:VERSION   product id and version (default 65535:65535)\n"
	  "  -o, --output OUT       output file\n"
	  "  -f, --force            replace OUT if it exists\n",
	  cmd_create },
};
const size_t cli_binary_command_count = sizeof cli_binary_commands / sizeof cli_binary_commands[0];
