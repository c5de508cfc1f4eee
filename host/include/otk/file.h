/*
 * Whole-file I/O for host tools.  Reads are capped so that a wrong argument
 * (a disk image, /dev/zero) fails cleanly instead of exhausting memory;
 * writes go to a temporary file in the same directory and are renamed into
 * place, so an interrupted or failed write never leaves a half-written
 * output or destroys what was there before.
 */
#ifndef OTK_FILE_H
#define OTK_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/limits.h"

#define OTK_FILE_MAX_DEFAULT OTK_LIMIT_FILE

/*
 * Read path into a malloc'd buffer (*buf, freed by the caller; never NULL on
 * success, even for an empty file).  "-" is standard input; pipes and
 * devices are read to their end, up to max.  Returns OTK_OK, OTK_EIO (errno says
 * why), OTK_ETOOBIG when the file is larger than max, OTK_ENOMEM.
 */
int otk_file_read(const char *path, size_t max, uint8_t **buf, size_t *len);

/*
 * Write len bytes to path atomically (see otk_file_writer_open() for what
 * path may be).  Without force an existing path is left alone and
 * OTK_EEXIST returned.  OTK_EIO on failure (errno set), in which case path
 * is untouched.
 */
int otk_file_write(const char *path, const void *buf, size_t len, bool force);

/*
 * Streaming form of otk_file_write() for outputs built piece by piece.
 *
 * otk_file_writer_open() refuses an existing path without force
 * (OTK_EEXIST) and opens a temporary file "PATH.tmpXXXXXX" beside it
 * (the name shortened to fit), created with mode 0666 less the umask and
 * registered with otk_cleanup so a fatal signal removes it.
 * otk_file_writer_write() appends.  otk_file_writer_commit() fsyncs it and
 * moves it into place, then fsyncs the directory: without force so that a
 * file that appeared meanwhile is never replaced (renameat2 with
 * RENAME_NOREPLACE, else link(), else an exclusive create of PATH that the
 * temporary file then replaces, for vfat and exFAT, which have neither);
 * with force by rename().  otk_file_writer_abort() removes the temporary
 * file.  After commit or abort the writer is finished; abort after a failed
 * commit is a no-op.
 *
 * What path may name:
 *   "-"                    standard output, written directly (nothing to
 *                          commit; abort cannot take back what was written);
 *   a character device or FIFO (with force)
 *                          opened and written directly, never replaced by a
 *                          regular file (so --force -o /dev/null is safe);
 *   a symbolic link to a regular file (with force)
 *                          the target is replaced the atomic way, in the
 *                          target's directory; the link stays;
 *   a dangling symbolic link (with force)
 *                          replaced by the new file;
 *   a directory, block device or socket
 *                          refused: OTK_EIO with errno EISDIR or ENOTSUP.
 */
struct otk_file_writer {
	int fd;
	bool force;
	int kind;        /* private: replace, direct or stdout */
	char *tmp;       /* temporary file, NULL once moved or removed */
	char *dest;      /* resolved target of a symbolic link, or NULL */
	const char *path;
	int cleanup;     /* otk_cleanup slot of tmp, or negative */
};
int otk_file_writer_open(struct otk_file_writer *w, const char *path, bool force);
int otk_file_writer_write(struct otk_file_writer *w, const void *buf, size_t len);
int otk_file_writer_commit(struct otk_file_writer *w);
void otk_file_writer_abort(struct otk_file_writer *w);

/* True when path names an existing file system entry. */
bool otk_file_exists(const char *path);

/* The part of path after the last '/'. */
const char *otk_path_basename(const char *path);

#endif
