#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "api.h"
#include "events.h"

struct sub {
	struct sub *next;
	struct otkd_bus *bus;
	struct MHD_Connection *conn;
	int64_t user_id, product_id;
	char prefix[OTKD_EVENT_NAME_MAX + 1];
	char *buf;                 /* SSE text waiting to be sent */
	size_t len, cap;
	bool suspended;
	bool ended;
};

struct otkd_bus {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct sub *subs;
	unsigned nsubs;
	bool stopping;
	pthread_t keepalive;
	bool thread_started;
	unsigned keepalive_s;
};

/* Appends text to a stream's queue; a stream that falls too far behind
 * loses what does not fit (it is told with an SSE comment). */
static void push(struct sub *s, const char *text, size_t n)
{
	if (s->len + n > OTKD_SUB_QUEUE_MAX) {
		static const char lost[] = ": events dropped, the client is too slow\n\n";
		if (s->len + sizeof lost - 1 > OTKD_SUB_QUEUE_MAX)
			return;
		text = lost;
		n = sizeof lost - 1;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 4096;
		while (cap < s->len + n)
			cap *= 2;
		char *p = realloc(s->buf, cap);
		if (!p)
			return;
		s->buf = p;
		s->cap = cap;
	}
	memcpy(s->buf + s->len, text, n);
	s->len += n;
}

static void wake(struct sub *s)
{
	if (s->suspended) {
		s->suspended = false;
		MHD_resume_connection(s->conn);
	}
}

static void *keepalive_main(void *arg)
{
	struct otkd_bus *b = arg;
	pthread_mutex_lock(&b->mu);
	while (!b->stopping) {
		struct timespec until;
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += b->keepalive_s;
		int rc = 0;
		while (!b->stopping && rc != ETIMEDOUT)
			rc = pthread_cond_timedwait(&b->cv, &b->mu, &until);
		/* A comment line: keeps proxies from closing the stream and lets a
		 * dead client be noticed when the write fails. */
		for (struct sub *s = b->subs; s && !b->stopping; s = s->next) {
			push(s, ":\n", 2);
			wake(s);
		}
	}
	pthread_mutex_unlock(&b->mu);
	return NULL;
}

struct otkd_bus *otkd_bus_new(unsigned keepalive_s)
{
	struct otkd_bus *b = calloc(1, sizeof *b);
	if (!b)
		return NULL;
	pthread_mutex_init(&b->mu, NULL);
	pthread_cond_init(&b->cv, NULL);
	b->keepalive_s = keepalive_s ? keepalive_s : 15;
	if (pthread_create(&b->keepalive, NULL, keepalive_main, b) != 0) {
		otkd_bus_free(b);
		return NULL;
	}
	b->thread_started = true;
	return b;
}

void otkd_bus_shutdown(struct otkd_bus *b)
{
	pthread_mutex_lock(&b->mu);
	b->stopping = true;
	for (struct sub *s = b->subs; s; s = s->next) {
		s->ended = true;
		wake(s);
	}
	pthread_cond_broadcast(&b->cv);
	pthread_mutex_unlock(&b->mu);
	if (b->thread_started) {
		pthread_join(b->keepalive, NULL);
		b->thread_started = false;
	}
}

void otkd_bus_free(struct otkd_bus *b)
{
	if (!b)
		return;
	if (b->thread_started)
		otkd_bus_shutdown(b);
	pthread_mutex_destroy(&b->mu);
	pthread_cond_destroy(&b->cv);
	free(b);
}

unsigned otkd_bus_streams(struct otkd_bus *b)
{
	pthread_mutex_lock(&b->mu);
	unsigned n = b->nsubs;
	pthread_mutex_unlock(&b->mu);
	return n;
}

void otkd_bus_publish(struct otkd_bus *b, const struct otkd_event *e)
{
	char when[32];
	otkd_iso_time((int64_t)time(NULL), when);
	json_t *o = json_pack("{s:s?,s:i,s:s,s:s}", "data", e->data, "ttl", (int)e->ttl,
			      "published_at", when, "coreid", e->coreid);
	char *js = o ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (!js)
		return;
	char *text = NULL;
	int n = asprintf(&text, "event: %s\ndata: %s\n\n", e->name, js);
	free(js);
	if (n < 0)
		return;
	pthread_mutex_lock(&b->mu);
	for (struct sub *s = b->subs; s; s = s->next) {
		bool mine = s->product_id ? s->product_id == e->product_id
					  : (e->user_id && s->user_id == e->user_id);
		if (!mine || s->ended || strncmp(e->name, s->prefix, strlen(s->prefix)) != 0)
			continue;
		push(s, text, (size_t)n);
		wake(s);
	}
	pthread_mutex_unlock(&b->mu);
	free(text);
}

static ssize_t reader(void *cls, uint64_t pos, char *out, size_t max)
{
	(void)pos;
	struct sub *s = cls;
	struct otkd_bus *b = s->bus;
	pthread_mutex_lock(&b->mu);
	ssize_t n;
	if (s->len) {
		size_t k = s->len < max ? s->len : max;
		memcpy(out, s->buf, k);
		memmove(s->buf, s->buf + k, s->len - k);
		s->len -= k;
		n = (ssize_t)k;
	} else if (s->ended) {
		n = MHD_CONTENT_READER_END_OF_STREAM;
	} else {
		/* Nothing to send: off the event loop until a publish. */
		s->suspended = true;
		MHD_suspend_connection(s->conn);
		n = 0;
	}
	pthread_mutex_unlock(&b->mu);
	return n;
}

static void sub_free(void *cls)
{
	struct sub *s = cls;
	struct otkd_bus *b = s->bus;
	pthread_mutex_lock(&b->mu);
	for (struct sub **p = &b->subs; *p; p = &(*p)->next) {
		if (*p == s) {
			*p = s->next;
			b->nsubs--;
			break;
		}
	}
	pthread_mutex_unlock(&b->mu);
	free(s->buf);
	free(s);
}

struct MHD_Response *otkd_bus_stream(struct otkd_bus *b, struct MHD_Connection *c,
				     int64_t user_id, int64_t product_id, const char *prefix)
{
	struct sub *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->bus = b;
	s->conn = c;
	s->user_id = user_id;
	s->product_id = product_id;
	snprintf(s->prefix, sizeof s->prefix, "%s", prefix ? prefix : "");
	push(s, ":ok\n\n", 5);
	struct MHD_Response *r = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, reader,
								   s, sub_free);
	if (!r) {
		free(s->buf);
		free(s);
		return NULL;
	}
	pthread_mutex_lock(&b->mu);
	s->ended = b->stopping;
	s->next = b->subs;
	b->subs = s;
	b->nsubs++;
	pthread_mutex_unlock(&b->mu);
	return r;
}
