/*
 * SHA-256 as specified in FIPS 180-4.  Streaming with a caller-owned state;
 * no heap, no alignment or endianness assumptions about the input.
 */
#include "otk/sha256.h"

#include <string.h>

static const uint32_t K[64] = {
	0x428a2f98u, 0x71374491u, 0xb5c0fbcfu, 0xe9b5dba5u, 0x3956c25bu, 0x59f111f1u,
	0x923f82a4u, 0xab1c5ed5u, 0xd807aa98u, 0x12835b01u, 0x243185beu, 0x550c7dc3u,
	0x72be5d74u, 0x80deb1feu, 0x9bdc06a7u, 0xc19bf174u, 0xe49b69c1u, 0xefbe4786u,
	0x0fc19dc6u, 0x240ca1ccu, 0x2de92c6fu, 0x4a7484aau, 0x5cb0a9dcu, 0x76f988dau,
	0x983e5152u, 0xa831c66du, 0xb00327c8u, 0xbf597fc7u, 0xc6e00bf3u, 0xd5a79147u,
	0x06ca6351u, 0x14292967u, 0x27b70a85u, 0x2e1b2138u, 0x4d2c6dfcu, 0x53380d13u,
	0x650a7354u, 0x766a0abbu, 0x81c2c92eu, 0x92722c85u, 0xa2bfe8a1u, 0xa81a664bu,
	0xc24b8b70u, 0xc76c51a3u, 0xd192e819u, 0xd6990624u, 0xf40e3585u, 0x106aa070u,
	0x19a4c116u, 0x1e376c08u, 0x2748774cu, 0x34b0bcb5u, 0x391c0cb3u, 0x4ed8aa4au,
	0x5b9cca4fu, 0x682e6ff3u, 0x748f82eeu, 0x78a5636fu, 0x84c87814u, 0x8cc70208u,
	0x90befffau, 0xa4506cebu, 0xbef9a3f7u, 0xc67178f2u,
};

#define ROR(x, n) (((x) >> (n)) | ((x) << (32 - (n))))
#define CH(x, y, z) (((x) & ((y) ^ (z))) ^ (z))
#define MAJ(x, y, z) (((x) & (y)) | ((z) & ((x) | (y))))
#define S0(x) (ROR(x, 2) ^ ROR(x, 13) ^ ROR(x, 22))
#define S1(x) (ROR(x, 6) ^ ROR(x, 11) ^ ROR(x, 25))
#define s0(x) (ROR(x, 7) ^ ROR(x, 18) ^ ((x) >> 3))
#define s1(x) (ROR(x, 17) ^ ROR(x, 19) ^ ((x) >> 10))

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

static void put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

/*
 * One round with the working variables renamed instead of shifted: the
 * caller rotates the argument list, so no register moves are needed.
 */
#define ROUND(a, b, c, d, e, f, g, h, i)                                       \
	do {                                                                   \
		uint32_t t1 = h + S1(e) + CH(e, f, g) + K[i] + w[(i) & 15];    \
		d += t1;                                                       \
		h = t1 + S0(a) + MAJ(a, b, c);                                 \
	} while (0)

#define ROUND8(i)                                                              \
	do {                                                                   \
		ROUND(a, b, c, d, e, f, g, h, (i) + 0);                        \
		ROUND(h, a, b, c, d, e, f, g, (i) + 1);                        \
		ROUND(g, h, a, b, c, d, e, f, (i) + 2);                        \
		ROUND(f, g, h, a, b, c, d, e, (i) + 3);                        \
		ROUND(e, f, g, h, a, b, c, d, (i) + 4);                        \
		ROUND(d, e, f, g, h, a, b, c, (i) + 5);                        \
		ROUND(c, d, e, f, g, h, a, b, (i) + 6);                        \
		ROUND(b, c, d, e, f, g, h, a, (i) + 7);                        \
	} while (0)

/* The message schedule is kept as a 16-word ring, extended in place. */
#define EXPAND(i)                                                              \
	(w[(i) & 15] += s1(w[((i) - 2) & 15]) + w[((i) - 7) & 15] +            \
			s0(w[((i) - 15) & 15]))

static void compress(uint32_t st[8], const uint8_t *p, size_t blocks)
{
	uint32_t w[16];

	while (blocks--) {
		uint32_t a = st[0], b = st[1], c = st[2], d = st[3];
		uint32_t e = st[4], f = st[5], g = st[6], h = st[7];

		for (int i = 0; i < 16; i++)
			w[i] = be32(p + 4 * i);
		ROUND8(0);
		ROUND8(8);
		for (int i = 16; i < 64; i += 8) {
			EXPAND(i + 0);
			EXPAND(i + 1);
			EXPAND(i + 2);
			EXPAND(i + 3);
			EXPAND(i + 4);
			EXPAND(i + 5);
			EXPAND(i + 6);
			EXPAND(i + 7);
			ROUND8(i);
		}
		st[0] += a;
		st[1] += b;
		st[2] += c;
		st[3] += d;
		st[4] += e;
		st[5] += f;
		st[6] += g;
		st[7] += h;
		p += 64;
	}
}

void otk_sha256_init(struct otk_sha256 *s)
{
	static const uint32_t iv[8] = {
		0x6a09e667u, 0xbb67ae85u, 0x3c6ef372u, 0xa54ff53au,
		0x510e527fu, 0x9b05688cu, 0x1f83d9abu, 0x5be0cd19u,
	};

	memcpy(s->h, iv, sizeof iv);
	s->total = 0;
	s->used = 0;
}

void otk_sha256_update(struct otk_sha256 *s, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (len == 0)
		return;
	s->total += len;
	if (s->used) {
		size_t n = 64 - s->used;

		if (n > len)
			n = len;
		memcpy(s->block + s->used, p, n);
		s->used += (uint32_t)n;
		p += n;
		len -= n;
		if (s->used < 64)
			return;
		compress(s->h, s->block, 1);
		s->used = 0;
	}
	/* Whole blocks straight from the caller's buffer, no copy. */
	if (len >= 64) {
		compress(s->h, p, len / 64);
		p += len & ~(size_t)63;
		len &= 63;
	}
	if (len) {
		memcpy(s->block, p, len);
		s->used = (uint32_t)len;
	}
}

void otk_sha256_finish(struct otk_sha256 *s, uint8_t out[OTK_SHA256_LEN])
{
	uint64_t bits = s->total * 8;
	uint32_t n = s->used;

	/* 0x80, zeros up to 56 mod 64, then the bit length big-endian. */
	s->block[n++] = 0x80;
	if (n > 56) {
		memset(s->block + n, 0, 64 - n);
		compress(s->h, s->block, 1);
		n = 0;
	}
	memset(s->block + n, 0, 56 - n);
	put_be32(s->block + 56, (uint32_t)(bits >> 32));
	put_be32(s->block + 60, (uint32_t)bits);
	compress(s->h, s->block, 1);
	for (int i = 0; i < 8; i++)
		put_be32(out + 4 * i, s->h[i]);
	memset(s, 0, sizeof *s);
}

void otk_sha256(const void *data, size_t len, uint8_t out[OTK_SHA256_LEN])
{
	struct otk_sha256 s;

	otk_sha256_init(&s);
	otk_sha256_update(&s, data, len);
	otk_sha256_finish(&s, out);
}
