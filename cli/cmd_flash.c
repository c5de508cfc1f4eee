/*
 * otakit flash --local FILE...|DIR|BUNDLE.zip [--target VERSION]: reads
 * and checks every file, asks the device what it is and holds, makes the
 * plan (otk/flash_plan.h) and carries it out over USB: control requests in
 * normal mode, DfuSe in DFU mode, switching modes as the steps need.
 * cli_flash_run() is shared with `otakit update` (cmd_update.c).
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "cli.h"
#include "flash_run.h"
#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/dos_catalog.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/flash_plan.h"
#include "otk/platform.h"
#include "otk/sha256.h"
#include "otk/usb.h"

#define REENUM_WAIT_MS 20000u
#define REENUM_FIRST_MS 1000u

/* --- inputs ------------------------------------------------------------ */

void cli_inputs_free(struct cli_inputs *in)
{
	for (size_t i = 0; i < in->n; i++) {
		free((char *)in->f[i].name);
		free((char *)in->f[i].asset_name);
		free(in->data[i]);
	}
	free(in->f);
	free(in->data);
	memset(in, 0, sizeof *in);
}

/* Takes data (and name) over. */
static bool push(struct cli_inputs *in, char *name, uint8_t *data, size_t len)
{
	if (in->n % 16 == 0) {
		struct otk_flash_file *f = realloc(in->f, (in->n + 16) * sizeof *f);
		uint8_t **d = f ? realloc(in->data, (in->n + 16) * sizeof *d) : NULL;
		if (f)
			in->f = f;
		if (!d) {
			free(name);
			free(data);
			cli_error(NULL, "out of memory");
			return false;
		}
		in->data = d;
	}
	memset(&in->f[in->n], 0, sizeof in->f[in->n]);
	in->f[in->n].name = name;
	in->f[in->n].data = data;
	in->f[in->n].len = len;
	in->data[in->n++] = data;
	return true;
}

