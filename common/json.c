/* json.c: strict reading of JSON documents on jscan spans (see json.h). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "json.h"
#include "utf8.h"

static int
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

int
json_doc(const char *text, size_t len, struct jspan *obj, size_t *at)
{
	const char *p = text, *end = text + len;

	if (jscan_value(&p, end, obj) == -1)
		return JSON_DOC_INVALID;
	while (p < end && is_ws(*p))
		p++;
	if (p != end) {
		if (at != NULL)
			*at = (size_t)(p - text);
		return JSON_DOC_TRAILING;
	}
	if (obj->p[0] != '{')
		return JSON_DOC_NOT_OBJECT;
	return 0;
}

/* Whether a raw key (between its quotes) is name once unescaped. */
static int
key_is(const struct jspan *k, const char *name, size_t namelen)
{
	char tmp[JSON_NAME_MAX + 1];
	size_t n;

	if (memchr(k->p, '\\', k->len) == NULL)
		return k->len == namelen && memcmp(k->p, name, namelen) == 0;
	if (json_unescape(k->p, k->len, tmp, sizeof(tmp), &n) != JSON_STR_OK)
		return 0;
	return n == namelen && memcmp(tmp, name, n) == 0;
}

int
json_fields(const struct jspan *obj, struct json_field *f, size_t n,
    size_t *dup)
{
	const char *p = obj->p, *end = obj->p + obj->len;
	struct jspan k, v;
	size_t i;
	int r;

	for (i = 0; i < n; i++)
		f[i].seen = 0;
	if (obj->len == 0 || obj->p[0] != '{' || jscan_open(&p, end, '{') == -1)
		return JSON_FIELDS_INVALID;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		for (i = 0; i < n; i++)
			if (key_is(&k, f[i].name, strlen(f[i].name)))
				break;
		if (i == n)
			continue;
		if (f[i].seen) {
			if (dup != NULL)
				*dup = i;
			return JSON_FIELDS_DUP;
		}
		f[i].seen = 1;
		f[i].v = v;
	}
	return r == 0 ? 0 : JSON_FIELDS_INVALID;
}

int
json_int(const struct jspan *s, int *neg, uint64_t *mag)
{
	const char *p = s->p;
	size_t n = s->len, i = 0;
	uint64_t v = 0;
	unsigned d;

	*neg = 0;
	if (n > 0 && p[0] == '-') {
		*neg = 1;
		i = 1;
	}
	if (i == n || (p[i] == '0' && n - i > 1))
		return -1;
	for (; i < n; i++)
		if (p[i] < '0' || p[i] > '9')
			return -1;
	for (i = *neg; i < n; i++) {
		d = (unsigned)(p[i] - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*mag = v;
	return 0;
}

int
json_bool(const struct jspan *s, int *out)
{
	if (s->len == 4 && memcmp(s->p, "true", 4) == 0)
		*out = 1;
	else if (s->len == 5 && memcmp(s->p, "false", 5) == 0)
		*out = 0;
	else
		return -1;
	return 0;
}

int
json_is_null(const struct jspan *s)
{
	return s->len == 4 && memcmp(s->p, "null", 4) == 0;
}

/* Four hex digits of a \u escape, within the string. */
static int
hex4(const char *p, const char *end, uint32_t *v)
{
	long h;

	if (end - p < 4 || (h = jscan_hex4(p)) < 0)
		return -1;
	*v = (uint32_t)h;
	return 0;
}

enum json_str_err
json_unescape(const char *p, size_t n, char *out, size_t outsz, size_t *lenp)
{
	const char *end = p + n;
	size_t o = 0, k;
	uint32_t cp, lo;
	char tmp[4];

	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == '\\') {
			if (end - p < 2)
				return JSON_STR_ESCAPE;
			k = 1;
			switch (p[1]) {
			case '"':
			case '\\':
			case '/':
				tmp[0] = p[1];
				break;
			case 'b':
				tmp[0] = '\b';
				break;
			case 'f':
				tmp[0] = '\f';
				break;
			case 'n':
				tmp[0] = '\n';
				break;
			case 'r':
				tmp[0] = '\r';
				break;
			case 't':
				tmp[0] = '\t';
				break;
			case 'u':
				if (hex4(p + 2, end, &cp) == -1)
					return JSON_STR_ESCAPE;
				p += 4;
				if (cp >= 0xdc00 && cp <= 0xdfff)
					return JSON_STR_SURROGATE;
				if (cp >= 0xd800 && cp <= 0xdbff) {
					if (end - p < 8 || p[2] != '\\' ||
					    p[3] != 'u' ||
					    hex4(p + 4, end, &lo) == -1 ||
					    lo < 0xdc00 || lo > 0xdfff)
						return JSON_STR_SURROGATE;
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    (lo - 0xdc00);
					p += 6;
				}
				if (cp == 0)
					return JSON_STR_NUL;
				k = utf8_encode(cp, tmp);
				break;
			default:
				return JSON_STR_ESCAPE;
			}
			p += 2;
			if (k > outsz - 1 - o)
				return JSON_STR_TOO_LONG;
			memcpy(out + o, tmp, k);
			o += k;
			continue;
		}
		if (c < 0x20)
			return c == 0 ? JSON_STR_RAW_NUL : JSON_STR_CONTROL;
		if ((k = utf8_seqlen((const unsigned char *)p,
			 (size_t)(end - p))) == 0)
			return JSON_STR_UTF8;
		if (k > outsz - 1 - o)
			return JSON_STR_TOO_LONG;
		memcpy(out + o, p, k);
		o += k;
		p += k;
	}
	out[o] = '\0';
	if (lenp != NULL)
		*lenp = o;
	return JSON_STR_OK;
}

enum json_str_err
json_string(const struct jspan *s, char *out, size_t outsz, size_t *lenp)
{
	if (s->len < 2 || s->p[0] != '"' || s->p[s->len - 1] != '"')
		return JSON_STR_NOT_STRING;
	return json_unescape(s->p + 1, s->len - 2, out, outsz, lenp);
}

const char *
json_str_why(enum json_str_err e)
{
	switch (e) {
	case JSON_STR_OK:
		return "is fine";
	case JSON_STR_NOT_STRING:
		return "must be a string";
	case JSON_STR_TOO_LONG:
		return "is too long";
	case JSON_STR_NUL:
		return "contains a NUL character";
	case JSON_STR_RAW_NUL:
		return "contains a NUL byte";
	case JSON_STR_CONTROL:
		return "contains an unescaped control character";
	case JSON_STR_UTF8:
		return "is not valid UTF-8";
	case JSON_STR_ESCAPE:
		return "has an invalid escape";
	case JSON_STR_SURROGATE:
		return "has an unpaired UTF-16 surrogate escape";
	}
	return "is invalid";
}

const char *
json_show(const char *p, size_t n, char *out, size_t outsz)
{
	size_t i, o = 0, lim = 40;

	if (outsz == 0)
		return out;
	for (i = 0; i < n && i < lim && o + 4 < outsz; i++) {
		unsigned char c = (unsigned char)p[i];

		out[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (i < n && o + 4 <= outsz) {
		memcpy(out + o, "...", 3);
		o += 3;
	}
	out[o] = '\0';
	return out;
}

int
json_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (err == NULL || errlen == 0)
		return -1;
	va_start(ap, fmt);
	utf8_vformat(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}
