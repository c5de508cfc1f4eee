/* YMODEM receiver: see otk/ymodem.h. */
#include "otk/ymodem.h"

#include <string.h>

#include "otk/error.h"
#include "otk/update.h"

uint16_t otk_crc16_xmodem(uint16_t crc, const uint8_t *p, size_t n)
{
	while (n--) {
		crc ^= (uint16_t)(*p++ << 8);
		for (int i = 0; i < 8; i++)
			crc = (uint16_t)((crc & 0x8000) ? (crc << 1) ^ 0x1021 : crc << 1);
	}
	return crc;
}

static void emit(struct otk_ymodem *y, const void *p, size_t n)
{
	if (n > sizeof y->out - y->out_len)
		n = sizeof y->out - y->out_len; /* only repeated NAKs could fill it */
	memcpy(y->out + y->out_len, p, n);
	y->out_len += n;
}

static void emit_byte(struct otk_ymodem *y, uint8_t b)
{
	emit(y, &b, 1);
}

static void emit_text(struct otk_ymodem *y, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	emit(y, s, n);
}

/* "-123" into out (at least 12 bytes). */
static void int_text(int v, char *out)
{
	char tmp[12];
	size_t n = 0, i = 0;
	unsigned u = v < 0 ? 0u - (unsigned)v : (unsigned)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[i++] = '-';
	while (n)
		out[i++] = tmp[--n];
	out[i] = 0;
}

/* The transfer ends: result, and the sink told when a file was open. */
static void finish(struct otk_ymodem *y, int result, bool file_open)
{
	if (file_open && y->sink->finish)
		y->sink->finish(y->ctx, false);
	if (result != OTK_OK && result != OTK_ENOTFOUND && result != OTK_EYMODEM_CANCELLED) {
		uint8_t can[2] = {OTK_YMODEM_CAN, OTK_YMODEM_CAN};
		emit(y, can, 2);
	}
	y->result = result;
	y->phase = OTK_YMODEM_FINISHED;
}

/* The sink refused the file: CA CA and the reason, as Device OS prints it. */
static void refused(struct otk_ymodem *y, int rc, bool file_open)
{
	char code[12];
	finish(y, rc, file_open);
	int_text(rc, code);
	emit_text(y, "\r\nValidation failed: ");
	emit_text(y, code);
	emit_text(y, "\r\n");
}

static bool file_open(const struct otk_ymodem *y)
{
	return y->phase == OTK_YMODEM_DATA || y->phase == OTK_YMODEM_END;
}

/* A timeout or a bad packet: ask again, or give up after too many. */
static void error(struct otk_ymodem *y)
{
	if (y->started && ++y->errors > OTK_YMODEM_MAX_ERRORS) {
		finish(y, OTK_EYMODEM_ERRORS, file_open(y));
		return;
	}
	emit_byte(y, y->phase == OTK_YMODEM_DATA ? OTK_YMODEM_NAK : OTK_YMODEM_CRC);
}

void otk_ymodem_init(struct otk_ymodem *y, const struct otk_ymodem_sink *sink, void *ctx,
		     uint32_t now)
{
	memset(y, 0, sizeof *y);
	y->sink = sink;
	y->ctx = ctx;
	y->phase = OTK_YMODEM_HEADER;
	y->last_ms = now;
	emit_byte(y, OTK_YMODEM_CRC);
}

/* "name\0size[ mtime mode ...]": the name and the decimal size (> 0). */
static int parse_header(struct otk_ymodem *y, const uint8_t *d, size_t len)
{
	size_t i = 0, n = 0;
	uint32_t size = 0;
	bool digits = false;
	while (i < len && d[i])
		i++;
	if (i == len)
		return OTK_EYMODEM_HEADER;
	n = i < sizeof y->name - 1 ? i : sizeof y->name - 1;
	memcpy(y->name, d, n);
	y->name[n] = 0;
	for (i++; i < len && d[i] >= '0' && d[i] <= '9'; i++) {
		if (size > (UINT32_MAX - 9) / 10)
			return OTK_EYMODEM_HEADER;
		size = size * 10 + (uint32_t)(d[i] - '0');
		digits = true;
	}
	if (!digits || size == 0)
		return OTK_EYMODEM_HEADER;
	y->size = size;
	return OTK_OK;
}