static bool add_bundle(struct cli_inputs *in, const char *path)
{
	struct otk_bundle b;
	char err[512];
	if (otk_bundle_read(path, &b, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		return false;
	}
	bool ok = true;
	if (!b.app.data) {
		cli_error(path, "the bundle has no application");
		ok = false;
	} else {
		char *name = NULL;
		if (asprintf(&name, "%s:%s", path, b.app.name) < 0)
			name = NULL;
		ok = name && push(in, name, b.app.data, b.app.len);
		b.app.data = NULL;
	}
	for (size_t i = 0; ok && i < b.nassets; i++) {
		struct otk_bundle_entry *a = &b.assets[i];
		uint8_t *mod;
		size_t mlen;
		int rc = otk_asset_module_create(a->data, a->len, a->base, 0, true, &mod, &mlen);
		if (rc < 0) {
			cli_error(path, "%s: cannot build its asset module: %s", cli_shown(a->name),
				  otk_strerror(rc));
			ok = false;
			break;
		}
		char *name = strdup(a->base), *aname = strdup(a->base);
		if (!name || !aname || !push(in, name, mod, mlen)) {
			free(aname);
			ok = false;
			break;
		}
		struct otk_flash_file *f = &in->f[in->n - 1];
		f->asset = true;
		f->asset_name = aname;
		otk_sha256(a->data, a->len, f->asset_hash);
	}
	otk_bundle_free(&b);
	return ok;
}

static bool is_zip(const uint8_t *d, size_t len)
{
	return len >= 4 && d[0] == 'P' && d[1] == 'K' && d[2] == 3 && d[3] == 4;
}

static bool add_file(struct cli_inputs *in, const char *path, bool from_dir)
{
	size_t len;
	uint8_t *data = cli_read_file(path, &len);
	if (!data)
		return false;
	if (is_zip(data, len)) {
		free(data);
		return add_bundle(in, path);
	}
	struct otk_module m;
	if (from_dir && otk_module_parse(data, len, &m) < 0) {
		free(data);   /* a folder's other files are not ours to flash */
		return true;
	}
	char *name = strdup(path);
	return name && push(in, name, data, len);
}

static int name_cmp(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

bool cli_inputs_read(struct cli_inputs *in, char **paths, int n)
{
	for (int i = 0; i < n; i++) {
		struct stat st;
		if (stat(paths[i], &st) < 0) {
			cli_error(paths[i], "cannot read: no such file or folder");
			return false;
		}
		if (!S_ISDIR(st.st_mode)) {
			if (!add_file(in, paths[i], false))
				return false;
			continue;
		}
		struct dirent **ents;
		int k = scandir(paths[i], &ents, NULL, name_cmp);
		if (k < 0) {
			cli_error(paths[i], "cannot read the folder");
			return false;
		}
		bool ok = true;
		for (int j = 0; j < k; j++) {
			char *p = NULL;
			struct stat fs;
			if (ok && ents[j]->d_name[0] != '.' &&
			    asprintf(&p, "%s/%s", paths[i], ents[j]->d_name) >= 0 && stat(p, &fs) == 0 &&
			    S_ISREG(fs.st_mode))
				ok = add_file(in, p, true);
			free(p);
			free(ents[j]);
		}
		free(ents);
		if (!ok)
			return false;
	}
	return true;
}

/* --- the catalog's releases of one platform, in memory --------------------- */

void cli_releases_free(struct cli_releases *r)
{
	for (size_t i = 0; i < r->n; i++) {
		for (size_t k = 0; k < r->rel[i].nmods; k++) {
			free((void *)r->rel[i].mods[k].data);
			free((char *)r->rel[i].mods[k].name);
		}
		free((void *)r->rel[i].mods);
	}
	free(r->rel);
	otk_dos_catalog_free(&r->cat);
	memset(r, 0, sizeof *r);
}

bool cli_releases_load(struct cli_releases *r, const char *catalog, uint16_t platform)
{
	memset(r, 0, sizeof *r);
	char *dir = cli_catalog_dir(catalog);
	if (!dir)
		return false;
	char err[1024];
	int rc = otk_dos_catalog_load(dir, &r->cat, err, sizeof err);
	free(dir);
	if (rc < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		return false;
	}
	r->rel = calloc(r->cat.n + 1, sizeof *r->rel);
	if (!r->rel)
		return false;
	for (size_t i = 0; i < r->cat.n; i++) {
		const struct otk_dos_release_set *s = &r->cat.rel[i];
		if (s->platform != platform)
			continue;
		struct otk_flash_file *mods = calloc(s->nmods + 1, sizeof *mods);
		struct otk_flash_release *fr = &r->rel[r->n++];
		*fr = (struct otk_flash_release){ s->version, s->system_version, mods, 0 };
		if (!mods)
			return false;
		for (size_t k = 0; k < s->nmods; k++) {
			uint8_t *buf;
			size_t len;
			if (otk_dos_module_read(s, &s->mods[k], &buf, &len, err, sizeof err) < 0) {
				cli_error(NULL, "%s", cli_shown(err));
				return false;
			}
			char *name = NULL;
			if (asprintf(&name, "%s-%s", s->version, s->mods[k].file) < 0) {
				free(buf);
				return false;
			}
			mods[fr->nmods++] = (struct otk_flash_file){ .name = name, .data = buf, .len = len };
		}
	}
	return true;
}

static bool releases_have(const struct cli_releases *r, const char *version)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->rel[i].version, version) == 0)
			return true;
	return false;
}

/* --- carrying out the plan ------------------------------------------------ */

static void progress(void *ctx, size_t done, size_t total)
{
	cli_progress(ctx, done, total);
}

