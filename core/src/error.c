#include "otk/error.h"

const char *otk_strerror(int err)
{
	switch (err) {
	case OTK_OK: return "success";
	case OTK_EINVAL: return "invalid argument";
	case OTK_ENOSPC: return "buffer too small";
	case OTK_ERANGE: return "value out of range";
	case OTK_EIO: return "input/output error";
	case OTK_ENOMEM: return "out of memory";
	case OTK_EUNSUPPORTED: return "unsupported";
	case OTK_ENOTFOUND: return "not found";
	case OTK_EEXIST: return "already exists";
	case OTK_EEMPTY: return "file is empty";
	case OTK_ETRUNCATED: return "file is truncated";
	case OTK_ENOPREFIX: return "no module prefix found";
	case OTK_EBADPREFIX: return "invalid module prefix";
	case OTK_EBADSUFFIX: return "invalid module suffix";
	case OTK_EBADEXT: return "invalid extension";
	case OTK_ENOEXTEND: return "prefix extensions do not end with an END extension";
	case OTK_ECRC: return "CRC mismatch";
	case OTK_ESHA: return "SHA-256 mismatch";
	case OTK_EBADCOMPRESS: return "invalid compression header";
	case OTK_ENOTCOMPRESSED: return "module is not compressed";
	case OTK_ENOTCOMBINED: return "module is not combined";
	case OTK_ETOOBIG: return "result too large";
	case OTK_EINFLATE: return "corrupt deflate data";
	case OTK_EWINDOW: return "deflate distance exceeds the window";
	case OTK_EOVERFLOW: return "inflated data exceeds the declared size";
	case OTK_ESHORT: return "deflate data ends early";
	case OTK_EUPD_INTEGRITY: return "update image is corrupt (SHA-256, CRC or deflate)";
	case OTK_EUPD_DEPENDENCY: return "update dependencies not met";
	case OTK_EUPD_RANGE: return "update module address outside its area";
	case OTK_EUPD_PLATFORM: return "update built for another platform";
	case OTK_EUPD_TOOLARGE: return "update too large for its area";
	case OTK_EUPD_STATE: return "no update in progress";
	case OTK_EUPD_INCOMPLETE: return "update data incomplete";
	case OTK_EUPD_DOWNGRADE: return "Device OS downgrade not allowed";
	case OTK_EUPD_UNSUPPORTED: return "update module kind not supported";
	case OTK_EUPD_BUSY: return "an update is waiting to be applied at reboot";
	case OTK_EUPD_GAP: return "update data out of order";
	case OTK_EUPD_WINDOW: return "update chunk beyond the receive window";
	case OTK_EUPD_UNALIGNED: return "update chunk not on a chunk boundary or of the wrong length";
	case OTK_EUPD_SIZE: return "update size invalid";
	case OTK_EUPD_COPY: return "copying the update into place failed";
	case OTK_EASSET_NOSPC: return "asset storage full";
	case OTK_EASSET_TOOBIG: return "asset too large for the asset storage";
	case OTK_EASSET_INVALID: return "invalid asset module";
	case OTK_EASSET_EOF: return "end of asset";
	case OTK_EASSET_MISSING: return "required asset missing";
	case OTK_EASSET_NAME: return "asset name empty or too long";
	case OTK_EASSET_STAGING: return "asset too large to stage without overwriting the asset storage";
	case OTK_ECOAP_FORMAT: return "malformed CoAP message";
	case OTK_ECOAP_BUSY: return "a confirmable CoAP message is outstanding";
	case OTK_ECOAP_TIMEOUT: return "CoAP message not acknowledged";
	case OTK_EDTLS_FORMAT: return "malformed DTLS message";
	case OTK_EDTLS_ALERT: return "DTLS peer sent a fatal alert";
	case OTK_EDTLS_REFUSED: return "DTLS handshake refused";
	case OTK_EDTLS_UNKNOWN_KEY: return "DTLS peer key not provisioned";
	case OTK_EDTLS_DECRYPT: return "DTLS record failed authentication";
	case OTK_EYMODEM_CANCELLED: return "transfer cancelled";
	case OTK_EYMODEM_ERRORS: return "too many transfer errors in a row";
	case OTK_EYMODEM_SEQUENCE: return "packet out of sequence";
	case OTK_EYMODEM_HEADER: return "header packet without a file size";
	}
	return "unknown error";
}

bool otk_error_is_io(int err)
{
	return err == OTK_EIO;
}

bool otk_error_is_data(int err)
{
	switch (err) {
	case OTK_EEMPTY: case OTK_ETRUNCATED: case OTK_ENOPREFIX: case OTK_EBADPREFIX:
	case OTK_EBADSUFFIX: case OTK_EBADEXT: case OTK_ENOEXTEND: case OTK_ECRC: case OTK_ESHA:
	case OTK_EBADCOMPRESS: case OTK_ENOTCOMPRESSED: case OTK_ENOTCOMBINED: case OTK_ETOOBIG:
	case OTK_EINFLATE: case OTK_EWINDOW: case OTK_EOVERFLOW: case OTK_ESHORT:
	case OTK_EUPD_INTEGRITY: case OTK_EUPD_DEPENDENCY: case OTK_EUPD_RANGE:
	case OTK_EUPD_PLATFORM: case OTK_EUPD_TOOLARGE: case OTK_EUPD_DOWNGRADE:
	case OTK_EUPD_UNSUPPORTED:
	case OTK_EASSET_TOOBIG: case OTK_EASSET_INVALID: case OTK_EASSET_NAME:
	case OTK_EASSET_STAGING: case OTK_ECOAP_FORMAT: case OTK_EDTLS_FORMAT:
		return true;
	default:
		return false;
	}
}
