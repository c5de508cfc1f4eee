/*
 * The DfuSe state machine driven as dfu-util drives it (erase, set address,
 * block writes, GETSTATUS polls, upload, leave) over a fake NOR flash, and
 * its refusals: read-only sectors, addresses outside the region, unsupported
 * commands, requests out of order.
 */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "fakeflash.h"
#include "otk/dfuse.h"

#define NRF_MEM "@Internal Flash /0x00000000/1*004Ka,47*004Kg,192*004Kg,4*004Kg,4*004Kg,8*004Ka"
#define FLASH_SIZE (256u * 4096u)

struct rig {
	struct fakeflash ff;
	struct otk_flash_area fa;
	struct otk_dfuse_alt alt[2];
	struct otk_flash_area dct;
	struct fakeflash dff;
	struct otk_dfuse d;
	uint8_t buf[OTK_DFUSE_XFER_SIZE];
};

static void rig_init(struct rig *r)
{
	struct otk_layout_area a = {0};
	memset(r, 0, sizeof(*r));
	ff_init(&r->ff, FLASH_SIZE, 4096, 4);
	a.addr = 0;
	a.size = FLASH_SIZE;
	assert_int_equal(ff_open(&r->ff, &a, &r->fa), OTK_OK);
	ff_init(&r->dff, 16384, 16384, 1);
	a.size = 16384;
	assert_int_equal(ff_open(&r->dff, &a, &r->dct), OTK_OK);
	r->alt[0].name = NRF_MEM;
	r->alt[0].fa = &r->fa;
	r->alt[1].name = "@DCT Flash /0x00000000/1*016Ke";
	r->alt[1].fa = &r->dct;
	assert_int_equal(otk_dfuse_init(&r->d, r->alt, 2, 0, r->buf, sizeof(r->buf)), OTK_OK);
}

static void rig_free(struct rig *r)
{
	ff_free(&r->ff);
	ff_free(&r->dff);
}

/* GETSTATUS: returns bState, checks bStatus. */
static uint8_t status(struct rig *r, uint8_t want_status)
{
	uint8_t in[6];
	assert_int_equal(otk_dfuse_request(&r->d, OTK_DFU_GETSTATUS, 0, NULL, 0, in, 6), 6);
	assert_int_equal(in[0], want_status);
	return in[4];
}

/* A DfuSe command as dfu-util sends it: DNLOAD block 0, first poll busy, then idle. */
static uint8_t command(struct rig *r, uint8_t cmd, int has_arg, uint32_t arg)
{
	uint8_t b[5] = {cmd, (uint8_t)arg, (uint8_t)(arg >> 8), (uint8_t)(arg >> 16),
			(uint8_t)(arg >> 24)};
	uint8_t in[6];
	assert_int_equal(otk_dfuse_request(&r->d, OTK_DFU_DNLOAD, 0, b, has_arg ? 5 : 1, NULL, 0), 0);
	assert_int_equal(otk_dfuse_request(&r->d, OTK_DFU_GETSTATUS, 0, NULL, 0, in, 6), 6);
	if (in[0] != OTK_DFU_OK) {
		assert_int_equal(in[4], OTK_DFU_ERROR);
		return in[0];
	}
	assert_int_equal(in[4], OTK_DFU_DNBUSY);
	assert_int_equal(status(r, OTK_DFU_OK), OTK_DFU_DNLOAD_IDLE);
	return OTK_DFU_OK;
}

static uint8_t write_block(struct rig *r, uint32_t addr, const uint8_t *data, uint16_t len)
{
	uint8_t st = command(r, OTK_DFUSE_CMD_SET_ADDRESS, 1, addr);
	uint8_t in[6];
	if (st != OTK_DFU_OK)
		return st;
	assert_int_equal(otk_dfuse_request(&r->d, OTK_DFU_DNLOAD, 2, data, len, NULL, 0), 0);
	assert_int_equal(otk_dfuse_request(&r->d, OTK_DFU_GETSTATUS, 0, NULL, 0, in, 6), 6);
	if (in[0] != OTK_DFU_OK)
		return in[0];
	assert_int_equal(in[4], OTK_DFU_DNBUSY);
	assert_int_equal(status(r, OTK_DFU_OK), OTK_DFU_DNLOAD_IDLE);
	return OTK_DFU_OK;
}

