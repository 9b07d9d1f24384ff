/*
 * fuzz_profile.c: ~/.aws/credentials and ~/.aws/config text, parsed as
 * either kind. Every entry belongs to a known profile, has a lower-case
 * trimmed key, and is what profile_get() returns unless a later entry
 * overrides it.
 */
#include <ctype.h>
#include <stdint.h>
#include <string.h>

#include "fuzz.h"
#include "profile.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

static void
check_file(const struct profile_file *pf)
{
	const struct profile_entry *e, *f;
	const char *c;
	size_t i, j, last;

	for (i = 0; i < pf->nnames; i++) {
		FUZZ_CHECK(pf->names[i] != NULL);
		for (j = 0; j < i; j++)
			FUZZ_CHECK(strcmp(pf->names[i], pf->names[j]) != 0);
	}
	for (i = 0; i < pf->nent; i++) {
		e = &pf->ent[i];
		FUZZ_CHECK(
		    e->profile != NULL && e->key != NULL && e->value != NULL);
		FUZZ_CHECK(profile_exists(pf, e->profile));
		FUZZ_CHECK(e->key[0] != '\0');
		FUZZ_CHECK(!isspace((unsigned char)e->key[0]));
		FUZZ_CHECK(!isspace((unsigned char)e->key[strlen(e->key) - 1]));
		for (c = e->key; *c != '\0'; c++)
			FUZZ_CHECK(!isupper((unsigned char)*c) && *c != '\n');
		FUZZ_CHECK(strchr(e->value, '\n') == NULL);
		if (e->value[0] != '\0') {
			FUZZ_CHECK(!isspace((unsigned char)e->value[0]));
			FUZZ_CHECK(!isspace(
			    (unsigned char)e->value[strlen(e->value) - 1]));
		}
		/* A later key wins. */
		last = i;
		for (j = i + 1; j < pf->nent; j++) {
			f = &pf->ent[j];
			if (strcmp(f->profile, e->profile) == 0 &&
			    strcmp(f->key, e->key) == 0)
				last = j;
		}
		FUZZ_CHECK(
		    profile_get(pf, e->profile, e->key) == pf->ent[last].value);
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum profile_kind kinds[] = { PROFILE_CREDENTIALS,
		PROFILE_CONFIG };
	struct profile_file pf;
	char err[256];
	size_t i;
	int rc;

	if (size > PROFILE_FILE_MAX)
		return 0;
	for (i = 0; i < 2; i++) {
		memset(&pf, 0, sizeof(pf));
		err[0] = '\0';
		rc = profile_parse(&pf, (const char *)data, size, kinds[i], err,
		    sizeof(err));
		FUZZ_CHECK(
		    rc == 0 || (rc == -1 && strncmp(err, "line ", 5) == 0));
		/* On failure pf holds the lines before the bad one. */
		check_file(&pf);
		FUZZ_CHECK(profile_get(&pf, "\x01none", "x") == NULL);
		profile_clear(&pf);
		FUZZ_CHECK(pf.ent == NULL && pf.nent == 0 && pf.names == NULL);
	}
	return 0;
}
