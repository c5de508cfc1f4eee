/*
 * The control-request service layer driven as particle-usb drives it:
 * INIT, SEND in chunks, CHECK, RECV in chunks; at most four active
 * requests; RESET; the simple 0x50 request; stalls for requests out of
 * order.
 */
#include "testutil.h"

#include <string.h>

#include "otk/ctrl.h"

#define CAP 4096

struct reply {
	uint32_t flags;
	uint16_t status, id;
	uint32_t size;
	int32_t result;
};

static unsigned calls;

/* Type 1: echo reversed; type 2: not supported; type 3: reply of 3000 bytes. */
static int32_t handle(void *ctx, uint16_t type, const uint8_t *req, size_t len, uint8_t *rep,
		      size_t cap, size_t *rep_len)
{
	(void)ctx;
	calls++;
	if (type == 1) {
		for (size_t i = 0; i < len && i < cap; i++)
			rep[i] = req[len - 1 - i];
		*rep_len = len;
		return 0;
	}
	if (type == 3) {
		for (size_t i = 0; i < 3000; i++)
			rep[i] = (uint8_t)i;
		*rep_len = 3000;
		return 0;
	}
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

static const struct otk_ctrl_ops ops = {handle, simple};
static uint8_t bufs[(OTK_CTRL_MAX_ACTIVE + 1) * CAP];

static struct reply parse(const uint8_t *p, int n)
{
	struct reply r = {0};
	int o = 6;
	assert_true(n >= 6);
	r.flags = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
	assert_true(r.flags & OTK_CTRL_FLAG_STATUS);
	r.status = (uint16_t)(p[4] | p[5] << 8);
	if (r.flags & OTK_CTRL_FLAG_ID) {
		r.id = (uint16_t)(p[o] | p[o + 1] << 8);
		o += 2;
	}
	if (r.flags & OTK_CTRL_FLAG_SIZE) {
		r.size = (uint32_t)p[o] | (uint32_t)p[o + 1] << 8 | (uint32_t)p[o + 2] << 16 |
			 (uint32_t)p[o + 3] << 24;
		o += 4;
	}
	if (r.flags & OTK_CTRL_FLAG_RESULT) {
		r.result = (int32_t)((uint32_t)p[o] | (uint32_t)p[o + 1] << 8 |
				     (uint32_t)p[o + 2] << 16 | (uint32_t)p[o + 3] << 24);
		o += 4;
	}
	assert_int_equal(o, n);
	return r;
}

static struct reply service(struct otk_ctrl *c, uint8_t req, uint16_t value, uint16_t index)
{
	uint8_t in[64];
	int n = otk_ctrl_setup(c, req, value, index, NULL, 0, in, sizeof(in));
	return parse(in, n);
}

static void test_roundtrip_chunks(void **state)
{
	struct otk_ctrl c;
	uint8_t data[2500], back[2500];
	struct reply r;
	(void)state;
	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 7);
	otk_ctrl_init(&c, &ops, NULL, bufs, CAP);
	r = service(&c, OTK_CTRL_INIT, sizeof(data), 1);
	assert_int_equal(r.status, OTK_CTRL_OK);
	assert_true(r.flags & OTK_CTRL_FLAG_ID);
	/* SEND in 1024-byte chunks; CHECK in between says pending. */
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_SEND, 0, r.id, data, 1024, NULL, 0), 0);
	assert_int_equal(service(&c, OTK_CTRL_CHECK, 0, r.id).status, OTK_CTRL_PENDING);
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_SEND, 0, r.id, data + 1024, 1024, NULL, 0), 0);
	assert_int_equal(calls, 0);
	/* More than declared: stall. */
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_SEND, 0, r.id, data, 1024, NULL, 0) < 0);
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_SEND, 0, r.id, data + 2048, 452, NULL, 0), 0);
	assert_int_equal(calls, 1);
	{
		struct reply k = service(&c, OTK_CTRL_CHECK, 0, r.id);
		assert_int_equal(k.status, OTK_CTRL_OK);
		assert_int_equal(k.size, sizeof(data));
		assert_int_equal(k.result, 0);
	}
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_RECV, 0, r.id, NULL, 0, back, 2048), 2048);
	/* Asking past the reply: stall, the request stays. */
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_RECV, 0, r.id, NULL, 0, back + 2048, 1000) < 0);
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_RECV, 0, r.id, NULL, 0, back + 2048, 452), 452);
	for (size_t i = 0; i < sizeof(data); i++)
		assert_int_equal(back[i], data[sizeof(data) - 1 - i]);
	assert_int_equal(otk_ctrl_active(&c), 0);
	assert_int_equal(service(&c, OTK_CTRL_CHECK, 0, r.id).status, OTK_CTRL_NOT_FOUND);
}