static void sleep_ms(unsigned ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* Wait for the device to come back in that mode after a reset. */
static struct otk_usb_dev *reopen(const char *id, bool dfu, struct otk_usb_info *info,
				 unsigned first_ms)
{
	/* the device answers, then resets about 1 s later (spec 04) */
	sleep_ms(first_ms);
	for (unsigned waited = first_ms; waited < REENUM_WAIT_MS; waited += 100) {
		struct otk_usb_dev *dev;
		if (otk_usb_open_mode(id, dfu, &dev, info) == OTK_OK)
			return dev;
		sleep_ms(100);
	}
	cli_error(NULL, "%s did not come back in %s mode", id, dfu ? "DFU" : "normal");
	return NULL;
}

bool cli_usb_to_mode(struct otk_usb_dev **dev, struct otk_usb_info *info, bool dfu)
{
	if (info->dfu == dfu)
		return true;
	char id[sizeof info->id];
	memcpy(id, info->id, sizeof id);
	if (dfu) {
		int32_t result;
		uint8_t *rep;
		size_t len;
		int rc = otk_usb_request(otk_usb_dev_io(*dev), OTK_REQ_DFU_MODE, NULL, 0, &result, &rep,
					 &len, 10000);
		free(rep);
		if (rc < 0 || result) {
			cli_error(NULL, "%s: cannot enter DFU mode: %s", id,
				  rc < 0 ? otk_usb_strerror(rc) : "refused by the device");
			return false;
		}
	} else {
		struct otk_dfu d = { .io = otk_usb_dev_io(*dev), .retries = 2 };
		if (otk_usb_set_alt(*dev, 0) < 0 || otk_dfu_leave(&d, 0) < 0) {
			cli_error(NULL, "%s: cannot leave DFU mode: %s", id, d.err);
			return false;
		}
	}
	otk_usb_close(*dev);
	*dev = reopen(id, dfu, info, REENUM_FIRST_MS);
	return *dev != NULL;
}

static bool run_dfu(struct otk_usb_dev *dev, const struct otk_flash_step *s, unsigned long *xfers)
{
	char memstr[256];
	int rc = otk_usb_set_alt(dev, 0);
	if (rc == OTK_OK)
		rc = otk_usb_alt_name(dev, 0, memstr, sizeof memstr);
	if (rc < 0) {
		cli_error(NULL, "%s: cannot select DFU alt 0: %s", s->name, otk_usb_strerror(rc));
		return false;
	}
	struct otk_dfu d = { .io = otk_usb_dev_io(dev), .memstr = memstr, .retries = 3,
			     .progress = progress, .progress_ctx = (void *)s->name };
	unsigned long before = d.io->transfers;
	rc = otk_dfu_download(&d, s->address, s->data, s->len);
	*xfers += d.io->transfers - before;
	if (rc < 0) {
		cli_error(NULL, "%s: DFU write failed: %s", s->name, d.err[0] ? d.err : otk_usb_strerror(rc));
		return false;
	}
	return true;
}

static bool run_control(struct otk_usb_dev **dev, struct otk_usb_info *info,
			const struct otk_flash_step *s)
{
	int32_t result;
	const char *step;
	int rc = otk_usb_firmware_update(otk_usb_dev_io(*dev), s->data, s->len, progress,
					 (void *)s->name, &result, &step);
	if (rc < 0 || result) {
		cli_error(NULL, "%s: firmware update (%s request) failed: %s", s->name, step,
			  rc < 0 ? otk_usb_strerror(rc)
			  : result == OTK_USB_RESULT_NOT_SUPPORTED ? "not supported by the device"
								   : "refused by the device");
		return false;
	}
	/* the device applies the module and resets */
	char id[sizeof info->id];
	memcpy(id, info->id, sizeof id);
	otk_usb_close(*dev);
	/* same mode before and after: give the old device time to go away */
	*dev = reopen(id, false, info, 2 * REENUM_FIRST_MS);
	return *dev != NULL;
}

int cli_flash_run(const struct cli_flash_args *a, struct cli_inputs *in)
{
	char err[1024];
	setvbuf(stdout, NULL, _IOLBF, 0);   /* progress lines in order with errors */
	/* refusals that need no device come before it is opened */
	if (otk_flash_check_files(in->f, in->n, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		return 1;
	}
	struct otk_usb_info info;
	struct otk_usb_dev *dev = cli_usb_open(a->device, &info);
	if (!dev)
		return 1;
	struct otk_usb_module *mods = NULL;
	struct otk_usb_asset *assets = NULL;
	size_t nmods = 0, nassets = 0;
	int32_t result;
	if (!info.dfu) {
		if (otk_usb_module_info(otk_usb_dev_io(dev), &mods, &nmods, &result) < 0 || result)
			nmods = 0;   /* unknown: no Device OS is added unless asked */
		if (otk_usb_asset_info(otk_usb_dev_io(dev), &assets, &nassets, &result) < 0 || result)
			nassets = 0;
	}
	struct otk_flash_installed *inst = calloc(nmods + 1, sizeof *inst);
	struct otk_flash_asset *held = calloc(nassets + 1, sizeof *held);
	for (size_t i = 0; inst && i < nmods; i++)
		inst[i] = (struct otk_flash_installed){ mods[i].function, mods[i].index,
							mods[i].version };
	for (size_t i = 0; held && i < nassets; i++) {
		held[i].name = assets[i].name;
		memcpy(held[i].hash, assets[i].hash, sizeof held[i].hash);
	}
	struct cli_releases rel;
	int status = 1;
	struct otk_flash_plan plan = { 0 };
	if (!inst || !held || !cli_releases_load(&rel, a->catalog, info.platform))
		goto out;
	if (a->target && !releases_have(&rel, a->target)) {
		/* the cloud's catalog fills the host's, which the plan then reads */
		int got = cli_dos_fetch(a->catalog, info.platform, a->target);
		if (got < 0)
			goto out_rel;
		if (got > 0) {
			cli_releases_free(&rel);
			if (!cli_releases_load(&rel, a->catalog, info.platform))
				goto out;
		}
	}
	struct otk_flash_device d = { info.platform, info.dfu, inst, nmods, held, nassets };
	struct otk_flash_opts o = { a->target, a->radio_ncp, a->device_os_only, rel.rel, rel.n };
	if (otk_flash_plan_make(in->f, in->n, &d, &o, &plan, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		goto out_rel;
	}
	if (plan.dos_added)
		printf("Adding Device OS %s from the catalog\n", plan.dos_added);
	if (plan.dropped)
		printf("Leaving out %zu encrypted, radio stack or NCP module%s\n", plan.dropped,
		       plan.dropped == 1 ? "" : "s");
	const struct otk_platform *p = otk_platform_by_id(info.platform);
	printf("Flashing %s %s\n", p ? p->name : "device", info.id);
	unsigned long dfu_xfers = 0;
	for (size_t i = 0; i < plan.n; i++) {
		const struct otk_flash_step *s = &plan.steps[i];
		if (s->skip) {
			printf("Skipping %s because it already exists on the device\n", cli_shown(s->name));
			continue;
		}
		bool dfu = s->way == OTK_FLASH_DFU;
		if (!cli_usb_to_mode(&dev, &info, dfu))
			goto out_plan;
		printf("Flashing %s\n", cli_shown(s->name));
		if (!(dfu ? run_dfu(dev, s, &dfu_xfers) : run_control(&dev, &info, s)))
			goto out_plan;
	}
	if (plan.leave_dfu && info.dfu) {
		struct otk_dfu dd = { .io = otk_usb_dev_io(dev), .retries = 2 };
		if (otk_dfu_leave(&dd, 0) < 0) {
			cli_error(NULL, "%s: DFU leave failed: %s", info.id, dd.err);
			goto out_plan;
		}
	}
	if (getenv("OTAKIT_USB_STATS"))
		fprintf(stderr, "dfu control transfers: %lu\n", dfu_xfers);
	printf("Flash success!\n");
	status = 0;
out_plan:
	otk_flash_plan_free(&plan);
out_rel:
	cli_releases_free(&rel);
out:
	free(inst);
	free(held);
	free(mods);
	otk_usb_assets_free(assets, nassets);
	if (dev)
		otk_usb_close(dev);
	return status;
}

/* --- otakit flash --------------------------------------------------------- */

enum { OPT_LOCAL = 0x100, OPT_TARGET, OPT_DEVICE, OPT_CATALOG, OPT_RADIO, OPT_SERIAL, OPT_PORT };

static int cmd_flash(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "local", no_argument, NULL, OPT_LOCAL },
		{ "target", required_argument, NULL, OPT_TARGET },
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "catalog", required_argument, NULL, OPT_CATALOG },
		{ "radio-ncp", no_argument, NULL, OPT_RADIO },
		{ "serial", no_argument, NULL, OPT_SERIAL },
		{ "port", required_argument, NULL, OPT_PORT },
		{ NULL, 0, NULL, 0 },
	};
	struct cli_flash_args a = { 0 };
	bool local = false, serial = false;
	const char *port = NULL;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case OPT_LOCAL: local = true; break;
		case OPT_TARGET: a.target = optarg; break;
		case OPT_DEVICE: a.device = optarg; break;
		case OPT_CATALOG: a.catalog = optarg; break;
		case OPT_RADIO: a.radio_ncp = true; break;
		case OPT_SERIAL: serial = true; break;
		case OPT_PORT: port = optarg; break;
		default: return cli_bad_usage("flash", argv);
		}
	}
	if (serial && !local && optind < argc)
		return cli_flash_serial(port, a.device, argv + optind, argc - optind);
	if (!local)
		return cli_usage_error("flash", "flash: only --local (USB) flashing is supported");
	if (optind >= argc)
		return cli_usage_error("flash", "flash: need FILE..., DIR or BUNDLE.zip");
	struct cli_inputs in = { 0 };
	int status = 1;
	if (cli_inputs_read(&in, argv + optind, argc - optind)) {
		if (in.n == 0)
			cli_error(argv[optind], "no module to flash");
		else
			status = cli_flash_run(&a, &in);
	}
	cli_inputs_free(&in);
	return status;
}

