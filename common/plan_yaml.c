/* plan_yaml.c: the YAML plan reader (libyaml), for ddb-sync and the tests. */
/*
 * Apart from plan.c so that ddb-sync-worker, which gets its one pair as
 * flags on argv, links no libyaml (the Makefile keeps this file out of
 * libcommon.a).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <yaml.h>

#include "buf.h"
#include "fmt.h"
#include "log.h"
#include "plan.h"
#include "plan_int.h"
#include "utf8.h"
#include "xmalloc.h"

/* ------------------------------------------------------------------------
 * YAML: events into a small tree (no aliases, bounded depth and size), then
 * a walk of the tree that reports every problem with its line.
 */

enum plan_ytype {
	PY_SCALAR,
	PY_SEQ,
	PY_MAP,
	PY_BAD, /* an alias; already reported */
};

struct plan_ynode {
	enum plan_ytype type;
	int line;
	char *value;		  /* scalar, NUL-terminated */
	size_t vlen;		  /* may exceed strlen: "\0" escapes */
	int plain;		  /* unquoted scalar */
	struct plan_ynode **kids; /* items, or keys and values in turn */
	size_t nkids;
};

struct plan_load {
	const char *name;
	const char *text;
	size_t len;
	struct plan_errors *errs;
	int nerr; /* problems this load found */
	size_t nnodes;
	struct plan *plan;
};

