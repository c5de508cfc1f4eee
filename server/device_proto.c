/* otakitd's device protocol on one session (device_proto.h, spec 06). */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "otk/cloud.h"
#include "otk/coap.h"
#include "otk/coap_reliable.h"
#include "otk/error.h"
#include "blob.h"
#include "device_proto.h"
#include "events.h"
#include "ota_send.h"
#include "planner.h"

#define DESCRIBE_MAX 4096
/* a device that sends no ack for this long during a transfer has gone */
#define OTA_SILENCE_MS 20000u
/* an online device is checked for newly queued files this often, when any was queued */
#define REPLAN_MS 2000u
/* ... while it was heard from this recently (devices ping every 25 s) */
#define ALIVE_MS 60000u

struct otkd_proto {
	struct otkd_proto_env env;
	char device_id[OTKD_DEVICE_ID_LEN + 1];
	otkd_proto_send_fn send;
	void *ctx;
	struct otk_coap_rel rel;
	uint8_t token;
	/* the outstanding confirmable message, for retransmission */
	uint8_t con[256];          /* UpdateStart and UpdateFinish are short */
	size_t con_len;
	uint8_t con_token;
	/* what the device told */
	bool hello_seen;
	struct otk_hello hello;
	uint8_t *describe;
	size_t describe_len;
	bool planned;
	bool new_hello;            /* a Hello since otkd_proto_take_hello() */
	uint64_t planned_at;
	unsigned planned_gen;      /* flash_generation when last planned */
	uint64_t heard_at;         /* the last message from the device */
	/* the transfer */
	bool sending;
	struct otkd_ota_send tx;
	uint8_t *file;
	struct otkd_plan_action action;   /* what is being sent */
	uint64_t last_ack_ms;
};

/* Bumped by otkd_proto_flash_queued(): online devices look for new files only then. */
static atomic_uint flash_generation;

void otkd_proto_flash_queued(void)
{
	atomic_fetch_add(&flash_generation, 1);
}

struct otkd_proto *otkd_proto_new(const struct otkd_proto_env *env, const char *device_id,
				  otkd_proto_send_fn send, void *ctx)
{
	struct otkd_proto *p = calloc(1, sizeof(*p));
	if (!p)
		return NULL;
	p->env = *env;
	snprintf(p->device_id, sizeof p->device_id, "%s", device_id);
	p->send = send;
	p->ctx = ctx;
	uint16_t mid;
	RAND_bytes((uint8_t *)&mid, sizeof(mid));
	otk_coap_rel_init(&p->rel, mid);
	return p;
}

static void transfer_end(struct otkd_proto *p)
{
	if (!p->sending)
		return;
	otkd_ota_send_free(&p->tx);
	free(p->file);
	p->file = NULL;
	p->sending = false;
}

void otkd_proto_free(struct otkd_proto *p)
{
	if (!p)
		return;
	transfer_end(p);
	free(p->describe);
	free(p);
}

static void publish(struct otkd_proto *p, const char *name, const char *data)
{
	struct otkd_device d;
	if (!p->env.bus || p->env.store->ops->device_get(p->env.store, p->device_id, &d) != OTK_OK)
		return;
	struct otkd_event e = { .name = name, .data = data, .ttl = 60, .is_private = true,
				.coreid = p->device_id, .user_id = d.owner_id,
				.product_id = d.product_id };
	otkd_bus_publish(p->env.bus, &e);
}

/* An answer piggy-backed on the ACK of a request; remembered for duplicates. */
static void reply(struct otkd_proto *p, const struct otk_coap_msg *m, uint8_t code,
		  const void *payload, size_t len)
{
	uint8_t out[64];
	struct otk_coap_writer w;
	/* an empty ACK carries no token (RFC 7252 4.1) */
	bool empty = code == OTK_COAP_EMPTY;
	otk_coap_begin(&w, out, sizeof out, OTK_COAP_ACK, code, m->mid, empty ? NULL : m->token,
		       empty ? 0 : m->token_len);
	otk_coap_set_payload(&w, payload, len);
	int n = otk_coap_finish(&w);
	if (n <= 0)
		return;
	p->send(p->ctx, out, (size_t)n);
	otk_coap_rel_remember(&p->rel, m->mid, out, (size_t)n);
}

