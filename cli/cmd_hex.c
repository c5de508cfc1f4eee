/*
 * otakit hex COMMAND: generate, from-bin, to-bin, merge, inspect.
 * Intel HEX handling is in host/src/hex.c, the sparse image and the module
 * scan in host/src/memimage.c; this file holds the restore-image policy
 * (what may be placed where) and the messages.  See docs/hex.md.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/hex.h"
#include "otk/memimage.h"
#include "otk/module.h"
#include "otk/platform.h"

enum { OPT_RECLEN = 0x100, OPT_LF, OPT_USER, OPT_SYSTEM, OPT_BOOTLOADER, OPT_SOFTDEVICE,
       OPT_BASE };

/* Output options shared by the commands that write hex. */
struct hexout {
	struct cli_out o;
	struct otk_hex_write_opts w;
};

/* Handles -o, -f, --record-length, --lf; returns 1 when c was one of them, <0 usage. */
static int hexout_opt(struct hexout *h, int c, const char *cmd)
{
	uint32_t v;
	if (cli_out_option(&h->o, c))
		return 1;
	switch (c) {
	case OPT_RECLEN:
		if (!cli_parse_u32(optarg, &v) || v < 1 || v > 255)
			return -cli_usage_error(cmd, "%s: --record-length takes 1..255", cmd);
		h->w.record_len = v;
		return 1;
	case OPT_LF: h->w.lf = true; return 1;
	default: return 0;
	}
}

#define HEXOUT_LONGOPTS                                                  \
	CLI_OUT_OPTIONS,                                                 \
	{ "record-length", required_argument, NULL, OPT_RECLEN },        \
	{ "lf", no_argument, NULL, OPT_LF }

#define HEXOUT_USAGE                                                                   \
	"  -o, --output OUT       output file (never replaced without --force)\n"       \
	"  -f, --force            replace OUT if it exists\n"                           \
	"  --record-length N      data bytes per record, 1..255 (default 16)\n"         \
	"  --lf                   LF line endings (default CRLF)\n"

/* Streams img to h->o.path (temp file, fsync, link/rename); prints its own errors. */
static bool write_hex(const struct otk_memimage *img, const struct hexout *h)
{
	int rc = otk_hex_write_file(img, &h->w, h->o.path, h->o.force);
	if (rc == OTK_EEXIST) {
		cli_error(h->o.path, "already exists (use --force to replace it)");
		return false;
	}
	if (rc != OTK_OK) {
		cli_error(h->o.path, "cannot write: %s", cli_strerror(rc));
		return false;
	}
	return true;
}

/*
 * Load a hex file into img (equal overlaps allowed), streaming it in 64 KiB
 * reads; prints its own errors.
 */
static bool read_hex_file(const char *path, struct otk_memimage *img, struct otk_hex_info *info)
{
	struct otk_hex_error err;
	bool looks_like;
	int rc = otk_hex_load_file(path, img, info, &err, &looks_like);
	if (rc == OTK_OK && !looks_like) {
		cli_error(path, "not an Intel HEX file (first character is not ':')");
		return false; /* empty or blank */
	}
	if (rc == OTK_OK)
		return true;
	if (rc == OTK_EIO)
		cli_error(path, "cannot read: %s", cli_strerror(rc));
	else if (err.problem == OTK_HEXP_NONE)
		cli_error(path, "cannot read: %s", cli_strerror(rc));
	else if (!looks_like)
		cli_error(path, "not an Intel HEX file (first character is not ':')");
	else {
		char msg[200];
		cli_error(path, "%s", otk_hex_error_text(&err, msg, sizeof msg));
	}
	return false;
}

static const char *platform_name(uint16_t id)
{
	const struct otk_platform *p = otk_platform_by_id(id);
	return p ? p->name : "unknown platform";
}

static void describe(const struct otk_prefix *p, char *buf, size_t size)
{
	snprintf(buf, size, "%s %u version %u for %s (%u)", otk_function_name(p->function),
		 p->index, p->version, platform_name(p->platform), p->platform);
}

