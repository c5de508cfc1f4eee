/*
 * Asset OTA on the virtual device: the asset store over the layout's asset
 * area (core asset_store/asset_api), the application's asset API from
 * <otakit/app.h> and the user file system (DIR/fs/).
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "otakit/app.h"
#include "otk/error.h"
#include "otk/module.h"
#include "vdev.h"

bool vdev_assets_open(struct vdev *v)
{
	struct otk_flash_area fa;
	v->has_assets = false;
	int rc = otk_device_open(&v->dev, OTK_AREA_ASSETS, 0, &fa);
	if (rc == OTK_ENOTFOUND)
		return true;   /* no asset storage on this layout */
	if (rc == OTK_OK)
		rc = otk_asset_store_init(&v->astore, &fa, v->abuf, sizeof v->abuf);
	if (rc < 0) {
		cli_error(v->dir, "cannot open the asset store: %s", otk_strerror(rc));
		return false;
	}
	v->has_assets = true;
	otk_assets_init(&v->assets, &v->astore, v->req, v->nreq);
	otk_update_set_assets(&v->upd, &v->assets);
	return true;
}

int vdev_assets_deps(struct vdev *v, const struct otk_installed *u)
{
	struct otk_flash_area fa;
	v->nreq = 0;
	int rc = otk_device_open(&v->dev, OTK_AREA_USER, u->index, &fa);
	if (rc < 0)
		return rc;
	uint32_t len = u->prefix.end - u->prefix.start + OTK_CRC_SIZE;
	if (u->prefix.start < fa.addr || u->prefix.start - fa.addr > fa.size ||
	    len > fa.size - (u->prefix.start - fa.addr))
		return OTK_ERANGE;
	static uint8_t ext[16384];   /* the extension region: up to 64 long names */
	rc = otk_assets_deps_read(&fa, u->prefix.start - fa.addr, len, ext, sizeof ext,
				  v->req, VDEV_MAX_ASSETS);
	if (rc < 0)
		return rc;
	v->nreq = (size_t)rc;
	if (v->has_assets)
		otk_assets_init(&v->assets, &v->astore, v->req, v->nreq);
	return rc;
}

const struct otk_asset_id *vdev_assets_first_missing(struct vdev *v)
{
	struct otk_asset_info info;
	for (size_t i = 0; i < v->nreq; i++)
		if (!v->has_assets || otk_asset_store_find(&v->astore, v->req[i].name,
							   v->req[i].name_len, v->req[i].hash,
							   &info) != OTK_OK)
			return &v->req[i];
	return NULL;
}

/* --- the application API ------------------------------------------------ */

static struct vdev *g_v;

void vdev_assets_bind(struct vdev *v)
{
	g_v = v;
}

static void to_app(struct otakit_asset *o, const struct otk_asset_id *id, uint32_t size,
		   uint32_t storage_size)
{
	memset(o, 0, sizeof *o);
	size_t n = id->name_len < sizeof o->name - 1 ? id->name_len : sizeof o->name - 1;
	memcpy(o->name, id->name, n);
	memcpy(o->hash, id->hash, sizeof o->hash);
	o->size = size;
	o->storage_size = storage_size;
}

int otakit_assets_available(struct otakit_asset *out, int max)
{
	if (!g_v || !g_v->has_assets)
		return 0;
	struct otk_asset_info info[VDEV_MAX_ASSETS];
	int n = otk_assets_available(&g_v->assets, info, VDEV_MAX_ASSETS);
	if (n < 0)
		return -1;
	for (int i = 0; i < n && i < max && i < (int)VDEV_MAX_ASSETS; i++)
		to_app(&out[i], &info[i].id, info[i].size, info[i].storage_size);
	return n;
}

int otakit_assets_required(struct otakit_asset *out, int max)
{
	if (!g_v)
		return 0;
	for (size_t i = 0; i < g_v->nreq && (int)i < max; i++) {
		struct otk_asset_info info;
		if (g_v->has_assets && otk_asset_store_find(&g_v->astore, g_v->req[i].name,
							     g_v->req[i].name_len, g_v->req[i].hash,
							     &info) == OTK_OK)
			to_app(&out[i], &info.id, info.size, info.storage_size);
		else
			to_app(&out[i], &g_v->req[i], 0, 0);
	}
	return (int)g_v->nreq;
}

int otakit_assets_handled(int handled)
{
	if (!g_v || !g_v->has_assets)
		return -1;
	return otk_assets_handled(&g_v->assets, handled != 0) < 0 ? -1 : 0;
}

int otakit_assets_state(void)
{
	return g_v && g_v->has_assets ? otk_assets_state(&g_v->assets) : 0;
}

