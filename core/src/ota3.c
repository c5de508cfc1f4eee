/* OTA v3 receiver over the update engine (otk/ota3.h, spec 03). */
#include <string.h>

#include "otk/error.h"
#include "otk/ota3.h"
#include "otk/sha256.h"
#include "otk/textbuf.h"

void otk_ota3_init(struct otk_ota3 *o, struct otk_update *u, struct otk_coap_rel *rel)
{
	memset(o, 0, sizeof(*o));
	o->u = u;
	o->rel = rel;
}

/* Starts the next message of out; finish it with out_end(). */
static struct otk_coap_writer *out_begin(struct otk_ota3_out *out, struct otk_coap_writer *w,
					 uint8_t type, uint8_t code, uint16_t mid,
					 const struct otk_coap_msg *req)
{
	size_t room = out->n < 2 && out->cap > out->used ? out->cap - out->used : 0;
	otk_coap_begin(w, out->buf + out->used, room, type, code, mid,
		       req ? req->token : NULL, req ? req->token_len : 0);
	return w;
}

static int out_end(struct otk_ota3_out *out, struct otk_coap_writer *w, uint8_t kind,
		   uint16_t mid)
{
	int n = otk_coap_finish(w);
	if (n < 0 || out->n >= 2)
		return n < 0 ? n : OTK_ENOSPC;
	out->msg[out->n].off = out->used;
	out->msg[out->n].len = (size_t)n;
	out->msg[out->n].kind = kind;
	out->msg[out->n].mid = mid;
	out->n++;
	out->used += (size_t)n;
	return OTK_OK;
}

/* The empty ACK of a request answered separately. */
static int empty_ack(struct otk_ota3_out *out, const struct otk_coap_msg *m)
{
	struct otk_coap_writer w;
	out_begin(out, &w, OTK_COAP_ACK, OTK_COAP_EMPTY, m->mid, NULL);
	return out_end(out, &w, OTK_OTA3_SEND_REPLY, m->mid);
}

static uint8_t error_code(int err)
{
	switch (err) {
	case OTK_EUPD_TOOLARGE:
	case OTK_EASSET_TOOBIG:
		return OTK_COAP_TOO_LARGE;
	case OTK_EIO:
		return OTK_COAP_INTERNAL_ERROR;
	default:
		return OTK_COAP_BAD_REQUEST;
	}
}

/* A failed request: piggy-backed error with {"code":N,"message":"..."}. */
static int error_reply(struct otk_ota3_out *out, const struct otk_coap_msg *m, int err)
{
	char json[160];
	struct otk_textbuf t;
	otk_tb_init(&t, json, sizeof(json));
	otk_tb_str(&t, "{\"code\":");
	otk_tb_i32(&t, err);
	otk_tb_str(&t, ",\"message\":");
	otk_tb_json_str(&t, otk_strerror(err));
	otk_tb_str(&t, "}");
	int jl = otk_tb_finish(&t);
	struct otk_coap_writer w;
	out_begin(out, &w, OTK_COAP_ACK, error_code(err), m->mid, m);
	if (jl > 0)
		otk_coap_set_payload(&w, json, (size_t)jl);
	return out_end(out, &w, OTK_OTA3_SEND_REPLY, m->mid);
}

static bool opt_uint(const struct otk_coap_msg *m, uint16_t num, uint32_t *v, bool *bad)
{
	struct otk_coap_opt o;
	if (!otk_coap_opt_find(m, num, &o))
		return false;
	if (otk_coap_opt_uint(&o, v))
		*bad = true;
	return true;
}

static bool has_opt(const struct otk_coap_msg *m, uint16_t num)
{
	struct otk_coap_opt o;
	return otk_coap_opt_find(m, num, &o) != 0;
}

/* --- UpdateStart ----------------------------------------------------- */

