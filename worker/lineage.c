/* lineage.c: which stream shards may be read, from what is known (pure). */
#include <stdlib.h>
#include <string.h>

#include "lineage.h"

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

static int
listed(const struct lineage_shard *l, size_t n, const char *id)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(l[i].id, id) == 0)
			return 1;
	return 0;
}

int
lineage_merge(struct checkpoint *ck, const struct lineage_shard *l, size_t n,
    size_t *added, size_t *pruned, const char **lost)
{
	size_t i, j;

	*added = *pruned = 0;
	*lost = NULL;
	for (i = 0; i < n; i++)
		for (j = i + 1; j < n; j++)
			if (strcmp(l[i].id, l[j].id) == 0)
				return -1;
	for (i = 0; i < ck->nshards; i++) {
		struct ckpt_shard *s = &ck->shards[i];

		if (!s->done && !listed(l, n, s->shard_id) && *lost == NULL)
			*lost = s->shard_id;
	}
	if (*lost != NULL)
		return 0;
	for (i = 0; i < ck->nshards;) {
		struct ckpt_shard *s = &ck->shards[i];

		if (s->done && !listed(l, n, s->shard_id)) {
			free(s->shard_id);
			free(s->parent_id);
			free(s->seq);
			memmove(s, s + 1, (ck->nshards - i - 1) * sizeof(*s));
			ck->nshards--;
			(*pruned)++;
			continue;
		}
		i++;
	}
	for (i = 0; i < n; i++) {
		if (checkpoint_shard(ck, l[i].id) != NULL)
			continue;
		if (checkpoint_add_shard(ck, l[i].id, l[i].parent) == NULL)
			return -1;
		(*added)++;
	}
	return 0;
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
