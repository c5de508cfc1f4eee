/*
 * The system describe decoder (server/describe_parse.c): a Boron's JSON
 * describe as Device OS 4.0.2 sends it, a protobuf SystemDescribe as 5.5+
 * sends it (built here with protobuf-c), and what each refuses.  With
 * OTK_DESCRIBE_CORPUS=DIR set it also writes the two good payloads there as
 * fuzz/corpus/describe seeds (first byte: 0 JSON, 1 protobuf).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "planner.h"
#include "testutil.h"

#ifdef OTK_HAVE_PROTOS
#include "cloud/describe.pb-c.h"
#endif

#define USER_HASH "6b86b273ff34fce19d6b804eff5a3f5747ada4eaa22f1d49c01e52ddb7875b4b"

/* Device OS 4.0.2 on a Boron: bootloader, SoftDevice, system part, an app
 * needing system 4006, a factory app, an NCP. */
static const char boron_json[] =
	"{\"p\":13,\"imei\":\"352753090000000\",\"iccid\":\"89014103270000000000\",\"m\":["
	"{\"s\":49152,\"l\":\"m\",\"vc\":30,\"vv\":30,\"f\":\"b\",\"n\":\"0\",\"v\":1101,\"d\":[]},"
	"{\"s\":192512,\"l\":\"m\",\"vc\":30,\"vv\":30,\"f\":\"a\",\"n\":\"0\",\"v\":202,\"d\":[]},"
	"{\"s\":671744,\"l\":\"m\",\"vc\":30,\"vv\":30,\"f\":\"s\",\"n\":\"1\",\"v\":4006,\"d\":["
	"{\"f\":\"b\",\"n\":\"0\",\"v\":1101,\"_\":\"\"},{\"f\":\"a\",\"n\":\"0\",\"v\":202,\"_\":\"\"}]},"
	"{\"s\":262144,\"l\":\"m\",\"vc\":30,\"vv\":26,\"u\":\"" USER_HASH "\",\"f\":\"u\","
	"\"n\":\"2\",\"v\":6,\"d\":[{\"f\":\"s\",\"n\":\"1\",\"v\":4200,\"_\":\"\"},"
	"{\"f\":\"n\",\"n\":\"0\",\"v\":0,\"_\":\"\"}]},"
	"{\"s\":262144,\"l\":\"f\",\"vc\":30,\"vv\":30,\"u\":\"" USER_HASH "\",\"f\":\"u\","
	"\"n\":\"2\",\"v\":6,\"d\":[]},"
	"{\"s\":1048576,\"l\":\"m\",\"vc\":0,\"vv\":0,\"f\":\"c\",\"n\":\"0\",\"v\":7,\"d\":[]}]}";

static int parse_json(const char *s, struct otkd_describe *d, char *err, size_t errlen)
{
	return otkd_describe_parse((const uint8_t *)s, strlen(s), OTKD_CF_JSON, d, err, errlen);
}

static void write_seed(const char *name, uint8_t kind, const uint8_t *p, size_t len)
{
	const char *dir = getenv("OTK_DESCRIBE_CORPUS");
	if (!dir)
		return;
	char *path = otk_test_path("%s/%s", dir, name);
	FILE *f = fopen(path, "wb");
	assert_non_null(f);
	fwrite(&kind, 1, 1, f);
	fwrite(p, 1, len, f);
	fclose(f);
	free(path);
}

