/*
 * Boot decisions over a fake flash, and Device OS dependency semantics
 * against the real system and user parts of the shared fixtures.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/boot.h"
#include "otk/error.h"
#include "otk/layout.h"
#include "otk/module.h"
#include "testutil.h"

struct fix {
	uint8_t *data;
	size_t len;
	struct otk_prefix p;
};

static struct fix load(const char *name)
{
	struct fix f;
	char *path = otk_test_path("%s/fixtures/particle/binaries/%s", otk_test_shared(), name);
	f.data = otk_test_read(path, &f.len);
	free(path);
	struct otk_module m;
	assert_int_equal(otk_module_parse(f.data, f.len, &m), OTK_OK);
	f.p = m.prefix;
	return f;
}

static struct otk_installed inst(const struct otk_prefix *p)
{
	struct otk_installed i;
	memset(&i, 0, sizeof(i));
	i.role = otk_layout_role_for_function(p->function);
	i.index = p->index;
	i.status = OTK_OK;
	i.prefix = *p;
	return i;
}

static void test_deps_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct fix s1_040 = load("040_system-part1.bin"), s2_040 = load("040_system-part2.bin");
	struct fix s1_043 = load("043_system-part1.bin"), s2_043 = load("043_system-part2.bin");
	struct fix u_043 = load("043_user-part.bin"), u_040 = load("040_user-part.bin");
	struct fix xsys = load("080_system-part1-xenon.bin"), bsom = load("boron-som-system-part1@1.1.0-rc.1.bin");
	struct fix tbl = load("tracker-bootloader@5.6.0.bin"), tsys = load("tracker-system-part1@3.1.0-alpha.2.bin");
	struct fix ttk = load("tracker-tinker@5.3.1.bin");
	struct otk_installed set[4];
	int which = -1;

	/* photon 0.4.3 user part needs system part 2 version 3 */
	set[0] = inst(&s1_040.p);
	set[1] = inst(&s2_040.p);
	assert_int_equal(otk_deps_check(&u_043.p, set, 2, &which), OTK_EUPD_DEPENDENCY);
	assert_int_equal(which, 0);
	assert_int_equal(otk_deps_check(&u_040.p, set, 2, NULL), OTK_OK);
	/* ... and 0.4.3 system part 2 needs part 1 version 3 */
	assert_int_equal(otk_deps_check(&s2_043.p, set, 2, NULL), OTK_EUPD_DEPENDENCY);
	set[0] = inst(&s1_043.p);
	assert_int_equal(otk_deps_check(&s2_043.p, set, 2, NULL), OTK_OK);
	set[1] = inst(&s2_043.p);
	assert_int_equal(otk_deps_check(&u_043.p, set, 2, NULL), OTK_OK);
	/* a newer version satisfies an older requirement, not transitive */
	assert_int_equal(otk_deps_check(&u_040.p, set, 2, NULL), OTK_OK);
	/* an invalid module does not count */
	set[1].status = OTK_EUPD_INTEGRITY;
	assert_int_equal(otk_deps_check(&u_043.p, set, 2, NULL), OTK_EUPD_DEPENDENCY);

	/* dependency 1 none: valid without looking at dependency 2 (xenon
	 * system part 1 names bootloader 101 in its second dependency) */
	assert_true(otk_dependency_is_none(&xsys.p.dep[0]));
	assert_false(otk_dependency_is_none(&xsys.p.dep[1]));
	assert_int_equal(otk_deps_check(&xsys.p, set, 0, NULL), OTK_OK);

	/* boron SoM system part needs bootloader 201 */
	assert_int_equal(otk_deps_check(&bsom.p, set, 0, NULL), OTK_EUPD_DEPENDENCY);
	struct otk_prefix bl = { 0 };
	bl.function = OTK_FUNC_BOOTLOADER;
	bl.version = 201;
	set[0] = inst(&bl);
	assert_int_equal(otk_deps_check(&bsom.p, set, 1, NULL), OTK_OK);
	set[0].prefix.version = 200;
	assert_int_equal(otk_deps_check(&bsom.p, set, 1, NULL), OTK_EUPD_DEPENDENCY);

	/* tracker 3.1.0 system part: bootloader 1006 and NCP 7 */
	set[0] = inst(&tbl.p);
	assert_int_equal(otk_deps_check(&tsys.p, set, 1, &which), OTK_EUPD_DEPENDENCY);
	assert_int_equal(which, 1);
	struct otk_prefix ncp = { 0 };
	ncp.function = OTK_FUNC_NCP;
	ncp.version = 7;
	set[1] = inst(&ncp);
	assert_int_equal(otk_deps_check(&tsys.p, set, 2, NULL), OTK_OK);
	/* tinker 5.3.1 needs Device OS 5.3.1 (system version 5301) */
	set[2] = inst(&tsys.p);
	assert_int_equal(otk_deps_check(&ttk.p, set, 3, NULL), OTK_EUPD_DEPENDENCY);

	struct fix *all[] = { &s1_040, &s2_040, &s1_043, &s2_043, &u_043, &u_040, &xsys, &bsom, &tbl, &tsys, &ttk };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->data);
}

