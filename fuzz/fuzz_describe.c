/*
 * libFuzzer target: the system describe decoder (server/describe_parse.c).
 * The first byte picks the format (even: JSON, odd: protobuf
 * SystemDescribe, Content-Format 42); the rest is the payload.  A describe
 * that decodes is then planned against an empty store input, so the
 * planner sees every shape the decoder lets through.
 */
#include <stdint.h>
#include <string.h>

#include "otk/error.h"
#include "planner.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	static struct otkd_describe d;
	char err[256];
	memset(&d, 0, sizeof d);
	d.updates_enabled = true;
	int cf = (data[0] & 1) ? OTKD_CF_PROTOBUF : OTKD_CF_JSON;
	if (otkd_describe_parse(data + 1, size - 1, cf, &d, err, sizeof err) != OTK_OK)
		return 0;
	struct otkd_plan_input in;
	struct otkd_plan_action a;
	memset(&in, 0, sizeof in);
	otkd_plan(&d, &in, &a);
	return 0;
}
