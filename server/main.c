/*
 * otakitd: the self-hosted cloud's control plane.
 *
 *   otakitd --data DIR [--listen ADDR:PORT] [options]   serve the API
 *   otakitd user add NAME [--admin] --data DIR         add an account (password on stdin)
 *   otakitd check --data DIR                           check the database
 *
 * Exit status: 0 ok, 1 failure, 2 bad usage.
 */
#include <errno.h>
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>

#include "otk/error.h"

#include "api.h"
#include "device_udp.h"
#include "auth.h"
#include "device_os.h"
#include "events.h"
#include "routes.h"
#include "throttle.h"
#include "store.h"

static const char usage_text[] =
	"Usage: otakitd --data DIR [--listen ADDR:PORT] [options]\n"
	"       otakitd user add NAME --data DIR    (password read from stdin)\n"
	"       otakitd check --data DIR\n"
	"       otakitd user add NAME --admin --data DIR   an administrator (may upload Device OS)\n"
	"       otakitd device-os import VERSION FILE|ZIP... --data DIR   add a release's modules\n"
	"       otakitd routes                      print the route table (JSON lines)\n"
	"\n"
	"Options:\n"
	"  --data DIR            database and firmware files (created when missing)\n"
	"  --listen ADDR:PORT    address to serve on (default 127.0.0.1:8080; port 0: any)\n"
	"  --cert FILE --key FILE  serve HTTPS with this PEM certificate and key\n"
	"  --threads N           HTTP worker threads (default 4)\n"
	"  --max-upload BYTES    largest firmware upload (default 64 MiB)\n"
	"  --timeout SECONDS     idle connection timeout (default 30)\n"
	"  --request-timeout S   longest a request body may take to arrive (default 300)\n"
	"  --port-file FILE      write the port listened on into FILE\n"
	"  --access-log FILE     one JSON line per request (default: standard output)\n"
	"  --udp ADDR:PORT       device endpoint, CoAP over DTLS (default 127.0.0.1:5684;\n"
	"                        none: off; a taken default port only warns)\n"
	"  --udp-port-file FILE  write the UDP port into FILE\n"
	"  --server-key FILE     the device endpoint's P-256 key (default DIR/server-key.pem,\n"
	"                        created when missing)\n"
	"  --udp-mode MODE       particle (default: no server Certificate, as devices expect)\n"
	"                        or rfc7250 (standard raw-public-key peers such as GnuTLS)\n"
	"  -h, --help            this help\n";

static int usage(const char *msg)
{
	if (msg)
		fprintf(stderr, "otakitd: %s\n", msg);
	fputs(usage_text, stderr);
	return 2;
}

static bool ensure_dir(const char *path)
{
	if (mkdir(path, 0750) == 0 || errno == EEXIST)
		return true;
	fprintf(stderr, "otakitd: %s: cannot create: %s\n", path, strerror(errno));
	return false;
}

static struct otkd_store *open_store(const char *dir, unsigned conns)
{
	if (!ensure_dir(dir))
		return NULL;
	struct otkd_store *st = NULL;
	char msg[512];
	if (otkd_store_sqlite_open(dir, conns, &st, msg, sizeof msg) != OTK_OK) {
		fprintf(stderr, "otakitd: %s\n", msg);
		return NULL;
	}
	return st;
}

static int cmd_user_add(const char *name, const char *dir, bool admin)
{
	if (!*name || strlen(name) >= OTKD_NAME_MAX) {
		fprintf(stderr, "otakitd: user name must be 1 to %d bytes\n", OTKD_NAME_MAX - 1);
		return 1;
	}
	char pw[1024];
	if (isatty(0))
		fprintf(stderr, "Password for %s: ", name);
	if (!fgets(pw, sizeof pw, stdin)) {
		fprintf(stderr, "otakitd: no password on standard input\n");
		return 1;
	}
	pw[strcspn(pw, "\r\n")] = '\0';
	if (strlen(pw) < 8) {
		fprintf(stderr, "otakitd: password must be at least 8 characters\n");
		return 1;
	}
	struct otkd_store *st = open_store(dir, 1);
	if (!st)
		return 1;
	struct otkd_user u = { .admin = admin };
	snprintf(u.username, sizeof u.username, "%s", name);
	int rc = otkd_password_hash(pw, u.password_hash);
	explicit_bzero(pw, sizeof pw);
	if (rc == OTK_OK)
		rc = st->ops->user_add(st, &u);
	st->ops->close(st);
	if (rc == OTK_EEXIST) {
		fprintf(stderr, "otakitd: user %s already exists\n", name);
		return 1;
	}
	if (rc < 0) {
		fprintf(stderr, "otakitd: cannot add user %s: %s\n", name, otk_strerror(rc));
		return 1;
	}
	printf("user %s added (id %lld%s)\n", name, (long long)u.id, admin ? ", administrator" : "");
	return 0;
}

