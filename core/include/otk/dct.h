/*
 * The device keys in the DCT (device configuration table) of Gen3 and later
 * devices, where Device OS reads them and where particle-cli's `keys`
 * commands write them over DFU alt 1 (particle-cli src/lib/keys-specs.js):
 *
 *   udpPrivateKey  offset 3106, 192 bytes: the device's EC P-256 private
 *                  key, DER (SEC 1 ECPrivateKey), the rest of the slot 0xFF
 *   udpServerKey   offset 3298, 320 bytes: the server's public key, DER
 *                  (SubjectPublicKeyInfo), 0xFF up to +192, where the
 *                  server address sits as type, length, value (type 0: an
 *                  IPv4 address in 4 bytes; type 1: a host name), and the
 *                  port big-endian at +258 (0xFFFF: the default, 5684)
 *
 * Portable: the codec of those two slots, no I/O.
 */
#ifndef OTK_DCT_H
#define OTK_DCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define OTK_DCT_ALT 1
#define OTK_DCT_DEVICE_KEY_OFFSET 3106u
#define OTK_DCT_DEVICE_KEY_SIZE 192u
#define OTK_DCT_SERVER_KEY_OFFSET 3298u
#define OTK_DCT_SERVER_KEY_SIZE 320u
#define OTK_DCT_SERVER_ADDR_OFFSET 192u /* inside the server key slot */
#define OTK_DCT_SERVER_PORT_OFFSET 258u
#define OTK_DCT_DEFAULT_PORT 5684u
#define OTK_DCT_HOST_MAX 63u            /* a host name fits between +194 and +258 */

enum otk_dct_addr_type { OTK_DCT_ADDR_IPV4 = 0, OTK_DCT_ADDR_NAME = 1 };

struct otk_dct_server {
	char host[OTK_DCT_HOST_MAX + 1]; /* "" when the slot holds no valid address */
	uint16_t port;                   /* OTK_DCT_DEFAULT_PORT when unset */
};

/*
 * Length of the DER element (a SEQUENCE) at the start of slot, header
 * included, or 0 when the slot holds none that fits in cap bytes (an erased
 * slot reads 0xFF).
 */
size_t otk_dct_der_length(const uint8_t *slot, size_t cap);

/* The address and port stored in a server key slot (OTK_DCT_SERVER_KEY_SIZE bytes). */
void otk_dct_server_read(const uint8_t *slot, struct otk_dct_server *out);

/*
 * Fill a server key slot as particle-cli's `keys server --host --port` does:
 * the key's DER bytes, 0xFF to the address, the address (a dotted IPv4
 * address or a host name), the port when nonzero.  OTK_OK, OTK_EINVAL for a
 * key longer than the address offset or an empty or over-long host.
 */
int otk_dct_server_format(uint8_t slot[OTK_DCT_SERVER_KEY_SIZE], const uint8_t *der,
			  size_t der_len, const char *host, uint16_t port);

#endif
