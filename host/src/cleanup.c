/*
 * Signal-time removal of temporary outputs (see otk/cleanup.h).
 *
 * Each slot moves through FREE -> FILLING -> ARMED -> FREE with atomic
 * compare-and-swap, so threads can add and remove entries while the handler
 * reads the table: the handler only looks at ARMED slots, whose path is
 * complete and no longer written.  Lock-free atomic ints are
 * async-signal-safe; a mutex would not be.
 */
#define _GNU_SOURCE /* getdents64() */
#include "otk/cleanup.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/error.h"

enum { SLOT_FREE, SLOT_FILLING, SLOT_ARMED };

struct slot {
	atomic_int state;
	bool is_dir;
	dev_t dev;    /* identity of what was registered */
	ino_t ino;
	char path[PATH_MAX];
};

static struct slot slots[OTK_CLEANUP_SLOTS];

static const int fatal_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGPIPE, SIGXFSZ };

/* Deepest folder nesting the handler descends into (each level holds one fd). */
#define MAX_DEPTH 32

int otk_cleanup_add(const char *path, bool is_dir)
{
	char abs[PATH_MAX];
	size_t n = strlen(path);
	if (path[0] == '/') {
		if (n >= sizeof abs)
			return OTK_ERANGE;
		memcpy(abs, path, n + 1);
	} else {
		if (!getcwd(abs, sizeof abs))
			return errno == ERANGE ? OTK_ERANGE : OTK_EIO;
		size_t c = strlen(abs);
		if (c + 1 + n >= sizeof abs)
			return OTK_ERANGE;
		abs[c] = '/';
		memcpy(abs + c + 1, path, n + 1);
	}
	struct stat st;
	if (lstat(abs, &st) != 0)
		return OTK_EIO;
	/* A folder registered as a file (or the reverse) is a caller error
	 * that would make the handler do the wrong kind of removal. */
	if (is_dir != S_ISDIR(st.st_mode)) {
		errno = is_dir ? ENOTDIR : EISDIR;
		return OTK_EIO;
	}
	for (int i = 0; i < OTK_CLEANUP_SLOTS; i++) {
		int expect = SLOT_FREE;
		if (!atomic_compare_exchange_strong(&slots[i].state, &expect, SLOT_FILLING))
			continue;
		struct slot *s = &slots[i];
		memcpy(s->path, abs, strlen(abs) + 1);
		s->is_dir = is_dir;
		s->dev = st.st_dev;
		s->ino = st.st_ino;
		atomic_store(&s->state, SLOT_ARMED);
		return i;
	}
	return OTK_ENOSPC;
}

void otk_cleanup_remove(int slot)
{
	if (slot < 0 || slot >= OTK_CLEANUP_SLOTS)
		return;
	atomic_store(&slots[slot].state, SLOT_FREE);
}

/* True when fd/name (not followed) is still the object recorded in s. */
static bool same_object(int dirfd, const char *name, const struct slot *s)
{
	struct stat st;
	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0)
		return false;
	return st.st_dev == s->dev && st.st_ino == s->ino;
}

/*
 * Empty the folder open as fd, depth levels below the registered one.
 * Signal context: one static buffer for getdents64(), shared by all levels,
 * so after descending into a subfolder the listing of this one is read
 * again from the start (entries already removed are gone from it).  Stops
 * when a pass removes nothing, so an entry that cannot be removed does not
 * loop forever.
 */
static void empty_dir(int fd, int depth)
{
	static _Alignas(struct dirent64) char buf[4096];
	for (;;) {
		bool progress = false;
		bool rescan = false;
		if (lseek(fd, 0, SEEK_SET) != 0)
			return;
		ssize_t got;
		while (!rescan && (got = getdents64(fd, buf, sizeof buf)) > 0) {
			for (ssize_t off = 0; off < got && !rescan;) {
				struct dirent64 *d = (struct dirent64 *)(void *)(buf + off);
				off += d->d_reclen;
				const char *name = d->d_name;
				if (name[0] == '.' &&
				    (name[1] == '\0' || (name[1] == '.' && name[2] == '\0')))
					continue;
				if (unlinkat(fd, name, 0) == 0) {
					progress = true;
					continue;
				}
				if (errno != EISDIR && errno != EPERM)
					continue;
				if (unlinkat(fd, name, AT_REMOVEDIR) == 0) {
					progress = true;
					continue;
				}
				if (depth + 1 >= MAX_DEPTH)
					continue;
				int sub = openat(fd, name,
						 O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
				if (sub < 0)
					continue;
				/* buf is about to hold the subfolder's listing */
				char own[NAME_MAX + 1];
				size_t len = strnlen(name, NAME_MAX);
				memcpy(own, name, len);
				own[len] = '\0';
				empty_dir(sub, depth + 1);
				close(sub);
				if (unlinkat(fd, own, AT_REMOVEDIR) == 0)
					progress = true;
				rescan = true;
			}
		}
		if (!progress)
			return;
	}
}

static void remove_slot(const struct slot *s)
{
	if (!same_object(AT_FDCWD, s->path, s))
		return;
	if (!s->is_dir) {
		unlink(s->path);
		return;
	}
	int fd = open(s->path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	empty_dir(fd, 0);
	close(fd);
	rmdir(s->path);
}

static void on_fatal_signal(int sig)
{
	int saved = errno;
	for (int i = 0; i < OTK_CLEANUP_SLOTS; i++) {
		if (atomic_load(&slots[i].state) == SLOT_ARMED)
			remove_slot(&slots[i]);
	}
	/* Die of the same signal: the default action, delivered once this
	 * handler returns (the signal is blocked while it runs). */
	signal(sig, SIG_DFL);
	raise(sig);
	errno = saved;
}

void otk_cleanup_install_signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fatal_signal;
	sigemptyset(&sa.sa_mask);
	/* One cleanup at a time: the other fatal signals wait for it. */
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++)
		sigaddset(&sa.sa_mask, fatal_signals[i]);
	for (size_t i = 0; i < sizeof fatal_signals / sizeof fatal_signals[0]; i++) {
		struct sigaction old;
		if (sigaction(fatal_signals[i], NULL, &old) != 0)
			continue;
		if (old.sa_handler == SIG_IGN)
			continue;
		sigaction(fatal_signals[i], &sa, NULL);
	}
}