static int start(struct otk_ota3 *o, const struct otk_coap_msg *m, uint32_t now,
		 struct otk_ota3_out *out)
{
	uint32_t size = 0, chunk = 0, func = OTK_FUNC_NONE;
	bool bad = false;
	struct otk_coap_opt sha;
	bool has_sha = otk_coap_opt_find(m, OTK_OTA3_OPT_FILE_SHA256, &sha) != 0;
	if (!opt_uint(m, OTK_OTA3_OPT_FILE_SIZE, &size, &bad) ||
	    !opt_uint(m, OTK_OTA3_OPT_CHUNK_SIZE, &chunk, &bad))
		bad = true;
	opt_uint(m, OTK_OTA3_OPT_MODULE_FUNCTION, &func, &bad);
	if (bad || (has_sha && sha.len != OTK_SHA256_LEN) || chunk < OTK_OTA3_CHUNK_MIN ||
	    chunk > OTK_OTA3_CHUNK_MAX || chunk % 4u || func > 0xFFu)
		return error_reply(out, m, OTK_EINVAL);
	if (size == 0)
		return error_reply(out, m, OTK_EUPD_SIZE);

	/* a new start cancels the running transfer, keeping its saved state */
	if (o->active)
		(void)otk_update_finish(o->u, OTK_FINISH_CANCEL, NULL);
	o->active = false;
	o->finish_pending = false;
	struct otk_update_start st = {
		.size = size,
		.file_sha = has_sha ? sha.val : NULL,
		.flags = has_opt(m, OTK_OTA3_OPT_DISCARD_DATA) ? OTK_UPDATE_DISCARD_DATA : 0,
		.function = (uint8_t)func,
		.chunk_size = chunk,
	};
	long resume = otk_update_begin(o->u, &st);
	if (resume < 0)
		return error_reply(out, m, (int)resume);
	o->active = true;
	o->size = size;
	o->chunk = chunk;
	o->resume = (uint32_t)resume;
	o->nchunks = (size - o->resume + chunk - 1) / chunk;
	o->start_ms = o->last_rx_ms = now;
	o->unacked = 0;
	o->ack_timer = false;
	o->last_gaps = false;
	o->sent_acks = 0;

	int rc = empty_ack(out, m);
	if (rc)
		return rc;
	uint16_t mid = otk_coap_rel_next_mid(o->rel);
	struct otk_coap_writer w;
	out_begin(out, &w, OTK_COAP_CON, OTK_COAP_CREATED, mid, m);
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_WINDOW_SIZE, otk_update_window_chunks(o->u));
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_FILE_SIZE, o->resume);
	return out_end(out, &w, OTK_OTA3_SEND_CON, mid);
}

/* --- UpdateChunk and UpdateAck --------------------------------------- */

static int send_ack(struct otk_ota3 *o, struct otk_ota3_out *out, bool *gaps)
{
	uint32_t bits[OTK_OTA3_MAP_WORDS];
	uint8_t payload[4 * OTK_OTA3_MAP_WORDS];
	uint32_t contig = otk_update_ack(o->u, bits, OTK_OTA3_MAP_WORDS);
	size_t words = 1;
	*gaps = false;
	for (size_t i = 0; i < OTK_OTA3_MAP_WORDS; i++) {
		otk_put_le32(payload + 4 * i, bits[i]);
		if (bits[i]) {
			*gaps = true;
			words = i + 1;
		}
	}
	uint16_t mid = otk_coap_rel_next_mid(o->rel);
	struct otk_coap_writer w;
	out_begin(out, &w, OTK_COAP_NON, OTK_COAP_POST, mid, NULL);
	otk_coap_add_path(&w, "A");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_CHUNK_INDEX, contig);
	otk_coap_set_payload(&w, payload, 4 * words);
	o->unacked = 0;
	o->ack_timer = false;
	o->last_gaps = *gaps;
	o->sent_acks++;
	return out_end(out, &w, OTK_OTA3_SEND_NON, mid);
}

