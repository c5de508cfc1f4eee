/* Sparse memory image (see otk/memimage.h and docs/hex.md). */
#include "otk/memimage.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"

/*
 * Storage.  Regions live in blocks of at most BLOCK_MAX entries, kept in
 * address order, so inserting or removing one region moves at most a block;
 * a Fenwick tree over the blocks' region counts turns a region index into
 * its block in O(log n) and is updated in O(log n) (rebuilt in O(blocks)
 * only when a block is split, emptied or joined, once per ~BLOCK_MAX/2
 * changes).  Records in any order (descending, or alternating between far
 * addresses) therefore cost O(BLOCK_MAX + log n) each, not O(n).
 *
 * Memory.  Everything allocated is counted in m->alloc and checked against
 * m->max_total before it is allocated: data buffers with their slack, a
 * fixed REGION_COST per region (its slot and the allocator's header) and the
 * block tables.  A region gets exactly its first write's bytes, then grows
 * by doubling at either end (front slack for records that arrive in
 * descending order), never beyond what the cap leaves.
 */
#define BLOCK_MAX 128
#define REGION_COST (sizeof(struct otk_memregion) + 32u)

struct otk_memblock {
	struct otk_memregion *r;
	size_t n, cap;
};

void otk_memimage_init(struct otk_memimage *m)
{
	memset(m, 0, sizeof *m);
	m->max_total = OTK_MEMIMAGE_MAX_DEFAULT;
}

static void free_region(struct otk_memregion *r)
{
	free(r->data ? r->data - r->front : NULL);
}

void otk_memimage_deinit(struct otk_memimage *m)
{
	for (size_t b = 0; b < m->nblk; b++) {
		for (size_t k = 0; k < m->blk[b].n; k++)
			free_region(&m->blk[b].r[k]);
		free(m->blk[b].r);
	}
	free(m->blk);
	free(m->fen);
	memset(m, 0, sizeof *m);
}

static uint64_t rend(const struct otk_memregion *r)
{
	return (uint64_t)r->addr + r->len;
}

/* Count delta more bytes against the cap; OTK_ETOOBIG when over. */
static int charge(struct otk_memimage *m, uint64_t delta)
{
	if (m->alloc + delta > m->max_total)
		return OTK_ETOOBIG;
	m->alloc += delta;
	return OTK_OK;
}

static void uncharge(struct otk_memimage *m, uint64_t delta)
{
	m->alloc = delta > m->alloc ? 0 : m->alloc - delta;
}

/* --- Fenwick tree of block sizes: fen[i - 1] covers blocks (i - lowbit(i), i]. */

static void fen_rebuild(struct otk_memimage *m)
{
	for (size_t i = 0; i < m->nblk; i++)
		m->fen[i] = m->blk[i].n;
	for (size_t i = 1; i <= m->nblk; i++) {
		size_t up = i + (i & (~i + 1));
		if (up <= m->nblk)
			m->fen[up - 1] += m->fen[i - 1];
	}
}

/* Block b gained (or, with sub, lost) delta regions. */
static void fen_add(struct otk_memimage *m, size_t b, size_t delta, bool sub)
{
	for (size_t i = b + 1; i <= m->nblk; i += i & (~i + 1))
		m->fen[i - 1] = sub ? m->fen[i - 1] - delta : m->fen[i - 1] + delta;
}

/* Regions in the blocks before block b. */
static size_t fen_prefix(const struct otk_memimage *m, size_t b)
{
	size_t sum = 0;
	for (size_t i = b; i > 0; i -= i & (~i + 1))
		sum += m->fen[i - 1];
	return sum;
}

/* Block holding region index i (< m->n); *before gets fen_prefix() of it. */
static size_t block_of(const struct otk_memimage *m, size_t i, size_t *before)
{
	size_t pos = 0, rem = i, step = 1;
	while (step * 2 <= m->nblk)
		step *= 2;
	for (; step; step /= 2) {
		if (pos + step <= m->nblk && m->fen[pos + step - 1] <= rem) {
			pos += step;
			rem -= m->fen[pos - 1];
		}
	}
	*before = i - rem;
	return pos;
}

static struct otk_memregion *at(const struct otk_memimage *m, size_t i)
{
	size_t before;
	size_t b = block_of(m, i, &before);
	return &m->blk[b].r[i - before];
}

