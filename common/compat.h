/* compat.h: BSD string functions glibc (before 2.38) lacks. */
#ifndef COMPAT_H
#define COMPAT_H

#include <stddef.h>
#include <string.h>

#if !defined(__GLIBC__) || !__GLIBC_PREREQ(2, 38)
size_t strlcpy(char *, const char *, size_t);
size_t strlcat(char *, const char *, size_t);
#endif

#endif
