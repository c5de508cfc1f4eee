/*
 * otakit error codes.
 *
 * One enum for the whole project: OTK_OK is zero, failures are negative.
 * Codes are never renumbered once released; add new ones at the end of
 * their group.  otk_strerror() gives a short English description that the
 * CLI combines with the file name and the details it knows.
 */
#ifndef OTK_ERROR_H
#define OTK_ERROR_H

#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

enum otk_error {
	OTK_OK = 0,

	/* generic */
	OTK_EINVAL = -1,      /* invalid argument */
	OTK_ENOSPC = -2,      /* output buffer too small */
	OTK_ERANGE = -3,      /* value out of range */
	OTK_EIO = -4,         /* read or write failed */
	OTK_ENOMEM = -5,      /* out of memory (host code only) */
	OTK_EUNSUPPORTED = -6,/* valid but unsupported input */
	OTK_ENOTFOUND = -7,   /* no such item */
	OTK_EEXIST = -8,      /* item already exists */

	/* module format */
	OTK_EEMPTY = -20,         /* file is empty */
	OTK_ETRUNCATED = -21,     /* file shorter than its prefix says */
	OTK_ENOPREFIX = -22,      /* no plausible module prefix found */
	OTK_EBADPREFIX = -23,     /* prefix fields inconsistent */
	OTK_EBADSUFFIX = -24,     /* suffix size inconsistent with the file */
	OTK_EBADEXT = -25,        /* malformed TLV extension */
	OTK_ENOEXTEND = -26,      /* prefix extensions without END */
	OTK_ECRC = -27,           /* CRC-32 mismatch */
	OTK_ESHA = -28,           /* SHA-256 mismatch */
	OTK_EBADCOMPRESS = -29,   /* malformed compression header */
	OTK_ENOTCOMPRESSED = -30, /* module is not compressed */
	OTK_ENOTCOMBINED = -31,   /* module is not combined */
	OTK_ETOOBIG = -32,        /* result exceeds a format limit */

	/* inflate */
	OTK_EINFLATE = -40,       /* corrupt deflate stream */
	OTK_EWINDOW = -41,        /* back-reference beyond the window */
	OTK_EOVERFLOW = -42,      /* more output than declared */
	OTK_ESHORT = -43,         /* stream ended before its final block */

	/* device update and boot */
	OTK_EUPD_INTEGRITY = -60, /* received image fails its SHA-256, CRC or inflate check */
	OTK_EUPD_DEPENDENCY = -61,/* module dependencies not met */
	OTK_EUPD_RANGE = -62,     /* module address outside the area for its function */
	OTK_EUPD_PLATFORM = -63,  /* module built for another platform */
	OTK_EUPD_TOOLARGE = -64,  /* file or module larger than its area */
	OTK_EUPD_STATE = -65,     /* no update in progress, or call out of order */
	OTK_EUPD_INCOMPLETE = -66,/* finish before all bytes arrived */
	OTK_EUPD_DOWNGRADE = -67, /* Device OS downgrade refused by policy */
	OTK_EUPD_UNSUPPORTED = -68,/* module kind this device cannot install */
	OTK_EUPD_BUSY = -69,      /* an applied update is waiting for a reboot */
	OTK_EUPD_GAP = -70,       /* data beyond the contiguous received prefix */
	OTK_EUPD_SIZE = -71,      /* file size zero, or data past the file size */
	OTK_EUPD_COPY = -72,      /* copying an update into place failed verification */
	OTK_EUPD_WINDOW = -73,    /* chunk beyond the receive window */
	OTK_EUPD_UNALIGNED = -74, /* chunk not on a chunk boundary, or of the wrong length */

	/* asset storage and asset API */
	OTK_EASSET_NOSPC = -80,   /* asset storage full */
	OTK_EASSET_TOOBIG = -81,  /* asset module larger than the storage accepts */
	OTK_EASSET_INVALID = -82, /* asset module fails its checks */
	OTK_EASSET_EOF = -83,     /* read past the end of an asset */
	OTK_EASSET_MISSING = -84, /* a required asset is not stored */
	OTK_EASSET_NAME = -85,    /* asset name empty or too long */
	OTK_EASSET_STAGING = -86, /* asset module cannot be staged without overwriting the asset storage */

	/* transport: CoAP and DTLS */
	OTK_ECOAP_FORMAT = -100,  /* malformed CoAP message */
	OTK_ECOAP_BUSY = -101,    /* a confirmable message is still outstanding */
	OTK_ECOAP_TIMEOUT = -102, /* confirmable message not acknowledged in time */
	OTK_EDTLS_FORMAT = -110,  /* malformed DTLS record or handshake message */
	OTK_EDTLS_ALERT = -111,   /* the peer sent a fatal alert */
	OTK_EDTLS_REFUSED = -112, /* handshake outside the profile, or bad signature */
	OTK_EDTLS_UNKNOWN_KEY = -113, /* the peer's public key is not provisioned */
	OTK_EDTLS_DECRYPT = -114, /* record failed authentication */
	/* serial (YMODEM) */
	OTK_EYMODEM_CANCELLED = -140, /* the other side cancelled the transfer */
	OTK_EYMODEM_ERRORS = -141,    /* too many errors or timeouts in a row */
	OTK_EYMODEM_SEQUENCE = -142,  /* packet out of sequence */
	OTK_EYMODEM_HEADER = -143,    /* header packet without a usable file size */
};

/* A short description of an otakit error code, never NULL. */
const char *otk_strerror(int err);

/*
 * Error classes, so callers decide by meaning and not by numeric ranges.
 *   io    the storage failed (a flash driver's OTK_EIO): may pass, retry
 *   data  the input itself is wrong (format, checksum, inflate, platform,
 *         range, dependency, policy, asset checks): the same bytes fail again
 */
bool otk_error_is_io(int err);
bool otk_error_is_data(int err);

#ifdef __cplusplus
}
#endif

#endif
