/*
 * The control requests otakit sends whose payloads are protobuf (Particle's
 * .proto files, compiled by protobuf-c at build time: proto/CMakeLists.txt):
 * module info, asset info, setup done and the firmware update over control
 * requests.  Without the generated code (OTK_HAVE_PROTOS off) they answer
 * OTK_EUNSUPPORTED and say so.
 */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>

#include "otk/error.h"
#include "otk/usb.h"

#ifdef OTK_HAVE_PROTOS
#include "cloud/describe.pb-c.h"
#include "control/config.pb-c.h"
#include "control/storage.pb-c.h"

#define REQUEST_TIMEOUT_MS 60000u

/*
 * One request with msg as its payload (NULL: none).  When the device
 * answers result 0 and reply_desc is given, *reply is the answer unpacked
 * as that message (free with protobuf_c_message_free_unpacked); otherwise
 * the answer's payload is dropped.
 */
static int ask(struct otk_usb_io *io, uint16_t type, const ProtobufCMessage *msg,
	       const ProtobufCMessageDescriptor *reply_desc, ProtobufCMessage **reply,
	       int32_t *result)
{
	uint8_t *req = NULL, *rep = NULL;
	size_t len = 0, rep_len = 0;
	if (reply)
		*reply = NULL;
	if (msg) {
		len = protobuf_c_message_get_packed_size(msg);
		req = malloc(len + 1);
		if (!req)
			return OTK_ENOMEM;
		protobuf_c_message_pack(msg, req);
	}
	int rc = otk_usb_request(io, type, req, len, result, &rep, &rep_len, REQUEST_TIMEOUT_MS);
	free(req);
	if (rc == OTK_OK && *result == 0 && reply_desc) {
		*reply = protobuf_c_message_unpack(reply_desc, NULL, rep_len, rep);
		if (!*reply)
			rc = OTK_EINVAL;
	}
	free(rep);
	return rc;
}

int otk_usb_module_info(struct otk_usb_io *io, struct otk_usb_module **mods, size_t *n,
			int32_t *result)
{
	ProtobufCMessage *msg;
	*mods = NULL;
	*n = 0;
	int rc = ask(io, OTK_REQ_MODULE_INFO, NULL, &particle__ctrl__get_module_info_reply__descriptor,
		     &msg, result);
	if (rc < 0 || *result)
		return rc;
	const Particle__Ctrl__GetModuleInfoReply *r = (const void *)msg;
	*mods = calloc(r->n_modules + r->n_modules_deprecated + 1, sizeof **mods);
	if (!*mods) {
		protobuf_c_message_free_unpacked(msg, NULL);
		return OTK_ENOMEM;
	}
	for (size_t i = 0; i < r->n_modules; i++) {
		const Particle__Cloud__FirmwareModule *m = r->modules[i];
		(*mods)[(*n)++] = (struct otk_usb_module){ (uint8_t)m->type, (uint8_t)m->index,
							   (uint16_t)m->version, m->size,
							   m->passed_flags == m->checked_flags };
	}
	/* the older list numbers module types its own way (particle.ctrl.FirmwareModuleType) */
	static const uint8_t ctrl_type[] = { 0, 2, 4, 5, 3, 7, 8 };
	for (size_t i = 0; i < r->n_modules_deprecated && r->n_modules == 0; i++) {
		const Particle__Ctrl__GetModuleInfoReply__Module *m = r->modules_deprecated[i];
		uint8_t fn = (unsigned)m->type < sizeof ctrl_type ? ctrl_type[m->type] : 0;
		(*mods)[(*n)++] = (struct otk_usb_module){ fn, (uint8_t)m->index, (uint16_t)m->version,
							   m->size, m->validity == 0 };
	}
	protobuf_c_message_free_unpacked(msg, NULL);
	return OTK_OK;
}

