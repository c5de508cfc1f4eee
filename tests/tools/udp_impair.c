/*
 * otk-udp-impair: a UDP link as it is in the field, for the tests and
 * bench/ (loopback only, bounded run time, seedable).
 *
 *   otk-udp-impair proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:5684
 *                  [--delay MS] [--jitter MS] [--loss PCT] [--dup PCT]
 *                  [--reorder PCT] [--reorder-gap MS] [--rebind-after N]
 *                  [--seed N] [--duration S] [--port-file F] [--stats F]
 *       A client sends to --listen; datagrams go on to --upstream from the
 *       proxy's own socket and the answers come back.  Every impairment
 *       applies to both directions, independently: loss drops, dup sends
 *       twice, delay +- jitter holds each datagram, reorder holds some
 *       datagrams reorder-gap longer so later ones overtake them.
 *       --rebind-after N opens a new upstream socket (a new source port, as
 *       a NAT rebinding looks to the server) after every N client
 *       datagrams; answers to the old port are lost, as in the field.
 *       At the end (duration, SIGINT, SIGTERM) the counts go to --stats or
 *       standard output as one JSON object.
 *   otk-udp-impair echo --listen ADDR [--port-file F] [--duration S]
 *       Answers each datagram with its payload and " port P" (the sender's
 *       port as seen); at the end {"received":N,"peers":K}.
 *   otk-udp-impair send --to ADDR [--count N] [--interval-ms I] [--wait-ms W]
 *       Sends "seq K" datagrams to an echo peer (directly or through the
 *       proxy) and prints what came back: received, unique, duplicates,
 *       reordered, the distinct ports the echo saw, rtt_min/median/max_ms.
 *
 * Exit status: 0 done, 1 failure, 2 bad usage (including an address that is
 * not loopback).
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define DGRAM_MAX 65536
#define QUEUE_MAX 8192             /* datagrams held at once, at most */
#define DURATION_MAX 3600          /* seconds */
#define SEND_MAX 100000            /* datagrams of one send run */

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void die_usage(const char *fmt, const char *arg)
{
	fprintf(stderr, "otk-udp-impair: ");
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nusage: otk-udp-impair proxy|echo|send ... (see --help)\n");
	exit(2);
}

/* --- options --------------------------------------------------------------- */

struct opts {
	const char *listen, *upstream, *to, *port_file, *stats;
	double delay_ms, jitter_ms, reorder_gap_ms;
	double loss, dup, reorder;         /* probabilities 0..1 */
	unsigned long rebind_after, count;
	double interval_ms, wait_ms;
	uint64_t seed;
	unsigned duration;
};

static double num(const char *name, const char *v, double lo, double hi)
{
	char *end = NULL;
	double x = strtod(v, &end);
	if (!*v || *end || x < lo || x > hi) {
		fprintf(stderr, "otk-udp-impair: %s %s: not a number in [%g, %g]\n", name, v, lo,
			hi);
		exit(2);
	}
	return x;
}

static void parse_opts(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){.reorder_gap_ms = 30, .seed = 1, .duration = 60, .count = 100,
			   .interval_ms = 2, .wait_ms = 1000};
	for (int i = 2; i < argc; i++) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (!v)
			die_usage("%s needs a value", k);
		i++;
		if (!strcmp(k, "--listen")) o->listen = v;
		else if (!strcmp(k, "--upstream")) o->upstream = v;
		else if (!strcmp(k, "--to")) o->to = v;
		else if (!strcmp(k, "--port-file")) o->port_file = v;
		else if (!strcmp(k, "--stats")) o->stats = v;
		else if (!strcmp(k, "--delay")) o->delay_ms = num(k, v, 0, 60000);
		else if (!strcmp(k, "--jitter")) o->jitter_ms = num(k, v, 0, 60000);
		else if (!strcmp(k, "--reorder-gap")) o->reorder_gap_ms = num(k, v, 0, 60000);
		else if (!strcmp(k, "--loss")) o->loss = num(k, v, 0, 100) / 100;
		else if (!strcmp(k, "--dup")) o->dup = num(k, v, 0, 100) / 100;
		else if (!strcmp(k, "--reorder")) o->reorder = num(k, v, 0, 100) / 100;
		else if (!strcmp(k, "--rebind-after")) o->rebind_after = (unsigned long)num(k, v, 0, 1e9);
		else if (!strcmp(k, "--count")) o->count = (unsigned long)num(k, v, 1, SEND_MAX);
		else if (!strcmp(k, "--interval-ms")) o->interval_ms = num(k, v, 0, 10000);
		else if (!strcmp(k, "--wait-ms")) o->wait_ms = num(k, v, 0, 600000);
		else if (!strcmp(k, "--seed")) o->seed = (uint64_t)num(k, v, 0, 1e15);
		else if (!strcmp(k, "--duration")) o->duration = (unsigned)num(k, v, 1, DURATION_MAX);
		else die_usage("unknown option %s", k);
	}
}

