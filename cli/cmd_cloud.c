/*
 * particle-cli's cloud verbs against Particle's cloud or otakitd: login,
 * logout, token, list, subscribe, publish, keys send.
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "cloud.h"
#include "otk/error.h"

/* The OAuth client particle-cli's documentation names (spec 06). */
#define OAUTH_CLIENT "particle:particle"

/* Options shared by login and token create. */
struct grant {
	const char *username, *password, *expires_in;
	char user[256];  /* a username typed at the prompt */
};

enum { OPT_USERNAME = 0x300, OPT_PASSWORD, OPT_TOKEN, OPT_EXPIRES, OPT_PRODUCT, OPT_MAX,
       OPT_PRIVATE, OPT_PUBLIC, OPT_TTL, OPT_ALGORITHM };

/* Password grant: asks for what the options did not give; the answer in res. */
static bool password_grant(struct cloud *c, struct grant *g, struct otk_http_response *res)
{
	char pass[1024];
	if (!g->username) {
		if (!cloud_prompt("Username: ", false, g->user, sizeof g->user) || !*g->user) {
			cli_error(NULL, "%s: no username (give --username or type it)", c->command);
			return false;
		}
		g->username = g->user;
	}
	if (!g->password) {
		if (!cloud_prompt("Password: ", true, pass, sizeof pass) || !*pass) {
			cli_error(NULL, "%s: no password (type it, or give it on standard input)",
				  c->command);
			return false;
		}
		g->password = pass;
	}
	const char *fields[] = { "grant_type", "password", "username", g->username, "password",
				 g->password, g->expires_in ? "expires_in" : NULL, g->expires_in,
				 NULL };
	int rc = otk_http_form(c->http, "POST", "/oauth/token", fields, OAUTH_CLIENT, res);
	explicit_bzero(pass, sizeof pass);
	if (rc == OTK_OK && otk_http_success(res) &&
	    json_is_string(json_object_get(res->json, "access_token")))
		return true;
	if (rc == OTK_OK && otk_http_success(res))
		snprintf(res->error, sizeof res->error, "answer without an access_token");
	char what[300];
	snprintf(what, sizeof what, "%s as %s", c->command, g->username);
	cloud_failed(what, rc, res);
	otk_http_response_free(res);
	return false;
}

static bool grant_option(struct grant *g, int opt)
{
	switch (opt) {
	case OPT_USERNAME:
		g->username = optarg;
		return true;
	case OPT_PASSWORD:
		g->password = optarg;
		return true;
	case OPT_EXPIRES:
		g->expires_in = optarg;
		return true;
	default:
		return false;
	}
}

static int cmd_login(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "username", required_argument, NULL, OPT_USERNAME },
		{ "password", required_argument, NULL, OPT_PASSWORD },
		{ "token", required_argument, NULL, OPT_TOKEN },
		{ "expires-in", required_argument, NULL, OPT_EXPIRES },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "login" };
	struct grant g = { 0 };
	const char *token = NULL;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "u:p:t:", opts, NULL)) != -1) {
		if (o == 'u' || o == 'p')
			o = o == 'u' ? OPT_USERNAME : OPT_PASSWORD;
		if (o == 't' || o == OPT_TOKEN)
			token = optarg;
		else if (!cloud_option(&c, o) && !grant_option(&g, o))
			return cli_bad_usage("login", argv);
	}
	if (optind != argc)
		return cli_usage_error("login", "login: unexpected argument '%s'", argv[optind]);
	if (token && (g.username || g.password))
		return cli_usage_error("login", "login: --token or --username/--password, not both");
	struct otk_http_response res;
	int st = 1;
	if (token) {
		c.token = token;
		if (!cloud_connect(&c, true))
			goto out;
		if (!cloud_call(&c, "login --token", "GET", "/v1/user", NULL, &res))
			goto out;
		const char *u = json_string_value(json_object_get(res.json, "username"));
		json_object_set_new(c.prof, "username", json_string(u ? u : ""));
		json_object_set_new(c.prof, "access_token", json_string(token));
		otk_http_response_free(&res);
	} else {
		if (!cloud_connect(&c, false) || !password_grant(&c, &g, &res))
			goto out;
		json_object_set(c.prof, "access_token", json_object_get(res.json, "access_token"));
		json_object_set_new(c.prof, "username", json_string(g.username));
		otk_http_response_free(&res);
	}
	/* the URL logged in to stays with the token */
	json_object_set_new(c.prof, "apiUrl", json_string(c.api));
	json_object_set_new(c.config, "profile", json_string(c.profile));
	if (!cloud_save(&c))
		goto out;
	const char *user = json_string_value(json_object_get(c.prof, "username"));
	if (c.json) {
		json_t *j = json_pack("{s:s,s:s,s:s}", "username", user, "profile", c.profile,
				      "apiUrl", c.api);
		cloud_print_json(j);
		json_decref(j);
	} else {
		printf("Logged in as %s (profile %s, %s)\n", cli_shown(user), cli_shown(c.profile),
		       cli_shown(c.api));
	}
	st = 0;
