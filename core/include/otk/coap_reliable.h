/*
 * CoAP reliability and deduplication (RFC 7252 section 4) as an I/O-free
 * state machine, used by the device and by otakitd alike.
 *
 * The caller owns the socket, the clock and the random numbers: it passes
 * the time in milliseconds (any epoch, wrapping at 2^32 is fine) and asks
 * otk_coap_rel_deadline() when to call otk_coap_rel_poll() next.
 *
 * Sending: at most one confirmable message is outstanding (spec 06).
 * otk_coap_rel_con_sent() starts its timer; poll() says when to send the
 * same bytes again (the caller keeps them) and when to give up.
 *
 * Receiving: otk_coap_rel_rx() classifies each parsed message: a new
 * request, a duplicate (with the cached reply to send again), the ACK or
 * RST of the outstanding message, a ping, or noise.  Replies the caller
 * sends to confirmable messages are remembered with
 * otk_coap_rel_remember() so that duplicates get the same answer.
 */
#ifndef OTK_COAP_RELIABLE_H
#define OTK_COAP_RELIABLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/coap.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Transmission parameters; otk_coap_rel_init() sets those of spec 06. */
struct otk_coap_rel_params {
	uint32_t ack_timeout_ms;     /* 4000 */
	uint16_t ack_random_permille;/* 1500: the random factor 1.5 */
	uint8_t max_retransmit;      /* 3 */
	uint32_t exchange_lifetime_ms; /* how long a received message id is remembered */
};

/* Cached replies longer than this are not kept (the caller answers again). */
#define OTK_COAP_REL_REPLY_MAX 24
/* Received message ids remembered for deduplication. */
#define OTK_COAP_REL_DEDUP 8

struct otk_coap_rel_seen {
	uint32_t expires_ms;
	uint16_t mid;
	uint8_t used;
	uint8_t reply_len;
	uint8_t reply[OTK_COAP_REL_REPLY_MAX];
};

struct otk_coap_rel {
	struct otk_coap_rel_params params;
	uint16_t next_mid;
	/* the outstanding confirmable message */
	bool busy;
	uint16_t out_mid;
	uint8_t out_token_len;
	uint8_t out_token[OTK_COAP_TOKEN_MAX];
	uint8_t retransmits;
	uint32_t timeout_ms;
	uint32_t deadline_ms;
	/* recently received message ids, oldest overwritten first */
	struct otk_coap_rel_seen seen[OTK_COAP_REL_DEDUP];
	uint8_t seen_next;
};

/* Sets spec 06's parameters; first_mid is the first message id to hand out. */
void otk_coap_rel_init(struct otk_coap_rel *r, uint16_t first_mid);

/* Hands out the next message id. */
uint16_t otk_coap_rel_next_mid(struct otk_coap_rel *r);

/*
 * Records that the confirmable message msg (just sent by the caller) is now
 * outstanding.  rnd is any random 32-bit value: it spreads the first timeout
 * over [ACK_TIMEOUT, ACK_TIMEOUT * ACK_RANDOM_FACTOR].  Returns 0,
 * OTK_ECOAP_BUSY when another one is outstanding, OTK_EINVAL when msg is
 * not a CON.
 */
int otk_coap_rel_con_sent(struct otk_coap_rel *r, const struct otk_coap_msg *msg,
			  uint32_t now_ms, uint32_t rnd);

/* True while a confirmable message waits for its ACK. */
bool otk_coap_rel_busy(const struct otk_coap_rel *r);

/* Forgets the outstanding message (the caller gave up on it). */
void otk_coap_rel_cancel(struct otk_coap_rel *r);

enum otk_coap_rel_tx {
	OTK_COAP_REL_IDLE = 0,       /* nothing to do */
	OTK_COAP_REL_RETRANSMIT = 1, /* send the outstanding message again */
	OTK_COAP_REL_GIVE_UP = 2,    /* no ACK after max_retransmit: the exchange failed */
};

/* Advances the timers; returns an enum otk_coap_rel_tx. */
int otk_coap_rel_poll(struct otk_coap_rel *r, uint32_t now_ms);

/*
 * Milliseconds from now until poll() has something to do, or UINT32_MAX
 * when nothing is outstanding.
 */
uint32_t otk_coap_rel_deadline(const struct otk_coap_rel *r, uint32_t now_ms);

enum otk_coap_rel_rx {
	OTK_COAP_REL_NEW = 1,     /* a new CON or NON request/response: handle it */
	OTK_COAP_REL_DUP = 2,     /* already seen: send *reply if reply_len > 0, else drop */
	OTK_COAP_REL_ACKED = 3,   /* the ACK of the outstanding CON (may carry a response) */
	OTK_COAP_REL_RESET = 4,   /* the peer rejected the outstanding CON */
	OTK_COAP_REL_PING = 5,    /* an empty CON: send *reply (an empty ACK) */
	OTK_COAP_REL_STRAY = 6,   /* an ACK or RST for nothing outstanding: drop */
};

/*
 * Classifies a received message and updates the state.  reply (cap bytes,
 * at least OTK_COAP_REL_REPLY_MAX) receives what to send back right away
 * for DUP and PING; *reply_len is 0 when there is nothing to send.  A new
 * CON is remembered from now on: the caller answers it and passes the
 * answer to otk_coap_rel_remember().  Returns an enum otk_coap_rel_rx.
 */
int otk_coap_rel_rx(struct otk_coap_rel *r, const struct otk_coap_msg *m, uint32_t now_ms,
		    uint8_t *reply, size_t cap, size_t *reply_len);

/*
 * Remembers the reply (an ACK, possibly piggy-backed) sent for the received
 * CON with message id mid, so a duplicate gets it again.  Replies longer
 * than OTK_COAP_REL_REPLY_MAX are not kept: a duplicate then gets DUP with
 * no reply and the caller may answer it again.
 */
void otk_coap_rel_remember(struct otk_coap_rel *r, uint16_t mid, const uint8_t *reply,
			   size_t len);

#ifdef __cplusplus
}
#endif

#endif
