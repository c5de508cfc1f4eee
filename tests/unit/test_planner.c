/*
 * The update planner (server/planner.c) on a table of cases, one or more
 * for every rule of spec 06 "What the cloud sends, and when": firmware
 * precedence (development, lock, groups, default), standard and intelligent
 * releases against disabled and forced updates, the Safe Mode Healer
 * (bootloader before system, lowest upgrade, never a downgrade, compressed
 * modules only with Hello flag 0x40), Asset OTA (name and hash, app first),
 * the queued PUT file; then otkd_plan_next() over a real SQLite store.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "otk/error.h"
#include "planner.h"
#include "store.h"
#include "testutil.h"

/* Hashes as hex: a letter repeated, enough to tell them apart. */
#define H(c) c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c \
	c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c c

#define APP0 H("0")  /* something else the device runs */
#define APP1 H("1")
#define APP2 H("2")
#define APP3 H("3")
#define APP4 H("4")
#define APPF H("f")  /* the queued PUT file */
#define ASSET_A H("a")
#define ASSET_B H("b")
#define ASSET_C H("c")

static void unhex(const char *hex, uint8_t out[32])
{
	for (size_t i = 0; i < 32; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
}

/* --- the world every case starts from ------------------------------------ */

/* Product versions: 1 the default; 2 standard release to "beta"; 3 never
 * released; 4 intelligent release to "canary". */
static struct otkd_asset fw1_assets[] = {
	{"a.txt", ASSET_A, 100}, {"b.txt", ASSET_B, 200},
};
static struct otkd_plan_firmware firmware[] = {
	{.version = 1, .app_sha256 = APP1, .app_size = 50000, .released = true,
	 .product_default = true, .nassets = 2, .assets = fw1_assets},
	{.version = 2, .app_sha256 = APP2, .app_size = 50000, .released = true, .groups = "beta"},
	{.version = 3, .app_sha256 = APP3, .app_size = 50000},
	{.version = 4, .app_sha256 = APP4, .app_size = 50000, .released = true,
	 .intelligent = true, .groups = "canary"},
};

#define BORON 13
#define DOS(ver, iv, fn, ix, mv, df, di, dv, d2f, d2i, d2v, fl, hash) \
	{.version = ver, .internal_version = iv, .platform_id = BORON, .function = fn, \
	 .index = ix, .module_version = mv, .dep_function = df, .dep_index = di, \
	 .dep_version = dv, .dep2_function = d2f, .dep2_index = d2i, .dep2_version = d2v, \
	 .flags = fl, .size = 300000, .sha256 = hash, .filename = hash}

/* Device OS 4.0.2, 4.2.0 and 5.8.0 for a Boron: bootloader, radio stack and
 * system part, each system part needing its bootloader and radio stack. */
static struct otkd_dos_module catalog[] = {
	DOS("4.0.2", 4006, 2, 0, 1101, 0, 0, 0, 0, 0, 0, 0, H("5")),
	DOS("4.0.2", 4006, 8, 0, 202, 0, 0, 0, 0, 0, 0, 0, H("6")),
	DOS("4.0.2", 4006, 4, 1, 4006, 2, 0, 1101, 8, 0, 202, 0, H("7")),
	DOS("4.2.0", 4200, 2, 0, 1200, 0, 0, 0, 0, 0, 0, 0, H("8")),
	DOS("4.2.0", 4200, 8, 0, 202, 0, 0, 0, 0, 0, 0, 0, H("6")),
	DOS("4.2.0", 4200, 4, 1, 4200, 2, 0, 1200, 8, 0, 202, 0, H("9")),
	DOS("5.8.0", 5800, 2, 0, 2300, 0, 0, 0, 0, 0, 0, 0, H("d")),
	DOS("5.8.0", 5800, 8, 0, 204, 0, 0, 0, 0, 0, 0, 0, H("e")),
	DOS("5.8.0", 5800, 4, 1, 5800, 2, 0, 2300, 8, 0, 204, 0x02, H("b")),
};

static struct otkd_asset flash_assets[] = {{"c.txt", ASSET_C, 300}};
static struct otkd_plan_flash flash = {
	.id = 7, .sha256 = APPF, .app_sha256 = APPF, .size = 40000, .nassets = 1,
	.assets = flash_assets,
};

/* A Boron on Device OS 4.0.2 running product version 1, updates enabled. */
static void base(struct otkd_describe *d, struct otkd_plan_input *in)
{
	memset(d, 0, sizeof *d);
	memset(in, 0, sizeof *in);
	d->platform_id = BORON;
	d->system_version = 4006;
	d->product_id = 1;
	d->product_version = 1;
	d->max_binary_size = 1536000;
	d->updates_enabled = true;
	d->nmodules = 4;
	d->modules[0] = (struct otkd_desc_module){.function = 2, .index = 0, .version = 1101};
	d->modules[1] = (struct otkd_desc_module){.function = 8, .index = 0, .version = 202};
	d->modules[2] = (struct otkd_desc_module){
		.function = 4, .index = 1, .version = 4006, .ndeps = 2,
		.deps = {{2, 0, 1101}, {8, 0, 202}}};
	d->modules[3] = (struct otkd_desc_module){
		.function = 5, .index = 1, .version = 6, .has_hash = true, .ndeps = 1,
		.deps = {{4, 1, 4006}}};
	unhex(APP1, d->modules[3].hash);
	in->in_product = true;
	in->nfirmware = sizeof firmware / sizeof firmware[0];
	in->firmware = firmware;
	in->ncatalog = sizeof catalog / sizeof catalog[0];
	in->catalog = catalog;
}

static struct otkd_desc_module *user(struct otkd_describe *d)
{
	return &d->modules[3];
}

static void runs(struct otkd_describe *d, const char *app)
{
	unhex(app, user(d)->hash);
}

/* The app needs system part 1 at version v. */
static void app_needs(struct otkd_describe *d, uint16_t v)
{
	user(d)->deps[0].version = v;
}

static void require_asset(struct otkd_desc_module *m, const char *name, const char *hex)
{
	struct otkd_desc_asset *a = &m->asset_deps[m->nasset_deps++];
	snprintf(a->name, sizeof a->name, "%s", name);
	unhex(hex, a->hash);
}

static void have_asset(struct otkd_describe *d, const char *name, const char *hex)
{
	struct otkd_desc_asset *a = &d->assets[d->nassets++];
	snprintf(a->name, sizeof a->name, "%s", name);
	unhex(hex, a->hash);
}

/* --- the cases ------------------------------------------------------------- */

static void s_none(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	(void)in;
}
static void s_other_app(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	runs(d, APP0);
}
static void s_beta(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	strcpy(in->groups, "beta");
}
static void s_beta_canary(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	strcpy(in->groups, "alpha,beta,canary");
}
static void s_unknown_group(struct otkd_describe *d, struct otkd_plan_input *in)
{
	runs(d, APP0);
	strcpy(in->groups, "bet");
}
static void s_locked(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	strcpy(in->groups, "canary");
	in->has_desired = true;
	in->desired_firmware_version = 3;
}
static void s_locked_missing(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_locked(d, in);
	in->desired_firmware_version = 9;
}
static void s_locked_on_it(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_locked(d, in);
	runs(d, APP3);
}
static void s_development(struct otkd_describe *d, struct otkd_plan_input *in)
{
	runs(d, APP0);
	strcpy(in->groups, "canary");
	in->development = true;
}
static void s_no_default(struct otkd_describe *d, struct otkd_plan_input *in)
{
	runs(d, APP0);
	in->nfirmware = 0;
}
static void s_standard_disabled(struct otkd_describe *d, struct otkd_plan_input *in)
{
	strcpy(in->groups, "beta");
	d->updates_enabled = false;
}
static void s_intelligent_disabled(struct otkd_describe *d, struct otkd_plan_input *in)
{
	strcpy(in->groups, "canary");
	d->updates_enabled = false;
}
static void s_intelligent_forced(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_intelligent_disabled(d, in);
	in->firmware_updates_forced = true;
}
static void s_device_forced(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_standard_disabled(d, in);
	d->updates_forced = true;
}
static void s_intelligent_enabled(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	strcpy(in->groups, "canary");
}
static void s_by_version(struct otkd_describe *d, struct otkd_plan_input *in)
{
	/* no user hash in the describe: the Hello's product version decides */
	(void)in;
	user(d)->has_hash = false;
	d->product_version = 1;
}
static void s_by_version_other(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_by_version(d, in);
	d->product_version = 5;
}
static void s_too_large(struct otkd_describe *d, struct otkd_plan_input *in)
{
	runs(d, APP0);
	(void)in;
	d->max_binary_size = 4096;
}
static void s_heal_bootloader(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	d->safe_mode = true;
	app_needs(d, 4200);
}
static void s_heal_system(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_heal_bootloader(d, in);
	d->modules[0].version = 1200;
}
static void s_healed(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_heal_system(d, in);
	d->modules[2].version = 4200;
	d->modules[2].deps[0].version = 1200;
	d->safe_mode = false;
}
static void s_heal_radio(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_heal_system(d, in);
	d->modules[1].version = 201;
}
static void s_no_downgrade(struct otkd_describe *d, struct otkd_plan_input *in)
{
	/* a device on 5.8.0 running an app built for 4.0.2: nothing to do */
	(void)in;
	d->modules[0].version = 2300;
	d->modules[1].version = 204;
	d->modules[2].version = 5800;
	d->modules[2].deps[0].version = 2300;
	d->modules[2].deps[1].version = 204;
}
static void s_catalog_lacks(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	app_needs(d, 6000);
}
static void s_compressed_no_flag(struct otkd_describe *d, struct otkd_plan_input *in)
{
	/* 5.8.0's system part is compressed: only for Hello flag 0x40 */
	s_no_downgrade(d, in);
	d->modules[2].version = 4200;
	app_needs(d, 5800);
}
static void s_compressed_flag(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_compressed_no_flag(d, in);
	d->hello_flags = OTKD_HELLO_COMPRESSED_OTA;
}
static void s_heal_development(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_heal_system(d, in);
	in->development = true;
	runs(d, APP0);
}
static void s_heal_disabled(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_heal_system(d, in);
	d->updates_enabled = false;
}
static void s_asset_missing(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	require_asset(user(d), "a.txt", ASSET_A);
	require_asset(user(d), "b.txt", ASSET_B);
	have_asset(d, "a.txt", ASSET_A);
}
static void s_asset_changed(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	require_asset(user(d), "a.txt", ASSET_A);
	require_asset(user(d), "b.txt", ASSET_B);
	have_asset(d, "a.txt", ASSET_A);
	have_asset(d, "b.txt", ASSET_C);   /* same name, another hash */
}
static void s_asset_renamed(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	require_asset(user(d), "a.txt", ASSET_A);
	have_asset(d, "z.txt", ASSET_A);   /* same hash, another name */
}
static void s_assets_present(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	require_asset(user(d), "a.txt", ASSET_A);
	require_asset(user(d), "b.txt", ASSET_B);
	have_asset(d, "b.txt", ASSET_B);
	have_asset(d, "a.txt", ASSET_A);
	have_asset(d, "old.txt", ASSET_C);
}
static void s_asset_nowhere(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)in;
	require_asset(user(d), "x.txt", H("9"));
}
static void s_asset_app_first(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_asset_missing(d, in);
	strcpy(in->groups, "beta");
}
static void s_asset_after_heal(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_asset_missing(d, in);
	s_heal_system(d, in);
}
static void s_flash(struct otkd_describe *d, struct otkd_plan_input *in)
{
	(void)d;
	in->in_product = false;
	in->flash = &flash;
}
static void s_flash_installed(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_flash(d, in);
	runs(d, APPF);
}
static void s_flash_assets(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_flash_installed(d, in);
	require_asset(user(d), "c.txt", ASSET_C);
}
static void s_flash_after_heal(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_flash(d, in);
	s_heal_system(d, in);
}
static void s_flash_product_first(struct otkd_describe *d, struct otkd_plan_input *in)
{
	in->flash = &flash;
	runs(d, APP0);
}
static void s_flash_development(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_flash_product_first(d, in);
	in->development = true;
}
static void s_flash_disabled(struct otkd_describe *d, struct otkd_plan_input *in)
{
	s_flash(d, in);
	d->updates_enabled = false;
}

