/*
 * HTTP client for the cloud API over libcurl (see otk/http.h).
 *
 * One CURL easy handle per struct otk_http, reset before each request, so
 * connections are reused between the calls of one command.  Answer bodies
 * collect in a buffer with a cap; an event stream's body is cut into events
 * as it arrives (otk/sse.h) and never collected.
 */
#define _GNU_SOURCE
#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/http.h"
#include "otk/sse.h"

#define DEFAULT_TIMEOUT 60L
#define DEFAULT_CONNECT_TIMEOUT 15L
#define DEFAULT_MAX_RESPONSE (16u << 20)
#define DEFAULT_IDLE 120L

struct otk_http {
	CURL *curl;
	char *base;
	char *auth;   /* "Authorization: Bearer TOKEN" */
	long timeout, connect_timeout;
	size_t max_response;
};

/* A growing buffer with a cap. */
struct buf {
	char *p;
	size_t len, cap, max;
	bool over;
};

static bool buf_add(struct buf *b, const char *s, size_t n)
{
	if (n > b->max - b->len) {
		b->over = true;
		return false;
	}
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 1024;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p)
			return false;
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
	return true;
}

static size_t collect(char *data, size_t size, size_t n, void *ctx)
{
	return buf_add(ctx, data, size * n) ? size * n : 0;
}

int otk_http_new(struct otk_http **out, const struct otk_http_options *o)
{
	static bool global_done;
	*out = NULL;
	if (!o->base_url || !*o->base_url)
		return OTK_EINVAL;
	if (!global_done) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return OTK_ENOMEM;
		global_done = true;
	}
	struct otk_http *h = calloc(1, sizeof *h);
	if (!h)
		return OTK_ENOMEM;
	size_t bl = strlen(o->base_url);
	while (bl > 0 && o->base_url[bl - 1] == '/')
		bl--;
	h->base = strndup(o->base_url, bl);
	h->curl = curl_easy_init();
	if (o->token && *o->token) {
		size_t n = strlen(o->token) + 32;
		h->auth = malloc(n);
		if (h->auth)
			snprintf(h->auth, n, "Authorization: Bearer %s", o->token);
	}
	if (!h->base || !h->curl || (o->token && *o->token && !h->auth)) {
		otk_http_free(h);
		return OTK_ENOMEM;
	}
	h->timeout = o->timeout > 0 ? o->timeout : DEFAULT_TIMEOUT;
	h->connect_timeout = o->connect_timeout > 0 ? o->connect_timeout : DEFAULT_CONNECT_TIMEOUT;
	h->max_response = o->max_response ? o->max_response : DEFAULT_MAX_RESPONSE;
	*out = h;
	return OTK_OK;
}

void otk_http_free(struct otk_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	free(h->base);
	free(h->auth);
	free(h);
}

void otk_http_response_free(struct otk_http_response *res)
{
	json_decref(res->json);
	free(res->body);
	memset(res, 0, sizeof *res);
}

bool otk_http_success(const struct otk_http_response *res)
{
	return res->status >= 200 && res->status < 300;
}

char *otk_http_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	if (!e)
		return NULL;
	char *copy = strdup(e); /* callers free() it, not curl_free() */
	curl_free(e);
	return copy;
}

/*
 * Particle's error bodies, turned into one message:
 *   {"ok":false,"error":"text"}                      -> text
 *   {"error":"code","error_description":"text"}     -> code: text
 *   {"error":"code","info":"text"} / "message"     -> code: text
 *   {"errors":["a","b"]}                             -> a; b
 * Anything else: the first line of the body, or the status line.
 */
static void error_message(struct otk_http_response *res)
{
	const char *err = NULL, *desc = NULL;
	char joined[400] = "";
	if (json_is_object(res->json)) {
		err = json_string_value(json_object_get(res->json, "error"));
		const char *keys[] = { "error_description", "info", "message" };
		for (size_t i = 0; i < 3 && !desc; i++)
			desc = json_string_value(json_object_get(res->json, keys[i]));
		json_t *list = json_object_get(res->json, "errors");
		size_t i;
		json_t *v;
		json_array_foreach(list, i, v) {
			const char *s = json_string_value(v);
			if (!s)
				s = json_string_value(json_object_get(v, "message"));
			if (s) {
				size_t l = strlen(joined);
				snprintf(joined + l, sizeof joined - l, "%s%s", l ? "; " : "", s);
			}
		}
	}
	if (err && desc && strcmp(err, desc) != 0)
		snprintf(res->error, sizeof res->error, "HTTP %ld: %s: %s", res->status, err, desc);
	else if (err || desc)
		snprintf(res->error, sizeof res->error, "HTTP %ld: %s", res->status, err ? err : desc);
	else if (*joined)
		snprintf(res->error, sizeof res->error, "HTTP %ld: %s", res->status, joined);
	else if (res->len && !res->json)
		snprintf(res->error, sizeof res->error, "HTTP %ld: %.*s", res->status,
			 (int)strcspn(res->body, "\r\n"), res->body);
	else
		snprintf(res->error, sizeof res->error, "HTTP %ld", res->status);
}

