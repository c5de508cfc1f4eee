/*
 * Content-addressed file store for firmware and assets: each blob is kept
 * once, under DIR/blobs/XX/HASH where HASH is the SHA-256 of its bytes in
 * lowercase hex and XX its first two digits.  Writes are atomic (temporary
 * file, fsync, rename), so a blob that exists is complete.
 */
#ifndef OTKD_BLOB_H
#define OTKD_BLOB_H

#include <stddef.h>
#include <stdint.h>

/* Lowercase hex of a SHA-256; hex has room for 65 bytes. */
void otkd_sha256_hex(const uint8_t *data, size_t len, char hex[65]);

/* Stores data (hashing it into hex) under root; OTK_OK also when it was there. */
int otkd_blob_put(const char *root, const uint8_t *data, size_t len, char hex[65]);

/* Path of a blob: root/blobs/XX/HASH; NULL when hex is not a SHA-256 in hex. */
char *otkd_blob_path(const char *root, const char *hex);

#endif
