/*
 * otk-dtls-load: many simulated devices against otakitd's UDP endpoint from
 * one process, for tests/device_dtls_load.sh and bench/dtls_sessions.sh.
 *
 *   otk-dtls-load keygen N KEYS.pem CURL.cfg URL TOKEN
 *     makes N P-256 device keys (KEYS.pem, concatenated) and a curl config
 *     that provisions each public key through POST URL/v1/provisioning/ID
 *     (device ids 10ad + 20 hex digits of the index).
 *
 *   otk-dtls-load run HOST PORT KEYS.pem SERVER_PUB.der [options]
 *     --concurrency C  handshakes in flight at once (default 64)
 *     --window W       CoAP requests in flight at once in a round (default: all)
 *     --idle S         seconds every session stays idle before round 2 (default 2)
 *     --pid PID        otakitd's process: VmRSS from /proc/PID/status, and its
 *                      CPU time during the handshakes from /proc/PID/stat
 *     --timeout S      give up after S seconds in all (default 240)
 *
 * One non-blocking UDP socket per device (its own source port), all driven
 * by poll().  Phase 1: N full handshakes (Particle mode, CID).  Round 1:
 * every session sends a CoAP CON POST /h and must get its ACK 2.04.  Round 2,
 * after all were idle: every device sends from a new socket (a new source
 * port, as after a NAT mapping expired), so only routing by CID reaches its
 * session; every ACK must arrive.  CoAP requests are retransmitted (2 s,
 * doubling, 4 times) like a device does.
 *
 * Prints "key value" lines; exits 0 when every handshake and every reply of
 * both rounds happened, 1 otherwise, 2 on bad usage.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "otk/coap.h"
#include "otk/dtls.h"

enum phase { IDLE, HANDSHAKE, ESTABLISHED, WAITING, REPLIED, FAILED };

struct dev {
	EVP_PKEY *key;
	struct otk_dtls *s;
	int fd;
	enum phase phase;
	uint16_t mid;
	int tries;
	uint64_t next_try;
};

static struct sockaddr_in server;
static uint64_t retransmits;

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static double secs(uint64_t ms)
{
	return (double)ms / 1000.0;
}

static void on_send(void *ctx, const uint8_t *d, size_t n)
{
	struct dev *v = ctx;
	/* a full socket buffer loses the datagram, as a network would */
	(void)send(v->fd, d, n, 0);
}

static void on_data(void *ctx, const uint8_t *d, size_t n)
{
	struct dev *v = ctx;
	struct otk_coap_msg m;
	if (v->phase == WAITING && otk_coap_parse(d, n, &m) == 0 && m.type == OTK_COAP_ACK &&
	    m.mid == v->mid && m.code == OTK_COAP_CHANGED)
		v->phase = REPLIED;
}

static struct otk_dtls_io io_of(struct dev *v)
{
	return (struct otk_dtls_io){ on_send, on_data, v };
}

/* A non-blocking socket on a new loopback port, connected to the server. */
static int new_socket(void)
{
	struct sockaddr_in me = { .sin_family = AF_INET };
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	me.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (fd < 0 || bind(fd, (struct sockaddr *)&me, sizeof(me)) != 0 ||
	    connect(fd, (struct sockaddr *)&server, sizeof(server)) != 0) {
		fprintf(stderr, "otk-dtls-load: socket: %s\n", strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static long rss_kb(const char *pid)
{
	char path[64], line[256];
	long kb = -1;
	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/status", pid);
	FILE *f = fopen(path, "r");
	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "VmRSS: %ld kB", &kb) == 1)
			break;
	if (f)
		fclose(f);
	return kb;
}

/* CPU seconds (user + system) the process used so far, or -1. */
static double cpu_s(const char *pid)
{
	char path[64], buf[1024];
	if (!pid)
		return -1;
	snprintf(path, sizeof(path), "/proc/%s/stat", pid);
	FILE *f = fopen(path, "r");
	size_t n = f ? fread(buf, 1, sizeof(buf) - 1, f) : 0;
	if (f)
		fclose(f);
	buf[n] = 0;
	/* fields after the command name in parentheses: state is field 3, utime 14, stime 15 */
	const char *p = strrchr(buf, ')');
	unsigned long long ut, st;
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &ut,
			 &st) != 2)
		return -1;
	return (double)(ut + st) / (double)sysconf(_SC_CLK_TCK);
}

