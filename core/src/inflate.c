/*
 * Streaming raw DEFLATE decoder (RFC 1951).  See otk/inflate.h for the
 * contract and docs/checksums-and-inflate.md for the design.
 *
 * Everything decoded goes into the caller's window first and is copied to
 * the caller's output from there, so the window is both the history that
 * back-references read and a buffer for bytes the output had no room for.
 * Decoding never overwrites bytes that have not been copied out yet.
 *
 * Bits are only taken from the input when the item being decoded needs
 * them, so between items the bit buffer holds fewer than 8 bits and, once
 * the final block has been decoded, the input after it is left unread.
 * Every item (block header, code, code with its extra bits) is decoded only
 * once all of its bits are buffered, so a call that runs out of input just
 * returns and the next one starts that item again: the only state kept
 * across calls is the mode, the bits, and the unfinished stored block or
 * match.
 */
#include "otk/inflate.h"

#include <stdbool.h>
#include <string.h>

#include "otk/error.h"

enum mode {
	M_HEAD,     /* block header */
	M_STORED,   /* stored block LEN/NLEN */
	M_COPY,     /* stored block bytes */
	M_TABLE,    /* HLIT, HDIST, HCLEN */
	M_CODELENS, /* code length code lengths */
	M_LENLENS,  /* literal/length and distance code lengths */
	M_LEN,      /* literal/length symbol */
	M_DIST,     /* distance symbol */
	M_DISTEXT,  /* distance extra bits */
	M_MATCH,    /* copying a match */
	M_DONE,     /* final block decoded */
	M_BAD,      /* stream failed, s->error says how */
};

/* What run() stopped for, besides errors (never 0: helpers return 0 for "go on"). */
enum {
	ST_INPUT = 1, /* needs more input */
	ST_DONE = 2,  /* final block decoded */
	ST_ROOM = 3,  /* window full of bytes not yet copied out */
};

/* decode() results besides symbols */
#define NEED (-1) /* the buffered bits do not hold a whole code yet */
#define BAD (-2)  /* not a code of this table */

#define MAXBITS 15
#define LFAST 9   /* bits looked up at once for literal/length codes */
#define DFAST 8   /* and for distance codes */
#define NLCODES 288
#define NDCODES 32

/*
 * The fast loop runs while at least this much input is left, enough for
 * one literal/length code, a distance code and their extra bits (48 bits)
 * on top of what a refill may read ahead.
 */
#define FAST_MIN_IN 16

_Static_assert(sizeof(((struct otk_inflate *)0)->fastl) == 2u << LFAST, "fastl size");
_Static_assert(sizeof(((struct otk_inflate *)0)->fastd) == 2u << DFAST, "fastd size");
_Static_assert(sizeof(((struct otk_inflate *)0)->lens) >= NLCODES + NDCODES, "lens size");

static const uint16_t len_base[29] = {
	3, 4, 5, 6, 7, 8, 9, 10, 11, 13, 15, 17, 19, 23, 27, 31,
	35, 43, 51, 59, 67, 83, 99, 115, 131, 163, 195, 227, 258,
};
static const uint8_t len_extra[29] = {
	0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2,
	3, 3, 3, 3, 4, 4, 4, 4, 5, 5, 5, 5, 0,
};
static const uint16_t dist_base[30] = {
	1, 2, 3, 4, 5, 7, 9, 13, 17, 25, 33, 49, 65, 97, 129, 193,
	257, 385, 513, 769, 1025, 1537, 2049, 3073, 4097, 6145,
	8193, 12289, 16385, 24577,
};
static const uint8_t dist_extra[30] = {
	0, 0, 0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5, 6, 6,
	7, 7, 8, 8, 9, 9, 10, 10, 11, 11, 12, 12, 13, 13,
};
/* Order in which the code length code's lengths are sent. */
static const uint8_t clen_order[19] = {
	16, 17, 18, 0, 8, 7, 9, 6, 10, 5, 11, 4, 12, 3, 13, 2, 14, 1, 15,
};

/*
 * Builds the decoding tables of a canonical Huffman code from its code
 * lengths (0..15, 0 = unused): count[len] codes per length with count[0] the
 * number of used codes, symbol[] the symbols ordered by code, and fast[] for
 * every code of at most fbits bits.  Returns a negative value when the
 * lengths over-subscribe the code space, 0 when they fill it exactly, and a
 * positive value when they leave part of it unused (the caller decides
 * whether that is acceptable).
 */
