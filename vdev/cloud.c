/*
 * otakit-vdev run --cloud: the device's connection to the cloud.
 *
 * A connected UDP socket, the host DTLS client in Device OS's profile
 * (Particle mode, the server's key pinned from the DCT, CID), and on top
 * the device library's I/O-free pieces: the connect sequence (Hello, the
 * system describe) and the OTA v3 receiver writing into the update engine.
 * All of it is served from vdev_poll_hook, which run calls between loop()
 * calls and while idle, so the application keeps running during a
 * transfer.  When the cloud acknowledges a validated UpdateFinish the
 * update is applied and the device resets (vdev_reboot), as after an
 * install; run boots again and calls cloud_start() anew.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <openssl/rand.h>

#include "cloud.h"
#include "otk/cloud.h"
#include "otk/dtls.h"
#include "otk/error.h"
#include "otk/ota3.h"
#include "vdev.h"

#define RECONNECT_MS 3000u
/* keep-alive: an empty CON after this much silence (spec 06, Wi-Fi/Ethernet) */
#define PING_MS 25000u
#define OTA_CHUNK_SIZE 512u

static struct cloud {
	struct vdev *v;
	bool on;
	int fd;
	EVP_PKEY *key;
	struct vdev_server srv;
	struct otk_dtls *dtls;
	bool established;
	uint32_t reconnect_at;     /* 0: none */
	struct otk_hello hello;
	struct otk_coap_rel rel;
	struct otk_connect conn;
	struct otk_ota3 ota;
	uint32_t map[OTK_OTA3_MAP_WORDS];
	/* the outstanding CON (for retransmission) and one waiting its turn */
	uint8_t con[1280];
	size_t con_len;
	uint8_t queued[1280];
	size_t queued_len;
	char describe[2048];
	int describe_len;
	bool in_poll;
	uint32_t sent_at;          /* the last message sent */
	const char *drop;          /* disconnect after the current input: why */
} C = { .fd = -1 };

static void on_send(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	if (send(C.fd, d, n, 0) < 0 && errno != ECONNREFUSED)
		SYS_WARN("cloud: send: %s", strerror(errno));
}

static void on_data(void *ctx, const uint8_t *d, size_t n);

static const struct otk_dtls_io io = { on_send, on_data, NULL };

static void coap_send(const uint8_t *msg, size_t len)
{
	C.sent_at = vlog_millis();
	if (C.dtls && otk_dtls_write(C.dtls, msg, len, &io) != OTK_OK)
		SYS_WARN("cloud: cannot send a %zu-byte message", len);
}

/* A confirmable message: now when none is outstanding, else after it. */
static void send_con(const uint8_t *msg, size_t len)
{
	struct otk_coap_msg m;
	uint32_t rnd;
	if (len > sizeof C.con || otk_coap_parse(msg, len, &m) != 0)
		return;
	if (otk_coap_rel_busy(&C.rel)) {
		memcpy(C.queued, msg, len);
		C.queued_len = len;
		return;
	}
	RAND_bytes((uint8_t *)&rnd, sizeof rnd);
	otk_coap_rel_con_sent(&C.rel, &m, vlog_millis(), rnd);
	memcpy(C.con, msg, len);
	C.con_len = len;
	coap_send(msg, len);
}

static void send_queued(void)
{
	if (!C.queued_len || otk_coap_rel_busy(&C.rel))
		return;
	size_t n = C.queued_len;
	C.queued_len = 0;
	send_con(C.queued, n);
}

/* What the OTA receiver wants sent. */
static void send_ota_out(const struct otk_ota3_out *out)
{
	for (int i = 0; i < out->n; i++) {
		const uint8_t *b = out->buf + out->msg[i].off;
		size_t l = out->msg[i].len;
		switch (out->msg[i].kind) {
		case OTK_OTA3_SEND_REPLY:
			coap_send(b, l);
			otk_coap_rel_remember(&C.rel, out->msg[i].mid, b, l);
			break;
		case OTK_OTA3_SEND_CON:
			send_con(b, l);
			break;
		default:
			coap_send(b, l);
		}
	}
}

static void disconnect(const char *why)
{
	if (C.dtls) {
		if (why)
			SYS_WARN("cloud: disconnected: %s", why);
		otk_dtls_free(C.dtls);
		C.dtls = NULL;
	}
	C.established = false;
	C.queued_len = 0;
	otk_coap_rel_cancel(&C.rel);
	if (C.ota.active)
		(void)otk_update_finish(&C.v->upd, OTK_FINISH_CANCEL, NULL);
	C.ota.active = false;
	C.reconnect_at = vlog_millis() + RECONNECT_MS;
}

