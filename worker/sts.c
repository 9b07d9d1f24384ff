/* sts.c: STS XML, metadata credential JSON, times and form bodies (pure). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "creds.h"
#include "fmt.h"
#include "sigv4.h"
#include "sts.h"
#include "xmalloc.h"

/* No credential value comes near this; a bigger one is a broken answer. */
#define STS_VALUE_MAX (64u * 1024)

static int
take_digits(const char **pp, int n, int *out)
{
	const char *p = *pp;
	int v = 0;

	for (int i = 0; i < n; i++, p++) {
		if (!isdigit((unsigned char)*p))
			return -1;
		v = v * 10 + (*p - '0');
	}
	*pp = p;
	*out = v;
	return 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30,
		31 };

	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return mdays[m - 1];
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t
days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

int
sts_parse_time(const char *s, int64_t *epoch)
{
	const char *p = s;
	int y, mo, d, h, mi, se, oh = 0, om = 0, sign = 0;

	if (take_digits(&p, 4, &y) == -1 || *p++ != '-' ||
	    take_digits(&p, 2, &mo) == -1 || *p++ != '-' ||
	    take_digits(&p, 2, &d) == -1)
		return -1;
	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (take_digits(&p, 2, &h) == -1 || *p++ != ':' ||
	    take_digits(&p, 2, &mi) == -1 || *p++ != ':' ||
	    take_digits(&p, 2, &se) == -1)
		return -1;
	if (*p == '.' || *p == ',') {
		p++;
		if (!isdigit((unsigned char)*p))
			return -1;
		while (isdigit((unsigned char)*p))
			p++;
	}
	if (*p == 'Z' || *p == 'z')
		p++;
	else if (*p == '+' || *p == '-') {
		sign = *p++ == '+' ? 1 : -1;
		if (take_digits(&p, 2, &oh) == -1)
			return -1;
		if (*p == ':')
			p++;
		if (take_digits(&p, 2, &om) == -1 || oh > 23 || om > 59)
			return -1;
	}
	if (*p != '\0')
		return -1;
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || se > 60)
		return -1;
	*epoch = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + se -
	    sign * (oh * 3600 + om * 60);
	return 0;
}