static void on_header(struct otk_ymodem *y, const uint8_t *d, size_t len)
{
	int rc;
	if (y->phase == OTK_YMODEM_END) {
		/* The closing header: ACK only once the file is applied. */
		rc = y->sink->finish ? y->sink->finish(y->ctx, true) : OTK_OK;
		if (rc == OTK_OK && d[0] == 0) {
			emit_byte(y, OTK_YMODEM_ACK);
			emit_text(y, "\r\nDownloaded file successfully!\r\n");
			y->phase = OTK_YMODEM_FINISHED;
			y->result = OTK_OK;
			return;
		}
		if (rc == OTK_OK) { /* a second file: one per session, as Device OS */
			finish(y, OTK_EYMODEM_SEQUENCE, false);
			return;
		}
		refused(y, rc, true);
		return;
	}
	if (d[0] == 0) { /* empty batch */
		emit_byte(y, OTK_YMODEM_ACK);
		finish(y, OTK_ENOTFOUND, false);
		return;
	}
	rc = parse_header(y, d, len);
	if (rc == OTK_OK)
		rc = y->sink->begin(y->ctx, y->name, y->size);
	if (rc == OTK_EYMODEM_HEADER) {
		finish(y, rc, false);
		return;
	}
	if (rc != OTK_OK) {
		refused(y, rc, false);
		return;
	}
	y->started = true;
	y->phase = OTK_YMODEM_DATA;
	y->seq = 1;
	y->received = 0;
	emit_byte(y, OTK_YMODEM_ACK);
	emit_byte(y, OTK_YMODEM_CRC);
}

static void on_data(struct otk_ymodem *y, uint8_t seq, const uint8_t *d, size_t len)
{
	if (seq == (uint8_t)(y->seq - 1)) {
		/* Our ACK was lost: the same packet again (the header: 'C' too). */
		emit_byte(y, OTK_YMODEM_ACK);
		if (seq == 0 && y->received == 0)
			emit_byte(y, OTK_YMODEM_CRC);
		return;
	}
	if (seq != y->seq) {
		finish(y, OTK_EYMODEM_SEQUENCE, true);
		return;
	}
	if (y->received < y->size) {
		size_t n = y->size - y->received < len ? y->size - y->received : len;
		int rc = y->sink->write(y->ctx, y->received, d, n);
		if (rc != OTK_OK) {
			refused(y, rc, true);
			return;
		}
		y->received += (uint32_t)n;
	}
	y->seq++;
	emit_byte(y, OTK_YMODEM_ACK);
}

/* A whole packet is in pkt[0..need). */
static void on_packet(struct otk_ymodem *y)
{
	size_t len = y->need - 5;
	const uint8_t *d = y->pkt + 3;
	uint16_t crc = (uint16_t)(y->pkt[y->need - 2] << 8 | y->pkt[y->need - 1]);
	if ((uint8_t)(y->pkt[1] ^ y->pkt[2]) != 0xFF || otk_crc16_xmodem(0, d, len) != crc) {
		y->purging = true; /* NAK once the rest of what was sent has passed */
		return;
	}
	y->errors = 0;
	if (y->phase == OTK_YMODEM_DATA) /* sequence numbers wrap: 255, 0, 1, ... */
		on_data(y, y->pkt[1], d, len);
	else if (y->pkt[1] == 0)
		on_header(y, d, len);
	else
		finish(y, OTK_EYMODEM_SEQUENCE, file_open(y));
}