/* Registered from a constructor, before the device is bound: kept here. */
static otakit_asset_ota_fn g_handler;
static void *g_handler_ctx;

static void call_handler(void *ctx, struct otk_assets *a)
{
	(void)ctx;
	(void)a;
	if (g_handler)
		g_handler(g_handler_ctx);
}

void otakit_on_asset_ota(otakit_asset_ota_fn fn, void *ctx)
{
	g_handler = fn;
	g_handler_ctx = ctx;
	if (g_v && g_v->has_assets)
		otk_assets_on_ota(&g_v->assets, fn ? call_handler : NULL, NULL);
}

/* Called by run.c after loading the app, before setup(). */
int vdev_assets_run_handler(void)
{
	if (!g_v || !g_v->has_assets || !g_handler)
		return 0;
	otk_assets_on_ota(&g_v->assets, call_handler, NULL);
	return otk_assets_run_handler(&g_v->assets);
}

const char *otakit_asset_name(const struct otakit_asset *a) { return a->name; }
uint32_t otakit_asset_size(const struct otakit_asset *a) { return a->size; }
uint32_t otakit_asset_storage_size(const struct otakit_asset *a) { return a->storage_size; }
const uint8_t *otakit_asset_hash(const struct otakit_asset *a) { return a->hash; }

struct otakit_asset_stream {
	struct otk_asset_reader r;
	struct otk_inflate inf;
	uint8_t window[32768];
	uint8_t buf[1024];
};

struct otakit_asset_stream *otakit_asset_open(const struct otakit_asset *a)
{
	struct otk_asset_info info;
	if (!g_v || !g_v->has_assets || !a ||
	    otk_asset_store_find(&g_v->astore, a->name, strlen(a->name), a->hash, &info) != OTK_OK)
		return NULL;
	struct otakit_asset_stream *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (otk_asset_reader_open(&s->r, &g_v->astore, &info, &s->inf, s->window, sizeof s->window,
				  s->buf, sizeof s->buf) != OTK_OK) {
		free(s);
		return NULL;
	}
	return s;
}

long otakit_asset_read(struct otakit_asset_stream *s, void *buf, size_t len)
{
	if (!s)
		return -1;
	long n = otk_asset_reader_read(&s->r, buf, len);
	return n == OTK_EASSET_EOF ? 0 : n < 0 ? -1 : n;
}

long otakit_asset_peek(struct otakit_asset_stream *s, void *buf, size_t len)
{
	if (!s)
		return -1;
	long n = otk_asset_reader_peek(&s->r, buf, len);
	return n == OTK_EASSET_EOF ? 0 : n < 0 ? -1 : n;
}

long otakit_asset_skip(struct otakit_asset_stream *s, size_t len)
{
	if (!s)
		return -1;
	long n = otk_asset_reader_skip(&s->r, len);
	return n == OTK_EASSET_EOF ? 0 : n < 0 ? -1 : n;
}

int otakit_asset_seek(struct otakit_asset_stream *s, uint32_t pos)
{
	return s && otk_asset_reader_seek(&s->r, pos) == OTK_OK ? 0 : -1;
}

int otakit_asset_reset(struct otakit_asset_stream *s)
{
	return s && otk_asset_reader_reset(&s->r) == OTK_OK ? 0 : -1;
}

uint32_t otakit_asset_available(const struct otakit_asset_stream *s)
{
	return s ? otk_asset_reader_available(&s->r) : 0;
}

uint32_t otakit_asset_tell(const struct otakit_asset_stream *s)
{
	return s ? otk_asset_reader_tell(&s->r) : 0;
}

void otakit_asset_close(struct otakit_asset_stream *s)
{
	free(s);
}

/* --- the user file system ------------------------------------------------ */

int otakit_fs_path(const char *path, char *out, size_t cap)
{
	if (!g_v || !path || path[0] != '/')
		return -1;
	for (const char *p = path; *p; p++)
		if (p[0] == '/' && p[1] == '.' && p[2] == '.' && (p[3] == '/' || p[3] == 0))
			return -1;
	int n = snprintf(out, cap, "%s/fs%s", g_v->dir, path);
	return n < 0 || (size_t)n >= cap ? -1 : 0;
}

int otakit_fs_mkdirs(const char *path)
{
	char p[4200];
	if (otakit_fs_path(path, p, sizeof p) < 0)
		return -1;
	size_t base = strlen(g_v->dir);
	for (char *s = p + base + 1; ; s++) {
		if (*s == '/' || *s == 0) {
			char c = *s;
			*s = 0;
			if (mkdir(p, 0755) != 0 && errno != EEXIST)
				return -1;
			*s = c;
			if (!c)
				break;
		}
	}
	return 0;
}
