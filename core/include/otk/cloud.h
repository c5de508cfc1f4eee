/*
 * The device side of the cloud protocol (spec 06): the Hello payload, the
 * system describe (JSON form of Device OS before 5.5) and the connect
 * sequence as an I/O-free state machine.
 *
 * No heap, no I/O: payloads and CoAP messages are written into caller
 * buffers; the caller owns the DTLS session, the socket and the clock.
 */
#ifndef OTK_CLOUD_H
#define OTK_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/coap.h"
#include "otk/coap_reliable.h"
#include "otk/image.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Hello flags (spec 06). */
#define OTK_HELLO_OTA_SUCCEEDED 0x01u
#define OTK_HELLO_DIAGNOSTICS 0x02u
#define OTK_HELLO_IMMEDIATE_UPDATES 0x04u
#define OTK_HELLO_GOODBYE 0x10u
#define OTK_HELLO_DEVICE_DESCRIBE 0x20u
#define OTK_HELLO_COMPRESSED_OTA 0x40u
#define OTK_HELLO_OTA_V3 0x80u

#define OTK_DEVICE_ID_LEN 12
/* Payload with every field: up to the OTA chunk size. */
#define OTK_HELLO_LEN 32
/* Shortest payload accepted: up to and including the device id. */
#define OTK_HELLO_MIN_LEN 22

struct otk_hello {
	uint16_t product_id;
	uint16_t product_version;
	uint16_t flags;            /* OTK_HELLO_* */
	uint16_t platform_id;
	uint8_t device_id[OTK_DEVICE_ID_LEN];
	/* absent in short payloads: 0 */
	uint16_t system_version;   /* module version of system part 1, e.g. 5800 */
	uint16_t max_message_size; /* 1152 */
	uint32_t max_binary_size;  /* the OTA staging length */
	uint16_t ota_chunk_size;
};

/* Writes the Hello payload (big-endian, OTK_HELLO_LEN bytes); OTK_ENOSPC. */
int otk_hello_write(const struct otk_hello *h, uint8_t *out, size_t cap);

/*
 * Parses a Hello payload.  Fields after the device id may be missing (older
 * devices); the reserved byte must be 0 and the id 12 bytes long.
 * OTK_OK or OTK_ECOAP_FORMAT.
 */
int otk_hello_parse(const uint8_t *p, size_t len, struct otk_hello *h);

/*
 * The system describe, JSON of Device OS before 5.5:
 * {"p":PLATFORM,"m":[{"s":SIZE,"l":"m","vc":30,"vv":30|..,"f":"s","n":"1","v":V,
 * "d":[{"f":"b","n":"0","v":V}]},...]} from the modules of a boot scan
 * (valid bootloader, system and user parts; "vv" drops the dependency bit
 * of a module whose dependencies are not met).  Returns the length written
 * (no NUL), or OTK_ENOSPC.
 */
int otk_describe_system_json(uint16_t platform_id, const struct otk_installed *mods, size_t n,
			     char *out, size_t cap);


/*
 * The connect sequence after the DTLS handshake (spec 06), as far as this
 * device goes: Hello (CON POST h), then, with OTK_HELLO_DEVICE_DESCRIBE,
 * the system describe (CON POST d, Uri-Query 1 = system), then ready.
 * The caller sends each message this writes, passes it to
 * otk_coap_rel_con_sent() and gives the machine the ACK it gets.
 */
enum otk_connect_state {
	OTK_CONNECT_IDLE = 0,
	OTK_CONNECT_HELLO,      /* Hello sent, waiting for its ACK */
	OTK_CONNECT_DESCRIBE,   /* describe sent, waiting for its ACK */
	OTK_CONNECT_READY,      /* the cloud may talk to the device now */
	OTK_CONNECT_REFUSED,    /* the cloud answered Hello with an error */
};

struct otk_connect {
	struct otk_coap_rel *rel;
	uint8_t state;          /* enum otk_connect_state */
	uint16_t flags;         /* the Hello's */
	uint16_t mid;           /* the message waiting for its ACK */
	uint8_t token;
	uint8_t refused_code;   /* the CoAP code of a refusal */
};

void otk_connect_init(struct otk_connect *c, struct otk_coap_rel *rel);

/* Writes the Hello (state HELLO); returns its length or an error. */
int otk_connect_hello(struct otk_connect *c, const struct otk_hello *h, uint8_t *buf,
		      size_t cap);

/*
 * An ACK or RST for the outstanding message (OTK_COAP_REL_ACKED/_RESET).
 * Returns the length of the next message written into buf (the describe,
 * made from describe[0, dlen)), 0 when there is nothing to send (READY or
 * REFUSED, or not the machine's message), or an error.
 */
int otk_connect_acked(struct otk_connect *c, const struct otk_coap_msg *ack,
		      const char *describe, size_t dlen, uint8_t *buf, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
