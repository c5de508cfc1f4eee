/*
 * Profiles: named API URL + token pairs in the config file (cloud.c), as
 * particle-cli's `profile` (formerly `config`) command keeps them.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "cloud.h"

static void show(const char *name, json_t *p, bool current)
{
	const char *url = json_string_value(json_object_get(p, "apiUrl"));
	const char *user = json_string_value(json_object_get(p, "username"));
	printf("%s %s  %s  %s\n", current ? "*" : " ", cli_shown(name),
	       url ? cli_shown(url) : CLOUD_DEFAULT_API " (default)",
	       user ? cli_shown(user) : "(not logged in)");
}

/* The profile as JSON for --json: never the token itself. */
static json_t *describe(const char *name, json_t *p, bool current)
{
	json_t *url = json_object_get(p, "apiUrl"), *user = json_object_get(p, "username");
	return json_pack("{s:s,s:O,s:O,s:b,s:b}", "name", name, "apiUrl", url ? url : json_null(),
			 "username", user ? user : json_null(), "logged_in",
			 json_is_string(json_object_get(p, "access_token")), "current", current);
}

static bool name_ok(const char *n)
{
	return *n && strlen(n) <= 64 && strspn(n, "abcdefghijklmnopqrstuvwxyz"
				  "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-.") == strlen(n) &&
	       n[0] != '.' && n[0] != '-';
}

/* otakit profile [NAME [apiUrl URL]], otakit config (the same). */
static int cmd_profile(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	const char *cmd = argv[0];
	struct cloud c = { .command = cmd };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o) || o != OPT_JSON_OUT)
			return cli_bad_usage(cmd, argv);
	int n = argc - optind;
	char **a = argv + optind;
	if (n == 2 || n > 3)
		return cli_usage_error(cmd, "%s: need NAME, or NAME apiUrl URL", cmd);
	if (n >= 1 && !name_ok(a[0]))
		return cli_usage_error(cmd, "%s: bad profile name '%s' (letters, digits, _ - .)", cmd,
				       cli_shown(a[0]));
	if (n == 3 && strcmp(a[1], "apiUrl") != 0)
		return cli_usage_error(cmd, "%s: unknown setting '%s' (only apiUrl)", cmd,
				       cli_shown(a[1]));
	if (n == 3 && strncmp(a[2], "http://", 7) != 0 && strncmp(a[2], "https://", 8) != 0)
		return cli_usage_error(cmd, "%s: apiUrl must start with http:// or https://, not '%s'",
				       cmd, cli_shown(a[2]));
	int st = 1;
	if (n >= 1)
		c.profile_opt = a[0];
	if (!cloud_load(&c))
		goto out;
	if (n == 3) {
		json_object_set_new(c.prof, "apiUrl", json_string(a[2]));
		/* a token belongs to the server it came from */
		json_object_del(c.prof, "access_token");
		json_object_del(c.prof, "username");
	}
	if (n >= 1) {
		/* NAME alone switches to it (creating it); with a setting only the setting changes */
		if (n == 1)
			json_object_set_new(c.config, "profile", json_string(a[0]));
		if (!cloud_save(&c))
			goto out;
	}
	const char *cur = json_string_value(json_object_get(c.config, "profile"));
	bool is_cur = cur ? strcmp(cur, c.profile) == 0 : strcmp(c.profile, "default") == 0;
	if (c.json) {
		json_t *j = describe(c.profile, c.prof, is_cur);
		cloud_print_json(j);
		json_decref(j);
	} else {
		show(c.profile, c.prof, is_cur);
	}
	st = 0;
out:
	cloud_close(&c);
	return st;
}

static int cmd_profile_list(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cloud c = { .command = "profile list" };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o) || o != OPT_JSON_OUT)
			return cli_bad_usage("profile list", argv);
	if (optind != argc)
		return cli_usage_error("profile list", "profile list: unexpected argument '%s'",
				       argv[optind]);
	if (!cloud_load(&c)) {
		cloud_close(&c);
		return 1;
	}
	json_t *arr = json_array();
	const char *name;
	json_t *p;
	json_object_foreach(json_object_get(c.config, "profiles"), name, p) {
		bool cur = strcmp(name, c.profile) == 0;
		if (c.json)
			json_array_append_new(arr, describe(name, p, cur));
		else
			show(name, p, cur);
	}
	if (c.json)
		cloud_print_json(arr);
	json_decref(arr);
	cloud_close(&c);
	return 0;
}

#define PROFILE_HELP                                                                     \
	"\n"                                                                             \
	"Profiles keep an API URL and a token each, in $XDG_CONFIG_HOME/otakit/config.json\n" \
	"(else ~/.config/otakit/config.json; $OTAKIT_CONFIG names another file), written\n" \
	"atomically with mode 0600.  Without arguments: the current profile.  NAME:\n"    \
	"switch to it (created empty if new).  NAME apiUrl URL: set its API URL (the\n"  \
	"profile's token is forgotten, as it belongs to the old server).\n"              \
	"Every cloud command takes --api URL and --profile NAME; $OTAKIT_API and\n"      \
	"$OTAKIT_TOKEN override the profile's URL and token.\n"                          \
	"\n"                                                                             \
	"Options:\n"                                                                     \
	"  --json                 the profile as JSON (never the token)\n"              \
	"\n"                                                                             \
	"Examples:\n"                                                                    \
	"  otakit profile otk apiUrl http://127.0.0.1:8080\n"                           \
	"  otakit profile otk\n"                                                         \
	"  otakit profile list\n"

const struct cli_command cli_profile_commands[] = {
	{ "profile", "show, switch or set up profiles (API URL, token)",
	  "Usage: otakit profile [NAME [apiUrl URL]] [--json]\n" PROFILE_HELP, cmd_profile },
	{ "profile list", "list the profiles",
	  "Usage: otakit profile list [--json]\n\nLists the profiles; * marks the current one.\n",
	  cmd_profile_list },
	{ "config", "particle-cli's older name of profile",
	  "Usage: otakit config [NAME [apiUrl URL]] [--json]\n" PROFILE_HELP, cmd_profile },
};
const size_t cli_profile_command_count = sizeof cli_profile_commands / sizeof cli_profile_commands[0];
