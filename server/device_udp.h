/*
 * otakitd's device endpoint: CoAP over DTLS on UDP (spec 06, docs/dtls.md).
 *
 * One thread, one socket, one poll() loop.  Datagrams reach sessions by the
 * Connection ID they carry (address as a fallback for records without
 * one); new peers go through the stateless cookie first.  Established
 * sessions are saved through the store, so a device resumes without a
 * handshake after otakitd restarts.  On top sits the device protocol
 * (device_proto.h), one per established session.
 */
#ifndef OTKD_DEVICE_UDP_H
#define OTKD_DEVICE_UDP_H

#include <stddef.h>

#include "otk/dtls.h"
#include "store.h"

struct otkd_udp_config {
	const char *listen;        /* ADDR:PORT; port 0: any */
	const char *port_file;     /* written with the bound port, or NULL */
	const char *key_file;      /* the server's P-256 private key (PEM), created when missing */
	enum otk_dtls_mode mode;   /* Particle (default) or RFC 7250 for standard peers */
	struct otkd_bus *bus;      /* device protocol events; may be NULL */
	const char *data_dir;      /* blobs of the files sent to devices */
};

struct otkd_udp;

/* Binds and starts the thread.  OTK_OK, or an error with msg saying why. */
int otkd_udp_start(struct otkd_udp **out, const struct otkd_udp_config *cfg,
		   struct otkd_store *store, char *msg, size_t msglen);
/* Stops the thread, saves what is established and frees everything (NULL: no-op). */
void otkd_udp_stop(struct otkd_udp *u);

#endif
