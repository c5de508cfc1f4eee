/* otakitd's device endpoint: UDP socket, session routing by CID, saved sessions, CoAP replies. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"
#include "otk/error.h"
#include "blob.h"
#include "device_proto.h"
#include "device_udp.h"

#define BUCKETS 4096
/* sessions that never finish their handshake are dropped after this */
#define HANDSHAKE_LIFETIME_MS 120000u
/* established sessions idle this long leave memory (saved; restored by CID on use) */
#define IDLE_EVICT_MS (30u * 60u * 1000u)
/* receive buffer asked for: a burst of some thousands of small datagrams */
#define UDP_RCVBUF (8 * 1024 * 1024)

struct dev_session {
	struct otkd_udp *u;
	struct otk_dtls *dtls;
	struct otkd_proto *proto;   /* the device protocol, from the first record */
	bool refused;               /* the protocol asked to end the session */
	struct sockaddr_storage addr;
	socklen_t alen;
	uint8_t cid[OTK_DTLS_CID_LEN];
	bool has_cid;
	bool in_addr;           /* reachable by address (a newer session may own it) */
	char device_id[OTKD_DEVICE_ID_LEN + 1];
	uint64_t created, last_heard;
	struct dev_session *next_cid, *next_addr;
	struct dev_session *prev_all, *next_all;
};

struct otkd_udp {
	struct otkd_udp_config cfg;
	struct otkd_store *store;
	EVP_PKEY *key;
	struct otk_dtls_config dcfg;
	int fd;
	pthread_t thread;
	atomic_bool stop;
	struct dev_session *by_cid[BUCKETS];
	struct dev_session *by_addr[BUCKETS];
	struct dev_session *all;
	size_t count;
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* FNV-1a */
static unsigned hash(const void *p, size_t n)
{
	const uint8_t *b = p;
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 16777619u;
	return h % BUCKETS;
}

/* The bytes that identify a peer: family, port and address. */
static size_t addr_key(const struct sockaddr_storage *a, uint8_t out[20])
{
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const struct sockaddr_in *)a;
		memcpy(out, &s->sin_port, 2);
		memcpy(out + 2, &s->sin_addr, 4);
		return 6;
	}
	const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)a;
	memcpy(out, &s->sin6_port, 2);
	memcpy(out + 2, &s->sin6_addr, 16);
	return 18;
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b)
{
	uint8_t ka[20], kb[20];
	size_t la = addr_key(a, ka), lb = addr_key(b, kb);
	return la == lb && memcmp(ka, kb, la) == 0;
}

static void unlink_addr(struct otkd_udp *u, struct dev_session *s)
{
	uint8_t k[20];
	if (!s->in_addr)
		return;
	s->in_addr = false;
	struct dev_session **pp = &u->by_addr[hash(k, addr_key(&s->addr, k))];
	for (; *pp; pp = &(*pp)->next_addr)
		if (*pp == s) {
			*pp = s->next_addr;
			return;
		}
}

static struct dev_session *find_addr(struct otkd_udp *u, const struct sockaddr_storage *a);

static void link_addr(struct otkd_udp *u, struct dev_session *s)
{
	uint8_t k[20];
	unsigned h = hash(k, addr_key(&s->addr, k));
	/* one session per address: a newer one takes the address over */
	struct dev_session *old = find_addr(u, &s->addr);
	if (old)
		unlink_addr(u, old);
	s->next_addr = u->by_addr[h];
	u->by_addr[h] = s;
	s->in_addr = true;
}

static void link_cid(struct otkd_udp *u, struct dev_session *s)
{
	unsigned h = hash(s->cid, OTK_DTLS_CID_LEN);
	s->next_cid = u->by_cid[h];
	u->by_cid[h] = s;
}

static struct dev_session *find_cid(struct otkd_udp *u, const uint8_t *cid)
{
	for (struct dev_session *s = u->by_cid[hash(cid, OTK_DTLS_CID_LEN)]; s; s = s->next_cid)
		if (s->has_cid && memcmp(s->cid, cid, OTK_DTLS_CID_LEN) == 0)
			return s;
	return NULL;
}