static int build(uint16_t count[MAXBITS + 1], uint16_t *symbol, uint16_t *fast,
		 unsigned fbits, const uint8_t *lens, unsigned n)
{
	uint16_t offs[MAXBITS + 1];
	int left = 1;

	memset(count, 0, (MAXBITS + 1) * sizeof *count);
	for (unsigned i = 0; i < n; i++)
		count[lens[i]]++;
	for (unsigned len = 1; len <= MAXBITS; len++) {
		left = 2 * left - count[len];
		if (left < 0)
			return left;
	}
	count[0] = (uint16_t)(n - count[0]);

	offs[1] = 0;
	for (unsigned len = 1; len < MAXBITS; len++)
		offs[len + 1] = (uint16_t)(offs[len] + count[len]);
	for (unsigned i = 0; i < n; i++)
		if (lens[i])
			symbol[offs[lens[i]]++] = (uint16_t)i;

	/*
	 * DEFLATE sends codes most significant bit first into a stream read
	 * least significant bit first, so the table is indexed by the
	 * bit-reversed code, replicated over the bits that follow it.
	 */
	memset(fast, 0, (sizeof *fast) << fbits);
	unsigned code = 0, idx = 0;
	for (unsigned len = 1; len <= fbits; len++) {
		for (unsigned i = 0; i < count[len]; i++, idx++, code++) {
			unsigned rev = 0;

			for (unsigned b = 0; b < len; b++)
				rev |= ((code >> b) & 1u) << (len - 1 - b);
			uint16_t e = (uint16_t)(len << 9 | symbol[idx]);
			for (unsigned j = rev; j < 1u << fbits; j += 1u << len)
				fast[j] = e;
		}
		code <<= 1;
	}
	return left;
}

/* An incomplete code is allowed only as a single one-bit code (RFC 1951 3.2.7). */
static bool single_code(const uint16_t count[MAXBITS + 1])
{
	return count[0] == 1 && count[1] == 1;
}

/*
 * Decodes one code from the low nbits of bits, walking the canonical code
 * one bit at a time: codes of each length are consecutive integers, so a
 * code of length len is found when it is below the first code of that
 * length plus the number of such codes.  Sets *len to the code's length.
 */
static int walk(const uint16_t *count, const uint16_t *symbol, uint32_t bits,
		unsigned nbits, unsigned *len)
{
	int code = 0, first = 0, index = 0;

	for (unsigned l = 1; l <= MAXBITS; l++) {
		if (index >= count[0])
			return BAD; /* no codes this long: an unused code */
		if (l > nbits)
			return NEED;
		code |= (int)((bits >> (l - 1)) & 1u);
		int c = count[l];
		/* code >= first: a smaller code would have matched a shorter length */
		if (code - first < c) {
			*len = l;
			return symbol[index + code - first];
		}
		index += c;
		first = (first + c) << 1;
		code <<= 1;
	}
	return BAD;
}

/*
 * Decodes one code with the fast table, falling back to walk() for longer
 * codes.  The table is exact for any nbits: bits above nbits are zero, and
 * an entry whose code fits in nbits is the same for every index that shares
 * those bits.
 */
static int decode(const uint16_t *fast, unsigned fbits, const uint16_t *count,
		  const uint16_t *symbol, uint32_t bits, unsigned nbits, unsigned *len)
{
	unsigned e = fast[bits & ((1u << fbits) - 1)];

	if (e) {
		*len = e >> 9;
		return *len <= nbits ? (int)(e & 511) : NEED;
	}
	return walk(count, symbol, bits, nbits, len);
}

static void fixed_tables(struct otk_inflate *s)
{
	uint8_t *l = s->lens;

	memset(l, 8, 144);
	memset(l + 144, 9, 112);
	memset(l + 256, 7, 24);
	memset(l + 280, 8, 8);
	/* 32 codes so the code is complete; 30 and 31 are rejected when seen */
	memset(l + NLCODES, 5, NDCODES);
	(void)build(s->lcount, s->lsymbol, s->fastl, LFAST, l, NLCODES);
	(void)build(s->dcount, s->dsymbol, s->fastd, DFAST, l + NLCODES, NDCODES);
}

static int fail(struct otk_inflate *s, int err)
{
	s->mode = M_BAD;
	s->error = (int16_t)err;
	return err;
}

/*
 * A distance beyond everything decoded so far is corrupt data; one that
 * only reaches beyond the window means the window is too small.
 */
