/* test_sts.c: STS XML, metadata JSON, ISO-8601 times and form bodies. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "buf.h"
#include "creds.h"
#include "sts.h"

/* AWS's documented example keys. */
#define AKID   "AKIDEXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define TOKEN  "AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4"

static const char assume_ok[] =
    "<AssumeRoleResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/\">\n"
    "  <AssumeRoleResult>\n"
    "    <SourceIdentity>Alice</SourceIdentity>\n"
    "    <AssumedRoleUser>\n"
    "      <Arn>arn:aws:sts::123456789012:assumed-role/demo/s</Arn>\n"
    "      <AssumedRoleId>ARO123EXAMPLE123:s</AssumedRoleId>\n"
    "    </AssumedRoleUser>\n"
    "    <Credentials>\n"
    "      <AccessKeyId>" AKID "</AccessKeyId>\n"
    "      <SecretAccessKey>" SECRET "</SecretAccessKey>\n"
    "      <SessionToken>" TOKEN "</SessionToken>\n"
    "      <Expiration>2019-11-09T13:34:41Z</Expiration>\n"
    "    </Credentials>\n"
    "    <PackedPolicySize>6</PackedPolicySize>\n"
    "  </AssumeRoleResult>\n"
    "  <ResponseMetadata>\n"
    "    <RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId>\n"
    "  </ResponseMetadata>\n"
    "</AssumeRoleResponse>\n";

static void
test_sts_time_utc(void **state)
{
	int64_t t = 0;

	assert_int_equal(sts_parse_time("2019-11-09T13:34:41Z", &t), 0);
	assert_int_equal(t, 1573306481);
	assert_int_equal(sts_parse_time("2019-11-09T13:34:41.123456Z", &t), 0);
	assert_int_equal(t, 1573306481);
	assert_int_equal(sts_parse_time("2019-11-09t13:34:41z", &t), 0);
	assert_int_equal(t, 1573306481);
	/* No zone: UTC. */
	assert_int_equal(sts_parse_time("2019-11-09T13:34:41", &t), 0);
	assert_int_equal(t, 1573306481);
	assert_int_equal(sts_parse_time("2024-02-29T00:00:00Z", &t), 0);
	assert_int_equal(t, 1709164800);
	assert_int_equal(sts_parse_time("1969-12-31T23:59:59Z", &t), 0);
	assert_int_equal(t, -1);
}

static void
test_sts_time_offsets(void **state)
{
	int64_t t = 0;

	assert_int_equal(sts_parse_time("2019-11-09T15:34:41+02:00", &t), 0);
	assert_int_equal(t, 1573306481);
	assert_int_equal(sts_parse_time("2019-11-09T15:34:41+0200", &t), 0);
	assert_int_equal(t, 1573306481);
	assert_int_equal(sts_parse_time("2019-11-09T08:04:41-05:30", &t), 0);
	assert_int_equal(t, 1573306481);
}

static void
test_sts_time_invalid(void **state)
{
	static const char *const bad[] = { "", "2019-11-09", "2019-11-09T13:34",
		"2019-13-09T13:34:41Z", "2023-02-29T00:00:00Z",
		"2019-11-31T00:00:00Z", "2019-11-09T24:00:00Z",
		"2019-11-09T13:60:00Z", "2019-11-09T13:34:41Zjunk",
		"2019-11-09T13:34:41.Z", "2019-11-09T13:34:41+2",
		"2019-11-09T13:34:41+24:00", "19-11-09T13:34:41Z",
		"2019/11/09T13:34:41Z", "tomorrow", NULL };
	int64_t t = 42;

	for (int i = 0; bad[i] != NULL; i++) {
		if (sts_parse_time(bad[i], &t) != -1)
			fail_msg("accepted '%s'", bad[i]);
	}
	assert_int_equal(t, 42);
}

static void
test_sts_unescape_entities(void **state)
{
	struct buf b;
	const char in[] = "a&amp;b&lt;c&gt;&quot;&apos;&#65;&#x42;&#xe9;"
			  "&#x1F600;z";

	buf_init(&b, 1024);
	assert_int_equal(sts_xml_unescape(&b, in, strlen(in)), 0);
	assert_string_equal(b.data, "a&b<c>\"'AB\xc3\xa9\xf0\x9f\x98\x80z");
	buf_free(&b);
}