/* A new empty block at index b of the block table (the tree is the caller's). */
static int add_block(struct otk_memimage *m, size_t b, size_t cap)
{
	if (m->nblk == m->blkcap) {
		size_t nc = m->blkcap ? m->blkcap * 2 : 4;
		size_t grow = (nc - m->blkcap) * (sizeof *m->blk + sizeof *m->fen);
		if (charge(m, grow) != OTK_OK)
			return OTK_ETOOBIG;
		struct otk_memblock *nb = realloc(m->blk, nc * sizeof *nb);
		if (nb)
			m->blk = nb;
		size_t *nf = nb ? realloc(m->fen, nc * sizeof *nf) : NULL;
		if (!nf) {
			uncharge(m, grow);
			return OTK_ENOMEM;
		}
		m->fen = nf;
		m->blkcap = nc;
	}
	if (charge(m, cap * sizeof(struct otk_memregion)) != OTK_OK)
		return OTK_ETOOBIG;
	struct otk_memregion *r = malloc(cap * sizeof *r);
	if (!r) {
		uncharge(m, cap * sizeof *r);
		return OTK_ENOMEM;
	}
	memmove(&m->blk[b + 1], &m->blk[b], (m->nblk - b) * sizeof *m->blk);
	m->blk[b] = (struct otk_memblock){ .r = r, .n = 0, .cap = cap };
	m->nblk++;
	return OTK_OK;
}

static void drop_block(struct otk_memimage *m, size_t b)
{
	uncharge(m, m->blk[b].cap * sizeof(struct otk_memregion));
	free(m->blk[b].r);
	memmove(&m->blk[b], &m->blk[b + 1], (m->nblk - b - 1) * sizeof *m->blk);
	m->nblk--;
}

/*
 * A zeroed region slot at index at (<= m->n), REGION_COST charged.  Only
 * the table moves: earlier pointers from at() are invalid afterwards.
 */
static int insert_slot(struct otk_memimage *m, size_t at_index)
{
	if (charge(m, REGION_COST) != OTK_OK)
		return OTK_ETOOBIG;
	int rc = OTK_OK;
	if (m->nblk == 0) {
		if ((rc = add_block(m, 0, 8)) != OTK_OK)
			goto fail;
		fen_rebuild(m);
	}
	size_t before;
	size_t b = at_index == m->n ? m->nblk - 1 : block_of(m, at_index, &before);
	if (at_index == m->n)
		before = m->n - m->blk[b].n;
	struct otk_memblock *blk = &m->blk[b];
	if (blk->n == blk->cap && blk->cap < BLOCK_MAX) {
		size_t nc = blk->cap * 2;
		if ((rc = charge(m, (nc - blk->cap) * sizeof *blk->r)) != OTK_OK)
			goto fail;
		struct otk_memregion *nr = realloc(blk->r, nc * sizeof *nr);
		if (!nr) {
			uncharge(m, (nc - blk->cap) * sizeof *blk->r);
			rc = OTK_ENOMEM;
			goto fail;
		}
		blk->r = nr;
		blk->cap = nc;
	}
	if (blk->n == blk->cap) {
		/* Full: split it in two halves. */
		if ((rc = add_block(m, b + 1, BLOCK_MAX)) != OTK_OK)
			goto fail;
		blk = &m->blk[b];
		struct otk_memblock *nb = &m->blk[b + 1];
		size_t half = blk->n / 2;
		memcpy(nb->r, blk->r + half, (blk->n - half) * sizeof *blk->r);
		nb->n = blk->n - half;
		blk->n = half;
		fen_rebuild(m);
		if (at_index > before + half) {
			b++;
			before += half;
			blk = nb;
		}
	}
	size_t k = at_index - before;
	memmove(&blk->r[k + 1], &blk->r[k], (blk->n - k) * sizeof *blk->r);
	memset(&blk->r[k], 0, sizeof *blk->r);
	blk->n++;
	m->n++;
	fen_add(m, b, 1, false);
	return OTK_OK;
fail:
	uncharge(m, REGION_COST);
	return rc;
}

