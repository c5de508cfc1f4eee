/*
 * CoAP message codec (RFC 7252) with Block1/Block2 helpers (RFC 7959).
 *
 * Portable and allocation-free: a parsed message is a view into the
 * caller's buffer, and messages are written into a caller's buffer by a
 * small writer.  The retransmission and deduplication layer that sits on
 * top is in otk/coap_reliable.h.
 */
#ifndef OTK_COAP_H
#define OTK_COAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Message types (RFC 7252 section 3). */
enum otk_coap_type {
	OTK_COAP_CON = 0,
	OTK_COAP_NON = 1,
	OTK_COAP_ACK = 2,
	OTK_COAP_RST = 3,
};

/* A code is class.detail packed as class << 5 | detail: 2.05 = OTK_COAP_CODE(2, 5). */
#define OTK_COAP_CODE(cls, detail) ((uint8_t)(((cls) << 5) | (detail)))
#define OTK_COAP_CODE_CLASS(code) ((code) >> 5)
#define OTK_COAP_CODE_DETAIL(code) ((code) & 0x1f)

enum otk_coap_code {
	OTK_COAP_EMPTY = 0,
	OTK_COAP_GET = 1,
	OTK_COAP_POST = 2,
	OTK_COAP_PUT = 3,
	OTK_COAP_DELETE = 4,
	OTK_COAP_CREATED = OTK_COAP_CODE(2, 1),
	OTK_COAP_DELETED = OTK_COAP_CODE(2, 2),
	OTK_COAP_VALID = OTK_COAP_CODE(2, 3),
	OTK_COAP_CHANGED = OTK_COAP_CODE(2, 4),
	OTK_COAP_CONTENT = OTK_COAP_CODE(2, 5),
	OTK_COAP_CONTINUE = OTK_COAP_CODE(2, 31),
	OTK_COAP_BAD_REQUEST = OTK_COAP_CODE(4, 0),
	OTK_COAP_BAD_OPTION = OTK_COAP_CODE(4, 2),
	OTK_COAP_NOT_FOUND = OTK_COAP_CODE(4, 4),
	OTK_COAP_METHOD_NOT_ALLOWED = OTK_COAP_CODE(4, 5),
	OTK_COAP_REQUEST_INCOMPLETE = OTK_COAP_CODE(4, 8),
	OTK_COAP_TOO_LARGE = OTK_COAP_CODE(4, 13),
	OTK_COAP_INTERNAL_ERROR = OTK_COAP_CODE(5, 0),
	OTK_COAP_SERVICE_UNAVAILABLE = OTK_COAP_CODE(5, 3),
};

/* Option numbers used by otakit and its peers. */
enum otk_coap_option {
	OTK_COAP_OPT_IF_MATCH = 1,
	OTK_COAP_OPT_URI_HOST = 3,
	OTK_COAP_OPT_ETAG = 4,
	OTK_COAP_OPT_IF_NONE_MATCH = 5,
	OTK_COAP_OPT_OBSERVE = 6,
	OTK_COAP_OPT_URI_PORT = 7,
	OTK_COAP_OPT_LOCATION_PATH = 8,
	OTK_COAP_OPT_URI_PATH = 11,
	OTK_COAP_OPT_CONTENT_FORMAT = 12,
	OTK_COAP_OPT_MAX_AGE = 14,
	OTK_COAP_OPT_URI_QUERY = 15,
	OTK_COAP_OPT_ACCEPT = 17,
	OTK_COAP_OPT_LOCATION_QUERY = 20,
	OTK_COAP_OPT_BLOCK2 = 23,
	OTK_COAP_OPT_BLOCK1 = 27,
	OTK_COAP_OPT_SIZE2 = 28,
	OTK_COAP_OPT_PROXY_URI = 35,
	OTK_COAP_OPT_PROXY_SCHEME = 39,
	OTK_COAP_OPT_SIZE1 = 60,
};

#define OTK_COAP_HEADER_LEN 4
#define OTK_COAP_TOKEN_MAX 8

/* A parsed message: pointers into the buffer given to otk_coap_parse(). */
struct otk_coap_msg {
	uint8_t type;           /* enum otk_coap_type */
	uint8_t code;
	uint16_t mid;           /* message id */
	uint8_t token_len;      /* 0..8 */
	const uint8_t *token;
	const uint8_t *opts;    /* the encoded options, already validated */
	size_t opts_len;
	const uint8_t *payload; /* NULL when there is none */
	size_t payload_len;
};

/* One option: number and value (a view into the message). */
struct otk_coap_opt {
	uint16_t num;
	uint16_t len;
	const uint8_t *val;
};