/* ---- from-bin ------------------------------------------------------------ */

/*
 * FILE or FILE@ADDR.  Particle file names contain '@' (tinker@5.3.1.bin), so
 * the suffix counts as an address only when it parses as a number and the
 * whole argument is not itself an existing file.
 */
static void split_at(char *arg, const char **path, bool *has_addr, uint32_t *addr)
{
	*path = arg;
	*has_addr = false;
	char *at = strrchr(arg, '@');
	if (!at || otk_file_exists(arg))
		return;
	uint32_t v;
	if (cli_parse_u32(at + 1, &v)) {
		*at = 0;
		*has_addr = true;
		*addr = v;
	}
}

static int cmd_from_bin(int argc, char **argv)
{
	static const struct option opts[] = { HEXOUT_LONGOPTS, { NULL, 0, NULL, 0 } };
	const char *cmd = "hex from-bin";
	struct hexout h = { 0 };
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if ((r = hexout_opt(&h, c, cmd)) < 0)
			return -r;
		if (r == 0)
			return cli_bad_usage(cmd, argv);
	}
	if (optind >= argc || !h.o.path)
		return cli_usage_error(cmd, "%s: need one or more FILE[@ADDR] and -o OUT", cmd);

	struct otk_memimage img;
	otk_memimage_init(&img);
	int status = 1;
	for (int i = optind; i < argc; i++) {
		const char *path;
		bool has_addr;
		uint32_t addr = 0, conflict = 0;
		split_at(argv[i], &path, &has_addr, &addr);
		size_t len;
		uint8_t *buf = cli_read_file(path, &len);
		if (!buf)
			goto out;
		if (!has_addr) {
			struct otk_module m;
			if (otk_module_parse(buf, len, &m) != OTK_OK) {
				cli_error(path, "no module prefix to take the address from; "
					  "give it as %s@ADDR", path);
				free(buf);
				goto out;
			}
			addr = m.prefix.start;
		}
		/* The file's buffer becomes the region: no second copy of the data. */
		int rc = otk_memimage_write_owned(&img, addr, buf, len, OTK_MEM_CHECK, &conflict);
		if (rc == OTK_EEXIST) {
			cli_error(path, "overlaps an earlier file with different bytes at 0x%08x", conflict);
			goto out;
		}
		if (rc != OTK_OK) {
			cli_error(path, "cannot place at 0x%08x: %s", addr,
				  rc == OTK_ERANGE ? "runs past 0xffffffff" : otk_strerror(rc));
			goto out;
		}
	}
	if (write_hex(&img, &h)) {
		printf("%s: %zu regions, %llu bytes\n", h.o.path, otk_memimage_count(&img),
		       (unsigned long long)img.total);
		status = 0;
	}
out:
	otk_memimage_deinit(&img);
	return status;
}

/* ---- to-bin -------------------------------------------------------------- */

static int cmd_to_bin(int argc, char **argv)
{
	static const struct option opts[] = { CLI_OUT_OPTIONS, { NULL, 0, NULL, 0 } };
	const char *cmd = "hex to-bin";
	struct cli_out o = { 0 };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1)
		if (!cli_out_option(&o, c))
			return cli_bad_usage(cmd, argv);
	const char *dir = o.path;
	bool force = o.force;
	if (optind + 1 != argc || !dir)
		return cli_usage_error(cmd, "%s: need one IN.hex and -o DIR", cmd);
	const char *in = argv[optind];
	struct otk_memimage img;
	otk_memimage_init(&img);
	int status = 1;
	char **names = NULL;
	size_t n = 0;
	if (!read_hex_file(in, &img, NULL))
		goto out;
	if (mkdir(dir, 0777) != 0 && errno != EEXIST) {
		cli_error(dir, "cannot create directory: %s", strerror(errno));
		goto out;
	}
	n = otk_memimage_count(&img);
	names = calloc(n ? n : 1, sizeof *names);
	if (!names)
		goto out;
	/* Check every name before writing any. */
	for (size_t i = 0; i < n; i++) {
		size_t l = strlen(dir) + 20;
		names[i] = malloc(l);
		if (!names[i])
			goto out;
		snprintf(names[i], l, "%s/0x%08x.bin", dir, otk_memimage_region(&img, i)->addr);
		if (!force && otk_file_exists(names[i])) {
			cli_error(names[i], "already exists (use --force to replace it)");
			goto out;
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct otk_memregion *r = otk_memimage_region(&img, i);
		if (!cli_write_file(names[i], r->data, r->len, force))
			goto out;
		printf("%s: 0x%08x-0x%08llx, %u bytes\n", names[i], r->addr,
		       (unsigned long long)r->addr + r->len - 1, r->len);
	}
	status = 0;
out:
	for (size_t i = 0; names && i < n; i++)
		free(names[i]);
	free(names);
	otk_memimage_deinit(&img);
	return status;
}

