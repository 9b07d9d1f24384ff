/* test_profile.c: the shared config/credentials INI parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "profile.h"

#define AKID   "AKIAIOSFODNN7EXAMPLE"
#define SECRET "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"

static int
parse(struct profile_file *pf, const char *text, enum profile_kind kind,
    char *err, size_t errlen)
{
	memset(pf, 0, sizeof(*pf));
	return profile_parse(pf, text, strlen(text), kind, err, errlen);
}

static void
test_profile_credentials_file(void **state)
{
	static const char text[] =
	    "# comment\n"
	    "; another comment\n"
	    "\n"
	    "[default]\n"
	    "  aws_access_key_id=" AKID "\n"
	    "AWS_Secret_Access_Key   =   " SECRET "   \r\n"
	    "  aws_session_token = continuation, not a key\n"
	    "\t\n"
	    "[ work ]\r\n"
	    "aws_access_key_id : AKIDEXAMPLE\n"
	    "aws_session_token = tok=en\n"
	    "[profile other]\n"
	    "region = eu-west-1\n";
	struct profile_file pf;
	char err[128];

	assert_int_equal(parse(&pf, text, PROFILE_CREDENTIALS, err,
			     sizeof(err)),
	    0);
	assert_string_equal(profile_get(&pf, "default", "aws_access_key_id"),
	    AKID);
	assert_string_equal(profile_get(&pf, "default",
				"aws_secret_access_key"),
	    SECRET);
	assert_string_equal(profile_get(&pf, "work", "aws_access_key_id"),
	    "AKIDEXAMPLE");
	assert_null(profile_get(&pf, "default", "aws_session_token"));
	assert_string_equal(profile_get(&pf, "work", "aws_session_token"),
	    "tok=en");
	/* The credentials file takes section names literally. */
	assert_true(profile_exists(&pf, "profile other"));
	assert_false(profile_exists(&pf, "other"));
	assert_null(profile_get(&pf, "work", "aws_secret_access_key"));
	assert_null(profile_get(&pf, "missing", "aws_access_key_id"));
	assert_false(profile_exists(&pf, "missing"));
	profile_clear(&pf);
	assert_int_equal(pf.nent, 0);
}

static void
test_profile_config_sections(void **state)
{
	static const char text[] =
	    "[default]\n"
	    "region = us-west-2\n"
	    "[profile dev]\n"
	    "role_arn = arn:aws:iam::123456789012:role/dev\n"
	    "source_profile = default\n"
	    "s3 =\n"
	    "    max_concurrent_requests = 20\n"
	    "    addressing_style = path\n"
	    "region = eu-central-1\n"
	    "[dev]\n"
	    "region = nowhere\n"
	    "[sso-session corp]\n"
	    "sso_region = us-east-1\n"
	    "[profile   spaced  ]\n"
	    "region = ap-south-1\n"
	    "[profile default]\n"
	    "output = json\n";
	struct profile_file pf;
	char err[128];

	assert_int_equal(parse(&pf, text, PROFILE_CONFIG, err, sizeof(err)), 0);
	assert_string_equal(profile_get(&pf, "default", "region"), "us-west-2");
	assert_string_equal(profile_get(&pf, "default", "output"), "json");
	assert_string_equal(profile_get(&pf, "dev", "role_arn"),
	    "arn:aws:iam::123456789012:role/dev");
	/* Nested block lines are skipped, the key after them is read. */
	assert_null(profile_get(&pf, "dev", "addressing_style"));
	assert_string_equal(profile_get(&pf, "dev", "s3"), "");
	/* [dev] is not a profile in the config file. */
	assert_string_equal(profile_get(&pf, "dev", "region"), "eu-central-1");
	assert_false(profile_exists(&pf, "sso-session corp"));
	assert_false(profile_exists(&pf, "corp"));
	assert_string_equal(profile_get(&pf, "spaced", "region"), "ap-south-1");
	profile_clear(&pf);
}

static void
test_profile_later_key_wins(void **state)
{
	static const char text[] =
	    "[a]\nregion = one\n[b]\nregion = x\n"
	    "[a]\nregion = two\nname = v # not a comment\n";
	struct profile_file pf;
	char err[128];

	assert_int_equal(parse(&pf, text, PROFILE_CREDENTIALS, err,
			     sizeof(err)),
	    0);
	assert_string_equal(profile_get(&pf, "a", "region"), "two");
	assert_string_equal(profile_get(&pf, "b", "region"), "x");
	/* Inline comments are part of the value, as in botocore. */
	assert_string_equal(profile_get(&pf, "a", "name"), "v # not a comment");
	assert_int_equal(pf.nnames, 2);
	profile_clear(&pf);
}

static void
test_profile_errors_name_line_not_text(void **state)
{
	struct profile_file pf;
	char err[128];

	assert_int_equal(parse(&pf, "key = v\n[a]\n", PROFILE_CREDENTIALS, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 1"));
	profile_clear(&pf);
	assert_int_equal(parse(&pf, "[a]\n# c\n" SECRET "\n",
			     PROFILE_CREDENTIALS, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 3"));
	assert_null(strstr(err, SECRET));
	profile_clear(&pf);
	assert_int_equal(parse(&pf, "[a\nx=1\n", PROFILE_CONFIG, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 1"));
	profile_clear(&pf);
	assert_int_equal(parse(&pf, "[a]\n= v\n", PROFILE_CREDENTIALS, err,
			     sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 2"));
	profile_clear(
	    &pf); /* A profile name with a terminal control in it (found by fuzzing). */
	assert_int_equal(parse(&pf, "[a]\nx = 1\n[\001none]\nx = y\n",
			     PROFILE_CONFIG, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "line 3: control character"));
	assert_null(profile_get(&pf, "\001none", "x"));
	profile_clear(&pf);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_profile_credentials_file),
		cmocka_unit_test(test_profile_config_sections),
		cmocka_unit_test(test_profile_later_key_wins),
		cmocka_unit_test(test_profile_errors_name_line_not_text),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
