/* DFU 1.1 + DfuSe, device side: see otk/dfuse.h. */
#include "otk/dfuse.h"

#include <string.h>

#include "otk/error.h"

/* Permission letter bits (DfuSe): a = readable, b = erasable, d = writable. */
#define PERM_READ 1u
#define PERM_ERASE 2u
#define PERM_WRITE 4u

static bool parse_uint(const char **s, uint32_t *out, unsigned base)
{
	uint64_t v = 0;
	const char *p = *s;
	for (;; p++) {
		unsigned digit;
		if (*p >= '0' && *p <= '9')
			digit = (unsigned)(*p - '0');
		else if (base == 16 && *p >= 'a' && *p <= 'f')
			digit = (unsigned)(*p - 'a' + 10);
		else if (base == 16 && *p >= 'A' && *p <= 'F')
			digit = (unsigned)(*p - 'A' + 10);
		else
			break;
		v = v * base + digit;
		if (v > UINT32_MAX)
			return false;
	}
	if (p == *s)
		return false;
	*s = p;
	*out = (uint32_t)v;
	return true;
}

int otk_dfuse_sector(const char *memstr, uint32_t addr, uint32_t *start, uint32_t *size,
		     char *perm)
{
	const char *p;
	if (!memstr || memstr[0] != '@')
		return OTK_EINVAL;
	p = memstr;
	while (*p && *p != '/')
		p++;
	/* Groups of "/0xADDR/N*SSSu,N*SSSu..." */
	while (*p == '/') {
		uint32_t at;
		p++;
		if (p[0] != '0' || (p[1] != 'x' && p[1] != 'X'))
			return OTK_EINVAL;
		p += 2;
		if (!parse_uint(&p, &at, 16) || *p != '/')
			return OTK_EINVAL;
		p++;
		for (;;) {
			uint32_t count, unit_size, mult = 1;
			char letter;
			if (!parse_uint(&p, &count, 10) || *p != '*')
				return OTK_EINVAL;
			p++;
			if (!parse_uint(&p, &unit_size, 10))
				return OTK_EINVAL;
			if (*p == 'K')
				mult = 1024;
			else if (*p == 'M')
				mult = 1024 * 1024;
			else if (*p != 'B' && *p != ' ')
				return OTK_EINVAL;
			p++;
			letter = *p++;
			if (letter < 'a' || letter > 'g')
				return OTK_EINVAL;
			if ((uint64_t)unit_size * mult > UINT32_MAX)
				return OTK_EINVAL;
			unit_size *= mult;
			/* addr in [at, at + count * unit_size), without overflow */
			if (unit_size && addr >= at && (addr - at) / unit_size < count) {
				*start = at + (addr - at) / unit_size * unit_size;
				*size = unit_size;
				*perm = letter;
				return OTK_OK;
			}
			if ((uint64_t)at + (uint64_t)count * unit_size > UINT32_MAX + 1ull)
				return OTK_EINVAL;
			at += count * unit_size;
			if (*p != ',')
				break;
			p++;
		}
	}
	return *p == '\0' ? OTK_ENOTFOUND : OTK_EINVAL;
}

static unsigned perm_bits(char letter)
{
	return (unsigned)(letter - 'a' + 1);
}

int otk_dfuse_init(struct otk_dfuse *d, const struct otk_dfuse_alt *alts, uint8_t nalts,
		   uint16_t xfer, uint8_t *buf, size_t cap)
{
	if (!d || !alts || nalts == 0 || !buf)
		return OTK_EINVAL;
	if (xfer == 0)
		xfer = OTK_DFUSE_XFER_SIZE;
	if (cap < xfer)
		return OTK_EINVAL;
	memset(d, 0, sizeof(*d));
	d->alts = alts;
	d->nalts = nalts;
	d->buf = buf;
	d->cap = cap;
	d->xfer = xfer;
	d->state = OTK_DFU_IDLE;
	d->status = OTK_DFU_OK;
	return OTK_OK;
}

int otk_dfuse_set_alt(struct otk_dfuse *d, uint8_t alt)
{
	if (alt >= d->nalts)
		return OTK_ERANGE;
	d->alt = alt;
	d->state = OTK_DFU_IDLE;
	d->status = OTK_DFU_OK;
	return OTK_OK;
}

unsigned otk_dfuse_take_actions(struct otk_dfuse *d)
{
	unsigned a = d->actions;
	d->actions = 0;
	return a;
}

static int stall(struct otk_dfuse *d)
{
	d->state = OTK_DFU_ERROR;
	d->status = OTK_DFU_ERR_STALLEDPKT;
	return OTK_EINVAL;
}

/*
 * Checks that [addr, addr + len) lies in the current alt's sectors, all
 * with the permission `need`, and gives the offset in its flash area.
 * Returns a DFU status.
 */
