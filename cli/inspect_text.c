/* Text rendering of the description trees of host/src/describe.c. */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "inspect.h"

static const char *str(const json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "?";
}

static json_int_t num(const json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static const char *function_long(const char *short_name)
{
	static const char *const map[][2] = {
		{ "system", "system part" }, { "user", "user part" },
		{ "bootloader", "bootloader" }, { "mono", "monolithic firmware" },
		{ "ncp", "NCP firmware" }, { "radio", "radio stack" },
		{ "asset", "asset" }, { "resource", "resource" }, { "settings", "settings" },
	};
	for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
		if (strcmp(map[i][0], short_name) == 0)
			return map[i][1];
	return "unknown module";
}

static void print_dep(FILE *f, const json_t *d)
{
	fprintf(f, "%s %" JSON_INTEGER_FORMAT " version >= %" JSON_INTEGER_FORMAT,
		function_long(str(d, "function")), num(d, "index"), num(d, "version"));
	const char *dos = json_string_value(json_object_get(d, "device_os"));
	if (dos)
		fprintf(f, " (Device OS %s)", dos);
}

static void print_exts(FILE *f, const char *where, const json_t *exts, const char *ind)
{
	size_t i;
	json_t *e;
	json_array_foreach(exts, i, e) {
		fprintf(f, "%s  %-6s @%-6" JSON_INTEGER_FORMAT " %-16s %3" JSON_INTEGER_FORMAT " B",
			ind, where, num(e, "offset"), str(e, "type"), num(e, "length"));
		if (json_object_get(e, "name"))
			fprintf(f, "  %s", cli_shown(str(e, "name")));
		if (json_object_get(e, "hash"))
			fprintf(f, "  sha256 %s", str(e, "hash"));
		if (json_object_get(e, "product_id"))
			fprintf(f, "  product %" JSON_INTEGER_FORMAT " version %" JSON_INTEGER_FORMAT,
				num(e, "product_id"), num(e, "product_version"));
		if (json_object_get(e, "module_start"))
			fprintf(f, "  start %s dynalib %s ram %s", str(e, "module_start"),
				str(e, "dynalib_load"), str(e, "dynalib_ram"));
		if (json_object_get(e, "mode_name")) {
			fprintf(f, "  %s", str(e, "mode_name"));
			if (json_object_get(e, "certificate_size"))
				fprintf(f, ", certificate %" JSON_INTEGER_FORMAT " B",
					num(e, "certificate_size"));
		}
		if (json_object_get(e, "asset_type_name"))
			fprintf(f, "  %s", str(e, "asset_type_name"));
		if (json_object_get(e, "dependency")) {
			fputs("  ", f);
			print_dep(f, json_object_get(e, "dependency"));
		}
		if (json_object_get(e, "padding"))
			fprintf(f, "  %" JSON_INTEGER_FORMAT " bytes padding", num(e, "padding"));
		fputc('\n', f);
	}
}

static void print_module(FILE *f, const json_t *m, const char *ind, bool verbose);

/* Product data and the dependencies, one line each. */
static void print_product_and_deps(FILE *f, const json_t *m, const char *ind)
{
	size_t i;
	json_t *v;
	const json_t *pr = json_object_get(m, "product");
	if (json_is_object(pr))
		fprintf(f, "%s product    id %" JSON_INTEGER_FORMAT ", version %" JSON_INTEGER_FORMAT "\n",
			ind, num(pr, "id"), num(pr, "version"));
	else
		fprintf(f, "%s product    none (suffix of %" JSON_INTEGER_FORMAT " bytes)\n", ind,
			num(m, "suffix_size"));
	const json_t *deps = json_object_get(m, "dependencies");
	if (json_array_size(deps) == 0)
		fprintf(f, "%s depends on nothing\n", ind);
	json_array_foreach(deps, i, v) {
		fprintf(f, "%s %s ", ind, i ? "and on    " : "depends on");
		print_dep(f, v);
		fputc('\n', f);
	}
}

/* The compression header, and the inflated image described again. */
static void print_compression(FILE *f, const json_t *c, const char *ind, bool verbose)
{
	if (json_object_get(c, "method"))
		fprintf(f, "%s compressed %s, window 2^%" JSON_INTEGER_FORMAT ", %" JSON_INTEGER_FORMAT
			" -> %" JSON_INTEGER_FORMAT " bytes\n", ind, str(c, "method"),
			num(c, "window_bits"), num(c, "compressed_size"), num(c, "original_size"));
	if (json_object_get(c, "error"))
		fprintf(f, "%s   error: %s\n", ind, str(c, "error"));
	const json_t *inner = json_object_get(c, "inflated");
	if (inner) {
		char sub[64];
		snprintf(sub, sizeof sub, "%s   ", ind);
		fprintf(f, "%s inflated image:\n", ind);
		print_module(f, inner, sub, verbose);
	} else if (json_object_get(c, "inflated_size")) {
		fprintf(f, "%s inflates to %" JSON_INTEGER_FORMAT " bytes as declared\n", ind,
			num(c, "inflated_size"));
	}
}

static void print_module(FILE *f, const json_t *m, const char *ind, bool verbose)
{
	const json_t *err = json_object_get(m, "error");
	if (!json_object_get(m, "platform")) {
		fprintf(f, "%s error: %s\n", ind, json_string_value(err));
		return;
	}
	const json_t *pl = json_object_get(m, "platform");
	const char *pname = json_string_value(json_object_get(pl, "name"));
	fprintf(f, "%s %s %" JSON_INTEGER_FORMAT " version %" JSON_INTEGER_FORMAT,
		ind, function_long(str(m, "function")), num(m, "index"), num(m, "version"));
	if (json_object_get(m, "device_os"))
		fprintf(f, " (Device OS %s)", str(m, "device_os"));
	fprintf(f, " for %s (platform %" JSON_INTEGER_FORMAT ")\n", pname ? pname : "unknown platform",
		num(pl, "id"));
	if (err)
		fprintf(f, "%s error: %s\n", ind, json_string_value(err));
	const json_t *crc = json_object_get(m, "crc");
	if (crc) {
		if (json_is_true(json_object_get(crc, "ok")))
			fprintf(f, "%s CRC-32     ok (%s)\n", ind, str(crc, "stored"));
		else
			fprintf(f, "%s CRC-32     FAILED (stored %s, computed %s)\n", ind,
				str(crc, "stored"), str(crc, "computed"));
	}
	/* Ranges end exclusive (one past the last byte), as hex prints them; the
	 * prefix's own end field (the CRC's address) is "end" in --json. */
	unsigned long long start = strtoull(str(m, "start"), NULL, 16);
	fprintf(f, "%s address    0x%08llx-0x%08llx, %" JSON_INTEGER_FORMAT " bytes, prefix at 0x%llx",
		ind, start, start + (unsigned long long)num(m, "size"), num(m, "size"),
		(unsigned long long)num(m, "prefix_offset"));
	if (num(m, "prefix_size") != 24)
		fprintf(f, " (%" JSON_INTEGER_FORMAT " bytes with extensions)", num(m, "prefix_size"));
	fputc('\n', f);
	size_t i;
	json_t *v;
	fprintf(f, "%s flags      0x%02llx", ind, (unsigned long long)num(m, "flags"));
	json_array_foreach(json_object_get(m, "flag_names"), i, v)
		fprintf(f, "%s%s", i ? ", " : " ", json_string_value(v));
	fputc('\n', f);
	if (num(m, "mcu_target"))
		fprintf(f, "%s MCU target 0x%02llx\n", ind, (unsigned long long)num(m, "mcu_target"));
	const json_t *sha = json_object_get(m, "sha256");
	if (sha) {
		fprintf(f, "%s SHA-256    %s", ind, str(sha, "stored"));
		if (strcmp(str(sha, "kind"), "standard") != 0)
			fprintf(f, " (%s)", strcmp(str(sha, "kind"), "payload") == 0
						    ? "payload only" : "not a digest of this module");
		fputc('\n', f);
	}
	print_product_and_deps(f, m, ind);
	const json_t *pe = json_object_get(m, "prefix_extensions");
	const json_t *se = json_object_get(m, "suffix_extensions");
	if (json_array_size(pe) || json_array_size(se)) {
		fprintf(f, "%s extensions\n", ind);
		print_exts(f, "prefix", pe, ind);
		print_exts(f, "suffix", se, ind);
	}
	const json_t *assets = json_object_get(m, "assets");
	if (json_array_size(assets) && verbose) {
		fprintf(f, "%s assets     %zu\n", ind, json_array_size(assets));
	}
	const json_t *c = json_object_get(m, "compression");
	if (c)
		print_compression(f, c, ind, verbose);
	json_array_foreach(json_object_get(m, "warnings"), i, v)
		fprintf(f, "%s warning: %s\n", ind, json_string_value(v));
}

void inspect_print_text(FILE *f, const json_t *file, bool verbose)
{
	const char *path = str(file, "file");
	bool valid = json_is_true(json_object_get(file, "valid"));
	const json_t *mods = json_object_get(file, "modules");
	const json_t *err = json_object_get(file, "error");

	fprintf(f, "%s: %s", cli_shown(path), valid ? "valid" : "INVALID");
	if (strcmp(str(file, "type"), "bundle") == 0)
		fprintf(f, " Asset OTA bundle, application %s", cli_shown(str(file, "application")));
	else if (json_array_size(mods) > 1)
		fprintf(f, " combined module, %zu parts", json_array_size(mods));
	fputc('\n', f);
	if (err)
		fprintf(f, " error: %s\n", json_string_value(err));
	size_t i;
	json_t *m;
	json_array_foreach(mods, i, m) {
		if (json_array_size(mods) > 1)
			fprintf(f, " part %zu at offset %" JSON_INTEGER_FORMAT ":\n", i + 1, num(m, "offset"));
		print_module(f, m, json_array_size(mods) > 1 ? "  " : "", verbose);
	}
	const json_t *assets = mods ? json_object_get(json_array_get(mods, 0), "assets") : NULL;
	const json_t *bassets = json_object_get(file, "assets");
	if (bassets) {
		if (json_array_size(bassets))
			fprintf(f, " assets:\n");
		json_array_foreach(bassets, i, m) {
			fprintf(f, "   %-24s %-13s", cli_shown(str(m, "name")), str(m, "status"));
			if (json_object_get(m, "size"))
				fprintf(f, " %8" JSON_INTEGER_FORMAT " B", num(m, "size"));
			if (json_object_get(m, "hash"))
				fprintf(f, "  sha256 %s", str(m, "hash"));
			fputc('\n', f);
		}
		json_array_foreach(json_object_get(file, "problems"), i, m)
			fprintf(f, " problem: %s\n", cli_shown(json_string_value(m)));
	} else if (json_array_size(assets)) {
		fprintf(f, " depends on assets:\n");
		json_array_foreach(assets, i, m)
			fprintf(f, "   %-24s sha256 %s\n", cli_shown(str(m, "name")), str(m, "hash"));
	}
}