static struct dev_session *find_addr(struct otkd_udp *u, const struct sockaddr_storage *a)
{
	uint8_t k[20];
	for (struct dev_session *s = u->by_addr[hash(k, addr_key(a, k))]; s; s = s->next_addr)
		if (same_addr(&s->addr, a))
			return s;
	return NULL;
}

static void session_free(struct otkd_udp *u, struct dev_session *s)
{
	unlink_addr(u, s);
	if (s->has_cid) {
		struct dev_session **pp = &u->by_cid[hash(s->cid, OTK_DTLS_CID_LEN)];
		for (; *pp; pp = &(*pp)->next_cid)
			if (*pp == s) {
				*pp = s->next_cid;
				break;
			}
	}
	if (s->prev_all)
		s->prev_all->next_all = s->next_all;
	else
		u->all = s->next_all;
	if (s->next_all)
		s->next_all->prev_all = s->prev_all;
	u->count--;
	otkd_proto_free(s->proto);
	otk_dtls_free(s->dtls);
	free(s);
}

static struct dev_session *session_add(struct otkd_udp *u, const struct sockaddr_storage *a,
				       socklen_t alen)
{
	struct dev_session *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->u = u;
	s->addr = *a;
	s->alen = alen;
	s->created = s->last_heard = now_ms();
	s->next_all = u->all;
	if (u->all)
		u->all->prev_all = s;
	u->all = s;
	u->count++;
	return s;
}

static void on_send(void *ctx, const uint8_t *d, size_t n)
{
	struct dev_session *s = ctx;
	if (sendto(s->u->fd, d, n, 0, (const struct sockaddr *)&s->addr, s->alen) < 0)
		fprintf(stderr, "otakitd: udp: sendto: %s\n", strerror(errno));
}

static void proto_send(void *ctx, const uint8_t *msg, size_t len)
{
	struct dev_session *s = ctx;
	struct otk_dtls_io io = { on_send, NULL, s };
	otk_dtls_write(s->dtls, msg, len, &io);
}

/* Application data: CoAP for the device protocol (device_proto.c). */
static void on_data(void *ctx, const uint8_t *d, size_t n)
{
	struct dev_session *s = ctx;
	if (s->refused)
		return;
	if (!s->proto) {
		struct otkd_proto_env env = { s->u->store, s->u->cfg.bus, s->u->cfg.data_dir };
		s->proto = otkd_proto_new(&env, s->device_id, proto_send, s);
		if (!s->proto)
			return;
	}
	if (!otkd_proto_input(s->proto, d, n, now_ms()))
		s->refused = true;
	else if (otkd_proto_take_hello(s->proto))
		/* the device started over: its older sessions are stale */
		for (struct dev_session *o = s->u->all; o; o = o->next_all)
			if (o != s && o->proto &&
			    strcmp(otkd_proto_device(o->proto), s->device_id) == 0)
				otkd_proto_superseded(o->proto);
}

static struct otk_dtls_io io_of(struct dev_session *s)
{
	return (struct otk_dtls_io){ on_send, on_data, s };
}

/* Device keys are looked up in the store by the fingerprint provisioning recorded. */
static int lookup(void *ctx, const uint8_t *spki, size_t len)
{
	struct dev_session *s = ctx;
	char fp[65];
	otkd_sha256_hex(spki, len, fp);
	return s->u->store->ops->device_by_key(s->u->store, fp, s->device_id) == OTK_OK ? 0 : -1;
}

static void save(struct dev_session *s)
{
	uint8_t buf[OTK_DTLS_SAVE_MAX];
	int n = otk_dtls_save(s->dtls, buf, sizeof(buf));
	if (n > 0 && s->has_cid &&
	    s->u->store->ops->session_put(s->u->store, s->cid, s->device_id, buf, (size_t)n) != OTK_OK)
		fprintf(stderr, "otakitd: udp: cannot save the session of device %s\n", s->device_id);
}

