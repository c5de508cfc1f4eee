/*
 * A small HTTP client for Particle's cloud API (and otakitd, which speaks
 * it), over libcurl.  Requests carry a bearer token; JSON bodies go out and
 * come back through jansson; uploads are multipart with a progress callback;
 * event streams are Server-Sent Events handed over one event at a time.
 *
 * Every call fills a struct otk_http_response.  The return code says
 * whether an answer arrived at all: OTK_OK when the server answered (with
 * any status; res->status has it), OTK_EIO when no answer came (connection
 * refused, timeout, TLS; res->error says which), OTK_ETOOBIG when the
 * answer was larger than the cap, OTK_ENOMEM.  When the status is 400 or
 * more, res->error holds Particle's error body as one readable message
 * ("invalid_grant: User credentials are invalid", "app.bin: CRC mismatch").
 * The library never prints.
 */
#ifndef OTK_HTTP_H
#define OTK_HTTP_H

#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/sse.h"

struct otk_http;

struct otk_http_options {
	const char *base_url;  /* "https://api.particle.io"; paths are appended */
	const char *token;     /* bearer token, or NULL */
	long timeout;          /* seconds a whole request may take (0: 60); not streams */
	long connect_timeout;  /* seconds to connect (0: 15) */
	size_t max_response;   /* largest answer body kept (0: 16 MiB) */
};

struct otk_http_response {
	long status;       /* HTTP status, 0 when no answer arrived */
	json_t *json;      /* the body when it is JSON, else NULL */
	char *body;        /* the body as received, NUL-terminated (never NULL after a call) */
	size_t len;
	char error[512];   /* what failed; empty when the answer was a success */
};

/* Returns OTK_OK, OTK_EINVAL (no base URL), OTK_ENOMEM. */
int otk_http_new(struct otk_http **h, const struct otk_http_options *o);
void otk_http_free(struct otk_http *h);
void otk_http_response_free(struct otk_http_response *res);

/* True for a 2xx answer. */
bool otk_http_success(const struct otk_http_response *res);

/*
 * METHOD base_url+path with body as JSON (NULL: no body).  path must be
 * escaped already (otk_http_escape() for the pieces that come from users).
 */
int otk_http_json(struct otk_http *h, const char *method, const char *path, const json_t *body,
		  struct otk_http_response *res);

/*
 * A form (application/x-www-form-urlencoded) of name/value pairs, fields[]
 * ending with NULL.  basic is "user:password" for HTTP basic authentication
 * instead of the token (OAuth clients), or NULL.
 */
int otk_http_form(struct otk_http *h, const char *method, const char *path,
		  const char *const *fields, const char *basic, struct otk_http_response *res);

/* One part of a multipart upload: a field (value) or a file (file, filename). */
struct otk_http_part {
	const char *name;
	const char *value;     /* text field, or NULL for a file part */
	const char *file;      /* path of the file to send */
	const char *filename;  /* name sent for it (NULL: the path's last component) */
};

/* Upload progress: bytes sent so far of total. */
typedef void (*otk_http_progress_fn)(void *ctx, uint64_t sent, uint64_t total);

/* A multipart/form-data request; progress may be NULL. */
int otk_http_upload(struct otk_http *h, const char *method, const char *path,
		    const struct otk_http_part *parts, size_t nparts, otk_http_progress_fn progress,
		    void *ctx, struct otk_http_response *res);

/* One Server-Sent Event; return nonzero to stop the stream. */
typedef otk_sse_event_fn otk_http_event_fn;

/*
 * GET path as an event stream, calling fn for every event until fn returns
 * nonzero, *stop becomes nonzero (a signal handler may set it), the server
 * ends the stream, or nothing (not even a keep-alive comment) arrives for
 * idle seconds (0: 120).  Ending through fn or *stop is OTK_OK.  A refusal
 * before the stream starts is an answer like any other (status, error).
 */
int otk_http_events(struct otk_http *h, const char *path, otk_http_event_fn fn, void *ctx,
		    volatile sig_atomic_t *stop, long idle, struct otk_http_response *res);

/* s escaped for one path component or query value; malloc'd, NULL when out of memory. */
char *otk_http_escape(const char *s);

#endif