out:
	cloud_close(&c);
	return st;
}

static int cmd_logout(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "keep-token", no_argument, NULL, 'k' },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "logout" };
	bool keep = false;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == 'k')
			keep = true;
		else if (!cloud_option(&c, o))
			return cli_bad_usage("logout", argv);
	}
	if (optind != argc)
		return cli_usage_error("logout", "logout: unexpected argument '%s'", argv[optind]);
	int st = 1;
	struct otk_http_response res;
	if (!cloud_load(&c))
		goto out;
	if (!json_is_string(json_object_get(c.prof, "access_token"))) {
		cli_error(NULL, "logout: not logged in (profile %s)", cli_shown(c.profile));
		goto out;
	}
	c.token = json_string_value(json_object_get(c.prof, "access_token"));
	if (!cloud_connect(&c, true))
		goto out;
	if (!keep) {
		int rc = otk_http_json(c.http, "DELETE", "/v1/access_tokens/current", NULL, &res);
		if (rc == OTK_OK && res.status == 401) {
			fprintf(stderr, "%s: logout: the token was no longer valid (%s)\n", cli_program,
				cli_shown(res.error));
		} else if (rc < 0 || !otk_http_success(&res)) {
			cloud_failed("logout: revoking the token", rc, &res);
			otk_http_response_free(&res);
			goto out;
		}
		otk_http_response_free(&res);
	}
	const char *user = json_string_value(json_object_get(c.prof, "username"));
	char *who = strdup(user ? user : "?");
	json_object_del(c.prof, "access_token");
	json_object_del(c.prof, "username");
	if (who && cloud_save(&c)) {
		if (c.json)
			printf("{\"ok\": true}\n");
		else
			printf("Logged out %s (profile %s)%s\n", cli_shown(who), cli_shown(c.profile),
			       keep ? "; the token was kept" : "");
		st = 0;
	}
	free(who);
out:
	cloud_close(&c);
	return st;
}

static int cmd_token_create(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "username", required_argument, NULL, OPT_USERNAME },
		{ "password", required_argument, NULL, OPT_PASSWORD },
		{ "expires-in", required_argument, NULL, OPT_EXPIRES },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "token create" };
	struct grant g = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o) && !grant_option(&g, o))
			return cli_bad_usage("token create", argv);
	if (optind != argc)
		return cli_usage_error("token create", "token create: unexpected argument '%s'",
				       argv[optind]);
	if (!g.username && cloud_load(&c))
		g.username = json_string_value(json_object_get(c.prof, "username"));
	struct otk_http_response res;
	int st = 1;
	if (cloud_connect(&c, false) && password_grant(&c, &g, &res)) {
		if (c.json)
			cloud_print_json(res.json);
		else
			printf("%s\n", json_string_value(json_object_get(res.json, "access_token")));
		otk_http_response_free(&res);
		st = 0;
	}
	cloud_close(&c);
	return st;
}

