/* spool.c: append-only, CRC-framed segment files of stream records. */
#include <sys/stat.h>
#include <sys/statvfs.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "atomicfile.h"
#include "log.h"
#include "spool.h"
#include "xmalloc.h"
#include "xtime.h"

/*
 * Segment file: a 32-byte header, then frames (docs/checkpoint-format.md).
 *   header: "DDBSPOOL", le32 version, le32 CRC of the header (with this
 *           field zero), le64 segment number, le64 creation time (ms)
 *   frame:  le32 len (bytes after the 12-byte frame header), le32 CRC-32
 *           of the len field and of every byte after the CRC, u8 type,
 *           u8 shard length, u8 seq length, u8 0, then the body
 *   'R' record: le64 ApproximateCreationDateTime (ms), shard, seq, JSON
 *   'C' commit mark: le64 offset up to which this segment was fdatasync'd
 *           before the mark was written
 * A commit mark only vouches for bytes already durable when it was
 * written, so a torn write, whatever order its pages reached the disk in,
 * can never make an unsynced frame look committed.
 */

#define SP_MAGIC      "DDBSPOOL"
#define SP_VERSION    1
#define SP_HDR	      32u
#define SP_FHDR	      12u
#define SP_REC_MIN    (8u + 1 + 1 + 2) /* created, shard, seq, "{}" */
#define SP_BODY_MAX   (8u + SPOOL_SHARD_MAX + SPOOL_SEQ_MAX + SPOOL_RECORD_MAX)
#define SP_MARK_LEN   8u
#define SP_NAME_LEN   20 /* 16 hex digits + ".seg" */
#define SP_SCAN_CHUNK (1u << 20)

struct sp_shard {
	char *id;
	size_t idlen;
	char last[SPOOL_SEQ_MAX + 1]; /* appended */
	char durable[SPOOL_SEQ_MAX + 1];
	char released[SPOOL_SEQ_MAX + 1];
	int64_t last_created;
	int moved;	    /* appended since the last commit */
	uint64_t sum_segno; /* segment of its sum entry */
	size_t sum_idx;
};

/* A shard's last record in a segment: the segment can go once it is
 * released. */
struct sp_sum {
	size_t shard;
	char seq[SPOOL_SEQ_MAX + 1];
};

struct sp_seg {
	uint64_t no;
	uint64_t size;	  /* written to the file */
	uint64_t durable; /* fdatasync'd */
	uint64_t records;
	int64_t oldest_ms; /* 0: no record */
	int created;	   /* the file exists */
	struct sp_sum *sum;
	size_t nsum;
	size_t sumcap;
};

struct spool {
	char *dir;
	int dirfd;
	uint64_t max_bytes;
	uint64_t seg_bytes;
	uint64_t bytes; /* files plus the write buffer */

	struct sp_shard *shards;
	size_t nshards;
	size_t shcap;
	size_t hit; /* last shard looked up */

	struct sp_seg *segs; /* oldest first; the last is written */
	size_t nsegs;
	size_t segcap;

	uint64_t next_no; /* after the last segment deleted, 0: 1 */
	int wfd;	  /* the last segment, for writing */
	int in_commit;	  /* records appended, not committed */
	int new_file;	  /* created in this commit */
	char *wbuf;
	size_t wlen;
	size_t wcap;
	uint64_t pend_records;
	uint64_t pend_bytes;
	int64_t pend_since_ms;
	uint64_t commit_records;
	uint64_t commit_bytes;
	int64_t commit_ms;

	size_t rseg; /* reader: segment index, offset */
	uint64_t roff;
	int rfd;
	uint64_t rfd_no;

	struct spool_stats st;
	int failed;
	char err[512];
};

static void sp_err(struct spool *, const char *, ...)
    __attribute__((format(printf, 2, 3)));

static void
sp_err(struct spool *sp, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(sp->err, sizeof(sp->err), fmt, ap);
	va_end(ap);
}

static void
le32_put(unsigned char *p, uint32_t v)
{
	p[0] = (unsigned char)v;
	p[1] = (unsigned char)(v >> 8);
	p[2] = (unsigned char)(v >> 16);
	p[3] = (unsigned char)(v >> 24);
}

static void
le64_put(unsigned char *p, uint64_t v)
{
	le32_put(p, (uint32_t)v);
	le32_put(p + 4, (uint32_t)(v >> 32));
}

static uint32_t
le32_get(const unsigned char *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[3] << 24;
}

static uint64_t
le64_get(const unsigned char *p)
{
	return (uint64_t)le32_get(p) | (uint64_t)le32_get(p + 4) << 32;
}

/* The frame's CRC: its len field, then everything after the CRC. */
static uint32_t
frame_crc(const unsigned char *f, uint32_t len)
{
	uLong c = crc32(0L, Z_NULL, 0);

	c = crc32(c, f, 4);
	c = crc32(c, f + 8, (uInt)(4 + len));
	return (uint32_t)c;
}

static uint32_t
header_crc(const unsigned char *h)
{
	unsigned char tmp[SP_HDR];

	memcpy(tmp, h, SP_HDR);
	memset(tmp + 12, 0, 4);
	return (uint32_t)crc32(crc32(0L, Z_NULL, 0), tmp, SP_HDR);
}

static void
seg_name(uint64_t no, char *buf, size_t len)
{
	snprintf(buf, len, "%016" PRIx64 ".seg", no);
}

int
spool_seq_cmp(const char *a, size_t alen, const char *b, size_t blen)
{
	int r;

	while (alen > 1 && *a == '0') {
		a++;
		alen--;
	}
	while (blen > 1 && *b == '0') {
		b++;
		blen--;
	}
	if (alen != blen)
		return alen < blen ? -1 : 1;
	r = memcmp(a, b, alen);
	return r < 0 ? -1 : r > 0;
}

static int
seq_valid(const char *s, size_t len)
{
	if (len == 0 || len > SPOOL_SEQ_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

static int
shard_valid(const char *s, size_t len)
{
	if (len == 0 || len > SPOOL_SHARD_MAX)
		return 0;
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)s[i] <= 0x20 || (unsigned char)s[i] >= 0x7f)
			return 0;
	return 1;
}

