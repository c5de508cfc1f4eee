#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "throttle.h"

#define SLOTS 512
#define NAME_MAX_LEN 128

struct slot {
	char name[NAME_MAX_LEN];
	unsigned failures;
	int64_t first;             /* start of the window */
};

struct otkd_throttle {
	pthread_mutex_t mu;
	unsigned limit, window_s;
	struct slot s[SLOTS];
};

struct otkd_throttle *otkd_throttle_new(unsigned limit, unsigned window_s)
{
	struct otkd_throttle *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	pthread_mutex_init(&t->mu, NULL);
	t->limit = limit;
	t->window_s = window_s;
	return t;
}

void otkd_throttle_free(struct otkd_throttle *t)
{
	if (!t)
		return;
	pthread_mutex_destroy(&t->mu);
	free(t);
}

/* The slot of name, or NULL; with create, a new one in the oldest slot. */
static struct slot *find(struct otkd_throttle *t, const char *name, bool create)
{
	struct slot *oldest = &t->s[0];
	for (size_t i = 0; i < SLOTS; i++) {
		if (t->s[i].name[0] && strncmp(t->s[i].name, name, NAME_MAX_LEN - 1) == 0)
			return &t->s[i];
		if (!t->s[i].name[0] || t->s[i].first < oldest->first)
			oldest = &t->s[i];
	}
	if (!create)
		return NULL;
	memset(oldest, 0, sizeof *oldest);
	strncpy(oldest->name, name, NAME_MAX_LEN - 1);
	return oldest;
}

bool otkd_throttle_allows(struct otkd_throttle *t, const char *name, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	struct slot *s = find(t, name, false);
	bool ok = !s || s->failures < t->limit || now - s->first >= (int64_t)t->window_s;
	pthread_mutex_unlock(&t->mu);
	return ok;
}

void otkd_throttle_failed(struct otkd_throttle *t, const char *name, int64_t now)
{
	pthread_mutex_lock(&t->mu);
	struct slot *s = find(t, name, true);
	if (now - s->first >= (int64_t)t->window_s) {
		s->first = now;
		s->failures = 0;
	}
	s->failures++;
	pthread_mutex_unlock(&t->mu);
}

void otkd_throttle_succeeded(struct otkd_throttle *t, const char *name)
{
	pthread_mutex_lock(&t->mu);
	struct slot *s = find(t, name, false);
	if (s)
		memset(s, 0, sizeof *s);
	pthread_mutex_unlock(&t->mu);
}
