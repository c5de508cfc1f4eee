/*
 * otakit: Particle-compatible device programming and OTA tool.
 *
 * Commands live in tables (struct cli_command) whose names are one or two
 * words: "binary inspect", "bundle", "bundle verify", "hex generate".  The
 * dispatcher takes the longest name that matches the first arguments, so a
 * group can have a default command ("otakit bundle APP.bin ...") beside its
 * subcommands.  A new command group is one table and one line in `tables`.
 */
#include <getopt.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "otk/cleanup.h"

#ifndef OTK_VERSION_STRING
#define OTK_VERSION_STRING "0.0.0"
#endif

struct cli_table {
	const struct cli_command *commands;
	const size_t *count;
};

static const struct cli_table tables[] = {
	{ cli_binary_commands, &cli_binary_command_count },
	{ cli_asset_commands, &cli_asset_command_count },
	{ cli_bundle_commands, &cli_bundle_command_count },
	{ cli_bundle_check_commands, &cli_bundle_check_command_count },
	{ cli_hex_commands, &cli_hex_command_count },
	{ cli_cloud_commands, &cli_cloud_command_count },
	{ cli_profile_commands, &cli_profile_command_count },
	{ cli_product_commands, &cli_product_command_count },
	{ cli_device_os_commands, &cli_device_os_command_count },
	{ cli_usb_commands, &cli_usb_command_count },
	{ cli_flash_commands, &cli_flash_command_count },
	{ cli_keys_commands, &cli_keys_command_count },
	{ cli_serial_commands, &cli_serial_command_count },
};

#define FOREACH_COMMAND(c)                                                          \
	for (size_t t_ = 0; t_ < sizeof tables / sizeof tables[0]; t_++)            \
		for (const struct cli_command *c = tables[t_].commands;             \
		     c < tables[t_].commands + *tables[t_].count; c++)

static void print_main_help(FILE *f)
{
	fputs("Usage: otakit COMMAND [ARGS...]\n"
	      "\n"
	      "Inspect and build Particle firmware modules; talk to the cloud (otakitd or Particle's).\n"
	      "\n"
	      "Commands:\n",
	      f);
	FOREACH_COMMAND(c)
		fprintf(f, "  %-22s %s\n", c->name, c->summary);
	fputs("\n"
	      "Options:\n"
	      "  -h, --help             show this help\n"
	      "  -V, --version          show the version\n"
	      "\n"
	      "Run 'otakit help COMMAND' for the options of one command, e.g.\n"
	      "'otakit help binary inspect'.\n"
	      "Exit status: 0 success, 1 failure or invalid input, 2 bad usage.\n",
	      f);
}

/* Does the command name consist of exactly the words argv[0..n)? */
static bool name_is(const char *name, int n, char **argv)
{
	for (int i = 0; i < n; i++) {
		size_t l = strlen(argv[i]);
		if (strncmp(name, argv[i], l) != 0)
			return false;
		name += l;
		if (i + 1 < n) {
			if (*name != ' ')
				return false;
			name++;
		}
	}
	return *name == 0;
}

/* Longest command matching argv; *used gets the number of words. */
static const struct cli_command *find_command(int argc, char **argv, int *used)
{
	for (int n = argc < 2 ? argc : 2; n >= 1; n--) {
		FOREACH_COMMAND(c) {
			if (name_is(c->name, n, argv)) {
				*used = n;
				return c;
			}
		}
	}
	*used = 0;
	return NULL;
}

/* True when some command starts with the word group + " ". */
static bool is_group(const char *group)
{
	size_t l = strlen(group);
	FOREACH_COMMAND(c)
		if (strncmp(c->name, group, l) == 0 && c->name[l] == ' ')
			return true;
	return false;
}

static void print_group_help(FILE *f, const char *group)
{
	size_t l = strlen(group);
	fprintf(f, "Usage: otakit %s COMMAND ...\nHelp:  otakit help %s COMMAND\n\nCommands:\n",
		group, group);
	FOREACH_COMMAND(c)
		if (strncmp(c->name, group, l) == 0 && (c->name[l] == ' ' || !c->name[l]))
			fprintf(f, "  %-22s %s\n", c->name, c->summary);
}

static bool is_help(const char *arg)
{
	return strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0;
}

/* A command's help; a command that is also a group (bundle) lists the rest. */
static int command_help(const struct cli_command *c)
{
	fputs(c->usage, stdout);
	if (is_group(c->name)) {
		fputc('\n', stdout);
		print_group_help(stdout, c->name);
	}
	return 0;
}

static int help(int argc, char **argv)
{
	int used;
	if (argc == 0) {
		print_main_help(stdout);
		return 0;
	}
	const struct cli_command *c = find_command(argc, argv, &used);
	if (c && used == argc)
		return command_help(c);
	if (argc == 1 && is_group(argv[0])) {
		print_group_help(stdout, argv[0]);
		return 0;
	}
	return cli_usage_error(NULL, "no such command: %s%s%s", argv[0], argc > 1 ? " " : "",
			       argc > 1 ? argv[1] : "");
}

int main(int argc, char **argv)
{
	otk_cleanup_install_signals();
	opterr = 0; /* commands report a rejected option themselves, once */
	if (argc < 2) {
		print_main_help(stderr);
		return EXIT_USAGE;
	}
	const char *first = argv[1];
	if (is_help(first))
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
		if (is_group(first)) {
			if (argc > 2 && is_help(argv[2])) {
				print_group_help(stdout, first);
				return 0;
			}
			if (argc == 2) {
				print_group_help(stderr, first);
				return EXIT_USAGE;
			}
			return cli_usage_error(NULL, "%s: no such command: %s", first, argv[2]);
		}
		return cli_usage_error(NULL, "no such command: %s", first);
	}
	/* --help anywhere after the command shows its help */
	for (int i = 1 + used; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (is_help(argv[i]))
			return command_help(c);
	}
	return c->run(argc - used, argv + used);
}
