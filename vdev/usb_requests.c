/*
 * Control requests of normal mode whose payloads are protobuf (Particle's
 * messages, generated with nanopb at build time; docs/usb.md lists them).
 * Built only when the .proto files were available (OTK_HAVE_PROTOS).
 */
#include "usb.h"

#ifdef OTK_HAVE_PROTOS
#include <pb_decode.h>
#include <pb_encode.h>
#include <stdio.h>
#include <string.h>

#include "control/config.pb.h"

static bool put_string(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const char *str = *arg;
	return pb_encode_tag_for_field(s, f) && pb_encode_string(s, (const pb_byte_t *)str, strlen(str));
}

static int32_t encode(const pb_msgdesc_t *fields, const void *msg, uint8_t *rep, size_t cap,
		      size_t *rep_len)
{
	pb_ostream_t s = pb_ostream_from_buffer(rep, cap);
	if (!pb_encode(&s, fields, msg))
		return OTK_CTRL_INVALID_STATE;
	*rep_len = s.bytes_written;
	return OTK_CTRL_RESULT_OK;
}

int32_t vusb_request_pb(struct vusb *u, uint16_t type, const uint8_t *req, size_t len, uint8_t *rep,
			size_t cap, size_t *rep_len)
{
	switch (type) {
	case 20: { /* device id */
		particle_ctrl_GetDeviceIdReply m = particle_ctrl_GetDeviceIdReply_init_zero;
		snprintf(m.id, sizeof m.id, "%s", u->v->id);
		return encode(particle_ctrl_GetDeviceIdReply_fields, &m, rep, cap, rep_len);
	}
	case 30: { /* Device OS version */
		particle_ctrl_GetSystemVersionReply m = particle_ctrl_GetSystemVersionReply_init_zero;
		m.version.funcs.encode = put_string;
		m.version.arg = u->v->dos;
		return encode(particle_ctrl_GetSystemVersionReply_fields, &m, rep, cap, rep_len);
	}
	case 70: /* start listening */
	case 71: /* stop listening */
		u->listening = type == 70;
		return OTK_CTRL_RESULT_OK;
	case 72: { /* device mode */
		particle_ctrl_GetDeviceModeReply m = particle_ctrl_GetDeviceModeReply_init_zero;
		m.mode = u->listening ? particle_ctrl_DeviceMode_LISTENING_MODE
				      : particle_ctrl_DeviceMode_NORMAL_MODE;
		return encode(particle_ctrl_GetDeviceModeReply_fields, &m, rep, cap, rep_len);
	}
	case 73: { /* setup done */
		particle_ctrl_SetDeviceSetupDoneRequest m = particle_ctrl_SetDeviceSetupDoneRequest_init_zero;
		pb_istream_t s = pb_istream_from_buffer(req, len);
		if (!pb_decode(&s, particle_ctrl_SetDeviceSetupDoneRequest_fields, &m))
			return OTK_CTRL_INVALID_ARGUMENT;
		u->setup_done = m.done;
		return OTK_CTRL_RESULT_OK;
	}
	default:
		return OTK_CTRL_NOT_SUPPORTED;
	}
}
#endif
