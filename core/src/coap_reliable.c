/* CoAP confirmable-message timers and duplicate detection (RFC 7252 4.2, 4.4, 4.5). */
#include "otk/coap_reliable.h"

#include <string.h>

#include "otk/error.h"

/* now is at or past t on the wrapping millisecond clock */
static bool reached(uint32_t now, uint32_t t)
{
	return (int32_t)(now - t) >= 0;
}

void otk_coap_rel_init(struct otk_coap_rel *r, uint16_t first_mid)
{
	memset(r, 0, sizeof(*r));
	r->params.ack_timeout_ms = 4000;
	r->params.ack_random_permille = 1500;
	r->params.max_retransmit = 3;
	/*
	 * EXCHANGE_LIFETIME = MAX_TRANSMIT_SPAN + 2 * MAX_LATENCY + PROCESSING_DELAY
	 * with spec 06's span of 45 s, MAX_LATENCY 100 s and PROCESSING_DELAY
	 * = ACK_TIMEOUT (RFC 7252 4.8.2).
	 */
	r->params.exchange_lifetime_ms = 45000 + 200000 + 4000;
	r->next_mid = first_mid;
}

uint16_t otk_coap_rel_next_mid(struct otk_coap_rel *r)
{
	return r->next_mid++;
}

int otk_coap_rel_con_sent(struct otk_coap_rel *r, const struct otk_coap_msg *msg,
			  uint32_t now_ms, uint32_t rnd)
{
	if (msg->type != OTK_COAP_CON)
		return OTK_EINVAL;
	if (r->busy)
		return OTK_ECOAP_BUSY;
	uint32_t base = r->params.ack_timeout_ms;
	uint32_t spread = (uint32_t)((uint64_t)base * (r->params.ack_random_permille - 1000u) / 1000u);

	r->busy = true;
	r->out_mid = msg->mid;
	r->out_token_len = msg->token_len;
	memcpy(r->out_token, msg->token, msg->token_len);
	r->retransmits = 0;
	r->timeout_ms = base + (spread ? rnd % (spread + 1) : 0);
	r->deadline_ms = now_ms + r->timeout_ms;
	return 0;
}

bool otk_coap_rel_busy(const struct otk_coap_rel *r)
{
	return r->busy;
}

void otk_coap_rel_cancel(struct otk_coap_rel *r)
{
	r->busy = false;
}

int otk_coap_rel_poll(struct otk_coap_rel *r, uint32_t now_ms)
{
	if (!r->busy || !reached(now_ms, r->deadline_ms))
		return OTK_COAP_REL_IDLE;
	if (r->retransmits >= r->params.max_retransmit) {
		r->busy = false;
		return OTK_COAP_REL_GIVE_UP;
	}
	r->retransmits++;
	r->timeout_ms *= 2;
	r->deadline_ms = now_ms + r->timeout_ms;
	return OTK_COAP_REL_RETRANSMIT;
}

uint32_t otk_coap_rel_deadline(const struct otk_coap_rel *r, uint32_t now_ms)
{
	if (!r->busy)
		return UINT32_MAX;
	if (reached(now_ms, r->deadline_ms))
		return 0;
	return r->deadline_ms - now_ms;
}

static struct otk_coap_rel_seen *find_seen(struct otk_coap_rel *r, uint16_t mid, uint32_t now)
{
	for (size_t i = 0; i < OTK_COAP_REL_DEDUP; i++) {
		struct otk_coap_rel_seen *s = &r->seen[i];

		if (s->used && reached(now, s->expires_ms))
			s->used = 0;
		if (s->used && s->mid == mid)
			return s;
	}
	return NULL;
}

static void empty_msg(uint8_t *out, uint8_t type, uint16_t mid)
{
	out[0] = (uint8_t)(1u << 6 | (unsigned)type << 4);
	out[1] = OTK_COAP_EMPTY;
	out[2] = (uint8_t)(mid >> 8);
	out[3] = (uint8_t)mid;
}

int otk_coap_rel_rx(struct otk_coap_rel *r, const struct otk_coap_msg *m, uint32_t now_ms,
		    uint8_t *reply, size_t cap, size_t *reply_len)
{
	*reply_len = 0;
	if (m->type == OTK_COAP_ACK || m->type == OTK_COAP_RST) {
		if (!r->busy || m->mid != r->out_mid)
			return OTK_COAP_REL_STRAY;
		/* A piggy-backed response must echo the request's token (RFC 7252 5.3.2). */
		if (m->type == OTK_COAP_ACK && m->code != OTK_COAP_EMPTY &&
		    (m->token_len != r->out_token_len ||
		     memcmp(m->token, r->out_token, m->token_len) != 0))
			return OTK_COAP_REL_STRAY;
		r->busy = false;
		return m->type == OTK_COAP_ACK ? OTK_COAP_REL_ACKED : OTK_COAP_REL_RESET;
	}
	/* A ping is never deduplicated: it has no state to protect (RFC 7252 4.3). */
	if (m->type == OTK_COAP_CON && m->code == OTK_COAP_EMPTY) {
		if (cap >= OTK_COAP_HEADER_LEN) {
			empty_msg(reply, OTK_COAP_ACK, m->mid);
			*reply_len = OTK_COAP_HEADER_LEN;
		}
		return OTK_COAP_REL_PING;
	}
	struct otk_coap_rel_seen *s = find_seen(r, m->mid, now_ms);

	if (s) {
		if (m->type == OTK_COAP_CON && s->reply_len && cap >= s->reply_len) {
			memcpy(reply, s->reply, s->reply_len);
			*reply_len = s->reply_len;
		}
		return OTK_COAP_REL_DUP;
	}
	s = &r->seen[r->seen_next];
	r->seen_next = (uint8_t)((r->seen_next + 1) % OTK_COAP_REL_DEDUP);
	s->used = 1;
	s->mid = m->mid;
	s->reply_len = 0;
	s->expires_ms = now_ms + r->params.exchange_lifetime_ms;
	return OTK_COAP_REL_NEW;
}

void otk_coap_rel_remember(struct otk_coap_rel *r, uint16_t mid, const uint8_t *reply,
			   size_t len)
{
	for (size_t i = 0; i < OTK_COAP_REL_DEDUP; i++) {
		struct otk_coap_rel_seen *s = &r->seen[i];

		if (s->used && s->mid == mid) {
			if (len <= OTK_COAP_REL_REPLY_MAX) {
				memcpy(s->reply, reply, len);
				s->reply_len = (uint8_t)len;
			}
			return;
		}
	}
}
