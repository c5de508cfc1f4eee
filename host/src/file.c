#define _POSIX_C_SOURCE 200809L
#include "otk/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/error.h"

int otk_file_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return OTK_EIO;
	struct stat st;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return OTK_EIO;
	}
	if (S_ISDIR(st.st_mode)) {
		close(fd);
		errno = EISDIR;
		return OTK_EIO;
	}
	/* Regular files are read in one go; pipes and devices grow a buffer. */
	size_t cap = S_ISREG(st.st_mode) ? (size_t)st.st_size : 65536;
	if (S_ISREG(st.st_mode) && (uint64_t)st.st_size > max) {
		close(fd);
		return OTK_ETOOBIG;
	}
	uint8_t *p = malloc(cap ? cap : 1);
	if (!p) {
		close(fd);
		return OTK_ENOMEM;
	}
	size_t n = 0;
	for (;;) {
		if (n == cap) {
			if (S_ISREG(st.st_mode) && cap == (size_t)st.st_size) {
				/* probe for growth since fstat */
				uint8_t probe;
				ssize_t r = read(fd, &probe, 1);
				if (r == 0)
					break;
				if (r < 0) {
					if (errno == EINTR)
						continue;
					goto fail;
				}
				if (cap + 1 > max)
					goto toobig;
				size_t ncap = cap * 2 + 1;
				uint8_t *q = realloc(p, ncap);
				if (!q)
					goto nomem;
				p = q;
				p[n++] = probe;
				cap = ncap;
				continue;
			}
			if (cap >= max)
				goto toobig;
			size_t ncap = cap * 2 > max ? max : cap * 2;
			uint8_t *q = realloc(p, ncap);
			if (!q)
				goto nomem;
			p = q;
			cap = ncap;
		}
		ssize_t r = read(fd, p + n, cap - n);
		if (r == 0)
			break;
		if (r < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		n += (size_t)r;
	}
	close(fd);
	*buf = p;
	*len = n;
	return OTK_OK;
toobig:
	free(p);
	close(fd);
	return OTK_ETOOBIG;
nomem:
	free(p);
	close(fd);
	return OTK_ENOMEM;
fail: {
	int e = errno;
	free(p);
	close(fd);
	errno = e;
	return OTK_EIO;
}
}

bool otk_file_exists(const char *path)
{
	struct stat st;
	return lstat(path, &st) == 0;
}

const char *otk_path_basename(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int otk_file_write(const char *path, const void *buf, size_t len, bool force)
{
	if (!force && otk_file_exists(path))
		return OTK_EEXIST;
	size_t n = strlen(path);
	char *tmp = malloc(n + 16);
	if (!tmp)
		return OTK_ENOMEM;
	snprintf(tmp, n + 16, "%s.tmpXXXXXX", path);
	int fd = mkstemp(tmp);
	if (fd < 0) {
		free(tmp);
		return OTK_EIO;
	}
	const uint8_t *p = buf;
	size_t left = len;
	while (left) {
		ssize_t w = write(fd, p, left);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			goto fail;
		}
		p += w;
		left -= (size_t)w;
	}
	if (fsync(fd) != 0 && errno != EINVAL)
		goto fail;
	if (fchmod(fd, 0644) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (!force) {
		/* link() refuses to replace, closing the race with a new file */
		if (link(tmp, path) != 0)
			goto fail;
		unlink(tmp);
	} else if (rename(tmp, path) != 0) {
		goto fail;
	}
	free(tmp);
	return OTK_OK;
fail: {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	errno = e;
	return e == EEXIST ? OTK_EEXIST : OTK_EIO;
}
}