static void
test_sts_unescape_rejects_bad_entities(void **state)
{
	static const char *const bad[] = { "&bogus;", "&amp", "x&#;", "&#0;",
		"&#xD800;", "&#x110000;", "&#12a;", "&;", NULL };
	struct buf b;

	for (int i = 0; bad[i] != NULL; i++) {
		buf_init(&b, 1024);
		if (sts_xml_unescape(&b, bad[i], strlen(bad[i])) != -1)
			fail_msg("accepted '%s'", bad[i]);
		buf_free(&b);
	}
	/* The buffer's maximum holds. */
	buf_init(&b, 4);
	assert_int_equal(sts_xml_unescape(&b, "abcdef", 6), -1);
	buf_free(&b);
}

static void
test_sts_assume_role_response(void **state)
{
	struct creds c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(assume_ok, strlen(assume_ok),
			     "AssumeRole", &c, err, sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_string_equal(c.session_token, TOKEN);
	assert_int_equal(c.expiration, 1573306481);
	creds_clear(&c);
	assert_null(c.access_key_id);
}

static void
test_sts_assume_role_reordered_entities(void **state)
{
	static const char xml[] =
	    "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	    "<!-- reordered -->"
	    "<AssumeRoleResponse xmlns='https://sts.amazonaws.com/doc/"
	    "2011-06-15/'><ResponseMetadata><RequestId>r</RequestId>"
	    "</ResponseMetadata><AssumeRoleResult><Credentials>"
	    "<Expiration>2019-11-09T13:34:41.000Z</Expiration>"
	    "<SessionToken>tok&amp;en&#43;1&lt;&gt;</SessionToken>"
	    "<SecretAccessKey>\n  " SECRET "\n</SecretAccessKey>"
	    "<AccessKeyId>" AKID "</AccessKeyId></Credentials>"
	    "<AssumedRoleUser><Arn>a</Arn><AccessKeyId>WRONG</AccessKeyId>"
	    "</AssumedRoleUser></AssumeRoleResult></AssumeRoleResponse>";
	struct creds c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_string_equal(c.session_token, "tok&en+1<>");
	assert_int_equal(c.expiration, 1573306481);
	creds_clear(&c);
}

static void
test_sts_web_identity_response(void **state)
{
	static const char xml[] =
	    "<AssumeRoleWithWebIdentityResponse xmlns=\"https://sts."
	    "amazonaws.com/doc/2011-06-15/\"><AssumeRoleWithWebIdentityResult>"
	    "<SubjectFromWebIdentityToken>system:serviceaccount:a:b"
	    "</SubjectFromWebIdentityToken><Audience>sts.amazonaws.com"
	    "</Audience><Credentials><AccessKeyId>ASIAEXAMPLE</AccessKeyId>"
	    "<SecretAccessKey>" SECRET "</SecretAccessKey><SessionToken>" TOKEN
	    "</SessionToken><Expiration>2030-01-01T00:00:00Z"
	    "</Expiration></Credentials><Provider>oidc</Provider>"
	    "</AssumeRoleWithWebIdentityResult></AssumeRoleWithWebIdentity"
	    "Response>";
	struct creds c;
	char err[256] = "";

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(xml, strlen(xml),
			     "AssumeRoleWithWebIdentity", &c, err, sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, "ASIAEXAMPLE");
	assert_int_equal(c.expiration, 1893456000);
	creds_clear(&c);
	/* The same document is not an AssumeRole answer. */
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "AssumeRoleResponse"));
	assert_null(c.access_key_id);
}

