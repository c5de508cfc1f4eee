/*
 * otakit bundle (create, verify, unpack) and the asset commands of
 * otakit binary (list-assets, strip-assets, asset-module).  Rules and
 * messages follow particle-cli's `particle bundle`; see docs/bundles.md.
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli.h"
#include "otk/assets.h"
#include "otk/bundle.h"
#include "otk/error.h"
#include "otk/file.h"
#include "otk/module.h"
#include "otk/platform.h"
#include "otk/sha256.h"

enum { OPT_ASSETS = 0x100, OPT_SAVETO, OPT_ENV, OPT_STRICT, OPT_NOCOMPRESS, OPT_NAME, OPT_JSON };

#define ENV_ASSET_NAME "env-vars"
#define ENV_JSON_ENTRY "env/env-vars.json"
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

/* dir + "/" + name, malloc'd. */
static char *join(const char *dir, const char *name)
{
	char *p;
	if (asprintf(&p, "%s/%s", dir, name) < 0)
		return NULL;
	return p;
}

/* --- application checks ------------------------------------------------ */

/* Parses the app and checks it is a whole module with a good CRC. */
static bool check_app(const char *path, const uint8_t *buf, size_t len, struct otk_module *m)
{
	int rc = otk_module_parse(buf, len, m);
	if (rc < 0) {
		cli_error(path, "not a module: %s", otk_strerror(rc));
		return false;
	}
	if (m->size != len) {
		cli_error(path, "not a single module: file is %zu bytes but its prefix says %u",
			  len, m->size);
		return false;
	}
	uint32_t crc = otk_module_crc_compute(m);
	if (crc != m->crc_stored) {
		cli_error(path, "CRC mismatch (stored %08x, computed %08x)", m->crc_stored, crc);
		return false;
	}
	if (m->prefix.function != OTK_FUNC_USER) {
		cli_error(path, "not an application: module function is %s",
			  otk_function_name(m->prefix.function));
		return false;
	}
	return true;
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

/* --- assets ------------------------------------------------------------ */

struct asset {
	char *name;
	uint8_t *data;
	size_t len;
	uint8_t *module;   /* compressed asset module, for the limits */
	size_t module_len;
};

struct asset_list {
	struct asset *v;
	size_t n;
};

static void assets_free(struct asset_list *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i].name);
		free(l->v[i].data);
		free(l->v[i].module);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static bool assets_push(struct asset_list *l, const char *name, uint8_t *data, size_t len)
{
	struct asset *v = realloc(l->v, (l->n + 1) * sizeof *v);
	if (!v)
		return false;
	l->v = v;
	memset(&v[l->n], 0, sizeof v[l->n]);
	v[l->n].name = strdup(name);
	v[l->n].data = data;
	v[l->n].len = len;
	l->n++;
	return v[l->n - 1].name != NULL;
}

static int byte_order(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Regular files directly in dir, sorted byte-wise, minus the skipped names. */
static bool read_asset_dir(const char *dir, struct asset_list *l)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		cli_error(NULL, "The assets dir %s does not exist", dir);
		return false;
	}
	if (!S_ISDIR(st.st_mode)) {
		cli_error(NULL, "The assets path %s is not a directory", dir);
		return false;
	}
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, byte_order);
	if (n < 0) {
		cli_error(dir, "cannot list: %s", strerror(errno));
		return false;
	}
	bool ok = true;
	for (int i = 0; i < n; i++) {
		const char *name = ents[i]->d_name;
		char *path = ok && !otk_asset_name_skipped(name) ? join(dir, name) : NULL;
		if (path && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
			size_t len;
			uint8_t *data = cli_read_file(path, &len);
			if (!data || !assets_push(l, name, data, len)) {
				if (data)
					free(data);
				ok = false;
			}
		}
		free(path);
		free(ents[i]);
	}
	free(ents);
	return ok;
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
static bool encode_env(const char *path, struct asset_list *assets, char **json_out)
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
	if (!*json_out || !assets_push(assets, ENV_ASSET_NAME, data, off)) {
		free(data);
		cli_error(NULL, "out of memory");
		return false;
	}
	return true;
}

/* --- limits ------------------------------------------------------------ */