static void test_json_boron(void **state)
{
	(void)state;
	static struct otkd_describe d;
	char err[256];
	memset(&d, 0, sizeof d);
	d.platform_id = 13;        /* Hello fields stay as they are */
	d.product_version = 6;
	assert_int_equal(parse_json(boron_json, &d, err, sizeof err), OTK_OK);
	write_seed("boron-4.0.2.json", 0, (const uint8_t *)boron_json, strlen(boron_json));
	assert_int_equal(d.platform_id, 13);
	assert_int_equal(d.product_version, 6);
	assert_true(d.has_platform);
	assert_int_equal(d.describe_platform, 13);
	assert_int_equal(d.nmodules, 6);
	assert_int_equal(d.modules[0].function, OTKD_MOD_BOOTLOADER);
	assert_int_equal(d.modules[0].version, 1101);
	assert_int_equal(d.modules[0].max_size, 49152);
	assert_int_equal(d.modules[1].function, OTKD_MOD_RADIO_STACK);
	const struct otkd_desc_module *sys = &d.modules[2];
	assert_int_equal(sys->function, OTKD_MOD_SYSTEM);
	assert_int_equal(sys->index, 1);
	assert_int_equal(sys->ndeps, 2);
	assert_int_equal(sys->deps[0].function, OTKD_MOD_BOOTLOADER);
	assert_int_equal(sys->deps[1].function, OTKD_MOD_RADIO_STACK);
	assert_int_equal(sys->deps[1].version, 202);
	const struct otkd_desc_module *app = &d.modules[3];
	assert_int_equal(app->function, OTKD_MOD_USER);
	assert_int_equal(app->index, 2);         /* "n" is a string */
	assert_int_equal(app->store, OTKD_STORE_MAIN);
	assert_int_equal(app->checked, 30);
	assert_int_equal(app->passed, 26);       /* dependencies failed */
	assert_true(app->has_hash);
	assert_int_equal(app->hash[0], 0x6b);
	assert_int_equal(app->hash[31], 0x4b);
	assert_int_equal(app->ndeps, 1);         /* the "n" (none) dependency is dropped */
	assert_int_equal(app->deps[0].version, 4200);
	assert_int_equal(d.modules[4].store, OTKD_STORE_FACTORY);
	assert_int_equal(d.modules[5].function, OTKD_MOD_NCP);
	assert_int_equal(d.nassets, 0);
}

/* The JSON describe straight into the planner: the app needs 4.2.0, the
 * device has 4.0.2, the catalog has 4.2.0: the bootloader comes first. */
static void test_json_into_planner(void **state)
{
	(void)state;
	static struct otkd_describe d;
	char err[256];
	memset(&d, 0, sizeof d);
	d.platform_id = 13;
	d.updates_enabled = true;
	assert_int_equal(parse_json(boron_json, &d, err, sizeof err), OTK_OK);
	struct otkd_dos_module cat[] = {
		{.version = "4.2.0", .platform_id = 13, .function = 2, .index = 0,
		 .module_version = 1200, .sha256 = "b1"},
		{.version = "4.2.0", .platform_id = 13, .function = 4, .index = 1,
		 .module_version = 4200, .dep_function = 2, .dep_version = 1200, .sha256 = "s1"},
	};
	struct otkd_plan_input in = {.ncatalog = 2, .catalog = cat};
	struct otkd_plan_action a;
	otkd_plan(&d, &in, &a);
	assert_int_equal(a.kind, OTKD_PLAN_SEND);
	assert_int_equal(a.what, OTKD_SEND_BOOTLOADER);
	assert_string_equal(a.sha256, "b1");
}

struct bad {
	const char *json;
	const char *says;          /* part of the error text */
};

