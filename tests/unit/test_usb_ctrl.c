/*
 * The host control-request client (host/src/usb_ctrl.c) against the
 * device library's service-request layer (core/src/ctrl.c) over a fake
 * control pipe: payloads in several SEND and RECV chunks, a result code
 * (not supported) passed through, the simple 0x50 request, the CHECK
 * schedule of spec 04 and a device whose four slots are taken.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "otk/ctrl.h"
#include "otk/error.h"
#include "otk/usb.h"

#define CAP 16384u

struct pipe {
	struct otk_ctrl c;
	uint8_t bufs[(OTK_CTRL_MAX_ACTIVE + 1) * CAP];
	unsigned long slept, sleeps, resets;
	bool always_pending;
};

/* Type 1000 echoes the payload reversed; 30 answers "5.8.0"; others: not supported. */
static int32_t handle(void *ctx, uint16_t type, const uint8_t *req, size_t req_len, uint8_t *rep,
		      size_t rep_cap, size_t *rep_len)
{
	(void)ctx;
	if (type == 1000 && req_len <= rep_cap) {
		for (size_t i = 0; i < req_len; i++)
			rep[i] = req[req_len - 1 - i];
		*rep_len = req_len;
		return 0;
	}
	if (type == 30) {
		memcpy(rep, "5.8.0", 5);
		*rep_len = 5;
		return 0;
	}
	*rep_len = 0;
	return OTK_CTRL_NOT_SUPPORTED;
}

static int simple(void *ctx, uint16_t type, uint8_t *in, size_t cap)
{
	(void)ctx;
	if (type != 20 || cap < 24)
		return -1;
	memcpy(in, "0123456789abcdef01234567", 24);
	return 24;
}

static const struct otk_ctrl_ops ops = { handle, simple };

static int pipe_control(void *ctx, uint8_t type, uint8_t request, uint16_t value, uint16_t index,
			uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct pipe *p = ctx;
	(void)timeout_ms;
	if (request == OTK_CTRL_RESET)
		p->resets++;
	if (p->always_pending && request == OTK_CTRL_CHECK) {
		memset(data, 0, len);
		data[0] = 0x01;   /* status only */
		data[4] = OTK_CTRL_PENDING;
		return 6;
	}
	int rc = (type & 0x80) ? otk_ctrl_setup(&p->c, request, value, index, NULL, 0, data, len)
			       : otk_ctrl_setup(&p->c, request, value, index, data, len, NULL, 0);
	return rc < 0 ? OTK_USB_ESTALL : rc;
}

static void pipe_sleep(void *ctx, unsigned ms)
{
	struct pipe *p = ctx;
	p->slept += ms;
	p->sleeps++;
}

static struct pipe *pipe_new(struct otk_usb_io *io)
{
	struct pipe *p = calloc(1, sizeof *p);
	otk_ctrl_init(&p->c, &ops, p, p->bufs, CAP);
	*io = (struct otk_usb_io){ pipe_control, pipe_sleep, p, 0 };
	return p;
}

static void test_payload_chunks(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct pipe *p = pipe_new(&io);
	size_t len = 10000;
	uint8_t *req = malloc(len), *rep;
	uint32_t seed = 3;
	otk_test_random(&seed, req, len);
	int32_t result = 1;
	size_t rep_len;
	assert_int_equal(otk_usb_request(&io, 1000, req, len, &result, &rep, &rep_len, 5000), OTK_OK);
	assert_int_equal(result, 0);
	assert_int_equal(rep_len, len);
	for (size_t i = 0; i < len; i++)
		assert_int_equal(rep[i], req[len - 1 - i]);
	/* INIT, 3 SEND, 1 CHECK, 3 RECV */
	assert_int_equal(io.transfers, 8);
	assert_int_equal(p->slept, 50);   /* the first CHECK waits 50 ms */
	assert_int_equal(otk_ctrl_active(&p->c), 0);
	free(rep);
	free(req);
	free(p);
}

static void test_text_and_not_supported(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct pipe *p = pipe_new(&io);
	int32_t result;
	uint8_t *rep;
	size_t rep_len;
	assert_int_equal(otk_usb_request(&io, 30, NULL, 0, &result, &rep, &rep_len, 5000), OTK_OK);
	assert_int_equal(result, 0);
	assert_int_equal(rep_len, 5);
	assert_memory_equal(rep, "5.8.0", 5);
	free(rep);
	assert_int_equal(otk_usb_request(&io, 777, NULL, 0, &result, &rep, &rep_len, 5000), OTK_OK);
	assert_int_equal(result, OTK_USB_RESULT_NOT_SUPPORTED);
	assert_null(rep);
	char id[64];
	assert_int_equal(otk_usb_simple(&io, 20, id, sizeof id), 24);
	assert_string_equal(id, "0123456789abcdef01234567");
	assert_int_equal(otk_usb_simple(&io, 99, id, sizeof id), OTK_USB_ESTALL);
	free(p);
}

/* CHECK at 50, 50, 100, 100, 250, 250, 500, 500, 1000, 1000 ... ms; then RESET. */
static void test_check_schedule(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct pipe *p = pipe_new(&io);
	p->always_pending = true;
	int32_t result;
	uint8_t *rep;
	size_t rep_len;
	assert_int_equal(otk_usb_request(&io, 30, NULL, 0, &result, &rep, &rep_len, 4000),
			 OTK_USB_ETIMEOUT);
	/* 50+50+100+100+250+250+500+500+1000+1000 = 3800 < 4000: one more */
	assert_int_equal(p->sleeps, 11);
	assert_int_equal(p->slept, 4800);
	assert_int_equal(p->resets, 1);
	free(p);
}

/* Four requests waiting for their payload: the fifth gets BUSY until it gives up. */
static void test_busy(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct pipe *p = pipe_new(&io);
	uint8_t r[64];
	for (int i = 0; i < OTK_CTRL_MAX_ACTIVE; i++)
		assert_true(otk_ctrl_setup(&p->c, OTK_CTRL_INIT, 100, 1000, NULL, 0, r, sizeof r) >= 6);
	int32_t result;
	uint8_t *rep;
	size_t rep_len;
	assert_int_equal(otk_usb_request(&io, 30, NULL, 0, &result, &rep, &rep_len, 1000),
			 OTK_USB_ETIMEOUT);
	assert_true(p->sleeps >= 5);
	free(p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_payload_chunks),
		cmocka_unit_test(test_text_and_not_supported),
		cmocka_unit_test(test_check_schedule),
		cmocka_unit_test(test_busy),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