/* ---- merge --------------------------------------------------------------- */

static int cmd_merge(int argc, char **argv)
{
	static const struct option opts[] = { HEXOUT_LONGOPTS, { NULL, 0, NULL, 0 } };
	const char *cmd = "hex merge";
	struct hexout h = { 0 };
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if ((r = hexout_opt(&h, c, cmd)) < 0)
			return -r;
		if (r == 0)
			return cli_bad_usage(cmd, argv);
	}
	if (optind >= argc || !h.o.path)
		return cli_usage_error(cmd, "%s: need one or more IN.hex and -o OUT", cmd);
	struct otk_memimage all;
	otk_memimage_init(&all);
	int status = 1;
	/* Straight into one image: a conflict is reported with its line. */
	for (int i = optind; i < argc; i++)
		if (!read_hex_file(argv[i], &all, NULL))
			goto out;
	if (write_hex(&all, &h)) {
		printf("%s: %d files, %zu regions, %llu bytes\n", h.o.path, argc - optind,
		       otk_memimage_count(&all), (unsigned long long)all.total);
		status = 0;
	}
out:
	otk_memimage_deinit(&all);
	return status;
}

/* ---- dependencies within an image ---------------------------------------- */

enum dep_state { DEP_OK, DEP_OLDER, DEP_ABSENT };

static enum dep_state dep_check(const struct otk_dependency *d, const struct otk_image_module *mods,
				size_t n, const struct otk_image_module **found)
{
	*found = NULL;
	for (size_t i = 0; i < n; i++) {
		const struct otk_prefix *p = &mods[i].prefix;
		if (p->function == d->function && p->index == d->index) {
			*found = &mods[i];
			return otk_dependency_satisfied_by(d, p) ? DEP_OK : DEP_OLDER;
		}
	}
	return DEP_ABSENT;
}

/* Number of dependencies Device OS looks at (dep 2 only when dep 1 is set). */
static int dep_count(const struct otk_prefix *p)
{
	if (otk_dependency_is_none(&p->dep[0]))
		return 0;
	return otk_dependency_is_none(&p->dep[1]) ? 1 : 2;
}

/* ---- inspect ------------------------------------------------------------- */

