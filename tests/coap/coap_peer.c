/*
 * otk-coap-peer: a plain-UDP CoAP client and server built on otakit's codec
 * and reliability layer, for interoperability tests against libcoap's
 * coap-client-notls and coap-server-notls (tests/coap_interop.sh).
 *
 *   otk-coap-peer server PORTFILE [SECONDS]
 *       Serves on 127.0.0.1 (port written to PORTFILE) until GET /quit:
 *       GET /hello      piggy-backed 2.05 "hello from otakit" (NON request: NON answer)
 *       GET /sep        empty ACK, then a separate CON 2.05 "separate", retransmitted until ACKed
 *       GET /big        1500 bytes (i % 251) in Block2 blocks of the size the client asks (max 1024)
 *       PUT /up         Block1 upload; 2.31 per block, 2.04 at the end; GET /up returns it
 *   otk-coap-peer get HOST PORT PATH [non] [post] [query Q] [szx N]
 *       One GET (POST with "post"; CON unless "non"); follows Block2 with block size 2^(N+4);
 *       writes the payload to stdout and "<type> <code>" of the last reply to stderr.
 */
#define _POSIX_C_SOURCE 200809L
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"

#define BIG_LEN 1500
#define MAX_MSG 1280

static uint32_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)(ts.tv_sec * 1000u + (uint32_t)(ts.tv_nsec / 1000000));
}

static int udp_socket(struct sockaddr_in *bound)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	socklen_t sl = sizeof(*bound);

	if (fd < 0)
		return -1;
	memset(bound, 0, sizeof(*bound));
	bound->sin_family = AF_INET;
	bound->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)bound, sizeof(*bound)) ||
	    getsockname(fd, (struct sockaddr *)bound, &sl)) {
		close(fd);
		return -1;
	}
	return fd;
}

static const char *type_name(uint8_t t)
{
	static const char *n[] = { "CON", "NON", "ACK", "RST" };
	return n[t & 3];
}

/* ---- server ---- */

struct server {
	int fd;
	struct sockaddr_in peer;
	struct otk_coap_rel rel;
	uint8_t out[MAX_MSG];   /* the outstanding separate response */
	size_t out_len;
	uint8_t big[BIG_LEN];
	uint8_t up[8192];
	size_t up_len;
	int quit;
};

static void send_to(struct server *s, const uint8_t *b, size_t n)
{
	if (sendto(s->fd, b, n, 0, (struct sockaddr *)&s->peer, sizeof(s->peer)) < 0)
		perror("otk-coap-peer: sendto");
}

