/*
 * otk-dtls-client: otakit's DTLS client over a UDP socket, for tests.
 *
 *   otk-dtls-client HOST PORT KEY.pem SERVER_PUB.der [options]
 *     --mode particle|rfc7250  (default particle: no server Certificate expected)
 *     --no-cid                 do not offer the Connection ID extension
 *     --save FILE              write the established session into FILE
 *     --load FILE              resume the session in FILE: no handshake
 *     --port N                 send from this local port (default: any)
 *     --rebind                 send the payload from a new socket (new source port)
 *     --move                   mark the first record as a type-253 "moved" record
 *     --hello                  send a CoAP CON POST /h and wait for its ACK
 *     --send TEXT              send TEXT as application data and wait for any reply
 *     --wait SECONDS           how long to wait (default 20)
 *
 * Prints "handshake ok", "resumed", "cid: <hex>", "reply: <hex>" lines on
 * stdout; exits 0 when what was asked for happened, 1 otherwise, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "otk/coap.h"
#include "otk/dtls.h"

static int fd = -1;
static struct sockaddr_in to;
static uint8_t got[2048];
static size_t got_len;
static int ngot;
static int move_next;
static int local_port;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static void on_send(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	uint8_t b[2048];
	memcpy(b, d, n);
	if (move_next && n && b[0] == 25) {
		b[0] = 253; /* Device OS marks records after a resume like this */
		move_next = 0;
	}
	sendto(fd, b, n, 0, (struct sockaddr *)&to, sizeof(to));
}

static void on_data(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	memcpy(got, d, n < sizeof(got) ? n : sizeof(got));
	got_len = n;
	ngot++;
}

static int new_socket(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	int s = socket(AF_INET, SOCK_DGRAM, 0);
	int one = 1;
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	me.sin_port = htons((uint16_t)local_port);
	local_port = 0; /* --rebind takes a new port */
	setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (s < 0 || bind(s, (struct sockaddr *)&me, sizeof(me)) != 0) {
		perror("otk-dtls-client: socket");
		exit(1);
	}
	return s;
}

static uint8_t *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	static uint8_t buf[8192];
	if (!f) {
		fprintf(stderr, "otk-dtls-client: %s: cannot open\n", path);
		exit(1);
	}
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* Pumps the socket and the session's timers until done() or the deadline. */
static int pump(struct otk_dtls *s, const struct otk_dtls_io *io, uint64_t until,
		int (*done)(struct otk_dtls *))
{
	while (!done(s)) {
		uint64_t now = now_ms();
		if (now >= until)
			return 1;
		uint64_t t = otk_dtls_timeout(s);
		int wait = (int)(t > now ? (t - now < 200 ? t - now : 200) : 0);
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, wait) > 0) {
			uint8_t b[2048];
			ssize_t n = recv(fd, b, sizeof(b), 0);
			if (n > 0 && otk_dtls_input(s, b, (size_t)n, now_ms(), io) < 0 &&
			    otk_dtls_state(s) != OTK_DTLS_HANDSHAKE)
				return 1;
		}
		if (otk_dtls_poll(s, now_ms(), io) < 0)
			return 1;
		if (otk_dtls_state(s) == OTK_DTLS_FAILED || otk_dtls_state(s) == OTK_DTLS_CLOSED)
			return 1;
	}
	return 0;
}

static int established(struct otk_dtls *s)
{
	return otk_dtls_state(s) == OTK_DTLS_ESTABLISHED;
}

static int replied(struct otk_dtls *s)
{
	(void)s;
	return ngot > 0;
}