static void
test_sts_error_response(void **state)
{
	static const char xml[] =
	    "<ErrorResponse xmlns=\"https://sts.amazonaws.com/doc/2011-06-15/"
	    "\"><Error><Type>Sender</Type><Code>AccessDenied</Code><Message>"
	    "User: arn:aws:iam::123456789012:user/x is not authorized to "
	    "perform: sts:AssumeRole on &quot;r&quot;\n</Message></Error>"
	    "<RequestId>id</RequestId></ErrorResponse>";
	char code[32], msg[256], err[512];
	struct creds c;

	assert_int_equal(sts_parse_error(xml, strlen(xml), code, sizeof(code),
			     msg, sizeof(msg)),
	    0);
	assert_string_equal(code, "AccessDenied");
	assert_string_equal(msg,
	    "User: arn:aws:iam::123456789012:user/x is "
	    "not authorized to perform: sts:AssumeRole on \"r\"");
	/* A small buffer truncates. */
	assert_int_equal(sts_parse_error(xml, strlen(xml), code, 7, msg, 5), 0);
	assert_string_equal(code, "Access");
	assert_string_equal(msg, "User");
	/* The response parser reports it. */
	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "AccessDenied: User: arn:aws"));
	/* Not an error document. */
	assert_int_equal(sts_parse_error(assume_ok, strlen(assume_ok), code,
			     sizeof(code), msg, sizeof(msg)),
	    -1);
}

static void
test_sts_missing_fields(void **state)
{
	static const char *const missing[] = { "AccessKeyId", "SecretAccessKey",
		"SessionToken", "Expiration" };
	char xml[2048], err[256];
	struct creds c;

	for (int i = 0; i < 4; i++) {
		char open[64], *s, *e;

		snprintf(xml, sizeof(xml), "%s", assume_ok);
		snprintf(open, sizeof(open), "<%s>", missing[i]);
		s = strstr(xml, open);
		e = strchr(s, '\n');
		memmove(s, e, strlen(e) + 1);
		memset(&c, 0, sizeof(c));
		assert_int_equal(sts_parse_response(xml, strlen(xml),
				     "AssumeRole", &c, err, sizeof(err)),
		    -1);
		assert_non_null(strstr(err, missing[i]));
		assert_null(strstr(err, SECRET));
		assert_null(strstr(err, TOKEN));
		assert_null(c.access_key_id);
	}
	/* Empty value. */
	snprintf(xml, sizeof(xml),
	    "<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId/><SecretAccessKey>s</SecretAccessKey>"
	    "<SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z"
	    "</Expiration></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>");
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "AccessKeyId"));
	/* Bad time. */
	snprintf(xml, sizeof(xml),
	    "<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId>a</AccessKeyId><SecretAccessKey>" SECRET
	    "</SecretAccessKey><SessionToken>t</SessionToken>"
	    "<Expiration>soon</Expiration></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>");
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "Expiration"));
	assert_null(strstr(err, SECRET));
	assert_null(c.access_key_id);
}

static void
test_sts_truncated_response(void **state)
{
	size_t n = strlen(assume_ok);
	char err[256];
	struct creds c;

	/* Every strict prefix lacks the closing tags: always an error. */
	memset(&c, 0, sizeof(c));
	for (size_t i = 0; i < n - 1; i++) {
		char *cut = malloc(i + 1);

		memcpy(cut, assume_ok, i);
		cut[i] = '\0';
		if (sts_parse_response(cut, i, "AssumeRole", &c, err,
			sizeof(err)) != -1)
			fail_msg("accepted a prefix of %zu bytes", i);
		assert_null(c.access_key_id);
		assert_null(strstr(err, SECRET));
		assert_null(strstr(err, TOKEN));
		free(cut);
	}
}

static void
test_sts_markup_in_value(void **state)
{
	static const char xml[] =
	    "<AssumeRoleResponse><AssumeRoleResult>"
	    "<Credentials><AccessKeyId><b>x</b></AccessKeyId>"
	    "<SecretAccessKey>s</SecretAccessKey><SessionToken>t"
	    "</SessionToken><Expiration>2030-01-01T00:00:00Z</Expiration>"
	    "</Credentials></AssumeRoleResult></AssumeRoleResponse>";
	char err[256];
	struct creds c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "malformed Credentials/AccessKeyId"));
}