static int cmd_inspect(int argc, char **argv)
{
	const char *cmd = "hex inspect";
	static const struct option opts[] = { { NULL, 0, NULL, 0 } };
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1)
		return cli_bad_usage(cmd, argv);
	if (optind >= argc)
		return cli_usage_error(cmd, "%s: no IN.hex given", cmd);
	int status = 0;
	for (int f = optind; f < argc; f++) {
		const char *in = argv[f];
		struct otk_memimage img;
		struct otk_hex_info info;
		otk_memimage_init(&img);
		if (f > optind)
			fputc('\n', stdout);
		if (!read_hex_file(in, &img, &info)) {
			otk_memimage_deinit(&img);
			status = 1;
			continue;
		}
		size_t n = otk_memimage_count(&img);
		printf("%s: %zu regions, %llu bytes, %lu records%s%s\n", in, n,
		       (unsigned long long)img.total, info.records,
		       info.used_segment ? ", 02 segment records" : "",
		       info.eof ? "" : ", no end-of-file record");
		if (info.has_start_linear)
			printf(" start address 0x%08x\n", info.start_linear);
		for (size_t i = 0; i < n; i++) {
			const struct otk_memregion *r = otk_memimage_region(&img, i);
			printf(" region 0x%08x-0x%08llx %10u bytes\n", r->addr,
			       (unsigned long long)r->addr + r->len - 1, r->len);
		}
		struct otk_image_module *mods;
		size_t nm;
		if (otk_memimage_find_modules(&img, &mods, &nm) != OTK_OK) {
			cli_error(in, "out of memory");
			otk_memimage_deinit(&img);
			return 1;
		}
		if (nm == 0)
			printf(" no modules found\n");
		for (size_t i = 0; i < nm; i++) {
			const struct otk_image_module *m = &mods[i];
			char d[160];
			describe(&m->prefix, d, sizeof d);
			printf(" module 0x%08x-0x%08x %s\n", m->addr, m->addr + m->size - 1, d);
			if (m->crc_ok) {
				printf("  CRC-32 ok (%08x)\n", m->crc_stored);
			} else {
				printf("  CRC-32 FAILED (stored %08x, computed %08x)\n", m->crc_stored,
				       m->crc_computed);
				status = 1;
			}
			for (int k = 0; k < dep_count(&m->prefix); k++) {
				const struct otk_dependency *dp = &m->prefix.dep[k];
				const struct otk_image_module *by;
				enum dep_state st = dep_check(dp, mods, nm, &by);
				printf("  needs %s %u version >= %u: ", otk_function_name(dp->function),
				       dp->index, dp->version);
				if (st == DEP_OK)
					printf("ok (version %u at 0x%08x)\n", by->prefix.version, by->addr);
				else if (st == DEP_OLDER) {
					printf("NOT satisfied (version %u at 0x%08x)\n", by->prefix.version,
					       by->addr);
					status = 1;
				} else
					printf("not in the image\n");
			}
		}
		free(mods);
		otk_memimage_deinit(&img);
	}
	return status;
}

/* ---- generate ------------------------------------------------------------ */

/*
 * The address range a user part may occupy: Gen3 index 1 is the legacy
 * 128 KB part at 0xD4000, index 2 the 256 KB part at 0xB4000; RTL872x parts
 * grow left from 0x08600000; Gen2 parts start at 0x080A0000 (0x08080000 on
 * the Electron).  False when the platform's layout is not known.
 */
static bool user_slot(const struct otk_platform *p, uint8_t index, uint32_t *lo, uint32_t *hi)
{
	uint32_t max = otk_platform_user_max_size(p);
	switch (p->mcu) {
	case OTK_MCU_NRF52840:
		if (index == 1) {
			*lo = 0xD4000u;
			*hi = 0xF4000u;
		} else {
			*lo = 0xB4000u;
			*hi = 0xB4000u + (max ? max : 0x40000u);
		}
		return true;
	case OTK_MCU_RTL872X:
		*hi = 0x08600000u;
		*lo = *hi - (max ? max : 0x180000u);
		return true;
	case OTK_MCU_STM32F2:
		*lo = p->id == 10 ? 0x08080000u : 0x080A0000u;
		*hi = *lo + (max ? max : 0x20000u);
		return true;
	default:
		return false;
	}
}

struct part {
	const char *path;
	int want;              /* expected function, or -1 for any */
	const char *what;      /* "user part" ... for messages */
};

struct gen {
	struct otk_memimage img;
	struct otk_image_module *mods;
	size_t nmods, capmods;
	uint16_t platform;
	bool have_platform;
};

static bool add_mod(struct gen *g, const struct otk_image_module *m)
{
	if (g->nmods == g->capmods) {
		size_t cap = g->capmods ? g->capmods * 2 : 8;
		struct otk_image_module *v = realloc(g->mods, cap * sizeof *v);
		if (!v)
			return false;
		g->mods = v;
		g->capmods = cap;
	}
	g->mods[g->nmods++] = *m;
	return true;
}

