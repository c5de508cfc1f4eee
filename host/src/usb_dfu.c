/*
 * DfuSe client (otk/usb.h): DFU 1.1 with ST's extensions as Particle
 * devices speak them (spec 04).  Writes erase the sectors the memory
 * string names, set the address pointer once per contiguous run and then
 * send consecutive blocks (block n lands at (n - 2) * xfer + pointer), so a
 * download takes one set-address instead of one per block; each block is
 * followed by GETSTATUS polls that wait bwPollTimeout as the device asks.
 */
#include <stdio.h>
#include <string.h>

#include "otk/dfuse.h"
#include "otk/error.h"
#include "otk/usb.h"

#define REQ_OUT 0x21u   /* host to device, class, interface */
#define REQ_IN 0xA1u
#define MAX_POLLS 2000u

struct status {
	uint8_t status, state;
	unsigned poll_ms;
};

static int xfer(struct otk_dfu *d, uint8_t type, uint8_t req, uint16_t value, uint8_t *data,
		uint16_t len)
{
	d->io->transfers++;
	return d->io->control(d->io->ctx, type, req, value, d->iface, data, len, OTK_USB_TIMEOUT_MS);
}

static int get_status(struct otk_dfu *d, struct status *s)
{
	uint8_t b[6];
	int rc = xfer(d, REQ_IN, OTK_DFU_GETSTATUS, 0, b, sizeof b);
	if (rc < 0)
		return rc;
	if (rc < 6)
		return OTK_USB_EIO;
	s->status = b[0];
	s->poll_ms = (unsigned)b[1] | ((unsigned)b[2] << 8) | ((unsigned)b[3] << 16);
	s->state = b[4];
	return OTK_OK;
}

/* Back to dfuIDLE from wherever the device is (error, download or upload). */
static int to_idle(struct otk_dfu *d)
{
	struct status s;
	int rc = get_status(d, &s);
	if (rc < 0)
		return rc;
	if (s.state == OTK_DFU_ERROR)
		rc = xfer(d, REQ_OUT, OTK_DFU_CLRSTATUS, 0, NULL, 0);
	else if (s.state == OTK_DFU_DNLOAD_IDLE || s.state == OTK_DFU_UPLOAD_IDLE)
		rc = xfer(d, REQ_OUT, OTK_DFU_ABORT, 0, NULL, 0);
	return rc < 0 ? rc : OTK_OK;
}

/* Poll GETSTATUS after a DNLOAD until the device is idle again. */
static int wait_idle(struct otk_dfu *d, const char *what, uint32_t addr)
{
	for (unsigned i = 0; i < MAX_POLLS; i++) {
		struct status s;
		int rc = get_status(d, &s);
		if (rc < 0)
			return rc;
		if (s.status != OTK_DFU_OK) {
			snprintf(d->err, sizeof d->err, "%s at 0x%08x: the device reports DFU status %u",
				 what, addr, s.status);
			return OTK_EIO;
		}
		if (s.state == OTK_DFU_DNLOAD_IDLE || s.state == OTK_DFU_IDLE)
			return OTK_OK;
		if (s.state != OTK_DFU_DNBUSY && s.state != OTK_DFU_DNLOAD_SYNC) {
			snprintf(d->err, sizeof d->err, "%s at 0x%08x: unexpected DFU state %u", what,
				 addr, s.state);
			return OTK_EIO;
		}
		if (s.poll_ms && d->io->sleep_ms)
			d->io->sleep_ms(d->io->ctx, s.poll_ms);
	}
	snprintf(d->err, sizeof d->err, "%s at 0x%08x: the device stays busy", what, addr);
	return OTK_USB_ETIMEOUT;
}

static int command(struct otk_dfu *d, uint8_t cmd, uint32_t addr, const char *what)
{
	uint8_t b[5] = { cmd, (uint8_t)addr, (uint8_t)(addr >> 8), (uint8_t)(addr >> 16),
			 (uint8_t)(addr >> 24) };
	int rc = xfer(d, REQ_OUT, OTK_DFU_DNLOAD, 0, b, sizeof b);
	if (rc < 0)
		return rc;
	return wait_idle(d, what, addr);
}