static void test_json_refused(void **state)
{
	(void)state;
	static const struct bad bads[] = {
		{"", "not JSON"},
		{"[1,2]", "not a JSON object"},
		{"{\"p\":13}", "no module list"},
		{"{\"m\":{}}", "no module list"},
		{"{\"p\":-1,\"m\":[]}", "platform"},
		{"{\"m\":[7]}", "module 0 is not an object"},
		{"{\"m\":[{\"f\":\"q\",\"n\":\"0\",\"v\":1}]}", "function letter"},
		{"{\"m\":[{\"f\":\"bb\",\"n\":\"0\",\"v\":1}]}", "function letter"},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"x\",\"v\":1}]}", "\"n\" or \"v\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"256\",\"v\":1}]}", "\"n\" or \"v\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"1\",\"v\":65536}]}", "\"n\" or \"v\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"1\",\"v\":-3}]}", "\"n\" or \"v\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"\",\"v\":1}]}", "\"n\" or \"v\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"1\",\"v\":1,\"l\":\"z\"}]}", "\"l\""},
		{"{\"m\":[{\"f\":\"s\",\"n\":\"1\",\"v\":1,\"s\":-5}]}", "32-bit"},
		{"{\"m\":[{\"f\":\"u\",\"n\":\"1\",\"v\":1,\"u\":\"abc\"}]}", "64 hex"},
		{"{\"m\":[{\"f\":\"u\",\"n\":\"1\",\"v\":1,\"u\":\"" USER_HASH "0\"}]}", "64 hex"},
		{"{\"m\":[{\"f\":\"u\",\"n\":\"1\",\"v\":1,\"d\":{}}]}", "\"d\" is not an array"},
		{"{\"m\":[{\"f\":\"u\",\"n\":\"1\",\"v\":1,\"d\":[3]}]}", "dependency 0"},
		{"{\"m\":[{\"f\":\"u\",\"n\":\"1\",\"v\":1,\"d\":[{\"f\":\"s\",\"n\":\"1\",\"v\":1},"
		 "{\"f\":\"b\",\"n\":\"0\",\"v\":1},{\"f\":\"a\",\"n\":\"0\",\"v\":1}]}]}",
		 "more than 2"},
		{"{\"m\":[],\"m\":[]}", "not JSON"},
	};
	static struct otkd_describe d;
	char err[256];
	for (size_t i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		memset(&d, 0, sizeof d);
		int rc = parse_json(bads[i].json, &d, err, sizeof err);
		if (rc != OTK_EINVAL || !strstr(err, bads[i].says))
			fail_msg("%s: rc %d, error \"%s\", wanted \"%s\"", bads[i].json, rc, err,
				 bads[i].says);
		assert_int_equal(d.nmodules, 0);   /* nothing half-filled */
	}
}

static void test_json_bounds(void **state)
{
	(void)state;
	static struct otkd_describe d;
	char err[256];
	/* 32 modules fit, 33 do not */
	for (int n = 32; n <= 33; n++) {
		char *s = malloc(64 * 40);
		assert_non_null(s);
		strcpy(s, "{\"m\":[");
		for (int i = 0; i < n; i++)
			strcat(s, i ? ",{\"f\":\"s\",\"n\":\"1\",\"v\":1}" : "{\"f\":\"s\",\"n\":\"1\",\"v\":1}");
		strcat(s, "]}");
		int rc = parse_json(s, &d, err, sizeof err);
		assert_int_equal(rc, n == 32 ? OTK_OK : OTK_EINVAL);
		if (n == 33)
			assert_non_null(strstr(err, "33 modules"));
		free(s);
	}
	/* over 16 KiB: refused before parsing */
	size_t big = 16385;
	char *s = malloc(big + 1);
	assert_non_null(s);
	memset(s, ' ', big);
	s[big] = '\0';
	assert_int_equal(parse_json(s, &d, err, sizeof err), OTK_EINVAL);
	assert_non_null(strstr(err, "16385 bytes"));
	free(s);
}

#ifdef OTK_HAVE_PROTOS

#define ASSET_A_HASH 0xa1
#define ASSET_B_HASH 0xb2

struct pb_world {
	Particle__Cloud__SystemDescribe sd;
	Particle__Cloud__FirmwareModule mods[3], *modp[3];
	Particle__Cloud__FirmwareModuleDependency deps[2], *depp[2];
	Particle__Cloud__FirmwareModuleAsset req[2], *reqp[2];
	Particle__Cloud__FirmwareModuleAsset avail[1], *availp[1];
	uint8_t hash_a[32], hash_b[32], hash_user[32];
};

static void pb_asset(Particle__Cloud__FirmwareModuleAsset *a, const char *name, uint8_t *hash,
		     uint8_t fill, uint32_t size)
{
	particle__cloud__firmware_module_asset__init(a);
	memset(hash, fill, 32);
	a->name = (char *)name;
	a->hash.data = hash;
	a->hash.len = 32;
	a->size = size;
	a->storage_size = size + 200;
}

/* A P2 on Device OS 5.8.0: system part, an app requiring two assets, one
 * of which the device has. */
