/* hmap.h: a map from strings to pointers (open addressing, linear probing). */
#ifndef HMAP_H
#define HMAP_H

#include <stddef.h>

/*
 * Keys are borrowed: each must stay valid, unchanged, while it is in the
 * map. Lookups, inserts and deletes take constant time on average; the
 * table doubles when 3/4 full (and never shrinks: hmap_clear() frees it).
 */
struct hmap_ent {
	const char *key; /* NULL: free slot */
	void *val;
};

struct hmap {
	struct hmap_ent *v;
	size_t cap; /* 0 or a power of two */
	size_t n;
};

void hmap_init(struct hmap *);
void hmap_clear(struct hmap *);
/* The value of key, or NULL. */
void *hmap_get(const struct hmap *, const char *key);
/* Set key's value (replacing any); val must not be NULL. */
void hmap_put(struct hmap *, const char *key, void *val);
/* Remove key; its value, or NULL if it was absent. */
void *hmap_del(struct hmap *, const char *key);

#endif
