/* test_creds.c: the credential chain, AssumeRole and refresh, on loopback. */
#include <sys/stat.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "creds.h"
#include "fakehttp.h"
#include "log.h"
#include "settings.h"
#include "sigv4.h"

/* AWS's documented example keys; the tokens are made up. */
#define AKID1	"AKIDEXAMPLE"
#define SECRET1 "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"
#define AKID2	"AKIAIOSFODNN7EXAMPLE"
#define SECRET2 "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
#define TOKEN1	"FQoGZXIvYXdzEXAMPLEBASETOKEN0123456789abcdef"
#define TOKEN2	"FQoGZXIvYXdzEXAMPLEROLETOKEN0123456789abcdef"
#define TOKEN3	"FQoGZXIvYXdzEXAMPLENEXTTOKEN0123456789abcdef"
#define WEBTOK1 "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJvbmUifQ.c2lnMQ"
#define WEBTOK2 "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ0d28ifQ.c2lnMg"
#define CTOKEN	"container-auth-token-EXAMPLE-0123456789"
#define IMDSTOK "imds-session-token-EXAMPLE=="
#define ROLE	"arn:aws:iam::123456789012:role/ddb-sync"

#define T0    1893456000 /* 2030-01-01T00:00:00Z */
#define T0_1H "2030-01-01T01:00:00Z"
#define T0_2H "2030-01-01T02:00:00Z"

static const char *const secrets[] = { SECRET1, SECRET2, TOKEN1, TOKEN2, TOKEN3,
	WEBTOK1, WEBTOK2, CTOKEN, IMDSTOK, NULL };

static struct fakehttp *fk;
static char tmpdir[64];
static int64_t now_s;
static struct buf logs;

static int64_t
test_now(void)
{
	return now_s;
}

static void
assert_no_secret(const char *s)
{
	for (int i = 0; secrets[i] != NULL; i++)
		if (strstr(s, secrets[i]) != NULL)
			fail_msg("secret #%d leaked into: %s", i, s);
}

/* Every log line, as it is written: a secret in one fails the test. */
static void
log_capture(int level, const char *msg, void *arg)
{
	assert_no_secret(msg);
	buf_printf(&logs, "%s\n", msg);
}

static const char *const env_vars[] = { "AWS_ACCESS_KEY_ID",
	"AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN",
	"AWS_CREDENTIAL_EXPIRATION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
	"AWS_SHARED_CREDENTIALS_FILE", "AWS_CONFIG_FILE",
	"AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_ROLE_ARN", "AWS_ROLE_SESSION_NAME",
	"AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	"AWS_CONTAINER_CREDENTIALS_FULL_URI",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN",
	"AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT",
	"AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE",
	"AWS_EC2_METADATA_V1_DISABLED", "AWS_METADATA_SERVICE_TIMEOUT",
	"AWS_METADATA_SERVICE_NUM_ATTEMPTS", "AWS_ENDPOINT_URL",
	"AWS_ENDPOINT_URL_STS", "AWS_REGION", "AWS_DEFAULT_REGION",
	"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "DDB_SYNC_TEST_CONTAINER_HOST",
	"http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
	"ALL_PROXY", NULL };

