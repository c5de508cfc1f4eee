/* The profile's primitives on OpenSSL 3 libcrypto: P-256 ECDH/ECDSA, AES-128-CCM-8, TLS 1.2 PRF. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>

#include <pthread.h>

#include "dtls_internal.h"
#include "otk/error.h"

/* Algorithms fetched once: an implicit fetch per operation costs more than the PRF itself. */
static EVP_KDF *prf_kdf;
static EVP_CIPHER *ccm_cipher;
static EVP_MD *sha256_md;
static EVP_MAC *hmac;
static pthread_once_t fetched = PTHREAD_ONCE_INIT;

static void fetch_all(void)
{
	prf_kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	hmac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	ccm_cipher = EVP_CIPHER_fetch(NULL, "AES-128-CCM", NULL);
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

int dtls_prf(const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
	     size_t l1, const uint8_t *seed2, size_t l2, uint8_t *out, size_t olen)
{
	uint8_t seed[128];
	size_t ll = strlen(label);
	pthread_once(&fetched, fetch_all);
	EVP_KDF_CTX *ctx = prf_kdf ? EVP_KDF_CTX_new(prf_kdf) : NULL;
	int rc = OTK_EIO;

	if (ll + l1 + l2 > sizeof(seed))
		return OTK_EINVAL;
	memcpy(seed, label, ll);
	memcpy(seed + ll, seed1, l1);
	if (l2)
		memcpy(seed + ll + l1, seed2, l2);
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_KDF_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SECRET, (void *)secret, slen),
		OSSL_PARAM_construct_octet_string(OSSL_KDF_PARAM_SEED, seed, ll + l1 + l2),
		OSSL_PARAM_construct_end(),
	};
	if (ctx && EVP_KDF_derive(ctx, out, olen, p) == 1)
		rc = OTK_OK;
	EVP_KDF_CTX_free(ctx);
	return rc;
}

EVP_PKEY *dtls_ecdh_keygen(void)
{
	return EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
}

int dtls_point(EVP_PKEY *k, uint8_t out[POINT_LEN])
{
	size_t n = 0;

	if (EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, out, POINT_LEN,
					    &n) != 1 ||
	    n != POINT_LEN)
		return OTK_EIO;
	return OTK_OK;
}

/* A public key from an uncompressed P-256 point; NULL when it is not on the curve. */
static EVP_PKEY *point_key(const uint8_t *point, size_t plen)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
	EVP_PKEY *k = NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
		OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, (void *)point, plen),
		OSSL_PARAM_construct_end(),
	};

	if (!ctx || EVP_PKEY_fromdata_init(ctx) != 1 ||
	    EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, p) != 1)
		k = NULL;
	/*
	 * Decoding the point (EC_POINT_oct2point) already refuses points off
	 * the curve; P-256 has cofactor 1, so no subgroup check is needed
	 * (test_dtls.c sends an off-curve point).
	 */
	EVP_PKEY_CTX_free(ctx);
	return k;
}

int dtls_ecdh(EVP_PKEY *mine, const uint8_t *point, size_t plen, uint8_t out[32])
{
	if (plen != POINT_LEN || point[0] != 4)
		return OTK_EDTLS_REFUSED;
	EVP_PKEY *peer = point_key(point, plen);
	EVP_PKEY_CTX *ctx = peer ? EVP_PKEY_CTX_new_from_pkey(NULL, mine, NULL) : NULL;
	size_t n = 32;
	int rc = OTK_EDTLS_REFUSED;

	if (ctx && EVP_PKEY_derive_init(ctx) == 1 && EVP_PKEY_derive_set_peer(ctx, peer) == 1 &&
	    EVP_PKEY_derive(ctx, out, &n) == 1 && n == 32)
		rc = OTK_OK;
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(peer);
	return rc;
}

int dtls_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int rc = OTK_EIO;

	pthread_once(&fetched, fetch_all);
	if (md && EVP_DigestSignInit(md, NULL, sha256_md, NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, siglen, msg, len) == 1)
		rc = OTK_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