static void device_id(size_t i, char out[25])
{
	snprintf(out, 25, "10ad%020zx", i);
}

static int keygen(int argc, char **argv)
{
	if (argc != 7)
		return 2;
	long n = atol(argv[2]);
	FILE *kf = fopen(argv[3], "w"), *cf = fopen(argv[4], "w");
	if (n <= 0 || !kf || !cf) {
		fprintf(stderr, "otk-dtls-load: cannot write %s or %s\n", argv[3], argv[4]);
		return 1;
	}
	for (long i = 0; i < n; i++) {
		EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
		char *pem = NULL;
		BIO *b = BIO_new(BIO_s_mem());
		long pl = 0;
		if (!k || !b || !PEM_write_PrivateKey(kf, k, NULL, NULL, 0, NULL, NULL) ||
		    !PEM_write_bio_PUBKEY(b, k) || (pl = BIO_get_mem_data(b, &pem)) <= 0) {
			fprintf(stderr, "otk-dtls-load: key generation failed\n");
			return 1;
		}
		char id[25];
		device_id((size_t)i, id);
		fprintf(cf, "%surl = \"%s/v1/provisioning/%s\"\nheader = \"Authorization: Bearer %s\"\n"
			    "output = \"/dev/null\"\nwrite-out = \"%%{http_code}\\n\"\ndata = \"publicKey=",
			i ? "next\n" : "", argv[5], id, argv[6]);
		for (long j = 0; j < pl; j++) {
			unsigned char c = (unsigned char)pem[j];
			if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
				fputc(c, cf);
			else
				fprintf(cf, "%%%02X", c);
		}
		fprintf(cf, "\"\n");
		BIO_free(b);
		EVP_PKEY_free(k);
	}
	if (fclose(kf) || fclose(cf)) {
		fprintf(stderr, "otk-dtls-load: write error\n");
		return 1;
	}
	return 0;
}

static uint8_t *read_all(const char *path, size_t *len)
{
	static uint8_t buf[4096];
	FILE *f = fopen(path, "rb");
	if (!f) {
		fprintf(stderr, "otk-dtls-load: %s: cannot open\n", path);
		exit(1);
	}
	*len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	return buf;
}

/* Reads the datagrams waiting on the sockets in p (n entries). */
static void drain(struct dev *devs, struct pollfd *p, const size_t *who, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!(p[i].revents & POLLIN))
			continue;
		struct dev *v = &devs[who[i]];
		struct otk_dtls_io io = io_of(v);
		uint8_t b[2048];
		ssize_t len;
		while ((len = recv(v->fd, b, sizeof(b), 0)) > 0) {
			if (otk_dtls_input(v->s, b, (size_t)len, now_ms(), &io) < 0 &&
			    v->phase == HANDSHAKE)
				break;
		}
	}
}

static void send_hello(struct dev *v)
{
	uint8_t m[32], tok[4];
	struct otk_coap_writer w;
	struct otk_dtls_io io = io_of(v);
	memcpy(tok, &v->mid, 2);
	tok[2] = 0x10;
	tok[3] = 0xad;
	otk_coap_begin(&w, m, sizeof(m), OTK_COAP_CON, OTK_COAP_POST, v->mid, tok, sizeof(tok));
	otk_coap_add_path(&w, "h");
	int n = otk_coap_finish(&w);
	if (n > 0)
		otk_dtls_write(v->s, m, (size_t)n, &io);
}

/*
 * Phase 1 (round 0) or a CoAP round: keeps up to limit devices busy until
 * every device is done or failed, or the deadline.  Returns the number done.
 */
