/*
 * otakit keys new|load|save|server|address|doctor, as particle-cli's
 * `particle keys ...` for Gen3 and later devices: EC P-256 keys, written to
 * and read from the device's DCT over DFU alt 1 at the offsets of otk/dct.h,
 * so keys written by one tool are read by the other.  (`keys send` is with
 * the cloud commands, cmd_cloud.c.)
 */
#define _GNU_SOURCE
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "otk/dct.h"
#include "otk/error.h"
#include "otk/usb.h"

enum { OPT_DEVICE = 0x100, OPT_HOST, OPT_PORT, OPT_JSON, OPT_FORCE, OPT_API, OPT_PROFILE };

struct keys_args {
	const char *cmd;
	const char *device, *host, *api, *profile;
	uint32_t port;
	bool json, force;
	char **rest;
	int nrest;
};

/* The options every keys command takes; the exit status on a bad one, else 0. */
static int keys_options(int argc, char **argv, struct keys_args *a)
{
	static const struct option opts[] = {
		{ "device", required_argument, NULL, OPT_DEVICE },
		{ "host", required_argument, NULL, OPT_HOST },
		{ "port", required_argument, NULL, OPT_PORT },
		{ "json", no_argument, NULL, OPT_JSON },
		{ "force", no_argument, NULL, OPT_FORCE },
		{ "api", required_argument, NULL, OPT_API },
		{ "profile", required_argument, NULL, OPT_PROFILE },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	optind = 1;
	while ((c = getopt_long(argc, argv, "f", opts, NULL)) != -1) {
		switch (c) {
		case OPT_DEVICE: a->device = optarg; break;
		case OPT_HOST: a->host = optarg; break;
		case OPT_PORT:
			if (!cli_parse_u32(optarg, &a->port) || a->port == 0 || a->port > 65534)
				return cli_usage_error(a->cmd, "%s: --port takes 1..65534", a->cmd);
			break;
		case OPT_JSON: a->json = true; break;
		case 'f':
		case OPT_FORCE: a->force = true; break;
		case OPT_API: a->api = optarg; break;
		case OPT_PROFILE: a->profile = optarg; break;
		default: return cli_bad_usage(a->cmd, argv);
		}
	}
	a->rest = argv + optind;
	a->nrest = argc - optind;
	return 0;
}

/* ---- keys and files --------------------------------------------------------- */

static bool is_p256(EVP_PKEY *k)
{
	char group[32];
	size_t n;
	return k && EVP_PKEY_is_a(k, "EC") &&
	       EVP_PKEY_get_utf8_string_param(k, "group", group, sizeof group, &n) &&
	       strcmp(group, "prime256v1") == 0;
}

/* A private (want_private) or public key from PEM or DER bytes, or NULL. */
static EVP_PKEY *key_parse(const uint8_t *buf, size_t len, bool want_private)
{
	BIO *b = BIO_new_mem_buf(buf, (int)len);
	EVP_PKEY *k = NULL;
	if (!b)
		return NULL;
	if (want_private) {
		k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		if (!k) {
			const uint8_t *p = buf;
			k = d2i_AutoPrivateKey(NULL, &p, (long)len);
		}
	} else {
		k = PEM_read_bio_PUBKEY(b, NULL, NULL, NULL);
		if (!k) {
			const uint8_t *p = buf;
			k = d2i_PUBKEY(NULL, &p, (long)len);
		}
		if (!k) { /* a private key also gives its public half */
			const uint8_t *p = buf;
			BIO_reset(b);
			k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
			if (!k)
				k = d2i_AutoPrivateKey(NULL, &p, (long)len);
		}
	}
	BIO_free(b);
	return k;
}

/* A P-256 key read from path (private or public as asked), errors printed. */
static EVP_PKEY *key_load(const char *path, bool want_private)
{
	size_t len;
	uint8_t *buf = cli_read_file(path, &len);
	if (!buf)
		return NULL;
	EVP_PKEY *k = len <= 64 * 1024 ? key_parse(buf, len, want_private) : NULL;
	free(buf);
	if (!k) {
		cli_error(path, "not an EC %s key in PEM or DER form",
			  want_private ? "private" : "public");
		return NULL;
	}
	if (!is_p256(k)) {
		cli_error(path, "not a P-256 (prime256v1) EC key: Gen3 and later devices use only "
			  "P-256 for the cloud's UDP protocol");
		EVP_PKEY_free(k);
		return NULL;
	}
	return k;
}

/* The device's form of a private key: SEC 1 DER (malloc'd), as `openssl ec -outform DER` gives. */
static uint8_t *private_der(EVP_PKEY *k, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_PrivateKey(k, &der);
	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
}

static uint8_t *public_der(EVP_PKEY *k, size_t *len)
{
	uint8_t *der = NULL;
	int n = i2d_PUBKEY(k, &der);
	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
}

/* PEM text of a key (malloc'd, NUL-terminated): private SEC 1, or public SPKI. */
static char *key_pem(EVP_PKEY *k, bool private_part, size_t *len)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *out = NULL, *p;
	if (!b)
		return NULL;
	int ok;
	if (private_part) {
		size_t dl;
		uint8_t *der = private_der(k, &dl);
		ok = der && PEM_write_bio(b, "EC PRIVATE KEY", "", der, (long)dl) > 0;
		OPENSSL_free(der);
	} else {
		ok = PEM_write_bio_PUBKEY(b, k) == 1;
	}
	long n = BIO_get_mem_data(b, &p);
	if (ok && n > 0 && (out = malloc((size_t)n + 1))) {
		memcpy(out, p, (size_t)n);
		out[n] = 0;
		*len = (size_t)n;
	}
	BIO_free(b);
	return out;
}

