#include <getopt.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"

const char *cli_program = "otakit";

void cli_error(const char *file, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "%s: ", cli_program);
	if (file)
		fprintf(stderr, "%s: ", cli_shown(file));
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

bool cli_parse_u32(const char *s, uint32_t *v)
{
	char *end;
	if (!*s || *s == '-')
		return false;
	unsigned long long x = strtoull(s, &end, 0);
	if (*end || x > 0xFFFFFFFFull)
		return false;
	*v = (uint32_t)x;
	return true;
}

const char *cli_shown(const char *name)
{
	static char bufs[4][1024 * 4 + 8];
	static unsigned next;
	char *out = bufs[next++ % 4];
	size_t o = 0, cap = sizeof bufs[0] - 8;
	for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
		if (o + 4 > cap) {
			memcpy(out + o, "...", 4);
			return out;
		}
		if (*p == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (*p == '\t') {
			out[o++] = '\\';
			out[o++] = 't';
		} else if (*p == '\\') {
			out[o++] = '\\';
			out[o++] = '\\';
		} else if (*p < 0x20 || *p == 0x7f) {
			o += (size_t)snprintf(out + o, 5, "\\x%02x", *p);
		} else {
			out[o++] = (char)*p;
		}
	}
	out[o] = 0;
	return out;
}

bool cli_out_option(struct cli_out *o, int c)
{
	if (c == 'o')
		o->path = optarg;
	else if (c == 'f')
		o->force = true;
	else
		return false;
	return true;
}

int cli_getopt_out(int argc, char **argv, const struct option *opts, struct cli_out *o)
{
	int c;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1 && cli_out_option(o, c))
		;
	return c;
}

const char *cli_bad_option(char **argv)
{
	static char shortopt[3] = "-?";
	const char *word = optind > 0 ? argv[optind - 1] : NULL;
	/* A long option (unknown, or missing its value) is the word itself;
	 * a short one may sit inside a cluster such as -fx. */
	if (word && strncmp(word, "--", 2) == 0)
		return word;
	if (optopt > 0x20 && optopt < 0x7f) {
		shortopt[1] = (char)optopt;
		return shortopt;
	}
	return word ? word : "?";
}
