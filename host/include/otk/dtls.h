/*
 * DTLS 1.2 of the Device OS profile, server and client (docs/dtls.md).
 *
 * One cipher suite (TLS_ECDHE_ECDSA_WITH_AES_128_CCM_8), P-256, RFC 7250
 * raw public keys both ways, the draft-05 Connection ID of mbedtls 2.x
 * (extension 254, record type 25; the server assigns 8 bytes), cookie
 * exchange, flight retransmission, fragmentation and reassembly, a replay
 * window, and sessions that can be saved and restored so that a device
 * resumes without a handshake.  Built on OpenSSL 3 libcrypto primitives.
 *
 * I/O-free: the caller feeds datagrams with otk_dtls_input(), gets the
 * datagrams to send and the application data through callbacks, owns the
 * sockets and calls otk_dtls_poll() when otk_dtls_timeout() says so.
 */
#ifndef OTK_DTLS_H
#define OTK_DTLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct evp_pkey_st; /* OpenSSL's EVP_PKEY */

enum otk_dtls_mode {
	/* Device OS: the server sends no Certificate; the client holds its key. */
	OTK_DTLS_PARTICLE = 0,
	/* RFC 7250 as GnuTLS speaks it: the server's raw key in a Certificate. */
	OTK_DTLS_RFC7250 = 1,
};

#define OTK_DTLS_CID_LEN 8        /* the CID this server assigns */
#define OTK_DTLS_SPKI_MAX 160     /* a P-256 SubjectPublicKeyInfo is 91 bytes */
#define OTK_DTLS_RECORD_MAX 1152  /* largest plaintext in a record (spec 06) */

/*
 * Looks a peer's public key up (server: a device key; DER
 * SubjectPublicKeyInfo).  Returns 0 when the key is known, else nonzero:
 * the handshake is then refused with an access_denied alert.
 */
typedef int (*otk_dtls_lookup_fn)(void *ctx, const uint8_t *spki, size_t len);

struct otk_dtls_config {
	enum otk_dtls_mode mode;
	struct evp_pkey_st *own_key;  /* P-256 private key; the session holds a reference */
	/* client: the server's public key (Particle mode: required; RFC 7250 mode:
	 * checked against the server's Certificate when given) */
	const uint8_t *peer_spki;
	size_t peer_spki_len;
	/* server: device keys */
	otk_dtls_lookup_fn lookup;
	void *lookup_ctx;
	/* server: secret for stateless cookies (HelloVerifyRequest) */
	uint8_t cookie_secret[32];
	/* client: offer an empty CID of its own and require the server's (Device OS) */
	bool client_cid;
	/* handshake retransmission timer, first and last value; 0: 1000 and 60000 */
	uint32_t hs_timeout_min_ms;
	uint32_t hs_timeout_max_ms;
	/* largest datagram to send; 0: 1280 */
	uint16_t mtu;
};

struct otk_dtls;

/* What a session gives back while processing input or timers. */
struct otk_dtls_io {
	void (*send)(void *ctx, const uint8_t *dgram, size_t len);  /* a datagram for the peer */
	void (*data)(void *ctx, const uint8_t *data, size_t len);   /* application data */
	void *ctx;
};

enum otk_dtls_state {
	OTK_DTLS_HANDSHAKE = 0,
	OTK_DTLS_ESTABLISHED = 1,
	OTK_DTLS_CLOSED = 2,   /* close_notify received */
	OTK_DTLS_FAILED = 3,   /* fatal alert sent or received */
};

/*
 * Server, before any state exists (RFC 6347 4.2.1): checks a datagram from
 * addr (any bytes that identify the peer's address).  Returns 1 when it is
 * a ClientHello with a valid cookie (create a session with
 * otk_dtls_server_new() and give it the same datagram), 0 when *reply_len
 * bytes of HelloVerifyRequest are in reply (send them) or the datagram is
 * to be dropped (*reply_len 0).
 */
int otk_dtls_server_accept(const struct otk_dtls_config *cfg, const uint8_t *dgram, size_t len,
			   const void *addr, size_t addr_len, uint8_t *reply, size_t cap,
			   size_t *reply_len);

