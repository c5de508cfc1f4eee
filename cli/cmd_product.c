/*
 * What particle-cli lacks for products (Particle does it in its console):
 * otakit product list|create, product firmware upload|list|release|delete,
 * product device add|list|lock|unlock|development|groups, product group ...
 *
 * The dispatcher knows commands of two words, so "product firmware" and the
 * others are one command each that picks its subcommand from the next word.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cloud.h"
#include "otk/error.h"

enum { OPT_VERSION = 0x400, OPT_TITLE, OPT_DESCRIPTION, OPT_DEFAULT, OPT_GROUPS, OPT_INTELLIGENT,
       OPT_GROUP, OPT_PAGE, OPT_PER_PAGE, OPT_COLOR, OPT_PLATFORM, OPT_ID, OPT_CLEAR };

/* A subcommand: argv[0] is its word; usage names it in messages. */
struct sub {
	const char *name;
	const char *command; /* "product firmware upload" */
	int nargs_min, nargs_max;
	const char *args;    /* "PRODUCT FILE" */
	int (*run)(struct cloud *c, char **args, int nargs);
};

/* Options every product subcommand may take; what they mean depends on it. */
struct popts {
	const char *version, *title, *description, *groups, *group, *color, *page, *per_page,
		*platform, *id;
	bool product_default, intelligent, clear;
};
static struct popts P;

static int run_sub(const struct sub *subs, size_t n, const char *group, int argc, char **argv)
{
	static const struct option opts[] = {
		CLOUD_OPTIONS,
		{ "version", required_argument, NULL, OPT_VERSION },
		{ "title", required_argument, NULL, OPT_TITLE },
		{ "description", required_argument, NULL, OPT_DESCRIPTION },
		{ "default", no_argument, NULL, OPT_DEFAULT },
		{ "product-default", no_argument, NULL, OPT_DEFAULT },
		{ "groups", required_argument, NULL, OPT_GROUPS },
		{ "intelligent", no_argument, NULL, OPT_INTELLIGENT },
		{ "group", required_argument, NULL, OPT_GROUP },
		{ "page", required_argument, NULL, OPT_PAGE },
		{ "per-page", required_argument, NULL, OPT_PER_PAGE },
		{ "color", required_argument, NULL, OPT_COLOR },
		{ "platform", required_argument, NULL, OPT_PLATFORM },
		{ "id", required_argument, NULL, OPT_ID },
		{ "clear", no_argument, NULL, OPT_CLEAR },
		{ NULL, 0, NULL, 0 },
	};
	if (argc < 2)
		return cli_usage_error(group, "%s: need a subcommand", group);
	const struct sub *s = NULL;
	for (size_t i = 0; i < n; i++)
		if (strcmp(subs[i].name, argv[1]) == 0)
			s = &subs[i];
	if (!s)
		return cli_usage_error(group, "%s: no such subcommand: %s", group, cli_shown(argv[1]));
	struct cloud c = { .command = s->command };
	/* which options each subcommand takes is in its help; the rest are refused here */
	int o;
	argc--;
	argv++;
	optind = 1;
	while ((o = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (cloud_option(&c, o))
			continue;
		const char **slot = NULL;
		switch (o) {
		case OPT_VERSION: slot = &P.version; break;
		case OPT_TITLE: slot = &P.title; break;
		case OPT_DESCRIPTION: slot = &P.description; break;
		case OPT_GROUPS: slot = &P.groups; break;
		case OPT_GROUP: slot = &P.group; break;
		case OPT_COLOR: slot = &P.color; break;
		case OPT_PAGE: slot = &P.page; break;
		case OPT_PER_PAGE: slot = &P.per_page; break;
		case OPT_PLATFORM: slot = &P.platform; break;
		case OPT_ID: slot = &P.id; break;
		case OPT_DEFAULT: P.product_default = true; continue;
		case OPT_INTELLIGENT: P.intelligent = true; continue;
		case OPT_CLEAR: P.clear = true; continue;
		default: return cli_bad_usage(s->command, argv);
		}
		*slot = optarg;
	}
	int nargs = argc - optind;
	if (nargs < s->nargs_min || nargs > s->nargs_max)
		return cli_usage_error(s->command, "%s: need %s", s->command, s->args);
	int st = 1;
	if (cloud_connect(&c, true))
		st = s->run(&c, argv + optind, nargs);
	cloud_close(&c);
	return st;
}

/* Runs a JSON request and prints the answer with --json, else text. */
static bool call(struct cloud *c, const char *what, const char *method, const char *path,
		 json_t *body, struct otk_http_response *res)
{
	bool ok = cloud_call(c, what, method, path, body, res);
	json_decref(body);
	if (ok && c->json)
		cloud_print_json(res->json);
	return ok;
}

/* A number option or argument within 1..max; prints the usage error. */
static bool number(const struct cloud *c, const char *what, const char *s, uint32_t max,
		   uint32_t *v)
{
	if (cli_parse_u32(s, v) && *v >= 1 && *v <= max)
		return true;
	cli_usage_error(c->command, "%s: %s must be a number 1..%u, not '%s'", c->command, what,
			max, cli_shown(s));
	return false;
}

/* --- product list | create ----------------------------------------------------- */

static int product_list(struct cloud *c, char **a, int n)
{
	(void)a;
	(void)n;
	struct otk_http_response res;
	if (!call(c, "product list", "GET", "/v1/user/products", NULL, &res))
		return 1;
	if (!c->json) {
		size_t i;
		json_t *p;
		json_array_foreach(json_object_get(res.json, "products"), i, p) {
			char b1[32], b2[32];
			printf("%s  %s  platform %s  %s\n", cloud_str(p, "id", b1, sizeof b1),
			       cloud_str(p, "slug", b1, sizeof b1),
			       cloud_str(p, "platform_id", b2, sizeof b2),
			       cloud_str(p, "name", b2, sizeof b2));
		}
	}
	otk_http_response_free(&res);
	return 0;
}

static int product_create(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t platform, id = 0;
	if (!P.platform)
		return cli_usage_error(c->command, "%s: need --platform ID", c->command);
	if (!number(c, "--platform", P.platform, 0xffff, &platform) ||
	    (P.id && !number(c, "--id", P.id, 0xffff, &id)))
		return EXIT_USAGE;
	json_t *body = json_pack("{s:s,s:i}", "name", a[0], "platform_id", (int)platform);
	if (id)
		json_object_set_new(body, "id", json_integer(id));
	if (P.description)
		json_object_set_new(body, "description", json_string(P.description));
	struct otk_http_response res;
	char what[200];
	snprintf(what, sizeof what, "product create %s", cli_shown(a[0]));
	if (!call(c, what, "POST", "/v1/products", body, &res))
		return 1;
	if (!c->json) {
		char b1[32], b2[32];
		json_t *p = json_object_get(res.json, "product");
		printf("Created product %s (%s)\n", cloud_str(p, "id", b1, sizeof b1),
		       cloud_str(p, "slug", b2, sizeof b2));
	}
	otk_http_response_free(&res);
	return 0;
}

static int cmd_product(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "list", "product list", 0, 0, "no arguments", product_list },
		{ "create", "product create", 1, 1, "NAME --platform ID", product_create },
	};
	/* "otakit product list": argv[0] is "product", argv[1] the subcommand */
	return run_sub(subs, 2, "product", argc, argv);
}