/* A session restored from the store for a CID this process does not know. */
static struct dev_session *restore(struct otkd_udp *u, const uint8_t *cid,
				   const struct sockaddr_storage *a, socklen_t alen)
{
	uint8_t buf[OTK_DTLS_SAVE_MAX];
	size_t n;
	char dev[OTKD_DEVICE_ID_LEN + 1];
	if (u->store->ops->session_get(u->store, cid, dev, buf, sizeof(buf), &n) != OTK_OK)
		return NULL;
	struct dev_session *s = session_add(u, a, alen);
	if (!s)
		return NULL;
	struct otk_dtls_config c = u->dcfg;
	c.lookup_ctx = s;
	s->dtls = otk_dtls_load(&c, buf, n);
	if (!s->dtls) {
		fprintf(stderr, "otakitd: udp: stored session of device %s is unreadable\n", dev);
		session_free(u, s);
		return NULL;
	}
	memcpy(s->device_id, dev, sizeof(dev));
	memcpy(s->cid, cid, OTK_DTLS_CID_LEN);
	s->has_cid = true;
	link_cid(u, s);
	return s;
}

static void datagram(struct otkd_udp *u, const uint8_t *d, size_t n,
		     const struct sockaddr_storage *a, socklen_t alen)
{
	uint8_t cid[OTK_DTLS_CID_LEN];
	struct dev_session *s = NULL;
	bool restored = false;

	if (otk_dtls_record_cid(d, n, cid)) {
		s = find_cid(u, cid);
		if (!s) {
			s = restore(u, cid, a, alen);
			restored = s != NULL;
		}
		if (!s)
			return;
	} else {
		s = find_addr(u, a);
		/*
		 * A ClientHello from the address of an established session: the
		 * device lost its session and starts again.  The old session stays
		 * reachable by its CID only.
		 */
		if (s && otk_dtls_state(s->dtls) == OTK_DTLS_ESTABLISHED && n > 25 && d[0] == 22 &&
		    d[3] == 0 && d[4] == 0 && d[13] == 1) {
			unlink_addr(u, s);
			s = NULL;
		}
	}
	if (!s) {
		uint8_t reply[256], ak[20];
		size_t rl, kl = addr_key(a, ak);
		int acc = otk_dtls_server_accept(&u->dcfg, d, n, ak, kl, reply, sizeof(reply), &rl);
		if (acc != 1) {
			if (rl)
				sendto(u->fd, reply, rl, 0, (const struct sockaddr *)a, alen);
			return;
		}
		s = session_add(u, a, alen);
		if (!s)
			return;
		struct otk_dtls_config c = u->dcfg;
		c.lookup_ctx = s;
		s->dtls = otk_dtls_server_new(&c);
		if (!s->dtls) {
			session_free(u, s);
			return;
		}
		link_addr(u, s);
	}
	bool was_established = otk_dtls_state(s->dtls) == OTK_DTLS_ESTABLISHED;
	struct sockaddr_storage old = s->addr;
	socklen_t old_len = s->alen;
	bool old_in = s->in_addr;
	bool moved = !same_addr(&s->addr, a);
	if (moved) {
		/* answer to where it came from; keep it only if it authenticates */
		unlink_addr(u, s);
		s->addr = *a;
		s->alen = alen;
	}
	struct otk_dtls_io io = io_of(s);
	int rc = otk_dtls_input(s->dtls, d, n, now_ms(), &io);
	if (moved && (rc > 0 || !was_established)) {
		link_addr(u, s);
	} else if (moved) {
		/* not authenticated: the session stays where it was */
		s->addr = old;
		s->alen = old_len;
		if (old_in)
			link_addr(u, s);
		if (restored)
			session_free(u, s);
		return;
	}
	if (restored && rc <= 0) {
		session_free(u, s); /* a CID we know, but records that do not authenticate */
		return;
	}
	if (restored)
		link_addr(u, s);
	if (moved && rc > 0)
		fprintf(stderr, "otakitd: udp: device %s moved (CID, %s)\n", s->device_id,
			otk_dtls_moved(s->dtls) ? "type 253" : "type 25");
	if (rc < 0 || s->refused || otk_dtls_state(s->dtls) == OTK_DTLS_FAILED ||
	    otk_dtls_state(s->dtls) == OTK_DTLS_CLOSED) {
		if (otk_dtls_alert(s->dtls) >= 0)
			fprintf(stderr, "otakitd: udp: session ended (alert %d)\n",
				otk_dtls_alert(s->dtls));
		session_free(u, s);
		return;
	}
	if (!s->has_cid && otk_dtls_own_cid(s->dtls, s->cid)) {
		s->has_cid = true;
		link_cid(u, s);
	}
	if (rc > 0)
		s->last_heard = now_ms();
	if (otk_dtls_state(s->dtls) == OTK_DTLS_ESTABLISHED) {
		if (!was_established)
			fprintf(stderr, "otakitd: udp: device %s: handshake complete\n", s->device_id);
		if (otk_dtls_save_due(s->dtls))
			save(s);
	}
}