/* New sessions (heap; NULL when out of memory or cfg is unusable).  cfg is copied. */
struct otk_dtls *otk_dtls_server_new(const struct otk_dtls_config *cfg);
struct otk_dtls *otk_dtls_client_new(const struct otk_dtls_config *cfg);
void otk_dtls_free(struct otk_dtls *s);

/* Client: sends the first ClientHello. */
int otk_dtls_start(struct otk_dtls *s, uint64_t now_ms, const struct otk_dtls_io *io);

/*
 * Processes one datagram (any number of records).  Returns the number of
 * records that authenticated under the session's keys (epoch 1 and later;
 * a caller that sees > 0 from a new address may rebind the session to it),
 * or a negative error: OTK_EDTLS_ALERT (the peer ended it),
 * OTK_EDTLS_REFUSED / OTK_EDTLS_UNKNOWN_KEY / OTK_EDTLS_FORMAT (we sent a
 * fatal alert).  Records that fail authentication or replay are dropped
 * silently, as RFC 6347 4.1.2.7 says.
 */
int otk_dtls_input(struct otk_dtls *s, const uint8_t *dgram, size_t len, uint64_t now_ms,
		   const struct otk_dtls_io *io);

/* Sends application data as one record (len <= OTK_DTLS_RECORD_MAX). */
int otk_dtls_write(struct otk_dtls *s, const uint8_t *data, size_t len,
		   const struct otk_dtls_io *io);

/* Retransmits a flight when its timer ran out. */
int otk_dtls_poll(struct otk_dtls *s, uint64_t now_ms, const struct otk_dtls_io *io);

/* Absolute time of the next poll() that has work, or UINT64_MAX. */
uint64_t otk_dtls_timeout(const struct otk_dtls *s);

enum otk_dtls_state otk_dtls_state(const struct otk_dtls *s);

/* The CID records to this side carry (server: the one it assigned); its length, or 0. */
size_t otk_dtls_own_cid(const struct otk_dtls *s, uint8_t out[OTK_DTLS_CID_LEN]);
/* The CID this side puts in its records (client: the one the server assigned). */
size_t otk_dtls_peer_cid(const struct otk_dtls *s, uint8_t *out, size_t cap);
/* The peer's authenticated public key (DER SubjectPublicKeyInfo), or 0 before that. */
size_t otk_dtls_peer_key(const struct otk_dtls *s, const uint8_t **spki);
/* Whether the last input carried a type-253 record (a device says: I moved). */
bool otk_dtls_moved(const struct otk_dtls *s);
/* The alert description last sent or received, or -1. */
int otk_dtls_alert(const struct otk_dtls *s);

/*
 * Sessions that outlive the process.  otk_dtls_save() writes an
 * established session (keys, epochs, counters, CIDs, replay window, peer
 * key) into buf; returns the length, OTK_ENOSPC or OTK_EINVAL (not
 * established).  The saved write counter is ahead of the live one by
 * OTK_DTLS_SAVE_GAP, so a session restored from the latest save never
 * reuses a nonce although the live one went on writing records after it; save again when otk_dtls_save_due() says so.
 * otk_dtls_load() makes a session from such bytes (NULL when they are not
 * one).
 */
#define OTK_DTLS_SAVE_GAP 65536u
#define OTK_DTLS_SAVE_MAX 512
int otk_dtls_save(struct otk_dtls *s, uint8_t *buf, size_t cap);
struct otk_dtls *otk_dtls_load(const struct otk_dtls_config *cfg, const uint8_t *buf,
			       size_t len);
/* True when the session should be saved (never saved, restored, or half the gap used). */
bool otk_dtls_save_due(const struct otk_dtls *s);

/*
 * The CID of a record, without state: when dgram starts with a CID record
 * (type 25 or 253) carrying an 8-byte CID, copies it and returns 1, else 0.
 * For routing datagrams to sessions.
 */
int otk_dtls_record_cid(const uint8_t *dgram, size_t len, uint8_t cid[OTK_DTLS_CID_LEN]);

/* DER SubjectPublicKeyInfo of a key; the length, or 0 on failure. */
size_t otk_dtls_spki(struct evp_pkey_st *key, uint8_t *out, size_t cap);

#ifdef __cplusplus
}
#endif

#endif
