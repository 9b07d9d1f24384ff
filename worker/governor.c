/* governor.c: token buckets and the AIMD controller of writes in flight. */
#include <math.h>
#include <string.h>

#include "governor.h"

static double
burst(const struct gov_bucket *b)
{
	return b->rate * GOV_BURST_MS / 1000.0;
}

static void
refill(struct gov_bucket *b, int64_t now)
{
	if (now > b->last_ms && b->rate > 0) {
		b->tokens += b->rate * (double)(now - b->last_ms) / 1000.0;
		if (b->tokens > burst(b))
			b->tokens = burst(b);
	}
	if (now > b->last_ms)
		b->last_ms = now;
}

void
gov_bucket_init(struct gov_bucket *b, int held, int64_t now)
{
	memset(b, 0, sizeof(*b));
	b->held = held;
	b->last_ms = now;
}

void
gov_bucket_set(struct gov_bucket *b, double rate, int64_t now)
{
	refill(b, now);
	if (rate < 0 || !isfinite(rate))
		rate = 0;
	/* A first limit starts with a full second's worth: the first
	 * requests need not wait for tokens to trickle in. */
	if ((b->held || b->rate == 0) && rate > 0)
		b->tokens = rate * GOV_BURST_MS / 1000.0;
	b->held = 0;
	b->rate = rate;
	if (rate > 0 && b->tokens > burst(b))
		b->tokens = burst(b);
	if (rate == 0)
		b->tokens = 0;
}

int
gov_bucket_open(struct gov_bucket *b, int64_t now)
{
	if (b->held)
		return 0;
	if (b->rate == 0)
		return 1;
	refill(b, now);
	return b->tokens > 0;
}

int64_t
gov_bucket_wait_ms(struct gov_bucket *b, int64_t now)
{
	double ms;

	if (b->held)
		return -1;
	if (gov_bucket_open(b, now))
		return 0;
	/* Until the tokens are above zero again, at least 1 ms. */
	ms = ceil((-b->tokens + 1e-9) * 1000.0 / b->rate);
	return ms < 1 ? 1 : (int64_t)ms;
}

void
gov_bucket_take(struct gov_bucket *b, double units, int64_t now)
{
	if (b->rate == 0 || !isfinite(units))
		return;
	refill(b, now);
	b->tokens -= units;
	if (b->tokens > burst(b))
		b->tokens = burst(b);
}

double
gov_wcu_estimate(size_t item_bytes, int del)
{
	if (del || item_bytes == 0)
		return 1;
	return (double)((item_bytes + 1023) / 1024);
}

double
gov_rcu_estimate(size_t page_item_bytes)
{
	return 0.5 * (double)((page_item_bytes + 4095) / 4096);
}

void
gov_aimd_init(struct gov_aimd *a, unsigned start, unsigned max, int64_t now)
{
	memset(a, 0, sizeof(*a));
	a->max = max > 0 ? max : 1;
	a->limit = start < 1 ? 1 : start > a->max ? a->max : start;
	a->slow_start = 1;
	a->win_start_ms = now;
	a->cut_ms = INT64_MIN / 2;
	a->prev_rate = -1;
}

void
gov_aimd_gated(struct gov_aimd *a)
{
	a->win_gated = 1;
}

/* The window is over: compare, step. */
static void
window_end(struct gov_aimd *a, int64_t now)
{
	double rate = a->win_units * 1000.0 / (double)(now - a->win_start_ms);
	unsigned step;

	if (a->prev_rate >= 0 && a->last_step > 0 &&
	    rate < a->prev_rate * (1 - GOV_FALL)) {
		/* More in flight made it slower: the endpoint's ceiling. */
		a->limit = a->limit > a->last_step ? a->limit - a->last_step :
						     1;
		a->last_step = 0;
		a->slow_start = 0;
	} else if (a->win_peak >= a->limit && !a->win_gated &&
	    a->limit < a->max) {
		/* Additive: one per round trip (a round: as many answers as
		 * the limit), as TCP's congestion avoidance. */
		step = a->slow_start ? a->limit : a->win_answers / a->limit;
		if (step < 1)
			step = 1;
		if (a->limit + step > a->max)
			step = a->max - a->limit;
		a->limit += step;
		a->last_step = step;
	} else
		a->last_step = 0;
	a->prev_rate = rate;
	a->win_start_ms = now;
	a->win_units = 0;
	a->win_answers = 0;
	a->win_peak = 0;
	a->win_gated = 0;
}

unsigned
gov_aimd_answer(struct gov_aimd *a, double units, unsigned inflight,
    int throttled, int server_error, int64_t now)
{
	unsigned cut;

	a->win_units += units;
	a->win_answers++;
	if (inflight > a->win_peak)
		a->win_peak = inflight;
	if (throttled || server_error) {
		a->slow_start = 0;
		a->last_step = 0;
		if (now - a->cut_ms >= GOV_WINDOW_MS) {
			cut = (unsigned)floor(a->limit * GOV_DECREASE);
			a->limit = cut < 1 ? 1 : cut;
			a->cut_ms = now;
			a->decreases++;
		}
		/* A fresh window: what was measured mixed both limits. */
		a->win_start_ms = now;
		a->win_units = 0;
		a->win_answers = 0;
		a->win_peak = 0;
		a->win_gated = 0;
		a->prev_rate = -1;
		return a->limit;
	}
	if (now - a->win_start_ms >= GOV_WINDOW_MS)
		window_end(a, now);
	return a->limit;
}

double
gov_resolve(double units, double pct, int64_t provisioned, int64_t ondemand_max)
{
	if (pct <= 0)
		return units > 0 ? units : 0;
	if (provisioned > 0)
		return pct * (double)provisioned / 100.0;
	if (ondemand_max > 0)
		return pct * (double)ondemand_max / 100.0;
	return -1;
}
