/* Intel HEX reader and writer (see otk/hex.h and docs/hex.md). */
#define _POSIX_C_SOURCE 200809L
#include "otk/file.h"
#include "otk/hex.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "otk/error.h"

/*
 * Hex digit values plus one; 0 for anything else.  Constant, so readers in
 * several threads share it without a race (digit() maps 0 to 0xFF).
 */
static const uint8_t digit_plus1[256] = {
	['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5,
	['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9, ['9'] = 10,
	['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	['A'] = 11, ['B'] = 12, ['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

/* The value of hex digit c, 0xFF when c is not one. */
static inline uint8_t digit(uint8_t c)
{
	return (uint8_t)(digit_plus1[c] - 1u);
}

void otk_hex_reader_init(struct otk_hex_reader *r, const char *text, size_t len)
{
	memset(r, 0, sizeof *r);
	r->p = text;
	r->end = text + len;
}

static int fail(struct otk_hex_error *err, enum otk_hex_problem pr, unsigned long line)
{
	memset(err, 0, sizeof *err);
	err->problem = pr;
	err->line = line;
	return OTK_EINVAL;
}

int otk_hex_reader_next(struct otk_hex_reader *r, struct otk_hex_record *rec,
			struct otk_hex_error *err)
{
	while (!r->eof && r->p < r->end) {
		const char *s = r->p;
		const char *nl = memchr(s, '\n', (size_t)(r->end - s));
		const char *e = nl ? nl : r->end;
		r->p = nl ? nl + 1 : r->end;
		r->line++;
		/* Trailing CR, spaces and tabs are line-ending noise. */
		while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (e == s)
			continue;
		if (*s != ':')
			return fail(err, OTK_HEXP_NOT_RECORD, r->line);
		s++;
		size_t digits = (size_t)(e - s);
		/* Decode pairs; the length byte is checked against the line below. */
		if (digits < 10 || (digits & 1)) {
			/* Say which: a bad digit is a clearer message than a length. */
			for (const char *q = s; q < e; q++)
				if (digit((uint8_t)*q) == 0xFF) {
					fail(err, OTK_HEXP_BAD_DIGIT, r->line);
					return OTK_EINVAL;
				}
			fail(err, OTK_HEXP_BAD_LENGTH, r->line);
			err->digits = digits;
			err->length_byte = digits >= 2 ?
				(unsigned)(digit((uint8_t)s[0]) << 4 | digit((uint8_t)s[1])) : 0;
			return OTK_EINVAL;
		}
		size_t nbytes = digits / 2;
		uint8_t hdr[4], sum = 0;
		const uint8_t *u = (const uint8_t *)s;
		for (size_t k = 0; k < nbytes; k++) {
			uint8_t hi = digit(u[2 * k]), lo = digit(u[2 * k + 1]);
			if ((hi | lo) & 0xF0)
				return fail(err, OTK_HEXP_BAD_DIGIT, r->line);
			uint8_t b = (uint8_t)(hi << 4 | lo);
			sum = (uint8_t)(sum + b);
			if (k < 4)
				hdr[k] = b;
			else if (k < nbytes - 1) {
				/* bounded: checked against hdr[0] (<= 255) just below */
				if (k - 4 >= hdr[0])
					break;
				r->buf[k - 4] = b;
			}
		}
		if (nbytes != (size_t)hdr[0] + 5u) {
			fail(err, OTK_HEXP_BAD_LENGTH, r->line);
			err->digits = digits;
			err->length_byte = hdr[0];
			return OTK_EINVAL;
		}
		if (sum != 0) {
			/* the checksum byte is the last one; recompute without it */
			uint8_t hi = digit(u[digits - 2]), lo = digit(u[digits - 1]);
			uint8_t stored = (uint8_t)(hi << 4 | lo);
			fail(err, OTK_HEXP_CHECKSUM, r->line);
			err->stored = stored;
			err->computed = (uint8_t)(0x100 - (uint8_t)(sum - stored));
			return OTK_EINVAL;
		}
		memset(rec, 0, sizeof *rec);
		rec->len = hdr[0];
		rec->offset = (uint16_t)(hdr[1] << 8 | hdr[2]);
		rec->type = hdr[3];
		rec->data = r->buf;
		switch (rec->type) {
		case OTK_HEX_DATA: {
			rec->wrap_at = rec->len;
			if (r->segment) {
				/* 02 addressing wraps inside the 64 KiB segment. */
				rec->addr = r->base + rec->offset;
				if ((uint32_t)rec->offset + rec->len > 0x10000u) {
					rec->wrap_at = (uint8_t)(0x10000u - rec->offset);
					rec->wrap_addr = r->base;
				}
			} else {
				rec->addr = r->base + rec->offset;
			}
			return 1;
		}
		case OTK_HEX_EOF:
			if (rec->len != 0) {
				fail(err, OTK_HEXP_BAD_FIELD, r->line);
				err->type = rec->type;
				return OTK_EINVAL;
			}
			r->eof = true;
			return 1;
		case OTK_HEX_EXT_SEGMENT:
		case OTK_HEX_EXT_LINEAR:
			if (rec->len != 2 || rec->offset != 0) {
				fail(err, OTK_HEXP_BAD_FIELD, r->line);
				err->type = rec->type;
				return OTK_EINVAL;
			}
			if (rec->type == OTK_HEX_EXT_SEGMENT) {
				r->base = (uint32_t)(r->buf[0] << 8 | r->buf[1]) << 4;
				r->segment = true;
			} else {
				r->base = (uint32_t)(r->buf[0] << 8 | r->buf[1]) << 16;
				r->segment = false;
			}
			return 1;
		case OTK_HEX_START_SEGMENT:
		case OTK_HEX_START_LINEAR:
			if (rec->len != 4 || rec->offset != 0) {
				fail(err, OTK_HEXP_BAD_FIELD, r->line);
				err->type = rec->type;
				return OTK_EINVAL;
			}
			{
				uint32_t v = (uint32_t)r->buf[0] << 24 | (uint32_t)r->buf[1] << 16 |
					     (uint32_t)r->buf[2] << 8 | r->buf[3];
				if (rec->type == OTK_HEX_START_LINEAR) {
					r->has_start_linear = true;
					r->start_linear = v;
				} else {
					r->has_start_segment = true;
					r->start_segment = v;
				}
			}
			return 1;
		default:
			fail(err, OTK_HEXP_BAD_TYPE, r->line);
			err->type = rec->type;
			return OTK_EINVAL;
		}
	}
	return 0;
}

const char *otk_hex_error_text(const struct otk_hex_error *e, char *buf, size_t size)
{
	switch (e->problem) {
	case OTK_HEXP_NOT_RECORD:
		snprintf(buf, size, "line %lu: not an Intel HEX record (does not start with ':')", e->line);
		break;
	case OTK_HEXP_BAD_DIGIT:
		snprintf(buf, size, "line %lu: character that is not a hex digit", e->line);
		break;
	case OTK_HEXP_BAD_LENGTH:
		snprintf(buf, size, "line %lu: bad record length (length byte says %u data bytes, "
			 "the line has %zu hex digits, expected %u)", e->line, e->length_byte,
			 e->digits, 2 * (e->length_byte + 5));
		break;
	case OTK_HEXP_CHECKSUM:
		snprintf(buf, size, "line %lu: bad checksum (stored %02x, computed %02x)", e->line,
			 e->stored, e->computed);
		break;
	case OTK_HEXP_BAD_TYPE:
		snprintf(buf, size, "line %lu: unknown record type %02x", e->line, e->type);
		break;
	case OTK_HEXP_BAD_FIELD:
		snprintf(buf, size, "line %lu: malformed record of type %02x (wrong length or "
			 "non-zero address)", e->line, e->type);
		break;
	case OTK_HEXP_CONFLICT:
		snprintf(buf, size, "line %lu: data at 0x%08x overlaps earlier data with different "
			 "bytes", e->line, e->addr);
		break;
	case OTK_HEXP_RANGE:
		snprintf(buf, size, "line %lu: data runs past address 0xffffffff", e->line);
		break;
	case OTK_HEXP_TOO_BIG:
		snprintf(buf, size, "line %lu: image needs more memory than the %u MiB limit "
			 "(its data and one region per run of bytes)", e->line,
			 OTK_MEMIMAGE_MAX_DEFAULT >> 20);
		break;
	case OTK_HEXP_NOMEM:
		snprintf(buf, size, "line %lu: out of memory", e->line);
		break;
	default:
		snprintf(buf, size, "no error");
		break;
	}
	return buf;
}

static int store(struct otk_memimage *img, uint32_t addr, const uint8_t *p, size_t n,
		 unsigned long line, struct otk_hex_error *err)
{
	uint32_t at = 0;
	int rc = otk_memimage_write(img, addr, p, n, OTK_MEM_CHECK, &at);
	if (rc == OTK_OK)
		return OTK_OK;
	enum otk_hex_problem pr = rc == OTK_EEXIST ? OTK_HEXP_CONFLICT :
				  rc == OTK_ERANGE ? OTK_HEXP_RANGE :
				  rc == OTK_ETOOBIG ? OTK_HEXP_TOO_BIG : OTK_HEXP_NOMEM;
	fail(err, pr, line);
	err->addr = at;
	return rc;
}

/* --- streaming loader -------------------------------------------------------- */

void otk_hex_loader_init(struct otk_hex_loader *l, struct otk_memimage *img)
{
	memset(l, 0, sizeof *l);
	otk_hex_reader_init(&l->r, "", 0);
	l->img = img;
}

void otk_hex_loader_deinit(struct otk_hex_loader *l)
{
	free(l->carry);
	l->carry = NULL;
	l->carry_len = l->carry_cap = 0;
}

bool otk_hex_loader_done(const struct otk_hex_loader *l)
{
	return l->rc != OTK_OK || l->r.eof;
}

/* Run the reader over whole lines in [text, text + len) (the last may lack '\n'). */
static int run(struct otk_hex_loader *l, const char *text, size_t len)
{
	struct otk_hex_record rec;
	struct otk_hex_info *info = &l->info;
	int rc;
	l->r.p = text;
	l->r.end = text + len;
	while ((rc = otk_hex_reader_next(&l->r, &rec, &l->err)) == 1) {
		info->records++;
		if (rec.type == OTK_HEX_EXT_SEGMENT)
			info->used_segment = true;
		if (rec.type != OTK_HEX_DATA)
			continue;
		info->data_records++;
		rc = store(l->img, rec.addr, rec.data, rec.wrap_at, l->r.line, &l->err);
		if (rc == OTK_OK && rec.wrap_at < rec.len)
			rc = store(l->img, rec.wrap_addr, rec.data + rec.wrap_at,
				   (size_t)rec.len - rec.wrap_at, l->r.line, &l->err);
		if (rc != OTK_OK)
			break;
	}
	l->r.p = l->r.end = NULL;
	if (rc < 0)
		l->rc = rc;
	return l->rc;
}

/* Keep the start of a line cut by the chunk boundary. */
static int keep(struct otk_hex_loader *l, const char *p, size_t n)
{
	if (n == 0)
		return OTK_OK;
	if (l->carry_len + n > OTK_HEX_LINE_MAX) {
		/* Never a valid record: report it on the line it starts. */
		char head[3] = { 0, 0, 0 };
		for (size_t k = 0; k < 3; k++)
			head[k] = k < l->carry_len ? l->carry[k] :
				  k - l->carry_len < n ? p[k - l->carry_len] : '0';
		if (head[0] != ':') {
			fail(&l->err, OTK_HEXP_NOT_RECORD, l->r.line + 1);
		} else {
			fail(&l->err, OTK_HEXP_BAD_LENGTH, l->r.line + 1);
			l->err.length_byte = (unsigned)(digit((uint8_t)head[1]) << 4 |
							digit((uint8_t)head[2])) & 0xFF;
			l->err.digits = l->carry_len + n - 1;
		}
		return l->rc = OTK_EINVAL;
	}
	if (l->carry_len + n > l->carry_cap) {
		size_t cap = l->carry_cap ? l->carry_cap : 1024;
		while (cap < l->carry_len + n)
			cap *= 2;
		char *c = realloc(l->carry, cap);
		if (!c) {
			fail(&l->err, OTK_HEXP_NOMEM, l->r.line + 1);
			return l->rc = OTK_ENOMEM;
		}
		l->carry = c;
		l->carry_cap = cap;
	}
	memcpy(l->carry + l->carry_len, p, n);
	l->carry_len += n;
	return OTK_OK;
}

int otk_hex_loader_feed(struct otk_hex_loader *l, const char *chunk, size_t len,
			struct otk_hex_error *err)
{
	const char *end = chunk + len;
	if (otk_hex_loader_done(l))
		goto out;
	if (l->carry_len) {
		/* Finish the cut line first. */
		const char *nl = memchr(chunk, '\n', len);
		if (!nl) {
			keep(l, chunk, len);
			goto out;
		}
		if (keep(l, chunk, (size_t)(nl + 1 - chunk)) != OTK_OK)
			goto out;
		size_t n = l->carry_len;
		l->carry_len = 0;
		if (run(l, l->carry, n) != OTK_OK || l->r.eof)
			goto out;
		chunk = nl + 1;
	}
	/* Whole lines straight from the chunk; the cut tail is kept. */
	const char *last = end;
	while (last > chunk && last[-1] != '\n')
		last--;
	if (last > chunk && (run(l, chunk, (size_t)(last - chunk)) != OTK_OK || l->r.eof))
		goto out;
	keep(l, last, (size_t)(end - last));
out:
	if (l->rc != OTK_OK)
		*err = l->err;
	return l->rc;
}

int otk_hex_loader_finish(struct otk_hex_loader *l, struct otk_hex_info *info,
			  struct otk_hex_error *err)
{
	if (l->rc == OTK_OK && !l->r.eof && l->carry_len) {
		size_t n = l->carry_len;
		l->carry_len = 0;
		run(l, l->carry, n);
	}
	l->info.lines = l->r.line;
	l->info.eof = l->r.eof;
	l->info.has_start_linear = l->r.has_start_linear;
	l->info.start_linear = l->r.start_linear;
	l->info.has_start_segment = l->r.has_start_segment;
	l->info.start_segment = l->r.start_segment;
	if (info)
		*info = l->info;
	if (l->rc != OTK_OK)
		*err = l->err;
	else
		memset(err, 0, sizeof *err);
	return l->rc;
}

int otk_hex_load(const char *text, size_t len, struct otk_memimage *img,
		 struct otk_hex_info *info, struct otk_hex_error *err)
{
	struct otk_hex_loader l;
	otk_hex_loader_init(&l, img);
	memset(err, 0, sizeof *err);
	/* The whole text is one run: no line is cut, nothing is copied. */
	run(&l, text, len);
	int rc = otk_hex_loader_finish(&l, info, err);
	otk_hex_loader_deinit(&l);
	return rc;
}

int otk_hex_load_file(const char *path, struct otk_memimage *img, struct otk_hex_info *info,
		      struct otk_hex_error *err, bool *looks_like)
{
	struct otk_hex_loader l;
	struct otk_hex_error dummy;
	unsigned long lines = 0;
	bool seen = false;
	int rc = OTK_OK;
	memset(err, 0, sizeof *err);
	if (looks_like)
		*looks_like = false;
	if (info)
		memset(info, 0, sizeof *info);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return OTK_EIO;
	char *buf = malloc(OTK_HEX_CHUNK);
	if (!buf) {
		close(fd);
		return OTK_ENOMEM;
	}
	otk_hex_loader_init(&l, img);
	for (;;) {
		ssize_t n = read(fd, buf, OTK_HEX_CHUNK);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			rc = OTK_EIO;
			break;
		}
		if (n == 0)
			break;
		if (!seen) {
			/*
			 * The first non-blank character decides whether this is hex
			 * at all; a binary file is not read any further.
			 */
			for (ssize_t i = 0; i < n && !seen; i++) {
				char c = buf[i];
				if (c == '\n')
					lines++;
				if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
					continue;
				seen = true;
				if (looks_like)
					*looks_like = c == ':';
				if (c != ':') {
					rc = fail(err, OTK_HEXP_NOT_RECORD, lines + 1);
					otk_hex_loader_finish(&l, info, &dummy);
				}
			}
			if (rc != OTK_OK)
				break;
		}
		if (otk_hex_loader_feed(&l, buf, (size_t)n, err) != OTK_OK || l.r.eof)
			break;
	}
	if (rc == OTK_OK)
		rc = otk_hex_loader_finish(&l, info, err);
	int e = errno;
	otk_hex_loader_deinit(&l);
	free(buf);
	close(fd);
	errno = e;
	return rc;
}

bool otk_hex_looks_like(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n')
			continue;
		return buf[i] == ':';
	}
	return false;
}

/* --- writer ---------------------------------------------------------------- */

/* Records are rendered into a small buffer that is handed to the sink when full. */
#define OUT_BUF 65536
#define RECORD_MAX (1 + 2 * (255 + 5) + 2)

struct out {
	char *p, *lim, *buf;
	const char *digits;
	bool lf;
	otk_hex_sink sink;
	void *ctx;
	int rc;
};

static inline void put_byte(struct out *o, uint8_t b, uint8_t *sum)
{
	o->p[0] = o->digits[b >> 4];
	o->p[1] = o->digits[b & 15];
	o->p += 2;
	*sum = (uint8_t)(*sum + b);
}

static void flush(struct out *o)
{
	if (o->rc == OTK_OK && o->p > o->buf)
		o->rc = o->sink(o->ctx, o->buf, (size_t)(o->p - o->buf));
	o->p = o->buf;
}

static void put_record(struct out *o, uint8_t type, uint16_t offset, const uint8_t *data,
		       size_t n)
{
	if (o->lim - o->p < RECORD_MAX)
		flush(o);
	uint8_t sum = 0;
	*o->p++ = ':';
	put_byte(o, (uint8_t)n, &sum);
	put_byte(o, (uint8_t)(offset >> 8), &sum);
	put_byte(o, (uint8_t)offset, &sum);
	put_byte(o, type, &sum);
	for (size_t i = 0; i < n; i++)
		put_byte(o, data[i], &sum);
	uint8_t unused = 0;
	put_byte(o, (uint8_t)(0x100 - sum), &unused);
	if (!o->lf)
		*o->p++ = '\r';
	*o->p++ = '\n';
}

int otk_hex_write_to(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		     otk_hex_sink sink, void *ctx)
{
	static const struct otk_hex_write_opts defaults = { 16, false, false, false, 0 };
	if (!opts)
		opts = &defaults;
	size_t rl = opts->record_len ? opts->record_len : 16;
	if (rl > 255)
		return OTK_EINVAL;
	char *buf = malloc(OUT_BUF);
	if (!buf)
		return OTK_ENOMEM;
	struct out o = { buf, buf + OUT_BUF, buf,
			 opts->lower ? "0123456789abcdef" : "0123456789ABCDEF", opts->lf,
			 sink, ctx, OTK_OK };

	size_t n = otk_memimage_count(img);
	uint32_t upper = 0;
	bool have_upper = false;
	for (size_t i = 0; i < n && o.rc == OTK_OK; i++) {
		const struct otk_memregion *r = otk_memimage_region(img, i);
		uint64_t a = r->addr, end = (uint64_t)r->addr + r->len;
		const uint8_t *d = r->data;
		while (a < end && o.rc == OTK_OK) {
			uint32_t hi = (uint32_t)(a >> 16);
			if (!have_upper || hi != upper) {
				uint8_t v[2] = { (uint8_t)(hi >> 8), (uint8_t)hi };
				put_record(&o, OTK_HEX_EXT_LINEAR, 0, v, 2);
				upper = hi;
				have_upper = true;
			}
			uint64_t page_end = ((uint64_t)hi + 1) << 16;
			uint64_t stop = end < page_end ? end : page_end;
			while (a < stop) {
				size_t k = stop - a < rl ? (size_t)(stop - a) : rl;
				put_record(&o, OTK_HEX_DATA, (uint16_t)a, d, k);
				d += k;
				a += k;
			}
		}
	}
	if (opts->has_start_linear) {
		uint32_t s = opts->start_linear;
		uint8_t v[4] = { (uint8_t)(s >> 24), (uint8_t)(s >> 16), (uint8_t)(s >> 8), (uint8_t)s };
		put_record(&o, OTK_HEX_START_LINEAR, 0, v, 4);
	}
	put_record(&o, OTK_HEX_EOF, 0, NULL, 0);
	flush(&o);
	free(buf);
	return o.rc;
}

/* In-memory sink: a buffer sized up front from an upper bound of the output. */
struct membuf {
	char *p;
	size_t len, cap;
};

static int mem_sink(void *ctx, const void *p, size_t n)
{
	struct membuf *m = ctx;
	if (n > m->cap - m->len)
		return OTK_ENOMEM; /* cannot happen: the bound below holds */
	memcpy(m->p + m->len, p, n);
	m->len += n;
	return OTK_OK;
}

int otk_hex_write(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		  char **out, size_t *out_len)
{
	size_t rl = opts && opts->record_len ? opts->record_len : 16;
	*out = NULL;
	*out_len = 0;
	if (rl > 255)
		return OTK_EINVAL;
	/*
	 * Upper bound of the output: every region and every 64 KiB boundary can
	 * cut one short data record and add one 04 record.
	 */
	size_t n = otk_memimage_count(img);
	uint64_t cuts = n + (uint64_t)(img->total >> 16) + n + 1;
	uint64_t data_lines = img->total / rl + cuts;
	uint64_t bound = data_lines * (13 + 2 * rl) + (cuts + 4) * 17;
	if (bound > SIZE_MAX)
		return OTK_ENOMEM;
	struct membuf m = { malloc((size_t)bound), 0, (size_t)bound };
	if (!m.p)
		return OTK_ENOMEM;
	int rc = otk_hex_write_to(img, opts, mem_sink, &m);
	if (rc != OTK_OK) {
		free(m.p);
		return rc;
	}
	*out = m.p;
	*out_len = m.len;
	return OTK_OK;
}

/* File sink: appends to an otk_file_writer. */
static int file_sink(void *ctx, const void *buf, size_t len)
{
	return otk_file_writer_write(ctx, buf, len);
}

int otk_hex_write_file(const struct otk_memimage *img, const struct otk_hex_write_opts *opts,
		       const char *path, bool force)
{
	/* Same protocol as otk_file_write(): temp file, fsync, link or rename. */
	struct otk_file_writer w;
	if (opts && opts->record_len > 255)
		return OTK_EINVAL;
	int rc = otk_file_writer_open(&w, path, force);
	if (rc < 0)
		return rc;
	rc = otk_hex_write_to(img, opts, file_sink, &w);
	if (rc < 0) {
		otk_file_writer_abort(&w);
		return rc;
	}
	return otk_file_writer_commit(&w);
}