/* path without its extension (.der, .pem, .pub.pem), with ext appended (malloc'd). */
static char *with_ext(const char *path, const char *ext)
{
	size_t n = strlen(path);
	static const char *const known[] = { ".pub.pem", ".pem", ".der" };
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++) {
		size_t e = strlen(known[i]);
		if (n > e && strcmp(path + n - e, known[i]) == 0) {
			n -= e;
			break;
		}
	}
	char *out;
	return asprintf(&out, "%.*s%s", (int)n, path, ext) < 0 ? NULL : out;
}

/* Writes base.pem (private), base.der (private, the device's form), base.pub.pem. */
static bool write_key_files(EVP_PKEY *k, const char *base, bool force, bool with_private_pem)
{
	char *pem = NULL, *pub = NULL, *pem_path = with_ext(base, ".pem");
	char *der_path = with_ext(base, ".der"), *pub_path = with_ext(base, ".pub.pem");
	uint8_t *der = NULL;
	size_t pl = 0, ul = 0, dl = 0;
	bool ok = pem_path && der_path && pub_path && (der = private_der(k, &dl)) &&
		  (pub = key_pem(k, false, &ul)) && (!with_private_pem || (pem = key_pem(k, true, &pl)));
	if (!ok)
		cli_error(base, "cannot encode the key");
	/* every output checked before the first is written: all or nothing */
	ok = ok && (!with_private_pem || !cli_output_taken(pem_path, force)) &&
	     !cli_output_taken(der_path, force) && !cli_output_taken(pub_path, force);
	ok = ok && (!with_private_pem || cli_write_file(pem_path, pem, pl, force)) &&
	     cli_write_file(der_path, der, dl, force) && cli_write_file(pub_path, pub, ul, force);
	OPENSSL_free(der);
	free(pem);
	free(pub);
	free(pem_path);
	free(der_path);
	free(pub_path);
	return ok;
}

/* ---- the device's DCT over DFU ----------------------------------------------- */

struct dct {
	struct otk_usb_dev *dev;
	struct otk_usb_info info;
	bool was_normal;
};

