#define _POSIX_C_SOURCE 200809L
#include "otk/file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/cleanup.h"
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

int otk_file_writer_open(struct otk_file_writer *w, const char *path, bool force)
{
	w->fd = -1;
	w->force = force;
	w->path = path;
	w->tmp = NULL;
	w->cleanup = -1;
	if (!force && otk_file_exists(path))
		return OTK_EEXIST;
	size_t n = strlen(path);
	w->tmp = malloc(n + 16);
	if (!w->tmp)
		return OTK_ENOMEM;
	snprintf(w->tmp, n + 16, "%s.tmpXXXXXX", path);
	w->fd = mkstemp(w->tmp);
	if (w->fd < 0) {
		free(w->tmp);
		w->tmp = NULL;
		return OTK_EIO;
	}
	/* A full table only costs the cleanup on a signal, not the write. */
	w->cleanup = otk_cleanup_add(w->tmp, false);
	return OTK_OK;
}

int otk_file_writer_write(struct otk_file_writer *w, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len) {
		ssize_t n = write(w->fd, p, len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return OTK_EIO;
		}
		p += n;
		len -= (size_t)n;
	}
	return OTK_OK;
}

void otk_file_writer_abort(struct otk_file_writer *w)
{
	int e = errno;
	if (w->fd >= 0)
		close(w->fd);
	w->fd = -1;
	if (w->tmp) {
		unlink(w->tmp);
		otk_cleanup_remove(w->cleanup);
		w->cleanup = -1;
		free(w->tmp);
		w->tmp = NULL;
	}
	errno = e;
}

int otk_file_writer_commit(struct otk_file_writer *w)
{
	int rc = OTK_EIO;
	if (fsync(w->fd) != 0 && errno != EINVAL)
		goto fail;
	if (fchmod(w->fd, 0644) != 0)
		goto fail;
	int fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0)
		goto fail;
	if (!w->force) {
		if (link(w->tmp, w->path) != 0) {
			if (errno == EEXIST)
				rc = OTK_EEXIST;
			goto fail;
		}
		unlink(w->tmp);
	} else if (rename(w->tmp, w->path) != 0) {
		goto fail;
	}
	otk_cleanup_remove(w->cleanup);
	w->cleanup = -1;
	free(w->tmp);
	w->tmp = NULL;
	return OTK_OK;
fail:
	otk_file_writer_abort(w);
	return rc;
}

int otk_file_write(const char *path, const void *buf, size_t len, bool force)
{
	struct otk_file_writer w;
	int rc = otk_file_writer_open(&w, path, force);
	if (rc < 0)
		return rc;
	if ((rc = otk_file_writer_write(&w, buf, len)) < 0) {
		otk_file_writer_abort(&w);
		return rc;
	}
	return otk_file_writer_commit(&w);
}
