/* OTA v3 sender (ota_send.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/ota3.h"
#include "ota_send.h"

int otkd_ota_send_init(struct otkd_ota_send *t, const uint8_t *file, size_t size,
		       const uint8_t sha[32], uint8_t function)
{
	memset(t, 0, sizeof(*t));
	if (size == 0 || size > UINT32_MAX)
		return OTK_EINVAL;
	t->file = file;
	t->size = (uint32_t)size;
	t->chunk = OTKD_OTA_CHUNK;
	memcpy(t->sha, sha, 32);
	t->function = function;
	t->state = OTKD_OTA_STARTING;
	return OTK_OK;
}

void otkd_ota_send_free(struct otkd_ota_send *t)
{
	free(t->have);
	free(t->sends);
	free(t->sent_at);
	t->have = t->sends = NULL;
	t->sent_at = NULL;
}

int otkd_ota_send_start_msg(struct otkd_ota_send *t, uint16_t mid, uint8_t token, uint8_t *buf,
			    size_t cap)
{
	struct otk_coap_writer w;
	otk_coap_begin(&w, buf, cap, OTK_COAP_CON, OTK_COAP_POST, mid, &token, 1);
	otk_coap_add_path(&w, "S");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_FILE_SIZE, t->size);
	otk_coap_add_opt(&w, OTK_OTA3_OPT_FILE_SHA256, t->sha, 32);
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_CHUNK_SIZE, t->chunk);
	if (t->function)
		otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_MODULE_FUNCTION, t->function);
	t->state = OTKD_OTA_STARTING;
	return otk_coap_finish(&w);
}

/* The device refused: keep its {"code","message"} for the log. */
static int fail(struct otkd_ota_send *t, const struct otk_coap_msg *resp, const char *what)
{
	t->state = OTKD_OTA_FAILED;
	if (resp && resp->payload_len)
		snprintf(t->error, sizeof t->error, "%s: %u.%02u %.*s", what,
			 OTK_COAP_CODE_CLASS(resp->code), OTK_COAP_CODE_DETAIL(resp->code),
			 (int)(resp->payload_len > 200 ? 200 : resp->payload_len),
			 (const char *)resp->payload);
	else if (resp)
		snprintf(t->error, sizeof t->error, "%s: %u.%02u", what,
			 OTK_COAP_CODE_CLASS(resp->code), OTK_COAP_CODE_DETAIL(resp->code));
	else
		snprintf(t->error, sizeof t->error, "%s", what);
	return OTK_EINVAL;
}

static bool opt_u32(const struct otk_coap_msg *m, uint16_t num, uint32_t *v)
{
	struct otk_coap_opt o;
	return otk_coap_opt_find(m, num, &o) && otk_coap_opt_uint(&o, v) == 0;
}

int otkd_ota_send_started(struct otkd_ota_send *t, const struct otk_coap_msg *resp)
{
	uint32_t window, resume;
	if (resp->code != OTK_COAP_CREATED)
		return fail(t, resp, "UpdateStart refused");
	if (!opt_u32(resp, OTK_OTA3_OPT_WINDOW_SIZE, &window) || window == 0 ||
	    !opt_u32(resp, OTK_OTA3_OPT_FILE_SIZE, &resume) || resume > t->size)
		return fail(t, resp, "UpdateStart answer without a window or with a bad offset");
	t->window = window;
	t->resume = resume;
	t->nchunks = (t->size - resume + t->chunk - 1) / t->chunk;
	otkd_ota_send_free(t);
	t->have = calloc(t->nchunks + 1, 1);
	t->sends = calloc(t->nchunks + 1, 1);
	t->sent_at = calloc(t->nchunks + 1, sizeof(*t->sent_at));
	if (!t->have || !t->sends || !t->sent_at)
		return fail(t, NULL, "out of memory");
	t->contig = 0;
	t->next_new = 1;
	t->state = OTKD_OTA_SENDING;
	return OTK_OK;
}

void otkd_ota_send_ack(struct otkd_ota_send *t, const struct otk_coap_msg *ack, uint64_t now_ms)
{
	uint32_t contig;
	(void)now_ms;
	if (t->state != OTKD_OTA_SENDING || !opt_u32(ack, OTK_OTA3_OPT_CHUNK_INDEX, &contig) ||
	    contig > t->nchunks)
		return;
	t->acks++;
	for (uint32_t i = t->contig + 1; i <= contig; i++)
		t->have[i] = 1;
	if (contig > t->contig)
		t->contig = contig;
	/* bit i of the little-endian words = chunk contig + 1 + i */
	for (size_t w = 0; w + 4 <= ack->payload_len; w += 4) {
		uint32_t bits = otk_le32(ack->payload + w);
		for (uint32_t b = 0; b < 32; b++) {
			uint64_t idx = (uint64_t)contig + 1 + w * 8 + b;
			if (bits >> b & 1 && idx <= t->nchunks)
				t->have[idx] = 1;
		}
	}
}

