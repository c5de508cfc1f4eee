/*
 * The atomic file writer and the signal cleanup registry.
 *
 * File systems without hard links or RENAME_NOREPLACE (vfat, exFAT, FUSE
 * mounts) are faked by wrapping link() and renameat2() at link time
 * (-Wl,--wrap in tests/CMakeLists.txt): the wrappers fail the way those file
 * systems do.  fsync() is wrapped to see the directory being synced.
 * tests/hostile.sh repeats the no-hard-link case on a real vfat image when
 * the machine can mount one.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "otk/cleanup.h"
#include "otk/error.h"
#include "otk/file.h"
#include "testutil.h"

static bool no_rename2, no_link;
static int dir_syncs;

int __real_link(const char *from, const char *to);
int __wrap_link(const char *from, const char *to);
int __real_renameat2(int olddirfd, const char *from, int newdirfd, const char *to,
		     unsigned int flags);
int __wrap_renameat2(int olddirfd, const char *from, int newdirfd, const char *to,
		     unsigned int flags);
int __real_fsync(int fd);
int __wrap_fsync(int fd);

int __wrap_link(const char *from, const char *to)
{
	if (no_link) {
		errno = EPERM; /* vfat, exFAT */
		return -1;
	}
	return __real_link(from, to);
}

int __wrap_renameat2(int olddirfd, const char *from, int newdirfd, const char *to,
		     unsigned int flags)
{
	if (no_rename2 && flags) {
		errno = EINVAL; /* FUSE without rename2, old kernels */
		return -1;
	}
	return __real_renameat2(olddirfd, from, newdirfd, to, flags);
}

int __wrap_fsync(int fd)
{
	struct stat st;
	if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode))
		dir_syncs++;
	return __real_fsync(fd);
}

/* A fresh empty folder for one test. */
static char *fresh_dir(const char *name)
{
	char *d = otk_test_path("%s/%s", otk_test_tmpdir(), name);
	char *cmd = otk_test_path("rm -rf '%s'", d);
	assert_int_equal(system(cmd), 0);
	free(cmd);
	assert_int_equal(mkdir(d, 0755), 0);
	return d;
}

/* Number of entries in dir (without . and ..). */
static int entries(const char *dir)
{
	DIR *d = opendir(dir);
	assert_non_null(d);
	int n = 0;
	struct dirent *e;
	while ((e = readdir(d)))
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0)
			n++;
	closedir(d);
	return n;
}

