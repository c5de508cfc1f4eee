/*
 * libFuzzer target: the client's handshake parsers.  The first byte picks
 * what the rest is: 0 a whole datagram answering the ClientHello
 * (HelloVerifyRequest, ServerHello or anything), 1 a ServerHello body,
 * 2 a ServerKeyExchange body after a valid ServerHello, 3 a
 * CertificateRequest body and 4 a ServerHelloDone body after a valid
 * ServerKeyExchange (signed here with the pinned key over this run's
 * randoms), 5 a server Certificate body (RFC 7250 mode) after ServerHello.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dtls_fuzz_util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ServerHello: DTLS 1.2, random 0x5a.., no session id, CCM-8, cert types RPK, CID 8 bytes. */
static size_t server_hello(uint8_t *b)
{
	size_t n = 0;
	b[n++] = 0xfe;
	b[n++] = 0xfd;
	memset(b + n, 0x5a, 32);
	n += 32;
	b[n++] = 0;
	b[n++] = 0xc0;
	b[n++] = 0xae;
	b[n++] = 0;
	static const uint8_t ext[] = { 0, 23, 0, 19, 0, 1, 2, 0, 20, 0, 1, 2, 0, 254, 0, 9, 8,
				       1, 2, 3, 4, 5, 6, 7, 8 };
	memcpy(b + n, ext, sizeof(ext));
	return n + sizeof(ext);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static EVP_PKEY *skey, *ckey, *eph;
	static uint8_t pub[200];
	static size_t pl;
	uint8_t hello[1502], m[4200], sh[80], ske[300];

	if (!skey) {
		skey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		ckey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		eph = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		pl = otk_dtls_spki(skey, pub, sizeof(pub));
	}
	if (size < 1 || size - 1 > 4096)
		return 0;
	uint8_t sel = data[0] % 6;
	struct otk_dtls_config cfg = { .mode = sel == 5 ? OTK_DTLS_RFC7250 : OTK_DTLS_PARTICLE,
				       .own_key = ckey, .peer_spki = pub, .peer_spki_len = pl,
				       .client_cid = true };
	struct otk_dtls *c = otk_dtls_client_new(&cfg);
	struct otk_dtls_io io = { fz_sink, NULL, hello };
	if (!c || otk_dtls_start(c, 0, &io))
		abort();
	if (sel == 0) {
		otk_dtls_input(c, data + 1, size - 1, 0, &io);
	} else if (sel == 1) {
		otk_dtls_input(c, m, fz_hs(m, 2, 0, data + 1, size - 1), 0, &io);
	} else {
		size_t shl = server_hello(sh);
		otk_dtls_input(c, m, fz_hs(m, 2, 0, sh, shl), 0, &io);
		if (sel == 5) {
			otk_dtls_input(c, m, fz_hs(m, 11, 1, data + 1, size - 1), 0, &io);
		} else if (sel == 2) {
			otk_dtls_input(c, m, fz_hs(m, 12, 1, data + 1, size - 1), 0, &io);
		} else {
			/* a valid ServerKeyExchange over client random (from our hello) and 0x5a.. */
			uint8_t tbs[64 + 69];
			memcpy(tbs, hello + 2 + 13 + 12 + 2, 32);
			memset(tbs + 32, 0x5a, 32);
			tbs[64] = 3;
			tbs[65] = 0;
			tbs[66] = 23;
			fz_point(eph, tbs + 67);
			size_t sl = 100;
			EVP_MD_CTX *md = EVP_MD_CTX_new();
			if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, skey) != 1 ||
			    EVP_DigestSign(md, ske + 73, &sl, tbs, sizeof(tbs)) != 1)
				abort();
			EVP_MD_CTX_free(md);
			memcpy(ske, tbs + 64, 69);
			ske[69] = 4;
			ske[70] = 3;
			ske[71] = (uint8_t)(sl >> 8);
			ske[72] = (uint8_t)sl;
			otk_dtls_input(c, m, fz_hs(m, 12, 1, ske, 73 + sl), 0, &io);
			if (sel == 4)
				otk_dtls_input(c, m, fz_hs(m, 13, 2, (const uint8_t *)"\1\x40\0\2\4\3\0\0", 8),
					       0, &io);
			otk_dtls_input(c, m, fz_hs(m, sel == 3 ? 13 : 14, sel == 3 ? 2 : 3, data + 1,
						   size - 1), 0, &io);
		}
	}
	otk_dtls_free(c);
	return 0;
}