/* The first byte of a packet, or a control byte between packets. */
static void on_start(struct otk_ymodem *y, uint8_t b)
{
	if (b == OTK_YMODEM_CAN) {
		if (++y->cans >= 2)
			finish(y, OTK_EYMODEM_CANCELLED, file_open(y));
		return;
	}
	y->cans = 0;
	if (b != OTK_YMODEM_EOT)
		y->eot = false;
	switch (b) {
	case OTK_YMODEM_SOH:
	case OTK_YMODEM_STX:
		y->pkt[0] = b;
		y->have = 1;
		y->need = b == OTK_YMODEM_SOH ? 3 + 128 + 2 : 3 + 1024 + 2;
		break;
	case OTK_YMODEM_EOT:
		/*
		 * A lone EOT may be a packet's damaged first byte (sequence 4):
		 * NAK it and take the EOT the sender repeats, as lrzsz's rb does.
		 */
		if (y->phase == OTK_YMODEM_DATA && !y->eot) {
			y->eot = true;
			emit_byte(y, OTK_YMODEM_NAK);
		} else if (y->phase == OTK_YMODEM_DATA || y->phase == OTK_YMODEM_END) {
			y->phase = OTK_YMODEM_END;
			y->errors = 0;
			emit_byte(y, OTK_YMODEM_ACK);
			emit_byte(y, OTK_YMODEM_CRC);
		}
		return;
	case 'a':
	case 'A':
		/* the user's abort key, before the sender started (later it is noise) */
		if (!y->started)
			finish(y, OTK_EYMODEM_CANCELLED, false);
		break;
	default:
		break; /* noise between packets */
	}
}

size_t otk_ymodem_input(struct otk_ymodem *y, const uint8_t *data, size_t len, uint32_t now)
{
	size_t i = 0;
	while (i < len && y->phase != OTK_YMODEM_FINISHED && y->out_len == 0) {
		uint8_t b = data[i++];
		y->last_ms = now;
		if (y->purging)
			continue;
		if (y->have == 0) {
			y->packet_ms = now;
			on_start(y, b);
			continue;
		}
		y->pkt[y->have++] = b;
		if (y->have == y->need) {
			y->have = 0;
			on_packet(y);
		}
	}
	return i;
}

void otk_ymodem_tick(struct otk_ymodem *y, uint32_t now)
{
	uint32_t quiet = now - y->last_ms;
	if (y->phase == OTK_YMODEM_FINISHED)
		return;
	if (y->purging) {
		if (quiet >= OTK_YMODEM_QUIET_MS) {
			y->purging = false;
			y->last_ms = now;
			error(y);
		}
		return;
	}
	if (y->have && quiet >= OTK_YMODEM_BYTE_TIMEOUT_MS) {
		y->have = 0; /* a packet that lost bytes */
		y->last_ms = now;
		error(y);
		return;
	}
	if (!y->have && quiet >= OTK_YMODEM_TIMEOUT_MS) {
		y->last_ms = now;
		error(y);
	}
}

size_t otk_ymodem_output(struct otk_ymodem *y, uint8_t *buf, size_t cap)
{
	size_t n = y->out_len < cap ? y->out_len : cap;
	memcpy(buf, y->out, n);
	memmove(y->out, y->out + n, y->out_len - n);
	y->out_len -= n;
	return n;
}

bool otk_ymodem_done(const struct otk_ymodem *y)
{
	return y->phase == OTK_YMODEM_FINISHED;
}

int otk_ymodem_result(const struct otk_ymodem *y)
{
	return y->result;
}

/* --- the update engine as the sink ------------------------------------ */

static int upd_begin(void *ctx, const char *name, uint32_t size)
{
	struct otk_update_start s;
	long rc;
	(void)name;
	memset(&s, 0, sizeof s);
	s.size = size;
	s.flags = OTK_UPDATE_LOCAL | OTK_UPDATE_NON_RESUMABLE;
	s.function = OTK_FUNC_NONE;
	rc = otk_update_begin(ctx, &s);
	return rc < 0 ? (int)rc : OTK_OK;
}

static int upd_write(void *ctx, uint32_t off, const uint8_t *data, size_t len)
{
	return otk_update_write(ctx, off, data, len);
}

static int upd_finish(void *ctx, bool apply)
{
	if (apply)
		return otk_update_finish(ctx, OTK_FINISH_APPLY, NULL);
	otk_update_finish(ctx, OTK_FINISH_DISCARD, NULL);
	return OTK_OK;
}

const struct otk_ymodem_sink otk_ymodem_update_sink = {upd_begin, upd_write, upd_finish};