static void plan_lerr(struct plan_load *, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void
plan_lerr(struct plan_load *ld, int line, const char *fmt, ...)
{
	va_list ap;
	char *msg;

	va_start(ap, fmt);
	if (vasprintf(&msg, fmt, ap) == -1)
		fatal("vasprintf");
	va_end(ap);
	plan_errors_add(ld->errs, "%s:%d: %s", ld->name, line, msg);
	free(msg);
	ld->nerr++;
}

static void
plan_ynode_free(struct plan_ynode *n)
{
	size_t i;

	if (n == NULL)
		return;
	for (i = 0; i < n->nkids; i++)
		plan_ynode_free(n->kids[i]);
	free(n->kids);
	free(n->value);
	free(n);
}

static void
plan_ynode_add(struct plan_ynode *parent, struct plan_ynode *kid)
{
	/* Grow by doubling; the node count bounds the size. */
	if ((parent->nkids & (parent->nkids - 1)) == 0)
		parent->kids = xrealloc(parent->kids,
		    (parent->nkids ? parent->nkids * 2 : 1) *
			sizeof(*parent->kids));
	parent->kids[parent->nkids++] = kid;
}

static int
plan_ynode_null(const struct plan_ynode *n)
{
	if (n->type != PY_SCALAR || !n->plain)
		return 0;
	return n->vlen == 0 || strcmp(n->value, "~") == 0 ||
	    strcmp(n->value, "null") == 0 || strcmp(n->value, "Null") == 0 ||
	    strcmp(n->value, "NULL") == 0;
}

static const char *
plan_ynode_what(const struct plan_ynode *n)
{
	switch (n->type) {
	case PY_SCALAR:
		return plan_ynode_null(n) ? "an empty value" : "a single value";
	case PY_SEQ:
		return "a list";
	case PY_MAP:
		return "a mapping";
	default:
		return "an alias";
	}
}

/*
 * A node that must be a mapping: 1 if it is; else 0, after an error that
 * says what shape was expected (a node that failed to parse was said).
 */
static int
plan_need_map(struct plan_load *ld, const struct plan_ynode *v, const char *ctx,
    const char *shape)
{
	if (v->type == PY_BAD)
		return 0;
	if (v->type != PY_MAP) {
		plan_lerr(ld, v->line, "%s: expected a mapping %s, got %s", ctx,
		    shape, plan_ynode_what(v));
		return 0;
	}
	return 1;
}

static void
plan_yaml_error(struct plan_load *ld, const yaml_parser_t *parser)
{
	const char *problem;
	size_t off, i;
	int line = 1;

	problem = parser->problem != NULL ? parser->problem : "unknown error";
	switch (parser->error) {
	case YAML_MEMORY_ERROR:
		fatalx("%s: out of memory parsing YAML", ld->name);
	case YAML_READER_ERROR:
		/* Reader errors carry a byte offset, not a line. */
		off = parser->problem_offset < ld->len ?
		    parser->problem_offset :
		    ld->len;
		for (i = 0; i < off; i++)
			if (ld->text[i] == '\n')
				line++;
		if (parser->problem_value != -1)
			plan_lerr(ld, line,
			    "not a UTF-8 text plan: %s "
			    "(byte 0x%02x at offset %zu)",
			    problem, (unsigned)parser->problem_value & 0xff,
			    parser->problem_offset);
		else
			plan_lerr(ld, line, "not a UTF-8 text plan: %s",
			    problem);
		break;
	default:
		line = (int)parser->problem_mark.line + 1;
		if (parser->context != NULL)
			plan_lerr(ld, line,
			    "YAML syntax error: %s (%s at "
			    "line %d)",
			    problem, parser->context,
			    (int)parser->context_mark.line + 1);
		else
			plan_lerr(ld, line, "YAML syntax error: %s", problem);
		break;
	}
}

/* Report an anchor or tag: both are refused (alias bombs, type tricks). */
static void
plan_yaml_props(struct plan_load *ld, int line, const yaml_char_t *anchor,
    const yaml_char_t *tag)
{
	char q[PLAN_QUOTE_LEN];

	if (anchor != NULL)
		plan_lerr(ld, line,
		    "YAML anchors and aliases are not "
		    "supported (&%s)",
		    plan_quote(q, (const char *)anchor));
	if (tag != NULL)
		plan_lerr(ld, line, "YAML tags are not supported (%s)",
		    plan_quote(q, (const char *)tag));
}

/*
 * Parse ld->text into *rootp (NULL for an empty stream). Returns -1 when
 * the YAML itself is unusable (syntax, encoding, too deep or too big).
 */
static int
plan_yaml_parse(struct plan_load *ld, struct plan_ynode **rootp)
{
	yaml_parser_t parser;
	yaml_event_t ev;
	struct plan_ynode *stack[PLAN_MAX_DEPTH];
	struct plan_ynode *root = NULL, *node;
	char q[PLAN_QUOTE_LEN];
	size_t depth = 0;
	int ndocs = 0, done = 0, have_ev = 0, line;

	if (!yaml_parser_initialize(&parser))
		fatalx("yaml_parser_initialize");
	yaml_parser_set_input_string(&parser, (const unsigned char *)ld->text,
	    ld->len);
	yaml_parser_set_encoding(&parser, YAML_UTF8_ENCODING);
	while (!done) {
		if (!yaml_parser_parse(&parser, &ev)) {
			plan_yaml_error(ld, &parser);
			goto fail;
		}
		have_ev = 1;
		line = (int)ev.start_mark.line + 1;
		node = NULL;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_DOCUMENT_START_EVENT:
			if (++ndocs > 1) {
				plan_lerr(ld, line,
				    "a second YAML document: "
				    "a plan file holds one");
				goto fail;
			}
			break;
		case YAML_ALIAS_EVENT:
			plan_lerr(ld, line,
			    "YAML anchors and aliases are not "
			    "supported (*%s)",
			    plan_quote(q, (const char *)ev.data.alias.anchor));
			node = xcalloc(1, sizeof(*node));
			node->type = PY_BAD;
			break;
		case YAML_SCALAR_EVENT:
			plan_yaml_props(ld, line, ev.data.scalar.anchor,
			    ev.data.scalar.tag);
			node = xcalloc(1, sizeof(*node));
			node->type = PY_SCALAR;
			node->vlen = ev.data.scalar.length;
			node->value = xmalloc(node->vlen + 1);
			memcpy(node->value, ev.data.scalar.value, node->vlen);
			node->value[node->vlen] = '\0';
			node->plain = ev.data.scalar.style ==
			    YAML_PLAIN_SCALAR_STYLE;
			break;
		case YAML_SEQUENCE_START_EVENT:
			plan_yaml_props(ld, line, ev.data.sequence_start.anchor,
			    ev.data.sequence_start.tag);
			node = xcalloc(1, sizeof(*node));
			node->type = PY_SEQ;
			break;
		case YAML_MAPPING_START_EVENT:
			plan_yaml_props(ld, line, ev.data.mapping_start.anchor,
			    ev.data.mapping_start.tag);
			node = xcalloc(1, sizeof(*node));
			node->type = PY_MAP;
			break;
		case YAML_SEQUENCE_END_EVENT:
		case YAML_MAPPING_END_EVENT:
			if (depth > 0)
				depth--;
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
		have_ev = 0;
		if (node == NULL)
			continue;
		node->line = line;
		if (depth == 0) {
			/* One document has one root node. */
			plan_ynode_free(root);
			root = node;
		} else
			plan_ynode_add(stack[depth - 1], node);
		if (++ld->nnodes > PLAN_MAX_NODES) {
			plan_lerr(ld, line,
			    "more than %d YAML nodes: not a "
			    "plan file?",
			    PLAN_MAX_NODES);
			goto fail;
		}
		if (node->type == PY_SEQ || node->type == PY_MAP) {
			if (depth == PLAN_MAX_DEPTH) {
				plan_lerr(ld, line,
				    "nested more than %d "
				    "levels deep",
				    PLAN_MAX_DEPTH);
				goto fail;
			}
			stack[depth++] = node;
		}
	}
	yaml_parser_delete(&parser);
	*rootp = root;
	return 0;
fail:
	if (have_ev)
		yaml_event_delete(&ev);
	yaml_parser_delete(&parser);
	plan_ynode_free(root);
	*rootp = NULL;
	return -1;
}

/* Edit distance, for "did you mean" on unknown keys; small strings only. */
static size_t
plan_distance(const char *a, const char *b)
{
	size_t row[33], la = strlen(a), lb = strlen(b), i, j, prev, tmp, best;

	if (la > 32 || lb > 32)
		return SIZE_MAX;
	for (j = 0; j <= lb; j++)
		row[j] = j;
	for (i = 1; i <= la; i++) {
		prev = row[0];
		row[0] = i;
		for (j = 1; j <= lb; j++) {
			tmp = row[j];
			best = prev + (a[i - 1] != b[j - 1]);
			if (row[j] + 1 < best)
				best = row[j] + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			row[j] = best;
			prev = tmp;
		}
	}
	return row[lb];
}

#define PLAN_MAX_KEYS 24

struct plan_keys {
	const char *names[PLAN_MAX_KEYS];
	size_t n;
	struct plan_ynode *vals[PLAN_MAX_KEYS]; /* NULL: absent */
	int lines[PLAN_MAX_KEYS];		/* of each key */
};

static void
plan_keys_add(struct plan_keys *k, const char *name)
{
	if (k->n == PLAN_MAX_KEYS)
		fatalx("plan_keys_add: too many keys");
	k->names[k->n++] = name;
}

static struct plan_ynode *
plan_keys_get(const struct plan_keys *k, const char *name, int *line)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		if (strcmp(k->names[i], name) == 0) {
			if (line != NULL)
				*line = k->lines[i];
			return k->vals[i];
		}
	}
	return NULL;
}

