/*
 * The flashing planner on a table of cases, one rule of spec 04 ("Flashing
 * rules of the reference CLI") per row.  Modules are built here; a plan is
 * written as one line ("C boot | D sys@0x30000 | ... | leave") and
 * compared with the row's expectation.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "otk/error.h"
#include "otk/flash_plan.h"
#include "otk/module.h"

#define ARGON 12
#define BORON 13
#define P2 32

/* A module to build: name, platform, function, index, version, start,
 * first dependency (function, index, version), flags; `asset` rows are
 * plain data with a name and a hash byte; `dep_asset` gives the app one
 * ASSET_DEPENDENCY (name and hash byte). */
struct mod {
	const char *name;
	uint16_t platform;
	uint8_t function, index;
	uint16_t version;
	uint32_t start;
	uint8_t dep_fn, dep_idx;
	uint16_t dep_ver;
	uint8_t flags;
	bool asset, corrupt;
	uint8_t hash;
	const char *dep_asset;
	uint8_t dep_hash;
};

#define BOOT(v) { "boot", ARGON, OTK_FUNC_BOOTLOADER, 0, v, 0xf4000, 0, 0, 0, 0, false, false, 0, NULL, 0 }
#define SYS(v, bv) { "sys", ARGON, OTK_FUNC_SYSTEM, 1, v, 0x30000, OTK_FUNC_BOOTLOADER, 0, bv, 0, false, false, 0, NULL, 0 }
#define APP(sv) { "app", ARGON, OTK_FUNC_USER, 1, 6, 0xb4000, OTK_FUNC_SYSTEM, 1, sv, 0, false, false, 0, NULL, 0 }
#define TINKER(sv) { "tinker", ARGON, OTK_FUNC_USER, 1, 6, 0xb4000, OTK_FUNC_SYSTEM, 1, sv, 0, false, false, 0, NULL, 0 }
#define RADIO { "radio", ARGON, OTK_FUNC_RADIO_STACK, 0, 202, 0x1000, OTK_FUNC_SYSTEM, 1, 1300, OTK_FLAG_DROP_MODULE_INFO, false, false, 0, NULL, 0 }
#define NCP { "ncp", ARGON, OTK_FUNC_NCP, 0, 5, 0, 0, 0, 0, 0, false, false, 0, NULL, 0 }
#define ASSET(n, h) { n, 0, 0, 0, 0, 0, 0, 0, 0, 0, true, false, h, NULL, 0 }
#define END { NULL, 0, 0, 0, 0, 0, 0, 0, 0, 0, false, false, 0, NULL, 0 }

struct row {
	const char *rule;
	struct mod files[6];
	uint16_t platform;
	bool in_dfu;
	uint16_t installed_system;             /* 0: module info unknown */
	const char *on_device[2];              /* assets the device holds, hash byte 1 */
	const char *target;
	bool allow, dos_only;
	bool with_releases;                    /* catalog: 5.6.0, 5.8.0, 6.1.1 for argon */
	int rc;
	const char *plan;                      /* expected, or the error's words */
};

