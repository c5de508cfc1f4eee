/*
 * libmicrohttpd glue: collecting a request within its limits, the answer
 * helpers, the access log (one JSON line per request) and the daemon's
 * start and graceful stop.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/error.h"
#include "otk/file.h"

#include "api.h"
#include "params.h"

const char *otkd_iso_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%S.000Z", &tm);
	return buf;
}

const char *otkd_header(struct otkd_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

/* --- answers --------------------------------------------------------------- */

static enum MHD_Result queue(struct otkd_req *r, unsigned status, struct MHD_Response *resp,
			     uint64_t len)
{
	if (!resp)
		return MHD_NO;
	r->status = status;
	r->bytes_out = len;
	r->answered = true;
	enum MHD_Result ok = MHD_queue_response(r->conn, status, resp);
	MHD_destroy_response(resp);
	return ok;
}

enum MHD_Result otkd_reply_json(struct otkd_req *r, unsigned status, json_t *body)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	json_decref(body);
	if (!text)
		return MHD_NO;
	size_t len = strlen(text);
	struct MHD_Response *resp = MHD_create_response_from_buffer(len, text, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(text);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	return queue(r, status, resp, len);
}

enum MHD_Result otkd_reply_error(struct otkd_req *r, unsigned status, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return otkd_reply_json(r, status, json_pack("{s:b,s:s}", "ok", 0, "error", msg));
}

enum MHD_Result otkd_reply_oauth_error(struct otkd_req *r, unsigned status, const char *code,
				       const char *desc)
{
	return otkd_reply_json(r, status, json_pack("{s:s,s:s}", "error", code,
						    "error_description", desc));
}

enum MHD_Result otkd_reply_store_error(struct otkd_req *r, int rc)
{
	pthread_mutex_lock(&r->srv->log_mu);
	fprintf(stderr, "otakitd: %s %s: store error: %s\n", r->method, r->path, otk_strerror(rc));
	pthread_mutex_unlock(&r->srv->log_mu);
	return otkd_reply_error(r, 500, "internal error: the store failed (%s)", otk_strerror(rc));
}

enum MHD_Result otkd_reply_file(struct otkd_req *r, const char *path, const char *type,
				const char *filename)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		if (fd >= 0)
			close(fd);
		return otkd_reply_error(r, 500, "internal error: stored file is missing");
	}
	struct MHD_Response *resp = MHD_create_response_from_fd64((uint64_t)st.st_size, fd);
	if (!resp) {
		close(fd);
		return MHD_NO;
	}
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, type);
	if (filename) {
		char cd[300];
		snprintf(cd, sizeof cd, "attachment; filename=\"%s\"", filename);
		MHD_add_response_header(resp, "Content-Disposition", cd);
	}
	return queue(r, 200, resp, (uint64_t)st.st_size);
}

/* --- collecting a request -------------------------------------------------- */