static uint8_t check_range(const struct otk_dfuse *d, uint32_t addr, uint32_t len, unsigned need,
			   uint32_t *off)
{
	const struct otk_dfuse_alt *alt = &d->alts[d->alt];
	uint32_t base, start, size, at = addr;
	char perm;
	if (otk_dfuse_sector(alt->name, 0, &start, &size, &perm) == OTK_EINVAL)
		return OTK_DFU_ERR_TARGET;
	/* The region's first address: the string's first "/0x" group. */
	{
		const char *p = alt->name;
		while (*p && *p != '/')
			p++;
		p += 3;
		if (!parse_uint(&p, &base, 16))
			return OTK_DFU_ERR_TARGET;
	}
	if (len == 0 || addr < base || (uint64_t)addr + len > (uint64_t)base + alt->fa->size)
		return OTK_DFU_ERR_ADDRESS;
	while ((uint64_t)at < (uint64_t)addr + len) {
		if (otk_dfuse_sector(alt->name, at, &start, &size, &perm) != OTK_OK)
			return OTK_DFU_ERR_ADDRESS;
		if ((perm_bits(perm) & need) != need)
			return need & PERM_ERASE ? OTK_DFU_ERR_ERASE
			       : need & PERM_WRITE ? OTK_DFU_ERR_WRITE : OTK_DFU_ERR_TARGET;
		if ((uint64_t)start + size > UINT32_MAX)
			break;
		at = start + size;
	}
	*off = addr - base;
	return OTK_DFU_OK;
}

static uint8_t run_command(struct otk_dfuse *d)
{
	const uint8_t *b = d->buf;
	uint32_t arg, off, start, size;
	char perm;
	if (d->pending_len == 0)
		return OTK_DFU_ERR_TARGET;
	arg = d->pending_len == 5 ? (uint32_t)b[1] | (uint32_t)b[2] << 8 | (uint32_t)b[3] << 16 |
					    (uint32_t)b[4] << 24
				  : 0;
	switch (b[0]) {
	case OTK_DFUSE_CMD_GET:
		return d->pending_len == 1 ? OTK_DFU_OK : OTK_DFU_ERR_TARGET;
	case OTK_DFUSE_CMD_SET_ADDRESS:
		if (d->pending_len != 5)
			return OTK_DFU_ERR_TARGET;
		d->addr = arg;
		return OTK_DFU_OK;
	case OTK_DFUSE_CMD_ERASE: {
		uint8_t st;
		if (d->pending_len != 5) /* mass erase is not offered */
			return OTK_DFU_ERR_TARGET;
		if (otk_dfuse_sector(d->alts[d->alt].name, arg, &start, &size, &perm) != OTK_OK)
			return OTK_DFU_ERR_ADDRESS;
		st = check_range(d, start, size, PERM_ERASE, &off);
		if (st != OTK_DFU_OK)
			return st;
		if (otk_flash_erase_cover(d->alts[d->alt].fa, off, size) != OTK_OK)
			return OTK_DFU_ERR_ERASE;
		return OTK_DFU_OK;
	}
	case OTK_DFUSE_CMD_SAFE_MODE:
		if (d->pending_len != 1)
			return OTK_DFU_ERR_TARGET;
		d->actions |= OTK_DFUSE_ACT_SAFE_MODE;
		return OTK_DFU_OK;
	default: /* read unprotect, clear security override, unknown */
		return OTK_DFU_ERR_TARGET;
	}
}

static uint8_t run_write(struct otk_dfuse *d)
{
	const struct otk_flash_area *fa = d->alts[d->alt].fa;
	uint32_t addr, off, len = d->pending_len, padded;
	uint8_t st;
	if ((uint64_t)(d->pending_block - 2u) * d->xfer + d->addr > UINT32_MAX)
		return OTK_DFU_ERR_ADDRESS;
	addr = (uint32_t)(d->pending_block - 2u) * d->xfer + d->addr;
	st = check_range(d, addr, len, PERM_WRITE, &off);
	if (st != OTK_DFU_OK)
		return st;
	/* A short last block is padded with erased bytes to the write unit. */
	padded = otk_flash_align_up(fa, len);
	if (padded > d->cap || (uint64_t)off + padded > fa->size)
		return OTK_DFU_ERR_ADDRESS;
	memset(d->buf + len, fa->erased, padded - len);
	if (otk_flash_write(fa, off, d->buf, padded) != OTK_OK)
		return OTK_DFU_ERR_WRITE;
	return OTK_DFU_OK;
}

