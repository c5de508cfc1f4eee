/* DTLS internals shared by dtls_*.c; see otk/dtls.h for the contract. */
#ifndef OTK_DTLS_INTERNAL_H
#define OTK_DTLS_INTERNAL_H

#include <openssl/evp.h>

#include "otk/dtls.h"

/* record content types */
enum {
	CT_CCS = 20,
	CT_ALERT = 21,
	CT_HANDSHAKE = 22,
	CT_APP = 23,
	CT_CID = 25,      /* draft-05 CID record as mbedtls 2.x */
	CT_CID_MOVE = 253 /* Device OS: CID record after a resume */
};

/* handshake message types */
enum {
	HS_CLIENT_HELLO = 1,
	HS_SERVER_HELLO = 2,
	HS_HELLO_VERIFY = 3,
	HS_CERTIFICATE = 11,
	HS_SERVER_KEY_EXCHANGE = 12,
	HS_CERTIFICATE_REQUEST = 13,
	HS_SERVER_HELLO_DONE = 14,
	HS_CERTIFICATE_VERIFY = 15,
	HS_CLIENT_KEY_EXCHANGE = 16,
	HS_FINISHED = 20,
};

/* alert descriptions (RFC 5246 7.2) */
enum {
	AL_CLOSE_NOTIFY = 0,
	AL_UNEXPECTED_MESSAGE = 10,
	AL_HANDSHAKE_FAILURE = 40,
	AL_BAD_CERTIFICATE = 42,
	AL_UNSUPPORTED_CERTIFICATE = 43,
	AL_ILLEGAL_PARAMETER = 47,
	AL_ACCESS_DENIED = 49,
	AL_DECODE_ERROR = 50,
	AL_DECRYPT_ERROR = 51,
	AL_PROTOCOL_VERSION = 70,
	AL_INTERNAL_ERROR = 80,
	AL_NO_RENEGOTIATION = 100,
	AL_UNSUPPORTED_EXTENSION = 110,
};

#define DTLS12 0xfefd
#define DTLS10 0xfeff
#define SUITE_ECDHE_ECDSA_AES128_CCM8 0xc0ae
#define EXT_SUPPORTED_GROUPS 10
#define EXT_EC_POINT_FORMATS 11
#define EXT_SIG_ALGS 13
#define EXT_CLIENT_CERT_TYPE 19
#define EXT_SERVER_CERT_TYPE 20
#define EXT_CID 254
#define EXT_RENEGOTIATION_INFO 0xff01
#define CERT_TYPE_RPK 2
#define GROUP_P256 23
#define SIG_ECDSA_SHA256 0x0403
#define SIG_ECDSA_SHA224 0x0303

#define REC_HDR 13
#define HS_HDR 12
#define CCM_EXPLICIT 8
#define CCM_TAG 8
#define HS_MSG_MAX 4096      /* largest handshake message accepted */
#define TRANSCRIPT_MAX 8192
#define FLIGHT_MAX 6
#define POINT_LEN 65
#define CID_MAX 32

enum hs_state {
	ST_CLIENT_HELLO,      /* server: waiting for ClientHello */
	ST_CLIENT_FLIGHT,     /* server: waiting for Certificate .. Finished */
	ST_SERVER_HELLO,      /* client: waiting for HelloVerifyRequest or ServerHello */
	ST_SERVER_FLIGHT,     /* client: Certificate/SKE/CertificateRequest/ServerHelloDone */
	ST_SERVER_FINISHED,   /* client: waiting for ChangeCipherSpec + Finished */
	ST_DONE,
};

struct flight_msg {
	uint8_t type;     /* CT_HANDSHAKE or CT_CCS */
	uint16_t epoch;
	size_t len;
	uint8_t *data;    /* handshake: header + body; CCS: the byte 1 */
};

struct dir_keys {
	uint8_t key[16];
	uint8_t iv[4];
};

struct otk_dtls {
	struct otk_dtls_config cfg;
	uint8_t peer_pin[OTK_DTLS_SPKI_MAX]; /* cfg.peer_spki points here */
	bool server;
	enum otk_dtls_state state;
	enum hs_state hs;
	int alert;
	bool moved;

	/* handshake */
	uint8_t client_random[32], server_random[32];
	uint8_t master[48];
	EVP_PKEY *eph;
	EVP_PKEY *peer_sign_key;     /* server's key (client side) */
	uint8_t *transcript;
	size_t tlen;
	uint16_t in_msg_seq, out_msg_seq;
	uint8_t *rx;                 /* reassembly of the current incoming message */
	uint32_t rx_len, rx_have;
	uint8_t rx_type;
	bool rx_active;
	uint8_t *rx_map;             /* one bit per byte received */
	struct flight_msg flight[FLIGHT_MAX];
	int nflight;
	uint32_t timeout_ms;
	uint64_t deadline;           /* UINT64_MAX: no timer */
	bool got_cert, got_cke, got_cv, got_ccs, cert_requested;
	bool peer_offered_cid, peer_sent_reneg;
	uint8_t cookie[255];
	uint8_t cookie_len;

