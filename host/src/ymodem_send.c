/* The YMODEM sender: see otk/serial.h. */
#define _GNU_SOURCE
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "otk/error.h"
#include "otk/serial.h"
#include "otk/ymodem.h"

#define ANSWER_MS 2000       /* no ACK within this: send the packet again */
#define HEADER_MS 10000      /* the header's ACK waits for staging to be erased */
#define VALIDATE_MS 60000    /* the closing header waits for validation */
#define MAX_RETRIES 10

struct tx {
	int fd;
	struct otk_ymodem_send_result *res;
	char line[160];          /* text the device printed between packets */
	size_t line_len;
};

/*
 * Keep the device's last text line (its verdict comes as text).  Returns
 * ACK or OTK_EYMODEM_CANCELLED when a line is the verdict, so a lost ACK
 * of the closing header does not hide it; else 0.
 */
static int keep_text(struct tx *t, uint8_t b)
{
	if (b == '\r' || b == '\n') {
		int verdict = 0;
		if (t->line_len) {
			t->line[t->line_len] = 0;
			snprintf(t->res->device_says, sizeof t->res->device_says, "%s", t->line);
			if (strstr(t->line, "Downloaded file successfully"))
				verdict = OTK_YMODEM_ACK;
			else if (strstr(t->line, "Validation failed"))
				verdict = OTK_EYMODEM_CANCELLED;
		}
		t->line_len = 0;
		return verdict;
	} else if (b >= 0x20 && b < 0x7F && t->line_len + 1 < sizeof t->line) {
		t->line[t->line_len++] = (char)b;
	}
	return 0;
}

/*
 * Wait for one of the answers in want (ACK, NAK, 'C'), or CA CA.  Returns
 * the byte, 0 on timeout, OTK_EYMODEM_CANCELLED, OTK_EIO.
 */
static int answer(struct tx *t, const char *want, int timeout_ms)
{
	struct timespec ts;
	long end, now;
	int cans = 0;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	end = ts.tv_sec * 1000L + ts.tv_nsec / 1000000L + timeout_ms;
	for (;;) {
		uint8_t b;
		long n;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
		if (now >= end)
			return 0;
		n = otk_serial_read(t->fd, &b, 1, (int)(end - now));
		if (n < 0)
			return (int)n;
		if (n == 0)
			return 0;
		if (b == OTK_YMODEM_CAN) {
			if (++cans >= 2)
				return OTK_EYMODEM_CANCELLED;
			continue;
		}
		cans = 0;
		if (strchr(want, b) && b)
			return b;
		/* noise, echoes and the device's messages; the verdict ends the wait */
		int verdict = keep_text(t, b);
		if (verdict && t->res->step == 3)
			return verdict;
	}
}

static size_t packet(uint8_t *p, uint8_t seq, const uint8_t *d, size_t n, size_t blk, uint8_t pad)
{
	uint16_t crc;
	p[0] = blk == 128 ? OTK_YMODEM_SOH : OTK_YMODEM_STX;
	p[1] = seq;
	p[2] = (uint8_t)~seq;
	memset(p + 3, pad, blk);
	memcpy(p + 3, d, n);
	crc = otk_crc16_xmodem(0, p + 3, blk);
	p[3 + blk] = (uint8_t)(crc >> 8);
	p[4 + blk] = (uint8_t)crc;
	return blk + 5;
}

/*
 * Send a packet until it is ACKed (NAK, or 'C' while the header waits,
 * asks for it again); then optionally wait for the receiver's go-ahead:
 * 'C', or a NAK when the 'C' was lost on the line.
 */
static int send_packet(struct tx *t, const uint8_t *p, size_t n, int timeout_ms, bool then_c)
{
	const char ack_nak[] = {OTK_YMODEM_ACK, OTK_YMODEM_NAK, n > 1 && p[1] == 0 ? 'C' : 0, 0};
	for (unsigned tries = 0;; tries++) {
		int rc;
		if (tries > MAX_RETRIES)
			return OTK_EYMODEM_ERRORS;
		if (tries && n > 1) /* a first EOT is NAKed on purpose */
			t->res->retries++;
		rc = otk_serial_write(t->fd, p, n);
		if (rc)
			return rc;
		rc = answer(t, ack_nak, timeout_ms);
		if (rc < 0)
			return rc;
		if (rc == OTK_YMODEM_ACK)
			break;
	}
	if (then_c) {
		static const char go[] = {'C', OTK_YMODEM_NAK, 0};
		int rc = answer(t, go, 10000);
		if (rc <= 0)
			return rc < 0 ? rc : OTK_EYMODEM_ERRORS;
	}
	return OTK_OK;
}

/* The device's verdict after the closing header: its text up to a line end. */
static void read_verdict(struct tx *t)
{
	uint8_t b;
	while (otk_serial_read(t->fd, &b, 1, 500) == 1)
		if (keep_text(t, b))
			break;
}

int otk_ymodem_send(int fd, const char *name, const uint8_t *data, size_t len, int wait_ms,
		    otk_ymodem_progress_fn progress, void *ctx, struct otk_ymodem_send_result *res)
{
	struct tx t = {fd, res, {0}, 0};
	uint8_t p[3 + 1024 + 2], hdr[128];
	size_t off = 0;
	uint8_t seq = 1;
	int rc, n;
	memset(res, 0, sizeof *res);
	rc = answer(&t, "C", wait_ms);
	if (rc <= 0)
		return rc < 0 ? rc : OTK_EYMODEM_ERRORS;
	memset(hdr, 0, sizeof hdr);
	n = snprintf((char *)hdr, sizeof hdr, "%s", name);
	snprintf((char *)hdr + n + 1, sizeof hdr - (size_t)n - 1, "%zu", len);
	rc = send_packet(&t, p, packet(p, 0, hdr, sizeof hdr, 128, 0), HEADER_MS, true);
	if (rc)
		goto fail;
	res->step = 1;
	while (off < len) {
		size_t left = len - off, blk = left <= 128 ? 128 : 1024;
		size_t take = left < blk ? left : blk;
		rc = send_packet(&t, p, packet(p, seq++, data + off, take, blk, 0x1A), ANSWER_MS, false);
		if (rc)
			goto fail;
		off += take;
		if (progress)
			progress(ctx, off, len);
	}
	res->step = 2;
	{
		uint8_t eot = OTK_YMODEM_EOT;
		rc = send_packet(&t, &eot, 1, ANSWER_MS, true);
		if (rc)
			goto fail;
	}
	res->step = 3;
	memset(hdr, 0, sizeof hdr);
	rc = send_packet(&t, p, packet(p, 0, hdr, sizeof hdr, 128, 0), VALIDATE_MS, false);
	read_verdict(&t);
	if (rc)
		goto fail;
	return OTK_OK;
fail:
	if (rc == OTK_EYMODEM_CANCELLED)
		read_verdict(&t);
	else if (rc != OTK_EIO) {
		static const uint8_t cancel[] = {OTK_YMODEM_CAN, OTK_YMODEM_CAN, OTK_YMODEM_CAN};
		otk_serial_write(fd, cancel, sizeof cancel);
	}
	return rc;
}
