/*
 * Particle's USB control requests, device side: the service-request layer
 * (INIT / CHECK / SEND / RECV / RESET, at most OTK_CTRL_MAX_ACTIVE requests
 * at once) and the simple vendor request 0x50, as an I/O-free state
 * machine.  The caller owns USB: every vendor control request of endpoint 0
 * goes to otk_ctrl_setup(), whose result is the IN data length or, when
 * negative, a stall.
 *
 * A request whose payload has fully arrived (at INIT when it has none, else
 * at the SEND that completes it) is handed to ops->handle with its type;
 * the handler's reply payload and result code (0, or a negative Device OS
 * system error such as OTK_CTRL_NOT_SUPPORTED) are then announced by CHECK
 * and read by RECV.  Payload encoding (protobuf) is the handler's business.
 *
 * Service reply: u32 field flags, u16 status, then u16 id, u32 size and
 * i32 result when their flags are set (all little-endian).
 *
 * No heap, no stdio: request buffers come from the caller (one per slot).
 */
#ifndef OTK_CTRL_H
#define OTK_CTRL_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define OTK_CTRL_MAX_ACTIVE 4
#define OTK_CTRL_REPLY_MIN 64       /* wLength of INIT, CHECK and RESET */

enum otk_ctrl_service {
	OTK_CTRL_INIT = 1,
	OTK_CTRL_CHECK = 2,
	OTK_CTRL_SEND = 3,
	OTK_CTRL_RECV = 4,
	OTK_CTRL_RESET = 5,
	OTK_CTRL_SIMPLE = 0x50,       /* 'P' */
};

enum otk_ctrl_status {
	OTK_CTRL_OK = 0,
	OTK_CTRL_ERROR = 1,
	OTK_CTRL_PENDING = 2,
	OTK_CTRL_BUSY = 3,
	OTK_CTRL_NO_MEMORY = 4,
	OTK_CTRL_NOT_FOUND = 5,
};

#define OTK_CTRL_FLAG_STATUS 0x01u
#define OTK_CTRL_FLAG_ID 0x02u
#define OTK_CTRL_FLAG_SIZE 0x04u
#define OTK_CTRL_FLAG_RESULT 0x08u

/* Device OS system error codes that handlers answer with. */
#define OTK_CTRL_RESULT_OK 0
#define OTK_CTRL_NOT_SUPPORTED (-120)
#define OTK_CTRL_INVALID_ARGUMENT (-270)
#define OTK_CTRL_INVALID_STATE (-210)
#define OTK_CTRL_NOT_FOUND_RESULT (-170)

struct otk_ctrl_ops {
	/*
	 * Serves a complete request: payload req/req_len, reply into rep
	 * (capacity rep_cap), its length in *rep_len.  Returns the result code.
	 */
	int32_t (*handle)(void *ctx, uint16_t type, const uint8_t *req, size_t req_len, uint8_t *rep,
			  size_t rep_cap, size_t *rep_len);
	/*
	 * The simple request 0x50 with wIndex = type: the answer's length in
	 * `in` (text), or a negative value to stall.
	 */
	int (*simple)(void *ctx, uint16_t type, uint8_t *in, size_t cap);
};

struct otk_ctrl_slot {
	uint16_t id;                  /* 0: free */
	uint16_t type;
	uint8_t done;                 /* the handler has run */
	uint32_t size, got;           /* request payload: declared, received */
	uint32_t rep_size, sent;      /* reply payload: length, read so far */
	int32_t result;
	uint8_t *buf;
};

struct otk_ctrl {
	struct otk_ctrl_slot slot[OTK_CTRL_MAX_ACTIVE];
	size_t cap;                   /* bytes of each slot buffer */
	uint8_t *scratch;             /* the handler's reply, cap bytes */
	uint16_t last_id;
	const struct otk_ctrl_ops *ops;
	void *ctx;
};

/*
 * bufs holds OTK_CTRL_MAX_ACTIVE + 1 buffers of cap bytes each (the slots'
 * payloads and one reply scratch).
 */
void otk_ctrl_init(struct otk_ctrl *c, const struct otk_ctrl_ops *ops, void *ctx, uint8_t *bufs,
		   size_t cap);

/*
 * A vendor control request.  OUT data in out/out_len, IN answer into
 * in/in_cap (wLength).  Returns the IN length (0 for OUT), or a negative
 * error: stall the request.
 */
int otk_ctrl_setup(struct otk_ctrl *c, uint8_t request, uint16_t value, uint16_t index,
		   const uint8_t *out, uint16_t out_len, uint8_t *in, uint16_t in_cap);

/* Requests in progress. */
unsigned otk_ctrl_active(const struct otk_ctrl *c);

#ifdef __cplusplus
}
#endif

#endif
