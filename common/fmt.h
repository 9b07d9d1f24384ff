/* fmt.h: compact human formatting, and text made safe to print (pure). */
#ifndef FMT_H
#define FMT_H

#include <stddef.h>
#include <stdint.h>

/*
 * Durations as in the log ("5m9s", "20m1s", "18h57m", "3d4h", "850ms",
 * "0s"): the two largest non-zero units, truncated, never rounded up.
 */
const char *fmt_duration(uint64_t ms, char *buf, size_t len);
/* Sizes in binary units: "512B", "29MiB", "1.5GiB", "3.2TiB". */
const char *fmt_bytes(uint64_t bytes, char *buf, size_t len);
/* Counts: "999", "47K", "1.2M", "3.4B" (below 10 one decimal). */
const char *fmt_count(uint64_t n, char *buf, size_t len);

/*
 * 1 if s[0..n) holds a C0 control character or DEL: text that must not
 * reach a log line, a terminal or an HTTP header; else 0.
 */
int fmt_has_control(const char *s, size_t n);

/*
 * Decode one UTF-8 character of s (n > 0 bytes left) into *cp: its length,
 * or 1 with *cp = -1 for a byte that does not start a valid, shortest-form
 * sequence (surrogates and values over U+10FFFF are invalid).
 */
size_t fmt_utf8_next(const unsigned char *s, size_t n, int32_t *cp);

/*
 * src[0..n) made fit for a log line, a journal or the status table, into
 * dst (always NUL-terminated; cut on a whole character or escape when
 * full). Text from the network or from a worker goes through this before it
 * is printed anywhere:
 * - C0 controls, DEL, C1 controls, bidirectional overrides and bytes of
 *   invalid UTF-8 become escapes (\n, \r, \t, \x1b, \u009b, \u202e), so
 *   the text cannot forge a log line nor move a terminal's cursor;
 * - what looks like a credential becomes "[redacted]": the value after a
 *   name such as X-Amz-Security-Token, Signature, SecretAccessKey,
 *   SessionToken or Token (followed by ':', '=' or '>'), and any run of 40
 *   or more base64 characters mixing upper case, lower case and digits that
 *   holds '+' or '/' or is 100 characters long (secret keys, session
 *   tokens; never a table name, which cannot hold '+' or '/').
 * Returns strlen(dst).
 */
size_t fmt_printable(char *dst, size_t dstlen, const char *src, size_t n);

/* fmt_printable() of a NUL-terminated string; returns dst. */
const char *fmt_printable_str(char *dst, size_t dstlen, const char *src);

/* Columns s takes on a terminal when each character takes one (aligned
 * tables of names and figures): UTF-8 continuation bytes take none. */
size_t fmt_columns(const char *s);

/*
 * A message that quotes one of the secrets (its first 16 bytes; secrets
 * shorter than 8 bytes and NULL entries are ignored), as a server echoing a
 * canonical request may, is replaced whole by a fixed text saying so.
 * Returns 1 if it was, else 0.
 */
int fmt_withhold_secrets(char *msg, size_t msglen, const char *const *secrets,
    size_t n);

#endif