/*
 * Sort a mapping's values into k by key; report keys that are unknown,
 * repeated or not plain strings. ctx names the mapping in messages.
 */
static void
plan_map_keys(struct plan_load *ld, const struct plan_ynode *map,
    const char *ctx, struct plan_keys *k)
{
	const struct plan_ynode *key;
	char q[PLAN_QUOTE_LEN], hint[PLAN_QUOTE_LEN + 32];
	size_t i, j, d, best, bestd;

	memset(k->vals, 0, sizeof(k->vals));
	memset(k->lines, 0, sizeof(k->lines));
	for (i = 0; i + 1 < map->nkids; i += 2) {
		if (plan_errors_full(ld->errs))
			return;
		key = map->kids[i];
		if (key->type == PY_BAD)
			continue;
		if (key->type != PY_SCALAR) {
			plan_lerr(ld, key->line,
			    "%s: keys must be plain "
			    "words, got %s",
			    ctx, plan_ynode_what(key));
			continue;
		}
		for (j = 0; j < k->n; j++)
			if (key->vlen == strlen(k->names[j]) &&
			    strcmp(key->value, k->names[j]) == 0)
				break;
		if (j < k->n) {
			if (k->vals[j] != NULL)
				plan_lerr(ld, key->line,
				    "%s: key '%s' is "
				    "repeated (first at line %d)",
				    ctx, k->names[j], k->lines[j]);
			else {
				k->vals[j] = map->kids[i + 1];
				k->lines[j] = key->line;
			}
			continue;
		}
		hint[0] = '\0';
		best = bestd = SIZE_MAX;
		for (j = 0; j < k->n; j++) {
			d = plan_distance(key->value, k->names[j]);
			if (d < bestd) {
				bestd = d;
				best = j;
			}
		}
		if (bestd <= 2 && bestd < key->vlen)
			plan_seterr(hint, sizeof(hint), " (did you mean '%s'?)",
			    k->names[best]);
		plan_lerr(ld, key->line, "%s: unknown key '%s'%s", ctx,
		    plan_quote(q, key->value), hint);
	}
}