static void
test_sts_comments_and_cdata_skipped(void **state)
{
	static const char xml[] =
	    "<AssumeRoleResponse><AssumeRoleResult>"
	    "<!-- <Credentials><AccessKeyId>INCOMMENT</AccessKeyId> -->"
	    "<Note><![CDATA[<Credentials><AccessKeyId>INCDATA</AccessKeyId>"
	    "]]></Note><Empty/><Credentials><AccessKeyId>" AKID
	    "</AccessKeyId><SecretAccessKey>s</SecretAccessKey>"
	    "<SessionToken>t</SessionToken><Expiration>2030-01-01T00:00:00Z"
	    "</Expiration></Credentials></AssumeRoleResult>"
	    "</AssumeRoleResponse>";
	static const char open_comment[] = "<AssumeRoleResponse><!-- x "
					   "</AssumeRoleResponse>";
	char err[256];
	struct creds c;

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_response(xml, strlen(xml), "AssumeRole", &c,
			     err, sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, AKID);
	creds_clear(&c);
	assert_int_equal(sts_parse_response(open_comment, strlen(open_comment),
			     "AssumeRole", &c, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "malformed or truncated"));
}

static void
test_sts_json_container(void **state)
{
	static const char js[] = "{\"RoleArn\":\"arn:aws:iam::1:role/r\","
				 "\"AccessKeyId\":\"" AKID
				 "\",\"SecretAccessKey\":\"" SECRET "\","
				 "\"Token\":\"" TOKEN
				 "\",\"Expiration\":\"2019-11-09T13:34:41Z\"}";
	struct creds c;
	char err[256];

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_creds_json(js, strlen(js), &c, err,
			     sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, AKID);
	assert_string_equal(c.secret_access_key, SECRET);
	assert_string_equal(c.session_token, TOKEN);
	assert_int_equal(c.expiration, 1573306481);
	creds_clear(&c);
}

static void
test_sts_json_imds_success(void **state)
{
	static const char js[] =
	    "{\n  \"Code\" : \"Success\",\n"
	    "  \"LastUpdated\" : \"2019-11-09T12:00:00Z\",\n"
	    "  \"Type\" : \"AWS-HMAC\",\n  \"AccessKeyId\" : \"" AKID "\",\n"
	    "  \"SecretAccessKey\" : \"" SECRET "\"\n}";
	struct creds c;
	char err[256];

	memset(&c, 0, sizeof(c));
	assert_int_equal(sts_parse_creds_json(js, strlen(js), &c, err,
			     sizeof(err)),
	    0);
	assert_string_equal(c.access_key_id, AKID);
	assert_null(c.session_token);
	assert_int_equal(c.expiration, 0);
	creds_clear(&c);
}

static void
test_sts_json_errors(void **state)
{
	static const struct {
		const char *json;
		const char *want;
	} cases[] = {
		{ "{\"Code\":\"AssumeRoleUnauthorizedAccess\",\"Message\":"
		  "\"EC2 cannot assume the role\",\"AccessKeyId\":\"" AKID "\","
		  "\"SecretAccessKey\":\"" SECRET "\"}",
		    "Code AssumeRoleUnauthorizedAccess: EC2 cannot assume" },
		{ "{\"AccessKeyId\":\"" AKID "\"}", "SecretAccessKey" },
		{ "{\"SecretAccessKey\":\"" SECRET "\"}", "AccessKeyId" },
		{ "{\"AccessKeyId\":\"\",\"SecretAccessKey\":\"" SECRET "\"}",
		    "AccessKeyId" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAccessKey\":\"" SECRET
		  "\",\"Expiration\":\"later\"}",
		    "Expiration" },
		{ "[1,2]", "not a JSON object" },
		{ "{\"AccessKeyId\":\"" AKID "\",\"SecretAcc", "not a JSON" },
	};
	struct creds c;
	char err[256];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		memset(&c, 0, sizeof(c));
		err[0] = '\0';
		assert_int_equal(sts_parse_creds_json(cases[i].json,
				     strlen(cases[i].json), &c, err,
				     sizeof(err)),
		    -1);
		if (strstr(err, cases[i].want) == NULL)
			fail_msg("case %zu: '%s' lacks '%s'", i, err,
			    cases[i].want);
		assert_null(strstr(err, SECRET));
		assert_null(c.access_key_id);
	}
}