/* Open the device and put it in DFU mode on the DCT's alt setting. */
static bool dct_open(struct dct *d, const char *id)
{
	memset(d, 0, sizeof *d);
	if (!(d->dev = cli_usb_open(id, &d->info)))
		return false;
	d->was_normal = !d->info.dfu;
	if (!cli_usb_to_mode(&d->dev, &d->info, true))
		return false;
	int rc = otk_usb_set_alt(d->dev, OTK_DCT_ALT);
	if (rc < 0) {
		cli_error(NULL, "%s: cannot select the DCT (DFU alt %d): %s", d->info.id, OTK_DCT_ALT,
			  otk_usb_strerror(rc));
		return false;
	}
	return true;
}

/* Back to normal mode when it was there before; closes. */
static bool dct_close(struct dct *d, bool ok)
{
	if (d->dev && ok && d->was_normal)
		ok = cli_usb_to_mode(&d->dev, &d->info, false);
	if (d->dev)
		otk_usb_close(d->dev);
	d->dev = NULL;
	return ok;
}

static bool dct_rw(struct dct *d, bool write, uint32_t off, uint8_t *buf, size_t len)
{
	/* no memory string: the DCT takes writes without an erase, as particle-cli writes it */
	struct otk_dfu f = { .io = otk_usb_dev_io(d->dev), .iface = 0, .retries = 2 };
	int rc = write ? otk_dfu_download(&f, off, buf, len) : otk_dfu_upload(&f, off, buf, len);
	if (rc < 0)
		cli_error(NULL, "%s: DCT %s at %u failed: %s", d->info.id, write ? "write" : "read",
			  off, f.err[0] ? f.err : otk_usb_strerror(rc));
	return rc >= 0;
}

/* The device key slot's key, or NULL (with *why) when it holds none. */
static EVP_PKEY *slot_key(const uint8_t *slot, const char **why)
{
	size_t n = otk_dct_der_length(slot, OTK_DCT_DEVICE_KEY_SIZE);
	*why = "the slot is empty or holds no DER key";
	if (!n)
		return NULL;
	const uint8_t *p = slot;
	EVP_PKEY *k = d2i_AutoPrivateKey(NULL, &p, (long)n);
	*why = "the slot holds DER that is not an EC private key";
	if (k && !is_p256(k)) {
		*why = "the slot holds a key that is not P-256";
		EVP_PKEY_free(k);
		k = NULL;
	}
	return k;
}

/* ---- commands ------------------------------------------------------------------ */

static int cmd_new(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys new" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest > 1)
		return cli_usage_error(a.cmd, "%s: at most one NAME", a.cmd);
	const char *base = a.nrest ? a.rest[0] : "device";
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	bool ok = k && write_key_files(k, base, a.force, true);
	EVP_PKEY_free(k);
	if (ok)
		printf("New P-256 key: %s.pem, %s.der (for the device), %s.pub.pem (for the cloud)\n",
		       cli_shown(base), cli_shown(base), cli_shown(base));
	return ok ? 0 : 1;
}