static const struct row rows[] = {
	{ "an app alone by DFU at its address, 0xD4000 invalidated first (Device OS >= 3103)",
	  { APP(5800), END }, ARGON, false, 5800, { 0 }, NULL, false, false, false, OTK_OK,
	  "D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "no legacy-slot erase for an app built for Device OS < 3103",
	  { APP(3000), END }, ARGON, false, 3000, { 0 }, NULL, false, false, false, OTK_OK,
	  "D app@0xb4000 | leave" },
	{ "no legacy-slot erase on a platform without the former user part (P2)",
	  { { "app", P2, OTK_FUNC_USER, 1, 6, 0x085f4000, OTK_FUNC_SYSTEM, 1, 5800, 0, false, false, 0, NULL, 0 }, END },
	  P2, false, 5800, { 0 }, NULL, false, false, false, OTK_OK, "D app@0x85f4000 | leave" },
	{ "dependencies first; bootloader by control requests before the DFU steps",
	  { APP(5800), SYS(5800, 2600), BOOT(2600), END }, ARGON, false, 5600, { 0 }, NULL, false,
	  false, false, OTK_OK,
	  "C boot | D sys@0x30000 | D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "a device already in DFU: DFU steps first, no DFU leave after a control step",
	  { BOOT(2600), SYS(5800, 2600), END }, ARGON, true, 0, { 0 }, NULL, false, false, false,
	  OTK_OK, "D sys@0x30000 | C boot" },
	{ "assets last; one the device holds (name and hash) is skipped",
	  { ASSET("a1", 1), ASSET("a2", 1), APP(3000), END }, ARGON, false, 3000, { "a2", NULL },
	  NULL, false, false, false, OTK_OK, "D app@0xb4000 | A a1 | A a2 (skip)" },
	{ "an asset with the same name but another hash is sent",
	  { APP(3000), ASSET("a1", 2), END }, ARGON, false, 3000, { "a1", NULL }, NULL, false,
	  false, false, OTK_OK, "D app@0xb4000 | A a1" },
	{ "DFU leave when every asset is skipped and the last step sent is DFU",
	  { APP(3000), ASSET("a1", 1), END }, ARGON, false, 3000, { "a1", NULL }, NULL, false,
	  false, false, OTK_OK, "D app@0xb4000 | A a1 (skip) | leave" },
	{ "assets are exempt from the module checks",
	  { ASSET("notamodule", 3), END }, ARGON, false, 0, { 0 }, NULL, false, false, false,
	  OTK_OK, "A notamodule" },
	{ "a bad CRC is refused before anything is planned",
	  { APP(3000), { "sys", ARGON, OTK_FUNC_SYSTEM, 1, 5800, 0x30000, 0, 0, 0, 0, false, true, 0, NULL, 0 }, END },
	  ARGON, false, 0, { 0 }, NULL, false, false, false, OTK_ECRC, "sys: CRC mismatch" },
	{ "a module for another platform is refused",
	  { APP(3000), { "other", BORON, OTK_FUNC_USER, 1, 6, 0xb4000, 0, 0, 0, 0, false, false, 0, NULL, 0 }, END },
	  ARGON, false, 0, { 0 }, NULL, false, false, false, OTK_EINVAL,
	  "other: built for boron (platform 13), the device is argon (platform 12)" },
	{ "radio stack and NCP dropped unless asked for",
	  { RADIO, NCP, APP(3000), END }, ARGON, false, 3000, { 0 }, NULL, false, false, false,
	  OTK_OK, "D app@0xb4000 | leave" },
	{ "asked for: NCP by control requests, radio stack by DFU with its prefix stripped",
	  { RADIO, NCP, END }, ARGON, false, 0, { 0 }, NULL, true, false, false, OTK_OK,
	  "C ncp | D radio@0x1000 stripped | leave" },
	{ "encrypted modules are dropped (P2 bootloader 1)",
	  { { "enc", P2, OTK_FUNC_BOOTLOADER, 1, 5, 0x08000000, 0, 0, 0, 0, false, false, 0, NULL, 0 },
	    { "app", P2, OTK_FUNC_USER, 1, 6, 0x085f4000, OTK_FUNC_SYSTEM, 1, 3000, 0, false, false, 0, NULL, 0 }, END },
	  P2, false, 3000, { 0 }, NULL, false, false, false, OTK_OK, "D app@0x85f4000 | leave" },
	{ "Device OS added when the device's is older than the app needs (that release, no Tinker)",
	  { APP(5800), END }, ARGON, false, 5600, { 0 }, NULL, false, false, true, OTK_OK,
	  "C boot@5.8.0 | D sys@5.8.0@0x30000 | D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "no Device OS when the device's is new enough",
	  { APP(5600), END }, ARGON, false, 5800, { 0 }, NULL, false, false, true, OTK_OK,
	  "D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "no Device OS when the device's version is unknown",
	  { APP(5800), END }, ARGON, false, 0, { 0 }, NULL, false, false, true, OTK_OK,
	  "D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "--target adds that release even when the device is newer",
	  { APP(3000), END }, ARGON, false, 6101, { 0 }, "5.6.0", false, false, true, OTK_OK,
	  "C boot@5.6.0 | D sys@5.6.0@0x30000 | D app@0xb4000 | leave" },
	{ "--target naming a release the catalog lacks is refused",
	  { APP(3000), END }, ARGON, false, 0, { 0 }, "9.9.9", false, false, true, OTK_ENOTFOUND,
	  "Device OS 9.9.9 for argon is not in the catalog" },
	{ "the app needs a Device OS the catalog lacks: refused",
	  { APP(5900), END }, ARGON, false, 5600, { 0 }, NULL, false, false, false, OTK_ENOTFOUND,
	  "needs Device OS with system part version 5900" },
	{ "system parts given: no Device OS added, even with --target",
	  { SYS(5800, 2600), APP(5800), END }, ARGON, false, 5600, { 0 }, "6.1.1", false, false,
	  true, OTK_OK, "D sys@0x30000 | D invalidate-128k-user-part@0xd4000/4096 | D app@0xb4000 | leave" },
	{ "update: the newest release, bootloader first, no user part",
	  { END }, ARGON, false, 5600, { 0 }, NULL, false, true, true, OTK_OK,
	  "C boot@6.1.1 | D sys@6.1.1@0x30000 | leave" },
	{ "update --target downgrades in the same order",
	  { END }, ARGON, false, 6101, { 0 }, "5.6.0", false, true, true, OTK_OK,
	  "C boot@5.6.0 | D sys@5.6.0@0x30000 | leave" },
	{ "a bundle asset whose hash differs from the app's dependency is refused",
	  { { "app", ARGON, OTK_FUNC_USER, 1, 6, 0xb4000, OTK_FUNC_SYSTEM, 1, 3000, 0, false, false, 0, "a1", 7 },
	    ASSET("a1", 1), END },
	  ARGON, false, 0, { 0 }, NULL, false, false, false, OTK_ESHA, "a1: hash mismatch" },
	{ "a bundle asset with the app's hash is planned",
	  { { "app", ARGON, OTK_FUNC_USER, 1, 6, 0xb4000, OTK_FUNC_SYSTEM, 1, 3000, 0, false, false, 0, "a1", 1 },
	    ASSET("a1", 1), END },
	  ARGON, false, 0, { 0 }, NULL, false, false, false, OTK_OK, "D app@0xb4000 | A a1" },
	{ "a compressed module cannot go by DFU",
	  { { "z", ARGON, OTK_FUNC_SYSTEM, 1, 5800, 0x30000, 0, 0, 0, OTK_FLAG_COMPRESSED, false, false, 0, NULL, 0 }, END },
	  ARGON, false, 0, { 0 }, NULL, false, false, false, OTK_EUNSUPPORTED,
	  "z: a compressed module cannot be written by DFU" },
};

