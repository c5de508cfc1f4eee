/*
 * Intel HEX: a streaming record reader, a loader into a sparse memory image
 * and a writer (see docs/hex.md).
 *
 * Reader: record types 00-05, upper or lower case hex digits, LF or CRLF,
 * blank lines, 02 (segment) and 04 (linear) addressing, records in any
 * address order.  Errors carry the 1-based line number.  Nothing after the
 * 01 end-of-file record is read (objcopy and srec_cat do the same).
 *
 * Loading and writing stream: otk_hex_load_file() reads 64 KiB at a time,
 * otk_hex_write_file() renders records through a 64 KiB buffer, so memory is
 * the image plus a chunk.
 *
 * Writer: 04 records, 16 data bytes per record by default (1..255), upper
 * case, CRLF by default, records never cross a 64 KiB boundary, a final 01.
 */
#ifndef OTK_HEX_H
#define OTK_HEX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/memimage.h"

enum otk_hex_type {
	OTK_HEX_DATA = 0,
	OTK_HEX_EOF = 1,
	OTK_HEX_EXT_SEGMENT = 2,
	OTK_HEX_START_SEGMENT = 3,
	OTK_HEX_EXT_LINEAR = 4,
	OTK_HEX_START_LINEAR = 5,
};

/* What went wrong and where; filled by the reader on any error. */
enum otk_hex_problem {
	OTK_HEXP_NONE = 0,
	OTK_HEXP_NOT_RECORD,    /* a non-blank line not starting with ':' */
	OTK_HEXP_BAD_DIGIT,     /* a character that is not a hex digit */
	OTK_HEXP_BAD_LENGTH,    /* line length disagrees with the length byte */
	OTK_HEXP_CHECKSUM,      /* stored != computed */
	OTK_HEXP_BAD_TYPE,      /* record type above 05 */
	OTK_HEXP_BAD_FIELD,     /* 01-05 with a wrong length or non-zero address */
	OTK_HEXP_CONFLICT,      /* data overlaps earlier data with different bytes */
	OTK_HEXP_RANGE,         /* data runs past 0xFFFFFFFF */
	OTK_HEXP_TOO_BIG,       /* image over its byte cap */
	OTK_HEXP_NOMEM,
};

struct otk_hex_error {
	enum otk_hex_problem problem;
	unsigned long line;       /* 1-based */
	uint8_t stored, computed; /* checksum */
	unsigned length_byte;     /* bad length: what the record says */
	size_t digits;            /* bad length: hex digits on the line */
	uint32_t addr;            /* conflict: first differing address */
	unsigned type;            /* bad type / field */
};

/*
 * "line 12: checksum 3f, computed 40" etc. into buf (always NUL-terminated);
 * returns buf.
 */
const char *otk_hex_error_text(const struct otk_hex_error *e, char *buf, size_t size);

/* One decoded record. */
struct otk_hex_record {
	uint8_t type;
	uint8_t len;
	uint16_t offset;         /* the record's 16-bit address field */
	uint32_t addr;           /* data: absolute address of data[0] */
	/* data: with 02 addressing a record may wrap inside its 64 KiB segment;
	 * wrap_at is then the byte index where the address goes back to the
	 * segment base (len when no wrap). */
	uint8_t wrap_at;
	uint32_t wrap_addr;
	const uint8_t *data;     /* points into the reader; valid until the next call */
};

/* Caller-owned streaming reader over a text buffer. */
struct otk_hex_reader {
	const char *p, *end;
	unsigned long line;
	uint32_t base;           /* from the last 02 or 04 record */
	bool segment;            /* last extended record was 02 */
	bool eof;                /* an 01 record was read */
	bool has_start_linear, has_start_segment;
	uint32_t start_linear, start_segment;
	uint8_t buf[255];
};

void otk_hex_reader_init(struct otk_hex_reader *r, const char *text, size_t len);
/*
 * Next record: 1 with *rec filled, 0 at the end of input or after the 01
 * record, OTK_EINVAL with *err filled on a malformed line.  02/04 records are
 * also returned (after updating the base).
 */
int otk_hex_reader_next(struct otk_hex_reader *r, struct otk_hex_record *rec,
			struct otk_hex_error *err);

/* What the loader saw besides data. */
struct otk_hex_info {
	unsigned long records, data_records, lines;
	bool eof;                /* ended with an 01 record */
	bool has_start_linear, has_start_segment;
	uint32_t start_linear, start_segment;
	bool used_segment;       /* any 02 record */
};

