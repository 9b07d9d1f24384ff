/* profile.h: the AWS shared config and credentials files (INI subset). */
#ifndef PROFILE_H
#define PROFILE_H

#include <stddef.h>

/* Readers refuse larger files: both are a few lines in practice. */
#define PROFILE_FILE_MAX (1024 * 1024)

enum profile_kind {
	PROFILE_CREDENTIALS, /* ~/.aws/credentials: [name] */
	PROFILE_CONFIG,	     /* ~/.aws/config: [profile name], [default] */
};

struct profile_entry {
	char *profile;
	char *key;   /* lower-cased */
	char *value; /* may be a secret: cleared when freed */
};

struct profile_file {
	struct profile_entry *ent;
	size_t nent;
	char **names; /* every profile with a section, even empty */
	size_t nnames;
};

/*
 * Parse text the way botocore's configparser does, minus what credentials
 * never need: "[section]" headers, "key = value" or "key: value" (first
 * delimiter wins, key lower-cased, both sides trimmed), full-line comments
 * starting with '#' or ';', indented continuation lines (nested settings
 * such as "s3 =" blocks) skipped. Inline comments are not stripped, as in
 * botocore. In a config file, sections other than "[default]" and
 * "[profile name]" (sso-session, services) are ignored. A later key wins.
 * Returns 0, or -1 with err naming the line number (never its text: it may
 * hold a secret); pf then holds the lines before it (profile_clear it).
 */
int profile_parse(struct profile_file *, const char *text, size_t len,
    enum profile_kind, char *err, size_t errlen);

/* The value of key in profile, or NULL. */
const char *profile_get(const struct profile_file *, const char *profile,
    const char *key);
/* 1 if the file has a section for profile. */
int profile_exists(const struct profile_file *, const char *profile);

/* Free everything, clearing values first; pf can be reused. */
void profile_clear(struct profile_file *);

#endif
