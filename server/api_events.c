/* Event streams (Server-Sent Events) and publishing through the API. */
#include <string.h>

#include "otk/error.h"

#include "api.h"
#include "events.h"
#include "params.h"

#define TTL_MAX 16777215u

/* GET /v1/events[/prefix], /v1/devices/events[/prefix]: the user's
 * events; /v1/products/:p/events[/prefix]: the product's. */
enum MHD_Result otkd_api_events_stream(struct otkd_req *r)
{
	const char *prefix = r->has_product ? r->args[1] : r->args[0];
	if (prefix && strlen(prefix) > OTKD_EVENT_NAME_MAX)
		return otkd_reply_error(r, 400, "event name prefix longer than %d characters",
					OTKD_EVENT_NAME_MAX);
	/* A product-bound token outside product paths would see its user's
	 * events of every product: it gets its product's stream only. */
	int64_t product = r->has_product ? r->product.id : r->token.product_id;
	struct MHD_Response *resp = otkd_bus_stream(r->srv->bus, r->conn, r->token.user_id,
						    product, prefix);
	if (!resp)
		return MHD_NO;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, "text/event-stream");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-cache");
	return otkd_reply_response(r, 200, resp, 0);
}

static bool event_name_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > OTKD_EVENT_NAME_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] <= ' ' || s[i] == 0x7f)
			return false;
	return true;
}

/* POST /v1/devices/events, /v1/products/:p/events {name, data, private, ttl} */
enum MHD_Result otkd_api_events_publish(struct otkd_req *r)
{
	const char *name = NULL, *data = NULL;
	if (otkd_param_str(r->params, "name", &name) != OTK_OK || !event_name_valid(name))
		return otkd_reply_error(r, 400, "name must be 1 to %d characters without spaces",
					OTKD_EVENT_NAME_MAX);
	/* The cloud's own events cannot be forged through the API. */
	if (strncmp(name, "spark", 5) == 0 || strncmp(name, "particle", 8) == 0)
		return otkd_reply_error(r, 400, "event names starting with spark or particle are "
					"reserved");
	if (otkd_param_str(r->params, "data", &data) == OTK_EINVAL)
		return otkd_reply_error(r, 400, "data must be a string");
	if (data && strlen(data) > OTKD_EVENT_DATA_MAX)
		return otkd_reply_error(r, 400, "data is longer than %d bytes", OTKD_EVENT_DATA_MAX);
	bool priv = true;
	if (otkd_param_bool(r->params, "private", &priv) == OTK_EINVAL)
		return otkd_reply_error(r, 400, "private must be true or false");
	uint64_t ttl = 60;
	if (otkd_param_uint(r->params, "ttl", TTL_MAX, &ttl) == OTK_EINVAL)
		return otkd_reply_error(r, 400, "ttl must be a number of seconds up to %u", TTL_MAX);
	struct otkd_event e = {
		.name = name,
		.data = data,
		.ttl = (unsigned)ttl,
		.is_private = priv,
		.coreid = "api",
		/* A product's event goes to its product's streams, a user's to theirs. */
		.user_id = r->has_product || r->token.product_id ? 0 : r->token.user_id,
		.product_id = r->has_product ? r->product.id : r->token.product_id,
	};
	otkd_bus_publish(r->srv->bus, &e);
	return otkd_reply_json(r, 200, json_pack("{s:b}", "ok", 1));
}
