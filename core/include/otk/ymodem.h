/*
 * YMODEM receiver (the device side of `particle flash --serial` and lrzsz
 * `sb --ymodem`), as an I/O-free state machine: the caller feeds the bytes
 * read from the serial port with the current time, calls otk_ymodem_tick()
 * while the line is quiet, and sends whatever otk_ymodem_output() hands
 * back.  The file goes to a sink (begin/write/finish), normally the update
 * engine through otk_ymodem_update_sink.
 *
 * Protocol (spec 04): 'C' asks for CRC-16 packets; SOH = 128-byte and
 * STX = 1024-byte packets [type, seq, ~seq, data, CRC-16 big-endian];
 * packet 0 is the header "name\0size ..." (an empty name ends the batch);
 * data is stored in arrival order, cut at the size the header gave; the
 * first EOT is NAKed (it may be a damaged packet start), the repeated one
 * ACKed, and 'C' asks for the closing header, which is ACKed only once the
 * sink validated and applied the file ("Downloaded file successfully!"),
 * else CA CA and "Validation failed: <code>".  No byte for 5 s (1 s inside
 * a packet) is an error and 'C' or NAK is sent again; a bad packet is
 * NAKed once the line is quiet; more than 5 errors in a row abort (CA CA).
 * Two CA from the sender cancel, and so does 'a'/'A' before the header
 * (once data flows a stray 'a' is line noise).
 * Before the first header the receiver keeps asking with 'C' forever (the
 * user has not started the sender yet), as Device OS does.
 *
 * No heap, no stdio.
 */
#ifndef OTK_YMODEM_H
#define OTK_YMODEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_YMODEM_SOH 0x01
#define OTK_YMODEM_STX 0x02
#define OTK_YMODEM_EOT 0x04
#define OTK_YMODEM_ACK 0x06
#define OTK_YMODEM_NAK 0x15
#define OTK_YMODEM_CAN 0x18
#define OTK_YMODEM_CRC 'C'

#define OTK_YMODEM_TIMEOUT_MS 5000u      /* no packet: 'C' or NAK again */
#define OTK_YMODEM_BYTE_TIMEOUT_MS 1000u /* silence inside a packet */
#define OTK_YMODEM_QUIET_MS 100u         /* after a bad packet: NAK once quiet */
#define OTK_YMODEM_MAX_ERRORS 5u
#define OTK_YMODEM_NAME_MAX 64u

/* Where the file goes.  Each returns OTK_OK or a negative otakit error. */
struct otk_ymodem_sink {
	int (*begin)(void *ctx, const char *name, uint32_t size);
	/* len bytes at offset off, in order, never past size */
	int (*write)(void *ctx, uint32_t off, const uint8_t *data, size_t len);
	/* apply: all bytes arrived, validate and apply; else drop the transfer */
	int (*finish)(void *ctx, bool apply);
};

/* The update engine as a sink: ctx is a struct otk_update (update.h). */
extern const struct otk_ymodem_sink otk_ymodem_update_sink;

enum otk_ymodem_phase {
	OTK_YMODEM_HEADER = 0,  /* waiting for packet 0 */
	OTK_YMODEM_DATA,        /* data packets until EOT */
	OTK_YMODEM_END,         /* EOT seen: waiting for the closing header */
	OTK_YMODEM_FINISHED,    /* see otk_ymodem_result() */
};

struct otk_ymodem {
	const struct otk_ymodem_sink *sink;
	void *ctx;
	uint8_t phase;
	bool started;             /* a header arrived: timeouts count as errors */
	bool purging;             /* bad packet: drop bytes until the line is quiet */
	bool eot;                 /* one EOT seen (NAKed); the next one ends the data */
	uint8_t errors, cans;
	uint8_t seq;              /* next data packet's sequence number */
	uint32_t size, received;
	uint32_t last_ms, packet_ms;
	int result;               /* OTK_OK, or why the transfer failed */
	size_t have, need;        /* packet bytes collected / expected */
	uint8_t pkt[3 + 1024 + 2];
	char name[OTK_YMODEM_NAME_MAX];
	uint8_t out[96];
	size_t out_len;
};

/* Start receiving (queues the first 'C').  now: the caller's clock in ms. */
void otk_ymodem_init(struct otk_ymodem *y, const struct otk_ymodem_sink *sink, void *ctx,
		     uint32_t now);

/*
 * Feed bytes read from the line.  Returns how many were consumed: it stops
 * after a byte that queued output, so the caller sends otk_ymodem_output()
 * and feeds the rest.  Bytes after the transfer finished are not consumed.
 */
size_t otk_ymodem_input(struct otk_ymodem *y, const uint8_t *data, size_t len, uint32_t now);

/* Timeouts: call at least every 100 ms while the line is quiet. */
void otk_ymodem_tick(struct otk_ymodem *y, uint32_t now);

/* Move queued bytes to buf (up to cap); returns the count. */
size_t otk_ymodem_output(struct otk_ymodem *y, uint8_t *buf, size_t cap);

/* Whether the transfer is over; then otk_ymodem_result() says how. */
bool otk_ymodem_done(const struct otk_ymodem *y);

/*
 * OTK_OK (file applied), OTK_ENOTFOUND (the batch ended without a file),
 * OTK_EYMODEM_CANCELLED, OTK_EYMODEM_ERRORS, OTK_EYMODEM_SEQUENCE,
 * OTK_EYMODEM_HEADER, or the sink's error (begin, write or validation).
 */
int otk_ymodem_result(const struct otk_ymodem *y);

/* CRC-16/XMODEM (poly 0x1021, init 0), as YMODEM packets carry it. */
uint16_t otk_crc16_xmodem(uint16_t crc, const uint8_t *p, size_t n);

#ifdef __cplusplus
}
#endif

#endif
