/* hmap.c: a map from strings to pointers (open addressing, linear probing). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "xmalloc.h"

/* FNV-1a: short keys (shard ids), no adversary to fear. */
static size_t
hash(const char *s)
{
	uint64_t h = 14695981039346656037ULL;

	for (; *s != '\0'; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 32));
}

void
hmap_init(struct hmap *m)
{
	memset(m, 0, sizeof(*m));
}

void
hmap_clear(struct hmap *m)
{
	free(m->v);
	hmap_init(m);
}

/* The slot of key, or the free slot where it would go. */
static size_t
slot(const struct hmap *m, const char *key)
{
	size_t i = hash(key) & (m->cap - 1);

	while (m->v[i].key != NULL && strcmp(m->v[i].key, key) != 0)
		i = (i + 1) & (m->cap - 1);
	return i;
}

void *
hmap_get(const struct hmap *m, const char *key)
{
	size_t i;

	if (m->n == 0)
		return NULL;
	i = slot(m, key);
	return m->v[i].key != NULL ? m->v[i].val : NULL;
}

static void
grow(struct hmap *m)
{
	struct hmap_ent *old = m->v;
	size_t oldcap = m->cap;

	m->cap = oldcap ? oldcap * 2 : 16;
	m->v = xcalloc(m->cap, sizeof(*m->v));
	for (size_t i = 0; i < oldcap; i++)
		if (old[i].key != NULL)
			m->v[slot(m, old[i].key)] = old[i];
	free(old);
}

void
hmap_put(struct hmap *m, const char *key, void *val)
{
	size_t i;

	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	i = slot(m, key);
	if (m->v[i].key == NULL)
		m->n++;
	m->v[i].key = key;
	m->v[i].val = val;
}

void *
hmap_del(struct hmap *m, const char *key)
{
	size_t i, j, k;
	void *val;

	if (m->n == 0)
		return NULL;
	i = slot(m, key);
	if (m->v[i].key == NULL)
		return NULL;
	val = m->v[i].val;
	/* Backward shift: move up the entries whose probe passed slot i. */
	for (j = i;;) {
		j = (j + 1) & (m->cap - 1);
		if (m->v[j].key == NULL)
			break;
		k = hash(m->v[j].key) & (m->cap - 1);
		if ((j > i && (k <= i || k > j)) ||
		    (j < i && k <= i && k > j)) {
			m->v[i] = m->v[j];
			i = j;
		}
	}
	m->v[i].key = NULL;
	m->v[i].val = NULL;
	m->n--;
	return val;
}
