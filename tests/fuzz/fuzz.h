/* fuzz.h: what every libFuzzer target shares: a quiet log, invariant checks. */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int LLVMFuzzerInitialize(int *, char ***);

/*
 * A broken invariant aborts: libFuzzer (ASan's SIGABRT handler) then saves
 * the input as a crash artifact, like any memory error.
 */
#define FUZZ_CHECK(cond) \
	do { \
		if (!(cond)) { \
			fprintf(stderr, "%s:%d: invariant failed: %s\n", \
			    __FILE__, __LINE__, #cond); \
			abort(); \
		} \
	} while (0)

/* Decoders log on some paths; a fuzzer printing each input is slow. */
static inline void
fuzz_log_sink(int level, const char *msg, void *arg)
{
	(void)level;
	(void)msg;
	(void)arg;
}

static inline void
fuzz_quiet(void)
{
	log_set_sink(fuzz_log_sink, NULL);
}

/* Whether [p, p + n) lies within [base, base + size). */
static inline int
fuzz_within(const void *p, size_t n, const void *base, size_t size)
{
	const char *c = p, *b = base;

	return c >= b && c <= b + size && n <= (size_t)(b + size - c);
}

/* A NUL-terminated heap copy (ASan sees reads past the end). */
static inline char *
fuzz_strndup(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);

	if (s == NULL)
		abort();
	if (size > 0)
		memcpy(s, data, size);
	s[size] = '\0';
	return s;
}

/* Valid UTF-8 (RFC 3629: no overlongs, surrogates, > U+10FFFF). */
static inline int
fuzz_utf8_valid(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0, len, k;
	unsigned char lo, hi;

	while (i < n) {
		lo = 0x80;
		hi = 0xbf;
		if (u[i] < 0x80) {
			i++;
			continue;
		}
		if (u[i] >= 0xc2 && u[i] <= 0xdf)
			len = 2;
		else if (u[i] >= 0xe0 && u[i] <= 0xef) {
			len = 3;
			if (u[i] == 0xe0)
				lo = 0xa0;
			else if (u[i] == 0xed)
				hi = 0x9f;
		} else if (u[i] >= 0xf0 && u[i] <= 0xf4) {
			len = 4;
			if (u[i] == 0xf0)
				lo = 0x90;
			else if (u[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i < len || u[i + 1] < lo || u[i + 1] > hi)
			return 0;
		for (k = 2; k < len; k++)
			if (u[i + k] < 0x80 || u[i + k] > 0xbf)
				return 0;
		i += len;
	}
	return 1;
}

#endif