struct pcase {
	const char *name;
	void (*setup)(struct otkd_describe *, struct otkd_plan_input *);
	enum otkd_plan_kind kind;
	enum otkd_plan_what what;
	uint32_t version;          /* checked when non-zero */
	const char *sha256;        /* checked when set */
};

#define NOTHING OTKD_PLAN_NOTHING, 0, 0, NULL
#define REFUSED OTKD_PLAN_REFUSED, 0, 0, NULL
#define SEND(w, v, h) OTKD_PLAN_SEND, OTKD_SEND_##w, v, h

static const struct pcase cases[] = {
	/* which firmware: development, lock, groups, default */
	{"on the product default: nothing", s_none, NOTHING},
	{"runs another app: the product default", s_other_app, SEND(APP, 1, APP1)},
	{"group release beats the default", s_beta, SEND(APP, 2, APP2)},
	{"highest version released to any group", s_beta_canary, SEND(APP, 4, APP4)},
	{"group names match whole, not by prefix", s_unknown_group, SEND(APP, 1, APP1)},
	{"locked version beats group releases, released or not", s_locked, SEND(APP, 3, APP3)},
	{"locked to a version the product lacks: nothing", s_locked_missing, NOTHING},
	{"locked and running it: nothing", s_locked_on_it, NOTHING},
	{"development device never updated", s_development, NOTHING},
	{"no release, no default: nothing", s_no_default, NOTHING},
	{"no user hash: Hello version on target", s_by_version, NOTHING},
	{"no user hash: Hello version differs", s_by_version_other, SEND(APP, 1, APP1)},
	{"app larger than staging: refused", s_too_large, REFUSED},
	/* standard and intelligent releases */
	{"standard release, updates disabled: waits", s_standard_disabled, NOTHING},
	{"intelligent release, updates disabled: pending", s_intelligent_disabled,
	 OTKD_PLAN_PENDING, 0, 4, NULL},
	{"intelligent release, updates enabled: sent", s_intelligent_enabled, SEND(APP, 4, APP4)},
	{"firmware_updates_forced overrides the device", s_intelligent_forced,
	 SEND(APP, 4, APP4)},
	{"device reports updates forced", s_device_forced, SEND(APP, 2, APP2)},
	/* the Safe Mode Healer, 4.0.2 -> 4.2.0 on a Boron */
	{"healer: bootloader first", s_heal_bootloader, SEND(BOOTLOADER, 1200, H("8"))},
	{"healer: then the system part", s_heal_system, SEND(SYSTEM, 4200, H("9"))},
	{"healer: done", s_healed, NOTHING},
	{"healer: radio stack before the system part", s_heal_radio, SEND(RADIO, 202, H("6"))},
	{"healer: never a downgrade", s_no_downgrade, NOTHING},
	{"healer: no catalog module satisfies: refused", s_catalog_lacks, REFUSED},
	{"healer: compressed module without flag 0x40: refused", s_compressed_no_flag, REFUSED},
	{"healer: compressed module with flag 0x40", s_compressed_flag,
	 SEND(SYSTEM, 5800, H("b"))},
	{"healer: development devices are healed", s_heal_development,
	 SEND(SYSTEM, 4200, H("9"))},
	{"healer: updates disabled: nothing", s_heal_disabled, NOTHING},
	/* Asset OTA */
	{"assets: only the missing one", s_asset_missing, SEND(ASSET, 0, ASSET_B)},
	{"assets: same name, other hash: sent", s_asset_changed, SEND(ASSET, 0, ASSET_B)},
	{"assets: same hash, other name: sent", s_asset_renamed, SEND(ASSET, 0, ASSET_A)},
	{"assets: all there (extra ones ignored): nothing", s_assets_present, NOTHING},
	{"assets: required, in no bundle: refused", s_asset_nowhere, REFUSED},
	{"assets: the app first", s_asset_app_first, SEND(APP, 2, APP2)},
	{"assets: after the healer", s_asset_after_heal, SEND(SYSTEM, 4200, H("9"))},
	/* PUT /v1/devices/:id */
	{"flash: queued file sent", s_flash, SEND(USER_FLASH, 0, APPF)},
	{"flash: installed: nothing", s_flash_installed, NOTHING},
	{"flash: its bundle's assets", s_flash_assets, SEND(ASSET, 0, ASSET_C)},
	{"flash: healer first", s_flash_after_heal, SEND(SYSTEM, 4200, H("9"))},
	{"flash: product firmware of a non-development device first", s_flash_product_first,
	 SEND(APP, 1, APP1)},
	{"flash: development device gets it", s_flash_development, SEND(USER_FLASH, 0, APPF)},
	{"flash: updates disabled: nothing", s_flash_disabled, NOTHING},
};

