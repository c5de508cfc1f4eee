/*
 * otk-dtls-bench: the cost of otakit's DTLS, in memory on one core (no
 * sockets), for bench/dtls.sh.
 *
 *   otk-dtls-bench handshakes N      full handshakes (cookie included)
 *   otk-dtls-bench records N SIZE    CCM-8 records of SIZE bytes with a CID
 *   otk-dtls-bench memory N          heap per established server session
 *
 * Prints "name value" lines.  A benchmark, not a test.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "otk/dtls.h"

#define QN 16

struct q {
	uint8_t d[QN][1500];
	size_t n[QN];
	int count;
};

static void push(void *ctx, const uint8_t *d, size_t n)
{
	struct q *q = ctx;
	if (q->count < QN && n <= 1500) {
		memcpy(q->d[q->count], d, n);
		q->n[q->count++] = n;
	}
}

static void drop(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	(void)d;
	(void)n;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int known(void *ctx, const uint8_t *spki, size_t len)
{
	(void)ctx;
	(void)spki;
	(void)len;
	return 0;
}

static EVP_PKEY *skey, *ckey;
static uint8_t spub[200];
static size_t spub_len;
static double server_s;

/* One full handshake; returns the server session (established) and the client. */
static struct otk_dtls *handshake(struct otk_dtls **cli_out)
{
	struct otk_dtls_config sc = { .own_key = skey, .lookup = known };
	struct otk_dtls_config cc = { .own_key = ckey, .peer_spki = spub, .peer_spki_len = spub_len,
				      .client_cid = true };
	static struct q cq, sq;
	struct otk_dtls_io cio = { push, drop, &cq }, sio = { push, drop, &sq };
	struct otk_dtls *c = otk_dtls_client_new(&cc), *s = NULL;
	memset(sc.cookie_secret, 1, 32);
	cq.count = sq.count = 0;
	otk_dtls_start(c, 0, &cio);
	for (int round = 0; round < 10 && otk_dtls_state(c) == OTK_DTLS_HANDSHAKE; round++) {
		struct q in = cq;
		cq.count = 0;
		double t0 = now();
		for (int i = 0; i < in.count; i++) {
			if (!s) {
				uint8_t reply[256];
				size_t rl;
				if (otk_dtls_server_accept(&sc, in.d[i], in.n[i], "a", 1, reply,
							   sizeof(reply), &rl) != 1) {
					push(&sq, reply, rl);
					continue;
				}
				s = otk_dtls_server_new(&sc);
			}
			otk_dtls_input(s, in.d[i], in.n[i], 0, &sio);
		}
		server_s += now() - t0;
		in = sq;
		sq.count = 0;
		for (int i = 0; i < in.count; i++)
			otk_dtls_input(c, in.d[i], in.n[i], 0, &cio);
	}
	if (!s || otk_dtls_state(s) != OTK_DTLS_ESTABLISHED || otk_dtls_state(c) != OTK_DTLS_ESTABLISHED) {
		fprintf(stderr, "otk-dtls-bench: handshake failed\n");
		exit(1);
	}
	*cli_out = c;
	return s;
}

int main(int argc, char **argv)
{
	if (argc < 3)
		return 2;
	long n = atol(argv[2]);
	skey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	ckey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	spub_len = otk_dtls_spki(skey, spub, sizeof(spub));
	struct otk_dtls *c, *s;

	if (!strcmp(argv[1], "handshakes")) {
		double t0 = now();
		for (long i = 0; i < n; i++) {
			s = handshake(&c);
			otk_dtls_free(s);
			otk_dtls_free(c);
		}
		double t = now() - t0;
		printf("handshakes_per_s_both_sides %.1f\n", (double)n / t);
		printf("handshakes_per_s_server %.1f\n", (double)n / server_s);
	} else if (!strcmp(argv[1], "records") && argc > 3) {
		size_t size = (size_t)atol(argv[3]);
		uint8_t msg[OTK_DTLS_RECORD_MAX] = { 0 };
		struct q out;
		struct otk_dtls_io cio = { push, drop, &out }, sio = { drop, drop, NULL };
		double enc = 0, dec = 0;
		s = handshake(&c);
		for (long i = 0; i < n; i++) {
			out.count = 0;
			double t0 = now();
			otk_dtls_write(c, msg, size, &cio);
			double t1 = now();
			if (otk_dtls_input(s, out.d[0], out.n[0], 0, &sio) != 1) {
				fprintf(stderr, "otk-dtls-bench: record not accepted\n");
				return 1;
			}
			enc += t1 - t0;
			dec += now() - t1;
		}
		printf("records_per_s_encrypt %.1f\n", (double)n / enc);
		printf("records_per_s_decrypt %.1f\n", (double)n / dec);
		otk_dtls_free(s);
		otk_dtls_free(c);
	} else if (!strcmp(argv[1], "memory")) {
		struct otk_dtls **all = calloc((size_t)n, sizeof(*all));
		s = handshake(&c); /* warm up OpenSSL's own allocations */
		otk_dtls_free(s);
		otk_dtls_free(c);
		struct mallinfo2 before = mallinfo2();
		size_t client_bytes = 0;
		for (long i = 0; i < n; i++) {
			all[i] = handshake(&c);
			size_t with = mallinfo2().uordblks;
			otk_dtls_free(c);
			client_bytes += with - mallinfo2().uordblks;
		}
		struct mallinfo2 after = mallinfo2();
		printf("bytes_per_session_server %.0f\n",
		       (double)(after.uordblks - before.uordblks) / (double)n);
		printf("bytes_per_session_client %zu\n", client_bytes / (size_t)n);
		for (long i = 0; i < n; i++)
			otk_dtls_free(all[i]);
		free(all);
	} else {
		return 2;
	}
	return 0;
}
