/*
 * SHA-256 (FIPS 180-4), streaming, caller-owned state, no heap.
 */
#ifndef OTK_SHA256_H
#define OTK_SHA256_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_SHA256_LEN 32

struct otk_sha256 {
	uint32_t h[8];
	uint64_t total;      /* bytes hashed so far */
	uint8_t block[64];
	uint32_t used;       /* bytes waiting in block */
};

void otk_sha256_init(struct otk_sha256 *s);
void otk_sha256_update(struct otk_sha256 *s, const void *data, size_t len);
/* Writes the digest; s must be initialised again before reuse. */
void otk_sha256_finish(struct otk_sha256 *s, uint8_t out[OTK_SHA256_LEN]);
/* One-shot digest of a buffer. */
void otk_sha256(const void *data, size_t len, uint8_t out[OTK_SHA256_LEN]);

#ifdef __cplusplus
}
#endif

#endif