static bool ctype_is(const char *ct, const char *want)
{
	size_t n = strlen(want);
	return ct && strncasecmp(ct, want, n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

static enum MHD_Result on_field(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *filename, const char *content_type,
				const char *transfer_encoding, const char *data, uint64_t off,
				size_t size)
{
	(void)kind, (void)content_type, (void)transfer_encoding;
	struct otkd_req *r = cls;
	if (r->body_status)
		return MHD_YES;
	if (filename) {
		/* The first file part is the upload; more parts are refused. */
		if (!r->file_field) {
			r->file_field = strdup(key);
			r->file_name = strdup(filename);
			if (!r->file_field || !r->file_name)
				return MHD_NO;
		} else if (strcmp(r->file_field, key) != 0) {
			r->body_status = 400;
			snprintf(r->body_err, sizeof r->body_err, "only one file per request (got %s "
				 "and %s)", r->file_field, key);
			return MHD_YES;
		}
		if (r->file_len + size > r->srv->cfg.max_upload) {
			r->body_status = 413;
			snprintf(r->body_err, sizeof r->body_err, "%s: file larger than %zu bytes",
				 filename, r->srv->cfg.max_upload);
			return MHD_YES;
		}
		if (r->file_len + size > r->file_cap) {
			size_t cap = r->file_cap ? r->file_cap : 65536;
			while (cap < r->file_len + size)
				cap *= 2;
			uint8_t *p = realloc(r->file, cap);
			if (!p)
				return MHD_NO;
			r->file = p;
			r->file_cap = cap;
		}
		memcpy(r->file + r->file_len, data, size);
		r->file_len += size;
		return MHD_YES;
	}
	int rc = otkd_params_add_form(r->params, key, data, size, off);
	if (rc < 0) {
		r->body_status = rc == OTK_ETOOBIG ? 413 : 400;
		snprintf(r->body_err, sizeof r->body_err, "form field %.64s: %s", key,
			 rc == OTK_ETOOBIG ? "too long" : "not valid UTF-8 or too many values");
	}
	return MHD_YES;
}

static enum MHD_Result on_query(void *cls, enum MHD_ValueKind kind, const char *key,
				const char *value)
{
	(void)kind;
	struct otkd_req *r = cls;
	if (!value || json_object_get(r->params, key))
		return MHD_YES;
	if (otkd_params_add_form(r->params, key, value, strlen(value), 0) < 0 && !r->body_status) {
		r->body_status = 400;
		snprintf(r->body_err, sizeof r->body_err, "query parameter %.64s is not valid", key);
	}
	return MHD_YES;
}

static struct otkd_req *req_new(struct otkd_server *s, struct MHD_Connection *c,
				const char *url, const char *method)
{
	struct otkd_req *r = calloc(1, sizeof *r);
	if (!r)
		return NULL;
	r->srv = s;
	r->conn = c;
	r->method = method;
	r->path = strdup(url);
	r->params = json_object();
	clock_gettime(CLOCK_MONOTONIC, &r->start);
	if (!r->path || !r->params) {
		free(r->path);
		json_decref(r->params);
		free(r);
		return NULL;
	}
	atomic_fetch_add(&s->active, 1);
	return r;
}

static void req_free(struct otkd_req *r)
{
	if (r->pp)
		MHD_destroy_post_processor(r->pp);
	for (size_t i = 0; i < OTKD_MAX_ARGS; i++)
		free(r->args[i]);
	json_decref(r->params);
	free(r->raw);
	free(r->file);
	free(r->file_field);
	free(r->file_name);
	free(r->path);
	atomic_fetch_sub(&r->srv->active, 1);
	free(r);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
				  const char *method, const char *version,
				  const char *upload_data, size_t *upload_data_size, void **con_cls)
{
	(void)version;
	struct otkd_server *s = cls;
	struct otkd_req *r = *con_cls;
	if (!r) {
		r = req_new(s, c, url, method);
		if (!r)
			return MHD_NO;
		*con_cls = r;
		const char *ct = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_TYPE);
		bool multipart = ctype_is(ct, "multipart/form-data");
		r->body_max = multipart ? s->cfg.max_upload + 65536 : s->cfg.max_body;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl && strtoull(cl, NULL, 10) > r->body_max) {
			/* Refused before a byte of the body is read. */
			return otkd_reply_error(r, 413, "request body of %s bytes is over the limit of "
						"%zu bytes", cl, r->body_max);
		}
		if (multipart || ctype_is(ct, "application/x-www-form-urlencoded"))
			r->pp = MHD_create_post_processor(c, 16384, on_field, r);
		else
			r->is_json = ctype_is(ct, "application/json");
		return MHD_YES;
	}
	if (r->answered)
		return MHD_YES;
	if (*upload_data_size) {
		size_t n = *upload_data_size;
		*upload_data_size = 0;
		r->body_len += n;
		if (r->body_status)
			return MHD_YES;
		if (r->body_len > r->body_max) {
			r->body_status = 413;
			snprintf(r->body_err, sizeof r->body_err, "request body over the limit of %zu "
				 "bytes", r->body_max);
			return MHD_YES;
		}
		if (r->pp)
			return MHD_post_process(r->pp, upload_data, n) == MHD_YES ? MHD_YES : MHD_NO;
		if (!r->is_json)
			return MHD_YES; /* a body nobody reads: counted, dropped */
		char *p = realloc(r->raw, r->raw_len + n + 1);
		if (!p)
			return MHD_NO;
		r->raw = p;
		memcpy(r->raw + r->raw_len, upload_data, n);
		r->raw_len += n;
		return MHD_YES;
	}
	/* The whole request is here. */
	if (r->body_status)
		return otkd_reply_error(r, r->body_status, "%s", r->body_err);
	if (r->is_json && r->raw_len) {
		char err[256];
		json_t *body = otkd_params_from_json(r->raw, r->raw_len, err, sizeof err);
		if (!body)
			return otkd_reply_error(r, 400, "%s", err);
		json_decref(r->params);
		r->params = body;
	}
	MHD_get_connection_values(c, MHD_GET_ARGUMENT_KIND, on_query, r);
	if (r->body_status)
		return otkd_reply_error(r, r->body_status, "%s", r->body_err);
	return otkd_route(r);
}