static int cmd_token_revoke(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cloud c = { .command = "token revoke" };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o))
			return cli_bad_usage("token revoke", argv);
	if (optind == argc)
		return cli_usage_error("token revoke", "token revoke: need TOKEN...");
	int st = 1;
	if (!cloud_connect(&c, false))
		goto out;
	st = 0;
	for (int i = optind; i < argc; i++) {
		char path[512], what[600];
		struct otk_http_response res;
		/* possession of a token is the credential for revoking it */
		if (!cloud_path(path, sizeof path, "/v1/access_tokens/%s", argv[i])) {
			st = 1;
			continue;
		}
		snprintf(what, sizeof what, "token revoke %.8s...", argv[i]);
		if (!cloud_call(&c, what, "DELETE", path, NULL, &res)) {
			st = 1;
			continue;
		}
		if (!c.json)
			printf("Revoked %.8s...\n", argv[i]);
		otk_http_response_free(&res);
	}
out:
	cloud_close(&c);
	return st;
}

static int cmd_token_current(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cloud c = { .command = "token current" };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o))
			return cli_bad_usage("token current", argv);
	if (optind != argc)
		return cli_usage_error("token current", "token current: unexpected argument '%s'",
				       argv[optind]);
	struct otk_http_response res;
	int st = 1;
	if (cloud_connect(&c, true) &&
	    cloud_call(&c, "token current", "GET", "/v1/access_tokens/current", NULL, &res)) {
		if (c.json) {
			cloud_print_json(res.json);
		} else {
			char b[32];
			printf("client:     %s\n", cloud_str(res.json, "client", b, sizeof b));
			printf("expires at: %s\n", json_is_null(json_object_get(res.json, "expires_at"))
				? "never" : cloud_str(res.json, "expires_at", b, sizeof b));
			printf("scopes:    ");
			size_t i;
			json_t *v;
			json_array_foreach(json_object_get(res.json, "scopes"), i, v)
				printf(" %s", cli_shown(json_string_value(v) ? json_string_value(v) : "?"));
			printf("\n");
		}
		otk_http_response_free(&res);
		st = 0;
	}
	cloud_close(&c);
	return st;
}

static void print_token_row(const json_t *t)
{
	char id[32], client[64], made[40], until[40];
	printf("%-6s %-20s %-24s %-24s %s%s\n", cloud_str(t, "id", id, sizeof id),
	       cli_shown(cloud_str(t, "client", client, sizeof client)),
	       cloud_str(t, "created_at", made, sizeof made),
	       json_is_null(json_object_get(t, "expires_at")) ? "never"
		: cloud_str(t, "expires_at", until, sizeof until),
	       json_object_get(t, "product_id") ? "product API user" : "user",
	       json_is_true(json_object_get(t, "current")) ? " (this one)" : "");
}

static int cmd_token_list(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cloud c = { .command = "token list" };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o))
			return cli_bad_usage("token list", argv);
	if (optind != argc)
		return cli_usage_error("token list", "token list: unexpected argument '%s'",
				       argv[optind]);
	struct otk_http_response res;
	int st = 1;
	if (cloud_connect(&c, true) &&
	    cloud_call(&c, "token list", "GET", "/v1/access_tokens", NULL, &res)) {
		if (c.json) {
			cloud_print_json(res.json);
		} else {
			printf("%-6s %-20s %-24s %-24s %s\n", "ID", "CLIENT", "CREATED", "EXPIRES",
			       "KIND");
			size_t i;
			json_t *t;
			json_array_foreach(res.json, i, t)
				print_token_row(t);
		}
		otk_http_response_free(&res);
		st = 0;
	}
	cloud_close(&c);
	return st;
}