/* --- product firmware ------------------------------------------------------------ */

struct progress {
	const char *file;
	int last;  /* percentage shown last, -1 before the first */
};

/* curl calls this often, also while the answer is awaited: show changes only */
static void show_progress(void *ctx, uint64_t sent, uint64_t total)
{
	struct progress *p = ctx;
	int pct = total ? (int)(sent * 100 / total) : 0;
	if (pct != p->last)
		cli_progress(p->file, sent, total);
	p->last = pct;
}

static int firmware_upload(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t version;
	const char *file = a[1];
	if (!P.version)
		return cli_usage_error(c->command, "%s: need --version N", c->command);
	if (!number(c, "--version", P.version, 65535, &version))
		return EXIT_USAGE;
	if (access(file, R_OK) < 0) {
		cli_error(file, "cannot read: %s", strerror(errno));
		return 1;
	}
	char path[512], vers[16], what[600];
	snprintf(vers, sizeof vers, "%u", version);
	if (!cloud_path(path, sizeof path, "/v1/products/%s/firmware", a[0]))
		return 1;
	const char *base = strrchr(file, '/') ? strrchr(file, '/') + 1 : file;
	struct otk_http_part parts[] = {
		{ .name = "version", .value = vers },
		{ .name = "title", .value = P.title ? P.title : base },
		{ .name = "description", .value = P.description ? P.description : "" },
		{ .name = "binary", .file = file, .filename = base },
	};
	struct otk_http_response res;
	struct progress prog = { file, -1 };
	int rc = otk_http_upload(c->http, "POST", path, parts, 4, show_progress, &prog, &res);
	snprintf(what, sizeof what, "%s %s to product %s", c->command, cli_shown(file),
		 cli_shown(a[0]));
	if (rc < 0 || !otk_http_success(&res)) {
		cloud_failed(what, rc, &res);
		otk_http_response_free(&res);
		return 1;
	}
	if (c->json) {
		cloud_print_json(res.json);
	} else {
		char b[80];
		printf("%s: uploaded as version %u of product %s (sha256 %s)\n", cli_shown(file),
		       version, cli_shown(a[0]), cloud_str(res.json, "sha256", b, sizeof b));
	}
	otk_http_response_free(&res);
	return 0;
}

