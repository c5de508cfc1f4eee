/*
 * otakit hex COMMAND: generate, from-bin, to-bin, merge, inspect.
 * Intel HEX handling is in host/src/hex.c, the sparse image and the module
 * scan in host/src/memimage.c; this file holds the restore-image policy
 * (what may be placed where) and the messages.  See docs/hex.md.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "cli.h"
#include "otk/dos_version.h"
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

/* The options of a command that takes only -o/-f and the HEX output options: 0 or an exit status. */
static int hexout_args(int argc, char **argv, const char *cmd, struct hexout *h)
{
	static const struct option opts[] = { HEXOUT_LONGOPTS, { NULL, 0, NULL, 0 } };
	int c, r;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if ((r = hexout_opt(h, c, cmd)) < 0)
			return -r;
		if (r == 0)
			return cli_bad_usage(cmd, argv);
	}
	return 0;
}

static int cmd_from_bin(int argc, char **argv)
{
	const char *cmd = "hex from-bin";
	struct hexout h = { 0 };
	int r = hexout_args(argc, argv, cmd, &h);
	if (r)
		return r;
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
		size_t nr = otk_memimage_count(&img);
		fprintf(cli_report(h.o.path), "%s: %zu region%s, %llu bytes\n", cli_shown(h.o.path), nr, nr == 1 ? "" : "s",
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
	optind = 1;
	if (cli_getopt_out(argc, argv, opts, &o) != -1)
		return cli_bad_usage(cmd, argv);
	const char *dir = o.path;
	bool force = o.force;
	if (optind + 1 != argc || !dir)
		return cli_usage_error(cmd, "%s: need one IN.hex and -o DIR", cmd);
	const char *in = argv[optind];
	struct otk_memimage img;
	struct cli_stage st;
	otk_memimage_init(&img);
	int status = 1;
	if (!read_hex_file(in, &img, NULL))
		goto out;
	size_t n = otk_memimage_count(&img);
	/* Check every name before writing any. */
	char name[32], *path = NULL;
	for (size_t i = 0; i < n && !force; i++) {
		snprintf(name, sizeof name, "0x%08x.bin", otk_memimage_region(&img, i)->addr);
		if (asprintf(&path, "%s/%s", dir, name) < 0)
			goto out;
		bool clash = otk_file_exists(path);
		if (clash)
			cli_error(path, "already exists (use --force to replace it)");
		free(path);
		if (clash)
			goto out;
	}
	/* All files appear at once (staged, then moved) or none. */
	if (!cli_stage_open(&st, dir))
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct otk_memregion *r = otk_memimage_region(&img, i);
		snprintf(name, sizeof name, "0x%08x.bin", r->addr);
		if (!cli_stage_write(&st, name, r->data, r->len)) {
			cli_stage_abort(&st);
			goto out;
		}
	}
	if (!cli_stage_commit(&st))
		goto out;
	size_t dl = strlen(dir);
	while (dl > 1 && dir[dl - 1] == '/')
		dl--; /* "parts/" is the folder parts */
	char *folder = strndup(dir, dl);
	for (size_t i = 0; folder && i < n; i++) {
		const struct otk_memregion *r = otk_memimage_region(&img, i);
		printf("%s/0x%08x.bin: 0x%08x-0x%08llx, %u bytes\n", cli_shown(folder), r->addr,
		       r->addr, (unsigned long long)r->addr + r->len, r->len);
	}
	free(folder);
	status = 0;
out:
	otk_memimage_deinit(&img);
	return status;
}

/* ---- merge --------------------------------------------------------------- */