/* --- addresses: IPv4 loopback only ---------------------------------------- */

static struct sockaddr_in parse_addr(const char *what, const char *s)
{
	struct sockaddr_in a = {.sin_family = AF_INET};
	char host[64];
	const char *colon = s ? strrchr(s, ':') : NULL;
	if (!s || !colon || (size_t)(colon - s) >= sizeof host)
		die_usage("%s: expected 127.x.y.z:PORT", what);
	memcpy(host, s, (size_t)(colon - s));
	host[colon - s] = '\0';
	char *end = NULL;
	long port = strtol(colon + 1, &end, 10);
	if (inet_pton(AF_INET, host, &a.sin_addr) != 1 || *end || port < 0 || port > 65535)
		die_usage("%s: expected 127.x.y.z:PORT", s);
	if ((ntohl(a.sin_addr.s_addr) >> 24) != 127)
		die_usage("%s: not a loopback address (this tool stays on 127.0.0.0/8)", s);
	a.sin_port = htons((uint16_t)port);
	return a;
}

static int udp_socket(const struct sockaddr_in *bind_to)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("otk-udp-impair: socket");
		exit(1);
	}
	struct sockaddr_in any = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	const struct sockaddr_in *b = bind_to ? bind_to : &any;
	if (bind(fd, (const struct sockaddr *)b, sizeof *b) != 0) {
		perror("otk-udp-impair: bind");
		exit(1);
	}
	return fd;
}

static uint16_t local_port(int fd)
{
	struct sockaddr_in a;
	socklen_t len = sizeof a;
	getsockname(fd, (struct sockaddr *)&a, &len);
	return ntohs(a.sin_port);
}

static void write_port_file(const char *path, int fd)
{
	if (!path)
		return;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	if (!f || fprintf(f, "%u\n", local_port(fd)) < 0 || fclose(f) != 0 ||
	    rename(tmp, path) != 0) {
		fprintf(stderr, "otk-udp-impair: %s: cannot write the port\n", path);
		exit(1);
	}
}

static FILE *stats_out(const char *path)
{
	FILE *f = path ? fopen(path, "w") : stdout;
	if (!f) {
		fprintf(stderr, "otk-udp-impair: %s: cannot write the stats\n", path);
		exit(1);
	}
	return f;
}

static void install_signals(void)
{
	struct sigaction sa = {.sa_handler = on_signal};
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
}

/* --- seeded randomness (splitmix64) ---------------------------------------- */

/* One stream per direction, so that how the two directions interleave
 * does not change the decisions a seed makes. */
static uint64_t rng_state[2];

static uint64_t rng_next(int dir)
{
	uint64_t z = (rng_state[dir] += 0x9e3779b97f4a7c15u);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9u;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebu;
	return z ^ (z >> 31);
}

static double rng_unit(int dir)
{
	return (double)(rng_next(dir) >> 11) / 9007199254740992.0;
}

/* --- proxy ----------------------------------------------------------------- */

enum { UP, DOWN };

struct dir_stats {
	unsigned long in, out, dropped, duplicated, reordered, send_errors, held;
	double delay_min_ms, delay_max_ms;
};

struct held {
	uint64_t due;
	int dir;
	size_t len;
	uint8_t *data;
};

struct proxy {
	struct opts o;
	int client_fd, up_fd;
	struct sockaddr_in upstream, client;
	bool have_client;
	struct held q[QUEUE_MAX];
	size_t nq;
	struct dir_stats st[2];
	unsigned long rebinds, overflow, up_since_rebind;
};