static int firmware_list(struct cloud *c, char **a, int n)
{
	(void)n;
	char path[512];
	struct otk_http_response res;
	if (!cloud_path(path, sizeof path, "/v1/products/%s/firmware", a[0]) ||
	    !call(c, c->command, "GET", path, NULL, &res))
		return 1;
	if (!c->json) {
		size_t i, j;
		json_t *f, *g;
		if (json_array_size(res.json) == 0)
			printf("No firmware\n");
		json_array_foreach(res.json, i, f) {
			char b1[32], b2[32], b3[32];
			printf("v%s  %s  %s bytes  %s devices  %s%s", cloud_str(f, "version", b1, sizeof b1),
			       cloud_str(f, "title", b2, sizeof b2), cloud_str(f, "size", b2, sizeof b2),
			       cloud_str(f, "device_count", b3, sizeof b3),
			       json_is_true(json_object_get(f, "bundle")) ? "bundle" : "binary",
			       json_is_true(json_object_get(f, "product_default")) ? "  default" : "");
			json_array_foreach(json_object_get(f, "groups"), j, g)
				printf("%s%s", j ? "," : "  groups ", cli_shown(json_string_value(g) ?
										json_string_value(g) : "?"));
			printf("\n");
		}
	}
	otk_http_response_free(&res);
	return 0;
}

static int firmware_release(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t version;
	if (!number(c, "VERSION", a[1], 65535, &version))
		return EXIT_USAGE;
	if (!P.product_default && !P.groups)
		return cli_usage_error(c->command, "%s: release to whom? give --default and/or --groups A,B",
				       c->command);
	char path[512];
	if (!cloud_path(path, sizeof path, "/v1/products/%s/firmware/release", a[0]))
		return 1;
	json_t *body = json_pack("{s:i,s:b,s:b,s:o}", "version", (int)version, "product_default",
				 P.product_default, "intelligent", P.intelligent, "groups",
				 cloud_list(P.groups ? P.groups : ""));
	struct otk_http_response res;
	if (!call(c, c->command, "PUT", path, body, &res))
		return 1;
	if (!c->json)
		printf("Released version %u of product %s%s%s%s\n", version, cli_shown(a[0]),
		       P.product_default ? " as the product default" : "",
		       P.groups ? " to groups " : "", P.groups ? cli_shown(P.groups) : "");
	otk_http_response_free(&res);
	return 0;
}

static int firmware_delete(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t version;
	if (!number(c, "VERSION", a[1], 65535, &version))
		return EXIT_USAGE;
	char path[512];
	struct otk_http_response res;
	if (!cloud_path(path, sizeof path, "/v1/products/%s/firmware/%s", a[0], a[1]) ||
	    !call(c, c->command, "DELETE", path, NULL, &res))
		return 1;
	if (!c->json)
		printf("Deleted version %u of product %s\n", version, cli_shown(a[0]));
	otk_http_response_free(&res);
	return 0;
}

static int cmd_product_firmware(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "upload", "product firmware upload", 2, 2, "PRODUCT FILE --version N", firmware_upload },
		{ "list", "product firmware list", 1, 1, "PRODUCT", firmware_list },
		{ "release", "product firmware release", 2, 2, "PRODUCT VERSION", firmware_release },
		{ "delete", "product firmware delete", 2, 2, "PRODUCT VERSION", firmware_delete },
	};
	return run_sub(subs, sizeof subs / sizeof subs[0], "product firmware", argc, argv);
}

/* --- product device ---------------------------------------------------------------- */

/* PUT /v1/products/P/devices/D with body; prints what changed. */
static int device_put(struct cloud *c, char **a, json_t *body, const char *done)
{
	char path[512], what[300];
	struct otk_http_response res;
	snprintf(what, sizeof what, "%s %s", c->command, cli_shown(a[1]));
	if (!cloud_path(path, sizeof path, "/v1/products/%s/devices/%s", a[0], a[1]) ||
	    !call(c, what, "PUT", path, body, &res))
		return 1;
	if (!c->json)
		printf("%s: %s\n", cli_shown(a[1]), done);
	otk_http_response_free(&res);
	return 0;
}

