/*
 * The device side of DFU 1.1 with ST's DfuSe extensions, as Particle
 * devices speak it in DFU mode (spec 04): an I/O-free state machine.  The
 * caller owns USB: it hands every class request of the DFU interface to
 * otk_dfuse_request() and sends back what it returns (IN data, or a stall
 * when the result is negative), then collects the actions (reset after
 * leave, safe mode) with otk_dfuse_take_actions().
 *
 * Each alternate setting is a memory region described by its DfuSe memory
 * string ("@Internal Flash /0x00000000/1*004Ka,47*004Kg"), whose first
 * address is byte 0 of a flash area.  The string's sectors give the erase
 * unit for the erase command and the permissions (a: read only, g: read,
 * erase, write, e: read and write without erase).
 *
 * Download: DNLOAD block 0 is a command (0x00 get commands, 0x21 set
 * address, 0x41 erase page, 0xFA enter safe mode); block n >= 2 writes at
 * (n - 2) * transfer size + address pointer; it is carried out at the next
 * GETSTATUS, which reports dfuDNBUSY once, then dfuDNLOAD-IDLE.  A
 * zero-length DNLOAD leaves: the GETSTATUS after it reports dfuMANIFEST and
 * the device resets (OTK_DFUSE_ACT_RESET).  Upload: block 0 lists the
 * commands, block n >= 2 reads from the same address formula.
 *
 * No heap, no stdio: all state in struct otk_dfuse, buffers from the caller.
 */
#ifndef OTK_DFUSE_H
#define OTK_DFUSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "otk/flash.h"

#ifdef __cplusplus
extern "C" {
#endif

/* DFU class requests (bRequest). */
enum otk_dfu_request {
	OTK_DFU_DETACH = 0,
	OTK_DFU_DNLOAD = 1,
	OTK_DFU_UPLOAD = 2,
	OTK_DFU_GETSTATUS = 3,
	OTK_DFU_CLRSTATUS = 4,
	OTK_DFU_GETSTATE = 5,
	OTK_DFU_ABORT = 6,
};

/* bState values of DFU 1.1. */
enum otk_dfu_state {
	OTK_DFU_APP_IDLE = 0,
	OTK_DFU_APP_DETACH = 1,
	OTK_DFU_IDLE = 2,
	OTK_DFU_DNLOAD_SYNC = 3,
	OTK_DFU_DNBUSY = 4,
	OTK_DFU_DNLOAD_IDLE = 5,
	OTK_DFU_MANIFEST_SYNC = 6,
	OTK_DFU_MANIFEST = 7,
	OTK_DFU_MANIFEST_WAIT_RESET = 8,
	OTK_DFU_UPLOAD_IDLE = 9,
	OTK_DFU_ERROR = 10,
};

/* bStatus values of DFU 1.1. */
enum otk_dfu_status {
	OTK_DFU_OK = 0,
	OTK_DFU_ERR_TARGET = 1,
	OTK_DFU_ERR_FILE = 2,
	OTK_DFU_ERR_WRITE = 3,
	OTK_DFU_ERR_ERASE = 4,
	OTK_DFU_ERR_CHECK_ERASED = 5,
	OTK_DFU_ERR_PROG = 6,
	OTK_DFU_ERR_VERIFY = 7,
	OTK_DFU_ERR_ADDRESS = 8,
	OTK_DFU_ERR_NOTDONE = 9,
	OTK_DFU_ERR_FIRMWARE = 10,
	OTK_DFU_ERR_VENDOR = 11,
	OTK_DFU_ERR_USBR = 12,
	OTK_DFU_ERR_POR = 13,
	OTK_DFU_ERR_UNKNOWN = 14,
	OTK_DFU_ERR_STALLEDPKT = 15,
};

/* DfuSe commands (first byte of a DNLOAD with wValue 0). */
enum otk_dfuse_command {
	OTK_DFUSE_CMD_GET = 0x00,
	OTK_DFUSE_CMD_SET_ADDRESS = 0x21,
	OTK_DFUSE_CMD_ERASE = 0x41,
	OTK_DFUSE_CMD_READ_UNPROTECT = 0x92,
	OTK_DFUSE_CMD_SAFE_MODE = 0xFA,       /* Particle */
	OTK_DFUSE_CMD_CLEAR_SECURITY = 0xFB,  /* Particle */
};

/* Actions for the caller once the reply of the last request is sent. */
#define OTK_DFUSE_ACT_RESET 0x1u      /* leave: reboot into the firmware */
#define OTK_DFUSE_ACT_SAFE_MODE 0x2u  /* 0xFA: reboot into safe mode */

#define OTK_DFUSE_XFER_SIZE 4096u     /* wTransferSize of Particle devices */

struct otk_dfuse_alt {
	const char *name;                 /* DfuSe memory string, starts with '@' */
	const struct otk_flash_area *fa;  /* byte 0 = the string's address */
};

struct otk_dfuse {
	const struct otk_dfuse_alt *alts;
	uint8_t nalts, alt;
	uint8_t state, status;
	uint32_t addr;                    /* address pointer */
	uint8_t *buf;                     /* pending download, cap >= xfer */
	size_t cap;
	uint16_t xfer;
	uint16_t pending_len, pending_block;
	unsigned actions;
};

/*
 * buf/cap holds one download block (cap >= xfer; xfer 0 means
 * OTK_DFUSE_XFER_SIZE).  OTK_EINVAL for bad arguments.
 */
int otk_dfuse_init(struct otk_dfuse *d, const struct otk_dfuse_alt *alts, uint8_t nalts,
		   uint16_t xfer, uint8_t *buf, size_t cap);

/* SET_INTERFACE: OTK_ERANGE for an alt setting that does not exist. */
int otk_dfuse_set_alt(struct otk_dfuse *d, uint8_t alt);

/*
 * One class request.  OUT requests pass their data in out/out_len; IN
 * requests get their answer in in/in_cap (wLength).  Returns the number of
 * IN bytes (0 for OUT requests), or a negative error when the request must
 * be stalled (the state is then dfuERROR with errSTALLEDPKT, as DFU 1.1
 * says).
 */
int otk_dfuse_request(struct otk_dfuse *d, uint8_t request, uint16_t value, const uint8_t *out,
		      uint16_t out_len, uint8_t *in, uint16_t in_cap);

/* The actions requested so far (OTK_DFUSE_ACT_*), cleared. */
unsigned otk_dfuse_take_actions(struct otk_dfuse *d);

/*
 * The sector of a memory string that holds addr: its start, size and
 * permission letter ('a'..'g').  OTK_ENOTFOUND outside the string's
 * sectors, OTK_EINVAL for a malformed string.
 */
int otk_dfuse_sector(const char *memstr, uint32_t addr, uint32_t *start, uint32_t *size,
		     char *perm);

#ifdef __cplusplus
}
#endif

#endif
