/* Helpers for the DTLS handshake fuzz targets: keys and hand-made messages. */
#ifndef OTK_DTLS_FUZZ_UTIL_H
#define OTK_DTLS_FUZZ_UTIL_H

#include <stdint.h>
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>

#include "otk/dtls.h"

static inline void fz_sink(void *ctx, const uint8_t *d, size_t n)
{
	uint8_t *last = ctx;
	if (last && n <= 1500) {
		memcpy(last + 2, d, n);
		last[0] = (uint8_t)(n >> 8);
		last[1] = (uint8_t)n;
	}
}

/* One epoch-0 record holding one whole handshake message. */
static inline size_t fz_hs(uint8_t *out, uint8_t type, uint16_t seq, const uint8_t *body, size_t len)
{
	static const uint8_t rec[] = { 22, 0xfe, 0xfd, 0, 0, 0, 0, 0, 0, 0, 9 };
	memcpy(out, rec, sizeof(rec));
	out[11] = (uint8_t)((len + 12) >> 8);
	out[12] = (uint8_t)(len + 12);
	uint8_t *h = out + 13;
	h[0] = type;
	h[1] = (uint8_t)(len >> 16);
	h[2] = (uint8_t)(len >> 8);
	h[3] = (uint8_t)len;
	h[4] = (uint8_t)(seq >> 8);
	h[5] = (uint8_t)seq;
	memset(h + 6, 0, 3);
	memcpy(h + 9, h + 1, 3);
	if (len)
		memcpy(h + 12, body, len);
	return 13 + 12 + len;
}

/* Certificate body with a raw public key. */
static inline size_t fz_cert(EVP_PKEY *k, uint8_t *out)
{
	size_t n = otk_dtls_spki(k, out + 3, 200);
	out[0] = 0;
	out[1] = (uint8_t)(n >> 8);
	out[2] = (uint8_t)n;
	return n + 3;
}

/* The uncompressed point of a key, after its length byte (ClientKeyExchange body). */
static inline size_t fz_point(EVP_PKEY *k, uint8_t *out)
{
	size_t n = 0;
	EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out + 1, 65, &n);
	out[0] = (uint8_t)n;
	return n + 1;
}

#endif