/* Compresses each asset into its module and checks the platform's limits;
 * prints the first problem like the reference tool does. */
static bool check_limits(const struct otk_platform *plat, struct asset_list *l, bool strict)
{
	if (l->n == 0)
		return true;
	if (!plat || !plat->has_assets) {
		cli_error(NULL, "This platform does not support assets");
		return false;
	}
	struct otk_asset_size *sz = calloc(l->n, sizeof *sz);
	if (!sz)
		return false;
	bool ok = true;
	struct otk_asset_limit_report r;

	/*
	 * The limits are monotone in each module's size, so when even an upper
	 * bound of every compressed module fits, the exact sizes fit too and
	 * deflating every asset just to measure it can be skipped.  The bound:
	 * prefix + header + zlib's worst case for the data + the largest suffix
	 * (HASH, NAME, ASSET_TYPE, PRODUCT_DATA, base) + CRC.
	 */
	for (size_t i = 0; i < l->n; i++) {
		sz[i].name = l->v[i].name;
		sz[i].original_size = l->v[i].len;
		sz[i].module_size = OTK_PREFIX_SIZE + OTK_COMPRESS_HEADER_SIZE +
				    compressBound((uLong)l->v[i].len) + 38 + OTK_EXT_HEADER_SIZE +
				    strlen(l->v[i].name) + 6 + 10 + OTK_SUFFIX_MIN + OTK_CRC_SIZE;
	}
	if (otk_assets_check_limits(plat, sz, l->n, strict, &r) == 0) {
		free(sz);
		return true;
	}

	for (size_t i = 0; i < l->n && ok; i++) {
		if (!l->v[i].module) {
			int rc = otk_asset_module_create(l->v[i].data, l->v[i].len, l->v[i].name, 0,
							 true, &l->v[i].module, &l->v[i].module_len);
			if (rc < 0) {
				cli_error(NULL, "asset %s: cannot build its module: %s", l->v[i].name,
					  otk_strerror(rc));
				ok = false;
			}
		}
		sz[i].name = l->v[i].name;
		sz[i].original_size = l->v[i].len;
		sz[i].module_size = l->v[i].module_len;
	}
	if (ok && otk_assets_check_limits(plat, sz, l->n, strict, &r) < 0) {
		ok = false;
		if (r.first_over_single < l->n) {
			const struct otk_asset_size *a = &sz[r.first_over_single];
			uint32_t lim = r.max_single;
			const char *which = "maximum single asset size limit";
			if (strict && r.device_single && r.device_single < lim) {
				lim = r.device_single;
				which = "the device's single asset limit";
			}
			cli_error(NULL, "Asset %s exceeds %s by %zu bytes (compressed asset module %zu "
				  "bytes, limit %u on %s)", a->name, which, a->module_size - lim,
				  a->module_size, lim, plat->name);
		} else {
			cli_error(NULL, "Total size of assets exceeds platform limits by %llu bytes "
				  "(%llu bytes of asset storage needed, %u available on %s)",
				  (unsigned long long)(r.total - r.max_total),
				  (unsigned long long)r.total, r.max_total, plat->name);
		}
	}
	free(sz);
	return ok;
}

/* Applies the dependencies; prints errors. */
static bool add_deps(const char *app_path, const uint8_t *app, size_t app_len,
		     const struct asset_list *l, uint8_t **out, size_t *out_len)
{
	struct otk_asset_ref *refs = calloc(l->n + 1, sizeof *refs);
	if (!refs)
		return false;
	for (size_t i = 0; i < l->n; i++) {
		refs[i].name = l->v[i].name;
		refs[i].name_len = strlen(l->v[i].name);
		otk_asset_hash(l->v[i].data, l->v[i].len, refs[i].hash);
	}
	uint32_t limit = 0;
	int rc = otk_assets_set_deps(app, app_len, refs, l->n, out, out_len, &limit);
	free(refs);
	if (rc == OTK_ERANGE && limit) {
		cli_error(app_path, "Resulting module exceeds platform size limits by %zu bytes "
			  "(%zu bytes with the asset dependencies, limit %u)", *out_len - limit,
			  *out_len, limit);
		return false;
	}
	if (rc == OTK_ETOOBIG) {
		cli_error(app_path, "asset names too long: the dependency list does not fit in the "
			  "module suffix (65535 bytes at most)");
		return false;
	}
	if (rc < 0) {
		cli_error(app_path, "cannot add asset dependencies: %s", otk_strerror(rc));
		return false;
	}
	return true;
}