static int
setup(void **state)
{
	for (int i = 0; env_vars[i] != NULL; i++)
		unsetenv(env_vars[i]);
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_creds.XXXXXX");
	if (mkdtemp(tmpdir) == NULL)
		return -1;
	/* No real ~/.aws, no real IMDS, fast retries. */
	setenv("HOME", tmpdir, 1);
	setenv("AWS_EC2_METADATA_DISABLED", "true", 1);
	setenv("DDB_SYNC_CONTAINER_RETRY_DELAY_MS", "0", 1);
	setenv("DDB_SYNC_STS_RETRY_BASE_MS", "1", 1);
	settings_init(NULL, 0);
	fk = fakehttp_start();
	setenv("AWS_ENDPOINT_URL_STS", fakehttp_url(fk), 1);
	now_s = T0;
	creds_set_clock(test_now);
	/* Debug lines too are checked for secrets. */
	buf_init(&logs, 1024 * 1024);
	log_set_verbose(1);
	log_set_sink(log_capture, NULL);
	return 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	log_set_sink(NULL, NULL);
	log_set_verbose(0);
	buf_free(&logs);
	fakehttp_stop(fk);
	fk = NULL;
	creds_set_clock(NULL);
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* Write name under the test directory; returns its path (static). */
static const char *
put_file(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	f = fopen(path, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	return path;
}

static const char *
sts_xml(const char *action, const char *akid, const char *secret,
    const char *token, const char *exp)
{
	static char xml[2048];

	snprintf(xml, sizeof(xml),
	    "<%sResponse xmlns=\"https://sts."
	    "amazonaws.com/doc/2011-06-15/\"><%sResult><Credentials>"
	    "<AccessKeyId>%s</AccessKeyId><SecretAccessKey>%s"
	    "</SecretAccessKey><SessionToken>%s</SessionToken><Expiration>"
	    "%s</Expiration></Credentials></%sResult><ResponseMetadata>"
	    "<RequestId>r</RequestId></ResponseMetadata></%sResponse>",
	    action, action, akid, secret, token, exp, action, action);
	return xml;
}

static const char *
sts_err(const char *code, const char *msg)
{
	static char xml[1024];

	snprintf(xml, sizeof(xml),
	    "<ErrorResponse><Error><Type>Sender</Type>"
	    "<Code>%s</Code><Message>%s</Message></Error><RequestId>r"
	    "</RequestId></ErrorResponse>",
	    code, msg);
	return xml;
}

static const char *
creds_json(const char *akid, const char *secret, const char *token,
    const char *exp)
{
	static char js[1024];

	snprintf(js, sizeof(js),
	    "{\"Code\":\"Success\",\"Type\":\"AWS-HMAC\","
	    "\"AccessKeyId\":\"%s\",\"SecretAccessKey\":\"%s\",\"Token\":"
	    "\"%s\",\"Expiration\":\"%s\"}",
	    akid, secret, token, exp);
	return js;
}

static const char *
hdr(const struct fakehttp_req *r, const char *name)
{
	static char v[2048];

	return fakehttp_header(r, name, v, sizeof(v));
}

/* creds_get that must succeed. */
static const struct creds *
get_ok(struct creds_provider *p)
{
	const struct creds *c = NULL;
	char err[1024] = "";

	if (creds_get(p, &c, err, sizeof(err)) != 0)
		fail_msg("creds_get: %s", err);
	assert_non_null(c);
	return c;
}

/* creds_get that must fail; returns the message (static). */
static const char *
get_fail(struct creds_provider *p)
{
	static char err[1024];
	const struct creds *c = NULL;

	err[0] = '\0';
	assert_int_equal(creds_get(p, &c, err, sizeof(err)), -1);
	assert_true(err[0] != '\0');
	assert_no_secret(err);
	return err;
}

static void
set_env_keys(void)
{
	setenv("AWS_ACCESS_KEY_ID", AKID1, 1);
	setenv("AWS_SECRET_ACCESS_KEY", SECRET1, 1);
}

static void
test_creds_env_static(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct creds *c;

	set_env_keys();
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID1);
	assert_string_equal(c->secret_access_key, SECRET1);
	assert_null(c->session_token);
	assert_int_equal(c->expiration, 0);
	assert_string_equal(c->source, "environment");
	creds_provider_free(p);

	/* The older AWS_SECURITY_TOKEN, and an expiration. */
	setenv("AWS_SECURITY_TOKEN", TOKEN1, 1);
	setenv("AWS_CREDENTIAL_EXPIRATION", T0_1H, 1);
	p = creds_chain_new();
	c = get_ok(p);
	assert_string_equal(c->session_token, TOKEN1);
	assert_int_equal(c->expiration, T0 + 3600);
	creds_provider_free(p);

	setenv("AWS_SESSION_TOKEN", TOKEN2, 1);
	p = creds_chain_new();
	assert_string_equal(get_ok(p)->session_token, TOKEN2);
	creds_provider_free(p);
	assert_int_equal(fakehttp_count(fk), 0);
}

static void
test_creds_env_errors(void **state)
{
	struct creds_provider *p;
	const char *e;

	setenv("AWS_ACCESS_KEY_ID", AKID1, 1);
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e, "environment"));
	assert_non_null(strstr(e, "AWS_SECRET_ACCESS_KEY is not"));
	creds_provider_free(p);

	set_env_keys();
	setenv("AWS_CREDENTIAL_EXPIRATION", "next tuesday", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "AWS_CREDENTIAL_EXPIRATION"));
	creds_provider_free(p);
}

static void
test_creds_env_wins_over_files(void **state)
{
	struct creds_provider *p = creds_chain_new();

	set_env_keys();
	setenv("AWS_SHARED_CREDENTIALS_FILE",
	    put_file("credentials",
		"[default]\naws_access_key_id = " AKID2 "\n"
		"aws_secret_access_key = " SECRET2 "\n"),
	    1);
	setenv("AWS_PROFILE", "default", 1);
	assert_string_equal(get_ok(p)->access_key_id, AKID1);
	assert_string_equal(get_ok(p)->source, "environment");
	creds_provider_free(p);
}

static void
test_creds_profile_default_file(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct creds *c;
	char d[128];

	/* ~/.aws/credentials, HOME being the test directory. */
	snprintf(d, sizeof(d), "%s/.aws", tmpdir);
	assert_int_equal(mkdir(d, 0700), 0);
	put_file(".aws/credentials",
	    "# mine\n[default]\n"
	    "aws_access_key_id = " AKID2 "\naws_secret_access_key = " SECRET2
	    "\naws_session_token = " TOKEN1 "\n");
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID2);
	assert_string_equal(c->secret_access_key, SECRET2);
	assert_string_equal(c->session_token, TOKEN1);
	assert_string_equal(c->source, "shared-credentials-file:default");
	creds_provider_free(p);
}

static const char *
profile_akid(const char *profile, const char *default_profile)
{
	static char akid[64];
	struct creds_provider *p = creds_chain_new();

	if (profile != NULL)
		setenv("AWS_PROFILE", profile, 1);
	else
		unsetenv("AWS_PROFILE");
	if (default_profile != NULL)
		setenv("AWS_DEFAULT_PROFILE", default_profile, 1);
	else
		unsetenv("AWS_DEFAULT_PROFILE");
	snprintf(akid, sizeof(akid), "%s", get_ok(p)->access_key_id);
	creds_provider_free(p);
	return akid;
}

static void
test_creds_profile_selection(void **state)
{
	struct creds_provider *p;

	setenv("AWS_SHARED_CREDENTIALS_FILE",
	    put_file("creds",
		"[default]\naws_access_key_id = AKIDDEFAULT\n"
		"aws_secret_access_key = " SECRET1 "\n"
		"[work]\naws_access_key_id = AKIDWORK\n"
		"aws_secret_access_key = " SECRET2 "\n"
		"[both]\naws_access_key_id = AKIDBOTHCRED\n"
		"aws_secret_access_key = " SECRET2 "\n"),
	    1);
	setenv("AWS_CONFIG_FILE",
	    put_file("config",
		"[profile cfg]\naws_access_key_id = AKIDCFG\n"
		"aws_secret_access_key = " SECRET1 "\n"
		"[legacy]\naws_access_key_id = AKIDNOTAPROFILE\n"
		"aws_secret_access_key = " SECRET1 "\n"
		"[profile both]\naws_access_key_id = AKIDBOTHCONF\n"
		"aws_secret_access_key = " SECRET1 "\n"),
	    1);

	assert_string_equal(profile_akid(NULL, NULL), "AKIDDEFAULT");
	assert_string_equal(profile_akid("work", NULL), "AKIDWORK");
	assert_string_equal(profile_akid(NULL, "work"), "AKIDWORK");
	assert_string_equal(profile_akid("cfg", "work"), "AKIDCFG");
	/* The credentials file wins over the config file. */
	assert_string_equal(profile_akid("both", NULL), "AKIDBOTHCRED");

	setenv("AWS_PROFILE", "cfg", 1);
	p = creds_chain_new();
	assert_string_equal(get_ok(p)->source, "config-file:cfg");
	creds_provider_free(p);

	/* In the config file, [legacy] is not a profile. */
	setenv("AWS_PROFILE", "legacy", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "profile 'legacy' not found"));
	creds_provider_free(p);
	assert_int_equal(fakehttp_count(fk), 0);
}

