/*
 * The protobuf control requests of host/src/usb_msgs.c against the device
 * library's service layer (core/src/ctrl.c), with a device whose handlers
 * decode and encode Particle's messages (protobuf-c here): the firmware
 * update sequence (start -> chunk size, data chunks, finish), module info,
 * asset info, setup done, and a device that does not support updates.
 * Skips (77) in a build without the generated messages.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "otk/ctrl.h"
#include "otk/error.h"
#include "otk/usb.h"

#ifdef OTK_HAVE_PROTOS
#include "cloud/describe.pb-c.h"
#include "control/config.pb-c.h"
#include "control/storage.pb-c.h"

#define CAP 8192u
#define OTK_FUNC_SYSTEM_FOR_TEST 4   /* module function numbers of otk/module.h */

struct dev {
	struct otk_ctrl c;
	uint8_t bufs[(OTK_CTRL_MAX_ACTIVE + 1) * CAP];
	uint8_t image[65536];
	size_t declared, got, chunks;
	int finished, setup_done;
	bool no_update;
	bool deprecated_list;   /* answer module info the older way */
};

static size_t pack(const ProtobufCMessage *m, uint8_t *rep, size_t cap)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	assert_true(n <= cap);
	return protobuf_c_message_pack(m, rep);
}

static int32_t handle(void *ctx, uint16_t type, const uint8_t *req, size_t req_len, uint8_t *rep,
		      size_t rep_cap, size_t *rep_len)
{
	struct dev *d = ctx;
	*rep_len = 0;
	if (type == OTK_REQ_START_FIRMWARE_UPDATE) {
		if (d->no_update)
			return OTK_CTRL_NOT_SUPPORTED;
		Particle__Ctrl__StartFirmwareUpdateRequest *r =
			particle__ctrl__start_firmware_update_request__unpack(NULL, req_len, req);
		assert_non_null(r);
		d->declared = r->size;
		particle__ctrl__start_firmware_update_request__free_unpacked(r, NULL);
		Particle__Ctrl__StartFirmwareUpdateReply o =
			PARTICLE__CTRL__START_FIRMWARE_UPDATE_REPLY__INIT;
		o.chunk_size = 1024;
		*rep_len = pack(&o.base, rep, rep_cap);
		return 0;
	}
	if (type == OTK_REQ_FIRMWARE_UPDATE_DATA) {
		Particle__Ctrl__FirmwareUpdateDataRequest *r =
			particle__ctrl__firmware_update_data_request__unpack(NULL, req_len, req);
		assert_non_null(r);
		assert_true(r->data.len <= 1024 && d->got + r->data.len <= sizeof d->image);
		memcpy(d->image + d->got, r->data.data, r->data.len);
		d->got += r->data.len;
		d->chunks++;
		particle__ctrl__firmware_update_data_request__free_unpacked(r, NULL);
		return 0;
	}
	if (type == OTK_REQ_FINISH_FIRMWARE_UPDATE) {
		d->finished = 1;
		return 0;
	}
	if (type == OTK_REQ_SETUP_DONE) {
		Particle__Ctrl__SetDeviceSetupDoneRequest *r =
			particle__ctrl__set_device_setup_done_request__unpack(NULL, req_len, req);
		assert_non_null(r);
		d->setup_done = r->done ? 1 : 2;
		particle__ctrl__set_device_setup_done_request__free_unpacked(r, NULL);
		return 0;
	}
	if (type == OTK_REQ_MODULE_INFO && d->deprecated_list) {
		/* particle.ctrl.FirmwareModuleType: 1 bootloader, 2 system, 3 user */
		Particle__Ctrl__GetModuleInfoReply__Module m1 =
			PARTICLE__CTRL__GET_MODULE_INFO_REPLY__MODULE__INIT;
		Particle__Ctrl__GetModuleInfoReply__Module m2 =
			PARTICLE__CTRL__GET_MODULE_INFO_REPLY__MODULE__INIT;
		m1.type = PARTICLE__CTRL__FIRMWARE_MODULE_TYPE__SYSTEM_PART;
		m1.index = 1;
		m1.version = 6303;
		m2.type = PARTICLE__CTRL__FIRMWARE_MODULE_TYPE__BOOTLOADER;
		m2.version = 3101;
		m2.validity = 0x01;
		Particle__Ctrl__GetModuleInfoReply__Module *mods[2] = { &m1, &m2 };
		Particle__Ctrl__GetModuleInfoReply o = PARTICLE__CTRL__GET_MODULE_INFO_REPLY__INIT;
		o.n_modules_deprecated = 2;
		o.modules_deprecated = mods;
		*rep_len = pack(&o.base, rep, rep_cap);
		return 0;
	}
	if (type == OTK_REQ_MODULE_INFO) {
		Particle__Cloud__FirmwareModule m1, m2;
		particle__cloud__firmware_module__init(&m1);
		particle__cloud__firmware_module__init(&m2);
		m1.type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__SYSTEM_PART_MODULE;
		m1.index = 1;
		m1.version = 5800;
		m1.size = 600000;
		m1.checked_flags = m1.passed_flags = 0x1f;
		m2.type = PARTICLE__CLOUD__FIRMWARE_MODULE_TYPE__USER_PART_MODULE;
		m2.index = 1;
		m2.version = 6;
		m2.checked_flags = 0x1f;
		m2.passed_flags = 0x0f;
		Particle__Cloud__FirmwareModule *mods[2] = { &m1, &m2 };
		Particle__Ctrl__GetModuleInfoReply o = PARTICLE__CTRL__GET_MODULE_INFO_REPLY__INIT;
		o.n_modules = 2;
		o.modules = mods;
		*rep_len = pack(&o.base, rep, rep_cap);
		return 0;
	}
	if (type == OTK_REQ_ASSET_INFO) {
		uint8_t hash[32];
		memset(hash, 0xab, sizeof hash);
		Particle__Cloud__FirmwareModuleAsset a = PARTICLE__CLOUD__FIRMWARE_MODULE_ASSET__INIT;
		a.name = "cat.txt";
		a.hash.data = hash;
		a.hash.len = sizeof hash;
		Particle__Cloud__FirmwareModuleAsset *av[1] = { &a };
		Particle__Ctrl__GetAssetInfoReply o = PARTICLE__CTRL__GET_ASSET_INFO_REPLY__INIT;
		o.n_available = 1;
		o.available = av;
		*rep_len = pack(&o.base, rep, rep_cap);
		return 0;
	}
	return OTK_CTRL_NOT_SUPPORTED;
}

