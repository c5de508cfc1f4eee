/* libFuzzer target: the CoAP parser, option walk, block options, and the dedup layer. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct otk_coap_msg m;
	struct otk_coap_opt_iter it;
	struct otk_coap_opt o;
	struct otk_coap_block b;
	struct otk_coap_rel rel;
	uint8_t reply[OTK_COAP_REL_REPLY_MAX], out[1280];
	char path[256];
	size_t rl;
	uint32_t v;

	if (otk_coap_parse(data, size, &m) != 0)
		return 0;
	/* Re-encode what was parsed: it must parse again to the same options. */
	struct otk_coap_writer w;
	otk_coap_begin(&w, out, sizeof(out), m.type, m.code, m.mid, m.token, m.token_len);
	otk_coap_opt_iter_init(&m, &it);
	while (otk_coap_opt_next(&it, &o)) {
		otk_coap_opt_uint(&o, &v);
		if (o.num == OTK_COAP_OPT_BLOCK1 || o.num == OTK_COAP_OPT_BLOCK2)
			otk_coap_block_decode(&o, &b);
		otk_coap_add_opt(&w, o.num, o.val, o.len);
	}
	otk_coap_set_payload(&w, m.payload, m.payload_len);
	int n = otk_coap_finish(&w);
	if (n >= 0) {
		struct otk_coap_msg m2;
		if (otk_coap_parse(out, (size_t)n, &m2) != 0 || m2.opts_len != m.opts_len ||
		    memcmp(m2.opts, m.opts, m.opts_len) != 0 || m2.payload_len != m.payload_len)
			abort();
	}
	otk_coap_uri_path(&m, path, sizeof(path));
	otk_coap_rel_init(&rel, 1);
	otk_coap_rel_rx(&rel, &m, 0, reply, sizeof(reply), &rl);
	otk_coap_rel_rx(&rel, &m, 1, reply, sizeof(reply), &rl);
	return 0;
}