static void
test_creds_profile_missing_named(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const char *e;

	setenv("AWS_SHARED_CREDENTIALS_FILE",
	    put_file("creds",
		"[default]\naws_access_key_id = " AKID1 "\n"
		"aws_secret_access_key = " SECRET1 "\n"),
	    1);
	setenv("AWS_PROFILE", "nope", 1);
	e = get_fail(p);
	assert_non_null(strstr(e, "'nope'"));
	assert_non_null(strstr(e, "/creds"));
	creds_provider_free(p);
}

static void
test_creds_profile_partial_and_unsupported(void **state)
{
	struct creds_provider *p;

	setenv("AWS_CONFIG_FILE",
	    put_file("config",
		"[profile half]\naws_access_key_id = " AKID1 "\n"
		"[profile proc]\ncredential_process = /bin/echo\n"
		"[profile empty]\nregion = us-east-1\n"),
	    1);
	setenv("AWS_PROFILE", "half", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "must both be set"));
	creds_provider_free(p);

	setenv("AWS_PROFILE", "proc", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p),
	    "credential_process is not "
	    "supported"));
	creds_provider_free(p);

	/* A profile without credentials: the chain goes on. */
	setenv("AWS_PROFILE", "empty", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p),
	    "profile empty has no "
	    "credentials"));
	creds_provider_free(p);
}

static void
test_creds_profile_file_errors(void **state)
{
	struct creds_provider *p;
	const char *e;
	char *big;

	/* A parse error names the file and line, never the text. */
	setenv("AWS_SHARED_CREDENTIALS_FILE",
	    put_file("creds",
		"[default]\naws_access_key_id = " AKID1 "\n" SECRET1 "\n"),
	    1);
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e, "shared files: "));
	assert_non_null(strstr(e, "/creds: line 3"));
	creds_provider_free(p);

	/* Not a regular file. */
	setenv("AWS_SHARED_CREDENTIALS_FILE", tmpdir, 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "is not a regular file"));
	creds_provider_free(p);

	/* Larger than the maximum. */
	big = malloc(2 * 1024 * 1024);
	assert_non_null(big);
	memset(big, '#', 2 * 1024 * 1024 - 1);
	big[2 * 1024 * 1024 - 1] = '\0';
	setenv("AWS_SHARED_CREDENTIALS_FILE", put_file("big", big), 1);
	free(big);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "/big is larger than"));
	creds_provider_free(p);
}

/*
 * Recompute the signature of a recorded STS request from what was sent:
 * proves the headers and body on the wire are the ones signed.
 */
static void
assert_sts_signature(const struct fakehttp_req *r, const char *akid,
    const char *secret, const char *region, int with_token)
{
	struct sigv4_header h[4];
	struct sigv4_request sr;
	struct sigv4_creds sc = { akid, secret, NULL };
	char ct[128], host[128], date[32], tok[256], want[1024];
	size_t nh = 0;

	assert_non_null(fakehttp_header(r, "Content-Type", ct, sizeof(ct)));
	assert_non_null(fakehttp_header(r, "Host", host, sizeof(host)));
	assert_non_null(fakehttp_header(r, "X-Amz-Date", date, sizeof(date)));
	h[nh++] = (struct sigv4_header){ "content-type", ct };
	h[nh++] = (struct sigv4_header){ "host", host };
	h[nh++] = (struct sigv4_header){ "x-amz-date", date };
	if (with_token) {
		assert_non_null(fakehttp_header(r, "X-Amz-Security-Token", tok,
		    sizeof(tok)));
		h[nh++] = (struct sigv4_header){ "x-amz-security-token", tok };
	} else
		assert_null(hdr(r, "X-Amz-Security-Token"));
	memset(&sr, 0, sizeof(sr));
	sr.method = r->method;
	sr.path = r->path;
	sr.headers = h;
	sr.nheaders = nh;
	sr.body = r->body;
	sr.bodylen = r->bodylen;
	sr.normalize_path = 1;
	assert_int_equal(sigv4_sign(&sr, &sc, region, "sts", date, want,
			     sizeof(want), NULL),
	    0);
	assert_string_equal(hdr(r, "Authorization"), want);
}

