/*
 * The YMODEM receiver driven as lrzsz's sb drives it: whole transfers in
 * 1024- and 128-byte packets, the closing header answered only after the
 * sink's validation, retransmissions after a bad CRC, lost bytes and lost
 * ACKs, timeouts (forever before the header, more than 5 in a row abort),
 * cancels, bad headers and out-of-sequence packets.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/ymodem.h"
#include "testutil.h"

/* A sink that keeps the file in memory. */
struct mem {
	uint8_t data[8192];
	uint32_t size, written;
	char name[64];
	int begins, finishes, applied, discarded;
	int finish_rc, begin_rc;
};

static int m_begin(void *ctx, const char *name, uint32_t size)
{
	struct mem *m = ctx;
	m->begins++;
	if (m->begin_rc)
		return m->begin_rc;
	snprintf(m->name, sizeof m->name, "%s", name);
	m->size = size;
	m->written = 0;
	return size <= sizeof m->data ? OTK_OK : OTK_EUPD_TOOLARGE;
}

static int m_write(void *ctx, uint32_t off, const uint8_t *d, size_t n)
{
	struct mem *m = ctx;
	assert_int_equal(off, m->written); /* in order, never a gap */
	assert_true(off + n <= m->size);
	memcpy(m->data + off, d, n);
	m->written += (uint32_t)n;
	return OTK_OK;
}

static int m_finish(void *ctx, bool apply)
{
	struct mem *m = ctx;
	m->finishes++;
	if (!apply) {
		m->discarded++;
		return OTK_OK;
	}
	m->applied++;
	return m->finish_rc;
}

static const struct otk_ymodem_sink sink = {m_begin, m_write, m_finish};

struct rx {
	struct otk_ymodem y;
	struct mem m;
	uint32_t now;
	uint8_t out[4096];
	size_t out_len;
};

static struct rx *rx_new(void)
{
	struct rx *r = calloc(1, sizeof *r);
	otk_ymodem_init(&r->y, &sink, &r->m, 0);
	r->out_len = otk_ymodem_output(&r->y, r->out, sizeof r->out);
	return r;
}

/* Feed bytes as the caller does, collecting the answers. */
static void feed(struct rx *r, const uint8_t *p, size_t n)
{
	size_t i = 0;
	while (i < n) {
		size_t k = otk_ymodem_input(&r->y, p + i, n - i, r->now);
		r->out_len += otk_ymodem_output(&r->y, r->out + r->out_len, sizeof r->out - r->out_len);
		if (k == 0)
			break;
		i += k;
	}
}

static void tick(struct rx *r, uint32_t ms)
{
	r->now += ms;
	otk_ymodem_tick(&r->y, r->now);
	r->out_len += otk_ymodem_output(&r->y, r->out + r->out_len, sizeof r->out - r->out_len);
}

/* Answers since the last call, compared as a string of bytes. */
static void expect(struct rx *r, const char *want, size_t n)
{
	assert_int_equal(r->out_len, n);
	assert_memory_equal(r->out, want, n);
	r->out_len = 0;
}

static size_t packet(uint8_t *p, uint8_t seq, const uint8_t *d, size_t n, size_t blk)
{
	uint16_t crc;
	p[0] = blk == 128 ? OTK_YMODEM_SOH : OTK_YMODEM_STX;
	p[1] = seq;
	p[2] = (uint8_t)~seq;
	memset(p + 3, seq == 0 ? 0 : 0x1A, blk); /* headers are zero-padded */
	memcpy(p + 3, d, n);
	crc = otk_crc16_xmodem(0, p + 3, blk);
	p[3 + blk] = (uint8_t)(crc >> 8);
	p[4 + blk] = (uint8_t)crc;
	return blk + 5;
}

static void send_header(struct rx *r, const char *text, size_t len)
{
	uint8_t p[1100];
	feed(r, p, packet(p, 0, (const uint8_t *)text, len, 128));
}

static void send_data(struct rx *r, uint8_t seq, const uint8_t *d, size_t n, size_t blk)
{
	uint8_t p[1100];
	feed(r, p, packet(p, seq, d, n, blk));
}