static int dist_error(const struct otk_inflate *s, uint32_t dist, uint32_t made)
{
	uint64_t produced = s->total_out + s->pending + made;

	return dist > produced ? OTK_EINFLATE : OTK_EWINDOW;
}

/* Records n bytes written at wpos. */
static void advance(struct otk_inflate *s, uint32_t n)
{
	s->wpos = (s->wpos + n) & (s->wsize - 1);
	s->pending += n;
	s->whave = s->whave + n < s->wsize ? s->whave + n : s->wsize;
}

/*
 * Copies n bytes of a match at distance dist (1..wsize, within the history)
 * to wpos.  Byte by byte forward is the DEFLATE definition, and it is also
 * right in a ring: a source byte overwritten by this copy is overwritten
 * with the value it would have been read as.
 */
static void copy_match(uint8_t *w, uint32_t wsize, uint32_t wpos, uint32_t dist, uint32_t n)
{
	uint32_t mask = wsize - 1;
	uint32_t from = (wpos - dist) & mask;

	if (from + n <= wsize && wpos + n <= wsize) {
		uint8_t *d = w + wpos;
		const uint8_t *p = w + from;

		if (dist >= n || from > wpos) {
			/* no overlap, or the source ahead of the destination */
			memmove(d, p, n);
		} else if (dist == 1) {
			memset(d, *p, n);
		} else {
			while (n--)
				*d++ = *p++;
		}
		return;
	}
	while (n--) {
		w[wpos] = w[from];
		wpos = (wpos + 1) & mask;
		from = (from + 1) & mask;
	}
}

/* Takes input bytes until at least n bits are buffered (n <= 32). */
static bool pull(struct otk_inflate *s, const uint8_t **in, size_t *in_len, unsigned n)
{
	while (s->bitcnt < n) {
		if (*in_len == 0)
			return false;
		s->bitbuf |= (uint32_t)*(*in)++ << s->bitcnt;
		(*in_len)--;
		s->bitcnt += 8;
	}
	return true;
}

static uint32_t peek(const struct otk_inflate *s, unsigned n)
{
	return s->bitbuf & ((1u << n) - 1);
}

static void drop(struct otk_inflate *s, unsigned n)
{
	s->bitbuf >>= n;
	s->bitcnt -= n;
}

/*
 * Bit buffer of the fast loop: 64 bits where registers are that wide.
 * OTK_INFLATE_BITBUF32 and OTK_INFLATE_BYTE_REFILL force the variants used
 * on 32-bit and big-endian targets, so that host tests can cover them too.
 */
#if SIZE_MAX > 0xffffffffu && !defined(OTK_INFLATE_BITBUF32)
typedef uint64_t bitbuf_t;
#define WIDE_BITBUF 1
#else
typedef uint32_t bitbuf_t;
#define WIDE_BITBUF 0
#endif
#define BB_BITS (8 * (unsigned)sizeof(bitbuf_t))

#if WIDE_BITBUF && defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
	!defined(OTK_INFLATE_BYTE_REFILL)
/*
 * Loads 8 bytes at once and counts only the whole bytes that fit.  The bits
 * above bc then already hold the next input byte, which the next refill ORs
 * in again unchanged.
 */
#define REFILL()                                                               \
	do {                                                                   \
		uint64_t v_;                                                   \
		memcpy(&v_, in, 8);                                            \
		bb |= v_ << bc;                                                \
		in += (63 - bc) >> 3;                                          \
		bc |= 56;                                                      \
	} while (0)
#else
#define REFILL()                                                               \
	do {                                                                   \
		while (bc <= BB_BITS - 8) {                                    \
			bb |= (bitbuf_t)*in++ << bc;                           \
			bc += 8;                                               \
		}                                                              \
	} while (0)
#endif

/*
 * The fast loop, used while plenty of input is left.  It keeps the bit
 * buffer in a local as wide as a register, refills it once per symbol, and
 * writes into the window without the per-byte bookkeeping of the slow
 * path.  It stops at the end of the block, when the window is full of bytes
 * not yet copied out (leaving a match unfinished if need be), or when the
 * input gets short; whole bytes read ahead are then given back.
 */