struct built {
	struct otk_flash_file f[8];
	uint8_t *buf[8];
	size_t n;
};

static void build(const struct mod *m, struct otk_flash_file *f, uint8_t **keep)
{
	static uint8_t body[256];
	memset(f, 0, sizeof *f);
	f->name = m->name;
	if (m->asset) {
		*keep = malloc(64);
		memset(*keep, m->hash, 64);
		f->data = *keep;
		f->len = 64;
		f->asset = true;
		f->asset_name = m->name;
		memset(f->asset_hash, m->hash, sizeof f->asset_hash);
		return;
	}
	memset(body, 0x5a, sizeof body);
	struct otk_module_spec s = { 0 };
	s.prefix.platform = m->platform;
	s.prefix.function = m->function;
	s.prefix.index = m->index;
	s.prefix.version = m->version;
	s.prefix.flags = m->flags;
	s.prefix.dep[0] = (struct otk_dependency){ m->dep_fn, m->dep_idx, m->dep_ver };
	s.start = m->start;
	uint8_t sext[128];
	if (m->dep_asset) {
		uint8_t h[OTK_SHA256_LEN];
		memset(h, m->dep_hash, sizeof h);
		long k = otk_ext_put_asset(sext, sizeof sext, OTK_EXT_ASSET_DEPENDENCY, h, m->dep_asset,
					   strlen(m->dep_asset));
		assert_true(k > 0);
		s.sext = sext;
		s.sext_len = (uint32_t)k;
	}
	size_t cap = sizeof body + 512, len;
	*keep = malloc(cap);
	assert_int_equal(otk_module_build(&s, body, sizeof body, *keep, cap, &len), OTK_OK);
	if (m->corrupt)
		(*keep)[40] ^= 1;
	f->data = *keep;
	f->len = len;
}

static void build_set(const struct mod *m, size_t max, struct built *b)
{
	memset(b, 0, sizeof *b);
	for (size_t i = 0; i < max && m[i].name; i++, b->n++)
		build(&m[i], &b->f[i], &b->buf[i]);
}

static void free_set(struct built *b)
{
	for (size_t i = 0; i < b->n; i++)
		free(b->buf[i]);
}

