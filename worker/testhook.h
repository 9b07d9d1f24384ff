/* testhook.h: named crash points for tests (DDB_SYNC_CRASH_AT). */
#ifndef TESTHOOK_H
#define TESTHOOK_H

/*
 * Tests set DDB_SYNC_CRASH_AT=<point>, DDB_SYNC_CRASH_AFTER=<n> (default 1)
 * and DDB_SYNC_CRASH_FILE=<path>: the nth time the worker passes <point>
 * it kills itself with SIGKILL, once per file (the file is created first,
 * so a restarted worker does not crash again). Points: scan-page,
 * batch-acked, before-rename (inside a checkpoint write), stream-applied,
 * shard-done, shard-transition (a parent done and saved, its child about
 * to start), spool-committed (records durable in the spool, the
 * checkpoint not told yet), spool-applied (a batch from the spool written,
 * its positions not saved yet). Unset: a cheap no-op.
 */
void testhook_init(void);
void testhook(const char *point);
/* Whether point is the one armed (to prepare the state it tests). */
int testhook_armed(const char *point);

#endif