static void setup(struct otk_http *h, const char *method, const char *path, char *url, size_t ul)
{
	curl_easy_reset(h->curl);
	snprintf(url, ul, "%s%s", h->base, path);
	curl_easy_setopt(h->curl, CURLOPT_URL, url);
	curl_easy_setopt(h->curl, CURLOPT_CUSTOMREQUEST, method);
	curl_easy_setopt(h->curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h->curl, CURLOPT_CONNECTTIMEOUT, h->connect_timeout);
	curl_easy_setopt(h->curl, CURLOPT_USERAGENT, "otakit");
	curl_easy_setopt(h->curl, CURLOPT_PROTOCOLS_STR, "http,https");
	if (strcmp(method, "HEAD") == 0)
		curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
}

/* Runs the prepared request; fills res (status, body, json, error). */
static int perform(struct otk_http *h, const char *method, const char *path,
		   struct curl_slist *headers, struct otk_http_response *res)
{
	struct buf b = { .max = h->max_response };
	memset(res, 0, sizeof *res);
	if (h->auth)
		headers = curl_slist_append(headers, h->auth);
	headers = curl_slist_append(headers, "Accept: application/json");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h->curl, CURLOPT_TIMEOUT, h->timeout);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h->curl);
	curl_slist_free_all(headers);
	res->body = b.p ? b.p : strdup("");
	res->len = b.len;
	if (!res->body)
		return OTK_ENOMEM;
	if (b.over) {
		snprintf(res->error, sizeof res->error, "%s %s: answer larger than %zu bytes",
			 method, path, h->max_response);
		return OTK_ETOOBIG;
	}
	if (cc != CURLE_OK) {
		snprintf(res->error, sizeof res->error, "%s %s%s: %s", method, h->base, path,
			 *errbuf ? errbuf : curl_easy_strerror(cc));
		return cc == CURLE_WRITE_ERROR ? OTK_ENOMEM : OTK_EIO;
	}
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->status);
	if (res->len)
		res->json = json_loadb(res->body, res->len, 0, NULL);
	if (!otk_http_success(res))
		error_message(res);
	return OTK_OK;
}

int otk_http_json(struct otk_http *h, const char *method, const char *path, const json_t *body,
		  struct otk_http_response *res)
{
	char url[4096];
	struct curl_slist *headers = NULL;
	char *text = NULL;
	setup(h, method, path, url, sizeof url);
	if (body) {
		text = json_dumps(body, JSON_COMPACT);
		if (!text) {
			memset(res, 0, sizeof *res);
			return OTK_ENOMEM;
		}
		headers = curl_slist_append(headers, "Content-Type: application/json");
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, text);
		curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(text));
	}
	int rc = perform(h, method, path, headers, res);
	free(text);
	return rc;
}

int otk_http_form(struct otk_http *h, const char *method, const char *path,
		  const char *const *fields, const char *basic, struct otk_http_response *res)
{
	char url[4096];
	struct buf form = { .max = 1u << 20 };
	bool ok = buf_add(&form, "", 0);
	for (size_t i = 0; ok && fields[i] && fields[i + 1]; i += 2) {
		char *v = curl_easy_escape(h->curl, fields[i + 1], 0);
		ok = v && (i == 0 || buf_add(&form, "&", 1)) &&
		     buf_add(&form, fields[i], strlen(fields[i])) && buf_add(&form, "=", 1) &&
		     buf_add(&form, v, strlen(v));
		curl_free(v);
	}
	if (!ok) {
		free(form.p);
		memset(res, 0, sizeof *res);
		return OTK_ENOMEM;
	}
	setup(h, method, path, url, sizeof url);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, form.p);
	curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)form.len);
	char *auth = NULL;
	if (basic) {
		/* basic replaces the bearer token for this request */
		auth = h->auth;
		h->auth = NULL;
		curl_easy_setopt(h->curl, CURLOPT_HTTPAUTH, CURLAUTH_BASIC);
		curl_easy_setopt(h->curl, CURLOPT_USERPWD, basic);
	}
	int rc = perform(h, method, path, NULL, res);
	if (basic)
		h->auth = auth;
	free(form.p);
	return rc;
}

struct upload_progress {
	otk_http_progress_fn fn;
	void *ctx;
};

static int upload_xfer(void *ctx, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
		       curl_off_t ulnow)
{
	struct upload_progress *p = ctx;
	(void)dltotal;
	(void)dlnow;
	if (ultotal > 0)
		p->fn(p->ctx, (uint64_t)ulnow, (uint64_t)ultotal);
	return 0;
}