/* A scalar value for field f of pair p, from key at ctx.key. */
static void
plan_set_scalar(struct plan_load *ld, struct plan_pair *p,
    const struct plan_field *f, const char *ctx, const char *key,
    const struct plan_ynode *v)
{
	char err[PLAN_ERRLEN];

	if (v->type == PY_BAD)
		return;
	if (v->type != PY_SCALAR) {
		plan_lerr(ld, v->line,
		    "%s.%s: expected a single value, got "
		    "%s",
		    ctx, key, plan_ynode_what(v));
		return;
	}
	if (plan_ynode_null(v) || v->vlen == 0) {
		plan_lerr(ld, v->line, "%s.%s: empty value", ctx, key);
		return;
	}
	if (strlen(v->value) != v->vlen) {
		plan_lerr(ld, v->line, "%s.%s: value contains a NUL byte", ctx,
		    key);
		return;
	}
	if (plan_field_set(p, f, v->value, err, sizeof(err)) == -1)
		plan_lerr(ld, v->line, "%s.%s: %s", ctx, key, err);
}

static void
plan_walk_segments(struct plan_load *ld, struct plan_pair *p, const char *ctx,
    const struct plan_ynode *v)
{
	const struct plan_ynode *it;
	char err[PLAN_ERRLEN];
	uint32_t *segs = NULL;
	size_t i;
	int bad = 0;

	if (v->type == PY_BAD)
		return;
	if (v->type != PY_SEQ) {
		plan_lerr(ld, v->line,
		    "%s.segments: expected a list of "
		    "segment numbers such as [0, 1, 2], got %s",
		    ctx, plan_ynode_what(v));
		return;
	}
	if (v->nkids > PLAN_MAX_SEGMENTS) {
		plan_lerr(ld, v->line,
		    "%s.segments: more than %d segments "
		    "listed",
		    ctx, PLAN_MAX_SEGMENTS);
		return;
	}
	segs = xcalloc(v->nkids, sizeof(*segs));
	for (i = 0; i < v->nkids; i++) {
		it = v->kids[i];
		if (it->type == PY_BAD) {
			bad = 1;
			continue;
		}
		if (it->type != PY_SCALAR || plan_ynode_null(it) ||
		    strlen(it->value) != it->vlen) {
			plan_lerr(ld, it->line,
			    "%s.segments[%zu]: expected a "
			    "segment number, got %s",
			    ctx, i, plan_ynode_what(it));
			bad = 1;
			continue;
		}
		if (plan_parse_u32(it->value, 0, PLAN_TOTAL_SEGMENTS_MAX - 1,
			&segs[i], err, sizeof(err)) == -1) {
			plan_lerr(ld, it->line, "%s.segments[%zu]: %s", ctx, i,
			    err);
			bad = 1;
		}
	}
	if (bad) {
		free(segs);
		return;
	}
	if (plan_segments_set(p, segs, v->nkids, err, sizeof(err)) == -1)
		plan_lerr(ld, v->line, "%s.segments: %s", ctx, err);
}

/*
 * output.index_capacity: a mapping of GSI names to {read_capacity: N,
 * write_capacity: N}, both required.
 */
