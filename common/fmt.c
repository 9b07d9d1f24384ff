/* fmt.c: compact human formatting shared by the log and the status table. */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "compat.h"

#include "fmt.h"
#include "utf8.h"

const char *
fmt_duration(uint64_t ms, char *buf, size_t len)
{
	static const struct {
		const char *name;
		uint64_t ms;
	} units[] = {
		{ "d", 86400000 },
		{ "h", 3600000 },
		{ "m", 60000 },
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
	static const char *const names[] = { "KiB", "MiB", "GiB", "TiB", "PiB",
		"EiB" };

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

size_t
fmt_utf8_next(const unsigned char *s, size_t n, int32_t *cp)
{
	uint32_t c;
	size_t len;

	if ((len = utf8_decode(s, n, &c)) == 0) {
		*cp = -1;
		return 1;
	}
	*cp = (int32_t)c;
	return len;
}

/* Names whose value is a secret, matched without regard to case. */
static const char *const fmt_secret_names[] = { "x-amz-security-token",
	"x-amz-signature", "signature", "secretaccesskey", "secret_access_key",
	"sessiontoken", "session_token", "token", NULL };

#define FMT_REDACTED "[redacted]"

static int
fmt_is_b64(unsigned char c)
{
	return isalnum(c) || c == '+' || c == '/' || c == '=';
}

/*
 * At s[i], a secret's name, separator and value: returns the bytes of name
 * and separator (kept) in *keep and of the value (replaced) in *val, or 0.
 */
static int
fmt_named_secret(const char *s, size_t n, size_t i, size_t *keep, size_t *val)
{
	size_t j, k, nl;

	if (i > 0 && isalnum((unsigned char)s[i - 1]))
		return 0;
	for (k = 0; fmt_secret_names[k] != NULL; k++) {
		nl = strlen(fmt_secret_names[k]);
		if (n - i >= nl &&
		    strncasecmp(s + i, fmt_secret_names[k], nl) == 0 &&
		    (i + nl == n || !isalnum((unsigned char)s[i + nl])))
			break;
	}
	if (fmt_secret_names[k] == NULL)
		return 0;
	j = i + nl;
	while (j < n &&
	    (s[j] == '"' || s[j] == '\'' || s[j] == ' ' || s[j] == '\t'))
		j++;
	if (j == n || (s[j] != ':' && s[j] != '=' && s[j] != '>'))
		return 0;
	j++;
	while (j < n &&
	    (s[j] == '"' || s[j] == '\'' || s[j] == ' ' || s[j] == '\t'))
		j++;
	*keep = j - i;
	for (k = j; k < n && !isspace((unsigned char)s[k]) &&
	     strchr("\"'&,;<}\\", s[k]) == NULL;
	     k++)
		;
	*val = k - j;
	return *val > 0;
}

/* At s[i], a long base64 run that looks like a key or a token: its length. */
static size_t
fmt_b64_secret(const char *s, size_t n, size_t i)
{
	int upper = 0, lower = 0, digit = 0, sym = 0;
	size_t j;

	if (i > 0 && fmt_is_b64((unsigned char)s[i - 1]))
		return 0;
	for (j = i; j < n && fmt_is_b64((unsigned char)s[j]); j++) {
		unsigned char c = (unsigned char)s[j];

		upper |= isupper(c) != 0;
		lower |= islower(c) != 0;
		digit |= isdigit(c) != 0;
		sym |= c == '+' || c == '/';
	}
	if (j - i < 40 || !upper || !lower || !digit || (!sym && j - i < 100))
		return 0;
	return j - i;
}

/* Append piece (len bytes) if it fits with the NUL; 0 or -1 when full. */
static int
fmt_put(char *dst, size_t dstlen, size_t *off, const char *piece, size_t len)
{
	if (*off + len >= dstlen)
		return -1;
	memcpy(dst + *off, piece, len);
	*off += len;
	return 0;
}

size_t
fmt_printable(char *dst, size_t dstlen, const char *src, size_t n)
{
	const unsigned char *u = (const unsigned char *)src;
	size_t i = 0, off = 0, k, keep, val, hide_at = SIZE_MAX, hide = 0;
	char esc[16];
	int32_t cp;
	int r;

	if (dstlen == 0)
		return 0;
	while (i < n) {
		if (hide_at != SIZE_MAX && i >= hide_at) {
			if (fmt_put(dst, dstlen, &off, FMT_REDACTED,
				sizeof(FMT_REDACTED) - 1) == -1)
				break;
			i = hide_at + hide;
			hide_at = SIZE_MAX;
			continue;
		}
		/* A named secret: its name and separator are shown, escaped
		 * like the rest (they may hold tabs), then the value hidden. */
		if (hide_at == SIZE_MAX &&
		    fmt_named_secret(src, n, i, &keep, &val)) {
			hide_at = i + keep;
			hide = val;
		} else if (hide_at == SIZE_MAX &&
		    (k = fmt_b64_secret(src, n, i)) > 0) {
			if (fmt_put(dst, dstlen, &off, FMT_REDACTED,
				sizeof(FMT_REDACTED) - 1) == -1)
				break;
			i += k;
			continue;
		}
		k = fmt_utf8_next(u + i, n - i, &cp);
		if (cp == '\n')
			r = snprintf(esc, sizeof(esc), "\\n");
		else if (cp == '\r')
			r = snprintf(esc, sizeof(esc), "\\r");
		else if (cp == '\t')
			r = snprintf(esc, sizeof(esc), "\\t");
		else if (cp == -1 || cp < 0x20 || cp == 0x7f)
			r = snprintf(esc, sizeof(esc), "\\x%02x", u[i]);
		else if ((cp >= 0x80 && cp < 0xa0) ||
		    (cp >= 0x202a && cp <= 0x202e) ||
		    (cp >= 0x2066 && cp <= 0x2069))
			r = snprintf(esc, sizeof(esc), "\\u%04x", (unsigned)cp);
		else
			r = -1;
		if (r > 0) {
			if (fmt_put(dst, dstlen, &off, esc, (size_t)r) == -1)
				break;
		} else if (fmt_put(dst, dstlen, &off, src + i, k) == -1)
			break;
		i += k;
	}
	dst[off] = '\0';
	return off;
}

const char *
fmt_printable_str(char *dst, size_t dstlen, const char *src)
{
	fmt_printable(dst, dstlen, src, strlen(src));
	return dst;
}

int
fmt_withhold_secrets(char *msg, size_t msglen, const char *const *secrets,
    size_t n)
{
	char probe[17];
	int found = 0;

	for (size_t i = 0; i < n && !found; i++) {
		if (secrets[i] == NULL || strlen(secrets[i]) < 8)
			continue;
		strlcpy(probe, secrets[i], sizeof(probe));
		found = strstr(msg, probe) != NULL;
	}
	explicit_bzero(probe, sizeof(probe));
	if (found)
		strlcpy(msg, "(message withheld: it quoted a credential)",
		    msglen);
	return found;
}

size_t
fmt_columns(const char *s)
{
	size_t w = 0;

	for (; *s != '\0'; s++)
		if (((unsigned char)*s & 0xc0) != 0x80)
			w++;
	return w;
}
