#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "otk/error.h"
#include "blob.h"
#include "keys.h"

int otkd_pubkey_parse(const char *pem, size_t len, struct otkd_pubkey *k, char *err,
		      size_t errlen)
{
	memset(k, 0, sizeof *k);
	if (len > 16384) {
		snprintf(err, errlen, "publicKey is longer than 16 KiB");
		return OTK_EINVAL;
	}
	BIO *in = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *key = in ? PEM_read_bio_PUBKEY(in, NULL, NULL, NULL) : NULL;
	BIO_free(in);
	if (!key) {
		snprintf(err, errlen, "publicKey is not a PEM public key");
		return OTK_EINVAL;
	}
	int rc = OTK_OK;
	int type = EVP_PKEY_get_base_id(key);
	char group[64] = "";
	if (type == EVP_PKEY_EC) {
		size_t gl = 0;
		if (!EVP_PKEY_get_group_name(key, group, sizeof group, &gl) ||
		    strcmp(group, "prime256v1") != 0) {
			snprintf(err, errlen, "publicKey is an EC key on %s, not P-256",
				 group[0] ? group : "an unknown curve");
			rc = OTK_EINVAL;
		}
		snprintf(k->algorithm, sizeof k->algorithm, "ecc");
	} else if (type == EVP_PKEY_RSA) {
		snprintf(k->algorithm, sizeof k->algorithm, "rsa");
	} else {
		snprintf(err, errlen, "publicKey is neither an EC P-256 nor an RSA key");
		rc = OTK_EINVAL;
	}
	unsigned char *der = NULL;
	int dl = rc == OTK_OK ? i2d_PUBKEY(key, &der) : -1;
	BIO *out = rc == OTK_OK ? BIO_new(BIO_s_mem()) : NULL;
	if (rc == OTK_OK && (dl <= 0 || !out || !PEM_write_bio_PUBKEY(out, key))) {
		snprintf(err, errlen, "publicKey cannot be encoded");
		rc = OTK_EINVAL;
	}
	if (rc == OTK_OK) {
		otkd_sha256_hex(der, (size_t)dl, k->fingerprint);
		char *p;
		long pl = BIO_get_mem_data(out, &p);
		k->pem = strndup(p, (size_t)pl);
		if (!k->pem)
			rc = OTK_ENOMEM;
	}
	OPENSSL_free(der);
	BIO_free(out);
	EVP_PKEY_free(key);
	return rc;
}
