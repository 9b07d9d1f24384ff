/*
 * fuzz_proto_reader.c: the line reader against a plain model of it. The
 * input is a header (chunking seed, repeat count) and a body; the body,
 * repeated, is the byte stream, fed in chunks of varying size as read()
 * would return them. Every complete line is also decoded.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "proto.h"

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

/* The next chunk size: 1..PROTO_READ_MAX, from a small xorshift. */
static size_t
chunk_size(uint32_t *state, unsigned mode)
{
	uint32_t x = *state;

	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	*state = x;
	switch (mode & 3) {
	case 0:
		return 1 + x % 16;
	case 1:
		return 1 + x % 512;
	case 2:
		return PROTO_READ_MAX;
	default:
		return 1 + x % PROTO_READ_MAX;
	}
}

/* Longest stream built from one input: a few maximal lines. */
#define STREAM_MAX (8 * PROTO_MAX_LINE)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct proto_reader r;
	static struct proto_msg m;
	const char *line, *nl;
	char *stream, err[256];
	size_t body, total, i, off, fed, linelen, pos, llen;
	uint32_t state;
	unsigned mode, reps;
	int rc, has_nul, too_long;

	if (size < 3)
		return 0;
	mode = data[0];
	reps = 1 + data[1];
	state = 0x9e3779b9u ^ (uint32_t)data[2] << 8 ^ mode;
	data += 3;
	size -= 3;
	body = size;
	if (body > 0 && reps > STREAM_MAX / body)
		reps = STREAM_MAX / body > 0 ? STREAM_MAX / body : 1;
	total = body * reps;
	stream = malloc(total > 0 ? total : 1);
	FUZZ_CHECK(stream != NULL);
	for (i = 0; i < reps; i++)
		if (body > 0)
			memcpy(stream + i * body, data, body);

	/*
	 * The model is the stream itself: each line returned must be the
	 * next one in it, with no NUL and at most PROTO_MAX_LINE bytes with
	 * its newline; the reader stops at the first line that is not.
	 */
	proto_reader_init(&r);
	FUZZ_CHECK(proto_reader_errstr(&r)[0] == '\0');
	pos = 0;
	rc = 0;
	for (off = 0; off < total && rc != -1; off += fed) {
		fed = chunk_size(&state, mode);
		if (fed > total - off)
			fed = total - off;
		/* The caller drained the reader: a feed must fit. */
		FUZZ_CHECK(proto_reader_feed(&r, stream + off, fed) == 0);
		while ((rc = proto_reader_next(&r, &line, &linelen)) == 1) {
			FUZZ_CHECK(linelen + 1 <= PROTO_MAX_LINE);
			FUZZ_CHECK(pos + linelen < off + fed);
			FUZZ_CHECK(memcmp(line, stream + pos, linelen) == 0);
			FUZZ_CHECK(stream[pos + linelen] == '\n');
			FUZZ_CHECK(memchr(line, '\0', linelen) == NULL);
			FUZZ_CHECK(memchr(line, '\n', linelen) == NULL);
			FUZZ_CHECK(line[linelen] == '\0');
			pos += linelen + 1;
			(void)proto_decode(line, linelen, &m, err, sizeof(err));
		}
	}

	/* What is left at pos: a bad line, or an incomplete good one. */
	nl = memchr(stream + pos, '\n', total - pos);
	llen = nl != NULL ? (size_t)(nl - (stream + pos)) : total - pos;
	has_nul = memchr(stream + pos, '\0', llen) != NULL;
	too_long = nl != NULL ? llen + 1 > PROTO_MAX_LINE :
				llen >= PROTO_MAX_LINE;
	if (has_nul || too_long) {
		FUZZ_CHECK(rc == -1);
		/* With both, which is seen first depends on the chunks. */
		FUZZ_CHECK((has_nul && errno == EILSEQ) ||
		    (too_long && errno == EMSGSIZE));
		FUZZ_CHECK(r.error == errno);
		FUZZ_CHECK(proto_reader_errstr(&r)[0] != '\0');
		/* The error is sticky. */
		FUZZ_CHECK(proto_reader_next(&r, &line, &linelen) == -1);
		FUZZ_CHECK(proto_reader_feed(&r, "x\n", 2) == -1);
	} else {
		FUZZ_CHECK(rc == 0);
		FUZZ_CHECK(nl == NULL);
		FUZZ_CHECK(proto_reader_pending(&r) == total - pos);
		FUZZ_CHECK(proto_reader_errstr(&r)[0] == '\0');
	}
	free(stream);
	return 0;
}
