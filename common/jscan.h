/* jscan.h: a validating, non-allocating JSON scanner that yields byte spans. */
#ifndef JSCAN_H
#define JSCAN_H

#include <stddef.h>

/*
 * Used on hot paths (Scan pages) so items can be passed through to
 * BatchWriteItem byte for byte instead of being parsed and re-printed.
 * Documents with rules of their own (protocol, checkpoint, control socket)
 * read through json.h, the strict layer on these spans.
 */
struct jspan {
	const char *p;
	size_t len;
};

#define JSCAN_MAX_DEPTH 128

/* Skip whitespace, then one complete JSON value; *pp moves past it. 0/-1. */
int jscan_value(const char **pp, const char *end, struct jspan *out);

/*
 * Object/array iteration over a span that holds one object/array:
 *   const char *p = span.p; jscan_open(&p, end, '{');
 *   while ((r = jscan_member(&p, end, &key, &val)) == 1) ...
 * jscan_member returns 1 for a member (key without quotes, raw), 0 at the
 * closing brace, -1 on malformed input. jscan_element is the array form.
 */
int jscan_open(const char **pp, const char *end, char open);
int jscan_member(const char **pp, const char *end, struct jspan *key,
    struct jspan *val);
int jscan_element(const char **pp, const char *end, struct jspan *val);
/* After the top-level value: 0 if only whitespace is left, else -1 (a
 * body cut short and patched up must not pass as a whole answer). */
int jscan_end(const char *p, const char *end);

/* Whether a raw key equals a literal (keys we look up have no escapes). */
int jscan_eq(const struct jspan *, const char *lit);

/* Find member "name" in the object held by span; 1 found, 0 not, -1 bad. */
int jscan_find(const struct jspan *obj, const char *name, struct jspan *val);

/* Count elements of an array span; -1 if malformed. */
long jscan_count(const struct jspan *arr);

/*
 * The text of a span holding a JSON string, unescaped (\uXXXX to UTF-8),
 * NUL-terminated in out. Returns the length, or -1 if the span is not a
 * string or out (len bytes) is too small.
 */
long jscan_string(const struct jspan *, char *out, size_t len);
/* The same, allocated (NULL if not a string). */
char *jscan_strdup(const struct jspan *);

/* The value of four hex digits at p (a \u escape's), or -1. */
long jscan_hex4(const char *p);

/* Number value of a span holding a JSON number; 0 or -1. */
int jscan_double(const struct jspan *, double *);

#endif