/*
 * Load all data of a hex text into img (OTK_MEM_CHECK: equal overlaps are
 * fine, different ones are an error).  info may be NULL.  Returns OTK_OK,
 * OTK_EINVAL (malformed; *err says where), OTK_EEXIST (conflict), OTK_ERANGE,
 * OTK_ETOOBIG, OTK_ENOMEM.  On error img holds what was loaded before.
 */
int otk_hex_load(const char *text, size_t len, struct otk_memimage *img,
		 struct otk_hex_info *info, struct otk_hex_error *err);

/*
 * Streaming loader: text fed in chunks of any size, cut anywhere (even inside
 * a CRLF); lines keep their numbers across chunks.  Only a line cut by a
 * chunk boundary is copied (into carry).  A line longer than
 * OTK_HEX_LINE_MAX is never a valid record and is refused as one.
 */
#define OTK_HEX_LINE_MAX (1u << 20)
#define OTK_HEX_CHUNK (64u * 1024u)   /* read size of otk_hex_load_file() */

struct otk_hex_loader {
	struct otk_hex_reader r;
	struct otk_memimage *img;
	struct otk_hex_info info;
	char *carry;             /* the start of a line cut by the last chunk */
	size_t carry_len, carry_cap;
	int rc;                  /* first error, sticky */
	struct otk_hex_error err;
};

void otk_hex_loader_init(struct otk_hex_loader *l, struct otk_memimage *img);
void otk_hex_loader_deinit(struct otk_hex_loader *l);
/* Returns OTK_OK or the (sticky) error of otk_hex_load(), *err filled. */
int otk_hex_loader_feed(struct otk_hex_loader *l, const char *chunk, size_t len,
			struct otk_hex_error *err);
/* True after an error or the 01 record: further input is ignored. */
bool otk_hex_loader_done(const struct otk_hex_loader *l);
/* Reads the last, unterminated line; info may be NULL.  Same codes. */
int otk_hex_loader_finish(struct otk_hex_loader *l, struct otk_hex_info *info,
			  struct otk_hex_error *err);

/*
 * Load a hex file in OTK_HEX_CHUNK reads (memory: the image plus one chunk).
 * Reading stops at the 01 record.  *looks_like (may be NULL) tells whether
 * the first non-blank character was ':'; when it is not, nothing more is read
 * and OTK_EINVAL comes back with OTK_HEXP_NOT_RECORD.  OTK_EIO with errno on
 * a read error, else the codes of otk_hex_load().
 */
int otk_hex_load_file(const char *path, struct otk_memimage *img, struct otk_hex_info *info,
		      struct otk_hex_error *err, bool *looks_like);

/* Is this text plausibly Intel HEX (first non-blank character ':')? */
bool otk_hex_looks_like(const uint8_t *buf, size_t len);

struct otk_hex_write_opts {
	unsigned record_len;     /* data bytes per record, 1..255; 0 means 16 */
	bool lf;                 /* LF line endings instead of CRLF */
	bool lower;              /* lower-case hex digits */
	bool has_start_linear;   /* write an 05 record before 01 */
	uint32_t start_linear;
};

/*
 * Render img as Intel HEX into a malloc'd buffer (*out, *out_len; freed by
 * the caller, nothing allocated on failure).  opts may be NULL for the
 * defaults.  OTK_EINVAL for a bad record length, OTK_ENOMEM.
 */
int otk_hex_write(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		  char **out, size_t *out_len);

/* Receives the output in pieces of up to 64 KiB; returns OTK_OK or an error. */
typedef int (*otk_hex_sink)(void *ctx, const void *buf, size_t len);

/*
 * Render img record by record through a 64 KiB buffer into sink (the first
 * error of sink is returned and nothing more is written).  Same bytes as
 * otk_hex_write().
 */
int otk_hex_write_to(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		     otk_hex_sink sink, void *ctx);

/*
 * Stream img as Intel HEX to path like otk_file_write(): into a temporary
 * file in the same directory, fsync, then link() (without force: an existing
 * path is never replaced, OTK_EEXIST) or rename() (force).  On any failure
 * the temporary file is removed and path is untouched.  OTK_EINVAL (record
 * length), OTK_EEXIST, OTK_EIO (errno says why), OTK_ENOMEM.
 */
int otk_hex_write_file(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		       const char *path, bool force);

#endif
