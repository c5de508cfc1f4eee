#include <string.h>

#include <sodium.h>

#include "otk/error.h"
#include "auth.h"

int otkd_auth_init(void)
{
	return sodium_init() < 0 ? OTK_EIO : OTK_OK;
}

int otkd_password_hash(const char *password, char out[128])
{
	_Static_assert(crypto_pwhash_STRBYTES <= 128, "argon2id string fits the store field");
	if (crypto_pwhash_str_alg(out, password, strlen(password),
				  crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE, crypto_pwhash_ALG_ARGON2ID13) != 0)
		return OTK_ENOMEM;
	return OTK_OK;
}

bool otkd_password_verify(const char *hash, const char *password)
{
	return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

void otkd_token_new(char text[OTKD_TOKEN_HEX], uint8_t hash[32])
{
	uint8_t raw[OTKD_TOKEN_BYTES];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2hex(text, OTKD_TOKEN_HEX, raw, sizeof raw);
	sodium_memzero(raw, sizeof raw);
	otkd_token_hash(text, hash);
}

void otkd_token_hash(const char *text, uint8_t hash[32])
{
	crypto_hash_sha256(hash, (const unsigned char *)text, strlen(text));
}

bool otkd_scope_allows(const char *have, const char *want)
{
	if (!want || !*want)
		return true;
	size_t wl = strlen(want);
	const char *p = have;
	while (*p) {
		p += strspn(p, " ");
		size_t l = strcspn(p, " ");
		if ((l == 1 && *p == '*') || (l == wl && memcmp(p, want, l) == 0))
			return true;
		p += l;
	}
	return false;
}
