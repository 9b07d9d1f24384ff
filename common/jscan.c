/* jscan.c: validating JSON span scanner (no allocation, bounded depth). */
#include <stdlib.h>
#include <string.h>

#include "jscan.h"

static void
skip_ws(const char **pp, const char *end)
{
	const char *p = *pp;

	while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' ||
	    *p == '\r'))
		p++;
	*pp = p;
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
			case '"': case '\\': case '/': case 'b': case 'f':
			case 'n': case 'r': case 't':
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
		{
			const char *q = p + 1;

			while (q < end && *q != '"' && *q != '\\' &&
			    (unsigned char)*q >= 0x20)
				q++;
			p = q;
		}
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
			return -1;	/* trailing comma */
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
