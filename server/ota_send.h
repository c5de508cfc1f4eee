/*
 * OTA v3 sender (spec 03), I/O-free: otakitd's side of UpdateStart,
 * UpdateChunk, UpdateAck and UpdateFinish for one file to one device.
 *
 * The caller (device_proto.c) owns the socket, the clock, the CoAP message
 * ids and the confirmable-message retransmission; this file decides what
 * goes next.  Chunks go inside the device's window (WINDOW_SIZE of the
 * 2.01, at most OTKD_OTA_INFLIGHT unacknowledged at once, which keeps a
 * burst within a receive buffer), numbered from the device's resume offset
 * (the 2.01's FILE_SIZE); a chunk the acks show missing below one the
 * device has is sent again after OTKD_OTA_GAP_MS, any unacknowledged chunk
 * after OTKD_OTA_RESEND_MS.
 */
#ifndef OTKD_OTA_SEND_H
#define OTKD_OTA_SEND_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/coap.h"

#define OTKD_OTA_CHUNK 512u
#define OTKD_OTA_INFLIGHT 32u
#define OTKD_OTA_GAP_MS 100u
#define OTKD_OTA_RESEND_MS 1000u
#define OTKD_OTA_MAX_SENDS 40u     /* sends of one chunk before giving up */

enum otkd_ota_state {
	OTKD_OTA_STARTING = 0,  /* UpdateStart sent, waiting for the 2.01 */
	OTKD_OTA_SENDING,       /* chunks */
	OTKD_OTA_FINISHING,     /* UpdateFinish sent, waiting for the 2.04 */
	OTKD_OTA_DONE,          /* the device took it and will apply it */
	OTKD_OTA_FAILED,
};

struct otkd_ota_send {
	const uint8_t *file;       /* the caller keeps it alive */
	uint32_t size, chunk;
	uint8_t sha[32];
	uint8_t function;          /* MODULE_FUNCTION, 0: not sent */
	uint8_t state;             /* enum otkd_ota_state */
	uint32_t resume, window, nchunks;
	uint32_t contig;           /* chunks the device has contiguously */
	uint8_t *have;             /* [nchunks + 1]: acked */
	uint8_t *sends;            /* [nchunks + 1]: times sent */
	uint64_t *sent_at;         /* [nchunks + 1] */
	uint32_t next_new;         /* lowest chunk never sent */
	uint64_t bytes_sent;       /* chunk payload bytes, resends included */
	uint32_t chunks_sent, acks;
	char error[256];           /* why it failed (the device's JSON, or ours) */
};

/* Sets up a transfer of file[0, size) with its SHA-256. OTK_OK / OTK_ENOMEM / OTK_EINVAL. */
int otkd_ota_send_init(struct otkd_ota_send *t, const uint8_t *file, size_t size,
		       const uint8_t sha[32], uint8_t function);
void otkd_ota_send_free(struct otkd_ota_send *t);

/* Writes the UpdateStart (CON POST S) with this mid and token; the length or an error. */
int otkd_ota_send_start_msg(struct otkd_ota_send *t, uint16_t mid, uint8_t token, uint8_t *buf,
			    size_t cap);

/*
 * The device's answer to UpdateStart (piggy-backed or separate): 2.01 with
 * WINDOW_SIZE and FILE_SIZE starts the chunks; anything else fails the
 * transfer.  OTK_OK, or an error (state FAILED, error says why).
 */
int otkd_ota_send_started(struct otkd_ota_send *t, const struct otk_coap_msg *resp);

/* An UpdateAck (NON POST A) from the device. */
void otkd_ota_send_ack(struct otkd_ota_send *t, const struct otk_coap_msg *ack, uint64_t now_ms);

/*
 * The next chunk to send now, as a NON POST C with this mid: the length,
 * 0 when nothing is due (see otkd_ota_send_deadline), or an error (a chunk
 * sent OTKD_OTA_MAX_SENDS times: FAILED).
 */
int otkd_ota_send_next(struct otkd_ota_send *t, uint64_t now_ms, uint16_t mid, uint8_t *buf,
		       size_t cap);

/* Every chunk is acknowledged: time for UpdateFinish. */
bool otkd_ota_send_complete(const struct otkd_ota_send *t);

/* Writes the UpdateFinish (CON POST F); state FINISHING. */
int otkd_ota_send_finish_msg(struct otkd_ota_send *t, uint16_t mid, uint8_t token, uint8_t *buf,
			     size_t cap);

/* The device's answer to UpdateFinish: 2.04 DONE, else FAILED. */
int otkd_ota_send_finished(struct otkd_ota_send *t, const struct otk_coap_msg *resp);

/* The time (ms) when otkd_ota_send_next() may have something; UINT64_MAX: nothing. */
uint64_t otkd_ota_send_deadline(const struct otkd_ota_send *t);

#endif