static void log_line(struct otkd_server *s, struct otkd_req *r,
		     enum MHD_RequestTerminationCode toe)
{
	struct timespec end;
	clock_gettime(CLOCK_MONOTONIC, &end);
	double ms = (double)(end.tv_sec - r->start.tv_sec) * 1e3 +
		    (double)(end.tv_nsec - r->start.tv_nsec) / 1e6;
	char when[32], addr[INET6_ADDRSTRLEN] = "";
	otkd_iso_time((int64_t)time(NULL), when);
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	if (ci && ci->client_addr) {
		const struct sockaddr *sa = ci->client_addr;
		if (sa->sa_family == AF_INET)
			inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr,
				  addr, sizeof addr);
		else if (sa->sa_family == AF_INET6)
			inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr,
				  addr, sizeof addr);
	}
	/* The path only: query strings may carry access tokens. */
	json_t *o = json_pack("{s:s,s:s,s:s,s:s,s:i,s:I,s:I,s:f,s:s}", "time", when, "remote", addr,
			      "method", r->method, "path", r->path, "status", (int)r->status,
			      "bytes_in", (json_int_t)r->body_len, "bytes_out",
			      (json_int_t)r->bytes_out, "ms", ms, "route",
			      r->route ? r->route : "");
	if (o && r->authed)
		json_object_set_new(o, "user_id", json_integer(r->token.user_id));
	if (o && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
		json_object_set_new(o, "aborted", json_true());
	char *line = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (line) {
		pthread_mutex_lock(&s->log_mu);
		fprintf(s->log, "%s\n", line);
		fflush(s->log);
		pthread_mutex_unlock(&s->log_mu);
		free(line);
	}
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	(void)c;
	struct otkd_req *r = *con_cls;
	if (!r)
		return;
	log_line(cls, r, toe);
	req_free(r);
	*con_cls = NULL;
}

/* --- the daemon -------------------------------------------------------------- */

static int parse_listen(const char *spec, struct sockaddr_storage *ss, bool *v6)
{
	char host[128];
	const char *colon = strrchr(spec, ':');
	if (!colon || (size_t)(colon - spec) >= sizeof host)
		return OTK_EINVAL;
	memcpy(host, spec, (size_t)(colon - spec));
	host[colon - spec] = '\0';
	char *end;
	unsigned long port = strtoul(colon + 1, &end, 10);
	if (*end || colon[1] == '\0' || port > 65535)
		return OTK_EINVAL;
	memset(ss, 0, sizeof *ss);
	size_t hl = strlen(host);
	if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
		host[hl - 1] = '\0';
		struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
		a->sin6_family = AF_INET6;
		a->sin6_port = htons((uint16_t)port);
		*v6 = true;
		return inet_pton(AF_INET6, host + 1, &a->sin6_addr) == 1 ? OTK_OK : OTK_EINVAL;
	}
	struct sockaddr_in *a = (struct sockaddr_in *)ss;
	a->sin_family = AF_INET;
	a->sin_port = htons((uint16_t)port);
	*v6 = false;
	return inet_pton(AF_INET, host, &a->sin_addr) == 1 ? OTK_OK : OTK_EINVAL;
}