static void timers(struct otkd_udp *u)
{
	uint64_t now = now_ms();
	struct dev_session *next;
	for (struct dev_session *s = u->all; s; s = next) {
		next = s->next_all;
		if (otk_dtls_state(s->dtls) == OTK_DTLS_ESTABLISHED) {
			if (s->proto)
				otkd_proto_poll(s->proto, now);
			if (now - s->last_heard > IDLE_EVICT_MS) {
				save(s);
				session_free(u, s);
			}
			continue;
		}
		struct otk_dtls_io io = io_of(s);
		if (otk_dtls_poll(s->dtls, now, &io) < 0 || now - s->created > HANDSHAKE_LIFETIME_MS)
			session_free(u, s);
	}
}

static void *loop(void *arg)
{
	struct otkd_udp *u = arg;
	uint8_t buf[2048];
	uint64_t last_timers = now_ms();

	while (!atomic_load(&u->stop)) {
		struct pollfd p = { .fd = u->fd, .events = POLLIN };
		int r = poll(&p, 1, 100);
		if (r < 0 && errno != EINTR)
			break;
		if (r > 0 && (p.revents & POLLIN)) {
			/* a bounded batch, so timers still run under load */
			for (int i = 0; i < 256; i++) {
				struct sockaddr_storage a;
				socklen_t al = sizeof(a);
				ssize_t n = recvfrom(u->fd, buf, sizeof(buf), MSG_DONTWAIT,
						     (struct sockaddr *)&a, &al);
				if (n < 0)
					break;
				datagram(u, buf, (size_t)n, &a, al);
			}
		}
		if (now_ms() - last_timers >= 100) {
			timers(u);
			last_timers = now_ms();
		}
	}
	return NULL;
}

static EVP_PKEY *load_or_create_key(const char *path, char *msg, size_t msglen)
{
	FILE *f = fopen(path, "r");
	EVP_PKEY *k = NULL;
	if (f) {
		k = PEM_read_PrivateKey(f, NULL, NULL, NULL);
		fclose(f);
		char group[32];
		size_t gl;
		if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
		    EVP_PKEY_get_group_name(k, group, sizeof(group), &gl) != 1 ||
		    strcmp(group, "prime256v1") != 0) {
			snprintf(msg, msglen, "%s: not a P-256 private key (PEM)", path);
			EVP_PKEY_free(k);
			return NULL;
		}
		return k;
	}
	if (errno != ENOENT) {
		snprintf(msg, msglen, "%s: cannot open: %s", path, strerror(errno));
		return NULL;
	}
	k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	int fd = k ? open(path, O_WRONLY | O_CREAT | O_EXCL, 0600) : -1;
	f = fd >= 0 ? fdopen(fd, "w") : NULL;
	if (!f || !PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL) || fclose(f)) {
		snprintf(msg, msglen, "%s: cannot create the server key", path);
		EVP_PKEY_free(k);
		return NULL;
	}
	fprintf(stderr, "otakitd: udp: created server key %s\n", path);
	return k;
}