const struct cli_command cli_flash_commands[] = {
	{ "flash", "flash modules, a folder or a bundle to a device over USB",
	  "Usage: otakit flash --local FILE...|DIR|BUNDLE.zip [--target VERSION]\n"
	  "                    [--device ID] [--catalog DIR] [--radio-ncp]\n"
	  "\n"
	  "Check every module (CRC, platform) first, then write them in the reference\n"
	  "CLI's order: dependencies first; bootloader and NCP by control requests,\n"
	  "system and user parts by DFU, then the bundle's assets (those the device\n"
	  "already holds are skipped).  Device OS comes from the catalog (otakit\n"
	  "device-os) when --target names it or the application needs a newer one;\n"
	  "a --target release the catalog lacks is fetched from the logged-in cloud's\n"
	  "catalog (otakitd), checked, and kept in the host catalog.\n"
	  "Radio stack and NCP modules are written only with --radio-ncp.\n"
	  "\n"
	  "       otakit flash --serial FILE... [--port PATH | --device ID]\n"
	  "\n"
	  "Send modules by YMODEM in listening mode (asked for over USB when needed),\n"
	  "with a progress bar; the device validates and installs each and resets.\n"
	  "System parts go first, in reverse order when downgrading; a bootloader,\n"
	  "NCP or radio stack module is refused (USB only).\n"
	  "\n"
	  "Examples:\n"
	  "  otakit flash --local app.bin\n"
	  "  otakit flash --local bundle.zip --target 5.6.0\n"
	  "  otakit flash --serial app.bin --port /dev/ttyACM0\n",
	  cmd_flash },
	{ "update", "flash a Device OS release from the catalog over USB",
	  "Usage: otakit update [--target VERSION] [--device ID] [--catalog DIR]\n"
	  "\n"
	  "Write that Device OS release (default: the newest in the catalog for the\n"
	  "device's platform), bootloader first, without a user part; upgrades and\n"
	  "downgrades alike.  A --target release the catalog lacks is fetched from the\n"
	  "logged-in cloud's catalog (otakitd), checked, and kept in the host catalog.\n"
	  "\n"
	  "Examples:\n"
	  "  otakit update --target 5.6.0\n"
	  "  otakit update --device 0123456789abcdef01234567 --catalog ./device-os\n",
	  cli_update_command },
};
const size_t cli_flash_command_count = sizeof cli_flash_commands / sizeof cli_flash_commands[0];
