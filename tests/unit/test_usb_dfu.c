/*
 * The host DfuSe client (host/src/usb_dfu.c) against the device library's
 * DfuSe state machine (core/src/dfuse.c) over a fake control pipe: a
 * download then an upload is byte-identical, only the sectors written are
 * erased, the transfers are counted, a stalled or timed-out request is
 * retried, and a device that keeps failing is reported with the step.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"
#include "fakeflash.h"

#include "otk/dfuse.h"
#include "otk/error.h"
#include "otk/usb.h"

#define MEMSTR "@Internal Flash /0x00000000/1*004Ka,47*004Kg,192*004Kg,4*004Kg,4*004Kg,8*004Ka"

struct pipe {
	struct otk_dfuse d;
	struct fakeflash ff;
	struct otk_flash_area fa;
	struct otk_dfuse_alt alt;
	uint8_t buf[OTK_DFUSE_XFER_SIZE];
	unsigned long calls, slept;
	unsigned long fail_at;    /* this call fails (0: never) */
	int fail_rc;
	bool fail_always;
};

static int pipe_control(void *ctx, uint8_t type, uint8_t request, uint16_t value, uint16_t index,
			uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct pipe *p = ctx;
	(void)index;
	(void)timeout_ms;
	p->calls++;
	if (p->fail_at && (p->calls == p->fail_at || (p->fail_always && p->calls > p->fail_at))) {
		/* a stall leaves the device in dfuERROR, as DFU 1.1 says */
		if (p->fail_rc == OTK_USB_ESTALL) {
			p->d.state = OTK_DFU_ERROR;
			p->d.status = OTK_DFU_ERR_STALLEDPKT;
		}
		return p->fail_rc;
	}
	int rc = (type & 0x80) ? otk_dfuse_request(&p->d, request, value, NULL, 0, data, len)
			       : otk_dfuse_request(&p->d, request, value, data, len, NULL, 0);
	return rc < 0 ? OTK_USB_ESTALL : rc;
}

static void pipe_sleep(void *ctx, unsigned ms)
{
	((struct pipe *)ctx)->slept += ms;
}

static void pipe_init(struct pipe *p, struct otk_usb_io *io)
{
	memset(p, 0, sizeof *p);
	ff_init(&p->ff, 1024 * 1024, 4096, 4);
	p->fa = (struct otk_flash_area){ &ff_ops, &p->ff, 0, 1024 * 1024, 4096, 4, 0xFF, 0 };
	p->alt = (struct otk_dfuse_alt){ MEMSTR, &p->fa };
	assert_int_equal(otk_dfuse_init(&p->d, &p->alt, 1, 0, p->buf, sizeof p->buf), OTK_OK);
	*io = (struct otk_usb_io){ pipe_control, pipe_sleep, p, 0 };
}

static void test_roundtrip(void **state)
{
	(void)state;
	struct pipe p;
	struct otk_usb_io io;
	pipe_init(&p, &io);
	size_t len = 100 * 1024 + 123;
	uint8_t *data = malloc(len), *back = malloc(len);
	uint32_t seed = 7;
	otk_test_random(&seed, data, len);
	memset(p.ff.mem + 0x30000 + 0x20000, 0x11, 0x1000);   /* beyond: must stay */
	struct otk_dfu d = { .io = &io, .memstr = MEMSTR };
	assert_int_equal(otk_dfu_download(&d, 0x30000, data, len), OTK_OK);
	assert_memory_equal(p.ff.mem + 0x30000, data, len);
	assert_int_equal(p.ff.mem[0x30000 + 0x20000], 0x11);
	assert_int_equal(p.ff.erases, 26);   /* 101 KB: 26 sectors of 4 KB */
	assert_int_equal(p.ff.violations, 0);
	/* to idle (1 status), 26 erases and 1 set address (DNLOAD + 2 polls
	 * each), 26 blocks (DNLOAD + 2 polls each) */
	assert_int_equal(io.transfers, 1 + 27 * 3 + 26 * 3);
	print_message("download of %zu bytes: %lu control transfers\n", len, io.transfers);
	assert_int_equal(otk_dfu_upload(&d, 0x30000, back, len), OTK_OK);
	assert_memory_equal(back, data, len);
	assert_int_equal(otk_dfu_leave(&d, 0x30000), OTK_OK);
	assert_true(otk_dfuse_take_actions(&p.d) & OTK_DFUSE_ACT_RESET);
	free(data);
	free(back);
	ff_free(&p.ff);
}