static void hold(struct proxy *p, int dir, const uint8_t *data, size_t len, double delay_ms)
{
	if (p->nq == QUEUE_MAX) {
		p->overflow++;
		return;
	}
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy) {
		p->overflow++;
		return;
	}
	memcpy(copy, data, len);
	struct dir_stats *s = &p->st[dir];
	if (s->held++ == 0 || delay_ms < s->delay_min_ms)
		s->delay_min_ms = delay_ms;
	if (delay_ms > s->delay_max_ms)
		s->delay_max_ms = delay_ms;
	p->q[p->nq++] = (struct held){now_us() + (uint64_t)(delay_ms * 1000), dir, len, copy};
}

/* One datagram in: lost, or held once or twice with its delay. */
static void impair(struct proxy *p, int dir, const uint8_t *data, size_t len)
{
	struct dir_stats *s = &p->st[dir];
	s->in++;
	if (rng_unit(dir) < p->o.loss) {
		s->dropped++;
		return;
	}
	int copies = rng_unit(dir) < p->o.dup ? 2 : 1;
	s->duplicated += (unsigned long)(copies - 1);
	for (int c = 0; c < copies; c++) {
		double d = p->o.delay_ms + (rng_unit(dir) * 2 - 1) * p->o.jitter_ms;
		if (d < 0)
			d = 0;
		if (rng_unit(dir) < p->o.reorder) {
			d += p->o.reorder_gap_ms;
			s->reordered++;
		}
		hold(p, dir, data, len, d + c);   /* a duplicate comes a little later */
	}
}

static void rebind(struct proxy *p)
{
	close(p->up_fd);
	p->up_fd = udp_socket(NULL);
	p->rebinds++;
	p->up_since_rebind = 0;
}

static void deliver(struct proxy *p, struct held *h)
{
	struct dir_stats *s = &p->st[h->dir];
	ssize_t n;
	if (h->dir == UP) {
		if (p->o.rebind_after && p->up_since_rebind++ >= p->o.rebind_after)
			rebind(p);
		n = sendto(p->up_fd, h->data, h->len, 0, (struct sockaddr *)&p->upstream,
			   sizeof p->upstream);
	} else {
		n = sendto(p->client_fd, h->data, h->len, 0, (struct sockaddr *)&p->client,
			   sizeof p->client);
	}
	if (n == (ssize_t)h->len)
		s->out++;
	else
		s->send_errors++;
	free(h->data);
}

/* Delivers everything due; returns the microseconds to the next one. */
static uint64_t deliver_due(struct proxy *p)
{
	for (;;) {
		uint64_t t = now_us(), next = UINT64_MAX;
		size_t pick = SIZE_MAX;
		for (size_t i = 0; i < p->nq; i++)
			if (p->q[i].due < next) {
				next = p->q[i].due;
				pick = i;
			}
		if (pick == SIZE_MAX)
			return UINT64_MAX;
		if (next > t)
			return next - t;
		struct held h = p->q[pick];
		memmove(&p->q[pick], &p->q[pick + 1], (p->nq - pick - 1) * sizeof p->q[0]);
		p->nq--;
		deliver(p, &h);
	}
}

static void receive(struct proxy *p, int fd, int dir, uint8_t *buf)
{
	struct sockaddr_in from;
	socklen_t flen = sizeof from;
	ssize_t n = recvfrom(fd, buf, DGRAM_MAX, MSG_DONTWAIT, (struct sockaddr *)&from, &flen);
	if (n < 0)
		return;
	if (dir == UP) {
		p->client = from;
		p->have_client = true;
	} else if (!p->have_client || from.sin_addr.s_addr != p->upstream.sin_addr.s_addr ||
		   from.sin_port != p->upstream.sin_port) {
		return;            /* only the upstream answers, only to a known client */
	}
	impair(p, dir, buf, (size_t)n);
}

static void print_dir(FILE *f, const char *name, const struct dir_stats *s)
{
	fprintf(f, "\"%s\":{\"in\":%lu,\"out\":%lu,\"dropped\":%lu,\"duplicated\":%lu,"
		"\"reordered\":%lu,\"send_errors\":%lu,\"delay_min_ms\":%.1f,\"delay_max_ms\":%.1f}",
		name, s->in, s->out, s->dropped, s->duplicated, s->reordered, s->send_errors,
		s->delay_min_ms, s->delay_max_ms);
}