/* Sends a confirmable message now, keeping it for retransmission. */
static bool send_con(struct otkd_proto *p, const uint8_t *msg, size_t len, uint64_t now)
{
	struct otk_coap_msg m;
	uint32_t rnd;
	if (len > sizeof p->con || otk_coap_parse(msg, len, &m) != 0)
		return false;
	RAND_bytes((uint8_t *)&rnd, sizeof rnd);
	if (otk_coap_rel_con_sent(&p->rel, &m, (uint32_t)now, rnd) != OTK_OK)
		return false;
	memcpy(p->con, msg, len);
	p->con_len = len;
	p->con_token = m.token_len ? m.token[0] : 0;
	p->send(p->ctx, msg, len);
	return true;
}

static void transfer_failed(struct otkd_proto *p, const char *why, bool device_refused)
{
	fprintf(stderr, "otakitd: ota: device %s: %s failed: %s (%llu bytes sent)\n",
		p->device_id, otkd_plan_what_name(p->action.what), why,
		(unsigned long long)p->tx.bytes_sent);
	publish(p, "spark/flash/status", "failed ");
	/* a file the device refuses would be refused again: it is done with */
	if (device_refused && p->action.flash_id)
		(void)p->env.store->ops->device_flash_delivered(p->env.store, p->action.flash_id);
	transfer_end(p);
}

/* A whole blob into memory; NULL (logged) when it cannot be read. */
static uint8_t *read_blob(struct otkd_proto *p, const char *sha, size_t *size)
{
	char *path = otkd_blob_path(p->env.data_dir, sha);
	FILE *f = path ? fopen(path, "rb") : NULL;
	long n = f && fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	uint8_t *data = n > 0 && fseek(f, 0, SEEK_SET) == 0 ? malloc((size_t)n) : NULL;
	bool ok = data && fread(data, 1, (size_t)n, f) == (size_t)n;
	if (f)
		fclose(f);
	if (!ok) {
		fprintf(stderr, "otakitd: ota: %s: cannot read blob %s\n",
			path ? path : "(bad hash)", sha);
		free(data);
		data = NULL;
	}
	free(path);
	*size = ok ? (size_t)n : 0;
	return data;
}

/* Hello and the system describe as the planner reads them. */
static struct otkd_describe *describe_of(struct otkd_proto *p)
{
	struct otkd_describe *d = calloc(1, sizeof(*d));
	char err[256];
	if (!d)
		return NULL;
	d->platform_id = p->hello.platform_id;
	d->system_version = p->hello.system_version;
	d->product_id = p->hello.product_id;
	d->product_version = p->hello.product_version;
	d->hello_flags = p->hello.flags;
	d->max_binary_size = p->hello.max_binary_size;
	d->updates_enabled = true;   /* the device's updates/enabled event is not read yet */
	if (p->describe && otkd_describe_parse(p->describe, p->describe_len, OTKD_CF_JSON, d, err,
					       sizeof err) != OTK_OK)
		fprintf(stderr, "otakitd: udp: device %s: describe not understood: %s\n",
			p->device_id, err);
	return d;
}

/* The next file for this device, from the planner (server/planner.h). */
static bool plan_next(struct otkd_proto *p)
{
	struct otkd_describe *d = describe_of(p);
	int rc = d ? otkd_plan_next(p->env.store, p->device_id, d, &p->action) : OTK_ENOMEM;
	free(d);
	if (rc != OTK_OK) {
		fprintf(stderr, "otakitd: plan: device %s: %s\n", p->device_id, otk_strerror(rc));
		return false;
	}
	if (p->action.kind == OTKD_PLAN_REFUSED)
		fprintf(stderr, "otakitd: plan: device %s: refused: %s\n", p->device_id,
			p->action.note);
	if (p->action.kind != OTKD_PLAN_SEND)
		return false;
	if (p->action.what == OTKD_SEND_ASSET) {
		/* asset modules are made from the raw asset: not done yet */
		fprintf(stderr, "otakitd: plan: device %s: asset %s not sent (Asset OTA is not "
			"done yet)\n", p->device_id, p->action.asset_name);
		return false;
	}
	return true;
}