bool otkd_ota_send_complete(const struct otkd_ota_send *t)
{
	return t->state == OTKD_OTA_SENDING && t->contig == t->nchunks;
}

/* Highest chunk the device reported, to tell gaps from chunks still on their way. */
static uint32_t highest_have(const struct otkd_ota_send *t)
{
	uint32_t end = t->contig + t->window < t->nchunks ? t->contig + t->window : t->nchunks;
	for (uint32_t i = end; i > t->contig; i--)
		if (t->have[i])
			return i;
	return t->contig;
}

/* The chunk to send now, 0 when none. */
static uint32_t pick(const struct otkd_ota_send *t, uint64_t now)
{
	uint32_t end = t->contig + t->window < t->nchunks ? t->contig + t->window : t->nchunks;
	uint32_t high = highest_have(t), inflight = 0;
	for (uint32_t i = t->contig + 1; i < t->next_new && i <= end; i++)
		if (!t->have[i])
			inflight++;
	/* first what the acks show missing, then old unacknowledged ones */
	for (uint32_t i = t->contig + 1; i < t->next_new && i <= end; i++) {
		if (t->have[i])
			continue;
		uint64_t age = now - t->sent_at[i];
		if ((i < high && age >= OTKD_OTA_GAP_MS) || age >= OTKD_OTA_RESEND_MS)
			return i;
	}
	if (t->next_new <= end && inflight < OTKD_OTA_INFLIGHT)
		return t->next_new;
	return 0;
}

int otkd_ota_send_next(struct otkd_ota_send *t, uint64_t now_ms, uint16_t mid, uint8_t *buf,
		       size_t cap)
{
	if (t->state != OTKD_OTA_SENDING)
		return 0;
	uint32_t i = pick(t, now_ms);
	if (!i)
		return 0;
	if (t->sends[i] >= OTKD_OTA_MAX_SENDS)
		return fail(t, NULL, "a chunk was sent too often without an ack");
	uint32_t off = t->resume + (i - 1) * t->chunk;
	uint32_t len = t->size - off < t->chunk ? t->size - off : t->chunk;
	struct otk_coap_writer w;
	otk_coap_begin(&w, buf, cap, OTK_COAP_NON, OTK_COAP_POST, mid, NULL, 0);
	otk_coap_add_path(&w, "C");
	otk_coap_add_opt_uint(&w, OTK_OTA3_OPT_CHUNK_INDEX, i);
	otk_coap_set_payload(&w, t->file + off, len);
	int n = otk_coap_finish(&w);
	if (n < 0)
		return n;
	t->sends[i]++;
	t->sent_at[i] = now_ms;
	if (i == t->next_new)
		t->next_new++;
	t->bytes_sent += len;
	t->chunks_sent++;
	return n;
}

int otkd_ota_send_finish_msg(struct otkd_ota_send *t, uint16_t mid, uint8_t token, uint8_t *buf,
			     size_t cap)
{
	struct otk_coap_writer w;
	otk_coap_begin(&w, buf, cap, OTK_COAP_CON, OTK_COAP_POST, mid, &token, 1);
	otk_coap_add_path(&w, "F");
	t->state = OTKD_OTA_FINISHING;
	return otk_coap_finish(&w);
}

int otkd_ota_send_finished(struct otkd_ota_send *t, const struct otk_coap_msg *resp)
{
	if (resp->code != OTK_COAP_CHANGED)
		return fail(t, resp, "UpdateFinish refused");
	t->state = OTKD_OTA_DONE;
	snprintf(t->error, sizeof t->error, "%.*s",
		 (int)(resp->payload_len > 200 ? 200 : resp->payload_len),
		 resp->payload ? (const char *)resp->payload : "");
	return OTK_OK;
}

uint64_t otkd_ota_send_deadline(const struct otkd_ota_send *t)
{
	if (t->state != OTKD_OTA_SENDING)
		return UINT64_MAX;
	uint64_t d = UINT64_MAX;
	uint32_t end = t->contig + t->window < t->nchunks ? t->contig + t->window : t->nchunks;
	for (uint32_t i = t->contig + 1; i < t->next_new && i <= end; i++)
		if (!t->have[i] && t->sent_at[i] + OTKD_OTA_GAP_MS < d)
			d = t->sent_at[i] + OTKD_OTA_GAP_MS;
	return d;
}