static bool ranges_overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 < b1 && b0 < a1;
}

/*
 * Place one .bin part: check it, remove the module it replaces (same
 * function and index), refuse overlaps with other modules or with data that
 * is not erased flash (0xFF), then write it.
 */
static bool place_part(struct gen *g, const struct part *pt)
{
	size_t len;
	bool ok = false;
	uint8_t *buf = cli_read_file(pt->path, &len);
	if (!buf)
		return false;
	struct otk_module m;
	int rc = otk_module_parse(buf, len, &m);
	char d[160];
	if (rc != OTK_OK) {
		cli_error(pt->path, "not a valid module: %s", otk_strerror(rc));
		goto out;
	}
	describe(&m.prefix, d, sizeof d);
	if (m.size != len) {
		cli_error(pt->path, "file is %zu bytes but its prefix says %u", len, m.size);
		goto out;
	}
	uint32_t crc = otk_module_crc_compute(&m);
	if (crc != m.crc_stored) {
		cli_error(pt->path, "CRC-32 FAILED (stored %08x, computed %08x)", m.crc_stored, crc);
		goto out;
	}
	if (m.prefix.flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_COMBINED | OTK_FLAG_ENCRYPTED)) {
		cli_error(pt->path, "compressed, combined or encrypted modules cannot be programmed "
			  "directly; decompress or split it first");
		goto out;
	}
	if (pt->want >= 0 && m.prefix.function != pt->want) {
		cli_error(pt->path, "is a %s, not a %s", d, pt->what);
		goto out;
	}
	const struct otk_platform *plat = otk_platform_by_id(m.prefix.platform);
	if (g->have_platform && m.prefix.platform != g->platform) {
		cli_error(pt->path, "built for %s (%u) but the image is for %s (%u)",
			  platform_name(m.prefix.platform), m.prefix.platform,
			  platform_name(g->platform), g->platform);
		goto out;
	}
	if (!g->have_platform) {
		g->platform = m.prefix.platform;
		g->have_platform = true;
	}

	/* What goes to flash: the whole file, or the body without module info. */
	const uint8_t *data = buf;
	size_t dlen = len;
	uint32_t at = m.prefix.start;
	if (m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO) {
		data = buf + m.prefix_offset + m.prefix_size;
		size_t tail = (size_t)m.suffix_size + OTK_CRC_SIZE;
		if (m.prefix_offset != 0 || m.prefix_size + tail > len) {
			cli_error(pt->path, "DROP_MODULE_INFO module with an unexpected layout");
			goto out;
		}
		dlen = len - m.prefix_size - tail;
	}
	uint64_t end = (uint64_t)at + dlen;

	if (m.prefix.function == OTK_FUNC_USER && plat) {
		uint32_t lo, hi;
		uint32_t max = otk_platform_user_max_size(plat);
		if (max && len > max) {
			cli_error(pt->path, "%s is %zu bytes, more than the %u bytes of its slot", d,
				  len, max);
			goto out;
		}
		if (user_slot(plat, m.prefix.index, &lo, &hi) && (at < lo || end > hi)) {
			cli_error(pt->path, "%s at 0x%08x-0x%08llx does not fit its slot "
				  "0x%08x-0x%08x (too big or built for another slot)", d, at,
				  (unsigned long long)end - 1, lo, hi - 1);
			goto out;
		}
	}

	/* Remove the module this part replaces. */
	for (size_t i = 0; i < g->nmods; i++) {
		struct otk_image_module *o = &g->mods[i];
		if (o->prefix.function == m.prefix.function && o->prefix.index == m.prefix.index &&
		    o->prefix.reserved == m.prefix.reserved) {
			if (otk_memimage_erase(&g->img, o->addr, o->size) != OTK_OK)
				goto nomem;
			g->mods[i] = g->mods[--g->nmods];
			i--;
		}
	}
	/*
	 * Radio stacks are stored stripped of their module info, so the old one
	 * is not found as a module: drop the data from its start to the end of
	 * its region (or the next module).
	 */
	if (m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO) {
		uint32_t avail;
		if (otk_memimage_find(&g->img, at, &avail) >= 0) {
			uint64_t stop = (uint64_t)at + avail;
			for (size_t i = 0; i < g->nmods; i++)
				if (g->mods[i].addr >= at && g->mods[i].addr < stop)
					stop = g->mods[i].addr;
			if (otk_memimage_erase(&g->img, at, stop - at) != OTK_OK)
				goto nomem;
		}
	}
	for (size_t i = 0; i < g->nmods; i++) {
		const struct otk_image_module *o = &g->mods[i];
		if (ranges_overlap(at, end, o->addr, (uint64_t)o->addr + o->size)) {
			char od[160];
			describe(&o->prefix, od, sizeof od);
			cli_error(pt->path, "%s at 0x%08x-0x%08llx overlaps the %s at 0x%08x-0x%08x",
				  d, at, (unsigned long long)end - 1, od, o->addr, o->addr + o->size - 1);
			goto out;
		}
	}
	/* Other data in the way must be erased flash (like the 0xD4000 wipe block). */
	for (size_t i = 0; i < otk_memimage_count(&g->img); i++) {
		const struct otk_memregion *r = otk_memimage_region(&g->img, i);
		uint64_t lo = r->addr > at ? r->addr : at;
		uint64_t re = (uint64_t)r->addr + r->len, hi = re < end ? re : end;
		for (uint64_t a = lo; a < hi; a++)
			if (r->data[a - r->addr] != 0xFF) {
				cli_error(pt->path, "%s at 0x%08x-0x%08llx overlaps other data in the "
					  "image at 0x%08llx", d, at, (unsigned long long)end - 1,
					  (unsigned long long)a);
				goto out;
			}
	}
	if (otk_memimage_write(&g->img, at, data, dlen, OTK_MEM_REPLACE, NULL) != OTK_OK)
		goto nomem;
	if (!(m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO)) {
		struct otk_image_module im = { at, m.size, m.prefix_offset, m.prefix, true,
					       m.crc_stored, crc };
		if (!add_mod(g, &im))
			goto nomem;
	}
	printf("%s: %s at 0x%08x-0x%08llx\n", pt->path, d, at, (unsigned long long)end - 1);
	ok = true;
	goto out;