static void start_transfer(struct otkd_proto *p, uint64_t now)
{
	p->planned_at = now;
	p->planned_gen = atomic_load(&flash_generation);
	if (p->sending || !plan_next(p))
		return;
	const char *sha = p->action.sha256;
	size_t size;
	p->file = read_blob(p, sha, &size);
	if (!p->file)
		return;
	uint8_t digest[32];
	for (int i = 0; i < 32; i++)
		sscanf(sha + 2 * i, "%2hhx", &digest[i]);
	if (otkd_ota_send_init(&p->tx, p->file, size, digest, p->action.function) != OTK_OK) {
		free(p->file);
		p->file = NULL;
		return;
	}
	p->sending = true;
	p->last_ack_ms = now;
	uint8_t msg[256];
	int n = otkd_ota_send_start_msg(&p->tx, otk_coap_rel_next_mid(&p->rel), ++p->token, msg,
					sizeof msg);
	if (n <= 0 || !send_con(p, msg, (size_t)n, now)) {
		transfer_failed(p, "cannot send UpdateStart", false);
		return;
	}
	fprintf(stderr, "otakitd: ota: device %s: sending %s (%zu bytes; %s)\n", p->device_id,
		otkd_plan_what_name(p->action.what), size, p->action.note);
	publish(p, "spark/flash/status", "started ");
}

/* Chunks that are due, then UpdateFinish once all are in. */
static void pump(struct otkd_proto *p, uint64_t now)
{
	uint8_t msg[1280];
	int n;
	if (!p->sending || p->tx.state != OTKD_OTA_SENDING)
		return;
	while ((n = otkd_ota_send_next(&p->tx, now, otk_coap_rel_next_mid(&p->rel), msg,
				       sizeof msg)) > 0)
		p->send(p->ctx, msg, (size_t)n);
	if (p->tx.state == OTKD_OTA_FAILED) {
		transfer_failed(p, p->tx.error, false);
		return;
	}
	if (otkd_ota_send_complete(&p->tx) && !otk_coap_rel_busy(&p->rel)) {
		n = otkd_ota_send_finish_msg(&p->tx, otk_coap_rel_next_mid(&p->rel), ++p->token,
					     msg, sizeof msg);
		if (n <= 0 || !send_con(p, msg, (size_t)n, now))
			transfer_failed(p, "cannot send UpdateFinish", false);
	}
}

/* The device's answer to UpdateStart or UpdateFinish (piggy-backed or separate). */
static void transfer_response(struct otkd_proto *p, const struct otk_coap_msg *m, uint64_t now)
{
	if (!p->sending)
		return;
	if (p->tx.state == OTKD_OTA_STARTING) {
		if (otkd_ota_send_started(&p->tx, m) != OTK_OK) {
			transfer_failed(p, p->tx.error, true);
			return;
		}
		fprintf(stderr, "otakitd: ota: device %s: window %u chunks, resuming at byte %u of %u\n",
			p->device_id, p->tx.window, p->tx.resume, p->tx.size);
		p->last_ack_ms = now;
		pump(p, now);
	} else if (p->tx.state == OTKD_OTA_FINISHING) {
		if (otkd_ota_send_finished(&p->tx, m) != OTK_OK) {
			transfer_failed(p, p->tx.error, true);
			return;
		}
		fprintf(stderr, "otakitd: ota: device %s: %s delivered: %llu bytes sent in %u chunks "
			"from byte %u of %u, %u acks; device stats %s\n", p->device_id,
			otkd_plan_what_name(p->action.what), (unsigned long long)p->tx.bytes_sent,
			p->tx.chunks_sent,
			p->tx.resume, p->tx.size, p->tx.acks, p->tx.error);
		if (p->action.flash_id)
			(void)p->env.store->ops->device_flash_delivered(p->env.store,
									p->action.flash_id);
		publish(p, "spark/flash/status", "success ");
		transfer_end(p);
	}
}