/* A seq held in a NUL-terminated field. */
static int
seq_le(const char *seq, size_t len, const char *field)
{
	return field[0] != '\0' &&
	    spool_seq_cmp(seq, len, field, strlen(field)) <= 0;
}

static void
seq_set(char *field, const char *seq, size_t len)
{
	memcpy(field, seq, len);
	field[len] = '\0';
}

/* A shard's entry, added if new; (size_t)-1 if the id is not valid. */
static size_t
shard_find(struct spool *sp, const char *id, size_t len, int add)
{
	struct sp_shard *s;
	size_t i;

	if (sp->hit < sp->nshards && sp->shards[sp->hit].idlen == len &&
	    memcmp(sp->shards[sp->hit].id, id, len) == 0)
		return sp->hit;
	for (i = 0; i < sp->nshards; i++)
		if (sp->shards[i].idlen == len &&
		    memcmp(sp->shards[i].id, id, len) == 0)
			return sp->hit = i;
	if (!add || !shard_valid(id, len))
		return (size_t)-1;
	if (sp->nshards == sp->shcap) {
		sp->shcap = sp->shcap ? sp->shcap * 2 : 16;
		sp->shards = xrealloc(sp->shards,
		    sp->shcap * sizeof(*sp->shards));
	}
	s = &sp->shards[sp->nshards];
	memset(s, 0, sizeof(*s));
	s->id = xmalloc(len + 1);
	memcpy(s->id, id, len);
	s->id[len] = '\0';
	s->idlen = len;
	s->sum_segno = UINT64_MAX;
	return sp->hit = sp->nshards++;
}

/* Note a shard's record in a segment (its last seq there). */
static void
seg_note(struct sp_seg *g, struct sp_shard *s, size_t si, const char *seq,
    size_t seqlen, int64_t created_ms)
{
	struct sp_sum *m;

	if (s->sum_segno != g->no) {
		if (g->nsum == g->sumcap) {
			g->sumcap = g->sumcap ? g->sumcap * 2 : 8;
			g->sum = xrealloc(g->sum, g->sumcap * sizeof(*g->sum));
		}
		s->sum_segno = g->no;
		s->sum_idx = g->nsum;
		g->sum[g->nsum++].shard = si;
	}
	m = &g->sum[s->sum_idx];
	seq_set(m->seq, seq, seqlen);
	g->records++;
	if (created_ms > 0 && (g->oldest_ms == 0 || created_ms < g->oldest_ms))
		g->oldest_ms = created_ms;
}

static struct sp_seg *
seg_push(struct spool *sp, uint64_t no)
{
	struct sp_seg *g;

	if (sp->nsegs == sp->segcap) {
		sp->segcap = sp->segcap ? sp->segcap * 2 : 16;
		sp->segs = xrealloc(sp->segs, sp->segcap * sizeof(*sp->segs));
	}
	g = &sp->segs[sp->nsegs++];
	memset(g, 0, sizeof(*g));
	g->no = no;
	return g;
}

/* ------------------------------------------------------------------------
 * Recovery
 */

/* Bytes [off, off + n) of a file, through a window buffer. */
struct sp_scan {
	int fd;
	uint64_t fsize;
	unsigned char *buf;
	size_t cap;
	uint64_t boff; /* file offset of buf[0] */
	size_t blen;
};

