/*
 * A virtual device directory:
 *   device.conf    platform, device id, Device OS of the factory image
 *   internal.bin   internal flash (and external.bin when the layout has one)
 * and `otakit-vdev create`, which makes one with a factory set of system
 * modules for a Device OS release.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/cleanup.h"
#include "otk/dos_version.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "cloud.h"
#include "vdev.h"

static const char *const storage_file[2] = { "internal.bin", "external.bin" };

const char *vdev_module_name(uint8_t function, uint8_t index, char *out, size_t cap)
{
	if (function == OTK_FUNC_BOOTLOADER && index == 0)
		snprintf(out, cap, "bootloader");
	else
		snprintf(out, cap, "%s %u", otk_function_name(function), index);
	return out;
}

const char *vdev_dos_name(uint16_t system_version)
{
	static char other[40];
	const struct otk_dos_release *r = otk_dos_release_by_system_version(system_version);
	if (r)
		return r->version;
	snprintf(other, sizeof other, "of module version %u", system_version);
	return other;
}

bool vdev_storage_extent(const struct otk_layout *l, uint8_t storage, uint32_t *base,
			 uint32_t *size)
{
	uint32_t lo = UINT32_MAX, hi = 0;
	for (size_t i = 0; i < l->nareas; i++) {
		const struct otk_layout_area *a = &l->areas[i];
		if (a->storage != storage)
			continue;
		if (a->addr < lo)
			lo = a->addr;
		if (a->addr + a->size > hi)
			hi = a->addr + a->size;
	}
	if (lo == UINT32_MAX)
		return false;
	lo -= lo % VDEV_ERASE_SIZE;
	hi = (hi + VDEV_ERASE_SIZE - 1) / VDEV_ERASE_SIZE * VDEV_ERASE_SIZE;
	*base = lo;
	*size = hi - lo;
	return true;
}

static int vdev_open_area(void *ctx, const struct otk_layout_area *a, struct otk_flash_area *out)
{
	struct vdev *v = ctx;
	if (a->storage > 1 || !v->has[a->storage])
		return OTK_ENOTFOUND;
	struct flashfile *f = &v->flash[a->storage];
	if (a->addr < f->base || a->addr - f->base > f->size || a->size > f->size - (a->addr - f->base))
		return OTK_ENOTFOUND;
	out->ops = &flashfile_ops;
	out->ctx = f;
	out->dev_off = a->addr - f->base;
	out->size = a->size;
	out->erase_size = v->layout->erase_size;
	out->write_align = VDEV_WRITE_ALIGN;
	out->erased = 0xFF;
	out->addr = a->addr;
	return OTK_OK;
}

static void bind_device(struct vdev *v)
{
	v->dev = (struct otk_device){ v->layout, v->layout->platform, vdev_open_area, v };
	memset(&v->cfg, 0, sizeof v->cfg);
	v->cfg.dev = &v->dev;
	v->cfg.buf = v->buf;
	v->cfg.buf_size = sizeof v->buf;
	v->cfg.inflate = &v->inf;
	v->cfg.window = v->window;
	v->cfg.window_size = sizeof v->window;
	v->cfg.policy = OTK_POLICY_NO_DOWNGRADE;
	v->cfg.save_every = 4096;
}

static unsigned env_delay(void)
{
	const char *s = getenv("OTK_VDEV_FLASH_DELAY_MS");
	uint32_t v;
	return s && cli_parse_u32(s, &v) && v < 10000 ? v : 0;
}

static bool open_flash(struct vdev *v, bool create)
{
	char path[4200];
	for (uint8_t s = 0; s < 2; s++) {
		uint32_t base, size;
		v->has[s] = vdev_storage_extent(v->layout, s, &base, &size);
		v->flash[s].fd = -1;
		if (!v->has[s])
			continue;
		snprintf(path, sizeof path, "%s/%s", v->dir, storage_file[s]);
		int rc = flashfile_open(&v->flash[s], path, base, size, create);
		if (rc == OTK_ERANGE) {
			cli_error(path, "not the size of the %s flash (%u bytes)", v->layout->name, size);
			return false;
		}
		if (rc < 0) {
			cli_error(path, "%s", strerror(errno));
			return false;
		}
		v->flash[s].delay_ms = env_delay();
	}
	bind_device(v);
	return true;
}

void vdev_close(struct vdev *v)
{
	if (v->lock_fd > 0)
		close(v->lock_fd);   /* releases the lock */
	v->lock_fd = -1;
	for (int s = 0; s < 2; s++)
		if (v->has[s])
			flashfile_close(&v->flash[s]);
}

