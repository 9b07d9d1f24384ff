/* spool_append.c: the spool's append (group commit) and read-back rates. */
#include <sys/stat.h>

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "spool.h"
#include "xtime.h"

/*
 * usage: bench-spool-append [DIR [RECORDS [BYTES]]]
 * Appends RECORDS stream records of about BYTES of JSON each (4 shards
 * interleaved page by page, as the stream reader would) into a fresh
 * spool under DIR, committing (write + fdatasync) every N records or
 * every T ms, then reads them all back and parses them (what the applier
 * does before writing). One line per run: records/s, MB/s, commits/s.
 */

static int
rm_cb(const char *p, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(p);
}

/* A MODIFY record of about size bytes of JSON. */
static size_t
record(char *buf, size_t cap, unsigned long long seq, size_t size)
{
	char pad[8192];
	size_t padn = size > 300 ? size - 300 : 1;
	int n;

	if (padn >= sizeof(pad))
		padn = sizeof(pad) - 1;
	memset(pad, 'x', padn);
	pad[padn] = '\0';
	n = snprintf(buf, cap,
	    "{\"awsRegion\":\"us-east-1\",\"dynamodb\":{"
	    "\"ApproximateCreationDateTime\":1.7e9,\"Keys\":{\"pk\":{\"S\":"
	    "\"key-%llu\"}},\"NewImage\":{\"pk\":{\"S\":\"key-%llu\"},"
	    "\"n\":{\"N\":\"%llu\"},\"pad\":{\"S\":\"%s\"}},\"SequenceNumber\":"
	    "\"%llu\",\"SizeBytes\":%zu,\"StreamViewType\":\"NEW_IMAGE\"},"
	    "\"eventID\":\"e%llu\",\"eventName\":\"MODIFY\",\"eventSource\":"
	    "\"aws:dynamodb\",\"eventVersion\":\"1.1\"}",
	    seq % 100000, seq % 100000, seq, pad, seq, size, seq);
	return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

static int
run(const char *dir, unsigned long long nrec, size_t size,
    unsigned long long every_n, long long every_ms, int readback)
{
	static const char *const shards[] = { "shardId-00000001700000000000-aa",
		"shardId-00000001700000000000-bb",
		"shardId-00000001700000000000-cc",
		"shardId-00000001700000000000-dd" };
	struct spool_batch b;
	struct spool_stats st;
	struct spool *sp;
	struct ddb_record *recs;
	char err[512], *json, seq[32];
	unsigned long long i, got = 0, bytes = 0;
	int64_t t0, t1;
	size_t n = 0;
	int r;

	(void)nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	if ((sp = spool_open(dir, 1ULL << 40, NULL, err, sizeof(err))) ==
	    NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	/* Only the thresholds asked for decide. */
	spool_set_commit(sp, every_n ? every_n : (1ULL << 62), 1ULL << 62,
	    every_ms > 0 ? every_ms : (1LL << 62));
	json = malloc(size + 1024);
	t0 = clock_ms();
	for (i = 0; i < nrec; i++) {
		/* Pages of 100 records per shard, shards in turn. */
		const char *sh = shards[(i / 100) % 4];

		n = record(json, size + 1024, 1000000 + i, size);
		snprintf(seq, sizeof(seq), "%llu", 1000000 + i);
		if (spool_append(sp, sh, seq, strlen(seq), 1700000000000LL,
			json, n) != 1) {
			fprintf(stderr, "append: %s\n", spool_error(sp));
			return -1;
		}
		bytes += n;
		if (spool_commit_due(sp, clock_ms()) &&
		    spool_commit(sp, NULL, NULL) == -1) {
			fprintf(stderr, "commit: %s\n", spool_error(sp));
			return -1;
		}
	}
	if (spool_commit(sp, NULL, NULL) == -1)
		return -1;
	t1 = clock_ms();
	spool_stats(sp, &st);
	printf("append  commit every %6llu records / %5lld ms: %9.0f records/s "
	       "%7.1f MB/s  %6.0f commits/s  (%llu records of %zu B, %llu "
	       "commits, %.2f s)\n",
	    every_n, every_ms, nrec * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1),
	    bytes / 1e6 * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1),
	    st.commits * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1), nrec, n,
	    (unsigned long long)st.commits, (t1 - t0) / 1000.0);
	if (readback) {
		memset(&b, 0, sizeof(b));
		recs = calloc(4000, sizeof(*recs));
		t0 = clock_ms();
		while ((r = spool_read(sp, 4000, 16u << 20, &b)) > 0) {
			if (spool_batch_parse(&b, recs, NULL) == -1) {
				fprintf(stderr, "parse failed\n");
				return -1;
			}
			got += (unsigned long long)r;
		}
		t1 = clock_ms();
		printf("read back and parse (page cache warm): %9.0f records/s "
		       "%7.1f MB/s  (%llu records)\n",
		    got * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1),
		    bytes / 1e6 * 1000.0 / (double)(t1 - t0 ? t1 - t0 : 1),
		    got);
		spool_batch_free(&b);
		free(recs);
	}
	spool_close(sp);
	free(json);
	(void)nftw(dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
	return 0;
}

int
main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "build/bench-spool";
	unsigned long long nrec = argc > 2 ? strtoull(argv[2], NULL, 10) :
					     200000;
	size_t size = argc > 3 ? strtoul(argv[3], NULL, 10) : 1000;
	static const struct {
		unsigned long long n;
		long long ms;
	} modes[] = {
		{ 100, 0 },
		{ 1000, 0 },
		{ 4000, 0 },
		{ 0, 10 },
		{ 0, 100 },
		{ SPOOL_COMMIT_RECORDS, SPOOL_COMMIT_MS },
	};

	for (size_t i = 0; i < sizeof(modes) / sizeof(modes[0]); i++)
		if (run(dir, nrec, size, modes[i].n, modes[i].ms,
			i == sizeof(modes) / sizeof(modes[0]) - 1) == -1)
			return 1;
	return 0;
}