static int bind_udp(const char *listen, char *msg, size_t msglen)
{
	char host[256];
	const char *colon = strrchr(listen, ':');
	if (!colon || (size_t)(colon - listen) >= sizeof(host)) {
		snprintf(msg, msglen, "--udp %s: expected ADDR:PORT", listen);
		return -1;
	}
	memcpy(host, listen, (size_t)(colon - listen));
	host[colon - listen] = 0;
	char *h = host;
	if (h[0] == '[' && h[strlen(h) - 1] == ']') {
		h[strlen(h) - 1] = 0;
		h++;
	}
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM,
				  .ai_flags = AI_PASSIVE | AI_NUMERICSERV }, *ai = NULL;
	int e = getaddrinfo(*h ? h : NULL, colon + 1, &hints, &ai);
	if (e) {
		snprintf(msg, msglen, "--udp %s: %s", listen, gai_strerror(e));
		return -1;
	}
	int fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		snprintf(msg, msglen, "--udp %s: cannot bind: %s", listen, strerror(errno));
		if (fd >= 0)
			close(fd);
		fd = -1;
	}
	freeaddrinfo(ai);
	/*
	 * Thousands of devices may speak at once (all of them after a network
	 * outage or a restart).  The default receive buffer (about 200 KB on
	 * Linux) holds only some hundreds of datagrams, so a burst was dropped
	 * and cost every device a CoAP retransmission (bench/dtls_sessions.sh).
	 * Ask for more; the kernel caps it at net.core.rmem_max.
	 */
	int rcvbuf = UDP_RCVBUF;
	if (fd >= 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof(rcvbuf));
	return fd;
}

int otkd_udp_start(struct otkd_udp **out, const struct otkd_udp_config *cfg,
		   struct otkd_store *store, char *msg, size_t msglen)
{
	struct otkd_udp *u = calloc(1, sizeof(*u));
	*out = NULL;
	if (!u) {
		snprintf(msg, msglen, "out of memory");
		return OTK_ENOMEM;
	}
	u->cfg = *cfg;
	u->store = store;
	u->fd = -1;
	u->fd = bind_udp(cfg->listen, msg, msglen);
	if (u->fd < 0)
		goto fail;
	u->dcfg.mode = cfg->mode;
	u->dcfg.lookup = lookup;
	u->dcfg.hs_timeout_min_ms = 1000;
	u->dcfg.hs_timeout_max_ms = 16000;
	if (RAND_bytes(u->dcfg.cookie_secret, sizeof(u->dcfg.cookie_secret)) != 1) {
		snprintf(msg, msglen, "no randomness for cookies");
		goto fail;
	}
	u->key = load_or_create_key(cfg->key_file, msg, msglen);
	if (!u->key)
		goto fail;
	u->dcfg.own_key = u->key;
	if (cfg->port_file) {
		struct sockaddr_storage a;
		socklen_t al = sizeof(a);
		getsockname(u->fd, (struct sockaddr *)&a, &al);
		unsigned port = ntohs(a.ss_family == AF_INET ? ((struct sockaddr_in *)&a)->sin_port
							     : ((struct sockaddr_in6 *)&a)->sin6_port);
		FILE *f = fopen(cfg->port_file, "w");
		if (!f || fprintf(f, "%u\n", port) < 0 || fclose(f)) {
			snprintf(msg, msglen, "%s: cannot write the UDP port", cfg->port_file);
			goto fail;
		}
	}
	if (pthread_create(&u->thread, NULL, loop, u) != 0) {
		snprintf(msg, msglen, "cannot start the UDP thread");
		goto fail;
	}
	*out = u;
	return OTK_OK;
fail:
	if (u->fd >= 0)
		close(u->fd);
	EVP_PKEY_free(u->key);
	free(u);
	return OTK_EIO;
}

void otkd_udp_stop(struct otkd_udp *u)
{
	if (!u)
		return;
	atomic_store(&u->stop, true);
	pthread_join(u->thread, NULL);
	while (u->all) {
		if (otk_dtls_state(u->all->dtls) == OTK_DTLS_ESTABLISHED)
			save(u->all);
		session_free(u, u->all);
	}
	close(u->fd);
	EVP_PKEY_free(u->key);
	free(u);
}
