/* jscan.c: validating JSON span scanner (no allocation, bounded depth). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "jscan.h"
#include "utf8.h"
#include "xmalloc.h"

static void
skip_ws(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r'))
		p++;
	*pp = p;
}

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Skip bytes that need no attention inside a string: not '"', not '\\',
 * not a control character. Eight at a time: item values are mostly long
 * runs of such bytes, and this is the hottest loop of a Scan page.
 */
static const char *
plain_run(const char *p, const char *end)
{
	while (end - p >= 8) {
		uint64_t x, q, b, c;

		memcpy(&x, p, 8);
		q = x ^ (ONES * '"');
		b = x ^ (ONES * '\\');
		/* A zero byte in q or b, or a byte below 0x20 in x. */
		c = ((q - ONES) & ~q) | ((b - ONES) & ~b) |
		    ((x - ONES * 0x20) & ~x);
		if ((c & HIGHS) != 0)
			break;
		p += 8;
	}
	while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20)
		p++;
	return p;
}

static int
skip_string(const char **pp, const char *end)
{
	const char *p = *pp;

	if (p >= end || *p != '"')
		return -1;
	p++;
	while (p < end) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			*pp = p + 1;
			return 0;
		}
		if (c < 0x20)
			return -1;
		if (c == '\\') {
			p++;
			if (p >= end)
				return -1;
			switch (*p) {
			case '"':
			case '\\':
			case '/':
			case 'b':
			case 'f':
			case 'n':
			case 'r':
			case 't':
				p++;
				break;
			case 'u':
				if (end - p < 5)
					return -1;
				for (int i = 1; i <= 4; i++) {
					char h = p[i];

					if (!((h >= '0' && h <= '9') ||
						(h >= 'a' && h <= 'f') ||
						(h >= 'A' && h <= 'F')))
						return -1;
				}
				p += 5;
				break;
			default:
				return -1;
			}
			continue;
		}
		/* Fast path over plain bytes. */
		p = plain_run(p + 1, end);
	}
	return -1;
}

static int
skip_number(const char **pp, const char *end)
{
	const char *p = *pp;
	int digits = 0;

	if (p < end && *p == '-')
		p++;
	while (p < end && *p >= '0' && *p <= '9') {
		p++;
		digits++;
	}
	if (digits == 0)
		return -1;
	if (p < end && *p == '.') {
		p++;
		digits = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
		if (digits == 0)
			return -1;
	}
	if (p < end && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			p++;
		digits = 0;
		while (p < end && *p >= '0' && *p <= '9') {
			p++;
			digits++;
		}
		if (digits == 0)
			return -1;
	}
	*pp = p;
	return 0;
}

static int
skip_lit(const char **pp, const char *end, const char *lit)
{
	size_t n = strlen(lit);

	if ((size_t)(end - *pp) < n || memcmp(*pp, lit, n) != 0)
		return -1;
	*pp += n;
	return 0;
}

static int
skip_value(const char **pp, const char *end, int depth)
{
	const char *p;

	skip_ws(pp, end);
	p = *pp;
	if (p >= end)
		return -1;
	switch (*p) {
	case '"':
		return skip_string(pp, end);
	case '{':
	case '[': {
		char close = *p == '{' ? '}' : ']';
		int first = 1;

		if (depth >= JSCAN_MAX_DEPTH)
			return -1;
		p++;
		for (;;) {
			skip_ws(&p, end);
			if (p >= end)
				return -1;
			if (*p == close && first) {
				*pp = p + 1;
				return 0;
			}
			if (close == '}') {
				if (skip_string(&p, end) == -1)
					return -1;
				skip_ws(&p, end);
				if (p >= end || *p != ':')
					return -1;
				p++;
			}
			if (skip_value(&p, end, depth + 1) == -1)
				return -1;
			skip_ws(&p, end);
			if (p >= end)
				return -1;
			if (*p == ',') {
				p++;
				first = 0;
				continue;
			}
			if (*p == close) {
				*pp = p + 1;
				return 0;
			}
			return -1;
		}
	}
	case 't':
		return skip_lit(pp, end, "true");
	case 'f':
		return skip_lit(pp, end, "false");
	case 'n':
		return skip_lit(pp, end, "null");
	default:
		return skip_number(pp, end);
	}
}

int
jscan_value(const char **pp, const char *end, struct jspan *out)
{
	const char *start;

	skip_ws(pp, end);
	start = *pp;
	if (skip_value(pp, end, 0) == -1)
		return -1;
	if (out != NULL) {
		out->p = start;
		out->len = (size_t)(*pp - start);
	}
	return 0;
}

int
jscan_open(const char **pp, const char *end, char open)
{
	skip_ws(pp, end);
	if (*pp >= end || **pp != open)
		return -1;
	(*pp)++;
	return 0;
}

int
jscan_end(const char *p, const char *end)
{
	skip_ws(&p, end);
	return p == end ? 0 : -1;
}