/* The cloud acknowledged our outstanding CON. */
static void acked(const struct otk_coap_msg *m)
{
	uint8_t buf[1280];
	int n = otk_connect_acked(&C.conn, m, C.describe, (size_t)C.describe_len, buf, sizeof buf);
	if (n > 0)
		send_con(buf, (size_t)n);
	if (C.conn.state == OTK_CONNECT_REFUSED) {
		SYS_ERROR("cloud: Hello refused (%u.%02u)", OTK_COAP_CODE_CLASS(C.conn.refused_code),
			  OTK_COAP_CODE_DETAIL(C.conn.refused_code));
		C.drop = "refused";   /* not from inside the session's own input */
		return;
	}
	if (n == 0 && C.conn.state == OTK_CONNECT_READY && m->mid == C.conn.mid)
		SYS_INFO("cloud: connected, Hello and describe acknowledged");
	int rc = otk_ota3_acked(&C.ota, m->mid);
	if (rc == 1) {
		SYS_INFO("update: received over the air, applied; resetting");
		vdev_reboot = true;
	} else if (rc < 0) {
		SYS_ERROR("update: applying failed: %s", otk_strerror(rc));
	}
	send_queued();
}

static void handle(const struct otk_coap_msg *m)
{
	uint8_t obuf[2 * 1280];
	struct otk_ota3_out out;
	otk_ota3_out_init(&out, obuf, sizeof obuf);
	bool was_active = C.ota.active;
	uint32_t saved = C.v->upd.saved_at;
	int rc = otk_ota3_handle(&C.ota, m, vlog_millis(), &out);
	if (C.ota.active && C.v->upd.saved_at != saved && C.v->upd.saved_at)
		SYS_INFO("update: progress saved at byte %u of %u", C.v->upd.saved_at, C.ota.size);
	if (rc < 0) {
		SYS_WARN("cloud: OTA: %s", otk_strerror(rc));
		return;
	}
	if (rc == 1) {
		if (!was_active && C.ota.active)
			SYS_INFO("update: OTA v3 transfer of %u bytes starts at byte %u (%u chunks)",
				 C.ota.size, C.ota.resume, C.ota.nchunks);
		send_ota_out(&out);
		return;
	}
	if (m->type == OTK_COAP_CON) {
		/* a request this device does not serve */
		uint8_t b[32];
		struct otk_coap_writer w;
		otk_coap_begin(&w, b, sizeof b, OTK_COAP_ACK, OTK_COAP_NOT_FOUND, m->mid, m->token,
			       m->token_len);
		int n = otk_coap_finish(&w);
		if (n > 0) {
			coap_send(b, (size_t)n);
			otk_coap_rel_remember(&C.rel, m->mid, b, (size_t)n);
		}
	}
}

static void on_data(void *ctx, const uint8_t *d, size_t n)
{
	(void)ctx;
	struct otk_coap_msg m;
	uint8_t reply[OTK_COAP_REL_REPLY_MAX];
	size_t rl;
	if (otk_coap_parse(d, n, &m) != 0)
		return;
	/* chunks are NON and their duplicates matter to the ack rules */
	if (m.type == OTK_COAP_NON) {
		handle(&m);
		return;
	}
	int k = otk_coap_rel_rx(&C.rel, &m, vlog_millis(), reply, sizeof reply, &rl);
	if (rl)
		coap_send(reply, rl);
	if (k == OTK_COAP_REL_ACKED || k == OTK_COAP_REL_RESET)
		acked(&m);
	else if (k == OTK_COAP_REL_NEW)
		handle(&m);
}

static bool open_socket(void)
{
	struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_DGRAM }, *ai = NULL;
	char port[8];
	snprintf(port, sizeof port, "%u", C.srv.port);
	int e = getaddrinfo(C.srv.host, port, &hints, &ai);
	if (e) {
		SYS_ERROR("cloud: %s: %s", C.srv.host, gai_strerror(e));
		return false;
	}
	C.fd = socket(ai->ai_family, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (C.fd < 0 || connect(C.fd, ai->ai_addr, ai->ai_addrlen) != 0) {
		SYS_ERROR("cloud: %s port %s: %s", C.srv.host, port, strerror(errno));
		freeaddrinfo(ai);
		return false;
	}
	freeaddrinfo(ai);
	return true;
}

static void connect_now(void)
{
	struct otk_dtls_config cfg = { .mode = OTK_DTLS_PARTICLE, .own_key = C.key,
				       .peer_spki = C.srv.spki, .peer_spki_len = C.srv.spki_len,
				       .client_cid = true };
	C.reconnect_at = 0;
	C.dtls = otk_dtls_client_new(&cfg);
	if (!C.dtls) {
		disconnect("cannot make a DTLS session");
		return;
	}
	uint16_t mid;
	RAND_bytes((uint8_t *)&mid, sizeof mid);
	otk_coap_rel_init(&C.rel, mid);
	otk_connect_init(&C.conn, &C.rel);
	SYS_INFO("cloud: connecting to %s port %u", C.srv.host, C.srv.port);
	if (otk_dtls_start(C.dtls, vlog_millis(), &io) != OTK_OK)
		disconnect("cannot start the handshake");
}

static void established(void)
{
	uint8_t buf[128];
	C.established = true;
	SYS_INFO("cloud: DTLS session established");
	int n = otk_connect_hello(&C.conn, &C.hello, buf, sizeof buf);
	if (n > 0)
		send_con(buf, (size_t)n);
}