static int cmd_list(int argc, char **argv)
{
	static const struct option opts[] = { CLOUD_OPTIONS, { NULL, 0, NULL, 0 } };
	struct cloud c = { .command = "list" };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1)
		if (!cloud_option(&c, o))
			return cli_bad_usage("list", argv);
	if (optind != argc)
		return cli_usage_error("list", "list: unexpected argument '%s'", argv[optind]);
	struct otk_http_response res;
	int st = 1;
	if (cloud_connect(&c, true) && cloud_call(&c, "list", "GET", "/v1/devices", NULL, &res)) {
		if (c.json) {
			cloud_print_json(res.json);
		} else if (json_array_size(res.json) == 0) {
			printf("No devices\n");
		} else {
			size_t i;
			json_t *d;
			json_array_foreach(res.json, i, d) {
				char b1[32], b2[32];
				printf("%s  %s  platform %s  product %s  %s\n",
				       cloud_str(d, "id", b1, sizeof b1),
				       cloud_str(d, "name", b1, sizeof b1),
				       cloud_str(d, "platform_id", b1, sizeof b1),
				       cloud_str(d, "product_id", b2, sizeof b2),
				       json_is_true(json_object_get(d, "online")) ? "online"
										 : "offline");
			}
		}
		otk_http_response_free(&res);
		st = 0;
	}
	cloud_close(&c);
	return st;
}

/* subscribe: the state of one stream. */
struct sub {
	long max, seen;
};

static volatile sig_atomic_t interrupted;

static void on_interrupt(int sig)
{
	(void)sig;
	interrupted = 1;
}

/* One event as a JSON line: {"name", "data", "ttl", "published_at", "coreid"}. */
static int print_event(void *ctx, const char *event, const char *data)
{
	struct sub *s = ctx;
	json_t *o = json_loads(data, 0, NULL);
	if (!json_is_object(o)) {
		json_decref(o);
		o = json_pack("{s:s}", "data", data);
	}
	json_t *line = json_pack("{s:s}", "name", event);
	json_object_update(line, o);
	json_dumpf(line, stdout, JSON_COMPACT);
	fputc('\n', stdout);
	fflush(stdout);
	json_decref(line);
	json_decref(o);
	s->seen++;
	return s->max > 0 && s->seen >= s->max;
}

static int cmd_subscribe(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "max", required_argument, NULL, OPT_MAX },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "subscribe" };
	const char *product = NULL;
	struct sub s = { 0 };
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == OPT_PRODUCT) {
			product = optarg;
		} else if (o == OPT_MAX) {
			uint32_t v;
			if (!cli_parse_u32(optarg, &v) || v == 0)
				return cli_usage_error("subscribe", "subscribe: --max needs a positive number, not '%s'",
						       optarg);
			s.max = v;
		} else if (!cloud_option(&c, o)) {
			return cli_bad_usage("subscribe", argv);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error("subscribe", "subscribe: at most one event NAME");
	const char *name = optind < argc ? argv[optind] : NULL;
	if (name && (!*name || strcmp(name, "mine") == 0))
		name = NULL; /* particle-cli's word for "my devices' events" */
	char path[1024];
	bool ok = product ? name ? cloud_path(path, sizeof path, "/v1/products/%s/events/%s",
					      product, name)
				 : cloud_path(path, sizeof path, "/v1/products/%s/events", product)
			  : name ? cloud_path(path, sizeof path, "/v1/devices/events/%s", name)
				 : cloud_path(path, sizeof path, "/v1/devices/events");
	if (!ok || !cloud_connect(&c, true)) {
		cloud_close(&c);
		return 1;
	}
	fprintf(stderr, "Subscribing to %s%s%s events at %s (Ctrl-C stops)\n",
		name ? "\"" : "", name ? cli_shown(name) : product ? "all the product's" : "your devices'",
		name ? "\"" : "", cli_shown(c.api));
	/*
	 * Kept until exit: a second SIGINT (timeout(1) signals the child and
	 * then its process group) must not kill the process while it ends.
	 */
	struct sigaction sa = { .sa_handler = on_interrupt };
	sigemptyset(&sa.sa_mask);
	interrupted = 0;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	struct otk_http_response res;
	int rc = otk_http_events(c.http, path, print_event, &s, &interrupted, 0, &res);
	int st = 0;
	if (rc < 0 || !otk_http_success(&res)) {
		st = cloud_failed("subscribe", rc, &res);
	} else if (!interrupted && !(s.max && s.seen >= s.max)) {
		cli_error(NULL, "subscribe: the server ended the stream after %ld events", s.seen);
		st = 1;
	}
	otk_http_response_free(&res);
	cloud_close(&c);
	return st;
}

