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
#include "control/network.pb.h"
#include "control/storage.pb.h"
#include "cloud/describe.pb.h"
#include "otk/error.h"

#define FW_CHUNK 1024u   /* chunk size answered to start (spec 04) */

struct piece {
	uint8_t *buf;
	size_t cap, len;
};

static bool get_bytes(pb_istream_t *s, const pb_field_t *f, void **arg)
{
	struct piece *p = *arg;
	(void)f;
	if (s->bytes_left > p->cap)
		return false;
	p->len = s->bytes_left;
	return pb_read(s, p->buf, p->len);
}

/* An update engine error as a Device OS result code, logged with its reason. */
static int32_t update_error(const char *what, long rc)
{
	SYS_ERROR("usb: firmware update %s: %s", what, otk_strerror((int)rc));
	return rc == OTK_EUPD_STATE || rc == OTK_EUPD_BUSY ? OTK_CTRL_INVALID_STATE
							   : OTK_CTRL_INVALID_ARGUMENT;
}

static bool put_string(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const char *str = *arg;
	return pb_encode_tag_for_field(s, f) && pb_encode_string(s, (const pb_byte_t *)str, strlen(str));
}

static bool put_bytes(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	return pb_encode_tag_for_field(s, f) && pb_encode_string(s, *arg, OTK_SHA256_LEN);
}

/* A repeated FirmwareModuleAsset list (GetAssetInfoReply). */
struct asset_list {
	const struct otk_asset_info *info;
	size_t n;
};

static bool put_assets(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const struct asset_list *l = *arg;
	for (size_t i = 0; i < l->n; i++) {
		particle_cloud_FirmwareModuleAsset a = particle_cloud_FirmwareModuleAsset_init_zero;
		a.hash.funcs.encode = put_bytes;
		a.hash.arg = (void *)l->info[i].id.hash;
		a.name.funcs.encode = put_string;
		a.name.arg = (void *)l->info[i].id.name;
		a.size = l->info[i].size;
		a.storage_size = l->info[i].storage_size;
		if (!pb_encode_tag_for_field(s, f) ||
		    !pb_encode_submessage(s, particle_cloud_FirmwareModuleAsset_fields, &a))
			return false;
	}
	return true;
}

/*
 * Asset info (91): every valid asset in storage (available, as Device OS
 * says: also those the running app does not require) and the app's list
 * (required; sizes of those not stored are 0).
 */
static int32_t asset_info(struct vusb *u, uint8_t *rep, size_t cap, size_t *rep_len);

/* FirmwareModuleType of a module function (storage.proto). */
static particle_ctrl_FirmwareModuleType module_type(uint8_t function)
{
	switch (function) {
	case OTK_FUNC_BOOTLOADER: return particle_ctrl_FirmwareModuleType_BOOTLOADER;
	case OTK_FUNC_SYSTEM: return particle_ctrl_FirmwareModuleType_SYSTEM_PART;
	case OTK_FUNC_USER: return particle_ctrl_FirmwareModuleType_USER_PART;
	case OTK_FUNC_MONO: return particle_ctrl_FirmwareModuleType_MONO_FIRMWARE;
	case OTK_FUNC_NCP: return particle_ctrl_FirmwareModuleType_NCP_FIRMWARE;
	case OTK_FUNC_RADIO_STACK: return particle_ctrl_FirmwareModuleType_RADIO_STACK;
	default: return particle_ctrl_FirmwareModuleType_INVALID_FIRMWARE_MODULE;
	}
}

static bool put_deps(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const struct otk_prefix *p = *arg;
	for (int i = 0; i < 2; i++) {
		particle_ctrl_GetModuleInfoReply_Dependency d = particle_ctrl_GetModuleInfoReply_Dependency_init_zero;
		if (p->dep[i].function == OTK_FUNC_NONE)
			continue;
		d.type = module_type(p->dep[i].function);
		d.index = p->dep[i].index;
		d.version = p->dep[i].version;
		if (!pb_encode_tag_for_field(s, f) ||
		    !pb_encode_submessage(s, particle_ctrl_GetModuleInfoReply_Dependency_fields, &d))
			return false;
	}
	return true;
}

