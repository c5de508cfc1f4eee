/* Device public keys as `particle keys send` provisions them (PEM). */
#ifndef OTKD_KEYS_H
#define OTKD_KEYS_H

#include <stddef.h>

struct otkd_pubkey {
	char algorithm[8];       /* "ecc" (P-256) or "rsa" */
	char *pem;               /* re-encoded SubjectPublicKeyInfo PEM, malloc'd */
	char fingerprint[65];    /* SHA-256 of the DER SubjectPublicKeyInfo, hex */
};

/*
 * Parses a PEM public key with OpenSSL: an EC key on P-256 (Gen3 and later)
 * or an RSA key (Gen2).  OTK_OK and k filled (free k->pem), else OTK_EINVAL
 * with err saying why.
 */
int otkd_pubkey_parse(const char *pem, size_t len, struct otkd_pubkey *k, char *err,
		      size_t errlen);

#endif