static int simple(void *ctx, uint16_t type, uint8_t *in, size_t cap)
{
	(void)ctx;
	(void)type;
	(void)in;
	(void)cap;
	return -1;
}

static const struct otk_ctrl_ops ops = { handle, simple };

static int pipe_control(void *ctx, uint8_t type, uint8_t request, uint16_t value, uint16_t index,
			uint8_t *data, uint16_t len, unsigned timeout_ms)
{
	struct dev *d = ctx;
	(void)timeout_ms;
	int rc = (type & 0x80) ? otk_ctrl_setup(&d->c, request, value, index, NULL, 0, data, len)
			       : otk_ctrl_setup(&d->c, request, value, index, data, len, NULL, 0);
	return rc < 0 ? OTK_USB_ESTALL : rc;
}

static struct dev *dev_new(struct otk_usb_io *io)
{
	struct dev *d = calloc(1, sizeof *d);
	otk_ctrl_init(&d->c, &ops, d, d->bufs, CAP);
	*io = (struct otk_usb_io){ pipe_control, NULL, d, 0 };
	return d;
}

static size_t last_progress;
static void progress(void *ctx, size_t done, size_t total)
{
	(void)ctx;
	assert_true(done <= total);
	last_progress = done;
}

static void test_firmware_update(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct dev *d = dev_new(&io);
	uint8_t img[5000];
	uint32_t seed = 5;
	otk_test_random(&seed, img, sizeof img);
	int32_t result = 1;
	const char *step = NULL;
	assert_int_equal(otk_usb_firmware_update(&io, img, sizeof img, progress, NULL, &result, &step),
			 OTK_OK);
	assert_int_equal(result, 0);
	assert_int_equal(d->declared, sizeof img);
	assert_int_equal(d->got, sizeof img);
	assert_int_equal(d->chunks, 5);
	assert_memory_equal(d->image, img, sizeof img);
	assert_int_equal(d->finished, 1);
	assert_int_equal(last_progress, sizeof img);
	free(d);
}

static void test_update_not_supported(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct dev *d = dev_new(&io);
	d->no_update = true;
	uint8_t img[100] = { 0 };
	int32_t result = 0;
	const char *step = NULL;
	assert_int_equal(otk_usb_firmware_update(&io, img, sizeof img, NULL, NULL, &result, &step),
			 OTK_OK);
	assert_int_equal(result, OTK_USB_RESULT_NOT_SUPPORTED);
	assert_string_equal(step, "start");
	assert_int_equal(d->got, 0);
	free(d);
}

static void test_info_and_setup(void **state)
{
	(void)state;
	struct otk_usb_io io;
	struct dev *d = dev_new(&io);
	struct otk_usb_module *mods;
	size_t n;
	int32_t result;
	assert_int_equal(otk_usb_module_info(&io, &mods, &n, &result), OTK_OK);
	assert_int_equal(result, 0);
	assert_int_equal(n, 2);
	assert_int_equal(mods[0].function, 4);
	assert_int_equal(mods[0].version, 5800);
	assert_true(mods[0].valid);
	assert_int_equal(mods[1].function, 5);
	assert_false(mods[1].valid);
	free(mods);
	d->deprecated_list = true;
	assert_int_equal(otk_usb_module_info(&io, &mods, &n, &result), OTK_OK);
	assert_int_equal(n, 2);
	assert_int_equal(mods[0].function, OTK_FUNC_SYSTEM_FOR_TEST);
	assert_int_equal(mods[0].version, 6303);
	assert_true(mods[0].valid);
	assert_int_equal(mods[1].function, 2);   /* bootloader */
	assert_false(mods[1].valid);
	free(mods);
	struct otk_usb_asset *a;
	assert_int_equal(otk_usb_asset_info(&io, &a, &n, &result), OTK_OK);
	assert_int_equal(n, 1);
	assert_string_equal(a[0].name, "cat.txt");
	assert_int_equal(a[0].hash[31], 0xab);
	otk_usb_assets_free(a, n);
	assert_int_equal(otk_usb_setup_done(&io, true, &result), OTK_OK);
	assert_int_equal(d->setup_done, 1);
	assert_int_equal(otk_usb_setup_done(&io, false, &result), OTK_OK);
	assert_int_equal(d->setup_done, 2);
	free(d);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_firmware_update),
		cmocka_unit_test(test_update_not_supported),
		cmocka_unit_test(test_info_and_setup),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}

#else

int main(void)
{
	printf("SKIP: built without the protobuf messages (OTK_HAVE_PROTOS off)\n");
	return 77;
}

#endif