static int
add_utf8(struct buf *out, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp == 0 || (cp >= 0xd800 && cp <= 0xdfff) || cp > 0x10ffff)
		return -1;
	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xc0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xe0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		u[0] = (char)(0xf0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		u[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	return buf_add(out, u, n);
}

int
sts_xml_unescape(struct buf *out, const char *s, size_t len)
{
	static const struct {
		const char *name;
		char ch;
	} named[] = { { "amp", '&' }, { "lt", '<' }, { "gt", '>' },
		{ "quot", '"' }, { "apos", '\'' } };
	const char *end = s + len, *semi;
	size_t i, n;

	while (s < end) {
		const char *amp = memchr(s, '&', (size_t)(end - s));

		if (amp == NULL)
			return buf_add(out, s, (size_t)(end - s));
		if (buf_add(out, s, (size_t)(amp - s)) == -1)
			return -1;
		/* Entities are short; a missing ';' nearby is malformed. */
		n = (size_t)(end - amp) < 12 ? (size_t)(end - amp) : 12;
		if ((semi = memchr(amp, ';', n)) == NULL)
			return -1;
		n = (size_t)(semi - amp - 1);
		if (n >= 2 && amp[1] == '#') {
			unsigned long cp = 0;
			const char *d = amp + 2;
			int hex = *d == 'x' || *d == 'X';

			if (hex)
				d++;
			if (d == semi)
				return -1;
			for (; d < semi; d++) {
				int v;

				if (isdigit((unsigned char)*d))
					v = *d - '0';
				else if (hex && isxdigit((unsigned char)*d))
					v = tolower((unsigned char)*d) - 'a' +
					    10;
				else
					return -1;
				cp = cp * (hex ? 16 : 10) + (unsigned long)v;
				if (cp > 0x10ffff)
					return -1;
			}
			if (add_utf8(out, cp) == -1)
				return -1;
		} else {
			for (i = 0; i < sizeof(named) / sizeof(named[0]); i++)
				if (strlen(named[i].name) == n &&
				    memcmp(amp + 1, named[i].name, n) == 0)
					break;
			if (i == sizeof(named) / sizeof(named[0]) ||
			    buf_addc(out, named[i].ch) == -1)
				return -1;
		}
		s = semi + 1;
	}
	return 0;
}

/* The '>' closing the tag that starts at p (quoted '>' skipped), or NULL. */
static const char *
tag_end(const char *p, const char *end)
{
	char quote = 0;

	for (; p < end; p++) {
		if (quote != 0) {
			if (*p == quote)
				quote = 0;
		} else if (*p == '"' || *p == '\'')
			quote = *p;
		else if (*p == '>')
			return p;
	}
	return NULL;
}

static size_t
tag_name_len(const char *p, const char *end)
{
	const char *q = p;

	while (q < end && *q != '>' && *q != '/' && !isspace((unsigned char)*q))
		q++;
	return (size_t)(q - p);
}

/*
 * The next element tag (start, end or empty) at or after p, skipping
 * comments, CDATA, declarations and processing instructions: *lt is its
 * '<', *gt its '>'. Returns 1, 0 if none, -1 if markup is unterminated.
 */
static int
next_tag(const char *p, const char *end, const char **lt, const char **gt)
{
	const char *q;
	size_t left;

	while ((p = memchr(p, '<', (size_t)(end - p))) != NULL) {
		left = (size_t)(end - p);
		if (left >= 4 && memcmp(p, "<!--", 4) == 0) {
			if ((q = memmem(p + 4, left - 4, "-->", 3)) == NULL)
				return -1;
			p = q + 3;
		} else if (left >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
			if ((q = memmem(p + 9, left - 9, "]]>", 3)) == NULL)
				return -1;
			p = q + 3;
		} else if ((q = tag_end(p, end)) == NULL)
			return -1;
		else if (p[1] == '!' || p[1] == '?')
			p = q + 1;
		else {
			*lt = p;
			*gt = q;
			return 1;
		}
	}
	return 0;
}

/* Whether the tag at lt is a start (closing 0) or end tag called name. */
static int
tag_is(const char *lt, const char *end, const char *name, size_t nl,
    int closing)
{
	const char *n = lt + 1 + closing;

	if (closing != (lt[1] == '/'))
		return 0;
	return tag_name_len(n, end) == nl && memcmp(n, name, nl) == 0;
}

/*
 * The content of the first element called name inside [p, end), at any
 * depth. Returns 1 and the span, 0 if absent, -1 if malformed/truncated.
 */
static int
xml_find(const char *p, const char *end, const char *name, const char **in,
    size_t *inlen)
{
	size_t nl = strlen(name);
	const char *lt, *gt, *start;
	int depth = 1, r;

	do {
		if ((r = next_tag(p, end, &lt, &gt)) != 1)
			return r;
		p = gt + 1;
	} while (!tag_is(lt, end, name, nl, 0));
	if (gt[-1] == '/') {
		*in = gt;
		*inlen = 0;
		return 1;
	}
	/* The matching end tag, counting nested same-named elements. */
	start = p;
	for (;;) {
		if (next_tag(p, end, &lt, &gt) != 1)
			return -1;
		p = gt + 1;
		if (tag_is(lt, end, name, nl, 1) && --depth == 0) {
			*in = start;
			*inlen = (size_t)(lt - start);
			return 1;
		}
		if (tag_is(lt, end, name, nl, 0) && gt[-1] != '/')
			depth++;
	}
}

/*
 * The unescaped, whitespace-trimmed text of leaf element name inside
 * [p, p + len) into out. 1 found, 0 absent, -1 malformed.
 */
static int
xml_text(const char *p, size_t len, const char *name, struct buf *out)
{
	const char *in;
	size_t n;
	int r;

	if ((r = xml_find(p, p + len, name, &in, &n)) != 1)
		return r;
	while (n > 0 && isspace((unsigned char)*in)) {
		in++;
		n--;
	}
	while (n > 0 && isspace((unsigned char)in[n - 1]))
		n--;
	if (memchr(in, '<', n) != NULL)
		return -1; /* markup where a value belongs */
	/* Not an XML character; it would cut the value short unseen. */
	if (memchr(in, '\0', n) != NULL)
		return -1;
	buf_reset(out);
	if (sts_xml_unescape(out, in, n) == -1 || buf_reserve(out, 0) == -1)
		return -1;
	return 1;
}

int
sts_parse_error(const char *xml, size_t len, char *code, size_t codelen,
    char *msg, size_t msglen)
{
	const char *er, *e;
	size_t erlen, elen;
	struct buf b;
	int r = -1;

	buf_init(&b, STS_VALUE_MAX);
	if (codelen > 0)
		code[0] = '\0';
	if (msglen > 0)
		msg[0] = '\0';
	if (xml_find(xml, xml + len, "ErrorResponse", &er, &erlen) != 1)
		goto fail;
	/* The Error element is where STS puts them; accept them bare too. */
	if (xml_find(er, er + erlen, "Error", &e, &elen) != 1) {
		e = er;
		elen = erlen;
	}
	if (xml_text(e, elen, "Code", &b) != 1 || b.len == 0)
		goto fail;
	fmt_printable(code, codelen, b.data, b.len);
	if (xml_text(e, elen, "Message", &b) == 1)
		fmt_printable(msg, msglen, b.data, b.len);
	r = 0;
fail:
	buf_free(&b);
	return r;
}

int
sts_parse_response(const char *xml, size_t len, const char *action,
    struct creds *c, char *err, size_t errlen)
{
	static const char *const fields[] = { "AccessKeyId", "SecretAccessKey",
		"SessionToken", "Expiration" };
	char tag[64], code[96], msg[256];
	const char *resp, *res, *cr;
	size_t resplen, reslen, crlen, i;
	struct buf b;
	char *vals[4] = { NULL, NULL, NULL, NULL };
	int64_t exp;
	int r;

	buf_init(&b, STS_VALUE_MAX);
	if (sts_parse_error(xml, len, code, sizeof(code), msg, sizeof(msg)) ==
	    0) {
		snprintf(err, errlen, "%s: %s", code, msg);
		goto fail;
	}
	snprintf(tag, sizeof(tag), "%sResponse", action);
	if ((r = xml_find(xml, xml + len, tag, &resp, &resplen)) != 1) {
		snprintf(err, errlen,
		    r == 0 ? "no <%s> in the answer" :
			     "malformed or truncated XML",
		    tag);
		goto fail;
	}
	snprintf(tag, sizeof(tag), "%sResult", action);
	if ((r = xml_find(resp, resp + resplen, tag, &res, &reslen)) != 1 ||
	    (r = xml_find(res, res + reslen, "Credentials", &cr, &crlen)) !=
		1) {
		snprintf(err, errlen,
		    r == 0 ? "no %s/Credentials in the "
			     "answer" :
			     "malformed or truncated XML",
		    tag);
		goto fail;
	}
	for (i = 0; i < 4; i++) {
		if ((r = xml_text(cr, crlen, fields[i], &b)) != 1 ||
		    b.len == 0) {
			snprintf(err, errlen,
			    r == -1 ? "malformed Credentials/"
				      "%s" :
				      "Credentials/%s missing or empty",
			    fields[i]);
			goto fail;
		}
		vals[i] = buf_steal(&b, NULL);
	}
	if (sts_parse_time(vals[3], &exp) == -1) {
		snprintf(err, errlen,
		    "Credentials/Expiration is not an "
		    "ISO-8601 time");
		goto fail;
	}
	c->access_key_id = vals[0];
	c->secret_access_key = vals[1];
	c->session_token = vals[2];
	c->expiration = exp;
	free(vals[3]);
	return 0;
fail:
	for (i = 0; i < 4; i++)
		xfree_secret(vals[i]);
	buf_wipe(&b);
	return -1;
}

/* Clear the strings of a credential JSON document before freeing it. */
static void
json_wipe(cJSON *j)
{
	cJSON *it;

	if (j == NULL)
		return;
	cJSON_ArrayForEach(it, j)
	{
		if (cJSON_IsString(it) && it->valuestring != NULL)
			explicit_bzero(it->valuestring,
			    strlen(it->valuestring));
	}
	cJSON_Delete(j);
}

static const char *
json_str(const cJSON *j, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(j, key);

	return cJSON_IsString(v) ? v->valuestring : NULL;
}

int
sts_parse_creds_json(const char *json, size_t len, struct creds *c, char *err,
    size_t errlen)
{
	const char *code, *akid, *secret, *token, *exp;
	char m[256], cd[64];
	int64_t when = 0;
	cJSON *j;

	j = cJSON_ParseWithLength(json, len);
	if (!cJSON_IsObject(j)) {
		snprintf(err, errlen, "credentials are not a JSON object");
		goto fail;
	}
	if ((code = json_str(j, "Code")) != NULL &&
	    strcmp(code, "Success") != 0) {
		const char *msg = json_str(j, "Message");

		fmt_printable_str(cd, sizeof(cd), code);
		fmt_printable_str(m, sizeof(m), msg != NULL ? msg : "");
		snprintf(err, errlen, "Code %s: %s", cd, m);
		goto fail;
	}
	akid = json_str(j, "AccessKeyId");
	secret = json_str(j, "SecretAccessKey");
	token = json_str(j, "Token");
	exp = json_str(j, "Expiration");
	if (akid == NULL || *akid == '\0' || secret == NULL ||
	    *secret == '\0') {
		snprintf(err, errlen, "credentials JSON lacks %s",
		    akid == NULL || *akid == '\0' ? "AccessKeyId" :
						    "SecretAccessKey");
		goto fail;
	}
	if (exp != NULL && sts_parse_time(exp, &when) == -1) {
		snprintf(err, errlen, "Expiration is not an ISO-8601 time");
		goto fail;
	}
	c->access_key_id = xstrdup(akid);
	c->secret_access_key = xstrdup(secret);
	c->session_token = token != NULL && *token != '\0' ? xstrdup(token) :
							     NULL;
	c->expiration = when;
	json_wipe(j);
	return 0;
fail:
	json_wipe(j);
	return -1;
}

void
sts_session_name(const char *in, char out[STS_SESSION_NAME_MAX + 1])
{
	size_t i;

	for (i = 0; i < STS_SESSION_NAME_MAX && in[i] != '\0'; i++) {
		unsigned char ch = (unsigned char)in[i];

		out[i] = (isalnum(ch) || strchr("_+=,.@-", ch) != NULL) ?
		    (char)ch :
		    '-';
	}
	out[i] = '\0';
	if (i < 2)
		strlcpy(out, "ddb-sync", STS_SESSION_NAME_MAX + 1);
}

int
sts_form_add(struct buf *out, const char *key, const char *value)
{
	if ((out->len > 0 && buf_addc(out, '&') == -1) ||
	    sigv4_uri_encode(out, key, strlen(key), 1) == -1 ||
	    buf_addc(out, '=') == -1 ||
	    sigv4_uri_encode(out, value, strlen(value), 1) == -1)
		return -1;
	return 0;
}

int
sts_assume_role_body(struct buf *out, const char *role_arn,
    const char *session_name, int duration, const char *external_id)
{
	char d[16];

	snprintf(d, sizeof(d), "%d", duration);
	if (sts_form_add(out, "Action", "AssumeRole") == -1 ||
	    sts_form_add(out, "Version", "2011-06-15") == -1 ||
	    sts_form_add(out, "RoleArn", role_arn) == -1 ||
	    sts_form_add(out, "RoleSessionName", session_name) == -1 ||
	    sts_form_add(out, "DurationSeconds", d) == -1 ||
	    (external_id != NULL &&
		sts_form_add(out, "ExternalId", external_id) == -1))
		return -1;
	return 0;
}

int
sts_web_identity_body(struct buf *out, const char *role_arn,
    const char *session_name, const char *token)
{
	if (sts_form_add(out, "Action", "AssumeRoleWithWebIdentity") == -1 ||
	    sts_form_add(out, "Version", "2011-06-15") == -1 ||
	    sts_form_add(out, "RoleArn", role_arn) == -1 ||
	    sts_form_add(out, "RoleSessionName", session_name) == -1 ||
	    sts_form_add(out, "WebIdentityToken", token) == -1)
		return -1;
	return 0;
}
