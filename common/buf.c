/* buf.c: growable buffers; every input-grown buffer has a maximum. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "xmalloc.h"

void
buf_init(struct buf *b, size_t max)
{
	b->data = NULL;
	b->len = b->cap = 0;
	b->max = max;
	b->secret = 0;
}

void
buf_init_secret(struct buf *b, size_t max)
{
	buf_init(b, max);
	b->secret = 1;
}

void
buf_free(struct buf *b)
{
	if (b->secret && b->data != NULL)
		explicit_bzero(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

void
buf_wipe(struct buf *b)
{
	if (b->data != NULL)
		explicit_bzero(b->data, b->cap);
	buf_free(b);
}

void
buf_reset(struct buf *b)
{
	b->len = 0;
	if (b->data != NULL)
		b->data[0] = '\0';
}

int
buf_reserve(struct buf *b, size_t extra)
{
	size_t need, ncap;

	need = b->len + extra + 1;
	if (need < b->len || (b->max != 0 && need - 1 > b->max))
		return -1;
	if (need <= b->cap)
		return 0;
	ncap = b->cap ? b->cap : 256;
	while (ncap < need)
		ncap *= 2;
	if (b->max != 0 && ncap > b->max + 1)
		ncap = b->max + 1;
	if (b->secret && b->data != NULL) {
		/* realloc would leave the old copy in freed memory. */
		char *n = xmalloc(ncap);

		memcpy(n, b->data, b->len + 1);
		explicit_bzero(b->data, b->cap);
		free(b->data);
		b->data = n;
	} else
		b->data = xrealloc(b->data, ncap);
	b->cap = ncap;
	return 0;
}

int
buf_add(struct buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n) == -1)
		return -1;
	if (n > 0)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

int
buf_adds(struct buf *b, const char *s)
{
	return buf_add(b, s, strlen(s));
}

int
buf_addc(struct buf *b, char c)
{
	return buf_add(b, &c, 1);
}

int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n) == -1)
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

char *
buf_steal(struct buf *b, size_t *lenp)
{
	char *p;

	if (buf_reserve(b, 0) == -1)
		return NULL;
	b->data[b->len] = '\0';
	p = b->data;
	if (lenp != NULL)
		*lenp = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

int
buf_json_str(struct buf *b, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const char *p, *run;

	if (buf_addc(b, '"') == -1)
		return -1;
	for (run = p = s; *p != '\0'; p++) {
		unsigned char ch = (unsigned char)*p;

		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		if (buf_add(b, run, (size_t)(p - run)) == -1)
			return -1;
		if (ch == '"' || ch == '\\') {
			char e[2] = { '\\', (char)ch };

			if (buf_add(b, e, 2) == -1)
				return -1;
		} else {
			char e[6] = { '\\', 'u', '0', '0', hex[ch >> 4],
				hex[ch & 15] };

			if (buf_add(b, e, 6) == -1)
				return -1;
		}
		run = p + 1;
	}
	if (buf_add(b, run, (size_t)(p - run)) == -1)
		return -1;
	return buf_addc(b, '"');
}