/* Writes a key file into the device's key slot, keeping a backup of the old key. */
static bool load_key(const char *path, const char *device)
{
	EVP_PKEY *k = key_load(path, true);
	size_t dl = 0;
	uint8_t *der = k ? private_der(k, &dl) : NULL;
	EVP_PKEY_free(k);
	if (!der)
		return false;
	if (dl > OTK_DCT_DEVICE_KEY_SIZE) {
		cli_error(path, "the key's DER form takes %zu bytes, the slot %u", dl,
			  OTK_DCT_DEVICE_KEY_SIZE);
		OPENSSL_free(der);
		return false;
	}
	struct dct d;
	uint8_t slot[OTK_DCT_DEVICE_KEY_SIZE];
	bool ok = dct_open(&d, device) &&
		  dct_rw(&d, false, OTK_DCT_DEVICE_KEY_OFFSET, slot, sizeof slot);
	const char *why;
	EVP_PKEY *old = ok ? slot_key(slot, &why) : NULL;
	if (old) {
		/* nothing lost: the key being replaced goes into backup_ec_NAME.der */
		char *copy = strdup(path), *bak = NULL;
		char *dir = copy ? dirname(copy) : NULL;
		char *name = strdup(path);
		if (dir && name && asprintf(&bak, "%s/backup_ec_%s", dir, basename(name)) >= 0) {
			char *bder = with_ext(bak, ".der");
			size_t ol = otk_dct_der_length(slot, sizeof slot);
			ok = bder && cli_write_file(bder, slot, ol, true);
			if (ok)
				printf("Saved the device's previous key to %s\n", cli_shown(bder));
			free(bder);
		}
		free(bak);
		free(copy);
		free(name);
		EVP_PKEY_free(old);
	}
	uint8_t buf[OTK_DCT_DEVICE_KEY_SIZE];
	memset(buf, 0xFF, sizeof buf);
	memcpy(buf, der, dl);
	OPENSSL_free(der);
	uint8_t back[OTK_DCT_DEVICE_KEY_SIZE];
	ok = ok && dct_rw(&d, true, OTK_DCT_DEVICE_KEY_OFFSET, buf, sizeof buf) &&
	     dct_rw(&d, false, OTK_DCT_DEVICE_KEY_OFFSET, back, sizeof back);
	if (ok && memcmp(back, buf, sizeof buf) != 0) {
		cli_error(NULL, "%s: the key read back differs from the key written", d.info.id);
		ok = false;
	}
	if (ok)
		printf("Key %s written to device %s\n", cli_shown(path), d.info.id);
	return dct_close(&d, ok);
}

static int cmd_load(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys load" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest != 1)
		return cli_usage_error(a.cmd, "%s: need one KEY file (.der or .pem)", a.cmd);
	return load_key(a.rest[0], a.device) ? 0 : 1;
}

static int cmd_save(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys save" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest != 1)
		return cli_usage_error(a.cmd, "%s: need one FILE to write", a.cmd);
	char *der_path = with_ext(a.rest[0], ".der"), *pub_path = with_ext(a.rest[0], ".pub.pem");
	if (!der_path || !pub_path || cli_output_taken(der_path, a.force) ||
	    cli_output_taken(pub_path, a.force)) {
		free(der_path);
		free(pub_path);
		return 1;
	}
	struct dct d;
	uint8_t slot[OTK_DCT_DEVICE_KEY_SIZE];
	bool ok = dct_open(&d, a.device) &&
		  dct_rw(&d, false, OTK_DCT_DEVICE_KEY_OFFSET, slot, sizeof slot);
	ok = dct_close(&d, ok);
	const char *why;
	EVP_PKEY *k = ok ? slot_key(slot, &why) : NULL;
	if (ok && !k) {
		cli_error(NULL, "%s: no device key to save: %s", d.info.id, why);
		ok = false;
	}
	if (ok)
		ok = write_key_files(k, a.rest[0], a.force, false);
	if (ok)
		printf("Saved the key of %s to %s and %s\n", d.info.id, cli_shown(der_path),
		       cli_shown(pub_path));
	EVP_PKEY_free(k);
	free(der_path);
	free(pub_path);
	return ok ? 0 : 1;
}