nomem:
	cli_error(pt->path, "out of memory");
out:
	free(buf);
	return ok;
}

/* Every dependency of a placed part must be met by a module in the image. */
static bool check_deps(const struct gen *g, const char *path)
{
	size_t len;
	uint8_t *buf = cli_read_file(path, &len);
	struct otk_module m;
	if (!buf)
		return false;
	bool ok = otk_module_parse(buf, len, &m) == OTK_OK;
	free(buf);
	if (!ok)
		return false;
	for (int k = 0; k < dep_count(&m.prefix); k++) {
		const struct otk_dependency *dp = &m.prefix.dep[k];
		const struct otk_image_module *by;
		enum dep_state st = dep_check(dp, g->mods, g->nmods, &by);
		if (st == DEP_OLDER) {
			cli_error(path, "needs %s %u version >= %u but the image has version %u",
				  otk_function_name(dp->function), dp->index, dp->version,
				  by->prefix.version);
			return false;
		}
		/* NCP firmware and radio stacks are not found as modules in images. */
		if (st == DEP_ABSENT &&
		    (dp->function == OTK_FUNC_SYSTEM || dp->function == OTK_FUNC_BOOTLOADER)) {
			cli_error(path, "needs %s %u version >= %u but the image has none",
				  otk_function_name(dp->function), dp->index, dp->version);
			return false;
		}
	}
	return true;
}

#define MAX_PARTS 32

/* Base images are told from .bin parts by name: .hex, .ihex (any case). */
static bool is_hex_name(const char *path)
{
	const char *dot = strrchr(path, '.');
	return dot && (strcasecmp(dot, ".hex") == 0 || strcasecmp(dot, ".ihex") == 0);
}

