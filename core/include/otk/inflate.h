/*
 * Streaming raw DEFLATE (RFC 1951) decoder with a caller-provided sliding
 * window and no heap.
 *
 * The window must be a power of two from 2^8 to 2^15 bytes and at least as
 * large as the window the stream was compressed with (module compression
 * headers carry it); a back-reference farther than the window is reported as
 * OTK_EWINDOW rather than producing wrong bytes.
 *
 * Input may be fed in pieces of any size, down to one byte, and output space
 * may be offered in pieces of any size: the decoder keeps its position in the
 * bit stream and in an unfinished match between calls.
 */
#ifndef OTK_INFLATE_H
#define OTK_INFLATE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_INFLATE_MIN_WINDOW 256u
#define OTK_INFLATE_MAX_WINDOW 32768u

/* Positive return of otk_inflate_process(): the final block has been decoded. */
#define OTK_INFLATE_END 1

/*
 * Decoder state.  The members are private to inflate.c; they are in the
 * header only so that callers can own the storage (on the stack, in a static,
 * inside another state struct).  Its size is part of the device library's RAM
 * budget and is kept small.
 */
struct otk_inflate {
	/* caller's window: history for back-references, and decoded bytes
	 * waiting to be copied to the caller's output */
	uint8_t *window;
	uint32_t wsize;      /* power of two */
	uint32_t wpos;       /* next write position in window */
	uint32_t whave;      /* valid bytes in window, <= wsize */
	uint32_t pending;    /* bytes before wpos not yet copied out */
	uint64_t total_out;  /* bytes copied out */

	/* bit buffer: bits not yet consumed, least significant first */
	uint32_t bitbuf;
	uint32_t bitcnt;

	/* decoder state machine */
	uint16_t mode;
	uint16_t last;       /* BFINAL of the current block */
	uint32_t length;     /* stored block bytes left, or match length left */
	uint32_t dist;       /* distance of the match being copied */
	uint16_t sym;        /* distance symbol waiting for its extra bits */
	int16_t error;       /* sticky error code once the stream failed */
	uint16_t nlen, ndist, ncode, have;

	/*
	 * Huffman tables.  lens holds the code lengths being read; count and
	 * symbol are canonical decoding tables (count[0] is the number of used
	 * codes); fastl/fastd map the next 9/8 bits straight to
	 * (length << 9 | symbol), 0 for codes longer than that.  The
	 * literal/length tables double as the code-length code's tables while
	 * a dynamic header is read.
	 */
	uint8_t lens[320];
	uint16_t lcount[16];
	uint16_t lsymbol[288];
	uint16_t dcount[16];
	uint16_t dsymbol[32];
	uint16_t fastl[512];
	uint16_t fastd[256];
};

/*
 * Prepare s to decode a new stream into window[0..window_size).
 * Returns OTK_OK, or OTK_EINVAL when the window size is not a power of two
 * between 256 and 32768.
 */
int otk_inflate_init(struct otk_inflate *s, uint8_t *window, size_t window_size);

/*
 * Decode as much as possible.  (*in, *in_len) describe unread input and
 * (*out, *out_len) free output space; both are advanced past what was used.
 * Returns:
 *   OTK_INFLATE_END  the final block was decoded (trailing input is left unread)
 *   OTK_OK           all input was consumed or the output space is full: call
 *                    again with more of whichever ran out
 *   < 0              OTK_EINFLATE, OTK_EWINDOW: the stream is corrupt; s must
 *                    be initialised again before reuse
 */
int otk_inflate_process(struct otk_inflate *s, const uint8_t **in, size_t *in_len,
			uint8_t **out, size_t *out_len);

/* Bytes produced since otk_inflate_init(). */
uint64_t otk_inflate_total_out(const struct otk_inflate *s);

#ifdef __cplusplus
}
#endif

#endif
