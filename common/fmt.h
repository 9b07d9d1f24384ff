/* fmt.h: compact human formatting of durations, sizes and counts (pure). */
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
int	fmt_has_control(const char *s, size_t n);

#endif