	/* record layer */
	struct dir_keys rd, wr;
	bool keys_ready;
	uint16_t read_epoch, write_epoch;
	uint64_t write_seq[2];       /* next sequence number in epochs 0 and 1 */
	uint64_t saved_seq;          /* write_seq[1] as last promised by save() */
	uint64_t rx_top;             /* replay window for the current read epoch */
	uint64_t rx_bits;
	bool rx_any;
	uint8_t own_cid[CID_MAX];    /* records to us carry this */
	uint8_t own_cid_len;
	uint8_t peer_cid[CID_MAX];   /* records we send carry this */
	uint8_t peer_cid_len;
	bool cid_on;                 /* the CID extension was negotiated */
	uint8_t peer_spki[OTK_DTLS_SPKI_MAX];
	size_t peer_spki_len;
};

/* crypto (dtls_crypto.c) */
int dtls_prf(const uint8_t *secret, size_t slen, const char *label, const uint8_t *seed1,
	     size_t l1, const uint8_t *seed2, size_t l2, uint8_t *out, size_t olen);
EVP_PKEY *dtls_ecdh_keygen(void);
int dtls_point(EVP_PKEY *k, uint8_t out[POINT_LEN]);
int dtls_ecdh(EVP_PKEY *mine, const uint8_t *point, size_t plen, uint8_t out[32]);
int dtls_sign(EVP_PKEY *key, const uint8_t *msg, size_t len, uint8_t *sig, size_t *siglen);
int dtls_verify(EVP_PKEY *key, int sigalg, const uint8_t *msg, size_t len, const uint8_t *sig,
		size_t siglen);
EVP_PKEY *dtls_spki_key(const uint8_t *spki, size_t len);
int dtls_ccm(bool enc, const uint8_t key[16], const uint8_t nonce[12], const uint8_t *aad,
	     size_t aadlen, const uint8_t *in, size_t len, uint8_t *out, uint8_t tag[8]);
int dtls_sha256(const uint8_t *p, size_t n, uint8_t out[32]);
int dtls_cookie(const uint8_t secret[32], const void *addr, size_t alen,
		const uint8_t random[32], uint8_t out[16]);

/* byte helpers */
static inline uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t rd24(const uint8_t *p)
{
	return (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
}
static inline void wr16(uint8_t *p, uint32_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static inline void wr24(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 16); p[1] = (uint8_t)(v >> 8); p[2] = (uint8_t)v;
}
static inline void wr48(uint8_t *p, uint64_t v)
{
	for (int i = 0; i < 6; i++)
		p[i] = (uint8_t)(v >> (40 - 8 * i));
}

/* A bounds-checked reader over a handshake message body. */
struct rdr {
	const uint8_t *p;
	size_t n;
	bool bad;
};
int rdr_u8(struct rdr *r);
int rdr_u16(struct rdr *r);
uint32_t rdr_u24(struct rdr *r);
/* a vector with a 1/2/3-byte length prefix; NULL (and r->bad) when short */
const uint8_t *rdr_vec(struct rdr *r, int lenbytes, size_t *len);
const uint8_t *rdr_bytes(struct rdr *r, size_t len);

/* record layer (dtls_record.c) */
struct dgram_out {
	uint8_t buf[1500];
	size_t len;
	size_t mtu;
};
int dtls_record_write(struct otk_dtls *s, struct dgram_out *d, uint8_t type, uint16_t epoch,
		      const uint8_t *data, size_t len);
void dtls_flush(struct dgram_out *d, const struct otk_dtls_io *io);
struct record {
	uint8_t type;         /* the inner type after decryption */
	uint8_t wire_type;
	uint16_t epoch;
	uint64_t seq;
	uint8_t *data;
	size_t len;
};
/*
 * Splits off the next record of a datagram: 1 with r filled and *off
 * advanced, 0 at the end, <0 when the rest is not a record (drop it).
 * Decrypts epoch-1 records in place: 2 when it authenticated, -2 when it
 * failed (dropped).
 */
int dtls_record_next(struct otk_dtls *s, uint8_t *dgram, size_t len, size_t *off,
		     struct record *r);
void dtls_send_alert(struct otk_dtls *s, uint8_t level, uint8_t desc, const struct otk_dtls_io *io);

/* handshake common (dtls_handshake.c) */
int dtls_hs_append(struct otk_dtls *s, const uint8_t *msg, size_t len);
int dtls_flight_add(struct otk_dtls *s, uint8_t type, uint16_t epoch, uint8_t hs_type,
		    const uint8_t *body, size_t len);
void dtls_flight_clear(struct otk_dtls *s);
int dtls_flight_send(struct otk_dtls *s, const struct otk_dtls_io *io);
void dtls_timer_start(struct otk_dtls *s, uint64_t now);
int dtls_derive_keys(struct otk_dtls *s, const uint8_t *pms, size_t plen);
int dtls_finished(struct otk_dtls *s, bool client, uint8_t out[12]);
int dtls_fail(struct otk_dtls *s, uint8_t desc, int err, const struct otk_dtls_io *io);
struct otk_dtls *dtls_new(const struct otk_dtls_config *cfg, bool server);
void dtls_handshake_done(struct otk_dtls *s);
/* role handlers: one complete handshake message (header + body) */
int dtls_server_message(struct otk_dtls *s, const uint8_t *msg, size_t len, uint64_t now,
			const struct otk_dtls_io *io);
int dtls_client_message(struct otk_dtls *s, const uint8_t *msg, size_t len, uint64_t now,
			const struct otk_dtls_io *io);
int dtls_server_ccs(struct otk_dtls *s, const struct otk_dtls_io *io);
int dtls_client_ccs(struct otk_dtls *s, const struct otk_dtls_io *io);

#endif
