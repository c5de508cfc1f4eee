/* JSON shapes of the store's records, as Particle's API answers them. */
#ifndef OTKD_JSON_OUT_H
#define OTKD_JSON_OUT_H

#include <jansson.h>

#include "store.h"

json_t *otkd_json_product(const struct otkd_product *p);
json_t *otkd_json_device(const struct otkd_device *d);
json_t *otkd_json_firmware(const struct otkd_firmware *f);
json_t *otkd_json_group(const struct otkd_group *g);
/* "a,b" -> ["a","b"] */
json_t *otkd_json_list(const char *comma_joined);

#endif
