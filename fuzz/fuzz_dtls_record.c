/*
 * libFuzzer target: DTLS records arriving at an established server session
 * (record headers, CID records, CCM-8 authentication, replay window,
 * alerts, application data), and the stateless CID peek otakitd routes by.
 * The session comes from a fixed saved state, so seeds encrypted under its
 * keys reach the decrypted paths.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "otk/dtls.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void sink(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	(void)d;
	(void)n;
}

/* A saved server session: CID 0x01..0x08, keys 0x11.., 0x22.., ivs 0x33.., 0x44... */
static size_t saved(uint8_t *b)
{
	size_t n = 0;
	memcpy(b, "OTKD\1\1\0\1\x08", 9);
	n = 9;
	for (int i = 1; i <= 8; i++)
		b[n++] = (uint8_t)i;
	b[n++] = 0;                   /* peer CID: empty */
	memcpy(b + n, "\0\1\0\1", 4); /* read and write epoch 1 */
	n += 4;
	memset(b + n, 0x11, 16);      /* read key, iv */
	memset(b + n + 16, 0x33, 4);
	memset(b + n + 20, 0x22, 16); /* write key, iv */
	memset(b + n + 36, 0x44, 4);
	n += 40;
	memset(b + n, 0, 8 + 1 + 16);
	n += 8 + 1 + 16;
	b[n++] = 0;
	b[n++] = 0;                   /* no peer key */
	return n;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *key;
	uint8_t b[256], cid[OTK_DTLS_CID_LEN];

	if (!key)
		key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	struct otk_dtls_config cfg = { .own_key = key };
	struct otk_dtls *s = otk_dtls_load(&cfg, b, saved(b));
	struct otk_dtls_io io = { sink, sink, NULL };

	if (!s)
		abort();
	otk_dtls_record_cid(data, size, cid);
	/* twice: the second time every record is a replay */
	otk_dtls_input(s, data, size, 0, &io);
	otk_dtls_input(s, data, size, 0, &io);
	otk_dtls_free(s);
	return 0;
}