static const uint8_t eot = OTK_YMODEM_EOT;
static const char ack_c[] = {OTK_YMODEM_ACK, 'C'};
static const char ack[] = {OTK_YMODEM_ACK};
static const char nak[] = {OTK_YMODEM_NAK};

static void test_whole_transfer(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t file[1500];
	for (size_t i = 0; i < sizeof file; i++)
		file[i] = (uint8_t)(i * 31 + 7);
	expect(r, "C", 1);
	send_header(r, "app.bin\0" "1500 14570000000 100644", 32);
	expect(r, ack_c, 2);
	assert_string_equal(r->m.name, "app.bin");
	assert_int_equal(r->m.size, 1500);
	send_data(r, 1, file, 1024, 1024);
	expect(r, ack, 1);
	send_data(r, 2, file + 1024, 128, 128);
	expect(r, ack, 1);
	send_data(r, 3, file + 1152, 348, 1024); /* padded with 0x1A: cut at the size */
	expect(r, ack, 1);
	feed(r, &eot, 1);
	expect(r, nak, 1); /* the first EOT might be a damaged packet start */
	feed(r, &eot, 1);
	expect(r, ack_c, 2);
	assert_int_equal(r->m.applied, 0); /* not before the closing header */
	send_header(r, "", 0);
	assert_int_equal(r->m.applied, 1);
	assert_int_equal(r->out[0], OTK_YMODEM_ACK);
	assert_non_null(memmem(r->out, r->out_len, "Downloaded file successfully!", 29));
	assert_true(otk_ymodem_done(&r->y));
	assert_int_equal(otk_ymodem_result(&r->y), OTK_OK);
	assert_int_equal(r->m.written, 1500);
	assert_memory_equal(r->m.data, file, 1500);
	free(r);
}

static void test_validation_failed(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t d[128] = {1, 2, 3};
	r->m.finish_rc = OTK_EUPD_PLATFORM;
	send_header(r, "x\0" "100", 5);
	send_data(r, 1, d, 128, 128);
	feed(r, &eot, 1);
	feed(r, &eot, 1);
	r->out_len = 0;
	send_header(r, "", 0);
	assert_int_equal(r->out[0], OTK_YMODEM_CAN);
	assert_int_equal(r->out[1], OTK_YMODEM_CAN);
	assert_non_null(memmem(r->out, r->out_len, "Validation failed: -63", 22));
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EUPD_PLATFORM);
	assert_int_equal(r->m.discarded, 1);
	free(r);
}

static void test_bad_crc_nak_after_quiet(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t d[1024], p[1100];
	memset(d, 0x55, sizeof d);
	send_header(r, "x\0" "1024", 6);
	r->out_len = 0;
	size_t n = packet(p, 1, d, 1024, 1024);
	p[100] ^= 0x10;
	feed(r, p, n);
	expect(r, "", 0);
	tick(r, 50);
	expect(r, "", 0); /* the line must be quiet first */
	tick(r, OTK_YMODEM_QUIET_MS);
	expect(r, nak, 1);
	send_data(r, 1, d, 1024, 1024);
	expect(r, ack, 1);
	assert_int_equal(r->m.written, 1024);
	free(r);
}

static void test_lost_bytes_and_acks(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t d[128], p[200];
	memset(d, 0xA5, sizeof d);
	send_header(r, "x\0" "256", 5);
	send_header(r, "x\0" "256", 5); /* our ACK was lost: ACK and 'C' again */
	r->out_len = 0;
	send_header(r, "x\0" "256", 5);
	expect(r, ack_c, 2);
	assert_int_equal(r->m.begins, 1);
	size_t n = packet(p, 1, d, 128, 128);
	feed(r, p, n - 10); /* bytes lost on the way */
	tick(r, OTK_YMODEM_BYTE_TIMEOUT_MS);
	expect(r, nak, 1);
	send_data(r, 1, d, 128, 128);
	send_data(r, 1, d, 128, 128); /* duplicate: ACKed, not stored twice */
	expect(r, "\x06\x06", 2);
	assert_int_equal(r->m.written, 128);
	free(r);
}