/* Answers m (a new request).  CON requests get a piggy-backed ACK unless separate. */
static void serve(struct server *s, const struct otk_coap_msg *m)
{
	char path[64];
	uint8_t buf[MAX_MSG];
	struct otk_coap_writer w;
	struct otk_coap_opt o;
	struct otk_coap_block b = { 0, false, 6 };
	uint8_t rtype = m->type == OTK_COAP_CON ? OTK_COAP_ACK : OTK_COAP_NON;
	uint16_t rmid = m->type == OTK_COAP_CON ? m->mid : otk_coap_rel_next_mid(&s->rel);
	int n;

	if (otk_coap_uri_path(m, path, sizeof(path)) < 0)
		path[0] = 0;
	otk_coap_begin(&w, buf, sizeof(buf), rtype, OTK_COAP_CONTENT, rmid, m->token, m->token_len);
	if (m->code == OTK_COAP_GET && !strcmp(path, "hello")) {
		otk_coap_set_payload(&w, "hello from otakit", 17);
	} else if (m->code == OTK_COAP_GET && !strcmp(path, "quit")) {
		s->quit = 1;
	} else if (m->code == OTK_COAP_GET && (!strcmp(path, "big") || !strcmp(path, "up"))) {
		const uint8_t *data = path[0] == 'b' ? s->big : s->up;
		size_t len = path[0] == 'b' ? BIG_LEN : s->up_len;
		if (otk_coap_opt_find(m, OTK_COAP_OPT_BLOCK2, &o) && otk_coap_block_decode(&o, &b)) {
			w.buf[1] = OTK_COAP_BAD_OPTION;
		} else if (otk_coap_block_offset(&b) >= len && len) {
			w.buf[1] = OTK_COAP_CODE(4, 2);
		} else {
			if (b.szx > 6)
				b.szx = 6;
			size_t off = otk_coap_block_offset(&b), bs = otk_coap_block_size(b.szx);
			size_t take = len - off < bs ? len - off : bs;
			b.more = off + take < len;
			otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK2, &b);
			otk_coap_add_opt_uint(&w, OTK_COAP_OPT_SIZE2, (uint32_t)len);
			otk_coap_set_payload(&w, data + off, take);
		}
	} else if (m->code == OTK_COAP_PUT && !strcmp(path, "up")) {
		w.buf[1] = OTK_COAP_CHANGED;
		if (otk_coap_opt_find(m, OTK_COAP_OPT_BLOCK1, &o)) {
			if (otk_coap_block_decode(&o, &b) ||
			    otk_coap_block_offset(&b) + m->payload_len > sizeof(s->up) ||
			    otk_coap_block_offset(&b) > s->up_len) {
				w.buf[1] = OTK_COAP_REQUEST_INCOMPLETE;
			} else {
				memcpy(s->up + otk_coap_block_offset(&b), m->payload, m->payload_len);
				s->up_len = otk_coap_block_offset(&b) + m->payload_len;
				if (b.more)
					w.buf[1] = OTK_COAP_CONTINUE;
				otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK1, &b);
			}
		} else if (m->payload_len <= sizeof(s->up)) {
			memcpy(s->up, m->payload, m->payload_len);
			s->up_len = m->payload_len;
		}
	} else if (m->code == OTK_COAP_GET && !strcmp(path, "sep") && m->type == OTK_COAP_CON) {
		/* empty ACK now, the response later as its own CON */
		uint8_t ack[4];
		otk_coap_begin(&w, ack, sizeof(ack), OTK_COAP_ACK, OTK_COAP_EMPTY, m->mid, NULL, 0);
		n = otk_coap_finish(&w);
		send_to(s, ack, (size_t)n);
		otk_coap_rel_remember(&s->rel, m->mid, ack, (size_t)n);
		if (otk_coap_rel_busy(&s->rel))
			return;
		otk_coap_begin(&w, s->out, sizeof(s->out), OTK_COAP_CON, OTK_COAP_CONTENT,
			       otk_coap_rel_next_mid(&s->rel), m->token, m->token_len);
		otk_coap_set_payload(&w, "separate", 8);
		n = otk_coap_finish(&w);
		struct otk_coap_msg sm;
		if (n > 0 && !otk_coap_parse(s->out, (size_t)n, &sm) &&
		    !otk_coap_rel_con_sent(&s->rel, &sm, now_ms(), (uint32_t)rand())) {
			s->out_len = (size_t)n;
			send_to(s, s->out, s->out_len);
		}
		return;
	} else {
		w.buf[1] = OTK_COAP_NOT_FOUND;
	}
	n = otk_coap_finish(&w);
	if (n < 0) {
		fprintf(stderr, "otk-coap-peer: cannot build reply: %d\n", n);
		return;
	}
	send_to(s, buf, (size_t)n);
	if (m->type == OTK_COAP_CON)
		otk_coap_rel_remember(&s->rel, m->mid, buf, (size_t)n);
}