/* The plan as one line; release modules carry "@VERSION". */
static void describe(const struct otk_flash_plan *p, const struct built *rels, size_t nrels,
		     const char *const *names, char *out, size_t cap)
{
	size_t k = 0;
	out[0] = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct otk_flash_step *s = &p->steps[i];
		const char *from = "";
		for (size_t r = 0; r < nrels; r++)
			for (size_t j = 0; j < rels[r].n; j++)
				if (rels[r].f[j].name == s->name && s->data >= rels[r].f[j].data &&
				    s->data < rels[r].f[j].data + rels[r].f[j].len)
					from = names[r];
		char w = s->way == OTK_FLASH_CONTROL ? 'C' : s->way == OTK_FLASH_DFU ? 'D' : 'A';
		k += (size_t)snprintf(out + k, cap - k, "%s%c %s%s%s", i ? " | " : "", w, s->name,
				      *from ? "@" : "", from);
		if (s->way == OTK_FLASH_DFU) {
			k += (size_t)snprintf(out + k, cap - k, "@0x%x", s->address);
			if (s->function == 0)
				k += (size_t)snprintf(out + k, cap - k, "/%zu", s->len);
		}
		if (s->way == OTK_FLASH_DFU && s->function == OTK_FUNC_RADIO_STACK && s->data[0] != 0x00)
			k += (size_t)snprintf(out + k, cap - k, " stripped");
		if (s->skip)
			k += (size_t)snprintf(out + k, cap - k, " (skip)");
	}
	if (p->leave_dfu)
		snprintf(out + k, cap - k, " | leave");
}

static void run_row(const struct row *r, const struct built *rels, size_t nrels,
		    const struct otk_flash_release *releases, const char *const *names)
{
	struct built b;
	build_set(r->files, 6, &b);
	struct otk_flash_installed inst[2] = {
		{ OTK_FUNC_SYSTEM, 1, r->installed_system },
		{ OTK_FUNC_BOOTLOADER, 0, 2400 },
	};
	struct otk_flash_asset assets[2];
	size_t na = 0;
	for (int i = 0; i < 2 && r->on_device[i]; i++) {
		assets[na].name = r->on_device[i];
		memset(assets[na].hash, 1, OTK_SHA256_LEN);
		na++;
	}
	struct otk_flash_device dev = { r->platform, r->in_dfu, inst, r->installed_system ? 2 : 0,
					assets, na };
	struct otk_flash_opts o = { r->target, r->allow, r->dos_only,
				    r->with_releases ? releases : NULL, r->with_releases ? 3 : 0 };
	struct otk_flash_plan p;
	char err[512] = "", got[1024];
	int rc = otk_flash_plan_make(b.f, b.n, &dev, &o, &p, err, sizeof err);
	print_message("rule: %s\n", r->rule);
	if (rc == OTK_OK)
		describe(&p, rels, nrels, names, got, sizeof got);
	else
		snprintf(got, sizeof got, "%s", err);
	if (rc != r->rc || (rc == OTK_OK ? strcmp(got, r->plan) != 0 : !strstr(got, r->plan)))
		fail_msg("rule: %s\n  rc %d (want %d)\n  got:  %s\n  want: %s", r->rule, rc, r->rc,
			 got, r->plan);
	if (rc != OTK_OK)
		assert_int_equal(p.n, 0);
	otk_flash_plan_free(&p);
	free_set(&b);
}

static void test_rules(void **state)
{
	(void)state;
	/* the catalog's argon releases; each carries Tinker and a radio stack */
	static const struct mod r560[] = { BOOT(2400), SYS(5600, 2400), TINKER(5600), RADIO, END };
	static const struct mod r580[] = { SYS(5800, 2600), BOOT(2600), TINKER(5800), RADIO, END };
	static const struct mod r611[] = { BOOT(3001), SYS(6101, 3001), TINKER(6101), RADIO, END };
	static const char *const names[] = { "5.6.0", "5.8.0", "6.1.1" };
	struct built rels[3];
	build_set(r560, 6, &rels[0]);
	build_set(r580, 6, &rels[1]);
	build_set(r611, 6, &rels[2]);
	struct otk_flash_release releases[3] = {
		{ "5.6.0", 5600, rels[0].f, rels[0].n },
		{ "5.8.0", 5800, rels[1].f, rels[1].n },
		{ "6.1.1", 6101, rels[2].f, rels[2].n },
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++)
		run_row(&rows[i], rels, 3, releases, names);
	for (int i = 0; i < 3; i++)
		free_set(&rels[i]);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rules),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
