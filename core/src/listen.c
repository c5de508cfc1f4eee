/* Listening-mode commands on the serial port: see otk/listen.h. */
#include "otk/listen.h"

#include <string.h>

#include "otk/error.h"
#include "otk/module.h"

/* Device OS's module validity bits ("vc" checked, "vv" passed). */
#define VALID_INTEGRITY 0x02u
#define VALID_DEPENDENCIES 0x04u
#define VALID_RANGE 0x08u
#define VALID_PLATFORM 0x10u
#define VALID_ALL (VALID_INTEGRITY | VALID_DEPENDENCIES | VALID_RANGE | VALID_PLATFORM)

static void put(struct otk_listen *l, const char *s)
{
	size_t n = 0;
	while (s[n])
		n++;
	l->ops->write(l->ctx, s, n);
}

static void put_uint(struct otk_listen *l, uint32_t v)
{
	char b[11];
	size_t n = sizeof b;
	do {
		b[--n] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	l->ops->write(l->ctx, b + n, sizeof b - n);
}

/* Device OS's letters for module functions 0..7. */
static const char *func_letter(uint8_t f)
{
	static const char *const letters[] = {"n", "r", "b", "m", "s", "u", "c", "a"};
	return f < sizeof letters / sizeof letters[0] ? letters[f] : "n";
}

static uint32_t max_size(const struct otk_listen_info *info, const struct otk_installed *m)
{
	if (!info->layout)
		return 0;
	for (uint8_t i = 0; i < info->layout->nareas; i++)
		if (info->layout->areas[i].role == m->role && info->layout->areas[i].index == m->index)
			return info->layout->areas[i].size;
	return 0;
}

static uint32_t validity(const struct otk_installed *m)
{
	uint32_t v = VALID_ALL;
	if (m->status == OTK_EUPD_INTEGRITY || m->status == OTK_ECRC || m->status == OTK_ESHA)
		v &= ~VALID_INTEGRITY;
	if (m->status == OTK_EUPD_PLATFORM)
		v &= ~VALID_PLATFORM;
	if (m->status == OTK_EUPD_RANGE)
		v &= ~VALID_RANGE;
	if (m->deps != OTK_OK)
		v &= ~VALID_DEPENDENCIES;
	return v;
}

static void put_module(struct otk_listen *l, const struct otk_installed *m)
{
	const struct otk_prefix *p = &m->prefix;
	bool first = true;
	put(l, "{\"s\":");
	put_uint(l, max_size(l->info, m));
	put(l, ",\"l\":\"m\",\"vc\":");
	put_uint(l, VALID_ALL);
	put(l, ",\"vv\":");
	put_uint(l, validity(m));
	put(l, ",\"f\":\"");
	put(l, func_letter(p->function));
	put(l, "\",\"n\":\"");
	put_uint(l, p->index);
	put(l, "\",\"v\":");
	put_uint(l, p->version);
	put(l, ",\"d\":[");
	for (size_t i = 0; i < sizeof p->dep / sizeof p->dep[0]; i++) {
		if (p->dep[i].function == OTK_FUNC_NONE)
			continue;
		put(l, first ? "{\"f\":\"" : ",{\"f\":\"");
		first = false;
		put(l, func_letter(p->dep[i].function));
		put(l, "\",\"n\":\"");
		put_uint(l, p->dep[i].index);
		put(l, "\",\"v\":");
		put_uint(l, p->dep[i].version);
		put(l, ",\"_\":\"\"}");
	}
	put(l, "]}");
}

/* "s": the system information JSON of spec 04, modules that were found. */
static void system_info(struct otk_listen *l)
{
	bool first = true;
	put(l, "{\"p\":");
	put_uint(l, l->info->platform);
	put(l, ",\"m\":[");
	for (size_t i = 0; i < l->info->nmodules; i++) {
		const struct otk_installed *m = &l->info->modules[i];
		if (m->status == OTK_ENOTFOUND || m->prefix.function == OTK_FUNC_NONE)
			continue;
		if (!first)
			put(l, ",");
		first = false;
		put_module(l, m);
	}
	put(l, "]}\r\n");
}

static void mac(struct otk_listen *l)
{
	static const char hex[] = "0123456789abcdef";
	char s[18];
	if (!l->info->mac) {
		put(l, "Your device does not have a MAC address\r\n");
		return;
	}
	for (int i = 0; i < 6; i++) {
		s[3 * i] = hex[l->info->mac[i] >> 4];
		s[3 * i + 1] = hex[l->info->mac[i] & 15];
		s[3 * i + 2] = i < 5 ? ':' : 0;
	}
	put(l, "Your device MAC address is\r\n");
	put(l, s);
	put(l, "\r\n");
}

void otk_listen_init(struct otk_listen *l, const struct otk_listen_ops *ops, void *ctx,
		     const struct otk_listen_info *info, const struct otk_ymodem_sink *sink,
		     void *sink_ctx)
{
	memset(l, 0, sizeof *l);
	l->ops = ops;
	l->ctx = ctx;
	l->info = info;
	l->sink = sink;
	l->sink_ctx = sink_ctx;
}

static void command(struct otk_listen *l, uint8_t c, uint32_t now)
{
	switch (c) {
	case 'i':
		put(l, "Your device id is ");
		put(l, l->info->device_id);
		put(l, "\r\n");
		break;
	case 'm':
		mac(l);
		break;
	case 'v':
		put(l, "system firmware version: ");
		put(l, l->info->version);
		put(l, "\r\n");
		break;
	case 's':
		system_info(l);
		break;
	case 'L':
		put(l, "Listen mode on boot; resetting into safe mode\r\n");
		l->ops->action(l->ctx, OTK_LISTEN_SAFE_LISTEN, OTK_OK);
		break;
	case 'x':
		l->ops->action(l->ctx, OTK_LISTEN_EXIT, OTK_OK);
		break;
	case 'f':
		put(l, "Waiting for the binary file to be sent ... (press 'a' to abort)\r\n");
		otk_ymodem_init(&l->ym, l->sink, l->sink_ctx, now);
		l->receiving = true;
		break;
	default:
		break; /* ignored, as Device OS does */
	}
}

/* Send what the receiver queued; report the end of the transfer. */
static void ymodem_flush(struct otk_listen *l)
{
	uint8_t b[96];
	size_t n;
	while ((n = otk_ymodem_output(&l->ym, b, sizeof b)) > 0)
		l->ops->write(l->ctx, b, n);
	if (l->receiving && otk_ymodem_done(&l->ym)) {
		int rc = otk_ymodem_result(&l->ym);
		l->receiving = false;
		l->ops->action(l->ctx, rc == OTK_OK ? OTK_LISTEN_UPDATED : OTK_LISTEN_UPDATE_FAILED, rc);
	}
}

void otk_listen_input(struct otk_listen *l, const uint8_t *data, size_t len, uint32_t now)
{
	size_t i = 0;
	while (i < len) {
		if (l->receiving) {
			ymodem_flush(l); /* the 'C' queued at 'f' goes out first */
			if (!l->receiving)
				continue;
			i += otk_ymodem_input(&l->ym, data + i, len - i, now);
			ymodem_flush(l);
			continue;
		}
		command(l, data[i++], now);
		if (l->receiving)
			ymodem_flush(l);
	}
}

void otk_listen_tick(struct otk_listen *l, uint32_t now)
{
	if (!l->receiving)
		return;
	otk_ymodem_tick(&l->ym, now);
	ymodem_flush(l);
}

bool otk_listen_receiving(const struct otk_listen *l)
{
	return l->receiving;
}