/* --- otakit bundle ----------------------------------------------------- */

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
				found = join(dir, ents[i]->d_name);
		}
		free(ents[i]);
	}
	free(ents);
	if (count != 1) {
		cli_error(dir, count ? "%d .bin files in the project folder: give the application "
			  "as otakit bundle APP.bin --assets %s" : "no application .bin in the project "
			  "folder%.0d%s", count, count ? dir : "");
		free(found);
		return NULL;
	}
	return found;
}

static int cmd_bundle(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "assets", required_argument, NULL, OPT_ASSETS },
		{ "saveTo", required_argument, NULL, OPT_SAVETO },
		{ "output", required_argument, NULL, 'o' },
		{ "env", required_argument, NULL, OPT_ENV },
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *assets_arg = NULL, *save = NULL, *env_arg = NULL;
	bool strict = false, force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		switch (c) {
		case OPT_ASSETS: assets_arg = optarg; break;
		case OPT_SAVETO: case 'o': save = optarg; break;
		case OPT_ENV: env_arg = optarg; break;
		case OPT_STRICT: strict = true; break;
		case 'f': force = true; break;
		default: return cli_usage_error("bundle", "bundle: bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("bundle", "bundle: need one APP.bin or PROJECT_DIR");

	int status = 1;
	char *app_path = NULL, *props = NULL, *assets_dir = NULL, *env_path = NULL;
	char *out_name = NULL, *env_json = NULL;
	uint8_t *app = NULL, *updated = NULL;
	size_t app_len = 0, updated_len = 0;
	struct asset_list l = { 0 };
	struct otk_bundle_item *items = NULL;

	const char *arg = argv[optind];
	if (is_dir(arg)) {
		/* otakit bundle PROJECT_DIR: the project's app and its properties */
		if (!(app_path = project_app(arg)))
			goto out;
	} else {
		app_path = strdup(arg);
	}
	/* --assets names the folder or a project.properties; without it the
	 * project's (PROJECT_DIR's or the current folder's) properties say. */
	if (assets_arg && !is_dir(assets_arg) && has_ext(assets_arg, ".properties"))
		props = strdup(assets_arg);
	else if (!assets_arg)
		props = is_dir(arg) ? join(arg, "project.properties") : strdup("project.properties");
	if (!otk_file_exists(app_path)) {
		cli_error(NULL, "The file %s does not exist", app_path);
		goto out;
	}
	if (!has_ext(app_path, ".bin")) {
		cli_error(NULL, "The file %s is not a valid binary", app_path);
		goto out;
	}
	if (save && !has_ext(save, ".zip")) {
		cli_error(NULL, "The target file %s must be a .zip file", save);
		goto out;
	}
	struct otk_module m;
	if (!(app = cli_read_file(app_path, &app_len)) || !check_app(app_path, app, app_len, &m))
		goto out;
	if (m.prefix.dep[0].version < OTK_ASSET_MIN_DOS_VERSION) {
		cli_error(app_path, "Asset support only available for Device OS 5.5.0 and above "
			  "(the application depends on module version %u, 5.5.0 is %u)",
			  m.prefix.dep[0].version, OTK_ASSET_MIN_DOS_VERSION);
		goto out;
	}

	if (assets_arg && !props) {
		if (!otk_file_exists(assets_arg)) {
			cli_error(NULL, "The assets dir %s does not exist", assets_arg);
			goto out;
		}
		assets_dir = strdup(assets_arg);
	}
	if (props) {
		bool found;
		char *dir = property(props, "assetOtaDir", &found);
		char *env = found ? property(props, "env", &found) : NULL;
		char *base = dir_of(props);
		if (!found) {
			cli_error(NULL, "No project.properties file found in %s. Please specify the "
				  "assets directory using --assets option", base);
			free(dir);
			free(base);
			goto out;
		}
		if (dir && *dir)
			assets_dir = join(base, dir);
		if (env && *env && !env_arg)
			env_path = join(base, env);
		bool have_env = env && *env;
		free(dir);
		free(env);
		free(base);
		if (!assets_dir && !have_env) {
			cli_error(props, "Add assetOtaDir to your project.properties in order to "
				  "bundle assets");
			goto out;
		}
	}
	if (env_arg)
		env_path = strdup(env_arg);

	if (assets_dir && !read_asset_dir(assets_dir, &l))
		goto out;
	if (assets_dir) {
		printf("Bundling %s with %s:\n", app_path, assets_dir);
		for (size_t i = 0; i < l.n; i++)
			printf("  %s\n", l.v[i].name);
	}
	if (env_path) {
		printf("Writing %s data into the binary...\n", env_path);
		if (!encode_env(env_path, &l, &env_json))
			goto out;
	}
	out_name = save ? strdup(save) : default_bundle_name(app_path);
	if (!out_name)
		goto out;
	if (!force && otk_file_exists(out_name)) {
		cli_error(out_name, "already exists (use --force to replace it)");
		goto out;
	}
	if (!check_limits(otk_platform_by_id(m.prefix.platform), &l, strict))
		goto out;
	if (l.n) {
		if (!add_deps(app_path, app, app_len, &l, &updated, &updated_len))
			goto out;
	}

	size_t ni = 0;
	items = calloc(l.n + 2, sizeof *items);
	if (!items)
		goto out;
	items[ni++] = (struct otk_bundle_item){ otk_path_basename(app_path),
						updated ? updated : app, updated ? updated_len : app_len };
	char **names = calloc(l.n + 1, sizeof *names);
	for (size_t i = 0; names && i < l.n; i++) {
		names[i] = join("assets", l.v[i].name);
		items[ni++] = (struct otk_bundle_item){ names[i], l.v[i].data, l.v[i].len };
	}
	if (env_json)
		items[ni++] = (struct otk_bundle_item){ ENV_JSON_ENTRY, (const uint8_t *)env_json,
							strlen(env_json) };
	char err[512];
	int rc = names ? otk_bundle_write(out_name, items, ni, force, err, sizeof err) : OTK_ENOMEM;
	for (size_t i = 0; names && i < l.n; i++)
		free(names[i]);
	free(names);
	if (rc < 0) {
		cli_error(out_name, "%s", rc == OTK_ENOMEM ? "out of memory" : err);
		goto out;
	}
	printf("Bundling successful.\nSaved bundle to: %s\n", out_name);
	status = 0;
out:
	free(items);
	assets_free(&l);
	free(app);
	free(updated);
	free(app_path);
	free(props);
	free(assets_dir);
	free(env_path);
	free(env_json);
	free(out_name);
	return status;
}

/* --- verify and unpack --------------------------------------------------- */

struct dep_check {
	const struct otk_bundle *b;
	bool *used;
	unsigned problems;
	const char *path;
	bool quiet;
};

static int check_dep(void *ctx, const struct otk_ext_asset *a)
{
	struct dep_check *d = ctx;
	char want[65], have[65];
	cli_hex(a->hash, a->hash_len < 32 ? a->hash_len : 32, want);
	for (size_t k = 0; k < d->b->nassets; k++) {
		const struct otk_bundle_entry *e = &d->b->assets[k];
		if (strlen(e->base) != a->name_len || memcmp(e->base, a->name, a->name_len) != 0)
			continue;
		d->used[k] = true;
		uint8_t sha[OTK_SHA256_LEN];
		otk_sha256(e->data, e->len, sha);
		if (a->hash_len != OTK_SHA256_LEN || memcmp(sha, a->hash, OTK_SHA256_LEN) != 0) {
			cli_hex(sha, OTK_SHA256_LEN, have);
			cli_error(d->path, "asset %.*s: hash does not match (application expects %s, "
				  "asset is %s)", (int)a->name_len, a->name, want, have);
			d->problems++;
		}
		return 0;
	}
	cli_error(d->path, "missing asset %.*s (hash %s): the application depends on it",
		  (int)a->name_len, a->name, want);
	d->problems++;
	return 0;
}

/* Every check the cloud makes, plus the platform's limits. */
static bool verify_bundle(const char *path, struct otk_bundle *b, bool strict, size_t *ndeps)
{
	char err[512];
	if (otk_bundle_read(path, b, err, sizeof err) < 0) {
		cli_error(path, "%s", err);
		return false;
	}
	if (!b->app.data) {
		cli_error(path, "no application .bin at the root of the bundle");
		return false;
	}
	if (b->napps > 1) {
		cli_error(path, "more than one application .bin at the root of the bundle");
		return false;
	}
	struct otk_module m;
	char label[600];
	snprintf(label, sizeof label, "%s: %s", path, b->app.name);
	if (!check_app(label, b->app.data, b->app.len, &m))
		return false;
	struct dep_check d = { b, calloc(b->nassets + 1, sizeof(bool)), 0, path, false };
	if (!d.used)
		return false;
	int n = otk_assets_list(&m, check_dep, &d);
	if (n < 0) {
		cli_error(label, "malformed asset dependency extension");
		d.problems++;
	}
	for (size_t k = 0; k < b->nassets; k++) {
		if (!d.used[k]) {
			cli_error(path, "extra asset %s: the application does not depend on it",
				  b->assets[k].base);
			d.problems++;
		}
	}
	for (size_t k = 0; k < b->nothers; k++) {
		cli_error(path, "unexpected entry %s", b->others[k].name);
		d.problems++;
	}
	free(d.used);
	if (d.problems)
		return false;
	struct asset_list l = { 0 };
	bool ok = true;
	for (size_t k = 0; k < b->nassets && ok; k++) {
		uint8_t *copy = malloc(b->assets[k].len + 1);
		if (!copy) {
			ok = false;
			break;
		}
		memcpy(copy, b->assets[k].data, b->assets[k].len);
		ok = assets_push(&l, b->assets[k].base, copy, b->assets[k].len);
	}
	if (ok) {
		const struct otk_platform *plat = otk_platform_by_id(m.prefix.platform);
		ok = check_limits(plat, &l, strict);
	}
	assets_free(&l);
	*ndeps = (size_t)(n < 0 ? 0 : n);
	return ok;
}

static int cmd_verify(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "strict", no_argument, NULL, OPT_STRICT },
		{ NULL, 0, NULL, 0 },
	};
	bool strict = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_STRICT)
			return cli_usage_error("bundle verify", "bundle verify: bad option");
		strict = true;
	}
	if (optind >= argc)
		return cli_usage_error("bundle verify", "bundle verify: no ZIP given");
	int status = 0;
	for (int i = optind; i < argc; i++) {
		struct otk_bundle b;
		size_t n = 0;
		bool ok = verify_bundle(argv[i], &b, strict, &n);
		if (ok)
			printf("%s: ok: %s with %zu asset%s, all hashes match\n", argv[i], b.app.name,
			       n, n == 1 ? "" : "s");
		else
			status = 1;
		otk_bundle_free(&b);
	}
	return status;
}