static void test_timeouts(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	r->out_len = 0;
	for (int i = 0; i < 20; i++) /* before the header: ask forever */
		tick(r, OTK_YMODEM_TIMEOUT_MS);
	assert_int_equal(r->out_len, 20);
	assert_false(otk_ymodem_done(&r->y));
	send_header(r, "x\0" "256", 5);
	r->out_len = 0;
	for (unsigned i = 0; i < OTK_YMODEM_MAX_ERRORS; i++)
		tick(r, OTK_YMODEM_TIMEOUT_MS);
	assert_int_equal(r->out_len, OTK_YMODEM_MAX_ERRORS);
	assert_int_equal(r->out[0], OTK_YMODEM_NAK);
	assert_false(otk_ymodem_done(&r->y));
	tick(r, OTK_YMODEM_TIMEOUT_MS);
	assert_true(otk_ymodem_done(&r->y));
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EYMODEM_ERRORS);
	assert_int_equal(r->out[r->out_len - 1], OTK_YMODEM_CAN);
	assert_int_equal(r->m.discarded, 1);
	free(r);
}

static void test_cancel(void **state)
{
	(void)state;
	static const uint8_t cancel[] = {OTK_YMODEM_CAN, OTK_YMODEM_CAN};
	struct rx *r = rx_new();
	send_header(r, "x\0" "256", 5);
	feed(r, cancel, 2);
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EYMODEM_CANCELLED);
	assert_int_equal(r->m.discarded, 1);
	free(r);
	r = rx_new();
	send_header(r, "x\0" "256", 5);
	feed(r, (const uint8_t *)"a", 1); /* once data flows, 'a' is line noise */
	assert_false(otk_ymodem_done(&r->y));
	free(r);
	r = rx_new();
	feed(r, (const uint8_t *)"zzza", 4); /* noise, then the user's 'a' */
	assert_true(otk_ymodem_done(&r->y));
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EYMODEM_CANCELLED);
	assert_int_equal(r->m.begins, 0);
	free(r);
}

static void test_bad_header_and_sequence(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t d[128] = {0};
	send_header(r, "x\0" "abc", 5);
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EYMODEM_HEADER);
	assert_int_equal(r->m.begins, 0);
	free(r);
	r = rx_new();
	send_header(r, "x\0" "99999", 7); /* the sink refuses the size */
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EUPD_TOOLARGE);
	assert_non_null(memmem(r->out, r->out_len, "Validation failed: -64", 22));
	free(r);
	r = rx_new();
	send_header(r, "x\0" "512", 5);
	send_data(r, 2, d, 128, 128);
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EYMODEM_SEQUENCE);
	assert_int_equal(r->m.discarded, 1);
	free(r);
	r = rx_new();
	send_header(r, "", 0); /* an empty batch */
	assert_int_equal(otk_ymodem_result(&r->y), OTK_ENOTFOUND);
	free(r);
}

static void test_truncated_file(void **state)
{
	(void)state;
	struct rx *r = rx_new();
	uint8_t d[128] = {0};
	r->m.finish_rc = OTK_EUPD_INCOMPLETE; /* what the engine says */
	send_header(r, "x\0" "4096", 6);
	send_data(r, 1, d, 128, 128);
	feed(r, &eot, 1);
	feed(r, &eot, 1);
	send_header(r, "", 0);
	assert_int_equal(otk_ymodem_result(&r->y), OTK_EUPD_INCOMPLETE);
	assert_int_equal(r->m.written, 128);
	free(r);
}

static void test_crc16(void **state)
{
	(void)state;
	assert_int_equal(otk_crc16_xmodem(0, (const uint8_t *)"123456789", 9), 0x31C3);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc16),
		cmocka_unit_test(test_whole_transfer),
		cmocka_unit_test(test_validation_failed),
		cmocka_unit_test(test_bad_crc_nak_after_quiet),
		cmocka_unit_test(test_lost_bytes_and_acks),
		cmocka_unit_test(test_timeouts),
		cmocka_unit_test(test_cancel),
		cmocka_unit_test(test_bad_header_and_sequence),
		cmocka_unit_test(test_truncated_file),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