/* Forget count region slots from index at (their data is the caller's). */
static void remove_slots(struct otk_memimage *m, size_t at_index, size_t count)
{
	if (count == 0)
		return;
	size_t before;
	size_t b = block_of(m, at_index, &before);
	size_t k = at_index - before;
	size_t first = b;
	bool rebuild = false;
	uncharge(m, count * REGION_COST);
	m->n -= count;
	/* The slots are contiguous: the rest of block b, then whole blocks. */
	while (count) {
		struct otk_memblock *blk = &m->blk[b];
		size_t take = blk->n - k < count ? blk->n - k : count;
		memmove(&blk->r[k], &blk->r[k + take], (blk->n - k - take) * sizeof *blk->r);
		blk->n -= take;
		count -= take;
		if (blk->n == 0) {
			drop_block(m, b);
			rebuild = true;
		} else {
			if (!rebuild)
				fen_add(m, b, take, true);
			b++;
		}
		k = 0;
	}
	/* Keep neighbours from staying small: join a pair that fits in half a block. */
	if (first > 0)
		first--;
	for (size_t c = first; c + 1 < m->nblk && c <= first + 1;) {
		struct otk_memblock *x = &m->blk[c], *y = &m->blk[c + 1];
		if (x->n + y->n <= BLOCK_MAX / 2 && x->n + y->n <= x->cap) {
			memcpy(x->r + x->n, y->r, y->n * sizeof *y->r);
			x->n += y->n;
			drop_block(m, c + 1);
			rebuild = true;
			continue;
		}
		c++;
	}
	if (rebuild)
		fen_rebuild(m);
}

/* First region whose end is >= addr (touching or after), m->n when none. */
static size_t first_touching(const struct otk_memimage *m, uint64_t addr)
{
	size_t lo = 0, hi = m->nblk;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		const struct otk_memblock *b = &m->blk[mid];
		if (rend(&b->r[b->n - 1]) < addr)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == m->nblk)
		return m->n;
	const struct otk_memblock *b = &m->blk[lo];
	size_t before = fen_prefix(m, lo);
	size_t l = 0, h = b->n;
	while (l < h) {
		size_t mid = l + (h - l) / 2;
		if (rend(&b->r[mid]) < addr)
			l = mid + 1;
		else
			h = mid;
	}
	return before + l;
}

/* Make room for at least need bytes from r->data (doubling, within the cap). */
static int reserve(struct otk_memimage *m, struct otk_memregion *r, size_t need)
{
	if (need <= r->cap)
		return OTK_OK;
	size_t cap = r->cap ? r->cap : 16;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	/* Near the cap, grow only as far as it allows. */
	uint64_t room = m->max_total > m->alloc ? m->max_total - m->alloc : 0;
	if (cap - r->cap > room)
		cap = need - r->cap <= room ? r->cap + (size_t)room : need;
	if (charge(m, cap - r->cap) != OTK_OK)
		return OTK_ETOOBIG;
	uint8_t *d = realloc(r->data ? r->data - r->front : NULL, r->front + cap);
	if (!d) {
		uncharge(m, cap - r->cap);
		return OTK_ENOMEM;
	}
	r->data = d + r->front;
	r->cap = cap;
	return OTK_OK;
}

