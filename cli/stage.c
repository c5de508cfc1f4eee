/*
 * Outputs of several files (bundle unpack, hex to-bin) appear all at once or
 * not at all: they are written into a private staging folder, then the
 * folder is renamed into place (a new output folder) or its files are
 * renamed into the existing one.  The staging folder has a short name, so
 * output names up to NAME_MAX fit, and it is registered with the cleanup
 * registry, so a signal removes it.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"
#include "otk/cleanup.h"

char *cli_join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* target without trailing slashes ("out/" names the folder out), malloc'd. */
static char *strip_slashes(const char *target)
{
	size_t n = strlen(target);
	while (n > 1 && target[n - 1] == '/')
		n--;
	return strndup(target, n);
}

static mode_t umask_now(void)
{
	mode_t m = umask(0);
	umask(m);
	return m;
}

/* Leaves *s safe to pass to cli_stage_abort() whatever happens. */
bool cli_stage_open(struct cli_stage *s, const char *target)
{
	struct stat st;
	memset(s, 0, sizeof *s);
	s->slot = -1;
	s->target = strip_slashes(target);
	if (!s->target)
		return false;
	s->into_existing = stat(s->target, &st) == 0;
	if (s->into_existing && !S_ISDIR(st.st_mode)) {
		cli_error(s->target, "exists and is not a folder");
		cli_stage_abort(s);
		return false;
	}
	/* Inside an existing folder, else beside the new one: one file system
	 * either way, so the renames cannot fail with EXDEV. */
	const char *slash = strrchr(s->target, '/');
	int plen = s->into_existing ? (int)strlen(s->target) + 1
				    : slash ? (int)(slash - s->target) + 1 : 0;
	if (asprintf(&s->dir, "%.*s%s.otakit-XXXXXX", s->into_existing ? plen - 1 : plen,
		     s->target, s->into_existing ? "/" : "") < 0) {
		s->dir = NULL;
		cli_stage_abort(s);
		return false;
	}
	if (!mkdtemp(s->dir)) {
		cli_error(s->target, "cannot create a folder %s it: %s",
			  s->into_existing ? "inside" : "beside", strerror(errno));
		free(s->dir);
		s->dir = NULL; /* nothing was made: nothing to remove */
		cli_stage_abort(s);
		return false;
	}
	s->slot = otk_cleanup_add(s->dir, true);
	/* The new folder gets the permissions mkdir would give it. */
	chmod(s->dir, 0777 & ~umask_now());
	return true;
}

bool cli_stage_mkdir(const struct cli_stage *s, const char *rel)
{
	char *p = cli_join(s->dir, rel);
	bool ok = p && (mkdir(p, 0777) == 0 || errno == EEXIST);
	if (!ok)
		cli_error(s->target, "cannot create %s: %s", cli_shown(rel), strerror(errno));
	free(p);
	return ok;
}

bool cli_stage_write(const struct cli_stage *s, const char *rel, const void *data, size_t len)
{
	char *p = cli_join(s->dir, rel);
	int fd = p ? open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666) : -1;
	const uint8_t *b = data;
	bool ok = fd >= 0;
	while (ok && len) {
		ssize_t n = write(fd, b, len);
		if (n < 0 && errno == EINTR)
			continue;
		ok = n > 0;
		if (ok) {
			b += n;
			len -= (size_t)n;
		}
	}
	ok = ok && fsync(fd) == 0;
	int err = errno;
	if (fd >= 0 && close(fd) != 0 && ok) {
		ok = false;
		err = errno;
	}
	if (!ok) {
		char *shown = cli_join(s->target, rel);
		cli_error(shown ? shown : s->target, "cannot write: %s", strerror(err));
		free(shown);
	}
	free(p);
	return ok;
}

/* Renames every file of src into dst (which exists), folders merged. */
static bool move_into(const char *src, const char *dst, const char *target)
{
	DIR *d = opendir(src);
	if (!d)
		return false;
	bool ok = true;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
			continue;
		char *from = cli_join(src, e->d_name), *to = cli_join(dst, e->d_name);
		struct stat st;
		ok = from && to && lstat(from, &st) == 0;
		if (ok && S_ISDIR(st.st_mode))
			ok = (mkdir(to, 0777) == 0 || errno == EEXIST) && move_into(from, to, target);
		else if (ok && rename(from, to) != 0) {
			cli_error(target, "cannot move %s into place: %s", cli_shown(e->d_name),
				  strerror(errno));
			ok = false;
		}
		free(from);
		free(to);
	}
	closedir(d);
	return ok;
}

bool cli_stage_commit(struct cli_stage *s)
{
	bool ok;
	if (s->into_existing) {
		ok = move_into(s->dir, s->target, s->target);
	} else {
		ok = rename(s->dir, s->target) == 0;
		if (!ok && (errno == EEXIST || errno == ENOTEMPTY))
			cli_error(s->target, "appeared while it was being written (another process "
				  "writing the same folder?); left as it is");
		else if (!ok)
			cli_error(s->target, "cannot move into place: %s", strerror(errno));
	}
	cli_stage_abort(s); /* what is left of the staging folder */
	return ok;
}

void cli_remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *p = cli_join(dir, e->d_name);
			struct stat st;
			if (p && lstat(p, &st) == 0 && S_ISDIR(st.st_mode))
				cli_remove_tree(p);
			else if (p)
				unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

void cli_stage_abort(struct cli_stage *s)
{
	if (s->dir && access(s->dir, F_OK) == 0)
		cli_remove_tree(s->dir);
	otk_cleanup_remove(s->slot);
	s->slot = -1;
	free(s->dir);
	free(s->target);
	s->dir = s->target = NULL;
}
