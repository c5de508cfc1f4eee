/* Particle's USB control requests, device side: see otk/ctrl.h. */
#include "otk/ctrl.h"

#include <string.h>

#include "otk/error.h"

void otk_ctrl_init(struct otk_ctrl *c, const struct otk_ctrl_ops *ops, void *ctx, uint8_t *bufs,
		   size_t cap)
{
	memset(c, 0, sizeof(*c));
	c->ops = ops;
	c->ctx = ctx;
	c->cap = cap;
	for (unsigned i = 0; i < OTK_CTRL_MAX_ACTIVE; i++)
		c->slot[i].buf = bufs + i * cap;
	c->scratch = bufs + OTK_CTRL_MAX_ACTIVE * cap;
}

unsigned otk_ctrl_active(const struct otk_ctrl *c)
{
	unsigned n = 0;
	for (unsigned i = 0; i < OTK_CTRL_MAX_ACTIVE; i++)
		n += c->slot[i].id != 0;
	return n;
}

static struct otk_ctrl_slot *find(struct otk_ctrl *c, uint16_t id)
{
	for (unsigned i = 0; id && i < OTK_CTRL_MAX_ACTIVE; i++)
		if (c->slot[i].id == id)
			return &c->slot[i];
	return NULL;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

/* A service reply with the fields in flags; the caller checked in_cap >= 16. */
static int reply(uint8_t *in, uint32_t flags, uint16_t status, const struct otk_ctrl_slot *s)
{
	int n = 6;
	put32(in, flags | OTK_CTRL_FLAG_STATUS);
	put16(in + 4, status);
	if (flags & OTK_CTRL_FLAG_ID) {
		put16(in + n, s->id);
		n += 2;
	}
	if (flags & OTK_CTRL_FLAG_SIZE) {
		put32(in + n, s->rep_size);
		n += 4;
	}
	if (flags & OTK_CTRL_FLAG_RESULT) {
		put32(in + n, (uint32_t)s->result);
		n += 4;
	}
	return n;
}

/* Runs the handler once the payload is complete; the reply replaces it. */
static void complete(struct otk_ctrl *c, struct otk_ctrl_slot *s)
{
	size_t len = 0;
	s->result = c->ops->handle(c->ctx, s->type, s->buf, s->size, c->scratch, c->cap, &len);
	if (len > c->cap || len > 0xFFFF)
		len = 0; /* a handler that overran gets no payload through */
	memcpy(s->buf, c->scratch, len);
	s->rep_size = (uint32_t)len;
	s->sent = 0;
	s->done = 1;
}

static int init(struct otk_ctrl *c, uint16_t type, uint16_t size, uint8_t *in)
{
	struct otk_ctrl_slot *s = NULL;
	for (unsigned i = 0; i < OTK_CTRL_MAX_ACTIVE && !s; i++)
		if (c->slot[i].id == 0)
			s = &c->slot[i];
	if (!s)
		return reply(in, 0, OTK_CTRL_BUSY, NULL);
	if (size > c->cap)
		return reply(in, 0, OTK_CTRL_NO_MEMORY, NULL);
	do
		c->last_id++;
	while (c->last_id == 0 || find(c, c->last_id));
	memset(s, 0, offsetof(struct otk_ctrl_slot, buf));
	s->id = c->last_id;
	s->type = type;
	s->size = size;
	if (size == 0)
		complete(c, s);
	return reply(in, OTK_CTRL_FLAG_ID, OTK_CTRL_OK, s);
}

int otk_ctrl_setup(struct otk_ctrl *c, uint8_t request, uint16_t value, uint16_t index,
		   const uint8_t *out, uint16_t out_len, uint8_t *in, uint16_t in_cap)
{
	struct otk_ctrl_slot *s;
	if (request == OTK_CTRL_SIMPLE) {
		if (!in || !c->ops->simple)
			return OTK_EINVAL;
		return c->ops->simple(c->ctx, index, in, in_cap);
	}
	if (request == OTK_CTRL_SEND) {
		s = find(c, index);
		/* Payload beyond the declared size, or after completion: stall. */
		if (!s || s->done || out_len > s->size - s->got || (out_len && !out))
			return OTK_EINVAL;
		memcpy(s->buf + s->got, out, out_len);
		s->got += out_len;
		if (s->got == s->size)
			complete(c, s);
		return 0;
	}
	if (!in)
		return OTK_EINVAL;
	if (request == OTK_CTRL_RECV) {
		uint32_t n;
		s = find(c, index);
		if (!s || !s->done || in_cap > s->rep_size - s->sent)
			return OTK_EINVAL;
		n = in_cap;
		memcpy(in, s->buf + s->sent, n);
		s->sent += n;
		if (s->sent == s->rep_size)
			s->id = 0; /* the whole reply is read: the request ends */
		return (int)n;
	}
	if (in_cap < 16)
		return OTK_EINVAL;
	switch (request) {
	case OTK_CTRL_INIT:
		return init(c, index, value, in);
	case OTK_CTRL_CHECK:
		s = find(c, index);
		if (!s)
			return reply(in, 0, OTK_CTRL_NOT_FOUND, NULL);
		if (!s->done) /* payload still expected: the buffer is ready */
			return reply(in, 0, s->got == 0 ? OTK_CTRL_OK : OTK_CTRL_PENDING, s);
		{
			int n = reply(in, OTK_CTRL_FLAG_SIZE | OTK_CTRL_FLAG_RESULT, OTK_CTRL_OK, s);
			if (s->rep_size == 0)
				s->id = 0;
			return n;
		}
	case OTK_CTRL_RESET:
		if (index == 0) {
			for (unsigned i = 0; i < OTK_CTRL_MAX_ACTIVE; i++)
				c->slot[i].id = 0;
		} else if ((s = find(c, index)) != NULL) {
			s->id = 0;
		} else {
			return reply(in, 0, OTK_CTRL_NOT_FOUND, NULL);
		}
		return reply(in, 0, OTK_CTRL_OK, NULL);
	default:
		return OTK_EINVAL;
	}
}