static void
plan_walk_index_caps(struct plan_load *ld, struct plan_pair *p, const char *ctx,
    const struct plan_ynode *v)
{
	static const char *const names[] = { "read_capacity",
		"write_capacity" };
	const struct plan_ynode *key, *val, *n;
	struct plan_keys k;
	char err[PLAN_ERRLEN], q[PLAN_QUOTE_LEN], ictx[PLAN_QUOTE_LEN + 96];
	uint32_t cap[2];
	size_t i, j;
	int bad;

	if (v->type == PY_BAD)
		return;
	if (v->type != PY_MAP) {
		plan_lerr(ld, v->line,
		    "%s.index_capacity: expected a mapping "
		    "of index names to {read_capacity: N, write_capacity: N}, "
		    "got %s",
		    ctx, plan_ynode_what(v));
		return;
	}
	plan_idxcap_clear(p);
	for (i = 0; i + 1 < v->nkids; i += 2) {
		key = v->kids[i];
		val = v->kids[i + 1];
		if (key->type != PY_SCALAR || plan_ynode_null(key) ||
		    strlen(key->value) != key->vlen) {
			if (key->type != PY_BAD)
				plan_lerr(ld, key->line,
				    "%s.index_capacity: "
				    "expected an index name, got %s",
				    ctx, plan_ynode_what(key));
			continue;
		}
		(void)snprintf(ictx, sizeof(ictx), "%s.index_capacity.%s", ctx,
		    plan_quote(q, key->value));
		if (val->type == PY_BAD)
			continue;
		if (val->type != PY_MAP) {
			plan_lerr(ld, val->line,
			    "%s: expected a mapping such "
			    "as {read_capacity: 5, write_capacity: 5}, got %s",
			    ictx, plan_ynode_what(val));
			continue;
		}
		k.n = 0;
		plan_keys_add(&k, names[0]);
		plan_keys_add(&k, names[1]);
		plan_map_keys(ld, val, ictx, &k);
		bad = 0;
		for (j = 0; j < 2; j++) {
			if ((n = plan_keys_get(&k, names[j], NULL)) == NULL) {
				plan_lerr(ld, val->line, "%s: missing '%s'",
				    ictx, names[j]);
				bad = 1;
			} else if (n->type != PY_SCALAR || plan_ynode_null(n) ||
			    strlen(n->value) != n->vlen) {
				if (n->type != PY_BAD)
					plan_lerr(ld, n->line,
					    "%s.%s: expected "
					    "a number, got %s",
					    ictx, names[j], plan_ynode_what(n));
				bad = 1;
			} else if (plan_parse_u32(n->value, 1,
				       PLAN_CAPACITY_MAX, &cap[j], err,
				       sizeof(err)) == -1) {
				plan_lerr(ld, n->line, "%s.%s: %s", ictx,
				    names[j], err);
				bad = 1;
			}
		}
		if (!bad &&
		    plan_idxcap_add(p, key->value, cap[0], cap[1], err,
			sizeof(err)) == -1)
			plan_lerr(ld, key->line, "%s.index_capacity: %s", ctx,
			    err);
	}
}

/*
 * The keys the field table puts in section sec, read from mapping v into
 * the pair; k receives the mapping's keys.
 */
static void
plan_walk_fields(struct plan_load *ld, struct plan_pair *p, const char *ctx,
    const char *sec, const struct plan_ynode *v, struct plan_keys *k)
{
	size_t i;

	k->n = 0;
	for (i = 0; i < plan_nfields; i++)
		if (plan_fields[i].section != NULL &&
		    strcmp(plan_fields[i].section, sec) == 0)
			plan_keys_add(k, plan_fields[i].key);
	plan_map_keys(ld, v, ctx, k);
	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];
		const struct plan_ynode *val;

		if (f->section == NULL || strcmp(f->section, sec) != 0)
			continue;
		if ((val = plan_keys_get(k, f->key, NULL)) == NULL)
			continue;
		if (f->kind == PF_IDXCAP)
			plan_walk_index_caps(ld, p, ctx, val);
		else
			plan_set_scalar(ld, p, f, ctx, f->key, val);
	}
}

/* input/output: the keys of section sec, from the field table. */
static void
plan_walk_side(struct plan_load *ld, struct plan_pair *p, const char *pctx,
    const char *sec, const struct plan_ynode *v, int keyline)
{
	struct plan_keys k;
	struct plan_side *side;
	char ctx[64];

	side = strcmp(sec, "input") == 0 ? &p->input : &p->output;
	side->line = keyline;
	(void)snprintf(ctx, sizeof(ctx), "%s.%s", pctx, sec);
	if (!plan_need_map(ld, v, ctx, "with 'table' and 'region'"))
		return;
	plan_walk_fields(ld, p, ctx, sec, v, &k);
	if (strcmp(sec, "input") == 0 &&
	    plan_keys_get(&k, "table", NULL) == NULL)
		plan_lerr(ld, v->line, "%s: missing 'table'", ctx);
}