static int cmd_publish(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "product", required_argument, NULL, OPT_PRODUCT },
		{ "private", no_argument, NULL, OPT_PRIVATE },
		{ "public", no_argument, NULL, OPT_PUBLIC },
		{ "ttl", required_argument, NULL, OPT_TTL },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "publish" };
	const char *product = NULL;
	bool priv = true;
	uint32_t ttl = 0;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == OPT_PRODUCT)
			product = optarg;
		else if (o == OPT_PRIVATE || o == OPT_PUBLIC)
			priv = o == OPT_PRIVATE;
		else if (o == OPT_TTL && cli_parse_u32(optarg, &ttl))
			continue;
		else if (o == OPT_TTL)
			return cli_usage_error("publish", "publish: --ttl needs seconds, not '%s'", optarg);
		else if (!cloud_option(&c, o))
			return cli_bad_usage("publish", argv);
	}
	if (optind == argc || argc - optind > 2)
		return cli_usage_error("publish", "publish: need NAME and at most one DATA");
	const char *name = argv[optind];
	const char *data = optind + 1 < argc ? argv[optind + 1] : NULL;
	char path[512];
	if (!(product ? cloud_path(path, sizeof path, "/v1/products/%s/events", product)
		      : cloud_path(path, sizeof path, "/v1/devices/events")))
		return 1;
	json_t *body = json_pack("{s:s,s:b}", "name", name, "private", priv);
	if (data)
		json_object_set_new(body, "data", json_string(data));
	if (ttl)
		json_object_set_new(body, "ttl", json_integer(ttl));
	struct otk_http_response res;
	char what[128];
	snprintf(what, sizeof what, "publish %s", cli_shown(name));
	int st = 1;
	if (body && cloud_connect(&c, true) && cloud_call(&c, what, "POST", path, body, &res)) {
		if (c.json)
			cloud_print_json(res.json);
		else
			printf("Published %s%s%s\n", cli_shown(name), product ? " to product " : "",
			       product ? cli_shown(product) : "");
		otk_http_response_free(&res);
		st = 0;
	}
	json_decref(body);
	cloud_close(&c);
	return st;
}

int cli_keys_send(int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "algorithm", required_argument, NULL, OPT_ALGORITHM },
		{ NULL, 0, NULL, 0 },
	};
	struct cloud c = { .command = "keys send" };
	const char *alg = NULL;
	int o;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (o == OPT_ALGORITHM && (strcmp(optarg, "ecc") == 0 || strcmp(optarg, "rsa") == 0))
			alg = optarg;
		else if (o == OPT_ALGORITHM)
			return cli_usage_error("keys send", "keys send: --algorithm is ecc or rsa, not '%s'",
					       optarg);
		else if (!cloud_option(&c, o))
			return cli_bad_usage("keys send", argv);
	}
	if (argc - optind != 2)
		return cli_usage_error("keys send", "keys send: need DEVICE and KEY.pem");
	const char *device = argv[optind], *file = argv[optind + 1];
	size_t len;
	uint8_t *pem = cli_read_file(file, &len);
	if (!pem)
		return 1;
	if (len > 64 * 1024 || memchr(pem, 0, len) || !memmem(pem, len, "-----BEGIN ", 11)) {
		cli_error(file, "not a PEM public key (no '-----BEGIN' line)");
		free(pem);
		return 1;
	}
	json_t *body = json_pack("{s:s%}", "publicKey", (const char *)pem, len);
	free(pem);
	if (alg)
		json_object_set_new(body, "algorithm", json_string(alg));
	char path[512], what[600];
	snprintf(what, sizeof what, "keys send %s %s", cli_shown(device), cli_shown(file));
	struct otk_http_response res;
	int st = 1;
	if (body && cloud_path(path, sizeof path, "/v1/provisioning/%s", device) &&
	    cloud_connect(&c, true) && cloud_call(&c, what, "POST", path, body, &res)) {
		if (c.json)
			cloud_print_json(res.json);
		else
			printf("%s: public key sent for device %s\n", cli_shown(file), cli_shown(device));
		otk_http_response_free(&res);
		st = 0;
	}
	json_decref(body);
	cloud_close(&c);
	return st;
}

