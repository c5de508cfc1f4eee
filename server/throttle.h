/*
 * Failed-login throttle: after `limit` failed password grants for one user
 * name within `window_s` seconds, further attempts for that name are
 * refused (429) until the window has passed, so passwords cannot be tried
 * at the speed of the network.  A fixed table of recent names (the oldest
 * entry is reused), one mutex.
 */
#ifndef OTKD_THROTTLE_H
#define OTKD_THROTTLE_H

#include <stdbool.h>
#include <stdint.h>

struct otkd_throttle;

struct otkd_throttle *otkd_throttle_new(unsigned limit, unsigned window_s);
void otkd_throttle_free(struct otkd_throttle *t);
/* True when name may try now. */
bool otkd_throttle_allows(struct otkd_throttle *t, const char *name, int64_t now);
void otkd_throttle_failed(struct otkd_throttle *t, const char *name, int64_t now);
void otkd_throttle_succeeded(struct otkd_throttle *t, const char *name);

#endif