static void
test_creds_assume_role_request(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	const struct fakehttp_req *r;
	const struct creds *c;
	char body[512], prefix[256];

	set_env_keys();
	setenv("AWS_SESSION_TOKEN", TOKEN1, 1);
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID2);
	assert_string_equal(c->secret_access_key, SECRET2);
	assert_string_equal(c->session_token, TOKEN2);
	assert_int_equal(c->expiration, T0 + 3600);
	assert_string_equal(c->source, "assume-role:" ROLE);

	assert_int_equal(fakehttp_count(fk), 1);
	r = fakehttp_req(fk, 0);
	assert_string_equal(r->method, "POST");
	assert_string_equal(r->path, "/");
	assert_string_equal(hdr(r, "Content-Type"),
	    "application/x-www-form-urlencoded; charset=utf-8");
	snprintf(body, sizeof(body),
	    "Action=AssumeRole&Version=2011-06-15&"
	    "RoleArn=arn%%3Aaws%%3Aiam%%3A%%3A123456789012%%3Arole%%2F"
	    "ddb-sync&RoleSessionName=ddb-sync-%ld&DurationSeconds=3600",
	    (long)getpid());
	assert_string_equal(r->body, body);
	assert_string_equal(hdr(r, "X-Amz-Security-Token"), TOKEN1);
	snprintf(prefix, sizeof(prefix),
	    "AWS4-HMAC-SHA256 Credential=" AKID1
	    "/%.8s/us-west-2/sts/aws4_request, SignedHeaders="
	    "content-type;host;x-amz-date;x-amz-security-token, Signature=",
	    hdr(r, "X-Amz-Date"));
	assert_non_null(hdr(r, "Authorization"));
	assert_int_equal(strncmp(hdr(r, "Authorization"), prefix,
			     strlen(prefix)),
	    0);
	assert_sts_signature(r, AKID1, SECRET1, "us-west-2", 1);

	/* Cached: no second request. */
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_assume_role_long_term_keys(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	const struct fakehttp_req *r;

	set_env_keys();
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", AKID2, SECRET2, TOKEN2, T0_1H));
	/* An explicit endpoint (the plan's), no region: us-east-1. */
	unsetenv("AWS_ENDPOINT_URL_STS");
	p = creds_assume_role_new(base, ROLE, NULL, fakehttp_url(fk),
	    "my session!");
	get_ok(p);
	r = fakehttp_req(fk, 0);
	assert_non_null(r);
	assert_null(hdr(r, "X-Amz-Security-Token"));
	assert_non_null(strstr(r->body, "&RoleSessionName=my-session-&"));
	assert_non_null(strstr(hdr(r, "Authorization"),
	    "/us-east-1/sts/aws4_request, SignedHeaders=content-type;host;"
	    "x-amz-date, "));
	assert_sts_signature(r, AKID1, SECRET1, "us-east-1", 0);
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_assume_role_errors(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	const char *e;

	set_env_keys();
	setenv("AWS_SESSION_TOKEN", TOKEN1, 1);
	/* Denied: reported with STS's code and message, not retried. */
	fakehttp_add(fk, "POST", "/", 403,
	    sts_err("AccessDenied",
		"User: arn:aws:iam::123456789012:user/x is not authorized"));
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	e = get_fail(p);
	assert_non_null(strstr(e, "AssumeRole " ROLE " at 127.0.0.1:"));
	assert_non_null(strstr(e,
	    "AccessDenied: User: arn:aws:iam::"
	    "123456789012:user/x is not authorized"));
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);

	/* A message quoting the session token never shows it (redacted
	 * where it stands, or the whole message withheld). */
	fakehttp_reset(fk);
	fakehttp_add(fk, "POST", "/", 403,
	    sts_err("SignatureDoesNotMatch",
		"The canonical string should have been x-amz-security-token:" TOKEN1));
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	e = get_fail(p);
	assert_non_null(strstr(e, "SignatureDoesNotMatch"));
	assert_true(strstr(e, "withheld") != NULL ||
	    strstr(e, "x-amz-security-token:[redacted]") != NULL);
	assert_null(strstr(e, TOKEN1));
	creds_provider_free(p);

	/* An empty 200 is a bad answer, not a success. */
	fakehttp_reset(fk);
	fakehttp_add(fk, "POST", "/", 200, "");
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	assert_non_null(strstr(get_fail(p),
	    "bad answer: no "
	    "<AssumeRoleResponse>"));
	creds_provider_free(p);

	/* No base credentials at all. */
	unsetenv("AWS_ACCESS_KEY_ID");
	unsetenv("AWS_SECRET_ACCESS_KEY");
	unsetenv("AWS_SESSION_TOKEN");
	creds_provider_free(base);
	base = creds_chain_new();
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	e = get_fail(p);
	assert_non_null(strstr(e, "base credentials: no credentials found"));
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_assume_role_retries_throttling(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;

	set_env_keys();
	fakehttp_add(fk, "POST", "/", 400, sts_err("Throttling", "Rate"));
	fakehttp_add(fk, "POST", "/", 500, "oops");
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	assert_int_equal(fakehttp_count(fk), 3);
	/* Said at the first failure, not only at the end. */
	assert_non_null(logs.data);
	assert_non_null(strstr(logs.data,
	    "credentials: AssumeRole failing, "
	    "still retrying (attempt 2 of 3)"));
	assert_non_null(strstr(logs.data,
	    "AssumeRole succeeded after 3 "
	    "attempts"));
	creds_provider_free(p);

	/* Three failures: give up. */
	fakehttp_reset(fk);
	fakehttp_add(fk, "POST", "/", 503, "");
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	assert_non_null(strstr(get_fail(p), "HTTP503"));
	assert_int_equal(fakehttp_count(fk), 3);
	assert_non_null(strstr(logs.data,
	    "AssumeRole no longer retrying "
	    "after 3 attempts"));
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_assume_role_base_expired(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;

	set_env_keys();
	setenv("AWS_SESSION_TOKEN", TOKEN1, 1);
	fakehttp_add(fk, "POST", "/", 403,
	    sts_err("ExpiredToken",
		"The security token included in the request is expired"));
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	assert_string_equal(get_ok(base)->session_token, TOKEN1);
	/* The base chain is refreshed (env re-read), then one retry. */
	setenv("AWS_SESSION_TOKEN", TOKEN3, 1);
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	assert_int_equal(fakehttp_count(fk), 2);
	assert_string_equal(hdr(fakehttp_req(fk, 0), "X-Amz-Security-Token"),
	    TOKEN1);
	assert_string_equal(hdr(fakehttp_req(fk, 1), "X-Amz-Security-Token"),
	    TOKEN3);
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_profile_assume_role(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	const struct creds *c;

	setenv("AWS_SHARED_CREDENTIALS_FILE",
	    put_file("creds",
		"[base]\naws_access_key_id = " AKID1 "\n"
		"aws_secret_access_key = " SECRET1 "\n"
		"aws_session_token = " TOKEN1 "\n"),
	    1);
	setenv("AWS_CONFIG_FILE",
	    put_file("config",
		"[profile mid]\nrole_arn = arn:aws:iam::1:role/mid\n"
		"source_profile = base\n"
		"[profile top]\nrole_arn = " ROLE "\nsource_profile = mid\n"
		"role_session_name = nightly copy\nduration_seconds = 900\n"
		"external_id = ext-1\nregion = eu-west-1\n"),
	    1);
	setenv("AWS_PROFILE", "top", 1);
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", "ASIAMID", SECRET2, TOKEN2, T0_2H));
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", "ASIATOP", SECRET2, TOKEN3, T0_1H));
	c = get_ok(p);
	assert_string_equal(c->access_key_id, "ASIATOP");
	assert_string_equal(c->source, "assume-role:" ROLE);
	assert_int_equal(fakehttp_count(fk), 2);
	/* First hop: mid, signed with base's keys and token. */
	r = fakehttp_req(fk, 0);
	assert_non_null(strstr(r->body,
	    "RoleArn=arn%3Aaws%3Aiam%3A%3A1%3A"
	    "role%2Fmid&"));
	assert_sts_signature(r, AKID1, SECRET1, "us-east-1", 1);
	assert_string_equal(hdr(r, "X-Amz-Security-Token"), TOKEN1);
	/* Second hop: top, signed with mid's session, profile settings. */
	r = fakehttp_req(fk, 1);
	assert_non_null(strstr(r->body,
	    "&RoleSessionName=nightly-copy&"
	    "DurationSeconds=900&ExternalId=ext-1"));
	assert_sts_signature(r, "ASIAMID", SECRET2, "eu-west-1", 1);
	assert_string_equal(hdr(r, "X-Amz-Security-Token"), TOKEN2);
	creds_provider_free(p);
}

static void
test_creds_profile_role_errors(void **state)
{
	struct creds_provider *p;

	setenv("AWS_CONFIG_FILE",
	    put_file("config",
		"[profile loop1]\nrole_arn = " ROLE "\nsource_profile = loop2\n"
		"[profile loop2]\nrole_arn = " ROLE "\nsource_profile = loop1\n"
		"[profile orphan]\nrole_arn = " ROLE "\nsource_profile = gone\n"
		"[profile bare]\nrole_arn = " ROLE "\n"
		"[profile env]\nrole_arn = " ROLE "\n"
		"credential_source = Environment\n"),
	    1);
	setenv("AWS_PROFILE", "loop1", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "too long or circular"));
	creds_provider_free(p);
	setenv("AWS_PROFILE", "orphan", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p),
	    "source_profile gone does not "
	    "exist"));
	creds_provider_free(p);
	setenv("AWS_PROFILE", "bare", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "role_arn needs"));
	creds_provider_free(p);
	/* credential_source = Environment without keys in it. */
	setenv("AWS_PROFILE", "env", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "credential_source Environment"));
	creds_provider_free(p);
	assert_int_equal(fakehttp_count(fk), 0);
}