static int run_server(const char *portfile, int seconds)
{
	static struct server s;
	struct sockaddr_in me;
	uint32_t end = now_ms() + (uint32_t)seconds * 1000u;

	s.fd = udp_socket(&me);
	if (s.fd < 0) {
		perror("otk-coap-peer: socket");
		return 1;
	}
	for (size_t i = 0; i < BIG_LEN; i++)
		s.big[i] = (uint8_t)(i % 251);
	otk_coap_rel_init(&s.rel, (uint16_t)getpid());
	FILE *f = fopen(portfile, "w");
	if (!f || fprintf(f, "%u\n", ntohs(me.sin_port)) < 0 || fclose(f)) {
		fprintf(stderr, "otk-coap-peer: %s: cannot write the port\n", portfile);
		return 1;
	}
	while (!s.quit && (int32_t)(end - now_ms()) > 0) {
		struct pollfd p = { .fd = s.fd, .events = POLLIN };
		uint32_t wait = otk_coap_rel_deadline(&s.rel, now_ms());
		if (wait > 200)
			wait = 200;
		if (poll(&p, 1, (int)wait) < 0 && errno != EINTR)
			return 1;
		switch (otk_coap_rel_poll(&s.rel, now_ms())) {
		case OTK_COAP_REL_RETRANSMIT:
			fprintf(stderr, "otk-coap-peer: retransmit separate response\n");
			send_to(&s, s.out, s.out_len);
			break;
		case OTK_COAP_REL_GIVE_UP:
			fprintf(stderr, "otk-coap-peer: separate response never acknowledged\n");
			break;
		}
		if (!(p.revents & POLLIN))
			continue;
		uint8_t buf[MAX_MSG], reply[OTK_COAP_REL_REPLY_MAX];
		socklen_t sl = sizeof(s.peer);
		ssize_t n = recvfrom(s.fd, buf, sizeof(buf), 0, (struct sockaddr *)&s.peer, &sl);
		struct otk_coap_msg m;
		size_t rl;
		if (n < 0)
			continue;
		if (otk_coap_parse(buf, (size_t)n, &m)) {
			fprintf(stderr, "otk-coap-peer: malformed message of %zd bytes\n", n);
			continue;
		}
		switch (otk_coap_rel_rx(&s.rel, &m, now_ms(), reply, sizeof(reply), &rl)) {
		case OTK_COAP_REL_NEW:
			if (m.code >= OTK_COAP_GET && m.code <= OTK_COAP_DELETE)
				serve(&s, &m);
			break;
		case OTK_COAP_REL_ACKED:
			fprintf(stderr, "otk-coap-peer: separate response acknowledged\n");
			break;
		case OTK_COAP_REL_DUP:
		case OTK_COAP_REL_PING:
			if (rl)
				send_to(&s, reply, rl);
			break;
		default:
			break;
		}
	}
	return 0;
}

/* ---- client ---- */