static int cmd_generate(int argc, char **argv)
{
	static const struct option opts[] = {
		HEXOUT_LONGOPTS,
		{ "base", required_argument, NULL, OPT_BASE },
		{ "user", required_argument, NULL, OPT_USER },
		{ "system", required_argument, NULL, OPT_SYSTEM },
		{ "bootloader", required_argument, NULL, OPT_BOOTLOADER },
		{ "softdevice", required_argument, NULL, OPT_SOFTDEVICE },
		{ NULL, 0, NULL, 0 },
	};
	const char *cmd = "hex generate";
	struct hexout h = { 0 };
	const char *bases[MAX_PARTS];
	struct part parts[MAX_PARTS];
	size_t nbases = 0, nparts = 0;
	const char *user = NULL;
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if ((r = hexout_opt(&h, c, cmd)) < 0)
			return -r;
		if (r == 1)
			continue;
		if (nparts >= MAX_PARTS - 1 || nbases >= MAX_PARTS)
			return cli_usage_error(cmd, "%s: too many inputs", cmd);
		switch (c) {
		case OPT_BASE:
			if (is_hex_name(optarg))
				bases[nbases++] = optarg;
			else
				parts[nparts++] = (struct part){ optarg, -1, "module" };
			break;
		case OPT_USER: user = optarg; break;
		case OPT_SYSTEM: parts[nparts++] = (struct part){ optarg, OTK_FUNC_SYSTEM, "system part" }; break;
		case OPT_BOOTLOADER: parts[nparts++] = (struct part){ optarg, OTK_FUNC_BOOTLOADER, "bootloader" }; break;
		case OPT_SOFTDEVICE: parts[nparts++] = (struct part){ optarg, OTK_FUNC_RADIO_STACK, "radio stack (SoftDevice)" }; break;
		default: return cli_bad_usage(cmd, argv);
		}
	}
	/* Positional inputs: .hex files are base images, anything else a part. */
	for (int i = optind; i < argc; i++) {
		if (is_hex_name(argv[i])) {
			if (nbases >= MAX_PARTS)
				return cli_usage_error(cmd, "%s: too many inputs", cmd);
			bases[nbases++] = argv[i];
		} else {
			if (nparts >= MAX_PARTS - 1)
				return cli_usage_error(cmd, "%s: too many inputs", cmd);
			parts[nparts++] = (struct part){ argv[i], -1, "module" };
		}
	}
	if (user)
		parts[nparts++] = (struct part){ user, OTK_FUNC_USER, "user part" };
	if (!h.o.path)
		return cli_usage_error(cmd, "%s: no -o OUT.hex given", cmd);
	if (nbases == 0 && nparts == 0)
		return cli_usage_error(cmd, "%s: need a base image (--base BASE.hex) or .bin parts", cmd);

	struct gen g;
	memset(&g, 0, sizeof g);
	otk_memimage_init(&g.img);
	int status = 1;
	for (size_t i = 0; i < nbases; i++)
		if (!read_hex_file(bases[i], &g.img, NULL))
			goto out;
	if (otk_memimage_find_modules(&g.img, &g.mods, &g.nmods) != OTK_OK) {
		cli_error(NULL, "out of memory");
		goto out;
	}
	g.capmods = g.nmods;
	/* The image's platform: its system part's, else its first module's. */
	for (size_t i = 0; i < g.nmods; i++) {
		if (!g.have_platform || g.mods[i].prefix.function == OTK_FUNC_SYSTEM) {
			g.platform = g.mods[i].prefix.platform;
			g.have_platform = true;
		}
	}
	if (nbases && g.nmods == 0) {
		cli_error(bases[0], "no Particle modules found in the base image");
		goto out;
	}
	for (size_t i = 0; i < nparts; i++)
		if (!place_part(&g, &parts[i]))
			goto out;
	for (size_t i = 0; i < nparts; i++)
		if (!check_deps(&g, parts[i].path))
			goto out;
	if (write_hex(&g.img, &h)) {
		printf("%s: %zu regions, %llu bytes, %zu modules\n", h.o.path,
		       otk_memimage_count(&g.img), (unsigned long long)g.img.total, g.nmods);
		status = 0;
	}