#define EXAMPLES_LOGIN                                                                  \
	"Examples:\n"                                                                   \
	"  otakit profile home apiUrl http://127.0.0.1:8080 && otakit profile home\n"   \
	"  otakit login --username alice          # password asked without echo\n"      \
	"  printf '%%s\\n' \"$PW\" | otakit login --username alice\n"                   \
	"  otakit login --token 0123...abcd\n"

const struct cli_command cli_cloud_commands[] = {
	{ "login", "log in to the cloud and keep the token in the profile",
	  "Usage: otakit login [--username U] [--password P | --token T] [--expires-in S] [OPTIONS]\n"
	  "\n"
	  "Gets a token with the OAuth password grant (or checks the given --token with\n"
	  "GET /v1/user) and stores it in the current profile with the API URL.\n"
	  "Without --password it is asked for without echo on a terminal, else read as\n"
	  "one line from standard input.\n"
	  "\n"
	  "Options:\n"
	  "  -u, --username U       the account\n"
	  "  -p, --password P       its password (visible to other users in ps: prefer stdin)\n"
	  "  -t, --token T          an existing token instead of a password\n"
	  "  --expires-in S         token lifetime in seconds (0: never; server default otherwise)\n"
	  CLOUD_OPTIONS_HELP
	  "\n" EXAMPLES_LOGIN,
	  cmd_login },
	{ "logout", "revoke the profile's token and forget it",
	  "Usage: otakit logout [--keep-token] [OPTIONS]\n"
	  "\n"
	  "Revokes the current profile's token on the server (DELETE\n"
	  "/v1/access_tokens/current) and removes it from the profile.\n"
	  "\n"
	  "Options:\n"
	  "  --keep-token           only forget it locally; the token stays valid\n"
	  CLOUD_OPTIONS_HELP
	  "\nExample:\n  otakit logout\n",
	  cmd_logout },
	{ "token create", "create a new token (password grant) and print it",
	  "Usage: otakit token create [--username U] [--password P] [--expires-in S] [OPTIONS]\n"
	  "\n"
	  "Creates a token with the password grant and prints it; the profile is not\n"
	  "changed.  The username defaults to the profile's.\n"
	  "\n"
	  "Options:\n"
	  "  --username U, --password P, --expires-in S   as for login\n"
	  CLOUD_OPTIONS_HELP
	  "\nExample:\n  TOKEN=$(otakit token create --expires-in 3600 </dev/tty)\n",
	  cmd_token_create },
	{ "token revoke", "revoke tokens",
	  "Usage: otakit token revoke TOKEN... [OPTIONS]\n"
	  "\n"
	  "Revokes each TOKEN (DELETE /v1/access_tokens/TOKEN).  Holding a token is\n"
	  "enough to revoke it.\n"
	  "\n"
	  "Options:\n" CLOUD_OPTIONS_HELP
	  "\nExample:\n  otakit token revoke 0123456789abcdef0123456789abcdef01234567\n",
	  cmd_token_revoke },
	{ "token current", "show the profile's token: client, scopes, expiry",
	  "Usage: otakit token current [OPTIONS]\n"
	  "\n"
	  "Shows what the server knows of the token in use (GET\n"
	  "/v1/access_tokens/current); `otakit token list` shows all of the user's.\n"
	  "\n"
	  "Options:\n" CLOUD_OPTIONS_HELP
	  "\nExample:\n  otakit token current --json\n",
	  cmd_token_current },
	{ "token list", "list the user's tokens (never their secrets)",
	  "Usage: otakit token list [OPTIONS]\n"
	  "\n"
	  "Lists the tokens of the logged-in user (GET /v1/access_tokens, otakitd):\n"
	  "id, client, when made, when it expires, whether it is the user's or a\n"
	  "product API user's, and which one is in use.  The server keeps only a\n"
	  "hash of each token, so their text is never shown; revoke one by its text\n"
	  "(otakit token revoke) or log out.  Only a user's own token may list.\n"
	  "\n"
	  "Options:\n" CLOUD_OPTIONS_HELP
	  "\nExamples:\n  otakit token list\n  otakit token list --json\n",
	  cmd_token_list },
	{ "list", "list your devices",
	  "Usage: otakit list [OPTIONS]\n"
	  "\n"
	  "Lists the devices of the logged-in user (GET /v1/devices): id, name, platform,\n"
	  "product, online.\n"
	  "\n"
	  "Options:\n" CLOUD_OPTIONS_HELP
	  "\nExample:\n  otakit list --json\n",
	  cmd_list },
	{ "subscribe", "print events as they are published",
	  "Usage: otakit subscribe [NAME] [--product P] [--max N] [OPTIONS]\n"
	  "\n"
	  "Opens the event stream (Server-Sent Events) of your devices, or of product P,\n"
	  "and prints each event whose name starts with NAME as one JSON line:\n"
	  "{\"name\",\"data\",\"ttl\",\"published_at\",\"coreid\"}.  Stops on Ctrl-C (exit 0),\n"
	  "after N events with --max (exit 0), or when the server ends the stream (exit 1).\n"
	  "\n"
	  "Options:\n"
	  "  --product P            the product's stream (id or slug)\n"
	  "  --max N                stop after N events\n"
	  CLOUD_OPTIONS_HELP
	  "\nExamples:\n"
	  "  otakit subscribe temp\n"
	  "  otakit subscribe --product fleet-a --max 1 particle/firmware/release\n",
	  cmd_subscribe },
	{ "publish", "publish an event",
	  "Usage: otakit publish NAME [DATA] [--product P] [--public] [--ttl S] [OPTIONS]\n"
	  "\n"
	  "Publishes an event to your devices' stream (POST /v1/devices/events) or to\n"
	  "product P's.  Events are private unless --public.\n"
	  "\n"
	  "Options:\n"
	  "  --product P            publish to the product (id or slug)\n"
	  "  --private, --public    visibility (default private)\n"
	  "  --ttl S                time to live in seconds\n"
	  CLOUD_OPTIONS_HELP
	  "\nExamples:\n"
	  "  otakit publish temp/kitchen 21.5\n"
	  "  otakit publish config '{\"interval\":60}' --product fleet-a\n",
	  cmd_publish },
	{ "keys send", "send a device's public key to the cloud",
	  "Usage: otakit keys send DEVICE KEY.pem [--algorithm ecc|rsa] [OPTIONS]\n"
	  "\n"
	  "Provisions DEVICE's public key (POST /v1/provisioning/DEVICE, as\n"
	  "`particle keys send` does).  The server parses the key and refuses a\n"
	  "key of another algorithm than --algorithm.\n"
	  "\n"
	  "Options:\n"
	  "  --algorithm ecc|rsa    the key's algorithm (checked by the server)\n"
	  CLOUD_OPTIONS_HELP
	  "\nExample:\n  otakit keys send 0123456789abcdef01234567 device.pub.pem\n",
	  cli_keys_send },
};
const size_t cli_cloud_command_count = sizeof cli_cloud_commands / sizeof cli_cloud_commands[0];