int main(int argc, char **argv)
{
	if (argc < 5) {
		fprintf(stderr, "usage: otk-dtls-client HOST PORT KEY.pem SERVER_PUB.der [options]\n");
		return 2;
	}
	const char *save = NULL, *load = NULL, *text = NULL;
	int rebind = 0, hello = 0, wait_s = 20, cid = 1;
	enum otk_dtls_mode mode = OTK_DTLS_PARTICLE;
	for (int i = 5; i < argc; i++) {
		const char *a = argv[i];
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!strcmp(a, "--mode") && v) {
			mode = !strcmp(v, "rfc7250") ? OTK_DTLS_RFC7250 : OTK_DTLS_PARTICLE;
			i++;
		} else if (!strcmp(a, "--save") && v) {
			save = v;
			i++;
		} else if (!strcmp(a, "--load") && v) {
			load = v;
			i++;
		} else if (!strcmp(a, "--send") && v) {
			text = v;
			i++;
		} else if (!strcmp(a, "--port") && v) {
			local_port = atoi(v);
			i++;
		} else if (!strcmp(a, "--wait") && v) {
			wait_s = atoi(v);
			i++;
		} else if (!strcmp(a, "--no-cid")) {
			cid = 0;
		} else if (!strcmp(a, "--rebind")) {
			rebind = 1;
		} else if (!strcmp(a, "--move")) {
			move_next = 1;
		} else if (!strcmp(a, "--hello")) {
			hello = 1;
		} else {
			fprintf(stderr, "otk-dtls-client: unknown option %s\n", a);
			return 2;
		}
	}
	to.sin_family = AF_INET;
	to.sin_port = htons((uint16_t)atoi(argv[2]));
	if (inet_pton(AF_INET, argv[1], &to.sin_addr) != 1)
		return 2;
	FILE *kf = fopen(argv[3], "r");
	EVP_PKEY *key = kf ? PEM_read_PrivateKey(kf, NULL, NULL, NULL) : NULL;
	if (kf)
		fclose(kf);
	if (!key) {
		fprintf(stderr, "otk-dtls-client: %s: not a private key\n", argv[3]);
		return 1;
	}
	size_t pl;
	uint8_t *pub = read_file(argv[4], &pl);
	struct otk_dtls_config cfg = { .mode = mode, .own_key = key, .peer_spki = pub,
				       .peer_spki_len = pl, .client_cid = cid != 0,
				       .hs_timeout_min_ms = 500, .hs_timeout_max_ms = 8000 };
	struct otk_dtls_io io = { on_send, on_data, NULL };
	struct otk_dtls *s;
	uint64_t until = now_ms() + (uint64_t)wait_s * 1000u;

	fd = new_socket();
	if (load) {
		size_t n;
		uint8_t *b = read_file(load, &n);
		s = otk_dtls_load(&cfg, b, n);
		if (!s) {
			fprintf(stderr, "otk-dtls-client: %s: not a saved session\n", load);
			return 1;
		}
		printf("resumed\n");
	} else {
		s = otk_dtls_client_new(&cfg);
		if (!s || otk_dtls_start(s, now_ms(), &io) || pump(s, &io, until, established)) {
			fprintf(stderr, "otk-dtls-client: handshake failed (alert %d)\n",
				s ? otk_dtls_alert(s) : -1);
			return 1;
		}
		printf("handshake ok\n");
	}
	uint8_t c[32];
	size_t cl = otk_dtls_peer_cid(s, c, sizeof(c));
	printf("cid: ");
	for (size_t i = 0; i < cl; i++)
		printf("%02x", c[i]);
	printf("\n");
	fflush(stdout);
	int rc = 0;
	if (save) {
		uint8_t b[OTK_DTLS_SAVE_MAX];
		int n = otk_dtls_save(s, b, sizeof(b));
		FILE *f = n > 0 ? fopen(save, "wb") : NULL;
		if (!f || fwrite(b, 1, (size_t)n, f) != (size_t)n || fclose(f)) {
			fprintf(stderr, "otk-dtls-client: %s: cannot save\n", save);
			rc = 1;
		}
	}
	if (rebind) {
		close(fd);
		fd = new_socket();
	}
	if (hello || text) {
		uint8_t m[64];
		size_t n;
		uint16_t mid;
		RAND_bytes((uint8_t *)&mid, 2);
		if (hello) {
			struct otk_coap_writer w;
			uint8_t tok = 0x42;
			otk_coap_begin(&w, m, sizeof(m), OTK_COAP_CON, OTK_COAP_POST, mid, &tok, 1);
			otk_coap_add_path(&w, "h");
			n = (size_t)otk_coap_finish(&w);
		} else {
			n = strlen(text);
			memcpy(m, text, n < sizeof(m) ? n : sizeof(m));
		}
		otk_dtls_write(s, m, n, &io);
		if (pump(s, &io, until, replied)) {
			fprintf(stderr, "otk-dtls-client: no reply\n");
			rc = 1;
		} else {
			printf("reply: ");
			for (size_t i = 0; i < got_len; i++)
				printf("%02x", got[i]);
			printf("\n");
			struct otk_coap_msg r;
			if (hello && (otk_coap_parse(got, got_len, &r) || r.type != OTK_COAP_ACK ||
				      r.mid != mid)) {
				fprintf(stderr, "otk-dtls-client: the reply is not the ACK of the hello\n");
				rc = 1;
			} else if (hello) {
				printf("coap: ACK %d.%02d\n", OTK_COAP_CODE_CLASS(r.code),
				       OTK_COAP_CODE_DETAIL(r.code));
			}
		}
	}
	otk_dtls_free(s);
	EVP_PKEY_free(key);
	close(fd);
	return rc;
}