/* After a member/element: ',' continues, the closer ends. */
static int
after_item(const char **pp, const char *end, char close)
{
	skip_ws(pp, end);
	if (*pp >= end)
		return -1;
	if (**pp == ',') {
		const char *q = *pp + 1;

		skip_ws(&q, end);
		if (q < end && *q == close)
			return -1; /* trailing comma */
		*pp = q;
		return 0;
	}
	if (**pp == close)
		return 0;
	return -1;
}

int
jscan_member(const char **pp, const char *end, struct jspan *key,
    struct jspan *val)
{
	const char *k;

	skip_ws(pp, end);
	if (*pp >= end)
		return -1;
	if (**pp == '}') {
		(*pp)++;
		return 0;
	}
	k = *pp;
	if (skip_string(pp, end) == -1)
		return -1;
	key->p = k + 1;
	key->len = (size_t)(*pp - k) - 2;
	skip_ws(pp, end);
	if (*pp >= end || **pp != ':')
		return -1;
	(*pp)++;
	if (jscan_value(pp, end, val) == -1)
		return -1;
	if (after_item(pp, end, '}') == -1)
		return -1;
	return 1;
}

int
jscan_element(const char **pp, const char *end, struct jspan *val)
{
	skip_ws(pp, end);
	if (*pp >= end)
		return -1;
	if (**pp == ']') {
		(*pp)++;
		return 0;
	}
	if (jscan_value(pp, end, val) == -1)
		return -1;
	if (after_item(pp, end, ']') == -1)
		return -1;
	return 1;
}

int
jscan_eq(const struct jspan *s, const char *lit)
{
	size_t n = strlen(lit);

	return s->len == n && memcmp(s->p, lit, n) == 0;
}

int
jscan_find(const struct jspan *obj, const char *name, struct jspan *val)
{
	const char *p = obj->p, *end = obj->p + obj->len;
	struct jspan k, v;
	int r;

	if (jscan_open(&p, end, '{') == -1)
		return -1;
	while ((r = jscan_member(&p, end, &k, &v)) == 1) {
		if (jscan_eq(&k, name)) {
			*val = v;
			return 1;
		}
	}
	return r;
}

long
jscan_count(const struct jspan *arr)
{
	const char *p = arr->p, *end = arr->p + arr->len;
	struct jspan v;
	long n = 0;
	int r;

	if (jscan_open(&p, end, '[') == -1)
		return -1;
	while ((r = jscan_element(&p, end, &v)) == 1)
		n++;
	return r == 0 ? n : -1;
}

int
jscan_double(const struct jspan *s, double *out)
{
	char tmp[64];
	char *end;

	if (s->len == 0 || s->len >= sizeof(tmp))
		return -1;
	memcpy(tmp, s->p, s->len);
	tmp[s->len] = '\0';
	*out = strtod(tmp, &end);
	return *end == '\0' ? 0 : -1;
}

long
jscan_hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int h;

		if (c >= '0' && c <= '9')
			h = c - '0';
		else if (c >= 'a' && c <= 'f')
			h = c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			h = c - 'A' + 10;
		else
			return -1;
		v = v * 16 + h;
	}
	return v;
}

long
jscan_string(const struct jspan *s, char *out, size_t len)
{
	const char *p, *end;
	size_t o = 0;

	if (s->len < 2 || s->p[0] != '"' || s->p[s->len - 1] != '"' || len == 0)
		return -1;
	p = s->p + 1;
	end = s->p + s->len - 1;
	while (p < end) {
		unsigned long cp;
		char enc[4];
		size_t n;

		if (*p != '\\') {
			if (o + 1 >= len)
				return -1;
			out[o++] = *p++;
			continue;
		}
		if (++p >= end)
			return -1;
		switch (*p) {
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			long v;

			if (end - p < 5 || (v = jscan_hex4(p + 1)) < 0)
				return -1;
			p += 4;
			cp = (unsigned long)v;
			/* A surrogate pair makes one code point. */
			if (cp >= 0xd800 && cp < 0xdc00 && end - p >= 7 &&
			    p[1] == '\\' && p[2] == 'u') {
				long lo = jscan_hex4(p + 3);

				if (lo >= 0xdc00 && lo < 0xe000) {
					cp = 0x10000 + ((cp - 0xd800) << 10) +
					    ((unsigned long)lo - 0xdc00);
					p += 6;
				}
			}
			break;
		}
		default:
			cp = (unsigned char)*p;
			break;
		}
		p++;
		n = utf8_encode((uint32_t)cp, enc);
		if (o + n >= len)
			return -1;
		memcpy(out + o, enc, n);
		o += n;
	}
	out[o] = '\0';
	return (long)o;
}

char *
jscan_strdup(const struct jspan *s)
{
	char *out;

	if (s->len < 2)
		return NULL;
	/* Unescaping never makes a string longer than its JSON text. */
	out = xmalloc(s->len);
	if (jscan_string(s, out, s->len) == -1) {
		free(out);
		return NULL;
	}
	return out;
}