static int run_get(const char *host, int port, const char *path, const char *query, int non,
		   int szx, uint8_t method)
{
	struct sockaddr_in me, to = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port) };
	struct otk_coap_rel rel;
	int fd = udp_socket(&me);
	uint32_t block = 0;
	uint8_t last_type = 0, last_code = 0;

	if (fd < 0 || inet_pton(AF_INET, host, &to.sin_addr) != 1) {
		fprintf(stderr, "otk-coap-peer: bad address %s\n", host);
		return 2;
	}
	srand((unsigned)getpid());
	otk_coap_rel_init(&rel, (uint16_t)rand());
	for (;;) {
		uint8_t req[256], tok = (uint8_t)rand();
		struct otk_coap_writer w;
		struct otk_coap_msg rm;
		int done = 0, more = 0;

		otk_coap_begin(&w, req, sizeof(req), non ? OTK_COAP_NON : OTK_COAP_CON, method,
			       otk_coap_rel_next_mid(&rel), &tok, 1);
		otk_coap_add_path(&w, path);
		if (query)
			otk_coap_add_opt(&w, OTK_COAP_OPT_URI_QUERY, query, strlen(query));
		if (szx >= 0) {
			struct otk_coap_block b = { block, false, (uint8_t)szx };
			otk_coap_add_block(&w, OTK_COAP_OPT_BLOCK2, &b);
		}
		int n = otk_coap_finish(&w);
		if (n < 0 || otk_coap_parse(req, (size_t)n, &rm))
			return 1;
		if (!non)
			otk_coap_rel_con_sent(&rel, &rm, now_ms(), (uint32_t)rand());
		sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
		uint32_t give_up = now_ms() + 60000;
		while (!done) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			if ((int32_t)(give_up - now_ms()) <= 0) {
				fprintf(stderr, "otk-coap-peer: no response\n");
				return 1;
			}
			uint32_t wait = otk_coap_rel_deadline(&rel, now_ms());
			poll(&p, 1, wait > 500 ? 500 : (int)wait);
			int t = otk_coap_rel_poll(&rel, now_ms());
			if (t == OTK_COAP_REL_RETRANSMIT)
				sendto(fd, req, (size_t)n, 0, (struct sockaddr *)&to, sizeof(to));
			if (t == OTK_COAP_REL_GIVE_UP) {
				fprintf(stderr, "otk-coap-peer: request not acknowledged\n");
				return 1;
			}
			if (!(p.revents & POLLIN))
				continue;
			uint8_t buf[MAX_MSG], reply[OTK_COAP_REL_REPLY_MAX];
			ssize_t got = recv(fd, buf, sizeof(buf), 0);
			struct otk_coap_msg m;
			size_t rl;
			if (got < 0 || otk_coap_parse(buf, (size_t)got, &m))
				continue;
			int k = otk_coap_rel_rx(&rel, &m, now_ms(), reply, sizeof(reply), &rl);
			if (rl)
				sendto(fd, reply, rl, 0, (struct sockaddr *)&to, sizeof(to));
			if (k == OTK_COAP_REL_ACKED && m.code == OTK_COAP_EMPTY) {
				fprintf(stderr, "otk-coap-peer: empty ACK, waiting for the separate response\n");
				continue;
			}
			if (k != OTK_COAP_REL_ACKED && k != OTK_COAP_REL_NEW)
				continue;
			/* responses match by token (RFC 7252 5.3.2) */
			if (m.token_len != 1 || m.token[0] != tok)
				continue;
			if (k == OTK_COAP_REL_NEW && m.type == OTK_COAP_CON) {
				uint8_t ack[4];
				otk_coap_begin(&w, ack, sizeof(ack), OTK_COAP_ACK, OTK_COAP_EMPTY, m.mid,
					       NULL, 0);
				sendto(fd, ack, 4, 0, (struct sockaddr *)&to, sizeof(to));
				otk_coap_rel_remember(&rel, m.mid, ack, 4);
				otk_coap_rel_cancel(&rel);
				fprintf(stderr, "otk-coap-peer: separate response\n");
			}
			last_type = m.type;
			last_code = m.code;
			fwrite(m.payload ? m.payload : (const uint8_t *)"", 1, m.payload_len, stdout);
			struct otk_coap_opt o;
			struct otk_coap_block b;
			if (otk_coap_opt_find(&m, OTK_COAP_OPT_BLOCK2, &o) && !otk_coap_block_decode(&o, &b)) {
				if (b.num != block) {
					fprintf(stderr, "otk-coap-peer: got block %u, asked %u\n",
						(unsigned)b.num, (unsigned)block);
					return 1;
				}
				more = b.more;
				szx = b.szx;
			}
			done = 1;
		}
		if (!more)
			break;
		block++;
	}
	if (szx >= 0)
		fprintf(stderr, "blocks %u\n", (unsigned)block + 1);
	fprintf(stderr, "%s %d.%02d\n", type_name(last_type), OTK_COAP_CODE_CLASS(last_code),
		OTK_COAP_CODE_DETAIL(last_code));
	return OTK_COAP_CODE_CLASS(last_code) == 2 ? 0 : 1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "server"))
		return run_server(argv[2], argc > 3 ? atoi(argv[3]) : 60);
	if (argc >= 5 && !strcmp(argv[1], "get")) {
		int non = 0, szx = -1;
		uint8_t method = OTK_COAP_GET;
		const char *query = NULL;
		for (int i = 5; i < argc; i++) {
			if (!strcmp(argv[i], "non"))
				non = 1;
			else if (!strcmp(argv[i], "post"))
				method = OTK_COAP_POST;
			else if (!strcmp(argv[i], "query") && i + 1 < argc)
				query = argv[++i];
			else if (!strcmp(argv[i], "szx") && i + 1 < argc)
				szx = atoi(argv[++i]);
		}
		return run_get(argv[2], atoi(argv[3]), argv[4], query, non, szx, method);
	}
	fprintf(stderr, "usage: otk-coap-peer server PORTFILE [SECONDS] | get HOST PORT PATH [non] [post] [query Q] [szx N]\n");
	return 2;
}