static void test_sector_parse(void **state)
{
	uint32_t start, size;
	char perm;
	(void)state;
	assert_int_equal(otk_dfuse_sector(NRF_MEM, 0x0, &start, &size, &perm), OTK_OK);
	assert_true(start == 0 && size == 4096 && perm == 'a');
	assert_int_equal(otk_dfuse_sector(NRF_MEM, 0xd4123, &start, &size, &perm), OTK_OK);
	assert_true(start == 0xd4000 && size == 4096 && perm == 'g');
	assert_int_equal(otk_dfuse_sector(NRF_MEM, 0xff000, &start, &size, &perm), OTK_OK);
	assert_int_equal(perm, 'a');
	assert_int_equal(otk_dfuse_sector(NRF_MEM, 0x100000, &start, &size, &perm), OTK_ENOTFOUND);
	assert_int_equal(otk_dfuse_sector("@Internal Flash /0x08000000/03*016Ka,01*016Kg,01*064Kg,07*128Kg",
					  0x08020000, &start, &size, &perm), OTK_OK);
	assert_true(start == 0x08020000 && size == 128 * 1024 && perm == 'g');
	assert_int_equal(otk_dfuse_sector("@X /0x80000000/2048*004Kg", 0x80001000, &start, &size, &perm),
			 OTK_OK);
	assert_int_equal(start, 0x80001000);
	assert_int_equal(otk_dfuse_sector("@X /0x0/2*004Kz", 0, &start, &size, &perm), OTK_EINVAL);
	assert_int_equal(otk_dfuse_sector("@X /0x0/2*", 0, &start, &size, &perm), OTK_EINVAL);
	assert_int_equal(otk_dfuse_sector("no at", 0, &start, &size, &perm), OTK_EINVAL);
	assert_int_equal(otk_dfuse_sector("@X /0xFFFFF000/2*004Kg", 0, &start, &size, &perm), OTK_EINVAL);
}

/* Erase, write 3 blocks (the last short), read back, leave. */
static void test_download_upload_leave(void **state)
{
	struct rig r;
	uint32_t seed = 7, total = 2 * 4096 + 1000, i;
	uint8_t *img = malloc(total), back[4096];
	uint8_t in[6];
	(void)state;
	rig_init(&r);
	otk_test_random(&seed, img, total);
	for (i = 0; i < 3; i++)
		assert_int_equal(command(&r, OTK_DFUSE_CMD_ERASE, 1, 0xd4000 + i * 4096), OTK_DFU_OK);
	for (i = 0; i < total; i += 4096) {
		uint16_t n = (uint16_t)(total - i < 4096 ? total - i : 4096);
		assert_int_equal(write_block(&r, 0xd4000 + i, img + i, n), OTK_DFU_OK);
	}
	assert_memory_equal(r.ff.mem + 0xd4000, img, total);
	assert_int_equal(r.ff.violations, 0);

	/* Upload as dfu-util: set address, abort, blocks 2.. */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_SET_ADDRESS, 1, 0xd4000), OTK_DFU_OK);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_ABORT, 0, NULL, 0, NULL, 0), 0);
	for (i = 0; i < total; i += 4096) {
		int n = otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, (uint16_t)(2 + i / 4096), NULL, 0, back,
					  4096);
		assert_int_equal(n, 4096);
		assert_memory_equal(back, img + i, total - i < 4096 ? total - i : 4096);
	}
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_ABORT, 0, NULL, 0, NULL, 0), 0);

	/* Leave: zero-length DNLOAD, the poll says manifest, then reset. */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_SET_ADDRESS, 1, 0xd4000), OTK_DFU_OK);
	assert_int_equal(otk_dfuse_take_actions(&r.d), 0);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_DNLOAD, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_GETSTATUS, 0, NULL, 0, in, 6), 6);
	assert_int_equal(in[4], OTK_DFU_MANIFEST);
	assert_int_equal(otk_dfuse_take_actions(&r.d), OTK_DFUSE_ACT_RESET);
	assert_true(otk_dfuse_request(&r.d, OTK_DFU_DNLOAD, 2, img, 16, NULL, 0) < 0);
	free(img);
	rig_free(&r);
}

static void test_upload_commands_and_end(void **state)
{
	struct rig r;
	uint8_t in[4096];
	(void)state;
	rig_init(&r);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, 0, NULL, 0, in, 64), 4);
	assert_int_equal(in[1], 0x21);
	assert_int_equal(in[2], 0x41);
	/* Last block of the region is short, past it empty. */
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_ABORT, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(command(&r, OTK_DFUSE_CMD_SET_ADDRESS, 1, FLASH_SIZE - 100), OTK_DFU_OK);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_ABORT, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, 2, NULL, 0, in, 4096), 100);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, 3, NULL, 0, in, 4096), 0);
	rig_free(&r);
}

