/* profile.c: parse the AWS shared config/credentials INI files (pure). */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fmt.h"
#include "profile.h"
#include "xmalloc.h"

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && isspace((unsigned char)**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && isspace((unsigned char)(*s)[*n - 1]))
		(*n)--;
}

static void
add_name(struct profile_file *pf, const char *name)
{
	if (profile_exists(pf, name))
		return;
	pf->names = xrealloc(pf->names, (pf->nnames + 1) * sizeof(char *));
	pf->names[pf->nnames++] = xstrdup(name);
}

/*
 * The profile a section header names, or NULL for a section that holds
 * no profile (config file: sso-session, services, plain [name]).
 */
static char *
section_profile(const char *s, size_t n, enum profile_kind kind)
{
	if (kind == PROFILE_CREDENTIALS)
		return xstrndup(s, n);
	if (n == 7 && memcmp(s, "default", 7) == 0)
		return xstrdup("default");
	if (n > 8 && memcmp(s, "profile", 7) == 0 &&
	    isspace((unsigned char)s[7])) {
		s += 8;
		n -= 8;
		trim(&s, &n);
		if (n > 0)
			return xstrndup(s, n);
	}
	return NULL;
}

int
profile_parse(struct profile_file *pf, const char *text, size_t len,
    enum profile_kind kind, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *nl, *s, *delim;
	char *cur = NULL;
	int in_section = 0, have_key = 0;
	size_t n, lineno = 0;

	while (p < end) {
		lineno++;
		nl = memchr(p, '\n', (size_t)(end - p));
		s = p;
		n = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		p = nl != NULL ? nl + 1 : end;
		if (memchr(s, '\0', n) != NULL) {
			snprintf(err, errlen, "line %zu: NUL byte", lineno);
			goto fail;
		}
		/* An indented line after a key continues it (nested block). */
		if (n > 0 && (*s == ' ' || *s == '\t') && have_key)
			continue;
		trim(&s, &n);
		if (n == 0 || *s == '#' || *s == ';')
			continue;
		if (*s == '[') {
			const char *close = memrchr(s, ']', n);
			size_t hn;

			if (close == NULL) {
				snprintf(err, errlen,
				    "line %zu: unterminated "
				    "section header",
				    lineno);
				goto fail;
			}
			s++;
			hn = (size_t)(close - s);
			trim(&s, &hn);
			/* Names end up in log lines: no terminal controls. */
			if (fmt_has_control(s, hn)) {
				snprintf(err, errlen,
				    "line %zu: control "
				    "character in the section name",
				    lineno);
				goto fail;
			}
			free(cur);
			cur = section_profile(s, hn, kind);
			if (cur != NULL)
				add_name(pf, cur);
			in_section = 1;
			have_key = 0;
			continue;
		}
		if (!in_section) {
			snprintf(err, errlen,
			    "line %zu: setting before the "
			    "first [section]",
			    lineno);
			goto fail;
		}
		for (delim = s; delim < s + n && *delim != '=' && *delim != ':';
		     delim++)
			;
		if (delim == s + n || delim == s) {
			snprintf(err, errlen,
			    "line %zu: expected "
			    "'name = value'",
			    lineno);
			goto fail;
		}
		have_key = 1;
		if (cur == NULL)
			continue; /* a section we do not use */
		{
			const char *k = s, *v = delim + 1;
			size_t kn = (size_t)(delim - s);
			size_t vn = n - kn - 1;
			struct profile_entry *e;

			trim(&k, &kn);
			trim(&v, &vn);
			pf->ent = xrealloc(pf->ent,
			    (pf->nent + 1) * sizeof(*pf->ent));
			e = &pf->ent[pf->nent++];
			e->profile = xstrdup(cur);
			e->key = xstrndup(k, kn);
			e->value = xstrndup(v, vn);
			for (char *c = e->key; *c != '\0'; c++)
				*c = (char)tolower((unsigned char)*c);
		}
	}
	free(cur);
	return 0;
fail:
	free(cur);
	return -1;
}

const char *
profile_get(const struct profile_file *pf, const char *profile, const char *key)
{
	/* Backwards: a later setting overrides an earlier one. */
	for (size_t i = pf->nent; i > 0; i--) {
		const struct profile_entry *e = &pf->ent[i - 1];

		if (strcmp(e->profile, profile) == 0 &&
		    strcmp(e->key, key) == 0)
			return e->value;
	}
	return NULL;
}

int
profile_exists(const struct profile_file *pf, const char *profile)
{
	for (size_t i = 0; i < pf->nnames; i++)
		if (strcmp(pf->names[i], profile) == 0)
			return 1;
	return 0;
}

void
profile_clear(struct profile_file *pf)
{
	for (size_t i = 0; i < pf->nent; i++) {
		free(pf->ent[i].profile);
		free(pf->ent[i].key);
		xfree_secret(pf->ent[i].value);
	}
	for (size_t i = 0; i < pf->nnames; i++)
		free(pf->names[i]);
	free(pf->ent);
	free(pf->names);
	memset(pf, 0, sizeof(*pf));
}
