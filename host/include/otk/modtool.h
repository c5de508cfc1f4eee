/*
 * Host-side module transformations: compress, decompress, combine, split.
 * Outputs are malloc'd and handed to the caller, who frees them; nothing is
 * allocated on failure.  Results are byte-compatible with
 * binary-version-reader (apart from deflate bytes, which differ between zlib
 * builds: compare modules after inflating).
 */
#ifndef OTK_MODTOOL_H
#define OTK_MODTOOL_H

#include <stddef.h>
#include <stdint.h>

#include "otk/module.h"

#include "otk/limits.h"

/* Largest original size a compressed module may declare (both directions). */
#define OTK_DECOMPRESS_MAX OTK_LIMIT_MODULE_INFLATED

struct otk_compress_opts {
	int level;        /* zlib level 0..9; the reference tools use 6 */
	int window_bits;  /* 9..15; 15 is stored as 0 like the reference tools */
};

/*
 * Compress a single, uncompressed, uncombined module.  OTK_EUNSUPPORTED for a
 * module that is already compressed or combined, OTK_EINVAL for a module
 * whose size does not match its prefix or with DROP_MODULE_INFO and a vector
 * table, OTK_ETOOBIG when the data to deflate is over OTK_DECOMPRESS_MAX
 * (otk_module_decompress() would refuse the result), plus parse errors.
 */
int otk_module_compress(const uint8_t *in, size_t len, const struct otk_compress_opts *opts,
			uint8_t **out, size_t *out_len);

/*
 * Inflate a compressed module back to the module it was made from (with the
 * prefix, suffix, SHA and CRC restored for DROP_MODULE_INFO modules).
 * Errors: OTK_ENOTCOMPRESSED, OTK_EBADCOMPRESS, inflate errors, OTK_ETOOBIG
 * (declared size above OTK_DECOMPRESS_MAX), OTK_EOVERFLOW/OTK_ESHORT when the
 * data does not inflate to the declared size.
 */
int otk_module_decompress(const uint8_t *in, size_t len, uint8_t **out, size_t *out_len);

/*
 * Concatenate modules, setting COMBINED on all but the last and resealing
 * them.  Each input must be one whole, uncombined module.  OTK_ETOOBIG when
 * the result would be over OTK_LIMIT_FILE, the most a module file is read.
 */
int otk_module_combine(const uint8_t *const *mods, const size_t *lens, size_t n,
		       uint8_t **out, size_t *out_len);

/*
 * Split a combined module into parts with COMBINED cleared and resealed.
 * *parts is a malloc'd array of n malloc'd buffers; free with
 * otk_module_parts_free().  Up to max_parts parts (OTK_ERANGE beyond).
 */
struct otk_part {
	uint8_t *data;
	size_t len;
};
int otk_module_split(const uint8_t *in, size_t len, size_t max_parts,
		     struct otk_part **parts, size_t *n);
void otk_module_parts_free(struct otk_part *parts, size_t n);

#endif
