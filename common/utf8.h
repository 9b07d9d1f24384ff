/* utf8.h: UTF-8 (RFC 3629) checks, encoding and cuts, shared by every reader of text. */
#ifndef UTF8_H
#define UTF8_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

/*
 * Length of the valid UTF-8 sequence at p (n > 0 bytes left), or 0 if the
 * bytes there are not one: RFC 3629, so no overlong forms, no surrogates,
 * nothing above U+10FFFF. utf8_decode also gives the code point.
 */
size_t utf8_seqlen(const unsigned char *p, size_t n);
size_t utf8_decode(const unsigned char *p, size_t n, uint32_t *cp);
/* Whether s[0..n) is valid UTF-8 throughout. */
int utf8_valid(const char *s, size_t n);
/* Encode a code point (at most U+10FFFF, not a surrogate): 1 to 4 bytes. */
size_t utf8_encode(uint32_t cp, char out[4]);
/*
 * Where to cut s[0..n) so that at most max bytes remain, on a character
 * boundary: n if it fits, else max backed off over continuation bytes.
 */
size_t utf8_cut(const char *s, size_t n, size_t max);
/* n less a sequence left incomplete at the end of s (after truncation). */
size_t utf8_trim(const char *s, size_t n);
/*
 * vsnprintf into buf (len > 0), cut if need be on a character boundary
 * rather than inside one; "" if the format fails.
 */
void utf8_vformat(char *buf, size_t len, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

#endif
