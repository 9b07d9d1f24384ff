/* buf.h: a growable byte buffer with a hard maximum. */
#ifndef BUF_H
#define BUF_H

#include <stdarg.h>
#include <stddef.h>

struct buf {
	char *data; /* always NUL-terminated when len > 0 or cap > 0 */
	size_t len;
	size_t cap;
	size_t max; /* 0 = no maximum */
	int secret; /* wiped whenever it moves or is freed */
};

void buf_init(struct buf *, size_t max);
/* A buffer for secrets (signing material, Authorization, session tokens):
 * its old copies are wiped when it grows, and it is wiped when freed. */
void buf_init_secret(struct buf *, size_t max);
void buf_free(struct buf *);
/* buf_free for a buffer that held a secret: cleared first. */
void buf_wipe(struct buf *);
void buf_reset(struct buf *);
/* 0 on success, -1 when the maximum would be exceeded. */
int buf_reserve(struct buf *, size_t extra);
int buf_add(struct buf *, const void *, size_t);
int buf_adds(struct buf *, const char *);
int buf_addc(struct buf *, char);
int buf_printf(struct buf *, const char *, ...)
    __attribute__((format(printf, 2, 3)));
/* Append s as a JSON string literal (quotes included, escapes as needed). */
int buf_json_str(struct buf *, const char *s);
/* Take ownership of the data; the buffer is left empty. */
char *buf_steal(struct buf *, size_t *lenp);

#endif
