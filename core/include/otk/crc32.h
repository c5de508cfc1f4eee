/*
 * CRC-32 as zlib computes it (reflected polynomial 0xEDB88320, initial value
 * and final xor 0xFFFFFFFF).  Module files store it big-endian after the
 * suffix.
 */
#ifndef OTK_CRC32_H
#define OTK_CRC32_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/*
 * Continue a CRC over len more bytes.  Start with crc = 0; the result of one
 * call can be passed to the next, exactly like zlib's crc32(crc, buf, len).
 */
uint32_t otk_crc32_update(uint32_t crc, const void *data, size_t len);

#ifdef __cplusplus
}
#endif

#endif
