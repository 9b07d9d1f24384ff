/* itemcmp.c: DynamoDB's equality of items in attribute-value JSON (pure). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "itemcmp.h"
#include "xmalloc.h"

/*
 * Items are compared on the spans of the Scan and BatchGetItem answers, as
 * the service wrote them: byte-equal values are equal at once, and only
 * values that differ in bytes are decoded (escapes, numbers, base64), so a
 * table that was copied verbatim costs one memcmp per attribute.
 */

#define NUM_DIGITS_MAX 100 /* significant digits kept; DynamoDB: 38 */
#define NUM_TEXT_MAX   (NUM_DIGITS_MAX + 32)

struct cmp {
	char *path;
	size_t pathlen;
	size_t at; /* current length of path */
	char *why;
	size_t whylen;
};

/* A decoded value of a set or a scalar: bytes to compare. */
struct val {
	char *p;
	size_t n;
};

static int av_cmp(struct cmp *, const struct jspan *, const struct jspan *);

static int differ(struct cmp *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static int
differ(struct cmp *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->why, c->whylen, fmt, ap);
	va_end(ap);
	return 1;
}

static int
malformed(struct cmp *c, const char *what)
{
	snprintf(c->why, c->whylen, "not attribute-value JSON: %s", what);
	return -1;
}

/* Append ".name" (or "name" at the top) or "[i]" to the path. */
static void
path_push(struct cmp *c, const char *sep, const char *s, size_t n)
{
	size_t room;

	if (c->pathlen == 0 || c->at >= c->pathlen - 1)
		return;
	room = c->pathlen - 1 - c->at;
	if (c->at > 0 && *sep != '\0' && room > 0) {
		c->path[c->at++] = *sep;
		room--;
	}
	if (n > room)
		n = room;
	memcpy(c->path + c->at, s, n);
	c->at += n;
	c->path[c->at] = '\0';
}

static void
path_pop(struct cmp *c, size_t at)
{
	c->at = at;
	if (c->pathlen > 0)
		c->path[at < c->pathlen ? at : c->pathlen - 1] = '\0';
}

/* The text of a JSON string span, unescaped (allocated). 0 or -1. */
static int
str_decode(const struct jspan *s, struct val *v)
{
	long n;

	if (s->len < 2 || s->p[0] != '"')
		return -1;
	/* Unescaped text is never longer than its JSON, quotes included. */
	v->p = xmalloc(s->len);
	if ((n = jscan_string(s, v->p, s->len)) == -1) {
		free(v->p);
		v->p = NULL;
		return -1;
	}
	v->n = (size_t)n;
	return 0;
}

/* A member's name as jscan_member yields it (raw, between its quotes),
 * as the string span it came from. */
static struct jspan
name_span(const struct jspan *k)
{
	struct jspan s = { k->p - 1, k->len + 2 };

	return s;
}

static int
name_eq(const struct jspan *a, const struct jspan *b)
{
	struct jspan sa, sb;
	struct val x, y;
	int eq;

	if (a->len == b->len && memcmp(a->p, b->p, a->len) == 0)
		return 1;
	if (memchr(a->p, '\\', a->len) == NULL &&
	    memchr(b->p, '\\', b->len) == NULL)
		return 0;
	sa = name_span(a);
	sb = name_span(b);
	if (str_decode(&sa, &x) == -1)
		return 0;
	if (str_decode(&sb, &y) == -1) {
		free(x.p);
		return 0;
	}
	eq = x.n == y.n && memcmp(x.p, y.p, x.n) == 0;
	free(x.p);
	free(y.p);
	return eq;
}

/* A map key pushed on the path, unescaped. */
static void
path_push_name(struct cmp *c, const struct jspan *k)
{
	struct jspan s = name_span(k);
	struct val v;

	if (str_decode(&s, &v) == -1) {
		path_push(c, ".", k->p, k->len);
		return;
	}
	path_push(c, ".", v.p, v.n);
	free(v.p);
}