static bool window_has_gaps(const struct otk_ota3 *o, uint32_t *contig)
{
	uint32_t bits[OTK_OTA3_MAP_WORDS];
	*contig = otk_update_ack(o->u, bits, OTK_OTA3_MAP_WORDS);
	for (size_t i = 0; i < OTK_OTA3_MAP_WORDS; i++)
		if (bits[i])
			return true;
	return false;
}

static int chunk(struct otk_ota3 *o, const struct otk_coap_msg *m, uint32_t now,
		 struct otk_ota3_out *out)
{
	struct otk_coap_writer w;
	uint32_t idx = 0;
	bool bad = false;
	if (!o->active) {
		/* spec 03: a chunk with no update running gets RST */
		out_begin(out, &w, OTK_COAP_RST, OTK_COAP_EMPTY, m->mid, NULL);
		int rc = out_end(out, &w, OTK_OTA3_SEND_NON, m->mid);
		return rc ? rc : 1;
	}
	if (!opt_uint(m, OTK_OTA3_OPT_CHUNK_INDEX, &idx, &bad) || bad || idx == 0 ||
	    idx > o->nchunks)
		return 1;   /* not a chunk of this transfer: dropped */
	o->last_rx_ms = now;
	uint32_t off = o->resume + (idx - 1) * o->chunk;
	uint32_t len = o->size - off < o->chunk ? o->size - off : o->chunk;
	if (m->payload_len != len)
		return 1;
	uint32_t dup = o->u->stats.dup;
	int rc = otk_update_write(o->u, off, m->payload, len);
	bool is_dup = o->u->stats.dup != dup;
	if (rc == OTK_OK && !is_dup)
		o->unacked++;
	else if (rc != OTK_OK && rc != OTK_EUPD_WINDOW)
		return 1;   /* a flash error: the sender resends what the acks lack */
	uint32_t contig;
	bool gaps = window_has_gaps(o, &contig);
	if (is_dup || rc == OTK_EUPD_WINDOW || gaps || gaps != o->last_gaps ||
	    contig == o->nchunks || o->unacked >= 2) {
		rc = send_ack(o, out, &gaps);
		return rc ? rc : 1;
	}
	if (!o->ack_timer) {
		o->ack_timer = true;
		o->ack_at = now + OTK_OTA3_ACK_DELAY_MS;
	}
	return 1;
}

/* --- UpdateFinish ---------------------------------------------------- */

static int stats_json(const struct otk_ota3 *o, char *json, size_t cap)
{
	struct otk_textbuf t;
	otk_tb_init(&t, json, cap);
	otk_tb_str(&t, "{\"recv_chunks\":");
	otk_tb_u32(&t, o->u->stats.chunks + o->u->stats.dup);
	otk_tb_str(&t, ",\"dup_chunks\":");
	otk_tb_u32(&t, o->u->stats.dup);
	otk_tb_str(&t, ",\"ooo_chunks\":");
	otk_tb_u32(&t, o->u->stats.ooo);
	otk_tb_str(&t, ",\"sent_acks\":");
	otk_tb_u32(&t, o->sent_acks);
	otk_tb_str(&t, ",\"proc_time\":");
	otk_tb_u32(&t, o->proc_ms);
	otk_tb_str(&t, "}");
	return otk_tb_finish(&t);
}

