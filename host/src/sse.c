/* Server-Sent Events parser (see otk/sse.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/sse.h"

void otk_sse_init(struct otk_sse *s, otk_sse_event_fn fn, void *ctx)
{
	memset(s, 0, sizeof *s);
	s->fn = fn;
	s->ctx = ctx;
}

void otk_sse_deinit(struct otk_sse *s)
{
	free(s->line);
	free(s->data);
	memset(s, 0, sizeof *s);
}

/* Appends n bytes to a NUL-terminated buffer of at most OTK_SSE_MAX bytes. */
static int append(char **buf, size_t *len, size_t *cap, const char *p, size_t n)
{
	if (n > OTK_SSE_MAX - *len)
		return OTK_ETOOBIG;
	if (*len + n + 1 > *cap) {
		size_t c = *cap ? *cap : 256;
		while (c < *len + n + 1)
			c *= 2;
		char *b = realloc(*buf, c);
		if (!b)
			return OTK_ENOMEM;
		*buf = b;
		*cap = c;
	}
	memcpy(*buf + *len, p, n);
	*len += n;
	(*buf)[*len] = 0;
	return OTK_OK;
}

/* One complete line, without its end of line, NUL-terminated. */
static int line(struct otk_sse *s, char *l, size_t n)
{
	if (n == 0) {
		/* a blank line dispatches the event, if there is one */
		int rc = OTK_OK;
		if (s->has_data || *s->event) {
			if (s->fn(s->ctx, *s->event ? s->event : "message", s->data ? s->data : ""))
				rc = 1;
		}
		s->data_len = 0;
		if (s->data)
			s->data[0] = 0;
		s->has_data = false;
		s->event[0] = 0;
		return rc;
	}
	if (l[0] == ':')
		return OTK_OK;
	size_t f = strcspn(l, ":");
	const char *value = l + f;
	if (*value == ':')
		value++;
	if (*value == ' ')
		value++;
	l[f] = 0;
	if (strcmp(l, "event") == 0) {
		snprintf(s->event, sizeof s->event, "%s", value);
	} else if (strcmp(l, "data") == 0) {
		if (s->has_data) {
			int rc = append(&s->data, &s->data_len, &s->data_cap, "\n", 1);
			if (rc < 0)
				return rc;
		}
		s->has_data = true;
		return append(&s->data, &s->data_len, &s->data_cap, value, strlen(value));
	}
	return OTK_OK;
}

int otk_sse_feed(struct otk_sse *s, const char *p, size_t n)
{
	while (n > 0) {
		if (s->stopped)
			return 1;
		const char *nl = memchr(p, '\n', n);
		size_t take = nl ? (size_t)(nl - p) : n;
		int rc = append(&s->line, &s->line_len, &s->line_cap, p, take);
		if (rc < 0)
			return rc;
		if (!nl)
			return OTK_OK;
		p += take + 1;
		n -= take + 1;
		size_t l = s->line_len;
		if (l && s->line[l - 1] == '\r')
			l--;
		s->line[l] = 0;
		s->line_len = 0;
		/* a NUL inside a line ends it early: the callback sees C strings */
		rc = line(s, s->line, strlen(s->line));
		if (rc < 0)
			return rc;
		if (rc == 1)
			s->stopped = true;
	}
	return s->stopped ? 1 : OTK_OK;
}