/* ttl: {skip_expired: BOOL, apply_deletes: BOOL}. */
static void
plan_walk_ttl(struct plan_load *ld, struct plan_pair *p, const char *pctx,
    const struct plan_ynode *v)
{
	struct plan_keys k;
	char ctx[64];

	(void)snprintf(ctx, sizeof(ctx), "%s.ttl", pctx);
	if (!plan_need_map(ld, v, ctx,
		"such as {skip_expired: true, apply_deletes: true}"))
		return;
	plan_walk_fields(ld, p, ctx, "ttl", v, &k);
}

/* stream/backfill: {disabled: bool}. */
static void
plan_walk_phase(struct plan_load *ld, struct plan_pair *p, const char *pctx,
    const char *sec, const struct plan_ynode *v)
{
	const struct plan_field *f = plan_field_by_flag(sec);
	const struct plan_ynode *d;
	struct plan_keys k;
	char ctx[64], q[PLAN_QUOTE_LEN];
	int b;

	(void)snprintf(ctx, sizeof(ctx), "%s.%s", pctx, sec);
	if (!plan_need_map(ld, v, ctx, "such as {disabled: true}"))
		return;
	k.n = 0;
	plan_keys_add(&k, "disabled");
	plan_map_keys(ld, v, ctx, &k);
	if ((d = plan_keys_get(&k, "disabled", NULL)) == NULL ||
	    d->type == PY_BAD)
		return;
	if (d->type != PY_SCALAR || plan_ynode_null(d)) {
		plan_lerr(ld, d->line,
		    "%s.disabled: expected true or false, "
		    "got %s",
		    ctx, plan_ynode_what(d));
		return;
	}
	if (plan_parse_bool(d->value, &b) == -1) {
		plan_lerr(ld, d->line,
		    "%s.disabled: '%s' is not a boolean "
		    "(true/false, yes/no, on/off)",
		    ctx, plan_quote(q, d->value));
		return;
	}
	*(int *)plan_field_ptr(p, f) = !b;
}

static void
plan_walk_pair(struct plan_load *ld, const struct plan_ynode *v, size_t idx)
{
	static const char *const sections[] = { "input", "output", "stream",
		"backfill", "ttl" };
	struct plan_keys k;
	struct plan_pair *p;
	const struct plan_ynode *val;
	char ctx[32];
	size_t i;
	int line;

	/* Contexts cannot truncate: idx < PLAN_MAX_PAIRS, fixed key names. */
	(void)snprintf(ctx, sizeof(ctx), "plan[%zu]", idx);
	if (!plan_need_map(ld, v, ctx, "with 'input' and 'output'"))
		return;
	p = plan_add_pair(ld->plan);
	p->line = v->line;
	k.n = 0;
	for (i = 0; i < sizeof(sections) / sizeof(sections[0]); i++)
		plan_keys_add(&k, sections[i]);
	for (i = 0; i < plan_nfields; i++)
		if (plan_fields[i].section == NULL &&
		    plan_fields[i].key != NULL)
			plan_keys_add(&k, plan_fields[i].key);
	plan_map_keys(ld, v, ctx, &k);

	if ((val = plan_keys_get(&k, "input", &line)) != NULL)
		plan_walk_side(ld, p, ctx, "input", val, line);
	else
		plan_lerr(ld, v->line, "%s: missing 'input'", ctx);
	if ((val = plan_keys_get(&k, "output", &line)) != NULL)
		plan_walk_side(ld, p, ctx, "output", val, line);
	if ((val = plan_keys_get(&k, "stream", NULL)) != NULL)
		plan_walk_phase(ld, p, ctx, "stream", val);
	if ((val = plan_keys_get(&k, "backfill", NULL)) != NULL)
		plan_walk_phase(ld, p, ctx, "backfill", val);
	if ((val = plan_keys_get(&k, "ttl", NULL)) != NULL)
		plan_walk_ttl(ld, p, ctx, val);
	for (i = 0; i < plan_nfields; i++) {
		const struct plan_field *f = &plan_fields[i];

		if (f->section != NULL || f->key == NULL ||
		    (val = plan_keys_get(&k, f->key, NULL)) == NULL)
			continue;
		if (f->kind == PF_SEGS)
			plan_walk_segments(ld, p, ctx, val);
		else
			plan_set_scalar(ld, p, f, ctx, f->key, val);
	}
}