static bool write_tree(const char *dir, const struct otk_bundle *b, bool force)
{
	char *adir = join(dir, "assets");
	bool ok = adir && (mkdir(adir, 0777) == 0 || errno == EEXIST);
	if (!ok)
		cli_error(adir ? adir : dir, "cannot create: %s", strerror(errno));
	const struct otk_bundle_entry *all[3] = { &b->app, &b->env, NULL };
	for (size_t i = 0; ok && all[i]; i++) {
		if (!all[i]->data)
			continue;
		char *p = join(dir, all[i]->base);
		ok = p && cli_write_file(p, all[i]->data, all[i]->len, force);
		free(p);
	}
	for (size_t k = 0; ok && k < b->nassets; k++) {
		char *p = join(adir, b->assets[k].base);
		ok = p && cli_write_file(p, b->assets[k].data, b->assets[k].len, force);
		free(p);
	}
	free(adir);
	return ok;
}

static void remove_tree(const char *dir)
{
	DIR *d = opendir(dir);
	if (d) {
		struct dirent *e;
		while ((e = readdir(d))) {
			if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
				continue;
			char *p = join(dir, e->d_name);
			if (p && is_dir(p))
				remove_tree(p);
			else if (p)
				unlink(p);
			free(p);
		}
		closedir(d);
	}
	rmdir(dir);
}

