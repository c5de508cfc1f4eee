/*
 * Logging, the clock and stop requests of the virtual device, and the
 * functions of the application API (include/otakit/app.h) that native
 * applications resolve from this executable when they are loaded.
 */
#define _POSIX_C_SOURCE 200809L
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "otakit/app.h"
#include "vdev.h"

static struct timespec g_boot;
void (*vdev_log_hook)(const char *line, size_t len);
static char g_device_id[25];
volatile sig_atomic_t vdev_stop_signal;
uint32_t vdev_deadline_ms;

void vlog_start(void)
{
	clock_gettime(CLOCK_MONOTONIC, &g_boot);
	setvbuf(stdout, NULL, _IOLBF, 0);   /* lines reach a pipe before a kill -9 */
}

uint32_t vlog_millis(void)
{
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	long long ms = (long long)(now.tv_sec - g_boot.tv_sec) * 1000 +
		       (now.tv_nsec - g_boot.tv_nsec) / 1000000;
	return (uint32_t)ms;
}

static const char *level_name(int level)
{
	if (level >= OTAKIT_LOG_ERROR)
		return "ERROR";
	if (level >= OTAKIT_LOG_WARN)
		return "WARN";
	if (level >= OTAKIT_LOG_INFO)
		return "INFO";
	return "TRACE";
}

static void vlogv(const char *cat, int level, const char *fmt, va_list ap)
{
	char line[1024];
	char out[1100];
	int n;
	vsnprintf(line, sizeof line, fmt, ap);
	n = snprintf(out, sizeof out, "%010lu [%s] %s: %s\n", (unsigned long)vlog_millis(), cat,
		     level_name(level), line);
	fputs(out, stdout);
	if (vdev_log_hook && n > 0)
		vdev_log_hook(out, (size_t)n < sizeof out ? (size_t)n : sizeof out - 1);
}

void vlog(const char *cat, int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogv(cat, level, fmt, ap);
	va_end(ap);
}

void (*vdev_poll_hook)(void);
volatile bool vdev_reboot;

bool vdev_should_stop(void)
{
	if (vdev_poll_hook)
		vdev_poll_hook();
	return vdev_stop_signal || vdev_reboot || (vdev_deadline_ms && vlog_millis() >= vdev_deadline_ms);
}

void vdev_sleep(uint32_t ms)
{
	uint32_t end = vlog_millis() + ms;
	while (!vdev_should_stop()) {
		uint32_t now = vlog_millis();
		if (now >= end)
			break;
		uint32_t step = end - now < 20 ? end - now : 20;
		struct timespec ts = { 0, (long)step * 1000000L };
		nanosleep(&ts, NULL);
	}
}

void vdev_set_device_id(const char *id)
{
	snprintf(g_device_id, sizeof g_device_id, "%s", id);
}

/* --- application API ------------------------------------------------- */

void otakit_log(int level, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vlogv("app", level, fmt, ap);
	va_end(ap);
}

uint32_t otakit_millis(void)
{
	return vlog_millis();
}

void otakit_delay(uint32_t ms)
{
	vdev_sleep(ms);
}

const char *otakit_device_id(void)
{
	return g_device_id;
}