int otk_http_upload(struct otk_http *h, const char *method, const char *path,
		    const struct otk_http_part *parts, size_t nparts, otk_http_progress_fn progress,
		    void *ctx, struct otk_http_response *res)
{
	char url[4096];
	setup(h, method, path, url, sizeof url);
	curl_mime *mime = curl_mime_init(h->curl);
	if (!mime) {
		memset(res, 0, sizeof *res);
		return OTK_ENOMEM;
	}
	for (size_t i = 0; i < nparts; i++) {
		curl_mimepart *part = curl_mime_addpart(mime);
		CURLcode cc = part ? curl_mime_name(part, parts[i].name) : CURLE_OUT_OF_MEMORY;
		if (cc == CURLE_OK && parts[i].file) {
			cc = curl_mime_filedata(part, parts[i].file);
			if (cc == CURLE_OK && parts[i].filename)
				cc = curl_mime_filename(part, parts[i].filename);
			if (cc == CURLE_OK)
				cc = curl_mime_type(part, "application/octet-stream");
		} else if (cc == CURLE_OK) {
			cc = curl_mime_data(part, parts[i].value ? parts[i].value : "",
					    CURL_ZERO_TERMINATED);
		}
		if (cc != CURLE_OK) {
			curl_mime_free(mime);
			memset(res, 0, sizeof *res);
			snprintf(res->error, sizeof res->error, "%s: %s",
				 parts[i].file ? parts[i].file : parts[i].name,
				 curl_easy_strerror(cc));
			return cc == CURLE_OUT_OF_MEMORY ? OTK_ENOMEM : OTK_EIO;
		}
	}
	curl_easy_setopt(h->curl, CURLOPT_MIMEPOST, mime);
	struct upload_progress up = { progress, ctx };
	if (progress) {
		curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, upload_xfer);
		curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &up);
	}
	/* an upload of many megabytes may take longer than an ordinary request */
	long saved = h->timeout;
	h->timeout *= 10;
	int rc = perform(h, method, path, NULL, res);
	h->timeout = saved;
	curl_mime_free(mime);
	return rc;
}

/* The state of an event stream. */
struct stream {
	struct otk_sse sse;
	int rc;              /* otk_sse_feed()'s last failure, or 1 when stopped */
	volatile sig_atomic_t *stop;
	struct buf *refusal; /* body of a non-2xx answer, collected instead */
	CURL *curl;
};

static size_t stream_write(char *p, size_t size, size_t n, void *ctx)
{
	struct stream *s = ctx;
	size_t total = size * n;
	long status = 0;
	curl_easy_getinfo(s->curl, CURLINFO_RESPONSE_CODE, &status);
	if (status < 200 || status >= 300)
		return buf_add(s->refusal, p, total) ? total : 0;
	int rc = otk_sse_feed(&s->sse, p, total);
	if (rc != OTK_OK) {
		s->rc = rc;
		return 0;
	}
	return total;
}

static int stream_xfer(void *ctx, curl_off_t a, curl_off_t b, curl_off_t c, curl_off_t d)
{
	struct stream *s = ctx;
	(void)a, (void)b, (void)c, (void)d;
	return s->stop && *s->stop;
}

int otk_http_events(struct otk_http *h, const char *path, otk_http_event_fn fn, void *ctx,
		    volatile sig_atomic_t *stop, long idle, struct otk_http_response *res)
{
	char url[4096];
	struct buf refusal = { .max = h->max_response };
	struct stream s = { .stop = stop, .refusal = &refusal, .curl = h->curl };
	struct curl_slist *headers = NULL;
	otk_sse_init(&s.sse, fn, ctx);
	memset(res, 0, sizeof *res);
	setup(h, "GET", path, url, sizeof url);
	if (h->auth)
		headers = curl_slist_append(headers, h->auth);
	headers = curl_slist_append(headers, "Accept: text/event-stream");
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers);
	curl_easy_setopt(h->curl, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(h->curl, CURLOPT_WRITEDATA, &s);
	curl_easy_setopt(h->curl, CURLOPT_NOPROGRESS, 0L);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFOFUNCTION, stream_xfer);
	curl_easy_setopt(h->curl, CURLOPT_XFERINFODATA, &s);
	/* no overall timeout; a stream that goes silent (no keep-alive) ends */
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(h->curl, CURLOPT_LOW_SPEED_TIME, idle > 0 ? idle : DEFAULT_IDLE);
	char errbuf[CURL_ERROR_SIZE] = "";
	curl_easy_setopt(h->curl, CURLOPT_ERRORBUFFER, errbuf);
	CURLcode cc = curl_easy_perform(h->curl);
	curl_slist_free_all(headers);
	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &res->status);
	otk_sse_deinit(&s.sse);
	res->body = refusal.p ? refusal.p : strdup("");
	res->len = refusal.len;
	if (!res->body)
		return OTK_ENOMEM;
	bool ended_by_us = s.rc == 1 || (stop && *stop);
	if (cc != CURLE_OK && !ended_by_us) {
		if (s.rc == OTK_ENOMEM)
			return OTK_ENOMEM;
		if (s.rc == OTK_ETOOBIG || refusal.over) {
			snprintf(res->error, sizeof res->error, "GET %s: %s larger than %u bytes", path,
				 refusal.over ? "an answer" : "an event", OTK_SSE_MAX);
			return OTK_ETOOBIG;
		}
		snprintf(res->error, sizeof res->error, "GET %s%s: %s", h->base, path,
			 *errbuf ? errbuf : curl_easy_strerror(cc));
		return OTK_EIO;
	}
	if (res->len)
		res->json = json_loadb(res->body, res->len, 0, NULL);
	if (!otk_http_success(res))
		error_message(res);
	return OTK_OK;
}