int otk_usb_asset_info(struct otk_usb_io *io, struct otk_usb_asset **assets, size_t *n,
		       int32_t *result)
{
	ProtobufCMessage *msg;
	*assets = NULL;
	*n = 0;
	int rc = ask(io, OTK_REQ_ASSET_INFO, NULL, &particle__ctrl__get_asset_info_reply__descriptor,
		     &msg, result);
	if (rc < 0 || *result)
		return rc;
	const Particle__Ctrl__GetAssetInfoReply *r = (const void *)msg;
	*assets = calloc(r->n_available + 1, sizeof **assets);
	rc = *assets ? OTK_OK : OTK_ENOMEM;
	for (size_t i = 0; rc == OTK_OK && i < r->n_available; i++) {
		const Particle__Cloud__FirmwareModuleAsset *a = r->available[i];
		struct otk_usb_asset *o = &(*assets)[(*n)++];
		o->name = strdup(a->name ? a->name : "");
		if (!o->name)
			rc = OTK_ENOMEM;
		if (a->hash.len == sizeof o->hash)
			memcpy(o->hash, a->hash.data, sizeof o->hash);
	}
	protobuf_c_message_free_unpacked(msg, NULL);
	return rc;
}

int otk_usb_setup_done(struct otk_usb_io *io, bool done, int32_t *result)
{
	Particle__Ctrl__SetDeviceSetupDoneRequest m = PARTICLE__CTRL__SET_DEVICE_SETUP_DONE_REQUEST__INIT;
	m.done = done;
	return ask(io, OTK_REQ_SETUP_DONE, &m.base, NULL, NULL, result);
}

int otk_usb_firmware_update(struct otk_usb_io *io, const uint8_t *data, size_t len,
			    otk_dfu_progress_fn progress, void *ctx, int32_t *result, const char **step)
{
	Particle__Ctrl__StartFirmwareUpdateRequest start =
		PARTICLE__CTRL__START_FIRMWARE_UPDATE_REQUEST__INIT;
	start.size = (uint32_t)len;
	ProtobufCMessage *msg;
	*step = "start";
	int rc = ask(io, OTK_REQ_START_FIRMWARE_UPDATE, &start.base,
		     &particle__ctrl__start_firmware_update_reply__descriptor, &msg, result);
	if (rc < 0 || *result)
		return rc;
	const Particle__Ctrl__StartFirmwareUpdateReply *sr = (const void *)msg;
	size_t chunk = sr->chunk_size ? sr->chunk_size : 1024;
	protobuf_c_message_free_unpacked(msg, NULL);
	if (chunk > 4096)
		chunk = 4096;
	*step = "data";
	for (size_t off = 0; off < len;) {
		size_t k = len - off < chunk ? len - off : chunk;
		Particle__Ctrl__FirmwareUpdateDataRequest d =
			PARTICLE__CTRL__FIRMWARE_UPDATE_DATA_REQUEST__INIT;
		d.data.data = (uint8_t *)(uintptr_t)(data + off);
		d.data.len = k;
		rc = ask(io, OTK_REQ_FIRMWARE_UPDATE_DATA, &d.base, NULL, NULL, result);
		if (rc < 0 || *result)
			return rc;
		off += k;
		if (progress)
			progress(ctx, off, len);
	}
	Particle__Ctrl__FinishFirmwareUpdateRequest fin =
		PARTICLE__CTRL__FINISH_FIRMWARE_UPDATE_REQUEST__INIT;
	fin.validate_only = false;
	*step = "finish";
	return ask(io, OTK_REQ_FINISH_FIRMWARE_UPDATE, &fin.base, NULL, NULL, result);
}

#else

int otk_usb_module_info(struct otk_usb_io *io, struct otk_usb_module **mods, size_t *n,
			int32_t *result)
{
	(void)io;
	*mods = NULL;
	*n = 0;
	*result = 0;
	return OTK_EUNSUPPORTED;
}

int otk_usb_asset_info(struct otk_usb_io *io, struct otk_usb_asset **assets, size_t *n,
		       int32_t *result)
{
	(void)io;
	*assets = NULL;
	*n = 0;
	*result = 0;
	return OTK_EUNSUPPORTED;
}

int otk_usb_setup_done(struct otk_usb_io *io, bool done, int32_t *result)
{
	(void)io;
	(void)done;
	*result = 0;
	return OTK_EUNSUPPORTED;
}

int otk_usb_firmware_update(struct otk_usb_io *io, const uint8_t *data, size_t len,
			    otk_dfu_progress_fn progress, void *ctx, int32_t *result, const char **step)
{
	(void)io;
	(void)data;
	(void)len;
	(void)progress;
	(void)ctx;
	*result = 0;
	*step = "start";
	return OTK_EUNSUPPORTED;
}

#endif

void otk_usb_assets_free(struct otk_usb_asset *a, size_t n)
{
	for (size_t i = 0; a && i < n; i++)
		free(a[i].name);
	free(a);
}
