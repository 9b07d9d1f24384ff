/* ddb-sync-leasebody: print one of lease.c's request bodies (for scenarios). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "lease.h"

/*
 * The scenarios send these with ddb-sync-call to DynamoDB Local, so the
 * expressions of the fleet's conditional writes are checked by AWS's own
 * emulator (placeholders, reserved words, conditions), not only by the
 * unit tests' in-memory table.
 *
 *   ddb-sync-leasebody TABLE pair PAIR TOTAL
 *   ddb-sync-leasebody TABLE segment PAIR N
 *   ddb-sync-leasebody TABLE shard PAIR ID [PARENT_UNIT]
 *   ddb-sync-leasebody TABLE claim PAIR UNIT ME SEEN
 *   ddb-sync-leasebody TABLE renew|release PAIR UNIT ME TENURE [NEXT]
 *   ddb-sync-leasebody TABLE checkpoint PAIR UNIT ME TENURE ITEMS KEY|- DONE
 *   ddb-sync-leasebody TABLE handoff PAIR UNIT ME OWNER TENURE
 *   ddb-sync-leasebody TABLE start PAIR MS
 *   ddb-sync-leasebody TABLE stop PAIR 0|1
 *   ddb-sync-leasebody TABLE create
 */

static __attribute__((noreturn)) void
usage(void)
{
	fprintf(stderr,
	    "usage: ddb-sync-leasebody TABLE OP ARGS... "
	    "(see the source)\n");
	exit(2);
}

static uint64_t
num(const char *s)
{
	return strtoull(s, NULL, 10);
}

int
main(int argc, char **argv)
{
	struct lease_op op;
	struct buf b;
	char unit[128];
	const char *t, *what;
	int r = -1;

	if (argc < 3)
		usage();
	t = argv[1];
	what = argv[2];
	buf_init(&b, 0);
	memset(&op, 0, sizeof(op));
	op.wall_ms = 1700000000000;
	op.lease_ms = LEASE_DURATION_MS;
	if (strcmp(what, "create") == 0)
		r = lease_create_table_body(&b, t);
	else if (argc < 5)
		usage();
	else if (strcmp(what, "pair") == 0)
		r = lease_put_pair_body(&b, t, argv[3], (uint32_t)num(argv[4]),
		    1, 1, "src@us-east-1", "dst@us-east-1");
	else if (strcmp(what, "segment") == 0) {
		lease_unit_segment(unit, sizeof(unit), (uint32_t)num(argv[4]));
		r = lease_put_unit_body(&b, t, argv[3], unit, LEASE_SEGMENT,
		    (uint32_t)num(argv[4]), NULL, NULL);
	} else if (strcmp(what, "shard") == 0) {
		lease_unit_shard(unit, sizeof(unit), argv[4]);
		r = lease_put_unit_body(&b, t, argv[3], unit, LEASE_SHARD, 0,
		    argv[4], argc > 5 ? argv[5] : NULL);
	} else if (strcmp(what, "start") == 0)
		r = lease_backfill_start_body(&b, t, argv[3],
		    (int64_t)num(argv[4]));
	else if (strcmp(what, "stop") == 0)
		r = lease_stop_body(&b, t, argv[3], (int)num(argv[4]));
	else {
		if (argc < 7)
			usage();
		op.pair = argv[3];
		op.unit = argv[4];
		op.me = argv[5];
		if (strcmp(what, "claim") == 0) {
			op.kind = LEASE_OP_CLAIM;
			op.seen = num(argv[6]);
		} else if (strcmp(what, "renew") == 0 ||
		    strcmp(what, "release") == 0) {
			op.kind = strcmp(what, "renew") == 0 ? LEASE_OP_RENEW :
							       LEASE_OP_RELEASE;
			op.tenure = num(argv[6]);
			if (argc > 7)
				op.next = argv[7];
		} else if (strcmp(what, "checkpoint") == 0 && argc == 10) {
			op.kind = LEASE_OP_CHECKPOINT;
			op.tenure = num(argv[6]);
			op.items = num(argv[7]);
			if (strcmp(argv[8], "-") != 0)
				op.last_key = argv[8];
			op.done = (int)num(argv[9]);
		} else if (strcmp(what, "handoff") == 0 && argc == 8) {
			op.kind = LEASE_OP_HANDOFF;
			op.owner = argv[6];
			op.tenure = num(argv[7]);
		} else
			usage();
		r = lease_op_body(&b, t, &op);
	}
	if (r == -1)
		usage();
	puts(b.data);
	buf_free(&b);
	return 0;
}