static void
test_creds_profile_credential_source(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;

	/* The profile comes before the container source in the chain, and
	 * uses it to sign its AssumeRole. */
	setenv("AWS_CONFIG_FILE",
	    put_file("config",
		"[default]\nrole_arn = " ROLE "\n"
		"credential_source = EcsContainer\n"),
	    1);
	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c", 1);
	setenv("DDB_SYNC_TEST_CONTAINER_HOST", fakehttp_url(fk), 1);
	settings_init(NULL, 0);
	fakehttp_add(fk, "GET", "/c", 200,
	    creds_json(AKID1, SECRET1, TOKEN1, T0_1H));
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", AKID2, SECRET2, TOKEN2, T0_1H));
	assert_string_equal(get_ok(p)->source, "assume-role:" ROLE);
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	assert_int_equal(fakehttp_count(fk), 2);
	r = fakehttp_req(fk, 1);
	assert_string_equal(r->method, "POST");
	assert_sts_signature(r, AKID1, SECRET1, "us-east-1", 1);
	creds_provider_free(p);
}

static void
test_creds_web_identity(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	const struct creds *c;
	char err[256];

	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", WEBTOK1 "\n"),
	    1);
	setenv("AWS_ROLE_ARN", ROLE, 1);
	setenv("AWS_ROLE_SESSION_NAME", "pod-1", 1);
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRoleWithWebIdentity", AKID2, SECRET2, TOKEN2,
		T0_1H));
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID2);
	assert_string_equal(c->source, "web-identity");
	r = fakehttp_req(fk, 0);
	assert_non_null(r);
	assert_null(hdr(r, "Authorization"));
	assert_null(hdr(r, "X-Amz-Security-Token"));
	assert_string_equal(r->body,
	    "Action=AssumeRoleWithWebIdentity&"
	    "Version=2011-06-15&RoleArn=arn%3Aaws%3Aiam%3A%3A123456789012%3A"
	    "role%2Fddb-sync&RoleSessionName=pod-1&WebIdentityToken=" WEBTOK1);

	/* The token file is read again on refresh (rotated by EKS). */
	put_file("token", WEBTOK2);
	assert_int_equal(creds_refresh(p, err, sizeof(err)), 0);
	assert_int_equal(fakehttp_count(fk), 2);
	r = fakehttp_req(fk, 1);
	assert_non_null(strstr(r->body, "&WebIdentityToken=" WEBTOK2));
	assert_null(strstr(r->body, WEBTOK1));
	creds_provider_free(p);
}

