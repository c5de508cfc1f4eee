/*
 * File-backed NOR flash for the virtual device.
 *
 * Faithful to the parts we emulate: erase sets bytes to 0xFF, a write ANDs
 * the new bytes into what is there (programming can only clear bits, so a
 * write over unerased data corrupts it exactly as on hardware), and each
 * write or erase is made durable (fdatasync) before it returns, as the flash
 * operation would be complete on a device.  A process killed between two
 * operations therefore leaves the flash as a power cut would.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "otk/error.h"
#include "vdev.h"

/*
 * OTK_VDEV_CUT_AT=N (tests): the N-th write or erase of this process is done
 * half-way and then the power dies (_exit 137), the way a real cut tears an
 * operation, which a kill -9 between system calls cannot do.
 */
static unsigned long g_ops, g_cut_at;
static bool g_cut_read;

static bool cut_now(void)
{
	if (!g_cut_read) {
		const char *s = getenv("OTK_VDEV_CUT_AT");
		g_cut_at = s ? strtoul(s, NULL, 10) : 0;
		g_cut_read = true;
	}
	return g_cut_at && ++g_ops == g_cut_at;
}

static void power_dies(int fd)
{
	fdatasync(fd);
	_exit(137);
}

static void op_delay(const struct flashfile *f)
{
	if (f->delay_ms) {
		struct timespec ts = { (time_t)(f->delay_ms / 1000u),
				       (long)(f->delay_ms % 1000u) * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static int pread_all(int fd, void *buf, size_t len, off_t off)
{
	uint8_t *p = buf;
	while (len) {
		ssize_t n = pread(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return OTK_EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return OTK_OK;
}

static int pwrite_all(int fd, const void *buf, size_t len, off_t off)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = pwrite(fd, p, len, off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return OTK_EIO;
		p += n;
		len -= (size_t)n;
		off += n;
	}
	return OTK_OK;
}

static int ff_read(void *ctx, uint32_t off, void *buf, size_t len)
{
	struct flashfile *f = ctx;
	if (off > f->size || len > f->size - off)
		return OTK_ERANGE;
	return pread_all(f->fd, buf, len, (off_t)off);
}

static int ff_write(void *ctx, uint32_t off, const void *buf, size_t len)
{
	struct flashfile *f = ctx;
	const uint8_t *src = buf;
	uint8_t tmp[1024];
	if (off > f->size || len > f->size - off)
		return OTK_ERANGE;
	op_delay(f);
	bool cut = cut_now();
	if (cut)
		len /= 2;
	while (len) {
		size_t n = len < sizeof tmp ? len : sizeof tmp;
		int rc = pread_all(f->fd, tmp, n, (off_t)off);
		if (rc < 0)
			return rc;
		for (size_t i = 0; i < n; i++)
			tmp[i] &= src[i];   /* NOR: programming clears bits only */
		if ((rc = pwrite_all(f->fd, tmp, n, (off_t)off)) < 0)
			return rc;
		off += (uint32_t)n;
		src += n;
		len -= n;
	}
	if (cut)
		power_dies(f->fd);
	return fdatasync(f->fd) == 0 ? OTK_OK : OTK_EIO;
}

static int ff_erase(void *ctx, uint32_t off, size_t len)
{
	struct flashfile *f = ctx;
	uint8_t ones[VDEV_ERASE_SIZE];
	if (off > f->size || len > f->size - off || off % VDEV_ERASE_SIZE || len % VDEV_ERASE_SIZE)
		return OTK_EINVAL;
	op_delay(f);
	bool cut = cut_now();
	if (cut)
		len /= 2;   /* half-erased: the rest keeps its old bytes */
	memset(ones, 0xFF, sizeof ones);
	for (size_t done = 0; done < len; done += sizeof ones) {
		size_t n = len - done < sizeof ones ? len - done : sizeof ones;
		int rc = pwrite_all(f->fd, ones, n, (off_t)(off + done));
		if (rc < 0)
			return rc;
	}
	if (cut)
		power_dies(f->fd);
	return fdatasync(f->fd) == 0 ? OTK_OK : OTK_EIO;
}

const struct otk_flash_ops flashfile_ops = { ff_read, ff_write, ff_erase };

/*
 * Open (or with create, make a fully erased) flash file of size bytes.
 * OTK_EIO with errno set on failure; OTK_ERANGE when an existing file has
 * another size (a device directory from another layout).
 */
int flashfile_open(struct flashfile *f, const char *path, uint32_t base, uint32_t size,
		   bool create)
{
	memset(f, 0, sizeof *f);
	f->fd = open(path, create ? O_RDWR | O_CREAT | O_EXCL : O_RDWR, 0644);
	if (f->fd < 0)
		return OTK_EIO;
	f->base = base;
	f->size = size;
	if (create) {
		uint8_t ones[VDEV_ERASE_SIZE];
		int rc = ftruncate(f->fd, 0) == 0 ? OTK_OK : OTK_EIO;
		memset(ones, 0xFF, sizeof ones);
		for (uint32_t done = 0; rc == OTK_OK && done < size; done += VDEV_ERASE_SIZE)
			rc = pwrite_all(f->fd, ones, sizeof ones, (off_t)done);
		if (rc == OTK_OK && fdatasync(f->fd) != 0)
			rc = OTK_EIO;
		if (rc != OTK_OK) {
			close(f->fd);
			f->fd = -1;
			return OTK_EIO;
		}
	} else {
		off_t end = lseek(f->fd, 0, SEEK_END);
		if (end != (off_t)size) {
			close(f->fd);
			f->fd = -1;
			return OTK_ERANGE;
		}
	}
	return OTK_OK;
}

void flashfile_close(struct flashfile *f)
{
	if (f->fd >= 0)
		close(f->fd);
	f->fd = -1;
}