out:
	free(g.mods);
	otk_memimage_deinit(&g.img);
	return status;
}

const struct cli_command cli_hex_commands[] = {
	{ "hex generate", "build a restore .hex with your own user part (and parts)",
	  "Usage: otakit hex generate [--base BASE.hex]... [PART.bin...] [--user APP.bin]\n"
	  "                           [--system SYS.bin]... [--bootloader BL.bin]\n"
	  "                           [--softdevice SD.bin] -o OUT.hex [options]\n"
	  "\n"
	  "Finds every module in the base image by its module prefix (all platforms,\n"
	  "including grows-left user parts on p2, trackerm and msom) and replaces or adds\n"
	  "parts. Each part goes to the address in its own prefix, replacing the module\n"
	  "of the same function and index. Positional .hex files are base images, other\n"
	  "files are parts, so a full image can be built from .bin parts alone. Every\n"
	  "other byte of the base image is kept as it was.\n"
	  "\n"
	  "Refused: a part for another platform, a part of the wrong function for its\n"
	  "option (e.g. a system part given as --user), a user part too big for its slot\n"
	  "or outside it, a part overlapping another module or non-erased data, and a\n"
	  "part whose dependencies the system parts and bootloader in the image do not\n"
	  "satisfy. SoftDevices (DROP_MODULE_INFO) are written without their module info.\n"
	  "\n"
	  "Options:\n"
	  "  --base BASE.hex|PART   base restore image (repeatable; merged), or a .bin part\n"
	  "  --user APP.bin         user part to place (replaces Tinker)\n"
	  "  --system SYS.bin       system part to add or replace (repeatable)\n"
	  "  --bootloader BL.bin    bootloader to add or replace\n"
	  "  --softdevice SD.bin    radio stack to add or replace (Gen3)\n"
	  HEXOUT_USAGE,
	  cmd_generate },
	{ "hex from-bin", "convert binaries to one .hex",
	  "Usage: otakit hex from-bin FILE[@ADDR]... -o OUT.hex [options]\n"
	  "\n"
	  "Writes each FILE at ADDR, or at the start address in its module prefix when\n"
	  "no address is given. Files that overlap with different bytes are refused.\n"
	  "\n"
	  "Options:\n"
	  HEXOUT_USAGE,
	  cmd_from_bin },
	{ "hex to-bin", "split a .hex into one binary per region",
	  "Usage: otakit hex to-bin IN.hex -o DIR [--force]\n"
	  "\n"
	  "Writes one file per contiguous region of IN.hex into DIR (created if\n"
	  "missing), named by its start address: DIR/0x00030000.bin. No file is\n"
	  "written when any of them exists, unless --force.\n",
	  cmd_to_bin },
	{ "hex merge", "merge .hex files, refusing conflicting overlaps",
	  "Usage: otakit hex merge A.hex B.hex... -o OUT.hex [options]\n"
	  "\n"
	  "Combines the data of every input. Overlapping data must be identical;\n"
	  "otherwise the file, line and first differing address are reported and\n"
	  "nothing is written.\n"
	  "\n"
	  "Options:\n"
	  HEXOUT_USAGE,
	  cmd_merge },
	{ "hex inspect", "show regions and modules of a .hex",
	  "Usage: otakit hex inspect IN.hex...\n"
	  "\n"
	  "Lists the contiguous regions and every module found by its prefix: function,\n"
	  "index, version, platform, address range, CRC-32, and whether each dependency\n"
	  "is satisfied by a module in the same image.\n"
	  "Exit status 1 when a module's CRC fails or a dependency in the image is older\n"
	  "than required.\n",
	  cmd_inspect },
};

const size_t cli_hex_command_count = sizeof cli_hex_commands / sizeof cli_hex_commands[0];
