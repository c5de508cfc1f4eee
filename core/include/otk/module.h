/*
 * Particle module binaries: parsing, checking and writing.
 *
 * A module file is
 *   [vector table?][prefix 24 B][prefix extensions?][body][suffix][CRC-32 BE]
 * (see docs/module-format.md).  Everything here works on caller-owned
 * buffers, never allocates and never prints: it is part of the portable
 * core and also runs on devices.
 *
 * Parsing is zero-copy: struct otk_module records offsets into the buffer it
 * was parsed from, and extensions are read with an iterator over the TLV
 * region, so a suffix with hundreds of asset dependencies needs no storage.
 */
#ifndef OTK_MODULE_H
#define OTK_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/sha256.h"

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_PREFIX_SIZE 24u
#define OTK_SUFFIX_MIN 36u      /* reserved u16 + SHA-256 + suffix size u16 */
#define OTK_SUFFIX_PRODUCT 40u  /* OTK_SUFFIX_MIN + product id and version */
#define OTK_CRC_SIZE 4u
#define OTK_COMPRESS_HEADER_SIZE 8u
#define OTK_PREFIX_SEARCH_LIMIT 8192u

enum otk_module_function {
	OTK_FUNC_NONE = 0,
	OTK_FUNC_RESOURCE = 1,
	OTK_FUNC_BOOTLOADER = 2,
	OTK_FUNC_MONO = 3,
	OTK_FUNC_SYSTEM = 4,
	OTK_FUNC_USER = 5,
	OTK_FUNC_SETTINGS = 6,
	OTK_FUNC_NCP = 7,
	OTK_FUNC_RADIO_STACK = 8,
	OTK_FUNC_ASSET = 9,
};
#define OTK_FUNC_MAX OTK_FUNC_ASSET

enum otk_module_flag {
	OTK_FLAG_DROP_MODULE_INFO = 0x01,
	OTK_FLAG_COMPRESSED = 0x02,
	OTK_FLAG_COMBINED = 0x04,
	OTK_FLAG_ENCRYPTED = 0x08,
	OTK_FLAG_PREFIX_EXTENSIONS = 0x10,
};
#define OTK_FLAG_ALL 0x1Fu

enum otk_ext_type {
	OTK_EXT_END = 0x0000,
	OTK_EXT_PRODUCT_DATA = 0x0001,
	OTK_EXT_DYNAMIC_LOCATION = 0x0002,
	OTK_EXT_DEPENDENCY = 0x0003,
	OTK_EXT_HASH = 0x0010,
	OTK_EXT_NAME = 0x0011,
	OTK_EXT_ASSET_DEPENDENCY = 0x0012,
	OTK_EXT_SECURITY_MODE = 0x0013,
	OTK_EXT_ASSET_TYPE = 0x0014,
	OTK_EXT_INVALID = 0xFFFF,
};
#define OTK_EXT_HEADER_SIZE 4u

enum otk_asset_type {
	OTK_ASSET_DEFAULT = 0,
	OTK_ASSET_ENV_APP = 1,
	OTK_ASSET_ENV_SNAPSHOT = 2,
};

struct otk_dependency {
	uint8_t function;
	uint8_t index;
	uint16_t version;
};

/* The 24-byte module_info_t prefix, decoded. */
struct otk_prefix {
	uint32_t start;        /* address of the first byte of the file */
	uint32_t end;          /* address where the CRC starts */
	uint8_t reserved;      /* MCU target: 0 main MCU, else an NCP id */
	uint8_t flags;         /* enum otk_module_flag */
	uint16_t version;      /* module_version */
	uint16_t platform;
	uint8_t function;      /* enum otk_module_function */
	uint8_t index;
	struct otk_dependency dep[2];
};

void otk_prefix_decode(const uint8_t raw[OTK_PREFIX_SIZE], struct otk_prefix *p);
void otk_prefix_encode(const struct otk_prefix *p, uint8_t raw[OTK_PREFIX_SIZE]);

/*
 * Plausibility score of a prefix at `offset` of a buffer of `len` bytes,
 * computed exactly as binary-version-reader does: 0 = impossible (end not
 * after start, file shorter than the module, function none, a "none"
 * dependency with a non-zero index or version), else 1 plus one point each
 * for a known platform, known function, known dependency functions, exact
 * file size and known flags.  OTK_PREFIX_SCORE_MAX means every check passed.
 */
#define OTK_PREFIX_SCORE_MAX 7
int otk_prefix_score(const uint8_t *buf, size_t len, size_t offset);

/*
 * The usual prefix offsets, in the order the reference reader tries them
 * (0; 0x200 nRF52840/RTL872x vectors; 0x184 STM32F2; 0xC0, 0x10C).  The one
 * table for host and device: the inspector and the update engine pick the
 * same prefix for the same bytes.
 */
#define OTK_PREFIX_NOFFSETS 5u
extern const uint32_t otk_prefix_offsets[OTK_PREFIX_NOFFSETS];