int
itemcmp_number(const char *s, size_t n, char *out, size_t outlen)
{
	char dig[NUM_DIGITS_MAX + 1];
	size_t i = 0, nd = 0;
	long point = 0, exp = 0, e;
	int neg = 0, any = 0, eneg = 0, seen_nz = 0;

	if (i < n && (s[i] == '-' || s[i] == '+'))
		neg = s[i++] == '-';
	/* Integer digits, then fraction: keep significant digits; point
	 * counts the digits before the decimal point after leading zeros. */
	for (int frac = 0; frac < 2; frac++) {
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			any = 1;
			if (!seen_nz && s[i] == '0') {
				if (frac)
					point--;
				continue;
			}
			seen_nz = 1;
			if (nd >= NUM_DIGITS_MAX) {
				if (s[i] != '0')
					return -1; /* too precise */
				if (!frac)
					point++;
				continue;
			}
			dig[nd++] = s[i];
			if (!frac)
				point++;
		}
		if (frac == 0 && i < n && s[i] == '.')
			i++;
		else
			break;
	}
	if (!any)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '-' || s[i] == '+'))
			eneg = s[i++] == '-';
		if (i == n)
			return -1;
		for (; i < n && s[i] >= '0' && s[i] <= '9'; i++) {
			exp = exp * 10 + (s[i] - '0');
			if (exp > 100000)
				return -1;
		}
		if (eneg)
			exp = -exp;
	}
	if (i != n)
		return -1;
	while (nd > 0 && dig[nd - 1] == '0')
		nd--;
	if (nd == 0)
		return snprintf(out, outlen, "0") >= (int)outlen ? -1 : 0;
	dig[nd] = '\0';
	/* 0.D x 10^(point + exp) = D[0].D[1..] x 10^(point + exp - 1) */
	e = point + exp - 1;
	if (snprintf(out, outlen, "%s%c%s%sE%ld", neg ? "-" : "", dig[0],
		nd > 1 ? "." : "", dig + 1, e) >= (int)outlen)
		return -1;
	return 0;
}

static int
b64val(unsigned char ch)
{
	if (ch >= 'A' && ch <= 'Z')
		return ch - 'A';
	if (ch >= 'a' && ch <= 'z')
		return ch - 'a' + 26;
	if (ch >= '0' && ch <= '9')
		return ch - '0' + 52;
	if (ch == '+')
		return 62;
	if (ch == '/')
		return 63;
	return -1;
}

long
itemcmp_base64(const char *s, size_t n, unsigned char *out, size_t len)
{
	size_t o = 0;

	if (n % 4 != 0)
		return -1;
	for (size_t i = 0; i < n; i += 4) {
		int v[4], pad = 0;

		for (int k = 0; k < 4; k++) {
			if (s[i + k] == '=' && i + 4 == n && k >= 2) {
				v[k] = 0;
				pad++;
				continue;
			}
			if (pad > 0 ||
			    (v[k] = b64val((unsigned char)s[i + k])) == -1)
				return -1;
		}
		if (o + 3 - (size_t)pad > len)
			return -1;
		out[o++] = (unsigned char)(v[0] << 2 | v[1] >> 4);
		if (pad < 2)
			out[o++] = (unsigned char)((v[1] & 15) << 4 |
			    v[2] >> 2);
		if (pad < 1)
			out[o++] = (unsigned char)((v[2] & 3) << 6 | v[3]);
	}
	return (long)o;
}

/* A scalar of type t ('S', 'N' or 'B') decoded into bytes to compare. */
static int
scalar_decode(char t, const struct jspan *s, struct val *v)
{
	struct val raw;
	long n;

	if (str_decode(s, &raw) == -1)
		return -1;
	if (t == 'S') {
		*v = raw;
		return 0;
	}
	v->p = xmalloc(t == 'N' ? NUM_TEXT_MAX : raw.n + 1);
	if (t == 'N') {
		if (itemcmp_number(raw.p, raw.n, v->p, NUM_TEXT_MAX) == -1)
			goto bad;
		v->n = strlen(v->p);
	} else {
		if ((n = itemcmp_base64(raw.p, raw.n, (unsigned char *)v->p,
			 raw.n + 1)) == -1)
			goto bad;
		v->n = (size_t)n;
	}
	free(raw.p);
	return 0;
bad:
	free(raw.p);
	free(v->p);
	v->p = NULL;
	return -1;
}

static int
val_order(const void *x, const void *y)
{
	const struct val *a = x, *b = y;
	int r = memcmp(a->p, b->p, a->n < b->n ? a->n : b->n);

	if (r != 0)
		return r;
	return a->n < b->n ? -1 : a->n > b->n;
}

static void
vals_free(struct val *v, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(v[i].p);
	free(v);
}

