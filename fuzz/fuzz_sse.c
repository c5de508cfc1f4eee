/*
 * The Server-Sent Events parser on arbitrary bytes: the events must be the
 * same whether the stream arrives whole or cut in two at any point (the
 * first byte picks where), as the network may cut it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/sse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A digest of the events seen: their count and a running hash. */
struct seen {
	size_t count;
	uint64_t hash;
};

static void mix(uint64_t *h, const char *s)
{
	for (; *s; s++)
		*h = (*h ^ (uint8_t)*s) * 0x100000001b3ull;
	*h = (*h ^ 0xff) * 0x100000001b3ull;
}

static int on_event(void *ctx, const char *event, const char *d)
{
	struct seen *s = ctx;
	s->count++;
	mix(&s->hash, event);
	mix(&s->hash, d);
	return 0;
}

static int run(const char *p, size_t n, size_t cut, struct seen *out)
{
	struct otk_sse s;
	otk_sse_init(&s, on_event, out);
	int rc = otk_sse_feed(&s, p, cut);
	if (rc == 0)
		rc = otk_sse_feed(&s, p + cut, n - cut);
	otk_sse_deinit(&s);
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	size_t cut = data[0] % size;
	const char *p = (const char *)data + 1;
	size_t n = size - 1;
	if (cut > n)
		cut = n;
	struct seen whole = { 0, 0xcbf29ce484222325ull }, split = whole;
	int a = run(p, n, n, &whole);
	int b = run(p, n, cut, &split);
	if (a != b || whole.count != split.count || whole.hash != split.hash)
		__builtin_trap();
	return 0;
}