static char *read_text(const char *path)
{
	uint8_t *buf;
	size_t len;
	if (otk_file_read(path, 1u << 20, &buf, &len) != OTK_OK)
		return NULL;
	char *s = realloc(buf, len + 1);
	if (!s) {
		free(buf);
		return NULL;
	}
	s[len] = '\0';
	return s;
}

int otkd_server_start(struct otkd_server *s, char *msg, size_t msglen)
{
	struct sockaddr_storage ss;
	bool v6 = false;
	if (parse_listen(s->cfg.listen, &ss, &v6) != OTK_OK) {
		snprintf(msg, msglen, "--listen %s: expected ADDR:PORT (e.g. 127.0.0.1:8080 or "
			 "[::1]:8080)", s->cfg.listen);
		return OTK_EINVAL;
	}
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG;
	if (v6)
		flags |= MHD_USE_IPv6;
	char *cert = NULL, *key = NULL;
	if (s->cfg.cert || s->cfg.key) {
		if (!s->cfg.cert || !s->cfg.key) {
			snprintf(msg, msglen, "HTTPS needs both --cert and --key");
			return OTK_EINVAL;
		}
		cert = read_text(s->cfg.cert);
		key = read_text(s->cfg.key);
		if (!cert || !key) {
			snprintf(msg, msglen, "%s: cannot read", !cert ? s->cfg.cert : s->cfg.key);
			free(cert);
			free(key);
			return OTK_EIO;
		}
		flags |= MHD_USE_TLS;
	}
	struct MHD_OptionItem tls[] = {
		{ MHD_OPTION_HTTPS_MEM_CERT, 0, cert },
		{ MHD_OPTION_HTTPS_MEM_KEY, 0, key },
		{ MHD_OPTION_END, 0, NULL },
	};
	s->mhd = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s,
				  MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&ss,
				  MHD_OPTION_THREAD_POOL_SIZE, s->cfg.threads,
				  MHD_OPTION_CONNECTION_TIMEOUT, s->cfg.timeout_s,
				  MHD_OPTION_CONNECTION_LIMIT, s->cfg.max_connections,
				  MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)64 * 1024,
				  MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
				  MHD_OPTION_ARRAY, cert ? tls : tls + 2,
				  MHD_OPTION_END);
	free(cert);
	free(key);
	if (!s->mhd) {
		snprintf(msg, msglen, "cannot listen on %s: %s", s->cfg.listen,
			 errno ? strerror(errno) : "libmicrohttpd refused the options");
		return OTK_EIO;
	}
	const union MHD_DaemonInfo *di = MHD_get_daemon_info(s->mhd, MHD_DAEMON_INFO_BIND_PORT);
	unsigned port = di ? di->port : 0;
	fprintf(stderr, "otakitd: listening on %s://%s port %u\n", cert ? "https" : "http",
		s->cfg.listen, port);
	if (s->cfg.port_file) {
		char text[16];
		int n = snprintf(text, sizeof text, "%u\n", port);
		if (otk_file_write(s->cfg.port_file, text, (size_t)n, true) != OTK_OK) {
			snprintf(msg, msglen, "%s: cannot write", s->cfg.port_file);
			MHD_stop_daemon(s->mhd);
			s->mhd = NULL;
			return OTK_EIO;
		}
	}
	return OTK_OK;
}

void otkd_server_stop(struct otkd_server *s, unsigned grace_s)
{
	if (!s->mhd)
		return;
	MHD_socket ls = MHD_quiesce_daemon(s->mhd);
	/* Requests in flight finish; new connections are refused. */
	for (unsigned i = 0; i < grace_s * 20 && atomic_load(&s->active) > 0; i++)
		usleep(50 * 1000);
	MHD_stop_daemon(s->mhd);
	if (ls != MHD_INVALID_SOCKET)
		close(ls);
	s->mhd = NULL;
}
