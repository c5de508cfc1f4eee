/*
 * otakit: Particle-compatible device programming and OTA tool.
 * Dispatches "otakit GROUP COMMAND ..." to the command tables.
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

#ifndef OTK_VERSION_STRING
#define OTK_VERSION_STRING "0.0.0"
#endif

static void print_main_help(FILE *f)
{
	fputs("Usage: otakit COMMAND [ARGS...]\n"
	      "\n"
	      "Inspect and build Particle firmware modules.\n"
	      "\n"
	      "Commands:\n",
	      f);
	for (size_t i = 0; i < cli_binary_command_count; i++)
		fprintf(f, "  %-20s %s\n", cli_binary_commands[i].name, cli_binary_commands[i].summary);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help           show this help\n"
	      "  -V, --version        show the version\n"
	      "\n"
	      "Run 'otakit help COMMAND' for the options of one command, e.g.\n"
	      "'otakit help binary inspect'.\n"
	      "Exit status: 0 success, 1 failure or invalid input, 2 bad usage.\n",
	      f);
}

/* Finds "binary inspect" from argv words; *used gets how many words matched. */
static const struct cli_command *find_command(int argc, char **argv, int *used)
{
	if (argc >= 1 && strcmp(argv[0], "binary") == 0) {
		if (argc < 2) {
			*used = 1;
			return NULL;
		}
		for (size_t i = 0; i < cli_binary_command_count; i++) {
			const char *sub = cli_binary_commands[i].name + strlen("binary ");
			if (strcmp(argv[1], sub) == 0) {
				*used = 2;
				return &cli_binary_commands[i];
			}
		}
	}
	*used = 0;
	return NULL;
}

static int help(int argc, char **argv)
{
	int used;
	if (argc == 0) {
		print_main_help(stdout);
		return 0;
	}
	const struct cli_command *c = find_command(argc, argv, &used);
	if (!c) {
		if (used == 1) {
			fputs("Usage: otakit binary COMMAND ...\n\nCommands:\n", stdout);
			for (size_t i = 0; i < cli_binary_command_count; i++)
				printf("  %-20s %s\n", cli_binary_commands[i].name,
				       cli_binary_commands[i].summary);
			return 0;
		}
		return cli_usage_error(NULL, "no such command: %s", argv[0]);
	}
	fputs(c->usage, stdout);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (strcmp(first, "-h") == 0 || strcmp(first, "--help") == 0)
		return help(0, NULL);
	if (strcmp(first, "-V") == 0 || strcmp(first, "--version") == 0) {
		printf("otakit %s\n", OTK_VERSION_STRING);
		return 0;
	}
	if (strcmp(first, "help") == 0)
		return help(argc - 2, argv + 2);

	int used;
	const struct cli_command *c = find_command(argc - 1, argv + 1, &used);
	if (!c) {
		if (used == 1)
			return cli_usage_error(NULL, "binary: missing command (inspect, compress, "
						     "decompress, combine, split)");
		if (used == 0 && strcmp(first, "binary") == 0)
			return cli_usage_error(NULL, "binary: no such command: %s", argv[2]);
		return cli_usage_error(NULL, "no such command: %s", first);
	}
	/* --help anywhere after the command shows its help */
	for (int i = 1 + used; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "-h") == 0 || strcmp(argv[i], "--help") == 0) {
			fputs(c->usage, stdout);
			return 0;
		}
	}
	return c->run(argc - used, argv + used);
}
