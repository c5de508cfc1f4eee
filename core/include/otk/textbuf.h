/*
 * A tiny text writer into a caller's buffer for the JSON the device sends
 * (describe, OTA statistics and errors): no heap, no stdio.  Errors are
 * sticky: once something does not fit, the length is OTK_ENOSPC.
 */
#ifndef OTK_TEXTBUF_H
#define OTK_TEXTBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

struct otk_textbuf {
	char *buf;
	size_t cap, len;
	bool overflow;
};

void otk_tb_init(struct otk_textbuf *t, char *buf, size_t cap);
/* A NUL-terminated string, as it is. */
void otk_tb_str(struct otk_textbuf *t, const char *s);
/* A JSON string: quotes, with '"', '\\' and control characters escaped. */
void otk_tb_json_str(struct otk_textbuf *t, const char *s);
void otk_tb_u32(struct otk_textbuf *t, uint32_t v);
void otk_tb_i32(struct otk_textbuf *t, int32_t v);
/* The length written, or OTK_ENOSPC. */
int otk_tb_finish(const struct otk_textbuf *t);

#ifdef __cplusplus
}
#endif

#endif