/* metrics: {listen: ADDR:PORT}; the supervisor checks the address. */
static void
plan_walk_metrics(struct plan_load *ld, const struct plan_ynode *v)
{
	const struct plan_ynode *l;
	struct plan_keys k;

	if (!plan_need_map(ld, v, "metrics",
		"such as {listen: 127.0.0.1:9464}"))
		return;
	k.n = 0;
	plan_keys_add(&k, "listen");
	plan_map_keys(ld, v, "metrics", &k);
	if ((l = plan_keys_get(&k, "listen", NULL)) == NULL ||
	    l->type == PY_BAD)
		return;
	if (l->type != PY_SCALAR || plan_ynode_null(l) || l->vlen == 0 ||
	    strlen(l->value) != l->vlen) {
		plan_lerr(ld, l->line,
		    "metrics.listen: expected ADDR:PORT "
		    "such as 127.0.0.1:9464, got %s",
		    plan_ynode_what(l));
		return;
	}
	free(ld->plan->metrics_listen);
	ld->plan->metrics_listen = xstrdup(l->value);
}

/*
 * coordination: {table, region, role_arn, endpoint_url,
 * allow_insecure_http}: the fleet's lease table (docs/fleet.md).
 */
static void
plan_walk_coord(struct plan_load *ld, const struct plan_ynode *v, int line)
{
	static const char *const keys[] = { "table", "region", "role_arn",
		"endpoint_url", "allow_insecure_http" };
	const char *ctx = "coordination";
	struct plan_coord *co;
	const struct plan_ynode *val;
	struct plan_keys k;
	char **sp[4], q[PLAN_QUOTE_LEN];
	size_t i;
	int b;

	co = ld->plan->coord = xcalloc(1, sizeof(*co));
	co->line = line;
	if (!plan_need_map(ld, v, ctx, "with 'table' and 'region'"))
		return;
	k.n = 0;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		plan_keys_add(&k, keys[i]);
	plan_map_keys(ld, v, ctx, &k);
	sp[0] = &co->table;
	sp[1] = &co->region;
	sp[2] = &co->role_arn;
	sp[3] = &co->endpoint;
	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if ((val = plan_keys_get(&k, keys[i], NULL)) == NULL ||
		    val->type == PY_BAD)
			continue;
		if (val->type != PY_SCALAR || plan_ynode_null(val) ||
		    val->vlen == 0) {
			plan_lerr(ld, val->line,
			    "%s.%s: expected a single "
			    "value, got %s",
			    ctx, keys[i], plan_ynode_what(val));
			continue;
		}
		if (strlen(val->value) != val->vlen ||
		    val->vlen > PLAN_MAX_VALUE ||
		    fmt_has_control(val->value, val->vlen)) {
			plan_lerr(ld, val->line,
			    "%s.%s: value too long or "
			    "with a NUL or control character",
			    ctx, keys[i]);
			continue;
		}
		if (i < 4) {
			*sp[i] = xstrdup(val->value);
			continue;
		}
		if (plan_parse_bool(val->value, &b) == -1)
			plan_lerr(ld, val->line,
			    "%s.%s: '%s' is not a boolean "
			    "(true/false, yes/no, on/off)",
			    ctx, keys[i], plan_quote(q, val->value));
		else
			co->allow_insecure_http = b;
	}
	if (plan_keys_get(&k, "table", NULL) == NULL)
		plan_lerr(ld, v->line,
		    "%s: missing 'table': the DynamoDB "
		    "table the hosts share their leases through",
		    ctx);
	if (plan_keys_get(&k, "region", NULL) == NULL)
		plan_lerr(ld, v->line,
		    "%s: missing 'region': every host must "
		    "name the same one, so it has no default",
		    ctx);
}

