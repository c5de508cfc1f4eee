/* Sparse memory image (see otk/memimage.h and docs/hex.md). */
#include "otk/memimage.h"

#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

void otk_memimage_init(struct otk_memimage *m)
{
	memset(m, 0, sizeof *m);
	m->max_total = OTK_MEMIMAGE_MAX_DEFAULT;
}

void otk_memimage_deinit(struct otk_memimage *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->r[i].data);
	free(m->r);
	memset(m, 0, sizeof *m);
}

static uint64_t rend(const struct otk_memregion *r)
{
	return (uint64_t)r->addr + r->len;
}

/* Grow a region's buffer to hold at least need bytes (doubling). */
static int reserve(struct otk_memregion *r, size_t need)
{
	if (need <= r->cap)
		return OTK_OK;
	size_t cap = r->cap ? r->cap : 4096;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	uint8_t *d = realloc(r->data, cap);
	if (!d)
		return OTK_ENOMEM;
	r->data = d;
	r->cap = cap;
	return OTK_OK;
}

static int insert_slot(struct otk_memimage *m, size_t at)
{
	if (m->n == m->cap) {
		size_t cap = m->cap ? m->cap * 2 : 16;
		struct otk_memregion *r = realloc(m->r, cap * sizeof *r);
		if (!r)
			return OTK_ENOMEM;
		m->r = r;
		m->cap = cap;
	}
	memmove(&m->r[at + 1], &m->r[at], (m->n - at) * sizeof *m->r);
	memset(&m->r[at], 0, sizeof *m->r);
	m->n++;
	return OTK_OK;
}

static void remove_slots(struct otk_memimage *m, size_t at, size_t count)
{
	memmove(&m->r[at], &m->r[at + count], (m->n - at - count) * sizeof *m->r);
	m->n -= count;
}

