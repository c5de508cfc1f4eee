/*
 * otakitd's device protocol (spec 06) on one established DTLS session:
 * Hello (checked against the device the key authenticated), ping, time,
 * the device-initiated system describe, device events, and firmware
 * delivery by OTA v3 (ota_send.h) of what the planner says comes next.
 *
 * The session's owner (device_udp.c) gives it each decrypted CoAP message
 * and calls otkd_proto_poll() from its timer; messages to the device go
 * out through the send callback (a DTLS record each).  One thread per
 * session at a time (device_udp.c has one thread).
 */
#ifndef OTKD_DEVICE_PROTO_H
#define OTKD_DEVICE_PROTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store.h"

struct otkd_bus;

struct otkd_proto_env {
	struct otkd_store *store;
	struct otkd_bus *bus;      /* events (spark/flash/status); may be NULL */
	const char *data_dir;      /* blobs live under it */
};

typedef void (*otkd_proto_send_fn)(void *ctx, const uint8_t *msg, size_t len);

struct otkd_proto;

/* NULL when out of memory.  device_id: the one the session's key belongs to. */
struct otkd_proto *otkd_proto_new(const struct otkd_proto_env *env, const char *device_id,
				  otkd_proto_send_fn send, void *ctx);
void otkd_proto_free(struct otkd_proto *p);

/*
 * One CoAP message from the device.  Returns false when the session must
 * end: a Hello naming another device than the key's (it was answered 4.03).
 */
bool otkd_proto_input(struct otkd_proto *p, const uint8_t *msg, size_t len, uint64_t now_ms);

/*
 * Timers: CoAP retransmission, chunks due, a device that stopped answering,
 * and, after otkd_proto_flash_queued(), a look for a file queued while the
 * device is online (at most every 2 s).
 */
void otkd_proto_poll(struct otkd_proto *p, uint64_t now_ms);

/* Whether a Hello came since the last call (then older sessions of the device are stale). */
bool otkd_proto_take_hello(struct otkd_proto *p);
const char *otkd_proto_device(const struct otkd_proto *p);
/*
 * A file was queued for some device (PUT /v1/devices/:id): online devices
 * look at the queue again (any thread may call it).
 */
void otkd_proto_flash_queued(void);

/* Another session of the same device said Hello: drop this one's transfer, quietly. */
void otkd_proto_superseded(struct otkd_proto *p);

#endif
