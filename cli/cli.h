/* Shared pieces of the otakit command-line tool. */
#ifndef OTK_CLI_H
#define OTK_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "common.h"

#define EXIT_USAGE 2

struct cli_command {
	const char *name;     /* "binary inspect" */
	const char *summary;
	const char *usage;    /* full help text */
	int (*run)(int argc, char **argv);  /* argv[0] is the last word of name */
};

extern const struct cli_command cli_binary_commands[];
extern const size_t cli_binary_command_count;
extern const struct cli_command cli_asset_commands[];
extern const size_t cli_asset_command_count;
extern const struct cli_command cli_bundle_commands[];
extern const size_t cli_bundle_command_count;
extern const struct cli_command cli_bundle_check_commands[];
extern const size_t cli_bundle_check_command_count;
extern const struct cli_command cli_hex_commands[];
extern const size_t cli_hex_command_count;
extern const struct cli_command cli_cloud_commands[];
extern const size_t cli_cloud_command_count;
extern const struct cli_command cli_profile_commands[];
extern const size_t cli_profile_command_count;
extern const struct cli_command cli_product_commands[];
extern const size_t cli_product_command_count;

extern const struct cli_command cli_device_os_commands[];
extern const size_t cli_device_os_command_count;

extern const struct cli_command cli_usb_commands[];
extern const size_t cli_usb_command_count;
extern const struct cli_command cli_flash_commands[];
extern const size_t cli_flash_command_count;
extern const struct cli_command cli_keys_commands[];
extern const size_t cli_keys_command_count;
/* otakit keys send (cmd_cloud.c), also run by keys doctor. */
int cli_keys_send(int argc, char **argv);

extern const struct cli_command cli_serial_commands[];
extern const size_t cli_serial_command_count;
/* otakit flash --serial FILE... (cmd_serial.c): exit status. */
int cli_flash_serial(const char *port, const char *id, char **files, int nfiles);

struct otk_usb_dev;
struct otk_usb_info;
/* Open the device with that id, or the only one; NULL and an error printed
 * (several attached: the list of them) otherwise. */
struct otk_usb_dev *cli_usb_open(const char *id, struct otk_usb_info *info);
/* Put the open device into DFU mode (dfu) or back to normal mode and reopen
 * it there once it re-enumerates (cmd_flash.c); false with an error printed. */
bool cli_usb_to_mode(struct otk_usb_dev **dev, struct otk_usb_info *info, bool dfu);

/* The Device OS catalog folder: given, or the default (NULL and an error printed when none). */
char *cli_catalog_dir(const char *given);

/* Usage error: message plus a pointer to help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* getopt rejected an option of command: says which, once; returns EXIT_USAGE. */
int cli_bad_usage(const char *command, char **argv);
/*
 * The options of a command whose only option is the flag --flag: *on says
 * whether it was given.  0, or cli_bad_usage()'s code for any other option.
 */
int cli_flag_only(int argc, char **argv, const char *command, const char *flag, bool *on);
/* Message for an otakit error code from a failed file operation (uses errno for OTK_EIO). */
const char *cli_strerror(int err);

/*
 * Where a command reports what it wrote: stdout, or stderr when the output
 * itself goes to stdout ("-o -"), so the report never mixes with the data.
 */
FILE *cli_report(const char *out);
/* An existing output that needs --force ("-", standard output, never does). */
bool cli_output_taken(const char *out, bool force);

/* Reads a file, printing the error itself; NULL on failure. */
uint8_t *cli_read_file(const char *path, size_t *len);
/* Writes a file, printing the error itself; false on failure. */
bool cli_write_file(const char *path, const void *buf, size_t len, bool force);

/*
 * Outputs of several files (stage.c): cli_stage_open() makes a private
 * staging folder for target (inside it when it is an existing folder, else
 * beside it; "out/" names the folder out); cli_stage_mkdir() and
 * cli_stage_write() fill it (paths relative to the target); commit renames
 * it into place (or its files into the existing folder) and abort removes
 * it.  Print their own errors.
 */
struct cli_stage {
	char *target;
	char *dir;
	bool into_existing;
	int slot;
};
bool cli_stage_open(struct cli_stage *s, const char *target);
bool cli_stage_mkdir(const struct cli_stage *s, const char *rel);
bool cli_stage_write(const struct cli_stage *s, const char *rel, const void *data, size_t len);
bool cli_stage_commit(struct cli_stage *s);
void cli_stage_abort(struct cli_stage *s);
/* dir + "/" + name, malloc'd (NULL when out of memory). */
char *cli_join(const char *dir, const char *name);
/* rm -r without following symbolic links. */
void cli_remove_tree(const char *dir);

/* Lower-case hex of n bytes into out (2n + 1 bytes). */
void cli_hex(const uint8_t *p, size_t n, char *out);

/* Progress on stderr for long work, only when stderr is a terminal. */
void cli_progress(const char *what, uint64_t done, uint64_t total);

#endif