static int cmd_dos_import(const char *dir, const char *version, char *const *files, size_t n)
{
	struct otkd_store *st = open_store(dir, 1);
	if (!st)
		return 1;
	char err[1024];
	size_t imported = 0;
	int rc = otkd_dos_import_files(st, dir, version, files, n, &imported, err, sizeof err);
	st->ops->close(st);
	if (rc < 0) {
		fprintf(stderr, "otakitd: %s\n", err);
		return 1;
	}
	printf("Device OS %s: %zu module%s imported\n", version, imported,
	       imported == 1 ? "" : "s");
	return 0;
}

static int cmd_check(const char *dir)
{
	struct otkd_store *st = open_store(dir, 1);
	if (!st)
		return 1;
	char msg[512] = "";
	int rc = st->ops->check(st, msg, sizeof msg);
	st->ops->close(st);
	printf("%s\n", rc == OTK_OK ? "ok" : msg);
	return rc == OTK_OK ? 0 : 1;
}

/* Leftovers of uploads that were being checked when the process died. */
static void clean_tmp(const char *tmp)
{
	DIR *d = opendir(tmp);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d))) {
		if (strncmp(e->d_name, "upload-", 7) != 0)
			continue;
		char p[4096];
		snprintf(p, sizeof p, "%s/%s", tmp, e->d_name);
		unlink(p);
	}
	closedir(d);
}

/* The route table, for tests and docs: one JSON object per line. */
static int cmd_routes(void)
{
	for (size_t i = 0; i < otkd_route_count; i++) {
		const struct otkd_route *r = &otkd_routes[i];
		json_t *o = json_pack("{s:s,s:s,s:s?,s:b,s:b,s:b,s:b}", "method", r->method, "path",
				      r->pattern, "scope", r->scope, "product",
				      (r->flags & OTKD_ROUTE_PRODUCT) != 0, "public",
				      (r->flags & OTKD_ROUTE_PUBLIC) != 0, "user_only",
				      (r->flags & OTKD_ROUTE_USER_ONLY) != 0, "admin",
				      (r->flags & OTKD_ROUTE_ADMIN) != 0);
		char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
		json_decref(o);
		if (!line)
			return 1;
		printf("%s\n", line);
		free(line);
	}
	return 0;
}

static int serve(struct otkd_config *cfg, const char *access_log,
		 struct otkd_udp_config *ucfg, bool udp_default)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	/* Blocked before any thread starts, so only sigwait() below sees them. */
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);

	struct otkd_server s = { .cfg = *cfg };
	s.store = open_store(cfg->data_dir, cfg->threads + 2); /* + the UDP thread */
	if (!s.store)
		return 1;
	int status = 1;
	char *blobs = NULL;
	if (asprintf(&s.tmp_dir, "%s/tmp", cfg->data_dir) < 0 ||
	    asprintf(&blobs, "%s/blobs", cfg->data_dir) < 0 || !ensure_dir(s.tmp_dir) ||
	    !ensure_dir(blobs))
		goto out;
	clean_tmp(s.tmp_dir);
	s.log = stdout;
	if (access_log && !(s.log = fopen(access_log, "a"))) {
		fprintf(stderr, "otakitd: %s: cannot open: %s\n", access_log, strerror(errno));
		goto out;
	}
	pthread_mutex_init(&s.log_mu, NULL);
	s.bus = otkd_bus_new(15);
	s.logins = otkd_throttle_new(cfg->login_failures, cfg->login_window_s);
	if (!s.bus || !s.logins) {
		fprintf(stderr, "otakitd: cannot start the event bus\n");
		otkd_bus_free(s.bus);
		otkd_throttle_free(s.logins);
		pthread_mutex_destroy(&s.log_mu);
		goto out;
	}
	char msg[512];
	struct otkd_udp *udp = NULL;
	char *keyfile = NULL;
	if (ucfg->listen && !ucfg->key_file && asprintf(&keyfile, "%s/server-key.pem", cfg->data_dir) > 0)
		ucfg->key_file = keyfile;
	ucfg->bus = s.bus;
	ucfg->data_dir = cfg->data_dir;
	if (otkd_server_start(&s, msg, sizeof msg) != OTK_OK) {
		fprintf(stderr, "otakitd: %s\n", msg);
	} else if (ucfg->listen && otkd_udp_start(&udp, ucfg, s.store, msg, sizeof msg) != OTK_OK &&
		   !udp_default) {
		fprintf(stderr, "otakitd: %s\n", msg);
		otkd_server_stop(&s, 0);
	} else {
		if (ucfg->listen && !udp)
			fprintf(stderr, "otakitd: warning: no device endpoint: %s\n", msg);
		int sig = 0;
		sigwait(&set, &sig);
		fprintf(stderr, "otakitd: %s: finishing requests in flight\n",
			sig == SIGTERM ? "SIGTERM" : "SIGINT");
		otkd_udp_stop(udp);
		otkd_server_stop(&s, 10);
		fprintf(stderr, "otakitd: stopped\n");
		status = 0;
	}
	otkd_bus_free(s.bus);
	otkd_throttle_free(s.logins);
	if (s.log != stdout)
		fclose(s.log);
	pthread_mutex_destroy(&s.log_mu);
	free(keyfile);
out:
	free(blobs);
	free(s.tmp_dir);
	s.store->ops->close(s.store);
	return status;
}

