/* fmt.c: compact human formatting shared by the log and the status table. */
#include <inttypes.h>
#include <stdio.h>

#include "fmt.h"

const char *
fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 },
	};
	size_t i, off = 0;
	int shown = 0, n;

	if (len == 0)
		return buf;
	if (ms < 1000) {
		snprintf(buf, len, ms == 0 ? "0s" : "%" PRIu64 "ms", ms);
		return buf;
	}
	buf[0] = '\0';
	for (i = 0; i < sizeof(units) / sizeof(units[0]) && shown < 2; i++) {
		uint64_t v = ms / units[i].ms;

		if (v == 0 && shown == 0)
			continue;
		ms -= v * units[i].ms;
		if (v != 0) {
			n = snprintf(buf + off, len - off, "%" PRIu64 "%s", v,
			    units[i].name);
			if (n < 0 || (size_t)n >= len - off)
				return buf;
			off += (size_t)n;
		}
		/* Two units at most: "3d4h", not "3d4h5m6s". */
		shown++;
	}
	return buf;
}

static const char *
scaled(uint64_t n, uint64_t step, const char *const *names, size_t nnames,
    const char *base, char *buf, size_t len)
{
	size_t u = 0;
	double v = (double)n;
	uint64_t whole = n;

	if (n < step) {
		snprintf(buf, len, "%" PRIu64 "%s", n, base);
		return buf;
	}
	while (u < nnames && whole >= step) {
		whole /= step;
		v /= (double)step;
		u++;
	}
	/* One decimal below 10, truncated so 9.99 never shows as "10.0". */
	if (whole < 10) {
		uint64_t tenths = (uint64_t)(v * 10.0);

		snprintf(buf, len, "%" PRIu64 ".%" PRIu64 "%s", tenths / 10,
		    tenths % 10, names[u - 1]);
	} else
		snprintf(buf, len, "%" PRIu64 "%s", whole, names[u - 1]);
	return buf;
}

const char *
fmt_bytes(uint64_t bytes, char *buf, size_t len)
{
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB",
	    "PiB", "EiB" };

	return scaled(bytes, 1024, names, 6, "B", buf, len);
}

const char *
fmt_count(uint64_t n, char *buf, size_t len)
{
	static const char *const names[] = { "K", "M", "B", "T", "Q" };

	return scaled(n, 1000, names, 5, "", buf, len);
}

int
fmt_has_control(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 1;
	return 0;
}
