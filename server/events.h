/*
 * Server-Sent Event streams.  An in-memory bus: publishers (the API now,
 * devices with the device protocol) hand it events; each open stream is a
 * subscriber with a filter (a user's events or a product's, a name prefix)
 * and a bounded queue of text already in SSE form.  A stream with nothing
 * to send suspends its connection; a publish resumes it.  Events are not
 * stored: a client that is not connected misses them, as with Particle.
 */
#ifndef OTKD_EVENTS_H
#define OTKD_EVENTS_H

#include <stdbool.h>
#include <stdint.h>

#include <microhttpd.h>

#define OTKD_EVENT_NAME_MAX 64
#define OTKD_EVENT_DATA_MAX 1024
#define OTKD_SUB_QUEUE_MAX (256u * 1024u)   /* bytes waiting per stream */

struct otkd_bus;

struct otkd_event {
	const char *name;
	const char *data;          /* may be NULL */
	unsigned ttl;
	bool is_private;
	const char *coreid;        /* "api" for events published through the API */
	int64_t user_id;           /* whose event (0: none) */
	int64_t product_id;        /* which product's (0: none) */
};

/* NULL when out of memory.  Starts a thread that keeps streams alive. */
struct otkd_bus *otkd_bus_new(unsigned keepalive_s);
/* Ends every stream (they finish their response) and stops the thread;
 * the daemon may stop after this.  otkd_bus_free() once it has. */
void otkd_bus_shutdown(struct otkd_bus *b);
void otkd_bus_free(struct otkd_bus *b);

void otkd_bus_publish(struct otkd_bus *b, const struct otkd_event *e);

/* A response streaming the events for user_id (product_id 0) or for
 * product_id, whose names start with prefix (NULL or "": all). */
struct MHD_Response *otkd_bus_stream(struct otkd_bus *b, struct MHD_Connection *c,
				     int64_t user_id, int64_t product_id, const char *prefix);

/* Streams open now (for tests and the log). */
unsigned otkd_bus_streams(struct otkd_bus *b);

#endif