static bool retryable(int rc)
{
	return rc == OTK_USB_ESTALL || rc == OTK_USB_ETIMEOUT;
}

static int report(struct otk_dfu *d, int rc, const char *what, uint32_t addr)
{
	if (rc < 0 && !d->err[0])
		snprintf(d->err, sizeof d->err, "%s at 0x%08x: %s", what, addr, otk_usb_strerror(rc));
	return rc;
}

/* Erase every sector of [addr, addr + len) that the memory string says erasable. */
static int erase(struct otk_dfu *d, uint32_t addr, size_t len)
{
	uint32_t a = addr, end = addr + (uint32_t)len;
	while (a < end) {
		uint32_t start, size;
		char perm;
		int rc = otk_dfuse_sector(d->memstr, a, &start, &size, &perm);
		if (rc < 0 || size == 0) {
			snprintf(d->err, sizeof d->err, "0x%08x is outside the device's memory (%s)", a,
				 d->memstr);
			return OTK_ERANGE;
		}
		unsigned bits = (unsigned)(perm - 'a' + 1);
		if (!(bits & 4u)) {
			snprintf(d->err, sizeof d->err, "0x%08x: the device's memory is not writable there",
				 a);
			return OTK_ERANGE;
		}
		if (bits & 2u) {
			rc = OTK_USB_ESTALL;
			for (unsigned t = 0; t <= d->retries && retryable(rc); t++) {
				if (t)
					to_idle(d);
				rc = command(d, OTK_DFUSE_CMD_ERASE, start, "erase");
			}
			if (rc < 0)
				return report(d, rc, "erase", start);
		}
		a = start + size;
	}
	return OTK_OK;
}

/* Blocks of one run from `from`: set the pointer, then blocks 2, 3, ... */
static int write_run(struct otk_dfu *d, uint32_t addr, const uint8_t *data, size_t len,
		     size_t *done, size_t total)
{
	int rc = command(d, OTK_DFUSE_CMD_SET_ADDRESS, addr, "set address");
	if (rc < 0)
		return rc;
	uint16_t block = 2;
	for (size_t off = 0; off < len; block++) {
		size_t n = len - off < d->xfer ? len - off : d->xfer;
		uint8_t buf[OTK_DFUSE_XFER_SIZE];
		memcpy(buf, data + off, n);
		rc = xfer(d, REQ_OUT, OTK_DFU_DNLOAD, block, buf, (uint16_t)n);
		if (rc >= 0)
			rc = wait_idle(d, "write", addr + (uint32_t)off);
		if (rc < 0) {
			/* the block that failed, for the message (a retry clears it) */
			report(d, rc, "write", addr + (uint32_t)off);
			return rc;
		}
		off += n;
		*done += n;
		if (d->progress)
			d->progress(d->progress_ctx, *done, total);
		if (block == 0xFFFF)
			return write_run(d, addr + (uint32_t)off, data + off, len - off, done, total);
	}
	return OTK_OK;
}

int otk_dfu_download(struct otk_dfu *d, uint32_t addr, const uint8_t *data, size_t len)
{
	d->err[0] = 0;
	if (!d->xfer || d->xfer > OTK_DFUSE_XFER_SIZE)
		d->xfer = OTK_DFUSE_XFER_SIZE;
	int rc = to_idle(d);
	if (rc < 0)
		return report(d, rc, "status", addr);
	if (d->memstr && (rc = erase(d, addr, len)) < 0)
		return rc;
	size_t done = 0, off = 0;
	/* a failed run is sent again from its block, up to `retries` times */
	for (unsigned t = 0;; t++) {
		size_t before = done;
		rc = write_run(d, addr + (uint32_t)off, data + off, len - off, &done, len);
		if (rc >= 0 || !retryable(rc) || t >= d->retries)
			break;
		/* restart at the block that failed: the blocks before it are written */
		off += ((done - before) / d->xfer) * d->xfer;
		done = off;
		d->err[0] = 0;
		to_idle(d);
	}
	return report(d, rc, "write", addr + (uint32_t)off);
}