static int run_proxy(const struct opts *o)
{
	static struct proxy p;
	static uint8_t buf[DGRAM_MAX];
	p.o = *o;
	struct sockaddr_in l = parse_addr("--listen", o->listen);
	p.upstream = parse_addr("--upstream", o->upstream);
	p.client_fd = udp_socket(&l);
	p.up_fd = udp_socket(NULL);
	write_port_file(o->port_file, p.client_fd);
	uint64_t end = now_us() + (uint64_t)o->duration * 1000000u;
	while (!stop && now_us() < end) {
		uint64_t wait = deliver_due(&p), left = end - now_us();
		if (wait > left)
			wait = left;
		struct pollfd fds[2] = {{p.client_fd, POLLIN, 0}, {p.up_fd, POLLIN, 0}};
		/* at most 200 ms, so a signal that lands just before poll() is
		 * still seen promptly */
		int timeout_ms = wait > 200000 ? 200 : (int)((wait + 999) / 1000);
		if (poll(fds, 2, timeout_ms) < 0 && errno != EINTR)
			break;
		if (fds[0].revents & POLLIN)
			receive(&p, p.client_fd, UP, buf);
		if (fds[1].revents & POLLIN)
			receive(&p, p.up_fd, DOWN, buf);
	}
	for (size_t i = 0; i < p.nq; i++)
		free(p.q[i].data);
	FILE *f = stats_out(o->stats);
	fprintf(f, "{");
	print_dir(f, "up", &p.st[UP]);
	fprintf(f, ",");
	print_dir(f, "down", &p.st[DOWN]);
	fprintf(f, ",\"held_at_end\":%zu,\"rebinds\":%lu,\"overflow\":%lu,\"seed\":%" PRIu64 "}\n",
		p.nq, p.rebinds, p.overflow, o->seed);
	if (f != stdout)
		fclose(f);
	close(p.client_fd);
	close(p.up_fd);
	return 0;
}

/* --- echo ------------------------------------------------------------------ */

#define PEERS_MAX 256

