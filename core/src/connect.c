/* The device's connect sequence after the handshake (otk/cloud.h, spec 06). */
#include "otk/cloud.h"
#include "otk/error.h"

void otk_connect_init(struct otk_connect *c, struct otk_coap_rel *rel)
{
	c->rel = rel;
	c->state = OTK_CONNECT_IDLE;
	c->flags = 0;
	c->mid = 0;
	c->token = 0;
	c->refused_code = 0;
}

static int request(struct otk_connect *c, const char *path, const uint8_t *query,
		   const void *payload, size_t len, uint8_t *buf, size_t cap)
{
	struct otk_coap_writer w;
	c->mid = otk_coap_rel_next_mid(c->rel);
	c->token++;
	otk_coap_begin(&w, buf, cap, OTK_COAP_CON, OTK_COAP_POST, c->mid, &c->token, 1);
	otk_coap_add_path(&w, path);
	if (query)
		otk_coap_add_opt(&w, OTK_COAP_OPT_URI_QUERY, query, 1);
	otk_coap_set_payload(&w, payload, len);
	return otk_coap_finish(&w);
}

int otk_connect_hello(struct otk_connect *c, const struct otk_hello *h, uint8_t *buf, size_t cap)
{
	uint8_t p[OTK_HELLO_LEN];
	int n = otk_hello_write(h, p, sizeof(p));
	if (n < 0)
		return n;
	c->flags = h->flags;
	c->state = OTK_CONNECT_HELLO;
	return request(c, "h", NULL, p, (size_t)n, buf, cap);
}

int otk_connect_acked(struct otk_connect *c, const struct otk_coap_msg *ack,
		      const char *describe, size_t dlen, uint8_t *buf, size_t cap)
{
	static const uint8_t system_flag = 1;
	if (ack->mid != c->mid ||
	    (c->state != OTK_CONNECT_HELLO && c->state != OTK_CONNECT_DESCRIBE))
		return 0;
	if (ack->type == OTK_COAP_RST || OTK_COAP_CODE_CLASS(ack->code) >= 4) {
		c->refused_code = ack->type == OTK_COAP_RST ? 0 : ack->code;
		c->state = OTK_CONNECT_REFUSED;
		return 0;
	}
	if (c->state == OTK_CONNECT_HELLO && (c->flags & OTK_HELLO_DEVICE_DESCRIBE)) {
		c->state = OTK_CONNECT_DESCRIBE;
		return request(c, "d", &system_flag, describe, dlen, buf, cap);
	}
	c->state = OTK_CONNECT_READY;
	return 0;
}