static int cmd_unpack(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		default: return cli_usage_error("bundle unpack", "bundle unpack: bad option");
		}
	}
	if (optind + 1 != argc || !out)
		return cli_usage_error("bundle unpack", "bundle unpack: need one ZIP and -o DIR");
	struct otk_bundle b;
	size_t n;
	int status = 1;
	if (!verify_bundle(argv[optind], &b, false, &n))
		goto done;
	if (otk_file_exists(out) && !force) {
		cli_error(out, "already exists (use --force to write into it)");
		goto done;
	}
	if (otk_file_exists(out)) {
		status = write_tree(out, &b, true) ? 0 : 1;
	} else {
		/* Build beside the target and rename, so a failure leaves nothing. */
		char *tmp;
		if (asprintf(&tmp, "%s.tmpXXXXXX", out) < 0)
			goto done;
		if (!mkdtemp(tmp)) {
			cli_error(out, "cannot create: %s", strerror(errno));
		} else if (!write_tree(tmp, &b, false) || rename(tmp, out) != 0) {
			remove_tree(tmp);
		} else {
			status = 0;
		}
		free(tmp);
	}
	if (status == 0)
		printf("%s: %s and %zu asset%s\n", out, b.app.name, b.nassets, b.nassets == 1 ? "" : "s");
