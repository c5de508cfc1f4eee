/*
 * What the cloud commands share (cloud.c): profiles in the config file, the
 * options every cloud command takes (--api, --profile, --json), requests
 * that print their own errors, and the table headers of the groups.
 */
#ifndef OTK_CLI_CLOUD_H
#define OTK_CLI_CLOUD_H

#include <getopt.h>
#include <jansson.h>
#include <stdbool.h>

#include "otk/http.h"

#define CLOUD_DEFAULT_API "https://api.particle.io"

enum { OPT_API = 0x200, OPT_PROFILE, OPT_JSON_OUT };

#define CLOUD_OPTIONS                                                                   \
	{ "api", required_argument, NULL, OPT_API },                                    \
	{ "profile", required_argument, NULL, OPT_PROFILE },                            \
	{ "json", no_argument, NULL, OPT_JSON_OUT }

#define CLOUD_OPTIONS_HELP                                                              \
	"  --api URL              the cloud's API URL (else $OTAKIT_API, else the profile's)\n" \
	"  --profile NAME         use this profile instead of the current one\n"           \
	"  --json                 print the server's JSON answer\n"

struct cloud {
	const char *command;      /* "product firmware upload", for messages */
	const char *api_opt;
	const char *profile_opt;
	const char *token;        /* set before cloud_connect() to use another token */
	bool json;
	/* set by cloud_load() */
	char *config_path;
	json_t *config;           /* the whole file */
	const char *profile;      /* its name (points to profile_copy) */
	char *profile_copy;
	json_t *prof;             /* the profile's object, inside config */
	const char *api;          /* points to api_copy */
	char *api_copy;
	/* set by cloud_connect() */
	struct otk_http *http;
};

/* Takes getopt's c when it is a cloud option; true when it was one. */
bool cloud_option(struct cloud *c, int opt);

/*
 * Reads the config file ($XDG_CONFIG_HOME/otakit/config.json, else
 * ~/.config/otakit/config.json; $OTAKIT_CONFIG names another) and picks the
 * profile and API URL.  Prints its errors; false on failure.
 */
bool cloud_load(struct cloud *c);
/*
 * cloud_load() and an HTTP client with the token ($OTAKIT_TOKEN, else the
 * profile's; c->token when set).  need_token: fail with "not logged in".
 */
bool cloud_connect(struct cloud *c, bool need_token);
/* Writes the config file atomically with mode 0600.  Prints errors. */
bool cloud_save(struct cloud *c);
void cloud_close(struct cloud *c);

/*
 * A JSON request (body may be NULL; it is not taken over).  On failure
 * prints "otakit: WHAT: HTTP 400: message" and returns false; on success
 * res holds the answer (free it with otk_http_response_free()).
 */
bool cloud_call(struct cloud *c, const char *what, const char *method, const char *path,
		const json_t *body, struct otk_http_response *res);
/* Reports a failed answer (any kind) for what; returns 1. */
int cloud_failed(const char *what, int rc, const struct otk_http_response *res);

/*
 * Builds a path from fmt, where every %s is replaced by the next argument
 * escaped for a URL path.  false (after a message) when it does not fit.
 */
bool cloud_path(char *out, size_t n, const char *fmt, ...);

/* Prints j as indented JSON on stdout. */
void cloud_print_json(const json_t *j);
/* A string member for printing ("-" when missing or null; numbers as text). */
const char *cloud_str(const json_t *o, const char *key, char *buf, size_t n);

/* Reads a line (without its end) from standard input into buf; no echo on a terminal when secret. */
bool cloud_prompt(const char *prompt, bool secret, char *buf, size_t n);

/* "A,B,C" into a JSON array of strings (empty string: empty array). */
json_t *cloud_list(const char *csv);

#endif
