/* The profile's primitives on OpenSSL 3 libcrypto: P-256 ECDH/ECDSA, AES-128-CCM-8, TLS 1.2 PRF. */
#include <string.h>

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/kdf.h>
#include <openssl/params.h>
#include <openssl/x509.h>

#include "dtls_internal.h"
#include "otk/error.h"

int dtls_prf(const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
	     size_t l1, const uint8_t *seed2, size_t l2, uint8_t *out, size_t olen)
{
	uint8_t seed[128];
	size_t ll = strlen(label);
	EVP_KDF *kdf = EVP_KDF_fetch(NULL, "TLS1-PRF", NULL);
	EVP_KDF_CTX *ctx = kdf ? EVP_KDF_CTX_new(kdf) : NULL;
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
	EVP_KDF_free(kdf);
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
	EVP_PKEY_CTX_free(ctx);
	if (k) {
		/* fromdata does not check that the point is on the curve */
		EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
		if (!c || EVP_PKEY_public_check(c) != 1) {
			EVP_PKEY_free(k);
			k = NULL;
		}
		EVP_PKEY_CTX_free(c);
	}
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

	if (md && EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	    EVP_DigestSign(md, sig, siglen, msg, len) == 1)
		rc = OTK_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

int dtls_verify(EVP_PKEY *key, int sigalg, const uint8_t *msg, size_t len, const uint8_t *sig,
		size_t siglen)
{
	const EVP_MD *h = sigalg == SIG_ECDSA_SHA256 ? EVP_sha256() :
			  sigalg == SIG_ECDSA_SHA224 ? EVP_sha224() : NULL;
	EVP_MD_CTX *md = h ? EVP_MD_CTX_new() : NULL;
	int rc = OTK_EDTLS_REFUSED;

	if (md && EVP_DigestVerifyInit(md, NULL, h, NULL, key) == 1 &&
	    EVP_DigestVerify(md, sig, siglen, msg, len) == 1)
		rc = OTK_OK;
	EVP_MD_CTX_free(md);
	return rc;
}

EVP_PKEY *dtls_spki_key(const uint8_t *spki, size_t len)
{
	const unsigned char *p = spki;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, (long)len);
	char group[32];
	size_t gl;

	if (!k)
		return NULL;
	if (p != spki + len || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    EVP_PKEY_get_group_name(k, group, sizeof(group), &gl) != 1 ||
	    strcmp(group, "prime256v1") != 0) {
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

size_t otk_dtls_spki(EVP_PKEY *key, uint8_t *out, size_t cap)
{
	int n = i2d_PUBKEY(key, NULL);
	unsigned char *p = out;

	if (n <= 0 || (size_t)n > cap || i2d_PUBKEY(key, &p) != n)
		return 0;
	return (size_t)n;
}

int dtls_ccm(bool enc, const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[8])
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int n, ok;

	if (!c)
		return OTK_ENOMEM;
	ok = EVP_CipherInit_ex(c, EVP_aes_128_ccm(), NULL, NULL, NULL, enc) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_IVLEN, 12, NULL) == 1 &&
	     EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_AEAD_SET_TAG, 8, enc ? NULL : tag) == 1 &&
	     EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
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
	return EVP_Digest(p, n, out, NULL, EVP_sha256(), NULL) == 1 ? OTK_OK : OTK_EIO;
}

int dtls_cookie(const uint8_t secret[32], const void *addr, size_t alen,
		const uint8_t random[32], uint8_t out[16])
{
	uint8_t in[32 + 128], mac[32];
	size_t ml = 0;

	if (alen > 128)
		return OTK_EINVAL;
	memcpy(in, random, 32);
	memcpy(in + 32, addr, alen);
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, secret, 32, in, 32 + alen, mac,
		       sizeof(mac), &ml))
		return OTK_EIO;
	memcpy(out, mac, 16);
	return OTK_OK;
}
