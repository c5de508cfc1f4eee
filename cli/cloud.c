/*
 * Shared parts of the cloud commands: the config file with its profiles,
 * the common options, requests that report their own failures.
 *
 * Config file (JSON, mode 0600, written atomically):
 *   {"profile": "NAME",
 *    "profiles": {"NAME": {"apiUrl": URL, "access_token": T, "username": U}}}
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <termios.h>
#include <unistd.h>

#include "cli.h"
#include "cloud.h"
#include "otk/error.h"
#include "otk/file.h"

#define CONFIG_MAX (1u << 20)

bool cloud_option(struct cloud *c, int opt)
{
	switch (opt) {
	case OPT_API:
		c->api_opt = optarg;
		return true;
	case OPT_PROFILE:
		c->profile_opt = optarg;
		return true;
	case OPT_JSON_OUT:
		c->json = true;
		return true;
	default:
		return false;
	}
}

/* The config file's path (malloc'd), or NULL without HOME. */
static char *config_path(void)
{
	const char *env = getenv("OTAKIT_CONFIG");
	if (env && *env)
		return strdup(env);
	char *p = NULL;
	const char *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	if (xdg && *xdg == '/') {
		if (asprintf(&p, "%s/otakit/config.json", xdg) < 0)
			p = NULL;
	} else if (home && *home) {
		if (asprintf(&p, "%s/.config/otakit/config.json", home) < 0)
			p = NULL;
	}
	return p;
}

static json_t *profiles(struct cloud *c)
{
	json_t *ps = json_object_get(c->config, "profiles");
	if (!json_is_object(ps)) {
		ps = json_object();
		json_object_set_new(c->config, "profiles", ps);
	}
	return ps;
}

bool cloud_load(struct cloud *c)
{
	if (c->config)
		return true;
	c->config_path = config_path();
	if (!c->config_path) {
		cli_error(NULL, "no place for the config file: set HOME, XDG_CONFIG_HOME or OTAKIT_CONFIG");
		return false;
	}
	uint8_t *buf;
	size_t len;
	int rc = otk_file_read(c->config_path, CONFIG_MAX, &buf, &len);
	if (rc == OTK_EIO && errno == ENOENT) {
		c->config = json_object();
	} else if (rc < 0) {
		cli_error(c->config_path, "cannot read: %s", cli_strerror(rc));
		return false;
	} else {
		json_error_t err;
		c->config = json_loadb((const char *)buf, len, 0, &err);
		free(buf);
		if (!json_is_object(c->config)) {
			if (c->config)
				cli_error(c->config_path, "not a JSON object; fix or remove the file");
			else
				cli_error(c->config_path, "not valid JSON (line %d: %s); fix or remove the file",
					  err.line, err.text);
			json_decref(c->config);
			c->config = NULL;
			return false;
		}
	}
	const char *cur = json_string_value(json_object_get(c->config, "profile"));
	c->profile_copy = strdup(c->profile_opt ? c->profile_opt : cur ? cur : "default");
	c->profile = c->profile_copy;
	if (!c->profile) {
		cli_error(NULL, "out of memory");
		return false;
	}
	json_t *ps = profiles(c);
	c->prof = json_object_get(ps, c->profile);
	if (!json_is_object(c->prof)) {
		c->prof = json_object();
		json_object_set_new(ps, c->profile, c->prof);
	}
	const char *env = getenv("OTAKIT_API");
	const char *url = json_string_value(json_object_get(c->prof, "apiUrl"));
	/* a copy: the profile's string goes when login replaces it */
	c->api_copy = strdup(c->api_opt ? c->api_opt : env && *env ? env : url ? url : CLOUD_DEFAULT_API);
	c->api = c->api_copy;
	if (!c->api) {
		cli_error(NULL, "out of memory");
		return false;
	}
	return true;
}

bool cloud_connect(struct cloud *c, bool need_token)
{
	if (!cloud_load(c))
		return false;
	const char *env = getenv("OTAKIT_TOKEN");
	const char *token = c->token ? c->token : env && *env ? env
				: json_string_value(json_object_get(c->prof, "access_token"));
	if (need_token && (!token || !*token)) {
		cli_error(NULL, "%s: not logged in (profile %s, %s): run 'otakit login' or set OTAKIT_TOKEN",
			  c->command, cli_shown(c->profile), cli_shown(c->api));
		return false;
	}
	if (strncmp(c->api, "http://", 7) != 0 && strncmp(c->api, "https://", 8) != 0) {
		cli_error(NULL, "%s: API URL '%s' is not an http:// or https:// URL", c->command,
			  cli_shown(c->api));
		return false;
	}
	struct otk_http_options o = { .base_url = c->api, .token = token };
	int rc = otk_http_new(&c->http, &o);
	if (rc < 0) {
		cli_error(NULL, "%s: %s", c->command, otk_strerror(rc));
		return false;
	}
	return true;
}