static void
plan_walk(struct plan_load *ld, const struct plan_ynode *root)
{
	const struct plan_ynode *list;
	struct plan_keys k;
	size_t i, n;
	int cline;

	if (root == NULL || plan_ynode_null(root)) {
		plan_lerr(ld, root != NULL ? root->line : 1,
		    "empty plan: "
		    "expected a mapping with a 'plan' key");
		return;
	}
	if (root->type == PY_BAD)
		return;
	if (root->type != PY_MAP) {
		plan_lerr(ld, root->line,
		    "expected a mapping with a 'plan' "
		    "key, got %s",
		    plan_ynode_what(root));
		return;
	}
	k.n = 0;
	plan_keys_add(&k, "plan");
	plan_keys_add(&k, "metrics");
	plan_keys_add(&k, "coordination");
	plan_map_keys(ld, root, "top level", &k);
	if ((list = plan_keys_get(&k, "coordination", &cline)) != NULL)
		plan_walk_coord(ld, list, cline);
	if ((list = plan_keys_get(&k, "metrics", NULL)) != NULL)
		plan_walk_metrics(ld, list);
	if ((list = plan_keys_get(&k, "plan", NULL)) == NULL) {
		plan_lerr(ld, root->line,
		    "missing 'plan': the list of table "
		    "pairs");
		return;
	}
	if (list->type == PY_BAD)
		return;
	if (list->type != PY_SEQ) {
		plan_lerr(ld, list->line,
		    "'plan' must be a list of table "
		    "pairs, got %s",
		    plan_ynode_what(list));
		return;
	}
	if (list->nkids == 0) {
		plan_lerr(ld, list->line, "'plan' has no pairs");
		return;
	}
	n = list->nkids;
	if (n > PLAN_MAX_PAIRS) {
		plan_lerr(ld, list->line,
		    "'plan' has %zu pairs; at most %d "
		    "are supported",
		    n, PLAN_MAX_PAIRS);
		n = PLAN_MAX_PAIRS;
	}
	for (i = 0; i < n && !plan_errors_full(ld->errs); i++) {
		int before = ld->nerr;
		size_t np = ld->plan->npairs;

		plan_walk_pair(ld, list->kids[i], i);
		if (ld->nerr > before && ld->plan->npairs > np)
			ld->plan->pairs[np].load_errors = 1;
	}
}

struct plan *
plan_load_buffer(const char *name, const char *text, size_t len,
    struct plan_errors *errs)
{
	struct plan_load ld;
	struct plan_ynode *root = NULL;

	if (name == NULL)
		name = "<plan>";
	if (text == NULL)
		text = "";
	if (len > PLAN_MAX_FILE) {
		plan_errors_add(errs,
		    "%s: larger than %d bytes: not a plan "
		    "file?",
		    name, PLAN_MAX_FILE);
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.name = name;
	ld.text = text;
	ld.len = len;
	ld.errs = errs;
	ld.plan = plan_new();
	ld.plan->path = xstrdup(name);
	if (plan_yaml_parse(&ld, &root) == 0) {
		plan_walk(&ld, root);
		/* Report the checks of the pairs that did load as well:
		 * every problem at once, not one round per fix. */
		if (ld.nerr > 0 && ld.plan->npairs > 0 &&
		    !plan_errors_full(errs)) {
			plan_resolve_defaults(ld.plan);
			plan_validate(ld.plan, errs);
		}
	}
	plan_ynode_free(root);
	if (ld.nerr > 0) {
		plan_free(ld.plan);
		return NULL;
	}
	return ld.plan;
}

struct plan *
plan_load_file(const char *path, struct plan_errors *errs)
{
	struct plan *plan = NULL;
	struct buf b;
	char chunk[8192];
	ssize_t n;
	int fd;

	buf_init(&b, PLAN_MAX_FILE);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY)) == -1) {
		plan_errors_add(errs, "%s: %s", path, strerror(errno));
		return NULL;
	}
	for (;;) {
		if ((n = read(fd, chunk, sizeof(chunk))) == -1) {
			if (errno == EINTR)
				continue;
			plan_errors_add(errs, "%s: %s", path, strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		if (buf_add(&b, chunk, (size_t)n) == -1) {
			plan_errors_add(errs,
			    "%s: larger than %d bytes: not a "
			    "plan file?",
			    path, PLAN_MAX_FILE);
			goto fail;
		}
	}
	plan = plan_load_buffer(path, b.data, b.len, errs);
fail:
	close(fd);
	buf_free(&b);
	return plan;
}