static size_t run_phase(struct dev *devs, size_t n, int round, size_t limit, uint64_t deadline,
			struct otk_dtls_config *cfg)
{
	struct pollfd *p = calloc(limit, sizeof(*p));
	size_t *who = calloc(limit, sizeof(*who)), *active = calloc(limit, sizeof(*active));
	size_t next = 0, busy = 0, done = 0, failed = 0;
	if (!p || !who || !active) {
		fprintf(stderr, "otk-dtls-load: out of memory\n");
		exit(1);
	}
	while (done + failed < n && now_ms() < deadline) {
		/* start devices while there is room */
		for (; next < n && busy < limit; next++) {
			struct dev *v = &devs[next];
			struct otk_dtls_io io = io_of(v);
			if (round == 0) {
				struct otk_dtls_config c = *cfg;
				c.own_key = v->key;
				v->fd = new_socket();
				v->s = v->fd >= 0 ? otk_dtls_client_new(&c) : NULL;
				if (!v->s || otk_dtls_start(v->s, now_ms(), &io) != 0) {
					v->phase = FAILED;
					failed++;
					continue;
				}
				v->phase = HANDSHAKE;
			} else {
				if (v->phase != ESTABLISHED) {
					failed++;
					continue;
				}
				if (round == 2) {
					/* the NAT forgot the device: a new source port */
					close(v->fd);
					v->fd = new_socket();
					if (v->fd < 0) {
						v->phase = FAILED;
						failed++;
						continue;
					}
				}
				RAND_bytes((uint8_t *)&v->mid, sizeof(v->mid));
				v->phase = WAITING;
				v->tries = 0;
				v->next_try = now_ms() + 2000;
				send_hello(v);
			}
			active[busy++] = next;
		}
		/* the devices in flight */
		size_t np = 0;
		uint64_t now = now_ms(), wake = now + 50;
		for (size_t i = 0; i < busy; i++) {
			struct dev *v = &devs[active[i]];
			p[np] = (struct pollfd){ .fd = v->fd, .events = POLLIN };
			who[np++] = active[i];
			uint64_t t = v->phase == HANDSHAKE ? otk_dtls_timeout(v->s) : v->next_try;
			if (t < wake)
				wake = t;
		}
		if (poll(p, np, wake > now ? (int)(wake - now) : 0) > 0)
			drain(devs, p, who, np);
		now = now_ms();
		for (size_t i = 0; i < np; i++) {
			struct dev *v = &devs[who[i]];
			struct otk_dtls_io io = io_of(v);
			if (v->phase == HANDSHAKE) {
				otk_dtls_poll(v->s, now, &io);
				enum otk_dtls_state st = otk_dtls_state(v->s);
				if (st == OTK_DTLS_ESTABLISHED) {
					v->phase = ESTABLISHED;
					done++;
				} else if (st != OTK_DTLS_HANDSHAKE) {
					fprintf(stderr, "otk-dtls-load: device %zu: handshake failed "
							"(alert %d)\n", who[i], otk_dtls_alert(v->s));
					v->phase = FAILED;
					failed++;
				}
			} else if (v->phase == REPLIED) {
				v->phase = ESTABLISHED;
				done++;
			} else if (v->phase == WAITING && now >= v->next_try) {
				if (++v->tries > 4) {
					fprintf(stderr, "otk-dtls-load: device %zu: no reply in round %d\n",
						who[i], round);
					v->phase = FAILED;
					failed++;
					continue;
				}
				retransmits++;
				v->next_try = now + (2000u << v->tries);
				send_hello(v);
			}
		}
		/* keep the devices still in flight */
		size_t k = 0;
		for (size_t i = 0; i < busy; i++)
			if (devs[active[i]].phase == HANDSHAKE || devs[active[i]].phase == WAITING)
				active[k++] = active[i];
		busy = k;
	}
	free(p);
	free(who);
	free(active);
	return done;
}