static int device_add(struct cloud *c, char **a, int n)
{
	char path[512];
	if (!cloud_path(path, sizeof path, "/v1/products/%s/devices", a[0]))
		return 1;
	int st = 0;
	for (int i = 1; i < n; i++) {
		char what[300];
		struct otk_http_response res;
		snprintf(what, sizeof what, "%s %s", c->command, cli_shown(a[i]));
		if (!call(c, what, "POST", path, json_pack("{s:s}", "id", a[i]), &res)) {
			st = 1;
			continue;
		}
		if (!c->json)
			printf("%s: added to product %s\n", cli_shown(a[i]), cli_shown(a[0]));
		otk_http_response_free(&res);
	}
	return st;
}

static int device_list(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t page = 1, last = 0, per = 100;
	if ((P.page && !number(c, "--page", P.page, 0x7fffffff, &page)) ||
	    (P.per_page && !number(c, "--per-page", P.per_page, 100, &per)))
		return EXIT_USAGE;
	json_t *all = json_array();
	/* every page unless --page names one */
	for (;;) {
		char path[512], q[64];
		snprintf(q, sizeof q, "?page=%u&per_page=%u", page, per);
		if (!cloud_path(path, sizeof path - strlen(q), "/v1/products/%s/devices", a[0]))
			break;
		strcat(path, q);
		if (P.group) {
			char *g = otk_http_escape(P.group);
			if (g && strlen(path) + strlen(g) + 9 < sizeof path)
				strcat(strcat(path, "&groups="), g);
			free(g);
		}
		struct otk_http_response res;
		if (!cloud_call(c, c->command, "GET", path, NULL, &res)) {
			json_decref(all);
			return 1;
		}
		json_array_extend(all, json_object_get(res.json, "devices"));
		json_t *meta = json_object_get(res.json, "meta");
		last = (uint32_t)json_integer_value(json_object_get(meta, "total_pages"));
		otk_http_response_free(&res);
		if (P.page || page >= last)
			break;
		page++;
	}
	if (c->json) {
		cloud_print_json(all);
	} else {
		size_t i, j;
		json_t *d, *g;
		if (json_array_size(all) == 0)
			printf("No devices\n");
		json_array_foreach(all, i, d) {
			char b1[32], b2[32], b3[32];
			json_t *want = json_object_get(d, "desired_firmware_version");
			printf("%s  %s  firmware %s", cloud_str(d, "id", b1, sizeof b1),
			       cloud_str(d, "name", b1, sizeof b1),
			       cloud_str(d, "firmware_version", b2, sizeof b2));
			if (json_is_integer(want))
				printf("  locked to %s", cloud_str(d, "desired_firmware_version", b3, sizeof b3));
			if (json_is_true(json_object_get(d, "development")))
				printf("  development");
			if (json_is_true(json_object_get(d, "quarantined")))
				printf("  quarantined");
			json_array_foreach(json_object_get(d, "groups"), j, g)
				printf("%s%s", j ? "," : "  groups ",
				       cli_shown(json_string_value(g) ? json_string_value(g) : "?"));
			printf("\n");
		}
	}
	json_decref(all);
	return 0;
}

static int device_lock(struct cloud *c, char **a, int n)
{
	(void)n;
	uint32_t version;
	if (!number(c, "VERSION", a[2], 65535, &version))
		return EXIT_USAGE;
	char done[64];
	snprintf(done, sizeof done, "locked to version %u", version);
	return device_put(c, a, json_pack("{s:i}", "desired_firmware_version", (int)version), done);
}

static int device_unlock(struct cloud *c, char **a, int n)
{
	(void)n;
	return device_put(c, a, json_pack("{s:n}", "desired_firmware_version"), "unlocked");
}

static int device_development(struct cloud *c, char **a, int n)
{
	(void)n;
	bool on;
	if (strcmp(a[2], "on") == 0 || strcmp(a[2], "true") == 0)
		on = true;
	else if (strcmp(a[2], "off") == 0 || strcmp(a[2], "false") == 0)
		on = false;
	else
		return cli_usage_error(c->command, "%s: say on or off, not '%s'", c->command,
				       cli_shown(a[2]));
	return device_put(c, a, json_pack("{s:b}", "development", on),
			  on ? "development device (no automatic updates)" : "not a development device");
}