bool cloud_save(struct cloud *c)
{
	/* the folder holding tokens is the user's own */
	char *dir = strdup(c->config_path);
	if (!dir)
		return false;
	for (char *s = dir + 1; (s = strchr(s, '/')); s++) {
		*s = 0;
		if (mkdir(dir, 0700) < 0 && errno != EEXIST) {
			cli_error(dir, "cannot create folder: %s", strerror(errno));
			free(dir);
			return false;
		}
		*s = '/';
	}
	free(dir);
	char *text = json_dumps(c->config, JSON_INDENT(2) | JSON_SORT_KEYS);
	if (!text) {
		cli_error(c->config_path, "out of memory");
		return false;
	}
	struct otk_file_writer w;
	size_t len = strlen(text);
	int rc = otk_file_writer_open(&w, c->config_path, true);
	/* tokens inside: readable by the user only, before a byte is written */
	if (rc == OTK_OK && w.fd >= 0 && fchmod(w.fd, 0600) < 0)
		rc = OTK_EIO;
	if (rc == OTK_OK)
		rc = otk_file_writer_write(&w, text, len);
	if (rc == OTK_OK)
		rc = otk_file_writer_write(&w, "\n", 1);
	if (rc == OTK_OK)
		rc = otk_file_writer_commit(&w);
	else
		otk_file_writer_abort(&w);
	free(text);
	if (rc < 0) {
		cli_error(c->config_path, "cannot write: %s", cli_strerror(rc));
		return false;
	}
	return true;
}

void cloud_close(struct cloud *c)
{
	otk_http_free(c->http);
	c->http = NULL;
	json_decref(c->config);
	c->config = NULL;
	free(c->config_path);
	c->config_path = NULL;
	free(c->api_copy);
	c->api_copy = NULL;
	free(c->profile_copy);
	c->profile_copy = NULL;
}

int cloud_failed(const char *what, int rc, const struct otk_http_response *res)
{
	if (rc < 0 && !*res->error)
		cli_error(NULL, "%s: %s", what, otk_strerror(rc));
	else
		cli_error(NULL, "%s: %s", what, cli_shown(res->error));
	return 1;
}

bool cloud_call(struct cloud *c, const char *what, const char *method, const char *path,
		const json_t *body, struct otk_http_response *res)
{
	int rc = otk_http_json(c->http, method, path, body, res);
	if (rc == OTK_OK && otk_http_success(res))
		return true;
	cloud_failed(what, rc, res);
	otk_http_response_free(res);
	return false;
}

bool cloud_path(char *out, size_t n, const char *fmt, ...)
{
	va_list ap;
	size_t o = 0;
	bool ok = true;
	va_start(ap, fmt);
	for (const char *f = fmt; *f && ok; f++) {
		if (f[0] == '%' && f[1] == 's') {
			char *e = otk_http_escape(va_arg(ap, const char *));
			size_t l = e ? strlen(e) : 0;
			ok = e && o + l < n;
			if (ok)
				memcpy(out + o, e, l);
			o += l;
			free(e);
			f++;
		} else {
			ok = o + 1 < n;
			if (ok)
				out[o++] = *f;
		}
	}
	va_end(ap);
	if (!ok) {
		cli_error(NULL, "request path too long");
		return false;
	}
	out[o] = 0;
	return true;
}

void cloud_print_json(const json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2));
	fputc('\n', stdout);
}

const char *cloud_str(const json_t *o, const char *key, char *buf, size_t n)
{
	json_t *v = json_object_get(o, key);
	if (json_is_string(v))
		return cli_shown(json_string_value(v));
	if (json_is_integer(v)) {
		snprintf(buf, n, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	if (json_is_boolean(v))
		return json_is_true(v) ? "yes" : "no";
	return "-";
}

bool cloud_prompt(const char *prompt, bool secret, char *buf, size_t n)
{
	bool tty = isatty(STDIN_FILENO);
	struct termios old, quiet;
	if (tty) {
		fputs(prompt, stderr);
		fflush(stderr);
	}
	bool hide = tty && secret && tcgetattr(STDIN_FILENO, &old) == 0;
	if (hide) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	bool ok = fgets(buf, (int)n, stdin) != NULL;
	if (hide) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
		fputc('\n', stderr);
	}
	if (!ok)
		return false;
	buf[strcspn(buf, "\r\n")] = 0;
	return true;
}

json_t *cloud_list(const char *csv)
{
	json_t *a = json_array();
	while (a && *csv) {
		size_t l = strcspn(csv, ",");
		if (l)
			json_array_append_new(a, json_stringn(csv, l));
		csv += l;
		if (*csv == ',')
			csv++;
	}
	return a;
}
