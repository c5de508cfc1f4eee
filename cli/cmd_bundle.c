/*
 * otakit bundle APP.bin|PROJECT_DIR: an Asset OTA bundle, as particle-cli's
 * `particle bundle` makes it (host/src/bundle_make.c keeps the rules; see
 * docs/bundles.md).  This file finds the inputs the way the reference does
 * (project.properties, assetOtaDir, env) and reports.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>

#include "cli.h"
#include "otk/bundle_make.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"

enum { OPT_ASSETS = 0x100, OPT_SAVETO, OPT_ENV, OPT_STRICT };

#define ENV_ASSET_NAME "env-vars"
#define ENV_DATA_MAX (16u * 1024u)

static bool has_ext(const char *path, const char *ext)
{
	const char *base = otk_path_basename(path);
	const char *dot = strrchr(base, '.');
	return dot && dot != base && strcmp(dot, ext) == 0;
}

static bool is_dir(const char *path)
{
	struct stat st;
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* --- project.properties ------------------------------------------------ */

/* Value of key in a Java-style properties file (key=value lines), malloc'd;
 * NULL when absent.  *found_file false when the file cannot be read. */
static char *property(const char *file, const char *key, bool *found_file)
{
	FILE *f = fopen(file, "r");
	*found_file = f != NULL;
	if (!f)
		return NULL;
	char *line = NULL, *val = NULL;
	size_t cap = 0;
	size_t klen = strlen(key);
	while (getline(&line, &cap, f) > 0) {
		char *p = line;
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '#' || *p == '!' || strncmp(p, key, klen) != 0)
			continue;
		char *q = p + klen;
		while (*q == ' ' || *q == '\t')
			q++;
		if (*q != '=' && *q != ':')
			continue;
		q++;
		while (*q == ' ' || *q == '\t')
			q++;
		size_t n = strcspn(q, "\r\n");
		while (n && (q[n - 1] == ' ' || q[n - 1] == '\t'))
			n--;
		free(val);
		val = strndup(q, n);
	}
	free(line);
	fclose(f);
	return val;
}

/* dirname of a path, malloc'd ("." when none). */
static char *dir_of(const char *path)
{
	const char *s = strrchr(path, '/');
	if (!s)
		return strdup(".");
	if (s == path)
		return strdup("/");
	return strndup(path, (size_t)(s - path));
}

/* --- environment variables --------------------------------------------- */