done:
	otk_bundle_free(&b);
	return status;
}

/* --- binary list-assets / strip-assets / asset-module -------------------- */

static int print_dep(void *ctx, const struct otk_ext_asset *a)
{
	json_t *arr = ctx;
	char hex[65];
	cli_hex(a->hash, a->hash_len < 32 ? a->hash_len : 32, hex);
	if (arr) {
		json_t *o = json_object();
		json_object_set_new(o, "name", json_stringn(a->name, a->name_len));
		json_object_set_new(o, "hash", json_string(hex));
		json_array_append_new(arr, o);
	} else {
		printf("%s  %.*s\n", hex, (int)a->name_len, a->name);
	}
	return 0;
}

static int cmd_list_assets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "json", no_argument, NULL, OPT_JSON },
		{ NULL, 0, NULL, 0 },
	};
	bool json = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c != OPT_JSON)
			return cli_usage_error("binary list-assets", "binary list-assets: bad option");
		json = true;
	}
	if (optind + 1 != argc)
		return cli_usage_error("binary list-assets", "binary list-assets: need one APP.bin");
	const char *path = argv[optind];
	size_t len;
	uint8_t *buf = cli_read_file(path, &len);
	if (!buf)
		return 1;
	struct otk_module m;
	int rc = otk_module_parse(buf, len, &m);
	if (rc < 0) {
		cli_error(path, "not a module: %s", otk_strerror(rc));
		free(buf);
		return 1;
	}
	json_t *arr = json ? json_array() : NULL;
	rc = otk_assets_list(&m, print_dep, arr);
	free(buf);
	if (rc < 0) {
		json_decref(arr);
		cli_error(path, "malformed asset dependency extension");
		return 1;
	}
	if (arr) {
		json_dumpf(arr, stdout, JSON_INDENT(2));
		fputc('\n', stdout);
		json_decref(arr);
	}
	return 0;
}

