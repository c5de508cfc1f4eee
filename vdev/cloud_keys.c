/*
 * The device's cloud keys in its DCT (DIR/dct.bin, DFU alt 1), in the slots
 * of otk/dct.h (particle-cli's Gen3 offsets), so particle-cli's `keys`
 * commands, `otakit keys` and the virtual device read the same bytes.
 *
 *   otakit-vdev keys server DIR SERVER.der --host H --port N
 *   otakit-vdev keys device DIR          the device's public key (PEM) on stdout
 *   otakit-vdev keys address DIR         the server address, as particle keys address
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "cloud.h"
#include "otk/error.h"
#include "vdev.h"

int vdev_dct_open(const char *dir)
{
	char path[4200];
	snprintf(path, sizeof path, "%s/dct.bin", dir);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
	if (fd < 0) {
		cli_error(path, "%s", strerror(errno));
		return -1;
	}
	if (lseek(fd, 0, SEEK_END) != VDEV_DCT_SIZE) {
		uint8_t ff[VDEV_DCT_SIZE];
		memset(ff, 0xFF, sizeof ff);
		if (pwrite(fd, ff, sizeof ff, 0) != (ssize_t)sizeof ff || ftruncate(fd, VDEV_DCT_SIZE) < 0) {
			cli_error(path, "%s", strerror(errno));
			close(fd);
			return -1;
		}
	}
	return fd;
}

static bool dct_rw(const char *dir, bool write, uint32_t off, void *buf, size_t len)
{
	int fd = vdev_dct_open(dir);
	if (fd < 0)
		return false;
	ssize_t n = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	bool ok = n == (ssize_t)len && (!write || fdatasync(fd) == 0);
	if (!ok)
		cli_error(dir, "dct.bin: cannot %s %zu bytes at %u", write ? "write" : "read", len,
			  (unsigned)off);
	close(fd);
	return ok;
}

bool vdev_keys_generate(const char *dir)
{
	uint8_t slot[OTK_DCT_DEVICE_KEY_SIZE];
	memset(slot, 0xFF, sizeof slot);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	uint8_t *der = NULL;
	int n = k ? i2d_PrivateKey(k, &der) : -1;
	bool ok = n > 0 && (size_t)n <= sizeof slot;
	if (ok)
		memcpy(slot, der, (size_t)n);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	if (!ok) {
		cli_error(dir, "cannot make the device key");
		return false;
	}
	return dct_rw(dir, true, OTK_DCT_DEVICE_KEY_OFFSET, slot, sizeof slot);
}

EVP_PKEY *vdev_keys_device(const char *dir)
{
	uint8_t slot[OTK_DCT_DEVICE_KEY_SIZE];
	if (!dct_rw(dir, false, OTK_DCT_DEVICE_KEY_OFFSET, slot, sizeof slot))
		return NULL;
	const uint8_t *p = slot;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, sizeof slot);
	if (!k)
		cli_error(dir, "dct.bin: no device private key at %u (otakit-vdev create makes one)",
			  OTK_DCT_DEVICE_KEY_OFFSET);
	return k;
}

bool vdev_keys_server(const char *dir, struct vdev_server *s)
{
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	memset(s, 0, sizeof *s);
	if (!dct_rw(dir, false, OTK_DCT_SERVER_KEY_OFFSET, slot, sizeof slot))
		return false;
	const uint8_t *p = slot;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, OTK_DCT_SERVER_ADDR_OFFSET);
	if (!k) {
		cli_error(dir, "dct.bin: no server public key at %u (otakit-vdev keys server sets it)",
			  OTK_DCT_SERVER_KEY_OFFSET);
		return false;
	}
	uint8_t *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	EVP_PKEY_free(k);
	if (n <= 0 || (size_t)n > sizeof s->spki) {
		OPENSSL_free(der);
		return false;
	}
	memcpy(s->spki, der, (size_t)n);
	s->spki_len = (size_t)n;
	OPENSSL_free(der);
	struct otk_dct_server a;
	otk_dct_server_read(slot, &a);
	if (!a.host[0]) {
		cli_error(dir, "dct.bin: no server address at %u",
			  OTK_DCT_SERVER_KEY_OFFSET + OTK_DCT_SERVER_ADDR_OFFSET);
		return false;
	}
	memcpy(s->host, a.host, sizeof s->host);
	s->port = a.port;
	return true;
}

static int keys_server(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "host", required_argument, NULL, 'h' },
		{ "port", required_argument, NULL, 'p' },
		{ NULL, 0, NULL, 0 },
	};
	const char *host = NULL;
	uint32_t port = OTK_DCT_DEFAULT_PORT;
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		if (c == 'h')
			host = optarg;
		else if (c == 'p' && cli_parse_u32(optarg, &port) && port > 0 && port < 65536)
			;
		else if (c == 'p')
			return vdev_usage_error("keys server: --port takes 1..65535");
		else
			return vdev_bad_option("keys server", argv);
	}
	if (optind + 2 != argc || !host)
		return vdev_usage_error("keys server: need DIR SERVER.der --host HOST [--port N]");
	const char *dir = argv[optind], *file = argv[optind + 1];
	size_t hl = strlen(host);
	if (hl == 0 || hl > OTK_DCT_HOST_MAX)
		return vdev_usage_error("keys server: --host takes 1 to 63 characters");
	FILE *f = fopen(file, "rb");
	uint8_t der[512];
	size_t n = f ? fread(der, 1, sizeof der, f) : 0;
	if (f)
		fclose(f);
	const uint8_t *p = der;
	EVP_PKEY *k = n ? d2i_PUBKEY(NULL, &p, (long)n) : NULL;
	if (!k) {
		cli_error(file, "%s", f ? "not a public key in DER (openssl ec -pubout -outform DER)"
					: strerror(errno));
		return 1;
	}
	uint8_t *out = NULL;
	int ol = i2d_PUBKEY(k, &out);
	EVP_PKEY_free(k);
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	/* laid out as particle-cli's keys server does (otk/dct.h) */
	int rc = ol > 0 ? otk_dct_server_format(slot, out, (size_t)ol, host, (uint16_t)port)
			: OTK_EINVAL;
	OPENSSL_free(out);
	if (rc < 0) {
		cli_error(file, "key too large for the DCT, or --host %s not a host name or IPv4 "
			  "address", cli_shown(host));
		return 1;
	}
	if (!dct_rw(dir, true, OTK_DCT_SERVER_KEY_OFFSET, slot, sizeof slot))
		return 1;
	printf("%s: server key set, %s port %u\n", cli_shown(dir), host, (unsigned)port);
	return 0;
}

static int keys_device(int argc, char **argv)
{
	if (argc != 2)
		return vdev_usage_error("keys device: need DIR");
	EVP_PKEY *k = vdev_keys_device(argv[1]);
	if (!k)
		return 1;
	int ok = PEM_write_PUBKEY(stdout, k);
	EVP_PKEY_free(k);
	return ok ? 0 : 1;
}

static int keys_address(int argc, char **argv)
{
	struct vdev_server srv;
	if (argc != 2)
		return vdev_usage_error("keys address: need DIR");
	if (!vdev_keys_server(argv[1], &srv))
		return 1;
	printf("udp://%s:%u\n", srv.host, srv.port);
	return 0;
}

int cmd_keys(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "server") == 0)
		return keys_server(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "device") == 0)
		return keys_device(argc - 1, argv + 1);
	if (argc >= 2 && strcmp(argv[1], "address") == 0)
		return keys_address(argc - 1, argv + 1);
	return vdev_usage_error("keys: need 'server DIR SERVER.der --host HOST [--port N]', "
				"'device DIR' or 'address DIR'");
}