/* A photon with real 0.4.3 images at their addresses. */
static void photon(struct fakeflash *f, struct otk_device *d)
{
	ff_init(f, 0x100000, 0x4000, 4);
	f->base = 0x08000000u;
	d->layout = otk_layout_by_platform(6);
	d->platform = 6;
	d->open = ff_open;
	d->ctx = f;
}

static void put(struct fakeflash *f, const struct fix *x)
{
	/* STM32 modules' prefix sits at 0x184: the file starts at p.start */
	memcpy(f->mem + (x->p.start - f->base), x->data, x->len);
}

/* A valid STM32 bootloader module (prefix at 0x184) for a platform. */
static struct fix bootloader(uint16_t platform)
{
	struct otk_module_spec spec;
	uint8_t head[0x184], body[4000];
	memset(&spec, 0, sizeof(spec));
	memset(head, 0, sizeof(head));
	memset(body, 0x5A, sizeof(body));
	spec.prefix.platform = platform;
	spec.prefix.function = OTK_FUNC_BOOTLOADER;
	spec.prefix.version = 2;
	spec.start = 0x08000000u;
	spec.head = head;
	spec.prefix_offset = sizeof(head);
	struct fix f;
	f.len = 8192;
	f.data = malloc(f.len);
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), f.data, f.len, &f.len), OTK_OK);
	struct otk_module m;
	assert_int_equal(otk_module_parse(f.data, f.len, &m), OTK_OK);
	f.p = m.prefix;
	return f;
}

static void test_boot_photon_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct fakeflash f;
	struct otk_device d;
	struct otk_boot_report r;
	uint8_t buf[512];
	struct fix bl = load("RC4_bootloader_pad_BM-09.bin");
	struct fix s1 = load("043_system-part1.bin"), s2 = load("043_system-part2.bin");
	struct fix u = load("043_user-part.bin"), s2old = load("040_system-part2.bin");
	struct fix s1old = load("040_system-part1.bin");

	photon(&f, &d);
	/* empty device: no system part 1 -> DFU */
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_DFU);
	assert_int_equal(r.reason, OTK_REASON_SYSTEM1_INVALID);
	assert_int_equal(r.detail, OTK_ENOTFOUND);

	/* the 2015 RC4 bootloader carries a placeholder CRC (78563412): it
	 * fails integrity, which puts the device in safe mode */
	put(&f, &bl);
	put(&f, &s1);
	put(&f, &s2);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_BOOTLOADER_INVALID);
	assert_int_equal(r.detail, OTK_EUPD_INTEGRITY);
	free(bl.data);
	bl = bootloader(6);
	put(&f, &bl);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_NORMAL);
	assert_int_equal(r.reason, OTK_REASON_NO_USER);
	put(&f, &u);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_NORMAL);
	assert_int_equal(r.reason, OTK_REASON_NONE);
	assert_int_equal(r.nmods, 4);

	/* requests */
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), OTK_BOOT_REQ_SAFE, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_REQUESTED);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), OTK_BOOT_REQ_DFU, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_DFU);

	/* older system part 2: the app's dependency fails -> safe mode */
	memset(f.mem + 0x60000, 0xFF, 0x40000);
	put(&f, &s2old);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_USER_DEPS);
	assert_int_equal(r.function, OTK_FUNC_USER);

	/* 0.4.3 part 2 over 0.4.0 part 1: system dependency fails */
	memset(f.mem + 0x20000, 0xFF, 0x40000);
	memset(f.mem + 0x60000, 0xFF, 0x40000);
	put(&f, &s1old);
	put(&f, &s2);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_SYSTEM_DEPS);
	assert_int_equal(r.index, 2);

	/* corrupt system part 2: integrity -> safe mode */
	memset(f.mem + 0x20000, 0xFF, 0x40000);
	put(&f, &s1);
	f.mem[0x60000 + 0x1000] ^= 0x01;
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_SYSTEM_INVALID);
	assert_int_equal(r.detail, OTK_EUPD_INTEGRITY);
	f.mem[0x60000 + 0x1000] ^= 0x01;

	/* corrupt user part */
	f.mem[0xA0000 + 100] ^= 0x80;
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_USER_INVALID);
	f.mem[0xA0000 + 100] ^= 0x80;

	/* corrupt bootloader */
	f.mem[0x1000] ^= 0x01;
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_BOOTLOADER_INVALID);
	f.mem[0x1000] ^= 0x01;

	/* corrupt system part 1: DFU, whatever else is wrong */
	f.mem[0x20000 + 0x2000] ^= 0x01;
	f.mem[0xA0000 + 100] ^= 0x80;
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_DFU);
	assert_int_equal(r.reason, OTK_REASON_SYSTEM1_INVALID);
	assert_int_equal(r.detail, OTK_EUPD_INTEGRITY);

	/* an image of another platform */
	memset(f.mem, 0xFF, f.size);
	struct fix bl8 = bootloader(8);  /* p1 */
	put(&f, &bl8);
	put(&f, &s1);
	put(&f, &s2);
	assert_int_equal(otk_boot(&d, NULL, buf, sizeof(buf), 0, &r), OTK_OK);
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_BOOTLOADER_INVALID);
	assert_int_equal(r.detail, OTK_EUPD_PLATFORM);
	assert_int_equal(f.violations, 0);

	struct fix *all[] = { &bl, &s1, &s2, &u, &s2old, &s1old, &bl8 };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		free(all[i]->data);
	ff_free(&f);
}