static int run_echo(const struct opts *o)
{
	static uint8_t buf[DGRAM_MAX + 16];
	struct sockaddr_in l = parse_addr("--listen", o->listen), peers[PEERS_MAX];
	size_t npeers = 0;
	unsigned long received = 0;
	int fd = udp_socket(&l);
	write_port_file(o->port_file, fd);
	uint64_t end = now_us() + (uint64_t)o->duration * 1000000u;
	while (!stop && now_us() < end) {
		struct pollfd pfd = {fd, POLLIN, 0};
		if (poll(&pfd, 1, 100) <= 0)
			continue;
		struct sockaddr_in from;
		socklen_t flen = sizeof from;
		ssize_t n = recvfrom(fd, buf, DGRAM_MAX - 16, 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			continue;
		received++;
		size_t k = 0;
		while (k < npeers && (peers[k].sin_port != from.sin_port ||
				      peers[k].sin_addr.s_addr != from.sin_addr.s_addr))
			k++;
		if (k == npeers && npeers < PEERS_MAX)
			peers[npeers++] = from;
		int m = snprintf((char *)buf + n, 16, " port %u", ntohs(from.sin_port));
		sendto(fd, buf, (size_t)n + (size_t)m, 0, (struct sockaddr *)&from, flen);
	}
	FILE *f = stats_out(o->stats);
	fprintf(f, "{\"received\":%lu,\"peers\":%zu}\n", received, npeers);
	if (f != stdout)
		fclose(f);
	close(fd);
	return 0;
}

/* --- send ------------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

struct send_run {
	unsigned long count, received, unique, dups, reordered;
	uint64_t *sent_at;
	uint8_t *seen;
	double *rtt;
	long max_seq;
	unsigned ports[PEERS_MAX];
	size_t nports;
};

static void got_reply(struct send_run *r, const char *s)
{
	unsigned long seq;
	unsigned port;
	if (sscanf(s, "seq %lu port %u", &seq, &port) != 2 || seq >= r->count)
		return;
	r->received++;
	if (r->seen[seq]) {
		r->dups++;
		return;
	}
	r->seen[seq] = 1;
	r->rtt[r->unique++] = (double)(now_us() - r->sent_at[seq]) / 1000.0;
	if ((long)seq < r->max_seq)
		r->reordered++;
	else
		r->max_seq = (long)seq;
	size_t k = 0;
	while (k < r->nports && r->ports[k] != port)
		k++;
	if (k == r->nports && r->nports < PEERS_MAX)
		r->ports[r->nports++] = port;
}

static void poll_replies(int fd, struct send_run *r, uint64_t until)
{
	char buf[256];
	for (;;) {
		uint64_t t = now_us();
		if (t >= until || stop)
			return;
		struct pollfd pfd = {fd, POLLIN, 0};
		int ms = (int)((until - t + 999) / 1000);
		if (poll(&pfd, 1, ms) <= 0)
			continue;
		ssize_t n = recv(fd, buf, sizeof buf - 1, MSG_DONTWAIT);
		if (n < 0)
			continue;
		buf[n] = '\0';
		got_reply(r, buf);
	}
}

static int run_send(const struct opts *o)
{
	struct sockaddr_in to = parse_addr("--to", o->to);
	struct send_run r = {.count = o->count, .max_seq = -1};
	r.sent_at = calloc(o->count, sizeof *r.sent_at);
	r.seen = calloc(o->count, 1);
	r.rtt = calloc(o->count, sizeof *r.rtt);
	if (!r.sent_at || !r.seen || !r.rtt)
		return 1;
	int fd = udp_socket(NULL);
	for (unsigned long i = 0; i < o->count && !stop; i++) {
		char msg[32];
		int n = snprintf(msg, sizeof msg, "seq %lu", i);
		r.sent_at[i] = now_us();
		sendto(fd, msg, (size_t)n, 0, (struct sockaddr *)&to, sizeof to);
		poll_replies(fd, &r, now_us() + (uint64_t)(o->interval_ms * 1000));
	}
	poll_replies(fd, &r, now_us() + (uint64_t)(o->wait_ms * 1000));
	qsort(r.rtt, r.unique, sizeof *r.rtt, cmp_double);
	double med = r.unique ? r.rtt[r.unique / 2] : 0;
	printf("{\"sent\":%lu,\"received\":%lu,\"unique\":%lu,\"duplicates\":%lu,"
	       "\"reordered\":%lu,\"ports\":%zu,\"rtt_min_ms\":%.1f,\"rtt_median_ms\":%.1f,"
	       "\"rtt_max_ms\":%.1f}\n", o->count, r.received, r.unique, r.dups, r.reordered,
	       r.nports, r.unique ? r.rtt[0] : 0, med, r.unique ? r.rtt[r.unique - 1] : 0);
	free(r.sent_at);
	free(r.seen);
	free(r.rtt);
	close(fd);
	return 0;
}

static void usage(void)
{
	puts("usage:\n"
	     "  otk-udp-impair proxy --listen 127.0.0.1:0 --upstream 127.0.0.1:PORT [--delay MS]\n"
	     "      [--jitter MS] [--loss PCT] [--dup PCT] [--reorder PCT] [--reorder-gap MS]\n"
	     "      [--rebind-after N] [--seed N] [--duration S] [--port-file F] [--stats F]\n"
	     "  otk-udp-impair echo --listen 127.0.0.1:0 [--port-file F] [--duration S]\n"
	     "  otk-udp-impair send --to 127.0.0.1:PORT [--count N] [--interval-ms I] [--wait-ms W]\n"
	     "examples:\n"
	     "  otk-udp-impair proxy --listen 127.0.0.1:7000 --upstream 127.0.0.1:5684 \\\n"
	     "      --delay 1000 --loss 2 --duration 120     # 2 s round trip, 2 % loss each way\n"
	     "  otk-udp-impair echo --listen 127.0.0.1:7001 --duration 10 &\n"
	     "  otk-udp-impair send --to 127.0.0.1:7000 --count 100\n"
	     "Loopback (127.0.0.0/8) only; every run ends after --duration (default 60 s).");
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "--help") || !strcmp(argv[1], "-h")) {
		usage();
		return argc < 2 ? 2 : 0;
	}
	struct opts o;
	parse_opts(argc, argv, &o);
	rng_state[0] = o.seed;
	rng_state[1] = o.seed ^ 0x5555555555555555u;
	install_signals();
	signal(SIGPIPE, SIG_IGN);
	if (!strcmp(argv[1], "proxy"))
		return run_proxy(&o);
	if (!strcmp(argv[1], "echo"))
		return run_echo(&o);
	if (!strcmp(argv[1], "send"))
		return run_send(&o);
	die_usage("unknown mode %s", argv[1]);
	return 2;
}
