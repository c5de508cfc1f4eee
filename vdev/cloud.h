/*
 * The virtual device and the cloud: keys in the DCT (cloud_keys.c) and
 * `run --cloud` (cloud.c): DTLS to the server in the DCT, the connect
 * sequence and OTA v3 from the device library, served from run's poll hook.
 */
#ifndef OTK_VDEV_CLOUD_H
#define OTK_VDEV_CLOUD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <openssl/evp.h>

#include "otk/boot.h"
#include "otk/dct.h"

struct vdev;

/* The DCT file, DIR/dct.bin; the key slots in it are otk/dct.h's. */
#define VDEV_DCT_SIZE 16384u

struct vdev_server {
	uint8_t spki[160];
	size_t spki_len;
	char host[OTK_DCT_HOST_MAX + 1];
	uint16_t port;
};

/* Opens DIR/dct.bin, creating it erased (16 KB of 0xFF); -1 with a message. */
int vdev_dct_open(const char *dir);
/* A new P-256 device key into the DCT (create). */
bool vdev_keys_generate(const char *dir);
/* The device's private key from the DCT; NULL with a message. */
EVP_PKEY *vdev_keys_device(const char *dir);
/* The server's key, address and port from the DCT; false with a message. */
bool vdev_keys_server(const char *dir, struct vdev_server *s);
int cmd_keys(int argc, char **argv);

/*
 * run --cloud: (re)connects after each boot with what that boot found
 * (Hello fields, describe) and serves the connection from vdev_poll_hook.
 * An OTA v3 update applied by the cloud sets vdev_reboot.
 */
bool cloud_start(struct vdev *v, const struct otk_boot_report *r);
void cloud_stop(void);

#endif