static bool parse_size(const char *s, size_t *out)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || *end || end == s || v == 0)
		return false;
	*out = (size_t)v;
	return true;
}

int main(int argc, char **argv)
{
	enum { O_DATA = 256, O_LISTEN, O_CERT, O_KEY, O_THREADS, O_MAXUP, O_TIMEOUT, O_PORTFILE,
	       O_LOG, O_REQTIME, O_UDP, O_UDP_PORTFILE, O_SERVER_KEY, O_UDP_MODE, O_ADMIN };
	static const struct option opts[] = {
		{ "data", required_argument, NULL, O_DATA },
		{ "listen", required_argument, NULL, O_LISTEN },
		{ "cert", required_argument, NULL, O_CERT },
		{ "key", required_argument, NULL, O_KEY },
		{ "threads", required_argument, NULL, O_THREADS },
		{ "max-upload", required_argument, NULL, O_MAXUP },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "request-timeout", required_argument, NULL, O_REQTIME },
		{ "port-file", required_argument, NULL, O_PORTFILE },
		{ "access-log", required_argument, NULL, O_LOG },
		{ "udp", required_argument, NULL, O_UDP },
		{ "udp-port-file", required_argument, NULL, O_UDP_PORTFILE },
		{ "server-key", required_argument, NULL, O_SERVER_KEY },
		{ "udp-mode", required_argument, NULL, O_UDP_MODE },
		{ "admin", no_argument, NULL, O_ADMIN },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	bool admin = false;
	struct otkd_config cfg = {
		.listen = "127.0.0.1:8080",
		.max_body = 64 * 1024,
		.max_upload = 64u * 1024 * 1024,
		.threads = 4,
		.timeout_s = 30,
		.request_time_s = 300,
		.max_connections = 1000,
		.token_lifetime_s = 90ll * 24 * 3600,
		.login_failures = 5,
		.login_window_s = 60,
	};
	const char *access_log = NULL;
	struct otkd_udp_config ucfg = { .listen = "127.0.0.1:5684", .mode = OTK_DTLS_PARTICLE };
	bool udp_default = true;
	size_t n;
	int c;
	while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
		switch (c) {
		case O_DATA: cfg.data_dir = optarg; break;
		case O_LISTEN: cfg.listen = optarg; break;
		case O_CERT: cfg.cert = optarg; break;
		case O_KEY: cfg.key = optarg; break;
		case O_PORTFILE: cfg.port_file = optarg; break;
		case O_LOG: access_log = optarg; break;
		case O_UDP:
			ucfg.listen = strcmp(optarg, "none") == 0 ? NULL : optarg;
			udp_default = false;
			break;
		case O_UDP_PORTFILE: ucfg.port_file = optarg; break;
		case O_SERVER_KEY: ucfg.key_file = optarg; break;
		case O_UDP_MODE:
			if (strcmp(optarg, "particle") == 0)
				ucfg.mode = OTK_DTLS_PARTICLE;
			else if (strcmp(optarg, "rfc7250") == 0)
				ucfg.mode = OTK_DTLS_RFC7250;
			else
				return usage("--udp-mode must be particle or rfc7250");
			break;
		case O_THREADS:
			if (!parse_size(optarg, &n) || n > 15)
				return usage("--threads must be 1 to 15");
			cfg.threads = (unsigned)n;
			break;
		case O_MAXUP:
			if (!parse_size(optarg, &cfg.max_upload))
				return usage("--max-upload must be a number of bytes");
			break;
		case O_TIMEOUT:
			if (!parse_size(optarg, &n) || n > 3600)
				return usage("--timeout must be 1 to 3600 seconds");
			cfg.timeout_s = (unsigned)n;
			break;
		case O_REQTIME:
			if (!parse_size(optarg, &n) || n > 86400)
				return usage("--request-timeout must be 1 to 86400 seconds");
			cfg.request_time_s = (unsigned)n;
			break;
		case O_ADMIN: admin = true; break;
		case 'h': fputs(usage_text, stdout); return 0;
		default: return usage(NULL);
		}
	}
	if (argc - optind == 1 && strcmp(argv[optind], "routes") == 0)
		return cmd_routes();
	if (!cfg.data_dir)
		return usage("--data DIR is required");
	if (otkd_auth_init() != OTK_OK) {
		fprintf(stderr, "otakitd: libsodium cannot start\n");
		return 1;
	}
	int rest = argc - optind;
	if (rest == 3 && strcmp(argv[optind], "user") == 0 && strcmp(argv[optind + 1], "add") == 0)
		return cmd_user_add(argv[optind + 2], cfg.data_dir, admin);
	if (admin)
		return usage("--admin goes with user add");
	if (rest >= 4 && strcmp(argv[optind], "device-os") == 0 &&
	    strcmp(argv[optind + 1], "import") == 0)
		return cmd_dos_import(cfg.data_dir, argv[optind + 2], argv + optind + 3,
				      (size_t)(rest - 3));
	if (rest == 1 && strcmp(argv[optind], "check") == 0)
		return cmd_check(cfg.data_dir);
	if (rest != 0)
		return usage("unknown command");
	return serve(&cfg, access_log, &ucfg, udp_default);
}