static int finish(struct otk_ota3 *o, const struct otk_coap_msg *m, uint32_t now,
		  struct otk_ota3_out *out)
{
	struct otk_coap_writer w;
	if (has_opt(m, OTK_OTA3_OPT_CANCEL_UPDATE)) {
		bool discard = has_opt(m, OTK_OTA3_OPT_DISCARD_DATA);
		if (o->active || discard)
			(void)otk_update_finish(o->u, discard ? OTK_FINISH_DISCARD
							      : OTK_FINISH_CANCEL, NULL);
		o->active = false;
		o->finish_pending = false;
		out_begin(out, &w, OTK_COAP_ACK, OTK_COAP_CHANGED, m->mid, m);
		return out_end(out, &w, OTK_OTA3_SEND_REPLY, m->mid);
	}
	if (!o->active)
		return error_reply(out, m, OTK_EUPD_STATE);
	int rc = otk_update_finish(o->u, OTK_FINISH_VALIDATE, NULL);
	if (rc) {
		if (!o->u->active)
			o->active = false;   /* bad data was forgotten by the engine */
		return error_reply(out, m, rc);
	}
	o->proc_ms = now - o->start_ms;
	rc = empty_ack(out, m);
	if (rc)
		return rc;
	char json[160];
	int jl = stats_json(o, json, sizeof(json));
	uint16_t mid = otk_coap_rel_next_mid(o->rel);
	out_begin(out, &w, OTK_COAP_CON, OTK_COAP_CHANGED, mid, m);
	if (jl > 0)
		otk_coap_set_payload(&w, json, (size_t)jl);
	rc = out_end(out, &w, OTK_OTA3_SEND_CON, mid);
	if (rc == OTK_OK) {
		o->finish_pending = true;
		o->finish_mid = mid;
	}
	return rc;
}

int otk_ota3_handle(struct otk_ota3 *o, const struct otk_coap_msg *m, uint32_t now_ms,
		    struct otk_ota3_out *out)
{
	struct otk_coap_opt p;
	struct otk_coap_opt_iter it;
	int segments = 0;
	char c = 0;
	if (m->code != OTK_COAP_POST || (m->type != OTK_COAP_CON && m->type != OTK_COAP_NON))
		return 0;
	/* one Uri-Path segment of one letter */
	otk_coap_opt_iter_init(m, &it);
	while (otk_coap_opt_next(&it, &p))
		if (p.num == OTK_COAP_OPT_URI_PATH) {
			segments++;
			c = p.len == 1 ? (char)p.val[0] : 0;
		}
	if (segments != 1)
		return 0;
	int rc;
	if (c == 'C')
		return chunk(o, m, now_ms, out);
	if (c != 'S' && c != 'F')
		return 0;
	if (m->type != OTK_COAP_CON)
		return 1;   /* Start and Finish are confirmable; anything else is noise */
	rc = c == 'S' ? start(o, m, now_ms, out) : finish(o, m, now_ms, out);
	return rc < 0 ? rc : 1;
}

int otk_ota3_poll(struct otk_ota3 *o, uint32_t now_ms, struct otk_ota3_out *out)
{
	if (!o->active)
		return OTK_OK;
	if (now_ms - o->last_rx_ms >= OTK_OTA3_IDLE_MS) {
		/* no chunk for 300 s: cancel, keeping the progress for a resume */
		(void)otk_update_finish(o->u, OTK_FINISH_CANCEL, NULL);
		o->active = false;
		o->ack_timer = false;
		return OTK_OK;
	}
	if (o->ack_timer && (int32_t)(now_ms - o->ack_at) >= 0) {
		bool gaps;
		return send_ack(o, out, &gaps);
	}
	return OTK_OK;
}

uint32_t otk_ota3_deadline(const struct otk_ota3 *o, uint32_t now_ms)
{
	if (!o->active)
		return UINT32_MAX;
	uint32_t idle = o->last_rx_ms + OTK_OTA3_IDLE_MS - now_ms;
	if (o->ack_timer) {
		uint32_t a = (int32_t)(o->ack_at - now_ms) > 0 ? o->ack_at - now_ms : 0;
		return a < idle ? a : idle;
	}
	return (int32_t)idle > 0 ? idle : 0;
}

int otk_ota3_acked(struct otk_ota3 *o, uint16_t mid)
{
	if (!o->finish_pending || mid != o->finish_mid)
		return 0;
	o->finish_pending = false;
	o->active = false;
	int rc = otk_update_finish(o->u, OTK_FINISH_APPLY, NULL);
	return rc < 0 ? rc : 1;
}