static void test_read_only_refused(void **state)
{
	(void)state;
	struct pipe p;
	struct otk_usb_io io;
	pipe_init(&p, &io);
	uint8_t data[16] = { 1 };
	struct otk_dfu d = { .io = &io, .memstr = MEMSTR };
	assert_int_equal(otk_dfu_download(&d, 0x0, data, sizeof data), OTK_ERANGE);
	assert_non_null(strstr(d.err, "not writable"));
	assert_int_equal(otk_dfu_download(&d, 0x200000, data, sizeof data), OTK_ERANGE);
	assert_non_null(strstr(d.err, "outside the device's memory"));
	assert_int_equal(p.ff.writes + p.ff.erases, 0);
	ff_free(&p.ff);
}

/* A stall or a timeout at any single transfer of a download is retried. */
static void test_retry_each_transfer(void **state)
{
	(void)state;
	size_t len = 3 * 4096 + 10;
	uint8_t data[3 * 4096 + 10];
	uint32_t seed = 9;
	otk_test_random(&seed, data, len);
	int codes[2] = { OTK_USB_ESTALL, OTK_USB_ETIMEOUT };
	for (int c = 0; c < 2; c++)
		for (unsigned long at = 2; at < 30; at++) {
			struct pipe p;
			struct otk_usb_io io;
			pipe_init(&p, &io);
			p.fail_at = at;
			p.fail_rc = codes[c];
			struct otk_dfu d = { .io = &io, .memstr = MEMSTR, .retries = 3 };
			int rc = otk_dfu_download(&d, 0x40000, data, len);
			if (rc != OTK_OK)
				fail_msg("fault %d at transfer %lu: %d (%s)", codes[c], at, rc, d.err);
			assert_memory_equal(p.ff.mem + 0x40000, data, len);
			ff_free(&p.ff);
		}
}

/* A device that keeps failing: reported, naming the step and the block's address. */
static void test_reported(void **state)
{
	(void)state;
	struct pipe p;
	struct otk_usb_io io;
	pipe_init(&p, &io);
	p.fail_at = 15;   /* the GETSTATUS after the second block */
	p.fail_always = true;
	p.fail_rc = OTK_USB_ETIMEOUT;
	uint8_t data[8192] = { 0 };
	struct otk_dfu d = { .io = &io, .memstr = MEMSTR, .retries = 0 };
	int rc = otk_dfu_download(&d, 0x50000, data, sizeof data);
	assert_int_equal(rc, OTK_USB_ETIMEOUT);
	assert_non_null(strstr(d.err, "write at 0x00051000"));
	/* with retries: tried again from that block, then reported the same way */
	ff_free(&p.ff);
	pipe_init(&p, &io);
	p.fail_at = 15;
	p.fail_always = true;
	p.fail_rc = OTK_USB_ETIMEOUT;
	d = (struct otk_dfu){ .io = &io, .memstr = MEMSTR, .retries = 2 };
	rc = otk_dfu_download(&d, 0x50000, data, sizeof data);
	assert_int_equal(rc, OTK_USB_ETIMEOUT);
	assert_non_null(strstr(d.err, "write at 0x00051000"));
	assert_non_null(strstr(d.err, "did not answer"));
	print_message("reported: %s\n", d.err);
	ff_free(&p.ff);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_read_only_refused),
		cmocka_unit_test(test_retry_each_transfer),
		cmocka_unit_test(test_reported),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