int dtls_verify(EVP_PKEY *key, int sigalg, const uint8_t *msg, size_t len, const uint8_t *sig,
		size_t siglen)
{
	pthread_once(&fetched, fetch_all);
	const EVP_MD *h = sigalg == SIG_ECDSA_SHA256 ? sha256_md :
			  sigalg == SIG_ECDSA_SHA224 ? EVP_sha224() : NULL;
	EVP_MD_CTX *md = h ? EVP_MD_CTX_new() : NULL;
	int rc = OTK_EDTLS_REFUSED;

	if (md && EVP_DigestVerifyInit(md, NULL, h, NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg, len) == 1)
		rc = OTK_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

/*
 * The DER SubjectPublicKeyInfo of a P-256 key with an uncompressed point is
 * always this 26-byte prefix and the 65-byte point (RFC 5480).  Reading and
 * writing it directly avoids OpenSSL 3's generic decoders, which cost more
 * than the handshake's signature.  Other encodings (compressed points,
 * explicit curve parameters) are refused: devices and GnuTLS send this one.
 */
static const uint8_t spki_p256[26] = {
	0x30, 0x59, 0x30, 0x13, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07, 0x03, 0x42, 0x00,
};

EVP_PKEY *dtls_spki_key(const uint8_t *spki, size_t len)
{
	if (len != sizeof(spki_p256) + POINT_LEN || memcmp(spki, spki_p256, sizeof(spki_p256)) != 0 ||
	    spki[sizeof(spki_p256)] != 4)
		return NULL;
	return point_key(spki + sizeof(spki_p256), POINT_LEN);
}

size_t otk_dtls_spki(EVP_PKEY *key, uint8_t *out, size_t cap)
{
	char group[32];
	size_t gl;

	if (cap < sizeof(spki_p256) + POINT_LEN || EVP_PKEY_get_base_id(key) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(key, group, sizeof(group), &gl) != 1 ||
	    strcmp(group, "prime256v1") != 0)
		return 0;
	memcpy(out, spki_p256, sizeof(spki_p256));
	if (dtls_point(key, out + sizeof(spki_p256)))
		return 0;
	return sizeof(spki_p256) + POINT_LEN;
}

int dtls_ccm(bool enc, const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[8])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	pthread_once(&fetched, fetch_all);
	if (!c || !ccm_cipher) {
		EVP_CIPHER_CTX_free(c);
		return OTK_ENOMEM;
	}
	ok = EVP_CipherInit_ex2(c, ccm_cipher, NULL, NULL, enc, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 8, enc ? NULL : tag) == 1 &&
	     EVP_CipherInit_ex2(c, NULL, key, nonce, enc, NULL) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, NULL, (int)len) == 1 &&
	     EVP_CipherUpdate(c, NULL, &n, aad, (int)aadlen) == 1 &&
	     EVP_CipherUpdate(c, out, &n, in, (int)len) == 1;
	if (ok && enc)
		ok = EVP_CipherFinal_ex(c, out + n, &n) == 1 &&
		     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_GET_TAG, 8, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? OTK_OK : OTK_EDTLS_DECRYPT;
}

int dtls_sha256(const uint8_t *p, size_t n, uint8_t out[32])
{
	pthread_once(&fetched, fetch_all);
	return EVP_Digest(p, n, out, NULL, sha256_md, NULL) == 1 ? OTK_OK : OTK_EIO;
}

int dtls_cookie(const uint8_t secret[32], const void *addr, size_t alen,
		const uint8_t random[32], uint8_t out[16])
{
	uint8_t mac[32];
	size_t ml = 0;

	pthread_once(&fetched, fetch_all);
	EVP_MAC_CTX *c = hmac ? EVP_MAC_CTX_new(hmac) : NULL;
	OSSL_PARAM p[] = {
		OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
		OSSL_PARAM_construct_end(),
	};
	int ok = c && EVP_MAC_init(c, secret, 32, p) == 1 && EVP_MAC_update(c, random, 32) == 1 &&
		 EVP_MAC_update(c, addr, alen) == 1 && EVP_MAC_final(c, mac, &ml, sizeof(mac)) == 1;
	EVP_MAC_CTX_free(c);
	if (!ok)
		return OTK_EIO;
	memcpy(out, mac, 16);
	return OTK_OK;
}