static int cmd_server(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys server" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest != 1)
		return cli_usage_error(a.cmd, "%s: need the server's public KEY file (.der or .pem)",
				       a.cmd);
	if (a.port && !a.host)
		return cli_usage_error(a.cmd, "%s: --port needs --host", a.cmd);
	EVP_PKEY *k = key_load(a.rest[0], false);
	size_t dl = 0;
	uint8_t *der = k ? public_der(k, &dl) : NULL;
	EVP_PKEY_free(k);
	if (!der)
		return 1;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	struct dct d = { 0 };
	bool ok = true;
	if (a.host) {
		if (otk_dct_server_format(slot, der, dl, a.host, (uint16_t)a.port) < 0) {
			cli_error(NULL, "--host %s: not a host name or IPv4 address of at most %u "
				  "characters", cli_shown(a.host), OTK_DCT_HOST_MAX);
			ok = false;
		}
		ok = ok && dct_open(&d, a.device);
	} else {
		/* the key alone: the address and port already there are kept */
		ok = dct_open(&d, a.device) &&
		     dct_rw(&d, false, OTK_DCT_SERVER_KEY_OFFSET, slot, sizeof slot);
		if (ok) {
			memset(slot, 0xFF, OTK_DCT_SERVER_ADDR_OFFSET);
			memcpy(slot, der, dl);
		}
	}
	OPENSSL_free(der);
	uint8_t back[OTK_DCT_SERVER_KEY_SIZE];
	ok = ok && dct_rw(&d, true, OTK_DCT_SERVER_KEY_OFFSET, slot, sizeof slot) &&
	     dct_rw(&d, false, OTK_DCT_SERVER_KEY_OFFSET, back, sizeof back);
	if (ok && memcmp(back, slot, sizeof slot) != 0) {
		cli_error(NULL, "%s: the server key read back differs from what was written",
			  d.info.id);
		ok = false;
	}
	if (ok) {
		struct otk_dct_server s;
		otk_dct_server_read(slot, &s);
		printf("Server key %s written to device %s (server %s:%u)\n", cli_shown(a.rest[0]),
		       d.info.id, s.host[0] ? s.host : "udp.particle.io", s.port);
	}
	return dct_close(&d, ok) ? 0 : 1;
}

static int cmd_address(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys address" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest)
		return cli_usage_error(a.cmd, "%s: takes no arguments", a.cmd);
	struct dct d;
	uint8_t slot[OTK_DCT_SERVER_KEY_SIZE];
	bool ok = dct_open(&d, a.device) &&
		  dct_rw(&d, false, OTK_DCT_SERVER_KEY_OFFSET, slot, sizeof slot);
	if (!dct_close(&d, ok))
		return 1;
	struct otk_dct_server s;
	otk_dct_server_read(slot, &s);
	/* no address stored: Device OS falls back to Particle's cloud */
	const char *host = s.host[0] ? s.host : "udp.particle.io";
	if (a.json) {
		json_t *o = json_pack("{s:s, s:i, s:b, s:b}", "host", host, "port", s.port,
				      "stored", s.host[0] != 0,
				      "key", otk_dct_der_length(slot, OTK_DCT_SERVER_ADDR_OFFSET) > 0);
		json_dumpf(o, stdout, JSON_INDENT(2));
		putchar('\n');
		json_decref(o);
	} else {
		printf("udp://%s:%u\n", host, s.port);
	}
	return 0;
}

static int cmd_doctor(int argc, char **argv)
{
	struct keys_args a = { .cmd = "keys doctor" };
	int r = keys_options(argc, argv, &a);
	if (r)
		return r;
	if (a.nrest != 1)
		return cli_usage_error(a.cmd, "%s: need the DEVICE id", a.cmd);
	const char *id = a.rest[0];
	char *base;
	if (asprintf(&base, "%s_ec_new", id) < 0)
		return 1;
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	char *der = with_ext(base, ".der"), *pub = with_ext(base, ".pub.pem");
	bool ok = k && der && pub && write_key_files(k, base, true, true) &&
		  load_key(der, a.device ? a.device : id);
	EVP_PKEY_free(k);
	int st = ok ? 0 : 1;
	if (ok) {
		char *sargv[9] = { "send", (char *)id, pub };
		int n = 3;
		if (a.api) {
			sargv[n++] = "--api";
			sargv[n++] = (char *)a.api;
		}
		if (a.profile) {
			sargv[n++] = "--profile";
			sargv[n++] = (char *)a.profile;
		}
		st = cli_keys_send(n, sargv);
		if (st == 0)
			printf("New keys in place for %s; the device uses them after its next reset\n", id);
	}
	free(base);
	free(der);
	free(pub);
	return st;
}