static int fast(struct otk_inflate *s, const uint8_t **inp, size_t *in_len)
{
	const uint8_t *start = *inp, *in = start;
	const uint8_t *in_stop = start + *in_len - FAST_MIN_IN;
	uint8_t *const w = s->window;
	const uint32_t wsize = s->wsize, mask = wsize - 1;
	const uint32_t room = wsize - s->pending;
	uint32_t wpos = s->wpos, made = 0;
	bitbuf_t bb = s->bitbuf;
	unsigned bc = s->bitcnt;
	int err = 0;

	while (in <= in_stop && made < room) {
		unsigned e, len;
		int sym;

		REFILL();
		e = s->fastl[bb & ((1u << LFAST) - 1)];
		if (e) {
			len = e >> 9;
			sym = (int)(e & 511);
		} else {
			sym = walk(s->lcount, s->lsymbol, (uint32_t)bb, MAXBITS, &len);
			if (sym < 0) {
				err = OTK_EINFLATE;
				break;
			}
		}
		bb >>= len;
		bc -= len;
		if (sym < 256) {
			w[wpos] = (uint8_t)sym;
			wpos = (wpos + 1) & mask;
			made++;
			continue;
		}
		if (sym == 256) {
			s->mode = s->last ? M_DONE : M_HEAD;
			break;
		}
		sym -= 257;
		if (sym >= 29) {
			err = OTK_EINFLATE;
			break;
		}
		uint32_t length = len_base[sym];
		unsigned x = len_extra[sym];
		length += (uint32_t)bb & ((1u << x) - 1);
		bb >>= x;
		bc -= x;
		if (BB_BITS < 48)
			REFILL();

		e = s->fastd[bb & ((1u << DFAST) - 1)];
		if (e) {
			len = e >> 9;
			sym = (int)(e & 511);
		} else {
			sym = walk(s->dcount, s->dsymbol, (uint32_t)bb, MAXBITS, &len);
		}
		if (sym < 0 || sym >= 30) {
			err = OTK_EINFLATE;
			break;
		}
		bb >>= len;
		bc -= len;
		if (BB_BITS < 48)
			REFILL();
		uint32_t dist = dist_base[sym];
		x = dist_extra[sym];
		dist += (uint32_t)bb & ((1u << x) - 1);
		bb >>= x;
		bc -= x;

		uint32_t have = s->whave + made;
		if (dist > have || dist > wsize) {
			err = dist_error(s, dist, made);
			break;
		}
		uint32_t n = room - made;
		if (n > length)
			n = length;
		copy_match(w, wsize, wpos, dist, n);
		wpos = (wpos + n) & mask;
		made += n;
		if (n < length) {
			s->length = length - n;
			s->dist = dist;
			s->mode = M_MATCH;
			break;
		}
	}

	/*
	 * Give back whole bytes read ahead, but only ones read in this call:
	 * bits left from before were taken from an earlier input buffer.
	 */
	size_t back = bc >> 3;
	if (back > (size_t)(in - start))
		back = (size_t)(in - start);
	in -= back;
	bc -= 8 * (unsigned)back;
	if (bc < BB_BITS)
		bb &= ((bitbuf_t)1 << bc) - 1;
	s->bitbuf = (uint32_t)bb;
	s->bitcnt = bc;
	*in_len -= (size_t)(in - start);
	*inp = in;
	s->wpos = wpos;
	s->pending += made;
	s->whave = s->whave + made < wsize ? s->whave + made : wsize;
	return err ? fail(s, err) : 0;
}

/*
 * Reads the code lengths of a dynamic block, resuming at s->have, and builds
 * the block's tables.  Returns 0 when done, ST_INPUT, or an error.
 */
static int read_lengths(struct otk_inflate *s, const uint8_t **in, size_t *in_len)
{
	unsigned total = s->nlen + s->ndist;

	while (s->have < total) {
		unsigned len, nx = 0, rep = 1;
		uint8_t val;
		int sym;

		for (;;) {
			sym = decode(s->fastl, LFAST, s->lcount, s->lsymbol, s->bitbuf,
				     s->bitcnt, &len);
			if (sym == BAD)
				return fail(s, OTK_EINFLATE);
			if (sym >= 0)
				break;
			if (!pull(s, in, in_len, s->bitcnt + 1))
				return ST_INPUT;
		}
		if (sym == 16)
			nx = 2;
		else if (sym == 17)
			nx = 3;
		else if (sym == 18)
			nx = 7;
		if (!pull(s, in, in_len, len + nx))
			return ST_INPUT;
		drop(s, len);
		if (sym < 16) {
			val = (uint8_t)sym;
		} else if (sym == 16) {
			if (s->have == 0)
				return fail(s, OTK_EINFLATE); /* nothing to repeat */
			val = s->lens[s->have - 1];
			rep = 3 + peek(s, 2);
		} else {
			val = 0;
			rep = (sym == 17 ? 3 : 11) + peek(s, nx);
		}
		drop(s, nx);
		if (rep > total - s->have)
			return fail(s, OTK_EINFLATE); /* repeat past the last length */
		memset(s->lens + s->have, val, rep);
		s->have = (uint16_t)(s->have + rep);
	}

	if (s->lens[256] == 0)
		return fail(s, OTK_EINFLATE); /* no end-of-block code */
	int r = build(s->lcount, s->lsymbol, s->fastl, LFAST, s->lens, s->nlen);
	if (r < 0 || (r > 0 && !single_code(s->lcount)))
		return fail(s, OTK_EINFLATE);
	r = build(s->dcount, s->dsymbol, s->fastd, DFAST, s->lens + s->nlen, s->ndist);
	/* no distance codes at all is fine for a block of literals only */
	if (r < 0 || (r > 0 && !single_code(s->dcount) && s->dcount[0] != 0))
		return fail(s, OTK_EINFLATE);
	s->mode = M_LEN;
	return 0;
}