static void test_refusals(void **state)
{
	struct rig r;
	uint8_t data[64];
	uint8_t in[6];
	(void)state;
	memset(data, 0x5a, sizeof(data));
	rig_init(&r);
	/* The bootloader sector is read-only: erase and write refused, flash untouched. */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_ERASE, 1, 0x0), OTK_DFU_ERR_ERASE);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0), 0);
	assert_int_equal(write_block(&r, 0x0, data, sizeof(data)), OTK_DFU_ERR_WRITE);
	assert_int_equal(r.ff.writes + r.ff.erases, 0);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	/* Outside the region. */
	assert_int_equal(write_block(&r, FLASH_SIZE - 32, data, sizeof(data)), OTK_DFU_ERR_ADDRESS);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	/* Mass erase, read unprotect, clear security, unknown: "not supported". */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_ERASE, 0, 0), OTK_DFU_ERR_TARGET);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(command(&r, OTK_DFUSE_CMD_READ_UNPROTECT, 0, 0), OTK_DFU_ERR_TARGET);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(command(&r, 0x77, 0, 0), OTK_DFU_ERR_TARGET);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	/* A write over unerased flash fails cleanly. */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_ERASE, 1, 0x1000), OTK_DFU_OK);
	assert_int_equal(write_block(&r, 0x1000, data, sizeof(data)), OTK_DFU_OK);
	memset(data, 0xa5, sizeof(data));
	assert_int_equal(write_block(&r, 0x1000, data, sizeof(data)), OTK_DFU_ERR_WRITE);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	/* Block 1, oversize, bad request, short status buffer: stall then dfuERROR. */
	assert_true(otk_dfuse_request(&r.d, OTK_DFU_DNLOAD, 1, data, 8, NULL, 0) < 0);
	assert_int_equal(status(&r, OTK_DFU_ERR_STALLEDPKT), OTK_DFU_ERROR);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_true(otk_dfuse_request(&r.d, 9, 0, NULL, 0, in, 6) < 0);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_true(otk_dfuse_request(&r.d, OTK_DFU_GETSTATUS, 0, NULL, 0, in, 5) < 0);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	/* Upload while a download is pending. */
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_DNLOAD, 0, data, 1, NULL, 0), 0);
	assert_true(otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, 2, NULL, 0, in, 6) < 0);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(otk_dfuse_set_alt(&r.d, 2), OTK_ERANGE);
	/* Safe mode command. */
	assert_int_equal(command(&r, OTK_DFUSE_CMD_SAFE_MODE, 0, 0), OTK_DFU_OK);
	assert_int_equal(otk_dfuse_take_actions(&r.d), OTK_DFUSE_ACT_SAFE_MODE);
	rig_free(&r);
}

/* Alt 1 (DCT, 'e'): written without erase, erase refused. */
static void test_dct_alt(void **state)
{
	struct rig r;
	uint8_t key[32], back[4096];
	(void)state;
	memset(key, 0x11, sizeof(key));
	rig_init(&r);
	assert_int_equal(otk_dfuse_set_alt(&r.d, 1), OTK_OK);
	assert_int_equal(command(&r, OTK_DFUSE_CMD_ERASE, 1, 0), OTK_DFU_ERR_ERASE);
	otk_dfuse_request(&r.d, OTK_DFU_CLRSTATUS, 0, NULL, 0, NULL, 0);
	assert_int_equal(write_block(&r, 3298, key, sizeof(key)), OTK_DFU_OK);
	assert_memory_equal(r.dff.mem + 3298, key, sizeof(key));
	assert_int_equal(command(&r, OTK_DFUSE_CMD_SET_ADDRESS, 1, 0), OTK_DFU_OK);
	otk_dfuse_request(&r.d, OTK_DFU_ABORT, 0, NULL, 0, NULL, 0);
	assert_int_equal(otk_dfuse_request(&r.d, OTK_DFU_UPLOAD, 2, NULL, 0, back, 4096), 4096);
	assert_memory_equal(back + 3298, key, sizeof(key));
	rig_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sector_parse),
		cmocka_unit_test(test_download_upload_leave),
		cmocka_unit_test(test_upload_commands_and_end),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_dct_alt),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