/* Module info (90): the modules found at this boot, in the pre-5.6 format. */
static bool put_modules(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const struct otk_boot_report *r = *arg;
	for (size_t i = 0; r && i < r->nmods; i++) {
		const struct otk_installed *m = &r->mods[i];
		particle_ctrl_GetModuleInfoReply_Module mm = particle_ctrl_GetModuleInfoReply_Module_init_zero;
		if (m->status != OTK_OK || module_type(m->prefix.function) ==
						   particle_ctrl_FirmwareModuleType_INVALID_FIRMWARE_MODULE)
			continue;
		mm.type = module_type(m->prefix.function);
		mm.index = m->prefix.index;
		mm.version = m->prefix.version;
		mm.size = m->prefix.end - m->prefix.start + 4;
		mm.validity = m->deps != OTK_OK ? particle_ctrl_FirmwareModuleValidityFlag_DEPENDENCY_CHECK_FAILED : 0;
		mm.dependencies.funcs.encode = put_deps;
		mm.dependencies.arg = (void *)&m->prefix;
		if (!pb_encode_tag_for_field(s, f) ||
		    !pb_encode_submessage(s, particle_ctrl_GetModuleInfoReply_Module_fields, &mm))
			return false;
	}
	return true;
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

/*
 * The network interfaces (requests 400 and 401, control/network.proto), as
 * `particle serial mac` reads them: a loopback interface, and a Wi-Fi one
 * with the device's MAC address on Wi-Fi platforms.  Indexes and names
 * follow Device OS (lo0, wl4).
 */
enum { IFACE_LOOPBACK = 1, IFACE_WIFI = 4 };

static bool put_interfaces(pb_ostream_t *s, const pb_field_t *f, void *const *arg)
{
	const struct vdev *v = *arg;
	uint8_t mac[6];
	particle_ctrl_InterfaceEntry e = particle_ctrl_InterfaceEntry_init_zero;
	e.index = IFACE_LOOPBACK;
	e.type = particle_ctrl_InterfaceType_LOOPBACK;
	e.name.funcs.encode = put_string;
	e.name.arg = (void *)"lo0";
	if (!pb_encode_tag_for_field(s, f) ||
	    !pb_encode_submessage(s, particle_ctrl_InterfaceEntry_fields, &e))
		return false;
	if (!vdev_wifi_mac(v, mac))
		return true;
	e.index = IFACE_WIFI;
	e.type = particle_ctrl_InterfaceType_WIFI;
	e.name.arg = (void *)"wl4";
	return pb_encode_tag_for_field(s, f) &&
	       pb_encode_submessage(s, particle_ctrl_InterfaceEntry_fields, &e);
}

static int32_t get_interface(struct vusb *u, const uint8_t *req, size_t len, uint8_t *rep,
			     size_t cap, size_t *rep_len)
{
	particle_ctrl_GetInterfaceRequest m = particle_ctrl_GetInterfaceRequest_init_zero;
	particle_ctrl_GetInterfaceReply r = particle_ctrl_GetInterfaceReply_init_zero;
	pb_istream_t s = pb_istream_from_buffer(req, len);
	uint8_t mac[6];
	if (!pb_decode(&s, particle_ctrl_GetInterfaceRequest_fields, &m))
		return OTK_CTRL_INVALID_ARGUMENT;
	r.has_interface = true;
	r.interface.index = m.index;
	r.interface.name.funcs.encode = put_string;
	if (m.index == IFACE_LOOPBACK) {
		r.interface.name.arg = (void *)"lo0";
		r.interface.type = particle_ctrl_InterfaceType_LOOPBACK;
		r.interface.flags = particle_ctrl_InterfaceFlag_IFF_UP |
				    particle_ctrl_InterfaceFlag_IFF_LOOPBACK;
		r.interface.mtu = 1500;
	} else if (m.index == IFACE_WIFI && vdev_wifi_mac(u->v, mac)) {
		r.interface.name.arg = (void *)"wl4";
		r.interface.type = particle_ctrl_InterfaceType_WIFI;
		r.interface.flags = particle_ctrl_InterfaceFlag_IFF_UP |
				    particle_ctrl_InterfaceFlag_IFF_BROADCAST;
		r.interface.hw_address.size = sizeof mac;
		memcpy(r.interface.hw_address.bytes, mac, sizeof mac);
		r.interface.mtu = 1500;
	} else {
		return OTK_CTRL_NOT_FOUND_RESULT;
	}
	return encode(particle_ctrl_GetInterfaceReply_fields, &r, rep, cap, rep_len);
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
	case 90: {
		particle_ctrl_GetModuleInfoReply m = particle_ctrl_GetModuleInfoReply_init_zero;
		m.modules_deprecated.funcs.encode = put_modules;
		m.modules_deprecated.arg = (void *)u->report;
		return encode(particle_ctrl_GetModuleInfoReply_fields, &m, rep, cap, rep_len);
	}
	case 91:
		return asset_info(u, rep, cap, rep_len);
	case 400: { /* network interface list */
		particle_ctrl_GetInterfaceListReply m = particle_ctrl_GetInterfaceListReply_init_zero;
		m.interfaces.funcs.encode = put_interfaces;
		m.interfaces.arg = (void *)u->v;
		return encode(particle_ctrl_GetInterfaceListReply_fields, &m, rep, cap, rep_len);
	}
	case 401: /* one network interface */
		return get_interface(u, req, len, rep, cap, rep_len);
	case 250: { /* start firmware update: the update engine, LOCAL policy */
		particle_ctrl_StartFirmwareUpdateRequest m = particle_ctrl_StartFirmwareUpdateRequest_init_zero;
		particle_ctrl_StartFirmwareUpdateReply r = particle_ctrl_StartFirmwareUpdateReply_init_zero;
		pb_istream_t s = pb_istream_from_buffer(req, len);
		if (!pb_decode(&s, particle_ctrl_StartFirmwareUpdateRequest_fields, &m) || m.size == 0)
			return OTK_CTRL_INVALID_ARGUMENT;
		if (u->v->upd.active)
			(void)otk_update_finish(&u->v->upd, OTK_FINISH_DISCARD, NULL);
		/* No file hash over USB: nothing to resume from, start at 0. */
		struct otk_update_start st = {m.size, NULL, OTK_UPDATE_LOCAL, OTK_FUNC_NONE, 0};
		long off = otk_update_begin(&u->v->upd, &st);
		if (off < 0)
			return update_error("start", off);
		u->fw_off = 0;
		SYS_INFO("usb: firmware update: %u bytes", (unsigned)m.size);
		r.chunk_size = FW_CHUNK;
		return encode(particle_ctrl_StartFirmwareUpdateReply_fields, &r, rep, cap, rep_len);
	}
	case 253: { /* firmware update data */
		particle_ctrl_FirmwareUpdateDataRequest m = particle_ctrl_FirmwareUpdateDataRequest_init_zero;
		struct piece p = {rep, cap, 0}; /* the reply buffer is free scratch until we answer */
		pb_istream_t s = pb_istream_from_buffer(req, len);
		m.data.funcs.decode = get_bytes;
		m.data.arg = &p;
		if (!pb_decode(&s, particle_ctrl_FirmwareUpdateDataRequest_fields, &m))
			return OTK_CTRL_INVALID_ARGUMENT;
		int rc = otk_update_write(&u->v->upd, u->fw_off, p.buf, p.len);
		if (rc < 0) {
			(void)otk_update_finish(&u->v->upd, OTK_FINISH_DISCARD, NULL);
			return update_error("data", rc);
		}
		u->fw_off += (uint32_t)p.len;
		return OTK_CTRL_RESULT_OK;
	}
	case 251: { /* finish: validate only, or validate, apply and reset */
		particle_ctrl_FinishFirmwareUpdateRequest m = particle_ctrl_FinishFirmwareUpdateRequest_init_zero;
		pb_istream_t s = pb_istream_from_buffer(req, len);
		if (!pb_decode(&s, particle_ctrl_FinishFirmwareUpdateRequest_fields, &m))
			return OTK_CTRL_INVALID_ARGUMENT;
		int rc = otk_update_finish(&u->v->upd, m.validate_only ? OTK_FINISH_VALIDATE : OTK_FINISH_APPLY,
					   NULL);
		if (rc < 0) {
			(void)otk_update_finish(&u->v->upd, OTK_FINISH_DISCARD, NULL);
			return update_error("finish", rc);
		}
		if (!m.validate_only) {
			SYS_INFO("usb: firmware update applied, resetting");
			u->action = VUSB_RESET;
		}
		return OTK_CTRL_RESULT_OK;
	}
	case 252: /* cancel */
		if (u->v->upd.active)
			(void)otk_update_finish(&u->v->upd, OTK_FINISH_DISCARD, NULL);
		return OTK_CTRL_RESULT_OK;
	default:
		return OTK_CTRL_NOT_SUPPORTED;
	}
}

