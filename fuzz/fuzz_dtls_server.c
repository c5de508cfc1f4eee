/*
 * libFuzzer target: the server's handshake parsers.  The first byte picks
 * what the rest is: 0 a whole datagram for a new session (and for the
 * stateless cookie check), 1 a Certificate body after a valid ClientHello,
 * 2 a ClientKeyExchange body after a valid Certificate, 3 a
 * CertificateVerify body after a valid ClientKeyExchange.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int any_key(void *ctx, const uint8_t *spki, size_t len)
{
	(void)ctx;
	(void)spki;
	(void)len;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *skey, *ckey;
	static uint8_t hello[1502];
	struct otk_dtls_io io = { fz_sink, NULL, NULL };
	uint8_t m[4200], reply[256];
	size_t rl;

	if (!skey) {
		skey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		ckey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		uint8_t pub[200];
		size_t pl = otk_dtls_spki(skey, pub, sizeof(pub));
		struct otk_dtls_config cc = { .own_key = ckey, .peer_spki = pub, .peer_spki_len = pl,
					      .client_cid = true };
		struct otk_dtls *c = otk_dtls_client_new(&cc);
		struct otk_dtls_io cio = { fz_sink, NULL, hello };
		if (!c || otk_dtls_start(c, 0, &cio))
			abort();
		otk_dtls_free(c);
	}
	if (size < 1 || size - 1 > 4096)
		return 0;
	struct otk_dtls_config cfg = { .own_key = skey, .lookup = any_key };
	struct otk_dtls *s = otk_dtls_server_new(&cfg);
	if (!s)
		abort();
	uint8_t sel = data[0] % 4;
	if (sel == 0) {
		otk_dtls_server_accept(&cfg, data + 1, size - 1, "a", 1, reply, sizeof(reply), &rl);
		otk_dtls_input(s, data + 1, size - 1, 0, &io);
	} else {
		otk_dtls_input(s, hello + 2, (size_t)(hello[0] << 8 | hello[1]), 0, &io);
		const uint8_t *ok[2];
		size_t okl[2];
		uint8_t cert[210], cke[70];
		okl[0] = fz_cert(ckey, cert);
		okl[1] = fz_point(ckey, cke);
		ok[0] = cert;
		ok[1] = cke;
		static const uint8_t types[] = { 11, 16, 15 };
		for (uint8_t i = 0; i + 1 < sel; i++)
			otk_dtls_input(s, m, fz_hs(m, types[i], (uint16_t)(1 + i), ok[i], okl[i]), 0, &io);
		otk_dtls_input(s, m, fz_hs(m, types[sel - 1], sel, data + 1, size - 1), 0, &io);
	}
	otk_dtls_free(s);
	return 0;
}