static int cmd_merge(int argc, char **argv)
{
	const char *cmd = "hex merge";
	struct hexout h = { 0 };
	int r = hexout_args(argc, argv, cmd, &h);
	if (r)
		return r;
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
		size_t nr = otk_memimage_count(&all);
		fprintf(cli_report(h.o.path), "%s: %d file%s, %zu region%s, %llu bytes\n", cli_shown(h.o.path), argc - optind,
		       argc - optind == 1 ? "" : "s", nr, nr == 1 ? "" : "s",
		       (unsigned long long)all.total);
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

/*
 * " (Device OS 5.5.0)" after a system part version the table knows (inside
 * parentheses already: ", Device OS 5.5.0,"), else "".
 */
static const char *dos_words(uint8_t function, uint16_t version, bool inner, char *buf, size_t n)
{
	const struct otk_dos_release *r = function == OTK_FUNC_SYSTEM
						  ? otk_dos_release_by_system_version(version) : NULL;
	if (r)
		snprintf(buf, n, inner ? ", Device OS %s," : " (Device OS %s)", r->version);
	else
		buf[0] = 0;
	return buf;
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
		printf("%s: %zu region%s, %llu bytes, %lu record%s%s%s\n", cli_shown(in), n,
		       n == 1 ? "" : "s", (unsigned long long)img.total, info.records,
		       info.records == 1 ? "" : "s",
		       info.used_segment ? ", 02 segment records" : "",
		       info.eof ? "" : ", no end-of-file record");
		if (info.has_start_linear)
			printf(" start address 0x%08x\n", info.start_linear);
		for (size_t i = 0; i < n; i++) {
			const struct otk_memregion *r = otk_memimage_region(&img, i);
			printf(" region 0x%08x-0x%08llx %10u bytes\n", r->addr,
			       (unsigned long long)r->addr + r->len, r->len);
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
			printf(" module 0x%08x-0x%08llx %s\n", m->addr,
			       (unsigned long long)m->addr + m->size, d);
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
				char w1[48], w2[48];
				printf("  needs %s %u version >= %u%s: ", otk_function_name(dp->function),
				       dp->index, dp->version,
				       dos_words(dp->function, dp->version, false, w1, sizeof w1));
				if (st == DEP_OK)
					printf("ok (version %u%s at 0x%08x)\n", by->prefix.version,
					       dos_words(dp->function, by->prefix.version, true, w2, sizeof w2),
					       by->addr);
				else if (st == DEP_OLDER) {
					printf("NOT satisfied (version %u%s at 0x%08x)\n", by->prefix.version,
					       dos_words(dp->function, by->prefix.version, true, w2, sizeof w2),
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

/* Where a part went, for the report once the image is written. */
struct placed {
	char desc[160];
	uint32_t at;
	uint64_t end;          /* exclusive */
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

/* A part read and checked, ready to place. */
struct placing {
	uint8_t *buf;
	size_t len;
	struct otk_module m;
	uint32_t crc;
	const uint8_t *data;   /* what goes to flash */
	size_t dlen;
	uint32_t at;
	uint64_t end;          /* exclusive */
	char desc[160];
};

/* Reads the part and checks it as a module that can be programmed as is. */
static bool load_part(const struct gen *g, const struct part *pt, struct placing *pl)
{
	struct otk_module *m = &pl->m;
	if (!(pl->buf = cli_read_file(pt->path, &pl->len)))
		return false;
	int rc = otk_module_parse(pl->buf, pl->len, m);
	if (rc != OTK_OK) {
		cli_error(pt->path, "not a valid module: %s", otk_strerror(rc));
		return false;
	}
	describe(&m->prefix, pl->desc, sizeof pl->desc);
	if (m->size != pl->len) {
		cli_error(pt->path, "file is %zu bytes but its prefix says %u", pl->len, m->size);
		return false;
	}
	pl->crc = otk_module_crc_compute(m);
	if (pl->crc != m->crc_stored) {
		cli_error(pt->path, "CRC-32 FAILED (stored %08x, computed %08x)", m->crc_stored,
			  pl->crc);
		return false;
	}
	if (m->prefix.flags & (OTK_FLAG_COMPRESSED | OTK_FLAG_COMBINED | OTK_FLAG_ENCRYPTED)) {
		cli_error(pt->path, "compressed, combined or encrypted modules cannot be programmed "
			  "directly; decompress or split it first");
		return false;
	}
	if (pt->want >= 0 && m->prefix.function != pt->want) {
		cli_error(pt->path, "is a %s, not a %s", pl->desc, pt->what);
		return false;
	}
	if (g->have_platform && m->prefix.platform != g->platform) {
		cli_error(pt->path, "built for %s (%u) but the image is for %s (%u)",
			  platform_name(m->prefix.platform), m->prefix.platform,
			  platform_name(g->platform), g->platform);
		return false;
	}
	/* What goes to flash: the whole file, or the body without module info. */
	pl->data = pl->buf;
	pl->dlen = pl->len;
	pl->at = m->prefix.start;
	if (m->prefix.flags & OTK_FLAG_DROP_MODULE_INFO) {
		size_t tail = (size_t)m->suffix_size + OTK_CRC_SIZE;
		if (m->prefix_offset != 0 || m->prefix_size + tail > pl->len) {
			cli_error(pt->path, "DROP_MODULE_INFO module with an unexpected layout");
			return false;
		}
		pl->data = pl->buf + m->prefix_size;
		pl->dlen = pl->len - m->prefix_size - tail;
	}
	pl->end = (uint64_t)pl->at + pl->dlen;
	return true;
}

/* A user part must fit the slot of its index on its platform. */
static bool fits_slot(const struct part *pt, const struct placing *pl)
{
	const struct otk_platform *plat = otk_platform_by_id(pl->m.prefix.platform);
	if (pl->m.prefix.function != OTK_FUNC_USER || !plat)
		return true;
	uint32_t lo, hi;
	uint32_t max = otk_platform_user_max_size(plat);
	if (max && pl->len > max) {
		cli_error(pt->path, "%s is %zu bytes, more than the %u bytes of its slot", pl->desc,
			  pl->len, max);
		return false;
	}
	if (user_slot(plat, pl->m.prefix.index, &lo, &hi) && (pl->at < lo || pl->end > hi)) {
		cli_error(pt->path, "%s at 0x%08x-0x%08llx does not fit its slot 0x%08x-0x%08x "
			  "(too big or built for another slot)", pl->desc, pl->at,
			  (unsigned long long)pl->end, lo, hi);
		return false;
	}
	return true;
}

/*
 * Removes the module the part replaces (same function, index and MCU).
 * Radio stacks are stored stripped of their module info, so the old one is
 * not found as a module: the data from its start to the end of its region
 * (or the next module) goes.
 */
static int remove_replaced(struct gen *g, const struct placing *pl)
{
	const struct otk_prefix *p = &pl->m.prefix;
	for (size_t i = 0; i < g->nmods; i++) {
		struct otk_image_module *o = &g->mods[i];
		if (o->prefix.function == p->function && o->prefix.index == p->index &&
		    o->prefix.reserved == p->reserved) {
			int rc = otk_memimage_erase(&g->img, o->addr, o->size);
			if (rc != OTK_OK)
				return rc;
			g->mods[i--] = g->mods[--g->nmods];
		}
	}
	uint32_t avail;
	if (!(p->flags & OTK_FLAG_DROP_MODULE_INFO) || otk_memimage_find(&g->img, pl->at, &avail) < 0)
		return OTK_OK;
	uint64_t stop = (uint64_t)pl->at + avail;
	for (size_t i = 0; i < g->nmods; i++)
		if (g->mods[i].addr >= pl->at && g->mods[i].addr < stop)
			stop = g->mods[i].addr;
	return otk_memimage_erase(&g->img, pl->at, stop - pl->at);
}

/* Refuses overlaps with other modules, and with data that is not erased flash (0xFF). */
static bool space_free(const struct gen *g, const struct part *pt, const struct placing *pl)
{
	for (size_t i = 0; i < g->nmods; i++) {
		const struct otk_image_module *o = &g->mods[i];
		if (ranges_overlap(pl->at, pl->end, o->addr, (uint64_t)o->addr + o->size)) {
			char od[160];
			describe(&o->prefix, od, sizeof od);
			cli_error(pt->path, "%s at 0x%08x-0x%08llx overlaps the %s at 0x%08x-0x%08llx",
				  pl->desc, pl->at, (unsigned long long)pl->end, od, o->addr,
				  (unsigned long long)o->addr + o->size);
			return false;
		}
	}
	for (size_t i = 0; i < otk_memimage_count(&g->img); i++) {
		const struct otk_memregion *r = otk_memimage_region(&g->img, i);
		uint64_t lo = r->addr > pl->at ? r->addr : pl->at;
		uint64_t re = (uint64_t)r->addr + r->len, hi = re < pl->end ? re : pl->end;
		for (uint64_t a = lo; a < hi; a++) {
			if (r->data[a - r->addr] != 0xFF) {
				cli_error(pt->path, "%s at 0x%08x-0x%08llx overlaps other data in the "
					  "image at 0x%08llx", pl->desc, pl->at,
					  (unsigned long long)pl->end, (unsigned long long)a);
				return false;
			}
		}
	}
	return true;
}

/*
 * Place one .bin part: check it, remove the module it replaces, refuse
 * overlaps, then write it.  Nothing is printed on success: the placements
 * are reported once the whole image is written.
 */
static bool place_part(struct gen *g, const struct part *pt, struct placed *done)
{
	struct placing pl = { 0 };
	bool ok = load_part(g, pt, &pl) && fits_slot(pt, &pl);
	int rc = ok ? remove_replaced(g, &pl) : OTK_OK;
	ok = ok && rc == OTK_OK && space_free(g, pt, &pl);
	if (ok)
		rc = otk_memimage_write(&g->img, pl.at, pl.data, pl.dlen, OTK_MEM_REPLACE, NULL);
	if (ok && rc == OTK_OK && !(pl.m.prefix.flags & OTK_FLAG_DROP_MODULE_INFO)) {
		struct otk_image_module im = { pl.at, pl.m.size, pl.m.prefix_offset, pl.m.prefix,
					       true, pl.m.crc_stored, pl.crc };
		if (!add_mod(g, &im))
			rc = OTK_ENOMEM;
	}
	if (rc != OTK_OK) {
		cli_error(pt->path, "%s", otk_strerror(rc));
		ok = false;
	}
	if (ok && !g->have_platform) {
		g->platform = pl.m.prefix.platform;
		g->have_platform = true;
	}
	memcpy(done->desc, pl.desc, sizeof done->desc);
	done->at = pl.at;
	done->end = pl.end;
	free(pl.buf);
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
		char w1[48], w2[48];
		dos_words(dp->function, dp->version, false, w1, sizeof w1);
		if (st == DEP_OLDER) {
			cli_error(path, "needs %s %u version >= %u%s but the image has version %u%s",
				  otk_function_name(dp->function), dp->index, dp->version, w1,
				  by->prefix.version,
				  dos_words(dp->function, by->prefix.version, false, w2, sizeof w2));
			return false;
		}
		/* NCP firmware and radio stacks are not found as modules in images. */
		if (st == DEP_ABSENT &&
		    (dp->function == OTK_FUNC_SYSTEM || dp->function == OTK_FUNC_BOOTLOADER)) {
			cli_error(path, "needs %s %u version >= %u%s but the image has none",
				  otk_function_name(dp->function), dp->index, dp->version, w1);
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

/* hex generate's inputs: base images and parts, the user part last. */
struct gen_args {
	struct hexout h;
	const char *bases[MAX_PARTS];
	struct part parts[MAX_PARTS];
	size_t nbases, nparts;
};

/* Positional inputs: .hex files are base images, anything else a part. */
static bool add_input(struct gen_args *a, const char *arg, struct part as)
{
	if (as.want < 0 && is_hex_name(arg)) {
		if (a->nbases >= MAX_PARTS)
			return false;
		a->bases[a->nbases++] = arg;
		return true;
	}
	if (a->nparts >= MAX_PARTS - 1) /* one kept for --user */
		return false;
	a->parts[a->nparts++] = as;
	return true;
}

static int parse_generate(int argc, char **argv, struct gen_args *a)
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
	const char *cmd = "hex generate", *user = NULL;
	int c, r;
	bool fit = true;
	memset(a, 0, sizeof *a);
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		if ((r = hexout_opt(&a->h, c, cmd)) < 0)
			return -r;
		if (r == 1)
			continue;
		switch (c) {
		case OPT_BASE: fit = add_input(a, optarg, (struct part){ optarg, -1, "module" }); break;
		case OPT_USER: user = optarg; break;
		case OPT_SYSTEM:
			fit = add_input(a, optarg, (struct part){ optarg, OTK_FUNC_SYSTEM, "system part" });
			break;
		case OPT_BOOTLOADER:
			fit = add_input(a, optarg, (struct part){ optarg, OTK_FUNC_BOOTLOADER, "bootloader" });
			break;
		case OPT_SOFTDEVICE:
			fit = add_input(a, optarg, (struct part){ optarg, OTK_FUNC_RADIO_STACK,
								  "radio stack (SoftDevice)" });
			break;
		default: return cli_bad_usage(cmd, argv);
		}
		if (!fit)
			return cli_usage_error(cmd, "%s: too many inputs", cmd);
	}
	for (int i = optind; i < argc; i++)
		if (!add_input(a, argv[i], (struct part){ argv[i], -1, "module" }))
			return cli_usage_error(cmd, "%s: too many inputs", cmd);
	if (user)
		a->parts[a->nparts++] = (struct part){ user, OTK_FUNC_USER, "user part" };
	if (!a->h.o.path)
		return cli_usage_error(cmd, "%s: no -o OUT.hex given", cmd);
	if (a->nbases == 0 && a->nparts == 0)
		return cli_usage_error(cmd, "%s: need a base image (--base BASE.hex) or .bin parts", cmd);
	return 0;
}

static int cmd_generate(int argc, char **argv)
{
	struct gen_args a;
	struct placed placed[MAX_PARTS];
	int rc = parse_generate(argc, argv, &a);
	if (rc)
		return rc;
	const struct hexout h = a.h;
	const char *const *bases = a.bases;
	const struct part *parts = a.parts;
	size_t nbases = a.nbases, nparts = a.nparts;

	if (cli_output_taken(h.o.path, h.o.force)) {
		cli_error(h.o.path, "already exists (use --force to replace it)");
		return 1;
	}
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
		if (!place_part(&g, &parts[i], &placed[i]))
			goto out;
	for (size_t i = 0; i < nparts; i++)
		if (!check_deps(&g, parts[i].path))
			goto out;
	if (write_hex(&g.img, &h)) {
		for (size_t i = 0; i < nparts; i++)
			fprintf(cli_report(h.o.path), "%s: %s at 0x%08x-0x%08llx\n", cli_shown(parts[i].path), placed[i].desc,
			       placed[i].at, (unsigned long long)placed[i].end);
		size_t nr = otk_memimage_count(&g.img);
		fprintf(cli_report(h.o.path), "%s: %zu region%s, %llu bytes, %zu module%s\n", cli_shown(h.o.path), nr,
		       nr == 1 ? "" : "s", (unsigned long long)g.img.total, g.nmods,
		       g.nmods == 1 ? "" : "s");
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