static void
test_creds_web_identity_errors(void **state)
{
	struct creds_provider *p;
	const char *e;

	/* Without AWS_ROLE_ARN the source is skipped, and says why. */
	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", put_file("token", WEBTOK1), 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p),
	    "web identity (AWS_ROLE_ARN not "
	    "set)"));
	creds_provider_free(p);

	setenv("AWS_ROLE_ARN", ROLE, 1);
	fakehttp_add(fk, "POST", "/", 400,
	    sts_err("InvalidIdentityToken", "Token " WEBTOK1 " is not valid"));
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e, "InvalidIdentityToken"));
	assert_non_null(strstr(e, "withheld"));
	creds_provider_free(p);

	setenv("AWS_WEB_IDENTITY_TOKEN_FILE", "/nonexistent/token", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "/nonexistent/token"));
	creds_provider_free(p);
}

static void
test_creds_profile_web_identity(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	char cfg[512];

	snprintf(cfg, sizeof(cfg),
	    "[default]\nrole_arn = " ROLE "\n"
	    "web_identity_token_file = %s\n",
	    put_file("tok", WEBTOK1));
	setenv("AWS_CONFIG_FILE", put_file("config", cfg), 1);
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRoleWithWebIdentity", AKID2, SECRET2, TOKEN2,
		T0_1H));
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	r = fakehttp_req(fk, 0);
	assert_non_null(r);
	assert_null(hdr(r, "Authorization"));
	assert_non_null(strstr(r->body, "WebIdentityToken=" WEBTOK1));
	creds_provider_free(p);
}

static void
test_creds_container_relative(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	const struct creds *c;

	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
	    "/v2/credentials/"
	    "3f1c",
	    1);
	setenv("DDB_SYNC_TEST_CONTAINER_HOST", fakehttp_url(fk), 1);
	settings_init(NULL, 0);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", CTOKEN, 1);
	fakehttp_add(fk, "GET", "/v2/credentials/3f1c", 200,
	    creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID2);
	assert_string_equal(c->session_token, TOKEN2);
	assert_int_equal(c->expiration, T0 + 3600);
	assert_string_equal(c->source, "container");
	r = fakehttp_req(fk, 0);
	assert_non_null(r);
	assert_string_equal(r->method, "GET");
	assert_string_equal(hdr(r, "Authorization"), CTOKEN);
	assert_string_equal(hdr(r, "Accept"), "application/json");
	creds_provider_free(p);

	/* The test host override obeys the loopback rule too. */
	setenv("DDB_SYNC_TEST_CONTAINER_HOST", "http://192.0.2.1", 1);
	settings_init(NULL, 0);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "DDB_SYNC_TEST_CONTAINER_HOST"));
	creds_provider_free(p);
}

static void
test_creds_container_full_uri(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	char url[256];

	snprintf(url, sizeof(url), "%s/creds?id=1", fakehttp_url(fk));
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", url, 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE",
	    put_file("auth", CTOKEN "\n"), 1);
	/* The file wins over the variable. */
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "ignored", 1);
	fakehttp_add(fk, "GET", "/creds?id=1", 200,
	    creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	r = fakehttp_req(fk, 0);
	assert_non_null(r);
	assert_string_equal(hdr(r, "Authorization"), CTOKEN);
	creds_provider_free(p);
}

static void
test_creds_container_full_uri_rules(void **state)
{
	static const char *const bad[] = { "http://192.0.2.10/creds",
		"http://169.254.169.254/creds", "http://127.evil.example/x",
		"http://user@127.0.0.1/x", "ftp://127.0.0.1/x", NULL };
	struct creds_provider *p;

	for (int i = 0; bad[i] != NULL; i++) {
		setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", bad[i], 1);
		p = creds_chain_new();
		if (strstr(get_fail(p),
			"AWS_CONTAINER_CREDENTIALS_FULL_URI "
			"is not https") == NULL)
			fail_msg("accepted %s", bad[i]);
		creds_provider_free(p);
	}
	/* Header injection through the token is refused. */
	setenv("AWS_CONTAINER_CREDENTIALS_FULL_URI", fakehttp_url(fk), 1);
	setenv("AWS_CONTAINER_AUTHORIZATION_TOKEN", "a\r\nX-Evil: 1", 1);
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "control characters"));
	creds_provider_free(p);
	assert_int_equal(fakehttp_count(fk), 0);
}

static void
test_creds_container_retries(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const char *e;

	setenv("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "/c", 1);
	setenv("DDB_SYNC_TEST_CONTAINER_HOST", fakehttp_url(fk), 1);
	settings_init(NULL, 0);
	fakehttp_add(fk, "GET", "/c", 500, "");
	fakehttp_add(fk, "GET", "/c", 200, "{not json");
	fakehttp_add(fk, "GET", "/c", 200,
	    creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	assert_string_equal(get_ok(p)->access_key_id, AKID2);
	assert_int_equal(fakehttp_count(fk), 3);
	creds_provider_free(p);

	fakehttp_reset(fk);
	fakehttp_add(fk, "GET", "/c", 500, "");
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e, "container: "));
	assert_non_null(strstr(e, "HTTP status 500"));
	assert_null(strstr(e, "/c"));
	assert_int_equal(fakehttp_count(fk), 3);
	creds_provider_free(p);
}

static void
imds_script(const char *json)
{
	fakehttp_add(fk, "GET", "/latest/meta-data/iam/security-credentials/",
	    200, "ddb-sync-role\n");
	fakehttp_add(fk, "GET",
	    "/latest/meta-data/iam/security-credentials/ddb-sync-role", 200,
	    json);
}

