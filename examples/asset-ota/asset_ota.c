/*
 * Asset OTA example for the otakit virtual device: Particle's
 * FileAssetExample in C.
 *
 * When new assets arrive (the onAssetOta handler runs before setup()), each
 * asset is copied to /usr/assets/<name> on the user file system in 512-byte
 * writes, then the assets are marked handled.  Every 10 seconds the files in
 * /usr/assets are listed and the top-level keys of test1.json are printed.
 */
#define _POSIX_C_SOURCE 200809L
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <otakit/app.h>

#define ASSETS_DIR "/usr/assets"
#define MAX_ASSETS 32

static void handle_assets(void *ctx)
{
	(void)ctx;
	struct otakit_asset assets[MAX_ASSETS];
	LOG_INFO("handleAssets called");
	int n = otakit_assets_available(assets, MAX_ASSETS);
	if (n < 0) {
		LOG_ERROR("cannot list the assets");
		return;
	}
	if (otakit_fs_mkdirs(ASSETS_DIR) < 0) {
		LOG_ERROR("cannot create %s", ASSETS_DIR);
		return;
	}
	for (int i = 0; i < n && i < MAX_ASSETS; i++) {
		char path[256], host[4096];
		snprintf(path, sizeof path, "%s/%s", ASSETS_DIR, otakit_asset_name(&assets[i]));
		LOG_INFO("asset path=%s size=%lu", path, (unsigned long)otakit_asset_size(&assets[i]));
		struct otakit_asset_stream *s = otakit_asset_open(&assets[i]);
		FILE *f = otakit_fs_path(path, host, sizeof host) == 0 ? fopen(host, "wb") : NULL;
		if (!s || !f) {
			LOG_ERROR("cannot copy %s", path);
			if (f)
				fclose(f);
			otakit_asset_close(s);
			continue;
		}
		char buf[512];
		long got;
		while ((got = otakit_asset_read(s, buf, sizeof buf)) > 0) {
			if (fwrite(buf, 1, (size_t)got, f) != (size_t)got) {
				LOG_ERROR("write to %s failed", path);
				break;
			}
			LOG_INFO("wrote %ld bytes to file", got);
		}
		if (got < 0)
			LOG_ERROR("reading asset %s failed", otakit_asset_name(&assets[i]));
		fclose(f);
		otakit_asset_close(s);
	}
	otakit_assets_handled(1);
	LOG_INFO("set assetsHandled to true");
}
OTAKIT_ON_ASSET_OTA(handle_assets, NULL)

/* --- a tiny JSON scanner: the top-level keys of an object ---------------- */

static const char *ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')
		p++;
	return p;
}

/* A string at p ('"'): unescaped into out; returns the byte after it or NULL. */
static const char *str(const char *p, char *out, size_t cap)
{
	size_t n = 0;
	if (*p++ != '"')
		return NULL;
	for (; *p && *p != '"'; p++) {
		char c = *p;
		if (c == '\\') {
			c = *++p;
			c = c == 'n' ? '\n' : c == 't' ? '\t' : c == 'r' ? '\r' : c;
			if (!c)
				return NULL;
		}
		if (n + 1 < cap)
			out[n++] = c;
	}
	out[n] = 0;
	return *p == '"' ? p + 1 : NULL;
}

/* Skip any value; returns the byte after it or NULL. */
static const char *skip_value(const char *p)
{
	char tmp[2];
	if (*p == '"')
		return str(p, tmp, sizeof tmp);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (; *p; p++) {
			if (*p == '"') {
				if (!(p = str(p, tmp, sizeof tmp)))
					return NULL;
				p--;
			} else if (*p == '{' || *p == '[') {
				depth++;
			} else if ((*p == '}' || *p == ']') && --depth == 0) {
				return p + 1;
			}
		}
		return NULL;
	}
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\n' &&
	       *p != '\r' && *p != '\t')
		p++;
	return p;
}

static void print_keys(const char *json)
{
	char key[128], val[256];
	const char *p = ws(json);
	if (*p++ != '{') {
		LOG_WARN("test1.json: not a JSON object");
		return;
	}
	for (p = ws(p); *p && *p != '}'; p = ws(p)) {
		if (!(p = str(p, key, sizeof key)) || *(p = ws(p)) != ':')
			goto bad;
		p = ws(p + 1);
		const char *v = p;
		if (*v == '"') {
			if (!(p = str(v, val, sizeof val)))
				goto bad;
		} else {
			if (!(p = skip_value(v)))
				goto bad;
			size_t n = (size_t)(p - v) < sizeof val - 1 ? (size_t)(p - v) : sizeof val - 1;
			memcpy(val, v, n);
			val[n] = 0;
		}
		LOG_INFO("key=%s value=%s", key, val);
		p = ws(p);
		if (*p == ',')
			p++;
	}
	return;
bad:
	LOG_WARN("test1.json: malformed JSON");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void check_assets(void)
{
	char host[4096];
	if (otakit_fs_path(ASSETS_DIR, host, sizeof host) < 0)
		return;
	DIR *d = opendir(host);
	if (!d) {
		LOG_INFO("no files in %s", ASSETS_DIR);
		return;
	}
	char *names[64];
	size_t n = 0;
	struct dirent *de;
	while ((de = readdir(d)) && n < 64)
		if (de->d_name[0] != '.')
			names[n++] = strdup(de->d_name);
	closedir(d);
	qsort(names, n, sizeof names[0], by_name);
	for (size_t i = 0; i < n; i++) {
		char path[512], file[4096];
		struct stat st;
		if (!names[i])
			continue;
		snprintf(path, sizeof path, "%s/%s", ASSETS_DIR, names[i]);
		if (otakit_fs_path(path, file, sizeof file) == 0 && stat(file, &st) == 0 &&
		    S_ISREG(st.st_mode)) {
			LOG_INFO("found asset %s size=%ld", path, (long)st.st_size);
			if (strcmp(names[i], "test1.json") == 0 && st.st_size < 65536) {
				char *text = calloc(1, (size_t)st.st_size + 1);
				FILE *f = fopen(file, "rb");
				if (text && f && fread(text, 1, (size_t)st.st_size, f) == (size_t)st.st_size)
					print_keys(text);
				if (f)
					fclose(f);
				free(text);
			}
		}
		free(names[i]);
	}
}

static uint32_t last_check;

void setup(void)
{
	LOG_INFO("asset-ota example: %d asset(s) required, %d available",
		 otakit_assets_required(NULL, 0), otakit_assets_available(NULL, 0));
}

void loop(void)
{
	if (otakit_millis() - last_check >= 10000) {
		last_check = otakit_millis();
		check_assets();
	}
	otakit_delay(100);
}