/* Decodes until input runs out, the window is full, the end, or an error. */
static int run(struct otk_inflate *s, const uint8_t **in, size_t *in_len)
{
	for (;;) {
		unsigned len;
		int sym, r;

		switch (s->mode) {
		case M_HEAD:
			if (!pull(s, in, in_len, 3))
				return ST_INPUT;
			s->last = (uint16_t)peek(s, 1);
			switch ((s->bitbuf >> 1) & 3) {
			case 0:
				s->mode = M_STORED;
				break;
			case 1:
				fixed_tables(s);
				s->mode = M_LEN;
				break;
			case 2:
				s->mode = M_TABLE;
				break;
			default:
				return fail(s, OTK_EINFLATE); /* reserved type */
			}
			drop(s, 3);
			break;

		case M_STORED:
			drop(s, s->bitcnt & 7); /* to a byte boundary */
			if (!pull(s, in, in_len, 32))
				return ST_INPUT;
			if ((s->bitbuf & 0xffff) != (~s->bitbuf >> 16))
				return fail(s, OTK_EINFLATE); /* NLEN is not ~LEN */
			s->length = s->bitbuf & 0xffff;
			s->bitbuf = 0;
			s->bitcnt = 0;
			s->mode = M_COPY;
			break;

		case M_COPY:
			while (s->length) {
				uint32_t n = s->wsize - s->pending;

				if (n > s->length)
					n = s->length;
				if (n > *in_len)
					n = (uint32_t)*in_len;
				if (n == 0)
					return *in_len ? ST_ROOM : ST_INPUT;
				uint32_t first = s->wsize - s->wpos;
				if (first > n)
					first = n;
				memcpy(s->window + s->wpos, *in, first);
				memcpy(s->window, *in + first, n - first);
				advance(s, n);
				*in += n;
				*in_len -= n;
				s->length -= n;
			}
			s->mode = s->last ? M_DONE : M_HEAD;
			break;

		case M_TABLE:
			if (!pull(s, in, in_len, 14))
				return ST_INPUT;
			s->nlen = (uint16_t)(257 + peek(s, 5));
			s->ndist = (uint16_t)(1 + ((s->bitbuf >> 5) & 31));
			s->ncode = (uint16_t)(4 + ((s->bitbuf >> 10) & 15));
			drop(s, 14);
			/* 286, 287, 30 and 31 are never valid symbols */
			if (s->nlen > 286 || s->ndist > 30)
				return fail(s, OTK_EINFLATE);
			s->have = 0;
			s->mode = M_CODELENS;
			break;

		case M_CODELENS:
			while (s->have < s->ncode) {
				if (!pull(s, in, in_len, 3))
					return ST_INPUT;
				s->lens[clen_order[s->have++]] = (uint8_t)peek(s, 3);
				drop(s, 3);
			}
			while (s->have < 19)
				s->lens[clen_order[s->have++]] = 0;
			if (build(s->lcount, s->lsymbol, s->fastl, LFAST, s->lens, 19) != 0)
				return fail(s, OTK_EINFLATE); /* must be complete */
			s->have = 0;
			s->mode = M_LENLENS;
			break;

		case M_LENLENS:
			r = read_lengths(s, in, in_len);
			if (r != 0)
				return r;
			break;

		case M_LEN:
			if (*in_len >= FAST_MIN_IN && s->pending < s->wsize) {
				r = fast(s, in, in_len);
				if (r < 0)
					return r;
				if (s->mode != M_LEN)
					break;
			}
			if (s->pending == s->wsize)
				return ST_ROOM;
			for (;;) {
				sym = decode(s->fastl, LFAST, s->lcount, s->lsymbol,
					     s->bitbuf, s->bitcnt, &len);
				if (sym == BAD)
					return fail(s, OTK_EINFLATE);
				if (sym >= 0)
					break;
				if (!pull(s, in, in_len, s->bitcnt + 1))
					return ST_INPUT;
			}
			if (sym < 256) {
				drop(s, len);
				s->window[s->wpos] = (uint8_t)sym;
				advance(s, 1);
			} else if (sym == 256) {
				drop(s, len);
				s->mode = s->last ? M_DONE : M_HEAD;
			} else {
				sym -= 257;
				if (sym >= 29)
					return fail(s, OTK_EINFLATE);
				/* code and extra bits together: at most 20 bits */
				if (!pull(s, in, in_len, len + len_extra[sym]))
					return ST_INPUT;
				drop(s, len);
				s->length = len_base[sym] + peek(s, len_extra[sym]);
				drop(s, len_extra[sym]);
				s->mode = M_DIST;
			}
			break;

		case M_DIST:
			for (;;) {
				sym = decode(s->fastd, DFAST, s->dcount, s->dsymbol,
					     s->bitbuf, s->bitcnt, &len);
				if (sym == BAD)
					return fail(s, OTK_EINFLATE);
				if (sym >= 0)
					break;
				if (!pull(s, in, in_len, s->bitcnt + 1))
					return ST_INPUT;
			}
			if (sym >= 30)
				return fail(s, OTK_EINFLATE);
			drop(s, len);
			s->sym = (uint16_t)sym;
			s->mode = M_DISTEXT;
			break;

		case M_DISTEXT:
			if (!pull(s, in, in_len, dist_extra[s->sym]))
				return ST_INPUT;
			s->dist = dist_base[s->sym] + peek(s, dist_extra[s->sym]);
			drop(s, dist_extra[s->sym]);
			if (s->dist > s->whave)
				return fail(s, dist_error(s, s->dist, 0));
			s->mode = M_MATCH;
			break;

		case M_MATCH: {
			uint32_t n = s->wsize - s->pending;

			if (n == 0)
				return ST_ROOM;
			if (n > s->length)
				n = s->length;
			copy_match(s->window, s->wsize, s->wpos, s->dist, n);
			advance(s, n);
			s->length -= n;
			if (s->length == 0)
				s->mode = M_LEN;
			break;
		}

		case M_DONE:
			return ST_DONE;

		default:
			return s->error ? s->error : OTK_EINFLATE;
		}
	}
}