static void test_table(void **state)
{
	(void)state;
	int failed = 0;
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct pcase *c = &cases[i];
		struct otkd_describe d;
		struct otkd_plan_input in;
		struct otkd_plan_action a;
		base(&d, &in);
		c->setup(&d, &in);
		assert_int_equal(otkd_plan(&d, &in, &a), OTK_OK);
		bool ok = a.kind == c->kind;
		if (ok && c->kind == OTKD_PLAN_SEND)
			ok = a.what == c->what;
		if (ok && c->version)
			ok = a.version == c->version;
		if (ok && c->sha256)
			ok = strcmp(a.sha256, c->sha256) == 0;
		if (!ok) {
			print_message("FAIL %s: got kind %d %s version %u %.8s (%s)\n", c->name,
				      a.kind, otkd_plan_what_name(a.what), a.version, a.sha256,
				      a.note);
			failed++;
		}
	}
	assert_int_equal(failed, 0);
}

/* The details of single actions beyond the table's columns. */
static void test_action_fields(void **state)
{
	(void)state;
	struct otkd_describe d;
	struct otkd_plan_input in;
	struct otkd_plan_action a;

	base(&d, &in);
	s_heal_bootloader(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_int_equal(a.function, OTKD_MOD_BOOTLOADER);
	assert_int_equal(a.index, 0);
	assert_false(a.compress_ok);
	assert_non_null(strstr(a.note, "4.2.0"));

	base(&d, &in);
	s_compressed_flag(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_true(a.compress_ok);

	base(&d, &in);
	s_asset_changed(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_string_equal(a.asset_name, "b.txt");
	assert_int_equal(a.function, OTKD_MOD_ASSET);
	assert_int_equal(a.size, 200);

	base(&d, &in);
	s_intelligent_enabled(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_true(a.intelligent);
	assert_int_equal(a.function, OTKD_MOD_USER);

	base(&d, &in);
	s_flash(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_int_equal(a.flash_id, 7);
	s_flash_installed(&d, &in);
	otkd_plan(&d, &in, &a);
	assert_int_equal(a.kind, OTKD_PLAN_NOTHING);
	assert_int_equal(a.flash_id, 7);   /* the wrapper marks it delivered */
}

/* --- otkd_plan_next() over SQLite ------------------------------------------ */

#define DEV "e00fce68aaaaaaaaaaaaaaaa"
#define DEV2 "e00fce68bbbbbbbbbbbbbbbb"

static struct otkd_store *fresh_store(void)
{
	char *dir = otk_test_path("%s/planner-store-%d", otk_test_tmpdir(), (int)getpid());
	char *cmd = otk_test_path("rm -rf '%s' && mkdir -p '%s'", dir, dir);
	assert_int_equal(system(cmd), 0);
	struct otkd_store *st = NULL;
	char msg[256];
	assert_int_equal(otkd_store_sqlite_open(dir, 1, &st, msg, sizeof msg), OTK_OK);
	free(cmd);
	free(dir);
	return st;
}

static void add_firmware(struct otkd_store *st, int64_t pid, uint32_t v, const char *app,
			 const struct otkd_asset *assets, size_t n)
{
	struct otkd_firmware f;
	memset(&f, 0, sizeof f);
	f.product_id = pid;
	f.version = v;
	snprintf(f.title, sizeof f.title, "v%u", v);
	snprintf(f.filename, sizeof f.filename, "app%u.bin", v);
	f.size = f.app_size = 40000;
	snprintf(f.sha256, sizeof f.sha256, "%s", app);
	snprintf(f.app_sha256, sizeof f.app_sha256, "%s", app);
	assert_int_equal(st->ops->firmware_add(st, &f, assets, n), OTK_OK);
}

static void test_store_wrapper(void **state)
{
	(void)state;
	struct otkd_store *st = fresh_store();
	struct otkd_user u = {.username = "alice", .password_hash = "x"};
	assert_int_equal(st->ops->user_add(st, &u), OTK_OK);
	struct otkd_product p = {.slug = "p", .name = "p", .platform_id = BORON};
	assert_int_equal(st->ops->product_add(st, &p, u.id), OTK_OK);
	assert_int_equal(st->ops->product_device_add(st, p.id, DEV, BORON), OTK_OK);
	const char *groups[] = {"beta"};
	struct otkd_device_update du = {.set_groups = true, .groups = groups, .ngroups = 1};
	assert_int_equal(st->ops->product_device_update(st, p.id, DEV, &du), OTK_OK);
	add_firmware(st, p.id, 1, APP1, fw1_assets, 2);
	add_firmware(st, p.id, 2, APP2, NULL, 0);
	struct otkd_release r1 = {.version = 1, .product_default = true};
	assert_int_equal(st->ops->firmware_release(st, p.id, &r1), OTK_OK);
	assert_int_equal(st->ops->dos_import(st, &catalog[3], 3), OTK_OK);   /* 4.2.0 */
	assert_int_equal(st->ops->dos_import(st, &catalog[0], 3), OTK_OK);   /* 4.0.2 */

	struct otkd_describe d;
	struct otkd_plan_input in;
	struct otkd_plan_action a;
	base(&d, &in);
	runs(&d, APP0);
	assert_int_equal(otkd_plan_next(st, DEV, &d, &a), OTK_OK);
	assert_int_equal(a.kind, OTKD_PLAN_SEND);
	assert_int_equal(a.version, 1);

	/* released to beta: the device's group wins over the default */
	struct otkd_release r2 = {.version = 2, .groups = groups, .ngroups = 1};
	assert_int_equal(st->ops->firmware_release(st, p.id, &r2), OTK_OK);
	assert_int_equal(otkd_plan_next(st, DEV, &d, &a), OTK_OK);
	assert_int_equal(a.version, 2);
	assert_string_equal(a.sha256, APP2);

	/* on version 2, needing 4.2.0: the bootloader from the catalog */
	runs(&d, APP2);
	app_needs(&d, 4200);
	assert_int_equal(otkd_plan_next(st, DEV, &d, &a), OTK_OK);
	assert_int_equal(a.what, OTKD_SEND_BOOTLOADER);
	assert_string_equal(a.sha256, H("8"));

	/* locked to 1: its bundle's assets come from the store */
	struct otkd_device_update lock = {.set_desired = true, .has_desired = true,
					  .desired_firmware_version = 1};
	assert_int_equal(st->ops->product_device_update(st, p.id, DEV, &lock), OTK_OK);
	base(&d, &in);
	s_asset_missing(&d, &in);
	assert_int_equal(otkd_plan_next(st, DEV, &d, &a), OTK_OK);
	assert_int_equal(a.what, OTKD_SEND_ASSET);
	assert_string_equal(a.asset_name, "b.txt");

	/* a device outside products, flashed with PUT: sent, then delivered */
	assert_int_equal(st->ops->device_set_key(st, DEV2, "ecc", "pem", "fp2"), OTK_OK);
	struct otkd_flash f = {.device_id = DEV2, .filename = "f.bin", .size = 40000,
			       .sha256 = APPF, .app_sha256 = APPF};
	assert_int_equal(st->ops->device_flash_add(st, &f, flash_assets, 1), OTK_OK);
	base(&d, &in);
	assert_int_equal(otkd_plan_next(st, DEV2, &d, &a), OTK_OK);
	assert_int_equal(a.what, OTKD_SEND_USER_FLASH);
	assert_int_equal(a.flash_id, f.id);
	runs(&d, APPF);
	assert_int_equal(otkd_plan_next(st, DEV2, &d, &a), OTK_OK);
	assert_int_equal(a.kind, OTKD_PLAN_NOTHING);
	struct otkd_flash g;
	struct otkd_asset *ga = NULL;
	size_t gn = 0;
	assert_int_equal(st->ops->device_flash_pending(st, DEV2, &g, &ga, &gn), OTK_ENOTFOUND);
	free(ga);

	assert_int_equal(otkd_plan_next(st, "e00fce68cccccccccccccccc", &d, &a), OTK_ENOTFOUND);
	st->ops->close(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_table),
		cmocka_unit_test(test_action_fields),
		cmocka_unit_test(test_store_wrapper),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
