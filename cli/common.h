/*
 * What the two command-line tools, otakit and otakit-vdev, share: the form
 * of their error messages, number parsing, the -o/--force output options
 * and the way rejected options are reported.  Compiled into both.
 */
#ifndef OTK_CLI_COMMON_H
#define OTK_CLI_COMMON_H

#include <getopt.h>
#include <stdbool.h>
#include <stdint.h>

/* First word of every message: "otakit" or "otakit-vdev" (set by main). */
extern const char *cli_program;

/* "PROGRAM: FILE: message" on stderr, FILE shown as cli_shown() does. */
void cli_error(const char *file, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* A decimal, 0x-hex or 0-octal number up to 0xFFFFFFFF, nothing after it. */
bool cli_parse_u32(const char *s, uint32_t *v);

/*
 * A name as it can be shown on a terminal: control characters and
 * backslashes escaped (\n, \t, \\, \xNN), so a file name cannot forge or
 * split output lines.  Returns one of a few static buffers (valid until
 * four further calls), truncated with "..." past 1 KiB.
 */
const char *cli_shown(const char *name);

/* The output options of every command that writes: -o/--output, -f/--force. */
struct cli_out {
	const char *path;
	bool force;
};
#define CLI_OUT_OPTIONS                                                                \
	{ "output", required_argument, NULL, 'o' }, { "force", no_argument, NULL, 'f' }

/* Takes getopt's c when it is -o or -f; true when it was one of them. */
bool cli_out_option(struct cli_out *o, int c);

struct option;
/*
 * getopt_long() over "o:f" and opts (which hold CLI_OUT_OPTIONS), taking
 * -o/-f into o: the next other option (as getopt_long gives it) or -1.
 */
int cli_getopt_out(int argc, char **argv, const struct option *opts, struct cli_out *o);

/*
 * The option getopt just rejected (with opterr 0, which both tools set): the
 * word as typed, "-x" for a short one.  For messages: "bad option '%s'".
 */
const char *cli_bad_option(char **argv);

#endif