static void
test_creds_imds_v2(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct fakehttp_req *r;
	const struct creds *c;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);
	fakehttp_add(fk, "PUT", "/latest/api/token", 200, IMDSTOK);
	fakehttp_require(fk, "GET",
	    "/latest/meta-data/iam/security-credentials/",
	    "X-aws-ec2-metadata-token", IMDSTOK);
	fakehttp_require(fk, "GET",
	    "/latest/meta-data/iam/security-credentials/ddb-sync-role",
	    "X-aws-ec2-metadata-token", IMDSTOK);
	imds_script(creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	c = get_ok(p);
	assert_string_equal(c->access_key_id, AKID2);
	assert_string_equal(c->session_token, TOKEN2);
	assert_int_equal(c->expiration, T0 + 3600);
	assert_string_equal(c->source, "imds");
	assert_int_equal(fakehttp_count(fk), 3);
	r = fakehttp_req(fk, 0);
	assert_string_equal(r->method, "PUT");
	assert_string_equal(hdr(r, "X-aws-ec2-metadata-token-ttl-seconds"),
	    "21600");
	assert_string_equal(hdr(r, "Content-Length"), "0");
	assert_null(hdr(r, "Content-Type"));
	assert_string_equal(fakehttp_req(fk, 1)->method, "GET");
	assert_string_equal(hdr(fakehttp_req(fk, 2),
				"X-aws-ec2-metadata-token"),
	    IMDSTOK);
	creds_provider_free(p);
}

static void
test_creds_imds_v1_fallback(void **state)
{
	static const int fallback[] = { 403, 404, 405 };
	struct creds_provider *p;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);
	for (int i = 0; i < 3; i++) {
		fakehttp_reset(fk);
		fakehttp_add(fk, "PUT", "/latest/api/token", fallback[i], "");
		imds_script(creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
		p = creds_chain_new();
		assert_string_equal(get_ok(p)->access_key_id, AKID2);
		assert_int_equal(fakehttp_count(fk), 3);
		assert_null(
		    hdr(fakehttp_req(fk, 1), "X-aws-ec2-metadata-token"));
		assert_null(
		    hdr(fakehttp_req(fk, 2), "X-aws-ec2-metadata-token"));
		creds_provider_free(p);
	}
}

static void
test_creds_imds_no_fallback(void **state)
{
	struct creds_provider *p;
	const char *e;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);

	/* v1 disabled: a 405 on the token is the end. */
	setenv("AWS_EC2_METADATA_V1_DISABLED", "true", 1);
	fakehttp_add(fk, "PUT", "/latest/api/token", 405, "");
	imds_script(creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e,
	    "IMDS: token request: HTTP status 405 and "
	    "IMDSv1 is disabled"));
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);
	unsetenv("AWS_EC2_METADATA_V1_DISABLED");

	/* 400 is an error, not a reason to fall back. */
	fakehttp_reset(fk);
	fakehttp_add(fk, "PUT", "/latest/api/token", 400, "");
	imds_script(creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "HTTP status 400"));
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);

	/* A token request that times out does not fall back either. */
	fakehttp_reset(fk);
	setenv("AWS_METADATA_SERVICE_TIMEOUT", "0.2", 1);
	fakehttp_add_full(fk, "PUT", "/latest/api/token", 200, NULL, IMDSTOK,
	    1000);
	imds_script(creds_json(AKID2, SECRET2, TOKEN2, T0_1H));
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "IMDS: token request: "));
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);
}

static void
test_creds_imds_errors(void **state)
{
	struct creds_provider *p;
	const char *e;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);
	fakehttp_add(fk, "PUT", "/latest/api/token", 200, IMDSTOK);
	imds_script(
	    "{\"Code\":\"AssumeRoleUnauthorizedAccess\","
	    "\"Message\":\"EC2 cannot assume the role ddb-sync-role\"}");
	p = creds_chain_new();
	e = get_fail(p);
	assert_non_null(strstr(e,
	    "IMDS: role ddb-sync-role: Code "
	    "AssumeRoleUnauthorizedAccess: EC2 cannot assume"));
	creds_provider_free(p);

	fakehttp_reset(fk);
	fakehttp_add(fk, "PUT", "/latest/api/token", 200, IMDSTOK);
	fakehttp_add(fk, "GET", "/latest/meta-data/iam/security-credentials/",
	    404, "");
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "no IAM role attached"));
	creds_provider_free(p);

	/* A role name that would change the URL path is refused. */
	fakehttp_reset(fk);
	fakehttp_add(fk, "PUT", "/latest/api/token", 200, IMDSTOK);
	fakehttp_add(fk, "GET", "/latest/meta-data/iam/security-credentials/",
	    200, "../../evil");
	p = creds_chain_new();
	assert_non_null(strstr(get_fail(p), "role name: malformed"));
	assert_int_equal(fakehttp_count(fk), 2);
	creds_provider_free(p);
}

static void
test_creds_imds_static_stability(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const struct creds *c;

	unsetenv("AWS_EC2_METADATA_DISABLED");
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);
	fakehttp_add(fk, "PUT", "/latest/api/token", 200, IMDSTOK);
	/* IMDS serves credentials that expire in 5 minutes. */
	imds_script(creds_json(AKID2, SECRET2, TOKEN2, "2030-01-01T00:05:00Z"));
	c = get_ok(p);
	assert_true(c->expiration >= T0 + 17 * 60);
	assert_true(c->expiration <= T0 + 25 * 60);
	/* Used from the cache, not fetched on every call. */
	get_ok(p);
	assert_int_equal(fakehttp_count(fk), 3);
	creds_provider_free(p);
}

static void
test_creds_nothing_configured(void **state)
{
	struct creds_provider *p = creds_chain_new();
	const char *e;

	e = get_fail(p);
	/* It fits the 256 bytes aws.c gives it. */
	assert_true(strlen(e) < 256);
	assert_non_null(strstr(e, "no credentials found"));
	assert_non_null(strstr(e, "environment (not set)"));
	assert_non_null(strstr(e, "shared files (no [default] profile)"));
	assert_non_null(strstr(e, "web identity (not set)"));
	assert_non_null(strstr(e, "container (not set)"));
	assert_non_null(strstr(e,
	    "IMDS (disabled by "
	    "AWS_EC2_METADATA_DISABLED)"));
	/* Disabled means not contacted, even when pointed at the fake. */
	setenv("AWS_EC2_METADATA_SERVICE_ENDPOINT", fakehttp_url(fk), 1);
	get_fail(p);
	assert_int_equal(fakehttp_count(fk), 0);
	creds_provider_free(p);
}

