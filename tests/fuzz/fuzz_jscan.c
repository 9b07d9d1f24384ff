/*
 * fuzz_jscan.c: the JSON span scanner. Every span lies within the input
 * and re-scans as exactly one value; member and element iteration agree
 * with jscan_count() and jscan_find(); strings unescape into a buffer the
 * size of their JSON text, and jscan_string() honours its buffer size. The
 * strict reader on top (json.c): a string it accepts is valid UTF-8 without
 * NUL and what jscan_string() makes of it too; json_fields() finds what
 * iteration finds; json_int() agrees with the digits.
 */
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "jscan.h"
#include "json.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static const char *in;
static size_t in_len;

static void
check_string(const struct jspan *s)
{
	char *out, *dup;
	size_t len;
	long n;

	FUZZ_CHECK(s->len >= 2 && s->p[s->len - 1] == '"');
	/* Unescaping never makes a string longer than its JSON text. */
	out = malloc(s->len);
	FUZZ_CHECK(out != NULL);
	n = jscan_string(s, out, s->len);
	FUZZ_CHECK(n >= 0 && (size_t)n <= s->len - 2);
	FUZZ_CHECK(out[n] == '\0');
	free(out);
	/* Exactly n + 1 bytes are enough; n are not. */
	out = malloc((size_t)n + 1);
	FUZZ_CHECK(out != NULL);
	FUZZ_CHECK(jscan_string(s, out, (size_t)n + 1) == n);
	if (n > 0)
		FUZZ_CHECK(jscan_string(s, out, (size_t)n) == -1);
	free(out);
	dup = jscan_strdup(s);
	FUZZ_CHECK(dup != NULL);
	/* What the strict reader accepts, the lenient one reads alike. */
	out = malloc(s->len);
	FUZZ_CHECK(out != NULL);
	if (json_string(s, out, s->len, &len) == JSON_STR_OK) {
		FUZZ_CHECK(len == strlen(out));
		FUZZ_CHECK(fuzz_utf8_valid(out, len));
		FUZZ_CHECK(len == strlen(dup) && memcmp(out, dup, len) == 0);
		/* It needs exactly len + 1 bytes. */
		FUZZ_CHECK(json_string(s, out, len + 1, NULL) == JSON_STR_OK);
		if (len > 0)
			FUZZ_CHECK(json_string(s, out, len, NULL) ==
			    JSON_STR_TOO_LONG);
	}
	free(out);
	free(dup);
}

/* json_int() against the digits themselves. */
static void
check_int(const struct jspan *v)
{
	uint64_t mag, ref = 0;
	int neg, r, over = 0;
	size_t i = 0;

	r = json_int(v, &neg, &mag);
	if (v->p[0] == '-')
		i = 1;
	if (memchr(v->p, '.', v->len) != NULL ||
	    memchr(v->p, 'e', v->len) != NULL ||
	    memchr(v->p, 'E', v->len) != NULL ||
	    (v->p[i] == '0' && v->len > i + 1)) {
		FUZZ_CHECK(r == -1);
		return;
	}
	for (; i < v->len; i++) {
		if (ref > (UINT64_MAX - (uint64_t)(v->p[i] - '0')) / 10)
			over = 1;
		ref = ref * 10 + (uint64_t)(v->p[i] - '0');
	}
	FUZZ_CHECK(r == (over ? -2 : 0));
	if (r == 0)
		FUZZ_CHECK(mag == ref && neg == (v->p[0] == '-'));
}

/*
 * json_fields() on the names "a" and "b": found where iteration finds
 * them (unescaped), a second one reported as a duplicate.
 */
static void
check_fields(const struct jspan *v)
{
	struct json_field f[] = { { .name = "a" }, { .name = "b" } };
	const char *p = v->p, *end = v->p + v->len;
	struct jspan k, val;
	char key[8];
	int seen[2] = { 0, 0 }, dupl = 0, r, i;
	size_t dup;

	FUZZ_CHECK(jscan_open(&p, end, '{') == 0);
	while (jscan_member(&p, end, &k, &val) == 1) {
		if (json_unescape(k.p, k.len, key, sizeof(key), NULL) !=
		    JSON_STR_OK)
			continue;
		for (i = 0; i < 2; i++)
			if (strcmp(key, f[i].name) == 0 && seen[i]++ == 1)
				dupl = 1;
	}
	r = json_fields(v, f, 2, &dup);
	if (dupl) {
		FUZZ_CHECK(r == JSON_FIELDS_DUP && dup < 2);
		return;
	}
	FUZZ_CHECK(r == 0);
	for (i = 0; i < 2; i++) {
		FUZZ_CHECK(f[i].seen == seen[i]);
		if (f[i].seen)
			FUZZ_CHECK(
			    fuzz_within(f[i].v.p, f[i].v.len, v->p, v->len));
	}
}

