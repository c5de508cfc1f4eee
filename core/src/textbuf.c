/* Text into a caller's buffer (otk/textbuf.h). */
#include "otk/textbuf.h"

#include "otk/error.h"

void otk_tb_init(struct otk_textbuf *t, char *buf, size_t cap)
{
	t->buf = buf;
	t->cap = cap;
	t->len = 0;
	t->overflow = false;
}

static void put(struct otk_textbuf *t, char c)
{
	if (t->len >= t->cap) {
		t->overflow = true;
		return;
	}
	t->buf[t->len++] = c;
}

void otk_tb_str(struct otk_textbuf *t, const char *s)
{
	while (*s)
		put(t, *s++);
}

void otk_tb_json_str(struct otk_textbuf *t, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	put(t, '"');
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\') {
			put(t, '\\');
			put(t, (char)c);
		} else if (c < 0x20) {
			otk_tb_str(t, "\\u00");
			put(t, hex[c >> 4]);
			put(t, hex[c & 15]);
		} else {
			put(t, (char)c);
		}
	}
	put(t, '"');
}

void otk_tb_u32(struct otk_textbuf *t, uint32_t v)
{
	char d[10];
	int n = 0;
	do {
		d[n++] = (char)('0' + v % 10u);
		v /= 10u;
	} while (v);
	while (n)
		put(t, d[--n]);
}

void otk_tb_i32(struct otk_textbuf *t, int32_t v)
{
	if (v < 0) {
		put(t, '-');
		otk_tb_u32(t, 0u - (uint32_t)v);
	} else {
		otk_tb_u32(t, (uint32_t)v);
	}
}

int otk_tb_finish(const struct otk_textbuf *t)
{
	return t->overflow ? OTK_ENOSPC : (int)t->len;
}
