#define _GNU_SOURCE /* renameat2(), RENAME_NOREPLACE */
#include "otk/file.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "otk/cleanup.h"
#include "otk/error.h"

int otk_file_read(const char *path, size_t max, uint8_t **buf, size_t *len)
{
	*buf = NULL;
	*len = 0;
	int fd = strcmp(path, "-") == 0 ? dup(STDIN_FILENO) : open(path, O_RDONLY | O_CLOEXEC);
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

/*
 * Where the writer's bytes go.  REPLACE: a temporary file beside the
 * destination, moved into place at commit.  DIRECT: an existing character
 * device or FIFO (or standard output for "-"), written as it is, because
 * renaming a regular file over it would replace /dev/null or the pipe a
 * reader waits on.
 */
enum { W_REPLACE, W_DIRECT, W_STDOUT };

/* Longest file name component; the temporary name must fit in it too. */
#ifndef NAME_MAX
#define NAME_MAX 255
#endif
#define TMP_TAG ".tmp"
#define TMP_RANDOM 6

/*
 * Create dest's temporary sibling "BASE.tmpXXXXXX" with O_EXCL and mode
 * 0666, so the umask (and a default ACL) decide the final permissions as
 * for any new file.  BASE is shortened when the whole name would not fit in
 * NAME_MAX, cutting at a UTF-8 character boundary.
 */
static int open_tmp(struct otk_file_writer *w, const char *dest)
{
	const char *base = otk_path_basename(dest);
	size_t dirlen = (size_t)(base - dest);
	size_t blen = strlen(base);
	size_t room = NAME_MAX - (sizeof TMP_TAG - 1) - TMP_RANDOM;
	if (blen > room) {
		blen = room;
		while (blen > 0 && ((uint8_t)base[blen] & 0xC0) == 0x80)
			blen--;
	}
	size_t n = dirlen + blen + sizeof TMP_TAG - 1 + TMP_RANDOM + 1;
	w->tmp = malloc(n);
	if (!w->tmp)
		return OTK_ENOMEM;
	memcpy(w->tmp, dest, dirlen + blen);
	memcpy(w->tmp + dirlen + blen, TMP_TAG, sizeof TMP_TAG - 1);
	char *rnd = w->tmp + dirlen + blen + sizeof TMP_TAG - 1;
	static const char alphabet[] =
		"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
	for (int attempt = 0; attempt < 100; attempt++) {
		uint8_t r[TMP_RANDOM];
		if (getrandom(r, sizeof r, 0) != (ssize_t)sizeof r) {
			/* No entropy source: vary by time, pid and attempt; O_EXCL
			 * still guarantees the name is ours. */
			uint64_t x = (uint64_t)time(NULL) * 2654435761u ^
				     (uint64_t)getpid() << 16 ^ (uint64_t)attempt * 40503u;
			for (size_t k = 0; k < sizeof r; k++, x >>= 7)
				r[k] = (uint8_t)x;
		}
		for (size_t k = 0; k < TMP_RANDOM; k++)
			rnd[k] = alphabet[r[k] % (sizeof alphabet - 1)];
		rnd[TMP_RANDOM] = '\0';
		w->fd = open(w->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
		if (w->fd >= 0)
			return OTK_OK;
		if (errno != EEXIST)
			break;
	}
	int e = errno;
	free(w->tmp);
	w->tmp = NULL;
	errno = e;
	return OTK_EIO;
}

int otk_file_writer_open(struct otk_file_writer *w, const char *path, bool force)
{
	w->fd = -1;
	w->force = force;
	w->path = path;
	w->tmp = NULL;
	w->dest = NULL;
	w->cleanup = -1;
	w->kind = W_REPLACE;
	if (strcmp(path, "-") == 0) {
		w->kind = W_STDOUT;
		w->fd = STDOUT_FILENO;
		return OTK_OK;
	}
	struct stat st;
	if (stat(path, &st) == 0) {
		if (!force)
			return OTK_EEXIST;
		if (S_ISDIR(st.st_mode)) {
			errno = EISDIR;
			return OTK_EIO;
		}
		if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode)) {
			w->fd = open(path, O_WRONLY | O_NOCTTY | O_CLOEXEC);
			if (w->fd < 0)
				return OTK_EIO;
			w->kind = W_DIRECT;
			return OTK_OK;
		}
		if (!S_ISREG(st.st_mode)) {
			/* Block devices and sockets: not something to write an
			 * image file into by accident. */
			errno = ENOTSUP;
			return OTK_EIO;
		}
		/* A link to a regular file: replace the target, keep the link. */
		struct stat lst;
		if (lstat(path, &lst) == 0 && S_ISLNK(lst.st_mode)) {
			w->dest = realpath(path, NULL);
			if (!w->dest)
				return OTK_EIO;
		}
	} else if (errno != ENOENT) {
		return OTK_EIO;
	} else if (!force && otk_file_exists(path)) {
		return OTK_EEXIST; /* a dangling symbolic link */
	}
	int rc = open_tmp(w, w->dest ? w->dest : path);
	if (rc < 0) {
		int e = errno;
		free(w->dest);
		w->dest = NULL;
		errno = e;
		return rc;
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

static void writer_done(struct otk_file_writer *w)
{
	if (w->fd >= 0 && w->kind != W_STDOUT)
		close(w->fd);
	w->fd = -1;
	if (w->tmp) {
		unlink(w->tmp);
		free(w->tmp);
		w->tmp = NULL;
	}
	otk_cleanup_remove(w->cleanup);
	w->cleanup = -1;
	free(w->dest);
	w->dest = NULL;
}

void otk_file_writer_abort(struct otk_file_writer *w)
{
	int e = errno;
	writer_done(w);
	errno = e;
}

/* True for errors meaning "this file system cannot do that operation". */
static bool unsupported(int e)
{
	return e == EPERM || e == EINVAL || e == ENOSYS || e == ENOTSUP || e == EOPNOTSUPP;
}

/*
 * Move tmp to dest unless dest exists, without a window in which a file
 * created at dest by someone else could be replaced.  renameat2() with
 * RENAME_NOREPLACE does it in one step; file systems without it (FUSE
 * mounts answer EINVAL) may still have link() (then tmp is unlinked);
 * those without hard links either (vfat, exFAT: EPERM) get dest reserved by
 * an exclusive create, which tmp then replaces.  Only that last way can be
 * seen half done: an empty dest, registered for removal on a signal and
 * removed on failure.
 */
static int place_noclobber(const char *tmp, const char *dest)
{
#ifdef RENAME_NOREPLACE
	if (renameat2(AT_FDCWD, tmp, AT_FDCWD, dest, RENAME_NOREPLACE) == 0)
		return OTK_OK;
	if (errno == EEXIST)
		return OTK_EEXIST;
	if (!unsupported(errno))
		return OTK_EIO;
#endif
	if (link(tmp, dest) == 0) {
		unlink(tmp);
		return OTK_OK;
	}
	if (errno == EEXIST)
		return OTK_EEXIST;
	if (!unsupported(errno) && errno != EMLINK)
		return OTK_EIO;
	int fd = open(dest, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0666);
	if (fd < 0)
		return errno == EEXIST ? OTK_EEXIST : OTK_EIO;
	struct stat st;
	int have = fstat(fd, &st);
	close(fd);
	int slot = otk_cleanup_add(dest, false);
	int rc = OTK_OK;
	if (rename(tmp, dest) != 0) {
		int e = errno;
		struct stat now;
		/* Remove the placeholder only while it is still ours. */
		if (have == 0 && lstat(dest, &now) == 0 && now.st_dev == st.st_dev &&
		    now.st_ino == st.st_ino)
			unlink(dest);
		errno = e;
		rc = OTK_EIO;
	}
	otk_cleanup_remove(slot);
	return rc;
}

/*
 * Make the rename itself durable: the new directory entry is only on disk
 * once the directory is synced.  Best effort: the output is in place
 * whatever this returns, and some file systems cannot sync a directory.
 */
static void sync_parent(const char *path)
{
	const char *base = otk_path_basename(path);
	size_t n = (size_t)(base - path);
	char *dir = malloc(n + 2);
	if (!dir)
		return;
	if (n == 0) {
		strcpy(dir, ".");
	} else {
		memcpy(dir, path, n);
		dir[n] = '\0';
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	free(dir);
	if (fd < 0)
		return;
	fsync(fd);
	close(fd);
}

int otk_file_writer_commit(struct otk_file_writer *w)
{
	int rc = OTK_EIO;
	if (w->kind == W_STDOUT) {
		writer_done(w);
		return OTK_OK;
	}
	/* EINVAL: the file (a pipe, a device) cannot be synced. */
	if (fsync(w->fd) != 0 && errno != EINVAL)
		goto fail;
	int fd = w->fd;
	w->fd = -1;
	if (close(fd) != 0)
		goto fail;
	if (w->kind == W_DIRECT) {
		writer_done(w);
		return OTK_OK;
	}
	const char *dest = w->dest ? w->dest : w->path;
	if (!w->force) {
		rc = place_noclobber(w->tmp, dest);
		if (rc < 0)
			goto fail;
	} else if (rename(w->tmp, dest) != 0) {
		goto fail;
	}
	free(w->tmp);
	w->tmp = NULL;
	sync_parent(dest);
	writer_done(w);
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