static int run(int argc, char **argv)
{
	if (argc < 6)
		return 2;
	size_t conc = 64, window = 0;
	int idle = 2, timeout = 240;
	const char *pid = NULL;
	for (int i = 6; i + 1 < argc; i += 2) {
		const char *a = argv[i], *v = argv[i + 1];
		if (!strcmp(a, "--concurrency"))
			conc = (size_t)atol(v);
		else if (!strcmp(a, "--window"))
			window = (size_t)atol(v);
		else if (!strcmp(a, "--idle"))
			idle = atoi(v);
		else if (!strcmp(a, "--pid"))
			pid = v;
		else if (!strcmp(a, "--timeout"))
			timeout = atoi(v);
		else
			return 2;
	}
	if (argc % 2 || !conc)
		return 2;
	server.sin_family = AF_INET;
	server.sin_port = htons((uint16_t)atoi(argv[3]));
	if (inet_pton(AF_INET, argv[2], &server.sin_addr) != 1)
		return 2;

	/* keys */
	size_t n = 0, cap = 1024;
	struct dev *devs = calloc(cap, sizeof(*devs));
	FILE *kf = fopen(argv[4], "r");
	if (!kf) {
		fprintf(stderr, "otk-dtls-load: %s: cannot open\n", argv[4]);
		return 1;
	}
	EVP_PKEY *k;
	while (devs && (k = PEM_read_PrivateKey(kf, NULL, NULL, NULL)) != NULL) {
		if (n == cap) {
			cap *= 2;
			devs = realloc(devs, cap * sizeof(*devs));
			if (!devs)
				break;
		}
		devs[n++] = (struct dev){ .key = k, .fd = -1 };
	}
	fclose(kf);
	if (!devs || n == 0) {
		fprintf(stderr, "otk-dtls-load: %s: no private keys\n", argv[4]);
		return 1;
	}

	/* one socket per device, and a few more */
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < n + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
		if (rl.rlim_cur < n + 64) {
			fprintf(stderr, "otk-dtls-load: %zu devices need %zu file descriptors; the "
					"limit is %llu\n", n, n + 64, (unsigned long long)rl.rlim_cur);
			return 1;
		}
	}
	size_t pl;
	uint8_t *pub = read_all(argv[5], &pl);
	struct otk_dtls_config cfg = { .mode = OTK_DTLS_PARTICLE, .peer_spki = pub,
				       .peer_spki_len = pl, .client_cid = true,
				       .hs_timeout_min_ms = 1000, .hs_timeout_max_ms = 16000 };
	if (!window || window > n)
		window = n;
	uint64_t t0 = now_ms(), deadline = t0 + (uint64_t)timeout * 1000u;
	long rss0 = rss_kb(pid);
	double cpu0 = cpu_s(pid);

	size_t hs = run_phase(devs, n, 0, conc, deadline, &cfg);
	uint64_t t1 = now_ms();
	long rss1 = rss_kb(pid);
	double cpu1 = cpu_s(pid);
	printf("devices %zu\nconcurrency %zu\nwindow %zu\n", n, conc, window);
	printf("handshakes_ok %zu\nhandshake_s %.2f\nhandshakes_per_s %.1f\n", hs, secs(t1 - t0),
	       (double)hs / secs(t1 - t0 ? t1 - t0 : 1));
	if (cpu0 >= 0 && cpu1 > cpu0)
		printf("server_cpu_s %.2f\nhandshakes_per_server_cpu_s %.1f\n", cpu1 - cpu0,
		       (double)hs / (cpu1 - cpu0));
	fflush(stdout);

	size_t r1 = run_phase(devs, n, 1, window, deadline, &cfg);
	uint64_t t2 = now_ms();
	printf("round1_replies %zu\nround1_s %.2f\nround1_retransmits %llu\n", r1, secs(t2 - t1),
	       (unsigned long long)retransmits);
	fflush(stdout);

	struct timespec idle_ts = { .tv_sec = idle };
	nanosleep(&idle_ts, NULL);
	retransmits = 0;
	uint64_t t3 = now_ms();
	size_t r2 = run_phase(devs, n, 2, window, deadline, &cfg);
	uint64_t t4 = now_ms();
	long rss2 = rss_kb(pid);
	printf("round2_replies %zu\nround2_s %.2f\nround2_retransmits %llu\n", r2, secs(t4 - t3),
	       (unsigned long long)retransmits);
	if (pid) {
		printf("rss_before_kb %ld\nrss_established_kb %ld\nrss_after_kb %ld\n", rss0, rss1,
		       rss2);
		if (hs)
			printf("rss_per_session_bytes %.0f\n", (double)(rss2 - rss0) * 1024.0 / (double)hs);
	}
	for (size_t i = 0; i < n; i++) {
		otk_dtls_free(devs[i].s);
		EVP_PKEY_free(devs[i].key);
		if (devs[i].fd >= 0)
			close(devs[i].fd);
	}
	free(devs);
	return hs == n && r1 == n && r2 == n ? 0 : 1;
}

int main(int argc, char **argv)
{
	int rc = 2;
	if (argc > 1 && !strcmp(argv[1], "keygen"))
		rc = keygen(argc, argv);
	else if (argc > 1 && !strcmp(argv[1], "run"))
		rc = run(argc, argv);
	if (rc == 2)
		fprintf(stderr, "usage: otk-dtls-load keygen N KEYS.pem CURL.cfg URL TOKEN\n"
				"       otk-dtls-load run HOST PORT KEYS.pem SERVER_PUB.der "
				"[--concurrency C] [--window W] [--idle S] [--pid PID] [--timeout S]\n");
	return rc;
}
