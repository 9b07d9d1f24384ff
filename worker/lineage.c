/* lineage.c: which stream shards may be read, from what is known (pure). */
#include <stdlib.h>
#include <string.h>

#include "hmap.h"
#include "lineage.h"
#include "xmalloc.h"

int
lineage_ready(struct checkpoint *ck, const struct ckpt_shard *s)
{
	struct ckpt_shard *p;

	if (s->done)
		return 0;
	if (s->parent_id == NULL)
		return 1;
	p = checkpoint_shard(ck, s->parent_id);
	return p == NULL || p->done;
}

int
lineage_ready_read(struct checkpoint *ck, const struct ckpt_shard *s)
{
	struct ckpt_shard *p;

	if (s->done || s->read_all)
		return 0;
	if (s->parent_id == NULL)
		return 1;
	p = checkpoint_shard(ck, s->parent_id);
	return p == NULL || p->done || p->read_all;
}

/* The listing by id; the id listed twice if any. */
static const char *
index_listing(struct hmap *m, const struct lineage_shard *l, size_t n)
{
	hmap_init(m);
	for (size_t i = 0; i < n; i++) {
		if (hmap_get(m, l[i].id) != NULL)
			return l[i].id;
		hmap_put(m, l[i].id, (void *)(uintptr_t)(i + 1));
	}
	return NULL;
}

static int
same_parent(const char *a, const char *b)
{
	return a == NULL ? b == NULL : b != NULL && strcmp(a, b) == 0;
}

int
lineage_check(const struct checkpoint *ck, const struct lineage_shard *l,
    size_t n, int first, const char **bad)
{
	struct checkpoint *mck = (struct checkpoint *)(uintptr_t)ck;
	struct hmap m;
	int rc = 0;

	*bad = NULL;
	if ((*bad = index_listing(&m, l, n)) != NULL) {
		hmap_clear(&m);
		return LINEAGE_DUPLICATE;
	}
	for (size_t i = 0; i < n && rc == 0; i++) {
		const struct ckpt_shard *c = checkpoint_shard(mck, l[i].id);

		if (c != NULL && c->done)
			continue; /* its parent no longer matters */
		/* A shard's parent never changes on AWS. If it does, the
		 * new one must be known: lineage_merge() adopts it. */
		if (c != NULL && !same_parent(c->parent_id, l[i].parent)) {
			if (l[i].parent == NULL ||
			    (hmap_get(&m, l[i].parent) == NULL &&
				checkpoint_shard(mck, l[i].parent) == NULL)) {
				*bad = l[i].id;
				rc = LINEAGE_PARENT_CHANGED;
				break;
			}
			continue;
		}
		if (l[i].parent == NULL || hmap_get(&m, l[i].parent) != NULL ||
		    checkpoint_shard(mck, l[i].parent) != NULL)
			continue;
		/* A parent ages out a day after it closed, so an open child
		 * (hours old at most) or one born since the last listing
		 * cannot have lost its parent that way. */
		if (l[i].open || (!first && c == NULL)) {
			*bad = l[i].id;
			rc = LINEAGE_UNKNOWN_PARENT;
		}
	}
	hmap_clear(&m);
	return rc;
}

static int
drop_aged_out(const struct ckpt_shard *s, void *arg)
{
	return s->done && hmap_get(arg, s->shard_id) == NULL;
}

int
lineage_merge(struct checkpoint *ck, const struct lineage_shard *l, size_t n,
    size_t *added, size_t *pruned, const char **lost)
{
	struct hmap m;
	size_t i;

	*added = *pruned = 0;
	*lost = NULL;
	if (index_listing(&m, l, n) != NULL) {
		hmap_clear(&m);
		return -1;
	}
	for (i = 0; i < ck->nshards && *lost == NULL; i++)
		if (!ck->shards[i].done && !ck->shards[i].read_all &&
		    hmap_get(&m, ck->shards[i].shard_id) == NULL)
			*lost = ck->shards[i].shard_id;
	if (*lost == NULL)
		*pruned = checkpoint_drop_shards(ck, drop_aged_out, &m);
	hmap_clear(&m);
	if (*lost != NULL)
		return 0;
	for (i = 0; i < n; i++) {
		struct ckpt_shard *c = checkpoint_shard(ck, l[i].id);

		if (c != NULL) {
			/* A changed parent (lineage_check() let it in). */
			if (!c->done && l[i].parent != NULL &&
			    !same_parent(c->parent_id, l[i].parent)) {
				free(c->parent_id);
				c->parent_id = xstrdup(l[i].parent);
			}
			continue;
		}
		if (checkpoint_add_shard(ck, l[i].id, l[i].parent) == NULL)
			return -1;
		(*added)++;
	}
	return 0;
}

int
lineage_trim_gap(int64_t oldest_ms, int64_t server_now_ms, int64_t retention_ms,
    int64_t handoff_ms)
{
	int64_t horizon = server_now_ms - retention_ms;
	int64_t lost_before = oldest_ms < horizon ? oldest_ms : horizon;

	return lost_before > handoff_ms;
}

int64_t
lineage_created_max_ms(double created_s)
{
	return (int64_t)(created_s * 1000.0) + 1000;
}

int
lineage_before_handoff(double created_s, int64_t handoff_ms)
{
	return lineage_created_max_ms(created_s) <= handoff_ms;
}

void
lineage_counts(const struct checkpoint *ck, unsigned *done, unsigned *total)
{
	*done = 0;
	*total = (unsigned)ck->nshards;
	for (size_t i = 0; i < ck->nshards; i++)
		if (ck->shards[i].done)
			(*done)++;
}
