/* The device and server key slots of the DCT (otk/dct.h). */
#include <string.h>

#include "otk/dct.h"
#include "otk/error.h"

size_t otk_dct_der_length(const uint8_t *slot, size_t cap)
{
	if (cap < 2 || slot[0] != 0x30)
		return 0;
	size_t len, hdr;
	if (slot[1] < 0x80) {
		len = slot[1];
		hdr = 2;
	} else if (slot[1] == 0x81 && cap >= 3) {
		len = slot[2];
		hdr = 3;
	} else if (slot[1] == 0x82 && cap >= 4) {
		len = (size_t)slot[2] << 8 | slot[3];
		hdr = 4;
	} else {
		return 0;
	}
	return len <= cap - hdr ? hdr + len : 0;
}

void otk_dct_server_read(const uint8_t *slot, struct otk_dct_server *out)
{
	const uint8_t *a = slot + OTK_DCT_SERVER_ADDR_OFFSET;
	const uint8_t *p = slot + OTK_DCT_SERVER_PORT_OFFSET;
	size_t room = OTK_DCT_SERVER_PORT_OFFSET - OTK_DCT_SERVER_ADDR_OFFSET - 2;
	memset(out->host, 0, sizeof out->host);
	out->port = (uint16_t)(p[0] << 8 | p[1]);
	if (out->port == 0xFFFF || out->port == 0)
		out->port = OTK_DCT_DEFAULT_PORT;
	if (a[0] == OTK_DCT_ADDR_IPV4 && a[1] == 4) {
		char *o = out->host;
		for (int i = 0; i < 4; i++) {
			unsigned v = a[2 + i];
			if (v >= 100)
				*o++ = (char)('0' + v / 100);
			if (v >= 10)
				*o++ = (char)('0' + v / 10 % 10);
			*o++ = (char)('0' + v % 10);
			if (i < 3)
				*o++ = '.';
		}
	} else if (a[0] == OTK_DCT_ADDR_NAME && a[1] > 0 && a[1] <= room &&
		   a[1] <= OTK_DCT_HOST_MAX) {
		for (size_t i = 0; i < a[1]; i++) {
			if (a[2 + i] <= ' ' || a[2 + i] >= 0x7f) {
				memset(out->host, 0, sizeof out->host);
				return;
			}
			out->host[i] = (char)a[2 + i];
		}
	}
}

/*
 * particle-cli treats any string of digits and dots as an IPv4 address;
 * here it must also be one (four numbers up to 255), else *bad is set.
 */
static bool parse_ipv4(const char *s, uint8_t out[4], bool *bad)
{
	*bad = false;
	for (const char *c = s; *c; c++)
		if (!(*c == '.' || (*c >= '0' && *c <= '9')))
			return false;
	for (int i = 0; i < 4; i++) {
		unsigned v = 0, digits = 0;
		while (*s >= '0' && *s <= '9' && digits < 4) {
			v = v * 10 + (unsigned)(*s++ - '0');
			digits++;
		}
		if (digits == 0 || v > 255 || *s != (i < 3 ? '.' : 0)) {
			*bad = true;
			return false;
		}
		out[i] = (uint8_t)v;
		if (i < 3)
			s++;
	}
	return true;
}

int otk_dct_server_format(uint8_t slot[OTK_DCT_SERVER_KEY_SIZE], const uint8_t *der,
			  size_t der_len, const char *host, uint16_t port)
{
	size_t hl = 0;
	while (hl <= OTK_DCT_HOST_MAX && host[hl])
		hl++;
	uint8_t ip[4];
	bool bad;
	if (der_len > OTK_DCT_SERVER_ADDR_OFFSET || hl == 0 || hl > OTK_DCT_HOST_MAX)
		return OTK_EINVAL;
	memset(slot, 0xFF, OTK_DCT_SERVER_KEY_SIZE);
	memcpy(slot, der, der_len);
	uint8_t *a = slot + OTK_DCT_SERVER_ADDR_OFFSET;
	if (parse_ipv4(host, ip, &bad)) {
		a[0] = OTK_DCT_ADDR_IPV4;
		a[1] = 4;
		memcpy(a + 2, ip, 4);
	} else if (bad) {
		return OTK_EINVAL;
	} else {
		a[0] = OTK_DCT_ADDR_NAME;
		a[1] = (uint8_t)hl;
		memcpy(a + 2, host, hl);
	}
	if (port) {
		slot[OTK_DCT_SERVER_PORT_OFFSET] = (uint8_t)(port >> 8);
		slot[OTK_DCT_SERVER_PORT_OFFSET + 1] = (uint8_t)port;
	}
	return OTK_OK;
}
