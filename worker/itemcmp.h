/* itemcmp.h: DynamoDB's equality of items in attribute-value JSON (pure). */
#ifndef ITEMCMP_H
#define ITEMCMP_H

#include <stddef.h>

#include "jscan.h"

/*
 * Two items are equal when DynamoDB would say so: sets (SS, NS, BS) without
 * regard to order, numbers as decimal numbers (1.0, 1 and 1E0 are one
 * number; -0 is 0; no conversion to a double, so 38 digits stay exact),
 * binary by its decoded bytes, strings by their unescaped text, map keys in
 * any order, lists in order.
 *
 * itemcmp() returns 0 when equal, 1 when different (path names the first
 * differing attribute, such as "address.city" or "tags[2]", and why says
 * how, "missing in destination", "number 10 != 11", ...), -1 when either
 * side is not attribute-value JSON (why says what).
 */
#define ITEMCMP_PATH_MAX 256
#define ITEMCMP_WHY_MAX	 128

int itemcmp(const struct jspan *a, const struct jspan *b, char *path,
    size_t pathlen, char *why, size_t whylen);

/* One attribute value against another ({"N":"1"}, ...): 0, 1 or -1. */
int itemcmp_value(const struct jspan *a, const struct jspan *b);

/*
 * A DynamoDB number's canonical text ("-1.25E3" -> "-1.25E3", "100" ->
 * "1E2", "0.0" -> "0"): two numbers are equal when their canonical texts
 * are. s is the number's text (the inside of the N string). 0, or -1 if s
 * is not a number.
 */
int itemcmp_number(const char *s, size_t n, char *out, size_t outlen);

/* Decode base64 (padding required when the length is not a multiple of
 * 4); the length, or -1 if malformed or out (len bytes) is too small. */
long itemcmp_base64(const char *s, size_t n, unsigned char *out, size_t len);

#endif