/* nRF52840: system part linked at 0x30000 inside the 0x28000 area */
static void test_boot_tracker_fixtures(void **state)
{
	(void)state;
	OTK_REQUIRE_SHARED();
	struct fakeflash f;
	struct otk_device d = { otk_layout_by_platform(26), 26, ff_open, &f };
	struct otk_boot_report r;
	uint8_t buf[512];
	struct fix bl = load("tracker-bootloader@5.6.0.bin"), sys = load("tracker-system-part1@3.1.0-alpha.2.bin");
	struct fix app = load("tracker-tinker@5.3.1.bin");
	ff_init(&f, 0x100000, 0x1000, 4);
	put(&f, &bl);
	put(&f, &sys);
	put(&f, &app);
	/* scan without deciding, then add the NCP the system part needs */
	int n = otk_installed_scan(&d, buf, sizeof(buf), r.mods, OTK_BOOT_MAX_MODULES);
	assert_true(n >= 3);
	for (int i = 0; i < n; i++)
		if (r.mods[i].role != OTK_AREA_USER || r.mods[i].index == 2)
			assert_true(r.mods[i].status == OTK_OK || r.mods[i].status == OTK_ENOTFOUND);
	struct otk_prefix ncp = { 0 };
	ncp.function = OTK_FUNC_NCP;
	ncp.version = 7;
	r.mods[n] = inst(&ncp);
	r.mods[n].role = 0;
	otk_boot_decide(r.mods, (size_t)n + 1, 0, &r);
	/* tinker 5.3.1 needs system 5301; 3.1.0 is installed */
	assert_int_equal(r.mode, OTK_MODE_SAFE);
	assert_int_equal(r.reason, OTK_REASON_USER_DEPS);

	/* a legacy 128K user part (index 1 at 0xD4000, inside the index 2
	 * area) is found by its own area only */
	memset(f.mem + 0xB4000, 0xFF, 0x40000);
	struct otk_module_spec spec;
	static uint8_t body[100000], mod[100256];
	size_t mlen;
	memset(&spec, 0, sizeof(spec));
	memset(body, 0x33, sizeof(body));
	spec.prefix.platform = 26;
	spec.prefix.function = OTK_FUNC_USER;
	spec.prefix.index = 1;
	spec.prefix.version = 6;
	spec.start = 0xD4000;
	assert_int_equal(otk_module_build(&spec, body, sizeof(body), mod, sizeof(mod), &mlen), OTK_OK);
	memcpy(f.mem + 0xD4000, mod, mlen);
	n = otk_installed_scan(&d, buf, sizeof(buf), r.mods, OTK_BOOT_MAX_MODULES);
	int found = 0;
	for (int i = 0; i < n; i++)
		if (r.mods[i].role == OTK_AREA_USER) {
			assert_int_equal(r.mods[i].status, r.mods[i].index == 1 ? OTK_OK : OTK_ENOTFOUND);
			found++;
		}
	assert_int_equal(found, 2);
	r.mods[n] = inst(&ncp);
	r.mods[n].role = 0;
	otk_boot_decide(r.mods, (size_t)n + 1, 0, &r);
	assert_int_equal(r.mode, OTK_MODE_NORMAL);
	assert_int_equal(r.reason, OTK_REASON_NONE);
	free(bl.data);
	free(sys.data);
	free(app.data);
	ff_free(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_deps_fixtures),
		cmocka_unit_test(test_boot_photon_fixtures),
		cmocka_unit_test(test_boot_tracker_fixtures),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