/* A set's members decoded and sorted; -1 if malformed. */
static int
set_decode(char t, const struct jspan *arr, struct val **out, size_t *nout)
{
	const char *p = arr->p, *end = arr->p + arr->len;
	struct val *v = NULL;
	size_t n = 0, cap = 0;
	struct jspan e;
	int r;

	if (jscan_open(&p, end, '[') == -1)
		return -1;
	while ((r = jscan_element(&p, end, &e)) == 1) {
		if (n == cap) {
			cap = cap ? cap * 2 : 8;
			v = xrealloc(v, cap * sizeof(*v));
		}
		if (scalar_decode(t, &e, &v[n]) == -1) {
			vals_free(v, n);
			return -1;
		}
		n++;
	}
	if (r == -1) {
		vals_free(v, n);
		return -1;
	}
	if (n > 1)
		qsort(v, n, sizeof(*v), val_order);
	*out = v;
	*nout = n;
	return 0;
}

static int
set_cmp(struct cmp *c, char t, const struct jspan *a, const struct jspan *b)
{
	struct val *va, *vb;
	size_t na, nb;
	int r = 0;

	if (set_decode(t, a, &va, &na) == -1)
		return malformed(c, "a set member");
	if (set_decode(t, b, &vb, &nb) == -1) {
		vals_free(va, na);
		return malformed(c, "a set member");
	}
	if (na != nb)
		r = differ(c, "set of %s members differs in size",
		    t == 'S'	 ? "string" :
			t == 'N' ? "number" :
				   "binary");
	for (size_t i = 0; r == 0 && i < na; i++)
		if (val_order(&va[i], &vb[i]) != 0)
			r = differ(c, "set %s members differ",
			    t == 'S'	 ? "of string" :
				t == 'N' ? "of number" :
					   "of binary");
	vals_free(va, na);
	vals_free(vb, nb);
	return r;
}

static int
scalar_cmp(struct cmp *c, char t, const struct jspan *a, const struct jspan *b)
{
	struct val va, vb;
	int r;

	if (a->len == b->len && memcmp(a->p, b->p, a->len) == 0)
		return 0;
	if (scalar_decode(t, a, &va) == -1)
		return malformed(c,
		    t == 'N'	 ? "a number" :
			t == 'B' ? "base64" :
				   "a string");
	if (scalar_decode(t, b, &vb) == -1) {
		free(va.p);
		return malformed(c,
		    t == 'N'	 ? "a number" :
			t == 'B' ? "base64" :
				   "a string");
	}
	r = val_order(&va, &vb) != 0;
	if (r)
		differ(c, "%s values differ",
		    t == 'N'	 ? "number" :
			t == 'B' ? "binary" :
				   "string");
	free(va.p);
	free(vb.p);
	return r;
}

/* A map of attribute values (an item, or an M). */
static int
map_cmp(struct cmp *c, const struct jspan *a, const struct jspan *b)
{
	const char *pa, *pb, *end_a = a->p + a->len, *end_b = b->p + b->len;
	struct jspan ka, va, kb, vb;
	size_t na = 0, nb = 0, at = c->at;
	int ra, rb, r;

	pa = a->p;
	if (jscan_open(&pa, end_a, '{') == -1)
		return malformed(c, "a map");
	while ((ra = jscan_member(&pa, end_a, &ka, &va)) == 1) {
		na++;
		pb = b->p;
		if (jscan_open(&pb, end_b, '{') == -1)
			return malformed(c, "a map");
		while ((rb = jscan_member(&pb, end_b, &kb, &vb)) == 1)
			if (name_eq(&ka, &kb))
				break;
		if (rb == -1)
			return malformed(c, "a map");
		path_push_name(c, &ka);
		if (rb == 0)
			return differ(c, "%s", "missing in destination");
		if ((r = av_cmp(c, &va, &vb)) != 0)
			return r;
		path_pop(c, at);
	}
	if (ra == -1)
		return malformed(c, "a map");
	pb = b->p;
	if (jscan_open(&pb, end_b, '{') == -1)
		return malformed(c, "a map");
	while ((rb = jscan_member(&pb, end_b, &kb, &vb)) == 1)
		nb++;
	if (rb == -1)
		return malformed(c, "a map");
	if (na == nb)
		return 0;
	/* b has a member that a lacks: name it. */
	pb = b->p;
	jscan_open(&pb, end_b, '{');
	while (jscan_member(&pb, end_b, &kb, &vb) == 1) {
		pa = a->p;
		jscan_open(&pa, end_a, '{');
		while ((ra = jscan_member(&pa, end_a, &ka, &va)) == 1)
			if (name_eq(&ka, &kb))
				break;
		if (ra == 0) {
			path_push_name(c, &kb);
			return differ(c, "%s", "missing in source");
		}
	}
	return differ(c, "%s", "a name appears twice");
}

