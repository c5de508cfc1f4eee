/*
 * Removal of temporary outputs when the process is killed.
 *
 * Writers create temporary files (and folders) beside their outputs and
 * move them into place at the end.  A signal that ends the process in
 * between (Ctrl-C, kill, a closed terminal, the file size limit) would leave
 * them behind; this registry remembers them so a signal handler can remove
 * them before the process dies with the signal's usual status.
 *
 * The table is fixed in size and lives in static storage: the handler only
 * calls async-signal-safe functions and never allocates.  Adding and removing
 * entries is safe from several threads.
 */
#ifndef OTK_CLEANUP_H
#define OTK_CLEANUP_H

#include <stdbool.h>

/* How many paths can be registered at once. */
#define OTK_CLEANUP_SLOTS 32

/*
 * Register path for removal if a fatal signal arrives.  Call it right after
 * creating the file or folder: its device and inode are recorded then, and
 * the handler removes only that same object (a later file of the same name
 * is left alone).  A relative path is made absolute against the current
 * directory.  A folder (is_dir) is removed with everything inside it,
 * without following symbolic links, so register only folders this process
 * created and fills.
 * Returns a slot number >= 0 for otk_cleanup_remove(), OTK_ENOSPC when all
 * slots are taken, OTK_ERANGE when the path is longer than PATH_MAX,
 * OTK_EIO when path cannot be examined (errno says why).
 */
int otk_cleanup_add(const char *path, bool is_dir);

/*
 * Forget a registration (after the temporary was moved into place or
 * removed).  Does not touch the file system.  Negative slots are ignored,
 * so the result of a failed otk_cleanup_add() can be passed unchecked.
 */
void otk_cleanup_remove(int slot);

/*
 * Install the handler for SIGINT, SIGTERM, SIGHUP, SIGPIPE and SIGXFSZ.
 * Signals the process inherited as ignored (nohup) stay ignored.  The
 * handler removes every registered path, restores the default action and
 * raises the signal again, so the exit status still tells which signal
 * ended the process.  Call it once at the start of main(); a program that
 * installs its own handler for one of these signals afterwards replaces it
 * for that signal.
 */
void otk_cleanup_install_signals(void);

#endif