static int
pread_all(int fd, void *buf, size_t n, uint64_t off)
{
	char *p = buf;
	ssize_t r;

	while (n > 0) {
		if ((r = pread(fd, p, n, (off_t)off)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0) {
			errno = EIO; /* shorter than it was */
			return -1;
		}
		p += r;
		n -= (size_t)r;
		off += (uint64_t)r;
	}
	return 0;
}

/* A pointer to n bytes at off, or NULL if the file ends before (errno 0)
 * or on a read error (errno set). */
static const unsigned char *
scan_at(struct sp_scan *sc, uint64_t off, size_t n)
{
	size_t want;

	errno = 0;
	if (off + n > sc->fsize)
		return NULL;
	if (off >= sc->boff && off + n <= sc->boff + sc->blen)
		return sc->buf + (off - sc->boff);
	want = n > SP_SCAN_CHUNK ? n : SP_SCAN_CHUNK;
	if (want > sc->fsize - off)
		want = (size_t)(sc->fsize - off);
	if (want > sc->cap) {
		sc->buf = xrealloc(sc->buf, want);
		sc->cap = want;
	}
	sc->blen = 0;
	if (pread_all(sc->fd, sc->buf, want, off) == -1)
		return NULL;
	sc->boff = off;
	sc->blen = want;
	return sc->buf;
}

enum fr_check {
	FR_OK = 0,
	FR_SHORT,  /* the file ends inside it */
	FR_BADLEN, /* its length cannot be a frame's */
	FR_BADCRC,
	FR_BADBODY, /* CRC right, contents wrong: never torn */
	FR_IO,
};

static const char *const fr_why[] = { "ok", "frame cut short",
	"impossible frame length", "bad CRC", "malformed frame", "read error" };

struct sp_frame {
	int type;
	uint32_t len; /* body */
	const unsigned char *body;
	uint64_t mark;	    /* 'C' */
	int64_t created_ms; /* 'R' */
	const char *shard;
	size_t shardlen;
	const char *seq;
	size_t seqlen;
	const char *json;
	size_t jsonlen;
};

/* Check a whole frame held in f (avail bytes from its start). */
static enum fr_check
frame_check(const unsigned char *f, size_t avail, struct sp_frame *fr)
{
	uint32_t len;
	size_t sl, ql;

	if (avail < SP_FHDR)
		return FR_SHORT;
	len = le32_get(f);
	if (len < SP_MARK_LEN || len > SP_BODY_MAX)
		return FR_BADLEN;
	if (avail - SP_FHDR < len)
		return FR_SHORT;
	if (frame_crc(f, len) != le32_get(f + 4))
		return FR_BADCRC;
	memset(fr, 0, sizeof(*fr));
	fr->type = f[8];
	fr->len = len;
	fr->body = f + SP_FHDR;
	if (fr->type == 'C') {
		if (len != SP_MARK_LEN || f[9] || f[10] || f[11])
			return FR_BADBODY;
		fr->mark = le64_get(fr->body);
		return FR_OK;
	}
	sl = f[9];
	ql = f[10];
	if (fr->type != 'R' || f[11] != 0 || len < SP_REC_MIN ||
	    (size_t)len - 8 < sl + ql + 2)
		return FR_BADBODY;
	fr->created_ms = (int64_t)le64_get(fr->body);
	fr->shard = (const char *)fr->body + 8;
	fr->shardlen = sl;
	fr->seq = fr->shard + sl;
	fr->seqlen = ql;
	fr->json = fr->seq + ql;
	fr->jsonlen = len - 8 - sl - ql;
	if (!shard_valid(fr->shard, sl) || !seq_valid(fr->seq, ql) ||
	    fr->json[0] != '{' || fr->jsonlen > SPOOL_RECORD_MAX)
		return FR_BADBODY;
	return FR_OK;
}

/* The frame at off of a scanned file. */
static enum fr_check
scan_frame(struct sp_scan *sc, uint64_t off, struct sp_frame *fr)
{
	const unsigned char *f;
	uint32_t len;

	if ((f = scan_at(sc, off, SP_FHDR)) == NULL)
		return errno ? FR_IO : FR_SHORT;
	len = le32_get(f);
	if (len < SP_MARK_LEN || len > SP_BODY_MAX)
		return FR_BADLEN;
	if ((f = scan_at(sc, off, SP_FHDR + len)) == NULL)
		return errno ? FR_IO : FR_SHORT;
	return frame_check(f, SP_FHDR + len, fr);
}

/* After a bad frame at bad: a valid commit mark further on that vouches
 * for bytes past bad proves them committed. Its offset, or 0. */
static uint64_t
scan_later_mark(struct sp_scan *sc, uint64_t bad)
{
	const unsigned char *f;
	struct sp_frame fr;

	for (uint64_t q = bad + 1; q + SP_FHDR + SP_MARK_LEN <= sc->fsize;
	     q++) {
		if ((f = scan_at(sc, q, SP_FHDR + SP_MARK_LEN)) == NULL)
			return 0;
		if (le32_get(f) != SP_MARK_LEN || f[8] != 'C')
			continue;
		if (frame_check(f, SP_FHDR + SP_MARK_LEN, &fr) == FR_OK &&
		    fr.mark > bad && fr.mark <= q)
			return q;
	}
	return 0;
}

static int
open_seg(struct spool *sp, uint64_t no, int flags, mode_t mode)
{
	char name[32];

	seg_name(no, name, sizeof(name));
	return openat(sp->dirfd, name,
	    flags | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK, mode);
}

/* Cut a torn tail off the last segment. */
static int
seg_cut(struct spool *sp, struct sp_seg *g, uint64_t at, uint64_t fsize,
    enum fr_check why, struct spool_recovery *rec)
{
	char name[32];
	int fd, r;

	seg_name(g->no, name, sizeof(name));
	if ((fd = open_seg(sp, g->no, O_WRONLY, 0)) == -1)
		goto fail;
	if (ftruncate(fd, (off_t)at) == -1) {
		(void)close(fd);
		goto fail;
	}
	while ((r = fdatasync(fd)) == -1 && errno == EINTR)
		;
	(void)close(fd);
	if (r == -1)
		goto fail;
	rec->cut_bytes += fsize - at;
	rec->cut_offset = at;
	strlcpy(rec->cut_file, name, sizeof(rec->cut_file));
	strlcpy(rec->cut_why, fr_why[why], sizeof(rec->cut_why));
	log_warnx("spool: %s: cut %" PRIu64 " bytes of a torn tail at offset "
		  "%" PRIu64
		  " (%s); those records are read again from the stream",
	    name, fsize - at, at, fr_why[why]);
	return 0;
fail:
	sp_err(sp,
	    "spool %s, segment %s: cannot cut its torn tail at offset %" PRIu64
	    ": %s",
	    sp->dir, name, at, strerror(errno));
	return -1;
}

/*
 * Read one segment and note its records. last: the segment written last,
 * whose tail may be torn. Returns 0, 1 if the segment was removed (a last
 * one without a complete header), -1 on corruption or I/O (sp->err).
 */
static int
seg_recover(struct spool *sp, struct sp_seg *g, int last,
    struct spool_recovery *rec)
{
	struct sp_scan sc;
	struct sp_frame fr;
	struct stat st;
	const unsigned char *h;
	enum fr_check c;
	char name[32];
	uint64_t off, marked = SP_HDR, q = 0;
	int ret = -1;

	memset(&sc, 0, sizeof(sc));
	seg_name(g->no, name, sizeof(name));
	if ((sc.fd = open_seg(sp, g->no, O_RDONLY, 0)) == -1) {
		sp_err(sp, "spool %s, segment %s: %s", sp->dir, name,
		    strerror(errno));
		return -1;
	}
	if (fstat(sc.fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		sp_err(sp, "spool %s, segment %s: not a regular file", sp->dir,
		    name);
		goto out;
	}
	sc.fsize = (uint64_t)st.st_size;
	h = scan_at(&sc, 0, SP_HDR);
	if (h == NULL && errno != 0) {
		sp_err(sp, "spool %s, segment %s: %s", sp->dir, name,
		    strerror(errno));
		goto out;
	}
	if (h != NULL && memcmp(h, SP_MAGIC, 8) == 0 &&
	    header_crc(h) == le32_get(h + 12) &&
	    (le32_get(h + 8) != SP_VERSION || le64_get(h + 16) != g->no)) {
		sp_err(sp,
		    "spool %s, segment %s: a segment of version %u numbered %" PRIu64
		    ": not one this ddb-sync can read here",
		    sp->dir, name, le32_get(h + 8), le64_get(h + 16));
		goto out;
	}
	if (h == NULL || memcmp(h, SP_MAGIC, 8) != 0 ||
	    header_crc(h) != le32_get(h + 12)) {
		/*
		 * The header goes out with the segment's first commit, which
		 * has no commit mark: a last segment with a torn header holds
		 * nothing committed unless a later mark says otherwise.
		 */
		if (!last || (q = scan_later_mark(&sc, 0)) != 0) {
			sp_err(sp,
			    "spool %s, segment %s: bad segment header: refusing "
			    "to guess; move the spool directory away to read "
			    "the stream again from the checkpoint",
			    sp->dir, name);
			goto out;
		}
		if (unlinkat(sp->dirfd, name, 0) == -1) {
			sp_err(sp, "spool %s, segment %s: %s", sp->dir, name,
			    strerror(errno));
			goto out;
		}
		rec->cut_bytes += sc.fsize;
		rec->cut_offset = 0;
		strlcpy(rec->cut_file, name, sizeof(rec->cut_file));
		strlcpy(rec->cut_why, "segment header cut short",
		    sizeof(rec->cut_why));
		log_warnx("spool: %s: removed a new segment whose header is "
			  "incomplete (%" PRIu64
			  " bytes); its records are read "
			  "again from the stream",
		    name, sc.fsize);
		ret = 1;
		goto out;
	}
	for (off = SP_HDR; off < sc.fsize; off += SP_FHDR + fr.len) {
		c = scan_frame(&sc, off, &fr);
		if (c == FR_IO) {
			sp_err(sp,
			    "spool %s, segment %s: read error at offset %" PRIu64
			    ": %s",
			    sp->dir, name, off, strerror(errno));
			goto out;
		}
		if (c == FR_OK && fr.type == 'C') {
			if (fr.mark < SP_HDR || fr.mark > off) {
				c = FR_BADBODY;
			} else {
				if (fr.mark > marked)
					marked = fr.mark;
				continue;
			}
		}
		if (c == FR_OK) {
			size_t si = shard_find(sp, fr.shard, fr.shardlen, 1);
			struct sp_shard *s = &sp->shards[si];

			/* Within a shard, strictly rising. */
			if (s->last[0] != '\0' &&
			    seq_le(fr.seq, fr.seqlen, s->last)) {
				sp_err(sp,
				    "spool %s, segment %s: record at offset %" PRIu64
				    " of shard %s is out of order "
				    "(%.*s after %s)",
				    sp->dir, name, off, s->id, (int)fr.seqlen,
				    fr.seq, s->last);
				goto out;
			}
			seq_set(s->last, fr.seq, fr.seqlen);
			seq_set(s->durable, fr.seq, fr.seqlen);
			s->last_created = fr.created_ms;
			seg_note(g, s, si, fr.seq, fr.seqlen, fr.created_ms);
			rec->records++;
			continue;
		}
		/* A bad frame: a torn tail only if nothing committed can
		 * lie at or after it. */
		if (c == FR_BADBODY || !last || off < marked ||
		    (q = scan_later_mark(&sc, off)) != 0) {
			if (c != FR_BADBODY && last && off >= marked)
				sp_err(sp,
				    "spool %s, segment %s: corrupt record at "
				    "offset %" PRIu64 " (%s), before records "
				    "committed later (commit mark at offset %" PRIu64
				    "): refusing to skip it",
				    sp->dir, name, off, fr_why[c], q);
			else
				sp_err(sp,
				    "spool %s, segment %s: corrupt record at "
				    "offset %" PRIu64 " (%s), not at the tail: "
				    "refusing to skip it",
				    sp->dir, name, off, fr_why[c]);
			goto out;
		}
		if (seg_cut(sp, g, off, sc.fsize, c, rec) == -1)
			goto out;
		sc.fsize = off;
		break;
	}
	g->size = g->durable = sc.fsize;
	g->created = 1;
	ret = 0;
out:
	free(sc.buf);
	(void)close(sc.fd);
	return ret;
}

static int
u64_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* The segment numbers in the directory, sorted. */
static int
list_segs(struct spool *sp, uint64_t **nos, size_t *n)
{
	struct dirent *de;
	size_t cap = 0;
	DIR *d;
	int fd;

	*nos = NULL;
	*n = 0;
	if ((fd = dup(sp->dirfd)) == -1 || (d = fdopendir(fd)) == NULL) {
		if (fd != -1)
			(void)close(fd);
		sp_err(sp, "spool %s: %s", sp->dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		char *end;
		uint64_t no;

		if (de->d_name[0] == '.')
			continue;
		if (strlen(de->d_name) != SP_NAME_LEN ||
		    strcmp(de->d_name + 16, ".seg") != 0 ||
		    strspn(de->d_name, "0123456789abcdef") != 16) {
			log_warnx("spool %s: %s is not a spool segment: left "
				  "alone",
			    sp->dir, de->d_name);
			continue;
		}
		no = strtoull(de->d_name, &end, 16);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*nos = xrealloc(*nos, cap * sizeof(**nos));
		}
		(*nos)[(*n)++] = no;
	}
	closedir(d);
	if (*n > 1)
		qsort(*nos, *n, sizeof(**nos), u64_cmp);
	return 0;
}

struct spool *
spool_open(const char *dir, uint64_t max_bytes, struct spool_recovery *rec,
    char *err, size_t errlen)
{
	struct spool_recovery dummy;
	struct spool *sp;
	uint64_t *nos = NULL;
	size_t n = 0, i;
	char cerr[512];
	int r;

	if (rec == NULL)
		rec = &dummy;
	memset(rec, 0, sizeof(*rec));
	sp = xcalloc(1, sizeof(*sp));
	sp->dir = xstrdup(dir);
	sp->dirfd = sp->wfd = sp->rfd = -1;
	sp->seg_bytes = SPOOL_SEGMENT_BYTES;
	sp->commit_records = SPOOL_COMMIT_RECORDS;
	sp->commit_bytes = SPOOL_COMMIT_BYTES;
	sp->commit_ms = SPOOL_COMMIT_MS;
	if (atomicfile_mkdirs(dir, 0700) == -1) {
		sp_err(sp, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (atomicfile_check_dir(dir, 0, cerr, sizeof(cerr)) != 0) {
		sp_err(sp, "spool: %s", cerr);
		goto fail;
	}
	if ((sp->dirfd = open(dir,
		 O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW)) == -1) {
		sp_err(sp, "spool %s: %s", dir, strerror(errno));
		goto fail;
	}
	sp->max_bytes = max_bytes ? max_bytes : spool_default_max_bytes(dir);
	/* Segments go whole: small ones under a small bound, so that what
	 * is applied frees room well before the bound is all released. */
	if (sp->max_bytes / 8 < sp->seg_bytes)
		spool_set_segment_bytes(sp, sp->max_bytes / 8);
	if (list_segs(sp, &nos, &n) == -1)
		goto fail;
	for (i = 0; i < n; i++) {
		struct sp_seg *g;

		if (i > 0 && nos[i] != nos[i - 1] + 1) {
			sp_err(sp,
			    "spool %s: segment %016" PRIx64 " is missing "
			    "(segments are deleted oldest first): refusing to "
			    "apply around a hole",
			    dir, nos[i - 1] + 1);
			goto fail;
		}
		g = seg_push(sp, nos[i]);
		if ((r = seg_recover(sp, g, i == n - 1, rec)) == -1)
			goto fail;
		if (r == 1) {
			sp->nsegs--;
			free(g->sum);
			rec->removed_empty++;
			continue;
		}
		sp->bytes += g->size;
	}
	rec->segments = (unsigned)sp->nsegs;
	rec->bytes = sp->bytes;
	sp->st.segments = (unsigned)sp->nsegs;
	free(nos);
	return sp;
fail:
	snprintf(err, errlen, "%s", sp->err);
	free(nos);
	spool_close(sp);
	return NULL;
}

void
spool_close(struct spool *sp)
{
	if (sp == NULL)
		return;
	if (sp->wfd != -1)
		(void)close(sp->wfd);
	if (sp->rfd != -1)
		(void)close(sp->rfd);
	if (sp->dirfd != -1)
		(void)close(sp->dirfd);
	for (size_t i = 0; i < sp->nshards; i++)
		free(sp->shards[i].id);
	for (size_t i = 0; i < sp->nsegs; i++)
		free(sp->segs[i].sum);
	free(sp->shards);
	free(sp->segs);
	free(sp->wbuf);
	free(sp->dir);
	free(sp);
}

const char *
spool_error(const struct spool *sp)
{
	return sp->err;
}

void
spool_set_segment_bytes(struct spool *sp, uint64_t n)
{
	sp->seg_bytes = n < 4096 ? 4096 : n;
}

void
spool_set_commit(struct spool *sp, uint64_t records, uint64_t bytes, int64_t ms)
{
	if (records > 0)
		sp->commit_records = records;
	if (bytes > 0)
		sp->commit_bytes = bytes;
	if (ms > 0)
		sp->commit_ms = ms;
}

/* ------------------------------------------------------------------------
 * Appending and committing
 */

static void
wbuf_reserve(struct spool *sp, size_t extra)
{
	if (sp->wcap - sp->wlen >= extra)
		return;
	while (sp->wcap - sp->wlen < extra)
		sp->wcap = sp->wcap ? sp->wcap * 2 : 64 * 1024;
	sp->wbuf = xrealloc(sp->wbuf, sp->wcap);
}

static int
sp_fail(struct spool *sp, const char *what, uint64_t no)
{
	char name[32];

	seg_name(no, name, sizeof(name));
	sp->failed = 1;
	sp_err(sp, "spool %s, segment %s: %s: %s", sp->dir, name, what,
	    strerror(errno));
	errno = EIO;
	return -1;
}

/*
 * The first record of a commit: a new segment when the last one is full
 * (a commit never spans two: a segment that is not the last is committed
 * whole), else a commit mark for what is durable already.
 */
static void
commit_begin(struct spool *sp)
{
	struct sp_seg *g = sp->nsegs ? &sp->segs[sp->nsegs - 1] : NULL;
	unsigned char *p;

	sp->in_commit = 1;
	sp->pend_since_ms = clock_ms();
	if (g == NULL || g->size >= sp->seg_bytes) {
		if (sp->wfd != -1)
			(void)close(sp->wfd);
		sp->wfd = -1;
		g = seg_push(sp,
		    g != NULL		 ? g->no + 1 :
			sp->next_no != 0 ? sp->next_no :
					   1);
		wbuf_reserve(sp, SP_HDR);
		p = (unsigned char *)sp->wbuf + sp->wlen;
		memset(p, 0, SP_HDR);
		memcpy(p, SP_MAGIC, 8);
		le32_put(p + 8, SP_VERSION);
		le64_put(p + 16, g->no);
		le64_put(p + 24, (uint64_t)wall_ms());
		le32_put(p + 12, header_crc(p));
		sp->wlen += SP_HDR;
		sp->bytes += SP_HDR;
		sp->st.segments = (unsigned)sp->nsegs;
		return;
	}
	if (g->durable <= SP_HDR)
		return;
	wbuf_reserve(sp, SP_FHDR + SP_MARK_LEN);
	p = (unsigned char *)sp->wbuf + sp->wlen;
	le32_put(p, SP_MARK_LEN);
	p[8] = 'C';
	p[9] = p[10] = p[11] = 0;
	le64_put(p + SP_FHDR, g->durable);
	le32_put(p + 4, frame_crc(p, SP_MARK_LEN));
	sp->wlen += SP_FHDR + SP_MARK_LEN;
	sp->bytes += SP_FHDR + SP_MARK_LEN;
}

/* Write the buffer to the last segment (no sync). */
static int
flush(struct spool *sp)
{
	struct sp_seg *g = &sp->segs[sp->nsegs - 1];

	if (sp->wlen == 0)
		return 0;
	if (sp->wfd == -1) {
		sp->wfd = open_seg(sp, g->no,
		    g->created ? O_WRONLY | O_APPEND :
				 O_WRONLY | O_CREAT | O_EXCL,
		    0600);
		if (sp->wfd == -1)
			return sp_fail(sp, "cannot open", g->no);
		if (!g->created) {
			/* Exactly 0600 whatever the umask. */
			if (fchmod(sp->wfd, 0600) == -1)
				return sp_fail(sp, "fchmod", g->no);
			g->created = 1;
			sp->new_file = 1;
		}
	}
	if (atomicfile_write_all(sp->wfd, sp->wbuf, sp->wlen) == -1)
		return sp_fail(sp, "write", g->no);
	g->size += sp->wlen;
	sp->wlen = 0;
	return 0;
}

int
spool_append(struct spool *sp, const char *shard, const char *seq,
    size_t seqlen, int64_t created_ms, const char *json, size_t len)
{
	struct sp_shard *s;
	unsigned char *p;
	size_t si, sl, body;

	if (sp->failed) {
		errno = EIO;
		return -1;
	}
	sl = strlen(shard);
	if (!seq_valid(seq, seqlen) || len < 2 || json[0] != '{' ||
	    (si = shard_find(sp, shard, sl, 1)) == (size_t)-1) {
		errno = EINVAL;
		return -1;
	}
	if (len > SPOOL_RECORD_MAX) {
		errno = EFBIG;
		return -1;
	}
	s = &sp->shards[si];
	if (s->last[0] != '\0' && seq_le(seq, seqlen, s->last)) {
		sp->st.duplicates++;
		return 0;
	}
	if (!sp->in_commit)
		commit_begin(sp);
	body = 8 + sl + seqlen + len;
	wbuf_reserve(sp, SP_FHDR + body);
	p = (unsigned char *)sp->wbuf + sp->wlen;
	le32_put(p, (uint32_t)body);
	p[8] = 'R';
	p[9] = (unsigned char)sl;
	p[10] = (unsigned char)seqlen;
	p[11] = 0;
	le64_put(p + SP_FHDR, (uint64_t)created_ms);
	memcpy(p + SP_FHDR + 8, shard, sl);
	memcpy(p + SP_FHDR + 8 + sl, seq, seqlen);
	memcpy(p + SP_FHDR + 8 + sl + seqlen, json, len);
	le32_put(p + 4, frame_crc(p, (uint32_t)body));
	sp->wlen += SP_FHDR + body;
	sp->bytes += SP_FHDR + body;
	sp->pend_records++;
	sp->pend_bytes += SP_FHDR + body;
	seq_set(s->last, seq, seqlen);
	s->last_created = created_ms;
	s->moved = 1;
	seg_note(&sp->segs[sp->nsegs - 1], s, si, seq, seqlen, created_ms);
	sp->st.appended++;
	if (sp->wlen >= SPOOL_WBUF_BYTES && flush(sp) == -1)
		return -1;
	return 1;
}

long
spool_append_records(struct spool *sp, const char *shard,
    const struct ddb_record *r, size_t n)
{
	long stored = 0;
	int a;

	for (size_t i = 0; i < n; i++) {
		/* The span is the JSON string, quotes included. */
		if (r[i].seq.len < 3 || r[i].seq.p[0] != '"') {
			errno = EINVAL;
			return -1;
		}
		a = spool_append(sp, shard, r[i].seq.p + 1, r[i].seq.len - 2,
		    (int64_t)llround(r[i].created * 1000.0), r[i].raw.p,
		    r[i].raw.len);
		if (a == -1)
			return -1;
		stored += a;
	}
	return stored;
}

int
spool_commit_due(const struct spool *sp, int64_t now_ms)
{
	if (!sp->in_commit)
		return 0;
	return sp->pend_records >= sp->commit_records ||
	    sp->pend_bytes >= sp->commit_bytes ||
	    now_ms - sp->pend_since_ms >= sp->commit_ms;
}

int
spool_commit(struct spool *sp, spool_durable_fn cb, void *arg)
{
	struct sp_seg *g;
	int r;

	if (sp->failed) {
		errno = EIO;
		return -1;
	}
	if (!sp->in_commit)
		return 0;
	if (flush(sp) == -1)
		return -1;
	g = &sp->segs[sp->nsegs - 1];
	while ((r = fdatasync(sp->wfd)) == -1 && errno == EINTR)
		;
	if (r == -1)
		return sp_fail(sp, "fdatasync", g->no);
	/* A new segment's name must survive a power loss with its records. */
	if (sp->new_file) {
		if (fsync(sp->dirfd) == -1 && errno != EINVAL)
			return sp_fail(sp, "fsync of the directory", g->no);
		sp->new_file = 0;
	}
	g->durable = g->size;
	sp->in_commit = 0;
	sp->pend_records = sp->pend_bytes = 0;
	sp->st.commits++;
	for (size_t i = 0; i < sp->nshards; i++) {
		struct sp_shard *s = &sp->shards[i];

		if (!s->moved)
			continue;
		s->moved = 0;
		strlcpy(s->durable, s->last, sizeof(s->durable));
		if (cb != NULL)
			cb(s->id, s->durable, arg);
	}
	return 0;
}

static const struct sp_shard *
shard_get(const struct spool *sp, const char *shard)
{
	size_t len = strlen(shard);

	for (size_t i = 0; i < sp->nshards; i++)
		if (sp->shards[i].idlen == len &&
		    memcmp(sp->shards[i].id, shard, len) == 0)
			return &sp->shards[i];
	return NULL;
}

const char *
spool_last_seq(const struct spool *sp, const char *shard)
{
	const struct sp_shard *s = shard_get(sp, shard);

	return s != NULL && s->last[0] != '\0' ? s->last : NULL;
}

const char *
spool_durable_seq(const struct spool *sp, const char *shard)
{
	const struct sp_shard *s = shard_get(sp, shard);

	return s != NULL && s->durable[0] != '\0' ? s->durable : NULL;
}

int64_t
spool_last_created_ms(const struct spool *sp, const char *shard)
{
	const struct sp_shard *s = shard_get(sp, shard);

	return s != NULL ? s->last_created : 0;
}

/* ------------------------------------------------------------------------
 * Reading
 */

/* Room for need bytes; records already handed out follow the buffer. */
static void
batch_reserve(struct spool_batch *b, size_t need)
{
	char *old = b->buf;
	size_t cap = b->cap ? b->cap : 64 * 1024;

	if (need <= b->cap)
		return;
	while (cap < need)
		cap *= 2;
	b->buf = xrealloc(b->buf, cap);
	b->cap = cap;
	if (old != NULL && b->buf != old)
		for (size_t i = 0; i < b->n; i++) {
			b->recs[i].seq = b->buf + (b->recs[i].seq - old);
			b->recs[i].json = b->buf + (b->recs[i].json - old);
		}
}

static int
read_corrupt(struct spool *sp, const struct sp_seg *g, uint64_t off,
    const char *why)
{
	char name[32];

	seg_name(g->no, name, sizeof(name));
	sp_err(sp,
	    "spool %s, segment %s: corrupt record at offset %" PRIu64 " (%s) "
	    "found while reading it back: refusing to skip it",
	    sp->dir, name, off, why);
	errno = EIO;
	return -1;
}

int
spool_read(struct spool *sp, size_t max_recs, size_t max_bytes,
    struct spool_batch *b)
{
	struct sp_frame fr;
	struct sp_seg *g;
	enum fr_check c;
	size_t chunk, p, budget, fl;
	uint64_t avail;

	b->len = b->n = 0;
	while (b->n < max_recs) {
		if (sp->rseg >= sp->nsegs)
			break;
		g = &sp->segs[sp->rseg];
		if (sp->roff < SP_HDR)
			sp->roff = SP_HDR;
		if (sp->roff >= g->durable) {
			/* A segment before the last is committed whole. */
			if (sp->rseg + 1 < sp->nsegs) {
				sp->rseg++;
				sp->roff = SP_HDR;
				continue;
			}
			break;
		}
		if (sp->rfd == -1 || sp->rfd_no != g->no) {
			if (sp->rfd != -1)
				(void)close(sp->rfd);
			if ((sp->rfd = open_seg(sp, g->no, O_RDONLY, 0)) ==
			    -1) {
				char name[32];

				seg_name(g->no, name, sizeof(name));
				sp_err(sp, "spool %s, segment %s: %s", sp->dir,
				    name, strerror(errno));
				return -1;
			}
			sp->rfd_no = g->no;
		}
		avail = g->durable - sp->roff;
		budget = max_bytes > b->len ? max_bytes - b->len : 0;
		chunk = avail < budget ? (size_t)avail : budget;
		if (chunk < SP_FHDR) {
			if (b->n > 0)
				break;
			chunk = avail < SP_FHDR ? (size_t)avail : SP_FHDR;
		}
		batch_reserve(b, b->len + chunk);
		if (pread_all(sp->rfd, b->buf + b->len, chunk, sp->roff) == -1)
			return read_corrupt(sp, g, sp->roff, strerror(errno));
		for (p = 0; p + SP_FHDR <= chunk && b->n < max_recs; p += fl) {
			const unsigned char *f = (const unsigned char *)b->buf +
			    b->len + p;
			uint32_t len = le32_get(f);

			if (len < SP_MARK_LEN || len > SP_BODY_MAX ||
			    sp->roff + p + SP_FHDR + len > g->durable)
				return read_corrupt(sp, g, sp->roff + p,
				    fr_why[FR_BADLEN]);
			fl = SP_FHDR + len;
			if (p + fl > chunk) {
				if (b->n > 0)
					break;
				/* The first record, whatever its size. */
				batch_reserve(b, b->len + p + fl);
				if (pread_all(sp->rfd, b->buf + b->len + chunk,
					p + fl - chunk, sp->roff + chunk) == -1)
					return read_corrupt(sp, g,
					    sp->roff + chunk, strerror(errno));
				chunk = p + fl;
				f = (const unsigned char *)b->buf + b->len + p;
			}
			if ((c = frame_check(f, fl, &fr)) != FR_OK)
				return read_corrupt(sp, g, sp->roff + p,
				    fr_why[c]);
			if (fr.type == 'C')
				continue;
			size_t si = shard_find(sp, fr.shard, fr.shardlen, 1);
			const struct sp_shard *s = &sp->shards[si];

			if (seq_le(fr.seq, fr.seqlen, s->released)) {
				sp->st.skipped++;
				continue;
			}
			if (b->n == b->rcap) {
				b->rcap = b->rcap ? b->rcap * 2 : 256;
				b->recs = xrealloc(b->recs,
				    b->rcap * sizeof(*b->recs));
			}
			b->recs[b->n].shard = s->id;
			b->recs[b->n].seq = fr.seq;
			b->recs[b->n].seqlen = fr.seqlen;
			b->recs[b->n].created_ms = fr.created_ms;
			b->recs[b->n].json = fr.json;
			b->recs[b->n].len = fr.jsonlen;
			b->n++;
		}
		sp->roff += p;
		b->len += p;
		if (p < chunk)
			break;
	}
	sp->st.read += b->n;
	return (int)b->n;
}

int
spool_batch_parse(const struct spool_batch *b, struct ddb_record *out,
    size_t *bad)
{
	for (size_t i = 0; i < b->n; i++)
		if (ddb_parse_record(b->recs[i].json, b->recs[i].len,
			&out[i]) == -1) {
			if (bad != NULL)
				*bad = i;
			return -1;
		}
	return 0;
}

void
spool_batch_free(struct spool_batch *b)
{
	free(b->buf);
	free(b->recs);
	memset(b, 0, sizeof(*b));
}

/* ------------------------------------------------------------------------
 * Releasing, deleting, size
 */

int
spool_release(struct spool *sp, const char *shard, const char *seq)
{
	size_t si, len = strlen(seq);
	struct sp_shard *s;

	if (!seq_valid(seq, len) ||
	    (si = shard_find(sp, shard, strlen(shard), 1)) == (size_t)-1) {
		errno = EINVAL;
		return -1;
	}
	s = &sp->shards[si];
	if (!seq_le(seq, len, s->released))
		seq_set(s->released, seq, len);
	return 0;
}

static int
seg_released(const struct spool *sp, const struct sp_seg *g)
{
	for (size_t i = 0; i < g->nsum; i++) {
		const struct sp_shard *s = &sp->shards[g->sum[i].shard];

		if (!seq_le(g->sum[i].seq, strlen(g->sum[i].seq), s->released))
			return 0;
	}
	return 1;
}

/* How many of the oldest segments can go: all of whose records are
 * released; the last only when nothing is buffered for it (else it is
 * being written to; the next record then starts a new segment). */
static size_t
gc_count(const struct spool *sp)
{
	size_t k = 0;

	while ((k + 1 < sp->nsegs ||
		   (k + 1 == sp->nsegs && !sp->in_commit && sp->wlen == 0)) &&
	    seg_released(sp, &sp->segs[k]))
		k++;
	return k;
}

uint64_t
spool_gc_first(const struct spool *sp)
{
	size_t k = gc_count(sp);

	if (k < sp->nsegs)
		return sp->segs[k].no;
	if (sp->nsegs > 0)
		return sp->segs[sp->nsegs - 1].no + 1;
	return sp->next_no != 0 ? sp->next_no : 1;
}

/* Delete segs[0, n): 0, or -1 (the spool is failed, err says why). */
static int
segs_delete(struct spool *sp, size_t n)
{
	char name[32];
	size_t k;

	for (k = 0; k < n; k++) {
		if (k + 1 == sp->nsegs) {
			if (sp->wfd != -1)
				(void)close(sp->wfd);
			sp->wfd = -1;
			sp->next_no = sp->segs[k].no + 1;
		}
		seg_name(sp->segs[k].no, name, sizeof(name));
		if (unlinkat(sp->dirfd, name, 0) == -1 && errno != ENOENT) {
			sp_err(sp, "spool %s, segment %s: cannot delete it: %s",
			    sp->dir, name, strerror(errno));
			break;
		}
		if (sp->rfd != -1 && sp->rfd_no == sp->segs[k].no) {
			(void)close(sp->rfd);
			sp->rfd = -1;
		}
		sp->bytes -= sp->segs[k].size;
		free(sp->segs[k].sum);
	}
	if (k == 0)
		return 0;
	/* Deleted for good before any checkpoint forgets their shards. */
	if (fsync(sp->dirfd) == -1 && errno != EINVAL) {
		sp_err(sp, "spool %s: fsync: %s", sp->dir, strerror(errno));
		k = (size_t)-1;
	}
	if (k == (size_t)-1)
		return -1;
	memmove(sp->segs, sp->segs + k, (sp->nsegs - k) * sizeof(*sp->segs));
	sp->nsegs -= k;
	if (sp->rseg >= k)
		sp->rseg -= k;
	else {
		sp->rseg = 0;
		sp->roff = SP_HDR;
	}
	/* Sum entries name segments by number, not index: nothing moves. */
	sp->st.deleted += k;
	sp->st.segments = (unsigned)sp->nsegs;
	return (int)k;
}

int
spool_gc(struct spool *sp)
{
	if (sp->failed) {
		errno = EIO;
		return -1;
	}
	return segs_delete(sp, gc_count(sp));
}

int
spool_set_first(struct spool *sp, uint64_t first, char *err, size_t errlen)
{
	size_t k = 0;
	char a[32], b[32];

	if (first == 0)
		return 0;
	while (k < sp->nsegs && sp->segs[k].no < first)
		k++;
	if (k == 0 && sp->nsegs > 0 && sp->segs[0].no > first) {
		seg_name(first, a, sizeof(a));
		seg_name(sp->segs[0].no - 1, b, sizeof(b));
		snprintf(err, errlen,
		    "spool %s: %s to %s are missing: they hold records not "
		    "applied yet (the checkpoint needs every segment from %s "
		    "on). Restore them, or remove the spool directory to read "
		    "those changes again from the stream while it still has "
		    "them",
		    sp->dir, a, b, a);
		return -1;
	}
	/* Wholly applied: the checkpoint said so before they were to be
	 * deleted, and a crash came first. */
	if (k > 0 && segs_delete(sp, k) == -1) {
		snprintf(err, errlen, "%s", sp->err);
		return -1;
	}
	if (sp->nsegs == 0 && sp->next_no < first)
		sp->next_no = first;
	return 0;
}

void
spool_release_unknown(struct spool *sp, int (*known)(const char *shard, void *),
    void *arg)
{
	for (size_t i = 0; i < sp->nshards; i++) {
		struct sp_shard *s = &sp->shards[i];

		if (s->last[0] != '\0' && !known(s->id, arg))
			strlcpy(s->released, s->last, sizeof(s->released));
	}
}

int
spool_full(const struct spool *sp)
{
	return sp->bytes >= sp->max_bytes;
}

void
spool_stats(const struct spool *sp, struct spool_stats *st)
{
	*st = sp->st;
	st->bytes = sp->bytes;
	st->max_bytes = sp->max_bytes;
	st->segments = (unsigned)sp->nsegs;
	st->oldest_ms = 0;
	for (size_t i = 0; i < sp->nsegs; i++)
		if (sp->segs[i].oldest_ms > 0 &&
		    (st->oldest_ms == 0 ||
			sp->segs[i].oldest_ms < st->oldest_ms))
			st->oldest_ms = sp->segs[i].oldest_ms;
}

uint64_t
spool_default_for_free(uint64_t free_bytes)
{
	uint64_t v = free_bytes / 100 * SPOOL_DEFAULT_SHARE_PCT;

	if (v < SPOOL_DEFAULT_FLOOR) {
		/* Little room: the floor, but never more than half of it. */
		v = free_bytes / 2 < SPOOL_DEFAULT_FLOOR ? free_bytes / 2 :
							   SPOOL_DEFAULT_FLOOR;
	}
	if (v > SPOOL_DEFAULT_CEILING)
		v = SPOOL_DEFAULT_CEILING;
	if (v < SPOOL_MAX_BYTES_MIN)
		v = SPOOL_MAX_BYTES_MIN;
	return v;
}

uint64_t
spool_default_max_bytes(const char *dir)
{
	struct statvfs vfs;

	if (statvfs(dir, &vfs) == -1)
		return SPOOL_DEFAULT_FLOOR;
	return spool_default_for_free(
	    (uint64_t)vfs.f_bavail * (uint64_t)vfs.f_frsize);
}

int64_t
spool_wait_left_ms(int64_t age_ms, int64_t retention_ms, int64_t margin_ms)
{
	int64_t left;

	if (age_ms < 0)
		age_ms = 0;
	left = retention_ms - age_ms - margin_ms;
	return left > 0 ? left : 0;
}