static void test_no_payload_and_result(void **state)
{
	struct otk_ctrl c;
	struct reply r, k;
	(void)state;
	otk_ctrl_init(&c, &ops, NULL, bufs, CAP);
	r = service(&c, OTK_CTRL_INIT, 0, 2);
	assert_int_equal(r.status, OTK_CTRL_OK);
	k = service(&c, OTK_CTRL_CHECK, 0, r.id);
	assert_int_equal(k.status, OTK_CTRL_OK);
	assert_int_equal(k.size, 0);
	assert_int_equal(k.result, OTK_CTRL_NOT_SUPPORTED);
	assert_int_equal(otk_ctrl_active(&c), 0);
}

static void test_four_active_reset(void **state)
{
	struct otk_ctrl c;
	struct reply r[4];
	(void)state;
	otk_ctrl_init(&c, &ops, NULL, bufs, CAP);
	for (int i = 0; i < 4; i++) {
		r[i] = service(&c, OTK_CTRL_INIT, 0, 3);
		assert_int_equal(r[i].status, OTK_CTRL_OK);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(r[i].id, r[j].id);
	}
	assert_int_equal(service(&c, OTK_CTRL_INIT, 0, 3).status, OTK_CTRL_BUSY);
	assert_int_equal(service(&c, OTK_CTRL_RESET, 0, r[1].id).status, OTK_CTRL_OK);
	assert_int_equal(otk_ctrl_active(&c), 3);
	assert_int_equal(service(&c, OTK_CTRL_RESET, 0, r[1].id).status, OTK_CTRL_NOT_FOUND);
	assert_int_equal(service(&c, OTK_CTRL_INIT, 0, 3).status, OTK_CTRL_OK);
	assert_int_equal(service(&c, OTK_CTRL_INIT, CAP + 1, 1).status, OTK_CTRL_BUSY);
	assert_int_equal(service(&c, OTK_CTRL_RESET, 0, 0).status, OTK_CTRL_OK);
	assert_int_equal(otk_ctrl_active(&c), 0);
	assert_int_equal(service(&c, OTK_CTRL_INIT, CAP + 1, 1).status, OTK_CTRL_NO_MEMORY);
}

static void test_simple_and_stalls(void **state)
{
	struct otk_ctrl c;
	uint8_t in[64];
	(void)state;
	otk_ctrl_init(&c, &ops, NULL, bufs, CAP);
	assert_int_equal(otk_ctrl_setup(&c, OTK_CTRL_SIMPLE, 0, 20, NULL, 0, in, 64), 24);
	assert_memory_equal(in, "0123456789abcdef", 16);
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_SIMPLE, 0, 99, NULL, 0, in, 64) < 0);
	assert_true(otk_ctrl_setup(&c, 9, 0, 0, NULL, 0, in, 64) < 0);
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_INIT, 0, 1, NULL, 0, in, 8) < 0);
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_SEND, 0, 77, in, 4, NULL, 0) < 0);
	assert_true(otk_ctrl_setup(&c, OTK_CTRL_RECV, 0, 77, NULL, 0, in, 4) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_chunks),
		cmocka_unit_test(test_no_payload_and_result),
		cmocka_unit_test(test_four_active_reset),
		cmocka_unit_test(test_simple_and_stalls),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