static int device_groups(struct cloud *c, char **a, int n)
{
	if (n == 2 && !P.clear) {
		/* show them */
		char path[512];
		struct otk_http_response res;
		if (!cloud_path(path, sizeof path, "/v1/products/%s/devices/%s", a[0], a[1]) ||
		    !cloud_call(c, c->command, "GET", path, NULL, &res))
			return 1;
		json_t *g = json_object_get(res.json, "groups");
		if (c->json) {
			cloud_print_json(g);
		} else {
			size_t i;
			json_t *v;
			json_array_foreach(g, i, v)
				printf("%s\n", cli_shown(json_string_value(v) ? json_string_value(v) : "?"));
		}
		otk_http_response_free(&res);
		return 0;
	}
	if (n > 2 && P.clear)
		return cli_usage_error(c->command, "%s: --clear or GROUP..., not both", c->command);
	json_t *list = json_array();
	for (int i = 2; i < n; i++)
		json_array_append_new(list, json_string(a[i]));
	return device_put(c, a, json_pack("{s:o}", "groups", list),
			  n > 2 ? "groups set" : "groups cleared");
}

static int cmd_product_device(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "add", "product device add", 2, 1000, "PRODUCT DEVICE...", device_add },
		{ "list", "product device list", 1, 1, "PRODUCT", device_list },
		{ "lock", "product device lock", 3, 3, "PRODUCT DEVICE VERSION", device_lock },
		{ "unlock", "product device unlock", 2, 2, "PRODUCT DEVICE", device_unlock },
		{ "development", "product device development", 3, 3, "PRODUCT DEVICE on|off",
		  device_development },
		{ "groups", "product device groups", 2, 1000, "PRODUCT DEVICE [GROUP...]", device_groups },
	};
	return run_sub(subs, sizeof subs / sizeof subs[0], "product device", argc, argv);
}

/* --- product group ------------------------------------------------------------------ */

static int group_list(struct cloud *c, char **a, int n)
{
	(void)n;
	char path[512];
	struct otk_http_response res;
	if (!cloud_path(path, sizeof path, "/v1/products/%s/groups", a[0]) ||
	    !call(c, c->command, "GET", path, NULL, &res))
		return 1;
	if (!c->json) {
		size_t i;
		json_t *g;
		json_array_foreach(json_object_get(res.json, "groups"), i, g) {
			char b1[32], b2[32];
			printf("%s  %s  %s\n", cloud_str(g, "name", b1, sizeof b1),
			       cloud_str(g, "color", b1, sizeof b1),
			       cloud_str(g, "description", b2, sizeof b2));
		}
	}
	otk_http_response_free(&res);
	return 0;
}

/* create (POST) or update (PUT) a group */
static int group_write(struct cloud *c, char **a, bool create)
{
	char path[512];
	json_t *body = json_object();
	if (create)
		json_object_set_new(body, "name", json_string(a[1]));
	if (P.color)
		json_object_set_new(body, "color", json_string(P.color));
	if (P.description)
		json_object_set_new(body, "description", json_string(P.description));
	struct otk_http_response res;
	char what[300];
	snprintf(what, sizeof what, "%s %s", c->command, cli_shown(a[1]));
	if (!(create ? cloud_path(path, sizeof path, "/v1/products/%s/groups", a[0])
		     : cloud_path(path, sizeof path, "/v1/products/%s/groups/%s", a[0], a[1])) ||
	    !call(c, what, create ? "POST" : "PUT", path, body, &res))
		return 1;
	if (!c->json)
		printf("Group %s %s in product %s\n", cli_shown(a[1]), create ? "created" : "updated",
		       cli_shown(a[0]));
	otk_http_response_free(&res);
	return 0;
}

static int group_create(struct cloud *c, char **a, int n)
{
	(void)n;
	return group_write(c, a, true);
}

static int group_update(struct cloud *c, char **a, int n)
{
	(void)n;
	return group_write(c, a, false);
}

static int group_delete(struct cloud *c, char **a, int n)
{
	(void)n;
	char path[512], what[300];
	struct otk_http_response res;
	snprintf(what, sizeof what, "%s %s", c->command, cli_shown(a[1]));
	if (!cloud_path(path, sizeof path, "/v1/products/%s/groups/%s", a[0], a[1]) ||
	    !call(c, what, "DELETE", path, NULL, &res))
		return 1;
	if (!c->json)
		printf("Group %s deleted from product %s\n", cli_shown(a[1]), cli_shown(a[0]));
	otk_http_response_free(&res);
	return 0;
}