bool vdev_update_init(struct vdev *v)
{
	int rc = otk_update_init(&v->upd, &v->cfg);
	if (rc < 0) {
		cli_error(v->dir, "cannot load the update state: %s", otk_strerror(rc));
		return false;
	}
	return true;
}

bool vdev_open(struct vdev *v, const char *dir)
{
	char path[4200], line[256];
	memset(v, 0, sizeof *v);
	snprintf(v->dir, sizeof v->dir, "%s", dir);
	snprintf(path, sizeof path, "%s/device.conf", dir);
	FILE *f = fopen(path, "r");
	if (!f) {
		cli_error(path, "%s (not a virtual device: make one with otakit-vdev create)",
			   strerror(errno));
		return false;
	}
	unsigned platform = 0xFFFFu;
	while (fgets(line, sizeof line, f)) {
		char key[32], val[64];
		if (sscanf(line, "%31[^=]=%63s", key, val) != 2)
			continue;
		if (strcmp(key, "platform") == 0)
			platform = (unsigned)strtoul(val, NULL, 10);
		else if (strcmp(key, "id") == 0 && strlen(val) < sizeof v->id)
			memcpy(v->id, val, strlen(val) + 1);
		else if (strcmp(key, "device_os") == 0 && strlen(val) < sizeof v->dos)
			memcpy(v->dos, val, strlen(val) + 1);
	}
	fclose(f);
	v->layout = platform <= 0xFFFFu ? otk_layout_by_platform((uint16_t)platform) : NULL;
	if (!v->layout || strlen(v->id) != 24) {
		cli_error(path, "missing or bad platform or id");
		return false;
	}
	/* One process per device: the flash has no arbiter (the kernel drops the lock on kill -9). */
	v->lock_fd = open(path, O_RDWR);
	struct flock fl;
	memset(&fl, 0, sizeof fl);
	fl.l_type = F_WRLCK;
	fl.l_whence = SEEK_SET;
	if (v->lock_fd < 0 || fcntl(v->lock_fd, F_SETLK, &fl) != 0) {
		cli_error(dir, "%s", v->lock_fd < 0 ? strerror(errno)
			   : "in use by another otakit-vdev (stop it first)");
		vdev_close(v);
		return false;
	}
	return open_flash(v, false);
}

/* --- create ---------------------------------------------------------- */

static bool parse_id(const char *s, char out[25])
{
	if (strlen(s) != 24)
		return false;
	for (int i = 0; i < 24; i++) {
		char c = s[i];
		if (c >= 'A' && c <= 'F')
			c = (char)(c - 'A' + 'a');
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
			return false;
		out[i] = c;
	}
	out[24] = 0;
	return true;
}

