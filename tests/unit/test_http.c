/* test_http.c: the libcurl multi driver against a loopback fake. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "fakehttp.h"
#include "http.h"
#include "xtime.h"

static void
on_done(struct http_xfer *x, void *arg)
{
	(void)x;
	(*(int *)arg)++;
}

static void
nap_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1)
		continue;
}

/*
 * A transfer whose answer is already waiting in the socket when http_run()
 * is called must be handed over at once, not after the call's whole wait:
 * the driver used to poll with nothing left to poll for, which stalled a
 * fast endpoint for 250 ms between bursts. The bound below is half the
 * wait given, so only a stall can fail it, not a slow machine.
 */
static void
test_http_run_finished_not_held(void **state)
{
	struct fakehttp *fk;
	struct http *h;
	struct http_xfer x;
	char url[128];
	int done = 0, exercised = 0;
	int64_t t0, took;

	(void)state;
	fk = fakehttp_start();
	assert_non_null(fk);
	snprintf(url, sizeof(url), "%s/x", fakehttp_url(fk));
	h = http_new();
	for (int delay = 100; delay <= 1600 && !exercised; delay *= 4) {
		fakehttp_reset(fk);
		fakehttp_add_full(fk, "GET", "/x", 200, NULL, "ok", delay);
		memset(&x, 0, sizeof(x));
		x.url = url;
		x.timeout_ms = 30000;
		done = 0;
		assert_int_equal(http_start(h, &x, on_done, &done), 0);
		/* Send the request; the answer comes after delay ms. */
		for (int i = 0; i < 10 && done == 0; i++) {
			http_run(h, 0);
			nap_ms(delay / 20);
		}
		if (done != 0)
			continue;  /* answered already: try a longer delay */
		nap_ms(delay * 2); /* now the answer waits in the socket */
		exercised = 1;
		t0 = clock_ms();
		while (done == 0 && clock_ms() - t0 < 20000)
			http_run(h, 10000);
		took = clock_ms() - t0;
		assert_int_equal(done, 1);
		assert_int_equal(x.status, 200);
		assert_string_equal(x.resp.data, "ok");
		if (took >= 5000)
			fail_msg("a finished transfer was held for %lld ms",
			    (long long)took);
		buf_free(&x.resp);
	}
	assert_true(exercised);
	http_free(h);
	fakehttp_stop(fk);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_http_run_finished_not_held),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