static void put_varint(uint8_t *out, size_t *off, size_t v)
{
	while (v >= 0x80) {
		out[(*off)++] = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	out[(*off)++] = (uint8_t)v;
}

static size_t varint_len(size_t v)
{
	size_t n = 1;
	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

static bool valid_env_name(const char *s)
{
	if (!((*s >= 'A' && *s <= 'Z') || *s == '_'))
		return false;
	for (s++; *s; s++)
		if (!((*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return false;
	return true;
}

/*
 * Device OS EnvVars protobuf: repeated Var vars = 1 { string name = 1;
 * string value = 2; }.  Also renders the JSON copy the reference stores.
 */
static bool encode_env(const char *path, struct otk_asset_files *assets, char **json_out)
{
	json_error_t je;
	json_t *root = json_load_file(path, 0, &je);
	if (!root) {
		cli_error(NULL, "Env vars in file %s cannot be processed: %s (line %d)", path, je.text,
			  je.line);
		return false;
	}
	if (!json_is_object(root)) {
		cli_error(NULL, "Env vars in file %s cannot be processed: Expected variable values to be an object", path);
		json_decref(root);
		return false;
	}
	size_t total = 0, approx = 0;
	const char *k;
	json_t *v;
	json_object_foreach(root, k, v) {
		const char *why = NULL;
		if (strlen(k) > 128)
			why = "Variable name is too long";
		else if (!valid_env_name(k))
			why = "Invalid variable name";
		else if (!json_is_string(v))
			why = "Variable value is not a string";
		if (why) {
			cli_error(NULL, "Env vars in file %s cannot be processed: %s: %s", path, why, k);
			json_decref(root);
			return false;
		}
		size_t nl = strlen(k), vl = json_string_length(v);
		approx += nl + vl;
		size_t inner = 1 + varint_len(nl) + nl + 1 + varint_len(vl) + vl;
		total += 1 + varint_len(inner) + inner;
		if (approx > ENV_DATA_MAX || total > ENV_DATA_MAX) {
			cli_error(NULL, "Env vars in file %s cannot be processed: Asset exceeds the maximum size", path);
			json_decref(root);
			return false;
		}
	}
	uint8_t *data = malloc(total ? total : 1);
	size_t off = 0;
	json_object_foreach(root, k, v) {
		size_t nl = strlen(k), vl = json_string_length(v);
		size_t inner = 1 + varint_len(nl) + nl + 1 + varint_len(vl) + vl;
		data[off++] = 0x0A;
		put_varint(data, &off, inner);
		data[off++] = 0x0A;
		put_varint(data, &off, nl);
		memcpy(data + off, k, nl);
		off += nl;
		data[off++] = 0x12;
		put_varint(data, &off, vl);
		memcpy(data + off, json_string_value(v), vl);
		off += vl;
	}
	*json_out = json_dumps(root, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(root);
	if (!*json_out || otk_asset_files_push(assets, ENV_ASSET_NAME, data, off) < 0) {
		if (!*json_out)
			free(data);
		cli_error(NULL, "out of memory");
		return false;
	}
	return true;
}

/* --- inputs ------------------------------------------------------------ */

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

static char *default_bundle_name(const char *app)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	const char *base = otk_path_basename(app);
	const char *dot = strrchr(base, '.');
	int n = dot ? (int)(dot - base) : (int)strlen(base);
	char *p;
	long long ms = (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
	if (asprintf(&p, "bundle_%.*s_%lld.zip", n, base, ms) < 0)
		return NULL;
	return p;
}

/* The only .bin directly in a project folder, malloc'd; prints why not. */
static char *project_app(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, byte_order);
	if (n < 0) {
		cli_error(dir, "cannot list: %s", strerror(errno));
		return NULL;
	}
	char *found = NULL;
	int count = 0;
	for (int i = 0; i < n; i++) {
		if (has_ext(ents[i]->d_name, ".bin") && ents[i]->d_name[0] != '.') {
			count++;
			if (!found)
				found = cli_join(dir, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	if (count != 1) {
		if (count)
			cli_error(dir, "%d .bin files in the project folder: give the application as "
				  "otakit bundle APP.bin --assets %s", count, cli_shown(dir));
		else
			cli_error(dir, "no application .bin in the project folder");
		free(found);
		return NULL;
	}
	return found;
}

/* What the command line asks for. */
struct bundle_args {
	const char *target;      /* APP.bin or PROJECT_DIR */
	const char *assets;      /* --assets: a folder or a project.properties */
	const char *env;
	struct cli_out out;      /* --saveTo/-o, --force */
	bool strict;
};

/* What it resolves to; every string malloc'd. */
struct bundle_inputs {
	char *app_path;
	char *assets_dir;        /* NULL: no assets folder */
	char *env_path;          /* NULL: no environment variables */
	char *out_name;
};

static void inputs_free(struct bundle_inputs *in)
{
	free(in->app_path);
	free(in->assets_dir);
	free(in->env_path);
	free(in->out_name);
}

static int parse_args(int argc, char **argv, struct bundle_args *a)
{
	static const struct option opts[] = {
		{ "assets", required_argument, NULL, OPT_ASSETS },
		{ "saveTo", required_argument, NULL, OPT_SAVETO },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "strict", no_argument, NULL, OPT_STRICT },
		CLI_OUT_OPTIONS,
		{ NULL, 0, NULL, 0 },
	};
	int c;
	memset(a, 0, sizeof *a);
	optind = 1;
	while ((c = cli_getopt_out(argc, argv, opts, &a->out)) != -1) {
		switch (c) {
		case OPT_ASSETS: a->assets = optarg; break;
		case OPT_SAVETO: a->out.path = optarg; break;
		case OPT_ENV: a->env = optarg; break;
		case OPT_STRICT: a->strict = true; break;
		default: return cli_bad_usage("bundle", argv);
		}
	}
	if (optind < argc && strcmp(argv[optind], "create") == 0 && optind + 2 == argc)
		return cli_usage_error("bundle", "bundle: 'create' is not a subcommand: the verb is "
				       "'otakit bundle %s ...', as in 'particle bundle APP.bin'",
				       cli_shown(argv[optind + 1]));
	if (optind + 1 != argc)
		return cli_usage_error("bundle", "bundle: need one APP.bin or PROJECT_DIR");
	a->target = argv[optind];
	return 0;
}

/*
 * The assets folder and env file from a project.properties (assetOtaDir and
 * env, relative to the file's folder), unless given on the command line.
 */
static bool from_properties(const char *props, const struct bundle_args *a,
			    struct bundle_inputs *in)
{
	bool found;
	char *dir = property(props, "assetOtaDir", &found);
	char *env = found ? property(props, "env", &found) : NULL;
	char *base = dir_of(props);
	bool ok = found;
	if (!found)
		cli_error(NULL, "No project.properties file found in %s. Please specify the "
			  "assets directory using --assets option", cli_shown(base));
	if (ok && dir && *dir)
		in->assets_dir = cli_join(base, dir);
	if (ok && env && *env && !a->env)
		in->env_path = cli_join(base, env);
	if (ok && !in->assets_dir && !(env && *env)) {
		cli_error(props, "Add assetOtaDir to your project.properties in order to "
			  "bundle assets");
		ok = false;
	}
	free(dir);
	free(env);
	free(base);
	return ok;
}

/* Application, assets folder, env file and output name, as the reference finds them. */
static bool resolve_inputs(const struct bundle_args *a, struct bundle_inputs *in)
{
	const char *arg = a->target;
	memset(in, 0, sizeof *in);
	/* otakit bundle PROJECT_DIR: the project's app and its properties */
	in->app_path = is_dir(arg) ? project_app(arg) : strdup(arg);
	if (!in->app_path)
		return false;
	if (!otk_file_exists(in->app_path)) {
		cli_error(NULL, "The file %s does not exist", cli_shown(in->app_path));
		return false;
	}
	if (!has_ext(in->app_path, ".bin")) {
		cli_error(NULL, "The file %s is not a valid binary", cli_shown(in->app_path));
		return false;
	}
	if (a->out.path && !has_ext(a->out.path, ".zip")) {
		cli_error(NULL, "The target file %s must be a .zip file", cli_shown(a->out.path));
		return false;
	}
	/* --assets names the folder or a project.properties; without it the
	 * project's (PROJECT_DIR's or the current folder's) properties say. */
	char *props = NULL;
	if (a->assets && !is_dir(a->assets) && has_ext(a->assets, ".properties"))
		props = strdup(a->assets);
	else if (!a->assets)
		props = is_dir(arg) ? cli_join(arg, "project.properties") : strdup("project.properties");
	else if (!otk_file_exists(a->assets)) {
		cli_error(NULL, "The assets dir %s does not exist", cli_shown(a->assets));
		return false;
	} else
		in->assets_dir = strdup(a->assets);
	bool ok = !props || from_properties(props, a, in);
	free(props);
	if (ok && a->env)
		in->env_path = strdup(a->env);
	in->out_name = a->out.path ? strdup(a->out.path) : default_bundle_name(in->app_path);
	return ok && in->out_name;
}

/* --- otakit bundle ----------------------------------------------------- */

static void report(const struct bundle_inputs *in, const struct otk_asset_files *l, size_t nfiles)
{
	if (in->assets_dir) {
		printf("Bundling %s with %s:\n", cli_shown(in->app_path), cli_shown(in->assets_dir));
		for (size_t i = 0; i < nfiles; i++)
			printf("  %s\n", cli_shown(l->v[i].name));
	}
	if (in->env_path)
		printf("Wrote %s data into the binary\n", cli_shown(in->env_path));
	printf("Bundling successful.\nSaved bundle to: %s\n", cli_shown(in->out_name));
}

/* Every check, then the bundle, then the report: a refusal prints nothing else. */
static int cmd_bundle(int argc, char **argv)
{
	struct bundle_args a;
	int rc = parse_args(argc, argv, &a);
	if (rc)
		return rc;
	struct bundle_inputs in;
	struct otk_asset_files l = { 0 };
	struct otk_module m;
	uint8_t *app = NULL;
	size_t app_len = 0, nfiles = 0;
	char *env_json = NULL;
	char err[1024];
	int status = 1;

	if (!resolve_inputs(&a, &in))
		goto out;
	if (!a.out.force && otk_file_exists(in.out_name)) {
		cli_error(in.out_name, "already exists (use --force to replace it)");
		goto out;
	}
	if (!(app = cli_read_file(in.app_path, &app_len)))
		goto out;
	if (otk_bundle_check_app(in.app_path, app, app_len, true, &m, err, sizeof err) < 0 ||
	    (in.assets_dir && otk_asset_files_read_dir(in.assets_dir, &l, err, sizeof err) < 0)) {
		cli_error(NULL, "%s", cli_shown(err));
		goto out;
	}
	nfiles = l.n;
	if (in.env_path && !encode_env(in.env_path, &l, &env_json))
		goto out;
	if (otk_asset_files_check_limits(otk_platform_by_id(m.prefix.platform), &l, a.strict, 0,
					 err, sizeof err) < 0 ||
	    otk_bundle_make(in.out_name, otk_path_basename(in.app_path), app, app_len, &l, env_json,
			    a.out.force, err, sizeof err) < 0) {
		cli_error(NULL, "%s", cli_shown(err));
		goto out;
	}
	report(&in, &l, nfiles);
	status = 0;
out:
	otk_asset_files_free(&l);
	inputs_free(&in);
	free(app);
	free(env_json);
	return status;
}

const struct cli_command cli_bundle_commands[] = {
	{ "bundle", "create an Asset OTA bundle (.zip)",
	  "Usage: otakit bundle APP.bin [--assets DIR|project.properties] [--saveTo OUT.zip]\n"
	  "                     [--env FILE] [--strict] [--force]\n"
	  "       otakit bundle PROJECT_DIR [--saveTo OUT.zip] ...\n"
	  "\n"
	  "Add the assets' dependencies to the application and write it with the assets\n"
	  "into a zip, as 'particle bundle' does.  Assets are the regular files directly\n"
	  "in DIR (sub-folders, dotfiles, .DS_Store, Thumbs.db, desktop.ini and __MACOSX\n"
	  "are skipped), in byte order.  Without --assets, DIR is assetOtaDir from\n"
	  "project.properties in the current folder (or in PROJECT_DIR, whose only .bin\n"
	  "is the application).  The application must need Device OS 5.5.0 or later.\n"
	  "\n"
	  "Options:\n"
	  "  --assets DIR     the assets folder, or a project.properties naming it\n"
	  "  --saveTo OUT.zip the bundle (default bundle_APP_MILLISECONDS.zip); also -o\n"
	  "  --env FILE       environment variables (JSON object of strings) as the\n"
	  "                   env-vars asset plus env/env-vars.json (default: the env key\n"
	  "                   of project.properties)\n"
	  "  --strict         also apply the limit the device enforces on a single asset\n"
	  "  -f, --force      replace OUT.zip if it exists\n",
	  cmd_bundle },
};
const size_t cli_bundle_command_count = sizeof cli_bundle_commands / sizeof cli_bundle_commands[0];
