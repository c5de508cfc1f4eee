/* Hello payload and the JSON system describe (spec 06). */
#include <string.h>

#include "otk/cloud.h"
#include "otk/error.h"
#include "otk/layout.h"
#include "otk/module.h"
#include "otk/textbuf.h"

_Static_assert(OTK_HELLO_LEN == 8 + 2 + OTK_DEVICE_ID_LEN + 2 + 2 + 4 + 2, "Hello layout");

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t get16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

int otk_hello_write(const struct otk_hello *h, uint8_t *out, size_t cap)
{
	if (cap < OTK_HELLO_LEN)
		return OTK_ENOSPC;
	put16(out, h->product_id);
	put16(out + 2, h->product_version);
	put16(out + 4, h->flags);
	put16(out + 6, h->platform_id);
	out[8] = 0;
	out[9] = OTK_DEVICE_ID_LEN;
	memcpy(out + 10, h->device_id, OTK_DEVICE_ID_LEN);
	put16(out + 22, h->system_version);
	put16(out + 24, h->max_message_size);
	otk_put_be32(out + 26, h->max_binary_size);
	put16(out + 30, h->ota_chunk_size);
	return OTK_HELLO_LEN;
}

int otk_hello_parse(const uint8_t *p, size_t len, struct otk_hello *h)
{
	memset(h, 0, sizeof(*h));
	/* the fixed part and the id must be there; the id is 12 bytes on every device */
	if (len < OTK_HELLO_MIN_LEN || p[8] != 0 || p[9] != OTK_DEVICE_ID_LEN)
		return OTK_ECOAP_FORMAT;
	h->product_id = get16(p);
	h->product_version = get16(p + 2);
	h->flags = get16(p + 4);
	h->platform_id = get16(p + 6);
	memcpy(h->device_id, p + 10, OTK_DEVICE_ID_LEN);
	/* later fields are optional, each whole or not at all */
	if (len >= 24)
		h->system_version = get16(p + 22);
	if (len >= 26)
		h->max_message_size = get16(p + 24);
	if (len >= 30)
		h->max_binary_size = otk_be32(p + 26);
	if (len >= 32)
		h->ota_chunk_size = get16(p + 30);
	return OTK_OK;
}

/* Letters of the describe's function field ("f"). */
static const char *func_letter(uint8_t function)
{
	switch (function) {
	case OTK_FUNC_BOOTLOADER: return "b";
	case OTK_FUNC_SYSTEM: return "s";
	case OTK_FUNC_USER: return "u";
	case OTK_FUNC_NCP: return "c";
	case OTK_FUNC_RADIO_STACK: return "a";
	case OTK_FUNC_MONO: return "m";
	case OTK_FUNC_RESOURCE: return "r";
	default: return "n";
	}
}

static void index_str(struct otk_textbuf *t, uint8_t index)
{
	otk_tb_str(t, "\"");
	otk_tb_u32(t, index);
	otk_tb_str(t, "\"");
}

static void describe_module(struct otk_textbuf *t, const struct otk_installed *m)
{
	const struct otk_prefix *p = &m->prefix;
	/* checks run: integrity, dependencies, range, platform (30); passed the same
	 * unless the dependencies are not met */
	uint32_t passed = m->deps == OTK_OK ? 30u : 26u;
	otk_tb_str(t, "{\"s\":");
	otk_tb_u32(t, p->end - p->start + OTK_CRC_SIZE);
	otk_tb_str(t, ",\"l\":\"m\",\"vc\":30,\"vv\":");
	otk_tb_u32(t, passed);
	otk_tb_str(t, ",\"f\":\"");
	otk_tb_str(t, func_letter(p->function));
	otk_tb_str(t, "\",\"n\":");
	index_str(t, p->index);
	otk_tb_str(t, ",\"v\":");
	otk_tb_u32(t, p->version);
	otk_tb_str(t, ",\"d\":[");
	bool first = true;
	for (int i = 0; i < 2; i++) {
		const struct otk_dependency *d = &p->dep[i];
		if (otk_dependency_is_none(d))
			continue;
		otk_tb_str(t, first ? "{\"f\":\"" : ",{\"f\":\"");
		otk_tb_str(t, func_letter(d->function));
		otk_tb_str(t, "\",\"n\":");
		index_str(t, d->index);
		otk_tb_str(t, ",\"v\":");
		otk_tb_u32(t, d->version);
		otk_tb_str(t, "}");
		first = false;
	}
	otk_tb_str(t, "]}");
}

int otk_describe_system_json(uint16_t platform_id, const struct otk_installed *mods, size_t n,
			     char *out, size_t cap)
{
	struct otk_textbuf t;
	otk_tb_init(&t, out, cap);
	otk_tb_str(&t, "{\"p\":");
	otk_tb_u32(&t, platform_id);
	otk_tb_str(&t, ",\"m\":[");
	bool first = true;
	for (size_t i = 0; i < n; i++) {
		const struct otk_installed *m = &mods[i];
		if (m->status != OTK_OK || (m->role != OTK_AREA_BOOTLOADER &&
					    m->role != OTK_AREA_SYSTEM && m->role != OTK_AREA_USER))
			continue;
		if (!first)
			otk_tb_str(&t, ",");
		describe_module(&t, m);
		first = false;
	}
	otk_tb_str(&t, "]}");
	return otk_tb_finish(&t);
}