/*
 * Where the prefix sits in a buffer: the reference reader's search (offsets
 * 0, 0x200, 0x184, 0xC0, 0x10C, then every 4 bytes up to
 * min(8192, len - 64)), first full score wins, else the best partial score.
 * Returns the offset, or -1 when no offset scores above zero.  *score gets
 * the winning score when score is not NULL.
 */
long otk_prefix_find(const uint8_t *buf, size_t len, int *score);

/* Problems found while parsing that do not prevent reading the module. */
enum otk_module_warning {
	OTK_WARN_PREFIX_GUESSED = 1u << 0,   /* prefix score below the maximum */
	OTK_WARN_TRAILING = 1u << 1,         /* bytes after the module (not combined) */
	OTK_WARN_SUFFIX_SIZE = 1u << 2,      /* suffix size does not fit the module */
	OTK_WARN_SHA_PAYLOAD = 1u << 3,      /* SHA-256 covers the payload only */
	OTK_WARN_SHA_MISMATCH = 1u << 4,     /* SHA-256 matches no known rule */
	OTK_WARN_EXT_TRUNCATED = 1u << 5,    /* an extension runs past its region */
	OTK_WARN_UNKNOWN_FLAGS = 1u << 6,
	OTK_WARN_UNKNOWN_PLATFORM = 1u << 7,
	OTK_WARN_UNKNOWN_FUNCTION = 1u << 8,
	OTK_WARN_COMBINED_LAST = 1u << 9,    /* last module still flagged combined */
	OTK_WARN_SUFFIX_NO_END = 1u << 10,   /* suffix extensions without END */
};

enum otk_sha_kind {
	OTK_SHA_STANDARD = 0,  /* SHA-256 of everything before the SHA field */
	OTK_SHA_PAYLOAD = 1,   /* create_module.py style: payload between prefix and suffix */
	OTK_SHA_OTHER = 2,     /* neither: not a digest of this module */
};

/*
 * One module parsed from a buffer.  Offsets are from the start of the
 * buffer given to otk_module_parse(); `size` is the module's own length
 * (end - start + 4), which is shorter than the buffer for the first parts of
 * a combined module.
 */
struct otk_module {
	const uint8_t *data;
	size_t buf_len;             /* bytes available in the buffer */
	uint32_t size;              /* this module's bytes: end - start + 4 */
	uint32_t prefix_offset;
	uint32_t prefix_size;       /* 24 + prefix extensions */
	int prefix_score;
	struct otk_prefix prefix;
	uint32_t pext_off, pext_end;/* prefix extension region, empty if none */
	uint16_t suffix_size;
	uint16_t suffix_reserved;
	uint32_t suffix_off;        /* size - 4 - suffix_size (when consistent) */
	uint32_t sext_off, sext_end;/* suffix extension region, empty if none */
	bool has_product;           /* suffix_size >= 40 */
	uint16_t product_id;
	uint16_t product_version;
	uint8_t sha_stored[OTK_SHA256_LEN];
	uint32_t crc_stored;
	uint32_t warnings;          /* enum otk_module_warning */
	/* bad extension: where, for error messages (0 when none) */
	uint32_t bad_ext_off;
};

/*
 * Parse the module at the start of buf.  Finds the prefix, reads the suffix
 * at the module's own end (so a combined module's first part and a file with
 * padding after the module are handled), and walks both extension regions
 * to check them.  Does not verify the CRC or SHA (see otk_module_check_*),
 * which lets a caller that only needs the header avoid reading the body.
 *
 * Returns OTK_OK with *m filled; on error *m holds what was parsed before
 * the problem (prefix fields once the prefix is found) and the code says
 * what is wrong: OTK_EEMPTY, OTK_ENOPREFIX, OTK_ETRUNCATED (the prefix asks
 * for more bytes than there are), OTK_EBADSUFFIX, OTK_EBADEXT (zero or short
 * extension length; m->bad_ext_off says where), OTK_ENOEXTEND.
 */
int otk_module_parse(const uint8_t *buf, size_t len, struct otk_module *m);

/* CRC-32 of the module's bytes before its CRC field. */
uint32_t otk_module_crc_compute(const struct otk_module *m);
/* Which rule the stored SHA-256 follows; computes the digest(s). */
enum otk_sha_kind otk_module_sha_check(const struct otk_module *m,
				       uint8_t computed[OTK_SHA256_LEN]);

/* Extension iteration over a TLV region of a parsed module. */
struct otk_ext {
	uint16_t type;
	uint16_t length;            /* including the 4-byte header */
	uint32_t offset;            /* of the header, from the buffer start */
	const uint8_t *body;
	uint16_t body_len;
};

struct otk_ext_iter {
	const uint8_t *base;
	uint32_t pos, end;
	bool done;
};

void otk_ext_iter_init(struct otk_ext_iter *it, const uint8_t *base,
		       uint32_t start, uint32_t end);
