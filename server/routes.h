/* The route table (routes.c), visible to tests that walk every route. */
#ifndef OTKD_ROUTES_H
#define OTKD_ROUTES_H

#include <stddef.h>

#include "api.h"

enum otkd_route_flags {
	OTKD_ROUTE_PUBLIC = 1u << 0,    /* no token (the handler checks its own credentials) */
	OTKD_ROUTE_PRODUCT = 1u << 1,   /* first capture is a product id or slug */
	OTKD_ROUTE_USER_ONLY = 1u << 2, /* a user's own token, not an API user's */
	OTKD_ROUTE_ADMIN = 1u << 3,     /* an administrator's own token (otakitd user add --admin) */
};

struct otkd_route {
	const char *method;
	const char *pattern;
	const char *scope;              /* needed scope, NULL when any token will do */
	unsigned flags;
	otkd_handler handler;
};

extern const struct otkd_route otkd_routes[];
extern const size_t otkd_route_count;

#endif