/* The fake STS answers every AssumeRole with these keys. */
static void
script_sts_ok(const char *akid, const char *exp)
{
	fakehttp_reset(fk);
	fakehttp_add(fk, "POST", "/", 200,
	    sts_xml("AssumeRole", akid, SECRET2, TOKEN2, exp));
}

/* ... or with an error: retried for 5xx, not for 4xx. */
static void
script_sts_fail(int status)
{
	fakehttp_reset(fk);
	fakehttp_add(fk, "POST", "/", status,
	    status >= 500 ? sts_err("InternalFailure", "try later") :
			    sts_err("AccessDenied", "not today"));
}

static void
test_creds_refresh_windows(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	const struct creds *c;

	set_env_keys();
	script_sts_ok("ASIAFIRST", T0_1H);
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	assert_string_equal(get_ok(p)->access_key_id, "ASIAFIRST");

	/* 20 min left: cached. */
	now_s = T0 + 40 * 60;
	script_sts_ok("ASIASECOND", T0_2H);
	assert_string_equal(get_ok(p)->access_key_id, "ASIAFIRST");
	assert_int_equal(fakehttp_count(fk), 0);

	/* 14 min left (advisory): refresh fails, old ones kept. */
	now_s = T0 + 46 * 60;
	script_sts_fail(500);
	c = get_ok(p);
	assert_string_equal(c->access_key_id, "ASIAFIRST");
	assert_int_equal(fakehttp_count(fk), 3);
	assert_non_null(strstr(logs.data, "refresh failed, keeping them"));
	/* ... and not retried on every call. */
	now_s += 30;
	get_ok(p);
	assert_int_equal(fakehttp_count(fk), 3);

	/* 9 min left (mandatory): a failed refresh fails. */
	now_s = T0 + 51 * 60;
	script_sts_fail(403);
	assert_non_null(strstr(get_fail(p), "AccessDenied: not today"));
	assert_int_equal(fakehttp_count(fk), 1);

	/* A working STS again: the new keys. */
	script_sts_ok("ASIATHIRD", T0_2H);
	c = get_ok(p);
	assert_string_equal(c->access_key_id, "ASIATHIRD");
	assert_int_equal(c->expiration, T0 + 7200);
	assert_int_equal(fakehttp_count(fk), 1);
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_refresh_advisory_success(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;

	set_env_keys();
	script_sts_ok("ASIAFIRST", T0_1H);
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	get_ok(p);
	now_s = T0 + 46 * 60;
	script_sts_ok("ASIASECOND", T0_2H);
	assert_string_equal(get_ok(p)->access_key_id, "ASIASECOND");
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_refresh_forced(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	char err[512];

	set_env_keys();
	script_sts_ok("ASIAFIRST", T0_1H);
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	get_ok(p);
	script_sts_ok("ASIASECOND", T0_2H);
	assert_int_equal(creds_refresh(p, err, sizeof(err)), 0);
	assert_string_equal(get_ok(p)->access_key_id, "ASIASECOND");
	assert_int_equal(fakehttp_count(fk), 1);

	/* A failed forced refresh drops the cached ones. */
	script_sts_fail(400);
	assert_int_equal(creds_refresh(p, err, sizeof(err)), -1);
	assert_no_secret(err);
	script_sts_ok("ASIATHIRD", T0_2H);
	assert_string_equal(get_ok(p)->access_key_id, "ASIATHIRD");
	creds_provider_free(p);
	creds_provider_free(base);
}

static void
test_creds_expired_answer_rejected(void **state)
{
	struct creds_provider *base = creds_chain_new(), *p;
	const char *e;

	set_env_keys();
	script_sts_ok("ASIAOLD", "2029-12-31T23:00:00Z");
	p = creds_assume_role_new(base, ROLE, "us-west-2", NULL, NULL);
	e = get_fail(p);
	assert_non_null(strstr(e,
	    "assume-role:" ROLE ": credentials already "
	    "expired"));
	creds_provider_free(p);
	creds_provider_free(base);
}

int
main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_creds_env_static),
		T(test_creds_env_errors),
		T(test_creds_env_wins_over_files),
		T(test_creds_profile_default_file),
		T(test_creds_profile_selection),
		T(test_creds_profile_missing_named),
		T(test_creds_profile_partial_and_unsupported),
		T(test_creds_profile_file_errors),
		T(test_creds_assume_role_request),
		T(test_creds_assume_role_long_term_keys),
		T(test_creds_assume_role_errors),
		T(test_creds_assume_role_retries_throttling),
		T(test_creds_assume_role_base_expired),
		T(test_creds_profile_assume_role),
		T(test_creds_profile_role_errors),
		T(test_creds_profile_credential_source),
		T(test_creds_web_identity),
		T(test_creds_web_identity_errors),
		T(test_creds_profile_web_identity),
		T(test_creds_container_relative),
		T(test_creds_container_full_uri),
		T(test_creds_container_full_uri_rules),
		T(test_creds_container_retries),
		T(test_creds_imds_v2),
		T(test_creds_imds_v1_fallback),
		T(test_creds_imds_no_fallback),
		T(test_creds_imds_errors),
		T(test_creds_imds_static_stability),
		T(test_creds_nothing_configured),
		T(test_creds_refresh_windows),
		T(test_creds_refresh_advisory_success),
		T(test_creds_refresh_forced),
		T(test_creds_expired_answer_rejected),
	};
#undef T

	return cmocka_run_group_tests(tests, NULL, NULL);
}