static int cmd_product_group(int argc, char **argv)
{
	static const struct sub subs[] = {
		{ "list", "product group list", 1, 1, "PRODUCT", group_list },
		{ "create", "product group create", 2, 2, "PRODUCT NAME", group_create },
		{ "update", "product group update", 2, 2, "PRODUCT NAME", group_update },
		{ "delete", "product group delete", 2, 2, "PRODUCT NAME", group_delete },
	};
	return run_sub(subs, sizeof subs / sizeof subs[0], "product group", argc, argv);
}

#define COMMON "\nOptions of every subcommand:\n" CLOUD_OPTIONS_HELP \
	"PRODUCT is the product's id or slug.\n"

const struct cli_command cli_product_commands[] = {
	{ "product", "list or create products (create: otakitd only)",
	  "Usage: otakit product list [OPTIONS]\n"
	  "       otakit product create NAME --platform ID [--id N] [--description D] [OPTIONS]\n"
	  "\n"
	  "list: the products you are a member of.  create: a product on otakitd (Particle\n"
	  "creates products in its console); --id picks the product id that goes into\n"
	  "module suffixes.\n" COMMON
	  "\nExamples:\n"
	  "  otakit product create 'Fleet A' --platform 32 --id 1234\n"
	  "  otakit product list --json\n",
	  cmd_product },
	{ "product firmware", "upload, list, release, delete product firmware",
	  "Usage: otakit product firmware upload PRODUCT FILE --version N [--title T] [--description D]\n"
	  "       otakit product firmware list PRODUCT\n"
	  "       otakit product firmware release PRODUCT VERSION [--default] [--groups A,B] [--intelligent]\n"
	  "       otakit product firmware delete PRODUCT VERSION\n"
	  "\n"
	  "upload: a .bin or a bundle .zip; the server verifies it (module, product id and\n"
	  "version in the suffix, platform, assets) and its refusal is shown as it names the\n"
	  "problem.  Progress is shown when standard error is a terminal.\n"
	  "release: as the product default and/or to groups (the groups must exist).\n"
	  "delete: only firmware that was never released.\n" COMMON
	  "\nExamples:\n"
	  "  otakit product firmware upload fleet-a app.bin --version 3 --title 'fix sleep'\n"
	  "  otakit product firmware release fleet-a 3 --groups beta\n"
	  "  otakit product firmware list fleet-a --json\n",
	  cmd_product_firmware },
	{ "product device", "add, list, lock, unlock product devices; development; groups",
	  "Usage: otakit product device add PRODUCT DEVICE...\n"
	  "       otakit product device list PRODUCT [--group G] [--page N] [--per-page N]\n"
	  "       otakit product device lock PRODUCT DEVICE VERSION\n"
	  "       otakit product device unlock PRODUCT DEVICE\n"
	  "       otakit product device development PRODUCT DEVICE on|off\n"
	  "       otakit product device groups PRODUCT DEVICE [GROUP... | --clear]\n"
	  "\n"
	  "add: adds devices (or approves quarantined ones).  list: every page unless\n"
	  "--page.  lock: the device gets VERSION whatever is released; unlock undoes it.\n"
	  "development: a development device takes no automatic updates.  groups: without\n"
	  "GROUP shows them, else sets the whole set (missing groups are created).\n" COMMON
	  "\nExamples:\n"
	  "  otakit product device add fleet-a 0123456789abcdef01234567\n"
	  "  otakit product device lock fleet-a 0123456789abcdef01234567 3\n"
	  "  otakit product device groups fleet-a 0123456789abcdef01234567 beta north\n",
	  cmd_product_device },
	{ "product group", "list, create, update, delete device groups",
	  "Usage: otakit product group list PRODUCT\n"
	  "       otakit product group create PRODUCT NAME [--color '#rrggbb'] [--description D]\n"
	  "       otakit product group update PRODUCT NAME [--color '#rrggbb'] [--description D]\n"
	  "       otakit product group delete PRODUCT NAME\n"
	  "\n"
	  "NAME: lowercase letters, digits, - and _.  Deleting a group takes it off its\n"
	  "devices and releases.\n" COMMON
	  "\nExamples:\n"
	  "  otakit product group create fleet-a beta --color '#00aa00'\n"
	  "  otakit product group list fleet-a\n",
	  cmd_product_group },
};
const size_t cli_product_command_count = sizeof cli_product_commands / sizeof cli_product_commands[0];