static bool random_id(char out[25])
{
	uint8_t b[12];
	FILE *f = fopen("/dev/urandom", "rb");
	if (!f)
		return false;
	bool ok = fread(b, 1, sizeof b, f) == sizeof b;
	fclose(f);
	for (int i = 0; i < 12; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
	return ok;
}

/*
 * One generated module for the factory image: a body that says what it is,
 * padded to a plausible size, in the real module format.
 */
static int factory_module(const struct vdev *v, uint8_t function, uint8_t index, uint16_t version,
			  struct otk_dependency dep, uint32_t start, uint8_t **out, size_t *out_len)
{
	char text[256];
	uint8_t body[16384];
	int n = snprintf(text, sizeof text, "otakit virtual device: Device OS %s %s %u, version %u\n",
			 v->dos, otk_function_name(function), index, version);
	memset(body, 0, sizeof body);
	memcpy(body, text, (size_t)n);
	for (size_t i = (size_t)n; i < sizeof body; i++)
		body[i] = (uint8_t)(i * 31u + function);
	size_t bl = function == OTK_FUNC_BOOTLOADER ? 4096 : sizeof body;
	struct otk_module_spec spec;
	memset(&spec, 0, sizeof spec);
	spec.prefix.function = function;
	spec.prefix.index = index;
	spec.prefix.version = version;
	spec.prefix.platform = v->layout->platform;
	spec.prefix.dep[0] = dep;
	spec.start = start;
	spec.product = true;
	spec.product_id = 0xFFFF;
	spec.product_version = 0xFFFF;
	size_t cap = bl + OTK_PREFIX_SIZE + OTK_SUFFIX_PRODUCT + OTK_CRC_SIZE;
	*out = malloc(cap);
	if (!*out)
		return OTK_ENOMEM;
	int rc = otk_module_build(&spec, body, bl, *out, cap, out_len);
	if (rc < 0) {
		free(*out);
		*out = NULL;
	}
	return rc;
}

/* Program a module into its area as the factory would: erase, write. */
static int program(struct vdev *v, const struct otk_layout_area *a, const uint8_t *m, size_t len)
{
	struct otk_flash_area fa;
	int rc = vdev_open_area(v, a, &fa);
	if (rc < 0)
		return rc;
	if ((rc = otk_flash_erase_cover(&fa, 0, len)) < 0)
		return rc;
	struct otk_flash_writer w;
	otk_flash_writer_init(&w, &fa, 0, v->buf, sizeof v->buf);
	if ((rc = otk_flash_writer_put(&w, m, len)) < 0)
		return rc;
	return otk_flash_writer_flush(&w);
}

static bool write_factory(struct vdev *v, const struct otk_dos_release *rel)
{
	const struct otk_layout *l = v->layout;
	uint16_t blver = rel->bootloader_version ? rel->bootloader_version : 1;
	/* The bootloader index system part 1 depends on: p2's main one is 0 as elsewhere. */
	const struct otk_layout_area *boot = otk_layout_find(l, OTK_AREA_BOOTLOADER, 0);
	struct otk_dependency none = { 0, 0, 0 };
	struct otk_dependency prev = boot ? (struct otk_dependency){ OTK_FUNC_BOOTLOADER, 0, blver }
					  : none;
	uint8_t *m;
	size_t len;
	if (boot) {
		int rc = factory_module(v, OTK_FUNC_BOOTLOADER, 0, blver, none, boot->addr, &m, &len);
		if (rc == OTK_OK)
			rc = program(v, boot, m, len);
		free(m);
		if (rc < 0) {
			cli_error(v->dir, "cannot write the bootloader: %s", otk_strerror(rc));
			return false;
		}
	}
	/* System parts in index order, each depending on the one before (part 1 on the bootloader). */
	for (uint8_t idx = 1; idx < 8; idx++) {
		const struct otk_layout_area *a = otk_layout_find(l, OTK_AREA_SYSTEM, idx);
		if (!a)
			break;
		int rc = factory_module(v, OTK_FUNC_SYSTEM, idx, rel->system_version, prev, a->addr,
					&m, &len);
		if (rc == OTK_OK)
			rc = program(v, a, m, len);
		free(m);
		if (rc < 0) {
			cli_error(v->dir, "cannot write system part %u: %s", idx, otk_strerror(rc));
			return false;
		}
		prev = (struct otk_dependency){ OTK_FUNC_SYSTEM, idx, rel->system_version };
	}
	return true;
}

/* A number no release has stands for a build of one's own. */
const struct otk_dos_release *vdev_device_os(const char *arg, struct otk_dos_release *custom)
{
	const struct otk_dos_release *rel = otk_dos_release_by_name(arg);
	uint32_t v;
	if (rel)
		return rel;
	if (!cli_parse_u32(arg, &v) || v == 0 || v >= 0xFFFF)
		return NULL;
	if ((rel = otk_dos_release_by_system_version((uint16_t)v)))
		return rel;
	*custom = (struct otk_dos_release){ arg, (uint16_t)v, 0 };
	return custom;
}

/* Refuses a DIR that holds anything: a device is made whole in a new folder. */
static bool dir_free(const char *dir)
{
	char path[4200];
	struct stat st;
	snprintf(path, sizeof path, "%s/device.conf", dir);
	if (otk_file_exists(path)) {
		cli_error(dir, "already holds a virtual device");
		return false;
	}
	if (lstat(dir, &st) != 0)
		return true;
	/* rename() replaces an empty folder, and only that. */
	DIR *d = S_ISDIR(st.st_mode) ? opendir(dir) : NULL;
	struct dirent *e;
	bool empty = d != NULL;
	while (d && (e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			empty = false;
	if (d)
		closedir(d);
	if (!empty)
		cli_error(dir, "already exists and is not an empty folder");
	return empty;
}

/* A new folder beside dir with a short name (so any DIR name fits), umask applied. */
static char *temp_dir_beside(const char *dir)
{
	const char *slash = strrchr(dir, '/');
	int plen = slash ? (int)(slash - dir) + 1 : 0;
	char *tmp = malloc((size_t)plen + 32);
	if (!tmp)
		return NULL;
	snprintf(tmp, (size_t)plen + 32, "%.*s.otakit-vdev-XXXXXX", plen, dir);
	if (!mkdtemp(tmp)) {
		cli_error(dir, "cannot create a folder beside it: %s", strerror(errno));
		free(tmp);
		return NULL;
	}
	mode_t mask = umask(0);
	umask(mask);
	chmod(tmp, 0777 & ~mask);
	return tmp;
}

static void remove_device_files(const char *dir)
{
	const char *names[] = { storage_file[0], storage_file[1], "device.conf", "dct.bin" };
	char path[4200];
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	rmdir(dir);
}

/* What create made, said once it is in place. */
static void report_device(const struct vdev *v, const char *dir, const struct otk_dos_release *rel)
{
	const struct otk_layout *l = v->layout;
	char name[64];
	printf("%s: %s (%u) device %s, Device OS %s\n", cli_shown(dir), l->name, l->platform, v->id,
	       rel->version);
	if (otk_layout_find(l, OTK_AREA_BOOTLOADER, 0))
		printf("  bootloader version %u\n", rel->bootloader_version ? rel->bootloader_version : 1);
	for (uint8_t idx = 1; idx < 8 && otk_layout_find(l, OTK_AREA_SYSTEM, idx); idx++)
		printf("  %s version %u (Device OS %s)\n",
		       vdev_module_name(OTK_FUNC_SYSTEM, idx, name, sizeof name), rel->system_version,
		       rel->version);
}

/* Flash files with the factory image and device.conf, all in v->dir. */
static bool build_device(struct vdev *v, const struct otk_dos_release *rel)
{
	char path[4200], conf[256];
	/* the device key goes into the DCT, where particle-cli keeps it */
	bool ok = open_flash(v, true) && write_factory(v, rel) && vdev_keys_generate(v->dir);
	vdev_close(v);
	if (!ok)
		return false;
	snprintf(path, sizeof path, "%s/device.conf", v->dir);
	int n = snprintf(conf, sizeof conf, "platform=%u\nname=%s\nid=%s\ndevice_os=%s\n",
			 v->layout->platform, v->layout->name, v->id, rel->version);
	if (otk_file_write(path, conf, (size_t)n, false) != OTK_OK) {
		cli_error(path, "%s", strerror(errno));
		return false;
	}
	return true;
}

/*
 * The device is built in a temporary folder beside DIR and renamed into
 * place, so an interrupted create leaves no half-made device (a signal
 * removes the temporary folder through the cleanup registry).
 */
int cmd_create(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "platform", required_argument, NULL, 'p' },
		{ "device-os", required_argument, NULL, 'd' },
		{ "id", required_argument, NULL, 'i' },
		{ NULL, 0, NULL, 0 },
	};
	const char *pname = NULL, *dos = VDEV_DEFAULT_DOS, *id = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'p': pname = optarg; break;
		case 'd': dos = optarg; break;
		case 'i': id = optarg; break;
		default: return vdev_bad_option("create", argv);
		}
	}
	if (optind + 1 != argc || !pname)
		return vdev_usage_error("create: need DIR and --platform");
	/* "DIR/" names DIR. */
	char dir[4096];
	size_t dl = strlen(argv[optind]);
	while (dl > 1 && argv[optind][dl - 1] == '/')
		dl--;
	if (dl >= sizeof dir)
		return vdev_usage_error("create: DIR is too long");
	memcpy(dir, argv[optind], dl);
	dir[dl] = 0;

	const struct otk_platform *p = otk_platform_by_name(pname);
	uint32_t pid;
	if (!p && cli_parse_u32(pname, &pid) && pid <= 0xFFFF)
		p = otk_platform_by_id((uint16_t)pid);
	const struct otk_layout *l = p ? otk_layout_by_platform(p->id) : NULL;
	if (!l)
		return vdev_usage_error("create: no flash layout for platform '%s' (gcc, photon, p1, "
					"electron, argon, boron, bsom, b5som, tracker, esomx, p2, "
					"msom, trackerm)", pname);
	struct otk_dos_release custom;
	const struct otk_dos_release *rel = vdev_device_os(dos, &custom);
	if (!rel || strlen(rel->version) >= sizeof ((struct vdev *)0)->dos)
		return vdev_usage_error("create: unknown Device OS version '%s' (a release such as "
					"%s, or a system module version such as 6305)", dos,
					VDEV_DEFAULT_DOS);

	struct vdev *v = calloc(1, sizeof *v);
	if (!v)
		return 1;
	int status = 1;
	snprintf(v->dos, sizeof v->dos, "%s", rel->version);
	v->layout = l;
	if (id ? !parse_id(id, v->id) : !random_id(v->id)) {
		free(v);
		return vdev_usage_error("create: --id takes 24 hex digits");
	}
	char *tmp = dir_free(dir) ? temp_dir_beside(dir) : NULL;
	if (!tmp)
		goto out;
	int slot = otk_cleanup_add(tmp, true);
	snprintf(v->dir, sizeof v->dir, "%s", tmp);
	if (!build_device(v, rel)) {
		remove_device_files(tmp);
	} else if (rename(tmp, dir) != 0) {
		cli_error(dir, "cannot move the new device into place: %s", strerror(errno));
		remove_device_files(tmp);
	} else {
		report_device(v, dir, rel);
		status = 0;
	}
	otk_cleanup_remove(slot);
	free(tmp);
out:
	free(v);
	return status;
}