/* First region whose end is >= addr (touching or after), m->n when none. */
static size_t first_touching(const struct otk_memimage *m, uint64_t addr)
{
	size_t lo = 0, hi = m->n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (rend(&m->r[mid]) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

int otk_memimage_write(struct otk_memimage *m, uint32_t addr, const uint8_t *p, size_t len,
		       enum otk_memimage_mode mode, uint32_t *conflict)
{
	if (len == 0)
		return OTK_OK;
	uint64_t end = (uint64_t)addr + len;
	if (end > 0x100000000ull)
		return OTK_ERANGE;

	/* Fast path: appending to the region written last, not reaching the next. */
	if (m->last < m->n) {
		struct otk_memregion *r = &m->r[m->last];
		if (rend(r) == addr && (m->last + 1 == m->n || m->r[m->last + 1].addr > end)) {
			if (m->total + len > m->max_total)
				return OTK_ETOOBIG;
			if (reserve(r, (size_t)r->len + len) != OTK_OK)
				return OTK_ENOMEM;
			memcpy(r->data + r->len, p, len);
			r->len += (uint32_t)len;
			m->total += len;
			return OTK_OK;
		}
	}

	size_t i = first_touching(m, addr), j = i;
	/* j: one past the last region that starts at or before end (touching). */
	while (j < m->n && m->r[j].addr <= end)
		j++;

	/* Conflicts and the growth in bytes held. */
	uint64_t overlap = 0;
	for (size_t k = i; k < j; k++) {
		const struct otk_memregion *r = &m->r[k];
		uint64_t lo = r->addr > addr ? r->addr : addr;
		uint64_t hi = rend(r) < end ? rend(r) : end;
		if (lo >= hi)
			continue;
		overlap += hi - lo;
		if (mode == OTK_MEM_CHECK) {
			const uint8_t *a = r->data + (lo - r->addr), *b = p + (lo - addr);
			size_t n = (size_t)(hi - lo);
			if (memcmp(a, b, n) != 0) {
				size_t x = 0;
				while (a[x] == b[x])
					x++;
				if (conflict)
					*conflict = (uint32_t)(lo + x);
				return OTK_EEXIST;
			}
		}
	}
	if (m->total + len - overlap > m->max_total)
		return OTK_ETOOBIG;

	if (i == j) {
		/* Nothing touches: a new region. */
		if (insert_slot(m, i) != OTK_OK)
			return OTK_ENOMEM;
		struct otk_memregion *r = &m->r[i];
		if (reserve(r, len) != OTK_OK) {
			remove_slots(m, i, 1);
			return OTK_ENOMEM;
		}
		memcpy(r->data, p, len);
		r->addr = addr;
		r->len = (uint32_t)len;
		m->total += len;
		m->last = i;
		return OTK_OK;
	}

	struct otk_memregion *first = &m->r[i];
	uint64_t nstart = first->addr < addr ? first->addr : addr;
	uint64_t nend = rend(&m->r[j - 1]) > end ? rend(&m->r[j - 1]) : end;
	size_t nlen = (size_t)(nend - nstart);
	if (nstart == first->addr) {
		/* Grow the first region in place and pull the others into it. */
		if (reserve(first, nlen) != OTK_OK)
			return OTK_ENOMEM;
	} else {
		/* Prepending: a fresh buffer with the first region moved up. */
		size_t cap = nlen < 4096 ? 4096 : nlen;
		uint8_t *d = malloc(cap);
		if (!d)
			return OTK_ENOMEM;
		memcpy(d + (first->addr - nstart), first->data, first->len);
		free(first->data);
		first->data = d;
		first->cap = cap;
	}
	for (size_t k = i + 1; k < j; k++) {
		memcpy(first->data + (m->r[k].addr - nstart), m->r[k].data, m->r[k].len);
		free(m->r[k].data);
	}
	/* Gaps between the old regions are all covered by the new data. */
	memcpy(first->data + (addr - nstart), p, len);
	first->addr = (uint32_t)nstart;
	first->len = (uint32_t)nlen;
	remove_slots(m, i + 1, j - i - 1);
	m->total += len - overlap;
	m->last = i;
	return OTK_OK;
}

int otk_memimage_write_owned(struct otk_memimage *m, uint32_t addr, uint8_t *buf, size_t len,
			     enum otk_memimage_mode mode, uint32_t *conflict)
{
	uint64_t end = (uint64_t)addr + len;
	size_t i = first_touching(m, addr);
	if (len == 0 || end > 0x100000000ull || len > UINT32_MAX ||
	    (i < m->n && m->r[i].addr <= end) || m->total + len > m->max_total) {
		/* touches other data, or an error: the ordinary path says which */
		int rc = otk_memimage_write(m, addr, buf, len, mode, conflict);
		free(buf);
		return rc;
	}
	if (insert_slot(m, i) != OTK_OK) {
		free(buf);
		return OTK_ENOMEM;
	}
	struct otk_memregion *r = &m->r[i];
	r->addr = addr;
	r->len = (uint32_t)len;
	r->data = buf;
	r->cap = len;
	m->total += len;
	m->last = i;
	return OTK_OK;
}

int otk_memimage_erase(struct otk_memimage *m, uint32_t addr, uint64_t len)
{
	uint64_t end = (uint64_t)addr + len;
	size_t i = first_touching(m, (uint64_t)addr + 1);
	while (i < m->n && m->r[i].addr < end) {
		struct otk_memregion *r = &m->r[i];
		uint64_t rs = r->addr, re = rend(r);
		if (re <= addr) {
			i++;
			continue;
		}
		if (rs >= addr && re <= end) {            /* whole region */
			m->total -= r->len;
			free(r->data);
			remove_slots(m, i, 1);
			continue;
		}
		if (rs < addr && re > end) {              /* middle: split */
			if (insert_slot(m, i + 1) != OTK_OK)
				return OTK_ENOMEM;
			r = &m->r[i];
			struct otk_memregion *t = &m->r[i + 1];
			size_t tl = (size_t)(re - end);
			if (reserve(t, tl) != OTK_OK) {
				remove_slots(m, i + 1, 1);
				return OTK_ENOMEM;
			}
			memcpy(t->data, r->data + (end - rs), tl);
			t->addr = (uint32_t)end;
			t->len = (uint32_t)tl;
			r->len = (uint32_t)(addr - rs);
			m->total -= len;
			break;
		}
		if (rs < addr) {                          /* tail */
			m->total -= re - addr;
			r->len = (uint32_t)(addr - rs);
			i++;
			continue;
		}
		/* head */
		size_t cut = (size_t)(end - rs);
		memmove(r->data, r->data + cut, r->len - cut);
		r->len -= (uint32_t)cut;
		r->addr = (uint32_t)end;
		m->total -= cut;
		break;
	}
	m->last = m->n;
	return OTK_OK;
}

int otk_memimage_merge(struct otk_memimage *dst, const struct otk_memimage *src,
		       enum otk_memimage_mode mode, uint32_t *conflict)
{
	for (size_t i = 0; i < src->n; i++) {
		int rc = otk_memimage_write(dst, src->r[i].addr, src->r[i].data, src->r[i].len,
					    mode, conflict);
		if (rc != OTK_OK)
			return rc;
	}
	return OTK_OK;
}

size_t otk_memimage_count(const struct otk_memimage *m)
{
	return m->n;
}

const struct otk_memregion *otk_memimage_region(const struct otk_memimage *m, size_t i)
{
	return i < m->n ? &m->r[i] : NULL;
}

long otk_memimage_find(const struct otk_memimage *m, uint32_t addr, uint32_t *avail)
{
	size_t i = first_touching(m, (uint64_t)addr + 1);
	if (i < m->n && m->r[i].addr <= addr) {
		if (avail)
			*avail = (uint32_t)(rend(&m->r[i]) - addr);
		return (long)i;
	}
	return -1;
}

bool otk_memimage_any(const struct otk_memimage *m, uint32_t addr, uint64_t len)
{
	if (len == 0)
		return false;
	size_t i = first_touching(m, (uint64_t)addr + 1);
	return i < m->n && m->r[i].addr < (uint64_t)addr + len;
}

/* --- module scan ---------------------------------------------------------- */

static const uint32_t prefix_offsets[] = { 0, 0x20, 0xC0, 0x10C, 0x184, 0x200 };

static bool is_prefix_offset(uint32_t d)
{
	for (size_t k = 0; k < sizeof prefix_offsets / sizeof prefix_offsets[0]; k++)
		if (prefix_offsets[k] == d)
			return true;
	return false;
}

/* Is there a module starting at region offset a?  Fills *im. */
static bool module_at(const struct otk_memregion *r, uint32_t a, struct otk_image_module *im)
{
	uint32_t start = r->addr + a;
	for (size_t k = 0; k < sizeof prefix_offsets / sizeof prefix_offsets[0]; k++) {
		uint32_t o = prefix_offsets[k];
		if ((uint64_t)a + o + OTK_PREFIX_SIZE > r->len)
			break;
		const uint8_t *pp = r->data + a + o;
		if (otk_le32(pp) != start)
			continue;
		uint32_t end = otk_le32(pp + 4);
		/* The module must be longer than its prefix and fit in the region. */
		if (end <= start || (uint64_t)end - start + 4 > r->len - a ||
		    end - start < o + OTK_PREFIX_SIZE + OTK_SUFFIX_MIN)
			continue;
		uint32_t size = end - start + 4;
		struct otk_module mod;
		if (otk_module_parse(r->data + a, size, &mod) != OTK_OK ||
		    mod.prefix_offset != o || mod.prefix.start != start)
			continue;
		uint32_t crc = otk_module_crc_compute(&mod);
		if (mod.prefix_score < OTK_PREFIX_SCORE_MAX && crc != mod.crc_stored)
			continue;
		im->addr = start;
		im->size = size;
		im->prefix_offset = o;
		im->prefix = mod.prefix;
		im->crc_stored = mod.crc_stored;
		im->crc_computed = crc;
		im->crc_ok = crc == mod.crc_stored;
		return true;
	}
	return false;
}

int otk_memimage_find_modules(const struct otk_memimage *m, struct otk_image_module **out,
			      size_t *n)
{
	struct otk_image_module *v = NULL;
	size_t count = 0, cap = 0;
	*out = NULL;
	*n = 0;
	for (size_t i = 0; i < m->n; i++) {
		const struct otk_memregion *r = &m->r[i];
		uint32_t next = 0;   /* region offset where the next module may start */
		if (r->len < 4)
			continue;
		/*
		 * A prefix holds its own start address: at every position p, a word
		 * w with (address of p) - w equal to a prefix offset names a
		 * candidate module starting at w.  One load and a compare per byte.
		 */
		for (uint32_t p = 0; p + 4 <= r->len; p++) {
			uint32_t w = otk_le32(r->data + p);
			uint32_t here = r->addr + p;
			if (w > here || here - w > 0x200 || w < r->addr)
				continue;
			uint32_t a = w - r->addr;
			if (a < next || !is_prefix_offset(here - w))
				continue;
			struct otk_image_module im;
			if (!module_at(r, a, &im))
				continue;
			if (count == cap) {
				cap = cap ? cap * 2 : 8;
				struct otk_image_module *nv = realloc(v, cap * sizeof *v);
				if (!nv) {
					free(v);
					return OTK_ENOMEM;
				}
				v = nv;
			}
			v[count++] = im;
			next = a + im.size;
			p = next - 1;
		}
	}
	*out = v;
	*n = count;
	return OTK_OK;
}