static void
test_sts_session_name(void **state)
{
	char out[STS_SESSION_NAME_MAX + 1], longname[200];

	sts_session_name("ddb-sync-1234", out);
	assert_string_equal(out, "ddb-sync-1234");
	sts_session_name("a b/c:d_e+f=g,h.i@j", out);
	assert_string_equal(out, "a-b-c-d_e+f=g,h.i@j");
	memset(longname, 'x', sizeof(longname) - 1);
	longname[sizeof(longname) - 1] = '\0';
	sts_session_name(longname, out);
	assert_int_equal(strlen(out), 64);
	sts_session_name("x", out);
	assert_string_equal(out, "ddb-sync");
	sts_session_name("", out);
	assert_string_equal(out, "ddb-sync");
}

static void
test_sts_form_encoding(void **state)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(sts_form_add(&b, "RoleArn",
			     "arn:aws:iam::123456789012:role/name"),
	    0);
	assert_int_equal(sts_form_add(&b, "X", "a b+c&d=e~f-g.h_i%"), 0);
	assert_string_equal(b.data,
	    "RoleArn=arn%3Aaws%3Aiam%3A%3A"
	    "123456789012%3Arole%2Fname&X=a%20b%2Bc%26d%3De~f-g.h_i%25");
	buf_free(&b);
	/* The maximum holds. */
	buf_init(&b, 8);
	assert_int_equal(sts_form_add(&b, "RoleArn", "arn:aws"), -1);
	buf_free(&b);
}

static void
test_sts_bodies(void **state)
{
	struct buf b;

	buf_init(&b, 4096);
	assert_int_equal(sts_assume_role_body(&b,
			     "arn:aws:iam::123456789012:role/name",
			     "replicator-1", 3600, NULL),
	    0);
	assert_string_equal(b.data,
	    "Action=AssumeRole&Version=2011-06-15&"
	    "RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3Arole%2Fname&"
	    "RoleSessionName=replicator-1&DurationSeconds=3600");
	buf_reset(&b);
	assert_int_equal(sts_assume_role_body(&b, "arn:r", "s1", 900, "ext id"),
	    0);
	assert_string_equal(b.data,
	    "Action=AssumeRole&Version=2011-06-15&"
	    "RoleArn=arn%3Ar&RoleSessionName=s1&DurationSeconds=900&"
	    "ExternalId=ext%20id");
	buf_reset(&b);
	assert_int_equal(sts_web_identity_body(&b, "arn:r", "s1",
			     "eyJ.a-b_c.d="),
	    0);
	assert_string_equal(b.data,
	    "Action=AssumeRoleWithWebIdentity&"
	    "Version=2011-06-15&RoleArn=arn%3Ar&RoleSessionName=s1&"
	    "WebIdentityToken=eyJ.a-b_c.d%3D");
	buf_free(&b);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sts_time_utc),
		cmocka_unit_test(test_sts_time_offsets),
		cmocka_unit_test(test_sts_time_invalid),
		cmocka_unit_test(test_sts_unescape_entities),
		cmocka_unit_test(test_sts_unescape_rejects_bad_entities),
		cmocka_unit_test(test_sts_assume_role_response),
		cmocka_unit_test(test_sts_assume_role_reordered_entities),
		cmocka_unit_test(test_sts_web_identity_response),
		cmocka_unit_test(test_sts_error_response),
		cmocka_unit_test(test_sts_missing_fields),
		cmocka_unit_test(test_sts_truncated_response),
		cmocka_unit_test(test_sts_markup_in_value),
		cmocka_unit_test(test_sts_comments_and_cdata_skipped),
		cmocka_unit_test(test_sts_json_container),
		cmocka_unit_test(test_sts_json_imds_success),
		cmocka_unit_test(test_sts_json_errors),
		cmocka_unit_test(test_sts_session_name),
		cmocka_unit_test(test_sts_form_encoding),
		cmocka_unit_test(test_sts_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