static void cloud_poll(void)
{
	uint8_t d[2048];
	if (!C.on || C.in_poll)
		return;
	C.in_poll = true;   /* an app calling back into the device from here is not re-entered */
	uint32_t now = vlog_millis();
	if (!C.dtls) {
		if (C.reconnect_at && (int32_t)(now - C.reconnect_at) >= 0)
			connect_now();
		C.in_poll = false;
		return;
	}
	for (int i = 0; i < 64 && C.dtls; i++) {
		ssize_t n = recv(C.fd, d, sizeof d, 0);
		if (n < 0)
			break;
		int rc = otk_dtls_input(C.dtls, d, (size_t)n, vlog_millis(), &io);
		if (C.drop) {
			disconnect(C.drop);
			C.drop = NULL;
		} else if (rc < 0 || otk_dtls_state(C.dtls) >= OTK_DTLS_CLOSED)
			disconnect(rc < 0 ? otk_strerror(rc) : "session closed");
		else if (!C.established && otk_dtls_state(C.dtls) == OTK_DTLS_ESTABLISHED)
			established();
	}
	if (!C.dtls) {
		C.in_poll = false;
		return;
	}
	now = vlog_millis();
	if (!C.established && otk_dtls_poll(C.dtls, now, &io) < 0)
		disconnect("handshake timed out");
	int r = C.dtls ? otk_coap_rel_poll(&C.rel, now) : OTK_COAP_REL_IDLE;
	if (r == OTK_COAP_REL_RETRANSMIT)
		coap_send(C.con, C.con_len);
	else if (r == OTK_COAP_REL_GIVE_UP)
		disconnect("the cloud does not acknowledge");
	if (C.dtls && C.conn.state == OTK_CONNECT_READY && !otk_coap_rel_busy(&C.rel) &&
	    now - C.sent_at >= PING_MS) {
		uint8_t ping[4];
		struct otk_coap_writer w;
		otk_coap_begin(&w, ping, sizeof ping, OTK_COAP_CON, OTK_COAP_EMPTY,
			       otk_coap_rel_next_mid(&C.rel), NULL, 0);
		if (otk_coap_finish(&w) == 4)
			send_con(ping, 4);
	}
	if (C.dtls) {
		uint8_t obuf[512];
		struct otk_ota3_out out;
		otk_ota3_out_init(&out, obuf, sizeof obuf);
		if (otk_ota3_poll(&C.ota, now, &out) == OTK_OK)
			send_ota_out(&out);
	}
	C.in_poll = false;
}

static void fill_hello(const struct otk_boot_report *r)
{
	struct otk_hello *h = &C.hello;
	memset(h, 0, sizeof *h);
	h->product_id = C.v->layout->platform;
	h->platform_id = C.v->layout->platform;
	h->flags = OTK_HELLO_OTA_V3 | OTK_HELLO_DEVICE_DESCRIBE | OTK_HELLO_COMPRESSED_OTA;
	if (r->copied)
		h->flags |= OTK_HELLO_OTA_SUCCEEDED;
	for (int i = 0; i < 12; i++)
		sscanf(C.v->id + 2 * i, "%2hhx", &h->device_id[i]);
	for (size_t i = 0; i < r->nmods; i++)
		if (r->mods[i].status == OTK_OK && r->mods[i].prefix.function == OTK_FUNC_SYSTEM &&
		    r->mods[i].prefix.index == 1)
			h->system_version = r->mods[i].prefix.version;
	h->max_message_size = OTK_DTLS_RECORD_MAX;
	h->max_binary_size = C.v->upd.ota.size;
	h->ota_chunk_size = OTA_CHUNK_SIZE;
}

bool cloud_start(struct vdev *v, const struct otk_boot_report *r)
{
	cloud_stop();
	C.v = v;
	if (!vdev_keys_server(v->dir, &C.srv) || !(C.key = vdev_keys_device(v->dir)))
		return false;
	if (!open_socket()) {
		EVP_PKEY_free(C.key);
		C.key = NULL;
		return false;
	}
	/* OTA v3: a window of 128 KB of chunks (spec 03) */
	v->cfg.window_map = C.map;
	v->cfg.window_chunks = OTK_OTA3_WINDOW_BYTES / OTA_CHUNK_SIZE;
	v->upd.cfg.window_map = C.map;
	v->upd.cfg.window_chunks = v->cfg.window_chunks;
	otk_ota3_init(&C.ota, &v->upd, &C.rel);
	fill_hello(r);
	C.describe_len = otk_describe_system_json(v->layout->platform, r->mods, r->nmods,
						  C.describe, sizeof C.describe);
	if (C.describe_len < 0)
		C.describe_len = 0;
	C.on = true;
	vdev_poll_hook = cloud_poll;
	connect_now();
	return true;
}

void cloud_stop(void)
{
	if (!C.on)
		return;
	C.on = false;
	if (vdev_poll_hook == cloud_poll)
		vdev_poll_hook = NULL;
	if (C.dtls)
		otk_dtls_free(C.dtls);
	C.dtls = NULL;
	C.established = false;
	if (C.fd >= 0)
		close(C.fd);
	C.fd = -1;
	EVP_PKEY_free(C.key);
	C.key = NULL;
}