static void pb_world_init(struct pb_world *w)
{
	memset(w, 0, sizeof *w);
	particle__cloud__system_describe__init(&w->sd);
	for (int i = 0; i < 3; i++) {
		particle__cloud__firmware_module__init(&w->mods[i]);
		w->modp[i] = &w->mods[i];
	}
	w->mods[0].type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__BOOTLOADER_MODULE;
	w->mods[0].version = 2300;
	w->mods[0].max_size = 65536;
	w->mods[1].type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__SYSTEM_PART_MODULE;
	w->mods[1].index = 1;
	w->mods[1].version = 5800;
	w->mods[1].checked_flags = 30;
	w->mods[1].passed_flags = 30;
	Particle__Cloud__FirmwareModule *u = &w->mods[2];
	u->type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__USER_PART_MODULE;
	u->index = 1;
	u->version = 6;
	u->store = PARTICLE__CLOUD__FIRMWARE_MODULE_STORE__MAIN_MODULE_STORE;
	u->checked_flags = 30;
	u->passed_flags = 30;
	u->size = 12345;
	memset(w->hash_user, 0x5c, 32);
	u->_hash_case = PARTICLE__CLOUD__FIRMWARE_MODULE___HASH_HASH;
	u->hash.data = w->hash_user;
	u->hash.len = 32;
	for (int i = 0; i < 2; i++) {
		particle__cloud__firmware_module_dependency__init(&w->deps[i]);
		w->depp[i] = &w->deps[i];
	}
	w->deps[0].type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__SYSTEM_PART_MODULE;
	w->deps[0].index = 1;
	w->deps[0].version = 5800;
	w->deps[1].type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__INVALID_MODULE;
	u->n_dependencies = 2;
	u->dependencies = w->depp;
	pb_asset(&w->req[0], "blinky.bin", w->hash_a, ASSET_A_HASH, 512);
	pb_asset(&w->req[1], "data.json", w->hash_b, ASSET_B_HASH, 77);
	w->reqp[0] = &w->req[0];
	w->reqp[1] = &w->req[1];
	u->n_asset_dependencies = 2;
	u->asset_dependencies = w->reqp;
	pb_asset(&w->avail[0], "blinky.bin", w->hash_a, ASSET_A_HASH, 512);
	w->availp[0] = &w->avail[0];
	w->sd.n_firmware_modules = 3;
	w->sd.firmware_modules = w->modp;
	w->sd.n_assets = 1;
	w->sd.assets = w->availp;
}

static size_t pb_pack(struct pb_world *w, uint8_t **out)
{
	size_t len = particle__cloud__system_describe__get_packed_size(&w->sd);
	*out = malloc(len + 1);
	assert_non_null(*out);
	assert_int_equal(particle__cloud__system_describe__pack(&w->sd, *out), len);
	return len;
}

static void test_pb_p2(void **state)
{
	(void)state;
	static struct pb_world w;
	static struct otkd_describe d;
	char err[256];
	uint8_t *buf;
	pb_world_init(&w);
	size_t len = pb_pack(&w, &buf);
	write_seed("p2-5.8.0.pb", 1, buf, len);
	memset(&d, 0, sizeof d);
	assert_int_equal(otkd_describe_parse(buf, len, OTKD_CF_PROTOBUF, &d, err, sizeof err),
			 OTK_OK);
	assert_false(d.has_platform);
	assert_int_equal(d.nmodules, 3);
	assert_int_equal(d.modules[0].function, OTKD_MOD_BOOTLOADER);
	assert_int_equal(d.modules[0].version, 2300);
	assert_int_equal(d.modules[1].checked, 30);
	const struct otkd_desc_module *u = &d.modules[2];
	assert_int_equal(u->function, OTKD_MOD_USER);
	assert_true(u->has_hash);
	assert_int_equal(u->hash[7], 0x5c);
	assert_int_equal(u->ndeps, 1);             /* the invalid-type one is dropped */
	assert_int_equal(u->deps[0].version, 5800);
	assert_int_equal(u->nasset_deps, 2);
	assert_string_equal(u->asset_deps[1].name, "data.json");
	assert_int_equal(u->asset_deps[1].hash[0], ASSET_B_HASH);
	assert_int_equal(u->asset_deps[1].size, 77);
	assert_int_equal(d.nassets, 1);
	assert_string_equal(d.assets[0].name, "blinky.bin");
	assert_false(d.modules[1].has_hash);

	/* and into the planner: only data.json travels */
	struct otkd_asset cloud[] = {
		{"blinky.bin", "a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1a1", 512},
		{"data.json", "b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2b2", 77},
	};
	struct otkd_plan_firmware fw = {.version = 6, .nassets = 2, .assets = cloud};
	struct otkd_plan_input in = {.nfirmware = 1, .firmware = &fw};
	struct otkd_plan_action a;
	d.updates_enabled = true;
	otkd_plan(&d, &in, &a);
	assert_int_equal(a.kind, OTKD_PLAN_SEND);
	assert_int_equal(a.what, OTKD_SEND_ASSET);
	assert_string_equal(a.asset_name, "data.json");
	free(buf);
}

