/* plan_int.h: plan.c's internals that plan_yaml.c shares (not an API). */
#ifndef PLAN_INT_H
#define PLAN_INT_H

#include <stddef.h>
#include <stdint.h>

#include "plan.h"

#define PLAN_ERRLEN 256

/* ------------------------------------------------------------------------
 * Pair fields: one table drives the flags, the YAML keys and the argv.
 */

enum plan_fkind {
	PF_STR,	    /* string, non-empty */
	PF_BOOL,    /* flag: --x[=bool]; YAML: x: {disabled: bool} in a
			   section, else x: bool */
	PF_NOBOOL,  /* flag: --no-x */
	PF_U32,	    /* number in [min, max] */
	PF_SEGS,    /* list of segment numbers */
	PF_ENUM,    /* one of choices (any case), stored as listed */
	PF_OPTBOOL, /* like PF_BOOL, but -1 (unset) is not passed on */
	PF_IDXCAP,  /* index capacities: NAME:R:W,... or a mapping */
	PF_BYTES,   /* uint64_t size: N[K|M|G|T][iB], in [SPOOL range] */
	PF_LIMIT,   /* a capacity limit: N or P% */
};

struct plan_field {
	const char *flag;
	const char *section; /* YAML mapping of key; NULL: pair */
	const char *key;     /* YAML key; NULL: flag only */
	enum plan_fkind kind;
	size_t off;
	uint32_t min;
	uint32_t max;
};

extern const struct plan_field plan_fields[];
extern const size_t plan_nfields;

void plan_seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
int plan_parse_u32(const char *s, uint32_t min, uint32_t max, uint32_t *out,
    char *err, size_t errlen);
/* Sort v, refuse duplicates, and give it to the pair (v is consumed). */
int plan_segments_set(struct plan_pair *p, uint32_t *v, size_t n, char *err,
    size_t errlen);
void *plan_field_ptr(struct plan_pair *p, const struct plan_field *f);
const struct plan_field *plan_field_by_flag(const char *flag);
/* One index capacity, after the others of p (name is copied). */
int plan_idxcap_add(struct plan_pair *p, const char *name, uint32_t rd,
    uint32_t wr, char *err, size_t errlen);
void plan_idxcap_clear(struct plan_pair *p);
/* Set one field from text; the YAML loader and the flags share this. */
int plan_field_set(struct plan_pair *p, const struct plan_field *f,
    const char *value, char *err, size_t errlen);

#endif
