/*
 * Particle's USB control requests, host side (otk/usb.h): the service
 * requests INIT / SEND / CHECK / RECV / RESET and the simple request 0x50,
 * as particle-usb sends them (vendor requests to the device, replies of
 * {u32 flags, u16 status, [u16 id], [u32 size], [i32 result]}).
 */
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/module.h"
#include "otk/usb.h"

#define VENDOR_OUT 0x40u
#define VENDOR_IN 0xC0u
#define REPLY_LEN 64u
#define CHUNK 4096u

enum { INIT = 1, CHECK = 2, SEND = 3, RECV = 4, RESET = 5, SIMPLE = 0x50 };
enum { ST_OK = 0, ST_ERROR = 1, ST_PENDING = 2, ST_BUSY = 3, ST_NO_MEMORY = 4, ST_NOT_FOUND = 5 };

static const unsigned check_ms[] = { 50, 50, 100, 100, 250, 250, 500, 500, 1000 };
#define NCHECK (sizeof check_ms / sizeof check_ms[0])

struct reply {
	uint16_t status, id;
	uint32_t size;
	int32_t result;
	bool has_id, has_size, has_result;
};

static int service(struct otk_usb_io *io, uint8_t request, uint16_t value, uint16_t index,
		   struct reply *r)
{
	uint8_t b[REPLY_LEN];
	io->transfers++;
	int n = io->control(io->ctx, VENDOR_IN, request, value, index, b, REPLY_LEN,
			    OTK_USB_TIMEOUT_MS);
	if (n < 0)
		return n;
	memset(r, 0, sizeof *r);
	if (n < 6 || !(otk_le32(b) & 0x01u))
		return OTK_USB_EIO;   /* the status field is mandatory */
	uint32_t flags = otk_le32(b);
	size_t off = 6;
	r->status = otk_le16(b + 4);
	if (flags & 0x02u) {
		if ((size_t)n < off + 2)
			return OTK_USB_EIO;
		r->id = otk_le16(b + off);
		r->has_id = true;
		off += 2;
	}
	if (flags & 0x04u) {
		if ((size_t)n < off + 4)
			return OTK_USB_EIO;
		r->size = otk_le32(b + off);
		r->has_size = true;
		off += 4;
	}
	if (flags & 0x08u) {
		if ((size_t)n < off + 4)
			return OTK_USB_EIO;
		r->result = (int32_t)otk_le32(b + off);
		r->has_result = true;
	}
	return OTK_OK;
}

static void wait(struct otk_usb_io *io, unsigned n, unsigned *elapsed)
{
	unsigned ms = check_ms[n < NCHECK ? n : NCHECK - 1];
	if (io->sleep_ms)
		io->sleep_ms(io->ctx, ms);
	*elapsed += ms;
}

static int send_payload(struct otk_usb_io *io, uint16_t id, const uint8_t *req, size_t len)
{
	uint8_t buf[CHUNK];
	for (size_t off = 0; off < len;) {
		size_t n = len - off < CHUNK ? len - off : CHUNK;
		memcpy(buf, req + off, n);
		io->transfers++;
		int rc = io->control(io->ctx, VENDOR_OUT, SEND, 0, id, buf, (uint16_t)n,
				     OTK_USB_TIMEOUT_MS);
		if (rc < 0)
			return rc;
		off += n;
	}
	return OTK_OK;
}

static int recv_payload(struct otk_usb_io *io, uint16_t id, uint32_t size, uint8_t **rep)
{
	uint8_t *buf = malloc(size);
	if (!buf)
		return OTK_ENOMEM;
	for (uint32_t off = 0; off < size;) {
		uint32_t n = size - off < CHUNK ? size - off : CHUNK;
		io->transfers++;
		int rc = io->control(io->ctx, VENDOR_IN, RECV, 0, id, buf + off, (uint16_t)n,
				     OTK_USB_TIMEOUT_MS);
		if (rc >= 0 && (uint32_t)rc != n)
			rc = OTK_USB_EIO;
		if (rc < 0) {
			free(buf);
			return rc;
		}
		off += n;
	}
	*rep = buf;
	return OTK_OK;
}

/* Forget the request on the device (its slot is freed); errors ignored. */
static void reset_request(struct otk_usb_io *io, uint16_t id)
{
	struct reply r;
	service(io, RESET, 0, id, &r);
}

int otk_usb_request(struct otk_usb_io *io, uint16_t type, const uint8_t *req, size_t req_len,
		    int32_t *result, uint8_t **rep, size_t *rep_len, unsigned timeout_ms)
{
	*result = 0;
	*rep = NULL;
	*rep_len = 0;
	if (req_len > 0xFFFF)
		return OTK_ETOOBIG;
	struct reply r;
	unsigned elapsed = 0, n = 0;
	int rc;
	/* INIT, again while the device is BUSY (four requests active) */
	for (;;) {
		rc = service(io, INIT, (uint16_t)req_len, type, &r);
		if (rc < 0)
			return rc;
		if (r.status != ST_BUSY)
			break;
		if (elapsed >= timeout_ms)
			return OTK_USB_ETIMEOUT;
		wait(io, n++, &elapsed);
	}
	if (r.status == ST_NO_MEMORY)
		return OTK_ENOMEM;
	if ((r.status != ST_OK && r.status != ST_PENDING) || !r.has_id)
		return OTK_USB_EIO;
	uint16_t id = r.id;
	bool sent = req_len == 0;
	if (r.status == ST_OK && !sent) {
		if ((rc = send_payload(io, id, req, req_len)) < 0)
			return rc;
		sent = true;
	}
	n = 0;
	for (;;) {
		if (elapsed >= timeout_ms) {
			reset_request(io, id);
			return OTK_USB_ETIMEOUT;
		}
		wait(io, n++, &elapsed);
		if ((rc = service(io, CHECK, 0, id, &r)) < 0)
			return rc;
		if (r.status == ST_PENDING)
			continue;
		if (r.status == ST_NOT_FOUND)
			return OTK_ENOTFOUND;
		if (r.status == ST_NO_MEMORY)
			return OTK_ENOMEM;
		if (r.status != ST_OK)
			return OTK_USB_EIO;
		if (!sent) {   /* the buffer is ready now: send, then wait for the result */
			if ((rc = send_payload(io, id, req, req_len)) < 0)
				return rc;
			sent = true;
			n = 0;
			continue;
		}
		break;
	}
	*result = r.has_result ? r.result : 0;
	if (r.has_size && r.size) {
		if ((rc = recv_payload(io, id, r.size, rep)) < 0)
			return rc;
		*rep_len = r.size;
	}
	return OTK_OK;
}

int otk_usb_simple(struct otk_usb_io *io, uint16_t type, char *buf, size_t cap)
{
	if (cap < 2)
		return OTK_EINVAL;
	uint16_t want = cap - 1 > REPLY_LEN ? REPLY_LEN : (uint16_t)(cap - 1);
	io->transfers++;
	int n = io->control(io->ctx, VENDOR_IN, SIMPLE, 0, type, (uint8_t *)buf, want,
			    OTK_USB_TIMEOUT_MS);
	if (n < 0)
		return n;
	buf[n] = 0;
	return n;
}