struct otk_coap_opt_iter {
	const uint8_t *p;
	const uint8_t *end;
	uint16_t num;
};

/*
 * Parses a whole datagram.  Checks everything RFC 7252 calls a message
 * format error: version not 1, token length 9..15, an empty message
 * (code 0.00) with anything after the header, option delta or length
 * nibble 15 other than the payload marker, options running past the end
 * or past option number 65535, a payload marker with no payload.
 * Returns 0, or OTK_ECOAP_FORMAT.  The message stays valid while buf does.
 */
int otk_coap_parse(const uint8_t *buf, size_t len, struct otk_coap_msg *m);

/*
 * Reads the header fields only, for answering a message whose body did not
 * parse with a Reset (RFC 7252 4.2).  Returns 0 when at least a version-1
 * header is there, else OTK_ECOAP_FORMAT.
 */
int otk_coap_peek_header(const uint8_t *buf, size_t len, uint8_t *type, uint16_t *mid);

/* Walks the options of a parsed message in order. */
void otk_coap_opt_iter_init(const struct otk_coap_msg *m, struct otk_coap_opt_iter *it);
/* Returns 1 with *o filled, 0 at the end (options were validated by parse). */
int otk_coap_opt_next(struct otk_coap_opt_iter *it, struct otk_coap_opt *o);

/* The first option with number num: 1 found, 0 absent. */
int otk_coap_opt_find(const struct otk_coap_msg *m, uint16_t num, struct otk_coap_opt *o);

/*
 * An option's value as an unsigned integer (RFC 7252 3.2: big-endian,
 * leading zeros dropped).  Returns 0, or OTK_ECOAP_FORMAT when it is
 * longer than 4 bytes.
 */
int otk_coap_opt_uint(const struct otk_coap_opt *o, uint32_t *value);

/*
 * Copies the Uri-Path segments joined by '/' into out (NUL-terminated).
 * Returns the length, or OTK_ENOSPC.
 */
int otk_coap_uri_path(const struct otk_coap_msg *m, char *out, size_t cap);

/* Writes one message into a caller's buffer; errors are sticky. */
struct otk_coap_writer {
	uint8_t *buf;
	size_t cap;
	size_t len;
	uint16_t last_opt;
	bool has_payload;
	int err;
};

/*
 * Starts a message.  token may be NULL when token_len is 0; token_len must
 * be at most 8 and an empty message (code 0.00) has none.
 */
void otk_coap_begin(struct otk_coap_writer *w, uint8_t *buf, size_t cap, uint8_t type,
		    uint8_t code, uint16_t mid, const uint8_t *token, size_t token_len);
/* Adds an option.  Options must come in ascending number order (OTK_EINVAL). */
void otk_coap_add_opt(struct otk_coap_writer *w, uint16_t num, const void *val, size_t len);
/* Adds an unsigned integer option in its shortest form. */
void otk_coap_add_opt_uint(struct otk_coap_writer *w, uint16_t num, uint32_t value);
/* Adds one Uri-Path option per '/'-separated segment of path (NUL-terminated). */
void otk_coap_add_path(struct otk_coap_writer *w, const char *path);
/* Sets the payload (after all options); an empty payload writes no marker. */
void otk_coap_set_payload(struct otk_coap_writer *w, const void *data, size_t len);
/* Returns the message length, or the first error (OTK_ENOSPC, OTK_EINVAL). */
int otk_coap_finish(struct otk_coap_writer *w);

/* Block1/Block2 option value (RFC 7959 2.2). */
struct otk_coap_block {
	uint32_t num;   /* block number, < 2^20 */
	bool more;      /* the M bit */
	uint8_t szx;    /* size exponent 0..6: block size 2^(szx + 4) */
};

/* Decodes a Block1/Block2 option.  Returns 0, or OTK_ECOAP_FORMAT (SZX 7, too long). */
int otk_coap_block_decode(const struct otk_coap_opt *o, struct otk_coap_block *b);
/* Adds a Block option (num OTK_COAP_OPT_BLOCK1 or _BLOCK2); OTK_EINVAL when b is out of range. */
void otk_coap_add_block(struct otk_coap_writer *w, uint16_t num, const struct otk_coap_block *b);
/* Block size in bytes for an exponent. */
static inline uint32_t otk_coap_block_size(uint8_t szx)
{
	return 16u << szx;
}
/* Offset of the block's first byte. */
static inline uint32_t otk_coap_block_offset(const struct otk_coap_block *b)
{
	return b->num * otk_coap_block_size(b->szx);
}
/* The largest exponent whose block fits size bytes (size >= 16), else -1. */
int otk_coap_block_szx_for(size_t size);

#ifdef __cplusplus
}
#endif

#endif