struct collect {
	struct otk_asset_info *out;
	size_t n, max;
};

static int collect_one(void *ctx, const struct otk_asset_info *info)
{
	struct collect *c = ctx;
	if (c->n < c->max)
		c->out[c->n++] = *info;
	return 0;
}

static int32_t asset_info(struct vusb *u, uint8_t *rep, size_t cap, size_t *rep_len)
{
	static struct otk_asset_info avail[VDEV_MAX_ASSETS], req[VDEV_MAX_ASSETS];
	static struct otk_asset_id ids[VDEV_MAX_ASSETS];
	struct asset_list la = {avail, 0}, lr = {req, 0};
	particle_ctrl_GetAssetInfoReply m = particle_ctrl_GetAssetInfoReply_init_zero;
	if (u->v->has_assets) {
		struct collect c = {avail, 0, VDEV_MAX_ASSETS};
		int n = otk_asset_store_foreach(&u->v->astore, collect_one, &c);
		if (n < 0)
			return update_error("asset info", n);
		la.n = c.n;
		lr.n = otk_assets_required(&u->v->assets, ids, VDEV_MAX_ASSETS);
		if (lr.n > VDEV_MAX_ASSETS)
			lr.n = VDEV_MAX_ASSETS;
		for (size_t i = 0; i < lr.n; i++) {
			memset(&req[i], 0, sizeof req[i]);
			req[i].id = ids[i];
			for (size_t j = 0; j < la.n; j++)
				if (strcmp(avail[j].id.name, ids[i].name) == 0 &&
				    memcmp(avail[j].id.hash, ids[i].hash, OTK_SHA256_LEN) == 0)
					req[i] = avail[j];
		}
	}
	m.available.funcs.encode = put_assets;
	m.available.arg = &la;
	m.required.funcs.encode = put_assets;
	m.required.arg = &lr;
	return encode(particle_ctrl_GetAssetInfoReply_fields, &m, rep, cap, rep_len);
}
#endif
