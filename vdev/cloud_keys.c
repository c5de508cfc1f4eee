/*
 * The device's cloud keys in its DCT (DIR/dct.bin, DFU alt 1), at the
 * offsets particle-cli uses for Gen3 devices (src/lib/keys-specs.js):
 * udpPrivateKey at 3106 (192 bytes, DER), udpServerKey at 3298 (320 bytes:
 * the public key in DER, the server address at +192 as a type byte (0 IPv4
 * in 4 bytes, 1 a name), a length and the bytes, the port big-endian at
 * +258; particle-cli 3.51 src/cmd/keys.js reads and writes the same), so
 * particle-cli's `keys` commands and ours read the same bytes.
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
	uint8_t slot[VDEV_DCT_PRIV_LEN];
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
	return dct_rw(dir, true, VDEV_DCT_PRIV_OFF, slot, sizeof slot);
}

EVP_PKEY *vdev_keys_device(const char *dir)
{
	uint8_t slot[VDEV_DCT_PRIV_LEN];
	if (!dct_rw(dir, false, VDEV_DCT_PRIV_OFF, slot, sizeof slot))
		return NULL;
	const uint8_t *p = slot;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, sizeof slot);
	if (!k)
		cli_error(dir, "dct.bin: no device private key at %u (otakit-vdev create makes one)",
			  VDEV_DCT_PRIV_OFF);
	return k;
}

bool vdev_keys_server(const char *dir, struct vdev_server *s)
{
	uint8_t slot[VDEV_DCT_SERVER_LEN];
	memset(s, 0, sizeof *s);
	if (!dct_rw(dir, false, VDEV_DCT_SERVER_OFF, slot, sizeof slot))
		return false;
	const uint8_t *p = slot;
	EVP_PKEY *k = d2i_PUBKEY(NULL, &p, VDEV_DCT_ADDR_AT);
	if (!k) {
		cli_error(dir, "dct.bin: no server public key at %u (otakit-vdev keys server sets it)",
			  VDEV_DCT_SERVER_OFF);
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
	const uint8_t *a = slot + VDEV_DCT_ADDR_AT;
	if (a[0] == 0 && a[1] == 4) {
		snprintf(s->host, sizeof s->host, "%u.%u.%u.%u", a[2], a[3], a[4], a[5]);
	} else if (a[0] == 1 && a[1] > 0 && a[1] < sizeof s->host) {
		memcpy(s->host, a + 2, a[1]);
		s->host[a[1]] = 0;
	} else {
		cli_error(dir, "dct.bin: no server address at %u", VDEV_DCT_SERVER_OFF + VDEV_DCT_ADDR_AT);
		return false;
	}
	s->port = (uint16_t)(slot[VDEV_DCT_PORT_AT] << 8 | slot[VDEV_DCT_PORT_AT + 1]);
	if (s->port == 0 || s->port == 0xFFFF)
		s->port = VDEV_CLOUD_PORT;
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
	uint32_t port = VDEV_CLOUD_PORT;
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
	if (hl == 0 || hl > 64)
		return vdev_usage_error("keys server: --host takes 1 to 64 characters");
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
	uint8_t slot[VDEV_DCT_SERVER_LEN];
	memset(slot, 0xFF, sizeof slot);
	bool ok = ol > 0 && (unsigned)ol <= VDEV_DCT_ADDR_AT;
	if (ok)
		memcpy(slot, out, (size_t)ol);
	OPENSSL_free(out);
	if (!ok) {
		cli_error(file, "key too large for the DCT");
		return 1;
	}
	/* as particle-cli: type 0 and 4 bytes for an IPv4 address, else 1 and the name */
	unsigned q[4];
	char end;
	uint8_t *a = slot + VDEV_DCT_ADDR_AT;
	if (sscanf(host, "%u.%u.%u.%u%c", &q[0], &q[1], &q[2], &q[3], &end) == 4 && q[0] < 256 &&
	    q[1] < 256 && q[2] < 256 && q[3] < 256) {
		a[0] = 0;
		a[1] = 4;
		for (int i = 0; i < 4; i++)
			a[2 + i] = (uint8_t)q[i];
	} else {
		a[0] = 1;
		a[1] = (uint8_t)hl;
		memcpy(a + 2, host, hl);
	}
	/* the port big-endian, as particle-cli writes it */
	slot[VDEV_DCT_PORT_AT] = (uint8_t)(port >> 8);
	slot[VDEV_DCT_PORT_AT + 1] = (uint8_t)port;
	if (!dct_rw(dir, true, VDEV_DCT_SERVER_OFF, slot, sizeof slot))
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
