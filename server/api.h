/*
 * The HTTP side of otakitd: one request path that reads top to bottom.
 * http.c collects a request (limits on body, fields and time) into struct
 * otkd_req; routes.c finds its route, authenticates the token, checks the
 * route's scope and the product membership (the one authorization point
 * every route passes), then calls the handler; handlers (api_*.c) validate,
 * act through the store and answer with the helpers below.
 */
#ifndef OTKD_API_H
#define OTKD_API_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include <jansson.h>
#include <microhttpd.h>
#include <pthread.h>

#include "store.h"

struct otkd_config {
	const char *data_dir;
	const char *listen;        /* ADDR:PORT */
	const char *cert, *key;    /* PEM files for HTTPS, or NULL */
	const char *port_file;     /* written with the bound port once listening */
	size_t max_body;           /* JSON and form bodies */
	size_t max_upload;         /* multipart bodies (firmware) */
	unsigned threads;
	unsigned timeout_s;        /* idle connection timeout */
	unsigned request_time_s;   /* longest a request may take to arrive */
	unsigned max_connections;
	int64_t token_lifetime_s;  /* default for /oauth/token */
	unsigned login_failures;   /* failed password grants per name ... */
	unsigned login_window_s;   /* ... within this many seconds before 429 */
};

struct otkd_bus;
struct otkd_throttle;

struct otkd_server {
	struct otkd_config cfg;
	struct otkd_store *store;
	struct otkd_bus *bus;      /* event streams */
	struct otkd_throttle *logins; /* failed password grants per user name */
	char *tmp_dir;             /* DIR/tmp: uploads being checked */
	struct MHD_Daemon *mhd;
	atomic_int active;         /* requests in flight */
	pthread_mutex_t log_mu;
	FILE *log;
};

#define OTKD_MAX_ARGS 4

struct otkd_req {
	struct otkd_server *srv;
	struct MHD_Connection *conn;
	const char *method;
	char *path;
	struct timespec start;
	/* body */
	struct MHD_PostProcessor *pp;
	char *raw;
	size_t raw_len;
	size_t body_len;
	size_t body_max;
	bool is_json;
	json_t *params;            /* body fields, then query fields not in the body */
	char *file_field, *file_name;
	uint8_t *file;
	size_t file_len, file_cap;
	int body_status;           /* non-zero: refuse with this status */
	char body_err[256];
	/* routing and authorization */
	const char *route;
	char *args[OTKD_MAX_ARGS];
	bool authed;
	struct otkd_token token;
	char token_text[64];
	bool has_product;
	struct otkd_product product;
	/* answer */
	unsigned status;
	uint64_t bytes_out;
	bool answered;
};

/* Answers: each queues the response and returns what MHD expects. */
enum MHD_Result otkd_reply_json(struct otkd_req *r, unsigned status, json_t *body); /* steals body */
/* Particle's API error body {"ok":false,"error":msg}. */
enum MHD_Result otkd_reply_error(struct otkd_req *r, unsigned status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* OAuth error body {"error":code,"error_description":desc}. */
enum MHD_Result otkd_reply_oauth_error(struct otkd_req *r, unsigned status, const char *code,
				       const char *desc);
/* Queues a response built elsewhere (len for the log). */
enum MHD_Result otkd_reply_response(struct otkd_req *r, unsigned status, struct MHD_Response *resp,
				    uint64_t len);
enum MHD_Result otkd_reply_file(struct otkd_req *r, const char *path, const char *type,
				const char *filename);
/* The store failed: 500, logged. */
enum MHD_Result otkd_reply_store_error(struct otkd_req *r, int rc);

const char *otkd_header(struct otkd_req *r, const char *name);

/* An upload's file name as otakitd keeps and shows it: the last path
 * segment, characters other than letters, digits, '.', '-', '_' as '_'. */
void otkd_safe_filename(const char *in, char *out, size_t cap);

/* Dispatch of a complete request (routes.c). */
enum MHD_Result otkd_route(struct otkd_req *r);

/* ISO 8601 UTC of a Unix time into buf (25 bytes). */
const char *otkd_iso_time(int64_t t, char buf[32]);

typedef enum MHD_Result (*otkd_handler)(struct otkd_req *r);

/* Handlers (api_*.c). */
enum MHD_Result otkd_api_oauth_token(struct otkd_req *r);
enum MHD_Result otkd_api_token_current(struct otkd_req *r);
enum MHD_Result otkd_api_tokens_list(struct otkd_req *r);
enum MHD_Result otkd_api_token_delete_current(struct otkd_req *r);
enum MHD_Result otkd_api_token_delete(struct otkd_req *r);
enum MHD_Result otkd_api_user(struct otkd_req *r);
enum MHD_Result otkd_api_team_add(struct otkd_req *r);

enum MHD_Result otkd_api_products_list(struct otkd_req *r);
enum MHD_Result otkd_api_products_create(struct otkd_req *r);
enum MHD_Result otkd_api_product_get(struct otkd_req *r);
enum MHD_Result otkd_api_pdevices_list(struct otkd_req *r);
enum MHD_Result otkd_api_pdevices_add(struct otkd_req *r);
enum MHD_Result otkd_api_pdevice_get(struct otkd_req *r);
enum MHD_Result otkd_api_pdevice_update(struct otkd_req *r);
enum MHD_Result otkd_api_pdevice_remove(struct otkd_req *r);
enum MHD_Result otkd_api_devices_list(struct otkd_req *r);
enum MHD_Result otkd_api_device_get(struct otkd_req *r);
enum MHD_Result otkd_api_device_update(struct otkd_req *r);
/* Verifies, stores and queues r->file for device d (api_devices.c). */
enum MHD_Result otkd_flash_device(struct otkd_req *r, const struct otkd_device *d);
enum MHD_Result otkd_api_device_claim(struct otkd_req *r);
enum MHD_Result otkd_api_device_unclaim(struct otkd_req *r);
enum MHD_Result otkd_api_provision(struct otkd_req *r);

enum MHD_Result otkd_api_groups_list(struct otkd_req *r);
enum MHD_Result otkd_api_group_create(struct otkd_req *r);
enum MHD_Result otkd_api_group_get(struct otkd_req *r);
enum MHD_Result otkd_api_group_update(struct otkd_req *r);
enum MHD_Result otkd_api_group_delete(struct otkd_req *r);

enum MHD_Result otkd_api_dos_version(struct otkd_req *r);
enum MHD_Result otkd_api_dos_file(struct otkd_req *r);
enum MHD_Result otkd_api_dos_list(struct otkd_req *r);
enum MHD_Result otkd_api_dos_upload(struct otkd_req *r);
enum MHD_Result otkd_api_events_stream(struct otkd_req *r);
enum MHD_Result otkd_api_events_publish(struct otkd_req *r);

enum MHD_Result otkd_api_firmware_list(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_upload(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_get(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_edit(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_delete(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_binary(struct otkd_req *r);
enum MHD_Result otkd_api_firmware_release(struct otkd_req *r);

/* Starts listening (threads running); OTK_OK or a code with msg set. */
int otkd_server_start(struct otkd_server *s, char *msg, size_t msglen);
/* Stops accepting, lets requests in flight finish (up to grace_s), stops. */
void otkd_server_stop(struct otkd_server *s, unsigned grace_s);

#endif