#define KEYS_DEVICE_HELP                                                                 \
	"  --device ID            the device on USB when several are attached\n"         \
	"The device is put into DFU mode for the DCT and back into normal mode after.\n"

const struct cli_command cli_keys_commands[] = {
	{ "keys new", "create a new P-256 device key pair",
	  "Usage: otakit keys new [NAME] [--force]\n"
	  "\n"
	  "Writes NAME.pem (private), NAME.der (private, the form `keys load` writes to a\n"
	  "device) and NAME.pub.pem (public, for `keys send`); NAME is 'device' by default.\n"
	  "Existing files are kept unless --force.\n"
	  "\nExample:\n  otakit keys new mydevice && otakit keys load mydevice.der\n",
	  cmd_new },
	{ "keys load", "write a device private key into the device",
	  "Usage: otakit keys load KEY.der|KEY.pem [--device ID]\n"
	  "\n"
	  "Writes the EC P-256 private key into the device's DCT (offset 3106, the slot\n"
	  "particle-cli writes) over DFU and reads it back.  The key it replaces is\n"
	  "saved first as backup_ec_KEY.der beside KEY.\n"
	  KEYS_DEVICE_HELP
	  "\nExample:\n  otakit keys load mydevice.der\n",
	  cmd_load },
	{ "keys save", "read the device's private key into a file",
	  "Usage: otakit keys save FILE [--device ID] [--force]\n"
	  "\n"
	  "Reads the device's private key from its DCT into FILE.der, and its public\n"
	  "half into FILE.pub.pem.\n"
	  KEYS_DEVICE_HELP
	  "\nExample:\n  otakit keys save backup\n",
	  cmd_save },
	{ "keys server", "write the cloud's public key and address into the device",
	  "Usage: otakit keys server KEY.der|KEY.pem [--host HOST [--port PORT]] [--device ID]\n"
	  "\n"
	  "Writes the server's EC P-256 public key into the device's DCT (offset 3298)\n"
	  "with, when --host is given, the server's address (an IPv4 address or a host\n"
	  "name) and port, as `particle keys server` lays them out.  Without --host the\n"
	  "address already stored is kept.\n"
	  KEYS_DEVICE_HELP
	  "\nExamples:\n"
	  "  otakit keys server otakitd-server.pub.pem --host 192.168.1.20 --port 5684\n"
	  "  otakit keys server server.der --host cloud.example.com\n",
	  cmd_server },
	{ "keys address", "show the cloud address stored in the device",
	  "Usage: otakit keys address [--device ID] [--json]\n"
	  "\n"
	  "Prints the server address and port from the device's DCT as udp://HOST:PORT\n"
	  "(udp.particle.io and 5684 when none is stored, as Device OS falls back).\n"
	  KEYS_DEVICE_HELP
	  "\nExample:\n  otakit keys address --json\n",
	  cmd_address },
	{ "keys doctor", "new key pair for a device: load it and send it to the cloud",
	  "Usage: otakit keys doctor DEVICE [--device ID] [--api URL] [--profile NAME]\n"
	  "\n"
	  "Creates DEVICE_ec_new.{pem,der,pub.pem}, writes the private key into the\n"
	  "device (keeping a backup of the old one) and sends the public key to the\n"
	  "cloud (POST /v1/provisioning/DEVICE), as `particle keys doctor` does.\n"
	  "  --device ID            the USB device when it is not DEVICE itself\n"
	  "\nExample:\n  otakit keys doctor 0123456789abcdef01234567\n",
	  cmd_doctor },
};
const size_t cli_keys_command_count = sizeof cli_keys_commands / sizeof cli_keys_commands[0];
