/*
 * Passwords and access tokens.  Passwords are kept as libsodium argon2id
 * strings (crypto_pwhash_str, interactive limits); tokens are 160 random
 * bits as 40 lowercase hex digits (the shape of Particle's tokens) and only
 * their SHA-256 is stored.
 */
#ifndef OTKD_AUTH_H
#define OTKD_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTKD_TOKEN_BYTES 20
#define OTKD_TOKEN_HEX (2 * OTKD_TOKEN_BYTES + 1)

/* Call once before threads start; OTK_EIO when libsodium cannot start. */
int otkd_auth_init(void);

/* out gets the argon2id string (128 bytes room).  OTK_ENOMEM when the
 * memory-hard function cannot get its memory. */
int otkd_password_hash(const char *password, char out[128]);
bool otkd_password_verify(const char *hash, const char *password);

/* A new random token (text) and the hash to store. */
void otkd_token_new(char text[OTKD_TOKEN_HEX], uint8_t hash[32]);
/* The stored hash of a token text. */
void otkd_token_hash(const char *text, uint8_t hash[32]);

/* Scope lists are space-separated words; "*" grants every scope.  True when
 * have grants want (want NULL or "" needs no scope). */
bool otkd_scope_allows(const char *have, const char *want);

#endif
