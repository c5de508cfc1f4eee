/*
 * Server-Sent Events (the text/event-stream format) cut into events, with no
 * I/O: bytes in as they arrive, in pieces of any size, events out through a
 * callback.  Lines end with LF or CRLF; "event:" names the event, "data:"
 * lines are joined with LF, a line starting with ':' is a comment (a
 * keep-alive), a blank line completes the event.  Other fields (id, retry)
 * are ignored.  An event without a name is "message".
 */
#ifndef OTK_SSE_H
#define OTK_SSE_H

#include <stdbool.h>
#include <stddef.h>

/* One event; return nonzero to stop (otk_sse_feed() then returns 1). */
typedef int (*otk_sse_event_fn)(void *ctx, const char *event, const char *data);

/* Largest line, and largest data of one event, kept. */
#define OTK_SSE_MAX (1u << 20)

struct otk_sse {
	char *line;          /* the incomplete line */
	size_t line_len, line_cap;
	char *data;          /* data lines of the current event */
	size_t data_len, data_cap;
	bool has_data;
	char event[256];     /* its name, truncated */
	otk_sse_event_fn fn;
	void *ctx;
	bool stopped;
};

void otk_sse_init(struct otk_sse *s, otk_sse_event_fn fn, void *ctx);
/*
 * Takes n more bytes of the stream.  OTK_OK, 1 when the callback asked to
 * stop (the rest is not read; later calls return 1 too), OTK_ETOOBIG for a
 * line or an event's data over OTK_SSE_MAX, OTK_ENOMEM.
 */
int otk_sse_feed(struct otk_sse *s, const char *p, size_t n);
void otk_sse_deinit(struct otk_sse *s);

#endif