static void expect_pb_refused(struct pb_world *w, const char *says)
{
	static struct otkd_describe d;
	char err[256];
	uint8_t *buf;
	size_t len = pb_pack(w, &buf);
	memset(&d, 0, sizeof d);
	int rc = otkd_describe_parse(buf, len, OTKD_CF_PROTOBUF, &d, err, sizeof err);
	if (rc != OTK_EINVAL || !strstr(err, says))
		fail_msg("rc %d, error \"%s\", wanted \"%s\"", rc, err, says);
	assert_int_equal(d.nmodules, 0);
	assert_int_equal(d.nassets, 0);
	free(buf);
}

static void test_pb_refused(void **state)
{
	(void)state;
	static struct pb_world w;
	static struct otkd_describe d;
	char err[256];

	pb_world_init(&w);
	w.mods[2].hash.len = 31;
	expect_pb_refused(&w, "hash of 31 bytes");

	pb_world_init(&w);
	w.req[1].hash.len = 20;
	expect_pb_refused(&w, "asset dependency 1 (data.json): hash of 20 bytes");

	pb_world_init(&w);
	w.avail[0].name = "";
	expect_pb_refused(&w, "asset 0: name empty");

	pb_world_init(&w);
	char longname[80];
	memset(longname, 'n', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	w.req[0].name = longname;
	expect_pb_refused(&w, "longer than 63 bytes");

	pb_world_init(&w);
	w.mods[1].version = 70000;
	expect_pb_refused(&w, "module 1: type, index, version or store out of range");

	pb_world_init(&w);
	w.mods[1].index = 300;
	expect_pb_refused(&w, "out of range");

	pb_world_init(&w);
	w.deps[1].type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__BOOTLOADER_MODULE;
	Particle__Cloud__FirmwareModuleDependency third = w.deps[0], *three[3] = {
		&w.deps[0], &w.deps[1], &third};
	w.mods[2].dependencies = three;
	w.mods[2].n_dependencies = 3;
	expect_pb_refused(&w, "more than 2 dependencies");

	/* 33 available assets: more than the planner keeps */
	pb_world_init(&w);
	Particle__Cloud__FirmwareModuleAsset *many[33];
	for (int i = 0; i < 33; i++)
		many[i] = &w.avail[0];
	w.sd.assets = many;
	w.sd.n_assets = 33;
	expect_pb_refused(&w, "33 assets");

	/* truncated and garbage bytes */
	pb_world_init(&w);
	uint8_t *buf;
	size_t len = pb_pack(&w, &buf);
	for (size_t cut = 1; cut < len; cut += 7) {
		memset(&d, 0, sizeof d);
		int rc = otkd_describe_parse(buf, len - cut, OTKD_CF_PROTOBUF, &d, err, sizeof err);
		/* a cut at a field boundary is a shorter valid message */
		if (rc != OTK_OK)
			assert_non_null(strstr(err, "not a protobuf SystemDescribe"));
	}
	free(buf);
	const uint8_t junk[] = {0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f, 0x01};
	assert_int_equal(otkd_describe_parse(junk, sizeof junk, OTKD_CF_PROTOBUF, &d, err,
					     sizeof err), OTK_EINVAL);
	/* a JSON payload announced as protobuf is refused, not misread */
	assert_int_equal(otkd_describe_parse((const uint8_t *)boron_json, strlen(boron_json),
					     OTKD_CF_PROTOBUF, &d, err, sizeof err), OTK_EINVAL);
}

#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_boron),
		cmocka_unit_test(test_json_into_planner),
		cmocka_unit_test(test_json_refused),
		cmocka_unit_test(test_json_bounds),
#ifdef OTK_HAVE_PROTOS
		cmocka_unit_test(test_pb_p2),
		cmocka_unit_test(test_pb_refused),
#endif
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