/* Make room for k more bytes before r->data, moving the data pointer down. */
static int reserve_front(struct otk_memimage *m, struct otk_memregion *r, size_t k)
{
	if (k <= r->front) {
		r->data -= k;
		r->front -= k;
		r->cap += k;
		return OTK_OK;
	}
	/* New front slack as large as the region (doubling), within the cap. */
	size_t slack = (size_t)r->len + k;
	uint64_t room = m->max_total > m->alloc ? m->max_total - m->alloc : 0;
	if (slack + k > room + r->front)
		slack = 0;
	size_t size = slack + k + r->cap;
	uint64_t old = r->front + r->cap;
	if (charge(m, size > old ? size - old : 0) != OTK_OK)
		return OTK_ETOOBIG;
	uint8_t *d = malloc(size);
	if (!d) {
		uncharge(m, size > old ? size - old : 0);
		return OTK_ENOMEM;
	}
	memcpy(d + slack + k, r->data, r->len);
	free_region(r);
	if (old > size)
		uncharge(m, old - size);
	r->data = d + slack;
	r->front = slack;
	r->cap += k;
	return OTK_OK;
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
		struct otk_memregion *r = at(m, m->last);
		if (rend(r) == addr && (m->last + 1 == m->n || at(m, m->last + 1)->addr > end)) {
			int rc = reserve(m, r, (size_t)r->len + len);
			if (rc != OTK_OK)
				return rc;
			memcpy(r->data + r->len, p, len);
			r->len += (uint32_t)len;
			m->total += len;
			return OTK_OK;
		}
	}

	size_t i = first_touching(m, addr), j = i;
	/* j: one past the last region that starts at or before end (touching). */
	while (j < m->n && at(m, j)->addr <= end)
		j++;

	/* Conflicts and the growth in bytes held. */
	uint64_t overlap = 0;
	for (size_t k = i; k < j; k++) {
		const struct otk_memregion *r = at(m, k);
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

	if (i == j) {
		/* Nothing touches: a new region of exactly len bytes. */
		int rc = insert_slot(m, i);
		if (rc != OTK_OK)
			return rc;
		struct otk_memregion *r = at(m, i);
		if ((rc = reserve(m, r, len)) != OTK_OK) {
			remove_slots(m, i, 1);
			return rc;
		}
		memcpy(r->data, p, len);
		r->addr = addr;
		r->len = (uint32_t)len;
		m->total += len;
		m->last = i;
		return OTK_OK;
	}

	struct otk_memregion *first = at(m, i);
	uint64_t nstart = first->addr < addr ? first->addr : addr;
	uint64_t lastend = rend(at(m, j - 1));
	uint64_t nend = lastend > end ? lastend : end;
	size_t nlen = (size_t)(nend - nstart);
	int rc;
	if (nstart < first->addr &&
	    (rc = reserve_front(m, first, (size_t)(first->addr - nstart))) != OTK_OK)
		return rc;
	/* first->data now starts at nstart (the new front bytes are filled below) */
	if ((rc = reserve(m, first, nlen)) != OTK_OK) {
		/* undo the front move: nothing was written yet */
		size_t back = (size_t)(first->addr - nstart);
		first->data += back;
		first->front += back;
		first->cap -= back;
		return rc;
	}
	for (size_t k = i + 1; k < j; k++) {
		struct otk_memregion *r = at(m, k);
		memcpy(first->data + (r->addr - nstart), r->data, r->len);
		uncharge(m, r->front + r->cap);
		free_region(r);
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
	    (i < m->n && at(m, i)->addr <= end) || m->alloc + len + REGION_COST > m->max_total) {
		/* touches other data, or an error: the ordinary path says which */
		int rc = otk_memimage_write(m, addr, buf, len, mode, conflict);
		free(buf);
		return rc;
	}
	int rc = insert_slot(m, i);
	if (rc != OTK_OK) {
		free(buf);
		return rc;
	}
	if ((rc = charge(m, len)) != OTK_OK) {
		remove_slots(m, i, 1);
		free(buf);
		return rc;
	}
	struct otk_memregion *r = at(m, i);
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
	while (i < m->n && at(m, i)->addr < end) {
		struct otk_memregion *r = at(m, i);
		uint64_t rs = r->addr, re = rend(r);
		if (re <= addr) {
			i++;
			continue;
		}
		if (rs >= addr && re <= end) {            /* whole region */
			m->total -= r->len;
			uncharge(m, r->front + r->cap);
			free_region(r);
			remove_slots(m, i, 1);
			continue;
		}
		if (rs < addr && re > end) {              /* middle: split */
			int rc = insert_slot(m, i + 1);
			if (rc != OTK_OK)
				return rc;
			r = at(m, i);
			struct otk_memregion *t = at(m, i + 1);
			size_t tl = (size_t)(re - end);
			if ((rc = reserve(m, t, tl)) != OTK_OK) {
				remove_slots(m, i + 1, 1);
				return rc;
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
		/* head: the cut bytes become front slack */
		size_t cut = (size_t)(end - rs);
		r->data += cut;
		r->front += cut;
		r->cap -= cut;
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
		const struct otk_memregion *r = at(src, i);
		int rc = otk_memimage_write(dst, r->addr, r->data, r->len, mode, conflict);
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
	return i < m->n ? at(m, i) : NULL;
}

long otk_memimage_find(const struct otk_memimage *m, uint32_t addr, uint32_t *avail)
{
	size_t i = first_touching(m, (uint64_t)addr + 1);
	if (i < m->n && at(m, i)->addr <= addr) {
		if (avail)
			*avail = (uint32_t)(rend(at(m, i)) - addr);
		return (long)i;
	}
	return -1;
}

bool otk_memimage_any(const struct otk_memimage *m, uint32_t addr, uint64_t len)
{
	if (len == 0)
		return false;
	size_t i = first_touching(m, (uint64_t)addr + 1);
	return i < m->n && at(m, i)->addr < (uint64_t)addr + len;
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
		const struct otk_memregion *r = at(m, i);
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