int otk_dfu_upload(struct otk_dfu *d, uint32_t addr, uint8_t *data, size_t len)
{
	d->err[0] = 0;
	if (!d->xfer || d->xfer > OTK_DFUSE_XFER_SIZE)
		d->xfer = OTK_DFUSE_XFER_SIZE;
	int rc = to_idle(d);
	if (rc >= 0)
		rc = command(d, OTK_DFUSE_CMD_SET_ADDRESS, addr, "set address");
	/* uploads start from dfuIDLE: leave dfuDNLOAD-IDLE */
	if (rc >= 0)
		rc = xfer(d, REQ_OUT, OTK_DFU_ABORT, 0, NULL, 0);
	uint16_t block = 2;
	for (size_t off = 0; rc >= 0 && off < len; block++) {
		size_t n = len - off < d->xfer ? len - off : d->xfer;
		rc = xfer(d, REQ_IN, OTK_DFU_UPLOAD, block, data + off, (uint16_t)n);
		if (rc >= 0 && (size_t)rc != n) {
			snprintf(d->err, sizeof d->err, "read at 0x%08x: %d of %zu bytes",
				 addr + (uint32_t)off, rc, n);
			return OTK_EIO;
		}
		off += n;
		if (d->progress && rc >= 0)
			d->progress(d->progress_ctx, off, len);
	}
	if (rc >= 0)
		rc = xfer(d, REQ_OUT, OTK_DFU_ABORT, 0, NULL, 0);
	return report(d, rc < 0 ? rc : OTK_OK, "read", addr);
}

/* The status request after a command that resets the device: gone is success. */
static int status_then_gone(struct otk_dfu *d, const char *what)
{
	struct status s;
	int rc = get_status(d, &s);
	if (rc == OTK_USB_EGONE || rc == OTK_USB_EIO || rc == OTK_USB_ETIMEOUT)
		return OTK_OK;
	if (rc >= 0 && s.status != OTK_DFU_OK) {
		snprintf(d->err, sizeof d->err, "%s: the device reports DFU status %u", what, s.status);
		return OTK_EIO;
	}
	return rc < 0 ? report(d, rc, what, 0) : OTK_OK;
}

int otk_dfu_safe_mode(struct otk_dfu *d)
{
	uint8_t cmd = OTK_DFUSE_CMD_SAFE_MODE;
	int rc;
	d->err[0] = 0;
	rc = to_idle(d);
	if (rc >= 0)
		rc = xfer(d, REQ_OUT, OTK_DFU_DNLOAD, 0, &cmd, 1);
	if (rc < 0)
		return report(d, rc, "safe mode", 0);
	return status_then_gone(d, "safe mode");
}

int otk_dfu_leave(struct otk_dfu *d, uint32_t addr)
{
	d->err[0] = 0;
	int rc = to_idle(d);
	if (rc >= 0)
		rc = command(d, OTK_DFUSE_CMD_SET_ADDRESS, addr, "set address");
	if (rc >= 0)
		rc = xfer(d, REQ_OUT, OTK_DFU_DNLOAD, 2, NULL, 0);
	if (rc < 0)
		return report(d, rc, "leave", addr);
	/* the status request starts the manifest; the device may be gone after it */
	return status_then_gone(d, "leave");
}

const char *otk_usb_strerror(int rc)
{
	switch (rc) {
	case OTK_USB_ESTALL: return "the device stalled the request";
	case OTK_USB_ETIMEOUT: return "the device did not answer in time";
	case OTK_USB_EGONE: return "the device is gone";
	case OTK_USB_EIO: return "USB transfer failed";
	default: return otk_strerror(rc);
	}
}