static int cmd_strip_assets(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL;
	bool force = false;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		default: return cli_usage_error("binary strip-assets", "binary strip-assets: bad option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage_error("binary strip-assets", "binary strip-assets: need one APP.bin");
	const char *path = argv[optind];
	char *def = NULL;
	if (!out) {
		/* particle binary strip-assets: FILE without extension + -no-assets.bin */
		const char *dot = strrchr(otk_path_basename(path), '.');
		int n = dot ? (int)(dot - path) : (int)strlen(path);
		if (asprintf(&def, "%.*s-no-assets.bin", n, path) < 0)
			return 1;
		out = def;
	}
	size_t len, olen;
	uint8_t *buf = cli_read_file(path, &len), *res = NULL;
	struct otk_module m;
	int status = 1;
	if (!buf || !check_app(path, buf, len, &m))
		goto done;
	if (otk_assets_list(&m, NULL, NULL) == 0) {
		cli_error(path, "No assets found");
		goto done;
	}
	int rc = otk_assets_set_deps(buf, len, NULL, 0, &res, &olen, NULL);
	if (rc < 0) {
		cli_error(path, "cannot remove asset dependencies: %s", otk_strerror(rc));
		goto done;
	}
	if (cli_write_file(out, res, olen, force)) {
		printf("Application binary without assets saved to %s (%zu -> %zu bytes)\n", out, len,
		       olen);
		status = 0;
	}
done:
	free(buf);
	free(res);
	free(def);
	return status;
}

static int cmd_asset_module(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "force", no_argument, NULL, 'f' },
		{ "no-compress", no_argument, NULL, OPT_NOCOMPRESS },
		{ "name", required_argument, NULL, OPT_NAME },
		{ NULL, 0, NULL, 0 },
	};
	const char *out = NULL, *name = NULL;
	bool force = false, compress = true;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "o:f", opts, NULL)) != -1) {
		switch (c) {
		case 'o': out = optarg; break;
		case 'f': force = true; break;
		case OPT_NOCOMPRESS: compress = false; break;
		case OPT_NAME: name = optarg; break;
		default: return cli_usage_error("binary asset-module", "binary asset-module: bad option");
		}
	}
	if (optind + 1 != argc || !out)
		return cli_usage_error("binary asset-module", "binary asset-module: need one FILE and -o OUT");
	const char *path = argv[optind];
	if (!name)
		name = otk_path_basename(path);
	size_t len, olen;
	uint8_t *buf = cli_read_file(path, &len), *res;
	if (!buf)
		return 1;
	int rc = otk_asset_module_create(buf, len, name, 0, compress, &res, &olen);
	free(buf);
	if (rc < 0) {
		cli_error(path, "cannot build an asset module: %s", otk_strerror(rc));
		return 1;
	}
	bool ok = cli_write_file(out, res, olen, force);
	if (ok)
		printf("%s: asset %s, %zu -> %zu bytes\n", out, name, len, olen);
	free(res);
	return ok ? 0 : 1;
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
	{ "bundle verify", "check a bundle's assets, hashes and limits",
	  "Usage: otakit bundle verify [--strict] ZIP...\n"
	  "\n"
	  "Check that the application is a valid module, that every asset it depends on\n"
	  "is present with a matching SHA-256, that there is nothing else, and that the\n"
	  "assets fit the platform's asset storage (--strict: as the device enforces).\n",
	  cmd_verify },
	{ "bundle unpack", "verify a bundle and extract it",
	  "Usage: otakit bundle unpack ZIP -o DIR [--force]\n"
	  "\n"
	  "Verify the bundle, then write the application to DIR and the assets to\n"
	  "DIR/assets.  DIR must not exist unless --force is given.\n",
	  cmd_unpack },
	{ "binary list-assets", "list an application's asset dependencies",
	  "Usage: otakit binary list-assets [--json] APP.bin\n"
	  "\n"
	  "Print the SHA-256 and name of each asset the application depends on.\n",
	  cmd_list_assets },
	{ "binary strip-assets", "remove an application's asset dependencies",
	  "Usage: otakit binary strip-assets APP.bin [-o OUT.bin] [--force]\n"
	  "\n"
	  "Write the application without ASSET_DEPENDENCY extensions (SHA-256 and\n"
	  "CRC-32 recomputed; a grows-left module moves back right), by default to\n"
	  "APP-no-assets.bin.  The result is the application as it was before its\n"
	  "dependencies were added.\n",
	  cmd_strip_assets },
	{ "binary asset-module", "wrap a file as an asset module",
	  "Usage: otakit binary asset-module FILE -o OUT.bin [--name NAME] [--no-compress] [--force]\n"
	  "\n"
	  "Build the asset module (function 9) a device stores for FILE, compressed\n"
	  "unless --no-compress, named after FILE unless --name is given.\n",
	  cmd_asset_module },
};

const size_t cli_bundle_command_count = sizeof cli_bundle_commands / sizeof cli_bundle_commands[0];