static int get_status(struct otk_dfuse *d, uint8_t *in, uint16_t in_cap)
{
	uint8_t report;
	if (in_cap < 6)
		return stall(d);
	switch (d->state) {
	case OTK_DFU_DNLOAD_SYNC: {
		/* The download is carried out now; this poll says busy. */
		uint8_t st = d->pending_block == 0 ? run_command(d) : run_write(d);
		if (st == OTK_DFU_OK) {
			d->state = OTK_DFU_DNBUSY;
		} else {
			d->state = OTK_DFU_ERROR;
			d->status = st;
		}
		report = d->state;
		break;
	}
	case OTK_DFU_DNBUSY:
		d->state = OTK_DFU_DNLOAD_IDLE;
		report = d->state;
		break;
	case OTK_DFU_MANIFEST_SYNC:
		d->state = OTK_DFU_MANIFEST_WAIT_RESET;
		d->actions |= OTK_DFUSE_ACT_RESET;
		report = OTK_DFU_MANIFEST;
		break;
	default:
		report = d->state;
		break;
	}
	in[0] = d->status;
	in[1] = in[2] = in[3] = 0; /* bwPollTimeout: the work is already done */
	in[4] = report;
	in[5] = 0;
	return 6;
}

static int download(struct otk_dfuse *d, uint16_t block, const uint8_t *out, uint16_t len)
{
	if (d->state != OTK_DFU_IDLE && d->state != OTK_DFU_DNLOAD_IDLE)
		return stall(d);
	if (len == 0) {
		/* Leave: manifest at the next GETSTATUS, then reset. */
		d->state = OTK_DFU_MANIFEST_SYNC;
		return 0;
	}
	if (block == 1 || len > d->xfer || !out)
		return stall(d);
	memcpy(d->buf, out, len);
	d->pending_len = len;
	d->pending_block = block;
	d->state = OTK_DFU_DNLOAD_SYNC;
	return 0;
}

static int upload(struct otk_dfuse *d, uint16_t block, uint8_t *in, uint16_t in_cap)
{
	static const uint8_t commands[] = {OTK_DFUSE_CMD_GET, OTK_DFUSE_CMD_SET_ADDRESS,
					   OTK_DFUSE_CMD_ERASE, OTK_DFUSE_CMD_READ_UNPROTECT};
	const struct otk_dfuse_alt *alt = &d->alts[d->alt];
	uint32_t addr, off, n;
	if (d->state != OTK_DFU_IDLE && d->state != OTK_DFU_UPLOAD_IDLE)
		return stall(d);
	if (block == 0) {
		n = in_cap < sizeof(commands) ? in_cap : sizeof(commands);
		memcpy(in, commands, n);
		d->state = OTK_DFU_UPLOAD_IDLE;
		return (int)n;
	}
	if (block == 1 || in_cap > d->xfer)
		return stall(d);
	if ((uint64_t)(block - 2u) * d->xfer + d->addr > UINT32_MAX)
		return stall(d);
	addr = (uint32_t)(block - 2u) * d->xfer + d->addr;
	/* Read up to the end of the region; a short answer ends the upload. */
	{
		uint32_t start, size;
		char perm;
		uint8_t st = check_range(d, addr, 1, PERM_READ, &off);
		if (st != OTK_DFU_OK || otk_dfuse_sector(alt->name, addr, &start, &size, &perm) != OTK_OK) {
			d->state = OTK_DFU_IDLE;
			return 0;
		}
	}
	n = alt->fa->size - off;
	if (n > in_cap)
		n = in_cap;
	if (n && otk_flash_read(alt->fa, off, in, n) != OTK_OK) {
		d->state = OTK_DFU_ERROR;
		d->status = OTK_DFU_ERR_UNKNOWN;
		return OTK_EIO;
	}
	d->state = n < in_cap ? OTK_DFU_IDLE : OTK_DFU_UPLOAD_IDLE;
	return (int)n;
}

int otk_dfuse_request(struct otk_dfuse *d, uint8_t request, uint16_t value, const uint8_t *out,
		      uint16_t out_len, uint8_t *in, uint16_t in_cap)
{
	if (d->state == OTK_DFU_MANIFEST_WAIT_RESET && request != OTK_DFU_GETSTATE &&
	    request != OTK_DFU_GETSTATUS)
		return stall(d);
	switch (request) {
	case OTK_DFU_DETACH:
		return 0;
	case OTK_DFU_DNLOAD:
		return download(d, value, out, out_len);
	case OTK_DFU_UPLOAD:
		if (!in)
			return stall(d);
		return upload(d, value, in, in_cap);
	case OTK_DFU_GETSTATUS:
		if (!in)
			return stall(d);
		return get_status(d, in, in_cap);
	case OTK_DFU_CLRSTATUS:
	case OTK_DFU_ABORT:
		if (d->state == OTK_DFU_MANIFEST_SYNC || d->state == OTK_DFU_MANIFEST_WAIT_RESET)
			return stall(d);
		d->state = OTK_DFU_IDLE;
		d->status = OTK_DFU_OK;
		return 0;
	case OTK_DFU_GETSTATE:
		if (!in || in_cap < 1)
			return stall(d);
		in[0] = d->state;
		return 1;
	default:
		return stall(d);
	}
}
