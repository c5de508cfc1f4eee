#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "otk/error.h"
#include "otk/file.h"

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_program);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nRun 'otakit help%s%s' for usage.\n", command ? " " : "", command ? command : "");
	return EXIT_USAGE;
}

int cli_bad_usage(const char *command, char **argv)
{
	return cli_usage_error(command, "%s: bad option '%s'", command, cli_bad_option(argv));
}

int cli_flag_only(int argc, char **argv, const char *command, const char *flag, bool *on)
{
	const struct option opts[] = { { flag, no_argument, NULL, 1 }, { NULL, 0, NULL, 0 } };
	int c;
	*on = false;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != 1)
			return cli_bad_usage(command, argv);
		*on = true;
	}
	return 0;
}

const char *cli_strerror(int err)
{
	if (err == OTK_EIO)
		return strerror(errno);
	return otk_strerror(err);
}

FILE *cli_report(const char *out)
{
	return out && strcmp(out, "-") == 0 ? stderr : stdout;
}

bool cli_output_taken(const char *out, bool force)
{
	return !force && strcmp(out, "-") != 0 && otk_file_exists(out);
}

uint8_t *cli_read_file(const char *path, size_t *len)
{
	uint8_t *buf;
	int rc = otk_file_read(path, OTK_FILE_MAX_DEFAULT, &buf, len);
	if (rc == OTK_ETOOBIG) {
		cli_error(path, "file is larger than %u MiB, not a firmware file",
			  OTK_FILE_MAX_DEFAULT >> 20);
		return NULL;
	}
	if (rc < 0) {
		cli_error(path, "cannot read: %s", cli_strerror(rc));
		return NULL;
	}
	return buf;
}

bool cli_write_file(const char *path, const void *buf, size_t len, bool force)
{
	int rc = otk_file_write(path, buf, len, force);
	if (rc == OTK_EEXIST) {
		cli_error(path, "already exists (use --force to replace it)");
		return false;
	}
	if (rc < 0) {
		cli_error(path, "cannot write: %s", cli_strerror(rc));
		return false;
	}
	return true;
}

void cli_hex(const uint8_t *p, size_t n, char *out)
{
	static const char digits[] = "0123456789abcdef";
	for (size_t i = 0; i < n; i++) {
		out[2 * i] = digits[p[i] >> 4];
		out[2 * i + 1] = digits[p[i] & 15];
	}
	out[2 * n] = 0;
}

void cli_progress(const char *what, uint64_t done, uint64_t total)
{
	static int tty = -1;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!tty || total == 0)
		return;
	fprintf(stderr, "\r%s: %3u%%", what, (unsigned)(done * 100 / total));
	if (done >= total)
		fputc('\n', stderr);
	fflush(stderr);
}