static bool hello(struct otkd_proto *p, const struct otk_coap_msg *m, uint64_t now)
{
	struct otk_hello h;
	char hex[OTKD_DEVICE_ID_LEN + 1];
	if (m->payload_len == 0) {
		/* no payload claims no id (transport probes such as devsim's): the
		 * key alone names the device */
		memset(&h, 0, sizeof h);
		for (int i = 0; i < OTK_DEVICE_ID_LEN; i++)
			sscanf(p->device_id + 2 * i, "%2hhx", &h.device_id[i]);
	} else if (otk_hello_parse(m->payload, m->payload_len, &h) != OTK_OK) {
		reply(p, m, OTK_COAP_BAD_REQUEST, NULL, 0);
		return true;
	}
	for (int i = 0; i < OTK_DEVICE_ID_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", h.device_id[i]);
	if (strcmp(hex, p->device_id) != 0) {
		/* the key authenticated another device: refuse and end the session */
		fprintf(stderr, "otakitd: udp: Hello for device %s from the key of %s: refused\n", hex,
			p->device_id);
		reply(p, m, OTK_COAP_CODE(4, 3), NULL, 0);
		return false;
	}
	reply(p, m, OTK_COAP_CHANGED, NULL, 0);
	p->hello = h;
	p->hello_seen = true;
	p->new_hello = true;
	p->planned = false;
	fprintf(stderr, "otakitd: udp: hello from device %s (platform %u, system %u, flags 0x%02x)\n",
		p->device_id, h.platform_id, h.system_version, h.flags);
	if (!(h.flags & OTK_HELLO_DEVICE_DESCRIBE)) {
		p->planned = true;
		start_transfer(p, now);
	}
	return true;
}

static void describe(struct otkd_proto *p, const struct otk_coap_msg *m, uint64_t now)
{
	if (m->payload_len > DESCRIBE_MAX) {
		reply(p, m, OTK_COAP_TOO_LARGE, NULL, 0);
		return;
	}
	uint8_t *d = malloc(m->payload_len + 1);
	if (!d) {
		reply(p, m, OTK_COAP_INTERNAL_ERROR, NULL, 0);
		return;
	}
	if (m->payload_len)
		memcpy(d, m->payload, m->payload_len);
	d[m->payload_len] = 0;
	free(p->describe);
	p->describe = d;
	p->describe_len = m->payload_len;
	reply(p, m, OTK_COAP_CHANGED, NULL, 0);
	fprintf(stderr, "otakitd: udp: device %s described itself (%zu bytes)\n", p->device_id,
		m->payload_len);
	if (p->hello_seen && !p->planned) {
		p->planned = true;
		start_transfer(p, now);
	}
}

static void device_event(struct otkd_proto *p, const struct otk_coap_msg *m, const char *path)
{
	char data[OTKD_EVENT_DATA_MAX + 1];
	size_t n = m->payload_len < OTKD_EVENT_DATA_MAX ? m->payload_len : OTKD_EVENT_DATA_MAX;
	if (n)
		memcpy(data, m->payload, n);
	data[n] = 0;
	if (m->type == OTK_COAP_CON)
		reply(p, m, OTK_COAP_CHANGED, NULL, 0);
	publish(p, path + 2, data);
}

/* A new request from the device. */
static bool request(struct otkd_proto *p, const struct otk_coap_msg *m, uint64_t now)
{
	char path[80];
	if (otk_coap_uri_path(m, path, sizeof path) < 0)
		path[0] = 0;
	if (m->code == OTK_COAP_POST && strcmp(path, "h") == 0)
		return hello(p, m, now);
	if (m->code == OTK_COAP_POST && strcmp(path, "d") == 0)
		describe(p, m, now);
	else if (m->code == OTK_COAP_GET && strcmp(path, "t") == 0) {
		uint8_t t[4];
		otk_put_be32(t, (uint32_t)time(NULL));
		reply(p, m, OTK_COAP_CONTENT, t, sizeof t);
	} else if (m->code == OTK_COAP_POST && (path[0] == 'E' || path[0] == 'e') && path[1] == '/')
		device_event(p, m, path);
	else if (m->type == OTK_COAP_CON)
		reply(p, m, OTK_COAP_NOT_FOUND, NULL, 0);
	return true;
}

static bool is_update_ack(const struct otk_coap_msg *m)
{
	char path[8];
	return m->type == OTK_COAP_NON && m->code == OTK_COAP_POST &&
	       otk_coap_uri_path(m, path, sizeof path) >= 0 && strcmp(path, "A") == 0;
}

bool otkd_proto_input(struct otkd_proto *p, const uint8_t *msg, size_t len, uint64_t now)
{
	struct otk_coap_msg m;
	uint8_t cached[OTK_COAP_REL_REPLY_MAX];
	size_t cl;
	p->heard_at = now;
	if (otk_coap_parse(msg, len, &m)) {
		uint8_t type, out[8];
		uint16_t mid;
		/* RFC 7252 4.2: a malformed CON gets a Reset */
		if (otk_coap_peek_header(msg, len, &type, &mid) == 0 && type == OTK_COAP_CON) {
			struct otk_coap_writer w;
			otk_coap_begin(&w, out, sizeof out, OTK_COAP_RST, OTK_COAP_EMPTY, mid, NULL, 0);
			p->send(p->ctx, out, (size_t)otk_coap_finish(&w));
		}
		return true;
	}
	/* UpdateAcks are NON and may repeat: they bypass deduplication */
	if (is_update_ack(&m)) {
		if (p->sending) {
			otkd_ota_send_ack(&p->tx, &m, now);
			p->last_ack_ms = now;
			pump(p, now);
		}
		return true;
	}
	int k = otk_coap_rel_rx(&p->rel, &m, (uint32_t)now, cached, sizeof cached, &cl);
	if (cl)
		p->send(p->ctx, cached, cl);
	switch (k) {
	case OTK_COAP_REL_ACKED:
		/* a piggy-backed answer to UpdateStart/Finish; an empty ACK means separate */
		if (m.code != OTK_COAP_EMPTY)
			transfer_response(p, &m, now);
		pump(p, now);
		return true;
	case OTK_COAP_REL_RESET:
		if (p->sending)
			transfer_failed(p, "the device reset the exchange", false);
		return true;
	case OTK_COAP_REL_NEW:
		break;
	default:
		return true;
	}
	if (OTK_COAP_CODE_CLASS(m.code) >= 2) {
		/* a separate response: acknowledge, then act on it */
		if (m.type == OTK_COAP_CON)
			reply(p, &m, OTK_COAP_EMPTY, NULL, 0);
		if (m.token_len == 1 && m.token[0] == p->con_token)
			transfer_response(p, &m, now);
		return true;
	}
	return request(p, &m, now);
}

void otkd_proto_poll(struct otkd_proto *p, uint64_t now)
{
	int r = otk_coap_rel_poll(&p->rel, (uint32_t)now);
	if (r == OTK_COAP_REL_RETRANSMIT && p->con_len)
		p->send(p->ctx, p->con, p->con_len);
	else if (r == OTK_COAP_REL_GIVE_UP && p->sending)
		transfer_failed(p, "the device did not acknowledge", false);
	if (!p->sending) {
		/* PUT /v1/devices/:id while the device is online: it goes now */
		if (p->planned && now - p->planned_at >= REPLAN_MS && now - p->heard_at < ALIVE_MS &&
		    p->planned_gen != atomic_load(&flash_generation))
			start_transfer(p, now);
		return;
	}
	if (p->tx.state == OTKD_OTA_SENDING && now - p->last_ack_ms > OTA_SILENCE_MS) {
		transfer_failed(p, "the device stopped acknowledging chunks", false);
		return;
	}
	pump(p, now);
}

bool otkd_proto_take_hello(struct otkd_proto *p)
{
	bool h = p->new_hello;
	p->new_hello = false;
	return h;
}

const char *otkd_proto_device(const struct otkd_proto *p)
{
	return p->device_id;
}

void otkd_proto_superseded(struct otkd_proto *p)
{
	p->planned = false;   /* the newer session plans for the device now */
	if (!p->sending)
		return;
	fprintf(stderr, "otakitd: ota: device %s: transfer of %s left to the device's new session "
		"(%llu bytes sent in this one)\n", p->device_id, otkd_plan_what_name(p->action.what),
		(unsigned long long)p->tx.bytes_sent);
	transfer_end(p);
}
