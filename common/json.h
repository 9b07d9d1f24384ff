/* json.h: the strict JSON reader for everything but the hot path (on jscan). */
#ifndef JSON_H
#define JSON_H

#include <stddef.h>
#include <stdint.h>

#include "jscan.h"

/*
 * ddb-sync reads JSON one way: jscan (common/jscan.c) validates the text and
 * yields byte spans. Scan and GetRecords answers use the spans directly (the
 * hot path: items are copied verbatim, never re-parsed). Everything else
 * that decodes a document with rules of its own (the worker protocol, the
 * checkpoint file, the control socket) reads it through these helpers, which
 * add what a strict decoder needs: one top-level value, members looked up by
 * their unescaped name with duplicates refused, exact 64-bit integers, and
 * strings that must be valid UTF-8 without NUL or unpaired surrogates.
 * cJSON is not used for reading such documents: it keeps duplicate keys and
 * turns every number into a double, exact only below 2^53.
 */

/* json_doc: the one value of a document. */
#define JSON_DOC_INVALID    (-1) /* not valid JSON */
#define JSON_DOC_TRAILING   (-2) /* more than whitespace after it */
#define JSON_DOC_NOT_OBJECT (-3) /* valid, but not an object */

/*
 * The single JSON object text[0..len) holds, whitespace around it allowed.
 * 0 with *obj set, or a JSON_DOC_* code; for JSON_DOC_TRAILING, *at is the
 * offset of the first byte after the value.
 */
int json_doc(const char *text, size_t len, struct jspan *obj, size_t *at);

/* A member looked for by json_fields(), and its value once found. */
struct json_field {
	const char *name; /* as unescaped; at most JSON_NAME_MAX bytes */
	struct jspan v;
	int seen;
};
#define JSON_NAME_MAX 63

#define JSON_FIELDS_INVALID (-1) /* obj is not a well-formed object */
#define JSON_FIELDS_DUP	    (-2) /* a member named in f[] is there twice */

/*
 * Find the members of the object span obj named in f[] (names compared
 * after unescaping the keys, so "\u0076" is "v"); other members are
 * ignored. Clears and sets f[i].seen and f[i].v. 0, or a JSON_FIELDS_*
 * code (for a duplicate, *dup is its index in f[]; the first duplicate in
 * document order is reported).
 */
int json_fields(const struct jspan *obj, struct json_field *f, size_t n,
    size_t *dup);

/*
 * A JSON integer: '-'? digits, no fraction, exponent or leading zero.
 * 0 with the sign and magnitude; -1 if the span is not an integer; -2 if
 * its magnitude does not fit in 64 bits.
 */
int json_int(const struct jspan *, int *neg, uint64_t *mag);
/* true/false: 0 with *out 1/0, -1 for anything else. */
int json_bool(const struct jspan *, int *out);
int json_is_null(const struct jspan *);

/* json_string() failures. */
enum json_str_err {
	JSON_STR_OK = 0,
	JSON_STR_NOT_STRING, /* the span is not a string */
	JSON_STR_TOO_LONG,   /* does not fit in out */
	JSON_STR_NUL,	     /* \u0000 */
	JSON_STR_RAW_NUL,    /* a raw NUL byte */
	JSON_STR_CONTROL,    /* an unescaped control character */
	JSON_STR_UTF8,	     /* not valid UTF-8 */
	JSON_STR_ESCAPE,     /* an invalid escape */
	JSON_STR_SURROGATE,  /* an unpaired UTF-16 surrogate escape */
};

/*
 * The string a span holds, unescaped and NUL-terminated into out (outsz
 * bytes, outsz > 0), *len its length (may be NULL). The result is valid
 * UTF-8 without NUL bytes, or this fails: JSON_STR_OK or the reason.
 */
enum json_str_err json_string(const struct jspan *, char *out, size_t outsz,
    size_t *len);
/* The inside of a string (the bytes between its quotes), as json_string. */
enum json_str_err json_unescape(const char *p, size_t n, char *out,
    size_t outsz, size_t *len);
/* What is wrong, for a message: "is not valid UTF-8", "is too long", ... */
const char *json_str_why(enum json_str_err);

/*
 * Untrusted bytes quoted in an error message: at most 40 of them, anything
 * but printable ASCII shown as '?', "..." when cut, so that input can never
 * put an escape sequence into a log.
 */
#define JSON_SHOW_MAX 48
const char *json_show(const char *p, size_t n, char *out, size_t outsz);

/*
 * Format an error for a caller's buffer (cut on a character boundary if it
 * does not fit); err may be NULL. Always returns -1.
 */
int json_err(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
