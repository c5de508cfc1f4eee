/*
 * OTA v3 receiver (spec 03, "OTA transfer"): the device side of
 * UpdateStart / UpdateChunk / UpdateAck / UpdateFinish over the update
 * engine (otk/update.h).
 *
 * I/O-free: the caller gives it each parsed CoAP message (CON requests
 * after its own deduplication with otk_coap_rel_rx(); NON chunks as they
 * come, duplicates included, since a duplicate chunk is what triggers an
 * immediate ack) and the time in milliseconds; the receiver writes the
 * messages to send into the caller's buffer (struct otk_ota3_out).  Message
 * ids come from the caller's struct otk_coap_rel.
 *
 *   S (CON)  -> empty ACK, then CON 2.01 with WINDOW_SIZE and FILE_SIZE =
 *               the offset the transfer resumes from; an error is a
 *               piggy-backed 4.xx/5.00 with {"code":N,"message":"..."}
 *   C (NON)  -> stored through otk_update_write(); UpdateAck (NON POST A,
 *               CHUNK_INDEX = chunks in contiguously, payload = the window
 *               bitmap as little-endian u32 words) when spec 03's rules say;
 *               a chunk with no update running gets RST
 *   F (CON)  -> cancel (CANCEL_UPDATE, with DISCARD_DATA forgotten): ACK
 *               2.04; else validate: empty ACK then CON 2.04 with the JSON
 *               statistics; the update is applied when the cloud
 *               acknowledges that 2.04 (otk_ota3_acked() says: reset now).
 */
#ifndef OTK_OTA3_H
#define OTK_OTA3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"
#include "otk/update.h"

#ifdef __cplusplus
extern "C" {
#endif

/* CoAP options of OTA v3 (Device OS values). */
#define OTK_OTA3_OPT_CHUNK_INDEX 2049
#define OTK_OTA3_OPT_WINDOW_SIZE 2053
#define OTK_OTA3_OPT_FILE_SIZE 2057
#define OTK_OTA3_OPT_FILE_SHA256 2061
#define OTK_OTA3_OPT_CHUNK_SIZE 2065
#define OTK_OTA3_OPT_DISCARD_DATA 2069
#define OTK_OTA3_OPT_CANCEL_UPDATE 2073
#define OTK_OTA3_OPT_MODULE_FUNCTION 2077

#define OTK_OTA3_CHUNK_MIN 512u
#define OTK_OTA3_CHUNK_MAX 1136u
#define OTK_OTA3_WINDOW_BYTES (128u * 1024u)
#define OTK_OTA3_ACK_DELAY_MS 200u
#define OTK_OTA3_IDLE_MS 300000u
/* The largest message the receiver writes (an UpdateAck with a full bitmap). */
#define OTK_OTA3_OUT_MIN 256u
/* Bitmap words for the largest window (128 KB of 512-byte chunks). */
#define OTK_OTA3_MAP_WORDS ((OTK_OTA3_WINDOW_BYTES / OTK_OTA3_CHUNK_MIN + 31u) / 32u)

enum otk_ota3_send {
	OTK_OTA3_SEND_REPLY = 0, /* an ACK to the received CON: send, otk_coap_rel_remember() it */
	OTK_OTA3_SEND_CON = 1,   /* a separate response: send reliably (otk_coap_rel_con_sent) */
	OTK_OTA3_SEND_NON = 2,   /* UpdateAck or RST: send once */
};

/* What to send, written back to back into buf. */
struct otk_ota3_out {
	uint8_t *buf;
	size_t cap;              /* >= 2 * OTK_OTA3_OUT_MIN */
	size_t used;
	uint8_t n;
	struct {
		size_t off, len;
		uint8_t kind;    /* enum otk_ota3_send */
		uint16_t mid;
	} msg[2];
};

struct otk_ota3 {
	struct otk_update *u;
	struct otk_coap_rel *rel;
	bool active;             /* an UpdateStart was accepted, no Finish yet */
	uint32_t size, chunk, resume, nchunks;
	uint32_t start_ms, last_rx_ms;
	/* ack rules */
	uint32_t unacked;        /* chunks stored since the last ack */
	bool ack_timer;
	uint32_t ack_at;
	bool last_gaps;          /* the last ack showed gaps */
	uint32_t sent_acks;
	/* the 2.04 of a validated Finish, waiting for the cloud's ACK */
	bool finish_pending;
	uint16_t finish_mid;
	uint32_t proc_ms;
};

void otk_ota3_init(struct otk_ota3 *o, struct otk_update *u, struct otk_coap_rel *rel);

/* Empties out (call before each handle/poll). */
static inline void otk_ota3_out_init(struct otk_ota3_out *out, uint8_t *buf, size_t cap)
{
	out->buf = buf;
	out->cap = cap;
	out->used = 0;
	out->n = 0;
}

/*
 * Handles one message.  Returns 1 when it was an OTA v3 message (POST S, C
 * or F; out has what to send), 0 when it is not one, or an error of the
 * caller's buffer (OTK_ENOSPC).
 */
int otk_ota3_handle(struct otk_ota3 *o, const struct otk_coap_msg *m, uint32_t now_ms,
		    struct otk_ota3_out *out);

/* Timers: the 200 ms ack, 300 s without chunks cancels.  Call by the deadline. */
int otk_ota3_poll(struct otk_ota3 *o, uint32_t now_ms, struct otk_ota3_out *out);

/* Milliseconds until otk_ota3_poll() has something to do; UINT32_MAX: nothing. */
uint32_t otk_ota3_deadline(const struct otk_ota3 *o, uint32_t now_ms);

/*
 * The cloud acknowledged the confirmable message mid.  When it is the 2.04
 * of a validated Finish, the update is applied (otk_update_finish APPLY):
 * returns 1 (reset the device now), or the apply error; else 0.
 */
int otk_ota3_acked(struct otk_ota3 *o, uint16_t mid);

#ifdef __cplusplus
}
#endif

#endif
