/*
 * libFuzzer target: the OTA v3 receiver.  The input is a sequence of CoAP
 * messages, each [le16 length][bytes], given to otk_ota3_handle() with a
 * clock that advances 50 ms a message (so the ack timer fires too); a
 * message of length 0xFFFF acknowledges the receiver's last CON.
 */
#include <stdlib.h>

#include "../tests/unit/fakeflash.h"
#include "otk/ota3.h"

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n);

int LLVMFuzzerTestOneInput(const uint8_t *d, size_t n)
{
	static struct fakeflash ff;
	static struct otk_update u;
	static uint8_t buf[1024], out[1024];
	static uint32_t map[8];
	static struct otk_device dev = { NULL, 3, ff_open, &ff };
	struct otk_coap_rel rel;
	struct otk_ota3 o;
	struct otk_ota3_out ob;
	uint16_t last_con = 0;
	if (!ff.mem)
		ff_init(&ff, 0x200000, 4096, 4);
	memset(ff.mem, 0xFF, ff.size);
	dev.layout = otk_layout_by_platform(3);
	struct otk_update_config cfg = { &dev, buf, sizeof buf, NULL, NULL, 0, NULL, 0, 0, 0, map, 256 };
	if (otk_update_init(&u, &cfg))
		return 0;
	otk_coap_rel_init(&rel, 1);
	otk_ota3_init(&o, &u, &rel);
	uint32_t now = 0;
	while (n >= 2) {
		size_t len = (size_t)(d[0] | d[1] << 8);
		d += 2;
		n -= 2;
		now += 50;
		otk_ota3_out_init(&ob, out, sizeof out);
		if (len == 0xFFFF) {
			(void)otk_ota3_acked(&o, last_con);
			continue;
		}
		if (len > n)
			len = n;
		struct otk_coap_msg m;
		if (otk_coap_parse(d, len, &m) == 0 && otk_ota3_handle(&o, &m, now, &ob) < 0)
			abort();   /* the buffer is large enough for every answer */
		for (int i = 0; i < ob.n; i++)
			if (ob.msg[i].kind == OTK_OTA3_SEND_CON)
				last_con = ob.msg[i].mid;
		otk_ota3_out_init(&ob, out, sizeof out);
		(void)otk_ota3_poll(&o, now, &ob);
		d += len;
		n -= len;
	}
	return 0;
}
