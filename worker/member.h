/* member.h: a pair's worker as one member of a fleet (docs/fleet.md). */
#ifndef MEMBER_H
#define MEMBER_H

#include <stddef.h>
#include <stdint.h>

struct worker;

/* The coordination table and this host, from the supervisor's flags. */
struct member_conf {
	char *table; /* NULL: one host, the state directory */
	char *region;
	char *role_arn;
	char *endpoint;
	int allow_insecure_http;
	char *host_id;
};

/*
 * What the backfill and the stream do when the fleet changes a lease.
 * Segments are indexes into the checkpoint's segments (which hold all of
 * the pair's), shards their ids. claimed: its checkpoint entry was loaded
 * from the lease, start it; lost: stop it at once, what is in flight
 * counts for nothing; drained: 1 when nothing of it is being read or
 * written (a shard: also that the stream has a reader for it, so it may
 * be claimed); shard_done: another host finished it.
 */
struct member_hooks {
	void (*claimed)(void *arg, size_t idx);
	void (*lost)(void *arg, size_t idx);
	int (*drained)(void *arg, size_t idx);
	void *arg;
};

struct member_shard_hooks {
	void (*claimed)(void *arg, const char *id);
	void (*lost)(void *arg, const char *id);
	int (*drained)(void *arg, const char *id);
	void (*done)(void *arg, const char *id);
	void *arg;
};

struct member;

/* Flags of the worker: 1 taken (with *consumed_next when val came from
 * the next argument), 0 not a fleet flag, -1 bad (said on stderr). */
int member_conf_flag(struct member_conf *, const char *name, const char *val);
void member_conf_clear(struct member_conf *);

/* The coordination client (w->member). 0, or -1 (worker_fail called). */
int member_open(struct worker *);
void member_free(struct worker *);

/*
 * The pair item (its total_segments agreed by the first host, its tables
 * compared with the plan), every segment's item, and the handoff time
 * recorded once: fills w->ckpt with all of the pair's segments and the
 * backfill start. A pair without a backfill: total_wanted 0, hooks NULL,
 * and the time recorded once is the stream's start. 0, 1 stopped, -1
 * (worker_fail called).
 */
int member_backfill_setup(struct worker *, uint32_t total_wanted,
    const struct member_hooks *);
/* Once per turn of the backfill's loop: rounds, claims, renewals,
 * checkpoints, releases. */
void member_tick(struct member *);
/* The coordination table is gone (worker_fail was called): stop. */
int member_failed(const struct member *);
/* Whether the backfill may read and write segment idx now. */
int member_seg_workable(const struct member *, size_t idx);
/* Whether a destination write for segment idx / shard id may be sent now
 * (held, before its deadline): the writer's fence. */
int member_seg_may_write(const struct member *, size_t idx);
int member_shard_may_write(const struct member *, const char *id);
/* Segment idx's checkpoint entry moved: write it to its lease. */
void member_seg_changed(struct member *, size_t idx);
/* 1 when every segment of the pair is done (on any host) and this host
 * holds none: the checkpoint's segments then hold the fleet's tally. */
int member_backfill_done(struct member *);
/*
 * The stream phase (hooks NULL: it ended). Shards are claimed only while
 * hooks are set, and only those the stream has a reader for.
 */
void member_stream_hooks(struct member *, const struct member_shard_hooks *);
/* New shards of a complete listing get their items, parents first. */
struct lineage_shard;
void member_add_shards(struct member *, const struct lineage_shard *, size_t n);
/* Whether the stream may read and apply shard id now. */
int member_shard_workable(const struct member *, const char *id);
/* Shard id's checkpoint entry moved (seq, done): write it to its lease. */
void member_shard_changed(struct member *, const char *id);
/* Stopping: the last checkpoint of every held lease, then release them
 * all (others take them over at once). */
void member_release_all(struct member *);

#endif