static void assert_content(const char *path, const char *want)
{
	size_t len;
	uint8_t *b = otk_test_read(path, &len);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(b, want, len);
	free(b);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static int setup_fakes(void **state)
{
	(void)state;
	no_rename2 = no_link = false;
	dir_syncs = 0;
	return 0;
}

/* Write, refuse, replace: the same with every way of placing the file. */
static void check_write_modes(const char *dirname)
{
	char *d = fresh_dir(dirname);
	char *out = otk_test_path("%s/out.bin", d);
	assert_int_equal(otk_file_write(out, "one", 3, false), OTK_OK);
	assert_content(out, "one");
	assert_int_equal(otk_file_write(out, "two", 3, false), OTK_EEXIST);
	assert_content(out, "one");
	assert_int_equal(otk_file_write(out, "three", 5, true), OTK_OK);
	assert_content(out, "three");
	assert_int_equal(entries(d), 1);
	free(out);
	free(d);
}

static void test_write_modes(void **state)
{
	(void)state;
	check_write_modes("modes-normal");
	no_rename2 = true;
	check_write_modes("modes-no-rename2");
}

/* vfat and exFAT: no hard links, and (FUSE) no RENAME_NOREPLACE. */
static void test_no_hard_links(void **state)
{
	(void)state;
	no_rename2 = no_link = true;
	check_write_modes("modes-no-links");
}

/* A file that appears between open and commit is never replaced. */
static void check_race(const char *dirname)
{
	char *d = fresh_dir(dirname);
	char *out = otk_test_path("%s/out.bin", d);
	struct otk_file_writer w;
	assert_int_equal(otk_file_writer_open(&w, out, false), OTK_OK);
	assert_int_equal(otk_file_writer_write(&w, "mine", 4), OTK_OK);
	put(out, "theirs");
	assert_int_equal(otk_file_writer_commit(&w), OTK_EEXIST);
	otk_file_writer_abort(&w);
	assert_content(out, "theirs");
	assert_int_equal(entries(d), 1);
	free(out);
	free(d);
}

static void test_noclobber_race(void **state)
{
	(void)state;
	check_race("race-normal");
	no_rename2 = true;
	check_race("race-no-rename2");
	no_link = true;
	check_race("race-no-links");
}

static void test_umask(void **state)
{
	(void)state;
	char *d = fresh_dir("umask");
	char *a = otk_test_path("%s/a", d), *b = otk_test_path("%s/b", d);
	mode_t old = umask(027);
	int rc = otk_file_write(a, "x", 1, false);
	umask(002);
	int rc2 = otk_file_write(b, "x", 1, false);
	umask(old);
	assert_int_equal(rc, OTK_OK);
	assert_int_equal(rc2, OTK_OK);
	struct stat st;
	assert_int_equal(stat(a, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0640);
	assert_int_equal(stat(b, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0664);
	free(a);
	free(b);
	free(d);
}

/* The rename is only durable once the directory is synced. */
static void test_dir_fsync(void **state)
{
	(void)state;
	char *d = fresh_dir("dirsync");
	char *out = otk_test_path("%s/out.bin", d);
	dir_syncs = 0;
	assert_int_equal(otk_file_write(out, "x", 1, false), OTK_OK);
	assert_true(dir_syncs >= 1);
	dir_syncs = 0;
	assert_int_equal(otk_file_write(out, "y", 1, true), OTK_OK);
	assert_true(dir_syncs >= 1);
	free(out);
	free(d);
}

/* --force onto a FIFO writes into it; it stays a FIFO. */
static void test_force_fifo(void **state)
{
	(void)state;
	char *d = fresh_dir("fifo");
	char *fifo = otk_test_path("%s/pipe", d);
	assert_int_equal(mkfifo(fifo, 0600), 0);
	int rd = open(fifo, O_RDONLY | O_NONBLOCK);
	assert_true(rd >= 0);
	assert_int_equal(otk_file_write(fifo, "hello", 5, false), OTK_EEXIST);
	assert_int_equal(otk_file_write(fifo, "hello", 5, true), OTK_OK);
	struct stat st;
	assert_int_equal(lstat(fifo, &st), 0);
	assert_true(S_ISFIFO(st.st_mode));
	char buf[16];
	assert_int_equal(read(rd, buf, sizeof buf), 5);
	assert_memory_equal(buf, "hello", 5);
	close(rd);
	free(fifo);
	free(d);
}

/* --force onto a link to /dev/null writes to /dev/null; both stay. */
static void test_force_link_to_device(void **state)
{
	(void)state;
	char *d = fresh_dir("devlink");
	char *link = otk_test_path("%s/null", d);
	assert_int_equal(symlink("/dev/null", link), 0);
	assert_int_equal(otk_file_write(link, "data", 4, true), OTK_OK);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_int_equal(stat("/dev/null", &st), 0);
	assert_true(S_ISCHR(st.st_mode));
	assert_int_equal(entries(d), 1);
	free(link);
	free(d);
}

/* --force onto a link to a regular file replaces the target; the link stays. */
static void test_force_link_to_file(void **state)
{
	(void)state;
	char *d = fresh_dir("filelink");
	char *sub = otk_test_path("%s/real", d);
	assert_int_equal(mkdir(sub, 0755), 0);
	char *target = otk_test_path("%s/real/app.bin", d);
	char *link = otk_test_path("%s/app.bin", d);
	put(target, "old");
	assert_int_equal(symlink("real/app.bin", link), 0);
	assert_int_equal(otk_file_write(link, "new", 3, false), OTK_EEXIST);
	assert_int_equal(otk_file_write(link, "new", 3, true), OTK_OK);
	struct stat st;
	assert_int_equal(lstat(link, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	assert_content(target, "new");
	assert_int_equal(entries(sub), 1);
	free(link);
	free(target);
	free(sub);
	free(d);
}

static void test_directory_refused(void **state)
{
	(void)state;
	char *d = fresh_dir("isdir");
	assert_int_equal(otk_file_write(d, "x", 1, true), OTK_EIO);
	assert_int_equal(errno, EISDIR);
	free(d);
}

/* "-" is standard output; no file named "-" appears. */
static void test_stdout(void **state)
{
	(void)state;
	char *d = fresh_dir("stdout");
	char *cap = otk_test_path("%s/captured", d);
	fflush(stdout);
	int saved = dup(STDOUT_FILENO);
	int fd = open(cap, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(saved >= 0 && fd >= 0);
	char cwd[4096];
	assert_non_null(getcwd(cwd, sizeof cwd));
	assert_int_equal(chdir(d), 0);
	dup2(fd, STDOUT_FILENO);
	close(fd);
	int rc = otk_file_write("-", "to stdout", 9, false);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	assert_int_equal(chdir(cwd), 0);
	assert_int_equal(rc, OTK_OK);
	assert_content(cap, "to stdout");
	assert_int_equal(entries(d), 1);
	free(cap);
	free(d);
}

/* Names up to NAME_MAX work although the temporary name adds a suffix. */
static void test_long_names(void **state)
{
	(void)state;
	char *d = fresh_dir("long");
	char name[256];
	memset(name, 'n', 255);
	name[255] = '\0';
	char *out = otk_test_path("%s/%s", d, name);
	assert_int_equal(otk_file_write(out, "x", 1, false), OTK_OK);
	assert_content(out, "x");
	free(out);
	/* 127 two-byte characters: the temporary name is cut between them. */
	char utf[256];
	for (int i = 0; i < 127; i++)
		memcpy(utf + 2 * i, "\xc3\xa9", 2);
	utf[254] = '\0';
	out = otk_test_path("%s/%s", d, utf);
	assert_int_equal(otk_file_write(out, "y", 1, false), OTK_OK);
	assert_content(out, "y");
	assert_int_equal(entries(d), 2);
	free(out);
	free(d);
}

/* Run fn in a child that installs the handlers; it must die of sig. */
static void die_by_signal(void (*fn)(const char *), const char *arg, int sig)
{
	fflush(NULL);
	pid_t pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		otk_cleanup_install_signals();
		fn(arg);
		raise(sig);
		_exit(3);
	}
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), sig);
}

static void half_written(const char *dir)
{
	char *out = otk_test_path("%s/out.bin", dir);
	static struct otk_file_writer w;
	if (otk_file_writer_open(&w, out, false) != OTK_OK ||
	    otk_file_writer_write(&w, "partial", 7) != OTK_OK)
		_exit(4);
	free(out);
}

static void test_signal_removes_temporary(void **state)
{
	(void)state;
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGXFSZ };
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
		char *d = fresh_dir("signal");
		die_by_signal(half_written, d, sigs[i]);
		assert_int_equal(entries(d), 0);
		free(d);
	}
}

/* A registered folder goes with its contents, but not what its links point to. */
static void registered_tree(const char *dir)
{
	char *t = otk_test_path("%s/tree", dir);
	char *p = otk_test_path("%s/tree/a/b", dir);
	char *f = otk_test_path("%s/tree/a/b/f", dir);
	char *l = otk_test_path("%s/tree/a/outside", dir);
	char *o = otk_test_path("%s/outside", dir);
	if (mkdir(t, 0700) || otk_cleanup_add(t, true) < 0)
		_exit(4);
	char *a = otk_test_path("%s/tree/a", dir);
	if (mkdir(a, 0700) || mkdir(p, 0700) || symlink(o, l))
		_exit(5);
	put(f, "x");
}

static void test_signal_removes_folder(void **state)
{
	(void)state;
	char *d = fresh_dir("signal-tree");
	char *o = otk_test_path("%s/outside", d);
	char *keep = otk_test_path("%s/outside/keep", d);
	assert_int_equal(mkdir(o, 0755), 0);
	put(keep, "keep");
	die_by_signal(registered_tree, d, SIGTERM);
	assert_int_equal(entries(d), 1);
	assert_content(keep, "keep");
	free(keep);
	free(o);
	free(d);
}

/* Only the registered file goes: another file renamed over its name stays. */
static void replaced_after_register(const char *dir)
{
	char *a = otk_test_path("%s/a", dir), *b = otk_test_path("%s/b", dir);
	put(a, "ours");
	if (otk_cleanup_add(a, false) < 0)
		_exit(4);
	put(b, "someone else's");
	if (rename(b, a))
		_exit(5);
}

static void test_signal_checks_identity(void **state)
{
	(void)state;
	char *d = fresh_dir("signal-identity");
	char *a = otk_test_path("%s/a", d);
	die_by_signal(replaced_after_register, d, SIGINT);
	assert_content(a, "someone else's");
	free(a);
	free(d);
}

static void test_cleanup_slots(void **state)
{
	(void)state;
	char *d = fresh_dir("slots");
	int slot[OTK_CLEANUP_SLOTS];
	for (int i = 0; i < OTK_CLEANUP_SLOTS; i++) {
		slot[i] = otk_cleanup_add(d, true);
		assert_true(slot[i] >= 0);
	}
	assert_int_equal(otk_cleanup_add(d, true), OTK_ENOSPC);
	otk_cleanup_remove(slot[5]);
	assert_int_equal(otk_cleanup_add(d, true), slot[5]);
	for (int i = 0; i < OTK_CLEANUP_SLOTS; i++)
		otk_cleanup_remove(slot[i]);
	otk_cleanup_remove(-1);
	char *missing = otk_test_path("%s/missing", d);
	assert_int_equal(otk_cleanup_add(missing, false), OTK_EIO);
	assert_int_equal(otk_cleanup_add(d, false), OTK_EIO); /* a folder, not a file */
	free(missing);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_write_modes, setup_fakes),
		cmocka_unit_test_setup(test_no_hard_links, setup_fakes),
		cmocka_unit_test_setup(test_noclobber_race, setup_fakes),
		cmocka_unit_test_setup(test_umask, setup_fakes),
		cmocka_unit_test_setup(test_dir_fsync, setup_fakes),
		cmocka_unit_test_setup(test_force_fifo, setup_fakes),
		cmocka_unit_test_setup(test_force_link_to_device, setup_fakes),
		cmocka_unit_test_setup(test_force_link_to_file, setup_fakes),
		cmocka_unit_test_setup(test_directory_refused, setup_fakes),
		cmocka_unit_test_setup(test_stdout, setup_fakes),
		cmocka_unit_test_setup(test_long_names, setup_fakes),
		cmocka_unit_test_setup(test_signal_removes_temporary, setup_fakes),
		cmocka_unit_test_setup(test_signal_removes_folder, setup_fakes),
		cmocka_unit_test_setup(test_signal_checks_identity, setup_fakes),
		cmocka_unit_test_setup(test_cleanup_slots, setup_fakes),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
