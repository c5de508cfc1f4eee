/*
 * libFuzzer target: what otakitd reads out of request fields.  Inputs that
 * start with '{' are a JSON body; anything else is form fields "k=v&k=v"
 * (each value also sent again as a continuation chunk, as libmicrohttpd's
 * post processor does).  The fields then go through every reader that turns
 * them into the store's structures.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "params.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void read_all(json_t *p)
{
	struct otkd_device_update u;
	struct otkd_release r;
	struct otkd_product prod;
	char err[256];
	if (otkd_parse_device_update(p, &u, err, sizeof err) == 0)
		free((void *)u.groups);
	if (otkd_parse_release(p, &r, err, sizeof err) == 0)
		free((void *)r.groups);
	otkd_parse_product(p, &prod, err, sizeof err);
	const char **l;
	size_t n;
	if (otkd_param_list(p, "scopes", &l, &n) == 0)
		free(l);
	uint64_t v;
	bool b;
	otkd_param_uint(p, "page", 1000000, &v);
	otkd_param_bool(p, "deny", &b);
	const char *s;
	if (otkd_param_str(p, "id", &s) == 0)
		otkd_device_id_valid(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size > 65536)
		return 0;
	if (size && data[0] == '{') {
		char err[256];
		json_t *p = otkd_params_from_json((const char *)data, size, err, sizeof err);
		if (p) {
			read_all(p);
			json_decref(p);
		}
		return 0;
	}
	char *buf = malloc(size + 1);
	json_t *p = json_object();
	if (!buf || !p)
		goto out;
	memcpy(buf, data, size);
	buf[size] = '\0';
	for (char *save = NULL, *kv = strtok_r(buf, "&", &save); kv; kv = strtok_r(NULL, "&", &save)) {
		char *eq = strchr(kv, '=');
		const char *val = eq ? eq + 1 : "";
		if (eq)
			*eq = '\0';
		size_t vl = strlen(val), half = vl / 2;
		if (otkd_params_add_form(p, kv, val, half, 0) == 0)
			otkd_params_add_form(p, kv, val + half, vl - half, half);
	}
	read_all(p);
out:
	json_decref(p);
	free(buf);
	return 0;
}
