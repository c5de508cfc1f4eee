/*
 * The smallest native application for the otakit virtual device: a log
 * line at setup and one per loop, a second apart.
 */
#include <otakit/app.h>

static unsigned count;

void setup(void)
{
	LOG_INFO("hello from setup() on device %s", otakit_device_id());
}

void loop(void)
{
	LOG_INFO("hello from loop() #%u at %lu ms", ++count, (unsigned long)otakit_millis());
	otakit_delay(1000);
}