/* Prefix or suffix extensions of a parsed module. */
void otk_module_pext_iter(const struct otk_module *m, struct otk_ext_iter *it);
void otk_module_sext_iter(const struct otk_module *m, struct otk_ext_iter *it);
/*
 * Next extension: 1 and *e filled, 0 at the end (END, INVALID or the end of
 * the region; END itself is returned once before that), OTK_EBADEXT when a
 * length is below 4 or runs past the region.
 */
int otk_ext_next(struct otk_ext_iter *it, struct otk_ext *e);

/* Typed views of extension bodies; OTK_EBADEXT when the body is too short. */
struct otk_ext_asset {
	uint8_t hash_type;
	uint8_t hash_len;
	const uint8_t *hash;
	const char *name;           /* not NUL-terminated */
	uint16_t name_len;
};
int otk_ext_asset_dependency(const struct otk_ext *e, struct otk_ext_asset *a);
int otk_ext_hash(const struct otk_ext *e, struct otk_ext_asset *a); /* name empty */
struct otk_ext_dynloc {
	uint32_t module_start, dynalib_load, dynalib_ram;
};
int otk_ext_dynamic_location(const struct otk_ext *e, struct otk_ext_dynloc *d);
int otk_ext_product_data(const struct otk_ext *e, uint16_t *id, uint16_t *version);
int otk_ext_dependency(const struct otk_ext *e, struct otk_dependency *d, uint32_t *target);

/* Compression header of a compressed module (flag 0x02). */
struct otk_compress_header {
	uint16_t header_size;
	uint8_t method;             /* 0 = raw deflate */
	uint8_t window_bits;        /* as stored: 0 means 15 */
	uint32_t original_size;
	uint32_t data_off;          /* deflate data, from the buffer start */
	uint32_t data_len;
};
/* Reads and checks the header; OTK_ENOTCOMPRESSED or OTK_EBADCOMPRESS. */
int otk_module_compress_header(const struct otk_module *m, struct otk_compress_header *h);

/* Dependency semantics as Device OS applies them. */
bool otk_dependency_is_none(const struct otk_dependency *d);
/* d is satisfied by an installed module with that function and index. */
bool otk_dependency_satisfied_by(const struct otk_dependency *d, const struct otk_prefix *installed);

/* "system part", "user part", ...; "unknown" for anything else. */
const char *otk_function_name(uint8_t function);
/* Short names used on the command line and in JSON: "system", "user", ... */
const char *otk_function_short_name(uint8_t function);

/* --- writing --------------------------------------------------------- */

/*
 * Recompute the SHA-256 and then the CRC-32 of the module occupying
 * buf[0..size), in that order, as after any edit.  size >= 42.
 */
int otk_module_seal(uint8_t *buf, size_t size);

/* Append one TLV extension; returns bytes written or OTK_ENOSPC/OTK_ERANGE. */
long otk_ext_put(uint8_t *out, size_t cap, uint16_t type, const void *body, size_t body_len);
/* ASSET_DEPENDENCY (and HASH when name is NULL) with a SHA-256. */
long otk_ext_put_asset(uint8_t *out, size_t cap, uint16_t type,
		       const uint8_t hash[OTK_SHA256_LEN], const char *name, size_t name_len);
/* END with `pad` zero bytes. */
long otk_ext_put_end(uint8_t *out, size_t cap, size_t pad);

/*
 * Description of a module to build from a body.  The head (vector table or
 * vendor header, prefix_offset bytes) and the body are copied as given.
 */
struct otk_module_spec {
	struct otk_prefix prefix;    /* start and end are ignored/computed: end from the size */
	uint32_t start;
	const uint8_t *head;         /* prefix_offset bytes, may be NULL when 0 */
	uint32_t prefix_offset;
	const uint8_t *pext;         /* encoded prefix extensions including END, or NULL */
	uint32_t pext_len;
	const uint8_t *sext;         /* encoded suffix extensions placed before product data */
	uint32_t sext_len;
	bool product;                /* write the 4 product bytes (suffix >= 40) */
	uint16_t product_id;
	uint16_t product_version;
};

/*
 * Build a module into out[0..cap): layout as in the file comment, prefix
 * end address computed from the total size, SHA-256 and CRC-32 filled in.
 * *out_len gets the size.  OTK_ENOSPC when cap is too small, OTK_ETOOBIG
 * when the suffix would exceed 65535 bytes.
 */
int otk_module_build(const struct otk_module_spec *spec, const uint8_t *body, size_t body_len,
		     uint8_t *out, size_t cap, size_t *out_len);

/* Little-endian helpers used by every format reader in the project. */
static inline uint16_t otk_le16(const uint8_t *p) { return (uint16_t)(p[0] | (p[1] << 8)); }
static inline uint32_t otk_le32(const uint8_t *p)
{
	return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}
static inline uint32_t otk_be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | (uint32_t)p[3];
}
static inline void otk_put_le16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static inline void otk_put_le32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
}
static inline void otk_put_be32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16); p[2] = (uint8_t)(v >> 8); p[3] = (uint8_t)v;
}

#ifdef __cplusplus
}
#endif

#endif