static int
list_cmp(struct cmp *c, const struct jspan *a, const struct jspan *b)
{
	const char *pa = a->p, *pb = b->p;
	const char *end_a = a->p + a->len, *end_b = b->p + b->len;
	struct jspan ea, eb;
	size_t at = c->at;
	char idx[32];
	int ra, rb, r;

	if (jscan_open(&pa, end_a, '[') == -1 ||
	    jscan_open(&pb, end_b, '[') == -1)
		return malformed(c, "a list");
	for (size_t i = 0;; i++) {
		ra = jscan_element(&pa, end_a, &ea);
		rb = jscan_element(&pb, end_b, &eb);
		if (ra == -1 || rb == -1)
			return malformed(c, "a list");
		if (ra == 0 && rb == 0)
			return 0;
		snprintf(idx, sizeof(idx), "[%zu]", i);
		path_push(c, "", idx, strlen(idx));
		if (ra == 0 || rb == 0)
			return differ(c, "missing in %s",
			    ra == 0 ? "source" : "destination");
		if ((r = av_cmp(c, &ea, &eb)) != 0)
			return r;
		path_pop(c, at);
	}
}

/* An attribute value: {"T": v}, exactly one member. */
static int
av_split(const struct jspan *av, struct jspan *type, struct jspan *v)
{
	const char *p = av->p, *end = av->p + av->len;
	struct jspan k2, v2;

	if (jscan_open(&p, end, '{') == -1 ||
	    jscan_member(&p, end, type, v) != 1 ||
	    jscan_member(&p, end, &k2, &v2) != 0)
		return -1;
	return 0;
}

static int
av_cmp(struct cmp *c, const struct jspan *a, const struct jspan *b)
{
	struct jspan ta, va, tb, vb;
	char t0, t1;

	if (av_split(a, &ta, &va) == -1 || av_split(b, &tb, &vb) == -1)
		return malformed(c, "an attribute value");
	if (ta.len == 0 || ta.len > 4 || tb.len == 0 || tb.len > 4)
		return malformed(c, "an attribute type");
	if (ta.len != tb.len || memcmp(ta.p, tb.p, ta.len) != 0) {
		char types[16];

		snprintf(types, sizeof(types), "%.*s != %.*s", (int)ta.len,
		    ta.p, (int)tb.len, tb.p);
		return differ(c, "type %s", types);
	}
	t0 = ta.p[0];
	t1 = ta.len > 1 ? ta.p[1] : '\0';
	if (ta.len == 1 && (t0 == 'S' || t0 == 'N' || t0 == 'B'))
		return scalar_cmp(c, t0, &va, &vb);
	if (ta.len == 2 && t1 == 'S' && (t0 == 'S' || t0 == 'N' || t0 == 'B'))
		return set_cmp(c, t0, &va, &vb);
	if (jscan_eq(&ta, "M")) {
		if (va.len == vb.len && memcmp(va.p, vb.p, va.len) == 0)
			return 0;
		return map_cmp(c, &va, &vb);
	}
	if (jscan_eq(&ta, "L")) {
		if (va.len == vb.len && memcmp(va.p, vb.p, va.len) == 0)
			return 0;
		return list_cmp(c, &va, &vb);
	}
	if (jscan_eq(&ta, "BOOL") || jscan_eq(&ta, "NULL")) {
		if (va.len == vb.len && memcmp(va.p, vb.p, va.len) == 0)
			return 0;
		if ((va.len != 4 && va.len != 5) ||
		    (vb.len != 4 && vb.len != 5))
			return malformed(c, "a boolean");
		return differ(c, "%s values differ",
		    jscan_eq(&ta, "BOOL") ? "boolean" : "null");
	}
	return malformed(c, "an attribute type");
}

int
itemcmp(const struct jspan *a, const struct jspan *b, char *path,
    size_t pathlen, char *why, size_t whylen)
{
	struct cmp c;
	char nowhy[1];

	c.path = path;
	c.pathlen = pathlen;
	c.at = 0;
	c.why = why != NULL ? why : nowhy;
	c.whylen = why != NULL ? whylen : sizeof(nowhy);
	if (pathlen > 0)
		path[0] = '\0';
	if (whylen > 0 && why != NULL)
		why[0] = '\0';
	if (a->len == b->len && memcmp(a->p, b->p, a->len) == 0)
		return 0;
	return map_cmp(&c, a, b);
}

int
itemcmp_value(const struct jspan *a, const struct jspan *b)
{
	struct cmp c;
	char path[1], why[1];

	if (a->len == b->len && memcmp(a->p, b->p, a->len) == 0)
		return 0;
	c.path = path;
	c.pathlen = sizeof(path);
	c.at = 0;
	c.why = why;
	c.whylen = sizeof(why);
	return av_cmp(&c, a, b);
}
