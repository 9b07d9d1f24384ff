/*
 * fuzz_sts.c: what STS and the metadata services answer: AssumeRole /
 * AssumeRoleWithWebIdentity XML, ErrorResponse XML, IMDS and container
 * credential JSON, XML entities and ISO-8601 times. Credentials are set
 * only on success and then complete; error text holds no control bytes.
 */
#include <stdint.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "creds.h"
#include "fuzz.h"
#include "sts.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void
check_printable(const char *s, size_t cap)
{
	size_t i, n = strnlen(s, cap);

	FUZZ_CHECK(n < cap);
	for (i = 0; i < n; i++)
		FUZZ_CHECK((unsigned char)s[i] >= 0x20 && s[i] != 0x7f);
}

static void
check_creds(int rc, const struct creds *c, const char *err, int need_token)
{
	if (rc == -1) {
		FUZZ_CHECK(err[0] != '\0');
		FUZZ_CHECK(c->access_key_id == NULL &&
		    c->secret_access_key == NULL && c->session_token == NULL);
		return;
	}
	FUZZ_CHECK(rc == 0);
	FUZZ_CHECK(c->access_key_id != NULL && c->access_key_id[0] != '\0');
	FUZZ_CHECK(
	    c->secret_access_key != NULL && c->secret_access_key[0] != '\0');
	if (need_token)
		FUZZ_CHECK(
		    c->session_token != NULL && c->session_token[0] != '\0');
}

static void
fuzz_xml(const char *data, size_t size)
{
	static const char *const actions[] = { "AssumeRole",
		"AssumeRoleWithWebIdentity" };
	char code[64], msg[128], tiny[1], err[512];
	struct creds c;
	size_t i;
	int rc;

	for (i = 0; i < 2; i++) {
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		rc = sts_parse_response(data, size, actions[i], &c, err,
		    sizeof(err));
		check_creds(rc, &c, err, 1);
		creds_clear(&c);
	}
	if (sts_parse_error(data, size, code, sizeof(code), msg, sizeof(msg)) ==
	    0) {
		FUZZ_CHECK(code[0] != '\0');
		check_printable(code, sizeof(code));
		check_printable(msg, sizeof(msg));
	}
	/* Sizes 1 and 0: nothing written past them. */
	(void)sts_parse_error(data, size, tiny, sizeof(tiny), msg, 0);
	FUZZ_CHECK(tiny[0] == '\0');
}

static void
fuzz_json(const char *data, size_t size)
{
	struct creds c;
	char err[512];
	int rc;

	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	rc = sts_parse_creds_json(data, size, &c, err, sizeof(err));
	check_creds(rc, &c, err, 0);
	if (rc == -1)
		check_printable(err, sizeof(err));
	creds_clear(&c);
}

static void
fuzz_unescape(const char *data, size_t size)
{
	struct buf b;

	buf_init(&b, 64 * 1024);
	if (sts_xml_unescape(&b, data, size) == 0) {
		FUZZ_CHECK(b.len <= size);
		/* Without '&' the text is copied as it is. */
		if (memchr(data, '&', size) == NULL)
			FUZZ_CHECK(b.len == size &&
			    (size == 0 || memcmp(b.data, data, size) == 0));
	}
	buf_free(&b);
}

/* Cross-check the plain "YYYY-MM-DDTHH:MM:SSZ" form against timegm(). */
static void
fuzz_time(const char *s)
{
	struct tm tm;
	int64_t t;
	int y, mo, d, h, mi, se, end = -1;

	if (sts_parse_time(s, &t) == -1)
		return;
	/* Years 0000-9999, with a zone offset of less than a day. */
	FUZZ_CHECK(t >= -62167219200LL - 86400 * 2);
	FUZZ_CHECK(t <= 253402300800LL + 86400 * 2);
	if (strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se,
		&end) != 6 ||
	    end != 20 || se > 59 || y < 1900)
		return;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	FUZZ_CHECK((int64_t)timegm(&tm) == t);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	char *s;

	fuzz_xml(p, size);
	fuzz_json(p, size);
	fuzz_unescape(p, size);
	s = fuzz_strndup(data, size);
	fuzz_time(s);
	free(s);
	return 0;
}