/* Checks on one value span; returns its element or member count. */
static void
walk(const struct jspan *v, int depth)
{
	const char *p, *end, *q;
	struct jspan k, val, again, found;
	char key[64];
	long n = 0;
	int r;
	double d;

	FUZZ_CHECK(depth <= JSCAN_MAX_DEPTH);
	FUZZ_CHECK(fuzz_within(v->p, v->len, in, in_len));
	FUZZ_CHECK(v->len > 0);
	/* The span re-scans as exactly itself. */
	p = v->p;
	FUZZ_CHECK(jscan_value(&p, v->p + v->len, &again) == 0);
	FUZZ_CHECK(again.p == v->p && again.len == v->len);
	p = v->p;
	end = v->p + v->len;
	switch (v->p[0]) {
	case '{':
		FUZZ_CHECK(jscan_open(&p, end, '{') == 0);
		while ((r = jscan_member(&p, end, &k, &val)) == 1) {
			FUZZ_CHECK(fuzz_within(k.p, k.len, v->p, v->len));
			FUZZ_CHECK(k.p[-1] == '"' && k.p[k.len] == '"');
			FUZZ_CHECK(fuzz_within(val.p, val.len, v->p, v->len));
			FUZZ_CHECK(val.p > k.p + k.len);
			/* A plain key finds its first occurrence. */
			if (k.len < sizeof(key) &&
			    memchr(k.p, '\\', k.len) == NULL) {
				memcpy(key, k.p, k.len);
				key[k.len] = '\0';
				FUZZ_CHECK(jscan_eq(&k, key));
				FUZZ_CHECK(jscan_find(v, key, &found) == 1);
				FUZZ_CHECK(found.p <= val.p);
				if (found.p == val.p)
					FUZZ_CHECK(found.len == val.len);
			}
			walk(&val, depth + 1);
			n++;
		}
		FUZZ_CHECK(r == 0 && p == end);
		FUZZ_CHECK(jscan_count(v) == -1);
		FUZZ_CHECK(jscan_find(v, "\x01no such key", &found) == 0);
		check_fields(v);
		break;
	case '[':
		FUZZ_CHECK(jscan_open(&p, end, '[') == 0);
		while ((r = jscan_element(&p, end, &val)) == 1) {
			FUZZ_CHECK(fuzz_within(val.p, val.len, v->p, v->len));
			walk(&val, depth + 1);
			n++;
		}
		FUZZ_CHECK(r == 0 && p == end);
		FUZZ_CHECK(jscan_count(v) == n);
		FUZZ_CHECK(jscan_find(v, "x", &found) == -1);
		break;
	case '"':
		check_string(v);
		break;
	case 't':
	case 'f':
	case 'n':
		FUZZ_CHECK(v->len == 4 || v->len == 5);
		FUZZ_CHECK(jscan_double(v, &d) == -1);
		break;
	default:
		/* jscan's number syntax is strtod's, in the C locale. */
		if (v->len < 64)
			FUZZ_CHECK(jscan_double(v, &d) == 0);
		for (q = v->p; q < end; q++)
			FUZZ_CHECK(strchr("0123456789+-.eE", *q) != NULL);
		check_int(v);
		break;
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size;
	struct jspan v, raw;
	char *out;
	long n;
	int i;

	in = (const char *)data;
	in_len = size;
	/* A stream of values, as far as it is valid. */
	for (i = 0; i < 8 && p < end; i++) {
		const char *before = p;

		if (jscan_value(&p, end, &v) == -1)
			break;
		FUZZ_CHECK(p > before && p <= end);
		FUZZ_CHECK(v.p >= before && v.p + v.len == p);
		walk(&v, 0);
	}
	/* jscan_string() on arbitrary bytes: never past either buffer. */
	raw.p = (const char *)data;
	raw.len = size;
	if (size > 0) {
		out = malloc(size);
		FUZZ_CHECK(out != NULL);
		n = jscan_string(&raw, out, size);
		FUZZ_CHECK(n == -1 || ((size_t)n < size && out[n] == '\0'));
		free(out);
	}
	free(jscan_strdup(&raw));
	return 0;
}