/* Copies decoded bytes from the window to the caller's output. */
static void flush(struct otk_inflate *s, uint8_t **out, size_t *out_len)
{
	uint32_t n = s->pending;

	if (n > *out_len)
		n = (uint32_t)*out_len;
	if (n == 0)
		return;
	uint32_t start = (s->wpos - s->pending) & (s->wsize - 1);
	uint32_t first = s->wsize - start;
	if (first > n)
		first = n;
	memcpy(*out, s->window + start, first);
	memcpy(*out + first, s->window, n - first);
	s->pending -= n;
	s->total_out += n;
	*out += n;
	*out_len -= n;
}

int otk_inflate_init(struct otk_inflate *s, uint8_t *window, size_t window_size)
{
	if (!s || !window || window_size < OTK_INFLATE_MIN_WINDOW ||
	    window_size > OTK_INFLATE_MAX_WINDOW || (window_size & (window_size - 1)))
		return OTK_EINVAL;
	memset(s, 0, sizeof *s);
	s->window = window;
	s->wsize = (uint32_t)window_size;
	s->mode = M_HEAD;
	return OTK_OK;
}

int otk_inflate_process(struct otk_inflate *s, const uint8_t **in, size_t *in_len,
			uint8_t **out, size_t *out_len)
{
	if (!s || !s->window || !in || !in_len || !out || !out_len ||
	    (*in_len && !*in) || (*out_len && !*out))
		return OTK_EINVAL;
	for (;;) {
		int r = run(s, in, in_len);

		flush(s, out, out_len);
		if (r < 0)
			return r;
		if (r == ST_DONE)
			return s->pending ? OTK_OK : OTK_INFLATE_END;
		if (r == ST_INPUT || s->pending)
			return OTK_OK;
		/* ST_ROOM and everything copied out: the window has room again */
	}
}

uint64_t otk_inflate_total_out(const struct otk_inflate *s)
{
	return s->total_out;
}
