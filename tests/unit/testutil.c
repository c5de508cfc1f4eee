#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static unsigned skipped;

void otk_test_note_skip(void)
{
	skipped++;
}

int otk_test_status(int failed)
{
	if (failed == 0 && skipped > 0) {
		fprintf(stderr, "%u case(s) skipped: reporting the program as skipped\n",
			skipped);
		return 77;
	}
	return failed;
}

const char *otk_test_shared(void)
{
	static char cached[4096];
	static int done;
	struct stat st;

	if (done)
		return cached[0] ? cached : NULL;
	done = 1;
	const char *env = getenv("OTK_SHARED");
	const char *cands[] = { env, "../shared", "../../shared", "../../../shared" };
	for (size_t i = 0; i < sizeof cands / sizeof cands[0]; i++) {
		if (!cands[i] || !*cands[i])
			continue;
		char probe[4096];
		snprintf(probe, sizeof probe, "%s/fixtures/particle", cands[i]);
		if (stat(probe, &st) == 0 && S_ISDIR(st.st_mode)) {
			snprintf(cached, sizeof cached, "%s", cands[i]);
			return cached;
		}
	}
	return NULL;
}

char *otk_test_path(const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	char *s = malloc((size_t)n + 1);
	assert_non_null(s);
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

uint8_t *otk_test_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		fail_msg("cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	uint8_t *buf = malloc(n > 0 ? (size_t)n : 1);
	assert_non_null(buf);
	if (n > 0 && fread(buf, 1, (size_t)n, f) != (size_t)n)
		fail_msg("cannot read %s", path);
	fclose(f);
	*len = (size_t)n;
	return buf;
}

void otk_test_random(uint32_t *seed, uint8_t *buf, size_t len)
{
	uint32_t x = *seed ? *seed : 0x9e3779b9u;
	for (size_t i = 0; i < len; i++) {
		/* xorshift32 */
		x ^= x << 13;
		x ^= x >> 17;
		x ^= x << 5;
		buf[i] = (uint8_t)(x >> 24);
	}
	*seed = x;
}

const char *otk_test_tmpdir(void)
{
	static char dir[256];
	if (!dir[0]) {
		snprintf(dir, sizeof dir, "/tmp/otk-test-%ld", (long)getpid());
		mkdir(dir, 0700);
	}
	return dir;
}
