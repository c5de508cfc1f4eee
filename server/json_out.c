#include <string.h>

#include "api.h"
#include "json_out.h"

json_t *otkd_json_list(const char *s)
{
	json_t *a = json_array();
	while (a && *s) {
		size_t l = strcspn(s, ",");
		if (l)
			json_array_append_new(a, json_stringn(s, l));
		s += l + (s[l] == ',');
	}
	return a;
}

json_t *otkd_json_product(const struct otkd_product *p)
{
	return json_pack("{s:I,s:s,s:s,s:i,s:s,s:s}", "id", (json_int_t)p->id, "slug", p->slug,
			 "name", p->name, "platform_id", (int)p->platform_id, "description",
			 p->description, "type", "Hobbyist");
}

static json_t *time_or_null(int64_t t)
{
	char buf[32];
	return t ? json_string(otkd_iso_time(t, buf)) : json_null();
}

json_t *otkd_json_device(const struct otkd_device *d)
{
	json_t *o = json_pack("{s:s,s:s,s:i,s:b,s:b,s:o,s:b,s:b,s:b,s:b,s:o,s:s}", "id", d->id,
			      "name", d->name, "platform_id", (int)d->platform_id, "online",
			      d->online, "connected", d->online, "last_heard",
			      time_or_null(d->last_heard), "development", d->development,
			      "quarantined", d->quarantined, "denied", d->denied,
			      "firmware_updates_forced", d->firmware_updates_forced, "groups",
			      otkd_json_list(d->groups), "notes", d->notes);
	if (!o)
		return NULL;
	/* Particle gives a device outside products its platform id here. */
	json_object_set_new(o, "product_id", json_integer(d->product_id ? d->product_id
								      : d->platform_id));
	json_object_set_new(o, "desired_firmware_version", d->has_desired ?
			    json_integer(d->desired_firmware_version) : json_null());
	json_object_set_new(o, "firmware_version", d->has_firmware_version ?
			    json_integer(d->firmware_version) : json_null());
	return o;
}

json_t *otkd_json_firmware(const struct otkd_firmware *f)
{
	char up[32];
	json_t *o = json_pack("{s:I,s:i,s:s,s:s,s:s,s:I,s:I,s:b,s:b,s:s,s:o,s:s,s:s,s:b,s:o}",
			      "product_id", (json_int_t)f->product_id, "version", (int)f->version,
			      "title", f->title, "description", f->description, "name", f->filename,
			      "size", (json_int_t)f->size, "device_count",
			      (json_int_t)f->device_count, "current", f->product_default,
			      "product_default", f->product_default, "uploaded_at",
			      otkd_iso_time(f->uploaded_at, up), "released_at",
			      time_or_null(f->released_at), "sha256", f->sha256, "app_sha256",
			      f->app_sha256, "bundle", f->is_bundle, "groups",
			      otkd_json_list(f->groups));
	if (o)
		json_object_set_new(o, "uploaded_by", json_integer(f->uploaded_by));
	return o;
}

json_t *otkd_json_group(const struct otkd_group *g)
{
	return json_pack("{s:s,s:s,s:s,s:I}", "name", g->name, "color", g->color, "description",
			 g->description, "product_id", (json_int_t)g->product_id);
}
